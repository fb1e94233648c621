/* SPDX-License-Identifier: ISC */
/*
 * Runs Debian's docker-registry (distribution 2.8) for tests, and for its
 * token mode a token server: libmicrohttpd on loopback, checking Basic
 * credentials and answering {"token": JWT}. The hard part is a JWT the
 * registry trusts: RS256 over "header.claims" with a key whose
 * self-signed certificate is both the registry's rootcertbundle and the
 * x5c of every token (distribution verifies the chain, needs the
 * digitalSignature key usage, and checks iss, aud, exp, nbf and the
 * access list it grants).
 */
#include <arpa/inet.h>
#include <crypt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <sodium.h>

#include "gitopsd/core.h"
#include "registry.h"

#define TOKEN_ISSUER  "gd-test-issuer"
#define TOKEN_SERVICE "gd-test-registry"

struct registry_token_srv {
	struct MHD_Daemon *mhd;
	int port;
	char *user;
	char *password;
	gnutls_x509_privkey_t key;
	gnutls_privkey_t signer;
	char *x5c; /* base64 DER of the certificate */
	pthread_mutex_t lock;
	unsigned issued, refused;
};

int
registry_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		abort();
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

bool
registry_wait_port(int port)
{
	struct sockaddr_in sa;
	int i, fd, rc;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < 1000; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		close(fd);
		if (rc == 0)
			return true;
		usleep(10000);
	}
	return false;
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static char *
b64url(const void *d, size_t n)
{
	size_t blen = sodium_base64_ENCODED_LEN(
	    n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *o = xmalloc(blen);

	sodium_bin2base64(
	    o, blen, d, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return o;
}

/* A signing key and its self-signed certificate, PEM written to path. */
static int
ts_keys(struct registry_token_srv *ts, const char *path)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t pem = { 0 }, der = { 0 };
	size_t blen;
	time_t now = time(NULL);
	unsigned char serial[4] = { 1, 2, 3, 4 };
	FILE *f;

	if (gnutls_x509_privkey_init(&ts->key) < 0 ||
	    gnutls_x509_privkey_generate(ts->key, GNUTLS_PK_RSA, 2048, 0) < 0 ||
	    gnutls_x509_crt_init(&crt) < 0)
		return -1;
	gnutls_x509_crt_set_version(crt, 3);
	gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	gnutls_x509_crt_set_activation_time(crt, now - 3600);
	gnutls_x509_crt_set_expiration_time(crt, now + 86400);
	gnutls_x509_crt_set_dn(crt, "CN=gd-test-token", NULL);
	gnutls_x509_crt_set_key(crt, ts->key);
	gnutls_x509_crt_set_basic_constraints(crt, 1, -1);
	gnutls_x509_crt_set_key_usage(
	    crt, GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_CERT_SIGN);
	if (gnutls_x509_crt_sign2(crt, crt, ts->key, GNUTLS_DIG_SHA256, 0) <
		0 ||
	    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem) < 0 ||
	    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0)
		return -1;
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fwrite(pem.data, 1, pem.size, f);
	fclose(f);
	blen =
	    sodium_base64_ENCODED_LEN(der.size, sodium_base64_VARIANT_ORIGINAL);
	ts->x5c = xmalloc(blen);
	sodium_bin2base64(
	    ts->x5c, blen, der.data, der.size, sodium_base64_VARIANT_ORIGINAL);
	gnutls_free(pem.data);
	gnutls_free(der.data);
	gnutls_x509_crt_deinit(crt);
	if (gnutls_privkey_init(&ts->signer) < 0 ||
	    gnutls_privkey_import_x509(ts->signer, ts->key, 0) < 0)
		return -1;
	return 0;
}

/* A JWT granting scope ("repository:NAME:ACTIONS") to user. */
static char *
ts_jwt(struct registry_token_srv *ts, const char *user, const char *scope)
{
	json_t *hdr, *claims, *access = json_array(), *actions;
	char *h, *c, *hb, *cb, *input, *sig, *jwt, *name = NULL, *acts, *s, *t;
	const char *a, *b;
	gnutls_datum_t data, out = { 0 };
	time_t now = time(NULL);
	static unsigned jti;

	if (scope != NULL && (a = strchr(scope, ':')) != NULL &&
	    (b = strrchr(scope, ':')) != a) {
		name = xstrndup(a + 1, (size_t)(b - a - 1));
		actions = json_array();
		acts = xstrdup(b + 1);
		s = acts;
		while ((t = strsep(&s, ",")) != NULL)
			if (strcmp(t, "pull") == 0 || strcmp(t, "push") == 0)
				json_array_append_new(actions, json_string(t));
		free(acts);
		json_array_append_new(access,
		    json_pack("{s:s,s:s,s:o}", "type", "repository", "name",
			name, "actions", actions));
	}
	hdr = json_pack(
	    "{s:s,s:s,s:[s]}", "typ", "JWT", "alg", "RS256", "x5c", ts->x5c);
	claims = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:s,s:o}", "iss",
	    TOKEN_ISSUER, "sub", user, "aud", TOKEN_SERVICE, "exp",
	    (json_int_t)now + 300, "nbf", (json_int_t)now - 60, "iat",
	    (json_int_t)now - 60, "jti", "", "access", access);
	{
		char j[32];

		snprintf(j, sizeof(j), "gd-%u",
		    __atomic_add_fetch(&jti, 1, __ATOMIC_RELAXED));
		json_object_set_new(claims, "jti", json_string(j));
	}
	h = json_dumps(hdr, JSON_COMPACT);
	c = json_dumps(claims, JSON_COMPACT);
	hb = b64url(h, strlen(h));
	cb = b64url(c, strlen(c));
	xasprintf(&input, "%s.%s", hb, cb);
	data.data = (unsigned char *)input;
	data.size = (unsigned)strlen(input);
	if (gnutls_privkey_sign_data(
		ts->signer, GNUTLS_DIG_SHA256, 0, &data, &out) < 0)
		abort();
	sig = b64url(out.data, out.size);
	xasprintf(&jwt, "%s.%s", input, sig);
	gnutls_free(out.data);
	json_decref(hdr);
	json_decref(claims);
	free(h);
	free(c);
	free(hb);
	free(cb);
	free(input);
	free(sig);
	free(name);
	return jwt;
}

static enum MHD_Result
ts_reply(struct MHD_Connection *conn, unsigned status, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
ts_handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **ctx)
{
	struct registry_token_srv *ts = cls;
	char *user = NULL, *pw = NULL, *jwt, *body;
	const char *scope;
	enum MHD_Result ret;
	bool ok;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)ctx;
	if (strcmp(method, "GET") != 0 || strcmp(url, "/token") != 0)
		return ts_reply(conn, 404, "{}");
	user = MHD_basic_auth_get_username_password(conn, &pw);
	ok = user != NULL && pw != NULL && strcmp(user, ts->user) == 0 &&
	    strcmp(pw, ts->password) == 0;
	pthread_mutex_lock(&ts->lock);
	if (ok)
		ts->issued++;
	else
		ts->refused++;
	pthread_mutex_unlock(&ts->lock);
	if (!ok) {
		ret = ts_reply(conn, 401,
		    "{\"errors\":[{\"code\":\"UNAUTHORIZED\","
		    "\"message\":\"invalid username or password\"}]}");
		goto out;
	}
	scope =
	    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "scope");
	jwt = ts_jwt(ts, user, scope);
	xasprintf(&body, "{\"token\":\"%s\",\"expires_in\":300}", jwt);
	ret = ts_reply(conn, 200, body);
	free(body);
	free(jwt);
out:
	if (user != NULL)
		MHD_free(user);
	if (pw != NULL)
		MHD_free(pw);
	return ret;
}

static struct registry_token_srv *
ts_start(const char *pem_path, const char *user, const char *password)
{
	struct registry_token_srv *ts = xcalloc(1, sizeof(*ts));
	struct sockaddr_in sa;

	ts->user = xstrdup(user);
	ts->password = xstrdup(password);
	pthread_mutex_init(&ts->lock, NULL);
	if (ts_keys(ts, pem_path) < 0) {
		fprintf(stderr, "registry: token keys failed\n");
		abort();
	}
	ts->port = registry_free_port();
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)ts->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ts->mhd = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
	    NULL, NULL, ts_handle, ts, MHD_OPTION_SOCK_ADDR, &sa,
	    MHD_OPTION_END);
	if (ts->mhd == NULL)
		abort();
	return ts;
}

static void
ts_stop(struct registry_token_srv *ts)
{
	if (ts == NULL)
		return;
	MHD_stop_daemon(ts->mhd);
	gnutls_privkey_deinit(ts->signer);
	gnutls_x509_privkey_deinit(ts->key);
	pthread_mutex_destroy(&ts->lock);
	free(ts->x5c);
	free(ts->user);
	free(ts->password);
	free(ts);
}

/* A key and a self-signed certificate for 127.0.0.1 (an IP SAN). */
static int
tls_cert(const char *dir)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	gnutls_datum_t pem = { 0 };
	unsigned char serial[4] = { 4, 3, 2, 1 }, ip[4] = { 127, 0, 0, 1 };
	time_t now = time(NULL);
	char *path;
	int rc = -1;

	if (gnutls_x509_privkey_init(&key) < 0)
		return -1;
	if (gnutls_x509_crt_init(&crt) < 0) {
		gnutls_x509_privkey_deinit(key);
		return -1;
	}
	if (gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0)
		goto out;
	gnutls_x509_crt_set_version(crt, 3);
	gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	gnutls_x509_crt_set_activation_time(crt, now - 3600);
	gnutls_x509_crt_set_expiration_time(crt, now + 86400);
	gnutls_x509_crt_set_dn(crt, "CN=127.0.0.1", NULL);
	gnutls_x509_crt_set_subject_alt_name(
	    crt, GNUTLS_SAN_IPADDRESS, ip, sizeof(ip), GNUTLS_FSAN_SET);
	gnutls_x509_crt_set_key(crt, key);
	gnutls_x509_crt_set_basic_constraints(crt, 1, -1);
	gnutls_x509_crt_set_key_usage(
	    crt, GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_CERT_SIGN);
	if (gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0 ||
	    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem) < 0)
		goto out;
	xasprintf(&path, "%s/tls.crt", dir);
	write_text(path, (const char *)pem.data);
	free(path);
	gnutls_free(pem.data);
	pem.data = NULL;
	if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &pem) < 0)
		goto out;
	xasprintf(&path, "%s/tls.key", dir);
	write_text(path, (const char *)pem.data);
	free(path);
	rc = 0;
out:
	gnutls_free(pem.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return rc;
}

static void
write_htpasswd(const char *path, const char *user, const char *password)
{
	char salt[64], *line;
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	const char *h;

	if (crypt_gensalt_rn("$2b$", 5, NULL, 0, salt, sizeof(salt)) == NULL ||
	    (h = crypt_r(password, salt, cd)) == NULL || h[0] != '$')
		abort();
	xasprintf(&line, "%s:%s\n", user, h);
	write_text(path, line);
	free(line);
	free(cd);
}

int
registry_start(struct registry *r, const char *dir, const char *storage,
    enum registry_auth auth, const char *user, const char *password)
{
	char *conf, *path, *authconf = NULL, *log;
	FILE *f;

	memset(r, 0, sizeof(*r));
	r->auth = auth;
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	if (access(REGISTRY_BIN, X_OK) != 0) {
		fprintf(stderr,
		    "registry: %s missing: scripts/install-deps "
		    "installs docker-registry\n",
		    REGISTRY_BIN);
		return -1;
	}
	if (gd_path_mkdirs(dir, NULL) < 0)
		return -1;
	r->port = registry_free_port();
	snprintf(r->url, sizeof(r->url), "%s://127.0.0.1:%d",
	    auth == REGISTRY_TLS ? "https" : "http", r->port);
	if (auth == REGISTRY_TLS) {
		if (tls_cert(dir) < 0) {
			fprintf(stderr, "registry: no TLS certificate\n");
			return -1;
		}
		xasprintf(&authconf,
		    "  tls:\n    certificate: %s/tls.crt\n"
		    "    key: %s/tls.key\n",
		    dir, dir);
	} else if (auth == REGISTRY_HTPASSWD) {
		xasprintf(&path, "%s/htpasswd", dir);
		write_htpasswd(path, user, password);
		xasprintf(&authconf,
		    "auth:\n  htpasswd:\n    realm: gd-test\n    path: %s\n",
		    path);
		free(path);
	} else if (auth == REGISTRY_TOKEN) {
		xasprintf(&path, "%s/token.pem", dir);
		r->ts = ts_start(path, user, password);
		xasprintf(&authconf,
		    "auth:\n  token:\n    realm: http://127.0.0.1:%d/token\n"
		    "    service: " TOKEN_SERVICE "\n"
		    "    issuer: " TOKEN_ISSUER "\n"
		    "    rootcertbundle: %s\n",
		    r->ts->port, path);
		free(path);
	}
	xasprintf(&conf,
	    "version: 0.1\n"
	    "log:\n  level: warn\n"
	    "storage:\n  filesystem:\n    rootdirectory: %s%s\n"
	    "  delete:\n    enabled: true\n"
	    "  maintenance:\n    uploadpurging:\n      enabled: false\n"
	    "http:\n  addr: 127.0.0.1:%d\n  secret: gd-test-secret\n%s",
	    storage != NULL ? storage : dir, storage != NULL ? "" : "/storage",
	    r->port, authconf != NULL ? authconf : "");
	xasprintf(&path, "%s/config.yml", dir);
	write_text(path, conf);
	xasprintf(&log, "%s/registry.log", dir);
	if ((r->pid = fork()) == 0) {
		if ((f = freopen(log, "a", stdout)) == NULL ||
		    dup2(fileno(stdout), 2) < 0)
			_exit(126);
		execl(REGISTRY_BIN, REGISTRY_BIN, "serve", path, (char *)NULL);
		_exit(127);
	}
	free(conf);
	free(authconf);
	free(path);
	free(log);
	if (r->pid < 0 || !registry_wait_port(r->port)) {
		fprintf(stderr, "registry: no answer on port %d (see %s)\n",
		    r->port, dir);
		registry_stop(r);
		return -1;
	}
	return 0;
}

void
registry_stop(struct registry *r)
{
	if (r->pid > 0) {
		kill(r->pid, SIGTERM);
		waitpid(r->pid, NULL, 0);
		r->pid = 0;
	}
	ts_stop(r->ts);
	r->ts = NULL;
}

int
registry_count(const struct registry *r, const char *needle)
{
	char *path, line[4096];
	FILE *f;
	int n = 0;

	xasprintf(&path, "%s/registry.log", r->dir);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strstr(line, needle) != NULL)
				n++;
		fclose(f);
	}
	free(path);
	return n;
}

unsigned
registry_tokens_issued(const struct registry *r)
{
	unsigned n;

	if (r->ts == NULL)
		return 0;
	pthread_mutex_lock(&r->ts->lock);
	n = r->ts->issued;
	pthread_mutex_unlock(&r->ts->lock);
	return n;
}

unsigned
registry_tokens_refused(const struct registry *r)
{
	unsigned n;

	if (r->ts == NULL)
		return 0;
	pthread_mutex_lock(&r->ts->lock);
	n = r->ts->refused;
	pthread_mutex_unlock(&r->ts->lock);
	return n;
}
