/* SPDX-License-Identifier: ISC */
/*
 * Pushes Helm charts to an OCI registry with libcurl, as `helm push`
 * does: each blob by POST /v2/<repo>/blobs/uploads/ and PUT <location>
 * ?digest=, then PUT /v2/<repo>/manifests/<tag>. The hard part is the
 * registry's auth: a 401 names Basic or a Bearer realm, which is asked
 * for a push token with the credentials. Chart archives are written with
 * libarchive into memory, with fixed times so equal input gives equal
 * bytes.
 */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <sodium.h>

#include "gitopsd/core.h"
#include "ocipush.h"

#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG   "application/vnd.cncf.helm.config.v1+json"
#define MT_CHART    "application/vnd.cncf.helm.chart.content.v1.tar+gzip"

struct push {
	const char *base;
	const char *repo;
	const char *user;
	const char *password;
	char *auth; /* "Authorization: ..." line */
	char *errbuf;
	size_t errlen;
};

struct answer {
	long status;
	char *location;
	char *digest;
	char *www_auth;
	struct gd_buf body;
};

static void
answer_dispose(struct answer *a)
{
	free(a->location);
	free(a->digest);
	free(a->www_auth);
	gd_buf_dispose(&a->body);
	memset(a, 0, sizeof(*a));
}

static size_t
on_body(char *d, size_t s, size_t n, void *arg)
{
	gd_buf_add(&((struct answer *)arg)->body, d, s * n);
	return s * n;
}

static void
grab(char **slot, const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);
	const char *v, *e = line + n;

	if (n <= k + 1 || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return;
	for (v = line + k + 1; v < e && *v == ' '; v++)
		;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n'))
		e--;
	free(*slot);
	*slot = xstrndup(v, (size_t)(e - v));
}

static size_t
on_header(char *d, size_t s, size_t n, void *arg)
{
	struct answer *a = arg;

	n *= s;
	grab(&a->location, d, n, "Location");
	grab(&a->digest, d, n, "Docker-Content-Digest");
	grab(&a->www_auth, d, n, "WWW-Authenticate");
	return n;
}

static int
http(struct push *p, const char *method, const char *url, const char *ctype,
    const void *body, size_t len, const char *auth, struct answer *a)
{
	struct curl_slist *h = NULL;
	char *line = NULL;
	CURL *c = curl_easy_init();
	CURLcode cc;

	memset(a, 0, sizeof(*a));
	gd_buf_init(&a->body);
	if (ctype != NULL) {
		xasprintf(&line, "Content-Type: %s", ctype);
		h = curl_slist_append(h, line);
		free(line);
	}
	if (auth != NULL)
		h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body != NULL || strcmp(method, "PUT") == 0 ||
	    strcmp(method, "POST") == 0) {
		curl_easy_setopt(
		    c, CURLOPT_POSTFIELDS, body != NULL ? body : "");
		curl_easy_setopt(
		    c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK) {
		snprintf(p->errbuf, p->errlen, "%s %s: %s", method, url,
		    curl_easy_strerror(cc));
		return -1;
	}
	return 0;
}

/* The value of key="..." in a challenge, or NULL. */
static char *
param(const char *h, const char *key)
{
	const char *p = strstr(h, key), *e;

	if (p == NULL || p[strlen(key)] != '=')
		return NULL;
	p += strlen(key) + 1;
	if (*p == '"') {
		e = strchr(++p, '"');
		return e != NULL ? xstrndup(p, (size_t)(e - p)) : NULL;
	}
	return xstrndup(p, strcspn(p, ","));
}

static char *
basic_line(const char *user, const char *pw)
{
	char *plain, *b64, *line;
	size_t n, blen;

	n = (size_t)xasprintf(&plain, "%s:%s", user, pw);
	blen = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	b64 = xmalloc(blen);
	sodium_bin2base64(b64, blen, (unsigned char *)plain, n,
	    sodium_base64_VARIANT_ORIGINAL);
	xasprintf(&line, "Authorization: Basic %s", b64);
	free(plain);
	free(b64);
	return line;
}

/* Sets p->auth from a 401's challenge; -1 when nothing can be done. */
static int
authenticate(struct push *p, const char *challenge)
{
	char *realm = NULL, *service = NULL, *scope = NULL, *url = NULL;
	char *esc_s = NULL, *esc_c = NULL, *basic = NULL;
	struct answer a;
	json_t *j;
	const char *tok;
	int rc = -1;

	if (challenge == NULL || p->user == NULL) {
		snprintf(p->errbuf, p->errlen, "registry wants credentials");
		return -1;
	}
	basic = basic_line(p->user, p->password);
	if (strncasecmp(challenge, "Basic", 5) == 0) {
		free(p->auth);
		p->auth = basic;
		return 0;
	}
	realm = param(challenge, "realm");
	service = param(challenge, "service");
	scope = param(challenge, "scope");
	if (realm == NULL)
		goto out;
	esc_s = curl_easy_escape(NULL, service != NULL ? service : "", 0);
	if (scope == NULL)
		xasprintf(&scope, "repository:%s:pull,push", p->repo);
	esc_c = curl_easy_escape(NULL, scope, 0);
	xasprintf(&url, "%s?service=%s&scope=%s", realm, esc_s, esc_c);
	if (http(p, "GET", url, NULL, NULL, 0, basic, &a) < 0)
		goto out;
	j = json_loadb(a.body.data, a.body.len, 0, NULL);
	tok = json_string_value(json_object_get(j, "token"));
	if (a.status == 200 && tok != NULL) {
		free(p->auth);
		xasprintf(&p->auth, "Authorization: Bearer %s", tok);
		rc = 0;
	} else
		snprintf(
		    p->errbuf, p->errlen, "token server: HTTP %ld", a.status);
	json_decref(j);
	answer_dispose(&a);
out:
	free(realm);
	free(service);
	free(scope);
	free(url);
	curl_free(esc_s);
	curl_free(esc_c);
	free(basic);
	return rc;
}

/* One request, authenticated as the registry asks. */
static int
call(struct push *p, const char *method, const char *url, const char *ctype,
    const void *body, size_t len, struct answer *a)
{
	if (http(p, method, url, ctype, body, len, p->auth, a) < 0)
		return -1;
	if (a->status != 401)
		return 0;
	if (authenticate(p, a->www_auth) < 0)
		return -1;
	answer_dispose(a);
	return http(p, method, url, ctype, body, len, p->auth, a);
}

static void
sha256(char out[OCIPUSH_DIGEST_LEN], const void *d, size_t n)
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, d, n);
	memcpy(out, "sha256:", 7);
	sodium_bin2hex(out + 7, OCIPUSH_DIGEST_LEN - 7, h, sizeof(h));
}

static int
push_blob(struct push *p, const void *d, size_t n, const char *digest)
{
	struct answer a;
	char *url, *put;
	int rc = -1;

	xasprintf(&url, "%s/v2/%s/blobs/uploads/", p->base, p->repo);
	if (call(p, "POST", url, NULL, NULL, 0, &a) < 0)
		goto out;
	if (a.status != 202 || a.location == NULL) {
		snprintf(
		    p->errbuf, p->errlen, "start upload: HTTP %ld", a.status);
		goto out;
	}
	if (a.location[0] == '/')
		xasprintf(&put, "%s%s%sdigest=%s", p->base, a.location,
		    strchr(a.location, '?') != NULL ? "&" : "?", digest);
	else
		xasprintf(&put, "%s%sdigest=%s", a.location,
		    strchr(a.location, '?') != NULL ? "&" : "?", digest);
	answer_dispose(&a);
	if (call(p, "PUT", put, "application/octet-stream", d, n, &a) == 0) {
		if (a.status == 201)
			rc = 0;
		else
			snprintf(p->errbuf, p->errlen, "upload: HTTP %ld %s",
			    a.status, a.body.data);
	}
	free(put);
out:
	answer_dispose(&a);
	free(url);
	return rc;
}

int
ocipush(const char *base, const char *repo, const char *tag, const void *tgz,
    size_t len, const char *user, const char *password, char *digest,
    char *errbuf, size_t errlen)
{
	return ocipush_sized(base, repo, tag, tgz, len, (long long)len, user,
	    password, digest, errbuf, errlen);
}

int
ocipush_sized(const char *base, const char *repo, const char *tag,
    const void *tgz, size_t len, long long size, const char *user,
    const char *password, char *digest, char *errbuf, size_t errlen)
{
	struct push p = { base, repo, user, password != NULL ? password : "",
		NULL, errbuf, errlen };
	char cdig[OCIPUSH_DIGEST_LEN], ldig[OCIPUSH_DIGEST_LEN];
	char *config, *manifest = NULL, *url = NULL;
	struct answer a;
	int rc = -1;

	memset(&a, 0, sizeof(a));
	xasprintf(&config,
	    "{\"apiVersion\":\"v2\",\"name\":\"%s\","
	    "\"version\":\"%s\"}",
	    strrchr(repo, '/') != NULL ? strrchr(repo, '/') + 1 : repo, tag);
	sha256(cdig, config, strlen(config));
	sha256(ldig, tgz, len);
	if (push_blob(&p, config, strlen(config), cdig) < 0 ||
	    push_blob(&p, tgz, len, ldig) < 0)
		goto out;
	xasprintf(&manifest,
	    "{\"schemaVersion\":2,\"mediaType\":\"" MT_MANIFEST "\","
	    "\"config\":{\"mediaType\":\"" MT_CONFIG "\",\"digest\":\"%s\","
	    "\"size\":%zu},\"layers\":[{\"mediaType\":\"" MT_CHART "\","
	    "\"digest\":\"%s\",\"size\":%lld}],\"annotations\":{"
	    "\"org.opencontainers.image.version\":\"%s\"}}",
	    cdig, strlen(config), ldig, size, tag);
	xasprintf(&url, "%s/v2/%s/manifests/%s", base, repo, tag);
	if (call(&p, "PUT", url, MT_MANIFEST, manifest, strlen(manifest), &a) <
	    0)
		goto out;
	if (a.status != 201) {
		snprintf(errbuf, errlen, "manifest: HTTP %ld %s", a.status,
		    a.body.data);
		goto out;
	}
	if (digest != NULL)
		sha256(digest, manifest, strlen(manifest));
	rc = 0;
out:
	answer_dispose(&a);
	free(config);
	free(manifest);
	free(url);
	free(p.auth);
	return rc;
}

/* --- chart archives ------------------------------------------------------ */

static la_ssize_t
to_buf(struct archive *a, void *arg, const void *d, size_t n)
{
	(void)a;
	gd_buf_add(arg, d, n);
	return (la_ssize_t)n;
}

static void
add_file(struct archive *a, const char *name, const char *text)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)strlen(text));
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, 1700000000, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    archive_write_data(a, text, strlen(text)) < 0)
		abort();
	archive_entry_free(e);
}

void
ocipush_chart(const char *name, const char *version, const char *note,
    void **out, size_t *len)
{
	struct archive *a = archive_write_new();
	struct gd_buf b;
	char *path, *text;

	gd_buf_init(&b);
	if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_format_ustar(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, &b, NULL, to_buf, NULL) != ARCHIVE_OK)
		abort();
	xasprintf(&path, "%s/Chart.yaml", name);
	xasprintf(
	    &text, "apiVersion: v2\nname: %s\nversion: %s\n", name, version);
	add_file(a, path, text);
	free(path);
	free(text);
	xasprintf(&path, "%s/values.yaml", name);
	xasprintf(&text, "note: \"%s\"\n", note != NULL ? note : "");
	add_file(a, path, text);
	free(path);
	free(text);
	xasprintf(&path, "%s/templates/cm.yaml", name);
	add_file(a, path,
	    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ "
	    ".Release.Name }}\ndata:\n  note: {{ .Values.note | quote }}\n"
	    "  version: {{ .Chart.Version | quote }}\n");
	free(path);
	if (archive_write_close(a) != ARCHIVE_OK)
		abort();
	archive_write_free(a);
	*out = gd_buf_detach(&b, len);
}
