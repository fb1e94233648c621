/* SPDX-License-Identifier: ISC */
/*
 * GET /api/v1/applications/{name}/manifests: what the application
 * renders to, in Argo CD's ManifestResponse shape, so `argocd app
 * manifests`-style bots read it unchanged: every object as a JSON string,
 * the destination, the revision and the source type. ?revision= renders
 * another revision of a single-source app; ?noCache=true is a hard
 * refresh (the render cache bypassed, charts pulled again). Rendering is the
 * source module's (its cache makes a repeated call cheap); this file only
 * finds the app with the get handler's rules (404, 403 for another
 * project) and turns a failed render into a 502 that carries the
 * source's own message, since the fault is upstream of the request.
 */
#include <stdlib.h>
#include <string.h>

#include "api_manifests.h"
#include "gitopsd/catalog.h"
#include "gitopsd/source.h"

/* The get handler's rule: ?project(s)= given and app's not among them. */
static bool
manifests_project_denied(const struct gd_req *req, const json_t *app)
{
	const char *p = json_string_value(
	    json_object_get(json_object_get(app, "spec"), "project"));
	const char *k;
	bool filtered = false;
	size_t i;

	if (p == NULL || p[0] == '\0')
		p = "default";
	for (i = 0; i < req->query.n; i++) {
		k = req->query.v[i].key;
		if ((strcmp(k, "projects") != 0 && strcmp(k, "project") != 0 &&
			strcmp(k, "projects[]") != 0 &&
			strcmp(k, "project[]") != 0) ||
		    req->query.v[i].val[0] == '\0')
			continue;
		filtered = true;
		if (strcmp(req->query.v[i].val, p) == 0)
			return false;
	}
	return filtered;
}

static json_t *
manifests_body(const json_t *res)
{
	json_t *list = json_array(), *o;
	size_t i;
	char *s;

	json_array_foreach(json_object_get(res, "objects"), i, o) {
		s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		json_array_append_new(list, json_string(s));
		free(s);
	}
	return json_pack("{s:o, s:O, s:O, s:O, s:O}", "manifests", list,
	    "namespace", json_object_get(res, "namespace"), "server",
	    json_object_get(res, "server"), "revision",
	    json_object_get(res, "revision"), "sourceType",
	    json_object_get(res, "sourceType"));
}

int
gd_api_manifests_get(const struct gd_api_env *env, struct gd_req *req,
    struct gd_resp *resp, struct gd_err *err)
{
	struct gd_catalog *c = NULL;
	const char *name = gd_req_param(req, "name");
	const char *rev = gd_req_query(req, "revision"), *nc;
	struct gd_source_req rq;
	json_t *app = NULL, *res = NULL;
	int rc = 0;

	if (env->catalog != NULL)
		c = gd_catalog_cell_get(env->catalog);
	if (c != NULL)
		app = gd_catalog_app(c, name);
	if (app == NULL) {
		rc = gd_err_set(err, GD_ENOTFOUND,
		    "applications.argoproj.io \"%s\" not found", name);
		goto out;
	}
	if (manifests_project_denied(req, app)) {
		rc = gd_err_set(err, GD_EDENIED,
		    "permission denied: application %s is not in the project "
		    "asked for",
		    name);
		goto out;
	}
	if (env->source == NULL) {
		rc = gd_err_set(err, GD_EUNAVAIL,
		    "manifests of %s: rendering is not available", name);
		goto out;
	}
	memset(&rq, 0, sizeof(rq));
	rq.app = name;
	rq.revision = rev != NULL && rev[0] != '\0' ? rev : NULL;
	nc = gd_req_query(req, "noCache");
	if (nc != NULL && strcmp(nc, "true") == 0)
		rq.flags |= GD_SOURCE_HARD;
	if ((rc = gd_source_render(&res, env->source, c, &rq, err)) < 0) {
		/* the source failed, not the request: the message says how */
		if (err != NULL)
			err->code = GD_EUPSTREAM;
		rc = GD_EUPSTREAM;
		goto out;
	}
	gd_resp_json(resp, 200, manifests_body(res));
out:
	json_decref(res);
	gd_catalog_unref(c);
	return rc;
}
