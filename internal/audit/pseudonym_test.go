package audit

import (
	"bytes"
	"strings"
	"testing"
)

func TestPseudonymizer(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	p, err := NewPseudonymizer(key)
	if err != nil {
		t.Fatal(err)
	}
	vin := "LRW3E7FA0LC000001"
	h := p.Hash("vin", vin)
	if !strings.HasPrefix(h, "vin:h:") || len(h) != len("vin:h:")+32 || strings.Contains(h, vin) {
		t.Fatalf("hash %q", h)
	}
	if p.Hash("vin", " lrw3e7fa0lc000001 ") != h {
		t.Error("case and spaces change the pseudonym")
	}
	if p.Hash("plate", vin) == h {
		t.Error("kinds share pseudonyms")
	}
	q, _ := NewPseudonymizer(bytes.Repeat([]byte{8}, 32))
	if q.Hash("vin", vin) == h {
		t.Error("another database's key gives the same pseudonym")
	}
	if _, err := NewPseudonymizer(make([]byte, 15)); err == nil {
		t.Error("15-byte key accepted")
	}
	if _, err := NewPseudonymizer(make([]byte, 16)); err != nil {
		t.Errorf("16-byte key refused: %v", err)
	}
}
