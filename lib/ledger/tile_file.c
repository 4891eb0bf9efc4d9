/*
 * tile_file.c — the tile file: a copy of the log's full level-0 tiles
 * outside the database, read by proofs without a read snapshot.
 *
 * Why.  A proof at 10M entries needs nodes from one level-0 tile (625k of
 * them, 600 MiB: too many to keep in memory) and from the tiles above it
 * (42k, kept in memory: the upper tier).  Read from the database, that one
 * tile cost a read snapshot (two fcntl calls on the WAL index and an fstat,
 * ~1.6-3 us on this VM), SQLite's statement and b-tree (~1 us) and a page
 * read (~1.5 us): most of a cold proof's ~8 us.  From this file it is one
 * pread at a computed offset (~0.9 us) and four node hashes (~0.4 us).
 *
 * Trust.  The file lives outside the database's transactions and anyone
 * with access to the directory could change it, so it is trusted for
 * nothing.  A record is only used for a tile whose parent node (tree level
 * 4, in the level-1 tile above) the caller has in memory, read from the
 * database: the upper tier, the LRU cache or the committed edge.  A node
 * taken from the record is hashed up the tile with its siblings to that
 * parent, and each node passed on the way must equal the record's own; the
 * nodes so checked (the path and its siblings: all a proof needs from the
 * tile) are marked valid, so a proof's other nodes from the same tile cost
 * no further hashing.  A record that fails is not used: the proof reads the
 * tile from the database as before, and the tile is written back (repair).
 * A missing tail after a crash, a torn write, a record written by an append
 * that was then rolled back, a file belonging to another log, or a changed
 * byte therefore cost a slower proof, never a wrong one; and so the file
 * needs no fsync, no lock and no ordering with the database's commits.
 *
 * Layout.  Record n (level-0 tile n, leaves 16n ... 16n+15) is the 1024
 * bytes at offset n * 1024: the tile as the database stores it (sublevels
 * 0..3, LG_FULL_BLOB = 960 bytes), n as a little-endian 64-bit integer,
 * the magic "WRLGTILE", zeros.  A record never straddles a page.  Tiles
 * never written are holes that read as zeros and fail the magic check
 * without any hashing.
 *
 * Writers (ledger.c): the appender as each level-0 tile fills, inside its
 * transaction; a proof that read a tile from the database because its
 * record was missing or failed; verification, which compares every record
 * with the tile it rebuilt and rewrites those that differ or are missing
 * (e.g. a log written before the file existed).  Concurrent writers of
 * one record write the same bytes, or a record that fails validation.
 */
#include "ledger_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LG_TFILE_NAME "ledger-tiles.cache"
#define NONE UINT64_MAX
static const char magic[8] = {'W', 'R', 'L', 'G', 'T', 'I', 'L', 'E'};

void lg_tfile_init(lg_tfile *f)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->held = NONE;
    f->repair = NONE;
}

int lg_tfile_open(lg_tfile *f, const char *dir, int readonly)
{
    if (f->tried)
        return f->fd >= 0;
    f->tried = 1;
    char path[4096];
    if (!dir || snprintf(path, sizeof path, "%s/%s", dir, LG_TFILE_NAME) >= (int)sizeof path)
        return 0;
    /* never through a symbolic link (records would be written wherever it
     * points), and only a regular file */
    if (!readonly)
        f->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    f->writable = f->fd >= 0;
    if (f->fd < 0)   /* a read-only store, or a directory we may not write */
        f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat sb;
    if (f->fd >= 0 && (fstat(f->fd, &sb) != 0 || !S_ISREG(sb.st_mode))) {
        close(f->fd);
        f->fd = -1;
        f->writable = 0;
    }
    return f->fd >= 0;
}

void lg_tfile_close(lg_tfile *f)
{
    if (f->fd >= 0)
        close(f->fd);
    lg_tfile_init(f);
}

/* Record n as lg_tfile_put writes it. */
static void rec_make(uint64_t n, const uint8_t blob[LG_FULL_BLOB], uint8_t rec[LG_TFILE_REC])
{
    memset(rec, 0, LG_TFILE_REC);
    memcpy(rec, blob, LG_FULL_BLOB);
    for (unsigned i = 0; i < 8; i++)
        rec[LG_FULL_BLOB + i] = (uint8_t)(n >> (8 * i));
    memcpy(rec + LG_FULL_BLOB + 8, magic, sizeof magic);
}

void lg_tfile_put(lg_tfile *f, uint64_t n, const uint8_t blob[LG_FULL_BLOB])
{
    if (!f->writable || n > (uint64_t)INT64_MAX / LG_TFILE_REC - 1)
        return;
    uint8_t rec[LG_TFILE_REC];
    rec_make(n, blob, rec);
    /* best effort: a record that is not written is read from the database */
    ssize_t w = pwrite(f->fd, rec, sizeof rec, (off_t)(n * LG_TFILE_REC));
    if (w == (ssize_t)sizeof rec && f->repair == n)
        f->repair = NONE;
    f->written += w == (ssize_t)sizeof rec;
}

int lg_tfile_scan_check(lg_tfile *f, lg_tfile_scan *sc, uint64_t n, const uint8_t blob[LG_FULL_BLOB])
{
    if (f->fd < 0 || n > (uint64_t)INT64_MAX / LG_TFILE_REC - LG_TFILE_SCAN)
        return 0;
    if (n < sc->first || n >= sc->first + sc->count) {   /* next window */
        ssize_t r = pread(f->fd, sc->buf, sizeof sc->buf, (off_t)(n * LG_TFILE_REC));
        sc->first = n;
        sc->count = r > 0 ? (uint64_t)r / LG_TFILE_REC : 0;
        if (sc->count == 0)
            sc->count = 1;   /* beyond the end: this record is missing */
        if (r < LG_TFILE_REC)
            memset(sc->buf, 0, LG_TFILE_REC);
    }
    uint8_t want[LG_TFILE_REC];
    rec_make(n, blob, want);
    if (memcmp(sc->buf + (n - sc->first) * LG_TFILE_REC, want, LG_TFILE_REC) == 0)
        return 0;
    lg_tfile_put(f, n, blob);
    return 1;
}

int lg_tfile_take(lg_tfile *f, uint64_t n, const uint8_t *rec, const uint8_t top[32])
{
    f->held = NONE;
    uint64_t at = 0;
    for (unsigned i = 0; i < 8; i++)
        at |= (uint64_t)rec[LG_FULL_BLOB + i] << (8 * i);
    if (at != n || memcmp(rec + LG_FULL_BLOB + 8, magic, sizeof magic) != 0) {
        f->repair = n;
        return 0;
    }
    if (rec != f->rec)
        memcpy(f->rec, rec, LG_FULL_BLOB);
    memcpy(f->top, top, 32);
    f->valid = 0;
    f->held = n;
    return 1;
}

int lg_tfile_load(lg_tfile *f, uint64_t n, const uint8_t top[32])
{
    f->held = NONE;
    if (f->fd < 0 || n > (uint64_t)INT64_MAX / LG_TFILE_REC - 1)
        return 0;
    if (pread(f->fd, f->rec, LG_TFILE_REC, (off_t)(n * LG_TFILE_REC)) != LG_TFILE_REC) {
        f->repair = n;   /* beyond the end, or unreadable */
        return 0;
    }
    return lg_tfile_take(f, n, f->rec, top);
}

/* Node (r, j) of the held record. */
static const uint8_t *rec_node(const lg_tfile *f, unsigned r, unsigned j)
{
    return f->rec + (lg_sub_off(r) + j) * 32;
}

/* Validates node (r, j) of the held record (see the file comment): hashes
 * it up with its siblings until a node already valid or the trusted top,
 * comparing every node passed with the record's.  Marks what it proved. */
static int validate(lg_tfile *f, unsigned r, unsigned j)
{
    uint32_t mark = 1u << (lg_sub_off(r) + j);
    if (f->valid & mark)
        return 1;
    uint8_t h[32];
    memcpy(h, rec_node(f, r, j), 32);
    for (; r < LG_TILE_H; r++, j >>= 1) {
        const uint8_t *sib = rec_node(f, r, j ^ 1);
        mark |= 1u << (lg_sub_off(r) + (j ^ 1));
        if (j & 1)
            wr_merkle_node_hash(sib, h, h);
        else
            wr_merkle_node_hash(h, sib, h);
        if (r + 1 == LG_TILE_H)
            break;
        uint32_t up = 1u << (lg_sub_off(r + 1) + (j >> 1));
        if (memcmp(h, rec_node(f, r + 1, j >> 1), 32) != 0)
            return 0;
        if (f->valid & up) {   /* joined a node already proved */
            f->valid |= mark;
            return 1;
        }
        mark |= up;
    }
    if (memcmp(h, f->top, 32) != 0)
        return 0;
    f->valid |= mark;
    return 1;
}

/* The record failed: never used again before it is rewritten. */
static int reject(lg_tfile *f)
{
    f->repair = f->held;
    f->held = NONE;
    return 0;
}

int lg_tfile_node(lg_tfile *f, unsigned r, uint64_t j, uint8_t out[32])
{
    if (f->held == NONE || r >= LG_TILE_H || j >= (uint64_t)(LG_TILE_W >> r) || !validate(f, r, (unsigned)j))
        return f->held == NONE ? 0 : reject(f);
    memcpy(out, rec_node(f, r, (unsigned)j), 32);
    f->served++;
    return 1;
}

int lg_tfile_tile(lg_tfile *f, lg_tile *t)
{
    if (f->held == NONE)
        return 0;
    /* every leaf pair's path: 8 + 4 + 2 + 1 node hashes, each node once */
    for (unsigned j = 0; j < LG_TILE_W; j += 2)
        if (!validate(f, 0, j))
            return reject(f);
    if (lg_tile_decode(f->rec, LG_FULL_BLOB, LG_TILE_W, t) != WR_OK)
        return reject(f);
    t->n = f->held;
    f->served++;
    return 1;
}

void lg_tfile_release(lg_tfile *f)
{
    f->held = NONE;
}
