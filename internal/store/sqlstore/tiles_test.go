package sqlstore

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/xborder/xborder/internal/audit"
)

func tileOf(entries [][]byte) *tileRow {
	tr := &tileRow{tile: 3, leaves: make([]byte, TileSize*audit.HashSize)}
	var data []byte
	for _, e := range entries {
		data = binary.AppendUvarint(data, uint64(len(e)))
		data = append(data, e...)
	}
	tr.data = data
	tr.nodes = make([]byte, tileNodeOffset[TileSize-1]+(8+2)*audit.HashSize) // tile 3: the last entry completes 8+tz(4) subtrees
	return tr
}

func TestTileEntries_RoundTrip(t *testing.T) {
	var es [][]byte
	for i := 0; i < TileSize; i++ {
		es = append(es, bytes.Repeat([]byte{byte(i)}, i%7+1))
	}
	es[5] = nil // archived inside an old row-by-row log
	tr := tileOf(es)
	var got []audit.StoredEntry
	if err := tr.entries(func(e audit.StoredEntry) error { got = append(got, e); return nil }, 0, 1<<40); err != nil {
		t.Fatal(err)
	}
	if len(got) != TileSize || got[0].Index != 3*TileSize {
		t.Fatalf("%d entries, first %d", len(got), got[0].Index)
	}
	for i, e := range got {
		if !bytes.Equal(e.Data, es[i]) {
			t.Fatalf("entry %d: %x, want %x", i, e.Data, es[i])
		}
		want := audit.NodeCount(e.Index) * audit.HashSize
		if len(e.Nodes) != want {
			t.Fatalf("entry %d: %d node bytes, want %d", e.Index, len(e.Nodes), want)
		}
	}
	// A window inside the tile.
	n := 0
	tr.entries(func(e audit.StoredEntry) error { n++; return nil }, 3*TileSize+10, 3*TileSize+20)
	if n != 10 {
		t.Errorf("window gave %d entries", n)
	}
}

// FuzzTileEntries: a tile blob read from a tampered database must never
// panic; damage is handed on as entry bytes for verification to name.
func FuzzTileEntries(f *testing.F) {
	tr := tileOf([][]byte{[]byte("a"), []byte("bc")})
	f.Add(tr.data, len(tr.nodes))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 0)
	f.Fuzz(func(t *testing.T, data []byte, nodeLen int) {
		if nodeLen < 0 || nodeLen > 1<<16 {
			return
		}
		tr := &tileRow{tile: 1, data: data, leaves: make([]byte, TileSize*audit.HashSize), nodes: make([]byte, nodeLen)}
		tr.entries(func(audit.StoredEntry) error { return nil }, 0, 1<<40)
	})
}
