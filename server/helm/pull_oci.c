/* SPDX-License-Identifier: ISC */
/*
 * Charts from OCI registries, through the distribution API as helm uses
 * it: the manifest of a tag or digest (an OCI image manifest whose config
 * is a Helm chart config), then the chart layer's blob, whose size and
 * sha256 are checked before the store keeps it. Version ranges are
 * resolved against the tag list ("+" in a semver tag is stored as "_").
 *
 * The hard part is authentication without extra round trips: a registry
 * answers 401 with a challenge, either Basic (send the configured
 * credentials) or Bearer (ask the realm for a token for the challenge's
 * scope, with the credentials or anonymously). What each registry wants
 * is memoised and tokens are cached per scope until they expire, so the
 * next pull of an unchanged tag is a single HEAD that already carries
 * the right Authorization header.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pull_int.h"

#define MT_MANIFEST     "application/vnd.oci.image.manifest.v1+json"
#define MT_INDEX        "application/vnd.oci.image.index.v1+json"
#define MT_HELM_CONFIG  "application/vnd.cncf.helm.config.v1+json"
#define MT_HELM_CHART   "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
#define MT_LEGACY_CHART "application/tar+gzip"
#define TAG_PAGES_MAX   100
#define TOKEN_MAX       (1u << 20)
#define TOKEN_TTL_S     60 /* the spec's default when expires_in is absent */

struct oci {
	struct pull_job *job;
	struct gd_helm_pull *p;
	const struct gd_conf_registry *reg;
	char *base; /* "https://harbor.local" or the configured endpoint */
	char origin[512];
	/*
	 * Tokens are cached per registry as written and per origin: two
	 * aliases of one endpoint may hold different credentials.
	 */
	char tkey[1024];
	char *repo; /* "charts/myapp" */
	const char *name; /* "myapp" */
	char *auth; /* the Authorization value in use, or NULL */
};

/* --- parsers (fuzzed) ---------------------------------------------------- */

static bool
layer_type(const char *t, bool *legacy)
{
	*legacy = t != NULL && strcmp(t, MT_LEGACY_CHART) == 0;
	return t != NULL && (strcmp(t, MT_HELM_CHART) == 0 || *legacy);
}

int
pull_manifest_parse(
    struct pull_manifest *m, const char *buf, size_t len, struct gd_err *err)
{
	json_t *root, *layers, *l, *cfg;
	json_error_t jerr;
	const char *mt, *ct, *dg;
	size_t i;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	if ((root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL)
		return gd_err_set(
		    err, GD_EUPSTREAM, "manifest is not JSON: %s", jerr.text);
	if (!json_is_object(root)) {
		rc = gd_err_set(err, GD_EUPSTREAM, "manifest is not an object");
		goto out;
	}
	mt = json_string_value(json_object_get(root, "mediaType"));
	if (mt != NULL && strcmp(mt, MT_INDEX) == 0) {
		rc = gd_err_set(
		    err, GD_EINVAL, "an image index, not a Helm chart");
		goto out;
	}
	if (json_integer_value(json_object_get(root, "schemaVersion")) != 2) {
		rc = gd_err_set(
		    err, GD_EUPSTREAM, "manifest schemaVersion is not 2");
		goto out;
	}
	cfg = json_object_get(root, "config");
	ct = json_string_value(json_object_get(cfg, "mediaType"));
	snprintf(
	    m->config_type, sizeof(m->config_type), "%s", ct != NULL ? ct : "");
	if (ct == NULL || strcmp(ct, MT_HELM_CONFIG) != 0) {
		rc = gd_err_set(err, GD_EINVAL,
		    "not a Helm chart (config media type \"%.100s\")",
		    m->config_type);
		goto out;
	}
	layers = json_object_get(root, "layers");
	for (i = 0; i < json_array_size(layers); i++) {
		l = json_array_get(layers, i);
		if (!layer_type(
			json_string_value(json_object_get(l, "mediaType")),
			&m->legacy))
			continue;
		dg = json_string_value(json_object_get(l, "digest"));
		if (!pull_digest_ok(dg)) {
			rc = gd_err_set(err, GD_EUPSTREAM,
			    "chart layer has no sha256 digest");
			goto out;
		}
		if (!json_is_integer(json_object_get(l, "size")) ||
		    json_integer_value(json_object_get(l, "size")) < 0) {
			rc = gd_err_set(
			    err, GD_EUPSTREAM, "chart layer has no size");
			goto out;
		}
		snprintf(m->layer_digest, sizeof(m->layer_digest), "%s", dg);
		m->layer_size = json_integer_value(json_object_get(l, "size"));
		goto out;
	}
	rc = gd_err_set(err, GD_EUPSTREAM, "manifest has no chart layer");
out:
	json_decref(root);
	return rc;
}

void
pull_challenge_dispose(struct pull_challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
	memset(c, 0, sizeof(*c));
}

/* One auth-param value: a token or a quoted string with \ escapes. */
static char *
challenge_value(const char **pp)
{
	const char *p = *pp;
	struct gd_buf b;

	gd_buf_init(&b);
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			gd_buf_addc(&b, *p);
		}
		if (*p == '"')
			p++;
	} else {
		while (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t')
			gd_buf_addc(&b, *p++);
	}
	*pp = p;
	return gd_buf_detach(&b, NULL);
}

bool
pull_challenge_parse(struct pull_challenge *c, const char *h)
{
	const char *p = h, *k;
	size_t n, nk;
	char *v;

	memset(c, 0, sizeof(*c));
	while (*p == ' ' || *p == '\t')
		p++;
	n = strcspn(p, " \t");
	if (n == 0 || n >= sizeof(c->scheme))
		return false;
	for (nk = 0; nk < n; nk++)
		c->scheme[nk] = (char)tolower((unsigned char)p[nk]);
	c->scheme[n] = '\0';
	p += n;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		k = p;
		while (*p != '\0' && *p != '=' && *p != ',' && *p != ' ')
			p++;
		nk = (size_t)(p - k);
		if (*p != '=') {
			/* a token68 or junk: skip to the next comma */
			p += strcspn(p, ",");
			continue;
		}
		p++;
		v = challenge_value(&p);
		if (nk == 5 && strncasecmp(k, "realm", 5) == 0 &&
		    c->realm == NULL)
			c->realm = v;
		else if (nk == 7 && strncasecmp(k, "service", 7) == 0 &&
		    c->service == NULL)
			c->service = v;
		else if (nk == 5 && strncasecmp(k, "scope", 5) == 0 &&
		    c->scope == NULL)
			c->scope = v;
		else
			free(v);
	}
	return true;
}

char *
pull_link_next(const char *h)
{
	const char *p = h, *lt, *gt, *params, *end;

	while (p != NULL && (lt = strchr(p, '<')) != NULL) {
		if ((gt = strchr(lt, '>')) == NULL)
			return NULL;
		params = gt + 1;
		end = strchr(params, '<');
		if (end == NULL)
			end = params + strlen(params);
		/* rel="next" or rel=next among this link's parameters */
		for (p = params; p < end; p++)
			if (strncasecmp(p, "rel=", 4) == 0 &&
			    (strncasecmp(p + 4, "\"next\"", 6) == 0 ||
				(strncasecmp(p + 4, "next", 4) == 0 &&
				    (p + 8 >= end ||
					strchr(" ;,", p[8]) != NULL))))
				return xstrndup(lt + 1, (size_t)(gt - lt - 1));
		p = end;
	}
	return NULL;
}

char *
pull_registry_error(const char *body, size_t len)
{
	json_t *root, *e;
	const char *msg, *code;
	char *r = NULL, *s;

	if (len == 0 || (root = json_loadb(body, len, 0, NULL)) == NULL)
		return NULL;
	e = json_array_get(json_object_get(root, "errors"), 0);
	msg = json_string_value(json_object_get(e, "message"));
	code = json_string_value(json_object_get(e, "code"));
	if (msg != NULL && *msg != '\0')
		r = xstrndup(msg, 200);
	else if (code != NULL && *code != '\0') {
		r = xstrndup(code, 200);
		for (s = r; *s != '\0'; s++)
			*s = *s == '_' ? ' ' : (char)tolower((unsigned char)*s);
	}
	json_decref(root);
	return r;
}

/* --- refs ------------------------------------------------------------------
 */

static bool
repo_name_ok(const char *r)
{
	const char *p;
	bool start = true;

	if (*r == '\0' || strlen(r) > 255)
		return false;
	for (p = r; *p != '\0'; p++) {
		if (islower((unsigned char)*p) || isdigit((unsigned char)*p)) {
			start = false;
			continue;
		}
		/* separators only between alphanumerics */
		if (start || strchr("._-/", *p) == NULL)
			return false;
		if (*p == '/')
			start = true;
		else if (p[1] == '\0' || p[1] == '/')
			return false;
	}
	return !start;
}

static bool
tag_ok(const char *t)
{
	size_t i, n = strlen(t);

	if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)t[i]) &&
		    strchr("._-", t[i]) == NULL)
			return false;
	return true;
}

static bool
host_ok(const char *h)
{
	const char *p;

	if (*h == '\0')
		return false;
	for (p = h; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr(".-:[]", *p) == NULL)
			return false;
	return true;
}

static void
oci_dispose(struct oci *o)
{
	free(o->base);
	free(o->repo);
	pull_secret_free(o->auth);
	memset(o, 0, sizeof(*o));
}

static int
oci_init(struct oci *o, struct pull_job *job, struct gd_err *err)
{
	const char *rest = job->repo_url + 6, *slash;
	char *host, *path;
	size_t n;

	memset(o, 0, sizeof(*o));
	o->job = job;
	o->p = job->p;
	slash = strchr(rest, '/');
	host = slash != NULL ? xstrndup(rest, (size_t)(slash - rest)) :
			       xstrdup(rest);
	path = xstrdup(slash != NULL ? slash + 1 : "");
	n = strlen(path);
	while (n > 0 && path[n - 1] == '/')
		path[--n] = '\0';
	if (*job->chart != '\0')
		xasprintf(
		    &o->repo, "%s%s%s", path, n > 0 ? "/" : "", job->chart);
	else
		o->repo = xstrdup(path);
	free(path);
	if (!host_ok(host) || !repo_name_ok(o->repo)) {
		free(host);
		return gd_err_set(err, GD_EINVAL,
		    "%s: not a valid OCI chart reference", job->ref);
	}
	o->name =
	    strrchr(o->repo, '/') != NULL ? strrchr(o->repo, '/') + 1 : o->repo;
	o->reg = gd_conf_registry_for(o->p->conf, host);
	if (o->reg != NULL && o->reg->endpoint != NULL) {
		o->base = xstrdup(o->reg->endpoint);
		n = strlen(o->base);
		while (n > 0 && o->base[n - 1] == '/')
			o->base[--n] = '\0';
	} else
		xasprintf(&o->base, "https://%s", host);
	if (!pull_url_origin(o->base, o->origin, sizeof(o->origin))) {
		free(host);
		return gd_err_set(err, GD_EINVAL,
		    "%s: registry endpoint is not a URL", job->ref);
	}
	snprintf(o->tkey, sizeof(o->tkey), "%s %s", host, o->origin);
	free(host);
	return 0;
}

/* --- authentication ------------------------------------------------------- */

/* The configured user and password; *user stays NULL when there are none. */
static int
oci_creds(struct oci *o, char **user, char **pass, struct gd_err *err)
{
	const struct gd_conf_registry *r = o->reg;
	int rc;

	*user = *pass = NULL;
	if (r == NULL ||
	    (r->username == NULL && r->username_file == NULL &&
		r->password_file == NULL))
		return 0;
	if (r->username != NULL)
		*user = xstrdup(r->username);
	else if (r->username_file != NULL &&
	    (rc = gd_conf_read_secret(user, r->username_file, err)) < 0)
		return gd_err_wrap(err, "%s", o->job->ref);
	if (r->password_file != NULL &&
	    (rc = gd_conf_read_secret(pass, r->password_file, err)) < 0) {
		pull_secret_free(*user);
		*user = NULL;
		return gd_err_wrap(err, "%s", o->job->ref);
	}
	if (*user == NULL)
		*user = xstrdup("");
	if (*pass == NULL)
		*pass = xstrdup("");
	return 0;
}

/* A cached token for scope that has not expired, as "Bearer ...". */
static char *
token_get(struct gd_helm_pull *p, const char *origin, const char *scope)
{
	struct pull_token *t;
	uint64_t now = gd_time_mono_ms();
	char *r = NULL;

	pthread_mutex_lock(&p->lock);
	for (t = p->tokens; t != NULL; t = t->next)
		if (strcmp(t->origin, origin) == 0 &&
		    strcmp(t->scope, scope) == 0 && now < t->expires_ms) {
			xasprintf(&r, "Bearer %s", t->token);
			break;
		}
	pthread_mutex_unlock(&p->lock);
	return r;
}

static void
token_put(struct gd_helm_pull *p, const char *origin, const char *scope,
    const char *token, long ttl_s)
{
	struct pull_token *t, **pp;

	pthread_mutex_lock(&p->lock);
	for (pp = &p->tokens; (t = *pp) != NULL; pp = &t->next)
		if (strcmp(t->origin, origin) == 0 &&
		    strcmp(t->scope, scope) == 0) {
			*pp = t->next;
			pull_secret_free(t->token);
			free(t->origin);
			free(t->scope);
			free(t);
			break;
		}
	t = xcalloc(1, sizeof(*t));
	t->origin = xstrdup(origin);
	t->scope = xstrdup(scope);
	t->token = xstrdup(token);
	/* a margin, so a token is not sent in its last seconds */
	t->expires_ms = gd_time_mono_ms() +
	    (uint64_t)(ttl_s > 20 ? ttl_s - 10 : ttl_s) * 1000;
	t->next = p->tokens;
	p->tokens = t;
	pthread_mutex_unlock(&p->lock);
}

void
pull_tokens_free(struct gd_helm_pull *p)
{
	struct pull_token *t;

	while ((t = p->tokens) != NULL) {
		p->tokens = t->next;
		pull_secret_free(t->token);
		free(t->origin);
		free(t->scope);
		free(t);
	}
}

static void
url_escape(struct gd_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || strchr("-._~", c) != NULL)
			gd_buf_addc(b, (char)c);
		else {
			gd_buf_addc(b, '%');
			gd_buf_addc(b, hex[c >> 4]);
			gd_buf_addc(b, hex[c & 15]);
		}
	}
}

/* The status of an answer as an error naming the ref. */
static int
oci_status_err(struct oci *o, const struct pull_http_resp *r, const char *deflt,
    struct gd_err *err)
{
	char *msg = pull_registry_error(r->body.data, r->body.len);
	const char *m = msg != NULL ? msg : deflt;
	const char *ref = o->job->ref;
	int rc;

	switch (r->status) {
	case 401:
		rc = gd_err_set(err, GD_EUNAUTH, "%s: unauthorized: %s", ref,
		    msg != NULL ? msg : "authentication required");
		break;
	case 403:
		rc = gd_err_set(err, GD_EDENIED, "%s: denied: %s", ref,
		    msg != NULL ? msg :
				  "requested access to the resource "
				  "is denied");
		break;
	case 404:
		rc = gd_err_set(err, GD_ENOTFOUND, "%s: %s", ref, m);
		break;
	default:
		rc = gd_err_set(err, GD_EUPSTREAM,
		    "%s: registry answered "
		    "HTTP %ld%s%s",
		    ref, r->status, msg != NULL ? ": " : "",
		    msg != NULL ? msg : "");
	}
	free(msg);
	return rc;
}

/* Asks the challenge's realm for a token (Basic when configured). */
static int
oci_token(struct oci *o, const struct pull_challenge *c, const char *scope,
    struct gd_err *err)
{
	struct pull_http_req req = { 0 };
	struct pull_http_resp resp;
	struct gd_buf url;
	char *user = NULL, *pass = NULL, *basic = NULL;
	const char *tok;
	json_t *j = NULL;
	long ttl;
	int rc;

	if (c->realm == NULL ||
	    (strncmp(c->realm, "https://", 8) != 0 &&
		strncmp(c->realm, "http://", 7) != 0))
		return gd_err_set(err, GD_EUPSTREAM,
		    "%s: bearer challenge without a usable realm", o->job->ref);
	gd_buf_init(&url);
	gd_buf_adds(&url, c->realm);
	gd_buf_addc(&url, strchr(c->realm, '?') != NULL ? '&' : '?');
	if (c->service != NULL) {
		gd_buf_adds(&url, "service=");
		url_escape(&url, c->service);
		gd_buf_addc(&url, '&');
	}
	gd_buf_adds(&url, "scope=");
	url_escape(&url, scope);
	if ((rc = oci_creds(o, &user, &pass, err)) < 0)
		goto out;
	if (user != NULL)
		basic = pull_basic_auth(user, pass);
	req.url = url.data;
	req.what = "token server";
	req.accept = "application/json";
	req.auth = basic;
	req.ca_file = o->reg != NULL ? o->reg->ca_file : NULL;
	req.insecure = o->reg != NULL && o->reg->insecure;
	req.max = TOKEN_MAX;
	if ((rc = pull_http(o->p, &req, &resp, err)) < 0) {
		gd_err_wrap(err, "%s", o->job->ref);
		goto out;
	}
	if (resp.status != 200) {
		rc = oci_status_err(o, &resp, "token refused", err);
		if (rc == GD_ENOTFOUND)
			rc = gd_err_set(err, GD_EUPSTREAM,
			    "%s: token server answered HTTP 404", o->job->ref);
		goto done;
	}
	j = json_loadb(resp.body.data, resp.body.len, 0, NULL);
	tok = json_string_value(json_object_get(j, "token"));
	if (tok == NULL || *tok == '\0')
		tok = json_string_value(json_object_get(j, "access_token"));
	if (tok == NULL || *tok == '\0' || strpbrk(tok, "\r\n") != NULL) {
		rc = gd_err_set(err, GD_EUPSTREAM,
		    "%s: token server sent no token", o->job->ref);
		goto done;
	}
	ttl = (long)json_integer_value(json_object_get(j, "expires_in"));
	token_put(o->p, o->tkey, scope, tok, ttl > 0 ? ttl : TOKEN_TTL_S);
	pull_secret_free(o->auth);
	xasprintf(&o->auth, "Bearer %s", tok);
done:
	if (j != NULL) {
		/* the token is a secret too */
		explicit_bzero(resp.body.data, resp.body.len);
		json_decref(j);
	}
	pull_http_resp_dispose(&resp);
out:
	pull_secret_free(user);
	pull_secret_free(pass);
	pull_secret_free(basic);
	gd_buf_dispose(&url);
	return rc;
}

static char *
oci_scope(const struct oci *o)
{
	char *s;

	xasprintf(&s, "repository:%s:pull", o->repo);
	return s;
}

/* What the registry wanted last time, sent before it has to ask. */
static int
oci_auth_prepare(struct oci *o, struct gd_err *err)
{
	char *scheme, *user = NULL, *pass = NULL, *scope;
	int rc = 0;

	if (o->auth != NULL)
		return 0;
	scheme = pull_memo_get(o->p, PULL_MEMO_SCHEME, o->origin);
	if (scheme != NULL && strcmp(scheme, "bearer") == 0) {
		scope = oci_scope(o);
		o->auth = token_get(o->p, o->tkey, scope);
		free(scope);
	} else if (scheme != NULL && strcmp(scheme, "basic") == 0) {
		if ((rc = oci_creds(o, &user, &pass, err)) == 0 && user != NULL)
			o->auth = pull_basic_auth(user, pass);
	}
	pull_secret_free(user);
	pull_secret_free(pass);
	free(scheme);
	return rc;
}

/*
 * Answers a 401: true when there is something new to try (credentials,
 * a fresh token), false when the 401 is final.
 */
static int
oci_auth_retry(struct oci *o, const struct pull_http_resp *r, bool *retry,
    struct gd_err *err)
{
	struct pull_challenge c;
	char *user = NULL, *pass = NULL, *scope;
	int rc = 0;

	*retry = false;
	if (r->www_auth == NULL || !pull_challenge_parse(&c, r->www_auth))
		return 0;
	if (strcmp(c.scheme, "bearer") == 0) {
		pull_memo_set(o->p, PULL_MEMO_SCHEME, o->origin, "bearer");
		scope = c.scope != NULL ? xstrdup(c.scope) : oci_scope(o);
		if ((rc = oci_token(o, &c, scope, err)) == 0)
			*retry = true;
		free(scope);
	} else if (strcmp(c.scheme, "basic") == 0 &&
	    (o->auth == NULL || strncmp(o->auth, "Basic ", 6) != 0)) {
		pull_memo_set(o->p, PULL_MEMO_SCHEME, o->origin, "basic");
		if ((rc = oci_creds(o, &user, &pass, err)) == 0 &&
		    user != NULL) {
			pull_secret_free(o->auth);
			o->auth = pull_basic_auth(user, pass);
			*retry = true;
		}
	}
	pull_secret_free(user);
	pull_secret_free(pass);
	pull_challenge_dispose(&c);
	return rc;
}

/*
 * One request to the registry (path under base, or an absolute URL),
 * authenticated as the registry asks. Any final status is returned in
 * resp for the caller to judge, 401 included.
 */
static int
oci_request(struct oci *o, const char *method, const char *path,
    const char *accept, size_t max, struct pull_http_resp *resp,
    struct gd_err *err)
{
	struct pull_http_req req = { 0 };
	char *url;
	bool retry;
	int rc, tries;

	memset(resp, 0, sizeof(*resp));
	if ((rc = oci_auth_prepare(o, err)) < 0)
		return rc;
	if (strncmp(path, "http://", 7) == 0 ||
	    strncmp(path, "https://", 8) == 0)
		url = xstrdup(path);
	else
		xasprintf(&url, "%s%s", o->base, path);
	req.method = method;
	req.url = url;
	req.what = "registry";
	req.accept = accept;
	req.auth_origin = o->base;
	req.ca_file = o->reg != NULL ? o->reg->ca_file : NULL;
	req.insecure = o->reg != NULL && o->reg->insecure;
	req.max = max;
	/* a cached token may have been revoked: one fresh try after it */
	for (tries = 0; tries < 3; tries++) {
		req.auth = o->auth;
		if ((rc = pull_http(o->p, &req, resp, err)) < 0) {
			gd_err_wrap(err, "%s", o->job->ref);
			break;
		}
		if (resp->status != 401 || tries == 2)
			break;
		if ((rc = oci_auth_retry(o, resp, &retry, err)) < 0 || !retry)
			break;
		pull_http_resp_dispose(resp);
	}
	free(url);
	return rc;
}

/* --- the pull --------------------------------------------------------------
 */

/* The manifest of reference (tag or digest), checked against digest. */
static int
oci_manifest(struct oci *o, const char *reference, struct pull_manifest *m,
    char mdigest[PULL_SHA_LEN], struct gd_err *err)
{
	struct pull_http_resp r;
	char *path;
	int rc;

	xasprintf(&path, "/v2/%s/manifests/%s", o->repo, reference);
	rc = oci_request(
	    o, "GET", path, MT_MANIFEST, PULL_MANIFEST_MAX, &r, err);
	free(path);
	if (rc == GD_ETOOBIG)
		gd_err_wrap(err, "%s: manifest", o->job->ref);
	if (rc < 0)
		goto out;
	if (r.status != 200) {
		rc = oci_status_err(o, &r, "manifest unknown", err);
		goto out;
	}
	pull_sha256(mdigest, r.body.data, r.body.len);
	if (strncmp(reference, "sha256:", 7) == 0 &&
	    strcmp(reference, mdigest) != 0) {
		rc = gd_err_set(err, GD_EUPSTREAM,
		    "%s: digest mismatch: want %s, got %s", o->job->ref,
		    reference, mdigest);
		goto out;
	}
	if ((rc = pull_manifest_parse(m, r.body.data, r.body.len, err)) < 0)
		gd_err_wrap(err, "%s", o->job->ref);
out:
	pull_http_resp_dispose(&r);
	return rc;
}

/* Docker-Content-Digest of tag by HEAD; "" when the registry gives none. */
static int
oci_head(struct oci *o, const char *tag, char mdigest[PULL_SHA_LEN],
    struct gd_err *err)
{
	struct pull_http_resp r;
	char *path;
	int rc;

	mdigest[0] = '\0';
	xasprintf(&path, "/v2/%s/manifests/%s", o->repo, tag);
	rc = oci_request(o, "HEAD", path, MT_MANIFEST, 0, &r, err);
	free(path);
	if (rc < 0)
		goto out;
	if (r.status != 200) {
		rc = oci_status_err(o, &r, "manifest unknown", err);
		goto out;
	}
	if (pull_digest_ok(r.digest))
		snprintf(mdigest, PULL_SHA_LEN, "%s", r.digest);
out:
	pull_http_resp_dispose(&r);
	return rc;
}

/* Downloads the chart layer, checks it and hands it to the store. */
static int
oci_blob(struct oci *o, const struct pull_manifest *m, struct gd_err *err)
{
	struct pull_http_resp r;
	char got[PULL_SHA_LEN], *path;
	int rc;

	if (m->layer_size > (int64_t)PULL_ARCHIVE_MAX)
		return gd_err_set(err, GD_ETOOBIG,
		    "%s: chart archive of %lld bytes is over the limit of "
		    "%zu",
		    o->job->ref, (long long)m->layer_size, PULL_ARCHIVE_MAX);
	xasprintf(&path, "/v2/%s/blobs/%s", o->repo, m->layer_digest);
	rc = oci_request(o, "GET", path, NULL, PULL_ARCHIVE_MAX, &r, err);
	free(path);
	if (rc == GD_ETOOBIG)
		gd_err_wrap(err, "%s: chart archive", o->job->ref);
	if (rc < 0)
		goto out;
	if (r.status != 200) {
		rc = oci_status_err(o, &r, "blob unknown", err);
		goto out;
	}
	pull_sha256(got, r.body.data, r.body.len);
	if (strcmp(got, m->layer_digest) != 0) {
		rc = gd_err_set(err, GD_EUPSTREAM,
		    "%s: digest mismatch: want %s, got %s", o->job->ref,
		    m->layer_digest, got);
		goto out;
	}
	if ((int64_t)r.body.len != m->layer_size) {
		rc = gd_err_set(err, GD_EUPSTREAM,
		    "%s: size mismatch: want %lld bytes, got %zu", o->job->ref,
		    (long long)m->layer_size, r.body.len);
		goto out;
	}
	if ((rc = pull_store_put(o->p, m->layer_digest, r.body.data, r.body.len,
		 &o->job->loaded, err)) < 0)
		gd_err_wrap(err, "%s", o->job->ref);
out:
	pull_http_resp_dispose(&r);
	return rc;
}

/* The chart of digest from the store; a download when it lacks it. */
static int
oci_chart(struct oci *o, const struct pull_manifest *m, struct gd_err *err)
{
	bool hard = (o->job->flags & GD_HELM_PULL_HARD) != 0;

	snprintf(o->job->digest, sizeof(o->job->digest), "%s", m->layer_digest);
	if (pull_store_get(
		o->p, m->layer_digest, hard, &o->job->loaded, NULL) == 0) {
		pull_count(o->p, &o->p->stats.hits);
		return 0;
	}
	return oci_blob(o, m, err);
}

/* A chart digest already known for manifest digest mdigest, from the store. */
static bool
oci_known(struct oci *o, const char *mdigest)
{
	char *cd = pull_memo_get(o->p, PULL_MEMO_MANIFEST, mdigest);
	bool ok = false;

	if (cd != NULL &&
	    pull_store_get(o->p, cd, false, &o->job->loaded, NULL) == 0) {
		snprintf(o->job->digest, sizeof(o->job->digest), "%s", cd);
		pull_count(o->p, &o->p->stats.hits);
		ok = true;
	}
	free(cd);
	return ok;
}

static int
oci_by_reference(struct oci *o, const char *reference, struct gd_err *err)
{
	struct pull_manifest m;
	char mdigest[PULL_SHA_LEN], head[PULL_SHA_LEN] = "";
	bool hard = (o->job->flags & GD_HELM_PULL_HARD) != 0;
	bool is_digest = strncmp(reference, "sha256:", 7) == 0;
	int rc;

	if (!hard) {
		/* a digest never changes; a tag costs one HEAD */
		if (is_digest)
			snprintf(head, sizeof(head), "%s", reference);
		else if ((rc = oci_head(o, reference, head, err)) < 0)
			return rc;
		if (head[0] != '\0' && oci_known(o, head))
			return 0;
	}
	if ((rc = oci_manifest(o, reference, &m, mdigest, err)) < 0)
		return rc;
	pull_memo_set(o->p, PULL_MEMO_MANIFEST, mdigest, m.layer_digest);
	/*
	 * A registry whose HEAD names another digest than the bytes it
	 * sends (a converted manifest) is remembered by that one too.
	 */
	if (head[0] != '\0' && strcmp(head, mdigest) != 0)
		pull_memo_set(o->p, PULL_MEMO_MANIFEST, head, m.layer_digest);
	return oci_chart(o, &m, err);
}

/* Adds the tags of one tags/list page to tags; *next the next page. */
static int
oci_tags_page(struct oci *o, const char *path, json_t *tags, char **next,
    struct gd_err *err)
{
	struct pull_http_resp r;
	json_t *j = NULL, *t;
	size_t i;
	int rc;

	*next = NULL;
	if ((rc = oci_request(o, "GET", path, "application/json",
		 PULL_MANIFEST_MAX, &r, err)) < 0)
		goto out;
	if (r.status != 200) {
		rc = oci_status_err(o, &r,
		    "repository name not known to "
		    "registry",
		    err);
		goto out;
	}
	j = json_loadb(r.body.data, r.body.len, 0, NULL);
	t = json_object_get(j, "tags");
	if (j == NULL || !(json_is_array(t) || json_is_null(t))) {
		rc = gd_err_set(err, GD_EUPSTREAM,
		    "%s: tag list is not "
		    "{\"tags\": [...]}",
		    o->job->ref);
		goto out;
	}
	for (i = 0; i < json_array_size(t); i++)
		if (json_is_string(json_array_get(t, i)))
			json_array_append(tags, json_array_get(t, i));
	if (r.link != NULL)
		*next = pull_link_next(r.link);
out:
	json_decref(j);
	pull_http_resp_dispose(&r);
	return rc;
}

/* The newest tag satisfying the range revision; GD_ENOTFOUND if none. */
static int
oci_resolve_range(struct oci *o, char **tag, struct gd_err *err)
{
	struct helm_semver_range *range = NULL;
	struct helm_semver v, best;
	json_t *tags = json_array();
	char *path = NULL, *next = NULL, *ver, *s;
	const char *t, *best_tag = NULL;
	size_t i;
	int rc, pages;

	*tag = NULL;
	if ((rc = helm_semver_range_new(&range, o->job->revision, err)) < 0) {
		gd_err_wrap(err, "%s", o->job->ref);
		goto out;
	}
	xasprintf(&path, "/v2/%s/tags/list", o->repo);
	for (pages = 0; path != NULL && pages < TAG_PAGES_MAX; pages++) {
		if ((rc = oci_tags_page(o, path, tags, &next, err)) < 0)
			goto out;
		free(path);
		path = next;
		next = NULL;
	}
	for (i = 0; i < json_array_size(tags); i++) {
		t = json_string_value(json_array_get(tags, i));
		ver = xstrdup(t);
		for (s = ver; *s != '\0'; s++)
			if (*s == '_')
				*s = '+';
		if (helm_semver_parse(&v, ver) &&
		    helm_semver_range_match(range, &v) &&
		    (best_tag == NULL || helm_semver_cmp(&v, &best) > 0)) {
			best = v;
			best_tag = t;
		}
		free(ver);
	}
	if (best_tag == NULL) {
		rc = gd_err_set(err, GD_ENOTFOUND,
		    "%s: no version of \"%s\" satisfies \"%s\"", o->job->ref,
		    o->name, o->job->revision);
		goto out;
	}
	*tag = xstrdup(best_tag);
out:
	helm_semver_range_free(range);
	json_decref(tags);
	free(path);
	free(next);
	return rc;
}

int
pull_oci(struct pull_job *job, struct gd_err *err)
{
	struct oci o;
	struct helm_semver_range *range = NULL;
	const char *rev = job->revision;
	char *tag = NULL, *s;
	int rc;

	if ((rc = oci_init(&o, job, err)) < 0)
		goto out;
	if (strncmp(rev, "sha256:", 7) == 0) {
		if (!pull_digest_ok(rev)) {
			rc = gd_err_set(err, GD_EINVAL,
			    "%s: digest is not sha256: and 64 hex digits",
			    job->ref);
			goto out;
		}
		rc = oci_by_reference(&o, rev, err);
		goto out;
	}
	tag = xstrdup(rev);
	for (s = tag; *s != '\0'; s++)
		if (*s == '+')
			*s = '_';
	/*
	 * An exact version or a tag that is no range ("latest") is asked
	 * for as it is; a range ("^1.2", "" = "*") goes through the list.
	 */
	if (*rev == '\0' ||
	    (!helm_semver_is_exact(rev) &&
		helm_semver_range_new(&range, rev, NULL) == 0)) {
		free(tag);
		if ((rc = oci_resolve_range(&o, &tag, err)) < 0)
			goto out;
	} else if (!tag_ok(tag)) {
		rc = gd_err_set(err, GD_EINVAL,
		    "%s: neither a tag, a digest nor a version range",
		    job->ref);
		goto out;
	}
	rc = oci_by_reference(&o, tag, err);
out:
	helm_semver_range_free(range);
	free(tag);
	oci_dispose(&o);
	return rc;
}
