/*
 * test_inventory_migrate.c — schema steps 3 and 4 (the ids of accounts,
 * then of identities, unique through a named index, so a first load can
 * build it by a sort) on a database that already holds data: every row
 * stays, no cascade fires, foreign keys and the unique id still hold, and
 * the schema is exactly that of a new database.  Step 4 rebuilds a table
 * others reference (rebuilds_parent: foreign keys off, then checked): a
 * database with a dangling reference is refused and left as it was.
 */
#include "inv_fixture.h"
#include "store/store_internal.h"
#include "warrant/inventory.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* The stored definitions of the inventory's tables that steps 3 and 4
 * rebuild, and of those that reference them. */
static char *schema_of(wr_store *s)
{
    wr_stmt *st;
    wr_err err = {0};
    wr_buf b = WR_BUF_INIT;
    if (wr_stmt_prepare(s, "SELECT type, name, ifnull(sql, '') FROM sqlite_schema WHERE "
                        "tbl_name IN ('accounts', 'grants', 'identities', 'credentials') "
                        "ORDER BY name", &st, &err))
        return NULL;
    while (wr_stmt_step(st, &err) == 1)
        if (wr_buf_printf(&b, "%s %s %s\n", wr_stmt_text(st, 0), wr_stmt_text(st, 1),
                          wr_stmt_text(st, 2)))
            break;
    wr_stmt_done(st);
    return wr_buf_steal(&b);
}

/* A database whose inventory schema is at `version`, holding `data`;
 * `extra` (or NULL) runs after it with foreign keys off. */
static const char *db_at(const char *name, int version, const char *data, const char *extra)
{
    const char *dir = test_tmpdir(name);
    char path[600], sv[160];
    snprintf(path, sizeof path, "%s/warrant.db", dir);
    snprintf(sv, sizeof sv, "CREATE TABLE schema_version(module TEXT PRIMARY KEY, version "
             "INTEGER NOT NULL); INSERT INTO schema_version VALUES('inventory', %d);", version);
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL), SQLITE_OK);
    for (int i = 0; i < version; i++)
        CHECK_EQ_INT(sqlite3_exec(db, wr_schema_inventory.steps[i].sql, NULL, NULL, NULL),
                     SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, sv, NULL, NULL, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, data, NULL, NULL, NULL), SQLITE_OK);
    if (extra) {
        CHECK_EQ_INT(sqlite3_exec(db, "PRAGMA foreign_keys=OFF", NULL, NULL, NULL), SQLITE_OK);
        CHECK_EQ_INT(sqlite3_exec(db, extra, NULL, NULL, NULL), SQLITE_OK);
    }
    sqlite3_close(db);
    return dir;
}

TEST(test_step3_keeps_rows_and_matches_a_new_database)
{
    /* a database at inventory schema 2, with data */
    const char *dir = db_at("migrate3", 2,
        "INSERT INTO systems(rid, id) VALUES(1, 'pay'), (2, 'hr');"
        "INSERT INTO identities(rid, id, kind) VALUES(1, 'ann', 'human'), (2, 'bo', 'bot');"
        "INSERT INTO entitlements(rid, id, system_rid, name) VALUES(1, 'pay:view', 1, 'view'),"
        " (2, 'pay:admin', 1, 'admin'), (3, 'hr:emp', 2, 'emp');"
        "INSERT INTO accounts(rid, id, system_rid, login, identity_rid, last_used_at) VALUES"
        " (1, 'pay:ann', 1, 'ann', 1, 100), (2, 'pay:bo', 1, 'bo', 2, NULL),"
        " (5, 'hr:ann', 2, 'ann', 1, 7);"
        "INSERT INTO grants(account_rid, entitlement_rid, granted_by, expires_at) VALUES"
        " (1, 1, 'x', NULL), (1, 2, 'y', 99), (2, 1, NULL, NULL), (5, 3, 'z', 5);", NULL);

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
    CHECK_EQ_INT(inv_integrity_errors(s), 0);
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

/* Identities that accounts and credentials reference, at schema 3. */
static const char step3_data[] =
    "INSERT INTO systems(rid, id) VALUES(1, 'pay');"
    "INSERT INTO identities(rid, id, kind, owner, source) VALUES(1, 'ann', 'human', NULL, 'hr'),"
    " (2, 'bot-7', 'bot', 'ann', 'cmdb'), (4, 'cy', 'human', NULL, 'hr');"
    "INSERT INTO accounts(rid, id, system_rid, login, identity_rid) VALUES"
    " (1, 'pay:ann', 1, 'ann', 1), (2, 'pay:bot', 1, 'bot', 2), (3, 'pay:orphan', 1, 'o', NULL);"
    "INSERT INTO credentials(rid, id, identity_rid, location) VALUES(1, 'key-1', 2, 'code');";

TEST(test_step4_rebuilds_identities_without_touching_their_references)
{
    const char *dir = db_at("migrate4", 3, step3_data, NULL);
    wr_store *s = NULL, *fresh = NULL;
    wr_err err = {0};
    CHECK_OK(wr_store_open(dir, 0, &s, &err));
    CHECK_EQ_INT(inv_count(s, "SELECT version FROM schema_version WHERE module='inventory'"),
                 (long long)wr_schema_inventory.nsteps);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM identities"), 3);
    CHECK_EQ_INT(inv_count(s, "SELECT sum(rid) FROM identities WHERE source='hr'"), 5);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM identities WHERE id='bot-7' AND owner='ann'"), 1);
    /* the drop of the old table fired no ON DELETE SET NULL */
    CHECK_EQ_INT(inv_count(s, "SELECT sum(identity_rid) FROM accounts"), 3);
    CHECK_EQ_INT(inv_count(s, "SELECT identity_rid FROM credentials"), 2);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM sqlite_schema WHERE name LIKE '%_v4'"), 0);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%identities_v%'"), 0);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    CHECK_EQ_INT(inv_integrity_errors(s), 0);
    /* foreign keys are on again after the step */
    CHECK_EQ_INT(inv_count(s, "PRAGMA foreign_keys"), 1);
    CHECK_OK(wr_store_open(test_tmpdir("migrate4-new"), WR_STORE_CREATE, &fresh, &err));
    char *a = schema_of(s), *b = schema_of(fresh);
    CHECK(a && b);
    CHECK_EQ_STR(a, b);
    CHECK(strstr(a, "CREATE UNIQUE INDEX identities_id ON identities(id)") != NULL);
    /* step 5: the source indexes leave out rows without a source, and a
     * query by source still uses them */
    CHECK(strstr(a, "ON identities(source) WHERE source IS NOT NULL") != NULL);
    CHECK(strstr(a, "ON accounts(source) WHERE source IS NOT NULL") != NULL);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM identities INDEXED BY identities_source "
                              "WHERE source='hr' AND status!='terminated'"), 2);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM accounts INDEXED BY accounts_source "
                              "WHERE source=?1"), 0);
    free(a);
    free(b);
    wr_store_close(fresh);
    /* ids stay unique; the references still act on the new table */
    CHECK(wr_store_exec(s, "INSERT INTO identities(id, kind) VALUES('ann', 'human')", &err) != WR_OK);
    CHECK(strstr(err.msg, "UNIQUE") != NULL);
    CHECK(wr_store_exec(s, "INSERT INTO accounts(id, system_rid, login, identity_rid) "
                        "VALUES('pay:x', 1, 'x', 99)", &err) != WR_OK);
    CHECK(strstr(err.msg, "FOREIGN KEY") != NULL);
    CHECK_OK(wr_store_exec(s, "DELETE FROM identities WHERE id='bot-7'", &err));
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM accounts WHERE identity_rid IS NULL"), 2);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM credentials WHERE identity_rid IS NULL"), 1);
    wr_store_close(s);
}

TEST(test_step4_refuses_a_dangling_reference_and_changes_nothing)
{
    const char *dir = db_at("migrate4-dangling", 3, step3_data,
                            "INSERT INTO accounts(rid, id, system_rid, login, identity_rid) "
                            "VALUES(9, 'pay:ghost', 1, 'g', 77)");
    wr_store *s = NULL;
    wr_err err = {0};
    CHECK(wr_store_open(dir, 0, &s, &err) != WR_OK);
    CHECK(s == NULL);
    CHECK(strstr(err.msg, "migration inventory/4") != NULL);
    CHECK(strstr(err.msg, "accounts") != NULL);
    /* still at step 3, with the old table and every row */
    char path[600];
    snprintf(path, sizeof path, "%s/warrant.db", dir);
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK_EQ_INT(sqlite3_prepare_v2(db, "SELECT (SELECT version FROM schema_version), "
                                    "(SELECT count(*) FROM identities), (SELECT count(*) FROM accounts), "
                                    "(SELECT count(*) FROM sqlite_schema WHERE name='identities_id'), "
                                    "(SELECT count(*) FROM sqlite_schema WHERE name LIKE '%_v4')",
                                    -1, &st, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_EQ_INT(sqlite3_column_int(st, 0), 3);
    CHECK_EQ_INT(sqlite3_column_int(st, 1), 3);
    CHECK_EQ_INT(sqlite3_column_int(st, 2), 4);
    CHECK_EQ_INT(sqlite3_column_int(st, 3), 0);
    CHECK_EQ_INT(sqlite3_column_int(st, 4), 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

RUN_TESTS(T(test_step3_keeps_rows_and_matches_a_new_database),
          T(test_step4_rebuilds_identities_without_touching_their_references),
          T(test_step4_refuses_a_dangling_reference_and_changes_nothing))
