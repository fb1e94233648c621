/* SPDX-License-Identifier: ISC */
/*
 * The configuration file, read through one declarative key table (after
 * tmux's options-table.c): every key's name, type, place in struct
 * gd_conf, default and help text live in conf_root below, and three walks
 * over that table fill the defaults, check a loaded document and print
 * `gitopsd -h config`. The hard part is error positions: ydoc hands back
 * a map from JSON pointer to line:col, and every message goes through
 * conf_fail so that each one starts with file:line:col.
 *
 * Relative paths in the file are taken relative to the file's folder, so
 * `gitopsd -c examples/gitopsd.yaml` works from any working directory.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/conf.h"
#include "gitopsd/ydoc.h"

enum conf_type {
	CONF_STR,
	CONF_PATH, /* a string, made absolute against the file's folder */
	CONF_INT,
	CONF_BOOL,
	CONF_DURATION, /* seconds: 90, "90s", "3m", "1h" */
	CONF_LOGLEVEL,
	CONF_STRLIST,
	CONF_SECTION, /* a map filled by sub, embedded at off */
	CONF_LIST, /* a list of maps filled by sub, array pointer at off */
};

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t off;
	const char *def; /* default, in the key's own syntax; NULL: none */
	const char *help;
	long min, max; /* CONF_INT, CONF_DURATION */
	const struct conf_key *sub;
	size_t elem_size; /* CONF_LIST */
	size_t count_off; /* CONF_LIST: where the size_t count lives */
	bool required;
};

#define CONF_END                                                               \
	{                                                                      \
		NULL, CONF_STR, 0, NULL, NULL, 0, 0, NULL, 0, 0, false         \
	}

static const struct conf_key conf_repo_keys[] = {
	{ "url", CONF_STR, offsetof(struct gd_conf_repo, url), NULL,
	    "URL prefix these settings apply to (longest prefix wins)", 0, 0,
	    NULL, 0, 0, true },
	{ "username", CONF_STR, offsetof(struct gd_conf_repo, username), NULL,
	    "user name for HTTPS", 0, 0, NULL, 0, 0, false },
	{ "password_file", CONF_PATH,
	    offsetof(struct gd_conf_repo, password_file), NULL,
	    "file holding the HTTPS password", 0, 0, NULL, 0, 0, false },
	{ "token_file", CONF_PATH, offsetof(struct gd_conf_repo, token_file),
	    NULL, "file holding an access token (sent as the password)", 0, 0,
	    NULL, 0, 0, false },
	{ "ssh_key_file", CONF_PATH,
	    offsetof(struct gd_conf_repo, ssh_key_file), NULL,
	    "private key for ssh:// URLs", 0, 0, NULL, 0, 0, false },
	{ "ca_file", CONF_PATH, offsetof(struct gd_conf_repo, ca_file), NULL,
	    "PEM bundle of CAs to trust for this server", 0, 0, NULL, 0, 0,
	    false },
	{ "insecure", CONF_BOOL, offsetof(struct gd_conf_repo, insecure),
	    "false", "skip TLS verification (test setups only)", 0, 0, NULL, 0,
	    0, false },
	CONF_END
};

static const struct conf_key conf_registry_keys[] = {
	{ "host", CONF_STR, offsetof(struct gd_conf_registry, host), NULL,
	    "registry host as written in repoURL (oci://HOST/...)", 0, 0, NULL,
	    0, 0, true },
	{ "endpoint", CONF_STR, offsetof(struct gd_conf_registry, endpoint),
	    NULL,
	    "where to reach it, http(s)://HOST[:PORT] (default: https://"
	    "<host>)",
	    0, 0, NULL, 0, 0, false },
	{ "username", CONF_STR, offsetof(struct gd_conf_registry, username),
	    NULL, "user name (robot$ci)", 0, 0, NULL, 0, 0, false },
	{ "username_file", CONF_PATH,
	    offsetof(struct gd_conf_registry, username_file), NULL,
	    "file holding the user name", 0, 0, NULL, 0, 0, false },
	{ "password_file", CONF_PATH,
	    offsetof(struct gd_conf_registry, password_file), NULL,
	    "file holding the password or token", 0, 0, NULL, 0, 0, false },
	{ "ca_file", CONF_PATH, offsetof(struct gd_conf_registry, ca_file),
	    NULL, "PEM bundle of CAs to trust for this registry", 0, 0, NULL, 0,
	    0, false },
	{ "insecure", CONF_BOOL, offsetof(struct gd_conf_registry, insecure),
	    "false", "skip TLS verification (test setups only)", 0, 0, NULL, 0,
	    0, false },
	CONF_END
};

static const struct conf_key conf_helm_repo_keys[] = {
	{ "url", CONF_STR, offsetof(struct gd_conf_helm_repo, url), NULL,
	    "repository URL prefix these settings apply to", 0, 0, NULL, 0, 0,
	    true },
	{ "username", CONF_STR, offsetof(struct gd_conf_helm_repo, username),
	    NULL, "user name for basic auth", 0, 0, NULL, 0, 0, false },
	{ "username_file", CONF_PATH,
	    offsetof(struct gd_conf_helm_repo, username_file), NULL,
	    "file holding the user name", 0, 0, NULL, 0, 0, false },
	{ "password_file", CONF_PATH,
	    offsetof(struct gd_conf_helm_repo, password_file), NULL,
	    "file holding the password", 0, 0, NULL, 0, 0, false },
	{ "ca_file", CONF_PATH, offsetof(struct gd_conf_helm_repo, ca_file),
	    NULL, "PEM bundle of CAs to trust for this repository", 0, 0, NULL,
	    0, 0, false },
	{ "insecure", CONF_BOOL, offsetof(struct gd_conf_helm_repo, insecure),
	    "false", "skip TLS verification (test setups only)", 0, 0, NULL, 0,
	    0, false },
	CONF_END
};

static const struct conf_key conf_user_keys[] = {
	{ "name", CONF_STR, offsetof(struct gd_conf_user, name), NULL,
	    "login name", 0, 0, NULL, 0, 0, true },
	{ "password_hash", CONF_STR,
	    offsetof(struct gd_conf_user, password_hash), NULL,
	    "password hash made by `gitopsd hash-password`", 0, 0, NULL, 0, 0,
	    false },
	{ "disabled", CONF_BOOL, offsetof(struct gd_conf_user, disabled),
	    "false", "refuse logins for this user", 0, 0, NULL, 0, 0, false },
	CONF_END
};

static const struct conf_key conf_gitops_keys[] = {
	{ "repo", CONF_STR, offsetof(struct gd_conf, gitops.repo), NULL,
	    "URL of the gitops repository (file://, git://, https://, ssh://)",
	    0, 0, NULL, 0, 0, false },
	{ "branch", CONF_STR, offsetof(struct gd_conf, gitops.branch), "main",
	    "branch to read Applications from", 0, 0, NULL, 0, 0, false },
	{ "include", CONF_STRLIST, offsetof(struct gd_conf, gitops.include),
	    NULL, "globs of files to read (default: every *.yaml and *.yml)", 0,
	    0, NULL, 0, 0, false },
	CONF_END
};

static const struct conf_key conf_cluster_keys[] = {
	{ "kubeconfig", CONF_PATH, offsetof(struct gd_conf, cluster.kubeconfig),
	    NULL, "kubeconfig file (default: $KUBECONFIG, ~/.kube/config)", 0,
	    0, NULL, 0, 0, false },
	{ "context", CONF_STR, offsetof(struct gd_conf, cluster.context), NULL,
	    "kubeconfig context (default: the current one)", 0, 0, NULL, 0, 0,
	    false },
	{ "in_cluster", CONF_BOOL, offsetof(struct gd_conf, cluster.in_cluster),
	    "false", "use the pod's service account", 0, 0, NULL, 0, 0, false },
	{ "qps", CONF_INT, offsetof(struct gd_conf, cluster.qps), "50",
	    "requests per second to the API server", 1, 100000, NULL, 0, 0,
	    false },
	{ "burst", CONF_INT, offsetof(struct gd_conf, cluster.burst), "100",
	    "requests allowed at once above qps", 1, 100000, NULL, 0, 0,
	    false },
	{ "incluster_dir", CONF_PATH,
	    offsetof(struct gd_conf, cluster.incluster_dir), NULL,
	    "service account folder (default: "
	    "/var/run/secrets/kubernetes.io/serviceaccount)",
	    0, 0, NULL, 0, 0, false },
	CONF_END
};

static const struct conf_key conf_rbac_keys[] = {
	{ "policy_file", CONF_PATH, offsetof(struct gd_conf, rbac.policy_file),
	    NULL, "RBAC policy in Argo CD's policy.csv format", 0, 0, NULL, 0,
	    0, false },
	{ "default_role", CONF_STR, offsetof(struct gd_conf, rbac.default_role),
	    "role:readonly", "role of every authenticated user", 0, 0, NULL, 0,
	    0, false },
	CONF_END
};

static const struct conf_key conf_webhook_keys[] = {
	{ "github_secret_file", CONF_PATH,
	    offsetof(struct gd_conf, webhook.github_secret_file), NULL,
	    "file holding the GitHub webhook secret (HMAC-SHA256)", 0, 0, NULL,
	    0, 0, false },
	{ "gitlab_secret_file", CONF_PATH,
	    offsetof(struct gd_conf, webhook.gitlab_secret_file), NULL,
	    "file holding the GitLab webhook token", 0, 0, NULL, 0, 0, false },
	CONF_END
};

static const struct conf_key conf_root[] = {
	{ "listen", CONF_STR, offsetof(struct gd_conf, listen),
	    "127.0.0.1:8080", "address of the UI and API, HOST:PORT", 0, 0,
	    NULL, 0, 0, false },
	{ "data_dir", CONF_PATH, offsetof(struct gd_conf, data_dir), "data",
	    "folder for the database, git mirrors and chart cache", 0, 0, NULL,
	    0, 0, false },
	{ "web_root", CONF_PATH, offsetof(struct gd_conf, web_root), NULL,
	    "serve the UI from this folder (default: the built-in copy)", 0, 0,
	    NULL, 0, 0, false },
	{ "log_level", CONF_LOGLEVEL, offsetof(struct gd_conf, log_level),
	    "info", "error, warn, info or debug", 0, 0, NULL, 0, 0, false },
	{ "poll_interval", CONF_DURATION,
	    offsetof(struct gd_conf, poll_interval), "3m",
	    "time between git fetches (seconds, or 30s, 3m, 1h)", 5, 86400,
	    NULL, 0, 0, false },
	{ "max_body", CONF_INT, offsetof(struct gd_conf, max_body), "1048576",
	    "largest request body accepted, in bytes", 1024, 256L << 20, NULL,
	    0, 0, false },
	{ "http_threads", CONF_INT, offsetof(struct gd_conf, http_threads), "0",
	    "HTTP worker threads (0: one per CPU)", 0, 256, NULL, 0, 0, false },
	{ "gitops", CONF_SECTION, 0, NULL, "the gitops repository", 0, 0,
	    conf_gitops_keys, 0, 0, false },
	{ "repositories", CONF_LIST, offsetof(struct gd_conf, repositories),
	    NULL, "credentials and TLS by URL prefix", 0, 0, conf_repo_keys,
	    sizeof(struct gd_conf_repo),
	    offsetof(struct gd_conf, nrepositories), false },
	{ "registries", CONF_LIST, offsetof(struct gd_conf, registries), NULL,
	    "OCI registries: endpoint and credentials by host", 0, 0,
	    conf_registry_keys, sizeof(struct gd_conf_registry),
	    offsetof(struct gd_conf, nregistries), false },
	{ "helm_repositories", CONF_LIST,
	    offsetof(struct gd_conf, helm_repositories), NULL,
	    "Helm chart repositories: credentials and TLS by URL prefix", 0, 0,
	    conf_helm_repo_keys, sizeof(struct gd_conf_helm_repo),
	    offsetof(struct gd_conf, nhelm_repositories), false },
	{ "chart_cache_max", CONF_INT,
	    offsetof(struct gd_conf, chart_cache_max), "2147483648",
	    "bytes of chart archives kept under data_dir/charts", 1L << 20,
	    1L << 40, NULL, 0, 0, false },
	{ "render_cache_max", CONF_INT,
	    offsetof(struct gd_conf, render_cache_max), "4096",
	    "rendered results kept in memory (least recently used go)", 0,
	    1000000, NULL, 0, 0, false },
	{ "cluster", CONF_SECTION, 0, NULL, "the Kubernetes connection", 0, 0,
	    conf_cluster_keys, 0, 0, false },
	{ "users", CONF_LIST, offsetof(struct gd_conf, users), NULL,
	    "local users of the UI and API", 0, 0, conf_user_keys,
	    sizeof(struct gd_conf_user), offsetof(struct gd_conf, nusers),
	    false },
	{ "rbac", CONF_SECTION, 0, NULL, "access control", 0, 0, conf_rbac_keys,
	    0, 0, false },
	{ "webhook", CONF_SECTION, 0, NULL, "git push webhooks", 0, 0,
	    conf_webhook_keys, 0, 0, false },
	CONF_END
};

/* Everything a walk needs to name a place in the file. */
struct conf_ctx {
	const char *name; /* file name for messages */
	const char *dir; /* folder relative paths are taken from */
	json_t *marks; /* JSON pointer -> [line, col], may be NULL */
	struct gd_err *err;
};

static int conf_fail(struct conf_ctx *, const char *, const char *, ...)
    GD_PRINTF(3, 4);

#define CONF_PTR_MAX 256

/* Writes the JSON pointer of a child; false when it does not fit. */
static bool
conf_child(char out[CONF_PTR_MAX], const char *ptr, const char *key, size_t idx)
{
	int n;

	if (key != NULL)
		n = snprintf(out, CONF_PTR_MAX, "%s/%s", ptr, key);
	else
		n = snprintf(out, CONF_PTR_MAX, "%s/%zu", ptr, idx);
	return n > 0 && n < CONF_PTR_MAX;
}

static int
conf_fail(struct conf_ctx *c, const char *ptr, const char *fmt, ...)
{
	char msg[sizeof(c->err->msg)];
	json_t *m = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->marks != NULL)
		m = json_object_get(c->marks, ptr);
	if (m != NULL)
		return gd_err_set(c->err, GD_EINVAL, "%s:%lld:%lld: %s",
		    c->name,
		    (long long)json_integer_value(json_array_get(m, 0)),
		    (long long)json_integer_value(json_array_get(m, 1)), msg);
	return gd_err_set(c->err, GD_EINVAL, "%s: %s", c->name, msg);
}

/* The key's dotted name for messages, from its JSON pointer. */
static const char *
conf_keyname(const char *ptr, char *out, size_t outlen)
{
	size_t i, n = 0;

	for (i = (ptr[0] == '/'); ptr[i] != '\0' && n + 1 < outlen; i++)
		out[n++] = ptr[i] == '/' ? '.' : ptr[i];
	out[n] = '\0';
	return out;
}

static int
conf_parse_duration(const char *s, long *out)
{
	char *end;
	long v, mult = 1;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || errno != 0 || v < 0)
		return -1;
	if (strcmp(end, "s") == 0 || *end == '\0')
		mult = 1;
	else if (strcmp(end, "m") == 0)
		mult = 60;
	else if (strcmp(end, "h") == 0)
		mult = 3600;
	else
		return -1;
	if (v > LONG_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static char *
conf_abspath(struct conf_ctx *c, const char *s)
{
	char *p;

	if (s[0] == '/' || c->dir == NULL)
		return xstrdup(s);
	xasprintf(&p, "%s/%s", c->dir, s);
	return p;
}

static void conf_free_table(const struct conf_key *, void *);

static void
conf_free_value(const struct conf_key *k, void *base)
{
	char **sp, ***lp;
	void **ap;
	size_t i, *np;

	switch (k->type) {
	case CONF_STR:
	case CONF_PATH:
		sp = (char **)((char *)base + k->off);
		free(*sp);
		*sp = NULL;
		break;
	case CONF_STRLIST:
		lp = (char ***)((char *)base + k->off);
		for (i = 0; *lp != NULL && (*lp)[i] != NULL; i++)
			free((*lp)[i]);
		free(*lp);
		*lp = NULL;
		break;
	case CONF_SECTION:
		conf_free_table(k->sub, base);
		break;
	case CONF_LIST:
		ap = (void **)((char *)base + k->off);
		np = (size_t *)((char *)base + k->count_off);
		for (i = 0; *ap != NULL && i < *np; i++)
			conf_free_table(k->sub, (char *)*ap + i * k->elem_size);
		free(*ap);
		*ap = NULL;
		*np = 0;
		break;
	default:
		break;
	}
}

static void
conf_free_table(const struct conf_key *t, void *base)
{
	const struct conf_key *k;

	for (k = t; k->name != NULL; k++)
		conf_free_value(k, base);
}

/* Sets one key from a JSON value; ptr names it in messages. */
static int
conf_set(struct conf_ctx *c, const struct conf_key *k, void *base, json_t *v,
    const char *ptr)
{
	char name[128], **sp, ***lp;
	long *np, n;
	bool *bp;
	size_t i;
	json_t *item;
	int lvl;

	conf_keyname(ptr, name, sizeof(name));
	switch (k->type) {
	case CONF_STR:
	case CONF_PATH:
		if (!json_is_string(v))
			return conf_fail(c, ptr, "%s: want a string", name);
		sp = (char **)((char *)base + k->off);
		free(*sp);
		*sp = k->type == CONF_PATH ?
		    conf_abspath(c, json_string_value(v)) :
		    xstrdup(json_string_value(v));
		return 0;
	case CONF_BOOL:
		if (!json_is_boolean(v))
			return conf_fail(
			    c, ptr, "%s: want true or false", name);
		bp = (bool *)((char *)base + k->off);
		*bp = json_is_true(v);
		return 0;
	case CONF_INT:
	case CONF_DURATION:
		np = (long *)((char *)base + k->off);
		if (json_is_integer(v))
			n = (long)json_integer_value(v);
		else if (k->type == CONF_DURATION && json_is_string(v)) {
			if (conf_parse_duration(json_string_value(v), &n) < 0)
				return conf_fail(c, ptr,
				    "%s: \"%s\" is not a duration (want 90, "
				    "90s, 3m or 1h)",
				    name, json_string_value(v));
		} else
			return conf_fail(c, ptr, "%s: want %s", name,
			    k->type == CONF_INT ? "an integer" : "a duration");
		if (n < k->min || n > k->max)
			return conf_fail(c, ptr,
			    "%s: %ld is out of range %ld..%ld", name, n, k->min,
			    k->max);
		*np = n;
		return 0;
	case CONF_LOGLEVEL:
		if (!json_is_string(v) ||
		    (lvl = log_level_parse(json_string_value(v))) < 0)
			return conf_fail(c, ptr,
			    "%s: want error, warn, info or debug", name);
		*(int *)((char *)base + k->off) = lvl;
		return 0;
	case CONF_STRLIST:
		if (!json_is_array(v))
			return conf_fail(
			    c, ptr, "%s: want a list of strings", name);
		lp = (char ***)((char *)base + k->off);
		conf_free_value(k, base);
		*lp = xcalloc(json_array_size(v) + 1, sizeof(char *));
		json_array_foreach(v, i, item) {
			if (!json_is_string(item)) {
				char ip[CONF_PTR_MAX];

				if (!conf_child(ip, ptr, NULL, i))
					ip[0] = '\0';
				return conf_fail(
				    c, ip, "%s[%zu]: want a string", name, i);
			}
			(*lp)[i] = xstrdup(json_string_value(item));
		}
		return 0;
	case CONF_SECTION:
	case CONF_LIST:
		break;
	}
	return conf_fail(c, ptr, "%s: unhandled key type", name);
}

static int conf_walk(
    struct conf_ctx *, const struct conf_key *, void *, json_t *, const char *);

static int
conf_list(struct conf_ctx *c, const struct conf_key *k, void *base, json_t *v,
    const char *ptr)
{
	void **ap = (void **)((char *)base + k->off);
	size_t *np = (size_t *)((char *)base + k->count_off), i;
	char ip[CONF_PTR_MAX], name[128];
	json_t *item;
	int rc;

	if (!json_is_array(v))
		return conf_fail(c, ptr, "%s: want a list",
		    conf_keyname(ptr, name, sizeof(name)));
	conf_free_value(k, base);
	*ap = xcalloc(json_array_size(v) + 1, k->elem_size);
	json_array_foreach(v, i, item) {
		if (!conf_child(ip, ptr, NULL, i))
			return conf_fail(c, ptr, "nested too deep");
		*np = i + 1;
		if ((rc = conf_walk(c, k->sub, (char *)*ap + i * k->elem_size,
			 item, ip)) < 0)
			return rc;
	}
	return 0;
}

/* Fills every key of t in base from its default. */
static void
conf_defaults(struct conf_ctx *c, const struct conf_key *t, void *base)
{
	const struct conf_key *k;
	json_t *v;
	long n;

	for (k = t; k->name != NULL; k++) {
		if (k->type == CONF_SECTION) {
			conf_defaults(c, k->sub, base);
			continue;
		}
		if (k->def == NULL)
			continue;
		switch (k->type) {
		case CONF_BOOL:
			v = json_boolean(strcmp(k->def, "true") == 0);
			break;
		case CONF_INT:
			n = strtol(k->def, NULL, 10);
			v = json_integer(n);
			break;
		default:
			v = json_string(k->def);
			break;
		}
		if (conf_set(c, k, base, v, "") < 0)
			fatalx("conf: bad default for %s", k->name);
		json_decref(v);
	}
}

/* Checks that every required key of t is set in the map v. */
static int
conf_required(
    struct conf_ctx *c, const struct conf_key *t, json_t *v, const char *ptr)
{
	const struct conf_key *k;
	char name[128];

	for (k = t; k->name != NULL; k++)
		if (k->required && json_object_get(v, k->name) == NULL)
			return conf_fail(c, ptr, "%s%s%s: missing",
			    conf_keyname(ptr, name, sizeof(name)),
			    ptr[0] != '\0' ? "." : "", k->name);
	return 0;
}

static int
conf_walk(struct conf_ctx *c, const struct conf_key *t, void *base, json_t *obj,
    const char *ptr)
{
	const struct conf_key *k;
	const char *key;
	char kp[CONF_PTR_MAX], name[128];
	json_t *v;
	int rc;

	if (json_is_null(obj))
		obj = NULL;
	if (obj != NULL && !json_is_object(obj))
		return conf_fail(c, ptr, "%s: want a map of keys",
		    ptr[0] == '\0' ? "top level" :
				     conf_keyname(ptr, name, sizeof(name)));
	conf_defaults(c, t, base);
	if (obj == NULL)
		return conf_required(c, t, NULL, ptr);
	json_object_foreach(obj, key, v) {
		if (!conf_child(kp, ptr, key, 0))
			return conf_fail(
			    c, ptr, "key \"%.64s\" is too long", key);
		for (k = t; k->name != NULL; k++)
			if (strcmp(k->name, key) == 0)
				break;
		if (k->name == NULL)
			return conf_fail(c, kp, "unknown key \"%s\"",
			    conf_keyname(kp, name, sizeof(name)));
		if (json_is_null(v) && k->required)
			return conf_fail(c, kp, "%s: needs a value",
			    conf_keyname(kp, name, sizeof(name)));
		if (json_is_null(v) && k->type != CONF_SECTION)
			continue; /* "key:" with no value keeps the default */
		if (k->type == CONF_SECTION)
			rc = conf_walk(c, k->sub, base, v, kp);
		else if (k->type == CONF_LIST)
			rc = conf_list(c, k, base, v, kp);
		else
			rc = conf_set(c, k, base, v, kp);
		if (rc < 0)
			return rc;
	}
	return conf_required(c, t, obj, ptr);
}

/* Checks that relate keys to each other, after the walk. */
static int
conf_check(struct conf_ctx *c, struct gd_conf *conf)
{
	const char *colon = strrchr(conf->listen, ':');
	char *end;
	long port;
	size_t i, j;

	if (colon == NULL || colon[1] == '\0')
		return conf_fail(c, "/listen",
		    "listen: \"%s\" is not HOST:PORT", conf->listen);
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || port < 0 || port > 65535)
		return conf_fail(
		    c, "/listen", "listen: bad port in \"%s\"", conf->listen);
	for (i = 0; i < conf->nusers; i++)
		for (j = 0; j < i; j++)
			if (strcmp(conf->users[i].name, conf->users[j].name) ==
			    0) {
				char p[CONF_PTR_MAX];

				if (snprintf(
					p, sizeof(p), "/users/%zu/name", i) < 0)
					p[0] = '\0';
				return conf_fail(c, p,
				    "users: \"%s\" is listed twice",
				    conf->users[i].name);
			}
	return 0;
}

static struct gd_conf *
conf_alloc(void)
{
	return xcalloc(1, sizeof(struct gd_conf));
}

struct gd_conf *
gd_conf_new_default(void)
{
	struct gd_conf *conf = conf_alloc();
	struct conf_ctx c = { "defaults", NULL, NULL, NULL };

	conf_defaults(&c, conf_root, conf);
	return conf;
}

static char *
conf_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int
gd_conf_load_buf(struct gd_conf **out, const char *buf, size_t len,
    const char *name, struct gd_err *err)
{
	struct gd_conf *conf = NULL;
	struct conf_ctx c;
	json_t *docs = NULL, *marks = NULL;
	char *dir = NULL;
	int rc;

	*out = NULL;
	dir = conf_dirname(name);
	c.name = name;
	c.dir = dir;
	c.marks = NULL;
	c.err = err;
	if ((rc = gd_ydoc_load(&docs, &marks, buf, len, name, NULL, err)) < 0)
		goto out;
	if (json_array_size(docs) > 1) {
		rc = gd_err_set(err, GD_EINVAL,
		    "%s: want one YAML document, found %zu", name,
		    json_array_size(docs));
		goto out;
	}
	c.marks = json_array_get(marks, 0);
	conf = conf_alloc();
	if ((rc = conf_walk(&c, conf_root, conf, json_array_get(docs, 0), "")) <
		0 ||
	    (rc = conf_check(&c, conf)) < 0)
		goto out;
	conf->path = xstrdup(name);
	*out = conf;
	conf = NULL;
out:
	gd_conf_free(conf);
	json_decref(docs);
	json_decref(marks);
	free(dir);
	return rc;
}

int
gd_conf_load(struct gd_conf **out, const char *path, struct gd_err *err)
{
	struct gd_buf b;
	int rc;

	*out = NULL;
	gd_buf_init(&b);
	if ((rc = gd_buf_read_file(&b, path, 1 << 20, err)) == 0)
		rc = gd_conf_load_buf(out, b.data, b.len, path, err);
	gd_buf_dispose(&b);
	return rc;
}

void
gd_conf_free(struct gd_conf *conf)
{
	if (conf == NULL)
		return;
	conf_free_table(conf_root, conf);
	free(conf->path);
	free(conf);
}

static const char *
conf_type_name(enum conf_type t)
{
	switch (t) {
	case CONF_STR:
		return "string";
	case CONF_PATH:
		return "path";
	case CONF_INT:
		return "integer";
	case CONF_BOOL:
		return "boolean";
	case CONF_DURATION:
		return "duration";
	case CONF_LOGLEVEL:
		return "level";
	case CONF_STRLIST:
		return "list of strings";
	case CONF_SECTION:
		return "map";
	case CONF_LIST:
		return "list of maps";
	}
	return "?";
}

static void
conf_describe_table(struct gd_buf *out, const struct conf_key *t, int depth)
{
	const struct conf_key *k;

	for (k = t; k->name != NULL; k++) {
		gd_buf_printf(out, "%*s%-*s %-15s %s", depth * 2, "",
		    20 - depth * 2, k->name, conf_type_name(k->type), k->help);
		if (k->def != NULL)
			gd_buf_printf(out, " [%s]", k->def);
		if (k->required)
			gd_buf_adds(out, " (required)");
		gd_buf_addc(out, '\n');
		if (k->sub != NULL)
			conf_describe_table(out, k->sub, depth + 1);
	}
}

void
gd_conf_describe(struct gd_buf *out)
{
	gd_buf_adds(out,
	    "Keys of gitopsd.yaml (relative paths are taken "
	    "from the file's folder):\n");
	conf_describe_table(out, conf_root, 0);
}

int
gd_conf_read_secret(char **out, const char *path, struct gd_err *err)
{
	struct gd_buf b;
	int rc;

	*out = NULL;
	gd_buf_init(&b);
	if ((rc = gd_buf_read_file(&b, path, 64 * 1024, err)) < 0) {
		if (b.data != NULL)
			explicit_bzero(b.data, b.cap);
		gd_buf_dispose(&b);
		return rc;
	}
	while (b.len > 0 &&
	    (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
		b.data[--b.len] = '\0';
	if (b.len == 0) {
		gd_buf_dispose(&b);
		return gd_err_set(
		    err, GD_EINVAL, "%s: secret file is empty", path);
	}
	*out = gd_buf_detach(&b, NULL);
	return 0;
}

void
gd_conf_secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

const struct gd_conf_repo *
gd_conf_repo_for(const struct gd_conf *conf, const char *url)
{
	const struct gd_conf_repo *best = NULL;
	size_t i, n, bestn = 0;

	for (i = 0; i < conf->nrepositories; i++) {
		n = strlen(conf->repositories[i].url);
		if (strncmp(url, conf->repositories[i].url, n) == 0 &&
		    (best == NULL || n > bestn)) {
			best = &conf->repositories[i];
			bestn = n;
		}
	}
	return best;
}

const struct gd_conf_registry *
gd_conf_registry_for(const struct gd_conf *conf, const char *host)
{
	size_t i;

	for (i = 0; i < conf->nregistries; i++)
		if (strcmp(conf->registries[i].host, host) == 0)
			return &conf->registries[i];
	return NULL;
}

const struct gd_conf_helm_repo *
gd_conf_helm_repo_for(const struct gd_conf *conf, const char *url)
{
	const struct gd_conf_helm_repo *best = NULL;
	size_t i, n, bestn = 0;

	for (i = 0; i < conf->nhelm_repositories; i++) {
		n = strlen(conf->helm_repositories[i].url);
		if (strncmp(url, conf->helm_repositories[i].url, n) == 0 &&
		    (best == NULL || n > bestn)) {
			best = &conf->helm_repositories[i];
			bestn = n;
		}
	}
	return best;
}
