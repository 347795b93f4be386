package audit

import (
	"bytes"
	"compress/gzip"
	"context"
	"testing"
	"time"
)

func FuzzParseCheckpoint(f *testing.F) {
	f.Add("xborder.test/log\n42\n" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
	f.Add("o\n0\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCheckpoint(s)
		if err != nil {
			return
		}
		if c.Body() != s {
			t.Fatalf("parsed checkpoint re-encodes differently:\n%q\n%q", s, c.Body())
		}
	})
}

func FuzzParseArchiveRecord(f *testing.F) {
	tr := EmptyTree()
	for i := 0; i < 5; i++ {
		tr.Append(LeafHash([]byte{byte(i)}))
	}
	rec := ArchiveRecord{Origin: "o", From: 0, To: 5, Time: t0, Before: t0.AddDate(-3, 0, 0), Range: tr.Range(), Root: tr.Root()}
	f.Add(rec.Body())
	f.Add("xborder-audit-archive/1\n")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseArchiveRecord(s)
		if err != nil {
			return
		}
		if a.To < a.From {
			t.Fatal("accepted To < From")
		}
		if _, err := ParseArchiveRecord(a.Body()); err != nil {
			t.Fatalf("re-encoded record does not parse: %v", err)
		}
	})
}

func FuzzBundle(f *testing.F) {
	m := newMemLog(f)
	m.appendN(f, 4)
	m.checkpoint(f)
	f.Add(bundleOf(f, m))
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(`{"bundle":"xborder.audit-bundle/v1"}` + "\n" + `{"entry":0,"data":"x"}` + "\n" + `{"end":1}` + "\n"))
	zw.Close()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rep, err := Verify(ctx, bundleSource(b), Options{})
		if err == nil && rep == nil {
			t.Fatal("nil report without error")
		}
	})
}
