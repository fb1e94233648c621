/* SPDX-License-Identifier: ISC */
/*
 * A growable byte buffer. The data is kept NUL-terminated after every add
 * so text built here is a C string without a final step; len never counts
 * that NUL. Growth doubles, so adding n bytes one at a time is O(n).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitopsd/core.h"

void
gd_buf_init(struct gd_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
gd_buf_dispose(struct gd_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	gd_buf_init(b);
}

void
gd_buf_reset(struct gd_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static void
buf_reserve(struct gd_buf *b, size_t more)
{
	size_t want;

	if (more > SIZE_MAX - b->len - 1)
		fatalx("buf: size overflow");
	want = b->len + more + 1;
	if (want <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 256;
	while (b->cap < want)
		b->cap = (b->cap > SIZE_MAX / 2) ? want : b->cap * 2;
	b->data = xrealloc(b->data, b->cap);
}

void
gd_buf_reserve(struct gd_buf *b, size_t more)
{
	buf_reserve(b, more);
}

void
gd_buf_add(struct gd_buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
gd_buf_adds(struct gd_buf *b, const char *s)
{
	gd_buf_add(b, s, strlen(s));
}

void
gd_buf_vprintf(struct gd_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		fatalx("buf: bad format \"%s\"", fmt);
	buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
gd_buf_printf(struct gd_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gd_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *
gd_buf_detach(struct gd_buf *b, size_t *lenp)
{
	char *p;

	buf_reserve(b, 0);
	b->data[b->len] = '\0';
	p = b->data;
	if (lenp != NULL)
		*lenp = b->len;
	gd_buf_init(b);
	return p;
}

int
gd_buf_read_file(
    struct gd_buf *b, const char *path, size_t limit, struct gd_err *err)
{
	char chunk[16384];
	ssize_t n;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return gd_err_set(err,
		    errno == ENOENT ? GD_ENOTFOUND : GD_EINVAL, "%s: %s", path,
		    strerror(errno));
	buf_reserve(b, 0);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = gd_err_set(
			    err, GD_EINVAL, "%s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (limit != 0 && b->len + (size_t)n > limit) {
			rc = gd_err_set(err, GD_ETOOBIG,
			    "%s: larger than the limit of %zu bytes", path,
			    limit);
			break;
		}
		gd_buf_add(b, chunk, (size_t)n);
	}
	close(fd);
	return rc;
}
