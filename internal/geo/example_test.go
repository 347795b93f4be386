package geo_test

import (
	"fmt"

	"github.com/xborder/xborder/internal/geo"
)

func ExampleLocator_Locate() {
	loc, err := geo.Default()
	if err != nil {
		panic(err)
	}
	fmt.Println(loc.Locate(104.0657, 30.6570)) // Chengdu, WGS-84
	fmt.Println(loc.Locate(114.1694, 22.3193)) // Kowloon
	fmt.Println(loc.Locate(-81.3792, 28.5383)) // Orlando
	fmt.Println(loc.PrefectureApproximate())
	// Output:
	// CN/51/510100
	// HK
	// outside
	// true
}

func ExampleLocator_LocateIn() {
	loc, err := geo.Default()
	if err != nil {
		panic(err)
	}
	// A DiDi Chengdu point, recorded in GCJ-02.
	fmt.Println(loc.LocateIn(geo.GCJ02, 104.0817, 30.65705).Prefecture)
	// Output: 510100
}

func ExampleGCJ02ToWGS84() {
	lon, lat := geo.GCJ02ToWGS84(116.41024449916938, 39.91640428150164)
	fmt.Printf("%.9f %.9f\n", lon, lat)
	// Output: 116.404000000 39.915000000
}

func ExampleParseCRS() {
	c, err := geo.ParseCRS("GCJ-02")
	fmt.Println(c, err)
	// Output: gcj02 <nil>
}
