/* SPDX-License-Identifier: ISC */
/*
 * Server-side apply and field ownership. Every write records which
 * manager owns which fields in metadata.managedFields (FieldsV1 trees:
 * "f:<field>", "k:{<merge key>}" for an item of a keyed list, "." for
 * the item itself). An Apply checks the fields it sets against the other
 * managers' (409 with FieldManagerConflict causes unless forced, where it
 * takes them over), removes the fields its manager applied last time and
 * no longer does (unless someone else owns them), and merges the rest.
 * An Update (POST, PUT, the other patches) takes over the fields it
 * changed.
 *
 * The hard part is walking three trees in step: the object, its fields
 * set, and another manager's set. Paths are JSON arrays of FieldsV1
 * elements, so the same path addresses a field in a set and a value in
 * an object (a "k:" element is matched against list items by key).
 * Schemas are not known, so lists with a known merge key are keyed and
 * every other list is atomic, and maps never carry "." of their own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim.h"

/* --- building field sets ---------------------------------------------- */

static bool
apply_skip_meta(const char *k)
{
	static const char *const skip[] = { "name", "namespace", "uid",
		"resourceVersion", "generation", "creationTimestamp",
		"managedFields", "deletionTimestamp",
		"deletionGracePeriodSeconds", "selfLink" };
	size_t i;

	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (strcmp(skip[i], k) == 0)
			return true;
	return false;
}

/* "k:{...}" for a keyed list item; caller frees. */
static char *
apply_kelem(const char *key, const json_t *item)
{
	json_t *k = json_pack("{s:O}", key, json_object_get(item, key));
	char *s = json_dumps(k, JSON_COMPACT | JSON_SORT_KEYS), *out;

	xasprintf(&out, "k:%s", s);
	free(s);
	json_decref(k);
	return out;
}

static bool
apply_keyed(const char *field, const json_t *arr, const char **keyp)
{
	const char *key = ks_patch_merge_key(field, arr);
	json_t *it;
	size_t i;

	if (key == NULL || json_array_size(arr) == 0)
		return false;
	json_array_foreach((json_t *)arr, i, it)
		if (!json_is_object(it) || json_object_get(it, key) == NULL)
			return false;
	*keyp = key;
	return true;
}

static json_t *apply_fs_map(const json_t *obj, int depth);

static json_t *
apply_fs_value(const char *field, const json_t *v, int depth)
{
	const char *key;
	json_t *fs, *it, *sub;
	char *ke;
	size_t i;

	if (json_is_object(v) && json_object_size(v) > 0)
		return apply_fs_map(v, depth + 1);
	if (json_is_array(v) && apply_keyed(field, v, &key)) {
		fs = json_object();
		json_array_foreach((json_t *)v, i, it) {
			sub = apply_fs_map(it, depth + 1);
			json_object_set_new(sub, ".", json_object());
			ke = apply_kelem(key, it);
			json_object_set_new(fs, ke, sub);
			free(ke);
		}
		return fs;
	}
	return json_object();
}

static json_t *
apply_fs_map(const json_t *obj, int depth)
{
	json_t *fs = json_object(), *v, *meta;
	const char *k;
	char *fk;

	json_object_foreach((json_t *)obj, k, v) {
		if (depth == 0 &&
		    (strcmp(k, "apiVersion") == 0 || strcmp(k, "kind") == 0 ||
			strcmp(k, "status") == 0))
			continue;
		if (depth == 0 && strcmp(k, "metadata") == 0) {
			const char *mk;
			json_t *mv;

			meta = json_object();
			json_object_foreach(v, mk, mv) {
				if (apply_skip_meta(mk))
					continue;
				xasprintf(&fk, "f:%s", mk);
				json_object_set_new(
				    meta, fk, apply_fs_value(mk, mv, 1));
				free(fk);
			}
			if (json_object_size(meta) > 0)
				json_object_set_new(fs, "f:metadata", meta);
			else
				json_decref(meta);
			continue;
		}
		xasprintf(&fk, "f:%s", k);
		json_object_set_new(fs, fk, apply_fs_value(k, v, depth));
		free(fk);
	}
	return fs;
}

/* The field set of a whole object (status only when sub is "status"). */
static json_t *
apply_fs(const json_t *obj, const char *sub)
{
	json_t *fs, *st;

	if (sub != NULL && strcmp(sub, "status") == 0) {
		fs = json_object();
		st = json_object_get(obj, "status");
		if (st != NULL)
			json_object_set_new(
			    fs, "f:status", apply_fs_value("status", st, 1));
		return fs;
	}
	return apply_fs_map(obj, 0);
}

/* --- paths ---------------------------------------------------------------- */

/* Appends the path of every leaf of fs to out (JSON array of arrays). */
static void
apply_leaves_at(json_t *out, const json_t *fs, json_t *prefix)
{
	const char *k;
	json_t *v, *p;

	if (json_object_size(fs) == 0) {
		if (json_array_size(prefix) > 0)
			json_array_append_new(out, json_deep_copy(prefix));
		return;
	}
	json_object_foreach((json_t *)fs, k, v) {
		if (strcmp(k, ".") == 0) {
			json_array_append_new(out, json_deep_copy(prefix));
			continue;
		}
		p = json_deep_copy(prefix);
		json_array_append_new(p, json_string(k));
		apply_leaves_at(out, v, p);
		json_decref(p);
	}
}

static void
apply_leaves(json_t *out, const json_t *fs)
{
	json_t *prefix = json_array();

	apply_leaves_at(out, fs, prefix);
	json_decref(prefix);
}

/* The node of fs at path; NULL when fs has nothing there. */
static json_t *
apply_fs_node(const json_t *fs, const json_t *path)
{
	json_t *e;
	size_t i;

	json_array_foreach((json_t *)path, i, e) {
		fs = json_object_get(fs, json_string_value(e));
		if (fs == NULL)
			return NULL;
	}
	return (json_t *)fs;
}

/* Removes path from fs, and parents left empty. */
static void
apply_fs_remove(json_t *fs, const json_t *path, size_t depth)
{
	const char *k;
	json_t *child;

	if (depth >= json_array_size(path))
		return;
	k = json_string_value(json_array_get(path, depth));
	child = json_object_get(fs, k);
	if (child == NULL)
		return;
	if (depth + 1 == json_array_size(path)) {
		/* An item keeps its fields' nodes only with its "." gone. */
		if (json_object_get(child, ".") != NULL &&
		    json_object_size(child) > 1)
			json_object_del(child, ".");
		else
			json_object_del(fs, k);
		return;
	}
	apply_fs_remove(child, path, depth + 1);
	if (json_object_size(child) == 0)
		json_object_del(fs, k);
}

/* Adds path to fs as a leaf (or "." for a list item). */
static void
apply_fs_add(json_t *fs, const json_t *path)
{
	json_t *e, *n = fs, *c;
	size_t i;

	json_array_foreach((json_t *)path, i, e) {
		c = json_object_get(n, json_string_value(e));
		if (c == NULL) {
			c = json_object();
			json_object_set_new(n, json_string_value(e), c);
		}
		n = c;
	}
	if (json_array_size(path) > 0 &&
	    strncmp(json_string_value(
			json_array_get(path, json_array_size(path) - 1)),
		"k:", 2) == 0)
		json_object_set_new(n, ".", json_object());
}

/* The item of list arr matching "k:{...}"; sets *idx. */
static json_t *
apply_find_item(const json_t *arr, const char *kelem, size_t *idx)
{
	json_t *key = json_loads(kelem + 2, 0, NULL), *it, *kv;
	const char *k;
	size_t i;
	bool ok;

	if (!json_is_object(key)) {
		json_decref(key);
		return NULL;
	}
	json_array_foreach((json_t *)arr, i, it) {
		ok = true;
		json_object_foreach(key, k, kv)
			if (!json_equal(json_object_get(it, k), kv))
				ok = false;
		if (ok) {
			json_decref(key);
			if (idx != NULL)
				*idx = i;
			return it;
		}
	}
	json_decref(key);
	return NULL;
}

/* The value of obj at path; NULL when absent. Borrowed. */
static json_t *
apply_value(const json_t *obj, const json_t *path)
{
	const char *s;
	json_t *e;
	size_t i;

	json_array_foreach((json_t *)path, i, e) {
		s = json_string_value(e);
		if (strncmp(s, "f:", 2) == 0)
			obj = json_object_get(obj, s + 2);
		else if (strncmp(s, "k:", 2) == 0)
			obj = apply_find_item(obj, s, NULL);
		else
			return NULL;
		if (obj == NULL)
			return NULL;
	}
	return (json_t *)obj;
}

/* Deletes the value at path from obj. */
static void
apply_delete(json_t *obj, const json_t *path)
{
	json_t *parent, *head;
	const char *last;
	size_t n = json_array_size(path), idx;

	if (n == 0)
		return;
	head = json_array();
	json_array_extend(head, (json_t *)path);
	json_array_remove(head, n - 1);
	parent = apply_value(obj, head);
	json_decref(head);
	last = json_string_value(json_array_get(path, n - 1));
	if (strncmp(last, "f:", 2) == 0)
		json_object_del(parent, last + 2);
	else if (json_is_array(parent) &&
	    apply_find_item(parent, last, &idx) != NULL)
		json_array_remove(parent, idx);
}

/* ".spec.containers[name=\"web\"].image", as conflict messages say. */
static void
apply_path_text(struct gd_buf *b, const json_t *path)
{
	json_t *e, *key, *kv;
	const char *s, *k;
	char *v;
	size_t i;

	json_array_foreach((json_t *)path, i, e) {
		s = json_string_value(e);
		if (strncmp(s, "f:", 2) == 0) {
			gd_buf_printf(b, ".%s", s + 2);
			continue;
		}
		key = json_loads(s + 2, 0, NULL);
		gd_buf_addc(b, '[');
		json_object_foreach(key, k, kv) {
			v = json_dumps(kv, JSON_ENCODE_ANY | JSON_COMPACT);
			gd_buf_printf(b, "%s=%s", k, v);
			free(v);
		}
		gd_buf_addc(b, ']');
		json_decref(key);
	}
}

/* --- merging ------------------------------------------------------------ */

static void
apply_merge(json_t *dst, const json_t *src)
{
	const char *k, *key;
	json_t *v, *cur, *it, *d;
	size_t i, idx;
	char *ke;

	json_object_foreach((json_t *)src, k, v) {
		cur = json_object_get(dst, k);
		if (json_is_object(v) && json_is_object(cur))
			apply_merge(cur, v);
		else if (json_is_array(v) && json_is_array(cur) &&
		    apply_keyed(k, v, &key)) {
			json_array_foreach((json_t *)v, i, it) {
				ke = apply_kelem(key, it);
				d = apply_find_item(cur, ke, &idx);
				free(ke);
				if (json_is_object(d))
					apply_merge(d, it);
				else
					json_array_append_new(
					    cur, json_deep_copy(it));
			}
		} else
			json_object_set_new(dst, k, json_deep_copy(v));
	}
}

/* --- managedFields entries ------------------------------------------------ */

static json_t *
apply_entries(json_t *obj)
{
	json_t *meta = ks_obj(obj, "metadata");
	json_t *mf = json_object_get(meta, "managedFields");

	if (!json_is_array(mf)) {
		mf = json_array();
		json_object_set_new(meta, "managedFields", mf);
	}
	return mf;
}

static json_t *
apply_entry(json_t *mf, const char *manager, const char *op, const char *sub,
    const char *apiversion)
{
	json_t *e;
	const char *esub;
	char ts[GD_TIME_LEN];
	size_t i;

	gd_time_format(ts, time(NULL));
	json_array_foreach(mf, i, e) {
		esub = json_string_value(json_object_get(e, "subresource"));
		if (strcmp(json_string_value(json_object_get(e, "manager")) ?
			    json_string_value(json_object_get(e, "manager")) :
			    "",
			manager) == 0 &&
		    json_string_value(json_object_get(e, "operation")) !=
			NULL &&
		    strcmp(json_string_value(json_object_get(e, "operation")),
			op) == 0 &&
		    ((esub == NULL && sub == NULL) ||
			(esub != NULL && sub != NULL &&
			    strcmp(esub, sub) == 0))) {
			json_object_set_new(e, "time", json_string(ts));
			return e;
		}
	}
	e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{}}", "manager", manager,
	    "operation", op, "apiVersion", apiversion, "time", ts, "fieldsType",
	    "FieldsV1", "fieldsV1");
	if (sub != NULL)
		json_object_set_new(e, "subresource", json_string(sub));
	json_array_append_new(mf, e);
	return e;
}

/* Drops entries that own nothing, and the array when empty. */
static void
apply_prune(json_t *obj)
{
	json_t *meta = ks_obj(obj, "metadata");
	json_t *mf = json_object_get(meta, "managedFields"), *e;
	size_t i = 0;

	while (i < json_array_size(mf)) {
		e = json_array_get(mf, i);
		if (json_object_size(json_object_get(e, "fieldsV1")) == 0)
			json_array_remove(mf, i);
		else
			i++;
	}
	if (json_array_size(mf) == 0)
		json_object_del(meta, "managedFields");
}

void
ks_apply_update(
    json_t *obj, const json_t *old, const char *manager, const char *sub)
{
	json_t *fs = apply_fs(obj, sub), *leaves = json_array(), *mf, *e, *mine,
	       *p, *oldleaves, *ofs;
	const char *av = json_string_value(json_object_get(obj, "apiVersion"));
	size_t i, j;

	apply_leaves(leaves, fs);
	mf = apply_entries(obj);
	mine = apply_entry(mf, manager, "Update", sub, av ? av : "v1");
	json_array_foreach(leaves, i, p) {
		if (old != NULL &&
		    json_equal(apply_value(obj, p), apply_value(old, p)))
			continue;
		/* Changed by this update: it is the owner now, alone. */
		json_array_foreach(mf, j, e)
			if (e != mine)
				apply_fs_remove(
				    json_object_get(e, "fieldsV1"), p, 0);
		apply_fs_add(json_object_get(mine, "fieldsV1"), p);
	}
	/* Fields the update removed are nobody's any more. */
	if (old != NULL) {
		ofs = apply_fs(old, sub);
		oldleaves = json_array();
		apply_leaves(oldleaves, ofs);
		json_array_foreach(oldleaves, i, p) {
			if (apply_value(obj, p) != NULL)
				continue;
			json_array_foreach(mf, j, e)
				apply_fs_remove(
				    json_object_get(e, "fieldsV1"), p, 0);
		}
		json_decref(oldleaves);
		json_decref(ofs);
	}
	apply_prune(obj);
	json_decref(leaves);
	json_decref(fs);
}

static bool
apply_other_owns(const json_t *mf, const json_t *mine, const json_t *path)
{
	json_t *e;
	size_t i;

	json_array_foreach((json_t *)mf, i, e) {
		if (e == mine)
			continue;
		if (apply_fs_node(json_object_get(e, "fieldsV1"), path) != NULL)
			return true;
	}
	return false;
}

int
ks_apply(json_t **live, const json_t *cfg, const char *manager, bool force,
    json_t **causes, struct gd_err *err)
{
	json_t *fs = apply_fs(cfg, NULL), *leaves = json_array(), *mf,
	       *mine = NULL, *e, *p, *conf = json_array(), *c, *oldfs = NULL,
	       *oldleaves = NULL, *meta;
	const char *av = json_string_value(json_object_get(cfg, "apiVersion"));
	const char *who = NULL;
	struct gd_buf msg, ptext;
	const char *last;
	char *cm;
	int pass;
	size_t i, j;
	int rc = 0;

	*causes = NULL;
	gd_buf_init(&msg);
	gd_buf_init(&ptext);
	apply_leaves(leaves, fs);
	if (*live == NULL) {
		*live = json_deep_copy(cfg);
		meta = ks_obj(*live, "metadata");
		json_object_set_new(meta, "managedFields", json_array());
		mine = apply_entry(apply_entries(*live), manager, "Apply", NULL,
		    av != NULL ? av : "v1");
		json_object_set(mine, "fieldsV1", fs);
		goto out;
	}
	mf = apply_entries(*live);
	/* Conflicts: a field another manager owns, set to another value. */
	json_array_foreach(mf, j, e) {
		const char *m =
		    json_string_value(json_object_get(e, "manager"));

		if (m == NULL ||
		    (strcmp(m, manager) == 0 &&
			json_object_get(e, "subresource") == NULL))
			continue;
		json_array_foreach(leaves, i, p) {
			/* An item's "." is identity, not a value to compare. */
			if (strncmp(json_string_value(json_array_get(
					p, json_array_size(p) - 1)),
				"k:", 2) == 0)
				continue;
			if (apply_fs_node(json_object_get(e, "fieldsV1"), p) ==
			    NULL)
				continue;
			if (json_equal(
				apply_value(*live, p), apply_value(cfg, p)))
				continue;
			json_array_append_new(conf,
			    json_pack("{s:O, s:s}", "path", p, "manager", m));
		}
	}
	if (json_array_size(conf) > 0 && !force) {
		*causes = json_array();
		json_array_foreach(conf, i, c) {
			gd_buf_reset(&ptext);
			apply_path_text(&ptext, json_object_get(c, "path"));
			who = json_string_value(json_object_get(c, "manager"));
			xasprintf(&cm, "conflict with \"%s\" using %s", who,
			    av != NULL ? av : "");
			json_array_append_new(*causes,
			    json_pack("{s:s, s:s, s:s}", "reason",
				"FieldManagerConflict", "message", cm, "field",
				ptext.data));
			free(cm);
		}
		gd_buf_reset(&ptext);
		apply_path_text(
		    &ptext, json_object_get(json_array_get(conf, 0), "path"));
		if (json_array_size(conf) == 1)
			gd_buf_printf(&msg,
			    "Apply failed with 1 conflict: conflict with "
			    "\"%s\" using %s: %s",
			    who, av, ptext.data);
		else {
			gd_buf_printf(&msg,
			    "Apply failed with %zu conflicts: conflicts with "
			    "\"%s\" using %s:",
			    json_array_size(conf),
			    json_string_value(json_object_get(
				json_array_get(conf, 0), "manager")),
			    av);
			json_array_foreach(conf, i, c) {
				gd_buf_reset(&ptext);
				apply_path_text(
				    &ptext, json_object_get(c, "path"));
				gd_buf_printf(&msg, "\n- %s", ptext.data);
			}
		}
		rc = gd_err_set(err, GD_ECONFLICT, "%s", msg.data);
		goto out;
	}
	/* Forced: the conflicting fields change hands. */
	json_array_foreach(conf, i, c) {
		json_array_foreach(mf, j, e)
			apply_fs_remove(json_object_get(e, "fieldsV1"),
			    json_object_get(c, "path"), 0);
	}
	mine = apply_entry(mf, manager, "Apply", NULL, av != NULL ? av : "v1");
	/* Fields this manager applied before and dropped now go away. */
	oldfs = json_incref(json_object_get(mine, "fieldsV1"));
	oldleaves = json_array();
	apply_leaves(oldleaves, oldfs);
	json_object_set(mine, "fieldsV1", fs);
	/*
	 * Whole list items first: deleting an item's key field first would
	 * leave the item unfindable by its key.
	 */
	for (pass = 0; pass < 2; pass++) {
		json_array_foreach(oldleaves, i, p) {
			last = json_string_value(
			    json_array_get(p, json_array_size(p) - 1));
			if ((strncmp(last, "k:", 2) == 0) != (pass == 0))
				continue;
			if (apply_fs_node(fs, p) != NULL ||
			    apply_other_owns(mf, mine, p))
				continue;
			apply_delete(*live, p);
		}
	}
	apply_merge(*live, cfg);
	/* Applied fields with equal values are shared, not taken. */
	apply_prune(*live);
out:
	json_decref(oldfs);
	json_decref(oldleaves);
	json_decref(conf);
	json_decref(leaves);
	json_decref(fs);
	gd_buf_dispose(&msg);
	gd_buf_dispose(&ptext);
	return rc;
}
