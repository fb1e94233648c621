/* SPDX-License-Identifier: ISC */
/*
 * The audit log: one row per action anyone (a user, a token, gitopsd
 * itself) took or was refused, appended and never changed (triggers in
 * sql/0001_init.sql refuse UPDATE and DELETE). Queried newest first with
 * filters and an id cursor, and exported oldest first as JSON lines.
 *
 * The hard part is the filtered query without building SQL from user
 * data: the WHERE clause is assembled only from fixed fragments chosen by
 * which filters are set, and every value is bound, so each filter can use
 * its (column, id) index instead of one catch-all "? IS NULL OR" statement
 * the planner cannot index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_int.h"

#define AUDIT_LIMIT_DEFAULT 100
#define AUDIT_LIMIT_MAX     1000

#define AUDIT_COLS                                                             \
	"id, time_ms, actor, actor_kind, action, resource, project, outcome, " \
	"message, detail, remote_addr, request_id"

static const char *const audit_actor_kinds[] = { "", "user", "token",
	"system" };
static const char *const audit_outcomes[] = { "", "allowed", "denied",
	"succeeded", "failed" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
gd_store_actor_kind_name(enum gd_store_actor_kind k)
{
	return (unsigned)k < NELEM(audit_actor_kinds) ? audit_actor_kinds[k] :
							"";
}

const char *
gd_store_outcome_name(enum gd_store_outcome o)
{
	return (unsigned)o < NELEM(audit_outcomes) ? audit_outcomes[o] : "";
}

enum gd_store_actor_kind
gd_store_actor_kind_parse(const char *s)
{
	size_t i;

	for (i = 1; s != NULL && i < NELEM(audit_actor_kinds); i++)
		if (strcmp(s, audit_actor_kinds[i]) == 0)
			return (enum gd_store_actor_kind)i;
	return 0;
}

enum gd_store_outcome
gd_store_outcome_parse(const char *s)
{
	size_t i;

	for (i = 1; s != NULL && i < NELEM(audit_outcomes); i++)
		if (strcmp(s, audit_outcomes[i]) == 0)
			return (enum gd_store_outcome)i;
	return 0;
}

static int
audit_check(const struct gd_store_audit *a, struct gd_err *err)
{
	if (a->action == NULL || *a->action == '\0')
		return gd_err_set(err, GD_EINVAL, "audit: no action");
	if (a->actor == NULL || *a->actor == '\0')
		return gd_err_set(
		    err, GD_EINVAL, "audit %s: no actor", a->action);
	if (*gd_store_actor_kind_name(a->actor_kind) == '\0' ||
	    a->actor_kind == 0)
		return gd_err_set(err, GD_EINVAL,
		    "audit %s: unknown actor kind %d", a->action,
		    (int)a->actor_kind);
	if (*gd_store_outcome_name(a->outcome) == '\0' || a->outcome == 0)
		return gd_err_set(err, GD_EINVAL,
		    "audit %s: unknown outcome %d", a->action, (int)a->outcome);
	return 0;
}

int
gd_store_audit_add(int64_t *id, struct gd_store *st,
    const struct gd_store_audit *a, struct gd_err *err)
{
	static const char sql[] =
	    "INSERT INTO audit (time_ms, actor, actor_kind, action, resource, "
	    "project, outcome, message, detail, remote_addr, request_id) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (id != NULL)
		*id = 0;
	if ((rc = audit_check(a, err)) < 0)
		return rc;
	if ((rc = gd_store_prepare(&stmt, st, sql, err)) < 0 ||
	    (rc = gd_store_bind(st, stmt, err, "IssssssSjss",
		 a->time_ms != 0 ? a->time_ms : gd_store_now_ms(st), a->actor,
		 gd_store_actor_kind_name(a->actor_kind), a->action,
		 a->resource, a->project, gd_store_outcome_name(a->outcome),
		 a->message, a->detail, a->remote_addr, a->request_id)) < 0 ||
	    (rc = gd_store_step(st, stmt, err)) < 0)
		goto out;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	rc = 0;
out:
	gd_store_done(stmt);
	return rc;
}

int
gd_store_audit_add_many(struct gd_store *st, const struct gd_store_audit *a,
    size_t n, struct gd_err *err)
{
	size_t i;
	int rc;

	if ((rc = gd_store_begin(st, err)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		if ((rc = gd_store_audit_add(NULL, st, &a[i], err)) < 0) {
			gd_store_rollback(st);
			return rc;
		}
	}
	return gd_store_commit(st, err);
}

/* --- queries -------------------------------------------------------------- */

static int
audit_check_filter(const struct gd_store_audit_filter *f, struct gd_err *err)
{
	if (f->since_ms != 0 && f->until_ms != 0 && f->since_ms > f->until_ms)
		return gd_err_set(
		    err, GD_EINVAL, "audit query: since is after until");
	if (f->actor_kind != 0 &&
	    *gd_store_actor_kind_name(f->actor_kind) == '\0')
		return gd_err_set(err, GD_EINVAL,
		    "audit query: unknown actor kind %d", (int)f->actor_kind);
	if (f->outcome != 0 && *gd_store_outcome_name(f->outcome) == '\0')
		return gd_err_set(err, GD_EINVAL,
		    "audit query: unknown outcome %d", (int)f->outcome);
	if (f->before_id < 0)
		return gd_err_set(err, GD_EINVAL,
		    "audit query: negative cursor %lld",
		    (long long)f->before_id);
	return 0;
}

/*
 * Prepares the query for f: newest first with a limit, or (export) oldest
 * first without one. Only constant fragments enter the SQL text.
 */
static int
audit_prepare(sqlite3_stmt **out, struct gd_store *st,
    const struct gd_store_audit_filter *f, bool export, int64_t limit,
    struct gd_err *err)
{
	sqlite3_stmt *stmt = NULL;
	struct gd_buf sql;
	int i = 0, rc = 0;

	*out = NULL;
	gd_buf_init(&sql);
	gd_buf_adds(&sql, "SELECT " AUDIT_COLS " FROM audit WHERE 1");
	if (f->since_ms != 0)
		gd_buf_adds(&sql, " AND time_ms >= ?");
	if (f->until_ms != 0)
		gd_buf_adds(&sql, " AND time_ms < ?");
	if (f->actor != NULL)
		gd_buf_adds(&sql, " AND actor = ?");
	if (f->actor_kind != 0)
		gd_buf_adds(&sql, " AND actor_kind = ?");
	if (f->action != NULL)
		gd_buf_adds(&sql, " AND action = ?");
	if (f->resource != NULL)
		gd_buf_adds(&sql, " AND resource = ?");
	if (f->project != NULL)
		gd_buf_adds(&sql, " AND project = ?");
	if (f->outcome != 0)
		gd_buf_adds(&sql, " AND outcome = ?");
	if (f->before_id != 0)
		gd_buf_adds(&sql, " AND id < ?");
	gd_buf_adds(
	    &sql, export ? " ORDER BY id" : " ORDER BY id DESC LIMIT ?");

	if (sqlite3_prepare_v2(st->db, sql.data, -1, &stmt, NULL) !=
	    SQLITE_OK) {
		rc = gd_store_sqlerr(st, err, "%s: audit query", st->path);
		goto out;
	}
	/* Same order as above. f outlives stmt, so SQLITE_STATIC is safe. */
	if (f->since_ms != 0)
		sqlite3_bind_int64(stmt, ++i, f->since_ms);
	if (f->until_ms != 0)
		sqlite3_bind_int64(stmt, ++i, f->until_ms);
	if (f->actor != NULL)
		sqlite3_bind_text(stmt, ++i, f->actor, -1, SQLITE_STATIC);
	if (f->actor_kind != 0)
		sqlite3_bind_text(stmt, ++i,
		    gd_store_actor_kind_name(f->actor_kind), -1, SQLITE_STATIC);
	if (f->action != NULL)
		sqlite3_bind_text(stmt, ++i, f->action, -1, SQLITE_STATIC);
	if (f->resource != NULL)
		sqlite3_bind_text(stmt, ++i, f->resource, -1, SQLITE_STATIC);
	if (f->project != NULL)
		sqlite3_bind_text(stmt, ++i, f->project, -1, SQLITE_STATIC);
	if (f->outcome != 0)
		sqlite3_bind_text(stmt, ++i, gd_store_outcome_name(f->outcome),
		    -1, SQLITE_STATIC);
	if (f->before_id != 0)
		sqlite3_bind_int64(stmt, ++i, f->before_id);
	if (!export)
		sqlite3_bind_int64(stmt, ++i, limit);
	*out = stmt;
	stmt = NULL;
out:
	sqlite3_finalize(stmt);
	gd_buf_dispose(&sql);
	return rc;
}

static int
audit_row(json_t **out, sqlite3_stmt *stmt, struct gd_err *err)
{
	json_t *o;
	int rc;

	o = json_object();
	gd_store_set_int(o, "id", stmt, 0);
	gd_store_set_time(o, "time", stmt, 1);
	gd_store_set_int(o, "timeMs", stmt, 1);
	gd_store_set_str(o, "actor", stmt, 2);
	gd_store_set_str(o, "actorKind", stmt, 3);
	gd_store_set_str(o, "action", stmt, 4);
	gd_store_set_str(o, "resource", stmt, 5);
	gd_store_set_str(o, "project", stmt, 6);
	gd_store_set_str(o, "outcome", stmt, 7);
	gd_store_set_str(o, "message", stmt, 8);
	gd_store_set_str(o, "remoteAddr", stmt, 10);
	gd_store_set_str(o, "requestId", stmt, 11);
	if ((rc = gd_store_set_json(o, "detail", stmt, 9, err)) < 0) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}

int
gd_store_audit_query(json_t **items, int64_t *next, struct gd_store *st,
    const struct gd_store_audit_filter *f, struct gd_err *err)
{
	sqlite3_stmt *stmt = NULL;
	json_t *arr = NULL, *row;
	int64_t limit;
	int rc;

	*items = NULL;
	*next = 0;
	if ((rc = audit_check_filter(f, err)) < 0)
		return rc;
	limit = f->limit == 0          ? AUDIT_LIMIT_DEFAULT :
	    f->limit > AUDIT_LIMIT_MAX ? AUDIT_LIMIT_MAX :
					 (int64_t)f->limit;
	/* One row more than asked tells whether another page exists. */
	if ((rc = audit_prepare(&stmt, st, f, false, limit + 1, err)) < 0)
		goto out;
	arr = json_array();
	while ((rc = gd_store_step(st, stmt, err)) == 1) {
		if ((int64_t)json_array_size(arr) == limit) {
			*next = json_integer_value(json_object_get(
			    json_array_get(arr, (size_t)limit - 1), "id"));
			rc = 0;
			break;
		}
		if ((rc = audit_row(&row, stmt, err)) < 0)
			goto out;
		json_array_append_new(arr, row);
	}
	if (rc < 0)
		goto out;
	*items = arr;
	arr = NULL;
out:
	if (rc < 0)
		*next = 0;
	json_decref(arr);
	sqlite3_finalize(stmt);
	return rc;
}

int
gd_store_audit_export(struct gd_store *st,
    const struct gd_store_audit_filter *f, gd_store_line_fn fn, void *arg,
    struct gd_err *err)
{
	sqlite3_stmt *stmt = NULL;
	json_t *row = NULL;
	char *line = NULL;
	int rc;

	if ((rc = audit_check_filter(f, err)) < 0)
		return rc;
	if ((rc = audit_prepare(&stmt, st, f, true, 0, err)) < 0)
		goto out;
	while ((rc = gd_store_step(st, stmt, err)) == 1) {
		if ((rc = audit_row(&row, stmt, err)) < 0)
			goto out;
		if ((line = json_dumps(row, JSON_COMPACT)) == NULL)
			fatalx("store: json_dumps failed");
		json_decref(row);
		row = NULL;
		if ((rc = fn(arg, line, strlen(line), err)) < 0)
			goto out;
		free(line);
		line = NULL;
	}
out:
	free(line);
	json_decref(row);
	sqlite3_finalize(stmt);
	return rc < 0 ? rc : 0;
}

static int
audit_line_to_buf(void *arg, const char *line, size_t len, struct gd_err *err)
{
	struct gd_buf *b = arg;

	(void)err;
	gd_buf_add(b, line, len);
	gd_buf_addc(b, '\n');
	return 0;
}

int
gd_store_audit_export_buf(struct gd_buf *b, struct gd_store *st,
    const struct gd_store_audit_filter *f, struct gd_err *err)
{
	return gd_store_audit_export(st, f, audit_line_to_buf, b, err);
}
