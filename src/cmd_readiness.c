/*
 * cmd_readiness.c — `warrant readiness`: identity data readiness metrics
 * as a table, JSON or a self-contained HTML report; the offending records
 * of one metric; snapshots for trends.
 */
#include "cli.h"
#include "warrant/inventory.h"

#include <string.h>

const char cmd_readiness_summary[] = "identity data readiness metrics (table, JSON, HTML)";

static double num(const json_t *m, const char *k)
{
    return json_number_value(json_object_get(m, k));
}

static long long cnt(const json_t *m, const char *k)
{
    return (long long)json_integer_value(json_object_get(m, k));
}

static void row(const char *label, const json_t *m)
{
    printf("%-22.22s %9.1f%% %9.1f%% %9.1f%% %9.1f%% %9.1f%% %8lld %8lld %8lld\n", label,
           100 * num(m, "ownership_completeness"), 100 * num(m, "orphan_rate"),
           100 * num(m, "dormant_rate"), 100 * num(m, "entitlement_accuracy"),
           100 * num(m, "excessive_privilege_rate"), cnt(m, "secrets_outside_vault"),
           cnt(m, "stale_secrets"), cnt(m, "nhi_without_owner"));
}

static void table_header(const char *what)
{
    printf("%-22s %10s %10s %10s %10s %10s %8s %8s %8s\n", what, "ownership", "orphans",
           "dormant", "accuracy", "excessive", "unvault", "stale", "nhi-own");
}

static void print_table(const json_t *all, const char *only_kind, const char *only)
{
    const char *key;
    json_t *m;
    if (only_kind) {
        table_header(only_kind);
        row(only, m = json_object_get(json_object_get(all, only_kind[0] == 's' ? "systems" : "domains"), only));
    } else {
        table_header("scope");
        row("overall", json_object_get(all, "overall"));
        printf("\n");
        table_header("domain");
        json_object_foreach(json_object_get(all, "domains"), key, m) row(key, m);
        printf("\n");
        table_header("system");
        json_object_foreach(json_object_get(all, "systems"), key, m) row(key, m);
    }
    printf("\nownership = owned accounts and NHIs; orphans, dormant = of active accounts;\n"
           "accuracy, excessive = of grants; unvault, stale = secrets; nhi-own = NHIs without an "
           "active owner\n");
}

int cmd_readiness(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli,
        "usage: warrant readiness [--system S | --domain D] [--json] [--offenders METRIC]\n"
        "                         [--limit N] [--snapshot] [--html FILE]\n"
        "Identity data readiness: ownership completeness, orphan rate, dormant rate,\n"
        "entitlement accuracy, excessive privilege, secrets outside a vault, stale\n"
        "secrets, NHIs without an owner — per system, per domain and overall.\n"
        "--offenders METRIC lists the records behind one metric.  --snapshot stores the\n"
        "current metrics (trends in the HTML report).  --html FILE writes a\n"
        "self-contained report.\n"))
        return 0;
    const char *sys = NULL, *dom = NULL, *off = NULL, *limit = NULL, *snap = NULL, *html = NULL;
    const cli_opt opts[] = {{"system", 1, &sys, NULL}, {"domain", 1, &dom, NULL}, {"offenders", 1, &off, NULL},
                            {"limit", 1, &limit, NULL}, {"snapshot", 0, &snap, NULL}, {"html", 1, &html, NULL}, {0}};
    int npos;
    if (cli_parse(argc, argv, opts, NULL, 0, &npos))
        return 2;
    if (sys && dom)
        return cli_usage_error(argv[0], "--system and --domain exclude each other");
    const char *kind = sys ? "system" : dom ? "domain" : "overall", *scope = sys ? sys : dom;
    long lim = 100;
    if (limit && (sscanf(limit, "%ld", &lim) != 1 || lim <= 0))
        return cli_usage_error(argv[0], "--limit: '%s' is not a positive number", limit);
    wr_err err = {0};
    wr_store *s;
    if (wr_store_open(cli->data_dir, WR_STORE_CREATE, &s, &err))
        return cli_fail(&err);
    int rc = 0;
    json_t *out = NULL;
    if (snap && wr_readiness_snapshot(s, &err)) {
        rc = cli_fail(&err);
        goto done;
    }
    if (html) {
        char *doc = NULL;
        if (wr_readiness_report_html(s, &doc, &err) ||
            wr_file_write_atomic(html, doc, strlen(doc), 0644, &err)) {
            free(doc);
            rc = cli_fail(&err);
            goto done;
        }
        free(doc);
        if (!cli->json)
            printf("wrote %s\n", html);
        goto done;
    }
    if (off) {
        if (wr_readiness_offenders(s, off, kind, scope, (size_t)lim, &out, &err)) {
            rc = cli_fail(&err);
            goto done;
        }
        if (cli->json) {
            cli_print_json(out);
        } else {
            size_t i;
            json_t *o;
            json_array_foreach(out, i, o) {
                printf("%-10s %-50s %s\n", json_string_value(json_object_get(o, "kind")),
                       json_string_value(json_object_get(o, "id")),
                       json_string_value(json_object_get(o, "reason")));
            }
            if (!json_array_size(out))
                printf("no offenders for %s\n", off);
        }
        goto done;
    }
    if (cli->json || scope) {
        if (wr_readiness_compute(s, kind, scope, &out, &err)) {
            rc = cli_fail(&err);
            goto done;
        }
        if (cli->json) {
            cli_print_json(out);
        } else {
            table_header(kind);
            row(scope, out);
        }
        goto done;
    }
    if (wr_readiness_compute_all(s, &out, &err)) {
        rc = cli_fail(&err);
        goto done;
    }
    print_table(out, NULL, NULL);
    if (snap)
        printf("snapshot stored\n");
done:
    json_decref(out);
    wr_store_close(s);
    return rc;
}
