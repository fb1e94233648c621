/* SPDX-License-Identifier: ISC */
/*
 * Label and field selectors, as LIST, WATCH and DELETE collection take
 * them: "a=b,c!=d,e in (x,y),f notin (z),g,!h" for labels and
 * "metadata.name=web,status.phase!=Running" for fields. A selector is
 * parsed once into a JSON array of requirements and matched per object.
 *
 * The hard part is splitting on commas: a comma inside "in (a,b)" does
 * not end a requirement, so the split counts parentheses.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim.h"

static char *
select_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static json_t *
select_values(char *s)
{
	json_t *a = json_array();
	char *w;

	while ((w = strsep(&s, ",")) != NULL) {
		w = select_trim(w);
		if (*w != '\0')
			json_array_append_new(a, json_string(w));
	}
	return a;
}

static bool
select_key_ok(const char *k)
{
	if (*k == '\0')
		return false;
	for (; *k != '\0'; k++)
		if (!isalnum((unsigned char)*k) && strchr("-_./", *k) == NULL)
			return false;
	return true;
}

/* One requirement; kind is "l" (label) or "f" (field). */
static int
select_one(json_t *out, const char *kind, char *req, struct gd_err *err)
{
	char *p, *k, *open, *close;
	const char *op;

	req = select_trim(req);
	if (*req == '\0')
		return 0;
	if (*kind == 'l' && *req == '!') {
		k = select_trim(req + 1);
		op = "!exists";
		if (!select_key_ok(k))
			goto bad;
		json_array_append_new(out,
		    json_pack("{s:s, s:s, s:s}", "t", kind, "k", k, "op", op));
		return 0;
	}
	if (*kind == 'l' &&
	    ((p = strstr(req, " in ")) != NULL ||
		(p = strstr(req, " notin ")) != NULL)) {
		op = p[1] == 'i' ? "in" : "notin";
		*p = '\0';
		k = select_trim(req);
		open = strchr(p + 1, '(');
		close = open != NULL ? strrchr(open, ')') : NULL;
		if (!select_key_ok(k) || close == NULL)
			goto bad;
		*close = '\0';
		json_array_append_new(out,
		    json_pack("{s:s, s:s, s:s, s:o}", "t", kind, "k", k, "op",
			op, "v", select_values(open + 1)));
		return 0;
	}
	if ((p = strstr(req, "!=")) != NULL) {
		op = "!=";
		*p = '\0';
		p += 2;
	} else if ((p = strstr(req, "==")) != NULL) {
		op = "=";
		*p = '\0';
		p += 2;
	} else if ((p = strchr(req, '=')) != NULL) {
		op = "=";
		*p = '\0';
		p += 1;
	} else if (*kind == 'l') {
		if (!select_key_ok(req))
			goto bad;
		json_array_append_new(out,
		    json_pack("{s:s, s:s, s:s}", "t", kind, "k", req, "op",
			"exists"));
		return 0;
	} else
		goto bad;
	k = select_trim(req);
	if (!select_key_ok(k))
		goto bad;
	json_array_append_new(out,
	    json_pack("{s:s, s:s, s:s, s:[s]}", "t", kind, "k", k, "op", op,
		"v", select_trim(p)));
	return 0;
bad:
	return gd_err_set(err, GD_EINVAL,
	    "unable to parse requirement: %s selector \"%s\"",
	    *kind == 'l' ? "label" : "field", req);
}

static int
select_all(json_t *out, const char *kind, const char *sel, struct gd_err *err)
{
	char *copy, *p, *start;
	int depth = 0, rc = 0;

	if (sel == NULL)
		return 0;
	copy = xstrdup(sel);
	start = copy;
	for (p = copy;; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		if ((*p == ',' && depth == 0) || *p == '\0') {
			bool end = *p == '\0';

			*p = '\0';
			if ((rc = select_one(out, kind, start, err)) < 0 || end)
				break;
			start = p + 1;
		}
	}
	free(copy);
	return rc;
}

int
ks_select_parse(
    json_t **out, const char *label, const char *field, struct gd_err *err)
{
	json_t *sel = json_array();
	int rc;

	*out = NULL;
	if ((rc = select_all(sel, "l", label, err)) < 0 ||
	    (rc = select_all(sel, "f", field, err)) < 0) {
		json_decref(sel);
		return rc;
	}
	if (json_array_size(sel) == 0)
		json_decref(sel);
	else
		*out = sel;
	return 0;
}

static const char *
select_field(const json_t *obj, const char *path)
{
	const char *v = ks_str(obj, path);

	/* metadata.namespace of a cluster object is "" for selectors. */
	return v != NULL ? v : "";
}

static bool
select_in(const json_t *vals, const char *v)
{
	json_t *x;
	size_t i;

	json_array_foreach(vals, i, x)
		if (strcmp(json_string_value(x), v) == 0)
			return true;
	return false;
}

bool
ks_select_match(const json_t *sel, const json_t *obj)
{
	const json_t *labels =
	    json_object_get(json_object_get(obj, "metadata"), "labels");
	const char *k, *op, *v;
	json_t *r, *vals;
	size_t i;
	bool ok;

	json_array_foreach(sel, i, r) {
		k = json_string_value(json_object_get(r, "k"));
		op = json_string_value(json_object_get(r, "op"));
		vals = json_object_get(r, "v");
		if (*json_string_value(json_object_get(r, "t")) == 'f')
			v = select_field(obj, k);
		else
			v = json_string_value(json_object_get(labels, k));
		if (strcmp(op, "exists") == 0)
			ok = v != NULL;
		else if (strcmp(op, "!exists") == 0)
			ok = v == NULL;
		else if (strcmp(op, "=") == 0 || strcmp(op, "in") == 0)
			ok = v != NULL && select_in(vals, v);
		else
			ok = v == NULL || !select_in(vals, v);
		if (!ok)
			return false;
	}
	return true;
}
