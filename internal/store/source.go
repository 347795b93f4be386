package store

import (
	"context"
	"math"

	"github.com/xborder/xborder/internal/audit"
)

// AuditSource adapts a read transaction to audit.Source (and
// audit.HeadSource), for audit.Verify and audit.WriteBundle.
func AuditSource(tx ReadTx) audit.Source {
	if _, ok := tx.(HeadReader); ok {
		return headSource{auditSource{tx}}
	}
	return auditSource{tx}
}

type headSource struct{ auditSource }

type auditSource struct{ tx ReadTx }

func (s auditSource) VerifierKeys(ctx context.Context) ([]string, error) {
	return s.tx.VerifierKeys(ctx)
}
func (s auditSource) ArchiveRecords(ctx context.Context) ([][]byte, error) {
	return s.tx.ArchiveRecords(ctx)
}
func (s auditSource) Checkpoints(ctx context.Context, fn func([]byte) error) error {
	return s.tx.Checkpoints(ctx, fn)
}
func (s auditSource) Entries(ctx context.Context, fn func(audit.StoredEntry) error) error {
	return s.tx.Entries(ctx, 0, math.MaxUint64, fn)
}

// HeadReader is implemented by read transactions that expose the stored
// right edge of the tree.
type HeadReader interface {
	LogHead(ctx context.Context) (size uint64, rangeHashes, lastLeaf []byte, err error)
}

func (s headSource) Head(ctx context.Context) (uint64, []byte, []byte, error) {
	return s.tx.(HeadReader).LogHead(ctx)
}
