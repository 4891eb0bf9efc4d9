/*
 * serve_cli.c — option handling and the signal loop shared by the two
 * server commands (`warrant serve`, `warrant cedar serve`).
 */
#include "serve_cli.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

int serve_opts(cli_opt *opts, int n, serve_args *a)
{
    const cli_opt add[] = {{"config", 1, &a->config, NULL},     {"listen", 1, &a->listen, NULL},
                           {"threads", 1, &a->threads, NULL},   {"tls-cert", 1, &a->cert, NULL},
                           {"tls-key", 1, &a->key, NULL},       {"port-file", 1, &a->port_file, NULL},
                           {"set", 1, NULL, &a->sets},          {NULL, 0, NULL, NULL}};
    for (size_t i = 0; i < sizeof add / sizeof add[0]; i++)
        opts[n + (int)i] = add[i];
    return n + (int)(sizeof add / sizeof add[0]) - 1;
}

int serve_config(const char *cmd, const serve_args *a, wr_server_config *c)
{
    wr_err err = {0};
    if (a->config && wr_server_config_load(c, a->config, &err))
        return cli_fail(&err);
    const char *keys[] = {"listen", "threads", "tls_cert", "tls_key", "port_file"};
    const char *vals[] = {a->listen, a->threads, a->cert, a->key, a->port_file};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (vals[i] && wr_server_config_set(c, keys[i], vals[i], &err))
            return cli_usage_error(cmd, "%s", err.msg);
    for (int i = 0; i < a->sets.n; i++) {
        char k[64];
        const char *eq = strchr(a->sets.v[i], '=');
        if (!eq || eq == a->sets.v[i] || (size_t)(eq - a->sets.v[i]) >= sizeof k)
            return cli_usage_error(cmd, "--set expects KEY=VALUE, got '%s'", a->sets.v[i]);
        snprintf(k, sizeof k, "%.*s", (int)(eq - a->sets.v[i]), a->sets.v[i]);
        if (wr_server_config_set(c, k, eq + 1, &err))
            return cli_usage_error(cmd, "%s", err.msg);
    }
    return 0;
}

static sigset_t stop_set(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return set;
}

void serve_block_signals(void)
{
    sigset_t set = stop_set();
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int serve_until_signal(wr_server *s, const wr_server_config *c)
{
    sigset_t set = stop_set();
    fprintf(stderr, "{\"event\":\"listening\",\"listen\":\"%s\",\"port\":%d,\"tls\":%s}\n", c->listen,
            wr_server_port(s), c->tls_cert[0] ? "true" : "false");
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "{\"event\":\"stopping\",\"signal\":%d}\n", sig);
    wr_server_stop(s);
    fprintf(stderr, "{\"event\":\"stopped\"}\n");
    return 0;
}
