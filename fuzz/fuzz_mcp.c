/*
 * fuzz_mcp.c — fuzzes the MCP server's message handling.
 *
 * On the first input a data directory is made under $TMPDIR (wr_ctx_init),
 * with a tiny inventory (one system, accounts, an entitlement and a grant),
 * a human, an agent with a mandate and a copilot.  Each input is then one
 * session: the bytes are split at newlines, as `warrant mcp` does on
 * stdio, and every piece goes through wr_mcp_handle.  An input whose first
 * byte is 0x01 runs (without that byte) as the copilot, others as the
 * agent, so both decision paths are reached.  Invariants: wr_mcp_handle never fails (it answers
 * every fault with a JSON-RPC error), and every answer is one line of JSON
 * — an object with "jsonrpc":"2.0" and exactly one of result and error,
 * or, for a 2025-03-26 batch, an array of such objects.
 */
#include "mcp/mcp_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static wr_ctx *ctx;

static void must(int cond)
{
    if (!cond)
        abort();
}

static void add(const char *spec, const char *as)
{
    json_t *j = json_loads(spec, 0, NULL), *out = NULL;
    wr_actor a = {as, "cli"};
    wr_err err = {0};
    must(wr_principal_add(ctx, as ? &a : NULL, j, &out, &err) == WR_OK);
    json_decref(out);
    json_decref(j);
}

static void import(const char *kind, const char *csv)
{
    wr_import_opts o = {0};
    wr_import_stats st;
    o.format = "csv";
    o.kind = kind;
    wr_err err = {0};
    must(wr_inventory_import_buffer(wr_ctx_store(ctx), kind, csv, strlen(csv), &o, &st, NULL, &err) == WR_OK);
}

static void setup(void)
{
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/fuzz-mcp-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    must(mkdtemp(dir) != NULL);
    strcat(dir, "/data");
    wr_err err = {0};
    must(wr_ctx_init(dir, NULL, &err) == WR_OK);
    must(wr_ctx_open(dir, 0, &ctx, &err) == WR_OK);
    import("identities", "id,kind,name,status\nhal,human,Hal,active\np1,human,P1,active\n");
    import("systems", "id,name,domain,owner\npayroll,Payroll,finance,hal\n");
    import("entitlements", "id,system,name,privilege\npayroll:viewer,payroll,viewer,standard\n");
    import("accounts", "id,system,login,identity,status\npayroll:p1,payroll,p1,p1,active\n"
                       "payroll:orphan,payroll,orphan,,active\n");
    import("grants", "account,entitlement\npayroll:p1,payroll:viewer\n");
    add("{\"id\":\"hal\",\"kind\":\"human\",\"roles\":[\"security\"]}", NULL);
    add("{\"id\":\"sam\",\"kind\":\"human\",\"roles\":[\"security\"]}", "hal");
    add("{\"id\":\"bot\",\"kind\":\"agent\",\"owner\":\"hal\",\"roles\":[]}", "hal");
    add("{\"id\":\"cop\",\"kind\":\"copilot\",\"on_behalf_of\":\"hal\",\"roles\":[]}", "hal");
    json_t *m = json_loads("{\"agent\":\"bot\",\"purpose\":\"fuzz\",\"systems\":[\"payroll\"],\"actions\":"
                           "[\"disable\",\"revoke\"],\"max_changes\":1000000,\"duration\":\"3650d\"}", 0, NULL),
           *out = NULL;
    wr_actor owner = {"hal", "cli"};
    must(wr_mandate_create(ctx, &owner, m, &out, &err) == WR_OK);
    json_decref(out);
    json_decref(m);
}

static void check_one(const json_t *r)
{
    must(json_is_object(r));
    must(json_is_string(json_object_get(r, "jsonrpc")) &&
         strcmp(json_string_value(json_object_get(r, "jsonrpc")), "2.0") == 0);
    must(!json_object_get(r, "result") != !json_object_get(r, "error"));
    json_t *id = json_object_get(r, "id");
    must(json_is_null(id) || json_is_string(id) || json_is_integer(id));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ctx)
        setup();
    wr_mcp_session *s = NULL;
    int copilot = size && data[0] == 0x01;
    must(wr_mcp_session_new(ctx, copilot ? "cop" : "bot", &s, NULL) == WR_OK);
    data += copilot;
    size -= (size_t)copilot;
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && data[i] != '\n')
            continue;
        char *resp = NULL;
        wr_err err = {0};
        must(wr_mcp_handle(s, (const char *)data + start, i - start, &resp, &err) == WR_OK);
        if (resp) {
            must(strchr(resp, '\n') == NULL);
            json_t *r = json_loads(resp, 0, NULL);
            must(r != NULL);
            if (json_is_array(r)) {
                size_t k;
                json_t *e;
                json_array_foreach(r, k, e)
                    check_one(e);
            } else {
                check_one(r);
            }
            json_decref(r);
            free(resp);
        }
        start = i + 1;
    }
    wr_mcp_session_free(s);
    return 0;
}
