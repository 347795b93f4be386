package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/xerr"
)

// An output that cannot be written is bad usage: exit 2 with the path named,
// never 1 (kept for --fail-on and a log that does not verify), and nothing
// is left behind. Every command that writes with -o is checked.
func TestOutputUnwritable_Exit2(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "missing", "x.json")
	db := "sqlite:" + logDB(t, 3, constAt(auditNow))
	csv := filepath.Join(example(), "data", "road-test-2026.csv")
	sketch := filepath.Join(t.TempDir(), "s.sketch")
	if code, _, errs := run(t, "scan", csv, "--sketch-out", sketch, "--sketch-key-file", testKeyFile(t), "--no-progress"); code != 0 {
		t.Fatalf("scan --sketch-out: %d %s", code, errs)
	}
	cases := [][]string{
		{"assess", example(), "--no-scan", "-o", bad},
		{"assess", example(), "--no-scan", "--format", "json", "--fail-on", "not_covered,undetermined", "-o", bad},
		{"assess", example(), "--no-scan", "--format", "html", "-o", dir}, // a directory
		{"scan", csv, "--no-progress", "-o", bad},
		{"scan", csv, "--no-progress", "--sketch-out", bad},
		{"sketch", "merge", sketch, "-o", bad},
		{"sketch", "merge", sketch, "--sketch-out", bad},
		{"filing", "export", example(), "--no-scan", "-o", bad},
		{"filing", "export", example(), "--no-scan", "--format", "csv", "-o", bad},
		{"audit", "export", "--db", db, "-o", bad},
		{"audit", "verify", "--db", db, "-o", bad},
		{"audit", "keygen", "-o", bad},
		{"rules", "list", "-o", bad},
		{"rules", "show", "rd.testing.road_test", "-o", bad},
		{"rules", "diff", "draft-2025", "guidelines-2026", "-o", bad},
		{"gen", "telemetry", "--rows", "20", "--fleet", "3", "-o", bad},
	}
	for _, args := range cases {
		code, out, errs := runAuditCLI(t, auditNow, args...)
		name := strings.Join(args, " ")
		target := args[len(args)-1]
		if code != xerr.ExitBadInput {
			t.Errorf("%s: exit %d, want 2\n%s", name, code, errs)
		}
		if !strings.Contains(errs, "cannot write output "+target) {
			t.Errorf("%s: the message does not name the output: %q", name, errs)
		}
		if target == bad && !strings.Contains(errs, "directory "+filepath.Dir(bad)+" does not exist") {
			t.Errorf("%s: the message does not say why: %q", name, errs)
		}
		if out != "" {
			t.Errorf("%s: wrote to stdout instead: %q", name, out)
		}
	}
	// Nothing half-written anywhere: the missing directory was not created
	// and no temporary file is left in the existing one.
	if _, err := os.Stat(filepath.Dir(bad)); !os.IsNotExist(err) {
		t.Errorf("%s was created", filepath.Dir(bad))
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind in %s: %v", dir, ents)
	}
}

// A failure of the file after the work (here its directory disappears
// before the rename) is still exit 2 with the path, and nothing is left.
func TestWriteFile_LateFailure(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "report.html")
	err := writeFile(path, func(w io.Writer) error {
		io.WriteString(w, "<html>partial")
		return os.RemoveAll(dir)
	})
	if xerr.ExitCode(err) != xerr.ExitBadInput || !strings.Contains(err.Error(), "cannot write output "+path) {
		t.Fatalf("got %v (exit %d), want exit 2 naming %s", err, xerr.ExitCode(err), path)
	}
	if _, serr := os.Stat(path); !os.IsNotExist(serr) {
		t.Errorf("%s exists", path)
	}
}

// When what produces the output fails, its error comes back unchanged and a
// file already at the path is untouched.
func TestWriteFile_ProducerFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "catalog.csv")
	os.WriteFile(path, []byte("old\n"), 0o644)
	cause := errors.New("database went away")
	err := writeFile(path, func(w io.Writer) error {
		io.WriteString(w, "new, partial")
		return cause
	})
	if !errors.Is(err, cause) || strings.Contains(err.Error(), "cannot write output") {
		t.Fatalf("got %v, want the producer's error", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old\n" {
		t.Errorf("existing file changed to %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// A failed write to standard output is exit 2 too, even when the writer of
// the report ignores the error.
func TestWriteOutput_StdoutFailure(t *testing.T) {
	var errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: failWriter{}, Stderr: &errb,
		Now: func() time.Time { return auditNow }, Getenv: func(string) string { return "" }}
	if code := Run(context.Background(), env, []string{"rules", "list"}); code != xerr.ExitBadInput || !strings.Contains(errb.String(), "cannot write to standard output") {
		t.Errorf("exit %d: %s", code, errb.String())
	}
	err := writeOutput(env, "", func(w io.Writer) error {
		w.Write([]byte("ignored error"))
		return nil
	})
	if xerr.ExitCode(err) != xerr.ExitBadInput {
		t.Errorf("ignored write error: %v", err)
	}
}

// rules writes with -o like every other command.
func TestRulesOutputFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.json")
	code, out, errs := run(t, "rules", "list", "--format", "json", "-o", path)
	if code != 0 || out != "" {
		t.Fatalf("exit %d, stdout %q: %s", code, out, errs)
	}
	_, want, _ := run(t, "rules", "list", "--format", "json")
	if b, _ := os.ReadFile(path); string(b) != want {
		t.Errorf("-o wrote %d bytes, stdout has %d", len(b), len(want))
	}
}
