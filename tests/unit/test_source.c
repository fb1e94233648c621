/* SPDX-License-Identifier: ISC */
/*
 * The source module over real git: a gitops repository built with gitfix
 * holds Applications and what they deploy (folders of manifests, a chart
 * with a vendored subchart, value files beside the Applications and in a
 * $ref source), is fetched by the repo module and read into a real
 * catalog. Renders are counted through gd_source_stats, so the cache
 * tests prove an unchanged app is not rendered again. The manifests
 * endpoint is driven through the router, as tests/unit/test_api_apps.c
 * drives the others.
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
#include <unistd.h>

#include <microhttpd.h>

#include "gitopsd/core.h"
#include "gitopsd/api.h"
#include "gitopsd/catalog.h"
#include "gitopsd/conf.h"
#include "gitopsd/repo.h"
#include "gitopsd/source.h"
#include "../helpers/gitfix.h"
#include "../helpers/ocipush.h"
#include "../helpers/registry.h"

struct fx {
	char tmp[64];
	struct gitfix *remote;
	struct gd_conf *conf;
	struct gd_repo *repo;
	struct gd_catalog *cat;
	struct gd_source *src;
	char sha[GITFIX_SHA_LEN];
};

/* An Application named name in apps/name/application.yaml. */
static void
put_app(struct fx *f, const char *name, const char *project,
    const char *source_yaml)
{
	char *path, *text;

	xasprintf(&path, "apps/%s/application.yaml", name);
	xasprintf(&text,
	    "apiVersion: argoproj.io/v1alpha1\n"
	    "kind: Application\n"
	    "metadata:\n"
	    "  name: %s\n"
	    "spec:\n"
	    "  project: %s\n"
	    "  destination:\n"
	    "    server: https://kubernetes.default.svc\n"
	    "    namespace: team-a\n"
	    "%s",
	    name, project, source_yaml);
	gitfix_write(f->remote, path, text);
	free(path);
	free(text);
}

/* Commits the tree, fetches it and reads the catalog again. */
static void
publish(struct fx *f)
{
	static const char *const include[] = { "apps/**/*.yaml",
		"platform/*.yaml", NULL };
	struct gd_err err;
	char sha[GD_SHA_LEN];

	gitfix_commit(f->remote, "main", "change", f->sha);
	if (gd_repo_fetch(f->repo, &err) < 0 ||
	    gd_repo_resolve(sha, f->repo, "main", &err) < 0)
		fail_msg("fetch: %s", err.msg);
	gd_catalog_unref(f->cat);
	f->cat = NULL;
	if (gd_catalog_load(&f->cat, f->repo, sha, include, &err) < 0)
		fail_msg("catalog: %s", err.msg);
}

static void
write_tree(struct fx *f)
{
	const char *repo = gitfix_url(f->remote);
	char *s;

	/* a folder of plain manifests */
	gitfix_write(f->remote, "manifests/plain/a.yaml",
	    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a1\n"
	    "---\n"
	    "---\n"
	    "apiVersion: v1\nkind: Service\nmetadata:\n  name: a2\n"
	    "spec:\n  ports:\n  - port: 80\n");
	gitfix_write(f->remote, "manifests/plain/b.json",
	    "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", "
	    "\"metadata\": {\"name\": \"b\"}, \"data\": {\"n\": \"1\"}}");
	gitfix_write(f->remote, "manifests/plain/list.yml",
	    "apiVersion: v1\nkind: List\nitems:\n"
	    "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n"
	    "    name: l1\n"
	    "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n"
	    "    name: l2\n");
	gitfix_write(f->remote, "manifests/plain/README.md", "# not yaml: {");
	gitfix_write(f->remote, "manifests/plain/sub/c.yaml",
	    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n");
	gitfix_write(f->remote, "manifests/plain/sub/skip.yaml",
	    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: skip\n");
	/* a document that is not an object, and kustomize */
	gitfix_write(f->remote, "manifests/bad/x.yaml",
	    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n"
	    "---\n"
	    "apiVersion: v1\nmetadata:\n  name: nokind\n");
	gitfix_write(f->remote, "manifests/kust/kustomization.yaml",
	    "resources: [a.yaml]\n");
	/* a chart with a vendored subchart */
	gitfix_write(f->remote, "charts/demo/Chart.yaml",
	    "apiVersion: v2\nname: demo\nversion: 0.1.0\n"
	    "dependencies:\n- name: sub\n  version: 0.1.0\n");
	gitfix_write(f->remote, "charts/demo/values.yaml",
	    "color: red\nreplicas: 1\nimage:\n  tag: latest\n"
	    "sub:\n  greeting: hello\n");
	gitfix_write(f->remote, "charts/demo/templates/cm.yaml",
	    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
	    "  name: {{ .Release.Name }}-cm\n"
	    "  namespace: {{ .Release.Namespace }}\n"
	    "data:\n"
	    "  color: {{ .Values.color | quote }}\n"
	    "  replicas: {{ .Values.replicas | quote }}\n"
	    "  tag: {{ .Values.image.tag | quote }}\n"
	    "  tagType: {{ kindOf .Values.image.tag | quote }}\n"
	    "  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n"
	    "  motd: {{ .Values.motd | default \"\" | quote }}\n"
	    "  hosts: {{ .Values.hosts | default list | toJson | quote }}\n");
	gitfix_write(f->remote, "charts/demo/crds/widgets.yaml",
	    "apiVersion: apiextensions.k8s.io/v1\n"
	    "kind: CustomResourceDefinition\n"
	    "metadata:\n  name: widgets.example.com\n");
	gitfix_write(f->remote, "charts/demo/charts/sub/Chart.yaml",
	    "apiVersion: v2\nname: sub\nversion: 0.1.0\n");
	gitfix_write(f->remote, "charts/demo/charts/sub/templates/s.yaml",
	    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
	    "  name: {{ .Release.Name }}-sub\n"
	    "data:\n  greeting: {{ .Values.greeting | quote }}\n");
	gitfix_write(f->remote, "envs/prod.yaml", "color: purple\n");
	gitfix_write(f->remote, "platform/team.yaml",
	    "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\n"
	    "metadata:\n  name: team\n"
	    "spec:\n  sourceRepos: ['*']\n"
	    "  destinations: [{server: '*', namespace: '*'}]\n");

	xasprintf(&s,
	    "  source:\n    repoURL: %s\n    path: manifests/plain\n"
	    "    targetRevision: main\n"
	    "    directory:\n      recurse: true\n"
	    "      exclude: 'sub/skip*'\n",
	    repo);
	put_app(f, "plain", "default", s);
	free(s);
	xasprintf(&s, "  source:\n    repoURL: %s\n    path: manifests/plain\n",
	    repo);
	put_app(f, "flat", "default", s);
	free(s);
	xasprintf(&s,
	    "  source:\n    repoURL: %s\n    path: manifests/plain\n"
	    "    directory:\n      recurse: true\n"
	    "      include: '{a.yaml,sub/*}'\n",
	    repo);
	put_app(f, "picked", "default", s);
	free(s);
	xasprintf(
	    &s, "  source:\n    repoURL: %s\n    path: manifests/bad\n", repo);
	put_app(f, "bad", "default", s);
	free(s);
	xasprintf(
	    &s, "  source:\n    repoURL: %s\n    path: manifests/kust\n", repo);
	put_app(f, "kust", "default", s);
	free(s);
	xasprintf(&s,
	    "  source:\n    repoURL: %s\n    path: manifests/plain\n"
	    "    directory:\n      jsonnet: {tlas: [{name: a, value: b}]}\n",
	    repo);
	put_app(f, "jsonnet", "default", s);
	free(s);
	xasprintf(
	    &s, "  source:\n    repoURL: %s\n    path: ./a/../../x\n", repo);
	put_app(f, "escape", "default", s);
	free(s);
	xasprintf(&s, "  source:\n    repoURL: %s\n    path: gone\n", repo);
	put_app(f, "gone", "default", s);
	free(s);
	gitfix_write(f->remote, "apps/web/values-prod.yaml",
	    "color: blue\nreplicas: 3\nhosts: [a, b]\n");
	gitfix_write(f->remote, "apps/web/motd.txt", "a, b\n");
	xasprintf(&s,
	    "  source:\n    repoURL: %s\n    path: charts/demo\n"
	    "    targetRevision: main\n"
	    "    helm:\n      releaseName: web\n"
	    "      valueFiles: [values-prod.yaml, missing.yaml]\n"
	    "      ignoreMissingValueFiles: true\n"
	    "      values: |\n        color: green\n"
	    "        image: {tag: fromvalues}\n"
	    "      valuesObject:\n        image: {tag: fromobject}\n"
	    "      parameters:\n"
	    "      - {name: image.tag, value: '123', forceString: true}\n"
	    "      - {name: sub.greeting, value: 'hi, there'}\n"
	    "      - {name: 'hosts[1]', value: c}\n"
	    "      fileParameters: [{name: motd, path: motd.txt}]\n",
	    repo);
	put_app(f, "web", "team", s);
	free(s);
	xasprintf(&s,
	    "  sources:\n"
	    "  - repoURL: %s\n    path: charts/demo\n"
	    "    helm:\n      valueFiles: [$vals/envs/prod.yaml]\n"
	    "      skipCrds: true\n"
	    "      parameters: [{name: image.tag, value: '123'}]\n"
	    "  - repoURL: %s\n    ref: vals\n",
	    repo, repo);
	put_app(f, "multi", "default", s);
	free(s);
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct gd_source_opts so;
	struct gd_err err;
	char *p;

	snprintf(f->tmp, sizeof(f->tmp), "/tmp/gd-source-XXXXXX");
	if (mkdtemp(f->tmp) == NULL)
		return -1;
	xasprintf(&p, "%s/remote.git", f->tmp);
	f->remote = gitfix_new(p);
	free(p);
	write_tree(f);
	f->conf = gd_conf_new_default();
	free(f->conf->data_dir);
	xasprintf(&f->conf->data_dir, "%s/data", f->tmp);
	gd_repo_lib_init();
	if (gd_repo_open(&f->repo, f->conf->data_dir, gitfix_url(f->remote),
		f->conf, &err) < 0)
		return -1;
	publish(f);
	memset(&so, 0, sizeof(so));
	so.conf = f->conf;
	so.gitops = f->repo;
	if (gd_source_new(&f->src, &so, &err) < 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char *cmd;

	gd_source_free(f->src);
	gd_catalog_unref(f->cat);
	gd_repo_free(f->repo);
	gd_repo_lib_shutdown();
	gd_conf_free(f->conf);
	gitfix_free(f->remote);
	xasprintf(&cmd, "rm -rf '%s'", f->tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->tmp);
	free(cmd);
	free(f);
	return 0;
}

static int
render(struct fx *f, const char *app, unsigned flags, json_t **out,
    struct gd_err *err)
{
	struct gd_source_req rq;

	memset(&rq, 0, sizeof(rq));
	rq.app = app;
	rq.flags = flags;
	return gd_source_render(out, f->src, f->cat, &rq, err);
}

static json_t *
render_ok(struct fx *f, const char *app, unsigned flags)
{
	struct gd_err err;
	json_t *res = NULL;

	if (render(f, app, flags, &res, &err) < 0)
		fail_msg("render %s: %s", app, err.msg);
	return res;
}

/* "Kind/name" of every object, in order. */
static void
assert_objects(const json_t *res, const char *want_text)
{
	json_t *got = json_array(), *o, *want;
	size_t i;
	char *s;

	json_array_foreach(json_object_get(res, "objects"), i, o) {
		xasprintf(&s, "%s/%s",
		    json_string_value(json_object_get(o, "kind")),
		    json_string_value(json_object_get(
			json_object_get(o, "metadata"), "name")));
		json_array_append_new(got, json_string(s));
		free(s);
	}
	want = json_loads(want_text, 0, NULL);
	assert_non_null(want);
	if (!json_equal(got, want))
		fail_msg("got %s, want %s", json_dumps(got, 0), want_text);
	json_decref(got);
	json_decref(want);
}

/* The data of ConfigMap name among res's objects. */
static json_t *
cm_data(const json_t *res, const char *name)
{
	json_t *o;
	size_t i;

	json_array_foreach(json_object_get(res, "objects"), i, o) {
		if (strcmp(json_string_value(json_object_get(
			       json_object_get(o, "metadata"), "name")),
			name) == 0)
			return json_object_get(o, "data");
	}
	fail_msg("no object %s", name);
	return NULL;
}

static const char *
cm_get(const json_t *res, const char *name, const char *key)
{
	return json_string_value(json_object_get(cm_data(res, name), key));
}

/* --- folders of manifests ------------------------------------------------- */

static void
test_source__plain_manifests_recurse_and_exclude(void **state)
{
	struct fx *f = *state;
	json_t *res = render_ok(f, "plain", 0);

	/* walk order; the empty document dropped, the List flattened */
	assert_objects(res,
	    "[\"ConfigMap/a1\", \"Service/a2\", \"ConfigMap/b\", "
	    "\"ConfigMap/l1\", \"ConfigMap/l2\", \"ConfigMap/c\"]");
	assert_string_equal(
	    json_string_value(json_object_get(res, "sourceType")), "Directory");
	assert_string_equal(
	    json_string_value(json_object_get(res, "revision")), f->sha);
	assert_string_equal(
	    json_string_value(json_object_get(res, "namespace")), "team-a");
	/* JSON files keep their types */
	assert_string_equal(cm_get(res, "b", "n"), "1");
	json_decref(res);
}

static void
test_source__plain_manifests_without_recurse(void **state)
{
	struct fx *f = *state;
	json_t *res = render_ok(f, "flat", 0);

	assert_objects(res,
	    "[\"ConfigMap/a1\", \"Service/a2\", \"ConfigMap/b\", "
	    "\"ConfigMap/l1\", \"ConfigMap/l2\"]");
	json_decref(res);
}

static void
test_source__plain_manifests_include_with_braces(void **state)
{
	struct fx *f = *state;
	json_t *res = render_ok(f, "picked", 0);

	assert_objects(res,
	    "[\"ConfigMap/a1\", \"Service/a2\", \"ConfigMap/c\", "
	    "\"ConfigMap/skip\"]");
	json_decref(res);
}

static void
test_source__document_not_an_object_names_file_and_number(void **state)
{
	struct fx *f = *state;
	struct gd_err err;
	json_t *res = NULL;

	assert_int_equal(render(f, "bad", 0, &res, &err), GD_EINVAL);
	assert_null(res);
	assert_string_equal(err.msg,
	    "manifests/bad/x.yaml: document 2: not a Kubernetes object: "
	    "missing kind");
}

static void
test_source__kustomize_and_jsonnet_refused(void **state)
{
	struct fx *f = *state;
	struct gd_err err;
	json_t *res = NULL;

	assert_int_equal(render(f, "kust", 0, &res, &err), GD_EINVAL);
	assert_non_null(strstr(err.msg,
	    "manifests/kust: kustomize is not "
	    "supported"));
	assert_int_equal(render(f, "jsonnet", 0, &res, &err), GD_EINVAL);
	assert_string_equal(err.msg,
	    "manifests/plain: directory.jsonnet: jsonnet is not supported");
}

static void
test_source__path_that_climbs_out_or_is_gone(void **state)
{
	struct fx *f = *state;
	struct gd_err err;
	json_t *res = NULL;

	assert_int_equal(render(f, "escape", 0, &res, &err), GD_EINVAL);
	assert_non_null(strstr(err.msg, "a/../../x"));
	assert_int_equal(render(f, "gone", 0, &res, &err), GD_ENOTFOUND);
	assert_non_null(strstr(err.msg, "gone: app path does not exist at "));
}

static void
test_source__unknown_app_not_found(void **state)
{
	struct fx *f = *state;
	struct gd_err err;
	json_t *res = NULL;

	assert_int_equal(render(f, "nope", 0, &res, &err), GD_ENOTFOUND);
	assert_string_equal(err.msg, "application nope not found");
}

static void
test_source__parse_manifests_errors(void **state)
{
	json_t *objs = json_array();
	struct gd_err err;

	(void)state;
	assert_int_equal(
	    gd_source_parse_manifests(objs, "x.yaml", "- a\n- b\n", 8, &err),
	    GD_EINVAL);
	assert_string_equal(err.msg,
	    "x.yaml: document 1: not a Kubernetes object: not a mapping");
	assert_int_equal(gd_source_parse_manifests(
			     objs, "y.json", "{\"kind\": \"A\"} {}", 16, &err),
	    GD_EINVAL);
	assert_non_null(strstr(err.msg, "y.json:1:"));
	assert_int_equal(
	    gd_source_parse_manifests(objs, "z.yaml",
		"apiVersion: v1\nkind: List\nitems:\n- kind: X\n", 41, &err),
	    GD_EINVAL);
	assert_string_equal(err.msg,
	    "z.yaml: document 1: item 1: not a Kubernetes object: missing "
	    "apiVersion");
	assert_int_equal(json_array_size(objs), 0);
	json_decref(objs);
}

static void
test_source__argo_globs(void **state)
{
	(void)state;
	/* no separators: "*" crosses folders, as in Argo CD */
	assert_true(gd_source_glob_match("*.yaml", "a/b.yaml"));
	assert_true(gd_source_glob_match(
	    "{config.json,env-usw2/*}", "env-usw2/x.yaml"));
	assert_true(
	    gd_source_glob_match("{config.json,env-usw2/*}", "config.json"));
	assert_false(
	    gd_source_glob_match("{config.json,env-usw2/*}", "config.yaml"));
	assert_true(gd_source_glob_match("[a-c]?.y{a,}ml", "b1.yml"));
	assert_false(gd_source_glob_match("[!a-c]*", "b1.yml"));
	assert_false(gd_source_glob_match("{a,b", "a"));
	assert_false(gd_source_glob_match("[ab", "a"));
	assert_true(gd_source_glob_match("a\\*", "a*"));
	assert_false(gd_source_glob_match("a\\*", "ab"));
	/* hostile patterns end quickly */
	assert_false(gd_source_glob_match("*a*a*a*a*a*a*a*a*a*a*a*b",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_false(gd_source_glob_match(
	    "{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}", "c"));
}

/* --- charts in git and their values --------------------------------------- */

static void
test_source__chart_in_git_with_vendored_dependency(void **state)
{
	struct fx *f = *state;
	json_t *res = render_ok(f, "web", 0);

	/* CRDs first, included unless skipCrds, as Argo CD renders */
	assert_objects(res,
	    "[\"CustomResourceDefinition/widgets.example.com\", "
	    "\"ConfigMap/web-sub\", \"ConfigMap/web-cm\"]");
	assert_string_equal(
	    json_string_value(json_object_get(res, "sourceType")), "Helm");
	assert_string_equal(
	    json_string_value(json_object_get(res, "revision")), f->sha);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(
		    json_array_get(json_object_get(res, "objects"), 2),
		    "metadata"),
		"namespace")),
	    "team-a");
	assert_string_equal(cm_get(res, "web-cm", "kube"), "v1.20.0");
	json_decref(res);
}

static void
test_source__values_files_values_object_and_parameters(void **state)
{
	struct fx *f = *state;
	json_t *res = render_ok(f, "web", 0);

	/* helm.values is ignored when valuesObject is set */
	assert_string_equal(cm_get(res, "web-cm", "color"), "blue");
	/* from values-prod.yaml beside the Application */
	assert_string_equal(cm_get(res, "web-cm", "replicas"), "3");
	/* forceString keeps "123" a string; --set would make it int64 */
	assert_string_equal(cm_get(res, "web-cm", "tag"), "123");
	assert_string_equal(cm_get(res, "web-cm", "tagType"), "string");
	/* a comma in a --set value is escaped, as Argo CD does */
	assert_string_equal(cm_get(res, "web-sub", "greeting"), "hi, there");
	/* a file parameter is the file's text, read from git */
	assert_string_equal(cm_get(res, "web-cm", "motd"), "a, b\n");
	/* a parameter edits the list a value file gave, as helm's --set does */
	assert_string_equal(cm_get(res, "web-cm", "hosts"), "[\"a\",\"c\"]");
	json_decref(res);
}

static void
test_source__ref_source_value_file_and_typed_parameter(void **state)
{
	struct fx *f = *state;
	json_t *res = render_ok(f, "multi", 0);

	/* release name defaults to the app's name */
	assert_objects(
	    res, "[\"ConfigMap/multi-sub\", \"ConfigMap/multi-cm\"]");
	assert_string_equal(cm_get(res, "multi-cm", "color"), "purple");
	/* a plain --set types "123" as a number */
	assert_string_not_equal(cm_get(res, "multi-cm", "tagType"), "string");
	assert_string_equal(cm_get(res, "multi-cm", "tag"), "123");
	assert_int_equal(json_array_size(json_object_get(res, "revisions")), 2);
	assert_int_equal(
	    json_array_size(json_object_get(res, "sourceTypes")), 1);
	json_decref(res);
}

static void
test_source__kube_version_from_the_caller(void **state)
{
	struct fx *f = *state;
	struct gd_source_req rq;
	struct gd_err err;
	json_t *res = NULL;

	memset(&rq, 0, sizeof(rq));
	rq.app = "web";
	rq.kube_version = "v1.29.3";
	if (gd_source_render(&res, f->src, f->cat, &rq, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(cm_get(res, "web-cm", "kube"), "v1.29.3");
	json_decref(res);
}

/* --- the render cache ----------------------------------------------------- */

static void
test_source__unchanged_app_is_not_rendered_again(void **state)
{
	struct fx *f = *state;
	struct gd_source_stats a, b, c;
	json_t *r1, *r2, *r3;

	r1 = render_ok(f, "web", 0);
	gd_source_stats(f->src, &a);
	r2 = render_ok(f, "web", 0);
	gd_source_stats(f->src, &b);
	assert_int_equal(b.renders, a.renders);
	assert_int_equal(b.hits, a.hits + 1);
	assert_string_equal(json_string_value(json_object_get(r1, "key")),
	    json_string_value(json_object_get(r2, "key")));
	/* the cached objects are shared, not copied */
	assert_ptr_equal(json_array_get(json_object_get(r1, "objects"), 0),
	    json_array_get(json_object_get(r2, "objects"), 0));
	/* a commit that touches nothing the app reads: still a hit */
	gitfix_write(f->remote, "unrelated.txt", "x");
	publish(f);
	r3 = render_ok(f, "web", 0);
	gd_source_stats(f->src, &c);
	assert_int_equal(c.renders, a.renders);
	json_decref(r1);
	json_decref(r2);
	json_decref(r3);
}

static void
test_source__changed_value_file_renders_again(void **state)
{
	struct fx *f = *state;
	struct gd_source_stats a, b;
	json_t *r1, *r2;

	r1 = render_ok(f, "web", 0);
	gd_source_stats(f->src, &a);
	gitfix_write(f->remote, "apps/web/values-prod.yaml",
	    "color: blue\nreplicas: 5\n");
	publish(f);
	r2 = render_ok(f, "web", 0);
	gd_source_stats(f->src, &b);
	assert_int_equal(b.renders, a.renders + 1);
	assert_string_equal(cm_get(r2, "web-cm", "replicas"), "5");
	assert_string_not_equal(json_string_value(json_object_get(r1, "key")),
	    json_string_value(json_object_get(r2, "key")));
	json_decref(r1);
	json_decref(r2);
}

static void
test_source__hard_refresh_bypasses_the_cache(void **state)
{
	struct fx *f = *state;
	struct gd_source_stats a, b;
	json_t *r1, *r2;

	r1 = render_ok(f, "plain", 0);
	gd_source_stats(f->src, &a);
	r2 = render_ok(f, "plain", GD_SOURCE_HARD);
	gd_source_stats(f->src, &b);
	assert_int_equal(b.renders, a.renders + 1);
	assert_int_equal(b.hits, a.hits);
	json_decref(r1);
	json_decref(r2);
}

static void
test_source__cache_evicts_least_recently_used(void **state)
{
	struct fx *f = *state;
	struct gd_source_opts so;
	struct gd_source_stats st;
	struct gd_source *small = NULL;
	struct gd_source_req rq;
	struct gd_err err;
	json_t *res;
	const char *apps[] = { "plain", "flat", "plain", "picked", "flat" };
	size_t i;

	memset(&so, 0, sizeof(so));
	so.conf = f->conf;
	so.gitops = f->repo;
	so.cache_max = 2;
	assert_int_equal(gd_source_new(&small, &so, &err), 0);
	memset(&rq, 0, sizeof(rq));
	for (i = 0; i < 5; i++) {
		rq.app = apps[i];
		assert_int_equal(
		    gd_source_render(&res, small, f->cat, &rq, &err), 0);
		json_decref(res);
	}
	gd_source_stats(small, &st);
	/* plain is a hit, picked evicts flat, so flat renders again */
	assert_int_equal(st.renders, 4);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.evictions, 2);
	assert_int_equal(st.entries, 2);
	gd_source_free(small);
}

static void
test_source__last_good_result_kept_when_source_breaks(void **state)
{
	struct fx *f = *state;
	struct gd_err err;
	json_t *good, *res = NULL, *last;

	good = render_ok(f, "web", 0);
	gitfix_write(
	    f->remote, "apps/web/values-prod.yaml", "color: [unclosed\n");
	publish(f);
	assert_true(render(f, "web", 0, &res, &err) < 0);
	assert_null(res);
	assert_non_null(strstr(err.msg, "values-prod.yaml"));
	last = gd_source_last_good(f->src, "web");
	assert_ptr_equal(last, good);
	assert_null(gd_source_last_good(f->src, "never-rendered"));
	json_decref(last);
	json_decref(good);
}

/* Worker threads share one source, as the controller's status workers. */
static void *
render_worker(void *arg)
{
	static const char *const apps[] = { "web", "multi", "plain", "flat" };
	struct fx *f = arg;
	struct gd_source_req rq;
	struct gd_err err;
	json_t *res;
	intptr_t failed = 0;
	int i;

	memset(&rq, 0, sizeof(rq));
	for (i = 0; i < 40; i++) {
		rq.app = apps[i % 4];
		if (gd_source_render(&res, f->src, f->cat, &rq, &err) < 0)
			failed++;
		json_decref(res);
	}
	return (void *)failed;
}

static void
test_source__threads_share_one_source(void **state)
{
	struct fx *f = *state;
	struct gd_source_stats st;
	pthread_t t[4];
	void *failed;
	int i;

	for (i = 0; i < 4; i++)
		assert_int_equal(
		    pthread_create(&t[i], NULL, render_worker, f), 0);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], &failed);
		assert_null(failed);
	}
	gd_source_stats(f->src, &st);
	/*
	 * web and multi wait on one chart's lock, and the second finds the
	 * first's result: each rendered once. Folders may race (4 threads).
	 */
	assert_int_equal(st.hits + st.renders, 160);
	assert_true(st.renders >= 4 && st.renders <= 2 + 2 * 4);
}

/* --- GET /api/v1/applications/{name}/manifests -----------------------------
 */

static void
get(struct fx *f, const char *target, struct gd_resp *resp)
{
	struct gd_catalog_cell *cell = gd_catalog_cell_new();
	struct gd_router *router = NULL;
	struct gd_api_env env;
	struct gd_req req;
	struct gd_err err;

	gd_catalog_cell_set(cell, gd_catalog_ref(f->cat));
	memset(&env, 0, sizeof(env));
	env.catalog = cell;
	env.gitops = f->repo;
	env.source = f->src;
	if (gd_router_new(&router, gd_api_routes, &env, &err) < 0)
		fail_msg("%s", err.msg);
	gd_req_init(&req, "GET", target);
	memset(resp, 0, sizeof(*resp));
	gd_router_dispatch(router, &req, resp);
	gd_req_dispose(&req);
	gd_router_free(router);
	gd_catalog_cell_free(cell);
}

static const char *
msg_of(const struct gd_resp *resp)
{
	return json_string_value(json_object_get(resp->body, "message"));
}

static void
test_source__api_manifests_in_argo_shape(void **state)
{
	struct fx *f = *state;
	struct gd_resp resp;
	json_t *m, *o;

	get(f, "/api/v1/applications/web/manifests", &resp);
	assert_int_equal(resp.status, 200);
	m = json_object_get(resp.body, "manifests");
	assert_int_equal(json_array_size(m), 3);
	o = json_loads(json_string_value(json_array_get(m, 2)), 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(o, "metadata"), "name")),
	    "web-cm");
	json_decref(o);
	assert_string_equal(
	    json_string_value(json_object_get(resp.body, "sourceType")),
	    "Helm");
	assert_string_equal(
	    json_string_value(json_object_get(resp.body, "revision")), f->sha);
	assert_string_equal(
	    json_string_value(json_object_get(resp.body, "namespace")),
	    "team-a");
	assert_string_equal(
	    json_string_value(json_object_get(resp.body, "server")),
	    "https://kubernetes.default.svc");
	gd_resp_dispose(&resp);
}

static void
test_source__api_manifests_errors(void **state)
{
	struct fx *f = *state;
	struct gd_source_stats a, b;
	struct gd_resp resp;

	get(f, "/api/v1/applications/nope/manifests", &resp);
	assert_int_equal(resp.status, 404);
	assert_string_equal(
	    msg_of(&resp), "applications.argoproj.io \"nope\" not found");
	gd_resp_dispose(&resp);

	get(f, "/api/v1/applications/web/manifests?projects=default", &resp);
	assert_int_equal(resp.status, 403);
	gd_resp_dispose(&resp);

	get(f, "/api/v1/applications/web/manifests?projects=team", &resp);
	assert_int_equal(resp.status, 200);
	gd_resp_dispose(&resp);
	gd_source_stats(f->src, &a);
	get(f, "/api/v1/applications/web/manifests?noCache=true", &resp);
	assert_int_equal(resp.status, 200);
	gd_resp_dispose(&resp);
	gd_source_stats(f->src, &b);
	assert_int_equal(b.renders, a.renders + 1);

	get(f, "/api/v1/applications/bad/manifests", &resp);
	assert_int_equal(resp.status, 502);
	assert_string_equal(msg_of(&resp),
	    "manifests/bad/x.yaml: document 2: not a Kubernetes object: "
	    "missing kind");
	gd_resp_dispose(&resp);

	get(f, "/api/v1/applications/plain/manifests?revision=nosuchbranch",
	    &resp);
	assert_int_equal(resp.status, 502);
	assert_non_null(strstr(msg_of(&resp), "nosuchbranch"));
	gd_resp_dispose(&resp);
}

/* --- one chart from a registry, a Helm repository and git ------------------
 */

/* A Helm repository: index.yaml and one archive, served from memory. */
struct helmrepo {
	const char *index;
	const void *tgz;
	size_t len;
};

static enum MHD_Result
helmrepo_serve(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **ctx)
{
	const struct helmrepo *h = cls;
	struct MHD_Response *r;
	enum MHD_Result rc;
	int status = MHD_HTTP_OK;

	(void)method;
	(void)version;
	(void)data;
	(void)size;
	(void)ctx;
	if (strcmp(url, "/index.yaml") == 0)
		r = MHD_create_response_from_buffer(
		    strlen(h->index), (void *)h->index, MHD_RESPMEM_PERSISTENT);
	else if (strcmp(url, "/demo2-1.0.0.tgz") == 0)
		r = MHD_create_response_from_buffer(
		    h->len, (void *)h->tgz, MHD_RESPMEM_PERSISTENT);
	else {
		status = MHD_HTTP_NOT_FOUND;
		r = MHD_create_response_from_buffer(
		    0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	rc = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return rc;
}

static void
put_chart_app(struct fx *f, const char *name, const char *source)
{
	char *s;

	xasprintf(&s,
	    "  source:\n%s"
	    "    helm:\n      releaseName: r\n"
	    "      valueFiles: [values-x.yaml]\n",
	    source);
	put_app(f, name, "default", s);
	free(s);
	xasprintf(&s, "apps/%s/values-x.yaml", name);
	gitfix_write(f->remote, s, "note: from-gitops\n");
	free(s);
}

static void
test_source__same_chart_from_oci_helm_repo_and_git(void **state)
{
	struct fx *f = *state;
	struct helmrepo hr;
	struct registry reg;
	struct MHD_Daemon *web;
	struct gd_helm_pull *pull = NULL;
	struct gd_source *src = NULL;
	struct gd_source_opts so;
	struct gd_source_req rq;
	struct gd_err err;
	json_t *oci = NULL, *repo = NULL, *git = NULL;
	char digest[OCIPUSH_DIGEST_LEN], ebuf[256], *dir, *s;
	void *tgz;
	size_t len;
	int port;

	ocipush_chart("demo2", "1.0.0", "x", &tgz, &len);
	xasprintf(&dir, "%s/registry", f->tmp);
	assert_int_equal(
	    registry_start(&reg, dir, NULL, REGISTRY_PLAIN, NULL, NULL), 0);
	free(dir);
	if (ocipush(reg.url, "charts/demo2", "1.0.0", tgz, len, NULL, NULL,
		digest, ebuf, sizeof(ebuf)) < 0)
		fail_msg("push: %s", ebuf);
	hr.index = "apiVersion: v1\nentries:\n  demo2:\n"
		   "  - apiVersion: v2\n    name: demo2\n"
		   "    version: 1.0.0\n    urls: [demo2-1.0.0.tgz]\n";
	hr.tgz = tgz;
	hr.len = len;
	web = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	    helmrepo_serve, &hr, MHD_OPTION_END);
	assert_non_null(web);
	port = MHD_get_daemon_info(web, MHD_DAEMON_INFO_BIND_PORT)->port;

	/* the registry as Applications name it, reached through an alias */
	f->conf->registries = xcalloc(1, sizeof(*f->conf->registries));
	f->conf->registries[0].host = xstrdup("harbor.local");
	f->conf->registries[0].endpoint = xstrdup(reg.url);
	f->conf->nregistries = 1;
	put_chart_app(f, "c-oci",
	    "    repoURL: oci://harbor.local/charts\n    chart: demo2\n"
	    "    targetRevision: 1.0.0\n");
	xasprintf(&s,
	    "    repoURL: http://127.0.0.1:%d\n    chart: demo2\n"
	    "    targetRevision: '1.0.*'\n",
	    port);
	put_chart_app(f, "c-repo", s);
	free(s);
	xasprintf(&s, "    repoURL: %s\n    path: charts/demo2\n",
	    gitfix_url(f->remote));
	put_chart_app(f, "c-git", s);
	free(s);
	gitfix_write(f->remote, "charts/demo2/Chart.yaml",
	    "apiVersion: v2\nname: demo2\nversion: 1.0.0\n");
	gitfix_write(f->remote, "charts/demo2/values.yaml", "note: \"x\"\n");
	gitfix_write(f->remote, "charts/demo2/templates/cm.yaml",
	    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ "
	    ".Release.Name }}\ndata:\n  note: {{ .Values.note | quote }}\n"
	    "  version: {{ .Chart.Version | quote }}\n");
	publish(f);

	xasprintf(&dir, "%s/charts", f->tmp);
	if (gd_helm_pull_new(&pull, f->conf, dir, &err) < 0)
		fail_msg("%s", err.msg);
	free(dir);
	memset(&so, 0, sizeof(so));
	so.conf = f->conf;
	so.gitops = f->repo;
	so.pull = pull;
	assert_int_equal(gd_source_new(&src, &so, &err), 0);
	memset(&rq, 0, sizeof(rq));
	rq.app = "c-oci";
	if (gd_source_render(&oci, src, f->cat, &rq, &err) < 0)
		fail_msg("oci: %s", err.msg);
	rq.app = "c-repo";
	if (gd_source_render(&repo, src, f->cat, &rq, &err) < 0)
		fail_msg("helm repo: %s", err.msg);
	rq.app = "c-git";
	if (gd_source_render(&git, src, f->cat, &rq, &err) < 0)
		fail_msg("git: %s", err.msg);
	assert_true(json_equal(
	    json_object_get(oci, "objects"), json_object_get(repo, "objects")));
	assert_true(json_equal(
	    json_object_get(oci, "objects"), json_object_get(git, "objects")));
	/* the value file beside each Application applies to all three */
	assert_string_equal(cm_get(oci, "r", "note"), "from-gitops");
	assert_string_equal(cm_get(git, "r", "version"), "1.0.0");
	assert_string_equal(
	    json_string_value(json_object_get(oci, "revision")), "1.0.0");
	assert_string_equal(
	    json_string_value(json_object_get(repo, "revision")), "1.0.0");
	assert_string_equal(
	    json_string_value(json_object_get(git, "revision")), f->sha);

	/* a value file found inside the pulled chart (its values.yaml,
	 * applied after the gitops one), as Argo CD looks there first */
	json_decref(oci);
	oci = NULL;
	put_app(f, "c-oci-own", "default",
	    "  source:\n    repoURL: oci://harbor.local/charts\n"
	    "    chart: demo2\n    targetRevision: 1.0.0\n"
	    "    helm:\n      releaseName: r\n"
	    "      valueFiles: [values-x.yaml, values.yaml]\n");
	gitfix_write(
	    f->remote, "apps/c-oci-own/values-x.yaml", "note: from-gitops\n");
	publish(f);
	rq.app = "c-oci-own";
	if (gd_source_render(&oci, src, f->cat, &rq, &err) < 0)
		fail_msg("oci, chart's own value file: %s", err.msg);
	assert_string_equal(cm_get(oci, "r", "note"), "x");
	json_decref(oci);
	oci = NULL;
	put_app(f, "c-oci-missing", "default",
	    "  source:\n    repoURL: oci://harbor.local/charts\n"
	    "    chart: demo2\n    targetRevision: 1.0.0\n"
	    "    helm:\n      valueFiles: [values-nope.yaml]\n");
	publish(f);
	rq.app = "c-oci-missing";
	assert_true(gd_source_render(&oci, src, f->cat, &rq, &err) < 0);
	assert_non_null(strstr(err.msg, "values-nope.yaml"));

	/* a version the registry lacks: the error names the ref */
	rq.app = "c-oci";
	registry_stop(&reg);
	rq.app = "c-oci";
	rq.revision = "9.9.9";
	json_decref(oci);
	oci = NULL;
	assert_true(gd_source_render(&oci, src, f->cat, &rq, &err) < 0);
	assert_non_null(
	    strstr(err.msg, "oci://harbor.local/charts/demo2:9.9.9"));

	json_decref(oci);
	json_decref(repo);
	json_decref(git);
	gd_source_free(src);
	gd_helm_pull_free(pull);
	MHD_stop_daemon(web);
	free(tgz);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_source__plain_manifests_recurse_and_exclude),
		T(test_source__plain_manifests_without_recurse),
		T(test_source__plain_manifests_include_with_braces),
		T(test_source__document_not_an_object_names_file_and_number),
		T(test_source__kustomize_and_jsonnet_refused),
		T(test_source__path_that_climbs_out_or_is_gone),
		T(test_source__unknown_app_not_found),
		cmocka_unit_test(test_source__parse_manifests_errors),
		cmocka_unit_test(test_source__argo_globs),
		T(test_source__chart_in_git_with_vendored_dependency),
		T(test_source__values_files_values_object_and_parameters),
		T(test_source__ref_source_value_file_and_typed_parameter),
		T(test_source__kube_version_from_the_caller),
		T(test_source__unchanged_app_is_not_rendered_again),
		T(test_source__changed_value_file_renders_again),
		T(test_source__hard_refresh_bypasses_the_cache),
		T(test_source__cache_evicts_least_recently_used),
		T(test_source__last_good_result_kept_when_source_breaks),
		T(test_source__threads_share_one_source),
		T(test_source__api_manifests_in_argo_shape),
		T(test_source__api_manifests_errors),
		T(test_source__same_chart_from_oci_helm_repo_and_git),
	};
#undef T

	gd_core_init_json();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
