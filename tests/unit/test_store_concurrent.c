/*
 * test_store_concurrent.c — processes that open one new store at the same
 * moment (a server starting while a first import runs, two CLI commands)
 * all succeed: each migration step re-reads the schema version inside its
 * write transaction, so the loser of the race skips what the winner
 * applied instead of failing on "table already exists".
 */
#include "check.h"
#include "warrant/store.h"

#include <sys/wait.h>

#define PROCS 6
#define ROUNDS 5

TEST(test_processes_opening_a_new_store_at_once_all_succeed)
{
    int failed = 0;
    for (int round = 0; round < ROUNDS; round++) {
        const char *dir = test_tmpdir("store-race");
        int go[2];
        CHECK(pipe(go) == 0);
        fflush(NULL);
        pid_t kids[PROCS];
        for (int k = 0; k < PROCS; k++) {
            kids[k] = fork();
            if (kids[k] == 0) {
                char c;
                close(go[1]);
                if (read(go[0], &c, 1) != 0)   /* wait for the start: EOF */
                    _exit(9);
                wr_store *s = NULL;
                wr_err err = {0};
                if (wr_store_open(dir, WR_STORE_CREATE, &s, &err)) {
                    fprintf(stderr, "process %d: %s\n", k, err.msg);
                    _exit(1);
                }
                wr_store_close(s);
                _exit(0);
            }
        }
        close(go[0]);
        close(go[1]);   /* all start at once */
        for (int k = 0; k < PROCS; k++) {
            int status = 0;
            if (waitpid(kids[k], &status, 0) != kids[k] || !WIFEXITED(status) ||
                WEXITSTATUS(status) != 0)
                failed++;
        }
        /* and the store is whole: every module at its last version */
        wr_store *s = NULL;
        wr_err err = {0};
        CHECK_OK(wr_store_open(dir, 0, &s, &err));
        wr_stmt *st;
        if (s && wr_stmt_prepare(s, "SELECT count(*) FROM schema_version", &st, &err) == 0) {
            CHECK_EQ_INT(wr_stmt_step(st, &err), 1);
            CHECK(wr_stmt_int(st, 0) >= 5);
            wr_stmt_done(st);
        }
        wr_store_close(s);
    }
    CHECK_EQ_INT(failed, 0);
}

RUN_TESTS(T(test_processes_opening_a_new_store_at_once_all_succeed))
