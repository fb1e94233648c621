/* SPDX-License-Identifier: ISC */
/*
 * Test helper: Helm charts pushed to an OCI registry through the
 * distribution upload API (no helm or oras), and chart archives built in
 * memory to push.
 */
#ifndef GITOPSD_TESTS_OCIPUSH_H
#define GITOPSD_TESTS_OCIPUSH_H

#include <stddef.h>

#define OCIPUSH_DIGEST_LEN 72

/*
 * Pushes the chart archive tgz as base/v2/repo:tag with Helm's media
 * types: config, then the chart layer, then the manifest. user NULL
 * pushes anonymously; otherwise a 401 is answered as the registry asks
 * (Basic, or a token from the Bearer realm). digest receives the
 * manifest's "sha256:..." (may be NULL). 0 or -1 with errbuf filled.
 */
int ocipush(const char *base, const char *repo, const char *tag,
    const void *tgz, size_t len, const char *user, const char *password,
    char *digest, char *errbuf, size_t errlen);

/*
 * The same, with size written in the manifest for the chart layer instead
 * of len (registries do not check it): tests of clients that must.
 */
int ocipush_sized(const char *base, const char *repo, const char *tag,
    const void *tgz, size_t len, long long size, const char *user,
    const char *password, char *digest, char *errbuf, size_t errlen);

/*
 * A chart archive: NAME/Chart.yaml (apiVersion v2, name, version),
 * NAME/values.yaml (holding note, so the same version can have other
 * bytes) and NAME/templates/cm.yaml. *out is malloc'd.
 */
void ocipush_chart(const char *name, const char *version, const char *note,
    void **out, size_t *len);

#endif /* GITOPSD_TESTS_OCIPUSH_H */
