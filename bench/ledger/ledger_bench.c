/*
 * ledger_bench.c — lineage log benchmarks (driven by bench/ledger/run.sh).
 *
 *   ledger_bench build DIR N            create DIR and append N entries (group commit)
 *   ledger_bench verify DIR             full verification: entries/s, bytes/s, avg entry
 *   ledger_bench append DIR THREADS SECONDS group|plain
 *                                       durable appends/s: group commit with THREADS
 *                                       submitters (each up to 512 in flight), or plain
 *                                       begin/append/commit per entry on THREADS
 *                                       connections
 *   ledger_bench prove DIR COUNT        inclusion and consistency proofs at the current
 *                                       size: p50/p99/mean microseconds (wall and thread
 *                                       CPU time) for random indices over the whole log
 *                                       (cold-ish), 256 indices repeated (warm), and the
 *                                       cold-ish pattern 100 proofs per read snapshot,
 *                                       and cold-ish while another connection appends;
 *                                       and each pattern's total (sum of the proof
 *                                       times, pass wall time), so that a warm-up
 *                                       moved from one proof to another shows
 */
#define _GNU_SOURCE
#include "warrant.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(const wr_err *e)
{
    fprintf(stderr, "ledger_bench: %s\n", e->msg);
    return 1;
}

/* a lineage-like entry of ~200 bytes */
static json_t *sample_entry(uint64_t i)
{
    char id[40];
    snprintf(id, sizeof id, "chg_%016llx", (unsigned long long)i);
    return json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:{s:s,s:s}}", "kind", "decision", "change", id,
                     "actor", "agent:copilot-7", "decision", "approved", "seq", (json_int_t)i,
                     "at", "2026-11-25T07:00:00Z", "target", "system", "entra",
                     "object", "group:finance-admins");
}

static int cmd_build(const char *dir, uint64_t n)
{
    wr_err e = {0};
    wr_store *s;
    if (wr_store_open(dir, WR_STORE_CREATE, &s, &e))
        return die(&e);
    wr_store_close(s);
    if (wr_ledger_keygen(dir, "bench.example/log", &e) && e.code != WR_ESTATE)
        return die(&e);
    wr_ledger_group *g;
    if (wr_ledger_group_open(dir, 65536, &g, &e))
        return die(&e);
    double t0 = now();
    for (uint64_t i = 0; i < n; i++) {
        json_t *v = sample_entry(i);
        int rc = wr_ledger_group_submit(g, v, NULL, NULL, NULL, NULL, &e);
        json_decref(v);
        if (rc)
            return die(&e);
    }
    wr_ledger_group_close(g);
    printf("build: %llu entries in %.1f s\n", (unsigned long long)n, now() - t0);
    return 0;
}

static int open_log(const char *dir, wr_store **s, wr_ledger **l)
{
    wr_err e = {0};
    if (wr_store_open(dir, 0, s, &e) || wr_ledger_open(*s, l, &e))
        return die(&e);
    /* LEDGER_BENCH_SQL: statements run after the ledger's own settings,
     * e.g. "PRAGMA mmap_size=0" to compare plain reads with mmap */
    const char *sql = getenv("LEDGER_BENCH_SQL");
    if (sql && *sql && wr_store_exec(*s, sql, &e))
        return die(&e);
    return 0;
}

static int cmd_verify(const char *dir)
{
    wr_store *s;
    wr_ledger *l;
    wr_err e = {0};
    if (open_log(dir, &s, &l))
        return 1;
    wr_stmt *st;
    double avg = 0;
    if (wr_stmt_prepare(s, "SELECT avg(length(data)) FROM ledger_entry", &st, &e) == WR_OK) {
        if (wr_stmt_step(st, &e) == 1)
            avg = atof(wr_stmt_text(st, 0) ? wr_stmt_text(st, 0) : "0");
        wr_stmt_done(st);
    }
    uint64_t n = wr_ledger_size(l), bad = 0;
    double best = 1e9;
    for (int r = 0; r < 3; r++) {   /* best of 3: the first run warms the page cache */
        double t0 = now();
        if (wr_ledger_verify(l, &bad, &e))
            return die(&e);
        double dt = now() - t0;
        if (dt < best)
            best = dt;
    }
    printf("verify: entries=%llu avg_entry_bytes=%.1f seconds=%.3f entries_per_s=%.0f "
           "ns_per_entry=%.1f\n", (unsigned long long)n, avg, best, n / best, best * 1e9 / n);
    wr_ledger_close(l);
    wr_store_close(s);
    return 0;
}

typedef struct app_thread {
    const char *dir;
    wr_ledger_group *g;
    double until;
    uint64_t done;
    int plain;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int inflight;
} app_thread;

static void on_ack(void *arg, int rc, uint64_t index, const wr_err *err)
{
    (void)index;
    (void)err;
    app_thread *t = arg;
    pthread_mutex_lock(&t->mu);
    t->inflight--;
    if (rc == WR_OK)
        t->done++;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

static void *app_main(void *arg)
{
    app_thread *t = arg;
    wr_err e = {0};
    uint64_t i = (((uint64_t)(uintptr_t)t >> 4) & 0xffff) << 24;   /* distinct per thread, < 2^53 */
    if (t->plain) {
        wr_store *s;
        wr_ledger *l;
        if (open_log(t->dir, &s, &l))
            return NULL;
        while (now() < t->until) {
            json_t *v = sample_entry(i++);
            uint64_t idx;
            if (wr_store_begin(s, &e) == WR_OK) {
                if (wr_ledger_append(l, v, &idx, &e) == WR_OK && wr_store_commit(s, &e) == WR_OK)
                    t->done++;
                else
                    wr_store_rollback(s);
            }
            json_decref(v);
        }
        wr_ledger_close(l);
        wr_store_close(s);
        return NULL;
    }
    while (now() < t->until) {
        pthread_mutex_lock(&t->mu);
        while (t->inflight >= 512)
            pthread_cond_wait(&t->cv, &t->mu);
        t->inflight++;
        pthread_mutex_unlock(&t->mu);
        json_t *v = sample_entry(i++);
        if (wr_ledger_group_submit(t->g, v, NULL, NULL, on_ack, t, &e) != WR_OK) {
            pthread_mutex_lock(&t->mu);
            t->inflight--;
            pthread_mutex_unlock(&t->mu);
        }
        json_decref(v);
    }
    pthread_mutex_lock(&t->mu);
    while (t->inflight > 0)
        pthread_cond_wait(&t->cv, &t->mu);
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

static int cmd_append(const char *dir, int threads, double seconds, int plain)
{
    wr_err e = {0};
    wr_ledger_group *g = NULL;
    if (!plain && wr_ledger_group_open(dir, 0, &g, &e))
        return die(&e);
    app_thread *t = calloc((size_t)threads, sizeof *t);
    pthread_t *th = calloc((size_t)threads, sizeof *th);
    double t0 = now();
    for (int i = 0; i < threads; i++) {
        t[i] = (app_thread){dir, g, t0 + seconds, 0, plain, PTHREAD_MUTEX_INITIALIZER,
                            PTHREAD_COND_INITIALIZER, 0};
        pthread_create(&th[i], NULL, app_main, &t[i]);
    }
    uint64_t total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        total += t[i].done;
    }
    double dt = now() - t0;
    uint64_t commits = 0, entries = 0;
    if (g) {
        wr_ledger_group_stats(g, &commits, &entries);
        wr_ledger_group_close(g);
    }
    printf("append(%s): threads=%d acknowledged=%llu seconds=%.2f appends_per_s=%.0f",
           plain ? "plain, one commit each" : "group commit", threads, (unsigned long long)total,
           dt, total / dt);
    if (g)
        printf(" commits=%llu mean_batch=%.1f", (unsigned long long)commits,
               commits ? (double)entries / commits : 0);
    printf("\n");
    free(t);
    free(th);
    return 0;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* per-proof samples in microseconds: wall clock and this thread's CPU time
 * (the CPU time leaves out the time other jobs on the machine took) */
typedef struct samples {
    double *wall, *cpu;
    int n;
} samples;

/* Prints the figures; returns the sum of the wall samples (us). */
static double report(const char *what, samples *s)
{
    double mw = 0, mc = 0;
    for (int i = 0; i < s->n; i++) {
        mw += s->wall[i];
        mc += s->cpu[i];
    }
    qsort(s->wall, (size_t)s->n, sizeof *s->wall, cmp_double);
    qsort(s->cpu, (size_t)s->n, sizeof *s->cpu, cmp_double);
    int p50 = s->n / 2, p99 = s->n * 99 / 100;
    printf("  %-44s wall p50=%6.2f p99=%7.2f mean=%6.2f us | cpu p50=%6.2f p99=%7.2f mean=%6.2f us\n",
           what, s->wall[p50], s->wall[p99], mw / s->n, s->cpu[p50], s->cpu[p99], mc / s->n);
    return mw;
}

static uint64_t rnd(uint64_t n)
{
    return (((uint64_t)rand() << 31) ^ (uint64_t)rand()) % n;
}

/* One pass of `count` proofs; indices from idx_of(k).  batch > 0 holds one
 * read snapshot (wr_store_read_begin) across every `batch` proofs. */
static int prove_pass(wr_store *s, wr_ledger *l, uint64_t n, const uint8_t root[32], int count,
                      const uint64_t *idx, const uint64_t *old, int batch, samples *inc,
                      samples *con)
{
    wr_err e = {0};
    inc->n = con->n = 0;
    for (int k = 0; k < count; k++) {
        if (batch && k % batch == 0 && wr_store_read_begin(s, &e))
            return die(&e);
        uint8_t (*proof)[32] = NULL, leaf[32];
        size_t np = 0;
        double c0 = cpu_now(), t0 = now();
        if (wr_ledger_prove_inclusion(l, idx[k], n, leaf, &proof, &np, &e))
            return die(&e);
        double t1 = now(), c1 = cpu_now();
        inc->wall[inc->n] = (t1 - t0) * 1e6;
        inc->cpu[inc->n++] = (c1 - c0) * 1e6;
        if (wr_merkle_verify_inclusion(idx[k], n, leaf, (const uint8_t (*)[32])proof, np, root))
            return fprintf(stderr, "bad inclusion proof\n"), 1;
        free(proof);
        c0 = cpu_now();
        t0 = now();
        if (wr_ledger_prove_consistency(l, old[k], n, &proof, &np, &e))
            return die(&e);
        t1 = now();
        c1 = cpu_now();
        con->wall[con->n] = (t1 - t0) * 1e6;
        con->cpu[con->n++] = (c1 - c0) * 1e6;
        if (k % 97 == 0) {   /* check a sample of the consistency proofs too */
            uint8_t oroot[32];
            if (wr_ledger_root(l, old[k], oroot, &e))
                return die(&e);
            if (wr_merkle_verify_consistency(old[k], n, oroot, root, (const uint8_t (*)[32])proof,
                                             np))
                return fprintf(stderr, "bad consistency proof\n"), 1;
        }
        free(proof);
        if (batch && (k % batch == batch - 1 || k == count - 1))
            wr_store_read_end(s);
    }
    return 0;
}

/* Another connection appending one entry per commit, about one commit per
 * millisecond, until stop is set: the state of a server whose group
 * committer (its own connection) is busy while it proves. */
typedef struct bg_appender {
    const char *dir;
    volatile int stop;
    uint64_t commits;
} bg_appender;

static void *bg_append_main(void *arg)
{
    bg_appender *a = arg;
    wr_store *s;
    wr_ledger *l;
    wr_err e = {0};
    if (open_log(a->dir, &s, &l))
        return NULL;
    for (uint64_t i = 0; !a->stop; i++) {
        json_t *v = sample_entry((uint64_t)1 << 40 | i);
        if (wr_store_begin(s, &e) == WR_OK) {
            if (wr_ledger_append(l, v, NULL, &e) == WR_OK && wr_store_commit(s, &e) == WR_OK)
                a->commits++;
            else
                wr_store_rollback(s);
        }
        json_decref(v);
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    wr_ledger_close(l);
    wr_store_close(s);
    return NULL;
}

/* cold-ish: random indices and old sizes over the whole log, so level-0
 * tiles are almost never in the ledger's cache (the OS page cache is warm
 * from the build or an earlier run).  The first pass runs in a fresh
 * process and also pays the first touch of each database page it maps;
 * the second pass (other indices) finds part of the file mapped already.
 * warm: 256 random indices and old sizes proved over and over (their tiles
 * are in the ledger's cache).  batch: the cold-ish pattern with one read
 * snapshot (wr_store_read_begin) per 100 proofs.  appending: the cold-ish
 * pattern while another connection commits appends (bg_append_main; the
 * proofs stay at the size the pass started with).  Each commit by another
 * connection makes SQLite drop this connection's page cache and memory
 * map of the database at its next read. */
static int cmd_prove(const char *dir, int count)
{
    wr_store *s;
    wr_ledger *l;
    wr_err e = {0};
    if (count < 1)
        return 2;
    double t_open = now();
    if (open_log(dir, &s, &l))
        return 1;
    uint64_t n = wr_ledger_size(l);
    uint8_t root[32];
    if (n == 0 || wr_ledger_root(l, n, root, &e))
        return n ? die(&e) : (fprintf(stderr, "empty log\n"), 1);
    t_open = now() - t_open;
    uint64_t *idx = malloc((size_t)count * sizeof *idx), *old = malloc((size_t)count * sizeof *old);
    samples inc = {malloc((size_t)count * sizeof(double)), malloc((size_t)count * sizeof(double)), 0};
    samples con = {malloc((size_t)count * sizeof(double)), malloc((size_t)count * sizeof(double)), 0};
    int rc = 0;
    printf("prove: size=%llu proofs=%d per pattern\n", (unsigned long long)n, count);
    struct {
        const char *name;
        int warm, batch, appending;
    } pat[] = {{"cold-ish, fresh process", 0, 0, 0}, {"cold-ish, second pass", 0, 0, 0},
               {"warm (256 indices)", 1, 0, 0}, {"cold-ish, 100 per read snapshot", 0, 100, 0},
               {"cold-ish, while appending", 0, 0, 1}};
    for (size_t p = 0; p < sizeof pat / sizeof pat[0] && rc == 0; p++) {
        srand(42 + (unsigned)p);
        uint64_t wi[256], wo[256];
        for (int k = 0; k < 256; k++) {
            wi[k] = rnd(n);
            wo[k] = 1 + rnd(n);
        }
        for (int k = 0; k < count; k++) {
            idx[k] = pat[p].warm ? wi[k % 256] : rnd(n);
            old[k] = pat[p].warm ? wo[k % 256] : 1 + rnd(n);
        }
        if (pat[p].warm)   /* one untimed round fills the cache */
            rc = prove_pass(s, l, n, root, count < 256 ? count : 256, idx, old, 0, &inc, &con);
        bg_appender app = {dir, 0, 0};
        pthread_t th;
        if (pat[p].appending && pthread_create(&th, NULL, bg_append_main, &app) != 0)
            return fprintf(stderr, "cannot start the appender\n"), 1;
        double t0 = now();
        if (rc == 0)
            rc = prove_pass(s, l, n, root, count, idx, old, pat[p].batch, &inc, &con);
        if (pat[p].appending) {
            app.stop = 1;
            pthread_join(th, NULL);
            printf("  (another connection committed %llu appends in %.1f s meanwhile)\n",
                   (unsigned long long)app.commits, now() - t0);
        }
        double pass = now() - t0;
        if (rc == 0) {
            char what[96];
            snprintf(what, sizeof what, "inclusion, %s", pat[p].name);
            double sum = report(what, &inc);
            snprintf(what, sizeof what, "consistency, %s", pat[p].name);
            sum += report(what, &con);
            /* the whole cost of a pattern, warm-ups inside proofs included
             * (a p50 can improve by moving work; these totals cannot) */
            printf("  %-44s proofs %.1f ms, pass %.1f ms", "total", sum / 1000, pass * 1000);
            if (p == 0)
                printf(", open+size+root before it %.1f ms", t_open * 1000);
            printf("\n");
        }
    }
    free(idx);
    free(old);
    free(inc.wall);
    free(inc.cpu);
    free(con.wall);
    free(con.cpu);
    wr_ledger_close(l);
    wr_store_close(s);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "build") == 0)
        return cmd_build(argv[2], strtoull(argv[3], NULL, 10));
    if (argc >= 3 && strcmp(argv[1], "verify") == 0)
        return cmd_verify(argv[2]);
    if (argc >= 6 && strcmp(argv[1], "append") == 0)
        return cmd_append(argv[2], atoi(argv[3]), atof(argv[4]), strcmp(argv[5], "plain") == 0);
    if (argc >= 4 && strcmp(argv[1], "prove") == 0)
        return cmd_prove(argv[2], atoi(argv[3]));
    fprintf(stderr, "usage: see the comment at the top of ledger_bench.c\n");
    return 2;
}
