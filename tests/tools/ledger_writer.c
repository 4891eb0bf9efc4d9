/*
 * ledger_writer.c — test-only tool: appends entries to a data directory's
 * lineage log and prints each index after its commit returned (so every
 * printed index is durable).  Not installed; the CLI has no append command.
 *
 *   ledger_writer DIR init [ORIGIN]          create the store and log key
 *   ledger_writer DIR append JSON...         one transaction per entry
 *   ledger_writer DIR stream PREFIX COUNT    COUNT entries {"n":i,"p":PREFIX},
 *                                            one durable commit each
 *   ledger_writer DIR bulk COUNT [BATCH]     COUNT entries via group commit
 */
#include "warrant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int die(const wr_err *e)
{
    fprintf(stderr, "ledger_writer: %s\n", e->msg);
    return wr_status_exit(e->code ? e->code : WR_EINTERNAL);
}

static int append_one(wr_store *s, wr_ledger *l, json_t *v, uint64_t *idx, wr_err *e)
{
    int rc = wr_store_begin(s, e);
    if (rc)
        return rc;
    if ((rc = wr_ledger_append(l, v, idx, e))) {
        wr_store_rollback(s);
        return rc;
    }
    return wr_store_commit(s, e);
}

int main(int argc, char **argv)
{
    wr_err e = {0};
    if (argc < 3) {
        fprintf(stderr, "usage: ledger_writer DIR init|append|stream|bulk ...\n");
        return 2;
    }
    const char *dir = argv[1], *cmd = argv[2];
    wr_store *s = NULL;
    wr_ledger *l = NULL;
    if (strcmp(cmd, "init") == 0) {
        int rc = wr_store_open(dir, WR_STORE_CREATE, &s, &e);
        if (rc == WR_OK) {
            rc = wr_ledger_keygen(dir, argc > 3 ? argv[3] : "warrant.test/log", &e);
            wr_store_close(s);
        }
        return rc ? die(&e) : 0;
    }
    if (strcmp(cmd, "bulk") == 0 && argc >= 4) {
        wr_ledger_group *g;
        long count = atol(argv[3]);
        if (wr_ledger_group_open(dir, argc > 4 ? (size_t)atol(argv[4]) : 0, &g, &e))
            return die(&e);
        for (long i = 0; i < count; i++) {
            json_t *v = json_pack("{s:I,s:s}", "n", (json_int_t)i, "kind", "bulk");
            int rc = wr_ledger_group_submit(g, v, NULL, NULL, NULL, NULL, &e);
            json_decref(v);
            if (rc)
                return die(&e);
        }
        wr_ledger_group_close(g);
        return 0;
    }
    if (wr_store_open(dir, 0, &s, &e))
        return die(&e);
    if (wr_ledger_open(s, &l, &e)) {
        wr_store_close(s);
        return die(&e);
    }
    int rc = 0;
    if (strcmp(cmd, "append") == 0) {
        for (int i = 3; i < argc && rc == 0; i++) {
            json_error_t je;
            json_t *v = json_loads(argv[i], 0, &je);
            uint64_t idx;
            if (!v) {
                fprintf(stderr, "ledger_writer: bad JSON: %s\n", je.text);
                rc = 2;
            } else if (append_one(s, l, v, &idx, &e)) {
                rc = die(&e);
            } else {
                printf("%llu\n", (unsigned long long)idx);
                fflush(stdout);
            }
            json_decref(v);
        }
    } else if (strcmp(cmd, "stream") == 0 && argc == 5) {
        long count = atol(argv[4]);
        for (long i = 0; i < count && rc == 0; i++) {
            json_t *v = json_pack("{s:s,s:I}", "p", argv[3], "n", (json_int_t)i);
            uint64_t idx;
            if (append_one(s, l, v, &idx, &e)) {
                rc = die(&e);
            } else {
                printf("%llu %s %ld\n", (unsigned long long)idx, argv[3], i);
                fflush(stdout);
            }
            json_decref(v);
        }
    } else {
        fprintf(stderr, "ledger_writer: unknown command '%s'\n", cmd);
        rc = 2;
    }
    wr_ledger_close(l);
    wr_store_close(s);
    return rc;
}
