/*
 * ext_datetime.c — Cedar's `datetime` and `duration` extension types.
 *
 * Both are int64 milliseconds: a datetime counts non-leap milliseconds
 * since 1970-01-01T00:00:00Z (proleptic Gregorian calendar, UTC); a
 * duration is a signed span.  Keeping both as plain integers makes every
 * comparison an integer comparison and every operation a checked add/sub.
 *
 * datetime grammar (Cedar language reference), ASCII digits only:
 *   YYYY-MM-DD
 *   YYYY-MM-DDThh:mm:ssZ
 *   YYYY-MM-DDThh:mm:ss.SSSZ
 *   YYYY-MM-DDThh:mm:ss(+|-)hhmm
 *   YYYY-MM-DDThh:mm:ss.SSS(+|-)hhmm
 * Year 0000-9999; the day must exist in that month (leap years included);
 * hh < 24, mm < 60, ss < 60 (no leap second "60"); exactly three digits of
 * milliseconds; offset hours < 24 and minutes < 60.  The instant is the
 * local time minus the offset.
 *
 * duration grammar: "-"? ([0-9]+ "d")? ([0-9]+ "h")? ([0-9]+ "m")?
 *   ([0-9]+ "s")? ([0-9]+ "ms")?, not empty and not just "-".  Units appear
 * in that order, each at most once; the sign applies to the whole span.  A
 * total outside int64 milliseconds is an overflow (WR_ELIMIT); note that
 * "-9223372036854775808ms" (INT64_MIN) is accepted, as the reference
 * implementation does.
 */
#include "policy/ext.h"

#include <stdio.h>
#include <string.h>

#define MS_PER_SEC 1000LL
#define MS_PER_MIN (60 * MS_PER_SEC)
#define MS_PER_HOUR (60 * MS_PER_MIN)
#define MS_PER_DAY (24 * MS_PER_HOUR)

/* ---- calendar arithmetic ---------------------------------------------------
 * Days from 1970-01-01 to a proleptic Gregorian date and back, by counting
 * 400-year eras (146097 days each) of a year that starts on March 1st, so
 * the leap day falls at the end of the year.  Valid for any int64 day count
 * that the callers pass (at most ~1.07e14 days from int64 milliseconds). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                  /* [0, 399] */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* Matches s[*i..] against a fixed pattern in which each '#' is one ASCII
 * digit and any other character must appear literally; each run of '#'
 * is stored as a number in vals[].  On success advances *i. */
static bool scan(const char *s, size_t len, size_t *i, const char *pat, int *vals)
{
    size_t k = *i;
    int nv = -1;
    for (const char *p = pat; *p; p++, k++) {
        if (k >= len)
            return false;
        if (*p != '#') {
            if (s[k] != *p)
                return false;
            continue;
        }
        if (s[k] < '0' || s[k] > '9')
            return false;
        if (p == pat || p[-1] != '#')
            vals[++nv] = 0;
        vals[nv] = vals[nv] * 10 + (s[k] - '0');
    }
    *i = k;
    return true;
}

int wr_ext_datetime_parse(const char *s, size_t len, int64_t *ms)
{
    size_t i = 0;
    int ymd[3], hms[3], off = 0, milli = 0;
    if (!scan(s, len, &i, "####-##-##", ymd) || ymd[1] < 1 || ymd[1] > 12 || ymd[2] < 1 ||
        ymd[2] > days_in_month(ymd[0], ymd[1]))
        return WR_EINVAL;
    int64_t t = days_from_civil(ymd[0], ymd[1], ymd[2]) * MS_PER_DAY;
    if (i == len) {
        *ms = t;
        return WR_OK;
    }
    if (!scan(s, len, &i, "T##:##:##", hms) || hms[0] > 23 || hms[1] > 59 || hms[2] > 59)
        return WR_EINVAL;
    if (i < len && s[i] == '.' && !scan(s, len, &i, ".###", &milli))
        return WR_EINVAL;
    t += hms[0] * MS_PER_HOUR + hms[1] * MS_PER_MIN + hms[2] * MS_PER_SEC + milli;
    if (i < len && s[i] == 'Z') {
        i++;                            /* UTC */
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '+' ? 1 : -1;
        i++;
        if (!scan(s, len, &i, "####", &off))
            return WR_EINVAL;
        int oh = off / 100, om = off % 100;
        if (oh > 23 || om > 59)
            return WR_EINVAL;
        t -= sign * (oh * MS_PER_HOUR + om * MS_PER_MIN);
    } else {
        return WR_EINVAL;
    }
    if (i != len)
        return WR_EINVAL;
    *ms = t;
    return WR_OK;
}

/* Duration units, largest first: the only order a duration may use. */
static const struct {
    const char *unit;
    uint64_t ms;
} units[] = {{"d", MS_PER_DAY}, {"h", MS_PER_HOUR}, {"m", MS_PER_MIN},
             {"s", MS_PER_SEC}, {"ms", 1}};

int wr_ext_duration_parse(const char *s, size_t len, int64_t *ms)
{
    size_t i = 0;
    bool neg = false, overflow = false;
    if (i < len && s[i] == '-') {
        neg = true;
        i++;
    }
    if (i == len)
        return WR_EINVAL;               /* "" and "-" */
    /* The magnitude is summed as uint64 and capped at 2^63 (|INT64_MIN|);
     * syntax is checked to the end even after an overflow so that malformed
     * text is always WR_EINVAL. */
    const uint64_t limit = (uint64_t)INT64_MAX + 1;
    uint64_t total = 0;
    size_t next_unit = 0;
    while (i < len) {
        size_t start = i;
        uint64_t q = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            uint64_t dg = (uint64_t)(s[i] - '0');
            if (q > (limit - dg) / 10)
                overflow = true;
            else
                q = q * 10 + dg;
            i++;
        }
        if (i == start || i == len)
            return WR_EINVAL;           /* a number needs a unit and vice versa */
        size_t ulen = (s[i] == 'm' && i + 1 < len && s[i + 1] == 's') ? 2 : 1;
        size_t u = next_unit;
        while (u < 5 && !(strlen(units[u].unit) == ulen &&
                          memcmp(units[u].unit, s + i, ulen) == 0))
            u++;
        if (u == 5)
            return WR_EINVAL;           /* unknown, repeated or out-of-order unit */
        i += ulen;
        next_unit = u + 1;
        if (q > 0 && q > (limit - total) / units[u].ms)
            overflow = true;
        else
            total += q * units[u].ms;
    }
    if (overflow || (!neg && total == limit))
        return WR_ELIMIT;
    *ms = neg ? (total == limit ? INT64_MIN : -(int64_t)total) : (int64_t)total;
    return WR_OK;
}

int wr_ext_datetime_offset(int64_t dt, int64_t dur, int64_t *out)
{
    int64_t r;
    if (__builtin_add_overflow(dt, dur, &r))
        return WR_ELIMIT;
    *out = r;
    return WR_OK;
}

int wr_ext_datetime_duration_since(int64_t dt, int64_t other, int64_t *out)
{
    int64_t r;
    if (__builtin_sub_overflow(dt, other, &r))
        return WR_ELIMIT;
    *out = r;
    return WR_OK;
}

/* Milliseconds into the (UTC) day, always in [0, MS_PER_DAY). */
static int64_t ms_of_day(int64_t dt)
{
    int64_t rem = dt % MS_PER_DAY;
    return rem < 0 ? rem + MS_PER_DAY : rem;
}

int wr_ext_datetime_to_date(int64_t dt, int64_t *out)
{
    int64_t r;
    /* flooring can step below INT64_MIN for the earliest representable day */
    if (__builtin_sub_overflow(dt, ms_of_day(dt), &r))
        return WR_ELIMIT;
    *out = r;
    return WR_OK;
}

int64_t wr_ext_datetime_to_time(int64_t dt)
{
    return ms_of_day(dt);
}

int64_t wr_ext_duration_to(int64_t dur, int64_t unit_ms)
{
    /* C's '/' truncates toward zero, as Cedar's toSeconds() etc. do */
    return unit_ms > 0 ? dur / unit_ms : 0;
}

/* The literal grammar only has years 0000-9999.  An instant whose UTC
 * calendar date falls just outside (reachable by parsing an offset, e.g.
 * "0000-01-01T00:00:00+0100") is written with the smallest whole-minute
 * offset that brings its local date back into range, so every parsed value
 * re-parses to itself.  Values further out (only reachable through
 * offset()) use an expanded signed year, which is for display only. */
void wr_ext_datetime_format(int64_t ms, char *out, size_t outlen)
{
    static const int64_t min_ok = -62167219200000LL;   /* 0000-01-01T00:00:00Z */
    static const int64_t max_ok = 253402300799999LL;   /* 9999-12-31T23:59:59.999Z */
    const int64_t max_shift = 23 * MS_PER_HOUR + 59 * MS_PER_MIN;
    int64_t shift = 0;                                  /* local - utc */
    if (ms < min_ok && min_ok - ms <= max_shift)
        shift = (min_ok - ms + MS_PER_MIN - 1) / MS_PER_MIN * MS_PER_MIN;
    else if (ms > max_ok && ms - max_ok <= max_shift)
        shift = -((ms - max_ok + MS_PER_MIN - 1) / MS_PER_MIN * MS_PER_MIN);
    int64_t local = ms + shift;                         /* cannot overflow: shift is 0 near the ends */
    int64_t day = local / MS_PER_DAY - (local % MS_PER_DAY < 0);
    int64_t tod = ms_of_day(local);
    int64_t y;
    int m, d;
    civil_from_days(day, &y, &m, &d);
    char year[24], frac[8] = "", zone[8] = "Z";
    if (y >= 0 && y <= 9999)
        snprintf(year, sizeof year, "%04lld", (long long)y);
    else
        snprintf(year, sizeof year, "%+lld", (long long)y);
    if (tod % MS_PER_SEC)
        snprintf(frac, sizeof frac, ".%03lld", (long long)(tod % MS_PER_SEC));
    if (shift) {
        int64_t a = shift < 0 ? -shift : shift;
        snprintf(zone, sizeof zone, "%c%02lld%02lld", shift < 0 ? '-' : '+',
                 (long long)(a / MS_PER_HOUR), (long long)(a % MS_PER_HOUR / MS_PER_MIN));
    }
    snprintf(out, outlen, "%s-%02d-%02dT%02lld:%02lld:%02lld%s%s", year, m, d,
             (long long)(tod / MS_PER_HOUR), (long long)(tod % MS_PER_HOUR / MS_PER_MIN),
             (long long)(tod % MS_PER_MIN / MS_PER_SEC), frac, zone);
}

void wr_ext_duration_format(int64_t ms, char *out, size_t outlen)
{
    char buf[96];
    size_t n = 0;
    uint64_t mag = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    if (ms < 0)
        buf[n++] = '-';
    buf[n] = '\0';
    if (mag == 0)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "0ms");
    for (size_t u = 0; u < 5; u++) {
        uint64_t q = mag / units[u].ms;
        mag %= units[u].ms;
        if (q)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%llu%s", (unsigned long long)q,
                                  units[u].unit);
    }
    snprintf(out, outlen, "%s", buf);
}
