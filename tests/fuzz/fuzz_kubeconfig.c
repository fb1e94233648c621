/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for the kubeconfig parser: any bytes give either a
 * resolved context or an error message, never a crash or a leak. Every
 * context the file names is resolved, not only the current one.
 */
#include <string.h>

#include "gitopsd/kube.h"
#include "gitopsd/ydoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_context(const char *buf, size_t len, const char *context)
{
	struct gd_kube_config *c = NULL;
	struct gd_err err;

	gd_err_clear(&err);
	if (gd_kube_config_parse(
		&c, buf, len, "fuzz.yaml", "/fuzz", context, &err) == 0) {
		/* a resolved context can be connected to */
		if (c->server == NULL || c->namespace == NULL ||
		    (strncmp(c->server, "https://", 8) != 0 &&
			strncmp(c->server, "http://", 7) != 0))
			__builtin_trap();
		gd_kube_config_free(c);
	} else if (err.msg[0] == '\0' || c != NULL)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc = NULL, *ctx;
	const char *name;
	size_t i;

	gd_core_init_json();
	fuzz_context((const char *)data, size, NULL);
	if (gd_ydoc_load_one(&doc, (const char *)data, size, "f", NULL) < 0)
		return 0;
	json_array_foreach(json_object_get(doc, "contexts"), i, ctx) {
		if ((name = json_string_value(json_object_get(ctx, "name"))) !=
		    NULL)
			fuzz_context((const char *)data, size, name);
		if (i > 8)
			break;
	}
	json_decref(doc);
	return 0;
}
