/* SPDX-License-Identifier: ISC */
/*
 * Sync and rollback operations and the history derived from them. Every
 * attempt is a row (Argo CD keeps only succeeded full syncs, in the
 * Application's status, ten at a time); the rows that succeeded, were full
 * and were not dry runs get the app's next history id when they finish,
 * and the manifests each applied sit beside them so a rollback re-applies
 * exactly what ran, with the chart registry down.
 *
 * The hard part is the two invariants under concurrent writers: one
 * operation in progress per app (a partial unique index, so the loser of a
 * race receives GD_ECONFLICT from SQLite rather than from a check that raced),
 * and history ids that count up per app without gaps or duplicates (taken
 * as MAX + 1 inside a BEGIN IMMEDIATE transaction, and backed by a unique
 * index).
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store_int.h"

#define OP_RESTART_MSG  "gitopsd restarted while the operation was running"
#define OP_LIST_DEFAULT 100
#define OP_LIST_MAX     1000

/* Columns read by op_row, in its order. */
#define OP_COLS                                                                \
	"id, app, app_namespace, project, kind, phase, dry_run, partial, "     \
	"request, initiated_by, automated, revision, revisions, source, "      \
	"sources, rollback_to, started_at, finished_at, message, history_id, " \
	"result"

static const char *const op_kinds[] = { "", "sync", "rollback" };
static const char *const op_phases[] = { "", "Running", "Terminating",
	"Succeeded", "Failed", "Error" };

const char *
gd_store_op_kind_name(enum gd_store_op_kind k)
{
	if ((unsigned)k >= sizeof op_kinds / sizeof op_kinds[0])
		return "";
	return op_kinds[k];
}

const char *
gd_store_op_phase_name(enum gd_store_op_phase p)
{
	if ((unsigned)p >= sizeof op_phases / sizeof op_phases[0])
		return "";
	return op_phases[p];
}

static const char *
op_ns(const char *app_namespace)
{
	return app_namespace != NULL ? app_namespace : "";
}

static int
op_check_json(
    const json_t *j, json_type type, const char *what, struct gd_err *err)
{
	if (j != NULL && json_typeof(j) != type)
		return gd_err_set(err, GD_EINVAL, "operation: %s must be %s",
		    what, type == JSON_ARRAY ? "an array" : "an object");
	return 0;
}

static int
op_check_new(const struct gd_store_op_new *in, struct gd_err *err)
{
	int rc;

	if (in->app == NULL || *in->app == '\0')
		return gd_err_set(err, GD_EINVAL, "operation: no application");
	if (in->project == NULL || *in->project == '\0')
		return gd_err_set(
		    err, GD_EINVAL, "operation on %s: no project", in->app);
	if (*gd_store_op_kind_name(in->kind) == '\0')
		return gd_err_set(err, GD_EINVAL,
		    "operation on %s: unknown kind %d", in->app, (int)in->kind);
	if (in->kind == GD_STORE_OP_ROLLBACK && in->rollback_to < 0)
		return gd_err_set(err, GD_EINVAL,
		    "rollback of %s: history id %lld is negative", in->app,
		    (long long)in->rollback_to);
	if ((rc = op_check_json(in->request, JSON_OBJECT, "request", err)) <
		0 ||
	    (rc = op_check_json(in->revisions, JSON_ARRAY, "revisions", err)) <
		0 ||
	    (rc = op_check_json(in->source, JSON_OBJECT, "source", err)) < 0 ||
	    (rc = op_check_json(in->sources, JSON_ARRAY, "sources", err)) < 0 ||
	    (rc = op_check_json(in->manifests, JSON_ARRAY, "manifests", err)) <
		0)
		return rc;
	return 0;
}

static int
op_put_manifests(struct gd_store *st, int64_t id, const json_t *manifests,
    struct gd_err *err)
{
	static const char sql[] =
	    "INSERT INTO operation_manifests (operation_id, manifests) "
	    "VALUES (?, ?) ON CONFLICT (operation_id) DO UPDATE "
	    "SET manifests = excluded.manifests";
	sqlite3_stmt *stmt = NULL;
	int rc;

	if ((rc = op_check_json(manifests, JSON_ARRAY, "manifests", err)) < 0)
		return rc;
	if ((rc = gd_store_prepare(&stmt, st, sql, err)) < 0 ||
	    (rc = gd_store_bind(st, stmt, err, "Ij", id, manifests)) < 0 ||
	    (rc = gd_store_step(st, stmt, err)) < 0)
		goto out;
	rc = 0;
out:
	gd_store_done(stmt);
	return rc;
}

int
gd_store_op_start(int64_t *id, struct gd_store *st,
    const struct gd_store_op_new *in, struct gd_err *err)
{
	static const char sql[] =
	    "INSERT INTO operations (app, app_namespace, project, kind, "
	    "phase, dry_run, partial, request, initiated_by, automated, "
	    "revision, revisions, source, sources, rollback_to, started_at) "
	    "VALUES (?, ?, ?, ?, 'Running', ?, ?, COALESCE(?, '{}'), ?, ?, "
	    "?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *stmt = NULL;
	int64_t started;
	int rc;

	*id = 0;
	if ((rc = op_check_new(in, err)) < 0)
		return rc;
	started = in->started_ms != 0 ? in->started_ms : gd_store_now_ms(st);
	if ((rc = gd_store_begin(st, err)) < 0)
		return rc;
	if ((rc = gd_store_prepare(&stmt, st, sql, err)) < 0 ||
	    (rc = gd_store_bind(st, stmt, err, "sSssbbjSbsjjj", in->app,
		 in->app_namespace, in->project,
		 gd_store_op_kind_name(in->kind), (int)in->dry_run,
		 (int)in->partial, in->request,
		 in->automated ? NULL : in->initiated_by, (int)in->automated,
		 in->revision, in->revisions, in->source, in->sources)) < 0)
		goto out;
	if (in->kind == GD_STORE_OP_ROLLBACK)
		sqlite3_bind_int64(stmt, 14, in->rollback_to);
	sqlite3_bind_int64(stmt, 15, started);
	if ((rc = gd_store_step(st, stmt, err)) < 0) {
		if (rc == GD_ECONFLICT)
			rc = gd_err_set(err, GD_ECONFLICT,
			    "application %s: another operation is already in "
			    "progress",
			    in->app);
		goto out;
	}
	*id = sqlite3_last_insert_rowid(st->db);
	if (in->manifests != NULL &&
	    (rc = op_put_manifests(st, *id, in->manifests, err)) < 0)
		goto out;
	rc = 0;
out:
	gd_store_done(stmt);
	if (rc < 0) {
		*id = 0;
		gd_store_rollback(st);
		return rc;
	}
	return gd_store_commit(st, err);
}

/* Why an update that matched no row did not: unknown, or already ended. */
static int
op_not_running(struct gd_store *st, int64_t id, struct gd_err *err)
{
	static const char sql[] = "SELECT phase FROM operations WHERE id = ?";
	sqlite3_stmt *stmt = NULL;
	int rc;

	if ((rc = gd_store_prepare(&stmt, st, sql, err)) < 0 ||
	    (rc = gd_store_bind(st, stmt, err, "I", id)) < 0 ||
	    (rc = gd_store_step(st, stmt, err)) < 0)
		goto out;
	if (rc == 0)
		rc = gd_err_set(err, GD_ENOTFOUND, "operation %lld not found",
		    (long long)id);
	else
		rc = gd_err_set(err, GD_ECONFLICT,
		    "operation %lld is not in progress (%s)", (long long)id,
		    (const char *)sqlite3_column_text(stmt, 0));
out:
	gd_store_done(stmt);
	return rc;
}

int
gd_store_op_update(struct gd_store *st, int64_t id, const char *message,
    const json_t *result, struct gd_err *err)
{
	static const char sql[] =
	    "UPDATE operations SET message = COALESCE(?, message), "
	    "result = COALESCE(?, result) "
	    "WHERE id = ? AND phase IN ('Running', 'Terminating')";
	sqlite3_stmt *stmt = NULL;
	int rc;

	if ((rc = op_check_json(result, JSON_OBJECT, "result", err)) < 0)
		return rc;
	if ((rc = gd_store_prepare(&stmt, st, sql, err)) < 0 ||
	    (rc = gd_store_bind(st, stmt, err, "sjI", message, result, id)) <
		0 ||
	    (rc = gd_store_step(st, stmt, err)) < 0)
		goto out;
	rc = sqlite3_changes(st->db) == 1 ? 0 : op_not_running(st, id, err);
out:
	gd_store_done(stmt);
	return rc;
}

int
gd_store_op_terminate(struct gd_store *st, int64_t id, struct gd_err *err)
{
	static const char sql[] =
	    "UPDATE operations SET phase = 'Terminating' "
	    "WHERE id = ? AND phase IN ('Running', 'Terminating')";
	sqlite3_stmt *stmt = NULL;
	int rc;

	if ((rc = gd_store_prepare(&stmt, st, sql, err)) < 0 ||
	    (rc = gd_store_bind(st, stmt, err, "I", id)) < 0 ||
	    (rc = gd_store_step(st, stmt, err)) < 0)
		goto out;
	rc = sqlite3_changes(st->db) == 1 ? 0 : op_not_running(st, id, err);
out:
	gd_store_done(stmt);
	return rc;
}

/*
 * Inside finish's transaction: the history id the operation earns, or -1.
 * Fails as op_not_running when the operation is not in progress.
 */
static int
op_next_history_id(int64_t *hid, struct gd_store *st, int64_t id,
    enum gd_store_op_phase phase, struct gd_err *err)
{
	static const char sel[] =
	    "SELECT app_namespace, app, phase IN ('Running', 'Terminating'), "
	    "dry_run, partial FROM operations WHERE id = ?";
	static const char next[] =
	    "SELECT COALESCE(MAX(history_id) + 1, 0) FROM operations "
	    "WHERE app_namespace = ? AND app = ? AND history_id IS NOT NULL";
	sqlite3_stmt *stmt = NULL, *nstmt = NULL;
	int rc;

	*hid = -1;
	if ((rc = gd_store_prepare(&stmt, st, sel, err)) < 0 ||
	    (rc = gd_store_bind(st, stmt, err, "I", id)) < 0 ||
	    (rc = gd_store_step(st, stmt, err)) < 0)
		goto out;
	if (rc == 0 || sqlite3_column_int(stmt, 2) == 0) {
		rc = op_not_running(st, id, err);
		goto out;
	}
	rc = 0;
	if (phase != GD_STORE_OP_SUCCEEDED || sqlite3_column_int(stmt, 3) ||
	    sqlite3_column_int(stmt, 4))
		goto out;
	if ((rc = gd_store_prepare(&nstmt, st, next, err)) < 0 ||
	    (rc = gd_store_bind(st, nstmt, err, "ss",
		 (const char *)sqlite3_column_text(stmt, 0),
		 (const char *)sqlite3_column_text(stmt, 1))) < 0 ||
	    (rc = gd_store_step(st, nstmt, err)) < 0)
		goto out;
	*hid = sqlite3_column_int64(nstmt, 0);
	rc = 0;
out:
	gd_store_done(nstmt);
	gd_store_done(stmt);
	return rc;
}

int
gd_store_op_finish(int64_t *history_id, struct gd_store *st, int64_t id,
    const struct gd_store_op_end *end, struct gd_err *err)
{
	static const char sql[] =
	    "UPDATE operations SET phase = ?, message = COALESCE(?, message), "
	    "result = COALESCE(?, result), revision = COALESCE(?, revision), "
	    "revisions = COALESCE(?, revisions), source = COALESCE(?, source), "
	    "sources = COALESCE(?, sources), finished_at = ?, history_id = ? "
	    "WHERE id = ?";
	sqlite3_stmt *stmt = NULL;
	int64_t hid = -1, finished;
	int rc;

	if (history_id != NULL)
		*history_id = -1;
	if (end->phase != GD_STORE_OP_SUCCEEDED &&
	    end->phase != GD_STORE_OP_FAILED && end->phase != GD_STORE_OP_ERROR)
		return gd_err_set(err, GD_EINVAL,
		    "operation %lld: cannot end in phase %s", (long long)id,
		    gd_store_op_phase_name(end->phase));
	if ((rc = op_check_json(end->result, JSON_OBJECT, "result", err)) < 0 ||
	    (rc = op_check_json(end->revisions, JSON_ARRAY, "revisions", err)) <
		0 ||
	    (rc = op_check_json(end->source, JSON_OBJECT, "source", err)) < 0 ||
	    (rc = op_check_json(end->sources, JSON_ARRAY, "sources", err)) <
		0 ||
	    (rc = op_check_json(end->manifests, JSON_ARRAY, "manifests", err)) <
		0)
		return rc;
	finished =
	    end->finished_ms != 0 ? end->finished_ms : gd_store_now_ms(st);
	if ((rc = gd_store_begin(st, err)) < 0)
		return rc;
	if ((rc = op_next_history_id(&hid, st, id, end->phase, err)) < 0 ||
	    (rc = gd_store_prepare(&stmt, st, sql, err)) < 0 ||
	    (rc = gd_store_bind(st, stmt, err, "ssjsjjjI",
		 gd_store_op_phase_name(end->phase), end->message, end->result,
		 end->revision, end->revisions, end->source, end->sources,
		 finished)) < 0)
		goto out;
	if (hid >= 0)
		sqlite3_bind_int64(stmt, 9, hid);
	sqlite3_bind_int64(stmt, 10, id);
	if ((rc = gd_store_step(st, stmt, err)) < 0)
		goto out;
	if (end->manifests != NULL &&
	    (rc = op_put_manifests(st, id, end->manifests, err)) < 0)
		goto out;
	rc = 0;
out:
	gd_store_done(stmt);
	if (rc < 0) {
		gd_store_rollback(st);
		return rc;
	}
	if ((rc = gd_store_commit(st, err)) < 0)
		return rc;
	if (history_id != NULL)
		*history_id = hid;
	return 0;
}

int
gd_store_op_recover(struct gd_store *st, struct gd_err *err)
{
	static const char sql[] =
	    "UPDATE operations SET phase = 'Error', message = ?, "
	    "finished_at = ? WHERE phase IN ('Running', 'Terminating')";
	sqlite3_stmt *stmt = NULL;
	int rc;

	if ((rc = gd_store_prepare(&stmt, st, sql, err)) < 0 ||
	    (rc = gd_store_bind(st, stmt, err, "sI", OP_RESTART_MSG,
		 gd_store_now_ms(st))) < 0 ||
	    (rc = gd_store_step(st, stmt, err)) < 0)
		goto out;
	rc = sqlite3_changes(st->db);
out:
	gd_store_done(stmt);
	return rc;
}

/* --- reading -------------------------------------------------------------- */

static json_t *
op_initiated_by(sqlite3_stmt *stmt, int user_col, int auto_col)
{
	const char *user;
	json_t *o;

	o = json_object();
	user = (const char *)sqlite3_column_text(stmt, user_col);
	if (user != NULL && *user != '\0')
		json_object_set_new(o, "username", json_string(user));
	json_object_set_new(o, "automated",
	    json_boolean(sqlite3_column_int(stmt, auto_col) != 0));
	return o;
}

/* One row of OP_COLS as a new object in *out. */
static int
op_row(json_t **out, sqlite3_stmt *stmt, struct gd_err *err)
{
	const char *ns;
	json_t *o;
	int rc;

	o = json_object();
	gd_store_set_int(o, "id", stmt, 0);
	gd_store_set_str(o, "app", stmt, 1);
	ns = (const char *)sqlite3_column_text(stmt, 2);
	if (ns != NULL && *ns != '\0')
		json_object_set_new(o, "appNamespace", json_string(ns));
	gd_store_set_str(o, "project", stmt, 3);
	gd_store_set_str(o, "kind", stmt, 4);
	gd_store_set_str(o, "phase", stmt, 5);
	gd_store_set_bool(o, "dryRun", stmt, 6);
	gd_store_set_bool(o, "partial", stmt, 7);
	json_object_set_new(o, "initiatedBy", op_initiated_by(stmt, 9, 10));
	gd_store_set_str(o, "revision", stmt, 11);
	gd_store_set_int(o, "rollbackTo", stmt, 15);
	gd_store_set_time(o, "startedAt", stmt, 16);
	gd_store_set_time(o, "finishedAt", stmt, 17);
	gd_store_set_str(o, "message", stmt, 18);
	gd_store_set_int(o, "historyId", stmt, 19);
	if ((rc = gd_store_set_json(o, "request", stmt, 8, err)) < 0 ||
	    (rc = gd_store_set_json(o, "revisions", stmt, 12, err)) < 0 ||
	    (rc = gd_store_set_json(o, "source", stmt, 13, err)) < 0 ||
	    (rc = gd_store_set_json(o, "sources", stmt, 14, err)) < 0 ||
	    (rc = gd_store_set_json(o, "syncResult", stmt, 20, err)) < 0) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}

/*
 * Runs a bound statement over OP_COLS and collects its rows: into a new
 * array, or (one == true) the single row as an object, GD_ENOTFOUND with
 * what when there is none.
 */
static int
op_collect(json_t **out, struct gd_store *st, sqlite3_stmt *stmt, bool one,
    const char *what, struct gd_err *err)
{
	json_t *arr, *row = NULL;
	int rc;

	arr = json_array();
	while ((rc = gd_store_step(st, stmt, err)) == 1) {
		if ((rc = op_row(&row, stmt, err)) < 0)
			break;
		json_array_append_new(arr, row);
	}
	if (rc == 0 && one && json_array_size(arr) == 0)
		rc = gd_err_set(err, GD_ENOTFOUND, "%s", what);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = one ? json_incref(json_array_get(arr, 0)) : json_incref(arr);
	json_decref(arr);
	return 0;
}

int
gd_store_op_get(
    json_t **out, struct gd_store *st, int64_t id, struct gd_err *err)
{
	static const char sql[] =
	    "SELECT " OP_COLS " FROM operations WHERE id = ?";
	sqlite3_stmt *stmt = NULL;
	char what[64];
	int rc;

	*out = NULL;
	snprintf(what, sizeof what, "operation %lld not found", (long long)id);
	if ((rc = gd_store_prepare(&stmt, st, sql, err)) == 0 &&
	    (rc = gd_store_bind(st, stmt, err, "I", id)) == 0)
		rc = op_collect(out, st, stmt, true, what, err);
	gd_store_done(stmt);
	return rc;
}

int
gd_store_op_last(json_t **out, struct gd_store *st, const char *app_namespace,
    const char *app, struct gd_err *err)
{
	static const char sql[] =
	    "SELECT " OP_COLS " FROM operations "
	    "WHERE app_namespace = ? AND app = ? ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *stmt = NULL;
	char what[128];
	int rc;

	*out = NULL;
	if (app == NULL)
		return gd_err_set(err, GD_EINVAL, "operation: no application");
	snprintf(what, sizeof what, "application %s has no operation", app);
	if ((rc = gd_store_prepare(&stmt, st, sql, err)) == 0 &&
	    (rc = gd_store_bind(
		 st, stmt, err, "ss", op_ns(app_namespace), app)) == 0)
		rc = op_collect(out, st, stmt, true, what, err);
	gd_store_done(stmt);
	return rc;
}

int
gd_store_op_list(json_t **out, struct gd_store *st, const char *app_namespace,
    const char *app, size_t limit, int64_t before_id, struct gd_err *err)
{
	static const char sql[] =
	    "SELECT " OP_COLS " FROM operations "
	    "WHERE app_namespace = ? AND app = ? AND id < ? "
	    "ORDER BY id DESC LIMIT ?";
	sqlite3_stmt *stmt = NULL;
	int rc;

	*out = NULL;
	if (app == NULL)
		return gd_err_set(err, GD_EINVAL, "operation: no application");
	if (limit == 0)
		limit = OP_LIST_DEFAULT;
	if (limit > OP_LIST_MAX)
		limit = OP_LIST_MAX;
	if ((rc = gd_store_prepare(&stmt, st, sql, err)) == 0 &&
	    (rc = gd_store_bind(st, stmt, err, "ssII", op_ns(app_namespace),
		 app, before_id > 0 ? before_id : INT64_MAX, (int64_t)limit)) ==
		0)
		rc = op_collect(out, st, stmt, false, NULL, err);
	gd_store_done(stmt);
	return rc;
}

static int
op_manifests_col(json_t **out, sqlite3_stmt *stmt, int col, struct gd_err *err)
{
	json_t *holder;
	int rc;

	holder = json_object();
	if ((rc = gd_store_set_json(holder, "manifests", stmt, col, err)) == 0)
		*out = json_incref(json_object_get(holder, "manifests"));
	json_decref(holder);
	return rc;
}

int
gd_store_op_manifests(
    json_t **out, struct gd_store *st, int64_t id, struct gd_err *err)
{
	static const char sql[] = "SELECT manifests FROM operation_manifests "
				  "WHERE operation_id = ?";
	sqlite3_stmt *stmt = NULL;
	int rc;

	*out = NULL;
	if ((rc = gd_store_prepare(&stmt, st, sql, err)) < 0 ||
	    (rc = gd_store_bind(st, stmt, err, "I", id)) < 0 ||
	    (rc = gd_store_step(st, stmt, err)) < 0)
		goto out;
	if (rc == 0)
		rc = gd_err_set(err, GD_ENOTFOUND,
		    "operation %lld has no stored manifests", (long long)id);
	else
		rc = op_manifests_col(out, stmt, 0, err);
out:
	gd_store_done(stmt);
	return rc;
}

/* --- history -------------------------------------------------------------- */

/* Columns read by history_row, in its order (manifests is optional). */
#define HIST_COLS                                                              \
	"o.history_id, o.revision, o.revisions, o.source, o.sources, "         \
	"o.started_at, o.finished_at, o.initiated_by, o.automated, o.id, "     \
	"o.kind"

static int
history_row(
    json_t **out, sqlite3_stmt *stmt, bool manifests, struct gd_err *err)
{
	json_t *o, *m = NULL;
	int rc;

	o = json_object();
	gd_store_set_int(o, "id", stmt, 0);
	gd_store_set_str(o, "revision", stmt, 1);
	gd_store_set_time(o, "deployStartedAt", stmt, 5);
	gd_store_set_time(o, "deployedAt", stmt, 6);
	json_object_set_new(o, "initiatedBy", op_initiated_by(stmt, 7, 8));
	gd_store_set_int(o, "operationId", stmt, 9);
	gd_store_set_str(o, "kind", stmt, 10);
	if ((rc = gd_store_set_json(o, "revisions", stmt, 2, err)) < 0 ||
	    (rc = gd_store_set_json(o, "source", stmt, 3, err)) < 0 ||
	    (rc = gd_store_set_json(o, "sources", stmt, 4, err)) < 0)
		goto out;
	if (manifests && sqlite3_column_type(stmt, 11) != SQLITE_NULL) {
		if ((rc = op_manifests_col(&m, stmt, 11, err)) < 0)
			goto out;
		json_object_set_new(o, "manifests", m);
	}
	*out = o;
	o = NULL;
out:
	json_decref(o);
	return rc;
}

int
gd_store_history_list(json_t **out, struct gd_store *st,
    const char *app_namespace, const char *app, size_t limit,
    struct gd_err *err)
{
	static const char sql[] =
	    "SELECT " HIST_COLS " FROM operations o "
	    "WHERE o.app_namespace = ? AND o.app = ? "
	    "AND o.history_id IS NOT NULL ORDER BY o.history_id DESC LIMIT ?";
	sqlite3_stmt *stmt = NULL;
	json_t *arr = NULL, *row;
	int rc;

	*out = NULL;
	if (app == NULL)
		return gd_err_set(err, GD_EINVAL, "history: no application");
	if ((rc = gd_store_prepare(&stmt, st, sql, err)) < 0 ||
	    (rc = gd_store_bind(st, stmt, err, "ssI", op_ns(app_namespace), app,
		 limit == 0 ? (int64_t)-1 : (int64_t)limit)) < 0)
		goto out;
	arr = json_array();
	while ((rc = gd_store_step(st, stmt, err)) == 1) {
		if ((rc = history_row(&row, stmt, false, err)) < 0)
			goto out;
		json_array_append_new(arr, row);
	}
	if (rc == 0) {
		*out = arr;
		arr = NULL;
	}
out:
	json_decref(arr);
	gd_store_done(stmt);
	return rc;
}

int
gd_store_history_get(json_t **out, struct gd_store *st,
    const char *app_namespace, const char *app, int64_t history_id,
    struct gd_err *err)
{
	static const char sql[] =
	    "SELECT " HIST_COLS ", m.manifests FROM operations o "
	    "LEFT JOIN operation_manifests m ON m.operation_id = o.id "
	    "WHERE o.app_namespace = ? AND o.app = ? AND o.history_id = ?";
	sqlite3_stmt *stmt = NULL;
	int rc;

	*out = NULL;
	if (app == NULL)
		return gd_err_set(err, GD_EINVAL, "history: no application");
	if ((rc = gd_store_prepare(&stmt, st, sql, err)) < 0 ||
	    (rc = gd_store_bind(st, stmt, err, "ssI", op_ns(app_namespace), app,
		 history_id)) < 0 ||
	    (rc = gd_store_step(st, stmt, err)) < 0)
		goto out;
	if (rc == 0)
		rc = gd_err_set(err, GD_ENOTFOUND,
		    "application %s does not have deployment with id %lld", app,
		    (long long)history_id);
	else
		rc = history_row(out, stmt, true, err);
out:
	gd_store_done(stmt);
	return rc;
}
