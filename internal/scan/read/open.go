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
	Path       string
	Size       int64 // bytes on disk
	Gzip       bool
	Encoding   string
	Binary     bool   // NUL bytes or undecodable: not scanned, reported
	Head       []byte // the first decoded bytes (up to HeadSize), not consumed
	r          *bufio.Reader
	closers    []io.Closer
	diskRead   *countingReader
	invalidUTF bool
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

// Open opens path and sniffs compression and encoding.
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
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: gzip header: %w", path, err)
		}
		f.Gzip = true
		f.closers = append(f.closers, zr)
		r = zr
	}
	dec := bufio.NewReaderSize(r, HeadSize)
	head, err := dec.Peek(HeadSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
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
	case validUTF8Prefix(head, len(head) < HeadSize):
		f.Encoding = EncUTF8
		f.r = dec
	default:
		f.Encoding = EncGB18030
		f.r = bufio.NewReaderSize(transform.NewReader(dec, simplifiedchinese.GB18030.NewDecoder()), HeadSize)
	}
	h, err := f.r.Peek(HeadSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		f.Close()
		return nil, fmt.Errorf("%s: decode: %w", path, err)
	}
	f.Head = h
	return f, nil
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
func (f *File) Reader() *bufio.Reader { return f.r }

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
