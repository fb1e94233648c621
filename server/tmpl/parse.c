/* SPDX-License-Identifier: ISC */
/*
 * The parser and the template set: Go's text/template/parse/parse.go and
 * node.go, with the same grammar, the same variable scoping and the same
 * error texts ("template: NAME:LINE: unexpected EOF").
 *
 * Go reports a parse error by panicking out of any depth; here a longjmp
 * does it, and every node is registered with the parser as it is made so
 * the error path can free what was built. The subtle parts are Go's:
 * the three-token look-ahead that tells "$x := " from "$x foo", "else if"
 * rewritten as a nested if that shares one {{end}}, and that the line of
 * an error is that of the last token the lexer produced.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl_int.h"

struct parser {
	struct tmpl_items items;
	size_t i; /* next item */
	size_t far; /* furthest item read: Go's token[0] */
	struct tmpl_text *src;
	struct gd_tmpl_set *set;
	char *tree_name; /* name of the tree being parsed */
	const char **vars; /* in scope, borrowed from items */
	size_t *varlens;
	size_t nvars, capvars;
	int range_depth;
	size_t nesting;
	struct tmpl_nodes all; /* every node made, for the error path */
	struct tmpl_tree **trees; /* this parse's tree set */
	size_t ntrees;
	struct tmpl_tree **dropped; /* replaced within this parse */
	size_t ndropped;
	size_t var_base; /* first variable of the tree being parsed */
	int action_line;
	jmp_buf jb;
	struct gd_err *err;
};

/* --- nodes ------------------------------------------------------------ */

static void
nodes_add(struct tmpl_nodes *ns, struct tmpl_node *n)
{
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 4;
		ns->v = xreallocarray(ns->v, ns->cap, sizeof(*ns->v));
	}
	ns->v[ns->n++] = n;
}

static void
node_free_shallow(struct tmpl_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	free(n->str);
	free(n->quoted);
	json_decref(n->jstr);
	json_decref(n->jint);
	json_decref(n->jreal);
	for (i = 0; i < n->nidents; i++)
		free(n->idents[i]);
	free(n->idents);
	free(n->kids.v);
	free(n->decl.v);
	free(n);
}

void
tmpl_node_free(struct tmpl_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->kids.n; i++)
		tmpl_node_free(n->kids.v[i]);
	for (i = 0; i < n->decl.n; i++)
		tmpl_node_free(n->decl.v[i]);
	tmpl_node_free(n->pipe);
	tmpl_node_free(n->list);
	tmpl_node_free(n->elselist);
	tmpl_node_free(n->node);
	node_free_shallow(n);
}

static void parse_fail(struct parser *, const char *, ...) GD_PRINTF(2, 3);

static struct tmpl_node *
node_new(struct parser *p, enum tmpl_node_type t, size_t pos, int line)
{
	struct tmpl_node *n = xcalloc(1, sizeof(*n));

	n->type = t;
	n->pos = pos;
	n->line = line;
	n->src = p->src;
	nodes_add(&p->all, n);
	return n;
}

/* Frees a node that was made and not used (it is the last one made). */
static void
node_discard(struct parser *p, struct tmpl_node *n)
{
	size_t i;

	for (i = p->all.n; i-- > 0;) {
		if (p->all.v[i] == n) {
			memmove(&p->all.v[i], &p->all.v[i + 1],
			    (p->all.n - i - 1) * sizeof(*p->all.v));
			p->all.n--;
			break;
		}
	}
	node_free_shallow(n);
}

static void
node_idents(struct tmpl_node *n, const char *s, size_t len)
{
	const char *dot;
	size_t k;

	/* ".a.b" -> a, b; "$x.a" -> $x, a */
	if (len > 0 && s[0] == '.') {
		s++;
		len--;
	}
	while (len > 0) {
		dot = memchr(s, '.', len);
		k = dot ? (size_t)(dot - s) : len;
		n->idents = xreallocarray(
		    n->idents, n->nidents + 1, sizeof(*n->idents));
		n->idents[n->nidents++] = xstrndup(s, k);
		if (dot == NULL)
			break;
		s += k + 1;
		len -= k + 1;
	}
}

static void
node_string_list(struct gd_buf *b, const struct tmpl_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->kids.n; i++)
		tmpl_node_string(b, n->kids.v[i]);
}

static void
node_string_arg(struct gd_buf *b, const struct tmpl_node *a)
{
	if (a->type == NODE_PIPE) {
		gd_buf_addc(b, '(');
		tmpl_node_string(b, a);
		gd_buf_addc(b, ')');
	} else
		tmpl_node_string(b, a);
}

static void
node_string_branch(
    struct gd_buf *b, const struct tmpl_node *n, const char *word)
{
	gd_buf_printf(b, "{{%s ", word);
	tmpl_node_string(b, n->pipe);
	gd_buf_adds(b, "}}");
	node_string_list(b, n->list);
	if (n->elselist != NULL) {
		gd_buf_adds(b, "{{else}}");
		node_string_list(b, n->elselist);
	}
	gd_buf_adds(b, "{{end}}");
}

void
tmpl_node_string(struct gd_buf *b, const struct tmpl_node *n)
{
	size_t i;

	switch (n->type) {
	case NODE_TEXT:
		gd_buf_add(b, n->str, n->slen);
		break;
	case NODE_ACTION:
		gd_buf_adds(b, "{{");
		tmpl_node_string(b, n->pipe);
		gd_buf_adds(b, "}}");
		break;
	case NODE_BOOL:
		gd_buf_adds(b, n->b ? "true" : "false");
		break;
	case NODE_CHAIN:
		node_string_arg(b, n->node);
		for (i = 0; i < n->nidents; i++)
			gd_buf_printf(b, ".%s", n->idents[i]);
		break;
	case NODE_COMMAND:
		for (i = 0; i < n->kids.n; i++) {
			if (i > 0)
				gd_buf_addc(b, ' ');
			node_string_arg(b, n->kids.v[i]);
		}
		break;
	case NODE_DOT:
		gd_buf_addc(b, '.');
		break;
	case NODE_FIELD:
		for (i = 0; i < n->nidents; i++)
			gd_buf_printf(b, ".%s", n->idents[i]);
		break;
	case NODE_VARIABLE:
		for (i = 0; i < n->nidents; i++)
			gd_buf_printf(b, "%s%s", i ? "." : "", n->idents[i]);
		break;
	case NODE_IDENT:
		gd_buf_adds(b, n->str);
		break;
	case NODE_NIL:
		gd_buf_adds(b, "nil");
		break;
	case NODE_NUMBER:
	case NODE_STRING:
		gd_buf_adds(b, n->quoted);
		break;
	case NODE_PIPE:
		for (i = 0; i < n->decl.n; i++) {
			if (i > 0)
				gd_buf_adds(b, ", ");
			tmpl_node_string(b, n->decl.v[i]);
		}
		if (n->decl.n > 0)
			gd_buf_adds(b, n->is_assign ? " = " : " := ");
		for (i = 0; i < n->kids.n; i++) {
			if (i > 0)
				gd_buf_adds(b, " | ");
			tmpl_node_string(b, n->kids.v[i]);
		}
		break;
	case NODE_LIST:
		node_string_list(b, n);
		break;
	case NODE_IF:
		node_string_branch(b, n, "if");
		break;
	case NODE_RANGE:
		node_string_branch(b, n, "range");
		break;
	case NODE_WITH:
		node_string_branch(b, n, "with");
		break;
	case NODE_TEMPLATE:
		gd_buf_adds(b, "{{template ");
		gd_buf_printf(b, "\"%s\"", n->str);
		if (n->pipe != NULL) {
			gd_buf_addc(b, ' ');
			tmpl_node_string(b, n->pipe);
		}
		gd_buf_adds(b, "}}");
		break;
	case NODE_BREAK:
		gd_buf_adds(b, "{{break}}");
		break;
	case NODE_CONTINUE:
		gd_buf_adds(b, "{{continue}}");
		break;
	case NODE_COMMENT:
		gd_buf_printf(b, "{{%s}}", n->str);
		break;
	case NODE_ELSE:
		gd_buf_adds(b, "{{else}}");
		break;
	case NODE_END:
		gd_buf_adds(b, "{{end}}");
		break;
	}
}

bool
tmpl_tree_is_empty(const struct tmpl_node *n)
{
	size_t i, k;

	if (n == NULL)
		return true;
	switch (n->type) {
	case NODE_COMMENT:
		return true;
	case NODE_LIST:
		for (i = 0; i < n->kids.n; i++)
			if (!tmpl_tree_is_empty(n->kids.v[i]))
				return false;
		return true;
	case NODE_TEXT:
		for (k = 0; k < n->slen; k++)
			if (!strchr(" \t\r\n\v\f", n->str[k]) || n->str[k] == 0)
				return false;
		return true;
	default:
		return false;
	}
}

void
tmpl_text_unref(struct tmpl_text *t)
{
	if (t == NULL || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	free(t->parse_name);
	free(t->text);
	free(t);
}

void
tmpl_tree_ref(struct tmpl_tree *t)
{
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
}

void
tmpl_tree_unref(struct tmpl_tree *t)
{
	if (t == NULL || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	tmpl_node_free(t->root);
	tmpl_text_unref(t->src);
	free(t->name);
	free(t);
}

/* --- tokens --------------------------------------------------------------- */

static const struct tmpl_item *
parse_next(struct parser *p)
{
	const struct tmpl_item *it = &p->items.v[p->i];

	if (p->i + 1 < p->items.n)
		p->i++;
	if (p->i > p->far)
		p->far = p->i;
	return it;
}

static void
parse_backup(struct parser *p, size_t to)
{
	p->i = to;
}

static const struct tmpl_item *
parse_peek(struct parser *p)
{
	if (p->i > p->far)
		p->far = p->i;
	return &p->items.v[p->i];
}

static const struct tmpl_item *
parse_next_nonspace(struct parser *p)
{
	const struct tmpl_item *it;

	while ((it = parse_next(p))->type == ITEM_SPACE)
		;
	return it;
}

static const struct tmpl_item *
parse_peek_nonspace(struct parser *p)
{
	size_t save = p->i;
	const struct tmpl_item *it = parse_next_nonspace(p);

	parse_backup(p, save);
	while (p->items.v[p->i].type == ITEM_SPACE)
		p->i++;
	return it;
}

static void
parse_fail(struct parser *p, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gd_err_set(p->err, GD_EINVAL, "template: %s:%d: %s", p->src->parse_name,
	    p->items.v[p->far].line, msg);
	longjmp(p->jb, 1);
}

/*
 * Fails with the text of node n between pre and post ("unexpected ",
 * n, " in define clause"), as Go names the node it did not expect.
 */
static void
parse_fail_node(struct parser *p, const struct tmpl_node *n, const char *pre,
    const char *post)
{
	struct gd_buf b;
	char s[100];

	tmpl_buf_init(&b);
	tmpl_node_string(&b, n);
	snprintf(s, sizeof(s), "%s", b.data);
	gd_buf_dispose(&b);
	parse_fail(p, "%s%s%s", pre, s, post);
}

static void
parse_unexpected(struct parser *p, const struct tmpl_item *it,
    const char *context, int unused)
{
	int action_line = p->action_line;

	struct gd_buf b;
	char s[160];

	(void)unused;
	tmpl_buf_init(&b);
	tmpl_item_string(&b, it);
	snprintf(s, sizeof(s), "%s", b.data);
	gd_buf_dispose(&b);
	if (it->type == ITEM_ERROR) {
		if (action_line != 0 && action_line != it->line) {
			size_t sl = strlen(s);
			bool act =
			    sl >= 7 && strcmp(s + sl - 7, " action") == 0;

			parse_fail(p, "%s%s started at %s:%d", s,
			    act ? "" : " in action", p->src->parse_name,
			    action_line);
		}
		parse_fail(p, "%s", s);
	}
	parse_fail(p, "unexpected %s in %s", s, context);
}

static const struct tmpl_item *
parse_expect(struct parser *p, enum tmpl_item_type t, const char *context)
{
	const struct tmpl_item *it = parse_next_nonspace(p);

	if (it->type != t)
		parse_unexpected(p, it, context, 0);
	return it;
}

/* --- strconv.Unquote ------------------------------------------------------ */

static int
unq_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
unq_utf8(struct gd_buf *b, unsigned long r)
{
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

/*
 * One escape or character of a quoted literal at *s; false on bad
 * syntax. A \x or octal escape is a byte, the others code points.
 */
static bool
unq_char(struct gd_buf *b, const char **s, const char *end, char q)
{
	const char *p = *s;
	unsigned long r = 0;
	size_t k;
	int i, n, d;

	if (*p != '\\') {
		if (*p == q && q != '`')
			return false;
		/*
		 * A whole UTF-8 sequence is one character; a byte that
		 * starts none is U+FFFD, as strconv.Unquote makes it.
		 */
		if (gd_utf8_rune(
			(const unsigned char *)p, (size_t)(end - p), &k) < 0)
			gd_buf_add(b, "\xef\xbf\xbd", 3);
		else
			gd_buf_add(b, p, k);
		*s = p + k;
		return true;
	}
	if (++p >= end)
		return false;
	switch (*p) {
	case 'a':
		r = 7;
		break;
	case 'b':
		r = 8;
		break;
	case 'f':
		r = 12;
		break;
	case 'n':
		r = 10;
		break;
	case 'r':
		r = 13;
		break;
	case 't':
		r = 9;
		break;
	case 'v':
		r = 11;
		break;
	case '\\':
		r = '\\';
		break;
	case '\'':
	case '"':
		if (*p != q)
			return false;
		r = (unsigned char)*p;
		break;
	case 'x':
	case 'u':
	case 'U':
		n = *p == 'x' ? 2 : *p == 'u' ? 4 : 8;
		for (i = 0; i < n; i++) {
			if (++p >= end || (d = unq_hex(*p)) < 0)
				return false;
			r = r * 16 + (unsigned long)d;
		}
		if (n == 2) {
			gd_buf_addc(b, (char)r);
			*s = p + 1;
			return true;
		}
		if (r > 0x10FFFF || (r >= 0xD800 && r < 0xE000))
			return false;
		unq_utf8(b, r);
		*s = p + 1;
		return true;
	default:
		if (*p < '0' || *p > '7')
			return false;
		for (i = 0; i < 3; i++, p++) {
			if (p >= end || *p < '0' || *p > '7')
				return false;
			r = r * 8 + (unsigned long)(*p - '0');
		}
		if (r > 255)
			return false;
		gd_buf_addc(b, (char)r);
		*s = p;
		return true;
	}
	unq_utf8(b, r);
	*s = p + 1;
	return true;
}

static char *
parse_unquote(struct parser *p, const struct tmpl_item *it, size_t *lenp)
{
	const char *s = it->val + 1, *end = it->val + it->len - 1;
	struct gd_buf b;

	tmpl_buf_init(&b);
	if (it->val[0] == '`') {
		for (; s < end; s++)
			if (*s != '\r')
				gd_buf_addc(&b, *s);
	} else {
		while (s < end) {
			if (!unq_char(&b, &s, end, '"')) {
				gd_buf_dispose(&b);
				parse_fail(p, "invalid syntax");
			}
		}
	}
	return gd_buf_detach(&b, lenp);
}

/* --- numbers -------------------------------------------------------------- */

/* strconv.ParseInt/ParseUint with base 0, '_' allowed after a prefix. */
static bool
parse_int_text(const char *text, size_t len, bool sign_ok, int64_t *i,
    uint64_t *u, bool *is_i, bool *is_u)
{
	char buf[80];
	const char *s = text;
	size_t k = 0, n;
	bool neg = false;
	unsigned long long v;
	char *end;
	int base = 10;

	*is_i = *is_u = false;
	if (len >= sizeof(buf))
		return false;
	if (len > 0 && (s[0] == '+' || s[0] == '-')) {
		if (!sign_ok)
			return false;
		neg = s[0] == '-';
		s++;
		len--;
	}
	if (len >= 2 && s[0] == '0' && strchr("xXoObB", s[1])) {
		base = (s[1] == 'x' || s[1] == 'X') ? 16 :
		    (s[1] == 'o' || s[1] == 'O')    ? 8 :
						      2;
		s += 2;
		len -= 2;
	} else if (len >= 2 && s[0] == '0') {
		base = 8;
	}
	for (n = 0; n < len; n++) {
		if (s[n] == '_')
			continue;
		buf[k++] = s[n];
	}
	buf[k] = '\0';
	if (k == 0 || buf[0] == '+' || buf[0] == '-')
		return false;
	errno = 0;
	v = strtoull(buf, &end, base);
	if (*end != '\0' || errno != 0)
		return false;
	if (!neg) {
		*u = v;
		*is_u = true;
		if (v <= INT64_MAX) {
			*i = (int64_t)v;
			*is_i = true;
		}
	} else if (v <= (unsigned long long)INT64_MAX + 1) {
		*i = v == (unsigned long long)INT64_MAX + 1 ? INT64_MIN :
							      -(int64_t)v;
		*is_i = true;
		if (v == 0) {
			*u = 0;
			*is_u = true;
		}
	}
	return true;
}

static void
parse_number_node(
    struct parser *p, struct tmpl_node *n, const struct tmpl_item *it)
{
	char buf[80];
	uint64_t u = 0;
	size_t k = 0, j;
	char *end;
	double f;

	n->quoted = xstrndup(it->val, it->len);
	if (it->type == ITEM_CHARCONST) {
		struct gd_buf b;
		const char *s = it->val + 1, *e = it->val + it->len - 1;
		unsigned long r;
		unsigned char c0;

		tmpl_buf_init(&b);
		if (s >= e || !unq_char(&b, &s, e, '\'')) {
			gd_buf_dispose(&b);
			parse_fail(p, "invalid syntax");
		}
		if (s != e) {
			gd_buf_dispose(&b);
			parse_fail(
			    p, "malformed character constant: %s", n->quoted);
		}
		c0 = (unsigned char)b.data[0];
		r = c0;
		if (c0 >= 0xC0 && b.len > 1) {
			r = c0 & (c0 >= 0xF0 ? 0x07 : c0 >= 0xE0 ? 0x0F : 0x1F);
			for (j = 1; j < b.len; j++)
				r = (r << 6) |
				    ((unsigned char)b.data[j] & 0x3F);
		}
		gd_buf_dispose(&b);
		n->i64 = (int64_t)r;
		n->f64 = (double)r;
		n->is_int = n->is_uint = n->is_float = true;
		return;
	}
	if (it->type == ITEM_COMPLEX || it->val[it->len - 1] == 'i')
		parse_fail(
		    p, "complex numbers are not supported: %s", n->quoted);
	if (parse_int_text(
		it->val, it->len, true, &n->i64, &u, &n->is_int, &n->is_uint)) {
		if (n->is_int) {
			n->f64 = (double)n->i64;
			n->is_float = true;
		} else if (n->is_uint) {
			n->f64 = (double)u;
			n->is_float = true;
		}
		return;
	}
	for (j = 0; j < it->len && k + 1 < sizeof(buf); j++)
		if (it->val[j] != '_')
			buf[k++] = it->val[j];
	buf[k] = '\0';
	errno = 0;
	if (k > 0 && j == it->len && (f = strtod(buf, &end), *end == '\0')) {
		if (strcspn(buf, ".eEpP") == k)
			parse_fail(p, "integer overflow: \"%s\"", n->quoted);
		n->is_float = true;
		n->f64 = f;
		if (f >= -9.2e18 && f <= 9.2e18 && (double)(int64_t)f == f) {
			n->is_int = true;
			n->i64 = (int64_t)f;
		}
		if (f >= 0 && f <= 1.8e19 && (double)(uint64_t)f == f)
			n->is_uint = true;
		return;
	}
	parse_fail(p, "illegal number syntax: \"%s\"", n->quoted);
}

/* --- grammar -------------------------------------------------------------- */

static struct tmpl_node *parse_pipeline(
    struct parser *, const char *context, enum tmpl_item_type end);
static struct tmpl_node *parse_item_list(struct parser *, struct tmpl_node **);
static struct tmpl_node *parse_if(struct parser *);

static void
parse_enter(struct parser *p)
{
	if (++p->nesting > p->set->lim.max_nesting)
		parse_fail(p, "max expression depth exceeded");
}

static void
parse_push_var(struct parser *p, const struct tmpl_item *it)
{
	if (p->nvars == p->capvars) {
		p->capvars = p->capvars ? p->capvars * 2 : 8;
		p->vars = xreallocarray(p->vars, p->capvars, sizeof(*p->vars));
		p->varlens =
		    xreallocarray(p->varlens, p->capvars, sizeof(*p->varlens));
	}
	p->vars[p->nvars] = it->val;
	p->varlens[p->nvars++] = it->len;
}

static struct tmpl_node *
parse_use_var(struct parser *p, const struct tmpl_item *it)
{
	struct tmpl_node *v = node_new(p, NODE_VARIABLE, it->pos, it->line);
	size_t i, k;

	node_idents(v, it->val, it->len);
	k = strlen(v->idents[0]);
	for (i = p->var_base; i < p->nvars; i++)
		if (p->varlens[i] == k &&
		    memcmp(p->vars[i], v->idents[0], k) == 0)
			return v;
	parse_fail(p, "undefined variable \"%s\"", v->idents[0]);
	return NULL;
}

static struct tmpl_node *
parse_term(struct parser *p)
{
	const struct tmpl_item *it = parse_next_nonspace(p);
	struct tmpl_node *n;
	bool builtin;

	switch (it->type) {
	case ITEM_IDENT:
		n = node_new(p, NODE_IDENT, it->pos, it->line);
		n->str = xstrndup(it->val, it->len);
		if ((n->fn = tmpl_set_func(p->set, n->str, &builtin)) == NULL)
			parse_fail(p, "function \"%s\" not defined", n->str);
		n->fn_builtin = builtin;
		n->fn_gen = p->set->gen;
		return n;
	case ITEM_DOT:
		return node_new(p, NODE_DOT, it->pos, it->line);
	case ITEM_NIL:
		return node_new(p, NODE_NIL, it->pos, it->line);
	case ITEM_VARIABLE:
		return parse_use_var(p, it);
	case ITEM_FIELD:
		n = node_new(p, NODE_FIELD, it->pos, it->line);
		node_idents(n, it->val, it->len);
		return n;
	case ITEM_BOOL:
		n = node_new(p, NODE_BOOL, it->pos, it->line);
		n->b = it->val[0] == 't';
		return n;
	case ITEM_CHARCONST:
	case ITEM_COMPLEX:
	case ITEM_NUMBER:
		n = node_new(p, NODE_NUMBER, it->pos, it->line);
		parse_number_node(p, n, it);
		if (n->is_int)
			n->jint = json_integer(n->i64);
		if (n->is_float)
			n->jreal = json_real(n->f64);
		return n;
	case ITEM_LEFT_PAREN:
		parse_enter(p);
		n = parse_pipeline(
		    p, "parenthesized pipeline", ITEM_RIGHT_PAREN);
		p->nesting--;
		return n;
	case ITEM_STRING:
	case ITEM_RAW_STRING:
		n = node_new(p, NODE_STRING, it->pos, it->line);
		n->quoted = xstrndup(it->val, it->len);
		n->str = parse_unquote(p, it, &n->slen);
		n->jstr = json_stringn_nocheck(n->str, n->slen);
		return n;
	default:
		p->i = (size_t)(it - p->items.v);
		return NULL;
	}
}

static struct tmpl_node *
parse_operand(struct parser *p)
{
	struct tmpl_node *node = parse_term(p), *chain;
	struct gd_buf b;
	const struct tmpl_item *it;

	if (node == NULL || parse_peek(p)->type != ITEM_FIELD)
		return node;
	chain =
	    node_new(p, NODE_CHAIN, parse_peek(p)->pos, parse_peek(p)->line);
	chain->node = node;
	while ((it = parse_peek(p))->type == ITEM_FIELD) {
		parse_next(p);
		node_idents(chain, it->val, it->len);
	}
	switch (node->type) {
	case NODE_FIELD:
	case NODE_VARIABLE:
		/* Go folds the chain back into the field or variable */
		node->idents = xreallocarray(node->idents,
		    node->nidents + chain->nidents, sizeof(*node->idents));
		memcpy(node->idents + node->nidents, chain->idents,
		    chain->nidents * sizeof(*chain->idents));
		node->nidents += chain->nidents;
		node->pos = chain->pos;
		node->line = chain->line;
		chain->nidents = 0;
		chain->node = NULL;
		node_discard(p, chain);
		return node;
	case NODE_BOOL:
	case NODE_STRING:
	case NODE_NUMBER:
	case NODE_NIL:
	case NODE_DOT:
		tmpl_buf_init(&b);
		{
			struct gd_buf q;
			char s[100];

			tmpl_node_string(&b, node);
			tmpl_buf_init(&q);
			tmpl_fmt_quote(&q, b.data, b.len);
			snprintf(s, sizeof(s), "%s", q.data);
			gd_buf_dispose(&q);
			gd_buf_dispose(&b);
			parse_fail(p, "unexpected . after term %s", s);
		}
		return NULL;
	default:
		return chain;
	}
}

static struct tmpl_node *
parse_command(struct parser *p)
{
	struct tmpl_node *cmd, *op;
	const struct tmpl_item *it;

	cmd = node_new(
	    p, NODE_COMMAND, parse_peek_nonspace(p)->pos, parse_peek(p)->line);
	for (;;) {
		parse_peek_nonspace(p);
		if ((op = parse_operand(p)) != NULL)
			nodes_add(&cmd->kids, op);
		it = parse_next(p);
		switch (it->type) {
		case ITEM_SPACE:
			continue;
		case ITEM_RIGHT_DELIM:
		case ITEM_RIGHT_PAREN:
			p->i--;
			break;
		case ITEM_PIPE:
			break;
		default:
			parse_unexpected(p, it, "operand", 0);
		}
		break;
	}
	if (cmd->kids.n == 0)
		parse_fail(p, "empty command");
	return cmd;
}

static void
parse_check_pipeline(
    struct parser *p, struct tmpl_node *pipe, const char *context)
{
	size_t i;

	if (pipe->kids.n == 0)
		parse_fail(p, "missing value for %s", context);
	for (i = 1; i < pipe->kids.n; i++) {
		switch (pipe->kids.v[i]->kids.v[0]->type) {
		case NODE_BOOL:
		case NODE_DOT:
		case NODE_NIL:
		case NODE_NUMBER:
		case NODE_STRING:
			parse_fail(p,
			    "non executable command in pipeline stage %zu",
			    i + 1);
		default:
			break;
		}
	}
}

static struct tmpl_node *
parse_pipeline(struct parser *p, const char *context, enum tmpl_item_type end)
{
	const struct tmpl_item *v, *next, *after;
	struct tmpl_node *pipe, *var;
	size_t save;

	v = parse_peek_nonspace(p);
	pipe = node_new(p, NODE_PIPE, v->pos, v->line);
decls:
	v = parse_peek_nonspace(p);
	if (v->type == ITEM_VARIABLE) {
		save = p->i;
		parse_next(p);
		after = parse_peek(p);
		next = parse_peek_nonspace(p);
		if (next->type == ITEM_ASSIGN || next->type == ITEM_DECLARE) {
			pipe->is_assign = next->type == ITEM_ASSIGN;
			parse_next_nonspace(p);
			var = node_new(p, NODE_VARIABLE, v->pos, v->line);
			node_idents(var, v->val, v->len);
			nodes_add(&pipe->decl, var);
			parse_push_var(p, v);
		} else if (next->type == ITEM_CHAR && next->len == 1 &&
		    next->val[0] == ',') {
			parse_next_nonspace(p);
			var = node_new(p, NODE_VARIABLE, v->pos, v->line);
			node_idents(var, v->val, v->len);
			nodes_add(&pipe->decl, var);
			parse_push_var(p, v);
			if (strcmp(context, "range") == 0 && pipe->decl.n < 2) {
				switch (parse_peek_nonspace(p)->type) {
				case ITEM_VARIABLE:
				case ITEM_RIGHT_DELIM:
				case ITEM_RIGHT_PAREN:
					goto decls;
				default:
					parse_fail(p,
					    "range can only initialize "
					    "variables");
				}
			}
			parse_fail(p, "too many declarations in %s", context);
		} else if (after->type == ITEM_SPACE) {
			parse_backup(p, save);
		} else {
			parse_backup(p, save);
		}
	}
	for (;;) {
		const struct tmpl_item *it = parse_next_nonspace(p);

		if (it->type == end) {
			parse_check_pipeline(p, pipe, context);
			return pipe;
		}
		switch (it->type) {
		case ITEM_BOOL:
		case ITEM_CHARCONST:
		case ITEM_COMPLEX:
		case ITEM_DOT:
		case ITEM_FIELD:
		case ITEM_IDENT:
		case ITEM_NUMBER:
		case ITEM_NIL:
		case ITEM_RAW_STRING:
		case ITEM_STRING:
		case ITEM_VARIABLE:
		case ITEM_LEFT_PAREN:
			p->i = (size_t)(it - p->items.v);
			nodes_add(&pipe->kids, parse_command(p));
			break;
		default:
			parse_unexpected(p, it, context, 0);
		}
	}
}

/* if, range, with: pipe, list and the optional else list. */
static struct tmpl_node *
parse_control(struct parser *p, enum tmpl_node_type t, const char *context,
    bool else_chain)
{
	size_t nvars = p->nvars;
	struct tmpl_node *n, *next = NULL;
	const struct tmpl_item *it;

	parse_enter(p);
	n = node_new(p, t, 0, 0);
	n->pipe = parse_pipeline(p, context, ITEM_RIGHT_DELIM);
	n->pos = n->pipe->pos;
	n->line = n->pipe->line;
	if (t == NODE_RANGE)
		p->range_depth++;
	n->list = parse_item_list(p, &next);
	if (t == NODE_RANGE)
		p->range_depth--;
	if (next->type == NODE_ELSE) {
		it = parse_peek(p);
		if (else_chain &&
		    ((t == NODE_IF && it->type == ITEM_IF) ||
			(t == NODE_WITH && it->type == ITEM_WITH))) {
			parse_next(p);
			n->elselist =
			    node_new(p, NODE_LIST, next->pos, next->line);
			node_discard(p, next);
			nodes_add(&n->elselist->kids,
			    it->type == ITEM_IF ?
				parse_if(p) :
				parse_control(p, NODE_WITH, "with", true));
		} else {
			node_discard(p, next);
			n->elselist = parse_item_list(p, &next);
			if (next->type != NODE_END) {
				parse_fail_node(
				    p, next, "expected end; found ", "");
			}
			node_discard(p, next);
		}
	} else
		node_discard(p, next);
	p->nvars = nvars;
	p->nesting--;
	return n;
}

static struct tmpl_node *
parse_if(struct parser *p)
{
	return parse_control(p, NODE_IF, "if", true);
}

static char *
parse_template_name(
    struct parser *p, const struct tmpl_item *it, const char *context)
{
	if (it->type != ITEM_STRING && it->type != ITEM_RAW_STRING)
		parse_unexpected(p, it, context, 0);
	return parse_unquote(p, it, NULL);
}

static struct tmpl_tree *
parse_tree_new(struct parser *p, char *name)
{
	struct tmpl_tree *t = xcalloc(1, sizeof(*t));

	t->refs = 1;
	t->name = name;
	t->src = p->src;
	__atomic_add_fetch(&p->src->refs, 1, __ATOMIC_RELAXED);
	p->trees = xreallocarray(p->trees, p->ntrees + 1, sizeof(*p->trees));
	p->trees[p->ntrees++] = t;
	return t;
}

static void
parse_drop_tree(struct parser *p, struct tmpl_tree *t)
{
	size_t i;

	for (i = 0; i < p->ntrees; i++)
		if (p->trees[i] == t)
			p->trees[i] = NULL;
	p->dropped =
	    xreallocarray(p->dropped, p->ndropped + 1, sizeof(*p->dropped));
	p->dropped[p->ndropped++] = t;
}

/* Go's Tree.add: a second non-empty definition in one parse is an error. */
static void
parse_add_tree(struct parser *p, struct tmpl_tree *t)
{
	struct tmpl_tree *o;
	size_t i;

	for (i = 0; i < p->ntrees; i++) {
		o = p->trees[i];
		if (o == NULL || o == t || strcmp(o->name, t->name) != 0)
			continue;
		if (tmpl_tree_is_empty(o->root)) {
			parse_drop_tree(p, o);
			return;
		}
		if (!tmpl_tree_is_empty(t->root))
			parse_fail(p,
			    "template: multiple definition of template \"%s\"",
			    t->name);
		parse_drop_tree(p, t);
		return;
	}
}

/* {{block "name" pipe}}...{{end}}: a define plus a template call. */
static struct tmpl_node *
parse_block(struct parser *p)
{
	const struct tmpl_item *tok = parse_next_nonspace(p);
	struct tmpl_node *n, *end = NULL;
	struct tmpl_tree *t;
	char *name;
	size_t nvars;

	n = node_new(p, NODE_TEMPLATE, tok->pos, tok->line);
	name = parse_template_name(p, tok, "block clause");
	n->str = name;
	n->pipe = parse_pipeline(p, "block clause", ITEM_RIGHT_DELIM);
	t = parse_tree_new(p, xstrdup(name));
	nvars = p->var_base;
	p->var_base = p->nvars;
	parse_push_var(p, &(struct tmpl_item){ .val = "$", .len = 1 });
	t->root = parse_item_list(p, &end);
	p->nvars = p->var_base;
	p->var_base = nvars;
	if (end->type != NODE_END) {
		parse_fail_node(p, end, "unexpected ", " in block clause");
	}
	node_discard(p, end);
	parse_add_tree(p, t);
	return n;
}

static struct tmpl_node *
parse_template_call(struct parser *p)
{
	const struct tmpl_item *tok = parse_next_nonspace(p);
	struct tmpl_node *n = node_new(p, NODE_TEMPLATE, tok->pos, tok->line);
	size_t save;

	n->str = parse_template_name(p, tok, "template clause");
	save = p->i;
	if (parse_next_nonspace(p)->type != ITEM_RIGHT_DELIM) {
		parse_backup(p, save);
		n->pipe =
		    parse_pipeline(p, "template clause", ITEM_RIGHT_DELIM);
	}
	return n;
}

static struct tmpl_node *
parse_action(struct parser *p)
{
	const struct tmpl_item *it = parse_next_nonspace(p);
	struct tmpl_node *n;

	switch (it->type) {
	case ITEM_BLOCK:
		return parse_block(p);
	case ITEM_BREAK:
	case ITEM_CONTINUE: {
		const char *w = it->type == ITEM_BREAK ? "break" : "continue";
		const struct tmpl_item *t2 = parse_next_nonspace(p);
		char ctx[16];

		snprintf(ctx, sizeof(ctx), "{{%s}}", w);
		if (t2->type != ITEM_RIGHT_DELIM)
			parse_unexpected(p, t2, ctx, 0);
		if (p->range_depth == 0)
			parse_fail(p, "{{%s}} outside {{range}}", w);
		return node_new(p,
		    it->type == ITEM_BREAK ? NODE_BREAK : NODE_CONTINUE,
		    it->pos, it->line);
	}
	case ITEM_ELSE: {
		const struct tmpl_item *pk = parse_peek_nonspace(p);

		if (pk->type == ITEM_IF || pk->type == ITEM_WITH)
			return node_new(p, NODE_ELSE, pk->pos, pk->line);
		pk = parse_expect(p, ITEM_RIGHT_DELIM, "else");
		return node_new(p, NODE_ELSE, pk->pos, pk->line);
	}
	case ITEM_END:
		it = parse_expect(p, ITEM_RIGHT_DELIM, "end");
		return node_new(p, NODE_END, it->pos, it->line);
	case ITEM_IF:
		return parse_if(p);
	case ITEM_RANGE:
		return parse_control(p, NODE_RANGE, "range", false);
	case ITEM_TEMPLATE:
		return parse_template_call(p);
	case ITEM_WITH:
		return parse_control(p, NODE_WITH, "with", true);
	default:
		break;
	}
	p->i = (size_t)(it - p->items.v);
	it = parse_peek(p);
	n = node_new(p, NODE_ACTION, it->pos, it->line);
	n->pipe = parse_pipeline(p, "command", ITEM_RIGHT_DELIM);
	return n;
}

static struct tmpl_node *
parse_text_or_action(struct parser *p)
{
	const struct tmpl_item *it = parse_next_nonspace(p);
	struct tmpl_node *n;

	switch (it->type) {
	case ITEM_TEXT:
		n = node_new(p, NODE_TEXT, it->pos, it->line);
		n->str = xmalloc(it->len + 1); /* text may hold NUL bytes */
		memcpy(n->str, it->val, it->len);
		n->str[it->len] = '\0';
		n->slen = it->len;
		return n;
	case ITEM_LEFT_DELIM:
		/* lexer errors inside the action name where it started */
		p->action_line = it->line;
		n = parse_action(p);
		p->action_line = 0;
		return n;
	default:
		parse_unexpected(p, it, "input", 0);
		return NULL;
	}
}

static struct tmpl_node *
parse_item_list(struct parser *p, struct tmpl_node **next)
{
	struct tmpl_node *list, *n;

	list = node_new(p, NODE_LIST, parse_peek_nonspace(p)->pos, 0);
	while (parse_peek_nonspace(p)->type != ITEM_EOF) {
		n = parse_text_or_action(p);
		if (n->type == NODE_END || n->type == NODE_ELSE) {
			*next = n;
			return list;
		}
		nodes_add(&list->kids, n);
	}
	parse_fail(p, "unexpected EOF");
	return NULL;
}

static void
parse_definition(struct parser *p)
{
	const struct tmpl_item *it = parse_next_nonspace(p);
	struct tmpl_node *end = NULL;
	struct tmpl_tree *t;
	char *name;

	if (it->type != ITEM_STRING && it->type != ITEM_RAW_STRING)
		parse_unexpected(p, it, "define clause", 0);
	name = parse_unquote(p, it, NULL);
	t = parse_tree_new(p, name);
	parse_expect(p, ITEM_RIGHT_DELIM, "define clause");
	p->var_base = p->nvars;
	parse_push_var(p, &(struct tmpl_item){ .val = "$", .len = 1 });
	t->root = parse_item_list(p, &end);
	p->nvars = p->var_base;
	p->var_base = 0;
	if (end->type != NODE_END) {
		parse_fail_node(p, end, "unexpected ", " in define clause");
	}
	node_discard(p, end);
	parse_add_tree(p, t);
}

static void
parse_top(struct parser *p, struct tmpl_tree *top)
{
	const struct tmpl_item *it;
	struct tmpl_node *n;
	size_t save;

	top->root = node_new(p, NODE_LIST, parse_peek(p)->pos, 0);
	while (parse_peek(p)->type != ITEM_EOF) {
		if (parse_peek(p)->type == ITEM_LEFT_DELIM) {
			save = p->i;
			parse_next(p);
			it = parse_next_nonspace(p);
			if (it->type == ITEM_DEFINE) {
				parse_definition(p);
				continue;
			}
			parse_backup(p, save);
		}
		n = parse_text_or_action(p);
		if (n->type == NODE_END || n->type == NODE_ELSE) {
			parse_fail_node(p, n, "unexpected ", "");
		}
		nodes_add(&top->root->kids, n);
	}
}

int
tmpl_parse(struct gd_tmpl_set *set, const char *name, const char *text,
    size_t len, struct gd_err *err)
{
	struct parser *p = xcalloc(1, sizeof(*p));
	struct tmpl_tree *top;
	size_t i;
	int rc = 0;

	p->set = set;
	p->err = err;
	p->src = xcalloc(1, sizeof(*p->src));
	p->src->refs = 1;
	p->src->parse_name = xstrdup(name);
	/* not xstrndup: a template may hold NUL bytes */
	p->src->text = xmalloc(len + 1);
	memcpy(p->src->text, text, len);
	p->src->text[len] = '\0';
	p->src->len = len;
	tmpl_lex(&p->items, p->src->text, len);
	parse_push_var(p, &(struct tmpl_item){ .val = "$", .len = 1 });
	if (setjmp(p->jb) != 0) {
		for (i = 0; i < p->all.n; i++)
			node_free_shallow(p->all.v[i]);
		for (i = 0; i < p->ntrees; i++) {
			if (p->trees[i] != NULL) {
				p->trees[i]->root = NULL;
				tmpl_tree_unref(p->trees[i]);
			}
		}
		for (i = 0; i < p->ndropped; i++) {
			p->dropped[i]->root = NULL;
			tmpl_tree_unref(p->dropped[i]);
		}
		rc = GD_EINVAL;
		goto out;
	}
	top = parse_tree_new(p, xstrdup(name));
	parse_top(p, top);
	parse_add_tree(p, top);
	for (i = 0; i < p->ntrees; i++) {
		if (p->trees[i] == NULL)
			continue;
		tmpl_set_associate(set, p->trees[i]);
		tmpl_tree_unref(p->trees[i]);
	}
	for (i = 0; i < p->ndropped; i++)
		tmpl_tree_unref(p->dropped[i]);
out:
	free(p->dropped);
	free(p->all.v);
	free(p->trees);
	free(p->vars);
	free(p->varlens);
	tmpl_items_dispose(&p->items);
	tmpl_text_unref(p->src);
	free(p);
	return rc;
}

/* --- the set ------------------------------------------------------------ */

void
tmpl_limits_fill(struct gd_tmpl_limits *out, const struct gd_tmpl_limits *lim)
{
	memset(out, 0, sizeof(*out));
	if (lim != NULL)
		*out = *lim;
	if (out->max_depth == 0)
		out->max_depth = 1000;
	if (out->max_output == 0)
		out->max_output = 64 << 20;
	if (out->max_ops == 0)
		out->max_ops = 50000000;
	if (out->max_nesting == 0)
		out->max_nesting = 1000;
}

void
gd_tmpl_set_limits(struct gd_tmpl_set *s, const struct gd_tmpl_limits *lim)
{
	tmpl_limits_fill(&s->lim, lim);
}

unsigned long
tmpl_set_next_gen(void)
{
	static _Atomic unsigned long gen;

	return ++gen;
}

struct gd_tmpl_set *
gd_tmpl_set_new(const char *name, const struct gd_tmpl_limits *lim)
{
	struct gd_tmpl_set *s = xcalloc(1, sizeof(*s));

	s->name = xstrdup(name);
	s->gen = tmpl_set_next_gen();
	gd_tmpl_set_limits(s, lim);
	return s;
}

void
gd_tmpl_set_free(struct gd_tmpl_set *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->v[i].name);
		tmpl_tree_unref(s->v[i].tree);
	}
	free(s->v);
	free(s->tabs);
	free(s->name);
	free(s);
}

void
gd_tmpl_set_funcs(struct gd_tmpl_set *s, const struct gd_tmpl_func *tab)
{
	s->tabs = xreallocarray(s->tabs, s->ntabs + 1, sizeof(*s->tabs));
	s->tabs[s->ntabs++] = tab;
	s->gen = tmpl_set_next_gen();
}

void
gd_tmpl_set_missingkey(struct gd_tmpl_set *s, enum gd_tmpl_missingkey m)
{
	s->missingkey = m;
}

int
gd_tmpl_parse(struct gd_tmpl_set *s, const char *name, const char *text,
    size_t len, struct gd_err *err)
{
	return tmpl_parse(s, name, text, len, err);
}

static struct tmpl_entry *
set_find(const struct gd_tmpl_set *s, const char *name)
{
	size_t lo = 0, hi = s->n, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(s->v[mid].name, name);
		if (c == 0)
			return &s->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct tmpl_tree *
tmpl_set_lookup(const struct gd_tmpl_set *s, const char *name)
{
	struct tmpl_entry *e = set_find(s, name);

	return e ? e->tree : NULL;
}

bool
gd_tmpl_has(const struct gd_tmpl_set *s, const char *name)
{
	return tmpl_set_lookup(s, name) != NULL;
}

static bool
node_calls(const struct tmpl_node *n, const char *const *names)
{
	size_t i;

	if (n == NULL)
		return false;
	if (n->type == NODE_IDENT)
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(n->str, names[i]) == 0)
				return true;
	for (i = 0; i < n->kids.n; i++)
		if (node_calls(n->kids.v[i], names))
			return true;
	for (i = 0; i < n->decl.n; i++)
		if (node_calls(n->decl.v[i], names))
			return true;
	return node_calls(n->pipe, names) || node_calls(n->list, names) ||
	    node_calls(n->elselist, names) || node_calls(n->node, names);
}

bool
gd_tmpl_set_calls(const struct gd_tmpl_set *s, const char *const *names)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (node_calls(s->v[i].tree->root, names))
			return true;
	return false;
}

void
tmpl_set_associate(struct gd_tmpl_set *s, struct tmpl_tree *t)
{
	struct tmpl_entry *e = set_find(s, t->name);
	size_t at;

	if (e != NULL) {
		if (tmpl_tree_is_empty(t->root))
			return;
		tmpl_tree_unref(e->tree);
		e->tree = t;
		tmpl_tree_ref(t);
		return;
	}
	for (at = 0; at < s->n && strcmp(s->v[at].name, t->name) < 0; at++)
		;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	memmove(&s->v[at + 1], &s->v[at], (s->n - at) * sizeof(*s->v));
	s->v[at].name = xstrdup(t->name);
	s->v[at].tree = t;
	tmpl_tree_ref(t);
	s->n++;
}

/*
 * The copy keeps the original's gen: it has the same function tables, so
 * the functions its shared trees found at parse time are still right.
 */
struct gd_tmpl_set *
tmpl_set_clone(const struct gd_tmpl_set *s)
{
	struct gd_tmpl_set *c = gd_tmpl_set_new(s->name, &s->lim);
	size_t i;

	c->missingkey = s->missingkey;
	c->v = xreallocarray(NULL, s->n + 1, sizeof(*c->v));
	c->cap = s->n + 1;
	for (i = 0; i < s->n; i++) {
		c->v[i].name = xstrdup(s->v[i].name);
		c->v[i].tree = s->v[i].tree;
		tmpl_tree_ref(c->v[i].tree);
	}
	c->n = s->n;
	c->tabs = xreallocarray(NULL, s->ntabs + 1, sizeof(*c->tabs));
	memcpy(c->tabs, s->tabs, s->ntabs * sizeof(*c->tabs));
	c->ntabs = s->ntabs;
	c->gen = s->gen;
	return c;
}

const struct gd_tmpl_func *
tmpl_set_func(const struct gd_tmpl_set *s, const char *name, bool *builtin)
{
	const struct gd_tmpl_func *f;
	size_t i;

	*builtin = false;
	for (i = s->ntabs; i-- > 0;)
		for (f = s->tabs[i]; f->name != NULL; f++)
			if (strcmp(f->name, name) == 0)
				return f;
	*builtin = true;
	for (f = tmpl_builtins; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}
