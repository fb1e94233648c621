/* SPDX-License-Identifier: ISC */
/*
 * conf: the daemon's configuration file (gitopsd.yaml), read through one
 * declarative key table that fills defaults, checks types and ranges,
 * refuses unknown keys with file:line:col, and prints `gitopsd -h config`.
 * A loaded struct gd_conf is immutable; a reload builds a new one.
 *
 * Secrets are never in the file: keys ending in _file name a file that
 * holds the secret, read when it is used (gd_conf_read_secret).
 */
#ifndef GITOPSD_CONF_H
#define GITOPSD_CONF_H

#include "gitopsd/core.h"

/* Credentials and TLS for every repository whose URL starts with url. */
struct gd_conf_repo {
	char *url;
	char *username;
	char *password_file;
	char *token_file; /* a bearer/PAT token, used as the password */
	char *ssh_key_file;
	char *ca_file;
	bool insecure;
};

/*
 * An OCI registry as written in repoURL (oci://HOST/path) and where to
 * reach it: endpoint lets one Application YAML work against a mirror or a
 * test registry ("harbor.local" -> "http://127.0.0.1:5000").
 */
struct gd_conf_registry {
	char *host; /* "harbor.local" or "harbor.local:443" */
	char *endpoint; /* NULL: https://<host> */
	char *username;
	char *username_file;
	char *password_file;
	char *ca_file;
	bool insecure; /* skip TLS verification */
};

/* A classic Helm repository (index.yaml) by URL prefix. */
struct gd_conf_helm_repo {
	char *url;
	char *username;
	char *username_file;
	char *password_file;
	char *ca_file;
	bool insecure;
};

struct gd_conf_user {
	char *name;
	char *password_hash; /* a hash, not a secret: gitopsd hash-password */
	bool disabled;
};

struct gd_conf {
	char *path; /* the file it was read from, or NULL */

	char *listen; /* "127.0.0.1:8080" */
	char *data_dir; /* SQLite, git mirrors, chart cache */
	char *web_root; /* NULL: the UI embedded in the binary */
	int log_level; /* GD_LOG_* */
	long poll_interval; /* seconds between git fetches */
	long max_body; /* request body limit, bytes */
	long http_threads; /* 0: one per CPU */

	struct {
		char *repo;
		char *branch;
		char **include; /* NULL-terminated globs */
	} gitops;

	struct gd_conf_repo *repositories;
	size_t nrepositories;

	struct gd_conf_registry *registries;
	size_t nregistries;
	struct gd_conf_helm_repo *helm_repositories;
	size_t nhelm_repositories;
	long chart_cache_max; /* bytes of chart archives kept on disk */
	long render_cache_max; /* rendered results kept in memory */

	struct {
		char *kubeconfig; /* NULL: $KUBECONFIG, ~/.kube/config */
		char *context;
		bool in_cluster;
		long qps; /* client-side rate limit, requests/s */
		long burst;
		char *incluster_dir; /* NULL: the pod's service account */
	} cluster;

	struct gd_conf_user *users;
	size_t nusers;

	struct {
		char *policy_file; /* Argo CD policy.csv format */
		char *default_role; /* "role:readonly" */
	} rbac;

	struct {
		char *github_secret_file;
		char *gitlab_secret_file;
	} webhook;
};

/* A config with every default, as if read from an empty file. */
struct gd_conf *gd_conf_new_default(void);
/*
 * Reads and checks a config file. On error *out stays NULL and err says
 * "path:line:col: what is wrong".
 */
int gd_conf_load(struct gd_conf **out, const char *path, struct gd_err *);
/* The same from text in memory; name is used in messages. */
int gd_conf_load_buf(struct gd_conf **out, const char *buf, size_t len,
    const char *name, struct gd_err *);
void gd_conf_free(struct gd_conf *);
/* Appends the documentation of every key (gitopsd -h config). */
void gd_conf_describe(struct gd_buf *out);

/*
 * Reads a secret from a file named in the config: the whole file with
 * trailing newlines cut. Errors name the file, never the content. The
 * caller wipes and frees *out (gd_conf_secret_free).
 */
int gd_conf_read_secret(char **out, const char *path, struct gd_err *);
void gd_conf_secret_free(char *);

/* The repository credentials that apply to url: longest prefix wins. */
const struct gd_conf_repo *gd_conf_repo_for(
    const struct gd_conf *, const char *url);

/* The registry whose host is host ("h" or "h:port"), or NULL. */
const struct gd_conf_registry *gd_conf_registry_for(
    const struct gd_conf *, const char *host);
/* The Helm repository settings for url: longest prefix wins. */
const struct gd_conf_helm_repo *gd_conf_helm_repo_for(
    const struct gd_conf *, const char *url);

#endif /* GITOPSD_CONF_H */
