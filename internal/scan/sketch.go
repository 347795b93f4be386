package scan

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"sort"
	"strings"

	"github.com/zeebo/xxh3"

	"github.com/xborder/xborder/internal/scan/distinct"
)

// SketchSchema tags a sketch file: everything needed to merge the scans of
// several shards (files or machines) into one report, with distinct counts
// kept as keyed hash sets or HyperLogLog sketches, never as values. v2:
// keyed hashes (key_id), file fingerprints, the boundaries' identity,
// credit and notes, coastal counts. v3: files' possible_coordinates (and
// the possible coordinates found since: values out of range in coordinate
// columns), without which contains_coordinates merges as false where a
// scan leaves it undetermined; older sketches are refused.
const SketchSchema = "xborder.scan-sketch/v3"

// Sketch is the mergeable state of a scan.
type Sketch struct {
	Schema string `json:"schema"`
	Hash   string `json:"hash"`
	// KeyID names the key the hashes were made under (a hash of the key,
	// not the key); only sketches of one key merge.
	KeyID      string            `json:"key_id"`
	ExactLimit int               `json:"exact_limit"`
	Files      []FileReport      `json:"files"`
	Detectors  [numDet]sketchDet `json:"detectors"`
	Time       sketchTime        `json:"time"`
	Geo        sketchGeo         `json:"geo"`
	Vehicles   []byte            `json:"vehicles"`
	People     []byte            `json:"people"`
	VehKeys    map[string]int    `json:"vehicle_keys"`
	PerKeys    map[string]int    `json:"person_keys"`
	PerInfer   bool              `json:"person_inferred"`
	// Source names where the sketch was read from, for messages; the
	// caller sets it, it is not stored.
	Source string `json:"-"`
}

type sketchDet struct {
	Name       string   `json:"name"`
	Count      int64    `json:"count"`
	Invalid    int64    `json:"invalid"`
	Unverified int64    `json:"unverified"`
	Samples    []string `json:"samples"`
	Distinct   []byte   `json:"distinct"`
}

type sketchTime struct {
	Min, Max       int64
	Count, Invalid int64
	Assumed        bool
}

type sketchGeo struct {
	Points, Outside, Invalid, Swapped, InChina, HKMOTW, Coastal int64
	Provinces, Prefectures                                      map[string]int64
	Located, Approximate                                        bool
	Description                                                 string
	// Boundaries identifies the boundaries (geo.Locator.ID): sketches
	// placed with different ones are not merged.
	Boundaries  string
	Attribution string
	Notes       []string
}

// ErrNoSketchKey is returned when a sketch would be written with hashes made
// under the per-run random key.
var ErrNoSketchKey = errors.New("a sketch needs a sketch key (--sketch-key-file FILE or XBORDER_SKETCH_KEY): " +
	"its hashes of phone and ID numbers must not be reversible by hashing every candidate, " +
	"and shards merge only when scanned with the same key; make one with `xborder sketch keygen -o FILE` and keep it secret")

// Sketch captures the scanner's state for later merging. It needs the
// hashes to have been made under a user's key (distinct.SetKey), and reads
// every scanned file again for its fingerprint.
func (s *Scanner) Sketch() (*Sketch, error) {
	keyID := s.vehicles.KeyID()
	if distinct.KeyIsEphemeral(keyID) {
		return nil, ErrNoSketchKey
	}
	r := s.Report() // sorted samples
	s.mu.Lock()
	files := append([]FileReport(nil), s.files...)
	s.mu.Unlock()
	sort.SliceStable(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	for i := range files {
		f := &files[i]
		if f.Fingerprint != "" || f.Status == StatusSkipped {
			continue
		}
		fp, err := fingerprint(f.Path)
		if err != nil {
			return nil, fmt.Errorf("fingerprint %s: %w", f.Path, err)
		}
		f.Fingerprint = fp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := &Sketch{Schema: SketchSchema, Hash: distinct.HashName, KeyID: keyID, ExactLimit: s.opt.ExactLimit, Files: files,
		VehKeys: s.vehKeys, PerKeys: s.perKeys, PerInfer: s.perInfer}
	dets := r.Detectors.list()
	for d := range s.det {
		b, err := s.det[d].counter.MarshalBinary()
		if err != nil {
			return nil, err
		}
		k.Detectors[d] = sketchDet{Name: detNames[d], Count: s.det[d].count, Invalid: s.det[d].invalid,
			Unverified: s.det[d].unverified, Samples: dets[d].r.Samples, Distinct: b}
	}
	k.Time = sketchTime{Min: s.tmin, Max: s.tmax, Count: s.times, Invalid: s.timeBad, Assumed: s.assumed}
	g := s.geo
	provinces := maps.Clone(g.provinces)
	if provinces == nil {
		provinces = map[string]int64{}
	}
	k.Geo = sketchGeo{Points: g.points, Outside: g.outside, Invalid: g.invalid, Swapped: g.swapped, InChina: g.inChina,
		HKMOTW: g.hkmotw, Coastal: g.coastal, Provinces: provinces, Prefectures: g.prefectures,
		Located: r.Geo.Located, Approximate: r.Geo.PrefecturesApproximate, Description: r.Geo.Boundaries,
		Boundaries: geoID(s.opt.Geo), Notes: geoNotes(s.opt.Geo)}
	if s.opt.Geo != nil {
		k.Geo.Attribution = s.opt.Geo.Attribution
	}
	var err error
	if k.Vehicles, err = s.vehicles.MarshalBinary(); err != nil {
		return nil, err
	}
	if k.People, err = s.people.MarshalBinary(); err != nil {
		return nil, err
	}
	return k, nil
}

// fingerprint is a keyed hash of a file's bytes (xxh3-128, each half keyed
// with SipHash): equal files have equal fingerprints under one key, and
// without the key a fingerprint cannot confirm a guess of a small file's
// content.
func fingerprint(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := xxh3.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	sum := h.Sum128()
	return fmt.Sprintf("f1-%016x%016x", distinct.Keyed64(sum.Hi), distinct.Keyed64(sum.Lo^0x9e3779b97f4a7c15)), nil
}

// geoID identifies the boundaries a scanner places points with, so that
// sketches placed differently are not merged.
func geoID(g *Geo) string {
	switch {
	case g == nil || g.Locator == nil:
		return ""
	case g.direct != nil:
		return g.direct.ID()
	}
	if m, ok := g.Locator.(mergedOnly); ok {
		return m.id
	}
	return "description:" + g.Description
}

// WriteSketch writes the scanner's sketch as JSON.
func (s *Scanner) WriteSketch(w io.Writer) error {
	k, err := s.Sketch()
	if err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(k)
}

// ReadSketch decodes and checks a sketch file.
func ReadSketch(r io.Reader) (*Sketch, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var k Sketch
	if err := dec.Decode(&k); err != nil {
		return nil, fmt.Errorf("not a scan sketch: %w", err)
	}
	if k.Schema != SketchSchema {
		if strings.HasPrefix(k.Schema, "xborder.scan-sketch/v") && k.Schema < SketchSchema {
			return nil, fmt.Errorf("sketch schema %q is older than %q: it may not record possible coordinates, so merging it could give contains_coordinates false where a scan leaves it undetermined; refusing to merge: scan that shard again with this version (--sketch-out)", k.Schema, SketchSchema)
		}
		return nil, fmt.Errorf("sketch schema %q, want %q", k.Schema, SketchSchema)
	}
	if k.Hash != distinct.HashName {
		return nil, fmt.Errorf("sketch hashes with %q, want %q: cannot merge", k.Hash, distinct.HashName)
	}
	if k.KeyID == "" || distinct.KeyIsEphemeral(k.KeyID) {
		return nil, errors.New("sketch has no sketch key id")
	}
	if k.ExactLimit <= 0 {
		return nil, errors.New("sketch has no exact_limit")
	}
	return &k, nil
}

func sourceName(k *Sketch) string {
	if k.Source != "" {
		return k.Source
	}
	return "the sketch"
}

// MergeSketch adds a sketch's state to the scanner. It refuses, changing
// nothing, a sketch made under another key than the scanner's counters, one
// placed with other boundaries than the scanner's (or than the sketches
// merged before), and one holding a file already merged (same path, size
// and fingerprint): merged twice, its values would count twice. A scanner
// that has neither scanned nor merged anything takes the first sketch's key
// and boundaries.
func (s *Scanner) MergeSketch(k *Sketch) error {
	name := sourceName(k)
	s.mu.Lock()
	pristine := len(s.files) == 0 && s.fileIndex == 0
	var dup *FileReport
	for i := range k.Files {
		f := &k.Files[i]
		if f.Fingerprint == "" {
			continue
		}
		for j := range s.files {
			o := &s.files[j]
			if o.Fingerprint == f.Fingerprint && o.Path == f.Path && o.Bytes == f.Bytes {
				dup = f
				break
			}
		}
		if dup != nil {
			break
		}
	}
	s.mu.Unlock()
	if dup != nil {
		return fmt.Errorf("%s holds %s (%d bytes, same content) which is already merged: refusing to count it twice", name, dup.Path, dup.Bytes)
	}
	if !pristine && s.vehicles.KeyID() != k.KeyID {
		return fmt.Errorf("%s was made with sketch key %s, the sketches before it with %s: shards merge only when scanned with the same --sketch-key-file",
			name, k.KeyID, s.vehicles.KeyID())
	}
	if k.Geo.Located && s.opt.Geo != nil && s.opt.Geo.Locator != nil {
		if cur := geoID(s.opt.Geo); cur != k.Geo.Boundaries {
			other, desc := "this scan", s.opt.Geo.Description
			if m, ok := s.opt.Geo.Locator.(mergedOnly); ok {
				other = m.from
			}
			return fmt.Errorf("%s was placed with other boundaries than %s (%s: %s; %s: %s): refusing to merge, prefectures would mix methods; scan every shard with the same --boundaries",
				name, other, name, k.Geo.Description, other, desc)
		}
	}
	// Decode everything before changing anything.
	var dets [numDet]distinct.Counter
	for d := range dets {
		if err := dets[d].UnmarshalBinary(k.Detectors[d].Distinct); err != nil {
			return fmt.Errorf("detector %s: %w", detNames[d], err)
		}
		dets[d].SetKeyID(k.KeyID)
	}
	var veh, per distinct.Flagged
	if err := veh.UnmarshalBinary(k.Vehicles); err != nil {
		return fmt.Errorf("vehicles: %w", err)
	}
	if err := per.UnmarshalBinary(k.People); err != nil {
		return fmt.Errorf("people: %w", err)
	}
	veh.SetKeyID(k.KeyID)
	per.SetKeyID(k.KeyID)
	if pristine {
		for d := range s.det {
			s.det[d].counter.SetKeyID(k.KeyID)
		}
		s.vehicles.SetKeyID(k.KeyID)
		s.people.SetKeyID(k.KeyID)
	}
	for d := range s.det {
		if err := s.det[d].counter.Merge(&dets[d]); err != nil {
			return fmt.Errorf("detector %s: %w", detNames[d], err)
		}
	}
	if err := s.vehicles.Merge(&veh); err != nil {
		return err
	}
	if err := s.people.Merge(&per); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	base := s.fileIndex
	s.files = append(s.files, k.Files...)
	s.fileIndex += len(k.Files) + 1
	for d := range s.det {
		kd := k.Detectors[d]
		s.det[d].count += kd.Count
		s.det[d].invalid += kd.Invalid
		s.det[d].unverified += kd.Unverified
		for i, t := range kd.Samples {
			s.samples[d] = append(s.samples[d], sample{file: base, seq: i, text: t})
		}
	}
	if k.Time.Count > 0 {
		s.times += k.Time.Count
		s.tmin = min(s.tmin, k.Time.Min)
		s.tmax = max(s.tmax, k.Time.Max)
	}
	s.timeBad += k.Time.Invalid
	s.assumed = s.assumed || k.Time.Assumed
	g := &s.geo
	g.points += k.Geo.Points
	g.outside += k.Geo.Outside
	g.invalid += k.Geo.Invalid
	g.swapped += k.Geo.Swapped
	g.inChina += k.Geo.InChina
	g.hkmotw += k.Geo.HKMOTW
	g.coastal += k.Geo.Coastal
	for p, n := range k.Geo.Provinces {
		g.provinces[p] += n
	}
	for p, n := range k.Geo.Prefectures {
		g.prefectures[p] += n
	}
	if k.Geo.Located && s.opt.Geo == nil {
		s.opt.Geo = &Geo{Approximate: k.Geo.Approximate, Description: k.Geo.Description, Attribution: k.Geo.Attribution,
			Locator: mergedOnly{id: k.Geo.Boundaries, from: name, notes: k.Geo.Notes}}
	}
	for key, n := range k.VehKeys {
		s.vehKeys[key] += n
	}
	for key, n := range k.PerKeys {
		s.perKeys[key] += n
	}
	s.perInfer = s.perInfer || k.PerInfer
	return nil
}

// mergedOnly stands for the boundaries merged sketches were located with:
// their identity, the first sketch placed with them, and their notes. It is
// never asked to locate anything.
type mergedOnly struct {
	id, from string
	notes    []string
}

func (mergedOnly) Locate(lon, lat float64) Place { return Place{} }
