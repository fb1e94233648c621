/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for the YAML loader. Any bytes must either load or fail with
 * a message that names the input, within small limits (so a billion-laughs
 * or deeply nested input is refused, not slow). Whatever loads must have
 * one marks object per document, and must print with gd_ydoc_emit and read
 * back as the same tree: a document we print has to be one we can read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/ydoc.h"
#include "../helpers/yeq.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_round_trip(const json_t *doc)
{
	struct gd_err err = { 0 };
	struct gd_buf b;
	json_t *back = NULL;

	gd_buf_init(&b);
	gd_ydoc_emit(&b, doc);
	if (gd_ydoc_load_one(&back, b.data, b.len, "emitted", &err) < 0) {
		fprintf(stderr, "emitted YAML does not load: %s\n%s\n", err.msg,
		    b.data);
		abort();
	}
	if (!yeq_same_tree(doc, back)) {
		fprintf(
		    stderr, "emit and load changed the tree:\n%s\n", b.data);
		abort();
	}
	json_decref(back);
	gd_buf_dispose(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct gd_ydoc_limits lim = { .max_bytes = 1 << 16,
		.max_depth = 64,
		.max_alias_nodes = 1 << 12 };
	struct gd_err err = { 0 };
	json_t *docs = NULL, *marks = NULL, *doc;
	size_t i;

	if (!ready) {
		gd_core_init_json();
		ready = true;
	}
	if (gd_ydoc_load(&docs, &marks, (const char *)data, size, "fuzz", &lim,
		&err) < 0) {
		if (strncmp(err.msg, "fuzz:", 5) != 0 || docs != NULL ||
		    marks != NULL) {
			fprintf(stderr, "bad failure: %s\n", err.msg);
			abort();
		}
		return 0;
	}
	if (json_array_size(marks) != json_array_size(docs))
		abort();
	json_array_foreach(docs, i, doc) {
		if (!yeq_has_merge_key(doc))
			fuzz_round_trip(doc);
	}
	json_decref(docs);
	json_decref(marks);
	return 0;
}
