/* SPDX-License-Identifier: ISC */
/*
 * tmpl tests. Most expectations are Go's own: tests/fixtures/tmpl/
 * corpus.json holds templates with values and what helm-oracle (Go's
 * text/template run as Helm runs it) printed or the error it gave, and
 * every case must match byte for byte. The cases below it pin what the
 * corpus cannot show: the plain-Go missingkey mode, host objects, the
 * function table, include/tpl, and the limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/core.h"
#include "gitopsd/tmpl.h"
#include "gitopsd/ydoc.h"

#define ORACLE_NAME "c/templates/NOTES.txt"

/* Helm reads every YAML number as float64. */
static void
to_helm_numbers(json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, e) {
			if (json_is_integer(e))
				json_object_set_new(v, k,
				    json_real((double)json_integer_value(e)));
			else
				to_helm_numbers(e);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (json_is_integer(e))
				json_array_set_new(v, i,
				    json_real((double)json_integer_value(e)));
			else
				to_helm_numbers(e);
		}
	}
}

/* The top object helm-oracle gives a chart's NOTES.txt. */
static json_t *
oracle_top(const char *values_yaml)
{
	struct gd_err err = { 0 };
	json_t *vals = NULL;

	if (gd_ydoc_load_one(&vals, values_yaml, strlen(values_yaml),
		"values.yaml", &err) < 0)
		fail_msg("values: %s", err.msg);
	if (!json_is_object(vals)) {
		json_decref(vals);
		vals = json_object();
	}
	to_helm_numbers(vals);
	return json_pack(
	    "{s:o, s:{s:s, s:s, s:b, s:b, s:i, s:s}, s:{s:s, s:s}}", "Values",
	    vals, "Release", "Name", "release-name", "Namespace", "default",
	    "IsUpgrade", 0, "IsInstall", 1, "Revision", 1, "Service", "Helm",
	    "Template", "Name", ORACLE_NAME, "BasePath", "c/templates");
}

/* Replaces every "<no value>" with "", as Helm does to rendered files. */
static void
strip_no_value(struct gd_buf *b)
{
	char *p;

	while ((p = strstr(b->data, "<no value>")) != NULL) {
		memmove(p, p + 10, b->len - (size_t)(p - b->data) - 10 + 1);
		b->len -= 10;
	}
}

/*
 * Parses and runs text as Helm's engine would (missingkey=zero) with the
 * oracle's top object; returns 0 with the output in out or <0 with err.
 */
static int
render(struct gd_buf *out, const char *text, const char *values,
    const struct gd_tmpl_func *funcs, struct gd_err *err)
{
	struct gd_tmpl_set *set = gd_tmpl_set_new("gotpl", NULL);
	struct gd_tval top = gd_tval_json(oracle_top(values));
	int rc;

	gd_buf_add(out, "", 0);
	gd_tmpl_set_missingkey(set, GD_TMPL_MISSING_ZERO);
	if (funcs != NULL)
		gd_tmpl_set_funcs(set, funcs);
	if ((rc = gd_tmpl_parse(set, ORACLE_NAME, text, strlen(text), err)) ==
	    0)
		rc = gd_tmpl_execute(out, set, ORACLE_NAME, &top, err);
	gd_tval_dispose(&top);
	gd_tmpl_set_free(set);
	if (rc == 0)
		strip_no_value(out);
	return rc;
}

static void
expect_out(const char *text, const char *values, const char *want)
{
	struct gd_err err = { 0 };
	struct gd_buf out;

	gd_buf_init(&out);
	if (render(&out, text, values, NULL, &err) < 0)
		fail_msg("%s: unexpected error: %s", text, err.msg);
	if (strcmp(out.data, want) != 0)
		fail_msg("%s:\n got: [%s]\nwant: [%s]", text, out.data, want);
	gd_buf_dispose(&out);
}

static void
expect_err(const char *text, const char *values, const char *want)
{
	struct gd_err err = { 0 };
	struct gd_buf out;

	gd_buf_init(&out);
	if (render(&out, text, values, NULL, &err) == 0)
		fail_msg("%s: no error, printed [%s]", text, out.data);
	if (strcmp(err.msg, want) != 0)
		fail_msg("%s:\n got: %s\nwant: %s", text, err.msg, want);
	gd_buf_dispose(&out);
}

/* --- the differential corpus ---------------------------------------------- */

static void
test_tmpl__corpus_matches_go(void **state)
{
	char path[4096];
	const char *src = getenv("GD_SRCDIR");
	struct gd_err err = { 0 };
	json_error_t jerr;
	json_t *corpus, *c;
	size_t i, bad = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/fixtures/tmpl/corpus.json",
	    src != NULL ? src : ".");
	corpus = json_load_file(path, 0, &jerr);
	if (corpus == NULL)
		fail_msg("%s: %s", path, jerr.text);
	json_array_foreach(corpus, i, c) {
		const char *name =
		    json_string_value(json_object_get(c, "name"));
		const char *text =
		    json_string_value(json_object_get(c, "tmpl"));
		const char *vals =
		    json_string_value(json_object_get(c, "values"));
		const char *want = json_string_value(json_object_get(c, "out"));
		const char *werr = json_string_value(json_object_get(c, "err"));
		struct gd_buf out;
		int rc;

		gd_buf_init(&out);
		gd_err_clear(&err);
		rc = render(&out, text, vals != NULL ? vals : "", NULL, &err);
		if (werr != NULL) {
			/* our messages are cut at sizeof(err.msg) - 1 */
			if (rc == 0 ||
			    strncmp(err.msg, werr, strlen(err.msg)) != 0 ||
			    strlen(err.msg) <
				(strlen(werr) < 255 ? strlen(werr) : 255)) {
				printf("corpus %s: %s\n  want error: %s\n   "
				       "got: %s\n",
				    name, text, werr,
				    rc == 0 ? out.data : err.msg);
				bad++;
			}
		} else if (rc < 0 || strcmp(out.data, want) != 0) {
			printf("corpus %s: %s\n  want: [%s]\n   got: [%s]\n",
			    name, text, want, rc < 0 ? err.msg : out.data);
			bad++;
		}
		gd_buf_dispose(&out);
	}
	printf("corpus: %zu cases, %zu differ from Go\n",
	    json_array_size(corpus), bad);
	json_decref(corpus);
	assert_int_equal(bad, 0);
}

/* --- language ---------------------------------------------------------------
 */

static void
test_tmpl__trim_markers_and_comments(void **state)
{
	(void)state;
	expect_out("a  {{- 1 -}}  b", "", "a1b");
	expect_out("a {{-3}} b", "", "a -3 b");
	expect_out("x\n{{- /* c\nd */ -}}\ny", "", "xy");
	expect_out("{{/* only */}}", "", "");
}

/*
 * Go's strconv.Unquote reads a byte that starts no UTF-8 sequence in a
 * quoted string as U+FFFD; a raw string keeps its bytes. (Such a name
 * once reached include as NULL: fuzz_helm_memo found it.)
 */
static void
test_tmpl__invalid_utf8_in_strings(void **state)
{
	(void)state;
	expect_out("{{ len \"h\xff\" }}", "", "4");
	expect_out("{{ \"h\xff\" }}", "", "h\xef\xbf\xbd");
	expect_out("{{ len \"\xe2\x82x\" }}", "", "7");
	expect_out("{{ len \"\xe2\x82\xac\" }}", "", "3");
	expect_out("{{ len `h\xff` }}", "", "2");
	expect_err("{{ template \"h\xff\" }}", "",
	    "template: c/templates/NOTES.txt:1:12: executing "
	    "\"c/templates/NOTES.txt\" at "
	    "<{{template \"h\xef\xbf\xbd\"}}>: template \"h\xef\xbf\xbd\" "
	    "not defined");
}

static void
test_tmpl__missing_key_and_nil(void **state)
{
	(void)state;
	/* Helm: missing and null both print nothing; print shows <nil> */
	expect_out(
	    "[{{ .Values.nope }}][{{ .Values.n }}][{{ print .Values.n }}]",
	    "n: null\n", "[][][<nil>]");
	expect_err("{{ .Values.nope.deeper }}", "",
	    "template: " ORACLE_NAME ":1:10: executing \"" ORACLE_NAME
	    "\" at <.Values.nope.deeper>: nil pointer evaluating interface "
	    "{}.deeper");
}

static void
test_tmpl__int_vs_float_comparison_is_an_error(void **state)
{
	(void)state;
	expect_err("{{ eq .Values.replicas 1 }}", "replicas: 1\n",
	    "template: " ORACLE_NAME ":1:3: executing \"" ORACLE_NAME
	    "\" at <eq .Values.replicas 1>: error calling eq: incompatible "
	    "types for comparison");
	expect_out("{{ eq .Values.replicas 1.0 }}", "replicas: 1\n", "true");
}

static void
test_tmpl__float_formatting(void **state)
{
	(void)state;
	expect_out(
	    "{{ .Values.a }} {{ .Values.b }} {{ .Values.c }} {{ .Values.d }}",
	    "a: 1000000\nb: 123456\nc: 0.000012\nd: 3.0\n",
	    "1e+06 123456 1.2e-05 3");
	/*
	 * Go's parsenum: a width past a million gives up on the format
	 * (fuzz_tmpl found a map printed with a width of millions).
	 */
	expect_out("{{ printf \"x%66666666666615ay\" 1 }}", "",
	    "x%!(NOVERB)%!(EXTRA int=1)");
	expect_out("{{ printf \"%1000001d|\" 1 | len }}", "", "1000002");
}

static void
test_tmpl__range_sorted_map_break_continue(void **state)
{
	(void)state;
	expect_out("{{ range $k, $v := .Values.m }}{{ $k }}={{ $v }};{{ end }}",
	    "m: {b: 2, a: 1, c: 3}\n", "a=1;b=2;c=3;");
	expect_out(
	    "{{ range .Values.l }}{{ if eq . 2.0 }}{{ continue }}{{ end }}"
	    "{{ if eq . 4.0 }}{{ break }}{{ end }}{{ . }}{{ end }}",
	    "l: [1, 2, 3, 4, 5]\n", "13");
	expect_out("{{ range 3 }}{{ . }}{{ end }}", "", "012");
	expect_out(
	    "{{ range .Values.none }}x{{ else }}empty{{ end }}", "", "empty");
}

/* Plain Go (missingkey=default): a missing key is "<no value>". */
static void
test_tmpl__plain_go_missing_key_prints_no_value(void **state)
{
	struct gd_tmpl_set *set = gd_tmpl_set_new("t", NULL);
	struct gd_tval data = gd_tval_json(json_pack("{s:i}", "a", 1));
	struct gd_err err = { 0 };
	struct gd_buf out;
	const char *t = "{{ .a }} {{ .b }} {{ .b.c }}";

	(void)state;
	gd_buf_init(&out);
	gd_buf_add(&out, "", 0);
	assert_int_equal(gd_tmpl_parse(set, "t", t, strlen(t), &err), 0);
	assert_int_equal(gd_tmpl_execute(&out, set, "t", &data, &err), 0);
	assert_string_equal(out.data, "1 <no value> <no value>");
	gd_buf_dispose(&out);
	gd_tval_dispose(&data);
	gd_tmpl_set_free(set);
}

/* --- functions, include, tpl ------------------------------------------------
 */

static int
fn_include(struct gd_tval *out, struct gd_tmpl_call *c, struct gd_tval *a,
    size_t n, struct gd_err *err)
{
	struct gd_buf b;
	int rc;

	(void)n;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	rc =
	    gd_tmpl_call_template(&b, c, json_string_value(a[0].j), &a[1], err);
	if (rc == 0)
		*out = gd_tval_json(json_stringn(b.data, b.len));
	gd_buf_dispose(&b);
	return rc;
}

static int
fn_tpl(struct gd_tval *out, struct gd_tmpl_call *c, struct gd_tval *a, size_t n,
    struct gd_err *err)
{
	struct gd_buf b;
	int rc;

	(void)n;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	rc = gd_tmpl_call_tpl(
	    &b, c, "gotpl", json_string_value(a[0].j), &a[1], err);
	if (rc == 0)
		*out = gd_tval_json(json_stringn(b.data, b.len));
	gd_buf_dispose(&b);
	return rc;
}

static int
fn_upper(struct gd_tval *out, struct gd_tmpl_call *c, struct gd_tval *a,
    size_t n, struct gd_err *err)
{
	char *s = xstrdup(json_string_value(a[0].j));
	size_t i;

	(void)c, (void)n, (void)err;
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] >= 'a' && s[i] <= 'z')
			s[i] = (char)(s[i] - 'a' + 'A');
	*out = gd_tval_json(json_string(s));
	free(s);
	return 0;
}

static int
fn_fail(struct gd_tval *out, struct gd_tmpl_call *c, struct gd_tval *a,
    size_t n, struct gd_err *err)
{
	(void)out, (void)c, (void)n;
	return gd_err_set(err, GD_EINVAL, "%s", json_string_value(a[0].j));
}

static const struct gd_tmpl_func test_funcs[] = {
	{ "include", fn_include, "sv", NULL, GD_TMPL_FN_PASSDOT },
	{ "tpl", fn_tpl, "sv", NULL, GD_TMPL_FN_VARIES },
	{ "upper", fn_upper, "s", NULL, 0 },
	{ "fail", fn_fail, "s", NULL, 0 },
	{ NULL, NULL, NULL, NULL, 0 },
};

static void
expect_funcs(const char *text, const char *want_out, const char *want_err)
{
	struct gd_err err = { 0 };
	struct gd_buf out;
	int rc;

	gd_buf_init(&out);
	rc = render(&out, text, "x: hello\n", test_funcs, &err);
	if (want_err != NULL) {
		assert_int_not_equal(rc, 0);
		assert_string_equal(err.msg, want_err);
	} else {
		if (rc != 0)
			fail_msg("%s: %s", text, err.msg);
		assert_string_equal(out.data, want_out);
	}
	gd_buf_dispose(&out);
}

static void
test_tmpl__function_table_include_and_tpl(void **state)
{
	(void)state;
	expect_funcs("{{ define \"n\" }}<{{ . }}>{{ end }}"
		     "{{ include \"n\" .Values.x | upper }}",
	    "<HELLO>", NULL);
	expect_funcs("{{ tpl \"{{ define \\\"d\\\" }}D{{ end }}"
		     "{{ .x }}{{ include \\\"d\\\" . }}\" .Values }}",
	    "helloD", NULL);
	/* a define made inside tpl does not leak out */
	expect_funcs("{{ tpl \"{{ define \\\"d\\\" }}D{{ end }}\" . }}"
		     "{{ template \"d\" }}",
	    NULL,
	    "template: " ORACLE_NAME ":1:54: executing \"" ORACLE_NAME
	    "\" at <{{template \"d\"}}>: template \"d\" not defined");
	expect_funcs("{{ upper 1 }}", NULL,
	    "template: " ORACLE_NAME ":1:9: executing \"" ORACLE_NAME
	    "\" at <1>: expected string; found 1");
	expect_funcs("{{ .Values.nope | upper }}", NULL,
	    "template: " ORACLE_NAME ":1:18: executing \"" ORACLE_NAME
	    "\" at <upper>: invalid value; expected string");
	expect_funcs("{{ fail \"boom\" }}", NULL,
	    "template: " ORACLE_NAME ":1:3: executing \"" ORACLE_NAME
	    "\" at <fail \"boom\">: error calling fail: boom");
}

/* --- host objects ------------------------------------------------------------
 */

static int
caps_field(struct gd_tval *out, struct gd_tmpl_obj *o, const char *name,
    struct gd_tval *args, size_t nargs, struct gd_err *err)
{
	(void)o;
	if (strcmp(name, "Version") == 0) {
		*out = gd_tval_json(json_string("v1.20.0"));
		return 0;
	}
	if (strcmp(name, "Has") == 0) {
		if (nargs != 1 || !json_is_string(args[0].j))
			return gd_err_set(err, GD_EINVAL, "Has wants a string");
		*out = gd_tval_json(json_boolean(
		    strcmp(json_string_value(args[0].j), "apps/v1") == 0));
		return 0;
	}
	return GD_ENOTFOUND;
}

static void
caps_print(struct gd_buf *b, const struct gd_tmpl_obj *o)
{
	(void)o;
	gd_buf_adds(b, "v1.20.0");
}

static const struct gd_tmpl_objtype caps_type = { "*chartutil.Capabilities",
	caps_field, caps_print, NULL, NULL };

static void
test_tmpl__host_objects_fields_and_methods(void **state)
{
	struct gd_tmpl_set *set = gd_tmpl_set_new("t", NULL);
	struct gd_tval data = gd_tval_json(json_object());
	struct gd_tmpl_obj *caps = gd_tmpl_obj_new(&caps_type, NULL);
	struct gd_err err = { 0 };
	struct gd_buf out;
	const char *t = "{{ .C }} {{ .C.Version }} {{ .C.Has \"apps/v1\" }} "
			"{{ if .C.Has \"x/v1\" }}yes{{ else }}no{{ end }}";
	const char *bad = "{{ .C.Nope }}";

	(void)state;
	json_object_set_new(data.j, "C", gd_tmpl_obj_json(caps));
	gd_buf_init(&out);
	gd_buf_add(&out, "", 0);
	assert_int_equal(gd_tmpl_parse(set, "t", t, strlen(t), &err), 0);
	if (gd_tmpl_execute(&out, set, "t", &data, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(out.data, "v1.20.0 v1.20.0 true no");
	assert_int_equal(gd_tmpl_parse(set, "b", bad, strlen(bad), &err), 0);
	assert_int_not_equal(gd_tmpl_execute(&out, set, "b", &data, &err), 0);
	gd_tmpl_obj_unref(caps);
	assert_string_equal(err.msg,
	    "template: b:1:5: executing \"b\" at <.C.Nope>: can't evaluate "
	    "field Nope in type *chartutil.Capabilities");
	gd_buf_dispose(&out);
	gd_tval_dispose(&data);
	gd_tmpl_set_free(set);
}

/* --- limits --------------------------------------------------------------- */

static void
test_tmpl__limits_stop_runaway_templates(void **state)
{
	struct gd_tmpl_limits lim = { .max_output = 1000, .max_ops = 100000 };
	struct gd_tmpl_set *set = gd_tmpl_set_new("t", &lim);
	struct gd_tval data = gd_tval_json(json_object());
	struct gd_err err = { 0 };
	struct gd_buf out;
	const char *rec = "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}"
			  "{{ template \"r\" . }}";
	const char *big = "{{ range 100000 }}xxxxxxxxxx{{ end }}";
	const char *loop = "{{ range 100000000 }}{{ end }}";
	char deep[5000];
	size_t i;

	(void)state;
	gd_buf_init(&out);
	assert_int_equal(gd_tmpl_parse(set, "rec", rec, strlen(rec), &err), 0);
	assert_int_not_equal(gd_tmpl_execute(&out, set, "rec", &data, &err), 0);
	assert_non_null(strstr(err.msg, "exceeded maximum template depth"));
	assert_int_equal(gd_tmpl_parse(set, "big", big, strlen(big), &err), 0);
	assert_int_equal(
	    gd_tmpl_execute(&out, set, "big", &data, &err), GD_ETOOBIG);
	assert_int_equal(
	    gd_tmpl_parse(set, "loop", loop, strlen(loop), &err), 0);
	assert_int_equal(
	    gd_tmpl_execute(&out, set, "loop", &data, &err), GD_ETOOBIG);
	memcpy(deep, "{{", 2);
	for (i = 2; i < 2402; i++)
		deep[i] = '(';
	memcpy(deep + i, "1}}", 4);
	assert_int_not_equal(
	    gd_tmpl_parse(set, "deep", deep, strlen(deep), &err), 0);
	assert_non_null(strstr(err.msg, "max expression depth exceeded"));
	gd_buf_dispose(&out);
	gd_tval_dispose(&data);
	gd_tmpl_set_free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tmpl__trim_markers_and_comments),
		cmocka_unit_test(test_tmpl__invalid_utf8_in_strings),
		cmocka_unit_test(test_tmpl__missing_key_and_nil),
		cmocka_unit_test(
		    test_tmpl__int_vs_float_comparison_is_an_error),
		cmocka_unit_test(test_tmpl__float_formatting),
		cmocka_unit_test(test_tmpl__range_sorted_map_break_continue),
		cmocka_unit_test(
		    test_tmpl__plain_go_missing_key_prints_no_value),
		cmocka_unit_test(test_tmpl__function_table_include_and_tpl),
		cmocka_unit_test(test_tmpl__host_objects_fields_and_methods),
		cmocka_unit_test(test_tmpl__limits_stop_runaway_templates),
		cmocka_unit_test(test_tmpl__corpus_matches_go),
	};

	gd_core_init_json();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
