/* SPDX-License-Identifier: ISC */
/*
 * gitopsd: argv, signals and wiring; the only file that sees every
 * module. Start-up order matters: the config is read and checked first
 * (so -n needs no data dir), then the data dir is made and proven
 * writable, the store opened and operations a crash left running are
 * marked failed, and only then does the API bind its port. SIGINT and
 * SIGTERM are blocked in every thread and taken with sigwait here, so
 * shutdown runs on this thread in the reverse order: the API first (in-
 * flight requests finish), then the git poller (a fetch in progress
 * ends) and the catalog, then the store.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gitopsd/api.h"
#include "gitopsd/catalog.h"
#include "gitopsd/conf.h"
#include "gitopsd/helm.h"
#include "gitopsd/kube.h"
#include "gitopsd/repo.h"
#include "gitopsd/source.h"
#include "gitopsd/store.h"

struct main_opts {
	const char *config;
	const char *listen;
	const char *data_dir;
	const char *web_root;
	int verbose;
	bool check_only;
};

static void
main_usage(FILE *f)
{
	fprintf(f,
	    "usage: gitopsd [-nv] [-c FILE] [--listen HOST:PORT] "
	    "[--data-dir DIR] [--web-root DIR]\n"
	    "       gitopsd -h [config]\n"
	    "       gitopsd version\n"
	    "\n"
	    "  -c, --config FILE    read the configuration from FILE\n"
	    "  -l, --listen ADDR    address of the UI and API "
	    "(default 127.0.0.1:8080)\n"
	    "  -d, --data-dir DIR   database, mirrors and caches "
	    "(default ./data)\n"
	    "  -w, --web-root DIR   serve the UI from DIR instead of the "
	    "built-in copy\n"
	    "  -n, --check          check the configuration and exit\n"
	    "  -v, --verbose        log more (repeat for debug)\n"
	    "  -h, --help [config]  this help, or every configuration key\n"
	    "\n"
	    "Flags override the file. See README.md for the file's format.\n");
}

static int
main_version(void)
{
	printf("gitopsd v%s (commit %s, built %s)\n", PACKAGE_VERSION,
	    GD_GIT_COMMIT, GD_BUILD_DATE);
	return 0;
}

static int
main_help_config(void)
{
	struct gd_buf b;

	gd_buf_init(&b);
	gd_conf_describe(&b);
	fputs(b.data, stdout);
	gd_buf_dispose(&b);
	return 0;
}

/* Flags win over the file. */
static void
main_override(struct gd_conf *conf, const struct main_opts *o)
{
	if (o->listen != NULL) {
		free(conf->listen);
		conf->listen = xstrdup(o->listen);
	}
	if (o->data_dir != NULL) {
		free(conf->data_dir);
		conf->data_dir = xstrdup(o->data_dir);
	}
	if (o->web_root != NULL) {
		free(conf->web_root);
		conf->web_root = xstrdup(o->web_root);
	}
	if (o->verbose > 0)
		conf->log_level = GD_LOG_INFO + o->verbose;
}

/* Makes the data dir and proves it writable, with a message that says so. */
static int
main_data_dir(const char *dir, struct gd_err *err)
{
	char *probe = NULL;
	int fd, rc;

	if ((rc = gd_path_mkdirs(dir, err)) < 0)
		return gd_err_wrap(err, "data dir");
	xasprintf(&probe, "%s/.write-test", dir);
	if ((fd = open(
		 probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
		rc = gd_err_set(err, GD_EINVAL,
		    "data dir %s is not writable: %s", dir, strerror(errno));
	else {
		close(fd);
		unlink(probe);
	}
	free(probe);
	return rc;
}

/* The gitops repository, its poller and the catalog it feeds (issue #3). */
struct main_gitops {
	struct gd_repo *repo;
	struct gd_catalog_cell *cell;
	struct gd_catalog_follow *follow;
	struct gd_repo_poller *poller;
};

/* Opens the mirror and starts polling; nothing when no repo is set. */
static int
main_gitops_start(
    struct main_gitops *g, const struct gd_conf *conf, struct gd_err *err)
{
	int rc;

	memset(g, 0, sizeof(*g));
	g->cell = gd_catalog_cell_new();
	if (conf->gitops.repo == NULL) {
		log_info("gitopsd: no gitops.repo configured; the catalog is "
			 "empty");
		return 0;
	}
	if ((rc = gd_repo_open(
		 &g->repo, conf->data_dir, conf->gitops.repo, conf, err)) < 0)
		return gd_err_wrap(err, "gitops repo");
	g->follow = gd_catalog_follow_new(g->repo, conf->gitops.branch,
	    (const char *const *)conf->gitops.include, g->cell);
	if ((rc = gd_repo_poller_new(&g->poller, conf->poll_interval,
		 gd_catalog_follow_poll, g->follow, err)) < 0)
		return rc;
	gd_repo_poller_add(g->poller, g->repo);
	log_info("gitopsd: following %s branch %s every %lds",
	    gd_repo_display_url(g->repo), conf->gitops.branch,
	    conf->poll_interval);
	return 0;
}

/* The poller first (a fetch in progress ends), then what it fed. */
static void
main_gitops_stop(struct main_gitops *g)
{
	gd_repo_poller_free(g->poller);
	gd_catalog_follow_free(g->follow);
	gd_catalog_cell_free(g->cell);
	gd_repo_free(g->repo);
	memset(g, 0, sizeof(*g));
}

static int
main_run(struct gd_conf *conf)
{
	struct main_gitops gitops;
	struct gd_source_opts so;
	struct gd_source *source = NULL;
	struct gd_api_env env;
	struct gd_api_opts ao;
	struct gd_store *store = NULL;
	struct gd_api *api = NULL;
	struct gd_err err;
	char *dbpath = NULL, *charts = NULL;
	sigset_t set;
	int sig, n, rc = 1;

	gd_err_clear(&err);
	memset(&gitops, 0, sizeof(gitops));
	memset(&so, 0, sizeof(so));
	gd_repo_lib_init();
	/* libcurl (kube, chart pulls) is set up once, before any thread */
	gd_kube_global_init();
	if (main_data_dir(conf->data_dir, &err) < 0)
		goto fail;
	xasprintf(&dbpath, "%s/gitopsd.db", conf->data_dir);
	if (gd_store_open(&store, dbpath, &err) < 0)
		goto fail;
	if ((n = gd_store_op_recover(store, &err)) < 0)
		goto fail;
	if (n > 0)
		log_warnx("store: %d operation(s) were running when gitopsd "
			  "stopped; marked Error",
		    n);

	/* Before any thread starts, so every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (gd_repo_lib_trust(conf, conf->data_dir, &err) < 0 ||
	    main_gitops_start(&gitops, conf, &err) < 0)
		goto fail;
	xasprintf(&charts, "%s/charts", conf->data_dir);
	so.conf = conf;
	so.gitops = gitops.repo;
	if (gd_helm_pull_new(&so.pull, conf, charts, &err) < 0 ||
	    gd_source_new(&source, &so, &err) < 0)
		goto fail;
	memset(&env, 0, sizeof(env));
	env.source = source;
	env.catalog = gitops.cell;
	env.gitops = gitops.repo;
	env.poller = gitops.poller;
	env.conf = conf;

	memset(&ao, 0, sizeof(ao));
	ao.env = &env;
	ao.listen = conf->listen;
	ao.web_root = conf->web_root;
	ao.max_body = (size_t)conf->max_body;
	ao.threads = (unsigned)conf->http_threads;
	if (gd_api_new(&api, &ao, &err) < 0 || gd_api_start(api, &err) < 0)
		goto fail;
	log_info("gitopsd: v%s listening on %s (port %d), data in %s",
	    PACKAGE_VERSION, conf->listen, gd_api_port(api), conf->data_dir);

	if (sigwait(&set, &sig) != 0)
		sig = SIGTERM;
	log_info("gitopsd: %s received, stopping", strsignal(sig));
	rc = 0;
	goto out;
fail:
	log_warnx("gitopsd: %s", err.msg);
out:
	if (api != NULL)
		gd_api_stop(api);
	gd_api_free(api);
	gd_source_free(source);
	gd_helm_pull_free(so.pull);
	main_gitops_stop(&gitops);
	gd_repo_lib_shutdown();
	gd_store_close(store);
	free(dbpath);
	free(charts);
	if (rc == 0)
		log_info("gitopsd: stopped");
	return rc;
}

/* `render --app NAME` renders an Application; without it, a chart. */
static bool
main_render_app(int argc, char **argv)
{
	int i;

	for (i = 2; i < argc; i++)
		if (strcmp(argv[i], "--app") == 0 ||
		    strncmp(argv[i], "--app=", 6) == 0)
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "web-root", required_argument, NULL, 'w' },
		{ "check", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct main_opts o;
	struct gd_conf *conf = NULL;
	struct gd_err err;
	int ch, rc;

	gd_core_init_json();
	log_init(GD_LOG_INFO);
	memset(&o, 0, sizeof(o));
	if (argc > 1 && strcmp(argv[1], "version") == 0)
		return main_version();
	if (argc > 1 && strcmp(argv[1], "render") == 0)
		return main_render_app(argc, argv) ?
		    gd_source_render_main(argc - 1, argv + 1) :
		    gd_helm_render_main(argc - 1, argv + 1);
	while ((ch = getopt_long(argc, argv, "c:l:d:w:nvhV", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			o.config = optarg;
			break;
		case 'l':
			o.listen = optarg;
			break;
		case 'd':
			o.data_dir = optarg;
			break;
		case 'w':
			o.web_root = optarg;
			break;
		case 'n':
			o.check_only = true;
			break;
		case 'v':
			o.verbose++;
			break;
		case 'h':
			if (optind < argc &&
			    strcmp(argv[optind], "config") == 0)
				return main_help_config();
			main_usage(stdout);
			return 0;
		case 'V':
			return main_version();
		default:
			main_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(
		    stderr, "gitopsd: unknown command \"%s\"\n", argv[optind]);
		main_usage(stderr);
		return 2;
	}

	gd_err_clear(&err);
	if (o.config != NULL) {
		if (gd_conf_load(&conf, o.config, &err) < 0) {
			fprintf(stderr, "gitopsd: %s\n", err.msg);
			return 1;
		}
	} else
		conf = gd_conf_new_default();
	main_override(conf, &o);
	if (o.check_only) {
		printf("%s: configuration OK\n",
		    o.config != NULL ? o.config : "defaults");
		gd_conf_free(conf);
		return 0;
	}
	log_setlevel(conf->log_level);
	rc = main_run(conf);
	gd_conf_free(conf);
	return rc;
}
