/* SPDX-License-Identifier: ISC */
/*
 * Shared inside server/api only: name/value lists, percent-decoding, the
 * static file server, the built-in handlers and the embedded UI table.
 */
#ifndef GITOPSD_API_INT_H
#define GITOPSD_API_INT_H

#include "gitopsd/api.h"

/* The web/ files built into the binary (generated from WEB_FILES). */
extern const struct gd_embed_file gd_web_files[];

/* --- name/value lists (req.c) -------------------------------------------- */

/* Copies key and val (val may be NULL, kept as ""). */
void gd_kvs_add(struct gd_kvs *, const char *key, const char *val);
/* Case-insensitive when nocase; first match; NULL when absent. */
const char *gd_kvs_get(const struct gd_kvs *, const char *key, bool nocase);
/* Drops a key (case-insensitive); returns whether it was there. */
bool gd_kvs_del(struct gd_kvs *, const char *key);
/* Frees entries and keeps the array for reuse. */
void gd_kvs_clear(struct gd_kvs *);
void gd_kvs_dispose(struct gd_kvs *);

/*
 * Percent-decodes s[0..n) into *out (caller frees); '+' becomes a space
 * when plus (query strings). GD_EINVAL on a bad escape or an encoded NUL;
 * the message quotes s.
 */
int gd_req_unescape(
    char **out, const char *s, size_t n, bool plus, struct gd_err *);

/* --- static files (static.c) --------------------------------------------- */

/* The MIME type for a file name, by extension; never NULL. */
const char *gd_static_mime(const char *name);
/*
 * Serves a GET or HEAD for a path outside /api/ from env->web_root or the
 * embedded table: 400 for a path that tries to leave the root, 404 for a
 * missing file.
 */
int gd_static_serve(const struct gd_api_env *, struct gd_req *,
    struct gd_resp *, struct gd_err *);

/* --- built-in handlers (api_version.c) ----------------------------------- */

int gd_api_version_get(const struct gd_api_env *, struct gd_req *,
    struct gd_resp *, struct gd_err *);
int gd_api_version_healthz(const struct gd_api_env *, struct gd_req *,
    struct gd_resp *, struct gd_err *);

#endif /* GITOPSD_API_INT_H */
