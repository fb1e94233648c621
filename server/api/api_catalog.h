/* SPDX-License-Identifier: ISC */
/*
 * Shared inside server/api only: the handlers of issue #3 (applications
 * and projects from the catalog, and the git webhook).
 */
#ifndef GITOPSD_API_CATALOG_H
#define GITOPSD_API_CATALOG_H

#include "api_int.h"

/* api_applications.c */
int gd_api_apps_list(const struct gd_api_env *, struct gd_req *,
    struct gd_resp *, struct gd_err *);
int gd_api_apps_get(const struct gd_api_env *, struct gd_req *,
    struct gd_resp *, struct gd_err *);

/* api_projects.c */
int gd_api_projects_list(const struct gd_api_env *, struct gd_req *,
    struct gd_resp *, struct gd_err *);
int gd_api_projects_get(const struct gd_api_env *, struct gd_req *,
    struct gd_resp *, struct gd_err *);

/* api_webhook.c */
#define GD_WEBHOOK_MAX_BODY (1024 * 1024)
int gd_api_webhook_post(const struct gd_api_env *, struct gd_req *,
    struct gd_resp *, struct gd_err *);
/*
 * Parses a push payload: *url receives every repository URL it names
 * (an array) and *ref the pushed ref ("refs/heads/main"), or NULL for an
 * event that moves nothing (ping). GD_EINVAL for a malformed payload.
 */
int gd_api_webhook_parse(json_t **urls, char **ref, const char *provider,
    const char *body, size_t len, struct gd_err *);

#endif /* GITOPSD_API_CATALOG_H */
