// Package yamlnum judges how a YAML scalar meant as a number is written. The
// inventory loader and the rule-pack loader share it, so a count in an
// inventory and a threshold in a pack are refused for the same spellings with
// the same words. It is lexical only: it looks at the scalar as written (the
// goccy/go-yaml token), never at the value the parser made of it.
package yamlnum

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// NotDecimal says why a numeric scalar is not written as a plain decimal
// number, or "" when it is (or is no number at all: the caller's type check
// speaks then). The parser follows YAML 1.1 and silently reads 0x186A0,
// 0o777, 0b101, 010 (octal 8!), 1_000 and +5 as integers; a compliance
// figure written so is most likely a slip and is hard for an auditor to
// read, so every count and number of an inventory or a rule pack must be
// plain decimal:
//   - 0x, 0o and 0b prefixes (and 010: YAML 1.1 reads a leading zero as
//     octal) are refused; so are other leading zeros (09, 01.5), which
//     would read as octal or as text depending on the YAML reader;
//   - digits grouped with "_" are refused: YAML 1.2 readers take
//     1_000 as text, so the figure would depend on the tool that reads it;
//   - a leading "+" is refused: a count is a figure, and +5000 reads like a
//     change to one ("5,000 more");
//   - an exponent (1.5e3) is left alone: it is decimal notation, JSON
//     encoders write it, and in an inventory only number facts accept it
//     (a count refuses any float; the parser takes 1e5, without a point,
//     for text). A caller may refuse it on top (see Exponent).
//
// A "-" sign is not judged here: non-negativity is the caller's check.
// Only unquoted scalars are judged: a quoted "0x10" is a string.
func NotDecimal(n ast.Node) string {
	tk := n.GetToken()
	if tk == nil {
		return ""
	}
	switch x := n.(type) {
	case *ast.IntegerNode, *ast.FloatNode:
	case *ast.StringNode:
		// The parser leaves 09, 0_9 or 1__ as text: still a number the
		// writer meant, so say what to write instead of "want an integer".
		if tk.Type != token.StringType || !digitsLike.MatchString(x.Value) {
			return ""
		}
	default:
		return ""
	}
	lit := tk.Value
	sign := ""
	if strings.HasPrefix(lit, "-") {
		sign = "-"
	}
	body := strings.TrimPrefix(strings.TrimPrefix(lit, "-"), "+")
	// suggest is the number to write instead, when there is one that is
	// itself plain decimal.
	suggest := func(v string) string {
		if canonicalDecimal.MatchString(v) {
			return " (" + v + ")"
		}
		return ""
	}
	if len(body) > 1 && body[0] == '0' {
		base := map[byte]string{'x': "hexadecimal", 'X': "hexadecimal", 'o': "octal", 'O': "octal", 'b': "binary", 'B': "binary"}[body[1]]
		if base != "" {
			fix := ""
			if v, err := strconv.ParseUint(strings.ReplaceAll(body, "_", ""), 0, 64); err == nil {
				fix = suggest(sign + strconv.FormatUint(v, 10))
			}
			return fmt.Sprintf("%s is %s: write the number in decimal%s", lit, base, fix)
		}
	}
	if strings.Contains(body, "_") {
		return fmt.Sprintf("%s groups digits with \"_\", which YAML 1.2 readers take as text: write the number in decimal without separators%s", lit, suggest(sign+strings.ReplaceAll(body, "_", "")))
	}
	if len(body) > 1 && body[0] == '0' && body[1] >= '0' && body[1] <= '9' {
		if _, isInt := n.(*ast.IntegerNode); isInt {
			if v, err := strconv.ParseUint(body, 8, 64); err == nil {
				return fmt.Sprintf("%s has a leading zero, which YAML 1.1 reads as octal (%s%d): write the number in decimal without leading zeros", lit, sign, v)
			}
		}
		return fmt.Sprintf("%s has a leading zero: write the number in decimal without leading zeros", lit)
	}
	if strings.HasPrefix(lit, "+") {
		return fmt.Sprintf("%s has a \"+\" sign: write the number in decimal without a sign%s", lit, suggest(body))
	}
	return ""
}

// canonicalDecimal is a number as NotDecimal wants it written.
var canonicalDecimal = regexp.MustCompile(`^-?(0|[1-9][0-9]*)?(\.[0-9]*)?([eE][-+]?[0-9]+)?$`)

// digitsLike is text the parser did not take for a number but that a
// writer meant as one: digits with leading zeros or "_" separators.
var digitsLike = regexp.MustCompile(`^[-+]?[0-9][0-9_]*(\.[0-9_]*)?$`)

// Exponent says why a scalar meant as a number is written with an exponent
// (1e5, 1.0e5, 2E+3), or "" when it is not. NotDecimal leaves exponents alone;
// a caller whose numbers are figures stated in words (a legal threshold is
// 十万, 100000) may refuse them too: YAML 1.1 reads 1e5 as text and YAML 1.2
// as a number, and go-yaml reads it as 100000 into a number field but as
// text into an untyped one. Both unquoted numbers and unquoted text that
// looks like one (1e5) are judged.
func Exponent(n ast.Node) string {
	tk := n.GetToken()
	if tk == nil {
		return ""
	}
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode:
	case *ast.StringNode:
		if tk.Type != token.StringType {
			return ""
		}
	default:
		return ""
	}
	lit := tk.Value
	if !exponentLike.MatchString(lit) {
		return ""
	}
	fix := ""
	if v, err := strconv.ParseFloat(strings.ReplaceAll(lit, "_", ""), 64); err == nil {
		if s := strconv.FormatFloat(v, 'f', -1, 64); len(s) <= 24 && canonicalDecimal.MatchString(strings.TrimPrefix(s, "+")) {
			fix = " (" + s + ")"
		}
	}
	return fmt.Sprintf("%s has an exponent: write the number in decimal without an exponent%s", lit, fix)
}

// exponentLike is a number written with an exponent.
var exponentLike = regexp.MustCompile(`^[-+]?([0-9][0-9_]*(\.[0-9_]*)?|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$`)
