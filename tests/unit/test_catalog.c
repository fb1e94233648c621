/* SPDX-License-Identifier: ISC */
/*
 * The catalog: the example gitops repository (built into a real git
 * repository with gitfix and read through the repo module), every
 * validation message with its file:line:col, invalid documents that stay
 * listed without stopping the others, duplicate names, the default
 * project, value-file lookup and traversal refusal, change sets between
 * two commits, globs, label selectors and the snapshot cell.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/core.h"
#include "gitopsd/catalog.h"
#include "gitopsd/repo.h"
#include "../helpers/gitfix.h"

struct fx {
	char tmp[64];
	struct gitfix *remote;
	struct gd_repo *repo;
};

static const char *const example_include[] = { "apps/**/*.yaml",
	"platform/**/*.yaml", NULL };

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct gd_err err;
	char *dir, *data;

	snprintf(f->tmp, sizeof(f->tmp), "/tmp/gd-catalog-XXXXXX");
	if (mkdtemp(f->tmp) == NULL)
		return -1;
	xasprintf(&dir, "%s/remote.git", f->tmp);
	xasprintf(&data, "%s/data", f->tmp);
	f->remote = gitfix_new(dir);
	gd_repo_lib_init();
	if (gd_repo_open(&f->repo, data, gitfix_url(f->remote), NULL, &err) <
	    0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	free(dir);
	free(data);
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
	free(f);
	return 0;
}

/* Commits the tree, fetches it and loads the catalog of main. */
static struct gd_catalog *
commit_and_load(struct fx *f, const char *const *include, char *sha)
{
	struct gd_catalog *c = NULL;
	struct gd_err err;
	char local[GITFIX_SHA_LEN];

	if (sha == NULL)
		sha = local;
	gitfix_commit(f->remote, "main", "change", sha);
	if (gd_repo_fetch(f->repo, &err) < 0)
		fail_msg("fetch: %s", err.msg);
	if (gd_catalog_load(&c, f->repo, sha, include, &err) < 0)
		fail_msg("load: %s", err.msg);
	return c;
}

static void
import_example(struct fx *f)
{
	char *dir;

	xasprintf(&dir, "%s/examples/gitops-repo", getenv("GD_SRCDIR"));
	gitfix_import(f->remote, dir, "");
	free(dir);
}

static json_t *
names_of(json_t *items)
{
	json_t *out = json_array(), *it;
	size_t i;

	json_array_foreach(items, i, it)
		json_array_append(out,
		    json_object_get(json_object_get(it, "metadata"), "name"));
	return out;
}

static void
assert_json(json_t *got, const char *want_text)
{
	json_t *want = json_loads(want_text, 0, NULL);
	char *g;

	assert_non_null(want);
	if (!json_equal(got, want)) {
		g = json_dumps(got, JSON_COMPACT);
		fail_msg("got %s\nwant %s", g, want_text);
	}
	json_decref(want);
}

/* The messages of an app's conditions. */
static json_t *
conditions_of(const struct gd_catalog *c, const char *app)
{
	json_t *out = json_array(), *cond, *a = gd_catalog_app(c, app);
	size_t i;

	assert_non_null(a);
	json_array_foreach(
	    json_object_get(json_object_get(a, "status"), "conditions"), i,
	    cond) {
		assert_string_equal(
		    json_string_value(json_object_get(cond, "type")),
		    "InvalidSpecError");
		json_array_append(out, json_object_get(cond, "message"));
	}
	return out;
}

static void
test_catalog__example_repo_has_four_apps_and_the_project(void **state)
{
	struct fx *f = *state;
	char sha[GITFIX_SHA_LEN];
	struct gd_catalog *c;
	json_t *names, *app, *conds;
	size_t i;

	import_example(f);
	c = commit_and_load(f, example_include, sha);
	assert_string_equal(gd_catalog_revision(c), sha);
	names = names_of(gd_catalog_apps(c));
	assert_json(names,
	    "[\"myapp-prod\",\"myapp-staging\",\"payments-api-prod\","
	    "\"payments-api-staging\"]");
	json_decref(names);
	names = names_of(gd_catalog_projects(c));
	assert_json(names, "[\"default\",\"myteam\"]");
	json_decref(names);
	json_array_foreach(gd_catalog_apps(c), i, app) {
		conds = json_object_get(
		    json_object_get(app, "status"), "conditions");
		assert_int_equal(json_array_size(conds), 0);
		assert_string_equal(
		    json_string_value(json_object_get(
			json_object_get(json_object_get(app, "status"), "sync"),
			"revision")),
		    sha);
	}
	app = gd_catalog_app(c, "myapp-staging");
	assert_json(json_object_get(json_object_get(app, "spec"), "syncPolicy"),
	    "{\"automated\":{\"prune\":true,\"selfHeal\":true},"
	    "\"syncOptions\":[\"CreateNamespace=true\","
	    "\"ServerSideApply=true\"]}");
	assert_string_equal(gd_catalog_app_file(c, "myapp-staging"),
	    "apps/myapp/application.yaml");
	assert_json(
	    json_object_get(
		json_object_get(gd_catalog_project(c, "myteam"), "spec"),
		"sourceRepos"),
	    "[\"oci://harbor.local/charts\",\"file:///srv/gitops-repo.git\"]");
	assert_int_equal(json_array_size(gd_catalog_errors(c)), 0);
	assert_null(gd_catalog_app(c, "myteam-quota"));
	gd_catalog_unref(c);
}

#define APP_HEAD                                                               \
	"apiVersion: argoproj.io/v1alpha1\n"                                   \
	"kind: Application\n"                                                  \
	"metadata:\n"                                                          \
	"  name: web\n"

/* One application document in one file; returns its condition messages. */
static json_t *
problems(const char *text)
{
	struct gd_catalog *c = gd_catalog_new("file:///x", "abc");
	json_t *out;

	gd_catalog_add_yaml(c, "apps/web/app.yaml", text, strlen(text));
	gd_catalog_finish(c);
	out = conditions_of(c,
	    json_string_value(json_object_get(
		json_object_get(
		    json_array_get(gd_catalog_apps(c), 0), "metadata"),
		"name")));
	gd_catalog_unref(c);
	return out;
}

static void
expect_problem(const char *text, const char *want)
{
	json_t *got = problems(text);
	char *g;

	if (json_array_size(got) != 1 ||
	    strcmp(json_string_value(json_array_get(got, 0)), want) != 0) {
		g = json_dumps(got, 0);
		fail_msg("got %s\nwant [\"%s\"]", g, want);
	}
	json_decref(got);
}

static void
test_catalog__validation_names_file_line_and_field(void **state)
{
	(void)state;
	expect_problem(APP_HEAD "spec:\n"
				"  source:\n"
				"    repoURL: https://charts.example.com\n"
				"    chart: web\n"
				"  destination:\n"
				"    server: https://kubernetes.default.svc\n"
				"    namespace: 5\n",
	    "apps/web/app.yaml:11:5: spec.destination.namespace: expected "
	    "a string");
	expect_problem(APP_HEAD "spec:\n"
				"  source:\n"
				"    repoURL: https://charts.example.com\n"
				"    chart: web\n"
				"  destination: {name: in-cluster}\n"
				"  syncPolicy:\n"
				"    automated:\n"
				"      selfheal: true\n",
	    "apps/web/app.yaml:12:7: spec.syncPolicy.automated.selfheal: "
	    "unknown field");
	expect_problem(APP_HEAD "spec:\n"
				"  source:\n"
				"    repoURL: https://charts.example.com\n"
				"    chart: web\n",
	    "apps/web/app.yaml:5:1: spec: destination is required");
	expect_problem(APP_HEAD "spec:\n"
				"  source: {repoURL: a, path: b}\n"
				"  sources: [{repoURL: a, path: b}]\n"
				"  destination: {name: in-cluster}\n",
	    "apps/web/app.yaml:5:1: spec: set source or sources, not both");
	expect_problem(APP_HEAD "spec:\n"
				"  source: {path: b}\n"
				"  destination: {name: in-cluster}\n",
	    "apps/web/app.yaml:6:3: spec.source: repoURL is required");
	expect_problem(APP_HEAD "spec:\n"
				"  source: {repoURL: a, path: b}\n"
				"  destination: {name: x, server: https://k}\n",
	    "apps/web/app.yaml:7:3: spec.destination: set server or name, "
	    "not both");
	expect_problem(APP_HEAD "spec:\n"
				"  source: {repoURL: a, path: b}\n"
				"  destination: {name: x}\n"
				"  syncPolicy:\n"
				"    syncOptions:\n"
				"      - CreateNamespace\n",
	    "apps/web/app.yaml:10:9: spec.syncPolicy.syncOptions[0]: "
	    "\"CreateNamespace\": want Name=value");
	expect_problem(APP_HEAD "spec:\n"
				"  sources:\n"
				"    - repoURL: https://charts.example.com\n"
				"      chart: web\n"
				"      helm:\n"
				"        valueFiles: [$values/web.yaml]\n"
				"  destination: {name: x}\n",
	    "apps/web/app.yaml:10:22: spec.sources[0].helm.valueFiles[0]: "
	    "$values/web.yaml: no source has ref \"values\"");
	expect_problem(APP_HEAD "spec:\n"
				"  project: nope\n"
				"  source: {repoURL: a, path: b}\n"
				"  destination: {name: x}\n",
	    "apps/web/app.yaml:6:3: spec.project: project nope does not "
	    "exist");
	expect_problem(APP_HEAD "spec:\n"
				"  source:\n"
				"    repoURL: https://charts.example.com\n"
				"    chart: web\n"
				"    helm:\n"
				"      valueFiles: [../../../etc/passwd]\n"
				"  destination: {name: x}\n",
	    "apps/web/app.yaml:10:20: spec.source.helm.valueFiles[0]: "
	    "../../../etc/passwd: leaves the repository");
	expect_problem(APP_HEAD "spec:\n"
				"  source:\n"
				"    repoURL: https://charts.example.com\n"
				"    chart: web\n"
				"    helm:\n"
				"      valueFiles: [/etc/passwd]\n"
				"  destination: {name: x}\n",
	    "apps/web/app.yaml:10:20: spec.source.helm.valueFiles[0]: "
	    "/etc/passwd: absolute paths are refused");
	expect_problem("apiVersion: argoproj.io/v1alpha1\n"
		       "kind: Application\n"
		       "metadata:\n"
		       "  name: Web_App\n"
		       "spec:\n"
		       "  source: {repoURL: a, path: b}\n"
		       "  destination: {name: x}\n",
	    "apps/web/app.yaml:4:3: metadata.name: \"Web_App\" is not a "
	    "valid name (lower case letters, digits, '-' and '.', at most "
	    "253)");
	expect_problem(APP_HEAD "spec:\n"
				"  source: {repoURL: a, path: b}\n"
				"  destination: {name: x}\n"
				"  revisionHistoryLimit: ten\n",
	    "apps/web/app.yaml:8:3: spec.revisionHistoryLimit: expected an "
	    "integer");
}

static void
test_catalog__invalid_documents_stay_listed_and_others_load(void **state)
{
	static const char three[] =
	    "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
	    "metadata: {name: one}\n"
	    "spec: {source: {repoURL: a, path: b}, destination: {name: x}}\n"
	    "---\n"
	    "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
	    "metadata: {labels: {a: b}}\n"
	    "spec: {source: {repoURL: a, path: b}, destination: 7}\n"
	    "---\n"
	    "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
	    "metadata: {name: three}\n"
	    "spec: {source: {repoURL: a, path: b}, destination: {name: x}}\n";
	static const char broken[] = "apiVersion: argoproj.io/v1alpha1\n"
				     "kind: Application\n"
				     "metadata: {name: [}\n";
	static const char notyaml[] = "key: [unclosed\n";
	struct gd_catalog *c = gd_catalog_new("file:///x", "abc");
	json_t *names, *conds;

	(void)state;
	gd_catalog_add_yaml(c, "apps/three.yaml", three, strlen(three));
	gd_catalog_add_yaml(c, "apps/broken.yaml", broken, strlen(broken));
	gd_catalog_add_yaml(c, "misc/notes.yaml", notyaml, strlen(notyaml));
	gd_catalog_finish(c);
	names = names_of(gd_catalog_apps(c));
	assert_json(names,
	    "[\"apps/broken.yaml\",\"apps/three.yaml#2\",\"one\","
	    "\"three\"]");
	json_decref(names);
	conds = conditions_of(c, "one");
	assert_int_equal(json_array_size(conds), 0);
	json_decref(conds);
	conds = conditions_of(c, "apps/three.yaml#2");
	assert_json(conds,
	    "[\"apps/three.yaml:9:39: spec.destination: expected a map\","
	    "\"apps/three.yaml:8:1: metadata.name: required\"]");
	json_decref(conds);
	conds = conditions_of(c, "apps/broken.yaml");
	assert_int_equal(json_array_size(conds), 1);
	assert_non_null(strstr(json_string_value(json_array_get(conds, 0)),
	    "apps/broken.yaml:3:"));
	json_decref(conds);
	assert_int_equal(json_array_size(gd_catalog_errors(c)), 1);
	assert_non_null(
	    strstr(json_string_value(json_array_get(gd_catalog_errors(c), 0)),
		"misc/notes.yaml:"));
	gd_catalog_unref(c);
}

static void
test_catalog__duplicate_names_name_both_files(void **state)
{
	static const char app[] =
	    "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
	    "metadata:\n  name: web\n"
	    "spec: {source: {repoURL: a, path: b}, destination: {name: x}}\n";
	struct gd_catalog *c = gd_catalog_new("file:///x", "abc");
	json_t *items, *conds;
	size_t i;

	(void)state;
	gd_catalog_add_yaml(c, "apps/b.yaml", app, strlen(app));
	gd_catalog_add_yaml(c, "apps/a.yaml", app, strlen(app));
	gd_catalog_finish(c);
	items = gd_catalog_apps(c);
	assert_int_equal(json_array_size(items), 2);
	for (i = 0; i < 2; i++) {
		conds = json_object_get(
		    json_object_get(json_array_get(items, i), "status"),
		    "conditions");
		assert_int_equal(json_array_size(conds), 1);
	}
	assert_string_equal(
	    json_string_value(json_object_get(
		json_array_get(
		    json_object_get(
			json_object_get(json_array_get(items, 0), "status"),
			"conditions"),
		    0),
		"message")),
	    "apps/a.yaml:4:3: metadata.name: application web is defined 2 "
	    "times; also at apps/b.yaml:4:3");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_array_get(
		    json_object_get(
			json_object_get(json_array_get(items, 1), "status"),
			"conditions"),
		    0),
		"message")),
	    "apps/b.yaml:4:3: metadata.name: application web is defined 2 "
	    "times; also at apps/a.yaml:4:3");
	gd_catalog_unref(c);
}

static void
test_catalog__default_project_only_when_not_defined(void **state)
{
	static const char proj[] =
	    "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\n"
	    "metadata: {name: default}\n"
	    "spec: {sourceRepos: [https://only.example.com]}\n";
	struct gd_catalog *c = gd_catalog_new("file:///x", "abc");

	(void)state;
	gd_catalog_finish(c);
	assert_json(json_object_get(gd_catalog_project(c, "default"), "spec"),
	    "{\"sourceRepos\":[\"*\"],\"destinations\":[{\"server\":\"*\","
	    "\"namespace\":\"*\"}],\"clusterResourceWhitelist\":[{\"group\":"
	    "\"*\",\"kind\":\"*\"}]}");
	gd_catalog_unref(c);
	c = gd_catalog_new("file:///x", "abc");
	gd_catalog_add_yaml(c, "p.yaml", proj, strlen(proj));
	gd_catalog_finish(c);
	assert_int_equal(json_array_size(gd_catalog_projects(c)), 1);
	assert_json(json_object_get(gd_catalog_project(c, "default"), "spec"),
	    "{\"sourceRepos\":[\"https://only.example.com\"]}");
	gd_catalog_unref(c);
}

static void
test_catalog__value_file_lookup_order_and_traversal(void **state)
{
	struct fx *f = *state;
	struct gd_catalog *c;
	struct gd_buf b;
	struct gd_err err;
	json_t *l = NULL;
	char sha[GITFIX_SHA_LEN], *want;

	import_example(f);
	gitfix_write(f->remote, "apps/shared/common.yaml", "shared: true\n");
	gitfix_symlink(f->remote, "apps/myapp/evil.yaml", "/etc/passwd");
	gitfix_write(f->remote, "apps/git/app.yaml",
	    "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
	    "metadata: {name: gitapp}\n"
	    "spec:\n"
	    "  sources:\n"
	    "    - repoURL: https://git.example.com/charts.git\n"
	    "      path: charts/web\n"
	    "      targetRevision: v2\n"
	    "      helm: {valueFiles: [$vals/env/prod.yaml, values-x.yaml]}\n"
	    "    - repoURL: https://git.example.com/values.git\n"
	    "      targetRevision: main\n"
	    "      ref: vals\n"
	    "  destination: {name: x}\n");
	c = commit_and_load(f, NULL, sha);
	assert_int_equal(gd_catalog_value_file_lookup(&l, c, "myapp-staging", 0,
			     "values-staging.yaml", &err),
	    0);
	xasprintf(&want,
	    "[{\"where\":\"chart\",\"repoURL\":"
	    "\"oci://harbor.local/charts\",\"revision\":\"1.3.0\","
	    "\"path\":\"values-staging.yaml\"},{\"where\":\"gitops\","
	    "\"repoURL\":\"%s\",\"revision\":\"%s\",\"path\":"
	    "\"apps/myapp/values-staging.yaml\"}]",
	    gitfix_url(f->remote), sha);
	assert_json(l, want);
	free(want);
	json_decref(l);
	assert_int_equal(gd_catalog_value_file_lookup(&l, c, "myapp-staging", 0,
			     "../shared/common.yaml", &err),
	    0);
	/* it leaves the chart, so only the gitops folder is a candidate */
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(l, 0), "path")),
	    "apps/shared/common.yaml");
	json_decref(l);
	assert_int_equal(gd_catalog_value_file_lookup(
			     &l, c, "gitapp", 0, "$vals/env/prod.yaml", &err),
	    0);
	assert_json(l,
	    "[{\"where\":\"ref\",\"repoURL\":"
	    "\"https://git.example.com/values.git\",\"revision\":\"main\","
	    "\"path\":\"env/prod.yaml\"}]");
	json_decref(l);
	assert_int_equal(gd_catalog_value_file_lookup(
			     &l, c, "gitapp", 0, "values-x.yaml", &err),
	    0);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(l, 0), "path")),
	    "charts/web/values-x.yaml");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(l, 1), "path")),
	    "apps/git/values-x.yaml");
	json_decref(l);
	assert_int_equal(gd_catalog_value_file_lookup(&l, c, "myapp-staging", 0,
			     "../../../etc/passwd", &err),
	    GD_EINVAL);
	assert_string_equal(err.msg,
	    "value file ../../../etc/passwd of application myapp-staging "
	    "leaves the repository: refused");
	assert_int_equal(gd_catalog_value_file_lookup(
			     &l, c, "myapp-staging", 0, "/etc/passwd", &err),
	    GD_EINVAL);
	assert_int_equal(gd_catalog_value_file_lookup(
			     &l, c, "gitapp", 0, "$vals/../../x.yaml", &err),
	    GD_EINVAL);
	assert_non_null(strstr(err.msg, "leaves the repository"));
	assert_int_equal(gd_catalog_value_file_lookup(
			     &l, c, "gitapp", 0, "$nope/x.yaml", &err),
	    GD_EINVAL);
	assert_string_equal(
	    err.msg, "value file $nope/x.yaml: no source has that ref");
	assert_int_equal(
	    gd_catalog_value_file_lookup(&l, c, "nope", 0, "x.yaml", &err),
	    GD_ENOTFOUND);

	gd_buf_init(&b);
	assert_int_equal(gd_catalog_read_value_file(&b, c, f->repo,
			     "myapp-staging", "values-staging.yaml", &err),
	    0);
	assert_non_null(strstr(b.data, "replicaCount: 1"));
	gd_buf_reset(&b);
	assert_int_equal(gd_catalog_read_value_file(&b, c, f->repo,
			     "myapp-staging", "../shared/common.yaml", &err),
	    0);
	assert_string_equal(b.data, "shared: true\n");
	gd_buf_reset(&b);
	assert_int_equal(gd_catalog_read_value_file(&b, c, f->repo,
			     "myapp-staging", "evil.yaml", &err),
	    GD_EINVAL);
	assert_non_null(strstr(err.msg, "symbolic link"));
	assert_int_equal(gd_catalog_read_value_file(&b, c, f->repo,
			     "myapp-staging", "../../../../etc/passwd", &err),
	    GD_EINVAL);
	assert_int_equal(gd_catalog_read_value_file(&b, c, f->repo,
			     "myapp-staging", "/etc/passwd", &err),
	    GD_EINVAL);
	assert_int_equal(b.len, 0);
	gd_buf_dispose(&b);
	gd_catalog_unref(c);
}

static void
test_catalog__new_commit_gives_the_changed_apps(void **state)
{
	struct fx *f = *state;
	struct gd_catalog *c1, *c2;
	json_t *changed;
	struct gd_buf b;
	struct gd_err err;
	char *prod, *p;

	import_example(f);
	c1 = commit_and_load(f, example_include, NULL);
	changed = gd_catalog_changed(NULL, c1);
	assert_int_equal(json_array_size(changed), 4);
	json_decref(changed);
	/* same content, new commit: nothing changed */
	c2 = commit_and_load(f, example_include, NULL);
	changed = gd_catalog_changed(c1, c2);
	assert_int_equal(json_array_size(changed), 0);
	json_decref(changed);
	gd_catalog_unref(c2);
	/* payments-api goes, myapp-prod's namespace changes, values alone do
	 * not change a spec */
	gitfix_remove(f->remote, "apps/payments-api/application.yaml");
	gd_buf_init(&b);
	assert_int_equal(gd_repo_read(&b, f->repo, gd_catalog_revision(c1),
			     "apps/myapp/application.yaml", 0, &err),
	    0);
	prod = strstr(b.data, "namespace: myteam-prod");
	assert_non_null(prod);
	p = xstrndup(b.data, (size_t)(prod - b.data));
	gd_buf_reset(&b);
	gd_buf_adds(&b, p);
	gd_buf_adds(&b, "namespace: myteam-prod2");
	gd_buf_adds(&b, prod + strlen("namespace: myteam-prod"));
	free(p);
	gitfix_write(f->remote, "apps/myapp/application.yaml", b.data);
	gitfix_write(f->remote, "apps/myapp/values-staging.yaml", "x: 1\n");
	gd_buf_dispose(&b);
	c2 = commit_and_load(f, example_include, NULL);
	changed = gd_catalog_changed(c1, c2);
	assert_json(changed,
	    "[\"myapp-prod\",\"payments-api-prod\","
	    "\"payments-api-staging\"]");
	json_decref(changed);
	gd_catalog_unref(c1);
	gd_catalog_unref(c2);
}

static void
test_catalog__globs(void **state)
{
	(void)state;
	assert_true(gd_catalog_glob_match("apps/**/*.yaml", "apps/a.yaml"));
	assert_true(
	    gd_catalog_glob_match("apps/**/*.yaml", "apps/x/y/app.yaml"));
	assert_false(gd_catalog_glob_match("apps/**/*.yaml", "apps/a.yml"));
	assert_false(
	    gd_catalog_glob_match("apps/**/*.yaml", "platform/apps/a.yaml"));
	assert_true(gd_catalog_glob_match("**/*.yaml", "a.yaml"));
	assert_true(gd_catalog_glob_match("**/*.yaml", "a/b/c.yaml"));
	assert_false(gd_catalog_glob_match("*.yaml", "a/b.yaml"));
	assert_true(gd_catalog_glob_match("a/*/c", "a/b/c"));
	assert_false(gd_catalog_glob_match("a/*/c", "a/b/x/c"));
	assert_true(gd_catalog_glob_match("a/**", "a/b/x/c"));
	assert_true(gd_catalog_glob_match("v?.[0-9].yaml", "v1.5.yaml"));
	assert_false(gd_catalog_glob_match("v?.[!0-9].yaml", "v1.5.yaml"));
	assert_false(gd_catalog_glob_match("a?b", "a/b"));
	/* many stars stay fast: memoised, not exponential */
	assert_false(gd_catalog_glob_match("**a**a**a**a**a**a**a**a**b",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void
test_catalog__label_selectors(void **state)
{
	json_t *labels =
	    json_pack("{s:s, s:s}", "team", "myteam", "env", "prod");
	struct gd_err err;
	bool m;

	(void)state;
	assert_int_equal(
	    gd_catalog_selector_match(&m, "team=myteam", labels, &err), 0);
	assert_true(m);
	gd_catalog_selector_match(&m, "team==myteam,env=prod", labels, &err);
	assert_true(m);
	gd_catalog_selector_match(&m, "team=myteam,env=staging", labels, &err);
	assert_false(m);
	gd_catalog_selector_match(&m, "env!=staging", labels, &err);
	assert_true(m);
	gd_catalog_selector_match(&m, "env", labels, &err);
	assert_true(m);
	gd_catalog_selector_match(&m, "!env", labels, &err);
	assert_false(m);
	gd_catalog_selector_match(&m, "!owner", labels, &err);
	assert_true(m);
	gd_catalog_selector_match(&m, "", labels, &err);
	assert_true(m);
	assert_int_equal(
	    gd_catalog_selector_match(&m, "env in (prod)", labels, &err),
	    GD_EINVAL);
	assert_int_equal(
	    gd_catalog_selector_match(&m, "=x", labels, &err), GD_EINVAL);
	json_decref(labels);
}

static void
test_catalog__cell_readers_keep_their_snapshot(void **state)
{
	struct gd_catalog_cell *cell = gd_catalog_cell_new();
	struct gd_catalog *a = gd_catalog_new("u", "aaa"), *b, *held;

	(void)state;
	gd_catalog_finish(a);
	assert_null(gd_catalog_cell_get(cell));
	gd_catalog_cell_set(cell, a);
	held = gd_catalog_cell_get(cell);
	b = gd_catalog_new("u", "bbb");
	gd_catalog_finish(b);
	gd_catalog_cell_set(cell, b);
	/* the old snapshot lives while a reader holds it */
	assert_string_equal(gd_catalog_revision(held), "aaa");
	gd_catalog_unref(held);
	held = gd_catalog_cell_get(cell);
	assert_string_equal(gd_catalog_revision(held), "bbb");
	gd_catalog_unref(held);
	gd_catalog_cell_free(cell);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_catalog__example_repo_has_four_apps_and_the_project),
		cmocka_unit_test(
		    test_catalog__validation_names_file_line_and_field),
		cmocka_unit_test(
		    test_catalog__invalid_documents_stay_listed_and_others_load),
		cmocka_unit_test(test_catalog__duplicate_names_name_both_files),
		cmocka_unit_test(
		    test_catalog__default_project_only_when_not_defined),
		T(test_catalog__value_file_lookup_order_and_traversal),
		T(test_catalog__new_commit_gives_the_changed_apps),
		cmocka_unit_test(test_catalog__globs),
		cmocka_unit_test(test_catalog__label_selectors),
		cmocka_unit_test(
		    test_catalog__cell_readers_keep_their_snapshot),
#undef T
	};

	gd_core_init_json();
	log_init(GD_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
