package gateway

import (
	"bytes"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/scan/detect"
)

// redactor replaces identifiers found in free text (a transfer's purpose) by
// keyed pseudonyms before the text reaches the audit log: the log must never
// hold a raw VIN, phone number, resident ID or plate.
type redactor struct {
	p     *audit.Pseudonymizer
	found [][2]string // raw, replacement
}

func (r *redactor) add(kind string, v []byte) {
	r.found = append(r.found, [2]string{string(v), r.p.Hash(kind, string(v))})
}

// FoundVIN pseudonymises VINs whatever their check digit: a VIN with a
// typo still identifies a vehicle, and the log cannot be corrected later.
func (r *redactor) FoundVIN(v []byte, st detect.VINStatus) { r.add("vin", v) }
func (r *redactor) FoundPlate(key []byte, kind detect.PlateKind) {
	r.add("plate", key)
	// Apps write plates with a middle dot after the issuing letter (浙A·D82G6):
	// the key drops it, so replace the dotted spelling too.
	if rs := []rune(string(key)); len(rs) > 2 {
		r.found = append(r.found, [2]string{string(rs[:2]) + "·" + string(rs[2:]), r.p.Hash("plate", string(key))})
	}
}
func (r *redactor) FoundCNID(v []byte, valid bool)  { r.add("cn_id", v) }
func (r *redactor) FoundPhone(v []byte, valid bool) { r.add("phone", v) }
func (r *redactor) FoundPoint(lat, lon float64)     {}
func (r *redactor) FoundTime(ms int64, zoned bool)  {}

// InvalidUTF8 cannot happen: request text comes from JSON, whose decoder
// replaces invalid bytes.
func (r *redactor) InvalidUTF8() {}

// redact returns text with every identifier the scanner's detectors find
// replaced by its pseudonym.
func redact(p *audit.Pseudonymizer, text string) string {
	if len(text) < detect.MinTextLen || p == nil {
		return text
	}
	r := &redactor{p: p}
	detect.ScanText([]byte(text), detect.TextOptions{}, r)
	b := []byte(text)
	for _, f := range r.found {
		b = bytes.ReplaceAll(b, []byte(f[0]), []byte(f[1]))
	}
	return string(b)
}
