/* SPDX-License-Identifier: ISC */
/*
 * kubeconfig files, read as kubectl reads them: a ':'-list of files
 * merged first-wins (the first file to name a cluster, user or context
 * keeps it; the first current-context wins), then one context resolved
 * into a struct gd_kube_config.
 *
 * The hard part is that relative paths (certificate-authority,
 * client-certificate, client-key, tokenFile, an exec command with a '/')
 * are relative to the file that named them, not to the process, so each
 * entry is remembered with its file's folder when the files are merged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/ydoc.h"
#include "kube_int.h"

#define KUBECONFIG_MAX (4u << 20)

static int
b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

int
gd_kube_b64_decode(
    unsigned char **out, size_t *outlen, const char *s, struct gd_err *err)
{
	unsigned char *p;
	unsigned acc = 0;
	size_t n = 0, bits = 0, pad = 0;
	int v;

	*out = NULL;
	*outlen = 0;
	p = xmalloc(strlen(s) / 4 * 3 + 4);
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
			continue;
		if (*s == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value((unsigned char)*s)) < 0) {
			free(p);
			return gd_err_set(err, GD_EINVAL, "invalid base64");
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			p[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (bits >= 6 || pad > 2) {
		free(p);
		return gd_err_set(err, GD_EINVAL, "invalid base64");
	}
	p[n] = '\0';
	*out = p;
	*outlen = n;
	return 0;
}

static void
exec_free(struct gd_kube_exec *e)
{
	char **p;

	if (e == NULL)
		return;
	free(e->api_version);
	free(e->command);
	for (p = e->args; p != NULL && *p != NULL; p++)
		free(*p);
	free(e->args);
	for (p = e->env; p != NULL && *p != NULL; p++)
		free(*p);
	free(e->env);
	free(e->interactive_mode);
	free(e);
}

static void
secret_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

static void
secret_free_str(char *s)
{
	if (s != NULL)
		secret_free(s, strlen(s));
}

void
gd_kube_config_free(struct gd_kube_config *c)
{
	if (c == NULL)
		return;
	free(c->context);
	free(c->server);
	free(c->namespace);
	free(c->ca_data);
	free(c->ca_file);
	free(c->cert_data);
	free(c->cert_file);
	secret_free(c->key_data, c->key_len);
	free(c->key_file);
	free(c->tls_server_name);
	secret_free_str(c->token);
	free(c->token_file);
	free(c->username);
	secret_free_str(c->password);
	exec_free(c->exec);
	free(c);
}

/*
 * A string field: absent gives NULL; another type is an error naming
 * where. "" counts as absent, as in client-go.
 */
static int
get_str(const char **out, const json_t *obj, const char *key, const char *where,
    struct gd_err *err)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return gd_err_set(
		    err, GD_EINVAL, "%s: %s must be a string", where, key);
	if (json_string_length(v) > 0)
		*out = json_string_value(v);
	return 0;
}

static int
get_bool(bool *out, const json_t *obj, const char *key, const char *where,
    struct gd_err *err)
{
	json_t *v = json_object_get(obj, key);

	*out = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return gd_err_set(
		    err, GD_EINVAL, "%s: %s must be true or false", where, key);
	*out = json_is_true(v);
	return 0;
}

/* A path from a file in dir: absolute stays, relative joins dir. */
static char *
resolve_path(const char *dir, const char *path)
{
	char *s;

	if (path == NULL)
		return NULL;
	if (path[0] == '/' || dir == NULL || dir[0] == '\0')
		return xstrdup(path);
	xasprintf(&s, "%s/%s", dir, path);
	return s;
}

/*
 * Adds the named entries of list (clusters, contexts or users) to the map
 * merged[key], each as {"dir": dir, "v": entry}; names already there are
 * kept (first file wins).
 */
static int
merge_list(json_t *merged, const json_t *doc, const char *key,
    const char *inner, const char *name, const char *dir, struct gd_err *err)
{
	json_t *list = json_object_get(doc, key), *map, *e, *nv;
	size_t i;

	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return gd_err_set(
		    err, GD_EINVAL, "%s: %s must be a list", name, key);
	map = json_object_get(merged, key);
	json_array_foreach(list, i, e) {
		nv = json_object_get(e, "name");
		if (!json_is_object(e) || !json_is_string(nv) ||
		    json_string_length(nv) == 0)
			return gd_err_set(err, GD_EINVAL,
			    "%s: %s[%zu] needs a name", name, key, i);
		if (json_object_get(e, inner) != NULL &&
		    !json_is_object(json_object_get(e, inner)))
			return gd_err_set(err, GD_EINVAL,
			    "%s: %s[%zu].%s must be a map", name, key, i,
			    inner);
		if (json_object_get(map, json_string_value(nv)) != NULL)
			continue;
		if (json_object_get(e, inner) != NULL)
			json_object_set_new(map, json_string_value(nv),
			    json_pack("{s:s, s:O}", "dir", dir, "v",
				json_object_get(e, inner)));
		else
			json_object_set_new(map, json_string_value(nv),
			    json_pack("{s:s, s:{}}", "dir", dir, "v"));
	}
	return 0;
}

static json_t *
merged_new(void)
{
	return json_pack("{s:{}, s:{}, s:{}}", "clusters", "contexts", "users");
}

static int
merge_doc(json_t *merged, const json_t *doc, const char *name, const char *dir,
    struct gd_err *err)
{
	const char *cur;
	int rc;

	if (json_is_null(doc))
		return 0;
	if (!json_is_object(doc))
		return gd_err_set(
		    err, GD_EINVAL, "%s: a kubeconfig must be a map", name);
	if ((rc = get_str(&cur, doc, "current-context", name, err)) < 0)
		return rc;
	if (cur != NULL && json_object_get(merged, "current-context") == NULL)
		json_object_set_new(
		    merged, "current-context", json_string(cur));
	if ((rc = merge_list(
		 merged, doc, "clusters", "cluster", name, dir, err)) < 0 ||
	    (rc = merge_list(
		 merged, doc, "contexts", "context", name, dir, err)) < 0 ||
	    (rc = merge_list(merged, doc, "users", "user", name, dir, err)) < 0)
		return rc;
	return 0;
}

/* A PEM given as -data (base64, wins) or as a file. */
static int
get_pem(unsigned char **data, size_t *len, char **file, const json_t *obj,
    const char *key, const char *dir, const char *where, struct gd_err *err)
{
	char dkey[64];
	const char *d, *f;
	int rc;

	snprintf(dkey, sizeof(dkey), "%s-data", key);
	if ((rc = get_str(&d, obj, dkey, where, err)) < 0 ||
	    (rc = get_str(&f, obj, key, where, err)) < 0)
		return rc;
	if (d != NULL) {
		if (gd_kube_b64_decode(data, len, d, err) < 0)
			return gd_err_set(err, GD_EINVAL,
			    "%s: %s is not valid base64", where, dkey);
		return 0;
	}
	*file = resolve_path(dir, f);
	return 0;
}

static int
parse_cluster(struct gd_kube_config *c, const json_t *ent, const char *cname,
    struct gd_err *err)
{
	const json_t *v = json_object_get(ent, "v");
	const char *dir = json_string_value(json_object_get(ent, "dir"));
	const char *server, *tsn;
	char where[300];
	size_t n;
	int rc;

	snprintf(where, sizeof(where), "cluster \"%s\"", cname);
	if ((rc = get_str(&server, v, "server", where, err)) < 0 ||
	    (rc = get_str(&tsn, v, "tls-server-name", where, err)) < 0 ||
	    (rc = get_bool(&c->insecure, v, "insecure-skip-tls-verify", where,
		 err)) < 0 ||
	    (rc = get_pem(&c->ca_data, &c->ca_len, &c->ca_file, v,
		 "certificate-authority", dir, where, err)) < 0)
		return rc;
	if (server == NULL)
		return gd_err_set(err, GD_EINVAL, "%s has no server", where);
	if (strncmp(server, "https://", 8) != 0 &&
	    strncmp(server, "http://", 7) != 0)
		return gd_err_set(err, GD_EINVAL,
		    "%s: server %s must start with https:// or http://", where,
		    server);
	c->server = xstrdup(server);
	n = strlen(c->server);
	while (n > 0 && c->server[n - 1] == '/')
		c->server[--n] = '\0';
	if (tsn != NULL)
		c->tls_server_name = xstrdup(tsn);
	return 0;
}

/* A NULL-terminated copy of a list of strings (args). */
static int
str_list(char ***out, const json_t *v, const char *where, const char *key,
    struct gd_err *err)
{
	json_t *e;
	size_t i;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return gd_err_set(
		    err, GD_EINVAL, "%s: %s must be a list", where, key);
	*out = xcalloc(json_array_size(v) + 1, sizeof(char *));
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return gd_err_set(err, GD_EINVAL,
			    "%s: %s[%zu] must be a string", where, key, i);
		(*out)[i] = xstrdup(json_string_value(e));
	}
	return 0;
}

static int
parse_exec(struct gd_kube_exec **out, const json_t *v, const char *dir,
    const char *where, struct gd_err *err)
{
	struct gd_kube_exec *e = xcalloc(1, sizeof(*e));
	const char *s, *name, *val;
	json_t *env, *item;
	size_t i;
	int rc;

	*out = e;
	if (!json_is_object(v))
		return gd_err_set(
		    err, GD_EINVAL, "%s: exec must be a map", where);
	if ((rc = get_str(&s, v, "apiVersion", where, err)) < 0)
		return rc;
	if (s == NULL)
		return gd_err_set(
		    err, GD_EINVAL, "%s: exec needs an apiVersion", where);
	e->api_version = xstrdup(s);
	if ((rc = get_str(&s, v, "command", where, err)) < 0)
		return rc;
	if (s == NULL)
		return gd_err_set(
		    err, GD_EINVAL, "%s: exec needs a command", where);
	/* A bare name is looked up in $PATH; only a path is relative. */
	e->command = strchr(s, '/') != NULL ? resolve_path(dir, s) : xstrdup(s);
	if ((rc = get_str(&s, v, "interactiveMode", where, err)) < 0)
		return rc;
	e->interactive_mode = xstrdup(s != NULL ? s : "IfAvailable");
	if ((rc = get_bool(&e->provide_cluster_info, v, "provideClusterInfo",
		 where, err)) < 0 ||
	    (rc = str_list(&e->args, json_object_get(v, "args"), where,
		 "exec.args", err)) < 0)
		return rc;
	env = json_object_get(v, "env");
	if (env != NULL && !json_is_null(env) && !json_is_array(env))
		return gd_err_set(
		    err, GD_EINVAL, "%s: exec.env must be a list", where);
	e->env = xcalloc(json_array_size(env) + 1, sizeof(char *));
	json_array_foreach(env, i, item) {
		name = json_string_value(json_object_get(item, "name"));
		val = json_string_value(json_object_get(item, "value"));
		if (name == NULL || name[0] == '\0' || strchr(name, '=') ||
		    val == NULL)
			return gd_err_set(err, GD_EINVAL,
			    "%s: exec.env[%zu] needs a name and a value", where,
			    i);
		xasprintf(&e->env[i], "%s=%s", name, val);
	}
	return 0;
}

static int
parse_user(struct gd_kube_config *c, const json_t *ent, const char *uname,
    struct gd_err *err)
{
	const json_t *v = json_object_get(ent, "v");
	const char *dir = json_string_value(json_object_get(ent, "dir"));
	const char *tok, *tokf, *user, *pass;
	char where[300];
	int rc;

	snprintf(where, sizeof(where), "user \"%s\"", uname);
	if ((rc = get_pem(&c->cert_data, &c->cert_len, &c->cert_file, v,
		 "client-certificate", dir, where, err)) < 0 ||
	    (rc = get_pem(&c->key_data, &c->key_len, &c->key_file, v,
		 "client-key", dir, where, err)) < 0 ||
	    (rc = get_str(&tok, v, "token", where, err)) < 0 ||
	    (rc = get_str(&tokf, v, "tokenFile", where, err)) < 0 ||
	    (rc = get_str(&user, v, "username", where, err)) < 0 ||
	    (rc = get_str(&pass, v, "password", where, err)) < 0)
		return rc;
	if ((c->cert_data != NULL || c->cert_file != NULL) !=
	    (c->key_data != NULL || c->key_file != NULL))
		return gd_err_set(err, GD_EINVAL,
		    "%s: client-certificate and client-key go together", where);
	if (json_object_get(v, "auth-provider") != NULL)
		return gd_err_set(err, GD_EINVAL,
		    "%s: auth-provider is not supported, use exec", where);
	if (tok != NULL)
		c->token = xstrdup(tok);
	c->token_file = resolve_path(dir, tokf);
	if (user != NULL)
		c->username = xstrdup(user);
	if (pass != NULL)
		c->password = xstrdup(pass);
	if (json_object_get(v, "exec") != NULL &&
	    !json_is_null(json_object_get(v, "exec")))
		return parse_exec(
		    &c->exec, json_object_get(v, "exec"), dir, where, err);
	return 0;
}

/* Resolves one context of the merged files; name says which files. */
static int
resolve(struct gd_kube_config **out, const json_t *merged, const char *name,
    const char *context, struct gd_err *err)
{
	struct gd_kube_config *c = NULL;
	const json_t *ctx, *cl, *us;
	const char *cname, *uname, *ns;
	char where[300];
	int rc;

	if (context == NULL)
		context = json_string_value(
		    json_object_get(merged, "current-context"));
	if (context == NULL) {
		rc = gd_err_set(err, GD_EINVAL,
		    "%s: no current-context and none given", name);
		goto out;
	}
	ctx = json_object_get(
	    json_object_get(json_object_get(merged, "contexts"), context), "v");
	if (ctx == NULL) {
		rc = gd_err_set(err, GD_EINVAL, "%s: context \"%s\" not found",
		    name, context);
		goto out;
	}
	snprintf(where, sizeof(where), "%s: context \"%s\"", name, context);
	if ((rc = get_str(&cname, ctx, "cluster", where, err)) < 0 ||
	    (rc = get_str(&uname, ctx, "user", where, err)) < 0 ||
	    (rc = get_str(&ns, ctx, "namespace", where, err)) < 0)
		goto out;
	if (cname == NULL) {
		rc = gd_err_set(err, GD_EINVAL, "%s has no cluster", where);
		goto out;
	}
	cl = json_object_get(json_object_get(merged, "clusters"), cname);
	if (cl == NULL) {
		rc = gd_err_set(err, GD_EINVAL, "%s: cluster \"%s\" not found",
		    where, cname);
		goto out;
	}
	c = xcalloc(1, sizeof(*c));
	c->context = xstrdup(context);
	c->namespace = xstrdup(ns != NULL ? ns : "default");
	if ((rc = parse_cluster(c, cl, cname, err)) < 0) {
		gd_err_wrap(err, "%s", name);
		goto out;
	}
	if (uname != NULL) {
		us = json_object_get(json_object_get(merged, "users"), uname);
		if (us == NULL) {
			rc = gd_err_set(err, GD_EINVAL,
			    "%s: user \"%s\" not found", where, uname);
			goto out;
		}
		if ((rc = parse_user(c, us, uname, err)) < 0) {
			gd_err_wrap(err, "%s", name);
			goto out;
		}
	}
	*out = c;
	c = NULL;
	rc = 0;
out:
	gd_kube_config_free(c);
	return rc;
}

int
gd_kube_config_parse(struct gd_kube_config **out, const char *buf, size_t len,
    const char *name, const char *dir, const char *context, struct gd_err *err)
{
	json_t *doc = NULL, *merged = merged_new();
	int rc;

	*out = NULL;
	if ((rc = gd_ydoc_load_one(&doc, buf, len, name, err)) < 0 ||
	    (rc = merge_doc(merged, doc, name, dir != NULL ? dir : "", err)) <
		0 ||
	    (rc = resolve(out, merged, name, context, err)) < 0)
		goto out;
out:
	json_decref(doc);
	json_decref(merged);
	return rc;
}

/* The folder of a file path, "." for a bare name. Caller frees. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static int
load_file(json_t *merged, const char *path, bool must, bool *found,
    struct gd_err *err)
{
	struct gd_buf b;
	json_t *doc = NULL;
	char *dir = NULL;
	int rc;

	gd_buf_init(&b);
	if ((rc = gd_buf_read_file(&b, path, KUBECONFIG_MAX, err)) < 0) {
		if (rc == GD_ENOTFOUND && !must)
			rc = 0;
		goto out;
	}
	*found = true;
	dir = dir_of(path);
	if ((rc = gd_ydoc_load_one(&doc, b.data, b.len, path, err)) < 0 ||
	    (rc = merge_doc(merged, doc, path, dir, err)) < 0)
		goto out;
out:
	if (b.data != NULL)
		explicit_bzero(b.data, b.len);
	gd_buf_dispose(&b);
	json_decref(doc);
	free(dir);
	return rc;
}

/* Reads and merges the files of paths into merged; *used names them. */
static int
load_merged(json_t *merged, char **used, const char *paths, struct gd_err *err)
{
	char *list = NULL, *p, *next, *home_cfg = NULL;
	const char *home;
	bool found = false, must;
	int rc = 0;

	*used = NULL;
	if (paths == NULL || paths[0] == '\0')
		paths = getenv("KUBECONFIG");
	if (paths == NULL || paths[0] == '\0') {
		if ((home = getenv("HOME")) == NULL || home[0] == '\0') {
			rc = gd_err_set(err, GD_EINVAL,
			    "no kubeconfig: $KUBECONFIG and $HOME are unset");
			goto out;
		}
		xasprintf(&home_cfg, "%s/.kube/config", home);
		paths = home_cfg;
	}
	list = xstrdup(paths);
	/* One file must exist; in a list, missing files are skipped. */
	must = strchr(list, ':') == NULL;
	for (p = list; p != NULL; p = next) {
		if ((next = strchr(p, ':')) != NULL)
			*next++ = '\0';
		if (*p == '\0')
			continue;
		if ((rc = load_file(merged, p, must, &found, err)) < 0)
			goto out;
	}
	if (!found) {
		rc = gd_err_set(
		    err, GD_ENOTFOUND, "no kubeconfig found in %s", paths);
		goto out;
	}
	*used = xstrdup(paths);
out:
	free(list);
	free(home_cfg);
	return rc;
}

int
gd_kube_config_load(struct gd_kube_config **out, const char *paths,
    const char *context, struct gd_err *err)
{
	json_t *merged = merged_new();
	char *used = NULL;
	int rc;

	*out = NULL;
	if ((rc = load_merged(merged, &used, paths, err)) == 0)
		rc = resolve(out, merged, used, context, err);
	free(used);
	json_decref(merged);
	return rc;
}

void
gd_kube_strv_free(char **v)
{
	char **p;

	for (p = v; p != NULL && *p != NULL; p++)
		free(*p);
	free(v);
}

int
gd_kube_config_contexts(
    char ***out, char **current, const char *paths, struct gd_err *err)
{
	json_t *merged = merged_new(), *ctxs, *v;
	const char *name, *cur;
	char *used = NULL;
	size_t i = 0;
	int rc;

	*out = NULL;
	if (current != NULL)
		*current = NULL;
	if ((rc = load_merged(merged, &used, paths, err)) < 0)
		goto out;
	ctxs = json_object_get(merged, "contexts");
	*out = xcalloc(json_object_size(ctxs) + 1, sizeof(char *));
	json_object_foreach(ctxs, name, v)
		(*out)[i++] = xstrdup(name);
	cur = json_string_value(json_object_get(merged, "current-context"));
	if (current != NULL && cur != NULL)
		*current = xstrdup(cur);
out:
	free(used);
	json_decref(merged);
	return rc;
}
