/*
 * cmd_mcp.c — `warrant mcp --as PRINCIPAL`: the Model Context Protocol
 * server on stdio, for a copilot, agent or service of the local data
 * directory.
 *
 * stdio transport: one JSON-RPC message per line on stdin, one response
 * per line on stdout, nothing else on stdout; logs go to stderr.  Lines
 * are read into a buffer capped at WR_MCP_MAX_MESSAGE: a longer line is
 * skipped to its end without being kept and answered with -32600.  A peer
 * that closes stdin in the middle of a line has its partial message
 * dropped unread (nothing was asked, so nothing changes) and the server
 * exits 0.
 */
#include "cli.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

const char cmd_mcp_summary[] = "serve the Model Context Protocol (stdio) for a copilot, agent or service";

static const char usage[] =
    "usage: warrant mcp --as PRINCIPAL [--page-size N]\n\n"
    "Speaks MCP (protocol 2025-11-25; 2025-06-18 and 2025-03-26 on request) on\n"
    "stdin/stdout: one JSON-RPC message per line.  PRINCIPAL must be a copilot,\n"
    "agent or service; every tool call is decided by policy as that principal and\n"
    "recorded in the lineage log with channel mcp:<session>:<tool>.  Tools:\n"
    "whoami, readiness, search_inventory, check_access, propose_change,\n"
    "change_status, execute_change, close_change, rollback_change (no approval\n"
    "tool: AI never approves).  --page-size sets tools per tools/list page.\n"
    "Client configuration: see docs/mcp.md.\n";

/* Reads one line (without its newline) into buf (capacity cap+1).
 * Returns 1 for a line, 0 at end of input (a partial last line is
 * dropped), and 2 for a line longer than cap (skipped; *len is its length,
 * saturated). */
static int read_line(char *buf, size_t cap, size_t *len)
{
    size_t n = 0;
    int c, over = 0;
    while ((c = getc(stdin)) != EOF) {
        if (c == '\n') {
            *len = n;
            if (!over)
                buf[n] = '\0';
            return over ? 2 : 1;
        }
        if (n < cap)
            buf[n] = (char)c;
        else
            over = 1;
        if (n < (size_t)-1)
            n++;
    }
    return 0;
}

int cmd_mcp(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli, usage))
        return 0;
    const char *page = NULL, *pos[1];
    int npos = 0;
    cli_opt opts[] = {{"page-size", 1, &page, NULL}, {NULL, 0, NULL, NULL}};
    if (cli_parse(argc, argv, opts, pos, 0, &npos))
        return 2;
    if (!cli->as || !*cli->as)
        return cli_usage_error(argv[0], "--as PRINCIPAL is required (a copilot, agent or service)");
    long page_size = 0;
    if (page) {
        char *end = NULL;
        page_size = strtol(page, &end, 10);
        if (!end || *end || page_size < 1 || page_size > 1000)
            return cli_usage_error(argv[0], "--page-size must be 1..1000");
    }
    wr_ctx *ctx = NULL;
    int rc = cli_open(cli, &ctx);
    if (rc)
        return rc;
    wr_err err = {0};
    wr_mcp_session *s = NULL;
    if (wr_mcp_session_new(ctx, cli->as, &s, &err) != WR_OK) {
        wr_ctx_close(ctx);
        return cli_fail(&err);
    }
    wr_mcp_session_set_page_size(s, (size_t)page_size);
    signal(SIGPIPE, SIG_IGN);   /* a closed stdout is a write error, not a kill */
    fprintf(stderr, "warrant mcp: session %s as %s\n", wr_mcp_session_id(s), cli->as);
    char *buf = malloc((size_t)WR_MCP_MAX_MESSAGE + 1);
    if (!buf) {
        wr_mcp_session_free(s);
        wr_ctx_close(ctx);
        fprintf(stderr, "warrant: out of memory\n");
        return 1;
    }
    size_t len = 0;
    int got;
    rc = 0;
    while ((got = read_line(buf, WR_MCP_MAX_MESSAGE, &len)) != 0) {
        const char *msg = buf;
        if (got == 1) {
            if (len && buf[len - 1] == '\r')
                len--;
            size_t i = 0;
            while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
                i++;
            if (i == len)
                continue;   /* blank line */
        } else {
            msg = "";       /* too long: wr_mcp_handle answers by length alone */
        }
        char *resp = NULL;
        if (wr_mcp_handle(s, msg, len, &resp, &err) != WR_OK) {
            rc = cli_fail(&err);
            break;
        }
        if (resp) {
            int bad = fputs(resp, stdout) == EOF || fputc('\n', stdout) == EOF || fflush(stdout) == EOF;
            free(resp);
            if (bad) {
                fprintf(stderr, "warrant mcp: stdout closed\n");
                break;
            }
        }
    }
    fprintf(stderr, "warrant mcp: session %s ended\n", wr_mcp_session_id(s));
    free(buf);
    wr_mcp_session_free(s);
    wr_ctx_close(ctx);
    return rc;
}
