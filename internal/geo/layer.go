package geo

import (
	"cmp"
	"slices"
)

// Geometry is planar in longitude/latitude degrees, as GeoJSON (RFC 7946
// §3.1.1) defines a line between two positions. Membership uses the even-odd
// rule over every ring of a feature, so holes and multi-part features need no
// special case.

// seg is one boundary segment.
type seg struct{ a, b point }

// featureSegments returns the segments of a feature's rings. A segment that
// occurs an even number of times (two parts of one feature sharing an edge,
// as Natural Earth's districts of Hong Kong do) is dropped: under the even-odd
// rule the copies cancel, and keeping them would make the grid treat the
// inside of the feature as boundary.
func featureSegments(polys [][]ring) []seg {
	n := 0
	for _, rings := range polys {
		for _, r := range rings {
			n += len(r)
		}
	}
	segs := make([]seg, 0, n)
	for _, rings := range polys {
		for _, r := range rings {
			for i := 0; i+1 < len(r); i++ {
				a, b := r[i], r[i+1]
				if a == b {
					continue
				}
				if b.x < a.x || (b.x == a.x && b.y < a.y) {
					a, b = b, a // canonical direction, so copies compare equal
				}
				segs = append(segs, seg{a, b})
			}
		}
	}
	// Sorting brings copies together; a map was three times slower on the
	// built-in data.
	slices.SortFunc(segs, func(s, t seg) int {
		if c := cmp.Compare(s.a.x, t.a.x); c != 0 {
			return c
		}
		if c := cmp.Compare(s.a.y, t.a.y); c != 0 {
			return c
		}
		if c := cmp.Compare(s.b.x, t.b.x); c != 0 {
			return c
		}
		return cmp.Compare(s.b.y, t.b.y)
	})
	out := segs[:0]
	for i := 0; i < len(segs); {
		j := i + 1
		for j < len(segs) && segs[j] == segs[i] {
			j++
		}
		if (j-i)%2 == 1 {
			out = append(out, segs[i])
		}
		i = j
	}
	return out
}

// edge is a non-horizontal segment prepared for crossing tests.
type edge struct {
	y0, y1 float64 // end latitudes, y0 != y1
	x0     float64 // longitude at y0
	k      float64 // dx/dy
	feat   int32
}

// layer answers "which feature contains this point" exactly, by the
// crossing-number test (PNPOLY) against the edges that span the point's
// latitude. Edges are bucketed into latitude bands so a query looks at the
// few edges a horizontal line through the point meets.
type layer struct {
	nfeat      int
	minY, maxY float64
	inv        float64 // bands per degree
	nb         int
	start      []int32 // band b holds idx[start[b]:start[b+1]]
	idx        []int32 // edge indices, ascending (so grouped by feature)
	edges      []edge
}

// buildLayer indexes the segments of each feature; the feature index is the
// position in segs and also the priority when features overlap.
func buildLayer(segs [][]seg) *layer {
	l := &layer{nfeat: len(segs)}
	total := 0
	for _, ss := range segs {
		total += len(ss)
	}
	l.edges = make([]edge, 0, total)
	first := true
	for f, ss := range segs {
		for _, s := range ss {
			if s.a.y == s.b.y {
				continue // never crossed by a horizontal ray
			}
			e := edge{y0: s.a.y, y1: s.b.y, x0: s.a.x, k: (s.b.x - s.a.x) / (s.b.y - s.a.y), feat: int32(f)}
			l.edges = append(l.edges, e)
			lo, hi := min(e.y0, e.y1), max(e.y0, e.y1)
			if first || lo < l.minY {
				l.minY = lo
			}
			if first || hi > l.maxY {
				l.maxY = hi
			}
			first = false
		}
	}
	if len(l.edges) == 0 {
		return l
	}
	// About four edges per band keeps the lists short without exploding
	// memory for long edges; capped for huge user files.
	l.nb = min(max(len(l.edges)/4, 1), 1<<16)
	l.inv = float64(l.nb) / (l.maxY - l.minY)
	counts := make([]int32, l.nb+1)
	for i := range l.edges {
		b0, b1 := l.bandRange(&l.edges[i])
		for b := b0; b <= b1; b++ {
			counts[b+1]++
		}
	}
	l.start = make([]int32, l.nb+1)
	for b := 1; b <= l.nb; b++ {
		l.start[b] = l.start[b-1] + counts[b]
	}
	l.idx = make([]int32, l.start[l.nb])
	fill := slices.Clone(l.start[:l.nb])
	for i := range l.edges {
		b0, b1 := l.bandRange(&l.edges[i])
		for b := b0; b <= b1; b++ {
			l.idx[fill[b]] = int32(i)
			fill[b]++
		}
	}
	return l
}

// band maps a latitude to its band. The same monotone formula is used when
// indexing and when querying, so an edge spanning y is always in y's band.
func (l *layer) band(y float64) int {
	b := int((y - l.minY) * l.inv)
	return min(max(b, 0), l.nb-1)
}

func (l *layer) bandRange(e *edge) (int, int) {
	return l.band(min(e.y0, e.y1)), l.band(max(e.y0, e.y1))
}

// find returns the first feature (in index order) containing (x, y), or -1.
// Points exactly on a boundary may go either way, consistently.
func (l *layer) find(x, y float64) int {
	if l == nil || l.nb == 0 || !(y >= l.minY && y < l.maxY) {
		return -1
	}
	b := l.band(y)
	cur, odd := int32(-1), false
	for _, i := range l.idx[l.start[b]:l.start[b+1]] {
		e := &l.edges[i]
		if e.feat != cur {
			if odd {
				return int(cur)
			}
			cur, odd = e.feat, false
		}
		if (e.y0 > y) != (e.y1 > y) && x < e.x0+(y-e.y0)*e.k {
			odd = !odd
		}
	}
	if odd {
		return int(cur)
	}
	return -1
}

// bbox returns the bounding box of all segments.
func segBBox(all [][]seg) (minX, minY, maxX, maxY float64, ok bool) {
	for _, ss := range all {
		for _, s := range ss {
			for _, p := range [2]point{s.a, s.b} {
				if !ok {
					minX, maxX, minY, maxY, ok = p.x, p.x, p.y, p.y, true
					continue
				}
				minX, maxX = min(minX, p.x), max(maxX, p.x)
				minY, maxY = min(minY, p.y), max(maxY, p.y)
			}
		}
	}
	return
}

// sortedKeys returns a map's keys in order, for deterministic iteration.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
