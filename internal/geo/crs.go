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
	// The published formula takes sines of pi*x at 6, 2, 1, 1/3, 1/12 and
	// 1/30 times, and of pi*y at 1, 1/3, 1/12 and 1/30 times. Multiple-angle
	// identities give most of them from three sincos calls, which halves the
	// cost; the results agree with the direct formula to about 1e-15 degrees.
	sx1, cx1 := math.Sincos(x * math.Pi)
	sx2 := 2 * sx1 * cx1         // sin(2 pi x)
	sx6 := sx2 * (3 - 4*sx2*sx2) // sin(6 pi x) = sin(3 * 2 pi x)
	sx12, cx12 := math.Sincos(x * math.Pi / 12)
	sx3 := 4 * sx12 * cx12 * (1 - 2*sx12*sx12) // sin(pi x / 3) = sin(4 * pi x / 12)
	sx30 := math.Sin(x * math.Pi / 30)
	sy12, cy12 := math.Sincos(y * math.Pi / 12)
	sy3 := 4 * sy12 * cy12 * (1 - 2*sy12*sy12) // sin(pi y / 3)
	sy1 := sy3 * (3 - 4*sy3*sy3)               // sin(pi y) = sin(3 * pi y / 3)
	sy30 := math.Sin(y * math.Pi / 30)

	common := (20.0*sx6 + 20.0*sx2) * 2.0 / 3.0
	dLat = -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	dLat += common
	dLat += (20.0*sy1 + 40.0*sy3) * 2.0 / 3.0
	dLat += (160.0*sy12 + 320*sy30) * 2.0 / 3.0
	dLon = 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	dLon += common
	dLon += (20.0*sx1 + 40.0*sx3) * 2.0 / 3.0
	dLon += (150.0*sx12 + 300.0*sx30) * 2.0 / 3.0

	sinLat, cosLat := math.Sincos(lat / 180.0 * math.Pi)
	magic := 1 - krasovskyE2*sinLat*sinLat
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((krasovskyA * (1 - krasovskyE2)) / (magic * sqrtMagic) * math.Pi)
	dLon = (dLon * 180.0) / (krasovskyA / sqrtMagic * cosLat * math.Pi)
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
// degrees inside China (typically 1e-12). The common one-step inverse
// (subtract the offset evaluated at the GCJ position) is off by up to
// 5.4e-5 degrees (6 m).
// Positions outside the GCJ-02 rectangle are returned unchanged.
func GCJ02ToWGS84(lon, lat float64) (float64, float64) {
	if OutsideGCJArea(lon, lat) {
		return lon, lat
	}
	// Each step shrinks the error about a thousandfold (the offset changes
	// slowly with position), so once a correction is below 1e-9 degrees the
	// corrected point is within about 1e-12 and no further check is needed.
	wLon, wLat := lon, lat
	for range 30 {
		gLon, gLat := WGS84ToGCJ02(wLon, wLat)
		eLon, eLat := gLon-lon, gLat-lat
		wLon -= eLon
		wLat -= eLat
		if math.Abs(eLon) < 1e-9 && math.Abs(eLat) < 1e-9 {
			break
		}
	}
	return wLon, wLat
}

// gcj02ToWGS84Approx is the common one-step inverse: subtract the offset
// evaluated at the GCJ-02 position. It is off by up to 5.4e-5 degrees (6 m)
// over China's bounding box, typically under 1e-5, which does not matter for
// telling which region a point is in.
func gcj02ToWGS84Approx(lon, lat float64) (float64, float64) {
	if OutsideGCJArea(lon, lat) {
		return lon, lat
	}
	dLon, dLat := gcjDelta(lon, lat)
	return lon - dLon, lat - dLat
}

// bd09ToGCJ02Approx is the published one-step BD-09 inverse (about 1e-6
// degrees).
func bd09ToGCJ02Approx(lon, lat float64) (float64, float64) {
	x, y := lon-0.0065, lat-0.006
	z := math.Sqrt(x*x+y*y) - 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*bdXPi)
	return z * math.Cos(theta), z * math.Sin(theta)
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
	gLon, gLat := bd09ToGCJ02Approx(lon, lat)
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
