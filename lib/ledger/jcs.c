/*
 * jcs.c — the JSON Canonicalization Scheme (RFC 8785).
 *
 * A canonical form makes "the same JSON" mean "the same bytes", which is
 * what lets a Merkle leaf commit to a JSON entry.  The rules:
 *   - no insignificant whitespace;
 *   - object members sorted by their names compared as arrays of UTF-16
 *     code units (not code points, not UTF-8 bytes: U+1F600 sorts before
 *     U+FB33 because its first unit is the surrogate 0xD83D);
 *   - strings escape only '"', '\\' and U+0000..U+001F (\b \t \n \f \r
 *     short forms, else \u00xx with lower-case hex); everything else,
 *     including '/', DEL and non-ASCII, is written as UTF-8;
 *   - numbers are written as ECMAScript's Number.prototype.toString would
 *     write the IEEE 754 double: the shortest digit string that reads back
 *     to the same double, in plain notation for 1e-6 <= |v| < 1e21 and
 *     exponent notation otherwise; -0 is "0"; NaN and Infinity are errors.
 * Integers held by jansson as json_int_t are written exactly, but only up
 * to 2^53 in magnitude: beyond that a double cannot hold them, and an
 * audit log must not silently change a number.
 *
 * The shortest round-trip digits come from printf("%.*e") at increasing
 * precision until strtod gives the value back: glibc prints exactly
 * rounded decimals, so the first precision that round-trips yields the
 * digits closest to the value, as ECMAScript requires.
 */
#include "warrant/ledger.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JCS_MAX_DEPTH 256
#define JCS_PATH_MAX 256

typedef struct jcs_ctx {
    wr_buf out;
    char path[JCS_PATH_MAX];
    size_t plen;
    wr_err *err;
} jcs_ctx;

static int jcs_put(jcs_ctx *c, const void *p, size_t n)
{
    int rc = wr_buf_append(&c->out, p, n);
    if (rc)
        return wr_fail(c->err, rc, "%s: canonical JSON larger than %zu bytes", c->path,
                       c->out.max ? c->out.max : WR_BUF_DEFAULT_MAX);
    return WR_OK;
}

/* Decodes one UTF-8 sequence at s[*i]; returns the code point or -1. */
static long utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned c = s[*i];
    size_t need;
    long cp, min;
    if (c < 0x80) {
        (*i)++;
        return c;
    } else if ((c & 0xe0) == 0xc0) {
        need = 1, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        need = 2, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        need = 3, cp = c & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    if (*i + need >= len)
        return -1;
    for (size_t k = 1; k <= need; k++) {
        unsigned cc = s[*i + k];
        if ((cc & 0xc0) != 0x80)
            return -1;
        cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *i += need + 1;
    return cp;
}

static int jcs_string(jcs_ctx *c, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    int rc;
    if ((rc = jcs_put(c, "\"", 1)))
        return rc;
    size_t i = 0, run = 0;
    while (i < len) {
        size_t at = i;
        long cp = utf8_next(u, len, &i);
        if (cp < 0)
            return wr_fail(c->err, WR_EINVAL, "%s: invalid UTF-8 at byte %zu of a string",
                           c->path, at);
        const char *esc = NULL;
        char ubuf[7];
        if (cp == '"')
            esc = "\\\"";
        else if (cp == '\\')
            esc = "\\\\";
        else if (cp == '\b')
            esc = "\\b";
        else if (cp == '\t')
            esc = "\\t";
        else if (cp == '\n')
            esc = "\\n";
        else if (cp == '\f')
            esc = "\\f";
        else if (cp == '\r')
            esc = "\\r";
        else if (cp < 0x20) {
            memcpy(ubuf, "\\u00", 4);
            ubuf[4] = hex[cp >> 4];
            ubuf[5] = hex[cp & 15];
            ubuf[6] = '\0';
            esc = ubuf;
        }
        if (!esc) {
            run += i - at;
            continue;
        }
        /* flush the literal run before the escape */
        if (run && (rc = jcs_put(c, s + at - run, run)))
            return rc;
        run = 0;
        if ((rc = jcs_put(c, esc, strlen(esc))))
            return rc;
    }
    if (run && (rc = jcs_put(c, s + len - run, run)))
        return rc;
    return jcs_put(c, "\"", 1);
}

int wr_jcs_number(double v, char out[32])
{
    if (!isfinite(v))
        return WR_EINVAL;
    if (v == 0) {
        strcpy(out, "0");
        return WR_OK;
    }
    char buf[40];
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* buf = [-]d[.ddd]e(+|-)xx: split into digits and decimal exponent */
    char digits[24];
    int k = 0, neg = buf[0] == '-';
    const char *q = buf + neg;
    for (; *q && *q != 'e'; q++)
        if (*q != '.')
            digits[k++] = *q;
    while (k > 1 && digits[k - 1] == '0')
        k--;
    digits[k] = '\0';
    int n = atoi(q + 1) + 1;   /* value = 0.digits * 10^n */
    char *o = out;
    if (neg)
        *o++ = '-';
    if (k <= n && n <= 21) {
        memcpy(o, digits, (size_t)k);
        o += k;
        for (int z = 0; z < n - k; z++)
            *o++ = '0';
    } else if (0 < n && n <= 21) {
        memcpy(o, digits, (size_t)n);
        o += n;
        *o++ = '.';
        memcpy(o, digits + n, (size_t)(k - n));
        o += k - n;
    } else if (-6 < n && n <= 0) {
        *o++ = '0';
        *o++ = '.';
        for (int z = 0; z < -n; z++)
            *o++ = '0';
        memcpy(o, digits, (size_t)k);
        o += k;
    } else {
        *o++ = digits[0];
        if (k > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, (size_t)(k - 1));
            o += k - 1;
        }
        o += sprintf(o, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
    }
    *o = '\0';
    return WR_OK;
}

/* Object members sorted by UTF-16 code units. */
typedef struct jcs_member {
    const char *key;
    size_t klen;
    uint16_t *u16;
    size_t n16;
    json_t *value;
} jcs_member;

static int to_utf16(const char *s, size_t len, uint16_t **out, size_t *n)
{
    uint16_t *u = malloc((len + 1) * sizeof *u);
    if (!u)
        return WR_ENOMEM;
    size_t i = 0, k = 0;
    while (i < len) {
        long cp = utf8_next((const unsigned char *)s, len, &i);
        if (cp < 0) {
            free(u);
            return WR_EINVAL;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            u[k++] = (uint16_t)(0xd800 | (cp >> 10));
            u[k++] = (uint16_t)(0xdc00 | (cp & 0x3ff));
        } else {
            u[k++] = (uint16_t)cp;
        }
    }
    *out = u;
    *n = k;
    return WR_OK;
}

static int member_cmp(const void *a, const void *b)
{
    const jcs_member *x = a, *y = b;
    size_t n = x->n16 < y->n16 ? x->n16 : y->n16;
    for (size_t i = 0; i < n; i++)
        if (x->u16[i] != y->u16[i])
            return x->u16[i] < y->u16[i] ? -1 : 1;
    return x->n16 < y->n16 ? -1 : x->n16 > y->n16;
}

static int jcs_value(jcs_ctx *c, const json_t *v, int depth);

static void path_push(jcs_ctx *c, size_t *saved, const char *fmt, ...) WR_PRINTF(3, 4);
static void path_push(jcs_ctx *c, size_t *saved, const char *fmt, ...)
{
    *saved = c->plen;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->path + c->plen, sizeof c->path - c->plen, fmt, ap);
    va_end(ap);
    if (n > 0)
        c->plen = c->plen + (size_t)n < sizeof c->path ? c->plen + (size_t)n : sizeof c->path - 1;
}

static void path_pop(jcs_ctx *c, size_t saved)
{
    c->plen = saved;
    c->path[saved] = '\0';
}

static int jcs_object(jcs_ctx *c, const json_t *v, int depth)
{
    size_t n = json_object_size(v), i = 0, saved;
    int rc = WR_OK;
    jcs_member *m = calloc(n ? n : 1, sizeof *m);
    if (!m)
        return wr_fail(c->err, WR_ENOMEM, "out of memory");
    const char *key;
    size_t klen;
    json_t *val;
    json_object_keylen_foreach((json_t *)v, key, klen, val) {
        m[i].key = key;
        m[i].klen = klen;
        m[i].value = val;
        if ((rc = to_utf16(key, klen, &m[i].u16, &m[i].n16))) {
            rc = wr_fail(c->err, rc, "%s: member name is not valid UTF-8", c->path);
            goto out;
        }
        i++;
    }
    qsort(m, n, sizeof *m, member_cmp);
    if ((rc = jcs_put(c, "{", 1)))
        goto out;
    for (i = 0; i < n; i++) {
        if (i && (rc = jcs_put(c, ",", 1)))
            goto out;
        if ((rc = jcs_string(c, m[i].key, m[i].klen)) || (rc = jcs_put(c, ":", 1)))
            goto out;
        path_push(c, &saved, ".%.*s", (int)(m[i].klen > 64 ? 64 : m[i].klen), m[i].key);
        rc = jcs_value(c, m[i].value, depth + 1);
        if (rc)
            goto out;
        path_pop(c, saved);
    }
    rc = jcs_put(c, "}", 1);
out:
    for (i = 0; i < n; i++)
        free(m[i].u16);
    free(m);
    return rc;
}

static int jcs_value(jcs_ctx *c, const json_t *v, int depth)
{
    char num[32];
    int rc;
    if (depth > JCS_MAX_DEPTH)
        return wr_fail(c->err, WR_ELIMIT, "%s: JSON nested deeper than %d", c->path, JCS_MAX_DEPTH);
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return jcs_object(c, v, depth);
    case JSON_ARRAY: {
        size_t n = json_array_size(v), saved;
        if ((rc = jcs_put(c, "[", 1)))
            return rc;
        for (size_t i = 0; i < n; i++) {
            if (i && (rc = jcs_put(c, ",", 1)))
                return rc;
            path_push(c, &saved, "[%zu]", i);
            if ((rc = jcs_value(c, json_array_get(v, i), depth + 1)))
                return rc;
            path_pop(c, saved);
        }
        return jcs_put(c, "]", 1);
    }
    case JSON_STRING:
        return jcs_string(c, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: {
        json_int_t iv = json_integer_value(v);
        const json_int_t lim = (json_int_t)1 << 53;
        if (iv > lim || iv < -lim)
            return wr_fail(c->err, WR_EINVAL, "%s: integer %lld is beyond 2^53 and has no exact "
                           "IEEE 754 form (RFC 8785 numbers are doubles)", c->path, (long long)iv);
        snprintf(num, sizeof num, "%lld", (long long)iv);
        return jcs_put(c, num, strlen(num));
    }
    case JSON_REAL:
        if (wr_jcs_number(json_real_value(v), num) != WR_OK)
            return wr_fail(c->err, WR_EINVAL, "%s: NaN and Infinity have no JSON form", c->path);
        return jcs_put(c, num, strlen(num));
    case JSON_TRUE:
        return jcs_put(c, "true", 4);
    case JSON_FALSE:
        return jcs_put(c, "false", 5);
    case JSON_NULL:
        return jcs_put(c, "null", 4);
    }
    return wr_fail(c->err, WR_EINTERNAL, "%s: unknown JSON type", c->path);
}

int wr_jcs_serialize(const json_t *v, char **out, size_t *len, wr_err *err)
{
    if (!v)
        return wr_fail(err, WR_EINVAL, "$: no JSON value");
    jcs_ctx c = {WR_BUF_INIT, "$", 1, err};
    int rc = jcs_value(&c, v, 0);
    if (rc == WR_OK && !c.out.data)
        rc = wr_buf_reserve(&c.out, 0) ? wr_fail(err, WR_ENOMEM, "out of memory") : WR_OK;
    if (rc) {
        wr_buf_free(&c.out);
        return rc;
    }
    if (len)
        *len = c.out.len;
    *out = wr_buf_steal(&c.out);
    return WR_OK;
}
