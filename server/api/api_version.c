/* SPDX-License-Identifier: ISC */
/*
 * What the server says about itself: GET /api/version in Argo CD's field
 * names (so `argocd version` style tools and bots read it unchanged), and
 * GET /healthz, the liveness probe Argo CD also answers with "ok". All
 * the values are fixed at build time; the only subtlety is naming the
 * platform and compiler from predefined macros rather than guessing.
 */
#include "api_int.h"

/* Go's names, as Argo CD prints them; other platforms say "unknown". */
#if defined(__x86_64__)
#define VERSION_ARCH "amd64"
#elif defined(__aarch64__)
#define VERSION_ARCH "arm64"
#else
#define VERSION_ARCH "unknown"
#endif

#if defined(__linux__)
#define VERSION_OS "linux"
#else
#define VERSION_OS "unknown"
#endif

#if defined(__clang__)
#define VERSION_CC "clang " __clang_version__
#elif defined(__GNUC__)
#define VERSION_CC "gcc " __VERSION__
#else
#define VERSION_CC "cc"
#endif

int
gd_api_version_get(const struct gd_api_env *env, struct gd_req *req,
    struct gd_resp *resp, struct gd_err *err)
{
	gd_resp_json(resp, 200,
	    json_pack("{s:s, s:s, s:s, s:s, s:s}", "Version",
		"v" PACKAGE_VERSION, "BuildDate", GD_BUILD_DATE, "GitCommit",
		GD_GIT_COMMIT, "Platform", VERSION_OS "/" VERSION_ARCH,
		"Compiler", VERSION_CC));
	return 0;
}

int
gd_api_version_healthz(const struct gd_api_env *env, struct gd_req *req,
    struct gd_resp *resp, struct gd_err *err)
{
	gd_resp_text(resp, 200, "ok");
	return 0;
}
