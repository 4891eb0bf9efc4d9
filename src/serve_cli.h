/*
 * serve_cli.h — what `warrant serve` and `warrant cedar serve` share:
 * building the server configuration from the options and running a
 * started server until SIGTERM/SIGINT.
 */
#ifndef WARRANT_SERVE_CLI_H
#define WARRANT_SERVE_CLI_H

#include "cli.h"
#include "warrant/server.h"

/* The options both commands accept; fill .config etc. via serve_opts(). */
typedef struct serve_args {
    const char *config, *listen, *threads, *cert, *key, *port_file;
    cli_list sets;
} serve_args;

/* Appends the shared options to opts (which must have room for 8 more
 * entries and end with a NULL entry); returns the new count. */
int serve_opts(cli_opt *opts, int n, serve_args *a);
/* Builds c: defaults, then the config file, then the options. Returns 0
 * or prints the problem and returns the exit code. */
int serve_config(const char *cmd, const serve_args *a, wr_server_config *c);
/* Blocks SIGTERM/SIGINT in this thread (call before starting a server, so
 * its threads inherit the mask). */
void serve_block_signals(void);
/* Waits for SIGTERM or SIGINT, then stops s gracefully.  Returns 0. */
int serve_until_signal(wr_server *s, const wr_server_config *c);

#endif
