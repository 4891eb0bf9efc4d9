/*
 * cli.c — option parsing, error printing and JSON output shared by the
 * subcommands.
 */
#include "cli.h"

#include <stdarg.h>
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
                if (eq)
                    *o->value = eq + 1;
                else if (i + 1 < argc)
                    *o->value = argv[++i];
                else
                    return cli_usage_error(argv[0], "option '--%s' needs a value", o->name);
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
