package gen

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"testing"

	"github.com/xborder/xborder/internal/scan/detect"
)

// The truth is recounted independently from the written CSV.
func TestTelemetry_TruthMatchesFile(t *testing.T) {
	var buf bytes.Buffer
	tr, err := Telemetry(&buf, TelemetryOptions{Seed: 7, Rows: 20000, Fleet: 5000, HKShare: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(rows)-1) != tr.Rows || tr.Rows != 20000 || int64(buf.Len()) != tr.Bytes {
		t.Fatalf("rows %d truth %d bytes %d truth %d", len(rows)-1, tr.Rows, buf.Len(), tr.Bytes)
	}
	vins, plates, hk := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var prev int64
	for i, r := range rows[1:] {
		if detect.CheckVIN([]byte(r[1])) != detect.VINValid {
			t.Fatalf("row %d: VIN %s does not verify", i, r[1])
		}
		if detect.CheckPlate([]byte(r[2])) == detect.PlateNone {
			t.Fatalf("row %d: plate %s rejected", i, r[2])
		}
		vins[r[1]] = true
		plates[r[2]] = true
		lat, _ := strconv.ParseFloat(r[3], 64)
		if lat < 22.4 && lat > 22.2 {
			hk[r[1]] = true
		}
		ts, _ := strconv.ParseInt(r[0], 10, 64)
		if ts < prev {
			t.Fatalf("row %d: time goes back", i)
		}
		prev = ts
	}
	if len(vins) != tr.DistinctVINs || len(plates) != tr.DistinctPlates || len(hk) != tr.VehiclesOutside ||
		tr.VehiclesInChina+tr.VehiclesOutside != tr.DistinctVINs {
		t.Fatalf("recount vins %d plates %d hk %d, truth %+v", len(vins), len(plates), len(hk), tr)
	}
	if tr.VehiclesOutside == 0 || tr.SpanDays < 25 || tr.SpanDays > 35 {
		t.Fatalf("truth %+v", tr)
	}
	// Rows average about 80 bytes.
	if avg := float64(tr.Bytes) / float64(tr.Rows); avg < 70 || avg > 90 {
		t.Fatalf("average row %.1f bytes", avg)
	}
}

func TestTelemetry_Deterministic(t *testing.T) {
	var a, b bytes.Buffer
	if _, err := Telemetry(&a, TelemetryOptions{Seed: 3, Size: 50000, Fleet: 100}); err != nil {
		t.Fatal(err)
	}
	Telemetry(&b, TelemetryOptions{Seed: 3, Size: 50000, Fleet: 100})
	if !bytes.Equal(a.Bytes(), b.Bytes()) || a.Len() < 50000 || a.Len() > 50200 {
		t.Fatalf("not deterministic or wrong size: %d", a.Len())
	}
}

func TestTelemetry_BadOptions(t *testing.T) {
	if _, err := Telemetry(&bytes.Buffer{}, TelemetryOptions{Fleet: 10}); err == nil {
		t.Fatal("no size nor rows accepted")
	}
	if _, err := Telemetry(&bytes.Buffer{}, TelemetryOptions{Rows: 1, Fleet: 2000000}); err == nil {
		t.Fatal("fleet over 1,000,000 accepted")
	}
}
