/* SPDX-License-Identifier: ISC */
/*
 * bench/ydoc: YAML load (with and without marks), emit and canonical JSON
 * on a stream of Kubernetes manifests the size of a big application set.
 * Prints the median of several rounds in MB/s of YAML text, so runs on a
 * noisy machine can be compared; never used as a test.
 * Usage: bench/ydoc [DOCS [ROUNDS]]   (default 2000 Deployment+Service
 * pairs, 5 rounds)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/ydoc.h"

static void
bench_stream(struct gd_buf *b, int n)
{
	int i;

	for (i = 0; i < n; i++)
		gd_buf_printf(b,
		    "---\n"
		    "apiVersion: apps/v1\n"
		    "kind: Deployment\n"
		    "metadata:\n"
		    "  name: web-%d\n"
		    "  namespace: team-%d\n"
		    "  labels: {app.kubernetes.io/name: web-%d, tier: "
		    "frontend}\n"
		    "  annotations:\n"
		    "    argocd.argoproj.io/tracking-id: "
		    "\"web-%d:apps/Deployment:team-%d/web-%d\"\n"
		    "spec:\n"
		    "  replicas: %d\n"
		    "  selector:\n"
		    "    matchLabels: {app.kubernetes.io/name: web-%d}\n"
		    "  template:\n"
		    "    metadata:\n"
		    "      labels: {app.kubernetes.io/name: web-%d}\n"
		    "    spec:\n"
		    "      containers:\n"
		    "      - name: web\n"
		    "        image: harbor.local/team/web:1.%d.0\n"
		    "        ports: [{containerPort: 8080, name: http}]\n"
		    "        env:\n"
		    "        - {name: LOG_LEVEL, value: info}\n"
		    "        - {name: FEATURE_X, value: \"true\"}\n"
		    "        resources:\n"
		    "          limits: {cpu: 500m, memory: 256Mi}\n"
		    "          requests: {cpu: 100m, memory: 128Mi}\n"
		    "---\n"
		    "apiVersion: v1\n"
		    "kind: Service\n"
		    "metadata: {name: web-%d, namespace: team-%d}\n"
		    "spec:\n"
		    "  selector: {app.kubernetes.io/name: web-%d}\n"
		    "  ports:\n"
		    "  - {name: http, port: 80, targetPort: http}\n",
		    i, i % 50, i, i, i % 50, i, 1 + i % 5, i, i, i % 30, i,
		    i % 50, i);
}

static int
bench_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
bench_median_mbs(uint64_t *us, int rounds, size_t bytes)
{
	qsort(us, (size_t)rounds, sizeof(*us), bench_cmp);
	return us[rounds / 2] > 0 ? (double)bytes / (double)us[rounds / 2] :
				    0.0;
}

static uint64_t
bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 2000;
	int rounds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5, r;
	uint64_t load[64], marks[64], emit[64], canon[64], t;
	struct gd_ydoc_limits lim = { 256u << 20, 0, 0 };
	struct gd_buf text, out;
	struct gd_err err;
	json_t *docs = NULL, *mk = NULL;

	gd_core_init_json();
	if (n < 1 || rounds < 1 || rounds > 64)
		fatalx("usage: bench/ydoc [DOCS [ROUNDS<=64]]");
	gd_buf_init(&text);
	gd_buf_init(&out);
	bench_stream(&text, n);
	for (r = 0; r < rounds; r++) {
		t = bench_now_us();
		if (gd_ydoc_load(&docs, NULL, text.data, text.len, "bench",
			&lim, &err) < 0)
			fatalx("load: %s", err.msg);
		load[r] = bench_now_us() - t;
		json_decref(docs);

		t = bench_now_us();
		if (gd_ydoc_load(&docs, &mk, text.data, text.len, "bench", &lim,
			&err) < 0)
			fatalx("load: %s", err.msg);
		marks[r] = bench_now_us() - t;
		json_decref(mk);

		gd_buf_reset(&out);
		t = bench_now_us();
		gd_ydoc_emit(&out, docs);
		emit[r] = bench_now_us() - t;

		gd_buf_reset(&out);
		t = bench_now_us();
		gd_ydoc_canonical(&out, docs);
		canon[r] = bench_now_us() - t;
		json_decref(docs);
	}
	printf("ydoc: %d documents, %.2f MB of YAML, median of %d rounds\n",
	    2 * n, (double)text.len / 1e6, rounds);
	printf("load            %7.1f MB/s\n",
	    bench_median_mbs(load, rounds, text.len));
	printf("load with marks %7.1f MB/s\n",
	    bench_median_mbs(marks, rounds, text.len));
	printf("emit            %7.1f MB/s (of input YAML)\n",
	    bench_median_mbs(emit, rounds, text.len));
	printf("canonical JSON  %7.1f MB/s (of input YAML)\n",
	    bench_median_mbs(canon, rounds, text.len));
	gd_buf_dispose(&text);
	gd_buf_dispose(&out);
	return 0;
}
