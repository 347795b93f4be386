package rulepack

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/xborder/xborder/internal/xerr"
)

//go:embed packs/*.yaml
var embedded embed.FS

// Defaults are the packs loaded when the user names none: the 2026 Guidelines
// for identification and the 2024 Provisions for the mechanism.
var Defaults = []string{"guidelines-2026", "provisions-2024"}

// Embedded lists the ids of the packs built into the binary.
func Embedded() []string {
	ents, _ := fs.ReadDir(embedded, "packs")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// source is a pack file as read, kept for error positions.
type source struct {
	name string // file name shown in errors
	data []byte
	file *ast.File
	pack *Pack
}

// posAt finds the position of a YAML path like "$.criteria[3].expr" in the
// source, falling back to the file alone when the path does not resolve.
func (s *source) posAt(p string) (int, int) {
	if s.file == nil {
		return 0, 0
	}
	yp, err := yaml.PathString(p)
	if err != nil {
		return 0, 0
	}
	n, err := yp.FilterFile(s.file)
	if err != nil || n == nil || n.GetToken() == nil {
		return 0, 0
	}
	tk := n.GetToken()
	return tk.Position.Line, tk.Position.Column
}

func (s *source) errAt(p string, format string, args ...any) error {
	line, col := s.posAt(p)
	return &xerr.PosError{File: s.name, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// readSource reads an embedded pack id or a file path.
func readSource(spec string) (*source, error) {
	if !strings.ContainsAny(spec, "/\\.") {
		b, err := embedded.ReadFile(path.Join("packs", spec+".yaml"))
		if err != nil {
			return nil, xerr.BadInputf("unknown pack %q: not a file and not a built-in pack (built in: %s)", spec, strings.Join(Embedded(), ", "))
		}
		return &source{name: "builtin:" + spec, data: b}, nil
	}
	f, err := os.Open(spec)
	if err != nil {
		return nil, xerr.BadInput(fmt.Errorf("read pack: %w", err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxPackBytes+1))
	if err != nil {
		return nil, xerr.BadInput(fmt.Errorf("read pack: %w", err))
	}
	if len(b) > MaxPackBytes {
		return nil, xerr.BadInputf("%s: a pack file may hold at most %d KiB (the bundled editions hold under 25 KiB); this one is larger", spec, MaxPackBytes>>10)
	}
	return &source{name: spec, data: b}, nil
}

// MaxPackBytes bounds a pack file: the YAML parser's time grows faster
// than the file on hostile input (thousands of anchors and aliases), and
// ten times the largest bundled edition is room enough for any patch.
const MaxPackBytes = 256 << 10

// Parse decodes one pack document strictly: unknown keys, wrong types,
// duplicate keys and numbers not written as plain decimals (see
// checkNumbers) are errors with file:line:column.
func Parse(name string, data []byte) (*Pack, error) {
	if len(data) > MaxPackBytes {
		return nil, xerr.BadInputf("%s: a pack file may hold at most %d KiB; this one holds %d", name, MaxPackBytes>>10, len(data))
	}
	s := &source{name: name, data: data}
	if err := s.parse(); err != nil {
		return nil, err
	}
	return s.pack, nil
}

func (s *source) parse() (err error) {
	// The YAML library has panicked on some malformed input (an empty `!`
	// tag); a pack is user input, so turn any such fault into an error.
	defer func() {
		if p := recover(); p != nil {
			err = &xerr.PosError{File: s.name, Msg: fmt.Sprintf("cannot parse this YAML (parser fault: %v)", p)}
		}
	}()
	f, err := parser.ParseBytes(s.data, 0)
	if err != nil {
		return yamlErr(s.name, err)
	}
	s.file = f
	if len(f.Docs) > 1 {
		return &xerr.PosError{File: s.name, Line: 1, Col: 1, Msg: "a pack file holds one YAML document"}
	}
	// Before decoding: the decoder turns 0100000 into 32768 without a word.
	if errs := s.checkNumbers(); len(errs) > 0 {
		return errs
	}
	var p Pack
	if err := yaml.UnmarshalWithOptions(s.data, &p, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		return yamlErr(s.name, err)
	}
	if p.ID == "" {
		return &xerr.PosError{File: s.name, Line: 1, Col: 1, Msg: "missing `pack:` (the pack id)"}
	}
	s.pack = &p
	if errs := s.dropEmpty(); len(errs) > 0 {
		return errs
	}
	return nil
}

// dropEmpty reports list entries written empty (`- ` or `~`), which decode
// to nil and would otherwise be dereferenced later.
func (s *source) dropEmpty() xerr.List {
	var errs xerr.List
	p := s.pack
	empty := func(path string) {
		errs = append(errs, s.errAt(path, "%s: an empty entry", strings.TrimPrefix(path, "$.")))
	}
	for i, f := range p.Facts {
		if f == nil {
			empty(fmt.Sprintf("$.facts[%d]", i))
		}
	}
	for i, sc := range p.Scenarios {
		if sc == nil {
			empty(fmt.Sprintf("$.scenarios[%d]", i))
			continue
		}
		for j, ss := range sc.Subscenarios {
			if ss == nil {
				empty(fmt.Sprintf("$.scenarios[%d].subscenarios[%d]", i, j))
			}
		}
	}
	for i, c := range p.Criteria {
		if c == nil {
			empty(fmt.Sprintf("$.criteria[%d]", i))
			continue
		}
		for j, t := range c.Thresholds {
			if t == nil {
				empty(fmt.Sprintf("$.criteria[%d].thresholds[%d]", i, j))
			}
		}
	}
	for i, it := range p.Items {
		if it == nil {
			empty(fmt.Sprintf("$.items[%d]", i))
		}
	}
	for i, e := range p.Exemptions {
		if e == nil {
			empty(fmt.Sprintf("$.exemptions[%d]", i))
		}
	}
	for i, a := range p.Attach {
		if a == nil {
			empty(fmt.Sprintf("$.attach[%d]", i))
		}
	}
	if p.Mechanism != nil {
		for i, r := range p.Mechanism.Rules {
			if r == nil {
				empty(fmt.Sprintf("$.mechanism.rules[%d]", i))
			}
		}
	}
	return errs
}

// yamlErr converts a go-yaml error into a positioned error.
func yamlErr(name string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		tk := ye.GetToken()
		return &xerr.PosError{File: name, Line: tk.Position.Line, Col: tk.Position.Column, Msg: plainYAMLMessage(ye.GetMessage())}
	}
	return &xerr.PosError{File: name, Msg: plainYAMLMessage(err.Error())}
}

var unmarshalMsg = regexp.MustCompile(`cannot unmarshal (\S+) into Go struct field (?:\S+) of type (\S+)`)

// plainYAMLMessage rewords the decoder's Go-type messages for pack authors:
// "cannot unmarshal string into Go struct field Pack.InForce of type bool"
// becomes "want true or false, got a string".
func plainYAMLMessage(msg string) string {
	m := unmarshalMsg.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	want := map[string]string{"bool": "true or false", "string": "a string", "float64": "a number", "int": "an integer", "int64": "an integer"}[strings.TrimPrefix(m[2], "*")]
	if want == "" {
		switch {
		case strings.HasPrefix(m[2], "[]"):
			want = "a list"
		case strings.HasPrefix(m[2], "map"), strings.Contains(m[2], "."):
			want = "a mapping"
		default:
			want = m[2]
		}
	}
	return "want " + want + ", got " + m[1]
}

// Load reads the named packs (built-in ids or file paths) and builds a Set
// ready for decisions. Editions of a family already loaded replace it;
// patches apply in order.
func Load(specs []string, lim Limits) (*Set, error) { return load(specs, lim, true) }

// LoadForBrowsing loads packs to read or compare them (`rules diff`), without
// requiring the mechanism parameters a decision needs.
func LoadForBrowsing(specs []string, lim Limits) (*Set, error) { return load(specs, lim, false) }

func load(specs []string, lim Limits, needMechanism bool) (*Set, error) {
	var srcs []*source
	for _, spec := range specs {
		s, err := readSource(spec)
		if err != nil {
			return nil, err
		}
		if err := s.parse(); err != nil {
			return nil, xerr.BadInput(err)
		}
		srcs = append(srcs, s)
	}
	set, err := buildSet(srcs, lim, needMechanism)
	if err != nil {
		return nil, xerr.BadInput(err)
	}
	return set, nil
}

// LoadWithDefaults loads the default packs and then the extra ones: an extra
// edition replaces the default of its family, a patch extends.
func LoadWithDefaults(extra []string, lim Limits) (*Set, error) {
	return Load(append(append([]string{}, Defaults...), extra...), lim)
}
