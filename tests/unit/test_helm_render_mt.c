/* SPDX-License-Identifier: ISC */
/*
 * helm rendering from several threads at once (issue #5's controller
 * renders from worker threads, and the chart store shares one loaded
 * chart between apps). Four threads render one freshly loaded chart, so
 * they race to parse and publish its cache, each with its own values;
 * every result must be what a single-threaded render of those values
 * gives, text and objects. A chart whose templates change .Values with
 * set must not see another render's change. make check runs it under
 * ASan; for TSan, build with CC=clang CFLAGS='-O1 -g -fno-inline
 * -fsanitize=thread' LDFLAGS=-fsanitize=thread and run it with
 * TSAN_OPTIONS=suppressions=tests/fixtures/helm/tsan.supp (jansson's
 * refcount check).
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

#include "gitopsd/core.h"
#include "gitopsd/helm.h"

#define MT_THREADS 4
#define MT_ROUNDS  25

struct mt_job {
	struct gd_helm_chart *chart;
	json_t *vals[MT_THREADS];
	struct gd_helm_result want[MT_THREADS];
	pthread_barrier_t start;
	int first; /* this thread's first values: threads take turns */
	int bad; /* renders that differed or failed */
};

struct mt_arg {
	struct mt_job *job;
	int first;
	int bad;
};

static const struct gd_helm_opts mt_opts = {
	.release_name = "mt", .ns = "demo", .seed = 7, .now = 1700000000
};

static const char *
shared(void)
{
	const char *s = getenv("GD_SHARED");

	return s != NULL ? s : "../shared";
}

static bool
mt_same(const struct gd_helm_result *a, const struct gd_helm_result *b)
{
	return strcmp(a->text, b->text) == 0 &&
	    json_equal(a->objects, b->objects) &&
	    ((a->notes == NULL && b->notes == NULL) ||
		(a->notes != NULL && b->notes != NULL &&
		    strcmp(a->notes, b->notes) == 0));
}

static void *
mt_thread(void *p)
{
	struct mt_arg *a = p;
	struct mt_job *job = a->job;
	struct gd_helm_result res;
	struct gd_err err = { 0 };
	int r, k;

	pthread_barrier_wait(&job->start);
	for (r = 0; r < MT_ROUNDS; r++) {
		/* mostly this thread's values, sometimes another's */
		k = (a->first + (r % 5 == 4 ? r : 0)) % MT_THREADS;
		if (gd_helm_render(
			&res, job->chart, job->vals[k], &mt_opts, &err) < 0) {
			a->bad++;
			continue;
		}
		if (!mt_same(&res, &job->want[k]))
			a->bad++;
		gd_helm_result_dispose(&res);
	}
	return NULL;
}

/*
 * Renders chart (loaded twice by load: once for the single-threaded
 * answers, once fresh for the threads) with vals from MT_THREADS
 * threads; the number of renders that went wrong.
 */
static int
mt_run(int (*load)(struct gd_helm_chart **, void *), void *ctx,
    json_t *vals[MT_THREADS])
{
	struct mt_job job;
	struct mt_arg args[MT_THREADS];
	pthread_t th[MT_THREADS];
	struct gd_helm_chart *ref = NULL;
	struct gd_err err = { 0 };
	int i, bad = 0;

	memset(&job, 0, sizeof(job));
	assert_int_equal(load(&ref, ctx), 0);
	for (i = 0; i < MT_THREADS; i++) {
		job.vals[i] = vals[i];
		if (gd_helm_render(&job.want[i], ref, vals[i], &mt_opts, &err) <
		    0)
			fail_msg("single-threaded render: %s", err.msg);
	}
	assert_int_equal(load(&job.chart, ctx), 0);
	pthread_barrier_init(&job.start, NULL, MT_THREADS);
	for (i = 0; i < MT_THREADS; i++) {
		args[i].job = &job;
		args[i].first = i;
		args[i].bad = 0;
		assert_int_equal(
		    pthread_create(&th[i], NULL, mt_thread, &args[i]), 0);
	}
	for (i = 0; i < MT_THREADS; i++) {
		pthread_join(th[i], NULL);
		bad += args[i].bad;
	}
	pthread_barrier_destroy(&job.start);
	for (i = 0; i < MT_THREADS; i++)
		gd_helm_result_dispose(&job.want[i]);
	gd_helm_chart_free(job.chart);
	gd_helm_chart_free(ref);
	return bad;
}

static int
mt_load_scaffold(struct gd_helm_chart **out, void *ctx)
{
	struct gd_err err = { 0 };
	char dir[4096];

	(void)ctx;
	snprintf(
	    dir, sizeof(dir), "%s/conformance/helm/charts/scaffold", shared());
	if (gd_helm_chart_load(out, dir, &err) < 0)
		fail_msg("%s", err.msg);
	return 0;
}

static void
test_helm__render_threads_match_single(void **state)
{
	char file[4096], set[128];
	const char *files[1] = { file };
	const char *sets[1] = { set };
	json_t *vals[MT_THREADS];
	struct gd_err err = { 0 };
	int i;

	(void)state;
	snprintf(file, sizeof(file),
	    "%s/conformance/helm/values/scaffold-all-enabled.yaml", shared());
	for (i = 0; i < MT_THREADS; i++) {
		/* each thread its own values, one without the file */
		snprintf(set, sizeof(set),
		    "replicaCount=%d,image.tag=v%d,podLabels.thread=t%d", i + 1,
		    i, i);
		if (gd_helm_values_build(
			&vals[i], files, i == 3 ? 0 : 1, sets, 1, &err) < 0)
			fail_msg("%s", err.msg);
	}
	assert_int_equal(mt_run(mt_load_scaffold, NULL, vals), 0);
	for (i = 0; i < MT_THREADS; i++)
		json_decref(vals[i]);
}

/* A chart that changes .Values while it renders, as charts do with set. */
static const char mt_chart_yaml[] = "apiVersion: v2\nname: setter\n"
				    "version: 0.1.0\n";
static const char mt_values_yaml[] = "n: 0\nlabels:\n  a: x\n";
static const char mt_tpl_yaml[] =
    "{{- $_ := set .Values \"seen\" (printf \"%v-%v\" .Values.n "
    ".Release.Name) }}\n"
    "{{- $_ := set .Values.labels \"b\" .Values.seen }}\n"
    "{{- $_ := unset .Values \"n\" }}\n"
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
    "  labels:\n{{ toYaml .Values.labels | indent 4 }}\n"
    "data:\n  seen: {{ .Values.seen | quote }}\n"
    "  n: {{ .Values.n | default \"gone\" | quote }}\n";
static const char mt_second_yaml[] =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: second\n"
    "data:\n  seen: {{ .Values.seen | default \"none\" | quote }}\n"
    "  b: {{ .Values.labels.b | default \"none\" | quote }}\n";

static int
mt_load_setter(struct gd_helm_chart **out, void *ctx)
{
	const struct gd_helm_file files[] = {
		{ "Chart.yaml", mt_chart_yaml, sizeof(mt_chart_yaml) - 1 },
		{ "values.yaml", mt_values_yaml, sizeof(mt_values_yaml) - 1 },
		{ "templates/a.yaml", mt_tpl_yaml, sizeof(mt_tpl_yaml) - 1 },
		{ "templates/b.yaml", mt_second_yaml,
		    sizeof(mt_second_yaml) - 1 },
	};
	struct gd_err err = { 0 };

	(void)ctx;
	if (gd_helm_chart_load_files(out, files, 4, &err) < 0)
		fail_msg("%s", err.msg);
	return 0;
}

static void
test_helm__render_set_values_stay_in_their_render(void **state)
{
	struct gd_helm_chart *c = NULL;
	struct gd_helm_result a, b;
	struct gd_err err = { 0 };
	json_t *vals[MT_THREADS];
	char set[64];
	const char *sets[1] = { set };
	int i;

	(void)state;
	for (i = 0; i < MT_THREADS; i++) {
		snprintf(set, sizeof(set), "n=%d", i * 10);
		assert_int_equal(
		    gd_helm_values_build(&vals[i], NULL, 0, sets, 1, &err), 0);
	}
	/* the same values twice in a row: the second sees no set of the
	 * first, and the later template sees the earlier one's */
	assert_int_equal(mt_load_setter(&c, NULL), 0);
	assert_int_equal(gd_helm_render(&a, c, vals[1], &mt_opts, &err), 0);
	assert_int_equal(gd_helm_render(&b, c, vals[1], &mt_opts, &err), 0);
	assert_string_equal(a.text, b.text);
	assert_non_null(strstr(a.text, "seen: \"10-mt\""));
	assert_non_null(strstr(a.text, "n: \"gone\""));
	gd_helm_result_dispose(&a);
	gd_helm_result_dispose(&b);
	gd_helm_chart_free(c);
	assert_int_equal(mt_run(mt_load_setter, NULL, vals), 0);
	for (i = 0; i < MT_THREADS; i++)
		json_decref(vals[i]);
}

/* The cached values follow the user's: A, B, A gives A's output again. */
static void
test_helm__render_values_change_between_renders(void **state)
{
	struct gd_helm_chart *c = NULL;
	struct gd_helm_result r1, r2, r3;
	struct gd_err err = { 0 };
	const char *s1[1] = { "n=1" };
	json_t *v1 = NULL, *v2 = NULL;

	(void)state;
	assert_int_equal(gd_helm_values_build(&v1, NULL, 0, s1, 1, &err), 0);
	v2 = json_deep_copy(v1);
	json_object_set_new(v2, "n", json_real(1.5));
	assert_int_equal(mt_load_setter(&c, NULL), 0);
	assert_int_equal(gd_helm_render(&r1, c, v1, &mt_opts, &err), 0);
	assert_int_equal(gd_helm_render(&r2, c, v2, &mt_opts, &err), 0);
	assert_int_equal(gd_helm_render(&r3, c, v1, &mt_opts, &err), 0);
	assert_non_null(strstr(r1.text, "seen: \"1-mt\""));
	assert_non_null(strstr(r2.text, "seen: \"1.5-mt\""));
	assert_string_equal(r1.text, r3.text);
	gd_helm_result_dispose(&r1);
	gd_helm_result_dispose(&r2);
	gd_helm_result_dispose(&r3);
	gd_helm_chart_free(c);
	json_decref(v1);
	json_decref(v2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_helm__render_threads_match_single),
		cmocka_unit_test(
		    test_helm__render_set_values_stay_in_their_render),
		cmocka_unit_test(
		    test_helm__render_values_change_between_renders),
	};

	gd_core_init_json();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
