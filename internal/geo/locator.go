// Package geo places WGS-84 positions in mainland China, its provinces and
// its prefecture-level regions (GB/T 2260 codes), and converts between the
// coordinate systems Chinese location data comes in (WGS-84, GCJ-02, BD-09).
//
// The built-in boundaries are derived from openly licensed data (see
// data/README.md): the mainland outline from OpenStreetMap, provinces from
// Natural Earth, and prefectures approximated by the nearest GeoNames place of
// the province, because no openly licensed prefecture polygons exist. Users
// with licensed boundaries load them with LoadBoundaries.
//
// Pure: nothing here reads the clock or the network; only LoadBoundaries reads
// the file it is given.
package geo

import "errors"

// Location is where a position falls. Hong Kong, Macao and Taiwan are outside
// mainland China ("abroad" for export law): they set Region but not InChina.
type Location struct {
	// InChina is true for mainland China.
	InChina bool `json:"in_china"`
	// Region is "CN" (mainland), "HK", "MO", "TW", or "" elsewhere.
	Region string `json:"region,omitempty"`
	// Province is the 2-digit GB/T 2260 province code, e.g. "51"; mainland only.
	Province string `json:"province,omitempty"`
	// Prefecture is the 6-digit prefecture-level code, e.g. "510100".
	// Municipalities report one code each (110100, 120100, 310100, 500100);
	// county-level units a province administers directly keep their own code
	// (e.g. 429004). Empty when unknown.
	Prefecture string `json:"prefecture,omitempty"`
}

func (l Location) String() string {
	switch {
	case l.InChina:
		return "CN/" + l.Province + "/" + l.Prefecture
	case l.Region != "":
		return l.Region
	}
	return "outside"
}

// Attribution is the credit the built-in boundary data requires wherever
// results derived from it are published.
const Attribution = "Boundaries © OpenStreetMap contributors (ODbL 1.0); provinces from Natural Earth (public domain); " +
	"contains data from GeoNames (geonames.org), CC BY 4.0, modified"

// step is one stage of the exact classification: the first feature of the
// layer containing the point decides (out), unless the step is a gate, which
// only lets points inside one of its features go on to later steps.
type step struct {
	layer *layer
	out   []uint16 // per feature: result index, or seedFlag|seed set
	gate  bool
}

// Locator answers Locate. It is immutable after construction apart from the
// lazily built grid blocks, which are published atomically, so one Locator is
// safe for concurrent use.
type Locator struct {
	steps    []step
	fallback uint16 // class when no step decides
	seedSets []*seedSet
	results  []Location
	grid     grid
	approx   bool
	desc     string
	// fineAfter is the grid's build threshold for fine blocks (see the
	// constant); tests set it to 1 to exercise fine blocks everywhere.
	fineAfter uint32
}

// Locate returns where a WGS-84 position (degrees) falls. Non-finite input is
// outside. For GCJ-02 or BD-09 input use LocateIn, or ToWGS84 first.
func (l *Locator) Locate(lon, lat float64) Location {
	g := &l.grid
	fx := (lon - g.ox) * g.inv
	fy := (lat - g.oy) * g.inv
	if !(fx >= 0 && fy >= 0 && fx < g.fnx && fy < g.fny) {
		return Location{}
	}
	ix, iy := int(fx), int(fy)
	e := g.l1[iy*g.nx+ix]
	if e&blockBit == 0 {
		return l.results[e]
	}
	b := g.blocks[e&^blockBit].Load()
	if b == nil {
		b = l.block(e &^ blockBit)
	}
	fx, fy = (fx-float64(ix))*subN, (fy-float64(iy))*subN
	sx, sy := min(int(fx), subN-1), min(int(fy), subN-1)
	v := b.cells[sy*subN+sx]
	if v < seedFlag {
		return l.results[v]
	}
	if v >= fineFlag {
		k := v &^ fineFlag
		fb := b.fine[k].Load()
		if fb == nil {
			fb = l.fineBlock(b, iy*g.nx+ix, k)
		}
		if fb == nil {
			return l.results[l.resolve(lon, lat, slowFull)]
		}
		fx := min(int((fx-float64(sx))*fineN), fineN-1)
		fy := min(int((fy-float64(sy))*fineN), fineN-1)
		v = fb[fy*fineN+fx]
		if v < seedFlag {
			return l.results[v]
		}
	}
	return l.results[l.resolve(lon, lat, v)]
}

// LocateIn is Locate for a position in crs. GCJ-02 and BD-09 positions are
// brought to WGS-84 with the one-step inverses (within 6 m, typically under
// 1 m; far below the boundaries' own accuracy), which cost one evaluation of
// the offset instead of the four or five the exact GCJ02ToWGS84 needs. Use ToWGS84
// when the converted position itself is wanted.
func (l *Locator) LocateIn(crs CRS, lon, lat float64) Location {
	switch crs {
	case GCJ02:
		lon, lat = gcj02ToWGS84Approx(lon, lat)
	case BD09:
		lon, lat = gcj02ToWGS84Approx(bd09ToGCJ02Approx(lon, lat))
	}
	return l.Locate(lon, lat)
}

// locateExact answers without the grid; tests compare it with Locate.
func (l *Locator) locateExact(lon, lat float64) Location {
	g := &l.grid
	fx := (lon - g.ox) * g.inv
	fy := (lat - g.oy) * g.inv
	if !(fx >= 0 && fy >= 0 && fx < g.fnx && fy < g.fny) {
		return Location{}
	}
	return l.results[l.resolve(lon, lat, slowFull)]
}

// resolve finishes a lookup the grid could not answer alone.
func (l *Locator) resolve(lon, lat float64, v uint16) uint16 {
	if v == slowFull {
		v = l.classify(lon, lat)
		if v < seedFlag {
			return v
		}
	}
	p := newProbe(lon, lat)
	return l.seedSets[v&^seedFlag].locate(&p)
}

// classify runs the exact polygon tests: a result index, or seedFlag|set when
// the prefecture is the nearest seed's.
func (l *Locator) classify(x, y float64) uint16 {
	for i := range l.steps {
		st := &l.steps[i]
		f := st.layer.find(x, y)
		if st.gate {
			if f < 0 {
				return 0
			}
			continue
		}
		if f >= 0 {
			return st.out[f]
		}
	}
	return l.fallback
}

// PrefectureApproximate reports whether prefectures come from the
// nearest-place method (the built-in data, or user boundaries with provinces
// only) rather than from prefecture polygons. Output must say so when true.
func (l *Locator) PrefectureApproximate() bool { return l.approx }

// Description says where the boundaries came from and how prefectures are
// assigned, for reports.
func (l *Locator) Description() string { return l.desc }

// builder collects results and seed sets while a Locator is put together.
type builder struct {
	l     *Locator
	index map[Location]uint16
}

func newBuilder() *builder {
	l := &Locator{results: []Location{{}}, fineAfter: fineAfter}
	return &builder{l: l, index: map[Location]uint16{{}: 0}}
}

func (b *builder) result(loc Location) (uint16, error) {
	if i, ok := b.index[loc]; ok {
		return i, nil
	}
	if len(b.l.results) >= int(seedFlag) {
		return 0, errors.New("too many distinct regions")
	}
	i := uint16(len(b.l.results))
	b.l.results = append(b.l.results, loc)
	b.index[loc] = i
	return i, nil
}

func (b *builder) seedSet(s []seed) (uint16, error) {
	if len(b.l.seedSets) >= maxSets {
		return 0, errors.New("too many seed sets")
	}
	b.l.seedSets = append(b.l.seedSets, newSeedSet(s))
	return seedFlag | uint16(len(b.l.seedSets)-1), nil
}

func mainlandLocation(code string) Location {
	return Location{InChina: true, Region: "CN", Province: code[:2], Prefecture: prefectureFor(code)}
}
