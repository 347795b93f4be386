package audit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"
)

// BundleSchema names the export format: gzip-compressed JSON lines, one
// record per line: a header, the public keys, the archive records, the
// checkpoints, every entry in index order, and a trailer with the count.
const BundleSchema = "xborder.audit-bundle/v1"

type bundleLine struct {
	Bundle     string  `json:"bundle,omitempty"`
	Origin     string  `json:"origin,omitempty"`
	ExportedAt string  `json:"exported_at,omitempty"`
	Key        string  `json:"key,omitempty"`
	Archive    string  `json:"archive,omitempty"`
	Checkpoint string  `json:"checkpoint,omitempty"`
	Entry      *uint64 `json:"entry,omitempty"`
	Time       int64   `json:"time,omitempty"`
	Data       *string `json:"data,omitempty"`
	Data64     []byte  `json:"data64,omitempty"`
	Leaf       []byte  `json:"leaf,omitempty"`
	End        *uint64 `json:"end,omitempty"`
}

// WriteBundle writes everything Verify needs, from src, to w.
func WriteBundle(ctx context.Context, w io.Writer, src Source, origin string, exportedAt time.Time) (uint64, error) {
	zw := gzip.NewWriter(w)
	bw := bufio.NewWriterSize(zw, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(bundleLine{Bundle: BundleSchema, Origin: origin, ExportedAt: exportedAt.UTC().Format(time.RFC3339)}); err != nil {
		return 0, err
	}
	keys, err := src.VerifierKeys(ctx)
	if err != nil {
		return 0, fmt.Errorf("read keys: %w", err)
	}
	for _, k := range keys {
		if err := enc.Encode(bundleLine{Key: k}); err != nil {
			return 0, err
		}
	}
	arch, err := src.ArchiveRecords(ctx)
	if err != nil {
		return 0, fmt.Errorf("read archive records: %w", err)
	}
	for _, a := range arch {
		if err := enc.Encode(bundleLine{Archive: string(a)}); err != nil {
			return 0, err
		}
	}
	err = src.Checkpoints(ctx, func(n []byte) error { return enc.Encode(bundleLine{Checkpoint: string(n)}) })
	if err != nil {
		return 0, fmt.Errorf("read checkpoints: %w", err)
	}
	var count uint64
	err = src.Entries(ctx, func(e StoredEntry) error {
		idx := e.Index
		l := bundleLine{Entry: &idx, Time: e.Time}
		switch {
		case e.Data == nil:
			l.Leaf = e.Leaf
		case utf8.Valid(e.Data):
			s := string(e.Data)
			l.Data = &s
		default:
			l.Data64 = e.Data
		}
		count++
		return enc.Encode(l)
	})
	if err != nil {
		return 0, fmt.Errorf("read entries: %w", err)
	}
	if err := enc.Encode(bundleLine{End: &count}); err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	return count, zw.Close()
}

// BundleSource reads a bundle for Verify. Open is called once per pass, so a
// bundle of any size is streamed, never held in memory.
type BundleSource struct {
	Open func() (io.ReadCloser, error)
	Name string // for error messages

	loaded      bool
	origin      string
	keys        []string
	archives    [][]byte
	checkpoints [][]byte
}

// ErrBadBundle marks a bundle that is not well formed (bad input, not a
// verification failure).
var ErrBadBundle = errors.New("malformed bundle")

type bundleReader struct {
	name string
	zr   *gzip.Reader
	sc   *bufio.Scanner
	line int
	rc   io.ReadCloser
}

func (s *BundleSource) reader() (*bundleReader, error) {
	rc, err := s.Open()
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(rc)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("%w: %s: not gzip: %v", ErrBadBundle, s.Name, err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<16), 4*MaxBodyLen)
	return &bundleReader{name: s.Name, zr: zr, sc: sc, rc: rc}, nil
}

func (r *bundleReader) Close() { r.zr.Close(); r.rc.Close() }

func (r *bundleReader) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s:%d: %s", ErrBadBundle, r.name, r.line, fmt.Sprintf(format, args...))
}

// next reads one line; io.EOF at the end.
func (r *bundleReader) next() (bundleLine, error) {
	var l bundleLine
	if !r.sc.Scan() {
		if err := r.sc.Err(); err != nil {
			return l, r.errorf("%v", err)
		}
		return l, io.EOF
	}
	r.line++
	dec := json.NewDecoder(bytes.NewReader(r.sc.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return l, r.errorf("%v", err)
	}
	if dec.More() {
		return l, r.errorf("trailing data after the record")
	}
	return l, nil
}

// load reads the header, keys, archive records and checkpoints.
func (s *BundleSource) load() error {
	if s.loaded {
		return nil
	}
	r, err := s.reader()
	if err != nil {
		return err
	}
	defer r.Close()
	l, err := r.next()
	if err == io.EOF {
		return r.errorf("empty bundle")
	}
	if err != nil {
		return err
	}
	if l.Bundle != BundleSchema {
		return r.errorf("not an %s bundle", BundleSchema)
	}
	s.origin = l.Origin
	for {
		l, err := r.next()
		if err == io.EOF {
			return r.errorf("bundle truncated: no end record")
		}
		if err != nil {
			return err
		}
		switch {
		case l.Key != "":
			s.keys = append(s.keys, l.Key)
		case l.Archive != "":
			s.archives = append(s.archives, []byte(l.Archive))
		case l.Checkpoint != "":
			s.checkpoints = append(s.checkpoints, []byte(l.Checkpoint))
		case l.Entry != nil || l.End != nil:
			s.loaded = true
			return nil
		default:
			return r.errorf("unknown record")
		}
	}
}

// Origin is the origin named in the bundle header.
func (s *BundleSource) Origin(ctx context.Context) (string, error) {
	if err := s.load(); err != nil {
		return "", err
	}
	return s.origin, nil
}

// VerifierKeys implements Source.
func (s *BundleSource) VerifierKeys(ctx context.Context) ([]string, error) {
	if err := s.load(); err != nil {
		return nil, err
	}
	return s.keys, nil
}

// ArchiveRecords implements Source.
func (s *BundleSource) ArchiveRecords(ctx context.Context) ([][]byte, error) {
	if err := s.load(); err != nil {
		return nil, err
	}
	return s.archives, nil
}

// Checkpoints implements Source.
func (s *BundleSource) Checkpoints(ctx context.Context, fn func([]byte) error) error {
	if err := s.load(); err != nil {
		return err
	}
	for _, c := range s.checkpoints {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// Entries implements Source.
func (s *BundleSource) Entries(ctx context.Context, fn func(StoredEntry) error) error {
	if err := s.load(); err != nil {
		return err
	}
	r, err := s.reader()
	if err != nil {
		return err
	}
	defer r.Close()
	var count uint64
	for {
		l, err := r.next()
		if err == io.EOF {
			return r.errorf("bundle truncated: no end record")
		}
		if err != nil {
			return err
		}
		if l.End != nil {
			if *l.End != count {
				return r.errorf("end record says %d entries, bundle holds %d", *l.End, count)
			}
			if _, err := r.next(); err != io.EOF {
				return r.errorf("data after the end record")
			}
			return nil
		}
		if l.Entry == nil {
			if count > 0 {
				return r.errorf("record out of place among entries")
			}
			continue
		}
		e := StoredEntry{Index: *l.Entry, Time: l.Time}
		switch {
		case l.Data != nil && l.Data64 == nil && l.Leaf == nil:
			e.Data = []byte(*l.Data)
		case l.Data == nil && l.Data64 != nil && l.Leaf == nil:
			e.Data = l.Data64
		case l.Data == nil && l.Data64 == nil && l.Leaf != nil:
			if len(l.Leaf) != HashSize {
				return r.errorf("entry %d: leaf hash of %d bytes", e.Index, len(l.Leaf))
			}
			e.Leaf = l.Leaf
		default:
			return r.errorf("entry %d: want exactly one of data, data64, leaf", e.Index)
		}
		count++
		if err := fn(e); err != nil {
			return err
		}
	}
}
