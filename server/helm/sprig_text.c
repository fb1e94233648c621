/* SPDX-License-Identifier: ISC */
/*
 * Sprig's text helpers that the first Sprig files left out: the case
 * conversions of huandu/xstrings (camelcase, snakecase, kebabcase,
 * swapcase, untitle), Go's regular expressions (regexMatch, regexFind,
 * regexFindAll, regexSplit, regexReplaceAll* and the must* forms), seq and
 * untilStep, Go's path package (base, dir, ext, clean, isAbs, and the os*
 * forms, which are the same on Linux), the sha1sum and adler32sum hashes,
 * regexQuoteMeta, and goutils' abbrev, abbrevboth, initials, wrap and
 * wrapWith (which count bytes, not runes, as goutils does).
 *
 * The hard part is xstrings' word splitting for snakecase and kebabcase:
 * "HTTPServer" is two words, "fooBARbaz" is "foo", "BA", "Rbaz", a number
 * joins the word before it unless lower-case letters follow it
 * ("Bld4Floor" -> bld4_floor, "x1y2" -> x_1y2). The rules below were
 * checked rune class by rune class against helm-oracle. Letters are
 * classified and case-mapped through the C.UTF-8 locale, so accented
 * letters convert as in Go; punctuation outside ASCII follows that
 * locale's iswpunct, which also counts symbols (Go does not).
 *
 * Regular expressions are POSIX extended (regcomp), which agrees with
 * RE2 on what charts write; RE2-only syntax (\d, (?i), non-greedy *?)
 * is refused with an error rather than matched differently, and the
 * text of a compile error is the C library's, not RE2's.
 */
#include <ctype.h>
#include <locale.h>
#include <pthread.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "helm_int.h"

#define FN(name)                                                               \
	static int name(struct gd_tval *out, struct gd_tmpl_call *c,           \
	    struct gd_tval *a, size_t n, struct gd_err *err)

/* --- runes ------------------------------------------------------------------
 */

static pthread_once_t text_once = PTHREAD_ONCE_INIT;
static locale_t text_loc = (locale_t)0;

static void
text_init(void)
{
	text_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* One rune of s (len bytes left); an invalid byte is itself (Latin-1). */
static size_t
text_rune(const char *s, size_t len, wint_t *r)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k, need;
	wint_t v;

	if (p[0] < 0x80) {
		*r = p[0];
		return 1;
	}
	need = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 0;
	if (need == 0 || need > len)
		goto bad;
	v = p[0] & (0x3F >> (need - 1));
	for (k = 1; k < need; k++) {
		if ((p[k] & 0xC0) != 0x80)
			goto bad;
		v = (v << 6) | (p[k] & 0x3F);
	}
	*r = v;
	return need;
bad:
	/* Go's RuneError: keep the byte, classify it as "other" */
	*r = 0xFFFD;
	return 1;
}

static void
text_put(struct gd_buf *b, wint_t r)
{
	char u[4];

	if (r < 0x80)
		gd_buf_addc(b, (char)r);
	else if (r < 0x800) {
		u[0] = (char)(0xC0 | (r >> 6));
		u[1] = (char)(0x80 | (r & 0x3F));
		gd_buf_add(b, u, 2);
	} else if (r < 0x10000) {
		u[0] = (char)(0xE0 | (r >> 12));
		u[1] = (char)(0x80 | ((r >> 6) & 0x3F));
		u[2] = (char)(0x80 | (r & 0x3F));
		gd_buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | (r >> 18));
		u[1] = (char)(0x80 | ((r >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((r >> 6) & 0x3F));
		u[3] = (char)(0x80 | (r & 0x3F));
		gd_buf_add(b, u, 4);
	}
}

static bool
is_upper(wint_t r)
{
	if (r < 0x80 || text_loc == (locale_t)0)
		return r >= 'A' && r <= 'Z';
	return iswupper_l(r, text_loc) != 0;
}

static bool
is_lower(wint_t r)
{
	if (r < 0x80 || text_loc == (locale_t)0)
		return r >= 'a' && r <= 'z';
	return iswlower_l(r, text_loc) != 0;
}

static bool
is_letter(wint_t r)
{
	if (r == 0xFFFD)
		return false;
	if (r < 0x80 || text_loc == (locale_t)0)
		return (r | 0x20) >= 'a' && (r | 0x20) <= 'z';
	return iswalpha_l(r, text_loc) != 0;
}

static bool
is_number(wint_t r)
{
	return r >= '0' && r <= '9';
}

static bool
is_space(wint_t r)
{
	return r == ' ' || (r >= '\t' && r <= '\r') || r == 0x85 || r == 0xA0 ||
	    (r >= 0x80 && text_loc != (locale_t)0 &&
		iswspace_l(r, text_loc) != 0);
}

static bool
is_punct(wint_t r)
{
	/* Go's unicode.IsPunct: ASCII symbols like $ + < = > ^ ` | ~ are not */
	if (r < 0x80)
		return r != 0 && strchr("!\"#%&'()*,-./:;?@[\\]_{}", (int)r);
	return r != 0xFFFD && text_loc != (locale_t)0 &&
	    iswpunct_l(r, text_loc) != 0 && !iswalnum_l(r, text_loc);
}

static bool
is_connector(wint_t r)
{
	return r == '-' || r == '_' || is_space(r);
}

static wint_t
to_upper(wint_t r)
{
	if (r < 0x80 || text_loc == (locale_t)0)
		return r >= 'a' && r <= 'z' ? r - 0x20 : r;
	return towupper_l(r, text_loc);
}

static wint_t
to_lower(wint_t r)
{
	if (r < 0x80 || text_loc == (locale_t)0)
		return r >= 'A' && r <= 'Z' ? r + 0x20 : r;
	return towlower_l(r, text_loc);
}

/* --- case conversions --------------------------------------------------------
 */

FN(f_swapcase)
{
	const char *s = json_string_value(a[0].j);
	size_t len = json_string_length(a[0].j), i = 0, k;
	struct gd_buf b;
	wint_t r;

	(void)c, (void)n, (void)err;
	pthread_once(&text_once, text_init);
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	while (i < len) {
		k = text_rune(s + i, len - i, &r);
		if (r == 0xFFFD)
			gd_buf_add(&b, s + i, k);
		else
			text_put(&b,
			    is_upper(r)     ? to_lower(r) :
				is_lower(r) ? to_upper(r) :
					      r);
		i += k;
	}
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

/* Sprig's untitle: the first letter of each space-separated word lowered. */
FN(f_untitle)
{
	const char *s = json_string_value(a[0].j);
	size_t len = json_string_length(a[0].j), i = 0, k;
	bool start = true;
	struct gd_buf b;
	wint_t r;

	(void)c, (void)n, (void)err;
	pthread_once(&text_once, text_init);
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	while (i < len) {
		k = text_rune(s + i, len - i, &r);
		if (r == 0xFFFD)
			gd_buf_add(&b, s + i, k);
		else
			text_put(&b, start ? to_lower(r) : r);
		start = is_space(r);
		i += k;
	}
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

/*
 * xstrings.ToCamelCase: connectors (-, _, space) between words vanish and
 * the next rune is upper-cased, every other rune lower-cased; leading
 * connectors stay, and a run of connectors keeps all but its last.
 */
FN(f_camelcase)
{
	const char *s = json_string_value(a[0].j);
	size_t len = json_string_length(a[0].j), i = 0, k;
	struct gd_buf b;
	wint_t r0 = 0, r1;

	(void)c, (void)n, (void)err;
	pthread_once(&text_once, text_init);
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	while (i < len) {
		i += text_rune(s + i, len - i, &r0);
		if (!is_connector(r0)) {
			r0 = to_upper(r0);
			break;
		}
		text_put(&b, r0);
	}
	while (i < len) {
		r1 = r0;
		k = text_rune(s + i, len - i, &r0);
		i += k;
		if (is_connector(r0) && is_connector(r1)) {
			text_put(&b, r1);
			continue;
		}
		if (is_connector(r1))
			r0 = to_upper(r0);
		else {
			r0 = to_lower(r0);
			text_put(&b, r1);
		}
	}
	/* Go writes the last rune once more when all were connectors */
	if (len > 0)
		text_put(&b, r0);
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

enum word_kind {
	W_NONE = 0,
	W_NUMBER,
	W_UPPER, /* starts with an upper-case letter */
	W_ALPHA, /* starts with a lower-case (or caseless) letter */
	W_CONN,
	W_PUNCT,
	W_OTHER,
};

struct words {
	const char *s;
	size_t len, pos;
};

/* The next word of w: its kind, start and length. */
static enum word_kind
next_word(struct words *w, const char **word, size_t *wlen)
{
	size_t start = w->pos, prev, k;
	enum word_kind kind;
	wint_t r;

	*word = w->s + start;
	*wlen = 0;
	if (w->pos >= w->len)
		return W_NONE;
	w->pos += text_rune(w->s + w->pos, w->len - w->pos, &r);
	if (is_connector(r)) {
		kind = W_CONN;
		while (w->pos < w->len &&
		    (k = text_rune(w->s + w->pos, w->len - w->pos, &r)) > 0 &&
		    is_connector(r))
			w->pos += k;
	} else if (is_punct(r)) {
		kind = W_PUNCT;
		while (w->pos < w->len &&
		    (k = text_rune(w->s + w->pos, w->len - w->pos, &r)) > 0 &&
		    is_punct(r))
			w->pos += k;
	} else if (is_upper(r)) {
		kind = W_UPPER;
		if (w->pos < w->len) {
			k = text_rune(w->s + w->pos, w->len - w->pos, &r);
			if (is_upper(r)) {
				/* "HTTPServer": the S begins the next word */
				prev = k;
				w->pos += k;
				while (w->pos < w->len) {
					k = text_rune(
					    w->s + w->pos, w->len - w->pos, &r);
					if (!is_upper(r))
						break;
					prev = k;
					w->pos += k;
				}
				if (w->pos < w->len && is_letter(r))
					w->pos -= prev;
			} else if (is_letter(r)) {
				w->pos += k;
				while (w->pos < w->len &&
				    (k = text_rune(w->s + w->pos,
					 w->len - w->pos, &r)) > 0 &&
				    is_letter(r) && !is_upper(r))
					w->pos += k;
			}
		}
	} else if (is_letter(r)) {
		kind = W_ALPHA;
		while (w->pos < w->len &&
		    (k = text_rune(w->s + w->pos, w->len - w->pos, &r)) > 0 &&
		    is_letter(r) && !is_upper(r))
			w->pos += k;
	} else if (is_number(r)) {
		kind = W_NUMBER;
		while (w->pos < w->len &&
		    (k = text_rune(w->s + w->pos, w->len - w->pos, &r)) > 0 &&
		    is_number(r))
			w->pos += k;
	} else {
		kind = W_OTHER;
		while (w->pos < w->len &&
		    (k = text_rune(w->s + w->pos, w->len - w->pos, &r)) > 0 &&
		    !is_connector(r) && !is_letter(r) && !is_number(r) &&
		    !is_punct(r))
			w->pos += k;
	}
	*wlen = w->pos - start;
	return kind;
}

/* A word lower-cased, a connector run as that many connectors. */
static void
put_lower(
    struct gd_buf *b, enum word_kind kind, const char *s, size_t len, char conn)
{
	size_t i = 0, k;
	wint_t r;

	while (i < len) {
		k = text_rune(s + i, len - i, &r);
		if (kind == W_CONN)
			gd_buf_addc(b, conn);
		else if (r == 0xFFFD)
			gd_buf_add(b, s + i, k);
		else
			text_put(b, to_lower(r));
		i += k;
	}
}

static bool
joins(enum word_kind k)
{
	return k != W_NONE && k != W_PUNCT && k != W_CONN;
}

/* xstrings' camelCaseToLowerCase, behind snakecase and kebabcase. */
static void
lower_words(struct gd_buf *b, const char *s, size_t len, char conn)
{
	struct words w = { s, len, 0 };
	enum word_kind kind, prev;
	const char *word, *last, *num;
	size_t wl, ll, nl;

	kind = next_word(&w, &word, &wl);
	while (w.pos < w.len) {
		if (kind != W_CONN)
			put_lower(b, kind, word, wl, conn);
		prev = kind, last = word, ll = wl;
		kind = next_word(&w, &word, &wl);
		switch (prev) {
		case W_NUMBER:
			while (kind == W_ALPHA || kind == W_NUMBER) {
				put_lower(b, kind, word, wl, conn);
				kind = next_word(&w, &word, &wl);
			}
			if (joins(kind))
				gd_buf_addc(b, conn);
			break;
		case W_CONN:
			put_lower(b, prev, last, ll, conn);
			break;
		case W_PUNCT:
			break;
		default:
			if (kind != W_NUMBER) {
				if (joins(kind))
					gd_buf_addc(b, conn);
				break;
			}
			if (w.pos >= w.len)
				break;
			/* a number joins the word before ("Bld4Floor") unless
			 * lower-case letters follow it ("HTTP2xx") */
			num = word, nl = wl;
			kind = next_word(&w, &word, &wl);
			if (kind != W_ALPHA) {
				put_lower(b, W_NUMBER, num, nl, conn);
				if (joins(kind))
					gd_buf_addc(b, conn);
				break;
			}
			gd_buf_addc(b, conn);
			put_lower(b, W_NUMBER, num, nl, conn);
			while (kind == W_ALPHA || kind == W_NUMBER) {
				put_lower(b, kind, word, wl, conn);
				kind = next_word(&w, &word, &wl);
			}
			if (joins(kind))
				gd_buf_addc(b, conn);
			break;
		}
	}
	put_lower(b, kind, word, wl, conn);
}

static int
case_words(struct gd_tval *out, struct gd_tval *a, char conn)
{
	struct gd_buf b;

	pthread_once(&text_once, text_init);
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	lower_words(
	    &b, json_string_value(a[0].j), json_string_length(a[0].j), conn);
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

FN(f_snakecase)
{
	(void)c, (void)n, (void)err;
	return case_words(out, a, '_');
}

FN(f_kebabcase)
{
	(void)c, (void)n, (void)err;
	return case_words(out, a, '-');
}

/* --- regular expressions ----------------------------------------------------
 */

/* RE2 syntax that POSIX would read differently: refused, not guessed. */
static const char *
re2_only(const char *re)
{
	const char *p;

	for (p = re; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			if (strchr("dDsSpPAzQE", p[1]) != NULL)
				return p;
			p++;
		} else if (*p == '(' && p[1] == '?')
			return p;
		else if (strchr("*+?}", *p) != NULL && p[1] == '?')
			return p;
	}
	return NULL;
}

bool
helm_re_costly(const char *re)
{
	const char *p;
	int groupq = 0;
	size_t k;
	long n;
	bool br = false, prevq = false, prevgroup = false;

	if (strlen(re) > 1024)
		return true;
	for (p = re; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			prevq = prevgroup = false;
			continue;
		}
		if (br || *p == '[') {
			br = *p != ']' && (br || *p == '[');
			prevq = prevgroup = false;
			continue;
		}
		if (strchr("*+?{", *p) != NULL) {
			/* "a**", "a+{2}": a repetition of a repetition */
			if (prevq && *p != '?')
				return true;
			if (prevgroup && ++groupq > 4)
				return true;
		}
		if (*p == '{')
			for (k = 1, n = 0; p[k] != '\0' && p[k] != '}'; k++) {
				if (p[k] < '0' || p[k] > '9')
					n = 0;
				else if ((n = n * 10 + (p[k] - '0')) > 100)
					return true;
			}
		prevq = strchr("*+?}", *p) != NULL;
		prevgroup = *p == ')';
	}
	return false;
}

/* The ud of the must* forms: Go's error then lacks "regexp: Compile(...)" */
static int must_mark;

static int
re_compile(
    regex_t *re, struct gd_tmpl_call *c, const char *expr, struct gd_err *err)
{
	bool must = gd_tmpl_call_ud(c) == &must_mark;
	char msg[128];
	const char *bad;
	int e;

	if ((bad = re2_only(expr)) != NULL) {
		snprintf(msg, sizeof(msg),
		    "RE2 syntax at `%.3s` is not supported by gitopsd "
		    "(POSIX extended expressions only)",
		    bad);
		goto fail;
	}
	if (helm_re_costly(expr)) {
		snprintf(msg, sizeof(msg),
		    "expression too costly for gitopsd's regular expression "
		    "engine (stacked or large repetitions)");
		goto fail;
	}
	if ((e = regcomp(re, expr, REG_EXTENDED)) == 0)
		return 0;
	regerror(e, re, msg, sizeof(msg));
fail:
	if (must)
		return gd_err_set(err, GD_EINVAL,
		    "error parsing regexp: %s: `%s`", msg, expr);
	return gd_err_set(err, GD_EINVAL,
	    "regexp: Compile(`%s`): error parsing regexp: %s: `%s`", expr, msg,
	    expr);
}

/*
 * Go's FindAllStringIndex: up to max matches (all when max < 0) as
 * [start, end) pairs in *pos; an empty match right after the previous
 * match is skipped, as Go does. Returns the count.
 */
static size_t
re_find_all(
    const regex_t *re, const char *s, size_t len, long max, size_t **pos)
{
	size_t p = 0, cnt = 0, cap = 0, ms, me;
	long prev_end = -1;
	regmatch_t m[1];
	bool accept;
	wint_t r;

	*pos = NULL;
	while ((max < 0 || (long)cnt < max) && p <= len) {
		if (regexec(re, s + p, 1, m, p > 0 ? REG_NOTBOL : 0) != 0)
			break;
		ms = p + (size_t)m[0].rm_so;
		me = p + (size_t)m[0].rm_eo;
		accept = true;
		if (me == p) {
			if ((long)ms == prev_end)
				accept = false;
			p += p < len ? text_rune(s + p, len - p, &r) : 1;
		} else
			p = me;
		prev_end = (long)me;
		if (accept) {
			if (cnt == cap) {
				cap = cap ? 2 * cap : 8;
				*pos =
				    xreallocarray(*pos, cap, 2 * sizeof(**pos));
			}
			(*pos)[2 * cnt] = ms;
			(*pos)[2 * cnt + 1] = me;
			cnt++;
		}
	}
	return cnt;
}

FN(f_regex_find)
{
	const char *s = json_string_value(a[1].j);
	size_t *pos, k;
	regex_t re;
	int rc;

	(void)n;
	if ((rc = re_compile(&re, c, json_string_value(a[0].j), err)) < 0)
		return rc;
	k = re_find_all(&re, s, json_string_length(a[1].j), 1, &pos);
	*out =
	    gd_tval_json(k ? json_stringn_nocheck(s + pos[0], pos[1] - pos[0]) :
			     json_string_nocheck(""));
	free(pos);
	regfree(&re);
	return gd_tmpl_call_charge(c, 1, err);
}

FN(f_regex_find_all)
{
	const char *s = json_string_value(a[1].j);
	json_t *l = json_array();
	size_t *pos, k, i;
	regex_t re;
	int rc;

	(void)n;
	if ((rc = re_compile(&re, c, json_string_value(a[0].j), err)) < 0) {
		json_decref(l);
		return rc;
	}
	k = re_find_all(&re, s, json_string_length(a[1].j),
	    (long)json_integer_value(a[2].j), &pos);
	for (i = 0; i < k; i++)
		json_array_append_new(l,
		    json_stringn_nocheck(
			s + pos[2 * i], pos[2 * i + 1] - pos[2 * i]));
	free(pos);
	regfree(&re);
	*out = gd_tval_json(l);
	return gd_tmpl_call_charge(c, k + 1, err);
}

/* Go's Regexp.Split */
FN(f_regex_split)
{
	const char *s = json_string_value(a[1].j);
	size_t len = json_string_length(a[1].j), *pos = NULL, k, i, beg = 0,
	       end = 0;
	long max = (long)json_integer_value(a[2].j);
	json_t *l = json_array();
	regex_t re;
	int rc;

	(void)n;
	if ((rc = re_compile(&re, c, json_string_value(a[0].j), err)) < 0) {
		json_decref(l);
		return rc;
	}
	if (max == 0)
		goto out;
	if (json_string_length(a[0].j) > 0 && len == 0) {
		json_array_append_new(l, json_string_nocheck(""));
		goto out;
	}
	k = re_find_all(&re, s, len, max, &pos);
	for (i = 0; i < k; i++) {
		if (max > 0 && (long)json_array_size(l) == max - 1)
			break;
		end = pos[2 * i];
		if (pos[2 * i + 1] != 0)
			json_array_append_new(
			    l, json_stringn_nocheck(s + beg, end - beg));
		beg = pos[2 * i + 1];
	}
	if (end != len)
		json_array_append_new(
		    l, json_stringn_nocheck(s + beg, len - beg));
out:
	free(pos);
	regfree(&re);
	*out = gd_tval_json(l);
	return gd_tmpl_call_charge(c, json_array_size(l) + 1, err);
}

FN(f_regex_match)
{
	regex_t re;
	int rc;

	(void)n;
	if ((rc = re_compile(&re, c, json_string_value(a[0].j), err)) < 0) {
		/* Sprig's regexMatch drops the error: a bad expression is false
		 */
		if (gd_tmpl_call_ud(c) == &must_mark)
			return rc;
		gd_err_clear(err);
		*out = gd_tval_json(json_false());
		return 0;
	}
	*out = gd_tval_json(json_boolean(
	    regexec(&re, json_string_value(a[1].j), 0, NULL, 0) == 0));
	regfree(&re);
	return 0;
}

/*
 * Go's Regexp.Expand: $1 and ${1} are groups, $$ is a dollar; a name
 * that is not all digits ($1x, ${name}) is a named group, which POSIX
 * does not have, so it expands to nothing, as an unknown name does in Go.
 */
static void
re_expand(struct gd_buf *b, const char *tpl, const char *s, const regmatch_t *m,
    size_t ngroups)
{
	const char *p = tpl, *name, *end;
	size_t nl, g, i;
	bool digits;

	while (*p != '\0') {
		if (*p != '$') {
			gd_buf_addc(b, *p++);
			continue;
		}
		p++;
		if (*p == '$') {
			gd_buf_addc(b, *p++);
			continue;
		}
		if (*p == '{') {
			name = p + 1;
			end = strchr(name, '}');
		} else {
			name = p;
			end = NULL;
		}
		for (nl = 0;
		     isalnum((unsigned char)name[nl]) || name[nl] == '_'; nl++)
			;
		if (nl == 0 ||
		    (*p == '{' && (end == NULL || name + nl != end))) {
			/* malformed: the dollar is text */
			gd_buf_addc(b, '$');
			continue;
		}
		p = name + nl + (*p == '{');
		digits = nl <= 8;
		for (i = 0, g = 0; i < nl && digits; i++) {
			digits = isdigit((unsigned char)name[i]) != 0;
			g = g * 10 + (size_t)(name[i] - '0');
		}
		if (digits && g < ngroups && m[g].rm_so >= 0)
			gd_buf_add(b, s + m[g].rm_so,
			    (size_t)(m[g].rm_eo - m[g].rm_so));
	}
}

/* Go's ReplaceAllString and ReplaceAllLiteralString */
static int
regex_replace(struct gd_tval *out, struct gd_tmpl_call *c, struct gd_tval *a,
    bool literal, struct gd_err *err)
{
	const char *s = json_string_value(a[1].j),
		   *r = json_string_value(a[2].j);
	size_t len = json_string_length(a[1].j), pos = 0, last = 0, ng, w;
	regmatch_t *m = NULL;
	struct gd_buf b;
	regex_t re;
	wint_t rune;
	int rc;

	if ((rc = re_compile(&re, c, json_string_value(a[0].j), err)) < 0)
		return rc;
	ng = re.re_nsub + 1;
	m = xreallocarray(NULL, ng, sizeof(*m));
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	while (pos <= len &&
	    regexec(&re, s + pos, ng, m, pos > 0 ? REG_NOTBOL : 0) == 0) {
		size_t i, ms = pos + (size_t)m[0].rm_so,
			  me = pos + (size_t)m[0].rm_eo;

		for (i = 0; i < ng; i++)
			if (m[i].rm_so >= 0) {
				m[i].rm_so += (regoff_t)pos;
				m[i].rm_eo += (regoff_t)pos;
			}
		gd_buf_add(&b, s + last, ms - last);
		/* no second replacement for an empty match right after one */
		if (me > last || ms == 0) {
			if (literal)
				gd_buf_adds(&b, r);
			else
				re_expand(&b, r, s, m, ng);
		}
		last = me;
		w = pos < len ? text_rune(s + pos, len - pos, &rune) : 1;
		pos = pos + w > me ? pos + w : me;
		if ((rc = gd_tmpl_call_charge(c, 1, err)) < 0)
			goto out;
	}
	gd_buf_add(&b, s + last, len - last);
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
out:
	gd_buf_dispose(&b);
	free(m);
	regfree(&re);
	return rc;
}

FN(f_regex_replace_all)
{
	(void)n;
	return regex_replace(out, c, a, false, err);
}

FN(f_regex_replace_literal)
{
	(void)n;
	return regex_replace(out, c, a, true, err);
}

/* --- seq, untilStep ---------------------------------------------------------
 */

static int
until_step(json_t *l, struct gd_tmpl_call *c, json_int_t start, json_int_t stop,
    json_int_t step, struct gd_err *err)
{
	uint64_t span, astep, cnt, k;
	int rc;

	if (stop < start ? step >= 0 : step <= 0)
		return 0;
	/* in unsigned arithmetic: the extremes of int64 must not overflow */
	span = stop < start ? (uint64_t)start - (uint64_t)stop :
			      (uint64_t)stop - (uint64_t)start;
	astep = step < 0 ? 0 - (uint64_t)step : (uint64_t)step;
	if (astep == 0) /* ruled out above; for the analysers */
		return 0;
	cnt = span / astep + (span % astep != 0);
	if (cnt > SIZE_MAX)
		cnt = SIZE_MAX;
	if ((rc = gd_tmpl_call_charge(c, (size_t)cnt, err)) < 0)
		return rc;
	for (k = 0; k < cnt; k++)
		json_array_append_new(l,
		    json_integer(
			(json_int_t)((uint64_t)start + k * (uint64_t)step)));
	return 0;
}

FN(f_until_step)
{
	json_t *l = json_array();
	int rc;

	(void)n;
	if ((rc = until_step(l, c, json_integer_value(a[0].j),
		 json_integer_value(a[1].j), json_integer_value(a[2].j), err)) <
	    0) {
		json_decref(l);
		return rc;
	}
	*out = gd_tval_json(l);
	return 0;
}

/* Sprig's seq, GNU seq's arguments: [first [step]] last */
FN(f_seq)
{
	json_int_t first = 1, step = 1, last, inc = 1;
	json_t *l = json_array();
	struct gd_buf b;
	size_t i;
	int rc = 0;

	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	if (n == 1) {
		last = json_integer_value(a[0].j);
		step = inc = last < first ? -1 : 1;
	} else if (n == 2) {
		first = json_integer_value(a[0].j);
		last = json_integer_value(a[1].j);
		step = inc = last < first ? -1 : 1;
	} else if (n == 3) {
		first = json_integer_value(a[0].j);
		step = json_integer_value(a[1].j);
		last = json_integer_value(a[2].j);
		if (last < first) {
			inc = -1;
			if (step > 0)
				goto done;
		}
	} else
		goto done;
	if ((rc = until_step(l, c, first,
		 (json_int_t)((uint64_t)last + (uint64_t)inc), step, err)) < 0)
		goto done;
	for (i = 0; i < json_array_size(l); i++)
		gd_buf_printf(&b, "%s%" JSON_INTEGER_FORMAT, i ? " " : "",
		    json_integer_value(json_array_get(l, i)));
done:
	json_decref(l);
	if (rc == 0)
		*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return rc;
}

/* --- Go's path package -------------------------------------------------------
 */

/* path.Clean: the shortest equivalent path, "." for nothing. */
static char *
path_clean(const char *p)
{
	size_t len = strlen(p), r = 0, w = 0, dotdot = 0;
	bool rooted = len > 0 && p[0] == '/';
	char *o;

	if (len == 0)
		return xstrdup(".");
	o = xmalloc(len + 2);
	if (rooted) {
		o[w++] = '/';
		r = dotdot = 1;
	}
	while (r < len) {
		if (p[r] == '/')
			r++;
		else if (p[r] == '.' && (r + 1 == len || p[r + 1] == '/'))
			r++;
		else if (p[r] == '.' && p[r + 1] == '.' &&
		    (r + 2 == len || p[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				w--;
				while (w > dotdot && o[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					o[w++] = '/';
				o[w++] = '.';
				o[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				o[w++] = '/';
			while (r < len && p[r] != '/')
				o[w++] = p[r++];
		}
	}
	if (w == 0)
		o[w++] = '.';
	o[w] = '\0';
	return o;
}

FN(f_clean)
{
	char *p = path_clean(json_string_value(a[0].j));

	(void)c, (void)n, (void)err;
	*out = gd_tval_json(json_string_nocheck(p));
	free(p);
	return 0;
}

FN(f_base)
{
	const char *p = json_string_value(a[0].j);
	size_t len = json_string_length(a[0].j), i;

	(void)c, (void)n, (void)err;
	if (len == 0) {
		*out = gd_tval_json(json_string_nocheck("."));
		return 0;
	}
	while (len > 0 && p[len - 1] == '/')
		len--;
	if (len == 0) {
		*out = gd_tval_json(json_string_nocheck("/"));
		return 0;
	}
	for (i = len; i > 0 && p[i - 1] != '/'; i--)
		;
	*out = gd_tval_json(json_stringn_nocheck(p + i, len - i));
	return 0;
}

FN(f_dir)
{
	const char *p = json_string_value(a[0].j);
	size_t i = json_string_length(a[0].j);
	char *d, *cl;

	(void)c, (void)n, (void)err;
	while (i > 0 && p[i - 1] != '/')
		i--;
	d = xmalloc(i + 1);
	memcpy(d, p, i);
	d[i] = '\0';
	cl = path_clean(d);
	*out = gd_tval_json(json_string_nocheck(cl));
	free(cl);
	free(d);
	return 0;
}

FN(f_ext)
{
	const char *p = json_string_value(a[0].j);
	size_t i = json_string_length(a[0].j), len = i;

	(void)c, (void)n, (void)err;
	while (i > 0 && p[i - 1] != '/') {
		if (p[i - 1] == '.') {
			*out = gd_tval_json(
			    json_stringn_nocheck(p + i - 1, len - i + 1));
			return 0;
		}
		i--;
	}
	*out = gd_tval_json(json_string_nocheck(""));
	return 0;
}

FN(f_is_abs)
{
	(void)c, (void)n, (void)err;
	*out = gd_tval_json(json_boolean(json_string_value(a[0].j)[0] == '/'));
	return 0;
}

/* --- sha1sum, adler32sum -----------------------------------------------------
 */

#define ROL(x, k) (((x) << (k)) | ((x) >> (32 - (k))))

static void
sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80], t, f, k, v[5];
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	memcpy(v, h, sizeof(v));
	for (i = 0; i < 80; i++) {
		if (i < 20)
			f = (v[1] & v[2]) | (~v[1] & v[3]), k = 0x5A827999;
		else if (i < 40)
			f = v[1] ^ v[2] ^ v[3], k = 0x6ED9EBA1;
		else if (i < 60)
			f = (v[1] & v[2]) | (v[1] & v[3]) | (v[2] & v[3]),
			k = 0x8F1BBCDC;
		else
			f = v[1] ^ v[2] ^ v[3], k = 0xCA62C1D6;
		t = ROL(v[0], 5) + f + v[4] + k + w[i];
		v[4] = v[3];
		v[3] = v[2];
		v[2] = ROL(v[1], 30);
		v[1] = v[0];
		v[0] = t;
	}
	for (i = 0; i < 5; i++)
		h[i] += v[i];
}

/* SHA-1 of s as 40 hex digits into hex (41 bytes). */
static void
sha1_hex(const unsigned char *s, size_t len, char *hex)
{
	uint32_t h[5] = { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
		0xC3D2E1F0 };
	unsigned char tail[128];
	uint64_t bits = (uint64_t)len * 8;
	size_t i, rest, tl;

	for (i = 0; i + 64 <= len; i += 64)
		sha1_block(h, s + i);
	rest = len - i;
	memset(tail, 0, sizeof(tail));
	memcpy(tail, s + i, rest);
	tail[rest] = 0x80;
	tl = rest + 1 + 8 <= 64 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[tl - 1 - i] = (unsigned char)(bits >> (8 * i));
	sha1_block(h, tail);
	if (tl == 128)
		sha1_block(h, tail + 64);
	for (i = 0; i < 5; i++)
		snprintf(hex + 8 * i, 9, "%08x", (unsigned)h[i]);
}

FN(f_sha1sum)
{
	char hex[41];

	(void)c, (void)n, (void)err;
	sha1_hex((const unsigned char *)json_string_value(a[0].j),
	    json_string_length(a[0].j), hex);
	*out = gd_tval_json(json_string_nocheck(hex));
	return 0;
}

FN(f_adler32sum)
{
	const unsigned char *s =
	    (const unsigned char *)json_string_value(a[0].j);
	size_t len = json_string_length(a[0].j), i;
	uint32_t x = 1, y = 0;
	char buf[16];

	(void)c, (void)n, (void)err;
	for (i = 0; i < len; i++) {
		x = (x + s[i]) % 65521;
		y = (y + x) % 65521;
	}
	snprintf(buf, sizeof(buf), "%u", (unsigned)(y << 16 | x));
	*out = gd_tval_json(json_string_nocheck(buf));
	return 0;
}

/* --- goutils: abbreviations, initials, wrapping ------------------------- */

/* AbbreviateFull of the bytes s[0:l] (goutils counts bytes, not runes). */
static void
text_abbrev(
    struct gd_buf *b, const char *s, size_t l, long long off, long long max)
{
	long long len = (long long)l;

	if (l == 0)
		return;
	if (max < 4) /* goutils' error; Sprig prints "" */
		return;
	if (len <= max) {
		gd_buf_add(b, s, l);
		return;
	}
	if (off > len)
		off = len;
	if (len - off < max - 3)
		off = len - (max - 3);
	if (off <= 4) {
		gd_buf_add(b, s, (size_t)(max - 3));
		gd_buf_adds(b, "...");
		return;
	}
	if (max < 7)
		return;
	gd_buf_adds(b, "...");
	if (off + max - 3 < len)
		text_abbrev(b, s + off, (size_t)(len - off), 0, max - 3);
	else
		gd_buf_add(b, s + len - (max - 3), (size_t)(max - 3));
}

FN(f_abbrev)
{
	long long w = json_integer_value(a[0].j);
	struct gd_buf b;

	(void)c, (void)n, (void)err;
	if (w < 4) {
		*out = gd_tval_copy(&a[1]);
		return 0;
	}
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	text_abbrev(
	    &b, json_string_value(a[1].j), json_string_length(a[1].j), 0, w);
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

FN(f_abbrevboth)
{
	long long left = json_integer_value(a[0].j);
	long long right = json_integer_value(a[1].j);
	struct gd_buf b;

	(void)c, (void)n, (void)err;
	if (right < 4 || (left > 0 && right < 7)) {
		*out = gd_tval_copy(&a[2]);
		return 0;
	}
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	text_abbrev(&b, json_string_value(a[2].j), json_string_length(a[2].j),
	    left, right);
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

/*
 * goutils.Initials walks bytes, not runes: a byte past ASCII is taken as
 * the code point of that value (so "élan" gives "Ã"), and 0x85 and 0xA0
 * count as spaces, as unicode.IsSpace sees those code points.
 */
FN(f_initials)
{
	const unsigned char *s =
	    (const unsigned char *)json_string_value(a[0].j);
	size_t l = json_string_length(a[0].j), i;
	bool gap = true, sp;
	struct gd_buf b;

	(void)c, (void)n, (void)err;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	for (i = 0; i < l; i++) {
		sp = s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r') ||
		    s[i] == 0x85 || s[i] == 0xA0;
		if (sp)
			gap = true;
		else if (gap) {
			if (s[i] < 0x80)
				gd_buf_addc(&b, (char)s[i]);
			else {
				gd_buf_addc(&b, (char)(0xC0 | (s[i] >> 6)));
				gd_buf_addc(&b, (char)(0x80 | (s[i] & 0x3F)));
			}
			gap = false;
		}
	}
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

/* The last ' ' in s[from:to], or -1. */
static long long
text_last_space(const char *s, long long from, long long to)
{
	long long i;

	for (i = to - 1; i >= from; i--)
		if (s[i] == ' ')
			return i;
	return -1;
}

/* goutils.WrapCustom: byte widths, breaking at spaces. */
static void
text_wrap(struct gd_buf *b, const char *s, long long len, long long width,
    const char *nl, bool long_words)
{
	long long off = 0, at, end, k;

	if (len == 0)
		return;
	if (*nl == '\0')
		nl = "\n";
	if (width < 1)
		width = 1;
	while (len - off > width) {
		if (s[off] == ' ') {
			off++;
			continue;
		}
		end = width + off + 1;
		at = text_last_space(s, off, end);
		if (at >= off) {
			gd_buf_add(b, s + off, (size_t)(at - off));
			gd_buf_adds(b, nl);
			off = at + 1;
		} else if (long_words) {
			gd_buf_add(b, s + off, (size_t)width);
			gd_buf_adds(b, nl);
			off += width;
		} else {
			end = width + off;
			for (k = end; k < len && s[k] != ' '; k++)
				;
			if (k == len) {
				gd_buf_add(b, s + off, (size_t)(len - off));
				off = len;
			} else {
				gd_buf_add(b, s + off, (size_t)(k - off));
				gd_buf_adds(b, nl);
				off = k + 1;
			}
		}
	}
	gd_buf_add(b, s + off, (size_t)(len - off));
}

FN(f_wrap)
{
	struct gd_buf b;

	(void)c, (void)n, (void)err;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	text_wrap(&b, json_string_value(a[1].j),
	    (long long)json_string_length(a[1].j), json_integer_value(a[0].j),
	    "", false);
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

FN(f_wrap_with)
{
	struct gd_buf b;

	(void)c, (void)n, (void)err;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	text_wrap(&b, json_string_value(a[2].j),
	    (long long)json_string_length(a[2].j), json_integer_value(a[0].j),
	    json_string_value(a[1].j), true);
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

/* regexp.QuoteMeta */
FN(f_regex_quote_meta)
{
	const char *s = json_string_value(a[0].j);
	size_t l = json_string_length(a[0].j), i;
	struct gd_buf b;

	(void)c, (void)n, (void)err;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	for (i = 0; i < l; i++) {
		if (s[i] != '\0' && strchr("\\.+*?()|[]{}^$", s[i]) != NULL)
			gd_buf_addc(&b, '\\');
		gd_buf_addc(&b, s[i]);
	}
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

const struct gd_tmpl_func helm_sprig_text[] = {
	{ "abbrev", f_abbrev, "is", NULL, 0 },
	{ "abbrevboth", f_abbrevboth, "iis", NULL, 0 },
	{ "initials", f_initials, "s", NULL, 0 },
	/* filepath is path on Linux */
	{ "osBase", f_base, "s", NULL, 0 },
	{ "osClean", f_clean, "s", NULL, 0 },
	{ "osDir", f_dir, "s", NULL, 0 },
	{ "osExt", f_ext, "s", NULL, 0 },
	{ "osIsAbs", f_is_abs, "s", NULL, 0 },
	{ "regexQuoteMeta", f_regex_quote_meta, "s", NULL, 0 },
	{ "wrap", f_wrap, "is", NULL, 0 },
	{ "wrapWith", f_wrap_with, "iss", NULL, 0 },
	{ "adler32sum", f_adler32sum, "s", NULL, 0 },
	{ "base", f_base, "s", NULL, 0 },
	{ "camelcase", f_camelcase, "s", NULL, 0 },
	{ "clean", f_clean, "s", NULL, 0 },
	{ "dir", f_dir, "s", NULL, 0 },
	{ "ext", f_ext, "s", NULL, 0 },
	{ "isAbs", f_is_abs, "s", NULL, 0 },
	{ "kebabcase", f_kebabcase, "s", NULL, 0 },
	{ "mustRegexFind", f_regex_find, "ss", &must_mark, 0 },
	{ "mustRegexFindAll", f_regex_find_all, "ssi", &must_mark, 0 },
	{ "mustRegexMatch", f_regex_match, "ss", &must_mark, 0 },
	{ "mustRegexReplaceAll", f_regex_replace_all, "sss", &must_mark, 0 },
	{ "mustRegexReplaceAllLiteral", f_regex_replace_literal, "sss",
	    &must_mark, 0 },
	{ "mustRegexSplit", f_regex_split, "ssi", &must_mark, 0 },
	{ "regexFind", f_regex_find, "ss", NULL, 0 },
	{ "regexFindAll", f_regex_find_all, "ssi", NULL, 0 },
	{ "regexMatch", f_regex_match, "ss", NULL, 0 },
	{ "regexReplaceAll", f_regex_replace_all, "sss", NULL, 0 },
	{ "regexReplaceAllLiteral", f_regex_replace_literal, "sss", NULL, 0 },
	{ "regexSplit", f_regex_split, "ssi", NULL, 0 },
	{ "seq", f_seq, "i*", NULL, 0 },
	{ "sha1sum", f_sha1sum, "s", NULL, 0 },
	{ "snakecase", f_snakecase, "s", NULL, 0 },
	{ "swapcase", f_swapcase, "s", NULL, 0 },
	{ "untilStep", f_until_step, "iii", NULL, 0 },
	{ "untitle", f_untitle, "s", NULL, 0 },
	{ NULL, NULL, NULL, NULL, 0 },
};
