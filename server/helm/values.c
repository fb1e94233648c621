/* SPDX-License-Identifier: ISC */
/*
 * Values: what `helm template` builds from value files and --set, how it
 * decides which subcharts are enabled, and how it coalesces the user's
 * values with each chart's values.yaml (pkg/chartutil/coalesce.go).
 *
 * The hard part is coalescing's asymmetries, which charts depend on: the
 * user's values win over a chart's, maps merge and lists replace, a user
 * null deletes the chart's key, a subchart sees its parent's section of
 * the values plus the parent's "global" copied into its own (parent
 * wins), and a chart's own null may or may not delete a subchart
 * default depending on who set it (the issue-9027 case).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gitopsd/ydoc.h"
#include "helm_int.h"

const struct gd_ydoc_limits helm_yaml_limits = { 0, 0, 0, true };

int
helm_values_parse(json_t **out, const char *buf, size_t len, const char *name,
    struct gd_err *err)
{
	json_t *docs = NULL;
	int rc;

	*out = NULL;
	if ((rc = gd_ydoc_load(
		 &docs, NULL, buf, len, name, &helm_yaml_limits, err)) < 0)
		return rc;
	if (json_array_size(docs) > 1)
		rc = gd_err_set(err, GD_EINVAL,
		    "%s: expected one YAML document, found %zu", name,
		    json_array_size(docs));
	else
		*out = json_incref(json_array_size(docs) == 1 ?
			json_array_get(docs, 0) :
			json_null());
	json_decref(docs);
	return rc;
}

void
helm_values_floats(json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, e) {
			if (json_is_integer(e))
				json_object_set_new(v, k,
				    json_real((double)json_integer_value(e)));
			else
				helm_values_floats(e);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (json_is_integer(e))
				json_array_set_new(v, i,
				    json_real((double)json_integer_value(e)));
			else
				helm_values_floats(e);
		}
	}
}

void
helm_values_merge(json_t *dst, const json_t *src)
{
	const char *k;
	json_t *v, *d;

	json_object_foreach((json_t *)src, k, v) {
		d = json_object_get(dst, k);
		if (json_is_object(v) && json_is_object(d))
			helm_values_merge(d, v);
		else
			json_object_set_new(dst, k, json_deep_copy(v));
	}
}

static bool
values_is_dep(const struct gd_helm_chart *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->ndeps; i++)
		if (strcmp(gd_helm_chart_name(c->deps[i]), key) == 0)
			return true;
	return false;
}

/* coalesceTables: dst (authoritative) gets what it lacks from src. */
static void
values_tables(json_t *dst, json_t *src, bool merge)
{
	const char *k;
	json_t *v, *dv;
	void *tmp;

	json_object_foreach_safe(src, tmp, k, v) {
		dv = json_object_get(dst, k);
		if (dv != NULL && !merge && json_is_null(dv) &&
		    !json_is_null(v))
			json_object_del(dst, k);
		else if (dv == NULL)
			json_object_set(dst, k, v);
		else if (json_is_object(v) && json_is_object(dv))
			values_tables(dv, v, merge);
	}
}

void
helm_values_merge_tables(json_t *dst, json_t *src)
{
	values_tables(dst, src, true);
}

json_t *
helm_values_table(const json_t *v, const char *path)
{
	char *p = xstrdup(path), *s = p, *dot;
	const json_t *cur = v;

	for (;;) {
		dot = strchr(s, '.');
		if (dot != NULL)
			*dot = '\0';
		cur = json_object_get(cur, s);
		if (!json_is_object(cur) || dot == NULL)
			break;
		s = dot + 1;
	}
	free(p);
	return json_is_object(cur) ? (json_t *)cur : NULL;
}

static void
values_globals(json_t *dest, const json_t *src)
{
	json_t *dg = json_object_get(dest, "global");
	json_t *sg = json_object_get(src, "global");
	json_t *vv, *dv;
	const char *k;
	json_t *v;

	if (dg == NULL) {
		dg = json_object();
		json_object_set_new(dest, "global", dg);
	} else if (!json_is_object(dg))
		return;
	if (sg == NULL)
		return;
	if (!json_is_object(sg))
		return;
	json_object_foreach(sg, k, v) {
		dv = json_object_get(dg, k);
		if (json_is_object(v)) {
			vv = json_deep_copy(v);
			if (dv == NULL) {
				json_object_set_new(dg, k, vv);
			} else if (json_is_object(dv)) {
				values_tables(vv, dv, true);
				json_object_set_new(dg, k, vv);
			} else
				json_decref(vv);
		} else if (dv != NULL && json_is_object(dv)) {
			continue;
		} else
			json_object_set(dg, k, v);
	}
}

static void
values_chart(const struct gd_helm_chart *c, json_t *v)
{
	json_t *vc = json_deep_copy(c->values), *val, *value;
	const char *k;

	json_object_foreach(vc, k, val) {
		value = json_object_get(v, k);
		if (value == NULL) {
			json_object_set(v, k, val);
		} else if (json_is_null(value)) {
			json_object_del(v, k);
		} else if (json_is_object(value) && json_is_object(val)) {
			values_tables(value, val, values_is_dep(c, k));
		}
	}
	json_decref(vc);
}

static void values_coalesce(const struct gd_helm_chart *, json_t *dest);

static void
values_deps(const struct gd_helm_chart *c, json_t *dest)
{
	json_t *dv;
	size_t i;

	for (i = 0; i < c->ndeps; i++) {
		const char *name = gd_helm_chart_name(c->deps[i]);

		dv = json_object_get(dest, name);
		if (dv == NULL) {
			dv = json_object();
			json_object_set_new(dest, name, dv);
		} else if (!json_is_object(dv))
			continue;
		values_globals(dv, dest);
		values_coalesce(c->deps[i], dv);
	}
}

static void
values_coalesce(const struct gd_helm_chart *c, json_t *dest)
{
	values_chart(c, dest);
	values_deps(c, dest);
}

json_t *
helm_values_coalesce(const struct gd_helm_chart *c, json_t *user)
{
	json_t *dest = user != NULL ? json_deep_copy(user) : json_object();

	json_decref(user);
	if (!json_is_object(dest)) {
		json_decref(dest);
		dest = json_object();
	}
	values_coalesce(c, dest);
	return dest;
}

/* --- dependencies: condition and tags ------------------------------------ */

/* The value at a dotted path, if it is not a table. */
static const json_t *
values_path(const json_t *v, const char *path)
{
	char *p = xstrdup(path), *s = p, *dot;
	const json_t *cur = v;

	for (;;) {
		dot = strchr(s, '.');
		if (dot != NULL)
			*dot = '\0';
		cur = json_object_get(cur, s);
		if (cur == NULL || dot == NULL)
			break;
		if (!json_is_object(cur)) {
			cur = NULL;
			break;
		}
		s = dot + 1;
	}
	free(p);
	return cur != NULL && !json_is_object(cur) ? cur : NULL;
}

static const char *
values_str(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "";
}

/*
 * Is dependency d (a subchart) of c enabled? Tags: any true enables, else
 * any false disables. Condition: the first path that is a bool decides.
 */
static bool
values_dep_enabled(const struct gd_helm_chart *c, const struct gd_helm_chart *d,
    const json_t *cvals, const char *prefix)
{
	json_t *deps = json_object_get(c->meta, "dependencies"), *dep, *t;
	const json_t *tags = json_object_get(cvals, "tags"), *x;
	const char *cond;
	bool enabled = true, ht, hf;
	char *list, *s, *comma, *path;
	size_t i, j;

	json_array_foreach(deps, i, dep) {
		/* an aliased dependency goes by its alias */
		if (strcmp(*values_str(json_object_get(dep, "alias")) ?
			    values_str(json_object_get(dep, "alias")) :
			    values_str(json_object_get(dep, "name")),
			gd_helm_chart_name(d)) != 0)
			continue;
		if (json_is_object(tags)) {
			ht = hf = false;
			json_array_foreach(json_object_get(dep, "tags"), j, t) {
				x = json_object_get(tags, values_str(t));
				if (json_is_true(x))
					ht = true;
				else if (json_is_false(x))
					hf = true;
			}
			if (!ht && hf)
				enabled = false;
		}
		cond = json_string_value(json_object_get(dep, "condition"));
		if (cond == NULL)
			continue;
		list = xstrdup(cond);
		for (s = list; s != NULL; s = comma ? comma + 1 : NULL) {
			comma = strchr(s, ',');
			if (comma != NULL)
				*comma = '\0';
			while (*s == ' ')
				s++;
			if (*s == '\0')
				continue;
			xasprintf(&path, "%s%s", prefix, s);
			x = values_path(cvals, path);
			free(path);
			if (json_is_boolean(x)) {
				enabled = json_is_true(x);
				break;
			}
		}
		free(list);
	}
	return enabled;
}

void
helm_deps_enabled(const struct gd_helm_chart *c, const json_t *cvals,
    const char *prefix, bool *enabled, size_t *k)
{
	char *sub;
	size_t i, me;

	for (i = 0; i < c->ndeps; i++) {
		me = (*k)++;
		enabled[me] = values_dep_enabled(c, c->deps[i], cvals, prefix);
		xasprintf(
		    &sub, "%s%s.", prefix, gd_helm_chart_name(c->deps[i]));
		helm_deps_enabled(c->deps[i], cvals, sub, enabled, k);
		free(sub);
	}
}

/* --- --set ------------------------------------------------------------------
 */

/* strvals' typing: true/false/null, ints without a leading zero. */
static json_t *
values_typed(const char *s, size_t n)
{
	char buf[32];
	char *end;
	long long v;

	if (n == 4 && strncasecmp(s, "true", 4) == 0)
		return json_true();
	if (n == 5 && strncasecmp(s, "false", 5) == 0)
		return json_false();
	if (n == 4 && strncasecmp(s, "null", 4) == 0)
		return json_null();
	if (n > 0 && n < sizeof(buf) && (n == 1 || s[0] != '0') &&
	    !(s[0] == '-' && n > 1 && s[1] == '0')) {
		memcpy(buf, s, n);
		buf[n] = '\0';
		v = strtoll(buf, &end, 10);
		if (*end == '\0' && end != buf && buf[0] != '+')
			return json_integer(v);
	}
	return json_stringn(s, n);
}

/* One "a.b=c" (no commas; "\." and "\," escape). */
static int
values_set_one(json_t *vals, const char *kv, size_t n, struct gd_err *err)
{
	const char *eq = NULL, *p;
	struct gd_buf key, val;
	json_t *cur = vals, *next;
	size_t i;
	int rc = 0;

	gd_buf_init(&key);
	gd_buf_init(&val);
	gd_buf_add(&key, "", 0);
	gd_buf_add(&val, "", 0);
	for (i = 0; i < n; i++) {
		if (kv[i] == '\\' && i + 1 < n) {
			i++;
			continue;
		}
		if (kv[i] == '=') {
			eq = kv + i;
			break;
		}
	}
	if (eq == NULL) {
		rc = gd_err_set(err, GD_EINVAL,
		    "failed parsing --set data: key \"%.*s\" has no value",
		    (int)n, kv);
		goto out;
	}
	for (p = eq + 1; p < kv + n; p++) {
		if (*p == '\\' && p + 1 < kv + n)
			p++;
		gd_buf_addc(&val, *p);
	}
	for (p = kv; p <= eq; p++) {
		if (p < eq && *p == '\\' && p + 1 < eq) {
			gd_buf_addc(&key, *++p);
			continue;
		}
		if (p == eq || *p == '.') {
			if (key.len == 0) {
				rc = gd_err_set(err, GD_EINVAL,
				    "failed parsing --set data: empty key in "
				    "\"%.*s\"",
				    (int)n, kv);
				goto out;
			}
			if (p == eq) {
				json_object_set_new(cur, key.data,
				    values_typed(val.data, val.len));
				break;
			}
			next = json_object_get(cur, key.data);
			if (!json_is_object(next)) {
				next = json_object();
				json_object_set_new(cur, key.data, next);
			}
			cur = next;
			gd_buf_reset(&key);
			continue;
		}
		gd_buf_addc(&key, *p);
	}
out:
	gd_buf_dispose(&key);
	gd_buf_dispose(&val);
	return rc;
}

int
helm_values_set(json_t *vals, const char *arg, struct gd_err *err)
{
	const char *s = arg, *p;
	int rc;

	for (p = arg;; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == ',' || *p == '\0') {
			if (p > s &&
			    (rc = values_set_one(
				 vals, s, (size_t)(p - s), err)) < 0)
				return rc;
			if (*p == '\0')
				break;
			s = p + 1;
		}
	}
	return 0;
}

int
gd_helm_values_build(json_t **out, const char *const *files, size_t nfiles,
    const char *const *sets, size_t nsets, struct gd_err *err)
{
	json_t *vals = json_object(), *docs = NULL, *doc;
	size_t i;
	int rc = 0;

	*out = NULL;
	for (i = 0; i < nfiles; i++) {
		if ((rc = gd_ydoc_load_file(
			 &docs, NULL, files[i], &helm_yaml_limits, err)) < 0)
			goto out;
		doc = json_array_get(docs, 0);
		if (json_is_object(doc)) {
			helm_values_floats(doc);
			helm_values_merge(vals, doc);
		} else if (doc != NULL && !json_is_null(doc)) {
			rc = gd_err_set(err, GD_EINVAL,
			    "failed to parse %s: not a map of values",
			    files[i]);
			goto out;
		}
		json_decref(docs);
		docs = NULL;
	}
	for (i = 0; i < nsets; i++)
		if ((rc = helm_values_set(vals, sets[i], err)) < 0)
			goto out;
	*out = vals;
	vals = NULL;
out:
	json_decref(docs);
	json_decref(vals);
	return rc;
}
