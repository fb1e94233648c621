/* SPDX-License-Identifier: ISC */
/*
 * The kube client without a server: kubeconfig files as kubectl reads
 * them (merging, contexts, relative paths, inline data, exec plugins),
 * in-cluster config, the Status to gd_err mapping, the exec credential
 * plugin protocol, and the arithmetic of backoff and the rate limit.
 * tests/unit/test_kube_sim.c runs the client against kubesim.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitopsd/kube.h"
#include "../../server/kube/kube_int.h"

static char fixdir[4096];
static char tmpdir[] = "/tmp/test_kube.XXXXXX";

static int
group_setup(void **state)
{
	const char *src = getenv("GD_SRCDIR");

	(void)state;
	gd_core_init_json();
	snprintf(fixdir, sizeof(fixdir), "%s/tests/fixtures/kube",
	    src != NULL ? src : ".");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	char *cmd;

	(void)state;
	xasprintf(&cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	free(cmd);
	return 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *
fix(const char *rel)
{
	char *p;

	xasprintf(&p, "%s/%s", fixdir, rel);
	return p;
}

static struct gd_kube_config *
load_ok(const char *paths, const char *context)
{
	struct gd_kube_config *c = NULL;
	struct gd_err err;

	gd_err_clear(&err);
	if (gd_kube_config_load(&c, paths, context, &err) < 0)
		fail_msg("load %s failed: %s", paths, err.msg);
	return c;
}

/* Parses text that must fail; returns the message. */
static const char *
parse_bad(const char *text, int code)
{
	static struct gd_err err;
	struct gd_kube_config *c = NULL;

	gd_err_clear(&err);
	assert_int_equal(gd_kube_config_parse(&c, text, strlen(text), "kc.yaml",
			     "/etc/kube", NULL, &err),
	    code);
	assert_null(c);
	return err.msg;
}

/* --- kubeconfig --------------------------------------------------------- */

static void
test_kube__config_current_context_with_token(void **state)
{
	char *path = fix("kubeconfig/a.yaml"), *ca;
	struct gd_kube_config *c = load_ok(path, NULL);

	(void)state;
	assert_string_equal(c->context, "dev");
	/* the trailing slash goes: paths are appended to it */
	assert_string_equal(c->server, "https://127.0.0.1:6443");
	assert_string_equal(c->namespace, "team-a");
	assert_string_equal(c->token, "abc123");
	assert_string_equal(c->tls_server_name, "kubernetes.default");
	assert_false(c->insecure);
	/* relative to the kubeconfig's folder, not the process */
	xasprintf(&ca, "%s/kubeconfig/certs/ca.pem", fixdir);
	assert_string_equal(c->ca_file, ca);
	assert_null(c->ca_data);
	assert_null(c->exec);
	free(ca);
	free(path);
	gd_kube_config_free(c);
}

static void
test_kube__config_named_context_inline_data(void **state)
{
	char *path = fix("kubeconfig/a.yaml");
	struct gd_kube_config *c = load_ok(path, "prod");

	(void)state;
	assert_string_equal(c->server, "https://prod.example.com:443");
	assert_string_equal(c->namespace, "default");
	assert_true(c->insecure);
	assert_int_equal(c->ca_len, 28);
	assert_memory_equal(c->ca_data, "-----BEGIN CERTIFICATE-----\n", 28);
	assert_int_equal(c->cert_len, 4);
	assert_memory_equal(c->cert_data, "cert", 4);
	assert_int_equal(c->key_len, 3);
	assert_memory_equal(c->key_data, "key", 3);
	assert_null(c->token);
	free(path);
	gd_kube_config_free(c);
}

static void
test_kube__config_basic_auth_and_token_file(void **state)
{
	char *path = fix("kubeconfig/a.yaml"), *tf;
	struct gd_kube_config *c = load_ok(path, "shared");

	(void)state;
	assert_string_equal(c->username, "admin");
	assert_string_equal(c->password, "s3cret");
	xasprintf(&tf, "%s/kubeconfig/../tokens/dev", fixdir);
	assert_string_equal(c->token_file, tf);
	free(tf);
	free(path);
	gd_kube_config_free(c);
}

static void
test_kube__config_list_merges_first_wins(void **state)
{
	char *a = fix("kubeconfig/a.yaml"), *b = fix("kubeconfig/b.yaml");
	char *list, *cmd;
	struct gd_kube_config *c;

	(void)state;
	/* a missing file in the list is skipped, as kubectl skips it */
	xasprintf(&list, "%s:%s/missing.yaml:%s", a, tmpdir, b);
	c = load_ok(list, NULL);
	/* current-context and dev-cluster come from the first file */
	assert_string_equal(c->context, "dev");
	assert_string_equal(c->server, "https://127.0.0.1:6443");
	gd_kube_config_free(c);

	/* entries only the second file has are still there */
	c = load_ok(list, "other");
	assert_string_equal(c->server, "http://127.0.0.1:8001");
	assert_non_null(c->exec);
	assert_string_equal(
	    c->exec->api_version, "client.authentication.k8s.io/v1");
	xasprintf(&cmd, "%s/kubeconfig/./bin/get-token", fixdir);
	assert_string_equal(c->exec->command, cmd);
	assert_string_equal(c->exec->args[0], "--cluster");
	assert_string_equal(c->exec->args[1], "other");
	assert_null(c->exec->args[2]);
	assert_string_equal(c->exec->env[0], "TOKEN_KIND=short");
	assert_null(c->exec->env[1]);
	assert_string_equal(c->exec->interactive_mode, "Never");
	assert_true(c->exec->provide_cluster_info);
	gd_kube_config_free(c);
	free(cmd);

	/* in the other order the second file's choices win */
	free(list);
	xasprintf(&list, "%s:%s", b, a);
	c = load_ok(list, "dev");
	assert_string_equal(c->server, "https://loser.example.com");
	gd_kube_config_free(c);
	free(list);
	free(a);
	free(b);
}

static void
test_kube__config_kubeconfig_env_then_home(void **state)
{
	char *home, *kdir, *path, *a = fix("kubeconfig/b.yaml");
	char *old_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	struct gd_kube_config *c;
	struct gd_err err;

	(void)state;
	xasprintf(&home, "%s/home", tmpdir);
	xasprintf(&kdir, "%s/.kube", home);
	xasprintf(&path, "%s/config", kdir);
	assert_int_equal(gd_path_mkdirs(kdir, NULL), 0);
	write_file(path,
	    "current-context: h\nclusters:\n- name: c\n"
	    "  cluster: {server: 'https://home:1'}\n"
	    "contexts:\n- name: h\n  context: {cluster: c}\n");
	setenv("HOME", home, 1);
	setenv("KUBECONFIG", a, 1);
	c = load_ok(NULL, NULL);
	assert_string_equal(c->context, "other");
	gd_kube_config_free(c);
	unsetenv("KUBECONFIG");
	c = load_ok(NULL, NULL);
	assert_string_equal(c->server, "https://home:1");
	gd_kube_config_free(c);

	/* one named file must exist */
	c = NULL;
	unlink(path);
	assert_int_equal(
	    gd_kube_config_load(&c, NULL, NULL, &err), GD_ENOTFOUND);
	assert_non_null(strstr(err.msg, path));
	if (old_home != NULL)
		setenv("HOME", old_home, 1);
	free(old_home);
	free(home);
	free(kdir);
	free(path);
	free(a);
}

static void
test_kube__config_errors_name_the_entry(void **state)
{
	static const char base[] = "clusters:\n- name: c\n  cluster:\n"
				   "    server: https://h\n";
	char *text;

	(void)state;
	assert_string_equal(parse_bad(base, GD_EINVAL),
	    "kc.yaml: no current-context and none given");
	xasprintf(&text, "%scurrent-context: x\n", base);
	assert_string_equal(
	    parse_bad(text, GD_EINVAL), "kc.yaml: context \"x\" not found");
	free(text);
	xasprintf(&text,
	    "%scurrent-context: x\ncontexts:\n- name: x\n"
	    "  context: {cluster: nope}\n",
	    base);
	assert_string_equal(parse_bad(text, GD_EINVAL),
	    "kc.yaml: context \"x\": cluster \"nope\" not found");
	free(text);
	xasprintf(&text,
	    "%scurrent-context: x\ncontexts:\n- name: x\n"
	    "  context: {cluster: c, user: u}\nusers:\n- name: u\n"
	    "  user: {client-certificate-data: '!!notbase64'}\n",
	    base);
	assert_string_equal(parse_bad(text, GD_EINVAL),
	    "kc.yaml: user \"u\": client-certificate-data is not valid "
	    "base64");
	free(text);
	xasprintf(&text,
	    "%scurrent-context: x\ncontexts:\n- name: x\n"
	    "  context: {cluster: c, user: u}\nusers:\n- name: u\n"
	    "  user: {client-certificate: a.crt}\n",
	    base);
	assert_string_equal(parse_bad(text, GD_EINVAL),
	    "kc.yaml: user \"u\": client-certificate and client-key go "
	    "together");
	free(text);
	assert_string_equal(parse_bad("clusters:\n- cluster: {}\n", GD_EINVAL),
	    "kc.yaml: clusters[0] needs a name");
	assert_string_equal(parse_bad("current-context: x\n"
				      "contexts:\n- name: x\n"
				      "  context: {cluster: c}\n"
				      "clusters:\n- name: c\n  cluster:\n"
				      "    server: ftp://h\n",
				GD_EINVAL),
	    "kc.yaml: cluster \"c\": server ftp://h must start with "
	    "https:// or http://");
	/* a YAML mistake keeps its line and column */
	assert_non_null(
	    strstr(parse_bad("clusters: [\n", GD_EINVAL), "kc.yaml:"));
}

static void
test_kube__config_wrong_type_names_field(void **state)
{
	char *path = fix("kubeconfig/bad-types.yaml");
	struct gd_kube_config *c = NULL;
	struct gd_err err;

	(void)state;
	assert_int_equal(gd_kube_config_load(&c, path, NULL, &err), GD_EINVAL);
	assert_null(c);
	assert_non_null(
	    strstr(err.msg, "cluster \"c\": server must be a string"));
	assert_non_null(strstr(err.msg, "bad-types.yaml"));
	free(path);
}

/* --- in-cluster --------------------------------------------------------- */

static void
incluster_dir(char **dir)
{
	char *p;

	xasprintf(dir, "%s/sa", tmpdir);
	assert_int_equal(gd_path_mkdirs(*dir, NULL), 0);
	xasprintf(&p, "%s/token", *dir);
	write_file(p, "sa-token-1\n");
	free(p);
	xasprintf(&p, "%s/ca.crt", *dir);
	write_file(p, "-----BEGIN CERTIFICATE-----\n");
	free(p);
	xasprintf(&p, "%s/namespace", *dir);
	write_file(p, "gitopsd\n");
	free(p);
}

static void
test_kube__incluster_reads_service_account(void **state)
{
	struct gd_kube_config *c = NULL;
	struct gd_err err;
	char *dir, *tok;

	(void)state;
	incluster_dir(&dir);
	unsetenv("POD_NAMESPACE");
	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_int_equal(gd_kube_config_incluster(&c, dir, &err), GD_EINVAL);
	assert_non_null(strstr(err.msg, "not running in a cluster"));

	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(gd_kube_config_incluster(&c, dir, &err), 0);
	assert_string_equal(c->server, "https://10.96.0.1:443");
	assert_string_equal(c->namespace, "gitopsd");
	xasprintf(&tok, "%s/token", dir);
	/* named, not read: the token rotates */
	assert_string_equal(c->token_file, tok);
	assert_null(c->token);
	gd_kube_config_free(c);

	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("POD_NAMESPACE", "override", 1);
	assert_int_equal(gd_kube_config_incluster(&c, dir, &err), 0);
	assert_string_equal(c->server, "https://[fd00::1]:443");
	assert_string_equal(c->namespace, "override");
	gd_kube_config_free(c);

	unlink(tok);
	assert_int_equal(gd_kube_config_incluster(&c, dir, &err), GD_EINVAL);
	assert_non_null(strstr(err.msg, tok));
	unsetenv("POD_NAMESPACE");
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	free(tok);
	free(dir);
}

/* --- Status -> gd_err --------------------------------------------------- */

static int
status_file(struct gd_err *err, long http, const char *name)
{
	struct gd_buf b;
	char *path;
	int rc;

	xasprintf(&path, "%s/status/%s", fixdir, name);
	gd_buf_init(&b);
	assert_int_equal(gd_buf_read_file(&b, path, 0, NULL), 0);
	rc = gd_kube_status_err(err, http, b.data, b.len);
	gd_buf_dispose(&b);
	free(path);
	return rc;
}

static void
test_kube__status_message_becomes_err(void **state)
{
	struct gd_err err;

	(void)state;
	assert_int_equal(status_file(&err, 404, "notfound.json"), GD_ENOTFOUND);
	assert_string_equal(err.msg, "deployments.apps \"web\" not found");
	assert_int_equal(err.code, GD_ENOTFOUND);
	assert_int_equal(status_file(&err, 422, "invalid.json"), GD_EINVAL);
	assert_string_equal(err.msg,
	    "Deployment.apps \"web\" is invalid: "
	    "spec.template.spec.containers[0].image: Required value");
}

static void
test_kube__status_conflict_names_fields(void **state)
{
	static const char named[] =
	    "{\"kind\":\"Status\",\"message\":\"Apply failed with 1 conflict: "
	    "conflict with \\\"kubectl\\\" using apps/v1: .spec.replicas\","
	    "\"details\":{\"causes\":[{\"reason\":\"FieldManagerConflict\","
	    "\"field\":\".spec.replicas\"}]},\"code\":409}";
	struct gd_err err;

	(void)state;
	assert_int_equal(status_file(&err, 409, "conflict.json"), GD_ECONFLICT);
	assert_string_equal(err.msg,
	    "Apply failed with 2 conflicts: conflict with \"kubectl\" using "
	    "apps/v1 (conflicting fields .spec.replicas, "
	    ".spec.template.spec.containers[name=\"web\"].image)");
	/* a field the message names already is not repeated */
	assert_int_equal(
	    gd_kube_status_err(&err, 409, named, strlen(named)), GD_ECONFLICT);
	assert_string_equal(err.msg,
	    "Apply failed with 1 conflict: conflict with \"kubectl\" using "
	    "apps/v1: .spec.replicas");
}

static void
test_kube__status_other_bodies(void **state)
{
	static const char unauth[] =
	    "{\"kind\":\"Status\",\"reason\":\"Unauthorized\"}";
	struct gd_err err;

	(void)state;
	assert_int_equal(status_file(&err, 502, "html.txt"), GD_EUPSTREAM);
	assert_string_equal(
	    err.msg, "HTTP 502: <html><body>Bad Gateway</body></html>");
	assert_int_equal(gd_kube_status_err(&err, 429, NULL, 0), GD_EUNAVAIL);
	assert_string_equal(err.msg, "HTTP 429");
	assert_int_equal(
	    gd_kube_status_err(&err, 401, unauth, strlen(unauth)), GD_EUNAUTH);
	assert_string_equal(err.msg, "HTTP 401 Unauthorized");
	assert_int_equal(gd_kube_status_err(&err, 403, "x", 1), GD_EDENIED);
	assert_int_equal(gd_kube_status_err(&err, 410, "x", 1), GD_ECONFLICT);
	/* control bytes never reach a log line */
	assert_int_equal(gd_kube_status_err(&err, 500,
			     "a\nb\x01"
			     "c",
			     5),
	    GD_EUPSTREAM);
	assert_string_equal(err.msg, "HTTP 500: a bc");
}

/* --- list items --------------------------------------------------------- */

static void
test_kube__list_items_get_kind(void **state)
{
	json_t *item = json_pack("{s:{s:s}}", "metadata", "name", "web");
	json_t *crd = json_pack(
	    "{s:s, s:s}", "kind", "Widget", "apiVersion", "example.com/v1");

	(void)state;
	gd_kube_item_fill(item, "DeploymentList", "apps/v1");
	assert_string_equal(
	    json_string_value(json_object_get(item, "kind")), "Deployment");
	assert_string_equal(
	    json_string_value(json_object_get(item, "apiVersion")), "apps/v1");
	/* CRD lists carry them; nothing is overwritten */
	gd_kube_item_fill(crd, "WidgetList", "example.com/v2");
	assert_string_equal(
	    json_string_value(json_object_get(crd, "apiVersion")),
	    "example.com/v1");
	json_decref(item);
	json_decref(crd);
}

struct events {
	int n[4];
	char rv[16];
};

static int
count_event(void *arg, enum gd_kube_event ev, json_t *obj)
{
	struct events *e = arg;

	e->n[ev]++;
	if (ev == GD_KUBE_ADDED)
		assert_string_equal(
		    json_string_value(json_object_get(obj, "kind")),
		    "Deployment");
	return 0;
}

static void
test_kube__watch_stream_events_and_expiry(void **state)
{
	struct gd_kube_ref ref = { "apps/v1", "Deployment", "default", NULL };
	struct gd_kube_watch_pos pos = { NULL, false };
	struct events e = { { 0 }, "" };
	struct gd_buf b;
	struct gd_err err;
	char *path = fix("status/watch.ndjson");

	(void)state;
	gd_buf_init(&b);
	assert_int_equal(gd_buf_read_file(&b, path, 0, NULL), 0);
	/* one byte at a time: ADDED, BOOKMARK (moves the version), 410 */
	assert_int_equal(gd_kube_watch_feed(&pos, &ref, b.data, b.len, 1,
			     count_event, &e, &err),
	    0);
	assert_int_equal(e.n[GD_KUBE_ADDED], 1);
	assert_int_equal(e.n[GD_KUBE_BOOKMARK], 1);
	assert_string_equal(pos.rv, "12");
	assert_true(pos.expired);
	/* the same at once */
	free(pos.rv);
	pos.rv = NULL;
	assert_int_equal(gd_kube_watch_feed(&pos, &ref, b.data, b.len, 0,
			     count_event, &e, &err),
	    0);
	assert_int_equal(e.n[GD_KUBE_ADDED], 2);
	assert_string_equal(pos.rv, "12");
	assert_true(pos.expired);
	free(pos.rv);
	pos.rv = NULL;
	assert_int_equal(gd_kube_watch_feed(&pos, &ref, "{\"type\":1}\n", 12, 0,
			     count_event, &e, &err),
	    GD_EUPSTREAM);
	assert_string_equal(
	    err.msg, "watch Deployment: an event has no type or object");
	gd_buf_dispose(&b);
	free(path);
}

/* --- retries and rate limit ----------------------------------------------- */

static void
test_kube__backoff_doubles_and_caps(void **state)
{
	(void)state;
	assert_int_equal(gd_kube_backoff_ms(200, 0), 200);
	assert_int_equal(gd_kube_backoff_ms(200, 1), 400);
	assert_int_equal(gd_kube_backoff_ms(200, 3), 1600);
	assert_int_equal(gd_kube_backoff_ms(200, 40), 30000);
	assert_int_equal(gd_kube_backoff_ms(0, 0), 200);
}

static void
test_kube__bucket_allows_burst_then_qps(void **state)
{
	struct kube_bucket b;
	uint64_t t = 1000;

	(void)state;
	gd_kube_bucket_init(&b, 10, 3);
	assert_int_equal(gd_kube_bucket_take(&b, t), 0);
	assert_int_equal(gd_kube_bucket_take(&b, t), 0);
	assert_int_equal(gd_kube_bucket_take(&b, t), 0);
	/* burst spent: one token every 100 ms, queued in order */
	assert_int_equal(gd_kube_bucket_take(&b, t), 100);
	assert_int_equal(gd_kube_bucket_take(&b, t), 200);
	/* a second later the debt is paid and 5 tokens came back; cap 3 */
	t += 1000;
	assert_int_equal(gd_kube_bucket_take(&b, t), 0);
	assert_int_equal(gd_kube_bucket_take(&b, t), 0);
	assert_int_equal(gd_kube_bucket_take(&b, t), 0);
	assert_int_equal(gd_kube_bucket_take(&b, t), 100);
	gd_kube_bucket_dispose(&b);
}

/* --- exec plugins --------------------------------------------------------- */

/* A config whose exec plugin is the fixture script, with env pairs. */
static struct gd_kube_config *
exec_config(const char *env1, const char *env2)
{
	struct gd_kube_config *c = xcalloc(1, sizeof(*c));

	c->server = xstrdup("https://127.0.0.1:1");
	c->exec = xcalloc(1, sizeof(*c->exec));
	c->exec->api_version = xstrdup("client.authentication.k8s.io/v1");
	c->exec->command = xstrdup("/bin/sh");
	c->exec->args = xcalloc(2, sizeof(char *));
	c->exec->args[0] = fix("exec-plugin.sh");
	c->exec->env = xcalloc(3, sizeof(char *));
	c->exec->env[0] = env1 != NULL ? xstrdup(env1) : NULL;
	c->exec->env[1] = env1 != NULL && env2 != NULL ? xstrdup(env2) : NULL;
	c->exec->interactive_mode = xstrdup("Never");
	return c;
}

static void
test_kube__exec_plugin_gives_token(void **state)
{
	struct gd_kube_config *c;
	struct kube_cred cred;
	struct gd_buf b;
	struct gd_err err;
	json_t *info;
	char *infof, *env;

	(void)state;
	xasprintf(&infof, "%s/exec-info.json", tmpdir);
	xasprintf(&env, "GD_EXEC_INFO=%s", infof);
	c = exec_config("GD_EXEC_TOKEN=tok-1", env);
	c->exec->provide_cluster_info = true;
	c->ca_data = (unsigned char *)xstrdup("PEM");
	c->ca_len = 3;
	assert_int_equal(gd_kube_exec_run(&cred, c, &err), 0);
	assert_string_equal(cred.token, "tok-1");
	assert_int_equal(cred.expiry, 0);
	gd_kube_cred_dispose(&cred);

	/* the plugin was told about the cluster and that it cannot ask */
	gd_buf_init(&b);
	assert_int_equal(gd_buf_read_file(&b, infof, 0, NULL), 0);
	info = json_loadb(b.data, b.len, 0, NULL);
	assert_non_null(info);
	assert_string_equal(
	    json_string_value(json_object_get(info, "kind")), "ExecCredential");
	assert_true(json_is_false(
	    json_object_get(json_object_get(info, "spec"), "interactive")));
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(info, "spec"), "cluster"),
		"server")),
	    "https://127.0.0.1:1");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(info, "spec"), "cluster"),
		"certificate-authority-data")),
	    "UEVN");
	json_decref(info);
	gd_buf_dispose(&b);
	gd_kube_config_free(c);
	free(env);
	free(infof);
}

static void
test_kube__exec_plugin_failure_says_why(void **state)
{
	struct gd_kube_config *c = exec_config("GD_EXEC_FAIL=no browser", NULL);
	struct kube_cred cred;
	struct gd_err err;

	(void)state;
	assert_int_equal(gd_kube_exec_run(&cred, c, &err), GD_EUPSTREAM);
	assert_string_equal(err.msg,
	    "exec plugin /bin/sh failed (status 3): login failed: no browser");
	gd_kube_config_free(c);

	c = exec_config(NULL, NULL);
	free(c->exec->command);
	c->exec->command = xstrdup("/nonexistent/plugin");
	assert_int_equal(gd_kube_exec_run(&cred, c, &err), GD_EUPSTREAM);
	assert_non_null(strstr(err.msg, "/nonexistent/plugin"));
	gd_kube_config_free(c);
}

static void
test_kube__exec_credential_parse(void **state)
{
	static const char av[] = "client.authentication.k8s.io/v1";
	static const char ok[] =
	    "{\"apiVersion\":\"client.authentication.k8s.io/v1\","
	    "\"kind\":\"ExecCredential\",\"status\":{"
	    "\"clientCertificateData\":\"CERT\",\"clientKeyData\":\"KEY\","
	    "\"expirationTimestamp\":\"2030-01-02T03:04:05Z\"}}";
	static const char wrongv[] =
	    "{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
	    "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}";
	static const char empty[] =
	    "{\"apiVersion\":\"client.authentication.k8s.io/v1\","
	    "\"kind\":\"ExecCredential\",\"status\":{}}";
	struct kube_cred cred;
	struct gd_err err;

	(void)state;
	assert_int_equal(
	    gd_kube_exec_parse(&cred, av, ok, strlen(ok), &err), 0);
	assert_null(cred.token);
	assert_memory_equal(cred.cert, "CERT", 4);
	assert_memory_equal(cred.key, "KEY", 3);
	assert_int_equal(cred.expiry, 1893553445);
	gd_kube_cred_dispose(&cred);
	assert_int_equal(
	    gd_kube_exec_parse(&cred, av, wrongv, strlen(wrongv), &err),
	    GD_EUPSTREAM);
	assert_string_equal(err.msg,
	    "apiVersion client.authentication.k8s.io/v1beta1 does not match "
	    "the kubeconfig's client.authentication.k8s.io/v1");
	assert_int_equal(
	    gd_kube_exec_parse(&cred, av, empty, strlen(empty), &err),
	    GD_EUPSTREAM);
	assert_int_equal(
	    gd_kube_exec_parse(&cred, av, "nope", 4, &err), GD_EUPSTREAM);
	assert_string_equal(err.msg, "output is not JSON");
}

/* --- several clusters ---------------------------------------------------- */

static void
fakefree(void *impl)
{
	free(impl);
}

static const struct gd_cluster_ops fake_ops = { .name = "test",
	.free = fakefree };

static struct gd_cluster *
fake_cluster(void)
{
	struct gd_cluster *c = xcalloc(1, sizeof(*c));

	c->ops = &fake_ops;
	c->impl = xstrdup("impl");
	return c;
}

static void
test_kube__clusters_by_server_or_name(void **state)
{
	struct gd_kube_clusters *cs = gd_kube_clusters_new();
	struct gd_cluster *in = fake_cluster(), *prod = fake_cluster(), *got;
	struct gd_err err;

	(void)state;
	assert_int_equal(gd_kube_clusters_add(cs, GD_KUBE_INCLUSTER_NAME,
			     GD_KUBE_INCLUSTER_SERVER, in, &err),
	    0);
	assert_int_equal(gd_kube_clusters_add(cs, "prod",
			     "https://prod.example.com:6443", prod, &err),
	    0);
	assert_int_equal(gd_kube_clusters_find(cs, &got,
			     "https://kubernetes.default.svc/", NULL, &err),
	    0);
	assert_ptr_equal(got, in);
	assert_int_equal(
	    gd_kube_clusters_find(cs, &got, NULL, "prod", &err), 0);
	assert_ptr_equal(got, prod);
	assert_int_equal(
	    gd_kube_clusters_find(cs, &got, "https://x", NULL, &err),
	    GD_ENOTFOUND);
	assert_string_equal(
	    err.msg, "there are no clusters with this URL: https://x");
	assert_int_equal(
	    gd_kube_clusters_find(cs, &got, "https://x", "prod", &err),
	    GD_EINVAL);
	/* the same server twice is refused, and the newcomer freed */
	assert_int_equal(
	    gd_kube_clusters_add(cs, "again", "https://prod.example.com:6443/",
		fake_cluster(), &err),
	    GD_ECONFLICT);
	gd_kube_clusters_free(cs);
}

static void
test_kube__clusters_from_kubeconfig_contexts(void **state)
{
	struct gd_kube_clusters *cs = gd_kube_clusters_new();
	struct gd_cluster *dev, *got;
	struct gd_err err;
	char *path = fix("kubeconfig/a.yaml");
	char **names = NULL, *cur = NULL;

	(void)state;
	assert_int_equal(gd_kube_config_contexts(&names, &cur, path, &err), 0);
	assert_string_equal(cur, "dev");
	assert_string_equal(names[0], "dev");
	assert_string_equal(names[1], "prod");
	assert_string_equal(names[2], "shared");
	assert_null(names[3]);
	gd_kube_strv_free(names);
	free(cur);

	assert_int_equal(
	    gd_kube_clusters_from_kubeconfig(cs, path, NULL, NULL, &err), 0);
	assert_int_equal(gd_kube_clusters_find(cs, &dev, NULL, "dev", &err), 0);
	assert_string_equal(dev->ops->name, "kube");
	/* the context in use is the cluster gitopsd runs in */
	assert_int_equal(gd_kube_clusters_find(
			     cs, &got, GD_KUBE_INCLUSTER_SERVER, NULL, &err),
	    0);
	assert_ptr_equal(got, dev);
	assert_int_equal(
	    gd_kube_clusters_find(cs, &got, NULL, "in-cluster", &err), 0);
	assert_ptr_equal(got, dev);
	assert_int_equal(gd_kube_clusters_find(
			     cs, &got, "https://127.0.0.1:6443", NULL, &err),
	    0);
	assert_ptr_equal(got, dev);
	assert_int_equal(gd_kube_clusters_find(cs, &got,
			     "https://prod.example.com:443", NULL, &err),
	    0);
	assert_ptr_not_equal(got, dev);
	/* "shared" reaches dev's server: the first context keeps it */
	assert_int_equal(gd_kube_clusters_find(cs, &got, NULL, "shared", &err),
	    GD_ENOTFOUND);
	gd_kube_clusters_free(cs);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kube__config_current_context_with_token),
		cmocka_unit_test(test_kube__config_named_context_inline_data),
		cmocka_unit_test(test_kube__config_basic_auth_and_token_file),
		cmocka_unit_test(test_kube__config_list_merges_first_wins),
		cmocka_unit_test(test_kube__config_kubeconfig_env_then_home),
		cmocka_unit_test(test_kube__config_errors_name_the_entry),
		cmocka_unit_test(test_kube__config_wrong_type_names_field),
		cmocka_unit_test(test_kube__incluster_reads_service_account),
		cmocka_unit_test(test_kube__status_message_becomes_err),
		cmocka_unit_test(test_kube__status_conflict_names_fields),
		cmocka_unit_test(test_kube__status_other_bodies),
		cmocka_unit_test(test_kube__list_items_get_kind),
		cmocka_unit_test(test_kube__watch_stream_events_and_expiry),
		cmocka_unit_test(test_kube__backoff_doubles_and_caps),
		cmocka_unit_test(test_kube__bucket_allows_burst_then_qps),
		cmocka_unit_test(test_kube__exec_plugin_gives_token),
		cmocka_unit_test(test_kube__exec_plugin_failure_says_why),
		cmocka_unit_test(test_kube__exec_credential_parse),
		cmocka_unit_test(test_kube__clusters_by_server_or_name),
		cmocka_unit_test(test_kube__clusters_from_kubeconfig_contexts),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
