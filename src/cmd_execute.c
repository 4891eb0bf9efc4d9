/* cmd_execute.c — `warrant execute CHANGE_ID --as PRINCIPAL`. */
#include "cli.h"

const char cmd_execute_summary[] = "execute an approved change";

static int run(wr_ctx *ctx, const wr_actor *actor, const char *id, const char *reason, json_t **out, wr_err *err)
{
    (void)reason;
    return wr_change_execute(ctx, actor, id, out, err);
}

int cmd_execute(int argc, char **argv, wr_cli *cli)
{
    return cli_change_verb(argc, argv, cli,
        "usage: warrant execute CHANGE_ID --as PRINCIPAL\n\n"
        "Executes an approved change, if policy grants this principal the execute mode\n"
        "(and, for an agent, its mandate and the data readiness floor allow it).  The\n"
        "inverse of every operation is recorded before anything is applied; a failure\n"
        "leaves nothing half-applied.\n",
        0, run);
}
