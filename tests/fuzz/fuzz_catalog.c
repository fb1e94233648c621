/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for the catalog's document validation: any bytes as a
 * gitops-repo file must give applications with conditions, or catalog
 * errors, never a crash or a leak; every application listed has a name
 * and a status, and value-file lookups on what was read stay inside the
 * repository.
 */
#include <string.h>

#include "gitopsd/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A relative path with no "." or ".." part (URLs are left alone). */
static bool
fuzz_inside(const char *p)
{
	const char *q;
	size_t n;

	if (strncmp(p, "http://", 7) == 0 || strncmp(p, "https://", 8) == 0)
		return true;
	if (p[0] == '/')
		return false;
	for (; *p != '\0'; p = *q == '/' ? q + 1 : q) {
		q = strchr(p, '/');
		if (q == NULL)
			q = p + strlen(p);
		n = (size_t)(q - p);
		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
	}
	return true;
}

static void
fuzz_lookups(
    const struct gd_catalog *c, const char *name, const json_t *src, size_t idx)
{
	json_t *vf, *out = NULL, *cand;
	struct gd_err err;
	const char *p;
	size_t i, j;

	json_array_foreach(
	    json_object_get(json_object_get(src, "helm"), "valueFiles"), i,
	    vf) {
		if (!json_is_string(vf))
			continue;
		if (gd_catalog_value_file_lookup(
			&out, c, name, idx, json_string_value(vf), &err) < 0)
			continue;
		json_array_foreach(out, j, cand) {
			p = json_string_value(json_object_get(cand, "path"));
			if (p == NULL || !fuzz_inside(p))
				__builtin_trap();
		}
		json_decref(out);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gd_catalog *c;
	json_t *app, *spec, *s, *changed;
	const char *name;
	size_t i, k;

	gd_core_init_json();
	c = gd_catalog_new("file:///fuzz", "0123456789abcdef");
	gd_catalog_add_yaml(c, "apps/fuzz/app.yaml", (const char *)data, size);
	gd_catalog_finish(c);
	json_array_foreach(gd_catalog_apps(c), i, app) {
		name = json_string_value(
		    json_object_get(json_object_get(app, "metadata"), "name"));
		if (name == NULL || json_object_get(app, "status") == NULL)
			__builtin_trap();
		spec = json_object_get(app, "spec");
		fuzz_lookups(c, name, json_object_get(spec, "source"), 0);
		json_array_foreach(json_object_get(spec, "sources"), k, s)
			fuzz_lookups(c, name, s, k);
	}
	changed = gd_catalog_changed(NULL, c);
	json_decref(changed);
	gd_catalog_unref(c);
	return 0;
}
