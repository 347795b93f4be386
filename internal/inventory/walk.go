package inventory

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/yamlnum"
)

// dec walks the AST of one file. It never stops at the first problem: each
// helper records what is wrong and returns ok=false so the caller skips the
// value and carries on, and the user sees every error in one run.
type dec struct {
	file string
	errs *errList
	// When a large file is parsed in chunks (see chunk.go), line 1 of a
	// chunk is the original line keyLine and line n > 1 is n+lineOff.
	keyLine, lineOff int
	// first is the index in the whole file of the chunk's first list entry.
	first int
}

// pos is the position of n in the file; a node without a token (which the
// parser should not produce) falls back to the file alone.
func (d *dec) pos(n ast.Node) model.Pos {
	if n == nil {
		return model.Pos{File: d.file}
	}
	return d.tokPos(n.GetToken())
}

func (d *dec) tokPos(tk *token.Token) model.Pos {
	if tk == nil || tk.Position == nil {
		return model.Pos{File: d.file}
	}
	line := tk.Position.Line
	switch {
	case d.keyLine == 0:
	case line == 1:
		line = d.keyLine
	default:
		line += d.lineOff
	}
	return model.Pos{File: d.file, Line: line, Col: tk.Position.Column}
}

// startPos is where a mapping begins for a human: its first key for a block
// mapping (the parser's own token is the first ':'), the '{' for a flow one.
func (d *dec) startPos(n ast.Node) model.Pos {
	if m, ok := n.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 && m.Values[0].Key != nil {
		return d.pos(m.Values[0].Key)
	}
	if mv, ok := n.(*ast.MappingValueNode); ok && mv.Key != nil {
		return d.pos(mv.Key)
	}
	return d.pos(n)
}

// describe renders a node for "got ..." in messages.
func describe(n ast.Node) string {
	switch x := n.(type) {
	case nil, *ast.NullNode:
		return "null"
	case *ast.StringNode:
		return fmt.Sprintf("%q", x.Value)
	case *ast.LiteralNode:
		return "a block of text"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.MappingKeyNode:
		return "an explicit key (?)"
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if tk := n.GetToken(); tk != nil {
			return tk.Value
		}
	}
	return "a " + strings.ToLower(n.Type().String())
}

// isNull reports whether n is absent or an explicit null: both mean "not
// given" for every field, so JSON clients may send null for unset fields.
func isNull(n ast.Node) bool {
	if n == nil {
		return true
	}
	_, ok := n.(*ast.NullNode)
	return ok
}

// plain refuses the YAML features the format does without: anchors, aliases,
// merge keys and tags. Anchors and aliases make one record's text depend on
// another's, so an error position no longer points at the value used, and
// alias expansion is the classic way to blow up a parser's memory ("billion
// laughs") through the HTTP API; tags would let a value dodge type checks.
func (d *dec) plain(n ast.Node, path string) bool {
	switch x := n.(type) {
	case *ast.AnchorNode:
		d.errs.at(d.pos(n), path, "anchors (&) are not supported: write the value out")
		return false
	case *ast.AliasNode:
		d.errs.at(d.pos(n), path, "aliases (*) are not supported: write the value out")
		return false
	case *ast.TagNode:
		tag := ""
		if x.Start != nil {
			tag = " " + x.Start.Value
		}
		d.errs.at(d.pos(n), path, "tags%s are not supported: quote the value instead", tag)
		return false
	case *ast.MergeKeyNode:
		d.errs.at(d.pos(n), path, "merge keys (<<) are not supported: write the fields out")
		return false
	}
	return true
}

// fields checks that n is a mapping whose keys are all in known, reports
// unknown and duplicate keys, and returns the value node of each known key
// (first occurrence). ok is false when n is not a mapping at all.
func (d *dec) fields(n ast.Node, path string, known []string) (map[string]ast.Node, bool) {
	if !d.plain(n, path) {
		return nil, false
	}
	var pairs []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		pairs = m.Values
	case *ast.MappingValueNode:
		pairs = []*ast.MappingValueNode{m}
	default:
		d.errs.at(d.pos(n), path, "want a mapping, got %s", describe(n))
		return nil, false
	}
	out := make(map[string]ast.Node, len(pairs))
	first := make(map[string]model.Pos, len(pairs))
	for _, kv := range pairs {
		if kv == nil || kv.Key == nil {
			continue
		}
		kp := d.pos(kv.Key)
		if !d.plain(kv.Key, path) {
			continue
		}
		key, ok := keyText(kv.Key)
		if !ok {
			d.errs.at(kp, path, "want a plain text key, got %s", describe(kv.Key))
			continue
		}
		kpath := join(path, key)
		if fp, dup := first[key]; dup {
			d.errs.at(kp, kpath, "duplicate key (first at %d:%d)", fp.Line, fp.Col)
			continue
		}
		first[key] = kp
		if !contains(known, key) {
			d.errs.at(kp, kpath, "unknown field%s", knownFields(key, known))
			continue
		}
		out[key] = kv.Value
	}
	return out, true
}

// keyText is the text of a scalar key.
func keyText(n ast.Node) (string, bool) {
	switch x := n.(type) {
	case *ast.StringNode:
		return x.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NullNode:
		if tk := n.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// text reads a string field. Integer and float scalars are taken as the text
// written (an id such as 2026 or 007 stays exactly as typed); booleans are
// refused because `true` as a name is almost always a slip.
func (d *dec) text(n ast.Node, path string) (string, bool) {
	if !d.plain(n, path) {
		return "", false
	}
	switch x := n.(type) {
	case *ast.StringNode:
		return x.Value, true
	case *ast.LiteralNode:
		if x.Value != nil {
			return x.Value.Value, true
		}
		return "", true
	case *ast.IntegerNode, *ast.FloatNode:
		return n.GetToken().Value, true
	}
	d.errs.at(d.pos(n), path, "want a string, got %s", describe(n))
	return "", false
}

// nonEmpty reads a string that must hold something other than spaces.
func (d *dec) nonEmpty(n ast.Node, path string) (string, bool) {
	s, ok := d.text(n, path)
	if !ok {
		return "", false
	}
	if strings.TrimSpace(s) == "" {
		d.errs.at(d.pos(n), path, "must not be empty")
		return "", false
	}
	return s, true
}

// id reads an identifier: not empty, no spaces or control characters, so it
// prints unambiguously in tables, logs and error messages.
func (d *dec) id(n ast.Node, path string) (string, bool) {
	s, ok := d.nonEmpty(n, path)
	if !ok {
		return "", false
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		d.errs.at(d.pos(n), path, "id %q must not contain spaces or control characters", s)
		return "", false
	}
	return s, true
}

// count reads a non-negative integer written in decimal (see
// yamlnum.NotDecimal). A float (even 1.0) is refused: counts of people and
// vehicles are whole, and accepting 1.5 would hide an error.
func (d *dec) count(n ast.Node, path string) (int64, bool) {
	if !d.plain(n, path) {
		return 0, false
	}
	if msg := yamlnum.NotDecimal(n); msg != "" {
		d.errs.at(d.pos(n), path, "%s", msg)
		return 0, false
	}
	if x, ok := n.(*ast.IntegerNode); ok && !strings.HasPrefix(x.GetToken().Value, "-") {
		switch v := x.Value.(type) {
		case int64:
			if v >= 0 {
				return v, true
			}
		case uint64:
			if v <= math.MaxInt64 {
				return int64(v), true
			}
		}
	}
	d.errs.at(d.pos(n), path, "want a non-negative integer, got %s", describe(n))
	return 0, false
}

// number reads a finite non-negative number (integer or decimal) written in
// decimal (see yamlnum.NotDecimal). -0 is refused with the negative numbers.
func (d *dec) number(n ast.Node, path string) (float64, bool) {
	if !d.plain(n, path) {
		return 0, false
	}
	if msg := yamlnum.NotDecimal(n); msg != "" {
		d.errs.at(d.pos(n), path, "%s", msg)
		return 0, false
	}
	if tk := n.GetToken(); tk != nil && strings.HasPrefix(tk.Value, "-") {
		d.errs.at(d.pos(n), path, "want a non-negative number, got %s", describe(n))
		return 0, false
	}
	switch x := n.(type) {
	case *ast.IntegerNode:
		switch v := x.Value.(type) {
		case int64:
			if v >= 0 {
				return float64(v), true
			}
		case uint64:
			return float64(v), true
		}
	case *ast.FloatNode:
		if x.Value >= 0 && !math.IsInf(x.Value, 0) && !math.IsNaN(x.Value) {
			return x.Value, true
		}
	}
	d.errs.at(d.pos(n), path, "want a non-negative number, got %s", describe(n))
	return 0, false
}

// boolean reads true or false; YAML 1.1 words such as yes/no/on are plain
// strings in YAML 1.2 and are refused here rather than guessed.
func (d *dec) boolean(n ast.Node, path string) (bool, bool) {
	if !d.plain(n, path) {
		return false, false
	}
	if x, ok := n.(*ast.BoolNode); ok {
		return x.Value, true
	}
	d.errs.at(d.pos(n), path, "want true or false, got %s", describe(n))
	return false, false
}

var datePattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// date reads YYYY-MM-DD, quoted or not. The parser keeps an unquoted date as
// its text, so 2026-02-30 reaches us verbatim and is refused, never rolled
// over to 2 March as a timestamp decoder would.
func (d *dec) date(n ast.Node, path string) (model.Date, bool) {
	if !d.plain(n, path) {
		return model.NoDate, false
	}
	s, isStr := n.(*ast.StringNode)
	if !isStr {
		d.errs.at(d.pos(n), path, "want a date YYYY-MM-DD, got %s", describe(n))
		return model.NoDate, false
	}
	if !datePattern.MatchString(s.Value) {
		d.errs.at(d.pos(n), path, "want a date YYYY-MM-DD, got %q", s.Value)
		return model.NoDate, false
	}
	v, err := model.ParseDate(s.Value)
	if err != nil {
		d.errs.at(d.pos(n), path, "%s is not a day of the calendar", s.Value)
		return model.NoDate, false
	}
	return v, true
}

// list reads a sequence and calls each for every non-null element.
func (d *dec) list(n ast.Node, path string, each func(i int, e ast.Node, epath string)) bool {
	return d.listFrom(n, path, 0, each)
}

// listFrom is list for a sequence whose first entry is number first of the
// whole list (a chunk of a large file).
func (d *dec) listFrom(n ast.Node, path string, first int, each func(i int, e ast.Node, epath string)) bool {
	if !d.plain(n, path) {
		return false
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.errs.at(d.pos(n), path, "want a list, got %s", describe(n))
		return false
	}
	for j, e := range seq.Values {
		i := first + j
		ep := index(path, i)
		if isNull(e) {
			p := d.pos(seq)
			if j < len(seq.Entries) && seq.Entries[j] != nil {
				p = d.tokPos(seq.Entries[j].Start)
			}
			if e != nil {
				p = d.pos(e)
			}
			d.errs.at(p, ep, "empty entry")
			continue
		}
		each(i, e, ep)
	}
	return true
}

// enum reads one of allowed.
func (d *dec) enum(n ast.Node, path string, allowed []string) (string, bool) {
	s, ok := d.text(n, path)
	if !ok {
		return "", false
	}
	if !contains(allowed, s) {
		d.errs.at(d.pos(n), path, "want one of %s; got %q%s", strings.Join(allowed, ", "), s, suggest(s, allowed))
		return "", false
	}
	return s, true
}

// suggest offers the closest known word for a probable typo, or "".
func suggest(s string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if dd := distance(s, k); dd < bestD || (dd == bestD && k < best) {
			best, bestD = k, dd
		}
	}
	if best == "" || bestD > len(s)/2 {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// knownFields lists the fields of a mapping after an unknown one, unless a
// close match was suggested.
func knownFields(key string, known []string) string {
	if s := suggest(key, known); s != "" {
		return s
	}
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	return " (known: " + strings.Join(sorted, ", ") + ")"
}

// distance is the Levenshtein edit distance, for typo suggestions only; keys
// are short, so the quadratic table is tiny.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 1 << 20
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			c := 1
			if ra[i-1] == rb[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
