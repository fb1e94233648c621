/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for the helm module's command-line and TOML parsers: the
 * input's first byte picks --set, --set-string, --set-json or
 * --set-literal (--set-file would open paths) and the rest is the flag's
 * argument; the same bytes are then read as a TOML document by fromToml,
 * and what it read is written back with toToml and read again. Every call
 * must succeed or fail with a message, never crash, hang or leak, and a
 * document toToml wrote must read back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/helm.h"
#include "../../server/helm/helm_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const enum gd_helm_set_kind fuzz_kinds[] = { GD_HELM_SET,
	GD_HELM_SET_STRING, GD_HELM_SET_JSON, GD_HELM_SET_LITERAL };

static void
fuzz_toml(const char *s, size_t n)
{
	struct gd_err err = { 0 };
	json_t *v = NULL, *back = NULL;
	struct gd_buf b;

	if (helm_toml_decode(&v, s, n, &err) < 0) {
		if (strncmp(err.msg, "toml: line ", 11) != 0) {
			fprintf(stderr, "bad toml error: %s\n", err.msg);
			abort();
		}
		return;
	}
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	if (helm_toml_encode(&b, v, &err) == 0 &&
	    helm_toml_decode(&back, b.data, b.len, &err) < 0) {
		fprintf(stderr, "toToml wrote what fromToml refuses: %s\n%s\n",
		    err.msg, b.data);
		abort();
	}
	json_decref(back);
	json_decref(v);
	gd_buf_dispose(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct gd_err err = { 0 };
	struct gd_helm_set set;
	json_t *v = NULL;
	char *arg;
	size_t i;

	if (!ready) {
		gd_core_init_json();
		ready = true;
	}
	if (size == 0)
		return 0;
	/* flags and template strings are C strings: no NUL inside */
	arg = xmalloc(size);
	memcpy(arg, data + 1, size - 1);
	arg[size - 1] = '\0';
	for (i = 0; i + 1 < size; i++)
		if (arg[i] == '\0')
			arg[i] = ' ';
	set.kind = fuzz_kinds[data[0] % 4];
	set.arg = arg;
	if (gd_helm_values_build_sets(&v, NULL, 0, &set, 1, &err) == 0)
		json_decref(v);
	else if (err.msg[0] == '\0') {
		fprintf(stderr, "failed without a message\n");
		abort();
	}
	fuzz_toml(arg, size - 1);
	free(arg);
	return 0;
}
