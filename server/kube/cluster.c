/* SPDX-License-Identifier: ISC */
/*
 * The cluster seam over the REST API (struct gd_cluster_ops for a real
 * cluster), and the set of clusters Applications deploy to, found by
 * destination server or name as Argo CD finds them.
 *
 * The subtle part is the list op: it answers from the live cache when the
 * kind is tracked there and no selector is asked for, and falls back to a
 * LIST otherwise, so the controller gets one call whether a kind is
 * mirrored yet or not.
 */
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"

#define KCLUSTER_MAGIC 0x6b636c75u

struct kcluster {
	unsigned magic;
	struct gd_kube *kube;
	struct gd_kube_cache *cache;
};

static struct kcluster *
kc(void *impl)
{
	struct kcluster *c = impl;

	GD_CHECK_OBJ(c, KCLUSTER_MAGIC);
	return c;
}

static int
kc_resource(void *impl, struct gd_kube_resource *out, const char *av,
    const char *kind, struct gd_err *err)
{
	return gd_kube_resource_find(kc(impl)->kube, out, av, kind, err);
}

static int
kc_get(
    void *impl, json_t **out, const struct gd_kube_ref *ref, struct gd_err *err)
{
	return gd_kube_get(kc(impl)->kube, out, ref, err);
}

static int
kc_list(void *impl, json_t **out, const struct gd_kube_ref *ref,
    const struct gd_kube_list_opts *o, struct gd_err *err)
{
	struct kcluster *c = kc(impl);

	if ((o == NULL ||
		(o->label_selector == NULL && o->field_selector == NULL)) &&
	    gd_kube_cache_list(c->cache, out, ref->api_version, ref->kind,
		ref->namespace, NULL) == 0)
		return 0;
	return gd_kube_list(c->kube, out, NULL, ref, o, err);
}

static int
kc_apply(void *impl, json_t **out, const json_t *obj,
    const struct gd_kube_apply_opts *o, struct gd_err *err)
{
	return gd_kube_apply(kc(impl)->kube, out, obj, o, err);
}

static int
kc_delete(void *impl, const struct gd_kube_ref *ref,
    const struct gd_kube_delete_opts *o, struct gd_err *err)
{
	return gd_kube_delete(kc(impl)->kube, ref, o, err);
}

static int
kc_namespace_create(void *impl, const char *name, struct gd_err *err)
{
	return gd_kube_namespace_create(kc(impl)->kube, name, err);
}

static int
kc_track(void *impl, const char *av, const char *kind, const char *ns,
    struct gd_err *err)
{
	return gd_kube_cache_track(kc(impl)->cache, av, kind, ns, err);
}

static void
kc_subscribe(void *impl, gd_kube_change_fn fn, void *arg)
{
	gd_kube_cache_subscribe(kc(impl)->cache, fn, arg);
}

static int
kc_version(void *impl, json_t **out, struct gd_err *err)
{
	return gd_kube_request(
	    kc(impl)->kube, out, NULL, "GET", "/version", NULL, NULL, 0, err);
}

static void
kc_free(void *impl)
{
	struct kcluster *c = kc(impl);

	gd_kube_cache_free(c->cache);
	gd_kube_free(c->kube);
	c->magic = 0;
	free(c);
}

static const struct gd_cluster_ops kube_cluster_ops = {
	.name = "kube",
	.resource = kc_resource,
	.get = kc_get,
	.list = kc_list,
	.apply = kc_apply,
	.delete = kc_delete,
	.namespace_create = kc_namespace_create,
	.track = kc_track,
	.subscribe = kc_subscribe,
	.version = kc_version,
	.free = kc_free,
};

struct gd_cluster *
gd_kube_cluster_new(struct gd_kube *kube)
{
	struct gd_cluster *cl = xcalloc(1, sizeof(*cl));
	struct kcluster *c = xcalloc(1, sizeof(*c));

	c->magic = KCLUSTER_MAGIC;
	c->kube = kube;
	c->cache = gd_kube_cache_new(kube);
	cl->ops = &kube_cluster_ops;
	cl->impl = c;
	return cl;
}

void
gd_kube_cluster_free(struct gd_cluster *cl)
{
	if (cl == NULL)
		return;
	if (cl->ops != NULL && cl->ops->free != NULL)
		cl->ops->free(cl->impl);
	free(cl);
}

/* --- several clusters ------------------------------------------------- */

struct clusters_ent {
	char *name;
	char *server;
	struct gd_cluster *cluster;
	bool owned; /* false for an alias */
};

struct gd_kube_clusters {
	struct clusters_ent *v;
	size_t n;
};

struct gd_kube_clusters *
gd_kube_clusters_new(void)
{
	return xcalloc(1, sizeof(struct gd_kube_clusters));
}

void
gd_kube_clusters_free(struct gd_kube_clusters *cs)
{
	size_t i;

	if (cs == NULL)
		return;
	for (i = 0; i < cs->n; i++) {
		free(cs->v[i].name);
		free(cs->v[i].server);
		if (cs->v[i].owned)
			gd_kube_cluster_free(cs->v[i].cluster);
	}
	free(cs->v);
	free(cs);
}

/* Servers compare without a trailing slash, as Argo CD's do. */
static bool
server_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 0 && a[la - 1] == '/')
		la--;
	while (lb > 0 && b[lb - 1] == '/')
		lb--;
	return la == lb && strncmp(a, b, la) == 0;
}

/* Adds an entry; on a clash an owned c is freed. */
static int
clusters_put(struct gd_kube_clusters *cs, const char *name, const char *server,
    struct gd_cluster *c, bool owned, struct gd_err *err)
{
	size_t i;
	int rc = 0;

	if (name == NULL || server == NULL || name[0] == '\0' ||
	    server[0] == '\0') {
		rc = gd_err_set(
		    err, GD_EINVAL, "a cluster needs a name and a server");
		goto out;
	}
	for (i = 0; i < cs->n; i++) {
		if (strcmp(cs->v[i].name, name) == 0 ||
		    server_eq(cs->v[i].server, server)) {
			rc = gd_err_set(err, GD_ECONFLICT,
			    "cluster %s (%s) is already known as %s (%s)", name,
			    server, cs->v[i].name, cs->v[i].server);
			goto out;
		}
	}
	cs->v = xreallocarray(cs->v, cs->n + 1, sizeof(*cs->v));
	cs->v[cs->n].name = xstrdup(name);
	cs->v[cs->n].server = xstrdup(server);
	cs->v[cs->n].cluster = c;
	cs->v[cs->n].owned = owned;
	cs->n++;
	c = NULL;
out:
	if (owned)
		gd_kube_cluster_free(c);
	return rc;
}

int
gd_kube_clusters_add(struct gd_kube_clusters *cs, const char *name,
    const char *server, struct gd_cluster *c, struct gd_err *err)
{
	return clusters_put(cs, name, server, c, true, err);
}

int
gd_kube_clusters_alias(struct gd_kube_clusters *cs, const char *existing,
    const char *name, const char *server, struct gd_err *err)
{
	struct gd_cluster *c;
	int rc;

	if ((rc = gd_kube_clusters_find(cs, &c, NULL, existing, err)) < 0)
		return rc;
	return clusters_put(cs, name, server, c, false, err);
}

int
gd_kube_clusters_from_kubeconfig(struct gd_kube_clusters *cs, const char *paths,
    const char *context, const struct gd_kube_opts *o, struct gd_err *err)
{
	struct gd_kube_config *cfg = NULL;
	struct gd_cluster *c;
	char **names = NULL, *cur = NULL;
	size_t i;
	int rc;

	if ((rc = gd_kube_config_contexts(&names, &cur, paths, err)) < 0)
		goto out;
	if (context == NULL)
		context = cur;
	if (context == NULL) {
		rc = gd_err_set(err, GD_EINVAL,
		    "kubeconfig: no current-context and none given");
		goto out;
	}
	/* The one gitopsd uses must load; the others are best effort. */
	if ((rc = gd_kube_config_load(&cfg, paths, context, err)) < 0)
		goto out;
	c = gd_kube_cluster_new(gd_kube_new(cfg, o));
	if ((rc = gd_kube_clusters_add(cs, context, cfg->server, c, err)) < 0 ||
	    (rc = gd_kube_clusters_alias(cs, context, GD_KUBE_INCLUSTER_NAME,
		 GD_KUBE_INCLUSTER_SERVER, err)) < 0)
		goto out;
	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], context) == 0 ||
		    gd_kube_config_load(&cfg, paths, names[i], NULL) < 0)
			continue;
		c = gd_kube_cluster_new(gd_kube_new(cfg, o));
		/* Another context of a known server (first wins): skipped. */
		(void)gd_kube_clusters_add(cs, names[i], cfg->server, c, NULL);
	}
out:
	gd_kube_strv_free(names);
	free(cur);
	return rc;
}

int
gd_kube_clusters_find(struct gd_kube_clusters *cs, struct gd_cluster **out,
    const char *server, const char *name, struct gd_err *err)
{
	size_t i;

	*out = NULL;
	if (server != NULL && server[0] == '\0')
		server = NULL;
	if (name != NULL && name[0] == '\0')
		name = NULL;
	if (server != NULL && name != NULL)
		return gd_err_set(err, GD_EINVAL,
		    "destination has both server %s and name %s: give one",
		    server, name);
	if (server == NULL && name == NULL)
		return gd_err_set(
		    err, GD_EINVAL, "destination has neither server nor name");
	for (i = 0; i < cs->n; i++) {
		if ((server != NULL && server_eq(cs->v[i].server, server)) ||
		    (name != NULL && strcmp(cs->v[i].name, name) == 0)) {
			*out = cs->v[i].cluster;
			return 0;
		}
	}
	if (server != NULL)
		return gd_err_set(err, GD_ENOTFOUND,
		    "there are no clusters with this URL: %s", server);
	return gd_err_set(err, GD_ENOTFOUND,
	    "there are no clusters with this name: %s", name);
}
