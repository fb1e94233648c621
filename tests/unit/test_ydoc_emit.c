/* SPDX-License-Identifier: ISC */
/*
 * ydoc output: gd_ydoc_emit against texts printed by the real thing (Go's
 * sigs.k8s.io/yaml through helm-oracle, checked in under
 * tests/fixtures/ydoc/emit/, see its README.md), and gd_ydoc_canonical.
 * YAML emission is a product whose bytes matter, so emitted text is
 * compared as text; canonical JSON is compared as text for the same
 * reason (it is hashed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/ydoc.h"

/* The emitted text of v, caller frees. */
static char *
emit(const json_t *v)
{
	struct gd_buf b;

	gd_buf_init(&b);
	gd_ydoc_emit(&b, v);
	return gd_buf_detach(&b, NULL);
}

static char *
canon(const json_t *v)
{
	struct gd_buf b;

	gd_buf_init(&b);
	gd_ydoc_canonical(&b, v);
	return gd_buf_detach(&b, NULL);
}

static char *
fixture(const char *rel)
{
	const char *src = getenv("GD_SRCDIR");
	char *p;

	xasprintf(
	    &p, "%s/tests/fixtures/ydoc/emit/%s", src != NULL ? src : ".", rel);
	return p;
}

/* "a/b/values.yaml" -> "a__b__values.yaml", as gen.py names goldens. */
static char *
chart_golden_name(const char *rel)
{
	struct gd_buf b;

	gd_buf_init(&b);
	for (; *rel != '\0'; rel++) {
		if (*rel == '/')
			gd_buf_adds(&b, "__");
		else
			gd_buf_addc(&b, *rel);
	}
	return gd_buf_detach(&b, NULL);
}

/* Prints s with control characters visible, for failure messages. */
static void
show(const char *label, const char *s)
{
	fprintf(stderr, "  %s: \"", label);
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			fprintf(stderr, "\\n");
		else if ((unsigned char)*s < 0x20)
			fprintf(stderr, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, stderr);
	}
	fprintf(stderr, "\"\n");
}

static void
assert_emits(const json_t *v, const char *want)
{
	char *got = emit(v);

	if (strcmp(got, want) != 0) {
		show("want", want);
		show("got ", got);
	}
	assert_string_equal(got, want);
	free(got);
}

static void
assert_canon(const json_t *v, const char *want)
{
	char *got = canon(v);

	assert_string_equal(got, want);
	free(got);
}

/*
 * Every case in cases.json: "in" must print as "out", byte for byte. All
 * mismatches are listed before the test fails, so one run shows them all.
 */
static void
test_ydoc_emit__golden_cases(void **state)
{
	json_error_t jerr;
	json_t *cases, *c;
	size_t i, bad = 0, checked = 0;
	char *path, *got, *in;

	(void)state;
	path = fixture("cases.json");
	cases = json_load_file(path, JSON_ALLOW_NUL, &jerr);
	if (cases == NULL)
		fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
	assert_true(json_array_size(cases) >= 150);
	json_array_foreach(cases, i, c) {
		got = emit(json_object_get(c, "in"));
		if (json_is_true(json_object_get(c, "error"))) {
			/*
			 * Go refuses these characters when it re-reads its
			 * own JSON (toYaml gives ""); we print them escaped.
			 */
			assert_true(strlen(got) > 1);
			assert_int_equal(got[strlen(got) - 1], '\n');
		} else {
			checked++;
			if (strcmp(got,
				json_string_value(json_object_get(c, "out"))) !=
			    0) {
				in = json_dumps(
				    json_object_get(c, "in"), JSON_ENCODE_ANY);
				fprintf(stderr, "case %zu: in %s\n", i, in);
				show("want",
				    json_string_value(
					json_object_get(c, "out")));
				show("got ", got);
				free(in);
				bad++;
			}
		}
		free(got);
	}
	fprintf(stderr, "emit: %zu golden cases, %zu wrong\n", checked, bad);
	assert_int_equal(bad, 0);
	json_decref(cases);
	free(path);
}

/*
 * toYaml of every values.yaml of the conformance charts, loaded with our
 * loader: the goldens in charts/ are helm-oracle's toYaml of .Values.
 */
static void
test_ydoc_emit__chart_values_goldens(void **state)
{
	static const char *const names[] = {
		"chart-bad-type/values.yaml",
		"chart-with-template-lib-archive-dep/values.yaml",
		"chart-with-template-lib-dep/charts/common/values.yaml",
		"chart-with-template-lib-dep/values.yaml",
		"chart-with-template-with-invalid-template-expr/values.yaml",
		"chart-with-template-with-invalid-yaml/values.yaml",
		"issue-9027/charts/subchart/values.yaml",
		"issue-9027/values.yaml",
		"lib-chart/values.yaml",
		"object-order/values.yaml",
		"scaffold/values.yaml",
		"subchart/charts/subchartA/values.yaml",
		"subchart/charts/subchartB/values.yaml",
		"subchart/values.yaml",
	};
	const char *shared = getenv("GD_SHARED");
	struct gd_buf want;
	struct gd_err err;
	json_t *docs, *values;
	char *path, *golden, *rel, *got;
	size_t i;

	(void)state;
	if (shared == NULL)
		shared = "/work/shared";
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		xasprintf(
		    &path, "%s/conformance/helm/charts/%s", shared, names[i]);
		rel = chart_golden_name(names[i]);
		xasprintf(&golden, "charts/%s", rel);
		free(rel);
		rel = fixture(golden);
		gd_buf_init(&want);
		if (gd_buf_read_file(&want, rel, 0, &err) < 0)
			fail_msg("%s", err.msg);
		docs = NULL;
		if (gd_ydoc_load_file(&docs, NULL, path, NULL, &err) < 0)
			fail_msg("%s", err.msg);
		/* helm reads an empty values.yaml as an empty map */
		values = json_array_get(docs, 0);
		if (values == NULL || json_is_null(values))
			values = json_object();
		else
			json_incref(values);
		got = emit(values);
		if (strcmp(got, want.data) != 0) {
			fprintf(stderr, "%s:\n", names[i]);
			show("want", want.data);
			show("got ", got);
		}
		assert_string_equal(got, want.data);
		free(got);
		json_decref(values);
		json_decref(docs);
		gd_buf_dispose(&want);
		free(rel);
		free(golden);
		free(path);
	}
}

/*
 * helm's own golden for issue 9027 holds two real toYaml texts: each must
 * load and print back to the same bytes.
 */
static void
test_ydoc_emit__issue_9027_golden_round_trips(void **state)
{
	const char *shared = getenv("GD_SHARED");
	struct gd_buf text;
	struct gd_err err;
	json_t *doc;
	char *path, *start, *end, *section, *got;
	int n = 0;

	(void)state;
	if (shared == NULL)
		shared = "/work/shared";
	xasprintf(
	    &path, "%s/conformance/helm/golden/v3/issue-9027.txt", shared);
	gd_buf_init(&text);
	if (gd_buf_read_file(&text, path, 0, &err) < 0)
		fail_msg("%s", err.msg);
	/* Sections are "---\n# Source: ...\n" and then the toYaml text. */
	for (start = strstr(text.data, "# Source: "); start != NULL;
	     start = end) {
		start = strchr(start, '\n') + 1;
		end = strstr(start, "---\n");
		section = end != NULL ? xstrndup(start, (size_t)(end - start)) :
					xstrdup(start);
		if (end != NULL)
			end = strstr(end, "# Source: ");
		doc = NULL;
		if (gd_ydoc_load_one(&doc, section, strlen(section),
			"issue-9027.txt", &err) < 0)
			fail_msg("%s", err.msg);
		got = emit(doc);
		assert_string_equal(got, section);
		free(got);
		free(section);
		json_decref(doc);
		n++;
	}
	assert_int_equal(n, 2);
	gd_buf_dispose(&text);
	free(path);
}

static void
test_ydoc_emit__integers_print_exactly(void **state)
{
	json_t *v;

	(void)state;
	v = json_pack("{s:I,s:I,s:I}", "max", (json_int_t)INT64_MAX, "min",
	    (json_int_t)INT64_MIN, "zero", (json_int_t)0);
	assert_emits(v,
	    "max: 9223372036854775807\n"
	    "min: -9223372036854775808\nzero: 0\n");
	json_decref(v);
}

/* A real is what json.Marshal prints, re-read and re-printed by go-yaml. */
static void
test_ydoc_emit__reals_follow_go(void **state)
{
	static const struct {
		double in;
		const char *out;
	} t[] = {
		{ 1.0, "1\n" },
		{ -0.0, "0\n" },
		{ 1e6, "1000000\n" },
		{ 1e19, "10000000000000000000\n" }, /* re-read as uint64 */
		{ 1e20, "1e+20\n" }, /* past uint64: a float */
		{ 1e21, "1e+21\n" },
		{ 0.1, "0.1\n" },
		{ 1e-7, "1e-07\n" },
		{ 0.0001, "0.0001\n" },
		{ 0.00001, "1e-05\n" },
		{ 123456.5, "123456.5\n" },
		{ 1234567.5, "1.2345675e+06\n" },
		{ 5e-324, "5e-324\n" },
	};
	json_t *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = json_real(t[i].in);
		assert_emits(v, t[i].out);
		json_decref(v);
	}
}

/* Keys Go sorts by its natural order are still unique and all present. */
static void
test_ydoc_emit__many_keys_keep_every_entry(void **state)
{
	json_t *obj;
	char key[32], *got, *line;
	size_t i, n = 0;

	(void)state;
	obj = json_object();
	for (i = 0; i < 500; i++) {
		snprintf(key, sizeof(key), "k%zu", (i * 7919) % 500);
		json_object_set_new(obj, key, json_integer((json_int_t)i));
	}
	got = emit(obj);
	/* Numeric runs compare as numbers: k2 before k10 before k100. */
	assert_true(strstr(got, "k2: ") < strstr(got, "k10: "));
	assert_true(strstr(got, "k10: ") < strstr(got, "k100: "));
	for (line = got; (line = strchr(line, '\n')) != NULL; line++)
		n++;
	assert_int_equal(n, 500);
	free(got);
	json_decref(obj);
}

/*
 * Bytes that are not UTF-8 cannot come from a loaded document but can be
 * put in a tree with json_stringn_nocheck: they must neither crash nor
 * read past the string (ASan watches), and still give one YAML document.
 */
static void
test_ydoc_emit__broken_utf8_stays_in_bounds(void **state)
{
	static const char *const bad[] = { "\xff", "a\xc2", "\xe2\x80",
		"x \xf0\x9f", "\x80\x80 #", "\xef\xbb", "- \xe2\x80\xa8\xc2",
		"a\n\xe2\x80" };
	json_t *v, *obj;
	char *got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = json_stringn_nocheck(bad[i], strlen(bad[i]));
		obj = json_object();
		json_object_setn_new_nocheck(
		    obj, bad[i], strlen(bad[i]), json_incref(v));
		got = emit(v);
		assert_true(strlen(got) > 1);
		assert_int_equal(got[strlen(got) - 1], '\n');
		free(got);
		got = emit(obj);
		assert_non_null(strchr(got, ':'));
		free(got);
		json_decref(obj);
		json_decref(v);
	}
}

/* Deep nesting prints each level's dash on one line, as go-yaml does. */
static void
test_ydoc_emit__deep_nesting(void **state)
{
	json_t *v, *inner;
	struct gd_buf want;
	char *got;
	int i;

	(void)state;
	v = json_array();
	gd_buf_init(&want);
	for (i = 0; i < 300; i++) {
		inner = json_array();
		json_array_append_new(inner, v);
		v = inner;
		gd_buf_adds(&want, "- ");
	}
	gd_buf_adds(&want, "[]\n");
	got = emit(v);
	assert_string_equal(got, want.data);
	free(got);
	gd_buf_dispose(&want);
	json_decref(v);
}

/* A NULL tree prints as YAML null rather than crashing. */
static void
test_ydoc_emit__null_pointer_is_null(void **state)
{
	(void)state;
	assert_emits(NULL, "null\n");
	assert_canon(NULL, "null");
}

/* Text appended to a buffer that already holds something. */
static void
test_ydoc_emit__appends_to_buffer(void **state)
{
	struct gd_buf b;
	json_t *v;

	(void)state;
	gd_buf_init(&b);
	gd_buf_adds(&b, "---\n");
	v = json_pack("{s:[s,s]}", "a", "x", "y: z");
	gd_ydoc_emit(&b, v);
	assert_string_equal(b.data, "---\na:\n- x\n- 'y: z'\n");
	gd_buf_dispose(&b);
	json_decref(v);
}

static void
test_ydoc_emit__canonical_sorts_and_compacts(void **state)
{
	json_t *v;

	(void)state;
	v = json_loads("{\"b\": [1, 2.5, {\"z\": null, \"a\": true}],"
		       " \"a\": \"x\", \"B\": false, \"\": {}}",
	    0, NULL);
	assert_non_null(v);
	assert_canon(v,
	    "{\"\":{},\"B\":false,\"a\":\"x\",\"b\":[1,2.5,{\"a\":true,"
	    "\"z\":null}]}");
	json_decref(v);
}

/* 1.0 and 1 are one value; reals take their shortest exact form. */
static void
test_ydoc_emit__canonical_numbers(void **state)
{
	static const struct {
		double in;
		const char *out;
	} t[] = {
		{ 1.0, "1" },
		{ -0.0, "0" },
		{ 1e15, "1000000000000000" },
		{ 0.1, "0.1" },
		{ 2.5, "2.5" },
		{ 1.0 / 3.0, "0.3333333333333333" },
		{ 1e300, "1e+300" },
		{ 1e-7, "1e-07" },
		{ 9.2233720368547758e18, "9.223372036854776e+18" },
	};
	json_t *a, *b;
	char *ca, *cb;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		a = json_real(t[i].in);
		assert_canon(a, t[i].out);
		/* what it prints reads back as the same double */
		ca = canon(a);
		assert_true(strtod(ca, NULL) == t[i].in);
		free(ca);
		json_decref(a);
	}
	a = json_pack("{s:f,s:[f]}", "replicas", 3.0, "l", 2.0);
	b = json_pack(
	    "{s:[I],s:I}", "l", (json_int_t)2, "replicas", (json_int_t)3);
	ca = canon(a);
	cb = canon(b);
	assert_string_equal(ca, cb);
	free(ca);
	free(cb);
	json_decref(a);
	json_decref(b);
}

/* Strings are escaped exactly as jansson escapes them. */
static void
test_ydoc_emit__canonical_strings_match_jansson(void **state)
{
	char s[4], *want, *got;
	json_t *v;
	int c;

	(void)state;
	for (c = 0; c < 0x80; c++) {
		s[0] = 'a';
		s[1] = (char)c;
		s[2] = 'b';
		v = json_stringn(s, 3);
		want = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		got = canon(v);
		assert_string_equal(got, want);
		free(want);
		free(got);
		json_decref(v);
	}
	v = json_pack("{s:s}", "k\"\n", "é/\xe2\x80\xa8");
	assert_canon(v, "{\"k\\\"\\n\":\"é/\xe2\x80\xa8\"}");
	json_decref(v);
}

/* Canonical text is JSON that loads back to an equal tree. */
static void
test_ydoc_emit__canonical_reads_back(void **state)
{
	json_t *v, *back;
	char *txt;

	(void)state;
	v = json_loads(
	    "{\"spec\":{\"ports\":[{\"port\":80,\"name\":\"h\\t\"}],"
	    "\"ratio\":0.25,\"labels\":{\"z\":\"1\",\"a\":\"\\u0000\"}}}",
	    JSON_ALLOW_NUL, NULL);
	assert_non_null(v);
	txt = canon(v);
	back = json_loads(txt, JSON_ALLOW_NUL, NULL);
	assert_non_null(back);
	assert_true(json_equal(v, back));
	json_decref(back);
	json_decref(v);
	free(txt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ydoc_emit__golden_cases),
		cmocka_unit_test(test_ydoc_emit__chart_values_goldens),
		cmocka_unit_test(test_ydoc_emit__issue_9027_golden_round_trips),
		cmocka_unit_test(test_ydoc_emit__integers_print_exactly),
		cmocka_unit_test(test_ydoc_emit__reals_follow_go),
		cmocka_unit_test(test_ydoc_emit__many_keys_keep_every_entry),
		cmocka_unit_test(test_ydoc_emit__broken_utf8_stays_in_bounds),
		cmocka_unit_test(test_ydoc_emit__deep_nesting),
		cmocka_unit_test(test_ydoc_emit__null_pointer_is_null),
		cmocka_unit_test(test_ydoc_emit__appends_to_buffer),
		cmocka_unit_test(test_ydoc_emit__canonical_sorts_and_compacts),
		cmocka_unit_test(test_ydoc_emit__canonical_numbers),
		cmocka_unit_test(
		    test_ydoc_emit__canonical_strings_match_jansson),
		cmocka_unit_test(test_ydoc_emit__canonical_reads_back),
	};

	gd_core_init_json();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
