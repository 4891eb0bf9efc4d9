/*
 * cmd_webhook.c — `warrant webhook`: push log entries (changes awaiting
 * approval, executions, drift, ...) to HTTP endpoints.  The contract —
 * payload, headers, signature, retries — is in include/warrant/notify.h
 * and docs/server.md; `warrant serve` delivers on its timer.
 */
#include "cli.h"
#include "warrant/notify.h"

#include <stdlib.h>
#include <string.h>

const char cmd_webhook_summary[] = "send log entries (e.g. changes awaiting approval) to HTTP endpoints";

static const char usage[] =
    "usage: warrant webhook add URL [--events LIST] [--secret-file FILE] [--as PRINCIPAL] [--json]\n"
    "       warrant webhook list [--json]\n"
    "       warrant webhook remove ID\n"
    "       warrant webhook enable ID\n"
    "       warrant webhook deliver [--json]\n"
    "       warrant webhook secret --out FILE\n\n"
    "add subscribes URL to the log entries from now on whose kind matches LIST:\n"
    "'*' (default), or kinds and prefixes such as change.proposed,change.approved\n"
    "or change.*.  With --secret-file (a file holding a whsec_ secret; make one\n"
    "with 'webhook secret') every delivery is signed (webhook-signature header).\n"
    "deliver sends what is due now; 'warrant serve' does it every\n"
    "webhook_interval seconds.  A webhook failing 20 times in a row is disabled\n"
    "until 'webhook enable'; it then resumes where it stopped.\n";

static int secret(int argc, char **argv)
{
    const char *out = NULL, *pos[1];
    int npos = 0;
    cli_opt opts[] = {{"out", 1, &out, NULL}, {NULL, 0, NULL, NULL}};
    if (cli_parse(argc, argv, opts, pos, 0, &npos))
        return 2;
    if (!out)
        return cli_usage_error("webhook", "secret needs --out FILE (the secret is written there, mode 0600)");
    wr_err err = {0};
    char *s = NULL;
    if (wr_webhook_secret_new(&s, &err) != WR_OK)
        return cli_fail(&err);
    size_t n = strlen(s);
    s[n] = '\n';   /* the terminator becomes the newline; the length below excludes nothing else */
    int rc = wr_file_write_atomic(out, s, n + 1, 0600, &err);
    wr_wipe(s, n + 1);
    free(s);
    if (rc)
        return cli_fail(&err);
    fprintf(stderr, "wrote a new webhook secret to %s (give the same file's content to the receiver)\n", out);
    return 0;
}

static void print_hooks(const json_t *list)
{
    size_t i;
    json_t *h;
    if (!json_array_size(list))
        printf("no webhooks\n");
    json_array_foreach(list, i, h) {
        const char *err = json_string_value(json_object_get(h, "last_error"));
        printf("%-30s %-8s %-6s pending %-5lld delivered %-6lld %s  events %s%s%s\n",
               json_string_value(json_object_get(h, "id")), json_string_value(json_object_get(h, "state")),
               json_is_true(json_object_get(h, "signed")) ? "signed" : "-",
               (long long)json_integer_value(json_object_get(h, "pending")),
               (long long)json_integer_value(json_object_get(h, "delivered")),
               json_string_value(json_object_get(h, "url")), json_string_value(json_object_get(h, "events")),
               err ? "  last error: " : "", err ? err : "");
    }
}

int cmd_webhook(int argc, char **argv, wr_cli *cli)
{
    if (argc < 2 || cli->help) {
        fputs(usage, cli->help ? stdout : stderr);
        return cli->help ? 0 : 2;
    }
    const char *sub = argv[1], *events = NULL, *secret_file = NULL, *pos[1];
    if (strcmp(sub, "secret") == 0)
        return secret(argc - 1, argv + 1);
    static const char *const subs[] = {"add", "list", "remove", "enable", "deliver"};
    static const int nargs[] = {1, 0, 1, 1, 0};
    size_t k = 0;
    while (k < sizeof subs / sizeof subs[0] && strcmp(sub, subs[k]) != 0)
        k++;
    if (k == sizeof subs / sizeof subs[0])
        return cli_usage_error("webhook", "unknown subcommand '%s'", sub);
    int npos = 0;
    cli_opt opts[] = {{"events", 1, &events, NULL}, {"secret-file", 1, &secret_file, NULL}, {NULL, 0, NULL, NULL}};
    if (cli_parse(argc - 1, argv + 1, k == 0 ? opts : opts + 2, pos, 1, &npos))
        return 2;
    if (npos != nargs[k])
        return cli_usage_error("webhook", "%s takes %s", sub, nargs[k] ? "one argument" : "no argument");
    wr_ctx *ctx = NULL;
    int rc = cli_open(cli, &ctx);
    if (rc)
        return rc;
    wr_err err = {0};
    json_t *out = NULL;
    switch (k) {
    case 0: rc = wr_webhook_add(ctx, cli->as, pos[0], events, secret_file, &out, &err); break;
    case 1: rc = wr_webhook_list(ctx, &out, &err); break;
    case 2: rc = wr_webhook_remove(ctx, pos[0], &err); break;
    case 3: rc = wr_webhook_enable(ctx, pos[0], &err); break;
    default: rc = wr_webhook_deliver(ctx, &out, &err); break;
    }
    wr_ctx_close(ctx);
    if (rc)
        return cli_fail(&err);
    if (cli->json && out)
        cli_print_json(out);
    else if (k == 0)
        printf("%s\n", json_string_value(json_object_get(out, "id")));
    else if (k == 1)
        print_hooks(out);
    else if (k == 4)
        printf("delivered %lld, failed %lld\n", (long long)json_integer_value(json_object_get(out, "delivered")),
               (long long)json_integer_value(json_object_get(out, "failed")));
    /* a delivery run with failures is worth a non-zero exit for cron */
    int failed = k == 4 && json_integer_value(json_object_get(out, "failed")) > 0;
    json_decref(out);
    return failed ? 1 : 0;
}
