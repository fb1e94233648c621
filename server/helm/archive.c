/* SPDX-License-Identifier: ISC */
/*
 * Chart archives: a .tgz whose entries all sit under one top folder, read
 * from memory with libarchive into the same file list a chart directory
 * gives. The hard part is distrust: an entry may not be absolute or hold
 * "..", and the sizes and count are bounded before anything is kept.
 */
#include <archive.h>
#include <archive_entry.h>
#include <string.h>

#include "helm_int.h"

static bool
archive_path_ok(const char *p)
{
	const char *s = p;

	if (*p == '/' || *p == '\\' || (p[0] && p[1] == ':'))
		return false;
	while (*s) {
		if (s[0] == '.' && s[1] == '.' &&
		    (s[2] == '/' || s[2] == '\\' || s[2] == '\0') &&
		    (s == p || s[-1] == '/' || s[-1] == '\\'))
			return false;
		s++;
	}
	return true;
}

int
helm_archive_load(struct gd_helm_chart **out, const char *data, size_t len,
    struct gd_helm_chart *parent, struct gd_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct helm_files files = { 0 };
	struct gd_buf b;
	size_t total = 0;
	const char *name, *rest;
	char *fixed = NULL, *sep;
	ssize_t n;
	int rc = 0, r;
	char chunk[16384];

	*out = NULL;
	gd_buf_init(&b);
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		rc = gd_err_set(err, GD_EINVAL, "not a chart archive: %s",
		    archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		name = archive_entry_pathname(e);
		if (name == NULL)
			continue;
		free(fixed);
		fixed = xstrdup(name);
		for (sep = fixed; *sep != '\0'; sep++)
			if (*sep == '\\')
				*sep = '/';
		if (!archive_path_ok(fixed)) {
			rc = gd_err_set(err, GD_EINVAL,
			    "chart archive entry \"%s\" is not inside the "
			    "chart",
			    name);
			goto out;
		}
		rest = strchr(fixed, '/');
		if (rest == NULL || rest[1] == '\0')
			continue;
		if (files.n >= HELM_MAX_FILES) {
			rc = gd_err_set(err, GD_ETOOBIG,
			    "chart archive has more than %d files",
			    HELM_MAX_FILES);
			goto out;
		}
		gd_buf_reset(&b);
		gd_buf_add(&b, "", 0);
		while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
			total += (size_t)n;
			if (b.len + (size_t)n > HELM_MAX_FILE ||
			    total > HELM_MAX_TOTAL) {
				rc = gd_err_set(err, GD_ETOOBIG,
				    "chart archive entry \"%s\" is too large",
				    name);
				goto out;
			}
			gd_buf_add(&b, chunk, (size_t)n);
		}
		if (n < 0) {
			rc = gd_err_set(err, GD_EINVAL, "chart archive: %s",
			    archive_error_string(a));
			goto out;
		}
		helm_files_add(&files, rest + 1, b.data, b.len);
	}
	if (r != ARCHIVE_EOF) {
		rc = gd_err_set(err, GD_EINVAL, "chart archive: %s",
		    archive_error_string(a));
		goto out;
	}
	rc = helm_chart_from_files(out, &files, parent, err);
out:
	free(fixed);
	gd_buf_dispose(&b);
	helm_files_dispose(&files);
	archive_read_free(a);
	return rc;
}
