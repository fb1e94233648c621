/* SPDX-License-Identifier: ISC */
/*
 * Reading a mirror at a commit without a work tree: revisions to commits,
 * files and folders from trees, commit metadata. Paths and revisions come
 * from Application documents people write, so the hard part is refusing
 * what libgit2 would happily follow: revparse syntax beyond a plain name
 * or sha ("main:secret", "HEAD~3", "@{u}"), paths that climb out with
 * "..", and symlinks, which git stores as blobs whose target could name
 * anything (a file outside the repository once checked out).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repo_int.h"

#define READ_LIMIT (16u << 20)

/* A plain ref name or sha: nothing revparse would read as an operator. */
static bool
read_rev_ok(const char *rev)
{
	const char *p;

	if (strstr(rev, "..") != NULL || strstr(rev, "@{") != NULL)
		return false;
	for (p = rev; *p != '\0'; p++)
		if (strchr(":^~?*[\\ ", *p) != NULL ||
		    iscntrl((unsigned char)*p))
			return false;
	return rev[0] != '-';
}

static bool
read_is_sha(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return i == GIT_OID_HEXSZ;
}

/*
 * libgit2's revparse would do, but it leaks on names that are not
 * describe output (libgit2 1.5, regexp.c), and we accept only plain names
 * anyway: a ref by git's dwim rules (HEAD, branch, tag), else a sha.
 */
static int
read_lookup(git_object **out, git_repository *g, const char *rev)
{
	git_reference *ref = NULL;
	git_oid oid;
	size_t n = strlen(rev), i;
	int rc;

	*out = NULL;
	if (read_is_sha(rev)) {
		git_oid_fromstr(&oid, rev);
		return git_object_lookup(out, g, &oid, GIT_OBJECT_ANY);
	}
	if (git_reference_dwim(&ref, g, rev) == 0) {
		rc = git_reference_peel(out, ref, GIT_OBJECT_ANY);
		git_reference_free(ref);
		return rc;
	}
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)rev[i]))
			return GIT_ENOTFOUND;
	if (n < GIT_OID_MINPREFIXLEN || git_oid_fromstrn(&oid, rev, n) < 0)
		return GIT_ENOTFOUND;
	return git_object_lookup_prefix(out, g, &oid, n, GIT_OBJECT_ANY);
}

int
gd_repo_resolve(char sha[GD_SHA_LEN], struct gd_repo *r, const char *rev,
    struct gd_err *err)
{
	git_object *obj = NULL, *commit = NULL;
	int rc = 0;

	sha[0] = '\0';
	if (rev == NULL || rev[0] == '\0')
		rev = "HEAD";
	if (!read_rev_ok(rev))
		return gd_err_set(err, GD_EINVAL,
		    "revision \"%s\" is not a name or sha", rev);
	pthread_mutex_lock(&r->lock);
	if (read_lookup(&obj, r->git, rev) < 0) {
		rc = gd_err_set(err, GD_ENOTFOUND,
		    "revision %s not found in %s", rev, r->display);
		goto out;
	}
	if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0) {
		rc = gd_err_set(err, GD_EINVAL,
		    "revision %s of %s is not a commit", rev, r->display);
		goto out;
	}
	git_oid_tostr(sha, GD_SHA_LEN, git_object_id(commit));
out:
	git_object_free(commit);
	git_object_free(obj);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* Checks a repository-relative path: no leading "/", no "." or "..". */
static int
read_path_ok(const char *path, bool empty_ok, struct gd_err *err)
{
	const char *p = path, *q;
	size_t n;

	if (path[0] == '\0')
		return empty_ok ? 0 : gd_err_set(err, GD_EINVAL, "empty path");
	if (path[0] == '/')
		return gd_err_set(err, GD_EINVAL,
		    "path %s is absolute: it must be relative to the "
		    "repository root",
		    path);
	while (*p != '\0') {
		q = strchr(p, '/');
		n = q != NULL ? (size_t)(q - p) : strlen(p);
		if ((n == 2 && strncmp(p, "..", 2) == 0) ||
		    (n == 1 && p[0] == '.') || n == 0)
			return gd_err_set(err, GD_EINVAL,
			    "path %s leaves the repository or is not "
			    "canonical",
			    path);
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

/* The root tree of commit sha; r->lock is held. */
static int
read_tree(
    git_tree **out, struct gd_repo *r, const char *sha, struct gd_err *err)
{
	git_commit *c = NULL;
	git_oid oid;
	int rc = 0;

	*out = NULL;
	if (!read_is_sha(sha))
		return gd_err_set(err, GD_EINVAL, "\"%s\" is not a sha", sha);
	git_oid_fromstr(&oid, sha);
	if (git_commit_lookup(&c, r->git, &oid) < 0)
		return gd_err_set(err, GD_ENOTFOUND,
		    "commit %s not found in %s", sha, r->display);
	if (git_commit_tree(out, c) < 0)
		rc = gd_repo_git_err(err, GD_EINTERNAL, "tree of %s", sha);
	git_commit_free(c);
	return rc;
}

/*
 * Finds path in tree component by component, so that a symlink on the
 * way is named as such rather than reported missing.
 */
static int
read_entry(
    git_tree_entry **out, git_tree *root, const char *path, struct gd_err *err)
{
	git_tree_entry *e = NULL;
	char *prefix;
	const char *p;
	int rc = 0;

	*out = NULL;
	if (git_tree_entry_bypath(&e, root, path) == 0) {
		if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
			git_tree_entry_free(e);
			return gd_err_set(err, GD_EINVAL,
			    "%s is a symbolic link: refused", path);
		}
		*out = e;
		return 0;
	}
	for (p = strchr(path, '/'); p != NULL; p = strchr(p + 1, '/')) {
		prefix = xstrndup(path, (size_t)(p - path));
		if (git_tree_entry_bypath(&e, root, prefix) == 0) {
			if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK)
				rc = gd_err_set(err, GD_EINVAL,
				    "%s: %s is a symbolic link: refused", path,
				    prefix);
			git_tree_entry_free(e);
		}
		free(prefix);
		if (rc < 0)
			return rc;
	}
	return gd_err_set(err, GD_ENOTFOUND, "%s not found", path);
}

int
gd_repo_read(struct gd_buf *out, struct gd_repo *r, const char *sha,
    const char *path, size_t limit, struct gd_err *err)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	git_object_size_t size;
	int rc;

	if (limit == 0)
		limit = READ_LIMIT;
	if ((rc = read_path_ok(path, false, err)) < 0)
		return rc;
	pthread_mutex_lock(&r->lock);
	if ((rc = read_tree(&tree, r, sha, err)) < 0 ||
	    (rc = read_entry(&e, tree, path, err)) < 0)
		goto out;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		rc = gd_err_set(err, GD_EINVAL, "%s is not a file", path);
		goto out;
	}
	if (git_blob_lookup(&blob, r->git, git_tree_entry_id(e)) < 0) {
		rc = gd_repo_git_err(err, GD_EINTERNAL, "read %s", path);
		goto out;
	}
	size = git_blob_rawsize(blob);
	if (size > (git_object_size_t)limit) {
		rc = gd_err_set(err, GD_ETOOBIG,
		    "%s is %llu bytes, over the limit of %zu", path,
		    (unsigned long long)size, limit);
		goto out;
	}
	gd_buf_add(out, git_blob_rawcontent(blob), (size_t)size);
out:
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static const char *
read_type_name(const git_tree_entry *e)
{
	switch (git_tree_entry_filemode(e)) {
	case GIT_FILEMODE_TREE:
		return "dir";
	case GIT_FILEMODE_LINK:
		return "link";
	case GIT_FILEMODE_COMMIT:
		return "submodule";
	default:
		return "file";
	}
}

int
gd_repo_list(json_t **out, struct gd_repo *r, const char *sha, const char *path,
    struct gd_err *err)
{
	git_tree *root = NULL, *sub = NULL, *dir;
	git_tree_entry *e = NULL;
	const git_tree_entry *c;
	json_t *list = NULL;
	size_t i, n;
	int rc;

	*out = NULL;
	if ((rc = read_path_ok(path, true, err)) < 0)
		return rc;
	pthread_mutex_lock(&r->lock);
	if ((rc = read_tree(&root, r, sha, err)) < 0)
		goto out;
	dir = root;
	if (path[0] != '\0') {
		if ((rc = read_entry(&e, root, path, err)) < 0)
			goto out;
		if (git_tree_entry_type(e) != GIT_OBJECT_TREE) {
			rc = gd_err_set(
			    err, GD_EINVAL, "%s is not a folder", path);
			goto out;
		}
		if (git_tree_lookup(&sub, r->git, git_tree_entry_id(e)) < 0) {
			rc =
			    gd_repo_git_err(err, GD_EINTERNAL, "list %s", path);
			goto out;
		}
		dir = sub;
	}
	list = json_array();
	n = git_tree_entrycount(dir);
	for (i = 0; i < n; i++) {
		c = git_tree_entry_byindex(dir, i);
		json_array_append_new(list,
		    json_pack("{s:s, s:s}", "name", git_tree_entry_name(c),
			"type", read_type_name(c)));
	}
	*out = list;
	list = NULL;
out:
	json_decref(list);
	git_tree_entry_free(e);
	git_tree_free(sub);
	git_tree_free(root);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int
gd_repo_tree_id(char id[GD_SHA_LEN], struct gd_repo *r, const char *sha,
    const char *path, struct gd_err *err)
{
	git_tree *root = NULL;
	git_tree_entry *e = NULL;
	int rc;

	id[0] = '\0';
	if ((rc = read_path_ok(path, true, err)) < 0)
		return rc;
	pthread_mutex_lock(&r->lock);
	if ((rc = read_tree(&root, r, sha, err)) < 0)
		goto out;
	if (path[0] == '\0') {
		git_oid_tostr(id, GD_SHA_LEN, git_tree_id(root));
		goto out;
	}
	if ((rc = read_entry(&e, root, path, err)) < 0)
		goto out;
	if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
		rc = gd_err_set(err, GD_EINVAL, "%s is not a folder", path);
	else
		git_oid_tostr(id, GD_SHA_LEN, git_tree_entry_id(e));
out:
	git_tree_entry_free(e);
	git_tree_free(root);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

struct walk_ctx {
	gd_repo_walk_fn fn;
	void *arg;
	int rc;
	struct gd_buf path;
};

static int
read_walk_cb(const char *root, const git_tree_entry *e, void *payload)
{
	struct walk_ctx *w = payload;

	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
	    git_tree_entry_filemode(e) == GIT_FILEMODE_LINK)
		return 0;
	gd_buf_reset(&w->path);
	gd_buf_adds(&w->path, root);
	gd_buf_adds(&w->path, git_tree_entry_name(e));
	if ((w->rc = w->fn(w->arg, w->path.data)) != 0)
		return -1;
	return 0;
}

int
gd_repo_walk(struct gd_repo *r, const char *sha, gd_repo_walk_fn fn, void *arg,
    struct gd_err *err)
{
	git_tree *root = NULL;
	struct walk_ctx w;
	int rc;

	memset(&w, 0, sizeof(w));
	w.fn = fn;
	w.arg = arg;
	gd_buf_init(&w.path);
	pthread_mutex_lock(&r->lock);
	if ((rc = read_tree(&root, r, sha, err)) < 0)
		goto out;
	if (git_tree_walk(root, GIT_TREEWALK_PRE, read_walk_cb, &w) < 0 &&
	    w.rc == 0)
		rc = gd_repo_git_err(err, GD_EINTERNAL, "walk %s", sha);
	else
		rc = w.rc;
out:
	git_tree_free(root);
	pthread_mutex_unlock(&r->lock);
	gd_buf_dispose(&w.path);
	return rc;
}

/* Names of the tags that point at oid (peeled), sorted by git. */
static json_t *
read_tags_of(git_repository *g, const git_oid *oid)
{
	git_strarray names = { 0 };
	git_reference *ref = NULL;
	git_object *peeled = NULL;
	json_t *tags = json_array();
	char *name;
	size_t i;

	if (git_tag_list(&names, g) < 0)
		return tags;
	for (i = 0; i < names.count; i++) {
		xasprintf(&name, "refs/tags/%s", names.strings[i]);
		if (git_reference_lookup(&ref, g, name) == 0 &&
		    git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT) == 0 &&
		    git_oid_equal(git_object_id(peeled), oid))
			json_array_append_new(
			    tags, json_string(names.strings[i]));
		git_object_free(peeled);
		git_reference_free(ref);
		peeled = NULL;
		ref = NULL;
		free(name);
	}
	git_strarray_dispose(&names);
	return tags;
}

int
gd_repo_commit_info(
    json_t **out, struct gd_repo *r, const char *sha, struct gd_err *err)
{
	git_commit *c = NULL;
	const git_signature *a;
	char when[GD_TIME_LEN], *author = NULL;
	const char *msg;
	git_oid oid;
	int rc = 0;

	*out = NULL;
	if (!read_is_sha(sha))
		return gd_err_set(err, GD_EINVAL, "\"%s\" is not a sha", sha);
	git_oid_fromstr(&oid, sha);
	pthread_mutex_lock(&r->lock);
	if (git_commit_lookup(&c, r->git, &oid) < 0) {
		rc = gd_err_set(err, GD_ENOTFOUND, "commit %s not found in %s",
		    sha, r->display);
		goto out;
	}
	a = git_commit_author(c);
	xasprintf(&author, "%s <%s>", a->name, a->email);
	gd_time_format(when, (time_t)a->when.time);
	msg = git_commit_message(c);
	*out = json_pack("{s:s, s:s, s:s, s:s, s:o}", "revision", sha, "author",
	    author, "date", when, "message", msg != NULL ? msg : "", "tags",
	    read_tags_of(r->git, &oid));
	if (*out == NULL)
		rc = gd_err_set(err, GD_EINVAL,
		    "commit %s has an author or message that is not UTF-8",
		    sha);
out:
	free(author);
	git_commit_free(c);
	pthread_mutex_unlock(&r->lock);
	return rc;
}
