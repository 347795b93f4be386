package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/xborder/xborder/internal/model"
)

// FilingSchema versions the filing export's JSON.
const FilingSchema = "xborder.filing/v1"

// FilingRow is one entry of the important-data catalog filed with the local
// industry regulator (MIIT data measures): the data, never its content.
// Fields xborder cannot know from the inventory are left for the filer and
// named in ToComplete.
type FilingRow struct {
	AssetID           string   `json:"asset_id"`
	DataName          string   `json:"data_name"`
	ResponsibleEntity string   `json:"responsible_entity"`
	Scenario          string   `json:"scenario"`
	Category          string   `json:"category"`
	Level             string   `json:"level"`
	Basis             []string `json:"basis"`
	Scale             string   `json:"scale"`
	DataSource        string   `json:"data_source"`
	Purposes          []string `json:"processing_purposes"`
	CrossBorder       string   `json:"cross_border_transfer"`
	Recipients        []string `json:"recipients"`
	Mechanisms        []string `json:"mechanisms"`
	Approvals         []string `json:"approvals"`
	ToComplete        []string `json:"to_complete"`
}

// Filing is the catalog export.
type Filing struct {
	Schema       string          `json:"schema"`
	AsOf         model.Date      `json:"as_of"`
	Packs        []model.PackRef `json:"packs"`
	Important    []FilingRow     `json:"important"`
	Undetermined []FilingRow     `json:"undetermined"`
	Notes        []string        `json:"notes"`
}

// filingToComplete are the catalog fields the inventory does not hold.
var filingToComplete = []string{"medium (storage media and systems)", "processing method", "scope of use", "external sharing", "security protection measures"}

// BuildFiling derives the catalog from an assessment and its inventory:
// important assets, and separately those still undetermined (to decide
// before filing).
func BuildFiling(a *model.Assessment, inv *model.Inventory, itemNames map[string]string) *Filing {
	procs := inv.ProcessorByID()
	assets := inv.AssetByID()
	type agg struct {
		purposes, recipients, mechs, approvals map[string]bool
	}
	byAsset := map[string]*agg{}
	for _, t := range inv.Transfers {
		for _, id := range t.Assets {
			g := byAsset[id]
			if g == nil {
				g = &agg{map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}}
				byAsset[id] = g
			}
			if t.Purpose != "" {
				g.purposes[t.Purpose] = true
			}
			r := t.Recipient.Name
			if t.Recipient.Country != "" {
				r += " (" + t.Recipient.Country + ")"
			}
			g.recipients[r] = true
		}
	}
	for _, tr := range a.Transfers {
		for _, ta := range tr.Assets {
			if g := byAsset[ta.ID]; g != nil {
				g.mechs[tr.Mechanism] = true
				if tr.Coverage.Approval != "" {
					g.approvals[tr.Coverage.Approval] = true
				}
			}
		}
	}
	f := &Filing{Schema: FilingSchema, AsOf: a.AsOf, Packs: a.Packs, Important: []FilingRow{}, Undetermined: []FilingRow{},
		Notes: []string{
			"Catalog of important data for filing with the local industry regulator (MIIT Measures for Data Security Management in the Industrial and IT Sectors): it describes the data, never its content.",
			"Fields listed under to_complete are not in the inventory and must be completed by the filer.",
			"Identification follows the loaded rule packs; criteria marked inferred are xborder's reading and should be confirmed.",
			"Significant changes are re-filed (secondary: within 3 months); processors of important data report annually by 15 December.",
		}}
	for _, r := range a.Assets {
		if r.Result != model.Important && r.Result != model.Undetermined {
			continue
		}
		as := assets[r.ID]
		row := FilingRow{AssetID: r.ID, DataName: r.Name, Category: r.Item, Scenario: strings.SplitN(r.Item, ".", 2)[0],
			Level: "important data", ToComplete: append([]string{}, filingToComplete...)}
		if n := itemNames[r.Item]; n != "" {
			row.Category = n + " (" + r.Item + ")"
		}
		if p := procs[r.Processor]; p != nil && p.Name != "" {
			row.ResponsibleEntity = p.Name + " (" + p.ID + ")"
		} else {
			row.ResponsibleEntity = r.Processor
		}
		for _, m := range r.Matched {
			row.Basis = append(row.Basis, fmt.Sprintf("%s [%s]: %s", m.Criterion, m.Provenance, strings.TrimSpace(m.Text)))
		}
		if r.Result == model.Undetermined {
			row.Level = "undetermined: decide before filing"
			for _, m := range r.Missing {
				row.Basis = append(row.Basis, "missing "+m.Fact+": "+m.Question)
			}
		}
		var scale []string
		for _, k := range []string{"vehicles_in_china", "vehicles_served", "individuals", "sensitive_individuals", "time_span_days", "complete_intersections", "outbound_individuals_ytd"} {
			if v, ok := r.Facts[k]; ok {
				scale = append(scale, fmt.Sprintf("%s %s (%s)", k, model.FormatValue(v.Value), v.Source))
			}
		}
		row.Scale = strings.Join(scale, "; ")
		if as != nil && len(as.Sources) > 0 {
			row.DataSource = "files: " + strings.Join(as.Sources, ", ")
		} else {
			row.DataSource = "declared by the processor"
			row.ToComplete = append(row.ToComplete, "data source (collection systems)")
		}
		row.CrossBorder = "no transfer recorded"
		if g := byAsset[r.ID]; g != nil {
			row.CrossBorder = "yes"
			row.Purposes, row.Recipients, row.Mechanisms, row.Approvals = keys(g.purposes), keys(g.recipients), keys(g.mechs), keys(g.approvals)
		}
		if len(row.Purposes) == 0 {
			row.ToComplete = append(row.ToComplete, "processing purpose")
		}
		if r.Result == model.Important {
			f.Important = append(f.Important, row)
		} else {
			f.Undetermined = append(f.Undetermined, row)
		}
	}
	return f
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var filingHeader = []string{"asset_id", "data_name", "responsible_entity", "scenario", "category", "level", "basis", "scale", "data_source",
	"processing_purposes", "cross_border_transfer", "recipients", "mechanisms", "approvals", "to_complete"}

func (r FilingRow) cells() []string {
	j := func(s []string) string { return strings.Join(s, "; ") }
	return []string{r.AssetID, r.DataName, r.ResponsibleEntity, r.Scenario, r.Category, r.Level, j(r.Basis), r.Scale, r.DataSource,
		j(r.Purposes), r.CrossBorder, j(r.Recipients), j(r.Mechanisms), j(r.Approvals), j(r.ToComplete)}
}

// FilingJSON writes the catalog as JSON.
func FilingJSON(w io.Writer, f *Filing) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(f)
}

// FilingCSV writes the important-data rows as CSV, UTF-8 with a byte order
// mark so that Excel on a Chinese system opens the Chinese names correctly.
func FilingCSV(w io.Writer, f *Filing) error {
	if _, err := w.Write([]byte("\ufeff")); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(filingHeader); err != nil {
		return err
	}
	for _, r := range f.Important {
		if err := cw.Write(r.cells()); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// FilingXLSX writes a workbook: the catalog, the undetermined assets to
// decide, and a sheet saying what the export is based on.
func FilingXLSX(w io.Writer, f *Filing) error {
	x := excelize.NewFile()
	defer x.Close()
	head, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"#E8EDF5"}, Pattern: 1}})
	if err != nil {
		return err
	}
	wrap, err := x.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	sheet := func(name string, rows []FilingRow) error {
		if _, err := x.NewSheet(name); err != nil {
			return err
		}
		hdr := make([]any, len(filingHeader))
		for i, h := range filingHeader {
			hdr[i] = h
		}
		if err := x.SetSheetRow(name, "A1", &hdr); err != nil {
			return err
		}
		for i, r := range rows {
			cells := r.cells()
			vals := make([]any, len(cells))
			for j, c := range cells {
				vals[j] = c
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := x.SetSheetRow(name, cell, &vals); err != nil {
				return err
			}
		}
		last, _ := excelize.ColumnNumberToName(len(filingHeader))
		if err := x.SetCellStyle(name, "A1", last+"1", head); err != nil {
			return err
		}
		if len(rows) > 0 {
			end, _ := excelize.CoordinatesToCellName(len(filingHeader), len(rows)+1)
			if err := x.SetCellStyle(name, "A2", end, wrap); err != nil {
				return err
			}
		}
		if err := x.SetColWidth(name, "A", last, 28); err != nil {
			return err
		}
		return x.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	}
	if err := sheet("Important data", f.Important); err != nil {
		return err
	}
	if err := sheet("Undetermined", f.Undetermined); err != nil {
		return err
	}
	if _, err := x.NewSheet("About"); err != nil {
		return err
	}
	about := [][]any{{"schema", f.Schema}, {"as of", f.AsOf.String()}}
	for _, p := range f.Packs {
		about = append(about, []any{"rule pack", p.ID + " " + p.Version})
	}
	for _, n := range f.Notes {
		about = append(about, []any{"note", n})
	}
	for i, r := range about {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("About", cell, &r); err != nil {
			return err
		}
	}
	if err := x.SetColWidth("About", "B", "B", 120); err != nil {
		return err
	}
	if err := x.DeleteSheet("Sheet1"); err != nil {
		return err
	}
	idx, _ := x.GetSheetIndex("Important data")
	x.SetActiveSheet(idx)
	return x.Write(w)
}
