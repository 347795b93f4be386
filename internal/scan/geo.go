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
	return &Geo{Locator: locator{l}, ToWGS84: toWGS84, Approximate: l.PrefectureApproximate(), Description: l.Description(), direct: l}
}

// LoadGeo returns the embedded default boundaries, or those of a GeoJSON
// file with GB/T 2260 codes when path is not empty.
func LoadGeo(path string) (*Geo, error) {
	var l *geo.Locator
	var err error
	if path == "" {
		l, err = geo.Default()
	} else {
		l, err = geo.LoadBoundaries(path)
	}
	if err != nil {
		if path == "" {
			return nil, fmt.Errorf("default boundaries: %w", err)
		}
		return nil, err
	}
	g := FromLocator(l)
	if path == "" {
		g.Attribution = geo.Attribution
	}
	return g, nil
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
