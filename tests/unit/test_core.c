/* SPDX-License-Identifier: ISC */
/*
 * core: errors, buffers, time and, above all, the path join that keeps
 * chart, value and static file names inside their root.
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
#include <sys/stat.h>
#include <unistd.h>

#include "gitopsd/core.h"

static void
test_core__err_set_and_wrap(void **state)
{
	struct gd_err err;
	char big[400];

	(void)state;
	assert_int_equal(
	    gd_err_set(&err, GD_ENOTFOUND, "application %s not found", "web"),
	    GD_ENOTFOUND);
	assert_string_equal(err.msg, "application web not found");
	assert_int_equal(gd_err_wrap(&err, "sync %s", "web"), GD_ENOTFOUND);
	assert_string_equal(err.msg, "sync web: application web not found");
	/* NULL err is allowed and still returns the code */
	assert_int_equal(gd_err_set(NULL, GD_EINVAL, "x"), GD_EINVAL);

	/* an over-long message is cut, never overflows */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	gd_err_set(&err, GD_EINVAL, "%s", big);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	gd_err_wrap(&err, "ctx");
	assert_int_equal(strncmp(err.msg, "ctx: aaa", 8), 0);
	assert_string_equal(gd_err_name(GD_EDENIED), "denied");
}

static void
test_core__buf_grows_and_detaches(void **state)
{
	struct gd_buf b;
	char *s;
	size_t len, i;

	(void)state;
	gd_buf_init(&b);
	for (i = 0; i < 10000; i++)
		gd_buf_addc(&b, (char)('a' + i % 26));
	assert_int_equal(b.len, 10000);
	assert_int_equal(b.data[10000], '\0');
	gd_buf_reset(&b);
	gd_buf_printf(&b, "%s=%d", "x", 42);
	gd_buf_add(&b, "\0y", 2); /* binary data keeps its length */
	assert_int_equal(b.len, 6);
	s = gd_buf_detach(&b, &len);
	assert_int_equal(len, 6);
	assert_string_equal(s, "x=42");
	assert_null(b.data);
	free(s);
	/* an empty buffer still detaches a valid string */
	s = gd_buf_detach(&b, NULL);
	assert_string_equal(s, "");
	free(s);
	gd_buf_dispose(&b);
}

static void
test_core__buf_read_file_limit(void **state)
{
	char path[] = "/tmp/gd-core-XXXXXX";
	struct gd_err err;
	struct gd_buf b;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	gd_buf_init(&b);
	assert_int_equal(gd_buf_read_file(&b, path, 0, &err), 0);
	assert_string_equal(b.data, "0123456789");
	gd_buf_reset(&b);
	assert_int_equal(gd_buf_read_file(&b, path, 5, &err), GD_ETOOBIG);
	assert_non_null(strstr(err.msg, path));
	unlink(path);
	assert_int_equal(gd_buf_read_file(&b, path, 0, &err), GD_ENOTFOUND);
	gd_buf_dispose(&b);
}

static void
test_core__time_round_trip(void **state)
{
	char out[GD_TIME_LEN];
	struct gd_err err;
	time_t t;

	(void)state;
	gd_time_format(out, 0);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	assert_int_equal(gd_time_parse(&t, "2026-11-26T03:32:52Z", &err), 0);
	gd_time_format(out, t);
	assert_string_equal(out, "2026-11-26T03:32:52Z");
	/* fraction dropped, offsets folded into UTC */
	assert_int_equal(
	    gd_time_parse(&t, "2026-11-26T05:32:52.123+02:00", &err), 0);
	gd_time_format(out, t);
	assert_string_equal(out, "2026-11-26T03:32:52Z");
	assert_int_equal(gd_time_parse(&t, "2024-02-29T00:00:00Z", &err), 0);
	assert_int_equal(
	    gd_time_parse(&t, "2023-02-29T00:00:00Z", &err), GD_EINVAL);
	assert_int_equal(
	    gd_time_parse(&t, "2026-11-26 03:32:52", &err), GD_EINVAL);
	assert_non_null(strstr(err.msg, "2026-11-26 03:32:52"));
	assert_int_equal(
	    gd_time_parse(&t, "2026-11-26T03:32:52Zjunk", &err), GD_EINVAL);
	assert_true(gd_time_mono_ms() > 0);
}

struct pathfix {
	char root[64];
	char outside[64];
};

static int
path_setup(void **state)
{
	struct pathfix *f = xcalloc(1, sizeof(*f));
	char *p;
	FILE *fp;

	snprintf(f->root, sizeof(f->root), "/tmp/gd-root-XXXXXX");
	snprintf(f->outside, sizeof(f->outside), "/tmp/gd-out-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	assert_non_null(mkdtemp(f->outside));
	xasprintf(&p, "%s/templates", f->root);
	mkdir(p, 0700);
	free(p);
	xasprintf(&p, "%s/templates/a.yaml", f->root);
	fp = fopen(p, "w");
	fclose(fp);
	free(p);
	xasprintf(&p, "%s/secret", f->outside);
	fp = fopen(p, "w");
	fclose(fp);
	free(p);
	/* a link that leaves the root, and one that stays inside */
	xasprintf(&p, "%s/escape", f->root);
	assert_int_equal(symlink(f->outside, p), 0);
	free(p);
	xasprintf(&p, "%s/inside", f->root);
	assert_int_equal(symlink("templates", p), 0);
	free(p);
	*state = f;
	return 0;
}

static int
path_teardown(void **state)
{
	struct pathfix *f = *state;
	char *cmd;

	xasprintf(&cmd, "rm -rf '%s' '%s'", f->root, f->outside);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f);
	return 0;
}

static void
test_core__path_join_inside(void **state)
{
	struct pathfix *f = *state;
	struct gd_err err;
	char *out = NULL, *want;

	assert_int_equal(
	    gd_path_join(&out, f->root, "templates/a.yaml", &err), 0);
	xasprintf(&want, "%s/templates/a.yaml", f->root);
	assert_string_equal(out, want);
	free(out);
	free(want);
	/* "." and empty components are dropped; missing files are fine */
	assert_int_equal(
	    gd_path_join(&out, f->root, "./templates//new.yaml", &err), 0);
	xasprintf(&want, "%s/templates/new.yaml", f->root);
	assert_string_equal(out, want);
	free(out);
	free(want);
	/* a link that stays inside the root is followed */
	assert_int_equal(gd_path_join(&out, f->root, "inside/a.yaml", &err), 0);
	free(out);
	/* names that merely start with dots are ordinary */
	assert_int_equal(gd_path_join(&out, f->root, "..hidden", &err), 0);
	free(out);
}

static void
test_core__path_join_refuses_escape(void **state)
{
	struct pathfix *f = *state;
	struct gd_err err;
	char *out = NULL;

	assert_int_equal(
	    gd_path_join(&out, f->root, "../etc/passwd", &err), GD_EINVAL);
	assert_null(out);
	assert_non_null(strstr(err.msg, "../etc/passwd"));
	assert_int_equal(
	    gd_path_join(&out, f->root, "templates/../../x", &err), GD_EINVAL);
	assert_int_equal(
	    gd_path_join(&out, f->root, "/etc/passwd", &err), GD_EINVAL);
	assert_non_null(strstr(err.msg, "absolute"));
	/* through a symlink, to an existing file and to a missing one */
	assert_int_equal(
	    gd_path_join(&out, f->root, "escape/secret", &err), GD_EINVAL);
	assert_non_null(strstr(err.msg, "link"));
	assert_int_equal(
	    gd_path_join(&out, f->root, "escape/new/file", &err), GD_EINVAL);
	assert_int_equal(
	    gd_path_join(&out, f->root, "escape", &err), GD_EINVAL);
	assert_null(out);
	/* a missing root is not found */
	assert_int_equal(gd_path_join(&out, "/nonexistent/gd-root", "a", &err),
	    GD_ENOTFOUND);
}

static void
test_core__mkdirs(void **state)
{
	struct pathfix *f = *state;
	struct gd_err err;
	struct stat st;
	char *p;

	xasprintf(&p, "%s/a/b/c", f->root);
	assert_int_equal(gd_path_mkdirs(p, &err), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(gd_path_mkdirs(p, &err), 0); /* idempotent */
	free(p);
	xasprintf(&p, "%s/templates/a.yaml/sub", f->root);
	assert_int_equal(gd_path_mkdirs(p, &err), GD_EINVAL);
	free(p);
}

static void
test_core__embed_find(void **state)
{
	static const unsigned char a[] = "A", b[] = "BB";
	static const struct gd_embed_file table[] = {
		{ "index.html", a, 1 },
		{ "app.js", b, 2 },
		{ NULL, NULL, 0 },
	};

	(void)state;
	assert_int_equal(gd_embed_find(table, "app.js")->len, 2);
	assert_null(gd_embed_find(table, "missing.js"));
}

static void
test_core__json_uses_xmalloc(void **state)
{
	json_t *o = json_pack("{s:[i,s]}", "a", 1, "x");

	(void)state;
	assert_non_null(o);
	assert_int_equal(json_array_size(json_object_get(o, "a")), 2);
	json_decref(o);
	assert_int_equal(log_level_parse("debug"), GD_LOG_DEBUG);
	assert_int_equal(log_level_parse("WARN"), GD_LOG_WARN);
	assert_int_equal(log_level_parse("chatty"), -1);
}

static void *
arena_free_all(void *arg)
{
	json_decref(arg);
	return NULL;
}

/*
 * What the renderer relies on: objects built in the arena behave as any
 * json_t (changed, grown, freed on another thread), a large block still
 * comes from malloc, and every chunk is back in the pool once the last
 * object is gone, with nothing kept open across sessions.
 */
static void
test_core__json_arena_chunks_come_back(void **state)
{
	char big[4096];
	json_t *docs, *o;
	pthread_t t;
	size_t used, idle, used0, idle0, i;
	bool was;

	(void)state;
	was = gd_jarena_set_enabled(true);
	gd_jarena_stats(&used0, &idle0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	docs = json_array();
	gd_jarena_open();
	for (i = 0; i < 2000; i++) {
		gd_jarena_open(); /* nests */
		o = json_pack("{s:i,s:s,s:{s:[s,s]}}", "i", (int)i, "name",
		    "web", "labels", "app", "a", "b");
		gd_jarena_close();
		assert_non_null(o);
		json_array_append_new(docs, o);
	}
	json_object_set_new(json_array_get(docs, 7), "big", json_string(big));
	gd_jarena_close();
	gd_jarena_stats(&used, &idle);
	assert_true(used > used0 + 10); /* 2000 objects: many chunks */
	/* changed after the arena closed: grows from malloc */
	o = json_array_get(docs, 3);
	for (i = 0; i < 100; i++) {
		char k[16];

		snprintf(k, sizeof(k), "k%zu", i);
		json_object_set_new(o, k, json_integer((json_int_t)i));
	}
	assert_int_equal(json_integer_value(json_object_get(o, "k99")), 99);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(docs, 7), "big")),
	    big);
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(docs, 1999), "i")),
	    1999);
	/* the last reference dropped on another thread */
	assert_int_equal(pthread_create(&t, NULL, arena_free_all, docs), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	gd_jarena_stats(&used, &idle);
	assert_int_equal(used, used0);
	assert_true(idle > idle0);
	/* reused, not grown: the same work takes no new chunk */
	gd_jarena_open();
	o = json_pack("{s:s}", "a", "b");
	gd_jarena_close();
	json_decref(o);
	gd_jarena_stats(&used, &i);
	assert_int_equal(used, used0);
	assert_int_equal(i, idle);
	gd_jarena_set_enabled(was);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core__err_set_and_wrap),
		cmocka_unit_test(test_core__buf_grows_and_detaches),
		cmocka_unit_test(test_core__buf_read_file_limit),
		cmocka_unit_test(test_core__time_round_trip),
		cmocka_unit_test_setup_teardown(
		    test_core__path_join_inside, path_setup, path_teardown),
		cmocka_unit_test_setup_teardown(
		    test_core__path_join_refuses_escape, path_setup,
		    path_teardown),
		cmocka_unit_test_setup_teardown(
		    test_core__mkdirs, path_setup, path_teardown),
		cmocka_unit_test(test_core__embed_find),
		cmocka_unit_test(test_core__json_uses_xmalloc),
		cmocka_unit_test(test_core__json_arena_chunks_come_back),
	};

	gd_core_init_json();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
