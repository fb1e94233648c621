/* SPDX-License-Identifier: ISC */
/*
 * POST /api/webhook: GitHub and GitLab push events that make gitopsd
 * fetch the repository that moved at once instead of at the next poll.
 * The payload is untrusted: it is used only to learn which repository
 * and ref moved, never for content, and a push to another branch of the
 * gitops repository than the one we follow is ignored. The hard part is
 * the secrets: GitHub signs the body with HMAC-SHA256 (X-Hub-Signature-
 * 256: sha256=<hex>), GitLab sends a token (X-Gitlab-Token). Both are
 * compared in constant time (the token through a hash of both sides, so
 * its length leaks nothing either), secrets are read from their files
 * per request and wiped after use, and a missing or wrong signature is a
 * 401 that says which header was wrong, never what was expected.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api_catalog.h"
#include "gitopsd/conf.h"
#include "gitopsd/repo.h"

/* The URL fields each provider's push payload names its repository by. */
static const char *const hook_github_urls[] = { "html_url", "clone_url",
	"git_url", "ssh_url", "url", NULL };
static const char *const hook_gitlab_urls[] = { "web_url", "git_http_url",
	"git_ssh_url", "http_url", "ssh_url", "url", "homepage", NULL };

static void
hook_collect(json_t *urls, const json_t *obj, const char *const *keys)
{
	const char *u;
	size_t i;

	for (i = 0; keys[i] != NULL; i++)
		if ((u = json_string_value(json_object_get(obj, keys[i]))) !=
			NULL &&
		    u[0] != '\0')
			json_array_append_new(urls, json_string(u));
}

int
gd_api_webhook_parse(json_t **urls, char **ref, const char *provider,
    const char *body, size_t len, struct gd_err *err)
{
	json_t *doc, *r, *list;
	json_error_t je;

	*urls = NULL;
	*ref = NULL;
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return gd_err_set(err, GD_EINVAL,
		    "webhook: payload is not a JSON object (line %d column "
		    "%d)",
		    je.line, je.column);
	}
	list = json_array();
	if (strcmp(provider, "github") == 0)
		hook_collect(
		    list, json_object_get(doc, "repository"), hook_github_urls);
	else {
		hook_collect(
		    list, json_object_get(doc, "project"), hook_gitlab_urls);
		hook_collect(
		    list, json_object_get(doc, "repository"), hook_gitlab_urls);
	}
	r = json_object_get(doc, "ref");
	if (json_array_size(list) == 0) {
		json_decref(list);
		json_decref(doc);
		return gd_err_set(
		    err, GD_EINVAL, "webhook: payload names no repository URL");
	}
	if (json_is_string(r))
		*ref = xstrdup(json_string_value(r));
	*urls = list;
	json_decref(doc);
	return 0;
}

/* Checks X-Hub-Signature-256 against the body. */
static int
hook_github_verify(
    const struct gd_req *req, const char *secret, struct gd_err *err)
{
	crypto_auth_hmacsha256_state st;
	unsigned char want[crypto_auth_hmacsha256_BYTES];
	unsigned char got[crypto_auth_hmacsha256_BYTES];
	const char *sig = gd_req_header(req, "X-Hub-Signature-256");
	size_t n = 0;
	int rc = 0;

	if (sig == NULL || strncmp(sig, "sha256=", 7) != 0)
		return gd_err_set(
		    err, GD_EUNAUTH, "webhook: X-Hub-Signature-256 is missing");
	if (sodium_hex2bin(got, sizeof(got), sig + 7, strlen(sig + 7), NULL, &n,
		NULL) != 0 ||
	    n != sizeof(got))
		return gd_err_set(err, GD_EUNAUTH,
		    "webhook: X-Hub-Signature-256 is not sha256=<64 hex>");
	crypto_auth_hmacsha256_init(
	    &st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st,
	    (const unsigned char *)(req->body != NULL ? req->body : ""),
	    req->body_len);
	crypto_auth_hmacsha256_final(&st, want);
	if (sodium_memcmp(want, got, sizeof(want)) != 0)
		rc = gd_err_set(err, GD_EUNAUTH,
		    "webhook: X-Hub-Signature-256 does not match the body");
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(want, sizeof(want));
	return rc;
}

/* Checks X-Gitlab-Token; hashing both sides hides the secret's length. */
static int
hook_gitlab_verify(
    const struct gd_req *req, const char *secret, struct gd_err *err)
{
	unsigned char a[32], b[32];
	const char *tok = gd_req_header(req, "X-Gitlab-Token");
	int rc = 0;

	if (tok == NULL)
		return gd_err_set(
		    err, GD_EUNAUTH, "webhook: X-Gitlab-Token is missing");
	crypto_generichash(
	    a, sizeof(a), (const unsigned char *)tok, strlen(tok), NULL, 0);
	crypto_generichash(b, sizeof(b), (const unsigned char *)secret,
	    strlen(secret), NULL, 0);
	if (sodium_memcmp(a, b, sizeof(a)) != 0)
		rc = gd_err_set(
		    err, GD_EUNAUTH, "webhook: X-Gitlab-Token does not match");
	sodium_memzero(b, sizeof(b));
	return rc;
}

/* Which provider and event; GD_EINVAL for anything we do not take. */
static int
hook_event(const char **provider, bool *ping, const struct gd_req *req,
    struct gd_err *err)
{
	const char *gh = gd_req_header(req, "X-GitHub-Event");
	const char *gl = gd_req_header(req, "X-Gitlab-Event");

	*ping = false;
	if (gh != NULL) {
		*provider = "github";
		if (strcmp(gh, "ping") == 0)
			*ping = true;
		else if (strcmp(gh, "push") != 0)
			return gd_err_set(err, GD_EINVAL,
			    "Unknown webhook event: GitHub %s", gh);
		return 0;
	}
	if (gl != NULL) {
		*provider = "gitlab";
		if (strcmp(gl, "Push Hook") != 0 &&
		    strcmp(gl, "Tag Push Hook") != 0 &&
		    strcmp(gl, "System Hook") != 0)
			return gd_err_set(err, GD_EINVAL,
			    "Unknown webhook event: GitLab %s", gl);
		return 0;
	}
	return gd_err_set(err, GD_EINVAL, "Unknown webhook event");
}

/* The secret file configured for provider, read now; NULL when none. */
static int
hook_secret(char **out, const struct gd_api_env *env, const char *provider,
    struct gd_err *err)
{
	const char *f = NULL;

	*out = NULL;
	if (env->conf != NULL)
		f = strcmp(provider, "github") == 0 ?
		    env->conf->webhook.github_secret_file :
		    env->conf->webhook.gitlab_secret_file;
	if (f == NULL)
		return 0;
	if (gd_conf_read_secret(out, f, err) < 0)
		return gd_err_set(err, GD_EINTERNAL,
		    "webhook: the %s secret file cannot be read", provider);
	return 0;
}

/* Whether a push of ref to url moves what we follow. */
static bool
hook_wanted(const struct gd_api_env *env, const char *url, const char *ref)
{
	const char *branch;
	char *a, *b;
	bool same;

	if (env->gitops == NULL || ref == NULL ||
	    strncmp(ref, "refs/heads/", 11) != 0)
		return true;
	a = gd_repo_url_key(url);
	b = gd_repo_url_key(gd_repo_url(env->gitops));
	same = strcmp(a, b) == 0;
	free(a);
	free(b);
	branch = env->conf != NULL && env->conf->gitops.branch != NULL ?
	    env->conf->gitops.branch :
	    "main";
	return !same || strcmp(ref + 11, branch) == 0;
}

int
gd_api_webhook_post(const struct gd_api_env *env, struct gd_req *req,
    struct gd_resp *resp, struct gd_err *err)
{
	const char *provider = NULL;
	char *secret = NULL, *ref = NULL;
	json_t *urls = NULL, *u;
	bool ping;
	size_t i;
	int rc, n = 0;

	if (req->body_len > GD_WEBHOOK_MAX_BODY)
		return gd_err_set(err, GD_ETOOBIG,
		    "webhook: payload of %zu bytes is over the limit of %d",
		    req->body_len, GD_WEBHOOK_MAX_BODY);
	if ((rc = hook_event(&provider, &ping, req, err)) < 0 ||
	    (rc = hook_secret(&secret, env, provider, err)) < 0)
		goto out;
	if (secret != NULL) {
		rc = strcmp(provider, "github") == 0 ?
		    hook_github_verify(req, secret, err) :
		    hook_gitlab_verify(req, secret, err);
		if (rc < 0)
			goto out;
	}
	if (ping) {
		gd_resp_json(resp, 200, json_pack("{s:s}", "message", "pong"));
		goto out;
	}
	if ((rc = gd_api_webhook_parse(&urls, &ref, provider,
		 req->body != NULL ? req->body : "", req->body_len, err)) < 0)
		goto out;
	json_array_foreach(urls, i, u) {
		if (env->poller == NULL ||
		    !hook_wanted(env, json_string_value(u), ref))
			continue;
		n += gd_repo_poller_trigger(env->poller, json_string_value(u));
		if (n > 0)
			break; /* the other spellings name the same repo */
	}
	gd_resp_json(resp, 200,
	    json_pack("{s:s, s:i}", "message",
		n > 0 ? "refresh queued" : "no repository matched",
		"repositories", n));
out:
	gd_conf_secret_free(secret);
	free(ref);
	json_decref(urls);
	return rc;
}
