/* SPDX-License-Identifier: ISC */
/*
 * GET /api/v1/projects and GET /api/v1/projects/{name}: the AppProjects
 * of the catalog, with the permissive "default" project when the gitops
 * repository defines none. The shape is Argo CD's ({items: [...]}) and
 * items are shared references into the immutable catalog snapshot.
 */
#include <string.h>

#include "api_catalog.h"
#include "gitopsd/catalog.h"

int
gd_api_projects_list(const struct gd_api_env *env, struct gd_req *req,
    struct gd_resp *resp, struct gd_err *err)
{
	struct gd_catalog *c = NULL;
	const char *name = gd_req_query(req, "name");
	json_t *items = json_array(), *p;
	size_t i;

	(void)err;
	if (env->catalog != NULL)
		c = gd_catalog_cell_get(env->catalog);
	json_array_foreach(c != NULL ? gd_catalog_projects(c) : NULL, i, p) {
		if (name != NULL && name[0] != '\0' &&
		    strcmp(json_string_value(json_object_get(
			       json_object_get(p, "metadata"), "name")),
			name) != 0)
			continue;
		json_array_append(items, p);
	}
	gd_resp_json(resp, 200,
	    json_pack("{s:{s:s}, s:o}", "metadata", "resourceVersion",
		c != NULL ? gd_catalog_revision(c) : "", "items", items));
	gd_catalog_unref(c);
	return 0;
}

int
gd_api_projects_get(const struct gd_api_env *env, struct gd_req *req,
    struct gd_resp *resp, struct gd_err *err)
{
	struct gd_catalog *c = NULL;
	const char *name = gd_req_param(req, "name");
	json_t *p = NULL;
	int rc = 0;

	if (env->catalog != NULL)
		c = gd_catalog_cell_get(env->catalog);
	if (c != NULL)
		p = gd_catalog_project(c, name);
	if (p == NULL)
		rc = gd_err_set(err, GD_ENOTFOUND,
		    "appprojects.argoproj.io \"%s\" not found", name);
	else
		gd_resp_json(resp, 200, json_incref(p));
	gd_catalog_unref(c);
	return rc;
}
