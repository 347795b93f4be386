package audit

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEncodeDecode_RoundTrip(t *testing.T) {
	prev := bytes.Repeat([]byte{7}, HashSize)
	e := Entry{Time: t0, Kind: "approval.put", Actor: "admin:root", Body: []byte(`{ "id" : "sa-1", "n": [1, 2] }`)}
	b, err := Encode(42, prev, e)
	if err != nil {
		t.Fatal(err)
	}
	want := "xborder-audit-entry/1\nindex 42\ntime 2026-03-01T08:00:00.123456789Z\nkind approval.put\nactor admin:root\nprev " +
		"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n{\"id\":\"sa-1\",\"n\":[1,2]}"
	if string(b) != want {
		t.Fatalf("canonical bytes:\n%s\nwant:\n%s", b, want)
	}
	d, err := DecodeStrict(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.Index != 42 || !d.Time.Equal(t0) || d.Kind != "approval.put" || d.Actor != "admin:root" || !bytes.Equal(d.Prev, prev) || string(d.Body) != `{"id":"sa-1","n":[1,2]}` {
		t.Fatalf("decoded %+v", d)
	}
	again, err := Encode(d.Index, d.Prev, Entry{Time: d.Time, Kind: d.Kind, Actor: d.Actor, Body: d.Body})
	if err != nil || !bytes.Equal(again, b) {
		t.Fatalf("re-encode differs: %v\n%s", err, again)
	}
}

func TestEncode_Refuses(t *testing.T) {
	ok := Entry{Time: t0, Kind: "k", Actor: "a", Body: []byte(`{}`)}
	cases := []struct {
		name string
		mod  func(e *Entry)
		want string
	}{
		{"empty kind", func(e *Entry) { e.Kind = "" }, "kind"},
		{"upper kind", func(e *Entry) { e.Kind = "Transfer" }, "kind"},
		{"long kind", func(e *Entry) { e.Kind = strings.Repeat("k", MaxKindLen+1) }, "kind"},
		{"kind at limit", func(e *Entry) { e.Kind = strings.Repeat("k", MaxKindLen) }, ""},
		{"newline actor", func(e *Entry) { e.Actor = "a\nkind x" }, "control"},
		{"long actor", func(e *Entry) { e.Actor = strings.Repeat("a", MaxActorLen+1) }, "longer"},
		{"actor at limit", func(e *Entry) { e.Actor = strings.Repeat("a", MaxActorLen) }, ""},
		{"token actor", func(e *Entry) { e.Actor = "xbt_abc" }, "token"},
		{"array body", func(e *Entry) { e.Body = []byte(`[1]`) }, "object"},
		{"bad json", func(e *Entry) { e.Body = []byte(`{"a":`) }, "not JSON"},
		{"token in body", func(e *Entry) { e.Body = []byte(`{"auth":"xbt_AAAA"}`) }, "token"},
		{"bad utf8", func(e *Entry) { e.Body = []byte("{\"a\":\"\xff\"}") }, "UTF-8"},
		{"year 1969", func(e *Entry) { e.Time = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC) }, "range"},
		{"empty body ok", func(e *Entry) { e.Body = nil }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := ok
			c.mod(&e)
			_, err := Encode(0, ZeroHash, e)
			if c.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalidEntry) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want error containing %q", err, c.want)
			}
		})
	}
}

func TestDecode_RejectsNonCanonical(t *testing.T) {
	good, err := Encode(5, ZeroHash, Entry{Time: t0, Kind: "k", Actor: "a", Body: []byte(`{"x":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	s := string(good)
	for name, bad := range map[string]string{
		"leading zero index": strings.Replace(s, "index 5", "index 05", 1),
		"short time":         strings.Replace(s, ".123456789Z", "Z", 1),
		"no blank line":      strings.Replace(s, "\n\n", "\n", 1),
		"missing field":      strings.Replace(s, "kind k\n", "", 1),
		"magic":              strings.Replace(s, "entry/1", "entry/2", 1),
		"prev length":        strings.Replace(s, "prev AAAA", "prev AAA", 1),
	} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	if _, err := DecodeStrict([]byte(strings.Replace(s, `{"x":1}`, `{"x": 1}`, 1))); err == nil {
		t.Error("DecodeStrict accepted a non-compact body")
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := Encode(5, ZeroHash, Entry{Time: t0, Kind: "transfer.check", Actor: "officer:bob", Body: []byte(`{"x":[1,"二"]}`)})
	f.Add(good)
	f.Add([]byte("xborder-audit-entry/1\nindex 0\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeStrict(b)
		if err != nil {
			return
		}
		// Whatever decodes strictly must re-encode to the same bytes.
		again, err := Encode(d.Index, d.Prev, Entry{Time: d.Time, Kind: d.Kind, Actor: d.Actor, Body: d.Body})
		if err != nil {
			t.Fatalf("decoded entry does not re-encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n%q\n%q", b, again)
		}
	})
}
