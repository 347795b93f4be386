package scan

// Schema is the version tag of the scan JSON (SPEC §6).
const Schema = "xborder.scan/v1"

// File statuses (SPEC §6).
const (
	StatusScanned = "scanned"
	StatusPartial = "partial"
	StatusSkipped = "skipped"
)

// Report is the result of a scan; its JSON form is the contract of
// `xborder scan --format json`. Fields beyond SPEC §6 are additions that
// consumers may ignore.
type Report struct {
	Schema    string       `json:"schema"`
	Files     []FileReport `json:"files"`
	Detectors Detectors    `json:"detectors"`
	Time      TimeReport   `json:"time"`
	Geo       GeoReport    `json:"geo"`
	Subjects  Subjects     `json:"subjects"`
	Facts     ScanFacts    `json:"facts"`
	// Notes state the approximations and assumptions behind the figures.
	Notes []string `json:"notes"`
}

// FileReport describes one scanned (or skipped) file.
type FileReport struct {
	Path     string    `json:"path"`
	Bytes    int64     `json:"bytes"`
	Records  int64     `json:"records"`
	Encoding string    `json:"encoding"`
	Format   string    `json:"format"`
	CRS      string    `json:"crs"`
	Status   string    `json:"status"`
	Problems []Problem `json:"problems"`
	// Additions.
	Gzip bool `json:"gzip,omitempty"`
	// CRSSource says why CRS was chosen: "flag", "file" (named in the file
	// or its name) or "assumed" (the default, WGS-84).
	CRSSource string `json:"crs_source,omitempty"`
	Delimiter string `json:"delimiter,omitempty"`
	Header    bool   `json:"header,omitempty"`
	// Columns are the per-column decisions for tabular data.
	Columns []ColumnReport `json:"columns,omitempty"`
	// Malformed counts records that could not be read as the file's layout
	// (wrong field count, broken quoting); they were scanned as free text.
	Malformed int64 `json:"malformed"`
	// ProblemCount is the number of problems found; Problems lists the first few.
	ProblemCount int64 `json:"problem_count"`
	// Found counts identifiers of each detector in this file, and Points
	// its valid coordinates (for per-file SARIF results).
	Found  map[string]int64 `json:"found,omitempty"`
	Points int64            `json:"points"`
	// PossibleCoordinates counts this file's problems that report possible
	// coordinates not used (columns that may hold positions the scan could
	// not read or convert: projected x/y, whole numbers in degree range,
	// unnamed or unpaired coordinate-like columns, coordinate-like values
	// turning up late). Without a valid coordinate anywhere they leave
	// contains_coordinates undetermined. PossibleLine is the line of the
	// first (0: found while deciding the columns).
	PossibleCoordinates int64 `json:"possible_coordinates,omitempty"`
	PossibleLine        int64 `json:"-"`
	// TentativePoints are this file's points read from x/y columns on an
	// assumption alone (blank in the sample, or no sampled row in mainland
	// China either way round) when none of the file's points fell in
	// mainland China: radar offsets in metres, normalised image boxes and
	// the like read as degrees. They are counted and placed, but do not
	// make contains_coordinates true (it is then undetermined).
	TentativePoints int64 `json:"tentative_points,omitempty"`
	// FirstLine is, per detector, the first line where one was found.
	FirstLine map[string]int64 `json:"-"`
	// Fingerprint is set in sketches only: a keyed hash of the file's
	// content, so that `sketch merge` can refuse the same file twice. It
	// is never in a report.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// Problem is one issue at a line of a file.
type Problem struct {
	Line int64  `json:"line"`
	Text string `json:"text"`
}

// ColumnReport is the decision taken for one column.
type ColumnReport struct {
	Index int    `json:"index"` // 1-based
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	// Why: the header, the share of sampled values that validated, or both.
	Why string `json:"why,omitempty"`
}

// Detectors holds one report per identifier kind, in a fixed order.
type Detectors struct {
	VIN      DetectorReport `json:"vin"`
	Plate    DetectorReport `json:"plate"`
	CNID     DetectorReport `json:"cn_id"`
	Phone    DetectorReport `json:"phone"`
	DeviceID DetectorReport `json:"device_id"`
}

// DetectorReport counts one kind of identifier.
type DetectorReport struct {
	Count         int64    `json:"count"`
	Distinct      uint64   `json:"distinct"`
	DistinctExact bool     `json:"distinct_exact"`
	Invalid       int64    `json:"invalid"`
	Samples       []string `json:"samples"`
	// Unverified (VIN only): well-formed VINs whose check digit fails in a
	// region where it is not mandatory; included in Count.
	Unverified int64 `json:"unverified,omitempty"`
}

// TimeReport is the time span covered by the timestamps found.
type TimeReport struct {
	First    *string `json:"first"`
	Last     *string `json:"last"`
	SpanDays float64 `json:"span_days"`
	// AssumedZone is set when some timestamps had no zone and China time
	// was assumed.
	AssumedZone string `json:"assumed_zone,omitempty"`
	Count       int64  `json:"count"`
	Invalid     int64  `json:"invalid"`
}

// GeoReport summarises the coordinates found.
type GeoReport struct {
	Points       int64    `json:"points"`
	OutsideChina int64    `json:"outside_china"`
	Invalid      int64    `json:"invalid"`
	Provinces    []string `json:"provinces"`
	Prefectures  []string `json:"prefectures"`
	// PrefecturesApproximate is true when prefectures come from the
	// default boundaries (nearest labelled place), not exact polygons.
	PrefecturesApproximate bool `json:"prefectures_approximate"`
	// Additions.
	// InChina counts points in mainland China, Coastal included.
	InChina int64 `json:"in_china"`
	// Coastal counts those of them in coastal waters: off the land outline
	// but within 12 nautical miles of it, or in the Bohai.
	Coastal int64 `json:"coastal"`
	// Unplaced counts those of them in no feature of the --boundaries file
	// (in China by the built-in outline; no province or prefecture).
	Unplaced int64 `json:"unplaced"`
	// HKMOTW counts points in Hong Kong, Macao or Taiwan (outside mainland).
	HKMOTW  int64 `json:"hk_mo_tw"`
	Swapped int64 `json:"swapped"`
	// Located is false when no boundaries were available, so in/out of
	// China could not be decided.
	Located    bool   `json:"located"`
	Boundaries string `json:"boundaries,omitempty"`
}

// Subjects are the distinct vehicles and people the data is about.
type Subjects struct {
	Vehicles    Subject `json:"vehicles"`
	Individuals Subject `json:"individuals"`
}

// Subject is a distinct count over the chosen key.
type Subject struct {
	Distinct uint64 `json:"distinct"`
	Key      string `json:"key"`
	Exact    bool   `json:"distinct_exact"`
	// InChina (vehicles): distinct vehicles with a point in mainland China.
	InChina *uint64 `json:"in_china,omitempty"`
	// Inferred explains a key chosen by fallback.
	Inferred string `json:"inferred,omitempty"`
}

// ScanFacts are the pack facts the scan measured (absent when not measured).
type ScanFacts struct {
	VehiclesInChina *int64   `json:"vehicles_in_china,omitempty"`
	TimeSpanDays    *float64 `json:"time_span_days,omitempty"`
	// ContainsCoordinates: true when a valid coordinate was found, false
	// when nothing coordinate-like was seen, absent (nil) when no valid
	// coordinate was found but some file holds possible coordinates the
	// scan did not use (FileReport.PossibleCoordinates).
	ContainsCoordinates  *bool  `json:"contains_coordinates,omitempty"`
	Individuals          *int64 `json:"individuals,omitempty"`
	SensitiveIndividuals *int64 `json:"sensitive_individuals,omitempty"`
}
