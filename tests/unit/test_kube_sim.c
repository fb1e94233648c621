/* SPDX-License-Identifier: ISC */
/*
 * The kube client against kubesim, a real HTTP(S) server: discovery,
 * GET, LIST with selectors and pages, server-side apply (dry run,
 * conflicts, force), DELETE, namespaces, retries under injected faults,
 * WATCH with resume and 410, the live cache, and the ways of logging in
 * (a token over TLS, tls-server-name, a token file, an exec plugin re-run
 * on 401). Each group starts its own kubesim on a free port; without a
 * kubesim binary ($GD_KUBESIM, else tests/kubesim/kubesim) or the
 * openssl command the tests fail: they never skip.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gitopsd/kube.h"

extern char **environ;

static char fixdir[4096];
static char tmpdir[] = "/tmp/test_kube_sim.XXXXXX";
static const char *kubesim;
static bool have_tls;

struct sim {
	pid_t pid;
	int port;
	bool tls;
};

static struct sim plain, tls;

#define TOKEN "s3cr3t-token"

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static bool
port_open(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
sim_start(struct sim *s, bool with_tls)
{
	char listen[64], *cert = NULL, *key = NULL;
	const char *argv[16];
	int i, n = 0;

	s->port = free_port();
	s->tls = with_tls;
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", s->port);
	argv[n++] = kubesim;
	argv[n++] = "--listen";
	argv[n++] = listen;
	argv[n++] = "--history";
	argv[n++] = "32";
	argv[n++] = "--bookmark-ms";
	argv[n++] = "200";
	if (with_tls) {
		xasprintf(&cert, "%s/server.crt", tmpdir);
		xasprintf(&key, "%s/server.key", tmpdir);
		argv[n++] = "--tls-cert";
		argv[n++] = cert;
		argv[n++] = "--tls-key";
		argv[n++] = key;
		argv[n++] = "--token";
		argv[n++] = TOKEN;
	}
	argv[n] = NULL;
	if (posix_spawn(&s->pid, kubesim, NULL, NULL, (char **)argv, environ) !=
	    0)
		s->pid = -1;
	free(cert);
	free(key);
	for (i = 0; s->pid > 0 && i < 100; i++) {
		if (port_open(s->port))
			return 0;
		sleep_ms(50);
	}
	return -1;
}

static void
sim_stop(struct sim *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = -1;
	}
}

/* A self-signed certificate for 127.0.0.1 and kubesim.test. */
static bool
make_cert(void)
{
	char *cmd;
	int rc;

	xasprintf(&cmd,
	    "openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
	    "-subj /CN=kubesim -addext "
	    "subjectAltName=IP:127.0.0.1,DNS:kubesim.test "
	    "-keyout '%s/server.key' -out '%s/server.crt' >/dev/null 2>&1",
	    tmpdir, tmpdir);
	rc = system(cmd);
	free(cmd);
	return rc == 0;
}

static int
group_setup(void **state)
{
	const char *src = getenv("GD_SRCDIR");

	(void)state;
	gd_core_init_json();
	gd_kube_global_init();
	signal(SIGPIPE, SIG_IGN);
	snprintf(fixdir, sizeof(fixdir), "%s/tests/fixtures/kube",
	    src != NULL ? src : ".");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	kubesim = getenv("GD_KUBESIM");
	if (kubesim == NULL)
		kubesim = "./tests/kubesim/kubesim";
	if (access(kubesim, X_OK) != 0) {
		kubesim = NULL;
		return 0;
	}
	if (sim_start(&plain, false) < 0)
		return -1;
	have_tls = make_cert() && sim_start(&tls, true) == 0;
	return 0;
}

static int
group_teardown(void **state)
{
	char *cmd;

	(void)state;
	sim_stop(&plain);
	sim_stop(&tls);
	xasprintf(&cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	free(cmd);
	return 0;
}

static const struct gd_kube_opts fast = { .qps = 1000,
	.burst = 1000,
	.timeout_ms = 3000,
	.max_retries = 3,
	.backoff_ms = 20 };

/* A client of the plain kubesim, from a written kubeconfig. */
static struct gd_kube *
client_plain(const struct gd_kube_opts *opts)
{
	struct gd_kube_config *c = NULL;
	struct gd_err err;
	char *text, *path;

	xasprintf(&path, "%s/plain.yaml", tmpdir);
	xasprintf(&text,
	    "current-context: sim\nclusters:\n- name: sim\n  cluster:\n"
	    "    server: http://127.0.0.1:%d\ncontexts:\n- name: sim\n"
	    "  context: {cluster: sim, namespace: default}\n",
	    plain.port);
	write_file(path, text);
	if (gd_kube_config_load(&c, path, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	free(text);
	free(path);
	return gd_kube_new(c, opts != NULL ? opts : &fast);
}

static int
sim_setup(void **state)
{
	if (kubesim == NULL)
		fail_msg(
		    "no kubesim binary: build tests/kubesim/kubesim or set "
		    "GD_KUBESIM");
	*state = client_plain(NULL);
	return 0;
}

static int
sim_teardown(void **state)
{
	gd_kube_free(*state);
	return 0;
}

static int
tls_setup(void **state)
{
	(void)state;
	if (kubesim == NULL || !have_tls)
		fail_msg("kubesim or openssl missing: scripts/install-deps "
			 "installs openssl");
	return 0;
}

static json_t *
deployment(const char *ns, const char *name, int replicas, const char *app)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{s:i, "
			 "s:{s:{s:s}}, s:{s:{s:{s:s}}, s:{s:[{s:s, s:s}]}}}}",
	    "apiVersion", "apps/v1", "kind", "Deployment", "metadata", "name",
	    name, "namespace", ns, "labels", "app", app, "spec", "replicas",
	    replicas, "selector", "matchLabels", "app", app, "template",
	    "metadata", "labels", "app", app, "spec", "containers", "name",
	    "web", "image", "nginx:1.25");
}

static void
apply_ok(struct gd_kube *k, json_t *obj, const char *manager)
{
	struct gd_kube_apply_opts o = { manager, true, false };
	struct gd_err err;

	if (gd_kube_apply(k, NULL, obj, &o, &err) < 0)
		fail_msg("apply: %s", err.msg);
	json_decref(obj);
}

static void
fault(struct gd_kube *k, const char *body)
{
	struct gd_err err;

	/* armed faults keep their mode: start from a clean slate */
	if (gd_kube_request(k, NULL, NULL, "DELETE", "/kubesim/faults", NULL,
		NULL, 0, &err) < 0)
		fail_msg("clearing faults: %s", err.msg);
	if (gd_kube_request(k, NULL, NULL, "POST", "/kubesim/faults",
		"application/json", body, strlen(body), &err) < 0)
		fail_msg("arming a fault: %s", err.msg);
}

/* --- discovery ------------------------------------------------------- */

static void
test_kube__discovery_maps_kind_to_resource(void **state)
{
	struct gd_kube *k = *state;
	struct gd_kube_resource r;
	struct gd_err err;

	assert_int_equal(
	    gd_kube_resource_find(k, &r, "apps/v1", "Deployment", &err), 0);
	assert_string_equal(r.name, "deployments");
	assert_string_equal(r.group, "apps");
	assert_true(r.namespaced);
	assert_int_equal(gd_kube_resource_find(
			     k, &r, "networking.k8s.io/v1", "Ingress", &err),
	    0);
	assert_string_equal(r.name, "ingresses");
	assert_int_equal(
	    gd_kube_resource_find(k, &r, "v1", "Namespace", &err), 0);
	assert_string_equal(r.name, "namespaces");
	assert_false(r.namespaced);
	assert_int_equal(
	    gd_kube_resource_find(k, &r, "apps/v1", "Widget", &err),
	    GD_ENOTFOUND);
	assert_string_equal(err.msg, "no kind Widget in apps/v1");
	assert_int_equal(
	    gd_kube_resource_find(k, &r, "example.com/v1", "Widget", &err),
	    GD_ENOTFOUND);
	assert_string_equal(
	    err.msg, "the server does not serve example.com/v1");
}

static void
test_kube__discovery_sees_crd_applied_later(void **state)
{
	struct gd_kube *k = *state;
	struct gd_kube_resource r;
	struct gd_err err;
	json_t *crd;
	int i;

	/* ask first, so the miss is cached */
	assert_int_equal(
	    gd_kube_resource_find(k, &r, "example.com/v1", "Widget", &err),
	    GD_ENOTFOUND);
	crd = json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:s, s:{s:s, s:s, s:s}, "
			"s:[{s:s, s:b, s:b, s:{s:{s:s, s:b}}}]}}",
	    "apiVersion", "apiextensions.k8s.io/v1", "kind",
	    "CustomResourceDefinition", "metadata", "name",
	    "widgets.example.com", "spec", "group", "example.com", "scope",
	    "Namespaced", "names", "kind", "Widget", "plural", "widgets",
	    "singular", "widget", "versions", "name", "v1", "served", 1,
	    "storage", 1, "schema", "openAPIV3Schema", "type", "object",
	    "x-kubernetes-preserve-unknown-fields", 1);
	apply_ok(k, crd, "test");
	for (i = 0; i < 50; i++) {
		if (gd_kube_resource_find(
			k, &r, "example.com/v1", "Widget", &err) == 0)
			break;
		sleep_ms(50);
	}
	assert_int_equal(i < 50, 1);
	assert_string_equal(r.name, "widgets");
	assert_true(r.namespaced);
}

/* --- objects ----------------------------------------------------------- */

static void
test_kube__get_missing_names_object(void **state)
{
	struct gd_kube *k = *state;
	struct gd_kube_ref ref = { "apps/v1", "Deployment", "default", "nope" };
	struct gd_err err;
	json_t *obj = NULL;

	assert_int_equal(gd_kube_get(k, &obj, &ref, &err), GD_ENOTFOUND);
	assert_null(obj);
	assert_string_equal(err.msg, "deployments.apps \"nope\" not found");
}

static void
test_kube__apply_creates_then_dry_run_changes_nothing(void **state)
{
	struct gd_kube *k = *state;
	struct gd_kube_ref ref = { "apps/v1", "Deployment", "default", "web" };
	struct gd_kube_apply_opts dry = { "gitopsd", true, true };
	struct gd_err err;
	json_t *obj = NULL, *out = NULL, *want;

	apply_ok(k, deployment("default", "web", 2, "web"), "gitopsd");
	assert_int_equal(gd_kube_get(k, &obj, &ref, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(obj, "spec"), "replicas")),
	    2);
	assert_string_equal(
	    json_string_value(json_object_get(obj, "kind")), "Deployment");
	json_decref(obj);

	want = deployment("default", "web", 5, "web");
	assert_int_equal(gd_kube_apply(k, &out, want, &dry, &err), 0);
	/* the would-be object comes back ... */
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(out, "spec"), "replicas")),
	    5);
	json_decref(out);
	json_decref(want);
	/* ... and the stored one is unchanged */
	assert_int_equal(gd_kube_get(k, &obj, &ref, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(obj, "spec"), "replicas")),
	    2);
	json_decref(obj);
}

static void
test_kube__apply_conflict_names_field_unless_forced(void **state)
{
	struct gd_kube *k = *state;
	struct gd_kube_apply_opts mine = { "gitopsd", false, false };
	struct gd_err err;
	json_t *obj;

	apply_ok(k, deployment("default", "shared", 1, "shared"), "kubectl");
	obj = deployment("default", "shared", 3, "shared");
	assert_int_equal(
	    gd_kube_apply(k, NULL, obj, &mine, &err), GD_ECONFLICT);
	assert_non_null(strstr(err.msg, ".spec.replicas"));
	assert_non_null(strstr(err.msg, "kubectl"));
	mine.force = true;
	assert_int_equal(gd_kube_apply(k, NULL, obj, &mine, &err), 0);
	json_decref(obj);

	/* an object without a name is refused before any request */
	obj = json_pack("{s:s, s:s}", "apiVersion", "v1", "kind", "ConfigMap");
	assert_int_equal(gd_kube_apply(k, NULL, obj, &mine, &err), GD_EINVAL);
	json_decref(obj);
}

static void
test_kube__list_selects_and_pages(void **state)
{
	struct gd_kube *k = *state;
	struct gd_kube_ref ref = { "apps/v1", "Deployment", "paged", NULL };
	struct gd_kube_list_opts o = { "tier=front", NULL, 2 };
	struct gd_err err;
	json_t *items = NULL, *it;
	char name[32], *rv = NULL;
	size_t i;

	assert_int_equal(gd_kube_namespace_create(k, "paged", &err), 0);
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "front-%zu", i);
		it = deployment("paged", name, 1, name);
		json_object_set_new(
		    json_object_get(json_object_get(it, "metadata"), "labels"),
		    "tier", json_string("front"));
		apply_ok(k, it, "gitopsd");
	}
	apply_ok(k, deployment("paged", "back", 1, "back"), "gitopsd");
	/* five items in pages of two, each with its kind filled in */
	assert_int_equal(gd_kube_list(k, &items, &rv, &ref, &o, &err), 0);
	assert_int_equal(json_array_size(items), 5);
	assert_non_null(rv);
	json_array_foreach(items, i, it) {
		assert_string_equal(
		    json_string_value(json_object_get(it, "kind")),
		    "Deployment");
		assert_string_equal(
		    json_string_value(json_object_get(it, "apiVersion")),
		    "apps/v1");
	}
	json_decref(items);
	free(rv);
	o.label_selector = NULL;
	o.field_selector = "metadata.name=back";
	assert_int_equal(gd_kube_list(k, &items, NULL, &ref, &o, &err), 0);
	assert_int_equal(json_array_size(items), 1);
	json_decref(items);
	o.field_selector = NULL;
	assert_int_equal(gd_kube_list(k, &items, NULL, &ref, &o, &err), 0);
	assert_int_equal(json_array_size(items), 6);
	json_decref(items);
}

static void
test_kube__delete_and_namespace(void **state)
{
	struct gd_kube *k = *state;
	struct gd_kube_ref ref = { "apps/v1", "Deployment", "gone", "doomed" };
	struct gd_kube_delete_opts bg = { "Background", false };
	struct gd_kube_delete_opts bad = { "Sideways", false };
	struct gd_err err;
	json_t *obj = NULL;
	int i;

	/* applying into a missing namespace fails; creating it twice not */
	obj = deployment("gone", "doomed", 1, "doomed");
	assert_int_equal(
	    gd_kube_apply(k, NULL, obj,
		&(struct gd_kube_apply_opts){ "gitopsd", true, false }, &err),
	    GD_ENOTFOUND);
	assert_int_equal(gd_kube_namespace_create(k, "gone", &err), 0);
	assert_int_equal(gd_kube_namespace_create(k, "gone", &err), 0);
	apply_ok(k, obj, "gitopsd");
	assert_int_equal(gd_kube_delete(k, &ref, &bad, &err), GD_EINVAL);
	assert_int_equal(gd_kube_delete(k, &ref, &bg, &err), 0);
	for (i = 0; i < 50; i++) {
		if (gd_kube_get(k, &obj, &ref, &err) == GD_ENOTFOUND)
			break;
		json_decref(obj);
		sleep_ms(50);
	}
	assert_int_equal(err.code, GD_ENOTFOUND);
	assert_int_equal(gd_kube_delete(k, &ref, NULL, &err), GD_ENOTFOUND);
}

/* --- retries ------------------------------------------------------------ */

static void
test_kube__retries_429_after_retry_after(void **state)
{
	struct gd_kube *k = *state;
	struct gd_kube_ref ref = { "v1", "Namespace", NULL, "default" };
	struct gd_err err;
	json_t *obj = NULL;
	uint64_t t0;

	/* warm discovery so only the GET meets the faults */
	assert_int_equal(gd_kube_get(k, &obj, &ref, &err), 0);
	json_decref(obj);
	fault(k,
	    "{\"count\":2,\"status\":429,\"retryAfter\":1,"
	    "\"match\":\"/namespaces/default\"}");
	t0 = gd_time_mono_ms();
	assert_int_equal(gd_kube_get(k, &obj, &ref, &err), 0);
	/* two waits of the second asked for, not the 20 ms backoff */
	assert_true(gd_time_mono_ms() - t0 >= 1900);
	json_decref(obj);
}

static void
test_kube__retries_5xx_and_resets_then_gives_up(void **state)
{
	struct gd_kube *k = *state;
	struct gd_kube_ref ref = { "v1", "Namespace", NULL, "default" };
	struct gd_err err;
	json_t *obj = NULL;

	assert_int_equal(gd_kube_get(k, &obj, &ref, &err), 0);
	json_decref(obj);
	fault(k, "{\"count\":2,\"status\":503,\"match\":\"/namespaces/\"}");
	assert_int_equal(gd_kube_get(k, &obj, &ref, &err), 0);
	json_decref(obj);
	fault(k, "{\"count\":1,\"mode\":\"reset\",\"match\":\"/namespaces/\"}");
	assert_int_equal(gd_kube_get(k, &obj, &ref, &err), 0);
	json_decref(obj);
	/* more failures than retries: the last answer is the error */
	fault(k, "{\"count\":4,\"status\":500,\"match\":\"/namespaces/\"}");
	assert_int_equal(gd_kube_get(k, &obj, &ref, &err), GD_EUPSTREAM);
	assert_null(obj);
	fault(k, "{\"count\":0}");
}

static void
test_kube__connections_reused(void **state)
{
	struct gd_kube *k = client_plain(NULL);
	struct gd_kube_stats st;
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		assert_int_equal(gd_kube_request(k, NULL, NULL, "GET",
				     "/version", NULL, NULL, 0, NULL),
		    0);
	gd_kube_stats(k, &st);
	assert_int_equal(st.requests, 10);
	assert_int_equal(st.connections, 1);
	assert_int_equal(st.retries, 0);
	fault(k, "{\"count\":2,\"status\":503,\"match\":\"/version\"}");
	assert_int_equal(gd_kube_request(k, NULL, NULL, "GET", "/version", NULL,
			     NULL, 0, NULL),
	    0);
	gd_kube_stats(k, &st);
	assert_int_equal(st.retries, 2);
	gd_kube_free(k);
}

static void
test_kube__retries_timeouts(void **state)
{
	struct gd_kube_opts o = fast;
	struct gd_kube *k;
	struct gd_kube_ref ref = { "v1", "Namespace", NULL, "default" };
	struct gd_err err;
	json_t *obj = NULL;

	(void)state;
	o.timeout_ms = 500;
	k = client_plain(&o);
	assert_int_equal(gd_kube_get(k, &obj, &ref, &err), 0);
	json_decref(obj);
	fault(k,
	    "{\"count\":1,\"mode\":\"timeout\",\"hangMs\":2000,"
	    "\"match\":\"/namespaces/\"}");
	assert_int_equal(gd_kube_get(k, &obj, &ref, &err), 0);
	json_decref(obj);
	gd_kube_free(k);
}

/* --- watch and cache ------------------------------------------------------ */

struct seen {
	int added, modified, deleted, bookmarks;
	char last[64];
};

static int
on_event(void *arg, enum gd_kube_event ev, json_t *obj)
{
	struct seen *s = arg;
	const char *name = json_string_value(
	    json_object_get(json_object_get(obj, "metadata"), "name"));

	if (ev == GD_KUBE_ADDED)
		s->added++;
	else if (ev == GD_KUBE_MODIFIED)
		s->modified++;
	else if (ev == GD_KUBE_DELETED)
		s->deleted++;
	else
		s->bookmarks++;
	if (name != NULL && ev != GD_KUBE_BOOKMARK)
		snprintf(s->last, sizeof(s->last), "%s", name);
	return 0;
}

static void
test_kube__watch_resumes_and_expires(void **state)
{
	struct gd_kube *k = *state;
	struct gd_kube_ref ref = { "v1", "ConfigMap", "watched", NULL };
	struct gd_kube_watch_pos pos = { NULL, false };
	struct seen s = { 0 };
	struct gd_err err;
	json_t *items = NULL, *cm;
	char name[32];
	int i;

	assert_int_equal(gd_kube_namespace_create(k, "watched", &err), 0);
	assert_int_equal(gd_kube_list(k, &items, &pos.rv, &ref, NULL, &err), 0);
	json_decref(items);
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "cm-%d", i);
		cm = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s}}",
		    "apiVersion", "v1", "kind", "ConfigMap", "metadata", "name",
		    name, "namespace", "watched", "data", "k", "v");
		apply_ok(k, cm, "gitopsd");
	}
	/* from the list's version: the three creations, then the timeout */
	assert_int_equal(
	    gd_kube_watch(k, &pos, &ref, NULL, 1, NULL, on_event, &s, &err), 0);
	assert_false(pos.expired);
	assert_int_equal(s.added, 3);
	assert_string_equal(s.last, "cm-2");
	/* resumed from where it stopped: only what happened since */
	memset(&s, 0, sizeof(s));
	apply_ok(k,
	    json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s}}", "apiVersion", "v1",
		"kind", "ConfigMap", "metadata", "name", "cm-1", "namespace",
		"watched", "data", "k", "changed"),
	    "gitopsd");
	assert_int_equal(
	    gd_kube_watch(k, &pos, &ref, NULL, 1, NULL, on_event, &s, &err), 0);
	assert_int_equal(s.added, 0);
	assert_int_equal(s.modified, 1);
	assert_string_equal(s.last, "cm-1");
	/* a version older than the server's history: expired, not an error */
	free(pos.rv);
	pos.rv = xstrdup("1");
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "churn-%d", i);
		apply_ok(k,
		    json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion", "v1",
			"kind", "ConfigMap", "metadata", "name", name,
			"namespace", "watched"),
		    "gitopsd");
	}
	assert_int_equal(
	    gd_kube_watch(k, &pos, &ref, NULL, 1, NULL, on_event, &s, &err), 0);
	assert_true(pos.expired);
	free(pos.rv);
}

struct changes {
	pthread_mutex_t lock;
	int n, bad, relists;
	char last[64];
};

static void
on_change(void *arg, enum gd_kube_event ev, const char *av, const char *kind,
    const json_t *obj)
{
	struct changes *ch = arg;
	const char *name = json_string_value(
	    json_object_get(json_object_get(obj, "metadata"), "name"));

	(void)ev;
	/* a cache thread: no cmocka asserts here, they jump */
	pthread_mutex_lock(&ch->lock);
	if (strcmp(av, "apps/v1") != 0 || strcmp(kind, "Deployment") != 0)
		ch->bad++;
	if (obj == NULL)
		ch->relists++;
	ch->n++;
	if (name != NULL)
		snprintf(ch->last, sizeof(ch->last), "%s", name);
	pthread_mutex_unlock(&ch->lock);
}

static bool
cache_has(struct gd_kube_cache *c, const char *ns, const char *name)
{
	struct gd_kube_ref ref = { "apps/v1", "Deployment", ns, name };
	json_t *obj = NULL;
	bool ok = gd_kube_cache_get(c, &obj, &ref, NULL) == 0;

	json_decref(obj);
	return ok;
}

static bool
cache_wait(struct gd_kube_cache *c, const char *name, bool want)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (cache_has(c, "cached", name) == want)
			return true;
		sleep_ms(50);
	}
	return false;
}

static void
test_kube__cache_follows_changes_and_drops(void **state)
{
	struct gd_kube *k = *state;
	struct gd_kube_cache *c = gd_kube_cache_new(k);
	struct gd_kube_ref ref = { "apps/v1", "Deployment", "cached", "one" };
	struct changes ch = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, "" };
	struct gd_err err;
	json_t *list = NULL, *obj = NULL;
	size_t n, bytes;

	assert_int_equal(gd_kube_namespace_create(k, "cached", &err), 0);
	gd_kube_cache_subscribe(c, on_change, &ch);
	apply_ok(k, deployment("cached", "one", 1, "one"), "gitopsd");
	assert_int_equal(
	    gd_kube_cache_track(c, "apps/v1", "Deployment", "cached", &err), 0);
	/* the first LIST is in when track returns */
	assert_true(cache_has(c, "cached", "one"));
	assert_int_equal(gd_kube_cache_get(c, &obj, &ref, &err), 0);
	assert_null(
	    json_object_get(json_object_get(obj, "metadata"), "managedFields"));
	json_decref(obj);
	apply_ok(k, deployment("cached", "two", 1, "two"), "gitopsd");
	assert_true(cache_wait(c, "two", true));
	/* the subscriber heard of it */
	pthread_mutex_lock(&ch.lock);
	assert_true(ch.n >= 1);
	assert_int_equal(ch.bad, 0);
	assert_string_equal(ch.last, "two");
	pthread_mutex_unlock(&ch.lock);
	/* a dropped watch resumes without losing what happened meanwhile */
	assert_int_equal(
	    gd_kube_request(k, NULL, NULL, "POST", "/kubesim/drop-watches",
		"application/json", "{}", 2, &err),
	    0);
	apply_ok(k, deployment("cached", "three", 1, "three"), "gitopsd");
	assert_true(cache_wait(c, "three", true));
	ref.name = "two";
	assert_int_equal(gd_kube_delete(k, &ref, NULL, &err), 0);
	assert_true(cache_wait(c, "two", false));
	assert_int_equal(gd_kube_cache_list(
			     c, &list, "apps/v1", "Deployment", "cached", &err),
	    0);
	assert_int_equal(json_array_size(list), 2);
	json_decref(list);
	gd_kube_cache_stats(c, &n, &bytes);
	assert_int_equal(n, 2);
	assert_true(bytes > 100);
	assert_int_equal(
	    gd_kube_cache_list(c, &list, "v1", "Secret", NULL, &err),
	    GD_ENOTFOUND);
	gd_kube_cache_free(c);
}

/* --- logging in over TLS ------------------------------------------------ */

/* A client of the TLS kubesim; user is the YAML of users[0].user. */
static struct gd_kube *
client_tls(const char *cluster_extra, const char *user, struct gd_err *err)
{
	struct gd_kube_config *c = NULL;
	char *text, *path;

	xasprintf(&path, "%s/tls.yaml", tmpdir);
	xasprintf(&text,
	    "current-context: sim\nclusters:\n- name: sim\n  cluster:\n"
	    "    server: https://127.0.0.1:%d\n%s"
	    "contexts:\n- name: sim\n  context: {cluster: sim, user: u}\n"
	    "users:\n- name: u\n  user:\n%s",
	    tls.port, cluster_extra, user);
	write_file(path, text);
	free(text);
	if (gd_kube_config_load(&c, path, NULL, err) < 0)
		fail_msg("%s", err->msg);
	free(path);
	return gd_kube_new(c, &fast);
}

static int
version(struct gd_kube *k, struct gd_err *err)
{
	struct gd_kube_ref ref = { "v1", "Namespace", NULL, "default" };
	json_t *obj = NULL;
	int rc = gd_kube_get(k, &obj, &ref, err);

	json_decref(obj);
	return rc;
}

static void
test_kube__tls_token_and_ca(void **state)
{
	struct gd_kube *k;
	struct gd_err err;
	char *extra;

	(void)state;
	xasprintf(&extra, "    certificate-authority: server.crt\n");
	k = client_tls(extra, "    token: " TOKEN "\n", &err);
	assert_int_equal(version(k, &err), 0);
	gd_kube_free(k);
	k = client_tls(extra, "    token: wrong\n", &err);
	assert_int_equal(version(k, &err), GD_EUNAUTH);
	gd_kube_free(k);
	free(extra);
	/* the certificate names kubesim.test, reached at 127.0.0.1 */
	k = client_tls("    certificate-authority: server.crt\n"
		       "    tls-server-name: kubesim.test\n",
	    "    token: " TOKEN "\n", &err);
	assert_int_equal(version(k, &err), 0);
	gd_kube_free(k);
	/* no CA: refused, unless told to skip verification */
	k = client_tls("", "    token: " TOKEN "\n", &err);
	assert_int_equal(version(k, &err), GD_EUPSTREAM);
	gd_kube_free(k);
	k = client_tls("    insecure-skip-tls-verify: true\n",
	    "    token: " TOKEN "\n", &err);
	assert_int_equal(version(k, &err), 0);
	gd_kube_free(k);
}

static void
test_kube__tls_token_file_is_reread_on_401(void **state)
{
	struct gd_kube *k;
	struct gd_err err;
	char *tf;

	(void)state;
	xasprintf(&tf, "%s/token", tmpdir);
	write_file(tf, "stale\n");
	k = client_tls("    certificate-authority: server.crt\n",
	    "    tokenFile: token\n", &err);
	assert_int_equal(version(k, &err), GD_EUNAUTH);
	/* rotated: the 401 makes the client read the file again */
	write_file(tf, TOKEN "\n");
	assert_int_equal(version(k, &err), 0);
	gd_kube_free(k);
	free(tf);
}

static void
test_kube__tls_exec_plugin_cached_and_rerun_on_401(void **state)
{
	struct gd_kube *k;
	struct gd_buf b;
	struct gd_err err;
	char *user, *count, *tokens;

	(void)state;
	xasprintf(&count, "%s/exec-count", tmpdir);
	xasprintf(&tokens, "%s/exec-tokens", tmpdir);
	unlink(count);
	/* run 1 gives a token the server refuses, run 2 the right one */
	write_file(tokens, "expired-token\n" TOKEN "\n");
	xasprintf(&user,
	    "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
	    "      command: /bin/sh\n      args: ['%s/exec-plugin.sh']\n"
	    "      interactiveMode: Never\n      env:\n"
	    "      - {name: GD_EXEC_COUNT, value: '%s'}\n"
	    "      - {name: GD_EXEC_TOKENS, value: '%s'}\n",
	    fixdir, count, tokens);
	k = client_tls("    certificate-authority: server.crt\n", user, &err);
	assert_int_equal(version(k, &err), 0);
	/* cached: no expiry given, so the plugin is not run again */
	assert_int_equal(version(k, &err), 0);
	assert_int_equal(version(k, &err), 0);
	gd_buf_init(&b);
	assert_int_equal(gd_buf_read_file(&b, count, 0, NULL), 0);
	assert_string_equal(b.data, "run\nrun\n");
	gd_buf_dispose(&b);
	gd_kube_free(k);
	free(user);
	free(count);
	free(tokens);
}

static void
test_kube__tls_exec_plugin_rerun_when_expired(void **state)
{
	struct gd_kube *k;
	struct gd_buf b;
	struct gd_err err;
	char *user, *count;

	(void)state;
	xasprintf(&count, "%s/exec-count-expired", tmpdir);
	unlink(count);
	xasprintf(&user,
	    "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
	    "      command: /bin/sh\n      args: ['%s/exec-plugin.sh']\n"
	    "      interactiveMode: Never\n      env:\n"
	    "      - {name: GD_EXEC_COUNT, value: '%s'}\n"
	    "      - {name: GD_EXEC_TOKEN, value: '" TOKEN "'}\n"
	    "      - {name: GD_EXEC_EXPIRY, value: '2001-01-01T00:00:00Z'}\n",
	    fixdir, count);
	k = client_tls("    certificate-authority: server.crt\n", user, &err);
	assert_int_equal(version(k, &err), 0);
	assert_int_equal(version(k, &err), 0);
	/*
	 * The credential is born expired, so every request fetches it
	 * again: discovery and the GET of the first call, the second GET.
	 */
	gd_buf_init(&b);
	assert_int_equal(gd_buf_read_file(&b, count, 0, NULL), 0);
	assert_string_equal(b.data, "run\nrun\nrun\n");
	gd_buf_dispose(&b);
	gd_kube_free(k);
	free(user);
	free(count);
}

static void
test_kube__rate_limit_spaces_requests(void **state)
{
	struct gd_kube_opts o = fast;
	struct gd_kube *k;
	uint64_t t0;
	int i;

	(void)state;
	o.qps = 10;
	o.burst = 2;
	k = client_plain(&o);
	t0 = gd_time_mono_ms();
	/* 2 at once, then one per 100 ms: 6 requests take 400 ms or more */
	for (i = 0; i < 6; i++)
		assert_int_equal(gd_kube_request(k, NULL, NULL, "GET",
				     "/version", NULL, NULL, 0, NULL),
		    0);
	assert_true(gd_time_mono_ms() - t0 >= 390);
	gd_kube_free(k);
}

static void
test_kube__cluster_seam_lists_from_cache(void **state)
{
	struct gd_cluster *cl = gd_kube_cluster_new(client_plain(NULL));
	struct gd_kube_ref ref = { "v1", "ConfigMap", "seam", NULL };
	struct gd_kube_apply_opts ao = { "gitopsd", true, false };
	struct gd_err err;
	json_t *items = NULL, *v = NULL, *cm;
	int i;

	(void)state;
	assert_int_equal(cl->ops->namespace_create(cl->impl, "seam", &err), 0);
	assert_int_equal(
	    cl->ops->track(cl->impl, "v1", "ConfigMap", "seam", &err), 0);
	cm = json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion", "v1", "kind",
	    "ConfigMap", "metadata", "name", "a", "namespace", "seam");
	assert_int_equal(cl->ops->apply(cl->impl, NULL, cm, &ao, &err), 0);
	json_decref(cm);
	for (i = 0; i < 100; i++) {
		assert_int_equal(
		    cl->ops->list(cl->impl, &items, &ref, NULL, &err), 0);
		if (json_array_size(items) == 1)
			break;
		json_decref(items);
		items = NULL;
		sleep_ms(50);
	}
	assert_int_equal(json_array_size(items), 1);
	json_decref(items);
	assert_int_equal(cl->ops->version(cl->impl, &v, &err), 0);
	assert_non_null(json_object_get(v, "gitVersion"));
	json_decref(v);
	gd_kube_cluster_free(cl);
}

/* Reads a small file written by a command, for kubeconfig text. */
static char *
slurp(const char *path)
{
	struct gd_buf b;

	gd_buf_init(&b);
	assert_int_equal(gd_buf_read_file(&b, path, 0, NULL), 0);
	return gd_buf_detach(&b, NULL);
}

/*
 * kubesim has no client-certificate auth, so the certificate is proven
 * against openssl s_server, which refuses a handshake without one.
 */
static void
test_kube__tls_client_certificate(void **state)
{
	posix_spawn_file_actions_t fa;
	struct gd_kube_config *cfg = NULL;
	struct gd_kube *k;
	struct gd_err err;
	const char *argv[16];
	char port[16], *cmd, *text, *path, *crt64, *key64, *p;
	long status;
	pid_t pid;
	int i, n = 0, sport = free_port();

	(void)state;
	xasprintf(&cmd,
	    "cd '%s' && openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
	    "-subj /CN=gitopsd -keyout client.key -out client.crt "
	    ">/dev/null 2>&1 && openssl base64 -A -in client.crt "
	    "-out client.crt.b64 && openssl base64 -A -in client.key "
	    "-out client.key.b64",
	    tmpdir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	snprintf(port, sizeof(port), "%d", sport);
	argv[n++] = "openssl";
	argv[n++] = "s_server";
	argv[n++] = "-quiet";
	argv[n++] = "-www";
	argv[n++] = "-accept";
	argv[n++] = port;
	argv[n++] = "-Verify";
	argv[n++] = "1";
	argv[n++] = "-verify_return_error";
	xasprintf(&p, "%s/server.crt", tmpdir);
	argv[n++] = "-cert";
	argv[n++] = p;
	xasprintf(&path, "%s/server.key", tmpdir);
	argv[n++] = "-key";
	argv[n++] = path;
	xasprintf(&cmd, "%s/client.crt", tmpdir);
	argv[n++] = "-CAfile";
	argv[n++] = cmd;
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	assert_int_equal(
	    posix_spawnp(&pid, "openssl", &fa, NULL, (char **)argv, environ),
	    0);
	posix_spawn_file_actions_destroy(&fa);
	free(p);
	free(path);
	free(cmd);
	for (i = 0; i < 100 && !port_open(sport); i++)
		sleep_ms(50);

	xasprintf(&p, "%s/client.crt.b64", tmpdir);
	crt64 = slurp(p);
	free(p);
	xasprintf(&p, "%s/client.key.b64", tmpdir);
	key64 = slurp(p);
	free(p);
	xasprintf(&path, "%s/cert.yaml", tmpdir);
	for (i = 0; i < 3; i++) {
		if (i == 0)
			xasprintf(&p,
			    "    client-certificate: client.crt\n"
			    "    client-key: client.key\n");
		else if (i == 1)
			xasprintf(&p,
			    "    client-certificate-data: %s\n"
			    "    client-key-data: %s\n",
			    crt64, key64);
		else
			xasprintf(&p, "    token: not-a-certificate\n");
		xasprintf(&text,
		    "current-context: c\nclusters:\n- name: c\n  cluster:\n"
		    "    server: https://127.0.0.1:%d\n"
		    "    certificate-authority: server.crt\n"
		    "contexts:\n- name: c\n  context: {cluster: c, user: u}\n"
		    "users:\n- name: u\n  user:\n%s",
		    sport, p);
		write_file(path, text);
		free(text);
		free(p);
		assert_int_equal(
		    gd_kube_config_load(&cfg, path, NULL, &err), 0);
		k = gd_kube_new(cfg, &fast);
		/* s_server -www answers any GET with a page, not JSON */
		if (i < 2) {
			assert_int_equal(gd_kube_request(k, NULL, &status,
					     "GET", "/", NULL, NULL, 0, &err),
			    0);
			assert_int_equal(status, 200);
		} else
			assert_int_equal(gd_kube_request(k, NULL, &status,
					     "GET", "/", NULL, NULL, 0, &err),
			    GD_EUPSTREAM);
		gd_kube_free(k);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	free(path);
	free(crt64);
	free(key64);
}

static void
test_kube__cache_relists_after_410(void **state)
{
	struct gd_kube *k = *state;
	struct gd_kube_cache *c = gd_kube_cache_new(k);
	struct changes ch = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, "" };
	struct gd_err err;
	int i, relists = 0;

	assert_int_equal(gd_kube_namespace_create(k, "cached", &err), 0);
	gd_kube_cache_subscribe(c, on_change, &ch);
	assert_int_equal(
	    gd_kube_cache_track(c, "apps/v1", "Deployment", "cached", &err), 0);
	/*
	 * The next request for the collection (the re-watch after the drop)
	 * answers 410: the cache must list again, and say so.
	 */
	fault(k,
	    "{\"count\":1,\"status\":410,"
	    "\"match\":\"/namespaces/cached/deployments\"}");
	assert_int_equal(
	    gd_kube_request(k, NULL, NULL, "POST", "/kubesim/drop-watches",
		"application/json", "{}", 2, &err),
	    0);
	for (i = 0; i < 100 && relists == 0; i++) {
		sleep_ms(50);
		pthread_mutex_lock(&ch.lock);
		relists = ch.relists;
		pthread_mutex_unlock(&ch.lock);
	}
	assert_int_equal(relists, 1);
	/* and it still follows changes */
	apply_ok(
	    k, deployment("cached", "after-gap", 1, "after-gap"), "gitopsd");
	assert_true(cache_wait(c, "after-gap", true));
	gd_kube_cache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_kube__discovery_maps_kind_to_resource, sim_setup,
		    sim_teardown),
		cmocka_unit_test_setup_teardown(
		    test_kube__discovery_sees_crd_applied_later, sim_setup,
		    sim_teardown),
		cmocka_unit_test_setup_teardown(
		    test_kube__get_missing_names_object, sim_setup,
		    sim_teardown),
		cmocka_unit_test_setup_teardown(
		    test_kube__apply_creates_then_dry_run_changes_nothing,
		    sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(
		    test_kube__apply_conflict_names_field_unless_forced,
		    sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(
		    test_kube__list_selects_and_pages, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(
		    test_kube__delete_and_namespace, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(
		    test_kube__retries_429_after_retry_after, sim_setup,
		    sim_teardown),
		cmocka_unit_test_setup_teardown(
		    test_kube__retries_5xx_and_resets_then_gives_up, sim_setup,
		    sim_teardown),
		cmocka_unit_test_setup_teardown(
		    test_kube__retries_timeouts, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(
		    test_kube__connections_reused, sim_setup, sim_teardown),
		cmocka_unit_test_setup_teardown(
		    test_kube__watch_resumes_and_expires, sim_setup,
		    sim_teardown),
		cmocka_unit_test_setup_teardown(
		    test_kube__cache_follows_changes_and_drops, sim_setup,
		    sim_teardown),
		cmocka_unit_test_setup_teardown(
		    test_kube__cache_relists_after_410, sim_setup,
		    sim_teardown),
		cmocka_unit_test_setup(test_kube__tls_token_and_ca, tls_setup),
		cmocka_unit_test_setup(
		    test_kube__tls_token_file_is_reread_on_401, tls_setup),
		cmocka_unit_test_setup(
		    test_kube__tls_exec_plugin_cached_and_rerun_on_401,
		    tls_setup),
		cmocka_unit_test_setup(
		    test_kube__tls_exec_plugin_rerun_when_expired, tls_setup),
		cmocka_unit_test_setup(
		    test_kube__tls_client_certificate, tls_setup),
		cmocka_unit_test_setup_teardown(
		    test_kube__rate_limit_spaces_requests, sim_setup,
		    sim_teardown),
		cmocka_unit_test_setup_teardown(
		    test_kube__cluster_seam_lists_from_cache, sim_setup,
		    sim_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
