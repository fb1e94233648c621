/* SPDX-License-Identifier: ISC */
/*
 * bench/render: renders the helm create scaffold chart with every feature
 * enabled (ingress with TLS, autoscaling, HTTPRoute, every "with" block)
 * in a loop, as gitopsd renders an application on each reconcile. Prints
 * renders per second and microseconds per render (medians of several
 * rounds, one core) and the peak RSS; never used as a test. The chart is
 * loaded once: loading is a file read, rendering is the engine. With
 * THREADS > 1, that many threads render the one chart at once (as the
 * controller's workers will), each N renders a round, and the figures
 * are for all of them together.
 * Usage: bench/render [CHART [VALUES [N [ROUNDS [THREADS]]]]]
 *   (default: the conformance scaffold with values/scaffold-all-enabled,
 *   2000 renders, 5 rounds, 1 thread; GD_SHARED locates ../shared)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "gitopsd/helm.h"

/* CPU time of this process in microseconds: the machine may be shared. */
static double
bench_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

struct bench_job {
	const struct gd_helm_chart *chart;
	const json_t *vals;
	const struct gd_helm_opts *opts;
	int n;
	size_t bytes;
	int failed;
};

static void *
bench_run(void *p)
{
	struct bench_job *j = p;
	struct gd_helm_result res;
	struct gd_err err = { 0 };
	int i;

	for (i = 0; i < j->n; i++) {
		if (gd_helm_render(&res, j->chart, j->vals, j->opts, &err) <
		    0) {
			fprintf(stderr, "bench/render: %s\n", err.msg);
			j->failed = 1;
			return NULL;
		}
		j->bytes = strlen(res.text);
		gd_helm_result_dispose(&res);
	}
	return NULL;
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	const char *sh =
	    getenv("GD_SHARED") ? getenv("GD_SHARED") : "../shared";
	char chart_dir[4096], values[4096];
	const char *vf[1];
	struct gd_helm_chart *chart = NULL;
	struct gd_helm_opts o = {
		.release_name = "my-release", .ns = "demo", .seed = 1
	};
	struct bench_job jobs[16];
	pthread_t th[16];
	struct gd_err err = { 0 };
	struct rusage ru;
	json_t *vals = NULL;
	double per[16], cpu[16], t0, c0;
	int n = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 2000;
	int rounds = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 5, r, i;
	int nth = argc > 5 ? (int)strtol(argv[5], NULL, 10) : 1;
	size_t bytes = 0;

	gd_core_init_json();
	snprintf(chart_dir, sizeof(chart_dir), "%s", argc > 1 ? argv[1] : "");
	if (argc <= 1 || argv[1][0] == '\0')
		snprintf(chart_dir, sizeof(chart_dir),
		    "%s/conformance/helm/charts/scaffold", sh);
	if (argc > 2 && argv[2][0] != '\0')
		snprintf(values, sizeof(values), "%s", argv[2]);
	else
		snprintf(values, sizeof(values),
		    "%s/conformance/helm/values/scaffold-all-enabled.yaml", sh);
	vf[0] = values;
	if (rounds > 16)
		rounds = 16;
	if (nth < 1 || nth > 16)
		nth = 1;
	if (gd_helm_chart_load(&chart, chart_dir, &err) < 0 ||
	    gd_helm_values_build(&vals, vf, 1, NULL, 0, &err) < 0) {
		fprintf(stderr, "bench/render: %s\n", err.msg);
		return 1;
	}
	for (r = 0; r < rounds; r++) {
		t0 = (double)gd_time_mono_ms();
		c0 = bench_cpu_us();
		for (i = 0; i < nth; i++) {
			jobs[i] =
			    (struct bench_job){ chart, vals, &o, n, 0, 0 };
			if (nth == 1)
				bench_run(&jobs[i]);
			else if (pthread_create(
				     &th[i], NULL, bench_run, &jobs[i]) != 0)
				return 1;
		}
		for (i = 0; i < nth; i++) {
			if (nth > 1)
				pthread_join(th[i], NULL);
			if (jobs[i].failed)
				return 1;
			bytes = jobs[i].bytes;
		}
		per[r] = ((double)gd_time_mono_ms() - t0) * 1000.0 / n / nth;
		cpu[r] = (bench_cpu_us() - c0) / n / nth;
	}
	qsort(per, (size_t)rounds, sizeof(per[0]), bench_cmp);
	qsort(cpu, (size_t)rounds, sizeof(cpu[0]), bench_cmp);
	getrusage(RUSAGE_SELF, &ru);
	printf("render %s: %d renders x %d rounds x %d threads, %zu bytes of "
	       "YAML each\n",
	    chart_dir, n, rounds, nth, bytes);
	printf("median %.1f us/render wall, %.0f renders/s; %.1f us CPU, "
	       "%.0f renders/s per core; peak RSS %ld KiB\n",
	    per[rounds / 2], 1e6 / per[rounds / 2], cpu[rounds / 2],
	    1e6 / cpu[rounds / 2], ru.ru_maxrss);
	gd_helm_chart_free(chart);
	json_decref(vals);
	return 0;
}
