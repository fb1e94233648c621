/* SPDX-License-Identifier: ISC */
/*
 * The router: compiles a route table ({ "GET", "/api/v1/applications/
 * {name}/sync", fn }) into segment lists once, then matches each request
 * against every route. Matching is a linear scan: with the ~60 routes
 * Argo CD's API has, comparing a handful of segments per route costs less
 * than one allocation, and the table stays the single readable list of
 * the API. The hard parts are the decisions around a match: decoding each
 * path segment separately (so "%2F" inside a name stays in that segment),
 * preferring a literal segment over a parameter when both match, telling
 * 404 from 405 (a path some route knows, asked with another method, gets
 * 405 and Allow), and sending everything else outside /api/ to the
 * static UI.
 */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

struct router_seg {
	char *text; /* literal text, or the parameter name */
	bool param;
};

struct router_route {
	const struct gd_route *def;
	struct router_seg *segs;
	size_t nsegs;
};

struct gd_router {
	struct router_route *routes;
	size_t nroutes;
	struct gd_api_env env;
};

static bool
router_is_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	}
	return true;
}

static bool
router_is_method(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < 'A' || *s > 'Z')
			return false;
	return true;
}

static void
router_route_dispose(struct router_route *rt)
{
	size_t i;

	for (i = 0; i < rt->nsegs; i++)
		free(rt->segs[i].text);
	free(rt->segs);
	rt->segs = NULL;
	rt->nsegs = 0;
}

/* A segment is a literal without braces, or a whole {name}. */
static bool
router_seg_ok(const char *p, size_t n, bool param)
{
	if (param)
		return router_is_name(p + 1, n - 2);
	return n > 0 && memchr(p, '{', n) == NULL && memchr(p, '}', n) == NULL;
}

/* Splits a pattern into literal and {param} segments. */
static int
router_compile(
    struct router_route *rt, const struct gd_route *def, struct gd_err *err)
{
	const char *p = def->pattern, *q;
	struct router_seg *seg;
	size_t n, i;

	rt->def = def;
	if (!router_is_method(def->method))
		return gd_err_set(err, GD_EINVAL,
		    "route %.32s %.128s: method must be upper-case letters",
		    def->method, p);
	if (def->fn == NULL)
		return gd_err_set(err, GD_EINVAL, "route %s %.128s: no handler",
		    def->method, p);
	if (p[0] != '/')
		return gd_err_set(err, GD_EINVAL,
		    "route %s %.128s: pattern must start with /", def->method,
		    p);
	if (p[1] == '\0')
		return 0;
	for (p++;; p = q + 1) {
		q = strchr(p, '/');
		n = q != NULL ? (size_t)(q - p) : strlen(p);
		rt->segs =
		    xreallocarray(rt->segs, rt->nsegs + 1, sizeof(*rt->segs));
		seg = &rt->segs[rt->nsegs++];
		seg->param = n >= 2 && p[0] == '{' && p[n - 1] == '}';
		seg->text =
		    seg->param ? xstrndup(p + 1, n - 2) : xstrndup(p, n);
		if (!router_seg_ok(p, n, seg->param))
			return gd_err_set(err, GD_EINVAL,
			    "route %s %.128s: bad segment \"%.*s\"",
			    def->method, def->pattern, (int)n, p);
		for (i = 0; seg->param && i + 1 < rt->nsegs; i++)
			if (rt->segs[i].param &&
			    strcmp(rt->segs[i].text, seg->text) == 0)
				return gd_err_set(err, GD_EINVAL,
				    "route %s %.128s: parameter {%s} repeats",
				    def->method, def->pattern, seg->text);
		if (q == NULL)
			break;
	}
	return 0;
}

/* Two routes clash when one method would match both for every path. */
static bool
router_same_shape(const struct router_route *a, const struct router_route *b)
{
	size_t i;

	if (strcmp(a->def->method, b->def->method) != 0 || a->nsegs != b->nsegs)
		return false;
	for (i = 0; i < a->nsegs; i++) {
		if (a->segs[i].param != b->segs[i].param)
			return false;
		if (!a->segs[i].param &&
		    strcmp(a->segs[i].text, b->segs[i].text) != 0)
			return false;
	}
	return true;
}

int
gd_router_new(struct gd_router **out, const struct gd_route *table,
    const struct gd_api_env *env, struct gd_err *err)
{
	struct gd_router *r;
	const struct gd_route *def;
	size_t i;
	int rc = 0;

	*out = NULL;
	r = xcalloc(1, sizeof(*r));
	if (env != NULL)
		r->env = *env;
	for (def = table; def->method != NULL; def++) {
		r->routes = xreallocarray(
		    r->routes, r->nroutes + 1, sizeof(*r->routes));
		memset(&r->routes[r->nroutes], 0, sizeof(*r->routes));
		r->nroutes++;
		if ((rc = router_compile(
			 &r->routes[r->nroutes - 1], def, err)) < 0)
			goto out;
		for (i = 0; i + 1 < r->nroutes; i++) {
			if (router_same_shape(
				&r->routes[i], &r->routes[r->nroutes - 1])) {
				rc = gd_err_set(err, GD_EINVAL,
				    "route %s %.100s: clashes with %.100s",
				    def->method, def->pattern,
				    r->routes[i].def->pattern);
				goto out;
			}
		}
	}
	*out = r;
	r = NULL;
out:
	gd_router_free(r);
	return rc;
}

void
gd_router_free(struct gd_router *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nroutes; i++)
		router_route_dispose(&r->routes[i]);
	free(r->routes);
	free(r);
}

static void
router_segs_free(char **segs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(segs[i]);
	free(segs);
}

/* Splits and decodes a request path; "/" has no segments. */
static int
router_split(char ***out, size_t *nout, const char *path, struct gd_err *err)
{
	char **segs = NULL, *d;
	const char *p, *q;
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	if (path[0] != '/')
		return gd_err_set(err, GD_EINVAL,
		    "path \"%.128s\": want an absolute path", path);
	for (p = path + 1; path[1] != '\0'; p = q + 1) {
		q = strchr(p, '/');
		if (q == NULL)
			q = p + strlen(p);
		if ((rc = gd_req_unescape(&d, p, (size_t)(q - p), false, err)) <
		    0) {
			gd_err_wrap(err, "path");
			router_segs_free(segs, n);
			return rc;
		}
		segs = xreallocarray(segs, n + 1, sizeof(*segs));
		segs[n++] = d;
		if (*q == '\0')
			break;
	}
	*out = segs;
	*nout = n;
	return 0;
}

static bool
router_match_path(const struct router_route *rt, char **segs, size_t n)
{
	size_t i;

	if (rt->nsegs != n)
		return false;
	for (i = 0; i < n; i++)
		if (!rt->segs[i].param &&
		    strcmp(rt->segs[i].text, segs[i]) != 0)
			return false;
	return true;
}

static bool
router_match_method(const struct router_route *rt, const char *method)
{
	if (strcmp(rt->def->method, method) == 0)
		return true;
	return strcmp(method, "HEAD") == 0 &&
	    strcmp(rt->def->method, "GET") == 0;
}

/* Of two routes matching one path, the first literal segment wins. */
static bool
router_is_better(const struct router_route *a, const struct router_route *b)
{
	size_t i;

	for (i = 0; i < a->nsegs; i++) {
		if (a->segs[i].param != b->segs[i].param)
			return !a->segs[i].param;
	}
	/* An explicit HEAD route beats GET serving HEAD. */
	return strcmp(a->def->method, b->def->method) != 0 &&
	    strcmp(a->def->method, "HEAD") == 0;
}

/* The methods some route has for this path, for Allow. */
static char *
router_allow(struct gd_router *r, char **segs, size_t n)
{
	struct gd_buf b;
	const char *m;
	bool get = false, head = false;
	size_t i, j;

	gd_buf_init(&b);
	for (i = 0; i < r->nroutes; i++) {
		if (!router_match_path(&r->routes[i], segs, n))
			continue;
		m = r->routes[i].def->method;
		for (j = 0; j < i; j++)
			if (router_match_path(&r->routes[j], segs, n) &&
			    strcmp(r->routes[j].def->method, m) == 0)
				break;
		if (j < i)
			continue;
		get = get || strcmp(m, "GET") == 0;
		head = head || strcmp(m, "HEAD") == 0;
		gd_buf_printf(&b, "%s%s", b.len > 0 ? ", " : "", m);
	}
	if (get && !head)
		gd_buf_adds(&b, ", HEAD");
	return gd_buf_detach(&b, NULL);
}

static void
router_not_allowed(struct gd_req *req, struct gd_resp *resp, const char *allow)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "method %.16s not allowed on %.200s",
	    req->method, req->path);
	/* grpc-gateway answers 405 with Unimplemented. */
	gd_resp_error_status(resp, 405, 12, msg);
	gd_resp_header(resp, "Allow", allow);
}

static bool
router_is_api(const char *path)
{
	return strncmp(path, "/api", 4) == 0 &&
	    (path[4] == '\0' || path[4] == '/');
}

static int
router_call(struct gd_router *r, const struct router_route *rt, char **segs,
    struct gd_req *req, struct gd_resp *resp, struct gd_err *err)
{
	json_t *body;
	size_t i;
	int rc;

	for (i = 0; i < rt->nsegs; i++)
		if (rt->segs[i].param)
			gd_kvs_add(&req->params, rt->segs[i].text, segs[i]);
	if ((rt->def->flags & GD_ROUTE_JSON) &&
	    (rc = gd_req_json(&body, req, err)) < 0)
		return rc;
	if ((rc = rt->def->fn(&r->env, req, resp, err)) < 0 &&
	    err->code == GD_OK)
		rc = gd_err_set(err, GD_EINTERNAL,
		    "%s %s: handler failed without a message", req->method,
		    rt->def->pattern);
	return rc;
}

void
gd_router_dispatch(
    struct gd_router *r, struct gd_req *req, struct gd_resp *resp)
{
	const struct router_route *best = NULL, *rt;
	struct gd_err err;
	char **segs = NULL, *allow = NULL;
	size_t nsegs = 0, i;
	bool known = false;
	int rc = 0;

	GD_CHECK_OBJ(req, GD_REQ_MAGIC);
	gd_err_clear(&err);
	gd_resp_dispose(resp);
	gd_kvs_clear(&req->params);
	if (req->bad.code != GD_OK) {
		err = req->bad;
		rc = err.code;
		goto out;
	}
	if ((rc = router_split(&segs, &nsegs, req->path, &err)) < 0)
		goto out;
	for (i = 0; i < r->nroutes; i++) {
		rt = &r->routes[i];
		if (!router_match_path(rt, segs, nsegs))
			continue;
		known = true;
		if (router_match_method(rt, req->method) &&
		    (best == NULL || router_is_better(rt, best)))
			best = rt;
	}
	if (best != NULL)
		rc = router_call(r, best, segs, req, resp, &err);
	else if (known) {
		allow = router_allow(r, segs, nsegs);
		router_not_allowed(req, resp, allow);
	} else if (router_is_api(req->path))
		rc = gd_err_set(&err, GD_ENOTFOUND, "no route for %.16s %.200s",
		    req->method, req->path);
	else if (strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0)
		rc = gd_static_serve(&r->env, req, resp, &err);
	else
		router_not_allowed(req, resp, "GET, HEAD");
out:
	if (rc < 0)
		gd_resp_error(resp, &err);
	else if (resp->status == 0)
		resp->status = 200;
	gd_resp_header(resp, "X-Content-Type-Options", "nosniff");
	if (req->id[0] != '\0')
		gd_resp_header(resp, "X-Request-Id", req->id);
	router_segs_free(segs, nsegs);
	free(allow);
}
