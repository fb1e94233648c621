/* SPDX-License-Identifier: ISC */
/*
 * The applications, projects and webhook endpoints through the router,
 * without a socket, over a real catalog: the example gitops repository
 * committed with gitfix, fetched by the repo module and followed by a
 * real poller. Webhooks use GitHub's and GitLab's payload shapes (files in
 * tests/fixtures/repo/webhook), signatures computed here with libsodium
 * and GitHub's own documented test vector, good and bad.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "gitopsd/core.h"
#include "gitopsd/api.h"
#include "gitopsd/catalog.h"
#include "gitopsd/conf.h"
#include "gitopsd/repo.h"
#include "../helpers/gitfix.h"

#define GH_SECRET "It's a Secret to Everybody"
#define GL_SECRET "gitlab-token-1234"

struct fx {
	char tmp[64];
	struct gitfix *remote;
	struct gd_repo *repo;
	struct gd_catalog_cell *cell;
	struct gd_catalog_follow *follow;
	struct gd_repo_poller *poller;
	struct gd_conf *conf;
	struct gd_router *router;
	char sha[GITFIX_SHA_LEN];
};

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
wait_rounds(struct gd_repo_poller *p, unsigned long n)
{
	int i;

	for (i = 0; i < 2000 && gd_repo_poller_rounds(p) < n; i++)
		usleep(10000);
	assert_true(gd_repo_poller_rounds(p) >= n);
}

static int
setup(void **state)
{
	static const char *const include[] = { "apps/**/*.yaml",
		"platform/**/*.yaml", NULL };
	struct fx *f = xcalloc(1, sizeof(*f));
	struct gd_api_env env;
	struct gd_err err;
	char *p;

	snprintf(f->tmp, sizeof(f->tmp), "/tmp/gd-apiapps-XXXXXX");
	if (mkdtemp(f->tmp) == NULL)
		return -1;
	xasprintf(&p, "%s/remote.git", f->tmp);
	f->remote = gitfix_new(p);
	free(p);
	xasprintf(&p, "%s/examples/gitops-repo", getenv("GD_SRCDIR"));
	gitfix_import(f->remote, p, "");
	free(p);
	gitfix_commit(f->remote, "main", "example", f->sha);

	f->conf = gd_conf_new_default();
	xasprintf(&f->conf->webhook.github_secret_file, "%s/gh", f->tmp);
	xasprintf(&f->conf->webhook.gitlab_secret_file, "%s/gl", f->tmp);
	write_file(f->conf->webhook.github_secret_file, GH_SECRET "\n");
	write_file(f->conf->webhook.gitlab_secret_file, GL_SECRET "\n");
	gd_repo_lib_init();
	xasprintf(&p, "%s/data", f->tmp);
	if (gd_repo_open(&f->repo, p, gitfix_url(f->remote), f->conf, &err) < 0)
		return -1;
	free(p);
	f->cell = gd_catalog_cell_new();
	f->follow = gd_catalog_follow_new(f->repo, "main", include, f->cell);
	if (gd_repo_poller_new(
		&f->poller, 3600, gd_catalog_follow_poll, f->follow, &err) < 0)
		return -1;
	gd_repo_poller_add(f->poller, f->repo);
	wait_rounds(f->poller, 1);

	memset(&env, 0, sizeof(env));
	env.catalog = f->cell;
	env.gitops = f->repo;
	env.poller = f->poller;
	env.conf = f->conf;
	if (gd_router_new(&f->router, gd_api_routes, &env, &err) < 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char *cmd;

	gd_router_free(f->router);
	gd_repo_poller_free(f->poller);
	gd_catalog_follow_free(f->follow);
	gd_catalog_cell_free(f->cell);
	gd_repo_free(f->repo);
	gd_repo_lib_shutdown();
	gd_conf_free(f->conf);
	gitfix_free(f->remote);
	xasprintf(&cmd, "rm -rf '%s'", f->tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->tmp);
	free(cmd);
	free(f);
	return 0;
}

/* Dispatches a request with optional headers ("Name: value", NULL end). */
static void
run(struct fx *f, const char *method, const char *target, const char *body,
    size_t len, struct gd_resp *resp, ...)
{
	struct gd_req req;
	const char *h, *colon;
	char *name;
	va_list ap;

	gd_req_init(&req, method, target);
	if (body != NULL)
		gd_req_set_body(&req, body, len);
	va_start(ap, resp);
	while ((h = va_arg(ap, const char *)) != NULL) {
		colon = strchr(h, ':');
		name = xstrndup(h, (size_t)(colon - h));
		gd_req_add_header(&req, name, colon + 2);
		free(name);
	}
	va_end(ap);
	memset(resp, 0, sizeof(*resp));
	gd_router_dispatch(f->router, &req, resp);
	gd_req_dispose(&req);
}

static json_t *
item_names(const json_t *body)
{
	json_t *out = json_array(), *it;
	size_t i;

	json_array_foreach(json_object_get(body, "items"), i, it)
		json_array_append(out,
		    json_object_get(json_object_get(it, "metadata"), "name"));
	return out;
}

static void
assert_names(const struct gd_resp *resp, const char *want_text)
{
	json_t *got = item_names(resp->body);
	json_t *want = json_loads(want_text, 0, NULL);

	if (!json_equal(got, want))
		fail_msg("got %s, want %s", json_dumps(got, 0), want_text);
	json_decref(got);
	json_decref(want);
}

static const char *
msg_of(const struct gd_resp *resp)
{
	return json_string_value(json_object_get(resp->body, "message"));
}

static void
test_api_apps__lists_the_catalog_in_argo_shape(void **state)
{
	struct fx *f = *state;
	struct gd_resp resp;
	json_t *app;

	run(f, "GET", "/api/v1/applications", NULL, 0, &resp, NULL);
	assert_int_equal(resp.status, 200);
	assert_names(&resp,
	    "[\"myapp-prod\",\"myapp-staging\",\"payments-api-prod\","
	    "\"payments-api-staging\"]");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(resp.body, "metadata"), "resourceVersion")),
	    f->sha);
	app = json_array_get(json_object_get(resp.body, "items"), 1);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(app, "spec"), "project")),
	    "myteam");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(app, "status"), "sync"),
		"revision")),
	    f->sha);
	assert_string_equal(
	    json_string_value(json_array_get(
		json_object_get(json_object_get(app, "metadata"), "finalizers"),
		0)),
	    "resources-finalizer.argocd.argoproj.io");
	gd_resp_dispose(&resp);

	run(f, "GET", "/api/v1/applications?selector=env%3Dstaging", NULL, 0,
	    &resp, NULL);
	assert_names(&resp, "[\"myapp-staging\",\"payments-api-staging\"]");
	gd_resp_dispose(&resp);
	run(f, "GET", "/api/v1/applications?projects=default", NULL, 0, &resp,
	    NULL);
	assert_names(&resp, "[]");
	gd_resp_dispose(&resp);
	run(f, "GET", "/api/v1/applications?projects=default&projects=myteam",
	    NULL, 0, &resp, NULL);
	assert_int_equal(
	    json_array_size(json_object_get(resp.body, "items")), 4);
	gd_resp_dispose(&resp);
	run(f, "GET", "/api/v1/applications?project=myteam&name=myapp-prod",
	    NULL, 0, &resp, NULL);
	assert_names(&resp, "[\"myapp-prod\"]");
	gd_resp_dispose(&resp);
	run(f, "GET", "/api/v1/applications?repo=oci://HARBOR.local/charts/",
	    NULL, 0, &resp, NULL);
	assert_names(&resp, "[\"myapp-prod\",\"myapp-staging\"]");
	gd_resp_dispose(&resp);
	run(f, "GET", "/api/v1/applications?selector=env+in+(prod)", NULL, 0,
	    &resp, NULL);
	assert_int_equal(resp.status, 400);
	gd_resp_dispose(&resp);
}

static void
test_api_apps__get_one_app_404_and_403(void **state)
{
	struct fx *f = *state;
	struct gd_resp resp;

	run(f, "GET", "/api/v1/applications/payments-api-prod", NULL, 0, &resp,
	    NULL);
	assert_int_equal(resp.status, 200);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(
		    json_object_get(resp.body, "spec"), "destination"),
		"namespace")),
	    "myteam-prod");
	gd_resp_dispose(&resp);
	run(f, "GET", "/api/v1/applications/nope", NULL, 0, &resp, NULL);
	assert_int_equal(resp.status, 404);
	assert_string_equal(
	    msg_of(&resp), "applications.argoproj.io \"nope\" not found");
	assert_int_equal(
	    json_integer_value(json_object_get(resp.body, "code")), 5);
	gd_resp_dispose(&resp);
	run(f, "GET", "/api/v1/applications/myapp-prod?project=other", NULL, 0,
	    &resp, NULL);
	assert_int_equal(resp.status, 403);
	gd_resp_dispose(&resp);
	run(f, "GET", "/api/v1/applications/myapp-prod?project=myteam", NULL, 0,
	    &resp, NULL);
	assert_int_equal(resp.status, 200);
	gd_resp_dispose(&resp);
}

static void
test_api_apps__projects(void **state)
{
	struct fx *f = *state;
	struct gd_resp resp;
	json_t *wl;

	run(f, "GET", "/api/v1/projects", NULL, 0, &resp, NULL);
	assert_int_equal(resp.status, 200);
	assert_names(&resp, "[\"default\",\"myteam\"]");
	gd_resp_dispose(&resp);
	run(f, "GET", "/api/v1/projects/myteam", NULL, 0, &resp, NULL);
	assert_int_equal(resp.status, 200);
	wl = json_object_get(
	    json_object_get(resp.body, "spec"), "namespaceResourceWhitelist");
	assert_int_equal(json_array_size(wl), 4);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(wl, 3), "kind")),
	    "HorizontalPodAutoscaler");
	gd_resp_dispose(&resp);
	run(f, "GET", "/api/v1/projects/nope", NULL, 0, &resp, NULL);
	assert_int_equal(resp.status, 404);
	assert_string_equal(
	    msg_of(&resp), "appprojects.argoproj.io \"nope\" not found");
	gd_resp_dispose(&resp);
}

static void
test_api_apps__fetch_failure_is_reported_on_the_apps(void **state)
{
	struct fx *f = *state;
	struct gd_resp resp;
	struct gd_err err;
	json_t *conds;
	char *moved;

	xasprintf(&moved, "%s.gone", gitfix_dir(f->remote));
	assert_int_equal(rename(gitfix_dir(f->remote), moved), 0);
	assert_int_equal(gd_repo_fetch(f->repo, &err), GD_EUPSTREAM);
	run(f, "GET", "/api/v1/applications/myapp-staging", NULL, 0, &resp,
	    NULL);
	assert_int_equal(resp.status, 200);
	conds =
	    json_object_get(json_object_get(resp.body, "status"), "conditions");
	assert_int_equal(json_array_size(conds), 1);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(conds, 0), "type")),
	    "ComparisonError");
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(conds, 0), "message")),
	    err.msg);
	gd_resp_dispose(&resp);
	assert_int_equal(rename(moved, gitfix_dir(f->remote)), 0);
	free(moved);
	assert_int_equal(gd_repo_fetch(f->repo, &err), 0);
	run(f, "GET", "/api/v1/applications/myapp-staging", NULL, 0, &resp,
	    NULL);
	assert_int_equal(
	    json_array_size(json_object_get(
		json_object_get(resp.body, "status"), "conditions")),
	    0);
	gd_resp_dispose(&resp);
}

/* A fixture payload with its repository URLs pointed at our remote. */
static char *
payload(struct fx *f, const char *name, const char *ref)
{
	struct gd_buf b;
	struct gd_err err;
	json_t *doc, *repo;
	char *path, *out;

	xasprintf(&path, "%s/tests/fixtures/repo/webhook/%s",
	    getenv("GD_SRCDIR"), name);
	gd_buf_init(&b);
	assert_int_equal(gd_buf_read_file(&b, path, 0, &err), 0);
	doc = json_loadb(b.data, b.len, 0, NULL);
	assert_non_null(doc);
	if (f != NULL) {
		repo = json_object_get(doc, "repository");
		if (json_object_get(doc, "project") != NULL)
			json_object_set_new(json_object_get(doc, "project"),
			    "git_http_url", json_string(gitfix_url(f->remote)));
		else
			json_object_set_new(repo, "clone_url",
			    json_string(gitfix_url(f->remote)));
	}
	if (ref != NULL)
		json_object_set_new(doc, "ref", json_string(ref));
	out = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	gd_buf_dispose(&b);
	free(path);
	return out;
}

/* "sha256=<hex>" of body under key, as GitHub sends it. */
static char *
github_sig(const char *key, const char *body)
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char hex[sizeof(mac) * 2 + 1], *out;

	crypto_auth_hmacsha256_init(
	    &st, (const unsigned char *)key, strlen(key));
	crypto_auth_hmacsha256_update(
	    &st, (const unsigned char *)body, strlen(body));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	xasprintf(&out, "X-Hub-Signature-256: sha256=%s", hex);
	return out;
}

static void
test_api_apps__github_signatures(void **state)
{
	struct fx *f = *state;
	struct gd_resp resp;
	char *body = payload(NULL, "github-push.json", NULL), *sig, *bad, *dump;

	/* GitHub's documented vector: the signature passes, the body is
	 * then not a push payload (400, not 401) */
	run(f, "POST", "/api/webhook", "Hello, World!", 13, &resp,
	    "X-GitHub-Event: push",
	    "X-Hub-Signature-256: sha256="
	    "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
	    NULL);
	assert_int_equal(resp.status, 400);
	assert_non_null(strstr(msg_of(&resp), "not a JSON object"));
	gd_resp_dispose(&resp);

	sig = github_sig(GH_SECRET, body);
	run(f, "POST", "/api/webhook", body, strlen(body), &resp,
	    "X-GitHub-Event: push", sig, NULL);
	assert_int_equal(resp.status, 200);
	/* a github.com repository is not one we follow */
	assert_int_equal(
	    json_integer_value(json_object_get(resp.body, "repositories")), 0);
	gd_resp_dispose(&resp);

	bad = github_sig("wrong secret", body);
	run(f, "POST", "/api/webhook", body, strlen(body), &resp,
	    "X-GitHub-Event: push", bad, NULL);
	assert_int_equal(resp.status, 401);
	assert_string_equal(msg_of(&resp),
	    "webhook: X-Hub-Signature-256 does not match the body");
	dump = json_dumps(resp.body, 0);
	assert_null(strstr(dump, GH_SECRET));
	free(dump);
	gd_resp_dispose(&resp);
	run(f, "POST", "/api/webhook", body, strlen(body), &resp,
	    "X-GitHub-Event: push", NULL);
	assert_int_equal(resp.status, 401);
	gd_resp_dispose(&resp);
	run(f, "POST", "/api/webhook", body, strlen(body), &resp,
	    "X-GitHub-Event: push", "X-Hub-Signature-256: sha256=zz", NULL);
	assert_int_equal(resp.status, 401);
	gd_resp_dispose(&resp);
	/* a signed body changed on the way */
	body[10] ^= 1;
	run(f, "POST", "/api/webhook", body, strlen(body), &resp,
	    "X-GitHub-Event: push", sig, NULL);
	assert_int_equal(resp.status, 401);
	gd_resp_dispose(&resp);
	free(body);
	free(sig);
	free(bad);

	body = payload(NULL, "github-ping.json", NULL);
	sig = github_sig(GH_SECRET, body);
	run(f, "POST", "/api/webhook", body, strlen(body), &resp,
	    "X-GitHub-Event: ping", sig, NULL);
	assert_int_equal(resp.status, 200);
	assert_string_equal(msg_of(&resp), "pong");
	gd_resp_dispose(&resp);
	run(f, "POST", "/api/webhook", body, strlen(body), &resp,
	    "X-GitHub-Event: issues", sig, NULL);
	assert_int_equal(resp.status, 400);
	assert_string_equal(
	    msg_of(&resp), "Unknown webhook event: GitHub issues");
	gd_resp_dispose(&resp);
	run(f, "POST", "/api/webhook", body, strlen(body), &resp, NULL);
	assert_int_equal(resp.status, 400);
	assert_string_equal(msg_of(&resp), "Unknown webhook event");
	gd_resp_dispose(&resp);
	run(f, "GET", "/api/webhook", NULL, 0, &resp, NULL);
	assert_int_equal(resp.status, 405);
	gd_resp_dispose(&resp);
	free(body);
	free(sig);
}

static void
test_api_apps__gitlab_token_and_size_limit(void **state)
{
	struct fx *f = *state;
	struct gd_resp resp;
	char *body = payload(NULL, "gitlab-push.json", NULL), *big;

	run(f, "POST", "/api/webhook", body, strlen(body), &resp,
	    "X-Gitlab-Event: Push Hook", "X-Gitlab-Token: " GL_SECRET, NULL);
	assert_int_equal(resp.status, 200);
	gd_resp_dispose(&resp);
	run(f, "POST", "/api/webhook", body, strlen(body), &resp,
	    "X-Gitlab-Event: Push Hook", "X-Gitlab-Token: " GL_SECRET "5",
	    NULL);
	assert_int_equal(resp.status, 401);
	gd_resp_dispose(&resp);
	run(f, "POST", "/api/webhook", body, strlen(body), &resp,
	    "X-Gitlab-Event: Push Hook", NULL);
	assert_int_equal(resp.status, 401);
	gd_resp_dispose(&resp);
	run(f, "POST", "/api/webhook", body, strlen(body), &resp,
	    "X-Gitlab-Event: Issue Hook", "X-Gitlab-Token: " GL_SECRET, NULL);
	assert_int_equal(resp.status, 400);
	gd_resp_dispose(&resp);
	run(f, "POST", "/api/webhook", "{\"ref\":\"refs/heads/main\"}", 25,
	    &resp, "X-Gitlab-Event: Push Hook", "X-Gitlab-Token: " GL_SECRET,
	    NULL);
	assert_int_equal(resp.status, 400);
	assert_string_equal(
	    msg_of(&resp), "webhook: payload names no repository URL");
	gd_resp_dispose(&resp);
	big = xcalloc(1, 2 * 1024 * 1024 + 1);
	memset(big, ' ', 2 * 1024 * 1024);
	run(f, "POST", "/api/webhook", big, strlen(big), &resp,
	    "X-Gitlab-Event: Push Hook", "X-Gitlab-Token: " GL_SECRET, NULL);
	assert_int_equal(resp.status, 413);
	gd_resp_dispose(&resp);
	free(big);
	free(body);
}

static void
test_api_apps__push_webhook_shows_a_new_commit_at_once(void **state)
{
	struct fx *f = *state;
	struct gd_resp resp;
	char c2[GITFIX_SHA_LEN], *body, *sig;
	unsigned long r0 = gd_repo_poller_rounds(f->poller);

	gitfix_write(f->remote, "apps/web/application.yaml",
	    "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
	    "metadata: {name: web}\n"
	    "spec: {source: {repoURL: a, path: b}, destination: {name: x}}\n");
	gitfix_commit(f->remote, "main", "add web", c2);
	/* a push to another branch of the gitops repo moves nothing */
	body = payload(f, "github-push.json", "refs/heads/feature");
	sig = github_sig(GH_SECRET, body);
	run(f, "POST", "/api/webhook", body, strlen(body), &resp,
	    "X-GitHub-Event: push", sig, NULL);
	assert_int_equal(resp.status, 200);
	assert_int_equal(
	    json_integer_value(json_object_get(resp.body, "repositories")), 0);
	gd_resp_dispose(&resp);
	free(body);
	free(sig);
	body = payload(f, "gitlab-push.json", NULL);
	run(f, "POST", "/api/webhook", body, strlen(body), &resp,
	    "X-Gitlab-Event: Push Hook", "X-Gitlab-Token: " GL_SECRET, NULL);
	assert_int_equal(resp.status, 200);
	assert_int_equal(
	    json_integer_value(json_object_get(resp.body, "repositories")), 1);
	gd_resp_dispose(&resp);
	free(body);
	wait_rounds(f->poller, r0 + 1);
	run(f, "GET", "/api/v1/applications/web", NULL, 0, &resp, NULL);
	assert_int_equal(resp.status, 200);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(resp.body, "status"), "sync"),
		"revision")),
	    c2);
	gd_resp_dispose(&resp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_api_apps__lists_the_catalog_in_argo_shape),
		T(test_api_apps__get_one_app_404_and_403),
		T(test_api_apps__projects),
		T(test_api_apps__fetch_failure_is_reported_on_the_apps),
		T(test_api_apps__github_signatures),
		T(test_api_apps__gitlab_token_and_size_limit),
		T(test_api_apps__push_webhook_shows_a_new_commit_at_once),
#undef T
	};

	gd_core_init_json();
	log_init(GD_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
