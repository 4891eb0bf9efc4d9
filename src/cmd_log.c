/*
 * cmd_log.c — `warrant log`: read, prove, verify and export the lineage
 * log.  Appending is not a CLI command: entries are written by the
 * workflow layer inside the transactions whose state changes they record.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char cmd_log_summary[] = "inspect, prove and verify the lineage log";

static const char log_help[] =
    "usage: warrant log <subcommand>\n\n"
    "  checkpoint                          print the latest signed checkpoint note\n"
    "  key                                 print the log's verifier key\n"
    "  entry INDEX                         print the exact bytes of entry INDEX\n"
    "  prove inclusion INDEX [--size N]    inclusion proof (JSON, base64 hashes)\n"
    "  prove consistency OLD NEW           consistency proof (JSON, base64 hashes)\n"
    "  verify                              recompute and check everything; exit 6 naming\n"
    "                                      the first damaged index on failure\n"
    "  tiles OUTDIR                        write a C2SP tlog-tiles export into OUTDIR\n";

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int print_proof(const char *head, uint8_t (*proof)[32], size_t n)
{
    fputs(head, stdout);
    fputs(",\"proof\":[", stdout);
    for (size_t i = 0; i < n; i++) {
        char *b = NULL;
        if (wr_base64_encode(proof[i], 32, &b))
            return 1;
        printf("%s\"%s\"", i ? "," : "", b);
        free(b);
    }
    fputs("]}\n", stdout);
    return 0;
}

static int run(wr_ledger *l, const char **pos, int npos, const char *size_opt)
{
    wr_err err = {0};
    const char *sub = pos[0];
    if (strcmp(sub, "checkpoint") == 0 || strcmp(sub, "key") == 0) {
        if (npos != 1)
            return cli_usage_error("log", "'%s' takes no arguments", sub);
        char *s = NULL;
        int rc = sub[0] == 'c' ? wr_ledger_checkpoint(l, &s, &err) : wr_ledger_verifier_key(l, &s, &err);
        if (rc)
            return cli_fail(&err);
        fputs(s, stdout);
        if (sub[0] == 'k')
            fputc('\n', stdout);
        free(s);
        return 0;
    }
    if (strcmp(sub, "entry") == 0) {
        uint64_t idx;
        if (npos != 2 || parse_u64(pos[1], &idx))
            return cli_usage_error("log", "usage: warrant log entry INDEX");
        char *bytes = NULL;
        size_t len = 0;
        if (wr_ledger_entry(l, idx, &bytes, &len, &err))
            return cli_fail(&err);
        fwrite(bytes, 1, len, stdout);
        free(bytes);
        return 0;
    }
    if (strcmp(sub, "prove") == 0) {
        uint8_t (*proof)[32] = NULL;
        size_t n = 0;
        char head[256];
        if (npos >= 2 && strcmp(pos[1], "inclusion") == 0) {
            uint64_t idx, size = wr_ledger_size(l);
            if (npos != 3 || parse_u64(pos[2], &idx) || (size_opt && parse_u64(size_opt, &size)))
                return cli_usage_error("log", "usage: warrant log prove inclusion INDEX [--size N]");
            uint8_t leaf[32];
            if (wr_ledger_prove_inclusion(l, idx, size, leaf, &proof, &n, &err))
                return cli_fail(&err);
            char *lb = NULL;
            if (wr_base64_encode(leaf, 32, &lb)) {
                free(proof);
                return 1;
            }
            snprintf(head, sizeof head, "{\"index\":%llu,\"tree_size\":%llu,\"leaf_hash\":\"%s\"",
                     (unsigned long long)idx, (unsigned long long)size, lb);
            free(lb);
        } else if (npos >= 2 && strcmp(pos[1], "consistency") == 0) {
            uint64_t m, nn;
            if (npos != 4 || size_opt || parse_u64(pos[2], &m) || parse_u64(pos[3], &nn))
                return cli_usage_error("log", "usage: warrant log prove consistency OLD NEW");
            if (wr_ledger_prove_consistency(l, m, nn, &proof, &n, &err))
                return cli_fail(&err);
            snprintf(head, sizeof head, "{\"old_size\":%llu,\"new_size\":%llu",
                     (unsigned long long)m, (unsigned long long)nn);
        } else {
            return cli_usage_error("log", "usage: warrant log prove inclusion|consistency ...");
        }
        int rc = print_proof(head, proof, n);
        free(proof);
        return rc;
    }
    if (strcmp(sub, "verify") == 0) {
        if (npos != 1)
            return cli_usage_error("log", "'verify' takes no arguments");
        uint64_t bad = 0;
        int rc = wr_ledger_verify(l, &bad, &err);
        if (rc)
            return cli_fail(&err);
        uint64_t size = wr_ledger_size(l);
        printf("ok: %llu entries, tiles and signed checkpoint verified\n", (unsigned long long)size);
        return 0;
    }
    if (strcmp(sub, "tiles") == 0) {
        if (npos != 2)
            return cli_usage_error("log", "usage: warrant log tiles OUTDIR");
        if (wr_ledger_export_tiles(l, pos[1], &err))
            return cli_fail(&err);
        return 0;
    }
    return cli_usage_error("log", "unknown subcommand '%s'", sub);
}

int cmd_log(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli, log_help))
        return 0;
    const char *size_opt = NULL, *pos[4];
    int npos = 0;
    cli_opt opts[] = {{"size", 1, &size_opt, NULL}, {NULL, 0, NULL, NULL}};
    int prc = cli_parse(argc, argv, opts, pos, 4, &npos);
    if (prc)
        return prc;
    if (npos == 0)
        return cli_usage_error("log", "missing subcommand");
    if (size_opt && !(strcmp(pos[0], "prove") == 0 && npos >= 2 && strcmp(pos[1], "inclusion") == 0))
        return cli_usage_error("log", "--size applies to 'prove inclusion' only");
    wr_err err = {0};
    wr_store *s = NULL;
    wr_ledger *l = NULL;
    if (wr_store_open(cli->data_dir, 0, &s, &err))
        return cli_fail(&err);
    if (wr_ledger_open(s, &l, &err)) {
        wr_store_close(s);
        return cli_fail(&err);
    }
    int rc = run(l, pos, npos, size_opt);
    wr_ledger_close(l);
    wr_store_close(s);
    return rc;
}
