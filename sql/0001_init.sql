-- SPDX-License-Identifier: ISC
--
-- Schema 1: what git does not hold. Sync and rollback operations (every
-- attempt; the succeeded ones are Argo CD's history), the manifests each
-- applied, the append-only audit log, API tokens and UI sessions.
--
-- The runner (server/store/store.c) wraps each file in a transaction and
-- sets user_version: no BEGIN/COMMIT here. Times are milliseconds since the
-- Unix epoch. JSON columns hold compact JSON text, checked by json_valid().

-- Every sync and rollback attempt, failed, dry-run and partial ones too.
-- history_id is Argo CD's status.history[].id: counted per app from 0, set
-- only when a full, non-dry-run operation succeeds.
CREATE TABLE operations (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	app TEXT NOT NULL CHECK (app <> ''),
	app_namespace TEXT NOT NULL DEFAULT '',
	project TEXT NOT NULL CHECK (project <> ''),
	kind TEXT NOT NULL CHECK (kind IN ('sync', 'rollback')),
	phase TEXT NOT NULL CHECK (phase IN ('Running', 'Terminating',
	    'Succeeded', 'Failed', 'Error')),
	dry_run INTEGER NOT NULL DEFAULT 0 CHECK (dry_run IN (0, 1)),
	partial INTEGER NOT NULL DEFAULT 0 CHECK (partial IN (0, 1)),
	request TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(request)),
	initiated_by TEXT NOT NULL DEFAULT '',
	automated INTEGER NOT NULL DEFAULT 0 CHECK (automated IN (0, 1)),
	revision TEXT,
	revisions TEXT CHECK (revisions IS NULL OR json_valid(revisions)),
	source TEXT CHECK (source IS NULL OR json_valid(source)),
	sources TEXT CHECK (sources IS NULL OR json_valid(sources)),
	rollback_to INTEGER,
	started_at INTEGER NOT NULL,
	finished_at INTEGER,
	message TEXT NOT NULL DEFAULT '',
	history_id INTEGER,
	-- syncResult, last: it can be large and lists do not read it.
	result TEXT CHECK (result IS NULL OR json_valid(result)),
	CHECK ((kind = 'rollback') = (rollback_to IS NOT NULL)),
	CHECK ((phase IN ('Running', 'Terminating')) = (finished_at IS NULL)),
	CHECK (history_id IS NULL OR
	    (phase = 'Succeeded' AND dry_run = 0 AND partial = 0))
);

-- One operation at a time per app, as Argo CD: a second start fails on
-- this index instead of racing a SELECT.
CREATE UNIQUE INDEX operations_in_progress ON operations (app_namespace, app)
    WHERE phase IN ('Running', 'Terminating');
CREATE UNIQUE INDEX operations_history
    ON operations (app_namespace, app, history_id)
    WHERE history_id IS NOT NULL;
CREATE INDEX operations_app ON operations (app_namespace, app, id);
CREATE INDEX operations_project ON operations (project, id);

-- The rendered objects an operation applied (a JSON array), apart from
-- operations so that listing operations never walks megabytes of overflow
-- pages.
CREATE TABLE operation_manifests (
	operation_id INTEGER PRIMARY KEY
	    REFERENCES operations (id) ON DELETE CASCADE,
	manifests TEXT NOT NULL CHECK (json_type(manifests) = 'array')
);

-- Who did what, append-only. The triggers below refuse UPDATE and DELETE
-- (with recursive_triggers on, which the store sets, INSERT OR REPLACE
-- counts as a DELETE too). There is no pruning in schema 1; a later one
-- would drop and re-create audit_no_delete inside its own transaction.
CREATE TABLE audit (
	id INTEGER PRIMARY KEY,
	time_ms INTEGER NOT NULL,
	actor TEXT NOT NULL CHECK (actor <> ''),
	actor_kind TEXT NOT NULL CHECK (actor_kind IN ('user', 'token',
	    'system')),
	action TEXT NOT NULL CHECK (action <> ''),
	resource TEXT,
	project TEXT,
	outcome TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied',
	    'succeeded', 'failed')),
	message TEXT NOT NULL DEFAULT '',
	detail TEXT CHECK (detail IS NULL OR json_valid(detail)),
	remote_addr TEXT,
	request_id TEXT
);

-- Each filter pages by id: (column, id) serves "= ? AND id < ? ORDER BY id
-- DESC" without a sort.
CREATE INDEX audit_time ON audit (time_ms);
CREATE INDEX audit_actor ON audit (actor, id);
CREATE INDEX audit_action ON audit (action, id);
CREATE INDEX audit_resource ON audit (resource, id);
CREATE INDEX audit_project ON audit (project, id);
CREATE INDEX audit_outcome ON audit (outcome, id);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit log is append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit log is append-only');
END;

-- API tokens: account tokens (subject = account name) and project role
-- tokens (subject = proj:<project>:<role>). Only a hash of the secret is
-- kept; revoked rows stay for the audit trail.
CREATE TABLE tokens (
	id TEXT PRIMARY KEY CHECK (length(id) = 32),
	subject TEXT NOT NULL CHECK (subject <> ''),
	description TEXT NOT NULL DEFAULT '',
	secret_hash BLOB NOT NULL CHECK (length(secret_hash) = 32),
	created_at INTEGER NOT NULL,
	expires_at INTEGER,
	last_used_at INTEGER,
	revoked_at INTEGER
);
CREATE INDEX tokens_subject ON tokens (subject, created_at);

-- UI login sessions (the cookie holds id and secret; only the hash is
-- kept here).
CREATE TABLE sessions (
	id TEXT PRIMARY KEY CHECK (length(id) = 32),
	username TEXT NOT NULL CHECK (username <> ''),
	secret_hash BLOB NOT NULL CHECK (length(secret_hash) = 32),
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_username ON sessions (username);
