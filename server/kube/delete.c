/* SPDX-License-Identifier: ISC */
/*
 * Deleting objects, and creating namespaces (the one create gitopsd does
 * outside server-side apply, for syncOptions CreateNamespace=true).
 *
 * DELETE carries its options as a DeleteOptions body, as kubectl sends
 * them, so the propagation policy and dryRun reach servers that ignore
 * query parameters on DELETE. A 404 stays GD_ENOTFOUND: for a prune the
 * caller reads that as "already gone", for anything else it is an error.
 */
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"

int
gd_kube_delete(struct gd_kube *k, const struct gd_kube_ref *ref,
    const struct gd_kube_delete_opts *o, struct gd_err *err)
{
	json_t *opts = NULL;
	char *path = NULL, *body = NULL;
	const char *pp = o != NULL ? o->propagation : NULL;
	int rc;

	if (ref->name == NULL)
		return gd_err_set(
		    err, GD_EINVAL, "delete %s: no name", ref->kind);
	if (pp != NULL && strcmp(pp, "Foreground") != 0 &&
	    strcmp(pp, "Background") != 0 && strcmp(pp, "Orphan") != 0)
		return gd_err_set(err, GD_EINVAL,
		    "delete %s/%s: propagation policy %s is not Foreground, "
		    "Background or Orphan",
		    ref->kind, ref->name, pp);
	if ((rc = gd_kube_path(k, &path, ref, err)) < 0)
		goto out;
	opts = json_pack(
	    "{s:s, s:s}", "kind", "DeleteOptions", "apiVersion", "v1");
	if (pp != NULL)
		json_object_set_new(opts, "propagationPolicy", json_string(pp));
	if (o != NULL && o->dry_run)
		json_object_set_new(opts, "dryRun", json_pack("[s]", "All"));
	body = json_dumps(opts, JSON_COMPACT);
	rc = gd_kube_request(k, NULL, NULL, "DELETE", path, "application/json",
	    body, strlen(body), err);
out:
	json_decref(opts);
	free(path);
	free(body);
	return rc;
}

int
gd_kube_namespace_create(
    struct gd_kube *k, const char *name, struct gd_err *err)
{
	json_t *ns;
	char *body;
	long status = 0;
	int rc;

	if (name == NULL || name[0] == '\0')
		return gd_err_set(err, GD_EINVAL, "namespace: no name");
	ns = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind",
	    "Namespace", "metadata", "name", name);
	body = json_dumps(ns, JSON_COMPACT);
	rc = gd_kube_request(k, NULL, &status, "POST", "/api/v1/namespaces",
	    "application/json", body, strlen(body), err);
	/* AlreadyExists: what the caller wanted is true. */
	if (rc == GD_ECONFLICT && status == 409) {
		gd_err_clear(err);
		rc = 0;
	}
	json_decref(ns);
	free(body);
	return rc;
}
