package rulepack

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/xborder/xborder/internal/xerr"
	"github.com/xborder/xborder/internal/yamlnum"
)

// Every number a pack states (a threshold value, a mechanism parameter, a
// patch's parameter override, the coverage counts) must be written as a
// plain decimal, as in an inventory: the YAML reader silently turns 0100000
// into 32768 (YAML 1.1 octal), 0x186A0 into 100000 and 100_000 into 100000,
// and a legal threshold read so is wrong with no error. checkNumbers walks
// the parsed file beside the Pack type, so it judges exactly the scalars
// that decode into a number field (int, float) or an untyped parameter value,
// and leaves text alone: ids, versions, words, notes and CEL expressions (a
// number inside an expression is CEL's business). On top of the shared
// lexical check (yamlnum.NotDecimal: 0x/0o/0b, leading zeros, "_", "+"), a
// pack refuses
//   - exponents (1e5, 1.0e5): a pack transcribes figures the law states in
//     words (十万, 100000), and readers disagree on 1e5 (text to YAML 1.1 and
//     to go-yaml in an untyped parameter, 100000 in a threshold);
//   - .inf and .nan: no threshold or parameter is infinite;
//   - a "-" sign (-0 included): facts are counts, days and years, never
//     negative, so a negative threshold or parameter is a slip;
//   - a quoted number in a number field ("100000"): the decoder would take
//     the text as the number, so a quoted "1_000" or "+5" would slip past.
//
// Aliases are followed (each anchor is judged once per field type, so an
// alias bomb stays linear); merge keys (<<) are judged as the mapping they
// merge into.
func (s *source) checkNumbers() xerr.List {
	if s.file == nil || len(s.file.Docs) == 0 || s.file.Docs[0] == nil {
		return nil
	}
	c := &numChecker{s: s, anchors: map[string][]*ast.AnchorNode{}, seen: map[numSeen]bool{}}
	c.collect(s.file.Docs[0].Body, 0)
	c.walk(s.file.Docs[0].Body, packType, nil, 0)
	return c.errs
}

var (
	packType      = reflect.TypeOf(Pack{})
	parameterType = reflect.TypeOf(Parameter{})
	anyType       = reflect.TypeOf((*any)(nil)).Elem()
	overrideType  = reflect.TypeOf((*parameterOverride)(nil)).Elem()
)

// parameterOverride stands for the type of a value under a patch's
// `parameters:` (declared any in Pack): a bare value, or a mapping shaped
// like a Parameter whose text, word, op and provenance are text.
type parameterOverride any

// maxNumDepth bounds the walk on a deeply nested (hostile) file.
const maxNumDepth = 1000

type numSeen struct {
	n ast.Node
	t reflect.Type
}

type numChecker struct {
	s       *source
	anchors map[string][]*ast.AnchorNode // by name, in document order
	seen    map[numSeen]bool
	errs    xerr.List
}

// collect records every anchor of the file, wherever it stands: an alias in
// a number field may name a value anchored in a text field.
func (c *numChecker) collect(n ast.Node, depth int) {
	if n == nil || depth > maxNumDepth {
		return
	}
	switch x := n.(type) {
	case *ast.AnchorNode:
		if x.Name != nil && x.Name.GetToken() != nil {
			name := x.Name.GetToken().Value
			c.anchors[name] = append(c.anchors[name], x)
		}
		c.collect(x.Value, depth+1)
	case *ast.TagNode:
		c.collect(x.Value, depth+1)
	case *ast.MappingNode:
		for _, mv := range x.Values {
			c.collect(mv, depth+1)
		}
	case *ast.MappingValueNode:
		if x.Key != nil {
			c.collect(x.Key, depth+1)
		}
		c.collect(x.Value, depth+1)
	case *ast.MappingKeyNode:
		c.collect(x.Value, depth+1)
	case *ast.SequenceNode:
		for _, v := range x.Values {
			c.collect(v, depth+1)
		}
	}
}

// resolve finds the anchor an alias names: the last one defined before it.
func (c *numChecker) resolve(a *ast.AliasNode) *ast.AnchorNode {
	if a.Value == nil || a.Value.GetToken() == nil || a.GetToken() == nil || a.GetToken().Position == nil {
		return nil
	}
	at := a.GetToken().Position.Offset
	// Anchors of one name are collected in document order: the last one
	// before the alias is found by binary search, not by a scan per alias
	// (thousands of same-named anchors and aliases made that quadratic).
	list := c.anchors[a.Value.GetToken().Value]
	i := sort.Search(len(list), func(i int) bool {
		tk := list[i].GetToken()
		return tk == nil || tk.Position == nil || tk.Position.Offset >= at
	})
	if i == 0 {
		return nil
	}
	return list[i-1]
}

// peel returns the node an anchor, alias or tag stands for.
func (c *numChecker) peel(n ast.Node) ast.Node {
	for i := 0; i < maxNumDepth && n != nil; i++ {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.TagNode:
			n = x.Value
		case *ast.AliasNode:
			an := c.resolve(x)
			if an == nil {
				return nil
			}
			n = an
		default:
			return n
		}
	}
	return nil
}

// walk judges the scalars of n that decode into a value of type t; a node
// whose shape does not fit t is left to the decoder, which reports it.
func (c *numChecker) walk(n ast.Node, t reflect.Type, path []string, depth int) {
	if n == nil || depth > maxNumDepth {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == overrideType {
		if _, isMap := c.peel(n).(*ast.MappingNode); isMap {
			t = parameterType
		} else if _, isPair := c.peel(n).(*ast.MappingValueNode); isPair {
			t = parameterType
		} else {
			t = anyType
		}
	}
	switch x := n.(type) {
	case *ast.DocumentNode:
		c.walk(x.Body, t, path, depth+1)
	case *ast.AnchorNode:
		k := numSeen{x, t}
		if c.seen[k] {
			return
		}
		c.seen[k] = true
		c.walk(x.Value, t, path, depth+1)
	case *ast.AliasNode:
		if an := c.resolve(x); an != nil {
			c.walk(an, t, path, depth+1)
		}
	case *ast.TagNode:
		// A tag makes the decoder convert text on its own terms: !!int
		// "100_000" decoded to 0 and !!float '1e5' to 100000, past every
		// check here. A number or an untyped parameter value takes none.
		// An untyped value may carry !!bool or !!str (a parameter can be a
		// flag or a word); !!int and !!float convert text into a number.
		numTag := false
		if tk := x.GetToken(); tk != nil {
			switch tk.Value {
			case "!!int", "!!float", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float":
				numTag = true
			}
		}
		if isNumberKind(t.Kind()) || (t.Kind() == reflect.Interface && numTag) {
			if _, scalar := x.Value.(ast.ScalarNode); scalar || x.Value == nil {
				if tk := x.GetToken(); tk != nil && tk.Position != nil {
					c.errAt(tk, path, fmt.Sprintf("the tag %s is not allowed on a number: write the number in decimal without a tag", tk.Value))
				}
				return
			}
		}
		c.walk(x.Value, t, path, depth+1)
	case *ast.MappingNode:
		for _, mv := range x.Values {
			c.pair(mv, t, path, depth+1)
		}
	case *ast.MappingValueNode:
		c.pair(x, t, path, depth+1)
	case *ast.SequenceNode:
		var elem reflect.Type
		switch t.Kind() {
		case reflect.Slice, reflect.Array:
			elem = t.Elem()
		case reflect.Interface:
			elem = anyType
		default:
			return
		}
		for i, v := range x.Values {
			c.walk(v, elem, append(path[:len(path):len(path)], fmt.Sprintf("[%d]", i)), depth+1)
		}
	default:
		c.judge(n, t, path)
	}
}

// pair walks one key: value of a mapping decoded into t.
func (c *numChecker) pair(mv *ast.MappingValueNode, t reflect.Type, path []string, depth int) {
	if mv == nil || mv.Key == nil {
		return
	}
	if mv.Key.IsMergeKey() {
		// `<<: *base` or `<<: [*a, *b]` merges into this mapping.
		if seq, ok := c.peel(mv.Value).(*ast.SequenceNode); ok {
			for _, v := range seq.Values {
				c.walk(v, t, path, depth+1)
			}
			return
		}
		c.walk(mv.Value, t, path, depth+1)
		return
	}
	k := c.peel(mv.Key)
	if k == nil || k.GetToken() == nil {
		return
	}
	key := k.GetToken().Value
	var child reflect.Type
	switch t.Kind() {
	case reflect.Struct:
		child = fieldType(t, key)
		if child == nil {
			return // an unknown key: the decoder names it
		}
	case reflect.Map:
		child = t.Elem()
	case reflect.Interface:
		child = anyType
	default:
		return
	}
	c.walk(mv.Value, child, append(path[:len(path):len(path)], key), depth+1)
}

// fieldType is the type of the field of struct t that YAML key names, or nil.
func fieldType(t reflect.Type, key string) reflect.Type {
	if t == packType && key == "parameters" {
		return reflect.MapOf(reflect.TypeOf(""), overrideType)
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name == key && f.IsExported() {
			return f.Type
		}
	}
	return nil
}

func isNumberKind(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// judge reports a scalar decoded into t that is not written as a pack wants
// a number written.
func (c *numChecker) judge(n ast.Node, t reflect.Type, path []string) {
	if t.Kind() == reflect.String {
		c.judgeText(n, path)
		return
	}
	typed := isNumberKind(t.Kind())
	if !typed && t.Kind() != reflect.Interface {
		return
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return
	}
	msg := yamlnum.NotDecimal(n)
	if msg == "" {
		msg = yamlnum.Exponent(n)
	}
	if msg == "" {
		switch x := n.(type) {
		case *ast.InfinityNode, *ast.NanNode:
			msg = fmt.Sprintf("%s is not a finite number: write the number in decimal", tk.Value)
		case *ast.IntegerNode, *ast.FloatNode:
			if strings.HasPrefix(tk.Value, "-") {
				msg = fmt.Sprintf("want a non-negative number, got %s", tk.Value)
			}
		case *ast.StringNode:
			if typed && (tk.Type == token.DoubleQuoteType || tk.Type == token.SingleQuoteType) && numberText(x.Value) {
				q := strconv.Quote(x.Value)
				if tk.Type == token.SingleQuoteType {
					q = "'" + x.Value + "'"
				}
				msg = fmt.Sprintf("%s is quoted, which makes it text: write the number without quotes", q)
			}
		}
	}
	if msg == "" {
		return
	}
	c.errAt(tk, path, msg)
}

// errAt records msg about the value at path, written at tk.
func (c *numChecker) errAt(tk *token.Token, path []string, msg string) {
	c.errs = append(c.errs, &xerr.PosError{File: c.s.name, Line: tk.Position.Line, Col: tk.Position.Column, Msg: c.label(path) + ": " + msg})
}

// judgeText reports an unquoted number in a text field that the decoder
// would not keep as written: `version: 1.10` decodes to "1.1", `010` to
// "8", `0x10` to "16". A pack's version names it in every audit entry and
// report, so it must read as written; `2026` or `1.2` are kept as they are
// and pass.
func (c *numChecker) judgeText(n ast.Node, path []string) {
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
	default:
		return
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return
	}
	var got string
	if err := yaml.NodeToValue(n, &got); err != nil || got == tk.Value {
		return
	}
	c.errAt(tk, path, fmt.Sprintf("%s would be read as the number %s: quote it (\"%s\") to keep it as written", tk.Value, got, tk.Value))
}

// numberText reports whether quoted text is one the decoder would take for
// a number in a number field.
func numberText(s string) bool {
	s = strings.TrimSpace(s)
	if _, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64); err == nil {
		return true
	}
	_, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, 64)
	return err == nil
}

// label names the place of a number as the pack loader's other errors do:
// "parameter sa_individuals", "criterion c1 threshold", else the YAML path
// ("coverage.official_items").
func (c *numChecker) label(path []string) string {
	switch {
	case len(path) >= 2 && path[0] == "parameters":
		return "parameter " + path[1]
	case len(path) >= 3 && path[0] == "mechanism" && path[1] == "parameters":
		return "parameter " + path[2]
	case len(path) >= 3 && path[0] == "criteria" && path[2] == "thresholds":
		if id := c.scalarAt("$.criteria" + path[1] + ".id"); id != "" {
			return "criterion " + id + " threshold"
		}
	}
	var b strings.Builder
	for i, p := range path {
		if i > 0 && !strings.HasPrefix(p, "[") {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// scalarAt is the text of the scalar at a YAML path, or "".
func (c *numChecker) scalarAt(p string) string {
	yp, err := yaml.PathString(p)
	if err != nil {
		return ""
	}
	n, err := yp.FilterFile(c.s.file)
	if err != nil || n == nil {
		return ""
	}
	if sn, ok := n.(*ast.StringNode); ok {
		return sn.Value
	}
	return ""
}
