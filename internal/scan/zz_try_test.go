package scan

import (
	"context"
	"encoding/json"
	"os"
	"testing"
)

func TestZZTry(t *testing.T) {
	files, err := ExpandPaths([]string{os.Getenv("P")})
	if err != nil {
		t.Fatal(err)
	}
	s := NewScanner(Options{})
	if err := s.ScanFiles(context.Background(), files); err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(s.Report(), "", " ")
	os.WriteFile("/tmp/report.json", b, 0o644)
}
