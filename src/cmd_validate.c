/* cmd_validate.c — `warrant validate CHANGE_ID --as PRINCIPAL`. */
#include "cli.h"

const char cmd_validate_summary[] = "check that the target matches an executed change";

static int run(wr_ctx *ctx, const wr_actor *actor, const char *id, const char *reason, json_t **out, wr_err *err)
{
    (void)reason;
    return wr_change_validate(ctx, actor, id, out, err);
}

int cmd_validate(int argc, char **argv, wr_cli *cli)
{
    return cli_change_verb(argc, argv, cli,
        "usage: warrant validate CHANGE_ID --as PRINCIPAL\n\n"
        "Reads the target back and checks it matches every operation of the executed\n"
        "change.  On success the change is validated and a validation report (with its\n"
        "SHA-256) becomes closure evidence; on a mismatch the change is marked failed\n"
        "and the command exits 6.\n",
        0, run);
}
