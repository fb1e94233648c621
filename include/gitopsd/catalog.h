/* SPDX-License-Identifier: ISC */
/*
 * catalog: every Argo CD Application and AppProject document of the
 * gitops repository at one commit, validated. A catalog is an immutable,
 * reference-counted snapshot: the poller builds a new one per commit and
 * swaps it into a struct gd_catalog_cell; readers take a reference and
 * never block the swap.
 *
 * An invalid Application is not dropped: it is listed with
 * InvalidSpecError conditions whose messages start with file:line:col
 * ("apps/web/application.yaml:14:5: spec.destination.namespace: expected
 * a string"). A project named "default" exists when the repository does
 * not define one, permissive as in Argo CD.
 */
#ifndef GITOPSD_CATALOG_H
#define GITOPSD_CATALOG_H

#include "gitopsd/core.h"
#include "gitopsd/repo.h"

struct gd_catalog;

/* Globs used when the config gives none. */
extern const char *const gd_catalog_default_include[];

/*
 * Reads every file of repo at commit sha that matches one of include
 * (NULL-terminated globs, "**" crossing folders; NULL: every *.yaml and
 * *.yml). Errors in documents become conditions; only the repository
 * itself failing (a commit that is not there) is an error here.
 */
int gd_catalog_load(struct gd_catalog **out, struct gd_repo *repo,
    const char *sha, const char *const *include, struct gd_err *);

/*
 * Building one by hand (tests, fuzzing, the loader itself): new, one
 * add_yaml per file, then finish, which settles duplicates, projects and
 * the default project. Nothing may be added after finish.
 */
struct gd_catalog *gd_catalog_new(const char *repo_url, const char *sha);
void gd_catalog_add_yaml(
    struct gd_catalog *, const char *file, const char *buf, size_t len);
void gd_catalog_finish(struct gd_catalog *);

/* A new reference; NULL-safe. */
struct gd_catalog *gd_catalog_ref(struct gd_catalog *);
/* Drops a reference; the last one frees. NULL-safe. */
void gd_catalog_unref(struct gd_catalog *);

/* The commit the catalog was read from. */
const char *gd_catalog_revision(const struct gd_catalog *);
const char *gd_catalog_repo_url(const struct gd_catalog *);

/*
 * Borrowed, live as long as the catalog; never modify them. Applications
 * are in Argo CD's shape ({apiVersion, kind, metadata, spec, status}),
 * status holding conditions and sync.revision; sorted by name.
 */
json_t *gd_catalog_apps(const struct gd_catalog *);
json_t *gd_catalog_projects(const struct gd_catalog *);
/* NULL when there is no such name. */
json_t *gd_catalog_app(const struct gd_catalog *, const char *name);
json_t *gd_catalog_project(const struct gd_catalog *, const char *name);
/* The file the application was read from; NULL when unknown. */
const char *gd_catalog_app_file(const struct gd_catalog *, const char *name);
/*
 * Problems not tied to one application (a file that is not YAML): an
 * array of "file:line:col: message" strings.
 */
json_t *gd_catalog_errors(const struct gd_catalog *);

/*
 * The names of applications added, removed or changed (metadata or spec)
 * from old to new, sorted. old may be NULL (every app is new).
 */
json_t *gd_catalog_changed(
    const struct gd_catalog *old, const struct gd_catalog *new);

/*
 * Label selector as kubectl takes it: "k=v,k!=v,k,!k" (also "=="). Sets
 * *match; GD_EINVAL for a malformed selector.
 */
int gd_catalog_selector_match(
    bool *match, const char *selector, const json_t *labels, struct gd_err *);

/* Glob match on "/"-separated paths: * ? [..] within a part, ** across. */
bool gd_catalog_glob_match(const char *pattern, const char *path);

/* --- value files --------------------------------------------------------- */

/*
 * Where the value file vf of source number src (0 for spec.source) of
 * application app is looked for, in order; the first that exists wins:
 *   1. "$ref/path": path from the root of the source whose ref is "ref",
 *      at its targetRevision (as in Argo CD). Nothing else is tried.
 *   2. an http(s):// URL: as it is.
 *   3. a relative path: inside the chart (a chart from a registry) or
 *      relative to the source's path (a chart in git), then relative to
 *      the Application file's own folder in the gitops repository at
 *      the catalog's commit.
 * *out is an array of {"where": "ref"|"url"|"chart"|"source"|"gitops",
 * "repoURL", "revision", "path"}. A path that is absolute or climbs out
 * of its repository is GD_EINVAL.
 */
int gd_catalog_value_file_lookup(json_t **out, const struct gd_catalog *,
    const char *app, size_t src, const char *vf, struct gd_err *);

/*
 * Reads value file vf from the application's folder in the gitops
 * repository at the catalog's commit (step 3's last candidate). Paths
 * that leave the repository and symlinks are refused (GD_EINVAL).
 */
int gd_catalog_read_value_file(struct gd_buf *out, const struct gd_catalog *,
    struct gd_repo *gitops, const char *app, const char *vf, struct gd_err *);

/* --- the current catalog ------------------------------------------------- */

struct gd_catalog_cell;

struct gd_catalog_cell *gd_catalog_cell_new(void);
/* Drops the reference the cell holds. NULL-safe. */
void gd_catalog_cell_free(struct gd_catalog_cell *);
/* A new reference to the current catalog, or NULL before the first. */
struct gd_catalog *gd_catalog_cell_get(struct gd_catalog_cell *);
/* Takes the reference to c and drops the one to the previous catalog. */
void gd_catalog_cell_set(struct gd_catalog_cell *, struct gd_catalog *c);

/* --- following the gitops repository ------------------------------------ */

struct gd_catalog_follow;

/*
 * Keeps cell current with branch of repo: after each fetch of repo (pass
 * gd_catalog_follow_poll to gd_repo_poller_new with this as its arg) it
 * resolves the branch and, when the commit moved, loads a new catalog,
 * logs the applications that changed and swaps it in. include is copied.
 */
struct gd_catalog_follow *gd_catalog_follow_new(struct gd_repo *repo,
    const char *branch, const char *const *include,
    struct gd_catalog_cell *cell);
void gd_catalog_follow_free(struct gd_catalog_follow *);
void gd_catalog_follow_poll(
    void *follow, struct gd_repo *, int rc, const struct gd_err *);

#endif /* GITOPSD_CATALOG_H */
