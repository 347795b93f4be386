package geo

import (
	"math"
	"sync/atomic"
)

// The grid makes Locate cheap for the common case. Level 1 covers the data's
// bounding box with square cells (0.25 degrees for China). A level-1 cell that
// no boundary segment touches, and whose whole area takes one prefecture,
// answers directly. Any other cell gets a 16x16 block of subcells (about
// 1.6 km for China), built on first use: a subcell no segment touches answers
// directly when its prefecture is settled for the whole subcell, or says which
// seed set decides; only subcells a boundary crosses run the full exact test.
// Every shortcut is exact: "no segment touches the closed cell" means the
// even-odd test gives the same answer everywhere in it, and seed uniformity is
// proved by the triangle inequality (see seedSet.uniformWithin).

const (
	subBits  = 4
	subN     = 1 << subBits // subcells per side
	blockBit = uint32(1) << 31

	// Subcell values: below seedFlag a result index; seedFlag|s means "the
	// nearest seed of set s decides"; slowFull means "run the exact test".
	seedFlag = uint16(0x8000)
	slowFull = uint16(0xFFFF)

	// rasterEps widens segments when marking cells, so floating-point
	// rounding at cell edges can only mark too much, never too little.
	rasterEps = 1e-9
)

type block [subN * subN]uint16

type grid struct {
	ox, oy   float64 // origin
	cell     float64 // level-1 cell size, degrees
	inv      float64 // 1/cell
	nx, ny   int
	fnx, fny float64

	l1 []uint32 // result index, or blockBit|block number

	blocks    []atomic.Pointer[block]
	blockCell []int32 // level-1 cell of each block
	// Segments touching each block's cell: segIdx[segStart[b]:segStart[b+1]].
	segStart []int32
	segIdx   []int32
	segs     []seg
}

// rasterize calls mark for every cell of the grid (origin ox, oy, cell size
// cs, nx by ny cells) that the segment, widened by rasterEps, touches.
func rasterize(s seg, ox, oy, cs float64, nx, ny int, mark func(ix, iy int)) {
	a, b := s.a, s.b
	if a.y > b.y {
		a, b = b, a
	}
	iy0 := int(math.Floor((a.y - rasterEps - oy) / cs))
	iy1 := int(math.Floor((b.y + rasterEps - oy) / cs))
	iy0, iy1 = max(iy0, 0), min(iy1, ny-1)
	dy := b.y - a.y
	for iy := iy0; iy <= iy1; iy++ {
		rowLo := max(oy+float64(iy)*cs-rasterEps, a.y)
		rowHi := min(oy+float64(iy+1)*cs+rasterEps, b.y)
		var xa, xb float64
		if dy == 0 {
			xa, xb = a.x, b.x
		} else {
			t0 := (rowLo - a.y) / dy
			t1 := (rowHi - a.y) / dy
			t0, t1 = min(max(t0, 0), 1), min(max(t1, 0), 1)
			xa = a.x + (b.x-a.x)*t0
			xb = a.x + (b.x-a.x)*t1
		}
		if xa > xb {
			xa, xb = xb, xa
		}
		ix0 := int(math.Floor((xa - rasterEps - ox) / cs))
		ix1 := int(math.Floor((xb + rasterEps - ox) / cs))
		ix0, ix1 = max(ix0, 0), min(ix1, nx-1)
		for ix := ix0; ix <= ix1; ix++ {
			mark(ix, iy)
		}
	}
}

// buildGrid lays out level 1 eagerly; blocks are built lazily by Locate.
func (l *Locator) buildGrid(all [][]seg) {
	g := &l.grid
	minX, minY, maxX, maxY, ok := segBBox(all)
	if !ok {
		// No boundaries at all: a one-cell grid that answers "outside".
		g.cell, g.inv, g.nx, g.ny, g.fnx, g.fny = 1, 1, 1, 1, 1, 1
		g.l1 = []uint32{0}
		return
	}
	// 0.25 degrees for data the size of China; coarser (a power of two) when a
	// user file spans much more, keeping level 1 under about 2^16 cells.
	cell := 0.25
	for (maxX-minX)*(maxY-minY)/(cell*cell) > 1<<16 {
		cell *= 2
	}
	g.cell, g.inv = cell, 1/cell
	g.ox = math.Floor(minX/cell)*cell - cell
	g.oy = math.Floor(minY/cell)*cell - cell
	g.nx = int(math.Ceil((maxX-g.ox)/cell)) + 1
	g.ny = int(math.Ceil((maxY-g.oy)/cell)) + 1
	g.fnx, g.fny = float64(g.nx), float64(g.ny)

	// Which segments touch which level-1 cell.
	for _, ss := range all {
		g.segs = append(g.segs, ss...)
	}
	ncell := g.nx * g.ny
	counts := make([]int32, ncell+1)
	for _, s := range g.segs {
		rasterize(s, g.ox, g.oy, cell, g.nx, g.ny, func(ix, iy int) { counts[iy*g.nx+ix+1]++ })
	}
	cellStart := make([]int32, ncell+1)
	for i := 1; i <= ncell; i++ {
		cellStart[i] = cellStart[i-1] + counts[i]
	}
	cellSegs := make([]int32, cellStart[ncell])
	fill := make([]int32, ncell)
	copy(fill, cellStart[:ncell])
	for si, s := range g.segs {
		rasterize(s, g.ox, g.oy, cell, g.nx, g.ny, func(ix, iy int) {
			c := iy*g.nx + ix
			cellSegs[fill[c]] = int32(si)
			fill[c]++
		})
	}

	g.l1 = make([]uint32, ncell)
	g.segStart = []int32{0}
	for iy := 0; iy < g.ny; iy++ {
		cy := g.oy + (float64(iy)+0.5)*cell
		r1 := angularRadius(0, cy, cell/2, cell/2) // depends on latitude only
		for ix := 0; ix < g.nx; ix++ {
			c := iy*g.nx + ix
			cx := g.ox + (float64(ix)+0.5)*cell
			needBlock := cellStart[c+1] > cellStart[c]
			if !needBlock {
				cls := l.classify(cx, cy)
				if cls < seedFlag {
					g.l1[c] = uint32(cls)
					continue
				}
				p := newProbe(cx, cy)
				res, uniform := l.seedSets[cls&^seedFlag].uniformWithin(&p, r1)
				if uniform {
					g.l1[c] = uint32(res)
					continue
				}
			}
			g.l1[c] = blockBit | uint32(len(g.blockCell))
			g.blockCell = append(g.blockCell, int32(c))
			g.segIdx = append(g.segIdx, cellSegs[cellStart[c]:cellStart[c+1]]...)
			g.segStart = append(g.segStart, int32(len(g.segIdx)))
		}
	}
	g.blocks = make([]atomic.Pointer[block], len(g.blockCell))
}

// block returns block bi, building it on first use. Concurrent first uses
// may build it twice; the first stored copy wins and both are identical.
func (l *Locator) block(bi uint32) *block {
	g := &l.grid
	if b := g.blocks[bi].Load(); b != nil {
		return b
	}
	b := l.buildBlock(bi)
	if g.blocks[bi].CompareAndSwap(nil, b) {
		return b
	}
	return g.blocks[bi].Load()
}

func (l *Locator) buildBlock(bi uint32) *block {
	g := &l.grid
	c := int(g.blockCell[bi])
	ix, iy := c%g.nx, c/g.nx
	x0 := g.ox + float64(ix)*g.cell
	y0 := g.oy + float64(iy)*g.cell
	sub := g.cell / subN

	var boundary [subN * subN]bool
	segs := g.segIdx[g.segStart[bi]:g.segStart[bi+1]]
	for _, si := range segs {
		rasterize(g.segs[si], x0, y0, sub, subN, subN, func(sx, sy int) { boundary[sy*subN+sx] = true })
	}
	// A cell no segment touches has one class throughout: classify it once.
	whole := slowFull
	if len(segs) == 0 {
		whole = l.classify(x0+g.cell/2, y0+g.cell/2)
	}
	b := new(block)
	for sy := 0; sy < subN; sy++ {
		cy := y0 + (float64(sy)+0.5)*sub
		r := angularRadius(0, cy, sub/2, sub/2)
		for sx := 0; sx < subN; sx++ {
			k := sy*subN + sx
			if boundary[k] {
				b[k] = slowFull
				continue
			}
			cx := x0 + (float64(sx)+0.5)*sub
			cls := whole
			if cls == slowFull {
				cls = l.classify(cx, cy)
			}
			if cls < seedFlag {
				b[k] = cls
				continue
			}
			p := newProbe(cx, cy)
			if res, uniform := l.seedSets[cls&^seedFlag].uniformWithin(&p, r); uniform {
				b[k] = res
			} else {
				b[k] = cls
			}
		}
	}
	return b
}
