package geo

import (
	"fmt"
	"math"
	"strings"
)

// CRS is a geographic coordinate system used for Chinese location data.
// The zero value is WGS84.
type CRS uint8

const (
	// WGS84 is raw GPS (EPSG:4326 axis order lon, lat).
	WGS84 CRS = iota
	// GCJ02 is the official Chinese obfuscated system ("Mars coordinates"):
	// AMap, Tencent, DataV, DiDi and most apps selling in China.
	GCJ02
	// BD09 is Baidu's further offset of GCJ-02.
	BD09
)

var crsNames = [...]string{WGS84: "wgs84", GCJ02: "gcj02", BD09: "bd09"}

// String returns the canonical name: "wgs84", "gcj02" or "bd09".
func (c CRS) String() string {
	if int(c) < len(crsNames) {
		return crsNames[c]
	}
	return fmt.Sprintf("CRS(%d)", uint8(c))
}

// ParseCRS reads a coordinate system name. Case, hyphens, underscores and
// spaces are ignored, so "WGS-84", "gcj_02" and "BD09" are all accepted;
// "epsg:4326" means WGS84.
func ParseCRS(s string) (CRS, error) {
	k := strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', ' ':
			return -1
		}
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, strings.TrimSpace(s))
	switch k {
	case "wgs84", "epsg:4326", "gps":
		return WGS84, nil
	case "gcj02", "gcj", "mars":
		return GCJ02, nil
	case "bd09", "bd09ll", "baidu":
		return BD09, nil
	}
	return 0, fmt.Errorf("unknown coordinate system %q (want wgs84, gcj02 or bd09)", s)
}

// Set implements pflag.Value so a CRS can be a command-line flag.
func (c *CRS) Set(s string) error {
	v, err := ParseCRS(s)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Type implements pflag.Value.
func (c *CRS) Type() string { return "crs" }

// MarshalText implements encoding.TextMarshaler.
func (c CRS) MarshalText() ([]byte, error) {
	if int(c) >= len(crsNames) {
		return nil, fmt.Errorf("invalid CRS %d", uint8(c))
	}
	return []byte(crsNames[c]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *CRS) UnmarshalText(b []byte) error { return c.Set(string(b)) }

// ToWGS84 converts a position in crs to WGS-84. Unknown systems return the
// input unchanged.
func ToWGS84(crs CRS, lon, lat float64) (float64, float64) {
	switch crs {
	case GCJ02:
		return GCJ02ToWGS84(lon, lat)
	case BD09:
		return BD09ToWGS84(lon, lat)
	}
	return lon, lat
}

// FromWGS84 converts a WGS-84 position to crs.
func FromWGS84(crs CRS, lon, lat float64) (float64, float64) {
	switch crs {
	case GCJ02:
		return WGS84ToGCJ02(lon, lat)
	case BD09:
		return WGS84ToBD09(lon, lat)
	}
	return lon, lat
}

// GCJ-02 is the published "Krasovsky 1940 + nonlinear offset" algorithm that
// every open reimplementation (eviltransform, coordtransform) shares.
const (
	krasovskyA  = 6378245.0
	krasovskyE2 = 0.00669342162296594323
	bdXPi       = math.Pi * 3000.0 / 180.0
)

// OutsideGCJArea reports whether a position lies outside the rectangle in which
// GCJ-02 applies its offset. The rectangle, not China's border, is the
// standard behaviour: map providers leave positions outside it unshifted.
func OutsideGCJArea(lon, lat float64) bool {
	return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271)
}

func gcjDelta(lon, lat float64) (dLon, dLat float64) {
	x, y := lon-105.0, lat-35.0
	dLat = -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	dLat += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	dLat += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	dLat += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	dLon = 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	dLon += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	dLon += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	dLon += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0

	radLat := lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - krasovskyE2*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((krasovskyA * (1 - krasovskyE2)) / (magic * sqrtMagic) * math.Pi)
	dLon = (dLon * 180.0) / (krasovskyA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return dLon, dLat
}

// WGS84ToGCJ02 applies the GCJ-02 offset. Positions outside the GCJ-02
// rectangle (and non-finite input) are returned unchanged.
func WGS84ToGCJ02(lon, lat float64) (float64, float64) {
	if OutsideGCJArea(lon, lat) {
		return lon, lat
	}
	dLon, dLat := gcjDelta(lon, lat)
	return lon + dLon, lat + dLat
}

// GCJ02ToWGS84 inverts GCJ-02 by fixed-point iteration, to better than 1e-9
// degrees inside China. The common one-step inverse (subtract the offset
// evaluated at the GCJ position) is off by up to about 1e-5 degrees (1-2 m).
// Positions outside the GCJ-02 rectangle are returned unchanged.
func GCJ02ToWGS84(lon, lat float64) (float64, float64) {
	if OutsideGCJArea(lon, lat) {
		return lon, lat
	}
	wLon, wLat := lon, lat
	for range 30 {
		gLon, gLat := WGS84ToGCJ02(wLon, wLat)
		eLon, eLat := gLon-lon, gLat-lat
		wLon -= eLon
		wLat -= eLat
		if math.Abs(eLon) < 1e-11 && math.Abs(eLat) < 1e-11 {
			break
		}
	}
	return wLon, wLat
}

// GCJ02ToBD09 applies Baidu's offset to a GCJ-02 position.
func GCJ02ToBD09(lon, lat float64) (float64, float64) {
	z := math.Sqrt(lon*lon+lat*lat) + 0.00002*math.Sin(lat*bdXPi)
	theta := math.Atan2(lat, lon) + 0.000003*math.Cos(lon*bdXPi)
	return z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006
}

// BD09ToGCJ02 inverts Baidu's offset. The published one-step inverse is exact
// only to about 1e-6 degrees, so it is refined by fixed-point iteration until
// GCJ02ToBD09 reproduces the input to 1e-11 degrees.
func BD09ToGCJ02(lon, lat float64) (float64, float64) {
	if math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0) {
		return lon, lat
	}
	x, y := lon-0.0065, lat-0.006
	z := math.Sqrt(x*x+y*y) - 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*bdXPi)
	gLon, gLat := z*math.Cos(theta), z*math.Sin(theta)
	for range 10 {
		bLon, bLat := GCJ02ToBD09(gLon, gLat)
		eLon, eLat := bLon-lon, bLat-lat
		if math.Abs(eLon) < 1e-11 && math.Abs(eLat) < 1e-11 {
			break
		}
		gLon -= eLon
		gLat -= eLat
	}
	return gLon, gLat
}

// WGS84ToBD09 converts WGS-84 to BD-09 through GCJ-02.
func WGS84ToBD09(lon, lat float64) (float64, float64) {
	return GCJ02ToBD09(WGS84ToGCJ02(lon, lat))
}

// BD09ToWGS84 converts BD-09 to WGS-84 through GCJ-02.
func BD09ToWGS84(lon, lat float64) (float64, float64) {
	return GCJ02ToWGS84(BD09ToGCJ02(lon, lat))
}
