package sqlstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/store"
)

// The log's entries are stored one row each while their tile (a run of
// TileSize entries starting at a multiple of TileSize) is incomplete. When an
// append completes a tile, its rows are packed into one audit_tiles row and
// deleted (the guard trigger allows that only when the tile carries the
// same leaf hashes). Reading a million entries is then ~4,000 rows instead
// of a million: what makes verification fast.
const TileSize = store.ArchiveGranularity

// tileNodeOffset[j] is where entry j's node hashes start inside a tile's
// nodes blob. Entry j < TileSize-1 of any tile completes tz(j+1) subtrees,
// so the offsets do not depend on which tile it is; the last entry's node
// hashes run to the end of the blob.
var tileNodeOffset = func() [TileSize + 1]int {
	var o [TileSize + 1]int
	for j := 0; j < TileSize; j++ {
		o[j+1] = o[j] + bits.TrailingZeros64(uint64(j+1))*audit.HashSize
	}
	return o
}()

type tileRow struct {
	tile            int64
	tsFirst, tsLast int64
	data            []byte // nil once archived
	leaves, nodes   []byte
}

// entries unpacks a tile into stored entries.
func (tr *tileRow) entries(fn func(audit.StoredEntry) error, from, to uint64) error {
	base := uint64(tr.tile) * TileSize
	if len(tr.leaves) != TileSize*audit.HashSize || len(tr.nodes) < tileNodeOffset[TileSize-1] {
		return store.Errorf(store.CodeInternal, "audit tile %d: hash blobs of %d and %d bytes", tr.tile, len(tr.leaves), len(tr.nodes))
	}
	data := tr.data
	for j := 0; j < TileSize; j++ {
		idx := base + uint64(j)
		e := audit.StoredEntry{Index: idx, Leaf: tr.leaves[j*audit.HashSize : (j+1)*audit.HashSize], NodesStored: true}
		end := len(tr.nodes)
		if j < TileSize-1 {
			end = tileNodeOffset[j+1]
		}
		e.Nodes = tr.nodes[tileNodeOffset[j]:end]
		if tr.data == nil {
			e.Time = tr.tsLast // every archived entry was logged at or before it
		} else {
			n, k := binary.Uvarint(data)
			if k <= 0 || uint64(len(data)-k) < n {
				// A damaged tile: hand on what is left as this entry's bytes
				// so verification names it.
				e.Data = data
				data = nil
			} else if n > 0 {
				e.Data = data[k : k+int(n)]
				data = data[k+int(n):]
			} else {
				data = data[k:]
			}
		}
		if idx >= from && idx < to {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// seal packs the complete tile t into one row and deletes its entry rows.
func (t *wtx) seal(ctx context.Context, tile int64) error {
	base := tile * TileSize
	tr := tileRow{tile: tile, leaves: make([]byte, 0, TileSize*audit.HashSize)}
	var data []byte
	n := 0
	err := t.each(ctx, func(rows Rows) error {
		var idx, ts int64
		var d, leaf, nodes []byte
		if err := rows.Scan(&idx, &ts, &d, &leaf, &nodes); err != nil {
			return err
		}
		if idx != base+int64(n) {
			return fmt.Errorf("audit entry %d missing while sealing tile %d", base+int64(n), tile)
		}
		if n == 0 {
			tr.tsFirst = ts
		}
		tr.tsLast = ts
		data = binary.AppendUvarint(data, uint64(len(d)))
		data = append(data, d...)
		tr.leaves = append(tr.leaves, leaf...)
		tr.nodes = append(tr.nodes, nodes...)
		n++
		return nil
	}, `SELECT idx, ts, data, leaf, nodes FROM audit_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx`, base, base+TileSize)
	if err != nil {
		return t.mapErr(err, "seal audit tile %d", tile)
	}
	if n != TileSize {
		return store.Errorf(store.CodeInternal, "seal audit tile %d: %d of %d entries stored", tile, n, TileSize)
	}
	if err := t.exec(ctx, `INSERT INTO audit_tiles (tile, ts_first, ts_last, data, leaves, nodes) VALUES ($1, $2, $3, $4, $5, $6)`,
		tile, tr.tsFirst, tr.tsLast, data, tr.leaves, tr.nodes); err != nil {
		return err
	}
	return t.exec(ctx, `DELETE FROM audit_entries WHERE idx >= $1 AND idx < $2`, base, base+TileSize)
}

// tileNumbers lists the sealed tiles overlapping [from, to), in order.
func (r *reader) tileNumbers(ctx context.Context, from, to uint64) ([]int64, error) {
	var out []int64
	err := r.each(ctx, func(rows Rows) error {
		var t int64
		if err := rows.Scan(&t); err != nil {
			return err
		}
		out = append(out, t)
		return nil
	}, `SELECT tile FROM audit_tiles WHERE tile >= $1 AND tile <= $2 ORDER BY tile`, clampIndex(from/TileSize), clampIndex(to/TileSize))
	return out, err
}

func (r *reader) eachTile(ctx context.Context, t1, t2 int64, fn func(*tileRow) error) error {
	return r.each(ctx, func(rows Rows) error {
		tr := new(tileRow)
		if err := rows.Scan(&tr.tile, &tr.tsFirst, &tr.tsLast, &tr.data, &tr.leaves, &tr.nodes); err != nil {
			return err
		}
		return fn(tr)
	}, `SELECT tile, ts_first, ts_last, data, leaves, nodes FROM audit_tiles WHERE tile >= $1 AND tile <= $2 ORDER BY tile`, t1, t2)
}
