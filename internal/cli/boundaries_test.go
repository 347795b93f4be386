package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestScanBoundariesCRS: a user's boundary file digitised in GCJ-02 is
// converted before testing points; without --boundaries-crs it is read as
// WGS-84, and the ~500 m GCJ-02 offset moves a point near the edge out.
func TestScanBoundariesCRS(t *testing.T) {
	dir := t.TempDir()
	// A small GCJ-02 square around central Chengdu, coded 510100.
	b := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"adcode":510100,"name":"成都市"},
"geometry":{"type":"Polygon","coordinates":[[[104.00,30.60],[104.10,30.60],[104.10,30.70],[104.00,30.70],[104.00,30.60]]]}}]}`
	bf := filepath.Join(dir, "b.geojson")
	os.WriteFile(bf, []byte(b), 0o644)
	// A WGS-84 point inside the square once the square is converted to
	// WGS-84 (here WGS-84 = GCJ-02 - 0.0023 lon, + 0.0026 lat), and outside
	// the square read as if it were WGS-84.
	data := "vin,lat,lon,ts\nLSGJA52U84S123456,30.6500,103.9990,2026-01-01T08:00:00+08:00\n"
	df := filepath.Join(dir, "d.csv")
	os.WriteFile(df, []byte(data), 0o644)
	// In or out of mainland China is the built-in outline's answer either
	// way; the boundaries decide the prefecture.
	geoOf := func(args ...string) (inChina, unplaced int, prefectures []string) {
		code, out, stderr := run(t, append([]string{"scan", df, "--format", "json", "--boundaries", bf}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var r struct {
			Geo struct {
				InChina     int      `json:"in_china"`
				Unplaced    int      `json:"unplaced"`
				Prefectures []string `json:"prefectures"`
			} `json:"geo"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		return r.Geo.InChina, r.Geo.Unplaced, r.Geo.Prefectures
	}
	if n, u, p := geoOf("--boundaries-crs", "gcj02"); n != 1 || u != 0 || len(p) != 1 || p[0] != "510100" {
		t.Errorf("with --boundaries-crs gcj02: %d in China, %d unplaced, prefectures %v; want 1, 0, [510100]", n, u, p)
	}
	if n, u, p := geoOf(); n != 1 || u != 1 || len(p) != 0 {
		t.Errorf("boundaries read as WGS-84: %d in China, %d unplaced, prefectures %v; want 1, 1 (the point lies in the GCJ-02 offset strip), []", n, u, p)
	}
	if code, _, _ := run(t, "scan", df, "--boundaries-crs", "gcj02"); code != 2 {
		t.Errorf("--boundaries-crs without --boundaries: exit %d, want 2", code)
	}
	if code, _, _ := run(t, "scan", df, "--boundaries", bf, "--boundaries-crs", "mercator"); code != 2 {
		t.Errorf("unknown --boundaries-crs: exit %d, want 2", code)
	}
}
