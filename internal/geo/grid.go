package geo

import (
	"math"
	"sync/atomic"
)

// The grid makes Locate cheap for the common case. Level 1 covers the data's
// bounding box with square cells (0.25 degrees for China). A level-1 cell that
// no boundary segment touches, and whose whole area takes one prefecture,
// answers directly. Any other cell gets a 16x16 block of subcells (about
// 1.6 km for China), built on first use; a subcell a boundary touches gets in
// turn an 8x8 block of fine cells (about 200 m), also built on first use.
// A cell no segment touches answers directly when its prefecture is settled
// for the whole cell, or says which seed set decides; only fine cells a
// boundary crosses run the full exact test.
// Every shortcut is exact: "no segment touches the closed cell" means the
// even-odd test gives the same answer everywhere in it, and seed uniformity is
// proved by the triangle inequality (see seedSet.uniformWithin), the
// coastal-waters distance test by the same kind of bound (coastSet).

const (
	subN     = 16 // subcells per side of a level-1 cell
	fineN    = 8  // fine cells per side of a subcell
	blockBit = uint32(1) << 31

	// Cell values: below seedFlag a result index; seedFlag|s (below
	// fineFlag) means "the nearest seed of set s decides"; in a block,
	// fineFlag|k means "see fine block k"; in a fine block, slowFull means
	// "run the exact test".
	seedFlag = uint16(0x8000)
	fineFlag = uint16(0xC000)
	slowFull = uint16(0xFFFF)
	maxSets  = int(fineFlag - seedFlag)

	// rasterEps widens segments when marking cells, so floating-point
	// rounding at cell edges can only mark too much, never too little.
	rasterEps = 1e-9
)

// block holds the subcells of one level-1 cell and, lazily, the fine blocks
// of its boundary subcells.
type block struct {
	cells    [subN * subN]uint16
	fine     []atomic.Pointer[fineBlock]
	hits     []atomic.Uint32 // exact lookups so far in each fine block's subcell
	fineCell []uint8         // subcell of each fine block
	fineSegs [][]int32       // segments touching each of those subcells
}

type fineBlock [fineN * fineN]uint16

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
	total := 0
	for _, ss := range all {
		total += len(ss)
	}
	g.segs = make([]seg, 0, total)
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
				res, uniform := l.sets[cls&^seedFlag].uniformWithin(&p, r1, cell/2, cell/2)
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

// cellOrigin returns the south-west corner of level-1 cell c.
func (g *grid) cellOrigin(c int) (float64, float64) {
	return g.ox + float64(c%g.nx)*g.cell, g.oy + float64(c/g.nx)*g.cell
}

func (l *Locator) buildBlock(bi uint32) *block {
	g := &l.grid
	x0, y0 := g.cellOrigin(int(g.blockCell[bi]))
	b := new(block)
	cellSegs := l.fillCells(x0, y0, g.cell/subN, subN, g.segIdx[g.segStart[bi]:g.segStart[bi+1]], b.cells[:])
	for k, segs := range cellSegs {
		if len(segs) == 0 {
			continue
		}
		b.cells[k] = fineFlag | uint16(len(b.fineCell))
		b.fineCell = append(b.fineCell, uint8(k))
		b.fineSegs = append(b.fineSegs, segs)
	}
	b.fine = make([]atomic.Pointer[fineBlock], len(b.fineCell))
	b.hits = make([]atomic.Uint32, len(b.fineCell))
	return b
}

// fineAfter is how many exact lookups a boundary subcell serves before its
// fine block is built. Building one cost about as much as 45 exact lookups
// when measured, so sparse input (a point here and there) never pays for it,
// while dense input (a fleet in one city) builds it early and then answers
// from it.
const fineAfter = 32

// fineBlock returns fine block k of block b (level-1 cell c), or nil while
// the subcell has served fewer than l.fineAfter lookups.
func (l *Locator) fineBlock(b *block, c int, k uint16) *fineBlock {
	if fb := b.fine[k].Load(); fb != nil {
		return fb
	}
	if b.hits[k].Add(1) < l.fineAfter {
		return nil
	}
	g := &l.grid
	x0, y0 := g.cellOrigin(c)
	sub := g.cell / subN
	sc := int(b.fineCell[k])
	fx0 := x0 + float64(sc%subN)*sub
	fy0 := y0 + float64(sc/subN)*sub
	fb := new(fineBlock)
	cellSegs := l.fillCells(fx0, fy0, sub/fineN, fineN, b.fineSegs[k], fb[:])
	for i, segs := range cellSegs {
		if len(segs) > 0 {
			fb[i] = slowFull
		}
	}
	if b.fine[k].CompareAndSwap(nil, fb) {
		return fb
	}
	return b.fine[k].Load()
}

// fillCells classifies the n x n cells of size cs whose south-west corner is
// (x0, y0). It returns, per cell, the segments (from segs) that touch it;
// cells with none get their value in out, the others are left for the caller.
// Cells connected through untouched cells lie in one face of the boundary
// arrangement and share a class, so the exact test runs once per face.
func (l *Locator) fillCells(x0, y0, cs float64, n int, segs []int32, out []uint16) [][]int32 {
	g := &l.grid
	cellSegs := make([][]int32, n*n)
	for _, si := range segs {
		rasterize(g.segs[si], x0, y0, cs, n, n, func(cx, cy int) {
			k := cy*n + cx
			cellSegs[k] = append(cellSegs[k], si)
		})
	}
	const unset = -1
	class := make([]int32, n*n)
	for i := range class {
		class[i] = unset
	}
	stack := make([]int, 0, n*n)
	for start := range class {
		if class[start] != unset || len(cellSegs[start]) > 0 {
			continue
		}
		cls := int32(l.classify(x0+(float64(start%n)+0.5)*cs, y0+(float64(start/n)+0.5)*cs))
		class[start] = cls
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := k%n, k/n
			for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				nx, ny := x+d[0], y+d[1]
				if nx < 0 || ny < 0 || nx >= n || ny >= n {
					continue
				}
				nk := ny*n + nx
				if class[nk] == unset && len(cellSegs[nk]) == 0 {
					class[nk] = cls
					stack = append(stack, nk)
				}
			}
		}
	}
	// A seed set whose prefecture is settled over the whole area settles
	// every cell of its faces at once; only the others are checked per cell.
	settled := map[int32]uint16{}
	whole := newProbe(x0+float64(n)*cs/2, y0+float64(n)*cs/2)
	rWhole := angularRadius(whole0(x0, y0, cs, n))
	for _, cls := range class {
		if cls == unset || uint16(cls) < seedFlag {
			continue
		}
		if _, done := settled[cls]; done {
			continue
		}
		if res, uniform := l.sets[uint16(cls)&^seedFlag].uniformWithin(&whole, rWhole, float64(n)*cs/2, float64(n)*cs/2); uniform {
			settled[cls] = res
		} else {
			settled[cls] = slowFull
		}
	}
	// A cell's radius depends on its latitude only and is largest for the
	// row nearest the equator; using that largest one for every row is
	// conservative and saves the trigonometry per row.
	r := max(angularRadius(0, y0+cs/2, cs/2, cs/2), angularRadius(0, y0+(float64(n)-0.5)*cs, cs/2, cs/2))
	if y0 < 0 && y0+float64(n)*cs > 0 {
		r = max(r, angularRadius(0, 0, cs/2, cs/2))
	}
	for y := 0; y < n; y++ {
		cy := y0 + (float64(y)+0.5)*cs
		for x := 0; x < n; x++ {
			k := y*n + x
			if class[k] == unset {
				continue
			}
			cls := uint16(class[k])
			out[k] = cls
			if cls < seedFlag {
				continue
			}
			if res := settled[class[k]]; res != slowFull {
				out[k] = res
				continue
			}
			p := newProbe(x0+(float64(x)+0.5)*cs, cy)
			if res, uniform := l.sets[cls&^seedFlag].uniformWithin(&p, r, cs/2, cs/2); uniform {
				out[k] = res
			}
		}
	}
	return cellSegs
}

// whole0 gives angularRadius's arguments for the n x n cells of size cs at
// (x0, y0) taken as one cell.
func whole0(x0, y0, cs float64, n int) (float64, float64, float64, float64) {
	half := float64(n) * cs / 2
	return x0 + half, y0 + half, half, half
}
