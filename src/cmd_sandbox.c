/*
 * cmd_sandbox.c — `warrant sandbox reset`: refresh the sandbox inventory.
 */
#include "cli.h"

#include <string.h>

const char cmd_sandbox_summary[] = "reset the sandbox inventory to a copy of production";

int cmd_sandbox(int argc, char **argv, wr_cli *cli)
{
    static const char usage[] = "usage: warrant sandbox reset\n\n"
                                "Replaces the sandbox inventory with a copy of production's.  Changes proposed\n"
                                "with --env sandbox execute there and never touch production state.\n";
    if (cli_help(cli, usage))
        return 0;
    if (argc != 2 || strcmp(argv[1], "reset") != 0)
        return cli_usage_error("sandbox", "expected 'reset'");
    wr_ctx *ctx = NULL;
    int rc = cli_open(cli, &ctx);
    if (rc)
        return rc;
    wr_err err = {0};
    rc = wr_sandbox_reset(ctx, &err);
    wr_ctx_close(ctx);
    if (rc)
        return cli_fail(&err);
    printf("sandbox reset from production\n");
    return 0;
}
