/* SPDX-License-Identifier: ISC */
/*
 * The REST verbs on objects and collections: GET, LIST (selectors,
 * limit/continue, Table output), POST, PUT, the four PATCH types, DELETE
 * with propagation policies and finalizers, and the status subresource.
 * Every write goes through rest_commit, which applies the rules the real
 * API server applies to every write: defaulting, the generation bump on
 * a spec change, status kept from the stored object on the main resource,
 * deletion once the last finalizer goes, CRDs registered in discovery,
 * and dryRun=All answering without storing. What a delete sets off
 * (dependents, finalizers, namespaces) is gc.c's.
 *
 * The hard part is the order of rest_commit's rules: status is restored
 * from the stored object before defaulting, and generation is computed
 * after it, so a default filled in on a later write (an allocated
 * clusterIP) never counts as a spec change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/ydoc.h"

#include "kubesim.h"

struct rest_target {
	struct ks_resource *res;
	char ns[254];
	char name[254];
	char sub[32];
	bool has_ns;
};

static bool
rest_utf8(const char *s)
{
	json_t *t = json_string(s);

	json_decref(t);
	return t != NULL;
}

const char *
ks_req_arg(const struct ks_req *req, const char *name)
{
	return json_string_value(json_object_get(req->query, name));
}

void
ks_resp_status(struct ks_resp *resp, int code, const char *reason,
    json_t *details, const char *fmt, ...)
{
	char msg[1024], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!rest_utf8(msg)) {
		/* A message quoting bad input must still be a JSON string. */
		for (p = msg; *p != '\0'; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
	}
	json_decref(resp->body);
	resp->status = code;
	resp->body = json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}", "kind",
	    "Status", "apiVersion", "v1", "metadata", "status",
	    code < 400 ? "Success" : "Failure", "message", msg, "reason",
	    reason, "code", code);
	if (details != NULL)
		json_object_set_new(resp->body, "details", details);
}

json_t *
ks_details(const struct ks_resource *r, const char *name)
{
	json_t *d = json_pack("{s:s, s:s}", "name", name, "kind", r->plural);

	if (*r->group != '\0')
		json_object_set_new(d, "group", json_string(r->group));
	return d;
}

/* "deployments.apps" or "pods", as messages name a resource. */
static const char *
rest_what(const struct ks_resource *r)
{
	return r->key;
}

static void
rest_not_found(
    struct ks_resp *resp, const struct ks_resource *r, const char *name)
{
	ks_resp_status(resp, 404, "NotFound", ks_details(r, name),
	    "%s \"%s\" not found", rest_what(r), name);
}

/*
 * Parses /api/v1/... and /apis/g/v/... into a target. false with resp set
 * when the path names nothing served.
 */
static bool
rest_parse(const char *path, struct rest_target *t, struct ks_resp *resp)
{
	char group[128] = "", version[64], seg[5][254];
	const char *p, *e;
	int n = 0, i = 0;

	memset(t, 0, sizeof(*t));
	if (!rest_utf8(path)) {
		ks_resp_status(resp, 400, "BadRequest", NULL,
		    "the request path is not valid UTF-8");
		return false;
	}
	if (strncmp(path, "/api/", 5) == 0)
		p = path + 5;
	else if (strncmp(path, "/apis/", 6) == 0) {
		p = path + 6;
		e = strchr(p, '/');
		if (e == NULL || (size_t)(e - p) >= sizeof(group))
			goto notfound;
		memcpy(group, p, (size_t)(e - p));
		group[e - p] = '\0';
		p = e + 1;
	} else
		goto notfound;
	e = strchr(p, '/');
	if (e == NULL || (size_t)(e - p) >= sizeof(version))
		goto notfound;
	memcpy(version, p, (size_t)(e - p));
	version[e - p] = '\0';
	p = e + 1;
	while (*p != '\0') {
		if (n == 5)
			goto notfound;
		e = strchr(p, '/');
		if (e == NULL)
			e = p + strlen(p);
		if (e == p || (size_t)(e - p) >= sizeof(seg[0]))
			goto notfound;
		memcpy(seg[n], p, (size_t)(e - p));
		seg[n][e - p] = '\0';
		n++;
		p = *e == '/' ? e + 1 : e;
	}
	if (n == 0)
		goto notfound;
	/*
	 * namespaces/NS/PLURAL... unless it is the namespace itself
	 * (namespaces/NS or namespaces/NS/status|finalize).
	 */
	if (strcmp(seg[0], "namespaces") == 0 && n >= 3 && *group == '\0' &&
	    n == 3 &&
	    (strcmp(seg[2], "status") == 0 || strcmp(seg[2], "finalize") == 0))
		;
	else if (strcmp(seg[0], "namespaces") == 0 && n >= 3) {
		snprintf(t->ns, sizeof(t->ns), "%s", seg[1]);
		t->has_ns = true;
		i = 2;
	}
	t->res = ks_discovery_find(group, version, seg[i]);
	if (t->res == NULL)
		goto notfound;
	if (t->has_ns && !t->res->namespaced)
		goto notfound;
	if (i + 1 < n)
		snprintf(t->name, sizeof(t->name), "%s", seg[i + 1]);
	if (i + 2 < n)
		snprintf(t->sub, sizeof(t->sub), "%s", seg[i + 2]);
	if (i + 3 < n)
		goto notfound;
	if (t->sub[0] != '\0' && strcmp(t->sub, "status") != 0 &&
	    strcmp(t->sub, "scale") != 0 && strcmp(t->sub, "finalize") != 0)
		goto notfound;
	return true;
notfound:
	ks_resp_status(resp, 404, "NotFound", NULL,
	    "the server could not find the requested resource");
	return false;
}

/* --- helpers for writes ------------------------------------------------ */

static void
rest_uid(char out[40])
{
	static unsigned long long n;
	unsigned long long t = (unsigned long long)time(NULL);

	n++;
	snprintf(out, 40, "%08llx-%04llx-4%03llx-8%03llx-%012llx",
	    t & 0xffffffffULL, (n >> 24) & 0xffffULL, (n >> 12) & 0xfffULL,
	    n & 0xfffULL, (n * 2654435761ULL) & 0xffffffffffffULL);
}

static bool
rest_dry_run(const struct ks_req *req)
{
	const char *d = ks_req_arg(req, "dryRun");

	return d != NULL && strcmp(d, "All") == 0;
}

/* The manager of a non-apply write: fieldManager, else the user agent. */
static void
rest_manager(char out[128], const struct ks_req *req)
{
	const char *m = ks_req_arg(req, "fieldManager");
	const char *ua = req->user_agent;

	if (m != NULL && *m != '\0')
		snprintf(out, 128, "%s", m);
	else if (ua != NULL && *ua != '\0')
		snprintf(out, 128, "%.*s", (int)strcspn(ua, "/ "), ua);
	else
		snprintf(out, 128, "unknown");
}

/* true when everything but metadata and status is equal. */
static bool
rest_spec_equal(const json_t *a, const json_t *b)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)a, k, v) {
		if (strcmp(k, "metadata") == 0 || strcmp(k, "status") == 0)
			continue;
		if (!json_equal(v, json_object_get(b, k)))
			return false;
	}
	json_object_foreach((json_t *)b, k, v) {
		if (strcmp(k, "metadata") == 0 || strcmp(k, "status") == 0)
			continue;
		if (json_object_get(a, k) == NULL)
			return false;
	}
	return true;
}

static void
rest_crd_status(json_t *crd)
{
	char ts[GD_TIME_LEN];
	json_t *status = ks_obj(crd, "status");

	gd_time_format(ts, time(NULL));
	json_object_set_new(status, "conditions",
	    json_pack("[{s:s, s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s, s:s}]",
		"type", "NamesAccepted", "status", "True", "reason",
		"NoConflicts", "message", "no conflicts found",
		"lastTransitionTime", ts, "type", "Established", "status",
		"True", "reason", "InitialNamesAccepted", "message",
		"the initial names have been accepted", "lastTransitionTime",
		ts));
	json_object_set(status, "acceptedNames",
	    json_object_get(json_object_get(crd, "spec"), "names"));
	json_object_set_new(status, "storedVersions", json_array());
}

/*
 * Stores obj (stolen) as the new state of an object that was old (NULL on
 * create), with the rules every write follows, and answers with it. sub
 * is "status" for the status subresource.
 */
static void
rest_commit(struct ks_resource *r, const json_t *old, json_t *obj,
    const char *sub, bool dry, struct ks_resp *resp)
{
	json_t *meta = ks_obj(obj, "metadata"), *fin;
	char uid[40], ts[GD_TIME_LEN];
	json_int_t gen;
	bool created = old == NULL;

	json_object_set_new(obj, "apiVersion", json_string(r->gv));
	json_object_set_new(obj, "kind", json_string(r->kind));
	if (created) {
		rest_uid(uid);
		gd_time_format(ts, time(NULL));
		json_object_set_new(meta, "uid", json_string(uid));
		json_object_set_new(meta, "creationTimestamp", json_string(ts));
		json_object_del(meta, "deletionTimestamp");
		if ((r->flags & KS_RES_STATUS) && ks_is_builtin(r) &&
		    strcmp(r->kind, "Namespace") != 0)
			json_object_del(obj, "status");
	} else {
		/* What the client may not change. */
		json_object_set(meta, "uid",
		    json_object_get(json_object_get(old, "metadata"), "uid"));
		json_object_set(meta, "creationTimestamp",
		    json_object_get(
			json_object_get(old, "metadata"), "creationTimestamp"));
		json_object_set(meta, "deletionTimestamp",
		    json_object_get(
			json_object_get(old, "metadata"), "deletionTimestamp"));
		if (json_object_get(meta, "deletionTimestamp") == NULL ||
		    json_is_null(json_object_get(meta, "deletionTimestamp")))
			json_object_del(meta, "deletionTimestamp");
		if (sub != NULL && strcmp(sub, "status") == 0) {
			/* The status subresource changes only status. */
			json_t *st =
			    json_incref(json_object_get(obj, "status"));
			json_t *keep = json_deep_copy(old);

			json_object_set_new(
			    keep, "metadata", json_incref(meta));
			json_decref(obj);
			obj = keep;
			meta = ks_obj(obj, "metadata");
			if (st != NULL)
				json_object_set_new(obj, "status", st);
			else
				json_object_del(obj, "status");
		} else if (r->flags & KS_RES_STATUS) {
			if (json_object_get(old, "status") != NULL)
				json_object_set_new(obj, "status",
				    json_deep_copy(
					json_object_get(old, "status")));
			else
				json_object_del(obj, "status");
		}
	}
	ks_defaults(r, obj);
	gen = created ? 1 :
			json_integer_value(json_object_get(
			    json_object_get(old, "metadata"), "generation"));
	if (!created && !rest_spec_equal(old, obj))
		gen++;
	if (gen < 1)
		gen = 1;
	json_object_set_new(meta, "generation", json_integer(gen));
	if (strcmp(r->kind, "CustomResourceDefinition") == 0)
		rest_crd_status(obj);
	fin = json_object_get(meta, "finalizers");
	if (json_is_array(fin) && json_array_size(fin) == 0)
		json_object_del(meta, "finalizers");
	if (dry) {
		if (created) {
			json_object_del(meta, "uid");
			json_object_set_new(
			    meta, "resourceVersion", json_string(""));
		}
		resp->status = created ? 201 : 200;
		resp->body = obj;
		return;
	}
	resp->status = created ? 201 : 200;
	/* Updating away the last finalizer of a deleted object removes it. */
	if (!created && json_object_get(meta, "deletionTimestamp") != NULL &&
	    json_object_get(meta, "finalizers") == NULL) {
		resp->body = json_incref(obj);
		ks_store_remove(r, ks_str(obj, "metadata.namespace"),
		    ks_str(obj, "metadata.name"));
		json_decref(obj);
		return;
	}
	if (strcmp(r->kind, "CustomResourceDefinition") == 0)
		ks_discovery_crd_apply(obj);
	resp->body = json_incref(obj);
	ks_store_put(r, obj, created);
}

void
ks_rest_write(
    struct ks_resource *r, const json_t *old, json_t *obj, const char *manager)
{
	struct ks_resp resp = { 0 };

	ks_apply_update(obj, old, manager, NULL);
	rest_commit(r, old, obj, NULL, false, &resp);
	json_decref(resp.body);
}

void
ks_rest_delete(struct ks_resource *r, const json_t *obj)
{
	json_decref(ks_gc_delete(r, obj, "Background"));
}

/* Parses a request body as JSON or YAML; false with resp set when bad. */
static bool
rest_body(const struct ks_req *req, json_t **out, struct ks_resp *resp)
{
	struct gd_err err = { 0 };
	json_error_t jerr;

	*out = NULL;
	if (req->content_type != NULL &&
	    strstr(req->content_type, "protobuf") != NULL) {
		if (ks_proto_decode(out, req->body, req->body_len, &err) < 0) {
			ks_resp_status(resp, 415, "UnsupportedMediaType", NULL,
			    "%s", err.msg);
			return false;
		}
		return true;
	}
	if (req->body_len == 0) {
		ks_resp_status(
		    resp, 400, "BadRequest", NULL, "the request body is empty");
		return false;
	}
	if (req->content_type != NULL &&
	    strstr(req->content_type, "yaml") != NULL) {
		if (gd_ydoc_load_one(
			out, req->body, req->body_len, "body", &err) < 0) {
			ks_resp_status(resp, 400, "BadRequest", NULL,
			    "error decoding YAML: %s", err.msg);
			return false;
		}
	} else if ((*out = json_loadb(req->body, req->body_len, 0, &jerr)) ==
	    NULL) {
		ks_resp_status(resp, 400, "BadRequest", NULL,
		    "error decoding JSON: line %d column %d: %s", jerr.line,
		    jerr.column, jerr.text);
		return false;
	}
	return true;
}

/*
 * Checks a body against the URL: an object, kind and apiVersion right,
 * name and namespace agreeing. Fills in the URL's name and namespace.
 */
static bool
rest_check_obj(const struct rest_target *t, json_t *obj, struct ks_resp *resp)
{
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *av = json_string_value(json_object_get(obj, "apiVersion"));
	const char *name, *ns;
	json_t *meta;

	if (!json_is_object(obj)) {
		ks_resp_status(resp, 400, "BadRequest", NULL,
		    "the body must be an object");
		return false;
	}
	if ((kind != NULL && strcmp(kind, t->res->kind) != 0) ||
	    (av != NULL && strcmp(av, t->res->gv) != 0)) {
		ks_resp_status(resp, 400, "BadRequest", NULL,
		    "the API version in the data (%s) does not match the "
		    "expected API version (%s) or kind %s is not %s",
		    av != NULL ? av : "", t->res->gv, kind != NULL ? kind : "",
		    t->res->kind);
		return false;
	}
	meta = ks_obj(obj, "metadata");
	name = ks_str(obj, "metadata.name");
	ns = ks_str(obj, "metadata.namespace");
	if (t->name[0] != '\0') {
		if (name != NULL && strcmp(name, t->name) != 0) {
			ks_resp_status(resp, 400, "BadRequest", NULL,
			    "the name of the object (%s) does not match the "
			    "name on the URL (%s)",
			    name, t->name);
			return false;
		}
		json_object_set_new(meta, "name", json_string(t->name));
	} else if (name == NULL || *name == '\0') {
		ks_resp_status(resp, 422, "Invalid",
		    json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "kind",
			t->res->plural, "causes", "reason",
			"FieldValueRequired", "message", "Required value",
			"field", "metadata.name"),
		    "%s is invalid: metadata.name: Required value",
		    t->res->kind);
		return false;
	}
	if (t->res->namespaced) {
		if (ns != NULL && *ns != '\0' && strcmp(ns, t->ns) != 0) {
			ks_resp_status(resp, 400, "BadRequest", NULL,
			    "the namespace of the provided object does not "
			    "match the namespace sent on the request");
			return false;
		}
		json_object_set_new(meta, "namespace", json_string(t->ns));
	} else
		json_object_del(meta, "namespace");
	return true;
}

static bool
rest_ns_ok(const struct rest_target *t, struct ks_resp *resp)
{
	json_t *nsobj;

	if (!t->res->namespaced)
		return true;
	nsobj = json_object_get(json_object_get(ks.colls, "namespaces"), t->ns);
	if (nsobj == NULL) {
		ks_resp_status(resp, 404, "NotFound",
		    json_pack(
			"{s:s, s:s}", "name", t->ns, "kind", "namespaces"),
		    "namespaces \"%s\" not found", t->ns);
		return false;
	}
	if (json_object_get(json_object_get(nsobj, "metadata"),
		"deletionTimestamp") != NULL) {
		ks_resp_status(resp, 403, "Forbidden",
		    json_pack(
			"{s:s, s:s}", "name", t->ns, "kind", "namespaces"),
		    "%s \"%s\" is forbidden: unable to create new content in "
		    "namespace %s because it is being terminated",
		    rest_what(t->res), t->name, t->ns);
		return false;
	}
	return true;
}

/* --- verbs -------------------------------------------------------------- */

static void
rest_get(
    const struct rest_target *t, const struct ks_req *req, struct ks_resp *resp)
{
	json_t *o = ks_store_get(t->res, t->ns, t->name);

	if (o == NULL) {
		rest_not_found(resp, t->res, t->name);
		return;
	}
	if (ks_table_wanted(req))
		resp->body = ks_table(t->res, o);
	else
		resp->body = json_incref(o);
}

/*
 * The key a continue token resumes after, or NULL when the token is not
 * ours or older than --continue-ttl (the real server's compaction makes
 * tokens expire after about five minutes).
 */
static const char *
rest_continue(const char *tok)
{
	const char *p, *q;
	char *end;
	long long made;

	if (strncmp(tok, "ks1:", 4) != 0 || (p = strchr(tok + 4, ':')) == NULL)
		return NULL;
	made = strtoll(p + 1, &end, 10);
	if (end == p + 1 || *end != ':')
		return NULL;
	q = end + 1;
	if ((long long)time(NULL) - made > (long long)ks.conf.continue_ttl)
		return NULL;
	return q;
}

static void
rest_list(
    const struct rest_target *t, const struct ks_req *req, struct ks_resp *resp)
{
	const char *cont = ks_req_arg(req, "continue");
	const char *limit_s = ks_req_arg(req, "limit");
	const char *const *keys;
	struct gd_err err = { 0 };
	json_t *sel = NULL, *coll, *o, *arr, *list, *it, *meta;
	size_t n, i, lo = 0, hi, limit = 0, got = 0;
	char kind[256], rv[32], bound[300], *tok;
	const char *from = NULL;
	char *end;

	if (ks_select_parse(&sel, ks_req_arg(req, "labelSelector"),
		ks_req_arg(req, "fieldSelector"), &err) < 0) {
		ks_resp_status(resp, 400, "BadRequest", NULL, "%s", err.msg);
		return;
	}
	if (limit_s != NULL && *limit_s != '\0') {
		limit = strtoul(limit_s, &end, 10);
		if (*end != '\0') {
			ks_resp_status(resp, 400, "BadRequest", NULL,
			    "limit: not a number: %s", limit_s);
			goto out;
		}
	}
	if (cont != NULL && *cont != '\0' &&
	    (from = rest_continue(cont)) == NULL) {
		ks_resp_status(resp, 410, "Expired", NULL,
		    "the provided continue parameter is too old to display a "
		    "consistent list result");
		goto out;
	}
	/* Keys sort as "ns/name", so a namespace is one range of them. */
	coll = ks_store_coll(t->res);
	n = ks_store_sorted(t->res, &keys);
	hi = n;
	if (t->has_ns) {
		snprintf(bound, sizeof(bound), "%s/", t->ns);
		lo = ks_store_lower(keys, n, bound);
		snprintf(bound, sizeof(bound), "%s0", t->ns);
		hi = ks_store_lower(keys, n, bound);
	}
	if (from != NULL) {
		i = ks_store_lower(keys, n, from);
		while (i < n && strcmp(keys[i], from) == 0)
			i++;
		if (i > lo)
			lo = i;
	}
	arr = json_array();
	for (i = lo; i < hi && (limit == 0 || got < limit); i++) {
		o = json_object_get(coll, keys[i]);
		if (o == NULL || (sel != NULL && !ks_select_match(sel, o)))
			continue;
		got++;
		if (ks_is_builtin(t->res)) {
			/* Built-in list items carry no kind (k8s#3030). */
			it = json_copy(o);
			json_object_del(it, "kind");
			json_object_del(it, "apiVersion");
			json_array_append_new(arr, it);
		} else
			json_array_append(arr, o);
	}
	snprintf(kind, sizeof(kind), "%sList", t->res->kind);
	snprintf(rv, sizeof(rv), "%llu", (unsigned long long)ks.rv);
	list = json_pack("{s:s, s:s, s:{s:s}, s:o}", "kind", kind, "apiVersion",
	    t->res->gv, "metadata", "resourceVersion", rv, "items", arr);
	if (i < hi) {
		meta = json_object_get(list, "metadata");
		xasprintf(&tok, "ks1:%s:%lld:%s", rv, (long long)time(NULL),
		    keys[i - 1]);
		json_object_set_new(meta, "continue", json_string(tok));
		if (sel == NULL)
			json_object_set_new(meta, "remainingItemCount",
			    json_integer((json_int_t)(hi - i)));
		free(tok);
	}
	if (ks_table_wanted(req)) {
		resp->body = ks_table(t->res, list);
		json_decref(list);
	} else
		resp->body = list;
out:
	json_decref(sel);
}

static void
rest_create(
    const struct rest_target *t, const struct ks_req *req, struct ks_resp *resp)
{
	char manager[128];
	json_t *obj = NULL;
	const char *name;

	if (!rest_body(req, &obj, resp) || !rest_check_obj(t, obj, resp))
		goto out;
	if (!rest_ns_ok(t, resp))
		goto out;
	name = ks_str(obj, "metadata.name");
	if (ks_store_get(t->res, t->ns, name) != NULL) {
		ks_resp_status(resp, 409, "AlreadyExists",
		    ks_details(t->res, name), "%s \"%s\" already exists",
		    rest_what(t->res), name);
		goto out;
	}
	json_object_del(ks_obj(obj, "metadata"), "resourceVersion");
	json_object_del(ks_obj(obj, "metadata"), "managedFields");
	rest_manager(manager, req);
	ks_apply_update(obj, NULL, manager, NULL);
	rest_commit(t->res, NULL, obj, NULL, rest_dry_run(req), resp);
	obj = NULL; /* now owned by the store */
out:
	json_decref(obj);
}

/* 409 when the body carries a resourceVersion that is not current. */
static bool
rest_rv_ok(const struct rest_target *t, const json_t *body, const json_t *live,
    struct ks_resp *resp)
{
	const char *want = ks_str(body, "metadata.resourceVersion");
	const char *have = ks_str(live, "metadata.resourceVersion");

	if (want == NULL || *want == '\0' ||
	    (have != NULL && strcmp(want, have) == 0))
		return true;
	ks_resp_status(resp, 409, "Conflict", ks_details(t->res, t->name),
	    "Operation cannot be fulfilled on %s \"%s\": the object has been "
	    "modified; please apply your changes to the latest version and "
	    "try again",
	    rest_what(t->res), t->name);
	return false;
}

static void
rest_replace(
    const struct rest_target *t, const struct ks_req *req, struct ks_resp *resp)
{
	char manager[128];
	json_t *obj = NULL, *live;

	if (!rest_body(req, &obj, resp) || !rest_check_obj(t, obj, resp))
		goto out;
	live = ks_store_get(t->res, t->ns, t->name);
	if (live == NULL) {
		rest_not_found(resp, t->res, t->name);
		goto out;
	}
	if (!rest_rv_ok(t, obj, live, resp))
		goto out;
	json_object_set_new(ks_obj(obj, "metadata"), "managedFields",
	    json_deep_copy(json_object_get(
		json_object_get(live, "metadata"), "managedFields")));
	rest_manager(manager, req);
	ks_apply_update(obj, live, manager, t->sub[0] ? t->sub : NULL);
	rest_commit(t->res, live, obj, t->sub[0] ? t->sub : NULL,
	    rest_dry_run(req), resp);
	obj = NULL; /* now owned by the store */
out:
	json_decref(obj);
}

static void
rest_apply(
    const struct rest_target *t, const struct ks_req *req, struct ks_resp *resp)
{
	const char *manager = ks_req_arg(req, "fieldManager");
	const char *force = ks_req_arg(req, "force");
	json_t *cfg = NULL, *live, *work = NULL, *causes = NULL;
	struct gd_err err = { 0 };

	if (manager == NULL || *manager == '\0') {
		ks_resp_status(resp, 400, "BadRequest", NULL,
		    "PATCH, application/apply-patch+yaml requires fieldManager "
		    "to be set");
		goto out;
	}
	if (!rest_body(req, &cfg, resp) || !rest_check_obj(t, cfg, resp))
		goto out;
	if (json_object_get(
		json_object_get(cfg, "metadata"), "managedFields") != NULL) {
		ks_resp_status(resp, 400, "BadRequest", NULL,
		    "metadata.managedFields must be nil");
		goto out;
	}
	live = ks_store_get(t->res, t->ns, t->name);
	if (live == NULL && !rest_ns_ok(t, resp))
		goto out;
	if (live != NULL && !rest_rv_ok(t, cfg, live, resp))
		goto out;
	if (live != NULL)
		work = json_deep_copy(live);
	if (ks_apply(&work, cfg, manager,
		force != NULL && strcmp(force, "true") == 0, &causes,
		&err) < 0) {
		if (err.code == GD_ECONFLICT)
			ks_resp_status(resp, 409, "Conflict",
			    json_pack("{s:s, s:s, s:s, s:o}", "name", t->name,
				"group", t->res->group, "kind", t->res->plural,
				"causes", causes),
			    "%s", err.msg);
		else {
			json_decref(causes);
			ks_resp_status(
			    resp, 422, "Invalid", NULL, "%s", err.msg);
		}
		causes = NULL;
		goto out;
	}
	rest_commit(t->res, live, work, t->sub[0] ? t->sub : NULL,
	    rest_dry_run(req), resp);
	work = NULL; /* now owned by the store */
out:
	json_decref(work);
	json_decref(cfg);
}

static void
rest_patch(
    const struct rest_target *t, const struct ks_req *req, struct ks_resp *resp)
{
	const char *ct = req->content_type != NULL ? req->content_type : "";
	json_t *patch = NULL, *live, *work = NULL, *mf;
	struct gd_err err = { 0 };
	char manager[128];
	int rc = 0;

	if (strncmp(ct, "application/apply-patch+yaml", 28) == 0) {
		rest_apply(t, req, resp);
		return;
	}
	if (strncmp(ct, "application/json-patch+json", 27) != 0 &&
	    strncmp(ct, "application/merge-patch+json", 28) != 0 &&
	    strncmp(ct, "application/strategic-merge-patch+json", 38) != 0) {
		ks_resp_status(resp, 415, "UnsupportedMediaType", NULL,
		    "the body of the request was in an unknown format - "
		    "accepted media types include: "
		    "application/json-patch+json, "
		    "application/merge-patch+json, "
		    "application/apply-patch+yaml");
		return;
	}
	if (strncmp(ct, "application/strategic", 21) == 0 &&
	    !ks_is_builtin(t->res)) {
		ks_resp_status(resp, 415, "UnsupportedMediaType", NULL,
		    "strategic merge patch is not supported for %s",
		    rest_what(t->res));
		return;
	}
	if (!rest_body(req, &patch, resp))
		goto out;
	live = ks_store_get(t->res, t->ns, t->name);
	if (live == NULL) {
		rest_not_found(resp, t->res, t->name);
		goto out;
	}
	if (json_is_object(patch) && !rest_rv_ok(t, patch, live, resp))
		goto out;
	work = json_deep_copy(live);
	if (strncmp(ct, "application/json-patch", 22) == 0)
		rc = ks_patch_json(&work, patch, &err);
	else if (!json_is_object(patch))
		rc =
		    gd_err_set(&err, GD_EINVAL, "patch body must be an object");
	else if (strncmp(ct, "application/merge", 17) == 0)
		ks_patch_merge(&work, patch);
	else
		rc = ks_patch_strategic(&work, patch, &err);
	if (rc < 0 || !json_is_object(work)) {
		ks_resp_status(resp, 422, "Invalid", NULL, "%s",
		    rc < 0 ? err.msg :
			     "the patch made the object not an "
			     "object");
		goto out;
	}
	if (!rest_check_obj(t, work, resp))
		goto out;
	/* managedFields may not be patched away by accident. */
	mf =
	    json_object_get(json_object_get(live, "metadata"), "managedFields");
	if (mf != NULL)
		json_object_set_new(ks_obj(work, "metadata"), "managedFields",
		    json_deep_copy(mf));
	rest_manager(manager, req);
	ks_apply_update(work, live, manager, t->sub[0] ? t->sub : NULL);
	rest_commit(t->res, live, work, t->sub[0] ? t->sub : NULL,
	    rest_dry_run(req), resp);
	work = NULL; /* now owned by the store */
out:
	json_decref(work);
	json_decref(patch);
}

/* --- delete ----------------------------------------------------------------
 */

static void
rest_delete(
    const struct rest_target *t, const struct ks_req *req, struct ks_resp *resp)
{
	const char *policy = ks_req_arg(req, "propagationPolicy");
	json_t *opts = NULL, *live, *pre, *dry;
	json_error_t jerr;
	const char *want;
	bool dryrun = rest_dry_run(req);

	if (req->body_len > 0) {
		opts = json_loadb(req->body, req->body_len, 0, &jerr);
		if (!json_is_object(opts)) {
			ks_resp_status(resp, 400, "BadRequest", NULL,
			    "DeleteOptions: not a JSON object");
			goto out;
		}
		if (json_is_string(json_object_get(opts, "propagationPolicy")))
			policy = json_string_value(
			    json_object_get(opts, "propagationPolicy"));
		if (json_object_get(opts, "orphanDependents") == json_true())
			policy = "Orphan";
		dry = json_object_get(opts, "dryRun");
		if (json_is_array(dry) && json_array_size(dry) > 0)
			dryrun = true;
	}
	if (policy != NULL && strcmp(policy, "Foreground") != 0 &&
	    strcmp(policy, "Background") != 0 &&
	    strcmp(policy, "Orphan") != 0) {
		ks_resp_status(resp, 422, "Invalid", NULL,
		    "DeleteOptions.propagationPolicy: Unsupported value: "
		    "\"%s\"",
		    policy);
		goto out;
	}
	live = ks_store_get(t->res, t->ns, t->name);
	if (live == NULL) {
		rest_not_found(resp, t->res, t->name);
		goto out;
	}
	pre = json_object_get(opts, "preconditions");
	if ((want = json_string_value(json_object_get(pre, "uid"))) != NULL &&
	    strcmp(want, ks_str(live, "metadata.uid")) != 0) {
		ks_resp_status(resp, 409, "Conflict",
		    ks_details(t->res, t->name),
		    "Precondition failed: UID in precondition: %s, UID in "
		    "object meta: %s",
		    want, ks_str(live, "metadata.uid"));
		goto out;
	}
	if ((want = json_string_value(
		 json_object_get(pre, "resourceVersion"))) != NULL &&
	    strcmp(want, ks_str(live, "metadata.resourceVersion")) != 0) {
		ks_resp_status(resp, 409, "Conflict",
		    ks_details(t->res, t->name),
		    "Precondition failed: ResourceVersion in precondition: %s, "
		    "ResourceVersion in object meta: %s",
		    want, ks_str(live, "metadata.resourceVersion"));
		goto out;
	}
	if (dryrun) {
		resp->body = json_incref(live);
		goto out;
	}
	resp->body = ks_gc_delete(t->res, live, policy);
	ks_gc_run();
out:
	json_decref(opts);
}

static void
rest_delete_coll(
    const struct rest_target *t, const struct ks_req *req, struct ks_resp *resp)
{
	struct gd_err err = { 0 };
	json_t *sel = NULL, *coll, *o, *victims;
	const char *k, *ns;
	size_t i;

	if (ks_select_parse(&sel, ks_req_arg(req, "labelSelector"),
		ks_req_arg(req, "fieldSelector"), &err) < 0) {
		ks_resp_status(resp, 400, "BadRequest", NULL, "%s", err.msg);
		return;
	}
	victims = json_array();
	coll = ks_store_coll(t->res);
	json_object_foreach(coll, k, o) {
		ns = ks_str(o, "metadata.namespace");
		if (t->has_ns && (ns == NULL || strcmp(ns, t->ns) != 0))
			continue;
		if (sel == NULL || ks_select_match(sel, o))
			json_array_append(victims, o);
	}
	json_array_foreach(victims, i, o)
		json_decref(ks_gc_delete(
		    t->res, o, ks_req_arg(req, "propagationPolicy")));
	ks_gc_run();
	ks_resp_status(resp, 200, "", NULL, "deleted");
	json_object_del(resp->body, "reason");
	json_object_del(resp->body, "message");
	json_decref(victims);
	json_decref(sel);
}

/* --- the scale subresource ------------------------------------------------ */

static json_t *
rest_scale_of(const json_t *obj)
{
	json_t *m = json_object_get(obj, "metadata");
	json_t *sel = json_object_get(
	    json_object_get(json_object_get(obj, "spec"), "selector"),
	    "matchLabels");
	json_t *st = json_object_get(obj, "status");
	struct gd_buf b;
	const char *k;
	json_t *v, *scale;

	gd_buf_init(&b);
	json_object_foreach(sel, k, v) {
		if (b.len > 0)
			gd_buf_addc(&b, ',');
		gd_buf_printf(&b, "%s=%s", k,
		    json_string_value(v) ? json_string_value(v) : "");
	}
	scale = json_pack("{s:s, s:s, s:{s:O, s:O, s:O, s:O, s:O}, s:{s:I},"
			  " s:{s:I, s:s}}",
	    "kind", "Scale", "apiVersion", "autoscaling/v1", "metadata", "name",
	    json_object_get(m, "name"), "namespace",
	    json_object_get(m, "namespace"), "uid", json_object_get(m, "uid"),
	    "resourceVersion", json_object_get(m, "resourceVersion"),
	    "creationTimestamp", json_object_get(m, "creationTimestamp"),
	    "spec", "replicas",
	    json_integer_value(
		json_object_get(json_object_get(obj, "spec"), "replicas")),
	    "status", "replicas",
	    json_integer_value(json_object_get(st, "replicas")), "selector",
	    b.data != NULL ? b.data : "");
	gd_buf_dispose(&b);
	return scale;
}

/*
 * GET, PUT and PATCH of .../scale: a Scale view of spec.replicas. A write
 * becomes a write of the object itself, so generation and the rollout
 * follow.
 */
static void
rest_scale(
    const struct rest_target *t, const struct ks_req *req, struct ks_resp *resp)
{
	const char *ct = req->content_type != NULL ? req->content_type : "";
	json_t *live, *scale = NULL, *body = NULL, *work = NULL;
	struct gd_err err = { 0 };
	json_t *rep;
	int rc = 0;

	live = ks_store_get(t->res, t->ns, t->name);
	if (live == NULL || !(t->res->flags & KS_RES_SCALE)) {
		rest_not_found(resp, t->res, t->name);
		return;
	}
	scale = rest_scale_of(live);
	if (strcmp(req->method, "GET") == 0) {
		resp->body = scale;
		return;
	}
	if (!rest_body(req, &body, resp))
		goto out;
	if (strcmp(req->method, "PUT") == 0) {
		json_decref(scale);
		scale = json_incref(body);
	} else if (strncmp(ct, "application/json-patch", 22) == 0)
		rc = ks_patch_json(&scale, body, &err);
	else if (strncmp(ct, "application/merge", 17) == 0 ||
	    strncmp(ct, "application/strategic", 21) == 0)
		ks_patch_merge(&scale, body);
	else {
		ks_resp_status(resp, 415, "UnsupportedMediaType", NULL,
		    "unsupported patch type %s for scale", ct);
		goto out;
	}
	rep = json_object_get(json_object_get(scale, "spec"), "replicas");
	if (rc < 0 || !json_is_integer(rep) || json_integer_value(rep) < 0) {
		ks_resp_status(resp, 422, "Invalid", NULL,
		    "Scale.autoscaling \"%s\" is invalid: spec.replicas: %s",
		    t->name, rc < 0 ? err.msg : "must be a whole number >= 0");
		goto out;
	}
	work = json_deep_copy(live);
	json_object_set(ks_obj(work, "spec"), "replicas", rep);
	ks_apply_update(work, live, "kubectl-scale", NULL);
	rest_commit(t->res, live, work, NULL, rest_dry_run(req), resp);
	work = resp->body; /* the stored object */
	resp->body = rest_scale_of(work);
	json_decref(work);
	work = NULL;
out:
	json_decref(work);
	json_decref(body);
	json_decref(scale);
}

/* --- dispatch ------------------------------------------------------------ */

void
ks_rest_serve(const struct ks_req *req, struct ks_resp *resp)
{
	struct rest_target t;
	const char *m = req->method;
	const char *w = ks_req_arg(req, "watch");

	if (!rest_parse(req->path, &t, resp))
		return;
	if (t.name[0] == '\0') {
		if (strcmp(m, "GET") == 0 && w != NULL &&
		    (strcmp(w, "true") == 0 || strcmp(w, "1") == 0))
			ks_watch_start(
			    t.res, t.has_ns ? t.ns : NULL, req, resp);
		else if (strcmp(m, "GET") == 0)
			rest_list(&t, req, resp);
		else if (strcmp(m, "POST") == 0 &&
		    (t.has_ns || !t.res->namespaced))
			rest_create(&t, req, resp);
		else if (strcmp(m, "DELETE") == 0)
			rest_delete_coll(&t, req, resp);
		else
			ks_resp_status(resp, 405, "MethodNotAllowed", NULL,
			    "the server does not allow this method on the "
			    "requested resource");
		return;
	}
	if (t.res->namespaced && !t.has_ns) {
		ks_resp_status(resp, 404, "NotFound", NULL,
		    "the server could not find the requested resource");
		return;
	}
	if (strcmp(t.sub, "scale") == 0) {
		rest_scale(&t, req, resp);
		return;
	}
	if (strcmp(t.sub, "finalize") == 0)
		t.sub[0] = '\0';
	if (strcmp(m, "GET") == 0)
		rest_get(&t, req, resp);
	else if (strcmp(m, "PUT") == 0)
		rest_replace(&t, req, resp);
	else if (strcmp(m, "PATCH") == 0)
		rest_patch(&t, req, resp);
	else if (strcmp(m, "DELETE") == 0 && t.sub[0] == '\0')
		rest_delete(&t, req, resp);
	else
		ks_resp_status(resp, 405, "MethodNotAllowed", NULL,
		    "the server does not allow this method on the requested "
		    "resource");
}
