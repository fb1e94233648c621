/* SPDX-License-Identifier: ISC */
/*
 * The values of a Helm source, built as Argo CD builds its `helm
 * template` command line: each helm.valueFiles entry (-f, in order,
 * found through the catalog's lookup order: a $ref source, the chart's
 * folder, the Application's own folder), then helm.valuesObject or else
 * helm.values (one more -f), then parameters (--set, or --set-string
 * with forceString), then fileParameters (--set-file). Helm applies all
 * the --set of a command before its --set-string and those before its
 * --set-file, whatever order they were written in; helm's own parser
 * (gd_helm_values_apply_sets) does the same here, onto the values the
 * files gave, so "list[1]=x" edits a list a value file set.
 *
 * The hard part is typing: Helm reads values files through JSON, so
 * every number in them is a float64, while --set gives int64 and
 * --set-string strings. A chart printing {{ .Values.replicas }} sees the
 * difference (1e+06 against 1000000), so the numbers of files become
 * reals here and --set goes through helm's own parser.
 */
#include <stdlib.h>
#include <string.h>

#include "gitopsd/ydoc.h"
#include "source_int.h"

const char *
src_str(const json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : def;
}

/* Reads candidate c of a value-file lookup; GD_ENOTFOUND when absent. */
static int
values_read_one(
    struct gd_buf *out, struct src_job *j, const json_t *c, struct gd_err *err)
{
	const char *where = src_str(c, "where", "");
	const char *path = src_str(c, "path", "");
	struct gd_repo *repo = NULL;
	char sha[GD_SHA_LEN];
	int rc;

	if (strcmp(where, "url") == 0)
		return gd_err_set(err, GD_EINVAL,
		    "value file %s: URLs are not supported; commit it beside "
		    "the Application",
		    path);
	if (strcmp(where, "chart") == 0) {
		if (j->chart == NULL)
			return gd_err_set(
			    err, GD_ENOTFOUND, "%s not found", path);
		return gd_helm_chart_read_file(out, j->chart, path, err);
	}
	if (strcmp(where, "source") == 0 && j->repo != NULL) {
		repo = j->repo;
		snprintf(sha, sizeof(sha), "%s", j->sha);
	} else {
		if ((rc = src_repo_get(&repo, j->s, src_str(c, "repoURL", ""),
			 j->hard && strcmp(where, "ref") == 0, err)) < 0 ||
		    (rc = gd_repo_resolve(
			 sha, repo, src_str(c, "revision", ""), err)) < 0)
			return rc;
	}
	return gd_repo_read(out, repo, sha, path, 0, err);
}

/*
 * Reads the value file (or file parameter) vf of job's source: the first
 * candidate that exists. *found is false when none does.
 */
static int
values_read(struct gd_buf *out, bool *found, struct src_job *j, const char *vf,
    struct gd_err *err)
{
	json_t *cands = NULL, *c;
	struct gd_buf where;
	size_t i;
	int rc;

	*found = false;
	if ((rc = gd_catalog_value_file_lookup(
		 &cands, j->cat, j->app, j->idx, vf, err)) < 0)
		return rc;
	gd_buf_init(&where);
	json_array_foreach(cands, i, c) {
		gd_buf_reset(out);
		rc = values_read_one(out, j, c, err);
		if (rc == 0) {
			*found = true;
			break;
		}
		if (rc != GD_ENOTFOUND)
			break;
		gd_buf_printf(&where, "%s%s", where.len > 0 ? ", " : "",
		    src_str(c, "path", ""));
		rc = 0;
	}
	if (rc == 0 && !*found)
		gd_err_set(err, GD_ENOTFOUND,
		    "value file %s not found (looked for %s)", vf,
		    where.len > 0 ? where.data : "nothing");
	gd_buf_dispose(&where);
	json_decref(cands);
	return rc;
}

static int
values_files(
    json_t *vals, struct src_job *j, const json_t *helm, struct gd_err *err)
{
	bool ignore =
	    json_is_true(json_object_get(helm, "ignoreMissingValueFiles"));
	json_t *vf;
	struct gd_buf b;
	bool found;
	size_t i;
	int rc = 0;

	gd_buf_init(&b);
	json_array_foreach(json_object_get(helm, "valueFiles"), i, vf) {
		if (!json_is_string(vf)) {
			rc = gd_err_set(err, GD_EINVAL,
			    "helm.valueFiles[%zu]: expected a string", i);
			break;
		}
		gd_buf_reset(&b);
		if ((rc = values_read(
			 &b, &found, j, json_string_value(vf), err)) < 0)
			break;
		if (!found && !ignore) {
			rc = GD_ENOTFOUND;
			break;
		}
		if (found &&
		    (rc = gd_helm_values_merge_yaml(vals,
			 b.data != NULL ? b.data : "", b.len,
			 json_string_value(vf), err)) < 0)
			break;
	}
	gd_buf_dispose(&b);
	return rc;
}

/* A --set argument as Argo CD writes it: commas escaped but in {a,b}. */
static char *
values_set_arg(const char *name, const char *val)
{
	struct gd_buf b;
	size_t n = strlen(val);
	const char *p;

	gd_buf_init(&b);
	gd_buf_printf(&b, "%s=", name);
	if (n >= 2 && val[0] == '{' && val[n - 1] == '}')
		gd_buf_adds(&b, val);
	else
		for (p = val; *p != '\0'; p++) {
			if (*p == ',' && (p == val || p[-1] != '\\'))
				gd_buf_addc(&b, '\\');
			gd_buf_addc(&b, *p);
		}
	return gd_buf_detach(&b, NULL);
}

/* Frees the arguments of sets and the list. */
static void
values_sets_free(struct gd_helm_set *sets, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free((char *)sets[i].arg);
	free(sets);
}

/* Parameters as --set or --set-string arguments. */
static int
values_params(struct gd_helm_set **sets, size_t *n, const json_t *helm,
    struct gd_err *err)
{
	const json_t *params = json_object_get(helm, "parameters"), *p;
	size_t i;

	json_array_foreach(params, i, p) {
		if (src_str(p, "name", NULL) == NULL)
			return gd_err_set(err, GD_EINVAL,
			    "helm.parameters[%zu]: name is missing", i);
		*sets = xreallocarray(*sets, *n + 1, sizeof(**sets));
		(*sets)[*n].kind =
		    json_is_true(json_object_get(p, "forceString")) ?
		    GD_HELM_SET_STRING :
		    GD_HELM_SET;
		(*sets)[(*n)++].arg = values_set_arg(
		    src_str(p, "name", ""), src_str(p, "value", ""));
	}
	return 0;
}

/*
 * fileParameters: read from git like value files (not from disk, as
 * --set-file would), then set verbatim, which is what --set-file does
 * with the text.
 */
static int
values_file_params(struct gd_helm_set **sets, size_t *n, struct src_job *j,
    const json_t *helm, struct gd_err *err)
{
	const json_t *p;
	const char *path;
	struct gd_buf b;
	char *arg;
	bool found;
	size_t i;
	int rc = 0;

	gd_buf_init(&b);
	json_array_foreach(json_object_get(helm, "fileParameters"), i, p) {
		path = src_str(p, "path", NULL);
		if (path == NULL || src_str(p, "name", NULL) == NULL) {
			rc = gd_err_set(err, GD_EINVAL,
			    "helm.fileParameters[%zu]: name and path are "
			    "required",
			    i);
			break;
		}
		gd_buf_reset(&b);
		if ((rc = values_read(&b, &found, j, path, err)) < 0 ||
		    (!found && (rc = GD_ENOTFOUND) < 0)) {
			gd_err_wrap(err, "helm.fileParameters[%zu]", i);
			break;
		}
		xasprintf(&arg, "%s=%.*s", src_str(p, "name", ""), (int)b.len,
		    b.data != NULL ? b.data : "");
		*sets = xreallocarray(*sets, *n + 1, sizeof(**sets));
		(*sets)[*n].kind = GD_HELM_SET_LITERAL;
		(*sets)[(*n)++].arg = arg;
	}
	gd_buf_dispose(&b);
	return rc;
}

int
src_values_build(json_t **out, struct src_job *j, struct gd_err *err)
{
	const json_t *helm = json_object_get(j->src, "helm"), *vo;
	json_t *vals = json_object();
	struct gd_helm_set *sets = NULL;
	size_t nsets = 0;
	const char *vs;
	int rc;

	*out = NULL;
	if ((rc = values_files(vals, j, helm, err)) < 0)
		goto out;
	vo = json_object_get(helm, "valuesObject");
	vs = src_str(helm, "values", NULL);
	if (json_is_object(vo)) {
		/* Argo CD writes it out as YAML, so helm reads floats */
		gd_helm_values_merge_object(vals, vo);
	} else if (vs != NULL &&
	    (rc = gd_helm_values_merge_yaml(
		 vals, vs, strlen(vs), "helm.values", err)) < 0)
		goto out;
	if ((rc = values_params(&sets, &nsets, helm, err)) < 0 ||
	    (rc = values_file_params(&sets, &nsets, j, helm, err)) < 0)
		goto out;
	/* helm applies them in its own order: --set, -string, -literal */
	if ((rc = gd_helm_values_apply_sets(vals, sets, nsets, err)) < 0) {
		gd_err_wrap(err, "helm.parameters");
		goto out;
	}
	*out = vals;
	vals = NULL;
out:
	values_sets_free(sets, nsets);
	json_decref(vals);
	return rc;
}
