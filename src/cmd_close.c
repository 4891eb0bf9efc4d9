/* cmd_close.c — `warrant close CHANGE_ID --evidence KIND=REF ... --as PRINCIPAL`. */
#include "cli.h"

const char cmd_close_summary[] = "close a validated change with its evidence";

int cmd_close(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli,
        "usage: warrant close CHANGE_ID [--evidence KIND=REF]... --as PRINCIPAL\n\n"
        "Closes a validated change.  Policy (and an agent's mandate) name the evidence\n"
        "kinds closure needs, e.g. ticket, validation_report, attestation; closure is\n"
        "refused until all are given.  validate supplies validation_report itself.\n"))
        return 0;
    cli_list ev = {{0}, 0};
    const char *pos[1];
    int npos = 0;
    cli_opt opts[] = {{"evidence", 1, NULL, &ev}, {NULL, 0, NULL, NULL}};
    if (cli_parse(argc, argv, opts, pos, 1, &npos))
        return 2;
    if (npos != 1)
        return cli_usage_error(argv[0], "expected one CHANGE_ID");
    json_t *evidence = cli_evidence(&ev);
    if (!evidence)
        return 2;
    wr_ctx *ctx = NULL;
    int rc = cli_open(cli, &ctx);
    if (rc) {
        json_decref(evidence);
        return rc;
    }
    wr_err err = {0};
    json_t *out = NULL;
    wr_actor actor = cli_actor(cli);
    rc = wr_change_close(ctx, &actor, pos[0], evidence, &out, &err);
    json_decref(evidence);
    wr_ctx_close(ctx);
    if (rc)
        return cli_fail(&err);
    cli_print_change(cli, out);
    json_decref(out);
    return 0;
}
