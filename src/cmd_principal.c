/*
 * cmd_principal.c — `warrant principal add|list|show`.
 */
#include "cli.h"

#include <string.h>

const char cmd_principal_summary[] = "add, list and show principals (humans, copilots, agents, services)";

static const char usage[] =
    "usage: warrant principal add ID --kind human|copilot|agent|service [--name NAME]\n"
    "                             [--email EMAIL] [--role ROLE]... [--for HUMAN] [--owner HUMAN]\n"
    "       warrant principal list [--json]\n"
    "       warrant principal show ID [--json]\n\n"
    "A copilot acts for one human (--for) and never exceeds that human's authority.\n"
    "An agent or service has one accountable human owner (--owner).  Humans carry\n"
    "approval roles (--role security|compliance|risk|audit|it; repeatable).\n";

static void print_principal(const json_t *p)
{
    const char *obo = json_string_value(json_object_get(p, "on_behalf_of"));
    const char *owner = json_string_value(json_object_get(p, "owner"));
    printf("%-28s %-8s %-24s", json_string_value(json_object_get(p, "id")),
           json_string_value(json_object_get(p, "kind")),
           json_string_value(json_object_get(p, "name")) ? json_string_value(json_object_get(p, "name")) : "");
    if (obo)
        printf(" for %s", obo);
    if (owner)
        printf(" owner %s", owner);
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(p, "roles"), i, r)
        printf("%s%s", i ? "," : " roles ", json_string_value(r));
    printf("\n");
}

int cmd_principal(int argc, char **argv, wr_cli *cli)
{
    if (argc < 2 || cli->help) {
        fputs(usage, cli->help ? stdout : stderr);
        return cli->help ? 0 : 2;
    }
    const char *sub = argv[1];
    const char *kind = NULL, *name = NULL, *email = NULL, *obo = NULL, *owner = NULL, *pos[1];
    cli_list roles = {{0}, 0};
    int npos = 0;
    cli_opt opts[] = {{"kind", 1, &kind, NULL}, {"name", 1, &name, NULL}, {"email", 1, &email, NULL},
                      {"for", 1, &obo, NULL}, {"owner", 1, &owner, NULL}, {"role", 1, NULL, &roles},
                      {NULL, 0, NULL, NULL}};
    if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0)
        return cli_usage_error("principal", "unknown subcommand '%s'", sub);
    if (cli_parse(argc - 1, argv + 1, strcmp(sub, "add") == 0 ? opts : opts + 6, pos, 1, &npos))
        return 2;
    if ((strcmp(sub, "list") == 0) != (npos == 0))
        return cli_usage_error("principal", "%s takes %s", sub, npos ? "no argument" : "an ID");
    wr_ctx *ctx = NULL;
    int rc = cli_open(cli, &ctx);
    if (rc)
        return rc;
    wr_err err = {0};
    json_t *out = NULL;
    if (strcmp(sub, "add") == 0) {
        json_t *spec = json_pack("{s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:[]}", "id", pos[0], "kind", kind, "name", name,
                                 "email", email, "on_behalf_of", obo, "owner", owner, "roles");
        for (int i = 0; i < roles.n; i++)
            json_array_append_new(json_object_get(spec, "roles"), json_string(roles.v[i]));
        wr_actor actor = cli_actor(cli);
        rc = wr_principal_add(ctx, &actor, spec, &out, &err);
        json_decref(spec);
    } else if (strcmp(sub, "list") == 0) {
        rc = wr_principal_list(ctx, &out, &err);
    } else {
        rc = wr_principal_get(ctx, pos[0], &out, &err);
    }
    wr_ctx_close(ctx);
    if (rc)
        return cli_fail(&err);
    if (!cli->json && strcmp(sub, "add") == 0)
        printf("added ");
    cli_print_items(cli, out, print_principal);
    json_decref(out);
    return 0;
}
