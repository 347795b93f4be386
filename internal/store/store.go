// Package store is xborder's persistent state: the inventory, recorded
// checks, the yearly counts, idempotency keys, API tokens and the audit log.
// Two backends implement it, internal/store/sqlite (embedded, the default)
// and internal/store/postgres, and one conformance suite
// (internal/store/storetest) runs against both.
//
// Every write goes through Update, one serialized transaction holding a
// global lock (SQLite BEGIN IMMEDIATE, PostgreSQL pg_advisory_xact_lock), so
// a caller that reads the counts inside Update and writes them back can never
// overshoot or lose a count, even with two processes on one database, and
// audit indices stay gap-free. Update returns only after a durable commit.
// Group commits many callers' work into one transaction (one fsync).
package store

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/transparency-dev/merkle/compact"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/model"
)

// Store is an open database.
type Store interface {
	// Update runs fn in one serialized write transaction (the global lock is
	// held for its whole duration) and commits durably if fn returns nil.
	// Reads inside fn see the effects of fn's own writes.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn against a consistent read-only snapshot.
	View(ctx context.Context, fn func(tx ReadTx) error) error
	// Backend is "sqlite" or "postgres".
	Backend() string
	// Close releases the database. Pending Update calls finish first.
	Close() error
}

// ReadTx reads state.
type ReadTx interface {
	InventoryReader
	CheckReader
	CounterReader
	AuthReader
	AuditReader
}

// Tx reads and writes state inside Update.
//
// Writes may be pipelined (PostgreSQL): an error from a write can surface at
// the call or, at the latest, when the enclosing Savepoint or Update returns.
type Tx interface {
	ReadTx
	InventoryWriter
	CheckWriter
	CounterWriter
	AuthWriter
	AuditWriter
	// Savepoint runs fn so that, if fn returns an error, only fn's writes
	// are undone and the transaction goes on. Group uses it to keep one
	// caller's failure from failing a whole batch.
	Savepoint(ctx context.Context, fn func(tx Tx) error) error
}

// ---- inventory ----

// Inventory is the stored inventory (no transfers: those are recorded only
// by checks) with its version, which every change increments.
type Inventory struct {
	Version    int64              `json:"version"`
	Processors []*model.Processor `json:"processors"`
	Assets     []*model.Asset     `json:"assets"`
	Approvals  []*model.Approval  `json:"approvals"`
}

// InventoryReader reads the inventory.
type InventoryReader interface {
	// Inventory returns processors, assets and approvals in the order stored.
	Inventory(ctx context.Context) (*Inventory, error)
	// InventoryVersion is cheap: callers cache compiled inventories by it.
	InventoryVersion(ctx context.Context) (int64, error)
	// Approval returns one approval, or ErrNotFound.
	Approval(ctx context.Context, id string) (*model.Approval, error)
}

// InventoryWriter changes the inventory; each call returns the new version.
type InventoryWriter interface {
	// PutInventory replaces processors, assets and approvals.
	PutInventory(ctx context.Context, inv *model.Inventory) (int64, error)
	// PutApproval adds or replaces one approval.
	PutApproval(ctx context.Context, a *model.Approval) (int64, error)
	// DeleteApproval removes one approval, or returns ErrNotFound.
	DeleteApproval(ctx context.Context, id string) (int64, error)
}

// ---- checks ----

// Decisions of a check.
const (
	DecisionAllow = "allow"
	DecisionDeny  = "deny"
)

// CheckRecord is one recorded POST /v1/transfers/check.
type CheckRecord struct {
	Seq      int64          `json:"seq"` // assigned by RecordCheck, gap-free from 1
	Transfer model.Transfer `json:"transfer"`
	Decision string         `json:"decision"`
	// Counted: the transfer's individuals were added to the yearly totals.
	Counted  bool            `json:"counted"`
	Backfill bool            `json:"backfill,omitempty"`
	Actor    string          `json:"actor,omitempty"`
	LogIndex uint64          `json:"log_index"`
	At       time.Time       `json:"at"`
	Response json.RawMessage `json:"response,omitempty"`
}

// CheckFilter selects recorded checks. Zero fields do not filter.
type CheckFilter struct {
	Processor string
	From, To  *model.Date // transfer date range, inclusive
	Decision  string
	// Limit caps the result (default 100, at most 10,000); Offset skips.
	Limit, Offset int
}

// CheckReader reads recorded checks.
type CheckReader interface {
	// Checks lists recorded checks in the order they were recorded.
	Checks(ctx context.Context, f CheckFilter) ([]CheckRecord, error)
	// AllowedTransfers returns every allowed transfer (counted or not: a
	// transfer under a claimed exemption left all the same) in date-then-id
	// order:
	// the ledger GET /v1/assessment assesses.
	AllowedTransfers(ctx context.Context) ([]*model.Transfer, error)
	// ChecksAfter streams at most limit recorded checks with a sequence
	// number above afterSeq, in sequence order, without the stored answer:
	// what verification compares with the log, a window at a time.
	ChecksAfter(ctx context.Context, afterSeq int64, limit int, fn func(CheckRow) error) error
}

// CheckRow is a recorded check as verification reads it: the columns and
// the stored transfer document (which GET /v1/transfers and the assessment
// read).
type CheckRow struct {
	Seq      int64
	LogIndex uint64
	Decision string
	Counted  bool
	Transfer []byte // the transfer document (JSON)
}

// CheckWriter records checks.
type CheckWriter interface {
	// RecordCheck stores rec and returns its sequence number.
	RecordCheck(ctx context.Context, rec *CheckRecord) (int64, error)
}

// ---- counters and idempotency ----

// IdempotencyRecord is the first answer given for an Idempotency-Key.
type IdempotencyRecord struct {
	Key         string
	RequestHash []byte
	Response    []byte
	At          time.Time
}

// CounterReader reads the running counts.
type CounterReader interface {
	// YearTotals returns the counted individuals of each processor in a
	// calendar year (China time); processors with none are present with zeros.
	YearTotals(ctx context.Context, year int, processors ...string) (map[string]model.Counts, error)
	// ApprovalUsage returns the individuals counted against each approval's
	// max_individuals; approvals with none are present with 0.
	ApprovalUsage(ctx context.Context, ids ...string) (map[string]int64, error)
	// Idempotency returns the stored answer for key, or ErrNotFound.
	Idempotency(ctx context.Context, key string) (IdempotencyRecord, error)
	// AllYearTotals returns every stored yearly total, by year then
	// processor; AllApprovalUsage every approval's usage. Verification
	// recomputes both from the log and compares.
	AllYearTotals(ctx context.Context) ([]YearTotal, error)
	AllApprovalUsage(ctx context.Context) (map[string]int64, error)
}

// YearTotal is one stored row of yearly totals; Unknown counts the counted
// transfers that gave no count.
type YearTotal struct {
	Year                 int
	Processor            string
	Individuals          int64
	SensitiveIndividuals int64
	Unknown              int64
}

// CounterWriter changes the running counts.
type CounterWriter interface {
	// AddTotals adds delta to a processor's yearly totals; delta.Unknown
	// counts one transfer whose count was not stated.
	AddTotals(ctx context.Context, year int, processor string, delta model.Counts) error
	AddApprovalUsage(ctx context.Context, id string, individuals int64) error
	// PutIdempotency stores the first answer for key; ErrConflict if the key
	// exists.
	PutIdempotency(ctx context.Context, rec IdempotencyRecord) error
	// PurgeIdempotency removes keys stored before t.
	PurgeIdempotency(ctx context.Context, before time.Time) (int64, error)
}

// ---- auth ----

// Roles (SPEC §7).
const (
	RoleAdmin    = "admin"
	RoleOfficer  = "officer"
	RoleEngineer = "engineer"
	RoleAuditor  = "auditor"
)

// Roles lists the roles in a stable order.
var Roles = []string{RoleAdmin, RoleOfficer, RoleEngineer, RoleAuditor}

// ValidRole reports whether r is a role.
func ValidRole(r string) bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// TokenRecord is a stored API token: only its SHA-256 hash is kept.
type TokenRecord struct {
	Hash    []byte
	Role    string
	Name    string
	Created time.Time
	// Revoked is when the token was revoked; zero while it is live. A
	// revoked token's row stays: who held which token matters for audits.
	Revoked time.Time
}

// Live reports whether the token has not been revoked.
func (r TokenRecord) Live() bool { return r.Revoked.IsZero() }

// Prefix is the short form that names a token in the audit log
// (token_sha256_prefix) and in `xborder token list`: the first 4 bytes of
// its SHA-256, in hex.
func (r TokenRecord) Prefix() string { return TokenPrefix(r.Hash) }

// TokenPrefix is the first 4 bytes of a token hash in hex (8 digits).
func TokenPrefix(hash []byte) string {
	if len(hash) > 4 {
		hash = hash[:4]
	}
	return hex.EncodeToString(hash)
}

// AuthReader reads tokens and secrets.
type AuthReader interface {
	// Token looks a token up by TokenHash, or returns ErrNotFound. A
	// revoked token is returned too, with Revoked set: whoever
	// authenticates with it must refuse it unless rec.Live().
	Token(ctx context.Context, hash []byte) (TokenRecord, error)
	// TokenCount counts every token ever created, revoked ones included.
	// serve makes a first admin token only on a database where this is 0:
	// counting only live tokens would let a restart (with a generated token
	// printed on stderr, or an XBORDER_ADMIN_TOKEN anyone who can set the
	// service's environment chose) mint a new admin after an operator
	// revoked every token, perhaps precisely to lock the service down.
	// With every token revoked, an admin is made on purpose with
	// `xborder token create --role admin`, which needs the database itself.
	TokenCount(ctx context.Context) (int, error)
	// ListTokens returns every token, revoked ones included, oldest first
	// (by creation time, then hash).
	ListTokens(ctx context.Context) ([]TokenRecord, error)
	// PseudonymKey is the per-database secret for audit.Pseudonymizer.
	PseudonymKey(ctx context.Context) ([]byte, error)
}

// AuthWriter creates and revokes tokens.
type AuthWriter interface {
	// CreateToken stores a token hash; ErrConflict if it exists.
	CreateToken(ctx context.Context, rec TokenRecord) error
	// RevokeToken marks a live token revoked at time at (the row stays);
	// ErrNotFound if no token has this hash, ErrConflict if it is already
	// revoked (its first revocation time is kept).
	RevokeToken(ctx context.Context, hash []byte, at time.Time) error
}

// ---- audit ----

// AuditReader reads the audit log.
type AuditReader interface {
	// Origin names this log in checkpoints ("xborder.log/<random>").
	Origin(ctx context.Context) (string, error)
	// LogSize is the number of entries (including this transaction's).
	LogSize(ctx context.Context) (uint64, error)
	// Entries streams entries with from <= index < to in index order.
	Entries(ctx context.Context, from, to uint64, fn func(audit.StoredEntry) error) error
	// ReadNodes returns stored node hashes (audit.NodeReader).
	ReadNodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error)
	// LatestCheckpoint returns the newest checkpoint, or ErrNotFound.
	LatestCheckpoint(ctx context.Context) (audit.SignedCheckpoint, error)
	// CheckpointAt returns the checkpoint of a size, or ErrNotFound.
	CheckpointAt(ctx context.Context, size uint64) (audit.SignedCheckpoint, error)
	// Checkpoints calls fn with every checkpoint note, oldest first.
	Checkpoints(ctx context.Context, fn func(note []byte) error) error
	// InclusionProof proves entry index in the tree of a size that must have
	// a signed checkpoint (ErrNotFound otherwise): proofs are pinned.
	InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error)
	// ConsistencyProof proves the tree of size from is a prefix of the tree
	// of size to; both must have signed checkpoints.
	ConsistencyProof(ctx context.Context, from, to uint64) ([][]byte, error)
	// ArchiveRecords returns the signed archive records, oldest first.
	ArchiveRecords(ctx context.Context) ([][]byte, error)
	// VerifierKeys returns every public key that ever signed for this log.
	VerifierKeys(ctx context.Context) ([]string, error)
}

// ArchiveGranularity: the log is stored in tiles of this many entries once
// they are complete (one row per tile keeps verification fast), and archiving
// removes whole tiles.
const ArchiveGranularity = 256

// AuditWriter appends to the audit log.
type AuditWriter interface {
	// AppendAudit appends entries and returns their indices. Times are
	// clamped so the log's times never go backwards.
	AppendAudit(ctx context.Context, entries ...audit.Entry) ([]uint64, error)
	// SignCheckpoint signs the tree as it stands in this transaction and
	// stores the checkpoint; if one exists at this size it is returned.
	SignCheckpoint(ctx context.Context, s *audit.Signer, now time.Time) (audit.SignedCheckpoint, error)
	// ArchiveAudit removes the contents of entries up to (not including) to,
	// keeping their hashes, behind a signed archive record. to is rounded
	// down to a multiple of ArchiveGranularity (entries are stored in tiles
	// of that many); ErrInvalid if nothing is left to archive. It refuses
	// with ErrRetention if any of them is younger than audit.RetentionYears.
	ArchiveAudit(ctx context.Context, s *audit.Signer, to uint64, now time.Time) (audit.ArchiveRecord, error)
	// SigningKey returns the active signing key kept in the database,
	// creating one on first use.
	SigningKey(ctx context.Context, now time.Time) (*audit.Signer, error)
	// RotateSigningKey makes a new database key the active one; old public
	// keys stay so old checkpoints still verify.
	RotateSigningKey(ctx context.Context, now time.Time) (*audit.Signer, error)
	// AddVerifierKey records the public key of an external signing key
	// (--signing-key FILE) so verification and bundles know it.
	AddVerifierKey(ctx context.Context, vkey string, now time.Time) error
}
