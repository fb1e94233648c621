/* SPDX-License-Identifier: ISC */
/*
 * Shared inside server/kube only: the client struct, the rate limiter,
 * credentials, the discovery cache and the streaming request used by
 * watches. No libcurl type appears here, so every file of the module that
 * does not talk HTTP stays free of <curl/curl.h>.
 */
#ifndef GITOPSD_KUBE_INT_H
#define GITOPSD_KUBE_INT_H

#include <pthread.h>

#include "gitopsd/kube.h"

/* --- ratelimit.c: a token bucket ---------------------------------------- */

struct kube_bucket {
	pthread_mutex_t lock;
	double qps;
	double burst;
	double tokens;
	uint64_t last_ms;
};

void gd_kube_bucket_init(struct kube_bucket *, double qps, int burst);
void gd_kube_bucket_dispose(struct kube_bucket *);
/*
 * Takes one token at now_ms and returns how many ms the caller must wait
 * before sending (0: send now). The token is reserved either way, so
 * waiting callers queue up in order.
 */
uint64_t gd_kube_bucket_take(struct kube_bucket *, uint64_t now_ms);

/* --- exec.c: exec credential plugins -------------------------------------- */

struct kube_cred {
	char *token;
	unsigned char *cert; /* PEM */
	size_t cert_len;
	unsigned char *key;
	size_t key_len;
	time_t expiry; /* 0: never */
};

/*
 * Runs the plugin of cfg and parses its ExecCredential. The plugin gets
 * at most 60 s and 1 MiB of output. Errors name the command.
 */
int gd_kube_exec_run(
    struct kube_cred *out, const struct gd_kube_config *cfg, struct gd_err *);
void gd_kube_cred_dispose(struct kube_cred *);
/* Parses an ExecCredential document; for tests and fuzzing too. */
int gd_kube_exec_parse(struct kube_cred *out, const char *api_version,
    const char *buf, size_t len, struct gd_err *);

/* --- kubeconfig.c --------------------------------------------------------- */

/* Decodes base64 (whitespace ignored); GD_EINVAL on bad input. */
int gd_kube_b64_decode(
    unsigned char **out, size_t *outlen, const char *s, struct gd_err *);

/* --- http.c: the client --------------------------------------------------- */

#define KUBE_MAGIC 0x6b756265u

struct gd_kube {
	unsigned magic;
	struct gd_kube_config *cfg;
	struct gd_kube_opts opts;
	struct kube_bucket bucket;

	pthread_mutex_t lock; /* handles, cred, token file, discovery */
	void **handles; /* idle CURL handles, reused for their connections */
	size_t nhandles;
	struct kube_cred cred; /* from the exec plugin */
	bool have_cred;
	char *file_token; /* token_file contents */
	uint64_t file_token_ms; /* when it was read */

	json_t *gv_cache; /* "apps/v1" -> APIResourceList */
	struct gd_kube_stats stats; /* under lock */
};

/*
 * Called with each chunk of a streamed response body; a negative return
 * aborts the transfer and is returned by gd_kube_stream.
 */
typedef int (*kube_chunk_fn)(void *arg, const char *data, size_t len);

/*
 * A GET whose body is handed to fn as it arrives (watches). No retries;
 * the transfer ends after about timeout_s or soon after *stop is set (an
 * end that returns 0). A non-2xx status is read whole and turned into
 * err; *status is set either way.
 */
int gd_kube_stream(struct gd_kube *, long *status, const char *path,
    int timeout_s, const volatile bool *stop, kube_chunk_fn fn, void *arg,
    struct gd_err *);

/*
 * Called with each LIST item (borrowed; kind and apiVersion filled in),
 * or with NULL when the list starts over after an expired continue
 * token: forget the items seen so far. A negative return stops the list.
 */
typedef int (*kube_item_fn)(void *arg, json_t *item);

/*
 * gd_kube_list a page at a time, so a caller that keeps items in another
 * form (the cache) never holds the whole list as trees.
 */
int gd_kube_list_each(struct gd_kube *, char **rv, const struct gd_kube_ref *,
    const struct gd_kube_list_opts *, kube_item_fn, void *arg, struct gd_err *);

/*
 * Runs a watch body held in memory through the event parser, as if it
 * had streamed in chunk bytes at a time (0: at once): for tests and
 * fuzzing.
 */
int gd_kube_watch_feed(struct gd_kube_watch_pos *, const struct gd_kube_ref *,
    const char *data, size_t len, size_t chunk, gd_kube_watch_fn, void *arg,
    struct gd_err *);

/* Appends s to b percent-encoded for a query value. */
void gd_kube_query_escape(struct gd_buf *b, const char *s);

/* Fills kind and apiVersion of a list item from its list. */
void gd_kube_item_fill(
    json_t *item, const char *list_kind, const char *api_version);

#endif /* GITOPSD_KUBE_INT_H */
