/* SPDX-License-Identifier: ISC */
/*
 * The lexer: Go's text/template/parse/lex.go, state for state, run to the
 * end of the text into an array the parser reads with look-ahead.
 *
 * The hard part is the whitespace trimming: "{{- " trims the text before
 * the action, " -}}" the text after it, and "{{-3}}" is the number -3, so
 * a minus only trims when a space sits on its far side. Comments must
 * touch both delimiters. Lines are counted where Go counts them, because
 * parse errors report the line of the last token read.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "tmpl_int.h"

struct lexer {
	const char *in;
	size_t len;
	size_t pos;
	size_t start;
	int line; /* line at pos */
	int start_line; /* line at start */
	int paren_depth;
	struct tmpl_items *out;
};

/* memmem is a GNU extension; the build is POSIX. */
static const char *
lex_find(const char *s, size_t n, const char *pat, size_t plen)
{
	const char *p;

	while (n >= plen) {
		p = memchr(s, pat[0], n - plen + 1);
		if (p == NULL)
			return NULL;
		if (memcmp(p, pat, plen) == 0)
			return p;
		n -= (size_t)(p - s) + 1;
		s = p + 1;
	}
	return NULL;
}

static bool
lex_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
lex_is_alnum(int c)
{
	/* Go takes any Unicode letter; a UTF-8 byte stands in for one. */
	return c == '_' || isalnum(c) || c >= 0x80;
}

static int
lex_peek(const struct lexer *l)
{
	return l->pos < l->len ? (unsigned char)l->in[l->pos] : -1;
}

static int
lex_next(struct lexer *l)
{
	int c;

	if (l->pos >= l->len) {
		l->pos = l->len + 1; /* so backup() after EOF is a no-op */
		return -1;
	}
	c = (unsigned char)l->in[l->pos++];
	if (c == '\n')
		l->line++;
	return c;
}

static void
lex_backup(struct lexer *l)
{
	if (l->pos > l->len) {
		l->pos = l->len;
		return;
	}
	if (l->pos > 0) {
		l->pos--;
		if (l->in[l->pos] == '\n')
			l->line--;
	}
}

static bool
lex_prefix(const struct lexer *l, size_t at, const char *s)
{
	size_t n = strlen(s);

	return at <= l->len && l->len - at >= n &&
	    memcmp(l->in + at, s, n) == 0;
}

static void
lex_add(
    struct lexer *l, enum tmpl_item_type t, size_t pos, size_t end, int line)
{
	struct tmpl_items *o = l->out;

	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 64;
		o->v = xreallocarray(o->v, o->cap, sizeof(*o->v));
	}
	o->v[o->n].type = t;
	o->v[o->n].pos = pos;
	o->v[o->n].val = l->in + pos;
	o->v[o->n].len = end - pos;
	o->v[o->n].line = line;
	o->n++;
}

static void
lex_emit(struct lexer *l, enum tmpl_item_type t)
{
	lex_add(l, t, l->start, l->pos, l->start_line);
	l->start = l->pos;
	l->start_line = l->line;
}

static void
lex_ignore(struct lexer *l)
{
	l->start = l->pos;
	l->start_line = l->line;
}

static void lex_errorf(struct lexer *l, const char *fmt, ...) GD_PRINTF(2, 3);

static void
lex_errorf(struct lexer *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xvasprintf(&l->out->errmsg, fmt, ap);
	va_end(ap);
	lex_add(l, ITEM_ERROR, l->start, l->start, l->start_line);
	l->out->v[l->out->n - 1].val = l->out->errmsg;
	l->out->v[l->out->n - 1].len = strlen(l->out->errmsg);
}

/* Go's %#U of one byte (we do not decode UTF-8 for these messages). */
static void
lex_errorf_char(struct lexer *l, const char *what, int c)
{
	if (c < 0)
		c = 0xFFFD;
	if (c >= 0x20 && c < 0x7f)
		lex_errorf(l, "%s U+%04X '%c'", what, c, c);
	else
		lex_errorf(l, "%s U+%04X", what, c);
}

static bool
lex_left_trim_marker(const struct lexer *l, size_t at)
{
	return at + 1 < l->len && l->in[at] == '-' &&
	    lex_is_space((unsigned char)l->in[at + 1]);
}

static bool
lex_right_trim_marker(const struct lexer *l, size_t at)
{
	return at + 1 < l->len && lex_is_space((unsigned char)l->in[at]) &&
	    l->in[at + 1] == '-';
}

/* Is a right delimiter at pos, and is it trim-marked? */
static bool
lex_at_right_delim(const struct lexer *l, bool *trim)
{
	*trim = false;
	if (lex_right_trim_marker(l, l->pos) &&
	    lex_prefix(l, l->pos + 2, "}}")) {
		*trim = true;
		return true;
	}
	return lex_prefix(l, l->pos, "}}");
}

static bool
lex_at_terminator(const struct lexer *l)
{
	int c = lex_peek(l);

	if (lex_is_space(c))
		return true;
	switch (c) {
	case -1:
	case '.':
	case ',':
	case '|':
	case ':':
	case ')':
	case '(':
	case '}': /* Go checks the first rune of the right delimiter */
		return true;
	}
	return false;
}

static void
lex_skip_left_space(struct lexer *l)
{
	while (l->pos < l->len && lex_is_space((unsigned char)l->in[l->pos]))
		lex_next(l);
	lex_ignore(l);
}

/* Returns false once an error was emitted. */
static bool
lex_comment(struct lexer *l)
{
	const char *end;
	bool trim;

	l->pos += 2;
	end = lex_find(l->in + l->pos, l->len - l->pos, "*/", 2);
	if (end == NULL) {
		lex_errorf(l, "unclosed comment");
		return false;
	}
	while (l->pos < (size_t)(end - l->in) + 2)
		lex_next(l);
	if (!lex_at_right_delim(l, &trim)) {
		lex_errorf(l, "comment ends before closing delimiter");
		return false;
	}
	if (trim)
		lex_next(l), lex_next(l);
	lex_next(l), lex_next(l);
	lex_ignore(l);
	if (trim)
		lex_skip_left_space(l);
	return true;
}

static void
lex_accept_run(struct lexer *l, const char *set)
{
	while (l->pos < l->len && strchr(set, l->in[l->pos]) != NULL)
		lex_next(l);
}

static bool
lex_accept(struct lexer *l, const char *set)
{
	if (l->pos < l->len && strchr(set, l->in[l->pos]) != NULL) {
		lex_next(l);
		return true;
	}
	return false;
}

static bool
lex_scan_number(struct lexer *l)
{
	const char *digits = "0123456789_";

	lex_accept(l, "+-");
	if (lex_accept(l, "0")) {
		if (lex_accept(l, "xX"))
			digits = "0123456789abcdefABCDEF_";
		else if (lex_accept(l, "oO"))
			digits = "01234567_";
		else if (lex_accept(l, "bB"))
			digits = "01_";
	}
	lex_accept_run(l, digits);
	if (lex_accept(l, "."))
		lex_accept_run(l, digits);
	if (strlen(digits) == 11 && lex_accept(l, "eE")) {
		lex_accept(l, "+-");
		lex_accept_run(l, "0123456789_");
	}
	if (strlen(digits) == 23 && lex_accept(l, "pP")) {
		lex_accept(l, "+-");
		lex_accept_run(l, "0123456789_");
	}
	lex_accept(l, "i");
	if (lex_is_alnum(lex_peek(l))) {
		lex_next(l);
		return false;
	}
	return true;
}

static bool
lex_number(struct lexer *l)
{
	int c;

	if (!lex_scan_number(l))
		goto bad;
	c = lex_peek(l);
	if (c == '+' || c == '-') {
		if (!lex_scan_number(l) || l->in[l->pos - 1] != 'i')
			goto bad;
		lex_emit(l, ITEM_COMPLEX);
		return true;
	}
	lex_emit(l, ITEM_NUMBER);
	return true;
bad:
	if (l->pos > l->len)
		l->pos = l->len;
	lex_errorf(l, "bad number syntax: \"%.*s\"", (int)(l->pos - l->start),
	    l->in + l->start);
	return false;
}

static bool
lex_quote(struct lexer *l, int q, enum tmpl_item_type t, const char *msg)
{
	int c;

	for (;;) {
		c = lex_next(l);
		if (c == '\\' && q != '`') {
			c = lex_next(l);
			if (c != -1 && c != '\n')
				continue;
		}
		if (c == -1 || (c == '\n' && q != '`')) {
			lex_errorf(l, "%s", msg);
			return false;
		}
		if (c == q)
			break;
	}
	lex_emit(l, t);
	return true;
}

static const struct {
	const char *word;
	enum tmpl_item_type type;
} lex_keywords[] = {
	{ "block", ITEM_BLOCK },
	{ "break", ITEM_BREAK },
	{ "continue", ITEM_CONTINUE },
	{ "define", ITEM_DEFINE },
	{ "else", ITEM_ELSE },
	{ "end", ITEM_END },
	{ "if", ITEM_IF },
	{ "range", ITEM_RANGE },
	{ "nil", ITEM_NIL },
	{ "template", ITEM_TEMPLATE },
	{ "with", ITEM_WITH },
};

static bool
lex_identifier(struct lexer *l)
{
	size_t i, n;
	int c;

	while (lex_is_alnum(c = lex_next(l)))
		;
	lex_backup(l);
	if (!lex_at_terminator(l)) {
		lex_errorf_char(l, "bad character", lex_peek(l));
		return false;
	}
	n = l->pos - l->start;
	for (i = 0; i < sizeof(lex_keywords) / sizeof(lex_keywords[0]); i++) {
		if (strlen(lex_keywords[i].word) == n &&
		    memcmp(lex_keywords[i].word, l->in + l->start, n) == 0) {
			lex_emit(l, lex_keywords[i].type);
			return true;
		}
	}
	if ((n == 4 && memcmp(l->in + l->start, "true", 4) == 0) ||
	    (n == 5 && memcmp(l->in + l->start, "false", 5) == 0))
		lex_emit(l, ITEM_BOOL);
	else
		lex_emit(l, ITEM_IDENT);
	return true;
}

static bool
lex_field_or_var(struct lexer *l, enum tmpl_item_type t)
{
	int c;

	if (lex_at_terminator(l)) {
		lex_emit(l, t == ITEM_VARIABLE ? ITEM_VARIABLE : ITEM_DOT);
		return true;
	}
	while (lex_is_alnum(c = lex_next(l)))
		;
	lex_backup(l);
	if (!lex_at_terminator(l)) {
		lex_errorf_char(l, "bad character", lex_peek(l));
		return false;
	}
	lex_emit(l, t);
	return true;
}

static bool
lex_space(struct lexer *l)
{
	int n = 0;

	while (lex_is_space(lex_peek(l))) {
		lex_next(l);
		n++;
	}
	/* " -}}": leave the space to the delimiter when it is the only one */
	if (lex_right_trim_marker(l, l->pos - 1) &&
	    lex_prefix(l, l->pos + 1, "}}")) {
		lex_backup(l);
		if (n == 1)
			return true;
	}
	lex_emit(l, ITEM_SPACE);
	return true;
}

static void
lex_right_delim(struct lexer *l, bool trim)
{
	if (trim) {
		lex_next(l), lex_next(l);
		lex_ignore(l);
	}
	lex_next(l), lex_next(l);
	lex_emit(l, ITEM_RIGHT_DELIM);
	if (trim)
		lex_skip_left_space(l);
}

/* Inside {{ }}: returns false at an error, true back in text. */
static bool
lex_inside_action(struct lexer *l)
{
	bool trim;
	int c;

	for (;;) {
		if (lex_at_right_delim(l, &trim)) {
			if (l->paren_depth == 0) {
				lex_right_delim(l, trim);
				return true;
			}
			lex_errorf(l, "unclosed left paren");
			return false;
		}
		c = lex_next(l);
		if (c == -1) {
			lex_errorf(l, "unclosed action");
			return false;
		}
		if (lex_is_space(c)) {
			lex_backup(l);
			lex_space(l);
			continue;
		}
		switch (c) {
		case '=':
			lex_emit(l, ITEM_ASSIGN);
			break;
		case ':':
			if (lex_next(l) != '=') {
				lex_errorf(l, "expected :=");
				return false;
			}
			lex_emit(l, ITEM_DECLARE);
			break;
		case '|':
			lex_emit(l, ITEM_PIPE);
			break;
		case '"':
			if (!lex_quote(l, '"', ITEM_STRING,
				"unterminated quoted string"))
				return false;
			break;
		case '`':
			if (!lex_quote(l, '`', ITEM_RAW_STRING,
				"unterminated raw quoted string"))
				return false;
			break;
		case '\'':
			if (!lex_quote(l, '\'', ITEM_CHARCONST,
				"unterminated character constant"))
				return false;
			break;
		case '$':
			if (!lex_field_or_var(l, ITEM_VARIABLE))
				return false;
			break;
		case '(':
			lex_emit(l, ITEM_LEFT_PAREN);
			l->paren_depth++;
			break;
		case ')':
			lex_emit(l, ITEM_RIGHT_PAREN);
			l->paren_depth--;
			if (l->paren_depth < 0) {
				lex_errorf_char(l, "unexpected right paren", c);
				return false;
			}
			break;
		default:
			if (c == '.' &&
			    !(lex_peek(l) >= '0' && lex_peek(l) <= '9')) {
				if (!lex_field_or_var(l, ITEM_FIELD))
					return false;
				break;
			}
			if (c == '.' || c == '+' || c == '-' ||
			    (c >= '0' && c <= '9')) {
				lex_backup(l);
				if (!lex_number(l))
					return false;
				break;
			}
			if (lex_is_alnum(c)) {
				lex_backup(l);
				if (!lex_identifier(l))
					return false;
				break;
			}
			if (c < 0x7f && isprint(c)) {
				lex_emit(l, ITEM_CHAR);
				break;
			}
			lex_errorf_char(
			    l, "unrecognized character in action", c);
			return false;
		}
	}
}

/* From a left delimiter at pos: returns false at an error. */
static bool
lex_left_delim(struct lexer *l)
{
	size_t after;

	lex_next(l), lex_next(l);
	after = lex_left_trim_marker(l, l->pos) ? 2 : 0;
	if (lex_prefix(l, l->pos + after, "/*")) {
		while (after-- > 0)
			lex_next(l);
		lex_ignore(l);
		return lex_comment(l);
	}
	lex_emit(l, ITEM_LEFT_DELIM);
	while (after-- > 0)
		lex_next(l);
	lex_ignore(l);
	l->paren_depth = 0;
	return lex_inside_action(l);
}

void
tmpl_lex(struct tmpl_items *out, const char *text, size_t len)
{
	struct lexer l = {
		.in = text, .len = len, .line = 1, .start_line = 1, .out = out
	};
	const char *d;
	size_t x, trim;

	memset(out, 0, sizeof(*out));
	for (;;) {
		d = lex_find(l.in + l.pos, l.len - l.pos, "{{", 2);
		if (d == NULL) {
			while (l.pos < l.len)
				lex_next(&l);
			if (l.pos > l.start)
				lex_emit(&l, ITEM_TEXT);
			lex_emit(&l, ITEM_EOF);
			return;
		}
		x = (size_t)(d - l.in);
		if (x > l.pos) {
			trim = 0;
			if (lex_left_trim_marker(&l, x + 2))
				while (x - trim > l.start &&
				    lex_is_space(
					(unsigned char)l.in[x - trim - 1]))
					trim++;
			while (l.pos < x - trim)
				lex_next(&l);
			if (l.pos > l.start)
				lex_emit(&l, ITEM_TEXT);
			while (l.pos < x)
				lex_next(&l);
			lex_ignore(&l);
		}
		if (!lex_left_delim(&l))
			return;
	}
}

void
tmpl_items_dispose(struct tmpl_items *items)
{
	free(items->v);
	free(items->errmsg);
	memset(items, 0, sizeof(*items));
}

/* Go's %q of up to max runes of s (bytes here: ASCII is what matters). */
static void
lex_quote_go(struct gd_buf *b, const char *s, size_t n)
{
	size_t i;
	unsigned char c;

	gd_buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		switch (c) {
		case '"':
			gd_buf_adds(b, "\\\"");
			break;
		case '\\':
			gd_buf_adds(b, "\\\\");
			break;
		case '\n':
			gd_buf_adds(b, "\\n");
			break;
		case '\t':
			gd_buf_adds(b, "\\t");
			break;
		case '\r':
			gd_buf_adds(b, "\\r");
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				gd_buf_printf(b, "\\x%02x", c);
			else
				gd_buf_addc(b, (char)c);
		}
	}
	gd_buf_addc(b, '"');
}

void
tmpl_item_string(struct gd_buf *b, const struct tmpl_item *it)
{
	if (it->type == ITEM_EOF)
		gd_buf_adds(b, "EOF");
	else if (it->type == ITEM_ERROR)
		gd_buf_add(b, it->val, it->len);
	else if (it->type > ITEM_KEYWORD)
		gd_buf_printf(b, "<%.*s>", (int)it->len, it->val);
	else if (it->len > 10) {
		lex_quote_go(b, it->val, 10);
		gd_buf_adds(b, "...");
	} else
		lex_quote_go(b, it->val, it->len);
}
