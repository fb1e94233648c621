/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for kubesim's protobuf body decoder: any bytes a client
 * sends as application/vnd.kubernetes.protobuf either decode to a JSON
 * object with a kind or are refused with a message, never a crash, a
 * read past the body or a hang.
 */
#include <string.h>

#include "kubesim.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gd_err err = { 0 };
	json_t *obj = NULL;

	gd_core_init_json();
	if (ks_proto_decode(&obj, data, size, &err) == 0) {
		if (!json_is_object(obj) ||
		    !json_is_string(json_object_get(obj, "kind")))
			__builtin_trap();
	} else if (obj != NULL || err.msg[0] == '\0')
		__builtin_trap();
	json_decref(obj);
	return 0;
}
