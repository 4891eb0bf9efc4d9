/*
 * pipeline.c — a large CSV import on two threads.
 *
 * A CSV import does two kinds of work per row: reading the record and
 * checking it (CSV, UTF-8, enums, timestamps, ids, references resolved in
 * the in-memory reference maps), and merging it into SQLite (keys, B-tree
 * inserts).  The second needs the store's connection and stays on the
 * calling thread; the first touches no store once the reference maps of
 * the file's kind are loaded (inv_import_pipe_ok), so a producer thread
 * does it and hands over rows that are ready to bind.  The wall time then
 * approaches the larger of the two instead of their sum.
 *
 * Data structure: a ring of PIPE_SLOTS batches guarded by one mutex and two
 * condition variables.  A batch holds up to PIPE_ROWS rows in file order,
 * each either checked (values whose texts are copied into the batch's
 * arena) or rejected (its message, in the arena).  Every row, rejected or
 * not, goes through the ring, so the consumer reports problems in file
 * order exactly as the one-thread path does; memory is bounded by the
 * ring (PIPE_SLOTS * sizeof(pipe_batch), about 5 MiB).
 *
 * Errors: a store failure on the consumer sets `stop`; the producer sees
 * it at its next batch and ends.  The producer cannot fail (a bad record
 * is a rejected row), so the consumer's status is the import's.
 */
#include "import.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t inv_pipe_min_bytes = INV_PIPE_MIN_BYTES;

#define PIPE_SLOTS 8
#define PIPE_ROWS 1024
#define PIPE_WHY 1024
#define PREFETCH_AHEAD 8
/* Room for the largest row: its texts are at most a record of
 * WR_INV_ROW_MAX bytes, a derived id and the --source text (each at most
 * WR_INV_FIELD_MAX, inv_import_pipe_ok) and short constants; or a
 * message. */
#define PIPE_ROW_ROOM (WR_INV_ROW_MAX + 3 * WR_INV_FIELD_MAX + INV_MAXCOL * 32)
#define PIPE_ARENA (PIPE_ROW_ROOM + 256 * 1024)

typedef struct pipe_row {
    uint64_t line;
    const char *why;        /* rejected: the message (in the arena) */
    inv_checked c;
} pipe_row;

typedef struct pipe_batch {
    size_t n, alen;
    uint64_t done;          /* input bytes read when the batch was handed over */
    pipe_row rows[PIPE_ROWS];
    char arena[PIPE_ARENA];
} pipe_batch;

struct inv_pipe {
    inv_import *im;
    int kind;
    pthread_mutex_t mu;
    pthread_cond_t filled, freed;
    pipe_batch *slots[PIPE_SLOTS];
    size_t head, count;     /* oldest full batch; number of full batches */
    int done, stop;         /* producer finished; consumer failed */
    pipe_batch *cur;        /* the batch the producer fills */
    uint64_t progress;
    int (*produce)(void *arg, inv_pipe *p);
    void *arg;
    inv_checked ck;         /* producer's scratch */
    char scratch[INV_CHECK_SCRATCH], why[PIPE_WHY];
};

/* Producer: the batch to fill, waiting for a free slot; NULL on stop. */
static pipe_batch *pipe_acquire(inv_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->count == PIPE_SLOTS && !p->stop)
        pthread_cond_wait(&p->freed, &p->mu);
    pipe_batch *b = p->stop ? NULL : p->slots[(p->head + p->count) % PIPE_SLOTS];
    pthread_mutex_unlock(&p->mu);
    if (b)
        b->n = b->alen = 0;
    return b;
}

static void pipe_publish(inv_pipe *p)
{
    p->cur->done = p->progress;
    pthread_mutex_lock(&p->mu);
    p->count++;
    pthread_cond_signal(&p->filled);
    pthread_mutex_unlock(&p->mu);
    p->cur = NULL;
}

/* Producer: a row slot with PIPE_ROW_ROOM bytes of arena; NULL on stop. */
static pipe_row *pipe_slot(inv_pipe *p)
{
    if (p->cur && (p->cur->n == PIPE_ROWS || p->cur->alen + PIPE_ROW_ROOM > PIPE_ARENA))
        pipe_publish(p);
    if (!p->cur && !(p->cur = pipe_acquire(p)))
        return NULL;
    return &p->cur->rows[p->cur->n];
}

static const char *arena_copy(pipe_batch *b, const char *s, size_t len)
{
    char *d = b->arena + b->alen;
    memcpy(d, s, len);
    d[len] = '\0';
    b->alen += len + 1;
    return d;
}

int inv_pipe_reject(inv_pipe *p, uint64_t line, const char *fmt, ...)
{
    pipe_row *r = pipe_slot(p);
    if (!r)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    char *d = p->cur->arena + p->cur->alen;
    int n = vsnprintf(d, PIPE_WHY, fmt, ap);
    va_end(ap);
    p->cur->alen += (size_t)(n < 0 ? 0 : n >= PIPE_WHY ? PIPE_WHY - 1 : n) + 1;
    r->line = line;
    r->why = d;
    p->cur->n++;
    return 0;
}

int inv_pipe_row(inv_pipe *p, const inv_row *row, uint64_t line)
{
    wr_err ignored;
    int rc = inv_import_check_row(p->im, row, &p->ck, p->scratch, p->why, sizeof p->why,
                                  &ignored);
    if (rc < 0)  /* the maps are loaded: phase 1 has no failure of its own */
        return inv_pipe_reject(p, line, "internal: %s", ignored.msg);
    if (rc)
        return inv_pipe_reject(p, line, "%s", p->why);
    pipe_row *r = pipe_slot(p);
    if (!r)
        return -1;
    /* the checked row's texts point into the producer's CSV scratch, which
     * the next record reuses: copy them next to the row */
    pipe_batch *b = p->cur;
    int ncols = inv_kind_ncols(row->kind);
    r->c = p->ck;
    for (int c = 0; c < ncols; c++)
        if (!p->ck.v[c].null)
            r->c.v[c].s = arena_copy(b, p->ck.v[c].s, strlen(p->ck.v[c].s));
    r->line = line;
    r->why = NULL;
    b->n++;
    return 0;
}

void inv_pipe_progress(inv_pipe *p, uint64_t done)
{
    p->progress = done;
}

static void *producer(void *arg)
{
    inv_pipe *p = arg;
    p->produce(p->arg, p);
    if (p->cur)
        pipe_publish(p);
    pthread_mutex_lock(&p->mu);
    p->done = 1;
    pthread_cond_signal(&p->filled);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Consumer: merges one batch; "file:line" is written only where needed. */
static int consume(inv_pipe *p, pipe_batch *b, const char *name, wr_err *err)
{
    char where[512 + 24];
    int plen = snprintf(where, 512, "%s:", name);
    plen = plen < 0 ? 0 : plen > 511 ? 511 : plen;
    /* the rows' first random accesses are started PREFETCH_AHEAD rows
     * early, so that they overlap instead of stalling one by one */
    for (size_t i = 0; i < b->n && i < PREFETCH_AHEAD; i++)
        if (!b->rows[i].why)
            inv_import_prefetch(p->im, p->kind, &b->rows[i].c);
    for (size_t i = 0; i < b->n; i++) {
        pipe_row *r = &b->rows[i];
        if (i + PREFETCH_AHEAD < b->n && !b->rows[i + PREFETCH_AHEAD].why)
            inv_import_prefetch(p->im, p->kind, &b->rows[i + PREFETCH_AHEAD].c);
        inv_put_line(where + plen, r->line);
        if (r->why) {
            inv_import_reject(p->im, where, "%s", r->why);
            continue;
        }
        int rc = inv_import_merge_row(p->im, p->kind, &r->c, where, err);
        if (rc)
            return rc;
    }
    return WR_OK;
}

int inv_pipe_run(inv_import *im, int kind, const char *name, uint64_t total,
                 int (*produce)(void *arg, inv_pipe *p), void *arg, wr_err *err)
{
    inv_pipe p;
    memset(&p, 0, sizeof p);
    p.im = im;
    p.kind = kind;
    p.produce = produce;
    p.arg = arg;
    int rc = WR_OK;
    for (int i = 0; i < PIPE_SLOTS && !rc; i++)
        if (!(p.slots[i] = malloc(sizeof(pipe_batch))))
            rc = wr_fail(err, WR_ENOMEM, "out of memory");
    pthread_t th;
    if (!rc) {
        pthread_mutex_init(&p.mu, NULL);
        pthread_cond_init(&p.filled, NULL);
        pthread_cond_init(&p.freed, NULL);
        if (pthread_create(&th, NULL, producer, &p) != 0)
            rc = wr_fail(err, WR_EIO, "%s: cannot start the reader thread", name);
        else {
            uint64_t shown = 0;
            for (;;) {
                pthread_mutex_lock(&p.mu);
                while (!p.count && !p.done)
                    pthread_cond_wait(&p.filled, &p.mu);
                pipe_batch *b = p.count ? p.slots[p.head] : NULL;
                pthread_mutex_unlock(&p.mu);
                if (!b)
                    break;
                rc = consume(&p, b, name, err);
                if (b->done - shown >= total / 64 + 1) {
                    inv_import_progress(im, b->done, total);
                    shown = b->done;
                }
                pthread_mutex_lock(&p.mu);
                p.head = (p.head + 1) % PIPE_SLOTS;
                p.count--;
                p.stop = rc != WR_OK;
                pthread_cond_signal(&p.freed);
                pthread_mutex_unlock(&p.mu);
                if (rc)
                    break;
            }
            pthread_join(th, NULL);
        }
        pthread_cond_destroy(&p.freed);
        pthread_cond_destroy(&p.filled);
        pthread_mutex_destroy(&p.mu);
    }
    for (int i = 0; i < PIPE_SLOTS; i++)
        free(p.slots[i]);
    return rc;
}
