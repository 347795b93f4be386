package yamlnum

import (
	"testing"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// scalar parses "v: LIT" and returns the value node.
func scalar(t *testing.T, lit string) ast.Node {
	t.Helper()
	f, err := parser.ParseBytes([]byte("v: "+lit+"\n"), 0)
	if err != nil {
		t.Fatalf("%s: %v", lit, err)
	}
	switch m := f.Docs[0].Body.(type) {
	case *ast.MappingNode:
		return m.Values[0].Value
	case *ast.MappingValueNode:
		return m.Value
	}
	t.Fatalf("%s: body %T", lit, f.Docs[0].Body)
	return nil
}

// The inventory and pack tests pin the full messages; this pins which
// spellings each check judges at all, the two checks side by side.
func TestNotDecimalAndExponent(t *testing.T) {
	cases := []struct {
		lit              string
		notDecimal, expo string
	}{
		{"100000", "", ""},
		{"0", "", ""},
		{"30.5", "", ""},
		{".5", "", ""},
		{"-3", "", ""}, // the sign is the caller's check
		{"0100000", "0100000 has a leading zero, which YAML 1.1 reads as octal (32768): write the number in decimal without leading zeros", ""},
		{"09", "09 has a leading zero: write the number in decimal without leading zeros", ""},
		{"0x186A0", "0x186A0 is hexadecimal: write the number in decimal (100000)", ""},
		{"1_000", `1_000 groups digits with "_", which YAML 1.2 readers take as text: write the number in decimal without separators (1000)`, ""},
		{"+5", `+5 has a "+" sign: write the number in decimal without a sign (5)`, ""},
		{"1e5", "", "1e5 has an exponent: write the number in decimal without an exponent (100000)"},
		{"1.5e3", "", "1.5e3 has an exponent: write the number in decimal without an exponent (1500)"},
		{"2E-2", "", "2E-2 has an exponent: write the number in decimal without an exponent (0.02)"},
		{`"0x10"`, "", ""}, // quoted: text
		{`"1e5"`, "", ""},
		{"abc", "", ""},
		{"1e", "", ""},
		{"true", "", ""},
	}
	for _, c := range cases {
		n := scalar(t, c.lit)
		if got := NotDecimal(n); got != c.notDecimal {
			t.Errorf("NotDecimal(%s) = %q, want %q", c.lit, got, c.notDecimal)
		}
		if got := Exponent(n); got != c.expo {
			t.Errorf("Exponent(%s) = %q, want %q", c.lit, got, c.expo)
		}
	}
}
