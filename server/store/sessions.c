/* SPDX-License-Identifier: ISC */
/*
 * UI login sessions. The cookie is "gds_<id>_<secret>" (the format of
 * tokens.c); the row keeps the user, a hash of the secret, an absolute
 * expiry and when the session was last seen.
 *
 * The hard part is keeping verification cheap: it runs on every UI
 * request, so last_seen is written at most once a minute (a read-only
 * request would otherwise take the database's single write lock), and
 * expiry is decided by the clock at verify time rather than by a purge
 * that may not have run yet.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "store_int.h"

void
gd_store_session_init(struct gd_store_session *s)
{
	memset(s, 0, sizeof *s);
}

void
gd_store_session_dispose(struct gd_store_session *s)
{
	if (s == NULL)
		return;
	free(s->username);
	gd_store_session_init(s);
}

int
gd_store_session_create(char **cookie, struct gd_store *st,
    const char *username, int64_t ttl_ms, struct gd_err *err)
{
	static const char sql[] =
	    "INSERT INTO sessions (id, username, secret_hash, created_at, "
	    "expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)";
	unsigned char hash[GD_STORE_HASH_BYTES];
	char id[GD_STORE_ID_LEN + 1], *plain = NULL;
	sqlite3_stmt *stmt = NULL;
	int64_t now;
	int rc;

	*cookie = NULL;
	if (username == NULL || *username == '\0')
		return gd_err_set(err, GD_EINVAL, "session: no username");
	if (ttl_ms <= 0)
		return gd_err_set(err, GD_EINVAL,
		    "session for %s: lifetime must be positive", username);
	now = gd_store_now_ms(st);
	gd_store_secret_new(&plain, id, hash, "gds");
	if ((rc = gd_store_prepare(&stmt, st, sql, err)) < 0 ||
	    (rc = gd_store_bind(st, stmt, err, "ss", id, username)) < 0)
		goto out;
	sqlite3_bind_blob(stmt, 3, hash, sizeof hash, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 4, now);
	sqlite3_bind_int64(stmt, 5, now + ttl_ms);
	sqlite3_bind_int64(stmt, 6, now);
	if ((rc = gd_store_step(st, stmt, err)) < 0)
		goto out;
	*cookie = plain;
	plain = NULL;
	rc = 0;
out:
	gd_store_done(stmt);
	gd_store_secret_free(plain);
	sodium_memzero(hash, sizeof hash);
	return rc;
}

/*
 * Finds the session of a cookie and checks its secret: 1 found (columns
 * of sel readable from *stmtp, which the caller hands back), GD_EUNAUTH
 * otherwise. sel selects secret_hash first.
 */
static int
session_find(sqlite3_stmt **stmtp, char id[GD_STORE_ID_LEN + 1],
    struct gd_store *st, const char *sel, const char *cookie,
    struct gd_err *err)
{
	unsigned char hash[GD_STORE_HASH_BYTES];
	int rc;

	*stmtp = NULL;
	if ((rc = gd_store_secret_parse(
		 id, hash, "gds", "session cookie", cookie, err)) < 0)
		return rc;
	if ((rc = gd_store_prepare(stmtp, st, sel, err)) < 0 ||
	    (rc = gd_store_bind(st, *stmtp, err, "s", id)) < 0 ||
	    (rc = gd_store_step(st, *stmtp, err)) < 0)
		goto out;
	if (rc == 0 ||
	    !gd_store_hash_is_equal(hash, sqlite3_column_blob(*stmtp, 0),
		sqlite3_column_bytes(*stmtp, 0)))
		rc = gd_err_set(err, GD_EUNAUTH, "session %s is not valid", id);
out:
	sodium_memzero(hash, sizeof hash);
	return rc;
}

int
gd_store_session_verify(struct gd_store_session *out, struct gd_store *st,
    const char *cookie, struct gd_err *err)
{
	static const char sel[] =
	    "SELECT secret_hash, username, created_at, expires_at, "
	    "last_seen_at FROM sessions WHERE id = ?";
	static const char touch[] =
	    "UPDATE sessions SET last_seen_at = ? WHERE id = ?";
	struct gd_store_session s;
	sqlite3_stmt *stmt = NULL, *tstmt = NULL;
	char id[GD_STORE_ID_LEN + 1];
	int64_t now;
	int rc;

	gd_store_session_init(&s);
	gd_store_session_init(out);
	now = gd_store_now_ms(st);
	if ((rc = session_find(&stmt, id, st, sel, cookie, err)) < 0)
		goto out;
	memcpy(s.id, id, sizeof id);
	s.username = gd_store_col_strdup(stmt, 1);
	s.created_ms = sqlite3_column_int64(stmt, 2);
	s.expires_ms = sqlite3_column_int64(stmt, 3);
	s.last_seen_ms = sqlite3_column_int64(stmt, 4);
	gd_store_done(stmt);
	stmt = NULL;
	if (now >= s.expires_ms) {
		rc = gd_err_set(err, GD_EUNAUTH, "session %s has expired", id);
		goto out;
	}
	if (now - s.last_seen_ms >= GD_STORE_TOUCH_MS) {
		if ((rc = gd_store_prepare(&tstmt, st, touch, err)) < 0 ||
		    (rc = gd_store_bind(st, tstmt, err, "Is", now, id)) < 0 ||
		    (rc = gd_store_step(st, tstmt, err)) < 0)
			goto out;
		s.last_seen_ms = now;
	}
	*out = s;
	gd_store_session_init(&s);
	rc = 0;
out:
	gd_store_done(tstmt);
	gd_store_done(stmt);
	gd_store_session_dispose(&s);
	return rc;
}

int
gd_store_session_delete(
    struct gd_store *st, const char *cookie, struct gd_err *err)
{
	static const char sel[] =
	    "SELECT secret_hash FROM sessions WHERE id = ?";
	static const char del[] = "DELETE FROM sessions WHERE id = ?";
	unsigned char hash[GD_STORE_HASH_BYTES];
	sqlite3_stmt *stmt = NULL, *dstmt = NULL;
	char id[GD_STORE_ID_LEN + 1];
	int rc;

	/* Garbage is an error; a stale cookie is not (logged out anyway). */
	rc = gd_store_secret_parse(
	    id, hash, "gds", "session cookie", cookie, err);
	sodium_memzero(hash, sizeof hash);
	if (rc < 0)
		return rc;
	/* Only the cookie's holder may end the session. */
	rc = session_find(&stmt, id, st, sel, cookie, err);
	gd_store_done(stmt);
	if (rc == GD_EUNAUTH) {
		gd_err_clear(err);
		return 0;
	}
	if (rc < 0)
		return rc;
	if ((rc = gd_store_prepare(&dstmt, st, del, err)) == 0 &&
	    (rc = gd_store_bind(st, dstmt, err, "s", id)) == 0)
		rc = gd_store_step(st, dstmt, err);
	gd_store_done(dstmt);
	return rc < 0 ? rc : 0;
}

int
gd_store_session_delete_user(
    struct gd_store *st, const char *username, struct gd_err *err)
{
	static const char sql[] = "DELETE FROM sessions WHERE username = ?";
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (username == NULL)
		return gd_err_set(err, GD_EINVAL, "session: no username");
	if ((rc = gd_store_prepare(&stmt, st, sql, err)) == 0 &&
	    (rc = gd_store_bind(st, stmt, err, "s", username)) == 0)
		rc = gd_store_step(st, stmt, err);
	gd_store_done(stmt);
	return rc < 0 ? rc : 0;
}

int
gd_store_session_purge(struct gd_store *st, struct gd_err *err)
{
	static const char sql[] = "DELETE FROM sessions WHERE expires_at <= ?";
	sqlite3_stmt *stmt = NULL;
	int rc;

	if ((rc = gd_store_prepare(&stmt, st, sql, err)) < 0 ||
	    (rc = gd_store_bind(st, stmt, err, "I", gd_store_now_ms(st))) < 0 ||
	    (rc = gd_store_step(st, stmt, err)) < 0)
		goto out;
	rc = sqlite3_changes(st->db);
out:
	gd_store_done(stmt);
	return rc;
}
