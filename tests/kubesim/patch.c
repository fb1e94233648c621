/* SPDX-License-Identifier: ISC */
/*
 * The three non-apply PATCH types: JSON patch (RFC 6902), JSON merge
 * patch (RFC 7386), and strategic merge patch, which kubectl's
 * client-side apply sends. Also the table of list merge keys of the
 * built-in kinds, which server-side apply shares (apply.c).
 *
 * The hard part is the strategic merge: a list of objects merges item by
 * item on its merge key (containers and env by name, container ports by
 * containerPort, Service ports by port ...) while other lists replace,
 * and the patch carries directives ($patch: replace|delete,
 * $retainKeys, $deleteFromPrimitiveList/<f>, $setElementOrder/<f>) that
 * must be obeyed and never stored.
 */
#include <stdlib.h>
#include <string.h>

#include "kubesim.h"

const char *
ks_patch_merge_key(const char *field, const json_t *items)
{
	static const struct {
		const char *field;
		const char *key;
	} keys[] = {
		{ "containers", "name" },
		{ "initContainers", "name" },
		{ "ephemeralContainers", "name" },
		{ "env", "name" },
		{ "volumes", "name" },
		{ "imagePullSecrets", "name" },
		{ "volumeMounts", "mountPath" },
		{ "volumeDevices", "devicePath" },
		{ "hostAliases", "ip" },
		{ "topologySpreadConstraints", "topologyKey" },
		{ "conditions", "type" },
		{ "ownerReferences", "uid" },
		{ "readinessGates", "conditionType" },
	};
	const json_t *it;
	size_t i;

	if (strcmp(field, "ports") == 0) {
		/* Container ports key on containerPort, Service on port. */
		json_array_foreach((json_t *)items, i, it)
			if (json_object_get(it, "containerPort") != NULL)
				return "containerPort";
		return "port";
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].field, field) == 0)
			return keys[i].key;
	return NULL;
}

/* --- merge patch ------------------------------------------------------- */

void
ks_patch_merge(json_t **doc, const json_t *patch)
{
	const char *k;
	json_t *v, *cur;

	if (!json_is_object(patch)) {
		json_decref(*doc);
		*doc = json_deep_copy(patch);
		return;
	}
	if (!json_is_object(*doc)) {
		json_decref(*doc);
		*doc = json_object();
	}
	json_object_foreach((json_t *)patch, k, v) {
		if (json_is_null(v)) {
			json_object_del(*doc, k);
			continue;
		}
		cur = json_incref(json_object_get(*doc, k));
		ks_patch_merge(&cur, v);
		json_object_set_new(*doc, k, cur);
	}
}

/* --- JSON patch ---------------------------------------------------------- */

/* Decodes one reference token (~1 is /, ~0 is ~) into out. */
static void
patch_token(char *out, size_t len, const char *s, size_t n)
{
	size_t o = 0, i;

	for (i = 0; i < n && o + 1 < len; i++) {
		if (s[i] == '~' && i + 1 < n &&
		    (s[i + 1] == '0' || s[i + 1] == '1')) {
			out[o++] = s[i + 1] == '0' ? '~' : '/';
			i++;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
}

/*
 * Resolves pointer to its parent container and last token. *parent is
 * borrowed. GD_EINVAL when a step does not exist.
 */
static int
patch_parent(json_t **parent, char last[256], json_t *doc, const char *ptr,
    struct gd_err *err)
{
	const char *p = ptr, *e;
	char tok[256];
	json_t *cur = doc;
	char *end;
	long idx;

	if (*p != '/')
		return gd_err_set(
		    err, GD_EINVAL, "bad JSON pointer \"%s\"", ptr);
	for (;;) {
		p++;
		e = strchr(p, '/');
		if (e == NULL) {
			patch_token(last, 256, p, strlen(p));
			*parent = cur;
			return 0;
		}
		patch_token(tok, sizeof(tok), p, (size_t)(e - p));
		if (json_is_object(cur))
			cur = json_object_get(cur, tok);
		else if (json_is_array(cur)) {
			idx = strtol(tok, &end, 10);
			cur = *end == '\0' && idx >= 0 ?
			    json_array_get(cur, (size_t)idx) :
			    NULL;
		} else
			cur = NULL;
		if (cur == NULL)
			return gd_err_set(
			    err, GD_EINVAL, "path \"%s\" does not exist", ptr);
		p = e;
	}
}

static json_t *
patch_get(json_t *parent, const char *tok)
{
	char *end;
	long idx;

	if (json_is_object(parent))
		return json_object_get(parent, tok);
	idx = strtol(tok, &end, 10);
	if (!json_is_array(parent) || *end != '\0' || idx < 0)
		return NULL;
	return json_array_get(parent, (size_t)idx);
}

static int
patch_remove(
    json_t *doc, const char *path, json_t **removed, struct gd_err *err)
{
	json_t *parent;
	char last[256];
	char *end;
	long idx;
	int rc;

	if ((rc = patch_parent(&parent, last, doc, path, err)) < 0)
		return rc;
	if (patch_get(parent, last) == NULL)
		return gd_err_set(err, GD_EINVAL,
		    "unable to remove nonexistent key: %s", path);
	if (removed != NULL)
		*removed = json_incref(patch_get(parent, last));
	if (json_is_object(parent))
		json_object_del(parent, last);
	else {
		idx = strtol(last, &end, 10);
		json_array_remove(parent, (size_t)idx);
	}
	return 0;
}

static int
patch_add(json_t **doc, const char *path, json_t *val, bool replace,
    struct gd_err *err)
{
	json_t *parent;
	char last[256];
	char *end;
	long idx;
	int rc;

	if (*path == '\0') {
		json_decref(*doc);
		*doc = json_deep_copy(val);
		return 0;
	}
	if ((rc = patch_parent(&parent, last, *doc, path, err)) < 0)
		return rc;
	if (replace && patch_get(parent, last) == NULL)
		return gd_err_set(err, GD_EINVAL,
		    "replace operation does not apply: doc is missing key: %s",
		    path);
	if (json_is_object(parent)) {
		json_object_set_new(parent, last, json_deep_copy(val));
		return 0;
	}
	if (!json_is_array(parent))
		return gd_err_set(err, GD_EINVAL,
		    "path \"%s\": parent is not a container", path);
	if (strcmp(last, "-") == 0) {
		json_array_append_new(parent, json_deep_copy(val));
		return 0;
	}
	idx = strtol(last, &end, 10);
	if (*end != '\0' || idx < 0 || (size_t)idx > json_array_size(parent) ||
	    (replace && (size_t)idx >= json_array_size(parent)))
		return gd_err_set(
		    err, GD_EINVAL, "path \"%s\": index out of range", path);
	if (replace)
		json_array_set_new(parent, (size_t)idx, json_deep_copy(val));
	else
		json_array_insert_new(parent, (size_t)idx, json_deep_copy(val));
	return 0;
}

int
ks_patch_json(json_t **doc, const json_t *patch, struct gd_err *err)
{
	const char *op, *path, *from;
	json_t *o, *val, *moved = NULL, *parent;
	char last[256];
	size_t i;
	int rc = 0;

	if (!json_is_array(patch))
		return gd_err_set(err, GD_EINVAL,
		    "a JSON patch must be an array of operations");
	json_array_foreach((json_t *)patch, i, o) {
		op = json_string_value(json_object_get(o, "op"));
		path = json_string_value(json_object_get(o, "path"));
		from = json_string_value(json_object_get(o, "from"));
		val = json_object_get(o, "value");
		if (op == NULL || path == NULL)
			return gd_err_set(err, GD_EINVAL,
			    "JSON patch operation %zu: op and path required",
			    i);
		if ((strcmp(op, "add") == 0 || strcmp(op, "replace") == 0 ||
			strcmp(op, "test") == 0) &&
		    val == NULL)
			return gd_err_set(err, GD_EINVAL,
			    "JSON patch operation %zu (%s): value required", i,
			    op);
		if (strcmp(op, "add") == 0)
			rc = patch_add(doc, path, val, false, err);
		else if (strcmp(op, "replace") == 0)
			rc = patch_add(doc, path, val, true, err);
		else if (strcmp(op, "remove") == 0)
			rc = patch_remove(*doc, path, NULL, err);
		else if ((strcmp(op, "move") == 0 || strcmp(op, "copy") == 0) &&
		    from != NULL) {
			if (strcmp(op, "move") == 0)
				rc = patch_remove(*doc, from, &moved, err);
			else if ((rc = patch_parent(
				      &parent, last, *doc, from, err)) == 0) {
				moved = json_incref(patch_get(parent, last));
				if (moved == NULL)
					rc = gd_err_set(err, GD_EINVAL,
					    "copy from missing path %s", from);
			}
			if (rc == 0)
				rc = patch_add(doc, path, moved, false, err);
			json_decref(moved);
			moved = NULL;
		} else if (strcmp(op, "test") == 0) {
			if (*path == '\0')
				parent = NULL;
			else if ((rc = patch_parent(
				      &parent, last, *doc, path, err)) < 0)
				return rc;
			if (!json_equal(
				*path == '\0' ? *doc : patch_get(parent, last),
				val))
				return gd_err_set(err, GD_EINVAL,
				    "testing value %s failed", path);
		} else
			return gd_err_set(err, GD_EINVAL,
			    "JSON patch operation %zu: unknown op \"%s\"", i,
			    op);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* --- strategic merge patch ------------------------------------------------ */

static int smp_map(json_t *dst, const json_t *patch, struct gd_err *);

/* A copy of a patch value with every directive removed. */
static json_t *
smp_clean(const json_t *v)
{
	json_t *out, *x;
	const char *k;
	size_t i;

	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach((json_t *)v, k, x) {
			if (*k == '$')
				continue;
			json_object_set_new(out, k, smp_clean(x));
		}
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach((json_t *)v, i, x) {
			if (json_is_object(x) &&
			    json_object_get(x, "$patch") != NULL)
				continue;
			json_array_append_new(out, smp_clean(x));
		}
		return out;
	}
	return json_deep_copy(v);
}

static int
smp_list(
    json_t *dst, const char *field, const json_t *patch, struct gd_err *err)
{
	const char *key = ks_patch_merge_key(field, patch);
	const char *dir;
	json_t *p, *d, *kv;
	size_t i, j;
	int rc;

	json_array_foreach((json_t *)patch, i, p) {
		dir = json_string_value(json_object_get(p, "$patch"));
		if (dir != NULL && strcmp(dir, "replace") == 0) {
			json_array_clear(dst);
			json_array_foreach((json_t *)patch, j, d) {
				if (json_object_get(d, "$patch") == NULL)
					json_array_append_new(
					    dst, smp_clean(d));
			}
			return 0;
		}
	}
	if (key == NULL) {
		if (strcmp(field, "finalizers") == 0) {
			json_array_foreach((json_t *)patch, i, p) {
				json_array_foreach(dst, j, d)
					if (json_equal(d, p))
						break;
				if (j == json_array_size(dst))
					json_array_append(dst, p);
			}
			return 0;
		}
		json_array_clear(dst);
		d = smp_clean(patch);
		json_array_extend(dst, d);
		json_decref(d);
		return 0;
	}
	json_array_foreach((json_t *)patch, i, p) {
		if (!json_is_object(p) ||
		    (kv = json_object_get(p, key)) == NULL)
			return gd_err_set(err, GD_EINVAL,
			    "%s[%zu]: missing merge key \"%s\"", field, i, key);
		json_array_foreach(dst, j, d)
			if (json_equal(json_object_get(d, key), kv))
				break;
		dir = json_string_value(json_object_get(p, "$patch"));
		if (dir != NULL && strcmp(dir, "delete") == 0) {
			if (j < json_array_size(dst))
				json_array_remove(dst, j);
			continue;
		}
		if (j < json_array_size(dst)) {
			if ((rc = smp_map(json_array_get(dst, j), p, err)) < 0)
				return rc;
		} else
			json_array_append_new(dst, smp_clean(p));
	}
	return 0;
}

static int
smp_map(json_t *dst, const json_t *patch, struct gd_err *err)
{
	const char *k, *dir;
	json_t *v, *cur, *retain, *x;
	size_t i;
	int rc;

	dir = json_string_value(json_object_get(patch, "$patch"));
	if (dir != NULL && strcmp(dir, "replace") == 0) {
		json_object_clear(dst);
		json_object_update(dst, x = smp_clean(patch));
		json_decref(x);
		return 0;
	}
	json_object_foreach((json_t *)patch, k, v) {
		if (strncmp(k, "$deleteFromPrimitiveList/", 25) == 0) {
			cur = json_object_get(dst, k + 25);
			json_array_foreach(v, i, x) {
				size_t j;
				json_t *d;

				json_array_foreach(cur, j, d)
					if (json_equal(d, x))
						break;
				if (j < json_array_size(cur))
					json_array_remove(cur, j);
			}
			continue;
		}
		if (*k == '$')
			continue;
		if (json_is_null(v)) {
			json_object_del(dst, k);
			continue;
		}
		cur = json_object_get(dst, k);
		if (json_is_object(v) && json_is_object(cur)) {
			dir = json_string_value(json_object_get(v, "$patch"));
			if (dir != NULL && strcmp(dir, "delete") == 0) {
				json_object_del(dst, k);
				continue;
			}
			if ((rc = smp_map(cur, v, err)) < 0)
				return rc;
		} else if (json_is_array(v) && json_is_array(cur)) {
			if ((rc = smp_list(cur, k, v, err)) < 0)
				return rc;
		} else
			json_object_set_new(dst, k, smp_clean(v));
	}
	retain = json_object_get(patch, "$retainKeys");
	if (json_is_array(retain)) {
		void *tmp;

		json_object_foreach_safe(dst, tmp, k, v) {
			json_array_foreach(retain, i, x)
				if (strcmp(json_string_value(x) ?
					    json_string_value(x) :
					    "",
					k) == 0)
					break;
			if (i == json_array_size(retain))
				json_object_del(dst, k);
		}
	}
	return 0;
}

int
ks_patch_strategic(json_t **doc, const json_t *patch, struct gd_err *err)
{
	if (!json_is_object(*doc)) {
		json_decref(*doc);
		*doc = json_object();
	}
	return smp_map(*doc, patch, err);
}
