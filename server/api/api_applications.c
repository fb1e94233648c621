/* SPDX-License-Identifier: ISC */
/*
 * GET /api/v1/applications and GET /api/v1/applications/{name}: the
 * catalog in Argo CD's JSON shape, so bots written for Argo CD read it
 * unchanged. Filters follow Argo CD: projects (also the legacy project,
 * each repeatable), a label selector, name and repo. The hard part is
 * not copying: the catalog's items are shared and immutable, so a list
 * is an array of references to them, and only when the gitops repository
 * failed its last fetch does an item get a shallow copy with one more
 * condition (the failure is reported on every app that uses the repo).
 */
#include <stdlib.h>
#include <string.h>

#include "api_catalog.h"
#include "gitopsd/catalog.h"
#include "gitopsd/repo.h"

/* Whether the query names projects and app's project is one of them. */
static bool
apps_project_ok(const struct gd_req *req, const json_t *app, bool *filtered)
{
	const char *p = json_string_value(
	    json_object_get(json_object_get(app, "spec"), "project"));
	size_t i;

	*filtered = false;
	if (p == NULL || p[0] == '\0')
		p = "default";
	for (i = 0; i < req->query.n; i++) {
		if (strcmp(req->query.v[i].key, "projects") != 0 &&
		    strcmp(req->query.v[i].key, "project") != 0 &&
		    strcmp(req->query.v[i].key, "projects[]") != 0 &&
		    strcmp(req->query.v[i].key, "project[]") != 0)
			continue;
		if (req->query.v[i].val[0] == '\0')
			continue;
		*filtered = true;
		if (strcmp(req->query.v[i].val, p) == 0)
			return true;
	}
	return !*filtered;
}

/* Whether app uses repo (a source's repoURL, by URL key). */
static bool
apps_uses_repo(const json_t *app, const char *key)
{
	json_t *spec = json_object_get(app, "spec"), *s;
	const char *u;
	char *k;
	bool hit = false;
	size_t i;

	u = json_string_value(
	    json_object_get(json_object_get(spec, "source"), "repoURL"));
	if (u != NULL) {
		k = gd_repo_url_key(u);
		hit = strcmp(k, key) == 0;
		free(k);
	}
	json_array_foreach(json_object_get(spec, "sources"), i, s) {
		if (hit ||
		    (u = json_string_value(json_object_get(s, "repoURL"))) ==
			NULL)
			continue;
		k = gd_repo_url_key(u);
		hit = strcmp(k, key) == 0;
		free(k);
	}
	return hit;
}

/* The gitops repository's last fetch, when it failed (else t is 0). */
struct apps_fetch {
	time_t t;
	struct gd_err err;
};

static void
apps_fetch_state(struct apps_fetch *f, const struct gd_api_env *env)
{
	f->t = 0;
	if (env->gitops != NULL &&
	    (f->t = gd_repo_last_fetch(env->gitops, &f->err)) != 0 &&
	    f->err.code == GD_OK)
		f->t = 0;
}

/*
 * The app as served: itself, or a shallow copy carrying the gitops
 * repository's fetch failure as a condition.
 */
static json_t *
apps_view(const struct apps_fetch *f, json_t *app)
{
	json_t *copy, *status, *conds;
	char when[GD_TIME_LEN];

	if (f->t == 0)
		return json_incref(app);
	copy = json_copy(app);
	status = json_copy(json_object_get(app, "status"));
	conds = json_copy(json_object_get(status, "conditions"));
	if (conds == NULL)
		conds = json_array();
	gd_time_format(when, f->t);
	json_array_append_new(conds,
	    json_pack("{s:s, s:s, s:s}", "type", "ComparisonError", "message",
		f->err.msg, "lastTransitionTime", when));
	json_object_set_new(status, "conditions", conds);
	json_object_set_new(copy, "status", status);
	return copy;
}

int
gd_api_apps_list(const struct gd_api_env *env, struct gd_req *req,
    struct gd_resp *resp, struct gd_err *err)
{
	struct gd_catalog *c = NULL;
	const char *sel = gd_req_query(req, "selector");
	const char *name = gd_req_query(req, "name");
	const char *repo = gd_req_query(req, "repo");
	json_t *items = json_array(), *app, *labels;
	struct apps_fetch fetch;
	char *repokey = NULL;
	bool ok, filtered;
	size_t i;
	int rc = 0;

	if (env->catalog != NULL)
		c = gd_catalog_cell_get(env->catalog);
	if (repo != NULL && repo[0] != '\0')
		repokey = gd_repo_url_key(repo);
	apps_fetch_state(&fetch, env);
	/* a malformed selector is a 400 even when no app would be tried */
	if (sel != NULL &&
	    (rc = gd_catalog_selector_match(&ok, sel, NULL, err)) < 0)
		goto out;
	json_array_foreach(c != NULL ? gd_catalog_apps(c) : NULL, i, app) {
		if (!apps_project_ok(req, app, &filtered))
			continue;
		if (name != NULL && name[0] != '\0' &&
		    strcmp(json_string_value(json_object_get(
			       json_object_get(app, "metadata"), "name")),
			name) != 0)
			continue;
		if (repokey != NULL && !apps_uses_repo(app, repokey))
			continue;
		if (sel != NULL) {
			labels = json_object_get(
			    json_object_get(app, "metadata"), "labels");
			if ((rc = gd_catalog_selector_match(
				 &ok, sel, labels, err)) < 0)
				goto out;
			if (!ok)
				continue;
		}
		json_array_append_new(items, apps_view(&fetch, app));
	}
	gd_resp_json(resp, 200,
	    json_pack("{s:{s:s}, s:O}", "metadata", "resourceVersion",
		c != NULL ? gd_catalog_revision(c) : "", "items", items));
out:
	free(repokey);
	json_decref(items);
	gd_catalog_unref(c);
	return rc;
}

int
gd_api_apps_get(const struct gd_api_env *env, struct gd_req *req,
    struct gd_resp *resp, struct gd_err *err)
{
	struct gd_catalog *c = NULL;
	const char *name = gd_req_param(req, "name");
	json_t *app = NULL;
	struct apps_fetch fetch;
	bool filtered;
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
	/* another project than the one asked for: 403, as Argo CD does */
	if (!apps_project_ok(req, app, &filtered)) {
		rc = gd_err_set(err, GD_EDENIED,
		    "permission denied: application %s is not in the project "
		    "asked for",
		    name);
		goto out;
	}
	apps_fetch_state(&fetch, env);
	gd_resp_json(resp, 200, apps_view(&fetch, app));
out:
	gd_catalog_unref(c);
	return rc;
}
