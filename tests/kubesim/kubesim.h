/* SPDX-License-Identifier: ISC */
/*
 * kubesim: a Kubernetes API-server stand-in for tests and the demo. One
 * process, objects in memory, one big lock. This header is shared by the
 * files of tests/kubesim only; each file owns one job (http, store,
 * discovery, apply, patch, watch, defaults, controller, faults, table).
 */
#ifndef KUBESIM_H
#define KUBESIM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "gitopsd/core.h"

/* --- discovery: the kinds the server serves ------------------------------ */

#define KS_RES_STATUS 0x1 /* has a status subresource */
#define KS_RES_SCALE  0x2 /* has a scale subresource */
#define KS_RES_CRD    0x4 /* defined by a CustomResourceDefinition */

struct ks_resource {
	char *group; /* "" for the core group */
	char *version;
	char *plural;
	char *singular;
	char *kind;
	char *shortnames; /* comma-separated, or "" */
	char *gv; /* "v1", "apps/v1" */
	char *key; /* "deployments.apps", "pods": the store's collection */
	bool namespaced;
	int flags;
};

/* Fills the built-in table; called once at start. */
void ks_discovery_init(void);
/* NULL when the group/version serves no such plural. Lock held. */
struct ks_resource *ks_discovery_find(
    const char *group, const char *version, const char *plural);
/* By apiVersion ("apps/v1") and kind. Lock held. */
struct ks_resource *ks_discovery_find_kind(
    const char *apiversion, const char *kind);
/* Adds or removes the resources of a CRD object. Lock held. */
void ks_discovery_crd_apply(const json_t *crd);
void ks_discovery_crd_remove(const json_t *crd);
struct ks_req;
struct ks_resp;
/* /version, /api, /apis, /api/v1, /apis/g/v, /openapi/... Lock held. */
bool ks_discovery_serve(const struct ks_req *, struct ks_resp *);

/* --- requests and responses ---------------------------------------------- */

struct ks_watch;

struct ks_req {
	const char *method;
	const char *path; /* without the query */
	const char *accept;
	const char *content_type;
	const char *user_agent;
	json_t *query; /* decoded query parameters, name -> string */
	const char *body;
	size_t body_len;
};

struct ks_resp {
	int status;
	json_t *body; /* owned; NULL for no body */
	const char *content_type; /* default application/json */
	const char *raw; /* static body sent as is, instead of body */
	int retry_after; /* seconds, 0 for none */
	struct ks_watch *watch; /* set instead of body for a watch stream */
	bool reset; /* close the connection without an answer */
};

/* Looks up a query parameter; NULL when absent. */
const char *ks_req_arg(const struct ks_req *, const char *name);

/* Sets a Kubernetes Status body (§1.7). details may be NULL; it is stolen. */
void ks_resp_status(struct ks_resp *, int code, const char *reason,
    json_t *details, const char *fmt, ...) GD_PRINTF(5, 6);
/* details {name, group, kind} for an object error. */
json_t *ks_details(const struct ks_resource *, const char *name);

/* --- the store ------------------------------------------------------------ */

struct ks_config {
	const char *listen;
	const char *tls_cert;
	const char *tls_key;
	const char
	    *client_ca; /* PEM: client certificates signed by it log in */
	char *token;
	const char *stuck_image; /* fnmatch pattern; never becomes available */
	unsigned step_ms; /* controller: time per rollout step */
	double deadline_scale; /* progressDeadlineSeconds multiplier */
	unsigned bookmark_ms;
	size_t history; /* watch events kept */
	unsigned continue_ttl; /* seconds a continue token lives */
	const char *lb_ip;
	const char *minor; /* /version minor, picks kubectl's binary */
	bool no_children; /* no ReplicaSets and Pods for Deployments */
};

struct ks_event {
	uint64_t rv;
	const char *type; /* ADDED, MODIFIED, DELETED */
	char *coll; /* collection key */
	char *ns;
	json_t *obj;
	json_t *prev; /* MODIFIED: the version before, for selectors */
};

struct ks_state {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* broadcast on every event and fault change */
	struct ks_config conf;
	json_t *colls; /* collection key -> { "ns/name" -> object } */
	json_t *pending; /* "coll\nkey" -> true: for the controller */
	uint64_t rv;
	struct ks_event *ring; /* watch history, oldest at ring_head */
	size_t ring_head;
	size_t ring_len;
	unsigned watch_epoch; /* bumped to drop every open watch */
	unsigned next_ip;
	atomic_int stopping;
};

extern struct ks_state ks;

void ks_store_init(void);
void ks_store_dispose(void);
/* The store key of an object: "ns/name" or "name". Caller frees. */
char *ks_store_key(const struct ks_resource *, const char *ns, const char *);
/* Borrowed; NULL when absent. Lock held. */
json_t *ks_store_get(
    const struct ks_resource *, const char *ns, const char *name);
/*
 * Stores obj (stolen) under its metadata, stamps a new resourceVersion and
 * records the event. Lock held.
 */
void ks_store_put(const struct ks_resource *, json_t *obj, bool created);
/* Removes an object and records DELETED. Lock held. */
void ks_store_remove(const struct ks_resource *, const char *ns, const char *);
/* Collection map of a resource, created on demand. Lock held. */
json_t *ks_store_coll(const struct ks_resource *);
bool ks_store_ns_exists(const char *ns);
/*
 * The collection's keys in order (borrowed until the next put or remove
 * of a new key); ks_store_lower finds the first key >= key in them.
 */
size_t ks_store_sorted(const struct ks_resource *, const char *const **);
size_t ks_store_lower(const char *const *keys, size_t n, const char *key);

/* REST handlers for objects and collections (rest.c). */
void ks_rest_serve(const struct ks_req *, struct ks_resp *);
/*
 * Deletes one object by policy (gc.c) and returns it as it now is (new
 * reference): with a deletionTimestamp while finalizers hold it.
 */
json_t *ks_gc_delete(struct ks_resource *, const json_t *, const char *policy);
/* Runs what deletes set off, to a fixed point. Lock held. */
void ks_gc_run(void);
/* The store tells gc.c about every put and removal. */
void ks_gc_note_put(const char *coll, const char *key, const json_t *obj);
void ks_gc_note_remove(const json_t *obj);
/*
 * A write from inside kubesim (the controller): obj (stolen) replaces old
 * (NULL to create) with every rule a client write follows. Lock held.
 */
void ks_rest_write(
    struct ks_resource *, const json_t *old, json_t *obj, const char *manager);
/* Deletes obj with the Background policy. Lock held. */
void ks_rest_delete(struct ks_resource *, const json_t *obj);

/* Selectors (select.c): true when obj matches. */
int ks_select_parse(
    json_t **out, const char *label, const char *field, struct gd_err *);
bool ks_select_match(const json_t *sel, const json_t *obj);

/* --- patches and apply ------------------------------------------------------
 */

/* RFC 7386 merge patch of patch onto *doc (replaced in place). */
void ks_patch_merge(json_t **doc, const json_t *patch);
/* RFC 6902; GD_EINVAL names the failing operation. */
int ks_patch_json(json_t **doc, const json_t *patch, struct gd_err *);
/* Strategic merge patch with the merge keys of built-in kinds. */
int ks_patch_strategic(json_t **doc, const json_t *patch, struct gd_err *);
/* The merge key of list field name in a list whose items look like items. */
const char *ks_patch_merge_key(const char *field, const json_t *items);

/*
 * Server-side apply of cfg onto *live (NULL to create) by manager. On a
 * conflict without force, returns GD_ECONFLICT and sets *causes (a JSON
 * array of Status causes) and err. *live is replaced on success.
 */
int ks_apply(json_t **live, const json_t *cfg, const char *manager, bool force,
    json_t **causes, struct gd_err *);
/* Records an Update by manager from old (NULL on create) to *obj. */
void ks_apply_update(
    json_t *obj, const json_t *old, const char *manager, const char *sub);

/* --- the rest ---------------------------------------------------------------
 */

/*
 * Decodes a protobuf body (the "k8s\0" envelope) of the kinds kubectl's
 * typed commands create; GD_EINVAL names what it could not read.
 */
int ks_proto_decode(json_t **out, const void *, size_t, struct gd_err *);

/* Server defaulting of a built-in kind, in place. Lock held. */
void ks_defaults(const struct ks_resource *, json_t *obj);

/* Starts a watch stream for the request; sets resp->watch or an error. */
void ks_watch_start(const struct ks_resource *, const char *ns,
    const struct ks_req *, struct ks_resp *);
/* Fills buf with up to max bytes of stream; -1 at the end. No lock. */
long ks_watch_read(struct ks_watch *, char *buf, size_t max);
void ks_watch_free(struct ks_watch *);

/* A Table (meta.k8s.io/v1) for the list or object. */
json_t *ks_table(const struct ks_resource *, const json_t *list_or_obj);
bool ks_table_wanted(const struct ks_req *);

/* Makes the ReplicaSet of a Deployment's template, scales old ones. */
void ks_children_deployment(const json_t *d, const char *rev, bool done);
/* Makes or removes the Pods of a ReplicaSet. */
void ks_children_replicaset(const json_t *rs);

/* Starts the controller thread. */
void ks_controller_start(void);

/* Fault injection: true when this request must fail (resp filled). */
bool ks_faults_take(const struct ks_req *, struct ks_resp *);
/* The admin endpoint /kubesim/faults. */
void ks_faults_serve(const struct ks_req *, struct ks_resp *);
/* Latency to add to every request, in ms. */
unsigned ks_faults_latency(void);

/* The HTTP server; blocks until SIGINT/SIGTERM. */
int ks_http_run(struct gd_err *);

/* Helpers (util in store.c). */
const char *ks_str(const json_t *obj, const char *path); /* "a.b.c" */
json_t *ks_obj(json_t *parent, const char *key); /* get or create {} */
bool ks_is_builtin(const struct ks_resource *);

#endif /* KUBESIM_H */
