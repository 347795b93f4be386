package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/transparency-dev/merkle/rfc6962"
)

// HashSize is the size of every hash in the log (SHA-256).
const HashSize = sha256.Size

// entryMagic opens every entry's canonical bytes; it versions the encoding.
const entryMagic = "xborder-audit-entry/1"

// timeLayout has a fixed width so an instant has exactly one encoding.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// TokenPrefix starts every API token xborder issues. Entry bodies containing
// it are refused so that a token can never end up in the log.
const TokenPrefix = "xbt_"

// Limits on entry fields, so one entry cannot bloat the log.
const (
	MaxKindLen  = 64
	MaxActorLen = 200
	MaxBodyLen  = 1 << 20
)

// Entry is one event to log: a check, a decision, an inventory or approval
// change, an admin action.
type Entry struct {
	Time  time.Time
	Kind  string          // e.g. "transfer.check"; [a-z0-9._-]
	Actor string          // who did it, e.g. "officer:alice" (never a token)
	Body  json.RawMessage // a JSON object; raw identifiers must be pseudonymised first
}

// Decoded is an entry parsed back from its canonical bytes.
type Decoded struct {
	Index uint64
	Time  time.Time
	Kind  string
	Actor string
	Prev  []byte // leaf hash of the previous entry (zeros for entry 0)
	Body  []byte
}

// ZeroHash is the "prev" of entry 0.
var ZeroHash = make([]byte, HashSize)

// ErrInvalidEntry marks an entry that cannot be encoded or decoded.
var ErrInvalidEntry = errors.New("invalid audit entry")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidEntry, fmt.Sprintf(format, args...))
}

// ValidKind reports whether k is a valid entry kind.
func ValidKind(k string) bool {
	if k == "" || len(k) > MaxKindLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func validActor(a string) error {
	if len(a) > MaxActorLen {
		return invalid("actor longer than %d bytes", MaxActorLen)
	}
	if !utf8.ValidString(a) {
		return invalid("actor is not UTF-8")
	}
	for _, r := range a {
		if unicode.IsControl(r) {
			return invalid("actor contains a control character")
		}
	}
	if bytes.Contains([]byte(a), []byte(TokenPrefix)) {
		return invalid("actor contains an API token")
	}
	return nil
}

// CanonicalBody checks that body is a JSON object free of tokens and returns
// its compact form.
func CanonicalBody(body []byte) ([]byte, error) {
	if len(body) == 0 {
		body = []byte("{}")
	}
	if len(body) > MaxBodyLen {
		return nil, invalid("body longer than %d bytes", MaxBodyLen)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, body); err != nil {
		return nil, invalid("body is not JSON: %v", err)
	}
	out := buf.Bytes()
	if !utf8.Valid(out) {
		return nil, invalid("body is not UTF-8")
	}
	if len(out) == 0 || out[0] != '{' {
		return nil, invalid("body must be a JSON object")
	}
	if bytes.Contains(out, []byte(TokenPrefix)) {
		return nil, invalid("body contains an API token (%s...)", TokenPrefix)
	}
	return out, nil
}

// Encode returns the canonical bytes of e at position index, chained to the
// previous entry's leaf hash prev.
func Encode(index uint64, prev []byte, e Entry) ([]byte, error) {
	if !ValidKind(e.Kind) {
		return nil, invalid("kind %q: want 1-%d characters of a-z 0-9 . _ -", e.Kind, MaxKindLen)
	}
	if err := validActor(e.Actor); err != nil {
		return nil, err
	}
	if len(prev) != HashSize {
		return nil, invalid("prev hash has %d bytes", len(prev))
	}
	t := e.Time.UTC()
	if t.Year() < 1970 || t.Year() > 2261 {
		return nil, invalid("time %v out of range", t)
	}
	body, err := CanonicalBody(e.Body)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 160+len(e.Kind)+len(e.Actor)+len(body))
	b = append(b, entryMagic...)
	b = append(b, "\nindex "...)
	b = strconv.AppendUint(b, index, 10)
	b = append(b, "\ntime "...)
	b = t.AppendFormat(b, timeLayout)
	b = append(b, "\nkind "...)
	b = append(b, e.Kind...)
	b = append(b, "\nactor "...)
	b = append(b, e.Actor...)
	b = append(b, "\nprev "...)
	b = base64.StdEncoding.AppendEncode(b, prev)
	b = append(b, "\n\n"...)
	b = append(b, body...)
	return b, nil
}

// field cuts "name value\n" off the front of b.
func field(b []byte, name string) (value, rest []byte, err error) {
	if len(b) < len(name)+1 || string(b[:len(name)]) != name || b[len(name)] != ' ' {
		return nil, nil, invalid("want field %q", name)
	}
	b = b[len(name)+1:]
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return nil, nil, invalid("field %q not terminated", name)
	}
	return b[:i], b[i+1:], nil
}

// Decode parses canonical entry bytes. It accepts exactly what Encode
// produces, so a decoded entry re-encodes to the same bytes.
func Decode(b []byte) (Decoded, error) {
	var d Decoded
	if len(b) < len(entryMagic)+1 || string(b[:len(entryMagic)]) != entryMagic || b[len(entryMagic)] != '\n' {
		return d, invalid("not an %s entry", entryMagic)
	}
	rest := b[len(entryMagic)+1:]
	v, rest, err := field(rest, "index")
	if err != nil {
		return d, err
	}
	if len(v) == 0 || len(v) > 1 && v[0] == '0' {
		return d, invalid("index %q not canonical", v)
	}
	if d.Index, err = strconv.ParseUint(string(v), 10, 64); err != nil {
		return d, invalid("index %q", v)
	}
	if v, rest, err = field(rest, "time"); err != nil {
		return d, err
	}
	if d.Time, err = parseTime(v); err != nil {
		return d, err
	}
	if v, rest, err = field(rest, "kind"); err != nil {
		return d, err
	}
	if !ValidKind(string(v)) {
		return d, invalid("kind %q", v)
	}
	d.Kind = string(v)
	if v, rest, err = field(rest, "actor"); err != nil {
		return d, err
	}
	d.Actor = string(v)
	if err := validActor(d.Actor); err != nil {
		return d, err
	}
	if v, rest, err = field(rest, "prev"); err != nil {
		return d, err
	}
	if len(v) != base64.StdEncoding.EncodedLen(HashSize) {
		return d, invalid("prev hash %q", v)
	}
	// Decode into a buffer of the full decoded length: 44 characters without
	// padding would decode to 33 bytes.
	buf := make([]byte, base64.StdEncoding.DecodedLen(len(v)))
	n, err := base64.StdEncoding.Decode(buf, v)
	if err != nil || n != HashSize {
		return d, invalid("prev hash %q", v)
	}
	d.Prev = buf[:HashSize:HashSize]
	if base64.StdEncoding.EncodeToString(d.Prev) != string(v) {
		return d, invalid("prev hash %q not canonical", v)
	}
	if len(rest) < 1 || rest[0] != '\n' {
		return d, invalid("want an empty line before the body")
	}
	d.Body = rest[1:]
	if len(d.Body) == 0 || d.Body[0] != '{' {
		return d, invalid("body must be a JSON object")
	}
	return d, nil
}

// DecodeStrict is Decode plus a check that the body is compact JSON, so the
// bytes are exactly what Encode would produce. Verify uses Decode alone:
// the hash already covers the body, and JSON parsing would dominate its cost.
func DecodeStrict(b []byte) (Decoded, error) {
	d, err := Decode(b)
	if err != nil {
		return d, err
	}
	body, err := CanonicalBody(d.Body)
	if err != nil {
		return d, err
	}
	if !bytes.Equal(body, d.Body) {
		return d, invalid("body is not compact JSON")
	}
	return d, nil
}

// LeafHash is the RFC 6962 leaf hash of canonical entry bytes.
func LeafHash(data []byte) []byte { return rfc6962.DefaultHasher.HashLeaf(data) }

// leafHasher computes RFC 6962 leaf hashes reusing one digest (one per
// verifying worker), which halves the cost of hashing short entries.
type leafHasher struct{ h hash.Hash }

func newLeafHasher() *leafHasher { return &leafHasher{h: sha256.New()} }

func (l *leafHasher) sum(data []byte) []byte {
	l.h.Reset()
	l.h.Write([]byte{0})
	l.h.Write(data)
	return l.h.Sum(make([]byte, 0, HashSize))
}

// header is what Verify needs from an entry: its index, chain pointer and
// time, read without validating kind, actor and body (the hash covers
// them, and full validation would cost more than the hashing).
func decodeHeader(b []byte, wantTime bool) (index uint64, prev []byte, t time.Time, err error) {
	var p [HashSize]byte
	index, t, err = decodeHeaderInto(b, wantTime, &p)
	if err != nil {
		return 0, nil, t, err
	}
	return index, p[:], t, nil
}

// decodeHeaderInto is decodeHeader writing the chain pointer into prev.
func decodeHeaderInto(b []byte, wantTime bool, prev *[HashSize]byte) (index uint64, t time.Time, err error) {
	if len(b) < len(entryMagic)+1 || string(b[:len(entryMagic)]) != entryMagic || b[len(entryMagic)] != '\n' {
		return 0, t, invalid("not an %s entry", entryMagic)
	}
	rest := b[len(entryMagic)+1:]
	v, rest, err := field(rest, "index")
	if err != nil {
		return 0, t, err
	}
	if len(v) == 0 || len(v) > 20 || len(v) > 1 && v[0] == '0' {
		return 0, t, invalid("index %q not canonical", v)
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, t, invalid("index %q", v)
		}
		index = index*10 + uint64(c-'0')
	}
	if v, rest, err = field(rest, "time"); err != nil {
		return 0, t, err
	}
	if wantTime {
		if t, err = parseTime(v); err != nil {
			return 0, t, err
		}
	}
	if _, rest, err = field(rest, "kind"); err != nil {
		return 0, t, err
	}
	if _, rest, err = field(rest, "actor"); err != nil {
		return 0, t, err
	}
	if v, rest, err = field(rest, "prev"); err != nil {
		return 0, t, err
	}
	var buf [HashSize + 3]byte
	if len(v) != base64.StdEncoding.EncodedLen(HashSize) {
		return 0, t, invalid("prev hash %q", v)
	}
	n, err := base64.StdEncoding.Decode(buf[:], v)
	if err != nil || n != HashSize {
		return 0, t, invalid("prev hash %q", v)
	}
	if len(rest) < 2 || rest[0] != '\n' || rest[1] != '{' {
		return 0, t, invalid("want an empty line and a JSON object body")
	}
	copy(prev[:], buf[:HashSize])
	return index, t, nil
}

// parseTime reads the fixed-width canonical time. Verify decodes every
// entry, and time.Parse plus a Format round trip cost more than hashing.
func parseTime(v []byte) (time.Time, error) {
	// 2006-01-02T15:04:05.000000000Z
	if len(v) != len(timeLayout) || v[4] != '-' || v[7] != '-' || v[10] != 'T' || v[13] != ':' || v[16] != ':' || v[19] != '.' || v[29] != 'Z' {
		return time.Time{}, invalid("time %q not canonical", v)
	}
	num := func(from, to int) (int, bool) {
		n := 0
		for _, c := range v[from:to] {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 7)
	dd, ok3 := num(8, 10)
	hh, ok4 := num(11, 13)
	mi, ok5 := num(14, 16)
	ss, ok6 := num(17, 19)
	ns, ok7 := num(20, 29)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || y < 1970 || y > 2261 || mo < 1 || mo > 12 || dd < 1 || hh > 23 || mi > 59 || ss > 59 {
		return time.Time{}, invalid("time %q", v)
	}
	t := time.Date(y, time.Month(mo), dd, hh, mi, ss, ns, time.UTC)
	if t.Day() != dd { // 31 February and the like
		return time.Time{}, invalid("time %q: no such day", v)
	}
	return t, nil
}
