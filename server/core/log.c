/* SPDX-License-Identifier: ISC */
/*
 * Logging with the OpenBSD/tmux API. Each event is one line on stderr,
 * "2026-11-26T03:32:52.123Z info api: listening on 127.0.0.1:8080", written
 * with a single write(2) so lines from several threads never interleave.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "gitopsd/core.h"

static int log_level = GD_LOG_INFO;
static const char *const log_names[] = { "error", "warn", "info", "debug" };

void
log_init(int level)
{
	log_setlevel(level);
}

void
log_setlevel(int level)
{
	if (level < GD_LOG_ERROR)
		level = GD_LOG_ERROR;
	if (level > GD_LOG_DEBUG)
		level = GD_LOG_DEBUG;
	log_level = level;
}

int
log_getlevel(void)
{
	return log_level;
}

int
log_level_parse(const char *s)
{
	int i;

	for (i = 0; i < 4; i++)
		if (strcasecmp(s, log_names[i]) == 0)
			return i;
	if (strcasecmp(s, "warning") == 0)
		return GD_LOG_WARN;
	return -1;
}

static void
log_vwrite(int level, const char *fmt, va_list ap, const char *suffix)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;

	if (level > log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s ",
	    ts.tv_nsec / 1000000, log_names[level]);
	n += (size_t)r;
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n = (n + (size_t)r < sizeof(line) - 1) ? n + (size_t)r :
							 sizeof(line) - 2;
	if (suffix != NULL) {
		r = snprintf(line + n, sizeof(line) - n, ": %s", suffix);
		if (r > 0)
			n = (n + (size_t)r < sizeof(line) - 1) ?
			    n + (size_t)r :
			    sizeof(line) - 2;
	}
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}

#define LOG_FN(name, level)                                                    \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_vwrite(level, fmt, ap, NULL);                              \
		va_end(ap);                                                    \
	}

LOG_FN(log_debug, GD_LOG_DEBUG)
LOG_FN(log_info, GD_LOG_INFO)
LOG_FN(log_warnx, GD_LOG_WARN)

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vwrite(GD_LOG_WARN, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vwrite(GD_LOG_ERROR, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(GD_LOG_ERROR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
