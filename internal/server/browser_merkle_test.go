package server_test

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/audit"
)

// An independent RFC 6962 reference (§2.1: MTH, PATH, PROOF written as the
// RFC states them), checked against internal/audit, then used to test the
// console's JavaScript verifier in the browser.

func refLeaf(d []byte) []byte { return audit.LeafHash(d) }

func refNode(l, r []byte) []byte {
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(l)
	h.Write(r)
	return h.Sum(nil)
}

func split(n int) int { // largest power of two smaller than n
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}

func mth(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		s := sha256.Sum256(nil)
		return s[:]
	case 1:
		return leaves[0]
	}
	k := split(len(leaves))
	return refNode(mth(leaves[:k]), mth(leaves[k:]))
}

func auditPath(m int, leaves [][]byte) [][]byte {
	if len(leaves) <= 1 {
		return nil
	}
	k := split(len(leaves))
	if m < k {
		return append(auditPath(m, leaves[:k]), mth(leaves[k:]))
	}
	return append(auditPath(m-k, leaves[k:]), mth(leaves[:k]))
}

func subproof(m int, leaves [][]byte, b bool) [][]byte {
	n := len(leaves)
	if m == n {
		if b {
			return nil
		}
		return [][]byte{mth(leaves)}
	}
	k := split(n)
	if m <= k {
		return append(subproof(m, leaves[:k], b), mth(leaves[k:]))
	}
	return append(subproof(m-k, leaves[k:], false), mth(leaves[:k]))
}

func b64list(hs [][]byte) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h)
	}
	return out
}

// The console's verifier (console/js/merkle.js) accepts every RFC 6962
// inclusion and consistency proof of trees up to 33 leaves and refuses each
// one with a changed hash, index, size or root.
func TestConsole_MerkleVerifierAgainstRFC6962(t *testing.T) {
	const maxSize = 33
	var leaves [][]byte
	for i := 0; i < maxSize; i++ {
		leaves = append(leaves, refLeaf([]byte(fmt.Sprintf("entry %d", i))))
	}
	type incl struct {
		Index, Size int
		Leaf, Root  string
		Proof       []string
		// The same proof can also fit a tree of Size+1 when the paths
		// have the same shape; the reference says whether it does.
		NextSizeOK bool
	}
	type cons struct {
		Size1, Size2 int
		Root1, Root2 string
		Proof        []string
	}
	var incls []incl
	var conss []cons
	for n := 1; n <= maxSize; n++ {
		root := mth(leaves[:n])
		for m := 0; m < n; m++ {
			p := auditPath(m, leaves[:n])
			// The reference agrees with internal/audit (transparency-dev/merkle).
			if err := audit.VerifyInclusion(uint64(m), uint64(n), leaves[m], p, root); err != nil {
				t.Fatalf("reference inclusion %d/%d: %v", m, n, err)
			}
			next := audit.VerifyInclusion(uint64(m), uint64(n+1), leaves[m], p, root) == nil
			incls = append(incls, incl{m, n, base64.StdEncoding.EncodeToString(leaves[m]), base64.StdEncoding.EncodeToString(root), b64list(p), next})
		}
		for m := 1; m <= n; m++ {
			p := subproof(m, leaves[:n], true)
			if err := audit.VerifyConsistency(uint64(m), uint64(n), p, mth(leaves[:m]), root); err != nil {
				t.Fatalf("reference consistency %d->%d: %v", m, n, err)
			}
			conss = append(conss, cons{m, n, base64.StdEncoding.EncodeToString(mth(leaves[:m])), base64.StdEncoding.EncodeToString(root), b64list(p)})
		}
	}
	h := newHarness(t)
	b := newBrowser(t, h)
	b.do("open the console", chromedpNavigate(b.base+"/"))
	script := `(async () => {
	  const M = await import('/console/js/merkle.js');
	  const d = M.b64decode;
	  const incls = ` + string(mustJSON(t, incls)) + `;
	  const conss = ` + string(mustJSON(t, conss)) + `;
	  const bad = [];
	  const flip = (b) => { const c = b.slice(); c[c.length - 1] ^= 1; return c; };
	  for (const v of incls) {
	    const leaf = d(v.Leaf), root = d(v.Root), proof = v.Proof.map(d);
	    const tag = 'inclusion ' + v.Index + '/' + v.Size;
	    if (!await M.verifyInclusion(v.Index, v.Size, leaf, proof, root)) bad.push(tag + ' refused');
	    if (await M.verifyInclusion(v.Index, v.Size, flip(leaf), proof, root)) bad.push(tag + ' accepts another leaf');
	    if (await M.verifyInclusion(v.Index, v.Size, leaf, proof, flip(root))) bad.push(tag + ' accepts another root');
	    for (let i = 0; i < proof.length; i++) {
	      const p = proof.slice(); p[i] = flip(p[i]);
	      if (await M.verifyInclusion(v.Index, v.Size, leaf, p, root)) bad.push(tag + ' accepts a changed proof hash ' + i);
	    }
	    if (proof.length && await M.verifyInclusion(v.Index, v.Size, leaf, proof.slice(1), root)) bad.push(tag + ' accepts a short proof');
	    if (await M.verifyInclusion(v.Index, v.Size, leaf, proof.concat([leaf]), root)) bad.push(tag + ' accepts a long proof');
	    if (v.Size > 1 && await M.verifyInclusion((v.Index + 1) % v.Size, v.Size, leaf, proof, root)) bad.push(tag + ' accepts another index');
	    if (await M.verifyInclusion(v.Index, v.Size + 1, leaf, proof, root) !== v.NextSizeOK) bad.push(tag + ' disagrees with the reference at size + 1');
	  }
	  for (const v of conss) {
	    const r1 = d(v.Root1), r2 = d(v.Root2), proof = v.Proof.map(d);
	    const tag = 'consistency ' + v.Size1 + '->' + v.Size2;
	    if (!await M.verifyConsistency(v.Size1, v.Size2, proof, r1, r2)) bad.push(tag + ' refused');
	    if (await M.verifyConsistency(v.Size1, v.Size2, proof, flip(r1), r2)) bad.push(tag + ' accepts another old root');
	    if (await M.verifyConsistency(v.Size1, v.Size2, proof, r1, flip(r2))) bad.push(tag + ' accepts another new root');
	    for (let i = 0; i < proof.length; i++) {
	      const p = proof.slice(); p[i] = flip(p[i]);
	      if (await M.verifyConsistency(v.Size1, v.Size2, p, r1, r2)) bad.push(tag + ' accepts a changed proof hash ' + i);
	    }
	  }
	  return {checked: incls.length + conss.length, bad: bad.slice(0, 20), nbad: bad.length};
	})()`
	res := eval[struct {
		Checked int      `json:"checked"`
		Bad     []string `json:"bad"`
		NBad    int      `json:"nbad"`
	}](b, script)
	if res.Checked != len(incls)+len(conss) || res.Checked < 1000 {
		t.Fatalf("checked %d vectors", res.Checked)
	}
	if res.NBad > 0 {
		t.Errorf("%d failures, first: %s", res.NBad, strings.Join(res.Bad, "; "))
	}
}

// The console verifies checkpoint notes signed by internal/audit with
// Ed25519 in Web Crypto, and refuses a changed note or another key.
func TestConsole_NoteSignatureInBrowser(t *testing.T) {
	skey, vkey, err := audit.GenerateKey("xborder.log/test")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := audit.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := signer.SignCheckpoint(audit.Checkpoint{Origin: "xborder.log/test", Size: 12, Root: mth([][]byte{refLeaf([]byte("x"))})})
	if err != nil {
		t.Fatal(err)
	}
	_, other, _ := audit.GenerateKey("xborder.log/test")
	note := string(cp.Note)
	changed := strings.Replace(note, "\n12\n", "\n13\n", 1)
	h := newHarness(t)
	b := newBrowser(t, h)
	b.do("open the console", chromedpNavigate(b.base+"/"))
	res := eval[[]string](b, `(async () => {
	  const M = await import('/console/js/merkle.js');
	  const out = [];
	  for (const [note, key] of [[`+js(note)+`, `+js(vkey)+`], [`+js(changed)+`, `+js(vkey)+`], [`+js(note)+`, `+js(other)+`], [`+js(note)+`, 'not a key']]) {
	    const r = await M.verifyNote(note, key);
	    out.push(String(r.ok) + ': ' + r.reason);
	  }
	  const c = M.parseCheckpoint(M.parseNote(`+js(note)+`).text);
	  out.push(c.origin + ' ' + c.size + ' ' + M.b64encode(c.root));
	  return out;
	})()`)
	want := []string{"true: valid Ed25519 signature", "false: the signature does not match", "false: the note carries no signature by this key", "false: a verifier key looks like"}
	for i, w := range want {
		if !strings.HasPrefix(res[i], w) {
			t.Errorf("case %d: %q, want prefix %q", i, res[i], w)
		}
	}
	if res[4] != "xborder.log/test 12 "+base64.StdEncoding.EncodeToString(cp.Root) {
		t.Errorf("parsed checkpoint %q", res[4])
	}
}
