package audit

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is the signed statement of a log's size and root, in the
// transparency-dev checkpoint format: "origin\nsize\nbase64(root)\n".
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
}

// Body is the checkpoint text that gets signed.
func (c Checkpoint) Body() string {
	return c.Origin + "\n" + strconv.FormatUint(c.Size, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Root) + "\n"
}

// ParseCheckpoint parses a checkpoint body (extension lines are refused:
// xborder writes none).
func ParseCheckpoint(text string) (Checkpoint, error) {
	var c Checkpoint
	lines := strings.Split(text, "\n")
	if len(lines) != 4 || lines[3] != "" {
		return c, errors.New("checkpoint: want origin, size and root lines")
	}
	if lines[0] == "" {
		return c, errors.New("checkpoint: empty origin")
	}
	c.Origin = lines[0]
	n, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(n, 10) != lines[1] {
		return c, fmt.Errorf("checkpoint: size %q", lines[1])
	}
	c.Size = n
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != HashSize {
		return c, fmt.Errorf("checkpoint: root %q", lines[2])
	}
	c.Root = root
	return c, nil
}

// SignedCheckpoint is a checkpoint with its signed note.
type SignedCheckpoint struct {
	Checkpoint
	Note []byte // the whole signed note, as stored and published
	// KeyIDs name the keys whose valid signatures the note carries.
	KeyIDs []string
}

// GenerateKey makes an Ed25519 note key pair named name (for example the
// log origin). skey is secret; vkey is published.
func GenerateKey(name string) (skey, vkey string, err error) {
	return note.GenerateKey(rand.Reader, name)
}

// KeyID names a key: "name+hash" as it appears in note signature lines.
func KeyID(name string, hash uint32) string { return fmt.Sprintf("%s+%08x", name, hash) }

// VerifierKeyID is the key id of a verifier key string.
func VerifierKeyID(vkey string) (string, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return "", fmt.Errorf("verifier key: %w", err)
	}
	return KeyID(v.Name(), v.KeyHash()), nil
}

// Signer signs checkpoints and archive records.
type Signer struct {
	s    note.Signer
	vkey string
}

// NewSigner loads a secret note key ("PRIVATE+KEY+name+hash+data").
func NewSigner(skey string) (*Signer, error) {
	s, err := note.NewSigner(strings.TrimSpace(skey))
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	vkey, err := verifierFromSigner(strings.TrimSpace(skey))
	if err != nil {
		return nil, err
	}
	return &Signer{s: s, vkey: vkey}, nil
}

// verifierFromSigner derives the public key string from a secret key string.
func verifierFromSigner(skey string) (string, error) {
	// skey = PRIVATE+KEY+name+hash+base64(alg||seed)
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return "", errors.New("signing key: malformed")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 33 || raw[0] != 1 {
		return "", errors.New("signing key: not an Ed25519 note key")
	}
	pub := ed25519PublicFromSeed(raw[1:])
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// KeyID is the id of the signing key.
func (s *Signer) KeyID() string { return KeyID(s.s.Name(), s.s.KeyHash()) }

// VerifierKey is the public key to publish and store beside the log.
func (s *Signer) VerifierKey() string { return s.vkey }

// Sign signs a note text (which must end in a newline).
func (s *Signer) Sign(text string) ([]byte, error) {
	return note.Sign(&note.Note{Text: text}, s.s)
}

// SignCheckpoint signs c.
func (s *Signer) SignCheckpoint(c Checkpoint) (SignedCheckpoint, error) {
	msg, err := s.Sign(c.Body())
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("sign checkpoint: %w", err)
	}
	return SignedCheckpoint{Checkpoint: c, Note: msg, KeyIDs: []string{s.KeyID()}}, nil
}

// Verifiers is a set of trusted public keys.
type Verifiers struct {
	list note.Verifiers
	ids  []string
}

// NewVerifiers parses public keys ("name+hash+data", one per string).
func NewVerifiers(vkeys ...string) (*Verifiers, error) {
	var vs []note.Verifier
	var ids []string
	seen := map[string]bool{}
	for _, k := range vkeys {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		v, err := note.NewVerifier(k)
		if err != nil {
			return nil, fmt.Errorf("verifier key %q: %w", k, err)
		}
		id := KeyID(v.Name(), v.KeyHash())
		if seen[id] {
			continue
		}
		seen[id] = true
		vs = append(vs, v)
		ids = append(ids, id)
	}
	return &Verifiers{list: note.VerifierList(vs...), ids: ids}, nil
}

// IDs lists the key ids.
func (v *Verifiers) IDs() []string { return v.ids }

// Open verifies a signed note and returns its text and the ids of the keys
// whose signatures verified.
func (v *Verifiers) Open(msg []byte) (string, []string, error) {
	n, err := note.Open(msg, v.list)
	if err != nil {
		return "", nil, err
	}
	ids := make([]string, len(n.Sigs))
	for i, s := range n.Sigs {
		ids[i] = KeyID(s.Name, s.Hash)
	}
	return n.Text, ids, nil
}

// OpenCheckpoint verifies a signed checkpoint note.
func (v *Verifiers) OpenCheckpoint(msg []byte) (SignedCheckpoint, error) {
	text, ids, err := v.Open(msg)
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("checkpoint signature: %w", err)
	}
	c, err := ParseCheckpoint(text)
	if err != nil {
		return SignedCheckpoint{}, err
	}
	return SignedCheckpoint{Checkpoint: c, Note: msg, KeyIDs: ids}, nil
}

// NoteText returns the text of a signed note without verifying it (for
// display and for reading the size of a checkpoint whose key is unknown).
func NoteText(msg []byte) (string, error) {
	i := bytes.Index(msg, []byte("\n\n"))
	if i < 0 {
		return "", errors.New("malformed note: no signature block")
	}
	return string(msg[:i+1]), nil
}
