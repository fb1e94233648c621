/* SPDX-License-Identifier: ISC */
/*
 * bench/store: audit rows per second into a file database (WAL,
 * synchronous=NORMAL), one row per transaction as the API writes them and
 * in batches of 100. Prints the median of several rounds; never a test.
 * Usage: bench/store [DIR [ROWS [ROUNDS]]]   (default /tmp, 2000, 5)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gitopsd/store.h"

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
bench_row(struct gd_store_audit *a, json_t *detail, int i)
{
	static char res[32];

	snprintf(res, sizeof(res), "app-%d", i % 500);
	memset(a, 0, sizeof(*a));
	a->actor = "alice";
	a->actor_kind = GD_STORE_ACTOR_USER;
	a->action = "applications.sync";
	a->resource = res;
	a->project = "myteam";
	a->outcome = GD_STORE_SUCCEEDED;
	a->message = "sync to 4f2a9c1 started";
	a->detail = detail;
	a->remote_addr = "127.0.0.1";
	a->request_id = "bench";
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	int rows = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 2000;
	int rounds = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 5, r, i, j;
	double single[64], batch[64], t;
	struct gd_store_audit a[100];
	struct gd_store *st = NULL;
	struct gd_err err;
	json_t *detail;
	char *path;

	gd_core_init_json();
	if (rows < 100 || rounds < 1 || rounds > 64)
		fatalx("usage: bench/store [DIR [ROWS>=100 [ROUNDS<=64]]]");
	detail = json_pack("{s:s,s:b,s:[s]}", "revision", "main", "prune", 1,
	    "syncOptions", "ServerSideApply=true");
	xasprintf(&path, "%s/gd-bench-store-%d.db", dir, (int)getpid());
	if (gd_store_open(&st, path, &err) < 0)
		fatalx("open: %s", err.msg);
	for (r = 0; r < rounds; r++) {
		t = bench_now();
		for (i = 0; i < rows; i++) {
			bench_row(&a[0], detail, i);
			if (gd_store_audit_add(NULL, st, &a[0], &err) < 0)
				fatalx("add: %s", err.msg);
		}
		single[r] = rows / (bench_now() - t);
		t = bench_now();
		for (i = 0; i < rows; i += 100) {
			for (j = 0; j < 100; j++)
				bench_row(&a[j], detail, i + j);
			if (gd_store_audit_add_many(st, a, 100, &err) < 0)
				fatalx("add_many: %s", err.msg);
		}
		batch[r] = rows / (bench_now() - t);
	}
	qsort(single, (size_t)rounds, sizeof(double), bench_cmp);
	qsort(batch, (size_t)rounds, sizeof(double), bench_cmp);
	printf("store: audit inserts into %s, median of %d rounds of %d rows\n",
	    dir, rounds, rows);
	printf("1 row per transaction    %8.0f rows/s\n", single[rounds / 2]);
	printf("100 rows per transaction %8.0f rows/s\n", batch[rounds / 2]);
	gd_store_close(st);
	json_decref(detail);
	for (i = 0; i < 3; i++) {
		char *p;

		xasprintf(
		    &p, "%s%s", path, i == 0 ? "" : (i == 1 ? "-wal" : "-shm"));
		unlink(p);
		free(p);
	}
	free(path);
	return 0;
}
