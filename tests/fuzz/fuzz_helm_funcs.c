/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for the helm module's text parsers reached from templates:
 * the input is two strings (split at the first newline) handed to every
 * Sprig function that parses or rewrites text (case conversions, regular
 * expressions, paths, URLs, durations, date layouts and time parsing,
 * seq). Each call must return or fail with a template error, never
 * crash, hang or read out of bounds, whatever the bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/tmpl.h"
#include "../../server/helm/helm_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char fuzz_text[] =
    "{{ camelcase .a }}{{ snakecase .a }}{{ kebabcase .a }}"
    "{{ swapcase .a }}{{ untitle .a }}{{ title .a }}"
    "{{ regexFind .b .a }}{{ regexFindAll .b .a -1 }}"
    "{{ regexSplit .b .a 3 }}{{ regexReplaceAll .b .a \"<$1${2}$x>\" }}"
    "{{ regexMatch .b .a }}{{ base .a }}{{ dir .a }}{{ ext .a }}"
    "{{ clean .a }}{{ isAbs .a }}{{ urlParse .a }}"
    "{{ urlJoin (dict \"path\" .a \"userinfo\" .b \"host\" .b) }}"
    "{{ durationRound .a }}{{ duration .b }}{{ sha1sum .a }}"
    "{{ adler32sum .a }}{{ dateInZone .a 1700000000 \"UTC\" }}"
    "{{ toDate .a .b }}{{ mustToDate .b .a | date .a }}";

static void
fuzz_run(struct gd_tmpl_set *set, const char *name, struct gd_tval *top)
{
	struct helm_render r = {
		.magic = HELM_RENDER_MAGIC, .rng = 1, .now = 1700000000
	};
	struct gd_err err = { 0 };
	struct gd_buf out;

	r.included = json_object();
	gd_buf_init(&out);
	if (gd_tmpl_execute_ud(&out, set, name, top, &r, &err) < 0 &&
	    strncmp(err.msg, "template: ", 10) != 0) {
		fprintf(
		    stderr, "failed without a template error: %s\n", err.msg);
		abort();
	}
	gd_buf_dispose(&out);
	json_decref(r.included);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct gd_tmpl_limits lim = { .max_depth = 50,
		.max_output = 1 << 16,
		.max_ops = 100000,
		.max_nesting = 100 };
	const char *nl = memchr(data, '\n', size);
	size_t la = nl ? (size_t)(nl - (const char *)data) : size, lb, i;
	struct gd_err err = { 0 };
	struct gd_tmpl_set *set;
	struct gd_tval top;
	char *a, *b;

	if (!ready) {
		gd_core_init_json();
		ready = true;
	}
	/* NUL-free C strings, as template strings are */
	a = xmalloc(la + 1);
	memcpy(a, data, la);
	a[la] = '\0';
	lb = nl != NULL ? size - la - 1 : 0;
	b = xmalloc(lb + 1);
	if (lb > 0)
		memcpy(b, nl + 1, lb);
	b[lb] = '\0';
	for (i = 0; i < la; i++)
		if (a[i] == '\0')
			a[i] = ' ';
	for (i = 0; i < lb; i++)
		if (b[i] == '\0')
			b[i] = ' ';
	set = gd_tmpl_set_new("fuzz", &lim);
	gd_tmpl_set_missingkey(set, GD_TMPL_MISSING_ZERO);
	gd_tmpl_set_funcs(set, helm_sprig_funcs);
	gd_tmpl_set_funcs(set, helm_sprig_more);
	gd_tmpl_set_funcs(set, helm_sprig_text);
	gd_tmpl_set_funcs(set, helm_sprig_url);
	gd_tmpl_set_funcs(set, helm_sprig_time);
	gd_tmpl_set_funcs(set, helm_funcs);
	if (gd_tmpl_parse(set, "fuzz", fuzz_text, strlen(fuzz_text), &err) <
	    0) {
		fprintf(stderr, "fuzz template: %s\n", err.msg);
		abort();
	}
	/* any bytes, as a template's "\xff" literal can make them */
	top = gd_tval_json(json_object());
	json_object_set_new(top.j, "a", json_stringn_nocheck(a, la));
	json_object_set_new(top.j, "b", json_stringn_nocheck(b, lb));
	fuzz_run(set, "fuzz", &top);
	gd_tval_dispose(&top);
	gd_tmpl_set_free(set);
	free(a);
	free(b);
	return 0;
}
