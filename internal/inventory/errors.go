package inventory

import (
	"fmt"
	"sort"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/xerr"
)

// DefaultMaxErrors caps how many errors one load reports: enough to fix a
// file in one pass, few enough to read.
const DefaultMaxErrors = 50

// errList collects positioned errors from every file of one load. Each error
// remembers the load order of its file so the final list reads file by file
// in the order the user gave (directories already walked in sorted order).
type errList struct {
	errs  []posErr
	files map[string]int
}

type posErr struct {
	order int
	err   *xerr.PosError
}

func newErrList() *errList { return &errList{files: map[string]int{}} }

func (l *errList) fileOrder(file string) int {
	if o, ok := l.files[file]; ok {
		return o
	}
	o := len(l.files)
	l.files[file] = o
	return o
}

// at records msg at p. path is the YAML path of the offending value
// ("transfers[2].individuals"); it prefixes the message so the reader knows
// which field is meant even in a long flow-style line.
func (l *errList) at(p model.Pos, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	l.errs = append(l.errs, posErr{
		order: l.fileOrder(p.File),
		err:   &xerr.PosError{File: p.File, Line: p.Line, Col: p.Col, Msg: msg},
	})
}

func (l *errList) empty() bool { return len(l.errs) == 0 }

// result sorts the errors by file (load order), line and column, caps them at
// max and wraps them so the CLI exits 2.
func (l *errList) result(max int) error {
	if len(l.errs) == 0 {
		return nil
	}
	if max <= 0 {
		max = DefaultMaxErrors
	}
	sort.SliceStable(l.errs, func(i, j int) bool {
		a, b := l.errs[i], l.errs[j]
		if a.order != b.order {
			return a.order < b.order
		}
		if a.err.Line != b.err.Line {
			return a.err.Line < b.err.Line
		}
		return a.err.Col < b.err.Col
	})
	n := len(l.errs)
	out := make(xerr.List, 0, min(n, max)+1)
	for i := 0; i < n && i < max; i++ {
		out = append(out, l.errs[i].err)
	}
	if n > max {
		out = append(out, &xerr.PosError{Msg: fmt.Sprintf("%d more errors not shown", n-max)})
	}
	return xerr.BadInput(out)
}
