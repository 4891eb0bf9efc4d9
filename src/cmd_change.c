/*
 * cmd_change.c — `warrant change list|show`.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

const char cmd_change_summary[] = "list changes (an approver's inbox with --pending-for) or show one";

static const char usage[] =
    "usage: warrant change list [--state STATE] [--initiator ID] [--system SYS]\n"
    "                           [--pending-for HUMAN] [--limit N] [--offset N] [--json]\n"
    "       warrant change show CHANGE_ID [--json]\n\n"
    "--pending-for lists the changes whose pending stage that human may approve,\n"
    "riskiest and oldest first.  show names the eligible approvers of the pending\n"
    "stage and the full approval history.\n";

int cmd_change(int argc, char **argv, wr_cli *cli)
{
    if (argc < 2 || cli->help) {
        fputs(usage, cli->help ? stdout : stderr);
        return cli->help ? 0 : 2;
    }
    const char *sub = argv[1], *state = NULL, *initiator = NULL, *system = NULL, *approver = NULL, *limit = NULL,
               *offset = NULL, *pos[1];
    int npos = 0;
    cli_opt opts[] = {{"state", 1, &state, NULL}, {"initiator", 1, &initiator, NULL}, {"system", 1, &system, NULL},
                      {"pending-for", 1, &approver, NULL}, {"limit", 1, &limit, NULL}, {"offset", 1, &offset, NULL},
                      {NULL, 0, NULL, NULL}};
    int list = strcmp(sub, "list") == 0;
    if (!list && strcmp(sub, "show") != 0)
        return cli_usage_error("change", "unknown subcommand '%s'", sub);
    if (cli_parse(argc - 1, argv + 1, list ? opts : opts + 6, pos, 1, &npos))
        return 2;
    if (npos != !list)
        return cli_usage_error("change", "%s takes %s", sub, list ? "no argument" : "a CHANGE_ID");
    json_t *filter = json_pack("{s:s?,s:s?,s:s?,s:s?}", "state", state, "initiator", initiator, "system", system,
                               "approver", approver);
    const char *nums[2] = {limit, offset}, *keys[2] = {"limit", "offset"};
    for (int i = 0; i < 2; i++) {
        if (!nums[i])
            continue;
        char *end;
        long long v = strtoll(nums[i], &end, 10);
        if (*end || end == nums[i]) {
            json_decref(filter);
            return cli_usage_error("change", "--%s needs a whole number", keys[i]);
        }
        json_object_set_new(filter, keys[i], json_integer(v));
    }
    wr_ctx *ctx = NULL;
    int rc = cli_open(cli, &ctx);
    if (rc) {
        json_decref(filter);
        return rc;
    }
    wr_err err = {0};
    json_t *out = NULL;
    rc = list ? wr_change_list(ctx, filter, &out, &err) : wr_change_get(ctx, pos[0], &out, &err);
    json_decref(filter);
    wr_ctx_close(ctx);
    if (rc)
        return cli_fail(&err);
    if (cli->json) {
        cli_print_json(out);
    } else if (list) {
        size_t i;
        json_t *c;
        if (json_array_size(out) == 0)
            printf("no changes\n");
        json_array_foreach(out, i, c) {
            json_t *ini = json_object_get(c, "initiator");
            printf("%-30s %-18s %-6s %-10s %-12s %s%s%s\n", json_string_value(json_object_get(c, "id")),
                   json_string_value(json_object_get(c, "state")), json_string_value(json_object_get(c, "risk")),
                   json_string_value(json_object_get(c, "mode")),
                   json_string_value(json_object_get(c, "system")) ? json_string_value(json_object_get(c, "system")) : "-",
                   json_string_value(json_object_get(ini, "id")),
                   json_object_get(ini, "on_behalf_of") ? " for " : "",
                   json_object_get(ini, "on_behalf_of") ? json_string_value(json_object_get(ini, "on_behalf_of")) : "");
        }
    } else {
        cli_print_change(cli, out);
    }
    json_decref(out);
    return 0;
}
