package calendar_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/calendar"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/xerr"
)

// FuzzParse feeds arbitrary bytes to the holiday-file parser: it never
// panics; every error names the file, a line and a column within the input;
// a parsed calendar answers day questions around what it read. Seeds:
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(nationalDay2026))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := calendar.Parse("fuzz.txt", data)
		if err != nil {
			lines := strings.Count(string(data), "\n") + 1
			var list xerr.List
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is not a list of positioned errors: %v", err)
			}
			for _, e := range list {
				var pe *xerr.PosError
				if !errors.As(e, &pe) || pe.File != "fuzz.txt" || pe.Line < 1 || pe.Line > lines+1 || pe.Col < 1 {
					t.Fatalf("badly positioned error %#v in %q", e, data)
				}
			}
			if xerr.ExitCode(err) != xerr.ExitBadInput {
				t.Fatalf("exit code %d", xerr.ExitCode(err))
			}
			return
		}
		if !c.Exact() {
			t.Fatal("a parsed file gives an approximate calendar")
		}
		from := model.MustDate("2026-01-01")
		to := c.AddWorkingDays(from, 10)
		if got := c.WorkingDaysBetween(from, to); got != 10 {
			t.Fatalf("AddWorkingDays/WorkingDaysBetween disagree: %d", got)
		}
	})
}
