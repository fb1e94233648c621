/* SPDX-License-Identifier: ISC */
/*
 * The render's host objects, the parts of Helm's top object that are Go
 * values with methods rather than data: .Capabilities (KubeVersion with
 * its String(), APIVersions with Has) and .Files (Get, GetBytes, Lines,
 * Glob, AsConfig, AsSecrets). Field names are Go's, as templates use
 * them. What is the same for every render (the default API versions,
 * .Capabilities.HelmVersion) is made once and shared, read-only, by all.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "helm_int.h"

/* --- KubeVersion ------------------------------------------------------------
 */

struct kubever {
	char *version, *major, *minor;
};

static void
kubever_free(void *p)
{
	struct kubever *k = p;

	free(k->version);
	free(k->major);
	free(k->minor);
	free(k);
}

static int
kubever_field(struct gd_tval *out, struct gd_tmpl_obj *o, const char *name,
    struct gd_tval *args, size_t nargs, struct gd_err *err)
{
	struct kubever *k = o->data;

	(void)args;
	if (nargs > 0)
		return gd_err_set(
		    err, GD_EINVAL, "wrong number of args for %s", name);
	if (strcmp(name, "Version") == 0 || strcmp(name, "GitVersion") == 0 ||
	    strcmp(name, "String") == 0)
		*out = gd_tval_json(json_string_nocheck(k->version));
	else if (strcmp(name, "Major") == 0)
		*out = gd_tval_json(json_string_nocheck(k->major));
	else if (strcmp(name, "Minor") == 0)
		*out = gd_tval_json(json_string_nocheck(k->minor));
	else
		return GD_ENOTFOUND;
	return 0;
}

static void
kubever_print(struct gd_buf *b, const struct gd_tmpl_obj *o)
{
	const struct kubever *k = o->data;

	gd_buf_adds(b, k->version);
}

static json_t *
kubever_json(const struct gd_tmpl_obj *o)
{
	const struct kubever *k = o->data;

	return json_pack("{s:s, s:s, s:s}", "Version", k->version, "Major",
	    k->major, "Minor", k->minor);
}

static const struct gd_tmpl_objtype kubever_type = { "chartutil.KubeVersion",
	kubever_field, kubever_print, kubever_free, kubever_json };

/* --- APIVersions ------------------------------------------------------------
 */

static void
apis_free(void *p)
{
	json_decref(p);
}

static int
apis_field(struct gd_tval *out, struct gd_tmpl_obj *o, const char *name,
    struct gd_tval *args, size_t nargs, struct gd_err *err)
{
	json_t *l = o->data, *e;
	size_t i;

	if (strcmp(name, "Has") != 0)
		return GD_ENOTFOUND;
	if (nargs != 1)
		return gd_err_set(err, GD_EINVAL,
		    "wrong number of args for Has: want 1 got %zu", nargs);
	if (!json_is_string(args[0].j))
		return gd_err_set(err, GD_EINVAL,
		    "wrong type for value; expected string; got %s",
		    gd_tval_typename(&args[0]));
	json_array_foreach(l, i, e) {
		if (json_equal(e, args[0].j)) {
			*out = gd_tval_json(json_true());
			return 0;
		}
	}
	*out = gd_tval_json(json_false());
	return 0;
}

static void
apis_print(struct gd_buf *b, const struct gd_tmpl_obj *o)
{
	struct gd_tval v = gd_tval_json(json_incref(o->data));

	gd_tmpl_fmt_value(b, &v);
	gd_tval_dispose(&v);
}

static json_t *
apis_json(const struct gd_tmpl_obj *o)
{
	return json_deep_copy(o->data);
}

static const struct gd_tmpl_objtype apis_type = { "chartutil.VersionSet",
	apis_field, apis_print, apis_free, apis_json };

/* --- Capabilities -----------------------------------------------------------
 */

struct caps {
	struct gd_tmpl_obj *kube, *apis;
	json_t *helm;
};

static void
caps_free(void *p)
{
	struct caps *c = p;

	gd_tmpl_obj_unref(c->kube);
	gd_tmpl_obj_unref(c->apis);
	json_decref(c->helm);
	free(c);
}

static int
caps_field(struct gd_tval *out, struct gd_tmpl_obj *o, const char *name,
    struct gd_tval *args, size_t nargs, struct gd_err *err)
{
	struct caps *c = o->data;

	(void)args;
	if (nargs > 0)
		return gd_err_set(err, GD_EINVAL,
		    "%s is not a method but has arguments", name);
	memset(out, 0, sizeof(*out));
	if (strcmp(name, "KubeVersion") == 0) {
		out->o = c->kube;
		c->kube->refs++;
	} else if (strcmp(name, "APIVersions") == 0) {
		out->o = c->apis;
		c->apis->refs++;
	} else if (strcmp(name, "HelmVersion") == 0)
		*out = gd_tval_json(json_incref(c->helm));
	else
		return GD_ENOTFOUND;
	return 0;
}

static void
caps_print(struct gd_buf *b, const struct gd_tmpl_obj *o)
{
	const struct caps *c = o->data;

	gd_buf_adds(b, "&{");
	kubever_print(b, c->kube);
	gd_buf_addc(b, ' ');
	apis_print(b, c->apis);
	gd_buf_adds(b, "}");
}

static json_t *
caps_json(const struct gd_tmpl_obj *o)
{
	const struct caps *c = o->data;

	return json_pack("{s:o, s:o, s:O}", "KubeVersion",
	    kubever_json(c->kube), "APIVersions", apis_json(c->apis),
	    "HelmVersion", c->helm);
}

static const struct gd_tmpl_objtype caps_type = { "*chartutil.Capabilities",
	caps_field, caps_print, caps_free, caps_json };

/* The API versions helm template knows without a cluster (client-go). */
static const char *const default_apis[] = { "v1",
	"admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1",
	"apiextensions.k8s.io/v1beta1", "apiregistration.k8s.io/v1", "apps/v1",
	"authentication.k8s.io/v1", "authorization.k8s.io/v1", "autoscaling/v1",
	"autoscaling/v2", "batch/v1", "certificates.k8s.io/v1",
	"coordination.k8s.io/v1", "discovery.k8s.io/v1", "events.k8s.io/v1",
	"networking.k8s.io/v1", "node.k8s.io/v1", "policy/v1",
	"rbac.authorization.k8s.io/v1", "scheduling.k8s.io/v1",
	"storage.k8s.io/v1", NULL };

static pthread_once_t caps_once = PTHREAD_ONCE_INIT;
static json_t *caps_apis; /* default_apis as a list */
static json_t *caps_helm; /* .Capabilities.HelmVersion */

static void
caps_init(void)
{
	size_t i;

	caps_apis = json_array();
	for (i = 0; default_apis[i] != NULL; i++)
		json_array_append_new(
		    caps_apis, json_string_nocheck(default_apis[i]));
	caps_helm = json_pack("{s:s, s:s, s:s, s:s}", "Version", "v3.21.4",
	    "GitCommit", "813176c51bb5c181dbbd7901298ddcc104cd3417",
	    "GitTreeState", "clean", "GoVersion", "go1.26");
}

struct gd_tmpl_obj *
helm_caps_new(const char *kv, const char *const *apis, size_t napis)
{
	struct caps *c = xcalloc(1, sizeof(*c));
	struct kubever *k = xcalloc(1, sizeof(*k));
	const char *v = kv[0] == 'v' ? kv + 1 : kv, *dot;
	json_t *l;
	size_t i;

	xasprintf(&k->version, "v%s", v);
	dot = strchr(v, '.');
	k->major = xstrndup(v, dot ? (size_t)(dot - v) : strlen(v));
	if (dot != NULL) {
		const char *d2 = strchr(dot + 1, '.');

		k->minor = xstrndup(
		    dot + 1, d2 ? (size_t)(d2 - dot - 1) : strlen(dot + 1));
	} else
		k->minor = xstrdup("");
	pthread_once(&caps_once, caps_init);
	/* no function changes a list in place: the default one is shared */
	if (napis == 0)
		l = json_incref(caps_apis);
	else {
		l = json_array();
		json_array_extend(l, caps_apis);
		for (i = 0; i < napis; i++)
			json_array_append_new(l, json_string_nocheck(apis[i]));
	}
	c->kube = gd_tmpl_obj_new(&kubever_type, k);
	c->apis = gd_tmpl_obj_new(&apis_type, l);
	c->helm = json_incref(caps_helm);
	return gd_tmpl_obj_new(&caps_type, c);
}

/* --- Files ------------------------------------------------------------------
 */

static void
files_free(void *p)
{
	struct helm_files *fs = p;

	helm_files_dispose(fs);
	free(fs);
}

static const struct helm_file *
files_find(const struct helm_files *fs, const char *name)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->v[i].name, name) == 0)
			return &fs->v[i];
	return NULL;
}

static const char *
files_base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* {basename: content or base64} as YAML, for AsConfig and AsSecrets. */
static void
files_as(struct gd_buf *b, const struct helm_files *fs, bool secret)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	json_t *m = json_object();
	struct gd_buf e;
	size_t i, k;

	for (i = 0; i < fs->n; i++) {
		const unsigned char *d = (const unsigned char *)fs->v[i].data;
		size_t n = fs->v[i].len;

		if (!secret) {
			json_object_set_new_nocheck(m,
			    files_base(fs->v[i].name),
			    json_stringn_nocheck(fs->v[i].data, n));
			continue;
		}
		gd_buf_init(&e);
		gd_buf_add(&e, "", 0);
		for (k = 0; k + 2 < n; k += 3) {
			gd_buf_addc(&e, tab[d[k] >> 2]);
			gd_buf_addc(
			    &e, tab[((d[k] & 3) << 4) | (d[k + 1] >> 4)]);
			gd_buf_addc(
			    &e, tab[((d[k + 1] & 15) << 2) | (d[k + 2] >> 6)]);
			gd_buf_addc(&e, tab[d[k + 2] & 63]);
		}
		if (n - k == 1) {
			gd_buf_addc(&e, tab[d[k] >> 2]);
			gd_buf_addc(&e, tab[(d[k] & 3) << 4]);
			gd_buf_adds(&e, "==");
		} else if (n - k == 2) {
			gd_buf_addc(&e, tab[d[k] >> 2]);
			gd_buf_addc(
			    &e, tab[((d[k] & 3) << 4) | (d[k + 1] >> 4)]);
			gd_buf_addc(&e, tab[(d[k + 1] & 15) << 2]);
			gd_buf_addc(&e, '=');
		}
		json_object_set_new_nocheck(m, files_base(fs->v[i].name),
		    json_stringn_nocheck(e.data, e.len));
		gd_buf_dispose(&e);
	}
	if (json_object_size(m) > 0)
		helm_to_yaml(b, m);
	json_decref(m);
}

static int
files_field(struct gd_tval *out, struct gd_tmpl_obj *o, const char *name,
    struct gd_tval *args, size_t nargs, struct gd_err *err)
{
	const struct helm_files *fs = o->data;
	const struct helm_file *f;
	struct helm_files *g;
	struct gd_buf b;
	const char *arg;
	json_t *l;
	size_t i, k, s;

	if (strcmp(name, "AsConfig") == 0 || strcmp(name, "AsSecrets") == 0) {
		gd_buf_init(&b);
		gd_buf_add(&b, "", 0);
		files_as(&b, fs, name[2] == 'S');
		*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
		gd_buf_dispose(&b);
		return 0;
	}
	if (strcmp(name, "Get") != 0 && strcmp(name, "GetBytes") != 0 &&
	    strcmp(name, "Lines") != 0 && strcmp(name, "Glob") != 0)
		return GD_ENOTFOUND;
	if (nargs != 1 || !json_is_string(args[0].j))
		return gd_err_set(err, GD_EINVAL,
		    "wrong number of args for %s: want 1 got %zu", name, nargs);
	arg = json_string_value(args[0].j);
	f = files_find(fs, arg);
	if (strcmp(name, "Get") == 0) {
		*out = gd_tval_json(f ? json_stringn_nocheck(f->data, f->len) :
					json_string_nocheck(""));
	} else if (strcmp(name, "GetBytes") == 0) {
		l = json_array();
		for (i = 0; f != NULL && i < f->len; i++)
			json_array_append_new(
			    l, json_integer((unsigned char)f->data[i]));
		*out = gd_tval_json(l);
	} else if (strcmp(name, "Lines") == 0) {
		l = json_array();
		if (f != NULL && f->len > 0) {
			size_t n = f->len;

			if (f->data[n - 1] == '\n')
				n--;
			for (s = 0, k = 0; k <= n; k++) {
				if (k == n || f->data[k] == '\n') {
					json_array_append_new(l,
					    json_stringn_nocheck(
						f->data + s, k - s));
					s = k + 1;
				}
			}
		}
		*out = gd_tval_json(l);
	} else {
		g = xcalloc(1, sizeof(*g));
		for (i = 0; i < fs->n; i++)
			if (helm_glob_match(arg, fs->v[i].name))
				helm_files_add(g, fs->v[i].name, fs->v[i].data,
				    fs->v[i].len);
		memset(out, 0, sizeof(*out));
		out->o = helm_files_obj_new(g);
		files_free(g);
	}
	return 0;
}

static void
files_print(struct gd_buf *b, const struct gd_tmpl_obj *o)
{
	const struct helm_files *fs = o->data;
	size_t i, k;

	gd_buf_adds(b, "map[");
	for (i = 0; i < fs->n; i++) {
		gd_buf_printf(b, "%s%s:[", i ? " " : "", fs->v[i].name);
		for (k = 0; k < fs->v[i].len; k++)
			gd_buf_printf(b, "%s%u", k ? " " : "",
			    (unsigned char)fs->v[i].data[k]);
		gd_buf_addc(b, ']');
	}
	gd_buf_addc(b, ']');
}

/* map[string][]byte: encoding/json writes the bytes as base64 */
static json_t *
files_json(const struct gd_tmpl_obj *o)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const struct helm_files *fs = o->data;
	json_t *m = json_object();
	struct gd_buf e;
	size_t i, k, n;

	for (i = 0; i < fs->n; i++) {
		const unsigned char *d = (const unsigned char *)fs->v[i].data;

		n = fs->v[i].len;
		gd_buf_init(&e);
		gd_buf_add(&e, "", 0);
		for (k = 0; k < n; k += 3) {
			unsigned v = (unsigned)d[k] << 16;

			if (k + 1 < n)
				v |= (unsigned)d[k + 1] << 8;
			if (k + 2 < n)
				v |= d[k + 2];
			gd_buf_addc(&e, tab[(v >> 18) & 63]);
			gd_buf_addc(&e, tab[(v >> 12) & 63]);
			gd_buf_addc(&e, k + 1 < n ? tab[(v >> 6) & 63] : '=');
			gd_buf_addc(&e, k + 2 < n ? tab[v & 63] : '=');
		}
		json_object_set_new_nocheck(
		    m, fs->v[i].name, json_stringn_nocheck(e.data, e.len));
		gd_buf_dispose(&e);
	}
	return m;
}

static const struct gd_tmpl_objtype files_type = { "chartutil.Files",
	files_field, files_print, files_free, files_json };

struct gd_tmpl_obj *
helm_files_obj_new(const struct helm_files *src)
{
	struct helm_files *fs = xcalloc(1, sizeof(*fs));
	size_t i;

	for (i = 0; i < src->n; i++)
		helm_files_add(
		    fs, src->v[i].name, src->v[i].data, src->v[i].len);
	return gd_tmpl_obj_new(&files_type, fs);
}
