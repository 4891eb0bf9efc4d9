/* cmd_rollback.c — `warrant rollback CHANGE_ID --reason TEXT --as PRINCIPAL`. */
#include "cli.h"

const char cmd_rollback_summary[] = "propose the rollback of an executed change (itself governed)";

int cmd_rollback(int argc, char **argv, wr_cli *cli)
{
    return cli_change_verb(argc, argv, cli,
        "usage: warrant rollback CHANGE_ID --reason TEXT --as PRINCIPAL\n\n"
        "Proposes a new change made of the inverse operations recorded before CHANGE_ID\n"
        "executed.  Policy decides it like any change; once it executes, CHANGE_ID\n"
        "becomes rolled_back.\n",
        1, wr_change_rollback);
}
