/*
 * jtree.c — entity/context JSON as a compact tree, decoded without a DOM.
 *
 * Entity documents are large and are decoded on every request in some
 * deployments, so decoding them through a general-purpose DOM (one malloc
 * and one hash table per object) cost far more than building the store.
 * Instead, yajl's event parser (libyajl, which also validates UTF-8 and the
 * JSON grammar) feeds a builder that appends nodes to one contiguous array
 * in pre-order: a container's children follow it, each node records where
 * its subtree ends, so walking needs no pointers and building no per-node
 * allocation or hashing.  Strings and numbers point into the input text
 * when yajl passes them through unchanged; escaped strings (decoded in
 * yajl's transient buffer) are copied into a string arena.  Numbers arrive
 * as raw text, so Cedar's 64-bit integer range is checked exactly.
 *
 * Streaming: with an item callback, each element of the root array is
 * handed over as soon as it is complete and its nodes are then dropped, so
 * the tree holds one entity at a time (it stays in cache, and memory does
 * not grow with the document).  An entity's keys may come in any order,
 * which is why an element is interpreted only once it is closed.
 *
 * A jansson value is walked into the same events (cjtree_from_json), so
 * there is one interpreter of entity and context JSON whatever the input.
 * Duplicate object keys in text are rejected (jansson's JSON values cannot
 * hold them), as are keys containing NUL (record keys are C strings).
 */
#include "policy/cedar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

static int fail_at(cjtree *t, uint32_t i, int code, const char *what)
{
    char p[512];
    t->rc = wr_fail(t->err, code, "%s: %s", cjtree_path(t, i, p, sizeof p), what);
    return 0;
}

/* Appends a node under the open container; returns its index or CJ_NONE. */
static uint32_t add(cjtree *t, uint8_t k)
{
    if (t->n == t->cap) {
        if (t->cap >= CJ_MAX_NODES) {
            t->rc = wr_fail(t->err, WR_ELIMIT, "%s: JSON value has more than %u elements", t->root,
                            (unsigned)CJ_MAX_NODES);
            return CJ_NONE;
        }
        /* the node arena is a bump allocator: grow by copying (the old
         * array is reclaimed with the arena) */
        uint32_t ncap = t->cap ? t->cap * 2 : 64;
        cjnode *nv = ca_alloc_nz(t->mem, (size_t)ncap * sizeof *nv);
        if (!nv) {
            t->rc = wr_fail(t->err, WR_ELIMIT, "%s: JSON document too large", t->root);
            return CJ_NONE;
        }
        if (t->n)
            memcpy(nv, t->v, (size_t)t->n * sizeof *nv);
        t->v = nv;
        t->cap = ncap;
    }
    uint32_t i = t->n++;
    cjnode *x = &t->v[i];
    x->k = k;
    x->up = t->open;
    x->end = i + 1;
    x->n = 0;
    x->key = NULL;
    x->pos = 0;
    if (t->open != CJ_NONE) {
        cjnode *p = &t->v[t->open];
        if (p->k == CJ_OBJ) {
            x->key = t->key;
            x->pos = t->keyn;
        } else {
            x->pos = p->n;
        }
        p->n++;
    } else if (i != 0) {
        t->rc = wr_fail(t->err, WR_EINVAL, "%s JSON: more than one value", t->root);
        return CJ_NONE;
    }
    return i;
}

/* A value directly inside the streamed root array is complete. */
static int item_done(cjtree *t, uint32_t i)
{
    if (!t->item || t->open != 0 || i == 0 || t->v[0].k != CJ_ARR)
        return 1;
    if ((t->rc = t->item(t->item_ctx, t, i, t->err)) != WR_OK)
        return 0;
    t->n = 1;
    t->v[0].end = 1;
    ca_reset(&t->strs);
    return 1;
}

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* yajl decodes a \u escape of a lone or mismatched UTF-16 surrogate into
 * '?' or into bytes that are not UTF-8 instead of failing; JSON text with
 * them is rejected (as jansson and Cedar do).  The raw string token ends
 * just before yajl's current offset; its opening quote is the first quote
 * before it that is not escaped (preceded by an even run of backslashes). */
static bool surrogates_ok(const cjtree *t)
{
    size_t end = yajl_get_bytes_consumed(t->yh);
    if (end < 2 || end > t->inlen || t->in[end - 1] != '"')
        return true;
    size_t q = end - 1;
    for (;;) {
        if (q == 0)
            return true;
        q--;
        if (t->in[q] != '"')
            continue;
        size_t b = q;
        while (b > 0 && t->in[b - 1] == '\\')
            b--;
        if ((q - b) % 2 == 0)
            break;
    }
    for (size_t i = q + 1; i + 1 < end - 1; i++) {
        if (t->in[i] != '\\')
            continue;
        if (t->in[i + 1] != 'u') {
            i++;
            continue;
        }
        int u = hex4(t->in + i + 2);
        if (u >= 0xDC00 && u <= 0xDFFF)
            return false;
        if (u >= 0xD800 && u <= 0xDBFF) {
            int lo = i + 12 <= end - 1 && t->in[i + 6] == '\\' && t->in[i + 7] == 'u' ? hex4(t->in + i + 8) : -1;
            if (lo < 0xDC00 || lo > 0xDFFF)
                return false;
            i += 6;
        }
        i += 5;
    }
    return true;
}

/* Stable copy of a string yajl passed: inside the input it stays valid,
 * otherwise it lives in yajl's decode buffer and is copied. */
static const char *keep(cjtree *t, const char *p, size_t n)
{
    if (!t->in || ((uintptr_t)p >= (uintptr_t)t->in && n <= t->inlen &&
                   (uintptr_t)p - (uintptr_t)t->in <= t->inlen - n))
        return p;
    if (!surrogates_ok(t)) {
        char b[512];
        t->rc = wr_fail(t->err, WR_EINVAL, "%s: invalid UTF-16 surrogate escape in a string",
                        cjtree_path(t, t->open, b, sizeof b));
        return NULL;
    }
    char *c = ca_alloc_nz(&t->strs, n ? n : 1);
    if (!c) {
        t->rc = wr_fail(t->err, WR_ELIMIT, "%s: JSON strings too large", t->root);
        return NULL;
    }
    memcpy(c, p, n);
    return c;
}

static int ev_scalar(cjtree *t, uint8_t k)
{
    uint32_t i = add(t, k);
    return i != CJ_NONE && item_done(t, i);
}

static int ev_int(cjtree *t, int64_t v)
{
    uint32_t i = add(t, CJ_INT);
    if (i == CJ_NONE)
        return 0;
    t->v[i].u.i = v;
    return item_done(t, i);
}

static int ev_text(cjtree *t, uint8_t k, const char *p, size_t n)
{
    if (n > UINT32_MAX) {
        t->rc = wr_fail(t->err, WR_ELIMIT, "%s: JSON string too long", t->root);
        return 0;
    }
    const char *s = keep(t, p, n);
    uint32_t i = s ? add(t, k) : CJ_NONE;
    if (i == CJ_NONE)
        return 0;
    t->v[i].u.s.p = s;
    t->v[i].u.s.n = n;
    return item_done(t, i);
}

static int ev_key(cjtree *t, const char *p, size_t n)
{
    if (n > UINT32_MAX || memchr(p, 0, n)) {
        char b[512];
        t->rc = wr_fail(t->err, WR_EINVAL, "%s: object key %s", cjtree_path(t, t->open, b, sizeof b),
                        n > UINT32_MAX ? "too long" : "contains NUL");
        return 0;
    }
    if (!(t->key = keep(t, p, n)))
        return 0;
    t->keyn = (uint32_t)n;
    return 1;
}

static int ev_open(cjtree *t, uint8_t k)
{
    uint32_t i = add(t, k);
    if (i == CJ_NONE)
        return 0;
    if (++t->depth > WR_CEDAR_MAX_DEPTH + CJ_DEPTH_SLACK) {
        char msg[64];
        snprintf(msg, sizeof msg, "JSON nested deeper than %d", WR_CEDAR_MAX_DEPTH);
        return fail_at(t, i, WR_ELIMIT, msg);
    }
    t->open = i;
    return 1;
}

static bool key_eq(const cjnode *a, const cjnode *b)
{
    return a->pos == b->pos && memcmp(a->key, b->key, a->pos) == 0;
}

static int key_cmp(const void *pa, const void *pb)
{
    const cjnode *a = *(const cjnode *const *)pa, *b = *(const cjnode *const *)pb;
    size_t n = a->pos < b->pos ? a->pos : b->pos;
    int c = memcmp(a->key, b->key, n);
    return c ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

/* Rejects an object with a repeated key (what jansson's
 * JSON_REJECT_DUPLICATES did): pairwise for the usual small objects,
 * by sorting pointers for large ones. */
static int check_keys(cjtree *t, uint32_t o)
{
    const cjnode *dup = NULL;
    if (t->v[o].n <= 12) {
        CJ_EACH(t, o, a) {
            for (uint32_t b = t->v[a].end; b < t->v[o].end && !dup; b = t->v[b].end)
                if (key_eq(&t->v[a], &t->v[b]))
                    dup = &t->v[b];
            if (dup)
                break;
        }
    } else {
        const cjnode **kv = ca_alloc_nz(&t->strs, t->v[o].n * sizeof *kv);
        if (!kv) {
            t->rc = wr_fail(t->err, WR_ELIMIT, "%s: JSON object too large", t->root);
            return 0;
        }
        size_t k = 0;
        CJ_EACH(t, o, c) kv[k++] = &t->v[c];
        qsort(kv, k, sizeof *kv, key_cmp);
        for (size_t i = 1; i < k && !dup; i++)
            if (key_eq(kv[i - 1], kv[i]))
                dup = kv[i];
    }
    if (!dup)
        return 1;
    char msg[160];
    snprintf(msg, sizeof msg, "duplicate key \"%.*s\"", (int)(dup->pos > 80 ? 80 : dup->pos), dup->key);
    return fail_at(t, o, WR_EINVAL, msg);
}

static int ev_close(cjtree *t)
{
    uint32_t i = t->open;
    t->v[i].end = t->n;
    if (t->v[i].k == CJ_OBJ && !t->dom && t->v[i].n > 1 && !check_keys(t, i))
        return 0;
    t->open = t->v[i].up;
    t->depth--;
    return item_done(t, i);
}

/* ---- yajl events ------------------------------------------------------------- */
static int y_null(void *c) { return ev_scalar(c, CJ_NULL); }
static int y_bool(void *c, int b) { return ev_scalar(c, b ? CJ_TRUE : CJ_FALSE); }
static int y_start_map(void *c) { return ev_open(c, CJ_OBJ); }
static int y_start_array(void *c) { return ev_open(c, CJ_ARR); }
static int y_end(void *c) { return ev_close(c); }

static int y_string(void *c, const unsigned char *s, size_t n)
{
    return ev_text(c, CJ_STR, (const char *)s, n);
}

static int y_key(void *c, const unsigned char *s, size_t n)
{
    return ev_key(c, (const char *)s, n);
}

/* yajl has checked the JSON number grammar; an integer (no fraction or
 * exponent) is converted exactly, outside the i64 range it stays text. */
static int y_number(void *c, const char *s, size_t n)
{
    bool neg = n && s[0] == '-';
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    bool big = false;
    for (size_t i = neg; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return ev_text(c, CJ_REAL, s, n);
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10)
            big = true;
        else
            v = v * 10 + d;
    }
    if (big)
        return ev_text(c, CJ_BIGINT, s, n);
    /* -2^63 does not fit a positive int64: negate in unsigned arithmetic */
    return ev_int(c, neg ? (int64_t)(0 - v) : (int64_t)v);
}

static const yajl_callbacks ycb = {
    y_null, y_bool, NULL, NULL, y_number, y_string,
    y_start_map, y_key, y_end, y_start_array, y_end,
};

static void start(cjtree *t, wr_err *err)
{
    t->n = 0;
    t->open = CJ_NONE;
    t->depth = 0;
    t->rc = WR_OK;
    t->err = err;
}

int cjtree_parse(cjtree *t, const char *text, size_t len, wr_err *err)
{
    start(t, err);
    t->in = text;
    t->inlen = len;
    t->dom = false;
    yajl_handle h = yajl_alloc(&ycb, NULL, t);
    if (!h)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    t->yh = h;
    yajl_status st = yajl_parse(h, (const unsigned char *)text, len);
    bool at_end = st == yajl_status_ok;
    if (at_end)
        st = yajl_complete_parse(h);
    int rc = WR_OK;
    if (st == yajl_status_client_canceled) {
        rc = t->rc;
    } else if (st != yajl_status_ok) {
        /* line:col of the offending byte, like the policy parser's messages */
        /* an error found by yajl_complete_parse is at the end of the text */
        size_t off = at_end ? len : yajl_get_bytes_consumed(h), line = 1, col = 1;
        for (size_t i = 0; i < off && i < len; i++, col++)
            if (text[i] == '\n') {
                line++;
                col = 0;
            }
        unsigned char *m = yajl_get_error(h, 0, (const unsigned char *)text, len);
        const char *ms = m ? (const char *)m : "invalid JSON";
        /* yajl's messages end with a period and a newline */
        size_t ml = strcspn(ms, "\n");
        while (ml && ms[ml - 1] == '.')
            ml--;
        rc = wr_fail(err, WR_EINVAL, "%s JSON:%zu:%zu: %.*s", t->root, line, col, (int)ml, ms);
        if (m)
            yajl_free_error(h, m);
    } else if (t->n == 0) {
        rc = wr_fail(err, WR_EINVAL, "%s JSON: empty document", t->root);
    }
    yajl_free(h);
    t->in = NULL;
    return rc;
}

/* ---- jansson values ------------------------------------------------------------ */
static int walk(cjtree *t, const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        if (!ev_open(t, CJ_OBJ))
            return 0;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) {
            if (!ev_key(t, k, strlen(k)) || !walk(t, v))
                return 0;
        }
        return ev_close(t);
    }
    case JSON_ARRAY: {
        if (!ev_open(t, CJ_ARR))
            return 0;
        for (size_t i = 0; i < json_array_size(j); i++)
            if (!walk(t, json_array_get(j, i)))
                return 0;
        return ev_close(t);
    }
    case JSON_STRING:
        return ev_text(t, CJ_STR, json_string_value(j), json_string_length(j));
    case JSON_INTEGER:
        return ev_int(t, (int64_t)json_integer_value(j));
    case JSON_REAL:
        return ev_text(t, CJ_REAL, "", 0);
    case JSON_TRUE:
        return ev_scalar(t, CJ_TRUE);
    case JSON_FALSE:
        return ev_scalar(t, CJ_FALSE);
    default:
        return ev_scalar(t, CJ_NULL);
    }
}

int cjtree_from_json(cjtree *t, const json_t *j, wr_err *err)
{
    start(t, err);
    t->in = NULL;
    t->dom = true;
    if (!walk(t, j))
        return t->rc ? t->rc : wr_fail(err, WR_EINTERNAL, "%s: JSON walk failed", t->root);
    return WR_OK;
}

void cjtree_free(cjtree *t)
{
    ca_free(&t->strs);
}

const char *cjtree_path(const cjtree *t, uint32_t i, char *buf, size_t n)
{
    uint32_t seg[WR_CEDAR_MAX_DEPTH + CJ_DEPTH_SLACK + 2];
    size_t k = 0;
    for (; i != CJ_NONE && i < t->n && k < sizeof seg / sizeof *seg; i = t->v[i].up)
        seg[k++] = i;
    int w = snprintf(buf, n, "%s", t->root);
    size_t at = w < 0 ? 0 : (size_t)w;
    /* seg[k-1] is the root itself: its name is already written */
    for (size_t j = k ? k - 1 : 0; j-- > 0 && at < n;) {
        const cjnode *x = &t->v[seg[j]];
        w = t->v[x->up].k == CJ_OBJ ? snprintf(buf + at, n - at, ".%.*s", (int)(x->pos > 100 ? 100 : x->pos), x->key)
                                    : snprintf(buf + at, n - at, "[%u]", (unsigned)x->pos);
        if (w < 0)
            break;
        at += (size_t)w;
    }
    return buf;
}

uint32_t cjtree_member(const cjtree *t, uint32_t o, const char *key)
{
    size_t kn = strlen(key);
    CJ_EACH(t, o, c)
        if (cj_key_is(&t->v[c], key, kn))
            return c;
    return CJ_NONE;
}
