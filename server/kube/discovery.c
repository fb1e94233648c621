/* SPDX-License-Identifier: ISC */
/*
 * Discovery: which resource (the plural in URLs) and scope serve a kind,
 * read from the legacy documents (/api/v1, /apis/<group>/<version>) and
 * never guessed, because plurals are irregular (endpoints, ingresses,
 * networkpolicies) and a CRD names its own.
 *
 * The hard part is staleness: a sync may apply a CRD and then, seconds
 * later, a custom resource of it. The cache keeps each group-version's
 * list; a kind missing from a cached list makes one fresh fetch before the
 * answer is "no such kind". Fetches happen outside the client's lock, so a
 * slow server never blocks lookups of kinds already known.
 */
#include <string.h>

#include "kube_int.h"

void
gd_kube_discovery_reset(struct gd_kube *k)
{
	pthread_mutex_lock(&k->lock);
	json_object_clear(k->gv_cache);
	pthread_mutex_unlock(&k->lock);
}

/* Splits "apps/v1" into group "apps" and version "v1"; "v1" is core. */
static int
split_gv(const char *api_version, char *group, size_t glen, char *version,
    size_t vlen, struct gd_err *err)
{
	const char *slash;

	if (api_version == NULL || api_version[0] == '\0')
		return gd_err_set(err, GD_EINVAL, "apiVersion is missing");
	slash = strchr(api_version, '/');
	if (slash == NULL) {
		group[0] = '\0';
		if (strlen(api_version) >= vlen)
			goto bad;
		memcpy(version, api_version, strlen(api_version) + 1);
		return 0;
	}
	if ((size_t)(slash - api_version) >= glen || slash == api_version ||
	    strlen(slash + 1) >= vlen || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL)
		goto bad;
	memcpy(group, api_version, (size_t)(slash - api_version));
	group[slash - api_version] = '\0';
	memcpy(version, slash + 1, strlen(slash + 1) + 1);
	return 0;
bad:
	return gd_err_set(err, GD_EINVAL, "bad apiVersion %s", api_version);
}

/* GETs one group-version's resource list into the cache. */
static int
gv_fetch(
    struct gd_kube *k, const char *gv, const char *group, struct gd_err *err)
{
	json_t *doc = NULL, *res;
	char *path = NULL;
	int rc;

	if (group[0] == '\0')
		xasprintf(&path, "/api/%s", gv);
	else
		xasprintf(&path, "/apis/%s", gv);
	if ((rc = gd_kube_request(
		 k, &doc, NULL, "GET", path, NULL, NULL, 0, err)) < 0) {
		if (rc == GD_ENOTFOUND)
			gd_err_set(err, GD_ENOTFOUND,
			    "the server does not serve %s", gv);
		goto out;
	}
	res = json_object_get(doc, "resources");
	if (!json_is_array(res)) {
		rc = gd_err_set(
		    err, GD_EUPSTREAM, "discovery %s: no resources list", path);
		goto out;
	}
	pthread_mutex_lock(&k->lock);
	json_object_set(k->gv_cache, gv, res);
	pthread_mutex_unlock(&k->lock);
out:
	json_decref(doc);
	free(path);
	return rc;
}

static int
copy_field(char *dst, size_t len, const char *src)
{
	if (src == NULL || strlen(src) >= len)
		return -1;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

/* Looks kind up in the cached list of gv; 1 found, 0 not, -1 no list. */
static int
gv_lookup(struct gd_kube *k, struct gd_kube_resource *out, const char *gv,
    const char *kind)
{
	json_t *list, *r;
	const char *name;
	size_t i;
	int found = 0;

	pthread_mutex_lock(&k->lock);
	if ((list = json_object_get(k->gv_cache, gv)) == NULL) {
		found = -1;
		goto out;
	}
	json_array_foreach(list, i, r) {
		name = json_string_value(json_object_get(r, "name"));
		/* deployments/status and deployments/scale are not kinds */
		if (name == NULL || strchr(name, '/') != NULL ||
		    json_string_value(json_object_get(r, "kind")) == NULL ||
		    strcmp(json_string_value(json_object_get(r, "kind")),
			kind) != 0)
			continue;
		if (copy_field(out->name, sizeof(out->name), name) < 0)
			continue;
		out->namespaced =
		    json_is_true(json_object_get(r, "namespaced"));
		found = 1;
		break;
	}
out:
	pthread_mutex_unlock(&k->lock);
	return found;
}

int
gd_kube_resource_find(struct gd_kube *k, struct gd_kube_resource *out,
    const char *api_version, const char *kind, struct gd_err *err)
{
	int rc, found;

	memset(out, 0, sizeof(*out));
	if ((rc = split_gv(api_version, out->group, sizeof(out->group),
		 out->version, sizeof(out->version), err)) < 0)
		return rc;
	if (kind == NULL || kind[0] == '\0')
		return gd_err_set(err, GD_EINVAL, "kind is missing");
	if (copy_field(out->kind, sizeof(out->kind), kind) < 0)
		return gd_err_set(err, GD_EINVAL, "kind is too long");
	found = gv_lookup(k, out, api_version, kind);
	if (found == 1)
		return 0;
	/* Not cached, or cached before a CRD added the kind: ask again. */
	if ((rc = gv_fetch(k, api_version, out->group, err)) < 0)
		return rc;
	if (gv_lookup(k, out, api_version, kind) == 1)
		return 0;
	return gd_err_set(
	    err, GD_ENOTFOUND, "no kind %s in %s", kind, api_version);
}

/* A name or namespace is one path segment of DNS-ish characters. */
static bool
segment_ok(const char *s)
{
	if (s == NULL || s[0] == '\0' || strlen(s) > 253 ||
	    strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s != '\0'; s++)
		if (*s == '/' || *s == '?' || *s == '#' || *s == '%' ||
		    (unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	return true;
}

int
gd_kube_path(struct gd_kube *k, char **out, const struct gd_kube_ref *ref,
    struct gd_err *err)
{
	struct gd_kube_resource r;
	struct gd_buf b;
	int rc;

	*out = NULL;
	if ((rc = gd_kube_resource_find(
		 k, &r, ref->api_version, ref->kind, err)) < 0)
		return rc;
	if (ref->name != NULL && !segment_ok(ref->name))
		return gd_err_set(err, GD_EINVAL, "%s: bad name \"%s\"",
		    ref->kind, ref->name);
	if (r.namespaced && ref->namespace != NULL &&
	    !segment_ok(ref->namespace))
		return gd_err_set(err, GD_EINVAL, "%s: bad namespace \"%s\"",
		    ref->kind, ref->namespace);
	if (r.namespaced && ref->name != NULL && ref->namespace == NULL)
		return gd_err_set(err, GD_EINVAL,
		    "%s %s is namespaced: a namespace is needed", ref->kind,
		    ref->name);
	gd_buf_init(&b);
	if (r.group[0] == '\0')
		gd_buf_printf(&b, "/api/%s", r.version);
	else
		gd_buf_printf(&b, "/apis/%s/%s", r.group, r.version);
	/* A namespace on a cluster-scoped object is ignored, as kubectl does.
	 */
	if (r.namespaced && ref->namespace != NULL)
		gd_buf_printf(&b, "/namespaces/%s", ref->namespace);
	gd_buf_printf(&b, "/%s", r.name);
	if (ref->name != NULL)
		gd_buf_printf(&b, "/%s", ref->name);
	*out = gd_buf_detach(&b, NULL);
	return 0;
}
