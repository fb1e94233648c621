/* SPDX-License-Identifier: ISC */
/*
 * The rest of the Sprig functions charts use: encoding/json as Go writes
 * it (toJson, toPrettyJson, toRawJson), Masterminds semver constraints
 * (semverCompare) and versions as objects (semver: .Major, .Compare...),
 * float arithmetic and rounding (floor, ceil, round, maxf, minf),
 * hashes, and list, dict and type helpers (splitn, toStrings, deepEqual,
 * typeIsLike, plural, mustFromJson); regular expressions are in
 * sprig_text.c.
 *
 * The hard part is fidelity in small things: Go's JSON writes 1.0 as 1,
 * 1e21 as 1e+21 and escapes <, > and & (not in toRawJson); a prerelease
 * version satisfies only constraints that carry a prerelease themselves
 * (so charts write ">=1.19-0" to accept "v1.20.0-gke.1").
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "helm_int.h"

#define FN(name)                                                               \
	static int name(struct gd_tval *out, struct gd_tmpl_call *c,           \
	    struct gd_tval *a, size_t n, struct gd_err *err)

/* --- encoding/json -----------------------------------------------------------
 */

static void
json_go_float(struct gd_buf *b, double f)
{
	char buf[64];
	int prec;
	double a = fabs(f);

	if (f == (double)(long long)f && a < 1e21) {
		gd_buf_printf(b, "%.0f", f);
		return;
	}
	/* shortest digits that read back, in Go's 'f' or 'e' form */
	for (prec = 0; prec <= 40; prec++) {
		if (a < 1e-6 || a >= 1e21)
			snprintf(buf, sizeof(buf), "%.*e", prec, f);
		else
			snprintf(buf, sizeof(buf), "%.*f", prec, f);
		if (strtod(buf, NULL) == f)
			break;
	}
	if (a < 1e-6 || a >= 1e21) {
		/* Go writes e-07, not e-007; and no "+" padding beyond two */
		char *e = strchr(buf, 'e');

		if (e != NULL && (e[2] == '0') && strlen(e + 2) > 2)
			memmove(e + 2, e + 3, strlen(e + 3) + 1);
	}
	gd_buf_adds(b, buf);
}

static void
json_go_string(struct gd_buf *b, const char *s, size_t n, bool html)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, k;

	gd_buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		switch (p[i]) {
		case '"':
			gd_buf_adds(b, "\\\"");
			break;
		case '\\':
			gd_buf_adds(b, "\\\\");
			break;
		case '\n':
			gd_buf_adds(b, "\\n");
			break;
		case '\r':
			gd_buf_adds(b, "\\r");
			break;
		case '\t':
			gd_buf_adds(b, "\\t");
			break;
		case '<':
		case '>':
		case '&':
			if (html) {
				gd_buf_printf(b, "\\u%04x", p[i]);
				break;
			}
			gd_buf_addc(b, (char)p[i]);
			break;
		default:
			if (p[i] < 0x20)
				gd_buf_printf(b, "\\u%04x", p[i]);
			else if (p[i] == 0xE2 && i + 2 < n &&
			    p[i + 1] == 0x80 &&
			    (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)) {
				gd_buf_printf(
				    b, "\\u%04x", 0x2000 + p[i + 2] - 0x80);
				i += 2;
			} else if (p[i] < 0x80)
				gd_buf_addc(b, (char)p[i]);
			else if (gd_utf8_rune(p + i, n - i, &k) < 0)
				gd_buf_adds(b, "\\ufffd"); /* as Go's encoder */
			else {
				gd_buf_add(b, s + i, k);
				i += k - 1;
			}
		}
	}
	gd_buf_addc(b, '"');
}

static void
json_go_indent(struct gd_buf *b, int indent, int depth)
{
	int i;

	if (indent <= 0)
		return;
	gd_buf_addc(b, '\n');
	for (i = 0; i < indent * depth; i++)
		gd_buf_addc(b, ' ');
}

/* json.Marshal (indent 0) or json.MarshalIndent(v, "", "  ") (indent 2). */
static void
json_go(struct gd_buf *b, const json_t *v, int indent, int depth, bool html)
{
	const char **keys;
	size_t i, k;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (json_object_size(v) == 0) {
			gd_buf_adds(b, "{}");
			return;
		}
		keys = xcalloc(json_object_size(v) + 1, sizeof(*keys));
		k = 0;
		{
			const char *key;
			json_t *e;

			json_object_foreach((json_t *)v, key, e) {
				size_t j = k++;

				while (j > 0 && strcmp(keys[j - 1], key) > 0) {
					keys[j] = keys[j - 1];
					j--;
				}
				keys[j] = key;
			}
		}
		gd_buf_addc(b, '{');
		for (i = 0; i < k; i++) {
			if (i > 0)
				gd_buf_addc(b, ',');
			json_go_indent(b, indent, depth + 1);
			json_go_string(b, keys[i], strlen(keys[i]), html);
			gd_buf_adds(b, indent ? ": " : ":");
			json_go(b, json_object_get(v, keys[i]), indent,
			    depth + 1, html);
		}
		json_go_indent(b, indent, depth);
		gd_buf_addc(b, '}');
		free(keys);
		return;
	case JSON_ARRAY:
		if (json_array_size(v) == 0) {
			gd_buf_adds(b, "[]");
			return;
		}
		gd_buf_addc(b, '[');
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				gd_buf_addc(b, ',');
			json_go_indent(b, indent, depth + 1);
			json_go(
			    b, json_array_get(v, i), indent, depth + 1, html);
		}
		json_go_indent(b, indent, depth);
		gd_buf_addc(b, ']');
		return;
	case JSON_STRING:
		json_go_string(
		    b, json_string_value(v), json_string_length(v), html);
		return;
	case JSON_INTEGER:
		gd_buf_printf(b, "%lld", (long long)json_integer_value(v));
		return;
	case JSON_REAL:
		json_go_float(b, json_real_value(v));
		return;
	case JSON_TRUE:
		gd_buf_adds(b, "true");
		return;
	case JSON_FALSE:
		gd_buf_adds(b, "false");
		return;
	default:
		gd_buf_adds(b, "null");
	}
}

static int
json_fn(struct gd_tval *out, const struct gd_tval *v, int indent, bool html)
{
	struct gd_buf b;

	json_t *p = helm_plain(v);

	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	json_go(&b, p, indent, 0, html);
	json_decref(p);
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

FN(f_to_json)
{
	(void)c, (void)n, (void)err;
	return json_fn(out, &a[0], 0, true);
}

FN(f_to_pretty_json)
{
	(void)c, (void)n, (void)err;
	return json_fn(out, &a[0], 2, true);
}

FN(f_to_raw_json)
{
	(void)c, (void)n, (void)err;
	return json_fn(out, &a[0], 0, false);
}

/* --- semver (Masterminds v3) -------------------------------------------- */

/* Masterminds' Constraints.Check, through the ranges of semver.c */
static int
semver_check(
    const char *constraint, const char *version, bool *ok, struct gd_err *err)
{
	struct helm_semver_range *r = NULL;
	struct helm_semver v;
	int rc;

	*ok = false;
	if (!helm_semver_parse(&v, version))
		return gd_err_set(err, GD_EINVAL, "Invalid Semantic Version");
	if ((rc = helm_semver_range_new(&r, constraint, err)) < 0)
		return rc;
	*ok = helm_semver_range_match(r, &v);
	helm_semver_range_free(r);
	return 0;
}

FN(f_semver_compare)
{
	bool ok;
	int rc;

	(void)c, (void)n;
	if ((rc = semver_check(json_string_value(a[0].j),
		 json_string_value(a[1].j), &ok, err)) < 0)
		return rc;
	*out = gd_tval_json(json_boolean(ok));
	return 0;
}

/* --- numbers, hashes, lists --------------------------------------------------
 */

static double
more_float(const struct gd_tval *v)
{
	if (v->o != NULL || v->j == NULL)
		return 0;
	if (json_is_number(v->j))
		return json_number_value(v->j);
	if (json_is_string(v->j))
		return strtod(json_string_value(v->j), NULL);
	return json_is_true(v->j) ? 1 : 0;
}

static int
more_floats(struct gd_tval *out, struct gd_tval *a, size_t n, char op)
{
	double r = n > 0 ? more_float(&a[0]) : 0, x;
	size_t i;

	for (i = 1; i < n; i++) {
		x = more_float(&a[i]);
		r = op == '+' ? r + x :
		    op == '-' ? r - x :
		    op == '*' ? r * x :
				r / x;
	}
	/* Sprig goes through shopspring/decimal: drop binary noise */
	if (isfinite(r)) {
		char buf[40];

		snprintf(buf, sizeof(buf), "%.15g", r);
		r = strtod(buf, NULL);
	}
	*out = gd_tval_json(json_real(r));
	return 0;
}

FN(f_addf)
{
	(void)c, (void)err;
	return more_floats(out, a, n, '+');
}

FN(f_subf)
{
	(void)c, (void)err;
	return more_floats(out, a, n, '-');
}

FN(f_mulf)
{
	(void)c, (void)err;
	return more_floats(out, a, n, '*');
}

FN(f_divf)
{
	(void)c, (void)err;
	return more_floats(out, a, n, '/');
}

FN(f_atoi)
{
	const char *s = json_string_value(a[0].j);
	char *end;
	long long v;

	(void)c, (void)n, (void)err;
	v = strtoll(s, &end, 10);
	*out = gd_tval_json(json_integer(*s != '\0' && *end == '\0' ? v : 0));
	return 0;
}

static void
more_hex(struct gd_tval *out, const unsigned char *h, size_t n)
{
	char s[2 * crypto_hash_sha512_BYTES + 1];
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", h[i]);
	*out = gd_tval_json(json_stringn_nocheck(s, 2 * n));
}

FN(f_sha256sum)
{
	unsigned char h[crypto_hash_sha256_BYTES];

	(void)c, (void)n, (void)err;
	crypto_hash_sha256(h, (const unsigned char *)json_string_value(a[0].j),
	    json_string_length(a[0].j));
	more_hex(out, h, sizeof(h));
	return 0;
}

FN(f_sha512sum)
{
	unsigned char h[crypto_hash_sha512_BYTES];

	(void)c, (void)n, (void)err;
	crypto_hash_sha512(h, (const unsigned char *)json_string_value(a[0].j),
	    json_string_length(a[0].j));
	more_hex(out, h, sizeof(h));
	return 0;
}

FN(f_pluck)
{
	json_t *l = json_array(), *v;
	size_t i;

	(void)c, (void)err;
	for (i = 1; i < n; i++)
		if (json_is_object(a[i].j) &&
		    (v = json_object_get(a[i].j, json_string_value(a[0].j))) !=
			NULL)
			json_array_append(l, v);
	*out = gd_tval_json(l);
	return 0;
}

FN(f_without)
{
	json_t *l = json_array();
	size_t i, k;

	(void)c, (void)err;
	if (!json_is_array(a[0].j))
		return gd_err_set(err, GD_EINVAL,
		    "Cannot find without on type %s", gd_tval_typename(&a[0]));
	for (i = 0; i < json_array_size(a[0].j); i++) {
		for (k = 1; k < n; k++)
			if (a[k].j != NULL &&
			    json_equal(json_array_get(a[0].j, i), a[k].j))
				break;
		if (k == n)
			json_array_append(l, json_array_get(a[0].j, i));
	}
	*out = gd_tval_json(l);
	return 0;
}

FN(f_concat)
{
	json_t *l = json_array();
	size_t i;

	(void)c, (void)err;
	for (i = 0; i < n; i++) {
		if (!json_is_array(a[i].j)) {
			json_decref(l);
			return gd_err_set(err, GD_EINVAL,
			    "Cannot concat type %s as list",
			    gd_tval_typename(&a[i]));
		}
		json_array_extend(l, a[i].j);
	}
	*out = gd_tval_json(l);
	return 0;
}

FN(f_reverse)
{
	json_t *l = json_array();
	size_t i, k;

	(void)c, (void)n;
	if (!json_is_array(a[0].j))
		return gd_err_set(err, GD_EINVAL,
		    "Cannot find reverse on type %s", gd_tval_typename(&a[0]));
	k = json_array_size(a[0].j);
	for (i = 0; i < k; i++)
		json_array_append(l, json_array_get(a[0].j, k - 1 - i));
	*out = gd_tval_json(l);
	return 0;
}

/*
 * reflect's Kind name, what Sprig's list errors print ("Cannot chunk type
 * string"); NULL for nil, on which Go dereferences a nil pointer.
 */
static const char *
more_kind(const struct gd_tval *v)
{
	if (v->o != NULL)
		return "ptr";
	switch (v->j != NULL ? json_typeof(v->j) : JSON_NULL) {
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "int";
	case JSON_REAL:
		return "float64";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	case JSON_OBJECT:
		return "map";
	case JSON_ARRAY:
		return "slice";
	default:
		return NULL;
	}
}

static int
more_list(const struct gd_tval *v, const char *what, struct gd_err *err)
{
	const char *k = more_kind(v);

	if (k == NULL)
		return gd_err_set(err, GD_EINVAL,
		    "runtime error: invalid memory address or nil pointer "
		    "dereference");
	if (strcmp(k, "slice") == 0)
		return 0;
	return gd_err_set(err, GD_EINVAL, "Cannot %s type %s", what, k);
}

FN(f_prepend)
{
	json_t *l;
	int rc;

	(void)n;
	if ((rc = more_list(&a[0], "prepend on", err)) < 0)
		return rc;
	l = json_array();
	json_array_append_new(l, gd_tmpl_call_to_json(c, &a[1]));
	json_array_extend(l, a[0].j);
	*out = gd_tval_json(l);
	return 0;
}

FN(f_initial)
{
	json_t *l = json_array();
	size_t i, k;
	int rc;

	(void)c, (void)n;
	if ((rc = more_list(&a[0], "find initial on", err)) < 0) {
		json_decref(l);
		return rc;
	}
	k = json_array_size(a[0].j);
	for (i = 0; i + 1 < k; i++)
		json_array_append(l, json_array_get(a[0].j, i));
	*out = gd_tval_json(l);
	return 0;
}

/*
 * Sprig's chunk. Its float arithmetic gives no chunks for a size below
 * zero when 2 <= len <= -size + 1, and a negative make() otherwise.
 */
FN(f_chunk)
{
	json_int_t size = json_integer_value(a[0].j);
	size_t l, cs, clen, i, j;
	json_t *res, *part;
	int rc;

	(void)n;
	if ((rc = more_list(&a[1], "chunk", err)) < 0)
		return rc;
	l = json_array_size(a[1].j);
	if (size <= 0 && (size == 0 || l < 2 || l - 1 > 0 - (size_t)size))
		return gd_err_set(err, GD_EINVAL,
		    "runtime error: makeslice: len out of range");
	if ((rc = gd_tmpl_call_charge(c, l, err)) < 0)
		return rc;
	res = json_array();
	cs = size <= 0 || l == 0 ? 0 : (l - 1) / (size_t)size + 1;
	for (i = 0; i < cs; i++) {
		clen = (size_t)size;
		if (i + 1 == cs && l % (size_t)size != 0)
			clen = l % (size_t)size;
		part = json_array();
		for (j = 0; j < clen; j++)
			json_array_append(
			    part, json_array_get(a[1].j, i * (size_t)size + j));
		json_array_append_new(res, part);
	}
	*out = gd_tval_json(res);
	return 0;
}

/* cast.ToInt, what Sprig applies to slice's indices */
static long long
more_int(const struct gd_tval *v)
{
	if (v->o != NULL || v->j == NULL)
		return 0;
	if (json_is_integer(v->j))
		return json_integer_value(v->j);
	if (json_is_real(v->j))
		return (long long)json_real_value(v->j);
	if (json_is_string(v->j))
		return strtoll(json_string_value(v->j), NULL, 0);
	return json_is_true(v->j) ? 1 : 0;
}

/* Sprig's slice, which replaces Go's builtin in Helm: lists only */
FN(f_slice)
{
	long long len, start = 0, end;
	json_t *l;
	const char *k = more_kind(&a[0]);
	long long i;

	(void)c;
	if (k == NULL)
		return gd_err_set(err, GD_EINVAL,
		    "runtime error: invalid memory address or nil pointer "
		    "dereference");
	if (strcmp(k, "slice") != 0)
		return gd_err_set(err, GD_EINVAL,
		    "list should be type of slice or array but %s", k);
	len = (long long)json_array_size(a[0].j);
	if (len == 0) {
		*out = gd_tval_json(json_null());
		return 0;
	}
	end = len;
	if (n > 1)
		start = more_int(&a[1]);
	if (n > 2)
		end = more_int(&a[2]);
	if (start < 0 || end < start || end > len)
		return gd_err_set(err, GD_EINVAL,
		    "reflect.Value.Slice: slice index out of bounds");
	l = json_array();
	for (i = start; i < end; i++)
		json_array_append(l, json_array_get(a[0].j, (size_t)i));
	*out = gd_tval_json(l);
	return 0;
}

/* --- the semver object (Masterminds' *semver.Version) ------------------- */

struct semver_obj {
	unsigned long long major, minor, patch;
	char *pre, *meta, *orig;
};

static void
semver_obj_free(void *p)
{
	struct semver_obj *v = p;

	free(v->pre);
	free(v->meta);
	free(v->orig);
	free(v);
}

static void
semver_obj_print(struct gd_buf *b, const struct gd_tmpl_obj *o)
{
	const struct semver_obj *v = o->data;

	gd_buf_printf(b, "%llu.%llu.%llu", v->major, v->minor, v->patch);
	if (*v->pre != '\0')
		gd_buf_printf(b, "-%s", v->pre);
	if (*v->meta != '\0')
		gd_buf_printf(b, "+%s", v->meta);
}

static json_t *
semver_obj_json(const struct gd_tmpl_obj *o)
{
	struct gd_buf b;
	json_t *j;

	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	semver_obj_print(&b, o);
	j = json_stringn_nocheck(b.data, b.len);
	gd_buf_dispose(&b);
	return j;
}

/* Version.Compare: numbers, then a release above its prereleases. */
static int
semver_obj_cmp(const struct semver_obj *a, const struct semver_obj *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	return helm_semver_cmp_pre(a->pre, b->pre);
}

static const struct gd_tmpl_objtype semver_obj_type;

static int
semver_obj_field(struct gd_tval *out, struct gd_tmpl_obj *o, const char *name,
    struct gd_tval *args, size_t nargs, struct gd_err *err)
{
	static const char *const cmps[] = { "Compare", "LessThan",
		"GreaterThan", "Equal" };
	const struct semver_obj *v = o->data, *w;
	size_t i, want = 0;
	int r;

	for (i = 0; i < 4; i++)
		if (strcmp(name, cmps[i]) == 0)
			want = 1;
	if (strcmp(name, "Major") != 0 && strcmp(name, "Minor") != 0 &&
	    strcmp(name, "Patch") != 0 && strcmp(name, "Prerelease") != 0 &&
	    strcmp(name, "Metadata") != 0 && strcmp(name, "Original") != 0 &&
	    strcmp(name, "String") != 0 && want == 0)
		return GD_ENOTFOUND;
	if (nargs != want)
		return gd_err_set(err, GD_EINVAL,
		    "wrong number of args for %s: want %zu got %zu", name, want,
		    nargs);
	if (want == 1) {
		if (args[0].o == NULL || args[0].o->type != &semver_obj_type)
			return gd_err_set(err, GD_EINVAL,
			    "wrong type for value; expected *semver.Version; "
			    "got %s",
			    gd_tval_typename(&args[0]));
		w = args[0].o->data;
		r = semver_obj_cmp(v, w);
		*out = gd_tval_json(strcmp(name, "Compare") == 0 ?
			json_integer(r) :
			json_boolean(name[0] == 'L' ? r < 0 :
				name[0] == 'G'      ? r > 0 :
						      r == 0));
	} else if (strcmp(name, "Major") == 0)
		*out = gd_tval_json(json_integer((json_int_t)v->major));
	else if (strcmp(name, "Minor") == 0)
		*out = gd_tval_json(json_integer((json_int_t)v->minor));
	else if (strcmp(name, "Patch") == 0)
		*out = gd_tval_json(json_integer((json_int_t)v->patch));
	else if (strcmp(name, "Prerelease") == 0)
		*out = gd_tval_json(json_string_nocheck(v->pre));
	else if (strcmp(name, "Metadata") == 0)
		*out = gd_tval_json(json_string_nocheck(v->meta));
	else if (strcmp(name, "Original") == 0)
		*out = gd_tval_json(json_string_nocheck(v->orig));
	else
		*out = gd_tval_json(semver_obj_json(o));
	return 0;
}

static const struct gd_tmpl_objtype semver_obj_type = { "*semver.Version",
	semver_obj_field, semver_obj_print, semver_obj_free, semver_obj_json };

#define SEMVER_ALLOWED                                                         \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789"

/* One dotted part list (prerelease or metadata) of the version regexp. */
static size_t
semver_idents(const char *p)
{
	size_t k = 0, part;

	for (;;) {
		part = strspn(p + k, SEMVER_ALLOWED);
		if (part == 0)
			return 0;
		k += part;
		if (p[k] != '.' || strspn(p + k + 1, SEMVER_ALLOWED) == 0)
			return k;
		k++;
	}
}

/* strconv.ParseUint(s[:n], 10, 64), or an error. */
static int
semver_uint(
    unsigned long long *out, const char *s, size_t n, struct gd_err *err)
{
	unsigned long long v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (v > (~0ULL - (unsigned)(s[i] - '0')) / 10)
			return gd_err_set(err, GD_EINVAL,
			    "Error parsing version segment: strconv.ParseUint: "
			    "parsing \"%.*s\": value out of range",
			    (int)n, s);
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* semver.NewVersion: "v1", "1.2", "1.2.3-rc.1+build" are all versions. */
static int
semver_new(struct semver_obj **out, const char *str, struct gd_err *err)
{
	const char *p = str, *pre = "", *meta = "";
	size_t np = 0, nm = 0, k;
	unsigned long long nums[3] = { 0, 0, 0 };
	int i, rc;
	char *t, *save, *seg;

	*out = NULL;
	if (*p == 'v')
		p++;
	for (i = 0; i < 3; i++) {
		if (i > 0 && (*p != '.' || !isdigit((unsigned char)p[1])))
			break;
		if (i > 0)
			p++;
		k = strspn(p, "0123456789");
		if (k == 0)
			return gd_err_set(
			    err, GD_EINVAL, "Invalid Semantic Version");
		if ((rc = semver_uint(&nums[i], p, k, err)) < 0)
			return rc;
		p += k;
	}
	if (*p == '-' && (np = semver_idents(p + 1)) > 0) {
		pre = p + 1;
		p += 1 + np;
	}
	if (*p == '+' && (nm = semver_idents(p + 1)) > 0) {
		meta = p + 1;
		p += 1 + nm;
	}
	if (*p != '\0')
		return gd_err_set(err, GD_EINVAL, "Invalid Semantic Version");
	/* a numeric prerelease part may not start with 0 */
	t = xstrndup(pre, np);
	for (save = t; (seg = strsep(&save, ".")) != NULL;)
		if (strspn(seg, "0123456789") == strlen(seg) &&
		    strlen(seg) > 1 && seg[0] == '0') {
			free(t);
			return gd_err_set(
			    err, GD_EINVAL, "Version segment starts with 0");
		}
	free(t);
	t = xstrndup(pre, np);
	*out = xcalloc(1, sizeof(**out));
	(*out)->major = nums[0];
	(*out)->minor = nums[1];
	(*out)->patch = nums[2];
	(*out)->pre = t;
	(*out)->meta = xstrndup(meta, nm);
	(*out)->orig = xstrdup(str);
	return 0;
}

FN(f_semver)
{
	struct semver_obj *v;
	int rc;

	(void)c, (void)n;
	if ((rc = semver_new(&v, json_string_value(a[0].j), err)) < 0)
		return rc;
	out->o = gd_tmpl_obj_new(&semver_obj_type, v);
	return 0;
}

/* --- more numbers ----------------------------------------------------------
 */

/* math.Floor and math.Ceil, without libm (gitopsd does not link it) */
static double
more_floor(double x)
{
	double t;

	if (isnan(x) || x >= 4503599627370496.0 || x <= -4503599627370496.0)
		return x;
	t = (double)(long long)x;
	return t > x ? t - 1 : t;
}

static double
more_ceil(double x)
{
	return -more_floor(-x);
}

/* math.Pow(10, p) for an integer p, as exactly as Go's squaring gives */
static double
more_pow10(json_int_t p)
{
	double r = 1, b = 10;
	unsigned long long e =
	    p < 0 ? 0ULL - (unsigned long long)p : (unsigned long long)p;

	for (; e > 0; e >>= 1, b *= b)
		if (e & 1)
			r *= b;
	return p < 0 ? 1 / r : r;
}

FN(f_floor)
{
	(void)c, (void)n, (void)err;
	*out = gd_tval_json(json_real(more_floor(more_float(&a[0]))));
	return 0;
}

FN(f_ceil)
{
	(void)c, (void)n, (void)err;
	*out = gd_tval_json(json_real(more_ceil(more_float(&a[0]))));
	return 0;
}

/*
 * Sprig's round: the fraction of x*10^places against roundOn (0.5), so
 * -2.5 rounds to -3 and 2.5 to 3, as Sprig does.
 */
FN(f_round)
{
	double val = more_float(&a[0]), on = 0.5, pow10, digit, ip, r;

	(void)c, (void)err;
	if (n > 2)
		on = json_number_value(a[2].j);
	pow10 = more_pow10(json_integer_value(a[1].j));
	digit = pow10 * val;
	r = modf(digit, &ip) >= on ? more_ceil(digit) : more_floor(digit);
	*out = gd_tval_json(json_real(r / pow10));
	return 0;
}

FN(f_add1f)
{
	struct gd_tval v[2] = { a[0], { json_integer(1), NULL, false } };
	int rc;

	(void)n;
	rc = more_floats(out, v, 2, '+');
	(void)c, (void)err;
	json_decref(v[1].j);
	return rc;
}

static int
more_minmaxf(struct gd_tval *out, struct gd_tval *a, size_t n, bool max)
{
	double r = more_float(&a[0]), x;
	size_t i;

	for (i = 1; i < n; i++) {
		x = more_float(&a[i]);
		/* math.Max and math.Min: NaN wins */
		if (isnan(x) || isnan(r))
			r = NAN;
		else
			r = max ? (x > r ? x : r) : (x < r ? x : r);
	}
	*out = gd_tval_json(json_real(r));
	return 0;
}

FN(f_maxf)
{
	(void)c, (void)err;
	return more_minmaxf(out, a, n, true);
}

FN(f_minf)
{
	(void)c, (void)err;
	return more_minmaxf(out, a, n, false);
}

/* toDecimal: fmt.Sprint(v) read as octal; anything else is 0. */
FN(f_to_decimal)
{
	struct gd_buf b;
	const char *s;
	char *end;
	long long v = 0;

	(void)c, (void)n, (void)err;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	gd_tmpl_fmt_value(&b, &a[0]);
	s = b.data + (b.data[0] == '-' || b.data[0] == '+');
	if (*s != '\0' && strspn(s, "01234567") == strlen(s)) {
		errno = 0;
		v = strtoll(b.data, &end, 8);
		if (errno != 0)
			v = 0;
	}
	gd_buf_dispose(&b);
	*out = gd_tval_json(json_integer(v));
	return 0;
}

/* --- more strings and lists ---------------------------------------------- */

/* The first sep in s[0:l], or NULL (memmem is not POSIX). */
static const char *
more_find(const char *s, size_t l, const char *sep, size_t sl)
{
	size_t i;

	for (i = 0; i + sl <= l; i++)
		if (memcmp(s + i, sep, sl) == 0)
			return s + i;
	return NULL;
}

/* strings.SplitN into Sprig's {"_0": ..., "_1": ...} map */
FN(f_splitn)
{
	const char *sep = json_string_value(a[0].j);
	const char *s = json_string_value(a[2].j), *p;
	size_t sl = json_string_length(a[0].j);
	size_t l = json_string_length(a[2].j), k;
	json_int_t max = json_integer_value(a[1].j), i = 0;
	json_t *m = json_object();
	char key[32];

	(void)c, (void)err;
	(void)n;
	while (max != 0 && (max < 0 || i < max - 1) && l > 0) {
		if (sl == 0) {
			/* an empty separator splits after each UTF-8 rune */
			k = 1;
			while (k < l && ((unsigned char)s[k] & 0xC0) == 0x80)
				k++;
			p = s + k;
		} else if ((p = more_find(s, l, sep, sl)) == NULL)
			break;
		else
			k = (size_t)(p - s);
		snprintf(key, sizeof(key), "_%lld", (long long)i++);
		json_object_set_new_nocheck(m, key, json_stringn_nocheck(s, k));
		k += sl;
		s += k;
		l -= k;
	}
	if (max != 0 && (sl != 0 || l > 0)) {
		snprintf(key, sizeof(key), "_%lld", (long long)i);
		json_object_set_new_nocheck(m, key, json_stringn_nocheck(s, l));
	}
	*out = gd_tval_json(m);
	return 0;
}

/* toStrings: strval of each element, nils dropped; a scalar is a list */
FN(f_to_strings)
{
	json_t *l = json_array(), *e;
	struct gd_buf b;
	struct gd_tval v;
	size_t i;

	(void)c, (void)n, (void)err;
	gd_buf_init(&b);
	if (a[0].o == NULL && json_is_array(a[0].j)) {
		json_array_foreach(a[0].j, i, e) {
			if (json_is_null(e))
				continue;
			v = gd_tval_elem(e); /* a new reference */
			gd_buf_reset(&b);
			gd_buf_add(&b, "", 0);
			helm_strval(&b, &v);
			gd_tval_dispose(&v);
			json_array_append_new(
			    l, json_stringn_nocheck(b.data, b.len));
		}
	} else if (a[0].o != NULL ||
	    (a[0].j != NULL && !json_is_null(a[0].j))) {
		gd_buf_add(&b, "", 0);
		helm_strval(&b, &a[0]);
		json_array_append_new(l, json_stringn_nocheck(b.data, b.len));
	}
	gd_buf_dispose(&b);
	*out = gd_tval_json(l);
	return 0;
}

FN(f_plural)
{
	(void)c, (void)n, (void)err;
	*out = gd_tval_copy(json_integer_value(a[2].j) == 1 ? &a[0] : &a[1]);
	return 0;
}

/*
 * reflect.DeepEqual: jansson's equality keeps Go's types apart (1 and 1.0
 * differ); host objects are equal when they are the same object.
 */
FN(f_deep_equal)
{
	bool eq;

	(void)c, (void)n, (void)err;
	if (a[0].o != NULL || a[1].o != NULL)
		eq = a[0].o == a[1].o;
	else if (a[0].j == NULL || a[1].j == NULL)
		eq = (a[0].j == NULL || json_is_null(a[0].j)) &&
		    (a[1].j == NULL || json_is_null(a[1].j));
	else
		eq = json_equal(a[0].j, a[1].j);
	*out = gd_tval_json(json_boolean(eq));
	return 0;
}

FN(f_type_is_like)
{
	const char *want = json_string_value(a[0].j);
	const char *t =
	    a[1].o == NULL && (a[1].j == NULL || json_is_null(a[1].j)) ?
	    "<nil>" :
	    gd_tval_typename(&a[1]);

	(void)c, (void)n, (void)err;
	*out = gd_tval_json(json_boolean(
	    strcmp(want, t) == 0 || (t[0] == '*' && strcmp(want, t + 1) == 0)));
	return 0;
}

/* Sprig's mustFromJson: any JSON value (numbers float64), or the error */
FN(f_must_from_json)
{
	json_error_t je;
	json_t *v;

	(void)c, (void)n;
	v = json_loadb(json_string_value(a[0].j), json_string_length(a[0].j),
	    JSON_DECODE_ANY, &je);
	if (v == NULL)
		return gd_err_set(err, GD_EINVAL, "%s", je.text);
	if (json_is_integer(v)) {
		json_t *r = json_real((double)json_integer_value(v));

		json_decref(v);
		v = r;
	}
	helm_values_floats(v);
	*out = gd_tval_json(v);
	return 0;
}

const struct gd_tmpl_func helm_sprig_more[] = {
	{ "addf", f_addf, "v*", NULL, 0 },
	{ "atoi", f_atoi, "s", NULL, 0 },
	{ "concat", f_concat, "v*", NULL, 0 },
	{ "divf", f_divf, "vv*", NULL, 0 },
	{ "mulf", f_mulf, "vv*", NULL, 0 },
	{ "pluck", f_pluck, "sv*", NULL, 0 },
	{ "reverse", f_reverse, "v", NULL, 0 },
	{ "semverCompare", f_semver_compare, "ss", NULL, 0 },
	{ "sha256sum", f_sha256sum, "s", NULL, 0 },
	{ "sha512sum", f_sha512sum, "s", NULL, 0 },
	{ "subf", f_subf, "vv*", NULL, 0 },
	{ "toJson", f_to_json, "v", NULL, 0 },
	{ "toPrettyJson", f_to_pretty_json, "v", NULL, 0 },
	{ "toRawJson", f_to_raw_json, "v", NULL, 0 },
	{ "mustToJson", f_to_json, "v", NULL, 0 },
	{ "mustToPrettyJson", f_to_pretty_json, "v", NULL, 0 },
	{ "mustToRawJson", f_to_raw_json, "v", NULL, 0 },
	{ "without", f_without, "vv*", NULL, 0 },
	{ "chunk", f_chunk, "iv", NULL, 0 },
	{ "initial", f_initial, "v", NULL, 0 },
	{ "prepend", f_prepend, "vv", NULL, 0 },
	{ "slice", f_slice, "vv*", NULL, 0 },
	{ "mustChunk", f_chunk, "iv", NULL, 0 },
	{ "mustInitial", f_initial, "v", NULL, 0 },
	{ "mustPrepend", f_prepend, "vv", NULL, 0 },
	{ "mustReverse", f_reverse, "v", NULL, 0 },
	{ "mustSlice", f_slice, "vv*", NULL, 0 },
	{ "mustWithout", f_without, "vv*", NULL, 0 },
	{ "add1f", f_add1f, "v", NULL, 0 },
	{ "ceil", f_ceil, "v", NULL, 0 },
	{ "deepEqual", f_deep_equal, "vv", NULL, 0 },
	{ "floor", f_floor, "v", NULL, 0 },
	{ "maxf", f_maxf, "vv*", NULL, 0 },
	{ "minf", f_minf, "vv*", NULL, 0 },
	{ "mustFromJson", f_must_from_json, "s", NULL, 0 },
	{ "plural", f_plural, "ssi", NULL, 0 },
	{ "round", f_round, "vif*", NULL, 0 },
	{ "semver", f_semver, "s", NULL, 0 },
	{ "splitn", f_splitn, "sis", NULL, 0 },
	{ "toDecimal", f_to_decimal, "v", NULL, 0 },
	{ "toStrings", f_to_strings, "v", NULL, 0 },
	{ "typeIsLike", f_type_is_like, "sv", NULL, 0 },
	{ NULL, NULL, NULL, NULL, 0 },
};
