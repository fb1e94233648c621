/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for what the API parses from a client: the request target
 * (path segments, percent escapes, query), and JSON bodies. The input is
 * "METHOD TARGET\n" followed by the body. It is dispatched through the
 * real route table and through a table with parameters and a JSON route,
 * and every answer must be a status with, for errors, Argo CD's body.
 */
#include <string.h>

#include "gitopsd/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
fuzz_echo(const struct gd_api_env *env, struct gd_req *req,
    struct gd_resp *resp, struct gd_err *err)
{
	const char *name = gd_req_param(req, "name");

	(void)env;
	if (name == NULL)
		return gd_err_set(err, GD_EINTERNAL, "no name parameter");
	gd_resp_json(resp, 200,
	    json_pack("{s:s,s:O?}", "name", name, "body", req->json));
	return 0;
}

static const struct gd_route fuzz_routes[] = {
	{ "GET", "/api/v1/applications/{name}", fuzz_echo, 0 },
	{ "POST", "/api/v1/applications/{name}/sync", fuzz_echo,
	    GD_ROUTE_JSON },
	{ "GET", "/api/v1/applications/{name}/resource/{kind}", fuzz_echo, 0 },
	{ NULL, NULL, NULL, 0 },
};

static void
fuzz_one(const struct gd_route *table, const char *method, const char *target,
    const uint8_t *body, size_t len)
{
	struct gd_api_env env = { NULL };
	struct gd_router *r = NULL;
	struct gd_resp resp;
	struct gd_req req;
	struct gd_err err;

	if (gd_router_new(&r, table, &env, &err) < 0)
		__builtin_trap();
	memset(&resp, 0, sizeof(resp));
	gd_req_init(&req, method, target);
	gd_req_add_header(&req, "Content-Type", "application/json");
	if (len > 0)
		gd_req_set_body(&req, body, len);
	gd_router_dispatch(r, &req, &resp);
	if (resp.status < 200 || resp.status > 599)
		__builtin_trap();
	if (resp.status >= 400 && resp.body != NULL &&
	    !json_is_string(json_object_get(resp.body, "message")))
		__builtin_trap();
	gd_resp_dispose(&resp);
	gd_req_dispose(&req);
	gd_router_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size), *sp;
	char *method, *target;
	size_t head;

	gd_core_init_json();
	head = nl != NULL ? (size_t)(nl - data) : size;
	sp = memchr(data, ' ', head);
	if (sp == NULL || memchr(data, '\0', head) != NULL)
		return 0;
	method = xstrndup((const char *)data, (size_t)(sp - data));
	target = xstrndup((const char *)sp + 1, head - (size_t)(sp - data) - 1);
	if (target[0] == '/') {
		fuzz_one(gd_api_routes, method, target, NULL, 0);
		fuzz_one(fuzz_routes, method, target,
		    nl != NULL ? nl + 1 : NULL,
		    nl != NULL ? size - head - 1 : 0);
	}
	free(method);
	free(target);
	return 0;
}
