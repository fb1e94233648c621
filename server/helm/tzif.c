/* SPDX-License-Identifier: ISC */
/*
 * Named time zones for dateInZone and htmlDateInZone: Go's
 * time.LoadLocation read from the system's zoneinfo files (TZif, RFC
 * 8536), so "Europe/Paris" prints what it prints in helm. Nothing here
 * touches TZ or calls tzset: a server must not change its process's zone
 * to format one date.
 *
 * The hard part is doing what Go does past the table: before the first
 * transition Go uses the first standard-time type, and after the last one
 * (every time in a "slim" file, as Alpine ships them; times past 2037 in
 * a "fat" one) it evaluates the POSIX TZ rule of the file's footer
 * ("CET-1CEST,M3.5.0,M10.5.0/3") with Go's own arithmetic.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helm_int.h"

#define TZ_DAY         86400
#define TZ_MAX_FILE    (1 << 20)
#define TZ_MAX_ABBR    16
#define TZ_RULE_JULIAN 0
#define TZ_RULE_DOY    1
#define TZ_RULE_MWD    2

struct tz_type {
	long off;
	bool dst;
	char abbr[TZ_MAX_ABBR];
};

struct tz_rule {
	int kind, day, week, mon;
	long time; /* seconds after local midnight */
};

static uint32_t
tz_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
tz_be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)tz_be32(p) << 32 | tz_be32(p + 4));
}

/* --- POSIX TZ rules (Go's tzset) ------------------------------------------ */

/* A zone name: letters, or anything between < and >. */
static bool
tz_name(const char **s, char *out)
{
	const char *p = *s;
	size_t n;

	if (*p == '<') {
		n = strcspn(p + 1, ">");
		if (p[1 + n] != '>')
			return false;
		snprintf(out, TZ_MAX_ABBR, "%.*s", (int)n, p + 1);
		*s = p + n + 2;
		return true;
	}
	n = strcspn(p, "0123456789,-+");
	if (n < 3)
		return false;
	snprintf(out, TZ_MAX_ABBR, "%.*s", (int)n, p);
	*s = p + n;
	return true;
}

static bool
tz_num(const char **s, long min, long max, long *out)
{
	const char *p = *s;
	long v = 0;

	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		if (v > max)
			return false;
	}
	if (v < min)
		return false;
	*out = v;
	*s = p;
	return true;
}

/* [+-]hh[:mm[:ss]] in seconds */
static bool
tz_offset(const char **s, long *out)
{
	long sign = 1, h, m = 0, sec = 0;

	if (**s == '+' || **s == '-')
		sign = *(*s)++ == '-' ? -1 : 1;
	if (!tz_num(s, 0, 24 * 7, &h))
		return false;
	if (**s == ':') {
		(*s)++;
		if (!tz_num(s, 0, 59, &m))
			return false;
		if (**s == ':') {
			(*s)++;
			if (!tz_num(s, 0, 59, &sec))
				return false;
		}
	}
	*out = sign * (h * 3600 + m * 60 + sec);
	return true;
}

static bool
tz_rule(const char **s, struct tz_rule *r)
{
	long a, b, c;

	memset(r, 0, sizeof(*r));
	if (**s == 'J') {
		(*s)++;
		if (!tz_num(s, 1, 365, &a))
			return false;
		r->kind = TZ_RULE_JULIAN, r->day = (int)a;
	} else if (**s == 'M') {
		(*s)++;
		if (!tz_num(s, 1, 12, &a) || *(*s)++ != '.' ||
		    !tz_num(s, 1, 5, &b) || *(*s)++ != '.' ||
		    !tz_num(s, 0, 6, &c))
			return false;
		r->kind = TZ_RULE_MWD, r->mon = (int)a, r->week = (int)b;
		r->day = (int)c;
	} else {
		if (!tz_num(s, 0, 365, &a))
			return false;
		r->kind = TZ_RULE_DOY, r->day = (int)a;
	}
	r->time = 2 * 3600;
	if (**s == '/') {
		(*s)++;
		return tz_offset(s, &r->time);
	}
	return true;
}

static bool
tz_leap(long long y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int
tz_days_in(int mon, long long y)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	return mon == 2 && tz_leap(y) ? 29 : d[mon - 1];
}

/* Seconds from the start of year (UTC) to the rule's moment. */
static long long
tz_rule_time(long long year, const struct tz_rule *r, long off)
{
	static const int before[] = { 0, 31, 59, 90, 120, 151, 181, 212, 243,
		273, 304, 334 };
	long long s = 0, yy0, yy1, yy2, dow, d, m1;
	int i;

	switch (r->kind) {
	case TZ_RULE_JULIAN:
		s = (long long)(r->day - 1) * TZ_DAY;
		if (tz_leap(year) && r->day >= 60)
			s += TZ_DAY;
		break;
	case TZ_RULE_DOY:
		s = (long long)r->day * TZ_DAY;
		break;
	default:
		/* Zeller's congruence: the weekday of the month's first */
		m1 = (r->mon + 9) % 12 + 1;
		yy0 = year - (r->mon <= 2);
		yy1 = yy0 / 100;
		yy2 = yy0 % 100;
		dow = ((26 * m1 - 2) / 10 + 1 + yy2 + yy2 / 4 + yy1 / 4 -
			  2 * yy1) %
		    7;
		if (dow < 0)
			dow += 7;
		d = r->day - dow;
		if (d < 0)
			d += 7;
		for (i = 1; i < r->week; i++) {
			if (d + 7 >= tz_days_in(r->mon, year))
				break;
			d += 7;
		}
		d += before[r->mon - 1];
		if (tz_leap(year) && r->mon > 2)
			d++;
		s = d * TZ_DAY;
	}
	return s + r->time - off;
}

/* Days from 1970-01-01 to January 1st of year y. */
static long long
tz_days_to_year(long long y)
{
	long long p = y - 1;

	return 365 * (y - 1970) + (p / 4 - 1969 / 4) - (p / 100 - 1969 / 100) +
	    (p / 400 - 1969 / 400);
}

/* The zone a POSIX TZ string gives at sec; false if it does not parse. */
static bool
tz_posix(const char *s, int64_t sec, struct tz_type *out)
{
	struct tz_type std = { 0 }, dst = { 0 };
	struct tz_rule r1, r2;
	long long year, ysec, y0, s1, s2;
	long off;

	if (!tz_name(&s, std.abbr) || !tz_offset(&s, &off))
		return false;
	std.off = -off;
	if (*s == '\0' || *s == ',') {
		*out = std;
		return true;
	}
	if (!tz_name(&s, dst.abbr))
		return false;
	dst.dst = true;
	if (*s == '\0' || *s == ',')
		dst.off = std.off + 3600;
	else if (tz_offset(&s, &off))
		dst.off = -off;
	else
		return false;
	if (*s == '\0')
		s = ",M3.2.0,M11.1.0";
	if (*s != ',' && *s != ';')
		return false;
	s++;
	if (!tz_rule(&s, &r1) || *s++ != ',' || !tz_rule(&s, &r2) || *s != '\0')
		return false;
	/* the year of sec in UTC, and the seconds into it */
	year = 1970 + sec / (365LL * TZ_DAY);
	while (tz_days_to_year(year) * TZ_DAY > sec)
		year--;
	while (tz_days_to_year(year + 1) * TZ_DAY <= sec)
		year++;
	y0 = tz_days_to_year(year) * TZ_DAY;
	ysec = sec - y0;
	s1 = tz_rule_time(year, &r1, std.off);
	s2 = tz_rule_time(year, &r2, dst.off);
	if (s2 < s1) {
		/* the southern hemisphere: the labels swap, as in Go */
		struct tz_type t = std;
		long long x = s1;

		std = dst, dst = t;
		s1 = s2, s2 = x;
	}
	*out = ysec >= s1 && ysec < s2 ? dst : std;
	return true;
}

/* --- TZif ----------------------------------------------------------------- */

/* The type Go shows before the first transition (lookupFirstZone). */
static size_t
tz_first(const struct tz_type *types, size_t ntypes, const unsigned char *idx,
    size_t ntimes)
{
	size_t i, z;
	bool used = false;

	for (i = 0; i < ntimes; i++)
		if (idx[i] == 0)
			used = true;
	if (!used)
		return 0;
	if (ntimes > 0 && types[idx[0]].dst)
		for (z = idx[0]; z-- > 0;)
			if (!types[z].dst)
				return z;
	for (z = 0; z < ntypes; z++)
		if (!types[z].dst)
			return z;
	return 0;
}

/* Reads the zone of data (a whole TZif file) at sec into out. */
static int
tz_parse(const unsigned char *d, size_t len, int64_t sec, struct tz_type *out,
    const char *name, struct gd_err *err)
{
	const unsigned char *p = d, *times, *idx, *info, *chars;
	size_t cnt[6], tsize = 4, i, lo, hi, m, need;
	struct tz_type *types = NULL;
	char *footer = NULL;
	int rc = 0, pass;

	for (pass = 0; pass < 2; pass++) {
		if ((size_t)(p - d) + 44 > len || memcmp(p, "TZif", 4) != 0)
			goto bad;
		for (i = 0; i < 6; i++)
			cnt[i] = tz_be32(p + 20 + 4 * i);
		/* isut, isstd, leap, time, type, char */
		need = cnt[3] * tsize + cnt[3] + cnt[4] * 6 + cnt[5] +
		    cnt[2] * (tsize + 4) + cnt[1] + cnt[0];
		if (cnt[4] == 0 || (size_t)(p - d) + 44 + need > len)
			goto bad;
		/* version 2 and later: skip to the 64-bit block */
		if (pass == 0 && p[4] >= '2') {
			p += 44 + need;
			tsize = 8;
			continue;
		}
		break;
	}
	times = p + 44;
	idx = times + cnt[3] * tsize;
	info = idx + cnt[3];
	chars = info + cnt[4] * 6;
	types = xcalloc(cnt[4], sizeof(*types));
	for (i = 0; i < cnt[4]; i++) {
		const unsigned char *t = info + 6 * i;

		types[i].off = (long)(int32_t)tz_be32(t);
		types[i].dst = t[4] != 0;
		if (t[5] >= cnt[5])
			goto bad;
		snprintf(types[i].abbr, sizeof(types[i].abbr), "%.*s",
		    (int)strnlen((const char *)chars + t[5], cnt[5] - t[5]),
		    chars + t[5]);
	}
	for (i = 0; i < cnt[3]; i++)
		if (idx[i] >= cnt[4])
			goto bad;
	if (tsize == 8) {
		const unsigned char *f = p + 44 + need, *nl;

		if (f < d + len && *f == '\n' &&
		    (nl = memchr(f + 1, '\n', (size_t)(d + len - f - 1))) !=
			NULL)
			footer =
			    xstrndup((const char *)f + 1, (size_t)(nl - f - 1));
	}
#define TZ_WHEN(k)                                                             \
	(tsize == 8 ? tz_be64(times + 8 * (k)) :                               \
		      (int64_t)(int32_t)tz_be32(times + 4 * (k)))
	if (cnt[3] > 0 && sec < TZ_WHEN(0)) {
		*out = types[tz_first(types, cnt[4], idx, cnt[3])];
		goto out;
	}
	lo = 0;
	hi = cnt[3];
	while (hi - lo > 1) {
		m = (lo + hi) / 2;
		if (sec < TZ_WHEN(m))
			hi = m;
		else
			lo = m;
	}
#undef TZ_WHEN
	*out = types[cnt[3] > 0 ? idx[lo] : 0];
	/* past the table, the footer's rule rules */
	if ((cnt[3] == 0 || lo == cnt[3] - 1) && footer != NULL &&
	    *footer != '\0')
		tz_posix(footer, sec, out);
	goto out;
bad:
	rc = gd_err_set(err, GD_EINVAL, "time zone %s: not a TZif file", name);
out:
	free(types);
	free(footer);
	return rc;
}

int
helm_tz_lookup(
    long *off, char abbr[16], const char *zone, int64_t sec, struct gd_err *err)
{
	static const char *const dirs[] = { "/usr/share/zoneinfo/",
		"/usr/share/lib/zoneinfo/", "/usr/lib/locale/TZ/",
		"/etc/zoneinfo/" };
	const char *env = getenv("ZONEINFO");
	struct tz_type t = { 0 };
	struct gd_buf b;
	char path[4096];
	size_t i;
	int rc = GD_ENOTFOUND;

	/* Go's LoadLocation refuses these before looking */
	if (*zone == '\0' || *zone == '/' || *zone == '\\' ||
	    strstr(zone, "..") != NULL)
		return gd_err_set(
		    err, GD_ENOTFOUND, "unknown time zone %s", zone);
	gd_buf_init(&b);
	for (i = env != NULL && *env != '\0' ? 0 : 1; i <= 4; i++) {
		if (i == 0)
			snprintf(path, sizeof(path), "%s/%s", env, zone);
		else
			snprintf(path, sizeof(path), "%s%s", dirs[i - 1], zone);
		gd_buf_reset(&b);
		if (gd_buf_read_file(&b, path, TZ_MAX_FILE, NULL) == 0) {
			rc = tz_parse((const unsigned char *)b.data, b.len, sec,
			    &t, zone, err);
			break;
		}
	}
	gd_buf_dispose(&b);
	if (rc == GD_ENOTFOUND)
		return gd_err_set(
		    err, GD_ENOTFOUND, "unknown time zone %s", zone);
	if (rc == 0) {
		*off = t.off;
		snprintf(abbr, 16, "%s", t.abbr);
	}
	return rc;
}
