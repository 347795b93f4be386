package audit

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RetentionYears is how long entries must be kept (DOMAIN §6: logs are kept
// at least 3 years). Younger entries cannot be archived.
const RetentionYears = 3

// RetentionCutoff is the instant before which entries may be archived at now:
// the same calendar moment RetentionYears earlier.
func RetentionCutoff(now time.Time) time.Time { return now.UTC().AddDate(-RetentionYears, 0, 0) }

// Archivable reports whether an entry logged at t may be archived at now.
func Archivable(t, now time.Time) bool { return t.Before(RetentionCutoff(now)) }

const archiveMagic = "xborder-audit-archive/1"

// ArchiveRecord is the signed statement of what archiving removed: the
// contents of entries [From, To), all logged before Before. The compact range
// and root of the tree at To let verification continue without them.
type ArchiveRecord struct {
	Origin string
	From   uint64
	To     uint64
	Time   time.Time // when the entries were archived
	Before time.Time // every archived entry was logged before this (the retention cutoff)
	Range  [][]byte  // compact range of [0, To)
	Root   []byte    // root of the tree of size To
}

// Count is the number of entries the record covers.
func (a ArchiveRecord) Count() uint64 { return a.To - a.From }

// Body is the text that gets signed.
func (a ArchiveRecord) Body() string {
	var b strings.Builder
	b.WriteString(archiveMagic + "\n")
	fmt.Fprintf(&b, "origin %s\nfrom %d\nto %d\ncount %d\n", a.Origin, a.From, a.To, a.To-a.From)
	fmt.Fprintf(&b, "time %s\nbefore %s\n", a.Time.UTC().Format(timeLayout), a.Before.UTC().Format(timeLayout))
	b.WriteString("range")
	for _, h := range a.Range {
		b.WriteByte(' ')
		b.WriteString(base64.StdEncoding.EncodeToString(h))
	}
	b.WriteString("\nroot " + base64.StdEncoding.EncodeToString(a.Root) + "\n")
	return b.String()
}

// ParseArchiveRecord parses the text of an archive record.
func ParseArchiveRecord(text string) (ArchiveRecord, error) {
	var a ArchiveRecord
	lines := strings.Split(text, "\n")
	if len(lines) != 10 || lines[0] != archiveMagic || lines[9] != "" {
		return a, errors.New("archive record: malformed")
	}
	get := func(i int, name string) (string, error) {
		v, ok := strings.CutPrefix(lines[i], name+" ")
		if !ok && !(name == "range" && lines[i] == "range") {
			return "", fmt.Errorf("archive record: want %s on line %d", name, i+1)
		}
		return v, nil
	}
	num := func(i int, name string) (uint64, error) {
		v, err := get(i, name)
		if err != nil {
			return 0, err
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || strconv.FormatUint(n, 10) != v {
			return 0, fmt.Errorf("archive record: %s %q", name, v)
		}
		return n, nil
	}
	tm := func(i int, name string) (time.Time, error) {
		v, err := get(i, name)
		if err != nil {
			return time.Time{}, err
		}
		t, err := time.Parse(timeLayout, v)
		if err != nil || t.Format(timeLayout) != v {
			return time.Time{}, fmt.Errorf("archive record: %s %q", name, v)
		}
		return t, nil
	}
	var err error
	if a.Origin, err = get(1, "origin"); err != nil {
		return a, err
	}
	if a.From, err = num(2, "from"); err != nil {
		return a, err
	}
	if a.To, err = num(3, "to"); err != nil {
		return a, err
	}
	count, err := num(4, "count")
	if err != nil {
		return a, err
	}
	if a.To < a.From || count != a.To-a.From {
		return a, fmt.Errorf("archive record: count %d does not match [%d, %d)", count, a.From, a.To)
	}
	if a.Time, err = tm(5, "time"); err != nil {
		return a, err
	}
	if a.Before, err = tm(6, "before"); err != nil {
		return a, err
	}
	rs, err := get(7, "range")
	if err != nil {
		return a, err
	}
	for _, f := range strings.Fields(rs) {
		h, err := base64.StdEncoding.DecodeString(f)
		if err != nil || len(h) != HashSize {
			return a, fmt.Errorf("archive record: range hash %q", f)
		}
		a.Range = append(a.Range, h)
	}
	if _, err := rf.NewRange(0, a.To, a.Range); err != nil {
		return a, fmt.Errorf("archive record: %w", err)
	}
	rv, err := get(8, "root")
	if err != nil {
		return a, err
	}
	if a.Root, err = base64.StdEncoding.DecodeString(rv); err != nil || len(a.Root) != HashSize {
		return a, fmt.Errorf("archive record: root %q", rv)
	}
	return a, nil
}
