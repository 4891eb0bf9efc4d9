/*
 * warrant_bench.c — measures Warrant's Cedar engine (include/warrant/policy.h)
 * on a workload made by gen.py, the same two ways cedar_bench.mjs measures
 * the official implementation:
 *
 *   same  "same work": every decision parses the policy text and the
 *         request line, builds the entity store from the entities as a
 *         JSON value (decoded once, like the JS array cedar_bench.mjs hands
 *         to isAuthorized()), authorizes with fresh scratch space and frees
 *         everything — what isAuthorized() does.
 *   same-text  as "same", but the entities are also decoded from JSON text
 *         on every decision (wr_entities_parse: yajl events streamed into
 *         the store, no DOM); cedar_bench.mjs's same-text does JSON.parse.
 *   best  policies and entities loaded once, one wr_authz scratch reused,
 *         requests decoded up front; each decision is one wr_authorize().
 *
 * Single thread.  Usage:
 *   warrant_bench WORKLOAD_DIR [--mode same|best|both] [--seconds S] [--max N]
 * Prints one JSON line per mode with the fields cedar_bench.mjs prints
 * (decisions/s, p50/p99 in µs, allows, errors, and "answers": the first
 * pass of decisions as 0/1 text, so run.sh can check both engines agree).
 */
#include "warrant/core.h"
#include "warrant/policy.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_INPUT_BYTES ((size_t)1 << 30)   /* 1 GiB per workload file */

typedef struct bench_req {
    char *line;            /* the request as JSON text */
    json_t *json;          /* decoded once for "best" */
    wr_request req;        /* borrows strings from json */
} bench_req;

typedef struct workload {
    char *name;
    char *policies;
    size_t policies_len;
    char *entities;
    size_t entities_len;
    json_t *entities_json;     /* decoded once, for "same" */
    bench_req *reqs;
    size_t nreq;
} workload;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* CPU time of the process: on a shared machine the wall clock also counts
 * time spent descheduled, so throughput is reported both ways. */
static double cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void die(const char *what, const wr_err *err)
{
    fprintf(stderr, "warrant_bench: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

/* Fills r->req from the decoded JSON {"principal":{"type","id"},...}. */
static int decode_request(json_t *j, wr_request *r)
{
    const char *keys[3] = {"principal", "action", "resource"};
    const char **slots[3][2] = {{&r->principal_type, &r->principal_id},
                                {&r->action_type, &r->action_id},
                                {&r->resource_type, &r->resource_id}};
    memset(r, 0, sizeof *r);
    for (int k = 0; k < 3; k++) {
        json_t *u = json_object_get(j, keys[k]);
        *slots[k][0] = json_string_value(json_object_get(u, "type"));
        *slots[k][1] = json_string_value(json_object_get(u, "id"));
        if (!*slots[k][0] || !*slots[k][1])
            return -1;
    }
    r->context = json_object_get(j, "context");
    return 0;
}

static void load(const char *dir, workload *w)
{
    char path[4096];
    wr_err err = {0};
    size_t len;
    char *text;
    const char *slash = strrchr(dir, '/');
    w->name = strdup(slash && slash[1] ? slash + 1 : dir);
    snprintf(path, sizeof path, "%s/policies.cedar", dir);
    if (wr_file_read(path, MAX_INPUT_BYTES, &w->policies, &w->policies_len, &err))
        die(path, &err);
    snprintf(path, sizeof path, "%s/entities.json", dir);
    if (wr_file_read(path, MAX_INPUT_BYTES, &w->entities, &w->entities_len, &err))
        die(path, &err);
    snprintf(path, sizeof path, "%s/requests.jsonl", dir);
    if (wr_file_read(path, MAX_INPUT_BYTES, &text, &len, &err))
        die(path, &err);
    size_t cap = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (w->nreq == cap) {
            cap = cap ? cap * 2 : 256;
            w->reqs = realloc(w->reqs, cap * sizeof *w->reqs);
            if (!w->reqs)
                die("requests", NULL);
        }
        bench_req *b = &w->reqs[w->nreq];
        json_error_t jerr;
        b->line = strdup(line);
        b->json = json_loads(line, 0, &jerr);
        if (!b->json || decode_request(b->json, &b->req)) {
            fprintf(stderr, "warrant_bench: %s/requests.jsonl:%zu: bad request\n", dir, w->nreq + 1);
            exit(1);
        }
        w->nreq++;
    }
    free(text);
    json_error_t jerr;
    w->entities_json = json_loadb(w->entities, w->entities_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!w->entities_json) {
        fprintf(stderr, "warrant_bench: %s/entities.json:%d:%d: %s\n", dir, jerr.line, jerr.column, jerr.text);
        exit(1);
    }
    if (!w->nreq) {
        fprintf(stderr, "warrant_bench: %s/requests.jsonl has no requests\n", dir);
        exit(1);
    }
}

/* "same work": everything converted every time (entities from text too
 * when from_text). */
static int decide_same(const workload *w, size_t i, bool from_text, int *errors)
{
    wr_err err = {0};
    wr_policy_set *ps = NULL;
    wr_entities *ents = NULL;
    wr_authz *az = NULL;
    wr_response resp;
    json_error_t jerr;
    wr_request req;
    json_t *j = json_loads(w->reqs[i].line, 0, &jerr);
    if (!j || decode_request(j, &req))
        die("request", NULL);
    if (wr_policy_set_parse(w->policies, w->policies_len, "policies.cedar", &ps, &err))
        die("parsing policies", &err);
    if (from_text ? wr_entities_parse(w->entities, w->entities_len, NULL, &ents, &err)
                  : wr_entities_from_json(w->entities_json, NULL, &ents, &err))
        die("parsing entities", &err);
    if (wr_authz_new(&az))
        die("wr_authz_new", NULL);
    if (wr_authorize(az, ps, ents, &req, &resp, &err))
        die("wr_authorize", &err);
    int allow = resp.allow;
    *errors += resp.nerror > 0;
    wr_authz_free(az);
    wr_entities_free(ents);
    wr_policy_set_free(ps);
    json_decref(j);
    return allow;
}

typedef struct loaded {
    wr_policy_set *ps;
    wr_entities *ents;
    wr_authz *az;
} loaded;

static int decide_best(const workload *w, const loaded *l, size_t i, int *errors)
{
    wr_err err = {0};
    wr_response resp;
    if (wr_authorize(l->az, l->ps, l->ents, &w->reqs[i].req, &resp, &err))
        die("wr_authorize", &err);
    *errors += resp.nerror > 0;
    return resp.allow;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void run(const char *mode, const workload *w, const loaded *l, double seconds, long max)
{
    bool text = strcmp(mode, "same-text") == 0;
    size_t warmup = strcmp(mode, "best") == 0 ? (w->nreq < 200 ? w->nreq : 200) : (w->nreq < 5 ? w->nreq : 5);
    int errors = 0, allows = 0;
    for (size_t i = 0; i < warmup; i++)
        (void)(l ? decide_best(w, l, i, &errors) : decide_same(w, i, text, &errors));
    errors = 0;
    size_t cap = 1 << 16, n = 0;
    double *lat = malloc(cap * sizeof *lat);
    char *answers = calloc(w->nreq + 1, 1);   /* first pass, as 0/1 */
    if (!answers)
        die("answers", NULL);
    double t0 = now_us(), deadline = t0 + seconds * 1e6, c0 = cpu_us();
    for (long k = 0; k < max; k++) {
        size_t i = (size_t)k % w->nreq;
        double s = now_us();
        int allow = l ? decide_best(w, l, i, &errors) : decide_same(w, i, text, &errors);
        double e = now_us();
        if (n == cap) {
            cap *= 2;
            lat = realloc(lat, cap * sizeof *lat);
        }
        if (!lat)
            die("latencies", NULL);
        lat[n++] = e - s;
        allows += allow;
        if ((size_t)k < w->nreq)
            answers[k] = allow ? '1' : '0';
        if (e > deadline && k + 1 >= (max < 3 ? max : 3))
            break;
    }
    double total = (now_us() - t0) / 1e6, cpu = (cpu_us() - c0) / 1e6;
    qsort(lat, n, sizeof *lat, cmp_double);
    size_t i50 = n / 2, i99 = (size_t)(0.99 * (double)n);
    if (i99 >= n)
        i99 = n - 1;
    printf("{\"engine\":\"warrant\",\"version\":\"%s\",\"workload\":\"%s\",\"mode\":\"%s\","
           "\"decisions\":%zu,\"decisions_per_s\":%.3f,\"decisions_per_cpu_s\":%.3f,\"p50_us\":%.3f,\"p99_us\":%.3f,"
           "\"allows\":%d,\"errors\":%d,\"answers\":\"%s\"}\n",
           WARRANT_VERSION, w->name, mode, n, (double)n / total, (double)n / cpu, lat[i50], lat[i99], allows, errors,
           answers);
    fflush(stdout);
    free(answers);
    free(lat);
}

static void usage(const char *msg)
{
    fprintf(stderr, "warrant_bench: %s\nusage: warrant_bench WORKLOAD_DIR [--mode same|best|both] "
                    "[--seconds S] [--max N]\n", msg);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *mode = "both";
    double seconds = 3;
    long max = 1L << 40;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mode") && i + 1 < argc)
            mode = argv[++i];
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--max") && i + 1 < argc)
            max = atol(argv[++i]);
        else if (argv[i][0] == '-')
            usage("unknown option");
        else
            dir = argv[i];
    }
    if (!dir)
        usage("missing WORKLOAD_DIR");
    if (strcmp(mode, "same") && strcmp(mode, "best") && strcmp(mode, "both"))
        usage("bad --mode");
    if (!(seconds > 0) || max <= 0)
        usage("--seconds and --max must be positive");

    workload w = {0};
    load(dir, &w);
    if (strcmp(mode, "best")) {
        run("same", &w, NULL, seconds, max);
        if (!getenv("BENCH_NO_TEXT"))
            run("same-text", &w, NULL, seconds, max);
    }
    if (strcmp(mode, "same")) {
        wr_err err = {0};
        loaded l = {0};
        if (wr_policy_set_parse(w.policies, w.policies_len, "policies.cedar", &l.ps, &err))
            die("parsing policies", &err);
        if (wr_entities_parse(w.entities, w.entities_len, NULL, &l.ents, &err))
            die("parsing entities", &err);
        if (wr_authz_new(&l.az))
            die("wr_authz_new", NULL);
        run("best", &w, &l, seconds, max);
        wr_authz_free(l.az);
        wr_entities_free(l.ents);
        wr_policy_set_free(l.ps);
    }
    for (size_t i = 0; i < w.nreq; i++) {
        free(w.reqs[i].line);
        json_decref(w.reqs[i].json);
    }
    free(w.reqs);
    json_decref(w.entities_json);
    free(w.policies);
    free(w.entities);
    free(w.name);
    return 0;
}
