/* SPDX-License-Identifier: ISC */
/*
 * values.schema.json checks: charts written to a mkdtemp folder with a
 * schema, rendered with user values, must fail with helm's whole error
 * text (gojsonschema's wording) or render when the values fit. The text
 * is the product here, so it is compared as text.
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
#include "gitopsd/helm.h"

#define HEAD                                                                   \
	"values don't meet the specifications of the schema(s) in the "        \
	"following chart(s):\n"

static const char chart_yaml[] = "apiVersion: v2\nname: app\nversion: 1.0.0\n";
static const char cm_yaml[] =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
    "data:\n  a: {{ .Values.name | default \"x\" | quote }}\n";

/* The chart's files, as name, text pairs ending with NULL. */
static char *
schema_chart(const char *const *files)
{
	char tmpl[] = "/tmp/gd-helm-schema-XXXXXX", *dir, *p = NULL, *slash;
	struct gd_err err = { 0 };
	FILE *f;
	size_t i;

	assert_non_null(mkdtemp(tmpl));
	dir = xstrdup(tmpl);
	for (i = 0; files[i] != NULL; i += 2) {
		xasprintf(&p, "%s/%s", dir, files[i]);
		slash = strrchr(p, '/');
		*slash = '\0';
		assert_int_equal(gd_path_mkdirs(p, &err), 0);
		*slash = '/';
		assert_non_null(f = fopen(p, "w"));
		fputs(files[i + 1], f);
		fclose(f);
		free(p);
	}
	return dir;
}

static void
schema_rm(char *dir)
{
	char *cmd = NULL;

	/* the path is the mkdtemp folder made above */
	xasprintf(&cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(dir);
}

/* Renders the chart in dir with the user values (JSON text or NULL). */
static int
schema_render(
    const char *dir, const char *values, bool skip, struct gd_err *err)
{
	struct gd_helm_chart *ch = NULL;
	struct gd_helm_opts o = { .seed = 1, .skip_schema_validation = skip };
	struct gd_helm_result res = { 0 };
	json_t *v = NULL;
	int rc;

	if (values != NULL)
		assert_non_null(v = json_loads(values, 0, NULL));
	if ((rc = gd_helm_chart_load(&ch, dir, err)) == 0)
		rc = gd_helm_render(&res, ch, v, &o, err);
	if (rc == 0)
		assert_non_null(strstr(res.text, "kind: ConfigMap"));
	gd_helm_result_dispose(&res);
	gd_helm_chart_free(ch);
	json_decref(v);
	return rc;
}

/* One chart "app" with schema, rendered with values. */
static int
schema_one(const char *schema, const char *values, struct gd_err *err)
{
	const char *files[] = { "Chart.yaml", chart_yaml, "values.yaml",
		"name: web\n", "values.schema.json", schema,
		"templates/cm.yaml", cm_yaml, NULL };
	char *dir = schema_chart(files);
	int rc = schema_render(dir, values, false, err);

	schema_rm(dir);
	return rc;
}

static void
test_helm_schema__valid_values_render(void **state)
{
	struct gd_err err = { 0 };

	(void)state;
	assert_int_equal(
	    schema_one("{\"type\":\"object\",\"required\":"
		       "[\"name\"],\"properties\":{\"name\":"
		       "{\"type\":\"string\",\"pattern\":"
		       "\"^[\\\\w\\\\-]+$\"},\"replicas\":{\"type\":"
		       "\"integer\",\"minimum\":1}}}",
		"{\"replicas\":3.0,\"name\":\"we-b_1\"}", &err),
	    0);
}

struct kw_case {
	const char *schema;
	const char *values;
	const char *want; /* the lines after "app:\n" */
};

static const struct kw_case kw_cases[] = {
	{ "{\"properties\":{\"n\":{\"type\":\"integer\"}}}", "{\"n\":\"3\"}",
	    "- n: Invalid type. Expected: integer, given: string\n" },
	{ "{\"properties\":{\"n\":{\"type\":\"integer\"}}}", "{\"n\":2.5}",
	    "- n: Invalid type. Expected: integer, given: number\n" },
	{ "{\"properties\":{\"n\":{\"type\":[\"string\",\"null\"]}}}",
	    "{\"n\":true}",
	    "- n: Invalid type. Expected: [string,null], given: boolean\n" },
	{ "{\"required\":[\"image\",\"name\"]}", NULL,
	    "- (root): image is required\n" },
	{ "{\"properties\":{\"name\":{\"pattern\":\"^[a-z]+\\\\d$\"}}}", NULL,
	    "- name: Does not match pattern '^[a-z]+\\d$'\n" },
	{ "{\"properties\":{\"name\":{\"pattern\":\"^[\\\\w\\\\-\\\\.]+$\"}}}",
	    "{\"name\":\"a-b.c d\"}",
	    "- name: Does not match pattern '^[\\w\\-\\.]+$'\n" },
	{ "{\"properties\":{\"n\":{\"minimum\":2}}}", "{\"n\":1}",
	    "- n: Must be greater than or equal to 2\n" },
	{ "{\"properties\":{\"n\":{\"exclusiveMaximum\":1.5}}}", "{\"n\":1.5}",
	    "- n: Must be less than 1.5\n" },
	{ "{\"properties\":{\"name\":{\"enum\":[\"a\",1]}}}", NULL,
	    "- name: name must be one of the following: \"a\", 1\n" },
	{ "{\"properties\":{\"name\":{\"const\":\"api\"}}}", NULL,
	    "- name: name does not match: \"api\"\n" },
	{ "{\"properties\":{\"name\":{}},\"additionalProperties\":false}",
	    "{\"extra\":1}",
	    "- (root): Additional property extra is not allowed\n" },
	{ "{\"properties\":{\"name\":{\"maxLength\":2}}}", NULL,
	    "- name: String length must be less than or equal to 2\n" },
	{ "{\"properties\":{\"l\":{\"minItems\":3,\"uniqueItems\":true}}}",
	    "{\"l\":[1,1]}",
	    "- l: Array must have at least 3 items\n"
	    "- l: array items[0,1] must be unique\n" },
	{ "{\"properties\":{\"l\":{\"uniqueItems\":true}}}",
	    "{\"l\":[\"a\",\"a\",\"a\"]}",
	    "- l: array items[0,1] must be unique\n"
	    "- l: array items[1,2] must be unique\n" },
	{ "{\"properties\":{\"n\":{\"maximum\":1000000,\"minimum\":0.0001}}}",
	    "{\"n\":2000000}", "- n: Must be less than or equal to 1e+06\n" },
	{ "{\"properties\":{\"n\":{\"minimum\":0.0001}}}", "{\"n\":0}",
	    "- n: Must be greater than or equal to 0.0001\n" },
	{ "{\"properties\":{\"l\":{\"items\":{\"type\":\"string\"}}}}",
	    "{\"l\":[\"a\",2]}",
	    "- l.1: Invalid type. Expected: string, given: integer\n" },
	{ "{\"patternProperties\":{\"^x\":{\"type\":\"string\"}}}",
	    "{\"xa\":1}",
	    "- xa: Invalid type. Expected: string, given: integer\n" },
	{ "{\"properties\":{\"p\":{\"$ref\":\"#/definitions/port\"}},"
	  "\"definitions\":{\"port\":{\"type\":\"integer\",\"maximum\":"
	  "65535}}}",
	    "{\"p\":70000}", "- p: Must be less than or equal to 65535\n" },
	{ "{\"properties\":{\"p\":{\"$ref\":\"#/$defs/s\"}},"
	  "\"$defs\":{\"s\":{\"type\":\"string\"}}}",
	    "{\"p\":1}",
	    "- p: Invalid type. Expected: string, given: integer\n" },
	{ "{\"properties\":{\"n\":{\"anyOf\":[{\"type\":\"string\"},"
	  "{\"type\":\"integer\",\"minimum\":5}]}}}",
	    "{\"n\":1}",
	    "- n: Must validate at least one schema (anyOf)\n"
	    "- n: Must be greater than or equal to 5\n" },
	{ "{\"properties\":{\"n\":{\"oneOf\":[{\"type\":\"number\"},"
	  "{\"type\":\"integer\"}]}}}",
	    "{\"n\":1}",
	    "- n: Must validate one and only one schema (oneOf)\n" },
	{ "{\"properties\":{\"n\":{\"allOf\":[{\"type\":\"integer\"},"
	  "{\"maximum\":0}]}}}",
	    "{\"n\":1}",
	    "- n: Must be less than or equal to 0\n"
	    "- n: Must validate all the schemas (allOf)\n" },
	{ "{\"properties\":{\"n\":{\"not\":{\"type\":\"integer\"}}}}",
	    "{\"n\":1}", "- n: Must not validate the schema (not)\n" },
	{ "{\"properties\":{\"o\":{\"type\":\"object\",\"required\":[\"k\"],"
	  "\"additionalProperties\":{\"type\":\"boolean\"}}}}",
	    "{\"o\":{\"z\":\"y\"}}",
	    "- o: k is required\n"
	    "- o.z: Invalid type. Expected: boolean, given: string\n" },
};

static void
test_helm_schema__each_keyword_gives_gojsonschema_message(void **state)
{
	struct gd_err err;
	char *want = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(kw_cases) / sizeof(kw_cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		xasprintf(&want, HEAD "app:\n%s", kw_cases[i].want);
		if (schema_one(kw_cases[i].schema, kw_cases[i].values, &err) !=
		    GD_EINVAL)
			fail_msg("case %zu: rendered", i);
		if (strcmp(err.msg, want) != 0)
			fail_msg(
			    "case %zu:\n got: %s\nwant: %s", i, err.msg, want);
		free(want);
	}
}

static void
test_helm_schema__subchart_schema_applies_to_its_section(void **state)
{
	const char *files[] = { "Chart.yaml", chart_yaml, "values.yaml",
		"db:\n  port: 5432\n", "templates/cm.yaml", cm_yaml,
		"charts/db/Chart.yaml",
		"apiVersion: v2\nname: db\nversion: 0.1.0\n",
		"charts/db/values.yaml", "port: 1\n",
		"charts/db/values.schema.json",
		"{\"properties\":{\"port\":{\"type\":\"integer\","
		"\"maximum\":9999}},\"required\":[\"port\"]}",
		NULL };
	char *dir = schema_chart(files);
	struct gd_err err = { 0 };

	(void)state;
	/* the parent's value for db.port is what the subchart sees */
	assert_int_equal(schema_render(dir, NULL, false, &err), 0);
	assert_int_equal(
	    schema_render(dir, "{\"db\":{\"port\":10000}}", false, &err),
	    GD_EINVAL);
	assert_string_equal(
	    err.msg, HEAD "db:\n- port: Must be less than or equal to 9999\n");
	/* a root key named like the subchart's is not its section */
	assert_int_equal(
	    schema_render(dir, "{\"port\":10000}", false, &err), 0);
	schema_rm(dir);
}

static void
test_helm_schema__alias_section_and_disabled_subchart(void **state)
{
	const char *files[] = { "Chart.yaml",
		"apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n"
		"- name: db\n  version: 0.1.0\n  alias: store\n"
		"  condition: store.enabled\n",
		"values.yaml", "store:\n  enabled: true\n", "templates/cm.yaml",
		cm_yaml, "charts/db/Chart.yaml",
		"apiVersion: v2\nname: db\nversion: 0.1.0\n",
		"charts/db/values.schema.json", "{\"required\":[\"port\"]}",
		NULL };
	char *dir = schema_chart(files);
	struct gd_err err = { 0 };

	(void)state;
	/* the section and the name in the error are the alias */
	assert_int_equal(schema_render(dir, NULL, false, &err), GD_EINVAL);
	assert_string_equal(
	    err.msg, HEAD "store:\n- (root): port is required\n");
	assert_int_equal(
	    schema_render(dir, "{\"store\":{\"port\":1}}", false, &err), 0);
	/* a subchart that is off is not checked */
	assert_int_equal(
	    schema_render(dir, "{\"store\":{\"enabled\":false}}", false, &err),
	    0);
	schema_rm(dir);
}

/* helm's cmd/helm/testdata/output/schema-negative.txt, less "Error: " */
static void
test_helm_schema__helm_golden_negative(void **state)
{
	const char *files[] = { "Chart.yaml",
		"apiVersion: v2\nname: empty\nversion: 0.1.0\n", "values.yaml",
		"age: -5\nname: x\n", "values.schema.json",
		"{\"type\":\"object\",\"required\":[\"name\","
		"\"employmentInfo\"],"
		"\"properties\":{\"age\":{\"type\":\"integer\",\"minimum\":0},"
		"\"name\":{\"type\":\"string\"}}}",
		"templates/cm.yaml", cm_yaml, NULL };
	char *dir = schema_chart(files);
	struct gd_err err = { 0 };

	(void)state;
	assert_int_equal(schema_render(dir, NULL, false, &err), GD_EINVAL);
	assert_string_equal(err.msg,
	    HEAD "empty:\n- (root): employmentInfo is required\n"
		 "- age: Must be greater than or equal to 0\n");
	schema_rm(dir);
}

static void
test_helm_schema__skip_flag_and_broken_schemas(void **state)
{
	const char *files[] = { "Chart.yaml", chart_yaml, "values.schema.json",
		"{\"type\": \"object\",", "templates/cm.yaml", cm_yaml, NULL };
	const char *re2[] = { "Chart.yaml", chart_yaml, "values.schema.json",
		"{\"properties\":{\"name\":{\"pattern\":\"(?i)^a\"}}}",
		"templates/cm.yaml", cm_yaml, "values.yaml", "name: A\n",
		NULL };
	const char *broken = HEAD "app:\nunable to compile schema: ";
	char *dir = schema_chart(files);
	struct gd_err err = { 0 };

	(void)state;
	/* helm loads the chart and fails only when it validates */
	assert_int_equal(schema_render(dir, NULL, false, &err), GD_EINVAL);
	assert_true(strncmp(err.msg, broken, strlen(broken)) == 0);
	assert_int_equal(schema_render(dir, NULL, true, &err), 0);
	schema_rm(dir);

	/* RE2 syntax POSIX lacks is not enforced: the chart renders */
	dir = schema_chart(re2);
	assert_int_equal(schema_render(dir, NULL, false, &err), 0);
	assert_int_equal(schema_render(dir, NULL, true, &err), 0);
	schema_rm(dir);
}

static void
test_helm_schema__ref_loops_are_refused(void **state)
{
	struct gd_err err = { 0 };

	(void)state;
	assert_int_equal(schema_one("{\"$ref\":\"#\"}", NULL, &err), GD_EINVAL);
	assert_non_null(strstr(err.msg, "more than 128 deep"));
	assert_int_equal(
	    schema_one("{\"$ref\":\"#/definitions/nope\"}", NULL, &err),
	    GD_EINVAL);
	assert_string_equal(err.msg,
	    "values.schema.json: $ref "
	    "#/definitions/nope: no such definition");
}

/*
 * glibc's regcomp takes memory without bound on stacked repetitions: a
 * chart's schema or template must not get to run one. The schema check is
 * left out (the chart renders); a template's mustRegexMatch fails
 * clearly (regexMatch is false, as Sprig drops the error).
 */
static void
test_helm_schema__costly_patterns_never_compiled(void **state)
{
	const char *sch[] = { "Chart.yaml", chart_yaml, "values.schema.json",
		"{\"properties\":{\"name\":{\"pattern\":"
		"\"^(((((a+)+)+)+)+)+$\"}}}",
		"templates/cm.yaml", cm_yaml, "values.yaml", "name: b\n",
		NULL };
	const char *tpl[] = { "Chart.yaml", chart_yaml, "templates/cm.yaml",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
		"data:\n  a: {{ mustRegexMatch \"a+++++++b\" \"ab\" | quote "
		"}}\n",
		NULL };
	const char *ok[] = { "Chart.yaml", chart_yaml, "templates/cm.yaml",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
		"data:\n  a: {{ regexMatch \"^\\\\++$\" \"++\" | quote }}\n",
		NULL };
	struct gd_err err = { 0 };
	char *dir;

	(void)state;
	dir = schema_chart(sch);
	assert_int_equal(schema_render(dir, NULL, false, &err), 0);
	schema_rm(dir);
	dir = schema_chart(tpl);
	assert_int_equal(schema_render(dir, NULL, false, &err), GD_EINVAL);
	assert_non_null(strstr(err.msg, "too costly"));
	schema_rm(dir);
	/* an escaped "+" repeated is an ordinary expression */
	dir = schema_chart(ok);
	assert_int_equal(schema_render(dir, NULL, false, &err), 0);
	schema_rm(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_helm_schema__valid_values_render),
		cmocka_unit_test(
		    test_helm_schema__each_keyword_gives_gojsonschema_message),
		cmocka_unit_test(
		    test_helm_schema__subchart_schema_applies_to_its_section),
		cmocka_unit_test(
		    test_helm_schema__alias_section_and_disabled_subchart),
		cmocka_unit_test(test_helm_schema__helm_golden_negative),
		cmocka_unit_test(
		    test_helm_schema__skip_flag_and_broken_schemas),
		cmocka_unit_test(test_helm_schema__ref_loops_are_refused),
		cmocka_unit_test(
		    test_helm_schema__costly_patterns_never_compiled),
	};

	gd_core_init_json();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
