/* SPDX-License-Identifier: ISC */
/*
 * Sprig (v3), the functions charts call most: strings, defaults, lists,
 * dicts, numbers and encodings, with Sprig's own conversions.
 *
 * The hard part is Sprig's loose typing, which charts rely on: strval
 * prints any value with %v (so a YAML number 1000000 quotes as "1e+06"),
 * default treats every empty value (0, false, "", empty list or map, nil)
 * as missing, numbers go through cast.ToInt64 (strings parsed with base
 * 0, floats truncated, anything else 0), and the list functions fail on
 * what is not a list. Results are Go values too: add returns int64,
 * until []int, dict a map.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helm_int.h"

#define FN(name)                                                               \
	static int name(struct gd_tval *out, struct gd_tmpl_call *c,           \
	    struct gd_tval *a, size_t n, struct gd_err *err)

#define UNUSED_ARGS                                                            \
	do {                                                                   \
		(void)c;                                                       \
		(void)n;                                                       \
		(void)err;                                                     \
	} while (0)

/* Go strings are bytes: b64dec of a binary secret is a string too. */
static void
set_str(struct gd_tval *out, const char *s, size_t len)
{
	*out = gd_tval_json(json_stringn_nocheck(s, len));
}

static void
set_buf(struct gd_tval *out, struct gd_buf *b)
{
	*out =
	    gd_tval_json(json_stringn_nocheck(b->data ? b->data : "", b->len));
	gd_buf_dispose(b);
}

static const char *
S(const struct gd_tval *v)
{
	return json_string_value(v->j);
}

static size_t
SL(const struct gd_tval *v)
{
	return json_string_length(v->j);
}

void
helm_strval(struct gd_buf *b, const struct gd_tval *v)
{
	if (v->o == NULL && json_is_string(v->j))
		gd_buf_add(b, S(v), SL(v));
	else
		gd_tmpl_fmt_value(b, v);
}

static bool
sprig_empty(const struct gd_tval *v)
{
	if (v->o != NULL)
		return false;
	if (v->j == NULL)
		return true;
	switch (json_typeof(v->j)) {
	case JSON_OBJECT:
		return gd_tmpl_obj_of(v->j) == NULL &&
		    json_object_size(v->j) == 0;
	case JSON_ARRAY:
		return json_array_size(v->j) == 0;
	case JSON_STRING:
		return SL(v) == 0;
	case JSON_INTEGER:
		return json_integer_value(v->j) == 0;
	case JSON_REAL:
		return json_real_value(v->j) == 0;
	case JSON_TRUE:
		return false;
	default:
		return true;
	}
}

/* cast.ToInt64 as Sprig uses it: errors become 0. */
static json_int_t
sprig_int(const struct gd_tval *v)
{
	const char *s;
	char *end;
	long long r;

	if (v->o != NULL || v->j == NULL)
		return 0;
	switch (json_typeof(v->j)) {
	case JSON_INTEGER:
		return json_integer_value(v->j);
	case JSON_REAL:
		return (json_int_t)json_real_value(v->j);
	case JSON_TRUE:
		return 1;
	case JSON_STRING:
		s = S(v);
		if (*s == '\0')
			return 0;
		r = strtoll(s, &end, 0);
		if (*end != '\0')
			return 0;
		/* Go's base 0 reads a leading 0 as octal, as strtoll does */
		return r;
	default:
		return 0;
	}
}

static double
sprig_float(const struct gd_tval *v)
{
	const char *s;
	char *end;
	double r;

	if (v->o != NULL || v->j == NULL)
		return 0;
	switch (json_typeof(v->j)) {
	case JSON_INTEGER:
		return (double)json_integer_value(v->j);
	case JSON_REAL:
		return json_real_value(v->j);
	case JSON_TRUE:
		return 1;
	case JSON_STRING:
		s = S(v);
		r = strtod(s, &end);
		return *s != '\0' && *end == '\0' ? r : 0;
	default:
		return 0;
	}
}

/* --- strings ----------------------------------------------------------------
 */

FN(f_trim)
{
	const char *s = S(&a[0]);
	size_t l = SL(&a[0]);

	UNUSED_ARGS;
	while (l > 0 && isspace((unsigned char)*s))
		s++, l--;
	while (l > 0 && isspace((unsigned char)s[l - 1]))
		l--;
	set_str(out, s, l);
	return 0;
}

FN(f_trim_all)
{
	const char *cut = S(&a[0]), *s = S(&a[1]);
	size_t l = SL(&a[1]);

	UNUSED_ARGS;
	while (l > 0 && strchr(cut, *s) != NULL)
		s++, l--;
	while (l > 0 && strchr(cut, s[l - 1]) != NULL)
		l--;
	set_str(out, s, l);
	return 0;
}

FN(f_trim_prefix)
{
	size_t pl = SL(&a[0]);

	UNUSED_ARGS;
	if (SL(&a[1]) >= pl && memcmp(S(&a[1]), S(&a[0]), pl) == 0)
		set_str(out, S(&a[1]) + pl, SL(&a[1]) - pl);
	else
		*out = gd_tval_copy(&a[1]);
	return 0;
}

FN(f_trim_suffix)
{
	size_t pl = SL(&a[0]), l = SL(&a[1]);

	UNUSED_ARGS;
	if (l >= pl && memcmp(S(&a[1]) + l - pl, S(&a[0]), pl) == 0)
		set_str(out, S(&a[1]), l - pl);
	else
		*out = gd_tval_copy(&a[1]);
	return 0;
}

static int
sprig_case(struct gd_tval *out, struct gd_tval *a, int mode)
{
	char *s = xmalloc(SL(&a[0]) + 1);
	size_t i;
	bool prev_letter = false;

	memcpy(s, S(&a[0]), SL(&a[0]) + 1);
	for (i = 0; i < SL(&a[0]); i++) {
		unsigned char ch = (unsigned char)s[i];

		if (mode == 'u')
			s[i] = (char)toupper(ch);
		else if (mode == 'l')
			s[i] = (char)tolower(ch);
		else if (mode == 't') {
			if (!prev_letter)
				s[i] = (char)toupper(ch);
			prev_letter = isalnum(ch) || ch == '_' || ch == '\'' ||
			    ch >= 0x80;
		}
	}
	set_str(out, s, SL(&a[0]));
	free(s);
	return 0;
}

FN(f_upper)
{
	UNUSED_ARGS;
	return sprig_case(out, a, 'u');
}

FN(f_lower)
{
	UNUSED_ARGS;
	return sprig_case(out, a, 'l');
}

FN(f_title)
{
	UNUSED_ARGS;
	return sprig_case(out, a, 't');
}

FN(f_replace)
{
	const char *old = S(&a[0]), *src = S(&a[2]), *p;
	size_t ol = SL(&a[0]), sl = SL(&a[2]), i = 0;
	struct gd_buf b;

	UNUSED_ARGS;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	if (ol == 0) {
		/* Go inserts new around every rune */
		for (i = 0; i <= sl; i++) {
			gd_buf_add(&b, S(&a[1]), SL(&a[1]));
			if (i < sl)
				gd_buf_addc(&b, src[i]);
		}
		set_buf(out, &b);
		return 0;
	}
	while (i < sl) {
		p = sl - i >= ol ? memchr(src + i, old[0], sl - i - ol + 1) :
				   NULL;
		while (p != NULL && memcmp(p, old, ol) != 0)
			p = (size_t)(p - src) + 1 + ol <= sl ?
			    memchr(p + 1, old[0], sl - (size_t)(p - src) - ol) :
			    NULL;
		if (p == NULL) {
			gd_buf_add(&b, src + i, sl - i);
			break;
		}
		gd_buf_add(&b, src + i, (size_t)(p - src) - i);
		gd_buf_add(&b, S(&a[1]), SL(&a[1]));
		i = (size_t)(p - src) + ol;
	}
	set_buf(out, &b);
	return 0;
}

static bool
sprig_contains(const char *s, size_t sl, const char *sub, size_t bl)
{
	size_t i;

	if (bl == 0)
		return true;
	for (i = 0; i + bl <= sl; i++)
		if (memcmp(s + i, sub, bl) == 0)
			return true;
	return false;
}

FN(f_contains)
{
	UNUSED_ARGS;
	*out = gd_tval_json(json_boolean(
	    sprig_contains(S(&a[1]), SL(&a[1]), S(&a[0]), SL(&a[0]))));
	return 0;
}

FN(f_has_prefix)
{
	UNUSED_ARGS;
	*out = gd_tval_json(json_boolean(SL(&a[1]) >= SL(&a[0]) &&
	    memcmp(S(&a[1]), S(&a[0]), SL(&a[0])) == 0));
	return 0;
}

FN(f_has_suffix)
{
	UNUSED_ARGS;
	*out = gd_tval_json(json_boolean(SL(&a[1]) >= SL(&a[0]) &&
	    memcmp(S(&a[1]) + SL(&a[1]) - SL(&a[0]), S(&a[0]), SL(&a[0])) ==
		0));
	return 0;
}

static void
sprig_indent(struct gd_buf *b, json_int_t n, const char *s, size_t l)
{
	const char *p = s, *end = s + l, *nl;
	size_t lines = 1, pad = n > 0 ? (size_t)n : 0, k;
	char *w;

	for (nl = s; (nl = memchr(nl, '\n', (size_t)(end - nl))) != NULL; nl++)
		lines++;
	gd_buf_reserve(b, l + lines * pad);
	w = b->data + b->len;
	memset(w, ' ', pad);
	w += pad;
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		k = (size_t)(nl + 1 - p);
		memcpy(w, p, k);
		w += k;
		memset(w, ' ', pad);
		w += pad;
		p = nl + 1;
	}
	memcpy(w, p, (size_t)(end - p));
	w += end - p;
	b->len = (size_t)(w - b->data);
	b->data[b->len] = '\0';
}

FN(f_indent)
{
	struct gd_buf b;
	int rc;

	UNUSED_ARGS;
	if (json_integer_value(a[0].j) > 4096)
		return gd_err_set(err, GD_ETOOBIG, "indent too large");
	if ((rc = gd_tmpl_call_charge(c, SL(&a[1]), err)) < 0)
		return rc;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	sprig_indent(&b, json_integer_value(a[0].j), S(&a[1]), SL(&a[1]));
	set_buf(out, &b);
	return 0;
}

FN(f_nindent)
{
	struct gd_buf b;
	int rc;

	UNUSED_ARGS;
	if (json_integer_value(a[0].j) > 4096)
		return gd_err_set(err, GD_ETOOBIG, "indent too large");
	if ((rc = gd_tmpl_call_charge(c, SL(&a[1]), err)) < 0)
		return rc;
	gd_buf_init(&b);
	gd_buf_addc(&b, '\n');
	sprig_indent(&b, json_integer_value(a[0].j), S(&a[1]), SL(&a[1]));
	set_buf(out, &b);
	return 0;
}

FN(f_trunc)
{
	json_int_t k = json_integer_value(a[0].j);
	json_int_t l = (json_int_t)SL(&a[1]);

	UNUSED_ARGS;
	if (k < 0 && l + k > 0)
		set_str(out, S(&a[1]) + l + k, (size_t)-k);
	else if (k >= 0 && l > k)
		set_str(out, S(&a[1]), (size_t)k);
	else
		*out = gd_tval_copy(&a[1]);
	return 0;
}

FN(f_repeat)
{
	json_int_t k = json_integer_value(a[0].j), i;
	struct gd_buf b;
	int rc;

	UNUSED_ARGS;
	if (k < 0)
		return gd_err_set(
		    err, GD_EINVAL, "strings: negative Repeat count");
	if ((rc = gd_tmpl_call_charge(c, (size_t)k * (SL(&a[1]) + 1), err)) < 0)
		return rc;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	for (i = 0; i < k; i++)
		gd_buf_add(&b, S(&a[1]), SL(&a[1]));
	set_buf(out, &b);
	return 0;
}

FN(f_substr)
{
	json_int_t s = json_integer_value(a[0].j),
		   e = json_integer_value(a[1].j);
	json_int_t l = (json_int_t)SL(&a[2]);

	UNUSED_ARGS;
	/* Sprig slices as Go does, and Go's out-of-range is a panic */
	if (s < 0) {
		if (e < 0 || e > l)
			return gd_err_set(err, GD_EINVAL,
			    "runtime error: slice bounds out of range [:%lld] "
			    "with length %lld",
			    (long long)e, (long long)l);
		s = 0;
	} else if (e < 0 || e > l) {
		if (s > l)
			return gd_err_set(err, GD_EINVAL,
			    "runtime error: slice bounds out of range "
			    "[%lld:%lld]",
			    (long long)s, (long long)l);
		e = l;
	} else if (s > e)
		return gd_err_set(err, GD_EINVAL,
		    "runtime error: slice bounds out of range [%lld:%lld]",
		    (long long)s, (long long)e);
	set_str(out, S(&a[2]) + s, (size_t)(e - s));
	return 0;
}

FN(f_nospace)
{
	struct gd_buf b;
	size_t i;

	UNUSED_ARGS;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	for (i = 0; i < SL(&a[0]); i++)
		if (!isspace((unsigned char)S(&a[0])[i]))
			gd_buf_addc(&b, S(&a[0])[i]);
	set_buf(out, &b);
	return 0;
}

FN(f_to_string)
{
	struct gd_buf b;

	UNUSED_ARGS;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	helm_strval(&b, &a[0]);
	set_buf(out, &b);
	return 0;
}

/* Go's %q of a string (strconv.Quote), for quote. */
static void
sprig_goquote(struct gd_buf *b, const char *s, size_t l)
{
	struct gd_tval v = gd_tval_json(json_stringn_nocheck(s, l));

	gd_tmpl_fmt_printf(b, "%q", 2, &v, 1);
	gd_tval_dispose(&v);
}

FN(f_quote)
{
	struct gd_buf b, t;
	size_t i, k = 0;

	UNUSED_ARGS;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	for (i = 0; i < n; i++) {
		if (a[i].o == NULL && (a[i].j == NULL || json_is_null(a[i].j)))
			continue;
		if (k++ > 0)
			gd_buf_addc(&b, ' ');
		gd_buf_init(&t);
		gd_buf_add(&t, "", 0);
		helm_strval(&t, &a[i]);
		sprig_goquote(&b, t.data, t.len);
		gd_buf_dispose(&t);
	}
	set_buf(out, &b);
	return 0;
}

FN(f_squote)
{
	struct gd_buf b;
	size_t i, k = 0;

	UNUSED_ARGS;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	for (i = 0; i < n; i++) {
		if (a[i].o == NULL && (a[i].j == NULL || json_is_null(a[i].j)))
			continue;
		if (k++ > 0)
			gd_buf_addc(&b, ' ');
		gd_buf_addc(&b, '\'');
		helm_strval(&b, &a[i]);
		gd_buf_addc(&b, '\'');
	}
	set_buf(out, &b);
	return 0;
}

FN(f_cat)
{
	struct gd_buf b;
	size_t i, k = 0;

	UNUSED_ARGS;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	for (i = 0; i < n; i++) {
		if (a[i].o == NULL && (a[i].j == NULL || json_is_null(a[i].j)))
			continue;
		if (k++ > 0)
			gd_buf_addc(&b, ' ');
		gd_tmpl_fmt_value(&b, &a[i]);
	}
	set_buf(out, &b);
	return 0;
}

FN(f_b64enc)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *d = (const unsigned char *)S(&a[0]);
	size_t l = SL(&a[0]), k;
	struct gd_buf b;

	UNUSED_ARGS;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	for (k = 0; k + 2 < l; k += 3) {
		gd_buf_addc(&b, tab[d[k] >> 2]);
		gd_buf_addc(&b, tab[((d[k] & 3) << 4) | (d[k + 1] >> 4)]);
		gd_buf_addc(&b, tab[((d[k + 1] & 15) << 2) | (d[k + 2] >> 6)]);
		gd_buf_addc(&b, tab[d[k + 2] & 63]);
	}
	if (l - k == 1) {
		gd_buf_addc(&b, tab[d[k] >> 2]);
		gd_buf_addc(&b, tab[(d[k] & 3) << 4]);
		gd_buf_adds(&b, "==");
	} else if (l - k == 2) {
		gd_buf_addc(&b, tab[d[k] >> 2]);
		gd_buf_addc(&b, tab[((d[k] & 3) << 4) | (d[k + 1] >> 4)]);
		gd_buf_addc(&b, tab[(d[k + 1] & 15) << 2]);
		gd_buf_addc(&b, '=');
	}
	set_buf(out, &b);
	return 0;
}

static int
b64val(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

FN(f_b64dec)
{
	const char *s = S(&a[0]);
	size_t l = SL(&a[0]), i;
	unsigned acc = 0;
	int bits = 0, v;
	struct gd_buf b;

	UNUSED_ARGS;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	for (i = 0; i < l; i++) {
		if (s[i] == '=')
			break;
		if ((v = b64val((unsigned char)s[i])) < 0) {
			gd_buf_reset(&b);
			gd_buf_printf(
			    &b, "illegal base64 data at input byte %zu", i);
			set_buf(out, &b);
			return 0;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			gd_buf_addc(&b, (char)((acc >> bits) & 0xFF));
		}
	}
	set_buf(out, &b);
	return 0;
}

/* --- defaults and logic ----------------------------------------------------
 */

FN(f_default)
{
	UNUSED_ARGS;
	if (n < 2 || sprig_empty(&a[1]))
		*out = gd_tval_copy(&a[0]);
	else
		*out = gd_tval_copy(&a[1]);
	return 0;
}

FN(f_empty)
{
	UNUSED_ARGS;
	*out = gd_tval_json(json_boolean(sprig_empty(&a[0])));
	return 0;
}

FN(f_coalesce)
{
	size_t i;

	UNUSED_ARGS;
	for (i = 0; i < n; i++) {
		if (!sprig_empty(&a[i])) {
			*out = gd_tval_copy(&a[i]);
			return 0;
		}
	}
	*out = gd_tval_json(json_null());
	return 0;
}

/* all and any: Sprig's empty over every argument */
FN(f_all)
{
	size_t i;

	UNUSED_ARGS;
	for (i = 0; i < n && !sprig_empty(&a[i]); i++)
		;
	*out = gd_tval_json(json_boolean(i == n));
	return 0;
}

FN(f_any)
{
	size_t i;

	UNUSED_ARGS;
	for (i = 0; i < n && sprig_empty(&a[i]); i++)
		;
	*out = gd_tval_json(json_boolean(i < n));
	return 0;
}

FN(f_hello)
{
	UNUSED_ARGS;
	(void)a;
	*out = gd_tval_json(json_string_nocheck("Hello!"));
	return 0;
}

FN(f_ternary)
{
	UNUSED_ARGS;
	*out = gd_tval_copy(json_is_true(a[2].j) ? &a[0] : &a[1]);
	return 0;
}

/* --- numbers ----------------------------------------------------------------
 */

FN(f_int)
{
	UNUSED_ARGS;
	*out = gd_tval_json(json_integer(sprig_int(&a[0])));
	return 0;
}

FN(f_float64)
{
	UNUSED_ARGS;
	*out = gd_tval_json(json_real(sprig_float(&a[0])));
	return 0;
}

static int
sprig_arith(struct gd_tval *out, struct gd_tval *a, size_t n, char op,
    struct gd_err *err)
{
	json_int_t r = n > 0 ? sprig_int(&a[0]) : 0, x;
	size_t i;

	for (i = 1; i < n; i++) {
		x = sprig_int(&a[i]);
		switch (op) {
		case '+':
			r += x;
			break;
		case '-':
			r -= x;
			break;
		case '*':
			r *= x;
			break;
		case '/':
		case '%':
			if (x == 0)
				return gd_err_set(err, GD_EINVAL,
				    "runtime error: integer divide by zero");
			r = op == '/' ? r / x : r % x;
			break;
		case '>':
			r = x > r ? x : r;
			break;
		case '<':
			r = x < r ? x : r;
			break;
		}
	}
	*out = gd_tval_json(json_integer(r));
	return 0;
}

FN(f_add)
{
	UNUSED_ARGS;
	return sprig_arith(out, a, n, '+', err);
}

FN(f_add1)
{
	UNUSED_ARGS;
	*out = gd_tval_json(json_integer(sprig_int(&a[0]) + 1));
	return 0;
}

FN(f_sub)
{
	UNUSED_ARGS;
	return sprig_arith(out, a, n, '-', err);
}

FN(f_mul)
{
	UNUSED_ARGS;
	return sprig_arith(out, a, n, '*', err);
}

FN(f_div)
{
	UNUSED_ARGS;
	return sprig_arith(out, a, n, '/', err);
}

FN(f_mod)
{
	UNUSED_ARGS;
	return sprig_arith(out, a, n, '%', err);
}

FN(f_max)
{
	UNUSED_ARGS;
	return sprig_arith(out, a, n, '>', err);
}

FN(f_min)
{
	UNUSED_ARGS;
	return sprig_arith(out, a, n, '<', err);
}

FN(f_until)
{
	json_int_t k = json_integer_value(a[0].j), i;
	json_t *l = json_array();
	int rc;

	UNUSED_ARGS;
	if (k > 0 && (rc = gd_tmpl_call_charge(c, (size_t)k, err)) < 0) {
		json_decref(l);
		return rc;
	}
	for (i = 0; i < k; i++)
		json_array_append_new(l, json_integer(i));
	*out = gd_tval_json(l);
	return 0;
}

/* --- lists ------------------------------------------------------------------
 */

static int
sprig_need_list(const struct gd_tval *v, const char *fn, struct gd_err *err)
{
	if (v->o == NULL && json_is_array(v->j))
		return 0;
	return gd_err_set(err, GD_EINVAL, "Cannot find %s on type %s", fn,
	    gd_tval_typename(v));
}

FN(f_list)
{
	json_t *l = json_array();
	size_t i;

	UNUSED_ARGS;
	for (i = 0; i < n; i++)
		json_array_append_new(l, gd_tmpl_call_to_json(c, &a[i]));
	*out = gd_tval_json(l);
	return 0;
}

FN(f_first)
{
	int rc;

	UNUSED_ARGS;
	if ((rc = sprig_need_list(&a[0], "first", err)) < 0)
		return rc;
	*out = json_array_size(a[0].j) ?
	    gd_tval_elem(json_array_get(a[0].j, 0)) :
	    gd_tval_json(json_null());
	return 0;
}

FN(f_last)
{
	size_t l;
	int rc;

	UNUSED_ARGS;
	if ((rc = sprig_need_list(&a[0], "last", err)) < 0)
		return rc;
	l = json_array_size(a[0].j);
	*out = l ? gd_tval_elem(json_array_get(a[0].j, l - 1)) :
		   gd_tval_json(json_null());
	return 0;
}

FN(f_rest)
{
	json_t *l;
	size_t i;
	int rc;

	UNUSED_ARGS;
	if ((rc = sprig_need_list(&a[0], "rest", err)) < 0)
		return rc;
	l = json_array();
	for (i = 1; i < json_array_size(a[0].j); i++)
		json_array_append(l, json_array_get(a[0].j, i));
	*out = gd_tval_json(l);
	return 0;
}

FN(f_append)
{
	json_t *l;

	UNUSED_ARGS;
	if (a[0].o != NULL || !json_is_array(a[0].j))
		return gd_err_set(err, GD_EINVAL, "Cannot push on type %s",
		    gd_tval_typename(&a[0]));
	l = json_copy(a[0].j);
	json_array_append_new(l, gd_tmpl_call_to_json(c, &a[1]));
	*out = gd_tval_json(l);
	return 0;
}

FN(f_has)
{
	size_t i;
	bool found = false;

	UNUSED_ARGS;
	if (a[1].o == NULL && json_is_array(a[1].j))
		for (i = 0; i < json_array_size(a[1].j) && !found; i++)
			found = a[0].j != NULL &&
			    json_equal(json_array_get(a[1].j, i), a[0].j);
	*out = gd_tval_json(json_boolean(found));
	return 0;
}

FN(f_join)
{
	struct gd_buf b;
	struct gd_tval e;
	size_t i, k = 0;

	UNUSED_ARGS;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	if (a[1].o == NULL && json_is_array(a[1].j)) {
		for (i = 0; i < json_array_size(a[1].j); i++) {
			e = gd_tval_elem(json_array_get(a[1].j, i));
			if (!json_is_null(e.j) || e.o != NULL) {
				if (k++ > 0)
					gd_buf_add(&b, S(&a[0]), SL(&a[0]));
				helm_strval(&b, &e);
			}
			gd_tval_dispose(&e);
		}
	} else if (a[1].o != NULL || (a[1].j != NULL && !json_is_null(a[1].j)))
		helm_strval(&b, &a[1]);
	set_buf(out, &b);
	return 0;
}

static json_t *
sprig_split(const char *sep, size_t sepl, const char *s, size_t l, bool map)
{
	json_t *r = map ? json_object() : json_array();
	size_t i = 0, st = 0, idx = 0;
	char key[32];

	for (;;) {
		bool at_end = i + sepl > l || sepl == 0;

		if (at_end || memcmp(s + i, sep, sepl) == 0) {
			size_t end = at_end ? l : i;
			json_t *part = json_stringn_nocheck(s + st, end - st);

			if (map) {
				snprintf(key, sizeof(key), "_%zu", idx++);
				json_object_set_new_nocheck(r, key, part);
			} else
				json_array_append_new(r, part);
			if (at_end)
				break;
			i += sepl;
			st = i;
			continue;
		}
		i++;
	}
	return r;
}

FN(f_split_list)
{
	UNUSED_ARGS;
	*out = gd_tval_json(
	    sprig_split(S(&a[0]), SL(&a[0]), S(&a[1]), SL(&a[1]), false));
	return 0;
}

FN(f_split)
{
	UNUSED_ARGS;
	*out = gd_tval_json(
	    sprig_split(S(&a[0]), SL(&a[0]), S(&a[1]), SL(&a[1]), true));
	return 0;
}

static int
sprig_cmp_str(const void *x, const void *y)
{
	return strcmp(json_string_value(*(json_t *const *)x),
	    json_string_value(*(json_t *const *)y));
}

FN(f_sort_alpha)
{
	json_t **v, *l = json_array();
	struct gd_buf b;
	struct gd_tval e;
	size_t i, k;

	UNUSED_ARGS;
	if (a[0].o != NULL || !json_is_array(a[0].j)) {
		gd_buf_init(&b);
		gd_buf_add(&b, "", 0);
		helm_strval(&b, &a[0]);
		json_array_append_new(l, json_stringn_nocheck(b.data, b.len));
		gd_buf_dispose(&b);
		*out = gd_tval_json(l);
		return 0;
	}
	k = json_array_size(a[0].j);
	v = xcalloc(k + 1, sizeof(*v));
	for (i = 0; i < k; i++) {
		gd_buf_init(&b);
		gd_buf_add(&b, "", 0);
		e = gd_tval_elem(json_array_get(a[0].j, i));
		helm_strval(&b, &e);
		gd_tval_dispose(&e);
		v[i] = json_stringn_nocheck(b.data, b.len);
		gd_buf_dispose(&b);
	}
	qsort(v, k, sizeof(*v), sprig_cmp_str);
	for (i = 0; i < k; i++)
		json_array_append_new(l, v[i]);
	free(v);
	*out = gd_tval_json(l);
	return 0;
}

FN(f_uniq)
{
	json_t *l;
	size_t i, j;
	int rc;

	UNUSED_ARGS;
	if ((rc = sprig_need_list(&a[0], "uniq", err)) < 0)
		return rc;
	l = json_array();
	for (i = 0; i < json_array_size(a[0].j); i++) {
		for (j = 0; j < json_array_size(l); j++)
			if (json_equal(json_array_get(l, j),
				json_array_get(a[0].j, i)))
				break;
		if (j == json_array_size(l))
			json_array_append(l, json_array_get(a[0].j, i));
	}
	*out = gd_tval_json(l);
	return 0;
}

FN(f_compact)
{
	struct gd_tval e;
	json_t *l;
	size_t i;
	int rc;

	UNUSED_ARGS;
	if ((rc = sprig_need_list(&a[0], "compact", err)) < 0)
		return rc;
	l = json_array();
	for (i = 0; i < json_array_size(a[0].j); i++) {
		e = gd_tval_elem(json_array_get(a[0].j, i));
		if (!sprig_empty(&e))
			json_array_append(l, json_array_get(a[0].j, i));
		gd_tval_dispose(&e);
	}
	*out = gd_tval_json(l);
	return 0;
}

/* --- dicts ------------------------------------------------------------------
 */

FN(f_dict)
{
	json_t *d = json_object();
	struct gd_buf k;
	size_t i;

	UNUSED_ARGS;
	for (i = 0; i < n; i += 2) {
		gd_buf_init(&k);
		gd_buf_add(&k, "", 0);
		helm_strval(&k, &a[i]);
		json_object_set_new_nocheck(d, k.data,
		    i + 1 < n ? gd_tmpl_call_to_json(c, &a[i + 1]) :
				json_string_nocheck(""));
		gd_buf_dispose(&k);
	}
	*out = gd_tval_json(d);
	return 0;
}

FN(f_get)
{
	json_t *v = json_object_get(a[0].j, S(&a[1]));

	UNUSED_ARGS;
	*out =
	    v != NULL ? gd_tval_elem(v) : gd_tval_json(json_string_nocheck(""));
	return 0;
}

FN(f_set)
{
	UNUSED_ARGS;
	if (json_is_null(a[0].j))
		return gd_err_set(
		    err, GD_EINVAL, "assignment to entry in nil map");
	json_object_set_new_nocheck(
	    a[0].j, S(&a[1]), gd_tmpl_call_to_json(c, &a[2]));
	*out = gd_tval_copy(&a[0]);
	return 0;
}

FN(f_unset)
{
	UNUSED_ARGS;
	if (json_is_object(a[0].j))
		json_object_del(a[0].j, S(&a[1]));
	*out = gd_tval_copy(&a[0]);
	return 0;
}

FN(f_has_key)
{
	UNUSED_ARGS;
	*out = gd_tval_json(json_boolean(
	    json_is_object(a[0].j) && json_object_get(a[0].j, S(&a[1]))));
	return 0;
}

FN(f_keys)
{
	json_t *l = json_array();
	const char *k;
	json_t *v;
	size_t i;

	UNUSED_ARGS;
	for (i = 0; i < n; i++)
		json_object_foreach(a[i].j, k, v) {
			json_array_append_new(l, json_string_nocheck(k));
		}
	*out = gd_tval_json(l);
	return 0;
}

FN(f_values)
{
	json_t *l = json_array();
	const char *k;
	json_t *v;

	UNUSED_ARGS;
	json_object_foreach(a[0].j, k, v) {
		json_array_append(l, v);
	}
	*out = gd_tval_json(l);
	return 0;
}

FN(f_pick)
{
	json_t *d = json_object(), *v;
	size_t i;

	UNUSED_ARGS;
	for (i = 1; i < n; i++)
		if ((v = json_object_get(a[0].j, S(&a[i]))) != NULL)
			json_object_set_nocheck(d, S(&a[i]), v);
	*out = gd_tval_json(d);
	return 0;
}

FN(f_omit)
{
	json_t *d = json_object(), *v;
	const char *k;
	size_t i;

	UNUSED_ARGS;
	json_object_foreach(a[0].j, k, v) {
		for (i = 1; i < n; i++)
			if (strcmp(k, S(&a[i])) == 0)
				break;
		if (i == n)
			json_object_set_nocheck(d, k, v);
	}
	*out = gd_tval_json(d);
	return 0;
}

/* mergo.Merge: dst keeps what it has; missing (or nil) keys come from src. */
static void
sprig_merge(json_t *dst, const json_t *src, bool overwrite)
{
	const char *k;
	json_t *v, *d;

	json_object_foreach((json_t *)src, k, v) {
		d = json_object_get(dst, k);
		if (json_is_object(d) && json_is_object(v) &&
		    gd_tmpl_obj_of(d) == NULL)
			sprig_merge(d, v, overwrite);
		else if (d == NULL || json_is_null(d) ||
		    (overwrite && !json_is_null(v)))
			json_object_set_new_nocheck(dst, k, json_deep_copy(v));
	}
}

static int
sprig_merge_fn(struct gd_tval *out, struct gd_tval *a, size_t n, bool overwrite,
    struct gd_err *err)
{
	size_t i;

	if (!json_is_object(a[0].j))
		return gd_err_set(
		    err, GD_EINVAL, "assignment to entry in nil map");
	for (i = 1; i < n; i++)
		if (json_is_object(a[i].j))
			sprig_merge(a[0].j, a[i].j, overwrite);
	*out = gd_tval_copy(&a[0]);
	return 0;
}

FN(f_merge)
{
	UNUSED_ARGS;
	return sprig_merge_fn(out, a, n, false, err);
}

FN(f_merge_overwrite)
{
	UNUSED_ARGS;
	return sprig_merge_fn(out, a, n, true, err);
}

FN(f_deep_copy)
{
	UNUSED_ARGS;
	*out = gd_tval_json(a[0].j ? json_deep_copy(a[0].j) : json_null());
	return 0;
}

FN(f_dig)
{
	const json_t *cur = a[n - 1].j;
	size_t i;

	UNUSED_ARGS;
	for (i = 0; i + 2 < n; i++) {
		cur = json_object_get(cur, S(&a[i]));
		if (cur == NULL) {
			*out = gd_tval_copy(&a[n - 2]);
			return 0;
		}
	}
	*out = gd_tval_elem((json_t *)cur);
	return 0;
}

/* --- types -------------------------------------------------------------------
 */

static const char *
sprig_kind(const struct gd_tval *v)
{
	if (v->o != NULL)
		return "ptr";
	if (v->j == NULL || json_is_null(v->j))
		return "invalid";
	switch (json_typeof(v->j)) {
	case JSON_OBJECT:
		return "map";
	case JSON_ARRAY:
		return "slice";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "int";
	case JSON_REAL:
		return "float64";
	default:
		return "bool";
	}
}

FN(f_kind_of)
{
	UNUSED_ARGS;
	*out = gd_tval_json(json_string_nocheck(sprig_kind(&a[0])));
	return 0;
}

FN(f_kind_is)
{
	UNUSED_ARGS;
	*out = gd_tval_json(
	    json_boolean(strcmp(S(&a[0]), sprig_kind(&a[1])) == 0));
	return 0;
}

FN(f_type_of)
{
	UNUSED_ARGS;
	*out = gd_tval_json(json_string_nocheck(a[0].j && json_is_null(a[0].j) ?
		"<nil>" :
		gd_tval_typename(&a[0])));
	return 0;
}

FN(f_type_is)
{
	UNUSED_ARGS;
	*out = gd_tval_json(
	    json_boolean(strcmp(S(&a[0]), gd_tval_typename(&a[1])) == 0));
	return 0;
}

const struct gd_tmpl_func helm_sprig_funcs[] = {
	{ "add", f_add, "v*", NULL, 0 },
	{ "add1", f_add1, "v", NULL, 0 },
	{ "all", f_all, "v*", NULL, 0 },
	{ "any", f_any, "v*", NULL, 0 },
	{ "append", f_append, "vv", NULL, 0 },
	{ "b64dec", f_b64dec, "s", NULL, 0 },
	{ "b64enc", f_b64enc, "s", NULL, 0 },
	{ "biggest", f_max, "vv*", NULL, 0 },
	{ "cat", f_cat, "v*", NULL, 0 },
	{ "coalesce", f_coalesce, "v*", NULL, 0 },
	{ "compact", f_compact, "v", NULL, 0 },
	{ "contains", f_contains, "ss", NULL, 0 },
	{ "deepCopy", f_deep_copy, "v", NULL, 0 },
	{ "default", f_default, "vv*", NULL, 0 },
	{ "dict", f_dict, "v*", NULL, 0 },
	{ "dig", f_dig, "v*", NULL, 0 },
	{ "div", f_div, "vv", NULL, 0 },
	{ "empty", f_empty, "v", NULL, 0 },
	{ "first", f_first, "v", NULL, 0 },
	{ "float64", f_float64, "v", NULL, 0 },
	{ "get", f_get, "ms", NULL, 0 },
	{ "has", f_has, "vv", NULL, 0 },
	{ "hasKey", f_has_key, "ms", NULL, 0 },
	{ "hasPrefix", f_has_prefix, "ss", NULL, 0 },
	{ "hasSuffix", f_has_suffix, "ss", NULL, 0 },
	{ "hello", f_hello, "", NULL, 0 },
	{ "indent", f_indent, "is", NULL, 0 },
	{ "int", f_int, "v", NULL, 0 },
	{ "int64", f_int, "v", NULL, 0 },
	{ "join", f_join, "sv", NULL, 0 },
	{ "keys", f_keys, "m*", NULL, 0 },
	{ "kindIs", f_kind_is, "sv", NULL, 0 },
	{ "kindOf", f_kind_of, "v", NULL, 0 },
	{ "last", f_last, "v", NULL, 0 },
	{ "list", f_list, "v*", NULL, 0 },
	{ "lower", f_lower, "s", NULL, 0 },
	{ "max", f_max, "vv*", NULL, 0 },
	{ "merge", f_merge, "mm*", NULL, GD_TMPL_FN_VARIES },
	{ "mergeOverwrite", f_merge_overwrite, "mm*", NULL, GD_TMPL_FN_VARIES },
	{ "min", f_min, "vv*", NULL, 0 },
	{ "mod", f_mod, "vv", NULL, 0 },
	{ "mul", f_mul, "vv*", NULL, 0 },
	{ "mustAppend", f_append, "vv", NULL, 0 },
	{ "mustCompact", f_compact, "v", NULL, 0 },
	{ "mustDeepCopy", f_deep_copy, "v", NULL, 0 },
	{ "mustFirst", f_first, "v", NULL, 0 },
	{ "mustHas", f_has, "vv", NULL, 0 },
	{ "mustLast", f_last, "v", NULL, 0 },
	{ "mustMerge", f_merge, "mm*", NULL, GD_TMPL_FN_VARIES },
	{ "mustMergeOverwrite", f_merge_overwrite, "mm*", NULL,
	    GD_TMPL_FN_VARIES },
	{ "mustPush", f_append, "vv", NULL, 0 },
	{ "mustRest", f_rest, "v", NULL, 0 },
	{ "mustUniq", f_uniq, "v", NULL, 0 },
	{ "nindent", f_nindent, "is", NULL, 0 },
	{ "nospace", f_nospace, "s", NULL, 0 },
	{ "omit", f_omit, "ms*", NULL, 0 },
	{ "pick", f_pick, "ms*", NULL, 0 },
	{ "push", f_append, "vv", NULL, 0 },
	{ "quote", f_quote, "v*", NULL, 0 },
	{ "repeat", f_repeat, "is", NULL, 0 },
	{ "replace", f_replace, "sss", NULL, 0 },
	{ "rest", f_rest, "v", NULL, 0 },
	{ "set", f_set, "msv", NULL, GD_TMPL_FN_VARIES },
	{ "sortAlpha", f_sort_alpha, "v", NULL, 0 },
	{ "split", f_split, "ss", NULL, 0 },
	{ "splitList", f_split_list, "ss", NULL, 0 },
	{ "squote", f_squote, "v*", NULL, 0 },
	{ "sub", f_sub, "vv", NULL, 0 },
	{ "substr", f_substr, "iis", NULL, 0 },
	{ "ternary", f_ternary, "vvb", NULL, 0 },
	{ "title", f_title, "s", NULL, 0 },
	{ "toString", f_to_string, "v", NULL, 0 },
	{ "trim", f_trim, "s", NULL, 0 },
	{ "trimAll", f_trim_all, "ss", NULL, 0 },
	{ "trimall", f_trim_all, "ss", NULL, 0 },
	{ "trimPrefix", f_trim_prefix, "ss", NULL, 0 },
	{ "trimSuffix", f_trim_suffix, "ss", NULL, 0 },
	{ "trunc", f_trunc, "is", NULL, 0 },
	{ "tuple", f_list, "v*", NULL, 0 },
	{ "typeIs", f_type_is, "sv", NULL, 0 },
	{ "typeOf", f_type_of, "v", NULL, 0 },
	{ "uniq", f_uniq, "v", NULL, 0 },
	{ "unset", f_unset, "ms", NULL, GD_TMPL_FN_VARIES },
	{ "until", f_until, "i", NULL, 0 },
	{ "upper", f_upper, "s", NULL, 0 },
	{ "values", f_values, "m", NULL, 0 },
	{ NULL, NULL, NULL, NULL, 0 },
};
