/* SPDX-License-Identifier: ISC */
/*
 * Differential fuzz target for the loader's fast path: every input is
 * loaded twice, once asking for marks (which always runs libyaml) and
 * once without (which tries the fast path first). Both must succeed or
 * both fail, and what they load must be the same tree, key order and
 * number types included. The input is also cut into the pieces Helm's
 * output splits into, so block documents reach the fast path often.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/ydoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char *
fuzz_dump(const json_t *v)
{
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

static void
fuzz_compare(const char *data, size_t size)
{
	struct gd_ydoc_limits lim = { .max_bytes = 1 << 16,
		.max_depth = 64,
		.max_alias_nodes = 1 << 12 };
	struct gd_err e1 = { 0 }, e2 = { 0 };
	json_t *slow = NULL, *marks = NULL, *fast = NULL;
	char *a, *b;
	int r1, r2;

	r1 = gd_ydoc_load(&slow, &marks, data, size, "fuzz", &lim, &e1);
	r2 = gd_ydoc_load(&fast, NULL, data, size, "fuzz", &lim, &e2);
	if ((r1 < 0) != (r2 < 0)) {
		fprintf(stderr, "libyaml %s, fast path %s\n--\n%.*s\n--\n",
		    r1 < 0 ? e1.msg : "loads", r2 < 0 ? e2.msg : "loads",
		    (int)size, data);
		abort();
	}
	if (r1 == 0) {
		a = fuzz_dump(slow);
		b = fuzz_dump(fast);
		/* not json_equal: it looks keys up by C string, and a key may
		 * hold a NUL; the dumps keep order and 1 apart from 1.0 */
		if (strcmp(a, b) != 0) {
			fprintf(stderr,
			    "libyaml and the fast path differ\n--\n%.*s\n--\n"
			    "%s\n%s\n",
			    (int)size, data, a, b);
			abort();
		}
		free(a);
		free(b);
	}
	json_decref(slow);
	json_decref(marks);
	json_decref(fast);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	const char *s = (const char *)data, *p, *start;
	bool split = false;

	if (!ready) {
		gd_core_init_json();
		ready = true;
	}
	fuzz_compare(s, size);
	/* each piece between "\n---" lines, as a rendered file splits */
	start = s;
	for (p = s; p + 4 <= s + size; p++) {
		if (*p == '\n' && memcmp(p + 1, "---", 3) == 0) {
			fuzz_compare(start, (size_t)(p - start));
			start = p + 4;
			split = true;
		}
	}
	if (split)
		fuzz_compare(start, (size_t)(s + size - start));
	return 0;
}
