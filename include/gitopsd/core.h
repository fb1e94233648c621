/* SPDX-License-Identifier: ISC */
/*
 * core: what every module uses. Errors (an int status plus a struct gd_err
 * filled once where the failure is found), logging in the OpenBSD style,
 * allocation that never returns NULL, a growable byte buffer, RFC 3339
 * time, a path join that cannot leave its root, and the table type for
 * files embedded in the binary.
 */
#ifndef GITOPSD_CORE_H
#define GITOPSD_CORE_H

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#define GD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define GD_NORETURN     __attribute__((noreturn))

/* --- errors ------------------------------------------------------------ */

enum gd_errcode {
	GD_OK = 0,
	GD_EINVAL = -1, /* bad input from whoever called: 400 */
	GD_ENOTFOUND = -2, /* 404 */
	GD_ECONFLICT = -3, /* already exists, in progress: 409 */
	GD_EUPSTREAM = -4, /* git, registry, cluster failed: 502 */
	GD_EINTERNAL = -5, /* our bug or the machine's: 500 */
	GD_EDENIED = -6, /* authenticated but not allowed: 403 */
	GD_EUNAUTH = -7, /* not authenticated: 401 */
	GD_ETOOBIG = -8, /* over a size limit: 413 */
	GD_EUNAVAIL = -9, /* shutting down, busy: 503 */
};

struct gd_err {
	int code;
	char msg[256]; /* fixed: no allocation on the error path */
};

/* Sets err (which may be NULL) and returns code. */
int gd_err_set(struct gd_err *, int, const char *, ...) GD_PRINTF(3, 4);
/* Prepends "context: " to err->msg, keeps the code and returns it. */
int gd_err_wrap(struct gd_err *, const char *, ...) GD_PRINTF(2, 3);
/* Clears err to GD_OK and an empty message. */
void gd_err_clear(struct gd_err *);
/* A short constant name for a code ("invalid", "not found", ...). */
const char *gd_err_name(int);

/*
 * Structs passed through void * carry a magic number, checked on the way
 * back in. The assert stays on in release builds.
 */
#define GD_CHECK_OBJ(p, m)                                                     \
	do {                                                                   \
		assert((p) != NULL);                                           \
		assert((p)->magic == (m));                                     \
	} while (0)

/* --- logging ------------------------------------------------------------ */

enum gd_loglevel {
	GD_LOG_ERROR = 0,
	GD_LOG_WARN = 1,
	GD_LOG_INFO = 2,
	GD_LOG_DEBUG = 3,
};

/*
 * One line per event on stderr: "ts level module: message key=value".
 * The module is the first word of the format by convention
 * (log_info("api: listening on %s", addr)).
 */
void log_init(int level);
void log_setlevel(int level);
int log_getlevel(void);
/* Parses "error", "warn", "info", "debug"; -1 when unknown. */
int log_level_parse(const char *);
void log_debug(const char *, ...) GD_PRINTF(1, 2);
void log_info(const char *, ...) GD_PRINTF(1, 2);
void log_warn(const char *, ...) GD_PRINTF(1, 2); /* appends strerror */
void log_warnx(const char *, ...) GD_PRINTF(1, 2);
GD_NORETURN void fatal(const char *, ...) GD_PRINTF(1, 2);
GD_NORETURN void fatalx(const char *, ...) GD_PRINTF(1, 2);

/* --- memory: running out is fatal ---------------------------------------- */

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
int xasprintf(char **, const char *, ...) GD_PRINTF(2, 3);
int xvasprintf(char **, const char *, va_list) GD_PRINTF(2, 0);
/*
 * Makes jansson allocate with xmalloc (through the arena below); called
 * once from main and tests, before any thread starts.
 */
void gd_core_init_json(void);

/*
 * The json arena (core/jarena.c): between _open and _close (nestable), the
 * small blocks jansson allocates on this thread come from shared chunks
 * with a pointer bump. Objects built there are ordinary json_t: changed,
 * kept and freed as any other, from any thread; a chunk is reused once all
 * its blocks are freed. For building many short-lived or same-lived
 * objects at once (a chart's rendered documents). Call nothing between
 * _open and _close that hands jansson memory to free() (json_dumps).
 */
void gd_jarena_init(void);
void gd_jarena_open(void);
void gd_jarena_close(void);
bool gd_jarena_set_enabled(bool); /* returns the previous setting */
void *gd_jarena_malloc(size_t);
void gd_jarena_free(void *);
void gd_jarena_stats(size_t *, size_t *); /* chunks in use, idle */

/*
 * The UTF-8 character at s (len > 0 bytes), *n its length; -1 when the
 * bytes start none, with *n = 1 (Go's utf8.DecodeRune, RuneError aside).
 */
long gd_utf8_rune(const unsigned char *s, size_t len, size_t *n);

/* --- growable buffer ------------------------------------------------------ */

/*
 * data is always NUL-terminated after any add (len excludes the NUL), so a
 * buffer of text can be used as a C string. Embedded: _init/_dispose.
 */
struct gd_buf {
	char *data;
	size_t len;
	size_t cap;
};

void gd_buf_init(struct gd_buf *);
void gd_buf_dispose(struct gd_buf *);
void gd_buf_reset(struct gd_buf *);
void gd_buf_add(struct gd_buf *, const void *, size_t);
void gd_buf_adds(struct gd_buf *, const char *);
/* Room for more bytes at once, for callers that know the size coming. */
void gd_buf_reserve(struct gd_buf *, size_t more);
/* Inline: emitters and indenters add a byte at a time. */
static inline void
gd_buf_addc(struct gd_buf *b, char c)
{
	if (b->len + 2 <= b->cap) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
	} else
		gd_buf_add(b, &c, 1);
}
void gd_buf_printf(struct gd_buf *, const char *, ...) GD_PRINTF(2, 3);
void gd_buf_vprintf(struct gd_buf *, const char *, va_list) GD_PRINTF(2, 0);
/* Hands the storage to the caller (never NULL) and leaves b empty. */
char *gd_buf_detach(struct gd_buf *, size_t *lenp);
/* Reads a whole file; limit 0 means no limit. GD_ETOOBIG past it. */
int gd_buf_read_file(
    struct gd_buf *, const char *path, size_t limit, struct gd_err *);

/* --- time --------------------------------------------------------------- */

#define GD_TIME_LEN 32

/* "2026-11-26T03:32:52Z" (UTC, seconds), as Kubernetes and Argo CD print. */
void gd_time_format(char out[GD_TIME_LEN], time_t);
/* Parses RFC 3339 with optional fraction and Z or +hh:mm offset. */
int gd_time_parse(time_t *out, const char *, struct gd_err *);
/* Milliseconds on the monotonic clock, for durations. */
uint64_t gd_time_mono_ms(void);

/* --- paths ---------------------------------------------------------------- */

/*
 * Joins root and rel into *out (caller frees) and guarantees the result is
 * inside root: rel may not be absolute or contain a ".." component, and no
 * symlink on the way may lead outside root (checked on the parts that
 * exist). Empty components and "." are dropped. GD_EINVAL names rel.
 */
int gd_path_join(
    char **out, const char *root, const char *rel, struct gd_err *);
/* Creates dir and its parents (mode 0700 for the ones it makes). */
int gd_path_mkdirs(const char *dir, struct gd_err *);

/* --- embedded files ------------------------------------------------------ */

/* A file built into the binary by tools/embed (sql/, web/). */
struct gd_embed_file {
	const char *name; /* relative path, "index.html" */
	const unsigned char *data;
	size_t len;
};

/* Tables end with a NULL name. NULL when name is not there. */
const struct gd_embed_file *gd_embed_find(
    const struct gd_embed_file *, const char *name);

#endif /* GITOPSD_CORE_H */
