package rulepack_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/rulepack"
	"github.com/xborder/xborder/internal/xerr"
)

// positioned reports whether every error in err names a file: a user must be
// told which pack is wrong.
func positioned(err error) bool {
	var list xerr.List
	if errors.As(err, &list) {
		for _, e := range list {
			if !positioned(e) {
				return false
			}
		}
		return len(list) > 0
	}
	var pe *xerr.PosError
	return errors.As(err, &pe) && pe.File != ""
}

// FuzzParsePack feeds arbitrary bytes to the pack parser: it must never
// panic, every error must carry the file name, and a pack that parses is then
// built on top of the default packs, which must fail (if at all) with errors
// that name a file too. Seeds: testdata/fuzz/FuzzParsePack (every test and
// embedded pack plus odd YAML).
func FuzzParsePack(f *testing.F) {
	f.Add([]byte("pack: a\nversion: \"1\"\nextends: [guidelines-2026]\n"))
	skipKnown := os.Getenv("XBORDER_FUZZ_SKIP_KNOWN") != ""
	f.Fuzz(func(t *testing.T, data []byte) {
		// While the known crash (TestParsePack_Crashers) is open, a fuzzing
		// session may step over YAML tags to look for other defects.
		if skipKnown && bytes.ContainsRune(data, '!') {
			t.Skip()
		}
		checkPack(t, data)
	})
}

// checkPack is the property FuzzParsePack checks on one input.
func checkPack(t *testing.T, data []byte) {
	t.Helper()
	p, err := rulepack.Parse("fuzz.yaml", data)
	if err != nil {
		if !strings.HasPrefix(err.Error(), "fuzz.yaml") || !positioned(err) {
			t.Fatalf("error without the file name: %q", err)
		}
		return
	}
	if p == nil || p.ID == "" {
		t.Fatalf("Parse returned %+v without an error", p)
	}
	path := filepath.Join(t.TempDir(), "fuzz.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := rulepack.Load([]string{"guidelines-2026", "provisions-2024", path}, rulepack.Limits{})
	if err != nil {
		if !positioned(err) {
			t.Fatalf("load error without a file: %q", err)
		}
		if xerr.ExitCode(err) != xerr.ExitBadInput {
			t.Fatalf("load error with exit code %d: %v", xerr.ExitCode(err), err)
		}
		return
	}
	if set == nil || len(set.Packs) < 2 {
		t.Fatalf("Load returned %+v without an error", set)
	}
}

// crashers are inputs the fuzzer found that panic inside the YAML decoder
// (goccy/go-yaml) called by rulepack.Parse. `xborder --pack FILE` must answer
// them with a positioned error (exit 2), never a panic: the inventory loader
// already recovers from the same library's panics.
func TestParsePack_Crashers(t *testing.T) {
	files, err := filepath.Glob("testdata/crashers/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no crashers: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data := fuzzInput(t, f)
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%q panicked: %v", data, r)
				}
			}()
			checkPack(t, data)
		})
	}
}

// fuzzInput reads a file in the `go test fuzz v1` format holding one []byte.
func fuzzInput(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(b), "\n", 3)
	if len(lines) < 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "[]byte(") {
		t.Fatalf("%s: not a fuzz input file", path)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(s)
}
