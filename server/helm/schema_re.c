/* SPDX-License-Identifier: ISC */
/*
 * The patterns of values.schema.json ("pattern", patternProperties):
 * Go's RE2 expressions, as gojsonschema runs them with regexp, run here
 * by glibc's POSIX regex. Each is translated to an ERE once, when the
 * chart loads, and compiled and run in C.UTF-8 so that '.' and brackets
 * take whole characters as Go's do.
 *
 * The hard part is the gap between the two syntaxes: Go's classes are
 * ASCII where glibc's follow the locale, Go's '.' stops at a newline,
 * Go reads a brace that does not count as itself, a bracket puts ']'
 * and '-' anywhere, and glibc refuses ranges past ASCII in C.UTF-8. What
 * cannot be said in ERE (Unicode classes, most flags, \x and \Q) leaves
 * the pattern unenforced, with a warning, rather than failing a chart
 * helm would most likely accept.
 */
#include <ctype.h>
#include <locale.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helm_int.h"
#include "schema_int.h"

/* A pattern of the schema, compiled once when the chart loads. */
struct schema_rx {
	const char *src; /* borrowed from the schema's json */
	regex_t rx;
	bool skip; /* not enforced (see schema_rx_add); rx is unset */
};

struct helm_schema_re {
	struct schema_rx *rx;
	size_t nrx;
	/*
	 * C.UTF-8, where regcomp and regexec run; (locale_t)0 when the
	 * system lacks it (then a pattern sees bytes).
	 */
	locale_t utf8;
};

/* Go's POSIX classes are ASCII only: their members, for a bracket. */
static const char *
ere_posix_class(const char *name, size_t n)
{
	static const struct {
		const char *name, *set;
	} cls[] = {
		{ "alnum", "0-9A-Za-z" },
		{ "alpha", "A-Za-z" },
		{ "ascii", "\x01-\x7f" },
		{ "blank", "\t " },
		{ "cntrl", "\x01-\x1f\x7f" },
		{ "digit", "0-9" },
		{ "graph", "!-~" },
		{ "lower", "a-z" },
		{ "print", " -~" },
		{ "punct", "!-/:-@[-`{-~" },
		{ "space", "\t\n\v\f\r " },
		{ "upper", "A-Z" },
		{ "word", "0-9A-Za-z_" },
		{ "xdigit", "0-9A-Fa-f" },
	};
	size_t i;

	for (i = 0; i < sizeof(cls) / sizeof(cls[0]); i++)
		if (strlen(cls[i].name) == n &&
		    memcmp(cls[i].name, name, n) == 0)
			return cls[i].set;
	return NULL;
}

/* The escapes both syntaxes read as one control character. */
static char
ere_ctl_escape(char c)
{
	switch (c) {
	case 'n':
		return '\n';
	case 't':
		return '\t';
	case 'r':
		return '\r';
	case 'f':
		return '\f';
	case 'v':
		return '\v';
	case 'a':
		return '\a';
	default:
		return '\0';
	}
}

/*
 * One member of a bracket at *pp: a whole UTF-8 character into m, or the
 * members of \d, \w or \s into *set. -1 for what ERE cannot say there.
 */
static int
ere_member(char m[8], const char **set, const char **pp)
{
	const unsigned char *p = (const unsigned char *)*pp;
	size_t n = 1;

	*set = NULL;
	memset(m, 0, 8);
	if (*p == '\\') {
		p++;
		if (*p == 'd')
			*set = "0-9";
		else if (*p == 'w')
			*set = "0-9A-Za-z_";
		else if (*p == 's')
			*set = "\t\n\f\r ";
		else if ((m[0] = ere_ctl_escape((char)*p)) == '\0' &&
		    (*p >= 0x80 || !ispunct(*p)))
			return -1;
		else if (m[0] == '\0')
			m[0] = (char)*p;
		*pp = (const char *)p + 1;
		return 0;
	}
	if (*p >= 0xc0)
		while (n < 4 && (p[n] & 0xc0) == 0x80)
			n++;
	memcpy(m, p, n);
	*pp = (const char *)p + n;
	return 0;
}

/* The code point of the UTF-8 character m (checked valid by jansson). */
static long
ere_cp(const char *m)
{
	const unsigned char *u = (const unsigned char *)m;
	int n = u[0] < 0x80 ? 1 : u[0] < 0xe0 ? 2 : u[0] < 0xf0 ? 3 : 4, i;
	long r = n == 1 ? u[0] : u[0] & (0x7f >> n);

	for (i = 1; i < n; i++)
		r = (r << 6) | (u[i] & 0x3f);
	return r;
}

static void
ere_add_cp(struct gd_buf *b, long r)
{
	if (r < 0x80) {
		gd_buf_addc(b, (char)r);
	} else if (r < 0x800) {
		gd_buf_addc(b, (char)(0xc0 | (r >> 6)));
		gd_buf_addc(b, (char)(0x80 | (r & 0x3f)));
	} else if (r < 0x10000) {
		gd_buf_addc(b, (char)(0xe0 | (r >> 12)));
		gd_buf_addc(b, (char)(0x80 | ((r >> 6) & 0x3f)));
		gd_buf_addc(b, (char)(0x80 | (r & 0x3f)));
	} else {
		gd_buf_addc(b, (char)(0xf0 | (r >> 18)));
		gd_buf_addc(b, (char)(0x80 | ((r >> 12) & 0x3f)));
		gd_buf_addc(b, (char)(0x80 | ((r >> 6) & 0x3f)));
		gd_buf_addc(b, (char)(0x80 | (r & 0x3f)));
	}
}

/*
 * A range of a bracket. glibc refuses a range past ASCII in C.UTF-8
 * (REG_ECOLLATE), so up to 512 such characters are listed one by one and
 * a wider range is refused.
 */
static int
ere_range(struct gd_buf *body, const char *from, const char *to)
{
	long a = ere_cp(from), z = ere_cp(to), r;

	if (a > z || strchr("[]^-", from[0]) != NULL ||
	    strchr("[]^-", to[0]) != NULL)
		return -1;
	if (z < 0x80) {
		gd_buf_printf(body, "%s-%s", from, to);
		return 0;
	}
	if (z - (a < 0x80 ? 0x80 : a) > 512)
		return -1;
	if (a < 0x80) {
		gd_buf_printf(body, "%s-\x7f", from);
		a = 0x80;
	}
	for (r = a; r <= z; r++)
		ere_add_cp(body, r);
	return 0;
}

/*
 * A bracket of Go's syntax at *pp (past its '['), as ERE wants it: the
 * members first, then ']' at the start and '[', '^' and '-' at the end,
 * where ERE reads them as themselves.
 */
static int
ere_bracket(struct gd_buf *out, const char **pp)
{
	const char *p = *pp, *e, *set;
	bool neg = false, rbr = false, lbr = false, caret = false;
	bool dash = false, first = true;
	struct gd_buf body;
	char m[8], to[8];
	int rc = -1;

	gd_buf_init(&body);
	gd_buf_add(&body, "", 0);
	if (*p == '^') {
		neg = true;
		p++;
	}
	for (; *p != ']' || first; first = false) {
		if (*p == '\0')
			goto out;
		if (p[0] == '[' && p[1] == ':') {
			if ((e = strstr(p + 2, ":]")) == NULL ||
			    (set = ere_posix_class(
				 p + 2, (size_t)(e - p - 2))) == NULL)
				goto out;
			gd_buf_adds(&body, set);
			p = e + 2;
			continue;
		}
		if (ere_member(m, &set, &p) < 0)
			goto out;
		if (set != NULL) {
			gd_buf_adds(&body, set);
			continue;
		}
		if (p[0] == '-' && p[1] != ']' && p[1] != '\0') {
			p++;
			if (ere_member(to, &set, &p) < 0 || set != NULL ||
			    ere_range(&body, m, to) < 0)
				goto out;
			continue;
		}
		if (m[1] == '\0' && strchr("[]^-", m[0]) != NULL)
			*(m[0] == ']'       ? &rbr :
				m[0] == '[' ? &lbr :
				m[0] == '^' ? &caret :
					      &dash) = true;
		else
			gd_buf_adds(&body, m);
	}
	/* ranges listed one by one must not make regcomp's work unbounded */
	if (body.len > 4096)
		goto out;
	*pp = p + 1;
	rc = 0;
	/* a '^' first would negate: with nothing else to lead, say it bare */
	if (!neg && caret && !rbr && !lbr && body.len == 0) {
		gd_buf_adds(out, dash ? "[-^]" : "\\^");
		goto out;
	}
	gd_buf_printf(out, "[%s%s%s%s%s%s]", neg ? "^" : "", rbr ? "]" : "",
	    body.data, lbr ? "[" : "", caret ? "^" : "", dash ? "-" : "");
out:
	gd_buf_dispose(&body);
	return rc;
}

/* The length of a counted repetition "n}", "n,}" or "n,m}" at p, or 0. */
static size_t
ere_count_len(const char *p)
{
	size_t n = strspn(p, "0123456789");

	if (n == 0)
		return 0;
	if (p[n] == ',')
		n += 1 + strspn(p + n + 1, "0123456789");
	return p[n] == '}' ? n + 1 : 0;
}

/* An escape outside brackets, at p (past its backslash). */
static int
ere_escape(struct gd_buf *out, char c)
{
	static const struct {
		char c;
		const char *ere;
	} esc[] = {
		{ 'd', "[0-9]" },
		{ 'D', "[^0-9]" },
		{ 'w', "[0-9A-Za-z_]" },
		{ 'W', "[^0-9A-Za-z_]" },
		{ 's', "[\t\n\f\r ]" },
		{ 'S', "[^\t\n\f\r ]" },
		{ 'A', "^" },
		{ 'z', "$" },
		{ 'b', "\\b" },
		{ 'B', "\\B" },
	};
	size_t i;

	for (i = 0; i < sizeof(esc) / sizeof(esc[0]); i++)
		if (esc[i].c == c) {
			gd_buf_adds(out, esc[i].ere);
			return 0;
		}
	if (ere_ctl_escape(c) != '\0') {
		gd_buf_addc(out, ere_ctl_escape(c));
		return 0;
	}
	if (c == '\0' || (unsigned char)c >= 0x80 || !ispunct((unsigned char)c))
		return -1;
	/* a backslash would make glibc read \< \> \` \' as anchors */
	if (strchr(".[]\\()*+?{}|^$", c) != NULL)
		gd_buf_addc(out, '\\');
	gd_buf_addc(out, c);
	return 0;
}

/*
 * Go's RE2 as POSIX ERE, to run in a UTF-8 locale: classes spelled out
 * in ASCII as Go has them, '.' short of a newline, braces that do not
 * count escaped, lazy quantifiers made greedy (whether a string matches
 * does not change) and "(?:", "(?P<n>" and a leading "(?i)" understood;
 * what ERE cannot say (other flags, \p, \x, \Q...) is refused.
 */
static int
schema_ere(struct gd_buf *out, int *cflags, const char *re, struct gd_err *err)
{
	const char *p = re, *e;
	bool quant = false;
	size_t n;
	char c;

	*cflags = REG_EXTENDED | REG_NOSUB;
	if (helm_re_costly(re))
		goto unsupported;
	if (strncmp(p, "(?i)", 4) == 0) {
		*cflags |= REG_ICASE;
		p += 4;
	}
	while ((c = *p++) != '\0') {
		if (quant && c == '?') {
			quant = false;
			continue;
		}
		quant = c == '*' || c == '+' || c == '?';
		if (c == '[') {
			if (ere_bracket(out, &p) < 0)
				goto unsupported;
		} else if (c == '.')
			gd_buf_adds(out, "[^\n]");
		else if (c == '{' && (n = ere_count_len(p)) > 0) {
			gd_buf_addc(out, c);
			gd_buf_add(out, p, n);
			p += n;
			quant = true;
		} else if (c == '{' || c == '}') {
			gd_buf_addc(out, '\\');
			gd_buf_addc(out, c);
		} else if (c == '(' && *p == '?') {
			if (p[1] == ':')
				p += 2;
			else if (p[1] == 'P' && p[2] == '<' &&
			    (e = strchr(p, '>')) != NULL)
				p = e + 1;
			else
				goto unsupported;
			gd_buf_addc(out, '(');
		} else if (c == '\\') {
			if (ere_escape(out, *p++) < 0)
				goto unsupported;
		} else
			gd_buf_addc(out, c);
	}
	gd_buf_add(out, "", 0);
	return 0;
unsupported:
	return gd_err_set(err, GD_EINVAL,
	    "values.schema.json: pattern '%s': regular expression syntax "
	    "not supported here",
	    re);
}

static void
schema_rx_add(struct helm_schema_re *s, const char *src)
{
	struct schema_rx *x;
	struct gd_buf ere;
	struct gd_err e = { 0 };
	locale_t was = (locale_t)0;
	size_t i;
	int cflags;

	for (i = 0; i < s->nrx; i++)
		if (strcmp(s->rx[i].src, src) == 0)
			return;
	if (s->nrx == 0)
		s->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	s->rx = xreallocarray(s->rx, s->nrx + 1, sizeof(*s->rx));
	x = &s->rx[s->nrx++];
	memset(x, 0, sizeof(*x));
	x->src = src;
	gd_buf_init(&ere);
	/*
	 * A pattern in RE2 syntax that POSIX cannot express is not enforced
	 * (with a warning) rather than failing the render: helm accepts the
	 * chart, and refusing to render it would block the app for a check
	 * helm would most likely pass. One Go would not compile never gets
	 * here: schema_compile.c refuses the schema, as helm does.
	 */
	if (schema_ere(&ere, &cflags, src, &e) < 0) {
		x->skip = true;
		log_warnx("helm: %s; the pattern is not checked", e.msg);
		goto out;
	}
	if (s->utf8 != (locale_t)0)
		was = uselocale(s->utf8);
	if (regcomp(&x->rx, ere.data, cflags) != 0) {
		x->skip = true;
		log_warnx("helm: values.schema.json: pattern '%s': glibc "
			  "cannot compile it; the pattern is not checked",
		    src);
	}
	if (s->utf8 != (locale_t)0)
		uselocale(was);
out:
	gd_buf_dispose(&ere);
}

/* Every "pattern" and patternProperties key, wherever it sits. */
static void
schema_rx_collect(struct helm_schema_re *s, const json_t *v)
{
	const json_t *x;
	const char *k;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			schema_rx_collect(s, x);
		}
		return;
	}
	json_object_foreach((json_t *)(uintptr_t)v, k, x) {
		if (strcmp(k, "pattern") == 0 && json_is_string(x))
			schema_rx_add(s, json_string_value(x));
		if (strcmp(k, "patternProperties") == 0 && json_is_object(x)) {
			const char *pk;
			const json_t *pv;

			json_object_foreach((json_t *)(uintptr_t)x, pk, pv) {
				(void)pv;
				schema_rx_add(s, pk);
			}
		}
		schema_rx_collect(s, x);
	}
}

struct helm_schema_re *
helm_schema_re_new(const json_t *doc)
{
	struct helm_schema_re *s = xcalloc(1, sizeof(*s));

	schema_rx_collect(s, doc);
	return s;
}

void
helm_schema_re_free(struct helm_schema_re *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nrx; i++)
		if (!s->rx[i].skip)
			regfree(&s->rx[i].rx);
	free(s->rx);
	if (s->utf8 != (locale_t)0)
		freelocale(s->utf8);
	free(s);
}

int
helm_schema_re_match(const struct helm_schema_re *x, const char *re,
    const char *s, struct gd_err *err)
{
	locale_t was = (locale_t)0;
	size_t i;
	int m;

	for (i = 0; i < x->nrx; i++) {
		if (strcmp(x->rx[i].src, re) != 0)
			continue;
		if (x->rx[i].skip)
			return 1;
		/* glibc's regexec reads characters in the thread's locale */
		if (x->utf8 != (locale_t)0)
			was = uselocale(x->utf8);
		m = regexec(&x->rx[i].rx, s, 0, NULL, 0) == 0;
		if (x->utf8 != (locale_t)0)
			uselocale(was);
		return m;
	}
	/* schema_rx_collect saw every pattern of the document */
	return gd_err_set(err, GD_EINTERNAL,
	    "values.schema.json: pattern '%s' not compiled", re);
}
