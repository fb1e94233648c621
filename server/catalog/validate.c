/* SPDX-License-Identifier: ISC */
/*
 * Validation of Application and AppProject documents against the fields
 * Argo CD's types define (reference/argocd.md §1.5). A declarative table
 * per object names each field and its type; one walk checks types and
 * refuses unknown fields (a typo such as "selfheal" would otherwise be
 * dropped in silence and the app would never self-heal), then a few rules
 * that types cannot say run on the typed tree: one of source/sources,
 * server or name, $ref value files that name a ref, value files that
 * stay inside the repository. The hard part is the message: each one
 * names the file, the line and column of the offending key (ydoc marks,
 * or the nearest marked parent for a missing field) and the field's path
 * as a person reads it (spec.sources[1].helm.valueFiles[0]).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_int.h"

#define VALIDATE_MAX 16 /* problems reported per document */

enum vt {
	VT_STR,
	VT_BOOL,
	VT_INT,
	VT_OBJ, /* keys from sub only */
	VT_OPEN, /* keys from sub checked, others allowed */
	VT_MAP, /* any keys, any values (values, valuesObject) */
	VT_STRMAP, /* any keys, string values (labels) */
	VT_ARR, /* of VT_OBJ with sub, or of anything when sub is NULL */
	VT_STRARR,
	VT_ANY,
};

struct vfield {
	const char *name;
	enum vt type;
	const struct vfield *sub;
};

#define VEND                                                                   \
	{                                                                      \
		NULL, VT_ANY, NULL                                             \
	}

static const struct vfield v_param[] = { { "name", VT_STR, NULL },
	{ "value", VT_STR, NULL }, { "forceString", VT_BOOL, NULL }, VEND };

static const struct vfield v_file_param[] = { { "name", VT_STR, NULL },
	{ "path", VT_STR, NULL }, VEND };

static const struct vfield v_helm[] = { { "valueFiles", VT_STRARR, NULL },
	{ "values", VT_STR, NULL }, { "valuesObject", VT_MAP, NULL },
	{ "parameters", VT_ARR, v_param },
	{ "fileParameters", VT_ARR, v_file_param },
	{ "releaseName", VT_STR, NULL },
	{ "ignoreMissingValueFiles", VT_BOOL, NULL },
	{ "skipCrds", VT_BOOL, NULL }, { "skipTests", VT_BOOL, NULL },
	{ "skipSchemaValidation", VT_BOOL, NULL },
	{ "passCredentials", VT_BOOL, NULL }, { "namespace", VT_STR, NULL },
	{ "version", VT_STR, NULL }, { "kubeVersion", VT_STR, NULL },
	{ "apiVersions", VT_STRARR, NULL }, VEND };

static const struct vfield v_directory[] = { { "recurse", VT_BOOL, NULL },
	{ "include", VT_STR, NULL }, { "exclude", VT_STR, NULL },
	{ "jsonnet", VT_MAP, NULL }, VEND };

static const struct vfield v_source[] = { { "repoURL", VT_STR, NULL },
	{ "path", VT_STR, NULL }, { "targetRevision", VT_STR, NULL },
	{ "chart", VT_STR, NULL }, { "ref", VT_STR, NULL },
	{ "name", VT_STR, NULL }, { "helm", VT_OBJ, v_helm },
	{ "directory", VT_OBJ, v_directory }, { "kustomize", VT_MAP, NULL },
	{ "plugin", VT_MAP, NULL }, VEND };

static const struct vfield v_destination[] = { { "server", VT_STR, NULL },
	{ "name", VT_STR, NULL }, { "namespace", VT_STR, NULL }, VEND };

static const struct vfield v_automated[] = { { "enabled", VT_BOOL, NULL },
	{ "prune", VT_BOOL, NULL }, { "selfHeal", VT_BOOL, NULL },
	{ "allowEmpty", VT_BOOL, NULL }, VEND };

static const struct vfield v_backoff[] = { { "duration", VT_STR, NULL },
	{ "factor", VT_INT, NULL }, { "maxDuration", VT_STR, NULL }, VEND };

static const struct vfield v_retry[] = { { "limit", VT_INT, NULL },
	{ "backoff", VT_OBJ, v_backoff }, { "refresh", VT_BOOL, NULL }, VEND };

static const struct vfield v_nsmeta[] = { { "labels", VT_STRMAP, NULL },
	{ "annotations", VT_STRMAP, NULL }, VEND };

static const struct vfield v_sync_policy[] = { { "automated", VT_OBJ,
						   v_automated },
	{ "syncOptions", VT_STRARR, NULL }, { "retry", VT_OBJ, v_retry },
	{ "managedNamespaceMetadata", VT_OBJ, v_nsmeta }, VEND };

static const struct vfield v_ignore_diff[] = { { "group", VT_STR, NULL },
	{ "kind", VT_STR, NULL }, { "name", VT_STR, NULL },
	{ "namespace", VT_STR, NULL }, { "jsonPointers", VT_STRARR, NULL },
	{ "jqPathExpressions", VT_STRARR, NULL },
	{ "managedFieldsManagers", VT_STRARR, NULL }, VEND };

static const struct vfield v_info[] = { { "name", VT_STR, NULL },
	{ "value", VT_STR, NULL }, VEND };

static const struct vfield v_app_spec[] = { { "project", VT_STR, NULL },
	{ "source", VT_OBJ, v_source }, { "sources", VT_ARR, v_source },
	{ "destination", VT_OBJ, v_destination },
	{ "syncPolicy", VT_OBJ, v_sync_policy },
	{ "ignoreDifferences", VT_ARR, v_ignore_diff },
	{ "info", VT_ARR, v_info }, { "revisionHistoryLimit", VT_INT, NULL },
	VEND };

static const struct vfield v_gk[] = { { "group", VT_STR, NULL },
	{ "kind", VT_STR, NULL }, { "name", VT_STR, NULL }, VEND };

static const struct vfield v_role[] = { { "name", VT_STR, NULL },
	{ "description", VT_STR, NULL }, { "policies", VT_STRARR, NULL },
	{ "groups", VT_STRARR, NULL }, { "jwtTokens", VT_ARR, NULL }, VEND };

static const struct vfield v_window[] = { { "kind", VT_STR, NULL },
	{ "schedule", VT_STR, NULL }, { "duration", VT_STR, NULL },
	{ "applications", VT_STRARR, NULL }, { "namespaces", VT_STRARR, NULL },
	{ "clusters", VT_STRARR, NULL }, { "manualSync", VT_BOOL, NULL },
	{ "timeZone", VT_STR, NULL }, { "andOperator", VT_BOOL, NULL },
	{ "syncOverrun", VT_BOOL, NULL }, { "description", VT_STR, NULL },
	VEND };

static const struct vfield v_orphaned[] = { { "warn", VT_BOOL, NULL },
	{ "ignore", VT_ARR, v_gk }, VEND };

static const struct vfield v_proj_spec[] = { { "description", VT_STR, NULL },
	{ "sourceRepos", VT_STRARR, NULL },
	{ "destinations", VT_ARR, v_destination },
	{ "clusterResourceWhitelist", VT_ARR, v_gk },
	{ "clusterResourceBlacklist", VT_ARR, v_gk },
	{ "namespaceResourceWhitelist", VT_ARR, v_gk },
	{ "namespaceResourceBlacklist", VT_ARR, v_gk },
	{ "roles", VT_ARR, v_role }, { "syncWindows", VT_ARR, v_window },
	{ "orphanedResources", VT_OBJ, v_orphaned },
	{ "sourceNamespaces", VT_STRARR, NULL },
	{ "permitOnlyProjectScopedClusters", VT_BOOL, NULL },
	{ "destinationServiceAccounts", VT_ARR, NULL },
	{ "signatureKeys", VT_ARR, NULL }, { "sourceIntegrity", VT_MAP, NULL },
	VEND };

static const struct vfield v_metadata[] = { { "name", VT_STR, NULL },
	{ "namespace", VT_STR, NULL }, { "labels", VT_STRMAP, NULL },
	{ "annotations", VT_STRMAP, NULL }, { "finalizers", VT_STRARR, NULL },
	VEND };

static const struct vfield v_app[] = { { "apiVersion", VT_STR, NULL },
	{ "kind", VT_STR, NULL }, { "metadata", VT_OPEN, v_metadata },
	{ "spec", VT_OBJ, v_app_spec }, { "status", VT_ANY, NULL },
	{ "operation", VT_ANY, NULL }, VEND };

static const struct vfield v_proj[] = { { "apiVersion", VT_STR, NULL },
	{ "kind", VT_STR, NULL }, { "metadata", VT_OPEN, v_metadata },
	{ "spec", VT_OBJ, v_proj_spec }, { "status", VT_ANY, NULL }, VEND };

struct vctx {
	json_t *problems;
	const json_t *marks;
	const char *file;
	size_t count;
	struct gd_buf ptr; /* JSON pointer of the node being checked */
	struct gd_buf name; /* its dotted name for messages */
};

void
gd_catalog_problem(json_t *problems, const json_t *marks, const char *file,
    const char *ptr, const char *fmt, ...)
{
	char msg[512], *p = xstrdup(ptr), *slash, *s;
	json_t *m = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The node's own mark, else its nearest marked parent's. */
	for (;;) {
		if (marks != NULL && (m = json_object_get(marks, p)) != NULL)
			break;
		if ((slash = strrchr(p, '/')) == NULL)
			break;
		*slash = '\0';
	}
	if (m != NULL)
		xasprintf(&s, "%s:%lld:%lld: %s", file,
		    (long long)json_integer_value(json_array_get(m, 0)),
		    (long long)json_integer_value(json_array_get(m, 1)), msg);
	else
		xasprintf(&s, "%s: %s", file, msg);
	json_array_append_new(problems, json_string(s));
	free(s);
	free(p);
}

static void v_fail(struct vctx *, const char *, ...) GD_PRINTF(2, 3);

/* A problem at the current node, named by its dotted path. */
static void
v_fail(struct vctx *v, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	if (v->count++ >= VALIDATE_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (v->count == VALIDATE_MAX) {
		gd_catalog_problem(v->problems, v->marks, v->file, v->ptr.data,
		    "too many problems; the first %d are shown",
		    VALIDATE_MAX - 1);
		return;
	}
	gd_catalog_problem(v->problems, v->marks, v->file, v->ptr.data,
	    "%s: %s", v->name.len > 0 ? v->name.data : "document", msg);
}

/* Descends into key (or index when key is NULL); returns the old lengths. */
static void
v_push(struct vctx *v, const char *key, size_t idx, size_t save[2])
{
	const char *c;

	save[0] = v->ptr.len;
	save[1] = v->name.len;
	gd_buf_addc(&v->ptr, '/');
	if (key != NULL) {
		for (c = key; *c != '\0'; c++)
			if (*c == '~')
				gd_buf_adds(&v->ptr, "~0");
			else if (*c == '/')
				gd_buf_adds(&v->ptr, "~1");
			else
				gd_buf_addc(&v->ptr, *c);
		if (v->name.len > 0)
			gd_buf_addc(&v->name, '.');
		gd_buf_adds(&v->name, key);
	} else {
		gd_buf_printf(&v->ptr, "%zu", idx);
		gd_buf_printf(&v->name, "[%zu]", idx);
	}
}

static void
v_pop(struct vctx *v, const size_t save[2])
{
	v->ptr.len = save[0];
	v->ptr.data[save[0]] = '\0';
	v->name.len = save[1];
	v->name.data[save[1]] = '\0';
}

static void v_check(
    struct vctx *, enum vt, const struct vfield *, const json_t *);

static void
v_object(struct vctx *v, const struct vfield *t, bool open, const json_t *o)
{
	const struct vfield *f;
	const char *key;
	json_t *val;
	size_t save[2];

	json_object_foreach((json_t *)o, key, val) {
		for (f = t; f->name != NULL; f++)
			if (strcmp(f->name, key) == 0)
				break;
		v_push(v, key, 0, save);
		if (f->name != NULL)
			v_check(v, f->type, f->sub, val);
		else if (!open)
			v_fail(v, "unknown field");
		v_pop(v, save);
	}
}

static void
v_check(
    struct vctx *v, enum vt type, const struct vfield *sub, const json_t *val)
{
	const char *key;
	json_t *e;
	size_t i, save[2];

	/* null is an unset field, as Go's decoder reads it */
	if (json_is_null(val))
		return;
	switch (type) {
	case VT_STR:
		if (!json_is_string(val))
			v_fail(v, "expected a string");
		break;
	case VT_BOOL:
		if (!json_is_boolean(val))
			v_fail(v, "expected a boolean");
		break;
	case VT_INT:
		if (!json_is_integer(val))
			v_fail(v, "expected an integer");
		break;
	case VT_OBJ:
	case VT_OPEN:
	case VT_MAP:
	case VT_STRMAP:
		if (!json_is_object(val)) {
			v_fail(v, "expected a map");
			break;
		}
		if (type == VT_OBJ || type == VT_OPEN)
			v_object(v, sub, type == VT_OPEN, val);
		if (type == VT_STRMAP)
			json_object_foreach((json_t *)val, key, e) {
				v_push(v, key, 0, save);
				if (!json_is_string(e))
					v_fail(v, "expected a string");
				v_pop(v, save);
			}
		break;
	case VT_ARR:
	case VT_STRARR:
		if (!json_is_array(val)) {
			v_fail(v, "expected a list");
			break;
		}
		json_array_foreach(val, i, e) {
			v_push(v, NULL, i, save);
			if (type == VT_STRARR)
				v_check(v, VT_STR, NULL, e);
			else if (sub != NULL)
				v_check(v, VT_OBJ, sub, e);
			v_pop(v, save);
		}
		break;
	case VT_ANY:
		break;
	}
}

/* Sets the context to the node at a dotted/pointer pair given together. */
static void
v_at(struct vctx *v, const char *ptr, const char *name)
{
	gd_buf_reset(&v->ptr);
	gd_buf_adds(&v->ptr, ptr);
	gd_buf_reset(&v->name);
	gd_buf_adds(&v->name, name);
}

/* RFC 1123 subdomain: what Kubernetes accepts as metadata.name. */
static bool
v_is_dns_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 253 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) ||
			isdigit((unsigned char)s[i]) || s[i] == '-' ||
			s[i] == '.'))
			return false;
	return true;
}

static void
v_metadata_rules(struct vctx *v, const json_t *doc)
{
	json_t *md = json_object_get(doc, "metadata");
	json_t *name = json_object_get(md, "name");

	if (!json_is_object(md)) {
		v_at(v, "", "metadata");
		if (md == NULL)
			v_fail(v, "required");
		return;
	}
	v_at(v, "/metadata/name", "metadata.name");
	if (name == NULL)
		v_fail(v, "required");
	else if (json_is_string(name) &&
	    !v_is_dns_name(json_string_value(name)))
		v_fail(v,
		    "\"%s\" is not a valid name (lower case letters, digits, "
		    "'-' and '.', at most 253)",
		    json_string_value(name));
}

/* The folder of file: "apps/web" for "apps/web/application.yaml". */
static char *
v_dirname(const char *file)
{
	const char *s = strrchr(file, '/');

	return s != NULL ? xstrndup(file, (size_t)(s - file)) : xstrdup("");
}

/* Whether some source in sources has ref ref (length n). */
static bool
v_has_ref(const json_t *sources, const char *ref, size_t n)
{
	json_t *s, *r;
	size_t i;

	json_array_foreach(sources, i, s) {
		r = json_object_get(s, "ref");
		if (json_is_string(r) && strlen(json_string_value(r)) == n &&
		    strncmp(json_string_value(r), ref, n) == 0)
			return true;
	}
	return false;
}

static void
v_value_files(struct vctx *v, const json_t *src, const json_t *sources,
    const char *ptr, const char *name)
{
	json_t *vfs =
	    json_object_get(json_object_get(src, "helm"), "valueFiles");
	json_t *vf, *path = json_object_get(src, "path");
	char *p, *q, *dir, ptrb[256], nameb[256];
	const char *s, *slash, *base;
	size_t i;

	json_array_foreach(vfs, i, vf) {
		if (!json_is_string(vf))
			continue;
		s = json_string_value(vf);
		snprintf(ptrb, sizeof(ptrb), "%s/helm/valueFiles/%zu", ptr, i);
		snprintf(
		    nameb, sizeof(nameb), "%s.helm.valueFiles[%zu]", name, i);
		v_at(v, ptrb, nameb);
		if (strncmp(s, "http://", 7) == 0 ||
		    strncmp(s, "https://", 8) == 0)
			continue;
		if (s[0] == '$') {
			slash = strchr(s, '/');
			if (slash == NULL || slash[1] == '\0') {
				v_fail(v, "%s: want $ref/path", s);
				continue;
			}
			if (!v_has_ref(sources, s + 1, (size_t)(slash - s - 1)))
				v_fail(v, "%s: no source has ref \"%.*s\"", s,
				    (int)(slash - s - 1), s + 1);
			else if (gd_catalog_path_join(&p, "", slash + 1) < 0)
				v_fail(v, "%s: leaves the repository", s);
			else
				free(p);
			continue;
		}
		if (s[0] == '/') {
			v_fail(v, "%s: absolute paths are refused", s);
			continue;
		}
		/* relative to the chart in git, or to the app's folder */
		base = json_is_string(path) &&
			json_object_get(src, "chart") == NULL ?
		    json_string_value(path) :
		    NULL;
		dir = base != NULL ? xstrdup(base) : v_dirname(v->file);
		if (gd_catalog_path_join(&q, dir, s) < 0)
			v_fail(v, "%s: leaves the repository", s);
		else
			free(q);
		free(dir);
	}
}

static void
v_source_rules(struct vctx *v, const json_t *src, const json_t *sources,
    const char *ptr, const char *name, bool multi)
{
	char p[256], n[256];
	json_t *repo = json_object_get(src, "repoURL");
	json_t *ref = json_object_get(src, "ref");
	const char *c;

	if (!json_is_object(src))
		return;
	if (!json_is_string(repo) || json_string_length(repo) == 0) {
		snprintf(p, sizeof(p), "%s/repoURL", ptr);
		snprintf(n, sizeof(n), "%s.repoURL", name);
		v_at(v, repo != NULL ? p : ptr, repo != NULL ? n : name);
		if (repo == NULL)
			v_fail(v, "repoURL is required");
		else if (json_is_string(repo))
			v_fail(v, "must not be empty");
	}
	if (json_object_get(src, "chart") != NULL &&
	    json_object_get(src, "path") != NULL) {
		v_at(v, ptr, name);
		v_fail(v,
		    "set chart (a Helm repository) or path (a git "
		    "repository), not both");
	}
	if (json_is_string(ref)) {
		snprintf(p, sizeof(p), "%s/ref", ptr);
		snprintf(n, sizeof(n), "%s.ref", name);
		v_at(v, p, n);
		if (!multi)
			v_fail(v, "ref is only meaningful in spec.sources");
		for (c = json_string_value(ref); *c != '\0'; c++)
			if (!isalnum((unsigned char)*c) && *c != '-' &&
			    *c != '_')
				break;
		if (*c != '\0' || json_string_length(ref) == 0)
			v_fail(v, "\"%s\": letters, digits, '-' and '_' only",
			    json_string_value(ref));
		if (json_object_get(src, "chart") != NULL)
			v_fail(v, "a ref source must not set chart");
	}
	v_value_files(v, src, sources, ptr, name);
}

static void
v_app_rules(struct vctx *v, const json_t *doc)
{
	json_t *spec = json_object_get(doc, "spec");
	json_t *source = json_object_get(spec, "source");
	json_t *sources = json_object_get(spec, "sources");
	json_t *dst = json_object_get(spec, "destination");
	json_t *opts, *o, *rhl, *s;
	char p[64], n[64];
	size_t i;

	if (!json_is_object(spec)) {
		if (spec == NULL) {
			v_at(v, "", "spec");
			v_fail(v, "required");
		}
		return;
	}
	v_at(v, "/spec", "spec");
	if (source != NULL && sources != NULL)
		v_fail(v, "set source or sources, not both");
	else if (source == NULL && sources == NULL)
		v_fail(v, "source or sources is required");
	else if (json_is_array(sources) && json_array_size(sources) == 0) {
		v_at(v, "/spec/sources", "spec.sources");
		v_fail(v, "must not be empty");
	}
	v_source_rules(v, source, NULL, "/spec/source", "spec.source", false);
	if (json_is_array(sources))
		json_array_foreach(sources, i, s) {
			snprintf(p, sizeof(p), "/spec/sources/%zu", i);
			snprintf(n, sizeof(n), "spec.sources[%zu]", i);
			v_source_rules(v, s, sources, p, n, true);
		}
	if (dst == NULL) {
		v_at(v, "/spec", "spec");
		v_fail(v, "destination is required");
	} else if (json_is_object(dst)) {
		v_at(v, "/spec/destination", "spec.destination");
		if (json_object_get(dst, "server") != NULL &&
		    json_object_get(dst, "name") != NULL)
			v_fail(v, "set server or name, not both");
		else if (json_object_get(dst, "server") == NULL &&
		    json_object_get(dst, "name") == NULL)
			v_fail(v, "server or name is required");
	}
	opts =
	    json_object_get(json_object_get(spec, "syncPolicy"), "syncOptions");
	json_array_foreach(opts, i, o) {
		if (!json_is_string(o) ||
		    strchr(json_string_value(o), '=') == NULL ||
		    json_string_value(o)[0] == '=') {
			if (!json_is_string(o))
				continue;
			snprintf(p, sizeof(p),
			    "/spec/syncPolicy/syncOptions/%zu", i);
			snprintf(n, sizeof(n),
			    "spec.syncPolicy.syncOptions[%zu]", i);
			v_at(v, p, n);
			v_fail(
			    v, "\"%s\": want Name=value", json_string_value(o));
		}
	}
	rhl = json_object_get(spec, "revisionHistoryLimit");
	if (json_is_integer(rhl) && json_integer_value(rhl) < 0) {
		v_at(v, "/spec/revisionHistoryLimit",
		    "spec.revisionHistoryLimit");
		v_fail(v, "must not be negative");
	}
}

void
gd_catalog_validate(json_t *problems, const json_t *doc, const json_t *marks,
    const char *file, bool project)
{
	struct vctx v;

	memset(&v, 0, sizeof(v));
	v.problems = problems;
	v.marks = marks;
	v.file = file;
	gd_buf_init(&v.ptr);
	gd_buf_init(&v.name);
	gd_buf_adds(&v.ptr, "");
	gd_buf_adds(&v.name, "");
	v_check(&v, VT_OBJ, project ? v_proj : v_app, doc);
	v_metadata_rules(&v, doc);
	if (!project)
		v_app_rules(&v, doc);
	else if (json_object_get(doc, "spec") == NULL) {
		v_at(&v, "", "spec");
		v_fail(&v, "required");
	}
	gd_buf_dispose(&v.ptr);
	gd_buf_dispose(&v.name);
}

int
gd_catalog_path_join(char **out, const char *dir, const char *rel)
{
	struct gd_buf b;
	const char *p, *q;
	size_t n, *stops = NULL, nstops = 0;
	int rc = 0, pass;

	*out = NULL;
	if (rel[0] == '/' || rel[0] == '\0')
		return -1;
	gd_buf_init(&b);
	stops =
	    xreallocarray(NULL, strlen(dir) + strlen(rel) + 2, sizeof(*stops));
	/* each part of dir, then of rel, onto a stack of parts */
	for (pass = 0; pass < 2 && rc == 0; pass++) {
		for (p = pass == 0 ? dir : rel; *p != '\0'; p = q) {
			q = strchr(p, '/');
			n = q != NULL ? (size_t)(q - p) : strlen(p);
			q = q != NULL ? q + 1 : p + n;
			if (n == 0 || (n == 1 && p[0] == '.'))
				continue;
			if (n == 2 && p[0] == '.' && p[1] == '.') {
				if (nstops == 0) {
					rc = -1;
					break;
				}
				b.len = stops[--nstops];
				b.data[b.len] = '\0';
				continue;
			}
			stops[nstops++] = b.len;
			if (b.len > 0)
				gd_buf_addc(&b, '/');
			gd_buf_add(&b, p, n);
		}
	}
	free(stops);
	if (rc == 0 && b.len > 0)
		*out = gd_buf_detach(&b, NULL);
	else
		rc = -1;
	gd_buf_dispose(&b);
	return rc;
}
