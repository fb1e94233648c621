/* SPDX-License-Identifier: ISC */
/*
 * kubesim's own logic without sockets: the patch types, server-side apply
 * and its field ownership, selectors, LIST paging, the watch ring and its
 * 410, garbage collection by owner references, and faults. The same
 * kubesim code kubectl is run against in tests/integration/kubectl.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/ydoc.h"

#include "kubesim.h"

/* --- helpers ---------------------------------------------------------- */

static json_t *
J(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);

	if (v == NULL)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	return v;
}

static void
assert_json(const json_t *got, const char *want)
{
	json_t *w = J(want);
	char *g;

	if (!json_equal(got, w)) {
		g = json_dumps(
		    got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		fail_msg("got %s\nwant %s", g, want);
	}
	json_decref(w);
}

/*
 * One request through discovery and REST, as http.c dispatches it. query
 * is a JSON object of parameters or NULL.
 */
static struct ks_resp
call(const char *method, const char *path, const char *query, const char *ct,
    const char *body)
{
	struct ks_req req = { 0 };
	struct ks_resp resp = { 0 };

	req.method = method;
	req.path = path;
	req.query = query != NULL ? J(query) : json_object();
	req.content_type = ct != NULL ? ct : "application/json";
	req.body = body != NULL ? body : "";
	req.body_len = strlen(req.body);
	req.user_agent = "test/1.0";
	resp.status = 200;
	pthread_mutex_lock(&ks.lock);
	if (!ks_faults_take(&req, &resp) && !ks_discovery_serve(&req, &resp))
		ks_rest_serve(&req, &resp);
	pthread_mutex_unlock(&ks.lock);
	json_decref(req.query);
	return resp;
}

static void
dispose(struct ks_resp *r)
{
	json_decref(r->body);
	ks_watch_free(r->watch);
	memset(r, 0, sizeof(*r));
}

static int
setup(void **state)
{
	static bool once;

	(void)state;
	if (!once) {
		gd_core_init_json();
		log_init(GD_LOG_ERROR);
		pthread_mutex_init(&ks.lock, NULL);
		pthread_cond_init(&ks.changed, NULL);
		ks_discovery_init();
		once = true;
	}
	ks.conf.history = 64;
	ks.conf.continue_ttl = 300;
	ks.conf.bookmark_ms = 50;
	ks.conf.lb_ip = "192.0.2.10";
	ks.conf.minor = "32";
	ks.rv = 0;
	ks.ring_head = ks.ring_len = 0;
	ks_store_init();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	ks_store_dispose();
	return 0;
}

static const char *const web_json =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
    "{\"name\":\"web\",\"labels\":{\"app\":\"web\",\"tier\":\"front\"}},"
    "\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":"
    "\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
    "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\"},"
    "{\"name\":\"side\",\"image\":\"busybox\"}]}}}}";

#define DEPLOY "/apis/apps/v1/namespaces/default/deployments"

/* --- patches ------------------------------------------------------------- */

static void
test_kubesim__merge_patch_null_deletes(void **state)
{
	json_t *doc = J("{\"a\":{\"b\":1,\"c\":2},\"l\":[1,2]}");
	json_t *p = J("{\"a\":{\"b\":null,\"d\":3},\"l\":[3]}");

	(void)state;
	ks_patch_merge(&doc, p);
	assert_json(doc, "{\"a\":{\"c\":2,\"d\":3},\"l\":[3]}");
	json_decref(doc);
	json_decref(p);
}

static void
test_kubesim__json_patch_ops_and_errors(void **state)
{
	struct gd_err err = { 0 };
	json_t *doc = J("{\"a\":[1,2],\"b\":{\"c\":1}}");
	json_t *p = J("[{\"op\":\"add\",\"path\":\"/a/1\",\"value\":9},"
		      "{\"op\":\"replace\",\"path\":\"/b/c\",\"value\":2},"
		      "{\"op\":\"copy\",\"from\":\"/b\",\"path\":\"/d\"},"
		      "{\"op\":\"move\",\"from\":\"/d/c\",\"path\":\"/e\"},"
		      "{\"op\":\"remove\",\"path\":\"/a/0\"},"
		      "{\"op\":\"test\",\"path\":\"/e\",\"value\":2},"
		      "{\"op\":\"add\",\"path\":\"/a/-\",\"value\":7}]");
	json_t *bad = J("[{\"op\":\"remove\",\"path\":\"/nope/x\"}]");

	(void)state;
	assert_int_equal(ks_patch_json(&doc, p, &err), 0);
	assert_json(doc, "{\"a\":[9,2,7],\"b\":{\"c\":2},\"d\":{},\"e\":2}");
	assert_int_equal(ks_patch_json(&doc, bad, &err), GD_EINVAL);
	assert_non_null(strstr(err.msg, "/nope/x"));
	json_decref(doc);
	json_decref(p);
	json_decref(bad);
}

static void
test_kubesim__strategic_merge_uses_merge_keys(void **state)
{
	struct gd_err err = { 0 };
	json_t *doc = J("{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":"
			"\"x:1\",\"env\":[{\"name\":\"E\",\"value\":\"1\"}]},"
			"{\"name\":\"b\",\"image\":\"y:1\"}],\"ports\":[{"
			"\"containerPort\":80},{\"containerPort\":81}]},"
			"\"metadata\":{\"finalizers\":[\"f1\",\"f2\"]}}");
	json_t *p = J("{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":"
		      "\"x:2\",\"env\":[{\"name\":\"F\",\"value\":\"2\"}]},"
		      "{\"name\":\"b\",\"$patch\":\"delete\"},{\"name\":\"c\","
		      "\"image\":\"z\"}],\"ports\":[{\"containerPort\":81,"
		      "\"name\":\"m\"}]},\"metadata\":{"
		      "\"$deleteFromPrimitiveList/finalizers\":[\"f1\"]}}");

	(void)state;
	assert_int_equal(ks_patch_strategic(&doc, p, &err), 0);
	assert_json(doc,
	    "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x:2\","
	    "\"env\":[{\"name\":\"E\",\"value\":\"1\"},{\"name\":\"F\","
	    "\"value\":\"2\"}]},{\"name\":\"c\",\"image\":\"z\"}],\"ports\":[{"
	    "\"containerPort\":80},{\"containerPort\":81,\"name\":\"m\"}]},"
	    "\"metadata\":{\"finalizers\":[\"f2\"]}}");
	json_decref(p);
	/* $retainKeys drops what the patch does not list. */
	p = J("{\"spec\":{\"$retainKeys\":[\"containers\"]}}");
	assert_int_equal(ks_patch_strategic(&doc, p, &err), 0);
	assert_null(json_object_get(json_object_get(doc, "spec"), "ports"));
	json_decref(p);
	/* A keyed item without its key is an error naming the list. */
	p = J("{\"spec\":{\"containers\":[{\"image\":\"q\"}]}}");
	assert_int_equal(ks_patch_strategic(&doc, p, &err), GD_EINVAL);
	assert_non_null(strstr(err.msg, "containers[0]"));
	json_decref(p);
	json_decref(doc);
}

/* --- server-side apply ------------------------------------------------------
 */

static void
test_kubesim__apply_creates_then_conflicts(void **state)
{
	struct ks_resp r;
	json_t *causes;

	(void)state;
	r = call("PATCH", DEPLOY "/web", "{\"fieldManager\":\"a\"}",
	    "application/apply-patch+yaml", web_json);
	assert_int_equal(r.status, 201);
	assert_json(json_object_get(
			json_array_get(
			    json_object_get(json_object_get(r.body, "metadata"),
				"managedFields"),
			    0),
			"manager"),
	    "\"a\"");
	dispose(&r);
	/* Another manager setting an owned field to another value: 409. */
	r = call("PATCH", DEPLOY "/web", "{\"fieldManager\":\"b\"}",
	    "application/apply-patch+yaml",
	    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
	    "{\"name\":\"web\"},\"spec\":{\"replicas\":5}}");
	assert_int_equal(r.status, 409);
	assert_string_equal(ks_str(r.body, "reason"), "Conflict");
	assert_string_equal(ks_str(r.body, "message"),
	    "Apply failed with 1 conflict: conflict with \"a\" using apps/v1: "
	    ".spec.replicas");
	causes = json_object_get(json_object_get(r.body, "details"), "causes");
	assert_json(causes,
	    "[{\"reason\":\"FieldManagerConflict\",\"message\":\"conflict "
	    "with \\\"a\\\" using apps/v1\",\"field\":\".spec.replicas\"}]");
	dispose(&r);
	/* The same value is no conflict: the field becomes shared. */
	r = call("PATCH", DEPLOY "/web", "{\"fieldManager\":\"b\"}",
	    "application/apply-patch+yaml",
	    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
	    "{\"name\":\"web\"},\"spec\":{\"replicas\":3}}");
	assert_int_equal(r.status, 200);
	dispose(&r);
}

static void
test_kubesim__apply_force_and_removal(void **state)
{
	struct ks_resp r;
	json_t *d;

	(void)state;
	r = call("PATCH", DEPLOY "/web", "{\"fieldManager\":\"a\"}",
	    "application/apply-patch+yaml", web_json);
	dispose(&r);
	r = call("PATCH", DEPLOY "/web",
	    "{\"fieldManager\":\"b\",\"force\":\"true\"}",
	    "application/apply-patch+yaml",
	    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
	    "{\"name\":\"web\"},\"spec\":{\"replicas\":5}}");
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(r.body, "spec"), "replicas")),
	    5);
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_object_get(r.body, "metadata"), "generation")),
	    2);
	dispose(&r);
	/*
	 * a applies again without the tier label, the side container and
	 * replicas: all three were a's alone (replicas is b's now) and go,
	 * but replicas stays at b's value.
	 */
	r = call("PATCH", DEPLOY "/web", "{\"fieldManager\":\"a\"}",
	    "application/apply-patch+yaml",
	    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
	    "{\"name\":\"web\",\"labels\":{\"app\":\"web\"}},\"spec\":{"
	    "\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{"
	    "\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{"
	    "\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\"}]}}}}");
	assert_int_equal(r.status, 200);
	d = r.body;
	assert_json(json_object_get(json_object_get(d, "metadata"), "labels"),
	    "{\"app\":\"web\"}");
	assert_int_equal(
	    json_array_size(json_object_get(
		json_object_get(
		    json_object_get(json_object_get(d, "spec"), "template"),
		    "spec"),
		"containers")),
	    1);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(d, "spec"), "replicas")),
	    5);
	dispose(&r);
}

static void
test_kubesim__apply_dry_run_and_errors(void **state)
{
	struct ks_resp r;

	(void)state;
	r = call("PATCH", DEPLOY "/web",
	    "{\"fieldManager\":\"a\",\"dryRun\":\"All\"}",
	    "application/apply-patch+yaml", web_json);
	assert_int_equal(r.status, 201);
	/* Defaulted as if stored, but not stored. */
	assert_string_equal(
	    ks_str(r.body, "spec.strategy.type"), "RollingUpdate");
	dispose(&r);
	r = call("GET", DEPLOY "/web", NULL, NULL, NULL);
	assert_int_equal(r.status, 404);
	assert_string_equal(
	    ks_str(r.body, "message"), "deployments.apps \"web\" not found");
	dispose(&r);
	r = call("PATCH", DEPLOY "/web", NULL, "application/apply-patch+yaml",
	    web_json);
	assert_int_equal(r.status, 400);
	dispose(&r);
	/* YAML bodies, and their errors with a position. */
	r = call("PATCH", DEPLOY "/web", "{\"fieldManager\":\"a\"}",
	    "application/apply-patch+yaml", "kind: [\n");
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(ks_str(r.body, "message"), "body:"));
	dispose(&r);
	r = call("PATCH", "/apis/apps/v1/namespaces/nowhere/deployments/web",
	    "{\"fieldManager\":\"a\"}", "application/apply-patch+yaml",
	    web_json);
	assert_int_equal(r.status, 404);
	assert_string_equal(
	    ks_str(r.body, "message"), "namespaces \"nowhere\" not found");
	dispose(&r);
}

/* --- list, selectors, watch --------------------------------------------------
 */

static void
make_cms(int from, int n)
{
	struct ks_resp r;
	char body[256];
	int i;

	for (i = from; i < from + n; i++) {
		snprintf(body, sizeof(body),
		    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
		    "\"metadata\":"
		    "{\"name\":\"cm-%03d\",\"labels\":{\"i\":\"%d\"}}}",
		    i, i % 3);
		r = call("POST", "/api/v1/namespaces/default/configmaps", NULL,
		    NULL, body);
		assert_int_equal(r.status, 201);
		dispose(&r);
	}
}

static void
test_kubesim__list_pages_and_selects(void **state)
{
	struct ks_resp r;
	char q[256];
	const char *cont;
	int pages = 0, items = 0;

	(void)state;
	make_cms(0, 25);
	snprintf(q, sizeof(q), "{\"limit\":\"10\"}");
	for (;;) {
		r = call("GET", "/api/v1/namespaces/default/configmaps", q,
		    NULL, NULL);
		assert_int_equal(r.status, 200);
		assert_string_equal(ks_str(r.body, "kind"), "ConfigMapList");
		/* Items of built-in lists carry no kind. */
		assert_null(json_object_get(
		    json_array_get(json_object_get(r.body, "items"), 0),
		    "kind"));
		items += (int)json_array_size(json_object_get(r.body, "items"));
		pages++;
		cont = ks_str(r.body, "metadata.continue");
		if (cont == NULL) {
			dispose(&r);
			break;
		}
		snprintf(q, sizeof(q), "{\"limit\":\"10\",\"continue\":\"%s\"}",
		    cont);
		dispose(&r);
	}
	assert_int_equal(pages, 3);
	assert_int_equal(items, 25);
	r = call("GET", "/api/v1/configmaps",
	    "{\"labelSelector\":\"i in (1,2),i!=2\",\"fieldSelector\":"
	    "\"metadata.namespace=default\"}",
	    NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(r.body, "items")), 8);
	dispose(&r);
	r = call("GET", "/api/v1/configmaps", "{\"labelSelector\":\"i in (\"}",
	    NULL, NULL);
	assert_int_equal(r.status, 400);
	dispose(&r);
	r = call("GET", "/api/v1/configmaps", "{\"continue\":\"garbage\"}",
	    NULL, NULL);
	assert_int_equal(r.status, 410);
	dispose(&r);
	/* A token older than --continue-ttl has expired. */
	r = call("GET", "/api/v1/configmaps",
	    "{\"continue\":\"ks1:9:1000:default/cm-001\"}", NULL, NULL);
	assert_int_equal(r.status, 410);
	assert_string_equal(ks_str(r.body, "reason"), "Expired");
	dispose(&r);
}

/* Reads a whole (ended) watch stream into a JSON array of events. */
static json_t *
read_watch(struct ks_watch *w)
{
	struct gd_buf b;
	json_t *evs = json_array();
	char buf[512], *line, *p;
	long n;

	gd_buf_init(&b);
	while ((n = ks_watch_read(w, buf, sizeof(buf))) >= 0)
		gd_buf_add(&b, buf, (size_t)n);
	p = b.data;
	while (p != NULL && (line = strsep(&p, "\n")) != NULL)
		if (*line != '\0')
			json_array_append_new(evs, J(line));
	gd_buf_dispose(&b);
	return evs;
}

static void
test_kubesim__watch_replays_and_expires(void **state)
{
	struct ks_resp r = { 0 };
	struct ks_req req = { 0 };
	struct ks_resource *cms = ks_discovery_find("", "v1", "configmaps");
	json_t *evs;

	(void)state;
	make_cms(0, 3);
	req.query = J("{\"resourceVersion\":\"5\",\"timeoutSeconds\":\"0\"}");
	pthread_mutex_lock(&ks.lock);
	ks_watch_start(cms, "default", &req, &r);
	pthread_mutex_unlock(&ks.lock);
	evs = read_watch(r.watch);
	/* 4 namespaces were rv 1-4, the configmaps 5-7: 6 and 7 follow 5. */
	assert_int_equal(json_array_size(evs), 2);
	assert_string_equal(ks_str(json_array_get(evs, 0), "type"), "ADDED");
	assert_string_equal(
	    ks_str(json_array_get(evs, 1), "object.metadata.name"), "cm-002");
	json_decref(evs);
	dispose(&r);
	json_decref(req.query);

	/* A label change moves an object into and out of a selector. */
	req.query = J("{\"resourceVersion\":\"7\",\"timeoutSeconds\":\"0\","
		      "\"labelSelector\":\"i=9\"}");
	r = call("PATCH", "/api/v1/namespaces/default/configmaps/cm-000", NULL,
	    "application/merge-patch+json",
	    "{\"metadata\":{\"labels\":{\"i\":\"9\"}}}");
	dispose(&r);
	r = call("PATCH", "/api/v1/namespaces/default/configmaps/cm-000", NULL,
	    "application/merge-patch+json",
	    "{\"metadata\":{\"labels\":{\"i\":\"8\"}}}");
	dispose(&r);
	pthread_mutex_lock(&ks.lock);
	ks_watch_start(cms, "default", &req, &r);
	pthread_mutex_unlock(&ks.lock);
	evs = read_watch(r.watch);
	assert_int_equal(json_array_size(evs), 2);
	assert_string_equal(ks_str(json_array_get(evs, 0), "type"), "ADDED");
	assert_string_equal(ks_str(json_array_get(evs, 1), "type"), "DELETED");
	json_decref(evs);
	dispose(&r);
	json_decref(req.query);

	/* 100 more events push rv 5 out of a 64-event history: 410. */
	make_cms(3, 100);
	req.query = J("{\"resourceVersion\":\"5\"}");
	pthread_mutex_lock(&ks.lock);
	ks_watch_start(cms, "default", &req, &r);
	pthread_mutex_unlock(&ks.lock);
	evs = read_watch(r.watch);
	assert_int_equal(json_array_size(evs), 1);
	assert_string_equal(ks_str(json_array_get(evs, 0), "type"), "ERROR");
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_object_get(json_array_get(evs, 0), "object"), "code")),
	    410);
	json_decref(evs);
	dispose(&r);
	json_decref(req.query);
}

/* --- delete ----------------------------------------------------------------
 */

static void
test_kubesim__delete_cascades_by_owner(void **state)
{
	struct ks_resp r;
	char body[512];
	const char *uid;

	(void)state;
	r = call("POST", "/api/v1/namespaces/default/configmaps", NULL, NULL,
	    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{"
	    "\"name\":\"owner\"}}");
	uid = ks_str(r.body, "metadata.uid");
	snprintf(body, sizeof(body),
	    "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":"
	    "\"dep\",\"finalizers\":[\"example.com/hold\"],\"ownerReferences\":"
	    "[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"owner\","
	    "\"uid\":\"%s\"}]}}",
	    uid);
	dispose(&r);
	r = call(
	    "POST", "/api/v1/namespaces/default/secrets", NULL, NULL, body);
	assert_int_equal(r.status, 201);
	dispose(&r);

	/* Foreground: the owner waits on its dependent's finalizer. */
	r = call("DELETE", "/api/v1/namespaces/default/configmaps/owner", NULL,
	    NULL, "{\"propagationPolicy\":\"Foreground\"}");
	assert_int_equal(r.status, 200);
	assert_non_null(ks_str(r.body, "metadata.deletionTimestamp"));
	dispose(&r);
	r = call(
	    "GET", "/api/v1/namespaces/default/secrets/dep", NULL, NULL, NULL);
	assert_non_null(ks_str(r.body, "metadata.deletionTimestamp"));
	dispose(&r);
	r = call("GET", "/api/v1/namespaces/default/configmaps/owner", NULL,
	    NULL, NULL);
	assert_int_equal(r.status, 200);
	dispose(&r);

	/* Removing the finalizer lets both go. */
	r = call("PATCH", "/api/v1/namespaces/default/secrets/dep", NULL,
	    "application/merge-patch+json",
	    "{\"metadata\":{\"finalizers\":null}}");
	assert_int_equal(r.status, 200);
	dispose(&r);
	pthread_mutex_lock(&ks.lock);
	ks_gc_run();
	pthread_mutex_unlock(&ks.lock);
	r = call(
	    "GET", "/api/v1/namespaces/default/secrets/dep", NULL, NULL, NULL);
	assert_int_equal(r.status, 404);
	dispose(&r);
	r = call("GET", "/api/v1/namespaces/default/configmaps/owner", NULL,
	    NULL, NULL);
	assert_int_equal(r.status, 404);
	dispose(&r);
}

/* --- discovery, conflicts on write, faults ---------------------------------
 */

static void
test_kubesim__discovery_and_crds(void **state)
{
	struct ks_resp r;

	(void)state;
	r = call("GET", "/apis/apps/v1", NULL, NULL, NULL);
	assert_string_equal(ks_str(r.body, "kind"), "APIResourceList");
	dispose(&r);
	r = call("POST",
	    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", NULL,
	    NULL,
	    "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":"
	    "\"CustomResourceDefinition\",\"metadata\":{\"name\":"
	    "\"widgets.example.com\"},\"spec\":{\"group\":\"example.com\","
	    "\"scope\":\"Namespaced\",\"names\":{\"plural\":\"widgets\","
	    "\"singular\":\"widget\",\"kind\":\"Widget\"},\"versions\":[{"
	    "\"name\":\"v1\",\"served\":true,\"storage\":true}]}}");
	assert_int_equal(r.status, 201);
	dispose(&r);
	r = call("GET", "/apis/example.com/v1", NULL, NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(
	    ks_str(json_array_get(json_object_get(r.body, "resources"), 0),
		"kind"),
	    "Widget");
	dispose(&r);
	r = call("PATCH", "/apis/example.com/v1/namespaces/default/widgets/w",
	    NULL, "application/strategic-merge-patch+json", "{}");
	assert_int_equal(r.status, 415);
	dispose(&r);
	r = call("DELETE",
	    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
	    "widgets.example.com",
	    NULL, NULL, NULL);
	dispose(&r);
	r = call("GET", "/apis/example.com/v1", NULL, NULL, NULL);
	assert_int_equal(r.status, 404);
	dispose(&r);
}

static void
test_kubesim__stale_put_and_faults(void **state)
{
	struct ks_req req = { 0 };
	struct ks_resp r = { 0 };

	(void)state;
	make_cms(0, 1);
	r = call("PUT", "/api/v1/namespaces/default/configmaps/cm-000", NULL,
	    NULL,
	    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{"
	    "\"name\":\"cm-000\",\"resourceVersion\":\"1\"}}");
	assert_int_equal(r.status, 409);
	assert_string_equal(ks_str(r.body, "reason"), "Conflict");
	dispose(&r);
	req.method = "POST";
	req.path = "/kubesim/faults";
	req.body = "{\"count\":1,\"status\":429,\"retryAfter\":2,"
		   "\"match\":\"cm-000\"}";
	req.body_len = strlen(req.body);
	ks_faults_serve(&req, &r);
	assert_int_equal(r.status, 0);
	dispose(&r);
	r = call("GET", "/api/v1/namespaces/default/configmaps/cm-000", NULL,
	    NULL, NULL);
	assert_int_equal(r.status, 429);
	assert_int_equal(r.retry_after, 2);
	dispose(&r);
	r = call("GET", "/api/v1/namespaces/default/configmaps/cm-000", NULL,
	    NULL, NULL);
	assert_int_equal(r.status, 200);
	dispose(&r);
}

/* --- protobuf bodies ---------------------------------------------------------
 */

static json_t *
proto_fixture(const char *name, struct gd_err *err)
{
	const char *src = getenv("GD_SRCDIR");
	struct gd_buf b;
	json_t *obj = NULL;
	char *path;

	xasprintf(&path, "%s/tests/fixtures/kubesim/proto/%s",
	    src != NULL ? src : ".", name);
	gd_buf_init(&b);
	if (gd_buf_read_file(&b, path, 0, err) < 0)
		fail_msg("%s", err->msg);
	ks_proto_decode(&obj, b.data, b.len, err);
	gd_buf_dispose(&b);
	free(path);
	return obj;
}

static void
test_kubesim__protobuf_bodies(void **state)
{
	struct gd_err err = { 0 };
	json_t *o;

	(void)state;
	o = proto_fixture("configmap.bin", &err);
	assert_json(o,
	    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{"
	    "\"name\":\"c1\",\"namespace\":\"default\",\"labels\":{\"app\":"
	    "\"demo\"}},\"data\":{\"a\":\"b\",\"c\":\"d\"},\"binaryData\":{"
	    "\"bin\":\"AAEC/w==\"},\"immutable\":true}");
	json_decref(o);
	o = proto_fixture("secret.bin", &err);
	assert_string_equal(ks_str(o, "data.pw"), "aHVudGVyMg==");
	assert_string_equal(ks_str(o, "type"), "Opaque");
	json_decref(o);
	/* Kinds it cannot read, and broken bodies, are refused by name. */
	assert_null(proto_fixture("deployment.bin", &err));
	assert_non_null(strstr(err.msg, "not Deployment: use kubectl apply"));
	assert_null(proto_fixture("truncated.bin", &err));
	assert_non_null(strstr(err.msg, "protobuf:"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubesim__merge_patch_null_deletes),
		cmocka_unit_test(test_kubesim__json_patch_ops_and_errors),
		cmocka_unit_test(test_kubesim__strategic_merge_uses_merge_keys),
		cmocka_unit_test_setup_teardown(
		    test_kubesim__apply_creates_then_conflicts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_kubesim__apply_force_and_removal, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_kubesim__apply_dry_run_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_kubesim__list_pages_and_selects, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_kubesim__watch_replays_and_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_kubesim__delete_cascades_by_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_kubesim__discovery_and_crds, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_kubesim__stale_put_and_faults, setup, teardown),
		cmocka_unit_test(test_kubesim__protobuf_bodies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
