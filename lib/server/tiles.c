/*
 * tiles.c — the lineage log published at the C2SP tlog-tiles paths,
 * served straight from the ledger's tables (no export directory to keep
 * in step):
 *   checkpoint                     the latest signed checkpoint note
 *   tile/<L>/<N>[.p/<W>]           hashes of tree level 8L, 256 per tile
 *   tile/entries/<N>[.p/<W>]       entry bundles (uint16 length + bytes)
 * N is written as x-prefixed 3-digit segments ("x001/234").
 *
 * The ledger stores the tree as tiles of height 4 with their interior
 * (README-ledger.md) and assembles a hash tile from them
 * (wr_ledger_hash_tile).  A partial tile of width W is a prefix of any
 * wider version of the same tile (complete nodes never change), so any W
 * the checkpoint covers can be served from the stored rows.  Everything
 * is read in one read transaction, so the checkpoint and the tiles agree.
 */
#include "server_internal.h"

#include <stdlib.h>
#include <string.h>

#define TILE_W 256
#define TILE_LEVELS 8

/* Parses "x001/x234/067" (segments of exactly 3 digits) up to end. */
static int parse_index(const char *s, const char *end, uint64_t *out)
{
    uint64_t n = 0;
    int segs = 0;
    while (s < end) {
        int last;
        if (*s == 'x') {
            s++;
            last = 0;
        } else {
            last = 1;
        }
        if (end - s < 3 || !(s[0] >= '0' && s[0] <= '9') || !(s[1] >= '0' && s[1] <= '9') ||
            !(s[2] >= '0' && s[2] <= '9'))
            return -1;
        if (n > UINT64_MAX / 1000 / 2 || ++segs > 7)
            return -1;
        n = n * 1000 + (uint64_t)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
        s += 3;
        if (last)
            break;
        if (s >= end || *s != '/')
            return -1;
        s++;
    }
    if (s != end || segs == 0)
        return -1;
    *out = n;
    return 0;
}

/* "<N>[.p/<W>]" */
static int parse_tile_tail(const char *s, uint64_t *n, unsigned *w)
{
    const char *p = strstr(s, ".p/");
    const char *end = p ? p : s + strlen(s);
    if (parse_index(s, end, n))
        return -1;
    *w = 0;
    if (p) {
        const char *d = p + 3;
        unsigned v = 0;
        size_t k = 0;
        for (; d[k]; k++) {
            if (d[k] < '0' || d[k] > '9' || k >= 3)
                return -1;
            v = v * 10 + (unsigned)(d[k] - '0');
        }
        if (k == 0 || v == 0 || v >= TILE_W || (k > 1 && d[0] == '0'))
            return -1;
        *w = v;
    }
    return 0;
}

static int hash_tile(wr_ledger *l, unsigned level, uint64_t n, unsigned w, char **body, size_t *len,
                     wr_err *err)
{
    uint8_t *h = NULL;
    int rc = wr_ledger_hash_tile(l, level, n, w, &h, err);
    if (rc == WR_OK) {
        *body = (char *)h;
        *len = (size_t)w * 32;
    }
    return rc;
}

static int entry_bundle(wr_store *s, uint64_t first, unsigned w, char **body, size_t *len, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "SELECT idx, data FROM ledger_entry WHERE idx >= ? AND idx < ? ORDER BY idx", &st,
                             err);
    if (rc)
        return rc;
    wr_stmt_bind_int(st, 1, (int64_t)first);
    wr_stmt_bind_int(st, 2, (int64_t)(first + w));
    wr_buf b = WR_BUF_INIT;
    uint64_t want = first;
    while ((rc = wr_stmt_step(st, err)) == 1) {
        size_t dl = 0;
        const void *d = wr_stmt_blob(st, 1, &dl);
        if ((uint64_t)wr_stmt_int(st, 0) != want) {
            rc = wr_fail(err, WR_ECORRUPT, "log: entry %llu is missing", (unsigned long long)want);
            break;
        }
        if (dl > 0xffff) {
            rc = wr_fail(err, WR_ELIMIT, "log: entry %llu is %zu bytes; entry bundles hold at most 65535",
                         (unsigned long long)want, dl);
            break;
        }
        uint8_t be[2] = {(uint8_t)(dl >> 8), (uint8_t)dl};
        if (wr_buf_append(&b, be, 2) || wr_buf_append(&b, d ? d : "", dl)) {
            rc = wr_fail(err, WR_ENOMEM, "out of memory");
            break;
        }
        want++;
    }
    wr_stmt_done(st);
    if (rc == 0 && want != first + w)
        rc = wr_fail(err, WR_ECORRUPT, "log: entry %llu is missing", (unsigned long long)want);
    if (rc < 0) {
        wr_buf_free(&b);
        return rc;
    }
    *len = b.len;
    *body = b.len ? wr_buf_steal(&b) : calloc(1, 1);
    return *body ? WR_OK : wr_fail(err, WR_ENOMEM, "out of memory");
}

static int read_in_tx(wr_store *s, wr_ledger *l, const char *path, char **body, size_t *len, int *immutable,
                      wr_err *err)
{
    char *note = NULL;
    int rc = wr_ledger_checkpoint(l, &note, err);
    if (rc)
        return rc;
    const char *nl = strchr(note, '\n');
    uint64_t size = nl ? strtoull(nl + 1, NULL, 10) : 0;
    if (strcmp(path, "checkpoint") == 0) {
        *body = note;
        *len = strlen(note);
        *immutable = 0;
        return WR_OK;
    }
    free(note);
    *immutable = 1;
    uint64_t n;
    unsigned w;
    if (strncmp(path, "tile/entries/", 13) == 0) {
        if (parse_tile_tail(path + 13, &n, &w))
            return wr_fail(err, WR_ENOTFOUND, "log: no such tile path");
        unsigned width = w ? w : TILE_W;
        if (n > UINT64_MAX / TILE_W || n * TILE_W + width > size)
            return wr_fail(err, WR_ENOTFOUND, "log: entry bundle beyond the checkpoint (size %llu)",
                           (unsigned long long)size);
        return entry_bundle(s, n * TILE_W, width, body, len, err);
    }
    if (strncmp(path, "tile/", 5) == 0 && path[5] >= '0' && path[5] <= '9' && path[6] == '/') {
        unsigned level = (unsigned)(path[5] - '0');
        if (level >= TILE_LEVELS || parse_tile_tail(path + 7, &n, &w))
            return wr_fail(err, WR_ENOTFOUND, "log: no such tile path");
        uint64_t cnt = size >> (8 * level);
        unsigned width = w ? w : TILE_W;
        if (n > UINT64_MAX / TILE_W || n * TILE_W + width > cnt)
            return wr_fail(err, WR_ENOTFOUND, "log: tile beyond the checkpoint (size %llu)", (unsigned long long)size);
        return hash_tile(l, level, n, width, body, len, err);
    }
    return wr_fail(err, WR_ENOTFOUND, "log: no such tile path");
}

int srv_log_read(wr_store *s, wr_ledger *l, const char *path, char **body, size_t *len, int *immutable, wr_err *err)
{
    int rc = wr_store_exec(s, "BEGIN", err);
    if (rc)
        return rc;
    rc = read_in_tx(s, l, path, body, len, immutable, err);
    wr_err e2;
    if (wr_store_exec(s, "COMMIT", &e2) != WR_OK) {
        wr_store_rollback(s);
        if (rc == WR_OK) {
            free(*body);
            rc = wr_fail(err, e2.code, "%s", e2.msg);
        }
    }
    return rc;
}
