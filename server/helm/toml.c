/* SPDX-License-Identifier: ISC */
/*
 * TOML for helm's toToml, mustToToml and fromToml: the encoder writes
 * what BurntSushi/toml's Encoder writes for a map (checked against it,
 * v1.2, through tests/fixtures/helm/oracle), the decoder reads TOML 1.0
 * into the values templates see (integers int64, floats float64).
 *
 * The encoder's hard part is BurntSushi's layout: in each table the plain
 * keys come first, sorted, then the sub-tables and arrays of tables,
 * sorted; a top-level table gets a blank line before its header, nested
 * headers and keys are indented two spaces a level; an array holding only
 * tables is written as [[key]] blocks, a mixed one inline; a nil map
 * value is left out, a nil array element is an error. Whole floats are
 * written as integers, as helm's normalizeForTOML does (YAML's 9 is
 * float64 9 in a template, and helm prints "9", not "9.0").
 *
 * The decoder's errors are "toml: line N: ..." in its own words:
 * BurntSushi's messages (and its "last key" note) are not reproduced.
 * Dates and times come back as their text; Go would hold a time.Time.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helm_int.h"

/* --- encoder ---------------------------------------------------------------
 */

struct tenc {
	struct gd_buf *b;
	bool written;
};

static void
tenc_put(struct tenc *e, const char *s, size_t n)
{
	if (n > 0)
		e->written = true;
	gd_buf_add(e->b, s, n);
}

static void
tenc_puts(struct tenc *e, const char *s)
{
	tenc_put(e, s, strlen(s));
}

static void
tenc_newline(struct tenc *e)
{
	if (e->written)
		gd_buf_addc(e->b, '\n');
}

static void
tenc_indent(struct tenc *e, size_t depth)
{
	while (depth-- > 0)
		tenc_puts(e, "  ");
}

/* BurntSushi's dblQuotedReplacer */
static void
tenc_quoted(struct tenc *e, const char *s, size_t n)
{
	char esc[8];
	size_t i;

	tenc_puts(e, "\"");
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		switch (ch) {
		case '"':
			tenc_puts(e, "\\\"");
			break;
		case '\\':
			tenc_puts(e, "\\\\");
			break;
		case '\b':
			tenc_puts(e, "\\b");
			break;
		case '\t':
			tenc_puts(e, "\\t");
			break;
		case '\n':
			tenc_puts(e, "\\n");
			break;
		case '\f':
			tenc_puts(e, "\\f");
			break;
		case '\r':
			tenc_puts(e, "\\r");
			break;
		default:
			if (ch < 0x20 || ch == 0x7f) {
				snprintf(esc, sizeof(esc), "\\u%04x", ch);
				tenc_puts(e, esc);
			} else
				tenc_put(e, (const char *)&ch, 1);
		}
	}
	tenc_puts(e, "\"");
}

static void
tenc_key(struct tenc *e, const char *k)
{
	size_t n = strlen(k);

	if (n > 0 &&
	    strspn(k,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789_-") == n)
		tenc_puts(e, k);
	else
		tenc_quoted(e, k, n);
}

/* strconv.FormatFloat(f, 'f', -1, 64), from Go's shortest %v digits */
static void
tenc_float(struct tenc *e, double f)
{
	struct gd_buf g, o;
	char *p, *ep, digits[32];
	size_t nd = 0, i;
	long ex = 0;
	bool neg;

	if (isnan(f)) {
		tenc_puts(e, "nan");
		return;
	}
	if (isinf(f)) {
		tenc_puts(e, f < 0 ? "-inf" : "+inf");
		return;
	}
	gd_buf_init(&g);
	gd_buf_init(&o);
	gd_buf_add(&o, "", 0);
	gd_buf_add(&g, "", 0);
	gd_tmpl_fmt_float(&g, f);
	p = g.data;
	if ((neg = *p == '-'))
		p++;
	/* digits without the point, and the exponent of the first one */
	for (; *p != '\0' && *p != 'e' && nd < sizeof(digits) - 1; p++)
		if (*p == '.')
			ex = (long)nd - 1;
		else
			digits[nd++] = *p;
	if (strchr(g.data, '.') == NULL)
		ex = (long)nd - 1;
	if (*p == 'e')
		ex += strtol(p + 1, &ep, 10);
	digits[nd] = '\0';
	if (neg)
		gd_buf_addc(&o, '-');
	if (ex < 0) {
		gd_buf_adds(&o, "0.");
		for (i = 0; i < (size_t)(-ex - 1); i++)
			gd_buf_addc(&o, '0');
		gd_buf_adds(&o, digits);
	} else {
		for (i = 0; i < nd || i <= (size_t)ex; i++) {
			if (i == (size_t)ex + 1)
				gd_buf_addc(&o, '.');
			gd_buf_addc(&o, i < nd ? digits[i] : '0');
		}
	}
	if (strchr(o.data, '.') == NULL)
		gd_buf_adds(&o, ".0");
	tenc_puts(e, o.data);
	gd_buf_dispose(&g);
	gd_buf_dispose(&o);
}

static bool
tenc_is_table_array(const json_t *v)
{
	const json_t *x;
	size_t i;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return false;
	json_array_foreach(v, i, x) {
		if (!json_is_object(x))
			return false;
	}
	return true;
}

static bool
tenc_is_sub(const json_t *v)
{
	return json_is_object(v) || tenc_is_table_array(v);
}

static int
tenc_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of o that are (sub) or are not tables, sorted. */
static const char **
tenc_keys(const json_t *o, bool sub, size_t *n)
{
	const char **v = xcalloc(json_object_size(o) + 1, sizeof(*v));
	const char *k;
	json_t *x;

	*n = 0;
	json_object_foreach((json_t *)o, k, x) {
		if (tenc_is_sub(x) == sub)
			v[(*n)++] = k;
	}
	qsort(v, *n, sizeof(*v), tenc_cmp);
	return v;
}

static void tenc_inline_map(struct tenc *, const json_t *);

static void
tenc_element(struct tenc *e, const json_t *v)
{
	char num[32];
	json_t *x;
	size_t i;

	if (v == NULL)
		return;
	switch (json_typeof(v)) {
	case JSON_STRING:
		tenc_quoted(e, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		tenc_puts(e, num);
		break;
	case JSON_REAL:
		tenc_float(e, json_real_value(v));
		break;
	case JSON_TRUE:
		tenc_puts(e, "true");
		break;
	case JSON_FALSE:
		tenc_puts(e, "false");
		break;
	case JSON_ARRAY:
		tenc_puts(e, "[");
		json_array_foreach(v, i, x) {
			if (i > 0)
				tenc_puts(e, ", ");
			tenc_element(e, x);
		}
		tenc_puts(e, "]");
		break;
	case JSON_OBJECT:
		tenc_inline_map(e, v);
		break;
	default:
		break;
	}
}

/* One group of an inline table; trail: more keys follow this group. */
static void
tenc_inline_keys(
    struct tenc *e, const json_t *o, const char **keys, size_t n, bool trail)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const json_t *x = json_object_get(o, keys[i]);

		if (json_is_null(x))
			continue;
		tenc_key(e, keys[i]);
		tenc_puts(e, " = ");
		tenc_element(e, x);
		if (trail || i != n - 1)
			tenc_puts(e, ", ");
	}
}

static void
tenc_inline_map(struct tenc *e, const json_t *o)
{
	size_t nd, ns;
	const char **direct = tenc_keys(o, false, &nd);
	const char **sub = tenc_keys(o, true, &ns);

	tenc_puts(e, "{");
	tenc_inline_keys(e, o, direct, nd, ns > 0);
	tenc_inline_keys(e, o, sub, ns, false);
	tenc_puts(e, "}");
	free(direct);
	free(sub);
}

/* A table's dotted name, each part quoted when it must be. */
static void
tenc_path(struct tenc *e, const char *const *path, size_t depth)
{
	size_t i;

	for (i = 0; i < depth; i++) {
		if (i > 0)
			tenc_puts(e, ".");
		tenc_key(e, path[i]);
	}
}

static void tenc_table(
    struct tenc *, const json_t *, const char **path, size_t depth);

static void
tenc_value(struct tenc *e, const json_t *v, const char **path, size_t depth)
{
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		if (depth == 1)
			tenc_newline(e);
		tenc_indent(e, depth - 1);
		tenc_puts(e, "[");
		tenc_path(e, path, depth);
		tenc_puts(e, "]");
		tenc_newline(e);
		tenc_table(e, v, path, depth);
	} else if (tenc_is_table_array(v)) {
		json_array_foreach(v, i, x) {
			tenc_newline(e);
			tenc_indent(e, depth - 1);
			tenc_puts(e, "[[");
			tenc_path(e, path, depth);
			tenc_puts(e, "]]");
			tenc_newline(e);
			tenc_table(e, x, path, depth);
		}
	} else {
		tenc_indent(e, depth - 1);
		tenc_key(e, path[depth - 1]);
		tenc_puts(e, " = ");
		tenc_element(e, v);
		tenc_newline(e);
	}
}

static void
tenc_table(struct tenc *e, const json_t *o, const char **path, size_t depth)
{
	size_t nd, ns, i;
	const char **direct = tenc_keys(o, false, &nd);
	const char **sub = tenc_keys(o, true, &ns);
	const char **p = xcalloc(depth + 2, sizeof(*p));

	if (depth > 0)
		memcpy(p, path, depth * sizeof(*p));
	for (i = 0; i < nd + ns; i++) {
		p[depth] = i < nd ? direct[i] : sub[i - nd];
		if (!json_is_null(json_object_get(o, p[depth])))
			tenc_value(
			    e, json_object_get(o, p[depth]), p, depth + 1);
	}
	free(p);
	free(direct);
	free(sub);
}

/* Does v hold an array with a null in it, at any depth? */
static bool
tenc_nil_element(const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x) {
			if (tenc_nil_element(x))
				return true;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (json_is_null(x) || tenc_nil_element(x))
				return true;
		}
	}
	return false;
}

/* helm's normalizeForTOML: whole floats in int64's range are ints. */
static json_t *
tenc_normalize(const json_t *v)
{
	const char *k;
	json_t *x, *r;
	size_t i;
	double f;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		r = json_object();
		json_object_foreach((json_t *)v, k, x) {
			json_object_set_new(r, k, tenc_normalize(x));
		}
		return r;
	case JSON_ARRAY:
		r = json_array();
		json_array_foreach(v, i, x) {
			json_array_append_new(r, tenc_normalize(x));
		}
		return r;
	case JSON_REAL:
		f = json_real_value(v);
		if (isfinite(f) && f == (double)(long long)f &&
		    f < 9223372036854775808.0 && f >= -9223372036854775808.0)
			return json_integer((json_int_t)f);
		return json_incref((json_t *)v);
	default:
		return json_incref((json_t *)v);
	}
}

int
helm_toml_encode(struct gd_buf *out, const json_t *v, struct gd_err *err)
{
	struct tenc e = { out, false };
	json_t *n;

	if (v == NULL || json_is_null(v))
		return gd_err_set(err, GD_EINTERNAL,
		    "reflect: call of reflect.Value.Type on zero Value");
	if (!json_is_object(v))
		return gd_err_set(err, GD_EINVAL,
		    "toml: top-level values must be Go maps or structs");
	if (tenc_nil_element(v))
		return gd_err_set(err, GD_EINVAL,
		    "toml: cannot encode array with nil element");
	n = tenc_normalize(v);
	tenc_table(&e, n, NULL, 0);
	json_decref(n);
	return 0;
}

/* --- decoder ---------------------------------------------------------------
 */

struct tdec {
	const char *s;
	size_t n, i;
	int line;
	struct gd_err *err;
	/* tables made by a [header] (not implicitly): redefining is an error */
	json_t *defined; /* object -> marker */
	json_t *inline_; /* inline tables and arrays: closed to additions */
};

#define TDEC_MAX_DEPTH 128

static int
tdec_fail(struct tdec *d, const char *fmt, const char *what)
{
	return gd_err_set(d->err, GD_EINVAL, "toml: line %d: %s%s", d->line,
	    fmt, what != NULL ? what : "");
}

static int
tdec_peek(const struct tdec *d)
{
	return d->i < d->n ? (unsigned char)d->s[d->i] : -1;
}

static void
tdec_ws(struct tdec *d)
{
	while (d->i < d->n && (d->s[d->i] == ' ' || d->s[d->i] == '\t'))
		d->i++;
}

/* Whitespace, comments and newlines (inside arrays). */
static int
tdec_ws_nl(struct tdec *d)
{
	for (;;) {
		tdec_ws(d);
		if (tdec_peek(d) == '#') {
			while (d->i < d->n && d->s[d->i] != '\n')
				d->i++;
		} else if (tdec_peek(d) == '\r' && d->i + 1 < d->n &&
		    d->s[d->i + 1] == '\n')
			d->i++;
		else if (tdec_peek(d) == '\n') {
			d->i++;
			d->line++;
		} else
			return 0;
	}
}

/* After a value or header: only a comment may follow on the line. */
static int
tdec_eol(struct tdec *d)
{
	tdec_ws(d);
	if (tdec_peek(d) == '#')
		while (d->i < d->n && d->s[d->i] != '\n') {
			unsigned char ch = (unsigned char)d->s[d->i++];

			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return tdec_fail(d,
				    "control characters are not allowed in "
				    "comments",
				    NULL);
		}
	if (tdec_peek(d) == '\r' && d->i + 1 < d->n && d->s[d->i + 1] == '\n')
		d->i++;
	if (tdec_peek(d) == '\n') {
		d->i++;
		d->line++;
		return 0;
	}
	if (tdec_peek(d) < 0)
		return 0;
	return tdec_fail(d, "expected a newline after the value", NULL);
}

static void
tdec_utf8(struct gd_buf *b, unsigned long cp)
{
	if (cp < 0x80)
		gd_buf_addc(b, (char)cp);
	else if (cp < 0x800) {
		gd_buf_addc(b, (char)(0xC0 | (cp >> 6)));
		gd_buf_addc(b, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		gd_buf_addc(b, (char)(0xE0 | (cp >> 12)));
		gd_buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		gd_buf_addc(b, (char)(0x80 | (cp & 0x3F)));
	} else {
		gd_buf_addc(b, (char)(0xF0 | (cp >> 18)));
		gd_buf_addc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
		gd_buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		gd_buf_addc(b, (char)(0x80 | (cp & 0x3F)));
	}
}

/* One of the four string forms; d->i is on the opening quote. */
static int
tdec_string(struct tdec *d, struct gd_buf *b, bool allow_multi)
{
	char q = d->s[d->i];
	bool multi = false, basic = q == '"';
	unsigned long cp;
	size_t k, nh;
	char hex[9];

	gd_buf_reset(b);
	gd_buf_add(b, "", 0);
	if (allow_multi && d->i + 2 < d->n && d->s[d->i + 1] == q &&
	    d->s[d->i + 2] == q) {
		multi = true;
		d->i += 3;
		/* a newline right after the opening quotes is dropped */
		if (tdec_peek(d) == '\r' && d->i + 1 < d->n &&
		    d->s[d->i + 1] == '\n')
			d->i++;
		if (tdec_peek(d) == '\n') {
			d->i++;
			d->line++;
		}
	} else
		d->i++;
	for (;;) {
		int ch = tdec_peek(d);

		if (ch < 0)
			return tdec_fail(d, "unterminated string", NULL);
		if (ch == q) {
			if (!multi) {
				d->i++;
				return 0;
			}
			/* up to two quotes may end the content */
			for (k = 0; d->i + k < d->n && d->s[d->i + k] == q; k++)
				;
			if (k >= 3) {
				if (k > 5)
					return tdec_fail(
					    d, "too many quotes", NULL);
				gd_buf_add(b, d->s + d->i, k - 3);
				d->i += k;
				return 0;
			}
			gd_buf_add(b, d->s + d->i, k);
			d->i += k;
			continue;
		}
		if (ch == '\n') {
			if (!multi)
				return tdec_fail(
				    d, "newline in a one-line string", NULL);
			d->line++;
		} else if ((ch < 0x20 && ch != '\t' && ch != '\r') ||
		    ch == 0x7f)
			return tdec_fail(
			    d, "control character in a string", NULL);
		if (ch == '\\' && basic) {
			d->i++;
			ch = tdec_peek(d);
			switch (ch) {
			case 'b':
				gd_buf_addc(b, '\b');
				break;
			case 't':
				gd_buf_addc(b, '\t');
				break;
			case 'n':
				gd_buf_addc(b, '\n');
				break;
			case 'f':
				gd_buf_addc(b, '\f');
				break;
			case 'r':
				gd_buf_addc(b, '\r');
				break;
			case '"':
			case '\\':
				gd_buf_addc(b, (char)ch);
				break;
			case 'u':
			case 'U':
				nh = ch == 'u' ? 4 : 8;
				if (d->i + nh >= d->n)
					return tdec_fail(
					    d, "short unicode escape", NULL);
				memcpy(hex, d->s + d->i + 1, nh);
				hex[nh] = '\0';
				if (strspn(hex, "0123456789abcdefABCDEF") != nh)
					return tdec_fail(
					    d, "bad unicode escape", NULL);
				cp = strtoul(hex, NULL, 16);
				if (cp > 0x10FFFF ||
				    (cp >= 0xD800 && cp <= 0xDFFF))
					return tdec_fail(d,
					    "escape is not a unicode scalar",
					    NULL);
				tdec_utf8(b, cp);
				d->i += nh;
				break;
			default:
				if (multi &&
				    (ch == ' ' || ch == '\t' || ch == '\r' ||
					ch == '\n')) {
					/* a line-ending backslash trims */
					size_t save = d->i;

					tdec_ws(d);
					if (tdec_peek(d) == '\r')
						d->i++;
					if (tdec_peek(d) != '\n') {
						d->i = save;
						return tdec_fail(d,
						    "bad escape in a string",
						    NULL);
					}
					while (d->i < d->n &&
					    isspace(
						(unsigned char)d->s[d->i])) {
						if (d->s[d->i] == '\n')
							d->line++;
						d->i++;
					}
					continue;
				}
				return tdec_fail(
				    d, "bad escape in a string", NULL);
			}
			d->i++;
			continue;
		}
		gd_buf_addc(b, (char)ch);
		d->i++;
	}
}

/* A key part: bare, or a one-line string. */
static int
tdec_key_part(struct tdec *d, struct gd_buf *b)
{
	size_t k;

	if (tdec_peek(d) == '"' || tdec_peek(d) == '\'')
		return tdec_string(d, b, false);
	k = strspn(d->s + d->i,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
	if (d->i + k > d->n)
		k = d->n - d->i;
	if (k == 0)
		return tdec_fail(d, "expected a key", NULL);
	gd_buf_reset(b);
	gd_buf_add(b, d->s + d->i, k);
	d->i += k;
	return 0;
}

/* A dotted key into a JSON array of its parts. */
static int
tdec_key(struct tdec *d, json_t *parts)
{
	struct gd_buf b;
	int rc;

	gd_buf_init(&b);
	for (;;) {
		tdec_ws(d);
		if ((rc = tdec_key_part(d, &b)) < 0)
			break;
		json_array_append_new(parts, json_stringn(b.data, b.len));
		tdec_ws(d);
		if (tdec_peek(d) != '.')
			break;
		d->i++;
	}
	gd_buf_dispose(&b);
	return rc;
}

static bool
tdec_digits_ok(const char *s, size_t n, const char *set)
{
	size_t i;

	if (n == 0 || s[0] == '_' || s[n - 1] == '_')
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '_') {
			if (s[i + 1] == '_')
				return false;
		} else if (strchr(set, s[i]) == NULL || s[i] == '\0')
			return false;
	}
	return true;
}

/* Integers, floats, booleans, dates: the bare values. */
static int
tdec_scalar(struct tdec *d, json_t **out)
{
	const char *p = d->s + d->i;
	size_t n = strcspn(p, " \t\r\n,]}#"), i, k = 0;
	char *t, *end, *c;
	long long iv;
	double fv;
	int base = 10;

	if (d->i + n > d->n)
		n = d->n - d->i;
	/* a date and a time may be joined by one space */
	if (n == 10 && p[4] == '-' && p[10] == ' ' && d->i + 12 < d->n &&
	    isdigit((unsigned char)p[11]) && isdigit((unsigned char)p[12]))
		n = 11 + strcspn(p + 11, " \t\r\n,]}#");
	if (n == 0)
		return tdec_fail(d, "expected a value", NULL);
	t = xstrndup(p, n);
	d->i += n;
	*out = NULL;
	if (strcmp(t, "true") == 0)
		*out = json_true();
	else if (strcmp(t, "false") == 0)
		*out = json_false();
	else if (strcmp(t, "inf") == 0 || strcmp(t, "+inf") == 0)
		*out = json_real(INFINITY);
	else if (strcmp(t, "-inf") == 0)
		*out = json_real(-INFINITY);
	else if (strcmp(t, "nan") == 0 || strcmp(t, "+nan") == 0 ||
	    strcmp(t, "-nan") == 0)
		*out = json_real(NAN);
	else if ((n >= 10 && isdigit((unsigned char)t[0]) && t[4] == '-') ||
	    (n >= 8 && t[2] == ':')) {
		/* dates and times keep their text (Go: a time.Time) */
		if (strspn(t, "0123456789-:.TtZz+ ") == n)
			*out = json_string(t);
	} else {
		c = xcalloc(n + 1, 1);
		if (n > 2 && t[0] == '0' && strchr("xob", t[1]) != NULL) {
			base = t[1] == 'x' ? 16 : t[1] == 'o' ? 8 : 2;
			if (tdec_digits_ok(t + 2, n - 2,
				base == 16    ? "0123456789abcdefABCDEF" :
				    base == 8 ? "01234567" :
						"01"))
				for (i = 2; i < n; i++)
					if (t[i] != '_')
						c[k++] = t[i];
		} else {
			const char *m = t + (t[0] == '+' || t[0] == '-');
			size_t ml = strlen(m);
			bool flt = strpbrk(m, ".eE") != NULL;

			/* no leading zeros; underscores between digits */
			if (tdec_digits_ok(m, ml, "0123456789.eE+-") &&
			    !(m[0] == '0' && ml > 1 &&
				isdigit((unsigned char)m[1])) &&
			    (!flt ||
				(isdigit((unsigned char)m[0]) &&
				    strstr(m, "._") == NULL &&
				    strstr(m, "_.") == NULL &&
				    strstr(m, "_e") == NULL &&
				    strstr(m, "e_") == NULL &&
				    strstr(m, "_E") == NULL &&
				    strstr(m, "E_") == NULL &&
				    (strchr(m, '.') == NULL ||
					isdigit((unsigned char)strchr(
					    m, '.')[1])))))
				for (i = 0; i < n; i++)
					if (t[i] != '_')
						c[k++] = t[i];
		}
		if (k > 0) {
			errno = 0;
			if (base == 10 && strpbrk(c, ".eE") != NULL) {
				fv = strtod(c, &end);
				if (*end == '\0')
					*out = json_real(fv);
			} else {
				iv =
				    strtoll(base == 10 ? c : c + 0, &end, base);
				if (*end == '\0' && errno == 0)
					*out = json_integer(iv);
			}
		}
		free(c);
	}
	free(t);
	if (*out == NULL)
		return tdec_fail(d, "invalid value: ", NULL);
	return 0;
}

static int tdec_value(struct tdec *, json_t **out, int depth);
static int tdec_keyval(struct tdec *, json_t *table, int depth, bool in_inline);

static int
tdec_array(struct tdec *d, json_t **out, int depth)
{
	json_t *a = json_array(), *v;
	int rc;

	d->i++;
	for (;;) {
		tdec_ws_nl(d);
		if (tdec_peek(d) == ']') {
			d->i++;
			break;
		}
		if ((rc = tdec_value(d, &v, depth + 1)) < 0)
			goto fail;
		json_array_append_new(a, v);
		tdec_ws_nl(d);
		if (tdec_peek(d) == ',') {
			d->i++;
			continue;
		}
		if (tdec_peek(d) == ']') {
			d->i++;
			break;
		}
		rc = tdec_fail(d, "expected , or ] in an array", NULL);
		goto fail;
	}
	*out = a;
	return 0;
fail:
	json_decref(a);
	return rc;
}

static int
tdec_inline_table(struct tdec *d, json_t **out, int depth)
{
	json_t *t = json_object();
	int rc;

	d->i++;
	tdec_ws(d);
	if (tdec_peek(d) == '}') {
		d->i++;
		*out = t;
		return 0;
	}
	for (;;) {
		if ((rc = tdec_keyval(d, t, depth + 1, true)) < 0)
			goto fail;
		tdec_ws(d);
		if (tdec_peek(d) == ',') {
			d->i++;
			continue;
		}
		if (tdec_peek(d) == '}') {
			d->i++;
			break;
		}
		rc = tdec_fail(d, "expected , or } in an inline table", NULL);
		goto fail;
	}
	*out = t;
	return 0;
fail:
	json_decref(t);
	return rc;
}

static int
tdec_value(struct tdec *d, json_t **out, int depth)
{
	struct gd_buf b;
	int rc;

	*out = NULL;
	if (depth > TDEC_MAX_DEPTH)
		return tdec_fail(d, "nested too deeply", NULL);
	tdec_ws(d);
	switch (tdec_peek(d)) {
	case '"':
	case '\'':
		gd_buf_init(&b);
		if ((rc = tdec_string(d, &b, true)) == 0)
			*out = json_stringn(b.data, b.len);
		gd_buf_dispose(&b);
		if (rc == 0 && *out == NULL)
			rc = tdec_fail(d, "string is not UTF-8", NULL);
		return rc;
	case '[':
		return tdec_array(d, out, depth);
	case '{':
		return tdec_inline_table(d, out, depth);
	case -1:
		return tdec_fail(d, "expected a value", NULL);
	default:
		return tdec_scalar(d, out);
	}
}

/* Address of a JSON value, as a key for the bookkeeping sets. */
static void
tdec_addr(char *buf, size_t n, const json_t *v)
{
	snprintf(buf, n, "%p", (const void *)v);
}

static bool
tdec_in(json_t *set, const json_t *v)
{
	char k[32];

	tdec_addr(k, sizeof(k), v);
	return json_object_get(set, k) != NULL;
}

static void
tdec_mark(json_t *set, const json_t *v)
{
	char k[32];

	tdec_addr(k, sizeof(k), v);
	json_object_set_new(set, k, json_true());
}

/* The table at the first n parts of key under t, made as needed. */
static int
tdec_walk(struct tdec *d, json_t *t, json_t *key, size_t n, json_t **out)
{
	json_t *x;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *k = json_string_value(json_array_get(key, i));

		x = json_object_get(t, k);
		if (x == NULL) {
			x = json_object();
			json_object_set_new(t, k, x);
		} else if (json_is_array(x) && !tdec_in(d->inline_, x) &&
		    json_array_size(x) > 0)
			x = json_array_get(x, json_array_size(x) - 1);
		if (!json_is_object(x) || tdec_in(d->inline_, x))
			return tdec_fail(d, "key is already a value: ", k);
		t = x;
	}
	*out = t;
	return 0;
}

static int
tdec_keyval(struct tdec *d, json_t *table, int depth, bool in_inline)
{
	json_t *key = json_array(), *t, *v = NULL;
	const char *last;
	int rc;

	if ((rc = tdec_key(d, key)) < 0)
		goto out;
	tdec_ws(d);
	if (tdec_peek(d) != '=') {
		rc = tdec_fail(d, "expected = after a key", NULL);
		goto out;
	}
	d->i++;
	if ((rc = tdec_walk(d, table, key, json_array_size(key) - 1, &t)) < 0 ||
	    (rc = tdec_value(d, &v, depth)) < 0)
		goto out;
	last = json_string_value(json_array_get(key, json_array_size(key) - 1));
	if (json_object_get(t, last) != NULL) {
		rc = tdec_fail(d, "key defined twice: ", last);
		goto out;
	}
	if (json_is_object(v) || json_is_array(v))
		tdec_mark(d->inline_, v);
	json_object_set_new(t, last, v);
	v = NULL;
	if (!in_inline)
		rc = tdec_eol(d);
out:
	json_decref(v);
	json_decref(key);
	return rc;
}

/* "[a.b]" or "[[a.b]]": the table later keys go into. */
static int
tdec_header(struct tdec *d, json_t *root, json_t **cur)
{
	bool arr = d->i + 1 < d->n && d->s[d->i + 1] == '[';
	json_t *key = json_array(), *t, *x;
	const char *last;
	int rc;

	d->i += arr ? 2 : 1;
	if ((rc = tdec_key(d, key)) < 0)
		goto out;
	if (tdec_peek(d) != ']' ||
	    (arr && (d->i + 1 >= d->n || d->s[d->i + 1] != ']'))) {
		rc = tdec_fail(d, "expected ] after a table name", NULL);
		goto out;
	}
	d->i += arr ? 2 : 1;
	if ((rc = tdec_walk(d, root, key, json_array_size(key) - 1, &t)) < 0)
		goto out;
	last = json_string_value(json_array_get(key, json_array_size(key) - 1));
	x = json_object_get(t, last);
	if (arr) {
		if (x == NULL) {
			x = json_array();
			json_object_set_new(t, last, x);
		} else if (!json_is_array(x) || tdec_in(d->inline_, x)) {
			rc = tdec_fail(
			    d, "key is not an array of tables: ", last);
			goto out;
		}
		*cur = json_object();
		json_array_append_new(x, *cur);
	} else {
		if (x == NULL) {
			x = json_object();
			json_object_set_new(t, last, x);
		} else if (!json_is_object(x) || tdec_in(d->defined, x) ||
		    tdec_in(d->inline_, x)) {
			rc = tdec_fail(d, "table defined twice: ", last);
			goto out;
		}
		tdec_mark(d->defined, x);
		*cur = x;
	}
	rc = tdec_eol(d);
out:
	json_decref(key);
	return rc;
}

/* s is NUL-terminated (n excludes the NUL), as jansson strings are. */
int
helm_toml_decode(json_t **out, const char *s, size_t n, struct gd_err *err)
{
	struct tdec d = { s, n, 0, 1, err, json_object(), json_object() };
	json_t *root = json_object(), *cur = root;
	int rc = 0;

	*out = NULL;
	if (n > 0 && memchr(s, '\0', n) != NULL) {
		rc = tdec_fail(&d, "NUL byte in the document", NULL);
		goto out;
	}
	/* TOML is UTF-8; jansson's strings and keys must be too */
	{
		json_t *u = json_stringn(s, n);

		if (u == NULL) {
			rc = tdec_fail(&d, "the document is not UTF-8", NULL);
			goto out;
		}
		json_decref(u);
	}
	for (;;) {
		tdec_ws_nl(&d);
		if (d.i >= d.n)
			break;
		if (tdec_peek(&d) == '[')
			rc = tdec_header(&d, root, &cur);
		else
			rc = tdec_keyval(&d, cur, 0, false);
		if (rc < 0)
			goto out;
	}
	*out = root;
	root = NULL;
out:
	json_decref(root);
	json_decref(d.defined);
	json_decref(d.inline_);
	return rc;
}
