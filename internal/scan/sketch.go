package scan

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/xborder/xborder/internal/scan/distinct"
)

// SketchSchema tags a sketch file: everything needed to merge the scans of
// several shards (files or machines) into one report, with distinct counts
// kept as xxh3 hash sets or HyperLogLog sketches, never as values.
const SketchSchema = "xborder.scan-sketch/v1"

// Sketch is the mergeable state of a scan.
type Sketch struct {
	Schema     string            `json:"schema"`
	Hash       string            `json:"hash"`
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
	Points, Outside, Invalid, Swapped, InChina, HKMOTW int64
	Provinces, Prefectures                             map[string]int64
	Located, Approximate                               bool
	Description                                        string
}

const hashName = "xxh3-64 seed 0"

// Sketch captures the scanner's state for later merging.
func (s *Scanner) Sketch() (*Sketch, error) {
	r := s.Report() // sorted samples and files
	s.mu.Lock()
	defer s.mu.Unlock()
	k := &Sketch{Schema: SketchSchema, Hash: hashName, ExactLimit: s.opt.ExactLimit, Files: r.Files,
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
	k.Geo = sketchGeo{Points: g.points, Outside: g.outside, Invalid: g.invalid, Swapped: g.swapped, InChina: g.inChina,
		HKMOTW: g.hkmotw, Provinces: g.provinces, Prefectures: g.prefectures, Located: r.Geo.Located,
		Approximate: r.Geo.PrefecturesApproximate, Description: r.Geo.Boundaries}
	var err error
	if k.Vehicles, err = s.vehicles.MarshalBinary(); err != nil {
		return nil, err
	}
	if k.People, err = s.people.MarshalBinary(); err != nil {
		return nil, err
	}
	return k, nil
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
		return nil, fmt.Errorf("sketch schema %q, want %q", k.Schema, SketchSchema)
	}
	if k.Hash != hashName {
		return nil, fmt.Errorf("sketch hashes with %q, want %q: cannot merge", k.Hash, hashName)
	}
	if k.ExactLimit <= 0 {
		return nil, errors.New("sketch has no exact_limit")
	}
	return &k, nil
}

// MergeSketch adds a sketch's state to the scanner (whose geography
// options are replaced by the sketch's description when it has none).
func (s *Scanner) MergeSketch(k *Sketch) error {
	for d := range s.det {
		var c distinct.Counter
		if err := c.UnmarshalBinary(k.Detectors[d].Distinct); err != nil {
			return fmt.Errorf("detector %s: %w", detNames[d], err)
		}
		if err := s.det[d].counter.Merge(&c); err != nil {
			return fmt.Errorf("detector %s: %w", detNames[d], err)
		}
	}
	var veh, per distinct.Flagged
	if err := veh.UnmarshalBinary(k.Vehicles); err != nil {
		return fmt.Errorf("vehicles: %w", err)
	}
	if err := per.UnmarshalBinary(k.People); err != nil {
		return fmt.Errorf("people: %w", err)
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
	for p, n := range k.Geo.Provinces {
		g.provinces[p] += n
	}
	for p, n := range k.Geo.Prefectures {
		g.prefectures[p] += n
	}
	if k.Geo.Located && s.opt.Geo == nil {
		s.opt.Geo = &Geo{Approximate: k.Geo.Approximate, Description: k.Geo.Description, Locator: mergedOnly{}}
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

// mergedOnly stands for the boundaries a merged sketch was located with; it
// is never asked to locate anything.
type mergedOnly struct{}

func (mergedOnly) Locate(lon, lat float64) Place { return Place{} }
