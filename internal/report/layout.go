package report

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Width is the terminal width the table is laid out for, in display columns.
const Width = 100

// glue joins words that wrap together when they fit (a criterion and its
// "(inferred)" marker); it prints as a space.
const glue = '\u00a0'

// DisplayWidth is the number of terminal columns s takes: East Asian Wide and
// Fullwidth characters (Chinese, Japanese, Korean) take 2, combining marks
// and format characters 0, everything else 1.
func DisplayWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	switch {
	case r == glue:
		return 1
	case r < 0x20 || r == 0x7f:
		return 0
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// breakAfter are the characters after which a word too long for its line
// is preferably broken (ids and dotted item names break at their parts).
const breakAfter = "_-./,:;"

// Glue joins words that should wrap together ("[new in 2026]"); it prints
// as a space.
const Glue = string(glue)

// WrapLines is wrapLines for other packages' plain-text layouts (xborder
// rules list): a first line of at most first display columns, further lines
// of at most rest, words broken only when wider than a line, nothing dropped.
func WrapLines(s string, first, rest int) []string { return wrapLines(s, first, rest) }

// wrapText word-wraps s into lines of at most w display columns.
func wrapText(s string, w int) []string { return wrapLines(s, w, w) }

// wrapLines word-wraps s into a first line of at most first display columns
// and further lines of at most rest. Words are kept whole when they fit on a
// line; a glued group that does not fit is split at its glue; a word wider
// than a line is broken after one of breakAfter when that fills at least a
// third of the line, else at the line's width. Nothing is dropped.
func wrapLines(s string, first, rest int) []string {
	first, rest = max(first, 1), max(rest, 1)
	var lines []string
	var line strings.Builder
	n := 0
	limit := func() int {
		if len(lines) == 0 {
			return first
		}
		return rest
	}
	flush := func() {
		lines = append(lines, strings.ReplaceAll(line.String(), string(glue), " "))
		line.Reset()
		n = 0
	}
	var place func(word string)
	place = func(word string) {
		ww := DisplayWidth(word)
		if n > 0 && n+1+ww <= limit() {
			line.WriteByte(' ')
			line.WriteString(word)
			n += 1 + ww
			return
		}
		next := limit() // the width of the line the word would start
		if n > 0 {
			next = rest
		}
		if ww <= next {
			if n > 0 {
				flush()
			}
			line.WriteString(word)
			n = ww
			return
		}
		if strings.ContainsRune(word, glue) {
			for _, part := range strings.Split(word, string(glue)) {
				if part != "" {
					place(part)
				}
			}
			return
		}
		// Too wide for any line: break it, each piece on a line of its own.
		if n > 0 {
			flush()
		}
		for word != "" {
			piece := cut(word, limit())
			line.WriteString(piece)
			n = DisplayWidth(piece)
			word = word[len(piece):]
			if word != "" {
				flush()
			}
		}
	}
	// Words are split at spaces other than the glue (strings.Fields would
	// split at U+00A0 too, undoing every glued group).
	for _, word := range strings.FieldsFunc(s, func(r rune) bool { return r != glue && unicode.IsSpace(r) }) {
		place(word)
	}
	if n > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// cut returns the longest prefix of word that fits in w columns, ending after
// one of breakAfter when that keeps at least a third of w (at least one rune).
func cut(word string, w int) string {
	cols, end, brk := 0, 0, 0
	for i, r := range word {
		rw := runeWidth(r)
		if cols+rw > w && i > 0 {
			break
		}
		cols += rw
		end = i + utf8.RuneLen(r)
		if strings.ContainsRune(breakAfter, r) && cols*3 >= w {
			brk = end
		}
	}
	if end < len(word) && brk > 0 {
		return word[:brk]
	}
	return word[:end]
}

// column is one column of a table.
type column struct {
	head string
	// max caps the column's width (the last column takes the rest of the
	// line); min is how far it may shrink when the last column would be
	// narrower than lastMin. A column shorter than its widest cell wraps.
	max, min int
	// whole columns do not shrink below their longest word (exemption ids).
	whole bool
	right bool
}

// lastMin is the narrowest the last column of a table may get.
const lastMin = 16

// table writes rows under a header, each column as wide as its widest cell
// within its bounds, one space between columns; cells that do not fit wrap
// onto continuation lines of the same row, so no cell is ever cut.
func table(b *strings.Builder, cols []column, rows [][]string) {
	ws := make([]int, len(cols))
	used := len(cols) - 1 // the spaces between columns
	for i, c := range cols[:len(cols)-1] {
		ws[i] = fitWidth(c.head, rows, i, c.max)
		used += ws[i]
	}
	floor := make([]int, len(cols))
	for i, c := range cols[:len(cols)-1] {
		floor[i] = max(c.min, DisplayWidth(c.head))
		if c.whole {
			for _, r := range rows {
				for _, word := range strings.Fields(r[i]) {
					floor[i] = max(floor[i], min(DisplayWidth(word), c.max))
				}
			}
		}
	}
	for used > Width-lastMin {
		// Shrink the widest column that may still shrink.
		j := -1
		for i := range cols[:len(cols)-1] {
			if ws[i] > floor[i] && (j < 0 || ws[i] > ws[j]) {
				j = i
			}
		}
		if j < 0 {
			break
		}
		ws[j]--
		used--
	}
	ws[len(cols)-1] = Width - used
	heads := make([]string, len(cols))
	for i, c := range cols {
		heads[i] = c.head
	}
	writeRow(b, cols, ws, heads)
	for _, r := range rows {
		writeRow(b, cols, ws, r)
	}
}

// fitWidth is the width column i needs: its widest cell, or, when that is
// over max, the widest line of its cells wrapped at max.
func fitWidth(head string, rows [][]string, i, limit int) int {
	w := DisplayWidth(head)
	for _, r := range rows {
		cw := DisplayWidth(r[i])
		if cw > limit {
			cw = 0
			for _, l := range wrapText(r[i], limit) {
				cw = max(cw, DisplayWidth(l))
			}
		}
		w = max(w, cw)
	}
	return min(w, limit)
}

func writeRow(b *strings.Builder, cols []column, ws []int, cells []string) {
	wrapped := make([][]string, len(cells))
	height := 0
	for i, c := range cells {
		wrapped[i] = wrapText(c, ws[i])
		height = max(height, len(wrapped[i]))
	}
	for l := range height {
		var line strings.Builder
		for i := range cells {
			s := ""
			if l < len(wrapped[i]) {
				s = wrapped[i][l]
			}
			pad := strings.Repeat(" ", max(0, ws[i]-DisplayWidth(s)))
			if i > 0 {
				line.WriteByte(' ')
			}
			if cols[i].right {
				line.WriteString(pad + s)
			} else {
				line.WriteString(s + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
}

func wrap(b *strings.Builder, s, indent string) { wrapWith(b, "", s, indent) }

// WrapWith is wrapWith for other packages' plain-text layouts (xborder
// rules list).
func WrapWith(b *strings.Builder, head, s, indent string) { wrapWith(b, head, s, indent) }

// wrapWith writes head then s word-wrapped at Width, continuing lines with
// indent; words wider than a line are broken, never cut.
func wrapWith(b *strings.Builder, head, s, indent string) {
	for i, l := range wrapLines(s, Width-DisplayWidth(head), Width-DisplayWidth(indent)) {
		if i == 0 {
			b.WriteString(head)
		} else {
			b.WriteString(indent)
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
}
