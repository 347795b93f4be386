// Package inventory loads inventory files (SPEC §2) into model values,
// strictly: every problem (unknown key, wrong type, bad date, duplicate key or
// id, dangling reference, unknown fact or item) is reported with
// file:line:column, all of them in one pass, and nothing is guessed.
//
// The YAML is parsed to goccy/go-yaml's AST and walked by hand rather than
// decoded into structs, because only the AST keeps a position for every value
// and lets one run collect every error instead of stopping at the first.
// JSON is YAML, so HTTP bodies go through the same walk.
package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/xborder/xborder/internal/model"
)

// FactCatalog is the fact vocabulary of the loaded rule packs (SPEC §4).
// The rulepack package implements it; StaticFacts is a simple one.
type FactCatalog interface {
	// Fact returns the declared type (model.TypeInt, TypeNumber, TypeBool,
	// TypeEnum, TypeList, TypeString) and, for enum and list facts, the
	// allowed values (an empty enum for a list means any strings).
	Fact(name string) (typ string, enum []string, ok bool)
	// Derived reports whether the fact is computed by xborder and so may
	// never be declared (outbound_individuals_ytd).
	Derived(name string) bool
}

// FactNamer is optionally implemented by a FactCatalog to list its names,
// so an unknown fact gets a "did you mean" suggestion.
type FactNamer interface {
	FactNames() []string
}

// ItemCatalog says whether a data item id exists in the loaded packs.
type ItemCatalog interface {
	Item(id string) bool
}

// Options configure a load.
type Options struct {
	// Facts checks declared facts. Nil accepts any fact name except the
	// derived outbound_individuals_ytd and keeps each value with the type
	// YAML gives it (int64, float64, bool, string or []string).
	Facts FactCatalog
	// Items checks asset items. Nil skips the check.
	Items ItemCatalog
	// FTZs lists the accepted `ftz` values; nil means DefaultFTZs.
	FTZs []string
	// RejectTransfers refuses a `transfers:` list (PUT /v1/inventory: transfers
	// are recorded only by checks).
	RejectTransfers bool
	// MaxErrors caps the errors reported; 0 means DefaultMaxErrors.
	MaxErrors int
}

// DerivedYTD is the derived fact that may never be declared (SPEC §4).
const DerivedYTD = "outbound_individuals_ytd"

// DefaultFTZs are the free trade zone values of `ftz`: none, the zones named
// in SPEC §2, and Tianjin and Hainan, which have also published data export
// negative lists. The list is not closed by law: Options.FTZs extends it.
var DefaultFTZs = []string{"none", "beijing", "chongqing", "hainan", "shanghai_lingang", "tianjin"}

// ClaimedExemptions may be claimed in a transfer's `exemption` (SPEC §5).
var ClaimedExemptions = []string{
	"trade_academic_no_pi", "transit_abroad_collected", "contract_necessity",
	"hr_management", "emergency", "ftz_negative_list",
	"vulnerability_report", "incident_report", "ota_recall_source_code",
}

// ComputedExemptions are decided by xborder and may never be claimed.
var ComputedExemptions = []string{"no_pi_no_important_data", "small_volume"}

// Load reads every path (a file, or a directory searched recursively for
// *.yaml and *.yml in sorted order), checks references across all of them and
// returns the merged inventory. Errors are an xerr.List of *xerr.PosError,
// wrapped as bad input (exit 2).
func Load(paths []string, opts Options) (*model.Inventory, error) {
	errs := newErrList()
	files, err := expand(paths, errs, opts.MaxErrors)
	if err != nil {
		return nil, err
	}
	l := newLoaded()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			errs.at(model.Pos{File: f}, "", "cannot read: %v", unwrapPathErr(err))
			continue
		}
		parseInto(l, f, data, opts, errs)
	}
	l.check(opts, errs)
	if err := errs.result(opts.MaxErrors); err != nil {
		return nil, err
	}
	return l.inv, nil
}

// Parse reads one document (YAML or JSON) named name, for example an HTTP
// body, and checks its references. Asset BaseDir is the directory of name.
func Parse(name string, data []byte, opts Options) (*model.Inventory, error) {
	errs := newErrList()
	l := newLoaded()
	parseInto(l, name, data, opts, errs)
	l.check(opts, errs)
	if err := errs.result(opts.MaxErrors); err != nil {
		return nil, err
	}
	return l.inv, nil
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// expand turns the paths into the list of files to read. A directory
// contributes its *.yaml/*.yml files (any case of the extension) at any
// depth, in lexical order; a file named directly is read whatever its
// extension. The same file reached twice is read once, since loading it
// twice could only produce duplicate-id errors.
func expand(paths []string, errs *errList, maxErrors int) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(f string) {
		key := f
		if abs, err := filepath.Abs(f); err == nil {
			key = abs
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, f)
		}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errs.at(model.Pos{File: p}, "", "cannot read: %v", unwrapPathErr(err))
			continue
		}
		if !st.IsDir() {
			add(p)
			continue
		}
		var found []string
		werr := filepath.WalkDir(p, func(path string, de fs.DirEntry, err error) error {
			if err != nil {
				errs.at(model.Pos{File: path}, "", "cannot read: %v", unwrapPathErr(err))
				return nil
			}
			if de.IsDir() || !isYAMLName(path) {
				return nil
			}
			// A symlink to a file counts; symlinked directories are not
			// followed (WalkDir does not), which avoids loops. Devices and
			// pipes named *.yaml are not read: reading one could block.
			if de.Type()&fs.ModeSymlink != 0 {
				if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
					return nil
				}
			} else if !de.Type().IsRegular() {
				return nil
			}
			found = append(found, path)
			return nil
		})
		if werr != nil {
			errs.at(model.Pos{File: p}, "", "cannot read: %v", werr)
			continue
		}
		if len(found) == 0 {
			errs.at(model.Pos{File: p}, "", "no *.yaml or *.yml files in this directory")
		}
		sort.Strings(found)
		for _, f := range found {
			add(f)
		}
	}
	if !errs.empty() {
		return nil, errs.result(maxErrors)
	}
	return out, nil
}

func isYAMLName(p string) bool {
	ext := strings.ToLower(filepath.Ext(p))
	return ext == ".yaml" || ext == ".yml"
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// parseInto parses one file and appends its records to l. A large block-
// style file is parsed in chunks of list entries, which keeps the parser's
// AST (about 70 bytes of heap per byte of YAML) from holding the whole file
// at once; any error there, or any layout the splitter does not recognise,
// falls back to parsing the file whole, so errors are always those of the
// whole-file parse.
func parseInto(l *loaded, name string, data []byte, opts Options, errs *errList) {
	parseFile(l, name, data, opts, errs, len(data) >= chunkThreshold, chunkEntries)
}

// parseFile is parseInto with the chunking decision made by the caller; it
// reports whether the chunked parse was used.
func parseFile(l *loaded, name string, data []byte, opts Options, errs *errList, chunked bool, per int) bool {
	data = bytes.TrimPrefix(data, utf8BOM)
	if !utf8.Valid(data) {
		line, col := firstInvalidUTF8(data)
		errs.at(model.Pos{File: name, Line: line, Col: col}, "", "not valid UTF-8 text: save the file as UTF-8")
		return false
	}
	if chunked {
		// A refused transfers key is reported by the whole-file parse (an
		// empty transfers section has no chunk that would see it).
		if sections, ok := splitSections(data, per); ok && !(opts.RejectTransfers && slices.ContainsFunc(sections, func(s section) bool { return s.key == "transfers" })) {
			part := newLoaded()
			perrs := newErrList()
			parseChunks(part, name, data, sections, opts, perrs)
			if perrs.empty() {
				l.append(part)
				return true
			}
		}
	}
	parseWhole(l, name, data, opts, errs)
	return false
}

func parseWhole(l *loaded, name string, data []byte, opts Options, errs *errList) {
	d := &dec{file: name, errs: errs}
	data = jsonTabs(data)
	f, err := parseYAML(data)
	if err != nil {
		d.syntaxError(err)
		return
	}
	var body ast.Node
	ndocs := 0
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		switch doc.Body.(type) {
		case *ast.CommentGroupNode, *ast.DirectiveNode:
			// A %YAML directive comes out as a document of its own.
			continue
		}
		ndocs++
		if ndocs == 1 {
			body = doc.Body
			continue
		}
		// One document per file: a stray `---` in the middle of a file
		// would otherwise silently split an inventory in two.
		p := d.startPos(doc.Body)
		if doc.Start != nil {
			p = d.tokPos(doc.Start)
		}
		errs.at(p, "", "more than one YAML document in a file: put each in its own file")
		return
	}
	if isNull(body) {
		return // an empty file is a valid, empty inventory
	}
	top, ok := d.topFields(body)
	if !ok {
		return
	}
	for _, key := range topKeys {
		n, given := top[key]
		if key == "transfers" && given && opts.RejectTransfers {
			// Refused whatever its value: `transfers: ~` and
			// "transfers": null are a transfers key all the same.
			d.rejectTransfers(body, n)
			continue
		}
		if !isNull(n) {
			l.addList(d, key, n, opts)
		}
	}
}

// rejectTransfers reports a top-level transfers key where transfers are not
// accepted, at its value like any other error (an implicit null, which has
// no text of its own, at its key).
func (d *dec) rejectTransfers(body, n ast.Node) {
	p := d.pos(n)
	if isNull(n) {
		var tk *token.Token
		if n != nil {
			tk = n.GetToken()
		}
		if tk == nil || tk.Position == nil || tk.Type == token.ImplicitNullType {
			p = d.keyPos(body, "transfers", p)
		}
	}
	d.errs.at(p, "transfers", "not accepted here: transfers are recorded by checks, not uploaded")
}

// keyPos is the position of a top-level key of body, else def.
func (d *dec) keyPos(body ast.Node, key string, def model.Pos) model.Pos {
	var pairs []*ast.MappingValueNode
	switch m := body.(type) {
	case *ast.MappingNode:
		pairs = m.Values
	case *ast.MappingValueNode:
		pairs = []*ast.MappingValueNode{m}
	}
	for _, kv := range pairs {
		if kv != nil && kv.Key != nil {
			if k, ok := keyText(kv.Key); ok && k == key {
				return d.pos(kv.Key)
			}
		}
	}
	return def
}

func (d *dec) syntaxError(err error) {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		d.errs.at(d.tokPos(ye.GetToken()), "", "yaml: %s", ye.GetMessage())
	} else {
		d.errs.at(model.Pos{File: d.file}, "", "yaml: %v", err)
	}
}

// addList reads the list under one top-level key.
func (l *loaded) addList(d *dec, key string, n ast.Node, opts Options) {
	switch key {
	case "processors":
		d.listFrom(n, key, d.first, func(i int, e ast.Node, p string) { l.addProcessor(d, e, p, opts) })
	case "assets":
		d.listFrom(n, key, d.first, func(i int, e ast.Node, p string) { l.addAsset(d, e, p, opts) })
	case "transfers":
		if opts.RejectTransfers {
			d.rejectTransfers(nil, n)
			return
		}
		d.listFrom(n, key, d.first, func(i int, e ast.Node, p string) { l.addTransfer(d, e, p) })
	case "approvals":
		d.listFrom(n, key, d.first, func(i int, e ast.Node, p string) { l.addApproval(d, e, p) })
	}
}

var topKeys = []string{"processors", "assets", "transfers", "approvals"}

func (d *dec) topFields(body ast.Node) (map[string]ast.Node, bool) {
	switch body.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return d.fields(body, "", topKeys)
	}
	if !d.plain(body, "") {
		return nil, false
	}
	d.errs.at(d.pos(body), "", "want a mapping of processors, assets, transfers and approvals at the top level, got %s", describe(body))
	return nil, false
}

// parseYAML parses with duplicate keys allowed, because fields() reports
// them itself alongside every other error (the parser would stop at the
// first), and converts a parser panic into an error: input comes from HTTP
// bodies, and a bug in a dependency must not take the service down.
func parseYAML(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("the YAML parser failed on this input (%v)", r)
		}
	}()
	return parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
}

// jsonTabs makes tab-indented JSON acceptable: YAML forbids tabs as
// indentation, but valid JSON can hold raw tabs only between tokens (a tab in
// a string must be escaped), so turning them into spaces changes nothing else
// and keeps every column.
func jsonTabs(data []byte) []byte {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[') || bytes.IndexByte(data, '\t') < 0 || !json.Valid(data) {
		return data
	}
	return bytes.ReplaceAll(data, []byte{'\t'}, []byte{' '})
}

func firstInvalidUTF8(data []byte) (line, col int) {
	line, col = 1, 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		data = data[size:]
	}
	return line, col
}
