/*
 * cmd_propose.c — `warrant propose`: ask for a governed change.
 */
#include "cli.h"

#include <string.h>

const char cmd_propose_summary[] = "propose a governed change (or get advice / a draft)";

static const char usage[] =
    "usage: warrant propose OPERATION [+ OPERATION]... --as PRINCIPAL\n"
    "                       [--mode advise|draft|recommend|execute] [--env production|sandbox]\n"
    "                       [--input SOURCE=sha256:HEX | SOURCE=@FILE]... [--recommendation TEXT]\n"
    "                       [--rationale TEXT] [--mandate MANDATE_ID] [--ticket REF]\n"
    "       warrant propose --file CHANGE.json --as PRINCIPAL\n\n"
    "Operations:  grant ACCOUNT ENTITLEMENT     revoke ACCOUNT ENTITLEMENT\n"
    "             disable ACCOUNT               enable ACCOUNT\n"
    "             transfer_ownership OBJECT TO  rotate_credential CREDENTIAL\n"
    "(ACCOUNT is SYSTEM:LOGIN, ENTITLEMENT is SYSTEM:NAME, OBJECT is system:ID,\n"
    "identity:ID or entitlement:ID.)\n\n"
    "Modes: advise and draft change nothing (the decision is recorded as advice);\n"
    "recommend (default) creates a change that policy denies, approves, or routes to\n"
    "approvers; execute also executes it at once when policy needs no approvals.\n"
    "Input signals are recorded by digest only.  Exit 5 when policy denies.\n";

int cmd_propose(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli, usage))
        return 0;
    const char *mode = "recommend", *env = "production", *rec = NULL, *why = NULL, *mandate = NULL, *ticket = NULL,
               *file = NULL, *expires = NULL, *pos[64];
    cli_list inputs = {{0}, 0};
    int npos = 0;
    cli_opt opts[] = {{"mode", 1, &mode, NULL}, {"env", 1, &env, NULL}, {"input", 1, NULL, &inputs},
                      {"recommendation", 1, &rec, NULL}, {"rationale", 1, &why, NULL},
                      {"mandate", 1, &mandate, NULL}, {"ticket", 1, &ticket, NULL}, {"file", 1, &file, NULL},
                      {"expires", 1, &expires, NULL}, {NULL, 0, NULL, NULL}};
    if (cli_parse(argc, argv, opts, pos, 64, &npos))
        return 2;
    json_t *req = NULL;
    wr_err err = {0};
    if (file) {
        if (npos)
            return cli_usage_error(argv[0], "give operations either as words or in --file, not both");
        char *text = NULL;
        size_t len = 0;
        if (wr_file_read(file, 1 << 20, &text, &len, &err) != WR_OK)
            return cli_fail(&err);
        json_error_t jerr;
        req = json_loadb(text, len, 0, &jerr);
        free(text);
        if (!req || !json_is_object(req)) {
            fprintf(stderr, "warrant: %s:%d:%d: %s\n", file, jerr.line, jerr.column,
                    req ? "expected a JSON object" : jerr.text);
            json_decref(req);
            return 2;
        }
    } else {
        json_t *ops = cli_parse_ops(argv[0], npos, pos);
        if (!ops)
            return 2;
        if (expires) {
            size_t i;
            json_t *op;
            json_array_foreach(ops, i, op)
                if (strcmp(json_string_value(json_object_get(op, "op")), "grant") == 0)
                    json_object_set_new(op, "expires_at", json_string(expires));
        }
        json_t *in = cli_parse_inputs(argv[0], &inputs);
        if (!in) {
            json_decref(ops);
            return 2;
        }
        req = json_pack("{s:s,s:s,s:o,s:o,s:s?,s:s?,s:s?,s:s?}", "mode", mode, "environment", env, "operations",
                        ops, "inputs", in, "recommendation", rec, "rationale", why, "mandate", mandate, "ticket",
                        ticket);
    }
    wr_ctx *ctx = NULL;
    int rc = cli_open(cli, &ctx);
    if (rc) {
        json_decref(req);
        return rc;
    }
    json_t *out = NULL;
    wr_actor actor = cli_actor(cli);
    rc = wr_change_propose(ctx, &actor, req, &out, &err);
    json_decref(req);
    wr_ctx_close(ctx);
    if (rc)
        return cli_fail(&err);
    cli_print_change(cli, out);
    rc = cli_change_exit(out);
    json_decref(out);
    return rc;
}
