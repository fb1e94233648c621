/* SPDX-License-Identifier: ISC */
/*
 * The chart store against real servers on loopback: Debian's
 * docker-registry four times (plain, HTTPS with its own CA, htpasswd
 * Basic auth, token auth with a token server of tests/helpers/
 * registry.c), charts pushed by tests/helpers/ocipush.c, and lighttpd
 * serving Helm repositories (index.yaml and archives, one folder behind
 * basic auth, redirects within and out of the origin). Registries are
 * reached through the config's aliases (oci://harbor.local/...).
 * Requests are counted both by the store and in the registry's own
 * access log. The tests fail, never skip, when a server is missing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "gitopsd/conf.h"
#include "gitopsd/core.h"
#include "gitopsd/helm.h"
#include "../../server/helm/pull_int.h"
#include "../helpers/ocipush.h"
#include "../helpers/registry.h"

#define USER     "robot$ci"
#define PASSWORD "pull-s3cret"
#define LIGHTTPD "/usr/sbin/lighttpd"

struct fx {
	char tmp[64];
	struct registry plain, basic, token, tls;
	pid_t http_pid;
	int http_port;
	char http[64]; /* "http://127.0.0.1:PORT" */
	struct gd_conf *conf;
	int nstores;
};

struct fx *g;

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
write_text(const char *path, const char *text)
{
	write_file(path, text, strlen(text));
}

static char *
fx_path(const char *rel)
{
	char *p;

	xasprintf(&p, "%s/%s", g->tmp, rel);
	return p;
}

static char *
sha_of(const void *d, size_t n)
{
	char *s = xmalloc(PULL_SHA_LEN);

	pull_sha256(s, d, n);
	return s;
}

/* Pushes chart name:version (note varies its bytes) to registry r. */
static char *
push(const struct registry *r, const char *name, const char *version,
    const char *note, char *mdigest)
{
	void *tgz;
	size_t len;
	char errbuf[256], *repo, *tag = xstrdup(version), *s;

	for (s = tag; *s != '\0'; s++)
		if (*s == '+')
			*s = '_';
	ocipush_chart(name, version, note, &tgz, &len);
	xasprintf(&repo, "charts/%s", name);
	if (ocipush(r->url, repo, tag, tgz, len,
		r->auth == REGISTRY_PLAIN ? NULL : USER, PASSWORD, mdigest,
		errbuf, sizeof(errbuf)) < 0)
		fail_msg("push %s:%s to %s: %s", repo, tag, r->url, errbuf);
	s = sha_of(tgz, len);
	free(tgz);
	free(repo);
	free(tag);
	return s;
}

/* Writes an archive under the web root and returns its sha256 hex. */
static char *
serve_chart(const char *rel, const char *name, const char *version)
{
	void *tgz;
	size_t len;
	char *path, *d;

	ocipush_chart(name, version, rel, &tgz, &len);
	xasprintf(&path, "%s/www/%s", g->tmp, rel);
	write_file(path, tgz, len);
	d = sha_of(tgz, len);
	free(path);
	free(tgz);
	return d;
}

static void
start_lighttpd(void)
{
	char *conf, *path, *log;
	const char *argv[5];
	FILE *f;

	if (access(LIGHTTPD, X_OK) != 0)
		fail_msg("%s missing: scripts/install-deps installs lighttpd",
		    LIGHTTPD);
	g->http_port = registry_free_port();
	snprintf(g->http, sizeof(g->http), "http://127.0.0.1:%d", g->http_port);
	path = fx_path("users");
	write_text(path, "reader:" PASSWORD "\n");
	free(path);
	xasprintf(&conf,
	    "server.document-root = \"%s/www\"\n"
	    "server.bind = \"127.0.0.1\"\n"
	    "server.port = %d\n"
	    "server.errorlog = \"%s/lighttpd.err\"\n"
	    "server.stat-cache-engine = \"disable\"\n"
	    "server.modules = ( \"mod_auth\", \"mod_authn_file\", "
	    "\"mod_accesslog\", \"mod_redirect\" )\n"
	    "url.redirect = ( \"^/same/(.*)$\" => \"/private/$1\", "
	    "\"^/hop/(.*)$\" => \"http://localhost:%d/private/$1\" )\n"
	    "accesslog.filename = \"%s/lighttpd.access\"\n"
	    "auth.backend = \"plain\"\n"
	    "auth.backend.plain.userfile = \"%s/users\"\n"
	    "auth.require = ( \"/private/\" => ( \"method\" => \"basic\", "
	    "\"realm\" => \"charts\", \"require\" => \"valid-user\" ) )\n",
	    g->tmp, g->http_port, g->tmp, g->http_port, g->tmp, g->tmp);
	path = fx_path("lighttpd.conf");
	write_text(path, conf);
	log = fx_path("lighttpd.log");
	argv[0] = LIGHTTPD;
	argv[1] = "-D";
	argv[2] = "-f";
	argv[3] = path;
	argv[4] = NULL;
	if ((g->http_pid = fork()) == 0) {
		if ((f = freopen(log, "w", stderr)) == NULL ||
		    freopen("/dev/null", "w", stdout) == NULL)
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (!registry_wait_port(g->http_port))
		fail_msg("lighttpd did not start (see %s)", log);
	free(conf);
	free(path);
	free(log);
}

/* The Helm repositories: pub (relative and absolute URLs), bad, private. */
static void
make_repos(void)
{
	static const char *const dirs[] = { "www", "www/pub", "www/pub/charts",
		"www/abs", "www/bad", "www/private" };
	char *d10, *d11, *d20, *nd, *text, *path, *p10;
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		path = fx_path(dirs[i]);
		assert_int_equal(gd_path_mkdirs(path, NULL), 0);
		free(path);
	}
	d11 = serve_chart("pub/charts/myapp-1.1.0.tgz", "myapp", "1.1.0");
	d10 = serve_chart("abs/myapp-1.0.0.tgz", "myapp", "1.0.0");
	d20 = serve_chart(
	    "pub/charts/myapp-2.0.0-rc.1.tgz", "myapp", "2.0.0-rc.1");
	nd = serve_chart("pub/nodigest-0.1.0.tgz", "nodigest", "0.1.0");
	xasprintf(&text,
	    "apiVersion: v1\n"
	    "entries:\n"
	    "  myapp:\n"
	    "  - name: myapp\n    version: 2.0.0-rc.1\n"
	    "    urls: [charts/myapp-2.0.0-rc.1.tgz]\n    digest: %s\n"
	    "  - name: myapp\n    version: 1.1.0\n"
	    "    urls: [charts/myapp-1.1.0.tgz]\n    digest: %s\n"
	    "    created: 2026-01-01T00:00:00Z\n"
	    "  - name: myapp\n    version: 1.0.0\n"
	    "    urls: ['%s/abs/myapp-1.0.0.tgz']\n    digest: %s\n"
	    "  nodigest:\n"
	    "  - version: 0.1.0\n    urls: [nodigest-0.1.0.tgz]\n"
	    "generated: \"2026-01-01T00:00:00Z\"\n",
	    d20 + 7, d11 + 7, g->http, d10 + 7);
	path = fx_path("www/pub/index.yaml");
	write_text(path, text);
	free(path);
	free(text);
	/* bad: the digest of another archive */
	p10 = serve_chart("bad/myapp-1.0.0.tgz", "myapp", "1.0.0");
	xasprintf(&text,
	    "apiVersion: v1\nentries:\n  myapp:\n  - version: 1.0.0\n"
	    "    urls: [myapp-1.0.0.tgz]\n    digest: %s\n",
	    d11 + 7);
	path = fx_path("www/bad/index.yaml");
	write_text(path, text);
	free(path);
	free(text);
	free(p10);
	p10 = serve_chart("private/myapp-1.0.0.tgz", "myapp", "1.0.0");
	xasprintf(&text,
	    "apiVersion: v1\nentries:\n  myapp:\n  - version: 1.0.0\n"
	    "    urls: [myapp-1.0.0.tgz]\n    digest: %s\n",
	    p10 + 7);
	path = fx_path("www/private/index.yaml");
	write_text(path, text);
	free(path);
	free(text);
	free(p10);
	free(d10);
	free(d11);
	free(d20);
	free(nd);
}

static struct gd_conf *
make_conf(void)
{
	struct gd_conf *conf = NULL;
	struct gd_err err = { 0 };
	char *text, *pw, *badpw, *path;

	pw = fx_path("password");
	write_text(pw, PASSWORD "\n");
	badpw = fx_path("badpassword");
	write_text(badpw, "not-the-password\n");
	path = fx_path("username");
	write_text(path, USER "\n");
	xasprintf(&text,
	    "registries:\n"
	    "  - host: harbor.local\n    endpoint: %s\n"
	    "  - host: basic.local\n    endpoint: %s\n"
	    "    username: '" USER "'\n    password_file: %s\n"
	    "  - host: badpw.local\n    endpoint: %s\n"
	    "    username: '" USER "'\n    password_file: %s\n"
	    "  - host: nocreds.local\n    endpoint: %s\n"
	    "  - host: token.local\n    endpoint: %s\n"
	    "    username_file: %s\n    password_file: %s\n"
	    "  - host: tokenbad.local\n    endpoint: %s\n"
	    "    username: '" USER "'\n    password_file: %s\n"
	    "  - host: tokenanon.local\n    endpoint: %s\n"
	    "  - host: down.local\n    endpoint: http://127.0.0.1:1\n"
	    "  - host: tls.local\n    endpoint: %s\n"
	    "    ca_file: %s/reg-tls/tls.crt\n"
	    "  - host: tlsnoca.local\n    endpoint: %s\n"
	    "  - host: tlsinsecure.local\n    endpoint: %s\n"
	    "    insecure: true\n"
	    "helm_repositories:\n"
	    "  - url: %s/private\n    username: reader\n"
	    "    password_file: %s\n"
	    "  - url: %s/same\n    username: reader\n"
	    "    password_file: %s\n"
	    "  - url: %s/hop\n    username: reader\n"
	    "    password_file: %s\n",
	    g->plain.url, g->basic.url, pw, g->basic.url, badpw, g->basic.url,
	    g->token.url, path, pw, g->token.url, badpw, g->token.url,
	    g->tls.url, g->tmp, g->tls.url, g->tls.url, g->http, pw, g->http,
	    pw, g->http, pw);
	if (gd_conf_load_buf(&conf, text, strlen(text), "test.yaml", &err) < 0)
		fail_msg("config: %s", err.msg);
	free(text);
	free(pw);
	free(badpw);
	free(path);
	return conf;
}

static int
group_setup(void **state)
{
	char *dir, *storage;

	gd_core_init_json();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (sodium_init() < 0)
		return -1;
	g = xcalloc(1, sizeof(*g));
	snprintf(g->tmp, sizeof(g->tmp), "/tmp/gd-helm-pull-XXXXXX");
	if (mkdtemp(g->tmp) == NULL)
		return -1;
	dir = fx_path("reg-plain");
	if (registry_start(
		&g->plain, dir, NULL, REGISTRY_PLAIN, USER, PASSWORD) < 0)
		return -1;
	free(dir);
	dir = fx_path("reg-basic");
	if (registry_start(
		&g->basic, dir, NULL, REGISTRY_HTPASSWD, USER, PASSWORD) < 0)
		return -1;
	free(dir);
	/* HTTPS in front of the plain registry's storage */
	dir = fx_path("reg-tls");
	storage = fx_path("reg-plain/storage");
	if (registry_start(
		&g->tls, dir, storage, REGISTRY_TLS, USER, PASSWORD) < 0)
		return -1;
	free(storage);
	free(dir);
	dir = fx_path("reg-token");
	if (registry_start(
		&g->token, dir, NULL, REGISTRY_TOKEN, USER, PASSWORD) < 0)
		return -1;
	free(dir);
	make_repos();
	start_lighttpd();
	g->conf = make_conf();
	*state = g;
	return 0;
}

static int
group_teardown(void **state)
{
	char *cmd;

	(void)state;
	registry_stop(&g->plain);
	registry_stop(&g->basic);
	registry_stop(&g->token);
	registry_stop(&g->tls);
	if (g->http_pid > 0) {
		kill(g->http_pid, SIGTERM);
		waitpid(g->http_pid, NULL, 0);
	}
	gd_conf_free(g->conf);
	xasprintf(&cmd, "rm -rf '%s'", g->tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", g->tmp);
	free(cmd);
	free(g);
	curl_global_cleanup();
	return 0;
}

/* A store of its own for each test, so none sees another's files. */
static struct gd_helm_pull *
store_new(const struct gd_conf *conf, char **dirp)
{
	struct gd_helm_pull *p = NULL;
	struct gd_err err = { 0 };
	char *dir;

	xasprintf(&dir, "%s/store-%d", g->tmp, ++g->nstores);
	if (gd_helm_pull_new(&p, conf, dir, &err) < 0)
		fail_msg("store: %s", err.msg);
	if (dirp != NULL)
		*dirp = dir;
	else
		free(dir);
	return p;
}

static struct gd_helm_pull *
store_reopen(const struct gd_conf *conf, const char *dir)
{
	struct gd_helm_pull *p = NULL;
	struct gd_err err = { 0 };

	if (gd_helm_pull_new(&p, conf, dir, &err) < 0)
		fail_msg("store: %s", err.msg);
	return p;
}

static void
pull_ok(struct gd_helm_pull *p, const char *url, const char *chart,
    const char *rev, unsigned flags, struct gd_helm_pulled *out)
{
	struct gd_err err = { 0 };

	if (gd_helm_pull(p, url, chart, rev, flags, out, &err) < 0)
		fail_msg("pull %s %s %s: %s", url, chart, rev, err.msg);
	assert_non_null(out->chart);
}

static int
pull_fail(struct gd_helm_pull *p, const char *url, const char *chart,
    const char *rev, struct gd_err *err)
{
	struct gd_helm_pulled out;
	int rc;

	rc = gd_helm_pull(p, url, chart, rev, 0, &out, err);
	assert_true(rc < 0);
	assert_int_equal(rc, err->code);
	assert_null(out.chart);
	assert_null(strstr(err->msg, PASSWORD));
	return rc;
}

static unsigned long
requests(struct gd_helm_pull *p)
{
	struct gd_helm_pull_stats st;

	gd_helm_pull_stats(p, &st);
	return st.requests;
}

static const char *
chart_version(const struct gd_helm_pulled *pd)
{
	return helm_chart_meta_str(pd->chart, "version");
}

/* --- parsers and versions (no network) ------------------------------------ */

static bool
in_range(const char *range, const char *version)
{
	struct helm_semver_range *r = NULL;
	struct helm_semver v;
	bool ok;

	if (helm_semver_range_new(&r, range, NULL) < 0)
		fail_msg("range %s does not parse", range);
	if (!helm_semver_parse(&v, version))
		fail_msg("version %s does not parse", version);
	ok = helm_semver_range_match(r, &v);
	helm_semver_range_free(r);
	return ok;
}

static void
test_helm_pull__semver_ranges(void **state)
{
	struct helm_semver_range *r = NULL;

	(void)state;
	assert_true(in_range("1.3.*", "1.3.7"));
	assert_false(in_range("1.3.*", "1.4.0"));
	assert_true(in_range("1.3.x", "1.3.0"));
	assert_true(in_range("^1.2", "1.9.0"));
	assert_false(in_range("^1.2", "2.0.0"));
	assert_false(in_range("^1.2", "1.1.9"));
	assert_true(in_range("^0.2.3", "0.2.9"));
	assert_false(in_range("^0.2.3", "0.3.0"));
	assert_true(in_range("~1.2", "1.2.5"));
	assert_false(in_range("~1.2", "1.3.0"));
	assert_true(in_range(">=1.2.0 <2.0.0", "1.9.9"));
	assert_false(in_range(">=1.2.0 <2.0.0", "2.0.0"));
	assert_true(in_range(">=1.2.0, <2.0.0", "1.2.0"));
	assert_true(in_range(">= 1.2.0, < 2.0.0", "1.2.0"));
	assert_true(in_range("^1.0 || ^3.0", "3.1.0"));
	assert_false(in_range("^1.0 || ^3.0", "2.1.0"));
	assert_true(in_range("1.2 - 1.4.5", "1.4.5"));
	assert_false(in_range("1.2 - 1.4.5", "1.4.6"));
	/* "" is "*": everything but prereleases */
	assert_true(in_range("", "9.0.0"));
	assert_false(in_range("", "9.0.0-rc.1"));
	assert_true(in_range(">=1.0.0-0", "1.1.0-rc.1"));
	assert_false(in_range("^1.0", "1.5.0-beta"));
	/* Masterminds' dirty constraints */
	assert_false(in_range(">1.2", "1.2.5"));
	assert_true(in_range(">1.2", "1.3.0"));
	assert_true(in_range("<=1.2", "1.2.9"));
	assert_true(in_range("!=1.2.3", "1.2.4"));
	assert_true(in_range("1.4.0", "1.4.0+build.1"));
	assert_int_equal(helm_semver_range_new(&r, ">=abc", NULL), GD_EINVAL);
	assert_null(r);
	assert_true(helm_semver_is_exact("1.3.0"));
	assert_true(helm_semver_is_exact("v1.3.0-rc.1+b2"));
	assert_false(helm_semver_is_exact("1.3"));
	assert_false(helm_semver_is_exact("1.3.x"));
}

static void
test_helm_pull__url_resolve(void **state)
{
	static const char *const cases[][3] = {
		{ "https://c.example.com", "charts/a-1.0.tgz",
		    "https://c.example.com/charts/a-1.0.tgz" },
		{ "https://c.example.com/sub/", "a-1.0.tgz",
		    "https://c.example.com/sub/a-1.0.tgz" },
		{ "https://c.example.com/sub", "a-1.0.tgz",
		    "https://c.example.com/sub/a-1.0.tgz" },
		{ "https://c.example.com/sub", "/top/a.tgz",
		    "https://c.example.com/top/a.tgz" },
		{ "https://c.example.com/a/b", "../x.tgz",
		    "https://c.example.com/a/x.tgz" },
		{ "https://c.example.com/s?sig=1", "a.tgz",
		    "https://c.example.com/s/a.tgz?sig=1" },
		{ "https://c.example.com/s", "https://cdn.example.org/a.tgz",
		    "https://cdn.example.org/a.tgz" },
		{ "https://c.example.com/s", "//cdn.example.org/a.tgz",
		    "https://cdn.example.org/a.tgz" },
	};
	size_t i;
	char *u;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		u = pull_url_resolve(cases[i][0], cases[i][1]);
		assert_string_equal(u, cases[i][2]);
		free(u);
	}
}

static void
test_helm_pull__challenges_and_links(void **state)
{
	struct pull_challenge c;
	char *n;

	(void)state;
	assert_true(pull_challenge_parse(&c,
	    "Bearer realm=\"https://h.example/service/token\","
	    "service=\"harbor-registry\","
	    "scope=\"repository:proj/chart:pull,push\""));
	assert_string_equal(c.scheme, "bearer");
	assert_string_equal(c.realm, "https://h.example/service/token");
	assert_string_equal(c.service, "harbor-registry");
	assert_string_equal(c.scope, "repository:proj/chart:pull,push");
	pull_challenge_dispose(&c);
	assert_true(pull_challenge_parse(&c, "Basic realm=\"gd-test\""));
	assert_string_equal(c.scheme, "basic");
	pull_challenge_dispose(&c);
	assert_false(pull_challenge_parse(&c, ""));
	n = pull_link_next("</v2/charts/a/tags/list?last=b&n=2>; rel=\"next\"");
	assert_string_equal(n, "/v2/charts/a/tags/list?last=b&n=2");
	free(n);
	assert_null(pull_link_next("</x>; rel=\"prev\""));
}

static void
test_helm_pull__manifest_media_types(void **state)
{
	struct pull_manifest m;
	struct gd_err err = { 0 };
	struct gd_buf b;
	char *path;

	(void)state;
	gd_buf_init(&b);
	xasprintf(&path, "%s/tests/fixtures/helm/pull/manifest-legacy.json",
	    getenv("GD_SRCDIR") != NULL ? getenv("GD_SRCDIR") : ".");
	assert_int_equal(gd_buf_read_file(&b, path, 0, NULL), 0);
	/* helm still reads charts pushed with the old layer type */
	assert_int_equal(pull_manifest_parse(&m, b.data, b.len, &err), 0);
	assert_true(m.legacy);
	assert_int_equal(m.layer_size, 3412);
	gd_buf_reset(&b);
	gd_buf_adds(&b,
	    "{\"schemaVersion\":2,\"config\":{\"mediaType\":"
	    "\"application/vnd.oci.image.config.v1+json\"},"
	    "\"layers\":[]}");
	assert_int_equal(
	    pull_manifest_parse(&m, b.data, b.len, &err), GD_EINVAL);
	assert_string_equal(err.msg,
	    "not a Helm chart (config media type "
	    "\"application/vnd.oci.image.config.v1+"
	    "json\")");
	gd_buf_dispose(&b);
	free(path);
}

/* --- OCI ------------------------------------------------------------------ */

static void
test_helm_pull__oci_by_tag(void **state)
{
	struct gd_helm_pull *p;
	struct gd_helm_pulled pd;
	struct gd_helm_opts opts = { .release_name = "r", .seed = 1 };
	struct gd_helm_result res;
	struct gd_err err = { 0 };
	struct stat st;
	char *want, *dir, *file;

	(void)state;
	want = push(&g->plain, "myapp", "1.0.0", "one", NULL);
	p = store_new(g->conf, &dir);
	pull_ok(p, "oci://harbor.local/charts", "myapp", "1.0.0", 0, &pd);
	assert_string_equal(pd.digest, want);
	assert_string_equal(pd.version, "1.0.0");
	assert_string_equal(pd.ref, "oci://harbor.local/charts/myapp:1.0.0");
	assert_string_equal(gd_helm_chart_name(pd.chart), "myapp");
	/* what was pulled renders */
	assert_int_equal(gd_helm_render(&res, pd.chart, NULL, &opts, &err), 0);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_array_get(res.objects, 0), "data"),
		"note")),
	    "one");
	gd_helm_result_dispose(&res);
	/* the archive is kept under its digest */
	xasprintf(&file, "%s/sha256/%s.tgz", dir, want + 7);
	assert_int_equal(stat(file, &st), 0);
	gd_helm_pulled_dispose(&pd);
	gd_helm_pull_free(p);
	free(file);
	free(dir);
	free(want);
}

static void
test_helm_pull__oci_by_digest(void **state)
{
	struct gd_helm_pull *p;
	struct gd_helm_pulled pd;
	char md[OCIPUSH_DIGEST_LEN], *want;

	(void)state;
	want = push(&g->plain, "bydigest", "0.1.0", "d", md);
	p = store_new(g->conf, NULL);
	pull_ok(p, "oci://harbor.local/charts", "bydigest", md, 0, &pd);
	assert_string_equal(pd.digest, want);
	assert_string_equal(pd.version, "0.1.0");
	gd_helm_pulled_dispose(&pd);
	/* a digest never changes: the second pull asks nobody */
	pull_ok(p, "oci://harbor.local/charts", "bydigest", md, 0, &pd);
	assert_int_equal(requests(p), 2);
	gd_helm_pulled_dispose(&pd);
	gd_helm_pull_free(p);
	free(want);
}

static void
test_helm_pull__oci_by_range(void **state)
{
	static const char *const cases[][2] = {
		{ "^1.0", "1.4.0+build.1" },
		{ ">=1.0.0 <1.2.0", "1.1.0" },
		{ "1.1.*", "1.1.0" },
		{ "~1.2", "1.2.0" },
		{ "", "2.0.0" },
		{ "3.0.0-rc.1", "3.0.0-rc.1" },
	};
	struct gd_helm_pull *p;
	struct gd_helm_pulled pd;
	struct gd_err err;
	size_t i;
	char *d[7];

	(void)state;
	d[0] = push(&g->plain, "ranged", "1.0.0", "", NULL);
	d[1] = push(&g->plain, "ranged", "1.1.0", "", NULL);
	d[2] = push(&g->plain, "ranged", "1.2.0", "", NULL);
	d[3] = push(&g->plain, "ranged", "2.0.0", "", NULL);
	d[4] = push(&g->plain, "ranged", "2.1.0-rc.1", "", NULL);
	d[5] = push(&g->plain, "ranged", "1.4.0+build.1", "", NULL);
	d[6] = push(&g->plain, "ranged", "3.0.0-rc.1", "", NULL);
	p = store_new(g->conf, NULL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pull_ok(p, "oci://harbor.local/charts", "ranged", cases[i][0],
		    0, &pd);
		assert_string_equal(pd.version, cases[i][1]);
		assert_string_equal(chart_version(&pd), cases[i][1]);
		gd_helm_pulled_dispose(&pd);
	}
	assert_int_equal(
	    pull_fail(p, "oci://harbor.local/charts", "ranged", "^4.0", &err),
	    GD_ENOTFOUND);
	assert_string_equal(err.msg,
	    "oci://harbor.local/charts/ranged:^4.0: "
	    "no version of \"ranged\" satisfies "
	    "\"^4.0\"");
	gd_helm_pull_free(p);
	for (i = 0; i < 7; i++)
		free(d[i]);
}

static void
test_helm_pull__oci_errors_name_the_ref(void **state)
{
	struct gd_helm_pull *p;
	struct gd_err err;

	(void)state;
	free(push(&g->plain, "myapp", "1.0.0", "one", NULL));
	p = store_new(g->conf, NULL);
	assert_int_equal(
	    pull_fail(p, "oci://harbor.local/charts", "myapp", "9.9.9", &err),
	    GD_ENOTFOUND);
	assert_string_equal(
	    err.msg, "oci://harbor.local/charts/myapp:9.9.9: manifest unknown");
	assert_int_equal(
	    pull_fail(p, "oci://harbor.local/charts", "nosuch", "1.0.0", &err),
	    GD_ENOTFOUND);
	assert_int_equal(
	    pull_fail(p, "oci://down.local/charts", "myapp", "1.0.0", &err),
	    GD_EUPSTREAM);
	assert_non_null(strstr(err.msg,
	    "oci://down.local/charts/myapp:1.0.0: "
	    "registry unreachable: "));
	assert_int_equal(
	    pull_fail(p, "oci://harbor.local/Charts/../x", "a", "1.0.0", &err),
	    GD_EINVAL);
	assert_int_equal(pull_fail(p, "oci://harbor.local/charts", "myapp",
			     "sha256:abc", &err),
	    GD_EINVAL);
	assert_int_equal(pull_fail(p, "oci://harbor.local/charts", "myapp",
			     "1.0.0 ~~ x", &err),
	    GD_EINVAL);
	gd_helm_pull_free(p);
}

static void
test_helm_pull__oci_layer_size_checked(void **state)
{
	struct gd_helm_pull *p;
	struct gd_helm_pull_stats st;
	struct gd_err err;
	char errbuf[256];
	void *tgz;
	size_t len;

	(void)state;
	ocipush_chart("sized", "1.0.0", "", &tgz, &len);
	/* a manifest that claims more than the archive limit */
	if (ocipush_sized(g->plain.url, "charts/sized", "1.0.0", tgz, len,
		200ll << 20, NULL, NULL, NULL, errbuf, sizeof(errbuf)) < 0 ||
	    ocipush_sized(g->plain.url, "charts/sized", "1.0.1", tgz, len,
		(long long)len - 1, NULL, NULL, NULL, errbuf,
		sizeof(errbuf)) < 0)
		fail_msg("push: %s", errbuf);
	p = store_new(g->conf, NULL);
	assert_int_equal(
	    pull_fail(p, "oci://harbor.local/charts", "sized", "1.0.0", &err),
	    GD_ETOOBIG);
	assert_non_null(strstr(err.msg,
	    "oci://harbor.local/charts/sized:"
	    "1.0.0: chart archive of 209715200 "
	    "bytes is over the limit"));
	/* one that claims less than it is */
	assert_int_equal(
	    pull_fail(p, "oci://harbor.local/charts", "sized", "1.0.1", &err),
	    GD_EUPSTREAM);
	assert_non_null(strstr(err.msg, "size mismatch"));
	gd_helm_pull_stats(p, &st);
	assert_int_equal(st.files, 0);
	gd_helm_pull_free(p);
	free(tgz);
}

static void
test_helm_pull__oci_unchanged_tag_is_one_head(void **state)
{
	struct gd_helm_pull *p;
	struct gd_helm_pulled pd;
	struct gd_helm_pull_stats st;
	unsigned long before;
	int heads, gets;

	(void)state;
	free(push(&g->plain, "steady", "1.0.0", "", NULL));
	p = store_new(g->conf, NULL);
	pull_ok(p, "oci://harbor.local/charts", "steady", "1.0.0", 0, &pd);
	gd_helm_pulled_dispose(&pd);
	before = requests(p);
	heads = registry_count(
	    &g->plain, "\"HEAD /v2/charts/steady/manifests/1.0.0 ");
	gets = registry_count(&g->plain, "\"GET /v2/charts/steady/");
	pull_ok(p, "oci://harbor.local/charts", "steady", "1.0.0", 0, &pd);
	gd_helm_pulled_dispose(&pd);
	assert_int_equal(requests(p) - before, 1);
	assert_int_equal(registry_count(&g->plain,
			     "\"HEAD /v2/charts/steady/manifests/1.0.0 "),
	    heads + 1);
	assert_int_equal(
	    registry_count(&g->plain, "\"GET /v2/charts/steady/"), gets);
	gd_helm_pull_stats(p, &st);
	assert_int_equal(st.downloads, 1);
	/* a hard pull asks for the manifest again but downloads nothing */
	pull_ok(p, "oci://harbor.local/charts", "steady", "1.0.0",
	    GD_HELM_PULL_HARD, &pd);
	gd_helm_pulled_dispose(&pd);
	gd_helm_pull_stats(p, &st);
	assert_int_equal(st.downloads, 1);
	assert_int_equal(registry_count(&g->plain,
			     "\"GET /v2/charts/steady/manifests/1.0.0 "),
	    2);
	gd_helm_pull_free(p);
}

static void
test_helm_pull__oci_tag_moved(void **state)
{
	struct gd_helm_pull *p;
	struct gd_helm_pulled pd;
	char *a, *b;

	(void)state;
	a = push(&g->plain, "moving", "1.5.0", "first", NULL);
	p = store_new(g->conf, NULL);
	pull_ok(p, "oci://harbor.local/charts", "moving", "1.5.0", 0, &pd);
	assert_string_equal(pd.digest, a);
	gd_helm_pulled_dispose(&pd);
	b = push(&g->plain, "moving", "1.5.0", "second", NULL);
	assert_string_not_equal(a, b);
	pull_ok(p, "oci://harbor.local/charts", "moving", "1.5.0", 0, &pd);
	assert_string_equal(pd.digest, b);
	assert_string_equal(
	    json_string_value(json_object_get(pd.chart->values, "note")),
	    "second");
	gd_helm_pulled_dispose(&pd);
	gd_helm_pull_free(p);
	free(a);
	free(b);
}

static void
test_helm_pull__oci_basic_auth(void **state)
{
	struct gd_helm_pull *p;
	struct gd_helm_pulled pd;
	struct gd_err err;
	unsigned long before;
	char *want;

	(void)state;
	want = push(&g->basic, "secret", "1.0.0", "", NULL);
	p = store_new(g->conf, NULL);
	pull_ok(p, "oci://basic.local/charts", "secret", "1.0.0", 0, &pd);
	assert_string_equal(pd.digest, want);
	gd_helm_pulled_dispose(&pd);
	/* the registry wants Basic: the next pull sends it at once */
	before = requests(p);
	pull_ok(p, "oci://basic.local/charts", "secret", "1.0.0", 0, &pd);
	assert_int_equal(requests(p) - before, 1);
	gd_helm_pulled_dispose(&pd);
	assert_int_equal(
	    pull_fail(p, "oci://badpw.local/charts", "secret", "1.0.0", &err),
	    GD_EUNAUTH);
	assert_non_null(strstr(err.msg,
	    "oci://badpw.local/charts/secret:"
	    "1.0.0: unauthorized: "));
	assert_null(strstr(err.msg, "not-the-password"));
	assert_int_equal(
	    pull_fail(p, "oci://nocreds.local/charts", "secret", "1.0.0", &err),
	    GD_EUNAUTH);
	gd_helm_pull_free(p);
	free(want);
}

static void
test_helm_pull__oci_token_auth(void **state)
{
	struct gd_helm_pull *p;
	struct gd_helm_pulled pd;
	struct gd_err err;
	unsigned long before;
	unsigned issued;
	char *want;

	(void)state;
	want = push(&g->token, "guarded", "1.0.0", "", NULL);
	p = store_new(g->conf, NULL);
	issued = registry_tokens_issued(&g->token);
	pull_ok(p, "oci://token.local/charts", "guarded", "1.0.0", 0, &pd);
	assert_string_equal(pd.digest, want);
	assert_int_equal(registry_tokens_issued(&g->token), issued + 1);
	gd_helm_pulled_dispose(&pd);
	/* the token is cached for its scope: one HEAD, no token request */
	before = requests(p);
	pull_ok(p, "oci://token.local/charts", "guarded", "1.0.0", 0, &pd);
	assert_int_equal(requests(p) - before, 1);
	assert_int_equal(registry_tokens_issued(&g->token), issued + 1);
	gd_helm_pulled_dispose(&pd);
	assert_int_equal(pull_fail(p, "oci://tokenbad.local/charts", "guarded",
			     "1.0.0", &err),
	    GD_EUNAUTH);
	assert_string_equal(err.msg,
	    "oci://tokenbad.local/charts/guarded:"
	    "1.0.0: unauthorized: invalid username "
	    "or password");
	assert_int_equal(pull_fail(p, "oci://tokenanon.local/charts", "guarded",
			     "1.0.0", &err),
	    GD_EUNAUTH);
	gd_helm_pull_free(p);
	free(want);
}

static void
test_helm_pull__oci_tls_custom_ca(void **state)
{
	struct gd_helm_pull *p;
	struct gd_helm_pulled pd;
	struct gd_err err;
	char *want;

	(void)state;
	want = push(&g->plain, "tlschart", "1.0.0", "", NULL);
	p = store_new(g->conf, NULL);
	pull_ok(p, "oci://tls.local/charts", "tlschart", "1.0.0", 0, &pd);
	assert_string_equal(pd.digest, want);
	gd_helm_pulled_dispose(&pd);
	/* a certificate nobody vouches for is refused, with curl's reason */
	assert_int_equal(pull_fail(p, "oci://tlsnoca.local/charts", "tlschart",
			     "1.0.0", &err),
	    GD_EUPSTREAM);
	assert_non_null(strstr(err.msg,
	    "oci://tlsnoca.local/charts/"
	    "tlschart:1.0.0: registry "
	    "unreachable: "));
	assert_non_null(strstr(err.msg, "certificate"));
	pull_ok(
	    p, "oci://tlsinsecure.local/charts", "tlschart", "1.0.0", 0, &pd);
	gd_helm_pulled_dispose(&pd);
	gd_helm_pull_free(p);
	free(want);
}

static void
test_helm_pull__oci_registry_stopped(void **state)
{
	struct registry r;
	struct gd_helm_pull *p;
	struct gd_helm_pulled pd;
	struct gd_conf *conf;
	struct gd_err err = { 0 };
	char md[OCIPUSH_DIGEST_LEN], *dir, *want, *text, *sdir;

	(void)state;
	dir = fx_path("reg-stopped");
	assert_int_equal(
	    registry_start(&r, dir, NULL, REGISTRY_PLAIN, USER, PASSWORD), 0);
	want = push(&r, "myapp", "1.3.0", "", md);
	xasprintf(&text,
	    "registries:\n  - host: harbor.local\n"
	    "    endpoint: %s\n",
	    r.url);
	assert_int_equal(
	    gd_conf_load_buf(&conf, text, strlen(text), "t.yaml", &err), 0);
	p = store_new(conf, &sdir);
	pull_ok(p, "oci://harbor.local/charts", "myapp", "1.3.0", 0, &pd);
	gd_helm_pulled_dispose(&pd);
	pull_ok(p, "oci://harbor.local/charts", "myapp", md, 0, &pd);
	gd_helm_pulled_dispose(&pd);
	registry_stop(&r);
	assert_int_equal(
	    pull_fail(p, "oci://harbor.local/charts", "myapp", "1.3.0", &err),
	    GD_EUPSTREAM);
	assert_non_null(strstr(err.msg,
	    "oci://harbor.local/charts/myapp:"
	    "1.3.0: registry unreachable: "));
	/* what was pulled by digest is still served, even after a restart */
	pull_ok(p, "oci://harbor.local/charts", "myapp", md, 0, &pd);
	assert_string_equal(pd.digest, want);
	gd_helm_pulled_dispose(&pd);
	gd_helm_pull_free(p);
	p = store_reopen(conf, sdir);
	pull_ok(p, "oci://harbor.local/charts", "myapp", md, 0, &pd);
	assert_string_equal(pd.digest, want);
	assert_int_equal(requests(p), 0);
	gd_helm_pulled_dispose(&pd);
	gd_helm_pull_free(p);
	gd_conf_free(conf);
	free(text);
	free(want);
	free(sdir);
	free(dir);
}

/* --- the store ---------------------------------------------------------- */

static void
test_helm_pull__store_corrupt_file_fetched_again(void **state)
{
	struct gd_helm_pull *p;
	struct gd_helm_pulled pd;
	struct gd_helm_pull_stats st;
	struct gd_buf b;
	char *want, *dir, *file, got[PULL_SHA_LEN];

	(void)state;
	want = push(&g->plain, "fragile", "1.0.0", "", NULL);
	p = store_new(g->conf, &dir);
	pull_ok(p, "oci://harbor.local/charts", "fragile", "1.0.0", 0, &pd);
	gd_helm_pulled_dispose(&pd);
	gd_helm_pull_free(p);
	xasprintf(&file, "%s/sha256/%s.tgz", dir, want + 7);
	write_text(file, "not the chart any more");
	/* a new store reads the file, finds it damaged, fetches it again */
	p = store_reopen(g->conf, dir);
	pull_ok(p, "oci://harbor.local/charts", "fragile", "1.0.0", 0, &pd);
	assert_string_equal(pd.digest, want);
	gd_helm_pulled_dispose(&pd);
	gd_helm_pull_stats(p, &st);
	assert_int_equal(st.corrupt, 1);
	assert_int_equal(st.downloads, 1);
	gd_buf_init(&b);
	assert_int_equal(gd_buf_read_file(&b, file, 0, NULL), 0);
	pull_sha256(got, b.data, b.len);
	assert_string_equal(got, want);
	gd_buf_dispose(&b);
	/* a loaded chart hides damage until a hard pull checks the file */
	write_text(file, "damaged again");
	pull_ok(p, "oci://harbor.local/charts", "fragile", "1.0.0",
	    GD_HELM_PULL_HARD, &pd);
	gd_helm_pulled_dispose(&pd);
	gd_helm_pull_stats(p, &st);
	assert_int_equal(st.corrupt, 2);
	assert_int_equal(st.downloads, 2);
	gd_helm_pull_free(p);
	free(file);
	free(dir);
	free(want);
}

static void
test_helm_pull__store_lru_eviction(void **state)
{
	struct gd_helm_pull *p;
	struct gd_helm_pulled pd;
	struct gd_helm_pull_stats st;
	struct gd_conf *conf = make_conf();
	struct stat sb;
	char *d[3], *dir, *file;
	void *tgz;
	size_t len;
	int i;

	(void)state;
	ocipush_chart("lru0", "1.0.0", "", &tgz, &len);
	free(tgz);
	/* room for two archives, not three */
	conf->chart_cache_max = (long)(len * 2 + len / 2);
	d[0] = push(&g->plain, "lru0", "1.0.0", "", NULL);
	d[1] = push(&g->plain, "lru1", "1.0.0", "", NULL);
	d[2] = push(&g->plain, "lru2", "1.0.0", "", NULL);
	p = store_new(conf, &dir);
	pull_ok(p, "oci://harbor.local/charts", "lru0", "1.0.0", 0, &pd);
	gd_helm_pulled_dispose(&pd);
	pull_ok(p, "oci://harbor.local/charts", "lru1", "1.0.0", 0, &pd);
	gd_helm_pulled_dispose(&pd);
	/* lru0 used again: lru1 is now the oldest */
	pull_ok(p, "oci://harbor.local/charts", "lru0", "1.0.0", 0, &pd);
	gd_helm_pulled_dispose(&pd);
	pull_ok(p, "oci://harbor.local/charts", "lru2", "1.0.0", 0, &pd);
	gd_helm_pulled_dispose(&pd);
	gd_helm_pull_stats(p, &st);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.files, 2);
	assert_true(st.bytes <= (size_t)conf->chart_cache_max);
	for (i = 0; i < 3; i++) {
		xasprintf(&file, "%s/sha256/%s.tgz", dir, d[i] + 7);
		assert_int_equal(stat(file, &sb) == 0, i != 1);
		free(file);
	}
	/* the evicted one comes back with a download */
	pull_ok(p, "oci://harbor.local/charts", "lru1", "1.0.0", 0, &pd);
	gd_helm_pulled_dispose(&pd);
	gd_helm_pull_stats(p, &st);
	assert_int_equal(st.downloads, 4);
	gd_helm_pull_free(p);
	gd_conf_free(conf);
	for (i = 0; i < 3; i++)
		free(d[i]);
	free(dir);
}

struct racer {
	struct gd_helm_pull *p;
	pthread_barrier_t *start;
	struct gd_helm_pulled pd;
	int rc;
	struct gd_err err;
};

static void *
race(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->start);
	r->rc = gd_helm_pull(r->p, "oci://harbor.local/charts", "popular",
	    "1.0.0", 0, &r->pd, &r->err);
	return NULL;
}

static void
test_helm_pull__single_flight(void **state)
{
	struct racer r[4];
	pthread_t th[4];
	pthread_barrier_t start;
	struct gd_helm_pull *p;
	struct gd_helm_pull_stats st;
	char *want, *needle;
	int i;

	(void)state;
	want = push(&g->plain, "popular", "1.0.0", "", NULL);
	p = store_new(g->conf, NULL);
	pthread_barrier_init(&start, NULL, 4);
	for (i = 0; i < 4; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].p = p;
		r[i].start = &start;
		assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		if (r[i].rc < 0)
			fail_msg("racer %d: %s", i, r[i].err.msg);
		assert_string_equal(r[i].pd.digest, want);
	}
	/* one chart in memory, shared by all */
	assert_ptr_equal(r[0].pd.chart, r[3].pd.chart);
	for (i = 0; i < 4; i++)
		gd_helm_pulled_dispose(&r[i].pd);
	gd_helm_pull_stats(p, &st);
	assert_int_equal(st.downloads, 1);
	xasprintf(&needle, "\"GET /v2/charts/popular/blobs/%s ", want);
	assert_int_equal(registry_count(&g->plain, needle), 1);
	pthread_barrier_destroy(&start);
	gd_helm_pull_free(p);
	free(needle);
	free(want);
}

struct churner {
	struct gd_helm_pull *p;
	int id;
	int failures;
	char msg[256];
};

/* Many workers over a few charts in a store too small for them all. */
static void *
churn(void *arg)
{
	static const char *const charts[] = { "churn0", "churn1", "churn2" };
	static const char *const revs[] = { "1.0.0", "^1.0", "" };
	struct churner *c = arg;
	struct gd_helm_pulled pd;
	struct gd_err err;
	int i;

	for (i = 0; i < 12; i++) {
		if (gd_helm_pull(c->p, "oci://harbor.local/charts",
			charts[(i + c->id) % 3], revs[(i * 7 + c->id) % 3],
			i % 5 == 4 ? GD_HELM_PULL_HARD : 0, &pd, &err) < 0) {
			c->failures++;
			snprintf(c->msg, sizeof(c->msg), "%s", err.msg);
			continue;
		}
		if (gd_helm_chart_name(pd.chart) == NULL)
			c->failures++;
		gd_helm_pulled_dispose(&pd);
	}
	return NULL;
}

static void
test_helm_pull__store_many_threads(void **state)
{
	struct churner c[6];
	pthread_t th[6];
	struct gd_helm_pull *p;
	struct gd_helm_pull_stats st;
	struct gd_conf *conf = make_conf();
	void *tgz;
	size_t len;
	int i;

	(void)state;
	ocipush_chart("churn0", "1.0.0", "", &tgz, &len);
	free(tgz);
	conf->chart_cache_max = (long)(len * 2);
	for (i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "churn%d", i);
		free(push(&g->plain, name, "1.0.0", "", NULL));
	}
	p = store_new(conf, NULL);
	for (i = 0; i < 6; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].p = p;
		c[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, churn, &c[i]), 0);
	}
	for (i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		if (c[i].failures > 0)
			fail_msg("worker %d: %d failures: %s", i, c[i].failures,
			    c[i].msg);
	}
	gd_helm_pull_stats(p, &st);
	assert_true(st.files <= 2);
	assert_true(st.bytes <= (size_t)conf->chart_cache_max);
	gd_helm_pull_free(p);
	gd_conf_free(conf);
}

/* --- Helm repositories ------------------------------------------------------
 */

static void
test_helm_pull__repo_relative_and_absolute_urls(void **state)
{
	struct gd_helm_pull *p;
	struct gd_helm_pulled pd;
	char *url;

	(void)state;
	xasprintf(&url, "%s/pub", g->http);
	p = store_new(g->conf, NULL);
	pull_ok(p, url, "myapp", "1.1.0", 0, &pd);
	assert_string_equal(pd.version, "1.1.0");
	assert_string_equal(chart_version(&pd), "1.1.0");
	gd_helm_pulled_dispose(&pd);
	/* a range; 1.0.0's URL is absolute */
	pull_ok(p, url, "myapp", "~1.0", 0, &pd);
	assert_string_equal(chart_version(&pd), "1.0.0");
	gd_helm_pulled_dispose(&pd);
	/* "" is "*": the prerelease 2.0.0-rc.1 is not taken */
	pull_ok(p, url, "myapp", "", 0, &pd);
	assert_string_equal(pd.version, "1.1.0");
	gd_helm_pulled_dispose(&pd);
	/* but asked for exactly, it is */
	pull_ok(p, url, "myapp", "2.0.0-rc.1", 0, &pd);
	assert_string_equal(pd.version, "2.0.0-rc.1");
	gd_helm_pulled_dispose(&pd);
	/* no digest in the index: the download is kept by URL */
	pull_ok(p, url, "nodigest", "0.1.0", 0, &pd);
	gd_helm_pulled_dispose(&pd);
	gd_helm_pull_free(p);
	free(url);
}

static void
test_helm_pull__repo_etag_keeps_index(void **state)
{
	struct gd_helm_pull *p;
	struct gd_helm_pulled pd;
	struct gd_helm_pull_stats st;
	unsigned long before;
	char *url, *path, *text, *d12, *dir;
	struct gd_buf b;

	(void)state;
	xasprintf(&url, "%s/pub", g->http);
	p = store_new(g->conf, &dir);
	pull_ok(p, url, "myapp", "1.1.0", 0, &pd);
	gd_helm_pulled_dispose(&pd);
	before = requests(p);
	pull_ok(p, url, "myapp", "1.1.0", 0, &pd);
	gd_helm_pulled_dispose(&pd);
	/* one request (index.yaml, 304), no download */
	assert_int_equal(requests(p) - before, 1);
	gd_helm_pull_stats(p, &st);
	assert_int_equal(st.downloads, 1);
	/* a new store over the same folder still has the index's ETag */
	gd_helm_pull_free(p);
	p = store_reopen(g->conf, dir);
	pull_ok(p, url, "myapp", "1.1.0", 0, &pd);
	gd_helm_pulled_dispose(&pd);
	assert_int_equal(requests(p), 1);
	/* a new version in the index is seen at once */
	d12 = serve_chart("pub/charts/myapp-1.2.0.tgz", "myapp", "1.2.0");
	path = fx_path("www/pub/index.yaml");
	gd_buf_init(&b);
	assert_int_equal(gd_buf_read_file(&b, path, 0, NULL), 0);
	xasprintf(&text, "%s", b.data);
	gd_buf_reset(&b);
	gd_buf_printf(&b,
	    "%.*s  - version: 1.2.0\n"
	    "    urls: [charts/myapp-1.2.0.tgz]\n"
	    "    digest: %s\n%s",
	    (int)(strstr(text, "  - name: myapp") - text), text, d12 + 7,
	    strstr(text, "  - name: myapp"));
	write_text(path, b.data);
	pull_ok(p, url, "myapp", "^1.0", 0, &pd);
	assert_string_equal(pd.version, "1.2.0");
	gd_helm_pulled_dispose(&pd);
	/* put the index back for the other tests */
	write_text(path, text);
	gd_buf_dispose(&b);
	gd_helm_pull_free(p);
	free(text);
	free(path);
	free(d12);
	free(dir);
	free(url);
}

static void
test_helm_pull__repo_wrong_digest_refused(void **state)
{
	struct gd_helm_pull *p;
	struct gd_helm_pull_stats st;
	struct gd_err err;
	char *url;

	(void)state;
	xasprintf(&url, "%s/bad", g->http);
	p = store_new(g->conf, NULL);
	assert_int_equal(
	    pull_fail(p, url, "myapp", "1.0.0", &err), GD_EUPSTREAM);
	assert_non_null(strstr(err.msg, "digest mismatch: want sha256:"));
	gd_helm_pull_stats(p, &st);
	assert_int_equal(st.files, 0);
	gd_helm_pull_free(p);
	free(url);
}

static void
test_helm_pull__repo_basic_auth(void **state)
{
	struct gd_helm_pull *p;
	struct gd_helm_pulled pd;
	struct gd_conf *anon = gd_conf_new_default();
	struct gd_err err;
	char *url;

	(void)state;
	xasprintf(&url, "%s/private", g->http);
	p = store_new(g->conf, NULL);
	pull_ok(p, url, "myapp", "1.0.0", 0, &pd);
	assert_string_equal(pd.version, "1.0.0");
	gd_helm_pulled_dispose(&pd);
	gd_helm_pull_free(p);
	p = store_new(anon, NULL);
	assert_int_equal(pull_fail(p, url, "myapp", "1.0.0", &err), GD_EUNAUTH);
	assert_non_null(strstr(err.msg, "unauthorized"));
	gd_helm_pull_free(p);
	free(url);
	/* a redirect within the origin keeps the credentials */
	xasprintf(&url, "%s/same", g->http);
	p = store_new(g->conf, NULL);
	pull_ok(p, url, "myapp", "1.0.0", 0, &pd);
	gd_helm_pulled_dispose(&pd);
	free(url);
	/* one to another host does not get them */
	xasprintf(&url, "%s/hop", g->http);
	assert_int_equal(pull_fail(p, url, "myapp", "1.0.0", &err), GD_EUNAUTH);
	gd_helm_pull_free(p);
	gd_conf_free(anon);
	free(url);
}

static void
test_helm_pull__repo_not_found_messages(void **state)
{
	struct gd_helm_pull *p;
	struct gd_err err;
	char *url, *want;

	(void)state;
	xasprintf(&url, "%s/pub", g->http);
	p = store_new(g->conf, NULL);
	assert_int_equal(
	    pull_fail(p, url, "myapp", "9.9.9", &err), GD_ENOTFOUND);
	xasprintf(
	    &want, "%s: chart \"myapp\" version \"9.9.9\" not found", url);
	assert_string_equal(err.msg, want);
	free(want);
	assert_int_equal(
	    pull_fail(p, url, "myapp", "^2.0", &err), GD_ENOTFOUND);
	xasprintf(&want, "%s: no version of \"myapp\" satisfies \"^2.0\"", url);
	assert_string_equal(err.msg, want);
	free(want);
	assert_int_equal(
	    pull_fail(p, url, "other", "1.0.0", &err), GD_ENOTFOUND);
	xasprintf(&want, "%s: chart \"other\" not found", url);
	assert_string_equal(err.msg, want);
	free(want);
	free(url);
	xasprintf(&url, "%s/nothing-here", g->http);
	assert_int_equal(
	    pull_fail(p, url, "myapp", "1.0.0", &err), GD_ENOTFOUND);
	gd_helm_pull_free(p);
	free(url);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_helm_pull__semver_ranges),
		cmocka_unit_test(test_helm_pull__url_resolve),
		cmocka_unit_test(test_helm_pull__challenges_and_links),
		cmocka_unit_test(test_helm_pull__manifest_media_types),
		cmocka_unit_test(test_helm_pull__oci_by_tag),
		cmocka_unit_test(test_helm_pull__oci_by_digest),
		cmocka_unit_test(test_helm_pull__oci_by_range),
		cmocka_unit_test(test_helm_pull__oci_errors_name_the_ref),
		cmocka_unit_test(test_helm_pull__oci_layer_size_checked),
		cmocka_unit_test(test_helm_pull__oci_unchanged_tag_is_one_head),
		cmocka_unit_test(test_helm_pull__oci_tag_moved),
		cmocka_unit_test(test_helm_pull__oci_basic_auth),
		cmocka_unit_test(test_helm_pull__oci_token_auth),
		cmocka_unit_test(test_helm_pull__oci_tls_custom_ca),
		cmocka_unit_test(test_helm_pull__oci_registry_stopped),
		cmocka_unit_test(
		    test_helm_pull__store_corrupt_file_fetched_again),
		cmocka_unit_test(test_helm_pull__store_lru_eviction),
		cmocka_unit_test(test_helm_pull__single_flight),
		cmocka_unit_test(test_helm_pull__store_many_threads),
		cmocka_unit_test(
		    test_helm_pull__repo_relative_and_absolute_urls),
		cmocka_unit_test(test_helm_pull__repo_etag_keeps_index),
		cmocka_unit_test(test_helm_pull__repo_wrong_digest_refused),
		cmocka_unit_test(test_helm_pull__repo_basic_auth),
		cmocka_unit_test(test_helm_pull__repo_not_found_messages),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
