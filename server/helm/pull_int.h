/* SPDX-License-Identifier: ISC */
/*
 * Private to the chart store (pull.c), its HTTP client (pull_http.c) and
 * its two kinds of source, OCI registries (pull_oci.c) and classic Helm
 * repositories (pull_repo.c). No curl type appears here: handles travel
 * as void *, so only pull*.c see <curl/curl.h>.
 */
#ifndef GITOPSD_PULL_INT_H
#define GITOPSD_PULL_INT_H

#include <pthread.h>

#include "helm_int.h"

#define PULL_MAGIC        0x70756c6cU
#define PULL_SHA_LEN      72 /* "sha256:" + 64 hex digits + NUL */
#define PULL_MANIFEST_MAX (4u << 20)
#define PULL_INDEX_MAX    (64u << 20)
#define PULL_ARCHIVE_MAX  ((size_t)HELM_MAX_TOTAL)
#define PULL_LOADED_MAX   256 /* loaded charts kept in memory */

/* The memos, each a JSON object of strings under the store's lock. */
enum pull_memo {
	PULL_MEMO_MANIFEST, /* manifest digest -> chart digest; on disk */
	PULL_MEMO_URL, /* archive URL -> chart digest */
	PULL_MEMO_SCHEME, /* registry origin -> "basic", "bearer", "none" */
	PULL_MEMO_N
};

/* One archive of the store, in the least-recently-used list. */
struct pull_entry {
	char hex[65];
	size_t size;
	time_t used; /* also the file's mtime, so a restart keeps the order */
	struct gd_helm_chart *chart; /* loaded, or NULL */
	struct pull_entry *prev, *next; /* head is the most recently used */
};

/* One pull in progress; later callers for the same key wait for it. */
struct pull_flight {
	char *key;
	bool done;
	int waiters;
	int rc;
	struct gd_err err;
	char *digest;
	char *version;
	struct pull_flight *next;
};

struct pull_token {
	char *origin;
	char *scope;
	char *token;
	uint64_t expires_ms; /* gd_time_mono_ms */
	struct pull_token *next;
};

struct pull_index; /* pull_repo.c: a repository's index.yaml */

struct gd_helm_pull {
	unsigned magic;
	const struct gd_conf *conf; /* borrowed */
	char *dir;
	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond; /* a flight landed */
	struct pull_entry *head, *tail;
	size_t nentries, bytes, nloaded;
	json_t *memo[PULL_MEMO_N];
	struct pull_flight *flights;
	struct pull_token *tokens;
	struct pull_index *indexes;
	void **handles; /* idle CURL handles, which keep their connections */
	size_t nhandles;
	struct gd_helm_pull_stats stats;
};

/* What one pull resolves; the resolvers fill digest, version and chart. */
struct pull_job {
	struct gd_helm_pull *p;
	const char *repo_url;
	const char *chart;
	const char *revision;
	unsigned flags;
	char *ref; /* for messages: "oci://h/charts/myapp:1.3.0" */
	char digest[PULL_SHA_LEN];
	char *version;
	struct gd_helm_chart *loaded;
};

/* --- pull.c: the store ------------------------------------------------ */

/*
 * The loaded chart of digest ("sha256:<hex>"): from memory, else from
 * its file, whose bytes are checked against the digest (always when
 * verify is set). GD_ENOTFOUND when the store lacks it; a damaged file
 * is removed and reported the same way, so the caller fetches it again.
 */
int pull_store_get(struct gd_helm_pull *, const char *digest, bool verify,
    struct gd_helm_chart **out, struct gd_err *);
/*
 * Keeps data, whose sha256 is digest, as the file of that digest (temp
 * file, fsync, rename), loads it and evicts the least recently used
 * archives past chart_cache_max.
 */
int pull_store_put(struct gd_helm_pull *, const char *digest, const void *data,
    size_t len, struct gd_helm_chart **out, struct gd_err *);
/* A copy of the memo's value for key (caller frees), or NULL. */
char *pull_memo_get(struct gd_helm_pull *, enum pull_memo, const char *key);
void pull_memo_set(
    struct gd_helm_pull *, enum pull_memo, const char *key, const char *val);
/* "sha256:<hex>" of data into out. */
void pull_sha256(char out[PULL_SHA_LEN], const void *data, size_t len);
/* Whether s is "sha256:" and 64 lowercase hex digits. */
bool pull_digest_ok(const char *s);
void pull_count(struct gd_helm_pull *, unsigned long *counter);

/* --- pull_http.c: one HTTP exchange ------------------------------------ */

struct pull_http_req {
	const char *method; /* "GET" (NULL) or "HEAD" */
	const char *url;
	const char *what; /* "registry", "repository": in transport errors */
	const char *accept;
	const char *if_none_match;
	const char *if_modified_since;
	/*
	 * An Authorization value ("Basic ...", "Bearer ..."), sent only to
	 * auth_origin (NULL: the origin of url), never after a redirect to
	 * another scheme, host or port.
	 */
	const char *auth;
	const char *auth_origin;
	const char *ca_file;
	bool insecure;
	size_t max; /* body limit: GD_ETOOBIG past it */
};

struct pull_http_resp {
	long status;
	struct gd_buf body;
	char *www_auth; /* WWW-Authenticate */
	char *digest; /* Docker-Content-Digest */
	char *etag;
	char *last_modified;
	char *link;
	char *content_type;
	char *url; /* after redirects */
};

/*
 * Sends req and waits for the whole answer, following redirects. Only
 * transport failures (GD_EUPSTREAM "<what> unreachable: <curl error>")
 * and the size limit fail: any HTTP status is a success for the caller
 * to judge.
 */
int pull_http(struct gd_helm_pull *, const struct pull_http_req *,
    struct pull_http_resp *, struct gd_err *);
void pull_http_resp_dispose(struct pull_http_resp *);
void pull_http_free_handles(struct gd_helm_pull *);
/* "scheme://host:port" of url (default port filled in) into out. */
bool pull_url_origin(const char *url, char *out, size_t outlen);
/* "Basic base64(user:password)"; wiped and freed with pull_secret_free. */
char *pull_basic_auth(const char *user, const char *password);
void pull_secret_free(char *);

/* --- pull_oci.c -------------------------------------------------------- */

/* The parts of an OCI image manifest the pull needs. */
struct pull_manifest {
	char config_type[128];
	char layer_digest[PULL_SHA_LEN];
	int64_t layer_size;
	bool legacy; /* application/tar+gzip */
};

/* A WWW-Authenticate challenge. */
struct pull_challenge {
	char scheme[16]; /* "basic", "bearer" */
	char *realm;
	char *service;
	char *scope;
};

int pull_manifest_parse(
    struct pull_manifest *, const char *buf, size_t len, struct gd_err *);
/* Parses a WWW-Authenticate value; false when it has no scheme. */
bool pull_challenge_parse(struct pull_challenge *, const char *header);
void pull_challenge_dispose(struct pull_challenge *);
/* The target of a Link header's rel="next", or NULL (caller frees). */
char *pull_link_next(const char *header);
/* The message of a registry's {"errors":[...]} body, or NULL. */
char *pull_registry_error(const char *body, size_t len);
int pull_oci(struct pull_job *, struct gd_err *);
void pull_tokens_free(struct gd_helm_pull *);

/* --- pull_repo.c ------------------------------------------------------- */

/*
 * The entries of an index.yaml as the pull needs them: an object of
 * chart name -> array of { "version", "digest" (or absent), "url" }.
 */
int pull_index_parse(json_t **out, const char *buf, size_t len,
    const char *name, struct gd_err *);
/* Resolves ref against base (a repository URL) as Helm does. */
char *pull_url_resolve(const char *base, const char *ref);
int pull_repo(struct pull_job *, struct gd_err *);
void pull_indexes_free(struct gd_helm_pull *);

#endif /* GITOPSD_PULL_INT_H */
