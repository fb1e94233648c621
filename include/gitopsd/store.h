/* SPDX-License-Identifier: ISC */
/*
 * store: what git does not hold, in one SQLite file. Sync and rollback
 * operations (every attempt, with the manifests each applied, so a rollback
 * is exact with the registry down), Argo CD's per-app history derived from
 * them, the append-only audit log, API tokens and UI sessions.
 *
 * Threads: one struct gd_store is one SQLite connection and may be used by
 * one thread at a time. Every thread that needs the store opens its own
 * (WAL mode lets readers and one writer run together; busy_timeout makes
 * writers wait for each other instead of failing).
 *
 * Times are milliseconds since the Unix epoch (int64_t, "_ms"). 0 means
 * "now" for when something happened (started_ms, time_ms), "never" for an
 * expiry and "unset" in outputs. JSON read back from the store uses Argo
 * CD's field names and RFC 3339 times.
 *
 * Errors: GD_EINVAL for bad arguments, GD_ENOTFOUND, GD_ECONFLICT (another
 * operation in progress, operation already finished), GD_EUNAUTH (token or
 * session refused), GD_EUNAVAIL (database busy past the timeout),
 * GD_ETOOBIG (a value over SQLite's size limit) and GD_EINTERNAL for
 * everything SQLite or the disk got wrong.
 */
#ifndef GITOPSD_STORE_H
#define GITOPSD_STORE_H

#include "gitopsd/core.h"

struct gd_store;

/*
 * Opens (creating if needed) the database at path, or ":memory:", and
 * brings its schema up to date. The directory must exist. Also runs
 * sodium_init(), which is idempotent and thread-safe, so callers need not.
 * A schema newer than this binary knows is refused (GD_EINTERNAL).
 */
int gd_store_open(struct gd_store **out, const char *path, struct gd_err *);
/* NULL-safe. Rolls back a transaction left open. */
void gd_store_close(struct gd_store *);
/* The schema version (PRAGMA user_version) the database is at. */
int gd_store_schema_version(const struct gd_store *);

/*
 * Explicit transactions, to group writes (a batch of audit rows, an
 * operation's end and its audit row). They nest: inner levels are
 * savepoints. The outer level is BEGIN IMMEDIATE, so it waits for the
 * write lock up front and never fails half-way with SQLITE_BUSY.
 * A failed commit rolls that level back. gd_store_rollback is NULL-safe
 * and cannot fail.
 */
int gd_store_begin(struct gd_store *, struct gd_err *);
int gd_store_commit(struct gd_store *, struct gd_err *);
void gd_store_rollback(struct gd_store *);

/* --- operations (operations.c) -------------------------------------------- */

enum gd_store_op_kind {
	GD_STORE_OP_SYNC = 1,
	GD_STORE_OP_ROLLBACK,
};

/* Argo CD's OperationPhase. */
enum gd_store_op_phase {
	GD_STORE_OP_RUNNING = 1,
	GD_STORE_OP_TERMINATING,
	GD_STORE_OP_SUCCEEDED,
	GD_STORE_OP_FAILED,
	GD_STORE_OP_ERROR,
};

/* "sync", "rollback"; "Running", "Succeeded", ... ("" when out of range). */
const char *gd_store_op_kind_name(enum gd_store_op_kind);
const char *gd_store_op_phase_name(enum gd_store_op_phase);

/*
 * A new operation. Everything is borrowed. app and project are required;
 * app_namespace NULL or "" means the control plane's own namespace.
 * request is the Argo CD sync or rollback request body as received.
 * revision/revisions/source/sources are what the operation deploys (single
 * or multi-source). partial marks a selective sync or a self-heal: like a
 * dry run it is kept as an attempt but never becomes a history entry.
 * manifests may be given up front (a rollback knows them) or at the end.
 */
struct gd_store_op_new {
	const char *app;
	const char *app_namespace;
	const char *project;
	enum gd_store_op_kind kind;
	const json_t *request;
	const char *initiated_by; /* username; NULL when automated */
	bool automated;
	bool dry_run;
	bool partial;
	const char *revision;
	const json_t *revisions; /* array of strings */
	const json_t *source; /* object */
	const json_t *sources; /* array of objects */
	int64_t rollback_to; /* ROLLBACK only: history id redeployed */
	const json_t *manifests; /* array of objects, or NULL */
	int64_t started_ms;
};

/*
 * How an operation ended. Everything borrowed; a NULL keeps what start (or
 * update) stored. revision(s)/source(s) are for when the commit was only
 * resolved while running: history records these.
 */
struct gd_store_op_end {
	enum gd_store_op_phase phase; /* SUCCEEDED, FAILED or ERROR */
	const char *message;
	const json_t *result; /* Argo CD syncResult */
	const json_t *manifests; /* what was applied */
	const char *revision;
	const json_t *revisions;
	const json_t *source;
	const json_t *sources;
	int64_t finished_ms;
};

/*
 * Records a Running operation and returns its id. GD_ECONFLICT "another
 * operation is already in progress" while the app has one Running or
 * Terminating (enforced by a unique index, so two threads cannot both win).
 */
int gd_store_op_start(int64_t *id, struct gd_store *,
    const struct gd_store_op_new *, struct gd_err *);
/* Replaces the message and result of a running operation (progress). */
int gd_store_op_update(struct gd_store *, int64_t id, const char *message,
    const json_t *result, struct gd_err *);
/* Running -> Terminating (again is a no-op). GD_ECONFLICT once ended. */
int gd_store_op_terminate(struct gd_store *, int64_t id, struct gd_err *);
/*
 * Ends a Running or Terminating operation. A Succeeded, full, non-dry-run
 * operation becomes the app's next history entry: *history_id (may be
 * NULL) receives its id, counted per app from 0 as Argo CD does, or -1.
 * GD_ECONFLICT when the operation already ended.
 */
int gd_store_op_finish(int64_t *history_id, struct gd_store *, int64_t id,
    const struct gd_store_op_end *, struct gd_err *);
/*
 * Start-up: operations left Running or Terminating by a gitopsd that died
 * become Error, "gitopsd restarted while the operation was running".
 * Returns how many (>= 0), or an error code. Call before any operation
 * worker starts.
 */
int gd_store_op_recover(struct gd_store *, struct gd_err *);

/*
 * One operation as a new JSON object: id, app, appNamespace, project, kind,
 * phase, message, dryRun, partial, request, initiatedBy{username,
 * automated}, revision(s), source(s), rollbackTo, startedAt, finishedAt,
 * syncResult, historyId (absent keys were not set). No manifests.
 */
int gd_store_op_get(
    json_t **out, struct gd_store *, int64_t id, struct gd_err *);
/* The app's latest operation (its status.operationState after restart). */
int gd_store_op_last(json_t **out, struct gd_store *, const char *app_namespace,
    const char *app, struct gd_err *);
/*
 * Every attempt on an app, newest first, as an array shaped like
 * gd_store_op_get. before_id > 0 pages (ids below it); limit 0 means 100.
 */
int gd_store_op_list(json_t **out, struct gd_store *, const char *app_namespace,
    const char *app, size_t limit, int64_t before_id, struct gd_err *);
/* The manifests an operation stored (a new array). GD_ENOTFOUND if none. */
int gd_store_op_manifests(
    json_t **out, struct gd_store *, int64_t id, struct gd_err *);

/*
 * Argo CD's status.history, newest first, at most limit entries (the app's
 * revisionHistoryLimit; 0 means all): a new array of {id, revision,
 * revisions, source, sources, deployStartedAt, deployedAt, initiatedBy,
 * operationId, kind}.
 */
int gd_store_history_list(json_t **out, struct gd_store *,
    const char *app_namespace, const char *app, size_t limit, struct gd_err *);
/*
 * One history entry with its "manifests" (what a rollback re-applies).
 * GD_ENOTFOUND "application X does not have deployment with id N".
 */
int gd_store_history_get(json_t **out, struct gd_store *,
    const char *app_namespace, const char *app, int64_t history_id,
    struct gd_err *);

/* --- audit log (audit.c) -------------------------------------------------- */

enum gd_store_actor_kind {
	GD_STORE_ACTOR_USER = 1,
	GD_STORE_ACTOR_TOKEN,
	GD_STORE_ACTOR_SYSTEM,
};

enum gd_store_outcome {
	GD_STORE_ALLOWED = 1, /* a permission check passed */
	GD_STORE_DENIED, /* ... or failed */
	GD_STORE_SUCCEEDED, /* the action was carried out */
	GD_STORE_FAILED,
};

/* "user", "token", "system"; "allowed", ...; "" when out of range. */
const char *gd_store_actor_kind_name(enum gd_store_actor_kind);
const char *gd_store_outcome_name(enum gd_store_outcome);
/* The reverse, for query strings: 0 when unknown. */
enum gd_store_actor_kind gd_store_actor_kind_parse(const char *);
enum gd_store_outcome gd_store_outcome_parse(const char *);

/*
 * One audit row, all borrowed. actor (username, token id or "gitopsd"),
 * actor_kind, action ("applications.sync") and outcome are required; the
 * rest may be NULL. time_ms 0 means now.
 */
struct gd_store_audit {
	int64_t time_ms;
	const char *actor;
	enum gd_store_actor_kind actor_kind;
	const char *action;
	const char *resource; /* "guestbook", "proj:default:ci" */
	const char *project;
	enum gd_store_outcome outcome;
	const char *message;
	const json_t *detail; /* any JSON: request options, diff summary */
	const char *remote_addr;
	const char *request_id;
};

/* Appends one row (its own transaction unless one is open). */
int gd_store_audit_add(int64_t *id, struct gd_store *,
    const struct gd_store_audit *, struct gd_err *);
/* Appends n rows in one transaction: all or none. */
int gd_store_audit_add_many(struct gd_store *, const struct gd_store_audit *,
    size_t n, struct gd_err *);

/*
 * Query filter. Unset fields (NULL, 0) match everything; strings match
 * exactly. since_ms is inclusive, until_ms exclusive. before_id is the
 * paging cursor: only rows with a smaller id.
 */
struct gd_store_audit_filter {
	int64_t since_ms;
	int64_t until_ms;
	const char *actor;
	enum gd_store_actor_kind actor_kind;
	const char *action;
	const char *resource;
	const char *project;
	enum gd_store_outcome outcome;
	int64_t before_id;
	size_t limit; /* query only; 0 means 100, at most 1000 */
};

/*
 * Matching rows newest first as a new array of {id, time, timeMs, actor,
 * actorKind, action, resource, project, outcome, message, detail,
 * remoteAddr, requestId}. *next receives the cursor for the next page (pass it
 * as before_id), or 0 when this page is the last.
 */
int gd_store_audit_query(json_t **items, int64_t *next, struct gd_store *,
    const struct gd_store_audit_filter *, struct gd_err *);

/*
 * Export: every matching row (limit ignored), oldest first as a log reads,
 * one compact JSON object per call. line is NUL-terminated with no
 * newline, borrowed for the call. A negative return stops the export and
 * is returned (the callback sets err).
 */
typedef int (*gd_store_line_fn)(
    void *arg, const char *line, size_t len, struct gd_err *);
int gd_store_audit_export(struct gd_store *,
    const struct gd_store_audit_filter *, gd_store_line_fn, void *arg,
    struct gd_err *);
/* The same as JSON lines ("...\n" each) appended to buf. */
int gd_store_audit_export_buf(struct gd_buf *, struct gd_store *,
    const struct gd_store_audit_filter *, struct gd_err *);

/* --- API tokens (tokens.c) ------------------------------------------------ */

#define GD_STORE_ID_LEN 32 /* hex characters of a token or session id */

/*
 * A token or session as read back: no secret, ever. Embedded:
 * _init/_dispose (dispose is NULL-safe and may be repeated).
 */
struct gd_store_token {
	char id[GD_STORE_ID_LEN + 1];
	char *subject; /* account name or "proj:<project>:<role>" */
	char *description;
	int64_t created_ms;
	int64_t expires_ms; /* 0: never */
	int64_t last_used_ms;
	int64_t revoked_ms;
};
void gd_store_token_init(struct gd_store_token *);
void gd_store_token_dispose(struct gd_store_token *);

/*
 * Creates a token for subject, valid until expires_ms (0: never). *token
 * receives the plaintext "gdt_<id>_<secret>" (caller frees with
 * gd_store_secret_free): it is shown once and only its hash is stored.
 * *id (may be NULL) receives the id.
 */
int gd_store_token_create(char **token, char id[GD_STORE_ID_LEN + 1],
    struct gd_store *, const char *subject, const char *description,
    int64_t expires_ms, struct gd_err *);
/*
 * Checks a presented token. GD_EUNAUTH when malformed, unknown, wrong,
 * expired or revoked; the message names the token id when it parsed, never
 * the secret. Records last_used (at most once a minute, to spare writes).
 */
int gd_store_token_verify(struct gd_store_token *out, struct gd_store *,
    const char *token, struct gd_err *);
/* Tokens of subject (NULL: all), newest first, revoked ones included:
 * a new array of {id, subject, description, issuedAt, expiresAt,
 * lastUsedAt, revokedAt} in epoch seconds as Argo CD lists them. */
int gd_store_token_list(
    json_t **out, struct gd_store *, const char *subject, struct gd_err *);
/* Revokes for good (the row stays, for the audit trail). Revoking twice
 * keeps the first time. GD_ENOTFOUND for an unknown id. */
int gd_store_token_revoke(struct gd_store *, const char *id, struct gd_err *);

/* Wipes and frees a plaintext token or cookie. NULL-safe. */
void gd_store_secret_free(char *);

/* --- UI sessions (sessions.c) --------------------------------------------- */

struct gd_store_session {
	char id[GD_STORE_ID_LEN + 1];
	char *username;
	int64_t created_ms;
	int64_t expires_ms;
	int64_t last_seen_ms;
};
void gd_store_session_init(struct gd_store_session *);
void gd_store_session_dispose(struct gd_store_session *);

/*
 * Logs username in for ttl_ms. *cookie receives the value "gds_<id>_<secret>"
 * (free with gd_store_secret_free), shown once; only its hash is stored.
 */
int gd_store_session_create(char **cookie, struct gd_store *,
    const char *username, int64_t ttl_ms, struct gd_err *);
/*
 * Checks a cookie: GD_EUNAUTH when malformed, unknown, wrong or expired.
 * Slides last_seen (written at most once a minute).
 */
int gd_store_session_verify(struct gd_store_session *out, struct gd_store *,
    const char *cookie, struct gd_err *);
/* Logout: deletes the session if the cookie is valid; an unknown or
 * expired one is not an error (the user is logged out either way). */
int gd_store_session_delete(
    struct gd_store *, const char *cookie, struct gd_err *);
/* Deletes every session of username (password change, account disabled). */
int gd_store_session_delete_user(
    struct gd_store *, const char *username, struct gd_err *);
/* Deletes expired sessions. Returns how many (>= 0), or an error code. */
int gd_store_session_purge(struct gd_store *, struct gd_err *);

#endif /* GITOPSD_STORE_H */
