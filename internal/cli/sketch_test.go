package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/scan"
)

// testKeyFile writes a sketch key for the test.
func testKeyFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sketch.key")
	if code, _, errs := run(t, "sketch", "keygen", "-o", p); code != 0 {
		t.Fatalf("keygen: %d %s", code, errs)
	}
	return p
}

// keygen writes a fresh 0600 key and never overwrites one.
func TestSketchKeygen(t *testing.T) {
	p := testKeyFile(t)
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 || st.Size() != 65 {
		t.Fatalf("key file %v %v", st, err)
	}
	if code, _, errs := run(t, "sketch", "keygen", "-o", p); code != 2 || !strings.Contains(errs, "never overwrites") {
		t.Fatalf("keygen over a key: %d %s", code, errs)
	}
	_, a, _ := run(t, "sketch", "keygen")
	_, b, _ := run(t, "sketch", "keygen")
	if len(strings.TrimSpace(a)) != 64 || a == b {
		t.Fatalf("keys %q %q", a, b)
	}
}

// --sketch-out without a key is refused before scanning; with a short key
// too; the key may come from the environment.
func TestScanSketchOut_NeedsKey(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "t.csv")
	runCLI(t, "gen", "telemetry", "--rows", "200", "--fleet", "30", "--seed", "1", "-o", data)
	out := filepath.Join(dir, "t.sketch")
	if code, _, errs := runCLI(t, "scan", data, "--sketch-out", out); code != 2 || !strings.Contains(errs, "needs a sketch key") {
		t.Fatalf("no key: %d %s", code, errs)
	}
	short := filepath.Join(dir, "short.key")
	os.WriteFile(short, []byte("abc\n"), 0o600)
	if code, _, errs := runCLI(t, "scan", data, "--sketch-out", out, "--sketch-key-file", short); code != 2 || !strings.Contains(errs, "too short") {
		t.Fatalf("short key: %d %s", code, errs)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a refused scan wrote a sketch")
	}
	var stdout, stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Now: time.Now,
		Getenv: func(k string) string {
			if k == "XBORDER_SKETCH_KEY" {
				return "0123456789abcdef0123456789abcdef"
			}
			return ""
		}}
	if code := Run(context.Background(), env, []string{"scan", data, "--sketch-out", out}); code != 0 {
		t.Fatalf("key from the environment: %d %s", code, stderr.String())
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
}

// sketch merge refuses: the same sketch twice, two sketches holding one
// file, sketches of two keys, a key that is not theirs, sketches placed with
// different boundaries (naming both); each with exit 2. A good merge keeps
// the data credit a direct scan prints.
func TestSketchMerge_Refusals(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	runCLI(t, "gen", "telemetry", "--rows", "500", "--fleet", "60", "--seed", "1", "-o", a)
	runCLI(t, "gen", "telemetry", "--rows", "500", "--fleet", "60", "--seed", "2", "-o", b)
	key, key2 := testKeyFile(t), testKeyFile(t)
	bnd := filepath.Join(dir, "sd.geojson")
	os.WriteFile(bnd, []byte(`{"features":[{"type":"Feature","properties":{"adcode":370100,"level":"city"},"geometry":{"type":"Polygon","coordinates":[[[116,36],[118,36],[118,37],[116,37],[116,36]]]}},
{"type":"Feature","properties":{"adcode":"100000_JD","adchar":"JD"},"geometry":{"type":"Polygon","coordinates":[[[110,10],[111,10],[111,11],[110,10]]]}}]}`), 0o644)
	sk := func(name string, args ...string) string {
		p := filepath.Join(dir, name)
		if code, _, errs := runCLI(t, append(append([]string{"scan"}, args...), "--sketch-out", p)...); code != 0 {
			t.Fatalf("scan for %s: %s", name, errs)
		}
		return p
	}
	sa := sk("a.sketch", a, "--sketch-key-file", key)
	sb := sk("b.sketch", b, "--sketch-key-file", key)
	sab := sk("ab.sketch", a, b, "--sketch-key-file", key)
	sb2 := sk("b2.sketch", b, "--sketch-key-file", key2)
	sbu := sk("bu.sketch", b, "--sketch-key-file", key, "--boundaries", bnd)
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{sa, sa}, []string{sa + ": the same sketch as " + sa}},
		{[]string{sa, sab}, []string{sab + " holds " + a, "already merged"}},
		{[]string{sa, sb2}, []string{sb2 + " was made with sketch key"}},
		{[]string{sa, sb, "--sketch-key-file", key2}, []string{sa + ": made with sketch key", "not with the key given"}},
		{[]string{sa, sbu}, []string{sbu + " was placed with other boundaries than " + sa, "built-in boundaries", bnd}},
	}
	for _, c := range cases {
		code, out, errs := runCLI(t, append([]string{"sketch", "merge", "--format", "json"}, c.args...)...)
		if code != 2 || out != "" {
			t.Errorf("merge %v: exit %d, out %q", c.args, code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(errs, w) {
				t.Errorf("merge %v: %q lacks %q", c.args, errs, w)
			}
		}
	}
	code, out, errs := runCLI(t, "sketch", "merge", "--format", "json", sa, sb, "--sketch-key-file", key)
	if code != 0 {
		t.Fatalf("merge: %s", errs)
	}
	var m scan.Report
	json.Unmarshal([]byte(out), &m)
	_, direct, _ := runCLI(t, "scan", a, b, "--format", "json")
	var w scan.Report
	json.Unmarshal([]byte(direct), &w)
	if strings.Join(m.Notes, "\n") != strings.Join(w.Notes, "\n") || !strings.Contains(strings.Join(m.Notes, " "), "OpenStreetMap contributors (ODbL") {
		t.Errorf("merged notes differ from a direct scan's:\n%q\n%q", m.Notes, w.Notes)
	}
	if !m.Geo.PrefecturesApproximate || m.Geo.Boundaries != w.Geo.Boundaries || len(m.Files) != 2 {
		t.Errorf("merged geo %+v", m.Geo)
	}
}
