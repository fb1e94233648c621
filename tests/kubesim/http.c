/* SPDX-License-Identifier: ISC */
/*
 * kubesim's HTTP layer: libmicrohttpd with a thread per connection (so a
 * watch stream may block waiting for events), optional TLS from PEM
 * files, bearer-token and client-certificate auth (GnuTLS, which MHD is
 * built on, verifies the certificate against --client-ca), the injected faults
 * and latency, and turning a struct ks_resp into an MHD response. Everything
 * about Kubernetes is elsewhere; this file knows only requests.
 *
 * The hard part is the lifetime of a watch: MHD calls the content reader
 * from the connection's thread until it returns end-of-stream or the
 * client goes away, and frees the watch through the response's free
 * callback, so the watch must never be touched after the response is
 * queued and destroyed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "kubesim.h"

#define HTTP_CTX_MAGIC 0x6b736874u /* "ksht" */
#define HTTP_MAX_BODY  (32u * 1024 * 1024)

/* MHD wants a writable buffer even for an empty body. */
static char http_empty[1];

struct http_ctx {
	unsigned magic;
	struct gd_buf body;
	bool toobig;
};

static enum MHD_Result
http_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *val)
{
	json_t *q = cls;

	(void)kind;
	json_object_set_new(q, key, json_string(val != NULL ? val : ""));
	return MHD_YES;
}

static ssize_t
http_watch_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	long n;

	(void)pos;
	n = ks_watch_read(cls, buf, max);
	if (n < 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return n;
}

static void
http_watch_free(void *cls)
{
	ks_watch_free(cls);
}

static enum MHD_Result
http_send(struct MHD_Connection *c, struct ks_resp *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *text = NULL, num[32];
	size_t len = 0;

	if (resp->watch != NULL) {
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
		    16 * 1024, http_watch_read, resp->watch, http_watch_free);
		resp->watch = NULL; /* now owned by the response */
		MHD_add_response_header(r, "Content-Type", "application/json");
		MHD_add_response_header(r, "Cache-Control", "no-cache");
	} else {
		if (resp->raw != NULL) {
			text = xstrdup(resp->raw);
			len = strlen(text);
		} else if (resp->body != NULL) {
			text = json_dumps(resp->body, JSON_COMPACT);
			len = strlen(text);
		}
		r = MHD_create_response_from_buffer(len,
		    text != NULL ? text : http_empty, MHD_RESPMEM_MUST_COPY);
		free(text);
		MHD_add_response_header(r, "Content-Type",
		    resp->content_type != NULL ? resp->content_type :
						 "application/json");
	}
	if (resp->retry_after > 0) {
		snprintf(num, sizeof(num), "%d", resp->retry_after);
		MHD_add_response_header(r, "Retry-After", num);
	}
	MHD_add_response_header(r, "Audit-Id", "kubesim");
	ret = MHD_queue_response(c, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A client certificate that the --client-ca trust list verifies. */
static bool
http_client_cert(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	unsigned int status = 0, n = 0;
	gnutls_session_t s;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return false;
	s = (gnutls_session_t)ci->tls_session;
	if (gnutls_certificate_get_peers(s, &n) == NULL || n == 0)
		return false;
	return gnutls_certificate_verify_peers2(s, &status) == 0 && status == 0;
}

static bool
http_authorized(struct MHD_Connection *c, const char *url)
{
	const char *h;
	size_t n;

	if (ks.conf.token == NULL && ks.conf.client_ca == NULL)
		return true;
	/* What a real cluster shows anonymous users (public-info-viewer). */
	if (strcmp(url, "/version") == 0 || strcmp(url, "/healthz") == 0 ||
	    strcmp(url, "/readyz") == 0 || strcmp(url, "/livez") == 0)
		return true;
	if (ks.conf.client_ca != NULL && http_client_cert(c))
		return true;
	if (ks.conf.token == NULL)
		return false;
	h = MHD_lookup_connection_value(
	    c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	n = strlen(ks.conf.token);
	return strlen(h) == n && memcmp(h, ks.conf.token, n) == 0;
}

static void
http_dispatch(struct ks_req *req, struct ks_resp *resp)
{
	if (strncmp(req->path, "/kubesim/", 9) == 0) {
		ks_faults_serve(req, resp);
		return;
	}
	pthread_mutex_lock(&ks.lock);
	if (!ks_discovery_serve(req, resp))
		ks_rest_serve(req, resp);
	pthread_mutex_unlock(&ks.lock);
}

/*
 * A body may share nodes with stored objects, which are never changed
 * once stored, so it is serialized without the lock; but the refcounts it
 * drops are the store's too, so they drop under it.
 */
static void
http_release(json_t *body)
{
	if (body == NULL)
		return;
	pthread_mutex_lock(&ks.lock);
	json_decref(body);
	pthread_mutex_unlock(&ks.lock);
}

static enum MHD_Result
http_access(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct http_ctx *ctx = *con_cls;
	struct ks_req req = { 0 };
	struct ks_resp resp = { 0 };
	enum MHD_Result ret;
	unsigned lat;

	(void)cls;
	(void)version;
	if (ctx == NULL) {
		ctx = xcalloc(1, sizeof(*ctx));
		ctx->magic = HTTP_CTX_MAGIC;
		gd_buf_init(&ctx->body);
		*con_cls = ctx;
		return MHD_YES;
	}
	GD_CHECK_OBJ(ctx, HTTP_CTX_MAGIC);
	if (*upload_size > 0) {
		if (ctx->body.len + *upload_size > HTTP_MAX_BODY)
			ctx->toobig = true;
		else
			gd_buf_add(&ctx->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}

	req.method = method;
	req.path = url;
	req.accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
	req.content_type =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	req.user_agent =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
	req.query = json_object();
	MHD_get_connection_values(
	    c, MHD_GET_ARGUMENT_KIND, http_arg, req.query);
	req.body = ctx->body.data != NULL ? ctx->body.data : "";
	req.body_len = ctx->body.len;
	resp.status = 200;

	if ((lat = ks_faults_latency()) > 0)
		usleep(lat * 1000u);
	if (ctx->toobig)
		ks_resp_status(&resp, 413, "RequestEntityTooLarge", NULL,
		    "request entity too large: limit is %u", HTTP_MAX_BODY);
	else if (!http_authorized(c, url))
		ks_resp_status(
		    &resp, 401, "Unauthorized", NULL, "Unauthorized");
	else if (!ks_faults_take(&req, &resp))
		http_dispatch(&req, &resp);
	log_debug("kubesim: %s %s %d", method, url, resp.status);
	if (resp.reset) {
		http_release(resp.body);
		json_decref(req.query);
		return MHD_NO;
	}
	ret = http_send(c, &resp);
	http_release(resp.body);
	json_decref(req.query);
	return ret;
}

static void
http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_ctx *ctx = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (ctx == NULL)
		return;
	GD_CHECK_OBJ(ctx, HTTP_CTX_MAGIC);
	gd_buf_dispose(&ctx->body);
	free(ctx);
	*con_cls = NULL;
}

static void
http_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("kubesim: mhd: %s", line);
}

static int
http_addr(struct sockaddr_in *sin, const char *listen, struct gd_err *err)
{
	const char *colon = strrchr(listen, ':');
	char host[64];
	char *end;
	long port;

	memset(sin, 0, sizeof(*sin));
	if (colon == NULL || (size_t)(colon - listen) >= sizeof(host))
		return gd_err_set(
		    err, GD_EINVAL, "--listen %s: want ADDR:PORT", listen);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535)
		return gd_err_set(
		    err, GD_EINVAL, "--listen %s: bad port", listen);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &sin->sin_addr) != 1)
		return gd_err_set(
		    err, GD_EINVAL, "--listen %s: not an IPv4 address", listen);
	return 0;
}

int
ks_http_run(struct gd_err *err)
{
	struct gd_buf cert, key, ca;
	struct sockaddr_in sin;
	struct MHD_Daemon *d = NULL;
	const union MHD_DaemonInfo *info;
	unsigned int flags;
	sigset_t set;
	int sig, rc;

	gd_buf_init(&cert);
	gd_buf_init(&key);
	gd_buf_init(&ca);
	if ((rc = http_addr(&sin, ks.conf.listen, err)) < 0)
		goto out;
	flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	if (ks.conf.tls_cert != NULL) {
		if ((rc = gd_buf_read_file(
			 &cert, ks.conf.tls_cert, 1 << 20, err)) < 0 ||
		    (rc = gd_buf_read_file(
			 &key, ks.conf.tls_key, 1 << 20, err)) < 0)
			goto out;
		flags |= MHD_USE_TLS;
	}
	if (ks.conf.client_ca != NULL &&
	    (rc = gd_buf_read_file(&ca, ks.conf.client_ca, 1 << 20, err)) < 0)
		goto out;
	/* Block the signals before MHD starts threads, so only sigwait sees. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (ks.conf.client_ca != NULL)
		d = MHD_start_daemon(flags, 0, NULL, NULL, http_access, NULL,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
		    MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
		    MHD_OPTION_NOTIFY_COMPLETED, http_completed, NULL,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)600,
		    MHD_OPTION_HTTPS_MEM_CERT, cert.data,
		    MHD_OPTION_HTTPS_MEM_KEY, key.data,
		    MHD_OPTION_HTTPS_MEM_TRUST, ca.data, MHD_OPTION_END);
	else if (ks.conf.tls_cert != NULL)
		d = MHD_start_daemon(flags, 0, NULL, NULL, http_access, NULL,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
		    MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
		    MHD_OPTION_NOTIFY_COMPLETED, http_completed, NULL,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)600,
		    MHD_OPTION_HTTPS_MEM_CERT, cert.data,
		    MHD_OPTION_HTTPS_MEM_KEY, key.data, MHD_OPTION_END);
	else
		d = MHD_start_daemon(flags, 0, NULL, NULL, http_access, NULL,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
		    MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
		    MHD_OPTION_NOTIFY_COMPLETED, http_completed, NULL,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)600,
		    MHD_OPTION_END);
	if (d == NULL) {
		rc = gd_err_set(err, GD_EINTERNAL, "cannot listen on %s%s",
		    ks.conf.listen,
		    ks.conf.tls_cert != NULL ? " (or bad TLS cert/key)" : "");
		goto out;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	/* Scripts wait for this line and read the port from it. */
	printf("kubesim: listening on %s://%s:%u\n",
	    ks.conf.tls_cert != NULL ? "https" : "http",
	    inet_ntoa(sin.sin_addr), info != NULL ? info->port : 0);
	fflush(stdout);
	while (sigwait(&set, &sig) == 0 && sig != SIGINT && sig != SIGTERM)
		;
	ks.stopping = 1;
	pthread_mutex_lock(&ks.lock);
	pthread_cond_broadcast(&ks.changed);
	pthread_mutex_unlock(&ks.lock);
	MHD_stop_daemon(d);
	log_info("kubesim: stopped");
	rc = 0;
out:
	if (key.data != NULL)
		explicit_bzero(key.data, key.len);
	gd_buf_dispose(&cert);
	gd_buf_dispose(&key);
	gd_buf_dispose(&ca);
	return rc;
}
