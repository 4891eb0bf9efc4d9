/*
 * cmd_expire.c — `warrant expire`: expire what is due now.
 */
#include "cli.h"

const char cmd_expire_summary[] = "expire approval windows, time-bound grants and mandates that are due";

int cmd_expire(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli, "usage: warrant expire [--json]\n\n"
                      "Moves changes whose approval window closed to expired, revokes time-bound\n"
                      "grants whose expiry passed (recording each with its inverse in the log), and\n"
                      "expires mandates past their deadline.  Run it from cron, or let 'warrant\n"
                      "serve' run it on its timer.\n"))
        return 0;
    const char *pos[1];
    int npos = 0;
    cli_opt none[] = {{NULL, 0, NULL, NULL}};
    if (cli_parse(argc, argv, none, pos, 0, &npos))
        return 2;
    wr_ctx *ctx = NULL;
    int rc = cli_open(cli, &ctx);
    if (rc)
        return rc;
    wr_err err = {0};
    json_t *out = NULL;
    rc = wr_expire(ctx, &out, &err);
    wr_ctx_close(ctx);
    if (rc)
        return cli_fail(&err);
    if (cli->json)
        cli_print_json(out);
    else
        printf("expired %zu change(s), %zu grant(s), %zu mandate(s)\n", json_array_size(json_object_get(out, "changes")),
               json_array_size(json_object_get(out, "grants")), json_array_size(json_object_get(out, "mandates")));
    json_decref(out);
    return 0;
}
