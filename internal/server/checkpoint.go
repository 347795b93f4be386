package server

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/store"
)

// SignCheckpoint signs the log as it stands if it grew since the last
// checkpoint. Proofs are served only for signed sizes, so a verifier never
// gets a proof against a tree that is still growing (rekor#956).
func (s *Server) SignCheckpoint(ctx context.Context) error {
	now := s.gw.Now()
	return s.gw.Group().Do(ctx, func(tx store.Tx) error {
		size, err := tx.LogSize(ctx)
		if err != nil {
			return err
		}
		if c, err := tx.LatestCheckpoint(ctx); err == nil && c.Size == size {
			return nil
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		signer := s.opt.Signer
		if signer == nil {
			if signer, err = tx.SigningKey(ctx, now); err != nil {
				return err
			}
		}
		_, err = tx.SignCheckpoint(ctx, signer, now)
		return err
	})
}

// Start runs background work: a checkpoint whenever the log grew, every
// CheckpointEvery. Stop ends it after signing a last checkpoint.
func (s *Server) Start(ctx context.Context) error {
	if s.opt.Signer != nil {
		err := s.gw.Group().Do(ctx, func(tx store.Tx) error {
			return tx.AddVerifierKey(ctx, s.opt.Signer.VerifierKey(), s.gw.Now())
		})
		if err != nil {
			return err
		}
	}
	if err := s.SignCheckpoint(ctx); err != nil {
		return err
	}
	if err := s.head.refresh(ctx); err != nil {
		return err
	}
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.opt.CheckpointEvery)
		defer t.Stop()
		purge := time.NewTicker(time.Hour)
		defer purge.Stop()
		s.purgeIdempotency()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				if err := s.SignCheckpoint(context.Background()); err != nil {
					s.log.Error("sign checkpoint", "err", err)
				}
			case <-purge.C:
				s.purgeIdempotency()
			}
		}
	}()
	return nil
}

// Stop ends background work and signs a final checkpoint covering every
// entry written so far.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.stop) })
	s.busyLog.flush()
	select {
	case <-s.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.SignCheckpoint(ctx)
}

// purgeIdempotency forgets answers older than the TTL so the key table does
// not grow without bound.
func (s *Server) purgeIdempotency() {
	before := s.gw.Now().Add(-s.opt.IdempotencyTTL)
	var n int64
	err := s.gw.Group().Do(context.Background(), func(tx store.Tx) error {
		var err error
		if n, err = tx.PurgeIdempotency(context.Background(), before); err != nil || n == 0 {
			return err
		}
		// Forgetting answers changes what a retry gets (a new decision, not
		// the first answer): an admin action of its own in the log.
		body, err := json.Marshal(map[string]any{"purged": n, "stored_before": before.UTC().Format(time.RFC3339), "ttl": s.opt.IdempotencyTTL.String()})
		if err != nil {
			return err
		}
		_, err = tx.AppendAudit(context.Background(), audit.Entry{Time: s.gw.Now(), Kind: "idempotency.purge", Actor: "system", Body: body})
		return err
	})
	if err != nil {
		s.log.Error("purge idempotency keys", "err", err)
		return
	}
	if n > 0 {
		s.log.Info("purged idempotency keys", "count", n, "before", before)
	}
}
