/* SPDX-License-Identifier: ISC */
/*
 * repo: git repositories through libgit2. Each configured URL has a bare
 * mirror under <data_dir>/repos/<hash of the URL>; gitopsd clones it on
 * first use, fetches it on an interval or on demand, and reads files,
 * folders and commit metadata at a commit without a work tree. A fetch
 * that fails leaves the last good mirror in place. Credentials come from
 * the config's repositories: list and never appear in logs or errors.
 *
 * A struct gd_repo may be used from several threads: reads share one
 * handle under a lock, a fetch runs on its own handle and does not block
 * readers.
 */
#ifndef GITOPSD_REPO_H
#define GITOPSD_REPO_H

#include "gitopsd/core.h"
#include "gitopsd/conf.h"

#define GD_SHA_LEN 41 /* 40 hex digits and a NUL */

struct gd_repo;

/* Process-wide libgit2 set-up; main.c and tests call it once. */
void gd_repo_lib_init(void);
void gd_repo_lib_shutdown(void);
/*
 * Makes TLS trust the system's CAs plus every ca_file of the config's
 * repositories: list (libgit2's CA store is process-wide, so each file
 * is trusted for every server). The bundle is written to
 * data_dir/repos/ca-bundle.pem. Nothing happens when no ca_file is set.
 * Call after gd_repo_lib_init, before any fetch.
 */
int gd_repo_lib_trust(
    const struct gd_conf *, const char *data_dir, struct gd_err *);

/*
 * Opens (or creates, empty) the mirror of url under data_dir/repos.
 * conf (borrowed, must outlive the repo; may be NULL) supplies the
 * credentials and TLS settings of gd_conf_repo_for(conf, url). Nothing is
 * fetched yet: call gd_repo_fetch.
 */
int gd_repo_open(struct gd_repo **out, const char *data_dir, const char *url,
    const struct gd_conf *conf, struct gd_err *);
void gd_repo_free(struct gd_repo *);
/* The URL as configured (it may hold userinfo: never log it). */
const char *gd_repo_url(const struct gd_repo *);
/* The URL without userinfo, safe for logs and messages. */
const char *gd_repo_display_url(const struct gd_repo *);
/* The mirror's folder. */
const char *gd_repo_path(const struct gd_repo *);

/*
 * Fetches every branch and tag (force-pushed branches move, deleted ones
 * go) and records the remote's default branch as HEAD. GD_EUPSTREAM when
 * the remote cannot be reached or refuses the credentials; the mirror
 * keeps what the last good fetch brought.
 */
int gd_repo_fetch(struct gd_repo *, struct gd_err *);
/* Whether the mirror has been fetched successfully at least once. */
bool gd_repo_is_fetched(struct gd_repo *);
/*
 * The time of the last fetch attempt and its error, if it failed (a
 * copy; err code GD_OK when it succeeded). 0 when never tried.
 */
time_t gd_repo_last_fetch(struct gd_repo *, struct gd_err *last);

/*
 * Resolves a targetRevision (branch, tag, full or short sha, "HEAD"; ""
 * means HEAD) to the 40-hex sha of a commit. GD_ENOTFOUND names rev.
 */
int gd_repo_resolve(
    char sha[GD_SHA_LEN], struct gd_repo *, const char *rev, struct gd_err *);

/*
 * Reads the file at path (relative to the repository root, "/"-separated)
 * at commit sha into out (appended). Symlinks are refused (a link may
 * lead out of the repository), as are folders. limit 0 means 16 MiB.
 */
int gd_repo_read(struct gd_buf *out, struct gd_repo *, const char *sha,
    const char *path, size_t limit, struct gd_err *);

/*
 * Lists the folder at path ("" for the root) at commit sha: *out is an
 * array of {"name", "type": "file"|"dir"|"link"|"submodule"}, sorted.
 */
int gd_repo_list(json_t **out, struct gd_repo *, const char *sha,
    const char *path, struct gd_err *);

/*
 * Calls fn for every regular file of the tree at sha, with its path from
 * the root; fn returns 0 to go on, anything else stops the walk and is
 * returned. Symlinks and submodules are skipped.
 */
/*
 * The object id (40 hex digits) of the folder at path ("" for the root)
 * at commit sha: equal ids mean equal contents, whatever the commit
 * (issue #5's render cache keys on it). GD_ENOTFOUND names path.
 */
int gd_repo_tree_id(char id[GD_SHA_LEN], struct gd_repo *, const char *sha,
    const char *path, struct gd_err *);

typedef int (*gd_repo_walk_fn)(void *arg, const char *path);
int gd_repo_walk(struct gd_repo *, const char *sha, gd_repo_walk_fn, void *,
    struct gd_err *);

/*
 * Commit metadata for the history view, in Argo CD's RevisionMetadata
 * shape: {"revision", "author": "Name <email>", "date", "message",
 * "tags": [...]}.
 */
int gd_repo_commit_info(
    json_t **out, struct gd_repo *, const char *sha, struct gd_err *);

/*
 * The key two spellings of one repository share: host and path, lower
 * case, without scheme, userinfo, port, trailing "/" or ".git"
 * ("git@github.com:Org/Repo.git" and "https://github.com/org/repo" give
 * "github.com/org/repo"). Caller frees.
 */
char *gd_repo_url_key(const char *url);

/* --- the poller ---------------------------------------------------------- */

struct gd_repo_poller;

/*
 * Called on the poller's thread after every fetch of repo, with its
 * result (rc 0, or the error). The callback owns nothing it is given.
 */
typedef void (*gd_repo_poll_fn)(
    void *arg, struct gd_repo *, int rc, const struct gd_err *);

/*
 * Starts a thread that fetches each added repository every interval
 * seconds (plus up to 10% jitter, so replicas do not fetch in step) and
 * at once when triggered. The first round runs at once.
 */
int gd_repo_poller_new(struct gd_repo_poller **out, long interval,
    gd_repo_poll_fn fn, void *arg, struct gd_err *);
/* Adds a repository (borrowed: it must outlive the poller). */
void gd_repo_poller_add(struct gd_repo_poller *, struct gd_repo *);
/*
 * Asks for an immediate fetch of every repository whose gd_repo_url_key
 * equals that of url (NULL: all). Returns how many matched.
 */
int gd_repo_poller_trigger(struct gd_repo_poller *, const char *url);
/* Rounds completed so far (tests wait on it). */
unsigned long gd_repo_poller_rounds(struct gd_repo_poller *);
/* Stops the thread (after a fetch in progress ends) and frees. */
void gd_repo_poller_free(struct gd_repo_poller *);

#endif /* GITOPSD_REPO_H */
