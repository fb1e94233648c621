/* SPDX-License-Identifier: ISC */
/*
 * Test repositories built with libgit2 rather than checked in. The tree to
 * commit lives in a sorted array of entries; a commit turns it into an
 * in-memory index (git_index_new, no work tree, no files on disk) and
 * writes that as a tree, which builds every sub-tree for us. Author times
 * count up from a fixed date so metadata tests are exact.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <git2.h>

#include "gitfix.h"

struct gitfix_file {
	char *path;
	char *data;
	size_t len;
	bool link;
};

struct gitfix {
	git_repository *git;
	char *dir;
	char *url;
	struct gitfix_file *files;
	size_t n;
	long clock;
};

static void
gitfix_check(int rc, const char *what)
{
	const git_error *e;

	if (rc >= 0)
		return;
	e = git_error_last();
	fprintf(
	    stderr, "gitfix: %s: %s\n", what, e != NULL ? e->message : "error");
	abort();
}

struct gitfix *
gitfix_new(const char *dir)
{
	struct gitfix *g = xcalloc(1, sizeof(*g));
	struct gd_err err;

	git_libgit2_init();
	if (gd_path_mkdirs(dir, &err) < 0) {
		fprintf(stderr, "gitfix: %s\n", err.msg);
		abort();
	}
	g->dir = realpath(dir, NULL);
	if (g->dir == NULL)
		abort();
	xasprintf(&g->url, "file://%s", g->dir);
	gitfix_check(git_repository_init(&g->git, g->dir, 1), "init");
	g->clock = 1767225600; /* 2026-01-01T00:00:00Z */
	return g;
}

void
gitfix_free(struct gitfix *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n; i++) {
		free(g->files[i].path);
		free(g->files[i].data);
	}
	free(g->files);
	git_repository_free(g->git);
	free(g->dir);
	free(g->url);
	free(g);
	git_libgit2_shutdown();
}

const char *
gitfix_url(const struct gitfix *g)
{
	return g->url;
}

const char *
gitfix_dir(const struct gitfix *g)
{
	return g->dir;
}

static struct gitfix_file *
gitfix_find(struct gitfix *g, const char *path)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (strcmp(g->files[i].path, path) == 0)
			return &g->files[i];
	return NULL;
}

static void
gitfix_put(
    struct gitfix *g, const char *path, const char *data, size_t len, bool link)
{
	struct gitfix_file *f = gitfix_find(g, path);

	if (f == NULL) {
		g->files = xreallocarray(g->files, g->n + 1, sizeof(*g->files));
		f = &g->files[g->n++];
		f->path = xstrdup(path);
	} else
		free(f->data);
	f->data = xmalloc(len + 1);
	memcpy(f->data, data, len);
	f->data[len] = '\0';
	f->len = len;
	f->link = link;
}

void
gitfix_write_len(
    struct gitfix *g, const char *path, const char *content, size_t len)
{
	gitfix_put(g, path, content, len, false);
}

void
gitfix_write(struct gitfix *g, const char *path, const char *content)
{
	gitfix_put(g, path, content, strlen(content), false);
}

void
gitfix_symlink(struct gitfix *g, const char *path, const char *target)
{
	gitfix_put(g, path, target, strlen(target), true);
}

void
gitfix_remove(struct gitfix *g, const char *path)
{
	struct gitfix_file *f = gitfix_find(g, path);

	if (f == NULL)
		return;
	free(f->path);
	free(f->data);
	*f = g->files[--g->n];
}

void
gitfix_import(struct gitfix *g, const char *src, const char *prefix)
{
	struct dirent *de;
	struct stat st;
	struct gd_buf b;
	struct gd_err err;
	char *full, *rel;
	DIR *d;

	if ((d = opendir(src)) == NULL) {
		fprintf(stderr, "gitfix: cannot open %s\n", src);
		abort();
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		xasprintf(&full, "%s/%s", src, de->d_name);
		if (prefix[0] != '\0')
			xasprintf(&rel, "%s/%s", prefix, de->d_name);
		else
			rel = xstrdup(de->d_name);
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode))
			gitfix_import(g, full, rel);
		else {
			gd_buf_init(&b);
			if (gd_buf_read_file(&b, full, 0, &err) < 0) {
				fprintf(stderr, "gitfix: %s\n", err.msg);
				abort();
			}
			gitfix_write_len(g, rel, b.data, b.len);
			gd_buf_dispose(&b);
		}
		free(full);
		free(rel);
	}
	closedir(d);
}

void
gitfix_commit(struct gitfix *g, const char *branch, const char *msg,
    char sha[GITFIX_SHA_LEN])
{
	git_index *idx = NULL;
	git_index_entry e;
	git_oid tree_oid, oid;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_reference *ref = NULL;
	git_signature *sig = NULL;
	char *refname;
	size_t i;

	xasprintf(&refname, "refs/heads/%s", branch);
	gitfix_check(git_index_new(&idx), "index");
	for (i = 0; i < g->n; i++) {
		memset(&e, 0, sizeof(e));
		e.path = g->files[i].path;
		e.mode =
		    g->files[i].link ? GIT_FILEMODE_LINK : GIT_FILEMODE_BLOB;
		gitfix_check(git_blob_create_from_buffer(&e.id, g->git,
				 g->files[i].data, g->files[i].len),
		    "blob");
		gitfix_check(git_index_add(idx, &e), g->files[i].path);
	}
	gitfix_check(git_index_write_tree_to(&tree_oid, idx, g->git), "tree");
	gitfix_check(git_tree_lookup(&tree, g->git, &tree_oid), "tree");
	if (git_reference_lookup(&ref, g->git, refname) == 0)
		gitfix_check(git_commit_lookup(
				 &parent, g->git, git_reference_target(ref)),
		    "parent");
	gitfix_check(git_signature_new(
			 &sig, "Jane Doe", "jane@example.com", g->clock, 0),
	    "signature");
	g->clock += 60;
	gitfix_check(git_commit_create_v(&oid, g->git, refname, sig, sig, NULL,
			 msg, tree, parent != NULL ? 1 : 0, parent),
	    "commit");
	git_oid_tostr(sha, GITFIX_SHA_LEN, &oid);
	if (git_repository_head_unborn(g->git) == 1)
		gitfix_set_head(g, branch);
	git_signature_free(sig);
	git_reference_free(ref);
	git_commit_free(parent);
	git_tree_free(tree);
	git_index_free(idx);
	free(refname);
}

void
gitfix_branch(struct gitfix *g, const char *branch, const char *sha)
{
	git_reference *ref = NULL;
	git_oid oid;
	char *refname;

	xasprintf(&refname, "refs/heads/%s", branch);
	gitfix_check(git_oid_fromstr(&oid, sha), "sha");
	gitfix_check(
	    git_reference_create(&ref, g->git, refname, &oid, 1, "move"),
	    "branch");
	git_reference_free(ref);
	free(refname);
}

void
gitfix_delete_branch(struct gitfix *g, const char *branch)
{
	char *refname;

	xasprintf(&refname, "refs/heads/%s", branch);
	gitfix_check(git_reference_remove(g->git, refname), "delete branch");
	free(refname);
}

void
gitfix_tag(struct gitfix *g, const char *name, const char *sha, const char *msg)
{
	git_object *target = NULL;
	git_signature *sig = NULL;
	git_oid oid;

	gitfix_check(git_revparse_single(&target, g->git, sha), "tag target");
	if (msg != NULL) {
		gitfix_check(git_signature_new(&sig, "Jane Doe",
				 "jane@example.com", g->clock, 0),
		    "signature");
		gitfix_check(
		    git_tag_create(&oid, g->git, name, target, sig, msg, 1),
		    "tag");
	} else
		gitfix_check(
		    git_tag_create_lightweight(&oid, g->git, name, target, 1),
		    "tag");
	git_signature_free(sig);
	git_object_free(target);
}

void
gitfix_set_head(struct gitfix *g, const char *branch)
{
	char *refname;

	xasprintf(&refname, "refs/heads/%s", branch);
	gitfix_check(git_repository_set_head(g->git, refname), "set head");
	free(refname);
}
