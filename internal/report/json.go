// Package report writes assessments for people and programs: a table for a
// 100-column terminal, JSON exactly per SPEC §3, and a self-contained HTML
// report an officer can email.
package report

import (
	"encoding/json"
	"io"

	"github.com/xborder/xborder/internal/model"
)

// JSON writes the assessment as indented JSON (SPEC §3).
func JSON(w io.Writer, a *model.Assessment) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(a)
}
