/* SPDX-License-Identifier: ISC */
/*
 * api: the HTTP server (libmicrohttpd behind server/api/http.c), the
 * router and the request/response model handlers see. Handlers map a
 * plain struct gd_req to a plain struct gd_resp and never see MHD, so a
 * test drives them through gd_router_dispatch() without a socket.
 */
#ifndef GITOPSD_API_H
#define GITOPSD_API_H

#include "gitopsd/core.h"

/* --- the server ---------------------------------------------------------- */

struct gd_api;
struct gd_route;

struct gd_api_opts {
	/* "127.0.0.1:8080", "[::1]:8080", ":8080" (IPv4 any), port 0 = any */
	const char *listen;
	/* folder to serve the UI from; NULL = the copy in the binary */
	const char *web_root;
	size_t max_body; /* request body limit in bytes; 0 = 1 MiB */
	unsigned threads; /* MHD thread pool size; 0 = number of CPUs */
	/* NULL = gd_api_routes; tests serve their own tables */
	const struct gd_route *routes;
	/* services for handlers (copied; web_root above wins); NULL: none */
	const struct gd_api_env *env;
};

#define GD_API_MAX_BODY (1024 * 1024)

/* Checks opts (listen address, web_root) but binds nothing yet. */
int gd_api_new(
    struct gd_api **out, const struct gd_api_opts *, struct gd_err *);
/* Binds and listens; a taken port or bad address is a GD_EINVAL. */
int gd_api_start(struct gd_api *, struct gd_err *);
/* The bound port (useful with port 0); -1 before gd_api_start. */
int gd_api_port(const struct gd_api *);
/* Requests between their headers and their last byte (a metrics gauge). */
unsigned gd_api_inflight(const struct gd_api *);
/* Stops accepting, lets in-flight requests finish (up to 10 s), closes. */
void gd_api_stop(struct gd_api *);
/* Stops the server first if it runs. NULL is fine. */
void gd_api_free(struct gd_api *);

/* --- requests ------------------------------------------------------------ */

#define GD_REQ_MAGIC 0x67647271u /* "gdrq" */

/* A name and a value, both owned by the list that holds them. */
struct gd_kv {
	char *key;
	char *val;
};

struct gd_kvs {
	struct gd_kv *v;
	size_t n;
	size_t cap;
};

/*
 * A request owns all its memory (gd_req_dispose frees it). Strings are
 * NUL-terminated. Query values and path parameters are percent-decoded;
 * path is the path as the client sent it (still encoded, no query), which
 * is what the access log prints.
 */
struct gd_req {
	unsigned magic;
	char *method; /* "GET" */
	char *path; /* "/api/v1/applications/web%20ui" */
	struct gd_kvs query;
	struct gd_kvs params; /* from {name} segments, set by the router */
	struct gd_kvs headers; /* names as sent; look up with gd_req_header */
	char *body; /* NUL-terminated; NULL when there is none */
	size_t body_len;
	json_t *json; /* the parsed body of GD_ROUTE_JSON routes */
	char remote[64]; /* peer address, "127.0.0.1" */
	char id[32]; /* request id, also sent as X-Request-Id */
	struct gd_err bad; /* first malformed part (query escapes): 400 */
};

/*
 * Sets up req for method and target ("/path?a=1&b=2"); the query part is
 * split and decoded with gd_req_add_query.
 */
void gd_req_init(struct gd_req *, const char *method, const char *target);
void gd_req_dispose(struct gd_req *);
/*
 * Adds one query parameter given as sent (percent-encoded, '+' for
 * space); val may be NULL ("?refresh"). A bad escape is recorded in
 * req->bad, and the router answers 400.
 */
void gd_req_add_query(struct gd_req *, const char *key, const char *val);
void gd_req_add_header(struct gd_req *, const char *key, const char *val);
/* Copies the body. */
void gd_req_set_body(struct gd_req *, const void *, size_t);
/* Borrowed values, NULL when absent; the first one wins on repeats. */
const char *gd_req_query(const struct gd_req *, const char *key);
const char *gd_req_param(const struct gd_req *, const char *key);
const char *gd_req_header(const struct gd_req *, const char *key);
/*
 * Parses the body once and keeps it in req->json (borrowed by *out).
 * GD_EINVAL names the line and column of a syntax error.
 */
int gd_req_json(json_t **out, struct gd_req *, struct gd_err *);

/* --- responses ----------------------------------------------------------- */

/*
 * Either body (JSON, serialized by the adapter as application/json) or
 * data/len with content_type. A zeroed struct is an empty response;
 * gd_resp_dispose frees what it owns and zeroes it again.
 */
struct gd_resp {
	int status;
	json_t *body; /* owned reference */
	const void *data; /* raw bytes, owned when data_owned */
	size_t len;
	bool data_owned;
	const char *content_type; /* a static string */
	struct gd_kvs headers; /* extra headers */
};

/* Takes the reference to body. */
void gd_resp_json(struct gd_resp *, int status, json_t *body);
/* Raw bytes; when owned, resp frees data (allocated with malloc). */
void gd_resp_data(struct gd_resp *, int status, const char *content_type,
    const void *data, size_t len, bool owned);
/* Static text, e.g. "ok". */
void gd_resp_text(struct gd_resp *, int status, const char *text);
/* Replaces the body with err in Argo CD's shape; status from the code. */
void gd_resp_error(struct gd_resp *, const struct gd_err *);
/* The same shape for statuses no gd_errcode has (405). */
void gd_resp_error_status(
    struct gd_resp *, int status, int grpc, const char *msg);
/* Adds (copies) a header; an existing one of that name is replaced. */
void gd_resp_header(struct gd_resp *, const char *key, const char *val);
const char *gd_resp_get_header(const struct gd_resp *, const char *key);
void gd_resp_dispose(struct gd_resp *);

/* The one map from gd_errcode to HTTP status and to gRPC code. */
int gd_err_http_status(int code);
int gd_err_grpc_code(int code);

/* --- routing ------------------------------------------------------------- */

/*
 * What handlers reach besides the request. Borrowed pointers that outlive
 * the server; services (store, controller) join as they are written.
 */
struct gd_api_env {
	const char *web_root; /* NULL: the embedded UI */
	/* issue #3: the catalog, gitops repo and its poller (may be NULL) */
	struct gd_catalog_cell *catalog;
	struct gd_repo *gitops;
	struct gd_repo_poller *poller;
	const struct gd_conf *conf; /* webhook secrets */
	struct gd_source *source; /* issue #5: rendering (may be NULL) */
};

/*
 * A handler fills resp and returns 0, or returns a negative gd_errcode
 * with err set; the router then answers with err in Argo CD's shape.
 */
typedef int (*gd_route_fn)(const struct gd_api_env *, struct gd_req *,
    struct gd_resp *, struct gd_err *);

/* The router parses the body first and answers 400 when it is not JSON. */
#define GD_ROUTE_JSON 0x1u

/*
 * One row of a route table: { "GET", "/api/v1/applications/{name}", fn }.
 * A {name} segment matches one path segment (decoded, so it may hold an
 * encoded '/'); a literal segment wins over a parameter where both match.
 * HEAD is served by the GET route. Tables end with a NULL method. The
 * RBAC check will be one more column (resource and action), checked by
 * the router before fn, so no handler can forget it.
 */
struct gd_route {
	const char *method;
	const char *pattern;
	gd_route_fn fn;
	unsigned flags;
};

/* The server's routes (server/api/routes.c). */
extern const struct gd_route gd_api_routes[];

struct gd_router;

/*
 * Checks and compiles table (borrowed: it must outlive the router) and
 * copies env. GD_EINVAL names a bad or duplicate pattern.
 */
int gd_router_new(struct gd_router **out, const struct gd_route *table,
    const struct gd_api_env *env, struct gd_err *);
void gd_router_free(struct gd_router *);
/*
 * Answers req into resp (zeroed or disposed first): a route's handler,
 * 400 for a malformed path or query, 405 with Allow for a known path and
 * another method, 404 under /api/, else the static UI for GET and HEAD.
 */
void gd_router_dispatch(struct gd_router *, struct gd_req *, struct gd_resp *);

#endif /* GITOPSD_API_H */
