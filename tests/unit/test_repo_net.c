/* SPDX-License-Identifier: ISC */
/*
 * The repo module over the network, against real servers on loopback:
 * `git daemon` for git:// and lighttpd running `git http-backend` as a
 * CGI behind basic auth for smart HTTP and HTTPS. Both serve a
 * repository built by gitfix. Covered: clone and fetch over each,
 * credentials from the config's repositories: list, a wrong password
 * and missing credentials (a clear error that never holds the password,
 * and the mirror keeps its last good state), a force-pushed branch, a
 * remote that is gone, and HTTPS with a self-signed certificate:
 * refused, then accepted through ca_file or insecure. The git, lighttpd
 * and openssl binaries serve the tests only; gitopsd never runs them.
 * When one is missing, the tests that need it are skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gitopsd/core.h"
#include "gitopsd/conf.h"
#include "gitopsd/repo.h"
#include "../helpers/gitfix.h"

#define PASSWORD     "s3cret-pw"
#define HTTP_BACKEND "/usr/lib/git-core/git-http-backend"
#define LIGHTTPD     "/usr/sbin/lighttpd"

struct fx {
	char tmp[64];
	struct gitfix *remote;
	char c1[GITFIX_SHA_LEN], c2[GITFIX_SHA_LEN];
	pid_t git_pid, http_pid;
	int git_port, http_port, https_port;
	char *git_url, *http_url, *https_url;
};

/* A port that was free a moment ago. */
static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		abort();
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static bool
port_open(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0;
}

static pid_t
spawn(const char **argv, const char *log)
{
	pid_t pid = fork();
	FILE *f;

	if (pid == 0) {
		if ((f = freopen(log, "w", stderr)) == NULL)
			_exit(126);
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static bool
wait_port(int port)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (port_open(port))
			return true;
		usleep(10000);
	}
	return false;
}

static void
stop(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		abort();
	fputs(text, f);
	fclose(f);
}

static void
start_git_daemon(struct fx *f)
{
	char *base, *port, *log;
	const char *argv[10];

	if (access("/usr/lib/git-core/git-daemon", X_OK) != 0)
		return;
	f->git_port = free_port();
	xasprintf(&base, "--base-path=%s/srv", f->tmp);
	xasprintf(&port, "--port=%d", f->git_port);
	xasprintf(&log, "%s/git-daemon.log", f->tmp);
	argv[0] = "/usr/lib/git-core/git-daemon";
	argv[1] = "--reuseaddr";
	argv[2] = "--listen=127.0.0.1";
	argv[3] = port;
	argv[4] = base;
	argv[5] = "--export-all";
	argv[6] = NULL;
	f->git_pid = spawn(argv, log);
	if (!wait_port(f->git_port))
		stop(&f->git_pid);
	xasprintf(&f->git_url, "git://127.0.0.1:%d/gitops.git", f->git_port);
	free(base);
	free(port);
	free(log);
}

/* A self-signed certificate for 127.0.0.1; false without openssl. */
static bool
make_cert(struct fx *f)
{
	char *key, *crt, *log;
	pid_t pid;
	int status;

	if (access("/usr/bin/openssl", X_OK) != 0)
		return false;
	xasprintf(&key, "%s/tls.key", f->tmp);
	xasprintf(&crt, "%s/tls.crt", f->tmp);
	xasprintf(&log, "%s/openssl.log", f->tmp);
	{
		const char *argv[] = { "/usr/bin/openssl", "req", "-x509",
			"-newkey", "ec", "-pkeyopt",
			"ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
			key, "-out", crt, "-days", "1", "-subj",
			"/CN=127.0.0.1", NULL };

		pid = spawn(argv, log);
	}
	waitpid(pid, &status, 0);
	free(key);
	free(crt);
	free(log);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void
start_lighttpd(struct fx *f)
{
	char *conf, *path, *log;
	const char *argv[5];

	if (access(LIGHTTPD, X_OK) != 0 || access(HTTP_BACKEND, X_OK) != 0)
		return;
	f->http_port = free_port();
	f->https_port = make_cert(f) ? free_port() : 0;
	xasprintf(&path, "%s/users", f->tmp);
	write_file(path, "ci:" PASSWORD "\n");
	free(path);
	xasprintf(&path, "%s/www", f->tmp);
	if (gd_path_mkdirs(path, NULL) < 0)
		abort();
	free(path);
	xasprintf(&conf,
	    "server.document-root = \"%s/www\"\n"
	    "server.bind = \"127.0.0.1\"\n"
	    "server.port = %d\n"
	    "server.errorlog = \"%s/lighttpd.err\"\n"
	    "server.modules = ( \"mod_alias\", \"mod_setenv\", "
	    "\"mod_auth\", \"mod_authn_file\", \"mod_cgi\" )\n"
	    "auth.backend = \"plain\"\n"
	    "auth.backend.plain.userfile = \"%s/users\"\n"
	    "auth.require = ( \"/git/\" => ( \"method\" => \"basic\", "
	    "\"realm\" => \"git\", \"require\" => \"valid-user\" ) )\n"
	    "alias.url = ( \"/git/\" => \"" HTTP_BACKEND "/\" )\n"
	    "$HTTP[\"url\"] =~ \"^/git/\" {\n"
	    "  cgi.assign = ( \"\" => \"\" )\n"
	    "  setenv.set-environment = ( \"GIT_PROJECT_ROOT\" => "
	    "\"%s/srv\", \"GIT_HTTP_EXPORT_ALL\" => \"1\" )\n"
	    "}\n",
	    f->tmp, f->http_port, f->tmp, f->tmp, f->tmp);
	if (f->https_port > 0) {
		path = conf;
		xasprintf(&conf,
		    "%s"
		    "server.modules += ( \"mod_openssl\" )\n"
		    "$SERVER[\"socket\"] == \"127.0.0.1:%d\" {\n"
		    "  ssl.engine = \"enable\"\n"
		    "  ssl.pemfile = \"%s/tls.crt\"\n"
		    "  ssl.privkey = \"%s/tls.key\"\n"
		    "}\n",
		    path, f->https_port, f->tmp, f->tmp);
		free(path);
		xasprintf(&f->https_url, "https://127.0.0.1:%d/git/gitops.git",
		    f->https_port);
	}
	xasprintf(&path, "%s/lighttpd.conf", f->tmp);
	write_file(path, conf);
	xasprintf(&log, "%s/lighttpd.log", f->tmp);
	argv[0] = LIGHTTPD;
	argv[1] = "-D";
	argv[2] = "-f";
	argv[3] = path;
	argv[4] = NULL;
	f->http_pid = spawn(argv, log);
	if (!wait_port(f->http_port))
		stop(&f->http_pid);
	xasprintf(
	    &f->http_url, "http://127.0.0.1:%d/git/gitops.git", f->http_port);
	free(conf);
	free(path);
	free(log);
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char *dir;

	snprintf(f->tmp, sizeof(f->tmp), "/tmp/gd-repo-net-XXXXXX");
	if (mkdtemp(f->tmp) == NULL)
		return -1;
	xasprintf(&dir, "%s/srv/gitops.git", f->tmp);
	f->remote = gitfix_new(dir);
	free(dir);
	gitfix_write(f->remote, "apps/web/application.yaml", "kind: App\n");
	gitfix_commit(f->remote, "main", "first", f->c1);
	gitfix_write(f->remote, "apps/web/values.yaml", "replicas: 2\n");
	gitfix_commit(f->remote, "main", "second", f->c2);
	gd_repo_lib_init();
	start_git_daemon(f);
	start_lighttpd(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char *cmd;

	stop(&f->git_pid);
	stop(&f->http_pid);
	gd_repo_lib_shutdown();
	gitfix_free(f->remote);
	xasprintf(&cmd, "rm -rf '%s'", f->tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->tmp);
	free(cmd);
	free(f->git_url);
	free(f->http_url);
	free(f->https_url);
	free(f);
	return 0;
}

/* A config whose repositories: list gives ci and password file pwfile. */
static struct gd_conf *
conf_with(struct fx *f, const char *password)
{
	struct gd_conf *conf = NULL;
	struct gd_err err;
	char *text, *pw;

	xasprintf(&pw, "%s/pw", f->tmp);
	write_file(pw, password);
	xasprintf(&text,
	    "repositories:\n"
	    "  - url: http://127.0.0.1:%d/\n"
	    "    username: ci\n"
	    "    password_file: %s\n",
	    f->http_port, pw);
	if (gd_conf_load_buf(&conf, text, strlen(text), "test.yaml", &err) < 0)
		fail_msg("conf: %s", err.msg);
	free(text);
	free(pw);
	return conf;
}

static struct gd_repo *
open_mirror(struct fx *f, const char *url, const struct gd_conf *conf)
{
	struct gd_repo *r = NULL;
	struct gd_err err;
	char *data;

	xasprintf(&data, "%s/data", f->tmp);
	if (gd_repo_open(&r, data, url, conf, &err) < 0)
		fail_msg("open: %s", err.msg);
	free(data);
	return r;
}

static void
test_repo_net__git_daemon_clone_fetch_and_remote_gone(void **state)
{
	struct fx *f = *state;
	struct gd_repo *r;
	char sha[GD_SHA_LEN], c3[GITFIX_SHA_LEN];
	struct gd_err err;

	if (f->git_pid <= 0)
		fail_msg(
		    "the server this test needs did not start (see its log "
		    "above); scripts/install-deps installs git and lighttpd");
	r = open_mirror(f, f->git_url, NULL);
	assert_int_equal(gd_repo_fetch(r, &err), 0);
	assert_int_equal(gd_repo_resolve(sha, r, "main", &err), 0);
	assert_string_equal(sha, f->c2);
	gitfix_write(f->remote, "README.md", "three\n");
	gitfix_commit(f->remote, "main", "third", c3);
	assert_int_equal(gd_repo_fetch(r, &err), 0);
	assert_int_equal(gd_repo_resolve(sha, r, "HEAD", &err), 0);
	assert_string_equal(sha, c3);
	/* the server goes away: a clear error, the mirror stays */
	stop(&f->git_pid);
	assert_int_equal(gd_repo_fetch(r, &err), GD_EUPSTREAM);
	assert_non_null(strstr(err.msg, f->git_url));
	assert_int_equal(gd_repo_resolve(sha, r, "main", &err), 0);
	assert_string_equal(sha, c3);
	gd_repo_free(r);
}

static void
test_repo_net__http_basic_auth_and_force_push(void **state)
{
	struct fx *f = *state;
	struct gd_conf *conf;
	struct gd_repo *r;
	char sha[GD_SHA_LEN], c3[GITFIX_SHA_LEN];
	struct gd_err err;

	if (f->http_pid <= 0)
		fail_msg(
		    "the server this test needs did not start (see its log "
		    "above); scripts/install-deps installs git and lighttpd");
	conf = conf_with(f, PASSWORD "\n");
	r = open_mirror(f, f->http_url, conf);
	if (gd_repo_fetch(r, &err) < 0)
		fail_msg("fetch: %s", err.msg);
	assert_int_equal(gd_repo_resolve(sha, r, "main", &err), 0);
	assert_string_equal(sha, f->c2);
	/* someone rewrites main */
	gitfix_branch(f->remote, "main", f->c1);
	gitfix_write(f->remote, "apps/web/values.yaml", "replicas: 9\n");
	gitfix_commit(f->remote, "main", "rewritten", c3);
	assert_int_equal(gd_repo_fetch(r, &err), 0);
	assert_int_equal(gd_repo_resolve(sha, r, "main", &err), 0);
	assert_string_equal(sha, c3);
	gd_repo_free(r);
	gd_conf_free(conf);
}

static void
test_repo_net__http_wrong_password_keeps_the_mirror(void **state)
{
	struct fx *f = *state;
	struct gd_conf *good, *bad;
	struct gd_repo *r;
	char sha[GD_SHA_LEN];
	struct gd_err err;

	if (f->http_pid <= 0)
		fail_msg(
		    "the server this test needs did not start (see its log "
		    "above); scripts/install-deps installs git and lighttpd");
	good = conf_with(f, PASSWORD);
	r = open_mirror(f, f->http_url, good);
	assert_int_equal(gd_repo_fetch(r, &err), 0);
	gd_repo_free(r);
	bad = conf_with(f, "not-the-password");
	r = open_mirror(f, f->http_url, bad);
	assert_int_equal(gd_repo_fetch(r, &err), GD_EUPSTREAM);
	assert_non_null(strstr(err.msg, "authentication refused"));
	assert_null(strstr(err.msg, "not-the-password"));
	assert_int_equal(gd_repo_resolve(sha, r, "main", &err), 0);
	assert_string_equal(sha, f->c2);
	gd_repo_free(r);
	/* no credentials at all for this server */
	r = open_mirror(f, f->http_url, NULL);
	assert_int_equal(gd_repo_fetch(r, &err), GD_EUPSTREAM);
	assert_non_null(strstr(err.msg, "no credentials are configured"));
	gd_repo_free(r);
	gd_conf_free(good);
	gd_conf_free(bad);
}

static void
test_repo_net__https_untrusted_unless_insecure(void **state)
{
	struct fx *f = *state;
	struct gd_conf *conf = NULL;
	struct gd_repo *r;
	char sha[GD_SHA_LEN], *text, *pw;
	struct gd_err err;

	if (f->http_pid <= 0 || f->https_url == NULL)
		fail_msg(
		    "the server this test needs did not start (see its log "
		    "above); scripts/install-deps installs git and lighttpd");
	xasprintf(&pw, "%s/pw", f->tmp);
	write_file(pw, PASSWORD);
	xasprintf(&text,
	    "repositories:\n"
	    "  - url: https://127.0.0.1:%d/\n"
	    "    username: ci\n"
	    "    password_file: %s\n",
	    f->https_port, pw);
	assert_int_equal(
	    gd_conf_load_buf(&conf, text, strlen(text), "t.yaml", &err), 0);
	r = open_mirror(f, f->https_url, conf);
	assert_int_equal(gd_repo_fetch(r, &err), GD_EUPSTREAM);
	assert_non_null(strstr(err.msg, "TLS certificate is not trusted"));
	gd_repo_free(r);
	gd_conf_free(conf);
	free(text);
	xasprintf(&text,
	    "repositories:\n"
	    "  - url: https://127.0.0.1:%d/\n"
	    "    username: ci\n"
	    "    password_file: %s\n"
	    "    insecure: true\n",
	    f->https_port, pw);
	assert_int_equal(
	    gd_conf_load_buf(&conf, text, strlen(text), "t.yaml", &err), 0);
	r = open_mirror(f, f->https_url, conf);
	if (gd_repo_fetch(r, &err) < 0)
		fail_msg("fetch: %s", err.msg);
	assert_int_equal(gd_repo_resolve(sha, r, "main", &err), 0);
	assert_string_equal(sha, f->c2);
	gd_repo_free(r);
	gd_conf_free(conf);
	free(text);
	free(pw);
}

static void
test_repo_net__https_trusted_through_ca_file(void **state)
{
	struct fx *f = *state;
	struct gd_conf *conf = NULL;
	struct gd_repo *r;
	char sha[GD_SHA_LEN], *text, *data;
	struct gd_err err;

	if (f->http_pid <= 0 || f->https_url == NULL)
		fail_msg(
		    "the server this test needs did not start (see its log "
		    "above); scripts/install-deps installs git and lighttpd");
	xasprintf(&text,
	    "repositories:\n"
	    "  - url: https://127.0.0.1:%d/\n"
	    "    username: ci\n"
	    "    password_file: %s/pw\n"
	    "    ca_file: %s/tls.crt\n",
	    f->https_port, f->tmp, f->tmp);
	xasprintf(&data, "%s/pw", f->tmp);
	write_file(data, PASSWORD);
	free(data);
	assert_int_equal(
	    gd_conf_load_buf(&conf, text, strlen(text), "t.yaml", &err), 0);
	xasprintf(&data, "%s/data", f->tmp);
	if (gd_repo_lib_trust(conf, data, &err) < 0)
		fail_msg("trust: %s", err.msg);
	free(data);
	r = open_mirror(f, f->https_url, conf);
	if (gd_repo_fetch(r, &err) < 0)
		fail_msg("fetch: %s", err.msg);
	assert_int_equal(gd_repo_resolve(sha, r, "main", &err), 0);
	assert_string_equal(sha, f->c2);
	gd_repo_free(r);
	gd_conf_free(conf);
	free(text);
}

static void
test_repo_net__password_in_url_stays_out_of_messages(void **state)
{
	struct fx *f = *state;
	struct gd_repo *r;
	struct gd_err err;
	char *url;

	if (f->http_pid <= 0)
		fail_msg(
		    "the server this test needs did not start (see its log "
		    "above); scripts/install-deps installs git and lighttpd");
	xasprintf(&url, "http://ci:wrong-pw-in-url@127.0.0.1:%d/git/gitops.git",
	    f->http_port);
	r = open_mirror(f, url, NULL);
	assert_int_equal(gd_repo_fetch(r, &err), GD_EUPSTREAM);
	assert_null(strstr(err.msg, "wrong-pw-in-url"));
	assert_non_null(strstr(err.msg, f->http_url));
	gd_repo_free(r);
	free(url);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_repo_net__git_daemon_clone_fetch_and_remote_gone),
		T(test_repo_net__http_basic_auth_and_force_push),
		T(test_repo_net__http_wrong_password_keeps_the_mirror),
		T(test_repo_net__https_untrusted_unless_insecure),
		T(test_repo_net__https_trusted_through_ca_file),
		T(test_repo_net__password_in_url_stays_out_of_messages),
#undef T
	};

	gd_core_init_json();
	log_init(GD_LOG_ERROR);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
