package inventory

import (
	"bytes"
	"regexp"
	"runtime"

	"github.com/goccy/go-yaml/ast"

	"github.com/xborder/xborder/internal/model"
)

// Files at least chunkThreshold bytes long are parsed chunkEntries list
// entries at a time (tests force chunking on small inputs through parseFile
// and compare it with the whole-file parse).
const (
	chunkThreshold = 1 << 20
	chunkEntries   = 1000
)

// section is one top-level key of a block-style file and the lines of its
// list, cut into chunks at entry boundaries.
type section struct {
	key     string
	keyLine int    // 1-based line of "key:"
	keyText []byte // that line, without the newline
	chunks  []chunk
}

type chunk struct {
	start, end int // byte range in the file
	line       int // 1-based line number of start
	first      int // index of the chunk's first entry in the whole list
}

var topKeyLine = regexp.MustCompile(`^([a-z]+):( *| +#.*)$`)

// splitSections recognises the common layout of a large inventory: each of
// the four top-level keys at most once, alone on its line, followed by a
// block list whose entries ("- ") all start at one indentation. Anything
// else (flow style, documents markers, directives, tabs, a duplicate key)
// returns ok=false and the file is parsed whole. A cut can only fall on a
// line that starts an entry at the list's own indentation, which no block
// scalar or nested node of the previous entry can contain (they are indented
// deeper); a multi-line quoted or flow value cut in two fails to parse and
// so also falls back.
func splitSections(data []byte, per int) ([]section, bool) {
	var out []section
	seen := map[string]bool{}
	cur := -1         // index in out of the current section
	indent := -1      // indentation of the current list's entries; -1 unknown
	entries := 0      // entries seen in the current section
	var chunkAt []int // per section: byte offsets where chunks start
	var chunkLine []int
	var chunkFirst []int
	closeSection := func(end int) {
		if cur < 0 {
			return
		}
		s := &out[cur]
		for i, st := range chunkAt {
			e := end
			if i+1 < len(chunkAt) {
				e = chunkAt[i+1]
			}
			s.chunks = append(s.chunks, chunk{start: st, end: e, line: chunkLine[i], first: chunkFirst[i]})
		}
		chunkAt, chunkLine, chunkFirst = nil, nil, nil
	}
	line := 0
	for off := 0; off < len(data); {
		line++
		nl := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if nl >= 0 {
			next = off + nl + 1
		}
		text := bytes.TrimRight(data[off:next], "\r\n")
		if bytes.IndexByte(text, '\t') >= 0 {
			return nil, false
		}
		body := bytes.TrimLeft(text, " ")
		lead := len(text) - len(body)
		switch {
		case len(body) == 0 || body[0] == '#':
			// blank or comment: stays with the current chunk
		case lead == 0 && !(cur >= 0 && indent <= 0 && isEntry(body)):
			m := topKeyLine.FindSubmatch(text)
			if m == nil || !contains(topKeys, string(m[1])) || seen[string(m[1])] {
				return nil, false
			}
			closeSection(off)
			key := string(m[1])
			seen[key] = true
			out = append(out, section{key: key, keyLine: line, keyText: text})
			cur, indent, entries = len(out)-1, -1, 0
		default:
			if cur < 0 {
				return nil, false
			}
			if indent < 0 {
				if !isEntry(body) {
					return nil, false // a flow list or a mapping: parse whole
				}
				indent = lead
			}
			if lead < indent {
				return nil, false
			}
			if lead == indent {
				if !isEntry(body) {
					return nil, false
				}
				if entries%per == 0 {
					chunkAt = append(chunkAt, off)
					chunkLine = append(chunkLine, line)
					chunkFirst = append(chunkFirst, entries)
				}
				entries++
			}
		}
		off = next
	}
	closeSection(len(data))
	return out, true
}

func isEntry(body []byte) bool {
	return len(body) > 0 && body[0] == '-' && (len(body) == 1 || body[1] == ' ')
}

// parseChunks parses each chunk as a small document "key:\n<entries>" and
// maps its positions back to the file. Kinds are read in the fixed order of
// the whole-file parse. Parsing (nearly all the cost) runs on every core, a
// few chunks ahead of the walk, which stays sequential so records and errors
// come out in file order; at most `ahead` chunk ASTs are alive at a time.
func parseChunks(l *loaded, name string, data []byte, sections []section, opts Options, errs *errList) {
	type job struct {
		key    string
		s      *section
		c      chunk
		result chan parsed
	}
	var jobs []*job
	for _, key := range topKeys {
		for i := range sections {
			if sections[i].key != key {
				continue
			}
			for _, c := range sections[i].chunks {
				jobs = append(jobs, &job{key: key, s: &sections[i], c: c, result: make(chan parsed, 1)})
			}
		}
	}
	ahead := runtime.GOMAXPROCS(0) + 1
	sem := make(chan struct{}, ahead)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for _, j := range jobs {
			select {
			case sem <- struct{}{}:
			case <-stop:
				return
			}
			go func(j *job) {
				buf := make([]byte, 0, len(j.s.keyText)+1+j.c.end-j.c.start)
				buf = append(buf, j.s.keyText...)
				buf = append(buf, '\n')
				buf = append(buf, data[j.c.start:j.c.end]...)
				f, err := parseYAML(buf)
				j.result <- parsed{f, err}
			}(j)
		}
	}()
	for _, j := range jobs {
		p := <-j.result
		<-sem
		d := &dec{file: name, errs: errs, keyLine: j.s.keyLine, lineOff: j.c.line - 2, first: j.c.first}
		if p.err != nil {
			d.syntaxError(p.err)
			return
		}
		if len(p.f.Docs) != 1 || p.f.Docs[0] == nil || p.f.Docs[0].Body == nil {
			errs.at(model.Pos{File: name, Line: j.c.line}, "", "chunk did not parse as one document")
			return
		}
		top, ok := d.topFields(p.f.Docs[0].Body)
		if !ok {
			return
		}
		if n := top[j.key]; !isNull(n) {
			l.addList(d, j.key, n, opts)
		}
		if !errs.empty() {
			return
		}
	}
}

type parsed struct {
	f   *ast.File
	err error
}
