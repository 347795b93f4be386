package geo

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

func mustDefault(t testing.TB) *Locator {
	t.Helper()
	l, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	return l
}

// Positions are WGS-84 city centres (city hall or main square).
var cityCases = []struct {
	name       string
	lon, lat   float64
	prefecture string
}{
	{"Beijing Tiananmen", 116.3974, 39.9087, "110100"},
	{"Shanghai People's Square", 121.4737, 31.2304, "310100"},
	{"Chengdu Tianfu Square", 104.0657, 30.6570, "510100"},
	{"Jinan", 117.1205, 36.6510, "370100"},
	{"Shenzhen Futian", 114.0579, 22.5431, "440300"},
	{"Xiamen", 118.0894, 24.4798, "350200"},
	{"Urumqi", 87.6168, 43.8256, "650100"},
	{"Lhasa", 91.1172, 29.6469, "540100"},
	{"Haikou", 110.3312, 20.0311, "460100"},
	{"Harbin", 126.5350, 45.8038, "230100"},
	{"Guangzhou", 113.2644, 23.1291, "440100"},
	{"Wuhan", 114.3055, 30.5928, "420100"},
	{"Xi'an", 108.9398, 34.3416, "610100"},
	{"Chongqing", 106.5516, 29.5630, "500100"},
	{"Tianjin", 117.2010, 39.0842, "120100"},
	{"Kunming", 102.8329, 24.8801, "530100"},
	{"Hangzhou", 120.1551, 30.2741, "330100"},
	{"Nanjing", 118.7969, 32.0603, "320100"},
	{"Hohhot", 111.7492, 40.8426, "150100"},
	{"Lanzhou", 103.8343, 36.0611, "620100"},
	{"Xining", 101.7782, 36.6171, "630100"},
	{"Yinchuan", 106.2309, 38.4872, "640100"},
	{"Nanning", 108.3665, 22.8170, "450100"},
	{"Guiyang", 106.6302, 26.6477, "520100"},
	{"Shenyang", 123.4315, 41.8057, "210100"},
	{"Changchun", 125.3235, 43.8171, "220100"},
	{"Taiyuan", 112.5489, 37.8706, "140100"},
	{"Shijiazhuang", 114.5149, 38.0428, "130100"},
	{"Zhengzhou", 113.6254, 34.7466, "410100"},
	{"Changsha", 112.9388, 28.2282, "430100"},
	{"Nanchang", 115.8582, 28.6829, "360100"},
	{"Hefei", 117.2272, 31.8206, "340100"},
	{"Fuzhou", 119.2965, 26.0745, "350100"},
	{"Sanya", 109.5119, 18.2528, "460200"},
	{"Kashgar", 75.9898, 39.4677, "653100"},
	{"Qingdao", 120.3826, 36.0671, "370200"},
	{"Dalian", 121.6147, 38.9140, "210200"},
	{"Suzhou", 120.5853, 31.2989, "320500"},
	{"Dongguan", 113.7518, 23.0205, "441900"},
	{"Zhuhai", 113.5767, 22.2707, "440400"},
}

func TestLocateKnownCities(t *testing.T) {
	l := mustDefault(t)
	for _, c := range cityCases {
		t.Run(c.name, func(t *testing.T) {
			got := l.Locate(c.lon, c.lat)
			want := Location{InChina: true, Region: "CN", Province: c.prefecture[:2], Prefecture: c.prefecture}
			if got != want {
				t.Errorf("Locate(%v, %v) = %+v, want %+v", c.lon, c.lat, got, want)
			}
		})
	}
}

func TestLocateOutsideMainland(t *testing.T) {
	l := mustDefault(t)
	cases := []struct {
		name     string
		lon, lat float64
		region   string
	}{
		{"Hong Kong Central", 114.1588, 22.2826, "HK"},
		{"Kowloon", 114.1694, 22.3193, "HK"},
		{"Macao peninsula", 113.5439, 22.1987, "MO"},
		{"Taipei", 121.5654, 25.0330, "TW"},
		{"Kaohsiung", 120.3014, 22.6273, "TW"},
		{"Kinmen", 118.3186, 24.4370, "TW"},
		{"East China Sea", 125.0, 30.0, ""},
		{"Yellow Sea", 123.5, 35.5, ""},
		{"South China Sea", 115.0, 15.0, ""},
		{"Pacific east of Taiwan", 123.5, 23.5, ""},
		{"Orlando", -81.3792, 28.5383, ""},
		{"Ulaanbaatar", 106.9057, 47.8864, ""},
		{"Hanoi", 105.8342, 21.0278, ""},
		{"Seoul", 126.9780, 37.5665, ""},
		{"Pyongyang", 125.7625, 39.0392, ""},
		{"Vladivostok", 131.8869, 43.1155, ""},
		{"Almaty", 76.8512, 43.2220, ""},
		{"Kathmandu", 85.3240, 27.7172, ""},
		{"Tokyo", 139.6917, 35.6895, ""},
		{"Null Island", 0, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := l.Locate(c.lon, c.lat)
			if got != (Location{Region: c.region}) {
				t.Errorf("Locate(%v, %v) = %+v, want outside mainland with region %q", c.lon, c.lat, got, c.region)
			}
		})
	}
}

// The source outline has lakes as holes; the derived outline drops them, so
// a vehicle on a frozen lake or a ferry is still in China.
func TestLocateLakesInside(t *testing.T) {
	l := mustDefault(t)
	cases := []struct {
		name     string
		lon, lat float64
		province string
	}{
		{"Qinghai Lake centre", 100.19, 36.89, "63"},
		{"Qinghai Lake west", 99.85, 36.85, "63"},
		{"Taihu", 120.22, 31.22, "32"},
		{"Poyang Lake", 116.28, 29.10, "36"},
		{"Dianchi", 102.70, 24.85, "53"},
	}
	for _, c := range cases {
		got := l.Locate(c.lon, c.lat)
		if !got.InChina || got.Province != c.province || len(got.Prefecture) != 6 {
			t.Errorf("%s (%v, %v) = %+v, want in China, province %s", c.name, c.lon, c.lat, got, c.province)
		}
	}
}

// Coastal waters: off the 1 km land outline but within 12 nautical miles of
// the mainland (nearer to it than to Hong Kong, Macao or Taiwan), or in the
// Bohai, a point is in mainland China; foreign land near a land border or
// near the Yalu and Beilun mouths, and the sea nearer to Hong Kong or
// Kinmen, are not. Positions WGS-84 unless said.
func TestCoastalWaters(t *testing.T) {
	l := mustDefault(t)
	blon, blat := GCJ02ToWGS84(118.0774, 24.4460) // a Xiamen trajectory point, GCJ-02
	in := []struct {
		name     string
		lon, lat float64
		province string
	}{
		{"Xiamen harbour bridge (GCJ-02 point)", blon, blat, "35"},
		{"Xiamen island, west shore", 118.0723, 24.4432, "35"},
		{"between Xiamen and Kinmen, nearer Xiamen", 118.17, 24.44, "35"},
		{"Bohai, mid-sea (internal waters)", 120.0, 39.0, ""},
		{"Qiongzhou Strait", 110.2, 20.15, "46"},
		{"off Qingdao", 120.55, 35.95, "37"},
	}
	for _, c := range in {
		got := l.Locate(c.lon, c.lat)
		if !got.InChina || got.Region != "CN" || len(got.Prefecture) != 6 || (c.province != "" && got.Province != c.province) {
			t.Errorf("%s (%v, %v) = %+v, want in mainland China (province %q)", c.name, c.lon, c.lat, got, c.province)
		}
	}
	if got := l.Locate(118.17, 24.44); !got.Coastal {
		t.Errorf("sea between Xiamen and Kinmen = %+v, want marked coastal", got)
	}
	out := []struct {
		name     string
		lon, lat float64
		region   string
	}{
		{"Victoria Harbour (nearer Hong Kong land)", 114.17, 22.29, ""},
		{"Macao's waters", 113.60, 22.14, ""},
		{"Kinmen", 118.3186, 24.4370, "TW"},
		{"Blagoveshchensk, 1.5 km across the Amur from Heihe", 127.53, 50.26, ""},
		{"Sinuiju, across the Yalu from Dandong", 124.40, 40.10, ""},
		{"Sindo, DPRK islands at the Yalu mouth", 124.22, 39.83, ""},
		{"Mong Cai, across the Beilun from Dongxing", 107.97, 21.52, ""},
		{"Tra Co, Vietnam's coast east of the Beilun mouth", 108.03, 21.46, ""},
		{"Zamyn-Uud, across the border from Erenhot", 111.90, 43.72, ""},
		{"Bohai Strait, east of the Laotieshan-Penglai line", 122.0, 38.0, ""},
		{"Yellow Sea, 100 km out", 123.5, 35.5, ""},
		{"Gulf of Tonkin, Vietnam's side", 107.72, 20.13, ""},
	}
	for _, c := range out {
		if got := l.Locate(c.lon, c.lat); got != (Location{Region: c.region}) {
			t.Errorf("%s (%v, %v) = %+v, want outside mainland China (region %q)", c.name, c.lon, c.lat, got, c.region)
		}
	}
}

// The coastal-waters answer equals a brute-force one: distance to every
// outline segment, no index, no grid.
func TestCoastalWatersBruteForce(t *testing.T) {
	l, err := loadDefault()
	if err != nil {
		t.Fatal(err)
	}
	l.fineAfter = 1
	o, err := builtinOutline()
	if err != nil {
		t.Fatal(err)
	}
	dist := func(ss [][]seg, x, y, k float64) float64 {
		best := math.Inf(1)
		for _, s := range ss {
			for i := range s {
				best = min(best, segDist2(&s[i], x, y, k))
			}
		}
		return math.Sqrt(best) * kmPerDeg
	}
	rng := rand.New(rand.NewPCG(8, 9))
	coastal := 0
	for range 3000 {
		// Near the coast: a random outline vertex between the Yalu and the
		// Beilun, moved up to 40 km.
		s := o.cnSegs[0][rng.IntN(len(o.cnSegs[0]))]
		if o.waters.find(s.a.x, s.a.y) != 1 {
			continue
		}
		x, y := s.a.x+(rng.Float64()-0.5)*0.8, s.a.y+(rng.Float64()-0.5)*0.7
		got := l.Locate(x, y)
		if o.sar.find(x, y) >= 0 || o.cn.find(x, y) >= 0 {
			continue
		}
		w := o.waters.find(x, y)
		k := l.rowCos(y)
		want := w == 0 || (w == 1 && dist(o.cnSegs, x, y, k) <= coastBuffer && dist(o.cnSegs, x, y, k) < dist(o.sarSegs, x, y, k))
		if got.Coastal != want || got.InChina != want {
			t.Fatalf("Locate(%v, %v) = %+v, brute force says coastal=%v", x, y, got, want)
		}
		if want {
			coastal++
		}
	}
	if coastal < 300 {
		t.Fatalf("only %d coastal points tried", coastal)
	}
}

// The hand-drawn sea mask and Bohai run on Chinese land wherever they are
// not at sea, so they never cut coastal waters off: sample their inland
// edges every kilometre or so.
func TestWatersPolygons(t *testing.T) {
	o, err := builtinOutline()
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, poly []point, edges []int) {
		for _, e := range edges {
			a, b := poly[e], poly[e+1]
			n := int(math.Hypot(b.x-a.x, b.y-a.y)*100) + 1
			for i := 1; i < n; i++ {
				f := float64(i) / float64(n)
				if f < 0.03 && e == edges[0] || f > 0.97 && e == edges[len(edges)-1] {
					continue // the ends meet the coast
				}
				x, y := a.x+(b.x-a.x)*f, a.y+(b.y-a.y)*f
				if o.cn.find(x, y) < 0 {
					t.Errorf("%s edge %d at (%.3f, %.3f) is not on mainland land", name, e, x, y)
					break
				}
			}
		}
	}
	check("sea mask", seaMask, []int{11, 12, 13, 14, 15, 16, 17, 0})
	check("Bohai", bohai, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
}

// Locate is on the scan's hot path: no allocation per point, whichever way
// it answers (grid cell, nearest seed, coastal distance, exact test), with
// the built-in boundaries and with a user's.
func TestLocateAllocationFree(t *testing.T) {
	user, err := ReadBoundaries("b.geojson", []byte(fc(feat(`{"adcode":"350200"}`,
		`{"type":"Polygon","coordinates":[[[117.8,24.3],[118.4,24.3],[118.4,24.7],[117.8,24.7],[117.8,24.3]]]}`))), WGS84)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	pts := clusterPoints(rng, 2000)
	for range 2000 { // near the coast of Fujian and Guangdong, coastal or not
		pts = append(pts, [2]float64{113 + rng.Float64()*7, 22 + rng.Float64()*4})
	}
	for range 2000 {
		pts = append(pts, [2]float64{73 + rng.Float64()*62, 18 + rng.Float64()*36})
	}
	for _, l := range []*Locator{mustDefault(t), user} {
		for _, p := range pts { // build the blocks first, as a long scan has
			l.Locate(p[0], p[1])
		}
		i := 0
		if n := testing.AllocsPerRun(20000, func() {
			p := pts[i%len(pts)]
			i++
			l.Locate(p[0], p[1])
			l.LocateIn(GCJ02, p[0], p[1])
		}); n != 0 {
			t.Errorf("%s: %v allocations per Locate", l.Description()[:20], n)
		}
	}
}

func TestLocateNonFinite(t *testing.T) {
	l := mustDefault(t)
	nan, inf := math.NaN(), math.Inf(1)
	for _, p := range [][2]float64{{nan, 30}, {104, nan}, {inf, 30}, {104, -inf}, {nan, nan}, {1e308, 1e308}, {-1e308, 30}} {
		if got := l.Locate(p[0], p[1]); got != (Location{}) {
			t.Errorf("Locate(%v, %v) = %+v, want outside", p[0], p[1], got)
		}
	}
}

func TestLocationInvariants(t *testing.T) {
	l := mustDefault(t)
	for i, loc := range l.results {
		switch {
		case loc == (Location{}):
		case loc.InChina:
			if loc.Region != "CN" || len(loc.Province) != 2 || len(loc.Prefecture) != 6 || loc.Prefecture[:2] != loc.Province {
				t.Errorf("result %d = %+v: inconsistent mainland location", i, loc)
			}
			if municipalities[loc.Province] && loc.Prefecture != loc.Province+"0100" {
				t.Errorf("result %d = %+v: municipality must report %s0100", i, loc, loc.Province)
			}
		default:
			if loc.Region != "HK" && loc.Region != "MO" && loc.Region != "TW" || loc.Province != "" || loc.Prefecture != "" {
				t.Errorf("result %d = %+v: outside mainland must carry only a region", i, loc)
			}
		}
	}
}

func TestDefaultIsShared(t *testing.T) {
	a, b := mustDefault(t), mustDefault(t)
	if a != b {
		t.Fatal("Default built twice")
	}
	if !a.PrefectureApproximate() {
		t.Error("built-in prefectures must be reported approximate")
	}
	if a.Description() == "" {
		t.Error("empty description")
	}
}

// Every shortcut of the grid must agree with the exact tests. A fresh
// locator that builds fine blocks on first use, so they are checked too.
func TestGridMatchesExact(t *testing.T) {
	l, err := loadDefault()
	if err != nil {
		t.Fatal(err)
	}
	l.fineAfter = 1
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(lon, lat float64) {
		t.Helper()
		if got, want := l.Locate(lon, lat), l.locateExact(lon, lat); got != want {
			t.Fatalf("Locate(%v, %v) = %+v, exact test gives %+v", lon, lat, got, want)
		}
	}
	for range 50000 {
		check(72+rng.Float64()*65, 15+rng.Float64()*40)
	}
	for _, p := range clusterPoints(rng, 50000) {
		check(p[0], p[1])
	}
	// Points within tens of metres of boundary segments, where the grid
	// defers to fine blocks or the exact test.
	segs := l.grid.segs
	for range 2000 {
		s := segs[rng.IntN(len(segs))]
		for range 25 {
			t := rng.Float64()
			check(s.a.x+(s.b.x-s.a.x)*t+rng.NormFloat64()*3e-4, s.a.y+(s.b.y-s.a.y)*t+rng.NormFloat64()*3e-4)
		}
	}
	// Corners of cells, subcells and fine cells, where rounding decides
	// which cell a point is in.
	g := &l.grid
	for range 20000 {
		ix, iy := rng.IntN(g.nx*subN*fineN), rng.IntN(g.ny*subN*fineN)
		x := g.ox + float64(ix)*g.cell/(subN*fineN)
		y := g.oy + float64(iy)*g.cell/(subN*fineN)
		check(x, y)
		check(math.Nextafter(x, -1000), math.Nextafter(y, -1000))
	}
}

func TestLocateConcurrent(t *testing.T) {
	l, err := loadDefault() // a fresh locator, so blocks are built concurrently
	if err != nil {
		t.Fatal(err)
	}
	l.fineAfter = 1
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(7, uint64(w)))
			for _, p := range clusterPoints(rng, 20000) {
				if got, want := l.Locate(p[0], p[1]), l.locateExact(p[0], p[1]); got != want {
					errs <- got.String() + " != " + want.String()
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// clusterPoints returns positions scattered around Chinese city centres
// (normal, sigma about 8 km), the shape of real fleet telemetry.
func clusterPoints(rng *rand.Rand, n int) [][2]float64 {
	out := make([][2]float64, n)
	for i := range out {
		c := cityCases[rng.IntN(len(cityCases))]
		out[i] = [2]float64{c.lon + rng.NormFloat64()*0.08, c.lat + rng.NormFloat64()*0.07}
	}
	return out
}

func TestName(t *testing.T) {
	cases := []struct{ code, want string }{
		{"51", "四川省"}, {"510000", "四川省"}, {"510100", "成都市"}, {"110100", "北京市"},
		{"500100", "重庆市"}, {"429004", "仙桃市"}, {"659001", "石河子市"}, {"81", "香港特别行政区"},
	}
	for _, c := range cases {
		if got, ok := Name(c.code); !ok || got != c.want {
			t.Errorf("Name(%q) = %q, %v; want %q", c.code, got, ok, c.want)
		}
	}
	for _, c := range []string{"", "99", "999999", "5101"} {
		if got, ok := Name(c); ok {
			t.Errorf("Name(%q) = %q, want not found", c, got)
		}
	}
}
