/* SPDX-License-Identifier: ISC */
/*
 * The builtin functions of text/template (funcs.go): and, or, not, the
 * comparisons, len, index, slice, print, printf, println, html, js,
 * urlquery and call.
 *
 * The hard part is the comparison rules, which Helm users meet as errors:
 * operands compare only within one basic kind, so int vs float64 is
 * "incompatible types for comparison" even for 1 and 1.0, while a nil or
 * missing operand makes eq false rather than failing, and maps and lists
 * are "non-comparable". and/or are here for the table only: the executor
 * runs them itself so they can short-circuit.
 */
#include <stdio.h>
#include <string.h>

#include "tmpl_int.h"

enum cmp_kind { K_INVALID, K_BOOL, K_INT, K_FLOAT, K_STRING };

/* Go's indirectInterface: a nil interface is no value at all. */
static bool
funcs_is_nil(const struct gd_tval *v)
{
	return v->o == NULL && (v->j == NULL || json_is_null(v->j));
}

static enum cmp_kind
funcs_kind(const struct gd_tval *v)
{
	if (v->o != NULL || v->j == NULL)
		return K_INVALID;
	switch (json_typeof(v->j)) {
	case JSON_TRUE:
	case JSON_FALSE:
		return K_BOOL;
	case JSON_INTEGER:
		return K_INT;
	case JSON_REAL:
		return K_FLOAT;
	case JSON_STRING:
		return K_STRING;
	default:
		return K_INVALID;
	}
}

static void
funcs_bool(struct gd_tval *out, bool b)
{
	*out = gd_tval_json(json_boolean(b));
}

static int
funcs_not(struct gd_tval *out, struct gd_tmpl_call *c, struct gd_tval *a,
    size_t n, struct gd_err *err)
{
	(void)c, (void)n, (void)err;
	funcs_bool(out, !gd_tval_is_true(&a[0]));
	return 0;
}

/* The and/or table entries; the executor never calls these. */
static int
funcs_and_or(struct gd_tval *out, struct gd_tmpl_call *c, struct gd_tval *a,
    size_t n, struct gd_err *err)
{
	(void)c, (void)err;
	*out = gd_tval_copy(&a[n - 1]);
	return 0;
}

static int
funcs_eq_one(bool *truth, const struct gd_tval *x, const struct gd_tval *y,
    struct gd_err *err)
{
	enum cmp_kind k1 = funcs_kind(x), k2 = funcs_kind(y);
	bool n1 = funcs_is_nil(x), n2 = funcs_is_nil(y);
	struct gd_buf b;

	*truth = false;
	if (k1 != k2) {
		if (!n1 && !n2)
			return gd_err_set(err, GD_EINVAL,
			    "incompatible types for comparison");
		return 0;
	}
	switch (k1) {
	case K_BOOL:
	case K_INT:
	case K_STRING:
		*truth = json_equal(x->j, y->j);
		return 0;
	case K_FLOAT:
		*truth = json_real_value(x->j) == json_real_value(y->j);
		return 0;
	default:
		break;
	}
	if (n1 || n2) {
		*truth = n1 == n2;
		return 0;
	}
	if (x->o != NULL || y->o != NULL) {
		*truth = x->o == y->o;
		return 0;
	}
	tmpl_buf_init(&b);
	if (json_typeof(x->j) != json_typeof(y->j)) {
		tmpl_fmt_verb(&b, x, 's');
		gd_buf_printf(
		    &b, ": %s, %s: ", gd_tval_typename(x), gd_tval_typename(y));
		gd_tmpl_fmt_value(&b, y);
		gd_err_set(err, GD_EINVAL, "non-comparable types %s", b.data);
	} else {
		tmpl_fmt_verb(&b, y, 's');
		gd_err_set(err, GD_EINVAL, "non-comparable type %s: %s", b.data,
		    gd_tval_typename(y));
	}
	gd_buf_dispose(&b);
	return GD_EINVAL;
}

static int
funcs_eq(struct gd_tval *out, struct gd_tmpl_call *c, struct gd_tval *a,
    size_t n, struct gd_err *err)
{
	bool truth = false;
	size_t i;
	int rc;

	(void)c;
	if (n < 2)
		return gd_err_set(
		    err, GD_EINVAL, "missing argument for comparison");
	for (i = 1; i < n && !truth; i++)
		if ((rc = funcs_eq_one(&truth, &a[0], &a[i], err)) < 0)
			return rc;
	funcs_bool(out, truth);
	return 0;
}

static int
funcs_ne(struct gd_tval *out, struct gd_tmpl_call *c, struct gd_tval *a,
    size_t n, struct gd_err *err)
{
	bool truth;
	int rc;

	(void)c, (void)n;
	if ((rc = funcs_eq_one(&truth, &a[0], &a[1], err)) < 0)
		return rc;
	funcs_bool(out, !truth);
	return 0;
}

static int
funcs_lt_raw(bool *truth, const struct gd_tval *x, const struct gd_tval *y,
    struct gd_err *err)
{
	enum cmp_kind k1 = funcs_kind(x), k2 = funcs_kind(y);

	if (k1 == K_INVALID || k2 == K_INVALID)
		return gd_err_set(
		    err, GD_EINVAL, "invalid type for comparison");
	if (k1 != k2)
		return gd_err_set(
		    err, GD_EINVAL, "incompatible types for comparison");
	switch (k1) {
	case K_INT:
		*truth = json_integer_value(x->j) < json_integer_value(y->j);
		return 0;
	case K_FLOAT:
		*truth = json_real_value(x->j) < json_real_value(y->j);
		return 0;
	case K_STRING:
		*truth = strcmp(json_string_value(x->j),
			     json_string_value(y->j)) < 0;
		return 0;
	default:
		return gd_err_set(
		    err, GD_EINVAL, "invalid type for comparison");
	}
}

/* lt le gt ge, told apart by the name the call was registered under. */
static int
funcs_order(struct gd_tval *out, struct gd_tmpl_call *c, struct gd_tval *a,
    size_t n, struct gd_err *err)
{
	const char *op = gd_tmpl_call_ud(c);
	bool lt = false, eq = false;
	int rc;

	(void)n;
	if ((rc = funcs_lt_raw(&lt, &a[0], &a[1], err)) < 0)
		return rc;
	/* le and gt are lt || eq and its negation; ge is !lt */
	if ((strcmp(op, "le") == 0 || strcmp(op, "gt") == 0) && !lt &&
	    (rc = funcs_eq_one(&eq, &a[0], &a[1], err)) < 0)
		return rc;
	if (strcmp(op, "lt") == 0)
		funcs_bool(out, lt);
	else if (strcmp(op, "le") == 0)
		funcs_bool(out, lt || eq);
	else if (strcmp(op, "gt") == 0)
		funcs_bool(out, !(lt || eq));
	else
		funcs_bool(out, !lt);
	return 0;
}

static int
funcs_len(struct gd_tval *out, struct gd_tmpl_call *c, struct gd_tval *a,
    size_t n, struct gd_err *err)
{
	size_t len;

	(void)c, (void)n;
	if (!gd_tval_is_valid(&a[0]))
		return gd_err_set(err, GD_EINVAL,
		    "reflect: call of reflect.Value.Type on zero Value");
	if (funcs_is_nil(&a[0]))
		return gd_err_set(err, GD_EINVAL, "len of nil pointer");
	if (a[0].o != NULL)
		return gd_err_set(
		    err, GD_EINVAL, "len of type %s", a[0].o->type->name);
	switch (json_typeof(a[0].j)) {
	case JSON_STRING:
		len = json_string_length(a[0].j);
		break;
	case JSON_ARRAY:
		len = json_array_size(a[0].j);
		break;
	case JSON_OBJECT:
		len = json_object_size(a[0].j);
		break;
	default:
		return gd_err_set(
		    err, GD_EINVAL, "len of type %s", gd_tval_typename(&a[0]));
	}
	*out = gd_tval_json(json_integer((json_int_t)len));
	return 0;
}

/* Go's indexArg: an int index within [0, cap]. */
static int
funcs_index_arg(
    json_int_t *x, const struct gd_tval *v, size_t cap, struct gd_err *err)
{
	if (funcs_is_nil(v))
		return gd_err_set(
		    err, GD_EINVAL, "cannot index slice/array with nil");
	if (v->o != NULL || !json_is_integer(v->j))
		return gd_err_set(err, GD_EINVAL,
		    "cannot index slice/array with type %s",
		    gd_tval_typename(v));
	*x = json_integer_value(v->j);
	if (*x < 0 || (size_t)*x > cap)
		return gd_err_set(
		    err, GD_EINVAL, "index out of range: %lld", (long long)*x);
	return 0;
}

static int
funcs_index(struct gd_tval *out, struct gd_tmpl_call *c, struct gd_tval *a,
    size_t n, struct gd_err *err)
{
	struct gd_tval item;
	json_t *e;
	json_int_t x;
	size_t i, len;
	int rc;

	(void)c;
	if (funcs_is_nil(&a[0]))
		return gd_err_set(err, GD_EINVAL, "index of untyped nil");
	item = gd_tval_copy(&a[0]);
	for (i = 1; i < n; i++) {
		if (funcs_is_nil(&item)) {
			rc = gd_err_set(err, GD_EINVAL, "index of nil pointer");
			goto fail;
		}
		if (item.o != NULL) {
			rc = gd_err_set(err, GD_EINVAL,
			    "can't index item of type %s", item.o->type->name);
			goto fail;
		}
		switch (json_typeof(item.j)) {
		case JSON_ARRAY:
		case JSON_STRING:
			len = json_is_array(item.j) ?
			    json_array_size(item.j) :
			    json_string_length(item.j);
			if ((rc = funcs_index_arg(&x, &a[i], len, err)) < 0)
				goto fail;
			if ((size_t)x == len) {
				rc = gd_err_set(err, GD_EINVAL,
				    "reflect: %s index out of range",
				    json_is_array(item.j) ? "slice" : "string");
				goto fail;
			}
			if (json_is_array(item.j)) {
				e = json_array_get(item.j, (size_t)x);
				gd_tval_dispose(&item);
				item = gd_tval_elem(e);
				break;
			}
			e = json_integer(
			    (unsigned char)json_string_value(item.j)[x]);
			gd_tval_dispose(&item);
			item = gd_tval_json(e);
			break;
		case JSON_OBJECT:
			if (funcs_is_nil(&a[i])) {
				rc = gd_err_set(err, GD_EINVAL,
				    "value is nil; should be of type string");
				goto fail;
			}
			if (a[i].o != NULL || !json_is_string(a[i].j)) {
				rc = gd_err_set(err, GD_EINVAL,
				    "value has type %s; should be string",
				    gd_tval_typename(&a[i]));
				goto fail;
			}
			e = json_object_get(item.j, json_string_value(a[i].j));
			if (e == NULL)
				e = json_null();
			else
				json_incref(e);
			gd_tval_dispose(&item);
			item = gd_tval_elem(e);
			json_decref(e);
			break;
		default:
			rc = gd_err_set(err, GD_EINVAL,
			    "can't index item of type %s",
			    gd_tval_typename(&item));
			goto fail;
		}
	}
	*out = item;
	return 0;
fail:
	gd_tval_dispose(&item);
	return rc;
}

static int
funcs_slice(struct gd_tval *out, struct gd_tmpl_call *c, struct gd_tval *a,
    size_t n, struct gd_err *err)
{
	json_int_t idx[3] = { 0, 0, 0 };
	size_t len, i;
	json_t *r;
	int rc;

	(void)c;
	if (funcs_is_nil(&a[0]))
		return gd_err_set(err, GD_EINVAL, "slice of untyped nil");
	if (n - 1 > 3)
		return gd_err_set(
		    err, GD_EINVAL, "too many slice indexes: %zu", n - 1);
	if (a[0].o != NULL ||
	    (!json_is_string(a[0].j) && !json_is_array(a[0].j)))
		return gd_err_set(err, GD_EINVAL, "can't slice item of type %s",
		    gd_tval_typename(&a[0]));
	if (json_is_string(a[0].j) && n - 1 == 3)
		return gd_err_set(
		    err, GD_EINVAL, "cannot 3-index slice a string");
	len = json_is_string(a[0].j) ? json_string_length(a[0].j) :
				       json_array_size(a[0].j);
	idx[1] = (json_int_t)len;
	for (i = 1; i < n; i++)
		if ((rc = funcs_index_arg(&idx[i - 1], &a[i], len, err)) < 0)
			return rc;
	if (idx[0] > idx[1])
		return gd_err_set(err, GD_EINVAL,
		    "invalid slice index: %lld > %lld", (long long)idx[0],
		    (long long)idx[1]);
	if (n - 1 == 3 && idx[1] > idx[2])
		return gd_err_set(err, GD_EINVAL,
		    "invalid slice index: %lld > %lld", (long long)idx[1],
		    (long long)idx[2]);
	if (json_is_string(a[0].j)) {
		r = json_stringn_nocheck(json_string_value(a[0].j) + idx[0],
		    (size_t)(idx[1] - idx[0]));
	} else {
		r = json_array();
		for (i = (size_t)idx[0]; i < (size_t)idx[1]; i++)
			json_array_append(r, json_array_get(a[0].j, i));
	}
	*out = gd_tval_json(r);
	return 0;
}

static int
funcs_print(struct gd_tval *out, struct gd_tmpl_call *c, struct gd_tval *a,
    size_t n, struct gd_err *err)
{
	struct gd_buf b;
	const char *which = gd_tmpl_call_ud(c);

	(void)err;
	tmpl_buf_init(&b);
	if (which[0] == 'f')
		gd_tmpl_fmt_printf(&b, json_string_value(a[0].j),
		    json_string_length(a[0].j), a + 1, n - 1);
	else if (which[0] == 'l')
		tmpl_fmt_sprintln(&b, a, n);
	else
		tmpl_fmt_sprint(&b, a, n);
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

/* Go's evalArgs for html, js and urlquery. */
static void
funcs_eval_args(struct gd_buf *b, struct gd_tval *a, size_t n)
{
	struct gd_tval *v;
	size_t i;

	if (n == 1 && a[0].o == NULL && json_is_string(a[0].j)) {
		gd_buf_add(
		    b, json_string_value(a[0].j), json_string_length(a[0].j));
		return;
	}
	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = funcs_is_nil(&a[i]) ?
		    gd_tval_json(json_string_nocheck("<no value>")) :
		    gd_tval_copy(&a[i]);
	tmpl_fmt_sprint(b, v, n);
	for (i = 0; i < n; i++)
		gd_tval_dispose(&v[i]);
	free(v);
}

static int
funcs_escape(struct gd_tval *out, struct gd_tmpl_call *c, struct gd_tval *a,
    size_t n, struct gd_err *err)
{
	const char *which = gd_tmpl_call_ud(c);
	struct gd_buf in, b;
	unsigned char ch;
	size_t i;

	(void)err;
	tmpl_buf_init(&in);
	tmpl_buf_init(&b);
	funcs_eval_args(&in, a, n);
	for (i = 0; i < in.len; i++) {
		ch = (unsigned char)in.data[i];
		if (which[0] == 'h') {
			switch (ch) {
			case '"':
				gd_buf_adds(&b, "&#34;");
				break;
			case '\'':
				gd_buf_adds(&b, "&#39;");
				break;
			case '&':
				gd_buf_adds(&b, "&amp;");
				break;
			case '<':
				gd_buf_adds(&b, "&lt;");
				break;
			case '>':
				gd_buf_adds(&b, "&gt;");
				break;
			case '\0':
				gd_buf_adds(&b, "\xef\xbf\xbd");
				break;
			default:
				gd_buf_addc(&b, (char)ch);
			}
		} else if (which[0] == 'j') {
			switch (ch) {
			case '\\':
				gd_buf_adds(&b, "\\\\");
				break;
			case '\'':
				gd_buf_adds(&b, "\\'");
				break;
			case '"':
				gd_buf_adds(&b, "\\\"");
				break;
			case '<':
				gd_buf_adds(&b, "\\u003C");
				break;
			case '>':
				gd_buf_adds(&b, "\\u003E");
				break;
			case '&':
				gd_buf_adds(&b, "\\u0026");
				break;
			case '=':
				gd_buf_adds(&b, "\\u003D");
				break;
			default:
				if (ch < ' ')
					gd_buf_printf(&b, "\\u00%02X", ch);
				else
					gd_buf_addc(&b, (char)ch);
			}
		} else {
			if ((ch >= 'A' && ch <= 'Z') ||
			    (ch >= 'a' && ch <= 'z') ||
			    (ch >= '0' && ch <= '9') || strchr("-_.~", ch))
				gd_buf_addc(&b, (char)ch);
			else if (ch == ' ')
				gd_buf_addc(&b, '+');
			else
				gd_buf_printf(&b, "%%%02X", ch);
		}
	}
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&in);
	gd_buf_dispose(&b);
	return 0;
}

static int
funcs_call(struct gd_tval *out, struct gd_tmpl_call *c, struct gd_tval *a,
    size_t n, struct gd_err *err)
{
	(void)out, (void)c, (void)n;
	/* No template value is a function: there is nothing to call. */
	if (funcs_is_nil(&a[0]))
		return gd_err_set(err, GD_EINVAL, "call of nil");
	return gd_err_set(
	    err, GD_EINVAL, "non-function of type %s", gd_tval_typename(&a[0]));
}

const struct gd_tmpl_func tmpl_builtins[] = {
	{ "and", funcs_and_or, "rr*", NULL, 0 },
	{ "call", funcs_call, "rr*", NULL, GD_TMPL_FN_VARIES },
	{ "eq", funcs_eq, "rr*", NULL, 0 },
	{ "ge", funcs_order, "rr", (void *)"ge", 0 },
	{ "gt", funcs_order, "rr", (void *)"gt", 0 },
	{ "html", funcs_escape, "v*", (void *)"html", 0 },
	{ "index", funcs_index, "rr*", NULL, 0 },
	{ "js", funcs_escape, "v*", (void *)"js", 0 },
	{ "le", funcs_order, "rr", (void *)"le", 0 },
	{ "len", funcs_len, "r", NULL, 0 },
	{ "lt", funcs_order, "rr", (void *)"lt", 0 },
	{ "ne", funcs_ne, "rr", NULL, 0 },
	{ "not", funcs_not, "r", NULL, 0 },
	{ "or", funcs_and_or, "rr*", NULL, 0 },
	{ "print", funcs_print, "v*", (void *)"print", 0 },
	{ "printf", funcs_print, "sv*", (void *)"fmt", 0 },
	{ "println", funcs_print, "v*", (void *)"line", 0 },
	{ "slice", funcs_slice, "rr*", NULL, 0 },
	{ "urlquery", funcs_escape, "v*", (void *)"url", 0 },
	{ NULL, NULL, NULL, NULL, 0 },
};
