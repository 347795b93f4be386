package inventory

import (
	"math"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"golang.org/x/text/language"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/yamlnum"
)

// facts reads an asset's declared facts, type-checked against the catalog.
func (d *dec) facts(a *model.Asset, n ast.Node, path string, cat FactCatalog) {
	if !d.plain(n, path) {
		return
	}
	var pairs []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		pairs = m.Values
	case *ast.MappingValueNode:
		pairs = []*ast.MappingValueNode{m}
	default:
		d.errs.at(d.pos(n), path, "want a mapping of fact names to values, got %s", describe(n))
		return
	}
	for _, kv := range pairs {
		if kv == nil || kv.Key == nil || !d.plain(kv.Key, path) {
			continue
		}
		kp := d.pos(kv.Key)
		name, ok := keyText(kv.Key)
		if !ok {
			d.errs.at(kp, path, "want a fact name, got %s", describe(kv.Key))
			continue
		}
		fp := join(path, name)
		if prev, dup := a.FactPos[name]; dup {
			d.errs.at(kp, fp, "duplicate key (first at %d:%d)", prev.Line, prev.Col)
			continue
		}
		if name == DerivedYTD || (cat != nil && cat.Derived(name)) {
			d.errs.at(kp, fp, "derived by xborder from the transfers, cannot be declared")
			a.FactPos[name] = kp
			continue
		}
		if isNull(kv.Value) {
			// null means "not given" for every field; a fact left null is
			// simply unknown, like one left out.
			a.FactPos[name] = kp
			continue
		}
		var v any
		if cat == nil {
			v, ok = d.untypedFact(kv.Value, fp)
		} else {
			typ, enum, known := cat.Fact(name)
			if !known {
				hint := ""
				if nm, ok := cat.(FactNamer); ok {
					hint = suggest(name, nm.FactNames())
				}
				d.errs.at(kp, fp, "unknown fact%s", hint)
				a.FactPos[name] = kp
				continue
			}
			v, ok = d.typedFact(kv.Value, fp, typ, enum)
		}
		a.FactPos[name] = kp
		if !ok {
			continue
		}
		a.Facts[name] = model.FactValue{Value: v, Source: model.SourceDeclared}
	}
}

// typedFact converts a fact value to the Go type of its declared type.
func (d *dec) typedFact(n ast.Node, path, typ string, enum []string) (any, bool) {
	switch typ {
	case model.TypeInt:
		return d.count(n, path)
	case model.TypeNumber:
		return d.number(n, path)
	case model.TypeBool:
		return d.boolean(n, path)
	case model.TypeString:
		return d.text(n, path)
	case model.TypeEnum:
		return d.enum(n, path, enum)
	case model.TypeList:
		out := []string{}
		ok := d.list(n, path, func(i int, e ast.Node, ep string) {
			var s string
			var ok bool
			if len(enum) > 0 {
				s, ok = d.enum(e, ep, enum)
			} else {
				s, ok = d.text(e, ep)
			}
			if !ok {
				return
			}
			if contains(out, s) {
				d.errs.at(d.pos(e), ep, "%q listed twice", s)
				return
			}
			out = append(out, s)
		})
		return out, ok
	}
	// A pack declaring a type this loader does not know is a pack bug; say
	// so at the fact rather than guess a conversion.
	d.errs.at(d.pos(n), path, "fact has unsupported type %q in the rule pack", typ)
	return nil, false
}

// untypedFact keeps a value with the type YAML gives it, for loads without a
// catalog (tools that only read an inventory).
func (d *dec) untypedFact(n ast.Node, path string) (any, bool) {
	if !d.plain(n, path) {
		return nil, false
	}
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode: // text such as 09 stays text here: the type is not known
		if msg := yamlnum.NotDecimal(n); msg != "" {
			d.errs.at(d.pos(n), path, "%s", msg)
			return nil, false
		}
	}
	switch x := n.(type) {
	case *ast.IntegerNode:
		if v, ok := x.Value.(int64); ok {
			return v, true
		}
		if v, ok := x.Value.(uint64); ok && v <= math.MaxInt64 {
			return int64(v), true
		}
		d.errs.at(d.pos(n), path, "integer out of range: %s", describe(n))
		return nil, false
	case *ast.FloatNode:
		return d.number(n, path)
	case *ast.BoolNode:
		return x.Value, true
	case *ast.SequenceNode:
		out := []string{}
		ok := d.list(n, path, func(i int, e ast.Node, ep string) {
			if s, ok := d.text(e, ep); ok {
				out = append(out, s)
			}
		})
		return out, ok
	}
	return d.text(n, path)
}

// country reads an ISO 3166-1 alpha-2 code of a country or territory other
// than mainland China (Hong Kong, Macao and Taiwan are abroad for export law).
func (d *dec) country(n ast.Node, path string) (string, bool) {
	s, ok := d.text(n, path)
	if !ok {
		return "", false
	}
	valid := len(s) == 2 && strings.ToUpper(s) == s && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
	if valid {
		r, err := language.ParseRegion(s)
		valid = err == nil && r.IsCountry() && r.String() == s
	}
	if !valid {
		d.errs.at(d.pos(n), path, "want an ISO 3166-1 alpha-2 country code such as DE, got %q", s)
		return "", false
	}
	if s == "CN" {
		d.errs.at(d.pos(n), path, "CN is mainland China: a recipient there is not a cross-border transfer")
		return "", false
	}
	return s, true
}

// FactSpec describes one fact for StaticFacts.
type FactSpec struct {
	Type    string
	Enum    []string
	Derived bool
}

// StaticFacts is a FactCatalog from a map, for tests and tools.
type StaticFacts map[string]FactSpec

// Fact implements FactCatalog.
func (s StaticFacts) Fact(name string) (string, []string, bool) {
	f, ok := s[name]
	return f.Type, f.Enum, ok
}

// Derived implements FactCatalog.
func (s StaticFacts) Derived(name string) bool { return s[name].Derived }

// FactNames implements FactNamer.
func (s StaticFacts) FactNames() []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// StaticItems is an ItemCatalog from a set of ids.
type StaticItems map[string]bool

// Item implements ItemCatalog.
func (s StaticItems) Item(id string) bool { return s[id] }
