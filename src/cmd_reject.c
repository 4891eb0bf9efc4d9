/* cmd_reject.c — `warrant reject CHANGE_ID --reason TEXT --as HUMAN`. */
#include "cli.h"

const char cmd_reject_summary[] = "reject a change awaiting approval (humans only)";

int cmd_reject(int argc, char **argv, wr_cli *cli)
{
    return cli_change_verb(argc, argv, cli,
        "usage: warrant reject CHANGE_ID --reason TEXT --as HUMAN\n\n"
        "Rejects a change at its pending stage; the same eligibility and separation-of-\n"
        "duties rules as approve apply.  The reason is recorded in the lineage log.\n",
        1, wr_change_reject);
}
