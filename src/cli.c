/*
 * cli.c — option parsing, error printing and JSON output shared by the
 * subcommands.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cli_parse(int argc, char **argv, const cli_opt *opts, const char **pos,
              int maxpos, int *npos)
{
    int np = 0, literal = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!literal && strcmp(a, "--") == 0) {
            literal = 1;
            continue;
        }
        if (!literal && a[0] == '-' && a[1] == '-' && a[2]) {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            const cli_opt *o = opts;
            while (o && o->name && !(strlen(o->name) == len && strncmp(o->name, name, len) == 0))
                o++;
            if (!o || !o->name)
                return cli_usage_error(argv[0], "unknown option '%s'", a);
            if (o->has_arg) {
                const char *v;
                if (eq)
                    v = eq + 1;
                else if (i + 1 < argc)
                    v = argv[++i];
                else
                    return cli_usage_error(argv[0], "option '--%s' needs a value", o->name);
                if (o->list) {
                    if (o->list->n >= CLI_LIST_MAX)
                        return cli_usage_error(argv[0], "option '--%s' given more than %d times", o->name,
                                               CLI_LIST_MAX);
                    o->list->v[o->list->n++] = v;
                } else {
                    *o->value = v;
                }
            } else {
                if (eq)
                    return cli_usage_error(argv[0], "option '--%s' takes no value", o->name);
                *o->value = "1";
            }
            continue;
        }
        if (np >= maxpos)
            return cli_usage_error(argv[0], "unexpected argument '%s'", a);
        pos[np++] = a;
    }
    *npos = np;
    return 0;
}

int cli_fail(const wr_err *err)
{
    fprintf(stderr, "warrant: %s\n", err->msg[0] ? err->msg : wr_status_name(err->code));
    return wr_status_exit(err->code ? err->code : WR_EINTERNAL);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "warrant %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'warrant %s --help')\n", cmd);
    va_end(ap);
    return 2;
}

void cli_print_json(const json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
}

int cli_help(const wr_cli *cli, const char *text)
{
    if (!cli->help)
        return 0;
    fputs(text, stdout);
    return 1;
}

void cli_print_items(const wr_cli *cli, const json_t *v, void (*print)(const json_t *item))
{
    if (cli->json) {
        cli_print_json(v);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
            print(item);
    } else {
        print(v);
    }
}

int cli_open(const wr_cli *cli, wr_ctx **out)
{
    wr_err err = {0};
    if (wr_ctx_open(cli->data_dir, 0, out, &err) != WR_OK)
        return cli_fail(&err);
    return 0;
}

wr_actor cli_actor(const wr_cli *cli)
{
    wr_actor a = {cli->as, cli->channel};
    return a;
}

json_t *cli_evidence(const cli_list *items)
{
    json_t *arr = json_array();
    for (int i = 0; i < items->n; i++) {
        const char *eq = strchr(items->v[i], '=');
        if (!eq || eq == items->v[i] || !eq[1]) {
            fprintf(stderr, "warrant: evidence '%s': expected KIND=REF, e.g. ticket=CHG-1234\n", items->v[i]);
            json_decref(arr);
            return NULL;
        }
        json_t *kind = json_stringn(items->v[i], (size_t)(eq - items->v[i]));
        json_array_append_new(arr, json_pack("{s:o,s:s}", "kind", kind, "ref", eq + 1));
    }
    return arr;
}

int cli_change_verb(int argc, char **argv, wr_cli *cli, const char *usage, int needs_reason,
                    cli_change_fn fn)
{
    if (cli_help(cli, usage))
        return 0;
    const char *reason = NULL, *pos[1];
    int npos = 0;
    cli_opt opts[] = {{"reason", 1, &reason, NULL}, {NULL, 0, NULL, NULL}};
    if (cli_parse(argc, argv, needs_reason ? opts : opts + 1, pos, 1, &npos))
        return 2;
    if (npos != 1)
        return cli_usage_error(argv[0], "expected one CHANGE_ID");
    if (needs_reason && !reason)
        return cli_usage_error(argv[0], "--reason is required: every decision carries its reason");
    wr_ctx *ctx = NULL;
    int rc = cli_open(cli, &ctx);
    if (rc)
        return rc;
    wr_err err = {0};
    json_t *out = NULL;
    wr_actor actor = cli_actor(cli);
    if (fn(ctx, &actor, pos[0], reason, &out, &err) != WR_OK) {
        wr_ctx_close(ctx);
        return cli_fail(&err);
    }
    cli_print_change(cli, out);
    rc = cli_change_exit(out);
    json_decref(out);
    wr_ctx_close(ctx);
    return rc;
}

static const struct op_form {
    const char *name;
    int nargs;
    const char *arg1, *arg2;
} op_forms[] = {
    {"grant", 2, "account", "entitlement"},
    {"revoke", 2, "account", "entitlement"},
    {"disable", 1, "account", NULL},
    {"enable", 1, "account", NULL},
    {"transfer_ownership", 2, "object", "to"},
    {"rotate_credential", 1, "credential", NULL},
};

json_t *cli_parse_ops(const char *cmd, int n, const char **words)
{
    json_t *ops = json_array();
    int i = 0;
    while (i < n) {
        const struct op_form *f = NULL;
        for (size_t k = 0; k < sizeof op_forms / sizeof op_forms[0]; k++)
            if (strcmp(words[i], op_forms[k].name) == 0)
                f = &op_forms[k];
        if (!f) {
            cli_usage_error(cmd, "'%s' is not an operation (grant, revoke, disable, enable, "
                            "transfer_ownership, rotate_credential)", words[i]);
            json_decref(ops);
            return NULL;
        }
        if (i + f->nargs > n - 1) {
            cli_usage_error(cmd, "%s needs %d argument(s)", f->name, f->nargs);
            json_decref(ops);
            return NULL;
        }
        json_t *op = json_pack("{s:s,s:s}", "op", f->name, f->arg1, words[i + 1]);
        if (f->nargs == 2)
            json_object_set_new(op, f->arg2, json_string(words[i + 2]));
        json_array_append_new(ops, op);
        i += 1 + f->nargs;
        if (i < n) {
            if (strcmp(words[i], "+") != 0) {
                cli_usage_error(cmd, "unexpected '%s': separate operations with '+'", words[i]);
                json_decref(ops);
                return NULL;
            }
            i++;
        }
    }
    if (json_array_size(ops) == 0) {
        cli_usage_error(cmd, "no operation given");
        json_decref(ops);
        return NULL;
    }
    return ops;
}

json_t *cli_parse_inputs(const char *cmd, const cli_list *items)
{
    json_t *arr = json_array();
    for (int i = 0; i < items->n; i++) {
        const char *eq = strchr(items->v[i], '=');
        if (!eq || eq == items->v[i] || !eq[1]) {
            cli_usage_error(cmd, "input '%s': expected SOURCE=sha256:HEX or SOURCE=@FILE", items->v[i]);
            json_decref(arr);
            return NULL;
        }
        json_t *src = json_stringn(items->v[i], (size_t)(eq - items->v[i]));
        if (eq[1] == '@') {
            char *data = NULL, digest[72];
            size_t len = 0;
            wr_err err = {0};
            if (wr_file_read(eq + 2, (size_t)1 << 30, &data, &len, &err) != WR_OK) {
                cli_fail(&err);
                json_decref(src);
                json_decref(arr);
                return NULL;
            }
            wr_digest_string(data, len, digest);
            free(data);
            json_array_append_new(arr, json_pack("{s:o,s:s,s:s}", "source", src, "sha256", digest,
                                                 "description", eq + 2));
        } else {
            json_array_append_new(arr, json_pack("{s:o,s:s}", "source", src, "sha256", eq + 1));
        }
    }
    return arr;
}
