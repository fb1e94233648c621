/* SPDX-License-Identifier: ISC */
/*
 * gitfix: git repositories built by code for tests and benchmarks. A
 * fixture is a bare repository plus a "work tree" kept in memory (path ->
 * content); a commit writes that tree to any branch. Branches can be
 * moved (a force push), tagged and deleted, so fetch tests can play every
 * history change a real remote sees.
 */
#ifndef GITOPSD_GITFIX_H
#define GITOPSD_GITFIX_H

#include "gitopsd/core.h"

#define GITFIX_SHA_LEN 41

struct gitfix;

/* Creates an empty bare repository at dir (made if missing). */
struct gitfix *gitfix_new(const char *dir);
void gitfix_free(struct gitfix *);
/* "file:///abs/dir" */
const char *gitfix_url(const struct gitfix *);
const char *gitfix_dir(const struct gitfix *);

/* Sets, removes or symlinks a file in the in-memory tree. */
void gitfix_write(struct gitfix *, const char *path, const char *content);
void gitfix_write_len(
    struct gitfix *, const char *path, const char *content, size_t len);
void gitfix_remove(struct gitfix *, const char *path);
void gitfix_symlink(struct gitfix *, const char *path, const char *target);
/* Copies every file under src_dir (on disk) into the tree, at prefix. */
void gitfix_import(struct gitfix *, const char *src_dir, const char *prefix);

/*
 * Commits the tree on branch (its tip is the parent; a new branch has
 * none) and writes the new sha. Aborts the test program on failure.
 */
void gitfix_commit(struct gitfix *, const char *branch, const char *msg,
    char sha[GITFIX_SHA_LEN]);
/* Points branch at sha (creating or force-moving it). */
void gitfix_branch(struct gitfix *, const char *branch, const char *sha);
void gitfix_delete_branch(struct gitfix *, const char *branch);
/* A tag at sha: annotated with a message, or lightweight when msg NULL. */
void gitfix_tag(
    struct gitfix *, const char *name, const char *sha, const char *msg);
/* Makes HEAD a symbolic ref to refs/heads/branch. */
void gitfix_set_head(struct gitfix *, const char *branch);

#endif /* GITOPSD_GITFIX_H */
