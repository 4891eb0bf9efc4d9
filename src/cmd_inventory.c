/*
 * cmd_inventory.c — `warrant inventory search`: lists identities,
 * accounts, entitlements or grants, paginated, as a table or JSON.
 */
#include "cli.h"
#include "warrant/inventory.h"

#include <stdlib.h>
#include <string.h>

const char cmd_inventory_summary[] = "search the identity inventory";

static const char usage[] =
    "usage: warrant inventory search [--kind identities|accounts|entitlements|grants]\n"
    "         [--system S] [--identity I] [--filter TEXT] [--limit N] [--offset N] [--json]\n"
    "Lists inventory objects, 50 at a time by default (--limit at most 10000).\n"
    "--filter matches a case-insensitive part of the id or name.\n";

static int number(const char *cmd, const char *opt, const char *v, int64_t *out)
{
    char *end;
    long long n = v ? strtoll(v, &end, 10) : 0;
    if (v && (*end || !*v || n < 0))
        return cli_usage_error(cmd, "--%s: '%s' is not a number", opt, v);
    *out = n;
    return 0;
}

int cmd_inventory(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli, usage))
        return 0;
    if (argc < 2 || strcmp(argv[1], "search") != 0)
        return cli_usage_error(argv[0], "expected 'search'");
    const char *kind = NULL, *sys = NULL, *ident = NULL, *filter = NULL, *limit = NULL, *offset = NULL;
    const cli_opt opts[] = {{"kind", 1, &kind, NULL}, {"system", 1, &sys, NULL}, {"identity", 1, &ident, NULL},
                            {"filter", 1, &filter, NULL}, {"limit", 1, &limit, NULL}, {"offset", 1, &offset, NULL}, {0}};
    int npos;
    if (cli_parse(argc - 1, argv + 1, opts, NULL, 0, &npos))
        return 2;
    wr_inventory_query q = {kind, sys, ident, filter, 0, 0};
    if (number(argv[0], "limit", limit, &q.limit) || number(argv[0], "offset", offset, &q.offset))
        return 2;
    wr_err err = {0};
    wr_store *s;
    json_t *out = NULL;
    if (wr_store_open(cli->data_dir, WR_STORE_CREATE, &s, &err))
        return cli_fail(&err);
    if (wr_inventory_search(s, &q, &out, &err)) {
        wr_store_close(s);
        return cli_fail(&err);
    }
    wr_store_close(s);
    if (cli->json) {
        cli_print_json(out);
        json_decref(out);
        return 0;
    }
    /* a table: the first columns of each item, padded */
    const char *k = json_string_value(json_object_get(out, "kind"));
    static const char *const idc[] = {"id", "kind", "department", "status", "owner", NULL};
    static const char *const accc[] = {"id", "identity", "status", "last_used_at", NULL};
    static const char *const entc[] = {"id", "privilege", "owner", "description", NULL};
    static const char *const grc[] = {"account", "entitlement", "privilege", "last_used_at", NULL};
    const char *const *cols = k[0] == 'i' ? idc : k[0] == 'a' ? accc : k[0] == 'e' ? entc : grc;
    for (int c = 0; cols[c]; c++)
        printf(c ? " %-20s" : "%-36s", cols[c]);
    printf("\n");
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(out, "items"), i, o) {
        for (int c = 0; cols[c]; c++) {
            const char *v = json_string_value(json_object_get(o, cols[c]));
            printf(c ? " %-20.20s" : "%-36.36s", v ? v : "-");
        }
        printf("\n");
    }
    long long total = (long long)json_integer_value(json_object_get(out, "total"));
    long long off = (long long)json_integer_value(json_object_get(out, "offset"));
    printf("%zu of %lld %s (from %lld)\n", json_array_size(json_object_get(out, "items")), total, k, off);
    json_decref(out);
    return 0;
}
