/* SPDX-License-Identifier: ISC */
/*
 * values.schema.json's "format" keyword: the checkers gojsonschema v1.2.0
 * runs (date, time, date-time, hostname, email, ipv4, ipv6, uri and its
 * kin, uuid, regex, JSON pointers), each after the Go function it calls
 * (time.Parse, net/mail.ParseAddress, net.ParseIP, url.Parse,
 * regexp.Compile). The hard part is accepting exactly what those accept,
 * quirks included, without their code: each checker says where it falls
 * short.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "helm_int.h"

/* --- formats ---------------------------------------------------------------
 */

static bool
fmt_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
fmt_alnum(char c)
{
	return fmt_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
fmt_hex(char c)
{
	if (fmt_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly n digits at *p, moved past on success. */
static bool
fmt_num(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!fmt_digit((*p)[i]))
			return false;
		*v = *v * 10 + (*p)[i] - '0';
	}
	*p += n;
	return true;
}

/* Go's layout "2006-01-02"; time.Parse checks the day against the month. */
static bool
fmt_date_part(const char **p)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	int y, m, d;

	if (!fmt_num(p, 4, &y) || *(*p)++ != '-' || !fmt_num(p, 2, &m) ||
	    *(*p)++ != '-' || !fmt_num(p, 2, &d))
		return false;
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	return m != 2 || d < 29 ||
	    (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

/*
 * Go's layout "15:04:05": its hour may be one digit, and a fraction of a
 * second after '.' or ',' is taken though the layout has none.
 */
static bool
fmt_time_part(const char **p)
{
	int h, m, s;

	if (!fmt_num(p, 2, &h) && !fmt_num(p, 1, &h))
		return false;
	if (h > 23 || *(*p)++ != ':' || !fmt_num(p, 2, &m) || m > 59 ||
	    *(*p)++ != ':' || !fmt_num(p, 2, &s) || s > 59)
		return false;
	if (((*p)[0] == '.' || (*p)[0] == ',') && fmt_digit((*p)[1]))
		for ((*p)++; fmt_digit(**p); (*p)++)
			;
	return true;
}

/* Go's "Z07:00": 'Z' or +hh:mm, where Go lets an offset reach 24:60. */
static bool
fmt_zone(const char **p)
{
	int h, m;

	if (**p == 'Z') {
		(*p)++;
		return true;
	}
	if (**p != '+' && **p != '-')
		return false;
	(*p)++;
	return fmt_num(p, 2, &h) && h <= 24 && *(*p)++ == ':' &&
	    fmt_num(p, 2, &m) && m <= 60;
}

/*
 * "date-time" tries Go's layouts "15:04:05", "15:04:05Z07:00",
 * "2006-01-02" and RFC 3339 (with or without a fraction): so a bare time
 * or date passes, a lowercase 't' or 'z' does not, nor a leap second.
 */
static bool
fmt_when(const char *s, bool date, bool time)
{
	const char *p = s;

	if (time && fmt_time_part(&p) &&
	    (*p == '\0' || (fmt_zone(&p) && *p == '\0')))
		return true;
	p = s;
	if (!date || !fmt_date_part(&p))
		return false;
	if (*p == '\0')
		return true;
	return time && *p++ == 'T' && fmt_time_part(&p) && fmt_zone(&p) &&
	    *p == '\0';
}

static bool
fmt_date_time(const char *s)
{
	return fmt_when(s, true, true);
}

static bool
fmt_date(const char *s)
{
	return fmt_when(s, true, false);
}

static bool
fmt_time(const char *s)
{
	return fmt_when(s, false, true);
}

/* gojsonschema's hostname expression: labels of 1 to 63 letters, digits
 * and inner hyphens, no trailing dot, under 256 bytes in all. */
static bool
fmt_hostname(const char *s)
{
	const char *p;
	size_t n = 0;

	if (strlen(s) >= 256)
		return false;
	for (p = s;; p++) {
		if (fmt_alnum(*p) || (*p == '-' && n > 0)) {
			n++;
			continue;
		}
		if ((*p != '.' && *p != '\0') || n == 0 || n > 63 ||
		    p[-1] == '-')
			return false;
		if (*p == '\0')
			return true;
		n = 0;
	}
}

/*
 * net.ParseIP, then a '.' for "ipv4" or a ':' for "ipv6" as gojsonschema
 * asks: so "::ffff:10.0.0.1" is both. inet_pton agrees with Go since 1.17
 * (no leading zeros in IPv4, at most four hex digits a group, no zone).
 */
static bool
fmt_ipv4(const char *s)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, s, buf) == 1)
		return true;
	return inet_pton(AF_INET6, s, buf) == 1 && strchr(s, '.') != NULL;
}

static bool
fmt_ipv6(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET6, s, buf) == 1;
}

static bool
fmt_uuid(const char *s)
{
	int i;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!fmt_digit(s[i]) && (s[i] < 'a' || s[i] > 'f'))
			return false;
	}
	return s[36] == '\0';
}

static bool
fmt_json_pointer(const char *s)
{
	if (*s != '\0' && *s != '/')
		return false;
	for (; *s != '\0'; s++)
		if (*s == '~' && s[1] != '0' && s[1] != '1')
			return false;
	return true;
}

static bool
fmt_rel_json_pointer(const char *s)
{
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (fmt_digit(*s))
			s++;
	else
		return false;
	return strcmp(s, "#") == 0 || fmt_json_pointer(s);
}

/* --- format "email": Go's net/mail.ParseAddress ---------------------------
 *
 * One address, bare ("a@b") or named ("Name <a@b>"), with quoted local
 * parts and comments around it. Narrower than Go: no groups
 * ("g: a@b;"), no "[1.2.3.4]" domains, no specials in display names.
 */

static void
mail_space(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* Spaces and (nested) comments; false when a comment is not closed. */
static bool
mail_cfws(const char **p)
{
	int depth;

	for (mail_space(p); **p == '('; mail_space(p)) {
		for (depth = 0;; (*p)++) {
			if (**p == '\0')
				return false;
			if (**p == '\\' && (*p)[1] != '\0')
				(*p)++;
			else if (**p == '(')
				depth++;
			else if (**p == ')' && --depth == 0)
				break;
		}
		(*p)++;
	}
	return true;
}

/* VCHAR, where Go also takes any non-ASCII character */
static bool
mail_vchar(unsigned char c)
{
	return (c >= '!' && c <= '~') || c >= 0x80;
}

static bool
mail_atext(unsigned char c)
{
	if (c < '!' || c > '~')
		return c >= 0x80;
	return strchr("()<>[]:;@\\,\"", c) == NULL;
}

/* A dot-atom; strict refuses a leading, trailing or doubled dot. */
static bool
mail_atom(const char **p, bool strict)
{
	const char *s = *p, *q;

	while (mail_atext((unsigned char)**p) || **p == '.')
		(*p)++;
	if (*p == s)
		return false;
	if (!strict)
		return true;
	for (q = s; q < *p; q++)
		if (*q == '.' && (q == s || q + 1 == *p || q[1] == '.'))
			return false;
	return true;
}

static bool
mail_quoted(const char **p, bool nonempty)
{
	const char *s = ++*p;
	unsigned char c;

	for (;; (*p)++) {
		c = (unsigned char)**p;
		if (c == '"')
			break;
		if (c == '\\')
			c = (unsigned char)*++*p;
		if (!mail_vchar(c) && c != ' ' && c != '\t')
			return false;
	}
	(*p)++;
	return !nonempty || *p - 1 > s;
}

static bool
mail_addr_spec(const char **p)
{
	mail_space(p);
	if (**p == '"' ? !mail_quoted(p, true) : !mail_atom(p, true))
		return false;
	if (*(*p)++ != '@')
		return false;
	mail_space(p);
	return mail_atom(p, true);
}

static bool
fmt_email(const char *s)
{
	const char *p = s, *q;
	int words = 0;

	mail_space(&p);
	q = p;
	/* Go takes a bare address first and does not go back on it */
	if (mail_addr_spec(&q))
		return mail_cfws(&q) && *q == '\0';
	while (*p != '<') {
		if (words > 0 && !mail_cfws(&p))
			return false;
		mail_space(&p);
		q = p;
		if (*p == '"' ? !mail_quoted(&q, false) : !mail_atom(&q, false))
			break;
		p = q;
		words++;
	}
	if (*p != '<' && words == 0)
		return false;
	mail_space(&p);
	return *p++ == '<' && mail_addr_spec(&p) && *p++ == '>' &&
	    mail_cfws(&p) && *p == '\0';
}

/* --- formats "uri", "uri-reference", "uri-template": Go's url.Parse -------
 *
 * The errors url.Parse can return: control characters, a scheme
 * starting ':', a colon in the first segment of a relative path, bad
 * %-escapes, a bad port or host character, bad userinfo. Wider than Go
 * from 1.24 on, which also checks what stands inside "[...]" hosts.
 */

enum { URL_PLAIN, URL_HOST, URL_ZONE };

static const char *
url_rfind(const char *s, size_t n, char c)
{
	while (n-- > 0)
		if (s[n] == c)
			return s + n;
	return NULL;
}

/* What a host may hold unescaped (Go's shouldEscape(c, encodeHost)). */
static bool
url_host_char(int c)
{
	return c != '\0' && c < 0x80 &&
	    (fmt_alnum((char)c) || strchr("!$&'()*+,;=:[]<>\"-_.~", c) != NULL);
}

/*
 * Go's unescape(): each '%' starts two hex digits; in a host only
 * non-ASCII bytes (and "%25") may be escaped, and a zone may escape only
 * what it could hold as it is.
 */
static bool
url_unescape_ok(const char *s, size_t n, int mode)
{
	size_t i;
	int v;

	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			if (mode != URL_PLAIN && (unsigned char)s[i] < 0x80 &&
			    !url_host_char(s[i]))
				return false;
			continue;
		}
		if (i + 2 >= n || fmt_hex(s[i + 1]) < 0 ||
		    fmt_hex(s[i + 2]) < 0)
			return false;
		v = fmt_hex(s[i + 1]) * 16 + fmt_hex(s[i + 2]);
		if (strncmp(s + i, "%25", 3) != 0 &&
		    ((mode == URL_HOST && v < 0x80) ||
			(mode == URL_ZONE && v != ' ' && !url_host_char(v))))
			return false;
		i += 2;
	}
	return true;
}

static bool
url_port_ok(const char *s, size_t n)
{
	size_t i;

	if (n > 0 && s[0] != ':')
		return false;
	for (i = 1; i < n; i++)
		if (!fmt_digit(s[i]))
			return false;
	return true;
}

static bool
url_host_ok(const char *h, size_t n)
{
	const char *rb, *c, *zone = NULL;

	if (n > 0 && h[0] == '[') {
		if ((rb = url_rfind(h, n, ']')) == NULL ||
		    !url_port_ok(rb + 1, (size_t)(h + n - rb - 1)))
			return false;
		for (c = h; c + 3 <= rb && zone == NULL; c++)
			if (strncmp(c, "%25", 3) == 0)
				zone = c;
		if (zone != NULL)
			return url_unescape_ok(
				   h, (size_t)(zone - h), URL_HOST) &&
			    url_unescape_ok(
				zone, (size_t)(rb - zone), URL_ZONE) &&
			    url_unescape_ok(rb, (size_t)(h + n - rb), URL_HOST);
	} else if ((c = url_rfind(h, n, ':')) != NULL &&
	    !url_port_ok(c, (size_t)(h + n - c)))
		return false;
	return url_unescape_ok(h, n, URL_HOST);
}

static bool
url_authority_ok(const char *a, size_t n)
{
	const char *at = url_rfind(a, n, '@'), *p;

	if (at == NULL)
		return url_host_ok(a, n);
	if (!url_host_ok(at + 1, (size_t)(a + n - at - 1)))
		return false;
	for (p = a; p < at; p++)
		if (!fmt_alnum(*p) && strchr("-._:~!$&'()*+,;=%@", *p) == NULL)
			return false;
	return url_unescape_ok(a, (size_t)(at - a), URL_PLAIN);
}

/*
 * True when Go's url.Parse(s) succeeds. *scheme tells whether s named a
 * scheme; *path and *plen are its path, still escaped ("" when opaque).
 */
static bool
url_parse_ok(const char *s, bool *scheme, const char **path, size_t *plen)
{
	const char *frag = strchr(s, '#'), *end, *rest = s, *p, *seg;

	end = frag != NULL ? frag : s + strlen(s);
	*scheme = false;
	*path = "";
	*plen = 0;
	for (p = s; p < end; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	if (frag != NULL &&
	    !url_unescape_ok(frag + 1, strlen(frag + 1), URL_PLAIN))
		return false;
	if (end - s == 1 && *s == '*') {
		*path = s;
		*plen = 1;
		return true;
	}
	for (p = s; p < end; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			continue;
		if (fmt_digit(*p) || *p == '+' || *p == '-' || *p == '.') {
			if (p == s)
				break;
			continue;
		}
		if (*p == ':') {
			if (p == s)
				return false;
			*scheme = true;
			rest = p + 1;
		}
		break;
	}
	if ((p = memchr(rest, '?', (size_t)(end - rest))) != NULL)
		end = p;
	if (rest == end || *rest != '/') {
		if (*scheme)
			return true;
		seg = memchr(rest, '/', (size_t)(end - rest));
		if (memchr(rest, ':',
			(size_t)((seg != NULL ? seg : end) - rest)) != NULL)
			return false;
	}
	if ((*scheme || strncmp(rest, "///", 3) != 0) && end - rest >= 2 &&
	    rest[0] == '/' && rest[1] == '/') {
		rest += 2;
		if ((p = memchr(rest, '/', (size_t)(end - rest))) == NULL)
			p = end;
		if (!url_authority_ok(rest, (size_t)(p - rest)))
			return false;
		rest = p;
	}
	*path = rest;
	*plen = (size_t)(end - rest);
	return url_unescape_ok(rest, *plen, URL_PLAIN);
}

static bool
fmt_uri(const char *s)
{
	const char *path;
	size_t n;
	bool scheme;

	return url_parse_ok(s, &scheme, &path, &n) && scheme &&
	    strchr(s, '\\') == NULL;
}

static bool
fmt_uri_reference(const char *s)
{
	const char *path;
	size_t n;
	bool scheme;

	return url_parse_ok(s, &scheme, &path, &n) && strchr(s, '\\') == NULL;
}

/* gojsonschema: every '{' of the unescaped path closes before the end */
static bool
fmt_uri_template(const char *s)
{
	const char *path;
	size_t n, i;
	bool scheme, open = false;
	int c;

	if (strchr(s, '\\') != NULL || !url_parse_ok(s, &scheme, &path, &n))
		return false;
	for (i = 0; i < n; i++) {
		c = path[i];
		if (c == '%') {
			c = fmt_hex(path[i + 1]) * 16 + fmt_hex(path[i + 2]);
			i += 2;
		}
		if (c == '{')
			open = true;
		else if (c == '}')
			open = false;
	}
	return !open;
}

/* --- format "regex": what Go's regexp.Compile refuses ---------------------
 *
 * RE2's syntax with Perl's flags, checked without compiling: groups and
 * flags, classes and ranges, escapes, and repetitions (none at the start
 * of a group or stacked, counts up to 1000). Wider than Go: any
 * \p{Name} of letters passes, duplicate group names and over-large
 * nested counts are not refused.
 */

static long
re2_rune(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;
	long r;
	int n, i;

	n = s[0] < 0x80           ? 1 :
	    (s[0] & 0xe0) == 0xc0 ? 2 :
	    (s[0] & 0xf0) == 0xe0 ? 3 :
				    4;
	r = n == 1 ? s[0] : s[0] & (0x7f >> n);
	for (i = 1; i < n && (s[i] & 0xc0) == 0x80; i++)
		r = (r << 6) | (s[i] & 0x3f);
	*p += i;
	return r;
}

/* Go's parseEscape, *p at the backslash: the character meant in *r. */
static bool
re2_escape(const char **p, long *r)
{
	static const char ctl[] = "a\af\fn\nr\rt\tv\v";
	const char *s = *p + 1, *k;
	char c = *s++;
	int i;

	if (c == '\0' || (unsigned char)c >= 0x80)
		return false;
	*r = (unsigned char)c;
	if (!fmt_alnum(c))
		goto done;
	if (c >= '1' && c <= '7' && (*s < '0' || *s > '7'))
		return false; /* a backreference */
	if (c >= '0' && c <= '7') {
		for (*r = c - '0', i = 1; i < 3 && *s >= '0' && *s <= '7'; i++)
			*r = *r * 8 + *s++ - '0';
		goto done;
	}
	if (c == 'x' && *s == '{') {
		for (s++, *r = 0, i = 0; *s != '}'; s++, i++) {
			if (fmt_hex(*s) < 0 ||
			    (*r = *r * 16 + fmt_hex(*s)) > 0x10ffff)
				return false;
		}
		if (i == 0)
			return false;
		s++;
		goto done;
	}
	if (c == 'x') {
		if (fmt_hex(s[0]) < 0 || fmt_hex(s[1]) < 0)
			return false;
		*r = fmt_hex(s[0]) * 16 + fmt_hex(s[1]);
		s += 2;
		goto done;
	}
	for (k = ctl; *k != '\0' && *k != c; k += 2)
		;
	if (*k == '\0')
		return false;
	*r = (unsigned char)k[1];
done:
	*p = s;
	return true;
}

/* \pL, \PL, \p{Name} or \p{^Name}, *p at the backslash */
static bool
re2_unicode_class(const char **p)
{
	const char *s = *p + 2, *e;

	if (*s != '{') {
		if (*s == '\0' || strchr("CLMNPSZ", *s) == NULL)
			return false;
		*p = s + 1;
		return true;
	}
	if (*++s == '^')
		s++;
	for (e = s;
	     (*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') || *e == '_';
	     e++)
		;
	if (e == s || *e != '}')
		return false;
	*p = e + 1;
	return true;
}

/* "[:name:]" or "[:^name:]" between s and e (at ":]") */
static bool
re2_posix_class(const char *s, const char *e)
{
	static const char *const names[] = { "alnum", "alpha", "ascii", "blank",
		"cntrl", "digit", "graph", "lower", "print", "punct", "space",
		"upper", "word", "xdigit" };
	size_t i;

	if (*s == '^')
		s++;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == (size_t)(e - s) &&
		    strncmp(names[i], s, (size_t)(e - s)) == 0)
			return true;
	return false;
}

static bool
re2_class_char(const char **p, long *r)
{
	if (**p == '\\')
		return re2_escape(p, r);
	*r = re2_rune(p);
	return true;
}

/* A bracketed class, *p at its '['; a ']' first is a literal. */
static bool
re2_class(const char **p)
{
	const char *s = *p + 1, *e;
	bool first = true;
	long lo, hi;

	if (*s == '^')
		s++;
	while (*s != ']' || first) {
		first = false;
		if (*s == '\0')
			return false;
		if (s[0] == '[' && s[1] == ':' &&
		    (e = strstr(s + 2, ":]")) != NULL) {
			if (!re2_posix_class(s + 2, e))
				return false;
			s = e + 2;
		} else if (s[0] == '\\' && (s[1] == 'p' || s[1] == 'P')) {
			if (!re2_unicode_class(&s))
				return false;
		} else if (s[0] == '\\' && s[1] != '\0' &&
		    strchr("dDsSwW", s[1]) != NULL)
			s += 2;
		else if (!re2_class_char(&s, &lo))
			return false;
		else if (s[0] == '-' && s[1] != ']' && s[1] != '\0') {
			s++;
			if (!re2_class_char(&s, &hi) || hi < lo)
				return false;
		}
	}
	*p = s + 1;
	return true;
}

/* Go's parseInt for counts: no leading zeros; -1 when far too big. */
static bool
re2_int(const char **p, int *v)
{
	const char *s = *p;

	if (!fmt_digit(*s) || (s[0] == '0' && fmt_digit(s[1])))
		return false;
	while (fmt_digit(*s))
		s++;
	*v = s - *p >= 8 ? -1 : (int)strtol(*p, NULL, 10);
	*p = s;
	return true;
}

/* "{n}", "{n,}" or "{n,m}" at *p; anything else leaves '{' a literal. */
static bool
re2_counts(const char **p, int *n, int *m)
{
	const char *s = *p + 1;

	if (!re2_int(&s, n))
		return false;
	*m = *n;
	if (*s == ',') {
		if (*++s == '}')
			*m = -1;
		else if (!re2_int(&s, m))
			return false;
		else if (*m < 0)
			*n = -1;
	}
	if (*s != '}')
		return false;
	*p = s + 1;
	return true;
}

/* After "(?": flags, then ')' (flags only) or ':' (a group, *open). */
static bool
re2_flags(const char **p, bool *open)
{
	bool neg = false, saw = false;

	for (;; (*p)++) {
		if (**p != '\0' && strchr("imsU", **p) != NULL)
			saw = true;
		else if (**p == '-' && !neg) {
			neg = true;
			saw = false;
		} else if ((**p == ':' || **p == ')') && (saw || !neg)) {
			*open = *(*p)++ == ':';
			return true;
		} else
			return false;
	}
}

/* One escape outside a class; *atom when it can be repeated. */
static bool
re2_escape_atom(const char **p, bool *atom)
{
	const char *e;
	bool empty;
	long r;

	switch ((*p)[1]) {
	case 'A':
	case 'z':
	case 'b':
	case 'B':
	case 'd':
	case 'D':
	case 's':
	case 'S':
	case 'w':
	case 'W':
		*p += 2;
		break;
	case 'p':
	case 'P':
		if (!re2_unicode_class(p))
			return false;
		break;
	case 'Q':
		/* literals up to \E: nothing to repeat when there are none */
		if ((e = strstr(*p + 2, "\\E")) == NULL)
			e = *p + strlen(*p);
		empty = e == *p + 2;
		*p = *e != '\0' ? e + 2 : e;
		if (empty)
			return true;
		break;
	default:
		if (!re2_escape(p, &r))
			return false;
	}
	*atom = true;
	return true;
}

static bool
fmt_regex(const char *re)
{
	const char *p = re, *q;
	bool atom = false, rep = false, isrep, open, counted;
	int depth = 0, n, m;

	while (*p != '\0') {
		isrep = false;
		q = p;
		counted = *p == '{' && re2_counts(&q, &n, &m);
		if (p[0] == '(' && p[1] == '?') {
			p += 2;
			if (*p == '<' || (p[0] == 'P' && p[1] == '<')) {
				for (p += *p == 'P' ? 2 : 1, q = p;
				     fmt_alnum(*q) || *q == '_'; q++)
					;
				if (q == p || *q != '>')
					return false;
				p = q + 1;
				open = true;
			} else if (!re2_flags(&p, &open))
				return false;
			if (open) {
				depth++;
				atom = false;
			}
		} else if (*p == '(') {
			p++;
			depth++;
			atom = false;
		} else if (*p == ')') {
			if (depth-- == 0)
				return false;
			p++;
			atom = true;
		} else if (*p == '|') {
			p++;
			atom = false;
		} else if (*p == '*' || *p == '+' || *p == '?' || counted) {
			if (rep || !atom)
				return false; /* nothing to repeat, or a** */
			if (counted) {
				if (n < 0 || n > 1000 || m > 1000 ||
				    (m >= 0 && n > m))
					return false;
				p = q;
			} else
				p++;
			if (*p == '?')
				p++;
			isrep = true;
		} else if (*p == '[') {
			if (!re2_class(&p))
				return false;
			atom = true;
		} else if (*p == '\\') {
			if (!re2_escape_atom(&p, &atom))
				return false;
		} else {
			re2_rune(&p);
			atom = true;
		}
		rep = isrep;
	}
	return depth == 0;
}

/* gojsonschema v1.2.0's formats; any other name passes. */
static const struct {
	const char *name;
	bool (*ok)(const char *);
} schema_formats[] = {
	{ "date", fmt_date },
	{ "time", fmt_time },
	{ "date-time", fmt_date_time },
	{ "hostname", fmt_hostname },
	{ "email", fmt_email },
	{ "idn-email", fmt_email },
	{ "ipv4", fmt_ipv4 },
	{ "ipv6", fmt_ipv6 },
	{ "uri", fmt_uri },
	{ "uri-reference", fmt_uri_reference },
	{ "iri", fmt_uri },
	{ "iri-reference", fmt_uri_reference },
	{ "uri-template", fmt_uri_template },
	{ "uuid", fmt_uuid },
	{ "regex", fmt_regex },
	{ "json-pointer", fmt_json_pointer },
	{ "relative-json-pointer", fmt_rel_json_pointer },
};

/*
 * True when v passes "format" f. gojsonschema hands a number to the
 * checker as a big.Rat, which none of them takes: so a number fails any
 * format it knows. Other types are not checked. A string holding NUL is
 * checked up to it.
 */
bool
helm_schema_format_ok(const char *f, const json_t *v)
{
	size_t i;

	for (i = 0; i < sizeof(schema_formats) / sizeof(schema_formats[0]); i++)
		if (strcmp(f, schema_formats[i].name) == 0)
			return json_is_string(v) &&
			    schema_formats[i].ok(json_string_value(v));
	return true;
}
