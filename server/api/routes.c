/* SPDX-License-Identifier: ISC */
/*
 * The API's route table: one row per method and path, as tmux keeps one
 * table of commands. Each REST resource adds its rows here and its
 * handlers in api_<resource>.c. Paths follow Argo CD's, so bots written
 * for it work unchanged; GET and HEAD of anything else outside /api/ is
 * the web UI (static.c), which needs no row.
 */
#include "api_int.h"
#include "api_catalog.h"
#include "api_manifests.h"

const struct gd_route gd_api_routes[] = {
	{ "GET", "/api/version", gd_api_version_get, 0 },
	{ "GET", "/healthz", gd_api_version_healthz, 0 },
	{ "GET", "/api/v1/applications", gd_api_apps_list, 0 },
	{ "GET", "/api/v1/applications/{name}", gd_api_apps_get, 0 },
	{ "GET", "/api/v1/applications/{name}/manifests", gd_api_manifests_get,
	    0 },
	{ "GET", "/api/v1/projects", gd_api_projects_list, 0 },
	{ "GET", "/api/v1/projects/{name}", gd_api_projects_get, 0 },
	{ "POST", "/api/webhook", gd_api_webhook_post, 0 },
	{ NULL, NULL, NULL, 0 },
};
