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
 *
 *   warrant cedar serve --policies P.cedar [--entities E.json] [--schema S]
 *                       [--listen ADDR] [--action NAME]...
 *
 * A stateless OpenID AuthZEN PDP over that policy set (lib/server): the
 * /access/v1/... endpoints and /healthz, until SIGTERM.  No data directory
 * and no tokens: bind it to loopback or put it behind an authenticating
 * proxy.
 */
#include "cedar_cli.h"
#include "serve_cli.h"

#include <stdbool.h>

#include <stdlib.h>
#include <string.h>

const char cmd_cedar_summary[] = "evaluate Cedar authorization requests (JSON lines)";

static const char usage[] =
    "usage: warrant cedar authorize --policies P.cedar [--entities E.json] [--schema S.cedarschema]\n"
    "                               [--explain]\n"
    "Reads JSON requests, one per line, on stdin; writes one JSON decision per line:\n"
    "  {\"decision\":\"allow\"|\"deny\",\"reason\":[policy ids],\"errors\":[policy ids]}\n"
    "--explain adds \"error_messages\" (one message per erroring policy).\n\n"
    "usage: warrant cedar serve --policies P.cedar [--entities E.json] [--schema S.cedarschema]\n"
    "                           [--listen HOST:PORT] [--threads N] [--port-file F] [--config F]\n"
    "                           [--action NAME]... [--set KEY=VALUE]...\n"
    "Serves the OpenID AuthZEN API (/access/v1/evaluation, /evaluations, /search/*,\n"
    "/.well-known/authzen-configuration) and /healthz over the policy set, without\n"
    "authentication (bind to loopback).  --action names candidates for action search\n"
    "besides the Action entities of --entities.  See docs/server.md.\n";

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

/* `cedar serve`: load once, serve until SIGTERM. */
static int serve(int argc, char **argv)
{
    const char *pol = NULL, *ent = NULL, *sch = NULL;
    cli_list actions = {{0}, 0};
    serve_args a = {0};
    cli_opt opts[13] = {{"policies", 1, &pol, NULL}, {"entities", 1, &ent, NULL}, {"schema", 1, &sch, NULL},
                        {"action", 1, NULL, &actions}};
    serve_opts(opts, 4, &a);
    const char *pos[1];
    int npos;
    int rc = cli_parse(argc, argv, opts, pos, 0, &npos);
    if (rc)
        return rc;
    if (!pol)
        return cli_usage_error("cedar", "--policies is required");
    wr_server_config c;
    wr_server_config_init(&c);
    c.expire_interval = 0;
    c.rate = 0;
    if ((rc = serve_config("cedar", &a, &c)))
        return rc;
    wr_err err = {0};
    wr_schema *schema = NULL;
    wr_policy_set *ps = NULL;
    wr_entities *ents = NULL;
    json_t *ej = NULL;
    char *text = NULL;
    size_t len = 0;
    const char *paths[1] = {pol};
    if ((sch && cedar_load_schema(sch, &schema, &err)) || cedar_load_policies(paths, 1, &ps, &err))
        goto fail;
    if (ent) {
        json_error_t je;
        if (wr_file_read(ent, (size_t)256 << 20, &text, &len, &err))
            goto fail;
        if (!(ej = json_loadb(text, len, 0, &je)) || !json_is_array(ej)) {
            wr_fail(&err, WR_EINVAL, "%s:%d:%d: %s", ent, je.line, je.column,
                    ej ? "expected an array of entities" : je.text);
            goto fail;
        }
    } else {
        ej = json_array();
    }
    if (wr_entities_from_json(ej, schema, &ents, &err)) {
        wr_fail_wrap(&err, "%s", ent ? ent : "entities");
        goto fail;
    }
    const char *names[CLI_LIST_MAX + 1] = {0};
    for (int i = 0; i < actions.n; i++)
        names[i] = actions.v[i];
    wr_pdp_source src = {ps, schema, ents, ej, names};
    serve_block_signals();
    wr_server *s = NULL;
    if (wr_pdp_server_start(&c, &src, &s, &err))
        goto fail;
    rc = serve_until_signal(s, &c);
    goto out;
fail:
    rc = cli_fail(&err);
out:
    free(text);
    json_decref(ej);
    wr_entities_free(ents);
    wr_policy_set_free(ps);
    wr_schema_free(schema);
    return rc;
}

int cmd_cedar(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli, usage))
        return 0;
    if (argc >= 2 && strcmp(argv[1], "serve") == 0)
        return serve(argc - 1, argv + 1);
    if (argc < 2 || strcmp(argv[1], "authorize") != 0)
        return cli_usage_error("cedar", "expected the subcommand 'authorize' or 'serve'");
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
