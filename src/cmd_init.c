/* cmd_init.c — `warrant init [--policies FILE]`: create a data directory. */
#include "cli.h"

const char cmd_init_summary[] = "create a data directory (store, sandbox, log key, policies)";

int cmd_init(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli,
        "usage: warrant init [--data DIR] [--policies FILE]\n\n"
        "Creates the data directory: the SQLite store (WAL), the sandbox store, the\n"
        "lineage log's Ed25519 signing key (log.key, mode 0600) and policies/default.cedar\n"
        "(the given policy file, else Warrant's default policy set).\n"))
        return 0;
    const char *policies = NULL, *pos[1];
    int npos = 0;
    cli_opt opts[] = {{"policies", 1, &policies, NULL}, {NULL, 0, NULL, NULL}};
    if (cli_parse(argc, argv, opts, pos, 0, &npos))
        return 2;
    wr_err err = {0};
    if (wr_ctx_init(cli->data_dir, policies, &err) != WR_OK)
        return cli_fail(&err);
    wr_ctx *ctx = NULL;
    int rc = cli_open(cli, &ctx);
    if (rc)
        return rc;
    char *vkey = NULL;
    if (wr_ledger_verifier_key(wr_ctx_ledger(ctx), &vkey, &err) != WR_OK) {
        wr_ctx_close(ctx);
        return cli_fail(&err);
    }
    if (cli->json) {
        json_t *o = json_pack("{s:s,s:s,s:I}", "data", cli->data_dir, "log_key", vkey, "policies",
                              (json_int_t)wr_policy_set_count(wr_ctx_policies(ctx)));
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("initialised %s\n  policies:   %zu loaded from %s/policies\n  log key:    %s\n", cli->data_dir,
               wr_policy_set_count(wr_ctx_policies(ctx)), cli->data_dir, vkey);
    }
    free(vkey);
    wr_ctx_close(ctx);
    return 0;
}
