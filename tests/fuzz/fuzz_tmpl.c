/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for the template parser and executor. Any bytes, as a
 * template, must parse or fail with Go's "template: NAME:..." message,
 * and what parses must run to its end or fail the same way, within small
 * limits: a template that recurses, loops or prints without end is
 * stopped by the limits, never by the fuzzer's timeout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_check_err(const struct gd_err *err, const char *what)
{
	if (strncmp(err->msg, "template: ", 10) != 0) {
		fprintf(stderr, "%s failed without a template error: %s\n",
		    what, err->msg);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct gd_tmpl_limits lim = { .max_depth = 50,
		.max_output = 1 << 16,
		.max_ops = 100000,
		.max_nesting = 100 };
	struct gd_tmpl_set *set;
	struct gd_err err = { 0 };
	struct gd_tval top = { 0 };
	struct gd_buf out;

	if (!ready) {
		gd_core_init_json();
		ready = true;
	}
	set = gd_tmpl_set_new("fuzz", &lim);
	gd_tmpl_set_missingkey(set, GD_TMPL_MISSING_ZERO);
	gd_buf_init(&out);
	if (gd_tmpl_parse(set, "fuzz", (const char *)data, size, &err) < 0) {
		fuzz_check_err(&err, "parse");
		goto out;
	}
	top = gd_tval_json(json_pack("{s:f, s:i, s:s, s:b, s:n, s:[f,f,s], "
				     "s:{s:f, s:{s:s}}}",
	    "a", 1.0, "i", 3, "s", "y", "b", 0, "nul", "l", 1.0, 2.0, "x", "m",
	    "a", 1.5, "b", "c", "d"));
	if (gd_tmpl_execute(&out, set, "fuzz", &top, &err) < 0)
		fuzz_check_err(&err, "execute");
	if (out.len > lim.max_output) {
		fprintf(stderr, "output over the limit: %zu\n", out.len);
		abort();
	}
out:
	gd_tval_dispose(&top);
	gd_buf_dispose(&out);
	gd_tmpl_set_free(set);
	return 0;
}
