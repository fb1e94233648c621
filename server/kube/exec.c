/* SPDX-License-Identifier: ISC */
/*
 * exec credential plugins (client.authentication.k8s.io): run the command
 * a kubeconfig names, with KUBERNETES_EXEC_INFO in its environment, and
 * read the ExecCredential it prints. The client caches the result until
 * its expirationTimestamp and runs the plugin again on a 401.
 *
 * The hard part is running a child from a threaded daemon: posix_spawnp
 * with a prepared environment (nothing but exec runs in the child), both
 * output pipes drained with poll so a chatty stderr cannot block the
 * child, and a deadline after which the child is killed, so a plugin that
 * waits for a browser login never hangs a sync.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kube_int.h"

extern char **environ;

#define EXEC_MAX_OUT    (1u << 20)
#define EXEC_TIMEOUT_MS 60000

void
gd_kube_cred_dispose(struct kube_cred *c)
{
	if (c->token != NULL) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
	}
	free(c->cert);
	if (c->key != NULL) {
		explicit_bzero(c->key, c->key_len);
		free(c->key);
	}
	memset(c, 0, sizeof(*c));
}

int
gd_kube_exec_parse(struct kube_cred *out, const char *api_version,
    const char *buf, size_t len, struct gd_err *err)
{
	json_t *doc = NULL, *st;
	const char *kind, *av, *tok, *cert, *key, *exp;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((doc = json_loadb(buf, len, 0, NULL)) == NULL) {
		rc = gd_err_set(err, GD_EUPSTREAM, "output is not JSON");
		goto out;
	}
	kind = json_string_value(json_object_get(doc, "kind"));
	av = json_string_value(json_object_get(doc, "apiVersion"));
	if (kind == NULL || strcmp(kind, "ExecCredential") != 0) {
		rc = gd_err_set(
		    err, GD_EUPSTREAM, "output is not an ExecCredential");
		goto out;
	}
	if (av == NULL || strcmp(av, api_version) != 0) {
		rc = gd_err_set(err, GD_EUPSTREAM,
		    "apiVersion %s does not match the kubeconfig's %s",
		    av != NULL ? av : "(none)", api_version);
		goto out;
	}
	st = json_object_get(doc, "status");
	tok = json_string_value(json_object_get(st, "token"));
	cert = json_string_value(json_object_get(st, "clientCertificateData"));
	key = json_string_value(json_object_get(st, "clientKeyData"));
	exp = json_string_value(json_object_get(st, "expirationTimestamp"));
	if ((cert == NULL) != (key == NULL) || (tok == NULL && cert == NULL)) {
		rc = gd_err_set(err, GD_EUPSTREAM,
		    "status needs a token or clientCertificateData and "
		    "clientKeyData");
		goto out;
	}
	if (exp != NULL && (rc = gd_time_parse(&out->expiry, exp, err)) < 0) {
		gd_err_wrap(err, "expirationTimestamp");
		goto out;
	}
	if (tok != NULL)
		out->token = xstrdup(tok);
	if (cert != NULL) {
		out->cert = (unsigned char *)xstrdup(cert);
		out->cert_len = strlen(cert);
		out->key = (unsigned char *)xstrdup(key);
		out->key_len = strlen(key);
	}
	rc = 0;
out:
	json_decref(doc);
	if (rc < 0)
		gd_kube_cred_dispose(out);
	return rc;
}

/* Standard base64 of len bytes at p, as Go's []byte marshals. */
static char *
b64_encode(const unsigned char *p, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	struct gd_buf b;
	unsigned v;
	size_t i;

	gd_buf_init(&b);
	gd_buf_adds(&b, "");
	for (i = 0; i < len; i += 3) {
		v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		gd_buf_addc(&b, tab[(v >> 18) & 63]);
		gd_buf_addc(&b, tab[(v >> 12) & 63]);
		gd_buf_addc(&b, i + 1 < len ? tab[(v >> 6) & 63] : '=');
		gd_buf_addc(&b, i + 2 < len ? tab[v & 63] : '=');
	}
	return gd_buf_detach(&b, NULL);
}

/* The cluster's CA for the plugin: inline data, or the file's content. */
static void
exec_info_ca(json_t *cl, const struct gd_kube_config *cfg)
{
	struct gd_buf b;
	char *enc = NULL;

	gd_buf_init(&b);
	if (cfg->ca_data != NULL)
		enc = b64_encode(cfg->ca_data, cfg->ca_len);
	else if (cfg->ca_file != NULL &&
	    gd_buf_read_file(&b, cfg->ca_file, 1u << 20, NULL) == 0)
		enc = b64_encode((const unsigned char *)b.data, b.len);
	if (enc != NULL)
		json_object_set_new(
		    cl, "certificate-authority-data", json_string(enc));
	free(enc);
	gd_buf_dispose(&b);
}

/* KUBERNETES_EXEC_INFO's value: the ExecCredential the plugin gets. */
static char *
exec_info(const struct gd_kube_config *cfg)
{
	json_t *info, *spec, *cl;
	char *s;

	spec = json_pack("{s:b}", "interactive", 0);
	if (cfg->exec->provide_cluster_info) {
		cl = json_pack("{s:s, s:b}", "server", cfg->server,
		    "insecure-skip-tls-verify", cfg->insecure);
		if (cfg->tls_server_name != NULL)
			json_object_set_new(cl, "tls-server-name",
			    json_string(cfg->tls_server_name));
		exec_info_ca(cl, cfg);
		json_object_set_new(spec, "cluster", cl);
	}
	info = json_pack("{s:s, s:s, s:o}", "apiVersion",
	    cfg->exec->api_version, "kind", "ExecCredential", "spec", spec);
	s = json_dumps(info, JSON_COMPACT);
	json_decref(info);
	return s;
}

/* environ plus the plugin's env and KUBERNETES_EXEC_INFO; caller frees. */
static char **
exec_env(const struct gd_kube_config *cfg)
{
	char **env, **p, *info;
	size_t n = 0, m = 0, i;

	for (p = environ; p != NULL && *p != NULL; p++)
		n++;
	for (p = cfg->exec->env; p != NULL && *p != NULL; p++)
		m++;
	env = xcalloc(n + m + 2, sizeof(char *));
	n = 0;
	for (p = environ; p != NULL && *p != NULL; p++)
		if (strncmp(*p, "KUBERNETES_EXEC_INFO=", 21) != 0)
			env[n++] = xstrdup(*p);
	for (i = 0; i < m; i++)
		env[n++] = xstrdup(cfg->exec->env[i]);
	info = exec_info(cfg);
	xasprintf(&env[n++], "KUBERNETES_EXEC_INFO=%s", info);
	free(info);
	return env;
}

static void
env_free(char **env)
{
	char **p;

	for (p = env; p != NULL && *p != NULL; p++)
		free(*p);
	free(env);
}

/* The child's ends are dup2'd onto 1 and 2, which clears the flag. */
static int
cloexec_pipe(int fd[2])
{
	if (pipe(fd) == -1)
		return -1;
	if (fcntl(fd[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fd[1], F_SETFD, FD_CLOEXEC) == -1)
		return -1;
	return 0;
}

/* Reads both pipes until EOF, the limit or the deadline. */
static int
exec_drain(int outfd, int errfd, struct gd_buf *out, struct gd_buf *errb,
    const char *cmd, struct gd_err *err)
{
	struct pollfd pfd[2];
	char chunk[4096];
	uint64_t deadline = gd_time_mono_ms() + EXEC_TIMEOUT_MS, now;
	ssize_t n;
	int i, open = 2;

	pfd[0].fd = outfd;
	pfd[1].fd = errfd;
	pfd[0].events = pfd[1].events = POLLIN;
	while (open > 0) {
		now = gd_time_mono_ms();
		if (now >= deadline)
			return gd_err_set(err, GD_EUPSTREAM,
			    "exec plugin %s: no answer in %d s", cmd,
			    EXEC_TIMEOUT_MS / 1000);
		if (poll(pfd, 2, (int)(deadline - now)) == -1) {
			if (errno == EINTR)
				continue;
			return gd_err_set(err, GD_EINTERNAL,
			    "exec plugin %s: poll: %s", cmd, strerror(errno));
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			n = read(pfd[i].fd, chunk, sizeof(chunk));
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				pfd[i].fd = -1;
				open--;
				continue;
			}
			if (i == 1) {
				if (errb->len < 512)
					gd_buf_add(errb, chunk, (size_t)n);
				continue;
			}
			if (out->len + (size_t)n > EXEC_MAX_OUT)
				return gd_err_set(err, GD_ETOOBIG,
				    "exec plugin %s: output over %u bytes", cmd,
				    EXEC_MAX_OUT);
			gd_buf_add(out, chunk, (size_t)n);
		}
	}
	return 0;
}

/* The first line of what the plugin said on stderr, for the message. */
static const char *
first_line(struct gd_buf *b)
{
	char *nl;

	if (b->len == 0)
		return "";
	if ((nl = strchr(b->data, '\n')) != NULL)
		*nl = '\0';
	return b->data;
}

int
gd_kube_exec_run(
    struct kube_cred *out, const struct gd_kube_config *cfg, struct gd_err *err)
{
	posix_spawn_file_actions_t fa;
	struct gd_buf ob, eb;
	char **env = NULL, **argv = NULL;
	const char *cmd = cfg->exec->command;
	int op[2] = { -1, -1 }, ep[2] = { -1, -1 }, rc, status;
	size_t n = 0, i;
	pid_t pid = -1;

	memset(out, 0, sizeof(*out));
	gd_buf_init(&ob);
	gd_buf_init(&eb);
	posix_spawn_file_actions_init(&fa);
	if (strcmp(cfg->exec->interactive_mode, "Always") == 0) {
		rc = gd_err_set(err, GD_EINVAL,
		    "exec plugin %s: interactiveMode Always needs a terminal",
		    cmd);
		goto out;
	}
	while (cfg->exec->args != NULL && cfg->exec->args[n] != NULL)
		n++;
	argv = xcalloc(n + 2, sizeof(char *));
	argv[0] = (char *)cmd;
	for (i = 0; i < n; i++)
		argv[i + 1] = cfg->exec->args[i];
	env = exec_env(cfg);
	if (cloexec_pipe(op) == -1 || cloexec_pipe(ep) == -1) {
		rc = gd_err_set(err, GD_EINTERNAL, "exec plugin %s: pipe: %s",
		    cmd, strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, op[1], 1);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	if ((rc = posix_spawnp(&pid, cmd, &fa, NULL, argv, env)) != 0) {
		pid = -1;
		rc = gd_err_set(
		    err, GD_EUPSTREAM, "exec plugin %s: %s", cmd, strerror(rc));
		goto out;
	}
	close(op[1]);
	close(ep[1]);
	op[1] = ep[1] = -1;
	if ((rc = exec_drain(op[0], ep[0], &ob, &eb, cmd, err)) < 0)
		goto out;
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = gd_err_set(err, GD_EUPSTREAM,
		    "exec plugin %s failed (status %d): %s", cmd,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		    first_line(&eb));
		goto out;
	}
	if ((rc = gd_kube_exec_parse(
		 out, cfg->exec->api_version, ob.data, ob.len, err)) < 0) {
		gd_err_wrap(err, "exec plugin %s", cmd);
		goto out;
	}
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
	}
	for (i = 0; i < 2; i++) {
		if (op[i] >= 0)
			close(op[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	posix_spawn_file_actions_destroy(&fa);
	if (ob.data != NULL)
		explicit_bzero(ob.data, ob.len);
	gd_buf_dispose(&ob);
	gd_buf_dispose(&eb);
	env_free(env);
	free(argv);
	return rc;
}
