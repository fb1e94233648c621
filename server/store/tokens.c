/* SPDX-License-Identifier: ISC */
/*
 * API tokens (account tokens and project role tokens) and the secret
 * format they share with UI sessions: "<prefix>_<id>_<secret>", 16 random
 * bytes of id and 32 of secret, both hex. The id finds the row without a
 * scan; only a hash of the secret is stored, so a copy of data.db grants
 * nothing.
 *
 * The hard part is handling the secret without leaking it: it is compared
 * in constant time (sodium_memcmp), never put in an error message, and
 * every buffer that held it is wiped (sodium_memzero) before it is freed.
 *
 * Why a plain keyed BLAKE2b (crypto_generichash) and not a password hash
 * (argon2): the secret is 256 random bits, not something a person chose,
 * so there is no dictionary to slow down and guessing it is hopeless at
 * any speed; a slow hash would only slow every API request. Keying the
 * hash with the id binds each hash to its row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "store_int.h"

static void
secret_hash(unsigned char hash[GD_STORE_HASH_BYTES],
    const char id[GD_STORE_ID_LEN + 1],
    const unsigned char secret[GD_STORE_SECRET_BYTES])
{
	crypto_generichash(hash, GD_STORE_HASH_BYTES, secret,
	    GD_STORE_SECRET_BYTES, (const unsigned char *)id, GD_STORE_ID_LEN);
}

void
gd_store_secret_new(char **plain, char id[GD_STORE_ID_LEN + 1],
    unsigned char hash[GD_STORE_HASH_BYTES], const char *prefix)
{
	unsigned char idb[GD_STORE_ID_BYTES], secret[GD_STORE_SECRET_BYTES];
	char hex[GD_STORE_SECRET_BYTES * 2 + 1];

	randombytes_buf(idb, sizeof idb);
	randombytes_buf(secret, sizeof secret);
	sodium_bin2hex(id, GD_STORE_ID_LEN + 1, idb, sizeof idb);
	sodium_bin2hex(hex, sizeof hex, secret, sizeof secret);
	xasprintf(plain, "%s_%s_%s", prefix, id, hex);
	secret_hash(hash, id, secret);
	sodium_memzero(secret, sizeof secret);
	sodium_memzero(hex, sizeof hex);
}

static bool
secret_is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int
gd_store_secret_parse(char id[GD_STORE_ID_LEN + 1],
    unsigned char hash[GD_STORE_HASH_BYTES], const char *prefix,
    const char *what, const char *plain, struct gd_err *err)
{
	unsigned char secret[GD_STORE_SECRET_BYTES];
	const char *p;
	size_t plen;
	int rc = 0;

	plen = strlen(prefix);
	/* Exact shape only: lowercase hex, nothing before or after. */
	if (plain == NULL || strncmp(plain, prefix, plen) != 0 ||
	    plain[plen] != '_' ||
	    strnlen(plain,
		plen + GD_STORE_ID_LEN + 2 + GD_STORE_SECRET_BYTES * 2 + 1) !=
		plen + GD_STORE_ID_LEN + 2 + GD_STORE_SECRET_BYTES * 2)
		return gd_err_set(err, GD_EUNAUTH, "malformed %s", what);
	p = plain + plen + 1;
	if (!secret_is_hex(p, GD_STORE_ID_LEN) || p[GD_STORE_ID_LEN] != '_' ||
	    !secret_is_hex(p + GD_STORE_ID_LEN + 1, GD_STORE_SECRET_BYTES * 2))
		return gd_err_set(err, GD_EUNAUTH, "malformed %s", what);
	memcpy(id, p, GD_STORE_ID_LEN);
	id[GD_STORE_ID_LEN] = '\0';
	if (sodium_hex2bin(secret, sizeof secret, p + GD_STORE_ID_LEN + 1,
		GD_STORE_SECRET_BYTES * 2, NULL, NULL, NULL) != 0)
		rc = gd_err_set(err, GD_EUNAUTH, "malformed %s", what);
	else
		secret_hash(hash, id, secret);
	sodium_memzero(secret, sizeof secret);
	return rc;
}

bool
gd_store_hash_is_equal(const unsigned char hash[GD_STORE_HASH_BYTES],
    const void *stored, int stored_len)
{
	if (stored == NULL || stored_len != GD_STORE_HASH_BYTES)
		return false;
	return sodium_memcmp(hash, stored, GD_STORE_HASH_BYTES) == 0;
}

void
gd_store_secret_free(char *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

/* --- tokens --------------------------------------------------------------- */

void
gd_store_token_init(struct gd_store_token *t)
{
	memset(t, 0, sizeof *t);
}

void
gd_store_token_dispose(struct gd_store_token *t)
{
	if (t == NULL)
		return;
	free(t->subject);
	free(t->description);
	gd_store_token_init(t);
}

int
gd_store_token_create(char **token, char id[GD_STORE_ID_LEN + 1],
    struct gd_store *st, const char *subject, const char *description,
    int64_t expires_ms, struct gd_err *err)
{
	static const char sql[] =
	    "INSERT INTO tokens (id, subject, description, secret_hash, "
	    "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)";
	unsigned char hash[GD_STORE_HASH_BYTES];
	char tid[GD_STORE_ID_LEN + 1], *plain = NULL;
	sqlite3_stmt *stmt = NULL;
	int rc;

	*token = NULL;
	if (subject == NULL || *subject == '\0')
		return gd_err_set(err, GD_EINVAL, "token: no subject");
	if (expires_ms < 0)
		return gd_err_set(
		    err, GD_EINVAL, "token for %s: negative expiry", subject);
	gd_store_secret_new(&plain, tid, hash, "gdt");
	if ((rc = gd_store_prepare(&stmt, st, sql, err)) < 0 ||
	    (rc = gd_store_bind(
		 st, stmt, err, "ssS", tid, subject, description)) < 0)
		goto out;
	sqlite3_bind_blob(stmt, 4, hash, sizeof hash, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 5, gd_store_now_ms(st));
	if (expires_ms != 0)
		sqlite3_bind_int64(stmt, 6, expires_ms);
	if ((rc = gd_store_step(st, stmt, err)) < 0)
		goto out;
	*token = plain;
	plain = NULL;
	if (id != NULL)
		memcpy(id, tid, sizeof tid);
	rc = 0;
out:
	gd_store_done(stmt);
	gd_store_secret_free(plain);
	sodium_memzero(hash, sizeof hash);
	return rc;
}

/* Records use, at most once per GD_STORE_TOUCH_MS (sql names the table). */
static int
token_touch(
    struct gd_store *st, const char *sql, const char *id, struct gd_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if ((rc = gd_store_prepare(&stmt, st, sql, err)) == 0 &&
	    (rc = gd_store_bind(
		 st, stmt, err, "Is", gd_store_now_ms(st), id)) == 0)
		rc = gd_store_step(st, stmt, err);
	gd_store_done(stmt);
	return rc < 0 ? rc : 0;
}

int
gd_store_token_verify(struct gd_store_token *out, struct gd_store *st,
    const char *token, struct gd_err *err)
{
	static const char sql[] =
	    "SELECT secret_hash, subject, description, created_at, "
	    "expires_at, last_used_at, revoked_at FROM tokens WHERE id = ?";
	static const char touch[] =
	    "UPDATE tokens SET last_used_at = ? WHERE id = ?";
	unsigned char hash[GD_STORE_HASH_BYTES];
	char id[GD_STORE_ID_LEN + 1], when[GD_TIME_LEN];
	sqlite3_stmt *stmt = NULL;
	struct gd_store_token t;
	int64_t now;
	int rc;

	gd_store_token_init(&t);
	gd_store_token_init(out);
	if ((rc = gd_store_secret_parse(id, hash, "gdt", "token", token, err)) <
	    0)
		return rc;
	now = gd_store_now_ms(st);
	if ((rc = gd_store_prepare(&stmt, st, sql, err)) < 0 ||
	    (rc = gd_store_bind(st, stmt, err, "s", id)) < 0 ||
	    (rc = gd_store_step(st, stmt, err)) < 0)
		goto out;
	/* Unknown id and wrong secret read the same to the caller. */
	if (rc == 0 ||
	    !gd_store_hash_is_equal(hash, sqlite3_column_blob(stmt, 0),
		sqlite3_column_bytes(stmt, 0))) {
		rc = gd_err_set(err, GD_EUNAUTH, "token %s is not valid", id);
		goto out;
	}
	memcpy(t.id, id, sizeof id);
	t.subject = gd_store_col_strdup(stmt, 1);
	t.description = gd_store_col_strdup(stmt, 2);
	t.created_ms = sqlite3_column_int64(stmt, 3);
	t.expires_ms = sqlite3_column_int64(stmt, 4);
	t.last_used_ms = sqlite3_column_int64(stmt, 5);
	t.revoked_ms = sqlite3_column_int64(stmt, 6);
	gd_store_done(stmt);
	stmt = NULL;
	if (t.revoked_ms != 0) {
		rc = gd_err_set(
		    err, GD_EUNAUTH, "token %s has been revoked", id);
		goto out;
	}
	if (t.expires_ms != 0 && now >= t.expires_ms) {
		gd_time_format(when, (time_t)(t.expires_ms / 1000));
		rc = gd_err_set(
		    err, GD_EUNAUTH, "token %s expired at %s", id, when);
		goto out;
	}
	if (now - t.last_used_ms >= GD_STORE_TOUCH_MS) {
		if ((rc = token_touch(st, touch, id, err)) < 0)
			goto out;
		t.last_used_ms = now;
	}
	*out = t;
	gd_store_token_init(&t);
	rc = 0;
out:
	gd_store_done(stmt);
	gd_store_token_dispose(&t);
	sodium_memzero(hash, sizeof hash);
	return rc;
}

static void
token_set_secs(json_t *o, const char *key, sqlite3_stmt *stmt, int col)
{
	if (sqlite3_column_type(stmt, col) != SQLITE_NULL)
		json_object_set_new(o, key,
		    json_integer(sqlite3_column_int64(stmt, col) / 1000));
}

int
gd_store_token_list(
    json_t **out, struct gd_store *st, const char *subject, struct gd_err *err)
{
	static const char sql[] =
	    "SELECT id, subject, description, created_at, expires_at, "
	    "last_used_at, revoked_at FROM tokens "
	    "WHERE ?1 IS NULL OR subject = ?1 ORDER BY created_at DESC, id";
	sqlite3_stmt *stmt = NULL;
	json_t *arr, *o;
	int rc;

	*out = NULL;
	if ((rc = gd_store_prepare(&stmt, st, sql, err)) < 0 ||
	    (rc = gd_store_bind(st, stmt, err, "s", subject)) < 0)
		goto out;
	arr = json_array();
	while ((rc = gd_store_step(st, stmt, err)) == 1) {
		o = json_object();
		gd_store_set_str(o, "id", stmt, 0);
		gd_store_set_str(o, "subject", stmt, 1);
		gd_store_set_str(o, "description", stmt, 2);
		token_set_secs(o, "issuedAt", stmt, 3);
		token_set_secs(o, "expiresAt", stmt, 4);
		token_set_secs(o, "lastUsedAt", stmt, 5);
		token_set_secs(o, "revokedAt", stmt, 6);
		json_array_append_new(arr, o);
	}
	if (rc < 0)
		json_decref(arr);
	else
		*out = arr;
out:
	gd_store_done(stmt);
	return rc;
}

int
gd_store_token_revoke(struct gd_store *st, const char *id, struct gd_err *err)
{
	static const char sql[] =
	    "UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) "
	    "WHERE id = ?";
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (id == NULL)
		return gd_err_set(err, GD_EINVAL, "token: no id");
	if ((rc = gd_store_prepare(&stmt, st, sql, err)) < 0 ||
	    (rc = gd_store_bind(st, stmt, err, "Is", gd_store_now_ms(st), id)) <
		0 ||
	    (rc = gd_store_step(st, stmt, err)) < 0)
		goto out;
	rc = sqlite3_changes(st->db) == 1 ?
	    0 :
	    gd_err_set(err, GD_ENOTFOUND, "token %s not found", id);
out:
	gd_store_done(stmt);
	return rc;
}
