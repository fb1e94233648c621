/* SPDX-License-Identifier: ISC */
/*
 * helm tests. The conformance cases are helm's own: each renders a chart
 * of ../shared/conformance/helm with the flags helm's test used and must
 * print the golden byte for byte (errors included, as "Error: ..."). The
 * probe vectors are Sprig and Helm functions as Go ran them. The rest pin
 * values handling and the limits a hostile chart meets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitopsd/core.h"
#include "gitopsd/helm.h"
#include "gitopsd/ydoc.h"
#include "../../server/helm/helm_int.h"

static const char *
shared(void)
{
	const char *s = getenv("GD_SHARED");

	return s != NULL ? s : "../shared";
}

/* --- conformance ------------------------------------------------------------
 */

struct conf_case {
	const char *golden; /* under golden/ */
	const char *chart; /* under the conformance dir */
	const char *name;
	const char *ns;
	const char *kube;
	const char *files[2];
	const char *sets[4];
	const char *apis[2];
	const char *show[3];
	bool crds, skip_tests;
};

static const struct conf_case conf_cases[] = {
	{ .golden = "v3/template.txt", .chart = "charts/subchart" },
	{ .golden = "v3/template-set.txt",
	    .chart = "charts/subchart",
	    .sets = { "service.name=apache" } },
	{ .golden = "v3/template-values-files.txt",
	    .chart = "charts/subchart",
	    .files = { "charts/subchart/charts/subchartA/values.yaml" } },
	{ .golden = "v3/template-name-template.txt",
	    .chart = "charts/subchart",
	    .name = "foobar-ywjj-baz" },
	{ .golden = "v3/template-with-kube-version.txt",
	    .chart = "charts/subchart",
	    .kube = "1.16.0" },
	{ .golden = "v3/template-with-api-version.txt",
	    .chart = "charts/subchart",
	    .apis = { "helm.k8s.io/test" } },
	{ .golden = "v3/template-with-crds.txt",
	    .chart = "charts/subchart",
	    .crds = true },
	{ .golden = "v3/template-show-only-one.txt",
	    .chart = "charts/subchart",
	    .show = { "templates/service.yaml" } },
	{ .golden = "v3/template-show-only-multiple.txt",
	    .chart = "charts/subchart",
	    .show = { "templates/service.yaml",
		"charts/subcharta/templates/service.yaml" } },
	{ .golden = "v3/template-show-only-glob.txt",
	    .chart = "charts/subchart",
	    .show = { "templates/subdir/role*" } },
	{ .golden = "v3/template-skip-tests.txt",
	    .chart = "charts/subchart",
	    .skip_tests = true },
	{ .golden = "v3/template-subchart-cm.txt",
	    .chart = "charts/subchart",
	    .sets = { "configmap.enabled=true", "subchartb.enabled=true" } },
	{ .golden = "v3/template-subchart-cm-set.txt",
	    .chart = "charts/subchart",
	    .sets = { "configmap.enabled=true", "subchartb.enabled=true",
		"configmap.value=baz" } },
	{ .golden = "v3/template-subchart-cm-set-file.txt",
	    .chart = "charts/subchart",
	    .files = { "charts/subchart/extra_values.yaml" } },
	{ .golden = "v3/issue-9027.txt", .chart = "charts/issue-9027" },
	{ .golden = "v3/object-order.txt", .chart = "charts/object-order" },
	{ .golden = "v3/template-chart-with-template-lib-dep.txt",
	    .chart = "charts/chart-with-template-lib-dep" },
	{ .golden = "v3/template-chart-with-template-lib-archive-dep.txt",
	    .chart = "charts/chart-with-template-lib-archive-dep" },
	{ .golden = "v3/template-lib-chart.txt", .chart = "charts/lib-chart" },
	{ .golden = "v3/template-chart-bad-type.txt",
	    .chart = "charts/chart-bad-type" },
	{ .golden = "v3/template-with-invalid-yaml.txt",
	    .chart = "charts/chart-with-template-with-invalid-yaml" },
	{ .golden = "derived/scaffold-default.txt",
	    .chart = "charts/scaffold" },
	{ .golden = "derived/scaffold-all-enabled.txt",
	    .chart = "charts/scaffold",
	    .name = "my-release",
	    .ns = "demo",
	    .files = { "values/scaffold-all-enabled.yaml" } },
	{ .golden = "derived/scaffold-set.txt",
	    .chart = "charts/scaffold",
	    .name = "scaffold-prod",
	    .ns = "prod",
	    .sets = { "serviceAccount.create=false,service.type=NodePort,"
		      "replicaCount=3,image.tag=stable" } },
};

static size_t
count(const char *const *v, size_t max)
{
	size_t n = 0;

	while (n < max && v[n] != NULL)
		n++;
	return n;
}

/* What `helm template` prints for the case, on stdout or stderr. */
static void
conf_render(struct gd_buf *out, const struct conf_case *c, char **notes)
{
	char chart[4096], files[2][4096];
	const char *fv[2];
	struct gd_helm_chart *ch = NULL;
	struct gd_helm_result res = { 0 };
	struct gd_helm_opts o = { 0 };
	struct gd_err err = { 0 };
	json_t *vals = NULL;
	size_t i, nf = count(c->files, 2);

	snprintf(
	    chart, sizeof(chart), "%s/conformance/helm/%s", shared(), c->chart);
	for (i = 0; i < nf; i++) {
		snprintf(files[i], sizeof(files[i]), "%s/conformance/helm/%s",
		    shared(), c->files[i]);
		fv[i] = files[i];
	}
	o.release_name = c->name;
	o.ns = c->ns;
	o.kube_version = c->kube;
	o.api_versions = c->apis;
	o.napi_versions = count(c->apis, 2);
	o.show_only = c->show;
	o.nshow_only = count(c->show, 3);
	o.include_crds = c->crds;
	o.skip_tests = c->skip_tests;
	if (gd_helm_chart_load(&ch, chart, &err) < 0 ||
	    gd_helm_values_build(
		&vals, fv, nf, c->sets, count(c->sets, 4), &err) < 0 ||
	    gd_helm_render(&res, ch, vals, &o, &err) < 0) {
		gd_buf_printf(out, "Error: %s\n", err.msg);
		if (strncmp(err.msg, "YAML parse error", 16) == 0)
			gd_buf_adds(out,
			    "\nUse --debug flag to render out invalid YAML\n");
	} else {
		gd_buf_adds(out, res.text);
		if (notes != NULL && res.notes != NULL)
			*notes = xstrdup(res.notes);
	}
	gd_helm_result_dispose(&res);
	gd_helm_chart_free(ch);
	json_decref(vals);
}

static void
test_helm__conformance_goldens(void **state)
{
	char path[4096];
	struct gd_buf out, want;
	struct gd_err err = { 0 };
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < sizeof(conf_cases) / sizeof(conf_cases[0]); i++) {
		gd_buf_init(&out);
		gd_buf_init(&want);
		gd_buf_add(&out, "", 0);
		snprintf(path, sizeof(path), "%s/conformance/helm/golden/%s",
		    shared(), conf_cases[i].golden);
		if (gd_buf_read_file(&want, path, 0, &err) < 0)
			fail_msg("%s", err.msg);
		conf_render(&out, &conf_cases[i], NULL);
		if (out.len != want.len ||
		    memcmp(out.data, want.data, out.len)) {
			printf("golden %s differs:\n%s\n", conf_cases[i].golden,
			    out.data);
			bad++;
		}
		gd_buf_dispose(&out);
		gd_buf_dispose(&want);
	}
	assert_int_equal(bad, 0);
}

static void
test_helm__scaffold_notes(void **state)
{
	static const struct {
		size_t cas;
		const char *golden;
	} notes[] = {
		{ 21, "derived/scaffold-default.NOTES.txt" },
		{ 22, "derived/scaffold-all-enabled.NOTES.txt" },
		{ 23, "derived/scaffold-set.NOTES.txt" },
	};
	char path[4096], *got;
	struct gd_buf out, want;
	struct gd_err err = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(notes) / sizeof(notes[0]); i++) {
		got = NULL;
		gd_buf_init(&out);
		gd_buf_init(&want);
		snprintf(path, sizeof(path), "%s/conformance/helm/golden/%s",
		    shared(), notes[i].golden);
		assert_int_equal(gd_buf_read_file(&want, path, 0, &err), 0);
		conf_render(&out, &conf_cases[notes[i].cas], &got);
		assert_non_null(got);
		assert_string_equal(got, want.data);
		free(got);
		gd_buf_dispose(&out);
		gd_buf_dispose(&want);
	}
}

/* --- functions: Go's own results --------------------------------------------
 */

static void
test_helm__probe_vectors_match_sprig(void **state)
{
	char path[4096];
	struct helm_render r = { .magic = HELM_RENDER_MAGIC, .rng = 1 };
	struct gd_err err = { 0 };
	struct gd_buf vb;
	json_t *vals = NULL, *v;
	FILE *f;
	char line[8192];
	size_t n = 0, bad = 0;

	(void)state;
	r.included = json_object();
	snprintf(path, sizeof(path),
	    "%s/conformance/helm/functions/probe-values.yaml", shared());
	gd_buf_init(&vb);
	assert_int_equal(gd_buf_read_file(&vb, path, 0, &err), 0);
	/*
	 * "yes: yes" and "on: on" are both the key true: Helm keeps the
	 * last, and so does helm_values_parse (ydoc alone refuses it).
	 */
	if (helm_values_parse(&vals, vb.data, vb.len, "probe", &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(json_is_true(json_object_get(vals, "true")));
	helm_values_floats(vals);
	snprintf(path, sizeof(path),
	    "%s/conformance/helm/functions/probe-vectors.jsonl", shared());
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		struct gd_tmpl_set *set = gd_tmpl_set_new("t", NULL);
		struct gd_tval top = gd_tval_json(json_incref(vals));
		const char *tpl, *want, *werr;
		struct gd_buf out;
		int rc;

		v = json_loads(line, 0, NULL);
		assert_non_null(v);
		tpl = json_string_value(json_object_get(v, "tpl"));
		want = json_string_value(json_object_get(v, "out"));
		werr = json_string_value(json_object_get(v, "err"));
		gd_tmpl_set_missingkey(set, GD_TMPL_MISSING_ZERO);
		gd_tmpl_set_funcs(set, helm_sprig_funcs);
		gd_tmpl_set_funcs(set, helm_sprig_more);
		gd_tmpl_set_funcs(set, helm_sprig_text);
		gd_tmpl_set_funcs(set, helm_sprig_url);
		gd_tmpl_set_funcs(set, helm_sprig_time);
		gd_tmpl_set_funcs(set, helm_sprig_crypto);
		gd_tmpl_set_funcs(set, helm_sprig_x509);
		gd_tmpl_set_funcs(set, helm_funcs);
		gd_buf_init(&out);
		gd_buf_add(&out, "", 0);
		gd_err_clear(&err);
		rc = gd_tmpl_parse(set, "t", tpl, strlen(tpl), &err);
		if (rc == 0)
			rc = gd_tmpl_execute_ud(&out, set, "t", &top, &r, &err);
		if (werr != NULL ? (rc == 0 || strcmp(err.msg, werr) != 0) :
				   (rc != 0 || strcmp(out.data, want) != 0)) {
			printf("probe %s\n  want: %s\n   got: %s\n", tpl,
			    werr ? werr : want, rc ? err.msg : out.data);
			bad++;
		}
		n++;
		gd_buf_dispose(&out);
		gd_tval_dispose(&top);
		gd_tmpl_set_free(set);
		json_decref(v);
	}
	fclose(f);
	printf("probe vectors: %zu, %zu differ\n", n, bad);
	json_decref(vals);
	json_decref(r.included);
	gd_buf_dispose(&vb);
	assert_int_equal(bad, 0);
}

/*
 * Sprig and Helm functions on the oracle's top object, as a chart's
 * NOTES.txt: the Go results are in tests/fixtures/helm/sprig_corpus.json.
 */
static void
test_helm__sprig_corpus_matches_go(void **state)
{
	const char *src = getenv("GD_SRCDIR");
	struct helm_render r = { .magic = HELM_RENDER_MAGIC, .rng = 1 };
	struct gd_tmpl_obj *caps = helm_caps_new("v1.20.0", NULL, 0);
	char path[4096];
	struct gd_err err = { 0 };
	json_error_t jerr;
	json_t *corpus, *c;
	size_t i, bad = 0;

	(void)state;
	r.included = json_object();
	snprintf(path, sizeof(path), "%s/tests/fixtures/helm/sprig_corpus.json",
	    src != NULL ? src : ".");
	if ((corpus = json_load_file(path, 0, &jerr)) == NULL)
		fail_msg("%s: %s", path, jerr.text);
	json_array_foreach(corpus, i, c) {
		const char *name =
		    json_string_value(json_object_get(c, "name"));
		const char *text =
		    json_string_value(json_object_get(c, "tmpl"));
		const char *yv =
		    json_string_value(json_object_get(c, "values"));
		const char *want = json_string_value(json_object_get(c, "out"));
		const char *werr = json_string_value(json_object_get(c, "err"));
		struct gd_tmpl_set *set = gd_tmpl_set_new("gotpl", NULL);
		const char *tn = "c/templates/NOTES.txt";
		json_t *vals = NULL, *top;
		struct gd_tval t;
		struct gd_buf out;
		char *p;
		int rc;

		gd_err_clear(&err);
		if (yv == NULL ||
		    gd_ydoc_load_one(&vals, yv, strlen(yv), "v", &err) < 0 ||
		    !json_is_object(vals)) {
			json_decref(vals);
			vals = json_object();
		}
		helm_values_floats(vals);
		top = json_pack("{s:o, s:{s:s, s:s, s:b, s:b, s:i, s:s}, "
				"s:{s:s, s:s}, s:{s:s, s:s, s:s, s:b, s:s}}",
		    "Values", vals, "Release", "Name", "release-name",
		    "Namespace", "default", "IsUpgrade", 0, "IsInstall", 1,
		    "Revision", 1, "Service", "Helm", "Template", "Name", tn,
		    "BasePath", "c/templates", "Chart", "Name", "c", "Version",
		    "0.1.0", "AppVersion", "", "IsRoot", 1, "Description", "");
		json_object_set_new(
		    top, "Capabilities", gd_tmpl_obj_json(caps));
		t = gd_tval_json(top);
		gd_tmpl_set_missingkey(set, GD_TMPL_MISSING_ZERO);
		gd_tmpl_set_funcs(set, helm_sprig_funcs);
		gd_tmpl_set_funcs(set, helm_sprig_more);
		gd_tmpl_set_funcs(set, helm_sprig_text);
		gd_tmpl_set_funcs(set, helm_sprig_url);
		gd_tmpl_set_funcs(set, helm_sprig_time);
		gd_tmpl_set_funcs(set, helm_sprig_crypto);
		gd_tmpl_set_funcs(set, helm_sprig_x509);
		gd_tmpl_set_funcs(set, helm_funcs);
		gd_buf_init(&out);
		gd_buf_add(&out, "", 0);
		rc = gd_tmpl_parse(set, tn, text, strlen(text), &err);
		if (rc == 0)
			rc = gd_tmpl_execute_ud(&out, set, tn, &t, &r, &err);
		/* required/fail carry Helm's markers; the oracle has none */
		while ((p = strstr(err.msg, HELM_ERR_START)) != NULL)
			memmove(p, p + strlen(HELM_ERR_START),
			    strlen(p + strlen(HELM_ERR_START)) + 1);
		if ((p = strstr(err.msg, HELM_ERR_END)) != NULL)
			*p = '\0';
		while ((p = strstr(out.data, "<no value>")) != NULL) {
			memmove(p, p + 10, strlen(p + 10) + 1);
			out.len -= 10;
		}
		if (werr != NULL ? (rc == 0 || strcmp(err.msg, werr) != 0) :
				   (rc != 0 || strcmp(out.data, want) != 0)) {
			printf("sprig %s: %s\n  want: %s\n   got: %s\n", name,
			    text, werr ? werr : want, rc ? err.msg : out.data);
			bad++;
		}
		gd_buf_dispose(&out);
		gd_tval_dispose(&t);
		gd_tmpl_set_free(set);
	}
	printf("sprig corpus: %zu cases, %zu differ from Go\n",
	    json_array_size(corpus), bad);
	json_decref(corpus);
	json_decref(r.included);
	gd_tmpl_obj_unref(caps);
	assert_int_equal(bad, 0);
}

/* What `gitopsd render ARGS` prints on stdout then stderr, and its status. */
static int
cli_run(struct gd_buf *out, char **argv, int argc)
{
	char path[] = "/tmp/gd-helm-cli-XXXXXX";
	struct gd_err err = { 0 };
	int fd, o1, o2, rc;

	assert_true((fd = mkstemp(path)) >= 0);
	fflush(stdout);
	fflush(stderr);
	o1 = dup(1);
	o2 = dup(2);
	dup2(fd, 1);
	dup2(fd, 2);
	rc = gd_helm_render_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(o1, 1);
	dup2(o2, 2);
	close(o1);
	close(o2);
	close(fd);
	gd_buf_reset(out);
	assert_int_equal(gd_buf_read_file(out, path, 0, &err), 0);
	unlink(path);
	return rc;
}

/* helm's goldens for flags only the command line has */
static void
test_helm__cli_prints_helm_goldens(void **state)
{
	static const struct {
		const char *golden;
		const char *chart;
		const char *flag;
		int status;
	} cases[] = {
		{ "v3/template-name-template.txt", "charts/subchart",
		    "--name-template=foobar-{{ b64enc \"abc\" | lower }}-baz",
		    0 },
		{ "v3/template-with-invalid-yaml.txt",
		    "charts/chart-with-template-with-invalid-yaml",
		    "--skip-tests", 1 },
		{ "v3/template-with-invalid-yaml-debug.txt",
		    "charts/chart-with-template-with-invalid-yaml", "--debug",
		    1 },
	};
	char chart[4096], path[4096];
	struct gd_buf out, want;
	struct gd_err err = { 0 };
	size_t i;

	(void)state;
	gd_buf_init(&out);
	gd_buf_init(&want);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { (char *)(uintptr_t) "render", chart,
			(char *)(uintptr_t)cases[i].flag, NULL };

		snprintf(chart, sizeof(chart), "%s/conformance/helm/%s",
		    shared(), cases[i].chart);
		snprintf(path, sizeof(path), "%s/conformance/helm/golden/%s",
		    shared(), cases[i].golden);
		gd_buf_reset(&want);
		assert_int_equal(gd_buf_read_file(&want, path, 0, &err), 0);
		assert_int_equal(cli_run(&out, argv, 3), cases[i].status);
		assert_string_equal(out.data, want.data);
	}
	/* helm refuses a NAME with --name-template */
	{
		char *argv[] = { (char *)(uintptr_t) "render",
			(char *)(uintptr_t) "x", chart,
			(char *)(uintptr_t) "--name-template=y", NULL };

		assert_int_equal(cli_run(&out, argv, 4), 1);
		assert_string_equal(out.data,
		    "Error: cannot set --name-template and also specify a "
		    "name\n");
	}
	gd_buf_dispose(&out);
	gd_buf_dispose(&want);
}

/* --- values ------------------------------------------------------------------
 */

static void
test_helm__set_values_are_typed_like_strvals(void **state)
{
	const char *sets[] = { "a=1,b=01,c=true,d=null,e=1.5,f.g=x",
		"h\\.i=y" };
	struct gd_err err = { 0 };
	json_t *v = NULL;

	(void)state;
	assert_int_equal(gd_helm_values_build(&v, NULL, 0, sets, 2, &err), 0);
	assert_true(json_is_integer(json_object_get(v, "a")));
	assert_string_equal(json_string_value(json_object_get(v, "b")), "01");
	assert_true(json_is_true(json_object_get(v, "c")));
	assert_true(json_is_null(json_object_get(v, "d")));
	assert_string_equal(json_string_value(json_object_get(v, "e")), "1.5");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(v, "f"), "g")),
	    "x");
	assert_string_equal(json_string_value(json_object_get(v, "h.i")), "y");
	json_decref(v);
}

/* Each kind of flag, as strvals parses it. */
static void
test_helm__set_flags_parse_like_strvals(void **state)
{
	static const struct {
		enum gd_helm_set_kind kind;
		const char *arg;
		const char *want; /* the values as JSON */
	} cases[] = {
		{ GD_HELM_SET, "a[0]=x,a[2]=y", "{\"a\":[\"x\",null,\"y\"]}" },
		{ GD_HELM_SET, "a[1].b=y,a[0]=1", "{\"a\":[1,{\"b\":\"y\"}]}" },
		{ GD_HELM_SET, "a[0][1]=z", "{\"a\":[[null,\"z\"]]}" },
		{ GD_HELM_SET, "a\\.b=c,d=e\\,f",
		    "{\"a.b\":\"c\",\"d\":\"e,f\"}" },
		{ GD_HELM_SET,
		    "l={1,x,true},e=", "{\"l\":[1,\"x\",true],\"e\":\"\"}" },
		{ GD_HELM_SET, "n=+5,m=-05,z=0,o=007,x=0x1",
		    "{\"n\":5,\"m\":-5,\"z\":0,\"o\":\"007\",\"x\":\"0x1\"}" },
		{ GD_HELM_SET, "=x,y.z=1", "{\"y\":{\"z\":1}}" },
		{ GD_HELM_SET_STRING, "a=1,b=true,c[0]=null",
		    "{\"a\":\"1\",\"b\":\"true\",\"c\":[\"null\"]}" },
		{ GD_HELM_SET_JSON, "a=[1,{\"b\":2}] , c={\"d\":null},e=",
		    "{\"a\":[1.0,{\"b\":2.0}],\" c\":{\"d\":null},"
		    "\"e\":null}" },
		{ GD_HELM_SET_JSON, " {\"a\":{\"b\":\"x\"}}",
		    "{\"a\":{\"b\":\"x\"}}" },
		{ GD_HELM_SET_JSON, "a[1]=\"s\"", "{\"a\":[null,\"s\"]}" },
		{ GD_HELM_SET_LITERAL, "a.b=x,y=\\z{1}",
		    "{\"a\":{\"b\":\"x,y=\\\\z{1}\"}}" },
		{ GD_HELM_SET_LITERAL, "k[1]=v", "{\"k\":[null,\"v\"]}" },
	};
	struct gd_err err = { 0 };
	json_t *v, *want;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gd_helm_set s = { cases[i].kind, cases[i].arg };

		v = NULL;
		if (gd_helm_values_build_sets(&v, NULL, 0, &s, 1, &err) < 0)
			fail_msg("%s: %s", cases[i].arg, err.msg);
		want = json_loads(cases[i].want, 0, NULL);
		assert_non_null(want);
		if (!json_equal(v, want)) {
			char *got = json_dumps(v, JSON_SORT_KEYS);

			fail_msg("%s: got %s", cases[i].arg, got);
		}
		json_decref(want);
		json_decref(v);
	}
}

static void
test_helm__set_flag_errors_name_the_key(void **state)
{
	static const struct {
		enum gd_helm_set_kind kind;
		const char *arg;
		const char *msg;
	} cases[] = {
		{ GD_HELM_SET, "a",
		    "failed parsing --set data: key \"a\" has "
		    "no value" },
		{ GD_HELM_SET, "a,b=1",
		    "failed parsing --set data: key \"a\" has no value "
		    "(cannot end with ,)" },
		{ GD_HELM_SET, "a.=1",
		    "failed parsing --set data: key map \"a\" has no value" },
		{ GD_HELM_SET, "a[x]=1",
		    "failed parsing --set data: error parsing index: "
		    "strconv.Atoi: parsing \"x\": invalid syntax" },
		{ GD_HELM_SET, "a[-1]=1",
		    "failed parsing --set data: negative -1 index not "
		    "allowed" },
		{ GD_HELM_SET, "a[99999999]=1",
		    "failed parsing --set data: index of 99999999 is greater "
		    "than maximum supported index of 65536" },
		{ GD_HELM_SET, "a[0]x=1",
		    "failed parsing --set data: unexpected data at end of "
		    "array index: \"x\"" },
		{ GD_HELM_SET, "a={1,2",
		    "failed parsing --set data: list must terminate with '}'" },
		{ GD_HELM_SET, "a=1,a.b=2",
		    "failed parsing --set data: unable to parse key: interface "
		    "conversion: interface {} is int64, not map[string]"
		    "interface {}" },
		{ GD_HELM_SET_STRING, "a.b",
		    "failed parsing --set-string data: key \"b\" has no "
		    "value" },
		{ GD_HELM_SET_JSON, "{\"a\":",
		    "failed parsing --set-json data "
		    "JSON: {\"a\":" },
		{ GD_HELM_SET_FILE, "k=/nonexistent/x", "/nonexistent/x" },
	};
	struct gd_err err = { 0 };
	json_t *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gd_helm_set s = { cases[i].kind, cases[i].arg };

		v = NULL;
		gd_err_clear(&err);
		assert_int_not_equal(
		    gd_helm_values_build_sets(&v, NULL, 0, &s, 1, &err), 0);
		assert_null(v);
		if (strstr(err.msg, cases[i].msg) == NULL)
			fail_msg("%s: %s", cases[i].arg, err.msg);
	}
}

/* Helm's order is by flag kind, not by position on the command line. */
static void
test_helm__set_flags_apply_in_helm_order(void **state)
{
	char dir[] = "/tmp/gd-helm-set-XXXXXX", path[64];
	const struct gd_helm_set sets[] = {
		{ GD_HELM_SET_LITERAL, "a=literal" },
		{ GD_HELM_SET_FILE, NULL },
		{ GD_HELM_SET_STRING, "a=string,b=string,c=1" },
		{ GD_HELM_SET, "a=set,b=set,d=set,c=2" },
		{ GD_HELM_SET_JSON, "a=1,b=2,d=3,e=4" },
	};
	struct gd_helm_set s[5];
	const char *files[1] = { path };
	struct gd_err err = { 0 };
	json_t *v = NULL;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/v.yaml", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("a: file\nf: file\nb:\n  x: 1\n", f);
	fclose(f);
	memcpy(s, sets, sizeof(s));
	xasprintf((char **)(uintptr_t)&s[1].arg, "b=%s", path);
	if (gd_helm_values_build_sets(&v, files, 1, s, 5, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(
	    json_string_value(json_object_get(v, "a")), "literal");
	assert_string_equal(json_string_value(json_object_get(v, "b")),
	    "a: file\nf: file\nb:\n  x: 1\n");
	assert_string_equal(json_string_value(json_object_get(v, "c")), "1");
	assert_string_equal(json_string_value(json_object_get(v, "d")), "set");
	assert_true(json_is_real(json_object_get(v, "e")));
	assert_string_equal(json_string_value(json_object_get(v, "f")), "file");
	json_decref(v);
	free((char *)(uintptr_t)s[1].arg);
	unlink(path);
	rmdir(dir);
}

/* A chart in a temporary folder: files as name, text pairs. */
static char *
make_chart(const char *const *files)
{
	char tmpl[] = "/tmp/gd-helm-XXXXXX", *dir, *p = NULL, *slash;
	struct gd_err err = { 0 };
	FILE *f;
	size_t i;

	dir = xstrdup(mkdtemp(tmpl));
	for (i = 0; files[i] != NULL; i += 2) {
		xasprintf(&p, "%s/%s", dir, files[i]);
		slash = strrchr(p, '/');
		*slash = '\0';
		assert_int_equal(gd_path_mkdirs(p, &err), 0);
		*slash = '/';
		assert_non_null(f = fopen(p, "w"));
		fputs(files[i + 1], f);
		fclose(f);
		free(p);
	}
	return dir;
}

static void
rm_chart(char *dir, const char *const *files)
{
	char *cmd = NULL;

	(void)files;
	/* every path is under the mkdtemp folder made above */
	xasprintf(&cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(dir);
}

static int
render_dir(struct gd_helm_result *res, const char *dir, struct gd_err *err)
{
	struct gd_helm_chart *ch = NULL;
	struct gd_helm_opts o = { .seed = 42 };
	int rc;

	if ((rc = gd_helm_chart_load(&ch, dir, err)) == 0)
		rc = gd_helm_render(res, ch, NULL, &o, err);
	gd_helm_chart_free(ch);
	return rc;
}

static void
test_helm__recursive_include_stops_with_an_error(void **state)
{
	const char *files[] = { "Chart.yaml",
		"apiVersion: v2\nname: loop\nversion: 1.0.0\n",
		"templates/cm.yaml",
		"{{ define \"x\" }}{{ include \"x\" . }}{{ end }}"
		"{{ include \"x\" . }}",
		NULL };
	char *dir = make_chart(files);
	struct gd_helm_result res = { 0 };
	struct gd_err err = { 0 };

	(void)state;
	assert_int_not_equal(render_dir(&res, dir, &err), 0);
	assert_non_null(strstr(err.msg, "loop/templates/cm.yaml"));
	rm_chart(dir, files);
}

static void
test_helm__bad_regexps_and_huge_sequences_are_errors(void **state)
{
	static const char *const cases[][2] = {
		{ "{{ regexFind \"[\" \"a\" }}", "Compile(`[`)" },
		/* RE2's \\d is refused, not read as POSIX's literal d */
		{ "{{ regexFindAll \"\\\\d+\" \"a1\" -1 }}", "not supported" },
		{ "{{ regexSplit \"(?i)x\" \"aXb\" -1 }}", "not supported" },
		{ "{{ untilStep 0 1000000000 1 }}", "untilStep" },
		{ "{{ seq 1000000000 }}", "seq" },
	};
	char tmpl[256];
	const char *files[] = { "Chart.yaml",
		"apiVersion: v2\nname: re\nversion: 1.0.0\n",
		"templates/cm.yaml", tmpl, NULL };
	struct gd_helm_result res = { 0 };
	struct gd_err err = { 0 };
	size_t i;
	char *dir;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(tmpl, sizeof(tmpl), "%s", cases[i][0]);
		dir = make_chart(files);
		gd_err_clear(&err);
		assert_int_not_equal(render_dir(&res, dir, &err), 0);
		if (strstr(err.msg, "re/templates/cm.yaml") == NULL ||
		    strstr(err.msg, cases[i][1]) == NULL)
			fail_msg("%s: %s", cases[i][0], err.msg);
		rm_chart(dir, files);
	}
}

static void
test_helm__now_reads_the_fixed_clock(void **state)
{
	const char *files[] = { "Chart.yaml",
		"apiVersion: v2\nname: clock\nversion: 1.0.0\n",
		"templates/cm.yaml",
		"a: {{ now | unixEpoch | quote }}\n"
		"b: {{ dateInZone \"2006-01-02T15:04:05Z07:00\" now \"UTC\" "
		"}}\n"
		"c: {{ htmlDateInZone (now | dateModify \"-36h\") \"UTC\" }}\n"
		"d: {{ now | mustDateModify \"90m\" | unixEpoch | quote }}\n"
		"e: {{ now | ago | quote }}\n",
		NULL };
	char *dir = make_chart(files);
	struct gd_helm_chart *ch = NULL;
	struct gd_helm_opts o = { .seed = 42, .now = 1700000000 };
	struct gd_helm_result res = { 0 };
	struct gd_err err = { 0 };
	json_t *cm;

	(void)state;
	assert_int_equal(gd_helm_chart_load(&ch, dir, &err), 0);
	if (gd_helm_render(&res, ch, NULL, &o, &err) < 0)
		fail_msg("%s", err.msg);
	cm = json_array_get(res.objects, 0);
	assert_string_equal(
	    json_string_value(json_object_get(cm, "a")), "1700000000");
	assert_string_equal(json_string_value(json_object_get(cm, "b")),
	    "2023-11-14T22:13:20Z");
	assert_string_equal(
	    json_string_value(json_object_get(cm, "c")), "2023-11-13");
	assert_string_equal(
	    json_string_value(json_object_get(cm, "d")), "1700005400");
	assert_string_equal(json_string_value(json_object_get(cm, "e")), "0s");
	gd_helm_result_dispose(&res);
	gd_helm_chart_free(ch);
	rm_chart(dir, files);
}

static void
test_helm__bcrypt_hashes_verify_like_go(void **state)
{
	/* what helm-oracle (Go's x/crypto/bcrypt) printed for htpasswd */
	static const char go_hash[] =
	    "$2a$10$tzxHb9cV4vQk16W/gKcXBOG2GuRI9dmS7cZbjyF0IQkIUyT6PK0Mm";
	const char *files[] = { "Chart.yaml",
		"apiVersion: v2\nname: pw\nversion: 1.0.0\n",
		"templates/s.yaml",
		"a: {{ htpasswd \"user\" \"pass\" | quote }}\n"
		"b: {{ bcrypt \"pass\" | quote }}\n"
		"c: {{ htpasswd \"us:er\" \"p\" | quote }}\n",
		NULL };
	char *dir = make_chart(files);
	struct gd_helm_result r1 = { 0 }, r2 = { 0 };
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	struct gd_err err = { 0 };
	const char *a, *b;
	json_t *o;

	(void)state;
	assert_non_null(cd);
	/* libxcrypt re-derives Go's hash from its salt: the same algorithm */
	assert_non_null(crypt_rn("pass", go_hash, cd, sizeof(*cd)));
	assert_string_equal(cd->output, go_hash);
	if (render_dir(&r1, dir, &err) < 0 || render_dir(&r2, dir, &err) < 0)
		fail_msg("%s", err.msg);
	o = json_array_get(r1.objects, 0);
	a = json_string_value(json_object_get(o, "a"));
	b = json_string_value(json_object_get(o, "b"));
	assert_int_equal(strlen(a), 5 + 60);
	assert_memory_equal(a, "user:$2a$10$", 12);
	assert_int_equal(strlen(b), 60);
	/* each call draws a new salt; the same seed draws the same ones */
	assert_string_not_equal(a + 5, b);
	assert_true(json_equal(o, json_array_get(r2.objects, 0)));
	assert_non_null(crypt_rn("pass", b, cd, sizeof(*cd)));
	assert_string_equal(cd->output, b);
	assert_non_null(crypt_rn("wrong", b, cd, sizeof(*cd)));
	assert_string_not_equal(cd->output, b);
	assert_string_equal(json_string_value(json_object_get(o, "c")),
	    "invalid username: us:er");
	free(cd);
	gd_helm_result_dispose(&r1);
	gd_helm_result_dispose(&r2);
	rm_chart(dir, files);
}

static void
write_pem(const char *dir, const char *name, const json_t *o)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(json_string_value(json_object_get(o, name)), f);
	fclose(f);
}

static void
test_helm__generated_certificates_verify_with_openssl(void **state)
{
	const char *files[] = { "Chart.yaml",
		"apiVersion: v2\nname: tls\nversion: 1.0.0\n",
		"templates/s.yaml",
		"{{- $ca := genCA \"my-ca\" 365 }}\n"
		"{{- $c := genSignedCert \"svc\" (list \"10.0.0.1\") "
		"(list \"svc.ns.svc\") 30 $ca }}\n"
		"ca: {{ $ca.Cert | quote }}\n"
		"cert: {{ $c.Cert | quote }}\n"
		"key: {{ $c.Key | quote }}\n"
		"ec: {{ genPrivateKey \"ecdsa\" | quote }}\n"
		"bad: {{ genPrivateKey \"nope\" | quote }}\n",
		NULL };
	const char *bad[] = { "Chart.yaml",
		"apiVersion: v2\nname: tls\nversion: 1.0.0\n",
		"templates/s.yaml",
		"{{ genSignedCert \"x\" nil nil 1 (dict \"Cert\" \"no\" "
		"\"Key\" \"no\") }}",
		NULL };
	char *dir = make_chart(files), *cmd = NULL;
	struct gd_helm_result res = { 0 };
	struct gd_err err = { 0 };
	json_t *o;

	(void)state;
	if (render_dir(&res, dir, &err) < 0)
		fail_msg("%s", err.msg);
	o = json_array_get(res.objects, 0);
	assert_memory_equal(json_string_value(json_object_get(o, "key")),
	    "-----BEGIN RSA PRIVATE KEY-----", 31);
	assert_memory_equal(json_string_value(json_object_get(o, "ec")),
	    "-----BEGIN EC PRIVATE KEY-----", 30);
	assert_string_equal(
	    json_string_value(json_object_get(o, "bad")), "Unknown type nope");
	write_pem(dir, "ca", o);
	write_pem(dir, "cert", o);
	/* the signed certificate chains to the CA, with its names */
	xasprintf(&cmd,
	    "openssl verify -CAfile '%s/ca.pem' '%s/cert.pem' >/dev/null && "
	    "openssl x509 -in '%s/cert.pem' -noout -ext subjectAltName | "
	    "grep -q 'DNS:svc.ns.svc, IP Address:10.0.0.1' && "
	    "openssl x509 -in '%s/ca.pem' -noout -subject -ext "
	    "basicConstraints | tr '\\n' ' ' | "
	    "grep -q 'CN *= *my-ca .*CA:TRUE'",
	    dir, dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	gd_helm_result_dispose(&res);
	rm_chart(dir, files);
	dir = make_chart(bad);
	assert_int_not_equal(render_dir(&res, dir, &err), 0);
	assert_non_null(strstr(err.msg, "error parsing ca cert"));
	rm_chart(dir, bad);
}

/* The *WithKey variants certify the key given, chained to the CA. */
static void
test_helm__certificates_with_a_key_use_that_key(void **state)
{
	const char *files[] = { "Chart.yaml",
		"apiVersion: v2\nname: tls\nversion: 1.0.0\n",
		"templates/s.yaml",
		"{{- $k := genPrivateKey \"ecdsa\" }}\n"
		"{{- $ca := genCAWithKey \"my-ca\" 30 $k }}\n"
		"{{- $lk := genPrivateKey \"rsa\" }}\n"
		"{{- $c := genSignedCertWithKey \"svc\" nil (list \"svc.ns\") "
		"5 "
		"$ca $lk }}\n"
		"{{- $s := genSelfSignedCertWithKey \"self\" nil nil 5 $k }}\n"
		"{{- $b := buildCustomCert ($c.Cert | b64enc) ($lk | b64enc) "
		"}}\n"
		"ca: {{ $ca.Cert | quote }}\n"
		"cakey: {{ $k | quote }}\n"
		"cert: {{ $c.Cert | quote }}\n"
		"key: {{ $lk | quote }}\n"
		"self: {{ $s.Cert | quote }}\n"
		"same: {{ and (eq $c.Key $lk) (eq $b.Cert $c.Cert) "
		"(eq $b.Key $lk) }}\n",
		NULL };
	const char *bad[] = { "Chart.yaml",
		"apiVersion: v2\nname: tls\nversion: 1.0.0\n",
		"templates/s.yaml", "{{ genCAWithKey \"x\" 1 \"junk\" }}",
		NULL };
	char *dir = make_chart(files), *cmd = NULL;
	struct gd_helm_result res = { 0 };
	struct gd_err err = { 0 };
	json_t *o;

	(void)state;
	if (render_dir(&res, dir, &err) < 0)
		fail_msg("%s", err.msg);
	o = json_array_get(res.objects, 0);
	assert_true(json_is_true(json_object_get(o, "same")));
	write_pem(dir, "ca", o);
	write_pem(dir, "cakey", o);
	write_pem(dir, "cert", o);
	write_pem(dir, "key", o);
	write_pem(dir, "self", o);
	/* chains to the CA; each certificate holds the public key given */
	xasprintf(&cmd,
	    "cd '%s' && openssl verify -CAfile ca.pem cert.pem >/dev/null && "
	    "openssl x509 -in cert.pem -noout -pubkey >a && "
	    "openssl pkey -in key.pem -pubout >b && cmp -s a b && "
	    "openssl x509 -in ca.pem -noout -pubkey >a && "
	    "openssl pkey -in cakey.pem -pubout >b && cmp -s a b && "
	    "openssl x509 -in self.pem -noout -pubkey >a && cmp -s a b && "
	    "openssl x509 -in ca.pem -noout -ext basicConstraints | "
	    "grep -q 'CA:TRUE'",
	    dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	gd_helm_result_dispose(&res);
	rm_chart(dir, files);
	dir = make_chart(bad);
	assert_int_not_equal(render_dir(&res, dir, &err), 0);
	assert_non_null(
	    strstr(err.msg, "parsing private key: no PEM data in input"));
	rm_chart(dir, bad);
}

/* Chart.yaml's kubeVersion, as helm template checks the root chart. */
static void
test_helm__kube_version_constraint_is_checked(void **state)
{
	static const struct {
		const char *constraint, *kube;
		const char *msg; /* NULL: compatible */
	} cases[] = {
		{ ">=1.19.0-0", NULL, NULL },
		/* a prerelease meets only a range that names one */
		{ ">=1.19.0", "v1.28.3-gke.1200",
		    "chart requires kubeVersion: >=1.19.0 which is "
		    "incompatible with Kubernetes v1.28.3-gke.1200" },
		{ ">=1.19.0-0", "v1.28.3-gke.1200", NULL },
		{ ">= 1.21.0", NULL,
		    "chart requires kubeVersion: >= 1.21.0 which is "
		    "incompatible with Kubernetes v1.20.0" },
		{ "~1.16.0", "1.16.5", NULL },
		{ ">=1.19.0", "1.16.0",
		    "chart requires kubeVersion: >=1.19.0 which is "
		    "incompatible with Kubernetes v1.16.0" },
		{ "not a range", NULL,
		    "chart requires kubeVersion: not a range which is "
		    "incompatible with Kubernetes v1.20.0" },
	};
	char chart[256];
	const char *files[] = { "Chart.yaml", chart, NULL };
	struct gd_helm_chart *ch;
	struct gd_err err;
	size_t i;
	char *dir;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(chart, sizeof(chart),
		    "apiVersion: v2\nname: kv\nversion: 1.0.0\n"
		    "kubeVersion: \"%s\"\n",
		    cases[i].constraint);
		dir = make_chart(files);
		ch = NULL;
		gd_err_clear(&err);
		assert_int_equal(gd_helm_chart_load(&ch, dir, &err), 0);
		if (cases[i].msg == NULL)
			assert_int_equal(
			    helm_chart_check_kube(ch, cases[i].kube, &err), 0);
		else {
			assert_int_equal(
			    helm_chart_check_kube(ch, cases[i].kube, &err),
			    GD_EINVAL);
			assert_string_equal(err.msg, cases[i].msg);
		}
		gd_helm_chart_free(ch);
		rm_chart(dir, files);
	}
}

/* .Files.Glob's patterns: gobwas/glob, '/' the separator. */
static void
test_helm__files_glob_matches_like_gobwas(void **state)
{
	static const struct {
		const char *pattern, *name;
		bool match;
	} cases[] = {
		{ "files/*", "files/a.conf", true },
		{ "files/*", "files/sub/a.conf", false },
		{ "files/**", "files/sub/a.conf", true },
		{ "**.yaml", "conf/x/y.yaml", true },
		{ "**/*.yaml", "y.yaml", false },
		{ "conf/**/*.json", "conf/a/b/c.json", true },
		{ "files/?.txt", "files/a.txt", true },
		{ "files/?.txt", "files/ab.txt", false },
		{ "files/[ab].txt", "files/b.txt", true },
		{ "files/[!ab].txt", "files/c.txt", true },
		{ "files/[a-c]*", "files/cat", true },
		{ "files/[!a-c]*", "files/cat", false },
		{ "{config,secrets}/*.env", "secrets/db.env", true },
		{ "{config,secrets}/*.env", "other/db.env", false },
		{ "files/{a,{b,c}}.txt", "files/c.txt", true },
		{ "files/\\*.txt", "files/*.txt", true },
		{ "files/\\*.txt", "files/a.txt", false },
		{ "files/[ab", "files/a", false },
		{ "files/{a,b", "files/a", false },
		{ "*", "a/b", false },
		{ "a**b", "a/x/b", true },
		{ "plain.txt", "plain.txt", true },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (helm_glob_match(cases[i].pattern, cases[i].name) !=
		    cases[i].match)
			fail_msg(
			    "%s against %s", cases[i].pattern, cases[i].name);
	/* a pattern built to backtrack gives up rather than hang */
	assert_false(helm_glob_match("**a**a**a**a**a**a**a**a**a**b",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

/* What toToml writes, fromToml reads back as the same values. */
static void
test_helm__toml_round_trips(void **state)
{
	const char *src =
	    "{\"a\": 1, \"b\": \"x\\ty\\\"\", \"c\": 1.5, "
	    "\"d\": [1, [2, \"z\"], {\"i\": true}], "
	    "\"t\": {\"u\": {\"v\": -7}, \"w\": []}, "
	    "\"arr\": [{\"q\": 1}, {\"q\": 2, \"r\": {\"s\": 3}}], "
	    "\"key with space\": \"k\", \"é\": \"ü\"}";
	struct gd_err err = { 0 };
	json_t *v = json_loads(src, 0, NULL), *back = NULL;
	struct gd_buf b;

	(void)state;
	assert_non_null(v);
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	assert_int_equal(helm_toml_encode(&b, v, &err), 0);
	if (helm_toml_decode(&back, b.data, b.len, &err) < 0)
		fail_msg("%s\n%s", err.msg, b.data);
	assert_true(json_equal(v, back));
	json_decref(back);
	/* a parse error names its line */
	assert_int_equal(helm_toml_decode(&back, "a = 1\nb = [1,\n",
			     strlen("a = 1\nb = [1,\n"), &err),
	    GD_EINVAL);
	assert_null(back);
	if (strstr(err.msg, "toml: line 3") == NULL)
		fail_msg("%s", err.msg);
	json_decref(v);
	gd_buf_dispose(&b);
}

static void
test_helm__required_and_fail_read_as_helm_prints_them(void **state)
{
	const char *files[] = { "Chart.yaml",
		"apiVersion: v2\nname: req\nversion: 1.0.0\n",
		"templates/cm.yaml",
		"a: {{ required \"set .Values.x, please\" .Values.x }}", NULL };
	char *dir = make_chart(files);
	struct gd_helm_result res = { 0 };
	struct gd_err err = { 0 };

	(void)state;
	assert_int_not_equal(render_dir(&res, dir, &err), 0);
	assert_string_equal(err.msg,
	    "execution error at (req/templates/cm.yaml:1:6): set .Values.x, "
	    "please");
	rm_chart(dir, files);
}

/*
 * include's outputs are reused within a render (funcs.c, the memo): never
 * where a second run would print something else. The fixture charts read
 * .Template every way a template can (field, $, index, range, with, a
 * variable, a nested or computed include, .Subcharts, a dict built from
 * it), in files on both sides of a subchart's, and one changes its values
 * with set between two includes; the goldens are helm-oracle's output.
 */
static void
test_helm__reused_includes_print_what_helm_prints(void **state)
{
	static const char *const charts[] = { "memo", "memo-set" };
	const char *src = getenv("GD_SRCDIR");
	struct gd_helm_chart *ch = NULL;
	struct gd_helm_opts o = { .seed = 42 };
	struct gd_helm_result res = { 0 };
	struct gd_err err = { 0 };
	struct gd_buf want;
	char *dir = NULL, *path = NULL;
	size_t i, round;

	(void)state;
	for (i = 0; i < sizeof(charts) / sizeof(charts[0]); i++) {
		xasprintf(&dir, "%s/tests/fixtures/helm/%s",
		    src != NULL ? src : ".", charts[i]);
		xasprintf(&path, "%s.golden", dir);
		gd_buf_init(&want);
		assert_int_equal(gd_buf_read_file(&want, path, 0, &err), 0);
		if (gd_helm_chart_load(&ch, dir, &err) != 0)
			fail_msg("%s: %s", charts[i], err.msg);
		/* the second render runs on the cached set and values */
		for (round = 0; round < 2; round++) {
			if (gd_helm_render(&res, ch, NULL, &o, &err) != 0)
				fail_msg("%s: %s", charts[i], err.msg);
			assert_string_equal(res.text, want.data);
			gd_helm_result_dispose(&res);
		}
		gd_helm_chart_free(ch);
		ch = NULL;
		gd_buf_dispose(&want);
		free(dir);
		free(path);
	}
}

/* A helper that draws random text gives new text at each include. */
static void
test_helm__random_includes_are_not_reused(void **state)
{
	const char *files[] = { "Chart.yaml",
		"apiVersion: v2\nname: rnd\nversion: 1.0.0\n",
		"templates/_helpers.tpl",
		"{{- define \"r\" }}{{ randAlphaNum 12 }}{{ end }}",
		"templates/cm.yaml",
		"a: {{ include \"r\" . }}\nb: {{ include \"r\" . }}\n", NULL };
	char *dir = make_chart(files);
	struct gd_helm_result res = { 0 };
	struct gd_err err = { 0 };
	json_t *o;

	(void)state;
	if (render_dir(&res, dir, &err) != 0)
		fail_msg("%s", err.msg);
	o = json_array_get(res.objects, 0);
	assert_int_equal(
	    strlen(json_string_value(json_object_get(o, "a"))), 12);
	assert_string_not_equal(json_string_value(json_object_get(o, "a")),
	    json_string_value(json_object_get(o, "b")));
	gd_helm_result_dispose(&res);
	rm_chart(dir, files);
}

/*
 * A chart's file in Latin-1 is bytes Go keeps as they are: toJson writes
 * each byte that starts no UTF-8 sequence as \ufffd (it once wrote
 * nothing at all), b64enc encodes the bytes themselves.
 */
static void
test_helm__files_in_latin1_encode_as_go_does(void **state)
{
	const char *files[] = { "Chart.yaml",
		"apiVersion: v2\nname: l1\nversion: 1.0.0\n", "latin1.txt",
		"caf\xe9", "templates/cm.yaml",
		"j: {{ .Files.Get \"latin1.txt\" | toJson | squote }}\n"
		"b: {{ .Files.Get \"latin1.txt\" | b64enc }}\n",
		NULL };
	char *dir = make_chart(files);
	struct gd_helm_result res = { 0 };
	struct gd_err err = { 0 };
	json_t *o;

	(void)state;
	if (render_dir(&res, dir, &err) != 0)
		fail_msg("%s", err.msg);
	o = json_array_get(res.objects, 0);
	assert_string_equal(
	    json_string_value(json_object_get(o, "j")), "\"caf\\ufffd\"");
	assert_string_equal(
	    json_string_value(json_object_get(o, "b")), "Y2Fm6Q==");
	gd_helm_result_dispose(&res);
	rm_chart(dir, files);
}

/*
 * A render builds its documents and its templates' scratch in the json
 * arena (gd_jarena_open): once the results are freed, every chunk it took
 * is back, render after render, so nothing long-lived was left there.
 */
static void
test_helm__renders_give_their_arena_chunks_back(void **state)
{
	struct gd_helm_chart *ch = NULL;
	struct gd_helm_opts o = { .seed = 1 };
	struct gd_helm_result res;
	struct gd_err err = { 0 };
	char *dir = NULL;
	size_t used0, used, idle, i;
	bool was;

	(void)state;
	was = gd_jarena_set_enabled(true);
	xasprintf(&dir, "%s/conformance/helm/charts/scaffold", shared());
	assert_int_equal(gd_helm_chart_load(&ch, dir, &err), 0);
	gd_jarena_stats(&used0, &idle);
	for (i = 0; i < 20; i++) {
		if (gd_helm_render(&res, ch, NULL, &o, &err) != 0)
			fail_msg("%s", err.msg);
		assert_true(json_array_size(res.objects) > 3);
		if (i == 0) {
			gd_jarena_stats(&used, &idle);
			/* the documents are there, packed: not a chunk each */
			assert_true(used > used0);
			assert_true(
			    used - used0 < json_array_size(res.objects));
		}
		gd_helm_result_dispose(&res);
		gd_jarena_stats(&used, &idle);
		assert_int_equal(used, used0);
	}
	gd_helm_chart_free(ch);
	free(dir);
	gd_jarena_set_enabled(was);
}

/*
 * A raw string keeps bytes that are not UTF-8, and names made of them
 * work as keys (include's nesting count once dropped such a name and
 * wrote to the count it had freed): the error quotes the name as Go's
 * %q does, and dict keeps the key.
 */
static void
test_helm__names_that_are_not_utf8(void **state)
{
	const char *files[] = { "Chart.yaml",
		"apiVersion: v2\nname: nb\nversion: 1.0.0\n",
		"templates/cm.yaml",
		"count: {{ dict `k\xff` 1 | len }}\n{{ include `h\xff` . }}\n",
		NULL };
	char *dir = make_chart(files);
	struct gd_helm_result res = { 0 };
	struct gd_err err = { 0 };

	(void)state;
	assert_int_not_equal(render_dir(&res, dir, &err), 0);
	if (strstr(err.msg,
		"error calling include: template: no template "
		"\"h\\xff\" associated with template \"gotpl\"") == NULL)
		fail_msg("%s", err.msg);
	rm_chart(dir, files);
	files[3] = "count: {{ dict `k\xff` 1 | len }}\n";
	dir = make_chart(files);
	if (render_dir(&res, dir, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(json_integer_value(json_object_get(
			     json_array_get(res.objects, 0), "count")),
	    1);
	gd_helm_result_dispose(&res);
	rm_chart(dir, files);
}

static void
test_helm__objects_are_parsed_and_hooks_follow(void **state)
{
	const char *files[] = { "Chart.yaml",
		"apiVersion: v2\nname: obj\nversion: 1.0.0\n", "values.yaml",
		"replicas: 3\n", "templates/a.yaml",
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  "
		"annotations:\n    helm.sh/hook: pre-install\n---\n"
		"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n"
		"spec:\n  replicas: {{ .Values.replicas }}\n"
		"---\n# only a comment\n---\n\n"
		"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n",
		NULL };
	char *dir = make_chart(files);
	struct gd_helm_result res = { 0 };
	struct gd_err err = { 0 };
	json_t *o;

	(void)state;
	if (render_dir(&res, dir, &err) != 0)
		fail_msg("%s", err.msg);
	/* Namespace first by install order, the comment-only doc kept
	 * after the known kinds, the hook last */
	assert_int_equal(json_array_size(res.objects), 4);
	o = json_array_get(res.objects, 0);
	assert_string_equal(
	    json_string_value(json_object_get(o, "kind")), "Namespace");
	assert_true(json_is_null(json_array_get(res.objects, 2)));
	o = json_array_get(res.objects, 1);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(o, "spec"), "replicas")),
	    3);
	o = json_array_get(res.objects, 3);
	assert_string_equal(
	    json_string_value(json_object_get(o, "kind")), "Pod");
	gd_helm_result_dispose(&res);
	rm_chart(dir, files);
}

static void
test_helm__dependency_alias_renames_and_conditions_apply(void **state)
{
	const char *files[] = { "Chart.yaml",
		"apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n"
		"- name: db\n  version: 1.0.0\n  alias: main\n"
		"- name: db\n  version: 1.0.0\n  alias: replica\n"
		"  condition: replica.enabled\n",
		"values.yaml", "main:\n  size: 5\nreplica:\n  enabled: false\n",
		"charts/db/Chart.yaml",
		"apiVersion: v2\nname: db\nversion: 1.0.0\n",
		"charts/db/values.yaml", "size: 1\n",
		"charts/db/templates/cm.yaml",
		"kind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}\n"
		"data:\n  size: \"{{ .Values.size }}\"\n"
		"  tpl: {{ .Template.Name }}\n",
		NULL };
	char *dir = make_chart(files);
	struct gd_helm_result res = { 0 };
	struct gd_err err = { 0 };

	(void)state;
	if (render_dir(&res, dir, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(res.text,
	    "---\n# Source: top/charts/main/templates/cm.yaml\n"
	    "kind: ConfigMap\nmetadata:\n  name: main\ndata:\n"
	    "  size: \"5\"\n  tpl: top/charts/main/templates/cm.yaml\n");
	gd_helm_result_dispose(&res);
	rm_chart(dir, files);
}

static void
test_helm__import_values_lose_to_the_parent(void **state)
{
	const char *files[] = { "Chart.yaml",
		"apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n"
		"- name: child\n  version: 1.0.0\n  import-values:\n"
		"  - data\n  - child: info\n    parent: fromchild\n",
		"values.yaml", "x: 9\nfromchild:\n  z: 3\n",
		"charts/child/Chart.yaml",
		"apiVersion: v2\nname: child\nversion: 1.0.0\n",
		"charts/child/values.yaml",
		"exports:\n  data:\n    x: 1\n    w: 4\ninfo:\n  q: 2\n  z: "
		"0\n",
		"templates/cm.yaml",
		"v: {{ .Values.x }} {{ .Values.w }} {{ .Values.fromchild.q }} "
		"{{ .Values.fromchild.z }}\n",
		NULL };
	char *dir = make_chart(files);
	struct gd_helm_result res = { 0 };
	struct gd_err err = { 0 };

	(void)state;
	if (render_dir(&res, dir, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(
	    res.text, "---\n# Source: top/templates/cm.yaml\nv: 9 4 2 3\n");
	gd_helm_result_dispose(&res);
	rm_chart(dir, files);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_helm__conformance_goldens),
		cmocka_unit_test(test_helm__scaffold_notes),
		cmocka_unit_test(test_helm__probe_vectors_match_sprig),
		cmocka_unit_test(test_helm__sprig_corpus_matches_go),
		cmocka_unit_test(test_helm__set_values_are_typed_like_strvals),
		cmocka_unit_test(test_helm__cli_prints_helm_goldens),
		cmocka_unit_test(test_helm__set_flags_parse_like_strvals),
		cmocka_unit_test(test_helm__set_flag_errors_name_the_key),
		cmocka_unit_test(test_helm__set_flags_apply_in_helm_order),
		cmocka_unit_test(
		    test_helm__recursive_include_stops_with_an_error),
		cmocka_unit_test(
		    test_helm__required_and_fail_read_as_helm_prints_them),
		cmocka_unit_test(
		    test_helm__reused_includes_print_what_helm_prints),
		cmocka_unit_test(test_helm__random_includes_are_not_reused),
		cmocka_unit_test(test_helm__files_in_latin1_encode_as_go_does),
		cmocka_unit_test(test_helm__names_that_are_not_utf8),
		cmocka_unit_test(
		    test_helm__renders_give_their_arena_chunks_back),
		cmocka_unit_test(
		    test_helm__objects_are_parsed_and_hooks_follow),
		cmocka_unit_test(
		    test_helm__dependency_alias_renames_and_conditions_apply),
		cmocka_unit_test(test_helm__import_values_lose_to_the_parent),
		cmocka_unit_test(
		    test_helm__bad_regexps_and_huge_sequences_are_errors),
		cmocka_unit_test(test_helm__now_reads_the_fixed_clock),
		cmocka_unit_test(test_helm__bcrypt_hashes_verify_like_go),
		cmocka_unit_test(
		    test_helm__generated_certificates_verify_with_openssl),
		cmocka_unit_test(
		    test_helm__certificates_with_a_key_use_that_key),
		cmocka_unit_test(test_helm__kube_version_constraint_is_checked),
		cmocka_unit_test(test_helm__files_glob_matches_like_gobwas),
		cmocka_unit_test(test_helm__toml_round_trips),
	};

	gd_core_init_json();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
