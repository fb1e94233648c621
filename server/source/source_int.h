/* SPDX-License-Identifier: ISC */
/*
 * Shared inside server/source only: the source object, the render cache,
 * the memo of loaded charts and what one source's render carries.
 */
#ifndef GITOPSD_SOURCE_INT_H
#define GITOPSD_SOURCE_INT_H

#include <pthread.h>

#include <sodium.h>

#include "gitopsd/source.h"

#define SRC_KEY_LEN    65 /* 64 hex digits of a sha256 and a NUL */
#define SRC_MAX_FILES  10000 /* files one folder source may hold */
#define SRC_MAX_BYTES  (64u << 20) /* their total size */
#define SRC_MAX_CHARTS 64 /* loaded charts kept beyond those in use */

/* --- the render cache (cache.c) ------------------------------------------ */

struct src_lru_ent {
	char key[SRC_KEY_LEN];
	json_t *val; /* immutable; handed out by reference */
	struct src_lru_ent *prev, *next; /* recency list, newest first */
	struct src_lru_ent *hnext; /* hash chain */
};

struct src_lru {
	struct src_lru_ent **buckets;
	size_t nbuckets;
	struct src_lru_ent *head, *tail;
	size_t n, max;
};

void src_lru_init(struct src_lru *, size_t max);
void src_lru_dispose(struct src_lru *);
/* A new reference to the value under key, now the newest; or NULL. */
json_t *src_lru_get(struct src_lru *, const char *key);
/* Takes the reference to val; returns how many entries were evicted. */
size_t src_lru_put(struct src_lru *, const char *key, json_t *val);

/* sha256 of the bytes fed to it, as 64 hex digits. */
struct src_digest {
	crypto_hash_sha256_state st;
};

void src_digest_init(struct src_digest *);
/* Adds s and a NUL, so "ab","c" and "a","bc" differ. NULL adds "\1". */
void src_digest_str(struct src_digest *, const char *s);
void src_digest_final(struct src_digest *, char out[SRC_KEY_LEN]);

/* --- the source object (source.c) ---------------------------------------- */

struct src_repo {
	char *key; /* gd_repo_url_key */
	struct gd_repo *repo;
	bool owned; /* our mirror: we open, fetch and free it */
	struct src_repo *next;
};

/* A loaded chart shared by the apps that use it; one render at a time. */
struct src_chart {
	char key[96]; /* "sha256:<hex>" of an archive or "git:<tree id>" */
	struct gd_helm_chart *chart;
	pthread_mutex_t lock; /* gd_helm_render caches into the chart */
	int users; /* renders holding it; 0: it may be evicted */
	unsigned long used; /* tick of the last use */
	struct src_chart *next;
};

struct gd_source {
	const struct gd_conf *conf;
	char *data_dir;
	struct gd_repo *gitops;
	struct gd_helm_pull *pull;

	pthread_mutex_t lock; /* guards everything below */
	struct src_repo *repos;
	struct src_chart *charts;
	size_t ncharts;
	unsigned long tick;
	struct src_lru cache;
	json_t *last_good; /* app name -> last good result */
	struct gd_source_stats stats;
};

/* The repository of url, fetched when stale (or hard). Borrowed. */
int src_repo_get(struct gd_repo **out, struct gd_source *, const char *url,
    bool hard, struct gd_err *);
/* Cache lookups (counted as hits) and inserts (counted as renders). */
json_t *src_cache_get(struct gd_source *, const char *key);
void src_cache_put(struct gd_source *, const char *key, json_t *val);

/* One source of an app being rendered. */
struct src_job {
	struct gd_source *s;
	const struct gd_catalog *cat;
	const char *app;
	const json_t *spec;
	const json_t *src; /* the source object */
	size_t idx; /* its position in spec.sources (0 for spec.source) */
	const struct gd_source_req *rq;
	bool hard;
	/* git sources: the repository and resolved commit */
	struct gd_repo *repo;
	char sha[GD_SHA_LEN];
	char *path; /* normalized, "" for the root */
	/* a chart pulled from a registry: its own value files */
	const struct gd_helm_chart *chart;
	/* the outcome */
	char *revision;
	const char *type; /* "Helm" or "Directory" */
	json_t *objects; /* immutable, from the cache */
	char key[SRC_KEY_LEN];
};

/* --- folders of manifests (dir.c) ---------------------------------------- */

int src_dir_render(struct src_job *, const char *tree_id, struct gd_err *);

/* --- charts (chart.c) ---------------------------------------------------- */

/* A chart folder in git (job->repo at job->sha, job->path). */
int src_chart_git(struct src_job *, const char *tree_id, struct gd_err *);
/* A chart from a registry or Helm repository. */
int src_chart_pull(struct src_job *, struct gd_err *);

/* --- Helm inputs (values.c) ---------------------------------------------- */

/*
 * The values Argo CD passes to helm template for job's source: value
 * files, helm.values or valuesObject, parameters, fileParameters. chart
 * is the loaded chart (for messages). A new object.
 */
int src_values_build(json_t **out, struct src_job *, struct gd_err *);
/* A string member of o, or def. */
const char *src_str(const json_t *o, const char *key, const char *def);

#endif /* GITOPSD_SOURCE_INT_H */
