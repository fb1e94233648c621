/* SPDX-License-Identifier: ISC */
/*
 * The static file server for the web UI: every GET or HEAD outside /api/
 * that no route claims. Files come from web_root on disk (development, or
 * an operator's override) or from the copy embedded in the binary. The
 * hard part is confinement: the path is decoded segment by segment, and a
 * segment that decodes to ".." or "." or holds a slash (encoded "%2f"),
 * a backslash or a NUL is refused with 400 before any file name is built;
 * dot files are 404; the rest goes through gd_path_join, which refuses
 * symlinks that lead out of the root.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "api_int.h"

/* A UI file larger than this is a mistake, not something to serve. */
#define STATIC_MAX_FILE (32 * 1024 * 1024)

static const struct {
	const char *ext;
	const char *type;
} static_mimes[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "json", "application/json" },
	{ "map", "application/json" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "ico", "image/x-icon" },
	{ "woff2", "font/woff2" },
	{ "woff", "font/woff" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "wasm", "application/wasm" },
};

const char *
gd_static_mime(const char *name)
{
	const char *dot, *slash;
	size_t i;

	dot = strrchr(name, '.');
	slash = strrchr(name, '/');
	if (dot == NULL || (slash != NULL && dot < slash))
		return "application/octet-stream";
	for (i = 0; i < sizeof(static_mimes) / sizeof(static_mimes[0]); i++)
		if (strcasecmp(dot + 1, static_mimes[i].ext) == 0)
			return static_mimes[i].type;
	return "application/octet-stream";
}

/*
 * Turns "/a/b%20c/" into "a/b c/index.html". GD_EINVAL for a segment that
 * would climb or hide a separator, GD_ENOTFOUND for dot files and empty
 * segments, which no UI file has.
 */
static int
static_relpath(char **out, const char *path, struct gd_err *err)
{
	struct gd_buf b;
	const char *p, *q;
	char *seg = NULL;
	int rc = 0;

	*out = NULL;
	gd_buf_init(&b);
	for (p = path + 1;; p = q + 1) {
		if ((q = strchr(p, '/')) == NULL)
			q = p + strlen(p);
		if (*q == '\0' && q == p) {
			gd_buf_adds(&b, "index.html");
			break;
		}
		if ((rc = gd_req_unescape(
			 &seg, p, (size_t)(q - p), false, err)) < 0) {
			gd_err_wrap(err, "path");
			goto out;
		}
		if (strcmp(seg, "..") == 0 || strcmp(seg, ".") == 0 ||
		    strpbrk(seg, "/\\") != NULL) {
			rc = gd_err_set(err, GD_EINVAL,
			    "path \"%.200s\" leaves the web root", path);
			goto out;
		}
		if (seg[0] == '\0' || seg[0] == '.') {
			rc = gd_err_set(err, GD_ENOTFOUND,
			    "file \"%.200s\" not found", path);
			goto out;
		}
		gd_buf_adds(&b, seg);
		free(seg);
		seg = NULL;
		if (*q == '\0')
			break;
		gd_buf_addc(&b, '/');
	}
	*out = gd_buf_detach(&b, NULL);
out:
	free(seg);
	gd_buf_dispose(&b);
	return rc;
}

/* Reads rel under root; every failure is a 404 naming only the URL path. */
static int
static_read_disk(struct gd_resp *resp, const char *root, const char *rel,
    const char *path, struct gd_err *err)
{
	struct gd_buf b;
	struct stat st;
	char *full = NULL, *data;
	size_t len;
	int rc = 0;

	gd_buf_init(&b);
	if (gd_path_join(&full, root, rel, NULL) < 0 || stat(full, &st) == -1 ||
	    !S_ISREG(st.st_mode) ||
	    gd_buf_read_file(&b, full, STATIC_MAX_FILE, NULL) < 0) {
		rc = gd_err_set(
		    err, GD_ENOTFOUND, "file \"%.200s\" not found", path);
		goto out;
	}
	data = gd_buf_detach(&b, &len);
	gd_resp_data(resp, 200, gd_static_mime(rel), data, len, true);
out:
	free(full);
	gd_buf_dispose(&b);
	return rc;
}

int
gd_static_serve(const struct gd_api_env *env, struct gd_req *req,
    struct gd_resp *resp, struct gd_err *err)
{
	const struct gd_embed_file *f;
	char *rel = NULL;
	int rc;

	if ((rc = static_relpath(&rel, req->path, err)) < 0)
		goto out;
	if (env->web_root != NULL) {
		if ((rc = static_read_disk(
			 resp, env->web_root, rel, req->path, err)) < 0)
			goto out;
	} else if ((f = gd_embed_find(gd_web_files, rel)) != NULL)
		gd_resp_data(
		    resp, 200, gd_static_mime(rel), f->data, f->len, false);
	else {
		rc = gd_err_set(
		    err, GD_ENOTFOUND, "file \"%.200s\" not found", req->path);
		goto out;
	}
	/* The UI has no inline script or style, so the strict policy holds. */
	gd_resp_header(resp, "Content-Security-Policy", "default-src 'self'");
	gd_resp_header(resp, "Cache-Control", "no-cache");
out:
	free(rel);
	return rc;
}
