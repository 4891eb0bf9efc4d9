/*
 * handlers_ops.c — operational routes: /healthz (no credentials, no
 * database: a load balancer probes it often), /metrics (Prometheus text;
 * the gauges are measured at scrape time), /openapi.json, and the public
 * lineage log (/log/checkpoint, /log/tile/...), read straight from the
 * ledger tables.
 */
#include "server_internal.h"

#include <stdlib.h>
#include <string.h>

void h_healthz(srv_req *r)
{
    srv_json(r, 200, json_pack("{s:s,s:s}", "status", r->srv->stopping ? "stopping" : "ok", "mode",
                               r->srv->pdp ? "pdp" : "server"));
}

static long long pending_approvals(wr_ctx *ctx)
{
    long long n = 0;
    for (json_int_t off = 0; off < 100000; off += 1000) {
        json_t *f = json_pack("{s:s,s:i,s:I}", "state", "awaiting_approval", "limit", 1000, "offset", off), *out = NULL;
        wr_err err = {0};
        int rc = wr_change_list(ctx, f, &out, &err);
        json_decref(f);
        if (rc)
            return -1;
        size_t got = json_array_size(out);
        json_decref(out);
        n += (long long)got;
        if (got < 1000)
            break;
    }
    return n;
}

static long long log_size(wr_ctx *ctx)
{
    char *note = NULL;
    wr_err err = {0};
    if (wr_ledger_checkpoint(wr_ctx_ledger(ctx), &note, &err) != WR_OK)
        return -1;
    const char *nl = strchr(note, '\n');
    long long n = nl ? strtoll(nl + 1, NULL, 10) : -1;
    free(note);
    return n;
}

void h_metrics(srv_req *r)
{
    long long pending = -1, size = -1;
    if (!r->srv->pdp) {
        pending = pending_approvals(r->w->ctx);
        size = log_size(r->w->ctx);
    }
    wr_buf b = WR_BUF_INIT;
    if (srv_metrics_render(&r->srv->metrics, r->srv->pdp, pending, size, atomic_load(&r->srv->conns), &b) != WR_OK) {
        wr_buf_free(&b);
        srv_error(r, 500, NULL, "could not render metrics");
        return;
    }
    size_t len = b.len;
    srv_raw(r, 200, "text/plain; version=0.0.4; charset=utf-8", wr_buf_steal(&b), len);
}

void h_openapi(srv_req *r)
{
    const char *doc = wr_server_openapi();
    char *copy = strdup(doc);
    if (!copy) {
        srv_error(r, 500, NULL, "out of memory");
        return;
    }
    srv_raw(r, 200, "application/json", copy, strlen(copy));
}

void h_log(srv_req *r)
{
    const char *path = r->path + strlen("/log/");
    char *body = NULL;
    size_t len = 0;
    int immutable = 0;
    wr_err err = {0};
    if (srv_log_read(wr_ctx_store(r->w->ctx), wr_ctx_ledger(r->w->ctx), path, &body, &len, &immutable, &err) !=
        WR_OK) {
        srv_fail(r, &err, NULL);
        return;
    }
    int checkpoint = strcmp(path, "checkpoint") == 0;
    srv_raw(r, 200, checkpoint ? "text/plain; charset=utf-8" : "application/octet-stream", body, len);
    r->cache = immutable ? "public, max-age=31536000, immutable" : "no-cache";
}
