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
#include "warrant/workflow.h"
#include "warrant/inventory.h"

#include <jansson.h>
#include <stdio.h>

typedef struct wr_cli {
    const char *data_dir;  /* --data, $WARRANT_DATA, else ./warrant-data */
    const char *as;        /* --as PRINCIPAL, else $WARRANT_AS */
    int json;              /* --json: machine-readable output */
    int help;              /* --help was given */
    const char *channel;   /* how the request arrived, "cli" */
} wr_cli;

/* Values of a repeatable option, in order (at most CLI_LIST_MAX). */
#define CLI_LIST_MAX 32
typedef struct cli_list {
    const char *v[CLI_LIST_MAX];
    int n;
} cli_list;

/* One option of a subcommand: "--name" with or without a value. */
typedef struct cli_opt {
    const char *name;      /* without the leading dashes */
    int has_arg;
    const char **value;    /* receives the argument (or "1" for flags) */
    cli_list *list;        /* instead of value: a repeatable option */
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
/* Opens the governance context of cli->data_dir (prints the error). */
int cli_open(const wr_cli *cli, wr_ctx **out);
/* The acting principal from --as (NULL principal if none given). */
wr_actor cli_actor(const wr_cli *cli);
/* Prints a result: as JSON with --json, else print(item) for each item of
 * an array, or print(v) for a single object. */
void cli_print_items(const wr_cli *cli, const json_t *v, void (*print)(const json_t *item));
/* Prints a change for people (or JSON with --json). */
void cli_print_change(const wr_cli *cli, const json_t *change);
/* Exit code for a change result: 5 when it was denied, else 0. */
int cli_change_exit(const json_t *change);
/* Parses "KIND=REF" evidence items into a JSON array (NULL on error). */
json_t *cli_evidence(const cli_list *items);

/* Operations from positional words: "revoke ACCOUNT ENTITLEMENT + disable
 * ACCOUNT ..." (grant, revoke, disable, enable, transfer_ownership OBJECT TO,
 * rotate_credential CRED).  Prints the problem and returns NULL if bad. */
json_t *cli_parse_ops(const char *cmd, int n, const char **words);
/* Input signals from "SOURCE=sha256:HEX" or "SOURCE=@FILE" (hashed here). */
json_t *cli_parse_inputs(const char *cmd, const cli_list *items);

/* The shape shared by approve, reject, execute, validate and rollback:
 * `warrant VERB CHANGE_ID [--reason TEXT]`. */
typedef int (*cli_change_fn)(wr_ctx *ctx, const wr_actor *actor, const char *id, const char *reason,
                             json_t **out, wr_err *err);
int cli_change_verb(int argc, char **argv, wr_cli *cli, const char *usage, int needs_reason,
                    cli_change_fn fn);

#endif
