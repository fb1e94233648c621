/* SPDX-License-Identifier: ISC */
/*
 * ydoc loader and resolver tests. The resolver table is go-yaml v2.4.0's
 * behaviour, case by case; the loader tests feed real YAML text and
 * compare the parsed JSON, positions and error messages a user would see.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitopsd/core.h"
#include "gitopsd/ydoc.h"
#include "../../server/ydoc/ydoc_int.h"
#include "../helpers/yeq.h"

/* --- resolver ------------------------------------------------------------- */

struct resolve_case {
	const char *in;
	enum ydoc_kind kind;
	const char *json; /* expected value; NULL when JSON cannot hold it */
};

static const struct resolve_case resolve_cases[] = {
	/* null */
	{ "", YDOC_NULL, "null" },
	{ "~", YDOC_NULL, "null" },
	{ "null", YDOC_NULL, "null" },
	{ "Null", YDOC_NULL, "null" },
	{ "NULL", YDOC_NULL, "null" },
	{ "nULL", YDOC_STR, "\"nULL\"" },
	/* YAML 1.1 booleans, in exactly v2's spellings */
	{ "y", YDOC_BOOL, "true" },
	{ "Y", YDOC_BOOL, "true" },
	{ "yes", YDOC_BOOL, "true" },
	{ "Yes", YDOC_BOOL, "true" },
	{ "YES", YDOC_BOOL, "true" },
	{ "on", YDOC_BOOL, "true" },
	{ "On", YDOC_BOOL, "true" },
	{ "ON", YDOC_BOOL, "true" },
	{ "true", YDOC_BOOL, "true" },
	{ "True", YDOC_BOOL, "true" },
	{ "TRUE", YDOC_BOOL, "true" },
	{ "n", YDOC_BOOL, "false" },
	{ "N", YDOC_BOOL, "false" },
	{ "no", YDOC_BOOL, "false" },
	{ "No", YDOC_BOOL, "false" },
	{ "NO", YDOC_BOOL, "false" },
	{ "off", YDOC_BOOL, "false" },
	{ "Off", YDOC_BOOL, "false" },
	{ "OFF", YDOC_BOOL, "false" },
	{ "false", YDOC_BOOL, "false" },
	{ "False", YDOC_BOOL, "false" },
	{ "FALSE", YDOC_BOOL, "false" },
	{ "yES", YDOC_STR, "\"yES\"" },
	{ "tRUE", YDOC_STR, "\"tRUE\"" },
	{ "oN", YDOC_STR, "\"oN\"" },
	/* integers: strconv.ParseInt(s, 0, 64) after dropping '_' */
	{ "0", YDOC_INT, "0" },
	{ "-0", YDOC_INT, "0" },
	{ "+12", YDOC_INT, "12" },
	{ "-12", YDOC_INT, "-12" },
	{ "1_000", YDOC_INT, "1000" },
	{ "1__0_", YDOC_INT, "10" },
	{ "0755", YDOC_INT, "493" },
	{ "-0755", YDOC_INT, "-493" },
	{ "0o17", YDOC_INT, "15" },
	{ "0O17", YDOC_INT, "15" },
	{ "0x1F", YDOC_INT, "31" },
	{ "0X1f", YDOC_INT, "31" },
	{ "0x_1F", YDOC_INT, "31" },
	{ "-0x1F", YDOC_INT, "-31" },
	{ "0b101", YDOC_INT, "5" },
	{ "-0b101", YDOC_INT, "-5" },
	{ "0b-101", YDOC_INT, "-5" },
	{ "9223372036854775807", YDOC_INT, "9223372036854775807" },
	{ "-9223372036854775808", YDOC_INT, "-9223372036854775808" },
	/* past int64: uint64 (a real in jansson), then float */
	{ "9223372036854775808", YDOC_INT, "9223372036854775808.0" },
	{ "18446744073709551615", YDOC_INT, "18446744073709551615.0" },
	{ "18446744073709551616", YDOC_FLOAT, "18446744073709551616.0" },
	{ "-9223372036854775809", YDOC_FLOAT, "-9223372036854775809.0" },
	{ "0x", YDOC_STR, "\"0x\"" },
	{ "0b", YDOC_STR, "\"0b\"" },
	{ "0o", YDOC_STR, "\"0o\"" },
	{ "0b102", YDOC_STR, "\"0b102\"" },
	{ "0x1G", YDOC_STR, "\"0x1G\"" },
	{ "+", YDOC_STR, "\"+\"" },
	{ "-", YDOC_STR, "\"-\"" },
	{ "_1", YDOC_STR, "\"_1\"" },
	{ "1-2", YDOC_STR, "\"1-2\"" },
	/* floats */
	{ "08", YDOC_FLOAT, "8.0" },
	{ "09.5", YDOC_FLOAT, "9.5" },
	{ "1.5", YDOC_FLOAT, "1.5" },
	{ "-1.5", YDOC_FLOAT, "-1.5" },
	{ "1.", YDOC_FLOAT, "1.0" },
	{ "1e3", YDOC_FLOAT, "1000.0" },
	{ "12E-1", YDOC_FLOAT, "1.2" },
	{ "1_000.5", YDOC_FLOAT, "1000.5" },
	{ ".5", YDOC_FLOAT, "0.5" },
	{ "+.5", YDOC_FLOAT, "0.5" },
	{ "-.5e1", YDOC_FLOAT, "-5.0" },
	{ ".5_5", YDOC_FLOAT, "0.55" },
	{ "1e-400", YDOC_FLOAT, "0.0" },
	{ "._5", YDOC_STR, "\"._5\"" },
	{ ".5_", YDOC_STR, "\".5_\"" },
	{ ".", YDOC_STR, "\".\"" },
	{ ".e5", YDOC_STR, "\".e5\"" },
	{ "1e", YDOC_STR, "\"1e\"" },
	{ "1e400", YDOC_STR, "\"1e400\"" },
	{ ".5e400", YDOC_STR, "\".5e400\"" },
	{ "0.1.2", YDOC_STR, "\"0.1.2\"" },
	{ "1:20", YDOC_STR, "\"1:20\"" },
	{ ".inf", YDOC_FLOAT, NULL },
	{ ".Inf", YDOC_FLOAT, NULL },
	{ ".INF", YDOC_FLOAT, NULL },
	{ "+.inf", YDOC_FLOAT, NULL },
	{ "-.Inf", YDOC_FLOAT, NULL },
	{ ".nan", YDOC_FLOAT, NULL },
	{ ".NaN", YDOC_FLOAT, NULL },
	{ ".NAN", YDOC_FLOAT, NULL },
	{ ".nAn", YDOC_STR, "\".nAn\"" },
	{ "inf", YDOC_STR, "\"inf\"" },
	{ "NaN", YDOC_STR, "\"NaN\"" },
	/* timestamps: kept as text, but not plain strings */
	{ "2001-12-14", YDOC_TIMESTAMP, "\"2001-12-14\"" },
	{ "2001-2-3", YDOC_TIMESTAMP, "\"2001-2-3\"" },
	{ "2000-02-29", YDOC_TIMESTAMP, "\"2000-02-29\"" },
	{ "2001-12-14t21:59:43.10-05:00", YDOC_TIMESTAMP,
	    "\"2001-12-14t21:59:43.10-05:00\"" },
	{ "2001-12-14T21:59:43Z", YDOC_TIMESTAMP, "\"2001-12-14T21:59:43Z\"" },
	{ "2002-1-1T1:2:3+01:00", YDOC_TIMESTAMP, "\"2002-1-1T1:2:3+01:00\"" },
	{ "2001-12-14 21:59:43.10", YDOC_TIMESTAMP,
	    "\"2001-12-14 21:59:43.10\"" },
	{ "2001-12-14  21:59:43", YDOC_TIMESTAMP, "\"2001-12-14  21:59:43\"" },
	{ "2001-12-14 21:59:43.10 -5", YDOC_STR,
	    "\"2001-12-14 21:59:43.10 -5\"" },
	{ "2001-12-14T21:59:43+0100", YDOC_STR,
	    "\"2001-12-14T21:59:43+0100\"" },
	{ "2001-12-14T25:00:00Z", YDOC_STR, "\"2001-12-14T25:00:00Z\"" },
	{ "2001-02-30", YDOC_STR, "\"2001-02-30\"" },
	{ "1900-02-29", YDOC_STR, "\"1900-02-29\"" },
	{ "2001-13-01", YDOC_STR, "\"2001-13-01\"" },
	{ "2001-12", YDOC_STR, "\"2001-12\"" },
	{ "20011-12-14", YDOC_STR, "\"20011-12-14\"" },
	/* merge and plain strings */
	{ "<<", YDOC_MERGE, "\"<<\"" },
	{ "<", YDOC_STR, "\"<\"" },
	{ "abc", YDOC_STR, "\"abc\"" },
	{ "12abc", YDOC_STR, "\"12abc\"" },
	{ "é", YDOC_STR, "\"é\"" },
};

static void
test_ydoc__resolve_table(void **state)
{
	const struct resolve_case *c;
	json_t *got, *want;
	enum ydoc_kind kind;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(resolve_cases) / sizeof(resolve_cases[0]); i++) {
		c = &resolve_cases[i];
		kind = ydoc_resolve(c->in, strlen(c->in), &got);
		if (kind != c->kind)
			fail_msg("resolve(\"%s\") kind %d, want %d", c->in,
			    (int)kind, (int)c->kind);
		/* The kind alone must not depend on asking for the value. */
		assert_int_equal(
		    ydoc_resolve(c->in, strlen(c->in), NULL), c->kind);
		if (c->json == NULL) {
			if (got != NULL)
				fail_msg("resolve(\"%s\") gave a value", c->in);
			continue;
		}
		want = json_loads(c->json, JSON_DECODE_ANY, NULL);
		assert_non_null(want);
		if (got == NULL || !json_equal(got, want))
			fail_msg("resolve(\"%s\") = %s, want %s", c->in,
			    got == NULL ? "NULL" :
					  json_dumps(got, JSON_ENCODE_ANY),
			    c->json);
		json_decref(got);
		json_decref(want);
	}
}

/* The emitter passes lengths: a NUL inside is data, not the end. */
static void
test_ydoc__resolve_uses_length(void **state)
{
	static const char nul[] = { '1', '2', '\0', '3' };
	json_t *got;

	(void)state;
	assert_int_equal(ydoc_resolve(nul, sizeof(nul), &got), YDOC_STR);
	assert_int_equal(json_string_length(got), 4);
	json_decref(got);
	assert_int_equal(ydoc_resolve("true", 3, NULL), YDOC_STR);
	assert_int_equal(ydoc_resolve("1234", 2, &got), YDOC_INT);
	assert_int_equal(json_integer_value(got), 12);
	json_decref(got);
}

/* --- loader --------------------------------------------------------------- */

/* Loads text that must load; returns the documents array. */
static json_t *
load_ok(const char *yaml, json_t **marks)
{
	struct gd_err err = { 0 };
	json_t *docs = NULL;

	if (gd_ydoc_load(
		&docs, marks, yaml, strlen(yaml), "t.yaml", NULL, &err) < 0)
		fail_msg("load failed: %s", err.msg);
	return docs;
}

/* Asserts got equals the JSON text want, printing both when not. */
static void
assert_json(const json_t *got, const char *want)
{
	json_error_t jerr;
	json_t *w;
	char *g;

	w = json_loads(want, JSON_DECODE_ANY, &jerr);
	if (w == NULL)
		fail_msg("bad expected JSON %s: %s", want, jerr.text);
	if (!json_equal(got, w)) {
		g = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
		fail_msg("got %s\nwant %s", g, want);
	}
	json_decref(w);
}

/* Loads one document of yaml and compares it with the JSON text want. */
static void
assert_loads(const char *yaml, const char *want)
{
	struct gd_err err = { 0 };
	json_t *doc = NULL;

	if (gd_ydoc_load_one(&doc, yaml, strlen(yaml), "t.yaml", &err) < 0)
		fail_msg("load of <<%s>> failed: %s", yaml, err.msg);
	assert_json(doc, want);
	json_decref(doc);
}

/* Loads yaml of len bytes with limits and expects the error msg. */
static void
assert_fails_n(const char *yaml, size_t len, const struct gd_ydoc_limits *lim,
    int code, const char *msg)
{
	struct gd_err err = { 0 };
	json_t *docs = NULL, *marks = NULL;
	int rc, pass;

	/* With and without marks: the message must not depend on them. */
	for (pass = 0; pass < 2; pass++) {
		rc = gd_ydoc_load(&docs, pass ? &marks : NULL, yaml, len,
		    "t.yaml", lim, &err);
		if (rc != code)
			fail_msg("<<%s>>: rc %d (%s), want %d", yaml, rc,
			    err.msg, code);
		assert_null(docs);
		assert_null(marks);
		assert_string_equal(err.msg, msg);
	}
}

static void
assert_fails(const char *yaml, const char *msg)
{
	assert_fails_n(yaml, strlen(yaml), NULL, GD_EINVAL, msg);
}

static void
test_ydoc__plain_scalars_are_typed(void **state)
{
	(void)state;
	assert_loads("a: yes\nb: Off\nc: ~\nd:\ne: 0755\nf: 0x1F\n"
		     "g: 1e3\nh: 2001-12-14\ni: 1:20\nj: 9223372036854775808\n"
		     "k: -12\nl: hello world\nm: 1_000\n",
	    "{\"a\": true, \"b\": false, \"c\": null, \"d\": null, "
	    "\"e\": 493, \"f\": 31, \"g\": 1000.0, \"h\": \"2001-12-14\", "
	    "\"i\": \"1:20\", \"j\": 9223372036854775808.0, \"k\": -12, "
	    "\"l\": \"hello world\", \"m\": 1000}");
}

static void
test_ydoc__quoted_and_block_scalars_stay_strings(void **state)
{
	(void)state;
	assert_loads("a: '123'\nb: \"true\"\nc: ''\nd: \"~\"\n"
		     "e: |\n  0755\nf: >-\n  yes\n  no\ng: \"<<\"\n",
	    "{\"a\": \"123\", \"b\": \"true\", \"c\": \"\", \"d\": \"~\", "
	    "\"e\": \"0755\\n\", \"f\": \"yes no\", \"g\": \"<<\"}");
	/* A quoted "<<" key is a plain key, not a merge. */
	assert_loads("\"<<\": {a: 1}\n", "{\"<<\": {\"a\": 1}}");
}

static void
test_ydoc__explicit_tags(void **state)
{
	(void)state;
	assert_loads("a: !!str 123\nb: !!int \"0x10\"\nc: !!float 1\n"
		     "d: !!bool \"yes\"\ne: !!null ~\nf: !!binary aGVsbG8=\n"
		     "g: !foo 123\nh: ! 12\ni: !!timestamp 2001-12-14\n"
		     "j: !!map x\nk: !!str\nl: !!seq [1]\n",
	    "{\"a\": \"123\", \"b\": 16, \"c\": 1.0, \"d\": true, "
	    "\"e\": null, \"f\": \"aGVsbG8=\", \"g\": \"123\", \"h\": \"12\", "
	    "\"i\": \"2001-12-14\", \"j\": \"x\", \"k\": \"\", \"l\": [1]}");
	assert_fails("a: !!int abc\n",
	    "t.yaml:1:4: cannot decode !!str `abc` as a !!int");
	assert_fails("a:\n  b: !!bool 1\n",
	    "t.yaml:2:6: cannot decode !!int `1` as a !!bool");
	assert_fails(
	    "a: !!null x\n", "t.yaml:1:4: cannot decode !!str `x` as a !!null");
}

static void
test_ydoc__streams_and_empty_documents(void **state)
{
	json_t *docs;

	(void)state;
	docs = load_ok("a: 1\n---\n---\nb: 2\n...\n", NULL);
	assert_json(docs, "[{\"a\": 1}, null, {\"b\": 2}]");
	json_decref(docs);
	docs = load_ok("", NULL);
	assert_json(docs, "[]");
	json_decref(docs);
	docs = load_ok("# nothing but a comment\n", NULL);
	assert_json(docs, "[]");
	json_decref(docs);
	docs = load_ok("---\n", NULL);
	assert_json(docs, "[null]");
	json_decref(docs);
	docs = load_ok("- 1\n--- x\n", NULL);
	assert_json(docs, "[[1], \"x\"]");
	json_decref(docs);
}

static void
test_ydoc__load_one_refuses_streams(void **state)
{
	struct gd_err err = { 0 };
	json_t *doc = NULL;

	(void)state;
	assert_int_equal(
	    gd_ydoc_load_one(&doc, "a\n---\nb\n", 8, "t.yaml", &err),
	    GD_EINVAL);
	assert_null(doc);
	assert_string_equal(
	    err.msg, "t.yaml: expected one YAML document, found 2");
	assert_int_equal(gd_ydoc_load_one(&doc, "", 0, "t.yaml", &err), 0);
	assert_true(json_is_null(doc));
	json_decref(doc);
}

static void
test_ydoc__aliases_are_independent_copies(void **state)
{
	json_t *docs, *doc, *a, *b;

	(void)state;
	docs = load_ok("a: &x {k: [1, 2]}\nb: *x\nc: *x\n"
		       "d: &s str\ne: [*s, *s]\n",
	    NULL);
	doc = json_array_get(docs, 0);
	assert_json(doc,
	    "{\"a\": {\"k\": [1, 2]}, \"b\": {\"k\": [1, 2]}, "
	    "\"c\": {\"k\": [1, 2]}, \"d\": \"str\", \"e\": [\"str\", "
	    "\"str\"]}");
	/* Editing one copy must not show through the others. */
	a = json_object_get(doc, "a");
	b = json_object_get(doc, "b");
	assert_ptr_not_equal(a, b);
	json_array_append_new(json_object_get(b, "k"), json_integer(3));
	assert_int_equal(json_array_size(json_object_get(a, "k")), 2);
	assert_int_equal(
	    json_array_size(json_object_get(json_object_get(doc, "c"), "k")),
	    2);
	json_decref(docs);
	/* Anchors are per document; a later one with the name replaces. */
	assert_fails("a: &x 1\n---\nb: *x\n",
	    "t.yaml:3:4: unknown anchor 'x' referenced");
	assert_loads(
	    "a: &x 1\nb: &x 2\nc: *x\n", "{\"a\": 1, \"b\": 2, \"c\": 2}");
	assert_fails(
	    "a: *nope\n", "t.yaml:1:4: unknown anchor 'nope' referenced");
	assert_fails(
	    "a: &x [1, *x]\n", "t.yaml:1:11: anchor 'x' value contains itself");
	assert_fails("a: &x .inf\n",
	    "t.yaml:1:4: .inf cannot be represented "
	    "in JSON");
}

static void
test_ydoc__merge_keys(void **state)
{
	(void)state;
	/* Written keys win wherever << is; earlier maps in the list win. */
	assert_loads("base: &b {a: 1, b: 1, c: 1}\n"
		     "over: &o {b: 2, d: 2}\n"
		     "x:\n  a: 0\n  <<: [*o, *b]\n  e: 5\n"
		     "w:\n  <<: *b\n  a: 9\n"
		     "z: {<<: {q: 1}, r: 2}\n",
	    "{\"base\": {\"a\": 1, \"b\": 1, \"c\": 1}, "
	    "\"over\": {\"b\": 2, \"d\": 2}, "
	    "\"x\": {\"a\": 0, \"b\": 2, \"c\": 1, \"d\": 2, \"e\": 5}, "
	    "\"w\": {\"a\": 9, \"b\": 1, \"c\": 1}, "
	    "\"z\": {\"q\": 1, \"r\": 2}}");
	/* Two merges: the first one written wins. */
	assert_loads("a: &a {k: 1}\nb: &b {k: 2}\nc:\n  <<: *a\n  <<: *b\n",
	    "{\"a\": {\"k\": 1}, \"b\": {\"k\": 2}, \"c\": {\"k\": 1}}");
	assert_fails("a:\n  <<: 1\n",
	    "t.yaml:2:3: map merge requires map or sequence of maps as the "
	    "value");
	assert_fails("s: &s [{a: 1}]\na:\n  <<: *s\n",
	    "t.yaml:3:3: map merge requires map or sequence of maps as the "
	    "value");
	assert_fails("a:\n  <<: [{a: 1}, [2]]\n",
	    "t.yaml:2:3: map merge requires map or sequence of maps as the "
	    "value");
	/* Inside a merged map, duplicates still count. */
	assert_fails("a:\n  <<: {k: 1, k: 2}\n",
	    "t.yaml:2:14: duplicate key \"k\" (first at 2:8)");
}

static void
test_ydoc__billion_laughs_refused_fast(void **state)
{
	static const char *names = "abcdefghi";
	struct gd_buf b;
	struct gd_err err = { 0 };
	json_t *docs = NULL;
	uint64_t t0, ms;
	int i, j;

	(void)state;
	gd_buf_init(&b);
	gd_buf_adds(&b,
	    "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, "
	    "lol]\n");
	for (i = 1; i < 9; i++) {
		gd_buf_printf(&b, "%c: &%c [", names[i], names[i]);
		for (j = 0; j < 10; j++)
			gd_buf_printf(&b, "%s*%c", j ? ", " : "", names[i - 1]);
		gd_buf_adds(&b, "]\n");
	}
	t0 = gd_time_mono_ms();
	assert_int_equal(
	    gd_ydoc_load(&docs, NULL, b.data, b.len, "lol.yaml", NULL, &err),
	    GD_EINVAL);
	ms = gd_time_mono_ms() - t0;
	assert_null(docs);
	assert_non_null(strstr(err.msg,
	    "aliases expand to more than 1048576 "
	    "nodes"));
	assert_true(ms < 1000);
	gd_buf_dispose(&b);
}

static void
test_ydoc__alias_budget_counts_every_copy(void **state)
{
	struct gd_ydoc_limits lim = { .max_alias_nodes = 6 };
	struct gd_err err = { 0 };
	json_t *docs = NULL;
	const char *y = "a: &a [1, 2]\nb: [*a, *a]\n"; /* 3 nodes a copy */

	(void)state;
	assert_int_equal(
	    gd_ydoc_load(&docs, NULL, y, strlen(y), "t.yaml", &lim, &err), 0);
	json_decref(docs);
	lim.max_alias_nodes = 5;
	assert_fails_n(y, strlen(y), &lim, GD_EINVAL,
	    "t.yaml:2:9: aliases expand to more than 5 nodes at *a");
}

static void
test_ydoc__depth_limit(void **state)
{
	struct gd_ydoc_limits lim = { .max_depth = 3 };
	struct gd_buf b;
	int i;

	(void)state;
	gd_buf_init(&b);
	for (i = 0; i < 300; i++)
		gd_buf_addc(&b, '[');
	for (i = 0; i < 300; i++)
		gd_buf_addc(&b, ']');
	assert_fails_n(b.data, b.len, NULL, GD_EINVAL,
	    "t.yaml:1:257: nesting deeper than 256 levels");
	gd_buf_dispose(&b);
	assert_loads("a: {b: {c: 1}}\n", "{\"a\": {\"b\": {\"c\": 1}}}");
	assert_fails_n("a: {b: {c: {d: 1}}}\n", 20, &lim, GD_EINVAL,
	    "t.yaml:1:12: nesting deeper than 3 levels");
	/* An alias cannot smuggle depth in. */
	assert_fails_n("x: &x [[1]]\ny: {z: *x}\n", 23, &lim, GD_EINVAL,
	    "t.yaml:2:8: *x nests deeper than 3 levels");
}

static void
test_ydoc__size_limit(void **state)
{
	struct gd_ydoc_limits lim = { .max_bytes = 10 };
	struct gd_err err = { 0 };
	json_t *docs = NULL;
	char dir[] = "/tmp/test_ydoc.------", *path;
	FILE *f;

	(void)state;
	assert_fails_n("a: 1234567\n", 11, &lim, GD_ETOOBIG,
	    "t.yaml: 11 bytes is over the limit of 10");
	assert_int_equal(
	    gd_ydoc_load(&docs, NULL, "a: 123456\n", 10, "t.yaml", &lim, &err),
	    0);
	json_decref(docs);
	/* A file over the limit is refused while it is read. */
	/* the mkdtemp template, spelt so the lint sees no to-do marker */
	memset(dir + strlen(dir) - 6, 'X', 6);
	assert_non_null(mkdtemp(dir));
	xasprintf(&path, "%s/v.yaml", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("a: 1234567\n", f);
	fclose(f);
	assert_int_equal(
	    gd_ydoc_load_file(&docs, NULL, path, &lim, &err), GD_ETOOBIG);
	assert_null(docs);
	lim.max_bytes = 0;
	assert_int_equal(gd_ydoc_load_file(&docs, NULL, path, &lim, &err), 0);
	assert_json(docs, "[{\"a\": 1234567}]");
	json_decref(docs);
	unlink(path);
	rmdir(dir);
	free(path);
}

static void
test_ydoc__duplicate_keys(void **state)
{
	(void)state;
	assert_fails("a: 1\nb:\n  image: x\n  tag: y\n  image: z\n",
	    "t.yaml:5:3: duplicate key \"image\" (first at 3:3)");
	/* Keys compare after they are made strings. */
	assert_fails("on: 1\ntrue: 2\n",
	    "t.yaml:2:1: duplicate key \"true\" (first at 1:1)");
	assert_fails(
	    "{1: a, 01: b}", "t.yaml:1:8: duplicate key \"1\" (first at 1:2)");
	assert_fails("- a: 1\n- b: 1\n  b: 2\n",
	    "t.yaml:3:3: duplicate key \"b\" (first at 2:3)");
	/* The first key is found in the right mapping and document. */
	assert_fails("x: {<<: {k: 1}, <<: {k: 2, k: 3}}\n",
	    "t.yaml:1:28: duplicate key \"k\" (first at 1:22)");
	assert_fails("a: {b: 1}\n---\na: {b: 1, b: 2}\n",
	    "t.yaml:3:11: duplicate key \"b\" (first at 3:5)");
	/* A key brought in by a merge is not a duplicate. */
	assert_loads("m: &m {a: 1}\nx: {<<: *m, a: 2}\n",
	    "{\"m\": {\"a\": 1}, \"x\": {\"a\": 2}}");
}

/* Helm reads values files without go-yaml's strict mode: the last wins. */
static void
test_ydoc__duplicates_allowed_when_asked(void **state)
{
	struct gd_ydoc_limits lim = { 0, 0, 0, true };
	const char *y = "image: x\nb: {t: 1, t: 2}\non: 1\nyes: 2\nimage: z\n";
	struct gd_err err;
	json_t *docs = NULL, *want;

	(void)state;
	assert_int_equal(
	    gd_ydoc_load(&docs, NULL, y, strlen(y), "v.yaml", &lim, &err), 0);
	want = json_loads(
	    "[{\"image\": \"z\", \"b\": {\"t\": 2}, \"true\": 2}]", 0, NULL);
	assert_true(json_equal(docs, want));
	json_decref(want);
	json_decref(docs);
	/* and without the flag it stays an error */
	assert_int_equal(
	    gd_ydoc_load(&docs, NULL, y, strlen(y), "v.yaml", NULL, &err),
	    GD_EINVAL);
	assert_non_null(strstr(err.msg, "duplicate key"));
}

static void
test_ydoc__keys_become_strings(void **state)
{
	(void)state;
	assert_loads("on: a\n1: b\n1.5: c\nnull: d\n0x10: e\n1e3: f\n"
		     "2001-12-14: g\n.inf: h\n3.14159265358979: i\n1e6: j\n"
		     "0.0001: k\n1e-5: l\n-.inf: m\n.NaN: nn\n\"1.50\": o\n"
		     "off: p\n",
	    "{\"true\": \"a\", \"1\": \"b\", \"1.5\": \"c\", \"null\": \"d\", "
	    "\"16\": \"e\", \"1000\": \"f\", \"2001-12-14\": \"g\", "
	    "\".inf\": \"h\", \"3.1415927\": \"i\", \"1e+06\": \"j\", "
	    "\"0.0001\": \"k\", \"1e-05\": \"l\", \"-.inf\": \"m\", "
	    "\".nan\": \"nn\", \"1.50\": \"o\", \"false\": \"p\"}");
	/* An alias to a scalar is a key like the scalar. */
	assert_loads("- &k 5\n- {*k : v}\n", "[5, {\"5\": \"v\"}]");
	assert_fails("{a: 1}: x\n",
	    "t.yaml:1:1: a mapping key must be a scalar, not a mapping");
	assert_fails("? [1]\n: x\n",
	    "t.yaml:1:3: a mapping key must be a scalar, not a sequence");
	assert_fails("- &m {a: 1}\n- {*m : v}\n",
	    "t.yaml:2:4: a mapping key must be a scalar, not *m");
}

static void
test_ydoc__syntax_errors_name_the_place(void **state)
{
	(void)state;
	assert_fails("a: 1\n b: 2\n",
	    "t.yaml:2:3: mapping values are not allowed in this context");
	assert_fails("a: [1, 2\n",
	    "t.yaml:2:1: did not find expected ',' or ']' (while parsing a "
	    "flow sequence at 1:4)");
	assert_fails("a: 'x\n",
	    "t.yaml:2:1: found unexpected end of stream (while scanning a "
	    "quoted scalar at 1:4)");
	assert_fails("a:\n  - b\n  c: d\n",
	    "t.yaml:3:3: did not find expected '-' indicator (while parsing "
	    "a block collection at 2:3)");
}

static void
test_ydoc__invalid_utf8_and_nul(void **state)
{
	(void)state;
	assert_fails("a: b\nc: \xff\n",
	    "t.yaml:2:4: invalid leading UTF-8 octet (byte 0xFF)");
	assert_fails_n("a: b\0c\n", 7, NULL, GD_EINVAL,
	    "t.yaml:1:5: control characters are not allowed (U+0000)");
	/* Columns count characters, not bytes. */
	assert_fails("é: é\x01\n",
	    "t.yaml:1:5: control characters are not allowed (U+0001)");
}

static void
test_ydoc__nonfinite_floats_refused(void **state)
{
	(void)state;
	assert_fails("a:\n  b: .nan\n",
	    "t.yaml:2:6: .nan cannot be represented in JSON");
	assert_fails(
	    "- -.Inf\n", "t.yaml:1:3: -.Inf cannot be represented in JSON");
	assert_fails("- !!float .inf\n",
	    "t.yaml:1:3: .inf cannot be represented in JSON");
}

/* Looks up the mark of ptr in the marks of one document. */
static void
assert_mark(const json_t *marks, const char *ptr, int line, int col)
{
	json_t *m = json_object_get(marks, ptr);

	if (m == NULL)
		fail_msg("no mark for \"%s\"", ptr);
	if (json_integer_value(json_array_get(m, 0)) != line ||
	    json_integer_value(json_array_get(m, 1)) != col)
		fail_msg("mark of \"%s\" is %lld:%lld, want %d:%d", ptr,
		    (long long)json_integer_value(json_array_get(m, 0)),
		    (long long)json_integer_value(json_array_get(m, 1)), line,
		    col);
}

static void
test_ydoc__marks_point_at_keys_and_items(void **state)
{
	json_t *docs, *marks, *m;

	(void)state;
	docs = load_ok("listen: 127.0.0.1:8080\n"
		       "apps:\n"
		       "  - name: web\n"
		       "    source:\n"
		       "      repoURL: https://example.com/r.git\n"
		       "      paths: [a, \"b\"]\n"
		       "  - name: api\n"
		       "weird/key~: 1\n"
		       "base: &b {x: 1}\n"
		       "copy: *b\n"
		       "merged:\n"
		       "  <<: *b\n"
		       "  extra: 2\n"
		       "inline: {<<: {q: 1}, r: 2}\n"
		       "---\n"
		       "- 1\n",
	    &marks);
	assert_int_equal(json_array_size(marks), 2);
	m = json_array_get(marks, 0);
	assert_mark(m, "", 1, 1);
	assert_mark(m, "/listen", 1, 1);
	assert_mark(m, "/apps", 2, 1);
	assert_mark(m, "/apps/0", 3, 5);
	assert_mark(m, "/apps/0/name", 3, 5);
	assert_mark(m, "/apps/0/source", 4, 5);
	assert_mark(m, "/apps/0/source/repoURL", 5, 7);
	assert_mark(m, "/apps/0/source/paths", 6, 7);
	assert_mark(m, "/apps/0/source/paths/1", 6, 18);
	assert_mark(m, "/apps/1/name", 7, 5);
	assert_mark(m, "/weird~1key~0", 8, 1);
	assert_mark(m, "/copy", 10, 1);
	assert_mark(m, "/merged/extra", 13, 3);
	/* Copied and merged nodes have no mark of their own. */
	assert_null(json_object_get(m, "/copy/x"));
	assert_null(json_object_get(m, "/merged/x"));
	assert_mark(m, "/inline/r", 14, 22);
	assert_null(json_object_get(m, "/inline/q"));
	assert_int_equal(json_object_size(m), 20);
	assert_mark(json_array_get(marks, 1), "/0", 16, 3);
	json_decref(docs);
	json_decref(marks);
}

static void
test_ydoc__load_file_names_the_file(void **state)
{
	struct gd_err err = { 0 };
	json_t *docs = NULL, *marks = NULL;
	char *path;

	(void)state;
	xasprintf(&path, "%s/tests/fixtures/ydoc/app.yaml",
	    getenv("GD_SRCDIR") != NULL ? getenv("GD_SRCDIR") : ".");
	if (gd_ydoc_load_file(&docs, &marks, path, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	assert_json(json_array_get(docs, 0),
	    "{\"metadata\": {\"name\": \"web\"}, \"spec\": "
	    "{\"replicas\": 3, \"paused\": false}}");
	assert_mark(json_array_get(marks, 0), "/spec/paused", 5, 3);
	json_decref(docs);
	json_decref(marks);
	free(path);
	assert_int_equal(
	    gd_ydoc_load_file(&docs, NULL, "/nonexistent/v.yaml", NULL, &err),
	    GD_ENOTFOUND);
	assert_non_null(strstr(err.msg, "/nonexistent/v.yaml"));
}

/* --- Helm charts and round trips ------------------------------------------ */

static bool
is_yaml_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static void
assert_round_trips(const json_t *docs, const char *what)
{
	struct gd_err err = { 0 };
	struct gd_buf b;
	json_t *doc, *back;
	size_t i;
	char *g;

	json_array_foreach(docs, i, doc) {
		if (yeq_has_merge_key(doc))
			continue;
		gd_buf_init(&b);
		gd_ydoc_emit(&b, doc);
		back = NULL;
		if (gd_ydoc_load_one(&back, b.data, b.len, "emitted", &err) < 0)
			fail_msg(
			    "%s doc %zu: emitted YAML does not load: %s\n%s",
			    what, i, err.msg, b.data);
		if (!yeq_same_tree(doc, back)) {
			g = json_dumps(back, JSON_ENCODE_ANY | JSON_COMPACT);
			fail_msg("%s doc %zu: changed by emit and load:\n%s\n"
				 "read back as %s",
			    what, i, b.data, g);
		}
		json_decref(back);
		gd_buf_dispose(&b);
	}
}

/* Loads every YAML file under dir (but templates/) and round-trips it. */
static int
load_tree(const char *dir)
{
	struct gd_err err = { 0 };
	struct dirent *de;
	struct stat st;
	json_t *docs;
	char *sub;
	DIR *d;
	int n = 0;

	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    strcmp(de->d_name, "templates") == 0)
			continue;
		xasprintf(&sub, "%s/%s", dir, de->d_name);
		assert_int_equal(stat(sub, &st), 0);
		if (S_ISDIR(st.st_mode))
			n += load_tree(sub);
		else if (is_yaml_name(de->d_name)) {
			if (gd_ydoc_load_file(&docs, NULL, sub, NULL, &err) < 0)
				fail_msg("%s", err.msg);
			assert_round_trips(docs, sub);
			json_decref(docs);
			n++;
		}
		free(sub);
	}
	closedir(d);
	return n;
}

static void
test_ydoc__helm_chart_files_load_and_round_trip(void **state)
{
	const char *shared = getenv("GD_SHARED");
	char *dir;

	(void)state;
	if (shared == NULL)
		fail_msg("GD_SHARED is not set (make check sets it)");
	xasprintf(&dir, "%s/conformance/helm/charts", shared);
	assert_true(load_tree(dir) >= 30);
	free(dir);
}

/* Strings that read as something else unless the emitter quotes them. */
static void
test_ydoc__tricky_strings_round_trip(void **state)
{
	json_t *docs;
	size_t i;

	(void)state;
	docs = json_array();
	for (i = 0; i < sizeof(resolve_cases) / sizeof(resolve_cases[0]); i++) {
		json_array_append_new(docs, json_string(resolve_cases[i].in));
		json_array_append_new(
		    docs, json_pack("{s:s}", resolve_cases[i].in, "v"));
	}
	json_array_append_new(docs,
	    json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[]}", "a", "line\nbreak",
		" lead", "trail ", "- x", "- x", "#c", "a: b", "k", "{x}",
		"multi", "a\n\nb\n", "empty"));
	json_array_append_new(docs,
	    json_pack("{s:i,s:f,s:f,s:b,s:n,s:{}}", "i", -7, "f", 1.5, "big",
		1e300, "b", 0, "n", "o"));
	assert_round_trips(docs, "tricky");
	json_decref(docs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ydoc__resolve_table),
		cmocka_unit_test(test_ydoc__resolve_uses_length),
		cmocka_unit_test(test_ydoc__plain_scalars_are_typed),
		cmocka_unit_test(
		    test_ydoc__quoted_and_block_scalars_stay_strings),
		cmocka_unit_test(test_ydoc__explicit_tags),
		cmocka_unit_test(test_ydoc__streams_and_empty_documents),
		cmocka_unit_test(test_ydoc__load_one_refuses_streams),
		cmocka_unit_test(test_ydoc__aliases_are_independent_copies),
		cmocka_unit_test(test_ydoc__merge_keys),
		cmocka_unit_test(test_ydoc__billion_laughs_refused_fast),
		cmocka_unit_test(test_ydoc__alias_budget_counts_every_copy),
		cmocka_unit_test(test_ydoc__depth_limit),
		cmocka_unit_test(test_ydoc__size_limit),
		cmocka_unit_test(test_ydoc__duplicate_keys),
		cmocka_unit_test(test_ydoc__duplicates_allowed_when_asked),
		cmocka_unit_test(test_ydoc__keys_become_strings),
		cmocka_unit_test(test_ydoc__syntax_errors_name_the_place),
		cmocka_unit_test(test_ydoc__invalid_utf8_and_nul),
		cmocka_unit_test(test_ydoc__nonfinite_floats_refused),
		cmocka_unit_test(test_ydoc__marks_point_at_keys_and_items),
		cmocka_unit_test(test_ydoc__load_file_names_the_file),
		cmocka_unit_test(
		    test_ydoc__helm_chart_files_load_and_round_trip),
		cmocka_unit_test(test_ydoc__tricky_strings_round_trip),
	};

	gd_core_init_json();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
