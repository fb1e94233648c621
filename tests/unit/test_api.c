/* SPDX-License-Identifier: ISC */
/*
 * The api module without sockets: routing (parameters, literal over
 * parameter, 404 against 405), query and path decoding, JSON bodies, the
 * error shape for every gd_errcode, /api/version and /healthz, and the
 * static UI, embedded and from a web_root in a mkdtemp folder with
 * traversal attempts and symlinks that lead out of it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitopsd/core.h"
#include "gitopsd/api.h"

#define SECRET "top secret outside the web root"

struct fx {
	char tmp[64];
	char *root;
	struct gd_router *test; /* test_routes */
	struct gd_router *embed; /* gd_api_routes, embedded UI */
	struct gd_router *disk; /* gd_api_routes, web_root = root */
};

/* --- handlers of the test table: each echoes what it saw ----------------- */

static json_t *
echo_kvs(const struct gd_kvs *l)
{
	json_t *o = json_object();
	size_t i;

	/* The first of repeated names, as gd_req_query returns. */
	for (i = 0; i < l->n; i++)
		if (json_object_get(o, l->v[i].key) == NULL)
			json_object_set_new(
			    o, l->v[i].key, json_string(l->v[i].val));
	return o;
}

static int
echo(const char *name, struct gd_req *req, struct gd_resp *resp)
{
	gd_resp_json(resp, 200,
	    json_pack("{s:s, s:o, s:o, s:O?}", "route", name, "params",
		echo_kvs(&req->params), "query", echo_kvs(&req->query), "json",
		req->json));
	return 0;
}

static int
h_app_get(const struct gd_api_env *env, struct gd_req *req,
    struct gd_resp *resp, struct gd_err *err)
{
	return echo("app_get", req, resp);
}

static int
h_app_stream(const struct gd_api_env *env, struct gd_req *req,
    struct gd_resp *resp, struct gd_err *err)
{
	return echo("app_stream", req, resp);
}

static int
h_app_sync(const struct gd_api_env *env, struct gd_req *req,
    struct gd_resp *resp, struct gd_err *err)
{
	if (!json_is_object(req->json))
		return gd_err_set(err, GD_EINVAL, "sync: want an object");
	return echo("app_sync", req, resp);
}

static int
h_token(const struct gd_api_env *env, struct gd_req *req, struct gd_resp *resp,
    struct gd_err *err)
{
	return echo("token", req, resp);
}

static int
h_revision(const struct gd_api_env *env, struct gd_req *req,
    struct gd_resp *resp, struct gd_err *err)
{
	return echo("revision", req, resp);
}

/* Fails with the gd_errcode named by ?code=. */
static int
h_fail(const struct gd_api_env *env, struct gd_req *req, struct gd_resp *resp,
    struct gd_err *err)
{
	const char *c = gd_req_query(req, "code");

	gd_resp_json(resp, 200, json_pack("{s:s}", "partial", "body"));
	return gd_err_set(err, (int)strtol(c != NULL ? c : "-5", NULL, 10),
	    "application %s failed", gd_req_param(req, "name"));
}

static int
h_silent_fail(const struct gd_api_env *env, struct gd_req *req,
    struct gd_resp *resp, struct gd_err *err)
{
	return GD_EINVAL;
}

static const struct gd_route test_routes[] = {
	/* The parameter route comes first: the literal one must still win. */
	{ "GET", "/api/v1/applications/{name}", h_app_get, 0 },
	{ "GET", "/api/v1/applications/stream", h_app_stream, 0 },
	{ "POST", "/api/v1/applications/{name}/sync", h_app_sync,
	    GD_ROUTE_JSON },
	{ "POST", "/api/v1/projects/{project}/roles/{role}/token", h_token, 0 },
	{ "GET", "/api/v1/applications/{name}/revisions/{revision}/metadata",
	    h_revision, 0 },
	{ "DELETE", "/api/v1/applications/{name}", h_app_get, 0 },
	{ "GET", "/api/fail/{name}", h_fail, 0 },
	{ "GET", "/api/silent", h_silent_fail, 0 },
	{ NULL, NULL, NULL, 0 },
};

/* --- helpers ------------------------------------------------------------- */

static struct gd_req
treq(const char *method, const char *target, const char *body)
{
	struct gd_req req;

	gd_req_init(&req, method, target);
	if (body != NULL)
		gd_req_set_body(&req, body, strlen(body));
	return req;
}

/* Dispatches one request; the caller disposes resp. */
static void
run(struct gd_router *r, const char *method, const char *target,
    const char *body, struct gd_resp *resp)
{
	struct gd_req req = treq(method, target, body);

	gd_router_dispatch(r, &req, resp);
	gd_req_dispose(&req);
}

static const char *
jstr(const json_t *o, const char *path1, const char *path2)
{
	const json_t *v = json_object_get(o, path1);

	if (path2 != NULL)
		v = json_object_get(v, path2);
	return json_string_value(v);
}

static void
assert_error_body(
    const struct gd_resp *resp, int status, int grpc, const char *msg_part)
{
	const char *msg;

	assert_int_equal(resp->status, status);
	assert_non_null(resp->body);
	msg = json_string_value(json_object_get(resp->body, "message"));
	assert_non_null(msg);
	assert_string_equal(
	    msg, json_string_value(json_object_get(resp->body, "error")));
	assert_int_equal(
	    json_integer_value(json_object_get(resp->body, "code")), grpc);
	assert_string_equal(resp->content_type, "application/json");
	if (msg_part != NULL && strstr(msg, msg_part) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", msg, msg_part);
}

static char *
srcpath(const char *rel)
{
	const char *src = getenv("GD_SRCDIR");
	char *p;

	xasprintf(&p, "%s/%s", src != NULL ? src : ".", rel);
	return p;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
copy_fixture(const char *root, const char *rel)
{
	struct gd_buf b;
	char *src, *dst;

	gd_buf_init(&b);
	xasprintf(&dst, "tests/fixtures/api/webroot/%s", rel);
	src = srcpath(dst);
	free(dst);
	xasprintf(&dst, "%s/%s", root, rel);
	if (gd_buf_read_file(&b, src, 0, NULL) < 0)
		fail_msg("fixture %s missing (GD_SRCDIR?)", src);
	write_file(dst, b.data, b.len);
	gd_buf_dispose(&b);
	free(src);
	free(dst);
}

static void
rm_rf(const char *path)
{
	struct dirent *de;
	struct stat st;
	char *child;
	DIR *d;

	if (lstat(path, &st) == -1)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			xasprintf(&child, "%s/%s", path, de->d_name);
			rm_rf(child);
			free(child);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

/*
 * tmp/root holds the fixture UI plus binary files made here; tmp/outside
 * holds a secret that links inside root point at.
 */
static int
group_setup(void **state)
{
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n',
		0x1a, '\n' };
	static const unsigned char ico[] = { 0, 0, 1, 0, 1, 0 };
	static const unsigned char woff2[] = { 'w', 'O', 'F', '2', 0, 1 };
	static const char *const files[] = { "index.html", "app.js",
		"style.css", "data.json", "logo.svg", ".hidden",
		"sub/index.html" };
	struct gd_api_env env = { 0 };
	struct fx *fx = xcalloc(1, sizeof(*fx));
	char *p;
	size_t i;

	gd_core_init_json();
	snprintf(fx->tmp, sizeof(fx->tmp), "/tmp/test_api.XXXXXX");
	assert_non_null(mkdtemp(fx->tmp));
	xasprintf(&fx->root, "%s/root", fx->tmp);
	assert_int_equal(mkdir(fx->root, 0700), 0);
	xasprintf(&p, "%s/sub", fx->root);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		copy_fixture(fx->root, files[i]);
	xasprintf(&p, "%s/img.png", fx->root);
	write_file(p, png, sizeof(png));
	free(p);
	xasprintf(&p, "%s/favicon.ico", fx->root);
	write_file(p, ico, sizeof(ico));
	free(p);
	xasprintf(&p, "%s/font.woff2", fx->root);
	write_file(p, woff2, sizeof(woff2));
	free(p);
	xasprintf(&p, "%s/README", fx->root);
	write_file(p, "plain", 5);
	free(p);
	xasprintf(&p, "%s/outside", fx->tmp);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	xasprintf(&p, "%s/outside/secret.txt", fx->tmp);
	write_file(p, SECRET, strlen(SECRET));
	free(p);
	xasprintf(&p, "%s/secret.txt", fx->tmp);
	write_file(p, SECRET, strlen(SECRET));
	free(p);
	xasprintf(&p, "%s/escape.txt", fx->root);
	assert_int_equal(symlink("../outside/secret.txt", p), 0);
	free(p);
	xasprintf(&p, "%s/linkdir", fx->root);
	assert_int_equal(symlink("../outside", p), 0);
	free(p);

	assert_int_equal(gd_router_new(&fx->test, test_routes, &env, NULL), 0);
	assert_int_equal(
	    gd_router_new(&fx->embed, gd_api_routes, &env, NULL), 0);
	env.web_root = fx->root;
	assert_int_equal(
	    gd_router_new(&fx->disk, gd_api_routes, &env, NULL), 0);
	*state = fx;
	return 0;
}

static int
group_teardown(void **state)
{
	struct fx *fx = *state;

	gd_router_free(fx->test);
	gd_router_free(fx->embed);
	gd_router_free(fx->disk);
	rm_rf(fx->tmp);
	free(fx->root);
	free(fx);
	return 0;
}

/* --- routing ------------------------------------------------------------- */

static void
test_api__route_params_are_decoded_per_segment(void **state)
{
	struct fx *fx = *state;
	struct gd_resp resp = { 0 };

	run(fx->test, "GET", "/api/v1/applications/web%20ui", NULL, &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(jstr(resp.body, "route", NULL), "app_get");
	assert_string_equal(jstr(resp.body, "params", "name"), "web ui");

	/* An encoded slash stays inside its segment (a branch name). */
	run(fx->test, "GET",
	    "/api/v1/applications/web/revisions/feature%2Fx/metadata", NULL,
	    &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(jstr(resp.body, "params", "name"), "web");
	assert_string_equal(jstr(resp.body, "params", "revision"), "feature/x");

	run(fx->test, "POST", "/api/v1/projects/team-a/roles/ci/token", NULL,
	    &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(jstr(resp.body, "params", "project"), "team-a");
	assert_string_equal(jstr(resp.body, "params", "role"), "ci");
	gd_resp_dispose(&resp);
}

static void
test_api__literal_segment_beats_parameter(void **state)
{
	struct fx *fx = *state;
	struct gd_resp resp = { 0 };

	run(fx->test, "GET", "/api/v1/applications/stream", NULL, &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(jstr(resp.body, "route", NULL), "app_stream");
	assert_int_equal(
	    json_object_size(json_object_get(resp.body, "params")), 0);
	gd_resp_dispose(&resp);
}

static void
test_api__unknown_api_path_is_404_json(void **state)
{
	struct fx *fx = *state;
	struct gd_resp resp = { 0 };

	run(fx->test, "GET", "/api/v1/nothing", NULL, &resp);
	assert_error_body(&resp, 404, 5, "/api/v1/nothing");
	/* A trailing slash or an extra segment is another path. */
	run(fx->test, "GET", "/api/v1/applications/web/", NULL, &resp);
	assert_error_body(&resp, 404, 5, NULL);
	run(fx->test, "GET", "/api/v1/applications/web/extra/more", NULL,
	    &resp);
	assert_error_body(&resp, 404, 5, NULL);
	run(fx->test, "GET", "/api", NULL, &resp);
	assert_error_body(&resp, 404, 5, NULL);
	gd_resp_dispose(&resp);
}

static void
test_api__known_path_other_method_is_405_with_allow(void **state)
{
	struct fx *fx = *state;
	struct gd_resp resp = { 0 };

	run(fx->test, "PUT", "/api/v1/applications/web", NULL, &resp);
	assert_error_body(&resp, 405, 12, "PUT");
	assert_string_equal(
	    gd_resp_get_header(&resp, "Allow"), "GET, DELETE, HEAD");

	run(fx->test, "GET", "/api/v1/applications/web/sync", NULL, &resp);
	assert_error_body(&resp, 405, 12, NULL);
	assert_string_equal(gd_resp_get_header(&resp, "allow"), "POST");

	/* The UI is read-only. */
	run(fx->embed, "POST", "/index.html", "x", &resp);
	assert_error_body(&resp, 405, 12, NULL);
	assert_string_equal(gd_resp_get_header(&resp, "Allow"), "GET, HEAD");
	gd_resp_dispose(&resp);
}

static void
test_api__head_is_served_by_get_routes(void **state)
{
	struct fx *fx = *state;
	struct gd_resp resp = { 0 };

	run(fx->test, "HEAD", "/api/v1/applications/web", NULL, &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(jstr(resp.body, "route", NULL), "app_get");
	gd_resp_dispose(&resp);
}

static void
test_api__query_is_decoded(void **state)
{
	struct fx *fx = *state;
	struct gd_resp resp = { 0 };

	run(fx->test, "GET",
	    "/api/v1/applications/web?project=team%20a&refresh&q=a+b%2Bc&&"
	    "project=second",
	    NULL, &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(jstr(resp.body, "query", "project"), "team a");
	assert_string_equal(jstr(resp.body, "query", "refresh"), "");
	assert_string_equal(jstr(resp.body, "query", "q"), "a b+c");
	gd_resp_dispose(&resp);
}

static void
test_api__bad_escapes_are_400(void **state)
{
	static const char *const targets[] = {
		"/api/v1/applications/web?project=%zz",
		"/api/v1/applications/web?project=%4",
		"/api/v1/applications/web?na%00me=x",
		"/api/v1/applications/we%b",
		"/api/v1/applications/web%00.txt",
		"/index%.html",
	};
	struct fx *fx = *state;
	struct gd_resp resp = { 0 };
	size_t i;

	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		run(fx->test, "GET", targets[i], NULL, &resp);
		assert_error_body(&resp, 400, 3, "percent-encoding");
	}
	gd_resp_dispose(&resp);
}

static void
test_api__json_route_rejects_bad_json_with_position(void **state)
{
	struct fx *fx = *state;
	struct gd_resp resp = { 0 };

	run(fx->test, "POST", "/api/v1/applications/web/sync",
	    "{\n  \"revision\": \"main\",\n  \"prune\": tru\n}", &resp);
	assert_error_body(&resp, 400, 3, "line 3 column");

	run(fx->test, "POST", "/api/v1/applications/web/sync", NULL, &resp);
	assert_error_body(&resp, 400, 3, "body: empty");

	/* Handlers see the parsed body. */
	run(fx->test, "POST", "/api/v1/applications/web/sync",
	    "{\"revision\":\"main\",\"prune\":true}", &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(jstr(resp.body, "json", "revision"), "main");
	assert_true(json_is_true(
	    json_object_get(json_object_get(resp.body, "json"), "prune")));

	run(fx->test, "POST", "/api/v1/applications/web/sync", "[1]", &resp);
	assert_error_body(&resp, 400, 3, "sync: want an object");
	gd_resp_dispose(&resp);
}

static void
test_api__every_errcode_has_status_and_grpc_code(void **state)
{
	static const struct {
		int code, status, grpc;
	} map[] = {
		{ GD_EINVAL, 400, 3 },
		{ GD_ENOTFOUND, 404, 5 },
		{ GD_ECONFLICT, 409, 6 },
		{ GD_EUPSTREAM, 502, 14 },
		{ GD_EINTERNAL, 500, 13 },
		{ GD_EDENIED, 403, 7 },
		{ GD_EUNAUTH, 401, 16 },
		{ GD_ETOOBIG, 413, 8 },
		{ GD_EUNAVAIL, 503, 14 },
		{ -100, 500, 13 },
	};
	struct fx *fx = *state;
	struct gd_resp resp = { 0 };
	char target[128];
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		assert_int_equal(
		    gd_err_http_status(map[i].code), map[i].status);
		assert_int_equal(gd_err_grpc_code(map[i].code), map[i].grpc);
		/* Through a handler: its partial body must be replaced. */
		snprintf(target, sizeof(target), "/api/fail/guestbook?code=%d",
		    map[i].code);
		run(fx->test, "GET", target, NULL, &resp);
		assert_error_body(&resp, map[i].status, map[i].grpc,
		    "application guestbook failed");
		assert_null(json_object_get(resp.body, "partial"));
		assert_int_equal(json_object_size(resp.body), 3);
	}
	gd_resp_dispose(&resp);
}

static void
test_api__handler_failing_without_message_is_500(void **state)
{
	struct fx *fx = *state;
	struct gd_resp resp = { 0 };

	run(fx->test, "GET", "/api/silent", NULL, &resp);
	assert_error_body(&resp, 500, 13, "without a message");
	gd_resp_dispose(&resp);
}

static void
test_api__router_rejects_bad_tables(void **state)
{
	static const struct {
		struct gd_route rows[3];
		const char *msg;
	} bad[] = {
		{ { { "GET", "api/x", h_app_get, 0 } }, "start with /" },
		{ { { "GET", "/api/{}", h_app_get, 0 } }, "bad segment" },
		{ { { "GET", "/api/{x", h_app_get, 0 } }, "bad segment" },
		{ { { "GET", "/api/{a-b}", h_app_get, 0 } }, "bad segment" },
		{ { { "GET", "/api//x", h_app_get, 0 } }, "bad segment" },
		{ { { "GET", "/api/{x}/{x}", h_app_get, 0 } }, "repeats" },
		{ { { "get", "/api/x", h_app_get, 0 } }, "upper-case" },
		{ { { "GET", "/api/x", NULL, 0 } }, "no handler" },
		{ { { "GET", "/api/{a}", h_app_get, 0 },
		      { "GET", "/api/{b}", h_app_get, 0 } },
		    "clashes with /api/{a}" },
	};
	struct gd_router *r;
	struct gd_err err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gd_err_clear(&err);
		r = (struct gd_router *)&err;
		assert_int_equal(
		    gd_router_new(&r, bad[i].rows, NULL, &err), GD_EINVAL);
		assert_null(r);
		if (strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("row %zu: \"%s\" lacks \"%s\"", i, err.msg,
			    bad[i].msg);
	}
}

static void
test_api__responses_carry_request_id_and_nosniff(void **state)
{
	struct fx *fx = *state;
	struct gd_resp resp = { 0 };
	char *first;

	run(fx->embed, "GET", "/api/version", NULL, &resp);
	assert_string_equal(
	    gd_resp_get_header(&resp, "X-Content-Type-Options"), "nosniff");
	assert_non_null(gd_resp_get_header(&resp, "X-Request-Id"));
	first = xstrdup(gd_resp_get_header(&resp, "X-Request-Id"));
	run(fx->embed, "GET", "/api/nope", NULL, &resp);
	assert_string_equal(
	    gd_resp_get_header(&resp, "X-Content-Type-Options"), "nosniff");
	assert_string_not_equal(
	    gd_resp_get_header(&resp, "X-Request-Id"), first);
	free(first);
	gd_resp_dispose(&resp);
}

/* --- built-in handlers --------------------------------------------------- */

static void
test_api__version_has_argocd_fields(void **state)
{
	struct fx *fx = *state;
	struct gd_resp resp = { 0 };
	time_t t;

	run(fx->embed, "GET", "/api/version", NULL, &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(
	    jstr(resp.body, "Version", NULL), "v" PACKAGE_VERSION);
	assert_int_equal(
	    gd_time_parse(&t, jstr(resp.body, "BuildDate", NULL), NULL), 0);
	assert_string_equal(jstr(resp.body, "GitCommit", NULL), GD_GIT_COMMIT);
#if defined(__linux__) && defined(__x86_64__)
	assert_string_equal(jstr(resp.body, "Platform", NULL), "linux/amd64");
#endif
	assert_true(strlen(jstr(resp.body, "Compiler", NULL)) > 3);
	gd_resp_dispose(&resp);
}

static void
test_api__healthz_says_ok(void **state)
{
	struct fx *fx = *state;
	struct gd_resp resp = { 0 };

	run(fx->embed, "GET", "/healthz", NULL, &resp);
	assert_int_equal(resp.status, 200);
	assert_null(resp.body);
	assert_string_equal(resp.content_type, "text/plain; charset=utf-8");
	assert_int_equal(resp.len, 2);
	assert_memory_equal(resp.data, "ok", 2);
	gd_resp_dispose(&resp);
}

/* --- static files -------------------------------------------------------- */

static void
assert_file_served(struct gd_resp *resp, const char *type, const char *path)
{
	struct gd_buf want;

	gd_buf_init(&want);
	assert_int_equal(resp->status, 200);
	assert_null(resp->body);
	assert_string_equal(resp->content_type, type);
	assert_string_equal(gd_resp_get_header(resp, "Content-Security-Policy"),
	    "default-src 'self'");
	assert_string_equal(
	    gd_resp_get_header(resp, "Cache-Control"), "no-cache");
	assert_string_equal(
	    gd_resp_get_header(resp, "X-Content-Type-Options"), "nosniff");
	if (path != NULL) {
		assert_int_equal(gd_buf_read_file(&want, path, 0, NULL), 0);
		assert_int_equal(resp->len, want.len);
		assert_memory_equal(resp->data, want.data, want.len);
	}
	gd_buf_dispose(&want);
}

static void
test_api__embedded_ui_is_served(void **state)
{
	static const struct {
		const char *url, *file, *type;
	} files[] = {
		{ "/", "web/index.html", "text/html; charset=utf-8" },
		{ "/index.html", "web/index.html", "text/html; charset=utf-8" },
		{ "/app.js", "web/app.js", "text/javascript; charset=utf-8" },
		{ "/api.js", "web/api.js", "text/javascript; charset=utf-8" },
		{ "/style.css", "web/style.css", "text/css; charset=utf-8" },
		{ "/favicon.svg", "web/favicon.svg", "image/svg+xml" },
	};
	struct fx *fx = *state;
	struct gd_resp resp = { 0 };
	char *p;
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		p = srcpath(files[i].file);
		run(fx->embed, "GET", files[i].url, NULL, &resp);
		assert_file_served(&resp, files[i].type, p);
		free(p);
	}
	run(fx->embed, "HEAD", "/app.js", NULL, &resp);
	assert_int_equal(resp.status, 200);
	run(fx->embed, "GET", "/missing.js", NULL, &resp);
	assert_error_body(&resp, 404, 5, "/missing.js");
	gd_resp_dispose(&resp);
}

static void
test_api__web_root_serves_files_with_mime_types(void **state)
{
	static const struct {
		const char *url, *file, *type;
	} files[] = {
		{ "/", "index.html", "text/html; charset=utf-8" },
		{ "/sub/", "sub/index.html", "text/html; charset=utf-8" },
		{ "/sub/index.html", "sub/index.html",
		    "text/html; charset=utf-8" },
		{ "/app.js", "app.js", "text/javascript; charset=utf-8" },
		{ "/style.css", "style.css", "text/css; charset=utf-8" },
		{ "/data.json", "data.json", "application/json" },
		{ "/logo.svg", "logo.svg", "image/svg+xml" },
		{ "/img.png", "img.png", "image/png" },
		{ "/favicon.ico", "favicon.ico", "image/x-icon" },
		{ "/font.woff2", "font.woff2", "font/woff2" },
		{ "/README", "README", "application/octet-stream" },
		{ "/%61pp.js", "app.js", "text/javascript; charset=utf-8" },
	};
	struct fx *fx = *state;
	struct gd_resp resp = { 0 };
	char *p;
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		xasprintf(&p, "%s/%s", fx->root, files[i].file);
		run(fx->disk, "GET", files[i].url, NULL, &resp);
		assert_file_served(&resp, files[i].type, p);
		free(p);
	}
	/* web_root replaces the embedded UI, it does not add to it. */
	run(fx->disk, "GET", "/favicon.svg", NULL, &resp);
	assert_error_body(&resp, 404, 5, NULL);
	run(fx->disk, "GET", "/sub", NULL, &resp);
	assert_error_body(&resp, 404, 5, NULL);
	/* Routes still win over files. */
	run(fx->disk, "GET", "/healthz", NULL, &resp);
	assert_int_equal(resp.status, 200);
	assert_memory_equal(resp.data, "ok", 2);
	gd_resp_dispose(&resp);
}

static void
test_api__static_paths_cannot_leave_the_root(void **state)
{
	static const char *const urls[] = {
		"/../secret.txt",
		"/sub/../../secret.txt",
		"/%2e%2e/secret.txt",
		"/%2E%2E/%2e%2e/secret.txt",
		"/..%2fsecret.txt",
		"/sub%2f..%2f..%2fsecret.txt",
		"/..%5csecret.txt",
		"/%2fetc/passwd",
		"//etc/passwd",
		"/./index.html",
		"/escape.txt",
		"/linkdir/secret.txt",
		"/.hidden",
		"/sub/%2e",
		"/index.html%00.js",
	};
	struct fx *fx = *state;
	struct gd_resp resp = { 0 };
	size_t i;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		run(fx->disk, "GET", urls[i], NULL, &resp);
		if (resp.status != 400 && resp.status != 404)
			fail_msg("%s: status %d", urls[i], resp.status);
		assert_error_body(
		    &resp, resp.status, resp.status == 400 ? 3 : 5, NULL);
		/* The error names the URL, never the file system. */
		if (strstr(json_string_value(
			       json_object_get(resp.body, "message")),
			fx->tmp) != NULL)
			fail_msg("%s: message leaks the root", urls[i]);
		run(fx->embed, "GET", urls[i], NULL, &resp);
		if (resp.status != 400 && resp.status != 404)
			fail_msg(
			    "embedded %s: status %d", urls[i], resp.status);
	}
	gd_resp_dispose(&resp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_api__route_params_are_decoded_per_segment),
		cmocka_unit_test(test_api__literal_segment_beats_parameter),
		cmocka_unit_test(test_api__unknown_api_path_is_404_json),
		cmocka_unit_test(
		    test_api__known_path_other_method_is_405_with_allow),
		cmocka_unit_test(test_api__head_is_served_by_get_routes),
		cmocka_unit_test(test_api__query_is_decoded),
		cmocka_unit_test(test_api__bad_escapes_are_400),
		cmocka_unit_test(
		    test_api__json_route_rejects_bad_json_with_position),
		cmocka_unit_test(
		    test_api__every_errcode_has_status_and_grpc_code),
		cmocka_unit_test(
		    test_api__handler_failing_without_message_is_500),
		cmocka_unit_test(test_api__router_rejects_bad_tables),
		cmocka_unit_test(
		    test_api__responses_carry_request_id_and_nosniff),
		cmocka_unit_test(test_api__version_has_argocd_fields),
		cmocka_unit_test(test_api__healthz_says_ok),
		cmocka_unit_test(test_api__embedded_ui_is_served),
		cmocka_unit_test(
		    test_api__web_root_serves_files_with_mime_types),
		cmocka_unit_test(test_api__static_paths_cannot_leave_the_root),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
