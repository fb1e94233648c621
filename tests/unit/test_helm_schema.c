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

#include "../../server/helm/helm_int.h"

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

/*
 * Each case fails with its lines after "app:\n", or renders (want NULL).
 * gd_err holds 255 bytes: a case's whole text must fit.
 */
static void
schema_cases(const struct kw_case *cases, size_t n)
{
	struct gd_err err;
	char *want = NULL;
	bool bad;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		memset(&err, 0, sizeof(err));
		rc = schema_one(cases[i].schema, cases[i].values, &err);
		if (cases[i].want == NULL) {
			if (rc != 0)
				fail_msg("case %zu: %s", i, err.msg);
			continue;
		}
		xasprintf(&want, HEAD "app:\n%s", cases[i].want);
		assert_true(strlen(want) < sizeof(err.msg));
		bad = rc != GD_EINVAL || strcmp(err.msg, want) != 0;
		if (bad)
			print_error("case %zu:\n got: %s\nwant: %s\n", i,
			    rc == 0 ? "a render" : err.msg, want);
		free(want);
		if (bad)
			fail();
	}
}

#define CASES(a) schema_cases(a, sizeof(a) / sizeof(a[0]))

static void
test_helm_schema__each_keyword_gives_gojsonschema_message(void **state)
{
	(void)state;
	CASES(kw_cases);
}

struct fmt_case {
	const char *format;
	const char *value; /* the string checked */
	bool valid;
};

/* What gojsonschema v1.2.0 (over Go's own parsers) says of each. */
static const struct fmt_case fmt_cases[] = {
	{ "date-time", "2024-02-29T12:30:00Z", true },
	{ "date-time", "2024-01-01T00:00:00.123+02:00", true },
	{ "date-time", "12:30:00", true },
	{ "date-time", "2024-01-31", true },
	{ "date-time", "2023-02-29T00:00:00Z", false },
	{ "date-time", "2024-01-01 12:00:00Z", false },
	{ "date-time", "2024-01-01T12:00:00", false },
	{ "date-time", "2024-01-01t12:00:00z", false },
	{ "date-time", "2024-13-01", false },
	{ "date-time", "2024-01-01T12:00:60Z", false },
	{ "date", "2000-02-29", true },
	{ "date", "1900-02-29", false },
	{ "date", "2024-2-01", false },
	{ "date", "2024-04-31", false },
	{ "date", "2024-01-01T00:00:00Z", false },
	{ "time", "23:59:59", true },
	{ "time", "08:00:00Z", true },
	{ "time", "08:00:00.5-05:30", true },
	{ "time", "8:00", false },
	{ "time", "23:60:00", false },
	{ "time", "12:00:00+1:00", false },
	{ "email", "a.b+c@example.com", true },
	{ "email", "Joe Doe <joe@example.com>", true },
	{ "email", "\"a b\"@x.y", true },
	{ "email", "<x@y>", true },
	{ "email", "a..b@x.y", false },
	{ "email", "joe", false },
	{ "email", "a@", false },
	{ "email", "a@b c", false },
	{ "email", "@b.c", false },
	{ "email", "Joe <joe@example.com", false },
	{ "idn-email",
	    "j\xc3\xb6"
	    "e@ex\xc3\xa4"
	    "mple.com",
	    true },
	{ "hostname", "my-host.example.com", true },
	{ "hostname", "a", true },
	{ "hostname", "-a.com", false },
	{ "hostname", "a_b.com", false },
	{ "hostname", "a..b", false },
	{ "hostname", "a.com.", false },
	{ "hostname", "", false },
	{ "hostname",
	    "a234567890123456789012345678901234567890123456789012345678901234"
	    ".com",
	    false },
	{ "ipv4", "10.0.0.1", true },
	{ "ipv4", "::ffff:10.0.0.1", true },
	{ "ipv4", "10.0.0", false },
	{ "ipv4", "10.0.0.256", false },
	{ "ipv4", "010.0.0.1", false },
	{ "ipv4", "::1", false },
	{ "ipv6", "::1", true },
	{ "ipv6", "fe80::1:2", true },
	{ "ipv6", "::ffff:10.0.0.1", true },
	{ "ipv6", "10.0.0.1", false },
	{ "ipv6", "fe80::1%eth0", false },
	{ "ipv6", "1::2::3", false },
	{ "ipv6", "12345::", false },
	{ "uri", "https://user@example.com:8443/a?b#c", true },
	{ "uri", "mailto:a@b.c", true },
	{ "uri", "urn:isbn:123", true },
	{ "uri", "http://[::1]:80/", true },
	{ "uri", "/relative/path", false },
	{ "uri", "http://exa mple.com/", false },
	{ "uri", "http://host:port/", false },
	{ "uri", "http://h/%zz", false },
	{ "uri", "http://h/a\\b", false },
	{ "uri", ":x", false },
	{ "uri-reference", "/relative/path", true },
	{ "uri-reference", "../a?b", true },
	{ "uri-reference", "#frag", true },
	{ "uri-reference", "", true },
	{ "uri-reference", "1a:b", false },
	{ "uri-reference", "http://h/%2", false },
	{ "iri", "https://example.com", true },
	{ "iri", "example.com/x", false },
	{ "iri-reference", "x/y", true },
	{ "uri-template", "http://example.com/{id}/x", true },
	{ "uri-template", "/a}b", true },
	{ "uri-template", "http://example.com/{id", false },
	{ "uri-template", "/a/{b{c", false },
	{ "uri-template", "http://{host}/", false },
	{ "uuid", "123e4567-e89b-12d3-a456-426614174000", true },
	{ "uuid", "123E4567-E89B-12D3-A456-426614174000", false },
	{ "uuid", "123e4567e89b12d3a456426614174000", false },
	{ "regex", "^[a-z]+(?:-[a-z]+)*$", true },
	{ "regex", "(?i)abc", true },
	{ "regex", "", true },
	{ "regex", "a{2,3}?b", true },
	{ "regex", "\\d+\\.\\pL\\p{Greek}", true },
	{ "regex", "[[:alpha:]\\-]", true },
	{ "regex", "x{", true },
	{ "regex", "(?P<n>a)|\\x{41}\\Q*+\\E", true },
	{ "regex", "a(b", false },
	{ "regex", "ab)", false },
	{ "regex", "a**", false },
	{ "regex", "*a", false },
	{ "regex", "[z-a]", false },
	{ "regex", "[a", false },
	{ "regex", "\\1", false },
	{ "regex", "\\y", false },
	{ "regex", "x{2,1}", false },
	{ "regex", "a{1001}", false },
	{ "regex", "[[:foo:]]", false },
	{ "regex", "(?<", false },
	{ "json-pointer", "", true },
	{ "json-pointer", "/a/b~1c", true },
	{ "json-pointer", "a/b", false },
	{ "json-pointer", "/a~2", false },
	{ "relative-json-pointer", "0", true },
	{ "relative-json-pointer", "1/a", true },
	{ "relative-json-pointer", "2#", true },
	{ "relative-json-pointer", "01/a", false },
	{ "relative-json-pointer", "-1", false },
	{ "relative-json-pointer", "#", false },
	/* formats gojsonschema does not know pass */
	{ "idn-hostname", "not a host!", true },
	{ "int32", "x", true },
};

static void
test_helm_schema__format_checks_each_known_format(void **state)
{
	const struct fmt_case *fc;
	struct gd_err err;
	char *schema = NULL, *values, *want = NULL;
	json_t *v;
	size_t i;
	bool bad;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(fmt_cases) / sizeof(fmt_cases[0]); i++) {
		fc = &fmt_cases[i];
		memset(&err, 0, sizeof(err));
		xasprintf(&schema,
		    "{\"properties\":{\"v\":{\"format\":\"%s\"}}}", fc->format);
		assert_non_null(v = json_pack("{s:s}", "v", fc->value));
		values = json_dumps(v, 0);
		xasprintf(&want, HEAD "app:\n- v: Does not match format '%s'\n",
		    fc->format);
		rc = schema_one(schema, values, &err);
		bad = fc->valid ? rc != 0 :
				  rc != GD_EINVAL || strcmp(err.msg, want) != 0;
		if (bad)
			print_error("%s \"%s\": got %s\n", fc->format,
			    fc->value, rc == 0 ? "a render" : err.msg);
		free(want);
		free(values);
		json_decref(v);
		free(schema);
		if (bad)
			fail();
	}
}

/*
 * gojsonschema checks a number's format too, and its checkers take only
 * strings: any known format fails a number. Other types are not checked.
 * The format comes after a kind's other checks, enum after a number's.
 */
static const struct kw_case fmt_kinds[] = {
	{ "{\"properties\":{\"v\":{\"minimum\":10,\"format\":\"ipv4\","
	  "\"enum\":[1]}}}",
	    "{\"v\":5}",
	    "- v: Must be greater than or equal to 10\n"
	    "- v: Does not match format 'ipv4'\n"
	    "- v: v must be one of the following: 1\n" },
	{ "{\"properties\":{\"v\":{\"format\":\"int32\"}}}", "{\"v\":5}",
	    NULL },
	{ "{\"properties\":{\"v\":{\"format\":\"email\"}}}", "{\"v\":true}",
	    NULL },
	{ "{\"properties\":{\"v\":{\"format\":\"email\"}}}",
	    "{\"v\":{\"a\":[1]}}", NULL },
	{ "{\"properties\":{\"v\":{\"maxLength\":2,\"pattern\":\"^a\","
	  "\"format\":\"email\",\"enum\":[\"x\"]}}}",
	    "{\"v\":\"bcd\"}",
	    "- v: v must be one of the following: \"x\"\n"
	    "- v: String length must be less than or equal to 2\n"
	    "- v: Does not match pattern '^a'\n"
	    "- v: Does not match format 'email'\n" },
};

static void
test_helm_schema__format_on_numbers_and_other_types(void **state)
{
	(void)state;
	CASES(fmt_kinds);
}

static const struct kw_case dep_cases[] = {
	{ "{\"properties\":{\"o\":{\"dependencies\":{\"tls\":[\"cert\","
	  "\"key\"]}}}}",
	    "{\"o\":{\"tls\":true,\"cert\":\"c\"}}",
	    "- o: Has a dependency on key\n" },
	{ "{\"properties\":{\"o\":{\"dependencies\":{\"tls\":[\"cert\","
	  "\"key\"]}}}}",
	    "{\"o\":{\"cert\":\"c\"}}", NULL },
	{ "{\"properties\":{\"o\":{\"dependencies\":{\"tls\":{\"required\":"
	  "[\"cert\"],\"properties\":{\"cert\":{\"type\":\"string\"}}}}}}}",
	    "{\"o\":{\"tls\":true}}", "- o: cert is required\n" },
	{ "{\"properties\":{\"o\":{\"dependencies\":{\"tls\":{\"required\":"
	  "[\"cert\"],\"properties\":{\"cert\":{\"type\":\"string\"}}}}}}}",
	    "{\"o\":{\"tls\":1,\"cert\":2}}",
	    "- o.cert: Invalid type. Expected: string, given: integer\n" },
	{ "{\"properties\":{\"o\":{\"dependencies\":{\"tls\":false}}}}",
	    "{\"o\":{\"tls\":1}}", "- o: False always fails validation\n" },
	/* with combinators, before the object's own checks */
	{ "{\"properties\":{\"o\":{\"required\":[\"z\"],\"dependencies\":"
	  "{\"a\":[\"b\"]}}}}",
	    "{\"o\":{\"a\":1}}",
	    "- o: Has a dependency on b\n"
	    "- o: z is required\n" },
};

static void
test_helm_schema__dependencies_array_and_schema_forms(void **state)
{
	(void)state;
	CASES(dep_cases);
}

#define IF_KIND                                                                \
	"{\"properties\":{\"o\":{\"if\":{\"properties\":{\"kind\":{"           \
	"\"const\":\"a\"}}},\"then\":{\"required\":[\"x\"]},\"else\":{"        \
	"\"required\":[\"y\"]}}}}"

static const struct kw_case if_cases[] = {
	{ IF_KIND, "{\"o\":{\"kind\":\"a\"}}",
	    "- o: Must validate \"then\" as \"if\" was valid\n"
	    "- o: x is required\n" },
	{ IF_KIND, "{\"o\":{\"kind\":\"b\"}}",
	    "- o: Must validate \"else\" as \"if\" was not valid\n"
	    "- o: y is required\n" },
	{ IF_KIND, "{\"o\":{\"kind\":\"a\",\"x\":1}}", NULL },
	{ IF_KIND, "{\"o\":{\"kind\":\"b\",\"y\":1}}", NULL },
	{ "{\"properties\":{\"o\":{\"if\":{\"required\":[\"k\"]},"
	  "\"then\":false}}}",
	    "{\"o\":{\"k\":1}}",
	    "- o: Must validate \"then\" as \"if\" was valid\n"
	    "- o: False always fails validation\n" },
	/* no "then": a valid "if" asks nothing */
	{ "{\"properties\":{\"o\":{\"if\":{\"required\":[\"k\"]},"
	  "\"else\":false}}}",
	    "{\"o\":{\"k\":1}}", NULL },
};

static void
test_helm_schema__if_then_else(void **state)
{
	(void)state;
	CASES(if_cases);
}

static const struct kw_case name_cases[] = {
	{ "{\"properties\":{\"o\":{\"propertyNames\":{\"pattern\":"
	  "\"^[a-z]+$\",\"maxLength\":3}}}}",
	    "{\"o\":{\"ok\":1,\"Bad\":2}}",
	    "- o: Property name of \"Bad\" does not match\n"
	    "- o: Does not match pattern '^[a-z]+$'\n" },
	{ "{\"properties\":{\"o\":{\"propertyNames\":{\"pattern\":"
	  "\"^[a-z]+$\",\"maxLength\":3}}}}",
	    "{\"o\":{\"abcd\":1}}",
	    "- o: Property name of \"abcd\" does not match\n"
	    "- o: String length must be less than or equal to 3\n" },
	{ "{\"properties\":{\"o\":{\"propertyNames\":{\"enum\":[\"a\","
	  "\"b\"]}}}}",
	    "{\"o\":{\"c\":1}}",
	    "- o: Property name of \"c\" does not match\n"
	    "- o: o must be one of the following: \"a\", \"b\"\n" },
	{ "{\"properties\":{\"o\":{\"propertyNames\":{\"pattern\":"
	  "\"^[a-z]+$\",\"maxLength\":3}}}}",
	    "{\"o\":{\"ab\":1}}", NULL },
};

static void
test_helm_schema__property_names(void **state)
{
	(void)state;
	CASES(name_cases);
}

static const struct kw_case contains_cases[] = {
	{ "{\"properties\":{\"l\":{\"contains\":{\"type\":\"integer\","
	  "\"minimum\":5}}}}",
	    "{\"l\":[\"a\",1]}",
	    "- l: At least one of the items must match\n"
	    "- l.1: Must be greater than or equal to 5\n" },
	{ "{\"properties\":{\"l\":{\"contains\":{\"type\":\"integer\"}}}}",
	    "{\"l\":[]}", "- l: At least one of the items must match\n" },
	{ "{\"properties\":{\"l\":{\"contains\":{\"type\":\"integer\","
	  "\"minimum\":5}}}}",
	    "{\"l\":[\"a\",7]}", NULL },
	/* after uniqueItems; of items that come equally close, the first */
	{ "{\"properties\":{\"l\":{\"uniqueItems\":true,\"contains\":{"
	  "\"const\":\"x\"}}}}",
	    "{\"l\":[\"a\",\"a\"]}",
	    "- l: array items[0,1] must be unique\n"
	    "- l: At least one of the items must match\n"
	    "- l.0: l.0 does not match: \"x\"\n" },
};

static void
test_helm_schema__contains(void **state)
{
	(void)state;
	CASES(contains_cases);
}

static const struct kw_case tuple_cases[] = {
	{ "{\"properties\":{\"l\":{\"items\":[{\"type\":\"string\"},{"
	  "\"type\":\"integer\"}],\"additionalItems\":false,\"minItems\":4}}}",
	    "{\"l\":[1,2,3]}",
	    "- l.0: Invalid type. Expected: string, given: integer\n"
	    "- l: No additional items allowed on array\n"
	    "- l: Array must have at least 4 items\n" },
	{ "{\"properties\":{\"l\":{\"items\":[{\"type\":\"string\"}],"
	  "\"additionalItems\":{\"type\":\"integer\"}}}}",
	    "{\"l\":[\"a\",1,\"b\"]}",
	    "- l.2: Invalid type. Expected: integer, given: string\n" },
	{ "{\"properties\":{\"l\":{\"items\":[{\"type\":\"string\"},{"
	  "\"type\":\"integer\"}],\"additionalItems\":false}}}",
	    "{\"l\":[\"a\"]}", NULL },
	/* additionalItems means nothing beside a single items schema */
	{ "{\"properties\":{\"l\":{\"items\":{\"type\":\"string\"},"
	  "\"additionalItems\":false}}}",
	    "{\"l\":[\"a\",\"b\"]}", NULL },
};

static void
test_helm_schema__tuple_items_and_additional_items(void **state)
{
	(void)state;
	CASES(tuple_cases);
}

#define DRAFT_SCHEMA(url)                                                      \
	"{\"$schema\":\"" url "\",\"properties\":{\"o\":{\"if\":{"             \
	"\"required\":[\"a\"]},\"then\":{\"required\":[\"b\"]},"               \
	"\"propertyNames\":{\"maxLength\":1},\"const\":{\"a\":1}},\"l\":{"     \
	"\"contains\":{\"const\":1}}}}"

/* gojsonschema reads the draft from "$schema"; none or another: all. */
static const struct kw_case draft_cases[] = {
	{ DRAFT_SCHEMA("http://json-schema.org/draft-04/schema#"),
	    "{\"o\":{\"a\":1,\"cc\":2},\"l\":[2]}", NULL },
	{ DRAFT_SCHEMA("http://json-schema.org/draft-06/schema"),
	    "{\"o\":{\"a\":1,\"cc\":2}}",
	    "- o: Property name of \"cc\" does not match\n"
	    "- o: String length must be less than or equal to 1\n"
	    "- o: o does not match: {\"a\":1}\n" },
	{ DRAFT_SCHEMA("http://json-schema.org/draft-06/schema"),
	    "{\"o\":{\"a\":1},\"l\":[2]}",
	    "- l: At least one of the items must match\n"
	    "- l.0: l.0 does not match: 1\n" },
	{ DRAFT_SCHEMA("http://json-schema.org/draft-07/schema#"),
	    "{\"o\":{\"a\":1}}",
	    "- o: Must validate \"then\" as \"if\" was valid\n"
	    "- o: b is required\n" },
	{ DRAFT_SCHEMA("https://json-schema.org/draft/2020-12/schema"),
	    "{\"o\":{\"a\":1}}",
	    "- o: Must validate \"then\" as \"if\" was valid\n"
	    "- o: b is required\n" },
};

static void
test_helm_schema__draft_named_by_dollar_schema(void **state)
{
	(void)state;
	CASES(draft_cases);
}

/*
 * An object through every stage, in helm's order of messages: the
 * combinators, dependencies, if/then/else, then required, property
 * names, and last the properties themselves.
 */
static const struct kw_case order_cases[] = {
	{ "{\"properties\":{\"o\":{\"required\":[\"a\"],\"dependencies\":{"
	  "\"b\":[\"c\"]},\"if\":{\"required\":[\"b\"]},\"then\":{"
	  "\"required\":[\"d\"]},\"not\":{\"required\":[\"ee\"]}}}}",
	    "{\"o\":{\"b\":1,\"ee\":2}}",
	    "- o: Must not validate the schema (not)\n"
	    "- o: Has a dependency on c\n"
	    "- o: Must validate \"then\" as \"if\" was valid\n"
	    "- o: d is required\n"
	    "- o: a is required\n" },
	{ "{\"properties\":{\"o\":{\"required\":[\"a\"],\"propertyNames\":{"
	  "\"maxLength\":1},\"properties\":{\"b\":{\"type\":\"string\"}}}}}",
	    "{\"o\":{\"b\":1,\"ee\":2}}",
	    "- o: a is required\n"
	    "- o: Property name of \"ee\" does not match\n"
	    "- o: String length must be less than or equal to 1\n"
	    "- o.b: Invalid type. Expected: string, given: integer\n" },
	/*
	 * anyOf keeps the branch that got furthest: each finding costs
	 * gojsonschema's score two points, so one missing property beats
	 * three.
	 */
	{ "{\"properties\":{\"o\":{\"anyOf\":[{\"required\":[\"x\",\"y\","
	  "\"z\"]},{\"minProperties\":1}]}}}",
	    "{\"o\":{}}",
	    "- o: Must validate at least one schema (anyOf)\n"
	    "- o: Must have at least 1 properties\n" },
};

static void
test_helm_schema__keyword_order_as_helm(void **state)
{
	(void)state;
	CASES(order_cases);
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
		"{\"properties\":{\"name\":{\"pattern\":\"^\\\\p{Greek}\"}}}",
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

/*
 * A schema gojsonschema would not compile fails the render whatever the
 * values, naming the first keyword of the wrong shape; helm's flag to
 * skip the check skips that too.
 */
static void
test_helm_schema__misshapen_schema_fails_render(void **state)
{
	const char *files[] = { "Chart.yaml", chart_yaml, "values.schema.json",
		"{\"properties\":{\"name\":{\"type\":\"string\","
		"\"minLength\":2.0}}}",
		"templates/cm.yaml", cm_yaml, "values.yaml", "name: web\n",
		NULL };
	char *dir = schema_chart(files);
	struct gd_err err = { 0 };

	(void)state;
	assert_int_equal(schema_render(dir, NULL, false, &err), GD_EINVAL);
	assert_string_equal(err.msg,
	    HEAD "app:\nunable to compile schema: minLength must be of an "
		 "integer");
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
	    HEAD "app:\nunable to compile schema: Object has no key "
		 "'definitions'");
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

/*
 * One corpus case: the schema text as the chart's values.schema.json, the
 * values as helm holds them (every number a float64), checked as helm
 * checks the root chart. 1 when the text differs from gojsonschema's.
 */
static int
schema_corpus_case(const json_t *c)
{
	static const char chart[] = "apiVersion: v2\nname: app\nversion: 1\n";
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *sch = json_string_value(json_object_get(c, "schema"));
	const char *out = json_string_value(json_object_get(c, "out"));
	struct gd_helm_file files[2] = {
		{ "Chart.yaml", chart, sizeof(chart) - 1 },
		{ "values.schema.json", sch, strlen(sch) },
	};
	struct gd_helm_chart *ch = NULL;
	struct gd_err err = { 0 };
	char *want = NULL;
	json_t *vals;
	int rc, bad;

	assert_non_null(out);
	vals = json_deep_copy(json_object_get(c, "values"));
	helm_values_floats(vals);
	assert_int_equal(gd_helm_chart_load_files(&ch, files, 2, &err), 0);
	rc = helm_schema_check(ch, vals, &err);
	xasprintf(&want, HEAD "app:\n%s", out);
	/* gd_err keeps 255 bytes: a longer text is compared that far */
	if (strlen(want) >= sizeof(err.msg))
		want[sizeof(err.msg) - 1] = '\0';
	if (*out == '\0')
		bad = rc != 0;
	else
		bad = rc != GD_EINVAL || strcmp(err.msg, want) != 0;
	if (bad)
		printf("schema %s: %s\n  want: %s\n   got: %s\n", name, sch,
		    *out != '\0' ? want : "(valid)",
		    rc != 0 ? err.msg : "(valid)");
	free(want);
	gd_helm_chart_free(ch);
	json_decref(vals);
	return bad;
}

/*
 * tests/fixtures/helm/schema_corpus.json: schemas and values with what
 * helm 3 (the real gojsonschema v1.2.0) printed for them.
 */
static void
test_helm_schema__corpus_matches_gojsonschema(void **state)
{
	const char *src = getenv("GD_SRCDIR");
	json_error_t jerr;
	json_t *corpus, *c;
	char *path = NULL;
	size_t i, bad = 0;

	(void)state;
	xasprintf(&path, "%s/tests/fixtures/helm/schema_corpus.json",
	    src != NULL ? src : ".");
	/* numbers as helm holds values: float64s, however big */
	corpus = json_load_file(path, JSON_DECODE_INT_AS_REAL, &jerr);
	free(path);
	if (corpus == NULL)
		fail_msg("schema_corpus.json: %s", jerr.text);
	assert_true(json_array_size(corpus) >= 200);
	json_array_foreach(corpus, i, c) {
		bad += (size_t)schema_corpus_case(c);
	}
	printf("schema corpus: %zu cases, %zu differ from gojsonschema\n",
	    json_array_size(corpus), bad);
	json_decref(corpus);
	assert_int_equal(bad, 0);
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
		    test_helm_schema__misshapen_schema_fails_render),
		cmocka_unit_test(
		    test_helm_schema__costly_patterns_never_compiled),
		cmocka_unit_test(
		    test_helm_schema__format_checks_each_known_format),
		cmocka_unit_test(
		    test_helm_schema__format_on_numbers_and_other_types),
		cmocka_unit_test(
		    test_helm_schema__dependencies_array_and_schema_forms),
		cmocka_unit_test(test_helm_schema__if_then_else),
		cmocka_unit_test(test_helm_schema__property_names),
		cmocka_unit_test(test_helm_schema__contains),
		cmocka_unit_test(
		    test_helm_schema__tuple_items_and_additional_items),
		cmocka_unit_test(
		    test_helm_schema__draft_named_by_dollar_schema),
		cmocka_unit_test(test_helm_schema__keyword_order_as_helm),
		cmocka_unit_test(test_helm_schema__corpus_matches_gojsonschema),
	};

	gd_core_init_json();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
