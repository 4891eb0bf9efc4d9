/*
 * test_inventory_migrate.c — schema step 3 (accounts' id unique through a
 * named index, so a first load can build it by a sort) on a database that
 * already holds accounts and grants: every row stays, no cascade fires,
 * foreign keys and the unique id still hold, and the schema is exactly
 * that of a new database.
 */
#include "inv_fixture.h"
#include "store/store_internal.h"
#include "warrant/inventory.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* The stored definitions of the inventory's accounts and grants. */
static char *schema_of(wr_store *s)
{
    wr_stmt *st;
    wr_err err = {0};
    wr_buf b = WR_BUF_INIT;
    if (wr_stmt_prepare(s, "SELECT type, name, ifnull(sql, '') FROM sqlite_schema WHERE "
                        "tbl_name IN ('accounts', 'grants') ORDER BY name", &st, &err))
        return NULL;
    while (wr_stmt_step(st, &err) == 1)
        if (wr_buf_printf(&b, "%s %s %s\n", wr_stmt_text(st, 0), wr_stmt_text(st, 1),
                          wr_stmt_text(st, 2)))
            break;
    wr_stmt_done(st);
    return wr_buf_steal(&b);
}

TEST(test_step3_keeps_rows_and_matches_a_new_database)
{
    /* a database at inventory schema 2, with data */
    const char *dir = test_tmpdir("migrate3");
    char path[600];
    snprintf(path, sizeof path, "%s/warrant.db", dir);
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL), SQLITE_OK);
    for (int i = 0; i < 2; i++)
        CHECK_EQ_INT(sqlite3_exec(db, wr_schema_inventory.steps[i].sql, NULL, NULL, NULL),
                     SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db,
        "CREATE TABLE schema_version(module TEXT PRIMARY KEY, version INTEGER NOT NULL);"
        "INSERT INTO schema_version VALUES('inventory', 2);"
        "INSERT INTO systems(rid, id) VALUES(1, 'pay'), (2, 'hr');"
        "INSERT INTO identities(rid, id, kind) VALUES(1, 'ann', 'human'), (2, 'bo', 'bot');"
        "INSERT INTO entitlements(rid, id, system_rid, name) VALUES(1, 'pay:view', 1, 'view'),"
        " (2, 'pay:admin', 1, 'admin'), (3, 'hr:emp', 2, 'emp');"
        "INSERT INTO accounts(rid, id, system_rid, login, identity_rid, last_used_at) VALUES"
        " (1, 'pay:ann', 1, 'ann', 1, 100), (2, 'pay:bo', 1, 'bo', 2, NULL),"
        " (5, 'hr:ann', 2, 'ann', 1, 7);"
        "INSERT INTO grants(account_rid, entitlement_rid, granted_by, expires_at) VALUES"
        " (1, 1, 'x', NULL), (1, 2, 'y', 99), (2, 1, NULL, NULL), (5, 3, 'z', 5);",
        NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    wr_store *s = NULL, *fresh = NULL;
    wr_err err = {0};
    CHECK_OK(wr_store_open(dir, 0, &s, &err));
    CHECK_EQ_INT(inv_count(s, "SELECT version FROM schema_version WHERE module='inventory'"),
                 (long long)wr_schema_inventory.nsteps);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM accounts"), 3);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM grants"), 4);
    CHECK_EQ_INT(inv_count(s, "SELECT sum(rid * last_used_at) FROM accounts"), 135);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM grants WHERE account_rid=1 AND entitlement_rid=2 "
                        "AND granted_by='y' AND expires_at=99"), 1);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM sqlite_schema WHERE name LIKE '%_v2'"), 0);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check!='ok'"),
                 0);
    /* the same schema as a database created now */
    CHECK_OK(wr_store_open(test_tmpdir("migrate3-new"), WR_STORE_CREATE, &fresh, &err));
    char *a = schema_of(s), *b = schema_of(fresh);
    CHECK(a && b);
    CHECK_EQ_STR(a, b);
    CHECK(strstr(a, "CREATE UNIQUE INDEX accounts_id ON accounts(id)") != NULL);
    free(a);
    free(b);
    wr_store_close(fresh);
    /* ids stay unique; deleting an account still cascades to its grants */
    CHECK(wr_store_exec(s, "INSERT INTO accounts(id, system_rid, login) VALUES('pay:ann', 1, 'a')",
                        &err) != WR_OK);
    CHECK(strstr(err.msg, "UNIQUE") != NULL);
    CHECK_OK(wr_store_exec(s, "DELETE FROM accounts WHERE id='pay:ann'", &err));
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM grants"), 2);
    CHECK_OK(wr_store_exec(s, "DELETE FROM systems WHERE id='hr'", &err));
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM grants"), 1);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM accounts"), 1);
    wr_store_close(s);
}

RUN_TESTS(T(test_step3_keeps_rows_and_matches_a_new_database))
