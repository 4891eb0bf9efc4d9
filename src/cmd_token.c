/*
 * cmd_token.c — `warrant token`: bearer tokens for `warrant serve`.
 * Creating one needs the minting human (--as); the secret is printed once
 * and only its hash is stored.
 */
#include "cli.h"
#include "warrant/server.h"

#include <stdlib.h>
#include <string.h>

const char cmd_token_summary[] = "create, list and revoke bearer tokens for the HTTP server";

static const char usage[] =
    "usage: warrant token create --as HUMAN [--for PRINCIPAL] [--ttl 30d] [--name NAME] [--json]\n"
    "       warrant token list [--as PRINCIPAL] [--json]\n"
    "       warrant token revoke TOKEN_ID [--as PRINCIPAL]\n\n"
    "A human mints tokens for themself, for a copilot acting on their behalf (the\n"
    "token carries both identities), and for the agents and services they own.\n"
    "The token is shown once; only its hash is stored.  --ttl is at most 366d.\n"
    "list without --as shows every token (local administration).\n";

static int create(int argc, char **argv, wr_cli *cli)
{
    const char *forp = NULL, *ttl_s = NULL, *name = NULL, *pos[1];
    int npos = 0;
    cli_opt opts[] = {{"for", 1, &forp, NULL}, {"ttl", 1, &ttl_s, NULL}, {"name", 1, &name, NULL},
                      {NULL, 0, NULL, NULL}};
    if (cli_parse(argc, argv, opts, pos, 0, &npos))
        return 2;
    if (!cli->as)
        return cli_usage_error("token", "create needs --as HUMAN (the human who mints it)");
    int64_t ttl = 0;
    if (ttl_s && wr_span_parse(ttl_s, &ttl) != WR_OK)
        return cli_usage_error("token", "--ttl '%s': expected a span like 12h or 30d", ttl_s);
    wr_ctx *ctx = NULL;
    int rc = cli_open(cli, &ctx);
    if (rc)
        return rc;
    wr_err err = {0};
    char *token = NULL;
    json_t *info = NULL;
    rc = wr_token_create(ctx, cli->as, forp, ttl, name, &token, &info, &err);
    wr_ctx_close(ctx);
    if (rc)
        return cli_fail(&err);
    if (cli->json) {
        json_object_set_new(info, "token", json_string(token));
        cli_print_json(info);
    } else {
        printf("%s\n", token);
        fprintf(stderr, "token %s for %s%s%s, expires %s (shown once; store it now)\n",
                json_string_value(json_object_get(info, "id")), json_string_value(json_object_get(info, "principal")),
                json_is_string(json_object_get(info, "on_behalf_of")) ? " on behalf of " : "",
                json_is_string(json_object_get(info, "on_behalf_of")) ? json_string_value(json_object_get(info, "on_behalf_of")) : "",
                json_string_value(json_object_get(info, "expires_at")));
    }
    wr_wipe(token, strlen(token));
    free(token);
    json_decref(info);
    return 0;
}

int cmd_token(int argc, char **argv, wr_cli *cli)
{
    if (argc < 2 || cli->help) {
        fputs(usage, cli->help ? stdout : stderr);
        return cli->help ? 0 : 2;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "create") == 0)
        return create(argc - 1, argv + 1, cli);
    int list = strcmp(sub, "list") == 0;
    if (!list && strcmp(sub, "revoke") != 0)
        return cli_usage_error("token", "unknown subcommand '%s'", sub);
    const char *pos[1];
    int npos = 0;
    cli_opt none[] = {{NULL, 0, NULL, NULL}};
    if (cli_parse(argc - 1, argv + 1, none, pos, 1, &npos))
        return 2;
    if (npos != !list)
        return cli_usage_error("token", list ? "list takes no argument" : "revoke needs one TOKEN_ID");
    wr_ctx *ctx = NULL;
    int rc = cli_open(cli, &ctx);
    if (rc)
        return rc;
    wr_err err = {0};
    json_t *out = NULL;
    rc = list ? wr_token_list(ctx, cli->as, &out, &err) : wr_token_revoke(ctx, cli->as, pos[0], &err);
    wr_ctx_close(ctx);
    if (rc)
        return cli_fail(&err);
    if (!list) {
        printf("revoked %s\n", pos[0]);
        return 0;
    }
    if (cli->json) {
        cli_print_json(out);
    } else {
        size_t i;
        json_t *t;
        if (!json_array_size(out))
            printf("no tokens\n");
        json_array_foreach(out, i, t) {
            const char *used = json_string_value(json_object_get(t, "last_used_at"));
            printf("%-30s %-8s %-16s expires %-20s used %-20s %s\n", json_string_value(json_object_get(t, "id")),
                   json_string_value(json_object_get(t, "state")), json_string_value(json_object_get(t, "principal")),
                   json_string_value(json_object_get(t, "expires_at")), used ? used : "never",
                   json_string_value(json_object_get(t, "name")));
        }
    }
    json_decref(out);
    return 0;
}
