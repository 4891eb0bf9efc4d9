/*
 * cmd_cedar.c — `warrant cedar authorize`: decide a stream of requests.
 *
 *   warrant cedar authorize --policies P.cedar --entities E.json [--schema S]
 *
 * Reads one JSON request per line on stdin:
 *   {"principal":{"type":..,"id":..},"action":{..},"resource":{..},"context":{..}}
 * and writes one JSON line per request:
 *   {"decision":"allow"|"deny","reason":[ids],"errors":[ids]}
 * A request that cannot be interpreted gets {"error":"..."} on its line and
 * the stream goes on.  Exit 0 at end of input.  Bad policy, entity or
 * schema files: message with file:line:col (or JSON path) on stderr and a
 * non-zero exit.  With --explain, errors also carry "error_messages".
 */
#include "cedar_cli.h"

#include <stdbool.h>

#include <stdlib.h>
#include <string.h>

const char cmd_cedar_summary[] = "evaluate Cedar authorization requests (JSON lines)";

static const char usage[] =
    "usage: warrant cedar authorize --policies P.cedar [--entities E.json] [--schema S.cedarschema]\n"
    "                               [--explain]\n"
    "Reads JSON requests, one per line, on stdin; writes one JSON decision per line:\n"
    "  {\"decision\":\"allow\"|\"deny\",\"reason\":[policy ids],\"errors\":[policy ids]}\n"
    "--explain adds \"error_messages\" (one message per erroring policy).\n";

#define MAX_LINE ((size_t)16 << 20)

static void print_line(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
    json_decref(o);
}

static int run(wr_policy_set *ps, wr_entities *ents, wr_schema *schema, bool explain)
{
    wr_authz *az;
    if (wr_authz_new(&az) != WR_OK) {
        fprintf(stderr, "warrant: out of memory\n");
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        size_t sp = 0;
        while (sp < len && (line[sp] == ' ' || line[sp] == '\t'))
            sp++;
        if (sp == len)
            continue;
        wr_err err = {0};
        json_error_t je;
        json_t *j = len > MAX_LINE ? NULL : json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
        if (!j) {
            if (len > MAX_LINE)
                snprintf(je.text, sizeof je.text, "request line longer than %zu bytes", MAX_LINE);
            print_line(json_pack("{s:s+}", "error", "invalid JSON: ", je.text));
            continue;
        }
        wr_request req;
        wr_response resp;
        if (cedar_request_from_json(j, &req, &err) == WR_OK) {
            req.schema = schema;
            if (wr_authorize(az, ps, ents, &req, &resp, &err) == WR_OK) {
                json_t *o = cedar_response_json(&resp);
                if (explain) {
                    json_t *m = json_array();
                    for (size_t i = 0; i < resp.nerror; i++)
                        json_array_append_new(m, json_pack("{s:s,s:s}", "policy", resp.error[i],
                                                           "message", resp.error_msg[i]));
                    json_object_set_new(o, "error_messages", m);
                }
                print_line(o);
                json_decref(j);
                continue;
            }
        }
        print_line(json_pack("{s:s}", "error", err.msg[0] ? err.msg : wr_status_name(err.code)));
        json_decref(j);
    }
    free(line);
    wr_authz_free(az);
    fflush(stdout);
    return 0;
}

int cmd_cedar(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli, usage))
        return 0;
    if (argc < 2 || strcmp(argv[1], "authorize") != 0)
        return cli_usage_error("cedar", "expected the subcommand 'authorize'");
    const char *pol = NULL, *ent = NULL, *sch = NULL, *explain = NULL;
    cli_opt opts[] = {{"policies", 1, &pol, NULL}, {"entities", 1, &ent, NULL}, {"schema", 1, &sch, NULL},
                      {"explain", 0, &explain, NULL}, {NULL, 0, NULL, NULL}};
    const char *pos[1];
    int npos;
    int rc = cli_parse(argc - 1, argv + 1, opts, pos, 0, &npos);
    if (rc)
        return rc;
    if (!pol)
        return cli_usage_error("cedar", "--policies is required");
    wr_err err = {0};
    wr_schema *schema = NULL;
    wr_policy_set *ps = NULL;
    wr_entities *ents = NULL;
    const char *paths[1] = {pol};
    if ((sch && cedar_load_schema(sch, &schema, &err)) ||
        cedar_load_policies(paths, 1, &ps, &err) ||
        (ent ? cedar_load_entities(ent, schema, &ents, &err)
             : wr_entities_parse("[]", 2, schema, &ents, &err))) {
        wr_schema_free(schema);
        wr_policy_set_free(ps);
        return cli_fail(&err);
    }
    rc = run(ps, ents, schema, explain != NULL);
    wr_entities_free(ents);
    wr_policy_set_free(ps);
    wr_schema_free(schema);
    return rc;
}
