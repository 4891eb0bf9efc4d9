/*
 * sync_pipe.c — reading the target on a second thread while the calling
 * thread reconciles and writes the inventory (`warrant sync`).
 *
 * A sync's two halves use different resources: listing waits on the
 * directory and parses its answers (libldap, a million member DNs), while
 * reconciling spends its time in SQLite.  wf_sync_list runs the
 * connector's lister on a reader thread whose visitor serialises each
 * account and group into blocks of about PIPE_BLOCK bytes; at most
 * PIPE_BLOCKS filled blocks wait for the calling thread, which replays
 * them, in order, into the real visitor.  The reader blocks when the
 * queue is full, so memory stays bounded: about (PIPE_BLOCKS + 2) blocks
 * plus the largest group (a group bigger than a block travels in one
 * block of its own size).  The store is only ever touched on the calling
 * thread; the connector only on the reader thread.
 *
 * On a first sync the reader also hashes the drift items for the digests
 * (the SHA-256 of each account id and of each "<system>:<member> <group
 * id>" membership, a million at a directory of a million memberships), so
 * the writing thread, the bottleneck, only XORs the sums in.
 *
 * Block records (native byte order, never leave the process):
 *   'a' disabled(1 byte) [sha(32)] login\0
 *   'g' n(uint64) [sha(32) members_xor(32)] name\0 member\0 ... (n members)
 * (the hashes only when digests are asked for).
 */
#include "workflow_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define PIPE_BLOCK ((size_t)128 << 10)
#define PIPE_BLOCKS 4
/* A single record (one group with its members) may not exceed this. */
#define PIPE_RECORD_MAX ((size_t)1 << 30)

typedef struct pipe_q {
    pthread_mutex_t mu;
    pthread_cond_t cv;             /* both directions; broadcast */
    wr_buf full[PIPE_BLOCKS];      /* ring of filled blocks */
    size_t head, n;
    wr_buf spare[PIPE_BLOCKS + 2]; /* replayed blocks, for reuse */
    size_t nspare;
    wr_buf cur;                    /* the block the reader fills */
    int done;                      /* the reader finished */
    atomic_int stop;               /* the consumer gave up: the reader stops at its next item */
    int rc;                        /* the reader's result */
    wr_err err;
    wr_connector *conn;
    const char *system;            /* digests asked for: the system of the ids */
    int groups_first;              /* the visitor's hint, passed on */
} pipe_q;

size_t wf_sync_join(char *out, size_t cap, const char *const *parts, int n)
{
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(parts[i]);
        if (len > cap - 1 - k)
            len = cap - 1 - k;
        memcpy(out + k, parts[i], len);
        k += len;
    }
    out[k] = 0;
    return k;
}

static void sha(const char *text, size_t len, uint8_t out[WR_SHA256_LEN])
{
    const void *part = text;
    wr_sha256_v(&part, &len, 1, out);
}

static int stopped(pipe_q *q, wr_err *err)
{
    return atomic_load(&q->stop) ? wr_fail(err, WR_EINTERNAL, "sync: listing stopped") : WR_OK;
}

/* Hands the reader's block to the consumer; waits while the queue is full. */
static int submit(pipe_q *q, wr_err *err)
{
    pthread_mutex_lock(&q->mu);
    while (q->n == PIPE_BLOCKS && !q->stop)
        pthread_cond_wait(&q->cv, &q->mu);
    int stop = atomic_load(&q->stop);
    if (!stop) {
        q->full[(q->head + q->n++) % PIPE_BLOCKS] = q->cur;
        if (q->nspare) {
            q->cur = q->spare[--q->nspare];
        } else {
            q->cur = (wr_buf)WR_BUF_INIT;
            q->cur.max = PIPE_RECORD_MAX;
        }
        pthread_cond_broadcast(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
    /* the consumer failed: stop the listing (its error is the one kept) */
    return stopped(q, err);
}

static int put(pipe_q *q, const void *v, size_t n, wr_err *err)
{
    if (wr_buf_append(&q->cur, v, n))
        return wr_fail(err, WR_ELIMIT, "sync: a listed group over %zu bytes", (size_t)PIPE_RECORD_MAX);
    return WR_OK;
}

static int put_account(void *arg, const char *login, int disabled, wr_err *err)
{
    pipe_q *q = arg;
    char t[2] = {'a', (char)(disabled != 0)};
    int rc = stopped(q, err);
    if (rc == WR_OK)
        rc = put(q, t, sizeof t, err);
    if (rc == WR_OK && q->system) {
        char id[WF_SYNC_ID_CAP];
        uint8_t h[WR_SHA256_LEN];
        sha(id, wf_sync_join(id, sizeof id, (const char *const[]){q->system, ":", login}, 3), h);
        rc = put(q, h, sizeof h, err);
    }
    if (rc == WR_OK)
        rc = put(q, login, strlen(login) + 1, err);
    return rc == WR_OK && q->cur.len >= PIPE_BLOCK ? submit(q, err) : rc;
}

static int put_group(void *arg, const char *name, const char *const *members, size_t n, wr_err *err)
{
    pipe_q *q = arg;
    uint64_t n64 = n;
    int rc = stopped(q, err);
    if (rc == WR_OK)
        rc = put(q, "g", 1, err);
    if (rc == WR_OK)
        rc = put(q, &n64, sizeof n64, err);
    if (rc == WR_OK && q->system) {
        char ent[WF_SYNC_ID_CAP], item[WF_SYNC_ITEM_CAP];
        uint8_t h[2][WR_SHA256_LEN], m[WR_SHA256_LEN];
        sha(ent, wf_sync_join(ent, sizeof ent, (const char *const[]){q->system, ":", name}, 3), h[0]);
        memset(h[1], 0, sizeof h[1]);
        for (size_t i = 0; i < n; i++) {
            sha(item, wf_sync_join(item, sizeof item, (const char *const[]){q->system, ":", members[i], " ", ent}, 5),
                m);
            for (int k = 0; k < WR_SHA256_LEN; k++)
                h[1][k] ^= m[k];
        }
        rc = put(q, h, sizeof h, err);
    }
    if (rc == WR_OK)
        rc = put(q, name, strlen(name) + 1, err);
    for (size_t i = 0; i < n && rc == WR_OK; i++)
        rc = put(q, members[i], strlen(members[i]) + 1, err);
    return rc == WR_OK && q->cur.len >= PIPE_BLOCK ? submit(q, err) : rc;
}

static void *reader(void *arg)
{
    pipe_q *q = arg;
    wr_connector_visitor v = {put_account, put_group, q, q->groups_first};
    int rc = wr_connector_list(q->conn, &v, &q->err);
    if (rc == WR_OK && q->cur.len)
        rc = submit(q, &q->err);
    pthread_mutex_lock(&q->mu);
    q->rc = rc;
    q->done = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

/* Replays one block into v; *ptrs (cap *nptrs) holds a group's members. */
static int replay(const wr_buf *b, const wr_connector_visitor *v, wf_sync_digests *dg, const char ***ptrs,
                  size_t *nptrs, wr_err *err)
{
    const char *p = b->data, *end = b->data + b->len;
    int rc = WR_OK;
    while (p < end && rc == WR_OK) {
        if (*p++ == 'a') {
            int disabled = *p++;
            if (dg && dg->set) {
                memcpy(dg->item, p, WR_SHA256_LEN);
                p += WR_SHA256_LEN;
            }
            rc = v->account(v->arg, p, disabled, err);
            p += strlen(p) + 1;
            continue;
        }
        uint64_t n;
        memcpy(&n, p, sizeof n);
        p += sizeof n;
        if (dg && dg->set) {
            memcpy(dg->item, p, WR_SHA256_LEN);
            memcpy(dg->members, p + WR_SHA256_LEN, WR_SHA256_LEN);
            p += 2 * WR_SHA256_LEN;
        }
        const char *name = p;
        p += strlen(p) + 1;
        if (n > *nptrs) {
            const char **np = realloc(*ptrs, (size_t)n * sizeof *np);
            if (!np)
                return wr_fail(err, WR_ENOMEM, "out of memory");
            *ptrs = np;
            *nptrs = (size_t)n;
        }
        for (uint64_t i = 0; i < n; i++) {
            (*ptrs)[i] = p;
            p += strlen(p) + 1;
        }
        rc = v->group(v->arg, name, *ptrs, (size_t)n, err);
    }
    return rc;
}

int wf_sync_list(wr_connector *conn, const wr_connector_visitor *v, wf_sync_digests *dg, wr_err *err)
{
    pipe_q *q = calloc(1, sizeof *q);
    if (!q)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    q->conn = conn;
    q->cur.max = PIPE_RECORD_MAX;
    q->system = dg ? dg->system : NULL;
    q->groups_first = v->groups_first;
    if (dg)
        dg->set = 0;
    pthread_t th;
    int rc = WR_OK;
    if (pthread_create(&th, NULL, reader, q) != 0) {
        /* no thread: read and reconcile in turn */
        rc = wr_connector_list(conn, v, err);
        goto out;
    }
    const char **ptrs = NULL;
    size_t nptrs = 0;
    if (dg)
        dg->set = q->system != NULL;
    for (;;) {
        pthread_mutex_lock(&q->mu);
        while (!q->n && !q->done)
            pthread_cond_wait(&q->cv, &q->mu);
        if (!q->n) {   /* done, and everything replayed */
            pthread_mutex_unlock(&q->mu);
            break;
        }
        wr_buf b = q->full[q->head];
        q->head = (q->head + 1) % PIPE_BLOCKS;
        q->n--;
        pthread_cond_broadcast(&q->cv);
        pthread_mutex_unlock(&q->mu);
        rc = replay(&b, v, dg, &ptrs, &nptrs, err);
        wr_buf_reset(&b);
        pthread_mutex_lock(&q->mu);
        if (q->nspare < PIPE_BLOCKS + 2 && b.cap <= 2 * PIPE_BLOCK)
            q->spare[q->nspare++] = b;   /* a block grown for a big group is not kept */
        else
            wr_buf_free(&b);
        if (rc) {
            atomic_store(&q->stop, 1);
            pthread_cond_broadcast(&q->cv);
        }
        pthread_mutex_unlock(&q->mu);
        if (rc)
            break;
    }
    pthread_join(th, NULL);
    free(ptrs);
    if (rc == WR_OK && q->rc) {
        rc = q->rc;
        if (err)
            *err = q->err;
    }
out:
    for (size_t i = 0; i < q->n; i++)
        wr_buf_free(&q->full[(q->head + i) % PIPE_BLOCKS]);
    for (size_t i = 0; i < q->nspare; i++)
        wr_buf_free(&q->spare[i]);
    wr_buf_free(&q->cur);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q);
    return rc;
}
