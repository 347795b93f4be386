package scan

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// WriteJSON writes the report as indented JSON (SPEC §6).
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// WriteTable writes a summary for people, within 100 columns.
func WriteTable(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "FILES (%d)\n", len(r.Files))
	fmt.Fprintf(&b, "  %-40s %11s %10s %-7s %-7s %-5s %s\n", "path", "bytes", "records", "format", "enc", "crs", "status")
	for _, f := range r.Files {
		fmt.Fprintf(&b, "  %-40s %11d %10d %-7s %-7s %-5s %s\n", clip(f.Path, 40), f.Bytes, f.Records, clip(f.Format, 7), shortEnc(f.Encoding), f.CRS, f.Status)
		for _, p := range f.Problems {
			loc := "    "
			if p.Line > 0 {
				loc = fmt.Sprintf("    line %d: ", p.Line)
			}
			fmt.Fprintf(&b, "%s\n", clip(loc+p.Text, 98))
		}
		if more := f.ProblemCount - int64(len(f.Problems)); more > 0 {
			fmt.Fprintf(&b, "    … and %d more problem(s)\n", more)
		}
	}
	fmt.Fprintf(&b, "\nIDENTIFIERS\n  %-10s %12s %12s %6s %10s  %s\n", "detector", "count", "distinct", "exact", "invalid", "samples (masked)")
	for _, d := range r.Detectors.list() {
		ex := "yes"
		if !d.r.DistinctExact {
			ex = "est."
		}
		fmt.Fprintf(&b, "  %-10s %12d %12d %6s %10d  %s\n", d.name, d.r.Count, d.r.Distinct, ex, d.r.Invalid, clip(strings.Join(d.r.Samples, " "), 40))
	}
	if r.Detectors.VIN.Unverified > 0 {
		fmt.Fprintf(&b, "  (%d VINs outside China/North America fail the check digit: counted as unverified)\n", r.Detectors.VIN.Unverified)
	}
	fmt.Fprintf(&b, "\nTIME\n")
	if r.Time.First != nil {
		fmt.Fprintf(&b, "  %s to %s, %.2f days\n", *r.Time.First, *r.Time.Last, r.Time.SpanDays)
		if r.Time.AssumedZone != "" {
			fmt.Fprintf(&b, "  timestamps without a zone were read as %s (China time)\n", r.Time.AssumedZone)
		}
	} else {
		b.WriteString("  no timestamps found\n")
	}
	g := r.Geo
	fmt.Fprintf(&b, "\nGEOGRAPHY\n  %d valid points: %d in mainland China, %d outside (%d in HK/MO/TW)\n",
		g.Points, g.InChina, g.OutsideChina, g.HKMOTW)
	if g.Coastal > 0 {
		fmt.Fprintf(&b, "  %d of those in mainland China are in coastal waters (off the land outline, within 12 nmi)\n", g.Coastal)
	}
	if g.Unplaced > 0 {
		fmt.Fprintf(&b, "  %d in mainland China fall in no feature of the boundaries: no province or prefecture\n", g.Unplaced)
	}
	if g.Invalid > 0 {
		fmt.Fprintf(&b, "  %d invalid coordinates (%d with latitude and longitude swapped)\n", g.Invalid, g.Swapped)
	}
	if !g.Located && g.Points > 0 {
		b.WriteString("  not placed: no boundaries available\n")
	}
	if len(g.Provinces) > 0 {
		fmt.Fprintf(&b, "  provinces (%d): %s\n", len(g.Provinces), clip(strings.Join(g.Provinces, " "), 80))
		approx := ""
		if g.PrefecturesApproximate {
			approx = ", approximate"
		}
		fmt.Fprintf(&b, "  prefectures (%d%s): %s\n", len(g.Prefectures), approx, clip(strings.Join(g.Prefectures, " "), 60))
	}
	fmt.Fprintf(&b, "\nSUBJECTS\n  vehicles:    %d distinct (key: %s)\n", r.Subjects.Vehicles.Distinct, clip(orNone(r.Subjects.Vehicles.Key), 52))
	fmt.Fprintf(&b, "  individuals: %d distinct (key: %s)\n", r.Subjects.Individuals.Distinct, clip(orNone(r.Subjects.Individuals.Key), 52))
	b.WriteString("\nFACTS\n")
	fact := func(name, v string) { fmt.Fprintf(&b, "  %-22s %s\n", name, v) }
	if v := r.Facts.VehiclesInChina; v != nil {
		fact(FactVehiclesInChina, fmt.Sprint(*v))
	} else {
		fact(FactVehiclesInChina, "not measured (needs coordinates, boundaries and a vehicle key)")
	}
	if v := r.Facts.Individuals; v != nil {
		fact(FactIndividuals, fmt.Sprint(*v))
	}
	if v := r.Facts.SensitiveIndividuals; v != nil {
		fact(FactSensitiveIndividuals, fmt.Sprint(*v))
	}
	if v := r.Facts.TimeSpanDays; v != nil {
		fact(FactTimeSpanDays, fmt.Sprintf("%.2f", *v))
	}
	if v := r.Facts.ContainsCoordinates; v != nil {
		fact(FactContainsCoordinates, fmt.Sprint(*v))
	} else {
		fact(FactContainsCoordinates, fmt.Sprintf("undetermined: possible coordinates not used in %d file(s);", possibleFiles(r)))
		fact("", "see their problems above and NOTES; declare the fact")
	}
	fact("region_level", "never set by a scan (a judgment); the prefectures above are its evidence")
	if len(r.Notes) > 0 {
		b.WriteString("\nNOTES\n")
		for _, n := range r.Notes {
			for _, l := range wrap(n, 94) {
				fmt.Fprintf(&b, "  %s\n", l)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type namedDet struct {
	name string
	r    *DetectorReport
}

func (d *Detectors) list() []namedDet {
	return []namedDet{{"vin", &d.VIN}, {"plate", &d.Plate}, {"cn_id", &d.CNID}, {"phone", &d.Phone}, {"device_id", &d.DeviceID}}
}

func shortEnc(e string) string {
	switch e {
	case "utf-8-bom":
		return "utf8bom"
	case "gb18030":
		return "gb18030"
	case "utf-8":
		return "utf-8"
	}
	return clip(e, 7)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n < 2 {
		return string(r[:n])
	}
	// Keep the end of paths, the start of everything else.
	if strings.Contains(s, "/") && !strings.Contains(s, " ") {
		return "…" + string(r[len(r)-n+1:])
	}
	return string(r[:n-1]) + "…"
}

func wrap(s string, n int) []string {
	var out []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len([]rune(line))+1+len([]rune(w)) > n {
			out = append(out, line)
			line = w
			continue
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}

// SARIF 2.1.0: one rule per detector plus coordinates and malformed data;
// one result per file and finding kind, located at the first line found.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool sarifTool `json:"tool"`
	// OriginalURIBaseIDs says where %SRCROOT%, the base of relative
	// artifact URIs, was: the working directory of the scan.
	OriginalURIBaseIDs map[string]sarifArtifact `json:"originalUriBaseIds,omitempty"`
	Results            []sarifResult            `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	Name             string       `json:"name"`
	ShortDescription sarifMessage `json:"shortDescription"`
	DefaultConfig    sarifConfig  `json:"defaultConfiguration"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	Physical sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	Artifact sarifArtifact `json:"artifactLocation"`
	Region   *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

// srcRoot is the uriBaseId of relative paths.
const srcRoot = "%SRCROOT%"

// artifactURI turns a path as the scan reported it into an RFC 3986 URI: an
// absolute path becomes a file:// URI, a relative one a relative reference
// against %SRCROOT%. Every byte but the unreserved characters and "/" is
// percent-encoded: spaces, "#" (a fragment otherwise), "%", "?", ":" (a
// scheme otherwise, in a relative first segment) and non-ASCII (as UTF-8).
func artifactURI(p string) sarifArtifact {
	slashed := filepath.ToSlash(p)
	if filepath.IsAbs(p) {
		if !strings.HasPrefix(slashed, "/") {
			slashed = "/" + slashed // a Windows drive: file:///C:/...
		}
		return sarifArtifact{URI: "file://" + escapePath(slashed, true)}
	}
	return sarifArtifact{URI: escapePath(strings.TrimPrefix(path.Clean(slashed), "./"), false), URIBaseID: srcRoot}
}

// escapePath percent-encodes a slash-separated path; drive keeps the colon
// of a Windows drive letter ("/C:").
func escapePath(p string, drive bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '/':
			b.WriteByte(c)
		case c == ':' && drive && i == 2 && p[0] == '/':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

type sarifRegion struct {
	StartLine int64 `json:"startLine"`
}

var sarifRules = []sarifRule{
	{ID: "vin", Name: "VehicleIdentificationNumber", ShortDescription: sarifMessage{"Vehicle identification numbers (personal information linked to a vehicle's keeper)"}, DefaultConfig: sarifConfig{"warning"}},
	{ID: "plate", Name: "LicencePlate", ShortDescription: sarifMessage{"Chinese licence plates"}, DefaultConfig: sarifConfig{"warning"}},
	{ID: "cn_id", Name: "ResidentIdentityNumber", ShortDescription: sarifMessage{"Resident identity card numbers (sensitive personal information)"}, DefaultConfig: sarifConfig{"error"}},
	{ID: "phone", Name: "MobileNumber", ShortDescription: sarifMessage{"Mainland mobile phone numbers"}, DefaultConfig: sarifConfig{"warning"}},
	{ID: "device_id", Name: "DeviceIdentifier", ShortDescription: sarifMessage{"Device and vehicle identifiers"}, DefaultConfig: sarifConfig{"note"}},
	{ID: "coordinates", Name: "Coordinates", ShortDescription: sarifMessage{"Positions or trajectories (sensitive personal information in the automotive context)"}, DefaultConfig: sarifConfig{"warning"}},
	{ID: "possible-coordinates", Name: "PossibleCoordinates", ShortDescription: sarifMessage{"Values that may be coordinates but were not read as positions (contains_coordinates is not measured when no valid coordinate is found)"}, DefaultConfig: sarifConfig{"warning"}},
	{ID: "data-problem", Name: "DataProblem", ShortDescription: sarifMessage{"Malformed records, invalid values or parts not scanned"}, DefaultConfig: sarifConfig{"note"}},
}

// WriteSARIF writes the report as a SARIF 2.1.0 log for CI code-scanning views.
func WriteSARIF(w io.Writer, r *Report) error {
	var res []sarifResult
	relative := false
	loc := func(path string, line int64) []sarifLocation {
		a := artifactURI(path)
		relative = relative || a.URIBaseID != ""
		l := sarifLocation{Physical: sarifPhysical{Artifact: a}}
		if line > 0 {
			l.Physical.Region = &sarifRegion{StartLine: line}
		}
		return []sarifLocation{l}
	}
	level := map[string]string{}
	for _, rule := range sarifRules {
		level[rule.ID] = rule.DefaultConfig.Level
	}
	for _, f := range r.Files {
		names := make([]string, 0, len(f.Found))
		for k := range f.Found {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			res = append(res, sarifResult{RuleID: k, Level: level[k],
				Message:   sarifMessage{fmt.Sprintf("%d %s value(s) in this file", f.Found[k], k)},
				Locations: loc(f.Path, f.FirstLine[k])})
		}
		if f.Points > 0 {
			res = append(res, sarifResult{RuleID: "coordinates", Level: level["coordinates"],
				Message: sarifMessage{fmt.Sprintf("%d valid coordinates (%s)", f.Points, f.CRS)}, Locations: loc(f.Path, 0)})
		}
		if f.PossibleCoordinates > 0 {
			res = append(res, sarifResult{RuleID: "possible-coordinates", Level: level["possible-coordinates"],
				Message:   sarifMessage{fmt.Sprintf("%d problem(s) report possible coordinates not used as positions (see the data-problem results); without a valid coordinate, contains_coordinates is not measured", f.PossibleCoordinates)},
				Locations: loc(f.Path, f.PossibleLine)})
		}
		for _, p := range f.Problems {
			lv := "note"
			if f.Status != StatusScanned {
				lv = "warning"
			}
			res = append(res, sarifResult{RuleID: "data-problem", Level: lv, Message: sarifMessage{p.Text}, Locations: loc(f.Path, p.Line)})
		}
	}
	if res == nil {
		res = []sarifResult{}
	}
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "xborder", InformationURI: "https://github.com/xborder/xborder", Rules: sarifRules}}, Results: res}
	if wd, err := os.Getwd(); err == nil && relative {
		base := artifactURI(wd).URI
		if !strings.HasSuffix(base, "/") {
			base += "/" // a base URI ends with a slash (SARIF 3.14.14)
		}
		run.OriginalURIBaseIDs = map[string]sarifArtifact{srcRoot: {URI: base}}
	}
	log := sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}
