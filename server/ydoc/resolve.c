/* SPDX-License-Identifier: ISC */
/*
 * The scalar resolver: what gopkg.in/yaml.v2 (v2.4.0, the version under
 * sigs.k8s.io/yaml and Helm) makes of a plain, untagged scalar. The loader
 * types values with it; the emitter asks it whether a string would read
 * back as something else and so needs quotes.
 *
 * The hard part is that v2 does not follow the YAML 1.1 regular
 * expressions: it looks at the first byte, then hands the text to Go's
 * strconv and time packages, and their quirks are the behaviour. So this
 * file re-creates strconv.ParseInt(s, 0, 64) (sign, then 0b/0o/0x or a
 * bare leading 0 for octal: "0755" is 493, "08" is not an int but a
 * float), ParseUint for values past INT64_MAX, v2's own float pattern,
 * and the four time.Parse layouts v2 tries for timestamps (months, days,
 * hours... of one or two digits, and the day checked against the month).
 * Underscores are dropped anywhere before the number parsers run ("1_000"
 * is 1000, as in v2), except on the ".5" path where Go's float syntax
 * wants each one between two digits.
 *
 * Base-60 numbers ("1:20") are strings here: v2 only quotes them on
 * output, which is the emitter's business. "<<" is reported as
 * YDOC_MERGE although v2.4.0's first-byte table skips it (so v2 itself
 * prints a "<<" string unquoted and misreads it back); quoting it is the
 * safe choice.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ydoc_int.h"

#define RESOLVE_NUMLEN 64 /* longer numbers are copied to the heap */

enum resolve_num {
	NUM_OK,
	NUM_SYNTAX,
	NUM_RANGE,
};

struct resolve_word {
	const char *text;
	enum ydoc_kind kind;
	int value; /* bool: 0/1; float: 1 +inf, -1 -inf, 0 nan */
};

/* v2's resolveMap: exact spellings only, "yES" stays a string. */
static const struct resolve_word resolve_words[] = {
	{ "y", YDOC_BOOL, 1 },
	{ "Y", YDOC_BOOL, 1 },
	{ "yes", YDOC_BOOL, 1 },
	{ "Yes", YDOC_BOOL, 1 },
	{ "YES", YDOC_BOOL, 1 },
	{ "true", YDOC_BOOL, 1 },
	{ "True", YDOC_BOOL, 1 },
	{ "TRUE", YDOC_BOOL, 1 },
	{ "on", YDOC_BOOL, 1 },
	{ "On", YDOC_BOOL, 1 },
	{ "ON", YDOC_BOOL, 1 },
	{ "n", YDOC_BOOL, 0 },
	{ "N", YDOC_BOOL, 0 },
	{ "no", YDOC_BOOL, 0 },
	{ "No", YDOC_BOOL, 0 },
	{ "NO", YDOC_BOOL, 0 },
	{ "false", YDOC_BOOL, 0 },
	{ "False", YDOC_BOOL, 0 },
	{ "FALSE", YDOC_BOOL, 0 },
	{ "off", YDOC_BOOL, 0 },
	{ "Off", YDOC_BOOL, 0 },
	{ "OFF", YDOC_BOOL, 0 },
	{ "", YDOC_NULL, 0 },
	{ "~", YDOC_NULL, 0 },
	{ "null", YDOC_NULL, 0 },
	{ "Null", YDOC_NULL, 0 },
	{ "NULL", YDOC_NULL, 0 },
	{ ".nan", YDOC_FLOAT, 0 },
	{ ".NaN", YDOC_FLOAT, 0 },
	{ ".NAN", YDOC_FLOAT, 0 },
	{ ".inf", YDOC_FLOAT, 1 },
	{ ".Inf", YDOC_FLOAT, 1 },
	{ ".INF", YDOC_FLOAT, 1 },
	{ "+.inf", YDOC_FLOAT, 1 },
	{ "+.Inf", YDOC_FLOAT, 1 },
	{ "+.INF", YDOC_FLOAT, 1 },
	{ "-.inf", YDOC_FLOAT, -1 },
	{ "-.Inf", YDOC_FLOAT, -1 },
	{ "-.INF", YDOC_FLOAT, -1 },
	{ "<<", YDOC_MERGE, 0 },
};

static bool
resolve_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

static const struct resolve_word *
resolve_word_find(const char *s, size_t len)
{
	size_t i;

	/* Every spelling is at most 5 bytes; skip the table for the rest. */
	if (len > 5)
		return NULL;
	for (i = 0; i < sizeof(resolve_words) / sizeof(resolve_words[0]); i++) {
		if (len > 0 && resolve_words[i].text[0] != s[0])
			continue;
		if (strlen(resolve_words[i].text) == len &&
		    memcmp(resolve_words[i].text, s, len) == 0)
			return &resolve_words[i];
	}
	return NULL;
}

/* strconv.ParseUint(s, base, 64); base 0 reads Go's prefixes. */
static enum resolve_num
resolve_parse_uint(const char *s, size_t len, int base, uint64_t *out)
{
	uint64_t v = 0, d;
	size_t i;
	char c;

	if (len == 0)
		return NUM_SYNTAX;
	if (base == 0) {
		base = 10;
		if (s[0] == '0') {
			c = len >= 3 ? (char)(s[1] | 0x20) : '\0';
			if (c == 'b')
				base = 2;
			else if (c == 'o')
				base = 8;
			else if (c == 'x')
				base = 16;
			if (base != 10) {
				s += 2;
				len -= 2;
			} else {
				/* "0" alone is octal zero: an empty rest. */
				base = 8;
				s++;
				len--;
			}
		}
	}
	for (i = 0; i < len; i++) {
		c = s[i];
		if (resolve_isdigit(c))
			d = (uint64_t)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
			d = (uint64_t)((c | 0x20) - 'a' + 10);
		else
			return NUM_SYNTAX;
		if (d >= (uint64_t)base)
			return NUM_SYNTAX;
		if (v > (UINT64_MAX - d) / (uint64_t)base)
			return NUM_RANGE;
		v = v * (uint64_t)base + d;
	}
	*out = v;
	return NUM_OK;
}

/* strconv.ParseInt(s, base, 64): an optional sign, then ParseUint. */
static enum resolve_num
resolve_parse_int(const char *s, size_t len, int base, int64_t *out)
{
	enum resolve_num rc;
	uint64_t u;
	bool neg = false;

	if (len == 0)
		return NUM_SYNTAX;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		s++;
		len--;
	}
	if ((rc = resolve_parse_uint(s, len, base, &u)) != NUM_OK)
		return rc;
	if (!neg && u > (uint64_t)INT64_MAX)
		return NUM_RANGE;
	if (neg && u > (uint64_t)INT64_MAX + 1)
		return NUM_RANGE;
	if (neg)
		*out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
	else
		*out = (int64_t)u;
	return NUM_OK;
}

/* v2's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool
resolve_is_float_syntax(const char *s, size_t len)
{
	size_t i = 0, n;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < len && s[i] == '.') {
		i++;
		for (n = 0; i < len && resolve_isdigit(s[i]); i++)
			n++;
		if (n == 0)
			return false;
	} else {
		for (n = 0; i < len && resolve_isdigit(s[i]); i++)
			n++;
		if (n == 0)
			return false;
		if (i < len && s[i] == '.')
			for (i++; i < len && resolve_isdigit(s[i]); i++)
				;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		for (n = 0; i < len && resolve_isdigit(s[i]); i++)
			n++;
		if (n == 0)
			return false;
	}
	return i == len;
}

/*
 * strtod on a syntax-checked number. Like strconv.ParseFloat, overflow is
 * an error (the caller then tries other readings) but underflow to zero
 * is not.
 */
static bool
resolve_strtod(const char *s, size_t len, double *out)
{
	char small[RESOLVE_NUMLEN] = { 0 }, *copy, *end;
	double d;
	bool ok;

	copy = len < sizeof(small) ? small : xmalloc(len + 1);
	memcpy(copy, s, len);
	copy[len] = '\0';
	d = strtod(copy, &end);
	ok = end == copy + len && !isinf(d);
	if (copy != small)
		free(copy);
	if (ok)
		*out = d;
	return ok;
}

/* Drops every '_', as v2 does with strings.Replace before ParseInt. */
static size_t
resolve_strip(char *dst, const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (s[i] != '_')
			dst[n++] = s[i];
	return n;
}

/*
 * A scalar starting with '.' goes straight to strconv.ParseFloat, which
 * reads Go float syntax: here ".digits" with an optional exponent, and
 * underscores only between two digits.
 */
static bool
resolve_dot_float(const char *s, size_t len, double *out)
{
	char small[RESOLVE_NUMLEN] = { 0 }, *plain;
	size_t i, n;
	bool ok;

	for (i = 0; i < len; i++) {
		if (s[i] != '_')
			continue;
		if (i == 0 || i + 1 == len || !resolve_isdigit(s[i - 1]) ||
		    !resolve_isdigit(s[i + 1]))
			return false;
	}
	plain = len < sizeof(small) ? small : xmalloc(len + 1);
	n = resolve_strip(plain, s, len);
	ok = resolve_is_float_syntax(plain, n) && resolve_strtod(plain, n, out);
	if (plain != small)
		free(plain);
	return ok;
}

/* Go time.getnum: one digit, or two when the second is a digit too. */
static bool
resolve_getnum(const char **p, const char *end, bool fixed, int *out)
{
	const char *s = *p;

	if (s >= end || !resolve_isdigit(s[0]))
		return false;
	if (s + 1 >= end || !resolve_isdigit(s[1])) {
		if (fixed)
			return false;
		*out = s[0] - '0';
		*p = s + 1;
		return true;
	}
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	*p = s + 2;
	return true;
}

static int
resolve_days_in(int month, int year)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
		return 29;
	return days[month - 1];
}

/*
 * The time part of v2's timestamp layouts, after the date:
 * "15:4:5.999999999" and then, per layout, "Z07:00" or nothing.
 */
static bool
resolve_clock(const char *s, const char *end, bool zone)
{
	int h, m, sec, zh, zm;

	if (!resolve_getnum(&s, end, false, &h) || h >= 24 || s >= end ||
	    *s++ != ':' || !resolve_getnum(&s, end, false, &m) || m >= 60 ||
	    s >= end || *s++ != ':' || !resolve_getnum(&s, end, false, &sec) ||
	    sec >= 60)
		return false;
	/* A fraction is optional; Go takes '.' or ',' and any digit count. */
	if (end - s >= 2 && (s[0] == '.' || s[0] == ',') &&
	    resolve_isdigit(s[1]))
		for (s += 2; s < end && resolve_isdigit(*s); s++)
			;
	if (!zone)
		return s == end;
	if (s < end && *s == 'Z')
		return s + 1 == end;
	if (end - s != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':')
		return false;
	s++;
	if (!resolve_getnum(&s, end, true, &zh) || zh > 24)
		return false;
	s++;
	return resolve_getnum(&s, end, true, &zm) && zm <= 60;
}

/*
 * v2's parseTimestamp: "2006-1-2T15:4:5.999999999Z07:00", the same with
 * 't', "2006-1-2 15:4:5.999999999" and "2006-1-2", read the way Go's
 * time.Parse reads them (a layout space matches a run of spaces).
 */
static bool
resolve_is_timestamp(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	int year, month, day;

	if (len < 5 || !resolve_isdigit(s[0]) || !resolve_isdigit(s[1]) ||
	    !resolve_isdigit(s[2]) || !resolve_isdigit(s[3]) || s[4] != '-')
		return false;
	year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	p += 5;
	if (!resolve_getnum(&p, end, false, &month) || month < 1 ||
	    month > 12 || p >= end || *p++ != '-' ||
	    !resolve_getnum(&p, end, false, &day) || day < 1 ||
	    day > resolve_days_in(month, year))
		return false;
	if (p == end)
		return true;
	if (*p == 'T' || *p == 't')
		return resolve_clock(p + 1, end, true);
	if (*p != ' ')
		return false;
	while (p < end && *p == ' ')
		p++;
	return resolve_clock(p, end, false);
}

/* The 'D' and 'S' branch of v2's resolve(): ints, floats, timestamps. */
static enum ydoc_kind
resolve_number(const char *s, size_t len, int64_t *iv, uint64_t *uv, double *fv,
    bool *is_uint)
{
	char small[RESOLVE_NUMLEN] = { 0 }, *plain;
	enum ydoc_kind kind = YDOC_STR;
	size_t n;

	if (resolve_is_timestamp(s, len))
		return YDOC_TIMESTAMP;
	plain = len < sizeof(small) ? small : xmalloc(len + 1);
	n = resolve_strip(plain, s, len);
	*is_uint = false;
	if (resolve_parse_int(plain, n, 0, iv) == NUM_OK)
		kind = YDOC_INT;
	else if (resolve_parse_uint(plain, n, 0, uv) == NUM_OK) {
		kind = YDOC_INT;
		*is_uint = true;
	} else if (resolve_is_float_syntax(plain, n) &&
	    resolve_strtod(plain, n, fv))
		kind = YDOC_FLOAT;
	else if (n >= 2 && plain[0] == '0' && plain[1] == 'b') {
		/*
		 * Reached only when base 0 failed, e.g. "0b-101": v2 retries
		 * the rest in base 2, sign allowed, and gets -5. v2's "-0b"
		 * retry can never succeed where base 0 failed, so it is left
		 * out.
		 */
		if (resolve_parse_int(plain + 2, n - 2, 2, iv) == NUM_OK)
			kind = YDOC_INT;
		else if (resolve_parse_uint(plain + 2, n - 2, 2, uv) ==
		    NUM_OK) {
			kind = YDOC_INT;
			*is_uint = true;
		}
	}
	if (plain != small)
		free(plain);
	return kind;
}

static json_t *
resolve_string(const char *s, size_t len)
{
	json_t *j;

	/* The emitter may hand us any bytes; never fail on them. */
	if ((j = json_stringn(s, len)) == NULL)
		j = json_stringn_nocheck(s, len);
	return j;
}

/*
 * Besides what ydoc_int.h promises: for .nan, .inf and -.inf (which JSON
 * cannot hold) the kind is YDOC_FLOAT and *out is set to NULL; the loader
 * turns that into an error. An integer past INT64_MAX that fits in 64
 * unsigned bits is YDOC_INT with a json_real value (jansson's integers are
 * int64); past that it is a float, as in v2.
 */
enum ydoc_kind
ydoc_resolve(const char *s, size_t len, json_t **out)
{
	const struct resolve_word *w;
	enum ydoc_kind kind = YDOC_STR;
	int64_t iv = 0;
	uint64_t uv = 0;
	double fv = 0;
	bool is_uint = false, nonfinite = false;
	char hint;

	if (out != NULL)
		*out = NULL;
	hint = len == 0 ? 'N' : s[0];
	if ((w = resolve_word_find(s, len)) != NULL) {
		kind = w->kind;
		if (kind == YDOC_BOOL)
			iv = w->value;
		nonfinite = kind == YDOC_FLOAT;
	} else if (hint == '.') {
		if (resolve_dot_float(s, len, &fv))
			kind = YDOC_FLOAT;
	} else if (resolve_isdigit(hint) || hint == '+' || hint == '-')
		kind = resolve_number(s, len, &iv, &uv, &fv, &is_uint);
	if (out == NULL || nonfinite)
		return kind;
	switch (kind) {
	case YDOC_NULL:
		*out = json_null();
		break;
	case YDOC_BOOL:
		*out = json_boolean(iv);
		break;
	case YDOC_INT:
		*out = is_uint ? json_real((double)uv) : json_integer(iv);
		break;
	case YDOC_FLOAT:
		*out = json_real(fv);
		break;
	case YDOC_STR:
	case YDOC_TIMESTAMP:
	case YDOC_MERGE:
		*out = resolve_string(s, len);
		break;
	}
	return kind;
}
