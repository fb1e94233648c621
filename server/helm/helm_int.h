/* SPDX-License-Identifier: ISC */
/*
 * Private to server/helm: the loaded chart, and what the files of the
 * module share (values, functions, the render's top objects).
 */
#ifndef GITOPSD_HELM_INT_H
#define GITOPSD_HELM_INT_H

#include "gitopsd/helm.h"
#include "gitopsd/tmpl.h"
#include "gitopsd/ydoc.h"

/* Limits on what a chart may hold (Helm v3's loader defaults). */
#define HELM_MAX_FILE  (5 << 20)
#define HELM_MAX_TOTAL (100 << 20)
#define HELM_MAX_FILES 10000

struct helm_file {
	char *name; /* relative to the chart: "templates/a.yaml" */
	char *data;
	size_t len;
};

struct helm_files {
	struct helm_file *v;
	size_t n, cap;
};

struct gd_helm_chart {
	json_t *meta; /* Chart.yaml, with Helm's string fields as strings */
	json_t *values; /* values.yaml, every number a float64 (real) */
	struct helm_files templates;
	struct helm_files crds;
	struct helm_files files; /* what .Files sees */
	struct gd_helm_chart **deps;
	size_t ndeps;
	struct gd_helm_chart *parent;
	char *path; /* "parent/charts/name": template names start with it */
	/*
	 * What the root's renders keep for the next (render.c): the parsed
	 * templates and the coalesced values. Safe to share between threads
	 * rendering the chart at once; NULL until the first render.
	 */
	struct helm_rcache *rcache;
	struct helm_schema *schema; /* values.schema.json, or NULL (schema.c) */
	int refs; /* extra references (gd_helm_chart_ref), root only */
};

struct helm_rcache;
/* Frees what gd_helm_render kept in a chart (NULL is fine). */
void helm_render_cache_free(struct helm_rcache *);

void helm_files_add(
    struct helm_files *, const char *name, const char *data, size_t len);
void helm_files_dispose(struct helm_files *);
/* Builds a chart from a chart's files (names relative to its root). */
int helm_chart_from_files(struct gd_helm_chart **out, const struct helm_files *,
    struct gd_helm_chart *parent, struct gd_err *);
/* A chart from a .tgz held in memory (archive.c). */
int helm_archive_load(struct gd_helm_chart **out, const char *data, size_t len,
    struct gd_helm_chart *parent, struct gd_err *);
const char *helm_chart_meta_str(const struct gd_helm_chart *, const char *);

/*
 * Chart.yaml's kubeVersion against the Capabilities' version, as helm
 * template checks the chart it renders; kube_version NULL is v1.20.0.
 * GD_EINVAL "chart requires kubeVersion: X which is incompatible with
 * Kubernetes Y".
 */
int helm_chart_check_kube(
    const struct gd_helm_chart *, const char *kube_version, struct gd_err *);
/* .Files.Glob's match: gobwas/glob with '/' as the separator (chart.c). */
bool helm_glob_match(const char *pattern, const char *name);

/*
 * sprig_text.c: whether glibc's regcomp could take memory without bound
 * on re (it copies a repeated group's tree for every repetition): stacked
 * quantifiers, counts over 100, more than four repeated groups, or over
 * 1 KiB. Such expressions are refused (templates) or not enforced
 * (schemas) rather than compiled.
 */
bool helm_re_costly(const char *re);

/* schema.c: values.schema.json, kept as read (bad JSON fails at render) */
struct helm_schema *helm_schema_new(const char *text, size_t len);
void helm_schema_free(struct helm_schema *);
/*
 * helm's ValidateAgainstSchema: the coalesced values against the view's
 * schema and each enabled subchart's against its own section. GD_EINVAL
 * with helm's text ("values don't meet the specifications of ...").
 */
int helm_schema_check(
    const struct gd_helm_chart *view, const json_t *vals, struct gd_err *);
/*
 * schema_format.c: whether v passes "format" f as gojsonschema checks it
 * (a name it does not know passes; a number fails any it knows).
 */
bool helm_schema_format_ok(const char *f, const json_t *v);

/* values.c */
/* Every integer in v (recursively) becomes a real: YAML numbers in Helm. */
void helm_values_floats(json_t *v);

/*
 * How Helm reads values files: go-yaml v2 without strict mode, so a
 * duplicate key is not an error and the later one wins.
 */
extern const struct gd_ydoc_limits helm_yaml_limits;
/* One values document (null for an empty file), read as Helm reads it. */
int helm_values_parse(json_t **out, const char *buf, size_t len,
    const char *name, struct gd_err *);
/*
 * Helm's CoalesceValues: user values (consumed) over the chart's
 * defaults and each subchart's, globals copied down. A new object.
 */
json_t *helm_values_coalesce(const struct gd_helm_chart *, json_t *user);
/*
 * ProcessDependencies' condition and tags: enabled[k++] is set for each
 * subchart of c in depth-first order, as cvals (the coalesced values)
 * decide. prefix is the values path of c ("" for the root).
 */
void helm_deps_enabled(const struct gd_helm_chart *, const json_t *cvals,
    const char *prefix, bool *enabled, size_t *k);
/* Helm's MergeTables: dst wins, src fills what dst lacks, nulls kept. */
void helm_values_merge_tables(json_t *dst, json_t *src);
/* The table at a dotted path ("sub.exports.x"), or NULL. Borrowed. */
json_t *helm_values_table(const json_t *v, const char *path);
/* Deep merge of src into dst (later wins, lists replace). */
void helm_values_merge(json_t *dst, const json_t *src);
/* Parses one --set argument into vals. */
int helm_values_set(json_t *vals, const char *arg, struct gd_err *);

/* funcs.c and sprig.c: Helm's and Sprig's function tables */
extern const struct gd_tmpl_func helm_sprig_funcs[];
extern const struct gd_tmpl_func helm_sprig_more[];
/* sprig_text.c: case conversions, regexFind*, seq, paths, sha1sum */
extern const struct gd_tmpl_func helm_sprig_text[];
/* sprig_url.c: urlParse, urlJoin */
extern const struct gd_tmpl_func helm_sprig_url[];
/* sprig_time.c: duration, durationRound */
extern const struct gd_tmpl_func helm_sprig_time[];
/* sprig_crypto.c: bcrypt, htpasswd */
extern const struct gd_tmpl_func helm_sprig_crypto[];
/* sprig_x509.c (GnuTLS): genPrivateKey, genCA, genSelfSignedCert,
 * genSignedCert, encryptAES, decryptAES */
extern const struct gd_tmpl_func helm_sprig_x509[];

#define HELM_RENDER_MAGIC 0x68656c6dU
#define HELM_ERR_START    "HELM_ERR_START"
#define HELM_ERR_END      "HELM_ERR_END"

/* What include and the rand functions need of the render in progress:
 * the execution's ud (gd_tmpl_execute_ud). */
struct helm_render {
	unsigned magic;
	json_t *included; /* name -> nesting count */
	uint64_t rng; /* xorshift state for the rand* functions */
	int64_t now; /* now's Unix time (tests); 0: the system clock */
	/*
	 * include's outputs by template name and dot, reused within the
	 * render while running it again could not differ (see f_include).
	 * Off when the chart changes maps in place.
	 */
	bool memo_on;
	struct helm_memo *memo;
	size_t nmemo;
};

/* Drops the render's include outputs (funcs.c). */
void helm_memo_clear(struct helm_render *);

/*
 * tzif.c: the UTC offset and abbreviation in force at sec in the named
 * zone, from the system's zoneinfo (Go's time.LoadLocation).
 * GD_ENOTFOUND for a zone there is no file for.
 */
int helm_tz_lookup(
    long *off, char abbr[16], const char *zone, int64_t sec, struct gd_err *);

/*
 * toml.c: v as BurntSushi/toml's Encoder writes it (a map, else an
 * error, as toToml prints it), appended to out; and a TOML document
 * (NUL-terminated) as values, a new object, or "toml: line N: ...".
 */
int helm_toml_encode(struct gd_buf *out, const json_t *v, struct gd_err *);
int helm_toml_decode(json_t **out, const char *s, size_t len, struct gd_err *);

/* Helm's own functions (include, tpl, toYaml, ...). */
extern const struct gd_tmpl_func helm_funcs[];
/* Sprig's strval: how Sprig turns any value into a string. */
void helm_strval(struct gd_buf *, const struct gd_tval *);
/*
 * v as plain data for the encoders: host objects (and markers of them
 * inside maps and lists) replaced by their JSON form. A new reference.
 */
json_t *helm_plain(const struct gd_tval *v);
/* toYaml: sigs.k8s.io/yaml Marshal without the final newline. */
void helm_to_yaml(struct gd_buf *, const json_t *);

/* objects.c: .Capabilities, .Files */
struct gd_tmpl_obj *helm_caps_new(
    const char *kube_version, const char *const *apis, size_t napis);
struct gd_tmpl_obj *helm_files_obj_new(const struct helm_files *);

/*
 * semver.c: versions and Masterminds/semver v3 constraints, for choosing
 * chart versions (pull*.c), Chart.yaml's kubeVersion and semverCompare.
 */
struct helm_semver {
	long long v[3];
	char pre[128]; /* prerelease without its "-"; "" for none */
};
struct helm_semver_range;

/* A version as Masterminds' NewVersion reads it ("v1.2", "1.2.3-rc.1"). */
bool helm_semver_parse(struct helm_semver *, const char *);
/* Whether s names one version (x.y.z) rather than a range. */
bool helm_semver_is_exact(const char *s);
int helm_semver_cmp(const struct helm_semver *, const struct helm_semver *);
/* Prerelease order (semver 2.0 §11) of two prereleases without "-". */
int helm_semver_cmp_pre(const char *a, const char *b);
/* "" is "*". GD_EINVAL "improper constraint: ..." when it does not parse. */
int helm_semver_range_new(
    struct helm_semver_range **out, const char *, struct gd_err *);
bool helm_semver_range_match(
    const struct helm_semver_range *, const struct helm_semver *);
void helm_semver_range_free(struct helm_semver_range *);

#endif /* GITOPSD_HELM_INT_H */
