/*
 * cmd_lineage.c — `warrant lineage CHANGE_ID`: the story of one change from
 * the lineage log, every entry's inclusion proof checked against the signed
 * checkpoint.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

const char cmd_lineage_summary[] = "the verified story of one change from the lineage log";

static const char *s(const json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

static void print_entry(const json_t *item)
{
    json_t *e = json_object_get(item, "entry");
    json_t *actor = json_object_get(e, "actor"), *state = json_object_get(e, "state");
    printf("#%-6lld %s  %-26s %s%s%s", (long long)json_integer_value(json_object_get(item, "index")), s(e, "at"),
           s(e, "kind"), s(actor, "id"), json_object_get(actor, "on_behalf_of") ? " for " : "",
           s(actor, "on_behalf_of"));
    if (state)
        printf("  %s -> %s", json_is_null(json_object_get(state, "from")) ? "(new)" : s(state, "from"),
               s(state, "to"));
    printf("  %s\n", json_is_true(json_object_get(item, "verified")) ? "[proof ok]" : "[PROOF FAILED]");
    const char *kind = s(e, "kind");
    json_t *d = json_object_get(e, "decision");
    size_t i;
    json_t *v;
    if (strcmp(kind, "change.proposed") == 0) {
        json_array_foreach(json_object_get(e, "inputs"), i, v)
            printf("          informed by %s %s\n", s(v, "source"), s(v, "sha256"));
        if (json_object_get(e, "recommendation"))
            printf("          recommends  %s\n", s(e, "recommendation"));
        if (json_object_get(e, "rationale"))
            printf("          because     %s\n", s(e, "rationale"));
    }
    if (d) {
        printf("          decision    %s by", s(d, "outcome"));
        json_array_foreach(json_object_get(d, "policies"), i, v)
            printf(" %s", json_string_value(v));
        printf("\n");
        json_array_foreach(json_object_get(d, "explanation"), i, v)
            printf("                      %s\n", json_string_value(v));
    }
    json_t *a = json_object_get(e, "approval");
    if (a)
        printf("          %s %s (stage %lld, %s): \"%s\"\n", s(a, "approver"),
               strcmp(s(a, "verdict"), "approve") == 0 ? "approved" : "rejected",
               (long long)json_integer_value(json_object_get(a, "stage")) + 1, s(a, "role"), s(a, "reason"));
    json_array_foreach(json_object_get(e, "inverse"), i, v) {
        char *t = json_dumps(v, JSON_COMPACT);
        printf("          %s %s\n", i ? "           " : "rollback plan", t);
        free(t);
    }
    json_array_foreach(json_object_get(e, "results"), i, v) {
        char *t = json_dumps(v, JSON_COMPACT);
        printf("          %s %s\n", i ? "       " : "result", t);
        free(t);
    }
    json_array_foreach(json_object_get(e, "evidence"), i, v)
        printf("          evidence    %s %s\n", s(v, "kind"), s(v, "ref"));
    if (json_object_get(e, "error"))
        printf("          error       %s\n", s(e, "error"));
}

int cmd_lineage(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli, "usage: warrant lineage CHANGE_ID [--json]\n\n"
                      "Prints every log entry of a change — who initiated it, what informed it, what\n"
                      "was recommended and why, which policies decided, who approved, what was\n"
                      "executed, the rollback plan, the evidence at closure — each checked by its\n"
                      "inclusion proof against the log's signed checkpoint.\n"))
        return 0;
    const char *pos[1];
    int npos = 0;
    cli_opt none[] = {{NULL, 0, NULL, NULL}};
    if (cli_parse(argc, argv, none, pos, 1, &npos))
        return 2;
    if (npos != 1)
        return cli_usage_error(argv[0], "expected one CHANGE_ID");
    wr_ctx *ctx = NULL;
    int rc = cli_open(cli, &ctx);
    if (rc)
        return rc;
    wr_err err = {0};
    json_t *out = NULL;
    rc = wr_change_lineage(ctx, pos[0], &out, &err);
    wr_ctx_close(ctx);
    if (rc)
        return cli_fail(&err);
    if (cli->json) {
        cli_print_json(out);
    } else {
        printf("lineage of %s (%zu entries, log size %lld, root %s)\n", pos[0],
               json_array_size(json_object_get(out, "entries")),
               (long long)json_integer_value(json_object_get(out, "tree_size")), s(out, "root_hash"));
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(out, "entries"), i, item)
            print_entry(item);
        printf("all %zu entries verified against the signed checkpoint of size %lld\n",
               json_array_size(json_object_get(out, "entries")),
               (long long)json_integer_value(json_object_get(out, "tree_size")));
    }
    json_decref(out);
    return 0;
}
