/* SPDX-License-Identifier: ISC */
/*
 * The libmicrohttpd adapter, and the only file that includes
 * <microhttpd.h>. It owns the listening socket (bound here so a taken
 * port is a clear error), MHD's thread pool, turning each MHD request
 * into a struct gd_req and each struct gd_resp into an MHD response, the
 * body limit, the access log and a graceful stop.
 *
 * The hard part is MHD's request state machine. The access handler runs
 * once when the headers are in, once per piece of body, and once at the
 * end. A response queued on the first call makes MHD 0.9.75 discard the
 * rest of the request and answer "Connection: close", which costs 7-10x
 * in throughput (reference/performance.md §6), so every normal response
 * is queued on a later call. The one exception is a Content-Length above
 * the limit: there the early answer and the close are exactly what we
 * want, since the body is never read. MHD also decodes the URL before we
 * see it, which would turn "%2f" into a separator; an identity unescape
 * callback keeps path and query raw, and req.c decodes them part by part.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api_int.h"

#define API_MAGIC      0x67646170u /* "gdap" */
#define HTTP_REQ_MAGIC 0x67646872u /* "gdhr" */

/* An idle or trickling connection is dropped after this (slowloris). */
#define HTTP_TIMEOUT_S 30
#define HTTP_MAX_CONNS 1024
/* How long gd_api_stop waits for requests already being served. */
#define HTTP_DRAIN_MS 10000
/*
 * A chunked body has no length up front, so the limit is found while
 * reading. MHD cannot answer in the middle of a body, so the excess is
 * read and dropped until the end, but only up to this much: past it the
 * connection is cut without an answer.
 */
#define HTTP_MAX_DROP (8 * 1024 * 1024)

struct gd_api {
	unsigned magic;
	char *listen;
	char *web_root;
	size_t max_body;
	unsigned threads;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct gd_router *router;
	struct MHD_Daemon *mhd;
	int fd;
	int port;
	atomic_uint inflight;
};

/* MHD wants a buffer even for an empty body. */
static char http_empty[1];

/* MHD's per-request context: lives from the first call to completion. */
struct http_req {
	unsigned magic;
	struct gd_api *api;
	struct gd_req req;
	struct gd_buf body;
	uint64_t t0;
	int status;
	size_t bytes;
	size_t dropped;
	bool too_big;
	bool queued;
};

/* --- listen address ------------------------------------------------------ */

static int
http_parse_listen(struct gd_api *api, const char *listen, struct gd_err *err)
{
	struct addrinfo hints, *res = NULL;
	const char *colon, *port;
	char *host = NULL;
	size_t hlen;
	long pnum;
	char *end;
	int rc = 0, gai;

	colon = strrchr(listen, ':');
	if (colon == NULL || colon[1] == '\0') {
		rc = gd_err_set(err, GD_EINVAL,
		    "listen \"%.128s\": want HOST:PORT", listen);
		goto out;
	}
	port = colon + 1;
	errno = 0;
	pnum = strtol(port, &end, 10);
	if (*end != '\0' || errno != 0 || pnum < 0 || pnum > 65535 ||
	    port[0] < '0' || port[0] > '9') {
		rc = gd_err_set(err, GD_EINVAL,
		    "listen \"%.128s\": port \"%.16s\" is not 0-65535", listen,
		    port);
		goto out;
	}
	hlen = (size_t)(colon - listen);
	if (hlen >= 2 && listen[0] == '[' && listen[hlen - 1] == ']')
		host = xstrndup(listen + 1, hlen - 2);
	else if (memchr(listen, '[', hlen) != NULL ||
	    memchr(listen, ']', hlen) != NULL) {
		rc = gd_err_set(err, GD_EINVAL,
		    "listen \"%.128s\": want [IPV6]:PORT", listen);
		goto out;
	} else
		host = xstrndup(listen, hlen);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	/* ":8080" is every IPv4 address, as most daemons read it. */
	gai =
	    getaddrinfo(host[0] != '\0' ? host : "0.0.0.0", port, &hints, &res);
	if (gai != 0 || res == NULL) {
		rc = gd_err_set(err, GD_EINVAL, "listen \"%.128s\": %s", listen,
		    gai != 0 ? gai_strerror(gai) : "no address");
		goto out;
	}
	memcpy(&api->addr, res->ai_addr, res->ai_addrlen);
	api->addrlen = res->ai_addrlen;
out:
	if (res != NULL)
		freeaddrinfo(res);
	free(host);
	return rc;
}

/* --- server lifecycle ---------------------------------------------------- */

int
gd_api_new(
    struct gd_api **out, const struct gd_api_opts *opts, struct gd_err *err)
{
	struct gd_api *api;
	struct gd_api_env env;
	struct stat st;
	long ncpu;
	int rc = 0;

	*out = NULL;
	api = xcalloc(1, sizeof(*api));
	api->magic = API_MAGIC;
	api->fd = -1;
	api->port = -1;
	api->listen =
	    xstrdup(opts->listen != NULL ? opts->listen : "127.0.0.1:8080");
	api->max_body = opts->max_body != 0 ? opts->max_body : GD_API_MAX_BODY;
	api->threads = opts->threads;
	if (api->threads == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		api->threads = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	if ((rc = http_parse_listen(api, api->listen, err)) < 0)
		goto out;
	if (opts->web_root != NULL) {
		if (stat(opts->web_root, &st) == -1) {
			rc = gd_err_set(err, GD_EINVAL, "web_root %.200s: %s",
			    opts->web_root, strerror(errno));
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			rc = gd_err_set(err, GD_EINVAL,
			    "web_root %.200s: not a directory", opts->web_root);
			goto out;
		}
		api->web_root = xstrdup(opts->web_root);
	}
	memset(&env, 0, sizeof(env));
	if (opts->env != NULL)
		env = *opts->env;
	env.web_root = api->web_root;
	if ((rc = gd_router_new(&api->router,
		 opts->routes != NULL ? opts->routes : gd_api_routes, &env,
		 err)) < 0)
		goto out;
	*out = api;
	api = NULL;
out:
	gd_api_free(api);
	return rc;
}

static int
http_socket(struct gd_api *api, struct gd_err *err)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, on = 1;

	fd = socket(api->addr.ss_family, SOCK_STREAM, 0);
	if (fd == -1)
		return gd_err_set(err, GD_EINTERNAL, "listen %.128s: %s",
		    api->listen, strerror(errno));
	/* A restart must not wait for the old connections' TIME_WAIT. */
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&api->addr, api->addrlen) == -1 ||
	    listen(fd, SOMAXCONN) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		gd_err_set(err, GD_EINVAL, "listen %.128s: %s", api->listen,
		    strerror(errno));
		close(fd);
		return GD_EINVAL;
	}
	if (ss.ss_family == AF_INET6)
		api->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		api->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	api->fd = fd;
	return 0;
}

static enum MHD_Result http_access(void *, struct MHD_Connection *,
    const char *, const char *, const char *, const char *, size_t *, void **);
static void http_completed(
    void *, struct MHD_Connection *, void **, enum MHD_RequestTerminationCode);
static void http_mhd_log(void *, const char *, va_list) GD_PRINTF(2, 0);

/* Keeps path and query as sent; req.c decodes each part on its own. */
static size_t
http_unescape_none(void *cls, struct MHD_Connection *c, char *s)
{
	return strlen(s);
}

static void
http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char *msg;
	size_t n;

	xvasprintf(&msg, fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_warnx("api: mhd: %s", msg);
	free(msg);
}

int
gd_api_start(struct gd_api *api, struct gd_err *err)
{
	unsigned int flags, pool;
	int rc;

	GD_CHECK_OBJ(api, API_MAGIC);
	if (api->mhd != NULL)
		return gd_err_set(
		    err, GD_ECONFLICT, "listen %.128s: started", api->listen);
	if ((rc = http_socket(api, err)) < 0)
		return rc;
	/* ITC is what lets MHD_quiesce_daemon wake the pool threads. */
	flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
		flags |= MHD_USE_EPOLL;
	/* One thread is the polling thread itself; MHD warns at a pool of 1. */
	pool = api->threads > 1 ? api->threads : 0;
	/*
	 * One option and its values per line. The logger goes first, or MHD
	 * logs about the options before it with its own logger.
	 */
	/* clang-format off */
	api->mhd = MHD_start_daemon(flags, 0, NULL, NULL, http_access, api,
	    MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)api->fd,
	    MHD_OPTION_THREAD_POOL_SIZE, pool,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_CONNS,
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed, api,
	    MHD_OPTION_UNESCAPE_CALLBACK, http_unescape_none, NULL,
	    MHD_OPTION_END);
	/* clang-format on */
	if (api->mhd == NULL) {
		close(api->fd);
		api->fd = -1;
		api->port = -1;
		return gd_err_set(err, GD_EINTERNAL,
		    "listen %.128s: cannot start the HTTP server", api->listen);
	}
	log_debug("api: listening on %s port %d threads %u", api->listen,
	    api->port, api->threads);
	return 0;
}

int
gd_api_port(const struct gd_api *api)
{
	return api->port;
}

unsigned
gd_api_inflight(const struct gd_api *api)
{
	return atomic_load(&api->inflight);
}

void
gd_api_stop(struct gd_api *api)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	MHD_socket fd;
	uint64_t deadline;

	if (api == NULL || api->mhd == NULL)
		return;
	GD_CHECK_OBJ(api, API_MAGIC);
	fd = MHD_quiesce_daemon(api->mhd);
	deadline = gd_time_mono_ms() + HTTP_DRAIN_MS;
	while (atomic_load(&api->inflight) > 0 && gd_time_mono_ms() < deadline)
		nanosleep(&ts, NULL);
	if (atomic_load(&api->inflight) > 0)
		log_warnx("api: stopping with %u requests unfinished",
		    atomic_load(&api->inflight));
	MHD_stop_daemon(api->mhd);
	api->mhd = NULL;
	/* After a quiesce the listening socket is ours to close. */
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	api->fd = -1;
}

void
gd_api_free(struct gd_api *api)
{
	if (api == NULL)
		return;
	gd_api_stop(api);
	gd_router_free(api->router);
	free(api->listen);
	free(api->web_root);
	free(api);
}

/* --- requests ------------------------------------------------------------ */

static enum MHD_Result
http_add_header(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *val)
{
	struct http_req *hr = cls;

	gd_req_add_header(&hr->req, key, val);
	return MHD_YES;
}

static enum MHD_Result
http_add_query(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *val)
{
	struct http_req *hr = cls;

	gd_req_add_query(&hr->req, key, val);
	return MHD_YES;
}

static void
http_remote(struct http_req *hr, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	socklen_t sl;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return;
	sl = ci->client_addr->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	if (getnameinfo(ci->client_addr, sl, hr->req.remote,
		sizeof(hr->req.remote), NULL, 0, NI_NUMERICHOST) != 0)
		hr->req.remote[0] = '\0';
}

/* An absolute-form target ("http://host/p", RFC 9112 3.2.2) is its path. */
static const char *
http_origin_form(const char *url)
{
	const char *p;

	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0)
		return url;
	p = strchr(strstr(url, "://") + 3, '/');
	return p != NULL ? p : "/";
}

static struct http_req *
http_req_new(struct gd_api *api, struct MHD_Connection *c, const char *url,
    const char *method)
{
	struct http_req *hr;

	hr = xcalloc(1, sizeof(*hr));
	hr->magic = HTTP_REQ_MAGIC;
	hr->api = api;
	hr->t0 = gd_time_mono_ms();
	gd_buf_init(&hr->body);
	gd_req_init(&hr->req, method, http_origin_form(url));
	MHD_get_connection_values(c, MHD_HEADER_KIND, http_add_header, hr);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, http_add_query, hr);
	http_remote(hr, c);
	atomic_fetch_add(&api->inflight, 1);
	return hr;
}

static void
http_req_free(struct http_req *hr)
{
	if (hr == NULL)
		return;
	gd_req_dispose(&hr->req);
	gd_buf_dispose(&hr->body);
	free(hr);
}

/* Hands resp to MHD; owned bytes move to MHD, which frees them. */
static enum MHD_Result
http_queue(struct http_req *hr, struct MHD_Connection *c, struct gd_resp *resp)
{
	struct MHD_Response *r;
	enum MHD_Result rc;
	char *text = NULL;
	size_t i, len;

	if (resp->body != NULL) {
		text = json_dumps(resp->body, JSON_COMPACT | JSON_ENCODE_ANY);
		len = text != NULL ? strlen(text) : 0;
		r = MHD_create_response_from_buffer(
		    len, text, MHD_RESPMEM_MUST_FREE);
	} else if (resp->data != NULL && resp->data_owned) {
		len = resp->len;
		r = MHD_create_response_from_buffer(
		    len, (void *)resp->data, MHD_RESPMEM_MUST_FREE);
		resp->data_owned = false; /* now owned by MHD */
	} else {
		len = resp->data != NULL ? resp->len : 0;
		r = MHD_create_response_from_buffer(len,
		    resp->data != NULL ? (void *)resp->data : http_empty,
		    MHD_RESPMEM_PERSISTENT);
	}
	if (r == NULL)
		fatalx("api: cannot create an MHD response");
	if (resp->content_type != NULL)
		MHD_add_response_header(
		    r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	gd_resp_header(resp, "X-Content-Type-Options", "nosniff");
	gd_resp_header(resp, "X-Request-Id", hr->req.id);
	for (i = 0; i < resp->headers.n; i++)
		MHD_add_response_header(
		    r, resp->headers.v[i].key, resp->headers.v[i].val);
	rc = MHD_queue_response(c, (unsigned int)resp->status, r);
	MHD_destroy_response(r);
	if (rc == MHD_YES) {
		hr->queued = true;
		hr->status = resp->status;
		hr->bytes = len;
	}
	return rc;
}

static enum MHD_Result
http_reply_too_big(struct http_req *hr, struct MHD_Connection *c)
{
	struct gd_resp resp = { 0 };
	struct gd_err err;
	enum MHD_Result rc;

	gd_err_set(&err, GD_ETOOBIG,
	    "request body larger than the limit of %zu bytes",
	    hr->api->max_body);
	gd_resp_error(&resp, &err);
	rc = http_queue(hr, c, &resp);
	gd_resp_dispose(&resp);
	return rc;
}

static bool
http_announces_too_much(struct gd_api *api, struct MHD_Connection *c)
{
	const char *cl;
	unsigned long long n;
	char *end;

	cl = MHD_lookup_connection_value(
	    c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl == NULL)
		return false;
	errno = 0;
	n = strtoull(cl, &end, 10);
	return errno == ERANGE || (end != cl && n > api->max_body);
}

/* Takes one piece of body; false when the connection must be cut. */
static bool
http_take_body(struct http_req *hr, const char *data, size_t n)
{
	if (!hr->too_big && n <= hr->api->max_body - hr->body.len) {
		gd_buf_add(&hr->body, data, n);
		return true;
	}
	if (!hr->too_big) {
		hr->too_big = true;
		hr->dropped = hr->body.len;
		gd_buf_dispose(&hr->body);
	}
	hr->dropped += n;
	return hr->dropped <= HTTP_MAX_DROP;
}

static enum MHD_Result
http_access(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **ctx)
{
	struct gd_api *api = cls;
	struct http_req *hr = *ctx;
	struct gd_resp resp = { 0 };
	enum MHD_Result rc;
	size_t n;

	GD_CHECK_OBJ(api, API_MAGIC);
	if (hr == NULL) {
		hr = http_req_new(api, c, url, method);
		*ctx = hr;
		/* Refused unread: the early answer closes, as it should. */
		if (http_announces_too_much(api, c)) {
			hr->too_big = true;
			return http_reply_too_big(hr, c);
		}
		/* Queuing now would cost keep-alive: answer on a later call. */
		return MHD_YES;
	}
	GD_CHECK_OBJ(hr, HTTP_REQ_MAGIC);
	if (*upload_size > 0) {
		n = *upload_size;
		*upload_size = 0;
		if (hr->queued)
			return MHD_YES;
		return http_take_body(hr, upload, n) ? MHD_YES : MHD_NO;
	}
	if (hr->queued)
		return MHD_YES;
	if (hr->too_big)
		return http_reply_too_big(hr, c);
	if (hr->body.len > 0)
		hr->req.body = gd_buf_detach(&hr->body, &hr->req.body_len);
	gd_router_dispatch(api->router, &hr->req, &resp);
	rc = http_queue(hr, c, &resp);
	gd_resp_dispose(&resp);
	return rc;
}

/* Control bytes in a logged path could forge log lines. */
static void
http_log_path(char *out, size_t size, const char *path)
{
	size_t i;

	for (i = 0; i + 1 < size && path[i] != '\0'; i++)
		out[i] = (path[i] < 0x20 || path[i] == 0x7f) ? '?' : path[i];
	out[i] = '\0';
}

static void
http_completed(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_RequestTerminationCode toe)
{
	struct gd_api *api = cls;
	struct http_req *hr = *ctx;
	char path[256];

	if (hr == NULL)
		return;
	GD_CHECK_OBJ(api, API_MAGIC);
	GD_CHECK_OBJ(hr, HTTP_REQ_MAGIC);
	*ctx = NULL;
	http_log_path(path, sizeof(path), hr->req.path);
	log_info("api: %s %s %d %zu %lums id=%s%s", hr->req.method, path,
	    hr->status, hr->bytes, (unsigned long)(gd_time_mono_ms() - hr->t0),
	    hr->req.id,
	    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted");
	http_req_free(hr);
	atomic_fetch_sub(&api->inflight, 1);
}
