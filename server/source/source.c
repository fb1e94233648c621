/* SPDX-License-Identifier: ISC */
/*
 * The source object and the walk over an Application's sources: which
 * kind each one is (decided as Argo CD's GetAppSourceType decides), the
 * git mirrors of source repositories other than the gitops one, the
 * render cache's accounting, and the last good result of every app.
 *
 * The hard part is what may run at once: the controller's status workers
 * all call gd_source_render on one object. Everything shared (mirrors,
 * loaded charts, the cache, the last good results) is behind s->lock,
 * which is never held across git, a registry or a render; results are
 * immutable, so they leave the lock as references.
 */
#include <stdlib.h>
#include <string.h>

#include "source_int.h"

#define SRC_DEFAULT_CACHE 4096

int
gd_source_new(
    struct gd_source **out, const struct gd_source_opts *o, struct gd_err *err)
{
	struct gd_source *s;
	const char *dir = o->data_dir;
	size_t max = o->cache_max;

	*out = NULL;
	if (dir == NULL && o->conf != NULL)
		dir = o->conf->data_dir;
	if (dir == NULL)
		return gd_err_set(err, GD_EINVAL, "source: no data dir");
	if (max == 0 && o->conf != NULL && o->conf->render_cache_max > 0)
		max = (size_t)o->conf->render_cache_max;
	s = xcalloc(1, sizeof(*s));
	s->conf = o->conf;
	s->data_dir = xstrdup(dir);
	s->gitops = o->gitops;
	s->pull = o->pull;
	pthread_mutex_init(&s->lock, NULL);
	src_lru_init(&s->cache, max > 0 ? max : SRC_DEFAULT_CACHE);
	s->last_good = json_object();
	if (o->gitops != NULL)
		gd_source_add_repo(s, o->gitops);
	*out = s;
	return 0;
}

void
gd_source_free(struct gd_source *s)
{
	struct src_repo *r, *rn;
	struct src_chart *c, *cn;

	if (s == NULL)
		return;
	for (r = s->repos; r != NULL; r = rn) {
		rn = r->next;
		if (r->owned)
			gd_repo_free(r->repo);
		free(r->key);
		free(r);
	}
	for (c = s->charts; c != NULL; c = cn) {
		cn = c->next;
		pthread_mutex_destroy(&c->lock);
		gd_helm_chart_free(c->chart);
		free(c);
	}
	src_lru_dispose(&s->cache);
	json_decref(s->last_good);
	pthread_mutex_destroy(&s->lock);
	free(s->data_dir);
	free(s);
}

void
gd_source_add_repo(struct gd_source *s, struct gd_repo *repo)
{
	struct src_repo *r = xcalloc(1, sizeof(*r));

	r->key = gd_repo_url_key(gd_repo_url(repo));
	r->repo = repo;
	pthread_mutex_lock(&s->lock);
	r->next = s->repos;
	s->repos = r;
	pthread_mutex_unlock(&s->lock);
}

/* Whether our mirror r needs a fetch before it is read. */
static bool
source_stale(const struct gd_source *s, struct gd_repo *r, bool hard)
{
	long interval = s->conf != NULL ? s->conf->poll_interval : 180;

	return hard || !gd_repo_is_fetched(r) ||
	    time(NULL) - gd_repo_last_fetch(r, NULL) >= interval;
}

int
src_repo_get(struct gd_repo **out, struct gd_source *s, const char *url,
    bool hard, struct gd_err *err)
{
	struct src_repo *r;
	char *key;
	int rc = 0;

	*out = NULL;
	if (url[0] == '\0')
		return gd_err_set(err, GD_EINVAL, "source has no repoURL");
	key = gd_repo_url_key(url);
	pthread_mutex_lock(&s->lock);
	for (r = s->repos; r != NULL; r = r->next)
		if (strcmp(r->key, key) == 0)
			break;
	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		if ((rc = gd_repo_open(
			 &r->repo, s->data_dir, url, s->conf, err)) < 0) {
			free(r);
			r = NULL;
		} else {
			r->key = key;
			key = NULL;
			r->owned = true;
			r->next = s->repos;
			s->repos = r;
		}
	}
	pthread_mutex_unlock(&s->lock);
	free(key);
	if (rc < 0)
		return rc;
	/* a failed fetch leaves the last good mirror, still worth reading */
	if (r->owned && source_stale(s, r->repo, hard) &&
	    (rc = gd_repo_fetch(r->repo, err)) < 0 &&
	    (hard || !gd_repo_is_fetched(r->repo)))
		return rc;
	*out = r->repo;
	return 0;
}

json_t *
src_cache_get(struct gd_source *s, const char *key)
{
	json_t *v;

	pthread_mutex_lock(&s->lock);
	if ((v = src_lru_get(&s->cache, key)) != NULL)
		s->stats.hits++;
	pthread_mutex_unlock(&s->lock);
	return v;
}

void
src_cache_put(struct gd_source *s, const char *key, json_t *val)
{
	pthread_mutex_lock(&s->lock);
	s->stats.renders++;
	s->stats.evictions += src_lru_put(&s->cache, key, val);
	pthread_mutex_unlock(&s->lock);
}

void
gd_source_stats(struct gd_source *s, struct gd_source_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->stats;
	out->entries = s->cache.n;
	pthread_mutex_unlock(&s->lock);
}

json_t *
gd_source_last_good(struct gd_source *s, const char *app)
{
	json_t *v;

	pthread_mutex_lock(&s->lock);
	v = json_incref(json_object_get(s->last_good, app));
	pthread_mutex_unlock(&s->lock);
	return v;
}

/* --- one source ---------------------------------------------------------- */

/* path without "./" parts and trailing slashes; "." is the root. */
static char *
source_clean_path(const char *p)
{
	struct gd_buf b;

	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	while (*p != '\0') {
		if (p[0] == '/' || (p[0] == '.' && (p[1] == '/' || !p[1]))) {
			p++;
			continue;
		}
		if (b.len > 0)
			gd_buf_addc(&b, '/');
		while (*p != '\0' && *p != '/')
			gd_buf_addc(&b, *p++);
	}
	return gd_buf_detach(&b, NULL);
}

static bool
source_has(const json_t *src, const char *key)
{
	const json_t *v = json_object_get(src, key);

	return v != NULL && !json_is_null(v);
}

/* Argo CD's explicit type: the one of helm/kustomize/directory/plugin. */
static int
source_explicit(const char **type, const struct src_job *j, struct gd_err *err)
{
	static const char *const keys[] = { "helm", "kustomize", "directory",
		"plugin", NULL };
	size_t i, n = 0;

	*type = NULL;
	for (i = 0; keys[i] != NULL; i++)
		if (source_has(j->src, keys[i])) {
			*type = keys[i];
			n++;
		}
	if (n > 1)
		return gd_err_set(err, GD_EINVAL,
		    "%s: multiple application source types defined (helm, "
		    "kustomize, directory, plugin: one at most)",
		    j->path[0] ? j->path : ".");
	return 0;
}

/* What the folder holds, when the source does not say. */
static int
source_detect(const char **type, struct src_job *j, struct gd_err *err)
{
	json_t *list = NULL, *e;
	const char *name;
	size_t i;
	int rc;

	*type = "directory";
	if ((rc = gd_repo_list(&list, j->repo, j->sha, j->path, err)) < 0)
		return rc;
	json_array_foreach(list, i, e) {
		name = src_str(e, "name", "");
		if (strcmp(name, "Chart.yaml") == 0)
			*type = "helm";
		else if ((strcmp(name, "kustomization.yaml") == 0 ||
			     strcmp(name, "kustomization.yml") == 0 ||
			     strcmp(name, "Kustomization") == 0) &&
		    strcmp(*type, "helm") != 0)
			*type = "kustomize";
	}
	json_decref(list);
	return 0;
}

static int
source_git(struct src_job *j, struct gd_err *err)
{
	const char *url = src_str(j->src, "repoURL", "");
	const char *rev = j->rq->revision != NULL ?
	    j->rq->revision :
	    src_str(j->src, "targetRevision", "");
	const char *type;
	char tree[GD_SHA_LEN];
	int rc;

	if ((rc = src_repo_get(&j->repo, j->s, url, j->hard, err)) < 0)
		return rc;
	if ((rc = gd_repo_resolve(j->sha, j->repo, rev, err)) < 0)
		return gd_err_wrap(err, "%s", gd_repo_display_url(j->repo));
	j->revision = xstrdup(j->sha);
	/* a ref source without a path only lends its files to value files */
	if (source_has(j->src, "ref") && !source_has(j->src, "path"))
		return 0;
	/* a path with ".." parts is refused here, named in the message */
	if ((rc = gd_repo_tree_id(tree, j->repo, j->sha, j->path, err)) < 0) {
		if (rc == GD_ENOTFOUND)
			gd_err_set(err, GD_ENOTFOUND,
			    "%s: app path does not exist at %.12s in %s",
			    j->path, j->sha, gd_repo_display_url(j->repo));
		return rc;
	}
	if ((rc = source_explicit(&type, j, err)) < 0 ||
	    (type == NULL && (rc = source_detect(&type, j, err)) < 0))
		return rc;
	if (strcmp(type, "kustomize") == 0)
		return gd_err_set(err, GD_EINVAL,
		    "%s: kustomize is not supported; render it into plain "
		    "manifests or a Helm chart",
		    j->path[0] ? j->path : ".");
	if (strcmp(type, "plugin") == 0)
		return gd_err_set(err, GD_EINVAL,
		    "%s: config management plugins are not supported",
		    j->path[0] ? j->path : ".");
	if (strcmp(type, "helm") == 0)
		return src_chart_git(j, tree, err);
	return src_dir_render(j, tree, err);
}

static int
source_one(struct src_job *j, struct gd_err *err)
{
	const char *chart = src_str(j->src, "chart", "");

	if (!json_is_object(j->src))
		return gd_err_set(err, GD_EINVAL, "source is not an object");
	j->path = source_clean_path(src_str(j->src, "path", ""));
	if (chart[0] != '\0')
		return src_chart_pull(j, err);
	return source_git(j, err);
}

/* --- the app ------------------------------------------------------------- */

/* The app's first InvalidSpecError, which no render can get past. */
static const char *
source_invalid(const json_t *app)
{
	const json_t *c;
	size_t i;

	json_array_foreach(
	    json_object_get(json_object_get(app, "status"), "conditions"), i,
	    c) {
		if (strcmp(src_str(c, "type", ""), "InvalidSpecError") == 0)
			return src_str(c, "message", "invalid spec");
	}
	return NULL;
}

static json_t *
source_list(const json_t *spec, bool *multi)
{
	json_t *sources = json_object_get(spec, "sources");

	*multi = json_is_array(sources) && json_array_size(sources) > 0;
	if (*multi)
		return json_incref(sources);
	if (json_object_get(spec, "source") != NULL)
		return json_pack("[O]", json_object_get(spec, "source"));
	return json_array();
}

int
gd_source_render(json_t **out, struct gd_source *s,
    const struct gd_catalog *cat, const struct gd_source_req *rq,
    struct gd_err *err)
{
	const json_t *app, *spec, *dest;
	json_t *sources = NULL, *objs = NULL, *revs = NULL, *types = NULL;
	json_t *res, *first = NULL;
	struct src_job j;
	struct src_digest d;
	const char *bad;
	char key[SRC_KEY_LEN];
	bool multi;
	size_t i;
	int rc = 0;

	*out = NULL;
	memset(&j, 0, sizeof(j));
	if ((app = gd_catalog_app(cat, rq->app)) == NULL)
		return gd_err_set(
		    err, GD_ENOTFOUND, "application %s not found", rq->app);
	if ((bad = source_invalid(app)) != NULL)
		return gd_err_set(err, GD_EINVAL, "%s", bad);
	spec = json_object_get(app, "spec");
	sources = source_list(spec, &multi);
	if (json_array_size(sources) == 0) {
		rc = gd_err_set(
		    err, GD_EINVAL, "application %s has no source", rq->app);
		goto out;
	}
	if (multi && rq->revision != NULL) {
		rc = gd_err_set(err, GD_EINVAL,
		    "application %s has several sources: a revision applies "
		    "to one",
		    rq->app);
		goto out;
	}
	objs = json_array();
	revs = json_array();
	types = json_array();
	src_digest_init(&d);
	for (i = 0; i < json_array_size(sources); i++) {
		memset(&j, 0, sizeof(j));
		j.s = s;
		j.cat = cat;
		j.app = rq->app;
		j.spec = spec;
		j.src = json_array_get(sources, i);
		j.idx = i;
		j.rq = rq;
		j.hard = (rq->flags & GD_SOURCE_HARD) != 0;
		if ((rc = source_one(&j, err)) < 0) {
			if (multi)
				gd_err_wrap(err, "source %zu", i + 1);
			goto out;
		}
		json_array_append_new(revs, json_string(j.revision));
		if (j.objects != NULL && first == NULL)
			first = json_array_get(revs, i);
		if (j.objects != NULL) {
			json_array_extend(objs, j.objects);
			json_array_append_new(types, json_string(j.type));
			src_digest_str(&d, j.key);
		}
		free(j.path);
		free(j.revision);
		json_decref(j.objects);
		memset(&j, 0, sizeof(j));
	}
	if (json_array_size(types) == 0) {
		rc = gd_err_set(err, GD_EINVAL,
		    "application %s: every source is a ref: nothing to render",
		    rq->app);
		goto out;
	}
	src_digest_final(&d, key);
	dest = json_object_get(spec, "destination");
	res = json_pack("{s:o, s:O, s:O, s:O, s:O, s:s, s:s, s:s}", "objects",
	    objs, "revision", first, "revisions", revs, "sourceType",
	    json_array_get(types, 0), "sourceTypes", types, "key", key,
	    "namespace", src_str(dest, "namespace", ""), "server",
	    src_str(dest, "server", src_str(dest, "name", "")));
	objs = NULL;
	pthread_mutex_lock(&s->lock);
	json_object_set(s->last_good, rq->app, res);
	pthread_mutex_unlock(&s->lock);
	*out = res;
out:
	free(j.path);
	free(j.revision);
	json_decref(j.objects);
	json_decref(objs);
	json_decref(revs);
	json_decref(types);
	json_decref(sources);
	return rc;
}
