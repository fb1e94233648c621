/* SPDX-License-Identifier: ISC */
/*
 * values.schema.json: the JSON Schema check helm 3 runs on the coalesced
 * values of a chart and of each enabled subchart (its own section),
 * before any template runs, with gojsonschema's messages so the error
 * reads as helm's: "values don't meet the specifications of the
 * schema(s) in the following chart(s):\n<chart>:\n- <field>: <why>\n".
 *
 * The hard part is reporting as gojsonschema does, not deciding: the
 * order of the checks (combinators, then the object/array/number/string
 * ones, then properties), anyOf/oneOf keeping only the errors of the
 * branch that got furthest (its "score"), "$ref" hiding its siblings,
 * and values printed as Go prints them (json.Marshal for enum and const,
 * big.Float for bounds); multipleOf divides exactly, as gojsonschema's
 * big.Rat does. Patterns are Go's RE2, run by glibc (schema_re.c);
 * "format" has gojsonschema's checkers (schema_format.c).
 *
 * The draft is read from "$schema" as gojsonschema does: draft-04 has no
 * const, contains or propertyNames, draft-06 no if/then/else; without a
 * known "$schema" every keyword applies.
 *
 * A schema gojsonschema refuses to compile ("format": 1, minLength over
 * maxLength, ...) is refused in its words (schema_compile.c).
 * tests/fixtures/helm/schema_corpus.json holds what the real gojsonschema
 * v1.2.0 says of some 1,700 schemas and values; test_helm_schema checks
 * these files against it.
 *
 * Still left: Go iterates maps at random, so where helm's order of
 * messages for several keys of one object varies, ours follows the
 * document. "$ref" reaches only into the same file. A schema number is
 * held as a double, so one past 2^53 written with more digits than a
 * double keeps prints differently.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helm_int.h"
#include "schema_int.h"

/* How deep "$ref"s and nesting may go before the schema is refused. */
#define SCHEMA_MAX_DEPTH 128

/* Read-only once made, so renders on several threads may share it. */
struct helm_schema {
	json_t *doc; /* NULL when the file is not JSON */
	char
	    *error; /* why it is not JSON, or not a schema gojsonschema takes */
	struct helm_schema_re *re; /* its patterns (schema_re.c), or NULL */
};

/* One validation's findings: "- field: why\n" lines, and its progress. */
struct sres {
	struct gd_buf text;
	size_t nerr;
	int score;
};

/* Where in the values a check is: built on the stack, named on error. */
struct spath {
	const struct spath *up; /* NULL at the root */
	const char *key;
};

struct sctx {
	const struct helm_schema *schema;
	const json_t *root; /* for "$ref" */
	struct gd_err *err; /* a schema we cannot apply */
	int depth;
	int draft; /* 4, 6, 7 or SCHEMA_HYBRID */
};

/* The draft "$schema" names (gojsonschema drops an empty fragment). */
static int
schema_draft(const json_t *root)
{
	static const struct {
		const char *url;
		int draft;
	} known[] = {
		{ "http://json-schema.org/draft-04/schema", 4 },
		{ "http://json-schema.org/draft-06/schema", 6 },
		{ "http://json-schema.org/draft-07/schema", 7 },
	};
	const char *s = json_string_value(json_object_get(root, "$schema"));
	size_t i, n;

	if (s == NULL)
		return SCHEMA_HYBRID;
	n = strlen(s);
	if (n > 0 && s[n - 1] == '#')
		n--;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].url) == n &&
		    strncmp(s, known[i].url, n) == 0)
			return known[i].draft;
	return SCHEMA_HYBRID;
}

struct helm_schema *
helm_schema_new(const char *text, size_t len)
{
	struct helm_schema *s = xcalloc(1, sizeof(*s));
	json_error_t je;
	bool reals = false;

	/*
	 * Integers stay integers where they fit, as gojsonschema tells "2"
	 * (a length) from "2.0" (not one); past 64 bits they are numbers.
	 */
	s->doc = json_loadb(text, len, JSON_DECODE_ANY, &je);
	if (s->doc == NULL &&
	    json_error_code(&je) == json_error_numeric_overflow) {
		s->doc = json_loadb(
		    text, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &je);
		reals = true;
	}
	if (s->doc == NULL)
		xasprintf(&s->error, "%s at line %d column %d", je.text,
		    je.line, je.column);
	else if ((s->error = helm_schema_compile(
		      s->doc, schema_draft(s->doc), reals)) == NULL)
		s->re = helm_schema_re_new(s->doc);
	return s;
}

void
helm_schema_free(struct helm_schema *s)
{
	if (s == NULL)
		return;
	helm_schema_re_free(s->re);
	json_decref(s->doc);
	free(s->error);
	free(s);
}

static int validate(struct sctx *, struct sres *, const json_t *sch,
    const json_t *node, const struct spath *ctx);

static void
sres_init(struct sres *r)
{
	memset(r, 0, sizeof(*r));
	gd_buf_init(&r->text);
}

static void
sres_merge(struct sres *dst, struct sres *src)
{
	if (src->text.len > 0)
		gd_buf_add(&dst->text, src->text.data, src->text.len);
	dst->nerr += src->nerr;
	dst->score += src->score;
}

/* gojsonschema's Field(): "(root)" at the top, else "a.0.b". */
static void
schema_field(struct gd_buf *b, const struct spath *p)
{
	if (p->up == NULL) {
		gd_buf_adds(b, "(root)");
		return;
	}
	if (p->up->up != NULL) {
		schema_field(b, p->up);
		gd_buf_addc(b, '.');
	}
	gd_buf_adds(b, p->key);
}

static void sres_add(struct sres *r, const struct spath *ctx, const char *fmt,
    ...) GD_PRINTF(3, 4);

static void
sres_add(struct sres *r, const struct spath *ctx, const char *fmt, ...)
{
	va_list ap;

	gd_buf_adds(&r->text, "- ");
	schema_field(&r->text, ctx);
	gd_buf_adds(&r->text, ": ");
	va_start(ap, fmt);
	gd_buf_vprintf(&r->text, fmt, ap);
	va_end(ap);
	gd_buf_addc(&r->text, '\n');
	r->nerr++;
	/* gojsonschema: a net -1 once the check's own +1 is counted */
	r->score -= 2;
}

/* --- types ---------------------------------------------------------------
 */

static bool
schema_is_int(const json_t *v)
{
	double d;

	if (json_is_integer(v))
		return true;
	d = json_real_value(v);
	return isfinite(d) && d == floor(d);
}

static const char *
schema_given(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return schema_is_int(v) ? "integer" : "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	default:
		return "null";
	}
}

static bool
schema_type_ok(const char *want, const json_t *v)
{
	const char *given = schema_given(v);

	if (strcmp(want, given) == 0)
		return true;
	return strcmp(want, "number") == 0 && strcmp(given, "integer") == 0;
}

/* "type" (a name or a list of them): true when v is one of them. */
static bool
schema_check_type(const json_t *type, const json_t *v)
{
	const json_t *t;
	size_t i;

	if (json_is_string(type))
		return schema_type_ok(json_string_value(type), v);
	json_array_foreach(type, i, t) {
		if (json_is_string(t) &&
		    schema_type_ok(json_string_value(t), v))
			return true;
	}
	return false;
}

/* How the error names the types: "string", or "[string,null]" for a
 * list of two or more, as gojsonschema prints them. */
static void
schema_show_type(struct gd_buf *shown, const json_t *type)
{
	const json_t *t;
	size_t i;

	if (json_is_array(type) && json_array_size(type) == 1)
		type = json_array_get(type, 0);
	if (json_is_string(type)) {
		gd_buf_adds(shown, json_string_value(type));
		return;
	}
	gd_buf_addc(shown, '[');
	json_array_foreach(type, i, t) {
		if (i > 0)
			gd_buf_addc(shown, ',');
		if (json_is_string(t))
			gd_buf_adds(shown, json_string_value(t));
	}
	gd_buf_addc(shown, ']');
}

/* --- numbers and equality -------------------------------------------------
 */

static bool
schema_num(double *out, const json_t *v)
{
	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

bool
helm_schema_equal(const json_t *a, const json_t *b)
{
	const char *k;
	const json_t *x;
	size_t i;

	if (a == NULL || b == NULL)
		return a == b;
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return false;
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		json_array_foreach(a, i, x) {
			if (!helm_schema_equal(x, json_array_get(b, i)))
				return false;
		}
		return true;
	}
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach((json_t *)(uintptr_t)a, k, x) {
			const json_t *y = json_object_get(b, k);

			if (y == NULL || !helm_schema_equal(x, y))
				return false;
		}
		return true;
	}
	return json_equal(a, b);
}

/*
 * d's shortest decimal form, as Go's strconv 'e' with precision -1 finds
 * it: the fewest significant digits (into digits, no point) that read
 * back as d, and the exponent of the first one. d is finite.
 */
static void
schema_shortest(char digits[24], int *exp10, double d)
{
	char e[40], *p;
	size_t n = 0;
	int prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec - 1, d);
		if (strtod(e, NULL) == d)
			break;
	}
	snprintf(e, sizeof(e), "%.*e", prec - 1, fabs(d));
	for (p = e; *p != 'e' && *p != '\0'; p++)
		if (*p != '.')
			digits[n++] = *p;
	/* "1.500e+00" cannot come out of a shortest form: no zeros to trim */
	digits[n] = '\0';
	*exp10 = *p == 'e' ? (int)strtol(p + 1, NULL, 10) : 0;
}

/* digits with the point after its first expo+1 digits, zeros padded. */
static void
schema_fixed(struct gd_buf *b, const char *digits, int expo)
{
	int n = (int)strlen(digits), i;

	if (expo < 0) {
		gd_buf_adds(b, "0.");
		for (i = -1; i > expo; i--)
			gd_buf_addc(b, '0');
		gd_buf_adds(b, digits);
		return;
	}
	for (i = 0; i <= expo || i < n; i++) {
		if (i == expo + 1)
			gd_buf_addc(b, '.');
		gd_buf_addc(b, i < n ? digits[i] : '0');
	}
}

/* "d.ddde+XX", with at least two exponent digits unless short_exp. */
static void
schema_expo(struct gd_buf *b, const char *digits, int expo, bool short_exp)
{
	gd_buf_addc(b, digits[0]);
	if (digits[1] != '\0') {
		gd_buf_addc(b, '.');
		gd_buf_adds(b, digits + 1);
	}
	gd_buf_printf(b, short_exp ? "e%c%d" : "e%c%02d", expo < 0 ? '-' : '+',
	    expo < 0 ? -expo : expo);
}

/*
 * A schema number as gojsonschema prints it, big.Float's %v: the fewest
 * digits that read back the same, in exponent form below 1e-4 and from
 * 1e+06 on ("65535", "1.5", "1e+06").
 */
static void
schema_fmt_num(char out[64], double d)
{
	struct gd_buf b;
	char digits[24];
	int expo;

	gd_buf_init(&b);
	schema_shortest(digits, &expo, d);
	if (d < 0)
		gd_buf_addc(&b, '-');
	if (d == 0 || (expo >= -4 && expo < 6))
		schema_fixed(&b, digits, expo);
	else
		schema_expo(&b, digits, expo, false);
	snprintf(out, 64, "%s", b.data);
	gd_buf_dispose(&b);
}

/*
 * Go's encoding/json on a float64: fixed notation from 1e-6 up to 1e21,
 * else exponent form with "e-07" shortened to "e-7".
 */
static void
schema_go_num(struct gd_buf *b, double d)
{
	char digits[24];
	int expo;

	schema_shortest(digits, &expo, d);
	if (signbit(d))
		gd_buf_addc(b, '-');
	if (d == 0 || (fabs(d) >= 1e-6 && fabs(d) < 1e21))
		schema_fixed(b, digits, expo);
	else
		schema_expo(b, digits, expo, expo < 0 && expo > -10);
}

/* Go's encoding/json on a string: HTML-safe, U+2028/9 escaped. */
static void
schema_go_str(struct gd_buf *b, const char *s)
{
	const unsigned char *p;

	gd_buf_addc(b, '"');
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			gd_buf_printf(b, "\\%c", *p);
		else if (*p == '\n')
			gd_buf_adds(b, "\\n");
		else if (*p == '\r')
			gd_buf_adds(b, "\\r");
		else if (*p == '\t')
			gd_buf_adds(b, "\\t");
		else if (*p == '\b' || *p == '\f')
			/* Go 1.22 on, as helm releases are built */
			gd_buf_adds(b, *p == '\b' ? "\\b" : "\\f");
		else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&')
			gd_buf_printf(b, "\\u%04x", *p);
		else if (p[0] == 0xe2 && p[1] == 0x80 &&
		    (p[2] == 0xa8 || p[2] == 0xa9)) {
			gd_buf_printf(b, "\\u202%c", p[2] == 0xa8 ? '8' : '9');
			p += 2;
		} else
			gd_buf_addc(b, (char)*p);
	}
	gd_buf_addc(b, '"');
}

static int
schema_key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * v as gojsonschema prints an enum or const value: Go's json.Marshal of
 * the value read back as float64s, so keys sorted and numbers canonical.
 */
static void
schema_dump(struct gd_buf *b, const json_t *v)
{
	const char **keys;
	const json_t *x;
	const char *k;
	size_t i, n;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		n = 0;
		keys = xcalloc(json_object_size(v) + 1, sizeof(*keys));
		json_object_foreach((json_t *)(uintptr_t)v, k, x) {
			keys[n++] = k;
		}
		qsort(keys, n, sizeof(*keys), schema_key_cmp);
		gd_buf_addc(b, '{');
		for (i = 0; i < n; i++) {
			if (i > 0)
				gd_buf_addc(b, ',');
			schema_go_str(b, keys[i]);
			gd_buf_addc(b, ':');
			schema_dump(b, json_object_get(v, keys[i]));
		}
		gd_buf_addc(b, '}');
		free(keys);
		break;
	case JSON_ARRAY:
		gd_buf_addc(b, '[');
		json_array_foreach(v, i, x) {
			if (i > 0)
				gd_buf_addc(b, ',');
			schema_dump(b, x);
		}
		gd_buf_addc(b, ']');
		break;
	case JSON_STRING:
		schema_go_str(b, json_string_value(v));
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		schema_go_num(b, json_number_value(v));
		break;
	case JSON_TRUE:
		gd_buf_adds(b, "true");
		break;
	case JSON_FALSE:
		gd_buf_adds(b, "false");
		break;
	default:
		gd_buf_adds(b, "null");
	}
}

/* --- keywords ------------------------------------------------------------
 */

static int
schema_sub(struct sctx *c, struct sres *r, const json_t *sch,
    const json_t *node, const struct spath *ctx, const char *key)
{
	struct spath sub = { ctx, key };

	return validate(c, r, sch, node, &sub);
}

/*
 * "dependencies": a key present asks for other keys (array form), or for
 * the whole object to pass a schema, whose findings count as the
 * object's own.
 */
static int
schema_depends(struct sctx *c, struct sres *r, const json_t *sch,
    const json_t *node, const struct spath *ctx)
{
	const json_t *deps = json_object_get(sch, "dependencies"), *d, *e;
	const char *k;
	json_t *v;
	size_t i;
	int rc;

	if (!json_is_object(deps) || !json_is_object(node))
		return 0;
	json_object_foreach((json_t *)(uintptr_t)node, k, v) {
		if ((d = json_object_get(deps, k)) == NULL)
			continue;
		if (!json_is_array(d)) {
			if ((rc = validate(c, r, d, node, ctx)) < 0)
				return rc;
			continue;
		}
		json_array_foreach(d, i, e) {
			if (json_is_string(e) &&
			    json_object_get(node, json_string_value(e)) == NULL)
				sres_add(r, ctx, "Has a dependency on %s",
				    json_string_value(e));
		}
	}
	return 0;
}

/* if/then/else (draft 7): "if" only chooses; its findings are dropped. */
static int
schema_cond(struct sctx *c, struct sres *r, const json_t *sch,
    const json_t *node, const struct spath *ctx)
{
	const json_t *s = json_object_get(sch, "if");
	struct sres sub;
	bool valid;
	int rc;

	if (c->draft < 7 || (!json_is_object(s) && !json_is_boolean(s)))
		return 0;
	sres_init(&sub);
	rc = validate(c, &sub, s, node, ctx);
	valid = sub.nerr == 0;
	gd_buf_dispose(&sub.text);
	if (rc < 0 ||
	    (s = json_object_get(sch, valid ? "then" : "else")) == NULL)
		return rc;
	sres_init(&sub);
	if ((rc = validate(c, &sub, s, node, ctx)) == 0 && sub.nerr > 0) {
		sres_add(r, ctx,
		    valid ? "Must validate \"then\" as \"if\" was valid" :
			    "Must validate \"else\" as \"if\" was not valid");
		sres_merge(r, &sub);
	}
	gd_buf_dispose(&sub.text);
	return rc;
}

/* anyOf, oneOf, allOf, not, then dependencies and if/then/else */
static int
schema_combine(struct sctx *c, struct sres *r, const json_t *sch,
    const json_t *node, const struct spath *ctx)
{
	const json_t *l, *s;
	struct sres sub, best;
	size_t i, nok;
	bool have = false;
	int rc = 0;

	sres_init(&best);
	if ((l = json_object_get(sch, "anyOf")) != NULL &&
	    json_array_size(l) > 0) {
		nok = 0;
		json_array_foreach(l, i, s) {
			sres_init(&sub);
			if ((rc = validate(c, &sub, s, node, ctx)) < 0) {
				gd_buf_dispose(&sub.text);
				goto out;
			}
			if (sub.nerr == 0) {
				nok++;
				gd_buf_dispose(&sub.text);
				break;
			}
			if (!have || sub.score > best.score) {
				gd_buf_dispose(&best.text);
				best = sub;
				have = true;
			} else
				gd_buf_dispose(&sub.text);
		}
		if (nok == 0) {
			sres_add(r, ctx,
			    "Must validate at least one schema "
			    "(anyOf)");
			sres_merge(r, &best);
		}
		gd_buf_reset(&best.text);
		best.nerr = 0;
		best.score = 0;
		have = false;
	}
	if ((l = json_object_get(sch, "oneOf")) != NULL &&
	    json_array_size(l) > 0) {
		nok = 0;
		json_array_foreach(l, i, s) {
			sres_init(&sub);
			if ((rc = validate(c, &sub, s, node, ctx)) < 0) {
				gd_buf_dispose(&sub.text);
				goto out;
			}
			if (sub.nerr == 0)
				nok++;
			else if (nok == 0 &&
			    (!have || sub.score > best.score)) {
				gd_buf_dispose(&best.text);
				best = sub;
				have = true;
				continue;
			}
			gd_buf_dispose(&sub.text);
		}
		if (nok != 1) {
			sres_add(r, ctx,
			    "Must validate one and only one schema "
			    "(oneOf)");
			if (nok == 0)
				sres_merge(r, &best);
		}
	}
	if ((l = json_object_get(sch, "allOf")) != NULL &&
	    json_array_size(l) > 0) {
		nok = 0;
		json_array_foreach(l, i, s) {
			sres_init(&sub);
			rc = validate(c, &sub, s, node, ctx);
			if (sub.nerr == 0)
				nok++;
			sres_merge(r, &sub);
			gd_buf_dispose(&sub.text);
			if (rc < 0)
				goto out;
		}
		if (nok != json_array_size(l))
			sres_add(
			    r, ctx, "Must validate all the schemas (allOf)");
	}
	if ((s = json_object_get(sch, "not")) != NULL) {
		sres_init(&sub);
		rc = validate(c, &sub, s, node, ctx);
		if (rc == 0 && sub.nerr == 0)
			sres_add(r, ctx, "Must not validate the schema (not)");
		gd_buf_dispose(&sub.text);
		if (rc < 0)
			goto out;
	}
	if ((rc = schema_depends(c, r, sch, node, ctx)) < 0 ||
	    (rc = schema_cond(c, r, sch, node, ctx)) < 0)
		goto out;
	r->score++;
out:
	gd_buf_dispose(&best.text);
	return rc;
}

/* const (from draft 6) and enum */
static void
schema_common(const struct sctx *c, struct sres *r, const json_t *sch,
    const json_t *node, const struct spath *ctx)
{
	const json_t *l, *e;
	struct gd_buf b, field;
	size_t i;

	gd_buf_init(&b);
	gd_buf_init(&field);
	if (c->draft >= 6 && (e = json_object_get(sch, "const")) != NULL &&
	    !helm_schema_equal(e, node)) {
		schema_dump(&b, e);
		schema_field(&field, ctx);
		sres_add(r, ctx, "%s does not match: %s", field.data,
		    b.data != NULL ? b.data : "");
	}
	if ((l = json_object_get(sch, "enum")) != NULL && json_is_array(l) &&
	    json_array_size(l) > 0) {
		json_array_foreach(l, i, e) {
			if (helm_schema_equal(e, node))
				break;
		}
		if (i == json_array_size(l)) {
			gd_buf_reset(&b);
			gd_buf_reset(&field);
			schema_field(&field, ctx);
			json_array_foreach(l, i, e) {
				if (i > 0)
					gd_buf_adds(&b, ", ");
				schema_dump(&b, e);
			}
			sres_add(r, ctx, "%s must be one of the following: %s",
			    field.data, b.data);
		}
	}
	gd_buf_dispose(&b);
	gd_buf_dispose(&field);
	r->score++;
}

/* "<what> <lim>": the bound is printed only when it is broken. */
static void
schema_num_err(
    struct sres *r, const struct spath *ctx, const char *what, double lim)
{
	char s[64];

	schema_fmt_num(s, lim);
	sres_add(r, ctx, "%s %s", what, s);
}

/* d's shortest decimal form as an integer and a power of ten. */
static uint64_t
schema_decimal(int *pow10, double d)
{
	char digits[24];
	int expo;

	schema_shortest(digits, &expo, d);
	*pow10 = expo - (int)strlen(digits) + 1;
	return strtoull(digits, NULL, 10);
}

static uint64_t
schema_gcd(uint64_t a, uint64_t b)
{
	uint64_t t;

	while (b != 0) {
		t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/*
 * Whether v is a multiple of m (> 0) in exact arithmetic, as gojsonschema
 * divides big.Rats read from the numbers' decimal text: 0.3 is a
 * multiple of 0.1, 1e21 is not one of 7. With v = p*10^a and m = q*10^b
 * in lowest terms, v/m = (p/q) * 10^(a-b) is whole when q divides the
 * power of ten, or, for a negative power, when q is 1 and p ends in
 * enough zeros.
 */
static bool
schema_is_multiple(double v, double m)
{
	uint64_t p, q, g, tens = 1;
	int a, b, k, twos = 0, fives = 0;

	if (v == 0)
		return true;
	p = schema_decimal(&a, v);
	q = schema_decimal(&b, m);
	g = schema_gcd(p, q);
	p /= g;
	q /= g;
	k = a - b;
	if (k >= 0) {
		for (; q % 2 == 0; q /= 2)
			twos++;
		for (; q % 5 == 0; q /= 5)
			fives++;
		return q == 1 && twos <= k && fives <= k;
	}
	if (q != 1 || -k > 19)
		return false;
	while (k++ < 0)
		tens *= 10;
	return p % tens == 0;
}

/*
 * Draft 4's boolean exclusiveMaximum turns maximum into a strict bound;
 * from draft 6 on exclusiveMaximum is a bound of its own.
 */
static void
schema_number(struct sres *r, const json_t *sch, const json_t *node,
    const struct spath *ctx)
{
	double v = json_number_value(node), lim;
	const json_t *x;
	const char *f;

	if (schema_num(&lim, json_object_get(sch, "multipleOf")) && lim > 0 &&
	    !schema_is_multiple(v, lim))
		schema_num_err(r, ctx, "Must be a multiple of", lim);
	x = json_object_get(sch, "exclusiveMaximum");
	if (schema_num(&lim, json_object_get(sch, "maximum"))) {
		if (json_is_true(x) && v >= lim)
			schema_num_err(r, ctx, "Must be less than", lim);
		else if (!json_is_true(x) && v > lim)
			schema_num_err(
			    r, ctx, "Must be less than or equal to", lim);
	}
	if (schema_num(&lim, x) && v >= lim)
		schema_num_err(r, ctx, "Must be less than", lim);
	x = json_object_get(sch, "exclusiveMinimum");
	if (schema_num(&lim, json_object_get(sch, "minimum"))) {
		if (json_is_true(x) && v <= lim)
			schema_num_err(r, ctx, "Must be greater than", lim);
		else if (!json_is_true(x) && v < lim)
			schema_num_err(
			    r, ctx, "Must be greater than or equal to", lim);
	}
	if (schema_num(&lim, x) && v <= lim)
		schema_num_err(r, ctx, "Must be greater than", lim);
	f = json_string_value(json_object_get(sch, "format"));
	if (f != NULL && !helm_schema_format_ok(f, node))
		sres_add(r, ctx, "Does not match format '%s'", f);
	r->score++;
}

/* Length in characters (runes), as Go's utf8.RuneCountInString. */
static size_t
schema_runes(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static int
schema_string(struct sctx *c, struct sres *r, const json_t *sch,
    const json_t *node, const struct spath *ctx)
{
	const char *s = json_string_value(node), *pat, *f;
	size_t n = schema_runes(s);
	double lim;
	int m;

	if (schema_num(&lim, json_object_get(sch, "minLength")) &&
	    (double)n < lim)
		sres_add(r, ctx,
		    "String length must be greater than or equal to %.0f", lim);
	if (schema_num(&lim, json_object_get(sch, "maxLength")) &&
	    (double)n > lim)
		sres_add(r, ctx,
		    "String length must be less than or equal to %.0f", lim);
	pat = json_string_value(json_object_get(sch, "pattern"));
	if (pat != NULL) {
		if ((m = helm_schema_re_match(c->schema->re, pat, s, c->err)) <
		    0)
			return m;
		if (m == 0)
			sres_add(r, ctx, "Does not match pattern '%s'", pat);
	}
	f = json_string_value(json_object_get(sch, "format"));
	if (f != NULL && !helm_schema_format_ok(f, node))
		sres_add(r, ctx, "Does not match format '%s'", f);
	r->score++;
	return 0;
}

/* Item i of an array against sch, named by its index. */
static int
schema_item(struct sctx *c, struct sres *r, const json_t *sch,
    const json_t *node, size_t i, const struct spath *ctx)
{
	char idx[32];

	snprintf(idx, sizeof(idx), "%zu", i);
	return schema_sub(c, r, sch, json_array_get(node, i), ctx, idx);
}

/*
 * "items": one schema for all, or a list matched by position, when
 * "additionalItems" rules the items past the list (and is ignored
 * otherwise, as is an empty list).
 */
static int
schema_items(struct sctx *c, struct sres *r, const json_t *sch,
    const json_t *node, const struct spath *ctx)
{
	const json_t *items = json_object_get(sch, "items"), *more;
	size_t i, n = json_array_size(node), k = json_array_size(items);
	int rc;

	if (json_is_object(items) || json_is_boolean(items)) {
		for (i = 0; i < n; i++)
			if ((rc = schema_item(c, r, items, node, i, ctx)) < 0)
				return rc;
		return 0;
	}
	if (!json_is_array(items) || k == 0)
		return 0;
	for (i = 0; i < n && i < k; i++)
		if ((rc = schema_item(
			 c, r, json_array_get(items, i), node, i, ctx)) < 0)
			return rc;
	more = json_object_get(sch, "additionalItems");
	if (k < n && json_is_false(more))
		sres_add(r, ctx, "No additional items allowed on array");
	else if (json_is_object(more))
		for (i = k; i < n; i++)
			if ((rc = schema_item(c, r, more, node, i, ctx)) < 0)
				return rc;
	return 0;
}

/*
 * "contains" (from draft 6): when no item passes, the findings of the
 * item that came closest (the first best score) follow the message.
 */
static int
schema_contains(struct sctx *c, struct sres *r, const json_t *sch,
    const json_t *node, const struct spath *ctx)
{
	const json_t *s = json_object_get(sch, "contains");
	struct sres sub, best;
	bool have = false;
	size_t i;
	int rc = 0;

	if (c->draft < 6 || s == NULL)
		return 0;
	sres_init(&best);
	for (i = 0; i < json_array_size(node); i++) {
		sres_init(&sub);
		if ((rc = schema_item(c, &sub, s, node, i, ctx)) < 0 ||
		    sub.nerr == 0) {
			gd_buf_dispose(&sub.text);
			break;
		}
		if (!have || sub.score > best.score) {
			gd_buf_dispose(&best.text);
			best = sub;
			have = true;
		} else
			gd_buf_dispose(&sub.text);
	}
	if (rc == 0 && i == json_array_size(node)) {
		sres_add(r, ctx, "At least one of the items must match");
		sres_merge(r, &best);
	}
	gd_buf_dispose(&best.text);
	return rc;
}

static int
schema_array(struct sctx *c, struct sres *r, const json_t *sch,
    const json_t *node, const struct spath *ctx)
{
	size_t i, j, n = json_array_size(node);
	double lim;
	int rc;

	if ((rc = schema_items(c, r, sch, node, ctx)) < 0)
		return rc;
	if (schema_num(&lim, json_object_get(sch, "minItems")) &&
	    (double)n < lim)
		sres_add(r, ctx, "Array must have at least %.0f items", lim);
	if (schema_num(&lim, json_object_get(sch, "maxItems")) &&
	    (double)n > lim)
		sres_add(r, ctx, "Array must have at most %.0f items", lim);
	/* as Go's map of seen items: each repeat names the last one before */
	if (json_is_true(json_object_get(sch, "uniqueItems"))) {
		for (j = 1; j < n; j++) {
			for (i = j; i-- > 0;)
				if (helm_schema_equal(json_array_get(node, i),
					json_array_get(node, j)))
					break;
			if (i != (size_t)-1)
				sres_add(r, ctx,
				    "array items[%zu,%zu] must be unique", i,
				    j);
		}
	}
	if ((rc = schema_contains(c, r, sch, node, ctx)) < 0)
		return rc;
	r->score++;
	return 0;
}

/* patternProperties on one key: 1 when some pattern matched it. */
static int
schema_pattern_props(struct sctx *c, struct sres *r, const json_t *sch,
    const char *key, const json_t *v, const struct spath *ctx)
{
	json_t *pp = json_object_get(sch, "patternProperties"), *ps;
	const char *pat;
	int m, found = 0, rc;

	json_object_foreach(pp, pat, ps) {
		if ((m = helm_schema_re_match(
			 c->schema->re, pat, key, c->err)) < 0)
			return m;
		if (m == 0)
			continue;
		found = 1;
		if ((rc = schema_sub(c, r, ps, v, ctx, key)) < 0)
			return rc;
	}
	r->score += found;
	return found;
}

/*
 * "propertyNames" (from draft 6): each key, as a string, at the object's
 * own place; a key that fails is named, then why.
 */
static int
schema_names(struct sctx *c, struct sres *r, const json_t *sch,
    const json_t *node, const struct spath *ctx)
{
	const json_t *s = json_object_get(sch, "propertyNames");
	struct sres sub;
	const char *k;
	json_t *v, *name;
	int rc = 0;

	if (c->draft < 6 || s == NULL)
		return 0;
	json_object_foreach((json_t *)(uintptr_t)node, k, v) {
		(void)v;
		name = json_string_nocheck(k);
		sres_init(&sub);
		if ((rc = validate(c, &sub, s, name, ctx)) == 0 &&
		    sub.nerr > 0) {
			sres_add(r, ctx,
			    "Property name of \"%s\" does not match", k);
			sres_merge(r, &sub);
		}
		gd_buf_dispose(&sub.text);
		json_decref(name);
		if (rc < 0)
			break;
	}
	return rc;
}

static int
schema_object(struct sctx *c, struct sres *r, const json_t *sch,
    const json_t *node, const struct spath *ctx)
{
	const json_t *props = json_object_get(sch, "properties");
	const json_t *ap = json_object_get(sch, "additionalProperties"), *e;
	json_t *v;
	const char *k;
	double lim;
	size_t i;
	int m, rc;

	if (schema_num(&lim, json_object_get(sch, "minProperties")) &&
	    (double)json_object_size(node) < lim)
		sres_add(r, ctx, "Must have at least %.0f properties", lim);
	if (schema_num(&lim, json_object_get(sch, "maxProperties")) &&
	    (double)json_object_size(node) > lim)
		sres_add(r, ctx, "Must have at most %.0f properties", lim);
	json_array_foreach(json_object_get(sch, "required"), i, e) {
		if (!json_is_string(e))
			continue;
		if (json_object_get(node, json_string_value(e)) != NULL)
			r->score++;
		else
			sres_add(
			    r, ctx, "%s is required", json_string_value(e));
	}
	json_object_foreach((json_t *)(uintptr_t)node, k, v) {
		if ((m = schema_pattern_props(c, r, sch, k, v, ctx)) < 0)
			return m;
		if (json_object_get(props, k) != NULL || m == 1)
			continue;
		if (json_is_false(ap))
			sres_add(
			    r, ctx, "Additional property %s is not allowed", k);
		else if (json_is_object(ap) &&
		    (rc = schema_sub(c, r, ap, v, ctx, k)) < 0)
			return rc;
	}
	if ((rc = schema_names(c, r, sch, node, ctx)) < 0)
		return rc;
	r->score++;
	return 0;
}

/* One token of a JSON pointer, unescaped as gojsonpointer does. */
static char *
schema_token(const char *p, size_t n)
{
	char *tok = xstrndup(p, n), *d, *s;

	for (s = d = tok; *s != '\0'; s++, d++) {
		*d = *s;
		if (s[0] == '~' && (s[1] == '0' || s[1] == '1'))
			*d = *++s == '0' ? '~' : '/';
	}
	*d = '\0';
	return tok;
}

/* %XX escapes of a URL fragment decoded, as Go's url.Parse does. */
static char *
schema_unescape(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *d = out, hex[3] = { 0 };

	for (; *s != '\0'; s++) {
		if (s[0] == '%' && isxdigit((unsigned char)s[1]) &&
		    isxdigit((unsigned char)s[2])) {
			memcpy(hex, s + 1, 2);
			*d++ = (char)strtol(hex, NULL, 16);
			s += 2;
		} else
			*d++ = *s;
	}
	*d = '\0';
	return out;
}

/* Where pointer token tok leads from at, or NULL with gojsonpointer's why. */
static const json_t *
schema_step(const json_t *at, const char *raw, size_t n, char **why)
{
	char *tok = schema_token(raw, n), *end;
	const json_t *next = NULL;
	long i;

	if (json_is_object(at)) {
		if ((next = json_object_get(at, tok)) == NULL && why != NULL)
			xasprintf(why, "Object has no key '%s'", tok);
	} else if (json_is_array(at)) {
		errno = 0;
		i = strtol(tok, &end, 10);
		if (*tok == '\0' || *end != '\0' || errno != 0) {
			if (why != NULL)
				xasprintf(why, "Invalid array index '%.*s'",
				    (int)n, raw);
		} else if (i < 0 || (size_t)i >= json_array_size(at)) {
			if (why != NULL)
				xasprintf(why,
				    "Out of bound array[0,%zu] index '%ld'",
				    json_array_size(at), i);
		} else
			next = json_array_get(at, (size_t)i);
	} else if (why != NULL)
		xasprintf(why, "Invalid token reference '%.*s'", (int)n, raw);
	free(tok);
	return next;
}

const json_t *
helm_schema_pointer(const json_t *root, const char *ref, char **why)
{
	const json_t *at = root;
	const char *p, *slash;
	char *frag;

	if (why != NULL)
		*why = NULL;
	if (ref[0] != '#')
		return NULL;
	frag = schema_unescape(ref + 1);
	if (frag[0] != '\0' && frag[0] != '/') {
		if (why != NULL)
			*why = xstrdup("JSON pointer must be empty or start "
				       "with a \"/\"");
		at = NULL;
	}
	/* as Go splits it: "#/" names the key "" */
	for (p = frag; at != NULL && *p == '/'; p = slash) {
		p++;
		if ((slash = strchr(p, '/')) == NULL)
			slash = p + strlen(p);
		at = schema_step(at, p, (size_t)(slash - p), why);
	}
	free(frag);
	return at;
}

/* "#/definitions/x" or "#/$defs/x/..." within the same document. */
static int
schema_ref(const json_t **out, struct sctx *c, const char *ref)
{
	if (strcmp(ref, "#") != 0 && strncmp(ref, "#/", 2) != 0)
		return gd_err_set(c->err, GD_EINVAL,
		    "values.schema.json: $ref %s: only references within "
		    "the file (#/...) are supported",
		    ref);
	if ((*out = helm_schema_pointer(c->root, ref, NULL)) == NULL)
		return gd_err_set(c->err, GD_EINVAL,
		    "values.schema.json: $ref %s: no such definition", ref);
	return 0;
}

/* The node's own checks, once its type is known to fit. */
static int
validate_kind(struct sctx *c, struct sres *r, const json_t *sch,
    const json_t *node, const struct spath *ctx)
{
	json_t *props, *ps, *v;
	const char *k;
	int rc;

	if ((rc = schema_combine(c, r, sch, node, ctx)) < 0)
		return rc;
	if (json_is_object(node)) {
		if ((rc = schema_object(c, r, sch, node, ctx)) < 0)
			return rc;
		schema_common(c, r, sch, node, ctx);
		props = json_object_get(sch, "properties");
		json_object_foreach(props, k, ps) {
			v = json_object_get(node, k);
			if (v != NULL &&
			    (rc = schema_sub(c, r, ps, v, ctx, k)) < 0)
				return rc;
		}
	} else if (json_is_array(node)) {
		if ((rc = schema_array(c, r, sch, node, ctx)) < 0)
			return rc;
		schema_common(c, r, sch, node, ctx);
	} else if (json_is_number(node)) {
		schema_number(r, sch, node, ctx);
		schema_common(c, r, sch, node, ctx);
	} else if (json_is_string(node)) {
		schema_common(c, r, sch, node, ctx);
		return schema_string(c, r, sch, node, ctx);
	} else
		schema_common(c, r, sch, node, ctx);
	return 0;
}

static int
validate(struct sctx *c, struct sres *r, const json_t *sch, const json_t *node,
    const struct spath *ctx)
{
	const json_t *type, *ref = NULL;
	struct gd_buf shown;
	int rc = 0;

	if (json_is_boolean(sch)) {
		if (json_is_false(sch))
			sres_add(r, ctx, "False always fails validation");
		return 0;
	}
	if (!json_is_object(sch))
		return 0;
	if (++c->depth > SCHEMA_MAX_DEPTH) {
		gd_buf_init(&shown);
		schema_field(&shown, ctx);
		rc = gd_err_set(c->err, GD_EINVAL,
		    "values.schema.json: nested or $ref'd more than %d deep "
		    "at %s",
		    SCHEMA_MAX_DEPTH, shown.data);
		gd_buf_dispose(&shown);
		goto out;
	}
	/* a $ref replaces the schema it sits in, siblings and all */
	if (json_is_string(json_object_get(sch, "$ref"))) {
		if ((rc = schema_ref(&ref, c,
			 json_string_value(json_object_get(sch, "$ref")))) == 0)
			rc = validate(c, r, ref, node, ctx);
		goto out;
	}
	/* an empty list of types allows every type */
	type = json_object_get(sch, "type");
	if ((json_is_string(type) || json_array_size(type) > 0) &&
	    !schema_check_type(type, node)) {
		gd_buf_init(&shown);
		schema_show_type(&shown, type);
		sres_add(r, ctx, "Invalid type. Expected: %s, given: %s",
		    shown.data, schema_given(node));
		gd_buf_dispose(&shown);
		goto out;
	}
	if ((rc = validate_kind(c, r, sch, node, ctx)) == 0)
		r->score++;
out:
	c->depth--;
	return rc;
}

/* One chart (and its enabled subcharts) against vals, into out. */
static int
schema_check_chart(struct gd_buf *out, const struct gd_helm_chart *v,
    const json_t *vals, struct gd_err *err)
{
	struct spath root = { NULL, "(root)" };
	struct sctx c = { 0 };
	struct sres r;
	json_t *empty = NULL;
	const json_t *sub;
	size_t i;
	int rc = 0;

	if (v->schema != NULL && v->schema->error != NULL) {
		gd_buf_printf(out, "%s:\nunable to compile schema: %s",
		    gd_helm_chart_name(v), v->schema->error);
	} else if (v->schema != NULL) {
		c.schema = v->schema;
		c.root = v->schema->doc;
		c.err = err;
		c.draft = schema_draft(c.root);
		sres_init(&r);
		if (!json_is_object(vals))
			vals = empty = json_object();
		rc = validate(&c, &r, c.root, vals, &root);
		if (rc == 0 && r.nerr > 0) {
			gd_buf_printf(out, "%s:\n", gd_helm_chart_name(v));
			gd_buf_add(out, r.text.data, r.text.len);
		}
		gd_buf_dispose(&r.text);
		json_decref(empty);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < v->ndeps; i++) {
		sub = json_object_get(vals, gd_helm_chart_name(v->deps[i]));
		if ((rc = schema_check_chart(out, v->deps[i], sub, err)) < 0)
			return rc;
	}
	return 0;
}

int
helm_schema_check(
    const struct gd_helm_chart *view, const json_t *vals, struct gd_err *err)
{
	struct gd_buf out;
	int rc;

	gd_buf_init(&out);
	if ((rc = schema_check_chart(&out, view, vals, err)) == 0 &&
	    out.len > 0) {
		rc = gd_err_set(err, GD_EINVAL,
		    "values don't meet the specifications of the schema(s) in "
		    "the following chart(s):\n%s",
		    out.data);
	}
	gd_buf_dispose(&out);
	return rc;
}
