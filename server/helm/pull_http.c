/* SPDX-License-Identifier: ISC */
/*
 * The chart store's HTTP client: one exchange with a registry, a token
 * server or a Helm repository over libcurl, with the headers the pull
 * needs picked out of the answer. Handles are pooled in the store, so a
 * HEAD for an unchanged tag reuses the open (TLS) connection.
 *
 * The hard part is where credentials may go. Redirects are followed by
 * hand, so the Authorization header is only ever sent to the origin it
 * was meant for: a blob that redirects to object storage on another host
 * (or port, or from https to http) is fetched without it. Every request
 * has a connect timeout and a low-speed abort, so a registry that hangs
 * costs a worker seconds, not forever, and answers are bounded in size.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <sodium.h>

#include "pull_int.h"

#define CONNECT_TIMEOUT_S 10
#define LOW_SPEED_BYTES   1024 /* per second, over LOW_SPEED_S */
#define LOW_SPEED_S       30
#define TOTAL_TIMEOUT_S   600
#define MAX_REDIRECTS     10
#define HEADER_MAX        8192

#define SINK_MAGIC 0x706c736bU

struct sink {
	unsigned magic;
	struct pull_http_resp *resp;
	size_t max;
	bool too_big;
	char *location;
};

void
pull_secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

char *
pull_basic_auth(const char *user, const char *password)
{
	size_t nu = strlen(user), np = strlen(password), n = nu + 1 + np;
	size_t blen =
	    sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *plain = xmalloc(n + 1), *out = xmalloc(6 + blen);

	memcpy(plain, user, nu);
	plain[nu] = ':';
	memcpy(plain + nu + 1, password, np);
	plain[n] = '\0';
	memcpy(out, "Basic ", 6);
	sodium_bin2base64(out + 6, blen, (const unsigned char *)plain, n,
	    sodium_base64_VARIANT_ORIGINAL);
	explicit_bzero(plain, n);
	free(plain);
	return out;
}

bool
pull_url_origin(const char *url, char *out, size_t outlen)
{
	const char *p = strstr(url, "://"), *host, *end, *at, *port = NULL;
	char scheme[8];
	size_t ns, nh, i;
	int n;

	if (p == NULL || (ns = (size_t)(p - url)) >= sizeof(scheme) || ns == 0)
		return false;
	for (i = 0; i < ns; i++)
		scheme[i] = (char)tolower((unsigned char)url[i]);
	scheme[ns] = '\0';
	host = p + 3;
	end = host + strcspn(host, "/?#");
	/* userinfo is no part of the origin */
	if ((at = memchr(host, '@', (size_t)(end - host))) != NULL)
		host = at + 1;
	if (*host == '[') {
		const char *rb = memchr(host, ']', (size_t)(end - host));

		if (rb == NULL)
			return false;
		if (rb + 1 < end && rb[1] == ':')
			port = rb + 2;
		nh = (size_t)(rb + 1 - host);
	} else {
		const char *c = memchr(host, ':', (size_t)(end - host));

		if (c != NULL)
			port = c + 1;
		nh = (size_t)((c != NULL ? c : end) - host);
	}
	if (nh == 0)
		return false;
	n = snprintf(out, outlen, "%s://", scheme);
	if (n < 0 || (size_t)n + nh + 8 >= outlen)
		return false;
	for (i = 0; i < nh; i++)
		out[n + (int)i] = (char)tolower((unsigned char)host[i]);
	n += (int)nh;
	if (port != NULL && port < end)
		snprintf(out + n, outlen - (size_t)n, ":%.*s",
		    (int)(end - port), port);
	else
		snprintf(out + n, outlen - (size_t)n, ":%s",
		    strcmp(scheme, "https") == 0 ? "443" : "80");
	return true;
}

static void *
handle_take(struct gd_helm_pull *p)
{
	CURL *h = NULL;

	pthread_mutex_lock(&p->lock);
	if (p->nhandles > 0)
		h = p->handles[--p->nhandles];
	pthread_mutex_unlock(&p->lock);
	if (h == NULL && (h = curl_easy_init()) == NULL)
		fatalx("helm: curl_easy_init failed");
	return h;
}

static void
handle_put(struct gd_helm_pull *p, CURL *h)
{
	curl_easy_reset(h);
	pthread_mutex_lock(&p->lock);
	p->handles =
	    xreallocarray(p->handles, p->nhandles + 1, sizeof(*p->handles));
	p->handles[p->nhandles++] = h;
	pthread_mutex_unlock(&p->lock);
}

void
pull_http_free_handles(struct gd_helm_pull *p)
{
	size_t i;

	for (i = 0; i < p->nhandles; i++)
		curl_easy_cleanup(p->handles[i]);
	free(p->handles);
	p->handles = NULL;
	p->nhandles = 0;
}

static size_t
sink_write(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	GD_CHECK_OBJ(s, SINK_MAGIC);
	n *= size;
	if (s->resp->body.len + n > s->max) {
		s->too_big = true;
		return 0;
	}
	gd_buf_add(&s->resp->body, data, n);
	return n;
}

/* The value of header line data if its name is name, else NULL. */
static char *
header_value(const char *data, size_t n, const char *name)
{
	size_t k = strlen(name);
	const char *v, *end = data + n;

	if (n <= k || strncasecmp(data, name, k) != 0 || data[k] != ':')
		return NULL;
	v = data + k + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v &&
	    (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' ||
		end[-1] == '\t'))
		end--;
	return xstrndup(v, (size_t)(end - v));
}

static void
header_keep(char **slot, char *v)
{
	if (v == NULL)
		return;
	if (*slot != NULL) /* the first one counts (WWW-Authenticate) */
		free(v);
	else
		*slot = v;
}

static void
resp_clear_headers(struct pull_http_resp *r)
{
	free(r->www_auth);
	free(r->digest);
	free(r->etag);
	free(r->last_modified);
	free(r->link);
	free(r->content_type);
	r->www_auth = r->digest = r->etag = r->last_modified = NULL;
	r->link = r->content_type = NULL;
}

static size_t
sink_header(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	struct pull_http_resp *r;

	GD_CHECK_OBJ(s, SINK_MAGIC);
	n *= size;
	r = s->resp;
	if (n > HEADER_MAX)
		return n;
	if (n > 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* a new response (after 100 Continue): start over */
		resp_clear_headers(r);
		free(s->location);
		s->location = NULL;
		return n;
	}
	header_keep(&r->www_auth, header_value(data, n, "WWW-Authenticate"));
	header_keep(&r->digest, header_value(data, n, "Docker-Content-Digest"));
	header_keep(&r->etag, header_value(data, n, "ETag"));
	header_keep(&r->last_modified, header_value(data, n, "Last-Modified"));
	header_keep(&r->link, header_value(data, n, "Link"));
	header_keep(&r->content_type, header_value(data, n, "Content-Type"));
	header_keep(&s->location, header_value(data, n, "Location"));
	return n;
}

static struct curl_slist *
add_header(struct curl_slist *l, const char *name, const char *value)
{
	char *line;

	if (value == NULL)
		return l;
	xasprintf(&line, "%s: %s", name, value);
	l = curl_slist_append(l, line);
	explicit_bzero(line, strlen(line));
	free(line);
	if (l == NULL)
		fatalx("helm: curl_slist_append failed");
	return l;
}

static void
setup(CURL *h, const struct pull_http_req *req, const char *url,
    struct curl_slist *hdrs, struct sink *s, char *errbuf)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "gitopsd");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_BYTES);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)LOW_SPEED_S);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)TOTAL_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, sink_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, s);
	if (req->method != NULL && strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (req->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, req->ca_file);
	if (req->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

/* Whether a request to url may carry the credentials of req. */
static bool
auth_allowed(const struct pull_http_req *req, const char *url)
{
	char want[512], have[512];

	if (req->auth == NULL)
		return false;
	if (!pull_url_origin(
		req->auth_origin != NULL ? req->auth_origin : req->url, want,
		sizeof(want)) ||
	    !pull_url_origin(url, have, sizeof(have)))
		return false;
	return strcmp(want, have) == 0;
}

int
pull_http(struct gd_helm_pull *p, const struct pull_http_req *req,
    struct pull_http_resp *resp, struct gd_err *err)
{
	char errbuf[CURL_ERROR_SIZE], *url = xstrdup(req->url), *next;
	struct curl_slist *hdrs = NULL, *l;
	struct sink s;
	CURL *h = handle_take(p);
	CURLcode cc;
	int hops, rc = 0;

	memset(resp, 0, sizeof(*resp));
	gd_buf_init(&resp->body);
	memset(&s, 0, sizeof(s));
	s.magic = SINK_MAGIC;
	s.resp = resp;
	s.max = req->max;
	for (hops = 0;; hops++) {
		hdrs = add_header(NULL, "Accept", req->accept);
		hdrs = add_header(hdrs, "If-None-Match", req->if_none_match);
		hdrs = add_header(
		    hdrs, "If-Modified-Since", req->if_modified_since);
		if (auth_allowed(req, url))
			hdrs = add_header(hdrs, "Authorization", req->auth);
		errbuf[0] = '\0';
		gd_buf_reset(&resp->body);
		resp_clear_headers(resp);
		free(s.location);
		s.location = NULL;
		setup(h, req, url, hdrs, &s, errbuf);
		cc = curl_easy_perform(h);
		pull_count(p, &p->stats.requests);
		for (l = hdrs; l != NULL; l = l->next)
			explicit_bzero(l->data, strlen(l->data));
		curl_slist_free_all(hdrs);
		hdrs = NULL;
		resp->status = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
		if (cc != CURLE_OK) {
			if (s.too_big)
				rc = gd_err_set(err, GD_ETOOBIG,
				    "answer larger than %zu bytes", req->max);
			else
				rc = gd_err_set(err, GD_EUPSTREAM,
				    "%s unreachable: %s",
				    req->what != NULL ? req->what : "server",
				    errbuf[0] != '\0' ? errbuf :
							curl_easy_strerror(cc));
			break;
		}
		if (resp->status < 300 || resp->status >= 400 ||
		    resp->status == 304 || s.location == NULL)
			break;
		next = NULL;
		if (curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &next) !=
			CURLE_OK ||
		    next == NULL) {
			rc = gd_err_set(err, GD_EUPSTREAM,
			    "redirect without a usable Location");
			break;
		}
		if (hops + 1 >= MAX_REDIRECTS) {
			rc =
			    gd_err_set(err, GD_EUPSTREAM, "too many redirects");
			break;
		}
		free(url);
		url = xstrdup(next);
		curl_easy_reset(h);
	}
	if (rc == 0)
		resp->url = url;
	else
		free(url);
	free(s.location);
	handle_put(p, h);
	return rc;
}

void
pull_http_resp_dispose(struct pull_http_resp *r)
{
	if (r == NULL)
		return;
	gd_buf_dispose(&r->body);
	resp_clear_headers(r);
	free(r->url);
	memset(r, 0, sizeof(*r));
}
