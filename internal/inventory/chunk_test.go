package inventory

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/model"
)

// parseBoth parses data whole and chunked (one entry per chunk, the most
// cuts) and reports whether the chunked path was taken.
func parseBoth(t *testing.T, data []byte) (whole, chunked *model.Inventory, werr, cerr error, used bool) {
	t.Helper()
	lw, ew := newLoaded(), newErrList()
	parseFile(lw, "f.yaml", data, testOpts, ew, false, 1)
	lw.check(testOpts, ew)
	lc, ec := newLoaded(), newErrList()
	used = parseFile(lc, "f.yaml", data, testOpts, ec, true, 1)
	lc.check(testOpts, ec)
	return lw.inv, lc.inv, ew.result(0), ec.result(0), used
}

func assertSame(t *testing.T, data []byte) bool {
	t.Helper()
	w, c, werr, cerr, used := parseBoth(t, data)
	if (werr == nil) != (cerr == nil) || (werr != nil && werr.Error() != cerr.Error()) {
		t.Fatalf("errors differ (chunked used: %v):\nwhole:   %v\nchunked: %v", used, werr, cerr)
	}
	if werr == nil && !reflect.DeepEqual(w, c) {
		t.Fatalf("inventories differ (chunked used: %v) for\n%s", used, data)
	}
	return used
}

func TestChunked_SameResultsAsWholeParse(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yaml")
	usedSome := false
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			if assertSame(t, data) {
				usedSome = true
			}
		})
	}
	if !usedSome {
		t.Error("no test file took the chunked path")
	}
}

func TestChunked_LayoutsAndPositions(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		chunked bool
	}{
		{"block lists", "processors:\n  - id: p\n    kinds: [oem]\n  - id: q\nassets:\n  - id: a\n    processor: p\n    item: rd.testing.road_test\n", true},
		{"zero-indented list", "processors:\n- id: p\n- id: q\n# trailing comment\n", true},
		{"comments and blanks", "# header\nprocessors: # the entities\n\n  # first\n  - id: p\n\n  - id: q\n", true},
		{"flow list", "processors: [{id: p}]\n", false},
		{"duplicate top key", "processors:\n  - id: p\nprocessors:\n  - id: q\n", false},
		{"document marker", "---\nprocessors:\n  - id: p\n", false},
		{"unknown top key", "processor:\n  - id: p\n", false},
		{"multi-line quoted scalar cut", "processors:\n  - id: p\n    name: \"a\n  - b\"\n", false},
		{"block scalar", "processors:\n  - id: p\n    name: |\n      line one\n      - not an entry\n  - id: q\n", true},
		{"bad value inside", "processors:\n  - id: p\n  - id: [q]\n", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if used := assertSame(t, []byte(tc.body)); used != tc.chunked {
				t.Errorf("chunked path used = %v, want %v", used, tc.chunked)
			}
		})
	}
	// Positions in a later chunk map back to the file's own lines.
	_, c, _, _, _ := parseBoth(t, []byte("# c\nprocessors:\n  - id: p\n\n  - id: q\n    name: n\nassets:\n  - {id: a, processor: q, item: rd.testing.road_test}\n"))
	if got := c.Processors[1].Pos; got != (model.Pos{File: "f.yaml", Line: 5, Col: 5}) {
		t.Errorf("second processor at %v", got)
	}
	if got := c.Assets[0].Pos; got != (model.Pos{File: "f.yaml", Line: 8, Col: 5}) {
		t.Errorf("asset at %v", got)
	}
}

// A file over the threshold takes the chunked path through the public API,
// and its cross-references and errors come out as for a whole parse.
func TestChunked_LargeFileThroughParse(t *testing.T) {
	data := benchInventory(6000, 1200)
	if len(data) < chunkThreshold {
		t.Fatalf("generated %d bytes, below the %d threshold", len(data), chunkThreshold)
	}
	inv, err := Parse("big.yaml", data, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Assets) != 6000 || inv.Assets[5999].ID != "asset-005999" || inv.Transfers[1199].ID != "t-001199" {
		t.Errorf("loaded %d assets, last %s", len(inv.Assets), inv.Assets[len(inv.Assets)-1].ID)
	}
	// Break one asset deep in the file: the error must name its real line
	// (203 lines of processors, then 7 lines per asset).
	bad := strings.Replace(string(data), "  - id: asset-004321\n    processor: proc-21\n", "  - id: asset-004321\n    processor: proc-21\n    colour: red\n", 1)
	_, err = Parse("big.yaml", []byte(bad), testOpts)
	want := "big.yaml:30452:5: assets[4321].colour: unknown field (known: facts, id, item, name, processor, sources)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// FuzzChunked checks that parsing in chunks never changes the result.
func FuzzChunked(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) { assertSame(t, data) })
}
