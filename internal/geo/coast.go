package geo

import "math"

// Coastal waters. The built-in mainland outline is land only (OpenStreetMap,
// 1 km), so a vehicle on a bridge, a ferry or a harbour road just off its
// coastline would read "outside mainland China" although it never left
// Chinese waters. A point outside the outline counts as in mainland China,
// in coastal waters (Location.Coastal), when
//
//   - it lies in the sea area drawn below (seaMask): the Bohai, Yellow, East
//     China and South China seas off the mainland coast, from the Yalu mouth
//     to the Beilun mouth, and the Paracel Islands; so a point in a
//     neighbouring country near a land border, or near the Yalu or Beilun
//     mouths on the Korean or Vietnamese side, is never coastal;
//   - it is not in the Hong Kong, Macao or Taiwan outlines (tested first);
//   - and either it is in the Bohai (bohai below: internal waters under the
//     1958 declaration on the territorial sea, closed by the Laotieshan-
//     Penglai line), or it is within coastBuffer (12 nautical miles, the
//     breadth of the territorial sea) of the mainland outline and nearer to
//     it than to any Hong Kong, Macao or Taiwan land (an equidistance line:
//     Victoria Harbour stays Hong Kong's, the water between Xiamen and
//     Kinmen is split between them).
//
// This is an approximation: the legal territorial sea is measured from
// China's straight baselines (1996), which lie further out than the 1 km
// coastline in many places, so the buffer under-counts far offshore waters;
// it never over-counts foreign land. Distances are planar in a projection
// scaled by the cosine of the latitude of the point's grid row (exact to
// well under 1% over a 22 km buffer), so that the grid's shortcuts stay exact.

// coastBuffer is 12 nautical miles in kilometres.
const coastBuffer = 12 * 1.852

// kmPerDeg is the length of a degree of great circle (mean Earth radius
// 6371.0088 km).
const kmPerDeg = 6371.0088 * math.Pi / 180

// seaMask is drawn by hand (our own coarse polygon, not derived from any
// map data). Its edges at sea run far from foreign land except where they
// meet the coast at the two land borders: down the 124.15°E meridian from
// the Yalu mouth (west of the Korean coast and the Sindo islands), and from
// the Beilun mouth to the first point of the 2000 Gulf of Tonkin
// delimitation line (21.47°N 108.10°E), then south along 108.10°E, west of
// Hainan's waters and east of Vietnam's coast and islands. Its other edges
// run inland, on Chinese land (TestWatersPolygons checks both).
var seaMask = []point{
	{123.95, 40.35}, // Liaoning, inland north-west of Dandong
	{124.15, 39.95}, // the west bank of the Yalu above its mouth
	{124.15, 37.50}, // Korea Bay
	{123.80, 30.00}, // East China Sea
	{123.00, 25.50},
	{122.30, 21.50}, // east of Taiwan's southern tip
	{118.50, 19.50},
	{114.50, 15.50},
	{111.00, 15.30}, // south of the Paracel Islands
	{108.10, 17.50},
	{108.10, 21.47}, // Gulf of Tonkin delimitation line, first point
	{107.96, 21.54}, // the Beilun mouth
	{107.95, 21.75}, // Dongxing, inland from here on
	{110.00, 26.00},
	{118.00, 36.00},
	{116.50, 38.50}, // around the Bohai on land
	{118.50, 40.50},
	{121.00, 42.00},
	{123.95, 40.35},
}

// bohai is the Bohai closed by the line from Laotieshan (the tip of the
// Liaodong peninsula) to Penglai; its other edges run on land.
var bohai = []point{
	{121.13, 38.72}, // Laotieshan
	{120.75, 37.82}, // Penglai
	{120.60, 37.30},
	{119.60, 36.80},
	{119.00, 36.90},
	{117.00, 37.80},
	{117.00, 39.50},
	{119.30, 40.40},
	{121.20, 41.30},
	{122.40, 40.90},
	{122.60, 40.00},
	{122.20, 39.60},
	{122.00, 39.30},
	{121.75, 39.10}, // the Jinzhou isthmus
	{121.50, 38.95},
	{121.20, 38.86},
	{121.13, 38.72},
}

// watersSegments returns the segments of the two hand-drawn areas, as the
// features of one layer: 0 the Bohai, 1 the sea mask.
func watersSegments() [][]seg {
	return [][]seg{
		featureSegments([][]ring{{ring(bohai)}}),
		featureSegments([][]ring{{ring(seaMask)}}),
	}
}

// coastIndex finds distances from a point to the mainland outline and to the
// Hong Kong, Macao and Taiwan outlines, with segments bucketed in a grid over
// the sea mask. It is immutable once built and shared by locators.
type coastIndex struct {
	ox, oy   float64 // origin of the bucket grid
	inv      float64 // buckets per degree
	nx, ny   int
	start    []int32 // bucket b holds idx[start[b]:start[b+1]]
	idx      []int32
	segs     []seg
	sar      []bool // per segment: Hong Kong, Macao or Taiwan (else mainland)
	maxReach float64
}

// coastBucket is the bucket size in degrees; coastMargin how far beyond the
// sea mask segments are indexed, which bounds the distances it can answer.
const (
	coastBucket = 0.1
	coastMargin = 1.5
)

func newCoastIndex(cn []seg, sar [][]seg) *coastIndex {
	c := &coastIndex{inv: 1 / coastBucket}
	minX, minY, maxX, maxY, _ := segBBox([][]seg{featureSegments([][]ring{{ring(seaMask)}})})
	c.ox, c.oy = minX-coastMargin, minY-coastMargin
	c.nx = int(math.Ceil((maxX+coastMargin-c.ox)*c.inv)) + 1
	c.ny = int(math.Ceil((maxY+coastMargin-c.oy)*c.inv)) + 1
	// The farthest a query may reach and still see every segment within
	// that distance: the margin, in kilometres, at the sea mask's highest
	// latitude (where a degree of longitude is shortest).
	c.maxReach = coastMargin * kmPerDeg * math.Cos((maxY+coastMargin)*degToRad)
	add := func(ss []seg, isSAR bool) {
		for _, s := range ss {
			c.segs = append(c.segs, s)
			c.sar = append(c.sar, isSAR)
		}
	}
	add(cn, false)
	for _, ss := range sar {
		add(ss, true)
	}
	n := c.nx * c.ny
	counts := make([]int32, n+1)
	for _, s := range c.segs {
		rasterize(s, c.ox, c.oy, coastBucket, c.nx, c.ny, func(ix, iy int) { counts[iy*c.nx+ix+1]++ })
	}
	c.start = make([]int32, n+1)
	for i := 1; i <= n; i++ {
		c.start[i] = c.start[i-1] + counts[i]
	}
	c.idx = make([]int32, c.start[n])
	fill := make([]int32, n)
	copy(fill, c.start[:n])
	for si, s := range c.segs {
		rasterize(s, c.ox, c.oy, coastBucket, c.nx, c.ny, func(ix, iy int) {
			b := iy*c.nx + ix
			c.idx[fill[b]] = int32(si)
			fill[b]++
		})
	}
	return c
}

// distances returns the distances (km, in the plane whose longitudes are
// scaled by cosLat) from (x, y) to the mainland outline and to the nearest
// Hong Kong, Macao or Taiwan outline, each capped at reach: a value equal to
// reach means "at least reach". Allocation-free.
func (c *coastIndex) distances(x, y, cosLat, reach float64) (cn, sar float64) {
	rLat := reach / kmPerDeg
	rLon := rLat / cosLat
	ix0 := max(int(math.Floor((x-rLon-c.ox)*c.inv)), 0)
	ix1 := min(int(math.Floor((x+rLon-c.ox)*c.inv)), c.nx-1)
	iy0 := max(int(math.Floor((y-rLat-c.oy)*c.inv)), 0)
	iy1 := min(int(math.Floor((y+rLat-c.oy)*c.inv)), c.ny-1)
	best := [2]float64{rLat * rLat, rLat * rLat} // squared, in degrees of latitude
	for iy := iy0; iy <= iy1; iy++ {
		row := iy * c.nx
		for ix := ix0; ix <= ix1; ix++ {
			b := row + ix
			for _, si := range c.idx[c.start[b]:c.start[b+1]] {
				s := &c.segs[si]
				k := 0
				if c.sar[si] {
					k = 1
				}
				if d := segDist2(s, x, y, cosLat); d < best[k] {
					best[k] = d
				}
			}
		}
	}
	return min(math.Sqrt(best[0])*kmPerDeg, reach), min(math.Sqrt(best[1])*kmPerDeg, reach)
}

// segDist2 is the squared distance from (x, y) to segment s in the plane
// whose longitudes are scaled by k.
func segDist2(s *seg, x, y, k float64) float64 {
	ax, ay := (s.a.x-x)*k, s.a.y-y
	bx, by := (s.b.x-x)*k, s.b.y-y
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = min(max(-(ax*dx+ay*dy)/l2, 0), 1)
	}
	px, py := ax+t*dx, ay+t*dy
	return px*px + py*py
}

// coastSlack absorbs floating-point rounding in the uniformity proofs (km).
const coastSlack = 1e-6

// decide says whether every point within r km (in the row's plane) of
// (x, y) is in coastal waters (+1), none is (-1), or it depends (0). With
// r = 0 it decides the point itself (never 0).
func (c *coastIndex) decide(x, y, cosLat, r float64) int {
	if r > 0 {
		r += coastSlack
	}
	reach := coastBuffer + 2*r + 1
	if reach > c.maxReach {
		return 0 // too coarse to prove anything: let the grid subdivide
	}
	dCN, dSAR := c.distances(x, y, cosLat, reach)
	// Every point q within r has dCN(q) in [dCN-r, dCN+r], and the same for
	// dSAR (distance to a set is 1-Lipschitz); capped values are lower bounds.
	if dCN-r > coastBuffer || (dSAR < reach && dSAR+r <= dCN-r) {
		return -1
	}
	if dCN+r <= coastBuffer && dCN+r < dSAR-r {
		return 1
	}
	if r == 0 {
		return -1 // only reached on a tie with Hong Kong, Macao or Taiwan
	}
	return 0
}

// coastSet defers to the distance test: points in coastal waters take
// inner (a result index or seedFlag|set: the coastal variant of the class
// the point would have had), others are outside.
type coastSet struct {
	l     *Locator
	inner uint16
}

func (s *coastSet) locate(p *probe) uint16 {
	if s.l.coast.decide(p.x, p.y, s.l.rowCos(p.y), 0) < 0 {
		return 0
	}
	if s.inner < seedFlag {
		return s.inner
	}
	return s.l.sets[s.inner&^seedFlag].seed.locate(p)
}

func (s *coastSet) uniformWithin(p *probe, r, hw, hh float64) (uint16, bool) {
	k := s.l.rowCos(p.y)
	rk := math.Hypot(hw*k, hh) * kmPerDeg
	switch s.l.coast.decide(p.x, p.y, k, rk) {
	case -1:
		return 0, true
	case 1:
		if s.inner < seedFlag {
			return s.inner, true
		}
		return s.l.sets[s.inner&^seedFlag].seed.uniformWithin(p, r, hw, hh)
	}
	return s.locate(p), false
}

// rowCos is the cosine of the latitude at the middle of the level-1 grid row
// holding lat. Every grid cell lies within one row, so distances measured
// with it are one planar metric over each cell, as the proofs need.
func (l *Locator) rowCos(lat float64) float64 {
	g := &l.grid
	iy := int((lat - g.oy) * g.inv)
	return math.Cos((g.oy + (float64(iy)+0.5)*g.cell) * degToRad)
}
