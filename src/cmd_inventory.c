/*
 * cmd_inventory.c — `warrant inventory search`: list identities, accounts,
 * entitlements and grants, paginated.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

const char cmd_inventory_summary[] = "search identities, accounts, entitlements and grants";

static const char usage[] =
    "usage: warrant inventory search [--kind identities|accounts|entitlements|grants]\n"
    "                                [--system S] [--identity I] [--filter TEXT]\n"
    "                                [--limit N] [--offset N] [--json]\n\n"
    "--filter matches a case-insensitive part of the id (or name).  At most 10000\n"
    "rows per page; the JSON output carries the total for paging.\n";

int cmd_inventory(int argc, char **argv, wr_cli *cli)
{
    if (argc < 2 || cli->help) {
        fputs(usage, cli->help ? stdout : stderr);
        return cli->help ? 0 : 2;
    }
    if (strcmp(argv[1], "search") != 0)
        return cli_usage_error("inventory", "unknown subcommand '%s'", argv[1]);
    wr_inventory_query q = {0};
    const char *limit = NULL, *offset = NULL, *pos[1];
    int npos = 0;
    cli_opt opts[] = {{"kind", 1, &q.kind, NULL}, {"system", 1, &q.system, NULL}, {"identity", 1, &q.identity, NULL},
                      {"filter", 1, &q.filter, NULL}, {"limit", 1, &limit, NULL}, {"offset", 1, &offset, NULL},
                      {NULL, 0, NULL, NULL}};
    if (cli_parse(argc - 1, argv + 1, opts, pos, 0, &npos))
        return 2;
    char *end;
    if (limit && ((q.limit = strtoll(limit, &end, 10)) < 1 || *end))
        return cli_usage_error("inventory", "--limit needs a positive whole number");
    if (offset && ((q.offset = strtoll(offset, &end, 10)) < 0 || *end))
        return cli_usage_error("inventory", "--offset needs a whole number >= 0");
    wr_store *s = NULL;
    wr_err err = {0};
    if (wr_store_open(cli->data_dir, WR_STORE_READONLY, &s, &err) != WR_OK)
        return cli_fail(&err);
    json_t *out = NULL;
    int rc = wr_inventory_search(s, &q, &out, &err);
    wr_store_close(s);
    if (rc)
        return cli_fail(&err);
    if (cli->json) {
        cli_print_json(out);
    } else {
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(out, "items"), i, item) {
            const char *k;
            json_t *v;
            int first = 1;
            json_object_foreach(item, k, v) {
                if (json_is_string(v))
                    printf("%s%s=%s", first ? "" : "  ", k, json_string_value(v));
                first = 0;
            }
            printf("\n");
        }
        printf("%zu of %lld %s\n", json_array_size(json_object_get(out, "items")),
               (long long)json_integer_value(json_object_get(out, "total")),
               json_string_value(json_object_get(out, "kind")));
    }
    json_decref(out);
    return 0;
}
