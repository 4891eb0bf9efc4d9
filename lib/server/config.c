/*
 * config.c — settings of `warrant serve`: defaults, one key at a time (the
 * command line and the config file share the keys), and the config file,
 * either "key = value" lines with '#' comments or one JSON object.  Keys
 * are documented in docs/server.md; an unknown key is an error so a typo
 * never silently leaves a limit at its default.
 */
#include "server_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void wr_server_config_init(wr_server_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:8080");
    c->threads = 2;
    c->max_body = (size_t)1 << 20;
    c->max_header = 16384;
    c->max_connections = 256;
    c->idle_timeout = 30;
    c->request_timeout = 10;
    c->rate = 50;
    c->burst = 100;
    c->expire_interval = 60;
    c->webhook_interval = 5;
    c->drain_timeout = 10;
    c->access_log = 1;
    c->session_ttl = 28800;
}

static int parse_num(const char *key, const char *v, double lo, double hi, double *out, wr_err *err)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (!*v || *end || errno || d < lo || d > hi)
        return wr_fail(err, WR_EINVAL, "%s: '%s' is not a number in %g..%g", key, v, lo, hi);
    *out = d;
    return WR_OK;
}

static int parse_size(const char *key, const char *v, double lo, double hi, double *out, wr_err *err)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", v);
    size_t n = strlen(buf);
    double mul = 1;
    if (n && (buf[n - 1] == 'k' || buf[n - 1] == 'K'))
        mul = 1024, buf[--n] = '\0';
    else if (n && (buf[n - 1] == 'm' || buf[n - 1] == 'M'))
        mul = 1024 * 1024, buf[--n] = '\0';
    int rc = parse_num(key, buf, lo / mul, hi / mul, out, err);
    *out *= mul;
    return rc;
}

static int set_str(char *dst, size_t n, const char *key, const char *v, wr_err *err)
{
    if (strlen(v) >= n)
        return wr_fail(err, WR_EINVAL, "%s: value too long", key);
    memcpy(dst, v, strlen(v) + 1);
    return WR_OK;
}

/* The settings: key, kind, where in the struct, bounds. */
enum { K_STR, K_UINT, K_SIZE, K_DOUBLE, K_BOOL };
static const struct setting {
    const char *key;
    int kind;
    size_t off, size;
    double lo, hi;
} settings[] = {
#define S(k, f, kind, lo, hi) {k, kind, offsetof(wr_server_config, f), sizeof(((wr_server_config *)0)->f), lo, hi}
    S("listen", listen, K_STR, 0, 0),
    S("data", data_dir, K_STR, 0, 0),
    S("tls_cert", tls_cert, K_STR, 0, 0),
    S("tls_key", tls_key, K_STR, 0, 0),
    S("port_file", port_file, K_STR, 0, 0),
    S("allowed_origins", allowed_origins, K_STR, 0, 0),
    S("threads", threads, K_UINT, 1, 256),
    S("max_body", max_body, K_SIZE, 64, 64.0 * 1024 * 1024),
    S("max_header", max_header, K_SIZE, 1024, 1024 * 1024),
    S("max_connections", max_connections, K_UINT, 1, 100000),
    S("idle_timeout", idle_timeout, K_UINT, 1, 3600),
    S("request_timeout", request_timeout, K_UINT, 1, 3600),
    S("rate", rate, K_DOUBLE, 0, 1e6),
    S("burst", burst, K_DOUBLE, 1, 1e6),
    S("expire_interval", expire_interval, K_UINT, 0, 86400 * 7),
    S("webhook_interval", webhook_interval, K_UINT, 0, 86400),
    S("drain_timeout", drain_timeout, K_UINT, 0, 3600),
    S("access_log", access_log, K_BOOL, 0, 1),
    S("session_ttl", session_ttl, K_UINT, 1, 86400 * 30),
#undef S
};

int wr_server_config_set(wr_server_config *c, const char *key, const char *v, wr_err *err)
{
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        const struct setting *st = &settings[i];
        if (strcmp(st->key, key) != 0)
            continue;
        char *field = (char *)c + st->off;
        double d = 0;
        int rc = WR_OK;
        switch (st->kind) {
        case K_STR:
            return set_str(field, st->size, key, v, err);
        case K_BOOL:
            if (strcmp(v, "on") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
                *(int *)field = 1;
            else if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
                *(int *)field = 0;
            else
                return wr_fail(err, WR_EINVAL, "%s: expected on or off", key);
            return WR_OK;
        case K_SIZE:
            if ((rc = parse_size(key, v, st->lo, st->hi, &d, err)) == WR_OK)
                *(size_t *)field = (size_t)d;
            return rc;
        case K_UINT:
            if ((rc = parse_num(key, v, st->lo, st->hi, &d, err)) == WR_OK)
                *(unsigned *)field = (unsigned)d;
            return rc;
        default:
            if ((rc = parse_num(key, v, st->lo, st->hi, &d, err)) == WR_OK)
                *(double *)field = d;
            return rc;
        }
    }
    return wr_fail(err, WR_EINVAL, "unknown setting '%s'", key);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static int load_json(wr_server_config *c, const char *path, const char *text, size_t len, wr_err *err)
{
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return wr_fail(err, WR_EINVAL, "%s:%d:%d: %s", path, je.line, je.column, j ? "expected an object" : je.text);
    }
    const char *k;
    json_t *v;
    int rc = WR_OK;
    json_object_foreach(j, k, v) {
        char buf[64];
        const char *s = json_string_value(v);
        if (json_is_integer(v))
            snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v)), s = buf;
        else if (json_is_real(v))
            snprintf(buf, sizeof buf, "%.17g", json_real_value(v)), s = buf;
        else if (json_is_boolean(v))
            s = json_is_true(v) ? "on" : "off";
        if (!s) {
            rc = wr_fail(err, WR_EINVAL, "%s: $.%s: expected a string, number or boolean", path, k);
            break;
        }
        if ((rc = wr_server_config_set(c, k, s, err))) {
            wr_fail_wrap(err, "%s: $.%s", path, k);
            break;
        }
    }
    json_decref(j);
    return rc;
}

int wr_server_config_load(wr_server_config *c, const char *path, wr_err *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = wr_file_read(path, 1 << 20, &text, &len, err);
    if (rc)
        return rc;
    char *p = text;
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    if (*p == '{') {
        rc = load_json(c, path, text, len, err);
        free(text);
        return rc;
    }
    int line = 0;
    for (char *l = text; l && rc == WR_OK;) {
        char *nl = strchr(l, '\n');
        if (nl)
            *nl = '\0';
        line++;
        char *s = trim(l);
        l = nl ? nl + 1 : NULL;
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = wr_fail(err, WR_EINVAL, "%s:%d: expected key = value", path, line);
            break;
        }
        *eq = '\0';
        if ((rc = wr_server_config_set(c, trim(s), trim(eq + 1), err)))
            wr_fail_wrap(err, "%s:%d", path, line);
    }
    free(text);
    return rc;
}
