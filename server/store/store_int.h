/* SPDX-License-Identifier: ISC */
/*
 * Shared inside server/store only (and by tests/unit/test_store.c, which
 * drives the migration runner and the clock). It names SQLite's types by
 * their struct tags so that it need not include <sqlite3.h>.
 */
#ifndef GITOPSD_STORE_INT_H
#define GITOPSD_STORE_INT_H

#include "gitopsd/store.h"

struct sqlite3;
struct sqlite3_stmt;

/* Generated from SQL_FILES by tools/embed (server/store/sql_embed.c). */
extern const struct gd_embed_file gd_store_sql[];

/* Distinct SQL texts a connection keeps prepared; more is a bug (assert). */
#define GD_STORE_NSTMT 64
/* A token's random parts, in bytes: its id and its secret. */
#define GD_STORE_ID_BYTES     16
#define GD_STORE_SECRET_BYTES 32
#define GD_STORE_HASH_BYTES   32
/* last_used / last_seen are rewritten at most this often. */
#define GD_STORE_TOUCH_MS 60000

struct gd_store_stmt {
	const char *sql; /* the key: the caller's static string */
	struct sqlite3_stmt *stmt;
};

struct gd_store {
	struct sqlite3 *db;
	char *path; /* for messages: "data.db: ..." */
	int version;
	int txdepth; /* 0: autocommit; 1: BEGIN; >1: savepoints */
	int64_t fixed_now_ms; /* tests: a frozen clock when non-zero */
	size_t nstmt;
	struct gd_store_stmt stmts[GD_STORE_NSTMT];
};

/*
 * Sets err from the connection's last SQLite error: "<what>: <sqlite
 * message>". BUSY/LOCKED map to GD_EUNAVAIL, UNIQUE to GD_ECONFLICT, the
 * rest to GD_EINTERNAL. Returns the code.
 */
int gd_store_sqlerr(struct gd_store *, struct gd_err *, const char *fmt, ...)
    GD_PRINTF(3, 4);

/*
 * A prepared statement for sql, kept for the connection's life and keyed
 * by the pointer, so sql must be a static string. Hand it back with
 * gd_store_done (NULL-safe) on every path: a statement left un-reset holds
 * a read transaction open.
 */
int gd_store_prepare(struct sqlite3_stmt **, struct gd_store *, const char *sql,
    struct gd_err *);
void gd_store_done(struct sqlite3_stmt *);
/*
 * Binds parameters 1..n from a type string: 's' const char * (NULL binds
 * NULL), 'S' const char * (NULL binds ""), 'j' const json_t * (compact
 * text, NULL binds NULL), 'I' int64_t, 'N' int64_t with 0 binding NULL,
 * 'b' int (bool). Fails only on a value too big for SQLite.
 */
int gd_store_bind(struct gd_store *, struct sqlite3_stmt *, struct gd_err *,
    const char *types, ...);
/* sqlite3_step translated: 1 row, 0 done, < 0 error (err set). */
int gd_store_step(struct gd_store *, struct sqlite3_stmt *, struct gd_err *);

/* Column readers for building JSON. Each sets key only when not NULL. */
void gd_store_set_str(json_t *, const char *key, struct sqlite3_stmt *, int);
void gd_store_set_int(json_t *, const char *key, struct sqlite3_stmt *, int);
void gd_store_set_bool(json_t *, const char *key, struct sqlite3_stmt *, int);
/* RFC 3339 from a millisecond column. */
void gd_store_set_time(json_t *, const char *key, struct sqlite3_stmt *, int);
/* Parses a JSON text column; corrupt JSON is GD_EINTERNAL naming key. */
int gd_store_set_json(
    json_t *, const char *key, struct sqlite3_stmt *, int, struct gd_err *);
/* A text column as a new string, or NULL. */
char *gd_store_col_strdup(struct sqlite3_stmt *, int);

/* Milliseconds since the epoch: the wall clock, or the frozen test clock. */
int64_t gd_store_now_ms(const struct gd_store *);
/* Tests: freeze the clock at ms (0 unfreezes). */
void gd_store_set_now(struct gd_store *, int64_t ms);

/*
 * Applies the migrations of table in numeric order, each in its own
 * transaction with PRAGMA user_version. Names are "<number>_<what>.sql";
 * numbers must run 1, 2, 3... (anything else is GD_EINTERNAL).
 */
int gd_store_migrate(
    struct gd_store *, const struct gd_embed_file *table, struct gd_err *);
/* Runs SQL without parameters (tests, migrations). */
int gd_store_exec(struct gd_store *, const char *sql, struct gd_err *);

/*
 * Secrets shared by tokens and sessions: "<prefix>_<id hex>_<secret hex>".
 * _new makes one (plaintext caller-frees with gd_store_secret_free), _parse
 * checks the shape of a presented one (GD_EUNAUTH "malformed <what>") and
 * both give the hash that is stored and compared.
 */
void gd_store_secret_new(char **plain, char id[GD_STORE_ID_LEN + 1],
    unsigned char hash[GD_STORE_HASH_BYTES], const char *prefix);
int gd_store_secret_parse(char id[GD_STORE_ID_LEN + 1],
    unsigned char hash[GD_STORE_HASH_BYTES], const char *prefix,
    const char *what, const char *plain, struct gd_err *);
/* Constant-time comparison of a computed hash with a stored blob. */
bool gd_store_hash_is_equal(const unsigned char hash[GD_STORE_HASH_BYTES],
    const void *stored, int stored_len);

#endif /* GITOPSD_STORE_INT_H */
