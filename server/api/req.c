/* SPDX-License-Identifier: ISC */
/*
 * The request model handlers see: method, raw path, decoded query and
 * path parameters, headers, body and its parsed JSON, peer and request
 * id. It is built the same way by the MHD adapter and by tests, so
 * everything a handler reads was decoded here. The hard part is decoding:
 * a bad escape must become a 400 naming the parameter, never a silently
 * truncated value, and an encoded NUL must never reach C string code.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api_int.h"

static atomic_ulong req_counter;
static pthread_once_t req_once = PTHREAD_ONCE_INIT;
static unsigned long req_boot;

/* --- name/value lists ---------------------------------------------------- */

void
gd_kvs_add(struct gd_kvs *l, const char *key, const char *val)
{
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 8 : l->cap * 2;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n].key = xstrdup(key);
	l->v[l->n].val = xstrdup(val != NULL ? val : "");
	l->n++;
}

const char *
gd_kvs_get(const struct gd_kvs *l, const char *key, bool nocase)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (nocase ? strcasecmp(l->v[i].key, key) == 0 :
			     strcmp(l->v[i].key, key) == 0)
			return l->v[i].val;
	}
	return NULL;
}

bool
gd_kvs_del(struct gd_kvs *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcasecmp(l->v[i].key, key) != 0)
			continue;
		free(l->v[i].key);
		free(l->v[i].val);
		memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
		l->n--;
		return true;
	}
	return false;
}

void
gd_kvs_clear(struct gd_kvs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].val);
	}
	l->n = 0;
}

void
gd_kvs_dispose(struct gd_kvs *l)
{
	gd_kvs_clear(l);
	free(l->v);
	l->v = NULL;
	l->cap = 0;
}

/* --- decoding ------------------------------------------------------------ */

static int
req_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
gd_req_unescape(
    char **out, const char *s, size_t n, bool plus, struct gd_err *err)
{
	char *d;
	size_t i, j;
	int hi, lo;

	*out = NULL;
	d = xmalloc(n + 1);
	for (i = 0, j = 0; i < n; i++) {
		if (s[i] == '+' && plus) {
			d[j++] = ' ';
			continue;
		}
		if (s[i] != '%') {
			d[j++] = s[i];
			continue;
		}
		hi = i + 2 < n ? req_hexval(s[i + 1]) : -1;
		lo = i + 2 < n ? req_hexval(s[i + 2]) : -1;
		/* %00 would cut the C string the handler sees. */
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			free(d);
			return gd_err_set(err, GD_EINVAL,
			    "\"%.*s\": bad percent-encoding at byte %zu",
			    (int)(n > 128 ? 128 : n), s, i + 1);
		}
		d[j++] = (char)(hi * 16 + lo);
		i += 2;
	}
	d[j] = '\0';
	*out = d;
	return 0;
}

/* --- requests ------------------------------------------------------------ */

static void
req_boot_init(void)
{
	req_boot = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
}

void
gd_req_init(struct gd_req *req, const char *method, const char *target)
{
	const char *q, *p, *amp, *eq;
	char *key, *val;

	memset(req, 0, sizeof(*req));
	req->magic = GD_REQ_MAGIC;
	req->method = xstrdup(method);
	if ((q = strchr(target, '?')) == NULL)
		q = target + strlen(target);
	req->path = xstrndup(target, (size_t)(q - target));
	pthread_once(&req_once, req_boot_init);
	snprintf(req->id, sizeof(req->id), "%08lx-%lu", req_boot & 0xffffffffUL,
	    atomic_fetch_add(&req_counter, 1) + 1);
	if (*q != '?')
		return;
	for (p = q + 1; *p != '\0'; p = (*amp == '&') ? amp + 1 : amp) {
		if ((amp = strchr(p, '&')) == NULL)
			amp = p + strlen(p);
		if (amp == p)
			continue;
		eq = memchr(p, '=', (size_t)(amp - p));
		key = xstrndup(p, (size_t)((eq != NULL ? eq : amp) - p));
		val = eq != NULL ? xstrndup(eq + 1, (size_t)(amp - eq - 1)) :
				   NULL;
		gd_req_add_query(req, key, val);
		free(key);
		free(val);
	}
}

void
gd_req_dispose(struct gd_req *req)
{
	size_t i;
	const char *k;

	if (req == NULL)
		return;
	/* Credentials (headers, a login body) must not linger in the heap. */
	for (i = 0; i < req->headers.n; i++) {
		k = req->headers.v[i].key;
		if (strcasecmp(k, "authorization") == 0 ||
		    strcasecmp(k, "cookie") == 0)
			explicit_bzero(req->headers.v[i].val,
			    strlen(req->headers.v[i].val));
	}
	free(req->method);
	free(req->path);
	gd_kvs_dispose(&req->query);
	gd_kvs_dispose(&req->params);
	gd_kvs_dispose(&req->headers);
	if (req->body != NULL)
		explicit_bzero(req->body, req->body_len);
	free(req->body);
	json_decref(req->json);
	memset(req, 0, sizeof(*req));
}

void
gd_req_add_query(struct gd_req *req, const char *key, const char *val)
{
	struct gd_err err;
	char *dk = NULL, *dv = NULL;

	if (gd_req_unescape(&dk, key, strlen(key), true, &err) < 0 ||
	    (val != NULL &&
		gd_req_unescape(&dv, val, strlen(val), true, &err) < 0)) {
		if (req->bad.code == 0) {
			req->bad = err;
			gd_err_wrap(&req->bad, "query parameter");
		}
		goto out;
	}
	gd_kvs_add(&req->query, dk, dv);
out:
	free(dk);
	free(dv);
}

void
gd_req_add_header(struct gd_req *req, const char *key, const char *val)
{
	gd_kvs_add(&req->headers, key, val);
}

void
gd_req_set_body(struct gd_req *req, const void *data, size_t len)
{
	free(req->body);
	req->body = xmalloc(len + 1);
	if (len > 0)
		memcpy(req->body, data, len);
	req->body[len] = '\0';
	req->body_len = len;
}

const char *
gd_req_query(const struct gd_req *req, const char *key)
{
	return gd_kvs_get(&req->query, key, false);
}

const char *
gd_req_param(const struct gd_req *req, const char *key)
{
	return gd_kvs_get(&req->params, key, false);
}

const char *
gd_req_header(const struct gd_req *req, const char *key)
{
	return gd_kvs_get(&req->headers, key, true);
}

int
gd_req_json(json_t **out, struct gd_req *req, struct gd_err *err)
{
	json_error_t jerr;

	*out = NULL;
	if (req->json == NULL) {
		if (req->body_len == 0)
			return gd_err_set(
			    err, GD_EINVAL, "body: empty, want a JSON object");
		req->json = json_loadb(
		    req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
		if (req->json == NULL)
			return gd_err_set(err, GD_EINVAL,
			    "body: invalid JSON at line %d column %d: %s",
			    jerr.line, jerr.column, jerr.text);
	}
	*out = req->json;
	return 0;
}
