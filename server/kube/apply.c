/* SPDX-License-Identifier: ISC */
/*
 * Server-side apply: one PATCH of the whole desired object with
 * Content-Type application/apply-patch+yaml (a JSON body is valid YAML,
 * and is what kubectl sends), naming the field manager, and force and
 * dryRun=All when asked. The server merges, owns the conflict rules, and
 * creates the object when it does not exist.
 *
 * The subtle part is what must not be sent: managedFields (the server
 * refuses an apply that carries them), so an object read back from the
 * cluster can be applied again without the caller cleaning it.
 */
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"

/* The body: obj without metadata.managedFields. Caller frees. */
static char *
apply_body(const json_t *obj, size_t *len)
{
	json_t *copy = NULL, *md;
	char *s;

	md = json_object_get(obj, "metadata");
	if (json_object_get(md, "managedFields") != NULL) {
		copy = json_deep_copy(obj);
		json_object_del(
		    json_object_get(copy, "metadata"), "managedFields");
		obj = copy;
	}
	s = json_dumps(obj, JSON_COMPACT);
	json_decref(copy);
	*len = strlen(s);
	return s;
}

int
gd_kube_apply(struct gd_kube *k, json_t **out, const json_t *obj,
    const struct gd_kube_apply_opts *o, struct gd_err *err)
{
	struct gd_kube_ref ref;
	struct gd_buf q;
	json_t *md, *res = NULL;
	char *path = NULL, *body = NULL;
	size_t len;
	int rc;

	if (out != NULL)
		*out = NULL;
	gd_buf_init(&q);
	md = json_object_get(obj, "metadata");
	ref.api_version = json_string_value(json_object_get(obj, "apiVersion"));
	ref.kind = json_string_value(json_object_get(obj, "kind"));
	ref.name = json_string_value(json_object_get(md, "name"));
	ref.namespace = json_string_value(json_object_get(md, "namespace"));
	if (ref.api_version == NULL || ref.kind == NULL || ref.name == NULL) {
		rc = gd_err_set(err, GD_EINVAL,
		    "apply: the object needs apiVersion, kind and "
		    "metadata.name");
		goto out;
	}
	if (o == NULL || o->field_manager == NULL ||
	    o->field_manager[0] == '\0') {
		rc = gd_err_set(err, GD_EINVAL,
		    "apply %s/%s: a field manager is needed", ref.kind,
		    ref.name);
		goto out;
	}
	if ((rc = gd_kube_path(k, &path, &ref, err)) < 0)
		goto out;
	gd_buf_printf(&q, "%s?fieldManager=", path);
	gd_kube_query_escape(&q, o->field_manager);
	if (o->force)
		gd_buf_adds(&q, "&force=true");
	if (o->dry_run)
		gd_buf_adds(&q, "&dryRun=All");
	body = apply_body(obj, &len);
	if ((rc = gd_kube_request(k, out != NULL ? &res : NULL, NULL, "PATCH",
		 q.data, "application/apply-patch+yaml", body, len, err)) < 0)
		goto out;
	if (out != NULL) {
		*out = res;
		res = NULL;
	}
out:
	json_decref(res);
	gd_buf_dispose(&q);
	free(path);
	free(body);
	return rc;
}
