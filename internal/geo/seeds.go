package geo

import (
	"math"
	"sort"
)

// Prefecture assignment without prefecture polygons: a point takes the
// prefecture of the nearest labelled place (a GeoNames "seed") of its
// province. Distances are great-circle angles, computed as chords between
// unit vectors (the chord grows with the angle, so comparing chords is
// comparing distances, and a k-d tree over the vectors finds the nearest).

const degToRad = math.Pi / 180

// seed is a labelled place.
type seed struct {
	lon, lat float64
	res      uint16 // result index of its prefecture
}

// seedSet is a group of seeds (one province, or all of them) in a k-d tree
// over their unit vectors: the tree is the slice itself, each subrange's
// middle element splitting it on axis[mid].
type seedSet struct {
	pts  []kdPoint
	axis []uint8
	// same[mid] is the result every seed of the subtree rooted at mid shares,
	// or -1; it lets a uniformity check skip whole subtrees.
	same   []int32
	single int32 // the one result when every seed shares it, else -1
}

type kdPoint struct {
	v   [3]float64
	res uint16
}

func newSeedSet(seeds []seed) *seedSet {
	s := &seedSet{
		pts:  make([]kdPoint, len(seeds)),
		axis: make([]uint8, len(seeds)),
		same: make([]int32, len(seeds)),
	}
	for i, sd := range seeds {
		x, y, z := unitVector(sd.lon, sd.lat)
		s.pts[i] = kdPoint{v: [3]float64{x, y, z}, res: sd.res}
	}
	s.single = s.build(0, len(s.pts))
	return s
}

// build arranges pts[lo:hi] as a subtree and returns the result its seeds
// share (-1 if they differ; -2 for an empty range).
func (s *seedSet) build(lo, hi int) int32 {
	if lo >= hi {
		return -2
	}
	var mn, mx [3]float64
	for k := 0; k < 3; k++ {
		mn[k], mx[k] = math.Inf(1), math.Inf(-1)
	}
	for _, p := range s.pts[lo:hi] {
		for k := 0; k < 3; k++ {
			mn[k], mx[k] = min(mn[k], p.v[k]), max(mx[k], p.v[k])
		}
	}
	ax := 0
	for k := 1; k < 3; k++ {
		if mx[k]-mn[k] > mx[ax]-mn[ax] {
			ax = k
		}
	}
	part := s.pts[lo:hi]
	sort.SliceStable(part, func(i, j int) bool { return part[i].v[ax] < part[j].v[ax] })
	mid := (lo + hi) / 2
	s.axis[mid] = uint8(ax)
	same := int32(s.pts[mid].res)
	for _, c := range [2]int32{s.build(lo, mid), s.build(mid+1, hi)} {
		if c != -2 && c != same {
			same = -1
		}
	}
	s.same[mid] = same
	return same
}

func unitVector(lon, lat float64) (x, y, z float64) {
	sl, cl := math.Sincos(lat * degToRad)
	so, co := math.Sincos(lon * degToRad)
	return cl * co, cl * so, sl
}

// chordOfAngle is the chord length of a great-circle angle (radians).
func chordOfAngle(a float64) float64 {
	if a >= math.Pi {
		return 2
	}
	return 2 * math.Sin(a/2)
}

// angleOfChord2 is the great-circle angle of a squared chord length.
func angleOfChord2(c2 float64) float64 {
	return 2 * math.Asin(min(1, math.Sqrt(c2)/2))
}

// probe is a query point prepared for seed searches: its unit vector, and
// its longitude and latitude for the coastal-waters test.
type probe struct {
	v    [3]float64
	x, y float64
}

func newProbe(lon, lat float64) probe {
	x, y, z := unitVector(lon, lat)
	return probe{v: [3]float64{x, y, z}, x: lon, y: lat}
}

func (p *probe) chord2(q *kdPoint) float64 {
	dx, dy, dz := q.v[0]-p.v[0], q.v[1]-p.v[1], q.v[2]-p.v[2]
	return dx*dx + dy*dy + dz*dz
}

// nearest returns the index of the seed nearest to p and its squared chord.
// Ties keep the first seed the search meets, which depends only on the data
// and p.
func (s *seedSet) nearest(p *probe) (int, float64) {
	best, bestC2 := -1, math.Inf(1)
	s.nearestIn(0, len(s.pts), p, &best, &bestC2)
	return best, bestC2
}

func (s *seedSet) nearestIn(lo, hi int, p *probe, best *int, bestC2 *float64) {
	for lo < hi {
		mid := (lo + hi) / 2
		q := &s.pts[mid]
		if c2 := p.chord2(q); c2 < *bestC2 {
			*best, *bestC2 = mid, c2
		}
		ax := s.axis[mid]
		diff := p.v[ax] - q.v[ax]
		nlo, nhi, flo, fhi := lo, mid, mid+1, hi
		if diff > 0 {
			nlo, nhi, flo, fhi = mid+1, hi, lo, mid
		}
		s.nearestIn(nlo, nhi, p, best, bestC2)
		if diff*diff >= *bestC2 {
			return
		}
		lo, hi = flo, fhi // the far side, iteratively
	}
}

// locate returns the result index for p.
func (s *seedSet) locate(p *probe) uint16 {
	if s.single >= 0 {
		return uint16(s.single)
	}
	i, _ := s.nearest(p)
	return s.pts[i].res
}

// uniformWithin returns p's result and whether every point within angle r
// of p (a cell of half-width hw and half-height hh degrees centred on p,
// which the coastal test uses instead) has the same one. By the triangle
// inequality, a point q within r of p is within d1+r of p's nearest seed and
// at least d-r from any seed at distance d from p; so if no seed of another
// prefecture lies within d1+2r of p, q's nearest seed is of p's prefecture too.
func (s *seedSet) uniformWithin(p *probe, r, _, _ float64) (uint16, bool) {
	if s.single >= 0 {
		return uint16(s.single), true
	}
	i, c2 := s.nearest(p)
	res := s.pts[i].res
	limC := chordOfAngle(angleOfChord2(c2) + 2*r + 1e-12)
	return res, !s.otherWithin(0, len(s.pts), p, res, limC*limC)
}

// otherWithin reports whether a seed with a result other than res lies
// within squared chord lim2 of p.
func (s *seedSet) otherWithin(lo, hi int, p *probe, res uint16, lim2 float64) bool {
	for lo < hi {
		mid := (lo + hi) / 2
		if s.same[mid] == int32(res) {
			return false
		}
		q := &s.pts[mid]
		if q.res != res && p.chord2(q) <= lim2 {
			return true
		}
		ax := s.axis[mid]
		diff := p.v[ax] - q.v[ax]
		nlo, nhi, flo, fhi := lo, mid, mid+1, hi
		if diff > 0 {
			nlo, nhi, flo, fhi = mid+1, hi, lo, mid
		}
		if s.otherWithin(nlo, nhi, p, res, lim2) {
			return true
		}
		if diff*diff > lim2 {
			return false
		}
		lo, hi = flo, fhi
	}
	return false
}

// angularRadius is the largest great-circle angle from the centre of a
// lon/lat cell to its corners, with a small safety factor because a cell's
// edges along parallels bow slightly away from the great circles through its
// corners.
func angularRadius(cx, cy, halfW, halfH float64) float64 {
	c := newProbe(cx, cy)
	r := 0.0
	for _, d := range [4][2]float64{{-1, -1}, {-1, 1}, {1, -1}, {1, 1}} {
		q := newProbe(cx+d[0]*halfW, cy+d[1]*halfH)
		r = max(r, angleOfChord2(c.chord2(&kdPoint{v: q.v})))
	}
	return r*1.01 + 1e-12
}
