/* SPDX-License-Identifier: ISC */
/*
 * Discovery: the table of kinds kubesim serves (the built-in groups plus
 * one entry per served version of every CustomResourceDefinition), and
 * the documents clients read to map a kind to its resource: /version,
 * the legacy /api and /apis lists, per-group-version APIResourceLists,
 * and the minimal /openapi/v3 documents kubectl needs before
 * "apply --server-side" (it checks that PATCH takes fieldValidation).
 *
 * The hard part is that kubectl caches all of this under $HOME by a hash
 * in the OpenAPI root, so the hash changes whenever a CRD adds or removes
 * a kind; otherwise kubectl would not see a kind applied a moment ago.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim.h"

struct disc_builtin {
	const char *gv;
	const char *plural;
	const char *singular;
	const char *kind;
	const char *shortnames;
	bool namespaced;
	int flags;
};

static const struct disc_builtin disc_builtins[] = {
	{ "v1", "namespaces", "namespace", "Namespace", "ns", false,
	    KS_RES_STATUS },
	{ "v1", "pods", "pod", "Pod", "po", true, KS_RES_STATUS },
	{ "v1", "services", "service", "Service", "svc", true, KS_RES_STATUS },
	{ "v1", "configmaps", "configmap", "ConfigMap", "cm", true, 0 },
	{ "v1", "secrets", "secret", "Secret", "", true, 0 },
	{ "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", "sa",
	    true, 0 },
	{ "v1", "persistentvolumeclaims", "persistentvolumeclaim",
	    "PersistentVolumeClaim", "pvc", true, KS_RES_STATUS },
	{ "v1", "persistentvolumes", "persistentvolume", "PersistentVolume",
	    "pv", false, KS_RES_STATUS },
	{ "v1", "nodes", "node", "Node", "no", false, KS_RES_STATUS },
	{ "v1", "events", "event", "Event", "ev", true, 0 },
	{ "v1", "endpoints", "endpoints", "Endpoints", "ep", true, 0 },
	{ "v1", "limitranges", "limitrange", "LimitRange", "limits", true, 0 },
	{ "v1", "resourcequotas", "resourcequota", "ResourceQuota", "quota",
	    true, KS_RES_STATUS },
	{ "apps/v1", "deployments", "deployment", "Deployment", "deploy", true,
	    KS_RES_STATUS | KS_RES_SCALE },
	{ "apps/v1", "replicasets", "replicaset", "ReplicaSet", "rs", true,
	    KS_RES_STATUS | KS_RES_SCALE },
	{ "apps/v1", "statefulsets", "statefulset", "StatefulSet", "sts", true,
	    KS_RES_STATUS | KS_RES_SCALE },
	{ "apps/v1", "daemonsets", "daemonset", "DaemonSet", "ds", true,
	    KS_RES_STATUS },
	{ "apps/v1", "controllerrevisions", "controllerrevision",
	    "ControllerRevision", "", true, 0 },
	{ "batch/v1", "jobs", "job", "Job", "", true, KS_RES_STATUS },
	{ "batch/v1", "cronjobs", "cronjob", "CronJob", "cj", true,
	    KS_RES_STATUS },
	{ "networking.k8s.io/v1", "ingresses", "ingress", "Ingress", "ing",
	    true, KS_RES_STATUS },
	{ "networking.k8s.io/v1", "ingressclasses", "ingressclass",
	    "IngressClass", "", false, 0 },
	{ "networking.k8s.io/v1", "networkpolicies", "networkpolicy",
	    "NetworkPolicy", "netpol", true, 0 },
	{ "autoscaling/v2", "horizontalpodautoscalers",
	    "horizontalpodautoscaler", "HorizontalPodAutoscaler", "hpa", true,
	    KS_RES_STATUS },
	{ "policy/v1", "poddisruptionbudgets", "poddisruptionbudget",
	    "PodDisruptionBudget", "pdb", true, KS_RES_STATUS },
	{ "rbac.authorization.k8s.io/v1", "roles", "role", "Role", "", true,
	    0 },
	{ "rbac.authorization.k8s.io/v1", "rolebindings", "rolebinding",
	    "RoleBinding", "", true, 0 },
	{ "rbac.authorization.k8s.io/v1", "clusterroles", "clusterrole",
	    "ClusterRole", "", false, 0 },
	{ "rbac.authorization.k8s.io/v1", "clusterrolebindings",
	    "clusterrolebinding", "ClusterRoleBinding", "", false, 0 },
	{ "apiextensions.k8s.io/v1", "customresourcedefinitions",
	    "customresourcedefinition", "CustomResourceDefinition", "crd,crds",
	    false, KS_RES_STATUS },
	{ "coordination.k8s.io/v1", "leases", "lease", "Lease", "", true, 0 },
};

static struct ks_resource **disc_res;
static size_t disc_len;
static unsigned disc_gen = 1; /* bumped when the table changes */

static void
disc_add(const char *group, const char *version, const char *plural,
    const char *singular, const char *kind, const char *shortnames,
    bool namespaced, int flags)
{
	struct ks_resource *r = xcalloc(1, sizeof(*r));

	r->group = xstrdup(group);
	r->version = xstrdup(version);
	r->plural = xstrdup(plural);
	r->singular = xstrdup(singular);
	r->kind = xstrdup(kind);
	r->shortnames = xstrdup(shortnames);
	if (*group == '\0') {
		r->gv = xstrdup(version);
		r->key = xstrdup(plural);
	} else {
		xasprintf(&r->gv, "%s/%s", group, version);
		xasprintf(&r->key, "%s.%s", plural, group);
	}
	r->namespaced = namespaced;
	r->flags = flags;
	disc_res = xreallocarray(disc_res, disc_len + 1, sizeof(*disc_res));
	disc_res[disc_len++] = r;
	disc_gen++;
}

static void
disc_free(struct ks_resource *r)
{
	free(r->group);
	free(r->version);
	free(r->plural);
	free(r->singular);
	free(r->kind);
	free(r->shortnames);
	free(r->gv);
	free(r->key);
	free(r);
}

void
ks_discovery_init(void)
{
	const struct disc_builtin *b;
	const char *slash;
	char group[128];
	size_t i;

	for (i = 0; i < sizeof(disc_builtins) / sizeof(disc_builtins[0]); i++) {
		b = &disc_builtins[i];
		slash = strchr(b->gv, '/');
		if (slash == NULL) {
			disc_add("", b->gv, b->plural, b->singular, b->kind,
			    b->shortnames, b->namespaced, b->flags);
			continue;
		}
		snprintf(
		    group, sizeof(group), "%.*s", (int)(slash - b->gv), b->gv);
		disc_add(group, slash + 1, b->plural, b->singular, b->kind,
		    b->shortnames, b->namespaced, b->flags);
	}
}

bool
ks_is_builtin(const struct ks_resource *r)
{
	return (r->flags & KS_RES_CRD) == 0;
}

struct ks_resource *
ks_discovery_find(const char *group, const char *version, const char *plural)
{
	size_t i;

	for (i = 0; i < disc_len; i++)
		if (strcmp(disc_res[i]->group, group) == 0 &&
		    strcmp(disc_res[i]->version, version) == 0 &&
		    strcmp(disc_res[i]->plural, plural) == 0)
			return disc_res[i];
	return NULL;
}

struct ks_resource *
ks_discovery_find_kind(const char *apiversion, const char *kind)
{
	size_t i;

	for (i = 0; i < disc_len; i++)
		if (strcmp(disc_res[i]->gv, apiversion) == 0 &&
		    strcmp(disc_res[i]->kind, kind) == 0)
			return disc_res[i];
	return NULL;
}

void
ks_discovery_crd_remove(const json_t *crd)
{
	const char *group = ks_str(crd, "spec.group");
	const char *plural = ks_str(crd, "spec.names.plural");
	size_t i = 0;

	if (group == NULL || plural == NULL)
		return;
	while (i < disc_len) {
		if ((disc_res[i]->flags & KS_RES_CRD) &&
		    strcmp(disc_res[i]->group, group) == 0 &&
		    strcmp(disc_res[i]->plural, plural) == 0) {
			disc_free(disc_res[i]);
			memmove(&disc_res[i], &disc_res[i + 1],
			    (disc_len - i - 1) * sizeof(*disc_res));
			disc_len--;
			disc_gen++;
			continue;
		}
		i++;
	}
}

void
ks_discovery_crd_apply(const json_t *crd)
{
	const char *group = ks_str(crd, "spec.group");
	const char *plural = ks_str(crd, "spec.names.plural");
	const char *singular = ks_str(crd, "spec.names.singular");
	const char *kind = ks_str(crd, "spec.names.kind");
	const char *scope = ks_str(crd, "spec.scope");
	json_t *versions, *v, *sn;
	struct gd_buf shorts;
	const char *name;
	size_t i;
	int flags;

	if (group == NULL || plural == NULL || kind == NULL)
		return;
	ks_discovery_crd_remove(crd);
	gd_buf_init(&shorts);
	json_array_foreach(
	    json_object_get(json_object_get(crd, "spec"), "names") != NULL ?
		json_object_get(
		    json_object_get(json_object_get(crd, "spec"), "names"),
		    "shortNames") :
		NULL,
	    i, sn) {
		if (!json_is_string(sn))
			continue;
		if (shorts.len > 0)
			gd_buf_addc(&shorts, ',');
		gd_buf_adds(&shorts, json_string_value(sn));
	}
	versions = json_object_get(json_object_get(crd, "spec"), "versions");
	json_array_foreach(versions, i, v) {
		name = json_string_value(json_object_get(v, "name"));
		if (name == NULL || json_is_false(json_object_get(v, "served")))
			continue;
		flags = KS_RES_CRD;
		if (json_object_get(
			json_object_get(v, "subresources"), "status") != NULL)
			flags |= KS_RES_STATUS;
		disc_add(group, name, plural,
		    singular != NULL ? singular : plural, kind,
		    shorts.data != NULL ? shorts.data : "",
		    scope == NULL || strcmp(scope, "Cluster") != 0, flags);
	}
	gd_buf_dispose(&shorts);
}

/* --- documents ------------------------------------------------------------ */

static json_t *
disc_verbs(const char *list)
{
	json_t *a = json_array();
	char *copy = xstrdup(list), *p = copy, *w;

	while ((w = strsep(&p, " ")) != NULL)
		if (*w != '\0')
			json_array_append_new(a, json_string(w));
	free(copy);
	return a;
}

static json_t *
disc_resource_list(const char *gv)
{
	json_t *doc, *arr, *e, *shorts;
	struct ks_resource *r;
	char *copy, *p, *w;
	size_t i;
	bool any = false;

	arr = json_array();
	for (i = 0; i < disc_len; i++) {
		r = disc_res[i];
		if (strcmp(r->gv, gv) != 0)
			continue;
		any = true;
		e = json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", r->plural,
		    "singularName", r->singular, "namespaced", r->namespaced,
		    "kind", r->kind, "verbs",
		    disc_verbs("create delete deletecollection get list patch "
			       "update watch"));
		if (*r->shortnames != '\0') {
			shorts = json_array();
			copy = xstrdup(r->shortnames);
			p = copy;
			while ((w = strsep(&p, ",")) != NULL)
				json_array_append_new(shorts, json_string(w));
			free(copy);
			json_object_set_new(e, "shortNames", shorts);
		}
		if (strcmp(r->kind, "Deployment") == 0 ||
		    strcmp(r->kind, "Pod") == 0 ||
		    strcmp(r->kind, "Service") == 0 ||
		    strcmp(r->kind, "DaemonSet") == 0 ||
		    strcmp(r->kind, "StatefulSet") == 0 ||
		    strcmp(r->kind, "ReplicaSet") == 0)
			json_object_set_new(
			    e, "categories", json_pack("[s]", "all"));
		json_array_append_new(arr, e);
		if (r->flags & KS_RES_STATUS) {
			e = json_pack("{s:s+, s:s, s:b, s:s, s:o}", "name",
			    r->plural, "/status", "singularName", "",
			    "namespaced", r->namespaced, "kind", r->kind,
			    "verbs", disc_verbs("get patch update"));
			json_array_append_new(arr, e);
		}
		if (r->flags & KS_RES_SCALE) {
			e = json_pack("{s:s+, s:s, s:b, s:s, s:s, s:s, s:o}",
			    "name", r->plural, "/scale", "singularName", "",
			    "namespaced", r->namespaced, "group", "autoscaling",
			    "version", "v1", "kind", "Scale", "verbs",
			    disc_verbs("get patch update"));
			json_array_append_new(arr, e);
		}
	}
	if (!any) {
		json_decref(arr);
		return NULL;
	}
	doc = json_pack("{s:s, s:s, s:s, s:o}", "kind", "APIResourceList",
	    "apiVersion", "v1", "groupVersion", gv, "resources", arr);
	return doc;
}

static json_t *
disc_group(const char *group)
{
	json_t *versions = json_array(), *pref = NULL;
	struct ks_resource *r;
	size_t i, j;
	bool seen;

	for (i = 0; i < disc_len; i++) {
		r = disc_res[i];
		if (strcmp(r->group, group) != 0)
			continue;
		seen = false;
		for (j = 0; j < i; j++)
			if (strcmp(disc_res[j]->gv, r->gv) == 0)
				seen = true;
		if (seen)
			continue;
		json_array_append_new(versions,
		    json_pack("{s:s, s:s}", "groupVersion", r->gv, "version",
			r->version));
		if (pref == NULL)
			pref = json_pack("{s:s, s:s}", "groupVersion", r->gv,
			    "version", r->version);
	}
	if (pref == NULL) {
		json_decref(versions);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:s, s:o, s:o}", "kind", "APIGroup",
	    "apiVersion", "v1", "name", group, "versions", versions,
	    "preferredVersion", pref);
}

static json_t *
disc_groups(void)
{
	json_t *groups = json_array(), *g;
	size_t i, j;
	bool seen;

	for (i = 0; i < disc_len; i++) {
		if (*disc_res[i]->group == '\0')
			continue;
		seen = false;
		for (j = 0; j < i; j++)
			if (strcmp(disc_res[j]->group, disc_res[i]->group) == 0)
				seen = true;
		if (seen)
			continue;
		g = disc_group(disc_res[i]->group);
		json_object_del(g, "kind");
		json_object_del(g, "apiVersion");
		json_array_append_new(groups, g);
	}
	return json_pack("{s:s, s:s, s:o}", "kind", "APIGroupList",
	    "apiVersion", "v1", "groups", groups);
}

static json_t *
disc_param(const char *name, const char *in)
{
	return json_pack("{s:s, s:s, s:b, s:{s:s}}", "name", name, "in", in,
	    "required", strcmp(in, "path") == 0, "schema", "type", "string");
}

static json_t *
disc_op(const struct ks_resource *r, const char *action)
{
	json_t *params = json_array();

	json_array_append_new(params, disc_param("fieldValidation", "query"));
	json_array_append_new(params, disc_param("fieldManager", "query"));
	json_array_append_new(params, disc_param("dryRun", "query"));
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:o, s:{s:{s:s}}}",
	    "x-kubernetes-action", action, "operationId", action,
	    "x-kubernetes-group-version-kind", "group", r->group, "version",
	    r->version, "kind", r->kind, "parameters", params, "responses",
	    "200", "description", "OK");
}

/* One OpenAPI v3 document per group version, with paths only. */
static json_t *
disc_openapi_gv(const char *gv)
{
	json_t *paths = json_object();
	struct ks_resource *r;
	char *coll, *item;
	const char *prefix;
	size_t i;
	bool any = false;

	for (i = 0; i < disc_len; i++) {
		r = disc_res[i];
		if (strcmp(r->gv, gv) != 0)
			continue;
		any = true;
		prefix = *r->group == '\0' ? "/api" : "/apis";
		if (r->namespaced)
			xasprintf(&coll, "%s/%s/namespaces/{namespace}/%s",
			    prefix, r->gv, r->plural);
		else
			xasprintf(&coll, "%s/%s/%s", prefix, r->gv, r->plural);
		xasprintf(&item, "%s/{name}", coll);
		json_object_set_new(paths, coll,
		    json_pack("{s:o, s:o}", "get", disc_op(r, "list"), "post",
			disc_op(r, "post")));
		json_object_set_new(paths, item,
		    json_pack("{s:o, s:o, s:o, s:o}", "get", disc_op(r, "get"),
			"put", disc_op(r, "put"), "patch", disc_op(r, "patch"),
			"delete", disc_op(r, "delete")));
		free(coll);
		free(item);
	}
	if (!any) {
		json_decref(paths);
		return NULL;
	}
	return json_pack("{s:s, s:{s:s, s:s}, s:o, s:{s:{}}}", "openapi",
	    "3.0.0", "info", "title", "Kubernetes", "version", "v1.32.0",
	    "paths", paths, "components", "schemas");
}

static json_t *
disc_openapi_root(void)
{
	json_t *paths = json_object();
	char *key, *url;
	size_t i;

	for (i = 0; i < disc_len; i++) {
		if (*disc_res[i]->group == '\0')
			xasprintf(&key, "api/%s", disc_res[i]->gv);
		else
			xasprintf(&key, "apis/%s", disc_res[i]->gv);
		xasprintf(&url, "/openapi/v3/%s?hash=%08X", key, disc_gen);
		json_object_set_new(
		    paths, key, json_pack("{s:s}", "serverRelativeURL", url));
		free(key);
		free(url);
	}
	return json_pack("{s:o}", "paths", paths);
}

static json_t *
disc_version(void)
{
	char git[32];

	snprintf(git, sizeof(git), "v1.%s.0-kubesim", ks.conf.minor);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "major", "1", "minor", ks.conf.minor, "gitVersion", git,
	    "gitCommit", "0000000000000000000000000000000000000000",
	    "gitTreeState", "clean", "buildDate", "2026-01-01T00:00:00Z",
	    "goVersion", "go1.23", "compiler", "gc", "platform", "linux/amd64");
}

/* Splits "/apis/g/v" style paths; returns the number of segments. */
static int
disc_split(const char *path, char seg[4][128])
{
	const char *p = path, *e;
	int n = 0;

	while (*p == '/')
		p++;
	while (*p != '\0') {
		if (n == 4)
			return 5;
		e = strchr(p, '/');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) >= 128)
			return 5;
		memcpy(seg[n], p, (size_t)(e - p));
		seg[n][e - p] = '\0';
		n++;
		p = *e == '/' ? e + 1 : e;
	}
	return n;
}

bool
ks_discovery_serve(const struct ks_req *req, struct ks_resp *resp)
{
	char seg[4][128], gv[260];
	const char *p = req->path;
	json_t *doc = NULL;
	int n;

	if (strcmp(p, "/healthz") == 0 || strcmp(p, "/readyz") == 0 ||
	    strcmp(p, "/livez") == 0) {
		resp->body = json_string("ok");
		return true;
	}
	if (strcmp(req->method, "GET") != 0)
		return false;
	if (strcmp(p, "/openapi/v2") == 0) {
		/*
		 * An empty protobuf message is a valid, empty OpenAPI v2
		 * Document: kubectl 1.20 validates against nothing instead of
		 * failing to download it.
		 */
		resp->content_type =
		    "application/"
		    "com.github.proto-openapi.spec.v2.v1.0+protobuf";
		resp->raw = "";
		return true;
	}
	if (strncmp(p, "/openapi/", 9) == 0) {
		if (strcmp(p, "/openapi/v3") == 0 ||
		    strcmp(p, "/openapi/v3/") == 0)
			doc = disc_openapi_root();
		else if (strncmp(p, "/openapi/v3/api/", 16) == 0)
			doc = disc_openapi_gv(p + 16);
		else if (strncmp(p, "/openapi/v3/apis/", 17) == 0)
			doc = disc_openapi_gv(p + 17);
		goto out;
	}
	n = disc_split(p, seg);
	if (n > 4 || n == 0)
		return false;
	if (n == 1 && strcmp(seg[0], "version") == 0)
		doc = disc_version();
	else if (n == 1 && strcmp(seg[0], "api") == 0)
		doc = json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "kind",
		    "APIVersions", "versions", "v1",
		    "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0",
		    "serverAddress", ks.conf.listen);
	else if (n == 1 && strcmp(seg[0], "apis") == 0)
		doc = disc_groups();
	else if (n == 2 && strcmp(seg[0], "api") == 0)
		doc = disc_resource_list(seg[1]);
	else if (n == 2 && strcmp(seg[0], "apis") == 0)
		doc = disc_group(seg[1]);
	else if (n == 3 && strcmp(seg[0], "apis") == 0) {
		snprintf(gv, sizeof(gv), "%s/%s", seg[1], seg[2]);
		doc = disc_resource_list(gv);
	} else
		return false;
out:
	if (doc == NULL) {
		ks_resp_status(resp, 404, "NotFound", NULL,
		    "the server could not find the requested resource");
		return true;
	}
	resp->body = doc;
	return true;
}
