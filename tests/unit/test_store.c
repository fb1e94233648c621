/* SPDX-License-Identifier: ISC */
/*
 * The store against real SQLite: ":memory:" for most cases, files in a
 * mkdtemp folder where WAL, reopening, a crash or a newer schema matter.
 * The migration runner is driven with tables of fake migrations and the
 * clock is frozen through store_int.h, so nothing here sleeps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gitopsd/core.h"
#include "gitopsd/store.h"
#include "../../server/store/store_int.h"

#define T0 1764000000000LL /* 2025-11-24T16:00:00Z in ms */

struct fixture {
	char dir[64];
	char path[128];
	struct gd_store *st;
};

static int
setup_mem(void **state)
{
	struct fixture *fx;
	struct gd_err err = { 0 };

	fx = xcalloc(1, sizeof *fx);
	if (gd_store_open(&fx->st, ":memory:", &err) < 0) {
		fprintf(stderr, "open: %s\n", err.msg);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

/* A folder with a path for data.db, not yet opened. */
static int
setup_dir(void **state)
{
	struct fixture *fx;

	fx = xcalloc(1, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/gd-store-XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof fx->path, "%s/data.db", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	const char *sfx[] = { "", "-wal", "-shm", "-journal" };
	char p[160];
	size_t i;

	gd_store_close(fx->st);
	if (fx->dir[0] != '\0') {
		for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
			snprintf(p, sizeof p, "%s%s", fx->path, sfx[i]);
			unlink(p);
		}
		rmdir(fx->dir);
	}
	free(fx);
	return 0;
}

static size_t
nmigrations(void)
{
	size_t n;

	for (n = 0; gd_store_sql[n].name != NULL; n++)
		;
	return n;
}

static json_t *
fixture_manifests(void)
{
	const char *src = getenv("GD_SRCDIR");
	json_error_t jerr;
	char path[512];
	json_t *j;

	snprintf(path, sizeof path, "%s/tests/fixtures/store/manifests.json",
	    src != NULL ? src : ".");
	j = json_load_file(path, 0, &jerr);
	if (j == NULL)
		fail_msg("%s: %s", path, jerr.text);
	return j;
}

static int
count_line(void *arg, const char *line, size_t len, struct gd_err *err)
{
	(void)line;
	(void)len;
	(void)err;
	(*(size_t *)arg)++;
	return 0;
}

static size_t
audit_count(struct gd_store *st, const struct gd_store_audit_filter *f)
{
	struct gd_store_audit_filter all = { 0 };
	struct gd_err err = { 0 };
	size_t n = 0;

	if (gd_store_audit_export(
		st, f != NULL ? f : &all, count_line, &n, &err) < 0)
		fail_msg("audit export: %s", err.msg);
	return n;
}

/* --- migrations ----------------------------------------------------------- */

static void
test_store__migrations_fresh(void **state)
{
	struct fixture *fx = *state;
	struct gd_err err = { 0 };

	assert_true(nmigrations() >= 1);
	assert_int_equal(gd_store_schema_version(fx->st), (int)nmigrations());
	/* Every table of schema 1 is there. */
	assert_int_equal(gd_store_exec(fx->st,
			     "SELECT count(*) FROM operations; "
			     "SELECT count(*) FROM operation_manifests; "
			     "SELECT count(*) FROM audit; "
			     "SELECT count(*) FROM tokens; "
			     "SELECT count(*) FROM sessions",
			     &err),
	    0);
}

static void
test_store__reopen_is_idempotent(void **state)
{
	struct fixture *fx = *state;
	struct gd_store_audit a = { .actor = "admin",
		.actor_kind = GD_STORE_ACTOR_USER,
		.action = "applications.sync",
		.outcome = GD_STORE_SUCCEEDED };
	struct gd_err err = { 0 };
	int i;

	for (i = 0; i < 2; i++) {
		assert_int_equal(gd_store_open(&fx->st, fx->path, &err), 0);
		assert_int_equal(
		    gd_store_schema_version(fx->st), (int)nmigrations());
		assert_int_equal(gd_store_audit_add(NULL, fx->st, &a, &err), 0);
		assert_int_equal(audit_count(fx->st, NULL), (size_t)i + 1);
		gd_store_close(fx->st);
		fx->st = NULL;
	}
}

static void
test_store__newer_schema_is_refused(void **state)
{
	struct fixture *fx = *state;
	struct gd_err err = { 0 };
	char want[256];

	assert_int_equal(gd_store_open(&fx->st, fx->path, &err), 0);
	assert_int_equal(
	    gd_store_exec(fx->st, "PRAGMA user_version = 7", &err), 0);
	gd_store_close(fx->st);
	fx->st = NULL;

	assert_int_equal(gd_store_open(&fx->st, fx->path, &err), GD_EINTERNAL);
	assert_null(fx->st);
	snprintf(want, sizeof want,
	    "%s: schema version 7 is newer than this gitopsd supports (%zu); "
	    "upgrade gitopsd",
	    fx->path, nmigrations());
	assert_string_equal(err.msg, want);
}

static void
test_store__failing_migration_rolls_back(void **state)
{
	struct fixture *fx = *state;
	struct gd_err err = { 0 };
	int base = gd_store_schema_version(fx->st);
	char n2[32], n3[32];
	/* Continues the real migrations with two more. */
	const char *bad = "CREATE TABLE extra (x INTEGER);\n"
			  "INSERT INTO extra VALUES (1);\n"
			  "INSERT INTO nosuch VALUES (1);\n";
	const char *good = "CREATE TABLE extra (x INTEGER);";
	const char *more = "ALTER TABLE extra ADD COLUMN y TEXT;";
	struct gd_embed_file table[8];
	size_t i, n = nmigrations();

	snprintf(n2, sizeof n2, "%04zu_extra.sql", n + 1);
	snprintf(n3, sizeof n3, "%04zu_more.sql", n + 2);
	for (i = 0; i < n; i++)
		table[i] = gd_store_sql[i];
	table[n] = (struct gd_embed_file){ n2, (const unsigned char *)bad,
		strlen(bad) };
	table[n + 1] = (struct gd_embed_file){ n3, (const unsigned char *)more,
		strlen(more) };
	table[n + 2] = (struct gd_embed_file){ NULL, NULL, 0 };

	assert_int_equal(gd_store_migrate(fx->st, table, &err), GD_EINTERNAL);
	assert_non_null(strstr(err.msg, n2));
	assert_non_null(strstr(err.msg, "no such table: nosuch"));
	/* Nothing of the failed file stayed, and the next did not run. */
	assert_int_equal(gd_store_schema_version(fx->st), base);
	assert_int_equal(
	    gd_store_exec(fx->st, "SELECT * FROM extra", &err), GD_EINTERNAL);
	assert_non_null(strstr(err.msg, "no such table: extra"));

	/* Fixed, both apply, in numeric order whatever the table order. */
	table[n] = table[n + 1];
	table[n + 1] = (struct gd_embed_file){ n2, (const unsigned char *)good,
		strlen(good) };
	assert_int_equal(gd_store_migrate(fx->st, table, &err), 0);
	assert_int_equal(gd_store_schema_version(fx->st), base + 2);
	assert_int_equal(
	    gd_store_exec(fx->st, "SELECT x, y FROM extra", &err), 0);
	/* And running them again changes nothing. */
	assert_int_equal(gd_store_migrate(fx->st, table, &err), 0);
	assert_int_equal(gd_store_schema_version(fx->st), base + 2);
}

static void
test_store__migration_numbering_is_checked(void **state)
{
	struct fixture *fx = *state;
	struct gd_err err = { 0 };
	const unsigned char sql[] = "SELECT 1;";
	struct gd_embed_file gap[] = { { "0001_a.sql", sql, 9 },
		{ "0003_c.sql", sql, 9 }, { NULL, NULL, 0 } };
	struct gd_embed_file dup[] = { { "0001_a.sql", sql, 9 },
		{ "0001_b.sql", sql, 9 }, { NULL, NULL, 0 } };
	struct gd_embed_file name[] = { { "init.sql", sql, 9 },
		{ NULL, NULL, 0 } };

	assert_int_equal(gd_store_migrate(fx->st, gap, &err), GD_EINTERNAL);
	assert_non_null(strstr(err.msg, "0003_c.sql: expected number 2"));
	assert_int_equal(gd_store_migrate(fx->st, dup, &err), GD_EINTERNAL);
	assert_non_null(strstr(err.msg, "expected number 2"));
	assert_int_equal(gd_store_migrate(fx->st, name, &err), GD_EINTERNAL);
	assert_non_null(strstr(err.msg, "init.sql"));
}

static void
test_store__nested_transactions(void **state)
{
	struct fixture *fx = *state;
	struct gd_store_audit a = { .actor = "admin",
		.actor_kind = GD_STORE_ACTOR_USER,
		.action = "applications.sync",
		.outcome = GD_STORE_SUCCEEDED };
	struct gd_err err = { 0 };

	assert_int_equal(gd_store_begin(fx->st, &err), 0);
	assert_int_equal(gd_store_audit_add(NULL, fx->st, &a, &err), 0);
	assert_int_equal(gd_store_begin(fx->st, &err), 0);
	assert_int_equal(gd_store_audit_add(NULL, fx->st, &a, &err), 0);
	gd_store_rollback(fx->st); /* the inner one only */
	assert_int_equal(gd_store_commit(fx->st, &err), 0);
	assert_int_equal(audit_count(fx->st, NULL), 1);

	/* A batch is all or nothing. */
	{
		struct gd_store_audit batch[3] = { a, a, a };

		batch[2].actor = NULL;
		assert_int_equal(
		    gd_store_audit_add_many(fx->st, batch, 3, &err), GD_EINVAL);
		assert_int_equal(audit_count(fx->st, NULL), 1);
	}
}

/* --- operations and history ----------------------------------------------- */

static int64_t
op_start(struct gd_store *st, const char *app, const char *rev, bool dry,
    bool partial)
{
	struct gd_store_op_new in = { .app = app,
		.project = "default",
		.kind = GD_STORE_OP_SYNC,
		.initiated_by = "alice",
		.revision = rev,
		.dry_run = dry,
		.partial = partial };
	struct gd_err err = { 0 };
	json_t *req;
	int64_t id;

	req = json_pack(
	    "{s:s, s:s, s:b}", "name", app, "revision", rev, "prune", 1);
	in.request = req;
	if (gd_store_op_start(&id, st, &in, &err) < 0)
		fail_msg("op_start %s: %s", app, err.msg);
	json_decref(req);
	return id;
}

static int64_t
op_end(struct gd_store *st, int64_t id, enum gd_store_op_phase phase,
    const json_t *manifests)
{
	struct gd_store_op_end end = { .phase = phase,
		.message = "successfully synced (all tasks run)",
		.manifests = manifests };
	struct gd_err err = { 0 };
	json_t *result;
	int64_t hid;

	result = json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "revision", "abc",
	    "resources", "kind", "Deployment", "name", "web", "status",
	    "Synced");
	end.result = result;
	if (gd_store_op_finish(&hid, st, id, &end, &err) < 0)
		fail_msg("op_finish %lld: %s", (long long)id, err.msg);
	json_decref(result);
	return hid;
}

static const char *
jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void
test_store__op_lifecycle_and_history_ids(void **state)
{
	struct fixture *fx = *state;
	struct gd_store_op_new in = { .app = "web",
		.project = "default",
		.kind = GD_STORE_OP_SYNC,
		.automated = true };
	struct gd_store_op_end end = { .phase = GD_STORE_OP_FAILED };
	struct gd_err err = { 0 };
	int64_t a, b, id, dummy;
	json_t *op = NULL;

	a = op_start(fx->st, "web", "r1", false, false);
	/* One operation at a time per app, as Argo CD. */
	assert_int_equal(
	    gd_store_op_start(&dummy, fx->st, &in, &err), GD_ECONFLICT);
	assert_string_equal(err.msg,
	    "application web: another operation is already in progress");
	/* The same name in another namespace is another app. */
	in.app_namespace = "team-a";
	assert_int_equal(gd_store_op_start(&b, fx->st, &in, &err), 0);

	assert_int_equal(gd_store_op_get(&op, fx->st, a, &err), 0);
	assert_string_equal(jstr(op, "phase"), "Running");
	assert_string_equal(jstr(op, "kind"), "sync");
	assert_string_equal(jstr(op, "revision"), "r1");
	assert_string_equal(
	    jstr(json_object_get(op, "initiatedBy"), "username"), "alice");
	assert_true(json_is_false(
	    json_object_get(json_object_get(op, "initiatedBy"), "automated")));
	assert_string_equal(
	    jstr(json_object_get(op, "request"), "name"), "web");
	assert_null(json_object_get(op, "finishedAt"));
	assert_null(json_object_get(op, "appNamespace"));
	json_decref(op);

	/* History ids count per app from 0; only full, real successes. */
	assert_int_equal(op_end(fx->st, a, GD_STORE_OP_SUCCEEDED, NULL), 0);
	id = op_start(fx->st, "web", "r2", false, false);
	assert_int_equal(op_end(fx->st, id, GD_STORE_OP_FAILED, NULL), -1);
	id = op_start(fx->st, "web", "r3", true, false);
	assert_int_equal(op_end(fx->st, id, GD_STORE_OP_SUCCEEDED, NULL), -1);
	id = op_start(fx->st, "web", "r4", false, true);
	assert_int_equal(op_end(fx->st, id, GD_STORE_OP_SUCCEEDED, NULL), -1);
	id = op_start(fx->st, "web", "r5", false, false);
	assert_int_equal(op_end(fx->st, id, GD_STORE_OP_SUCCEEDED, NULL), 1);
	assert_int_equal(op_end(fx->st, b, GD_STORE_OP_SUCCEEDED, NULL), 0);

	/* An ended operation cannot end again or be terminated. */
	assert_int_equal(
	    gd_store_op_finish(NULL, fx->st, a, &end, &err), GD_ECONFLICT);
	assert_int_equal(gd_store_op_terminate(fx->st, a, &err), GD_ECONFLICT);
	assert_int_equal(
	    gd_store_op_finish(NULL, fx->st, 999, &end, &err), GD_ENOTFOUND);

	/* Terminate, then the worker ends it as Failed. */
	id = op_start(fx->st, "web", "r6", false, false);
	assert_int_equal(
	    gd_store_op_update(fx->st, id, "waiting for rollout", NULL, &err),
	    0);
	assert_int_equal(gd_store_op_terminate(fx->st, id, &err), 0);
	assert_int_equal(gd_store_op_last(&op, fx->st, NULL, "web", &err), 0);
	assert_string_equal(jstr(op, "phase"), "Terminating");
	assert_string_equal(jstr(op, "message"), "waiting for rollout");
	json_decref(op);
	end.message = "operation terminated";
	assert_int_equal(gd_store_op_finish(NULL, fx->st, id, &end, &err), 0);

	/* Every attempt is listed, newest first, and pages by id. */
	assert_int_equal(
	    gd_store_op_list(&op, fx->st, NULL, "web", 4, 0, &err), 0);
	assert_int_equal(json_array_size(op), 4);
	assert_string_equal(jstr(json_array_get(op, 0), "phase"), "Failed");
	assert_string_equal(
	    jstr(json_array_get(op, 0), "message"), "operation terminated");
	assert_string_equal(jstr(json_array_get(op, 3), "revision"), "r3");
	id = json_integer_value(json_object_get(json_array_get(op, 3), "id"));
	json_decref(op);
	assert_int_equal(
	    gd_store_op_list(&op, fx->st, NULL, "web", 4, id, &err), 0);
	assert_int_equal(json_array_size(op), 2);
	assert_string_equal(jstr(json_array_get(op, 1), "revision"), "r1");
	assert_string_equal(
	    jstr(json_object_get(json_array_get(op, 1), "syncResult"),
		"revision"),
	    "abc");
	json_decref(op);

	assert_int_equal(
	    gd_store_op_last(&op, fx->st, "nope", "web", &err), GD_ENOTFOUND);
	assert_null(op);
}

static void
test_store__op_rejects_bad_input(void **state)
{
	struct fixture *fx = *state;
	struct gd_store_op_new in = {
		.app = "web", .project = "default", .kind = GD_STORE_OP_SYNC
	};
	struct gd_err err = { 0 };
	json_t *obj;
	int64_t id;

	in.app = "";
	assert_int_equal(gd_store_op_start(&id, fx->st, &in, &err), GD_EINVAL);
	in.app = "web";
	in.project = NULL;
	assert_int_equal(gd_store_op_start(&id, fx->st, &in, &err), GD_EINVAL);
	assert_string_equal(err.msg, "operation on web: no project");
	in.project = "default";
	obj = json_object();
	in.manifests = obj;
	assert_int_equal(gd_store_op_start(&id, fx->st, &in, &err), GD_EINVAL);
	assert_string_equal(err.msg, "operation: manifests must be an array");
	in.manifests = NULL;
	in.kind = 9;
	assert_int_equal(gd_store_op_start(&id, fx->st, &in, &err), GD_EINVAL);
	json_decref(obj);
	/* Nothing half-written: a valid start still works. */
	in.kind = GD_STORE_OP_ROLLBACK;
	in.rollback_to = 0;
	assert_int_equal(gd_store_op_start(&id, fx->st, &in, &err), 0);
}

static void
test_store__history_limit_and_manifests(void **state)
{
	struct fixture *fx = *state;
	struct gd_store_op_new rb = { .app = "guestbook",
		.project = "default",
		.kind = GD_STORE_OP_ROLLBACK,
		.initiated_by = "bob",
		.rollback_to = 1 };
	struct gd_store_op_end end = { .phase = GD_STORE_OP_SUCCEEDED };
	struct gd_err err = { 0 };
	json_t *man, *list = NULL, *h = NULL, *h1 = NULL, *m1;
	char rev[32];
	int64_t id, i;

	man = fixture_manifests();
	for (i = 0; i < 5; i++) {
		snprintf(rev, sizeof rev, "rev%lld", (long long)i);
		/* Each deployment differs: replicas = i. */
		json_object_set_new(
		    json_object_get(json_array_get(man, 1), "spec"), "replicas",
		    json_integer(i));
		id = op_start(fx->st, "guestbook", rev, false, false);
		assert_int_equal(
		    op_end(fx->st, id, GD_STORE_OP_SUCCEEDED, man), i);
	}

	assert_int_equal(
	    gd_store_history_list(&list, fx->st, NULL, "guestbook", 3, &err),
	    0);
	assert_int_equal(json_array_size(list), 3);
	for (i = 0; i < 3; i++) {
		h = json_array_get(list, (size_t)i);
		assert_int_equal(
		    json_integer_value(json_object_get(h, "id")), 4 - i);
		snprintf(rev, sizeof rev, "rev%lld", (long long)(4 - i));
		assert_string_equal(jstr(h, "revision"), rev);
		assert_non_null(jstr(h, "deployedAt"));
		assert_non_null(jstr(h, "deployStartedAt"));
		assert_null(json_object_get(h, "manifests"));
	}
	json_decref(list);
	assert_int_equal(
	    gd_store_history_list(&list, fx->st, NULL, "guestbook", 0, &err),
	    0);
	assert_int_equal(json_array_size(list), 5);
	json_decref(list);

	/* Entry 1 holds exactly what sync 1 applied. */
	assert_int_equal(
	    gd_store_history_get(&h1, fx->st, NULL, "guestbook", 1, &err), 0);
	m1 = json_object_get(h1, "manifests");
	assert_int_equal(json_array_size(m1), 2);
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_object_get(json_array_get(m1, 1), "spec"), "replicas")),
	    1);
	assert_string_equal(
	    jstr(json_object_get(
		     json_object_get(json_array_get(m1, 1), "metadata"),
		     "annotations"),
		"note"),
	    "unicode survives: h\u00e9llo \u2603");

	/* A rollback re-applies them and becomes entry 5. */
	rb.manifests = m1;
	assert_int_equal(gd_store_op_start(&id, fx->st, &rb, &err), 0);
	assert_int_equal(op_end(fx->st, id, GD_STORE_OP_SUCCEEDED, NULL), 5);
	assert_int_equal(
	    gd_store_history_get(&h, fx->st, NULL, "guestbook", 5, &err), 0);
	assert_string_equal(jstr(h, "kind"), "rollback");
	assert_string_equal(
	    jstr(json_object_get(h, "initiatedBy"), "username"), "bob");
	assert_true(json_equal(json_object_get(h, "manifests"), m1));
	json_decref(h);
	json_decref(h1);

	/* The commit resolved while running is what history records. */
	id = op_start(fx->st, "guestbook", "main", false, false);
	end.revision = "8f2c1e0";
	assert_int_equal(gd_store_op_finish(&i, fx->st, id, &end, &err), 0);
	assert_int_equal(i, 6);
	assert_int_equal(
	    gd_store_history_get(&h, fx->st, NULL, "guestbook", 6, &err), 0);
	assert_string_equal(jstr(h, "revision"), "8f2c1e0");
	json_decref(h);

	assert_int_equal(
	    gd_store_history_get(&h, fx->st, NULL, "guestbook", 42, &err),
	    GD_ENOTFOUND);
	assert_string_equal(err.msg,
	    "application guestbook does not have deployment with id 42");
	assert_null(h);
	json_decref(man);
}

/* Starts an operation in a child process that dies without closing. */
static void
crash_mid_operation(const char *path)
{
	struct gd_store *st = NULL;
	struct gd_err err = { 0 };
	pid_t pid;
	int status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (gd_store_open(&st, path, &err) < 0)
			_exit(2);
		(void)op_start(st, "web", "r1", false, false);
		_exit(0); /* no close, no checkpoint: as kill -9 */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_store__recover_after_crash(void **state)
{
	struct fixture *fx = *state;
	struct gd_err err = { 0 };
	json_t *op = NULL;

	crash_mid_operation(fx->path);
	assert_int_equal(gd_store_open(&fx->st, fx->path, &err), 0);
	gd_store_set_now(fx->st, T0);
	assert_int_equal(gd_store_op_last(&op, fx->st, NULL, "web", &err), 0);
	assert_string_equal(jstr(op, "phase"), "Running");
	json_decref(op);

	assert_int_equal(gd_store_op_recover(fx->st, &err), 1);
	assert_int_equal(gd_store_op_last(&op, fx->st, NULL, "web", &err), 0);
	assert_string_equal(jstr(op, "phase"), "Error");
	assert_string_equal(jstr(op, "message"),
	    "gitopsd restarted while the operation was running");
	assert_string_equal(jstr(op, "finishedAt"), "2025-11-24T16:00:00Z");
	assert_null(json_object_get(op, "historyId"));
	json_decref(op);

	/* The app is free again, and a second recovery finds nothing. */
	(void)op_start(fx->st, "web", "r2", false, false);
	gd_store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(gd_store_open(&fx->st, fx->path, &err), 0);
	assert_int_equal(gd_store_op_recover(fx->st, &err), 1);
	assert_int_equal(gd_store_op_recover(fx->st, &err), 0);
}

/* --- audit ---------------------------------------------------------------- */

static void
audit_seed(struct gd_store *st)
{
	/* 12 rows, one second apart: actors, actions and outcomes vary. */
	static const char *const actors[] = { "alice", "bob", "ci-bot" };
	static const char *const actions[] = { "applications.sync",
		"applications.rollback", "applications.get", "session.create" };
	struct gd_store_audit a;
	struct gd_err err = { 0 };
	json_t *detail;
	int i;

	for (i = 0; i < 12; i++) {
		detail = json_pack("{s:i, s:b}", "n", i, "prune", i % 2);
		memset(&a, 0, sizeof a);
		a.time_ms = T0 + i * 1000;
		a.actor = actors[i % 3];
		a.actor_kind =
		    i % 3 == 2 ? GD_STORE_ACTOR_TOKEN : GD_STORE_ACTOR_USER;
		a.action = actions[i % 4];
		a.resource = i < 6 ? "web-prod" : "web-staging";
		a.project = i < 6 ? "prod" : "staging";
		a.outcome = i == 5 ? GD_STORE_DENIED : GD_STORE_SUCCEEDED;
		a.message = "ok";
		a.detail = detail;
		a.remote_addr = "192.0.2.7";
		a.request_id = "req-1";
		assert_int_equal(gd_store_audit_add(NULL, st, &a, &err), 0);
		json_decref(detail);
	}
}

static void
test_store__audit_filters(void **state)
{
	struct fixture *fx = *state;
	struct gd_store_audit_filter f;
	struct gd_err err = { 0 };
	json_t *items = NULL, *row;
	int64_t next;

	audit_seed(fx->st);
	memset(&f, 0, sizeof f);
	f.actor = "alice";
	assert_int_equal(audit_count(fx->st, &f), 4);
	memset(&f, 0, sizeof f);
	f.actor_kind = GD_STORE_ACTOR_TOKEN;
	assert_int_equal(audit_count(fx->st, &f), 4);
	memset(&f, 0, sizeof f);
	f.action = "applications.rollback";
	assert_int_equal(audit_count(fx->st, &f), 3);
	memset(&f, 0, sizeof f);
	f.resource = "web-staging";
	assert_int_equal(audit_count(fx->st, &f), 6);
	memset(&f, 0, sizeof f);
	f.project = "prod";
	f.actor = "bob";
	assert_int_equal(audit_count(fx->st, &f), 2);
	memset(&f, 0, sizeof f);
	f.outcome = GD_STORE_DENIED;
	assert_int_equal(audit_count(fx->st, &f), 1);
	/* since inclusive, until exclusive: rows 3, 4, 5, 6. */
	memset(&f, 0, sizeof f);
	f.since_ms = T0 + 3000;
	f.until_ms = T0 + 7000;
	assert_int_equal(audit_count(fx->st, &f), 4);
	memset(&f, 0, sizeof f);
	f.actor = "nobody";
	assert_int_equal(audit_count(fx->st, &f), 0);

	/* The denied row, whole. */
	memset(&f, 0, sizeof f);
	f.outcome = GD_STORE_DENIED;
	assert_int_equal(
	    gd_store_audit_query(&items, &next, fx->st, &f, &err), 0);
	assert_int_equal(json_array_size(items), 1);
	assert_int_equal(next, 0);
	row = json_array_get(items, 0);
	assert_string_equal(jstr(row, "time"), "2025-11-24T16:00:05Z");
	assert_int_equal(
	    json_integer_value(json_object_get(row, "timeMs")), T0 + 5000);
	assert_string_equal(jstr(row, "actor"), "ci-bot");
	assert_string_equal(jstr(row, "actorKind"), "token");
	assert_string_equal(jstr(row, "action"), "applications.rollback");
	assert_string_equal(jstr(row, "resource"), "web-prod");
	assert_string_equal(jstr(row, "project"), "prod");
	assert_string_equal(jstr(row, "outcome"), "denied");
	assert_string_equal(jstr(row, "remoteAddr"), "192.0.2.7");
	assert_string_equal(jstr(row, "requestId"), "req-1");
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(row, "detail"), "n")),
	    5);
	json_decref(items);

	/* Bad filters are refused, not run. */
	memset(&f, 0, sizeof f);
	f.since_ms = T0 + 5000;
	f.until_ms = T0;
	assert_int_equal(
	    gd_store_audit_query(&items, &next, fx->st, &f, &err), GD_EINVAL);
	assert_string_equal(err.msg, "audit query: since is after until");
	f.until_ms = 0;
	f.outcome = 77;
	assert_int_equal(
	    gd_store_audit_query(&items, &next, fx->st, &f, &err), GD_EINVAL);
	assert_int_equal(gd_store_outcome_parse("denied"), GD_STORE_DENIED);
	assert_int_equal(gd_store_outcome_parse("maybe"), 0);
	assert_int_equal(
	    gd_store_actor_kind_parse("system"), GD_STORE_ACTOR_SYSTEM);
}

static void
test_store__audit_paging_and_export(void **state)
{
	struct fixture *fx = *state;
	struct gd_store_audit_filter f = { 0 };
	struct gd_err err = { 0 };
	struct gd_buf out;
	json_t *items = NULL, *row;
	int64_t next, last = INT64_MAX, id;
	size_t total = 0, pages = 0, i;
	json_error_t jerr;
	char *line, *nl;

	audit_seed(fx->st);
	/* Pages of 5 walk all 12 rows newest first, none twice. */
	f.limit = 5;
	do {
		assert_int_equal(
		    gd_store_audit_query(&items, &next, fx->st, &f, &err), 0);
		for (i = 0; i < json_array_size(items); i++) {
			id = json_integer_value(
			    json_object_get(json_array_get(items, i), "id"));
			assert_true(id < last);
			last = id;
		}
		total += json_array_size(items);
		pages++;
		json_decref(items);
		f.before_id = next;
	} while (next != 0);
	assert_int_equal(total, 12);
	assert_int_equal(pages, 3);

	/* A page with a filter carries the filter. */
	memset(&f, 0, sizeof f);
	f.resource = "web-prod";
	f.limit = 4;
	assert_int_equal(
	    gd_store_audit_query(&items, &next, fx->st, &f, &err), 0);
	assert_int_equal(json_array_size(items), 4);
	json_decref(items);
	f.before_id = next;
	assert_int_equal(
	    gd_store_audit_query(&items, &next, fx->st, &f, &err), 0);
	assert_int_equal(json_array_size(items), 2);
	assert_int_equal(next, 0);
	json_decref(items);

	/* Export: JSON lines, oldest first. */
	memset(&f, 0, sizeof f);
	f.project = "staging";
	gd_buf_init(&out);
	assert_int_equal(gd_store_audit_export_buf(&out, fx->st, &f, &err), 0);
	line = out.data;
	for (i = 0; (nl = strchr(line, '\n')) != NULL; i++) {
		*nl = '\0';
		row = json_loads(line, 0, &jerr);
		assert_non_null(row);
		assert_int_equal(
		    json_integer_value(json_object_get(row, "timeMs")),
		    T0 + (int64_t)(6 + i) * 1000);
		assert_string_equal(jstr(row, "project"), "staging");
		json_decref(row);
		line = nl + 1;
	}
	assert_int_equal(i, 6);
	assert_string_equal(line, "");
	gd_buf_dispose(&out);
}

static void
test_store__audit_is_append_only(void **state)
{
	struct fixture *fx = *state;
	struct gd_store_audit_filter f = { 0 };
	struct gd_err err = { 0 };
	json_t *items = NULL;
	int64_t next;

	audit_seed(fx->st);
	assert_int_equal(
	    gd_store_exec(fx->st, "UPDATE audit SET actor = 'mallory'", &err),
	    GD_EINTERNAL);
	assert_non_null(strstr(err.msg, "audit log is append-only"));
	assert_int_equal(
	    gd_store_exec(fx->st, "DELETE FROM audit WHERE id = 1", &err),
	    GD_EINTERNAL);
	assert_non_null(strstr(err.msg, "audit log is append-only"));
	assert_int_equal(gd_store_exec(fx->st,
			     "INSERT OR REPLACE INTO audit (id, time_ms, "
			     "actor, actor_kind, action, outcome) VALUES "
			     "(1, 0, 'mallory', 'user', 'x', 'allowed')",
			     &err),
	    GD_EINTERNAL);
	assert_non_null(strstr(err.msg, "audit log is append-only"));

	f.actor = "mallory";
	assert_int_equal(audit_count(fx->st, &f), 0);
	memset(&f, 0, sizeof f);
	assert_int_equal(audit_count(fx->st, &f), 12);
	f.limit = 1000;
	assert_int_equal(
	    gd_store_audit_query(&items, &next, fx->st, &f, &err), 0);
	assert_string_equal(jstr(json_array_get(items, 11), "actor"), "alice");
	json_decref(items);
}

/* --- tokens and sessions -------------------------------------------------- */

static void
test_store__token_lifecycle(void **state)
{
	struct fixture *fx = *state;
	struct gd_store_token t;
	struct gd_err err = { 0 };
	char *tok = NULL, *tok2 = NULL, *bad, id[GD_STORE_ID_LEN + 1];
	char id2[GD_STORE_ID_LEN + 1], *dump;
	json_t *list = NULL;
	size_t len;

	gd_store_set_now(fx->st, T0);
	gd_store_token_init(&t);
	assert_int_equal(gd_store_token_create(&tok, id, fx->st,
			     "proj:default:ci", "chatops bot", 0, &err),
	    0);
	len = strlen(tok);
	assert_int_equal(len, 4 + 32 + 1 + 64);
	assert_memory_equal(tok, "gdt_", 4);
	assert_memory_equal(tok + 4, id, 32);

	assert_int_equal(gd_store_token_verify(&t, fx->st, tok, &err), 0);
	assert_string_equal(t.id, id);
	assert_string_equal(t.subject, "proj:default:ci");
	assert_string_equal(t.description, "chatops bot");
	assert_int_equal(t.expires_ms, 0);
	assert_int_equal(t.last_used_ms, T0);
	gd_store_token_dispose(&t);

	/* One wrong character of the secret. */
	bad = xstrdup(tok);
	bad[len - 1] = bad[len - 1] == '0' ? '1' : '0';
	assert_int_equal(
	    gd_store_token_verify(&t, fx->st, bad, &err), GD_EUNAUTH);
	assert_null(strstr(err.msg, tok + 37)); /* never the secret */
	assert_null(t.subject);
	/* Malformed: short, uppercase, trailing junk, other prefix, NULL. */
	assert_int_equal(
	    gd_store_token_verify(&t, fx->st, "gdt_abc", &err), GD_EUNAUTH);
	assert_string_equal(err.msg, "malformed token");
	bad[len - 1] = 'A';
	assert_int_equal(
	    gd_store_token_verify(&t, fx->st, bad, &err), GD_EUNAUTH);
	assert_string_equal(err.msg, "malformed token");
	free(bad);
	xasprintf(&bad, "%s0", tok);
	assert_int_equal(
	    gd_store_token_verify(&t, fx->st, bad, &err), GD_EUNAUTH);
	free(bad);
	assert_int_equal(
	    gd_store_token_verify(&t, fx->st, tok + 1, &err), GD_EUNAUTH);
	assert_int_equal(
	    gd_store_token_verify(&t, fx->st, NULL, &err), GD_EUNAUTH);

	/* Expiry is checked against the clock at verify time. */
	assert_int_equal(gd_store_token_create(&tok2, id2, fx->st, "admin",
			     NULL, T0 + 3600 * 1000, &err),
	    0);
	assert_int_equal(gd_store_token_verify(&t, fx->st, tok2, &err), 0);
	gd_store_token_dispose(&t);
	gd_store_set_now(fx->st, T0 + 3600 * 1000);
	assert_int_equal(
	    gd_store_token_verify(&t, fx->st, tok2, &err), GD_EUNAUTH);
	assert_non_null(strstr(err.msg, "expired at 2025-11-24T17:00:00Z"));

	/* Revoked for good; revoking twice is fine, unknown is not. */
	assert_int_equal(gd_store_token_revoke(fx->st, id, &err), 0);
	assert_int_equal(gd_store_token_revoke(fx->st, id, &err), 0);
	assert_int_equal(
	    gd_store_token_verify(&t, fx->st, tok, &err), GD_EUNAUTH);
	assert_non_null(strstr(err.msg, "has been revoked"));
	assert_int_equal(
	    gd_store_token_revoke(fx->st, "0123", &err), GD_ENOTFOUND);

	/* Listing shows both, and no secret anywhere. */
	assert_int_equal(gd_store_token_list(&list, fx->st, NULL, &err), 0);
	assert_int_equal(json_array_size(list), 2);
	dump = json_dumps(list, 0);
	assert_null(strstr(dump, tok + 37));
	assert_null(strstr(dump, tok2 + 37));
	free(dump);
	json_decref(list);
	assert_int_equal(
	    gd_store_token_list(&list, fx->st, "proj:default:ci", &err), 0);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(jstr(json_array_get(list, 0), "id"), id);
	assert_int_equal(json_integer_value(json_object_get(
			     json_array_get(list, 0), "issuedAt")),
	    T0 / 1000);
	assert_non_null(json_object_get(json_array_get(list, 0), "revokedAt"));
	assert_null(json_object_get(json_array_get(list, 0), "expiresAt"));
	json_decref(list);

	assert_int_equal(
	    gd_store_token_create(&bad, NULL, fx->st, "", NULL, 0, &err),
	    GD_EINVAL);
	assert_null(bad);
	gd_store_secret_free(tok);
	gd_store_secret_free(tok2);
}

static void
test_store__sessions(void **state)
{
	struct fixture *fx = *state;
	struct gd_store_session s;
	struct gd_err err = { 0 };
	char *c1 = NULL, *c2 = NULL, *c3 = NULL, *c4 = NULL;

	gd_store_session_init(&s);
	gd_store_set_now(fx->st, T0);
	assert_int_equal(
	    gd_store_session_create(&c1, fx->st, "alice", 3600 * 1000, &err),
	    0);
	assert_memory_equal(c1, "gds_", 4);
	assert_int_equal(gd_store_session_verify(&s, fx->st, c1, &err), 0);
	assert_string_equal(s.username, "alice");
	assert_int_equal(s.expires_ms, T0 + 3600 * 1000);
	gd_store_session_dispose(&s);

	/* last_seen slides, but not on every request. */
	gd_store_set_now(fx->st, T0 + 30 * 1000);
	assert_int_equal(gd_store_session_verify(&s, fx->st, c1, &err), 0);
	assert_int_equal(s.last_seen_ms, T0);
	gd_store_session_dispose(&s);
	gd_store_set_now(fx->st, T0 + 120 * 1000);
	assert_int_equal(gd_store_session_verify(&s, fx->st, c1, &err), 0);
	assert_int_equal(s.last_seen_ms, T0 + 120 * 1000);
	gd_store_session_dispose(&s);

	/* A token is not a cookie, and a cookie's secret must match. */
	assert_int_equal(gd_store_session_verify(&s, fx->st,
			     "gdt_0123456789abcdef0123456789abcdef_"
			     "0123456789abcdef0123456789abcdef"
			     "0123456789abcdef0123456789abcdef",
			     &err),
	    GD_EUNAUTH);
	assert_string_equal(err.msg, "malformed session cookie");

	/* Logout; a stale cookie logs out fine; garbage does not. */
	assert_int_equal(
	    gd_store_session_create(&c2, fx->st, "bob", 3600 * 1000, &err), 0);
	assert_int_equal(gd_store_session_delete(fx->st, c2, &err), 0);
	assert_int_equal(
	    gd_store_session_verify(&s, fx->st, c2, &err), GD_EUNAUTH);
	assert_int_equal(gd_store_session_delete(fx->st, c2, &err), 0);
	assert_int_equal(
	    gd_store_session_delete(fx->st, "junk", &err), GD_EUNAUTH);

	/* Expiry, then purge. */
	assert_int_equal(
	    gd_store_session_create(&c3, fx->st, "carol", 7200 * 1000, &err),
	    0);
	gd_store_set_now(fx->st, T0 + 3600 * 1000);
	assert_int_equal(
	    gd_store_session_verify(&s, fx->st, c1, &err), GD_EUNAUTH);
	assert_non_null(strstr(err.msg, "has expired"));
	assert_int_equal(gd_store_session_purge(fx->st, &err), 1);
	assert_int_equal(gd_store_session_verify(&s, fx->st, c3, &err), 0);
	gd_store_session_dispose(&s);
	assert_int_equal(
	    gd_store_session_delete_user(fx->st, "carol", &err), 0);
	assert_int_equal(
	    gd_store_session_verify(&s, fx->st, c3, &err), GD_EUNAUTH);
	assert_int_equal(
	    gd_store_session_create(&c4, fx->st, "carol", 0, &err), GD_EINVAL);
	assert_null(c4);

	gd_store_secret_free(c1);
	gd_store_secret_free(c2);
	gd_store_secret_free(c3);
}

/* --- concurrency and speed ------------------------------------------------ */

#define WRITER_ROUNDS 100

struct writer {
	const char *path;
	const char *app;
	int failures;
	struct gd_err err;
};

static void *
writer_run(void *arg)
{
	struct writer *w = arg;
	struct gd_store *st = NULL;
	struct gd_store_audit a = { .actor = w->app,
		.actor_kind = GD_STORE_ACTOR_SYSTEM,
		.action = "applications.sync",
		.outcome = GD_STORE_SUCCEEDED };
	struct gd_store_op_new in = { .app = w->app,
		.project = "default",
		.kind = GD_STORE_OP_SYNC,
		.automated = true };
	struct gd_store_op_end end = { .phase = GD_STORE_OP_SUCCEEDED };
	int64_t id;
	int i;

	if (gd_store_open(&st, w->path, &w->err) < 0) {
		w->failures++;
		return NULL;
	}
	for (i = 0; i < WRITER_ROUNDS; i++) {
		if (gd_store_audit_add(NULL, st, &a, &w->err) < 0 ||
		    gd_store_op_start(&id, st, &in, &w->err) < 0 ||
		    gd_store_op_finish(NULL, st, id, &end, &w->err) < 0)
			w->failures++;
	}
	gd_store_close(st);
	return NULL;
}

static void
test_store__concurrent_writers(void **state)
{
	struct fixture *fx = *state;
	struct writer w[2] = { { .path = fx->path, .app = "one" },
		{ .path = fx->path, .app = "two" } };
	pthread_t th[2];
	struct gd_err err = { 0 };
	json_t *list = NULL;
	int i;

	/* Both open the fresh file at once: one migrates, one waits. */
	for (i = 0; i < 2; i++)
		assert_int_equal(
		    pthread_create(&th[i], NULL, writer_run, &w[i]), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		if (w[i].failures != 0)
			fail_msg("writer %s: %d failures, last: %s", w[i].app,
			    w[i].failures, w[i].err.msg);
	}
	assert_int_equal(gd_store_open(&fx->st, fx->path, &err), 0);
	assert_int_equal(audit_count(fx->st, NULL), 2 * WRITER_ROUNDS);
	assert_int_equal(
	    gd_store_history_list(&list, fx->st, NULL, "two", 1, &err), 0);
	assert_int_equal(
	    json_integer_value(json_object_get(json_array_get(list, 0), "id")),
	    WRITER_ROUNDS - 1);
	json_decref(list);
}

/* The in-progress rule holds across connections, not just in one. */
static void
test_store__one_operation_per_app_across_connections(void **state)
{
	struct fixture *fx = *state;
	struct gd_store *other = NULL;
	struct gd_store_op_new in = { .app = "web",
		.project = "default",
		.kind = GD_STORE_OP_SYNC,
		.automated = true };
	struct gd_store_op_end end = { .phase = GD_STORE_OP_SUCCEEDED };
	struct gd_err err = { 0 };
	int64_t a, b;

	assert_int_equal(gd_store_open(&fx->st, fx->path, &err), 0);
	assert_int_equal(gd_store_open(&other, fx->path, &err), 0);
	assert_int_equal(gd_store_op_start(&a, fx->st, &in, &err), 0);
	assert_int_equal(gd_store_op_start(&b, other, &in, &err), GD_ECONFLICT);
	assert_int_equal(gd_store_op_finish(NULL, other, a, &end, &err), 0);
	assert_int_equal(gd_store_op_start(&b, other, &in, &err), 0);
	assert_true(b > a);
	gd_store_close(other);
}

/* Prints audit inserts per second; no assertion on speed. */
static void
test_store__audit_insert_rate(void **state)
{
	struct fixture *fx = *state;
	struct gd_store_audit a[100];
	struct gd_err err = { 0 };
	json_t *detail;
	uint64_t t;
	int i, n1 = 2000, n2 = 20000;

	assert_int_equal(gd_store_open(&fx->st, fx->path, &err), 0);
	detail = json_pack("{s:s, s:b, s:[s]}", "revision", "8f2c1e0", "prune",
	    0, "resources", "apps/Deployment/web");
	for (i = 0; i < 100; i++)
		a[i] = (struct gd_store_audit){ .actor = "alice",
			.actor_kind = GD_STORE_ACTOR_USER,
			.action = "applications.sync",
			.resource = "guestbook",
			.project = "default",
			.outcome = GD_STORE_SUCCEEDED,
			.message = "alice initiated sync to 8f2c1e0",
			.detail = detail,
			.remote_addr = "192.0.2.7",
			.request_id = "4f1c" };
	t = gd_time_mono_ms();
	for (i = 0; i < n1; i++)
		assert_int_equal(
		    gd_store_audit_add(NULL, fx->st, &a[0], &err), 0);
	t = gd_time_mono_ms() - t;
	print_message("audit: %d rows, 1 per transaction: %.0f rows/s\n", n1,
	    n1 * 1000.0 / (double)(t != 0 ? t : 1));
	t = gd_time_mono_ms();
	for (i = 0; i < n2; i += 100)
		assert_int_equal(
		    gd_store_audit_add_many(fx->st, a, 100, &err), 0);
	t = gd_time_mono_ms() - t;
	print_message("audit: %d rows, 100 per transaction: %.0f rows/s\n", n2,
	    n2 * 1000.0 / (double)(t != 0 ? t : 1));
	assert_int_equal(audit_count(fx->st, NULL), (size_t)(n1 + n2));
	json_decref(detail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_store__migrations_fresh, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store__reopen_is_idempotent, setup_dir, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store__newer_schema_is_refused, setup_dir, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store__failing_migration_rolls_back, setup_mem,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_store__migration_numbering_is_checked, setup_mem,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_store__nested_transactions, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store__op_lifecycle_and_history_ids, setup_mem,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_store__op_rejects_bad_input, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store__history_limit_and_manifests, setup_mem,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_store__recover_after_crash, setup_dir, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store__audit_filters, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store__audit_paging_and_export, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store__audit_is_append_only, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store__token_lifecycle, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store__sessions, setup_mem, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store__concurrent_writers, setup_dir, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store__one_operation_per_app_across_connections,
		    setup_dir, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store__audit_insert_rate, setup_dir, teardown),
	};

	gd_core_init_json();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
