/* SPDX-License-Identifier: ISC */
/*
 * The loader's fast path: block-style YAML, the kind Helm charts render
 * and toYaml prints, read line by line straight into json_t, without
 * libyaml's tokens and events. gd_ydoc_load tries it first when no marks
 * are asked for; it reads about five times faster, and a chart render
 * re-reads every document it printed.
 *
 * It reads a subset: one document whose root is a block mapping or
 * sequence; plain keys that resolve to strings and quoted keys; plain and
 * single-line quoted values, sequences of scalars on one line ("[a, 'b']",
 * "[]"), "{}" and literal blocks ("|", "|-"); comments.
 * It never reports an error: on anything else (anchors, tags, flow
 * collections, folded or multi-line scalars, tabs, duplicate keys, a
 * byte libyaml would refuse) it gives up and the caller runs libyaml on
 * the same text, so every error message and every odd case is still
 * libyaml's. The hard part is giving up in exactly the right places:
 * a line indented deeper than its mapping after a plain value continues
 * that value in YAML, a sequence may sit at its key's own column, and a
 * literal block's indentation is decided by its first lines. Each such
 * case is checked as libyaml's scanner decides it (scan_plain_scalar,
 * scan_block_scalar_breaks), and tests/fuzz/fuzz_ydoc_fast compares both
 * paths on every input.
 */
#include <string.h>

#include "ydoc_int.h"

#define FAST_MAX_KEY 1000 /* libyaml's simple keys end at 1024 chars */

/* One line with content: not blank, not only a comment. */
struct fast_line {
	const char *text; /* where the node starts (after indentation) */
	const char *eol; /* the '\n' ending it, or the end of the input */
	size_t indent; /* column of text */
};

struct fast {
	const char *p; /* start of the next unread line */
	const char *end;
	size_t depth;
	size_t max_depth;
	struct gd_buf scratch; /* unescaped quoted scalars */
	/*
	 * The last fast_peek, for where f->p was then: a collection's end
	 * is peeked again by each collection it closes.
	 */
	const char *peek_p;
	int peek_rc;
	struct fast_line peek;
};

/* A mapping key: its bytes, in the input or in f->scratch. */
struct fast_key {
	const char *s;
	size_t len;
};

enum fast_ctx {
	FAST_IN_MAP,
	FAST_IN_SEQ,
};

static json_t *fast_block(struct fast *, struct fast_line *);
static json_t *fast_seq(struct fast *, struct fast_line *, bool indentless);
static json_t *fast_map(
    struct fast *, struct fast_line *, const struct fast_key *, const char *);

/* --- input -------------------------------------------------------------- */

/*
 * Whether libyaml's reader would take every byte as is: printable ASCII
 * and line feeds, and well-formed UTF-8 of printable code points. Tabs,
 * CRs, NEL and the Unicode line separators change how lines are read, and
 * a BOM is not content: all are left to libyaml.
 */
static bool
fast_input_ok(const unsigned char *s, size_t len)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
	size_t i = 0, n, k;
	unsigned long cp;
	unsigned char c;
	uint64_t w, x;

	while (i < len) {
		/* eight bytes at once while none is below 0x20 or above 0x7e */
		if (len - i >= 8) {
			memcpy(&w, s + i, 8);
			/*
			 * Line feeds count as spaces (0x0a | 0x20): lines are
			 * short, and most words hold one. x has the high bit
			 * set in exactly the bytes that were '\n'.
			 */
			x = w ^ (ones * '\n');
			x = ~(((x & low7) + low7) | x | low7);
			w |= x >> 2;
			if ((((w - ones * 0x20) & ~w) | ((w + ones) | w)) &
			    high)
				;
			else {
				i += 8;
				continue;
			}
		}
		c = s[i];
		if (c < 0x80) {
			/* one compare for the common case: printable ASCII */
			if ((unsigned char)(c - 0x20) >= 0x5f && c != '\n')
				return false;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return false;
		if (len - i <= n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		if (cp < 0xa0 || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
		    cp == 0xfffe || cp == 0xffff)
			return false;
		i += n + 1;
	}
	return true;
}

/*
 * The next line with content, not consumed: 1, or 0 at the end. -1 gives
 * up: a document marker at column 0 starts another document.
 */
static int
fast_peek(struct fast *f, struct fast_line *l)
{
	const char *p = f->p, *s, *eol;

	if (f->peek_p == f->p) {
		*l = f->peek;
		return f->peek_rc;
	}
	f->peek_p = f->p;
	while (p < f->end) {
		s = p;
		while (p < f->end && *p == ' ')
			p++;
		eol = memchr(p, '\n', (size_t)(f->end - p));
		if (eol == NULL)
			eol = f->end;
		if (p == eol || *p == '#') {
			p = eol < f->end ? eol + 1 : eol;
			continue;
		}
		if (p == s && eol - p >= 3 &&
		    (memcmp(p, "---", 3) == 0 || memcmp(p, "...", 3) == 0) &&
		    (eol - p == 3 || p[3] == ' '))
			return f->peek_rc = -1;
		l->text = p;
		l->eol = eol;
		l->indent = (size_t)(p - s);
		f->peek = *l;
		return f->peek_rc = 1;
	}
	return f->peek_rc = 0;
}

static void
fast_consume(struct fast *f, const struct fast_line *l)
{
	f->p = l->eol < f->end ? l->eol + 1 : l->eol;
}

static bool
fast_is_dash(const char *p, const char *eol)
{
	return *p == '-' && (p + 1 == eol || p[1] == ' ');
}

/* Skips spaces; true when only a comment or nothing is left. */
static bool
fast_rest_empty(const char **pp, const char *eol)
{
	const char *p = *pp, *start = p;

	while (p < eol && *p == ' ')
		p++;
	*pp = p;
	return p == eol || (*p == '#' && (p > start || p[-1] == ' '));
}

/* Can a plain scalar start here (libyaml's fetch_next_token)? */
static bool
fast_plain_start(const char *p, const char *eol)
{
	char next = p + 1 < eol ? p[1] : ' ';

	if ((unsigned)(((unsigned char)*p | 0x20) - 'a') < 26u)
		return true; /* a letter: most keys and values */
	switch (*p) {
	case '-':
	case '?':
	case ':':
		return next != ' ';
	case ',':
	case '[':
	case ']':
	case '{':
	case '}':
	case '#':
	case '&':
	case '*':
	case '!':
	case '|':
	case '>':
	case '\'':
	case '"':
	case '%':
	case '@':
	case '`':
		return false;
	default:
		return true;
	}
}

/*
 * Whether s[0..len) (1 to 5 bytes) may be one of the words ydoc_resolve
 * knows that do not start like a number ("y", "No", "off", "True",
 * "NULL", "~", "<<"...). Compared without case, a superset: what fails
 * here is surely a string ("name", "type", "ports" are the common keys).
 */
static bool
fast_maybe_word(const char *s, size_t len)
{
	char w[5];
	size_t i;

	/* '|' 0x20 lowercases letters and keeps '~' and '<' */
	for (i = 0; i < len; i++)
		w[i] = (char)(s[i] | 0x20);
	switch (len) {
	case 1:
		return w[0] == 'y' || w[0] == 'n' || w[0] == '~';
	case 2:
		return memcmp(w, "no", 2) == 0 || memcmp(w, "on", 2) == 0 ||
		    memcmp(w, "<<", 2) == 0;
	case 3:
		return memcmp(w, "yes", 3) == 0 || memcmp(w, "off", 3) == 0;
	case 4:
		return memcmp(w, "true", 4) == 0 || memcmp(w, "null", 4) == 0;
	default:
		return memcmp(w, "false", 5) == 0;
	}
}

/*
 * ydoc_resolve, skipping it for what can only be a string: numbers start
 * with a digit, '.', '+' or '-', and the only other scalars it types are
 * the words of fast_maybe_word, each at most 5 bytes. Most keys and
 * values of a manifest are other names.
 */
static enum ydoc_kind
fast_resolve(const char *s, size_t len, json_t **out)
{
	char c = len > 0 ? s[0] : '\0';
	json_int_t v = 0;
	size_t i;

	if (len > 0 && !(c >= '0' && c <= '9') && c != '.' && c != '+' &&
	    c != '-' && (len > 5 || !fast_maybe_word(s, len))) {
		if (out != NULL)
			*out = json_stringn_nocheck(s, len);
		return YDOC_STR;
	}
	/*
	 * The common typed values, read here as ydoc_resolve reads them:
	 * "true", "false", and digits alone ("80", "0"), at most 18 so
	 * that they cannot overflow, with no leading 0 ("0755" is octal):
	 * with no '-' they cannot be timestamps.
	 */
	if (out != NULL && len == 4 && memcmp(s, "true", 4) == 0) {
		*out = json_true();
		return YDOC_BOOL;
	}
	if (out != NULL && len == 5 && memcmp(s, "false", 5) == 0) {
		*out = json_false();
		return YDOC_BOOL;
	}
	if (out != NULL && len <= 18 && c >= '0' && c <= '9' &&
	    (c != '0' || len == 1)) {
		for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			v = v * 10 + (s[i] - '0');
		if (i == len) {
			*out = json_integer(v);
			return YDOC_INT;
		}
	}
	return ydoc_resolve(s, len, out);
}

/* --- quoted scalars ----------------------------------------------------- */

static int
fast_hex(const char *p, const char *eol, size_t n, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;
	int d;

	if ((size_t)(eol - p) < n)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			return -1;
		v = (v << 4) | (unsigned long)d;
	}
	*out = v;
	return 0;
}

static void
fast_utf8(struct gd_buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	gd_buf_add(b, u, n);
}

/* One escape of a double-quoted scalar (p after the backslash). */
static int
fast_escape(struct gd_buf *b, const char **pp, const char *eol)
{
	static const char simple[] = "abtnvfre \"/\\";
	static const char value[] = "\a\b\t\n\v\f\r\x1b \"/\\";
	const char *p = *pp, *hit;
	unsigned long cp;
	size_t n;

	if (p == eol)
		return -1; /* a line continuation */
	if ((hit = strchr(simple, *p)) != NULL && *p != '\0') {
		gd_buf_addc(b, value[hit - simple]);
		*pp = p + 1;
		return 0;
	}
	switch (*p) {
	case 'x':
		n = 2;
		break;
	case 'u':
		n = 4;
		break;
	case 'U':
		n = 8;
		break;
	default:
		return -1; /* \0, \N, \_, \L, \P, unknown: libyaml's */
	}
	if (fast_hex(p + 1, eol, n, &cp) < 0 || cp == 0 || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	fast_utf8(b, cp);
	*pp = p + 1 + n;
	return 0;
}

/*
 * A quoted scalar that ends on its line, unescaped into f->scratch; *pp
 * is left after the closing quote. -1: anything else.
 */
static int
fast_quoted(struct fast *f, const char **pp, const char *eol)
{
	const char *p = *pp, *run;
	char q = *p++;

	gd_buf_reset(&f->scratch);
	gd_buf_add(&f->scratch, "", 0);
	for (;;) {
		run = p;
		while (p < eol && *p != q && (q == '\'' || *p != '\\'))
			p++;
		gd_buf_add(&f->scratch, run, (size_t)(p - run));
		if (p == eol)
			return -1;
		if (q == '\'') {
			if (p + 1 < eol && p[1] == '\'') {
				gd_buf_addc(&f->scratch, '\'');
				p += 2;
				continue;
			}
			break;
		}
		if (*p == '"')
			break;
		p++;
		if (fast_escape(&f->scratch, &p, eol) < 0)
			return -1;
	}
	*pp = p + 1;
	return 0;
}

/* --- keys --------------------------------------------------------------- */

/*
 * Whether the line at p is "key: ...": 1 with the key in *k and *after
 * past the colon, 0 when it is not a key, -1 to give up.
 */
static int
fast_key(struct fast *f, const char *p, const char *eol, struct fast_key *k,
    const char **after)
{
	const char *q, *e;

	if (*p == '"' || *p == '\'') {
		q = p;
		if (fast_quoted(f, &q, eol) < 0 || q - p > FAST_MAX_KEY)
			return -1;
		while (q < eol && *q == ' ')
			q++;
		if (q == eol || *q != ':')
			return 0;
		if (q + 1 < eol && q[1] != ' ')
			return -1;
		k->s = f->scratch.data;
		k->len = f->scratch.len;
		*after = q + 1;
		return 1;
	}
	/* the first ": ", then no " #" (a comment) before it */
	for (q = p; (q = memchr(q, ':', (size_t)(eol - q))) != NULL; q++)
		if (q + 1 == eol || q[1] == ' ')
			break;
	if (q == NULL)
		return 0;
	for (e = p + 1; e < q && (e = memchr(e, '#', (size_t)(q - e))) != NULL;
	     e++)
		if (e[-1] == ' ')
			return 0;
	if (!fast_plain_start(p, eol) || q - p > FAST_MAX_KEY)
		return -1;
	for (e = q; e > p && e[-1] == ' '; e--)
		;
	/* Keys that are not strings (80, true, null, <<) go to libyaml. */
	if (fast_resolve(p, (size_t)(e - p), NULL) != YDOC_STR)
		return -1;
	k->s = p;
	k->len = (size_t)(e - p);
	*after = q + 1;
	return 1;
}

/* --- scalars ------------------------------------------------------------ */

/*
 * A literal block ("|" or "|-" at p on line l) as libyaml's
 * scan_block_scalar reads it: blank lines, then the first line with
 * content set the indentation (never less than parent + 1, parent being
 * the column of the collection holding the value); lines are kept from
 * that column on, blank ones become line breaks, and clipping keeps the
 * final line break only if one was read after the last line. A shallower
 * line ends the block and is read next.
 */
static json_t *
fast_literal(struct fast *f, struct fast_line *l, const char *p, size_t parent)
{
	struct gd_buf *b = &f->scratch;
	const char *q, *s, *eol;
	size_t indent, max_blank = 0, breaks = 0;
	bool strip = false, lead = false;

	p++;
	if (p < l->eol && *p == '-') {
		strip = true;
		p++;
	}
	if (p < l->eol && *p != ' ')
		return NULL; /* "|+", "|2", "|#": left to libyaml */
	if (!fast_rest_empty(&p, l->eol))
		return NULL;
	fast_consume(f, l);
	for (q = f->p;; q = s + 1) {
		for (s = q; s < f->end && *s == ' '; s++)
			;
		if (s == f->end || *s != '\n')
			break;
		if ((size_t)(s - q) > max_blank)
			max_blank = (size_t)(s - q);
		breaks++;
	}
	indent = (size_t)(s - q);
	if (max_blank > indent)
		return NULL; /* the block is empty and the line is mid-way */
	if (indent < parent + 1)
		indent = parent + 1;
	gd_buf_reset(b);
	gd_buf_add(b, "", 0);
	while (s < f->end && (size_t)(s - q) == indent) {
		if (lead)
			gd_buf_addc(b, '\n');
		for (; breaks > 0; breaks--)
			gd_buf_addc(b, '\n');
		if ((eol = memchr(s, '\n', (size_t)(f->end - s))) == NULL)
			eol = f->end;
		gd_buf_add(b, s, (size_t)(eol - s));
		if (eol == f->end) {
			q = eol;
			lead = false;
			break;
		}
		lead = true;
		for (q = eol + 1;; q = s + 1) {
			for (s = q; s < f->end && *s == ' ' &&
			     (size_t)(s - q) < indent;
			     s++)
				;
			if (s == f->end || *s != '\n')
				break;
			breaks++;
		}
	}
	if (lead && !strip)
		gd_buf_addc(b, '\n');
	f->p = q;
	return json_stringn_nocheck(b->data, b->len);
}

/* A plain scalar value from p to the end of its line or a comment. */
static json_t *
fast_plain(const char *p, const char *eol)
{
	const char *q, *e = eol;
	json_t *v = NULL;

	if (!fast_plain_start(p, eol))
		return NULL;
	/* *p is no '#': a comment starts further on, after a space */
	for (q = p + 1;
	     q < eol && (q = memchr(q, '#', (size_t)(eol - q))) != NULL; q++)
		if (q[-1] == ' ') {
			e = q;
			break;
		}
	for (q = p; q < e && (q = memchr(q, ':', (size_t)(e - q))) != NULL; q++)
		if (q + 1 == eol || q[1] == ' ')
			return NULL; /* "a: b: c" is libyaml's error */
	while (e > p && e[-1] == ' ')
		e--;
	fast_resolve(p, (size_t)(e - p), &v);
	return v; /* NULL for .nan and .inf: libyaml's error */
}

/* A plain scalar inside a flow sequence: only the unsurprising ones. */
static bool
fast_flow_plain_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	if (first)
		return c == '/' || c == '.' || c == '_' || c == '$';
	return strchr("-_./=+~@$%^()<>; ", c) != NULL && c != '\0';
}

/*
 * A flow sequence of scalars on one line ("[a, 'b', \"c\"]", "[]"), with
 * *pp left after the ']'. Nested collections, keys, empty entries and
 * plain scalars with indicators in them are left to libyaml.
 */
static json_t *
fast_flow_seq(struct fast *f, const char **pp, const char *eol)
{
	const char *p = *pp + 1, *s, *e;
	json_t *arr = json_array(), *v;

	while (p < eol && *p == ' ')
		p++;
	if (p < eol && *p == ']')
		goto done;
	for (;;) {
		if (p == eol)
			goto fail;
		if (*p == '"' || *p == '\'') {
			if (fast_quoted(f, &p, eol) < 0)
				goto fail;
			v = json_stringn_nocheck(
			    f->scratch.data, f->scratch.len);
		} else {
			if (!fast_flow_plain_char(*p, true))
				goto fail;
			for (s = p; p < eol && fast_flow_plain_char(*p, false);
			     p++)
				;
			for (e = p; e > s && e[-1] == ' '; e--)
				;
			v = NULL;
			fast_resolve(s, (size_t)(e - s), &v);
			if (v == NULL)
				goto fail;
		}
		json_array_append_new(arr, v);
		while (p < eol && *p == ' ')
			p++;
		if (p < eol && *p == ']')
			break;
		if (p == eol || *p != ',')
			goto fail;
		p++;
		while (p < eol && *p == ' ')
			p++;
		if (p < eol && *p == ']')
			goto fail; /* a trailing comma */
	}
done:
	*pp = p + 1;
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

/*
 * The value after "key:" or "- " (p on line l), in a collection at column
 * col; consumes its lines. NULL gives up.
 */
static json_t *
fast_value(struct fast *f, struct fast_line *l, const char *p, size_t col,
    enum fast_ctx ctx)
{
	struct fast_line nl;
	struct fast_key k;
	const char *q;
	json_t *v = NULL;
	int rc;

	if (fast_rest_empty(&p, l->eol)) {
		fast_consume(f, l);
		if ((rc = fast_peek(f, &nl)) < 0)
			return NULL;
		if (rc > 0 && nl.indent > col)
			return fast_block(f, &nl);
		/* a sequence may sit at its key's column */
		if (rc > 0 && nl.indent == col && ctx == FAST_IN_MAP &&
		    fast_is_dash(nl.text, nl.eol))
			return fast_seq(f, &nl, true);
		return json_null();
	}
	if (ctx == FAST_IN_SEQ) { /* "- key: value" */
		if ((rc = fast_key(f, p, l->eol, &k, &q)) < 0)
			return NULL;
		if (rc > 0) {
			nl.text = p;
			nl.eol = l->eol;
			nl.indent = l->indent + (size_t)(p - l->text);
			return fast_map(f, &nl, &k, q);
		}
	}
	switch (*p) {
	case '|':
		return fast_literal(f, l, p, col);
	case '"':
	case '\'':
		q = p;
		if (fast_quoted(f, &q, l->eol) < 0 ||
		    !fast_rest_empty(&q, l->eol))
			return NULL;
		v = json_stringn_nocheck(f->scratch.data, f->scratch.len);
		break;
	case '[':
		q = p;
		if ((v = fast_flow_seq(f, &q, l->eol)) == NULL)
			return NULL;
		if (!fast_rest_empty(&q, l->eol)) {
			json_decref(v);
			return NULL;
		}
		break;
	case '{':
		q = p + 2;
		if (q > l->eol || p[1] != '}' || !fast_rest_empty(&q, l->eol))
			return NULL;
		v = json_object();
		break;
	default:
		if ((v = fast_plain(p, l->eol)) == NULL)
			return NULL;
	}
	fast_consume(f, l);
	return v;
}

/* --- collections -------------------------------------------------------- */

/*
 * A block mapping whose first key starts line l, at its column; first and
 * first_after are that key as the caller read it.
 */
static json_t *
fast_map(struct fast *f, struct fast_line *l, const struct fast_key *first,
    const char *first_after)
{
	struct fast_line nl = *l;
	struct fast_key k = *first;
	const char *after = first_after, *key;
	json_t *obj = NULL, *v;
	char small[64], *heap = NULL;
	size_t col = l->indent, n = 0;
	int rc;

	if (++f->depth > f->max_depth)
		return NULL;
	obj = json_object();
	for (;;) {
		if (n > 0 && fast_key(f, nl.text, nl.eol, &k, &after) != 1)
			goto fail;
		/* a quoted key is in scratch, which the value may reuse */
		key = k.s;
		if (k.s == f->scratch.data) {
			if (k.len < sizeof(small)) {
				memcpy(small, k.s, k.len);
				key = small;
			} else
				key = heap = xstrndup(k.s, k.len);
		}
		if ((v = fast_value(f, &nl, after, col, FAST_IN_MAP)) == NULL)
			goto fail;
		json_object_setn_new_nocheck(obj, key, k.len, v);
		free(heap);
		heap = NULL;
		if (json_object_size(obj) != ++n)
			goto fail; /* a duplicate replaced a value: libyaml's */
		if ((rc = fast_peek(f, &nl)) < 0)
			goto fail;
		if (rc == 0 || nl.indent < col)
			break;
		if (nl.indent > col)
			goto fail;
	}
	f->depth--;
	return obj;
fail:
	free(heap);
	json_decref(obj);
	return NULL;
}

/*
 * A block sequence whose first "-" starts line l. An indentless one (at
 * its key's column) ends at the first line there that is not an item.
 */
static json_t *
fast_seq(struct fast *f, struct fast_line *l, bool indentless)
{
	struct fast_line nl = *l;
	json_t *arr, *v;
	size_t col = l->indent;
	int rc;

	if (++f->depth > f->max_depth)
		return NULL;
	arr = json_array();
	for (;;) {
		v = fast_value(f, &nl, nl.text + 1, col, FAST_IN_SEQ);
		if (v == NULL)
			goto fail;
		json_array_append_new(arr, v);
		if ((rc = fast_peek(f, &nl)) < 0)
			goto fail;
		if (rc == 0 || nl.indent < col)
			break;
		if (nl.indent > col)
			goto fail;
		if (!fast_is_dash(nl.text, nl.eol)) {
			if (indentless)
				break;
			goto fail;
		}
	}
	f->depth--;
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

/*
 * The collection starting on line l: a sequence, a mapping, or a flow
 * one alone on its line ("resources:\n  {}", as toYaml of nothing and
 * nindent print it).
 */
static json_t *
fast_block(struct fast *f, struct fast_line *l)
{
	const char *after = l->text + 2;
	struct fast_key k;
	json_t *v;

	if (fast_is_dash(l->text, l->eol))
		return fast_seq(f, l, false);
	if (*l->text == '{' || *l->text == '[') {
		if (*l->text == '{')
			v = l->text + 1 < l->eol && l->text[1] == '}' ?
			    json_object() :
			    NULL;
		else {
			after = l->text;
			v = fast_flow_seq(f, &after, l->eol);
		}
		if (v != NULL &&
		    (after > l->eol || !fast_rest_empty(&after, l->eol))) {
			json_decref(v);
			v = NULL;
		}
		if (v != NULL)
			fast_consume(f, l);
		return v;
	}
	if (fast_key(f, l->text, l->eol, &k, &after) == 1)
		return fast_map(f, l, &k, after);
	return NULL;
}

bool
ydoc_fast_load(json_t **out, const char *buf, size_t len, size_t max_depth)
{
	struct fast f = { .p = buf, .end = buf + len, .max_depth = max_depth };
	struct fast_line l;
	json_t *v = NULL;

	*out = NULL;
	if (!fast_input_ok((const unsigned char *)buf, len) ||
	    fast_peek(&f, &l) <= 0)
		return false;
	gd_buf_init(&f.scratch);
	v = fast_block(&f, &l);
	if (v != NULL && fast_peek(&f, &l) != 0) {
		json_decref(v);
		v = NULL;
	}
	gd_buf_dispose(&f.scratch);
	*out = v;
	return v != NULL;
}
