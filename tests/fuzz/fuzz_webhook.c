/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for the webhook payload parser, driven through the router
 * as a request would be: the first byte picks GitHub or GitLab, the rest
 * is the body. Any body must give 200 or a 4xx with Argo CD's error
 * shape, never a crash, a 5xx or a leak.
 */
#include <string.h>

#include "gitopsd/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gd_router *router;
	struct gd_api_env env;
	struct gd_req req;
	struct gd_resp resp;

	gd_core_init_json();
	if (router == NULL) {
		memset(&env, 0, sizeof(env));
		if (gd_router_new(&router, gd_api_routes, &env, NULL) < 0)
			__builtin_trap();
	}
	gd_req_init(&req, "POST", "/api/webhook");
	if (size > 0 && (data[0] & 1))
		gd_req_add_header(&req, "X-Gitlab-Event", "Push Hook");
	else
		gd_req_add_header(&req, "X-GitHub-Event", "push");
	if (size > 1)
		gd_req_set_body(&req, data + 1, size - 1);
	memset(&resp, 0, sizeof(resp));
	gd_router_dispatch(router, &req, &resp);
	if (resp.status != 200 && (resp.status < 400 || resp.status >= 500))
		__builtin_trap();
	gd_resp_dispose(&resp);
	gd_req_dispose(&req);
	return 0;
}
