/* SPDX-License-Identifier: ISC */
/*
 * The repo module against real repositories built by tests/helpers/gitfix
 * in mkdtemp folders and fetched over file://: clone, revisions of every
 * kind, files and folders at a commit, symlinks and traversal refused,
 * force-pushed and deleted branches, a remote that vanishes (the mirror
 * keeps its last good state), commit metadata, URL keys, credentials kept
 * out of messages, and the poller's trigger.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gitopsd/core.h"
#include "gitopsd/repo.h"
#include "../helpers/gitfix.h"

struct fx {
	char tmp[64];
	char *data;
	struct gitfix *remote;
	struct gd_repo *repo;
	char c1[GITFIX_SHA_LEN], c2[GITFIX_SHA_LEN];
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct gd_err err;
	char *dir;

	snprintf(f->tmp, sizeof(f->tmp), "/tmp/gd-repo-XXXXXX");
	if (mkdtemp(f->tmp) == NULL)
		return -1;
	xasprintf(&dir, "%s/remote.git", f->tmp);
	xasprintf(&f->data, "%s/data", f->tmp);
	f->remote = gitfix_new(dir);
	free(dir);
	gitfix_write(f->remote, "apps/web/application.yaml", "kind: App\n");
	gitfix_write(f->remote, "apps/web/values.yaml", "replicas: 1\n");
	gitfix_write(f->remote, "README.md", "hello\n");
	gitfix_commit(f->remote, "main", "first commit", f->c1);
	gitfix_write(f->remote, "apps/web/values.yaml", "replicas: 2\n");
	gitfix_symlink(f->remote, "apps/web/secret.yaml", "/etc/passwd");
	gitfix_symlink(f->remote, "linkdir", "apps");
	gitfix_commit(f->remote, "main", "scale web to 2\n\nbody", f->c2);
	gitfix_branch(f->remote, "release", f->c1);
	gitfix_tag(f->remote, "v1.0.0", f->c1, "release 1");
	gitfix_tag(f->remote, "light", f->c2, NULL);
	gd_repo_lib_init();
	if (gd_repo_open(&f->repo, f->data, gitfix_url(f->remote), NULL, &err) <
	    0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char *cmd;

	gd_repo_free(f->repo);
	gd_repo_lib_shutdown();
	gitfix_free(f->remote);
	xasprintf(&cmd, "rm -rf '%s'", f->tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->tmp);
	free(cmd);
	free(f->data);
	free(f);
	return 0;
}

static void
fetch_ok(struct gd_repo *r)
{
	struct gd_err err;

	gd_err_clear(&err);
	if (gd_repo_fetch(r, &err) < 0)
		fail_msg("fetch: %s", err.msg);
}

static void
test_repo__resolves_every_kind_of_revision(void **state)
{
	struct fx *f = *state;
	char sha[GD_SHA_LEN], shortsha[8];
	struct gd_err err;

	assert_false(gd_repo_is_fetched(f->repo));
	assert_int_equal(
	    gd_repo_resolve(sha, f->repo, "main", &err), GD_ENOTFOUND);
	fetch_ok(f->repo);
	assert_true(gd_repo_is_fetched(f->repo));
	assert_int_equal(gd_repo_resolve(sha, f->repo, "main", &err), 0);
	assert_string_equal(sha, f->c2);
	assert_int_equal(gd_repo_resolve(sha, f->repo, "HEAD", &err), 0);
	assert_string_equal(sha, f->c2);
	assert_int_equal(gd_repo_resolve(sha, f->repo, "", &err), 0);
	assert_string_equal(sha, f->c2);
	assert_int_equal(gd_repo_resolve(sha, f->repo, "release", &err), 0);
	assert_string_equal(sha, f->c1);
	/* an annotated tag peels to its commit */
	assert_int_equal(gd_repo_resolve(sha, f->repo, "v1.0.0", &err), 0);
	assert_string_equal(sha, f->c1);
	assert_int_equal(gd_repo_resolve(sha, f->repo, "light", &err), 0);
	assert_string_equal(sha, f->c2);
	assert_int_equal(gd_repo_resolve(sha, f->repo, f->c1, &err), 0);
	assert_string_equal(sha, f->c1);
	memcpy(shortsha, f->c1, 7);
	shortsha[7] = '\0';
	assert_int_equal(gd_repo_resolve(sha, f->repo, shortsha, &err), 0);
	assert_string_equal(sha, f->c1);
	assert_int_equal(
	    gd_repo_resolve(sha, f->repo, "nope", &err), GD_ENOTFOUND);
	assert_non_null(strstr(err.msg, "revision nope not found"));
	assert_int_equal(
	    gd_repo_resolve(sha, f->repo, "main:README.md", &err), GD_EINVAL);
	assert_int_equal(
	    gd_repo_resolve(sha, f->repo, "main~1", &err), GD_EINVAL);
	assert_int_equal(
	    gd_repo_resolve(sha, f->repo, "main@{1}", &err), GD_EINVAL);
	assert_int_equal(
	    gd_repo_resolve(sha, f->repo, "--all", &err), GD_EINVAL);
}

static void
test_repo__reads_files_and_folders_at_a_commit(void **state)
{
	struct fx *f = *state;
	struct gd_buf b;
	struct gd_err err;
	json_t *list = NULL, *want;

	fetch_ok(f->repo);
	gd_buf_init(&b);
	assert_int_equal(
	    gd_repo_read(&b, f->repo, f->c1, "apps/web/values.yaml", 0, &err),
	    0);
	assert_string_equal(b.data, "replicas: 1\n");
	gd_buf_reset(&b);
	assert_int_equal(
	    gd_repo_read(&b, f->repo, f->c2, "apps/web/values.yaml", 0, &err),
	    0);
	assert_string_equal(b.data, "replicas: 2\n");
	gd_buf_reset(&b);
	assert_int_equal(
	    gd_repo_read(&b, f->repo, f->c2, "apps/web/values.yaml", 4, &err),
	    GD_ETOOBIG);
	assert_int_equal(
	    gd_repo_read(&b, f->repo, f->c1, "apps/web/secret.yaml", 0, &err),
	    GD_ENOTFOUND);
	assert_int_equal(
	    gd_repo_read(&b, f->repo, f->c2, "apps/web/secret.yaml", 0, &err),
	    GD_EINVAL);
	assert_non_null(strstr(err.msg, "symbolic link"));
	assert_int_equal(gd_repo_read(&b, f->repo, f->c2,
			     "linkdir/web/values.yaml", 0, &err),
	    GD_EINVAL);
	assert_non_null(strstr(err.msg, "linkdir is a symbolic link"));
	assert_int_equal(
	    gd_repo_read(&b, f->repo, f->c2, "apps/../README.md", 0, &err),
	    GD_EINVAL);
	assert_int_equal(
	    gd_repo_read(&b, f->repo, f->c2, "/README.md", 0, &err), GD_EINVAL);
	assert_int_equal(
	    gd_repo_read(&b, f->repo, f->c2, "apps", 0, &err), GD_EINVAL);
	assert_int_equal(
	    gd_repo_read(&b, f->repo, "main", "README.md", 0, &err), GD_EINVAL);
	assert_int_equal(b.len, 0);

	assert_int_equal(gd_repo_list(&list, f->repo, f->c2, "", &err), 0);
	want = json_loads("[{\"name\":\"README.md\",\"type\":\"file\"},"
			  "{\"name\":\"apps\",\"type\":\"dir\"},"
			  "{\"name\":\"linkdir\",\"type\":\"link\"}]",
	    0, NULL);
	assert_true(json_equal(list, want));
	json_decref(want);
	json_decref(list);
	assert_int_equal(
	    gd_repo_list(&list, f->repo, f->c1, "apps/web", &err), 0);
	assert_int_equal(json_array_size(list), 2);
	json_decref(list);
	assert_int_equal(
	    gd_repo_list(&list, f->repo, f->c1, "README.md", &err), GD_EINVAL);
	assert_null(list);
	gd_buf_dispose(&b);
}

static int
collect(void *arg, const char *path)
{
	json_array_append_new(arg, json_string(path));
	return 0;
}

static int
stop_at_two(void *arg, const char *path)
{
	json_array_append_new(arg, json_string(path));
	return json_array_size(arg) == 2 ? 7 : 0;
}

static void
test_repo__walks_regular_files_only(void **state)
{
	struct fx *f = *state;
	struct gd_err err;
	json_t *seen = json_array(), *want;

	fetch_ok(f->repo);
	assert_int_equal(gd_repo_walk(f->repo, f->c2, collect, seen, &err), 0);
	want = json_loads("[\"README.md\",\"apps/web/application.yaml\","
			  "\"apps/web/values.yaml\"]",
	    0, NULL);
	assert_true(json_equal(seen, want));
	json_array_clear(seen);
	assert_int_equal(
	    gd_repo_walk(f->repo, f->c2, stop_at_two, seen, &err), 7);
	assert_int_equal(json_array_size(seen), 2);
	json_decref(want);
	json_decref(seen);
}

static void
test_repo__force_push_and_deleted_branch_follow_the_remote(void **state)
{
	struct fx *f = *state;
	char sha[GD_SHA_LEN], c3[GITFIX_SHA_LEN];
	struct gd_err err;

	fetch_ok(f->repo);
	/* rewrite main: back to c1, then a different commit on top */
	gitfix_branch(f->remote, "main", f->c1);
	gitfix_write(f->remote, "README.md", "rewritten\n");
	gitfix_commit(f->remote, "main", "rewrite", c3);
	gitfix_delete_branch(f->remote, "release");
	fetch_ok(f->repo);
	assert_int_equal(gd_repo_resolve(sha, f->repo, "main", &err), 0);
	assert_string_equal(sha, c3);
	assert_int_equal(
	    gd_repo_resolve(sha, f->repo, "release", &err), GD_ENOTFOUND);
	/* the old commit is still readable by sha (history view) */
	assert_int_equal(gd_repo_resolve(sha, f->repo, f->c2, &err), 0);
}

static void
test_repo__failed_fetch_keeps_the_last_good_mirror(void **state)
{
	struct fx *f = *state;
	char sha[GD_SHA_LEN], *moved;
	struct gd_err err, last;

	fetch_ok(f->repo);
	xasprintf(&moved, "%s.gone", gitfix_dir(f->remote));
	assert_int_equal(rename(gitfix_dir(f->remote), moved), 0);
	assert_int_equal(gd_repo_fetch(f->repo, &err), GD_EUPSTREAM);
	assert_non_null(strstr(err.msg, "fetch file://"));
	assert_true(gd_repo_last_fetch(f->repo, &last) > 0);
	assert_int_equal(last.code, GD_EUPSTREAM);
	assert_string_equal(last.msg, err.msg);
	assert_int_equal(gd_repo_resolve(sha, f->repo, "main", &err), 0);
	assert_string_equal(sha, f->c2);
	assert_true(gd_repo_is_fetched(f->repo));
	assert_int_equal(rename(moved, gitfix_dir(f->remote)), 0);
	fetch_ok(f->repo);
	assert_true(gd_repo_last_fetch(f->repo, &last) > 0);
	assert_int_equal(last.code, GD_OK);
	free(moved);
}

static void
test_repo__mirror_survives_a_restart(void **state)
{
	struct fx *f = *state;
	struct gd_repo *again = NULL;
	char sha[GD_SHA_LEN];
	struct gd_err err;

	fetch_ok(f->repo);
	assert_int_equal(
	    gd_repo_open(&again, f->data, gitfix_url(f->remote), NULL, &err),
	    0);
	assert_string_equal(gd_repo_path(again), gd_repo_path(f->repo));
	assert_true(gd_repo_is_fetched(again));
	assert_int_equal(gd_repo_resolve(sha, again, "main", &err), 0);
	assert_string_equal(sha, f->c2);
	gd_repo_free(again);
}

static void
test_repo__commit_metadata(void **state)
{
	struct fx *f = *state;
	struct gd_err err;
	json_t *info = NULL, *want;

	fetch_ok(f->repo);
	assert_int_equal(gd_repo_commit_info(&info, f->repo, f->c1, &err), 0);
	want = json_pack("{s:s, s:s, s:s, s:s, s:[s]}", "revision", f->c1,
	    "author", "Jane Doe <jane@example.com>", "date",
	    "2026-01-01T00:00:00Z", "message", "first commit", "tags",
	    "v1.0.0");
	assert_true(json_equal(info, want));
	json_decref(want);
	json_decref(info);
	assert_int_equal(gd_repo_commit_info(&info, f->repo,
			     "0000000000000000000000000000000000000000", &err),
	    GD_ENOTFOUND);
}

static void
test_repo__url_keys_match_every_spelling(void **state)
{
	static const char *same[] = { "https://github.com/Org/Repo.git",
		"https://user:pw@github.com/org/repo",
		"http://github.com/org/repo/", "git@github.com:org/repo.git",
		"ssh://git@github.com:22/org/repo.git",
		"git://github.com/org/repo", NULL };
	char *k;
	size_t i;

	(void)state;
	for (i = 0; same[i] != NULL; i++) {
		k = gd_repo_url_key(same[i]);
		assert_string_equal(k, "github.com/org/repo");
		free(k);
	}
	k = gd_repo_url_key("file:///tmp/Gitops.git");
	assert_string_equal(k, "/tmp/Gitops");
	free(k);
	k = gd_repo_url_key("https://github.com/org/repo2");
	assert_string_not_equal(k, "github.com/org/repo");
	free(k);
}

static void
test_repo__credentials_never_in_messages(void **state)
{
	struct fx *f = *state;
	struct gd_repo *r = NULL;
	struct gd_err err;

	assert_int_equal(
	    gd_repo_open(&r, f->data,
		"http://ci:hunter2@127.0.0.1:1/gitops.git", NULL, &err),
	    0);
	assert_string_equal(
	    gd_repo_display_url(r), "http://127.0.0.1:1/gitops.git");
	assert_int_equal(gd_repo_fetch(r, &err), GD_EUPSTREAM);
	assert_null(strstr(err.msg, "hunter2"));
	assert_non_null(strstr(err.msg, "http://127.0.0.1:1/gitops.git"));
	gd_repo_free(r);
}

struct polled {
	int calls;
	int failures;
};

static void
on_poll(void *arg, struct gd_repo *repo, int rc, const struct gd_err *err)
{
	struct polled *p = arg;

	(void)repo;
	(void)err;
	p->calls++;
	if (rc < 0)
		p->failures++;
}

static void
wait_rounds(struct gd_repo_poller *p, unsigned long n)
{
	int i;

	for (i = 0; i < 2000 && gd_repo_poller_rounds(p) < n; i++)
		usleep(10000);
	assert_true(gd_repo_poller_rounds(p) >= n);
}

static void
test_repo__poller_fetches_at_once_when_triggered(void **state)
{
	struct fx *f = *state;
	struct gd_repo_poller *p = NULL;
	struct polled seen = { 0, 0 };
	char sha[GD_SHA_LEN], c3[GITFIX_SHA_LEN];
	struct gd_err err;

	assert_int_equal(gd_repo_poller_new(&p, 3600, on_poll, &seen, &err), 0);
	gd_repo_poller_add(p, f->repo);
	wait_rounds(p, 1);
	assert_int_equal(gd_repo_resolve(sha, f->repo, "main", &err), 0);
	assert_string_equal(sha, f->c2);
	gitfix_write(f->remote, "README.md", "third\n");
	gitfix_commit(f->remote, "main", "third", c3);
	assert_int_equal(
	    gd_repo_poller_trigger(p, "https://example.com/other.git"), 0);
	/* another spelling of the same file:// URL matches */
	assert_int_equal(gd_repo_poller_trigger(p, gitfix_url(f->remote)), 1);
	wait_rounds(p, 2);
	assert_int_equal(gd_repo_resolve(sha, f->repo, "main", &err), 0);
	assert_string_equal(sha, c3);
	gd_repo_poller_free(p);
	assert_int_equal(seen.calls, 2);
	assert_int_equal(seen.failures, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_repo__resolves_every_kind_of_revision),
		T(test_repo__reads_files_and_folders_at_a_commit),
		T(test_repo__walks_regular_files_only),
		T(test_repo__force_push_and_deleted_branch_follow_the_remote),
		T(test_repo__failed_fetch_keeps_the_last_good_mirror),
		T(test_repo__mirror_survives_a_restart),
		T(test_repo__commit_metadata),
		T(test_repo__url_keys_match_every_spelling),
		T(test_repo__credentials_never_in_messages),
		T(test_repo__poller_fetches_at_once_when_triggered),
#undef T
	};

	gd_core_init_json();
	log_init(GD_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
