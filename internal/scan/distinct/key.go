package distinct

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/bits"
	"strings"
	"sync/atomic"
)

// Keyed hashing. The hashes counters keep are written into scan sketches,
// which may be sent to other machines and abroad. An unkeyed hash of a phone
// number or a resident ID number is reversed by hashing every candidate (a
// few billion): the sketch would export the personal data it counts. So
// every value is hashed with SipHash-2-4 under a secret 128-bit key: without
// the key a hash says nothing about its value (SipHash is a pseudorandom
// function), and for identifiers of 8 to 20 bytes it costs 13-16 ns, a few
// ns more than the unkeyed xxh3 it replaced. Two values collide with
// probability about n^2/2^65 (3e-8 at a million values).
//
// The key is process-wide: set it (SetKey) before counting anything. Without
// one, a random key is made when the process starts: counts in memory are
// right, but nothing written with it can be merged with anything, so scan
// refuses to write sketches under it. Counters record the id of the key they
// were made under (KeyID: a hash of the key, never the key) and refuse to
// merge with another's.

// HashName names the hash in sketches; another name cannot be merged.
const HashName = "siphash-2-4 keyed"

// MinKeyLen is the shortest key accepted, in bytes.
const MinKeyLen = 16

type hashKey struct {
	k0, k1 uint64
	id     string
	user   bool
}

var current atomic.Pointer[hashKey]

func init() { UseEphemeralKey() }

// UseEphemeralKey replaces the key with a new random one, good for this
// process only.
func UseEphemeralKey() {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("distinct: no randomness for the hash key: " + err.Error())
	}
	current.Store(&hashKey{k0: binary.LittleEndian.Uint64(b[:8]), k1: binary.LittleEndian.Uint64(b[8:16]),
		id: "ephemeral-" + hex.EncodeToString(b[16:24])})
}

// SetKey makes material (the contents of a key file, or an environment
// variable; surrounding white space is ignored) the hash key. Shards merge
// only when they were counted under the same key.
func SetKey(material []byte) error {
	m := strings.TrimSpace(string(material))
	if len(m) < MinKeyLen {
		return errors.New("the sketch key is too short: use at least 16 random bytes, e.g. `xborder sketch keygen -o FILE`")
	}
	kd := sha256.Sum256([]byte("xborder sketch key v1\x00" + m))
	id := sha256.Sum256([]byte("xborder sketch key id v1\x00" + m))
	current.Store(&hashKey{k0: binary.LittleEndian.Uint64(kd[:8]), k1: binary.LittleEndian.Uint64(kd[8:16]),
		id: "k1-" + hex.EncodeToString(id[:12]), user: true})
	return nil
}

// KeyID identifies the current key (a hash of it, not the key).
func KeyID() string { return current.Load().id }

// KeyIsEphemeral reports whether id names a per-process random key.
func KeyIsEphemeral(id string) bool { return strings.HasPrefix(id, "ephemeral-") }

// Hash is the hash every counter uses for a value.
func Hash(b []byte) uint64 {
	k := current.Load()
	return sipHash(k.k0, k.k1, b)
}

// sipHash is SipHash-2-4 of m.
func sipHash(k0, k1 uint64, m []byte) uint64 {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	n := len(m)
	for len(m) >= 8 {
		w := binary.LittleEndian.Uint64(m)
		v3 ^= w
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0 ^= w
		m = m[8:]
	}
	w := uint64(n) << 56
	for i := len(m) - 1; i >= 0; i-- {
		w |= uint64(m[i]) << (8 * i)
	}
	v3 ^= w
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0 ^= w
	v2 ^= 0xff
	for range 4 {
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	}
	return v0 ^ v1 ^ v2 ^ v3
}

// Keyed64 applies the key to a 64-bit value (SipHash-2-4 of its 8 bytes),
// for fingerprints of data that must not be recognisable without the key.
func Keyed64(x uint64) uint64 {
	k := current.Load()
	return sip64(k.k0, k.k1, x)
}

// sip64 is SipHash-2-4 of the 8-byte little-endian message m.
func sip64(k0, k1, m uint64) uint64 {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	v3 ^= m
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0 ^= m
	b := uint64(8) << 56 // the length byte; no message bytes left
	v3 ^= b
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0 ^= b
	v2 ^= 0xff
	for range 4 {
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	}
	return v0 ^ v1 ^ v2 ^ v3
}

func sipRound(v0, v1, v2, v3 uint64) (uint64, uint64, uint64, uint64) {
	v0 += v1
	v1 = bits.RotateLeft64(v1, 13)
	v1 ^= v0
	v0 = bits.RotateLeft64(v0, 32)
	v2 += v3
	v3 = bits.RotateLeft64(v3, 16)
	v3 ^= v2
	v0 += v3
	v3 = bits.RotateLeft64(v3, 21)
	v3 ^= v0
	v2 += v1
	v1 = bits.RotateLeft64(v1, 17)
	v1 ^= v2
	v2 = bits.RotateLeft64(v2, 32)
	return v0, v1, v2, v3
}
