/*
 * metrics.c — counters for /metrics, in the Prometheus text exposition
 * format (version 0.0.4).  Counters are C11 atomics updated from the
 * worker threads without locks: requests by (route, status), one latency
 * histogram over all requests, decisions by outcome, rate-limit refusals
 * and expiry runs.  Statuses are counted in fixed slots (the codes the
 * server produces; anything else lands in "other") so memory is bounded
 * and a hostile client cannot grow the label space.
 */
#include "server_internal.h"

#include <stdlib.h>

static const int statuses[SRV_NSTATUS] = {200, 201, 202, 204, 304, 400, 401, 403, 404, 405,
                                          408, 409, 413, 429, 431, 500, 503, 0};
static const double buckets[SRV_NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                             0.05,   0.1,   0.25,   0.5,   1,    2.5};
static const char *const decision_names[SRV_NDEC] = {"allow", "deny", "approval_required", "error"};

int srv_metrics_init(srv_metrics *m)
{
    m->requests = calloc((srv_nroutes + 1) * SRV_NSTATUS, sizeof *m->requests);
    return m->requests ? WR_OK : WR_ENOMEM;
}

void srv_metrics_free(srv_metrics *m)
{
    free(m->requests);
    m->requests = NULL;
}

static int status_slot(int status)
{
    for (int i = 0; i < SRV_NSTATUS - 1; i++)
        if (statuses[i] == status)
            return i;
    return SRV_NSTATUS - 1;
}

void srv_metrics_request(srv_metrics *m, size_t route, int status, uint64_t micros)
{
    if (route > srv_nroutes)
        route = srv_nroutes;
    atomic_fetch_add(&m->requests[route * SRV_NSTATUS + (size_t)status_slot(status)], 1);
    int b = 0;
    while (b < SRV_NBUCKETS && (double)micros / 1e6 > buckets[b])
        b++;
    atomic_fetch_add(&m->latency[b], 1);
    atomic_fetch_add(&m->latency_sum_us, micros);
    atomic_fetch_add(&m->latency_count, 1);
}

int srv_metrics_render(const srv_metrics *m, int pdp, long long pending, long long log_size, long long open_conns,
                       wr_buf *out)
{
    int rc = WR_OK;
#define P(...) do { if (rc == WR_OK) rc = wr_buf_printf(out, __VA_ARGS__); } while (0)
    P("# HELP warrant_http_requests_total HTTP requests by route and status.\n"
      "# TYPE warrant_http_requests_total counter\n");
    for (size_t r = 0; r <= srv_nroutes; r++) {
        if (r < srv_nroutes && pdp && !srv_routes[r].pdp)
            continue;
        for (int s = 0; s < SRV_NSTATUS; s++) {
            unsigned long long v = atomic_load(&m->requests[r * SRV_NSTATUS + (size_t)s]);
            if (!v)
                continue;
            char st[8];
            if (statuses[s])
                snprintf(st, sizeof st, "%d", statuses[s]);
            else
                snprintf(st, sizeof st, "other");
            P("warrant_http_requests_total{method=\"%s\",route=\"%s\",status=\"%s\"} %llu\n",
              r < srv_nroutes ? srv_routes[r].method : "", r < srv_nroutes ? srv_routes[r].pattern : "unmatched",
              st, v);
        }
    }
    P("# HELP warrant_http_request_duration_seconds Time from the first byte of a request to its response.\n"
      "# TYPE warrant_http_request_duration_seconds histogram\n");
    unsigned long long cum = 0;
    for (int b = 0; b < SRV_NBUCKETS; b++) {
        cum += atomic_load(&m->latency[b]);
        P("warrant_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n", buckets[b], cum);
    }
    cum += atomic_load(&m->latency[SRV_NBUCKETS]);
    P("warrant_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
    P("warrant_http_request_duration_seconds_sum %.6f\n", (double)atomic_load(&m->latency_sum_us) / 1e6);
    P("warrant_http_request_duration_seconds_count %llu\n", (unsigned long long)atomic_load(&m->latency_count));
    P("# HELP warrant_decisions_total Decisions answered (AuthZEN and /v1/decisions) by outcome.\n"
      "# TYPE warrant_decisions_total counter\n");
    for (int d = 0; d < SRV_NDEC; d++)
        P("warrant_decisions_total{outcome=\"%s\"} %llu\n", decision_names[d],
          (unsigned long long)atomic_load(&m->decisions[d]));
    P("# HELP warrant_rate_limited_total Requests refused by a principal's rate limit.\n"
      "# TYPE warrant_rate_limited_total counter\nwarrant_rate_limited_total %llu\n",
      (unsigned long long)atomic_load(&m->rate_limited));
    P("# HELP warrant_open_connections Open HTTP connections.\n# TYPE warrant_open_connections gauge\n"
      "warrant_open_connections %lld\n", open_conns);
    if (!pdp) {
        P("# HELP warrant_expire_runs_total Runs of the expiry timer.\n# TYPE warrant_expire_runs_total counter\n"
          "warrant_expire_runs_total %llu\n", (unsigned long long)atomic_load(&m->expire_runs));
        P("# HELP warrant_expired_total Items expired by the timer.\n# TYPE warrant_expired_total counter\n"
          "warrant_expired_total %llu\n", (unsigned long long)atomic_load(&m->expired_items));
        P("# HELP warrant_webhook_deliveries_total Log entries delivered to webhooks.\n"
          "# TYPE warrant_webhook_deliveries_total counter\n"
          "warrant_webhook_deliveries_total %llu\n", (unsigned long long)atomic_load(&m->webhook_deliveries));
        P("# HELP warrant_webhook_failures_total Failed webhook delivery attempts.\n"
          "# TYPE warrant_webhook_failures_total counter\n"
          "warrant_webhook_failures_total %llu\n", (unsigned long long)atomic_load(&m->webhook_failures));
        P("# HELP warrant_pending_approvals Changes awaiting approval.\n# TYPE warrant_pending_approvals gauge\n"
          "warrant_pending_approvals %lld\n", pending);
        P("# HELP warrant_log_entries Entries in the lineage log (signed checkpoint size).\n"
          "# TYPE warrant_log_entries gauge\nwarrant_log_entries %lld\n", log_size);
    }
#undef P
    return rc;
}
