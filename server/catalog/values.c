/* SPDX-License-Identifier: ISC */
/*
 * Value-file lookup and label selectors. Our users keep an Application's
 * values-<env>.yaml beside its application.yaml while the chart comes
 * from a registry, which Argo CD cannot read; we look there after the
 * chart, so a file of the chart with the same name still wins. The hard
 * part is that every candidate path is written by a person: each is
 * normalised against its own root and refused if it climbs out, and the
 * read itself refuses symlinks (gd_repo_read), which could point anywhere
 * once checked out.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_int.h"

/* The source number src of app's spec (spec.source is number 0). */
static const json_t *
values_source(const json_t *spec, size_t src)
{
	json_t *sources = json_object_get(spec, "sources");

	if (json_is_array(sources))
		return json_array_get(sources, src);
	return src == 0 ? json_object_get(spec, "source") : NULL;
}

static const json_t *
values_ref_source(const json_t *spec, const char *ref, size_t n)
{
	json_t *s, *r;
	size_t i;

	json_array_foreach(json_object_get(spec, "sources"), i, s) {
		r = json_object_get(s, "ref");
		if (json_is_string(r) && json_string_length(r) == n &&
		    strncmp(json_string_value(r), ref, n) == 0)
			return s;
	}
	return NULL;
}

static const char *
values_str(const json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : def;
}

static char *
values_dirname(const char *file)
{
	const char *s = strrchr(file, '/');

	return s != NULL ? xstrndup(file, (size_t)(s - file)) : xstrdup("");
}

static void
values_add(json_t *out, const char *where, const char *repo, const char *rev,
    const char *path)
{
	json_array_append_new(out,
	    json_pack("{s:s, s:s, s:s, s:s}", "where", where, "repoURL",
		repo != NULL ? repo : "", "revision", rev != NULL ? rev : "",
		"path", path));
}

/* The candidates of a relative vf in source s; -1 when none is inside. */
static int
values_relative(json_t *list, const struct gd_catalog *c, const json_t *s,
    const char *file, const char *vf)
{
	char *p = NULL, *dir;
	int rc = 0;

	/* a path that leaves the chart may still be in the gitops repo */
	if (json_object_get(s, "chart") != NULL) {
		if (gd_catalog_path_join(&p, "", vf) == 0)
			values_add(list, "chart", values_str(s, "repoURL", ""),
			    values_str(s, "targetRevision", ""), p);
	} else if (gd_catalog_path_join(&p, values_str(s, "path", ""), vf) == 0)
		values_add(list, "source", values_str(s, "repoURL", ""),
		    values_str(s, "targetRevision", "HEAD"), p);
	free(p);
	p = NULL;
	dir = values_dirname(file);
	if (vf[0] == '/' || gd_catalog_path_join(&p, dir, vf) < 0)
		rc = -1;
	else
		values_add(list, "gitops", c->repo_url, c->sha, p);
	free(p);
	free(dir);
	return rc;
}

int
gd_catalog_value_file_lookup(json_t **out, const struct gd_catalog *c,
    const char *app, size_t src, const char *vf, struct gd_err *err)
{
	const json_t *spec, *s, *rs = NULL;
	const char *file, *slash;
	json_t *list = NULL;
	char *p = NULL;
	bool escapes = false;
	int rc = 0;

	*out = NULL;
	spec = json_object_get(gd_catalog_app(c, app), "spec");
	if (spec == NULL || (file = gd_catalog_app_file(c, app)) == NULL)
		return gd_err_set(
		    err, GD_ENOTFOUND, "application %s not found", app);
	if ((s = values_source(spec, src)) == NULL)
		return gd_err_set(err, GD_EINVAL,
		    "application %s has no source number %zu", app, src);
	list = json_array();
	if (vf[0] == '$') {
		if ((slash = strchr(vf, '/')) != NULL)
			rs = values_ref_source(
			    spec, vf + 1, (size_t)(slash - vf - 1));
		if (rs == NULL)
			rc = gd_err_set(err, GD_EINVAL,
			    "value file %s: no source has that ref", vf);
		else if (gd_catalog_path_join(&p, "", slash + 1) < 0)
			escapes = true;
		else
			values_add(list, "ref", values_str(rs, "repoURL", ""),
			    values_str(rs, "targetRevision", "HEAD"), p);
	} else if (strncmp(vf, "http://", 7) == 0 ||
	    strncmp(vf, "https://", 8) == 0)
		values_add(list, "url", NULL, NULL, vf);
	else if (values_relative(list, c, s, file, vf) < 0)
		escapes = true;
	if (escapes)
		rc = gd_err_set(err, GD_EINVAL,
		    "value file %s of application %s leaves the repository: "
		    "refused",
		    vf, app);
	if (rc == 0) {
		*out = list;
		list = NULL;
	}
	free(p);
	json_decref(list);
	return rc;
}

int
gd_catalog_read_value_file(struct gd_buf *out, const struct gd_catalog *c,
    struct gd_repo *gitops, const char *app, const char *vf, struct gd_err *err)
{
	const char *file = gd_catalog_app_file(c, app);
	char *dir, *p = NULL;
	int rc;

	if (file == NULL)
		return gd_err_set(
		    err, GD_ENOTFOUND, "application %s not found", app);
	dir = values_dirname(file);
	if (vf[0] == '/' || vf[0] == '$' ||
	    gd_catalog_path_join(&p, dir, vf) < 0)
		rc = gd_err_set(err, GD_EINVAL,
		    "value file %s of application %s leaves the repository: "
		    "refused",
		    vf, app);
	else if ((rc = gd_repo_read(out, gitops, c->sha, p, 0, err)) < 0)
		gd_err_wrap(err, "value file %s of application %s", vf, app);
	free(p);
	free(dir);
	return rc;
}

/* One term of a selector: "k", "!k", "k=v", "k==v", "k!=v". */
static int
values_term(bool *match, const char *t, size_t n, const json_t *labels,
    struct gd_err *err)
{
	const char *op = NULL, *v = NULL;
	char *key;
	const char *have;
	size_t i, klen;
	bool neg = false, exists_only = true, ne = false;

	while (n > 0 && isspace((unsigned char)*t)) {
		t++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)t[n - 1]))
		n--;
	if (n > 0 && t[0] == '!') {
		neg = true;
		t++;
		n--;
	}
	for (i = 0; i < n; i++)
		if (t[i] == '=' ||
		    (t[i] == '!' && i + 1 < n && t[i + 1] == '=')) {
			op = t + i;
			break;
		}
	klen = op != NULL ? (size_t)(op - t) : n;
	if (op != NULL) {
		exists_only = false;
		ne = op[0] == '!';
		v = op + (ne ? 2 : (op + 1 < t + n && op[1] == '=') ? 2 : 1);
	}
	while (klen > 0 && isspace((unsigned char)t[klen - 1]))
		klen--;
	if (klen == 0 || (neg && !exists_only) || memchr(t, '(', n) != NULL)
		return gd_err_set(err, GD_EINVAL,
		    "selector term \"%.*s\" is not k, !k, k=v or k!=v", (int)n,
		    t);
	key = xstrndup(t, klen);
	have = json_string_value(json_object_get(labels, key));
	free(key);
	if (exists_only) {
		*match = (have != NULL) != neg;
		return 0;
	}
	while (v < t + n && isspace((unsigned char)*v))
		v++;
	if (ne)
		*match = have == NULL || strlen(have) != (size_t)(t + n - v) ||
		    strncmp(have, v, (size_t)(t + n - v)) != 0;
	else
		*match = have != NULL && strlen(have) == (size_t)(t + n - v) &&
		    strncmp(have, v, (size_t)(t + n - v)) == 0;
	return 0;
}

int
gd_catalog_selector_match(
    bool *match, const char *sel, const json_t *labels, struct gd_err *err)
{
	const char *p = sel, *q;
	bool m = true;
	int rc;

	*match = true;
	while (*p != '\0') {
		q = strchr(p, ',');
		if (q == NULL)
			q = p + strlen(p);
		if ((rc = values_term(&m, p, (size_t)(q - p), labels, err)) < 0)
			return rc;
		if (!m)
			*match = false;
		p = *q == ',' ? q + 1 : q;
	}
	return 0;
}
