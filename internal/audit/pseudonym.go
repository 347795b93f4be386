package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
)

// Pseudonymizer replaces raw identifiers (VINs, phone numbers, ID numbers,
// plates) by keyed hashes before they reach an audit payload, so the log can
// say "the same vehicle again" without holding the identifier. The key is a
// per-database secret (store: PseudonymKey); without it a hash cannot be
// tested against a guessed identifier, which a plain SHA-256 of a 17-character
// VIN would allow.
type Pseudonymizer struct{ key []byte }

// NewPseudonymizer needs a key of at least 16 bytes.
func NewPseudonymizer(key []byte) (*Pseudonymizer, error) {
	if len(key) < 16 {
		return nil, errors.New("pseudonym key shorter than 16 bytes")
	}
	return &Pseudonymizer{key: append([]byte(nil), key...)}, nil
}

// Hash returns "kind:h:" plus 32 hex digits of HMAC-SHA256(key, kind, value),
// after trimming spaces and upper-casing the value so "lrw3e7…" and
// "LRW3E7…" hash alike. kind is e.g. "vin", "phone", "cn_id", "plate".
func (p *Pseudonymizer) Hash(kind, value string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(strings.ToUpper(strings.TrimSpace(value))))
	return kind + ":h:" + hex.EncodeToString(m.Sum(nil)[:16])
}
