/*
 * router.c — matching a method and path against the route table.
 *
 * Patterns are literal segments and "{name}" parameters (one segment,
 * percent-decoded, non-empty); a last "{name*}" takes the rest of the path
 * (for the log's tile paths).  The table is small (a few dozen rows), so a
 * linear scan costs less than building anything cleverer, and it keeps the
 * table itself the single description of the API (the OpenAPI test reads
 * the same table).  A path that matches some route with another method is
 * 405 with Allow; a path that matches none is 404.
 */
#include "server_internal.h"

#include <string.h>

/* Percent-decodes [s, s+n) into out; refuses NUL, bad escapes, overflow. */
static int decode(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            int h, l;
            if (i + 2 >= n || (h = wr_hex_digit(s[i + 1])) < 0 || (l = wr_hex_digit(s[i + 2])) < 0)
                return -1;
            c = h * 16 + l;
            i += 2;
        }
        if (c == 0 || o + 1 >= outlen)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

/* Does path match pattern?  Fills params. */
static int match_one(const char *pattern, const char *path, char params[SRV_MAX_PARAMS][SRV_MAX_PARAM],
                     int *np)
{
    const char *p = pattern, *s = path;
    int n = 0;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return 0;
        p++, s++;
        const char *pe = strchr(p, '/'), *se = strchr(s, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p), sl = se ? (size_t)(se - s) : strlen(s);
        if (pl >= 2 && p[0] == '{' && p[pl - 1] == '}') {
            int rest = pl >= 3 && p[pl - 2] == '*';
            if (rest)
                sl = strlen(s);
            if (sl == 0 || n == SRV_MAX_PARAMS)
                return 0;
            if (rest) {
                /* the rest is kept raw: its own parser checks it */
                if (sl >= SRV_MAX_PARAM)
                    return 0;
                memcpy(params[n], s, sl);
                params[n][sl] = '\0';
            } else if (decode(s, sl, params[n], SRV_MAX_PARAM) != 0) {
                return 0;
            }
            n++;
        } else if (pl != sl || memcmp(p, s, pl) != 0) {
            return 0;
        }
        p += pl, s += sl;
    }
    if (*p || *s)
        return 0;
    *np = n;
    return 1;
}

int srv_route_match(const srv_route *tab, size_t n, int pdp_only, const char *method, const char *path,
                    size_t *idx, char params[SRV_MAX_PARAMS][SRV_MAX_PARAM], int *nparams, char *allow,
                    size_t allowlen)
{
    int path_seen = 0;
    size_t al = 0;
    if (allowlen)
        allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (pdp_only && !tab[i].pdp)
            continue;
        int np = 0;
        if (!match_one(tab[i].pattern, path, params, &np))
            continue;
        if (strcmp(tab[i].method, method) == 0) {
            *idx = i;
            *nparams = np;
            return SRV_MATCH;
        }
        path_seen = 1;
        if (!strstr(allow, tab[i].method) && al + strlen(tab[i].method) + 3 < allowlen) {
            int w = snprintf(allow + al, allowlen - al, "%s%s", al ? ", " : "", tab[i].method);
            al += (size_t)w;
        }
    }
    return path_seen ? SRV_NO_METHOD : SRV_NO_PATH;
}
