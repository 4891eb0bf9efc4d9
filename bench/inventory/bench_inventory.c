/*
 * bench_inventory.c — readiness timings on an imported inventory:
 *   full      every system recomputed from scratch (cache cleared), all
 *             scopes (overall, each domain, each system) — what a snapshot
 *             or the HTML report costs;
 *   overall   one overall compute from scratch;
 *   warm      the same with every system cached;
 *   import    a small incremental import (N accounts of one system
 *             disabled, N of its grants certified);
 *   incr      the overall compute right after it (only the touched system
 *             is recounted);
 *   system    one system's metrics with a warm cache.
 * usage: bench_inventory DATA_DIR [N]
 */
#include "warrant/inventory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, const wr_err *err)
{
    fprintf(stderr, "bench_inventory: %s: %s\n", what, err->msg);
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_inventory DATA_DIR [N]\n");
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 100;
    wr_err err = {0};
    wr_store *s;
    json_t *out = NULL;
    if (wr_store_open(argv[1], 0, &s, &err))
        die("open", &err);
    if (wr_store_exec(s, "DELETE FROM readiness_cache", &err))
        die("clear", &err);
    double t0 = now_s();
    if (wr_readiness_compute(s, "overall", NULL, &out, &err))
        die("overall", &err);
    double t_overall = now_s() - t0;
    printf("accounts %lld, grants %lld, credentials %lld\n",
           (long long)json_integer_value(json_object_get(out, "accounts")),
           (long long)json_integer_value(json_object_get(out, "grants")),
           (long long)json_integer_value(json_object_get(out, "credentials")));
    json_decref(out);
    if (wr_store_exec(s, "DELETE FROM readiness_cache", &err))
        die("clear", &err);
    t0 = now_s();
    if (wr_readiness_compute_all(s, &out, &err))
        die("all", &err);
    double t_full = now_s() - t0;
    json_decref(out);
    t0 = now_s();
    if (wr_readiness_compute(s, "overall", NULL, &out, &err))
        die("warm", &err);
    double t_warm = now_s() - t0;
    json_decref(out);

    /* a small import touching one system */
    wr_inventory_query q = {"grants", "payroll", NULL, NULL, n, 0};
    json_t *page = NULL;
    if (wr_inventory_search(s, &q, &page, &err))
        die("search", &err);
    wr_buf acc = WR_BUF_INIT, gr = WR_BUF_INIT;
    if (wr_buf_puts(&acc, "id,status\n") || wr_buf_puts(&gr, "account,entitlement,certified_at\n"))
        return 1;
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(page, "items"), i, g) {
        const char *a = json_string_value(json_object_get(g, "account"));
        if (wr_buf_printf(&acc, "%s,disabled\n", a) ||
            wr_buf_printf(&gr, "%s,%s,2025-05-30T00:00:00Z\n", a,
                          json_string_value(json_object_get(g, "entitlement"))))
            return 1;
    }
    json_decref(page);
    wr_import_stats st1, st2;
    wr_import_opts o = {0};
    /* the same account may appear twice in the grant page: later duplicates
     * are rejected rows, which is fine here */
    t0 = now_s();
    if (wr_inventory_import_buffer(s, "accounts-delta.csv", acc.data, acc.len, &o, &st1, NULL, &err) ||
        wr_inventory_import_buffer(s, "grants-delta.csv", gr.data, gr.len, &o, &st2, NULL, &err))
        die("import", &err);
    double t_import = now_s() - t0;
    t0 = now_s();
    if (wr_readiness_compute(s, "overall", NULL, &out, &err))
        die("incremental", &err);
    double t_incr = now_s() - t0;
    json_decref(out);
    t0 = now_s();
    if (wr_readiness_compute(s, "system", "payroll", &out, &err))
        die("system", &err);
    double t_sys = now_s() - t0;
    json_decref(out);
    printf("readiness full (all scopes, cold): %.2f s\n", t_full);
    printf("readiness overall (cold):          %.2f s\n", t_overall);
    printf("readiness overall (warm cache):    %.3f s\n", t_warm);
    printf("small import (%llu+%llu changed):   %.3f s\n", (unsigned long long)st1.changed,
           (unsigned long long)st2.changed, t_import);
    printf("readiness overall after it:        %.3f s\n", t_incr);
    printf("readiness system payroll (warm):   %.3f s\n", t_sys);
    wr_buf_free(&acc);
    wr_buf_free(&gr);
    wr_store_close(s);
    return 0;
}
