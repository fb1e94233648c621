/* SPDX-License-Identifier: ISC */
/*
 * The connection: opening with the pragmas gitopsd relies on (WAL, a busy
 * timeout, foreign keys), the migration runner, nested transactions, the
 * prepared-statement cache and the helpers the other store files share to
 * bind values and read columns. This is the one place where SQLite's
 * error codes become struct gd_err.
 *
 * The hard part is the migration runner under concurrency: two processes
 * (or threads) may open a fresh file at once. Each migration runs in a
 * BEGIN IMMEDIATE transaction that re-reads user_version inside, so the
 * loser sees the winner's work and skips it instead of applying it twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "store_int.h"

#define STORE_BUSY_MS 5000

struct store_mig {
	long num;
	const struct gd_embed_file *file;
};

int
gd_store_sqlerr(struct gd_store *st, struct gd_err *err, const char *fmt, ...)
{
	char what[160];
	va_list ap;
	int xrc, code;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	xrc = sqlite3_extended_errcode(st->db);
	switch (xrc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = GD_EUNAVAIL;
		break;
	case SQLITE_CONSTRAINT:
		code = (xrc == SQLITE_CONSTRAINT_UNIQUE ||
			   xrc == SQLITE_CONSTRAINT_PRIMARYKEY) ?
		    GD_ECONFLICT :
		    GD_EINTERNAL;
		break;
	default:
		code = GD_EINTERNAL;
		break;
	}
	return gd_err_set(err, code, "%s: %s", what, sqlite3_errmsg(st->db));
}

int64_t
gd_store_now_ms(const struct gd_store *st)
{
	struct timespec ts;

	if (st->fixed_now_ms != 0)
		return st->fixed_now_ms;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
gd_store_set_now(struct gd_store *st, int64_t ms)
{
	st->fixed_now_ms = ms;
}

int
gd_store_exec(struct gd_store *st, const char *sql, struct gd_err *err)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return gd_store_sqlerr(st, err, "%s", st->path);
	return 0;
}

/* --- statements ----------------------------------------------------------- */

int
gd_store_prepare(sqlite3_stmt **out, struct gd_store *st, const char *sql,
    struct gd_err *err)
{
	struct gd_store_stmt *s;
	size_t i;

	*out = NULL;
	for (i = 0; i < st->nstmt; i++) {
		if (st->stmts[i].sql == sql) {
			*out = st->stmts[i].stmt;
			return 0;
		}
	}
	assert(st->nstmt < GD_STORE_NSTMT);
	s = &st->stmts[st->nstmt];
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
		&s->stmt, NULL) != SQLITE_OK)
		return gd_store_sqlerr(st, err, "%s: prepare", st->path);
	s->sql = sql;
	st->nstmt++;
	*out = s->stmt;
	return 0;
}

void
gd_store_done(sqlite3_stmt *stmt)
{
	if (stmt == NULL)
		return;
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

static int
store_bind_json(sqlite3_stmt *stmt, int i, const json_t *j)
{
	char *text;

	if (j == NULL)
		return sqlite3_bind_null(stmt, i);
	if ((text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		fatalx("store: json_dumps failed");
	return sqlite3_bind_text(stmt, i, text, -1, free);
}

int
gd_store_bind(struct gd_store *st, sqlite3_stmt *stmt, struct gd_err *err,
    const char *types, ...)
{
	const char *s;
	va_list ap;
	int64_t v;
	int i, rc = SQLITE_OK;

	va_start(ap, types);
	for (i = 0; types[i] != '\0' && rc == SQLITE_OK; i++) {
		switch (types[i]) {
		case 's':
		case 'S':
			s = va_arg(ap, const char *);
			if (s == NULL && types[i] == 's')
				rc = sqlite3_bind_null(stmt, i + 1);
			else
				rc = sqlite3_bind_text(stmt, i + 1,
				    s == NULL ? "" : s, -1, SQLITE_TRANSIENT);
			break;
		case 'j':
			rc = store_bind_json(
			    stmt, i + 1, va_arg(ap, const json_t *));
			break;
		case 'I':
		case 'N':
			v = va_arg(ap, int64_t);
			if (v == 0 && types[i] == 'N')
				rc = sqlite3_bind_null(stmt, i + 1);
			else
				rc = sqlite3_bind_int64(stmt, i + 1, v);
			break;
		case 'b':
			rc =
			    sqlite3_bind_int(stmt, i + 1, va_arg(ap, int) != 0);
			break;
		default:
			abort();
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK)
		return gd_err_set(err,
		    rc == SQLITE_TOOBIG ? GD_ETOOBIG : GD_EINTERNAL,
		    "%s: bind parameter %d: %s", st->path, i,
		    sqlite3_errstr(rc));
	return 0;
}

int
gd_store_step(struct gd_store *st, sqlite3_stmt *stmt, struct gd_err *err)
{
	switch (sqlite3_step(stmt)) {
	case SQLITE_ROW:
		return 1;
	case SQLITE_DONE:
		return 0;
	default:
		return gd_store_sqlerr(st, err, "%s", st->path);
	}
}

char *
gd_store_col_strdup(sqlite3_stmt *stmt, int col)
{
	const unsigned char *s;

	if ((s = sqlite3_column_text(stmt, col)) == NULL)
		return NULL;
	return xstrdup((const char *)s);
}

void
gd_store_set_str(json_t *obj, const char *key, sqlite3_stmt *stmt, int col)
{
	const unsigned char *s;

	if ((s = sqlite3_column_text(stmt, col)) != NULL)
		json_object_set_new(obj, key, json_string((const char *)s));
}

void
gd_store_set_int(json_t *obj, const char *key, sqlite3_stmt *stmt, int col)
{
	if (sqlite3_column_type(stmt, col) != SQLITE_NULL)
		json_object_set_new(
		    obj, key, json_integer(sqlite3_column_int64(stmt, col)));
}

void
gd_store_set_bool(json_t *obj, const char *key, sqlite3_stmt *stmt, int col)
{
	json_object_set_new(
	    obj, key, json_boolean(sqlite3_column_int(stmt, col) != 0));
}

void
gd_store_set_time(json_t *obj, const char *key, sqlite3_stmt *stmt, int col)
{
	char buf[GD_TIME_LEN];

	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return;
	gd_time_format(buf, (time_t)(sqlite3_column_int64(stmt, col) / 1000));
	json_object_set_new(obj, key, json_string(buf));
}

int
gd_store_set_json(json_t *obj, const char *key, sqlite3_stmt *stmt, int col,
    struct gd_err *err)
{
	const char *text;
	json_error_t jerr;
	json_t *v;

	if ((text = (const char *)sqlite3_column_text(stmt, col)) == NULL)
		return 0;
	if ((v = json_loads(text, JSON_DECODE_ANY, &jerr)) == NULL)
		return gd_err_set(err, GD_EINTERNAL,
		    "store: corrupt JSON in column %s: %s", key, jerr.text);
	json_object_set_new(obj, key, v);
	return 0;
}

/* --- transactions --------------------------------------------------------- */

int
gd_store_begin(struct gd_store *st, struct gd_err *err)
{
	char sql[32];

	if (st->txdepth == 0)
		snprintf(sql, sizeof sql, "BEGIN IMMEDIATE");
	else
		snprintf(sql, sizeof sql, "SAVEPOINT gd%d", st->txdepth);
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return gd_store_sqlerr(
		    st, err, "%s: begin transaction", st->path);
	st->txdepth++;
	return 0;
}

int
gd_store_commit(struct gd_store *st, struct gd_err *err)
{
	char sql[32];
	int rc;

	assert(st->txdepth > 0);
	/*
	 * After SQLITE_FULL, IOERR or NOMEM SQLite may have rolled the whole
	 * transaction back on its own: committing now would commit nothing
	 * (or, at depth 1, fail confusingly), so say what happened.
	 */
	if (sqlite3_get_autocommit(st->db)) {
		st->txdepth--;
		return gd_err_set(err, GD_EINTERNAL,
		    "%s: transaction was rolled back after an earlier error",
		    st->path);
	}
	if (st->txdepth == 1)
		snprintf(sql, sizeof sql, "COMMIT");
	else
		snprintf(sql, sizeof sql, "RELEASE gd%d", st->txdepth - 1);
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		/* Leave nothing half-open for the next caller. */
		rc = gd_store_sqlerr(st, err, "%s: commit", st->path);
		gd_store_rollback(st);
		return rc;
	}
	st->txdepth--;
	return 0;
}

void
gd_store_rollback(struct gd_store *st)
{
	char sql[64];

	if (st == NULL || st->txdepth == 0)
		return;
	if (st->txdepth == 1)
		snprintf(sql, sizeof sql, "ROLLBACK");
	else
		snprintf(sql, sizeof sql, "ROLLBACK TO gd%d; RELEASE gd%d",
		    st->txdepth - 1, st->txdepth - 1);
	/*
	 * When SQLite already rolled back on its own (SQLITE_FULL, IOERR)
	 * there is nothing left to undo; outer levels find out at commit.
	 */
	if (!sqlite3_get_autocommit(st->db))
		(void)sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	st->txdepth--;
}

/* --- migrations ----------------------------------------------------------- */

static int
store_user_version(int *out, struct gd_store *st, struct gd_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	/* Not cached: PRAGMA statements re-read the schema each run anyway. */
	if (sqlite3_prepare_v2(
		st->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
		return gd_store_sqlerr(st, err, "%s: user_version", st->path);
	if ((rc = gd_store_step(st, stmt, err)) == 1) {
		*out = sqlite3_column_int(stmt, 0);
		rc = 0;
	} else if (rc == 0) {
		rc = gd_err_set(
		    err, GD_EINTERNAL, "%s: no user_version", st->path);
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int
store_mig_cmp(const void *a, const void *b)
{
	const struct store_mig *x = a, *y = b;

	return (x->num > y->num) - (x->num < y->num);
}

/* Numbers and orders table into *out (caller frees); checks 1..n. */
static int
store_mig_list(struct store_mig **out, size_t *np,
    const struct gd_embed_file *table, struct gd_err *err)
{
	struct store_mig *m = NULL;
	const char *name;
	char *end;
	size_t n, i;
	int rc = 0;

	for (n = 0; table[n].name != NULL; n++)
		;
	m = xcalloc(n + 1, sizeof *m);
	for (i = 0; i < n; i++) {
		name = table[i].name;
		m[i].file = &table[i];
		m[i].num = strtol(name, &end, 10);
		if (end == name || *end != '_' || m[i].num <= 0 ||
		    strlen(end) < 5 || strcmp(end + strlen(end) - 4, ".sql")) {
			rc = gd_err_set(err, GD_EINTERNAL,
			    "migration %s: name is not <number>_<what>.sql",
			    name);
			goto out;
		}
	}
	qsort(m, n, sizeof *m, store_mig_cmp);
	for (i = 0; i < n; i++) {
		if (m[i].num != (long)i + 1) {
			rc = gd_err_set(err, GD_EINTERNAL,
			    "migration %s: expected number %zu (migrations "
			    "must be numbered 1, 2, 3... without gaps)",
			    m[i].file->name, i + 1);
			goto out;
		}
	}
	*out = m;
	*np = n;
	m = NULL;
out:
	free(m);
	return rc;
}

static int
store_mig_apply(
    struct gd_store *st, const struct store_mig *m, struct gd_err *err)
{
	char pragma[64], *script = NULL;
	int rc, cur;

	if ((rc = gd_store_begin(st, err)) < 0)
		return rc;
	/* Another connection may have applied it while we waited. */
	if ((rc = store_user_version(&cur, st, err)) < 0)
		goto out;
	if (cur >= m->num)
		goto out;
	script = xstrndup((const char *)m->file->data, m->file->len);
	if (sqlite3_exec(st->db, script, NULL, NULL, NULL) != SQLITE_OK) {
		rc = gd_store_sqlerr(st, err, "%s: migration %s failed",
		    st->path, m->file->name);
		goto out;
	}
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %ld", m->num);
	rc = gd_store_exec(st, pragma, err);
out:
	free(script);
	if (rc < 0) {
		gd_store_rollback(st);
		return rc;
	}
	return gd_store_commit(st, err);
}

int
gd_store_migrate(
    struct gd_store *st, const struct gd_embed_file *table, struct gd_err *err)
{
	struct store_mig *m = NULL;
	size_t n = 0, i;
	int rc, cur;

	if ((rc = store_mig_list(&m, &n, table, err)) < 0 ||
	    (rc = store_user_version(&cur, st, err)) < 0)
		goto out;
	if (cur > (int)n) {
		rc = gd_err_set(err, GD_EINTERNAL,
		    "%s: schema version %d is newer than this gitopsd "
		    "supports (%zu); upgrade gitopsd",
		    st->path, cur, n);
		goto out;
	}
	for (i = (size_t)cur; i < n; i++) {
		if ((rc = store_mig_apply(st, &m[i], err)) < 0)
			goto out;
	}
	rc = store_user_version(&st->version, st, err);
out:
	free(m);
	return rc;
}

/* --- open and close ------------------------------------------------------- */

static int
store_pragmas(struct gd_store *st, struct gd_err *err)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	sqlite3_stmt *stmt = NULL;
	const char *mode;
	bool on_disk;
	int rc, waited;

	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	on_disk = st->path[0] != '\0' && strcmp(st->path, ":memory:") != 0;
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &stmt,
		NULL) != SQLITE_OK)
		return gd_store_sqlerr(st, err, "%s: journal_mode", st->path);
	/*
	 * Switching a fresh file to WAL needs an exclusive lock and SQLite
	 * does not call the busy handler for it: when two connections open a
	 * new database at once, one fails with SQLITE_BUSY at once. Wait here.
	 */
	for (waited = 0;; waited += 10) {
		if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
			break;
		if ((rc & 0xff) != SQLITE_BUSY || waited >= STORE_BUSY_MS) {
			rc = gd_store_sqlerr(
			    st, err, "%s: journal_mode = WAL", st->path);
			goto out;
		}
		sqlite3_reset(stmt);
		nanosleep(&tick, NULL);
	}
	mode = (const char *)sqlite3_column_text(stmt, 0);
	/* Concurrent readers and one writer rely on WAL: refuse without. */
	if (on_disk && (mode == NULL || strcmp(mode, "wal") != 0)) {
		rc = gd_err_set(err, GD_EINTERNAL,
		    "%s: cannot use WAL journal mode (got %s); is the file "
		    "on a network file system?",
		    st->path, mode != NULL ? mode : "nothing");
		goto out;
	}
	/*
	 * synchronous NORMAL in WAL mode keeps the database intact on power
	 * loss (only the last commits may go) and saves an fsync per
	 * transaction. recursive_triggers makes INSERT OR REPLACE fire the
	 * audit table's DELETE trigger, so it cannot overwrite a row.
	 */
	rc = gd_store_exec(st,
	    "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; "
	    "PRAGMA recursive_triggers = ON",
	    err);
out:
	sqlite3_finalize(stmt);
	return rc < 0 ? rc : 0;
}

int
gd_store_open(struct gd_store **out, const char *path, struct gd_err *err)
{
	struct gd_store *st = NULL;
	int rc;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return gd_err_set(err, GD_EINVAL, "store: no database path");
	/* Idempotent and thread-safe: every connection may call it. */
	if (sqlite3_threadsafe() == 0)
		return gd_err_set(err, GD_EINTERNAL,
		    "store: SQLite was built without thread support");
	if (sodium_init() < 0)
		return gd_err_set(
		    err, GD_EINTERNAL, "store: libsodium failed to initialise");
	st = xcalloc(1, sizeof *st);
	st->path = xstrdup(path);
	/* NOMUTEX: a connection is used by one thread at a time. */
	if (sqlite3_open_v2(path, &st->db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOMUTEX,
		NULL) != SQLITE_OK) {
		if (st->db == NULL)
			fatalx("store: out of memory opening %s", path);
		rc = gd_store_sqlerr(st, err, "%s: open", path);
		goto out;
	}
	if ((rc = store_pragmas(st, err)) < 0 ||
	    (rc = gd_store_migrate(st, gd_store_sql, err)) < 0)
		goto out;
	*out = st;
	st = NULL;
out:
	gd_store_close(st);
	return rc;
}

void
gd_store_close(struct gd_store *st)
{
	size_t i;

	if (st == NULL)
		return;
	while (st->txdepth > 0)
		gd_store_rollback(st);
	for (i = 0; i < st->nstmt; i++)
		sqlite3_finalize(st->stmts[i].stmt);
	/* Keeps the planner's statistics fresh; cheap when nothing changed. */
	if (st->version > 0)
		(void)sqlite3_exec(st->db, "PRAGMA optimize", NULL, NULL, NULL);
	sqlite3_close_v2(st->db);
	free(st->path);
	free(st);
}

int
gd_store_schema_version(const struct gd_store *st)
{
	return st->version;
}
