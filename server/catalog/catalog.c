/* SPDX-License-Identifier: ISC */
/*
 * The catalog snapshot: which documents are Applications and AppProjects,
 * how they become what the API serves, and how a new snapshot replaces
 * the old one. Two things are hard. First, nothing valid may be lost to
 * something invalid: a file that is not YAML, a document with a bad
 * field or two applications with one name each become conditions on the
 * applications concerned (or catalog errors when no application can be
 * named), and every other document loads as usual. Second, readers on
 * HTTP threads hold a snapshot while the poller publishes the next: the
 * snapshot is never changed after gd_catalog_finish, carries an atomic
 * reference count, and the cell's lock is held only to copy a pointer.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "catalog_int.h"
#include "gitopsd/ydoc.h"

#define CATALOG_API     "argoproj.io/v1alpha1"
#define CATALOG_MAXFILE ((size_t)8 << 20)

const char *const gd_catalog_default_include[] = { "**/*.yaml", "**/*.yml",
	NULL };

struct gd_catalog_cell {
	pthread_mutex_t lock;
	struct gd_catalog *cur;
};

struct gd_catalog *
gd_catalog_new(const char *repo_url, const char *sha)
{
	struct gd_catalog *c = xcalloc(1, sizeof(*c));

	atomic_init(&c->refs, 1);
	c->repo_url = xstrdup(repo_url != NULL ? repo_url : "");
	c->sha = xstrdup(sha != NULL ? sha : "");
	c->errors = json_array();
	gd_time_format(c->loaded_at, time(NULL));
	return c;
}

static void
catalog_list_dispose(struct cat_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].file);
		free(l->v[i].canon);
		json_decref(l->v[i].doc);
		json_decref(l->v[i].marks);
		json_decref(l->v[i].problems);
	}
	free(l->v);
	json_decref(l->items);
	json_decref(l->index);
}

struct gd_catalog *
gd_catalog_ref(struct gd_catalog *c)
{
	if (c != NULL)
		atomic_fetch_add(&c->refs, 1);
	return c;
}

void
gd_catalog_unref(struct gd_catalog *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	catalog_list_dispose(&c->apps);
	catalog_list_dispose(&c->projects);
	json_decref(c->errors);
	free(c->repo_url);
	free(c->sha);
	free(c);
}

static struct cat_entry *
catalog_push(struct cat_list *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 16 : l->cap * 2;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

/* A file that would not load: an app of its own if it looks like one. */
static void
catalog_bad_file(struct gd_catalog *c, const char *file, const char *buf,
    size_t len, const char *msg)
{
	struct cat_entry *e;
	char *text = xstrndup(buf, len);

	if (strstr(text, "argoproj.io") != NULL &&
	    strstr(text, "kind: Application") != NULL) {
		e = catalog_push(&c->apps);
		e->name = xstrdup(file);
		e->file = xstrdup(file);
		e->doc = json_pack("{s:s, s:s, s:{s:s}, s:{}}", "apiVersion",
		    CATALOG_API, "kind", "Application", "metadata", "name",
		    file, "spec");
		e->problems = json_pack("[s]", msg);
	} else
		json_array_append_new(c->errors, json_string(msg));
	free(text);
}

/*
 * The marks gd_catalog_finish still needs. A document's full marks cost
 * more memory than the document itself, and everything else about them
 * was used by the validator already.
 */
static json_t *
catalog_keep_marks(const json_t *marks)
{
	static const char *const keep[] = { "", "/metadata", "/metadata/name",
		"/spec", "/spec/project", NULL };
	json_t *out = json_object(), *m;
	size_t i;

	for (i = 0; keep[i] != NULL; i++)
		if ((m = json_object_get(marks, keep[i])) != NULL)
			json_object_set(out, keep[i], m);
	return out;
}

static void
catalog_add_doc(struct gd_catalog *c, const char *file, size_t idx, json_t *doc,
    json_t *marks)
{
	const char *api, *kind;
	struct cat_entry *e;
	json_t *name;
	bool project;

	api = json_string_value(json_object_get(doc, "apiVersion"));
	kind = json_string_value(json_object_get(doc, "kind"));
	if (api == NULL || kind == NULL ||
	    strncmp(api, "argoproj.io/", 12) != 0)
		return;
	if (strcmp(kind, "Application") == 0)
		project = false;
	else if (strcmp(kind, "AppProject") == 0)
		project = true;
	else
		return;
	e = catalog_push(project ? &c->projects : &c->apps);
	e->file = xstrdup(file);
	e->doc = json_incref(doc);
	e->problems = json_array();
	if (strcmp(api, CATALOG_API) != 0)
		gd_catalog_problem(e->problems, marks, file, "/apiVersion",
		    "apiVersion: %s is not served; want " CATALOG_API, api);
	gd_catalog_validate(e->problems, doc, marks, file, project);
	e->marks = catalog_keep_marks(marks);
	name = json_object_get(json_object_get(doc, "metadata"), "name");
	if (json_is_string(name) && json_string_length(name) > 0)
		e->name = xstrdup(json_string_value(name));
	else
		xasprintf(&e->name, "%s#%zu", file, idx + 1);
}

void
gd_catalog_add_yaml(
    struct gd_catalog *c, const char *file, const char *buf, size_t len)
{
	json_t *docs = NULL, *marks = NULL, *d;
	struct gd_err err;
	size_t i;

	assert(!c->finished);
	gd_err_clear(&err);
	if (gd_ydoc_load(&docs, &marks, buf, len, file, NULL, &err) < 0) {
		catalog_bad_file(c, file, buf, len, err.msg);
		return;
	}
	json_array_foreach(docs, i, d) {
		if (json_is_object(d))
			catalog_add_doc(
			    c, file, i, d, json_array_get(marks, i));
	}
	json_decref(docs);
	json_decref(marks);
}

static int
catalog_cmp(const void *a, const void *b)
{
	const struct cat_entry *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r != 0)
		return r;
	return strcmp(
	    x->file != NULL ? x->file : "", y->file != NULL ? y->file : "");
}

/* "file:line:col" of the entry's metadata.name, for duplicate messages. */
static void
catalog_where(char *out, size_t len, const struct cat_entry *e)
{
	json_t *m = json_object_get(e->marks, "/metadata/name");

	if (m != NULL)
		snprintf(out, len, "%s:%lld:%lld", e->file,
		    (long long)json_integer_value(json_array_get(m, 0)),
		    (long long)json_integer_value(json_array_get(m, 1)));
	else
		snprintf(out, len, "%s", e->file);
}

/* Sorts l and tells every member of a run of one name about the others. */
static void
catalog_duplicates(struct cat_list *l, const char *what)
{
	char w[512];
	size_t i, j, k;

	if (l->n < 2)
		return;
	qsort(l->v, l->n, sizeof(l->v[0]), catalog_cmp);
	for (i = 0; i < l->n; i = j) {
		for (j = i + 1;
		     j < l->n && strcmp(l->v[i].name, l->v[j].name) == 0; j++)
			;
		if (j - i < 2)
			continue;
		for (k = i; k < j; k++) {
			catalog_where(w, sizeof(w), &l->v[k == i ? i + 1 : i]);
			gd_catalog_problem(l->v[k].problems, l->v[k].marks,
			    l->v[k].file, "/metadata/name",
			    "metadata.name: %s %s is defined %zu times; also "
			    "at %s",
			    what, l->v[k].name, j - i, w);
		}
	}
}

static void
catalog_default_project(struct gd_catalog *c)
{
	struct cat_entry *e;

	if (json_object_get(c->projects.index, "default") != NULL)
		return;
	e = catalog_push(&c->projects);
	e->name = xstrdup("default");
	e->problems = json_array();
	e->doc = json_pack("{s:s, s:s, s:{s:s}, s:{s:[s], s:[{s:s, s:s}], "
			   "s:[{s:s, s:s}]}}",
	    "apiVersion", CATALOG_API, "kind", "AppProject", "metadata", "name",
	    "default", "spec", "sourceRepos", "*", "destinations", "server",
	    "*", "namespace", "*", "clusterResourceWhitelist", "group", "*",
	    "kind", "*");
}

static void
catalog_project_refs(struct gd_catalog *c)
{
	struct cat_entry *e;
	json_t *p;
	const char *name;
	size_t i;

	for (i = 0; i < c->apps.n; i++) {
		e = &c->apps.v[i];
		p = json_object_get(json_object_get(e->doc, "spec"), "project");
		if (p != NULL && !json_is_string(p))
			continue; /* reported as a type error */
		name = json_string_length(p) > 0 ? json_string_value(p) :
						   "default";
		if (json_object_get(c->projects.index, name) == NULL)
			gd_catalog_problem(e->problems, e->marks,
			    e->file != NULL ? e->file : "", "/spec/project",
			    "spec.project: project %s does not exist", name);
	}
}

/* A digest of what a change set compares: metadata and spec, canonical. */
static char *
catalog_canon(const json_t *doc)
{
	json_t *o = json_pack("{s:O?, s:O?}", "metadata",
	    json_object_get(doc, "metadata"), "spec",
	    json_object_get(doc, "spec"));
	unsigned char h[16];
	char hex[sizeof(h) * 2 + 1];
	struct gd_buf b;

	gd_buf_init(&b);
	gd_ydoc_canonical(&b, o);
	json_decref(o);
	/* a digest, not the text: 10,000 apps' specs would double the size */
	crypto_generichash(
	    h, sizeof(h), (const unsigned char *)b.data, b.len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	gd_buf_dispose(&b);
	return xstrdup(hex);
}

/*
 * Gives a document without a usable name its place as a name. The entry
 * holds the only reference to its document (ydoc's array is gone), so it
 * is changed in place rather than copied.
 */
static json_t *
catalog_named(const struct cat_entry *e)
{
	json_t *md = json_object_get(e->doc, "metadata");

	if (!json_is_object(md)) {
		md = json_object();
		json_object_set_new(e->doc, "metadata", md);
	}
	json_object_set_new(md, "name", json_string(e->name));
	return json_incref(e->doc);
}

/* What the API serves: the document with a status of what we know. */
static json_t *
catalog_served_app(const struct gd_catalog *c, const struct cat_entry *e)
{
	json_t *d = catalog_named(e), *conds = json_array(), *p;
	size_t i;

	json_array_foreach(e->problems, i, p)
		json_array_append_new(conds,
		    json_pack("{s:s, s:O, s:s}", "type", "InvalidSpecError",
			"message", p, "lastTransitionTime", c->loaded_at));
	json_object_set_new(d, "status",
	    json_pack("{s:{s:s, s:s}, s:{s:s}, s:o}", "sync", "status",
		"Unknown", "revision", c->sha, "health", "status", "Unknown",
		"conditions", conds));
	return d;
}

static void
catalog_index(struct cat_list *l)
{
	size_t i;

	json_decref(l->index);
	l->index = json_object();
	for (i = 0; i < l->n; i++)
		if (json_object_get(l->index, l->v[i].name) == NULL)
			json_object_set_new(l->index, l->v[i].name,
			    json_integer((json_int_t)i));
}

void
gd_catalog_finish(struct gd_catalog *c)
{
	size_t i;

	assert(!c->finished);
	catalog_duplicates(&c->projects, "project");
	catalog_index(&c->projects);
	catalog_default_project(c);
	qsort(c->projects.v, c->projects.n, sizeof(c->projects.v[0]),
	    catalog_cmp);
	catalog_index(&c->projects);
	catalog_duplicates(&c->apps, "application");
	catalog_index(&c->apps);
	catalog_project_refs(c);

	c->projects.items = json_array();
	for (i = 0; i < c->projects.n; i++) {
		json_array_append_new(
		    c->projects.items, catalog_named(&c->projects.v[i]));
		json_array_extend(c->errors, c->projects.v[i].problems);
	}
	c->apps.items = json_array();
	for (i = 0; i < c->apps.n; i++) {
		c->apps.v[i].canon = catalog_canon(c->apps.v[i].doc);
		json_array_append_new(
		    c->apps.items, catalog_served_app(c, &c->apps.v[i]));
	}
	c->finished = true;
}

/* Collects the paths the include globs select. */
struct load_walk {
	const char *const *include;
	json_t *paths;
};

static int
catalog_walk_cb(void *arg, const char *path)
{
	struct load_walk *w = arg;
	size_t i;

	for (i = 0; w->include[i] != NULL; i++)
		if (gd_catalog_glob_match(w->include[i], path)) {
			json_array_append_new(w->paths, json_string(path));
			break;
		}
	return 0;
}

int
gd_catalog_load(struct gd_catalog **out, struct gd_repo *repo, const char *sha,
    const char *const *include, struct gd_err *err)
{
	struct gd_catalog *c = NULL;
	struct load_walk w;
	struct gd_buf b;
	struct gd_err ferr;
	json_t *p;
	size_t i;
	int rc;

	*out = NULL;
	w.include = include != NULL && include[0] != NULL ?
	    include :
	    gd_catalog_default_include;
	w.paths = json_array();
	gd_buf_init(&b);
	if ((rc = gd_repo_walk(repo, sha, catalog_walk_cb, &w, err)) < 0)
		goto out;
	c = gd_catalog_new(gd_repo_display_url(repo), sha);
	json_array_foreach(w.paths, i, p) {
		gd_buf_reset(&b);
		if (gd_repo_read(&b, repo, sha, json_string_value(p),
			CATALOG_MAXFILE, &ferr) < 0) {
			json_array_append_new(c->errors, json_string(ferr.msg));
			continue;
		}
		gd_catalog_add_yaml(c, json_string_value(p), b.data, b.len);
	}
	gd_catalog_finish(c);
	*out = c;
out:
	gd_buf_dispose(&b);
	json_decref(w.paths);
	return rc;
}

const char *
gd_catalog_revision(const struct gd_catalog *c)
{
	return c->sha;
}

const char *
gd_catalog_repo_url(const struct gd_catalog *c)
{
	return c->repo_url;
}

json_t *
gd_catalog_apps(const struct gd_catalog *c)
{
	return c->apps.items;
}

json_t *
gd_catalog_projects(const struct gd_catalog *c)
{
	return c->projects.items;
}

static const struct cat_entry *
catalog_find(const struct cat_list *l, const char *name)
{
	json_t *i = json_object_get(l->index, name);

	return i != NULL ? &l->v[json_integer_value(i)] : NULL;
}

json_t *
gd_catalog_app(const struct gd_catalog *c, const char *name)
{
	json_t *i = json_object_get(c->apps.index, name);

	return i != NULL ?
	    json_array_get(c->apps.items, (size_t)json_integer_value(i)) :
	    NULL;
}

json_t *
gd_catalog_project(const struct gd_catalog *c, const char *name)
{
	json_t *i = json_object_get(c->projects.index, name);

	return i != NULL ?
	    json_array_get(c->projects.items, (size_t)json_integer_value(i)) :
	    NULL;
}

const char *
gd_catalog_app_file(const struct gd_catalog *c, const char *name)
{
	const struct cat_entry *e = catalog_find(&c->apps, name);

	return e != NULL ? e->file : NULL;
}

json_t *
gd_catalog_errors(const struct gd_catalog *c)
{
	return c->errors;
}

static int
catalog_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *
gd_catalog_changed(const struct gd_catalog *old, const struct gd_catalog *new)
{
	const struct cat_entry *o;
	json_t *set = json_object(), *out = json_array(), *v;
	const char *k, **keys;
	size_t i, n = 0;

	for (i = 0; i < new->apps.n; i++) {
		if (i > 0 &&
		    strcmp(new->apps.v[i].name, new->apps.v[i - 1].name) == 0)
			continue;
		o = old != NULL ?
		    catalog_find(&old->apps, new->apps.v[i].name) :
		    NULL;
		if (o == NULL || strcmp(o->canon, new->apps.v[i].canon) != 0)
			json_object_set_new(
			    set, new->apps.v[i].name, json_true());
	}
	for (i = 0; old != NULL && i < old->apps.n; i++)
		if (catalog_find(&new->apps, old->apps.v[i].name) == NULL)
			json_object_set_new(
			    set, old->apps.v[i].name, json_true());
	keys = xreallocarray(NULL, json_object_size(set) + 1, sizeof(*keys));
	json_object_foreach(set, k, v)
		keys[n++] = k;
	if (n > 1)
		qsort(keys, n, sizeof(*keys), catalog_strcmp);
	for (i = 0; i < n; i++)
		json_array_append_new(out, json_string(keys[i]));
	free(keys);
	json_decref(set);
	return out;
}

struct gd_catalog_cell *
gd_catalog_cell_new(void)
{
	struct gd_catalog_cell *cell = xcalloc(1, sizeof(*cell));

	pthread_mutex_init(&cell->lock, NULL);
	return cell;
}

void
gd_catalog_cell_free(struct gd_catalog_cell *cell)
{
	if (cell == NULL)
		return;
	gd_catalog_unref(cell->cur);
	pthread_mutex_destroy(&cell->lock);
	free(cell);
}

struct gd_catalog *
gd_catalog_cell_get(struct gd_catalog_cell *cell)
{
	struct gd_catalog *c;

	pthread_mutex_lock(&cell->lock);
	c = gd_catalog_ref(cell->cur);
	pthread_mutex_unlock(&cell->lock);
	return c;
}

void
gd_catalog_cell_set(struct gd_catalog_cell *cell, struct gd_catalog *c)
{
	struct gd_catalog *old;

	pthread_mutex_lock(&cell->lock);
	old = cell->cur;
	cell->cur = c;
	pthread_mutex_unlock(&cell->lock);
	gd_catalog_unref(old);
}
