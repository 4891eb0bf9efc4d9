/*
 * cmd_check.c — `warrant check`: what would policy decide?  Changes nothing.
 */
#include "cli.h"

const char cmd_check_summary[] = "ask what policy would decide for an action, changing nothing";

int cmd_check(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli,
        "usage: warrant check OPERATION [+ OPERATION]... --as PRINCIPAL [--mode MODE]\n"
        "                     [--env production|sandbox] [--mandate MANDATE_ID]\n\n"
        "Prints the decision (deny, allow or approval_required), the approval stages\n"
        "with their eligible approvers, the obligations and why.  Operations are\n"
        "written as for 'warrant propose'.  Exit 5 when the answer is deny.\n"))
        return 0;
    const char *mode = "execute", *env = "production", *mandate = NULL, *pos[64];
    int npos = 0;
    cli_opt opts[] = {{"mode", 1, &mode, NULL}, {"env", 1, &env, NULL}, {"mandate", 1, &mandate, NULL},
                      {NULL, 0, NULL, NULL}};
    if (cli_parse(argc, argv, opts, pos, 64, &npos))
        return 2;
    json_t *ops = cli_parse_ops(argv[0], npos, pos);
    if (!ops)
        return 2;
    json_t *req = json_pack("{s:s,s:s,s:o,s:s?}", "mode", mode, "environment", env, "operations", ops, "mandate",
                            mandate);
    wr_ctx *ctx = NULL;
    int rc = cli_open(cli, &ctx);
    if (rc) {
        json_decref(req);
        return rc;
    }
    wr_err err = {0};
    json_t *decision = NULL;
    wr_actor actor = cli_actor(cli);
    rc = wr_decide(ctx, &actor, req, &decision, &err);
    json_decref(req);
    wr_ctx_close(ctx);
    if (rc)
        return cli_fail(&err);
    json_t *wrapped = json_pack("{s:s,s:s,s:O}", "id", "check", "mode", mode, "decision", decision);
    if (cli->json)
        cli_print_json(decision);
    else
        cli_print_change(cli, wrapped);
    rc = cli_change_exit(wrapped);
    json_decref(wrapped);
    json_decref(decision);
    return rc;
}
