/* SPDX-License-Identifier: ISC */
/*
 * kube: gitopsd's Kubernetes client. Connection settings come from a
 * kubeconfig ($KUBECONFIG, ~/.kube/config) or the pod's service account;
 * requests go over libcurl with connection reuse, a client-side rate
 * limit, and retries with backoff on 429, 5xx and timeouts. Kinds are
 * mapped to resources through discovery, never guessed. The API's Status
 * object becomes a struct gd_err with its message.
 *
 * The rest of gitopsd sees a cluster only through struct gd_cluster, a
 * vtable that this module implements over the REST API and that
 * tests/helpers/fake_cluster.c implements in memory.
 *
 * A struct gd_kube may be used from several threads at once: it keeps a
 * pool of curl handles and locks its discovery cache and rate limiter.
 */
#ifndef GITOPSD_KUBE_H
#define GITOPSD_KUBE_H

#include "gitopsd/core.h"

/* --- connection settings ------------------------------------------------ */

/* A client-go exec credential plugin (users[].user.exec). */
struct gd_kube_exec {
	char *api_version; /* client.authentication.k8s.io/v1[beta1] */
	char *command; /* resolved against the kubeconfig's folder */
	char **args; /* NULL-terminated */
	char **env; /* NULL-terminated "NAME=value" */
	char *interactive_mode; /* Never, IfAvailable, Always */
	bool provide_cluster_info;
};

/*
 * One resolved context: where the cluster is and how to log in. A secret
 * held in memory (token, password, key data) is wiped by _free. Data
 * fields hold decoded PEM; a _file field names a file read when used.
 */
struct gd_kube_config {
	char *context; /* the context name, or "in-cluster" */
	char *server; /* "https://host:port", no trailing slash */
	char *namespace; /* the context's namespace, "default" if unset */

	unsigned char *ca_data;
	size_t ca_len;
	char *ca_file;
	unsigned char *cert_data;
	size_t cert_len;
	char *cert_file;
	unsigned char *key_data;
	size_t key_len;
	char *key_file;
	bool insecure; /* insecure-skip-tls-verify */
	char *tls_server_name;

	char *token;
	char *token_file; /* re-read as it rotates */
	char *username; /* basic auth */
	char *password;
	struct gd_kube_exec *exec; /* NULL when none */
};

/*
 * Loads a kubeconfig and resolves one context. paths is a ':'-separated
 * list of files merged first-wins as kubectl does (NULL: $KUBECONFIG,
 * else ~/.kube/config; missing files in a list are skipped). context NULL
 * takes current-context. Relative paths resolve against the folder of the
 * file that named them. Errors name the file and the entry.
 */
int gd_kube_config_load(struct gd_kube_config **out, const char *paths,
    const char *context, struct gd_err *);
/* The same from one kubeconfig in memory; dir resolves relative paths. */
int gd_kube_config_parse(struct gd_kube_config **out, const char *buf,
    size_t len, const char *name, const char *dir, const char *context,
    struct gd_err *);
/*
 * The pod's service account: $KUBERNETES_SERVICE_HOST/_PORT, and token,
 * ca.crt and namespace in dir (NULL: /var/run/secrets/kubernetes.io/
 * serviceaccount). $POD_NAMESPACE overrides the namespace file. Outside
 * a pod it fails with GD_EINVAL "not running in a cluster".
 */
int gd_kube_config_incluster(
    struct gd_kube_config **out, const char *dir, struct gd_err *);
void gd_kube_config_free(struct gd_kube_config *);

/* --- errors --------------------------------------------------------------- */

/*
 * Turns a failed response into err: the Status message when the body is
 * a Status ("deployments.apps \"web\" not found"), with the field of each
 * FieldManagerConflict cause the message does not already name; else
 * "HTTP <code>" and the start of the body. 400/422 give GD_EINVAL, 401
 * GD_EUNAUTH, 403 GD_EDENIED, 404 GD_ENOTFOUND, 409 GD_ECONFLICT, 410
 * GD_ECONFLICT (an expired resourceVersion), 413 GD_ETOOBIG, 429 and 503
 * GD_EUNAVAIL, other codes GD_EUPSTREAM. Returns the code.
 */
int gd_kube_status_err(
    struct gd_err *, long http_status, const char *body, size_t len);

/* --- the client ---------------------------------------------------------- */

struct gd_kube_opts {
	double qps; /* requests per second; 0 takes 50 */
	int burst; /* 0 takes 100 */
	int timeout_ms; /* per request, not watches; 0 takes 30000 */
	int max_retries; /* on 429, 5xx and timeouts; 0 takes 5, -1 none */
	int backoff_ms; /* first retry delay; 0 takes 200, doubling */
};

struct gd_kube;

/*
 * libcurl's global setup: once, from main() before any thread starts
 * (the daemon, tests and tools each call it).
 */
void gd_kube_global_init(void);

/* Takes ownership of cfg. opts may be NULL. */
struct gd_kube *gd_kube_new(
    struct gd_kube_config *cfg, const struct gd_kube_opts *);
void gd_kube_free(struct gd_kube *);
/* The settings the client was made with (borrowed). */
const struct gd_kube_config *gd_kube_config(const struct gd_kube *);

/*
 * One request, for what has no call below (/version, subresources).
 * path starts with '/' and carries its query. body may be NULL. On 2xx
 * *out is the parsed body (JSON null when empty); else err, from the
 * Status. *status, when not NULL, is the HTTP code (0 if none came).
 */
int gd_kube_request(struct gd_kube *, json_t **out, long *status,
    const char *method, const char *path, const char *content_type,
    const char *body, size_t len, struct gd_err *);

/* Counters since the client was made, for /metrics and tests. */
struct gd_kube_stats {
	uint64_t requests; /* attempts sent, retries included */
	uint64_t connections; /* new TCP connections: reuse keeps it low */
	uint64_t retries;
};

void gd_kube_stats(struct gd_kube *, struct gd_kube_stats *out);

/* The delay before retry n (0-based): base * 2^n, capped at 30 s. */
int gd_kube_backoff_ms(int base_ms, int n);

/* --- discovery ------------------------------------------------------------ */

struct gd_kube_resource {
	char group[254]; /* "" for core */
	char version[64];
	char kind[254];
	char name[254]; /* the plural used in URLs */
	bool namespaced;
};

/*
 * Maps apiVersion ("apps/v1", "v1") and kind to its resource from the
 * server's discovery documents. Cached; an unknown kind refreshes the
 * group-version once (a CRD applied in the same sync), then is
 * GD_ENOTFOUND "no kind Widget in example.com/v1".
 */
int gd_kube_resource_find(struct gd_kube *, struct gd_kube_resource *out,
    const char *api_version, const char *kind, struct gd_err *);
/* Forgets every cached discovery document. */
void gd_kube_discovery_reset(struct gd_kube *);

/* --- objects ----------------------------------------------------------- */

/* Names one object, or a collection when name is NULL. */
struct gd_kube_ref {
	const char *api_version;
	const char *kind;
	const char *namespace; /* NULL: cluster-scoped, or every namespace */
	const char *name;
};

struct gd_kube_list_opts {
	const char *label_selector; /* "app=web,tier!=db", NULL for none */
	const char *field_selector; /* "metadata.name=web" */
	long limit; /* page size; 0 takes 500 */
};

struct gd_kube_apply_opts {
	const char *field_manager; /* required */
	bool force; /* take fields other managers own */
	bool dry_run; /* dryRun=All */
};

struct gd_kube_delete_opts {
	const char *propagation; /* Foreground, Background, Orphan; NULL */
	bool dry_run;
};

/*
 * Builds the URL path of ref (and, when ref->name is NULL, of its
 * collection) after looking the kind up in discovery. Caller frees.
 */
int gd_kube_path(
    struct gd_kube *, char **out, const struct gd_kube_ref *, struct gd_err *);

/* GET one object. A missing object is GD_ENOTFOUND. */
int gd_kube_get(struct gd_kube *, json_t **out, const struct gd_kube_ref *,
    struct gd_err *);
/*
 * LIST every page of a collection into *out, a JSON array of items with
 * kind and apiVersion filled in. *rv, when not NULL, is the list's
 * resourceVersion (caller frees), where a watch starts.
 */
int gd_kube_list(struct gd_kube *, json_t **out, char **rv,
    const struct gd_kube_ref *, const struct gd_kube_list_opts *,
    struct gd_err *);
/*
 * Server-side apply of obj (PATCH application/apply-patch+yaml with a JSON
 * body). *out, when out is not NULL, is the object the server returned.
 */
int gd_kube_apply(struct gd_kube *, json_t **out, const json_t *obj,
    const struct gd_kube_apply_opts *, struct gd_err *);
/* DELETE; a missing object is GD_ENOTFOUND. opts may be NULL. */
int gd_kube_delete(struct gd_kube *, const struct gd_kube_ref *,
    const struct gd_kube_delete_opts *, struct gd_err *);
/* Creates a namespace; one that exists already is not an error. */
int gd_kube_namespace_create(
    struct gd_kube *, const char *name, struct gd_err *);

/* --- watch ---------------------------------------------------------------- */

enum gd_kube_event {
	GD_KUBE_ADDED,
	GD_KUBE_MODIFIED,
	GD_KUBE_DELETED,
	GD_KUBE_BOOKMARK,
};

/*
 * Called for each event with the object (borrowed; kind and apiVersion
 * filled in). A negative return stops the watch and is returned.
 */
typedef int (*gd_kube_watch_fn)(void *arg, enum gd_kube_event, json_t *obj);

/* Where a watch is: its resourceVersion, and whether it expired. */
struct gd_kube_watch_pos {
	char *rv; /* resume from here; caller frees */
	bool expired; /* 410: LIST again before watching */
};

/*
 * Watches a collection from pos->rv for at most timeout_s seconds (or
 * until *stop is set, checked between events; stop may be NULL) and
 * moves pos->rv along with every event and bookmark. A 410, as a status
 * or an ERROR event, sets pos->expired and returns 0.
 */
int gd_kube_watch(struct gd_kube *, struct gd_kube_watch_pos *pos,
    const struct gd_kube_ref *, const struct gd_kube_list_opts *, int timeout_s,
    const volatile bool *stop, gd_kube_watch_fn, void *arg, struct gd_err *);

/* --- live-object cache ---------------------------------------------------- */

/*
 * A LIST + WATCH mirror of the kinds gitopsd manages, so comparing an app
 * reads memory. Each tracked kind (in one namespace or all) has a thread
 * that lists, then watches, and lists again after a gap. Objects are kept
 * as compact text without metadata.managedFields; every read parses, so
 * what a caller gets is its own to change.
 */
struct gd_kube_cache;

struct gd_kube_cache *gd_kube_cache_new(struct gd_kube *);
/* Stops the threads; the client is not freed. */
void gd_kube_cache_free(struct gd_kube_cache *);
/*
 * Starts mirroring a kind (namespace NULL: every namespace) and returns
 * once the first LIST is in. Tracking the same kind again is a no-op.
 */
int gd_kube_cache_track(struct gd_kube_cache *, const char *api_version,
    const char *kind, const char *namespace, struct gd_err *);
/*
 * The cached objects of a tracked kind, in namespace (NULL: all), as a
 * new JSON array. GD_ENOTFOUND if not tracked.
 */
int gd_kube_cache_list(struct gd_kube_cache *, json_t **out,
    const char *api_version, const char *kind, const char *namespace,
    struct gd_err *);
/* One cached object (a new object); GD_ENOTFOUND when absent. */
int gd_kube_cache_get(struct gd_kube_cache *, json_t **out,
    const struct gd_kube_ref *, struct gd_err *);
/* Objects held and the bytes of their JSON text. */
void gd_kube_cache_stats(
    struct gd_kube_cache *, size_t *objects, size_t *bytes);

/*
 * Called from a cache thread after it applied a change: obj is the
 * object (borrowed, without managedFields), or NULL after a re-list of
 * api_version/kind, when anything of that kind may have changed (the
 * event is then GD_KUBE_MODIFIED). It runs without the cache's lock held,
 * so it may read the cache, but it should only queue work: the kind's
 * watch waits while it runs.
 */
typedef void (*gd_kube_change_fn)(void *arg, enum gd_kube_event,
    const char *api_version, const char *kind, const json_t *obj);
/* One subscriber per cache; fn NULL unsubscribes. */
void gd_kube_cache_subscribe(
    struct gd_kube_cache *, gd_kube_change_fn fn, void *arg);

/* --- the cluster seam ---------------------------------------------------- */

/*
 * What the controller needs from a cluster. Every op returns 0 or a
 * negative gd_errcode and fills err; ownership as in gd_kube_* above.
 */
struct gd_cluster_ops {
	const char *name; /* "kube", "fake" */
	int (*resource)(void *impl, struct gd_kube_resource *out,
	    const char *api_version, const char *kind, struct gd_err *);
	int (*get)(void *impl, json_t **out, const struct gd_kube_ref *,
	    struct gd_err *);
	/* From the live cache when the kind is tracked, else a LIST. */
	int (*list)(void *impl, json_t **out, const struct gd_kube_ref *,
	    const struct gd_kube_list_opts *, struct gd_err *);
	int (*apply)(void *impl, json_t **out, const json_t *obj,
	    const struct gd_kube_apply_opts *, struct gd_err *);
	int (*delete)(void *impl, const struct gd_kube_ref *,
	    const struct gd_kube_delete_opts *, struct gd_err *);
	int (*namespace_create)(void *impl, const char *name, struct gd_err *);
	/* Keeps a kind in the live cache from now on. */
	int (*track)(void *impl, const char *api_version, const char *kind,
	    const char *namespace, struct gd_err *);
	/* Tells fn of every change to a tracked kind (self-heal, refresh). */
	void (*subscribe)(void *impl, gd_kube_change_fn fn, void *arg);
	/* GET /version. */
	int (*version)(void *impl, json_t **out, struct gd_err *);
	void (*free)(void *impl);
};

struct gd_cluster {
	const struct gd_cluster_ops *ops;
	void *impl;
};

/* A cluster over the REST API. Takes ownership of kube. */
struct gd_cluster *gd_kube_cluster_new(struct gd_kube *kube);
/* Frees any implementation's cluster (calls ops->free). */
void gd_kube_cluster_free(struct gd_cluster *);

/* --- several clusters -------------------------------------------------- */

/*
 * The clusters Applications deploy to, found as Argo CD finds them: by
 * destination.server (a URL) or destination.name. The cluster gitopsd
 * runs in is "https://kubernetes.default.svc", named "in-cluster".
 */
struct gd_kube_clusters;

#define GD_KUBE_INCLUSTER_SERVER "https://kubernetes.default.svc"
#define GD_KUBE_INCLUSTER_NAME   "in-cluster"

struct gd_kube_clusters *gd_kube_clusters_new(void);
/* Frees every cluster added. */
void gd_kube_clusters_free(struct gd_kube_clusters *);
/*
 * Adds a cluster (ownership passes) under name and server. A second
 * cluster with the same name or server is GD_ECONFLICT, and c is freed.
 */
int gd_kube_clusters_add(struct gd_kube_clusters *, const char *name,
    const char *server, struct gd_cluster *c, struct gd_err *);
/*
 * Another name and server for a cluster already added under existing
 * (the cluster gitopsd runs in is also "in-cluster" at
 * https://kubernetes.default.svc). The alias does not own the cluster.
 */
int gd_kube_clusters_alias(struct gd_kube_clusters *, const char *existing,
    const char *name, const char *server, struct gd_err *);
/*
 * Adds a cluster for every context of a kubeconfig (paths as in
 * gd_kube_config_load), named after the context, at its server; a context
 * whose server is already known is skipped (first wins). The context
 * gitopsd uses (context, NULL: current-context) is also aliased as
 * in-cluster. Clients connect lazily: nothing is contacted here.
 */
int gd_kube_clusters_from_kubeconfig(struct gd_kube_clusters *,
    const char *paths, const char *context, const struct gd_kube_opts *,
    struct gd_err *);
/* The names of every context of a kubeconfig (NULL-terminated). */
int gd_kube_config_contexts(
    char ***out, char **current, const char *paths, struct gd_err *);
void gd_kube_strv_free(char **);

/*
 * The cluster for a destination (borrowed): by server when set, else by
 * name. Both set is GD_EINVAL, as in Argo CD; none found GD_ENOTFOUND.
 */
int gd_kube_clusters_find(struct gd_kube_clusters *, struct gd_cluster **out,
    const char *server, const char *name, struct gd_err *);

#endif /* GITOPSD_KUBE_H */
