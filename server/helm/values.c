/* SPDX-License-Identifier: ISC */
/*
 * Values: what `helm template` builds from value files and --set (and
 * --set-string, --set-file, --set-json, --set-literal), how it
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
#include <ctype.h>
#include <errno.h>
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

/* strvals' typedVal: true/false/null, int64 unless it starts with 0. */
static json_t *
values_typed(const char *s, size_t n)
{
	char buf[32], *end;
	long long v;

	if (n == 4 && strncasecmp(s, "true", 4) == 0)
		return json_true();
	if (n == 5 && strncasecmp(s, "false", 5) == 0)
		return json_false();
	if (n == 4 && strncasecmp(s, "null", 4) == 0)
		return json_null();
	if (n == 1 && s[0] == '0')
		return json_integer(0);
	/* strconv.ParseInt(s, 10, 64): a sign, then digits only */
	if (n > 0 && n < sizeof(buf) && s[0] != '0' &&
	    strspn(s + (s[0] == '-' || s[0] == '+'), "0123456789") ==
		n - (s[0] == '-' || s[0] == '+') &&
	    n > (size_t)(s[0] == '-' || s[0] == '+')) {
		memcpy(buf, s, n);
		buf[n] = '\0';
		errno = 0;
		v = strtoll(buf, &end, 10);
		if (errno == 0 && *end == '\0')
			return json_integer(v);
	}
	return json_stringn(s, n);
}

/* --- --set and its kin (pkg/strvals) ----------------------------------------
 *
 * A port of strvals' recursive-descent parser, keeping its quirks since
 * users' command lines depend on them: an empty key is dropped, "a="
 * sets "", "a={x,y}" is a list, "a[1]=x" pads with nulls, "\" escapes
 * one character, a key that meets a value of the wrong kind is Go's
 * recovered panic ("unable to parse key: interface conversion: ...").
 */

#define SV_EOF       1 /* the input ran out: io.EOF, not an error */
#define SV_MAX_INDEX 65536
#define SV_MAX_LEVEL 30

struct strvals {
	const char *s;
	size_t n, i;
	enum gd_helm_set_kind kind;
	struct gd_err *err;
};

static bool
sv_literal(const struct strvals *p)
{
	return p->kind == GD_HELM_SET_LITERAL;
}

/* runesUntil: reads to a stop character (returned in *last). */
static int
sv_until(struct strvals *p, const char *stop, struct gd_buf *out, char *last)
{
	char c;

	gd_buf_reset(out);
	gd_buf_add(out, "", 0);
	*last = '\0';
	while (p->i < p->n) {
		c = p->s[p->i++];
		if (strchr(stop, c) != NULL && c != '\0') {
			*last = c;
			return 0;
		}
		if (c == '\\' && !sv_literal(p)) {
			if (p->i >= p->n)
				return SV_EOF;
			c = p->s[p->i++];
		}
		gd_buf_addc(out, c);
	}
	return SV_EOF;
}

/* Go's %q of s, for messages. */
static void
sv_quote(struct gd_buf *b, const char *s)
{
	struct gd_tval v = gd_tval_json(json_string(s));

	gd_tmpl_fmt_printf(b, "%q", 2, &v, 1);
	gd_tval_dispose(&v);
}

/* Go's panic text for a failed type assertion, as strvals recovers it. */
static int
sv_conversion(struct strvals *p, const json_t *have, const char *want)
{
	const char *t = have == NULL ? "nil" :
	    json_is_string(have)     ? "string" :
	    json_is_integer(have)    ? "int64" :
	    json_is_real(have)       ? "float64" :
	    json_is_boolean(have)    ? "bool" :
	    json_is_array(have)      ? "[]interface {}" :
	    json_is_object(have)     ? "map[string]interface {}" :
				       "nil";

	return gd_err_set(p->err, GD_EINVAL,
	    "unable to parse key: interface conversion: interface {} is %s, "
	    "not %s",
	    t, want);
}

/* set(): an empty key is dropped silently. Takes v. */
static void
sv_set(json_t *data, const char *key, json_t *v)
{
	if (*key == '\0')
		json_decref(v);
	else
		json_object_set_new(data, key, v);
}

/* setIndex: pads with nulls up to i. Takes v. */
static int
sv_set_index(struct strvals *p, json_t *list, long i, json_t *v)
{
	if (i < 0 || i > SV_MAX_INDEX) {
		json_decref(v);
		if (i < 0)
			return gd_err_set(p->err, GD_EINVAL,
			    "negative %ld index not allowed", i);
		return gd_err_set(p->err, GD_EINVAL,
		    "index of %ld is greater than maximum supported index of "
		    "%d",
		    i, SV_MAX_INDEX);
	}
	while (json_array_size(list) <= (size_t)i)
		json_array_append_new(list, json_null());
	json_array_set_new(list, (size_t)i, v);
	return 0;
}

/* The value of one element: typed, a string or a file's text. */
static int
sv_reader(struct strvals *p, const struct gd_buf *rs, json_t **out)
{
	struct gd_buf f;
	int rc;

	*out = NULL;
	switch (p->kind) {
	case GD_HELM_SET:
		*out = values_typed(rs->data, rs->len);
		return 0;
	case GD_HELM_SET_FILE:
		gd_buf_init(&f);
		gd_buf_add(&f, "", 0);
		if ((rc = gd_buf_read_file(&f, rs->data, 0, p->err)) == 0)
			*out = json_stringn(f.data, f.len);
		gd_buf_dispose(&f);
		return rc;
	default:
		*out = json_stringn(rs->data, rs->len);
		return 0;
	}
}

/* keyIndex: the digits up to "]". */
static int
sv_index(struct strvals *p, long *out)
{
	struct gd_buf b;
	char last, *end;
	int rc = 0;

	gd_buf_init(&b);
	if (sv_until(p, "]", &b, &last) == SV_EOF) {
		rc = gd_err_set(p->err, GD_EINVAL, "error parsing index: EOF");
		goto out;
	}
	errno = 0;
	*out = strtol(b.data, &end, 10);
	if (b.len == 0 || *end != '\0' || isspace((unsigned char)b.data[0]) ||
	    errno != 0) {
		struct gd_buf q;

		gd_buf_init(&q);
		sv_quote(&q, b.data);
		rc = gd_err_set(p->err, GD_EINVAL,
		    "error parsing index: strconv.Atoi: parsing %s: %s", q.data,
		    errno != 0 ? "value out of range" : "invalid syntax");
		gd_buf_dispose(&q);
	}
out:
	gd_buf_dispose(&b);
	return rc;
}

/* emptyVal (--set-json): skips blanks; true at the end or a comma. */
static bool
sv_empty(struct strvals *p)
{
	while (p->i < p->n) {
		if (p->s[p->i] == ',') {
			p->i++;
			return true;
		}
		if (!isspace((unsigned char)p->s[p->i]))
			return false;
		p->i++;
	}
	return true;
}

/* One JSON value (--set-json), numbers as float64; NULL: empty. */
static int
sv_json(struct strvals *p, json_t **out)
{
	json_error_t je;
	json_t *v;

	*out = NULL;
	if (sv_empty(p)) {
		*out = json_null();
		return 0;
	}
	v = json_loadb(p->s + p->i, p->n - p->i,
	    JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, &je);
	if (v == NULL)
		return gd_err_set(p->err, GD_EINVAL, "%s", je.text);
	p->i += (size_t)je.position;
	if (json_is_integer(v)) {
		json_t *r = json_real((double)json_integer_value(v));

		json_decref(v);
		v = r;
	}
	helm_values_floats(v);
	sv_empty(p);
	*out = v;
	return 0;
}

/* valList: "{a,b}" is a list; anything else is ErrNotList (1). */
static int
sv_val_list(struct strvals *p, json_t **out)
{
	struct gd_buf rs;
	json_t *v;
	char last;
	int rc = 0;

	*out = NULL;
	if (p->i >= p->n)
		return SV_EOF;
	if (p->s[p->i] != '{')
		return 2;
	p->i++;
	gd_buf_init(&rs);
	*out = json_array();
	for (;;) {
		if (sv_until(p, ",}", &rs, &last) == SV_EOF) {
			rc = gd_err_set(
			    p->err, GD_EINVAL, "list must terminate with '}'");
			break;
		}
		if ((rc = sv_reader(p, &rs, &v)) < 0)
			break;
		json_array_append_new(*out, v);
		if (last == '}') {
			if (p->i < p->n && p->s[p->i] == ',')
				p->i++;
			break;
		}
	}
	gd_buf_dispose(&rs);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/*
 * The value after "=": JSON, the rest of a literal, a list or one
 * element up to ",". *out is NULL only on error.
 */
static int
sv_value(struct strvals *p, json_t **out)
{
	struct gd_buf rs;
	char last;
	int rc;

	if (p->kind == GD_HELM_SET_JSON)
		return sv_json(p, out);
	gd_buf_init(&rs);
	if (sv_literal(p)) {
		sv_until(p, "", &rs, &last);
		*out = json_stringn(rs.data, rs.len);
		gd_buf_dispose(&rs);
		return 0;
	}
	rc = sv_val_list(p, out);
	if (rc == SV_EOF) {
		*out = json_string("");
		rc = 0;
	} else if (rc == 2) {
		sv_until(p, ",", &rs, &last);
		rc = sv_reader(p, &rs, out);
	}
	gd_buf_dispose(&rs);
	return rc;
}

static int sv_key(struct strvals *, json_t *data, int level);

/* listItem: what follows "name[i]": "=v", "[j]..." or ".key...". */
static int
sv_list_item(struct strvals *p, json_t *list, long i, int level)
{
	struct gd_buf k;
	json_t *v = NULL, *cur;
	long j;
	char last;
	int rc = 0, e;

	if (i < 0)
		return gd_err_set(
		    p->err, GD_EINVAL, "negative %ld index not allowed", i);
	gd_buf_init(&k);
	e = sv_until(p, "[.=", &k, &last);
	cur = (size_t)i < json_array_size(list) ?
	    json_array_get(list, (size_t)i) :
	    NULL;
	if (k.len > 0) {
		struct gd_buf q;

		gd_buf_init(&q);
		sv_quote(&q, k.data);
		rc = gd_err_set(p->err, GD_EINVAL,
		    "unexpected data at end of array index: %s", q.data);
		gd_buf_dispose(&q);
	} else if (e == SV_EOF)
		rc = SV_EOF;
	else if (last == '=') {
		if ((rc = sv_value(p, &v)) == 0)
			rc = sv_set_index(p, list, i, v);
	} else if (last == '[') {
		if ((rc = sv_index(p, &j)) < 0)
			goto out;
		if (cur != NULL && !json_is_null(cur) && !json_is_array(cur)) {
			rc = sv_conversion(p, cur, "[]interface {}");
			goto out;
		}
		v = cur != NULL && json_is_array(cur) ? json_incref(cur) :
							json_array();
		if ((rc = sv_list_item(p, v, j, level)) < 0)
			json_decref(v);
		else
			rc = sv_set_index(p, list, i, v);
	} else {
		v = cur != NULL && json_is_object(cur) ? json_incref(cur) :
							 json_object();
		if ((rc = sv_key(p, v, level)) < 0)
			json_decref(v);
		else
			rc = sv_set_index(p, list, i, v);
	}
out:
	gd_buf_dispose(&k);
	return rc;
}

/* key: one "a.b[0].c=v" element; 0 after a value, SV_EOF at the end. */
static int
sv_key(struct strvals *p, json_t *data, int level)
{
	struct gd_buf k, q;
	json_t *v = NULL, *cur;
	long idx;
	char last;
	int rc = 0, e;

	gd_buf_init(&k);
	gd_buf_init(&q);
	e = sv_until(p, sv_literal(p) ? "=[." : "=[,.", &k, &last);
	if (e == SV_EOF) {
		sv_quote(&q, k.data);
		if (k.len == 0 || sv_literal(p))
			rc = SV_EOF;
		else
			rc = gd_err_set(
			    p->err, GD_EINVAL, "key %s has no value", q.data);
		goto out;
	}
	cur = json_object_get(data, k.data);
	switch (last) {
	case '[':
		if ((rc = sv_index(p, &idx)) < 0)
			break;
		if (cur != NULL && !json_is_array(cur)) {
			rc = sv_conversion(p, cur, "[]interface {}");
			break;
		}
		v = cur != NULL ? json_incref(cur) : json_array();
		rc = sv_list_item(p, v, idx, level);
		sv_set(data, k.data, v);
		break;
	case '=':
		if ((rc = sv_value(p, &v)) == 0)
			sv_set(data, k.data, v);
		break;
	case ',':
		sv_set(data, k.data, json_string(""));
		sv_quote(&q, k.data);
		rc = gd_err_set(p->err, GD_EINVAL,
		    "key %s has no value (cannot end with ,)", q.data);
		break;
	default: /* '.' */
		if (++level > SV_MAX_LEVEL) {
			rc = gd_err_set(p->err, GD_EINVAL,
			    "value name nested level is greater than maximum "
			    "supported nested level of %d",
			    SV_MAX_LEVEL);
			break;
		}
		if (cur != NULL && !json_is_object(cur)) {
			rc = sv_conversion(p, cur, "map[string]interface {}");
			break;
		}
		v = cur != NULL ? json_incref(cur) : json_object();
		rc = sv_key(p, v, level);
		if (rc == 0 && json_object_size(v) == 0) {
			sv_quote(&q, k.data);
			rc = gd_err_set(p->err, GD_EINVAL,
			    "key map %s has no value", q.data);
		}
		if (json_object_size(v) != 0)
			sv_set(data, k.data, json_incref(v));
		json_decref(v);
		break;
	}
out:
	gd_buf_dispose(&k);
	gd_buf_dispose(&q);
	return rc;
}

static const char *const sv_flags[] = { "--set", "--set-string", "--set-file",
	"--set-json", "--set-literal" };

static int
values_set_kind(json_t *vals, enum gd_helm_set_kind kind, const char *arg,
    struct gd_err *err)
{
	struct strvals p = { arg, strlen(arg), 0, kind, err };
	json_error_t je;
	json_t *obj;
	const char *t = arg;
	int rc;

	while (isspace((unsigned char)*t))
		t++;
	/* --set-json also takes one whole JSON object */
	if (kind == GD_HELM_SET_JSON && *t == '{') {
		if ((obj = json_loads(t, 0, &je)) == NULL ||
		    !json_is_object(obj)) {
			json_decref(obj);
			return gd_err_set(err, GD_EINVAL,
			    "failed parsing --set-json data JSON: %s", arg);
		}
		helm_values_floats(obj);
		helm_values_merge(vals, obj);
		json_decref(obj);
		return 0;
	}
	while ((rc = sv_key(&p, vals, 0)) == 0)
		;
	if (rc == SV_EOF)
		return 0;
	return gd_err_wrap(err, "failed parsing %s data", sv_flags[kind]);
}

int
helm_values_set(json_t *vals, const char *arg, struct gd_err *err)
{
	return values_set_kind(vals, GD_HELM_SET, arg, err);
}

int
gd_helm_values_merge_yaml(json_t *vals, const char *buf, size_t len,
    const char *name, struct gd_err *err)
{
	json_t *doc = NULL;
	int rc;

	if ((rc = helm_values_parse(&doc, buf, len, name, err)) < 0)
		return rc;
	if (json_is_object(doc)) {
		helm_values_floats(doc);
		helm_values_merge(vals, doc);
	} else if (!json_is_null(doc))
		rc = gd_err_set(err, GD_EINVAL,
		    "failed to parse %s: not a map of values", name);
	json_decref(doc);
	return rc;
}

void
gd_helm_values_merge_object(json_t *vals, const json_t *obj)
{
	json_t *copy = json_deep_copy(obj);

	helm_values_floats(copy);
	helm_values_merge(vals, copy);
	json_decref(copy);
}

int
gd_helm_values_apply_sets(json_t *vals, const struct gd_helm_set *sets,
    size_t nsets, struct gd_err *err)
{
	static const enum gd_helm_set_kind order[] = { GD_HELM_SET_JSON,
		GD_HELM_SET, GD_HELM_SET_STRING, GD_HELM_SET_FILE,
		GD_HELM_SET_LITERAL };
	size_t i, k;
	int rc;

	/* Helm applies each kind of flag in turn, whatever their order */
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		for (i = 0; i < nsets; i++)
			if (sets[i].kind == order[k] &&
			    (rc = values_set_kind(
				 vals, sets[i].kind, sets[i].arg, err)) < 0)
				return rc;
	return 0;
}

int
gd_helm_values_build_sets(json_t **out, const char *const *files, size_t nfiles,
    const struct gd_helm_set *sets, size_t nsets, struct gd_err *err)
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
		if (json_is_object(doc))
			gd_helm_values_merge_object(vals, doc);
		else if (doc != NULL && !json_is_null(doc)) {
			rc = gd_err_set(err, GD_EINVAL,
			    "failed to parse %s: not a map of values",
			    files[i]);
			goto out;
		}
		json_decref(docs);
		docs = NULL;
	}
	if ((rc = gd_helm_values_apply_sets(vals, sets, nsets, err)) < 0)
		goto out;
	*out = vals;
	vals = NULL;
out:
	json_decref(docs);
	json_decref(vals);
	return rc;
}

int
gd_helm_values_build(json_t **out, const char *const *files, size_t nfiles,
    const char *const *sets, size_t nsets, struct gd_err *err)
{
	struct gd_helm_set *s = xcalloc(nsets + 1, sizeof(*s));
	size_t i;
	int rc;

	for (i = 0; i < nsets; i++)
		s[i].arg = sets[i];
	rc = gd_helm_values_build_sets(out, files, nfiles, s, nsets, err);
	free(s);
	return rc;
}
