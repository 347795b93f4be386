package audit

import (
	"context"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// NodeReader returns stored node hashes (leaf hashes at level 0) by id, in
// the order asked. Only nodes of perfect subtrees inside the log are asked for.
type NodeReader interface {
	ReadNodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error)
}

// InclusionProof is the RFC 6962 audit path of leaf index in the tree of the
// given size. Callers pin size to a signed checkpoint: the proof is for that
// tree, never the growing one.
func InclusionProof(ctx context.Context, nr NodeReader, index, size uint64) ([][]byte, error) {
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return fetch(ctx, nr, nodes)
}

// ConsistencyProof proves that the tree of size1 is a prefix of the tree of size2.
func ConsistencyProof(ctx context.Context, nr NodeReader, size1, size2 uint64) ([][]byte, error) {
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return fetch(ctx, nr, nodes)
}

func fetch(ctx context.Context, nr NodeReader, nodes proof.Nodes) ([][]byte, error) {
	if len(nodes.IDs) == 0 {
		return [][]byte{}, nil
	}
	hs, err := nr.ReadNodes(ctx, nodes.IDs)
	if err != nil {
		return nil, err
	}
	if len(hs) != len(nodes.IDs) {
		return nil, fmt.Errorf("proof: got %d node hashes, want %d", len(hs), len(nodes.IDs))
	}
	return nodes.Rehash(hs, HashChildren)
}

// VerifyInclusion checks an inclusion proof of a leaf hash against a root.
func VerifyInclusion(index, size uint64, leafHash []byte, p [][]byte, root []byte) error {
	return proof.VerifyInclusion(rfc6962.DefaultHasher, index, size, leafHash, p, root)
}

// VerifyConsistency checks a consistency proof between two roots.
func VerifyConsistency(size1, size2 uint64, p [][]byte, root1, root2 []byte) error {
	return proof.VerifyConsistency(rfc6962.DefaultHasher, size1, size2, p, root1, root2)
}
