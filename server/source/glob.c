/* SPDX-License-Identifier: ISC */
/*
 * directory.include and directory.exclude globs as Argo CD matches them:
 * gobwas/glob compiled without separators, so unlike the catalog's globs
 * "*" also crosses "/" ("*.yaml" matches "a/b.yaml"), plus "{a,b}"
 * alternatives, which may nest. A pattern gobwas would refuse (an
 * unclosed "{" or "[") matches nothing, as Argo CD's glob.Match returns
 * false then. The hard part is cost on hostile patterns: braces are
 * expanded up to a bound, and each expansion is matched greedily with one
 * backtrack point, which is linear per star because "*" is the only
 * variable-length token once no separator exists.
 */
#include <stdlib.h>
#include <string.h>

#include "source_int.h"

#define GLOB_MAX_ALTS 256

struct glob_alts {
	char **v;
	size_t n;
	bool bad;
};

/* The end of the class opened at p ("[" ), or NULL when unclosed. */
static const char *
glob_class_end(const char *p)
{
	const char *q = p + 1;

	if (*q == '!')
		q++;
	if (*q == ']')
		q++;
	for (; *q != '\0'; q++) {
		if (*q == '\\' && q[1] != '\0')
			q++;
		else if (*q == ']')
			return q;
	}
	return NULL;
}

static void
glob_expand(struct glob_alts *a, const char *pat)
{
	const char *p, *open = NULL, *close = NULL, *alt;
	char *next;
	int depth = 0;

	if (a->bad)
		return;
	for (p = pat; *p != '\0' && close == NULL; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '[' && depth == 0 &&
		    (p = glob_class_end(p)) == NULL) {
			a->bad = true;
			return;
		} else if (*p == '{' && depth++ == 0)
			open = p;
		else if (*p == '}' && depth > 0 && --depth == 0)
			close = p;
	}
	if (depth > 0) {
		a->bad = true;
		return;
	}
	if (open == NULL) {
		if (a->n == GLOB_MAX_ALTS) {
			a->bad = true;
			return;
		}
		a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
		a->v[a->n++] = xstrdup(pat);
		return;
	}
	depth = 0;
	for (alt = p = open + 1; p <= close; p++) {
		if (*p == '\\' && p + 1 < close) {
			p++;
			continue;
		}
		if (*p == '{')
			depth++;
		else if (*p == '}' && p < close)
			depth--;
		if ((*p == ',' && depth == 0) || p == close) {
			xasprintf(&next, "%.*s%.*s%s", (int)(open - pat), pat,
			    (int)(p - alt), alt, close + 1);
			glob_expand(a, next);
			free(next);
			alt = p + 1;
		}
	}
}

/* Matches one token of p against c; *len is the token's length. */
static bool
glob_one(const char *p, char c, size_t *len)
{
	const char *end;
	bool neg = false, hit = false;

	if (*p == '\\' && p[1] != '\0') {
		*len = 2;
		return p[1] == c;
	}
	if (*p == '?') {
		*len = 1;
		return true;
	}
	if (*p != '[') {
		*len = 1;
		return *p == c;
	}
	end = glob_class_end(p);
	*len = (size_t)(end - p) + 1;
	p++;
	if (*p == '!') {
		neg = true;
		p++;
	}
	while (p < end) {
		if (*p == '\\' && p + 1 < end)
			p++;
		if (p + 2 < end && p[1] == '-') {
			if (c >= p[0] && c <= p[2])
				hit = true;
			p += 3;
		} else
			hit |= *p++ == c;
	}
	return hit != neg;
}

static bool
glob_simple(const char *pat, const char *s)
{
	const char *p = pat, *star_p = NULL, *star_s = NULL;
	size_t len;

	while (*s != '\0') {
		if (*p == '*') {
			while (*p == '*')
				p++;
			star_p = p;
			star_s = s;
			continue;
		}
		if (*p != '\0' && glob_one(p, *s, &len)) {
			p += len;
			s++;
			continue;
		}
		if (star_p == NULL)
			return false;
		p = star_p;
		s = ++star_s;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

bool
gd_source_glob_match(const char *pattern, const char *path)
{
	struct glob_alts a = { NULL, 0, false };
	bool hit = false;
	size_t i;

	glob_expand(&a, pattern);
	for (i = 0; i < a.n; i++) {
		if (!a.bad && !hit)
			hit = glob_simple(a.v[i], path);
		free(a.v[i]);
	}
	free(a.v);
	return hit;
}
