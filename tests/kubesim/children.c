/* SPDX-License-Identifier: ISC */
/*
 * The objects controllers create: a ReplicaSet per Deployment template
 * ("<deployment>-<pod-template-hash>", owned by the Deployment, the old
 * ones scaled to zero once a rollout is done) and the Pods of every
 * ReplicaSet ("<replicaset>-<5 chars>", owned by it), so resource trees,
 * owner references and cascading deletes look as on a real cluster.
 * --no-children turns it off for bulk tests.
 *
 * The hard part is finding children without scanning: with 100,000
 * objects a scan per visit would be quadratic, so each owner's children
 * are remembered by uid, and a remembered child that no longer exists
 * (deleted by a user or by garbage collection) is simply forgotten and
 * made again if still wanted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim.h"

#define CHILD_MANAGER "kube-controller-manager"

static json_t *child_rs; /* deployment uid -> { hash -> replicaset name } */
static json_t *child_pods; /* replicaset uid -> [pod name] */

/* Kubernetes' SafeEncodeString alphabet: no vowels, no look-alikes. */
static const char child_alpha[] = "bcdfghjklmnpqrstvwxz2456789";

static void
child_encode(char *out, size_t n, uint64_t h)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[i] = child_alpha[h % (sizeof(child_alpha) - 1)];
		h /= sizeof(child_alpha) - 1;
	}
	out[n] = '\0';
}

static uint64_t
child_fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static json_t *
child_owner(const json_t *owner)
{
	return json_pack("[{s:s, s:s, s:s, s:s, s:b, s:b}]", "apiVersion",
	    ks_str(owner, "apiVersion"), "kind", ks_str(owner, "kind"), "name",
	    ks_str(owner, "metadata.name"), "uid",
	    ks_str(owner, "metadata.uid"), "controller", 1,
	    "blockOwnerDeletion", 1);
}

/* The ReplicaSet a Deployment wants for its current template. */
static json_t *
child_rs_for(
    const json_t *d, const char *name, const char *hash, const char *rev)
{
	json_t *spec = json_object_get(d, "spec");
	json_t *tmpl = json_deep_copy(json_object_get(spec, "template"));
	json_t *labels, *sel, *rs;

	labels = ks_obj(ks_obj(tmpl, "metadata"), "labels");
	json_object_set_new(labels, "pod-template-hash", json_string(hash));
	sel = json_deep_copy(json_object_get(spec, "selector"));
	if (!json_is_object(sel))
		sel = json_object();
	json_object_set_new(
	    ks_obj(sel, "matchLabels"), "pod-template-hash", json_string(hash));
	rs = json_pack("{s:s, s:s, s:{s:s, s:s, s:O, s:{s:s}, s:o},"
		       " s:{s:I, s:o, s:o}}",
	    "apiVersion", "apps/v1", "kind", "ReplicaSet", "metadata", "name",
	    name, "namespace", ks_str(d, "metadata.namespace"), "labels",
	    labels, "annotations", "deployment.kubernetes.io/revision", rev,
	    "ownerReferences", child_owner(d), "spec", "replicas",
	    json_integer_value(json_object_get(spec, "replicas")), "selector",
	    sel, "template", tmpl);
	return rs;
}

/*
 * Sets a ReplicaSet's replicas, and its revision when rev is not NULL (a
 * rollback to an old template makes its ReplicaSet the newest revision).
 */
static void
child_scale(
    struct ks_resource *r, const json_t *obj, json_int_t n, const char *rev)
{
	const char *have = json_string_value(json_object_get(
	    json_object_get(json_object_get(obj, "metadata"), "annotations"),
	    "deployment.kubernetes.io/revision"));
	json_t *w;

	if (json_integer_value(json_object_get(
		json_object_get(obj, "spec"), "replicas")) == n &&
	    (rev == NULL || (have != NULL && strcmp(have, rev) == 0)))
		return;
	w = json_deep_copy(obj);
	json_object_set_new(ks_obj(w, "spec"), "replicas", json_integer(n));
	if (rev != NULL)
		json_object_set_new(
		    ks_obj(ks_obj(w, "metadata"), "annotations"),
		    "deployment.kubernetes.io/revision", json_string(rev));
	ks_rest_write(r, obj, w, CHILD_MANAGER);
}

void
ks_children_deployment(const json_t *d, const char *rev, bool done)
{
	struct ks_resource *r = ks_discovery_find("apps", "v1", "replicasets");
	const char *uid = ks_str(d, "metadata.uid");
	const char *ns = ks_str(d, "metadata.namespace");
	json_t *mine, *rs, *old, *n;
	char hash[11], *tmpl, *name;
	const char *h;
	void *tmp;

	if (ks.conf.no_children || r == NULL || uid == NULL)
		return;
	if (child_rs == NULL)
		child_rs = json_object();
	mine = ks_obj(child_rs, uid);
	tmpl =
	    json_dumps(json_object_get(json_object_get(d, "spec"), "template"),
		JSON_COMPACT | JSON_SORT_KEYS);
	child_encode(hash, 10, child_fnv(tmpl));
	free(tmpl);
	xasprintf(&name, "%s-%s", ks_str(d, "metadata.name"), hash);
	rs = ks_store_get(r, ns, name);
	if (rs == NULL)
		ks_rest_write(
		    r, NULL, child_rs_for(d, name, hash, rev), CHILD_MANAGER);
	else
		child_scale(r, rs,
		    json_integer_value(json_object_get(
			json_object_get(d, "spec"), "replicas")),
		    rev);
	json_object_set_new(mine, hash, json_string(name));
	free(name);
	json_object_foreach_safe(mine, tmp, h, n) {
		if (strcmp(h, hash) == 0)
			continue;
		old = ks_store_get(r, ns, json_string_value(n));
		if (old == NULL)
			json_object_del(mine, h);
		else if (done)
			child_scale(r, old, 0, NULL);
	}
}

void
ks_children_replicaset(const json_t *rs)
{
	struct ks_resource *r = ks_discovery_find("", "v1", "pods");
	const char *uid = ks_str(rs, "metadata.uid");
	const char *ns = ks_str(rs, "metadata.namespace");
	json_t *pods, *p, *tmpl, *pod, *meta;
	json_int_t want = json_integer_value(
	    json_object_get(json_object_get(rs, "spec"), "replicas"));
	static uint64_t seq;
	char sfx[6], *name;
	size_t i = 0;

	if (ks.conf.no_children || r == NULL || uid == NULL)
		return;
	if (child_pods == NULL)
		child_pods = json_object();
	pods = json_object_get(child_pods, uid);
	if (pods == NULL) {
		pods = json_array();
		json_object_set_new(child_pods, uid, pods);
	}
	while (i < json_array_size(pods)) {
		if (ks_store_get(r, ns,
			json_string_value(json_array_get(pods, i))) == NULL)
			json_array_remove(pods, i);
		else
			i++;
	}
	while ((json_int_t)json_array_size(pods) < want) {
		child_encode(sfx, 5, child_fnv(uid) + ++seq * 7919);
		xasprintf(&name, "%s-%s", ks_str(rs, "metadata.name"), sfx);
		tmpl = json_object_get(json_object_get(rs, "spec"), "template");
		/* Copies: defaulting the pod must not touch the RS. */
		pod = json_pack("{s:s, s:s, s:{s:s, s:s, s:o}, s:o}",
		    "apiVersion", "v1", "kind", "Pod", "metadata", "name", name,
		    "namespace", ns, "ownerReferences", child_owner(rs), "spec",
		    json_deep_copy(json_object_get(tmpl, "spec")));
		meta = json_object_get(pod, "metadata");
		if (json_object_get(
			json_object_get(tmpl, "metadata"), "labels") != NULL)
			json_object_set_new(meta, "labels",
			    json_deep_copy(json_object_get(
				json_object_get(tmpl, "metadata"), "labels")));
		if (ks_store_get(r, ns, name) == NULL)
			ks_rest_write(r, NULL, pod, CHILD_MANAGER);
		else
			json_decref(pod);
		json_array_append_new(pods, json_string(name));
		free(name);
	}
	while ((json_int_t)json_array_size(pods) > want) {
		p = ks_store_get(r, ns,
		    json_string_value(
			json_array_get(pods, json_array_size(pods) - 1)));
		if (p != NULL)
			ks_rest_delete(r, p);
		json_array_remove(pods, json_array_size(pods) - 1);
	}
}
