/* SPDX-License-Identifier: ISC */
/*
 * Helm's own template functions (pkg/engine/funcs.go): include and tpl,
 * which run templates of the set being rendered, required and fail, the
 * YAML, JSON and TOML converters (toYamlPretty is go-yaml v3's layout;
 * TOML itself is toml.c), lookup (always empty: no cluster) and
 * getHostByName (always "": helm template runs without --enable-dns).
 *
 * The subtle parts are Helm's: include counts how deep each name nests
 * and stops at 1000 with its own message; tpl parses its text as a
 * template named "gotpl" in a copy of the set and strips "<no value>";
 * required and fail mark their message so the render can print it as
 * "execution error at (file:line:col): msg"; toYaml drops the final
 * newline; fromYaml reports a parse error inside the map it returns.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/ydoc.h"
#include "helm_int.h"

#define FN(name)                                                               \
	static int name(struct gd_tval *out, struct gd_tmpl_call *c,           \
	    struct gd_tval *a, size_t n, struct gd_err *err)

static struct helm_render *
funcs_render(struct gd_tmpl_call *c)
{
	struct helm_render *r = gd_tmpl_call_exec_ud(c);

	GD_CHECK_OBJ(r, HELM_RENDER_MAGIC);
	return r;
}

/* Helm replaces every "<no value>" in what a template printed. */
static void
funcs_strip_no_value(struct gd_buf *b)
{
	char *p;

	while (b->data != NULL && (p = strstr(b->data, "<no value>")) != NULL) {
		memmove(p, p + 10, b->len - (size_t)(p - b->data) - 10 + 1);
		b->len -= 10;
	}
}

/*
 * include's memo. Charts include the same few helpers (name, fullname,
 * labels) with the same dot from every file, and that was a third of a
 * render. An output is kept only when its run did nothing that could
 * make a second run differ: no function flagged VARIES (random, clock),
 * no use of a top object other than through its fields, no read of
 * .Template (the one field that changes from file to file; the render
 * watches the tops, see render_engine). Nothing else a template can
 * reach changes during a render unless the chart changes maps in place
 * (set, unset, merge, tpl), and then the memo is off. The memo holds a
 * reference to each dot, so no other value can take its address.
 */
struct helm_memo {
	char *name;
	struct gd_tval dot;
	json_t *out;
};

#define HELM_MEMO_MAX 256

static struct helm_memo *
funcs_memo_find(
    struct helm_render *r, const char *name, const struct gd_tval *dot)
{
	size_t i;

	for (i = 0; i < r->nmemo; i++)
		if (r->memo[i].dot.j == dot->j && r->memo[i].dot.o == dot->o &&
		    strcmp(r->memo[i].name, name) == 0)
			return &r->memo[i];
	return NULL;
}

static void
funcs_memo_add(struct helm_render *r, const char *name,
    const struct gd_tval *dot, json_t *out)
{
	struct helm_memo *m;

	if (r->nmemo == HELM_MEMO_MAX)
		return;
	/* room for 8, then doubled when full: most charts keep a handful */
	if (r->nmemo == 0)
		r->memo = xreallocarray(NULL, 8, sizeof(*r->memo));
	else if (r->nmemo >= 8 && (r->nmemo & (r->nmemo - 1)) == 0)
		r->memo =
		    xreallocarray(r->memo, r->nmemo * 2, sizeof(*r->memo));
	m = &r->memo[r->nmemo++];
	m->name = xstrdup(name);
	m->dot = gd_tval_copy(dot);
	m->out = json_incref(out);
}

void
helm_memo_clear(struct helm_render *r)
{
	size_t i;

	for (i = 0; i < r->nmemo; i++) {
		free(r->memo[i].name);
		gd_tval_dispose(&r->memo[i].dot);
		json_decref(r->memo[i].out);
	}
	free(r->memo);
	r->memo = NULL;
	r->nmemo = 0;
}

FN(f_include)
{
	struct helm_render *r = funcs_render(c);
	const char *name = json_string_value(a[0].j);
	json_t *cnt;
	struct helm_memo *m;
	json_int_t k;
	struct gd_buf b;
	size_t varies = 0;
	int rc;

	(void)n;
	if (r->memo_on) {
		if ((m = funcs_memo_find(r, name, &a[1])) != NULL) {
			*out = gd_tval_json(json_incref(m->out));
			return 0;
		}
		varies = gd_tmpl_call_varies(c);
	}
	cnt = json_object_get(r->included, name);
	if (cnt == NULL) {
		cnt = json_integer(0);
		json_object_set_new_nocheck(r->included, name, cnt);
	}
	k = json_integer_value(cnt);
	if (k > 1000)
		return gd_err_set(err, GD_ETOOBIG,
		    "rendering template has a nested reference name: %s: "
		    "unable to execute template",
		    name);
	json_integer_set(cnt, k + 1);
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	rc = gd_tmpl_call_template(&b, c, name, &a[1], err);
	json_integer_set(cnt, k);
	if (rc == 0) {
		*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
		if (r->memo_on && gd_tmpl_call_varies(c) == varies)
			funcs_memo_add(r, name, &a[1], out->j);
	}
	gd_buf_dispose(&b);
	return rc;
}

FN(f_tpl)
{
	struct gd_buf b;
	struct gd_err e = { 0 };
	int rc;

	(void)n;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	rc = gd_tmpl_call_tpl(
	    &b, c, "gotpl", json_string_value(a[0].j), &a[1], &e);
	if (rc == 0) {
		funcs_strip_no_value(&b);
		*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	} else
		gd_err_set(err, e.code, "%s", e.msg);
	gd_buf_dispose(&b);
	return rc;
}

FN(f_required)
{
	(void)c, (void)n;
	if (a[1].o == NULL &&
	    (a[1].j == NULL || json_is_null(a[1].j) ||
		(json_is_string(a[1].j) && json_string_length(a[1].j) == 0)))
		return gd_err_set(err, GD_EINVAL,
		    HELM_ERR_START "%s" HELM_ERR_END,
		    json_string_value(a[0].j));
	*out = gd_tval_copy(&a[1]);
	return 0;
}

FN(f_fail)
{
	(void)c, (void)n, (void)out;
	return gd_err_set(err, GD_EINVAL, HELM_ERR_START "%s" HELM_ERR_END,
	    json_string_value(a[0].j));
}

static json_t *
funcs_plain_json(json_t *j)
{
	struct gd_tmpl_obj *o = gd_tmpl_obj_of(j);
	const char *k;
	json_t *e, *c;
	size_t i;

	if (o != NULL)
		return o->type->json != NULL ? o->type->json(o) : json_null();
	if (json_is_object(j)) {
		c = json_object();
		json_object_foreach(j, k, e) {
			json_object_set_new_nocheck(c, k, funcs_plain_json(e));
		}
		return c;
	}
	if (json_is_array(j)) {
		c = json_array();
		json_array_foreach(j, i, e) {
			json_array_append_new(c, funcs_plain_json(e));
		}
		return c;
	}
	return json_incref(j);
}

/* True when j holds a marker somewhere (the common case is no). */
static bool
funcs_has_marker(const json_t *j)
{
	const char *k;
	json_t *e;
	size_t i;

	if (gd_tmpl_obj_of(j) != NULL)
		return true;
	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, e) {
			if (funcs_has_marker(e))
				return true;
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, e) {
			if (funcs_has_marker(e))
				return true;
		}
	}
	return false;
}

json_t *
helm_plain(const struct gd_tval *v)
{
	if (v->o != NULL)
		return v->o->type->json != NULL ? v->o->type->json(v->o) :
						  json_null();
	if (v->j == NULL)
		return json_null();
	if (!funcs_has_marker(v->j))
		return json_incref(v->j);
	return funcs_plain_json(v->j);
}

void
helm_to_yaml(struct gd_buf *b, const json_t *v)
{
	size_t start = b->len;

	gd_ydoc_emit(b, v);
	if (b->len > start && b->data[b->len - 1] == '\n')
		b->data[--b->len] = '\0';
}

FN(f_to_yaml)
{
	struct gd_buf b;

	(void)c, (void)n, (void)err;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	{
		json_t *p = helm_plain(&a[0]);

		helm_to_yaml(&b, p);
		json_decref(p);
	}
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

/* --- toYamlPretty: go-yaml v3 with indent 2 ------------------------------
 *
 * v3 differs from the v2 toYaml prints in its layout only: lists are
 * indented under their key, long lines are not folded, floats print as
 * Go's %v (1e+06) since no JSON round trip comes first, and map keys sort
 * in v3's "natural" order (digits compared as numbers). Scalars quote
 * alike, so each is quoted by ydoc's v2 emitter and unfolded here.
 */

static bool
pretty_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* unicode.IsLetter, with every non-ASCII byte taken as a letter */
static bool
pretty_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/* yaml.v3's keyList.Less on two string keys */
static int
pretty_key_cmp(const void *x, const void *y)
{
	const unsigned char *a = *(const unsigned char *const *)x;
	const unsigned char *b = *(const unsigned char *const *)y;
	size_t la = strlen((const char *)a), lb = strlen((const char *)b);
	size_t i, ai, bi;
	long long an, bn;
	bool digits = false, al, bl;
	ptrdiff_t j;

	for (i = 0; i < la && i < lb; i++) {
		if (a[i] == b[i]) {
			digits = pretty_digit(a[i]);
			continue;
		}
		al = pretty_letter(a[i]);
		bl = pretty_letter(b[i]);
		if (al && bl)
			return a[i] < b[i] ? -1 : 1;
		if (al || bl)
			return (digits ? al : bl) ? -1 : 1;
		an = bn = 0;
		if (a[i] == '0' || b[i] == '0')
			for (j = (ptrdiff_t)i - 1; j >= 0 && pretty_digit(a[j]);
			     j--)
				if (a[j] != '0') {
					an = bn = 1;
					break;
				}
		for (ai = i; ai < la && pretty_digit(a[ai]); ai++)
			an = an * 10 + (a[ai] - '0');
		for (bi = i; bi < lb && pretty_digit(b[bi]); bi++)
			bn = bn * 10 + (b[bi] - '0');
		if (an != bn)
			return an < bn ? -1 : 1;
		if (ai != bi)
			return ai < bi ? -1 : 1;
		return a[i] < b[i] ? -1 : 1;
	}
	return la < lb ? -1 : la > lb;
}

static void
pretty_indent(struct gd_buf *b, size_t n)
{
	while (n-- > 0)
		gd_buf_addc(b, ' ');
}

/*
 * v2 double-quotes a multi-line string with a tab in it, v3 writes it as
 * a literal block: true when only the tabs stood in the way (no other
 * control character, no space before a line break or at the end).
 */
static bool
pretty_tab_block(const char *s, size_t n)
{
	size_t i;

	if (memchr(s, '\n', n) == NULL || memchr(s, '\t', n) == NULL ||
	    s[n - 1] == ' ')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f ||
		    (c == ' ' && i + 1 < n && s[i + 1] == '\n'))
			return false;
	}
	return true;
}

/* yaml_emitter_write_literal_scalar, at indent ind + 2 */
static void
pretty_literal(struct gd_buf *b, const char *s, size_t n, size_t ind)
{
	const char *p = s, *nl;

	gd_buf_addc(b, '|');
	if (s[0] == ' ' || s[0] == '\n')
		gd_buf_addc(b, '2');
	if (s[n - 1] != '\n')
		gd_buf_addc(b, '-');
	else if (n == 1 || s[n - 2] == '\n')
		gd_buf_addc(b, '+');
	while (p < s + n) {
		nl = memchr(p, '\n', (size_t)(s + n - p));
		if (nl == NULL)
			nl = s + n;
		gd_buf_addc(b, '\n');
		if (nl > p) {
			pretty_indent(b, ind + 2);
			gd_buf_add(b, p, (size_t)(nl - p));
		}
		p = nl + 1;
	}
}

/*
 * A string as v3 writes it at indent ind: v2's choice of style, with
 * its folding undone and block scalars moved to ind + 2.
 */
static void
pretty_string(struct gd_buf *b, const json_t *s, size_t ind)
{
	struct gd_buf t;
	const char *p, *nl;
	size_t k;

	if (pretty_tab_block(json_string_value(s), json_string_length(s))) {
		pretty_literal(
		    b, json_string_value(s), json_string_length(s), ind);
		return;
	}
	gd_buf_init(&t);
	gd_buf_add(&t, "", 0);
	gd_ydoc_emit(&t, s);
	if (t.len > 0 && t.data[t.len - 1] == '\n')
		t.data[--t.len] = '\0';
	if (t.data[0] == '|') {
		/* header, then each line from ydoc's 2-space indent */
		nl = strchr(t.data, '\n');
		gd_buf_add(
		    b, t.data, nl != NULL ? (size_t)(nl - t.data) : t.len);
		for (p = nl; p != NULL; p = nl) {
			p++;
			nl = strchr(p, '\n');
			k = nl != NULL ? (size_t)(nl - p) : strlen(p);
			gd_buf_addc(b, '\n');
			if (k > 2) {
				pretty_indent(b, ind + 2);
				gd_buf_add(b, p + 2, k - 2);
			}
		}
	} else {
		/* a folded line break stood for one space */
		for (p = t.data; *p != '\0'; p++) {
			if (*p != '\n') {
				gd_buf_addc(b, *p);
				continue;
			}
			while (p[1] == ' ')
				p++;
			gd_buf_addc(b, ' ');
			if (p[1] == '\\' && p[2] == ' ')
				p++;
		}
	}
	gd_buf_dispose(&t);
}

static bool
pretty_is_block(const json_t *v)
{
	return (json_is_object(v) && json_object_size(v) > 0) ||
	    (json_is_array(v) && json_array_size(v) > 0);
}

static void pretty_node(struct gd_buf *, const json_t *, size_t ind);

static void
pretty_map(struct gd_buf *b, const json_t *v, size_t ind, bool first_inline)
{
	const char **keys = xcalloc(json_object_size(v) + 1, sizeof(*keys));
	const char *k;
	json_t *e;
	size_t n = 0, i;

	json_object_foreach((json_t *)v, k, e) {
		keys[n++] = k;
	}
	qsort(keys, n, sizeof(*keys), pretty_key_cmp);
	for (i = 0; i < n; i++) {
		json_t *ks = json_string_nocheck(keys[i]);

		e = json_object_get(v, keys[i]);
		if (i > 0 || !first_inline)
			pretty_indent(b, ind);
		pretty_string(b, ks, ind);
		json_decref(ks);
		gd_buf_addc(b, ':');
		if (pretty_is_block(e)) {
			gd_buf_addc(b, '\n');
			pretty_node(b, e, ind + 2);
		} else {
			gd_buf_addc(b, ' ');
			pretty_node(b, e, ind);
			gd_buf_addc(b, '\n');
		}
	}
	free(keys);
}

static void
pretty_list(struct gd_buf *b, const json_t *v, size_t ind, bool first_inline)
{
	json_t *e;
	size_t i;

	json_array_foreach(v, i, e) {
		if (i > 0 || !first_inline)
			pretty_indent(b, ind);
		gd_buf_adds(b, "- ");
		if (json_is_object(e) && json_object_size(e) > 0)
			pretty_map(b, e, ind + 2, true);
		else if (json_is_array(e) && json_array_size(e) > 0)
			pretty_list(b, e, ind + 2, true);
		else {
			pretty_node(b, e, ind);
			gd_buf_addc(b, '\n');
		}
	}
}

/* A node at indent ind: blocks end with a newline, scalars do not. */
static void
pretty_node(struct gd_buf *b, const json_t *v, size_t ind)
{
	if (v == NULL) {
		gd_buf_adds(b, "null");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (json_object_size(v) == 0)
			gd_buf_adds(b, "{}");
		else
			pretty_map(b, v, ind, false);
		break;
	case JSON_ARRAY:
		if (json_array_size(v) == 0)
			gd_buf_adds(b, "[]");
		else
			pretty_list(b, v, ind, false);
		break;
	case JSON_STRING:
		pretty_string(b, v, ind);
		break;
	case JSON_INTEGER:
		gd_buf_printf(
		    b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL: {
		double f = json_real_value(v);

		if (isnan(f))
			gd_buf_adds(b, ".nan");
		else if (isinf(f))
			gd_buf_adds(b, f > 0 ? ".inf" : "-.inf");
		else
			gd_tmpl_fmt_float(b, f);
		break;
	}
	case JSON_TRUE:
		gd_buf_adds(b, "true");
		break;
	case JSON_FALSE:
		gd_buf_adds(b, "false");
		break;
	default:
		gd_buf_adds(b, "null");
	}
}

FN(f_to_yaml_pretty)
{
	struct gd_buf b;
	json_t *p = helm_plain(&a[0]);

	(void)c, (void)n, (void)err;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	pretty_node(&b, p, 0);
	json_decref(p);
	/* strings.TrimSuffix: one newline, a |+ block keeps the rest */
	if (b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

/*
 * toToml prints an encoding error as its value; mustToToml fails. A nil
 * value makes Go's reflection panic, which fails both.
 */
static int
funcs_toml(
    struct gd_tval *out, const struct gd_tval *v, bool must, struct gd_err *err)
{
	struct gd_err e = { 0 };
	struct gd_buf b;
	json_t *p = helm_plain(v);
	int rc;

	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	rc = helm_toml_encode(&b, p, &e);
	json_decref(p);
	if (rc < 0 && (must || e.code == GD_EINTERNAL)) {
		gd_buf_dispose(&b);
		return gd_err_set(err, GD_EINVAL, "%s", e.msg);
	}
	*out = gd_tval_json(rc < 0 ? json_string_nocheck(e.msg) :
				     json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

FN(f_to_toml)
{
	(void)c, (void)n;
	return funcs_toml(out, &a[0], false, err);
}

FN(f_must_to_toml)
{
	(void)c, (void)n;
	return funcs_toml(out, &a[0], true, err);
}

/* fromToml: a map, or {"Error": msg} as helm's fromTOML returns */
FN(f_from_toml)
{
	struct gd_err e = { 0 };
	json_t *v = NULL;

	(void)c, (void)n, (void)err;
	if (helm_toml_decode(&v, json_string_value(a[0].j),
		json_string_length(a[0].j), &e) < 0)
		v = json_pack("{s:s}", "Error", e.msg);
	*out = gd_tval_json(v);
	return 0;
}

/* helm template has no DNS (helm's --enable-dns is off): always "" */
FN(f_get_host_by_name)
{
	(void)c, (void)n, (void)a, (void)err;
	*out = gd_tval_json(json_string_nocheck(""));
	return 0;
}

static int
funcs_from(struct gd_tval *out, const char *s, size_t l, bool yaml, bool array)
{
	struct gd_err e = { 0 };
	json_error_t je;
	json_t *v = NULL;

	if (yaml) {
		if (gd_ydoc_load_one(&v, s, l, "yaml", &e) < 0)
			v = NULL;
	} else if ((v = json_loadb(s, l, JSON_DECODE_ANY, &je)) == NULL)
		snprintf(e.msg, sizeof(e.msg), "%s", je.text);
	if (v != NULL && json_is_null(v) && yaml) {
		json_decref(v);
		v = array ? json_array() : json_object();
	}
	if (v != NULL && (array ? !json_is_array(v) : !json_is_object(v))) {
		snprintf(e.msg, sizeof(e.msg),
		    "error unmarshaling JSON: while decoding JSON: json: "
		    "cannot "
		    "unmarshal %s into Go value of type %s",
		    json_is_array(v)      ? "array" :
			json_is_object(v) ? "object" :
			json_is_string(v) ? "string" :
					    "number",
		    array ? "[]interface {}" : "map[string]interface {}");
		json_decref(v);
		v = NULL;
	}
	if (v == NULL) {
		v = array ? json_pack("[s]", e.msg) :
			    json_pack("{s:s}", "Error", e.msg);
	} else
		helm_values_floats(v);
	*out = gd_tval_json(v);
	return 0;
}

FN(f_from_yaml)
{
	(void)c, (void)n, (void)err;
	return funcs_from(out, json_string_value(a[0].j),
	    json_string_length(a[0].j), true, false);
}

FN(f_from_yaml_array)
{
	(void)c, (void)n, (void)err;
	return funcs_from(out, json_string_value(a[0].j),
	    json_string_length(a[0].j), true, true);
}

FN(f_from_json)
{
	(void)c, (void)n, (void)err;
	return funcs_from(out, json_string_value(a[0].j),
	    json_string_length(a[0].j), false, false);
}

FN(f_from_json_array)
{
	(void)c, (void)n, (void)err;
	return funcs_from(out, json_string_value(a[0].j),
	    json_string_length(a[0].j), false, true);
}

FN(f_lookup)
{
	(void)c, (void)n, (void)a, (void)err;
	*out = gd_tval_json(json_object());
	return 0;
}

/* xorshift64*: deterministic under a seed, which tests need. */
static uint64_t
funcs_rand(struct helm_render *r)
{
	r->rng ^= r->rng >> 12;
	r->rng ^= r->rng << 25;
	r->rng ^= r->rng >> 27;
	return r->rng * 2685821657736338717ULL;
}

static int
funcs_rand_from(struct gd_tval *out, struct gd_tmpl_call *c, json_int_t n,
    const char *set, struct gd_err *err)
{
	struct helm_render *r = funcs_render(c);
	size_t k = strlen(set);
	struct gd_buf b;
	json_int_t i;
	int rc;

	if (n < 0)
		n = 0;
	if ((rc = gd_tmpl_call_charge(c, (size_t)n, err)) < 0)
		return rc;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	for (i = 0; i < n; i++)
		gd_buf_addc(&b, set[funcs_rand(r) % k]);
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

#define ALPHA  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGITS "0123456789"

FN(f_rand_alnum)
{
	(void)n;
	return funcs_rand_from(
	    out, c, json_integer_value(a[0].j), ALPHA DIGITS, err);
}

FN(f_rand_alpha)
{
	(void)n;
	return funcs_rand_from(out, c, json_integer_value(a[0].j), ALPHA, err);
}

FN(f_rand_numeric)
{
	(void)n;
	return funcs_rand_from(out, c, json_integer_value(a[0].j), DIGITS, err);
}

FN(f_rand_ascii)
{
	(void)n;
	return funcs_rand_from(out, c, json_integer_value(a[0].j),
	    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
	    err);
}

FN(f_uuidv4)
{
	struct helm_render *r = funcs_render(c);
	unsigned char u[16];
	uint64_t x;
	char s[40];
	int i;

	(void)a, (void)n, (void)err;
	for (i = 0; i < 16; i += 8) {
		x = funcs_rand(r);
		memcpy(u + i, &x, 8);
	}
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	snprintf(s, sizeof(s),
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
	    u[11], u[12], u[13], u[14], u[15]);
	*out = gd_tval_json(json_string_nocheck(s));
	return 0;
}

const struct gd_tmpl_func helm_funcs[] = {
	{ "fail", f_fail, "s", NULL, 0 },
	{ "fromJson", f_from_json, "s", NULL, 0 },
	{ "fromJsonArray", f_from_json_array, "s", NULL, 0 },
	{ "fromToml", f_from_toml, "s", NULL, 0 },
	{ "fromYaml", f_from_yaml, "s", NULL, 0 },
	{ "fromYamlArray", f_from_yaml_array, "s", NULL, 0 },
	{ "getHostByName", f_get_host_by_name, "s", NULL, 0 },
	{ "include", f_include, "sv", NULL, GD_TMPL_FN_PASSDOT },
	{ "lookup", f_lookup, "ssss", NULL, 0 },
	{ "mustToToml", f_must_to_toml, "v", NULL, 0 },
	{ "mustToYaml", f_to_yaml, "v", NULL, 0 },
	{ "randAlpha", f_rand_alpha, "i", NULL, GD_TMPL_FN_VARIES },
	{ "randAlphaNum", f_rand_alnum, "i", NULL, GD_TMPL_FN_VARIES },
	{ "randAscii", f_rand_ascii, "i", NULL, GD_TMPL_FN_VARIES },
	{ "randNumeric", f_rand_numeric, "i", NULL, GD_TMPL_FN_VARIES },
	{ "required", f_required, "sv", NULL, 0 },
	{ "toToml", f_to_toml, "v", NULL, 0 },
	{ "toYaml", f_to_yaml, "v", NULL, 0 },
	{ "toYamlPretty", f_to_yaml_pretty, "v", NULL, 0 },
	{ "tpl", f_tpl, "sv", NULL, GD_TMPL_FN_VARIES },
	{ "uuidv4", f_uuidv4, "", NULL, GD_TMPL_FN_VARIES },
	{ NULL, NULL, NULL, NULL, 0 },
};
