package postgres

// migrations are applied in order, each once (schema_migrations).
// Never edit a released migration: add a new one.
var migrations = []string{
	// 1: everything.
	`
CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE head (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	seq BIGINT NOT NULL, inv_version BIGINT NOT NULL, check_seq BIGINT NOT NULL,
	log_size BIGINT NOT NULL, log_range BYTEA NOT NULL, log_last_leaf BYTEA NOT NULL, log_last_ts BIGINT NOT NULL);
INSERT INTO head VALUES (1, 0, 0, 0, 0, ''::bytea, decode(repeat('00', 32), 'hex'), 0);
CREATE TABLE processors (id TEXT PRIMARY KEY, ord INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE assets (id TEXT PRIMARY KEY, ord INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE approvals (id TEXT PRIMARY KEY, ord INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE checks (
	seq BIGINT PRIMARY KEY, transfer_id TEXT NOT NULL, processor TEXT NOT NULL, day INTEGER NOT NULL,
	decision TEXT NOT NULL, counted BOOLEAN NOT NULL, backfill BOOLEAN NOT NULL, actor TEXT NOT NULL,
	log_index BIGINT NOT NULL, at BIGINT NOT NULL, transfer TEXT NOT NULL, response BYTEA);
CREATE INDEX checks_processor_day ON checks (processor, day);
CREATE INDEX checks_counted ON checks (day, transfer_id) WHERE counted;
CREATE TABLE year_totals (
	year INTEGER NOT NULL, processor TEXT NOT NULL,
	individuals BIGINT NOT NULL, sensitive BIGINT NOT NULL, unknown BIGINT NOT NULL,
	PRIMARY KEY (year, processor));
CREATE TABLE approval_usage (approval TEXT PRIMARY KEY, individuals BIGINT NOT NULL);
CREATE TABLE idempotency (k TEXT PRIMARY KEY, req_hash BYTEA NOT NULL, response BYTEA NOT NULL, at BIGINT NOT NULL);
CREATE INDEX idempotency_at ON idempotency (at);
CREATE TABLE tokens (hash BYTEA PRIMARY KEY, role TEXT NOT NULL, name TEXT NOT NULL, created BIGINT NOT NULL);
CREATE TABLE audit_entries (idx BIGINT PRIMARY KEY, ts BIGINT NOT NULL, data BYTEA, leaf BYTEA NOT NULL, nodes BYTEA NOT NULL);
CREATE TABLE audit_checkpoints (size BIGINT PRIMARY KEY, ts BIGINT NOT NULL, root BYTEA NOT NULL, key_id TEXT NOT NULL, note TEXT NOT NULL);
CREATE TABLE audit_archives (seq INTEGER PRIMARY KEY, from_idx BIGINT NOT NULL, to_idx BIGINT NOT NULL, before_ts BIGINT NOT NULL, at BIGINT NOT NULL, note TEXT NOT NULL);
CREATE TABLE audit_keys (id TEXT PRIMARY KEY, vkey TEXT NOT NULL, skey TEXT, active BOOLEAN NOT NULL, created BIGINT NOT NULL);

-- The audit log is append-only. The one permitted change is archiving:
-- clearing the content of an entry older than the retention period, keeping
-- its hashes, once a signed archive record covering it exists.
CREATE FUNCTION xborder_audit_entries_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND OLD.data IS NOT NULL AND NEW.data IS NULL AND NEW.idx = OLD.idx AND NEW.ts = OLD.ts
		AND NEW.leaf = OLD.leaf AND NEW.nodes = OLD.nodes
		AND EXISTS (SELECT 1 FROM audit_archives a WHERE OLD.idx >= a.from_idx AND OLD.idx < a.to_idx AND OLD.ts < a.before_ts) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'xborder: audit entries are append-only: only archiving may clear an entry older than the retention period (entry %)', OLD.idx
		USING ERRCODE = 'XB001';
END $$;
CREATE FUNCTION xborder_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'xborder: % is append-only', TG_TABLE_NAME USING ERRCODE = 'XB001';
END $$;
CREATE TRIGGER audit_entries_guard BEFORE UPDATE OR DELETE ON audit_entries
	FOR EACH ROW EXECUTE FUNCTION xborder_audit_entries_guard();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
	FOR EACH STATEMENT EXECUTE FUNCTION xborder_append_only();
CREATE TRIGGER audit_checkpoints_guard BEFORE UPDATE OR DELETE ON audit_checkpoints
	FOR EACH ROW EXECUTE FUNCTION xborder_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
	FOR EACH STATEMENT EXECUTE FUNCTION xborder_append_only();
CREATE TRIGGER audit_archives_guard BEFORE UPDATE OR DELETE ON audit_archives
	FOR EACH ROW EXECUTE FUNCTION xborder_append_only();
CREATE TRIGGER audit_archives_no_truncate BEFORE TRUNCATE ON audit_archives
	FOR EACH STATEMENT EXECUTE FUNCTION xborder_append_only();
CREATE TRIGGER audit_keys_guard BEFORE DELETE ON audit_keys
	FOR EACH ROW EXECUTE FUNCTION xborder_append_only();
CREATE TRIGGER audit_keys_no_truncate BEFORE TRUNCATE ON audit_keys
	FOR EACH STATEMENT EXECUTE FUNCTION xborder_append_only();
`,
}

func init() {
	migrations = append(migrations,
		// 2: complete tiles of 256 entries are packed into one row each.
		`
CREATE TABLE audit_tiles (tile BIGINT PRIMARY KEY, ts_first BIGINT NOT NULL, ts_last BIGINT NOT NULL,
	data BYTEA, leaves BYTEA NOT NULL, nodes BYTEA NOT NULL);
CREATE OR REPLACE FUNCTION xborder_audit_entries_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND OLD.data IS NOT NULL AND NEW.data IS NULL AND NEW.idx = OLD.idx AND NEW.ts = OLD.ts
		AND NEW.leaf = OLD.leaf AND NEW.nodes = OLD.nodes
		AND EXISTS (SELECT 1 FROM audit_archives a WHERE OLD.idx >= a.from_idx AND OLD.idx < a.to_idx AND OLD.ts < a.before_ts) THEN
		RETURN NEW;
	END IF;
	-- An entry row may go only into a sealed tile that carries its leaf hash.
	IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_tiles t WHERE t.tile = OLD.idx / 256
		AND substring(t.leaves from (OLD.idx % 256)::int * 32 + 1 for 32) = OLD.leaf) THEN
		RETURN OLD;
	END IF;
	RAISE EXCEPTION 'xborder: audit entries are append-only: only archiving may clear an entry older than the retention period (entry %)', OLD.idx
		USING ERRCODE = 'XB001';
END $$;
CREATE FUNCTION xborder_audit_tiles_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND OLD.data IS NOT NULL AND NEW.data IS NULL AND NEW.tile = OLD.tile AND NEW.ts_first = OLD.ts_first
		AND NEW.ts_last = OLD.ts_last AND NEW.leaves = OLD.leaves AND NEW.nodes = OLD.nodes
		AND EXISTS (SELECT 1 FROM audit_archives a WHERE OLD.tile * 256 >= a.from_idx AND OLD.tile * 256 + 256 <= a.to_idx AND OLD.ts_last < a.before_ts) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'xborder: audit tiles are append-only: only archiving may clear a tile older than the retention period (tile %)', OLD.tile
		USING ERRCODE = 'XB001';
END $$;
CREATE TRIGGER audit_tiles_guard BEFORE UPDATE OR DELETE ON audit_tiles
	FOR EACH ROW EXECUTE FUNCTION xborder_audit_tiles_guard();
CREATE TRIGGER audit_tiles_no_truncate BEFORE TRUNCATE ON audit_tiles
	FOR EACH STATEMENT EXECUTE FUNCTION xborder_append_only();
`)
}

func init() {
	migrations = append(migrations,
		// 3: tile contents are stored uncompressed out of line: verification
		// reads every tile, and pglz decompression would dominate the server's
		// part of it (the bytes are mostly hashes and short JSON).
		`ALTER TABLE audit_tiles ALTER COLUMN data SET STORAGE EXTERNAL;`)
}

func init() {
	migrations = append(migrations,
		// 4: checks_counted: unused by any query (see the SQLite migration 3).
		`DROP INDEX checks_counted;`)
}

func init() {
	migrations = append(migrations,
		// 5: tokens can be revoked (see the SQLite migration 4).
		`ALTER TABLE tokens ADD COLUMN revoked BIGINT;`)
}
