/* SPDX-License-Identifier: ISC */
/*
 * Test helper: Debian's docker-registry (distribution 2.8) started on a
 * free loopback port with its storage in a temp folder, plain, behind
 * htpasswd (Basic) auth, or behind token auth with a token server of our
 * own that checks Basic credentials and signs RS256 JWTs.
 */
#ifndef GITOPSD_TESTS_REGISTRY_H
#define GITOPSD_TESTS_REGISTRY_H

#include <stdbool.h>
#include <sys/types.h>

#define REGISTRY_BIN "/usr/bin/docker-registry"

enum registry_auth {
	REGISTRY_PLAIN,
	REGISTRY_HTPASSWD,
	REGISTRY_TOKEN,
	REGISTRY_TLS, /* no auth, HTTPS with a self-signed dir/tls.crt */
};

struct registry_token_srv;

struct registry {
	pid_t pid;
	int port;
	char dir[256]; /* config, storage, log */
	char url[64]; /* "http://127.0.0.1:PORT" (https for REGISTRY_TLS) */
	enum registry_auth auth;
	struct registry_token_srv *ts;
};

/*
 * Starts a registry with its files under dir (created). user and
 * password are what htpasswd or the token server accept. storage NULL:
 * dir/storage; another registry's storage can be shared. 0 or -1 with a
 * message on stderr (missing binary, no answer).
 */
int registry_start(struct registry *, const char *dir, const char *storage,
    enum registry_auth, const char *user, const char *password);
/* Stops it (SIGTERM, wait); the folder stays. Safe to call twice. */
void registry_stop(struct registry *);
/* Lines of its access log that contain needle ("\"HEAD /v2/"). */
int registry_count(const struct registry *, const char *needle);
/* Tokens the token server issued, and requests it refused. */
unsigned registry_tokens_issued(const struct registry *);
unsigned registry_tokens_refused(const struct registry *);

/* Test utilities shared with other network tests. */
int registry_free_port(void);
bool registry_wait_port(int port);

#endif /* GITOPSD_TESTS_REGISTRY_H */
