/*
 * ext_ip.c — Cedar's `ipaddr` extension type: ip("10.0.0.0/8").
 *
 * A value is a family (IPv4 or IPv6), the address exactly as written (the
 * host bits are *not* masked off, so ip("10.0.0.1/8") != ip("10.0.0.0/8"),
 * as in Cedar) and a prefix length.  Addresses are kept as big-endian bytes
 * so range checks are byte-wise mask/compare without 128-bit arithmetic.
 *
 * Grammar (Cedar language reference / the Lean spec's IPAddr parser):
 *   ipv4  := octet "." octet "." octet "." octet [ "/" prefix(0..32) ]
 *   octet := "0" | [1-9][0-9]{0,2}   (<= 255: leading zeros are rejected)
 *   ipv6  := up to 8 groups of 1-4 hex digits separated by ":", with at
 *            most one "::" standing for one or more zero groups,
 *            [ "/" prefix(0..128) ]
 *   prefix:= "0" | [1-9][0-9]*      (no leading zeros, no sign)
 * IPv4-embedded IPv6 ("::ffff:1.2.3.4") is rejected: '.' is not a hex digit.
 * The input is a (pointer, length) pair and may contain NUL bytes, which
 * are simply invalid characters.
 */
#include "policy/ext.h"

#include <stdio.h>
#include <string.h>

/* Parses a decimal number with no sign and no leading zeros, of at most
 * maxdigits digits and value <= maxval.  Returns -1 on any violation. */
static int parse_small_uint(const char *s, size_t len, size_t maxdigits, unsigned maxval)
{
    if (len == 0 || len > maxdigits || (s[0] == '0' && len > 1))
        return -1;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    return v <= maxval ? (int)v : -1;
}

/* Value of a hex digit of either case, or -1. */
static int hex_digit(char c)
{
    static const char digits[] = "0123456789abcdefABCDEF";
    const char *p = c ? strchr(digits, c) : NULL;
    if (!p)
        return -1;
    int v = (int)(p - digits);
    return v < 16 ? v : v - 6;
}

static int parse_v4(const char *s, size_t len, uint8_t addr[4])
{
    size_t start = 0;
    int n = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.')
            continue;
        if (n == 4)
            return -1;
        int v = parse_small_uint(s + start, i - start, 3, 255);
        if (v < 0)
            return -1;
        addr[n++] = (uint8_t)v;
        start = i + 1;
    }
    return n == 4 ? 0 : -1;
}

/* Parses ':'-separated hex groups (an empty string is zero groups) into
 * groups[], at most max of them; returns the count or -1. */
static int parse_v6_groups(const char *s, size_t len, uint16_t *groups, int max)
{
    if (len == 0)
        return 0;
    int n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != ':')
            continue;
        size_t glen = i - start;
        if (glen == 0 || glen > 4 || n == max)
            return -1;
        unsigned v = 0;
        for (size_t k = start; k < i; k++) {
            int h = hex_digit(s[k]);
            if (h < 0)
                return -1;
            v = v * 16 + (unsigned)h;
        }
        groups[n++] = (uint16_t)v;
        start = i + 1;
    }
    return n;
}

static int parse_v6(const char *s, size_t len, uint8_t addr[16])
{
    uint16_t g[8] = {0}, tail[8];
    const char *dbl = NULL;
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] == ':' && s[i + 1] == ':') {
            if (dbl)
                return -1;          /* a second "::" (":::" included) */
            dbl = s + i;
            i++;
        }
    }
    if (!dbl) {
        if (parse_v6_groups(s, len, g, 8) != 8)
            return -1;
    } else {
        size_t llen = (size_t)(dbl - s);
        int nl = parse_v6_groups(s, llen, g, 7);
        if (nl < 0)
            return -1;
        int nr = parse_v6_groups(dbl + 2, len - llen - 2, tail, 7);
        if (nr < 0 || nl + nr > 7)  /* "::" must stand for >= 1 zero group */
            return -1;
        memcpy(g + 8 - nr, tail, (size_t)nr * sizeof tail[0]);
    }
    for (int i = 0; i < 8; i++) {
        addr[2 * i] = (uint8_t)(g[i] >> 8);
        addr[2 * i + 1] = (uint8_t)(g[i] & 0xff);
    }
    return 0;
}

int wr_ext_ip_parse(const char *s, size_t len, wr_ipaddr *out)
{
    wr_ipaddr r;
    memset(&r, 0, sizeof r);
    size_t alen = len;
    const char *slash = memchr(s, '/', len);
    if (slash)
        alen = (size_t)(slash - s);
    if (parse_v4(s, alen, r.addr) == 0) {
        r.v6 = 0;
        r.prefix = 32;
    } else if (parse_v6(s, alen, r.addr) == 0) {
        r.v6 = 1;
        r.prefix = 128;
    } else {
        return WR_EINVAL;
    }
    if (slash) {
        /* a second '/' lands in the prefix text and fails the digit check */
        int p = parse_small_uint(slash + 1, len - alen - 1, r.v6 ? 3 : 2, r.prefix);
        if (p < 0)
            return WR_EINVAL;
        r.prefix = (uint8_t)p;
    }
    *out = r;
    return WR_OK;
}

bool wr_ext_ip_is_ipv4(const wr_ipaddr *a) { return !a->v6; }
bool wr_ext_ip_is_ipv6(const wr_ipaddr *a) { return a->v6 != 0; }

/* Lowest (network) and highest (broadcast) address of a range. */
static void ip_bounds(const wr_ipaddr *a, uint8_t lo[16], uint8_t hi[16])
{
    int nbytes = a->v6 ? 16 : 4;
    for (int i = 0; i < nbytes; i++) {
        int bits = (int)a->prefix - 8 * i;  /* network bits in this byte */
        uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
        lo[i] = a->addr[i] & mask;
        hi[i] = a->addr[i] | (uint8_t)~mask;
    }
}

bool wr_ext_ip_in_range(const wr_ipaddr *a, const wr_ipaddr *b)
{
    if (a->v6 != b->v6)
        return false;
    uint8_t alo[16], ahi[16], blo[16], bhi[16];
    size_t n = a->v6 ? 16 : 4;
    ip_bounds(a, alo, ahi);
    ip_bounds(b, blo, bhi);
    return memcmp(blo, alo, n) <= 0 && memcmp(ahi, bhi, n) <= 0;
}

/* Cedar defines both predicates as isInRange of a fixed network. */
static bool in_fixed_net(const wr_ipaddr *a, uint8_t v4_first, uint8_t v4_prefix,
                         const uint8_t v6_addr[16], uint8_t v6_prefix)
{
    wr_ipaddr net;
    memset(&net, 0, sizeof net);
    net.v6 = a->v6;
    if (a->v6) {
        memcpy(net.addr, v6_addr, 16);
        net.prefix = v6_prefix;
    } else {
        net.addr[0] = v4_first;
        net.prefix = v4_prefix;
    }
    return wr_ext_ip_in_range(a, &net);
}

bool wr_ext_ip_is_loopback(const wr_ipaddr *a)
{
    static const uint8_t v6[16] = {[15] = 1};                 /* ::1/128 */
    return in_fixed_net(a, 127, 8, v6, 128);                  /* 127.0.0.0/8 */
}

bool wr_ext_ip_is_multicast(const wr_ipaddr *a)
{
    static const uint8_t v6[16] = {[0] = 0xff};               /* ff00::/8 */
    return in_fixed_net(a, 224, 4, v6, 8);                    /* 224.0.0.0/4 */
}

bool wr_ext_ip_equal(const wr_ipaddr *a, const wr_ipaddr *b)
{
    return a->v6 == b->v6 && a->prefix == b->prefix &&
           memcmp(a->addr, b->addr, a->v6 ? 16 : 4) == 0;
}

/* IPv4 dotted quad, or IPv6 in RFC 5952 form (lower-case hex, the longest
 * run of two or more zero groups — the first if tied — written "::"); never
 * the mixed IPv4 notation, which ip() would refuse.  "/prefix" is added when
 * the value is a range. */
void wr_ext_ip_format(const wr_ipaddr *a, char *out, size_t outlen)
{
    char buf[64];
    size_t n = 0;
    if (!outlen)
        return;
    if (!a->v6) {
        n = (size_t)snprintf(buf, sizeof buf, "%u.%u.%u.%u", a->addr[0], a->addr[1],
                             a->addr[2], a->addr[3]);
    } else {
        unsigned g[8];
        int best = -1, bestlen = 1;
        for (int i = 0; i < 8; i++)
            g[i] = (unsigned)a->addr[2 * i] << 8 | a->addr[2 * i + 1];
        for (int i = 0; i < 8;) {
            int j = i;
            while (j < 8 && g[j] == 0)
                j++;
            if (j - i > bestlen) {
                best = i;
                bestlen = j - i;
            }
            i = j > i ? j : i + 1;
        }
        for (int i = 0; i < 8; i++) {
            if (i == best) {
                n += (size_t)snprintf(buf + n, sizeof buf - n, "::");
                i += bestlen - 1;
                continue;
            }
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%x",
                                  (i == 0 || i == best + bestlen) ? "" : ":", g[i]);
        }
    }
    if (a->prefix != (a->v6 ? 128 : 32))
        snprintf(buf + n, sizeof buf - n, "/%u", a->prefix);
    snprintf(out, outlen, "%s", buf);
}
