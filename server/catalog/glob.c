/* SPDX-License-Identifier: ISC */
/*
 * Globs for the include list and label selectors. A glob matches a
 * "/"-separated path: "*" and "?" stay inside one part, "[a-z]" and
 * "[!x]" are classes, and "**" crosses parts, so "apps/ ** / *.yaml"
 * (written without the spaces) matches both apps/a.yaml and
 * apps/x/y/a.yaml. The hard part is cost: a
 * naive backtracking matcher is exponential in the number of stars, so
 * this one memoises (pattern position, path position) pairs, which bounds
 * it by the product of the two lengths.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog_int.h"

struct glob_ctx {
	const char *p, *s;
	size_t plen, slen;
	signed char *memo; /* -1 unknown, 0 no, 1 yes */
};

/* The end of the class starting at p[i] ('['), or 0 when unclosed. */
static size_t
glob_class_end(const struct glob_ctx *g, size_t i)
{
	size_t j = i + 1;

	if (j < g->plen && (g->p[j] == '!' || g->p[j] == '^'))
		j++;
	if (j < g->plen && g->p[j] == ']')
		j++;
	while (j < g->plen && g->p[j] != ']')
		j++;
	return j < g->plen ? j : 0;
}

static bool
glob_class_has(const struct glob_ctx *g, size_t i, size_t end, char c)
{
	bool neg = false, hit = false;
	size_t j = i + 1;

	if (g->p[j] == '!' || g->p[j] == '^') {
		neg = true;
		j++;
	}
	for (; j < end; j++) {
		if (j + 2 < end && g->p[j + 1] == '-') {
			if (c >= g->p[j] && c <= g->p[j + 2])
				hit = true;
			j += 2;
		} else if (g->p[j] == c)
			hit = true;
	}
	return hit != neg && c != '/';
}

static bool
glob_at(struct glob_ctx *g, size_t i, size_t j)
{
	signed char *m = &g->memo[i * (g->slen + 1) + j];
	bool r = false;
	size_t end;

	if (*m >= 0)
		return *m;
	if (i == g->plen)
		r = j == g->slen;
	else if (g->p[i] == '*' && i + 1 < g->plen && g->p[i + 1] == '*') {
		/* a "**" followed by "/" may also match no folder at all */
		if (i + 2 < g->plen && g->p[i + 2] == '/' &&
		    glob_at(g, i + 3, j))
			r = true;
		else if (glob_at(g, i + 2, j))
			r = true;
		else
			r = j < g->slen && glob_at(g, i, j + 1);
	} else if (g->p[i] == '*')
		r = glob_at(g, i + 1, j) ||
		    (j < g->slen && g->s[j] != '/' && glob_at(g, i, j + 1));
	else if (j == g->slen)
		r = false;
	else if (g->p[i] == '?')
		r = g->s[j] != '/' && glob_at(g, i + 1, j + 1);
	else if (g->p[i] == '[' && (end = glob_class_end(g, i)) != 0)
		r = glob_class_has(g, i, end, g->s[j]) &&
		    glob_at(g, end + 1, j + 1);
	else if (g->p[i] == '\\' && i + 1 < g->plen)
		r = g->p[i + 1] == g->s[j] && glob_at(g, i + 2, j + 1);
	else
		r = g->p[i] == g->s[j] && glob_at(g, i + 1, j + 1);
	*m = r ? 1 : 0;
	return r;
}

bool
gd_catalog_glob_match(const char *pattern, const char *path)
{
	struct glob_ctx g;
	signed char stack[1024];
	size_t cells;
	bool r;

	g.p = pattern;
	g.s = path;
	g.plen = strlen(pattern);
	g.slen = strlen(path);
	cells = (g.plen + 1) * (g.slen + 1);
	if (g.plen > 4096 || g.slen > 4096)
		return false;
	g.memo = cells <= sizeof(stack) ? stack : xmalloc(cells);
	memset(g.memo, -1, cells);
	r = glob_at(&g, 0, 0);
	if (g.memo != stack)
		free(g.memo);
	return r;
}
