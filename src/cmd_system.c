/*
 * cmd_system.c — `warrant system show|set-connector`: a system's connector.
 */
#include "cli.h"
#include "warrant/connector.h"

#include <stdlib.h>
#include <string.h>

const char cmd_system_summary[] = "show a system or set its connector (inventory, ldap, exec)";

static const char usage[] =
    "usage: warrant system show SYSTEM [--json]\n"
    "       warrant system set-connector SYSTEM KIND [--config JSON|@FILE]\n\n"
    "KIND is inventory (the default: the inventory is the target), ldap or exec;\n"
    "the configuration is checked before it is stored.  Secrets never go in it:\n"
    "name a bind_password_file or bind_password_env.  See docs/connectors.md.\n";

int cmd_system(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli, usage))
        return 0;
    const char *pos[3], *config = NULL;
    int npos = 0;
    cli_opt opts[] = {{"config", 1, &config, NULL}, {NULL, 0, NULL, NULL}};
    if (cli_parse(argc, argv, opts, pos, 3, &npos))
        return 2;
    int show = npos == 2 && strcmp(pos[0], "show") == 0;
    int set = npos == 3 && strcmp(pos[0], "set-connector") == 0;
    if (!show && !set)
        return cli_usage_error("system", "expected 'show SYSTEM' or 'set-connector SYSTEM KIND'");
    json_t *cfg = NULL;
    if (set && config) {
        json_error_t je;
        cfg = config[0] == '@' ? json_load_file(config + 1, 0, &je) : json_loads(config, 0, &je);
        if (!json_is_object(cfg)) {
            json_decref(cfg);
            return cli_usage_error("system", "--config: expected a JSON object (line %d: %s)", je.line, je.text);
        }
    }
    wr_ctx *ctx = NULL;
    int rc = cli_open(cli, &ctx);
    if (rc) {
        json_decref(cfg);
        return rc;
    }
    wr_err err = {0};
    json_t *out = NULL;
    if (set)
        rc = wr_inventory_system_set_connector(wr_ctx_store(ctx), pos[1], pos[2], cfg, &err);
    if (rc == WR_OK)
        rc = wr_inventory_system_get(wr_ctx_store(ctx), pos[1], &out, &err);
    wr_ctx_close(ctx);
    json_decref(cfg);
    if (rc)
        return cli_fail(&err);
    if (cli->json) {
        cli_print_json(out);
    } else {
        const char *k = json_string_value(json_object_get(out, "connector"));
        char *c = json_dumps(json_object_get(out, "connector_config"), JSON_COMPACT);
        printf("%s: connector %s%s%s\n", pos[1], k ? k : "inventory", c && strcmp(c, "null") ? " " : "",
               c && strcmp(c, "null") ? c : "");
        free(c);
    }
    json_decref(out);
    return 0;
}
