/* SPDX-License-Identifier: ISC */
/*
 * Rendering: Helm's engine (pkg/engine/engine.go) and what `helm
 * template` does with its output (pkg/action, pkg/releaseutil).
 *
 * The engine half builds each chart's top object (.Values, .Release,
 * .Chart with Go field names, .Capabilities, .Files, .Subcharts,
 * .Template), parses every template of the chart and its enabled
 * subcharts into one set, deepest paths first and ties in reverse order
 * (so a parent's define wins over a subchart's), and runs every template
 * whose name does not start with "_". The output half removes NOTES.txt,
 * splits each file into documents on Helm v3's separator, reads each
 * document's kind and hook annotation, sorts both lists stably in Helm's
 * install order and prints them with "# Source:" headers. The hard part
 * is doing exactly what Helm does with whitespace and order, because the
 * output is compared byte for byte.
 *
 * A chart is rendered again and again (every reconcile, every app using
 * it), often by several threads at once, so the root chart keeps what
 * does not change between renders: the parsed templates of the charts
 * rendered, and the coalesced values of the last user values. Both are
 * built by whichever render misses, published whole and never changed
 * after; a render takes a reference to what it uses, and render_lock
 * only guards swapping the pointers, so renders never wait on another's
 * parse. Templates may change .Values (set, unset, merge), so each
 * render gets its own copy of the maps and lists of the cached values.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "gitopsd/ydoc.h"
#include "helm_int.h"

struct job {
	char *name; /* "chart/templates/x.yaml" */
	size_t depth; /* slashes in name */
	const struct helm_file *file;
	json_t *top; /* borrowed from the chart's top object */
	char *base; /* "chart/templates" */
};

struct rendered {
	char *name;
	char *text;
};

struct doc {
	const char *name;
	const char *content; /* in the rendered file's text */
	size_t clen;
	const char *kind;
	int rank; /* in install_order, -1 for other kinds */
	json_t *obj;
	bool hook, test;
};

/* Parsed templates for one list of charts (render_view_key). */
struct cached_set {
	unsigned refs;
	char *key;
	struct gd_tmpl_set *set; /* only read once published */
	bool mutates; /* calls render_mutators: renders copy the values */
};

/*
 * Sprig's functions that change a map in place, and tpl, which may call
 * them from text the chart computes. While a chart's templates call none
 * of them, its renders share one copy of the values.
 */
static const char *const render_mutators[] = { "set", "unset", "merge",
	"mergeOverwrite", "mustMerge", "mustMergeOverwrite", "tpl", NULL };

/* The values coalesced for one set of user values. */
struct cached_vals {
	unsigned refs;
	json_t *user; /* a copy of the user's values; NULL for none */
	json_t *vals; /* never changed once published */
	bool *enabled; /* subcharts on, helm_deps_enabled's order */
	size_t nenabled; /* 0: no subcharts */
};

struct helm_rcache {
	struct cached_set *set;
	struct cached_vals *vals;
};

/* Guards the pointers of every chart's rcache (never held for long). */
static pthread_mutex_t render_lock = PTHREAD_MUTEX_INITIALIZER;

struct render {
	struct helm_render hr;
	const struct gd_helm_opts *opts;
	struct gd_tmpl_obj *caps;
	struct gd_tmpl_obj **objs; /* .Files objects, kept for the markers */
	size_t nobjs;
	struct job *jobs;
	size_t njobs;
	json_t *tops; /* keeps every top object alive */
	struct gd_helm_chart *view; /* the charts rendered, as Helm sees them */
	struct gd_buf key; /* the view's render_view_key */
};

/* --- the dependency view ------------------------------------------------- */

static void
render_view_free(struct gd_helm_chart *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->ndeps; i++)
		render_view_free(v->deps[i]);
	free(v->deps);
	json_decref(v->meta);
	json_decref(v->values);
	free(v->path);
	free(v);
}

static const char *
render_str(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "";
}

static const struct gd_helm_chart *
render_find_dep(const struct gd_helm_chart *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ndeps; i++)
		if (strcmp(gd_helm_chart_name(c->deps[i]), name) == 0)
			return c->deps[i];
	return NULL;
}

static void
render_view_add(struct gd_helm_chart *v, struct gd_helm_chart *d)
{
	v->deps = xreallocarray(v->deps, v->ndeps + 1, sizeof(*v->deps));
	v->deps[v->ndeps++] = d;
}

/*
 * The chart as Helm's ProcessDependencies arranges it: a copy (owning its
 * meta and path) whose subcharts are first those Chart.yaml does not
 * name, then one per dependency entry, renamed by its alias (so a chart
 * can appear twice under two aliases).
 */
static int
render_view(struct gd_helm_chart **out, const struct gd_helm_chart *c,
    struct gd_helm_chart *parent, const char *alias, struct gd_err *err)
{
	struct gd_helm_chart *v = xcalloc(1, sizeof(*v)), *d;
	json_t *reqs = json_object_get(c->meta, "dependencies"), *req;
	const struct gd_helm_chart *dc;
	size_t i, k;
	int rc = 0;

	*out = NULL;
	/* field by field: c->rcache may be changing under render_lock */
	v->templates = c->templates;
	v->crds = c->crds;
	v->files = c->files;
	v->parent = parent;
	v->values = json_incref(c->values);
	v->schema = c->schema; /* borrowed: the view never frees it */
	if (alias != NULL && *alias != '\0') {
		v->meta = json_deep_copy(c->meta);
		json_object_set_new(v->meta, "name", json_string(alias));
	} else
		v->meta = json_incref(c->meta);
	if (parent != NULL)
		xasprintf(&v->path, "%s/charts/%s", parent->path,
		    gd_helm_chart_name(v));
	else
		v->path = xstrdup(gd_helm_chart_name(v));
	for (i = 0; i < c->ndeps; i++) {
		json_array_foreach(reqs, k, req) {
			if (strcmp(render_str(json_object_get(req, "name")),
				gd_helm_chart_name(c->deps[i])) == 0)
				break;
		}
		if (json_is_array(reqs) && k < json_array_size(reqs))
			continue;
		if ((rc = render_view(&d, c->deps[i], v, NULL, err)) < 0)
			goto out;
		render_view_add(v, d);
	}
	json_array_foreach(reqs, k, req) {
		const char *name = render_str(json_object_get(req, "name"));

		if ((dc = render_find_dep(c, name)) == NULL) {
			rc = gd_err_set(err, GD_EINVAL,
			    "found in Chart.yaml, but missing in charts/ "
			    "directory: %s",
			    name);
			goto out;
		}
		if ((rc = render_view(&d, dc, v,
			 render_str(json_object_get(req, "alias")), err)) < 0)
			goto out;
		render_view_add(v, d);
	}
	*out = v;
	v = NULL;
out:
	render_view_free(v);
	return rc;
}

/* Drops the subcharts whose flag is false, flags in helm_deps_enabled's
 * depth-first order. */
static void
render_view_prune(struct gd_helm_chart *v, const bool *enabled, size_t *k)
{
	size_t i, n = 0;
	bool on;

	for (i = 0; i < v->ndeps; i++) {
		on = enabled[(*k)++];
		render_view_prune(v->deps[i], enabled, k);
		if (on)
			v->deps[n++] = v->deps[i];
		else
			render_view_free(v->deps[i]);
	}
	v->ndeps = n;
}

/* {a: {b: data}} for the path "a.b"; data itself for "." (consumed). */
static json_t *
render_path_map(const char *path, json_t *data)
{
	char *p, *dot;
	json_t *m;

	if (strcmp(path, ".") == 0 || *path == '\0')
		return data;
	dot = strrchr(path, '.');
	m = json_object();
	json_object_set_new(m, dot ? dot + 1 : path, data);
	if (dot == NULL)
		return m;
	p = xstrndup(path, (size_t)(dot - path));
	m = render_path_map(p, m);
	free(p);
	return m;
}

static bool
render_has_dep(const struct gd_helm_chart *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->ndeps; i++)
		if (strcmp(gd_helm_chart_name(v->deps[i]), name) == 0)
			return true;
	return false;
}

/*
 * import-values (processImportValues, merge mode), deepest charts first:
 * a chart's values become its merged values with the imported tables
 * under them, the chart's own values winning.
 */
static void
render_view_imports(struct gd_helm_chart *v)
{
	json_t *reqs = json_object_get(v->meta, "dependencies"), *req, *iv;
	json_t *cvals, *b, *t;
	const char *name, *alias;
	char *path;
	size_t i, k;
	bool any = false;

	for (i = 0; i < v->ndeps; i++)
		render_view_imports(v->deps[i]);
	json_array_foreach(reqs, i, req) {
		if (json_array_size(json_object_get(req, "import-values")) > 0)
			any = true;
	}
	if (!any)
		return;
	cvals = helm_values_coalesce(v, json_object());
	b = json_object();
	json_array_foreach(reqs, i, req) {
		alias = render_str(json_object_get(req, "alias"));
		name =
		    *alias ? alias : render_str(json_object_get(req, "name"));
		if (!render_has_dep(v, name))
			continue;
		json_array_foreach(
		    json_object_get(req, "import-values"), k, iv) {
			if (json_is_string(iv)) {
				xasprintf(&path, "%s.exports.%s", name,
				    json_string_value(iv));
				t = helm_values_table(cvals, path);
				free(path);
				if (t == NULL)
					continue;
				t = json_deep_copy(t);
				helm_values_merge_tables(b, t);
				json_decref(t);
			} else if (json_is_object(iv)) {
				xasprintf(&path, "%s.%s", name,
				    render_str(json_object_get(iv, "child")));
				t = helm_values_table(cvals, path);
				free(path);
				if (t == NULL)
					continue;
				t = render_path_map(
				    render_str(json_object_get(iv, "parent")),
				    json_deep_copy(t));
				helm_values_merge_tables(b, t);
				json_decref(t);
			}
		}
	}
	helm_values_merge_tables(cvals, b);
	json_decref(b);
	json_decref(v->values);
	v->values = cvals;
}

static size_t
render_count(const struct gd_helm_chart *c)
{
	size_t i, n = c->ndeps;

	for (i = 0; i < c->ndeps; i++)
		n += render_count(c->deps[i]);
	return n;
}

static void
render_view_key(struct gd_buf *key, const struct gd_helm_chart *v)
{
	size_t i;

	gd_buf_adds(key, v->path);
	gd_buf_addc(key, '\n');
	for (i = 0; i < v->ndeps; i++)
		render_view_key(key, v->deps[i]);
}

/* --- what renders keep ------------------------------------------------------
 */

static void
cached_set_unref(struct cached_set *cs)
{
	if (cs == NULL ||
	    __atomic_sub_fetch(&cs->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	gd_tmpl_set_free(cs->set);
	free(cs->key);
	free(cs);
}

static void
cached_vals_unref(struct cached_vals *cv)
{
	if (cv == NULL ||
	    __atomic_sub_fetch(&cv->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	json_decref(cv->user);
	json_decref(cv->vals);
	free(cv->enabled);
	free(cv);
}

void
helm_render_cache_free(struct helm_rcache *rc)
{
	if (rc == NULL)
		return;
	cached_set_unref(rc->set);
	cached_vals_unref(rc->vals);
	free(rc);
}

/* A reference to what the root keeps (set or values), or NULL. */
static void *
render_cache_get(struct gd_helm_chart *root, bool vals)
{
	struct cached_set *cs = NULL;
	struct cached_vals *cv = NULL;

	pthread_mutex_lock(&render_lock);
	if (root->rcache != NULL && vals && (cv = root->rcache->vals) != NULL)
		__atomic_add_fetch(&cv->refs, 1, __ATOMIC_RELAXED);
	if (root->rcache != NULL && !vals && (cs = root->rcache->set) != NULL)
		__atomic_add_fetch(&cs->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&render_lock);
	return vals ? (void *)cv : (void *)cs;
}

/* Publishes cs or cv (the caller keeps its own reference). */
static void
render_cache_put(
    struct gd_helm_chart *root, struct cached_set *cs, struct cached_vals *cv)
{
	struct cached_set *old_set = NULL;
	struct cached_vals *old_vals = NULL;

	pthread_mutex_lock(&render_lock);
	if (root->rcache == NULL)
		root->rcache = xcalloc(1, sizeof(*root->rcache));
	if (cs != NULL) {
		__atomic_add_fetch(&cs->refs, 1, __ATOMIC_RELAXED);
		old_set = root->rcache->set;
		root->rcache->set = cs;
	}
	if (cv != NULL) {
		__atomic_add_fetch(&cv->refs, 1, __ATOMIC_RELAXED);
		old_vals = root->rcache->vals;
		root->rcache->vals = cv;
	}
	pthread_mutex_unlock(&render_lock);
	cached_set_unref(old_set);
	cached_vals_unref(old_vals);
}

/*
 * Whether a and b are the same values, down to key order and number
 * types: coalescing keeps the user's key order, and it shows wherever a
 * template walks a map in its own order.
 */
static bool
render_same(const json_t *a, const json_t *b)
{
	const char *ka, *kb;
	size_t i, la, lb;
	void *ia, *ib;
	double x, y;

	if (a == b)
		return true;
	if (a == NULL || b == NULL || json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return false;
		ia = json_object_iter((json_t *)(uintptr_t)a);
		ib = json_object_iter((json_t *)(uintptr_t)b);
		for (; ia != NULL && ib != NULL;
		     ia = json_object_iter_next((json_t *)(uintptr_t)a, ia),
		     ib = json_object_iter_next((json_t *)(uintptr_t)b, ib)) {
			ka = json_object_iter_key(ia);
			kb = json_object_iter_key(ib);
			la = json_object_iter_key_len(ia);
			lb = json_object_iter_key_len(ib);
			if (la != lb || memcmp(ka, kb, la) != 0 ||
			    !render_same(json_object_iter_value(ia),
				json_object_iter_value(ib)))
				return false;
		}
		return ia == NULL && ib == NULL;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (i = 0; i < json_array_size(a); i++)
			if (!render_same(
				json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b),
			json_string_length(a)) == 0;
	case JSON_INTEGER:
		return json_integer_value(a) == json_integer_value(b);
	case JSON_REAL:
		x = json_real_value(a);
		y = json_real_value(b);
		return memcmp(&x, &y, sizeof(x)) == 0;
	default:
		return true; /* true, false, null: one of each */
	}
}

/* A node shared inside a tree, and its copy. */
struct copy_memo {
	const json_t **from;
	json_t **to;
	size_t n;
};

/*
 * A copy of v's maps and lists, sharing its strings and numbers (nothing
 * here changes those in place) unless leaves is set. A map or list held
 * twice in v is copied once and held twice in the copy, as coalescing
 * shares globals. (json_deep_copy is slower: it checks for loops.)
 */
static json_t *
render_copy(const json_t *v, struct copy_memo *m, bool leaves)
{
	const char *k;
	json_t *c, *e;
	size_t i, klen;
	bool shared;

	if (leaves && json_is_string(v))
		return json_stringn_nocheck(
		    json_string_value(v), json_string_length(v));
	if (leaves && (json_is_integer(v) || json_is_real(v)))
		return json_copy((json_t *)(uintptr_t)v);
	if (!json_is_object(v) && !json_is_array(v))
		return json_incref((json_t *)(uintptr_t)v);
	shared = v->refcount > 1;
	for (i = 0; shared && i < m->n; i++)
		if (m->from[i] == v)
			return json_incref(m->to[i]);
	if (json_is_object(v)) {
		c = json_object();
		json_object_keylen_foreach((json_t *)(uintptr_t)v, k, klen, e)
		    json_object_setn_new_nocheck(
			c, k, klen, render_copy(e, m, leaves));
	} else {
		c = json_array();
		json_array_foreach(v, i, e)
			json_array_append_new(c, render_copy(e, m, leaves));
	}
	if (shared) {
		m->from = xreallocarray(m->from, m->n + 1, sizeof(*m->from));
		m->to = xreallocarray(m->to, m->n + 1, sizeof(*m->to));
		m->from[m->n] = v;
		m->to[m->n++] = c;
	}
	return c;
}

static json_t *
render_copy_values(const json_t *v, bool leaves)
{
	struct copy_memo m = { 0 };
	json_t *c = render_copy(v, &m, leaves);

	free(m.from);
	free(m.to);
	return c;
}

/*
 * The coalesced values for the user's (a reference), from the cache when
 * they are the same as last time; prunes the view to the subcharts
 * enabled, as Helm's ProcessDependencies does.
 */
static struct cached_vals *
render_values(struct gd_helm_chart *root, struct gd_helm_chart *view,
    const json_t *values)
{
	struct cached_vals *cv = render_cache_get(root, true);
	json_t *cvals;
	size_t k = 0;

	if (cv != NULL && render_same(cv->user, values)) {
		if (cv->nenabled > 0)
			render_view_prune(view, cv->enabled, &k);
		return cv;
	}
	cached_vals_unref(cv);
	cv = xcalloc(1, sizeof(*cv));
	cv->refs = 1;
	/* all of it: the caller may change its values after we return */
	cv->user = values != NULL ? render_copy_values(values, true) : NULL;
	/* conditions and tags see the coalesced values */
	if (view->ndeps > 0) {
		cvals = helm_values_coalesce(view,
		    values != NULL ? json_deep_copy(values) : json_object());
		cv->nenabled = render_count(view);
		cv->enabled = xcalloc(cv->nenabled + 1, sizeof(*cv->enabled));
		helm_deps_enabled(view, cvals, "", cv->enabled, &k);
		json_decref(cvals);
		k = 0;
		render_view_prune(view, cv->enabled, &k);
	}
	render_view_imports(view);
	cv->vals = helm_values_coalesce(
	    view, values != NULL ? json_deep_copy(values) : json_object());
	render_cache_put(root, NULL, cv);
	return cv;
}

/* --- top objects ---------------------------------------------------------- */

static const char *const chart_fields[][2] = { { "name", "Name" },
	{ "home", "Home" }, { "version", "Version" },
	{ "description", "Description" }, { "icon", "Icon" },
	{ "apiVersion", "APIVersion" }, { "condition", "Condition" },
	{ "tags", "Tags" }, { "appVersion", "AppVersion" },
	{ "kubeVersion", "KubeVersion" }, { "type", "Type" }, { NULL, NULL } };

/* .Chart: Chart.yaml under Go's field names, every field present. */
static json_t *
render_chart_obj(const struct gd_helm_chart *c)
{
	json_t *o = json_object(), *v;
	size_t i;

	for (i = 0; chart_fields[i][0] != NULL; i++)
		json_object_set_new_nocheck(o, chart_fields[i][1],
		    json_string(helm_chart_meta_str(c, chart_fields[i][0])));
	v = json_object_get(c->meta, "sources");
	json_object_set_new_nocheck(
	    o, "Sources", json_is_array(v) ? json_deep_copy(v) : json_array());
	v = json_object_get(c->meta, "keywords");
	json_object_set_new_nocheck(
	    o, "Keywords", json_is_array(v) ? json_deep_copy(v) : json_array());
	v = json_object_get(c->meta, "maintainers");
	json_object_set_new_nocheck(o, "Maintainers",
	    json_is_array(v) ? json_deep_copy(v) : json_array());
	v = json_object_get(c->meta, "annotations");
	json_object_set_new_nocheck(o, "Annotations",
	    json_is_object(v) ? json_deep_copy(v) : json_object());
	v = json_object_get(c->meta, "dependencies");
	json_object_set_new_nocheck(o, "Dependencies",
	    json_is_array(v) ? json_deep_copy(v) : json_array());
	json_object_set_new_nocheck(o, "Deprecated",
	    json_boolean(json_is_true(json_object_get(c->meta, "deprecated"))));
	json_object_set_new_nocheck(
	    o, "IsRoot", json_boolean(c->parent == NULL));
	return o;
}

static size_t
render_depth(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '/';
	return n;
}

/* "a/b", without printf: every render makes two per template */
static char *
render_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = xmalloc(la + lb + 2);

	memcpy(s, a, la);
	s[la] = '/';
	memcpy(s + la + 1, b, lb + 1);
	return s;
}

static void
render_add_job(struct render *r, const struct gd_helm_chart *c,
    const struct helm_file *f, json_t *top)
{
	struct job *j;

	/* render_tops made room for every template of c */
	j = &r->jobs[r->njobs++];
	j->name = render_join(c->path, f->name);
	j->base = render_join(c->path, "templates");
	j->depth = render_depth(j->name);
	j->file = f;
	j->top = top;
}

static json_t *
render_tops(struct render *r, const struct gd_helm_chart *c, json_t *release,
    json_t *values)
{
	json_t *top = json_object(), *subs = json_object(), *sv;
	struct gd_tmpl_obj *files;
	const char *ty = helm_chart_meta_str(c, "type");
	size_t i;

	files = helm_files_obj_new(&c->files);
	r->objs = xreallocarray(r->objs, r->nobjs + 1, sizeof(*r->objs));
	r->objs[r->nobjs++] = files;
	json_object_set_new_nocheck(top, "Chart", render_chart_obj(c));
	json_object_set_new_nocheck(top, "Files", gd_tmpl_obj_json(files));
	json_object_set_nocheck(top, "Release", release);
	json_object_set_new_nocheck(
	    top, "Capabilities", gd_tmpl_obj_json(r->caps));
	json_object_set_nocheck(top, "Values", values);
	json_object_set_new_nocheck(top, "Subcharts", subs);
	json_array_append_new(r->tops, top);
	for (i = 0; i < c->ndeps; i++) {
		sv = json_object_get(values, gd_helm_chart_name(c->deps[i]));
		if (!json_is_object(sv))
			sv = json_object();
		else
			json_incref(sv);
		json_object_set(subs, gd_helm_chart_name(c->deps[i]),
		    render_tops(r, c->deps[i], release, sv));
		json_decref(sv);
	}
	r->jobs = xreallocarray(
	    r->jobs, r->njobs + c->templates.n + 1, sizeof(*r->jobs));
	for (i = 0; i < c->templates.n; i++) {
		const char *base = strrchr(c->templates.v[i].name, '/') + 1;

		if (strcmp(ty, "library") == 0 && base[0] != '_')
			continue;
		render_add_job(r, c, &c->templates.v[i], top);
	}
	return top;
}

/* --- the engine ---------------------------------------------------------- */

/* sort.Reverse(byPathLen): more segments first, ties reverse lexical. */
static int
render_job_cmp(const void *x, const void *y)
{
	const struct job *a = x, *b = y;

	if (a->depth != b->depth)
		return a->depth > b->depth ? -1 : 1;
	return -strcmp(a->name, b->name);
}

/* Helm's "parse error at (file:line): msg" from Go's parse error. */
static void
render_parse_error(struct gd_err *err)
{
	char m[256], *colon;

	snprintf(m, sizeof(m), "%s",
	    strncmp(err->msg, "template: ", 10) == 0 ? err->msg + 10 :
						       err->msg);
	colon = strstr(m, ": ");
	if (colon == NULL)
		return;
	*colon = '\0';
	gd_err_set(err, err->code, "parse error at (%s): %s", m, colon + 2);
}

/* Helm's message for required/fail, Go's for everything else. */
static void
render_exec_error(struct gd_err *err)
{
	char *s = strstr(err->msg, HELM_ERR_START), *e, *loc, *end;
	char msg[256], where[256];

	if (s == NULL)
		return;
	e = strstr(s, HELM_ERR_END);
	snprintf(msg, sizeof(msg), "%.*s",
	    (int)(e ? (size_t)(e - s) - strlen(HELM_ERR_START) : strlen(s)),
	    s + strlen(HELM_ERR_START));
	loc =
	    strncmp(err->msg, "template: ", 10) == 0 ? err->msg + 10 : err->msg;
	end = strstr(loc, ": ");
	snprintf(where, sizeof(where), "%.*s",
	    (int)(end ? (size_t)(end - loc) : strlen(loc)), loc);
	gd_err_set(err, err->code, "execution error at (%s): %s", where, msg);
}

/*
 * The parsed set for this render's enabled charts (a reference), from the
 * root's cache or parsed and published there.
 */
static struct cached_set *
render_set_cached(struct render *r, struct gd_helm_chart *root)
{
	struct cached_set *cs = render_cache_get(root, false);

	if (cs != NULL && strcmp(cs->key, r->key.data) != 0) {
		cached_set_unref(cs);
		cs = NULL;
	}
	return cs;
}

static int
render_set(struct render *r, struct gd_helm_chart *root,
    struct cached_set **out, struct gd_err *err)
{
	struct cached_set *cs;
	struct gd_tmpl_set *set;
	size_t i;
	int rc = 0;

	if ((*out = render_set_cached(r, root)) != NULL)
		return 0;
	set = gd_tmpl_set_new("gotpl", r->opts->limits);
	gd_tmpl_set_missingkey(set, GD_TMPL_MISSING_ZERO);
	gd_tmpl_set_funcs(set, helm_sprig_funcs);
	gd_tmpl_set_funcs(set, helm_sprig_more);
	gd_tmpl_set_funcs(set, helm_sprig_text);
	gd_tmpl_set_funcs(set, helm_sprig_url);
	gd_tmpl_set_funcs(set, helm_sprig_time);
	gd_tmpl_set_funcs(set, helm_sprig_crypto);
	gd_tmpl_set_funcs(set, helm_sprig_x509);
	gd_tmpl_set_funcs(set, helm_funcs);
	for (i = 0; i < r->njobs; i++) {
		if ((rc = gd_tmpl_parse(set, r->jobs[i].name,
			 r->jobs[i].file->data, r->jobs[i].file->len, err)) <
		    0) {
			render_parse_error(err);
			gd_tmpl_set_free(set);
			return rc;
		}
	}
	cs = xcalloc(1, sizeof(*cs));
	cs->refs = 1;
	cs->set = set;
	cs->key = xstrdup(r->key.data);
	cs->mutates = gd_tmpl_set_calls(set, render_mutators);
	render_cache_put(root, cs, NULL);
	*out = cs;
	return 0;
}

/* What one template usually renders to, at most: reserved up front. */
#define RENDER_FILE_HINT 16384

/* Runs every template; cs, the set if the caller had it, is consumed. */
static int
render_engine(struct render *r, struct gd_helm_chart *root,
    struct cached_set *cs, struct rendered **outp, size_t *nout,
    struct gd_err *err)
{
	static const struct gd_tmpl_limits defaults;
	struct rendered *out = xcalloc(r->njobs + 1, sizeof(*out));
	struct gd_tmpl_watch watch = { NULL, 0, "Template" };
	bool arena = false;
	const json_t **watched;
	struct gd_buf b;
	struct gd_tval top;
	json_t *t;
	const char *base;
	char *p;
	size_t i, n = 0;
	int rc = 0;

	qsort(r->jobs, r->njobs, sizeof(*r->jobs), render_job_cmp);
	/*
	 * .Template differs from file to file on the same top object: the
	 * tops, and the .Subcharts maps that hold them, are watched so that
	 * include reuses no output that saw it (see f_include).
	 */
	watched = xcalloc(2 * json_array_size(r->tops) + 1, sizeof(*watched));
	for (i = 0; i < json_array_size(r->tops); i++) {
		t = json_array_get(r->tops, i);
		watched[watch.nobjs++] = t;
		watched[watch.nobjs++] = json_object_get(t, "Subcharts");
	}
	watch.objs = watched;
	if (cs == NULL && (rc = render_set(r, root, &cs, err)) < 0)
		goto out;
	r->hr.memo_on = !cs->mutates && !r->opts->no_include_memo;
	/*
	 * What the templates build lives no longer than the render (the
	 * set and the values they read were made before): see
	 * gd_jarena_open.
	 */
	gd_jarena_open();
	arena = true;
	gd_buf_init(&b);
	/* one allocation where doubling from empty would take seven */
	gd_buf_reserve(&b, RENDER_FILE_HINT);
	for (i = 0; i < r->njobs; i++) {
		base = strrchr(r->jobs[i].name, '/') + 1;
		if (base[0] == '_')
			continue;
		t = json_object();
		json_object_set_new_nocheck(
		    t, "Name", json_string(r->jobs[i].name));
		json_object_set_new_nocheck(
		    t, "BasePath", json_string(r->jobs[i].base));
		json_object_set_new_nocheck(r->jobs[i].top, "Template", t);
		gd_buf_reset(&b);
		gd_buf_add(&b, "", 0);
		top = gd_tval_json(json_incref(r->jobs[i].top));
		rc = gd_tmpl_execute_watch(&b, cs->set, r->jobs[i].name, &top,
		    &r->hr, r->opts->limits ? r->opts->limits : &defaults,
		    &watch, err);
		gd_tval_dispose(&top);
		if (rc < 0) {
			render_exec_error(err);
			gd_buf_dispose(&b);
			goto out;
		}
		while ((p = strstr(b.data, "<no value>")) != NULL) {
			memmove(
			    p, p + 10, b.len - (size_t)(p - b.data) - 10 + 1);
			b.len -= 10;
		}
		out[n].name = xstrdup(r->jobs[i].name);
		out[n].text = xstrndup(b.data, b.len);
		n++;
	}
	gd_buf_dispose(&b);
out:
	if (arena)
		gd_jarena_close();
	helm_memo_clear(&r->hr);
	r->hr.memo_on = false;
	free(watched);
	cached_set_unref(cs);
	if (rc < 0) {
		for (i = 0; i < n; i++) {
			free(out[i].name);
			free(out[i].text);
		}
		free(out);
		out = NULL;
		n = 0;
	}
	*outp = out;
	*nout = n;
	return rc;
}

/* --- documents --------------------------------------------------------------
 */

static const char *const install_order[] = { "PriorityClass", "Namespace",
	"NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
	"PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
	"ConfigMap", "StorageClass", "PersistentVolume",
	"PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
	"ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList",
	"Role", "RoleList", "RoleBinding", "RoleBindingList", "Service",
	"DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob",
	"IngressClass", "Ingress", "APIService", NULL };

static int
render_kind_rank(const char *k)
{
	int i;

	for (i = 0; install_order[i] != NULL; i++)
		if (strcmp(install_order[i], k) == 0)
			return i;
	return -1;
}

static bool
render_kind_less(const struct doc *a, const struct doc *b)
{
	if (a->rank < 0 && b->rank < 0)
		return strcmp(a->kind, b->kind) < 0;
	if (a->rank < 0)
		return false;
	if (b->rank < 0)
		return true;
	return a->rank < b->rank;
}

/* A stable insertion sort: equal kinds keep file and document order. */
static void
render_sort_docs(struct doc *d, size_t n)
{
	struct doc t;
	size_t i, j;

	for (i = 1; i < n; i++) {
		t = d[i];
		for (j = i; j > 0 && render_kind_less(&t, &d[j - 1]); j--)
			d[j] = d[j - 1];
		d[j] = t;
	}
}

static void
render_trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s))
		(*s)++, (*n)--;
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/*
 * Helm v3's SplitManifests: split the trimmed text on the regexp
 * (?:^|\s*\n)---\s* and trim each piece. cb gets each non-empty piece.
 */
static void
render_split(const char *text, size_t len,
    void (*cb)(void *, const char *, size_t), void *arg)
{
	const char *s = text, *p, *q, *start, *piece;
	size_t n = len, i, sep_start, sep_end, pn;

	render_trim(&s, &n);
	start = s;
	i = 0;
	if (n >= 3 && memcmp(s, "---", 3) == 0) {
		i = 3;
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		start = s + i;
	}
	for (;;) {
		p = NULL;
		while (
		    i + 3 < n && (q = memchr(s + i, '\n', n - 3 - i)) != NULL) {
			i = (size_t)(q - s);
			if (memcmp(s + i + 1, "---", 3) == 0) {
				p = q;
				break;
			}
			i++;
		}
		if (p == NULL)
			break;
		sep_start = (size_t)(p - s);
		while (s + sep_start > start &&
		    isspace((unsigned char)s[sep_start - 1]))
			sep_start--;
		sep_end = (size_t)(p - s) + 4;
		while (sep_end < n && isspace((unsigned char)s[sep_end]))
			sep_end++;
		piece = start;
		pn = (size_t)((s + sep_start) - start);
		if (pn > 0) {
			render_trim(&piece, &pn);
			cb(arg, piece, pn);
		}
		start = s + sep_end;
		i = sep_end;
	}
	piece = start;
	pn = (size_t)((s + n) - start);
	if (pn > 0) {
		render_trim(&piece, &pn);
		cb(arg, piece, pn);
	}
}

struct split_ctx {
	struct doc *docs;
	size_t n;
	const char *name;
	struct gd_err *err;
	int rc;
};

/*
 * ydoc says "y:LINE:COL: problem (context at L:C)"; go-yaml v2 says
 * "yaml: line N: problem", N being the line for scanner errors and, by
 * its off-by-one, the line before for parser errors.
 */
static void
render_yaml_error(struct gd_err *e)
{
	char msg[256], *p = e->msg + 2, *end, *ctx;
	long line;

	if (strncmp(e->msg, "y:", 2) != 0)
		return;
	line = strtol(p, &end, 10);
	if (*end != ':')
		return;
	p = strstr(end + 1, ": ");
	if (p == NULL)
		return;
	snprintf(msg, sizeof(msg), "%s", p + 2);
	ctx = strstr(msg, " (while ");
	if (ctx != NULL) {
		if (strncmp(ctx, " (while parsing", 15) == 0 && line > 1)
			line--;
		*ctx = '\0';
	} else if (line > 1)
		line--;
	gd_err_set(e, e->code, "yaml: line %ld: %s", line, msg);
}

static void
render_split_cb(void *arg, const char *s, size_t n)
{
	struct split_ctx *x = arg;
	struct gd_err e = { 0 };
	struct doc *d;
	json_t *obj = NULL, *hook;
	char *p;

	if (x->rc < 0)
		return;
	/* in render_output's arena session: see gd_jarena_open */
	if (gd_ydoc_load_one(&obj, s, n, "y", &e) < 0) {
		render_yaml_error(&e);
		x->rc = gd_err_set(x->err, GD_EINVAL,
		    "YAML parse error on %s: error converting YAML to JSON: %s",
		    x->name, e.msg);
		return;
	}
	x->docs = xreallocarray(x->docs, x->n + 1, sizeof(*x->docs));
	d = &x->docs[x->n++];
	memset(d, 0, sizeof(*d));
	d->name = x->name;
	d->content = s;
	d->clen = n;
	d->obj = obj;
	d->kind = json_is_string(json_object_get(obj, "kind")) ?
	    json_string_value(json_object_get(obj, "kind")) :
	    "";
	d->rank = render_kind_rank(d->kind);
	hook = json_object_get(
	    json_object_get(json_object_get(obj, "metadata"), "annotations"),
	    "helm.sh/hook");
	if (json_is_string(hook)) {
		char *list = xstrdup(json_string_value(hook)), *save = list;

		d->hook = true;
		while ((p = strsep(&save, ",")) != NULL) {
			const char *t = p;
			size_t tl = strlen(p);

			render_trim(&t, &tl);
			if ((tl == 4 && strncasecmp(t, "test", 4) == 0) ||
			    (tl == 12 && strncmp(t, "test-success", 12) == 0))
				d->test = true;
		}
		free(list);
	}
}

/* "---\n# Source: NAME\nDOC\n" (no printf: documents are long) */
static void
render_doc(struct gd_buf *b, const char *name, const char *doc, size_t len)
{
	gd_buf_adds(b, "---\n# Source: ");
	gd_buf_adds(b, name);
	gd_buf_addc(b, '\n');
	gd_buf_add(b, doc, len);
	gd_buf_addc(b, '\n');
}

static int
render_str_cmp(const void *x, const void *y)
{
	return strcmp(((const struct rendered *)x)->name,
	    ((const struct rendered *)y)->name);
}

static bool
render_is_notes(const char *name)
{
	size_t l = strlen(name);

	return l >= 9 && strcmp(name + l - 9, "NOTES.txt") == 0;
}

static void
render_crds(
    struct gd_buf *b, const struct render *r, const struct gd_helm_chart *c)
{
	size_t i;

	for (i = 0; i < c->crds.n; i++) {
		gd_buf_printf(
		    b, "---\n# Source: %s/%s\n", c->path, c->crds.v[i].name);
		gd_buf_add(b, c->crds.v[i].data, c->crds.v[i].len);
		gd_buf_addc(b, '\n');
	}
	for (i = 0; i < c->ndeps; i++)
		render_crds(b, r, c->deps[i]);
}

struct show_ctx {
	char **docs;
	size_t n;
};

static void
render_show_cb(void *arg, const char *s, size_t n)
{
	struct show_ctx *x = arg;

	x->docs = xreallocarray(x->docs, x->n + 1, sizeof(*x->docs));
	x->docs[x->n++] = xstrndup(s, n);
}

/* --show-only: the documents whose "# Source: chart/PATH" matches. */
static int
render_show_only(struct gd_buf *out, const char *text,
    const struct gd_helm_opts *o, struct gd_err *err)
{
	struct show_ctx x = { 0 };
	const char *src, *slash, *eol;
	char *path;
	size_t i, k;
	bool missing;
	int rc = 0;

	render_split(text, strlen(text), render_show_cb, &x);
	for (k = 0; k < o->nshow_only && rc == 0; k++) {
		missing = true;
		for (i = 0; i < x.n; i++) {
			src = strstr(x.docs[i], "# Source: ");
			if (src == NULL)
				continue;
			src += 10;
			slash = strchr(src, '/');
			eol = strchr(src, '\n');
			if (slash == NULL || (eol != NULL && slash > eol))
				continue;
			path = xstrndup(slash + 1,
			    eol ? (size_t)(eol - slash - 1) :
				  strlen(slash + 1));
			if (fnmatch(o->show_only[k], path, FNM_PATHNAME) == 0) {
				gd_buf_printf(out, "---\n%s\n", x.docs[i]);
				missing = false;
			}
			free(path);
		}
		if (missing)
			rc = gd_err_set(err, GD_ENOTFOUND,
			    "could not find template %s in chart",
			    o->show_only[k]);
	}
	for (i = 0; i < x.n; i++)
		free(x.docs[i]);
	free(x.docs);
	return rc;
}

/*
 * helm --debug on a file that is not YAML: every rendered file as
 * "---\n# Source: name\ntext\n" (helm walks a Go map, so its order
 * varies; ours is the sorted one), trimmed as the manifest is.
 */
static char *
render_debug_text(const struct rendered *files, size_t nfiles)
{
	struct gd_buf b;
	const char *s;
	size_t i, sn;
	char *t;

	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	for (i = 0; i < nfiles; i++) {
		s = files[i].text;
		sn = strlen(s);
		render_trim(&s, &sn);
		if (sn == 0 || render_is_notes(files[i].name))
			continue;
		gd_buf_printf(&b, "---\n# Source: %s\n%s\n", files[i].name,
		    files[i].text);
	}
	s = b.data;
	sn = b.len;
	render_trim(&s, &sn);
	xasprintf(&t, "%.*s\n", (int)sn, s);
	gd_buf_dispose(&b);
	return t;
}

static int
render_output(struct render *r, const struct gd_helm_chart *root,
    struct rendered *files, size_t nfiles, struct gd_helm_result *res,
    struct gd_err *err)
{
	struct split_ctx gen = { .err = err }, hooks = { .err = err }, *x;
	struct gd_buf b, o;
	const char *s;
	size_t i, sn, total = 0;
	char *notes_name = NULL;
	int rc = 0;

	/* each buffer grows once: large allocations are the slow ones */
	for (i = 0; i < nfiles; i++)
		total += strlen(files[i].text) + strlen(files[i].name) + 32;
	gd_buf_init(&b);
	gd_buf_init(&o);
	gd_buf_reserve(&b, total);
	gd_buf_reserve(&o, total);
	gd_buf_add(&b, "", 0);
	gd_buf_add(&o, "", 0);
	xasprintf(&notes_name, "%s/templates/NOTES.txt", root->path);
	qsort(files, nfiles, sizeof(*files), render_str_cmp);
	/*
	 * One arena session for all the documents: they fill chunks
	 * together, where a session each would start a chunk each.
	 */
	gd_jarena_open();
	for (i = 0; i < nfiles; i++) {
		if (render_is_notes(files[i].name)) {
			if (strcmp(files[i].name, notes_name) == 0)
				res->notes = xstrdup(files[i].text);
			continue;
		}
		s = files[i].text;
		sn = strlen(s);
		render_trim(&s, &sn);
		if (sn == 0)
			continue;
		/* split into a scratch list, then route to manifests or hooks
		 */
		{
			struct split_ctx one = { .name = files[i].name,
				.err = err };
			size_t k;

			render_split(files[i].text, strlen(files[i].text),
			    render_split_cb, &one);
			if (one.rc < 0) {
				for (k = 0; k < one.n; k++) {
					json_decref(one.docs[k].obj);
				}
				free(one.docs);
				rc = one.rc;
				gd_jarena_close();
				if (r->opts->debug)
					res->text =
					    render_debug_text(files, nfiles);
				goto out;
			}
			for (k = 0; k < one.n; k++) {
				x = one.docs[k].hook ? &hooks : &gen;
				x->docs = xreallocarray(
				    x->docs, x->n + 1, sizeof(*x->docs));
				x->docs[x->n++] = one.docs[k];
			}
			free(one.docs);
		}
	}
	gd_jarena_close();
	render_sort_docs(gen.docs, gen.n);
	render_sort_docs(hooks.docs, hooks.n);
	if (r->opts->include_crds)
		render_crds(&b, r, root);
	res->objects = json_array();
	for (i = 0; i < gen.n; i++) {
		render_doc(&b, gen.docs[i].name, gen.docs[i].content,
		    gen.docs[i].clen);
		json_array_append(res->objects, gen.docs[i].obj);
	}
	s = b.data;
	sn = b.len;
	render_trim(&s, &sn);
	gd_buf_add(&o, s, sn);
	gd_buf_addc(&o, '\n');
	for (i = 0; i < hooks.n && !r->opts->no_hooks; i++) {
		if (r->opts->skip_tests && hooks.docs[i].test)
			continue;
		render_doc(&o, hooks.docs[i].name, hooks.docs[i].content,
		    hooks.docs[i].clen);
		json_array_append(res->objects, hooks.docs[i].obj);
	}
	if (r->opts->nshow_only > 0) {
		gd_buf_reset(&b);
		gd_buf_add(&b, "", 0);
		if ((rc = render_show_only(&b, o.data, r->opts, err)) < 0)
			goto out;
		res->text = xstrndup(b.data, b.len);
	} else
		res->text = gd_buf_detach(&o, NULL);
out:
	for (i = 0; i < gen.n; i++) {
		json_decref(gen.docs[i].obj);
	}
	for (i = 0; i < hooks.n; i++) {
		json_decref(hooks.docs[i].obj);
	}
	free(gen.docs);
	free(hooks.docs);
	free(notes_name);
	gd_buf_dispose(&b);
	gd_buf_dispose(&o);
	return rc;
}

/* --- entry ---------------------------------------------------------------- */

static bool
render_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 53)
		return false;
	for (i = 0; i < n; i++) {
		if (!(islower((unsigned char)s[i]) ||
			isdigit((unsigned char)s[i]) || s[i] == '-' ||
			s[i] == '.'))
			return false;
	}
	return isalnum((unsigned char)s[0]) && isalnum((unsigned char)s[n - 1]);
}

void
gd_helm_result_dispose(struct gd_helm_result *res)
{
	free(res->text);
	json_decref(res->objects);
	free(res->notes);
	memset(res, 0, sizeof(*res));
}

int
gd_helm_render(struct gd_helm_result *res, const struct gd_helm_chart *chart,
    const json_t *values, const struct gd_helm_opts *opts, struct gd_err *err)
{
	struct gd_helm_chart *root = (struct gd_helm_chart *)(uintptr_t)chart;
	struct render r = { 0 };
	struct rendered *files = NULL;
	struct cached_vals *cv = NULL;
	struct cached_set *cs = NULL;
	json_t *vals = NULL, *release = NULL;
	size_t nfiles = 0, i;
	const char *name, *ns;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	r.opts = opts;
	r.hr.magic = HELM_RENDER_MAGIC;
	r.hr.included = json_object();
	r.hr.rng = opts->seed;
	if (r.hr.rng == 0 && getentropy(&r.hr.rng, sizeof(r.hr.rng)) < 0)
		r.hr.rng = (uint64_t)time(NULL);
	r.hr.rng |= 1;
	r.hr.now = opts->now;
	r.tops = json_array();
	gd_buf_init(&r.key);
	name = opts->release_name ? opts->release_name : "release-name";
	ns = opts->ns ? opts->ns : "default";
	if (!render_name_ok(name)) {
		rc = gd_err_set(err, GD_EINVAL,
		    "release name \"%s\": invalid release name, must match "
		    "regex "
		    "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-"
		    "z0-9])?)*$ "
		    "and the length must not be longer than 53",
		    name);
		goto out;
	}
	if (strcmp(helm_chart_meta_str(chart, "type"), "library") == 0) {
		rc = gd_err_set(
		    err, GD_EINVAL, "library charts are not installable");
		goto out;
	}
	if ((rc = helm_chart_check_kube(chart, opts->kube_version, err)) < 0)
		goto out;
	if ((rc = render_view(&r.view, chart, NULL, NULL, err)) < 0)
		goto out;
	cv = render_values(root, r.view, values);
	if (!opts->skip_schema_validation &&
	    (rc = helm_schema_check(r.view, cv->vals, err)) < 0)
		goto out;
	gd_buf_add(&r.key, "", 0);
	render_view_key(&r.key, r.view);
	cs = render_set_cached(&r, root);
	/* this render's own values, unless no template can change them */
	vals = cs != NULL && !cs->mutates ? json_incref(cv->vals) :
					    render_copy_values(cv->vals, false);
	release = json_pack("{s:s, s:s, s:b, s:b, s:i, s:s}", "Name", name,
	    "Namespace", ns, "IsUpgrade", opts->is_upgrade, "IsInstall",
	    !opts->is_upgrade, "Revision", 1, "Service", "Helm");
	r.caps =
	    helm_caps_new(opts->kube_version ? opts->kube_version : "v1.20.0",
		opts->api_versions, opts->napi_versions);
	render_tops(&r, r.view, release, vals);
	rc = render_engine(&r, root, cs, &files, &nfiles, err);
	cs = NULL; /* consumed */
	if (rc < 0)
		goto out;
	rc = render_output(&r, r.view, files, nfiles, res, err);
out:
	if (rc < 0) {
		char *text = res->text; /* --debug keeps what was rendered */

		res->text = NULL;
		gd_helm_result_dispose(res);
		if (opts->debug)
			res->text = text;
		else
			free(text);
	}
	for (i = 0; i < nfiles; i++) {
		free(files[i].name);
		free(files[i].text);
	}
	free(files);
	for (i = 0; i < r.njobs; i++) {
		free(r.jobs[i].name);
		free(r.jobs[i].base);
	}
	free(r.jobs);
	for (i = 0; i < r.nobjs; i++)
		gd_tmpl_obj_unref(r.objs[i]);
	free(r.objs);
	gd_tmpl_obj_unref(r.caps);
	json_decref(r.tops);
	json_decref(r.hr.included);
	render_view_free(r.view);
	gd_buf_dispose(&r.key);
	cached_set_unref(cs);
	cached_vals_unref(cv);
	json_decref(vals);
	json_decref(release);
	return rc;
}
