/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for the manifest-file parser of Directory sources: any
 * bytes as a manifest file (YAML, or JSON when it starts with "{")
 * must give Kubernetes objects or an error naming the file, never a
 * crash, a hang or a leak. Every object returned has apiVersion, kind
 * and a name, and a failed parse leaves the list as it was. The first
 * line is also tried as an include glob against the second, since globs
 * come from the same people.
 */
#include <stdlib.h>
#include <string.h>

#include "gitopsd/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static bool
fuzz_is_object(const json_t *o)
{
	const json_t *md = json_object_get(o, "metadata");

	return json_string_length(json_object_get(o, "apiVersion")) > 0 &&
	    json_string_length(json_object_get(o, "kind")) > 0 &&
	    (json_string_length(json_object_get(md, "name")) > 0 ||
		json_string_length(json_object_get(md, "generateName")) > 0);
}

static void
fuzz_glob(const char *data, size_t size)
{
	const char *nl = memchr(data, '\n', size), *nl2;
	char *pat, *path;

	if (nl == NULL || memchr(data, '\0', size) != NULL)
		return;
	nl2 = memchr(nl + 1, '\n', size - (size_t)(nl + 1 - data));
	if (nl2 == NULL)
		nl2 = data + size;
	pat = xstrndup(data, (size_t)(nl - data));
	path = xstrndup(nl + 1, (size_t)(nl2 - nl - 1));
	(void)gd_source_glob_match(pat, path);
	free(pat);
	free(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *name =
	    size > 0 && data[0] == '{' ? "fuzz/x.json" : "fuzz/x.yaml";
	json_t *objs, *o;
	struct gd_err err;
	size_t i;

	gd_core_init_json();
	objs = json_pack("[{s:s}]", "kind", "Sentinel");
	if (gd_source_parse_manifests(
		objs, name, (const char *)data, size, &err) < 0) {
		if (json_array_size(objs) != 1 ||
		    strncmp(err.msg, "fuzz/x.", 7) != 0)
			__builtin_trap();
	} else {
		json_array_foreach(objs, i, o) {
			if (i > 0 && !fuzz_is_object(o))
				__builtin_trap();
		}
	}
	json_decref(objs);
	fuzz_glob((const char *)data, size);
	return 0;
}
