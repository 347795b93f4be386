// Package read turns a data file into a stream of UTF-8 bytes cut at record
// boundaries: gzip is undone, the encoding sniffed (BOM, strict UTF-8, else
// GB18030) and decoded, the format and CSV dialect sniffed from the head,
// and the rest handed out in large chunks that never split a record, each
// with the line number it starts at.
package read

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Encodings reported per file (SPEC §6).
const (
	EncUTF8    = "utf-8"
	EncUTF8BOM = "utf-8-bom"
	EncGB18030 = "gb18030"
)

// HeadSize is how much of the decoded stream is sniffed.
const HeadSize = 256 << 10

// File is an opened data file: its decoded UTF-8 stream and what was
// sniffed about it.
type File struct {
	Path     string
	Size     int64 // bytes on disk
	Gzip     bool
	Encoding string
	Binary   bool   // NUL bytes or undecodable: not scanned, reported
	Head     []byte // the first decoded bytes (up to HeadSize), not consumed
	// HeadComplete: Head holds the whole stream (it ended within HeadSize).
	HeadComplete bool
	// Err is set when the stream is broken (a corrupt or truncated gzip):
	// everything before the break is readable, and reading the stream
	// returns this error there (it names the offset).
	Err      error
	r        io.Reader
	closers  []io.Closer
	diskRead *countingReader
	sw       *switchReader
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// DiskBytesRead is how many bytes of the file on disk have been read so
// far (for progress: compressed bytes for a gzip file).
func (f *File) DiskBytesRead() int64 { return f.diskRead.n.Load() }

// gzipReader counts the content bytes it delivers and says where a broken
// stream broke.
type gzipReader struct {
	z    io.Reader
	n    int64
	disk *countingReader
	size int64
}

func (g *gzipReader) Read(p []byte) (int, error) {
	n, err := g.z.Read(p)
	g.n += int64(n)
	if err != nil && err != io.EOF {
		what := "corrupt"
		if errors.Is(err, io.ErrUnexpectedEOF) {
			what = "truncated"
		}
		err = &StreamError{Offset: g.n, What: "gzip data " + what, Detail: fmt.Sprintf("%d of %d compressed bytes read", g.disk.n.Load(), g.size), Err: err}
	}
	return n, err
}

// StreamError is a compressed stream that broke at a content offset.
type StreamError struct {
	Offset int64 // decompressed bytes read before the break
	What   string
	Detail string
	Err    error
}

func (e *StreamError) Error() string {
	return fmt.Sprintf("%s at byte %d of the decompressed content (%s): %v", e.What, e.Offset, e.Detail, e.Err)
}

func (e *StreamError) Unwrap() error { return e.Err }

// errReader is a stream that fails at once.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Open opens path and sniffs compression and encoding. A corrupt or
// truncated gzip is not an error: the File holds what was readable, and
// Err says where the stream broke.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	if st.IsDir() {
		fh.Close()
		return nil, fmt.Errorf("%s is a directory", path)
	}
	f := &File{Path: path, Size: st.Size(), closers: []io.Closer{fh}}
	f.diskRead = &countingReader{r: fh}
	var r io.Reader = bufio.NewReaderSize(f.diskRead, 1<<20)
	br := r.(*bufio.Reader)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		f.Gzip = true
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Err = &StreamError{Offset: 0, What: "gzip header corrupt", Detail: "nothing could be decompressed", Err: err}
			f.Encoding = "unknown"
			f.HeadComplete = true
			f.r = errReader{f.Err}
			return f, nil
		}
		f.closers = append(f.closers, zr)
		r = &gzipReader{z: zr, disk: f.diskRead, size: st.Size()}
	}
	dec := bufio.NewReaderSize(r, HeadSize)
	head, err := dec.Peek(HeadSize)
	switch {
	case err == nil || err == bufio.ErrBufferFull:
	case err == io.EOF:
		f.HeadComplete = true
	default:
		var se *StreamError
		if !errors.As(err, &se) {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		// The stream broke within the head: what came before is read.
		f.Err = err
		f.HeadComplete = true
	}
	// A rune cut by the end of the head is not invalid unless the stream
	// really ended there.
	ended := err == io.EOF
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		f.Encoding = EncUTF8BOM
		dec.Discard(3)
		f.r = dec
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		// UTF-16 is rare in exports; say it is not scanned rather than guess.
		f.Binary = true
		f.Encoding = "utf-16"
		f.r = dec
	case bytes.IndexByte(head, 0) >= 0:
		f.Binary = true
		f.Encoding = EncUTF8
		f.r = dec
	case validUTF8Prefix(head, ended):
		f.Encoding = EncUTF8
		f.r = dec
		if !f.HeadComplete && isASCII(head) {
			// Nothing in the head tells UTF-8 from GB18030 (ASCII is the
			// same in both): the first non-ASCII byte after it decides.
			f.sw = &switchReader{src: dec}
			f.r = f.sw
		}
	default:
		f.Encoding = EncGB18030
		f.r = bufio.NewReaderSize(transform.NewReader(dec, simplifiedchinese.GB18030.NewDecoder()), HeadSize)
	}
	if f.sw != nil {
		f.Head = head
		return f, nil
	}
	h, err := f.r.(*bufio.Reader).Peek(HeadSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		var se *StreamError
		if !errors.As(err, &se) {
			f.Close()
			return nil, fmt.Errorf("%s: decode: %w", path, err)
		}
		f.Err = err
		f.HeadComplete = true
	}
	f.Head = h
	if f.Err != nil && len(h) == 0 {
		f.Encoding = "unknown" // nothing was decompressed to tell
	}
	return f, nil
}

// Switched reports whether the stream, ASCII throughout its head, turned
// out to be GB18030 further on and was decoded as such from there (the
// same as decoding all of it as GB18030, since ASCII is common to both),
// with the byte offset and line where the first GB18030 character is. Only
// meaningful once the stream has been read.
func (f *File) Switched() (ok bool, offset, line int64) {
	if f.sw == nil || !f.sw.gb {
		return false, 0, 0
	}
	return true, f.sw.off, f.sw.lines + 1
}

func isASCII(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&swarHigh != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// firstNonASCII is the index of the first byte >= 0x80, or -1.
func firstNonASCII(b []byte) int {
	i := 0
	for ; i+32 <= len(b); i += 32 {
		x := binary.LittleEndian.Uint64(b[i:]) | binary.LittleEndian.Uint64(b[i+8:]) |
			binary.LittleEndian.Uint64(b[i+16:]) | binary.LittleEndian.Uint64(b[i+24:])
		if x&swarHigh != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if b[i] >= 0x80 {
			return i
		}
	}
	return -1
}

// switchReader passes an ASCII stream through until its first non-ASCII
// byte, then decides once: UTF-8 if the bytes from there are UTF-8,
// GB18030 if they are not but are well-formed GB18030 (then the rest is
// decoded), else UTF-8 (the scanner reports the invalid bytes).
type switchReader struct {
	src   *bufio.Reader
	out   io.Reader // nil while undecided
	gb    bool
	off   int64 // ASCII bytes passed before the decision
	lines int64 // newlines among them
}

// switchWindow is how much is looked at to decide.
const switchWindow = 64 << 10

func (s *switchReader) Read(p []byte) (int, error) {
	if s.out != nil {
		return s.out.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if s.src.Buffered() == 0 {
		if _, err := s.src.Peek(1); err != nil {
			return s.src.Read(p)
		}
	}
	b, _ := s.src.Peek(min(s.src.Buffered(), len(p)))
	i := firstNonASCII(b)
	if i != 0 {
		if i > 0 {
			b = b[:i]
		}
		n := copy(p, b)
		s.src.Discard(n)
		s.off += int64(n)
		s.lines += int64(bytes.Count(b[:n], []byte{'\n'}))
		return n, nil
	}
	win, err := s.src.Peek(switchWindow)
	ended := err != nil
	s.out = s.src
	if !validUTF8Prefix(win, ended) && gb18030Invalid(win, ended) == 0 {
		s.gb = true
		s.out = transform.NewReader(s.src, simplifiedchinese.GB18030.NewDecoder())
	}
	return s.out.Read(p)
}

// gb18030Invalid counts the ill-formed sequences of GB18030 in b (one-byte
// ASCII, two-byte 81-FE 40-7E/80-FE, four-byte 81-FE 30-39 81-FE 30-39). A
// sequence cut by the end of b counts only when complete is true.
func gb18030Invalid(b []byte, complete bool) int {
	bad := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			i++
			continue
		}
		if c == 0x80 || c == 0xFF {
			bad++
			i++
			continue
		}
		if i+1 >= len(b) {
			if complete {
				bad++
			}
			break
		}
		c2 := b[i+1]
		if (c2 >= 0x40 && c2 <= 0x7E) || (c2 >= 0x80 && c2 <= 0xFE) {
			i += 2
			continue
		}
		if c2 >= 0x30 && c2 <= 0x39 {
			if i+3 >= len(b) {
				if complete {
					bad++
				}
				break
			}
			if c3, c4 := b[i+2], b[i+3]; c3 >= 0x81 && c3 <= 0xFE && c4 >= 0x30 && c4 <= 0x39 {
				i += 4
				continue
			}
		}
		bad++
		i++
	}
	return bad
}

// validUTF8Prefix is utf8.Valid, except that a rune cut by the end of the
// sniffed head (when the stream goes on) does not count as invalid.
func validUTF8Prefix(b []byte, complete bool) bool {
	if utf8.Valid(b) {
		return true
	}
	if complete {
		return false
	}
	for cut := 1; cut <= 3 && cut < len(b); cut++ {
		if utf8.Valid(b[:len(b)-cut]) {
			return true
		}
	}
	return false
}

// Reader is the decoded stream (UTF-8, BOM removed), starting at the head.
func (f *File) Reader() io.Reader { return f.r }

// Close closes the file.
func (f *File) Close() error {
	var first error
	for i := len(f.closers) - 1; i >= 0; i-- {
		if err := f.closers[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	f.closers = nil
	return first
}
