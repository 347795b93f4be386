package scan

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/xborder/xborder/internal/model"
)

// Fact names the scan can measure (SPEC §4). It never sets region_level:
// whether data reflects a region's economic operation is a judgment; the
// prefectures touched are its evidence.
const (
	FactVehiclesInChina      = "vehicles_in_china"
	FactIndividuals          = "individuals"
	FactSensitiveIndividuals = "sensitive_individuals"
	FactTimeSpanDays         = "time_span_days"
	FactContainsCoordinates  = "contains_coordinates"
)

// Measure scans the files that globs name (relative to baseDir unless
// absolute; a directory means every file under it) and maps the
// measurements to pack facts, each with source "scan:<glob,...>" and its
// evidence. A glob that matches nothing is an error; files that cannot be
// read are skipped and reported in the Report, not fatal.
//
// What each fact means here:
//   - vehicles_in_china: distinct vehicle keys (VIN, else plate, else a
//     vehicle/device id column) with at least one valid point in mainland
//     China. Only set when the data holds coordinates and boundaries were
//     available: without positions the scan cannot tell where a vehicle
//     operates, and the fact stays a question for the user.
//   - individuals: distinct people whose personal information the data
//     holds: by resident ID, phone or person id column; where a file has only
//     a vehicle key, one person per vehicle (inferred); a trajectory file with
//     no key counts as one person. 0 when no identifier or position was found.
//   - sensitive_individuals: those of them with a position (trajectories
//     are sensitive PI in the automotive context, DOMAIN §2) or a resident
//     ID number in their records.
//   - time_span_days: last minus first timestamp, in days.
//   - contains_coordinates: any valid coordinate found; false when nothing
//     coordinate-like was seen; left out (not measured, so assess asks for
//     it) when no valid coordinate was found but some file holds possible
//     coordinates the scan did not use: projected or whole-number x/y,
//     unnamed or unpaired coordinate-like columns, coordinate-like values
//     turning up late (see the files' problems).
func Measure(ctx context.Context, baseDir string, globs []string, opt Options) (model.FactSet, *Report, error) {
	var pats []string
	for _, g := range globs {
		if !filepath.IsAbs(g) {
			g = filepath.Join(baseDir, filepath.FromSlash(g))
		}
		pats = append(pats, g)
	}
	files, err := ExpandPaths(pats)
	if err != nil {
		return nil, nil, err
	}
	s := NewScanner(opt)
	if err := s.ScanFiles(ctx, files); err != nil {
		return nil, nil, err
	}
	r := s.Report()
	return FactsOf(r, model.SourceScanPrefix+strings.Join(globs, ",")), r, nil
}

// FactsOf maps a report to facts with the given source.
func FactsOf(r *Report, source string) model.FactSet {
	fs := model.FactSet{}
	files := fmt.Sprintf("%d file(s), %d record(s)", len(r.Files), totalRecords(r))
	if skipped := countStatus(r, StatusSkipped) + countStatus(r, StatusPartial); skipped > 0 {
		files += fmt.Sprintf(", %d not fully scanned", skipped)
	}
	if v := r.Facts.VehiclesInChina; v != nil {
		ev := fmt.Sprintf("%d distinct vehicles (key: %s) with a point in mainland China, of %d seen; %s",
			*v, r.Subjects.Vehicles.Key, r.Subjects.Vehicles.Distinct, files)
		if !r.Subjects.Vehicles.Exact {
			ev += "; HyperLogLog estimate (standard error 0.41%)"
		}
		fs[FactVehiclesInChina] = model.FactValue{Value: *v, Source: source, Evidence: ev}
	}
	if v := r.Facts.Individuals; v != nil {
		ev := fmt.Sprintf("%d distinct individuals (key: %s); %s", *v, orNone(r.Subjects.Individuals.Key), files)
		fv := model.FactValue{Value: *v, Source: source, Evidence: ev}
		if r.Subjects.Individuals.Inferred != "" {
			fv.Provenance = model.ProvInferred
			fv.Evidence += "; " + r.Subjects.Individuals.Inferred
		}
		fs[FactIndividuals] = fv
	}
	if v := r.Facts.SensitiveIndividuals; v != nil {
		ev := fmt.Sprintf("%d distinct individuals with positions or resident ID numbers in their records (trajectories are sensitive PI, Auto Provisions 2021); %s", *v, files)
		fv := model.FactValue{Value: *v, Source: source, Evidence: ev}
		if r.Subjects.Individuals.Inferred != "" {
			fv.Provenance = model.ProvInferred
		}
		fs[FactSensitiveIndividuals] = fv
	}
	if v := r.Facts.TimeSpanDays; v != nil {
		ev := fmt.Sprintf("timestamps from %s to %s", deref(r.Time.First), deref(r.Time.Last))
		if r.Time.AssumedZone != "" {
			ev += " (zone-less times read as China time)"
		}
		fs[FactTimeSpanDays] = model.FactValue{Value: *v, Source: source, Evidence: ev}
	}
	// contains_coordinates is left out when the scan saw possible
	// coordinates it did not use and no valid one: the fact stays a
	// question for the user rather than a false.
	if v := r.Facts.ContainsCoordinates; v != nil {
		ev := fmt.Sprintf("%d valid coordinates (%d invalid)", r.Geo.Points, r.Geo.Invalid)
		if len(r.Geo.Prefectures) > 0 {
			ev += fmt.Sprintf(" in %d province(s) and %d prefecture(s): %s", len(r.Geo.Provinces), len(r.Geo.Prefectures), short(r.Geo.Prefectures, 12))
			if r.Geo.PrefecturesApproximate {
				ev += " (prefectures approximate)"
			}
		}
		if n := possibleFiles(r); n > 0 {
			ev += fmt.Sprintf("; %d file(s) also hold possible coordinates not used", n)
		}
		fs[FactContainsCoordinates] = model.FactValue{Value: *v, Source: source, Evidence: ev}
	}
	return fs
}

// UnsettledFacts are the facts the scan looked for but could not decide,
// with why: contains_coordinates when no valid coordinate was found but
// some file holds possible coordinates the scan did not use. assess asks
// the user for them where they matter (a transfer of coordinates needs
// them processed) instead of reading them as false.
func UnsettledFacts(r *Report) map[string]string {
	if r.Facts.ContainsCoordinates != nil {
		return nil
	}
	n := possibleFiles(r)
	if n == 0 {
		return nil
	}
	return map[string]string{FactContainsCoordinates: fmt.Sprintf("%d of its source file(s) hold possible coordinates the scan did not use (see `xborder scan` problems: projected metres, whole numbers in degree range, unpaired or unplaceable columns)", n)}
}

// possibleFiles counts the files holding possible coordinates the scan did
// not use.
func possibleFiles(r *Report) int {
	n := 0
	for _, f := range r.Files {
		if f.PossibleCoordinates > 0 {
			n++
		}
	}
	return n
}

func totalRecords(r *Report) int64 {
	var n int64
	for _, f := range r.Files {
		n += f.Records
	}
	return n
}

func countStatus(r *Report, st string) int {
	n := 0
	for _, f := range r.Files {
		if f.Status == st {
			n++
		}
	}
	return n
}

func deref(s *string) string {
	if s == nil {
		return "?"
	}
	return *s
}

func orNone(s string) string {
	if s == "" {
		return "none found"
	}
	return s
}

func short(xs []string, n int) string {
	if len(xs) <= n {
		return strings.Join(xs, ", ")
	}
	return strings.Join(xs[:n], ", ") + fmt.Sprintf(", … (%d more)", len(xs)-n)
}
