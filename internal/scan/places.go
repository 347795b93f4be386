package scan

import "unsafe"

// placeTab counts points per place on the hot path. Places come from the
// locator's own result table, so equal places share their strings: the
// string's data pointer is a cheap key (no hashing of the text). Places
// whose strings are built anew still count right: they only take more
// slots, and past the table's size they go to a map. A place in coastal
// waters shares its land twin's strings; its key is the complement, which
// no pointer-derived key equals. coastal counts the mainland points in
// coastal waters, placed in a province or not.
type placeTab struct {
	keys    [1024]uintptr
	idx     [1024]int32
	places  []Place
	counts  []int64
	extra   map[Place]int64
	coastal int64
}

func (t *placeTab) add(p Place) {
	if p.Coastal {
		t.coastal++
	}
	s := p.Prefecture
	if s == "" {
		s = p.Province
	}
	if s == "" {
		return // in mainland China but in no feature of the user's boundaries
	}
	k := uintptr(unsafe.Pointer(unsafe.StringData(s))) ^ uintptr(len(s))<<1
	if p.Coastal {
		k = ^k
	}
	i := (k >> 3) & 1023
	for n := 0; n < 16; n++ {
		switch t.keys[i] {
		case k:
			t.counts[t.idx[i]]++
			return
		case 0:
			if len(t.places) < 512 {
				t.keys[i] = k
				t.idx[i] = int32(len(t.places))
				t.places = append(t.places, p)
				t.counts = append(t.counts, 1)
				return
			}
		}
		i = (i + 1) & 1023
	}
	if t.extra == nil {
		t.extra = map[Place]int64{}
	}
	t.extra[p]++
}

// each calls fn for every place and its count.
func (t *placeTab) each(fn func(Place, int64)) {
	for i, p := range t.places {
		fn(p, t.counts[i])
	}
	for p, n := range t.extra {
		fn(p, n)
	}
}
