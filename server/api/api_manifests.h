/* SPDX-License-Identifier: ISC */
/*
 * Shared inside server/api only: the handler of issue #5 (what an
 * application renders to).
 */
#ifndef GITOPSD_API_MANIFESTS_H
#define GITOPSD_API_MANIFESTS_H

#include "api_int.h"

/* api_manifests.c: GET /api/v1/applications/{name}/manifests */
int gd_api_manifests_get(const struct gd_api_env *, struct gd_req *,
    struct gd_resp *, struct gd_err *);

#endif /* GITOPSD_API_MANIFESTS_H */
