/* SPDX-License-Identifier: ISC */
/*
 * In-cluster config, as client-go's InClusterConfig builds it: the API
 * server from $KUBERNETES_SERVICE_HOST/_PORT, and the service account's
 * token, CA and namespace from its mounted folder.
 *
 * The token is not read here but named as token_file, because projected
 * service-account tokens rotate (about hourly) and the client re-reads
 * the file; reading it once would leave gitopsd with an expired token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube_int.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* The namespace file, trimmed; NULL when absent or empty. */
static char *
read_namespace(const char *dir)
{
	struct gd_buf b;
	char *path = NULL, *ns = NULL;

	gd_buf_init(&b);
	xasprintf(&path, "%s/namespace", dir);
	if (gd_buf_read_file(&b, path, 4096, NULL) == 0) {
		while (b.len > 0 &&
		    (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' ' ||
			b.data[b.len - 1] == '\r'))
			b.data[--b.len] = '\0';
		if (b.len > 0)
			ns = gd_buf_detach(&b, NULL);
	}
	gd_buf_dispose(&b);
	free(path);
	return ns;
}

int
gd_kube_config_incluster(
    struct gd_kube_config **out, const char *dir, struct gd_err *err)
{
	struct gd_kube_config *c = NULL;
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *podns = getenv("POD_NAMESPACE");
	int rc;

	*out = NULL;
	if (dir == NULL)
		dir = SA_DIR;
	if (host == NULL || host[0] == '\0' || port == NULL || port[0] == '\0')
		return gd_err_set(err, GD_EINVAL,
		    "not running in a cluster: KUBERNETES_SERVICE_HOST and "
		    "KUBERNETES_SERVICE_PORT must be set");
	c = xcalloc(1, sizeof(*c));
	c->context = xstrdup("in-cluster");
	/* An IPv6 address needs brackets, as JoinHostPort adds them. */
	if (strchr(host, ':') != NULL && host[0] != '[')
		xasprintf(&c->server, "https://[%s]:%s", host, port);
	else
		xasprintf(&c->server, "https://%s:%s", host, port);
	xasprintf(&c->token_file, "%s/token", dir);
	if (access(c->token_file, R_OK) != 0) {
		rc = gd_err_set(err, GD_EINVAL,
		    "in-cluster: cannot read the service account token %s",
		    c->token_file);
		goto out;
	}
	xasprintf(&c->ca_file, "%s/ca.crt", dir);
	if (access(c->ca_file, R_OK) != 0) {
		rc = gd_err_set(err, GD_EINVAL,
		    "in-cluster: cannot read the CA %s", c->ca_file);
		goto out;
	}
	if (podns != NULL && podns[0] != '\0')
		c->namespace = xstrdup(podns);
	else if ((c->namespace = read_namespace(dir)) == NULL)
		c->namespace = xstrdup("default");
	*out = c;
	c = NULL;
	rc = 0;
out:
	gd_kube_config_free(c);
	return rc;
}
