/* SPDX-License-Identifier: ISC */
/*
 * The HTTP adapter over loopback: the only test that opens sockets. It
 * starts gitopsd's server on 127.0.0.1 port 0 and drives it with libcurl
 * (with CURLOPT_PATH_AS_IS, so traversal attempts reach the server as
 * written). It checks what the adapter owns: static files and headers on
 * the wire, JSON errors, body limits (announced and chunked), keep-alive,
 * listen errors, and a stop that lets a request in flight finish.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "gitopsd/core.h"
#include "gitopsd/api.h"

#define MAX_BODY 4096

struct fx {
	struct gd_api *api; /* gd_api_routes, embedded UI */
	int port;
	CURL *curl; /* one handle, so keep-alive can be observed */
};

struct reply {
	long status;
	long connects;
	struct gd_buf body;
	struct gd_buf headers;
	json_t *json;
};

/* A request body curl sends chunked, in pieces of up to 1000 bytes. */
struct upload {
	const char *data;
	size_t left;
};

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	gd_buf_add(arg, p, size * n);
	return size * n;
}

static size_t
upload_read(char *p, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t k = size * n;

	if (k > u->left)
		k = u->left;
	if (k > 1000)
		k = 1000;
	memcpy(p, u->data, k);
	u->data += k;
	u->left -= k;
	return k;
}

static void
reply_dispose(struct reply *r)
{
	gd_buf_dispose(&r->body);
	gd_buf_dispose(&r->headers);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

/*
 * Sends one request on fx's handle: body (if any) with a Content-Length,
 * or chunked (if not NULL) with Transfer-Encoding: chunked. r->json is
 * set when the reply parses.
 */
static void
http(struct fx *fx, const char *method, const char *path, const char *body,
    const char *chunked, struct reply *r)
{
	struct curl_slist *hdrs = NULL;
	struct upload up = { chunked, chunked != NULL ? strlen(chunked) : 0 };
	char url[512];
	CURLcode cc;

	reply_dispose(r);
	gd_buf_init(&r->body);
	gd_buf_init(&r->headers);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", fx->port, path);
	curl_easy_reset(fx->curl);
	curl_easy_setopt(fx->curl, CURLOPT_URL, url);
	curl_easy_setopt(fx->curl, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(fx->curl, CURLOPT_USERAGENT, "test_http/1");
	curl_easy_setopt(fx->curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(fx->curl, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(fx->curl, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(fx->curl, CURLOPT_HEADERDATA, &r->headers);
	curl_easy_setopt(fx->curl, CURLOPT_TIMEOUT, 20L);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(fx->curl, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(fx->curl, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(fx->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(
		    fx->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else if (chunked != NULL) {
		hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
		curl_easy_setopt(fx->curl, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(fx->curl, CURLOPT_READFUNCTION, upload_read);
		curl_easy_setopt(fx->curl, CURLOPT_READDATA, &up);
	}
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(fx->curl, CURLOPT_HTTPHEADER, hdrs);
	cc = curl_easy_perform(fx->curl);
	curl_slist_free_all(hdrs);
	if (cc != CURLE_OK)
		fail_msg("%s %s: %s", method, path, curl_easy_strerror(cc));
	curl_easy_getinfo(fx->curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(fx->curl, CURLINFO_NUM_CONNECTS, &r->connects);
	r->json = json_loadb(r->body.data, r->body.len, 0, NULL);
}

/* The value of a response header, in a static buffer; NULL if absent. */
static const char *
header(const struct reply *r, const char *name)
{
	static char val[512];
	const char *p, *eol;
	size_t n = strlen(name);

	for (p = r->headers.data; p != NULL && *p != '\0'; p = eol + 1) {
		if ((eol = strchr(p, '\n')) == NULL)
			break;
		if (strncasecmp(p, name, n) != 0 || p[n] != ':')
			continue;
		p += n + 1;
		while (*p == ' ')
			p++;
		snprintf(val, sizeof(val), "%.*s", (int)(eol - p), p);
		val[strcspn(val, "\r\n")] = '\0';
		return val;
	}
	return NULL;
}

static void
assert_error_json(const struct reply *r, long status, int grpc)
{
	assert_int_equal(r->status, status);
	assert_string_equal(header(r, "Content-Type"), "application/json");
	assert_non_null(r->json);
	assert_int_equal(
	    json_integer_value(json_object_get(r->json, "code")), grpc);
	assert_non_null(json_string_value(json_object_get(r->json, "message")));
	assert_string_equal(
	    json_string_value(json_object_get(r->json, "message")),
	    json_string_value(json_object_get(r->json, "error")));
}

static int
start_server(struct gd_api **api, const char *listen,
    const struct gd_route *routes, struct gd_err *err)
{
	struct gd_api_opts opts = { 0 };
	int rc;

	opts.listen = listen;
	opts.routes = routes;
	opts.max_body = MAX_BODY;
	opts.threads = 2;
	if ((rc = gd_api_new(api, &opts, err)) < 0)
		return rc;
	if ((rc = gd_api_start(*api, err)) < 0) {
		gd_api_free(*api);
		*api = NULL;
	}
	return rc;
}

static int
group_setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));
	struct gd_err err = { 0 };

	gd_core_init_json();
	log_init(getenv("GD_TEST_VERBOSE") != NULL ? GD_LOG_INFO : GD_LOG_WARN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (start_server(&fx->api, "127.0.0.1:0", NULL, &err) < 0)
		fail_msg("start: %s", err.msg);
	fx->port = gd_api_port(fx->api);
	assert_true(fx->port > 0);
	fx->curl = curl_easy_init();
	*state = fx;
	return 0;
}

static int
group_teardown(void **state)
{
	struct fx *fx = *state;

	curl_easy_cleanup(fx->curl);
	gd_api_free(fx->api);
	curl_global_cleanup();
	free(fx);
	return 0;
}

/* --- static files and routes on the wire --------------------------------- */

static void
test_http__root_serves_index_with_csp(void **state)
{
	struct fx *fx = *state;
	struct reply r = { 0 };
	struct gd_buf want;
	char *path;

	gd_buf_init(&want);
	xasprintf(&path, "%s/web/index.html",
	    getenv("GD_SRCDIR") != NULL ? getenv("GD_SRCDIR") : ".");
	assert_int_equal(gd_buf_read_file(&want, path, 0, NULL), 0);
	http(fx, "GET", "/", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(
	    header(&r, "Content-Type"), "text/html; charset=utf-8");
	assert_string_equal(
	    header(&r, "Content-Security-Policy"), "default-src 'self'");
	assert_string_equal(header(&r, "X-Content-Type-Options"), "nosniff");
	assert_string_equal(header(&r, "Cache-Control"), "no-cache");
	assert_int_equal(r.body.len, want.len);
	assert_memory_equal(r.body.data, want.data, want.len);

	/* HEAD: the same headers and length, no body. */
	http(fx, "HEAD", "/app.js", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(
	    header(&r, "Content-Type"), "text/javascript; charset=utf-8");
	assert_non_null(header(&r, "Content-Length"));
	assert_true(strtol(header(&r, "Content-Length"), NULL, 10) > 0);
	assert_int_equal(r.body.len, 0);
	reply_dispose(&r);
	gd_buf_dispose(&want);
	free(path);
}

static void
test_http__version_is_json(void **state)
{
	struct fx *fx = *state;
	struct reply r = { 0 };

	http(fx, "GET", "/api/version", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(header(&r, "Content-Type"), "application/json");
	assert_non_null(r.json);
	assert_string_equal(
	    json_string_value(json_object_get(r.json, "Version")),
	    "v" PACKAGE_VERSION);
	assert_non_null(header(&r, "X-Request-Id"));

	http(fx, "GET", "/healthz", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "ok");
	reply_dispose(&r);
}

static void
test_http__unknown_api_route_is_404_json(void **state)
{
	struct fx *fx = *state;
	struct reply r = { 0 };

	http(fx, "GET", "/api/v1/nothing?token=abc", NULL, NULL, &r);
	assert_error_json(&r, 404, 5);
	http(fx, "DELETE", "/api/version", NULL, NULL, &r);
	assert_error_json(&r, 405, 12);
	assert_string_equal(header(&r, "Allow"), "GET, HEAD");
	reply_dispose(&r);
}

static void
test_http__traversal_is_refused_over_the_wire(void **state)
{
	static const char *const paths[] = {
		"/..%2f..%2fetc/passwd",
		"/%2e%2e/%2e%2e/etc/passwd",
		"/static/../../x",
		"/../../../../etc/passwd",
		"/%2fetc%2fpasswd",
		"/..%5c..%5cetc/passwd",
		"/index.html%00",
	};
	struct fx *fx = *state;
	struct reply r = { 0 };
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		http(fx, "GET", paths[i], NULL, NULL, &r);
		if (r.status != 400 && r.status != 404)
			fail_msg("%s: status %ld", paths[i], r.status);
		assert_error_json(&r, r.status, r.status == 400 ? 3 : 5);
		assert_null(strstr(r.body.data, "root:"));
	}
	reply_dispose(&r);
}

/* Sends text on a new connection and returns what came back (static). */
static const char *
raw(struct fx *fx, const char *text)
{
	static char reply[4096];
	struct sockaddr_in sin;
	size_t n = 0;
	ssize_t k;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)fx->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	while (n + 1 < sizeof(reply) &&
	    (k = read(fd, reply + n, sizeof(reply) - 1 - n)) > 0)
		n += (size_t)k;
	reply[n] = '\0';
	close(fd);
	return reply;
}

static void
test_http__request_targets_other_than_a_path(void **state)
{
	struct fx *fx = *state;
	const char *r;

	/* Absolute-form, which HTTP/1.1 servers must accept. */
	r = raw(fx,
	    "GET http://example.com/api/version HTTP/1.1\r\n"
	    "Host: example.com\r\nConnection: close\r\n\r\n");
	assert_int_equal(strncmp(r, "HTTP/1.1 200", 12), 0);
	assert_non_null(strstr(r, "\"Version\":\"v" PACKAGE_VERSION "\""));
	/* Asterisk-form means nothing to us: a JSON 400, not a crash. */
	r = raw(fx, "GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_int_equal(strncmp(r, "HTTP/1.1 400", 12), 0);
	assert_non_null(strstr(r, "want an absolute path"));
}

/* --- bodies -------------------------------------------------------------- */

static void
test_http__body_over_limit_is_413(void **state)
{
	struct fx *fx = *state;
	struct reply r = { 0 };
	char *big = xmalloc(MAX_BODY + 2);

	memset(big, 'a', MAX_BODY + 1);
	big[MAX_BODY + 1] = '\0';
	/* Announced by Content-Length: refused before the body is read. */
	http(fx, "POST", "/api/v1/no-such-route", big, NULL, &r);
	assert_error_json(&r, 413, 8);
	assert_non_null(
	    strstr(json_string_value(json_object_get(r.json, "message")),
		"4096 bytes"));

	/* Found while reading a chunked body. */
	memset(big, 'b', MAX_BODY + 1);
	http(fx, "POST", "/api/v1/no-such-route", NULL, big, &r);
	assert_error_json(&r, 413, 8);

	/* At the limit is fine: the route just does not exist. */
	big[MAX_BODY] = '\0';
	http(fx, "POST", "/api/v1/no-such-route", big, NULL, &r);
	assert_error_json(&r, 404, 5);
	http(fx, "POST", "/api/v1/no-such-route", NULL, big, &r);
	assert_error_json(&r, 404, 5);
	reply_dispose(&r);
	free(big);
}

static void
test_http__endless_chunked_body_is_cut(void **state)
{
	struct fx *fx = *state;
	size_t len = 16 * 1024 * 1024;
	char *big = xmalloc(len);
	struct upload up = { big, len };
	struct curl_slist *hdrs = NULL;
	char url[128];
	long status = 0;
	CURLcode cc;

	/* Past the limit plus 8 MiB the server stops reading: no 16 MiB. */
	memset(big, 'z', len);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/x", fx->port);
	curl_easy_reset(fx->curl);
	hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
	curl_easy_setopt(fx->curl, CURLOPT_URL, url);
	curl_easy_setopt(fx->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(fx->curl, CURLOPT_CUSTOMREQUEST, "POST");
	curl_easy_setopt(fx->curl, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(fx->curl, CURLOPT_READDATA, &up);
	curl_easy_setopt(fx->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(fx->curl, CURLOPT_TIMEOUT, 20L);
	cc = curl_easy_perform(fx->curl);
	curl_easy_getinfo(fx->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	if (cc == CURLE_OK)
		fail_msg("the whole body was taken, status %ld", status);
	assert_true(up.left > 0);
	free(big);
}

/* Echoes what the handler saw of the request. */
static int
echo(const struct gd_api_env *env, struct gd_req *req, struct gd_resp *resp,
    struct gd_err *err)
{
	gd_resp_json(resp, 200,
	    json_pack("{s:I, s:O?, s:s?, s:s?, s:s?, s:s}", "len",
		(json_int_t)req->body_len, "json", req->json, "id",
		gd_req_param(req, "id"), "q", gd_req_query(req, "q"), "agent",
		gd_req_header(req, "user-agent"), "remote", req->remote));
	return 0;
}

static const struct gd_route echo_routes[] = {
	{ "POST", "/api/echo", echo, GD_ROUTE_JSON },
	{ "GET", "/api/items/{id}", echo, 0 },
	{ NULL, NULL, NULL, 0 },
};

static void
test_http__handlers_see_decoded_request_and_whole_body(void **state)
{
	struct fx fx = { 0 };
	struct reply r = { 0 };
	struct gd_err err = { 0 };
	struct gd_buf body;
	size_t i;

	if (start_server(&fx.api, "127.0.0.1:0", echo_routes, &err) < 0)
		fail_msg("start: %s", err.msg);
	fx.port = gd_api_port(fx.api);
	fx.curl = curl_easy_init();

	/* MHD must not decode the path before the router splits it. */
	http(&fx, "GET", "/api/items/a%2Fb%20c?q=x%26y+z", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(
	    json_string_value(json_object_get(r.json, "id")), "a/b c");
	assert_string_equal(
	    json_string_value(json_object_get(r.json, "q")), "x&y z");
	assert_string_equal(
	    json_string_value(json_object_get(r.json, "remote")), "127.0.0.1");
	assert_string_equal(
	    json_string_value(json_object_get(r.json, "agent")), "test_http/1");

	/* A chunked JSON body arrives whole, in many pieces. */
	gd_buf_init(&body);
	gd_buf_adds(&body, "{\"items\":[");
	for (i = 0; i < 300; i++)
		gd_buf_printf(&body, "%s%zu", i > 0 ? "," : "", i);
	gd_buf_adds(&body, "]}");
	assert_true(body.len > 1000 && body.len < MAX_BODY);
	http(&fx, "POST", "/api/echo", NULL, body.data, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(
	    json_integer_value(json_object_get(r.json, "len")), body.len);
	assert_int_equal(json_array_size(json_object_get(
			     json_object_get(r.json, "json"), "items")),
	    300);

	/* Bad JSON: 400 naming where. */
	http(&fx, "POST", "/api/echo", "{\"a\":\n  [1, 2,]}", NULL, &r);
	assert_error_json(&r, 400, 3);
	assert_non_null(
	    strstr(json_string_value(json_object_get(r.json, "message")),
		"line 2 column"));

	reply_dispose(&r);
	gd_buf_dispose(&body);
	curl_easy_cleanup(fx.curl);
	gd_api_free(fx.api);
}

/* --- connections --------------------------------------------------------- */

static void
test_http__keep_alive_reuses_the_connection(void **state)
{
	struct fx *fx = *state;
	struct reply r = { 0 };

	http(fx, "GET", "/api/version", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	http(fx, "GET", "/api/version", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.connects, 0);
	assert_null(header(&r, "Connection"));
	/* Also after a request with a body, and after an error. */
	http(fx, "POST", "/api/version", "{}", NULL, &r);
	assert_int_equal(r.status, 405);
	assert_int_equal(r.connects, 0);
	http(fx, "GET", "/missing.css", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	assert_int_equal(r.connects, 0);
	http(fx, "GET", "/style.css", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.connects, 0);
	reply_dispose(&r);
}

static void
test_http__taken_port_is_a_clear_error(void **state)
{
	struct fx *fx = *state;
	struct gd_api *api = NULL;
	struct gd_err err = { 0 };
	char listen[64], want[128];

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", fx->port);
	assert_int_equal(start_server(&api, listen, NULL, &err), GD_EINVAL);
	assert_null(api);
	snprintf(
	    want, sizeof(want), "listen %s: Address already in use", listen);
	assert_string_equal(err.msg, want);
}

static void
test_http__bad_listen_addresses_are_refused(void **state)
{
	static const struct {
		const char *listen, *msg;
	} bad[] = {
		{ "foo", "listen \"foo\": want HOST:PORT" },
		{ "127.0.0.1", "listen \"127.0.0.1\": want HOST:PORT" },
		{ "127.0.0.1:", "listen \"127.0.0.1:\": want HOST:PORT" },
		{ "127.0.0.1:99999",
		    "listen \"127.0.0.1:99999\": port \"99999\" is not "
		    "0-65535" },
		{ "127.0.0.1:http",
		    "listen \"127.0.0.1:http\": port \"http\" is not "
		    "0-65535" },
		{ "[::1:80", "listen \"[::1:80\": want [IPV6]:PORT" },
		{ "300.1.1.1:80", "listen \"300.1.1.1:80\": " },
	};
	struct gd_api_opts opts = { 0 };
	struct gd_api *api;
	struct gd_err err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gd_err_clear(&err);
		opts.listen = bad[i].listen;
		assert_int_equal(gd_api_new(&api, &opts, &err), GD_EINVAL);
		assert_null(api);
		if (strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)) != 0)
			fail_msg("%s: got \"%s\"", bad[i].listen, err.msg);
	}
	opts.listen = "127.0.0.1:0";
	opts.web_root = "/nonexistent/web";
	assert_int_equal(gd_api_new(&api, &opts, &err), GD_EINVAL);
	assert_string_equal(
	    err.msg, "web_root /nonexistent/web: No such file or directory");
}

struct slow_client {
	int port;
	int fd;
	char reply[512];
};

static void *
slow_client_finish(void *arg)
{
	struct slow_client *sc = arg;
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	size_t n = 0;
	ssize_t k;

	nanosleep(&ts, NULL);
	(void)!write(sc->fd, "cde", 3);
	while (n + 1 < sizeof(sc->reply) &&
	    (k = read(sc->fd, sc->reply + n, sizeof(sc->reply) - 1 - n)) > 0)
		n += (size_t)k;
	sc->reply[n] = '\0';
	return NULL;
}

static void
test_http__stop_lets_a_request_in_flight_finish(void **state)
{
	static const char head[] = "POST /api/v1/no-such-route HTTP/1.1\r\n"
				   "Host: x\r\nContent-Length: 5\r\n"
				   "Connection: close\r\n\r\nab";
	struct gd_api *api = NULL;
	struct gd_err err = { 0 };
	struct sockaddr_in sin;
	struct slow_client sc = { 0 };
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	pthread_t t;
	int i;

	if (start_server(&api, "127.0.0.1:0", NULL, &err) < 0)
		fail_msg("start: %s", err.msg);
	sc.port = gd_api_port(api);
	sc.fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(sc.fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)sc.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(
	    connect(sc.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(
	    write(sc.fd, head, sizeof(head) - 1), (ssize_t)(sizeof(head) - 1));
	/* Wait until the server has the headers: the request is in flight. */
	for (i = 0; i < 500 && gd_api_inflight(api) == 0; i++)
		nanosleep(&ts, NULL);
	assert_int_equal(gd_api_inflight(api), 1);
	assert_int_equal(pthread_create(&t, NULL, slow_client_finish, &sc), 0);
	gd_api_stop(api);
	pthread_join(t, NULL);
	close(sc.fd);
	if (strncmp(sc.reply, "HTTP/1.1 404", 12) != 0)
		fail_msg("reply after stop: \"%.40s\"", sc.reply);
	/* Stopped means no longer listening. */
	sc.fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_not_equal(
	    connect(sc.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	close(sc.fd);
	gd_api_free(api);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http__root_serves_index_with_csp),
		cmocka_unit_test(test_http__version_is_json),
		cmocka_unit_test(test_http__unknown_api_route_is_404_json),
		cmocka_unit_test(test_http__traversal_is_refused_over_the_wire),
		cmocka_unit_test(test_http__request_targets_other_than_a_path),
		cmocka_unit_test(test_http__body_over_limit_is_413),
		cmocka_unit_test(test_http__endless_chunked_body_is_cut),
		cmocka_unit_test(
		    test_http__handlers_see_decoded_request_and_whole_body),
		cmocka_unit_test(test_http__keep_alive_reuses_the_connection),
		cmocka_unit_test(test_http__taken_port_is_a_clear_error),
		cmocka_unit_test(test_http__bad_listen_addresses_are_refused),
		cmocka_unit_test(
		    test_http__stop_lets_a_request_in_flight_finish),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
