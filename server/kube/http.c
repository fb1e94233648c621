/* SPDX-License-Identifier: ISC */
/*
 * The HTTP layer: every byte to and from the API server passes here. It
 * owns the client (struct gd_kube), its pool of curl handles (a handle
 * keeps its connections, so returning it to the pool is what makes the
 * next request reuse a TLS session), credentials, the rate limit and the
 * retry loop.
 *
 * The hard part is deciding what to retry. Transport failures (timeouts,
 * refused or reset connections), 429 and 5xx are retried with doubling
 * delays, or after the Retry-After the server asked for if that is
 * longer; a 401 is retried once after the credentials are fetched again
 * (a rotated token file, an exec plugin whose token expired early); all
 * other answers are final and go through gd_kube_status_err.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "kube_int.h"

#define BODY_MAX           (512ul << 20)
#define TOKEN_REREAD_MS    60000
#define RETRY_AFTER_MAX_S  60
#define CONNECT_TIMEOUT_MS 10000

/* What a write callback fills; carries a magic as it crosses void *. */
#define SINK_MAGIC 0x73696e6bu

struct sink {
	unsigned magic;
	struct gd_buf body;
	long retry_after; /* seconds; -1 when absent */
	CURL *h;
	kube_chunk_fn fn; /* streaming: hands 2xx bodies over */
	void *arg;
	int fn_rc;
	const volatile bool *stop;
};

/* Credentials for one request, copied out of the client under its lock. */
struct auth {
	char *token;
	unsigned char *cert;
	size_t cert_len;
	unsigned char *key;
	size_t key_len;
};

static void
auth_dispose(struct auth *a)
{
	if (a->token != NULL) {
		explicit_bzero(a->token, strlen(a->token));
		free(a->token);
	}
	free(a->cert);
	if (a->key != NULL) {
		explicit_bzero(a->key, a->key_len);
		free(a->key);
	}
	memset(a, 0, sizeof(*a));
}

void
gd_kube_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("kube: curl_global_init failed");
}

struct gd_kube *
gd_kube_new(struct gd_kube_config *cfg, const struct gd_kube_opts *opts)
{
	struct gd_kube *k = xcalloc(1, sizeof(*k));

	k->magic = KUBE_MAGIC;
	k->cfg = cfg;
	if (opts != NULL)
		k->opts = *opts;
	if (k->opts.timeout_ms <= 0)
		k->opts.timeout_ms = 30000;
	if (k->opts.max_retries == 0)
		k->opts.max_retries = 5;
	else if (k->opts.max_retries < 0)
		k->opts.max_retries = 0;
	if (k->opts.backoff_ms <= 0)
		k->opts.backoff_ms = 200;
	gd_kube_bucket_init(&k->bucket, k->opts.qps, k->opts.burst);
	pthread_mutex_init(&k->lock, NULL);
	k->gv_cache = json_object();
	return k;
}

void
gd_kube_free(struct gd_kube *k)
{
	size_t i;

	if (k == NULL)
		return;
	GD_CHECK_OBJ(k, KUBE_MAGIC);
	for (i = 0; i < k->nhandles; i++)
		curl_easy_cleanup(k->handles[i]);
	free(k->handles);
	gd_kube_cred_dispose(&k->cred);
	if (k->file_token != NULL) {
		explicit_bzero(k->file_token, strlen(k->file_token));
		free(k->file_token);
	}
	json_decref(k->gv_cache);
	gd_kube_bucket_dispose(&k->bucket);
	pthread_mutex_destroy(&k->lock);
	gd_kube_config_free(k->cfg);
	k->magic = 0;
	free(k);
}

const struct gd_kube_config *
gd_kube_config(const struct gd_kube *k)
{
	return k->cfg;
}

static CURL *
handle_take(struct gd_kube *k)
{
	CURL *h = NULL;

	pthread_mutex_lock(&k->lock);
	if (k->nhandles > 0)
		h = k->handles[--k->nhandles];
	pthread_mutex_unlock(&k->lock);
	if (h == NULL && (h = curl_easy_init()) == NULL)
		fatalx("kube: curl_easy_init failed");
	return h;
}

/* Back to the pool with its open connections; options are cleared. */
static void
handle_put(struct gd_kube *k, CURL *h)
{
	curl_easy_reset(h);
	pthread_mutex_lock(&k->lock);
	k->handles =
	    xreallocarray(k->handles, k->nhandles + 1, sizeof(*k->handles));
	k->handles[k->nhandles++] = h;
	pthread_mutex_unlock(&k->lock);
}

static void
sleep_ms(uint64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The bearer token of a token file, re-read once a minute (rotation). */
static int
auth_file_token(struct gd_kube *k, bool force, struct gd_err *err)
{
	struct gd_buf b;
	uint64_t now = gd_time_mono_ms();
	int rc;

	if (k->file_token != NULL && !force &&
	    now - k->file_token_ms < TOKEN_REREAD_MS)
		return 0;
	gd_buf_init(&b);
	if ((rc = gd_buf_read_file(&b, k->cfg->token_file, 65536, err)) < 0) {
		gd_buf_dispose(&b);
		return gd_err_wrap(err, "token file");
	}
	while (b.len > 0 &&
	    (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r' ||
		b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	if (k->file_token != NULL) {
		explicit_bzero(k->file_token, strlen(k->file_token));
		free(k->file_token);
	}
	k->file_token = gd_buf_detach(&b, NULL);
	k->file_token_ms = now;
	return 0;
}

/*
 * Fills a with what this request presents. refresh drops cached
 * credentials first (after a 401). Runs an exec plugin under the lock, so
 * concurrent requests wait for one run instead of starting several.
 */
static int
auth_get(struct gd_kube *k, struct auth *a, bool refresh, struct gd_err *err)
{
	const struct gd_kube_config *c = k->cfg;
	int rc = 0;

	memset(a, 0, sizeof(*a));
	pthread_mutex_lock(&k->lock);
	if (c->exec != NULL) {
		if (k->have_cred &&
		    (refresh ||
			(k->cred.expiry != 0 &&
			    time(NULL) >= k->cred.expiry))) {
			gd_kube_cred_dispose(&k->cred);
			k->have_cred = false;
		}
		if (!k->have_cred) {
			if ((rc = gd_kube_exec_run(&k->cred, c, err)) < 0)
				goto out;
			k->have_cred = true;
		}
		if (k->cred.token != NULL)
			a->token = xstrdup(k->cred.token);
		if (k->cred.cert != NULL) {
			a->cert = xmalloc(k->cred.cert_len);
			memcpy(a->cert, k->cred.cert, k->cred.cert_len);
			a->cert_len = k->cred.cert_len;
			a->key = xmalloc(k->cred.key_len);
			memcpy(a->key, k->cred.key, k->cred.key_len);
			a->key_len = k->cred.key_len;
		}
	} else if (c->token != NULL)
		a->token = xstrdup(c->token);
	else if (c->token_file != NULL) {
		if ((rc = auth_file_token(k, refresh, err)) < 0)
			goto out;
		a->token = xstrdup(k->file_token);
	}
out:
	pthread_mutex_unlock(&k->lock);
	return rc;
}

static size_t
sink_write(char *data, size_t size, size_t n, void *p)
{
	struct sink *s = p;
	long code = 0;

	GD_CHECK_OBJ(s, SINK_MAGIC);
	n *= size;
	if (s->fn != NULL) {
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 200 && code < 300) {
			if ((s->fn_rc = s->fn(s->arg, data, n)) < 0)
				return 0;
			return n;
		}
	}
	if (s->body.len + n > BODY_MAX)
		return 0;
	gd_buf_add(&s->body, data, n);
	return n;
}

/* Picks Retry-After out of the headers (seconds; dates are ignored). */
static size_t
sink_header(char *data, size_t size, size_t n, void *p)
{
	struct sink *s = p;
	char *end;
	long v;

	GD_CHECK_OBJ(s, SINK_MAGIC);
	n *= size;
	if (n > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
		v = strtol(data + 12, &end, 10);
		if (end != data + 12 && v >= 0)
			s->retry_after =
			    v > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : v;
	}
	return n;
}

static int
sink_progress(
    void *p, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct sink *s = p;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	GD_CHECK_OBJ(s, SINK_MAGIC);
	return s->stop != NULL && *s->stop ? 1 : 0;
}

static void
set_blob(CURL *h, CURLoption opt, const void *data, size_t len)
{
	struct curl_blob blob;

	blob.data = (void *)(uintptr_t)data;
	blob.len = len;
	blob.flags = CURL_BLOB_COPY;
	curl_easy_setopt(h, opt, &blob);
}

/* host[:port] of the server URL, into out; false when it will not fit. */
static bool
server_hostport(const char *server, char *out, size_t outlen)
{
	const char *p = strstr(server, "://"), *end;

	p = p != NULL ? p + 3 : server;
	end = strchr(p, '/');
	if (end == NULL)
		end = p + strlen(p);
	if ((size_t)(end - p) >= outlen)
		return false;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return true;
}

/*
 * TLS and auth options. tls-server-name has no curl option of its own:
 * the URL names that host (so it is checked against the certificate and
 * sent as SNI) and CURLOPT_CONNECT_TO sends the connection to the real
 * address.
 */
static void
setup_tls(struct gd_kube *k, CURL *h, const struct auth *a,
    struct curl_slist **hdrs, struct curl_slist **connect_to, char **url,
    const char *path)
{
	const struct gd_kube_config *c = k->cfg;
	bool https = strncmp(c->server, "https://", 8) == 0;
	char hp[512], *line, *colon;

	xasprintf(url, "%s%s", c->server, path);
	if (https && c->tls_server_name != NULL &&
	    server_hostport(c->server, hp, sizeof(hp))) {
		colon = strrchr(hp, ']') != NULL ? strrchr(hp, ']') + 1 :
						   strchr(hp, ':');
		colon = colon != NULL && *colon == ':' ? colon : NULL;
		if (colon != NULL)
			*colon = '\0';
		free(*url);
		xasprintf(url, "https://%s:%s%s", c->tls_server_name,
		    colon != NULL ? colon + 1 : "443", path);
		xasprintf(&line, "%s:%s:%s:%s", c->tls_server_name,
		    colon != NULL ? colon + 1 : "443", hp,
		    colon != NULL ? colon + 1 : "443");
		*connect_to = curl_slist_append(*connect_to, line);
		free(line);
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, *connect_to);
	}
	if (c->ca_data != NULL)
		set_blob(h, CURLOPT_CAINFO_BLOB, c->ca_data, c->ca_len);
	else if (c->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	if (a->cert != NULL) {
		set_blob(h, CURLOPT_SSLCERT_BLOB, a->cert, a->cert_len);
		set_blob(h, CURLOPT_SSLKEY_BLOB, a->key, a->key_len);
	} else if (c->cert_data != NULL) {
		set_blob(h, CURLOPT_SSLCERT_BLOB, c->cert_data, c->cert_len);
		set_blob(h, CURLOPT_SSLKEY_BLOB, c->key_data, c->key_len);
	} else if (c->cert_file != NULL) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert_file);
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->key_file);
	}
	/* As kubectl: credentials never travel in clear text. */
	if (!https)
		return;
	if (a->token != NULL) {
		xasprintf(&line, "Authorization: Bearer %s", a->token);
		*hdrs = curl_slist_append(*hdrs, line);
		explicit_bzero(line, strlen(line));
		free(line);
	} else if (c->username != NULL) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD,
		    c->password != NULL ? c->password : "");
	}
}

/* Everything of one attempt; streaming when s->fn is set. */
struct attempt {
	const char *method;
	const char *path;
	const char *content_type;
	const char *body;
	size_t len;
	long timeout_ms; /* total transfer; 0: none */
};

static CURLcode
perform(struct gd_kube *k, CURL *h, const struct attempt *at,
    const struct auth *a, struct sink *s, long *status, char *errbuf)
{
	struct curl_slist *hdrs = NULL, *connect_to = NULL, *l;
	char *url = NULL, *ct = NULL;
	long conns = 0;
	CURLcode cc;

	*status = 0;
	errbuf[0] = '\0';
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (at->content_type != NULL) {
		xasprintf(&ct, "Content-Type: %s", at->content_type);
		hdrs = curl_slist_append(hdrs, ct);
	}
	/* No "Expect: 100-continue" round trip before large bodies. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	setup_tls(k, h, a, &hdrs, &connect_to, &url, at->path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "gitopsd");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(
	    h, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, at->timeout_ms);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, sink_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, s);
	if (s->stop != NULL) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, sink_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, s);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	if (strcmp(at->method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, at->method);
	if (at->body != NULL) {
		curl_easy_setopt(
		    h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)at->len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, at->body);
	}
	s->h = h;
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns);
	pthread_mutex_lock(&k->lock);
	k->stats.requests++;
	k->stats.connections += (uint64_t)(conns > 0 ? conns : 0);
	pthread_mutex_unlock(&k->lock);
	/* The Authorization line was copied into the list: wipe it too. */
	for (l = hdrs; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(hdrs);
	curl_slist_free_all(connect_to);
	free(url);
	free(ct);
	return cc;
}

static void
stats_retry(struct gd_kube *k)
{
	pthread_mutex_lock(&k->lock);
	k->stats.retries++;
	pthread_mutex_unlock(&k->lock);
}

void
gd_kube_stats(struct gd_kube *k, struct gd_kube_stats *out)
{
	pthread_mutex_lock(&k->lock);
	*out = k->stats;
	pthread_mutex_unlock(&k->lock);
}

static bool
transport_retriable(CURLcode cc)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return true;
	default:
		return false;
	}
}

static bool
status_retriable(long st)
{
	return st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

/*
 * Runs one request with rate limit, auth and retries. On return s->body
 * holds the last answer and *status its code; a negative return is a
 * transport failure or a credential failure, with err set.
 */
static int
request_run(struct gd_kube *k, const struct attempt *at, struct sink *s,
    long *status, struct gd_err *err)
{
	char errbuf[CURL_ERROR_SIZE];
	struct auth a = { 0 };
	uint64_t wait;
	bool reauthed = false, refresh = false;
	CURL *h = handle_take(k);
	CURLcode cc;
	int n, rc = 0, retries = s->fn != NULL ? 0 : k->opts.max_retries;

	for (n = 0;; n++) {
		if ((wait = gd_kube_bucket_take(
			 &k->bucket, gd_time_mono_ms())) > 0)
			sleep_ms(wait);
		auth_dispose(&a);
		if ((rc = auth_get(k, &a, refresh, err)) < 0)
			break;
		refresh = false;
		gd_buf_reset(&s->body);
		s->retry_after = -1;
		cc = perform(k, h, at, &a, s, status, errbuf);
		if (cc != CURLE_OK) {
			if (s->fn_rc < 0) {
				rc = s->fn_rc;
				break;
			}
			if (s->stop != NULL && *s->stop) {
				rc = 0;
				break;
			}
			/*
			 * A watch that reached its own timeout, or whose
			 * stream the server cut, is done: the caller resumes
			 * from the last event it saw.
			 */
			if (s->fn != NULL && *status >= 200 && *status < 300) {
				rc = 0;
				break;
			}
			if (transport_retriable(cc) && n < retries) {
				stats_retry(k);
				sleep_ms((uint64_t)gd_kube_backoff_ms(
				    k->opts.backoff_ms, n));
				continue;
			}
			rc = gd_err_set(err, GD_EUPSTREAM, "%s %s%s: %s",
			    at->method, k->cfg->server, at->path,
			    errbuf[0] != '\0' ? errbuf :
						curl_easy_strerror(cc));
			break;
		}
		if (*status == 401 && !reauthed &&
		    (k->cfg->exec != NULL || k->cfg->token_file != NULL)) {
			reauthed = refresh = true;
			continue;
		}
		if (status_retriable(*status) && n < retries) {
			wait =
			    (uint64_t)gd_kube_backoff_ms(k->opts.backoff_ms, n);
			if (s->retry_after >= 0 &&
			    (uint64_t)s->retry_after * 1000 > wait)
				wait = (uint64_t)s->retry_after * 1000;
			stats_retry(k);
			sleep_ms(wait);
			continue;
		}
		break;
	}
	auth_dispose(&a);
	handle_put(k, h);
	return rc;
}

int
gd_kube_request(struct gd_kube *k, json_t **out, long *status,
    const char *method, const char *path, const char *content_type,
    const char *body, size_t len, struct gd_err *err)
{
	struct attempt at = { method, path, content_type, body, len, 0 };
	struct sink s = { 0 };
	json_error_t je;
	long st = 0;
	int rc;

	GD_CHECK_OBJ(k, KUBE_MAGIC);
	if (out != NULL)
		*out = NULL;
	s.magic = SINK_MAGIC;
	gd_buf_init(&s.body);
	at.timeout_ms = k->opts.timeout_ms;
	if ((rc = request_run(k, &at, &s, &st, err)) < 0)
		goto out;
	if (st < 200 || st > 299) {
		rc = gd_kube_status_err(err, st, s.body.data, s.body.len);
		goto out;
	}
	if (out != NULL) {
		if (s.body.len == 0)
			*out = json_null();
		else if ((*out = json_loadb(s.body.data, s.body.len, 0, &je)) ==
		    NULL) {
			rc = gd_err_set(err, GD_EUPSTREAM,
			    "%s %s: the answer is not JSON: %s", method, path,
			    je.text);
			goto out;
		}
	}
out:
	if (status != NULL)
		*status = st;
	gd_buf_dispose(&s.body);
	return rc;
}

int
gd_kube_stream(struct gd_kube *k, long *status, const char *path, int timeout_s,
    const volatile bool *stop, kube_chunk_fn fn, void *arg, struct gd_err *err)
{
	struct attempt at = { "GET", path, NULL, NULL, 0, 0 };
	static const volatile bool never = false;
	struct sink s = { 0 };
	int rc;

	GD_CHECK_OBJ(k, KUBE_MAGIC);
	s.magic = SINK_MAGIC;
	s.fn = fn;
	s.arg = arg;
	s.stop = stop != NULL ? stop : &never;
	gd_buf_init(&s.body);
	/* The server ends the watch at timeoutSeconds; this is a backstop. */
	at.timeout_ms = (long)(timeout_s + 15) * 1000;
	*status = 0;
	if ((rc = request_run(k, &at, &s, status, err)) < 0)
		goto out;
	/* Stopped before the server answered: nothing to report. */
	if (*status == 0)
		goto out;
	if (*status < 200 || *status > 299)
		rc = gd_kube_status_err(err, *status, s.body.data, s.body.len);
out:
	gd_buf_dispose(&s.body);
	return rc;
}

void
gd_kube_query_escape(struct gd_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~')
			gd_buf_addc(b, (char)c);
		else {
			gd_buf_addc(b, '%');
			gd_buf_addc(b, hex[c >> 4]);
			gd_buf_addc(b, hex[c & 15]);
		}
	}
}
