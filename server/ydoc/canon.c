/* SPDX-License-Identifier: ISC */
/*
 * Canonical JSON: one byte string per value, so that two trees compare
 * equal exactly when their texts do and a hash of the text is a hash of
 * the value. Keys are sorted by bytes, there is no whitespace, strings are
 * escaped as jansson escapes them, and numbers drop the integer/real
 * distinction jansson keeps: a real with an integral value in int64 range
 * prints as that integer (1.0 and 1 are the same Kubernetes quantity), any
 * other real in the fewest significant digits that read back to the same
 * double. The tricky part is that last rule: %.17g always round-trips but
 * prints 0.1 as 0.10000000000000001, so the precision is searched upward.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ydoc_int.h"

struct canon_key {
	const char *s;
	size_t len;
	json_t *value;
};

static void canon_value(struct gd_buf *, const json_t *);

static int
canon_key_cmp(const void *pa, const void *pb)
{
	const struct canon_key *a = pa, *b = pb;
	size_t n = a->len < b->len ? a->len : b->len;
	int c;

	if ((c = memcmp(a->s, b->s, n)) != 0)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

/*
 * Most strings need no escape and are copied; the rest go through
 * jansson's own encoder so the escapes are exactly its own.
 */
static void
canon_string(struct gd_buf *out, const char *s, size_t len)
{
	json_t *tmp;
	size_t i, n;
	char *enc;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == '"' || s[i] == '\\')
			break;
	}
	if (i == len) {
		gd_buf_addc(out, '"');
		gd_buf_add(out, s, len);
		gd_buf_addc(out, '"');
		return;
	}
	tmp = json_stringn_nocheck(s, len);
	enc = json_dumps(tmp, JSON_ENCODE_ANY | JSON_COMPACT);
	assert(enc != NULL);
	n = strlen(enc);
	gd_buf_add(out, enc, n);
	free(enc);
	json_decref(tmp);
}

static void
canon_real(struct gd_buf *out, double x)
{
	char tmp[40];
	int prec;

	if (x == trunc(x) && x >= -9223372036854775808.0 &&
	    x < 9223372036854775808.0) {
		gd_buf_printf(out, "%lld", (long long)x);
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	gd_buf_printf(out, "%.*g", prec, x);
}

static void
canon_object(struct gd_buf *out, const json_t *obj)
{
	struct canon_key *keys;
	size_t n = 0, i;
	void *it;

	keys = xreallocarray(NULL, json_object_size(obj) + 1, sizeof(*keys));
	for (it = json_object_iter((json_t *)obj); it != NULL;
	     it = json_object_iter_next((json_t *)obj, it)) {
		keys[n].s = json_object_iter_key(it);
		keys[n].len = json_object_iter_key_len(it);
		keys[n].value = json_object_iter_value(it);
		n++;
	}
	qsort(keys, n, sizeof(*keys), canon_key_cmp);
	gd_buf_addc(out, '{');
	for (i = 0; i < n; i++) {
		if (i > 0)
			gd_buf_addc(out, ',');
		canon_string(out, keys[i].s, keys[i].len);
		gd_buf_addc(out, ':');
		canon_value(out, keys[i].value);
	}
	gd_buf_addc(out, '}');
	free(keys);
}

static void
canon_value(struct gd_buf *out, const json_t *v)
{
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		canon_object(out, v);
		break;
	case JSON_ARRAY:
		gd_buf_addc(out, '[');
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				gd_buf_addc(out, ',');
			canon_value(out, json_array_get(v, i));
		}
		gd_buf_addc(out, ']');
		break;
	case JSON_STRING:
		canon_string(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		gd_buf_printf(
		    out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		canon_real(out, json_real_value(v));
		break;
	case JSON_TRUE:
		gd_buf_adds(out, "true");
		break;
	case JSON_FALSE:
		gd_buf_adds(out, "false");
		break;
	case JSON_NULL:
		gd_buf_adds(out, "null");
		break;
	}
}

void
gd_ydoc_canonical(struct gd_buf *out, const json_t *v)
{
	if (v == NULL) {
		gd_buf_adds(out, "null");
		return;
	}
	canon_value(out, v);
}
