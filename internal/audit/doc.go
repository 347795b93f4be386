// Package audit is xborder's tamper-evident log: an RFC 6962 Merkle tree
// (github.com/transparency-dev/merkle) over canonical entry bytes, signed
// checkpoints in the note format (golang.org/x/mod/sumdb/note, Ed25519),
// inclusion and consistency proofs pinned to a checkpoint size, signed
// archive records for retention, offline bundles, and a verifier that
// recomputes everything from stored bytes and names the first bad entry.
//
// The package is pure: it never opens a database or file and never reads
// the clock. Storage lives in internal/store, which calls Encode and Tree
// when it appends and implements Source for Verify.
//
// Each entry's canonical bytes also carry the leaf hash of the previous entry
// ("prev"). The Merkle tree alone proves that something changed; the chain
// lets Verify name exactly which entry changed even when an attacker also
// rewrote that entry's stored leaf hash (see docs/audit.md).
package audit
