/* SPDX-License-Identifier: ISC */
/*
 * source: what an Application deploys. Each of its sources (spec.source,
 * or every spec.sources[] entry that is not only a "ref") becomes the
 * list of Kubernetes objects it renders to, decided as Argo CD decides:
 * a chart from an OCI registry or a Helm repository (through the chart
 * store, gd_helm_pull), a folder of a git repository holding Chart.yaml
 * (a chart read from git), or a folder of plain YAML/JSON manifests.
 * Kustomize, jsonnet and plugins are refused with a clear error.
 *
 * Helm inputs follow Argo CD: value files in order (catalog lookup
 * order, $ref sources), helm.values / helm.valuesObject, parameters
 * (--set / --set-string), fileParameters, skipCrds, skipTests,
 * kubeVersion and apiVersions. Results are cached by what they depend on
 * (chart digest or git tree id, the merged values, release name,
 * namespace, kube version, API versions), so an unchanged app is not
 * rendered again; a hard refresh bypasses the cache.
 *
 * A struct gd_source is shared by every worker thread: it holds no
 * per-call state outside its locks.
 */
#ifndef GITOPSD_SOURCE_H
#define GITOPSD_SOURCE_H

#include "gitopsd/catalog.h"
#include "gitopsd/conf.h"
#include "gitopsd/core.h"
#include "gitopsd/helm.h"
#include "gitopsd/repo.h"

struct gd_source;

struct gd_source_opts {
	const struct gd_conf *conf; /* borrowed; registries, poll interval */
	const char *data_dir; /* mirrors of source repositories; NULL: conf */
	struct gd_repo *gitops; /* borrowed; the poller fetches it */
	struct gd_helm_pull *pull; /* borrowed; NULL: registry charts fail */
	size_t cache_max; /* rendered results kept; 0: render_cache_max */
};

int gd_source_new(
    struct gd_source **out, const struct gd_source_opts *, struct gd_err *);
void gd_source_free(struct gd_source *);
/*
 * Uses repo (borrowed, fetched by its owner) for every source whose
 * repoURL has the same gd_repo_url_key, instead of a mirror of its own.
 */
void gd_source_add_repo(struct gd_source *, struct gd_repo *repo);

#define GD_SOURCE_HARD 0x1 /* bypass the render cache, pull again */

struct gd_source_req {
	const char *app; /* the Application's name in the catalog */
	const char *revision; /* NULL: the source's targetRevision */
	/* the destination cluster's, used unless helm.kubeVersion is set */
	const char *kube_version; /* NULL: v1.20.0 */
	const char *const *api_versions; /* "group/version" */
	size_t napi_versions;
	unsigned flags; /* GD_SOURCE_* */
};

/*
 * Renders the app of catalog cat. *out is an immutable object (shared:
 * never modify it):
 *   "objects":     the objects, each source's in order (helm's install
 *                  order for a chart, path then document order for a
 *                  folder), List kinds flattened
 *   "revision":    the first source's chart version or commit sha
 *   "revisions":   every source's, in spec order (ref sources too)
 *   "sourceType":  "Helm" or "Directory" (of the first rendered source)
 *   "sourceTypes": every rendered source's
 *   "key":         digest of every input: equal keys, equal objects
 *   "namespace", "server": the destination
 * On failure err names the source ("oci://harbor.local/charts/myapp:
 * 1.3.0: manifest unknown", "apps/x/y.yaml: document 2: not a Kubernetes
 * object: missing kind"); the last good result stays available with
 * gd_source_last_good.
 */
int gd_source_render(json_t **out, struct gd_source *,
    const struct gd_catalog *cat, const struct gd_source_req *,
    struct gd_err *);
/* The app's last successful result (a new reference), or NULL. */
json_t *gd_source_last_good(struct gd_source *, const char *app);

struct gd_source_stats {
	unsigned long renders; /* sources rendered (cache misses) */
	unsigned long hits; /* sources served from the cache */
	unsigned long evictions;
	size_t entries;
};

void gd_source_stats(struct gd_source *, struct gd_source_stats *out);

/*
 * The manifest-file parser: appends to objs (an array) every object of
 * file (name in messages; ".json" files hold one JSON object, others are
 * multi-document YAML). Empty documents are dropped, Lists (objects with
 * an "items" array, as Argo CD reads them) flattened; every object must
 * have apiVersion, kind and metadata.name (or generateName), else
 * GD_EINVAL "file: document N: not a Kubernetes object: missing kind",
 * and objs is left as it was.
 */
int gd_source_parse_manifests(json_t *objs, const char *file, const char *buf,
    size_t len, struct gd_err *);

/*
 * Argo CD's directory include/exclude globs (gobwas/glob without
 * separators): "*" and "?" also cross "/", "[a-z]", "[!x]", "{a,b}"
 * alternatives, "\" escapes.
 */
bool gd_source_glob_match(const char *pattern, const char *path);

/*
 * `gitopsd render --app NAME -c CONFIG [--kube-version V]
 * [--api-versions G/V]... [--hard]`: argv[0] is "render". Exit status.
 */
int gd_source_render_main(int argc, char **argv);

#endif /* GITOPSD_SOURCE_H */
