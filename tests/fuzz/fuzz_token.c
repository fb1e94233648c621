/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for the API token and session cookie parsers: whatever a
 * client sends as a bearer token or cookie is refused cleanly unless it is
 * exactly a token or cookie the store issued.
 */
#include <string.h>

#include "gitopsd/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct gd_store *fuzz_store;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gd_store_token tok;
	struct gd_store_session sess;
	struct gd_err err;
	char *s;

	gd_core_init_json();
	if (fuzz_store == NULL &&
	    gd_store_open(&fuzz_store, ":memory:", &err) < 0)
		__builtin_trap();
	s = xstrndup((const char *)data, size);
	gd_store_token_init(&tok);
	if (gd_store_token_verify(&tok, fuzz_store, s, &err) == 0)
		__builtin_trap(); /* no token was ever issued */
	gd_store_token_dispose(&tok);
	gd_store_session_init(&sess);
	if (gd_store_session_verify(&sess, fuzz_store, s, &err) == 0)
		__builtin_trap();
	gd_store_session_dispose(&sess);
	free(s);
	return 0;
}
