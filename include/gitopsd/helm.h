/* SPDX-License-Identifier: ISC */
/*
 * helm: renders Helm charts as `helm template` does, with no helm binary.
 *
 * A chart is loaded from a directory (its subcharts from charts/ with
 * it), values are coalesced as Helm v3 does (chart defaults, then value
 * files and --set in order, subchart sections and globals), every
 * template runs on tmpl with Helm's and Sprig's functions, and the
 * rendered files are split into documents, sorted in Helm's install
 * order and printed with "# Source:" headers. The result is both the
 * text `helm template` prints and the parsed objects.
 */
#ifndef GITOPSD_HELM_H
#define GITOPSD_HELM_H

#include "gitopsd/conf.h"
#include "gitopsd/core.h"
#include "gitopsd/tmpl.h"

struct gd_helm_chart;

/*
 * Loads the chart at path, a directory or a .tgz archive, and its
 * subcharts; Chart.yaml is validated.
 */
int gd_helm_chart_load(
    struct gd_helm_chart **out, const char *path, struct gd_err *);
/* Loads a chart from a .tgz held in memory (entries under one folder). */
int gd_helm_chart_load_archive(
    struct gd_helm_chart **out, const void *data, size_t len, struct gd_err *);
/* One file of a chart held in memory, name relative to the chart root. */
struct gd_helm_file {
	const char *name; /* "templates/deployment.yaml" */
	const void *data;
	size_t len;
};
/*
 * Loads a chart from its files (a chart folder read out of git, say), as
 * from a directory: .helmignore applies, subcharts come from charts/.
 */
int gd_helm_chart_load_files(struct gd_helm_chart **out,
    const struct gd_helm_file *files, size_t n, struct gd_err *);
/* Another reference to a chart; each one is given back with _free. */
struct gd_helm_chart *gd_helm_chart_ref(struct gd_helm_chart *);
void gd_helm_chart_free(struct gd_helm_chart *);
/*
 * Appends the file name (relative to the chart root) of chart c to out:
 * a value file shipped in a pulled chart, say. values.yaml and Chart.yaml
 * come back as JSON (they are kept parsed). GD_ENOTFOUND when absent.
 */
int gd_helm_chart_read_file(struct gd_buf *out, const struct gd_helm_chart *,
    const char *name, struct gd_err *);
/* The chart's name (Chart.yaml "name"). */
const char *gd_helm_chart_name(const struct gd_helm_chart *);

/*
 * Values as `helm template` builds them from the command line: each file
 * of files in order (deep merge, later wins), then each --set string in
 * order ("a.b=c,d=1": Helm's typed strvals). *out is a new object.
 */
int gd_helm_values_build(json_t **out, const char *const *files, size_t nfiles,
    const char *const *sets, size_t nsets, struct gd_err *);
/* The flag a command-line value came from; each is read as Helm does. */
enum gd_helm_set_kind {
	GD_HELM_SET, /* --set a.b[0]=1: typed (int64, bool, null) */
	GD_HELM_SET_STRING, /* --set-string: every value a string */
	GD_HELM_SET_FILE, /* --set-file k=path: the file's text */
	GD_HELM_SET_JSON, /* --set-json k=<json>, or one JSON object */
	GD_HELM_SET_LITERAL, /* --set-literal k=v: v verbatim, commas too */
};
struct gd_helm_set {
	enum gd_helm_set_kind kind;
	const char *arg;
};
/*
 * gd_helm_values_build with every kind of flag, applied in Helm's order
 * whatever the order given: files, then --set-json, --set, --set-string,
 * --set-file, --set-literal. --set-file paths are opened as given.
 */
int gd_helm_values_build_sets(json_t **out, const char *const *files,
    size_t nfiles, const struct gd_helm_set *sets, size_t nsets,
    struct gd_err *);
/*
 * The same pieces for values read elsewhere (an Application's value files
 * and helm.values/valuesObject): merge_yaml reads one values document as
 * `-f` does (every number a float64, maps merge, later wins; a document
 * that is not a map is an error naming name), merge_object does the same
 * for values already parsed, and apply_sets applies --set kinds onto vals
 * in Helm's order, so "list[1]=x" edits a list a value file gave.
 */
int gd_helm_values_merge_yaml(json_t *vals, const char *buf, size_t len,
    const char *name, struct gd_err *);
void gd_helm_values_merge_object(json_t *vals, const json_t *obj);
int gd_helm_values_apply_sets(json_t *vals, const struct gd_helm_set *sets,
    size_t nsets, struct gd_err *);

struct gd_helm_opts {
	const char *release_name; /* default "release-name" */
	const char *ns; /* default "default" */
	const char *kube_version; /* default "v1.20.0" */
	const char *const *api_versions; /* extra ones, "group/version" */
	size_t napi_versions;
	bool is_upgrade;
	bool include_crds;
	bool skip_tests;
	bool no_hooks;
	const char *const *show_only; /* paths or globs under the chart */
	size_t nshow_only;
	const struct gd_tmpl_limits *limits; /* NULL: tmpl's defaults */
	uint64_t seed; /* rand* and uuidv4; 0 seeds from the system */
	int64_t now; /* what now returns, Unix seconds; 0: the clock */
	/*
	 * helm --debug: when a rendered file is not YAML, the result's
	 * text still holds every rendered file, as helm prints them.
	 */
	bool debug;
	/* helm --skip-schema-validation: values.schema.json is not checked */
	bool skip_schema_validation;
	/*
	 * Runs every include, reusing no output (see f_include): for the
	 * test that the reuse changes nothing.
	 */
	bool no_include_memo;
};

struct gd_helm_result {
	char *text; /* what `helm template` prints */
	json_t *objects; /* array of the manifests and hooks, in that order */
	char *notes; /* the root chart's rendered NOTES.txt, or NULL */
};

/*
 * Renders chart with the user's values (NULL for none). On failure err
 * holds what helm would print after "Error: ". The parsed templates and
 * the last coalesced values are cached in chart for the next render;
 * several threads may render one chart at once (the cache is swapped
 * under a lock and never changed once published).
 */
int gd_helm_render(struct gd_helm_result *out,
    const struct gd_helm_chart *chart, const json_t *values,
    const struct gd_helm_opts *, struct gd_err *);
void gd_helm_result_dispose(struct gd_helm_result *);

/* --- charts from OCI registries and Helm repositories (pull*.c) ----------
 *
 * The chart store keeps every chart archive it pulled under dir, named by
 * the sha256 of its bytes, evicts the least recently used past the
 * config's chart_cache_max, loads each archive once and shares the loaded
 * chart between every app that uses it. A tag or version that still
 * resolves to the same digest downloads nothing more; concurrent pulls of
 * one chart make one download. Registries, their endpoints (aliases) and
 * credentials, and Helm repositories' credentials come from the config.
 */
struct gd_helm_pull;

/*
 * Opens (creating it) the store in dir and takes in what an earlier run
 * left there. The config is borrowed and must outlive the store. Every
 * function may be called from any number of threads.
 */
int gd_helm_pull_new(struct gd_helm_pull **out, const struct gd_conf *,
    const char *dir, struct gd_err *);
void gd_helm_pull_free(struct gd_helm_pull *);

#define GD_HELM_PULL_HARD 0x1 /* ask the server again, bypass memos */

struct gd_helm_pulled {
	char *digest; /* "sha256:<hex>" of the chart archive */
	char *version; /* the chart version chosen (a range resolved) */
	char *ref; /* "oci://harbor.local/charts/myapp:1.3.0", for messages */
	struct gd_helm_chart *chart; /* a reference: _dispose gives it back */
};

/*
 * Resolves a chart source: repo_url "oci://host[:port]/path" or a Helm
 * repository "http(s)://...", chart the chart's name, revision an exact
 * version, a semver range ("1.3.*", "^1.2", ">=1.2.0 <2.0.0"; empty is
 * "*") or, for OCI, a digest "sha256:...". Downloads what the store lacks
 * and checks its digest. Errors name the ref and what went wrong:
 * "oci://harbor.local/charts/myapp:1.3.0: manifest unknown".
 */
int gd_helm_pull(struct gd_helm_pull *, const char *repo_url, const char *chart,
    const char *revision, unsigned flags, struct gd_helm_pulled *out,
    struct gd_err *);
void gd_helm_pulled_dispose(struct gd_helm_pulled *);

/* What the store did since it was made (benchmarks, tests, metrics). */
struct gd_helm_pull_stats {
	unsigned long requests; /* HTTP requests sent */
	unsigned long downloads; /* chart archives fetched */
	unsigned long hits; /* pulls answered without a download */
	unsigned long corrupt; /* stored archives found damaged */
	unsigned long evictions; /* archives removed past chart_cache_max */
	size_t files; /* archives on disk */
	size_t bytes; /* their size */
};

void gd_helm_pull_stats(struct gd_helm_pull *, struct gd_helm_pull_stats *out);

/* `gitopsd render CHART [flags]`: argv[0] is "render". Exit status. */
int gd_helm_render_main(int argc, char **argv);

#endif /* GITOPSD_HELM_H */
