package calendar_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/calendar"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/xerr"
)

var d = model.MustDate

// 2026-01-02 is a Friday, 01-03 Saturday, 01-04 Sunday, 01-05 Monday.
func TestWeekends_SaturdayAndSundayAreOff(t *testing.T) {
	c := calendar.Weekends()
	want := map[string]bool{
		"2026-01-01": true, "2026-01-02": true, "2026-01-03": false, "2026-01-04": false,
		"2026-01-05": true, "2026-01-06": true, "2026-01-07": true, "2026-01-08": true,
		"2026-01-09": true, "2026-01-10": false, "2026-01-11": false,
		"2024-02-29": true, "2028-02-29": true, "2026-10-01": true, // a holiday, but not known without a file
	}
	for day, working := range want {
		if got := c.IsWorkingDay(d(day)); got != working {
			t.Errorf("%s: working %v, want %v", day, got, working)
		}
	}
	if c.Exact() || !strings.Contains(c.Describe(), "approximate") {
		t.Errorf("the weekends-only calendar must say it is approximate: exact %v, %q", c.Exact(), c.Describe())
	}
}

const nationalDay2026 = `# National Day 2026 (test data)
2026-10-01
2026-10-02   # Friday
  2026-10-05
2026-10-06
2026-10-07

+2026-10-10
+ 2026-09-27
`

func TestParse_HolidaysAndWorkingWeekendDays(t *testing.T) {
	c, err := calendar.Parse("holidays.txt", []byte(nationalDay2026))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"2026-09-30": true,  // Wednesday
		"2026-10-01": false, // Thursday, holiday
		"2026-10-02": false, // Friday, holiday (trailing comment)
		"2026-10-03": false, // Saturday
		"2026-10-05": false, // Monday, holiday (indented)
		"2026-10-08": true,  // Thursday
		"2026-10-10": true,  // Saturday worked
		"2026-10-11": false, // Sunday
		"2026-09-27": true,  // Sunday worked ("+ " with a space)
	}
	for day, working := range want {
		if got := c.IsWorkingDay(d(day)); got != working {
			t.Errorf("%s: working %v, want %v", day, got, working)
		}
	}
	if !c.Exact() || c.Describe() != "holidays from holidays.txt (7 entries, for 2026; other years weekends only, approximate)" {
		t.Errorf("exact %v, describe %q", c.Exact(), c.Describe())
	}
}

func TestParse_WindowsLineEndingsAndEmptyFile(t *testing.T) {
	c, err := calendar.Parse("h.txt", []byte("2026-10-01\r\n+2026-10-10\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.IsWorkingDay(d("2026-10-01")) || !c.IsWorkingDay(d("2026-10-10")) {
		t.Error("CRLF lines not read")
	}
	c, err = calendar.Parse("empty.txt", nil)
	if err != nil || !c.Exact() || c.Describe() != "holidays from empty.txt (no entries: weekends only, approximate)" {
		t.Errorf("empty file: %v %q", err, c.Describe())
	}
}

// TestDescribe_NamesTheYearsCovered: a deadline in a year the file does not
// cover is counted with weekends only, and the report says which years are
// exact.
func TestDescribe_NamesTheYearsCovered(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"2025-10-01\n", "holidays from h.txt (1 entries, for 2025; other years weekends only, approximate)"},
		{"2025-10-01\n+2026-02-14\n2026-10-01\n", "holidays from h.txt (3 entries, for 2025-2026; other years weekends only, approximate)"},
		{"2024-10-01\n2026-10-01\n", "holidays from h.txt (2 entries, for 2024, 2026; other years weekends only, approximate)"},
	} {
		cal, err := calendar.Parse("h.txt", []byte(c.src))
		if err != nil {
			t.Fatal(err)
		}
		if got := cal.Describe(); got != c.want {
			t.Errorf("Describe() = %q, want %q", got, c.want)
		}
	}
}

// Exact error texts, each naming file:line:column (column of the entry).
func TestParse_Errors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"month 13", "2026-13-01\n", `h.txt:1:1: invalid date "2026-13-01": want YYYY-MM-DD (a holiday is YYYY-MM-DD, a working weekend day +YYYY-MM-DD)`},
		{"30 February, indented, after a comment",
			"# list\n\n   2026-02-30 # x\n",
			`h.txt:3:4: invalid date "2026-02-30": want YYYY-MM-DD (a holiday is YYYY-MM-DD, a working weekend day +YYYY-MM-DD)`},
		{"29 February of a common year", "2026-02-29\n", `h.txt:1:1: invalid date "2026-02-29": want YYYY-MM-DD (a holiday is YYYY-MM-DD, a working weekend day +YYYY-MM-DD)`},
		{"short form", "+2026-1-3\n", `h.txt:1:1: invalid date "2026-1-3": want YYYY-MM-DD (a holiday is YYYY-MM-DD, a working weekend day +YYYY-MM-DD)`},
		{"two dates on a line", "2026-01-01 2026-01-02\n", `h.txt:1:1: invalid date "2026-01-01 2026-01-02": want YYYY-MM-DD (a holiday is YYYY-MM-DD, a working weekend day +YYYY-MM-DD)`},
		{"double plus", "++2026-01-04\n", `h.txt:1:1: invalid date "+2026-01-04": want YYYY-MM-DD (a holiday is YYYY-MM-DD, a working weekend day +YYYY-MM-DD)`},
		{"tab indentation", "\t2026-01-0x\n", `h.txt:1:2: invalid date "2026-01-0x": want YYYY-MM-DD (a holiday is YYYY-MM-DD, a working weekend day +YYYY-MM-DD)`},
		{"every bad line is reported",
			"2026-10-01\nOct 2\n2026-10-05\n2026/10/06\n",
			`h.txt:2:1: invalid date "Oct 2": want YYYY-MM-DD (a holiday is YYYY-MM-DD, a working weekend day +YYYY-MM-DD)
h.txt:4:1: invalid date "2026/10/06": want YYYY-MM-DD (a holiday is YYYY-MM-DD, a working weekend day +YYYY-MM-DD)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cal, err := calendar.Parse("h.txt", []byte(c.src))
			if err == nil {
				t.Fatalf("parsed: %v", cal.Describe())
			}
			if err.Error() != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, c.want)
			}
			if xerr.ExitCode(err) != xerr.ExitBadInput {
				t.Errorf("exit code %d, want 2", xerr.ExitCode(err))
			}
			var pe *xerr.PosError
			if !errors.As(err, &pe) || pe.Line == 0 || pe.Col == 0 {
				t.Errorf("no position: %#v", err)
			}
		})
	}
}

// Where the SPEC is silent we expect what a careful officer would: a holiday
// file saved by Windows Notepad (UTF-8 with a byte-order mark) is read like
// the inventory is; a date listed both as a holiday and as a worked day, or a
// `+` on a weekday (which changes nothing, so it is a typo for another date),
// is an error rather than a silent choice. Run with XBORDER_CALENDAR_BUGS=1.
func TestParse_CarefulOfficerExpectations(t *testing.T) {
	cases := []struct {
		name, src, bug string
		ok             bool
		contains       string
	}{
		{"byte-order mark", "\ufeff2026-10-01\n", "a UTF-8 byte-order mark makes the first line an invalid date (the inventory loader strips it)", true, ""},
		{"holiday and worked day at once", "2026-01-03\n+2026-01-03\n", "a date listed as both holiday and worked day is accepted silently (the worked day wins)", false, "h.txt:2:"},
		{"plus on a weekday", "+2026-01-05\n", "`+` before a weekday is accepted silently though it changes nothing", false, "h.txt:1:1:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cal, err := calendar.Parse("h.txt", []byte(c.src))
			if c.ok {
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				if cal.IsWorkingDay(d("2026-10-01")) {
					t.Error("2026-10-01 not read as a holiday")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.contains) {
				t.Fatalf("error %v, want one containing %q", err, c.contains)
			}
		})
	}
}

func TestLoad_FileAndMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "h.txt")
	if err := os.WriteFile(p, []byte("2026-10-01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := calendar.Load(p)
	if err != nil || c.IsWorkingDay(d("2026-10-01")) || !strings.Contains(c.Describe(), p) {
		t.Fatalf("load: %v %v", err, c)
	}
	_, err = calendar.Load(filepath.Join(t.TempDir(), "none.txt"))
	if err == nil || xerr.ExitCode(err) != xerr.ExitBadInput || !strings.Contains(err.Error(), "none.txt") {
		t.Errorf("missing file: %v", err)
	}
}

func TestAddWorkingDays(t *testing.T) {
	hol, err := calendar.Parse("h", []byte(nationalDay2026))
	if err != nil {
		t.Fatal(err)
	}
	we := calendar.Weekends()
	cases := []struct {
		cal       *calendar.Calendar
		from      string
		n         int
		want      string
		rationale string
	}{
		{we, "2026-01-02", 0, "2026-01-02", "n = 0 is the day itself"},
		{we, "2026-01-03", 0, "2026-01-03", "n = 0 even on a weekend"},
		{we, "2026-01-02", 1, "2026-01-05", "Friday + 1 is Monday"},
		{we, "2026-01-03", 1, "2026-01-05", "Saturday + 1 is Monday"},
		{we, "2026-01-04", 1, "2026-01-05", "Sunday + 1 is Monday"},
		{we, "2026-01-05", 5, "2026-01-12", "a working week"},
		{we, "2026-03-02", 10, "2026-03-16", "the contract filing deadline from a Monday"},
		{we, "2026-12-31", 1, "2027-01-01", "across the year end"},
		{we, "2024-02-28", 1, "2024-02-29", "into a leap day"},
		{we, "2026-01-05", -3, "2026-01-05", "a negative count does not move"},
		{hol, "2026-09-30", 1, "2026-10-08", "over the holidays"},
		{hol, "2026-09-28", 10, "2026-10-16", "10 working days over National Day with a worked Saturday"},
		{hol, "2026-10-09", 1, "2026-10-10", "a worked Saturday counts"},
		{hol, "2026-09-26", 1, "2026-09-27", "a worked Sunday counts"},
	}
	for _, c := range cases {
		if got := c.cal.AddWorkingDays(d(c.from), c.n); got != d(c.want) {
			t.Errorf("%s + %d working days = %s, want %s (%s)", c.from, c.n, got, c.want, c.rationale)
		}
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	hol, err := calendar.Parse("h", []byte(nationalDay2026))
	if err != nil {
		t.Fatal(err)
	}
	we := calendar.Weekends()
	cases := []struct {
		cal      *calendar.Calendar
		from, to string
		want     int
	}{
		{we, "2026-01-05", "2026-01-05", 0}, // (from, to] is empty
		{we, "2026-01-06", "2026-01-05", 0}, // to before from
		{we, "2026-01-02", "2026-01-05", 1}, // Friday to Monday: only Monday
		{we, "2026-01-02", "2026-01-04", 0}, // only the weekend
		{we, "2026-01-04", "2026-01-11", 5}, // a full week
		{we, "2026-10-08", "2026-12-31", 60},
		{we, "2026-10-07", "2026-12-31", 61},
		// 09-30 excluded; 10-01..10-07 holidays or weekend; 10-08 and 10-09 worked.
		{hol, "2026-09-30", "2026-10-09", 2},
		{hol, "2026-10-09", "2026-10-11", 1}, // the worked Saturday
	}
	for _, c := range cases {
		if got := c.cal.WorkingDaysBetween(d(c.from), d(c.to)); got != c.want {
			t.Errorf("working days in (%s, %s] = %d, want %d", c.from, c.to, got, c.want)
		}
	}
}

// AddWorkingDays and WorkingDaysBetween agree: moving n working days from
// any day spans exactly n working days, and lands on a working day.
func TestAddAndBetweenAgree(t *testing.T) {
	hol, err := calendar.Parse("h", []byte(nationalDay2026))
	if err != nil {
		t.Fatal(err)
	}
	for _, cal := range []*calendar.Calendar{calendar.Weekends(), hol} {
		for day := d("2026-09-01"); day <= d("2026-11-15"); day++ {
			for n := 1; n <= 70; n += 3 {
				to := cal.AddWorkingDays(day, n)
				if got := cal.WorkingDaysBetween(day, to); got != n {
					t.Fatalf("%s: %s + %d = %s spans %d working days", cal.Describe(), day, n, to, got)
				}
				if !cal.IsWorkingDay(to) {
					t.Fatalf("%s + %d = %s is not a working day", day, n, to)
				}
			}
		}
	}
}

// TestWorkingDaysBetween_MatchesDayByDay checks the arithmetic count against
// counting day by day over many ranges, with and without listed days.
func TestWorkingDaysBetween_MatchesDayByDay(t *testing.T) {
	hol, err := calendar.Parse("h", []byte(nationalDay2026))
	if err != nil {
		t.Fatal(err)
	}
	for _, cal := range []*calendar.Calendar{calendar.Weekends(), hol} {
		base := d("2026-09-20")
		for from := base - 10; from < base+30; from++ {
			for to := from - 3; to < from+60; to++ {
				want := 0
				for x := from + 1; x <= to; x++ {
					if cal.IsWorkingDay(x) {
						want++
					}
				}
				if got := cal.WorkingDaysBetween(from, to); got != want {
					t.Fatalf("%s: WorkingDaysBetween(%s, %s) = %d, want %d", cal.Describe(), from, to, got, want)
				}
			}
		}
	}
	if n := calendar.Weekends().WorkingDaysBetween(d("2026-01-01"), d("9999-12-31")); n < 2_000_000 {
		t.Errorf("far expiry: %d working days", n)
	}
}
