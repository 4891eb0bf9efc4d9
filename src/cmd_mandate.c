/*
 * cmd_mandate.c — `warrant mandate create|show|list|close`.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

const char cmd_mandate_summary[] = "give an agent a bounded mandate; show, list and close mandates";

static const char usage[] =
    "usage: warrant mandate create --agent AGENT --purpose TEXT --system SYS... --action OP...\n"
    "                              --max-changes N (--deadline RFC3339 | --duration 14d)\n"
    "                              [--readiness-floor 'ownership_completeness>=95, orphan_rate<=2']\n"
    "                              [--evidence KIND]... --as OWNER\n"
    "       warrant mandate show MANDATE_ID\n"
    "       warrant mandate list [--agent AGENT]\n"
    "       warrant mandate close MANDATE_ID [--evidence KIND=REF]... --as OWNER\n\n"
    "Only the agent's accountable owner gives or closes its mandate.  An agent's\n"
    "change outside its mandate (system, action, count, deadline, readiness floor)\n"
    "is denied and recorded.  Closing records a summary of what was done.\n";

static void print_mandate(const json_t *m)
{
    printf("mandate %s  [%s]\n  agent        %s (owner %s)\n  purpose      %s\n  deadline     %s\n"
           "  changes      %lld of %lld used\n",
           json_string_value(json_object_get(m, "id")), json_string_value(json_object_get(m, "state")),
           json_string_value(json_object_get(m, "agent")), json_string_value(json_object_get(m, "owner")),
           json_string_value(json_object_get(m, "purpose")), json_string_value(json_object_get(m, "deadline")),
           (long long)json_integer_value(json_object_get(m, "used")),
           (long long)json_integer_value(json_object_get(m, "max_changes")));
    char *sys = json_dumps(json_object_get(m, "systems"), JSON_COMPACT);
    char *act = json_dumps(json_object_get(m, "actions"), JSON_COMPACT);
    printf("  systems      %s\n  actions      %s\n", sys, act);
    free(sys);
    free(act);
    if (json_object_get(m, "readiness_floor") && json_is_string(json_object_get(m, "readiness_floor")))
        printf("  readiness    %s\n", json_string_value(json_object_get(m, "readiness_floor")));
    json_t *sum = json_object_get(m, "summary");
    if (sum && !json_is_null(sum)) {
        char *t = json_dumps(json_object_get(sum, "by_state"), JSON_COMPACT);
        printf("  summary      %s\n", t);
        free(t);
    }
}

int cmd_mandate(int argc, char **argv, wr_cli *cli)
{
    if (argc < 2 || cli->help) {
        fputs(usage, cli->help ? stdout : stderr);
        return cli->help ? 0 : 2;
    }
    const char *sub = argv[1];
    const char *agent = NULL, *purpose = NULL, *maxc = NULL, *deadline = NULL, *duration = NULL, *floor = NULL,
               *pos[1];
    cli_list systems = {{0}, 0}, actions = {{0}, 0}, evidence = {{0}, 0};
    int npos = 0;
    cli_opt create_opts[] = {{"agent", 1, &agent, NULL}, {"purpose", 1, &purpose, NULL},
                             {"system", 1, NULL, &systems}, {"action", 1, NULL, &actions},
                             {"max-changes", 1, &maxc, NULL}, {"deadline", 1, &deadline, NULL},
                             {"duration", 1, &duration, NULL}, {"readiness-floor", 1, &floor, NULL},
                             {"evidence", 1, NULL, &evidence}, {NULL, 0, NULL, NULL}};
    cli_opt list_opts[] = {{"agent", 1, &agent, NULL}, {NULL, 0, NULL, NULL}};
    cli_opt close_opts[] = {{"evidence", 1, NULL, &evidence}, {NULL, 0, NULL, NULL}};
    const cli_opt *opts;
    int want;
    if (strcmp(sub, "create") == 0)
        opts = create_opts, want = 0;
    else if (strcmp(sub, "list") == 0)
        opts = list_opts, want = 0;
    else if (strcmp(sub, "show") == 0)
        opts = close_opts + 1, want = 1;
    else if (strcmp(sub, "close") == 0)
        opts = close_opts, want = 1;
    else
        return cli_usage_error("mandate", "unknown subcommand '%s'", sub);
    if (cli_parse(argc - 1, argv + 1, opts, pos, 1, &npos))
        return 2;
    if (npos != want)
        return cli_usage_error("mandate", "%s takes %s", sub, want ? "a MANDATE_ID" : "no argument");
    json_t *spec = NULL, *ev = NULL;
    if (strcmp(sub, "create") == 0) {
        char *end = NULL;
        long long n = maxc ? strtoll(maxc, &end, 10) : 0;
        if (!maxc || *end)
            return cli_usage_error("mandate", "--max-changes N is required (a whole number)");
        spec = json_pack("{s:s?,s:s?,s:[],s:[],s:I,s:s?,s:s?,s:s?,s:[]}", "agent", agent, "purpose", purpose,
                         "systems", "actions", "max_changes", (json_int_t)n, "deadline", deadline, "duration",
                         duration, "readiness_floor", floor, "evidence");
        for (int i = 0; i < systems.n; i++)
            json_array_append_new(json_object_get(spec, "systems"), json_string(systems.v[i]));
        for (int i = 0; i < actions.n; i++)
            json_array_append_new(json_object_get(spec, "actions"), json_string(actions.v[i]));
        for (int i = 0; i < evidence.n; i++)
            json_array_append_new(json_object_get(spec, "evidence"), json_string(evidence.v[i]));
    } else if (strcmp(sub, "close") == 0 && !(ev = cli_evidence(&evidence))) {
        return 2;
    }
    wr_ctx *ctx = NULL;
    int rc = cli_open(cli, &ctx);
    if (rc) {
        json_decref(spec);
        json_decref(ev);
        return rc;
    }
    wr_err err = {0};
    json_t *out = NULL;
    wr_actor actor = cli_actor(cli);
    if (strcmp(sub, "create") == 0)
        rc = wr_mandate_create(ctx, &actor, spec, &out, &err);
    else if (strcmp(sub, "list") == 0)
        rc = wr_mandate_list(ctx, agent, &out, &err);
    else if (strcmp(sub, "show") == 0)
        rc = wr_mandate_get(ctx, pos[0], &out, &err);
    else
        rc = wr_mandate_close(ctx, &actor, pos[0], ev, &out, &err);
    json_decref(spec);
    json_decref(ev);
    wr_ctx_close(ctx);
    if (rc)
        return cli_fail(&err);
    cli_print_items(cli, out, print_mandate);
    json_decref(out);
    return 0;
}
