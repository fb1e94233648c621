/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for what the API server and exec plugins send back: Status
 * bodies of every HTTP code, list documents whose items get their kind
 * filled in, watch streams, and ExecCredential output. Any bytes give an error
 * with a message or a result, never a crash or a leak.
 */
#include <stdlib.h>
#include <string.h>

#include "gitopsd/kube.h"
#include "../../server/kube/kube_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Every event handed on has an object with the kind filled in. */
static int
fuzz_event(void *arg, enum gd_kube_event ev, json_t *obj)
{
	(void)arg;
	if (!json_is_object(obj) ||
	    (ev != GD_KUBE_BOOKMARK && json_object_get(obj, "kind") == NULL))
		__builtin_trap();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long codes[] = { 400, 401, 403, 404, 409, 410, 422, 429,
		500, 502, 503, 504 };
	struct gd_kube_ref ref = { "apps/v1", "Deployment", "default", NULL };
	struct gd_kube_watch_pos pos;
	struct kube_cred cred;
	struct gd_err err;
	json_t *doc, *it;
	size_t i;
	int rc;

	gd_core_init_json();
	rc = gd_kube_status_err(&err,
	    codes[size > 0 ? data[0] % (sizeof(codes) / sizeof(codes[0])) : 0],
	    (const char *)data, size);
	if (rc >= 0 || err.msg[0] == '\0' ||
	    memchr(err.msg, '\n', strlen(err.msg)) != NULL)
		__builtin_trap();
	if ((doc = json_loadb((const char *)data, size, 0, NULL)) != NULL) {
		json_array_foreach(json_object_get(doc, "items"), i, it)
			gd_kube_item_fill(it,
			    json_string_value(json_object_get(doc, "kind")),
			    json_string_value(
				json_object_get(doc, "apiVersion")));
		json_decref(doc);
	}
	pos.rv = NULL;
	gd_err_clear(&err);
	if (gd_kube_watch_feed(&pos, &ref, (const char *)data, size,
		size > 0 ? (size_t)data[0] % 64 : 0, fuzz_event, NULL,
		&err) < 0 &&
	    err.msg[0] == '\0')
		__builtin_trap();
	free(pos.rv);
	gd_err_clear(&err);
	if (gd_kube_exec_parse(&cred, "client.authentication.k8s.io/v1",
		(const char *)data, size, &err) == 0) {
		if (cred.token == NULL && cred.cert == NULL)
			__builtin_trap();
		gd_kube_cred_dispose(&cred);
	} else if (err.msg[0] == '\0')
		__builtin_trap();
	return 0;
}
