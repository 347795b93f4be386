package sqlite

// migrations are applied in order, each once (schema_migrations).
// Never edit a released migration: add a new one.
var migrations = []string{
	// 1: everything.
	`
CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE head (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	seq INTEGER NOT NULL, inv_version INTEGER NOT NULL, check_seq INTEGER NOT NULL,
	log_size INTEGER NOT NULL, log_range BLOB NOT NULL, log_last_leaf BLOB NOT NULL, log_last_ts INTEGER NOT NULL);
INSERT INTO head VALUES (1, 0, 0, 0, 0, X'', zeroblob(32), 0);
CREATE TABLE processors (id TEXT PRIMARY KEY, ord INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE assets (id TEXT PRIMARY KEY, ord INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE approvals (id TEXT PRIMARY KEY, ord INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE checks (
	seq INTEGER PRIMARY KEY, transfer_id TEXT NOT NULL, processor TEXT NOT NULL, day INTEGER NOT NULL,
	decision TEXT NOT NULL, counted INTEGER NOT NULL, backfill INTEGER NOT NULL, actor TEXT NOT NULL,
	log_index INTEGER NOT NULL, at INTEGER NOT NULL, transfer TEXT NOT NULL, response BLOB);
CREATE INDEX checks_processor_day ON checks (processor, day);
CREATE INDEX checks_counted ON checks (day, transfer_id) WHERE counted;
CREATE TABLE year_totals (
	year INTEGER NOT NULL, processor TEXT NOT NULL,
	individuals INTEGER NOT NULL, sensitive INTEGER NOT NULL, unknown INTEGER NOT NULL,
	PRIMARY KEY (year, processor));
CREATE TABLE approval_usage (approval TEXT PRIMARY KEY, individuals INTEGER NOT NULL);
CREATE TABLE idempotency (k TEXT PRIMARY KEY, req_hash BLOB NOT NULL, response BLOB NOT NULL, at INTEGER NOT NULL);
CREATE INDEX idempotency_at ON idempotency (at);
CREATE TABLE tokens (hash BLOB PRIMARY KEY, role TEXT NOT NULL, name TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE audit_entries (idx INTEGER PRIMARY KEY, ts INTEGER NOT NULL, data BLOB, leaf BLOB NOT NULL, nodes BLOB NOT NULL);
CREATE TABLE audit_checkpoints (size INTEGER PRIMARY KEY, ts INTEGER NOT NULL, root BLOB NOT NULL, key_id TEXT NOT NULL, note TEXT NOT NULL);
CREATE TABLE audit_archives (seq INTEGER PRIMARY KEY, from_idx INTEGER NOT NULL, to_idx INTEGER NOT NULL, before_ts INTEGER NOT NULL, at INTEGER NOT NULL, note TEXT NOT NULL);
CREATE TABLE audit_keys (id TEXT PRIMARY KEY, vkey TEXT NOT NULL, skey TEXT, active INTEGER NOT NULL, created INTEGER NOT NULL);

-- The audit log is append-only. The one permitted change is archiving:
-- clearing the content of an entry older than the retention period, keeping
-- its hashes, once a signed archive record covering it exists.
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'xborder: audit entries are append-only: they cannot be deleted'); END;
CREATE TRIGGER audit_entries_guard BEFORE UPDATE ON audit_entries
WHEN NOT (OLD.data IS NOT NULL AND NEW.data IS NULL AND NEW.idx = OLD.idx AND NEW.ts = OLD.ts
	AND NEW.leaf = OLD.leaf AND NEW.nodes = OLD.nodes
	AND EXISTS (SELECT 1 FROM audit_archives a WHERE OLD.idx >= a.from_idx AND OLD.idx < a.to_idx AND OLD.ts < a.before_ts))
BEGIN SELECT RAISE(ABORT, 'xborder: audit entries are append-only: only archiving may clear an entry older than the retention period'); END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'xborder: audit checkpoints are append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'xborder: audit checkpoints are append-only'); END;
CREATE TRIGGER audit_archives_no_update BEFORE UPDATE ON audit_archives
BEGIN SELECT RAISE(ABORT, 'xborder: audit archive records are append-only'); END;
CREATE TRIGGER audit_archives_no_delete BEFORE DELETE ON audit_archives
BEGIN SELECT RAISE(ABORT, 'xborder: audit archive records are append-only'); END;
CREATE TRIGGER audit_keys_no_delete BEFORE DELETE ON audit_keys
BEGIN SELECT RAISE(ABORT, 'xborder: audit keys cannot be deleted (old checkpoints need them)'); END;
`,
}

func init() {
	migrations = append(migrations,
		// 2: complete tiles of 256 entries are packed into one row each.
		`
CREATE TABLE audit_tiles (tile INTEGER PRIMARY KEY, ts_first INTEGER NOT NULL, ts_last INTEGER NOT NULL,
	data BLOB, leaves BLOB NOT NULL, nodes BLOB NOT NULL);
DROP TRIGGER audit_entries_no_delete;
-- An entry row may go only into a sealed tile that carries its leaf hash.
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
WHEN NOT EXISTS (SELECT 1 FROM audit_tiles t WHERE t.tile = OLD.idx / 256
	AND substr(t.leaves, (OLD.idx % 256) * 32 + 1, 32) = OLD.leaf)
BEGIN SELECT RAISE(ABORT, 'xborder: audit entries are append-only: they cannot be deleted'); END;
CREATE TRIGGER audit_tiles_guard BEFORE UPDATE ON audit_tiles
WHEN NOT (OLD.data IS NOT NULL AND NEW.data IS NULL AND NEW.tile = OLD.tile AND NEW.ts_first = OLD.ts_first
	AND NEW.ts_last = OLD.ts_last AND NEW.leaves = OLD.leaves AND NEW.nodes = OLD.nodes
	AND EXISTS (SELECT 1 FROM audit_archives a WHERE OLD.tile * 256 >= a.from_idx AND OLD.tile * 256 + 256 <= a.to_idx AND OLD.ts_last < a.before_ts))
BEGIN SELECT RAISE(ABORT, 'xborder: audit tiles are append-only: only archiving may clear a tile older than the retention period'); END;
CREATE TRIGGER audit_tiles_no_delete BEFORE DELETE ON audit_tiles
BEGIN SELECT RAISE(ABORT, 'xborder: audit tiles are append-only'); END;
`)
}

func init() {
	migrations = append(migrations,
		// 3: checks_counted indexed (day, transfer_id) of counted checks, but no
		// query reads by it (transfer ids are taken through markers in the
		// idempotency table), and each check cost a random index page in the
		// WAL at every commit.
		`DROP INDEX checks_counted;`)
}

func init() {
	migrations = append(migrations,
		// 4: tokens can be revoked (`xborder token revoke`). The row stays,
		// with the time of revocation: who held which token matters for
		// audits. NULL: live.
		`ALTER TABLE tokens ADD COLUMN revoked INTEGER;`)
}
