/* SPDX-License-Identifier: ISC */
/*
 * The object store: every object in memory, one JSON map per collection
 * keyed "namespace/name", one global resourceVersion counter, and the
 * ring of recent events that watches replay from. All under ks.lock.
 *
 * The hard part is that a stored object is never changed in place once
 * put: writers build a new object and put that. This lets the event ring
 * and a list being serialized hold plain references to the same objects,
 * so holding 100,000 objects costs one copy each, and a watch can replay
 * an event long after the object has moved on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim.h"

struct ks_state ks;

const char *
ks_str(const json_t *obj, const char *path)
{
	char key[128];
	const char *dot;
	size_t n;

	while (obj != NULL && (dot = strchr(path, '.')) != NULL) {
		n = (size_t)(dot - path);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		obj = json_object_get(obj, key);
		path = dot + 1;
	}
	return json_string_value(json_object_get(obj, path));
}

json_t *
ks_obj(json_t *parent, const char *key)
{
	json_t *o = json_object_get(parent, key);

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(parent, key, o);
	}
	return o;
}

char *
ks_store_key(const struct ks_resource *r, const char *ns, const char *name)
{
	char *k;

	if (r->namespaced)
		xasprintf(&k, "%s/%s", ns != NULL ? ns : "", name);
	else
		k = xstrdup(name);
	return k;
}

json_t *
ks_store_coll(const struct ks_resource *r)
{
	json_t *c = json_object_get(ks.colls, r->key);

	if (c == NULL) {
		c = json_object();
		json_object_set_new(ks.colls, r->key, c);
	}
	return c;
}

json_t *
ks_store_get(const struct ks_resource *r, const char *ns, const char *name)
{
	char *k = ks_store_key(r, ns, name);
	json_t *o = json_object_get(ks_store_coll(r), k);

	free(k);
	return o;
}

/*
 * The keys of a collection in order, for LIST and continue tokens. The
 * hashtable's own key strings are borrowed: they live as long as their
 * entries, and any insert or removal marks the index dirty, so it is
 * rebuilt before a stale pointer could be read.
 */
struct store_index {
	char *coll;
	const char **keys;
	size_t n;
	bool dirty;
};

static struct store_index *store_idx;
static size_t store_nidx;

static struct store_index *
store_index(const char *coll)
{
	size_t i;

	for (i = 0; i < store_nidx; i++)
		if (strcmp(store_idx[i].coll, coll) == 0)
			return &store_idx[i];
	store_idx =
	    xreallocarray(store_idx, store_nidx + 1, sizeof(*store_idx));
	memset(&store_idx[store_nidx], 0, sizeof(*store_idx));
	store_idx[store_nidx].coll = xstrdup(coll);
	store_idx[store_nidx].dirty = true;
	return &store_idx[store_nidx++];
}

static int
store_keycmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t
ks_store_sorted(const struct ks_resource *r, const char *const **out)
{
	struct store_index *ix = store_index(r->key);
	json_t *coll = ks_store_coll(r), *v;
	const char *k;
	size_t n = 0;

	if (ix->dirty) {
		ix->keys = xreallocarray(
		    ix->keys, json_object_size(coll) + 1, sizeof(*ix->keys));
		json_object_foreach(coll, k, v)
			ix->keys[n++] = k;
		qsort(ix->keys, n, sizeof(*ix->keys), store_keycmp);
		ix->n = n;
		ix->dirty = false;
	}
	*out = ix->keys;
	return ix->n;
}

size_t
ks_store_lower(const char *const *keys, size_t n, const char *key)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (strcmp(keys[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
store_event(
    const struct ks_resource *r, const char *type, json_t *obj, json_t *prev)
{
	struct ks_event *e;
	const char *ns = ks_str(obj, "metadata.namespace");

	if (ks.ring_len == ks.conf.history) {
		e = &ks.ring[ks.ring_head];
		free(e->coll);
		free(e->ns);
		json_decref(e->obj);
		json_decref(e->prev);
		ks.ring_head = (ks.ring_head + 1) % ks.conf.history;
		ks.ring_len--;
	}
	e = &ks.ring[(ks.ring_head + ks.ring_len) % ks.conf.history];
	e->rv = ks.rv;
	e->type = type;
	e->coll = xstrdup(r->key);
	e->ns = xstrdup(ns != NULL ? ns : "");
	e->obj = json_incref(obj);
	e->prev = json_incref(prev);
	ks.ring_len++;
	pthread_cond_broadcast(&ks.changed);
}

void
ks_store_put(const struct ks_resource *r, json_t *obj, bool created)
{
	json_t *meta = ks_obj(obj, "metadata"), *coll, *prev;
	char rv[32], *k;

	snprintf(rv, sizeof(rv), "%llu", (unsigned long long)++ks.rv);
	json_object_set_new(meta, "resourceVersion", json_string(rv));
	k = ks_store_key(
	    r, ks_str(obj, "metadata.namespace"), ks_str(obj, "metadata.name"));
	coll = ks_store_coll(r);
	prev = json_incref(json_object_get(coll, k));
	if (prev == NULL)
		store_index(r->key)->dirty = true;
	json_object_set(coll, k, obj);
	ks_gc_note_put(r->key, k, obj);
	free(k);
	xasprintf(&k, "%s\n%s/%s", r->key,
	    ks_str(obj, "metadata.namespace") != NULL ?
		ks_str(obj, "metadata.namespace") :
		"",
	    ks_str(obj, "metadata.name"));
	json_object_set_new(ks.pending, k, json_true());
	free(k);
	store_event(r, created ? "ADDED" : "MODIFIED", obj, prev);
	json_decref(prev);
	json_decref(obj);
}

void
ks_store_remove(const struct ks_resource *r, const char *ns, const char *name)
{
	char *k = ks_store_key(r, ns, name), rv[32];
	json_t *coll = ks_store_coll(r), *o, *gone;

	o = json_object_get(coll, k);
	if (o != NULL) {
		gone = json_deep_copy(o);
		snprintf(rv, sizeof(rv), "%llu", (unsigned long long)++ks.rv);
		json_object_set_new(ks_obj(gone, "metadata"), "resourceVersion",
		    json_string(rv));
		json_object_del(coll, k);
		store_index(r->key)->dirty = true;
		ks_gc_note_remove(gone);
		store_event(r, "DELETED", gone, NULL);
		json_decref(gone);
	}
	free(k);
}

bool
ks_store_ns_exists(const char *ns)
{
	json_t *c = json_object_get(ks.colls, "namespaces");

	return ns != NULL && json_object_get(c, ns) != NULL;
}

void
ks_store_init(void)
{
	static const char *const nss[] = { "default", "kube-system",
		"kube-public", "kube-node-lease" };
	static char nskey[] = "namespaces";
	struct ks_resource r = { 0 };
	char ts[GD_TIME_LEN], uid[64];
	json_t *o;
	size_t i;

	ks.colls = json_object();
	ks.pending = json_object();
	ks.ring = xcalloc(ks.conf.history, sizeof(*ks.ring));
	/* A bare resource is enough to file the built-in namespaces. */
	r.key = nskey;
	gd_time_format(ts, time(NULL));
	for (i = 0; i < sizeof(nss) / sizeof(nss[0]); i++) {
		snprintf(
		    uid, sizeof(uid), "00000000-0000-4000-8000-%012zu", i + 1);
		o = json_pack(
		    "{s:s, s:s, s:{s:s, s:s, s:s, s:{s:s}}, s:{s:[s]},"
		    " s:{s:s}}",
		    "apiVersion", "v1", "kind", "Namespace", "metadata", "name",
		    nss[i], "uid", uid, "creationTimestamp", ts, "labels",
		    "kubernetes.io/metadata.name", nss[i], "spec", "finalizers",
		    "kubernetes", "status", "phase", "Active");
		ks_store_put(&r, o, true);
	}
}

void
ks_store_dispose(void)
{
	size_t i;

	for (i = 0; i < ks.ring_len; i++) {
		struct ks_event *e =
		    &ks.ring[(ks.ring_head + i) % ks.conf.history];

		free(e->coll);
		free(e->ns);
		json_decref(e->obj);
		json_decref(e->prev);
	}
	free(ks.ring);
	for (i = 0; i < store_nidx; i++) {
		free(store_idx[i].coll);
		free(store_idx[i].keys);
	}
	free(store_idx);
	store_idx = NULL;
	store_nidx = 0;
	json_decref(ks.colls);
	json_decref(ks.pending);
	ks.ring = NULL;
	ks.colls = ks.pending = NULL;
	ks.ring_len = ks.ring_head = 0;
}
