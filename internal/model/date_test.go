package model

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"2026-01-30", true}, {"2024-02-29", true}, {"2025-02-29", false}, {"2026-13-01", false},
		{"2026-1-30", false}, {"30/01/2026", false}, {"", false}, {"2026-01-30T00:00:00Z", false},
	} {
		d, err := ParseDate(c.in)
		if (err == nil) != c.ok {
			t.Errorf("ParseDate(%q): %v, want ok=%v", c.in, err, c.ok)
		}
		if c.ok && d.String() != c.in {
			t.Errorf("ParseDate(%q).String() = %q", c.in, d)
		}
	}
}

func TestDateOfIsChinaTime(t *testing.T) {
	// 16:00 UTC on 31 December is already 1 January in China.
	got := DateOf(time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC))
	if got.String() != "2026-01-01" || got.Year() != 2026 {
		t.Errorf("DateOf = %s", got)
	}
	if got := DateOf(time.Date(2025, 12, 31, 15, 59, 59, 0, time.UTC)); got.String() != "2025-12-31" {
		t.Errorf("DateOf one second earlier = %s", got)
	}
}

func TestAddYearsLeapDay(t *testing.T) {
	cases := map[string]string{"2024-02-29": "2027-02-28", "2026-02-01": "2029-02-01", "2023-07-01": "2026-07-01"}
	for in, want := range cases {
		if got := MustDate(in).AddYears(3); got.String() != want {
			t.Errorf("%s + 3 years = %s, want %s", in, got, want)
		}
	}
	if got := MustDate("2024-02-29").AddYears(4); got.String() != "2028-02-29" {
		t.Errorf("leap to leap = %s", got)
	}
}

func TestDateJSON(t *testing.T) {
	type doc struct {
		D Date `json:"d"`
		N Date `json:"n"`
	}
	b, err := json.Marshal(doc{D: MustDate("2026-12-03"), N: NoDate})
	if err != nil || string(b) != `{"d":"2026-12-03","n":null}` {
		t.Fatalf("marshal: %s %v", b, err)
	}
	var back doc
	if err := json.Unmarshal(b, &back); err != nil || back.D.String() != "2026-12-03" || back.N.Valid() {
		t.Fatalf("unmarshal: %+v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"d":"2026-02-30"}`), &back); err == nil {
		t.Error("accepted 2026-02-30")
	}
}

func TestCount(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1085000: "1,085,000", -100000: "-100,000"} {
		if got := Count(in); got != want {
			t.Errorf("Count(%d) = %q, want %q", in, got, want)
		}
	}
}
