/* SPDX-License-Identifier: ISC */
/*
 * Sprig's urlParse and urlJoin: Go's net/url Parse and URL.String.
 *
 * urlParse gives the parts as Go holds them, decoded (path and fragment
 * unescaped, the query raw, userinfo re-escaped as Userinfo.String does);
 * urlJoin escapes each part again with the rules of its place, so a path
 * keeps "/" and ":" but escapes "?", a password escapes "@", "/", "?" and
 * ":". The hard part is those per-place escaping rules and the order of
 * Go's parsing (fragment, scheme, query, authority, path), which decides
 * what "a:b", "//h/p" and "mailto:x" mean. IPv6 zones and Go's raw-path
 * preservation of unusual escapes are not reproduced: a path is always
 * re-escaped from its decoded form.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helm_int.h"

#define FN(name)                                                               \
	static int name(struct gd_tval *out, struct gd_tmpl_call *c,           \
	    struct gd_tval *a, size_t n, struct gd_err *err)

enum url_mode { U_PATH, U_USER, U_QUERY, U_FRAGMENT, U_HOST };

/* net/url's shouldEscape */
static bool
url_escapes(unsigned char ch, enum url_mode m)
{
	if (isalnum(ch) && ch < 0x80)
		return false;
	if (m == U_HOST && strchr("!$&'()*+,;=:[]<>\"", ch) != NULL && ch)
		return false;
	switch (ch) {
	case '-':
	case '_':
	case '.':
	case '~':
		return false;
	case '$':
	case '&':
	case '+':
	case ',':
	case '/':
	case ':':
	case ';':
	case '=':
	case '?':
	case '@':
		switch (m) {
		case U_PATH:
			return ch == '?';
		case U_USER:
			return ch == '@' || ch == '/' || ch == '?' || ch == ':';
		case U_QUERY:
			return true;
		default:
			return false;
		}
	default:
		break;
	}
	if (m == U_FRAGMENT && ch != 0 && strchr("!()*", ch) != NULL)
		return false;
	return true;
}

static void
url_escape(struct gd_buf *b, const char *s, size_t len, enum url_mode m)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (url_escapes((unsigned char)s[i], m))
			gd_buf_printf(b, "%%%02X", (unsigned char)s[i]);
		else
			gd_buf_addc(b, s[i]);
	}
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
		return (ch | 0x20) - 'a' + 10;
	return -1;
}

/* %XX decoding; *bad points at the faulty escape on failure */
static char *
url_unescape(const char *s, size_t len, const char **bad)
{
	char *o = xmalloc(len + 1);
	size_t i, w = 0;

	*bad = NULL;
	for (i = 0; i < len; i++) {
		if (s[i] != '%') {
			o[w++] = s[i];
			continue;
		}
		if (i + 2 >= len || hexval(s[i + 1]) < 0 ||
		    hexval(s[i + 2]) < 0) {
			*bad = s + i;
			free(o);
			return NULL;
		}
		o[w++] = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
		i += 2;
	}
	o[w] = '\0';
	return o;
}

struct url {
	char *scheme, *opaque, *user, *pass, *host, *path, *query, *fragment;
	bool has_user, has_pass;
};

static void
url_dispose(struct url *u)
{
	free(u->scheme);
	free(u->opaque);
	free(u->user);
	free(u->pass);
	free(u->host);
	free(u->path);
	free(u->query);
	free(u->fragment);
}

static char *
dupn(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static int
bad_escape(struct gd_err *err, const char *raw, const char *bad)
{
	size_t l = strlen(bad) < 3 ? strlen(bad) : 3;

	return gd_err_set(err, GD_EINVAL,
	    "parse \"%s\": invalid URL escape "
	    "\"%.*s\"",
	    raw, (int)l, bad);
}

/* Go's url.Parse; errors read as *url.Error prints them */
static int
url_parse(struct url *u, const char *raw, struct gd_err *err)
{
	const char *frag, *rest, *p, *q, *auth_end, *at, *bad, *colon;
	size_t i, len;
	char *tmp;

	memset(u, 0, sizeof(*u));
	for (p = raw; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return gd_err_set(err, GD_EINVAL,
			    "parse \"%s\": net/url: invalid control character "
			    "in URL",
			    raw);
	len = strlen(raw);
	if ((frag = strchr(raw, '#')) != NULL) {
		if ((u->fragment = url_unescape(
			 frag + 1, strlen(frag + 1), &bad)) == NULL)
			return bad_escape(err, raw, bad);
		len = (size_t)(frag - raw);
	}
	rest = raw;
	/* the scheme: a letter, then letters, digits, + - . up to ':' */
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)raw[i];

		if (isalpha(ch))
			continue;
		if (i > 0 &&
		    (isdigit(ch) || ch == '+' || ch == '-' || ch == '.'))
			continue;
		if (ch == ':') {
			if (i == 0)
				return gd_err_set(err, GD_EINVAL,
				    "parse \"%s\": missing protocol scheme",
				    raw);
			u->scheme = dupn(raw, i);
			for (tmp = u->scheme; *tmp != '\0'; tmp++)
				*tmp = (char)tolower((unsigned char)*tmp);
			rest = raw + i + 1;
		}
		break;
	}
	len -= (size_t)(rest - raw);
	if ((q = memchr(rest, '?', len)) != NULL) {
		u->query = dupn(q + 1, len - (size_t)(q - rest) - 1);
		len = (size_t)(q - rest);
	}
	if (len == 0 || rest[0] != '/') {
		if (u->scheme != NULL) {
			u->opaque = dupn(rest, len);
			return 0;
		}
		colon = memchr(rest, ':', len);
		p = memchr(rest, '/', len);
		if (colon != NULL && (p == NULL || colon < p))
			return gd_err_set(err, GD_EINVAL,
			    "parse \"%s\": first path segment in URL cannot "
			    "contain colon",
			    raw);
	}
	/* "///p" is an empty authority after a scheme, a path without one */
	if (len >= 2 && rest[0] == '/' && rest[1] == '/' &&
	    (u->scheme != NULL || len == 2 || rest[2] != '/')) {
		p = rest + 2;
		auth_end = memchr(p, '/', len - 2);
		if (auth_end == NULL)
			auth_end = rest + len;
		for (at = NULL, q = p; q < auth_end; q++)
			if (*q == '@')
				at = q;
		if (at != NULL) {
			for (q = p; q < at; q++)
				if (!isalnum((unsigned char)*q) &&
				    strchr("-._:~!$&'()*+,;=%@", *q) == NULL)
					return gd_err_set(err, GD_EINVAL,
					    "parse \"%s\": net/url: invalid "
					    "userinfo",
					    raw);
			colon = memchr(p, ':', (size_t)(at - p));
			u->has_user = true;
			if ((u->user = url_unescape(p,
				 (size_t)((colon ? colon : at) - p), &bad)) ==
			    NULL)
				return bad_escape(err, raw, bad);
			if (colon != NULL) {
				u->has_pass = true;
				if ((u->pass = url_unescape(colon + 1,
					 (size_t)(at - colon - 1), &bad)) ==
				    NULL)
					return bad_escape(err, raw, bad);
			}
			p = at + 1;
		}
		colon = NULL;
		for (q = p; q < auth_end; q++)
			if (*q == ':')
				colon = q;
		if (colon != NULL && *p != '[')
			for (q = colon + 1; q < auth_end; q++)
				if (!isdigit((unsigned char)*q))
					return gd_err_set(err, GD_EINVAL,
					    "parse \"%s\": invalid port "
					    "\"%.*s\" after host",
					    raw, (int)(auth_end - colon),
					    colon);
		u->host = dupn(p, (size_t)(auth_end - p));
		len -= (size_t)(auth_end - rest);
		rest = auth_end;
	}
	if ((u->path = url_unescape(rest, len, &bad)) == NULL)
		return bad_escape(err, raw, bad);
	return 0;
}

/* URL.String */
static void
url_string(struct gd_buf *b, const struct url *u)
{
	const char *host = u->host ? u->host : "",
		   *path = u->path ? u->path : "";
	size_t start = b->len, seg;

	if (u->scheme && *u->scheme) {
		gd_buf_adds(b, u->scheme);
		gd_buf_addc(b, ':');
	}
	if (u->opaque && *u->opaque)
		gd_buf_adds(b, u->opaque);
	else {
		if ((u->scheme && *u->scheme) || *host || u->has_user) {
			if (*host || *path || u->has_user)
				gd_buf_adds(b, "//");
			if (u->has_user) {
				url_escape(b, u->user, strlen(u->user), U_USER);
				if (u->has_pass) {
					gd_buf_addc(b, ':');
					url_escape(b, u->pass, strlen(u->pass),
					    U_USER);
				}
				gd_buf_addc(b, '@');
			}
			url_escape(b, host, strlen(host), U_HOST);
		}
		if (*path && *path != '/' && *host)
			gd_buf_addc(b, '/');
		if (b->len == start) {
			/* "a:b" alone would read as a scheme */
			seg = strcspn(path, "/");
			if (memchr(path, ':', seg) != NULL)
				gd_buf_adds(b, "./");
		}
		url_escape(b, path, strlen(path), U_PATH);
	}
	if (u->query && *u->query) {
		gd_buf_addc(b, '?');
		gd_buf_adds(b, u->query);
	}
	if (u->fragment && *u->fragment) {
		gd_buf_addc(b, '#');
		url_escape(b, u->fragment, strlen(u->fragment), U_FRAGMENT);
	}
}

FN(f_url_parse)
{
	struct url u;
	struct gd_buf ui;
	const char *hostname;
	size_t hl;
	int rc;

	(void)c, (void)n;
	if ((rc = url_parse(&u, json_string_value(a[0].j), err)) < 0) {
		url_dispose(&u);
		gd_err_wrap(err, "unable to parse url");
		return rc;
	}
	gd_buf_init(&ui);
	gd_buf_add(&ui, "", 0);
	if (u.has_user) {
		url_escape(&ui, u.user, strlen(u.user), U_USER);
		if (u.has_pass) {
			gd_buf_addc(&ui, ':');
			url_escape(&ui, u.pass, strlen(u.pass), U_USER);
		}
	}
	/* Hostname: the host without its port or IPv6 brackets */
	hostname = u.host ? u.host : "";
	hl = strlen(hostname);
	if (hostname[0] == '[') {
		const char *e = strchr(hostname, ']');

		hostname++;
		hl = e != NULL ? (size_t)(e - hostname) : hl - 1;
	} else if (strrchr(hostname, ':') != NULL)
		hl = (size_t)(strrchr(hostname, ':') - hostname);
	*out = gd_tval_json(json_pack("{s:s, s:s, s:s%, s:s, s:s, s:s, s:s, "
				      "s:s%}",
	    "scheme", u.scheme ? u.scheme : "", "host", u.host ? u.host : "",
	    "hostname", hostname, hl, "path", u.path ? u.path : "", "query",
	    u.query ? u.query : "", "opaque", u.opaque ? u.opaque : "",
	    "fragment", u.fragment ? u.fragment : "", "userinfo", ui.data,
	    ui.len));
	gd_buf_dispose(&ui);
	url_dispose(&u);
	return 0;
}

static int
url_part(char **dst, const json_t *d, const char *key, struct gd_err *err)
{
	const json_t *v = json_object_get(d, key);
	static const char *const kinds[] = { "map", "slice", "string", "int",
		"float64", "bool", "bool", "ptr" };

	if (v == NULL) {
		*dst = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return gd_err_set(err, GD_EINVAL,
		    "unable to parse %s key, must be of type string, but %s "
		    "found",
		    key, kinds[json_typeof(v)]);
	*dst = xstrdup(json_string_value(v));
	return 0;
}

FN(f_url_join)
{
	struct url u, tu;
	struct gd_buf b;
	char *ui = NULL, *raw = NULL;
	int rc;

	(void)c, (void)n;
	memset(&u, 0, sizeof(u));
	memset(&tu, 0, sizeof(tu));
	if ((rc = url_part(&u.scheme, a[0].j, "scheme", err)) < 0 ||
	    (rc = url_part(&u.host, a[0].j, "host", err)) < 0 ||
	    (rc = url_part(&u.path, a[0].j, "path", err)) < 0 ||
	    (rc = url_part(&u.query, a[0].j, "query", err)) < 0 ||
	    (rc = url_part(&u.opaque, a[0].j, "opaque", err)) < 0 ||
	    (rc = url_part(&u.fragment, a[0].j, "fragment", err)) < 0 ||
	    (rc = url_part(&ui, a[0].j, "userinfo", err)) < 0)
		goto out;
	if (ui != NULL && *ui != '\0') {
		xasprintf(&raw, "proto://%s@host", ui);
		if ((rc = url_parse(&tu, raw, err)) < 0) {
			gd_err_wrap(err, "unable to parse userinfo in dict");
			goto out;
		}
		u.has_user = tu.has_user, u.has_pass = tu.has_pass;
		u.user = tu.user, u.pass = tu.pass;
		tu.user = tu.pass = NULL;
	}
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	url_string(&b, &u);
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
out:
	free(ui);
	free(raw);
	url_dispose(&tu);
	url_dispose(&u);
	return rc;
}

const struct gd_tmpl_func helm_sprig_url[] = {
	{ "urlJoin", f_url_join, "m", NULL, 0 },
	{ "urlParse", f_url_parse, "s", NULL, 0 },
	{ NULL, NULL, NULL, NULL, 0 },
};
