/* SPDX-License-Identifier: ISC */
/*
 * Sprig's time functions: duration (seconds to Go's Duration.String,
 * "1h1m1s") and durationRound (a duration string or nanoseconds to its
 * largest unit, "2h", "3mo", "1y"), with Go's time.ParseDuration; and
 * Go's time.Time as a host object, made by now (a fixed clock in tests)
 * or toDate (Go's time.Parse) and read by date, dateInZone, htmlDate,
 * htmlDateInZone, dateModify, ago and unixEpoch, with Go's reference-date
 * layouts ("2006-01-02"). Layouts follow Go's own scanner, traps included
 * ("Jan" is not a month in "Janx", "_2" pads with a space, ".999" drops
 * trailing zeros).
 *
 * The hard part is Sprig's type switches: duration takes a string or an
 * int64 and turns anything else (every YAML number, a float) into 0s, and
 * durationRound drops the sign and any parse error. Those are kept, since
 * charts render with them. One is not: values here do not tell Go's int
 * from int64, so a template literal (duration 95), which Go turns into
 * 0s, is taken as the int64 that (int64 95) gives.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "helm_int.h"

#define FN(name)                                                               \
	static int name(struct gd_tval *out, struct gd_tmpl_call *c,           \
	    struct gd_tval *a, size_t n, struct gd_err *err)

#define NS_SEC 1000000000ULL

/* Go's Duration.String of d nanoseconds */
static void
go_duration(struct gd_buf *b, long long d)
{
	unsigned long long u = d < 0 ? 0ULL - (unsigned long long)d :
				       (unsigned long long)d,
			   div = 1, ip, fp, mins;
	const char *unit = "s";
	int prec = 9, k;
	char frac[32];

	if (u == 0) {
		gd_buf_adds(b, "0s");
		return;
	}
	if (d < 0)
		gd_buf_addc(b, '-');
	if (u < NS_SEC) {
		/* below a second Go switches to ms, µs or ns */
		if (u < 1000)
			prec = 0, unit = "ns";
		else if (u < 1000000)
			prec = 3, unit = "\xc2\xb5s";
		else
			prec = 6, unit = "ms";
	}
	for (k = 0; k < prec; k++)
		div *= 10;
	ip = u / div;
	fp = u % div;
	/* the fraction without its trailing zeros, no point when zero */
	frac[0] = '\0';
	if (fp != 0) {
		snprintf(frac, sizeof(frac), ".%0*llu", prec, fp);
		for (k = (int)strlen(frac) - 1; frac[k] == '0'; k--)
			frac[k] = '\0';
	}
	if (u < NS_SEC) {
		gd_buf_printf(b, "%llu%s%s", ip, frac, unit);
		return;
	}
	mins = ip / 60;
	if (mins > 0) {
		if (mins / 60 > 0)
			gd_buf_printf(b, "%lluh", mins / 60);
		gd_buf_printf(b, "%llum", mins % 60);
	}
	gd_buf_printf(b, "%llu%ss", ip % 60, frac);
}

/* time.ParseDuration; false on any error (Sprig ignores them) */
static bool
parse_duration(const char *s, long long *out)
{
	static const struct {
		const char *name;
		unsigned long long ns;
	} units[] = { { "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 },
		{ "\xce\xbcs", 1000 }, { "ms", 1000000 }, { "s", NS_SEC },
		{ "m", 60 * NS_SEC }, { "h", 3600 * NS_SEC } };
	const unsigned long long lim = 1ULL << 63;
	unsigned long long d = 0, v, f, unit;
	double scale;
	bool neg = false, pre, post, overflow;
	size_t i, k;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return true;
	}
	if (*s == '\0')
		return false;
	while (*s != '\0') {
		if (!(*s == '.' || (*s >= '0' && *s <= '9')))
			return false;
		v = 0, f = 0, scale = 1, pre = post = overflow = false;
		for (; *s >= '0' && *s <= '9'; s++, pre = true) {
			if (v > (lim - 1) / 10)
				return false;
			v = v * 10 + (unsigned long long)(*s - '0');
			if (v > lim)
				return false;
		}
		if (*s == '.') {
			for (s++; *s >= '0' && *s <= '9'; s++, post = true) {
				if (overflow || f > (lim - 1) / 10) {
					overflow = true;
					continue;
				}
				f = f * 10 + (unsigned long long)(*s - '0');
				scale *= 10;
			}
		}
		if (!pre && !post)
			return false;
		for (i = 0; s[i] != '\0' && s[i] != '.' &&
		     !(s[i] >= '0' && s[i] <= '9');
		     i++)
			;
		if (i == 0)
			return false;
		for (k = 0; k < sizeof(units) / sizeof(units[0]); k++)
			if (strlen(units[k].name) == i &&
			    memcmp(units[k].name, s, i) == 0)
				break;
		if (k == sizeof(units) / sizeof(units[0]))
			return false;
		s += i;
		unit = units[k].ns;
		if (v > lim / unit)
			return false;
		v *= unit;
		if (f > 0) {
			v += (unsigned long long)((double)f *
			    ((double)unit / scale));
			if (v > lim)
				return false;
		}
		d += v;
		if (d > lim)
			return false;
	}
	if (!neg && d > lim - 1)
		return false;
	*out = neg ? (long long)(0ULL - d) : (long long)d;
	return true;
}

/* Sprig: a string is parsed, an integer taken; any other type is 0 */
FN(f_duration)
{
	long long secs = 0;
	struct gd_buf b;
	char *end;

	(void)c, (void)n, (void)err;
	if (a[0].o == NULL && json_is_string(a[0].j)) {
		secs = strtoll(json_string_value(a[0].j), &end, 10);
		if (*end != '\0' || end == json_string_value(a[0].j))
			secs = 0;
	} else if (a[0].o == NULL && json_is_integer(a[0].j))
		secs = json_integer_value(a[0].j);
	gd_buf_init(&b);
	/* Go's Duration * Second wraps on overflow, as here */
	go_duration(&b,
	    (long long)((unsigned long long)secs * (unsigned long long)NS_SEC));
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

FN(f_duration_round)
{
	static const struct {
		unsigned long long ns;
		const char *suffix;
	} steps[] = { { 365 * 24 * 3600 * NS_SEC, "y" },
		{ 30 * 24 * 3600 * NS_SEC, "mo" }, { 24 * 3600 * NS_SEC, "d" },
		{ 3600 * NS_SEC, "h" }, { 60 * NS_SEC, "m" }, { NS_SEC, "s" } };
	unsigned long long u;
	long long d = 0;
	char buf[32];
	size_t i;

	(void)c, (void)n, (void)err;
	if (a[0].o == NULL && json_is_string(a[0].j)) {
		if (!parse_duration(json_string_value(a[0].j), &d))
			d = 0;
	} else if (a[0].o == NULL && json_is_integer(a[0].j))
		d = json_integer_value(a[0].j);
	u = d < 0 ? 0ULL - (unsigned long long)d : (unsigned long long)d;
	snprintf(buf, sizeof(buf), "0s");
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (u > steps[i].ns) {
			snprintf(buf, sizeof(buf), "%llu%s", u / steps[i].ns,
			    steps[i].suffix);
			break;
		}
	*out = gd_tval_json(json_string_nocheck(buf));
	return 0;
}

/* --- time.Time
 * ----------------------------------------------------------------
 */

/* A Go time.Time: an instant and the zone it is shown in. */
struct gotime {
	int64_t sec; /* Unix seconds */
	long nsec;
	long off; /* seconds east of UTC */
	char zone[16]; /* "UTC", "CET"; "" prints the offset */
};

static void
time_free(void *p)
{
	free(p);
}

/* The instant in the process's zone (Go's Local), or UTC. */
static void
time_zone(struct gotime *t, bool local)
{
	struct tm tm;
	time_t s = (time_t)t->sec;

	t->off = 0;
	snprintf(t->zone, sizeof(t->zone), "UTC");
	if (local && localtime_r(&s, &tm) != NULL) {
		t->off = tm.tm_gmtoff;
		snprintf(t->zone, sizeof(t->zone), "%s",
		    tm.tm_zone ? tm.tm_zone : "");
	}
}

/* Days since 1970-01-01 to a proleptic Gregorian date (Hinnant's method) */
static void
civil(int64_t days, long long *y, int *m, int *d)
{
	int64_t z = days + 719468, era, doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

enum std {
	S_NONE,
	S_LONG_MONTH,
	S_MONTH,
	S_NUM_MONTH,
	S_ZERO_MONTH,
	S_LONG_WEEKDAY,
	S_WEEKDAY,
	S_DAY,
	S_UNDER_DAY,
	S_ZERO_DAY,
	S_UNDER_YEARDAY,
	S_ZERO_YEARDAY,
	S_HOUR,
	S_HOUR12,
	S_ZERO_HOUR12,
	S_MINUTE,
	S_ZERO_MINUTE,
	S_SECOND,
	S_ZERO_SECOND,
	S_LONG_YEAR,
	S_YEAR,
	S_PM,
	S_PM_LOWER,
	S_TZ,
	S_ISO_SECONDS_TZ,
	S_ISO_SHORT_TZ,
	S_ISO_TZ,
	S_ISO_COLON_SECONDS_TZ,
	S_ISO_COLON_TZ,
	S_NUM_SECONDS_TZ,
	S_NUM_TZ,
	S_NUM_SHORT_TZ,
	S_NUM_COLON_TZ,
	S_NUM_COLON_SECONDS_TZ,
	S_FRAC0,
	S_FRAC9,
};

static bool
lower_at(const char *s)
{
	return *s >= 'a' && *s <= 'z';
}

/*
 * Go's nextStdChunk: the length of the literal text before the next
 * layout element, which is returned with its length in *len.
 */
static size_t
next_std(const char *l, enum std *std, size_t *len)
{
	static const struct {
		const char *text;
		enum std std;
	} tz[] = { { "-070000", S_NUM_SECONDS_TZ },
		{ "-07:00:00", S_NUM_COLON_SECONDS_TZ }, { "-0700", S_NUM_TZ },
		{ "-07:00", S_NUM_COLON_TZ }, { "-07", S_NUM_SHORT_TZ },
		{ "Z070000", S_ISO_SECONDS_TZ },
		{ "Z07:00:00", S_ISO_COLON_SECONDS_TZ }, { "Z0700", S_ISO_TZ },
		{ "Z07:00", S_ISO_COLON_TZ }, { "Z07", S_ISO_SHORT_TZ } };
	size_t i, k, j;

#define AT(str) (strncmp(l + i, (str), strlen(str)) == 0)
#define GOT(s, n)                                                              \
	do {                                                                   \
		*std = (s);                                                    \
		*len = (n);                                                    \
		return i;                                                      \
	} while (0)
	for (i = 0; l[i] != '\0'; i++) {
		switch (l[i]) {
		case 'J':
			if (AT("January"))
				GOT(S_LONG_MONTH, 7);
			if (AT("Jan") && !lower_at(l + i + 3))
				GOT(S_MONTH, 3);
			break;
		case 'M':
			if (AT("Monday"))
				GOT(S_LONG_WEEKDAY, 6);
			if (AT("Mon") && !lower_at(l + i + 3))
				GOT(S_WEEKDAY, 3);
			if (AT("MST"))
				GOT(S_TZ, 3);
			break;
		case '0':
			if (l[i + 1] >= '1' && l[i + 1] <= '6') {
				static const enum std z[] = { S_ZERO_MONTH,
					S_ZERO_DAY, S_ZERO_HOUR12,
					S_ZERO_MINUTE, S_ZERO_SECOND, S_YEAR };

				GOT(z[l[i + 1] - '1'], 2);
			}
			if (l[i + 1] == '0' && l[i + 2] == '2')
				GOT(S_ZERO_YEARDAY, 3);
			break;
		case '1':
			if (l[i + 1] == '5')
				GOT(S_HOUR, 2);
			GOT(S_NUM_MONTH, 1);
		case '2':
			if (AT("2006"))
				GOT(S_LONG_YEAR, 4);
			GOT(S_DAY, 1);
		case '_':
			if (l[i + 1] == '2') {
				/* "_2006" is a literal _ and the year */
				if (strncmp(l + i + 1, "2006", 4) == 0) {
					i++;
					GOT(S_LONG_YEAR, 4);
				}
				GOT(S_UNDER_DAY, 2);
			}
			if (l[i + 1] == '_' && l[i + 2] == '2')
				GOT(S_UNDER_YEARDAY, 3);
			break;
		case '3':
			GOT(S_HOUR12, 1);
		case '4':
			GOT(S_MINUTE, 1);
		case '5':
			GOT(S_SECOND, 1);
		case 'P':
			if (l[i + 1] == 'M')
				GOT(S_PM, 2);
			break;
		case 'p':
			if (l[i + 1] == 'm')
				GOT(S_PM_LOWER, 2);
			break;
		case '-':
		case 'Z':
			for (k = 0; k < sizeof(tz) / sizeof(tz[0]); k++)
				if (AT(tz[k].text))
					GOT(tz[k].std, strlen(tz[k].text));
			break;
		case '.':
		case ',':
			if (l[i + 1] == '0' || l[i + 1] == '9') {
				for (j = i + 1; l[j] == l[i + 1]; j++)
					;
				if (!(l[j] >= '0' && l[j] <= '9')) {
					*std =
					    l[i + 1] == '0' ? S_FRAC0 : S_FRAC9;
					*len = j - i;
					return i;
				}
			}
			break;
		default:
			break;
		}
	}
#undef AT
#undef GOT
	*std = S_NONE;
	*len = 0;
	return i;
}

static void
put_zone(struct gd_buf *b, long off, bool colon, bool secs, bool hours_only)
{
	long z = off < 0 ? -off : off;

	gd_buf_addc(b, off < 0 ? '-' : '+');
	gd_buf_printf(b, "%02ld", z / 3600);
	if (hours_only)
		return;
	gd_buf_printf(b, "%s%02ld", colon ? ":" : "", z / 60 % 60);
	if (secs)
		gd_buf_printf(b, "%s%02ld", colon ? ":" : "", z % 60);
}

/* Go's Time.Format */
static void
time_format(struct gd_buf *b, const struct gotime *t, const char *layout)
{
	static const char *const months[] = { "January", "February", "March",
		"April", "May", "June", "July", "August", "September",
		"October", "November", "December" };
	static const char *const days[] = { "Sunday", "Monday", "Tuesday",
		"Wednesday", "Thursday", "Friday", "Saturday" };
	int64_t local = t->sec + t->off, days_since, secs;
	long long year;
	int mon, day, yday, wday, hour, min, sec, k, h12;
	size_t lit, len;
	enum std std;
	char frac[16];

	days_since = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	secs = local - days_since * 86400;
	civil(days_since, &year, &mon, &day);
	hour = (int)(secs / 3600), min = (int)(secs / 60 % 60),
	sec = (int)(secs % 60);
	wday = (int)(((days_since + 4) % 7 + 7) % 7);
	{
		static const int cum[] = { 0, 31, 59, 90, 120, 151, 181, 212,
			243, 273, 304, 334 };
		bool leap =
		    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

		yday = cum[mon - 1] + day + (leap && mon > 2);
	}
	h12 = hour % 12 == 0 ? 12 : hour % 12;
	while (*layout != '\0') {
		lit = next_std(layout, &std, &len);
		gd_buf_add(b, layout, lit);
		layout += lit;
		if (std == S_NONE)
			break;
		switch (std) {
		case S_LONG_MONTH:
			gd_buf_adds(b, months[mon - 1]);
			break;
		case S_MONTH:
			gd_buf_add(b, months[mon - 1], 3);
			break;
		case S_NUM_MONTH:
			gd_buf_printf(b, "%d", mon);
			break;
		case S_ZERO_MONTH:
			gd_buf_printf(b, "%02d", mon);
			break;
		case S_LONG_WEEKDAY:
			gd_buf_adds(b, days[wday]);
			break;
		case S_WEEKDAY:
			gd_buf_add(b, days[wday], 3);
			break;
		case S_DAY:
			gd_buf_printf(b, "%d", day);
			break;
		case S_UNDER_DAY:
			gd_buf_printf(b, "%2d", day);
			break;
		case S_ZERO_DAY:
			gd_buf_printf(b, "%02d", day);
			break;
		case S_UNDER_YEARDAY:
			gd_buf_printf(b, "%3d", yday);
			break;
		case S_ZERO_YEARDAY:
			gd_buf_printf(b, "%03d", yday);
			break;
		case S_HOUR:
			gd_buf_printf(b, "%02d", hour);
			break;
		case S_HOUR12:
			gd_buf_printf(b, "%d", h12);
			break;
		case S_ZERO_HOUR12:
			gd_buf_printf(b, "%02d", h12);
			break;
		case S_MINUTE:
			gd_buf_printf(b, "%d", min);
			break;
		case S_ZERO_MINUTE:
			gd_buf_printf(b, "%02d", min);
			break;
		case S_SECOND:
			gd_buf_printf(b, "%d", sec);
			break;
		case S_ZERO_SECOND:
			gd_buf_printf(b, "%02d", sec);
			break;
		case S_LONG_YEAR:
			gd_buf_printf(b, "%04lld", year);
			break;
		case S_YEAR:
			gd_buf_printf(b, "%02lld", (year % 100 + 100) % 100);
			break;
		case S_PM:
			gd_buf_adds(b, hour >= 12 ? "PM" : "AM");
			break;
		case S_PM_LOWER:
			gd_buf_adds(b, hour >= 12 ? "pm" : "am");
			break;
		case S_TZ:
			if (t->zone[0] != '\0')
				gd_buf_adds(b, t->zone);
			else
				put_zone(b, t->off, false, false, false);
			break;
		case S_ISO_SECONDS_TZ:
		case S_ISO_SHORT_TZ:
		case S_ISO_TZ:
		case S_ISO_COLON_SECONDS_TZ:
		case S_ISO_COLON_TZ:
			if (t->off == 0) {
				gd_buf_addc(b, 'Z');
				break;
			}
			put_zone(b, t->off,
			    std == S_ISO_COLON_TZ ||
				std == S_ISO_COLON_SECONDS_TZ,
			    std == S_ISO_SECONDS_TZ ||
				std == S_ISO_COLON_SECONDS_TZ,
			    std == S_ISO_SHORT_TZ);
			break;
		case S_NUM_SECONDS_TZ:
		case S_NUM_TZ:
		case S_NUM_SHORT_TZ:
		case S_NUM_COLON_TZ:
		case S_NUM_COLON_SECONDS_TZ:
			put_zone(b, t->off,
			    std == S_NUM_COLON_TZ ||
				std == S_NUM_COLON_SECONDS_TZ,
			    std == S_NUM_SECONDS_TZ ||
				std == S_NUM_COLON_SECONDS_TZ,
			    std == S_NUM_SHORT_TZ);
			break;
		case S_FRAC0:
		case S_FRAC9:
			snprintf(frac, sizeof(frac), "%09ld", t->nsec);
			k = (int)len - 1 > 9 ? 9 : (int)len - 1;
			if (std == S_FRAC9) {
				while (k > 0 && frac[k - 1] == '0')
					k--;
				if (k == 0)
					break;
			}
			gd_buf_addc(b, layout[0]);
			gd_buf_add(b, frac, (size_t)k);
			break;
		default:
			break;
		}
		layout += len;
	}
}

static void
time_print(struct gd_buf *b, const struct gd_tmpl_obj *o)
{
	time_format(b, o->data, "2006-01-02 15:04:05.999999999 -0700 MST");
}

static int
time_field(struct gd_tval *out, struct gd_tmpl_obj *o, const char *name,
    struct gd_tval *args, size_t nargs, struct gd_err *err)
{
	const struct gotime *t = o->data;
	struct gd_buf b;

	if (strcmp(name, "Unix") == 0 && nargs == 0) {
		*out = gd_tval_json(json_integer((json_int_t)t->sec));
		return 0;
	}
	if (strcmp(name, "Format") == 0) {
		if (nargs != 1 || !json_is_string(args[0].j))
			return gd_err_set(err, GD_EINVAL,
			    "wrong number of args for Format: want 1 got %zu",
			    nargs);
		gd_buf_init(&b);
		gd_buf_add(&b, "", 0);
		time_format(&b, t, json_string_value(args[0].j));
		*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
		gd_buf_dispose(&b);
		return 0;
	}
	return GD_ENOTFOUND;
}

static json_t *
time_json(const struct gd_tmpl_obj *o)
{
	struct gd_buf b;
	json_t *j;

	/* encoding/json writes a Time as RFC 3339 with nanoseconds */
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	time_format(&b, o->data, "2006-01-02T15:04:05.999999999Z07:00");
	j = json_stringn_nocheck(b.data, b.len);
	gd_buf_dispose(&b);
	return j;
}

static const struct gd_tmpl_objtype time_type = { "time.Time", time_field,
	time_print, time_free, time_json };

static struct gd_tval
time_val(const struct gotime *t)
{
	struct gotime *p = xmalloc(sizeof(*p));
	struct gd_tval v = { 0 };

	*p = *t;
	v.o = gd_tmpl_obj_new(&time_type, p);
	return v;
}

/* now: the render's fixed clock in tests, else the system's, Local */
static void
time_now(struct gotime *t, struct gd_tmpl_call *c)
{
	const struct helm_render *r = gd_tmpl_call_exec_ud(c);
	struct timespec ts;

	memset(t, 0, sizeof(*t));
	if (r != NULL && r->magic == HELM_RENDER_MAGIC && r->now != 0)
		t->sec = r->now;
	else if (clock_gettime(CLOCK_REALTIME, &ts) == 0) {
		t->sec = ts.tv_sec;
		t->nsec = ts.tv_nsec;
	}
	time_zone(t, true);
}

/*
 * Sprig's formatDate argument: a time.Time, or an integer of Unix
 * seconds; anything else (a YAML float, a string) is now, as in Go.
 */
static void
time_arg(struct gotime *t, struct gd_tmpl_call *c, const struct gd_tval *v)
{
	if (v->o != NULL && v->o->type == &time_type) {
		*t = *(const struct gotime *)v->o->data;
		return;
	}
	if (v->o == NULL && json_is_integer(v->j)) {
		memset(t, 0, sizeof(*t));
		t->sec = json_integer_value(v->j);
		time_zone(t, true);
		return;
	}
	time_now(t, c);
}

/*
 * time.LoadLocation: "" and "UTC" are UTC, "Local" the process's zone,
 * other names read from the system's zoneinfo (tzif.c). Sprig shows a
 * time in UTC when the zone cannot be loaded, and so does this.
 */
static int
time_in_zone(struct gotime *t, const char *zone, struct gd_err *err)
{
	long off;
	char abbr[16];

	(void)err;
	if (strcmp(zone, "Local") == 0)
		time_zone(t, true);
	else if (strcmp(zone, "") == 0 || strcmp(zone, "UTC") == 0 ||
	    helm_tz_lookup(&off, abbr, zone, t->sec, NULL) < 0)
		time_zone(t, false);
	else {
		t->off = off;
		snprintf(t->zone, sizeof(t->zone), "%s", abbr);
	}
	return 0;
}

static void
set_formatted(struct gd_tval *out, const struct gotime *t, const char *fmt)
{
	struct gd_buf b;

	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	time_format(&b, t, fmt);
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
}

FN(f_now)
{
	struct gotime t;

	(void)a, (void)n, (void)err;
	time_now(&t, c);
	*out = time_val(&t);
	return 0;
}

FN(f_date)
{
	struct gotime t;

	(void)n, (void)err;
	time_arg(&t, c, &a[1]);
	set_formatted(out, &t, json_string_value(a[0].j));
	return 0;
}

FN(f_date_in_zone)
{
	struct gotime t;
	int rc;

	(void)n;
	time_arg(&t, c, &a[1]);
	if ((rc = time_in_zone(&t, json_string_value(a[2].j), err)) < 0)
		return rc;
	set_formatted(out, &t, json_string_value(a[0].j));
	return 0;
}

FN(f_html_date)
{
	struct gotime t;

	(void)n, (void)err;
	time_arg(&t, c, &a[0]);
	set_formatted(out, &t, "2006-01-02");
	return 0;
}

FN(f_html_date_in_zone)
{
	struct gotime t;
	int rc;

	(void)n;
	time_arg(&t, c, &a[0]);
	if ((rc = time_in_zone(&t, json_string_value(a[1].j), err)) < 0)
		return rc;
	set_formatted(out, &t, "2006-01-02");
	return 0;
}

FN(f_unix_epoch)
{
	const struct gotime *t = a[0].o->data;
	char buf[32];

	(void)c, (void)n, (void)err;
	snprintf(buf, sizeof(buf), "%lld", (long long)t->sec);
	*out = gd_tval_json(json_string_nocheck(buf));
	return 0;
}

/* dateModify: a bad duration leaves the date as it was (mustDateModify
 * reports it) */
FN(f_date_modify)
{
	struct gotime t = *(const struct gotime *)a[1].o->data;
	long long d, ns;

	(void)c, (void)n;
	if (!parse_duration(json_string_value(a[0].j), &d)) {
		if (gd_tmpl_call_ud(c) != NULL)
			return gd_err_set(err, GD_EINVAL,
			    "time: invalid duration \"%s\"",
			    json_string_value(a[0].j));
		*out = gd_tval_copy(&a[1]);
		return 0;
	}
	ns = t.nsec + d % (long long)NS_SEC;
	t.sec += d / (long long)NS_SEC + (ns >= (long long)NS_SEC) - (ns < 0);
	t.nsec = (long)((ns % (long long)NS_SEC + (long long)NS_SEC) %
	    (long long)NS_SEC);
	time_zone(&t, strcmp(t.zone, "UTC") != 0);
	*out = time_val(&t);
	return 0;
}

/* ago: the time since t, rounded to the second */
FN(f_ago)
{
	const struct gotime *t = a[0].o->data;
	struct gotime now;
	long long d;
	struct gd_buf b;

	(void)n, (void)err;
	time_now(&now, c);
	d = (long long)(now.sec - t->sec) * (long long)NS_SEC +
	    (now.nsec - t->nsec);
	/* Duration.Round(Second): halves away from zero */
	d = d < 0 ? -((-d + (long long)NS_SEC / 2) / (long long)NS_SEC) :
		    (d + (long long)NS_SEC / 2) / (long long)NS_SEC;
	gd_buf_init(&b);
	go_duration(&b, d * (long long)NS_SEC);
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

/* a time.Time argument, as Go's reflection demands one */
static int
need_time(const struct gd_tval *v, const char *fn, struct gd_err *err)
{
	if (v->o != NULL && v->o->type == &time_type)
		return 0;
	return gd_err_set(err, GD_EINVAL,
	    "wrong type for value; expected time.Time; got %s (in %s)",
	    gd_tval_typename(v), fn);
}

FN(f_unix_epoch_checked)
{
	int rc;

	if ((rc = need_time(&a[0], "unixEpoch", err)) < 0)
		return rc;
	return f_unix_epoch(out, c, a, n, err);
}

FN(f_date_modify_checked)
{
	int rc;

	if ((rc = need_time(&a[1], "dateModify", err)) < 0)
		return rc;
	return f_date_modify(out, c, a, n, err);
}

FN(f_ago_checked)
{
	int rc;

	if ((rc = need_time(&a[0], "ago", err)) < 0)
		return rc;
	return f_ago(out, c, a, n, err);
}

static int must_mark;

/* --- time.Parse
 * ---------------------------------------------------------------
 */

static bool
digit_at(const char *s, size_t i)
{
	return s[i] >= '0' && s[i] <= '9';
}

/* Go's getnum: one or two digits, two when fixed */
static bool
get_num(const char **s, int *v, bool fixed)
{
	const char *p = *s;

	if (!digit_at(p, 0))
		return false;
	if (!digit_at(p, 1)) {
		if (fixed)
			return false;
		*v = p[0] - '0';
		*s = p + 1;
		return true;
	}
	*v = (p[0] - '0') * 10 + (p[1] - '0');
	*s = p + 2;
	return true;
}

/* Go's skip: literal text, where a space matches any run of spaces */
static bool
skip_lit(const char **v, const char *lit, size_t len)
{
	const char *p = *v;
	size_t i = 0;

	while (i < len) {
		if (lit[i] == ' ') {
			if (*p != '\0' && *p != ' ')
				return false;
			while (i < len && lit[i] == ' ')
				i++;
			while (*p == ' ')
				p++;
			continue;
		}
		if (*p != lit[i])
			return false;
		p++, i++;
	}
	*v = p;
	return true;
}

static int
name_lookup(const char **v, const char *const *tab, size_t n, size_t cut)
{
	size_t i, l;

	for (i = 0; i < n; i++) {
		l = cut ? cut : strlen(tab[i]);
		if (strncasecmp(*v, tab[i], l) == 0) {
			*v += l;
			return (int)i;
		}
	}
	return -1;
}

static int
days_in(long long y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

static int64_t
days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * Go's time.ParseInLocation(layout, value, time.Local), with Go's error
 * texts. Zone abbreviations other than UTC and the local one get offset
 * 0 and keep their name, as Go does.
 */
static int
time_parse(
    struct gotime *t, const char *layout, const char *value, struct gd_err *err)
{
	static const char *const months[] = { "January", "February", "March",
		"April", "May", "June", "July", "August", "September",
		"October", "November", "December" };
	static const char *const days[] = { "Sunday", "Monday", "Tuesday",
		"Wednesday", "Thursday", "Friday", "Saturday" };
	const char *l = layout, *v = value, *elem_start, *range = NULL;
	long long year = 0; /* Go: a layout without a year means year 0 */
	int mon = -1, day = -1, yday = -1, hour = 0, min = 0, sec = 0, x, k;
	long nsec = 0, off = 0;
	bool pm = false, am = false, have_zone = false, ok = true;
	char zname[16] = "";
	size_t lit, len, nd;
	enum std std;

	while (*l != '\0') {
		lit = next_std(l, &std, &len);
		if (!skip_lit(&v, l, lit)) {
			return gd_err_set(err, GD_EINVAL,
			    "parsing time \"%s\" as \"%s\": cannot parse "
			    "\"%s\" as \"%.*s\"",
			    value, layout, v, (int)lit, l);
		}
		l += lit;
		if (std == S_NONE)
			break;
		elem_start = v;
		switch (std) {
		case S_LONG_YEAR:
			ok = digit_at(v, 0) && digit_at(v, 1) &&
			    digit_at(v, 2) && digit_at(v, 3);
			if (ok) {
				year = (v[0] - '0') * 1000 +
				    (v[1] - '0') * 100 + (v[2] - '0') * 10 +
				    (v[3] - '0');
				v += 4;
			}
			break;
		case S_YEAR:
			ok = digit_at(v, 0) && digit_at(v, 1);
			if (ok) {
				year = (v[0] - '0') * 10 + (v[1] - '0');
				year += year >= 69 ? 1900 : 2000;
				v += 2;
			}
			break;
		case S_LONG_MONTH:
		case S_MONTH:
			mon = name_lookup(
				  &v, months, 12, std == S_MONTH ? 3 : 0) +
			    1;
			ok = mon > 0;
			break;
		case S_NUM_MONTH:
		case S_ZERO_MONTH:
			ok = get_num(&v, &mon, std == S_ZERO_MONTH);
			if (ok && (mon <= 0 || mon > 12))
				range = "month";
			break;
		case S_LONG_WEEKDAY:
		case S_WEEKDAY:
			ok = name_lookup(
				 &v, days, 7, std == S_WEEKDAY ? 3 : 0) >= 0;
			break;
		case S_UNDER_DAY:
		case S_DAY:
		case S_ZERO_DAY:
			if (std == S_UNDER_DAY && *v == ' ')
				v++;
			ok = get_num(&v, &day, std == S_ZERO_DAY);
			break;
		case S_UNDER_YEARDAY:
		case S_ZERO_YEARDAY:
			for (nd = 0, x = 0; nd < 3; nd++) {
				if (std == S_UNDER_YEARDAY && nd < 2 &&
				    v[nd] == ' ')
					continue;
				if (!digit_at(v, nd))
					break;
				x = x * 10 + (v[nd] - '0');
			}
			ok = nd == 3;
			if (ok) {
				yday = x, v += 3;
				if (yday < 1 || yday > 366)
					range = "day-of-year";
			}
			break;
		case S_HOUR:
			ok = get_num(&v, &hour, false);
			if (ok && hour >= 24)
				range = "hour";
			break;
		case S_HOUR12:
		case S_ZERO_HOUR12:
			ok = get_num(&v, &hour, std == S_ZERO_HOUR12);
			if (ok && hour > 12)
				range = "hour";
			break;
		case S_MINUTE:
		case S_ZERO_MINUTE:
			ok = get_num(&v, &min, std == S_ZERO_MINUTE);
			if (ok && min >= 60)
				range = "minute";
			break;
		case S_SECOND:
		case S_ZERO_SECOND:
			ok = get_num(&v, &sec, std == S_ZERO_SECOND);
			if (ok && sec >= 60)
				range = "second";
			/* a fraction the layout does not show is read too */
			if (ok && (v[0] == '.' || v[0] == ',') &&
			    digit_at(v, 1)) {
				enum std ns;
				size_t nl;

				next_std(l + len, &ns, &nl);
				if (ns != S_FRAC0 && ns != S_FRAC9) {
					long scale = 100000000;

					for (v++; digit_at(v, 0); v++) {
						nsec += (*v - '0') * scale;
						scale /= 10;
					}
				}
			}
			break;
		case S_PM:
		case S_PM_LOWER:
			ok = v[0] != '\0' && v[1] != '\0';
			if (ok) {
				char p[3] = { v[0], v[1], 0 };
				const char *want = std == S_PM ? "PM" : "pm";
				const char *wam = std == S_PM ? "AM" : "am";

				v += 2;
				pm = strcmp(p, want) == 0;
				am = strcmp(p, wam) == 0;
				ok = pm || am;
			}
			break;
		case S_TZ:
			if (strncmp(v, "UTC", 3) == 0) {
				v += 3, have_zone = true;
				snprintf(zname, sizeof(zname), "UTC");
				break;
			}
			for (nd = 0; nd < 5 && v[nd] >= 'A' && v[nd] <= 'Z';
			     nd++)
				;
			ok = nd >= 3;
			if (ok) {
				snprintf(
				    zname, sizeof(zname), "%.*s", (int)nd, v);
				v += nd, have_zone = true;
			}
			break;
		case S_FRAC0:
			nd = len - 1;
			ok = (*v == l[0]);
			for (k = 1; ok && k <= (int)nd; k++)
				ok = digit_at(v, (size_t)k);
			if (ok) {
				long scale = 100000000;

				for (k = 1; k <= (int)nd; k++) {
					nsec += (v[k] - '0') * scale;
					scale /= 10;
				}
				v += nd + 1;
			}
			break;
		case S_FRAC9:
			if ((v[0] == '.' || v[0] == ',') && digit_at(v, 1)) {
				long scale = 100000000;

				for (v++; digit_at(v, 0); v++) {
					nsec += (*v - '0') * scale;
					scale /= 10;
				}
			}
			break;
		default:
			/* the numeric and ISO zones */
			if (std >= S_ISO_SECONDS_TZ && std <= S_ISO_COLON_TZ &&
			    *v == 'Z') {
				v++, have_zone = true, off = 0;
				snprintf(zname, sizeof(zname), "UTC");
				break;
			}
			{
				bool colon = std == S_ISO_COLON_TZ ||
				    std == S_ISO_COLON_SECONDS_TZ ||
				    std == S_NUM_COLON_TZ ||
				    std == S_NUM_COLON_SECONDS_TZ;
				bool secs = std == S_ISO_SECONDS_TZ ||
				    std == S_ISO_COLON_SECONDS_TZ ||
				    std == S_NUM_SECONDS_TZ ||
				    std == S_NUM_COLON_SECONDS_TZ;
				bool hours = std == S_ISO_SHORT_TZ ||
				    std == S_NUM_SHORT_TZ;
				int hh, mm = 0, ss = 0;
				const char *p = v + 1;

				ok = (*v == '+' || *v == '-') &&
				    get_num(&p, &hh, true);
				if (ok && !hours) {
					if (colon)
						ok = *p++ == ':';
					ok = ok && get_num(&p, &mm, true);
				}
				if (ok && secs) {
					if (colon)
						ok = *p++ == ':';
					ok = ok && get_num(&p, &ss, true);
				}
				if (ok) {
					off = hh * 3600L + mm * 60L + ss;
					if (*v == '-')
						off = -off;
					v = p, have_zone = true;
					zname[0] = '\0';
				}
			}
			break;
		}
		if (range != NULL)
			return gd_err_set(err, GD_EINVAL,
			    "parsing time \"%s\": %s out of range", value,
			    range);
		if (!ok)
			return gd_err_set(err, GD_EINVAL,
			    "parsing time \"%s\" as \"%s\": cannot parse "
			    "\"%s\" as \"%.*s\"",
			    value, layout,
			    std == S_PM || std == S_PM_LOWER ? v : elem_start,
			    (int)len, l);
		l += len;
	}
	if (*v != '\0')
		return gd_err_set(err, GD_EINVAL,
		    "parsing time \"%s\": extra text: \"%s\"", value, v);
	if (pm && hour < 12)
		hour += 12;
	else if (am && hour == 12)
		hour = 0;
	if (yday >= 0) {
		int m = 1, d = yday;

		if (mon >= 0 || day >= 0 ||
		    yday > 365 + (days_in(year, 2) == 29))
			return gd_err_set(err, GD_EINVAL,
			    "parsing time \"%s\": day-of-year out of range",
			    value);
		while (d > days_in(year, m))
			d -= days_in(year, m++);
		mon = m, day = d;
	}
	if (mon < 0)
		mon = 1;
	if (day < 0)
		day = 1;
	if (day < 1 || day > days_in(year, mon))
		return gd_err_set(err, GD_EINVAL,
		    "parsing time \"%s\": day out of range", value);
	memset(t, 0, sizeof(*t));
	t->sec = days_from_civil(year, mon, day) * 86400 + hour * 3600L +
	    min * 60L + sec;
	t->nsec = nsec;
	if (have_zone && strcmp(zname, "UTC") == 0) {
		time_zone(t, false);
		return 0;
	}
	if (have_zone) {
		struct gotime loc = *t;

		t->sec -= off;
		loc.sec = t->sec;
		time_zone(&loc, true);
		/* an offset or a name that is Local's is Local */
		if ((zname[0] == '\0' && loc.off == off) ||
		    (zname[0] != '\0' && strcmp(zname, loc.zone) == 0)) {
			*t = loc;
			return 0;
		}
		t->off = off;
		snprintf(t->zone, sizeof(t->zone), "%s", zname);
		return 0;
	}
	/* wall clock in Local: the offset in force then */
	{
		struct gotime loc = *t;

		time_zone(&loc, true);
		t->sec -= loc.off;
		time_zone(t, true);
	}
	return 0;
}

/* toDate drops the error and gives Go's zero time; mustToDate reports */
FN(f_to_date)
{
	struct gotime t;
	int rc;

	(void)n;
	if ((rc = time_parse(&t, json_string_value(a[0].j),
		 json_string_value(a[1].j), err)) < 0) {
		if (gd_tmpl_call_ud(c) != NULL)
			return rc;
		gd_err_clear(err);
		memset(&t, 0, sizeof(t));
		t.sec = -62135596800LL;
		time_zone(&t, false);
	}
	*out = time_val(&t);
	return 0;
}

const struct gd_tmpl_func helm_sprig_time[] = {
	{ "duration", f_duration, "v", NULL, 0 },
	{ "durationRound", f_duration_round, "v", NULL, GD_TMPL_FN_VARIES },
	{ "ago", f_ago_checked, "v", NULL, GD_TMPL_FN_VARIES },
	{ "date", f_date, "sv", NULL, 0 },
	{ "dateInZone", f_date_in_zone, "svs", NULL, 0 },
	{ "date_in_zone", f_date_in_zone, "svs", NULL, 0 },
	{ "dateModify", f_date_modify_checked, "sv", NULL, 0 },
	{ "date_modify", f_date_modify_checked, "sv", NULL, 0 },
	{ "htmlDate", f_html_date, "v", NULL, 0 },
	{ "htmlDateInZone", f_html_date_in_zone, "vs", NULL, 0 },
	{ "mustDateModify", f_date_modify_checked, "sv", &must_mark, 0 },
	{ "must_date_modify", f_date_modify_checked, "sv", &must_mark, 0 },
	{ "mustToDate", f_to_date, "ss", &must_mark, 0 },
	{ "now", f_now, "", NULL, GD_TMPL_FN_VARIES },
	{ "toDate", f_to_date, "ss", NULL, 0 },
	{ "unixEpoch", f_unix_epoch_checked, "v", NULL, 0 },
	{ NULL, NULL, NULL, NULL, 0 },
};
