package model

import (
	"fmt"
	"sort"
)

// Fact types a pack may declare.
const (
	TypeInt    = "int"
	TypeNumber = "number"
	TypeBool   = "bool"
	TypeEnum   = "enum"
	TypeList   = "list"
	TypeString = "string"
)

// Fact sources.
const (
	SourceDeclared = "declared"
	SourceDerived  = "derived"
	// SourceScanPrefix precedes the scanned path: "scan:data/road-test/*.csv".
	SourceScanPrefix = "scan:"
)

// FactValue is one known fact with where it came from. Value holds int64,
// float64, bool, string or []string according to the fact's declared type.
type FactValue struct {
	Value      any    `json:"value"`
	Source     string `json:"source"`
	Provenance string `json:"provenance,omitempty"`
	Evidence   string `json:"evidence,omitempty"`
	// AtLeast marks Value as a lower bound: the true value is unknown but not
	// smaller (a yearly total when some transfers gave no count).
	AtLeast bool `json:"at_least,omitempty"`
}

// FactSet maps fact names to values.
type FactSet map[string]FactValue

// Names returns the fact names in sorted order, for stable output.
func (fs FactSet) Names() []string {
	out := make([]string, 0, len(fs))
	for k := range fs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Clone returns a shallow copy that can be extended without touching fs.
func (fs FactSet) Clone() FactSet {
	out := make(FactSet, len(fs)+2)
	for k, v := range fs {
		out[k] = v
	}
	return out
}

// FormatValue renders a fact value for humans.
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "?"
	case []string:
		if len(x) == 0 {
			return "[]"
		}
		s := "["
		for i, e := range x {
			if i > 0 {
				s += ", "
			}
			s += e
		}
		return s + "]"
	case float64:
		return fmt.Sprintf("%g", x)
	case int64:
		return Count(x)
	default:
		return fmt.Sprint(x)
	}
}

// Count formats an integer with thousands separators: 1085000 -> "1,085,000".
func Count(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := fmt.Sprint(n)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
