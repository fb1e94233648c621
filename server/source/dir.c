/* SPDX-License-Identifier: ISC */
/*
 * Folders of plain manifests, as Argo CD's "Directory" source reads them:
 * the *.yaml, *.yml and *.json files of a folder in git (and of its
 * subfolders with directory.recurse), filtered by directory.include and
 * directory.exclude on the path below the folder, each file split into
 * documents, Lists flattened, empty documents dropped. The hard part is
 * that every byte is written by a person: a document that is not a
 * Kubernetes object must fail the render with the file and document
 * number, never be sent on to the cluster as garbage, and nothing a file
 * holds (size, depth, aliases) may cost more than the limits allow.
 */
#include <stdlib.h>
#include <string.h>

#include "gitopsd/ydoc.h"
#include "source_int.h"

/* What is missing from doc for it to be an object, or NULL. */
static const char *
dir_missing(const json_t *doc)
{
	const json_t *md;

	if (!json_is_object(doc))
		return "not a mapping";
	if (json_string_length(json_object_get(doc, "apiVersion")) == 0)
		return "missing apiVersion";
	if (json_string_length(json_object_get(doc, "kind")) == 0)
		return "missing kind";
	md = json_object_get(doc, "metadata");
	if (!json_is_object(md))
		return "missing metadata";
	if (json_string_length(json_object_get(md, "name")) == 0 &&
	    json_string_length(json_object_get(md, "generateName")) == 0)
		return "missing metadata.name";
	return NULL;
}

static bool
dir_is_list(const json_t *doc)
{
	return json_is_object(doc) &&
	    json_is_array(json_object_get(doc, "items"));
}

/* Appends doc (document n of file) or, for a List, its items. */
static int
dir_add(
    json_t *objs, const char *file, size_t n, json_t *doc, struct gd_err *err)
{
	const char *why;
	json_t *it;
	size_t i;

	if (json_is_null(doc))
		return 0;
	if (dir_is_list(doc)) {
		json_array_foreach(json_object_get(doc, "items"), i, it) {
			if ((why = dir_missing(it)) != NULL)
				return gd_err_set(err, GD_EINVAL,
				    "%s: document %zu: item %zu: not a "
				    "Kubernetes object: %s",
				    file, n, i + 1, why);
			json_array_append(objs, it);
		}
		return 0;
	}
	if ((why = dir_missing(doc)) != NULL)
		return gd_err_set(err, GD_EINVAL,
		    "%s: document %zu: not a Kubernetes object: %s", file, n,
		    why);
	json_array_append(objs, doc);
	return 0;
}

static bool
dir_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int
gd_source_parse_manifests(json_t *objs, const char *file, const char *buf,
    size_t len, struct gd_err *err)
{
	json_t *docs = NULL, *doc, *found;
	json_error_t je;
	size_t i;
	int rc = 0;

	if (dir_has_suffix(file, ".json")) {
		/* one object per file, as Argo CD decodes it */
		doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
		if (doc == NULL)
			return gd_err_set(err, GD_EINVAL, "%s:%d:%d: %s", file,
			    je.line, je.column, je.text);
		docs = json_pack("[o]", doc);
	} else if ((rc = gd_ydoc_load(&docs, NULL, buf, len, file, NULL, err)) <
	    0)
		return rc;
	found = json_array();
	json_array_foreach(docs, i, doc) {
		if ((rc = dir_add(found, file, i + 1, doc, err)) < 0)
			break;
	}
	if (rc == 0)
		json_array_extend(objs, found);
	json_decref(found);
	json_decref(docs);
	return rc;
}

/* --- the folder ---------------------------------------------------------- */

struct dir_walk {
	struct src_job *job;
	bool recurse;
	const char *include, *exclude;
	json_t *files; /* paths relative to the folder, walk order */
};

static int
dir_name_cmp(const void *a, const void *b)
{
	return strcmp(src_str(*(json_t *const *)a, "name", ""),
	    src_str(*(json_t *const *)b, "name", ""));
}

static bool
dir_is_manifest(const char *name)
{
	return dir_has_suffix(name, ".yaml") || dir_has_suffix(name, ".yml") ||
	    dir_has_suffix(name, ".json") || dir_has_suffix(name, ".jsonnet");
}

/*
 * Lists rel (below the source's path) in Go's filepath.Walk order: names
 * sorted, folders entered where they sort, as Argo CD walks.
 */
static int
dir_walk(struct dir_walk *w, const char *rel, struct gd_err *err)
{
	struct src_job *j = w->job;
	json_t *list = NULL, *e, **v = NULL;
	const char *name, *type;
	char *full = NULL, *sub = NULL;
	size_t i, n;
	int rc;

	xasprintf(&full, "%s%s%s", j->path,
	    j->path[0] != '\0' && rel[0] ? "/" : "", rel);
	if ((rc = gd_repo_list(&list, j->repo, j->sha, full, err)) < 0)
		goto out;
	n = json_array_size(list);
	v = xcalloc(n + 1, sizeof(*v));
	json_array_foreach(list, i, e)
		v[i] = e;
	qsort(v, n, sizeof(*v), dir_name_cmp);
	for (i = 0; i < n && rc == 0; i++) {
		name = src_str(v[i], "name", "");
		type = src_str(v[i], "type", "");
		free(sub);
		xasprintf(&sub, "%s%s%s", rel, rel[0] ? "/" : "", name);
		if (strcmp(type, "dir") == 0) {
			if (w->recurse)
				rc = dir_walk(w, sub, err);
			continue;
		}
		if (strcmp(type, "file") != 0 || !dir_is_manifest(name))
			continue;
		if (w->exclude != NULL && w->exclude[0] != '\0' &&
		    gd_source_glob_match(w->exclude, sub))
			continue;
		if (w->include != NULL && w->include[0] != '\0' &&
		    !gd_source_glob_match(w->include, sub))
			continue;
		if (json_array_size(w->files) >= SRC_MAX_FILES)
			rc = gd_err_set(err, GD_ETOOBIG,
			    "%s: more than %d manifest files", j->path,
			    SRC_MAX_FILES);
		else
			json_array_append_new(w->files, json_string(sub));
	}
out:
	free(v);
	free(sub);
	free(full);
	json_decref(list);
	return rc;
}

/* Reads and parses every file of w into a new array. */
static int
dir_load(json_t **out, struct dir_walk *w, struct gd_err *err)
{
	struct src_job *j = w->job;
	json_t *objs = json_array(), *f;
	struct gd_buf b;
	char *full = NULL;
	size_t i, total = 0;
	int rc = 0;

	*out = NULL;
	gd_buf_init(&b);
	json_array_foreach(w->files, i, f) {
		free(full);
		xasprintf(&full, "%s%s%s", j->path, j->path[0] ? "/" : "",
		    json_string_value(f));
		if (dir_has_suffix(full, ".jsonnet")) {
			rc = gd_err_set(err, GD_EINVAL,
			    "%s: jsonnet is not supported", full);
			break;
		}
		gd_buf_reset(&b);
		if ((rc = gd_repo_read(&b, j->repo, j->sha, full, 0, err)) < 0)
			break;
		if ((total += b.len) > SRC_MAX_BYTES) {
			rc = gd_err_set(err, GD_ETOOBIG,
			    "%s: manifests over %u bytes in all", j->path,
			    SRC_MAX_BYTES);
			break;
		}
		if ((rc = gd_source_parse_manifests(objs, full,
			 b.data != NULL ? b.data : "", b.len, err)) < 0)
			break;
	}
	if (rc == 0) {
		*out = objs;
		objs = NULL;
	}
	free(full);
	gd_buf_dispose(&b);
	json_decref(objs);
	return rc;
}

/* Whether directory.jsonnet asks for anything (the UI writes "{}"). */
static bool
dir_jsonnet_used(const json_t *jn)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)jn, k, v) {
		if (!json_is_null(v) &&
		    !(json_is_array(v) && json_array_size(v) == 0))
			return true;
	}
	return false;
}

int
src_dir_render(struct src_job *j, const char *tree_id, struct gd_err *err)
{
	const json_t *dir = json_object_get(j->src, "directory");
	struct dir_walk w;
	struct src_digest d;
	json_t *objs = NULL;
	int rc = 0;

	memset(&w, 0, sizeof(w));
	w.job = j;
	w.recurse = json_is_true(json_object_get(dir, "recurse"));
	w.include = src_str(dir, "include", NULL);
	w.exclude = src_str(dir, "exclude", NULL);
	if (dir_jsonnet_used(json_object_get(dir, "jsonnet")))
		return gd_err_set(err, GD_EINVAL,
		    "%s: directory.jsonnet: jsonnet is not supported",
		    j->path[0] ? j->path : ".");
	src_digest_init(&d);
	src_digest_str(&d, "Directory");
	src_digest_str(&d, tree_id);
	src_digest_str(&d, w.recurse ? "recurse" : "flat");
	src_digest_str(&d, w.include);
	src_digest_str(&d, w.exclude);
	src_digest_final(&d, j->key);
	j->type = "Directory";
	if (!j->hard && (j->objects = src_cache_get(j->s, j->key)) != NULL)
		return 0;
	w.files = json_array();
	if ((rc = dir_walk(&w, "", err)) < 0 ||
	    (rc = dir_load(&objs, &w, err)) < 0)
		goto out;
	j->objects = json_incref(objs);
	src_cache_put(j->s, j->key, objs);
	objs = NULL;
out:
	json_decref(w.files);
	json_decref(objs);
	return rc;
}
