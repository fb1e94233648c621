/* SPDX-License-Identifier: ISC */
/*
 * The response model: a status and either a JSON tree or raw bytes, plus
 * extra headers. The adapter serializes it; tests read it directly. The
 * subtle part is ownership of raw bytes: embedded UI files are static and
 * must not be freed, files read from disk must be, so data_owned says
 * which, and every setter first drops what the response held.
 */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

static void
resp_drop_body(struct gd_resp *resp)
{
	json_decref(resp->body);
	resp->body = NULL;
	if (resp->data_owned)
		free((void *)resp->data);
	resp->data = NULL;
	resp->len = 0;
	resp->data_owned = false;
	resp->content_type = NULL;
}

void
gd_resp_json(struct gd_resp *resp, int status, json_t *body)
{
	resp_drop_body(resp);
	resp->status = status;
	resp->body = body;
	resp->content_type = "application/json";
}

void
gd_resp_data(struct gd_resp *resp, int status, const char *content_type,
    const void *data, size_t len, bool owned)
{
	resp_drop_body(resp);
	resp->status = status;
	resp->content_type = content_type;
	resp->data = data;
	resp->len = len;
	resp->data_owned = owned;
}

void
gd_resp_text(struct gd_resp *resp, int status, const char *text)
{
	gd_resp_data(resp, status, "text/plain; charset=utf-8", text,
	    strlen(text), false);
}

void
gd_resp_error_status(
    struct gd_resp *resp, int status, int grpc, const char *msg)
{
	/* Argo CD (grpc-gateway) repeats the message in "error". */
	gd_resp_json(resp, status,
	    json_pack(
		"{s:s, s:i, s:s}", "error", msg, "code", grpc, "message", msg));
}

void
gd_resp_error(struct gd_resp *resp, const struct gd_err *err)
{
	const char *msg =
	    err->msg[0] != '\0' ? err->msg : gd_err_name(err->code);

	gd_resp_error_status(resp, gd_err_http_status(err->code),
	    gd_err_grpc_code(err->code), msg);
}

void
gd_resp_header(struct gd_resp *resp, const char *key, const char *val)
{
	gd_kvs_del(&resp->headers, key);
	gd_kvs_add(&resp->headers, key, val);
}

const char *
gd_resp_get_header(const struct gd_resp *resp, const char *key)
{
	return gd_kvs_get(&resp->headers, key, true);
}

void
gd_resp_dispose(struct gd_resp *resp)
{
	if (resp == NULL)
		return;
	resp_drop_body(resp);
	gd_kvs_dispose(&resp->headers);
	memset(resp, 0, sizeof(*resp));
}
