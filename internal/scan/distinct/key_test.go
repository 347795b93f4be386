package distinct

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
)

// sipBytes is SipHash-2-4 of any message, written from the paper, to check
// sip64 against the reference vectors and against itself.
func sipBytes(k0, k1 uint64, m []byte) uint64 {
	v0, v1 := k0^0x736f6d6570736575, k1^0x646f72616e646f6d
	v2, v3 := k0^0x6c7967656e657261, k1^0x7465646279746573
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13) ^ v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16) ^ v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21) ^ v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17) ^ v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	n := len(m)
	for len(m) >= 8 {
		w := binary.LittleEndian.Uint64(m)
		v3 ^= w
		round()
		round()
		v0 ^= w
		m = m[8:]
	}
	var last [8]byte
	copy(last[:], m)
	last[7] = byte(n)
	w := binary.LittleEndian.Uint64(last[:])
	v3 ^= w
	round()
	round()
	v0 ^= w
	v2 ^= 0xff
	for range 4 {
		round()
	}
	return v0 ^ v1 ^ v2 ^ v3
}

// The reference vectors of SipHash-2-4 (key 00 01 .. 0f, message 00 01 ..
// of length i), as published with the reference implementation.
func TestSipHashVectors(t *testing.T) {
	k0, k1 := uint64(0x0706050403020100), uint64(0x0f0e0d0c0b0a0908)
	vectors := map[int]uint64{0: 0x726fdb47dd0e0e31, 1: 0x74f839c593dc67fd, 7: 0xab0200f58b01d137,
		8: 0x93f5f5799a932462, 15: 0xa129ca6149be45e5, 16: 0x3f2acc7f57c29bdb, 63: 0x958a324ceb064572}
	msg := make([]byte, 64)
	for i := range msg {
		msg[i] = byte(i)
	}
	for n, want := range vectors {
		if got := sipBytes(k0, k1, msg[:n]); got != want {
			t.Errorf("SipHash-2-4 of %d bytes = %#x, want %#x", n, got, want)
		}
	}
	if got := sip64(k0, k1, binary.LittleEndian.Uint64(msg[:8])); got != vectors[8] {
		t.Errorf("sip64 = %#x, want %#x", got, vectors[8])
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 64 {
		k0, k1 := rng.Uint64(), rng.Uint64()
		if sipHash(k0, k1, msg[:n]) != sipBytes(k0, k1, msg[:n]) {
			t.Fatalf("sipHash differs from SipHash-2-4 at length %d", n)
		}
	}
	var b [8]byte
	for range 1000 {
		k0, k1, m := rng.Uint64(), rng.Uint64(), rng.Uint64()
		binary.LittleEndian.PutUint64(b[:], m)
		if sip64(k0, k1, m) != sipBytes(k0, k1, b[:]) {
			t.Fatalf("sip64 differs from SipHash-2-4 at key %x %x message %x", k0, k1, m)
		}
	}
}

// Hashes depend on the key; the key id names the key without revealing
// it; a short key is refused; counters of different keys do not merge.
func TestKeys(t *testing.T) {
	defer UseEphemeralKey()
	v := []byte("13800138000")
	if !KeyIsEphemeral(KeyID()) {
		t.Fatalf("the process starts with a random key, id %q", KeyID())
	}
	h0 := Hash(v)
	UseEphemeralKey()
	if Hash(v) == h0 {
		t.Fatal("two random keys hash alike")
	}
	if err := SetKey([]byte("short")); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Fatalf("short key: %v", err)
	}
	secret := "  0123456789abcdef0123456789abcdef\n"
	if err := SetKey([]byte(secret)); err != nil {
		t.Fatal(err)
	}
	id, h1 := KeyID(), Hash(v)
	a := New(0)
	a.Add(h1)
	if KeyIsEphemeral(id) || strings.Contains(id, "0123456789abcdef") || a.KeyID() != id {
		t.Fatalf("key id %q", id)
	}
	if err := SetKey([]byte(strings.TrimSpace(secret))); err != nil || KeyID() != id || Hash(v) != h1 {
		t.Fatal("the same key material (white space aside) must give the same key")
	}
	if err := SetKey([]byte("another key of enough length")); err != nil || KeyID() == id || Hash(v) == h1 {
		t.Fatal("another key must give another id and other hashes")
	}
	b := New(0)
	b.Add(Hash(v))
	if err := a.Merge(b); err != ErrKeyMismatch {
		t.Fatalf("counters of two keys merged: %v", err)
	}
	fa, fb := NewFlagged(0), NewFlagged(0)
	if err := fa.Merge(fb); err != nil {
		t.Fatal(err)
	}
	fb.SetKeyID("k1-other")
	if err := fa.Merge(fb); err != ErrKeyMismatch {
		t.Fatalf("flagged counters of two keys merged: %v", err)
	}
	if err := fb.KeysInto(a); err != ErrKeyMismatch {
		t.Fatalf("keys of another key moved into a counter: %v", err)
	}
}
