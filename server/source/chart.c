/* SPDX-License-Identifier: ISC */
/*
 * Helm sources: a chart folder read out of git or a chart pulled from a
 * registry or Helm repository, rendered with the inputs Argo CD passes to
 * `helm template`. Loaded charts are kept in a small memo (by archive
 * digest or git tree id) shared by every app that uses them.
 *
 * The hard part is sharing a chart between worker threads: gd_helm_render
 * caches parsed templates inside the chart, so each memo entry carries a
 * lock held around its renders, and a count of renders in progress keeps
 * an entry from being evicted under them. The render cache is checked
 * again once the lock is taken, so apps that wait on one chart with the
 * same inputs get one render between them.
 */
#include <stdlib.h>
#include <string.h>

#include "source_int.h"

/* --- the memo of loaded charts ------------------------------------------- */

/* Drops unused entries, oldest first, past SRC_MAX_CHARTS; lock held. */
static void
chart_evict(struct gd_source *s)
{
	struct src_chart **pp, **oldest, *c;

	while (s->ncharts > SRC_MAX_CHARTS) {
		oldest = NULL;
		for (pp = &s->charts; *pp != NULL; pp = &(*pp)->next)
			if ((*pp)->users == 0 &&
			    (oldest == NULL || (*pp)->used < (*oldest)->used))
				oldest = pp;
		if (oldest == NULL)
			return;
		c = *oldest;
		*oldest = c->next;
		pthread_mutex_destroy(&c->lock);
		gd_helm_chart_free(c->chart);
		free(c);
		s->ncharts--;
	}
}

/* The entry for key, now in use; NULL when the memo lacks it. */
static struct src_chart *
chart_get(struct gd_source *s, const char *key)
{
	struct src_chart *c;

	pthread_mutex_lock(&s->lock);
	for (c = s->charts; c != NULL; c = c->next)
		if (strcmp(c->key, key) == 0) {
			c->users++;
			c->used = ++s->tick;
			break;
		}
	pthread_mutex_unlock(&s->lock);
	return c;
}

/* Adds chart (taken) under key, or uses the entry a racer added. */
static struct src_chart *
chart_add(struct gd_source *s, const char *key, struct gd_helm_chart *chart)
{
	struct src_chart *c;

	pthread_mutex_lock(&s->lock);
	for (c = s->charts; c != NULL; c = c->next)
		if (strcmp(c->key, key) == 0)
			break;
	if (c != NULL)
		gd_helm_chart_free(chart);
	else {
		c = xcalloc(1, sizeof(*c));
		snprintf(c->key, sizeof(c->key), "%s", key);
		c->chart = chart;
		pthread_mutex_init(&c->lock, NULL);
		c->next = s->charts;
		s->charts = c;
		s->ncharts++;
	}
	c->users++;
	c->used = ++s->tick;
	chart_evict(s);
	pthread_mutex_unlock(&s->lock);
	return c;
}

static void
chart_put(struct gd_source *s, struct src_chart *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	c->users--;
	chart_evict(s);
	pthread_mutex_unlock(&s->lock);
}

/* --- a chart folder in git ----------------------------------------------- */

struct chart_files {
	struct gd_helm_file *v;
	struct gd_buf *data;
	size_t n, total;
};

static void
chart_files_dispose(struct chart_files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free((char *)f->v[i].name);
		gd_buf_dispose(&f->data[i]);
	}
	free(f->v);
	free(f->data);
}

/* Reads every regular file below rel (relative to the chart root). */
static int
chart_read_dir(struct chart_files *f, struct src_job *j, const char *rel,
    struct gd_err *err)
{
	json_t *list = NULL, *e;
	char *full = NULL, *sub = NULL;
	const char *type;
	size_t i;
	int rc;

	xasprintf(
	    &full, "%s%s%s", j->path, j->path[0] && rel[0] ? "/" : "", rel);
	if ((rc = gd_repo_list(&list, j->repo, j->sha, full, err)) < 0)
		goto out;
	json_array_foreach(list, i, e) {
		type = src_str(e, "type", "");
		free(sub);
		xasprintf(&sub, "%s%s%s", rel, rel[0] ? "/" : "",
		    src_str(e, "name", ""));
		if (strcmp(type, "dir") == 0) {
			if ((rc = chart_read_dir(f, j, sub, err)) < 0)
				break;
			continue;
		}
		if (strcmp(type, "file") != 0)
			continue; /* links and submodules: not in a chart */
		if (f->n >= SRC_MAX_FILES) {
			rc = gd_err_set(err, GD_ETOOBIG,
			    "%s: chart has more than %d files", j->path,
			    SRC_MAX_FILES);
			break;
		}
		f->v = xreallocarray(f->v, f->n + 1, sizeof(*f->v));
		f->data = xreallocarray(f->data, f->n + 1, sizeof(*f->data));
		gd_buf_init(&f->data[f->n]);
		f->v[f->n].name = xstrdup(sub);
		f->n++;
		free(full);
		xasprintf(&full, "%s%s%s", j->path, j->path[0] ? "/" : "", sub);
		if ((rc = gd_repo_read(&f->data[f->n - 1], j->repo, j->sha,
			 full, 0, err)) < 0)
			break;
		if ((f->total += f->data[f->n - 1].len) > SRC_MAX_BYTES) {
			rc = gd_err_set(err, GD_ETOOBIG,
			    "%s: chart over %u bytes", j->path, SRC_MAX_BYTES);
			break;
		}
	}
out:
	free(sub);
	free(full);
	json_decref(list);
	return rc;
}

static int
chart_load_git(struct src_chart **out, struct src_job *j, const char *key,
    struct gd_err *err)
{
	struct chart_files f;
	struct gd_helm_chart *chart = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if ((*out = chart_get(j->s, key)) != NULL)
		return 0;
	memset(&f, 0, sizeof(f));
	if ((rc = chart_read_dir(&f, j, "", err)) < 0)
		goto out;
	for (i = 0; i < f.n; i++) {
		f.v[i].data = f.data[i].data != NULL ? f.data[i].data : "";
		f.v[i].len = f.data[i].len;
	}
	if ((rc = gd_helm_chart_load_files(&chart, f.v, f.n, err)) < 0) {
		gd_err_wrap(err, "%s", j->path[0] ? j->path : ".");
		goto out;
	}
	*out = chart_add(j->s, key, chart);
	chart = NULL; /* now owned by the memo */
out:
	chart_files_dispose(&f);
	return rc;
}

/* --- rendering ----------------------------------------------------------- */

/* What one helm render depends on, besides the chart. */
struct chart_in {
	const char *label; /* the source, in messages */
	const char *chart_id;
	json_t *values;
	struct gd_helm_opts o;
	const char **apis;
};

static void
chart_in_init(struct chart_in *in, struct src_job *j)
{
	const json_t *helm = json_object_get(j->src, "helm"), *v;
	const json_t *dest = json_object_get(j->spec, "destination");
	size_t i;

	memset(in, 0, sizeof(*in));
	in->o.release_name = src_str(helm, "releaseName", NULL);
	if (in->o.release_name == NULL || in->o.release_name[0] == '\0')
		in->o.release_name = j->app;
	in->o.ns = src_str(helm, "namespace", NULL);
	if (in->o.ns == NULL || in->o.ns[0] == '\0')
		in->o.ns = src_str(dest, "namespace", "");
	if (in->o.ns[0] == '\0')
		in->o.ns = "default";
	in->o.kube_version = src_str(helm, "kubeVersion", NULL);
	if (in->o.kube_version == NULL || in->o.kube_version[0] == '\0')
		in->o.kube_version = j->rq->kube_version != NULL ?
		    j->rq->kube_version :
		    "v1.20.0";
	v = json_object_get(helm, "apiVersions");
	if (json_array_size(v) > 0) {
		in->apis = xcalloc(json_array_size(v) + 1, sizeof(*in->apis));
		for (i = 0; i < json_array_size(v); i++) {
			const char *a = json_string_value(json_array_get(v, i));

			if (a != NULL)
				in->apis[in->o.napi_versions++] = a;
		}
		in->o.api_versions = in->apis;
	} else {
		in->o.api_versions = j->rq->api_versions;
		in->o.napi_versions = j->rq->napi_versions;
	}
	in->o.include_crds = !json_is_true(json_object_get(helm, "skipCrds"));
	in->o.skip_tests = json_is_true(json_object_get(helm, "skipTests"));
}

static void
chart_in_dispose(struct chart_in *in)
{
	json_decref(in->values);
	free(in->apis);
}

static void
chart_key(struct src_job *j, const struct chart_in *in)
{
	struct src_digest d;
	char *vals;
	size_t i;

	vals = json_dumps(in->values,
	    JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(17) |
		JSON_ENCODE_ANY);
	src_digest_init(&d);
	src_digest_str(&d, "Helm");
	src_digest_str(&d, in->chart_id);
	src_digest_str(&d, vals);
	src_digest_str(&d, in->o.release_name);
	src_digest_str(&d, in->o.ns);
	src_digest_str(&d, in->o.kube_version);
	for (i = 0; i < in->o.napi_versions; i++)
		src_digest_str(&d, in->o.api_versions[i]);
	src_digest_str(&d, "|");
	src_digest_str(&d, in->o.include_crds ? "crds" : "nocrds");
	src_digest_str(&d, in->o.skip_tests ? "notests" : "tests");
	src_digest_final(&d, j->key);
	free(vals);
}

/* Renders c into the cache under j->key; c's lock is taken here. */
static int
chart_render(struct src_job *j, struct src_chart *c, struct chart_in *in,
    struct gd_err *err)
{
	struct gd_helm_result res;
	json_t *objs = NULL;
	int rc = 0;

	memset(&res, 0, sizeof(res));
	pthread_mutex_lock(&c->lock);
	/* a racer with the same inputs may have rendered while we waited */
	if (!j->hard && (j->objects = src_cache_get(j->s, j->key)) != NULL)
		goto out;
	if ((rc = gd_helm_render(&res, c->chart, in->values, &in->o, err)) <
	    0) {
		gd_err_wrap(err, "%s", in->label);
		goto out;
	}
	objs = json_array();
	/* the text, not res.objects: CRDs are only in the text */
	if ((rc = gd_source_parse_manifests(
		 objs, in->label, res.text, strlen(res.text), err)) < 0)
		goto out;
	j->objects = json_incref(objs);
	src_cache_put(j->s, j->key, objs);
	objs = NULL;
out:
	pthread_mutex_unlock(&c->lock);
	json_decref(objs);
	gd_helm_result_dispose(&res);
	return rc;
}

int
src_chart_git(struct src_job *j, const char *tree_id, struct gd_err *err)
{
	struct src_chart *c = NULL;
	struct chart_in in;
	char id[64];
	int rc;

	j->type = "Helm";
	chart_in_init(&in, j);
	snprintf(id, sizeof(id), "git:%s", tree_id);
	in.chart_id = id;
	in.label = j->path[0] != '\0' ? j->path : ".";
	if ((rc = src_values_build(&in.values, j, err)) < 0)
		goto out;
	chart_key(j, &in);
	if (!j->hard && (j->objects = src_cache_get(j->s, j->key)) != NULL)
		goto out;
	if ((rc = chart_load_git(&c, j, id, err)) < 0 ||
	    (rc = chart_render(j, c, &in, err)) < 0)
		goto out;
out:
	chart_put(j->s, c);
	chart_in_dispose(&in);
	return rc;
}

int
src_chart_pull(struct src_job *j, struct gd_err *err)
{
	const char *url = src_str(j->src, "repoURL", "");
	const char *name = src_str(j->src, "chart", "");
	const char *rev = j->rq->revision != NULL ?
	    j->rq->revision :
	    src_str(j->src, "targetRevision", "");
	struct gd_helm_pulled p;
	struct src_chart *c = NULL;
	struct chart_in in;
	char *oci = NULL;
	int rc;

	memset(&p, 0, sizeof(p));
	j->type = "Helm";
	chart_in_init(&in, j);
	/* Argo CD takes a repoURL without a scheme as an OCI registry */
	if (strstr(url, "://") == NULL)
		xasprintf(&oci, "oci://%s", url);
	if (j->s->pull == NULL) {
		rc = gd_err_set(err, GD_EUNAVAIL,
		    "%s/%s:%s: charts from registries are not available here",
		    oci != NULL ? oci : url, name, rev);
		goto out;
	}
	if ((rc = gd_helm_pull(j->s->pull, oci != NULL ? oci : url, name, rev,
		 j->hard ? GD_HELM_PULL_HARD : 0, &p, err)) < 0)
		goto out;
	j->revision = xstrdup(p.version != NULL ? p.version : rev);
	in.chart_id = p.digest;
	in.label = p.ref != NULL ? p.ref : name;
	j->chart = p.chart;
	rc = src_values_build(&in.values, j, err);
	j->chart = NULL;
	if (rc < 0)
		goto out;
	chart_key(j, &in);
	if (!j->hard && (j->objects = src_cache_get(j->s, j->key)) != NULL)
		goto out;
	if ((c = chart_get(j->s, p.digest)) == NULL)
		c = chart_add(j->s, p.digest, gd_helm_chart_ref(p.chart));
	rc = chart_render(j, c, &in, err);
out:
	chart_put(j->s, c);
	gd_helm_pulled_dispose(&p);
	chart_in_dispose(&in);
	free(oci);
	return rc;
}
