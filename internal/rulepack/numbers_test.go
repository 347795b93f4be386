package rulepack_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/rulepack"
	"github.com/xborder/xborder/internal/xerr"
)

// numberPatch is a patch that writes lit as a parameter override (line 5,
// column 25) and as a threshold value (line 10, column 61); expr is the
// criterion's expression, which states the threshold as CEL.
func numberPatch(t *testing.T, lit, expr string) string {
	t.Helper()
	src := fmt.Sprintf(`pack: numbers
version: "1"
extends: [guidelines-2026, provisions-2024]
parameters:
  contract_individuals: %s
criteria:
  - id: vehicles_threshold
    text: The patch's own vehicle threshold.
    expr: %s
    thresholds: [{fact: vehicles_in_china, op: ">=", value: %s, provenance: inferred}]
    provenance: inferred
`, lit, expr, lit)
	path := filepath.Join(t.TempDir(), "numbers.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A counsel's patch sets a legal threshold: the figure loaded must be the
// figure written, or the patch is refused with the decimal to write. The
// decoder alone reads 0100000 as 32768 (YAML 1.1 octal) without a word.
func TestLoad_NumbersMustBePlainDecimal(t *testing.T) {
	cases := []struct {
		lit  string
		want int64  // the value loaded, when accepted
		err  string // the message after "file:line:col: parameter contract_individuals: "
	}{
		// At, below and above the statutory 100,000 (Art 8).
		{lit: "99999", want: 99999},
		{lit: "100000", want: 100000},
		{lit: "100001", want: 100001},
		{lit: "0", want: 0},
		{lit: "100000.0", want: 100000}, // a whole number written with a point is that integer
		{lit: "0100000", err: "0100000 has a leading zero, which YAML 1.1 reads as octal (32768): write the number in decimal without leading zeros"},
		{lit: "0100001", err: "0100001 has a leading zero, which YAML 1.1 reads as octal (32769): write the number in decimal without leading zeros"},
		{lit: "099999", err: "099999 has a leading zero: write the number in decimal without leading zeros"},
		{lit: "100_000", err: `100_000 groups digits with "_", which YAML 1.2 readers take as text: write the number in decimal without separators (100000)`},
		{lit: "0x186A0", err: "0x186A0 is hexadecimal: write the number in decimal (100000)"},
		{lit: "0o303240", err: "0o303240 is octal: write the number in decimal (100000)"},
		{lit: "0b11000011010100000", err: "0b11000011010100000 is binary: write the number in decimal (100000)"},
		{lit: "+100000", err: `+100000 has a "+" sign: write the number in decimal without a sign (100000)`},
		{lit: "-0", err: "want a non-negative number, got -0"},
		{lit: "-100000", err: "want a non-negative number, got -100000"},
		// Decided: no exponent. go-yaml reads 1e5 as 100000 in a threshold
		// but as text in a parameter, YAML 1.1 as text; the law says 十万.
		{lit: "1e5", err: "1e5 has an exponent: write the number in decimal without an exponent (100000)"},
		{lit: "1.0e5", err: "1.0e5 has an exponent: write the number in decimal without an exponent (100000)"},
		{lit: ".inf", err: ".inf is not a finite number: write the number in decimal"},
	}
	for _, c := range cases {
		t.Run(c.lit, func(t *testing.T) {
			want := c.want
			if c.err != "" {
				want = 100000
			}
			path := numberPatch(t, c.lit, fmt.Sprintf("vehicles_in_china >= %d", want))
			set, err := loadWith(t, path)
			if c.err != "" {
				wantErr := path + ":5:25: parameter contract_individuals: " + c.err + "\n" +
					path + ":10:61: criterion vehicles_threshold threshold: " + c.err
				if err == nil {
					t.Fatalf("loaded: contract_individuals = %d", set.Int("contract_individuals"))
				}
				if err.Error() != wantErr {
					t.Errorf("error:\n%s\nwant:\n%s", err, wantErr)
				}
				if xerr.ExitCode(err) != xerr.ExitBadInput {
					t.Errorf("exit code %d, want %d", xerr.ExitCode(err), xerr.ExitBadInput)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := set.Int("contract_individuals"); got != c.want {
				t.Errorf("contract_individuals = %d, want %d", got, c.want)
			}
			cr := set.Criteria["vehicles_threshold"]
			if cr == nil || len(cr.Thresholds) != 1 || cr.Thresholds[0].Value != float64(c.want) {
				t.Fatalf("threshold: %+v", cr)
			}
			// The criterion decides at the boundary as written.
			for _, v := range []int64{c.want - 1, c.want, c.want + 1} {
				truth, _, err := cr.Eval(context.Background(), vars{"vehicles_in_china": v}, set.Limits())
				if wantTruth := v >= c.want; err != nil || (truth == rulepack.True) != wantTruth {
					t.Errorf("vehicles_in_china = %d: %v %v, want true = %v", v, truth, err, wantTruth)
				}
			}
		})
	}
}

// Only numbers are judged: text fields keep the text written, and a number
// inside a CEL expression is CEL's business (0x186A0 is CEL's 100000).
func TestLoad_NumbersInTextAndCELAreNotJudged(t *testing.T) {
	src := `pack: numbers-text
version: "010"
extends: [guidelines-2026]
notes: ["0x10", "1_000", "+5"]
criteria:
  - id: vehicles_hex_in_cel
    text: "0100000 vehicles, 1_000 words"
    expr: vehicles_in_china >= 0x186A0
    provenance: inferred
`
	path := filepath.Join(t.TempDir(), "numbers-text.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := loadWith(t, path)
	if err != nil {
		t.Fatal(err)
	}
	cr := set.Criteria["vehicles_hex_in_cel"]
	if cr == nil || cr.Text != "0100000 vehicles, 1_000 words" {
		t.Fatalf("criterion: %+v", cr)
	}
	for v, want := range map[int64]bool{99999: false, 100000: true} {
		truth, _, err := cr.Eval(context.Background(), vars{"vehicles_in_china": v}, set.Limits())
		if err != nil || (truth == rulepack.True) != want {
			t.Errorf("vehicles_in_china = %d: %v %v, want %v", v, truth, err, want)
		}
	}
}

// An alias in a number field is judged as the anchored value, once per
// anchor: an alias bomb of octals gives one error per scalar written, not
// 10^9, and a number anchored in a text field is caught where it is used.
func TestLoad_NumbersThroughAliases(t *testing.T) {
	var b strings.Builder
	b.WriteString("pack: octal-laughs\nversion: \"1\"\nextends: [guidelines-2026, provisions-2024]\nnotes: [&n 0100000]\nparameters:\n")
	b.WriteString("  l0: &l0 [010, 010, 010, 010, 010, 010, 010, 010, 010, 010]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", "))
	}
	b.WriteString("  sa_individuals: *l9\n  contract_individuals: *n\n")
	path := filepath.Join(t.TempDir(), "laughs.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := loadWith(t, path)
	if err == nil {
		t.Fatal("loaded")
	}
	lines := strings.Split(err.Error(), "\n")
	// The anchored 0100000 is also wrong where it is written: the text
	// field notes would read "32768".
	if len(lines) != 12 {
		t.Fatalf("%d errors, want 12 (the note as text, ten 010 in l0, the aliased 0100000):\n%s", len(lines), trunc(err.Error()))
	}
	if want := path + `:4:12: notes[0]: 0100000 would be read as the number 32768: quote it ("0100000")`; !strings.HasPrefix(lines[0], want) {
		t.Errorf("first error %q, want prefix %q", lines[0], want)
	}
	if want := path + ":6:12: parameter l0: 010 has a leading zero"; !strings.HasPrefix(lines[1], want) {
		t.Errorf("second error %q, want prefix %q", lines[1], want)
	}
	if want := path + ":4:12: parameter contract_individuals: 0100000 has a leading zero, which YAML 1.1 reads as octal (32768)"; !strings.HasPrefix(lines[11], want) {
		t.Errorf("last error %q, want prefix %q", lines[11], want)
	}
}

// A number written in a text field passes when the decoder keeps it as
// written and is refused when it would change it (1.10 -> "1.1", 010 ->
// "8", 0x10 -> "16"): a pack's version names it in every audit entry.
func TestLoad_NumbersInTextFields(t *testing.T) {
	for _, c := range []struct {
		version, want string // want: "" loads with this version
	}{
		{`"1.10"`, ""},
		{`1.2`, ""},
		{`2026`, ""},
		{`1.10`, `version: 1.10 would be read as the number 1.1: quote it ("1.10") to keep it as written`},
		{`010`, `version: 010 would be read as the number 8: quote it ("010")`},
		{`0x10`, `version: 0x10 would be read as the number 16`},
		{`.5`, `version: .5 would be read as the number 0.5`},
		{`.inf`, `version: .inf would be read as the number +Inf`},
		{`.nan`, `version: .nan would be read as the number NaN`},
	} {
		path := filepath.Join(t.TempDir(), "v.yaml")
		src := "pack: text-version\nversion: " + c.version + "\nextends: [guidelines-2026, provisions-2024]\n"
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		set, err := loadWith(t, path)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("version %s: %v", c.version, err)
		case c.want == "":
			found := false
			for _, p := range set.Packs {
				if p.ID == "text-version" {
					found = true
					if w := strings.Trim(c.version, `"`); p.Version != w {
						t.Errorf("version %s loaded as %q, want %q", c.version, p.Version, w)
					}
				}
			}
			if !found {
				t.Errorf("version %s: pack not in the set", c.version)
			}
		case err == nil || !strings.Contains(err.Error(), path+":2:10: "+c.want):
			t.Errorf("version %s: error %v, want %q at 2:10", c.version, err, c.want)
		}
	}
}

// A pack file larger than MaxPackBytes is refused before it is parsed (the
// parser's time grows faster than the file on hostile input); one at the
// limit is parsed.
func TestLoad_PackSizeLimit(t *testing.T) {
	head := "pack: big\nversion: \"1\"\nextends: [guidelines-2026, provisions-2024]\n"
	for _, c := range []struct {
		size int
		want string
	}{
		{rulepack.MaxPackBytes, ""},
		{rulepack.MaxPackBytes + 1, "a pack file may hold at most 256 KiB"},
	} {
		pad := c.size - len(head)
		body := head + strings.Repeat("#", pad-1) + "\n"
		path := filepath.Join(t.TempDir(), "big.yaml")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := loadWith(t, path)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%d bytes: %v", c.size, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%d bytes: %v, want %q", c.size, err, c.want)
		}
		if _, err := rulepack.Parse("big.yaml", []byte(body)); (err != nil) != (c.want != "") {
			t.Errorf("Parse of %d bytes: %v", c.size, err)
		}
	}
}

// A parameter value may carry !!bool or !!str (a flag or a word); only the
// number tags are refused, since they convert text into a number.
func TestLoad_TagsOnParameterValues(t *testing.T) {
	for _, c := range []struct {
		value, want string // want "": loads
	}{
		{`!!bool true`, ""},
		{`true`, ""},
		{`!!int "1"`, "the tag !!int is not allowed on a number"},
		{`!!float "1"`, "the tag !!float is not allowed on a number"},
	} {
		path := filepath.Join(t.TempDir(), "tag.yaml")
		src := "pack: tags\nversion: \"1\"\nextends: [guidelines-2026, provisions-2024]\nparameters:\n  claimed_exemptions_count: {value: " + c.value + ", provenance: inferred, text: x}\n"
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := loadWith(t, path)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.value, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", c.value, err, c.want)
		}
	}
}
