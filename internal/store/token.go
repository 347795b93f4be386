package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/xborder/xborder/internal/audit"
)

// NewToken returns a fresh API token: the prefix audit.TokenPrefix (so audit
// payloads can refuse tokens) and 32 random bytes in URL-safe base64.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return audit.TokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// TokenHash is what the store keeps of a token: SHA-256 of its text, spaces
// trimmed. A token has 256 random bits, so a fast unsalted hash is enough.
func TokenHash(token string) []byte {
	h := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return h[:]
}
