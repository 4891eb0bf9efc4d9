/*
 * cmd_generate.c — `warrant generate`: writes a synthetic enterprise as
 * CSV files (see wr_inventory_generate) for demos and benchmarks.
 */
#include "cli.h"
#include "warrant/inventory.h"

#include <stdlib.h>

const char cmd_generate_summary[] = "write a synthetic enterprise inventory as CSV files";

int cmd_generate(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli, "usage: warrant generate --identities N [--seed S] --out DIR [--json]\n"
                      "Writes identities.csv, systems.csv, accounts.csv, entitlements.csv,\n"
                      "grants.csv, credentials.csv and roles.csv into DIR; with --json prints\n"
                      "the planted ground truth (counts per readiness metric).\n"))
        return 0;
    const char *n = NULL, *seed = "1", *out = NULL;
    const cli_opt opts[] = {{"identities", 1, &n, NULL}, {"seed", 1, &seed, NULL}, {"out", 1, &out, NULL}, {0}};
    int npos;
    if (cli_parse(argc, argv, opts, NULL, 0, &npos))
        return 2;
    if (!n || !out)
        return cli_usage_error(argv[0], "--identities and --out are required");
    char *end;
    unsigned long long count = strtoull(n, &end, 10), s;
    if (*end || !*n)
        return cli_usage_error(argv[0], "--identities: '%s' is not a number", n);
    s = strtoull(seed, &end, 10);
    if (*end || !*seed)
        return cli_usage_error(argv[0], "--seed: '%s' is not a number", seed);
    wr_err err = {0};
    json_t *truth = NULL;
    if (wr_inventory_generate(out, count, s, &truth, &err))
        return cli_fail(&err);
    if (cli->json)
        cli_print_json(truth);
    else
        printf("generated %llu identities (%lld accounts, %lld grants) in %s\n", count,
               (long long)json_integer_value(json_object_get(truth, "accounts")),
               (long long)json_integer_value(json_object_get(truth, "grants")), out);
    json_decref(truth);
    return 0;
}
