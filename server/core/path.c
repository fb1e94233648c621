/* SPDX-License-Identifier: ISC */
/*
 * Safe path joins. Chart files, value files and static files are named by
 * people we do not trust, so a relative name must land inside its root:
 * no absolute names, no ".." components, and no symlink that leads out.
 * The hard part is the symlinks: the longest prefix of the result that
 * exists is resolved with realpath(3) and must still be under the resolved
 * root; the part that does not exist yet cannot hold a link.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gitopsd/core.h"

static bool
path_is_under(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (strncmp(path, root, n) != 0)
		return false;
	if (n == 1 && root[0] == '/')
		return true;
	return path[n] == '\0' || path[n] == '/';
}

/* Resolves the longest existing prefix of path; returns it or NULL. */
static char *
path_resolve_existing(const char *path)
{
	char *tmp = xstrdup(path), *slash, *res = NULL;

	for (;;) {
		if ((res = realpath(tmp, NULL)) != NULL)
			break;
		if (errno != ENOENT && errno != ENOTDIR)
			break;
		if ((slash = strrchr(tmp, '/')) == NULL || slash == tmp)
			break;
		*slash = '\0';
	}
	free(tmp);
	return res;
}

int
gd_path_join(char **out, const char *root, const char *rel, struct gd_err *err)
{
	struct gd_buf b;
	char *rroot = NULL, *rpath = NULL;
	const char *p, *q;
	size_t n;
	int rc = 0;

	*out = NULL;
	gd_buf_init(&b);
	if (rel[0] == '/') {
		rc = gd_err_set(err, GD_EINVAL,
		    "path \"%.128s\" is absolute, want a relative path", rel);
		goto out;
	}
	gd_buf_adds(&b, root);
	while (b.len > 1 && b.data[b.len - 1] == '/')
		b.data[--b.len] = '\0';
	for (p = rel; *p != '\0'; p = (*q == '/') ? q + 1 : q) {
		q = strchr(p, '/');
		if (q == NULL)
			q = p + strlen(p);
		n = (size_t)(q - p);
		if (n == 0 || (n == 1 && p[0] == '.'))
			continue;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			rc = gd_err_set(err, GD_EINVAL,
			    "path \"%.128s\" goes up with \"..\"", rel);
			goto out;
		}
		if (memchr(p, '\0', n) != NULL)
			break;
		gd_buf_addc(&b, '/');
		gd_buf_add(&b, p, n);
	}
	if ((rroot = realpath(root, NULL)) == NULL) {
		rc = gd_err_set(err, GD_ENOTFOUND, "root %.128s: %s", root,
		    strerror(errno));
		goto out;
	}
	rpath = path_resolve_existing(b.data);
	if (rpath == NULL || !path_is_under(rpath, rroot)) {
		rc = gd_err_set(err, GD_EINVAL,
		    "path \"%.128s\" leaves its root through a link", rel);
		goto out;
	}
	*out = gd_buf_detach(&b, NULL);
out:
	free(rroot);
	free(rpath);
	gd_buf_dispose(&b);
	return rc;
}

int
gd_path_mkdirs(const char *dir, struct gd_err *err)
{
	char *tmp = xstrdup(dir), *p, c;
	struct stat st;
	int rc = 0;

	for (p = tmp + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(tmp, 0700) == -1 && errno != EEXIST) {
			rc = gd_err_set(err, GD_EINVAL, "mkdir %s: %s", tmp,
			    strerror(errno));
			break;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	if (rc == 0 && (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)))
		rc = gd_err_set(err, GD_EINVAL, "%s: not a directory", dir);
	free(tmp);
	return rc;
}
