/* SPDX-License-Identifier: ISC */
/*
 * bench/catalog: how fast the catalog loads a large gitops repository and
 * how much memory it takes. A child process builds a repository of N
 * Application documents (default 10,000; one per file, 100 per folder,
 * each a realistic staging app with a chart source, value files and a
 * sync policy) plus their values files, so the parent's peak RSS is the
 * mirror and the catalog alone. The parent fetches it over file://,
 * then loads the catalog R times and prints documents per second and
 * peak RSS.
 *
 *   usage: bench/catalog [N [R]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gitopsd/catalog.h"
#include "gitopsd/repo.h"
#include "../tests/helpers/gitfix.h"

static void
bench_build(const char *dir, long n)
{
	struct gitfix *g = gitfix_new(dir);
	char sha[GITFIX_SHA_LEN], *path, *doc;
	long i;

	for (i = 0; i < n; i++) {
		xasprintf(&path, "apps/team-%03ld/app-%05ld/application.yaml",
		    i / 100, i);
		xasprintf(&doc,
		    "apiVersion: argoproj.io/v1alpha1\n"
		    "kind: Application\n"
		    "metadata:\n"
		    "  name: app-%05ld-staging\n"
		    "  namespace: argocd\n"
		    "  labels:\n"
		    "    team: team-%03ld\n"
		    "    env: staging\n"
		    "  finalizers:\n"
		    "    - resources-finalizer.argocd.argoproj.io\n"
		    "spec:\n"
		    "  project: default\n"
		    "  source:\n"
		    "    repoURL: https://charts.example.com\n"
		    "    chart: app-%05ld\n"
		    "    targetRevision: 1.%ld.0\n"
		    "    helm:\n"
		    "      releaseName: app-%05ld\n"
		    "      valueFiles:\n"
		    "        - values-staging.yaml\n"
		    "      parameters:\n"
		    "        - name: image.tag\n"
		    "          value: \"%ld\"\n"
		    "  destination:\n"
		    "    server: https://kubernetes.default.svc\n"
		    "    namespace: team-%03ld-staging\n"
		    "  syncPolicy:\n"
		    "    automated:\n"
		    "      prune: true\n"
		    "      selfHeal: true\n"
		    "    syncOptions:\n"
		    "      - CreateNamespace=true\n"
		    "      - ServerSideApply=true\n"
		    "    retry:\n"
		    "      limit: 5\n"
		    "      backoff: {duration: 5s, factor: 2, maxDuration: "
		    "3m}\n",
		    i, i / 100, i, i % 50, i, i, i / 100);
		gitfix_write(g, path, doc);
		free(path);
		free(doc);
		xasprintf(&path,
		    "apps/team-%03ld/app-%05ld/values-staging.yaml", i / 100,
		    i);
		gitfix_write(g, path, "replicaCount: 1\nlog: {level: debug}\n");
		free(path);
	}
	gitfix_commit(g, "main", "10k apps", sha);
	gitfix_free(g);
}

static long
bench_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

int
main(int argc, char **argv)
{
	static const char *const include[] = { "apps/**/*.yaml", NULL };
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
	long rounds = argc > 2 ? strtol(argv[2], NULL, 10) : 3, r;
	char tmp[] = "/tmp/gd-bench-XXXXXX", *remote, *data, *url, *cmd;
	char sha[GD_SHA_LEN];
	struct gd_repo *repo = NULL;
	struct gd_catalog *c = NULL, *prev = NULL;
	struct gd_err err;
	uint64_t t0, t1, best = UINT64_MAX;
	json_t *changed;
	long rss0;
	pid_t pid;
	int status;

	gd_core_init_json();
	log_init(GD_LOG_WARN);
	if (n < 1 || rounds < 1 || mkdtemp(tmp) == NULL) {
		fprintf(stderr, "usage: bench/catalog [N [ROUNDS]]\n");
		return 2;
	}
	xasprintf(&remote, "%s/remote.git", tmp);
	xasprintf(&data, "%s/data", tmp);
	xasprintf(&url, "file://%s", remote);
	t0 = gd_time_mono_ms();
	if ((pid = fork()) == 0) {
		bench_build(remote, n);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	printf("built %ld documents (and %ld values files) in %.2f s\n", n, n,
	    (double)(gd_time_mono_ms() - t0) / 1000);

	gd_repo_lib_init();
	rss0 = bench_rss_kib();
	t0 = gd_time_mono_ms();
	if (gd_repo_open(&repo, data, url, NULL, &err) < 0 ||
	    gd_repo_fetch(repo, &err) < 0 ||
	    gd_repo_resolve(sha, repo, "main", &err) < 0) {
		fprintf(stderr, "bench: %s\n", err.msg);
		return 1;
	}
	printf("fetched over file:// in %.2f s\n",
	    (double)(gd_time_mono_ms() - t0) / 1000);
	for (r = 0; r < rounds; r++) {
		t0 = gd_time_mono_ms();
		if (gd_catalog_load(&c, repo, sha, include, &err) < 0) {
			fprintf(stderr, "bench: %s\n", err.msg);
			return 1;
		}
		t1 = gd_time_mono_ms() - t0;
		if (t1 < best)
			best = t1;
		changed = gd_catalog_changed(prev, c);
		printf("load %ld: %zu applications in %.3f s (%zu changed)\n",
		    r + 1, json_array_size(gd_catalog_apps(c)),
		    (double)t1 / 1000, json_array_size(changed));
		json_decref(changed);
		gd_catalog_unref(prev);
		prev = c;
		c = NULL;
	}
	printf("catalog: %.0f documents/s (best of %ld), peak RSS %ld KiB "
	       "(%ld KiB before the fetch)\n",
	    best > 0 ? (double)n * 1000 / (double)best : 0.0, rounds,
	    bench_rss_kib(), rss0);
	gd_catalog_unref(prev);
	gd_repo_free(repo);
	gd_repo_lib_shutdown();
	xasprintf(&cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "bench: could not remove %s\n", tmp);
	free(cmd);
	free(remote);
	free(data);
	free(url);
	return 0;
}
