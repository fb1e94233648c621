/* SPDX-License-Identifier: ISC */
/*
 * Mirrors: one bare repository per URL under <data_dir>/repos/, named by
 * a hash of the URL, and the fetch that keeps it current. The hard part
 * is failing well. A fetch runs on its own libgit2 handle with explicit
 * force refspecs (so a force-pushed branch moves) and prunes what the
 * remote deleted; refs are only updated once the pack is complete, so a
 * remote that is down, refuses us or sends garbage leaves the last good
 * refs in place. libgit2 asks for credentials again after each refusal:
 * the callback answers once and then gives up, so a wrong password is a
 * clear error instead of a loop. Secrets are read from their files at
 * each fetch, wiped after use, and never put into a message. libgit2's
 * TLS (mbedTLS here) has one CA store per process, so the ca_file of each
 * repository is added to one bundle with the system's CAs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "repo_int.h"

struct fetch_ctx {
	struct gd_repo *repo;
	const struct gd_conf_repo *cred;
	int attempts;
	const char *auth_problem; /* set when we refused to go on */
	bool untrusted; /* the TLS certificate did not verify */
};

void
gd_repo_lib_init(void)
{
	git_libgit2_init();
}

void
gd_repo_lib_shutdown(void)
{
	git_libgit2_shutdown();
}

/* Where Debian keeps the system's CAs (ca-certificates). */
#define REPO_SYSTEM_CAS "/etc/ssl/certs/ca-certificates.crt"

int
gd_repo_lib_trust(
    const struct gd_conf *conf, const char *data_dir, struct gd_err *err)
{
	struct gd_buf bundle, one;
	char *dir = NULL, *path = NULL;
	FILE *f = NULL;
	size_t i, n = 0;
	int rc = 0;

	gd_buf_init(&bundle);
	gd_buf_init(&one);
	for (i = 0; conf != NULL && i < conf->nrepositories; i++) {
		if (conf->repositories[i].ca_file == NULL)
			continue;
		gd_buf_reset(&one);
		if ((rc = gd_buf_read_file(&one, conf->repositories[i].ca_file,
			 1 << 20, err)) < 0) {
			gd_err_wrap(
			    err, "ca_file of %s", conf->repositories[i].url);
			goto out;
		}
		gd_buf_add(&bundle, one.data, one.len);
		gd_buf_addc(&bundle, '\n');
		n++;
	}
	if (n == 0)
		goto out;
	/* the system's CAs stay trusted: the option replaces them */
	gd_buf_reset(&one);
	if (gd_buf_read_file(&one, REPO_SYSTEM_CAS, 0, NULL) == 0)
		gd_buf_add(&bundle, one.data, one.len);
	xasprintf(&dir, "%s/repos", data_dir);
	xasprintf(&path, "%s/ca-bundle.pem", dir);
	if ((rc = gd_path_mkdirs(dir, err)) < 0)
		goto out;
	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(bundle.data, 1, bundle.len, f) != bundle.len) {
		rc = gd_err_set(
		    err, GD_EINTERNAL, "write %s: %s", path, strerror(errno));
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		rc = gd_err_set(
		    err, GD_EINTERNAL, "write %s: %s", path, strerror(errno));
		goto out;
	}
	f = NULL;
	if (git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, path, NULL) < 0)
		rc = gd_repo_git_err(err, GD_EINVAL, "CA bundle %s", path);
out:
	if (f != NULL)
		fclose(f);
	free(dir);
	free(path);
	gd_buf_dispose(&one);
	gd_buf_dispose(&bundle);
	return rc;
}

int
gd_repo_git_err(struct gd_err *err, int code, const char *fmt, ...)
{
	const git_error *ge = git_error_last();
	char prefix[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	return gd_err_set(err, code, "%s: %s", prefix,
	    ge != NULL && ge->message != NULL ? ge->message : "unknown error");
}

char *
gd_repo_strip_userinfo(const char *url)
{
	const char *scheme, *at, *slash;
	char *out;

	if ((scheme = strstr(url, "://")) == NULL)
		return xstrdup(url);
	scheme += 3;
	slash = strchr(scheme, '/');
	at = strchr(scheme, '@');
	if (at == NULL || (slash != NULL && at > slash))
		return xstrdup(url);
	xasprintf(&out, "%.*s%s", (int)(scheme - url), url, at + 1);
	return out;
}

/* The mirror's folder name: 32 hex digits of BLAKE2b over the URL. */
static char *
repo_dir_name(const char *data_dir, const char *url)
{
	unsigned char h[16];
	char hex[sizeof(h) * 2 + 1], *out;

	crypto_generichash(
	    h, sizeof(h), (const unsigned char *)url, strlen(url), NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	xasprintf(&out, "%s/repos/%s", data_dir, hex);
	return out;
}

int
gd_repo_open(struct gd_repo **out, const char *data_dir, const char *url,
    const struct gd_conf *conf, struct gd_err *err)
{
	git_repository_init_options io;
	struct gd_repo *r;
	struct stat st;
	char *parent = NULL;
	int rc = 0;

	*out = NULL;
	git_repository_init_options_init(
	    &io, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	if (url == NULL || url[0] == '\0')
		return gd_err_set(err, GD_EINVAL, "repository URL is empty");
	r = xcalloc(1, sizeof(*r));
	r->url = xstrdup(url);
	r->display = gd_repo_strip_userinfo(url);
	r->path = repo_dir_name(data_dir, url);
	r->conf = conf;
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->fetch_lock, NULL);
	xasprintf(&parent, "%s/repos", data_dir);
	if ((rc = gd_path_mkdirs(parent, err)) < 0)
		goto out;
	if (stat(r->path, &st) == 0) {
		if (git_repository_open_bare(&r->git, r->path) < 0) {
			rc = gd_repo_git_err(err, GD_EINTERNAL,
			    "mirror of %s at %s", r->display, r->path);
			goto out;
		}
		/* A mirror with a HEAD that resolves was fetched before. */
		r->fetched = !git_repository_head_unborn(r->git);
	} else {
		io.flags =
		    GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
		if (git_repository_init_ext(&r->git, r->path, &io) < 0) {
			rc = gd_repo_git_err(err, GD_EINTERNAL,
			    "create mirror of %s at %s", r->display, r->path);
			goto out;
		}
	}
out:
	free(parent);
	if (rc < 0)
		gd_repo_free(r);
	else
		*out = r;
	return rc;
}

void
gd_repo_free(struct gd_repo *r)
{
	if (r == NULL)
		return;
	git_repository_free(r->git);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->fetch_lock);
	free(r->url);
	free(r->display);
	free(r->path);
	free(r);
}

const char *
gd_repo_url(const struct gd_repo *r)
{
	return r->url;
}

const char *
gd_repo_display_url(const struct gd_repo *r)
{
	return r->display;
}

const char *
gd_repo_path(const struct gd_repo *r)
{
	return r->path;
}

bool
gd_repo_is_fetched(struct gd_repo *r)
{
	bool v;

	pthread_mutex_lock(&r->lock);
	v = r->fetched;
	pthread_mutex_unlock(&r->lock);
	return v;
}

time_t
gd_repo_last_fetch(struct gd_repo *r, struct gd_err *last)
{
	time_t t;

	pthread_mutex_lock(&r->lock);
	t = r->fetched_at;
	if (last != NULL)
		*last = r->fetch_err;
	pthread_mutex_unlock(&r->lock);
	return t;
}

/* Reads the password or token file named for this URL. */
static int
fetch_secret(char **out, const struct gd_conf_repo *c)
{
	const char *f =
	    c->password_file != NULL ? c->password_file : c->token_file;

	*out = NULL;
	if (f == NULL)
		return -1;
	return gd_conf_read_secret(out, f, NULL);
}

static int
fetch_credentials(git_credential **out, const char *url, const char *urluser,
    unsigned int allowed, void *payload)
{
	struct fetch_ctx *c = payload;
	const char *user;
	char *secret = NULL;
	int rc;

	(void)url;
	if (++c->attempts > 1) {
		c->auth_problem = "authentication refused";
		return GIT_EAUTH;
	}
	if (c->cred == NULL) {
		c->auth_problem = "authentication required and no "
				  "credentials are configured for it";
		return GIT_EAUTH;
	}
	user = c->cred->username != NULL ? c->cred->username :
	    urluser != NULL              ? urluser :
					   "git";
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && c->cred->ssh_key_file != NULL)
		return git_credential_ssh_key_new(
		    out, user, NULL, c->cred->ssh_key_file, NULL);
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) &&
	    fetch_secret(&secret, c->cred) == 0) {
		rc = git_credential_userpass_plaintext_new(out, user, secret);
		gd_conf_secret_free(secret);
		return rc;
	}
	c->auth_problem = "authentication required and no usable "
			  "credentials are configured for it";
	return GIT_EAUTH;
}

static int
fetch_certificate(git_cert *cert, int valid, const char *host, void *payload)
{
	struct fetch_ctx *c = payload;

	(void)cert;
	(void)host;
	if (c->cred != NULL && c->cred->insecure)
		return 0;
	/* ca_file is in the process-wide store (gd_repo_lib_trust) */
	if (!valid)
		c->untrusted = true;
	return valid ? 0 : GIT_PASSTHROUGH;
}

/* Points the mirror's HEAD at the remote's default branch, if we have it. */
static void
fetch_set_head(git_repository *g, git_remote *remote)
{
	git_buf head = { 0 };
	git_reference *ref = NULL;

	if (git_remote_default_branch(&head, remote) == 0 &&
	    git_reference_lookup(&ref, g, head.ptr) == 0)
		git_repository_set_head(g, head.ptr);
	git_reference_free(ref);
	git_buf_dispose(&head);
}

/* Never lets the configured URL (which may hold a password) out. */
static int
fetch_fail(struct gd_repo *r, struct fetch_ctx *c, const char *what,
    struct gd_err *err)
{
	const git_error *ge = git_error_last();
	const char *msg;

	if (c->auth_problem != NULL)
		return gd_err_set(err, GD_EUPSTREAM, "fetch %s: %s", r->display,
		    c->auth_problem);
	if (c->untrusted)
		return gd_err_set(err, GD_EUPSTREAM,
		    "fetch %s: the server's TLS certificate is not trusted",
		    r->display);
	msg = ge != NULL && ge->message != NULL ? ge->message : "unknown error";
	if (strcmp(r->url, r->display) != 0 && strstr(msg, r->url) != NULL)
		msg = "(details hidden: they name the URL with its password)";
	return gd_err_set(
	    err, GD_EUPSTREAM, "fetch %s: %s: %s", r->display, what, msg);
}

int
gd_repo_fetch(struct gd_repo *r, struct gd_err *err)
{
	char heads[] = "+refs/heads/*:refs/heads/*";
	char tags[] = "+refs/tags/*:refs/tags/*";
	char *specs[2];
	git_strarray refspecs = { specs, 2 };
	git_fetch_options fo;
	git_remote_create_options ro;
	git_repository *g = NULL;
	git_remote *remote = NULL;
	struct fetch_ctx c;
	struct gd_err e;
	int rc = 0;

	specs[0] = heads;
	specs[1] = tags;
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	gd_err_clear(&e);
	memset(&c, 0, sizeof(c));
	c.repo = r;
	c.cred = r->conf != NULL ? gd_conf_repo_for(r->conf, r->url) : NULL;
	fo.callbacks.credentials = fetch_credentials;
	fo.callbacks.certificate_check = fetch_certificate;
	fo.callbacks.payload = &c;
	fo.prune = GIT_FETCH_PRUNE;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;

	pthread_mutex_lock(&r->fetch_lock);
	if (git_repository_open_bare(&g, r->path) < 0) {
		rc = gd_repo_git_err(
		    &e, GD_EINTERNAL, "open mirror %s", r->path);
		goto out;
	}
	/*
	 * No insteadOf rewriting: the URL is the configured one, and the
	 * lookup leaks in libgit2 1.5 when no rule matches.
	 */
	ro.repository = g;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
	    GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&remote, r->url, &ro) < 0) {
		rc = fetch_fail(r, &c, "bad URL", &e);
		goto out;
	}
	if (git_remote_connect(remote, GIT_DIRECTION_FETCH, &fo.callbacks,
		&fo.proxy_opts, NULL) < 0) {
		rc = fetch_fail(r, &c, "connect", &e);
		goto out;
	}
	if (git_remote_download(remote, &refspecs, &fo) < 0) {
		rc = fetch_fail(r, &c, "download", &e);
		goto out;
	}
	if (git_remote_update_tips(remote, &fo.callbacks, 0,
		GIT_REMOTE_DOWNLOAD_TAGS_NONE, NULL) < 0 ||
	    git_remote_prune(remote, &fo.callbacks) < 0) {
		rc = fetch_fail(r, &c, "update refs", &e);
		goto out;
	}
	fetch_set_head(g, remote);
out:
	if (remote != NULL)
		git_remote_disconnect(remote);
	git_remote_free(remote);
	git_repository_free(g);
	pthread_mutex_lock(&r->lock);
	r->fetched_at = time(NULL);
	r->fetch_err = e;
	if (rc == 0)
		r->fetched = !git_repository_head_unborn(r->git);
	pthread_mutex_unlock(&r->lock);
	pthread_mutex_unlock(&r->fetch_lock);
	if (rc < 0 && err != NULL)
		*err = e;
	return rc;
}
