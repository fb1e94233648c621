/* SPDX-License-Identifier: ISC */
/*
 * The one place where the API server's failures become gd_err: the HTTP
 * status picks the code, the Status object's message becomes the text.
 *
 * The subtle part is server-side apply conflicts: the message says "Apply
 * failed with 2 conflicts: ..." and may be cut or reworded by a proxy or
 * an older server, while the fields that conflict are also in
 * details.causes. Fields the message does not already name are appended,
 * so the person reading the sync result always sees which field another
 * manager owns.
 */
#include <string.h>

#include "kube_int.h"

static int
status_code(long http)
{
	switch (http) {
	case 400:
	case 422:
		return GD_EINVAL;
	case 401:
		return GD_EUNAUTH;
	case 403:
		return GD_EDENIED;
	case 404:
		return GD_ENOTFOUND;
	case 409:
	case 410:
		return GD_ECONFLICT;
	case 413:
		return GD_ETOOBIG;
	case 429:
	case 503:
		return GD_EUNAVAIL;
	default:
		return GD_EUPSTREAM;
	}
}

/* Appends the conflicting fields that msg lacks: " (fields .a, .b)". */
static void
add_conflict_fields(struct gd_buf *b, const char *msg, const json_t *causes)
{
	const char *reason, *field;
	json_t *c;
	size_t i;
	int n = 0;

	json_array_foreach(causes, i, c) {
		reason = json_string_value(json_object_get(c, "reason"));
		field = json_string_value(json_object_get(c, "field"));
		if (reason == NULL || field == NULL || field[0] == '\0' ||
		    strcmp(reason, "FieldManagerConflict") != 0 ||
		    strstr(msg, field) != NULL)
			continue;
		gd_buf_adds(b, n++ == 0 ? " (conflicting fields " : ", ");
		gd_buf_adds(b, field);
	}
	if (n > 0)
		gd_buf_addc(b, ')');
}

/* The start of a non-Status body, on one line, for the message. */
static void
add_snippet(struct gd_buf *b, const char *body, size_t len)
{
	size_t i;

	if (body == NULL || len == 0)
		return;
	gd_buf_adds(b, ": ");
	for (i = 0; i < len && i < 120; i++) {
		if (body[i] == '\n' || body[i] == '\r' || body[i] == '\t')
			gd_buf_addc(b, ' ');
		else if ((unsigned char)body[i] >= 0x20 && body[i] != 0x7f)
			gd_buf_addc(b, body[i]);
	}
}

int
gd_kube_status_err(struct gd_err *err, long http, const char *body, size_t len)
{
	struct gd_buf b;
	json_t *st = NULL;
	const char *msg = NULL, *kind;
	int code = status_code(http);

	gd_buf_init(&b);
	if (body != NULL && len > 0)
		st = json_loadb(body, len, 0, NULL);
	kind = json_string_value(json_object_get(st, "kind"));
	if (kind != NULL && strcmp(kind, "Status") == 0)
		msg = json_string_value(json_object_get(st, "message"));
	if (msg != NULL && msg[0] != '\0') {
		gd_buf_adds(&b, msg);
		add_conflict_fields(&b, msg,
		    json_object_get(json_object_get(st, "details"), "causes"));
	} else {
		gd_buf_printf(&b, "HTTP %ld", http);
		if (kind != NULL && strcmp(kind, "Status") == 0 &&
		    json_string_value(json_object_get(st, "reason")) != NULL)
			gd_buf_printf(&b, " %s",
			    json_string_value(json_object_get(st, "reason")));
		else
			add_snippet(&b, body, len);
	}
	gd_err_set(err, code, "%s", b.data);
	gd_buf_dispose(&b);
	json_decref(st);
	return code;
}
