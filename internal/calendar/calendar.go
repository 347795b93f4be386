// Package calendar counts working days for legal deadlines (contract filing
// within 10 working days, the 60-working-day extension window). Without a
// holiday file it skips only Saturdays and Sundays, which is approximate for
// China (public holidays and the working weekends that make up for them are
// announced each year by the State Council), and it says so.
package calendar

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/xerr"
)

// Calendar decides which days are working days.
type Calendar struct {
	off     map[model.Date]bool // holidays on weekdays
	on      map[model.Date]bool // working weekend days (调休)
	source  string
	entries int
}

// Weekends is the approximate calendar: Monday to Friday are working days.
func Weekends() *Calendar { return &Calendar{} }

// Parse reads a holiday file: one YYYY-MM-DD per line for a day off, a leading
// '+' for a weekend day that is worked; blank lines and '#' comments ignored.
func Parse(name string, data []byte) (*Calendar, error) {
	c := &Calendar{off: map[model.Date]bool{}, on: map[model.Date]bool{}, source: name}
	// Editors on Windows save a byte-order mark; it is not part of the first date.
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	seenAt := map[model.Date]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	var errs xerr.List
	for sc.Scan() {
		line++
		raw := sc.Text()
		text := raw
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		col := 1 + len(text) - len(strings.TrimLeft(text, " \t"))
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		working := false
		if strings.HasPrefix(text, "+") {
			working = true
			text = strings.TrimSpace(text[1:])
		}
		d, err := model.ParseDate(text)
		if err != nil {
			errs = append(errs, &xerr.PosError{File: name, Line: line, Col: col, Msg: fmt.Sprintf("%v (a holiday is YYYY-MM-DD, a working weekend day +YYYY-MM-DD)", err)})
			continue
		}
		wd := d.Weekday()
		weekend := wd == 0 || wd == 6
		if working && !weekend {
			errs = append(errs, &xerr.PosError{File: name, Line: line, Col: col, Msg: fmt.Sprintf("+%s is a %s, already a working day: `+` marks a weekend day that is worked", d, wd)})
			continue
		}
		if prev, ok := seenAt[d]; ok && (c.on[d] != working || c.off[d] == working) {
			errs = append(errs, &xerr.PosError{File: name, Line: line, Col: col, Msg: fmt.Sprintf("%s is listed on line %d as the opposite (holiday versus worked day)", d, prev)})
			continue
		}
		seenAt[d] = line
		if working {
			c.on[d] = true
		} else {
			c.off[d] = true
		}
		c.entries++
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, &xerr.PosError{File: name, Line: line + 1, Col: 1, Msg: err.Error()})
	}
	if len(errs) > 0 {
		return nil, xerr.BadInput(errs)
	}
	return c, nil
}

// Load reads a holiday file.
func Load(path string) (*Calendar, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, xerr.BadInput(fmt.Errorf("read holidays: %w", err))
	}
	return Parse(path, b)
}

// Exact reports whether a holiday file was loaded.
func (c *Calendar) Exact() bool { return c.source != "" }

// Describe says which calendar is in use, for reports.
func (c *Calendar) Describe() string {
	if !c.Exact() {
		return "weekends only (approximate: public holidays and working weekends not known; pass --holidays FILE)"
	}
	years := c.Years()
	if len(years) == 0 {
		return fmt.Sprintf("holidays from %s (no entries: weekends only, approximate)", c.source)
	}
	span := fmt.Sprint(years[0])
	if n := len(years); n > 1 {
		span = fmt.Sprintf("%d-%d", years[0], years[n-1])
		if years[n-1]-years[0]+1 != n {
			span = strings.Trim(strings.Join(strings.Fields(fmt.Sprint(years)), ", "), "[]")
		}
	}
	// A file covers the years it names: a deadline in another year is
	// counted with weekends only, and the report must say so.
	return fmt.Sprintf("holidays from %s (%d entries, for %s; other years weekends only, approximate)", c.source, c.entries, span)
}

// Years lists the calendar years the holiday file has entries for.
func (c *Calendar) Years() []int {
	seen := map[int]bool{}
	for d := range c.off {
		seen[d.Year()] = true
	}
	for d := range c.on {
		seen[d.Year()] = true
	}
	out := make([]int, 0, len(seen))
	for y := range seen {
		out = append(out, y)
	}
	sort.Ints(out)
	return out
}

// IsWorkingDay reports whether d is a working day.
func (c *Calendar) IsWorkingDay(d model.Date) bool {
	if c.on[d] {
		return true
	}
	if c.off[d] {
		return false
	}
	wd := d.Weekday()
	return wd != 0 && wd != 6
}

// AddWorkingDays returns the n-th working day after d (n >= 0; n == 0 is d).
func (c *Calendar) AddWorkingDays(d model.Date, n int) model.Date {
	for n > 0 {
		d++
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d
}

// WorkingDaysBetween counts working days in (from, to]; 0 when to <= from.
// It counts weekdays arithmetically and corrects for the listed days, so a
// far-off expiry (9999-12-31) costs no more than a near one.
func (c *Calendar) WorkingDaysBetween(from, to model.Date) int {
	if to <= from {
		return 0
	}
	n := weekdaysThrough(to) - weekdaysThrough(from)
	for d := range c.off {
		if d > from && d <= to {
			if wd := d.Weekday(); wd != 0 && wd != 6 {
				n--
			}
		}
	}
	for d := range c.on {
		if d > from && d <= to && !c.off[d] {
			if wd := d.Weekday(); wd == 0 || wd == 6 {
				n++
			}
		}
	}
	return n
}

// weekdaysThrough counts Monday-to-Friday days from a fixed Monday
// (1970-01-05 is day 4) up to and including d; only differences are used.
func weekdaysThrough(d model.Date) int {
	k := int64(d) - 4 // days since Monday 1970-01-05
	weeks := k / 7
	rem := k % 7
	if rem < 0 {
		rem += 7
		weeks--
	}
	// rem is 0 (Monday) .. 6 (Sunday); days Monday..rem inclusive that are weekdays
	extra := rem + 1
	if extra > 5 {
		extra = 5
	}
	return int(weeks*5 + extra)
}
