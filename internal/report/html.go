package report

import (
	"embed"
	"html/template"
	"io"
	"strings"

	"github.com/xborder/xborder/internal/model"
)

//go:embed templates/*.tmpl
var templates embed.FS

var htmlTmpl = template.Must(template.New("assessment.html.tmpl").Funcs(template.FuncMap{
	"join":  strings.Join,
	"fmtv":  model.FormatValue,
	"count": model.Count,
	"deref": func(s *string) string { return *s },
}).ParseFS(templates, "templates/assessment.html.tmpl"))

// HTML writes a self-contained report (no external assets) an officer can email.
func HTML(w io.Writer, a *model.Assessment) error {
	// Asset results and coverage statuses share values ("undetermined"):
	// count them apart.
	assets := map[string]int{}
	for _, r := range a.Assets {
		assets[r.Result]++
	}
	coverage := map[string]int{}
	for _, t := range a.Transfers {
		coverage[t.Coverage.Status]++
	}
	return htmlTmpl.Execute(w, map[string]any{"A": a, "Assets": assets, "Coverage": coverage, "Checklist": checklist(a)})
}
