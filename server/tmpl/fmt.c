/* SPDX-License-Identifier: ISC */
/*
 * Go's fmt over template values: what {{ x }}, print, printf and println
 * write.
 *
 * The hard part is the float: Go prints a float64 with %v as
 * strconv.FormatFloat(f, 'g', -1, 64), the shortest digits that read
 * back as the same double, in exponent form when the exponent is below
 * -4 or at least 6 (so 1e6 is "1e+06" and 123456 is "123456"), which no
 * printf in C does. The rest is Go's conventions: maps print sorted as
 * map[k:v], lists as [a b], nil as <nil>, a verb that does not fit its
 * operand as %!d(string=x), and missing or extra operands are written
 * into the output rather than failing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl_int.h"

void
tmpl_buf_init(struct gd_buf *b)
{
	gd_buf_init(b);
	gd_buf_add(b, "", 0);
}

struct fmt_spec {
	bool minus, plus, sharp, space, zero;
	bool has_width, has_prec;
	int width, prec;
	char verb;
};

/* --- floats ----------------------------------------------------------------
 */

/*
 * The shortest decimal digits of f (no dot, no trailing zeros) and the
 * decimal point position dp (value = 0.d1d2... * 10^dp), as strconv's
 * shortest mode finds them.
 */
static void
fmt_shortest(double f, char *digits, size_t cap, int *nd, int *dp)
{
	char buf[40], *e, *p;
	int prec, exp, n = 0;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, f);
		if (strtod(buf, NULL) == f)
			break;
	}
	e = strchr(buf, 'e');
	exp = (int)strtol(e + 1, NULL, 10);
	for (p = buf; p < e && (size_t)n + 1 < cap; p++)
		if (*p >= '0' && *p <= '9')
			digits[n++] = *p;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	*nd = n;
	*dp = exp + 1;
}

/* Decimal digits of u, without printf's cost for the common case. */
static void
fmt_digits(struct gd_buf *b, unsigned long u)
{
	char tmp[24];
	size_t k = sizeof(tmp);

	do {
		tmp[--k] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	gd_buf_add(b, tmp + k, sizeof(tmp) - k);
}

static void
fmt_float_g(struct gd_buf *b, double f, bool upper)
{
	char d[40];
	int nd, dp, exp, i;

	if (isnan(f)) {
		gd_buf_adds(b, "NaN");
		return;
	}
	if (isinf(f)) {
		gd_buf_adds(b, f > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (signbit(f)) {
		gd_buf_addc(b, '-');
		f = -f;
	}
	if (f == 0) {
		gd_buf_addc(b, '0');
		return;
	}
	if (f < 1e6 && f == (double)(long)f) {
		/* integral and short: the common case (ports, replicas) */
		fmt_digits(b, (unsigned long)f);
		return;
	}
	fmt_shortest(f, d, sizeof(d), &nd, &dp);
	exp = dp - 1;
	if (exp < -4 || exp >= 6) {
		gd_buf_addc(b, d[0]);
		if (nd > 1) {
			gd_buf_addc(b, '.');
			gd_buf_add(b, d + 1, (size_t)nd - 1);
		}
		gd_buf_printf(b, "%c%c%02d", upper ? 'E' : 'e',
		    exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
		return;
	}
	if (dp <= 0) {
		gd_buf_adds(b, "0.");
		for (i = 0; i < -dp; i++)
			gd_buf_addc(b, '0');
		gd_buf_add(b, d, (size_t)nd);
		return;
	}
	for (i = 0; i < dp; i++)
		gd_buf_addc(b, i < nd ? d[i] : '0');
	if (nd > dp) {
		gd_buf_addc(b, '.');
		gd_buf_add(b, d + dp, (size_t)(nd - dp));
	}
}

void
gd_tmpl_fmt_float(struct gd_buf *b, double f)
{
	fmt_float_g(b, f, false);
}

/* %e %f %g with a precision, where C and Go agree but for NaN and Inf. */
static void
fmt_float_verb(struct gd_buf *b, double f, const struct fmt_spec *sp)
{
	int prec = sp->has_prec ? sp->prec : 6;

	if (isnan(f) || isinf(f) ||
	    ((sp->verb == 'g' || sp->verb == 'G' || sp->verb == 'v') &&
		!sp->has_prec)) {
		fmt_float_g(b, f, sp->verb == 'G');
		return;
	}
	switch (sp->verb) {
	case 'e':
		gd_buf_printf(b, "%.*e", prec, f);
		break;
	case 'E':
		gd_buf_printf(b, "%.*E", prec, f);
		break;
	case 'f':
	case 'F':
		gd_buf_printf(b, "%.*f", prec, f);
		break;
	case 'G':
		gd_buf_printf(b, "%.*G", prec, f);
		break;
	default:
		gd_buf_printf(b, "%.*g", prec, f);
	}
}

/* %b of a float: strconv's 'b', mantissa "p" binary exponent. */
static void
fmt_float_bin(struct gd_buf *b, double f)
{
	unsigned long long m;
	int e;

	if (isnan(f) || isinf(f)) {
		fmt_float_g(b, f, false);
		return;
	}
	if (signbit(f)) {
		gd_buf_addc(b, '-');
		f = -f;
	}
	if (f == 0) {
		gd_buf_adds(b, "0p-1074");
		return;
	}
	m = (unsigned long long)ldexp(frexp(f, &e), 53);
	e -= 53;
	if (e < -1074) {
		m >>= (-1074 - e);
		e = -1074;
	}
	gd_buf_printf(b, "%llup%c%d", m, e < 0 ? '-' : '+', e < 0 ? -e : e);
}

/* %x of a float: C's %a with Go's two-digit exponent. */
static void
fmt_float_hex(struct gd_buf *b, double f, const struct fmt_spec *sp)
{
	char tmp[64], *p;
	size_t i;

	if (isnan(f) || isinf(f)) {
		fmt_float_g(b, f, false);
		return;
	}
	if (sp->has_prec)
		snprintf(tmp, sizeof(tmp), "%.*a", sp->prec, f);
	else
		snprintf(tmp, sizeof(tmp), "%a", f);
	p = strchr(tmp, 'p');
	if (p != NULL && strlen(p) == 3) {
		memmove(p + 3, p + 2, 2);
		p[2] = '0';
	}
	if (sp->verb == 'X')
		for (i = 0; tmp[i] != '\0'; i++)
			if (tmp[i] >= 'a' && tmp[i] <= 'z')
				tmp[i] = (char)(tmp[i] - 'a' + 'A');
	gd_buf_adds(b, tmp);
}

/* --- strings -----------------------------------------------------------------
 */

/* strconv.Quote: Go escapes, printable Unicode kept. */
static void
fmt_quote(struct gd_buf *b, const char *str, size_t len, char q)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n;
	long r;

	gd_buf_addc(b, q);
	while (i < len) {
		r = gd_utf8_rune(s + i, len - i, &n);
		if (r < 0) {
			gd_buf_printf(b, "\\x%02x", s[i]);
			i++;
			continue;
		}
		switch (r) {
		case '\a':
			gd_buf_adds(b, "\\a");
			break;
		case '\b':
			gd_buf_adds(b, "\\b");
			break;
		case '\f':
			gd_buf_adds(b, "\\f");
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
		case '\v':
			gd_buf_adds(b, "\\v");
			break;
		case '\\':
			gd_buf_adds(b, "\\\\");
			break;
		default:
			if (r == q)
				gd_buf_printf(b, "\\%c", q);
			else if (r < 0x20 || r == 0x7f)
				gd_buf_printf(b, "\\x%02lx", r);
			else if (r >= 0x80 && r < 0xA0)
				gd_buf_printf(b, "\\u%04lx", r);
			else if (r == 0xFEFF || r == 0xAD)
				gd_buf_printf(b, "\\u%04lx", r);
			else
				gd_buf_add(b, s + i, n);
		}
		i += n;
	}
	gd_buf_addc(b, q);
}

static void
fmt_utf8(struct gd_buf *b, long r)
{
	if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r < 0xE000))
		r = 0xFFFD;
	if (r < 0x80)
		gd_buf_addc(b, (char)r);
	else if (r < 0x800) {
		gd_buf_addc(b, (char)(0xC0 | (r >> 6)));
		gd_buf_addc(b, (char)(0x80 | (r & 0x3F)));
	} else if (r < 0x10000) {
		gd_buf_addc(b, (char)(0xE0 | (r >> 12)));
		gd_buf_addc(b, (char)(0x80 | ((r >> 6) & 0x3F)));
		gd_buf_addc(b, (char)(0x80 | (r & 0x3F)));
	} else {
		gd_buf_addc(b, (char)(0xF0 | (r >> 18)));
		gd_buf_addc(b, (char)(0x80 | ((r >> 12) & 0x3F)));
		gd_buf_addc(b, (char)(0x80 | ((r >> 6) & 0x3F)));
		gd_buf_addc(b, (char)(0x80 | (r & 0x3F)));
	}
}

/* --- padding ------------------------------------------------------------ */

static size_t
fmt_runes(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			c++;
	return c;
}

/* Writes s padded to the width; numbers pad zeros after their sign. */
static void
fmt_pad(struct gd_buf *b, const char *s, size_t n, const struct fmt_spec *sp,
    bool number)
{
	size_t w = fmt_runes(s, n), i, pad;

	if (number && sp->plus && n > 0 && s[0] != '-' && s[0] != '+') {
		gd_buf_addc(b, '+');
		w++;
	} else if (number && sp->space && n > 0 && s[0] != '-') {
		gd_buf_addc(b, ' ');
		w++;
	}
	pad = sp->has_width && (size_t)sp->width > w ? sp->width - w : 0;
	if (sp->minus) {
		gd_buf_add(b, s, n);
		for (i = 0; i < pad; i++)
			gd_buf_addc(b, ' ');
		return;
	}
	if (sp->zero && number && n > 0 && (s[0] == '-' || s[0] == '+')) {
		gd_buf_addc(b, s[0]);
		s++;
		n--;
	}
	for (i = 0; i < pad; i++)
		gd_buf_addc(b, sp->zero ? '0' : ' ');
	gd_buf_add(b, s, n);
}

/* --- values -----------------------------------------------------------------
 */

static void fmt_arg(struct gd_buf *, const struct gd_tval *,
    const struct fmt_spec *, int depth);
static void fmt_bad_verb_spec(
    struct gd_buf *, const struct gd_tval *, char, const struct fmt_spec *);
static void fmt_sharp_v(struct gd_buf *, const struct gd_tval *,
    const struct fmt_spec *, int depth);

static void
fmt_bad_verb_spec(struct gd_buf *b, const struct gd_tval *v, char verb,
    const struct fmt_spec *spec)
{
	struct fmt_spec sv = *spec;

	sv.verb = 'v';
	gd_buf_printf(b, "%%!%c(", verb);
	if (!gd_tval_is_valid(v) || (v->o == NULL && json_is_null(v->j))) {
		gd_buf_adds(b, "<nil>)");
		return;
	}
	gd_buf_printf(b, "%s=", gd_tval_typename(v));
	fmt_arg(b, v, &sv, 0);
	gd_buf_addc(b, ')');
}

static void
fmt_integer(struct gd_buf *b, const struct gd_tval *v, json_int_t i,
    const struct fmt_spec *sp)
{
	struct gd_buf t;
	unsigned long long u =
	    i < 0 ? 0ULL - (unsigned long long)i : (unsigned long long)i;
	const char *digits = "0123456789abcdef";
	char tmp[80];
	int base = 10, k = 0;

	tmpl_buf_init(&t);
	switch (sp->verb) {
	case 'v':
	case 'd':
		break;
	case 'b':
		base = 2;
		break;
	case 'o':
	case 'O':
		base = 8;
		break;
	case 'x':
		base = 16;
		break;
	case 'X':
		base = 16;
		digits = "0123456789ABCDEF";
		break;
	case 'c':
		fmt_utf8(&t, (long)i);
		fmt_pad(b, t.data, t.len, sp, false);
		gd_buf_dispose(&t);
		return;
	case 'q':
		if (i < 0 || i > 0x10FFFF) {
			gd_buf_adds(&t, "'\\ufffd'");
		} else {
			struct gd_buf r;

			tmpl_buf_init(&r);
			fmt_utf8(&r, (long)i);
			fmt_quote(&t, r.data, r.len, '\'');
			gd_buf_dispose(&r);
		}
		fmt_pad(b, t.data, t.len, sp, false);
		gd_buf_dispose(&t);
		return;
	case 'U':
		gd_buf_printf(&t, "U+%04llX", (unsigned long long)i);
		fmt_pad(b, t.data, t.len, sp, false);
		gd_buf_dispose(&t);
		return;
	default:
		gd_buf_dispose(&t);
		fmt_bad_verb_spec(b, v, sp->verb, sp);
		return;
	}
	do {
		tmp[k++] = digits[u % (unsigned)base];
		u /= (unsigned)base;
	} while (u > 0 && k < (int)sizeof(tmp));
	if (sp->has_prec)
		while (k < sp->prec && k < (int)sizeof(tmp) - 4)
			tmp[k++] = '0';
	if (sp->sharp && base == 16)
		tmp[k++] = sp->verb == 'X' ? 'X' : 'x', tmp[k++] = '0';
	else if ((sp->sharp && base == 8) || sp->verb == 'O')
		tmp[k++] = sp->verb == 'O' ? 'o' : '0',
		tmp[k++] = sp->verb == 'O' ? '0' : '\0';
	while (k > 0 && tmp[k - 1] == '\0')
		k--;
	if (i < 0)
		gd_buf_addc(&t, '-');
	while (k > 0)
		gd_buf_addc(&t, tmp[--k]);
	if (sp->has_prec) {
		struct fmt_spec nz = *sp;

		nz.zero = false;
		fmt_pad(b, t.data, t.len, &nz, true);
	} else
		fmt_pad(b, t.data, t.len, sp, true);
	gd_buf_dispose(&t);
}

static void
fmt_string(struct gd_buf *b, const struct gd_tval *v, const char *s, size_t n,
    const struct fmt_spec *sp)
{
	struct gd_buf t;
	size_t i, r;

	/* only %q and %x build text first: %s and %v copy s as it is */
	gd_buf_init(&t);
	if (sp->verb == 'q' || sp->verb == 'x' || sp->verb == 'X')
		gd_buf_add(&t, "", 0);
	if (sp->has_prec &&
	    (sp->verb == 's' || sp->verb == 'v' || sp->verb == 'q')) {
		for (i = 0, r = 0; i < n; i++) {
			if (((unsigned char)s[i] & 0xC0) != 0x80 &&
			    r++ == (size_t)sp->prec)
				break;
		}
		n = i;
	}
	switch (sp->verb) {
	case 'v':
	case 's':
		fmt_pad(b, s, n, sp, false);
		break;
	case 'q':
		if (sp->sharp && memchr(s, '`', n) == NULL) {
			gd_buf_addc(&t, '`');
			gd_buf_add(&t, s, n);
			gd_buf_addc(&t, '`');
		} else
			fmt_quote(&t, s, n, '"');
		fmt_pad(b, t.data, t.len, sp, false);
		break;
	case 'x':
	case 'X':
		for (i = 0; i < n; i++) {
			if (sp->space && i > 0)
				gd_buf_addc(&t, ' ');
			gd_buf_printf(&t, sp->verb == 'x' ? "%02x" : "%02X",
			    (unsigned char)s[i]);
		}
		fmt_pad(b, t.data, t.len, sp, false);
		break;
	default:
		fmt_bad_verb_spec(b, v, sp->verb, sp);
	}
	gd_buf_dispose(&t);
}

const char **
tmpl_sorted_keys(const json_t *obj, size_t *np)
{
	const char **keys, *k;
	json_t *e;
	size_t n = 0, i;

	keys = xcalloc(json_object_size(obj) + 1, sizeof(*keys));
	json_object_foreach((json_t *)obj, k, e) {
		/* insertion sort: maps in templates are small */
		for (i = n; i > 0 && strcmp(keys[i - 1], k) > 0; i--)
			keys[i] = keys[i - 1];
		keys[i] = k;
		n++;
	}
	*np = n;
	return keys;
}

static void
fmt_arg(struct gd_buf *b, const struct gd_tval *v, const struct fmt_spec *sp,
    int depth)
{
	struct gd_tval e = { 0 };
	struct gd_buf t;
	const char **keys;
	size_t i, n;

	if (sp->verb == 'T') {
		const char *tn = gd_tval_typename(v);

		if (v->o == NULL && v->j != NULL && json_is_null(v->j))
			tn = "<nil>";
		fmt_pad(b, tn, strlen(tn), sp, false);
		return;
	}
	if (sp->verb == 'v' && sp->sharp && v->o == NULL && v->j != NULL &&
	    !json_is_null(v->j)) {
		fmt_sharp_v(b, v, sp, depth);
		return;
	}
	if (v->o != NULL) {
		if (sp->verb != 'v' && sp->verb != 's') {
			fmt_bad_verb_spec(b, v, sp->verb, sp);
			return;
		}
		tmpl_buf_init(&t);
		if (v->o->type->print != NULL)
			v->o->type->print(&t, v->o);
		else
			gd_buf_printf(&t, "{%s}", v->o->type->name);
		fmt_pad(b, t.data, t.len, sp, false);
		gd_buf_dispose(&t);
		return;
	}
	if (v->j == NULL || json_is_null(v->j)) {
		if (depth > 0 && sp->sharp && sp->verb == 'v')
			gd_buf_adds(b, "interface {}(nil)");
		else if (depth > 0)
			gd_buf_adds(b, "<nil>");
		else if (sp->verb == 'v')
			fmt_pad(b, "<nil>", 5, sp, false);
		else
			fmt_bad_verb_spec(b, v, sp->verb, sp);
		return;
	}
	switch (json_typeof(v->j)) {
	case JSON_TRUE:
	case JSON_FALSE:
		if (sp->verb != 'v' && sp->verb != 't') {
			fmt_bad_verb_spec(b, v, sp->verb, sp);
			return;
		}
		fmt_pad(b, json_is_true(v->j) ? "true" : "false",
		    json_is_true(v->j) ? 4 : 5, sp, false);
		return;
	case JSON_INTEGER:
		fmt_integer(b, v, json_integer_value(v->j), sp);
		return;
	case JSON_REAL:
		if (sp->verb == 'b') {
			tmpl_buf_init(&t);
			fmt_float_bin(&t, json_real_value(v->j));
			fmt_pad(b, t.data, t.len, sp, true);
			gd_buf_dispose(&t);
			return;
		}
		if (sp->verb == 'x' || sp->verb == 'X') {
			tmpl_buf_init(&t);
			fmt_float_hex(&t, json_real_value(v->j), sp);
			fmt_pad(b, t.data, t.len, sp, true);
			gd_buf_dispose(&t);
			return;
		}
		if (!strchr("vgGeEfF", sp->verb)) {
			fmt_bad_verb_spec(b, v, sp->verb, sp);
			return;
		}
		tmpl_buf_init(&t);
		fmt_float_verb(&t, json_real_value(v->j), sp);
		fmt_pad(b, t.data, t.len, sp, true);
		gd_buf_dispose(&t);
		return;
	case JSON_STRING:
		fmt_string(b, v, json_string_value(v->j),
		    json_string_length(v->j), sp);
		return;
	case JSON_ARRAY:
		gd_buf_addc(b, '[');
		for (i = 0; i < json_array_size(v->j); i++) {
			if (i > 0)
				gd_buf_addc(b, ' ');
			e = gd_tval_elem(json_array_get(v->j, i));
			fmt_arg(b, &e, sp, depth + 1);
			gd_tval_dispose(&e);
		}
		gd_buf_addc(b, ']');
		return;
	case JSON_OBJECT:
		if (gd_tmpl_obj_of(v->j) != NULL) {
			e = gd_tval_elem(v->j);
			fmt_arg(b, &e, sp, depth);
			gd_tval_dispose(&e);
			return;
		}
		gd_buf_adds(b, "map[");
		keys = tmpl_sorted_keys(v->j, &n);
		for (i = 0; i < n; i++) {
			json_t *k = json_string_nocheck(keys[i]);

			if (i > 0)
				gd_buf_addc(b, ' ');
			e = gd_tval_json(k);
			fmt_arg(b, &e, sp, depth + 1);
			gd_tval_dispose(&e);
			gd_buf_addc(b, ':');
			e = gd_tval_elem(json_object_get(v->j, keys[i]));
			fmt_arg(b, &e, sp, depth + 1);
			gd_tval_dispose(&e);
		}
		free(keys);
		gd_buf_addc(b, ']');
		return;
	default:
		return;
	}
}

/* %#v: Go syntax, as []interface {}{1, "a"} and map[string]interface {}{}. */
static void
fmt_sharp_v(struct gd_buf *b, const struct gd_tval *v,
    const struct fmt_spec *sp, int depth)
{
	struct gd_tval e;
	const char **keys;
	size_t i, n;

	switch (json_typeof(v->j)) {
	case JSON_STRING:
		fmt_quote(
		    b, json_string_value(v->j), json_string_length(v->j), '"');
		return;
	case JSON_ARRAY:
		gd_buf_adds(b, "[]interface {}{");
		for (i = 0; i < json_array_size(v->j); i++) {
			if (i > 0)
				gd_buf_adds(b, ", ");
			e = gd_tval_elem(json_array_get(v->j, i));
			fmt_arg(b, &e, sp, depth + 1);
			gd_tval_dispose(&e);
		}
		gd_buf_addc(b, '}');
		return;
	case JSON_OBJECT:
		if (gd_tmpl_obj_of(v->j) != NULL)
			break;
		gd_buf_adds(b, "map[string]interface {}{");
		keys = tmpl_sorted_keys(v->j, &n);
		for (i = 0; i < n; i++) {
			if (i > 0)
				gd_buf_adds(b, ", ");
			fmt_quote(b, keys[i], strlen(keys[i]), '"');
			gd_buf_addc(b, ':');
			e = gd_tval_elem(json_object_get(v->j, keys[i]));
			fmt_arg(b, &e, sp, depth + 1);
			gd_tval_dispose(&e);
		}
		free(keys);
		gd_buf_addc(b, '}');
		return;
	default:
		break;
	}
	{
		struct fmt_spec plain = *sp;

		plain.sharp = false;
		fmt_arg(b, v, &plain, depth);
	}
}

void
tmpl_fmt_quote(struct gd_buf *b, const char *s, size_t n)
{
	fmt_quote(b, s, n, '"');
}

void
gd_tmpl_fmt_value(struct gd_buf *b, const struct gd_tval *v)
{
	struct fmt_spec sp = { .verb = 'v' };

	fmt_arg(b, v, &sp, 0);
}

void
tmpl_fmt_verb(struct gd_buf *b, const struct gd_tval *v, char verb)
{
	struct fmt_spec sp = { .verb = verb };

	fmt_arg(b, v, &sp, 0);
}

static bool
fmt_is_string(const struct gd_tval *v)
{
	return v->o == NULL && v->j != NULL && json_is_string(v->j);
}

void
tmpl_fmt_sprint(struct gd_buf *b, const struct gd_tval *args, size_t n)
{
	bool prev = false, cur;
	size_t i;

	for (i = 0; i < n; i++) {
		cur = fmt_is_string(&args[i]);
		if (i > 0 && !cur && !prev)
			gd_buf_addc(b, ' ');
		gd_tmpl_fmt_value(b, &args[i]);
		prev = cur;
	}
}

void
tmpl_fmt_sprintln(struct gd_buf *b, const struct gd_tval *args, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			gd_buf_addc(b, ' ');
		gd_tmpl_fmt_value(b, &args[i]);
	}
	gd_buf_addc(b, '\n');
}

/*
 * A width or precision from the format (Go's parsenum): once the number
 * read so far is past a million, Go gives up on the rest of the format,
 * which then ends without a verb.
 */
static bool
fmt_num(const char *f, size_t len, size_t *i, int *out)
{
	int n = 0;
	bool any = false;

	while (*i < len && f[*i] >= '0' && f[*i] <= '9') {
		if (n > 1000000) {
			*i = len;
			*out = 0;
			return false;
		}
		n = n * 10 + (f[*i] - '0');
		(*i)++;
		any = true;
	}
	*out = n;
	return any;
}

static bool
fmt_star(const struct gd_tval *args, size_t nargs, size_t *argi, int *out)
{
	const json_t *j;

	if (*argi >= nargs)
		return false;
	j = args[*argi].j;
	(*argi)++;
	if (args[*argi - 1].o != NULL || !json_is_integer(j) ||
	    json_integer_value(j) > 1000000 || json_integer_value(j) < -1000000)
		return false;
	*out = (int)json_integer_value(j);
	return true;
}

void
gd_tmpl_fmt_printf(struct gd_buf *b, const char *f, size_t len,
    const struct gd_tval *args, size_t nargs)
{
	struct fmt_spec sp;
	size_t i = 0, argi = 0, start;

	while (i < len) {
		start = i;
		while (i < len && f[i] != '%')
			i++;
		gd_buf_add(b, f + start, i - start);
		if (i >= len)
			break;
		i++;
		memset(&sp, 0, sizeof(sp));
		for (; i < len; i++) {
			if (f[i] == '-')
				sp.minus = true, sp.zero = false;
			else if (f[i] == '+')
				sp.plus = true;
			else if (f[i] == '#')
				sp.sharp = true;
			else if (f[i] == ' ')
				sp.space = true;
			else if (f[i] == '0')
				sp.zero = !sp.minus;
			else
				break;
		}
		if (i < len && f[i] == '*') {
			i++;
			if (!fmt_star(args, nargs, &argi, &sp.width))
				gd_buf_adds(b, "%!(BADWIDTH)");
			else {
				sp.has_width = true;
				if (sp.width < 0) {
					sp.minus = true;
					sp.width = -sp.width;
				}
			}
		} else
			sp.has_width = fmt_num(f, len, &i, &sp.width);
		if (i < len && f[i] == '.') {
			i++;
			sp.has_prec = true;
			if (i < len && f[i] == '*') {
				i++;
				if (!fmt_star(args, nargs, &argi, &sp.prec) ||
				    sp.prec < 0) {
					gd_buf_adds(b, "%!(BADPREC)");
					sp.has_prec = false;
				}
			} else
				fmt_num(f, len, &i, &sp.prec);
		}
		if (i >= len) {
			gd_buf_adds(b, "%!(NOVERB)");
			break;
		}
		sp.verb = f[i++];
		if (sp.verb == 'v' && sp.plus)
			sp.plus =
			    false; /* %+v names struct fields: none here */
		if ((unsigned char)sp.verb >= 0x80) {
			size_t rl;
			long r = gd_utf8_rune(
			    (const unsigned char *)f + i - 1, len - i + 1, &rl);

			gd_buf_adds(b, "%!");
			fmt_utf8(b, r);
			i += rl - 1;
			gd_buf_adds(b, "(BADVERB)");
			continue;
		}
		if (sp.verb == '%') {
			gd_buf_addc(b, '%');
			continue;
		}
		if (argi >= nargs) {
			gd_buf_printf(b, "%%!%c(MISSING)", sp.verb);
			continue;
		}
		if (sp.verb == 'w')
			sp.verb = 'v';
		fmt_arg(b, &args[argi++], &sp, 0);
	}
	if (argi < nargs) {
		struct fmt_spec sv = { .verb = 'v' };

		gd_buf_adds(b, "%!(EXTRA ");
		for (; argi < nargs; argi++) {
			if (!gd_tval_is_valid(&args[argi]) ||
			    (args[argi].o == NULL &&
				json_is_null(args[argi].j)))
				gd_buf_adds(b, "<nil>");
			else {
				gd_buf_printf(
				    b, "%s=", gd_tval_typename(&args[argi]));
				fmt_arg(b, &args[argi], &sv, 0);
			}
			if (argi + 1 < nargs)
				gd_buf_adds(b, ", ");
		}
		gd_buf_addc(b, ')');
	}
}
