/* SPDX-License-Identifier: ISC */
/*
 * YAML output: a json_t printed byte for byte as sigs.k8s.io/yaml's Marshal
 * prints it, which is Helm's toYaml plus a final newline. That text is what
 * go-yaml v2 (a Go port of libyaml) emits after encoding/json has printed
 * the value and go-yaml has read it back, so this file reproduces three
 * things: how Go prints a float64 and how go-yaml re-reads and re-prints
 * that number; go-yaml's key order (a "natural" sort in which digit runs
 * compare as numbers, not encoding/json's byte order, because go-yaml
 * re-reads the JSON into a Go map and sorts its keys itself); and the
 * libyaml emitter's choice and layout of scalar styles. The round trip
 * through JSON text also folds a raw U+0085 (NEL) like a line break, which
 * is redone here. Where Go fails instead (DEL, C1 controls and U+FFFE/F in
 * a string, a NEL in a key: toYaml then prints ""), this file still prints
 * valid, escaped YAML, since its callers cannot fail.
 *
 * The hard part is the last one. Whether a string may stay plain is decided
 * twice: go-yaml's encoder quotes anything ydoc_resolve() would read back
 * as a non-string, then the emitter's character analysis may still demote
 * plain to single quotes and single quotes to double quotes. Long scalars
 * are folded at a space once the column passes 80, counted in characters,
 * and the exact moment of the check (before writing the space, only for
 * the first space of a run) matters. The writers below keep the emitter's
 * state (column, "last write was whitespace", "still in the indentation")
 * the way libyaml does so that the same decisions fall out at the same
 * places; the block-mapping and block-sequence layout is a direct walk of
 * the tree with the same indent rules (lists under a key are not indented,
 * keys longer than 128 bytes or spanning lines become "? key" entries).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ydoc_int.h"

#define EMIT_BEST_WIDTH  80
#define EMIT_BEST_INDENT 2
#define EMIT_SIMPLE_KEY  128 /* longest key in bytes written as "key:" */
/* Mappings up to this size sort their keys on the stack (one per level). */
#define EMIT_SMALL_KEYS  8
#define EMIT_SMALL_RUNES 96

enum emit_style {
	EMIT_PLAIN,
	EMIT_SINGLE,
	EMIT_DOUBLE,
	EMIT_LITERAL,
};

struct emitter {
	struct gd_buf *out;
	int indent; /* -1 before the root node */
	int column; /* in characters, not bytes */
	bool whitespace; /* last thing written was blank or an indent */
	bool indention; /* only indentation so far on this line */
	bool mapping_ctx;
	bool simple_key_ctx;
};

/* What the emitter's analysis allows for one scalar (block context). */
struct scalar_info {
	bool multiline;
	bool plain_allowed;
	bool single_allowed;
	bool block_allowed;
};

/* One mapping entry, with its key decoded to code points for sorting. */
struct emit_key {
	const char *s;
	size_t len;
	const uint32_t *runes;
	size_t nrunes;
	json_t *value;
};

static void emit_node(struct emitter *, const json_t *, bool, bool);

/* --- characters ---------------------------------------------------------- */

/* Byte at i, or NUL past the end: the Go code reads b[i+1] freely. */
static unsigned char
at(const char *s, size_t len, size_t i)
{
	return i < len ? (unsigned char)s[i] : 0;
}

static size_t
utf8_width(unsigned char c)
{
	if ((c & 0x80) == 0x00)
		return 1;
	if ((c & 0xE0) == 0xC0)
		return 2;
	if ((c & 0xF0) == 0xE0)
		return 3;
	if ((c & 0xF8) == 0xF0)
		return 4;
	return 1; /* a stray byte: step over it rather than loop */
}

/* Width of the character at i, never past the end of s. */
static size_t
char_width(const char *s, size_t len, size_t i)
{
	size_t w;

	w = utf8_width(at(s, len, i));
	return i + w <= len ? w : len - i;
}

static bool
is_space(const char *s, size_t len, size_t i)
{
	return at(s, len, i) == ' ';
}

static bool
is_blank(const char *s, size_t len, size_t i)
{
	unsigned char c = at(s, len, i);

	return c == ' ' || c == '\t';
}

/* CR, LF, NEL, LS and PS all break lines for YAML. */
static bool
is_break(const char *s, size_t len, size_t i)
{
	unsigned char c = at(s, len, i);

	if (c == '\r' || c == '\n')
		return true;
	if (c == 0xC2 && at(s, len, i + 1) == 0x85)
		return true;
	return c == 0xE2 && at(s, len, i + 1) == 0x80 &&
	    (at(s, len, i + 2) == 0xA8 || at(s, len, i + 2) == 0xA9);
}

/*
 * libyaml's printable set, judged on the first bytes only: TAB, DEL, C1
 * controls, U+FEFF, U+FFFE/F and everything outside the BMP are not
 * printable and force double quotes with escapes.
 */
static bool
is_printable(const char *s, size_t len, size_t i)
{
	unsigned char c = at(s, len, i), c1 = at(s, len, i + 1);
	unsigned char c2 = at(s, len, i + 2);

	if (c == 0x0A || (c >= 0x20 && c <= 0x7E))
		return true;
	if (c == 0xC2)
		return c1 >= 0xA0;
	if (c > 0xC2 && c < 0xED)
		return true;
	if (c == 0xED)
		return c1 < 0xA0;
	if (c == 0xEE)
		return true;
	if (c == 0xEF)
		return !(c1 == 0xBB && c2 == 0xBF) &&
		    !(c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF));
	return false;
}

/* Decodes the character at *i and steps past it. */
static uint32_t
utf8_next(const char *s, size_t len, size_t *i)
{
	unsigned char c = at(s, len, *i);
	size_t w, k;
	uint32_t r;

	w = char_width(s, len, *i);
	if (w == 1)
		r = c;
	else if (w == 2)
		r = c & 0x1F;
	else if (w == 3)
		r = c & 0x0F;
	else
		r = c & 0x07;
	for (k = 1; k < w; k++)
		r = (r << 6) | (at(s, len, *i + k) & 0x3F);
	*i += w;
	return r;
}

/* --- output primitives (libyaml's put/write/write_indent) ---------------- */

static void
put(struct emitter *e, char c)
{
	gd_buf_addc(e->out, c);
	e->column++;
}

static void
put_break(struct emitter *e)
{
	gd_buf_addc(e->out, '\n');
	e->column = 0;
}

/* Copies the character at *i (one column, whatever its byte count). */
static void
write_char(struct emitter *e, const char *s, size_t len, size_t *i)
{
	size_t w = char_width(s, len, *i);

	gd_buf_add(e->out, s + *i, w);
	e->column++;
	*i += w;
}

static void
write_break(struct emitter *e, const char *s, size_t len, size_t *i)
{
	if (s[*i] == '\n') {
		put_break(e);
		(*i)++;
	} else {
		write_char(e, s, len, i);
		e->column = 0;
	}
}

/*
 * Copies s[i..j) where the caller knows no character needs a decision,
 * counting one column per character.
 */
static void
write_run(struct emitter *e, const char *s, size_t i, size_t j)
{
	size_t k;

	gd_buf_add(e->out, s + i, j - i);
	for (k = i; k < j; k++)
		e->column += ((unsigned char)s[k] & 0xC0) != 0x80;
}

static void
write_indent(struct emitter *e)
{
	int indent = e->indent < 0 ? 0 : e->indent;

	if (!e->indention || e->column > indent ||
	    (e->column == indent && !e->whitespace))
		put_break(e);
	while (e->column < indent)
		put(e, ' ');
	e->whitespace = true;
	e->indention = true;
}

static void
write_indicator(struct emitter *e, const char *ind, bool need_whitespace,
    bool is_whitespace, bool is_indention)
{
	if (need_whitespace && !e->whitespace)
		put(e, ' ');
	gd_buf_adds(e->out, ind);
	e->column += (int)strlen(ind);
	e->whitespace = is_whitespace;
	e->indention = e->indention && is_indention;
}

/* libyaml's increase_indent for a block (flow false) or a scalar (true). */
static void
increase_indent(struct emitter *e, bool flow, bool indentless)
{
	if (e->indent < 0)
		e->indent = flow ? EMIT_BEST_INDENT : 0;
	else if (!indentless)
		e->indent += EMIT_BEST_INDENT;
}

/* --- scalar analysis and style ------------------------------------------- */

static bool
is_base60_float(const char *s, size_t len)
{
	size_t i = 0, n;

	/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	if (i >= len || s[i] < '0' || s[i] > '9')
		return false;
	while (i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
		i++;
	if (i >= len || s[i] != ':')
		return false;
	while (i < len && s[i] == ':') {
		i++;
		for (n = 0; i + n < len && s[i + n] >= '0' && s[i + n] <= '9';
		     n++)
			;
		if (n == 0 || n > 2 || (n == 2 && s[i] > '5'))
			return false;
		i += n;
	}
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			i++;
	}
	return i == len;
}

/* The characters that can make a scalar look like YAML syntax. */
static bool
is_indicator_char(unsigned char c)
{
	switch (c) {
	case '#':
	case ',':
	case '[':
	case ']':
	case '{':
	case '}':
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
	case '?':
	case ':':
	case '-':
		return true;
	default:
		return false;
	}
}

/*
 * Whether the ASCII character at i rules out a plain block scalar (the
 * emitter's "block indicators"): any indicator first, "- ", "? " and ": "
 * first, ": " anywhere and " #" anywhere.
 */
static bool
is_block_indicator(const char *s, size_t len, size_t i, bool preceded_ws)
{
	unsigned char c = (unsigned char)s[i];
	bool followed_ws = i + 1 >= len || is_blank(s, len, i + 1);

	if (i == 0) {
		if (c == '?' || c == ':' || c == '-')
			return followed_ws;
		return true;
	}
	if (c == ':')
		return followed_ws;
	return c == '#' && preceded_ws;
}

/* libyaml's yaml_emitter_analyze_scalar, reduced to block context. */
static void
analyze_scalar(struct scalar_info *si, const char *s, size_t len)
{
	bool block_ind = false, line_breaks = false, special = false;
	bool leading = false, trailing_space = false, trailing_break = false;
	bool break_space = false, space_break = false;
	bool preceded_ws = true, prev_space = false, prev_break = false;
	bool brk;
	unsigned char c;
	size_t i, w;

	memset(si, 0, sizeof(*si));
	if (len == 0) {
		si->plain_allowed = true;
		si->single_allowed = true;
		return;
	}
	if (len >= 3 &&
	    ((s[0] == '-' && s[1] == '-' && s[2] == '-') ||
		(s[0] == '.' && s[1] == '.' && s[2] == '.')))
		block_ind = true;
	leading = s[0] == ' ' || is_break(s, len, 0);
	for (i = 0; i < len; i += w) {
		c = (unsigned char)s[i];
		w = c < 0x80 ? 1 : char_width(s, len, i);
		if (c < 0x80 && is_indicator_char(c) &&
		    is_block_indicator(s, len, i, preceded_ws))
			block_ind = true;
		if (c >= 0x80 ? !is_printable(s, len, i) :
				(c < 0x20 && c != '\n') || c == 0x7F)
			special = true;
		brk = c == '\n' || c == '\r' ||
		    (c >= 0x80 && is_break(s, len, i));
		if (c == ' ') {
			trailing_space = i + 1 == len;
			break_space = break_space || prev_break;
			prev_space = true;
			prev_break = false;
		} else if (brk) {
			line_breaks = true;
			trailing_break = i + w == len;
			space_break = space_break || prev_space;
			prev_space = false;
			prev_break = true;
		} else {
			prev_space = false;
			prev_break = false;
		}
		preceded_ws = c == ' ' || c == '\t' || c == 0 || brk;
	}
	si->multiline = line_breaks;
	si->plain_allowed = !(leading || trailing_space || trailing_break ||
	    break_space || space_break || special || line_breaks || block_ind);
	si->single_allowed = !(break_space || space_break || special);
	si->block_allowed = !(trailing_space || space_break || special);
}

/*
 * Whether a plain s would read back as the same string. "<<" counts as
 * one: v2.4.0's resolver skips it on output, so Helm prints it bare.
 */
static bool
plain_reads_back(const char *s, size_t len)
{
	enum ydoc_kind kind;
	char c = len > 0 ? s[0] : '\0';

	/*
	 * The resolver's words are at most 5 bytes and start with one of
	 * "yYnNtTfFoO~<", its numbers (and base 60) with a digit, '.', '+'
	 * or '-': anything else is a string without asking it.
	 */
	if (len > 5 && !(c >= '0' && c <= '9') && c != '.' && c != '+' &&
	    c != '-')
		return true;
	kind = ydoc_resolve(s, len, NULL);
	if (kind != YDOC_STR && kind != YDOC_MERGE)
		return false;
	return !is_base60_float(s, len);
}

/*
 * The style go-yaml's encoder asks for (literal for anything with a
 * newline, double quotes for what would read back as another type,
 * plain otherwise), then the emitter's demotions.
 */
static enum emit_style
select_style(const struct emitter *e, const struct scalar_info *si,
    const char *s, size_t len)
{
	enum emit_style style;

	if (memchr(s, '\n', len) != NULL)
		style = EMIT_LITERAL;
	else if (plain_reads_back(s, len))
		style = EMIT_PLAIN;
	else
		style = EMIT_DOUBLE;

	if (e->simple_key_ctx && si->multiline)
		style = EMIT_DOUBLE;
	if (style == EMIT_PLAIN &&
	    (!si->plain_allowed || (len == 0 && e->simple_key_ctx)))
		style = EMIT_SINGLE;
	if (style == EMIT_SINGLE && !si->single_allowed)
		style = EMIT_DOUBLE;
	if (style == EMIT_LITERAL && (!si->block_allowed || e->simple_key_ctx))
		style = EMIT_DOUBLE;
	return style;
}

/* --- scalar writers --------------------------------------------------------
 */

static void
write_plain(struct emitter *e, const char *s, size_t len, bool allow_breaks)
{
	bool spaces = false, breaks = false;
	size_t i = 0, j;

	if (!e->whitespace)
		put(e, ' ');
	while (i < len) {
		if (is_space(s, len, i)) {
			if (allow_breaks && !spaces &&
			    e->column > EMIT_BEST_WIDTH &&
			    !is_space(s, len, i + 1)) {
				write_indent(e);
				i++;
			} else {
				write_char(e, s, len, &i);
			}
			spaces = true;
		} else if (is_break(s, len, i)) {
			if (!breaks && s[i] == '\n')
				put_break(e);
			write_break(e, s, len, &i);
			e->indention = true;
			breaks = true;
		} else {
			if (breaks)
				write_indent(e);
			for (j = i + 1;
			     j < len && s[j] != ' ' && !is_break(s, len, j);
			     j++)
				;
			write_run(e, s, i, j);
			i = j;
			e->indention = false;
			spaces = false;
			breaks = false;
		}
	}
	e->whitespace = false;
	e->indention = false;
}

static void
write_single(struct emitter *e, const char *s, size_t len, bool allow_breaks)
{
	bool spaces = false, breaks = false;
	size_t i = 0;

	write_indicator(e, "'", true, false, false);
	while (i < len) {
		if (is_space(s, len, i)) {
			if (allow_breaks && !spaces &&
			    e->column > EMIT_BEST_WIDTH && i > 0 &&
			    i < len - 1 && !is_space(s, len, i + 1)) {
				write_indent(e);
				i++;
			} else {
				write_char(e, s, len, &i);
			}
			spaces = true;
		} else if (is_break(s, len, i)) {
			if (!breaks && s[i] == '\n')
				put_break(e);
			write_break(e, s, len, &i);
			e->indention = true;
			breaks = true;
		} else {
			if (breaks)
				write_indent(e);
			if (s[i] == '\'')
				put(e, '\'');
			write_char(e, s, len, &i);
			e->indention = false;
			spaces = false;
			breaks = false;
		}
	}
	write_indicator(e, "'", false, false, false);
	e->whitespace = false;
	e->indention = false;
}

/* Writes "\" and the escape for code point r. */
static void
write_escape(struct emitter *e, uint32_t r)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *named;
	int digits, k;

	put(e, '\\');
	switch (r) {
	case 0x00:
		named = "0";
		break;
	case 0x07:
		named = "a";
		break;
	case 0x08:
		named = "b";
		break;
	case 0x09:
		named = "t";
		break;
	case 0x0A:
		named = "n";
		break;
	case 0x0B:
		named = "v";
		break;
	case 0x0C:
		named = "f";
		break;
	case 0x0D:
		named = "r";
		break;
	case 0x1B:
		named = "e";
		break;
	case 0x22:
		named = "\"";
		break;
	case 0x5C:
		named = "\\";
		break;
	case 0x85:
		named = "N";
		break;
	case 0xA0:
		named = "_";
		break;
	case 0x2028:
		named = "L";
		break;
	case 0x2029:
		named = "P";
		break;
	default:
		named = NULL;
		break;
	}
	if (named != NULL) {
		put(e, named[0]);
		return;
	}
	if (r <= 0xFF) {
		put(e, 'x');
		digits = 2;
	} else if (r <= 0xFFFF) {
		put(e, 'u');
		digits = 4;
	} else {
		put(e, 'U');
		digits = 8;
	}
	for (k = (digits - 1) * 4; k >= 0; k -= 4)
		put(e, hex[(r >> k) & 0x0F]);
}

static void
write_double(struct emitter *e, const char *s, size_t len, bool allow_breaks)
{
	bool spaces = false, bom;
	size_t i = 0, j;

	/*
	 * go-yaml's is_bom() looks at the start of the string whatever the
	 * position, so a leading BOM escapes every character after it.
	 */
	bom = len >= 3 && (unsigned char)s[0] == 0xEF &&
	    (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF;
	write_indicator(e, "\"", true, false, false);
	while (i < len) {
		if (bom || !is_printable(s, len, i) || is_break(s, len, i) ||
		    s[i] == '"' || s[i] == '\\') {
			write_escape(e, utf8_next(s, len, &i));
			spaces = false;
		} else if (is_space(s, len, i)) {
			if (allow_breaks && !spaces &&
			    e->column > EMIT_BEST_WIDTH && i > 0 &&
			    i < len - 1) {
				write_indent(e);
				if (is_space(s, len, i + 1))
					put(e, '\\');
				i++;
			} else {
				write_char(e, s, len, &i);
			}
			spaces = true;
		} else {
			j = i + char_width(s, len, i);
			while (j < len && !bom && s[j] != ' ' && s[j] != '"' &&
			    s[j] != '\\' && is_printable(s, len, j) &&
			    !is_break(s, len, j))
				j += char_width(s, len, j);
			write_run(e, s, i, j);
			i = j;
			spaces = false;
		}
	}
	write_indicator(e, "\"", false, false, false);
	e->whitespace = false;
	e->indention = false;
}

/* Index of the character before position i (which is > 0). */
static size_t
char_before(const char *s, size_t i)
{
	do
		i--;
	while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80);
	return i;
}

/* The "2" indentation hint and the "-"/"+" chomping hint after "|". */
static void
write_block_hints(struct emitter *e, const char *s, size_t len)
{
	const char *chomp = NULL;
	size_t i;

	if (is_space(s, len, 0) || is_break(s, len, 0))
		write_indicator(e, "2", false, false, false);
	if (len == 0) {
		chomp = "-";
	} else {
		i = char_before(s, len);
		if (!is_break(s, len, i))
			chomp = "-";
		else if (i == 0 || is_break(s, len, char_before(s, i)))
			chomp = "+";
	}
	if (chomp != NULL)
		write_indicator(e, chomp, false, false, false);
}

static void
write_literal(struct emitter *e, const char *s, size_t len)
{
	bool breaks = true;
	size_t i = 0, j;

	write_indicator(e, "|", true, false, false);
	write_block_hints(e, s, len);
	put_break(e);
	e->indention = true;
	e->whitespace = true;
	while (i < len) {
		if (is_break(s, len, i)) {
			write_break(e, s, len, &i);
			e->indention = true;
			breaks = true;
		} else {
			if (breaks)
				write_indent(e);
			for (j = i + 1; j < len && !is_break(s, len, j); j++)
				;
			write_run(e, s, i, j);
			i = j;
			e->indention = false;
			breaks = false;
		}
	}
}

/*
 * Whether s is printable ASCII without spaces whose first byte is no
 * indicator and not '.', and whose ':'s are all followed by more text:
 * the analysis then allows every style and finds no line break, and the
 * plain writer copies it in one run of len columns. Most keys, names,
 * labels and images in a manifest are such words.
 */
static bool
is_plain_word(const char *s, size_t len)
{
	unsigned char c;
	size_t i;

	if (len == 0 || is_indicator_char((unsigned char)s[0]) || s[0] == '.')
		return false;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7F || (c == ':' && i + 1 == len))
			return false;
	}
	return true;
}

/* A string scalar: analysis, style, then the writer at one indent more. */
static void
emit_string(struct emitter *e, const char *s, size_t len)
{
	struct scalar_info si;
	enum emit_style style;
	int saved = e->indent;

	if (is_plain_word(s, len) && plain_reads_back(s, len)) {
		if (!e->whitespace)
			put(e, ' ');
		gd_buf_add(e->out, s, len);
		e->column += (int)len;
		e->whitespace = false;
		e->indention = false;
		return;
	}
	analyze_scalar(&si, s, len);
	style = select_style(e, &si, s, len);
	increase_indent(e, true, false);
	switch (style) {
	case EMIT_PLAIN:
		write_plain(e, s, len, !e->simple_key_ctx);
		break;
	case EMIT_SINGLE:
		write_single(e, s, len, !e->simple_key_ctx);
		break;
	case EMIT_DOUBLE:
		write_double(e, s, len, !e->simple_key_ctx);
		break;
	case EMIT_LITERAL:
		write_literal(e, s, len);
		break;
	}
	e->indent = saved;
}

/* --- numbers -----------------------------------------------------------------
 */

/*
 * The fewest significant digits that read back as x, in C's %e form
 * ("1.25e+06"); returns how many digits that is.
 */
static int
shortest_e(char *tmp, size_t sz, double x)
{
	int prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(tmp, sz, "%.*e", prec - 1, x);
		if (strtod(tmp, NULL) == x)
			return prec;
	}
	snprintf(tmp, sz, "%.*e", prec - 1, x);
	return prec;
}

/*
 * Go's strconv.FormatFloat(x, 'g', -1, 64): the shortest digits, in %e
 * form when the exponent is < -4 or >= 6 (Go's rule for the shortest
 * precision, where C's %g would use the digit count instead).
 */
static void
format_go_g(char *dst, size_t sz, double x)
{
	char tmp[40], *ep;
	int prec, exp;

	prec = shortest_e(tmp, sizeof(tmp), x);
	ep = strchr(tmp, 'e');
	exp = ep != NULL ? (int)strtol(ep + 1, NULL, 10) : 0;
	if (exp < -4 || exp >= 6)
		snprintf(dst, sz, "%s", tmp);
	else
		snprintf(dst, sz, "%.*f",
		    prec - 1 - exp > 0 ? prec - 1 - exp : 0, x);
}

/*
 * An integral |x| < 1e21 as encoding/json prints it: the shortest digits
 * padded with zeros, so 2^63 is "9223372036854776000", not the exact
 * value. Returns false when x is not such a number.
 */
static bool
format_json_integral(char *dst, size_t sz, double x)
{
	char tmp[40], *p, *q;
	int exp, ndigits = 0;

	if (x != trunc(x) || fabs(x) >= 1e21)
		return false;
	shortest_e(tmp, sizeof(tmp), x);
	q = dst;
	for (p = tmp; *p != 'e' && q < dst + sz - 1; p++) {
		if (*p == '-' || (*p >= '0' && *p <= '9')) {
			ndigits += *p != '-';
			*q++ = *p;
		}
	}
	exp = (int)strtol(p + 1, NULL, 10);
	for (; ndigits <= exp && q < dst + sz - 1; ndigits++)
		*q++ = '0';
	*q = '\0';
	return true;
}

/*
 * A real as it comes out of json.Marshal and back through go-yaml: an
 * integral value printed without a fraction is re-read as an int64, else
 * a uint64, else (like everything else) a float64 printed with 'g'.
 */
static void
format_real(char *dst, size_t sz, double x)
{
	char text[64], *end;
	long long ll;
	unsigned long long ull;

	if (isnan(x)) {
		snprintf(dst, sz, ".nan");
		return;
	}
	if (isinf(x)) {
		snprintf(dst, sz, x > 0 ? ".inf" : "-.inf");
		return;
	}
	if (format_json_integral(text, sizeof(text), x)) {
		errno = 0;
		ll = strtoll(text, &end, 10);
		if (errno == 0 && *end == '\0') {
			snprintf(dst, sz, "%lld", ll); /* "-0" becomes "0" */
			return;
		}
		errno = 0;
		ull = strtoull(text, &end, 10);
		if (text[0] != '-' && errno == 0 && *end == '\0') {
			snprintf(dst, sz, "%llu", ull);
			return;
		}
	}
	format_go_g(dst, sz, x);
}

/* Numbers, booleans and null are always plain and never folded. */
static void
emit_plain_word(struct emitter *e, const char *word)
{
	int saved = e->indent;

	increase_indent(e, true, false);
	if (!e->whitespace)
		put(e, ' ');
	gd_buf_adds(e->out, word);
	e->column += (int)strlen(word);
	e->whitespace = false;
	e->indention = false;
	e->indent = saved;
}

/* --- key order -------------------------------------------------------------
 */

/*
 * unicode.IsLetter, exactly for ASCII and Latin-1 and approximately
 * beyond (symbol, punctuation and emoji blocks are not letters).
 */
static bool
rune_is_letter(uint32_t r)
{
	if (r < 0x80)
		return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
	if (r < 0xC0)
		return r == 0xAA || r == 0xB5 || r == 0xBA;
	if (r == 0xD7 || r == 0xF7 || r == 0xFEFF ||
	    (r >= 0x600 && r < 0x606) || (r >= 0xFFF0 && r < 0x10000))
		return false;
	if (r >= 0x2B0 && r < 0x370)
		return r < 0x2C2; /* modifier letters, then combining marks */
	if ((r >= 0x2000 && r < 0x2C00) || (r >= 0x3000 && r < 0x3040) ||
	    (r >= 0xFE00 && r < 0xFE70) || (r >= 0xFF00 && r < 0xFF21) ||
	    (r >= 0x1F000 && r < 0x20000))
		return false;
	return true;
}

static bool
rune_is_digit(uint32_t r)
{
	return r >= '0' && r <= '9';
}

/*
 * go-yaml v2's keyList.Less as a three-way compare: at the first
 * difference, letters compare as code points, a non-letter sorts before
 * a letter, and runs of digits compare by value, then by length. The
 * rule looks only at the two strings from that point (the digits before
 * it are shared), so Less(a, b) and Less(b, a) are mirror images. It is
 * not transitive ("a10" < "a1b" < "a2" < "a02" < "a10"); Go then depends
 * on its random map order, so no single output is right for such keys.
 * The int64 wrap-around on very long digit runs is Go's too.
 */
static int
key_order(const struct emit_key *ka, const struct emit_key *kb)
{
	const uint32_t *a = ka->runes, *b = kb->runes;
	size_t i, j, ai, bi;
	uint64_t an, bn;
	bool al, bl;

	for (i = 0; i < ka->nrunes && i < kb->nrunes; i++) {
		if (a[i] == b[i])
			continue;
		al = rune_is_letter(a[i]);
		bl = rune_is_letter(b[i]);
		if (al && bl)
			return a[i] < b[i] ? -1 : 1;
		if (al || bl)
			return bl ? -1 : 1;
		an = bn = 0;
		if (a[i] == '0' || b[i] == '0') {
			for (j = i; j > 0 && rune_is_digit(a[j - 1]); j--) {
				if (a[j - 1] != '0') {
					an = bn = 1;
					break;
				}
			}
		}
		for (ai = i; ai < ka->nrunes && rune_is_digit(a[ai]); ai++)
			an = an * 10 + (a[ai] - '0');
		for (bi = i; bi < kb->nrunes && rune_is_digit(b[bi]); bi++)
			bn = bn * 10 + (b[bi] - '0');
		if (an != bn)
			return (int64_t)an < (int64_t)bn ? -1 : 1;
		if (ai != bi)
			return ai < bi ? -1 : 1;
		return a[i] < b[i] ? -1 : 1;
	}
	if (ka->nrunes != kb->nrunes)
		return ka->nrunes < kb->nrunes ? -1 : 1;
	return 0;
}

static int
key_cmp(const void *pa, const void *pb)
{
	return key_order(pa, pb);
}

/*
 * Fills keys[] from obj in go-yaml's order. The code points go to small
 * (EMIT_SMALL_RUNES) when they fit, else to *runesp, which the caller
 * frees either way.
 */
static void
sort_keys(struct emit_key *keys, uint32_t **runesp, uint32_t *small,
    const json_t *obj)
{
	const char *k;
	size_t klen, n = 0, total = 0, i, r = 0;
	uint32_t *runes;
	void *it;

	for (it = json_object_iter((json_t *)obj); it != NULL;
	     it = json_object_iter_next((json_t *)obj, it))
		total += json_object_iter_key_len(it);
	if (total <= EMIT_SMALL_RUNES) {
		runes = small;
		*runesp = NULL;
	} else
		runes = *runesp =
		    xreallocarray(NULL, total + 1, sizeof(*runes));
	for (it = json_object_iter((json_t *)obj); it != NULL;
	     it = json_object_iter_next((json_t *)obj, it)) {
		k = json_object_iter_key(it);
		klen = json_object_iter_key_len(it);
		keys[n].s = k;
		keys[n].len = klen;
		keys[n].runes = runes + r;
		keys[n].value = json_object_iter_value(it);
		for (i = 0; i < klen;) {
			if ((unsigned char)k[i] < 0x80)
				runes[r++] = (unsigned char)k[i++];
			else
				runes[r++] = utf8_next(k, klen, &i);
		}
		keys[n].nrunes = (size_t)(runes + r - keys[n].runes);
		n++;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
}

/* --- collections ------------------------------------------------------------
 */

static void
emit_sequence(struct emitter *e, const json_t *arr)
{
	int saved = e->indent;
	size_t i;

	if (json_array_size(arr) == 0) {
		write_indicator(e, "[", true, true, false);
		write_indicator(e, "]", false, false, false);
		return;
	}
	increase_indent(e, false, e->mapping_ctx && !e->indention);
	for (i = 0; i < json_array_size(arr); i++) {
		write_indent(e);
		write_indicator(e, "-", true, false, true);
		emit_node(e, json_array_get(arr, i), false, false);
	}
	e->indent = saved;
}

/* A key fits "key: value" unless it is long or spans lines. */
static bool
key_is_simple(const struct emit_key *k)
{
	struct scalar_info si;

	if (k->len > EMIT_SIMPLE_KEY)
		return false;
	if (is_plain_word(k->s, k->len))
		return true;
	analyze_scalar(&si, k->s, k->len);
	return !si.multiline;
}

static void
emit_mapping(struct emitter *e, const json_t *obj)
{
	struct emit_key small_keys[EMIT_SMALL_KEYS], *keys;
	uint32_t small_runes[EMIT_SMALL_RUNES], *runes = NULL;
	int saved = e->indent;
	size_t i, n;

	n = json_object_size(obj);
	if (n == 0) {
		write_indicator(e, "{", true, true, false);
		write_indicator(e, "}", false, false, false);
		return;
	}
	keys = n <= EMIT_SMALL_KEYS ? small_keys :
				      xreallocarray(NULL, n, sizeof(*keys));
	sort_keys(keys, &runes, small_runes, obj);
	increase_indent(e, false, false);
	for (i = 0; i < n; i++) {
		write_indent(e);
		if (key_is_simple(&keys[i])) {
			e->mapping_ctx = true;
			e->simple_key_ctx = true;
			emit_string(e, keys[i].s, keys[i].len);
			write_indicator(e, ":", false, false, false);
		} else {
			write_indicator(e, "?", true, false, true);
			e->mapping_ctx = true;
			e->simple_key_ctx = false;
			emit_string(e, keys[i].s, keys[i].len);
			write_indent(e);
			write_indicator(e, ":", true, false, true);
		}
		emit_node(e, keys[i].value, true, false);
	}
	e->indent = saved;
	free(runes);
	if (keys != small_keys)
		free(keys);
}

static void
emit_node(struct emitter *e, const json_t *v, bool mapping, bool simple_key)
{
	char num[64];

	e->mapping_ctx = mapping;
	e->simple_key_ctx = simple_key;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		emit_mapping(e, v);
		break;
	case JSON_ARRAY:
		emit_sequence(e, v);
		break;
	case JSON_STRING:
		emit_string(e, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		emit_plain_word(e, num);
		break;
	case JSON_REAL:
		format_real(num, sizeof(num), json_real_value(v));
		emit_plain_word(e, num);
		break;
	case JSON_TRUE:
		emit_plain_word(e, "true");
		break;
	case JSON_FALSE:
		emit_plain_word(e, "false");
		break;
	case JSON_NULL:
		emit_plain_word(e, "null");
		break;
	}
}

/* --- what Go's round trip does to NEL --------------------------------------
 */

static bool
has_nel(const char *s, size_t len)
{
	const char *p = s, *end = s + len;

	while ((p = memchr(p, 0xC2, (size_t)(end - p))) != NULL) {
		if (p + 1 < end && (unsigned char)p[1] == 0x85)
			return true;
		p++;
	}
	return false;
}

static bool
tree_has_nel(const json_t *v)
{
	size_t i;
	void *it;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return has_nel(json_string_value(v), json_string_length(v));
	case JSON_ARRAY:
		for (i = 0; i < json_array_size(v); i++) {
			if (tree_has_nel(json_array_get(v, i)))
				return true;
		}
		return false;
	case JSON_OBJECT:
		for (it = json_object_iter((json_t *)v); it != NULL;
		     it = json_object_iter_next((json_t *)v, it)) {
			if (has_nel(json_object_iter_key(it),
				json_object_iter_key_len(it)) ||
			    tree_has_nel(json_object_iter_value(it)))
				return true;
		}
		return false;
	default:
		return false;
	}
}

/*
 * encoding/json leaves U+0085 unescaped, and go-yaml's reader takes a raw
 * NEL inside the JSON's double-quoted strings for a line break and folds
 * it as YAML does: spaces around it go, one break becomes a space, n
 * breaks become n-1 newlines. Only spaces are raw blanks there (JSON
 * escapes tabs). Returns a new string the caller frees.
 */
static char *
fold_nel(const char *s, size_t len, size_t *outlen)
{
	struct gd_buf b;
	size_t nspaces, nbreaks, i = 0;
	bool folded;

	gd_buf_init(&b);
	while (i < len) {
		while (i < len && s[i] != ' ' &&
		    !(s[i] == '\xC2' && i + 1 < len && s[i + 1] == '\x85'))
			gd_buf_addc(&b, s[i++]);
		nspaces = nbreaks = 0;
		folded = false;
		while (i < len) {
			if (s[i] == ' ') {
				nspaces += !folded;
				i++;
			} else if (s[i] == '\xC2' && i + 1 < len &&
			    s[i + 1] == '\x85') {
				nbreaks += folded;
				folded = true;
				i += 2;
			} else {
				break;
			}
		}
		if (!folded) {
			for (; nspaces > 0; nspaces--)
				gd_buf_addc(&b, ' ');
		} else if (nbreaks == 0) {
			gd_buf_addc(&b, ' ');
		} else {
			for (; nbreaks > 0; nbreaks--)
				gd_buf_addc(&b, '\n');
		}
	}
	return gd_buf_detach(&b, outlen);
}

/* A copy of v with every string and key NEL-folded (a new reference). */
static json_t *
nel_copy(const json_t *v)
{
	char *f;
	size_t flen, i;
	json_t *copy;
	void *it;

	switch (json_typeof(v)) {
	case JSON_STRING:
		f = fold_nel(
		    json_string_value(v), json_string_length(v), &flen);
		copy = json_stringn_nocheck(f, flen);
		free(f);
		return copy;
	case JSON_ARRAY:
		copy = json_array();
		for (i = 0; i < json_array_size(v); i++)
			json_array_append_new(
			    copy, nel_copy(json_array_get(v, i)));
		return copy;
	case JSON_OBJECT:
		copy = json_object();
		for (it = json_object_iter((json_t *)v); it != NULL;
		     it = json_object_iter_next((json_t *)v, it)) {
			f = fold_nel(json_object_iter_key(it),
			    json_object_iter_key_len(it), &flen);
			json_object_setn_new_nocheck(copy, f, flen,
			    nel_copy(json_object_iter_value(it)));
			free(f);
		}
		return copy;
	default:
		return json_incref((json_t *)v);
	}
}

void
gd_ydoc_emit(struct gd_buf *out, const json_t *v)
{
	struct emitter e;
	json_t *folded = NULL;

	memset(&e, 0, sizeof(e));
	e.out = out;
	e.indent = -1;
	e.whitespace = true;
	e.indention = true;
	if (v != NULL && tree_has_nel(v))
		v = folded = nel_copy(v);
	if (v == NULL)
		emit_plain_word(&e, "null");
	else
		emit_node(&e, v, false, false);
	/* The implicit document end: one newline unless at column 0. */
	e.indent = -1;
	write_indent(&e);
	json_decref(folded);
}
