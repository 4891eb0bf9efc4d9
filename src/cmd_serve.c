/*
 * cmd_serve.c — `warrant serve`: run the HTTP API, the AuthZEN endpoints
 * and the public log over the data directory until SIGTERM or SIGINT, then
 * stop gracefully (see warrant/server.h and docs/server.md).
 */
#include "serve_cli.h"

const char cmd_serve_summary[] = "serve the HTTP API, AuthZEN decisions and the public log";

static const char usage[] =
    "usage: warrant serve [--config FILE] [--listen HOST:PORT] [--threads N]\n"
    "                     [--tls-cert PEM --tls-key PEM] [--port-file FILE]\n"
    "                     [--set KEY=VALUE]...\n\n"
    "Serves the REST API (/v1/...), OpenID AuthZEN (/access/v1/...), the lineage log\n"
    "(/log/checkpoint, /log/tile/...), /healthz, /metrics and /openapi.json over the\n"
    "data directory (--data).  Every request except /healthz and /log/ needs a bearer\n"
    "token ('warrant token create').  Settings come from the defaults, then --config\n"
    "(key = value lines or a JSON object), then the options; --set sets any key.\n"
    "Keys: listen, data, threads, max_body, max_header, max_connections, idle_timeout,\n"
    "request_timeout, rate, burst, expire_interval, drain_timeout, access_log, tls_cert,\n"
    "tls_key, port_file (see docs/server.md).  Port 0 picks a free port (written to\n"
    "--port-file).  SIGTERM/SIGINT: stop accepting, finish in-flight requests, exit 0.\n";

int cmd_serve(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli, usage))
        return 0;
    serve_args a = {0};
    cli_opt opts[9];
    serve_opts(opts, 0, &a);
    const char *pos[1];
    int npos = 0;
    if (cli_parse(argc, argv, opts, pos, 0, &npos))
        return 2;
    wr_server_config c;
    wr_server_config_init(&c);
    wr_err err = {0};
    if (wr_server_config_set(&c, "data", cli->data_dir, &err))
        return cli_fail(&err);
    int rc = serve_config("serve", &a, &c);
    if (rc)
        return rc;
    serve_block_signals();
    wr_server *s = NULL;
    if (wr_server_start(&c, &s, &err))
        return cli_fail(&err);
    return serve_until_signal(s, &c);
}
