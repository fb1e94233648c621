/* SPDX-License-Identifier: ISC */
/*
 * `gitopsd render --app NAME -c CONFIG`: what an Application would
 * deploy, without a cluster or a running server. It fetches the gitops
 * repository of the config, reads the catalog at its branch, renders the
 * app through the same code as the server and prints the objects as
 * `argocd app manifests` does ("---" then the YAML of each). Errors are
 * "Error: ..." on stderr and exit status 1, as helm's and Argo CD's.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/ydoc.h"
#include "source_int.h"

struct cli_opts {
	const char *app, *config, *kube_version;
	const char **apis;
	size_t napis;
	bool hard;
};

static void
cli_usage(void)
{
	fprintf(stderr,
	    "usage: gitopsd render --app NAME -c CONFIG [--kube-version V] "
	    "[--api-versions G/V]... [--hard]\n");
}

static int
cli_parse(struct cli_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "app", required_argument, NULL, 'a' },
		{ "config", required_argument, NULL, 'c' },
		{ "kube-version", required_argument, NULL, 'k' },
		{ "api-versions", required_argument, NULL, 'A' },
		{ "hard", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "a:c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			o->app = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'k':
			o->kube_version = optarg;
			break;
		case 'A':
			o->apis = xreallocarray(
			    o->apis, o->napis + 1, sizeof(*o->apis));
			o->apis[o->napis++] = optarg;
			break;
		case 'H':
			o->hard = true;
			break;
		default:
			return -1;
		}
	}
	return o->app != NULL && o->config != NULL && optind == argc ? 0 : -1;
}

/* The catalog at the tip of the configured gitops branch. */
static int
cli_catalog(struct gd_catalog **out, struct gd_repo **repo,
    const struct gd_conf *conf, struct gd_err *err)
{
	char sha[GD_SHA_LEN];
	int rc;

	if (conf->gitops.repo == NULL)
		return gd_err_set(
		    err, GD_EINVAL, "%s: gitops.repo is not set", conf->path);
	if ((rc = gd_repo_open(
		 repo, conf->data_dir, conf->gitops.repo, conf, err)) < 0 ||
	    (rc = gd_repo_fetch(*repo, err)) < 0 ||
	    (rc = gd_repo_resolve(sha, *repo, conf->gitops.branch, err)) < 0)
		return rc;
	return gd_catalog_load(
	    out, *repo, sha, (const char *const *)conf->gitops.include, err);
}

static void
cli_print(const json_t *res)
{
	struct gd_buf b;
	json_t *o;
	size_t i;

	gd_buf_init(&b);
	json_array_foreach(json_object_get(res, "objects"), i, o) {
		gd_buf_reset(&b);
		gd_ydoc_emit(&b, o);
		printf("---\n%s\n", b.data);
	}
	gd_buf_dispose(&b);
}

int
gd_source_render_main(int argc, char **argv)
{
	struct cli_opts o;
	struct gd_conf *conf = NULL;
	struct gd_repo *repo = NULL;
	struct gd_catalog *cat = NULL;
	struct gd_helm_pull *pull = NULL;
	struct gd_source *src = NULL;
	struct gd_source_opts so;
	struct gd_source_req rq;
	struct gd_err err;
	json_t *res = NULL;
	char *charts = NULL;
	int rc = 1;

	gd_core_init_json();
	gd_err_clear(&err);
	if (cli_parse(&o, argc, argv) < 0) {
		cli_usage();
		free(o.apis);
		return 2;
	}
	gd_repo_lib_init();
	if (gd_conf_load(&conf, o.config, &err) < 0 ||
	    gd_path_mkdirs(conf->data_dir, &err) < 0 ||
	    gd_repo_lib_trust(conf, conf->data_dir, &err) < 0 ||
	    cli_catalog(&cat, &repo, conf, &err) < 0)
		goto out;
	xasprintf(&charts, "%s/charts", conf->data_dir);
	if (gd_helm_pull_new(&pull, conf, charts, &err) < 0)
		goto out;
	memset(&so, 0, sizeof(so));
	so.conf = conf;
	so.gitops = repo;
	so.pull = pull;
	memset(&rq, 0, sizeof(rq));
	rq.app = o.app;
	rq.kube_version = o.kube_version;
	rq.api_versions = o.apis;
	rq.napi_versions = o.napis;
	rq.flags = o.hard ? GD_SOURCE_HARD : 0;
	if (gd_source_new(&src, &so, &err) < 0 ||
	    gd_source_render(&res, src, cat, &rq, &err) < 0)
		goto out;
	cli_print(res);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "Error: %s\n", err.msg);
	json_decref(res);
	gd_source_free(src);
	gd_helm_pull_free(pull);
	gd_catalog_unref(cat);
	gd_repo_free(repo);
	gd_repo_lib_shutdown();
	gd_conf_free(conf);
	free(charts);
	free(o.apis);
	return rc;
}
