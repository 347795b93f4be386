package detect

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

type rec struct{ out []string }

func (r *rec) FoundVIN(v []byte, st VINStatus) {
	r.out = append(r.out, fmt.Sprintf("vin:%s:%v", v, st))
}
func (r *rec) FoundPlate(k []byte, kind PlateKind) {
	r.out = append(r.out, fmt.Sprintf("plate:%s:%d", k, kind))
}
func (r *rec) FoundCNID(v []byte, ok bool)  { r.out = append(r.out, fmt.Sprintf("id:%s:%v", v, ok)) }
func (r *rec) FoundPhone(v []byte, ok bool) { r.out = append(r.out, fmt.Sprintf("phone:%s:%v", v, ok)) }
func (r *rec) FoundPoint(lat, lon float64)  { r.out = append(r.out, fmt.Sprintf("pt:%g,%g", lat, lon)) }
func (r *rec) FoundTime(ms int64, z bool)   { r.out = append(r.out, fmt.Sprintf("t:%d:%v", ms, z)) }
func (r *rec) InvalidUTF8()                 { r.out = append(r.out, "badutf8") }

func scan(s string, opt TextOptions) string {
	r := &rec{}
	ScanText([]byte(s), opt, r)
	return strings.Join(r.out, " ")
}

func TestScanText(t *testing.T) {
	all := TextOptions{Times: true, Points: true}
	cases := []struct {
		in   string
		opt  TextOptions
		want string
	}{
		{"VIN:LRW3E7EB6RC101571, ok", all, "vin:LRW3E7EB6RC101571:valid"},
		{"xLRW3E7EB6RC101571", all, ""}, // inside a longer token
		{"LRW3E7EB6RC1015712", all, ""}, // 18 chars
		{"lrw3e7eb6rc101571", all, ""},  // lower case: a hash, not a VIN
		{"LRW3E7EA1KC100001", all, "vin:LRW3E7EA1KC100001:invalid"},
		{"车牌京A12345停车", all, "plate:京A12345:1"},
		{"车牌浙A·D82G6。", all, "plate:浙AD82G6:1"},
		{"浙苏H6F681", all, ""},
		{"宁AD1234555555", all, ""},
		{"京A12345X", all, ""}, // serial continues
		{"call 13812345678 now", all, "phone:13812345678:true"},
		{"call 138 1234 5678", all, "phone:13812345678:true"},
		{"call 138-1234-5678.", all, "phone:13812345678:true"},
		{"tel:+8613812345678", all, "phone:13812345678:true"},
		{"ts=1477955400123", all, "t:1477955400123:true"}, // 13-digit ms timestamp: a time, not a phone
		{"ts=1477955400123", TextOptions{}, ""},
		{"x 1477955400123 y", all, ""},
		{`{"eventTime": 1717000000, "counts=1717000001"}`, all, "t:1717000000000:true"},
		{"时间=1717000000123 order", all, "t:1717000000123:true"},
		{"LRW3E7EB6RC101571_20240501.log", all, "vin:LRW3E7EB6RC101571:valid"},
		{"trip_LRW3E7EB6RC101571_end id_11010519491231002X", all, "vin:LRW3E7EB6RC101571:valid id:11010519491231002X:true"},
		{"xLRW3E7EB6RC101571_1", all, ""},
		{"1.5_LRW3E7EB6RC101571", all, "vin:LRW3E7EB6RC101571:valid"},
		{"a3f13812345678b", all, ""}, // inside a hex token
		{"id_13812345678", all, ""},  // underscore joins tokens
		{"v=1.13812345678", all, ""}, // decimal fraction
		{"13812345678.5", all, ""},   // decimal number
		{"12012345678", all, "phone:12012345678:false"},
		{"13812345678", TextOptions{NoPhone: true}, ""},
		{"身份证11010519491231002X。", all, "id:11010519491231002X:true"},
		{"110105194912310021", all, "id:110105194912310021:false"},
		{"pos lat=39.9,lon=116.4 end", all, "pt:39.9,116.4"},
		{`{"lng": 116.4, "lat": 39.9}`, all, "pt:39.9,116.4"},
		{"lat=99.0,lon=116.4", all, ""}, // out of range
		{"经度:116.4 纬度：39.9", all, "pt:39.9,116.4"},
		{"lat=39.9,lon=116.4", TextOptions{}, ""},
		{"2008-10-26T00:59:34Z start", all, "t:1224982774000:true"},
		{"at 2008-10-26 08:59:34 go", all, "t:1224982774000:false"},
		{"2008-10-26 08:59:34", TextOptions{}, ""},
		{"ab\xffcd \xe4\xb8", TextOptions{}, "badutf8 badutf8 badutf8"},
	}
	for _, c := range cases {
		if got := scan(c.in, c.opt); got != c.want {
			t.Errorf("ScanText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

type countSink struct{ n int }

func (c *countSink) FoundVIN([]byte, VINStatus)   { c.n++ }
func (c *countSink) FoundPlate([]byte, PlateKind) { c.n++ }
func (c *countSink) FoundCNID([]byte, bool)       { c.n++ }
func (c *countSink) FoundPhone([]byte, bool)      { c.n++ }
func (c *countSink) FoundPoint(float64, float64)  { c.n++ }
func (c *countSink) FoundTime(int64, bool)        { c.n++ }
func (c *countSink) InvalidUTF8()                 {}

func FuzzScanText(f *testing.F) {
	for _, s := range []string{"VIN:LRW3E7EB6RC101571", "京A·12345", "lat=1,lon=2", "138 1234 5678", "2008年10月26日08时59分34秒", "经度:116.4"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &countSink{}
		ScanText(b, TextOptions{Times: true, Points: true}, s)
		// Every finding consumes at least 9 bytes except a lat/lon pair,
		// which needs at least "lat=0lon=0" (10); so findings are bounded.
		if s.n > len(b)/3+1 {
			t.Fatalf("%d findings in %d bytes", s.n, len(b))
		}
	})
}

func FuzzCheckVIN(f *testing.F) {
	f.Add([]byte("LRW3E7EB6RC101571"))
	f.Add([]byte("WVGZZZ5NZJM131395"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st := CheckVIN(b)
		if st == VINValid && VINCheckDigit(b) != b[8] {
			t.Fatalf("%q valid but check digit %c", b, VINCheckDigit(b))
		}
		if st != VINInvalid && len(b) != 17 {
			t.Fatalf("%q accepted with length %d", b, len(b))
		}
		if len(b) == 17 && repeated(b) != naiveRepeated(b) {
			t.Fatalf("%q: repeated %v, naive %v", b, repeated(b), naiveRepeated(b))
		}
		_ = MaskVIN(b)
	})
}

func FuzzCheckPlate(f *testing.F) {
	for _, s := range []string{"京A12345", "沪AE22075", "粤B·1234挂", "粤B12345D"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var key [16]byte
		n := PlateKey(b, &key)
		if n > 0 {
			if !utf8.Valid(key[:n]) || CheckPlate(key[:n]) == PlateNone {
				t.Fatalf("%q: key %q is not itself a plate", b, key[:n])
			}
		}
		_ = MaskPlate(b)
	})
}

func FuzzCheckCNID(f *testing.F) {
	f.Add([]byte("11010519491231002X"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if CheckCNID(b) && (len(b) != 18 || CNIDCheckChar(b[:17]) != b[17] && !(b[17] == 'x' && CNIDCheckChar(b[:17]) == 'X')) {
			t.Fatalf("%q accepted with a wrong check char", b)
		}
		_ = MaskCNID(b)
	})
}

func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{"2008-10-26T00:59:34Z", "2008年10月26日08时59分34秒", "20081026085934", "2008/1/2 3:04", "2008-10-26T08:59:34.123456+08:00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, _, ok := ParseDateTime(b)
		// Accepted years are 1900-2099, so the result stays in that window
		// give or take a day of zone offset.
		if ok && (ms < -2208988800000-2*86400000 || ms > 4102444800000+2*86400000) {
			t.Fatalf("%q -> %d outside 1900-2099", b, ms)
		}
		_, _, _ = Epoch(b)
	})
}

func FuzzParseFloat(f *testing.F) {
	for _, s := range []string{"104.0817", "-1e5", "0.000000000000000000001", "123456789012345678901"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, ok := ParseFloat(b)
		if ok && v != v {
			// NaN only comes from strconv on "nan" input, which we refuse.
			t.Fatalf("%q -> NaN", b)
		}
		// Agrees with strconv to within a rounding whenever both accept.
		if want, err := strconv.ParseFloat(string(b), 64); ok && err == nil {
			if d := math.Abs(v - want); d > 1e-15*math.Abs(want) && d > 1e-300 {
				t.Fatalf("%q: %v, strconv %v", b, v, want)
			}
		} else if ok && err != nil && !strings.ContainsAny(string(b), "eE") {
			t.Fatalf("%q accepted, strconv refuses: %v", b, err)
		}
		var d [11]byte
		_ = NormalizeMobile(b, &d)
	})
}

// naiveRepeated is the plain definition repeated() must agree with.
func naiveRepeated(v []byte) bool {
	seen := map[byte]bool{}
	run, best := 0, 0
	for i, c := range v {
		seen[c] = true
		if i > 0 && c == v[i-1] {
			run++
		} else {
			run = 1
		}
		best = max(best, run)
	}
	return best >= 8 || len(seen) < 3
}
