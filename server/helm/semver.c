/* SPDX-License-Identifier: ISC */
/*
 * Semantic versions and Masterminds/semver v3 constraints, as Helm uses
 * them to pick a chart version from a repository index or a registry's
 * tags ("1.3.*", "^1.2", "~1.2", ">=1.2.0 <2.0.0", "a || b").
 *
 * The hard part is keeping Masterminds' quirks, since users write ranges
 * against what helm does: a missing or wildcard part makes a constraint
 * "dirty" and changes the meaning of each operator (">1.2" means 1.3.0
 * and up, "<=1.2" takes every 1.2.x, "=1.2" is a range), and a version
 * with a prerelease only ever satisfies a constraint that names one.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "helm_int.h"

enum semver_op {
	OP_EQ, /* "", "=": equal, a range when dirty */
	OP_NE,
	OP_GT,
	OP_LT,
	OP_GE,
	OP_LE,
	OP_TILDE,
	OP_CARET,
};

struct semver_con {
	enum semver_op op;
	struct helm_semver v;
	bool dirty, minor_dirty, patch_dirty;
};

struct semver_group {
	struct semver_con *v;
	size_t n;
};

struct helm_semver_range {
	struct semver_group *groups; /* any group matching is enough */
	size_t n;
};

static bool
semver_ident_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
			return false;
	/* no empty identifier: "a..b", ".a", "a." */
	if (s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i + 1 < n; i++)
		if (s[i] == '.' && s[i + 1] == '.')
			return false;
	return true;
}

/*
 * One number of a version. Parts with more than 18 digits are refused
 * so the value always fits.
 */
static bool
semver_num(const char **pp, long long *out)
{
	const char *p = *pp;
	long long v = 0;
	int n = 0;

	while (isdigit((unsigned char)*p)) {
		if (++n > 18)
			return false;
		v = v * 10 + (*p++ - '0');
	}
	if (n == 0)
		return false;
	*out = v;
	*pp = p;
	return true;
}

/*
 * Parses version (wild: parts may be "x", "X", "*" or missing; each
 * such part is recorded in *dirty_from, the index of the first one, 3
 * when none). Returns false when it is not a version.
 */
static bool
semver_parse_ext(struct helm_semver *s, const char *str, size_t len, bool wild,
    int *dirty_from)
{
	const char *p = str, *end = str + len, *q;
	int i, first_dirty = 3;

	memset(s, 0, sizeof(*s));
	if (p < end && (*p == 'v' || *p == 'V'))
		p++;
	for (i = 0; i < 3; i++) {
		if (i > 0) {
			if (p >= end || *p != '.')
				break;
			p++;
		}
		if (wild && p < end && strchr("xX*", *p) != NULL) {
			p++;
			if (first_dirty == 3)
				first_dirty = i;
			continue;
		}
		if (p >= end || !isdigit((unsigned char)*p))
			return false;
		if (!semver_num(&p, &s->v[i]) || p > end)
			return false;
		if (first_dirty != 3)
			s->v[i] = 0;
	}
	if (i < 3 && first_dirty == 3)
		first_dirty = i;
	if (first_dirty < 3)
		for (i = first_dirty; i < 3; i++)
			s->v[i] = 0;
	if (p < end && *p == '-') {
		p++;
		q = p;
		while (q < end && *q != '+')
			q++;
		if (!semver_ident_ok(p, (size_t)(q - p)) ||
		    (size_t)(q - p) >= sizeof(s->pre))
			return false;
		memcpy(s->pre, p, (size_t)(q - p));
		s->pre[q - p] = '\0';
		p = q;
	}
	if (p < end && *p == '+') {
		p++;
		if (!semver_ident_ok(p, (size_t)(end - p)))
			return false;
		p = end;
	}
	if (p != end)
		return false;
	if (!wild && first_dirty < 3 && first_dirty == 0)
		return false;
	if (dirty_from != NULL)
		*dirty_from = first_dirty;
	return true;
}

bool
helm_semver_parse(struct helm_semver *s, const char *str)
{
	return semver_parse_ext(s, str, strlen(str), false, NULL);
}

bool
helm_semver_is_exact(const char *str)
{
	struct helm_semver s;
	int dirty;

	return semver_parse_ext(&s, str, strlen(str), true, &dirty) &&
	    dirty == 3;
}

static bool
semver_all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

/* Prerelease order (semver 2.0 §11): no prerelease sorts highest. */
int
helm_semver_cmp_pre(const char *a, const char *b)
{
	size_t na, nb;
	int r;

	if (*a == '\0' || *b == '\0')
		return (*a == '\0') - (*b == '\0');
	for (;;) {
		na = strcspn(a, ".");
		nb = strcspn(b, ".");
		if (semver_all_digits(a, na) && semver_all_digits(b, nb)) {
			/* no sign and no overflow: compare by length first */
			while (na > 1 && *a == '0')
				a++, na--;
			while (nb > 1 && *b == '0')
				b++, nb--;
			r = na != nb ? (na < nb ? -1 : 1) : memcmp(a, b, na);
		} else if (semver_all_digits(a, na))
			r = -1;
		else if (semver_all_digits(b, nb))
			r = 1;
		else {
			r = memcmp(a, b, na < nb ? na : nb);
			if (r == 0)
				r = (na > nb) - (na < nb);
		}
		if (r != 0)
			return r < 0 ? -1 : 1;
		a += na;
		b += nb;
		if (*a == '\0' || *b == '\0')
			return (*a != '\0') - (*b != '\0');
		a++;
		b++;
	}
}

int
helm_semver_cmp(const struct helm_semver *a, const struct helm_semver *b)
{
	int i;

	for (i = 0; i < 3; i++)
		if (a->v[i] != b->v[i])
			return a->v[i] < b->v[i] ? -1 : 1;
	return helm_semver_cmp_pre(a->pre, b->pre);
}

/* --- constraints ----------------------------------------------------------
 */

static bool
con_pre_refused(const struct helm_semver *v, const struct semver_con *c)
{
	return v->pre[0] != '\0' && c->v.pre[0] == '\0';
}

static bool
con_tilde(const struct helm_semver *v, const struct semver_con *c)
{
	const struct helm_semver *cv = &c->v;

	if (con_pre_refused(v, c) || helm_semver_cmp(v, cv) < 0)
		return false;
	/* ~0.0.0 (and "*") accept everything */
	if (cv->v[0] == 0 && cv->v[1] == 0 && cv->v[2] == 0 &&
	    !c->minor_dirty && !c->patch_dirty)
		return true;
	if (v->v[0] != cv->v[0])
		return false;
	return v->v[1] == cv->v[1] || c->minor_dirty;
}

static bool
con_caret(const struct helm_semver *v, const struct semver_con *c)
{
	const struct helm_semver *cv = &c->v;

	if (con_pre_refused(v, c) || helm_semver_cmp(v, cv) < 0)
		return false;
	if (cv->v[0] > 0 || c->minor_dirty)
		return v->v[0] == cv->v[0];
	if (v->v[0] > 0)
		return false;
	if (cv->v[1] > 0 || c->patch_dirty)
		return v->v[1] == cv->v[1];
	if (v->v[1] > 0)
		return false;
	return v->v[2] == cv->v[2];
}

static bool
con_not_equal(const struct helm_semver *v, const struct semver_con *c)
{
	const struct helm_semver *cv = &c->v;

	if (c->dirty) {
		if (con_pre_refused(v, c))
			return false;
		if (cv->v[0] != v->v[0])
			return true;
		if (c->minor_dirty)
			return false;
		if (cv->v[1] != v->v[1])
			return true;
		if (c->patch_dirty)
			return helm_semver_cmp_pre(v->pre, cv->pre) != 0;
		if (cv->v[2] != v->v[2])
			return true;
	}
	return helm_semver_cmp(v, cv) != 0;
}

static bool
con_match(const struct helm_semver *v, const struct semver_con *c)
{
	const struct helm_semver *cv = &c->v;

	switch (c->op) {
	case OP_EQ:
		if (c->dirty)
			return con_tilde(v, c);
		return helm_semver_cmp(v, cv) == 0;
	case OP_NE:
		return con_not_equal(v, c);
	case OP_TILDE:
		return con_tilde(v, c);
	case OP_CARET:
		return con_caret(v, c);
	default:
		break;
	}
	if (con_pre_refused(v, c))
		return false;
	switch (c->op) {
	case OP_GT:
		if (!c->dirty || v->v[0] != cv->v[0])
			return c->dirty ? v->v[0] > cv->v[0] :
					  helm_semver_cmp(v, cv) > 0;
		if (c->minor_dirty)
			return false;
		if (c->patch_dirty)
			return v->v[1] > cv->v[1];
		return helm_semver_cmp(v, cv) > 0;
	case OP_LT:
		return helm_semver_cmp(v, cv) < 0;
	case OP_GE:
		return helm_semver_cmp(v, cv) >= 0;
	case OP_LE:
		if (!c->dirty)
			return helm_semver_cmp(v, cv) <= 0;
		if (v->v[0] > cv->v[0])
			return false;
		return !(v->v[0] == cv->v[0] && v->v[1] > cv->v[1] &&
		    !c->minor_dirty);
	default:
		return false;
	}
}

static bool
con_op(const char *s, size_t n, enum semver_op *op)
{
	static const struct {
		const char *s;
		enum semver_op op;
	} ops[] = { { "", OP_EQ }, { "=", OP_EQ }, { "==", OP_EQ },
		{ "!=", OP_NE }, { ">", OP_GT }, { "<", OP_LT },
		{ ">=", OP_GE }, { "=>", OP_GE }, { "<=", OP_LE },
		{ "=<", OP_LE }, { "~", OP_TILDE }, { "~>", OP_TILDE },
		{ "^", OP_CARET } };
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strlen(ops[i].s) == n && memcmp(ops[i].s, s, n) == 0) {
			*op = ops[i].op;
			return true;
		}
	return false;
}

static bool
con_parse(struct semver_con *c, const char *op, size_t nop, const char *ver,
    size_t nver)
{
	int dirty;

	memset(c, 0, sizeof(*c));
	if (!con_op(op, nop, &c->op) ||
	    !semver_parse_ext(&c->v, ver, nver, true, &dirty))
		return false;
	c->dirty = dirty < 3;
	c->minor_dirty = dirty == 1;
	c->patch_dirty = dirty == 2;
	return true;
}

static void
group_add(struct semver_group *g, const struct semver_con *c)
{
	g->v = xreallocarray(g->v, g->n + 1, sizeof(*g->v));
	g->v[g->n++] = *c;
}

static bool
is_sep(char c)
{
	return c == ' ' || c == '\t' || c == ',';
}

/*
 * One "||" alternative: constraints separated by commas or spaces, an
 * operator may stand apart from its version (">= 1.2"), and "A - B" is
 * the inclusive range ">= A, <= B".
 */
static bool
group_parse(struct semver_group *g, const char *s, const char *end)
{
	struct semver_con c;
	const char *op, *ver;
	size_t nop, nver;
	bool hyphen = false;

	for (;;) {
		while (s < end && is_sep(*s))
			s++;
		if (s >= end)
			break;
		op = s;
		while (s < end && strchr("<>=!~^", *s) != NULL)
			s++;
		nop = (size_t)(s - op);
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		ver = s;
		while (s < end && !is_sep(*s))
			s++;
		nver = (size_t)(s - ver);
		if (nver == 0 || !con_parse(&c, op, nop, ver, nver))
			return false;
		if (hyphen) {
			if (nop != 0)
				return false;
			c.op = OP_LE;
			hyphen = false;
		} else {
			const char *t = s;

			while (t < end && (*t == ' ' || *t == '\t'))
				t++;
			if (t + 1 < end && t[0] == '-' &&
			    (t[1] == ' ' || t[1] == '\t') && nop == 0) {
				c.op = OP_GE;
				hyphen = true;
				s = t + 1;
			}
		}
		group_add(g, &c);
	}
	return !hyphen && g->n > 0;
}

int
helm_semver_range_new(
    struct helm_semver_range **out, const char *str, struct gd_err *err)
{
	struct helm_semver_range *r = xcalloc(1, sizeof(*r));
	const char *s = str, *bar;
	struct semver_con any;

	*out = NULL;
	while (*s == ' ')
		s++;
	if (*s == '\0') {
		/* "" is "*": any version but a prerelease */
		memset(&any, 0, sizeof(any));
		any.dirty = true;
		r->groups = xcalloc(1, sizeof(*r->groups));
		r->n = 1;
		group_add(&r->groups[0], &any);
		*out = r;
		return 0;
	}
	for (;;) {
		bar = strstr(s, "||");
		if (bar == NULL)
			bar = s + strlen(s);
		r->groups =
		    xreallocarray(r->groups, r->n + 1, sizeof(*r->groups));
		memset(&r->groups[r->n], 0, sizeof(r->groups[r->n]));
		r->n++;
		if (!group_parse(&r->groups[r->n - 1], s, bar)) {
			helm_semver_range_free(r);
			return gd_err_set(
			    err, GD_EINVAL, "improper constraint: %s", str);
		}
		if (*bar == '\0')
			break;
		s = bar + 2;
	}
	*out = r;
	return 0;
}

bool
helm_semver_range_match(
    const struct helm_semver_range *r, const struct helm_semver *v)
{
	size_t i, j;
	bool ok;

	for (i = 0; i < r->n; i++) {
		ok = true;
		for (j = 0; j < r->groups[i].n && ok; j++)
			ok = con_match(v, &r->groups[i].v[j]);
		if (ok)
			return true;
	}
	return false;
}

void
helm_semver_range_free(struct helm_semver_range *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		free(r->groups[i].v);
	free(r->groups);
	free(r);
}
