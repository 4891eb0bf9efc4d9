/*
 * cmd_recover.c — `warrant recover [CHANGE]`: settle in-doubt changes.
 */
#include "cli.h"
#include "warrant/connector.h"

#include <stdlib.h>
#include <string.h>

const char cmd_recover_summary[] = "settle changes left executing (in doubt) by reading their target back";

int cmd_recover(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli, "usage: warrant recover [CHANGE_ID] [--as PRINCIPAL] [--json]\n\n"
                      "A change left 'executing' by a crash or a lost connection between applying\n"
                      "and recording is in doubt.  recover reads every operation back from the\n"
                      "target and settles it: all match -> executed; none -> failed (not applied;\n"
                      "nothing is re-applied); some -> the applied ones are undone with their\n"
                      "recorded inverses, then failed.  Each settlement is a change.recovered log\n"
                      "entry.  A change whose executor is still running is left alone.  Opening\n"
                      "the data directory does the same automatically unless\n"
                      "WARRANT_NO_AUTO_RECOVER=1.\n"))
        return 0;
    const char *pos[1];
    int npos = 0;
    cli_opt none[] = {{NULL, 0, NULL, NULL}};
    if (cli_parse(argc, argv, none, pos, 1, &npos))
        return 2;
    /* settle here, and report, rather than silently at open */
    setenv("WARRANT_NO_AUTO_RECOVER", "1", 1);
    wr_ctx *ctx = NULL;
    int rc = cli_open(cli, &ctx);
    if (rc)
        return rc;
    wr_err err = {0};
    json_t *out = NULL;
    wr_actor actor = cli_actor(cli);
    rc = wr_change_recover(ctx, &actor, npos ? pos[0] : NULL, &out, &err);
    wr_ctx_close(ctx);
    if (rc)
        return cli_fail(&err);
    int unsettled = 0;
    size_t i;
    json_t *v;
    json_array_foreach(out, i, v) {
        const char *o = json_string_value(json_object_get(v, "outcome"));
        unsettled |= strcmp(o, "in_doubt") == 0 || strcmp(o, "rollback_failed") == 0;
        if (!cli->json) {
            const char *e = json_string_value(json_object_get(v, "error"));
            printf("%s: %s%s%s\n", json_string_value(json_object_get(v, "change")), o, e ? ": " : "", e ? e : "");
        }
    }
    if (cli->json)
        cli_print_json(out);
    else if (json_array_size(out) == 0)
        printf("no change in doubt\n");
    json_decref(out);
    return unsettled ? 1 : 0;
}
