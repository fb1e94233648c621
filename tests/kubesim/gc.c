/* SPDX-License-Identifier: ISC */
/*
 * What a DELETE sets off, as the garbage collector and the namespace
 * controller do it: the propagation policies (Background removes the
 * owner now and its dependents after; Foreground holds the owner with the
 * foregroundDeletion finalizer until its dependents are gone; Orphan
 * strips the dependents' owner references), user finalizers holding an
 * object with a deletionTimestamp, a namespace emptied before it goes, and
 * a CRD taking its objects and its kinds with it.
 *
 * The hard part is doing it without scanning 100,000 objects per delete.
 * Every put records, for each owner uid in its ownerReferences, where the
 * dependent lives (gc_deps); every object's uid maps to where it lives
 * (gc_where), so "is this owner still there" is one lookup. A removal
 * queues the uid; ks_gc_run drains the queue, re-checks the owners that
 * wait on dependents, and ends when a round changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim.h"

static json_t *gc_deps; /* owner uid -> { "coll\nkey": true } */
static json_t *gc_where; /* uid -> "coll\nkey" */
static json_t *gc_queue; /* [uid] of removed owners */
static json_t *gc_waiting; /* uid -> true: Foreground/Orphan owners */
static json_t *gc_nsdel; /* namespace name -> true: being emptied */

static void
gc_init(void)
{
	if (gc_deps != NULL)
		return;
	gc_deps = json_object();
	gc_where = json_object();
	gc_queue = json_array();
	gc_waiting = json_object();
	gc_nsdel = json_object();
}

void
ks_gc_note_put(const char *coll, const char *key, const json_t *obj)
{
	json_t *refs = json_object_get(
		   json_object_get(obj, "metadata"), "ownerReferences"),
	       *ref, *set;
	const char *uid = ks_str(obj, "metadata.uid"), *ou;
	char *where;
	size_t i;

	gc_init();
	if (uid == NULL)
		return;
	xasprintf(&where, "%s\n%s", coll, key);
	json_object_set_new(gc_where, uid, json_string(where));
	json_array_foreach(refs, i, ref) {
		ou = json_string_value(json_object_get(ref, "uid"));
		if (ou == NULL)
			continue;
		set = ks_obj(gc_deps, ou);
		json_object_set_new(set, where, json_true());
	}
	free(where);
}

void
ks_gc_note_remove(const json_t *obj)
{
	const char *uid = ks_str(obj, "metadata.uid");

	gc_init();
	if (uid == NULL)
		return;
	json_object_del(gc_where, uid);
	json_array_append_new(gc_queue, json_string(uid));
}

static bool
gc_has_finalizer(const json_t *obj, const char *f)
{
	json_t *fin = json_object_get(
		   json_object_get(obj, "metadata"), "finalizers"),
	       *v;
	size_t i;

	json_array_foreach(fin, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), f) == 0)
			return true;
	}
	return false;
}

static struct ks_resource *
gc_res_of(const json_t *obj)
{
	const char *av = ks_str(obj, "apiVersion"), *kind = ks_str(obj, "kind");

	if (av == NULL || kind == NULL)
		return NULL;
	return ks_discovery_find_kind(av, kind);
}

/* The object stored at "coll\nkey"; NULL when gone. Borrowed. */
static json_t *
gc_at(const char *where)
{
	const char *nl = where != NULL ? strchr(where, '\n') : NULL;
	char coll[256];

	if (nl == NULL || (size_t)(nl - where) >= sizeof(coll))
		return NULL;
	memcpy(coll, where, (size_t)(nl - where));
	coll[nl - where] = '\0';
	return json_object_get(json_object_get(ks.colls, coll), nl + 1);
}

/* Marks obj deleted, with finalizer f added (may be NULL). */
static json_t *
gc_mark(struct ks_resource *r, const json_t *obj, const char *f)
{
	json_t *o = json_deep_copy(obj), *meta = ks_obj(o, "metadata"), *fin;
	char ts[GD_TIME_LEN];

	gd_time_format(ts, time(NULL));
	if (json_object_get(meta, "deletionTimestamp") == NULL) {
		json_object_set_new(meta, "deletionTimestamp", json_string(ts));
		json_object_set_new(
		    meta, "deletionGracePeriodSeconds", json_integer(0));
	}
	if (f != NULL && !gc_has_finalizer(o, f)) {
		fin = json_object_get(meta, "finalizers");
		if (!json_is_array(fin)) {
			fin = json_array();
			json_object_set_new(meta, "finalizers", fin);
		}
		json_array_append_new(fin, json_string(f));
	}
	ks_store_put(r, json_incref(o), false);
	return o;
}

json_t *
ks_gc_delete(struct ks_resource *r, const json_t *obj, const char *policy)
{
	json_t *fin = json_object_get(
		   json_object_get(obj, "metadata"), "finalizers"),
	       *o;
	const char *uid = ks_str(obj, "metadata.uid");

	gc_init();
	if (strcmp(r->kind, "Namespace") == 0) {
		/* The namespace controller empties it first. */
		json_object_set_new(
		    gc_nsdel, ks_str(obj, "metadata.name"), json_true());
		o = json_deep_copy(obj);
		json_object_set_new(
		    ks_obj(o, "status"), "phase", json_string("Terminating"));
		json_decref(gc_mark(r, o, NULL));
		json_decref(o);
		return json_incref(
		    ks_store_get(r, NULL, ks_str(obj, "metadata.name")));
	}
	if (strcmp(r->kind, "CustomResourceDefinition") == 0) {
		struct ks_resource *cr;
		json_t *objs, *v, *work;
		const char *k;
		char *coll;
		size_t i;

		xasprintf(&coll, "%s.%s", ks_str(obj, "spec.names.plural"),
		    ks_str(obj, "spec.group"));
		objs = json_object_get(ks.colls, coll);
		work = json_array();
		json_object_foreach(objs, k, v)
			json_array_append(work, v);
		json_array_foreach(work, i, v) {
			if ((cr = gc_res_of(v)) != NULL)
				ks_store_remove(cr,
				    ks_str(v, "metadata.namespace"),
				    ks_str(v, "metadata.name"));
		}
		json_decref(work);
		free(coll);
		ks_discovery_crd_remove(obj);
	}
	if (policy != NULL && strcmp(policy, "Foreground") == 0) {
		json_object_set_new(gc_waiting, uid, json_true());
		return gc_mark(r, obj, "foregroundDeletion");
	}
	if (policy != NULL && strcmp(policy, "Orphan") == 0) {
		json_object_set_new(gc_waiting, uid, json_true());
		return gc_mark(r, obj, "orphan");
	}
	if (json_array_size(fin) > 0)
		return gc_mark(r, obj, NULL);
	o = json_incref((json_t *)obj);
	ks_store_remove(
	    r, ks_str(obj, "metadata.namespace"), ks_str(obj, "metadata.name"));
	return o;
}

/* true when dep names uid among its owners. */
static bool
gc_refers(const json_t *dep, const char *uid)
{
	json_t *refs = json_object_get(
		   json_object_get(dep, "metadata"), "ownerReferences"),
	       *ref;
	size_t i;

	json_array_foreach(refs, i, ref) {
		if (json_string_value(json_object_get(ref, "uid")) != NULL &&
		    strcmp(json_string_value(json_object_get(ref, "uid")),
			uid) == 0)
			return true;
	}
	return false;
}

/* true when some owner of dep other than uid is still there. */
static bool
gc_other_owner(const json_t *dep, const char *uid)
{
	json_t *refs = json_object_get(
		   json_object_get(dep, "metadata"), "ownerReferences"),
	       *ref;
	const char *ou;
	size_t i;

	json_array_foreach(refs, i, ref) {
		ou = json_string_value(json_object_get(ref, "uid"));
		if (ou != NULL && strcmp(ou, uid) != 0 &&
		    json_object_get(gc_where, ou) != NULL)
			return true;
	}
	return false;
}

/* An owner is gone: its dependents without other owners go too. */
static bool
gc_gone(const char *uid)
{
	json_t *deps = json_object_get(gc_deps, uid), *dep, *v, *work;
	struct ks_resource *r;
	const char *where;
	bool changed = false;
	size_t i;

	if (deps == NULL)
		return false;
	work = json_array();
	json_object_foreach(deps, where, v) {
		dep = gc_at(where);
		if (dep != NULL && gc_refers(dep, uid) &&
		    !gc_other_owner(dep, uid) &&
		    ks_str(dep, "metadata.deletionTimestamp") == NULL)
			json_array_append(work, dep);
	}
	json_array_foreach(work, i, dep) {
		if ((r = gc_res_of(dep)) != NULL) {
			json_decref(ks_gc_delete(r, dep, "Background"));
			changed = true;
		}
	}
	json_decref(work);
	json_object_del(gc_deps, uid);
	return changed;
}

/* Removes finalizer f from obj; the object goes with its last one. */
static void
gc_unfinalize(struct ks_resource *r, const json_t *obj, const char *f)
{
	json_t *o = json_deep_copy(obj), *meta = ks_obj(o, "metadata");
	json_t *fin = json_object_get(meta, "finalizers"), *v;
	size_t i = 0;

	while (i < json_array_size(fin)) {
		v = json_array_get(fin, i);
		if (json_is_string(v) && strcmp(json_string_value(v), f) == 0)
			json_array_remove(fin, i);
		else
			i++;
	}
	if (json_array_size(fin) == 0) {
		json_decref(o);
		ks_store_remove(r, ks_str(obj, "metadata.namespace"),
		    ks_str(obj, "metadata.name"));
		return;
	}
	ks_store_put(r, o, false);
}

/* A Foreground or Orphan owner: one step; true when it changed. */
static bool
gc_wait_step(const char *uid)
{
	json_t *owner =
	    gc_at(json_string_value(json_object_get(gc_where, uid)));
	json_t *deps = json_object_get(gc_deps, uid), *dep, *v, *work, *c;
	json_t *refs, *ref;
	struct ks_resource *r, *dr;
	const char *where;
	bool orphan, left = false, changed = false;
	size_t i, j;

	if (owner == NULL || (r = gc_res_of(owner)) == NULL) {
		json_object_del(gc_waiting, uid); /* gone: stop waiting */
		return false;
	}
	orphan = gc_has_finalizer(owner, "orphan");
	work = json_array();
	json_object_foreach(deps, where, v) {
		dep = gc_at(where);
		if (dep != NULL && gc_refers(dep, uid))
			json_array_append(work, dep);
	}
	json_array_foreach(work, i, dep) {
		if ((dr = gc_res_of(dep)) == NULL)
			continue;
		if (orphan) {
			c = json_deep_copy(dep);
			refs = json_object_get(
			    json_object_get(c, "metadata"), "ownerReferences");
			json_array_foreach(refs, j, ref) {
				if (strcmp(json_string_value(json_object_get(
					       ref, "uid")) != NULL ?
					    json_string_value(
						json_object_get(ref, "uid")) :
					    "",
					uid) == 0)
					break;
			}
			json_array_remove(refs, j);
			if (json_array_size(refs) == 0)
				json_object_del(
				    ks_obj(c, "metadata"), "ownerReferences");
			ks_store_put(dr, c, false);
			changed = true;
			continue;
		}
		left = true;
		if (ks_str(dep, "metadata.deletionTimestamp") == NULL) {
			json_decref(ks_gc_delete(dr, dep, "Background"));
			changed = true;
		}
	}
	json_decref(work);
	if (left)
		return changed;
	gc_unfinalize(r, owner, orphan ? "orphan" : "foregroundDeletion");
	json_object_del(gc_waiting, uid);
	return true;
}

/* Empties a namespace being deleted, then removes it. */
static bool
gc_namespace(const char *ns)
{
	const char *ck, *k, *nsk;
	json_t *coll, *o, *work = json_array();
	struct ks_resource *r;
	bool changed = false, left = false;
	size_t i, n = strlen(ns);

	json_object_foreach(ks.colls, ck, coll) {
		if (strcmp(ck, "namespaces") == 0)
			continue;
		json_object_foreach(coll, k, o) {
			nsk = ks_str(o, "metadata.namespace");
			if (nsk == NULL || strncmp(k, ns, n) != 0 ||
			    strcmp(nsk, ns) != 0)
				continue;
			left = true;
			if (ks_str(o, "metadata.deletionTimestamp") == NULL)
				json_array_append(work, o);
		}
	}
	json_array_foreach(work, i, o) {
		if ((r = gc_res_of(o)) != NULL) {
			json_decref(ks_gc_delete(r, o, "Background"));
			changed = true;
		}
	}
	json_decref(work);
	if (!left) {
		o = json_object_get(
		    json_object_get(ks.colls, "namespaces"), ns);
		if (o != NULL && (r = gc_res_of(o)) != NULL)
			ks_store_remove(r, NULL, ns);
		json_object_del(gc_nsdel, ns);
		changed = true;
	}
	return changed;
}

void
ks_gc_run(void)
{
	json_t *q, *v, *keys;
	const char *k;
	bool changed;
	size_t i;
	int rounds = 0;

	gc_init();
	do {
		changed = false;
		while (json_array_size(gc_queue) > 0) {
			q = gc_queue;
			gc_queue = json_array();
			json_array_foreach(q, i, v) {
				if (gc_gone(json_string_value(v)))
					changed = true;
			}
			json_decref(q);
		}
		keys = json_array();
		json_object_foreach(gc_waiting, k, v)
			json_array_append_new(keys, json_string(k));
		json_object_foreach(gc_nsdel, k, v)
			json_array_append_new(keys, json_sprintf("ns:%s", k));
		json_array_foreach(keys, i, v) {
			k = json_string_value(v);
			if (strncmp(k, "ns:", 3) == 0 ? gc_namespace(k + 3) :
							gc_wait_step(k))
				changed = true;
		}
		json_decref(keys);
	} while (changed && ++rounds < 64);
}
