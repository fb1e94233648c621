/* SPDX-License-Identifier: ISC */
/*
 * bench/kube: LIST of N Deployments (10,000 by default) through the kube
 * client against a kubesim it starts itself, then the same kind mirrored
 * in the live cache. Prints objects per second for the LIST (pages of
 * 500, kind and apiVersion filled in), and the cache's size: its own
 * count of JSON bytes, and how much the process's RSS and peak RSS grew
 * while it filled (the cache is built before the plain LIST runs, so the
 * LIST's garbage does not hide its peak).
 *
 *   bench/kube [path/to/kubesim [N]]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gitopsd/kube.h"

extern char **environ;

static int
bench_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static long
peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* Resident memory now, from /proc/self/statm. */
static long
rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &size, &res) != 2)
		res = 0;
	fclose(f);
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static json_t *
bench_deployment(long i)
{
	char name[32];

	snprintf(name, sizeof(name), "web-%05ld", i);
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}}, s:{s:i, "
			 "s:{s:{s:s}}, s:{s:{s:{s:s}}, s:{s:[{s:s, s:s, "
			 "s:[{s:i}]}]}}}}",
	    "apiVersion", "apps/v1", "kind", "Deployment", "metadata", "name",
	    name, "namespace", "bench", "labels", "app", name, "team", "bench",
	    "spec", "replicas", 2, "selector", "matchLabels", "app", name,
	    "template", "metadata", "labels", "app", name, "spec", "containers",
	    "name", "web", "image", "nginx:1.25", "ports", "containerPort",
	    8080);
}

static int
bench_run(struct gd_kube *k, long n)
{
	struct gd_kube_apply_opts ao = { "bench", true, false };
	struct gd_kube_ref ref = { "apps/v1", "Deployment", "bench", NULL };
	struct gd_kube_cache *cache;
	struct gd_err err;
	json_t *obj, *items = NULL;
	uint64_t t0, t1;
	size_t objs, bytes;
	long i, rss0, peak0;

	if (gd_kube_namespace_create(k, "bench", &err) < 0)
		goto fail;
	t0 = gd_time_mono_ms();
	for (i = 0; i < n; i++) {
		obj = bench_deployment(i);
		if (gd_kube_apply(k, NULL, obj, &ao, &err) < 0) {
			json_decref(obj);
			goto fail;
		}
		json_decref(obj);
	}
	t1 = gd_time_mono_ms();
	printf("apply:  %ld objects in %.2f s (%.0f objects/s)\n", n,
	    (double)(t1 - t0) / 1000, n * 1000.0 / (double)(t1 - t0 + 1));
	/* The cache first, so its growth is not hidden by the LIST's. */
	rss0 = rss_kb();
	peak0 = peak_rss_kb();
	cache = gd_kube_cache_new(k);
	t0 = gd_time_mono_ms();
	if (gd_kube_cache_track(cache, "apps/v1", "Deployment", "bench", &err) <
	    0) {
		gd_kube_cache_free(cache);
		goto fail;
	}
	t1 = gd_time_mono_ms();
	gd_kube_cache_stats(cache, &objs, &bytes);
	printf("cache:  %zu objects in %.2f s, %.1f MiB of JSON held, "
	       "RSS +%.1f MiB, peak RSS +%.1f MiB\n",
	    objs, (double)(t1 - t0) / 1000, (double)bytes / 1048576,
	    (double)(rss_kb() - rss0) / 1024,
	    (double)(peak_rss_kb() - peak0) / 1024);
	gd_kube_cache_free(cache);
	t0 = gd_time_mono_ms();
	if (gd_kube_list(k, &items, NULL, &ref, NULL, &err) < 0)
		goto fail;
	t1 = gd_time_mono_ms();
	printf("list:   %zu objects in %.2f s (%.0f objects/s)\n",
	    json_array_size(items), (double)(t1 - t0) / 1000,
	    (double)json_array_size(items) * 1000.0 / (double)(t1 - t0 + 1));
	json_decref(items);
	return 0;
fail:
	fprintf(stderr, "bench/kube: %s\n", err.msg);
	return 1;
}

int
main(int argc, char *argv[])
{
	const char *sim = argc > 1 ? argv[1] : "./tests/kubesim/kubesim";
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 10000;
	struct gd_kube_opts opts = { .qps = 100000, .burst = 100000 };
	struct gd_kube_config *cfg;
	struct gd_kube *k;
	char listen[64];
	const char *sargv[6];
	pid_t pid;
	int port = bench_port(), rc, i;

	gd_core_init_json();
	gd_kube_global_init();
	log_init(GD_LOG_WARN);
	if (n <= 0 || port < 0) {
		fprintf(stderr, "usage: bench/kube [kubesim [N]]\n");
		return 2;
	}
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	sargv[0] = sim;
	sargv[1] = "--listen";
	sargv[2] = listen;
	sargv[3] = NULL;
	if (posix_spawn(&pid, sim, NULL, NULL, (char **)sargv, environ) != 0) {
		fprintf(stderr, "bench/kube: cannot start %s\n", sim);
		return 2;
	}
	cfg = xcalloc(1, sizeof(*cfg));
	cfg->context = xstrdup("bench");
	cfg->namespace = xstrdup("bench");
	xasprintf(&cfg->server, "http://%s", listen);
	k = gd_kube_new(cfg, &opts);
	/* kubesim needs a moment to listen; discovery is the probe */
	for (i = 0; i < 100; i++) {
		struct gd_kube_resource r;

		if (gd_kube_resource_find(k, &r, "v1", "Namespace", NULL) == 0)
			break;
		usleep(50000);
	}
	rc = bench_run(k, n);
	gd_kube_free(k);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return rc;
}
