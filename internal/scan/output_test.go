package scan

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// SARIF artifact locations are RFC 3986 URIs: relative paths against
// %SRCROOT% (given in originalUriBaseIds as the working directory),
// absolute ones as file:// URIs, with spaces, "#", "%" and non-ASCII
// percent-encoded.
func TestSARIF_ArtifactURIs(t *testing.T) {
	wd, _ := os.Getwd()
	abs := filepath.Join(wd, "a b", "x%y#1.csv")
	r := &Report{Files: []FileReport{
		{Path: "sp ace/日志 #1.txt", Points: 1, CRS: "wgs84"},
		{Path: "./a:b?.csv", Points: 1, CRS: "wgs84"},
		{Path: abs, Points: 1, CRS: "wgs84"},
	}}
	var b bytes.Buffer
	if err := WriteSARIF(&b, r); err != nil {
		t.Fatal(err)
	}
	var log sarifLog
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	var got []sarifArtifact
	for _, res := range run.Results {
		got = append(got, res.Locations[0].Physical.Artifact)
	}
	want := []sarifArtifact{
		{URI: "sp%20ace/%E6%97%A5%E5%BF%97%20%231.txt", URIBaseID: "%SRCROOT%"},
		{URI: "a%3Ab%3F.csv", URIBaseID: "%SRCROOT%"},
		{URI: "file://" + strings.ReplaceAll(filepath.ToSlash(wd), " ", "%20") + "/a%20b/x%25y%231.csv"},
	}
	if len(got) != len(want) {
		t.Fatalf("artifacts %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("artifact %d = %+v, want %+v", i, got[i], want[i])
		}
		u, err := url.Parse(got[i].URI)
		if err != nil || u.Fragment != "" || u.RawQuery != "" {
			t.Errorf("artifact %d: %q does not parse as one path (%v, fragment %q, query %q)", i, got[i].URI, err, u.Fragment, u.RawQuery)
		}
	}
	if u, err := url.PathUnescape(got[0].URI); err != nil || u != "sp ace/日志 #1.txt" {
		t.Errorf("round trip: %q %v", u, err)
	}
	base := run.OriginalURIBaseIDs["%SRCROOT%"].URI
	if !strings.HasPrefix(base, "file:///") || !strings.HasSuffix(base, "/") {
		t.Errorf("originalUriBaseIds %+v", run.OriginalURIBaseIDs)
	}
}

// The estimate note names the exact limit in force, not the default.
func TestReport_EstimateNoteNamesTheLimit(t *testing.T) {
	var rows strings.Builder
	rows.WriteString("phone\n")
	for i := range 300 {
		rows.WriteString("139" + strings.Repeat("0", 4) + string(rune('0'+i/100)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10)) + "1\n")
	}
	r := scanPaths(t, Options{ExactLimit: 100}, writeTemp(t, "p.csv", rows.String()))
	notes := strings.Join(r.Notes, " ")
	if r.Detectors.Phone.DistinctExact || !strings.Contains(notes, "exceeded 100 values") || strings.Contains(notes, "1,048,576") {
		t.Fatalf("phone %+v, notes %s", r.Detectors.Phone, notes)
	}
	if thousands(1048576) != "1,048,576" || thousands(100) != "100" || thousands(1000) != "1,000" {
		t.Fatal("thousands")
	}
}
