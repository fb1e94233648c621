/* SPDX-License-Identifier: ISC */
/*
 * Tree comparisons for YAML round-trip checks (see yeq.h), shared by
 * tests/unit/test_ydoc.c and tests/fuzz/fuzz_ydoc.c.
 */
#include <string.h>

#include "yeq.h"

bool
yeq_has_merge_key(const json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e) {
			if (strcmp(k, "<<") == 0 || yeq_has_merge_key(e))
				return true;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (yeq_has_merge_key(e))
				return true;
		}
	}
	return false;
}

bool
yeq_same_tree(const json_t *a, const json_t *b)
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
			    !yeq_same_tree(e, json_object_getn(b, k, klen)))
				return false;
		}
		return true;
	}
	if (ta == JSON_ARRAY) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		json_array_foreach(a, i, e) {
			if (!yeq_same_tree(e, json_array_get(b, i)))
				return false;
		}
		return true;
	}
	return json_equal(a, b);
}
