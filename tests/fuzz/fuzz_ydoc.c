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

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * The emitter prints a "<<" key bare, as go-yaml v2.4.0 and so Helm do,
 * and it reads back as a merge key: such documents cannot round-trip.
 */
static bool
fuzz_has_merge_key(const json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e) {
			if (strcmp(k, "<<") == 0 || fuzz_has_merge_key(e))
				return true;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (fuzz_has_merge_key(e))
				return true;
		}
	}
	return false;
}

/*
 * Equal trees, where an integer and a real are equal when they are the
 * same double: the emitter prints a real as Go does (1.0 as "1", 8.4e18
 * as "8446744073709552000"), which reads back as an integer.
 */
static bool
fuzz_same_tree(const json_t *a, const json_t *b)
{
	const char *k;
	json_t *e;
	size_t i, klen;
	json_type ta, tb;

	ta = json_typeof(a);
	tb = json_typeof(b);
	if ((ta == JSON_INTEGER || ta == JSON_REAL) &&
	    (tb == JSON_INTEGER || tb == JSON_REAL) && ta != tb)
		return json_number_value(a) == json_number_value(b);
	if (ta != tb)
		return false;
	if (ta == JSON_OBJECT) {
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_keylen_foreach((json_t *)a, k, klen, e)
		{
			if (json_object_getn(b, k, klen) == NULL ||
			    !fuzz_same_tree(e, json_object_getn(b, k, klen)))
				return false;
		}
		return true;
	}
	if (ta == JSON_ARRAY) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		json_array_foreach(a, i, e) {
			if (!fuzz_same_tree(e, json_array_get(b, i)))
				return false;
		}
		return true;
	}
	return json_equal(a, b);
}

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
	if (!fuzz_same_tree(doc, back)) {
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
		if (!fuzz_has_merge_key(doc))
			fuzz_round_trip(doc);
	}
	json_decref(docs);
	json_decref(marks);
	return 0;
}
