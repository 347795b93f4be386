// Package shareddata finds the project's real-data test inputs
// (../shared/data beside the repository, or $XBORDER_SHARED_DATA) for tests.
// The files are never copied into the repository; tests skip without them.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared data directory or "" when it cannot be found.
func Dir() string {
	if d := os.Getenv("XBORDER_SHARED_DATA"); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
		return ""
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		cand := filepath.Join(d, "shared", "data")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// Path returns the path of a file under the shared data directory, or
// skips the test with a message when the directory or file is absent.
func Path(t testing.TB, rel string) string {
	t.Helper()
	d := Dir()
	if d == "" {
		t.Skip("shared data not found (set XBORDER_SHARED_DATA or place ../shared/data beside the repo); skipping real-data test")
	}
	p := filepath.Join(d, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data file %s not present: %v", rel, err)
	}
	return p
}
