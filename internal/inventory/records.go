package inventory

import (
	pathpkg "path"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/xborder/xborder/internal/model"
)

// ref is a reference read from a file, kept with its position so a dangling
// reference is reported where it was written, not where its record starts.
type ref struct {
	val  string
	pos  model.Pos
	path string
}

func (r ref) ok() bool { return r.val != "" }

type procRec struct {
	p  *model.Processor
	id ref
}

type assetRec struct {
	a              *model.Asset
	id, proc, item ref
}

type transferRec struct {
	t         *model.Transfer
	id, proc  ref
	assets    []ref
	exemption ref
}

type approvalRec struct {
	a               *model.Approval
	id, proc, group ref
	scopeAssets     []ref
}

// loaded accumulates the records of every file of one load, in file order.
type loaded struct {
	inv       *model.Inventory
	procs     []procRec
	assets    []assetRec
	transfers []transferRec
	approvals []approvalRec
}

func newLoaded() *loaded {
	return &loaded{inv: &model.Inventory{
		Processors: []*model.Processor{},
		Assets:     []*model.Asset{},
		Transfers:  []*model.Transfer{},
		Approvals:  []*model.Approval{},
	}}
}

// append adds the records of o after those of l.
func (l *loaded) append(o *loaded) {
	l.inv.Processors = append(l.inv.Processors, o.inv.Processors...)
	l.inv.Assets = append(l.inv.Assets, o.inv.Assets...)
	l.inv.Transfers = append(l.inv.Transfers, o.inv.Transfers...)
	l.inv.Approvals = append(l.inv.Approvals, o.inv.Approvals...)
	l.procs = append(l.procs, o.procs...)
	l.assets = append(l.assets, o.assets...)
	l.transfers = append(l.transfers, o.transfers...)
	l.approvals = append(l.approvals, o.approvals...)
}

// required records that a required field is absent (or null).
func (d *dec) required(rec ast.Node, path, field string) {
	d.errs.at(d.startPos(rec), join(path, field), "required")
}

// idRef reads an id-valued field into a ref; need makes it required.
func (d *dec) idRef(f map[string]ast.Node, rec ast.Node, path, field string, need bool) ref {
	n := f[field]
	if isNull(n) {
		if need {
			d.required(rec, path, field)
		}
		return ref{}
	}
	p := join(path, field)
	v, ok := d.id(n, p)
	if !ok {
		return ref{}
	}
	return ref{val: v, pos: d.pos(n), path: p}
}

// optText reads an optional string field.
func (d *dec) optText(f map[string]ast.Node, path, field string) string {
	n := f[field]
	if isNull(n) {
		return ""
	}
	s, _ := d.text(n, join(path, field))
	return s
}

// reqText reads a required non-empty string field.
func (d *dec) reqText(f map[string]ast.Node, rec ast.Node, path, field string) string {
	n := f[field]
	if isNull(n) {
		d.required(rec, path, field)
		return ""
	}
	s, _ := d.nonEmpty(n, join(path, field))
	return s
}

func (d *dec) optDate(f map[string]ast.Node, path, field string) model.Date {
	n := f[field]
	if isNull(n) {
		return model.NoDate
	}
	v, _ := d.date(n, join(path, field))
	return v
}

func (d *dec) optCount(f map[string]ast.Node, path, field string) *int64 {
	n := f[field]
	if isNull(n) {
		return nil
	}
	v, ok := d.count(n, join(path, field))
	if !ok {
		return nil
	}
	return &v
}

var processorFields = []string{"id", "name", "group", "ciio", "legal_entity_in_china", "kinds", "ftz"}

func (l *loaded) addProcessor(d *dec, n ast.Node, path string, opts Options) {
	f, ok := d.fields(n, path, processorFields)
	if !ok {
		return
	}
	p := &model.Processor{Pos: d.startPos(n), FTZ: "none"}
	rec := procRec{p: p, id: d.idRef(f, n, path, "id", true)}
	p.ID = rec.id.val
	p.Name = d.optText(f, path, "name")
	if g := d.idRef(f, n, path, "group", false); g.ok() {
		p.Group = g.val
	}
	if v := f["ciio"]; !isNull(v) {
		p.CIIO, _ = d.boolean(v, join(path, "ciio"))
	}
	if v := f["legal_entity_in_china"]; !isNull(v) {
		if b, ok := d.boolean(v, join(path, "legal_entity_in_china")); ok {
			p.LegalEntityInChina = &b
		}
	}
	if v := f["kinds"]; !isNull(v) {
		p.Kinds = []string{}
		d.list(v, join(path, "kinds"), func(i int, e ast.Node, ep string) {
			if k, ok := d.enum(e, ep, model.ProcessorKinds); ok {
				if contains(p.Kinds, k) {
					d.errs.at(d.pos(e), ep, "kind %q listed twice", k)
					return
				}
				p.Kinds = append(p.Kinds, k)
			}
		})
	}
	if v := f["ftz"]; !isNull(v) {
		ftzs := opts.FTZs
		if ftzs == nil {
			ftzs = DefaultFTZs
		}
		if z, ok := d.enum(v, join(path, "ftz"), ftzs); ok {
			p.FTZ = z
		}
	}
	l.inv.Processors = append(l.inv.Processors, p)
	l.procs = append(l.procs, rec)
}

var assetFields = []string{"id", "processor", "item", "name", "sources", "facts"}

func (l *loaded) addAsset(d *dec, n ast.Node, path string, opts Options) {
	f, ok := d.fields(n, path, assetFields)
	if !ok {
		return
	}
	a := &model.Asset{Pos: d.startPos(n), BaseDir: filepath.Dir(d.file), Facts: model.FactSet{}, FactPos: map[string]model.Pos{}}
	rec := assetRec{a: a}
	rec.id = d.idRef(f, n, path, "id", true)
	rec.proc = d.idRef(f, n, path, "processor", true)
	rec.item = d.idRef(f, n, path, "item", true)
	a.ID, a.Processor, a.Item = rec.id.val, rec.proc.val, rec.item.val
	a.Name = d.optText(f, path, "name")
	if v := f["sources"]; !isNull(v) {
		d.list(v, join(path, "sources"), func(i int, e ast.Node, ep string) {
			s, ok := d.nonEmpty(e, ep)
			if !ok {
				return
			}
			// Match reports a malformed pattern (an unclosed '[')
			// whatever the name it is matched against.
			if _, err := pathpkg.Match(filepath.ToSlash(s), ""); err != nil {
				d.errs.at(d.pos(e), ep, "bad glob pattern %q", s)
				return
			}
			a.Sources = append(a.Sources, s)
		})
	}
	if v := f["facts"]; !isNull(v) {
		d.facts(a, v, join(path, "facts"), opts.Facts)
	}
	l.inv.Assets = append(l.inv.Assets, a)
	l.assets = append(l.assets, rec)
}

var transferFields = []string{
	"id", "processor", "date", "assets", "recipient", "purpose",
	"individuals", "sensitive_individuals", "exemption", "exemption_ref", "exemption_filed",
}

var recipientFields = []string{"name", "country"}

func (l *loaded) addTransfer(d *dec, n ast.Node, path string) {
	f, ok := d.fields(n, path, transferFields)
	if !ok {
		return
	}
	t := &model.Transfer{Pos: d.startPos(n), Date: model.NoDate, ExemptionFiled: model.NoDate}
	rec := transferRec{t: t}
	rec.id = d.idRef(f, n, path, "id", true)
	rec.proc = d.idRef(f, n, path, "processor", true)
	t.ID, t.Processor = rec.id.val, rec.proc.val
	if v := f["date"]; isNull(v) {
		d.required(n, path, "date")
	} else {
		t.Date, _ = d.date(v, join(path, "date"))
	}
	if v := f["assets"]; isNull(v) {
		d.required(n, path, "assets")
	} else {
		rec.assets = d.idList(v, join(path, "assets"), true)
		for _, r := range rec.assets {
			t.Assets = append(t.Assets, r.val)
		}
	}
	if v := f["recipient"]; isNull(v) {
		d.required(n, path, "recipient")
	} else if rf, ok := d.fields(v, join(path, "recipient"), recipientFields); ok {
		rp := join(path, "recipient")
		t.Recipient.Name = d.reqText(rf, v, rp, "name")
		if c := rf["country"]; !isNull(c) {
			t.Recipient.Country, _ = d.country(c, join(rp, "country"))
		}
	}
	t.Purpose = d.optText(f, path, "purpose")
	t.Individuals = d.optCount(f, path, "individuals")
	t.SensitiveIndividuals = d.optCount(f, path, "sensitive_individuals")
	if v := f["exemption"]; !isNull(v) {
		ep := join(path, "exemption")
		if s, ok := d.text(v, ep); ok {
			switch {
			case contains(ComputedExemptions, s):
				d.errs.at(d.pos(v), ep, "%s is decided by xborder, not claimed: remove it", s)
			case !contains(ClaimedExemptions, s):
				d.errs.at(d.pos(v), ep, "want one of %s; got %q%s", strings.Join(ClaimedExemptions, ", "), s, suggest(s, ClaimedExemptions))
			default:
				t.Exemption = s
				rec.exemption = ref{val: s, pos: d.pos(v), path: ep}
			}
		}
	}
	t.ExemptionRef = d.optText(f, path, "exemption_ref")
	t.ExemptionFiled = d.optDate(f, path, "exemption_filed")
	if isNull(f["exemption"]) {
		// A reference without a claim is a half-finished edit: say so rather
		// than let the reference sit unused.
		for _, k := range []string{"exemption_ref", "exemption_filed"} {
			if v := f[k]; !isNull(v) {
				d.errs.at(d.pos(v), join(path, k), "given without exemption")
			}
		}
	}
	l.inv.Transfers = append(l.inv.Transfers, t)
	l.transfers = append(l.transfers, rec)
}

var approvalFields = []string{"id", "kind", "processor", "group", "issued", "expires", "effective", "filed", "reference", "scope"}

var scopeFields = []string{"assets", "recipients", "max_individuals"}

func (l *loaded) addApproval(d *dec, n ast.Node, path string) {
	f, ok := d.fields(n, path, approvalFields)
	if !ok {
		return
	}
	a := &model.Approval{Pos: d.startPos(n), Issued: model.NoDate, Expires: model.NoDate, Effective: model.NoDate, Filed: model.NoDate}
	rec := approvalRec{a: a}
	rec.id = d.idRef(f, n, path, "id", true)
	a.ID = rec.id.val
	if v := f["kind"]; isNull(v) {
		d.required(n, path, "kind")
	} else {
		a.Kind, _ = d.enum(v, join(path, "kind"), model.ApprovalKinds)
	}
	rec.proc = d.idRef(f, n, path, "processor", false)
	rec.group = d.idRef(f, n, path, "group", false)
	a.Processor, a.Group = rec.proc.val, rec.group.val
	switch {
	case !isNull(f["processor"]) && !isNull(f["group"]):
		d.errs.at(d.pos(f["group"]), join(path, "group"), "give processor or group, not both")
		rec.group = ref{}
	case isNull(f["processor"]) && isNull(f["group"]):
		d.errs.at(d.startPos(n), path, "processor or group required")
	}
	a.Issued = d.optDate(f, path, "issued")
	a.Expires = d.optDate(f, path, "expires")
	a.Effective = d.optDate(f, path, "effective")
	a.Filed = d.optDate(f, path, "filed")
	a.Reference = d.optText(f, path, "reference")
	switch a.Kind {
	case model.StandardContract:
		if isNull(f["effective"]) {
			d.required(n, path, "effective")
		}
	case model.SecurityAssessment, model.Certification:
		if isNull(f["issued"]) {
			d.required(n, path, "issued")
		}
		for _, k := range []string{"effective", "filed"} {
			if v := f[k]; !isNull(v) {
				d.errs.at(d.pos(v), join(path, k), "applies to a standard_contract only, not a %s", a.Kind)
			}
		}
	}
	start, startField := a.Issued, "issued"
	if a.Kind == model.StandardContract && a.Effective.Valid() {
		start, startField = a.Effective, "effective"
	}
	if a.Expires.Valid() && start.Valid() && a.Expires < start {
		d.errs.at(d.pos(f["expires"]), join(path, "expires"), "%s is before %s %s", a.Expires, startField, start)
	}
	if v := f["scope"]; !isNull(v) {
		sp := join(path, "scope")
		if sf, ok := d.fields(v, sp, scopeFields); ok {
			if sv := sf["assets"]; !isNull(sv) {
				rec.scopeAssets = d.idList(sv, join(sp, "assets"), false)
				for _, r := range rec.scopeAssets {
					a.Scope.Assets = append(a.Scope.Assets, r.val)
				}
			}
			if sv := sf["recipients"]; !isNull(sv) {
				d.list(sv, join(sp, "recipients"), func(i int, e ast.Node, ep string) {
					if s, ok := d.nonEmpty(e, ep); ok {
						a.Scope.Recipients = append(a.Scope.Recipients, s)
					}
				})
			}
			a.Scope.MaxIndividuals = d.optCount(sf, sp, "max_individuals")
		}
	}
	l.inv.Approvals = append(l.inv.Approvals, a)
	l.approvals = append(l.approvals, rec)
}

// idList reads a list of ids, refusing repeats; nonEmpty refuses [].
func (d *dec) idList(n ast.Node, path string, nonEmpty bool) []ref {
	var out []ref
	seen := map[string]bool{}
	ok := d.list(n, path, func(i int, e ast.Node, ep string) {
		v, ok := d.id(e, ep)
		if !ok {
			return
		}
		if seen[v] {
			d.errs.at(d.pos(e), ep, "%q listed twice", v)
			return
		}
		seen[v] = true
		out = append(out, ref{val: v, pos: d.pos(e), path: ep})
	})
	if ok && nonEmpty {
		if seq, isSeq := n.(*ast.SequenceNode); isSeq && len(seq.Values) == 0 {
			d.errs.at(d.pos(n), path, "must list at least one")
		}
	}
	return out
}
