package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/gen"
	"github.com/xborder/xborder/internal/geo"
	"github.com/xborder/xborder/internal/scan/distinct"
)

// useTestKey sets a sketch key for the test and a random one after it.
func useTestKey(t testing.TB) {
	t.Helper()
	if err := distinct.SetKey([]byte("test key: not secret, long enough")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(distinct.UseEphemeralKey)
}

// sketchOf scans paths and returns the sketch, read back as merge reads it.
func sketchOf(t testing.TB, opt Options, source string, paths ...string) *Sketch {
	t.Helper()
	s := NewScanner(opt)
	if err := s.ScanFiles(context.Background(), paths); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.WriteSketch(&buf); err != nil {
		t.Fatal(err)
	}
	k, err := ReadSketch(&buf)
	if err != nil {
		t.Fatal(err)
	}
	k.Source = source
	return k
}

func telemetryFile(t testing.TB, name string, seed int64) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := gen.Telemetry(&b, gen.TelemetryOptions{Seed: seed, Rows: 2000, Fleet: 300}); err != nil {
		t.Fatal(err)
	}
	return writeTemp(t, name, b.String())
}

// Without a key given, no sketch is written: its hashes would be of the
// per-run random key (useless to merge), and a sketch's hashes must never be
// unkeyed (reversible by hashing every phone number).
func TestSketch_NeedsAKey(t *testing.T) {
	distinct.UseEphemeralKey()
	s := NewScanner(Options{Geo: fakeGeo})
	if err := s.ScanFiles(context.Background(), []string{telemetryFile(t, "t.csv", 1)}); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteSketch(&bytes.Buffer{}); !errors.Is(err, ErrNoSketchKey) {
		t.Fatalf("sketch written without a key: %v", err)
	}
}

// A sketch holds keyed hashes: the same values under two keys share no
// hash, and the sketch records the key's id, never the key.
func TestSketch_HashesAreKeyed(t *testing.T) {
	p := writeTemp(t, "p.csv", "phone\n13800138000\n13912345678\n")
	useTestKey(t)
	a := sketchOf(t, Options{}, "a", p)
	if err := distinct.SetKey([]byte("another key, also long enough")); err != nil {
		t.Fatal(err)
	}
	b := sketchOf(t, Options{}, "b", p)
	raw, _ := json.Marshal(a)
	if strings.Contains(string(raw), "test key") || a.KeyID == b.KeyID || a.KeyID == "" {
		t.Fatalf("key ids %q %q, or the key itself is in the sketch", a.KeyID, b.KeyID)
	}
	var ca, cb distinct.Counter
	if ca.UnmarshalBinary(a.Detectors[dPhone].Distinct) != nil || cb.UnmarshalBinary(b.Detectors[dPhone].Distinct) != nil ||
		bytes.Equal(a.Detectors[dPhone].Distinct, b.Detectors[dPhone].Distinct) || ca.Count() != 2 {
		t.Fatal("the phone hashes do not depend on the key")
	}
	m := NewScanner(Options{})
	if err := m.MergeSketch(a); err != nil {
		t.Fatal(err)
	}
	if err := m.MergeSketch(b); err == nil || !strings.Contains(err.Error(), "b was made with sketch key") {
		t.Fatalf("shards of two keys merged: %v", err)
	}
	if m.Report().Detectors.Phone.Count != 2 {
		t.Fatal("a refused merge changed the counts")
	}
}

// The same file twice (a sketch merged with itself, or two sketches
// holding one file) is refused: its values would count twice.
func TestSketch_RefusesDuplicateFiles(t *testing.T) {
	useTestKey(t)
	pa, pb := telemetryFile(t, "a.csv", 1), telemetryFile(t, "b.csv", 2)
	a := sketchOf(t, Options{Geo: fakeGeo}, "a.sketch", pa)
	ab := sketchOf(t, Options{Geo: fakeGeo}, "ab.sketch", pa, pb)
	for _, second := range []*Sketch{a, ab} {
		m := NewScanner(Options{})
		if err := m.MergeSketch(a); err != nil {
			t.Fatal(err)
		}
		err := m.MergeSketch(second)
		if err == nil || !strings.Contains(err.Error(), second.Source+" holds "+pa) || !strings.Contains(err.Error(), "already merged") {
			t.Fatalf("merging %s after a.sketch: %v", second.Source, err)
		}
	}
	// The same path with other content is another file.
	b := sketchOf(t, Options{Geo: fakeGeo}, "b.sketch", pb)
	b.Files[0].Path = pa
	m := NewScanner(Options{})
	if err := m.MergeSketch(a); err != nil {
		t.Fatal(err)
	}
	if err := m.MergeSketch(b); err != nil {
		t.Fatalf("same path, other content: %v", err)
	}
	if f := m.Report().Files[0]; f.Fingerprint != "" {
		t.Fatalf("a report carries a fingerprint: %+v", f)
	}
}

// Shards placed with different boundaries are not merged, and the message
// names both; shards placed alike keep the boundaries' credit and notes.
func TestSketch_BoundariesMustAgree(t *testing.T) {
	useTestKey(t)
	def, err := LoadGeo("")
	if err != nil {
		t.Fatal(err)
	}
	b := filepath.Join(t.TempDir(), "b.geojson")
	os.WriteFile(b, []byte(`{"features":[{"type":"Feature","properties":{"adcode":"510100"},"geometry":{"type":"Polygon","coordinates":[[[104,30],[105,30],[105,31],[104,31],[104,30]]]}},
{"type":"Feature","properties":{"adcode":"100000_JD"},"geometry":{"type":"Polygon","coordinates":[[[110,10],[111,10],[111,11],[110,10]]]}}]}`), 0o644)
	user, err := LoadGeo(b)
	if err != nil {
		t.Fatal(err)
	}
	pa, pb := telemetryFile(t, "a.csv", 1), telemetryFile(t, "b.csv", 2)
	ka := sketchOf(t, Options{Geo: def}, "builtin.sketch", pa)
	kb := sketchOf(t, Options{Geo: user}, "user.sketch", pb)
	m := NewScanner(Options{})
	if err := m.MergeSketch(ka); err != nil {
		t.Fatal(err)
	}
	err = m.MergeSketch(kb)
	if err == nil || !strings.Contains(err.Error(), "user.sketch was placed with other boundaries than builtin.sketch") ||
		!strings.Contains(err.Error(), "built-in boundaries") || !strings.Contains(err.Error(), "b.geojson") {
		t.Fatalf("merge across boundaries: %v", err)
	}
	// Alike: the credit and the notes survive the merge.
	kb2 := sketchOf(t, Options{Geo: def}, "b2.sketch", pb)
	if err := m.MergeSketch(kb2); err != nil {
		t.Fatal(err)
	}
	r := m.Report()
	if !r.Geo.PrefecturesApproximate || !strings.Contains(strings.Join(r.Notes, " "), "OpenStreetMap contributors (ODbL") {
		t.Fatalf("merged report lost the approximation or the credit: %v", r.Notes)
	}
	mu := NewScanner(Options{})
	if err := mu.MergeSketch(kb); err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(mu.Report().Notes, " ")
	if mu.Report().Geo.PrefecturesApproximate || !strings.Contains(notes, "100000_JD") || !strings.Contains(notes, "OpenStreetMap") {
		t.Fatalf("user-boundaries sketch merged: approximate %v, notes %s", mu.Report().Geo.PrefecturesApproximate, notes)
	}
}

// Coastal and unplaced points survive a sketch round trip.
func TestSketch_CoastalAndUnplacedCounts(t *testing.T) {
	useTestKey(t)
	g := userGeo(t)
	p := writeTemp(t, "pts.csv", coastalCSV)
	whole := scanPaths(t, Options{Geo: g}, p)
	m := NewScanner(Options{})
	if err := m.MergeSketch(sketchOf(t, Options{Geo: g}, "s", p)); err != nil {
		t.Fatal(err)
	}
	r := m.Report()
	if r.Geo.Coastal != whole.Geo.Coastal || r.Geo.Unplaced != whole.Geo.Unplaced || r.Geo.Coastal == 0 || r.Geo.Unplaced == 0 {
		t.Fatalf("merged coastal %d unplaced %d, scanned %d %d", r.Geo.Coastal, r.Geo.Unplaced, whole.Geo.Coastal, whole.Geo.Unplaced)
	}
}

var _ = geo.Attribution

// Sketches older than v3 may lack possible_coordinates: refused, with a
// pointer to scan again, rather than merged into a false
// contains_coordinates.
func TestReadSketch_RefusesOlderSchemas(t *testing.T) {
	if SketchSchema != "xborder.scan-sketch/v3" {
		t.Fatalf("schema %s", SketchSchema)
	}
	for _, v := range []string{"xborder.scan-sketch/v1", "xborder.scan-sketch/v2"} {
		_, err := ReadSketch(strings.NewReader(`{"schema":"` + v + `","hash":"xxh3-64","exact_limit":10}`))
		if err == nil || !strings.Contains(err.Error(), "older than") || !strings.Contains(err.Error(), "scan that shard again") {
			t.Fatalf("%s: %v", v, err)
		}
	}
	_, err := ReadSketch(strings.NewReader(`{"schema":"other/v1"}`))
	if err == nil || strings.Contains(err.Error(), "older than") {
		t.Fatalf("other: %v", err)
	}
}
