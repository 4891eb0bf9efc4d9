/*
 * group.c — group commit: many appends, one durable transaction.
 *
 * Requests wait in a FIFO (bounded by WR_LEDGER_GROUP_QUEUE).  The
 * committer thread owns its own store connection and wr_ledger (SQLite
 * connections are single-threaded here).  It sleeps until the queue is not
 * empty, takes up to max_batch requests, and while it commits them (the
 * fsync is the slow part) new requests pile up for the next batch — so the
 * batch size adapts to the load and one fsync is shared by everything that
 * arrived during the previous one.  Each request's apply callback runs in
 * a SAVEPOINT so a failing state change sinks only its own request.  Acks
 * are sent strictly after COMMIT returned.
 */
#include "ledger_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct group_req {
    struct group_req *next;
    char *bytes;
    size_t len;
    wr_ledger_apply_fn apply;
    void *apply_arg;
    wr_ledger_ack_fn ack;
    void *ack_arg;
    int rc;
    uint64_t index;
    wr_err err;
} group_req;

struct wr_ledger_group {
    wr_store *s;
    wr_ledger *l;
    size_t max_batch;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;      /* queue became non-empty, or closing */
    pthread_cond_t space;     /* queue has room */
    group_req *head, *tail;
    size_t queued;
    int closing;
    uint64_t commits, entries;
};

static void fail_all(group_req *r, int rc, const wr_err *err)
{
    for (; r; r = r->next) {
        if (r->rc == WR_OK) {
            r->rc = rc;
            r->err = *err;
        }
    }
}

/* Runs one batch in one transaction; fills rc/index of every request. */
static void commit_batch(wr_ledger_group *g, group_req *batch)
{
    wr_err err = {0};
    int rc = wr_store_begin(g->s, &err);
    if (rc == WR_OK)
        rc = lg_ledger_begin(g->l, &err);
    size_t added = 0;
    for (group_req *r = batch; r && rc == WR_OK; r = r->next) {
        if (r->apply) {
            if ((rc = wr_store_exec(g->s, "SAVEPOINT wr_group_req", &err)))
                break;
            int arc = r->apply(g->s, r->apply_arg, &r->err);
            if (arc) {
                r->rc = arc;
                if ((rc = wr_store_exec(g->s, "ROLLBACK TO wr_group_req; RELEASE wr_group_req",
                                        &err)))
                    break;
                continue;
            }
            if ((rc = wr_store_exec(g->s, "RELEASE wr_group_req", &err)))
                break;
        }
        rc = lg_ledger_add(g->l, r->bytes, r->len, &r->index, &err);
        added += rc == WR_OK;
    }
    if (rc == WR_OK && added)
        rc = lg_ledger_flush(g->l, &err);
    if (rc == WR_OK)
        rc = wr_store_commit(g->s, &err);   /* durable when it returns */
    else
        wr_store_rollback(g->s);
    if (rc) {
        /* nothing of the batch is stored, including applied state changes */
        for (group_req *r = batch; r; r = r->next)
            r->rc = WR_OK;
        fail_all(batch, rc, &err);
        return;
    }
    pthread_mutex_lock(&g->mu);
    g->commits++;
    g->entries += added;
    pthread_mutex_unlock(&g->mu);
}

static void *committer(void *arg)
{
    wr_ledger_group *g = arg;
    for (;;) {
        pthread_mutex_lock(&g->mu);
        while (!g->head && !g->closing)
            pthread_cond_wait(&g->work, &g->mu);
        if (!g->head) {
            pthread_mutex_unlock(&g->mu);
            break;
        }
        group_req *batch = g->head, *last = batch;
        size_t n = 1;
        while (last->next && n < g->max_batch) {
            last = last->next;
            n++;
        }
        g->head = last->next;
        if (!g->head)
            g->tail = NULL;
        last->next = NULL;
        g->queued -= n;
        pthread_cond_broadcast(&g->space);
        pthread_mutex_unlock(&g->mu);

        commit_batch(g, batch);
        for (group_req *r = batch, *next; r; r = next) {
            next = r->next;
            if (r->ack)
                r->ack(r->ack_arg, r->rc, r->index, &r->err);
            free(r->bytes);
            free(r);
        }
    }
    return NULL;
}

int wr_ledger_group_open(const char *dir, size_t max_batch, wr_ledger_group **out, wr_err *err)
{
    wr_ledger_group *g = calloc(1, sizeof *g);
    if (!g)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    g->max_batch = max_batch ? max_batch : 4096;
    int rc = wr_store_open(dir, 0, &g->s, err);
    if (rc == WR_OK)
        rc = wr_ledger_open(g->s, &g->l, err);
    if (rc) {
        wr_store_close(g->s);
        free(g);
        return rc;
    }
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->work, NULL);
    pthread_cond_init(&g->space, NULL);
    if (pthread_create(&g->thread, NULL, committer, g) != 0) {
        wr_ledger_close(g->l);
        wr_store_close(g->s);
        free(g);
        return wr_fail(err, WR_EINTERNAL, "ledger group: cannot start the committer thread");
    }
    *out = g;
    return WR_OK;
}

int wr_ledger_group_submit(wr_ledger_group *g, const json_t *entry, wr_ledger_apply_fn apply,
                           void *apply_arg, wr_ledger_ack_fn ack, void *ack_arg, wr_err *err)
{
    if (!json_is_object(entry))
        return wr_fail(err, WR_EINVAL, "$: a ledger entry must be a JSON object");
    group_req *r = calloc(1, sizeof *r);
    if (!r)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    int rc = wr_jcs_serialize(entry, &r->bytes, &r->len, err);
    if (rc == WR_OK && r->len > WR_LEDGER_MAX_ENTRY)
        rc = wr_fail(err, WR_ELIMIT, "ledger: entry of %zu bytes exceeds the limit of %u", r->len,
                     WR_LEDGER_MAX_ENTRY);
    if (rc) {
        free(r->bytes);
        free(r);
        return rc;
    }
    r->apply = apply;
    r->apply_arg = apply_arg;
    r->ack = ack;
    r->ack_arg = ack_arg;
    pthread_mutex_lock(&g->mu);
    while (g->queued >= WR_LEDGER_GROUP_QUEUE && !g->closing)
        pthread_cond_wait(&g->space, &g->mu);
    if (g->closing) {
        pthread_mutex_unlock(&g->mu);
        free(r->bytes);
        free(r);
        return wr_fail(err, WR_ESTATE, "ledger group: closing");
    }
    if (g->tail)
        g->tail->next = r;
    else
        g->head = r;
    g->tail = r;
    g->queued++;
    pthread_cond_signal(&g->work);
    pthread_mutex_unlock(&g->mu);
    return WR_OK;
}

typedef struct sync_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, rc;
    uint64_t index;
    wr_err err;
} sync_wait;

static void sync_ack(void *arg, int rc, uint64_t index, const wr_err *err)
{
    sync_wait *w = arg;
    pthread_mutex_lock(&w->mu);
    w->rc = rc;
    w->index = index;
    if (rc)
        w->err = *err;
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int wr_ledger_group_append(wr_ledger_group *g, const json_t *entry, wr_ledger_apply_fn apply,
                           void *apply_arg, uint64_t *index, wr_err *err)
{
    sync_wait w = {.done = 0};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    int rc = wr_ledger_group_submit(g, entry, apply, apply_arg, sync_ack, &w, err);
    if (rc == WR_OK) {
        pthread_mutex_lock(&w.mu);
        while (!w.done)
            pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
        rc = w.rc;
        if (rc)
            wr_fail(err, rc, "%s", w.err.msg);
        else if (index)
            *index = w.index;
    }
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    return rc;
}

void wr_ledger_group_close(wr_ledger_group *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->closing = 1;
    pthread_cond_broadcast(&g->work);
    pthread_cond_broadcast(&g->space);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
    wr_ledger_close(g->l);
    wr_store_close(g->s);
    pthread_cond_destroy(&g->work);
    pthread_cond_destroy(&g->space);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

void wr_ledger_group_stats(wr_ledger_group *g, uint64_t *commits, uint64_t *entries)
{
    pthread_mutex_lock(&g->mu);
    if (commits)
        *commits = g->commits;
    if (entries)
        *entries = g->entries;
    pthread_mutex_unlock(&g->mu);
}
