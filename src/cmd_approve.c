/* cmd_approve.c — `warrant approve CHANGE_ID --reason TEXT --as HUMAN`. */
#include "cli.h"

const char cmd_approve_summary[] = "approve the pending stage of a change (humans only)";

int cmd_approve(int argc, char **argv, wr_cli *cli)
{
    return cli_change_verb(argc, argv, cli,
        "usage: warrant approve CHANGE_ID --reason TEXT --as HUMAN\n\n"
        "Approves the pending approval stage of a change.  Only an eligible human may\n"
        "approve: never the initiator, the human behind an initiating copilot, or an\n"
        "initiating agent's accountable owner; never a copilot, agent or service; one\n"
        "person fills one slot.  The reason is recorded in the lineage log.\n",
        1, wr_change_approve);
}
