package scan

import (
	"fmt"

	"github.com/xborder/xborder/internal/geo"
)

// locator adapts *geo.Locator to the scanner's Locator.
type locator struct{ l *geo.Locator }

func (a locator) Locate(lon, lat float64) Place { return a.l.Locate(lon, lat) }

func toWGS84(crs string, lon, lat float64) (float64, float64) {
	switch crs {
	case "gcj02":
		return geo.ToWGS84(geo.GCJ02, lon, lat)
	case "bd09":
		return geo.ToWGS84(geo.BD09, lon, lat)
	}
	return lon, lat
}

// FromLocator wraps a geo.Locator for the scanner.
func FromLocator(l *geo.Locator) *Geo {
	return &Geo{Locator: locator{l}, ToWGS84: toWGS84, Approximate: l.PrefectureApproximate(), Description: l.Description(),
		Attribution: l.Attribution(), direct: l}
}

// LoadGeo returns the embedded default boundaries, or those of a GeoJSON
// file with GB/T 2260 codes (in WGS-84) when path is not empty.
func LoadGeo(path string) (*Geo, error) { return LoadGeoCRS(path, "") }

// LoadGeoCRS is LoadGeo for a boundary file in another coordinate system
// ("gcj02" for AMap-digitised data, "bd09"); its vertices are converted to
// WGS-84 once at load.
func LoadGeoCRS(path, crs string) (*Geo, error) {
	var l *geo.Locator
	var err error
	switch {
	case path == "":
		l, err = geo.Default()
	case crs == "":
		l, err = geo.LoadBoundaries(path)
	default:
		var c geo.CRS
		if c, err = geo.ParseCRS(crs); err == nil {
			l, err = geo.LoadBoundariesCRS(path, c)
		}
	}
	if err != nil {
		if path == "" {
			return nil, fmt.Errorf("default boundaries: %w", err)
		}
		return nil, err
	}
	return FromLocator(l), nil
}

// NormalizeCRS checks a --crs value and returns its canonical name.
func NormalizeCRS(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	c, err := geo.ParseCRS(s)
	if err != nil {
		return "", err
	}
	return c.String(), nil
}
