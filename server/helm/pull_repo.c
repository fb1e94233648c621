/* SPDX-License-Identifier: ISC */
/*
 * Charts from classic Helm repositories: index.yaml, fetched again only
 * when it changed (If-None-Match / If-Modified-Since; a 304 keeps the
 * copy in memory), the chart version chosen as helm's IndexFile.Get
 * chooses it (the exact string first, else the newest version that
 * satisfies the range, "" being "*"), and the archive fetched from its
 * URL, relative URLs resolved against the repository's, and checked
 * against the index's digest when it has one.
 *
 * The hard part is trust: index.yaml is bounded in size and only the
 * few fields the pull needs are kept from it; basic credentials go to
 * the repository's own origin only, never to an archive on another
 * host (helm's --pass-credentials is off by default).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pull_int.h"

struct pull_index {
	char *url; /* the repository URL, as given */
	char *etag;
	char *last_modified;
	json_t *entries; /* pull_index_parse's; immutable once made */
	struct pull_index *next;
};

/* --- index.yaml ------------------------------------------------------------
 */

/* An index digest as "sha256:<hex>" ("" when absent or not sha256). */
static void
index_digest(char out[PULL_SHA_LEN], const char *d)
{
	size_t i;

	out[0] = '\0';
	if (d == NULL)
		return;
	if (strncmp(d, "sha256:", 7) == 0)
		d += 7;
	if (strlen(d) != 64)
		return;
	memcpy(out, "sha256:", 7);
	for (i = 0; i < 64; i++)
		out[7 + i] = (char)tolower((unsigned char)d[i]);
	out[71] = '\0';
	if (!pull_digest_ok(out))
		out[0] = '\0';
}

int
pull_index_parse(json_t **out, const char *buf, size_t len, const char *name,
    struct gd_err *err)
{
	struct gd_ydoc_limits lim = { .max_bytes = PULL_INDEX_MAX };
	json_t *docs = NULL, *root, *entries, *vs, *cv, *res, *list, *e;
	const char *chart, *ver, *url;
	char dg[PULL_SHA_LEN];
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = gd_ydoc_load(&docs, NULL, buf, len, name, &lim, err)) < 0)
		return rc;
	root = json_array_get(docs, 0);
	entries = json_object_get(root, "entries");
	if (json_array_size(docs) != 1 || !json_is_object(root) ||
	    !(json_is_object(entries) || json_is_null(entries) ||
		entries == NULL)) {
		json_decref(docs);
		return gd_err_set(err, GD_EUPSTREAM,
		    "%s: not a Helm repository index (no entries map)", name);
	}
	res = json_object();
	json_object_foreach(entries, chart, vs) {
		list = json_array();
		for (i = 0; i < json_array_size(vs); i++) {
			cv = json_array_get(vs, i);
			ver = json_string_value(json_object_get(cv, "version"));
			url = json_string_value(
			    json_array_get(json_object_get(cv, "urls"), 0));
			/* an entry without version or URL cannot be pulled */
			if (ver == NULL || url == NULL)
				continue;
			e = json_pack("{s:s,s:s}", "version", ver, "url", url);
			index_digest(dg,
			    json_string_value(json_object_get(cv, "digest")));
			if (dg[0] != '\0')
				json_object_set_new(
				    e, "digest", json_string(dg));
			json_array_append_new(list, e);
		}
		json_object_set_new(res, chart, list);
	}
	json_decref(docs);
	*out = res;
	return 0;
}

/* --- URLs ------------------------------------------------------------------
 */

static bool
has_scheme(const char *s)
{
	const char *p = s;

	if (!isalpha((unsigned char)*p))
		return false;
	while (
	    isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	return *p == ':';
}

/* RFC 3986 5.2.4: removes "." and ".." segments of an absolute path. */
static void
remove_dots(struct gd_buf *out, const char *path)
{
	const char *p = path, *seg;
	size_t n, cut;

	while (*p != '\0') {
		seg = p;
		n = strcspn(p + 1, "/") + 1; /* "/name" */
		p += n;
		if ((n == 2 && strncmp(seg, "/.", 2) == 0)) {
			if (*p == '\0')
				gd_buf_addc(out, '/');
			continue;
		}
		if (n == 3 && strncmp(seg, "/..", 3) == 0) {
			cut = out->len;
			while (cut > 0 && out->data[cut - 1] != '/')
				cut--;
			out->len = cut > 0 ? cut - 1 : 0;
			out->data[out->len] = '\0';
			if (*p == '\0')
				gd_buf_addc(out, '/');
			continue;
		}
		gd_buf_add(out, seg, n);
	}
}

char *
pull_url_resolve(const char *base, const char *ref)
{
	const char *auth, *path, *query, *rq;
	struct gd_buf b, merged;
	size_t nauth, npath, nref;

	if (has_scheme(ref))
		return xstrdup(ref);
	gd_buf_init(&b);
	gd_buf_init(&merged);
	auth = strstr(base, "://");
	auth = auth != NULL ? auth + 3 : base;
	path = auth + strcspn(auth, "/?#");
	nauth = (size_t)(path - base);
	npath = strcspn(path, "?#");
	query = path[npath] == '?' ? path + npath : NULL;
	nref = strcspn(ref, "?#");
	rq = ref[nref] == '?' ? ref + nref : NULL;
	if (strncmp(ref, "//", 2) == 0) {
		gd_buf_add(&b, base,
		    (size_t)(strstr(base, "://") != NULL ?
			    strstr(base, "://") - base + 1 :
			    0));
		gd_buf_add(&b, ref, nref);
	} else {
		gd_buf_add(&b, base, nauth);
		if (*ref == '/')
			gd_buf_add(&merged, ref, nref);
		else {
			/* the repository URL as a folder: a trailing "/" */
			if (npath == 0 || path[0] != '/')
				gd_buf_addc(&merged, '/');
			gd_buf_add(&merged, path, npath);
			if (merged.len == 0 ||
			    merged.data[merged.len - 1] != '/')
				gd_buf_addc(&merged, '/');
			gd_buf_add(&merged, ref, nref);
		}
		remove_dots(&b, merged.data);
	}
	/* helm keeps the repository URL's query (signed URLs) */
	if (query != NULL)
		gd_buf_add(&b, query, strcspn(query, "#"));
	else if (rq != NULL)
		gd_buf_add(&b, rq, strcspn(rq, "#"));
	gd_buf_dispose(&merged);
	return gd_buf_detach(&b, NULL);
}

static char *
index_url(const char *repo)
{
	size_t n = strcspn(repo, "?#");
	const char *q = repo[n] == '?' ? repo + n : "";
	char *u;

	while (n > 0 && repo[n - 1] == '/')
		n--;
	xasprintf(
	    &u, "%.*s/index.yaml%.*s", (int)n, repo, (int)strcspn(q, "#"), q);
	return u;
}

/* --- fetching --------------------------------------------------------------
 */

struct repo {
	struct pull_job *job;
	struct gd_helm_pull *p;
	const struct gd_conf_helm_repo *conf;
	char *auth; /* "Basic ..." or NULL */
	char *what; /* "URL: chart \"myapp\" version \"1.3.0\"" */
};

static int
repo_init(struct repo *r, struct pull_job *job, struct gd_err *err)
{
	const struct gd_conf_helm_repo *c;
	char *user = NULL, *pass = NULL;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->job = job;
	r->p = job->p;
	r->conf = c = gd_conf_helm_repo_for(job->p->conf, job->repo_url);
	if (c == NULL ||
	    (c->username == NULL && c->username_file == NULL &&
		c->password_file == NULL))
		return 0;
	if (c->username != NULL)
		user = xstrdup(c->username);
	else if (c->username_file != NULL &&
	    (rc = gd_conf_read_secret(&user, c->username_file, err)) < 0)
		goto out;
	if (c->password_file != NULL &&
	    (rc = gd_conf_read_secret(&pass, c->password_file, err)) < 0)
		goto out;
	r->auth =
	    pull_basic_auth(user != NULL ? user : "", pass != NULL ? pass : "");
out:
	if (rc < 0)
		gd_err_wrap(err, "%s", job->repo_url);
	pull_secret_free(user);
	pull_secret_free(pass);
	return rc;
}

static int
repo_http(struct repo *r, const char *url, size_t max, const char *inm,
    const char *ims, struct pull_http_resp *resp, struct gd_err *err)
{
	struct pull_http_req req = { 0 };
	int rc;

	req.url = url;
	req.what = "repository";
	req.if_none_match = inm;
	req.if_modified_since = ims;
	req.auth = r->auth;
	req.auth_origin = r->job->repo_url;
	req.ca_file = r->conf != NULL ? r->conf->ca_file : NULL;
	req.insecure = r->conf != NULL && r->conf->insecure;
	req.max = max;
	if ((rc = pull_http(r->p, &req, resp, err)) < 0)
		gd_err_wrap(err, "%s", r->job->repo_url);
	return rc;
}

static int
repo_status_err(
    struct repo *r, long status, const char *what, struct gd_err *err)
{
	const char *u = r->what != NULL ? r->what : r->job->repo_url;

	switch (status) {
	case 401:
		return gd_err_set(err, GD_EUNAUTH,
		    "%s: unauthorized: %s needs valid credentials", u, what);
	case 403:
		return gd_err_set(err, GD_EDENIED, "%s: denied: %s", u, what);
	case 404:
		return gd_err_set(
		    err, GD_ENOTFOUND, "%s: %s not found", u, what);
	default:
		return gd_err_set(err, GD_EUPSTREAM,
		    "%s: %s: repository answered HTTP %ld", u, what, status);
	}
}

/* The cached index of the repository: entries (a reference) and tags. */
static struct pull_index *
index_find(struct gd_helm_pull *p, const char *url)
{
	struct pull_index *ix;

	for (ix = p->indexes; ix != NULL; ix = ix->next)
		if (strcmp(ix->url, url) == 0)
			return ix;
	return NULL;
}

/* Keeps entries (a new reference is taken) as url's index. */
static void
index_keep(struct gd_helm_pull *p, const char *url, const char *etag,
    const char *lm, json_t *entries)
{
	struct pull_index *ix;

	pthread_mutex_lock(&p->lock);
	if ((ix = index_find(p, url)) == NULL) {
		ix = xcalloc(1, sizeof(*ix));
		ix->url = xstrdup(url);
		ix->next = p->indexes;
		p->indexes = ix;
	}
	free(ix->etag);
	free(ix->last_modified);
	json_decref(ix->entries);
	ix->etag = etag != NULL ? xstrdup(etag) : NULL;
	ix->last_modified = lm != NULL ? xstrdup(lm) : NULL;
	ix->entries = json_incref(entries);
	pthread_mutex_unlock(&p->lock);
}

static char *
index_file(const struct gd_helm_pull *p, const char *url)
{
	char d[PULL_SHA_LEN], *path;

	pull_sha256(d, url, strlen(url));
	xasprintf(&path, "%s/index/%s.json", p->dir, d + 7);
	return path;
}

/*
 * The entries and validators of an index are kept on disk too, so after
 * a restart an unchanged index.yaml costs a 304, not a download. Best
 * effort both ways: without the file the index is fetched in full.
 */
static void
index_save(const struct gd_helm_pull *p, const char *url, const char *etag,
    const char *lm, json_t *entries)
{
	json_t *j = json_pack("{s:s,s:s?,s:s?,s:O}", "url", url, "etag", etag,
	    "last_modified", lm, "entries", entries);
	char *path = index_file(p, url), *tmp;

	xasprintf(&tmp, "%s.tmp", path);
	if (json_dump_file(j, tmp, JSON_COMPACT) != 0 || rename(tmp, path) != 0)
		unlink(tmp);
	json_decref(j);
	free(tmp);
	free(path);
}

static void
index_load(struct gd_helm_pull *p, const char *url)
{
	char *path = index_file(p, url);
	const char *etag, *lm;
	json_t *j;

	j = json_load_file(path, 0, NULL);
	etag = json_string_value(json_object_get(j, "etag"));
	lm = json_string_value(json_object_get(j, "last_modified"));
	if (json_is_object(json_object_get(j, "entries")) &&
	    json_is_string(json_object_get(j, "url")) &&
	    strcmp(json_string_value(json_object_get(j, "url")), url) == 0 &&
	    (etag != NULL || lm != NULL))
		index_keep(p, url, etag, lm, json_object_get(j, "entries"));
	json_decref(j);
	free(path);
}

/* The repository's entries, fetched when changed. *out is a reference. */
static int
repo_index(struct repo *r, json_t **out, struct gd_err *err)
{
	struct gd_helm_pull *p = r->p;
	struct pull_http_resp resp;
	struct pull_index *ix;
	char *url = index_url(r->job->repo_url), *etag = NULL, *lm = NULL;
	json_t *entries = NULL;
	bool hard = (r->job->flags & GD_HELM_PULL_HARD) != 0;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&p->lock);
	ix = index_find(p, r->job->repo_url);
	pthread_mutex_unlock(&p->lock);
	if (ix == NULL && !hard)
		index_load(p, r->job->repo_url);
	pthread_mutex_lock(&p->lock);
	if ((ix = index_find(p, r->job->repo_url)) != NULL && !hard) {
		etag = ix->etag != NULL ? xstrdup(ix->etag) : NULL;
		lm = ix->last_modified != NULL ? xstrdup(ix->last_modified) :
						 NULL;
	}
	pthread_mutex_unlock(&p->lock);
	if ((rc = repo_http(r, url, PULL_INDEX_MAX, etag, lm, &resp, err)) <
	    0) {
		if (rc == GD_ETOOBIG)
			gd_err_wrap(err, "index.yaml");
		goto out;
	}
	if (resp.status == 304 && (etag != NULL || lm != NULL)) {
		pthread_mutex_lock(&p->lock);
		if ((ix = index_find(p, r->job->repo_url)) != NULL)
			entries = json_incref(ix->entries);
		pthread_mutex_unlock(&p->lock);
		if (entries != NULL)
			goto done;
		rc = gd_err_set(err, GD_EUPSTREAM,
		    "%s: index.yaml unchanged but not cached",
		    r->job->repo_url);
		goto out;
	}
	if (resp.status != 200) {
		rc = repo_status_err(r, resp.status, "index.yaml", err);
		goto out;
	}
	if ((rc = pull_index_parse(&entries, resp.body.data, resp.body.len,
		 "index.yaml", err)) < 0) {
		gd_err_wrap(err, "%s", r->job->repo_url);
		goto out;
	}
	index_keep(p, r->job->repo_url, resp.etag, resp.last_modified, entries);
	if (resp.etag != NULL || resp.last_modified != NULL)
		index_save(p, r->job->repo_url, resp.etag, resp.last_modified,
		    entries);
done:
	*out = entries;
	entries = NULL;
out:
	json_decref(entries);
	pull_http_resp_dispose(&resp);
	free(url);
	free(etag);
	free(lm);
	return rc;
}

void
pull_indexes_free(struct gd_helm_pull *p)
{
	struct pull_index *ix;

	while ((ix = p->indexes) != NULL) {
		p->indexes = ix->next;
		free(ix->url);
		free(ix->etag);
		free(ix->last_modified);
		json_decref(ix->entries);
		free(ix);
	}
}

/* IndexFile.Get: the exact version first, else the newest in range. */
static int
repo_select(struct repo *r, const json_t *entries, const json_t **out,
    struct gd_err *err)
{
	const char *name = r->job->chart, *rev = r->job->revision, *v;
	struct helm_semver_range *range = NULL;
	struct helm_semver sv, best;
	const json_t *vs, *e;
	size_t i;

	*out = NULL;
	vs = json_object_get(entries, name);
	if (vs == NULL || json_array_size(vs) == 0)
		return gd_err_set(err, GD_ENOTFOUND,
		    "%s: chart \"%s\" not found", r->job->repo_url, name);
	if (*rev != '\0')
		for (i = 0; i < json_array_size(vs); i++) {
			e = json_array_get(vs, i);
			v = json_string_value(json_object_get(e, "version"));
			if (strcmp(v, rev) == 0) {
				*out = e;
				return 0;
			}
		}
	if (helm_semver_is_exact(rev) ||
	    helm_semver_range_new(&range, rev, NULL) < 0)
		return gd_err_set(err, GD_ENOTFOUND,
		    "%s: chart \"%s\" version \"%s\" not found",
		    r->job->repo_url, name, rev);
	for (i = 0; i < json_array_size(vs); i++) {
		e = json_array_get(vs, i);
		v = json_string_value(json_object_get(e, "version"));
		if (helm_semver_parse(&sv, v) &&
		    helm_semver_range_match(range, &sv) &&
		    (*out == NULL || helm_semver_cmp(&sv, &best) > 0)) {
			best = sv;
			*out = e;
		}
	}
	helm_semver_range_free(range);
	if (*out == NULL)
		return gd_err_set(err, GD_ENOTFOUND,
		    "%s: no version of \"%s\" satisfies \"%s\"",
		    r->job->repo_url, name, rev);
	return 0;
}

/* Downloads the archive at url, checks want (when set) and stores it. */
static int
repo_download(
    struct repo *r, const char *url, const char *want, struct gd_err *err)
{
	struct pull_http_resp resp;
	char got[PULL_SHA_LEN];
	int rc;

	if ((rc = repo_http(r, url, PULL_ARCHIVE_MAX, NULL, NULL, &resp, err)) <
	    0) {
		if (rc == GD_ETOOBIG)
			gd_err_wrap(err, "chart archive");
		goto out;
	}
	if (resp.status != 200) {
		rc = repo_status_err(r, resp.status, "chart archive", err);
		goto out;
	}
	pull_sha256(got, resp.body.data, resp.body.len);
	if (want[0] != '\0' && strcmp(want, got) != 0) {
		rc = gd_err_set(err, GD_EUPSTREAM,
		    "%s: digest mismatch: want %s, got %s", r->what, want, got);
		goto out;
	}
	snprintf(r->job->digest, sizeof(r->job->digest), "%s", got);
	if ((rc = pull_store_put(r->p, got, resp.body.data, resp.body.len,
		 &r->job->loaded, err)) < 0) {
		gd_err_wrap(err, "%s", r->what);
		goto out;
	}
	pull_memo_set(r->p, PULL_MEMO_URL, url, got);
out:
	pull_http_resp_dispose(&resp);
	return rc;
}

int
pull_repo(struct pull_job *job, struct gd_err *err)
{
	struct repo r;
	const json_t *e;
	json_t *entries = NULL;
	char want[PULL_SHA_LEN], *url = NULL, *known = NULL;
	bool hard = (job->flags & GD_HELM_PULL_HARD) != 0;
	int rc;

	if (*job->chart == '\0')
		return gd_err_set(
		    err, GD_EINVAL, "%s: no chart name", job->repo_url);
	if ((rc = repo_init(&r, job, err)) < 0 ||
	    (rc = repo_index(&r, &entries, err)) < 0 ||
	    (rc = repo_select(&r, entries, &e, err)) < 0)
		goto out;
	job->version =
	    xstrdup(json_string_value(json_object_get(e, "version")));
	xasprintf(&r.what, "%s: chart \"%s\" version \"%s\"", job->repo_url,
	    job->chart, job->version);
	url = pull_url_resolve(
	    job->repo_url, json_string_value(json_object_get(e, "url")));
	index_digest(want, json_string_value(json_object_get(e, "digest")));
	/* without a digest in the index, the URL's last download stands in */
	if (want[0] == '\0' && !hard &&
	    (known = pull_memo_get(job->p, PULL_MEMO_URL, url)) != NULL)
		snprintf(want, sizeof(want), "%s", known);
	if (want[0] != '\0' &&
	    pull_store_get(job->p, want, hard, &job->loaded, NULL) == 0) {
		snprintf(job->digest, sizeof(job->digest), "%s", want);
		pull_count(job->p, &job->p->stats.hits);
		goto out;
	}
	if (known != NULL)
		want[0] = '\0';
	rc = repo_download(&r, url, want, err);
out:
	json_decref(entries);
	pull_secret_free(r.auth);
	free(r.what);
	free(known);
	free(url);
	return rc;
}
