package inventory

import (
	"errors"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/xerr"
)

// FuzzParse checks that no input makes the loader panic, that a failure is
// always bad input made of positioned errors naming the file, and that a
// success yields records with their required fields. Seeds (every good and
// bad test file) are committed under testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte("processors: [{id: p}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.yaml"
		inv, err := Parse(name, data, testOpts)
		if err != nil {
			if inv != nil {
				t.Fatal("inventory returned with an error")
			}
			if xerr.ExitCode(err) != xerr.ExitBadInput {
				t.Fatalf("exit code %d for %v", xerr.ExitCode(err), err)
			}
			var list xerr.List
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("not a non-empty xerr.List: %T %v", err, err)
			}
			for i, e := range list {
				var pe *xerr.PosError
				if !errors.As(e, &pe) {
					t.Fatalf("member %d is %T", i, e)
				}
				summary := i == len(list)-1 && pe.File == "" && strings.HasSuffix(pe.Msg, "more errors not shown")
				if pe.File != name && !summary {
					t.Fatalf("error without the file name: %q", pe.Error())
				}
			}
			// The same input must give the same report.
			if _, err2 := Parse(name, data, testOpts); err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("nondeterministic:\n%v\n---\n%v", err, err2)
			}
			return
		}
		for _, p := range inv.Processors {
			if p.ID == "" || p.Pos.File != name || p.Pos.Line == 0 {
				t.Fatalf("processor %+v", p)
			}
		}
		for _, a := range inv.Assets {
			if a.ID == "" || a.Processor == "" || a.Item == "" || !testItems[a.Item] {
				t.Fatalf("asset %+v", a)
			}
			for k, v := range a.Facts {
				if _, _, ok := testFacts.Fact(k); !ok || v.Value == nil || testFacts.Derived(k) {
					t.Fatalf("fact %s=%#v", k, v)
				}
			}
		}
		for _, tr := range inv.Transfers {
			if tr.ID == "" || tr.Processor == "" || !tr.Date.Valid() || len(tr.Assets) == 0 || strings.TrimSpace(tr.Recipient.Name) == "" {
				t.Fatalf("transfer %+v", tr)
			}
		}
		for _, ap := range inv.Approvals {
			if ap.ID == "" || ap.Kind == "" || (ap.Processor == "") == (ap.Group == "") {
				t.Fatalf("approval %+v", ap)
			}
		}
	})
}
