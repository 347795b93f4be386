package detect

import (
	"bufio"
	"encoding/csv"
	"os"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/scan/shareddata"
)

func TestCheckVIN_Table(t *testing.T) {
	cases := []struct {
		vin  string
		want VINStatus
	}{
		{"1HGCM82633A004352", VINValid},      // check digit 3 verifies
		{"1HGCM82643A004352", VINInvalid},    // NA WMI, wrong check digit: mandatory
		{"LRW3E7EB6RC101571", VINValid},      // Tesla Shanghai
		{"LRW3E7EA1KC100001", VINInvalid},    // Chinese WMI, check digit fails
		{"WVGZZZ5NZJM131395", VINUnverified}, // EU: no check digit
		{"WAUZZZ8K1DA006278", VINValid},
		{"lrw3e7eb6rc101571", VINInvalid}, // lower case
		{"LRW3E7EB6RC10157", VINInvalid},  // 16 chars
		{"LRW3E7EB6RC1015711", VINInvalid},
		{"LRW3E7EO6RC101571", VINInvalid}, // O never appears
		{"LRW3E7EQ6RC101571", VINInvalid}, // Q
		{"11111111111111111", VINInvalid}, // repeated and no letter
		{"AAAAAAAAAAAAAAAAA", VINInvalid},
		{"ABABABABABABABABA", VINInvalid}, // two distinct characters
		{"SAAAAAAAAAAAAAAAA", VINInvalid}, // run of 16
		{"WVGZZZ5N7AAAAAAAA", VINInvalid}, // run of 8 at the end (check digit right)
		{"WVGZZZ5N7AAAAAAA1", VINValid},   // run of 7: allowed
		{"AAAAAAAA9BCDEFGH1", VINInvalid}, // run of 8 at the start
		{"AAAAAAAB8BCDEFGH1", VINValid},   // run of 7 at the start, check digit right
		{"12345678901234567", VINInvalid}, // digits only
		{"", VINInvalid},
	}
	for _, c := range cases {
		if got := CheckVIN([]byte(c.vin)); got != c.want {
			t.Errorf("CheckVIN(%q) = %v, want %v", c.vin, got, c.want)
		}
	}
}

func TestVINCheckDigit(t *testing.T) {
	if got := VINCheckDigit([]byte("1HGCM82633A004352")); got != '3' {
		t.Fatalf("check digit = %c, want 3", got)
	}
	if got := VINCheckDigit([]byte("5YJ3E7EBXKF220882")); got != 'X' {
		t.Fatalf("check digit = %c, want X", got)
	}
	if VINCheckDigit([]byte("short")) != 0 || VINCheckDigit([]byte("1HGCM82633A00435I")) != 0 {
		t.Fatal("bad input must give 0")
	}
}

// The vectors file states, for each VIN, whether its check digit verifies.
// Mandatory-check regions (L, 1-5) with a failing digit are invalid; other
// regions are unverified; a verifying digit is valid.
func TestCheckVIN_SharedVectors(t *testing.T) {
	p := shareddata.Path(t, "vins/vin_test_vectors.csv")
	rows := readCSV(t, p)
	n := 0
	for _, r := range rows[1:] {
		vin, valid := r[0], r[4] == "True"
		want := VINValid
		if !valid {
			want = VINUnverified
			if checkMandatory(vin[0]) {
				want = VINInvalid
			}
		}
		if got := CheckVIN([]byte(vin)); got != want {
			t.Errorf("%s (%s): got %v, want %v", vin, r[7], got, want)
		}
		if cd := VINCheckDigit([]byte(vin)); string(cd) != r[2] {
			t.Errorf("%s: check digit %c, file says %s", vin, cd, r[2])
		}
		n++
	}
	if n != 35 {
		t.Fatalf("read %d vectors, want 35", n)
	}
}

// reliability_ranker_vins.csv: 8,239 US VINs of which exactly one
// (ZFBCFYCT0GP333043, an Italian WMI) fails the check digit: it must come out
// unverified, the rest valid.
func TestCheckVIN_RealUSList(t *testing.T) {
	p := shareddata.Path(t, "vins/reliability_ranker_vins.csv")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	counts := map[VINStatus]int{}
	for sc.Scan() {
		st := CheckVIN([]byte(strings.TrimSpace(sc.Text())))
		counts[st]++
		if st != VINValid && sc.Text() != "ZFBCFYCT0GP333043" {
			t.Errorf("%s: %v", sc.Text(), st)
		}
	}
	if counts[VINValid] != 8238 || counts[VINUnverified] != 1 || counts[VINInvalid] != 0 {
		t.Fatalf("counts %v, want 8238 valid, 1 unverified", counts)
	}
}

func readCSV(t *testing.T, p string) [][]string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestCheckPlate_Table(t *testing.T) {
	cases := []struct {
		plate string
		want  PlateKind
	}{
		{"京A12345", PlateRegular},
		{"粤B·12345", PlateRegular}, // middle dot tolerated
		{"粤B•12345", PlateRegular},
		{"沪AE22075", PlateNEV}, // small NEV, E series (since 2022)
		{"粤BD06666", PlateNEV}, // small NEV, D series
		{"粤B12345D", PlateNEV}, // large NEV
		{"粤B12345F", PlateNEV},
		{"粤B1234挂", PlateRegular}, // trailer suffix
		{"粤B1234学", PlateRegular},
		{"粤Z1234港", PlateRegular},
		{"粤B1234赣", PlateNone},    // not a suffix
		{"粤BL12345", PlateNone},   // L is no NEV series letter
		{"粤B12345A", PlateNone},   // large NEV ends in D or F only
		{"粤BD1234", PlateRegular}, // 7 chars: a regular plate
		{"粤B1234", PlateNone},
		{"粤B123456", PlateNone},
		{"粤I12345", PlateNone}, // I is no issuing letter
		{"粤B12O45", PlateNone}, // O is not a serial character
		{"台A12345", PlateNone}, // not a mainland province
		{"AB12345", PlateNone},
		{"宁AD1234555555", PlateNone},
		{"浙苏H6F681", PlateNone},
		{"蒙NHN06赣", PlateNone},
		{"京a12345", PlateNone},
	}
	for _, c := range cases {
		if got := CheckPlate([]byte(c.plate)); got != c.want {
			t.Errorf("CheckPlate(%q) = %v, want %v", c.plate, got, c.want)
		}
	}
}

func TestPlateKey_DotNormalised(t *testing.T) {
	var k1, k2 [16]byte
	n1 := PlateKey([]byte("浙A·D82G6"), &k1)
	n2 := PlateKey([]byte("浙AD82G6"), &k2)
	if n1 == 0 || string(k1[:n1]) != string(k2[:n2]) || string(k1[:n1]) != "浙AD82G6" {
		t.Fatalf("keys %q %q", k1[:n1], k2[:n2])
	}
}

// plate_test_vectors.csv gives the verdict of GA 36-style regexes without a
// dot. Ours agrees on every row but one: 浙A·D82G6 (the dotted form of a
// regular 7-character plate) is accepted because the middle dot is tolerated.
func TestCheckPlate_SharedVectors(t *testing.T) {
	p := shareddata.Path(t, "plates/plate_test_vectors.csv")
	rows := readCSV(t, p)
	if len(rows)-1 != 20 {
		t.Fatalf("%d vectors, want 20", len(rows)-1)
	}
	for _, r := range rows[1:] {
		want := PlateNone
		switch {
		case r[2] == "True":
			want = PlateRegular
		case r[3] == "True":
			want = PlateNEV
		}
		if r[0] == "浙A·D82G6" {
			want = PlateRegular
		}
		if got := CheckPlate([]byte(r[0])); got != want {
			t.Errorf("%s (%s): got %v, want %v", r[0], r[5], got, want)
		}
	}
}

// Every one of the 91,979 CCPD plates is a 7-character blue plate.
func TestCheckPlate_CCPD(t *testing.T) {
	p := shareddata.Path(t, "plates/ccpd2019_plates.csv")
	rows := readCSV(t, p)
	bad := 0
	for _, r := range rows[1:] {
		if CheckPlate([]byte(r[0])) != PlateRegular {
			bad++
			if bad < 5 {
				t.Errorf("CCPD plate %q rejected", r[0])
			}
		}
	}
	if len(rows)-1 != 91979 || bad != 0 {
		t.Fatalf("%d plates, %d rejected", len(rows)-1, bad)
	}
}

func TestCheckCNID(t *testing.T) {
	cases := []struct {
		id   string
		want bool
	}{
		{"11010519491231002X", true}, // GB 11643 example
		{"11010519491231002x", true},
		{"440524188001010014", false}, // standard example, but born 1880: outside 1900-2099
		{"110105194912310021", false}, // wrong check char
		{"11010519491331002X", false}, // month 13
		{"11010519490230002X", false}, // 30 February (check char aside)
		{"99010519491231002X", false}, // province 99 unknown
		{"1101051949123100", false},
		{"A1010519491231002X", false},
	}
	for _, c := range cases {
		if got := CheckCNID([]byte(c.id)); got != c.want {
			t.Errorf("CheckCNID(%s) = %v, want %v", c.id, got, c.want)
		}
	}
	// Unknown county under a valid province: accepted when the check char fits.
	base := []byte("11999919800229123")
	id := append(base, CNIDCheckChar(base))
	if !CheckCNID(id) {
		t.Errorf("%s: unknown county 119999 under Beijing must be accepted", id)
	}
	// 29 February of a non-leap year is rejected even with the right check char.
	base = []byte("11010519810229123")
	if id := append(base, CNIDCheckChar(base)); CheckCNID(id) {
		t.Errorf("%s: 1981-02-29 does not exist", id)
	}
}

func TestCheckMobile(t *testing.T) {
	cases := []struct {
		v    string
		want bool
	}{
		{"13812345678", true}, {"15610383000", true}, {"19912345678", true}, {"14512345678", true},
		{"14012345678", false}, {"12012345678", false}, {"10012345678", false}, {"1381234567", false},
		{"138123456789", false}, {"4001661200", false}, {"1381234567a", false},
	}
	for _, c := range cases {
		if got := CheckMobile([]byte(c.v)); got != c.want {
			t.Errorf("CheckMobile(%s) = %v, want %v", c.v, got, c.want)
		}
	}
	var d [11]byte
	for _, v := range []string{"+8613812345678", "+86 138 1234 5678", "008613812345678", "138-1234-5678", "8613812345678"} {
		if !NormalizeMobile([]byte(v), &d) || string(d[:]) != "13812345678" {
			t.Errorf("NormalizeMobile(%q) failed: %q", v, d)
		}
	}
	for _, v := range []string{"138--1234-5678", "13812345678 ", "1381234567", "+8714812345678", "1477955400123"} {
		if NormalizeMobile([]byte(v), &d) {
			t.Errorf("NormalizeMobile(%q) accepted", v)
		}
	}
}

func TestEpoch(t *testing.T) {
	cases := []struct {
		v    string
		ms   int64
		unit EpochUnit
	}{
		{"1477955400", 1477955400000, EpochSeconds},
		{"1477955400.5", 1477955400000, EpochSeconds},
		{"1477955400123", 1477955400123, EpochMillis},
		{"631152000", 631152000000, EpochSeconds}, // 1990-01-01, window start
		{"631151999", 0, EpochNone},               // just before
		{"4102444799", 4102444799000, EpochSeconds},
		{"4102444800", 0, EpochNone}, // 2100: outside
		{"12345", 0, EpochNone},
		{"13812345678", 0, EpochNone}, // 11 digits is never an epoch
		{"-1477955400", 0, EpochNone},
	}
	for _, c := range cases {
		ms, unit, ok := Epoch([]byte(c.v))
		if ok != (c.unit != EpochNone) || ms != c.ms || unit != c.unit {
			t.Errorf("Epoch(%s) = %d,%v,%v want %d,%v", c.v, ms, unit, ok, c.ms, c.unit)
		}
	}
}

func TestParseDateTime(t *testing.T) {
	const cst = 8 * 3600 * 1000
	base := int64(1224982774000) // 2008-10-26T00:59:34Z
	cases := []struct {
		v     string
		ms    int64
		zoned bool
		ok    bool
	}{
		{"2008-10-26T00:59:34Z", base, true, true},
		{"2008-10-26T08:59:34+08:00", base, true, true},
		{"2008-10-26T08:59:34+0800", base, true, true},
		{"2008-10-25T19:59:34-05:00", base, true, true},
		{"2008-10-26 08:59:34", base, false, true}, // China time assumed
		{"2008/10/26 08:59:34", base, false, true},
		{"2008.10.26 08:59:34", base, false, true},
		{"20081026085934", base, false, true},
		{"2008年10月26日 08:59:34", base, false, true},
		{"2008年10月26日08时59分34秒", base, false, true},
		{"2008-10-26T00:59:34.250Z", base + 250, true, true},
		{"2008-10-26", base - (8*3600+59*60+34)*1000, false, true},
		{"20081026", base - (8*3600+59*60+34)*1000, false, true},
		{"2008-2-3", 1201996800000 - cst, false, true},
		{"2008-02-30", 0, false, false},
		{"2008-13-01", 0, false, false},
		{"1899-12-31", 0, false, false},
		{"2008-10-26T25:00:00", 0, false, false}, // trailing junk once the hour is rejected
		{"200810261", 0, false, false},
		{"hello world", 0, false, false},
		{"1477955400", 0, false, false},
	}
	for _, c := range cases {
		ms, zoned, ok := ParseDateTime([]byte(c.v))
		if ok != c.ok || (ok && (ms != c.ms || zoned != c.zoned)) {
			t.Errorf("ParseDateTime(%q) = %d,%v,%v want %d,%v,%v", c.v, ms, zoned, ok, c.ms, c.zoned, c.ok)
		}
	}
}

func TestParseFloat(t *testing.T) {
	cases := []struct {
		v    string
		want float64
		ok   bool
	}{
		{"104.0817", 104.0817, true}, {"-81.3415985", -81.3415985, true}, {"30.724790000000002", 30.724790000000002, true},
		{"0", 0, true}, {"+1.5", 1.5, true}, {"1e3", 1000, true}, {"1.", 1, true}, {".5", 0.5, true},
		{"", 0, false}, {"-", 0, false}, {".", 0, false}, {"1.2.3", 0, false}, {"abc", 0, false}, {"12a", 0, false},
		{"15610383000.0", 15610383000, true},
	}
	for _, c := range cases {
		got, ok := ParseFloat([]byte(c.v))
		if ok != c.ok || (ok && (got-c.want > 1e-12 || c.want-got > 1e-12)) {
			t.Errorf("ParseFloat(%q) = %v,%v want %v,%v", c.v, got, ok, c.want, c.ok)
		}
	}
}

func TestHeaderHint(t *testing.T) {
	cases := map[string]Hint{
		"VIN": HintVIN, "vin_code": HintVIN, "车架号": HintVIN, "\ufeff车牌号": HintPlate, "plate_no": HintPlate,
		"latitude": HintLat, "纬度": HintLat, "经度": HintLon, "lng": HintLon, "Longitude": HintLon,
		"tracked_at": HintTime, "timestamp": HintTime, "gps_time": HintTime, "date": HintDate,
		"user_id": HintPerson, "driver_id": HintPerson, "IMEI": HintDevice, "device_id": HintDevice,
		"vehicle_id": HintVehicle, "osm_way_id": HintID, "id": HintID, "speed": HintNone,
		"VEHICLE_SPEED ()": HintNone, "站点名称": HintNone, "": HintNone, "身份证号": HintCNID, "手机号": HintPhone,
		// Coordinate words as tokens anywhere in the name.
		"center_lon": HintLon, "center_lat": HintLat, "centroid_lng": HintLon, "pickup_lat": HintLat,
		"location_lat": HintLat, "lat_gcj02": HintLat, "pickupLatitude": HintLat, "GPSLon": HintLon,
		"GPS纬度": HintLat, "终点经度": HintLon, "y": HintNone, "x": HintNone, "wd": HintNone, "jd": HintNone,
		"gps_long": HintLon, "long_term_trim": HintNone, "lat_lng": HintNone, "latency_ms": HintNone,
		"lat_err": HintNone, "is_long": HintNone, "platform": HintNone, "startlat": HintLat,
	}
	for h, want := range cases {
		if got := HeaderHint(h); got != want {
			t.Errorf("HeaderHint(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestMasks(t *testing.T) {
	if got := MaskVIN([]byte("LRW3E7EB6RC101571")); got != "LRW3E7E**********" {
		t.Error(got)
	}
	if got := MaskPhone([]byte("13812345678")); got != "138******78" {
		t.Error(got)
	}
	if got := MaskCNID([]byte("11010519491231002X")); got != "1101**************" {
		t.Error(got)
	}
	if got := MaskPlate([]byte("京A12345")); got != "京A*****" {
		t.Error(got)
	}
	if got := MaskID([]byte("0a1c60b6ec3cf05f")); got != "0a1c************" {
		t.Error(got)
	}
	if got := MaskID([]byte("\xff\xfe")); strings.ContainsAny(got, "\xff") {
		t.Error(got)
	}
}

// repeated() agrees with its plain definition on strings made of few
// characters (where runs and small alphabets are common).
func TestRepeated_MatchesDefinition(t *testing.T) {
	alpha := []byte("AB1C")
	var v [17]byte
	seed := uint32(1)
	for n := 0; n < 200000; n++ {
		k := 2 + n%3 // alphabets of 2, 3 or 4 characters
		for i := range v {
			seed = seed*1664525 + 1013904223
			v[i] = alpha[(seed>>24)%uint32(k)]
		}
		if repeated(v[:]) != naiveRepeated(v[:]) {
			t.Fatalf("%s: repeated %v, definition %v", v, repeated(v[:]), naiveRepeated(v[:]))
		}
	}
}

// Coordinate headers: exact names, tokens with a stem to pair them, weak
// names; and the coordinate system a header names.
func TestCoordHeader(t *testing.T) {
	cases := []struct {
		h     string
		hint  Hint
		stem  string
		exact bool
	}{
		{"lat", HintLat, "", true}, {"Longitude", HintLon, "", true}, {"纬度", HintLat, "", true},
		{"pickup_lat", HintLat, "pickup", false}, {"pickup_lon", HintLon, "pickup", false},
		{"dropoffLatitude", HintLat, "dropoff", false}, {"center_lon", HintLon, "center", false},
		{"lat_gcj02", HintLat, "gcj02", false}, {"lat1", HintLat, "1", false}, {"lng1", HintLon, "1", false},
		{"GPS纬度", HintLat, "gps", false}, {"y", HintLat, "", false}, {"speed", HintNone, "", false},
	}
	for _, c := range cases {
		h, stem, exact := CoordHeader(c.h)
		if h != c.hint || stem != c.stem || exact != c.exact {
			t.Errorf("CoordHeader(%q) = %v %q %v, want %v %q %v", c.h, h, stem, exact, c.hint, c.stem, c.exact)
		}
	}
	if HeaderCRS("lat_gcj02") != "gcj02" || HeaderCRS("bd09_lng") != "bd09" || HeaderCRS("lat") != "" {
		t.Error("HeaderCRS")
	}
	if got := strings.Join(HeaderTokens("pickupLat_GPSTime 2"), ","); got != "pickup,lat,gps,time,2" {
		t.Errorf("tokens %s", got)
	}
}
