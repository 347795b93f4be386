// Package geo places WGS-84 positions in mainland China, its provinces and
// its prefecture-level regions (GB/T 2260 codes), and converts between the
// coordinate systems Chinese location data comes in (WGS-84, GCJ-02, BD-09).
//
// The built-in boundaries are derived from openly licensed data (see
// data/README.md): the mainland outline from OpenStreetMap, provinces from
// Natural Earth, and prefectures approximated by the nearest GeoNames place of
// the province, because no openly licensed prefecture polygons exist; the
// land outline is widened by China's coastal waters (coast.go). Users with
// licensed boundaries load them with LoadBoundaries: they place points in
// provinces and prefectures, while in or out of mainland China stays the
// built-in outline's answer.
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
	// (e.g. 429004). Empty when unknown (with user boundaries, a point in
	// mainland China but in none of their features has neither).
	Prefecture string `json:"prefecture,omitempty"`
	// Coastal marks a mainland point in coastal waters: off the land
	// outline but within 12 nautical miles of it (nearer to it than to Hong
	// Kong, Macao or Taiwan), or in the Bohai. See coast.go.
	Coastal bool `json:"coastal,omitempty"`
}

func (l Location) String() string {
	switch {
	case l.InChina && l.Coastal:
		return "CN/" + l.Province + "/" + l.Prefecture + " (coastal waters)"
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
	creditGeoNames

const (
	creditOSM      = "Mainland outline © OpenStreetMap contributors (ODbL 1.0)"
	creditGeoNames = "contains data from GeoNames (geonames.org), CC BY 4.0, modified"
)

// step is one stage of the exact classification: the first feature of the
// layer containing the point decides (out), unless the step is a gate, which
// only lets points inside one of its features go on to later steps (and,
// when the locator has coastal waters, points in them, marked coastal).
type step struct {
	layer *layer
	out   []uint16 // per feature: result index, or seedFlag|set
	gate  bool
}

// resolver settles a class that the polygon tests leave open: the nearest
// seed's prefecture (seed) or the coastal-waters distance test (coast); one
// of the two is set. A struct rather than an interface, so that the probe
// a lookup builds on its stack stays there (no allocation per point).
type resolver struct {
	seed  *seedSet
	coast *coastSet
}

func (r *resolver) locate(p *probe) uint16 {
	if r.coast != nil {
		return r.coast.locate(p)
	}
	return r.seed.locate(p)
}

// uniformWithin returns p's result and whether every point of the cell
// centred on p (angular radius r; half-width hw and half-height hh in
// degrees) has the same one.
func (r *resolver) uniformWithin(p *probe, ang, hw, hh float64) (uint16, bool) {
	if r.coast != nil {
		return r.coast.uniformWithin(p, ang, hw, hh)
	}
	return r.seed.uniformWithin(p, ang, hw, hh)
}

// Locator answers Locate. It is immutable after construction apart from the
// lazily built grid blocks, which are published atomically, so one Locator is
// safe for concurrent use.
type Locator struct {
	steps    []step
	fallback uint16     // class when no step decides
	sets     []resolver // class seedFlag|i defers to sets[i]
	results  []Location

	// Coastal waters (nil for a locator without them): waters is the layer
	// of the Bohai (feature 0) and the sea mask (1); for each class a point
	// off the land outline would get, coastVariant is its coastal twin
	// (used in the Bohai) and coastDeferred the coastSet deciding by
	// distance elsewhere in the mask.
	waters        *layer
	coast         *coastIndex
	coastVariant  map[uint16]uint16
	coastDeferred map[uint16]uint16
	grid          grid
	approx        bool
	desc          string
	id            string
	notes         []string
	credit        string
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
	return l.sets[v&^seedFlag].locate(&p)
}

// classify runs the exact polygon tests: a result index, or seedFlag|set when
// a resolver decides (the nearest seed's prefecture, the coastal distance).
func (l *Locator) classify(x, y float64) uint16 {
	coastal, internal := false, false
	for i := range l.steps {
		st := &l.steps[i]
		f := st.layer.find(x, y)
		if st.gate {
			if f < 0 {
				w := l.waters.find(x, y)
				if w < 0 {
					return 0
				}
				coastal, internal = true, w == 0
			}
			continue
		}
		if f >= 0 {
			return l.coastClass(st.out[f], coastal, internal)
		}
	}
	return l.coastClass(l.fallback, coastal, internal)
}

// coastClass maps class c to its coastal form for a point off the land outline.
func (l *Locator) coastClass(c uint16, coastal, internal bool) uint16 {
	switch {
	case !coastal:
		return c
	case internal:
		return l.coastVariant[c]
	}
	return l.coastDeferred[c]
}

// PrefectureApproximate reports whether prefectures come from the
// nearest-place method (the built-in data, or user boundaries with provinces
// only) rather than from prefecture polygons. Output must say so when true.
func (l *Locator) PrefectureApproximate() bool { return l.approx }

// Description says where the boundaries came from and how prefectures are
// assigned, for reports.
func (l *Locator) Description() string { return l.desc }

// ID identifies the boundaries and method: "built-in:" and a digest of the
// embedded data, or "file:" and a digest of a user file with its coordinate
// system. Equal IDs place every point the same way, so results made with
// them can be combined (scan sketches compare it).
func (l *Locator) ID() string { return l.id }

// Notes are what loading the boundaries needs to tell a reader of the
// results: features skipped and why, features not used.
func (l *Locator) Notes() []string { return append([]string(nil), l.notes...) }

// Attribution is the credit the data behind this locator requires wherever
// results derived from it are published: all of geo.Attribution for the
// built-in boundaries; for user boundaries, OpenStreetMap's for the outline
// that decides in or out (and GeoNames' when prefectures come from its
// places); "" when nothing built in is used.
func (l *Locator) Attribution() string { return l.credit }

// Coastal reports whether the locator counts coastal waters as mainland.
func (l *Locator) Coastal() bool { return l.coast != nil }

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

func (b *builder) seedSet(s []seed) (uint16, error) { return b.set(resolver{seed: newSeedSet(s)}) }

func (b *builder) set(r resolver) (uint16, error) {
	if len(b.l.sets) >= maxSets {
		return 0, errors.New("too many seed sets")
	}
	b.l.sets = append(b.l.sets, r)
	return seedFlag | uint16(len(b.l.sets)-1), nil
}

// addCoast gives the locator coastal waters, with the gate at step gate:
// every class a later step or the fallback can give gets a coastal twin and
// a coastSet. Call once the steps and the fallback are final.
func (b *builder) addCoast(waters *layer, idx *coastIndex, gate int) error {
	l := b.l
	l.waters, l.coast = waters, idx
	l.coastVariant, l.coastDeferred = map[uint16]uint16{}, map[uint16]uint16{}
	classes := []uint16{l.fallback}
	for _, st := range l.steps[gate+1:] {
		classes = append(classes, st.out...)
	}
	for _, c := range classes {
		if _, done := l.coastVariant[c]; done {
			continue
		}
		v, err := b.coastalTwin(c)
		if err != nil {
			return err
		}
		d, err := b.set(resolver{coast: &coastSet{l: l, inner: v}})
		if err != nil {
			return err
		}
		l.coastVariant[c], l.coastDeferred[c] = v, d
	}
	return nil
}

// coastalTwin returns class c with every result marked Coastal.
func (b *builder) coastalTwin(c uint16) (uint16, error) {
	twin := func(r uint16) (uint16, error) {
		loc := b.l.results[r]
		if !loc.InChina {
			return r, nil
		}
		loc.Coastal = true
		return b.result(loc)
	}
	if c < seedFlag {
		return twin(c)
	}
	s := b.l.sets[c&^seedFlag].seed
	if s == nil {
		return 0, errors.New("coastal twin of a class that is not a seed set")
	}
	n := &seedSet{pts: append([]kdPoint(nil), s.pts...), axis: s.axis, same: append([]int32(nil), s.same...), single: s.single}
	for i := range n.pts {
		r, err := twin(n.pts[i].res)
		if err != nil {
			return 0, err
		}
		n.pts[i].res = r
	}
	for i, v := range n.same {
		if v >= 0 {
			r, err := twin(uint16(v))
			if err != nil {
				return 0, err
			}
			n.same[i] = int32(r)
		}
	}
	if n.single >= 0 {
		r, err := twin(uint16(n.single))
		if err != nil {
			return 0, err
		}
		n.single = int32(r)
	}
	return b.set(resolver{seed: n})
}

func mainlandLocation(code string) Location {
	return Location{InChina: true, Region: "CN", Province: code[:2], Prefecture: prefectureFor(code)}
}
