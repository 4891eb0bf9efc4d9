/*
 * ext_stub_tmp.c — TEMPORARY minimal implementation of lib/policy/ext.h so
 * the Cedar engine links before the extension-types branch is merged.
 * Delete this file when lib/policy/ext_*.c (the real implementation)
 * lands; the two define the same symbols.
 */
#include "policy/ext.h"

#include <stdio.h>
#include <string.h>

static int dig(char c) { return c >= '0' && c <= '9'; }

static int parse_prefix(const char *s, size_t len, size_t *i, int max, uint8_t *out)
{
    if (*i == len) {
        *out = (uint8_t)max;
        return WR_OK;
    }
    if (s[*i] != '/' || ++*i == len)
        return WR_EINVAL;
    int v = 0, n = 0;
    while (*i < len && dig(s[*i])) {
        v = v * 10 + (s[(*i)++] - '0');
        if (++n > 3 || v > max)
            return WR_EINVAL;
    }
    if (*i != len || (n > 1 && s[*i - (size_t)n] == '0'))
        return WR_EINVAL;
    *out = (uint8_t)v;
    return WR_OK;
}

static int hexd(char c)
{
    if (dig(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int wr_ext_ip_parse(const char *s, size_t len, wr_ipaddr *out)
{
    wr_ipaddr a;
    memset(&a, 0, sizeof a);
    size_t i = 0;
    if (memchr(s, ':', len)) {
        a.v6 = 1;
        uint16_t g[8];
        int n = 0, gap = -1;
        if (len >= 2 && s[0] == ':' && s[1] == ':') {
            gap = 0;
            i = 2;
        } else if (len && s[0] == ':') {
            return WR_EINVAL;
        }
        while (i < len && s[i] != '/') {
            int v = 0, nd = 0;
            while (i < len && hexd(s[i]) >= 0) {
                v = v * 16 + hexd(s[i++]);
                if (++nd > 4)
                    return WR_EINVAL;
            }
            if (!nd || n == 8)
                return WR_EINVAL;
            g[n++] = (uint16_t)v;
            if (i < len && s[i] == ':') {
                i++;
                if (i < len && s[i] == ':') {
                    if (gap >= 0)
                        return WR_EINVAL;
                    gap = n;
                    i++;
                } else if (i == len || s[i] == '/') {
                    return WR_EINVAL;
                }
            } else if (i < len && s[i] != '/') {
                return WR_EINVAL;
            }
        }
        if ((gap < 0 && n != 8) || (gap >= 0 && n > 7))
            return WR_EINVAL;
        uint16_t full[8] = {0};
        if (gap < 0) {
            memcpy(full, g, sizeof full);
        } else {
            for (int k = 0; k < gap; k++) full[k] = g[k];
            for (int k = gap; k < n; k++) full[8 - (n - k)] = g[k];
        }
        for (int k = 0; k < 8; k++) {
            a.addr[2 * k] = (uint8_t)(full[k] >> 8);
            a.addr[2 * k + 1] = (uint8_t)full[k];
        }
        if (parse_prefix(s, len, &i, 128, &a.prefix))
            return WR_EINVAL;
    } else {
        for (int k = 0; k < 4; k++) {
            int v = 0, nd = 0;
            size_t st = i;
            while (i < len && dig(s[i])) {
                v = v * 10 + (s[i++] - '0');
                if (++nd > 3)
                    return WR_EINVAL;
            }
            if (!nd || v > 255 || (nd > 1 && s[st] == '0'))
                return WR_EINVAL;
            a.addr[k] = (uint8_t)v;
            if (k < 3 && (i == len || s[i++] != '.'))
                return WR_EINVAL;
        }
        if (parse_prefix(s, len, &i, 32, &a.prefix))
            return WR_EINVAL;
    }
    *out = a;
    return WR_OK;
}

bool wr_ext_ip_is_ipv4(const wr_ipaddr *a) { return !a->v6; }
bool wr_ext_ip_is_ipv6(const wr_ipaddr *a) { return a->v6; }

static bool in_net(const wr_ipaddr *a, const uint8_t *net, int plen)
{
    /* every address of range a lies in net/plen */
    if (a->prefix < plen)
        return false;
    for (int b = 0; b < plen; b++)
        if (((a->addr[b / 8] >> (7 - b % 8)) & 1) != ((net[b / 8] >> (7 - b % 8)) & 1))
            return false;
    return true;
}

bool wr_ext_ip_is_loopback(const wr_ipaddr *a)
{
    static const uint8_t v4[16] = {127}, v6[16] = {[15] = 1};
    return a->v6 ? in_net(a, v6, 128) : in_net(a, v4, 8);
}

bool wr_ext_ip_is_multicast(const wr_ipaddr *a)
{
    static const uint8_t v4[16] = {224}, v6[16] = {0xff};
    return a->v6 ? in_net(a, v6, 8) : in_net(a, v4, 4);
}

bool wr_ext_ip_in_range(const wr_ipaddr *a, const wr_ipaddr *b)
{
    return a->v6 == b->v6 && in_net(a, b->addr, b->prefix);
}

bool wr_ext_ip_equal(const wr_ipaddr *a, const wr_ipaddr *b)
{
    return a->v6 == b->v6 && a->prefix == b->prefix &&
           memcmp(a->addr, b->addr, a->v6 ? 16 : 4) == 0;
}

void wr_ext_ip_format(const wr_ipaddr *a, char *out, size_t outlen)
{
    if (!a->v6) {
        snprintf(out, outlen, "%u.%u.%u.%u/%u", a->addr[0], a->addr[1], a->addr[2], a->addr[3],
                 a->prefix);
        return;
    }
    size_t k = 0;
    for (int i = 0; i < 8 && k < outlen; i++)
        k += (size_t)snprintf(out + k, outlen - k, "%s%x", i ? ":" : "",
                              (unsigned)(a->addr[2 * i] << 8 | a->addr[2 * i + 1]));
    if (k < outlen)
        snprintf(out + k, outlen - k, "/%u", a->prefix);
}

int wr_ext_decimal_parse(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < len && s[i] == '-') {
        neg = true;
        i++;
    }
    int64_t v = 0;
    size_t st = i;
    while (i < len && dig(s[i])) {
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i] - '0', &v))
            return WR_ELIMIT;
        i++;
    }
    if (i == st || i == len || s[i] != '.')
        return WR_EINVAL;
    i++;
    int nf = 0;
    while (i < len && dig(s[i])) {
        if (++nf > 4)
            return WR_EINVAL;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i] - '0', &v))
            return WR_ELIMIT;
        i++;
    }
    if (!nf || i != len)
        return WR_EINVAL;
    for (; nf < 4; nf++)
        if (__builtin_mul_overflow(v, 10, &v))
            return WR_ELIMIT;
    *out = neg ? -v : v;
    return WR_OK;
}

void wr_ext_decimal_format(int64_t v, char *out, size_t outlen)
{
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    snprintf(out, outlen, "%s%llu.%04llu", v < 0 ? "-" : "", (unsigned long long)(u / 10000),
             (unsigned long long)(u % 10000));
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int num(const char *s, size_t len, size_t *i, int n, int *v)
{
    *v = 0;
    for (int k = 0; k < n; k++, (*i)++) {
        if (*i >= len || !dig(s[*i]))
            return -1;
        *v = *v * 10 + (s[*i] - '0');
    }
    return 0;
}

int wr_ext_datetime_parse(const char *s, size_t len, int64_t *ms)
{
    size_t i = 0;
    int y, mo, d, h = 0, mi = 0, se = 0, frac = 0, off = 0;
    if (num(s, len, &i, 4, &y) || i >= len || s[i++] != '-' || num(s, len, &i, 2, &mo) ||
        i >= len || s[i++] != '-' || num(s, len, &i, 2, &d))
        return WR_EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > 31)
        return WR_EINVAL;
    if (i < len) {
        if (s[i++] != 'T' || num(s, len, &i, 2, &h) || i >= len || s[i++] != ':' ||
            num(s, len, &i, 2, &mi) || i >= len || s[i++] != ':' || num(s, len, &i, 2, &se))
            return WR_EINVAL;
        if (h > 23 || mi > 59 || se > 59)
            return WR_EINVAL;
        if (i < len && s[i] == '.') {
            i++;
            if (num(s, len, &i, 3, &frac))
                return WR_EINVAL;
        }
        if (i >= len)
            return WR_EINVAL;
        if (s[i] == 'Z') {
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            int sign = s[i++] == '-' ? -1 : 1, oh, om;
            if (num(s, len, &i, 2, &oh) || num(s, len, &i, 2, &om) || oh > 23 || om > 59)
                return WR_EINVAL;
            off = sign * (oh * 60 + om);
        } else {
            return WR_EINVAL;
        }
        if (i != len)
            return WR_EINVAL;
    }
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    *ms = ((days * 86400 + h * 3600 + mi * 60 + se) - (int64_t)off * 60) * 1000 + frac;
    return WR_OK;
}

int wr_ext_duration_parse(const char *s, size_t len, int64_t *ms)
{
    size_t i = 0;
    bool neg = false;
    if (i < len && s[i] == '-') {
        neg = true;
        i++;
    }
    static const struct { const char *u; int64_t f; } units[] = {
        {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
    int next = 0;
    int64_t total = 0;
    if (i == len)
        return WR_EINVAL;
    while (i < len) {
        int64_t v = 0;
        size_t st = i;
        while (i < len && dig(s[i]))
            if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i++] - '0', &v))
                return WR_ELIMIT;
        if (i == st || i == len)
            return WR_EINVAL;
        int u = -1;
        if (s[i] == 'm' && i + 1 < len && s[i + 1] == 's')
            u = 4;
        else if (s[i] == 'd') u = 0;
        else if (s[i] == 'h') u = 1;
        else if (s[i] == 'm') u = 2;
        else if (s[i] == 's') u = 3;
        if (u < next)
            return WR_EINVAL;
        i += strlen(units[u].u);
        next = u + 1;
        int64_t p;
        if (__builtin_mul_overflow(v, units[u].f, &p) || __builtin_add_overflow(total, p, &total))
            return WR_ELIMIT;
    }
    *ms = neg ? -total : total;
    return WR_OK;
}

int wr_ext_datetime_offset(int64_t dt, int64_t dur, int64_t *out)
{
    return __builtin_add_overflow(dt, dur, out) ? WR_ELIMIT : WR_OK;
}

int wr_ext_datetime_duration_since(int64_t dt, int64_t other, int64_t *out)
{
    return __builtin_sub_overflow(dt, other, out) ? WR_ELIMIT : WR_OK;
}

int wr_ext_datetime_to_date(int64_t dt, int64_t *out)
{
    int64_t day = 86400000, q = dt / day;
    if (dt % day < 0)
        q--;
    return __builtin_mul_overflow(q, day, out) ? WR_ELIMIT : WR_OK;
}

int64_t wr_ext_datetime_to_time(int64_t dt)
{
    int64_t r = dt % 86400000;
    return r < 0 ? r + 86400000 : r;
}

int64_t wr_ext_duration_to(int64_t dur, int64_t unit_ms) { return dur / unit_ms; }

void wr_ext_datetime_format(int64_t ms, char *out, size_t outlen)
{
    snprintf(out, outlen, "%lld", (long long)ms);
}

void wr_ext_duration_format(int64_t ms, char *out, size_t outlen)
{
    snprintf(out, outlen, "%lldms", (long long)ms);
}
