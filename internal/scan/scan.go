// Package scan measures automotive personal and important data in files:
// which identifiers they hold, how many distinct vehicles and people, the
// time span, and where the coordinates fall. It streams any file size in
// bounded memory using both cores, and maps its measurements to pack facts
// (Measure) for `xborder assess`.
package scan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/xborder/xborder/internal/geo"
	"github.com/xborder/xborder/internal/scan/distinct"
)

// Place is where a point falls: InChina (mainland), Region ("CN", "HK",
// "MO", "TW" or ""), Province (GB/T 2260 two-digit code), Prefecture
// (six-digit code).
type Place = geo.Location

// Locator answers where a WGS-84 point is.
type Locator interface {
	Locate(lon, lat float64) Place
}

// Geo is what the scanner needs from the geography package.
type Geo struct {
	Locator Locator
	// ToWGS84 converts from a named system ("gcj02", "bd09") to WGS-84.
	ToWGS84 func(crs string, lon, lat float64) (float64, float64)
	// Approximate is true when prefectures are approximate (default data).
	Approximate bool
	// Description names the boundaries used, for the report.
	Description string
	// Attribution is the credit the boundary data's licences require in any
	// published result (ODbL for the built-in outline).
	Attribution string
	// direct is the geo locator itself when Locator wraps one: called
	// without the interface on the per-point path.
	direct *geo.Locator
}

// Options control a scan.
type Options struct {
	// CRS forces the coordinate system of every file ("wgs84", "gcj02",
	// "bd09"); empty: named by the file, else WGS-84 assumed (reported).
	CRS string
	// Geo locates points; nil means points are counted but not placed.
	Geo *Geo
	// Workers is the number of parsing goroutines (default GOMAXPROCS).
	Workers int
	// ExactLimit is the exact distinct-count limit (default distinct.DefaultLimit).
	ExactLimit int
	// MaxProblems is how many problems are listed per file (default 20).
	MaxProblems int
	// chunkSize overrides the chunk size (tests put many chunk edges in
	// small files).
	chunkSize int
}

// Scanner accumulates measurements over any number of files.
type Scanner struct {
	opt Options

	det      [numDet]detTotals
	vehicles *distinct.Flagged
	people   *distinct.Flagged

	mu         sync.Mutex
	files      []FileReport
	samples    [numDet][]sample
	tmin, tmax int64
	times      int64
	timeBad    int64
	assumed    bool
	geo        geoTotals
	vehKeys    map[string]int
	perKeys    map[string]int
	perInfer   bool
	fileIndex  int
	bytesDone  atomic.Int64
	curFile    atomic.Pointer[fileProgress]
	totalBytes int64
}

type fileProgress struct {
	f interface{ DiskBytesRead() int64 }
}

const (
	dVIN = iota
	dPlate
	dCNID
	dPhone
	dDevice
	numDet
)

var detNames = [numDet]string{"vin", "plate", "cn_id", "phone", "device_id"}

type detTotals struct {
	counter                    *distinct.Counter
	count, invalid, unverified int64
}

type sample struct {
	file, seq int
	text      string
}

type geoTotals struct {
	points, outside, invalid, swapped, inChina, hkmotw int64
	coastal                                            int64 // in China, in coastal waters
	provinces, prefectures                             map[string]int64
}

// NewScanner returns a scanner with the given options.
func NewScanner(opt Options) *Scanner {
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.ExactLimit <= 0 {
		opt.ExactLimit = distinct.DefaultLimit
	}
	if opt.MaxProblems <= 0 {
		opt.MaxProblems = 20
	}
	s := &Scanner{opt: opt, tmin: 1<<63 - 1, tmax: -1 << 63,
		vehicles: distinct.NewFlagged(opt.ExactLimit), people: distinct.NewFlagged(opt.ExactLimit),
		vehKeys: map[string]int{}, perKeys: map[string]int{}}
	for i := range s.det {
		s.det[i].counter = distinct.New(opt.ExactLimit)
	}
	s.geo.provinces = map[string]int64{}
	s.geo.prefectures = map[string]int64{}
	return s
}

// Progress reports bytes read so far (on disk) and the total to read.
func (s *Scanner) Progress() (done, total int64) {
	done = s.bytesDone.Load()
	if p := s.curFile.Load(); p != nil && p.f != nil {
		done += p.f.DiskBytesRead()
	}
	return done, s.totalBytes
}

// ExpandPaths turns files, directories (recursively, sorted) and globs
// into a list of regular files, each once: paths are cleaned (./a.csv is
// a.csv), and a file named twice, by different paths or through a symbolic
// link, is kept at its first mention. A path that names nothing is an
// error.
func ExpandPaths(paths []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	// Files seen, by size and modification time, for os.SameFile.
	type sizeTime struct {
		size int64
		mod  int64
	}
	infos := map[sizeTime][]os.FileInfo{}
	add := func(p string) {
		p = filepath.Clean(p)
		key := p
		if abs, err := filepath.Abs(p); err == nil {
			key = abs
		}
		if real, err := filepath.EvalSymlinks(key); err == nil {
			key = real
		}
		if seen[key] {
			return
		}
		// The same file under another name (a hard link, a bind mount).
		if st, err := os.Stat(p); err == nil {
			k := sizeTime{st.Size(), st.ModTime().UnixNano()}
			for _, o := range infos[k] {
				if os.SameFile(o, st) {
					return
				}
			}
			infos[k] = append(infos[k], st)
		}
		seen[key] = true
		out = append(out, p)
	}
	for _, p := range paths {
		matches := []string{p}
		if strings.ContainsAny(p, "*?[") {
			m, err := Glob(p)
			if err != nil {
				return nil, err
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("%s: no file matches", p)
			}
			matches = m
		}
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				return nil, err
			}
			if !st.IsDir() {
				add(m)
				continue
			}
			var inDir []string
			err = filepath.WalkDir(m, func(q string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if d.IsDir() {
					if q != m && strings.HasPrefix(d.Name(), ".") {
						return filepath.SkipDir
					}
					return nil
				}
				if d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
					inDir = append(inDir, q)
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
			sort.Strings(inDir)
			for _, q := range inDir {
				add(q)
			}
		}
	}
	return out, nil
}

// Glob matches a pattern like filepath.Glob, plus "**" for any number of
// directories (data/**/*.csv).
func Glob(pattern string) ([]string, error) {
	if !strings.Contains(pattern, "**") {
		m, err := filepath.Glob(pattern)
		if err != nil {
			return nil, fmt.Errorf("bad pattern %q: %w", pattern, err)
		}
		return m, nil
	}
	i := strings.Index(pattern, "**")
	root := filepath.Clean(pattern[:i])
	if pattern[:i] == "" {
		root = "."
	}
	rest := strings.TrimPrefix(pattern[i+2:], string(filepath.Separator))
	if _, err := filepath.Match(rest, ""); err != nil {
		return nil, fmt.Errorf("bad pattern %q: %w", pattern, err)
	}
	var out []string
	err := filepath.WalkDir(root, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			if q == root {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, q)
		// rest matches the tail of the path: try every suffix of rel.
		parts := strings.Split(rel, string(filepath.Separator))
		for k := range parts {
			if ok, _ := filepath.Match(rest, filepath.Join(parts[k:]...)); ok {
				out = append(out, q)
				break
			}
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// ScanFiles scans files in order; an unreadable file is reported as skipped
// (with its error in problems), never dropped.
func (s *Scanner) ScanFiles(ctx context.Context, files []string) error {
	for _, p := range files {
		if st, err := os.Stat(p); err == nil {
			s.totalBytes += st.Size()
		}
	}
	for _, p := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.scanFile(ctx, p); err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			return err
		}
	}
	return nil
}
