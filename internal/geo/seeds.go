package geo

import (
	"math"
	"sort"
)

// Prefecture assignment without prefecture polygons: a point takes the
// prefecture of the nearest labelled place (a GeoNames "seed") of its
// province. Distances are great-circle angles, computed as chords between
// unit vectors (the chord grows with the angle, so comparing chords is
// comparing distances).

const degToRad = math.Pi / 180

// seed is a labelled place.
type seed struct {
	lon, lat float64
	res      uint16 // result index of its prefecture
}

// seedSet is a group of seeds (one province, or all of them) sorted by
// latitude so a search can stop once the latitude gap alone exceeds the best
// distance found: the angle between two points is at least their latitude
// difference.
type seedSet struct {
	lat     []float64 // radians, ascending
	x, y, z []float64
	res     []uint16
	single  int32 // the one result when every seed shares it, else -1
}

func newSeedSet(seeds []seed) *seedSet {
	s := &seedSet{single: -1}
	sorted := append([]seed(nil), seeds...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].lat < sorted[j].lat })
	for i, sd := range sorted {
		x, y, z := unitVector(sd.lon, sd.lat)
		s.lat = append(s.lat, sd.lat*degToRad)
		s.x, s.y, s.z = append(s.x, x), append(s.y, y), append(s.z, z)
		s.res = append(s.res, sd.res)
		if i == 0 {
			s.single = int32(sd.res)
		} else if s.single != int32(sd.res) {
			s.single = -1
		}
	}
	return s
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

// probe is a query point prepared for seed searches.
type probe struct {
	lat     float64 // radians
	x, y, z float64
}

func newProbe(lon, lat float64) probe {
	x, y, z := unitVector(lon, lat)
	return probe{lat: lat * degToRad, x: x, y: y, z: z}
}

func (s *seedSet) chord2(i int, p *probe) float64 {
	dx, dy, dz := s.x[i]-p.x, s.y[i]-p.y, s.z[i]-p.z
	return dx*dx + dy*dy + dz*dz
}

// walk visits seeds in increasing latitude distance from p until visit
// returns false.
func (s *seedSet) walk(p *probe, visit func(i int, dLat float64) bool) {
	n := len(s.lat)
	hi := sort.SearchFloat64s(s.lat, p.lat)
	lo := hi - 1
	for lo >= 0 || hi < n {
		var i int
		var d float64
		if hi < n && (lo < 0 || s.lat[hi]-p.lat <= p.lat-s.lat[lo]) {
			i, d = hi, s.lat[hi]-p.lat
			hi++
		} else {
			i, d = lo, p.lat-s.lat[lo]
			lo--
		}
		if !visit(i, d) {
			return
		}
	}
}

// nearest returns the index of the seed nearest to p and its squared chord.
// Ties keep the first seed met, which depends only on the data and p.
func (s *seedSet) nearest(p *probe) (int, float64) {
	best, bestC2, cut := -1, math.Inf(1), math.Inf(1)
	s.walk(p, func(i int, dLat float64) bool {
		if dLat > cut {
			return false
		}
		if c2 := s.chord2(i, p); c2 < bestC2 {
			best, bestC2 = i, c2
			cut = angleOfChord2(c2)
		}
		return true
	})
	return best, bestC2
}

// locate returns the result index for p.
func (s *seedSet) locate(p *probe) uint16 {
	if s.single >= 0 {
		return uint16(s.single)
	}
	i, _ := s.nearest(p)
	return s.res[i]
}

// uniformWithin returns p's result and whether every point within angle r
// of p has the same one. By the triangle inequality, a point q within r of p
// is within d1+r of p's nearest seed and at least d-r from any seed at
// distance d from p; so if no seed of another prefecture lies within d1+2r of
// p, q's nearest seed is of p's prefecture too.
func (s *seedSet) uniformWithin(p *probe, r float64) (uint16, bool) {
	if s.single >= 0 {
		return uint16(s.single), true
	}
	i, c2 := s.nearest(p)
	res := s.res[i]
	limit := angleOfChord2(c2) + 2*r + 1e-12
	limC := chordOfAngle(limit)
	limC2 := limC * limC
	uniform := true
	s.walk(p, func(j int, dLat float64) bool {
		if dLat > limit {
			return false
		}
		if s.res[j] != res && s.chord2(j, p) <= limC2 {
			uniform = false
			return false
		}
		return true
	})
	return res, uniform
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
		dx, dy, dz := q.x-c.x, q.y-c.y, q.z-c.z
		r = max(r, angleOfChord2(dx*dx+dy*dy+dz*dz))
	}
	return r*1.01 + 1e-12
}
