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
 */
#include <ctype.h>
#include <fnmatch.h>
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
	char *content;
	const char *kind;
	json_t *obj;
	bool hook, test;
};

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
	*v = *c;
	v->parent = parent;
	v->deps = NULL;
	v->ndeps = 0;
	v->cache = NULL;
	v->cache_key = NULL;
	v->values = json_incref(c->values);
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
		json_object_set_new(o, chart_fields[i][1],
		    json_string(helm_chart_meta_str(c, chart_fields[i][0])));
	v = json_object_get(c->meta, "sources");
	json_object_set_new(
	    o, "Sources", json_is_array(v) ? json_deep_copy(v) : json_array());
	v = json_object_get(c->meta, "keywords");
	json_object_set_new(
	    o, "Keywords", json_is_array(v) ? json_deep_copy(v) : json_array());
	v = json_object_get(c->meta, "maintainers");
	json_object_set_new(o, "Maintainers",
	    json_is_array(v) ? json_deep_copy(v) : json_array());
	v = json_object_get(c->meta, "annotations");
	json_object_set_new(o, "Annotations",
	    json_is_object(v) ? json_deep_copy(v) : json_object());
	v = json_object_get(c->meta, "dependencies");
	json_object_set_new(o, "Dependencies",
	    json_is_array(v) ? json_deep_copy(v) : json_array());
	json_object_set_new(o, "Deprecated",
	    json_boolean(json_is_true(json_object_get(c->meta, "deprecated"))));
	json_object_set_new(o, "IsRoot", json_boolean(c->parent == NULL));
	return o;
}

static void
render_add_job(struct render *r, const struct gd_helm_chart *c,
    const struct helm_file *f, json_t *top)
{
	struct job *j;

	r->jobs = xreallocarray(r->jobs, r->njobs + 1, sizeof(*r->jobs));
	j = &r->jobs[r->njobs++];
	xasprintf(&j->name, "%s/%s", c->path, f->name);
	xasprintf(&j->base, "%s/templates", c->path);
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
	json_object_set_new(top, "Chart", render_chart_obj(c));
	json_object_set_new(top, "Files", gd_tmpl_obj_json(files));
	json_object_set(top, "Release", release);
	json_object_set_new(top, "Capabilities", gd_tmpl_obj_json(r->caps));
	json_object_set(top, "Values", values);
	json_object_set_new(top, "Subcharts", subs);
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
	for (i = 0; i < c->templates.n; i++) {
		const char *base = strrchr(c->templates.v[i].name, '/') + 1;

		if (strcmp(ty, "library") == 0 && base[0] != '_')
			continue;
		render_add_job(r, c, &c->templates.v[i], top);
	}
	return top;
}

/* --- the engine ---------------------------------------------------------- */

static size_t
render_depth(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '/';
	return n;
}

/* sort.Reverse(byPathLen): more segments first, ties reverse lexical. */
static int
render_job_cmp(const void *x, const void *y)
{
	const struct job *a = x, *b = y;
	size_t da = render_depth(a->name), db = render_depth(b->name);

	if (da != db)
		return da > db ? -1 : 1;
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

/* The parsed set for this render's enabled charts, cached in the root. */
static int
render_set(struct render *r, struct gd_helm_chart *root,
    struct gd_tmpl_set **setp, struct gd_err *err)
{
	struct gd_tmpl_set *set;
	struct gd_buf key;
	size_t i;
	int rc = 0;

	gd_buf_init(&key);
	gd_buf_add(&key, "", 0);
	render_view_key(&key, r->view);
	if (root->cache != NULL && strcmp(root->cache_key, key.data) == 0) {
		gd_tmpl_set_limits(root->cache, r->opts->limits);
		*setp = root->cache;
		gd_buf_dispose(&key);
		return 0;
	}
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
			gd_buf_dispose(&key);
			return rc;
		}
	}
	gd_tmpl_set_free(root->cache);
	free(root->cache_key);
	root->cache = set;
	root->cache_key = gd_buf_detach(&key, NULL);
	*setp = set;
	return 0;
}

static int
render_engine(struct render *r, struct gd_helm_chart *root,
    struct rendered **outp, size_t *nout, struct gd_err *err)
{
	struct rendered *out = xcalloc(r->njobs + 1, sizeof(*out));
	struct gd_tmpl_set *set = NULL;
	struct gd_buf b;
	struct gd_tval top;
	const char *base;
	char *p;
	size_t i, n = 0;
	int rc = 0;

	qsort(r->jobs, r->njobs, sizeof(*r->jobs), render_job_cmp);
	if ((rc = render_set(r, root, &set, err)) < 0)
		goto out;
	gd_buf_init(&b);
	for (i = 0; i < r->njobs; i++) {
		base = strrchr(r->jobs[i].name, '/') + 1;
		if (base[0] == '_')
			continue;
		json_object_set_new(r->jobs[i].top, "Template",
		    json_pack("{s:s, s:s}", "Name", r->jobs[i].name, "BasePath",
			r->jobs[i].base));
		gd_buf_reset(&b);
		gd_buf_add(&b, "", 0);
		top = gd_tval_json(json_incref(r->jobs[i].top));
		rc = gd_tmpl_execute_ud(
		    &b, set, r->jobs[i].name, &top, &r->hr, err);
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
render_kind_less(const char *a, const char *b)
{
	int ra = render_kind_rank(a), rb = render_kind_rank(b);

	if (ra < 0 && rb < 0)
		return strcmp(a, b) < 0;
	if (ra < 0)
		return false;
	if (rb < 0)
		return true;
	return ra < rb;
}

/* A stable insertion sort: equal kinds keep file and document order. */
static void
render_sort_docs(struct doc *d, size_t n)
{
	struct doc t;
	size_t i, j;

	for (i = 1; i < n; i++) {
		t = d[i];
		for (j = i; j > 0 && render_kind_less(t.kind, d[j - 1].kind);
		     j--)
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
	const char *s = text, *p, *start, *piece;
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
		for (; i + 3 < n; i++) {
			if (s[i] == '\n' && memcmp(s + i + 1, "---", 3) == 0) {
				p = s + i;
				break;
			}
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
	d->content = xstrndup(s, n);
	d->obj = obj;
	d->kind = json_is_string(json_object_get(obj, "kind")) ?
	    json_string_value(json_object_get(obj, "kind")) :
	    "";
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
render_doc(struct gd_buf *b, const char *name, const char *doc)
{
	gd_buf_adds(b, "---\n# Source: ");
	gd_buf_adds(b, name);
	gd_buf_addc(b, '\n');
	gd_buf_adds(b, doc);
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

static int
render_output(struct render *r, const struct gd_helm_chart *root,
    struct rendered *files, size_t nfiles, struct gd_helm_result *res,
    struct gd_err *err)
{
	struct split_ctx gen = { .err = err }, hooks = { .err = err }, *x;
	struct gd_buf b, o;
	const char *s;
	size_t i, sn;
	char *notes_name = NULL;
	int rc = 0;

	gd_buf_init(&b);
	gd_buf_init(&o);
	gd_buf_add(&b, "", 0);
	gd_buf_add(&o, "", 0);
	xasprintf(&notes_name, "%s/templates/NOTES.txt", root->path);
	qsort(files, nfiles, sizeof(*files), render_str_cmp);
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
					free(one.docs[k].content);
					json_decref(one.docs[k].obj);
				}
				free(one.docs);
				rc = one.rc;
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
	render_sort_docs(gen.docs, gen.n);
	render_sort_docs(hooks.docs, hooks.n);
	if (r->opts->include_crds)
		render_crds(&b, r, root);
	res->objects = json_array();
	for (i = 0; i < gen.n; i++) {
		render_doc(&b, gen.docs[i].name, gen.docs[i].content);
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
		render_doc(&o, hooks.docs[i].name, hooks.docs[i].content);
		json_array_append(res->objects, hooks.docs[i].obj);
	}
	if (r->opts->nshow_only > 0) {
		gd_buf_reset(&b);
		gd_buf_add(&b, "", 0);
		if ((rc = render_show_only(&b, o.data, r->opts, err)) < 0)
			goto out;
		res->text = xstrndup(b.data, b.len);
	} else
		res->text = xstrndup(o.data, o.len);
out:
	for (i = 0; i < gen.n; i++) {
		free(gen.docs[i].content);
		json_decref(gen.docs[i].obj);
	}
	for (i = 0; i < hooks.n; i++) {
		free(hooks.docs[i].content);
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
	struct render r = { 0 };
	struct rendered *files = NULL;
	json_t *cvals = NULL, *vals = NULL, *release = NULL;
	bool *enabled = NULL;
	size_t nfiles = 0, i, k = 0;
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
	if ((rc = render_view(&r.view, chart, NULL, NULL, err)) < 0)
		goto out;
	/* conditions and tags see the coalesced values */
	if (r.view->ndeps > 0) {
		cvals = helm_values_coalesce(r.view,
		    values != NULL ? json_deep_copy(values) : json_object());
		enabled = xcalloc(render_count(r.view) + 1, sizeof(*enabled));
		helm_deps_enabled(r.view, cvals, "", enabled, &k);
		k = 0;
		render_view_prune(r.view, enabled, &k);
	}
	render_view_imports(r.view);
	vals = helm_values_coalesce(
	    r.view, values != NULL ? json_deep_copy(values) : json_object());
	release = json_pack("{s:s, s:s, s:b, s:b, s:i, s:s}", "Name", name,
	    "Namespace", ns, "IsUpgrade", opts->is_upgrade, "IsInstall",
	    !opts->is_upgrade, "Revision", 1, "Service", "Helm");
	r.caps =
	    helm_caps_new(opts->kube_version ? opts->kube_version : "v1.20.0",
		opts->api_versions, opts->napi_versions);
	render_tops(&r, r.view, release, vals);
	if ((rc = render_engine(&r, (struct gd_helm_chart *)(uintptr_t)chart,
		 &files, &nfiles, err)) < 0)
		goto out;
	rc = render_output(&r, r.view, files, nfiles, res, err);
out:
	if (rc < 0)
		gd_helm_result_dispose(res);
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
	free(enabled);
	render_view_free(r.view);
	json_decref(cvals);
	json_decref(vals);
	json_decref(release);
	return rc;
}
