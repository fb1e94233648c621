/* SPDX-License-Identifier: ISC */
/*
 * Helm's own template functions (pkg/engine/funcs.go): include and tpl,
 * which run templates of the set being rendered, required and fail, the
 * YAML and JSON converters, and lookup (always empty: no cluster).
 *
 * The subtle parts are Helm's: include counts how deep each name nests
 * and stops at 1000 with its own message; tpl parses its text as a
 * template named "gotpl" in a copy of the set and strips "<no value>";
 * required and fail mark their message so the render can print it as
 * "execution error at (file:line:col): msg"; toYaml drops the final
 * newline; fromYaml reports a parse error inside the map it returns.
 */
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

FN(f_include)
{
	struct helm_render *r = funcs_render(c);
	const char *name = json_string_value(a[0].j);
	json_int_t k = json_integer_value(json_object_get(r->included, name));
	struct gd_buf b;
	int rc;

	(void)n;
	if (k > 1000)
		return gd_err_set(err, GD_ETOOBIG,
		    "rendering template has a nested reference name: %s: "
		    "unable to execute template",
		    name);
	json_object_set_new(r->included, name, json_integer(k + 1));
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	rc = gd_tmpl_call_template(&b, c, name, &a[1], err);
	json_object_set_new(r->included, name, json_integer(k));
	if (rc == 0)
		*out = gd_tval_json(json_stringn(b.data, b.len));
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
		*out = gd_tval_json(json_stringn(b.data, b.len));
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
			json_object_set_new(c, k, funcs_plain_json(e));
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
	*out = gd_tval_json(json_stringn(b.data, b.len));
	gd_buf_dispose(&b);
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
	*out = gd_tval_json(json_stringn(b.data, b.len));
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
	*out = gd_tval_json(json_string(s));
	return 0;
}

const struct gd_tmpl_func helm_funcs[] = {
	{ "fail", f_fail, "s", NULL },
	{ "fromJson", f_from_json, "s", NULL },
	{ "fromJsonArray", f_from_json_array, "s", NULL },
	{ "fromYaml", f_from_yaml, "s", NULL },
	{ "fromYamlArray", f_from_yaml_array, "s", NULL },
	{ "include", f_include, "sv", NULL },
	{ "lookup", f_lookup, "ssss", NULL },
	{ "mustToYaml", f_to_yaml, "v", NULL },
	{ "randAlpha", f_rand_alpha, "i", NULL },
	{ "randAlphaNum", f_rand_alnum, "i", NULL },
	{ "randAscii", f_rand_ascii, "i", NULL },
	{ "randNumeric", f_rand_numeric, "i", NULL },
	{ "required", f_required, "sv", NULL },
	{ "toYaml", f_to_yaml, "v", NULL },
	{ "tpl", f_tpl, "sv", NULL },
	{ "uuidv4", f_uuidv4, "", NULL },
	{ NULL, NULL, NULL, NULL },
};
