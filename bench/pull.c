/* SPDX-License-Identifier: ISC */
/*
 * bench/pull: the chart store against a docker-registry it starts on
 * loopback (tests/helpers/registry.c), with a chart pushed through the
 * upload API: Helm's scaffold chart from the conformance suite when
 * GD_SHARED (or ../shared) has it, else a small generated chart.
 * Prints, as medians over rounds:
 *   - a cold pull (empty store: HEAD, manifest, blob, load),
 *   - a warm pull of an unchanged tag (one HEAD, chart from memory),
 *   - a pull by digest (no request at all),
 *   - a pull by a fresh store over a warm folder (HEAD, file re-hashed
 *     and loaded),
 * each with the HTTP requests it made.
 *
 *   bench/pull [ROUNDS]
 *
 * The 1,000-apps render figures (apps sharing one chart with different
 * values, cold and warm render cache) are bench/sources, the source
 * module's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "gitopsd/conf.h"
#include "gitopsd/core.h"
#include "gitopsd/helm.h"
#include "../tests/helpers/ocipush.h"
#include "../tests/helpers/registry.h"

struct run {
	uint64_t *us;
	unsigned long *reqs;
	int n;
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static unsigned long
requests(struct gd_helm_pull *p)
{
	struct gd_helm_pull_stats st;

	gd_helm_pull_stats(p, &st);
	return st.requests;
}

/* One timed pull; exits on failure, a benchmark of errors is no use. */
static void
timed(struct gd_helm_pull *p, const char *rev, struct run *r)
{
	struct gd_helm_pulled pd;
	struct gd_err err = { 0 };
	unsigned long before = requests(p);
	uint64_t t0 = now_us();

	if (gd_helm_pull(p, "oci://harbor.local/charts", "bench", rev, 0, &pd,
		&err) < 0) {
		fprintf(stderr, "bench/pull: %s\n", err.msg);
		exit(1);
	}
	r->us[r->n] = now_us() - t0;
	r->reqs[r->n] = requests(p) - before;
	r->n++;
	gd_helm_pulled_dispose(&pd);
}

static void
report(const char *what, struct run *r)
{
	unsigned long reqs = r->reqs[0];

	qsort(r->us, (size_t)r->n, sizeof(*r->us), cmp_u64);
	printf("%-34s median %8llu us  (min %llu, max %llu; %d rounds)  "
	       "%lu HTTP request%s\n",
	    what, (unsigned long long)r->us[r->n / 2],
	    (unsigned long long)r->us[0], (unsigned long long)r->us[r->n - 1],
	    r->n, reqs, reqs == 1 ? "" : "s");
	r->n = 0;
}

/* The chart to push: the scaffold chart packed, or a generated one. */
static void
chart_bytes(const char *tmp, void **tgz, size_t *len, const char **what)
{
	const char *shared = getenv("GD_SHARED");
	struct gd_buf b;
	char *cmd, *out;

	xasprintf(&out, "%s/scaffold.tgz", tmp);
	xasprintf(&cmd,
	    "tar czf '%s' -C '%s/conformance/helm/charts' scaffold "
	    "2>/dev/null",
	    out, shared != NULL ? shared : "../shared");
	gd_buf_init(&b);
	if (system(cmd) == 0 && gd_buf_read_file(&b, out, 0, NULL) == 0) {
		*tgz = gd_buf_detach(&b, len);
		*what = "conformance scaffold chart";
	} else {
		gd_buf_dispose(&b);
		ocipush_chart("bench", "1.0.0", "bench", tgz, len);
		*what = "generated chart";
	}
	free(cmd);
	free(out);
}

int
main(int argc, char **argv)
{
	int rounds = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 200, i;
	char tmp[] = "/tmp/gd-bench-pull-XXXXXX", *dir, *store, *yaml, *cmd;
	char md[OCIPUSH_DIGEST_LEN], errbuf[256];
	struct registry reg;
	struct gd_conf *conf = NULL;
	struct gd_helm_pull *p;
	struct gd_err err = { 0 };
	struct run r;
	const char *what;
	void *tgz;
	size_t len;

	if (rounds < 3)
		rounds = 3;
	/* libcurl initialises itself with the first handle: one thread here */
	gd_core_init_json();
	if (sodium_init() < 0 || mkdtemp(tmp) == NULL)
		return 1;
	xasprintf(&dir, "%s/registry", tmp);
	if (registry_start(&reg, dir, NULL, REGISTRY_PLAIN, "u", "p") < 0)
		return 1;
	chart_bytes(tmp, &tgz, &len, &what);
	if (ocipush(reg.url, "charts/bench", "1.0.0", tgz, len, NULL, NULL, md,
		errbuf, sizeof(errbuf)) < 0) {
		fprintf(stderr, "bench/pull: push: %s\n", errbuf);
		return 1;
	}
	printf("bench/pull: %s, %zu bytes, docker-registry on %s\n", what, len,
	    reg.url);
	xasprintf(&yaml,
	    "registries:\n  - host: harbor.local\n"
	    "    endpoint: %s\n",
	    reg.url);
	if (gd_conf_load_buf(&conf, yaml, strlen(yaml), "bench", &err) < 0)
		return 1;
	r.us = xcalloc((size_t)rounds, sizeof(*r.us));
	r.reqs = xcalloc((size_t)rounds, sizeof(*r.reqs));
	r.n = 0;

	for (i = 0; i < rounds / 10 + 3; i++) {
		xasprintf(&store, "%s/cold-%d", tmp, i);
		if (gd_helm_pull_new(&p, conf, store, &err) < 0)
			return 1;
		timed(p, "1.0.0", &r);
		gd_helm_pull_free(p);
		free(store);
	}
	report("cold pull (empty store)", &r);

	xasprintf(&store, "%s/warm", tmp);
	if (gd_helm_pull_new(&p, conf, store, &err) < 0)
		return 1;
	timed(p, "1.0.0", &r);
	r.n = 0;
	for (i = 0; i < rounds; i++)
		timed(p, "1.0.0", &r);
	report("unchanged tag (warm)", &r);
	for (i = 0; i < rounds; i++)
		timed(p, md, &r);
	report("by digest (warm)", &r);
	gd_helm_pull_free(p);

	for (i = 0; i < rounds / 10 + 3; i++) {
		if (gd_helm_pull_new(&p, conf, store, &err) < 0)
			return 1;
		timed(p, "1.0.0", &r);
		gd_helm_pull_free(p);
	}
	report("unchanged tag (new store, on disk)", &r);

	registry_stop(&reg);
	xasprintf(&cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "bench/pull: could not remove %s\n", tmp);
	free(cmd);
	free(store);
	free(yaml);
	free(dir);
	free(tgz);
	free(r.us);
	free(r.reqs);
	gd_conf_free(conf);
	return 0;
}
