// Package model holds the shared nouns of xborder: processors, assets, transfers,
// approvals, fact values and the assessment result. It has no behaviour beyond
// parsing and formatting its own values, so every other package can depend on it.
package model

import (
	"encoding/json"
	"fmt"
	"time"
)

// ChinaTZ is China Standard Time (UTC+8, no daylight saving). The law counts
// years and deadlines in it, so every calendar computation uses it.
var ChinaTZ = time.FixedZone("CST", 8*3600)

// Date is a civil date (no time, no zone) stored as days since 1970-01-01.
// A compact integer makes comparisons and yearly bucketing cheap for the
// 100,000-asset benchmark and keeps the zero value meaningful only when Valid.
type Date int32

// NoDate marks an absent date.
const NoDate Date = -1 << 31

// NewDate builds a Date from a year, month and day, normalising overflow the way time.Date does.
func NewDate(y int, m time.Month, d int) Date {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return Date(t.Unix() / 86400)
}

// ParseDate parses YYYY-MM-DD strictly: the day must exist in that month.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return NoDate, fmt.Errorf("invalid date %q: want YYYY-MM-DD", s)
	}
	return Date(t.Unix() / 86400), nil
}

// MustDate is ParseDate for constants in tests and packs; it panics on a bad literal.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DateOf is the date of t in China time.
func DateOf(t time.Time) Date {
	y, m, d := t.In(ChinaTZ).Date()
	return NewDate(y, m, d)
}

// Valid reports whether d holds a date.
func (d Date) Valid() bool { return d != NoDate }

// Time is midnight UTC of d, for calendar arithmetic only.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// Year is the calendar year of d.
func (d Date) Year() int { return d.Time().Year() }

// Weekday is the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.Time().Weekday() }

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date { return d + Date(n) }

// AddYears returns the same month and day n years later. 29 February maps to
// 28 February in a non-leap year (the term ends on the last day that exists),
// unlike time.AddDate which would roll over to 1 March.
func (d Date) AddYears(n int) Date {
	t := d.Time()
	y, m, day := t.Date()
	ny := y + n
	if m == time.February && day == 29 && !isLeap(ny) {
		day = 28
	}
	return NewDate(ny, m, day)
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// YearStart is 1 January of d's year.
func (d Date) YearStart() Date { return NewDate(d.Year(), time.January, 1) }

func (d Date) String() string {
	if !d.Valid() {
		return ""
	}
	return d.Time().Format("2006-01-02")
}

// MarshalJSON writes "YYYY-MM-DD", or null for an absent date.
func (d Date) MarshalJSON() ([]byte, error) {
	if !d.Valid() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = NoDate
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date must be a string YYYY-MM-DD: %w", err)
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
