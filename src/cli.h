/*
 * cli.h — what every subcommand of the `warrant` tool shares.
 *
 * The tool is a thin layer over the public API (warrant.h): each
 * subcommand lives in src/cmd_<name>.c and defines
 *     int cmd_<name>(int argc, char **argv, wr_cli *cli);
 *     const char cmd_<name>_summary[];
 * argv[0] is the subcommand's name; global options (--data, --json, --as,
 * --help) have already been removed from argv and stored in *cli.
 * A subcommand returns the process exit code: 0, or wr_status_exit(status).
 */
#ifndef WARRANT_CLI_H
#define WARRANT_CLI_H

#include "warrant.h"

#include <jansson.h>
#include <stdio.h>

typedef struct wr_cli {
    const char *data_dir;  /* --data, $WARRANT_DATA, else ./warrant-data */
    const char *as;        /* --as PRINCIPAL, else $WARRANT_AS */
    int json;              /* --json: machine-readable output */
    int help;              /* --help was given */
    const char *channel;   /* how the request arrived, "cli" */
} wr_cli;

/* One option of a subcommand: "--name" with or without a value. */
typedef struct cli_opt {
    const char *name;      /* without the leading dashes */
    int has_arg;
    const char **value;    /* receives the argument (or "1" for flags) */
} cli_opt;

/* Parses argv[1..] against opts; positional arguments are gathered into
 * pos (at most maxpos).  Returns 0, or prints the problem and returns 2. */
int cli_parse(int argc, char **argv, const cli_opt *opts, const char **pos,
              int maxpos, int *npos);
/* Prints "warrant: <message>" and returns the exit code for err. */
int cli_fail(const wr_err *err);
/* Prints "warrant <cmd>: <message>" for usage errors and returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) WR_PRINTF(2, 3);
/* Prints a JSON value (indented) and a newline on stdout. */
void cli_print_json(const json_t *v);
/* Prints help text when --help was given; returns 1 if it did. */
int cli_help(const wr_cli *cli, const char *text);

#endif
