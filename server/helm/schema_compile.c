/* SPDX-License-Identifier: ISC */
/*
 * The checks gojsonschema v1.2.0 makes when it compiles values.schema.json,
 * before any value is looked at: each keyword must have its shape
 * ("minLength" a whole number, "required" unique strings, "pattern" a Go
 * regular expression...), and helm fails the chart with the first
 * complaint, "unable to compile schema: <why>", whatever the values.
 *
 * The hard part is saying what gojsonschema says: the keywords are
 * checked in the order of its parser, each with its own wording (some
 * name the wrong keyword, as allOf's does, and are kept so), only the
 * keywords of the schema's draft are looked at, and a "$ref" hides its
 * siblings. Go walks the members of "properties" and the like in random
 * order, so when two of them are wrong helm may name either; here the
 * first in the document is named.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helm_int.h"
#include "schema_int.h"

/*
 * How deep the walk goes: past this (a chain of "$ref"s, say) the rest is
 * left to the check itself, which refuses such depth with its own error.
 */
#define COMPILE_MAX_DEPTH 256

struct compile {
	const json_t *root;
	int draft;
	bool reals; /* every number a real: integers are whole reals */
	int depth;
	json_t *refs; /* the "$ref"s already followed, as keys */
	char *why;
};

static int compile_schema(struct compile *, const json_t *);

static int compile_fail(struct compile *c, const char *fmt, ...)
    GD_PRINTF(2, 3);

static int
compile_fail(struct compile *c, const char *fmt, ...)
{
	va_list ap;

	if (c->why == NULL) {
		va_start(ap, fmt);
		xvasprintf(&c->why, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
compile_bad_type(struct compile *c, const char *want, const char *key)
{
	return compile_fail(
	    c, "Invalid type. Expected: %s, given: %s", want, key);
}

/* A schema where one may stand: an object, or a boolean from draft 6. */
static bool
compile_is_schema(const json_t *v)
{
	return json_is_object(v) || json_is_boolean(v);
}

/*
 * gojsonschema's mustBeInteger: an integer literal ("2", not "2.0" or
 * "2e0") that fits in 64 bits, which is what jansson keeps as an integer.
 * In a document read with every number a real (one had more digits than
 * 64 bits hold), a whole number short of 2^63 passes.
 */
static int
compile_count(
    struct compile *c, const json_t *sch, const char *key, json_int_t *out)
{
	const json_t *v = json_object_get(sch, key);
	double d = json_real_value(v);

	if (v == NULL)
		return 0;
	if (c->reals && json_is_real(v) && d == floor(d) && fabs(d) < 0x1p63)
		*out = (json_int_t)d;
	else if (json_is_integer(v))
		*out = json_integer_value(v);
	else
		return compile_fail(c, "%s must be of an integer", key);
	if (*out < 0)
		return compile_fail(
		    c, "%s must be greater than or equal to 0", key);
	return 1;
}

/* "type": known names, each once. */
static int
compile_type(struct compile *c, const json_t *type)
{
	static const char *const names[] = { "array", "boolean", "integer",
		"number", "null", "object", "string" };
	const json_t *t, *u;
	const char *n;
	size_t i, j, k;

	if (type == NULL)
		return 0;
	if (!json_is_string(type) && !json_is_array(type))
		return compile_bad_type(c, "string/array of strings", "type");
	for (i = 0; i < (json_is_string(type) ? 1 : json_array_size(type));
	     i++) {
		t = json_is_string(type) ? type : json_array_get(type, i);
		if (!json_is_string(t))
			return compile_bad_type(
			    c, "string/array of strings", "type");
		n = json_string_value(t);
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strcmp(n, names[k]) == 0)
				break;
		if (k == sizeof(names) / sizeof(names[0]))
			return compile_fail(c,
			    "has a primitive type that is NOT VALID -- given: "
			    "/%s/ Expected valid values are:[array boolean "
			    "integer number null object string]",
			    n);
		for (j = 0; j < i; j++) {
			u = json_array_get(type, j);
			if (strcmp(json_string_value(u), n) == 0)
				return compile_fail(
				    c, "%s type is duplicated", n);
		}
	}
	return 0;
}

/* Each member of an object of schemas. */
static int
compile_members(struct compile *c, const json_t *map)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)(uintptr_t)map, k, v) {
		if (compile_schema(c, v) < 0)
			return -1;
	}
	return 0;
}

static int
compile_pattern_ok(const char *re)
{
	json_t *s = json_string_nocheck(re);
	bool ok = helm_schema_format_ok("regex", s);

	json_decref(s);
	return ok;
}

/* definitions, title, description: what comes before "$ref". */
static int
compile_head(struct compile *c, const json_t *sch)
{
	const json_t *v, *d;
	const char *k, *id;

	id = c->draft == 4 ? "id" :
	    c->draft == SCHEMA_HYBRID && json_object_get(sch, "id") != NULL ?
			     "id" :
			     "$id";
	if ((v = json_object_get(sch, id)) != NULL && !json_is_string(v))
		return compile_bad_type(c, "string", id);
	if ((v = json_object_get(sch, "definitions")) != NULL) {
		if (!json_is_object(v))
			return compile_bad_type(
			    c, "array of schemas", "definitions");
		json_object_foreach((json_t *)(uintptr_t)v, k, d) {
			if (!compile_is_schema(d))
				return compile_bad_type(
				    c, "array of schemas", "definitions");
			if (compile_schema(c, d) < 0)
				return -1;
		}
	}
	if ((v = json_object_get(sch, "title")) != NULL && !json_is_string(v))
		return compile_bad_type(c, "string", "title");
	if ((v = json_object_get(sch, "description")) != NULL &&
	    !json_is_string(v))
		return compile_bad_type(c, "string", "description");
	if ((v = json_object_get(sch, "$ref")) != NULL && !json_is_string(v))
		return compile_bad_type(c, "string", "$ref");
	return 0;
}

/*
 * A "$ref" is followed once, as gojsonschema keeps what it compiled. One
 * into another document is left to the check, which refuses it.
 */
static int
compile_ref(struct compile *c, const char *ref)
{
	const json_t *to;
	char *why = NULL;
	int rc;

	if (json_object_get(c->refs, ref) != NULL)
		return 0;
	json_object_set_new(c->refs, ref, json_true());
	if ((to = helm_schema_pointer(c->root, ref, &why)) == NULL) {
		rc = why != NULL ? compile_fail(c, "%s", why) : 0;
		free(why);
		return rc;
	}
	if (!compile_is_schema(to))
		return compile_fail(c, "valid schema must be of type object");
	return compile_schema(c, to);
}

/* properties, additionalProperties, patternProperties, propertyNames */
static int
compile_objects(struct compile *c, const json_t *sch)
{
	const json_t *v, *x;
	const char *k;

	if ((v = json_object_get(sch, "properties")) != NULL) {
		if (!json_is_object(v))
			return compile_fail(
			    c, "properties must be of type object");
		if (compile_members(c, v) < 0)
			return -1;
	}
	if ((v = json_object_get(sch, "additionalProperties")) != NULL) {
		if (!json_is_boolean(v) && !json_is_object(v))
			return compile_bad_type(
			    c, "boolean/valid schema", "additionalProperties");
		if (json_is_object(v) && compile_schema(c, v) < 0)
			return -1;
	}
	if ((v = json_object_get(sch, "patternProperties")) != NULL) {
		if (!json_is_object(v))
			return compile_bad_type(
			    c, "valid schema", "patternProperties");
		json_object_foreach((json_t *)(uintptr_t)v, k, x) {
			if (!compile_pattern_ok(k))
				return compile_fail(
				    c, "Invalid regex pattern '%s'", k);
			if (compile_schema(c, x) < 0)
				return -1;
		}
	}
	/* the wording names patternProperties, as gojsonschema's does */
	if (c->draft >= 6 &&
	    (v = json_object_get(sch, "propertyNames")) != NULL) {
		if (!compile_is_schema(v))
			return compile_bad_type(
			    c, "valid schema", "patternProperties");
		if (compile_schema(c, v) < 0)
			return -1;
	}
	return 0;
}

/* dependencies, items, additionalItems */
static int
compile_structure(struct compile *c, const json_t *sch)
{
	static const char dep[] =
	    "dependency must be of type schema or array of strings";
	const json_t *v, *x, *e;
	const char *k;
	size_t i;

	if ((v = json_object_get(sch, "dependencies")) != NULL) {
		if (!json_is_object(v))
			return compile_fail(
			    c, "dependencies must be of type object");
		json_object_foreach((json_t *)(uintptr_t)v, k, x) {
			if (compile_is_schema(x)) {
				if (compile_schema(c, x) < 0)
					return -1;
				continue;
			}
			if (!json_is_array(x))
				return compile_fail(c, "%s", dep);
			json_array_foreach(x, i, e) {
				if (!json_is_string(e))
					return compile_fail(c, "%s", dep);
			}
		}
	}
	if ((v = json_object_get(sch, "items")) != NULL) {
		if (json_is_array(v)) {
			json_array_foreach(v, i, x) {
				if (!compile_is_schema(x))
					return compile_bad_type(c,
					    "valid schema/array of schemas",
					    "items");
				if (compile_schema(c, x) < 0)
					return -1;
			}
		} else if (!compile_is_schema(v))
			return compile_bad_type(
			    c, "valid schema/array of schemas", "items");
		else if (compile_schema(c, v) < 0)
			return -1;
	}
	if ((v = json_object_get(sch, "additionalItems")) != NULL) {
		if (!json_is_boolean(v) && !json_is_object(v))
			return compile_bad_type(
			    c, "boolean/valid schema", "additionalItems");
		if (json_is_object(v) && compile_schema(c, v) < 0)
			return -1;
	}
	return 0;
}

/* exclusiveMinimum or exclusiveMaximum, by draft */
static int
compile_exclusive(
    struct compile *c, const json_t *sch, const char *key, const char *bound)
{
	const json_t *v = json_object_get(sch, key);

	if (v == NULL)
		return 0;
	if (c->draft == 4 && !json_is_boolean(v))
		return compile_bad_type(c, "boolean", key);
	if (c->draft == SCHEMA_HYBRID && !json_is_boolean(v) &&
	    !json_is_number(v))
		return compile_bad_type(c, "boolean/number", key);
	if (c->draft != 4 && c->draft != SCHEMA_HYBRID && !json_is_number(v))
		return compile_bad_type(c, "number", key);
	if (json_is_boolean(v) && json_object_get(sch, bound) == NULL)
		return compile_fail(
		    c, "%s cannot be used without %s", key, bound);
	return 0;
}

/* multipleOf, minimum, maximum and their exclusive forms */
static int
compile_numbers(struct compile *c, const json_t *sch)
{
	const json_t *v;

	if ((v = json_object_get(sch, "multipleOf")) != NULL) {
		if (!json_is_number(v))
			return compile_bad_type(c, "number", "multipleOf");
		if (json_number_value(v) <= 0)
			return compile_fail(
			    c, "multipleOf must be strictly greater than 0");
	}
	if ((v = json_object_get(sch, "minimum")) != NULL && !json_is_number(v))
		return compile_fail(c, "minimum must be of a number");
	if (compile_exclusive(c, sch, "exclusiveMinimum", "minimum") < 0)
		return -1;
	if ((v = json_object_get(sch, "maximum")) != NULL && !json_is_number(v))
		return compile_fail(c, "maximum must be of a number");
	return compile_exclusive(c, sch, "exclusiveMaximum", "maximum");
}

/* minLength, maxLength, pattern, format, min/maxProperties, required */
static int
compile_strings(struct compile *c, const json_t *sch)
{
	json_int_t lo = 0, hi = 0;
	const json_t *v, *e;
	int has_lo, has_hi;
	size_t i, j;

	if ((has_lo = compile_count(c, sch, "minLength", &lo)) < 0 ||
	    (has_hi = compile_count(c, sch, "maxLength", &hi)) < 0)
		return -1;
	if (has_lo && has_hi && lo > hi)
		return compile_fail(
		    c, "minLength cannot be greater than maxLength");
	if ((v = json_object_get(sch, "pattern")) != NULL) {
		if (!json_is_string(v))
			return compile_fail(c, "pattern must be of a string");
		if (!compile_pattern_ok(json_string_value(v)))
			return compile_fail(c, "pattern must be a valid regex");
	}
	if ((v = json_object_get(sch, "format")) != NULL && !json_is_string(v))
		return compile_fail(c, "format must be of type string");
	if ((has_lo = compile_count(c, sch, "minProperties", &lo)) < 0 ||
	    (has_hi = compile_count(c, sch, "maxProperties", &hi)) < 0)
		return -1;
	if (has_lo && has_hi && lo > hi)
		return compile_fail(
		    c, "minProperties cannot be greater than maxProperties");
	if ((v = json_object_get(sch, "required")) == NULL)
		return 0;
	if (!json_is_array(v))
		return compile_fail(c, "required must be of an array");
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return compile_fail(c, "required items must be string");
		for (j = 0; j < i; j++)
			if (strcmp(json_string_value(json_array_get(v, j)),
				json_string_value(e)) == 0)
				return compile_fail(
				    c, "required items must be unique");
	}
	return 0;
}

/* minItems, maxItems, uniqueItems, contains, enum */
static int
compile_arrays(struct compile *c, const json_t *sch)
{
	json_int_t n;
	const json_t *v, *e;
	size_t i, j;

	if (compile_count(c, sch, "minItems", &n) < 0 ||
	    compile_count(c, sch, "maxItems", &n) < 0)
		return -1;
	if ((v = json_object_get(sch, "uniqueItems")) != NULL &&
	    !json_is_boolean(v))
		return compile_fail(c, "uniqueItems must be of a boolean");
	if (c->draft >= 6 && (v = json_object_get(sch, "contains")) != NULL &&
	    compile_schema(c, v) < 0)
		return -1;
	if ((v = json_object_get(sch, "enum")) == NULL)
		return 0;
	if (!json_is_array(v))
		return compile_fail(c, "enum must be of an array");
	json_array_foreach(v, i, e) {
		for (j = 0; j < i; j++)
			if (helm_schema_equal(json_array_get(v, j), e))
				return compile_fail(
				    c, "enum items must be unique");
	}
	return 0;
}

/* oneOf, anyOf, allOf, not, if, then, else */
static int
compile_combine(struct compile *c, const json_t *sch)
{
	static const char *const lists[] = { "oneOf", "anyOf", "allOf" };
	static const char *const conds[] = { "if", "then", "else" };
	const json_t *v, *x;
	size_t i, k;

	for (k = 0; k < 3; k++) {
		if ((v = json_object_get(sch, lists[k])) == NULL)
			continue;
		/* allOf's complaint names anyOf, as gojsonschema's does */
		if (!json_is_array(v))
			return compile_fail(c, "%s must be of an array",
			    k == 0 ? "oneOf" : "anyOf");
		json_array_foreach(v, i, x) {
			if (compile_schema(c, x) < 0)
				return -1;
		}
	}
	if ((v = json_object_get(sch, "not")) != NULL) {
		if (!compile_is_schema(v))
			return compile_fail(c, "not must be of an object");
		if (compile_schema(c, v) < 0)
			return -1;
	}
	for (k = 0; c->draft >= 7 && k < 3; k++) {
		if ((v = json_object_get(sch, conds[k])) == NULL)
			continue;
		if (!compile_is_schema(v))
			return compile_fail(
			    c, "%s must be of an object", conds[k]);
		if (compile_schema(c, v) < 0)
			return -1;
	}
	return 0;
}

/* One schema, in the order gojsonschema's parseSchema checks it. */
static int
compile_schema(struct compile *c, const json_t *sch)
{
	const json_t *ref;
	int rc = -1;

	if (c->draft >= 6 && json_is_boolean(sch))
		return 0;
	if (!json_is_object(sch))
		return compile_fail(
		    c, "Expected: valid schema, given: Invalid JSON");
	if (c->depth >= COMPILE_MAX_DEPTH)
		return 0;
	c->depth++;
	if (compile_head(c, sch) < 0)
		goto out;
	if ((ref = json_object_get(sch, "$ref")) != NULL) {
		rc = compile_ref(c, json_string_value(ref));
		goto out;
	}
	if (compile_type(c, json_object_get(sch, "type")) < 0 ||
	    compile_objects(c, sch) < 0 || compile_structure(c, sch) < 0 ||
	    compile_numbers(c, sch) < 0 || compile_strings(c, sch) < 0 ||
	    compile_arrays(c, sch) < 0 || compile_combine(c, sch) < 0)
		goto out;
	rc = 0;
out:
	c->depth--;
	return rc;
}

char *
helm_schema_compile(const json_t *doc, int draft, bool reals)
{
	struct compile c = { doc, draft, reals, 0, NULL, NULL };
	const json_t *s;

	if (!json_is_object(doc) && !json_is_boolean(doc))
		return xstrdup("schema is invalid");
	s = json_object_get(doc, "$schema");
	if (s != NULL && !json_is_string(s))
		return xstrdup("$schema must be of type string");
	c.refs = json_object();
	compile_schema(&c, doc);
	json_decref(c.refs);
	return c.why;
}
