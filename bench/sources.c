/* SPDX-License-Identifier: ISC */
/*
 * bench/sources: what the source module costs a reconcile. A gitops
 * repository built with gitfix holds the helm create scaffold chart
 * (from the conformance suite) and N Applications that deploy it, each
 * with its own release name and replicaCount, so they share one loaded
 * chart and no rendered result. The repository is fetched over file://
 * and read into a catalog; then every app is rendered with an empty
 * render cache (cold: chart read from git once, N renders) and again
 * (warm: N cache hits, which still resolve the revision, read the tree
 * id and build the values, as a reconcile does). Prints apps/s and
 * us/app for both (wall and CPU), and the peak RSS; never a test.
 *
 *   usage: bench/sources [N]   (default 1000; GD_SHARED locates the chart)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "gitopsd/catalog.h"
#include "gitopsd/repo.h"
#include "gitopsd/source.h"
#include "../tests/helpers/gitfix.h"

static double
bench_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void
bench_build(struct gitfix *g, const char *chart, long n)
{
	char sha[GITFIX_SHA_LEN], *path, *doc;
	long i;

	gitfix_import(g, chart, "charts/scaffold");
	for (i = 0; i < n; i++) {
		xasprintf(&path, "apps/app-%05ld/application.yaml", i);
		xasprintf(&doc,
		    "apiVersion: argoproj.io/v1alpha1\n"
		    "kind: Application\n"
		    "metadata:\n"
		    "  name: app-%05ld\n"
		    "spec:\n"
		    "  project: default\n"
		    "  source:\n"
		    "    repoURL: %s\n"
		    "    path: charts/scaffold\n"
		    "    targetRevision: main\n"
		    "    helm:\n"
		    "      valueFiles: [values-staging.yaml]\n"
		    "      parameters:\n"
		    "      - {name: replicaCount, value: '%ld'}\n"
		    "  destination:\n"
		    "    server: https://kubernetes.default.svc\n"
		    "    namespace: team-%03ld\n",
		    i, gitfix_url(g), i % 7 + 1, i / 100);
		gitfix_write(g, path, doc);
		free(path);
		xasprintf(&path, "apps/app-%05ld/values-staging.yaml", i);
		gitfix_write(g, path,
		    "ingress:\n  enabled: true\n"
		    "autoscaling:\n  enabled: true\n");
		free(path);
		free(doc);
	}
	gitfix_commit(g, "main", "apps", sha);
}

/* Renders every app once; returns the wall us per app, or -1. */
static double
bench_round(
    struct gd_source *src, const struct gd_catalog *cat, long n, double *cpu)
{
	struct gd_source_req rq;
	struct gd_err err;
	json_t *res;
	char name[32];
	double t0 = (double)gd_time_mono_ms(), c0 = bench_cpu_us();
	long i;

	memset(&rq, 0, sizeof(rq));
	rq.app = name;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "app-%05ld", i);
		if (gd_source_render(&res, src, cat, &rq, &err) < 0) {
			fprintf(stderr, "bench/sources: %s\n", err.msg);
			return -1;
		}
		json_decref(res);
	}
	*cpu = (bench_cpu_us() - c0) / (double)n;
	return ((double)gd_time_mono_ms() - t0) * 1000.0 / (double)n;
}

int
main(int argc, char **argv)
{
	const char *sh =
	    getenv("GD_SHARED") ? getenv("GD_SHARED") : "../shared";
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
	char tmp[] = "/tmp/gd-bench-sources-XXXXXX", sha[GD_SHA_LEN];
	char *chart = NULL, *dir = NULL, *cmd = NULL;
	struct gd_source_opts so;
	struct gd_source_stats st;
	struct gd_source *src = NULL;
	struct gd_catalog *cat = NULL;
	struct gd_repo *repo = NULL;
	struct gd_conf *conf;
	struct gitfix *g;
	struct gd_err err;
	struct rusage ru;
	double cold, warm, cold_cpu, warm_cpu;
	int rc = 1;

	gd_core_init_json();
	if (n < 1 || mkdtemp(tmp) == NULL)
		return 2;
	xasprintf(&chart, "%s/conformance/helm/charts/scaffold", sh);
	xasprintf(&dir, "%s/remote.git", tmp);
	gd_repo_lib_init();
	g = gitfix_new(dir);
	bench_build(g, chart, n);
	conf = gd_conf_new_default();
	free(conf->data_dir);
	xasprintf(&conf->data_dir, "%s/data", tmp);
	memset(&so, 0, sizeof(so));
	so.conf = conf;
	so.cache_max = (size_t)n;
	if (gd_repo_open(&repo, conf->data_dir, gitfix_url(g), conf, &err) <
		0 ||
	    gd_repo_fetch(repo, &err) < 0 ||
	    gd_repo_resolve(sha, repo, "main", &err) < 0 ||
	    gd_catalog_load(&cat, repo, sha, NULL, &err) < 0) {
		fprintf(stderr, "bench/sources: %s\n", err.msg);
		goto out;
	}
	so.gitops = repo;
	if (gd_source_new(&src, &so, &err) < 0)
		goto out;
	if ((cold = bench_round(src, cat, n, &cold_cpu)) < 0 ||
	    (warm = bench_round(src, cat, n, &warm_cpu)) < 0)
		goto out;
	gd_source_stats(src, &st);
	getrusage(RUSAGE_SELF, &ru);
	printf("sources: %ld apps sharing the scaffold chart from git, "
	       "%lu renders, %lu hits\n",
	    n, st.renders, st.hits);
	printf("cold: %.0f apps/s, %.1f us/app wall, %.1f us/app CPU\n",
	    1e6 / cold, cold, cold_cpu);
	printf("warm: %.0f apps/s, %.1f us/app wall, %.1f us/app CPU\n",
	    1e6 / warm, warm, warm_cpu);
	printf("peak RSS %ld KiB\n", ru.ru_maxrss);
	rc = 0;
out:
	gd_source_free(src);
	gd_catalog_unref(cat);
	gd_repo_free(repo);
	gd_repo_lib_shutdown();
	gd_conf_free(conf);
	gitfix_free(g);
	xasprintf(&cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "bench/sources: could not remove %s\n", tmp);
	free(cmd);
	free(chart);
	free(dir);
	return rc;
}
