/* SPDX-License-Identifier: ISC */
/*
 * Chart loading: a chart directory becomes its files (after
 * .helmignore), and a chart's files become a struct gd_helm_chart
 * (Chart.yaml, values.yaml, templates/, crds/, the rest for .Files, and
 * each subchart under charts/), as Helm's loader does.
 *
 * The subtle part is Chart.yaml: Helm decodes it into Go string fields,
 * so "version: 1.10" is the string "1.10", not the number 1.1; our YAML
 * loader gives numbers, so a scalar that is not a string is read back
 * from the source text at its position. The loader is bounded (file
 * size, total size, file count) because a chart is untrusted input.
 *
 * Also here: Chart.yaml's kubeVersion checked against the Capabilities,
 * and the glob .Files.Glob matches with (gobwas/glob: "*" stays within a
 * path segment, "**" crosses them, {a,b} alternatives), bounded in the
 * backtracking a hostile pattern could ask for.
 */
#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gitopsd/ydoc.h"
#include "helm_int.h"

void
helm_files_add(
    struct helm_files *fs, const char *name, const char *data, size_t len)
{
	struct helm_file *f;

	if (fs->n == fs->cap) {
		fs->cap = fs->cap ? fs->cap * 2 : 16;
		fs->v = xreallocarray(fs->v, fs->cap, sizeof(*fs->v));
	}
	f = &fs->v[fs->n++];
	f->name = xstrdup(name);
	f->data = xmalloc(len + 1);
	memcpy(f->data, data, len);
	f->data[len] = '\0';
	f->len = len;
}

void
helm_files_dispose(struct helm_files *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		free(fs->v[i].name);
		free(fs->v[i].data);
	}
	free(fs->v);
	memset(fs, 0, sizeof(*fs));
}

void
gd_helm_chart_free(struct gd_helm_chart *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (__atomic_fetch_sub(&c->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	json_decref(c->meta);
	json_decref(c->values);
	helm_files_dispose(&c->templates);
	helm_files_dispose(&c->crds);
	helm_files_dispose(&c->files);
	for (i = 0; i < c->ndeps; i++)
		gd_helm_chart_free(c->deps[i]);
	free(c->deps);
	free(c->path);
	helm_render_cache_free(c->rcache);
	helm_schema_free(c->schema);
	free(c);
}

struct gd_helm_chart *
gd_helm_chart_ref(struct gd_helm_chart *c)
{
	__atomic_fetch_add(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

const char *
helm_chart_meta_str(const struct gd_helm_chart *c, const char *key)
{
	const char *s = json_string_value(json_object_get(c->meta, key));

	return s != NULL ? s : "";
}

int
gd_helm_chart_read_file(struct gd_buf *out, const struct gd_helm_chart *c,
    const char *name, struct gd_err *err)
{
	const struct helm_files *sets[] = { &c->files, &c->templates };
	size_t i, k;
	char *s;

	/* parsed at load, so given back as JSON, which YAML reads alike */
	if (strcmp(name, "values.yaml") == 0 ||
	    strcmp(name, "Chart.yaml") == 0) {
		s = json_dumps(
		    strcmp(name, "values.yaml") == 0 ? c->values : c->meta,
		    JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
		if (s == NULL)
			return gd_err_set(
			    err, GD_EINTERNAL, "%s: cannot be printed", name);
		gd_buf_adds(out, s);
		free(s);
		return 0;
	}
	for (k = 0; k < sizeof(sets) / sizeof(sets[0]); k++)
		for (i = 0; i < sets[k]->n; i++)
			if (strcmp(sets[k]->v[i].name, name) == 0) {
				gd_buf_add(
				    out, sets[k]->v[i].data, sets[k]->v[i].len);
				return 0;
			}
	return gd_err_set(err, GD_ENOTFOUND, "%s: no such file in chart %s",
	    name, helm_chart_meta_str(c, "name"));
}

const char *
gd_helm_chart_name(const struct gd_helm_chart *c)
{
	return helm_chart_meta_str(c, "name");
}

/* --- .helmignore --------------------------------------------------------- */

struct ignore {
	char **pats;
	size_t n;
};

static void
ignore_parse(struct ignore *ig, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	size_t l;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		while (l > 0 &&
		    (p[l - 1] == ' ' || p[l - 1] == '\r' || p[l - 1] == '\t'))
			l--;
		if (l > 0 && p[0] != '#') {
			ig->pats = xreallocarray(
			    ig->pats, ig->n + 1, sizeof(*ig->pats));
			ig->pats[ig->n++] = xstrndup(p, l);
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

static void
ignore_dispose(struct ignore *ig)
{
	size_t i;

	for (i = 0; i < ig->n; i++)
		free(ig->pats[i]);
	free(ig->pats);
}

/*
 * gitignore-like, as Helm's ignore package: a pattern without '/' matches
 * the base name, one with '/' the whole path; "dir/" only directories;
 * "!" negates; the last matching rule wins.
 */
static bool
ignore_match(const struct ignore *ig, const char *rel, bool dir)
{
	const char *base = strrchr(rel, '/');
	bool ignored = false, neg;
	char pat[1024];
	size_t i, l;

	base = base ? base + 1 : rel;
	/* Helm always ignores dot files in templates/ */
	if (strncmp(rel, "templates/", 10) == 0 && base[0] == '.' && base[1])
		ignored = true;
	for (i = 0; i < ig->n; i++) {
		snprintf(pat, sizeof(pat), "%s", ig->pats[i]);
		neg = pat[0] == '!';
		if (neg)
			memmove(pat, pat + 1, strlen(pat));
		l = strlen(pat);
		if (l > 0 && pat[l - 1] == '/') {
			if (!dir)
				continue;
			pat[--l] = '\0';
		}
		if (l == 0)
			continue;
		if (strchr(pat, '/') != NULL) {
			if (fnmatch(pat[0] == '/' ? pat + 1 : pat, rel,
				FNM_PATHNAME) != 0)
				continue;
		} else if (fnmatch(pat, base, 0) != 0)
			continue;
		ignored = !neg;
	}
	return ignored;
}

/* --- directories ---------------------------------------------------------- */

struct walk {
	struct helm_files *out;
	const struct ignore *ig;
	size_t total;
};

static int
walk_dir(struct walk *w, const char *root, const char *rel, struct gd_err *err)
{
	char *dpath = NULL, *fpath = NULL, *frel = NULL;
	struct dirent **ents = NULL;
	struct stat st;
	struct gd_buf b;
	int i, n, rc = 0;

	gd_buf_init(&b);
	xasprintf(&dpath, "%s%s%s", root, *rel ? "/" : "", rel);
	if ((n = scandir(dpath, &ents, NULL, alphasort)) < 0) {
		rc = gd_err_set(
		    err, GD_ENOTFOUND, "%s: cannot read directory", dpath);
		goto out;
	}
	for (i = 0; i < n && rc == 0; i++) {
		const char *nm = ents[i]->d_name;

		if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
			continue;
		free(fpath);
		free(frel);
		xasprintf(&fpath, "%s/%s", dpath, nm);
		xasprintf(&frel, "%s%s%s", rel, *rel ? "/" : "", nm);
		if (stat(fpath, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (!ignore_match(w->ig, frel, true))
				rc = walk_dir(w, root, frel, err);
			continue;
		}
		if (!S_ISREG(st.st_mode) || strcmp(frel, ".helmignore") == 0 ||
		    ignore_match(w->ig, frel, false))
			continue;
		if (w->out->n >= HELM_MAX_FILES) {
			rc = gd_err_set(err, GD_ETOOBIG,
			    "chart has more than %d files", HELM_MAX_FILES);
			break;
		}
		gd_buf_reset(&b);
		if ((rc = gd_buf_read_file(&b, fpath, HELM_MAX_FILE, err)) < 0)
			break;
		w->total += b.len;
		if (w->total > HELM_MAX_TOTAL) {
			rc = gd_err_set(err, GD_ETOOBIG,
			    "chart is larger than %d bytes", HELM_MAX_TOTAL);
			break;
		}
		helm_files_add(w->out, frel, b.data ? b.data : "", b.len);
	}
out:
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(dpath);
	free(fpath);
	free(frel);
	gd_buf_dispose(&b);
	return rc;
}

int
gd_helm_chart_load(
    struct gd_helm_chart **out, const char *dir, struct gd_err *err)
{
	struct helm_files files = { 0 };
	struct ignore ig = { 0 };
	struct walk w = { &files, &ig, 0 };
	struct gd_buf b;
	struct stat st;
	char *p = NULL;
	int rc;

	*out = NULL;
	gd_buf_init(&b);
	if (stat(dir, &st) == 0 && S_ISREG(st.st_mode)) {
		if ((rc = gd_buf_read_file(&b, dir, HELM_MAX_TOTAL, err)) == 0)
			rc = helm_archive_load(
			    out, b.data ? b.data : "", b.len, NULL, err);
		gd_buf_dispose(&b);
		return rc;
	}
	xasprintf(&p, "%s/.helmignore", dir);
	if (gd_buf_read_file(&b, p, HELM_MAX_FILE, NULL) == 0)
		ignore_parse(&ig, b.data ? b.data : "", b.len);
	if ((rc = walk_dir(&w, dir, "", err)) == 0)
		rc = helm_chart_from_files(out, &files, NULL, err);
	free(p);
	gd_buf_dispose(&b);
	ignore_dispose(&ig);
	helm_files_dispose(&files);
	return rc;
}

/* True when .helmignore drops rel or one of the folders above it. */
static bool
ignore_path(const struct ignore *ig, const char *rel)
{
	char *dir = xstrdup(rel), *p;
	bool ignored = false;

	for (p = strchr(dir, '/'); p != NULL && !ignored;
	     p = strchr(p + 1, '/')) {
		*p = '\0';
		ignored = ignore_match(ig, dir, true);
		*p = '/';
	}
	free(dir);
	return ignored || ignore_match(ig, rel, false);
}

int
gd_helm_chart_load_files(struct gd_helm_chart **out,
    const struct gd_helm_file *in, size_t n, struct gd_err *err)
{
	struct helm_files files = { 0 };
	struct ignore ig = { 0 };
	size_t i, total = 0;
	int rc = 0;

	*out = NULL;
	for (i = 0; i < n; i++)
		if (strcmp(in[i].name, ".helmignore") == 0)
			ignore_parse(
			    &ig, in[i].data ? in[i].data : "", in[i].len);
	for (i = 0; i < n; i++) {
		if (strcmp(in[i].name, ".helmignore") == 0 ||
		    ignore_path(&ig, in[i].name))
			continue;
		if (files.n >= HELM_MAX_FILES) {
			rc = gd_err_set(err, GD_ETOOBIG,
			    "chart has more than %d files", HELM_MAX_FILES);
			goto out;
		}
		total += in[i].len;
		if (in[i].len > HELM_MAX_FILE || total > HELM_MAX_TOTAL) {
			rc = gd_err_set(err, GD_ETOOBIG,
			    "%s: chart is larger than %d bytes", in[i].name,
			    HELM_MAX_TOTAL);
			goto out;
		}
		helm_files_add(&files, in[i].name, in[i].data ? in[i].data : "",
		    in[i].len);
	}
	rc = helm_chart_from_files(out, &files, NULL, err);
out:
	ignore_dispose(&ig);
	helm_files_dispose(&files);
	return rc;
}

int
gd_helm_chart_load_archive(struct gd_helm_chart **out, const void *data,
    size_t len, struct gd_err *err)
{
	return helm_archive_load(out, data, len, NULL, err);
}

/* --- Chart.yaml ------------------------------------------------------------
 */

/* The source text of the scalar value of top-level key (at mark). */
static json_t *
meta_scalar_text(const char *text, size_t len, const json_t *mark)
{
	json_int_t line = json_integer_value(json_array_get(mark, 0));
	const char *p = text, *end = text + len, *colon, *eol, *hash;
	json_int_t l;
	size_t n;

	for (l = 1; l < line && p < end; l++) {
		p = memchr(p, '\n', (size_t)(end - p));
		if (p == NULL)
			return NULL;
		p++;
	}
	eol = memchr(p, '\n', (size_t)(end - p));
	if (eol == NULL)
		eol = end;
	colon = memchr(p, ':', (size_t)(eol - p));
	if (colon == NULL)
		return NULL;
	p = colon + 1;
	for (hash = p; hash < eol; hash++)
		if (*hash == '#' && (hash[-1] == ' ' || hash[-1] == '\t'))
			break;
	while (p < hash && (*p == ' ' || *p == '\t'))
		p++;
	n = (size_t)(hash - p);
	while (
	    n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	return json_stringn(p, n);
}

static const char *const meta_strings[] = { "name", "home", "version",
	"description", "icon", "apiVersion", "condition", "tags", "appVersion",
	"kubeVersion", "type", NULL };

/* Masterminds' semver.NewVersion, loosely: v?N(.N(.N)?)?(-pre)?(+meta)? */
static bool
meta_is_semver(const char *s)
{
	int parts = 0;

	if (*s == 'v')
		s++;
	for (;;) {
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
		parts++;
		if (*s != '.' || parts == 3)
			break;
		s++;
	}
	if (*s == '-') {
		s++;
		if (*s == '\0')
			return false;
		while (*s && *s != '+') {
			if (!(*s == '.' || *s == '-' ||
				(*s >= '0' && *s <= '9') ||
				(*s >= 'a' && *s <= 'z') ||
				(*s >= 'A' && *s <= 'Z')))
				return false;
			s++;
		}
	}
	if (*s == '+') {
		s++;
		if (*s == '\0')
			return false;
		while (*s) {
			if (!(*s == '.' || *s == '-' ||
				(*s >= '0' && *s <= '9') ||
				(*s >= 'a' && *s <= 'z') ||
				(*s >= 'A' && *s <= 'Z')))
				return false;
			s++;
		}
	}
	return *s == '\0';
}

static int
meta_load(json_t **out, const struct helm_file *f, struct gd_err *err)
{
	json_t *docs = NULL, *marks = NULL, *meta, *m, *v;
	const char *ty, *name;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = gd_ydoc_load(
		 &docs, &marks, f->data, f->len, "Chart.yaml", NULL, err)) < 0)
		return rc;
	meta = json_array_get(docs, 0);
	if (!json_is_object(meta)) {
		rc = gd_err_set(
		    err, GD_EINVAL, "validation: chart.metadata is required");
		goto out;
	}
	m = json_array_get(marks, 0);
	for (i = 0; meta_strings[i] != NULL; i++) {
		char ptr[64];

		v = json_object_get(meta, meta_strings[i]);
		if (v == NULL || json_is_string(v))
			continue;
		if (json_is_null(v)) {
			json_object_del(meta, meta_strings[i]);
			continue;
		}
		snprintf(ptr, sizeof(ptr), "/%s", meta_strings[i]);
		v = meta_scalar_text(f->data, f->len, json_object_get(m, ptr));
		if (v != NULL)
			json_object_set_new(meta, meta_strings[i], v);
	}
	name = json_string_value(json_object_get(meta, "name"));
	ty = json_string_value(json_object_get(meta, "type"));
	if (json_string_value(json_object_get(meta, "apiVersion")) == NULL)
		rc = gd_err_set(err, GD_EINVAL,
		    "validation: chart.metadata.apiVersion is required");
	else if (name == NULL || *name == '\0')
		rc = gd_err_set(err, GD_EINVAL,
		    "validation: chart.metadata.name is required");
	else if (strchr(name, '/') != NULL || strcmp(name, "..") == 0)
		rc = gd_err_set(err, GD_EINVAL,
		    "validation: chart.metadata.name \"%s\" is invalid", name);
	else if (json_string_value(json_object_get(meta, "version")) == NULL)
		rc = gd_err_set(err, GD_EINVAL,
		    "validation: chart.metadata.version is required");
	else if (!meta_is_semver(
		     json_string_value(json_object_get(meta, "version"))))
		rc = gd_err_set(err, GD_EINVAL,
		    "validation: chart.metadata.version \"%s\" is invalid",
		    json_string_value(json_object_get(meta, "version")));
	else if (ty != NULL && *ty != '\0' && strcmp(ty, "application") != 0 &&
	    strcmp(ty, "library") != 0)
		rc = gd_err_set(err, GD_EINVAL,
		    "validation: chart.metadata.type must be application or "
		    "library");
	if (rc == 0)
		*out = json_incref(meta);
out:
	json_decref(docs);
	json_decref(marks);
	return rc;
}

static bool
chart_is_helm_file(const char *name)
{
	return strcmp(name, "Chart.yaml") == 0 ||
	    strcmp(name, "values.yaml") == 0 ||
	    strcmp(name, "values.schema.json") == 0 ||
	    strcmp(name, "Chart.lock") == 0 ||
	    strncmp(name, "requirements.", 13) == 0;
}

/* Subcharts: charts/<dir>/... and charts/<x>.tgz, in name order. */
static int
chart_load_deps(
    struct gd_helm_chart *c, const struct helm_files *fs, struct gd_err *err)
{
	struct helm_files sub = { 0 };
	struct gd_helm_chart *d;
	char **names = NULL;
	size_t nn = 0, i, j, l;
	const char *rest, *slash;
	int rc = 0;

	for (i = 0; i < fs->n; i++) {
		if (strncmp(fs->v[i].name, "charts/", 7) != 0)
			continue;
		rest = fs->v[i].name + 7;
		slash = strchr(rest, '/');
		l = slash ? (size_t)(slash - rest) : strlen(rest);
		if (rest[0] == '_' || rest[0] == '.')
			continue;
		for (j = 0; j < nn; j++)
			if (strlen(names[j]) == l &&
			    memcmp(names[j], rest, l) == 0)
				break;
		if (j == nn) {
			names = xreallocarray(names, nn + 1, sizeof(*names));
			names[nn++] = xstrndup(rest, l);
		}
	}
	for (i = 0; i < nn && rc == 0; i++) {
		size_t nl = strlen(names[i]);

		d = NULL;
		helm_files_dispose(&sub);
		for (j = 0; j < fs->n; j++) {
			rest = fs->v[j].name + 7;
			if (strncmp(fs->v[j].name, "charts/", 7) != 0 ||
			    strncmp(rest, names[i], nl) != 0)
				continue;
			if (rest[nl] == '/')
				helm_files_add(&sub, rest + nl + 1,
				    fs->v[j].data, fs->v[j].len);
			else if (rest[nl] == '\0' && nl > 4 &&
			    strcmp(names[i] + nl - 4, ".tgz") == 0)
				rc = helm_archive_load(
				    &d, fs->v[j].data, fs->v[j].len, c, err);
		}
		if (rc == 0 && d == NULL && sub.n > 0)
			rc = helm_chart_from_files(&d, &sub, c, err);
		if (rc < 0) {
			gd_err_wrap(err, "charts/%s", names[i]);
			break;
		}
		if (d != NULL) {
			c->deps = xreallocarray(
			    c->deps, c->ndeps + 1, sizeof(*c->deps));
			c->deps[c->ndeps++] = d;
		}
	}
	helm_files_dispose(&sub);
	for (i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	return rc;
}

int
helm_chart_from_files(struct gd_helm_chart **out, const struct helm_files *fs,
    struct gd_helm_chart *parent, struct gd_err *err)
{
	struct gd_helm_chart *c = xcalloc(1, sizeof(*c));
	const struct helm_file *f;
	json_t *v = NULL;
	size_t i;
	int rc = 0;

	*out = NULL;
	c->parent = parent;
	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->v[i].name, "Chart.yaml") == 0 &&
		    (rc = meta_load(&c->meta, &fs->v[i], err)) < 0)
			goto out;
	if (c->meta == NULL) {
		rc = gd_err_set(err, GD_EINVAL, "Chart.yaml file is missing");
		goto out;
	}
	c->values = json_object();
	for (i = 0; i < fs->n; i++) {
		f = &fs->v[i];
		if (strcmp(f->name, "values.yaml") == 0) {
			if ((rc = helm_values_parse(
				 &v, f->data, f->len, "values.yaml", err)) < 0)
				goto out;
			if (json_is_object(v)) {
				json_decref(c->values);
				c->values = v;
			} else
				json_decref(v);
			v = NULL;
			helm_values_floats(c->values);
		} else if (strcmp(f->name, "values.schema.json") == 0) {
			helm_schema_free(c->schema);
			c->schema = helm_schema_new(f->data, f->len);
		} else if (strncmp(f->name, "templates/", 10) == 0) {
			helm_files_add(&c->templates, f->name, f->data, f->len);
		} else if (strncmp(f->name, "charts/", 7) == 0) {
			continue;
		} else if (!chart_is_helm_file(f->name)) {
			if (strncmp(f->name, "crds/", 5) == 0)
				helm_files_add(
				    &c->crds, f->name, f->data, f->len);
			helm_files_add(&c->files, f->name, f->data, f->len);
		}
	}
	if (parent != NULL)
		xasprintf(&c->path, "%s/charts/%s", parent->path,
		    helm_chart_meta_str(c, "name"));
	else
		c->path = xstrdup(helm_chart_meta_str(c, "name"));
	if ((rc = chart_load_deps(c, fs, err)) < 0)
		goto out;
	*out = c;
	c = NULL;
out:
	gd_helm_chart_free(c);
	return rc;
}

/* --- kubeVersion -----------------------------------------------------------
 */

int
helm_chart_check_kube(
    const struct gd_helm_chart *c, const char *kube_version, struct gd_err *err)
{
	const char *want = helm_chart_meta_str(c, "kubeVersion");
	const char *kv = kube_version != NULL ? kube_version : "v1.20.0";
	struct helm_semver_range *r = NULL;
	struct helm_semver v;
	struct gd_err e = { 0 };
	char *shown;
	bool ok;

	if (*want == '\0')
		return 0;
	/* Capabilities print the version with its "v", as helm's message */
	xasprintf(&shown, "%s%s", kv[0] == 'v' ? "" : "v", kv);
	/* chartutil.IsCompatibleRange: what does not parse is incompatible */
	ok = helm_semver_parse(&v, shown) &&
	    helm_semver_range_new(&r, want, &e) == 0 &&
	    helm_semver_range_match(r, &v);
	helm_semver_range_free(r);
	if (!ok)
		gd_err_set(err, GD_EINVAL,
		    "chart requires kubeVersion: %s which is incompatible with "
		    "Kubernetes %s",
		    want, shown);
	free(shown);
	return ok ? 0 : GD_EINVAL;
}

/* --- .Files.Glob: gobwas/glob with '/' as the separator --------------------
 */

#define GLOB_BUDGET 100000

/* The end of the {...} group at p (p on '{'), or NULL if unclosed. */
static const char *
glob_group_end(const char *p)
{
	int depth = 0;

	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '{')
			depth++;
		else if (*p == '}' && --depth == 0)
			return p;
	}
	return NULL;
}

/* One [...] class at *pp against the byte c; advances *pp past it. */
static bool
glob_class(const char **pp, unsigned char c, bool *ok)
{
	const char *p = *pp + 1;
	bool neg = false, hit = false;
	unsigned char lo, hi;

	if (*p == '!') {
		neg = true;
		p++;
	}
	while (*p != '\0' && *p != ']') {
		if (*p == '\\' && p[1] != '\0')
			p++;
		lo = (unsigned char)*p++;
		hi = lo;
		if (*p == '-' && p[1] != '\0' && p[1] != ']') {
			p++;
			if (*p == '\\' && p[1] != '\0')
				p++;
			hi = (unsigned char)*p++;
		}
		if (c >= lo && c <= hi)
			hit = true;
	}
	if (*p != ']') {
		*ok = false;
		return false;
	}
	*pp = p + 1;
	return hit != neg;
}

static bool glob_at(
    const char *p, const char *pend, const char *s, long *budget, bool *ok);

/*
 * The pattern p..pend (then, at the end of each {} alternative, the
 * rest after the group) against s.
 */
static bool
glob_at(const char *p, const char *pend, const char *s, long *budget, bool *ok)
{
	const char *end, *alt, *q;
	char *joined;
	bool m;

	while (p < pend) {
		if (--*budget < 0)
			return false;
		switch (*p) {
		case '*':
			if (p + 1 < pend && p[1] == '*') {
				/* ** spans separators */
				for (q = s;; q++) {
					if (glob_at(p + 2, pend, q, budget, ok))
						return true;
					if (*q == '\0' || *budget < 0)
						return false;
				}
			}
			for (q = s;; q++) {
				if (glob_at(p + 1, pend, q, budget, ok))
					return true;
				if (*q == '\0' || *q == '/' || *budget < 0)
					return false;
			}
		case '?':
			if (*s == '\0' || *s == '/')
				return false;
			/* a whole UTF-8 rune */
			s++;
			while ((*s & 0xC0) == 0x80)
				s++;
			p++;
			break;
		case '[':
			if (*s == '\0' ||
			    !glob_class(&p, (unsigned char)*s, ok))
				return false;
			s++;
			break;
		case '{':
			if ((end = glob_group_end(p)) == NULL || end >= pend) {
				*ok = false;
				return false;
			}
			/* each alternative, followed by the rest */
			for (alt = p + 1; alt <= end;) {
				const char *a_end = alt;
				int depth = 0;

				for (; a_end < end; a_end++) {
					if (*a_end == '\\' && a_end + 1 < end)
						a_end++;
					else if (*a_end == '{')
						depth++;
					else if (*a_end == '}')
						depth--;
					else if (*a_end == ',' && depth == 0)
						break;
				}
				xasprintf(&joined, "%.*s%.*s",
				    (int)(a_end - alt), alt,
				    (int)(pend - end - 1), end + 1);
				m = glob_at(joined, joined + strlen(joined), s,
				    budget, ok);
				free(joined);
				if (m)
					return true;
				alt = a_end + 1;
			}
			return false;
		case '\\':
			if (p + 1 < pend)
				p++;
			/* FALLTHROUGH */
		default:
			if (*s != *p)
				return false;
			s++;
			p++;
		}
	}
	return *s == '\0';
}

bool
helm_glob_match(const char *pattern, const char *name)
{
	long budget = GLOB_BUDGET;
	bool ok = true, m;

	m = glob_at(pattern, pattern + strlen(pattern), name, &budget, &ok);
	/* glob.Compile's errors (an unclosed [ or {) match nothing */
	return m && ok;
}
