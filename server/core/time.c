/* SPDX-License-Identifier: ISC */
/*
 * RFC 3339 time as Kubernetes and Argo CD write it: whole seconds in UTC
 * with a Z. Parsing accepts what other tools send too: a fraction of any
 * length (dropped) and a numeric offset, which is folded into UTC.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "gitopsd/core.h"

void
gd_time_format(char out[GD_TIME_LEN], time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, GD_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, GD_TIME_LEN, "1970-01-01T00:00:00Z");
}

static int
time_digits(const char **sp, int n, int *out)
{
	const char *s = *sp;
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*sp = s + n;
	*out = v;
	return 0;
}

static int
time_days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return (m == 2 && leap) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (no timegm in C11). */
static int64_t
time_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
gd_time_parse(time_t *out, const char *str, struct gd_err *err)
{
	const char *s = str;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t t;

	if (time_digits(&s, 4, &y) < 0 || *s++ != '-' ||
	    time_digits(&s, 2, &mo) < 0 || *s++ != '-' ||
	    time_digits(&s, 2, &d) < 0 || (*s != 'T' && *s != 't') ||
	    (s++, time_digits(&s, 2, &h)) < 0 || *s++ != ':' ||
	    time_digits(&s, 2, &mi) < 0 || *s++ != ':' ||
	    time_digits(&s, 2, &sec) < 0)
		goto bad;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			goto bad;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = (*s == '-') ? -1 : 1;
		s++;
		if (time_digits(&s, 2, &oh) < 0 || *s++ != ':' ||
		    time_digits(&s, 2, &om) < 0 || oh > 23 || om > 59)
			goto bad;
	} else
		goto bad;
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 ||
	    d > time_days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
		goto bad;
	t = time_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= (int64_t)sign * (oh * 3600 + om * 60);
	*out = (time_t)t;
	return 0;
bad:
	return gd_err_set(err, GD_EINVAL,
	    "invalid time \"%.64s\": want RFC 3339 like 2026-01-02T15:04:05Z",
	    str);
}

uint64_t
gd_time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
