package read

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"sync"
)

// ChunkSize is the usual size of a chunk handed to a worker.
const ChunkSize = 4 << 20

// MaxRecord is the longest line the chunker keeps whole: a line running
// longer (no newline in 16 MiB) is cut there, and the chunk says so (Cut).
const MaxRecord = 16 << 20

// A quoted field may run over several lines, but not without bound: when
// the quote has not closed after MaxQuotedLines more lines or MaxQuotedBytes
// from the record's start, the quote is taken as stray. The record is then
// its first line only (malformed), and parsing resumes on the next line, so
// one bad quote costs one row, not the rest of the file.
const (
	MaxQuotedLines = 64
	MaxQuotedBytes = 64 << 10
)

// Chunk is a run of whole records.
type Chunk struct {
	Seq  int    // order in the file, from 0
	Line int    // line number (1-based) of Data's first byte
	Data []byte // complete records, newline-terminated except maybe at EOF
	// Cut is true when a line longer than MaxRecord was cut at the end of
	// this chunk (its rest starts the next chunk).
	Cut bool
	buf *[]byte
}

// Chunker cuts a stream into chunks at record boundaries: a newline outside
// double quotes when a delimiter is given (CSV: a quote opens a field only
// at the start of a field), any newline otherwise.
type Chunker struct {
	r     io.Reader
	delim byte
	line  int
	seq   int
	carry []byte
	eof   bool
	err   error
	pool  sync.Pool
	skip  int
	size  int
}

// NewChunker reads r. delim is the CSV delimiter (0: quotes are not
// special). skipLines lines at the start are dropped (a PLT header) but
// still counted, so line numbers stay those of the file.
func NewChunker(r io.Reader, delim byte, skipLines int) *Chunker {
	return NewChunkerSize(r, delim, skipLines, ChunkSize)
}

// NewChunkerSize is NewChunker with a chunk size (tests use tiny ones to
// put many record boundaries at chunk edges).
func NewChunkerSize(r io.Reader, delim byte, skipLines, size int) *Chunker {
	if size < 16 {
		size = 16
	}
	c := &Chunker{r: r, delim: delim, line: 1, skip: skipLines, size: size}
	c.pool.New = func() any { b := make([]byte, size); return &b }
	return c
}

// Line is the line number the next chunk starts at (after the last chunk:
// one past the last line read).
func (c *Chunker) Line() int { return c.line }

// Release returns a chunk's buffer for reuse.
func (c *Chunker) Release(ch *Chunk) {
	if ch.buf != nil && cap(*ch.buf) == c.size {
		c.pool.Put(ch.buf)
	}
	ch.buf, ch.Data = nil, nil
}

// Next returns the next chunk, or io.EOF. A read error ends the stream: it
// is returned after the last complete chunk, so the caller can report where
// reading stopped.
func (c *Chunker) Next() (*Chunk, error) {
	if c.eof && len(c.carry) == 0 {
		if c.err != nil {
			err := c.err
			c.err = nil
			return nil, err
		}
		return nil, io.EOF
	}
	bp := c.pool.Get().(*[]byte)
	buf := (*bp)[:cap(*bp)]
	for len(c.carry) > len(buf)/2 {
		// A long record: use a larger private buffer.
		nb := make([]byte, len(buf)*2)
		buf, bp = nb, &nb
	}
	n := copy(buf, c.carry)
	c.carry = c.carry[:0]
	for n < len(buf) && !c.eof {
		m, err := c.r.Read(buf[n:])
		n += m
		if err != nil {
			c.eof = true
			if !errors.Is(err, io.EOF) {
				c.err = err
			}
		}
	}
	data := buf[:n]
	for c.skip > 0 && len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if c.eof {
				c.line++
				data = data[:0]
				c.skip = 0
				break
			}
			// A header line longer than the buffer: keep reading.
			c.carry = append(c.carry[:0], data...)
			c.pool.Put(bp)
			return c.Next()
		}
		data = data[i+1:]
		c.line++
		c.skip--
	}
	ch := &Chunk{Seq: c.seq, Line: c.line, buf: bp}
	cut := len(data)
	if !c.eof {
		cut = c.cutPoint(data)
		if cut < 0 {
			// No record boundary at all: grow, up to the longest line kept.
			if len(data) >= c.maxRecord() {
				cut = len(data)
				ch.Cut = true
			} else {
				c.carry = append(c.carry[:0], data...)
				c.pool.Put(bp)
				return c.Next()
			}
		}
	}
	c.carry = append(c.carry[:0], data[cut:]...)
	ch.Data = data[:cut]
	c.seq++
	c.line += bytes.Count(ch.Data, []byte{'\n'})
	if len(ch.Data) == 0 {
		c.pool.Put(bp)
		return c.Next()
	}
	return ch, nil
}

func (c *Chunker) maxRecord() int {
	if c.size < ChunkSize {
		// Tests: small limits, but never below what a quoted record may
		// span, so the cut never falls inside one.
		return max(c.size*64, 2*MaxQuotedBytes)
	}
	return MaxRecord
}

// cutPoint is the index just after the last record boundary in data, or -1.
func (c *Chunker) cutPoint(data []byte) int {
	last := bytes.LastIndexByte(data, '\n')
	if last < 0 {
		return -1
	}
	if c.delim == 0 || bytes.IndexByte(data, '"') < 0 {
		return last + 1
	}
	// Walk the records from the start (chunks begin at a boundary) with the
	// rules NextRecord applies, so both agree on every boundary.
	lastOK := -1
	for pos := 0; pos < len(data); {
		end, _, st := scanRecord(data, pos, c.delim)
		if st == recOpen || end >= len(data) {
			break
		}
		lastOK = end
		pos = end + 1
	}
	if lastOK < 0 {
		return -1
	}
	return lastOK + 1
}

// Record states of scanRecord.
const (
	recOK     = iota // a whole record
	recBroken        // a quote did not close within the bounds: first line only
	recOpen          // data ended inside a quote within the bounds
)

// scanRecord finds the end of the record starting at data[pos]: the index
// of its terminating newline (len(data) when there is none), the number of
// newlines inside it, and its state. A double quote opens a quoted field
// only at the start of a field (after delim or at the record's start);
// elsewhere it is a literal character. Inside quotes "" is an escaped
// quote and any other quote closes the field.
func scanRecord(data []byte, pos int, delim byte) (end, inner, st int) {
	first := bytes.IndexByte(data[pos:], '\n')
	if first < 0 {
		first = len(data)
	} else {
		first += pos
	}
	q := bytes.IndexByte(data[pos:first], '"')
	if q < 0 {
		return first, 0, recOK
	}
	in := false
	k := pos + q
	for k < len(data) {
		c := data[k]
		if in {
			switch c {
			case '"':
				if k+1 < len(data) && data[k+1] == '"' {
					k += 2
					continue
				}
				in = false
			case '\n':
				inner++
				if inner > MaxQuotedLines || k-pos > MaxQuotedBytes {
					return first, 0, recBroken
				}
			}
			k++
			continue
		}
		switch c {
		case '"':
			if k == pos || data[k-1] == delim {
				in = true
			}
		case '\n':
			return k, inner, recOK
		}
		k++
	}
	if in {
		return len(data), inner, recOpen
	}
	return len(data), inner, recOK
}

// NextRecord returns the record starting at data[pos:] (without its line
// end), the position after it and how many line ends it consumed. With a
// delimiter (CSV), a newline inside a quoted field belongs to the record;
// ok is false when a quote opened in the record does not close within
// MaxQuotedLines lines or MaxQuotedBytes, or by the end of data: the record
// is then its first line only, and the next record starts on the next line.
// delim 0: every line is a record, quotes are not special.
func NextRecord(data []byte, pos int, delim byte) (rec []byte, next int, lines int, ok bool) {
	ok = true
	var end, inner int
	if delim == 0 {
		end = bytes.IndexByte(data[pos:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += pos
		}
	} else {
		var st int
		end, inner, st = scanRecord(data, pos, delim)
		if st != recOK {
			ok = false
			if st == recOpen {
				// At the end of the data (the file's end): the quote never
				// closed; the opening line alone is the broken record.
				end = bytes.IndexByte(data[pos:], '\n')
				if end < 0 {
					end = len(data)
				} else {
					end += pos
				}
				inner = 0
			}
		}
	}
	rec = data[pos:end]
	lines = inner
	next = end
	if end < len(data) {
		lines++
		next = end + 1
	}
	if n := len(rec); n > 0 && rec[n-1] == '\r' {
		rec = rec[:n-1]
	}
	return rec, next, lines, ok
}

const (
	swarLo   = 0x0101010101010101
	swarHi7  = 0x7f7f7f7f7f7f7f7f
	swarHigh = 0x8080808080808080
)

// zeroBytes has the high bit set in exactly the bytes of x that are zero.
func zeroBytes(x uint64) uint64 {
	t := (x & swarHi7) + swarHi7
	return ^(t | x | swarHi7)
}

// splitPlain splits an unquoted record eight bytes at a time (SWAR): the
// delimiters of a word are found with a few arithmetic operations and
// visited by their bit positions, with no branch per byte. It reports
// quoted=true (and no fields) as soon as it meets a double quote.
func splitPlain(rec []byte, delim byte, fields [][]byte) ([][]byte, bool) {
	dm := uint64(delim) * swarLo
	const qm = uint64('"') * swarLo
	start, i := 0, 0
	for ; i+8 <= len(rec); i += 8 {
		v := binary.LittleEndian.Uint64(rec[i:])
		if zeroBytes(v^qm) != 0 {
			return fields[:0], true
		}
		for d := zeroBytes(v ^ dm); d != 0; d &= d - 1 {
			j := i + bits.TrailingZeros64(d)/8
			fields = append(fields, rec[start:j])
			start = j + 1
		}
	}
	for ; i < len(rec); i++ {
		switch rec[i] {
		case delim:
			fields = append(fields, rec[start:i])
			start = i + 1
		case '"':
			return fields[:0], true
		}
	}
	return append(fields, rec[start:]), false
}

// SplitFields splits a CSV record on delim into fields (appended to
// fields[:0]). Quoted fields are unquoted into scratch, which is returned
// grown. ok is false for a stray quote inside an unquoted field or an
// unterminated quoted field (the record is still split as well as possible).
func SplitFields(rec []byte, delim byte, fields [][]byte, scratch []byte) ([][]byte, []byte, bool) {
	fields = fields[:0]
	if f, quoted := splitPlain(rec, delim, fields); !quoted {
		return f, scratch, true
	}
	fields = fields[:0]
	ok := true
	scratch = scratch[:0]
	// Fields point into scratch, which may move while growing; record the
	// offsets and slice at the end.
	type span struct{ a, b int }
	var spansArr [64]span
	spans := spansArr[:0]
	i := 0
	for {
		start := len(scratch)
		if i < len(rec) && rec[i] == '"' {
			i++
			closed := false
			for i < len(rec) {
				c := rec[i]
				if c == '"' {
					if i+1 < len(rec) && rec[i+1] == '"' {
						scratch = append(scratch, '"')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				scratch = append(scratch, c)
				i++
			}
			if !closed {
				ok = false
			}
			// Anything between the closing quote and the delimiter is kept
			// (lenient, like LazyQuotes) but makes the record malformed.
			for i < len(rec) && rec[i] != delim {
				scratch = append(scratch, rec[i])
				ok = false
				i++
			}
		} else {
			for i < len(rec) && rec[i] != delim {
				if rec[i] == '"' {
					ok = false
				}
				scratch = append(scratch, rec[i])
				i++
			}
		}
		spans = append(spans, span{start, len(scratch)})
		if i >= len(rec) {
			break
		}
		i++ // delimiter
		if i == len(rec) {
			spans = append(spans, span{len(scratch), len(scratch)})
			break
		}
	}
	for _, s := range spans {
		fields = append(fields, scratch[s.a:s.b])
	}
	return fields, scratch, ok
}
