/*
 * inv_util.c — small helpers shared by the inventory files: text id -> rid
 * lookups, timestamps and strings in JSON, the change journal and UTF-8
 * validation.  Kept here so that import, operations and readiness agree on
 * one representation of each thing.
 */
#include "inventory_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int inv_query_ints(wr_store *s, const char *sql, const char *arg, int64_t *a, int64_t *b,
                   wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, arg);
    rc = wr_stmt_step(st, err);
    *a = rc == 1 ? wr_stmt_int(st, 0) : 0;
    if (b)
        *b = rc == 1 ? wr_stmt_int(st, 1) : 0;
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

int inv_exec_int(wr_store *s, const char *sql, int64_t arg, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_int(st, 1, arg);
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

int inv_rid(wr_store *s, const char *table, const char *id, int64_t *rid, wr_err *err)
{
    const char *sql;
    if (strcmp(table, "identities") == 0)
        sql = "SELECT rid FROM identities WHERE id=?";
    else if (strcmp(table, "systems") == 0)
        sql = "SELECT rid FROM systems WHERE id=?";
    else if (strcmp(table, "accounts") == 0)
        sql = "SELECT rid FROM accounts WHERE id=?";
    else if (strcmp(table, "entitlements") == 0)
        sql = "SELECT rid FROM entitlements WHERE id=?";
    else if (strcmp(table, "credentials") == 0)
        sql = "SELECT rid FROM credentials WHERE id=?";
    else
        return wr_fail(err, WR_EINTERNAL, "inventory: no table '%s'", table);
    return inv_query_ints(s, sql, id, rid, NULL, err);
}

void inv_json_time(json_t *o, const char *key, wr_stmt *st, int col)
{
    if (wr_stmt_is_null(st, col)) {
        json_object_set_new(o, key, json_null());
        return;
    }
    char buf[21];
    wr_time_format(wr_stmt_int(st, col), buf);
    json_object_set_new(o, key, json_string(buf));
}

void inv_json_text(json_t *o, const char *key, wr_stmt *st, int col)
{
    const char *v = wr_stmt_text(st, col);
    json_object_set_new(o, key, v ? json_string(v) : json_null());
}

int inv_buf_json_str(wr_buf *b, const char *s)
{
    if (!s)
        return wr_buf_puts(b, "null");
    int rc = wr_buf_reserve(b, strlen(s) + 2);
    if (rc)
        return rc;
    b->data[b->len++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            rc = wr_buf_append(b, e, 2);
        } else if (*p < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", *p);
            rc = wr_buf_append(b, e, 6);
        } else {
            rc = wr_buf_append(b, p, 1);
        }
        if (rc)
            return rc;
    }
    return wr_buf_append(b, "\"", 1);
}

int inv_event(wr_store *s, const char *import_id, int64_t at, const char *kind,
              const char *id, const char *change, const char *before, const char *after,
              wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "INSERT INTO inventory_events(import_id, at, object_kind, "
                             "object_id, change, before, after) VALUES(?,?,?,?,?,?,?)", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, import_id);
    wr_stmt_bind_int(st, 2, at);
    wr_stmt_bind_text(st, 3, kind);
    wr_stmt_bind_text(st, 4, id);
    wr_stmt_bind_text(st, 5, change);
    wr_stmt_bind_text(st, 6, before);
    wr_stmt_bind_text(st, 7, after);
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

int inv_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t n;
        unsigned min, cp;
        if ((c & 0xe0) == 0xc0) {
            n = 1, min = 0x80, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, min = 0x800, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return 0;
        }
        if ((size_t)(end - p) <= n)
            return 0;
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        p += n + 1;
    }
    return 1;
}

uint64_t inv_hash64(const void *p, size_t len, uint64_t seed)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    /* FNV alone mixes its last bytes poorly into the high bits. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

int inv_set_add(inv_set *s, uint64_t k)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 1024;
        uint64_t *ns = calloc(ncap, sizeof *ns);
        if (!ns)
            return WR_ENOMEM;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slots[i])
                continue;
            size_t j = inv_hash64(&s->slots[i], 8, 0) & (ncap - 1);
            while (ns[j])
                j = (j + 1) & (ncap - 1);
            ns[j] = s->slots[i];
        }
        free(s->slots);
        s->slots = ns;
        s->cap = ncap;
    }
    size_t j = inv_hash64(&k, 8, 0) & (s->cap - 1);
    while (s->slots[j]) {
        if (s->slots[j] == k)
            return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->slots[j] = k;
    s->n++;
    return 1;
}

int inv_set_has(const inv_set *s, uint64_t k)
{
    if (!s->cap)
        return 0;
    size_t j = inv_hash64(&k, 8, 0) & (s->cap - 1);
    while (s->slots[j]) {
        if (s->slots[j] == k)
            return 1;
        j = (j + 1) & (s->cap - 1);
    }
    return 0;
}

void inv_set_free(inv_set *s)
{
    free(s->slots);
    memset(s, 0, sizeof *s);
}
