/*
 * cmd_sync.c — `warrant sync SYSTEM`: reconcile a system with its target.
 */
#include "cli.h"
#include "warrant/connector.h"

#include <stdlib.h>
#include <string.h>

const char cmd_sync_summary[] = "read a system's target (LDAP, exec) into the inventory and report drift";

int cmd_sync(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli, "usage: warrant sync SYSTEM [--dry-run] [--list N] [--json]\n\n"
                      "Reads the accounts and group memberships of SYSTEM's target through its\n"
                      "connector and compares them with the inventory: memberships never granted\n"
                      "through Warrant (unmanaged), grants the target lacks (missing), accounts\n"
                      "with no identity (orphans), new accounts and groups, status changes.  Drift\n"
                      "is recorded in the lineage log (sync.drift).  Unless --dry-run the inventory\n"
                      "then follows the target, so readiness metrics measure reality.  --list N\n"
                      "keeps N items per difference (default 100).\n"))
        return 0;
    const char *pos[1], *dry = NULL, *list = NULL;
    int npos = 0;
    cli_opt opts[] = {{"dry-run", 0, &dry, NULL}, {"list", 1, &list, NULL}, {NULL, 0, NULL, NULL}};
    if (cli_parse(argc, argv, opts, pos, 1, &npos))
        return 2;
    if (npos != 1)
        return cli_usage_error("sync", "expected SYSTEM");
    wr_sync_opts so = {0};
    so.dry_run = dry != NULL;
    if (list) {
        char *end;
        long n = strtol(list, &end, 10);
        if (*end || n < 1 || n > 100000)
            return cli_usage_error("sync", "--list: expected 1..100000");
        so.list_cap = (size_t)n;
    }
    wr_ctx *ctx = NULL;
    int rc = cli_open(cli, &ctx);
    if (rc)
        return rc;
    wr_err err = {0};
    json_t *out = NULL;
    wr_actor actor = cli_actor(cli);
    rc = wr_sync(ctx, &actor, pos[0], &so, &out, &err);
    wr_ctx_close(ctx);
    if (rc)
        return cli_fail(&err);
    if (cli->json) {
        cli_print_json(out);
    } else {
        printf("%s: %lld accounts, %lld memberships in the target%s\n", pos[0],
               (long long)json_integer_value(json_object_get(out, "target_accounts")),
               (long long)json_integer_value(json_object_get(out, "target_memberships")),
               so.dry_run ? " (dry run: inventory unchanged)" : "");
        const char *k;
        json_t *d;
        json_object_foreach(json_object_get(out, "drift"), k, d) {
            long long n = (long long)json_integer_value(json_object_get(d, "count"));
            if (!n)
                continue;
            printf("  %-18s %lld", k, n);
            size_t i;
            json_t *it;
            json_array_foreach(json_object_get(d, "items"), i, it) {
                if (i == 5) {
                    printf(" ...");
                    break;
                }
                printf("%s%s", i ? ", " : "  ", json_string_value(it));
            }
            printf("\n");
        }
    }
    json_decref(out);
    return 0;
}
