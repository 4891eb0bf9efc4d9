/*
 * inv_fixture.h — a small inventory for the inventory unit tests, and a
 * dump of every inventory table so a test can say "exactly as before".
 */
#ifndef WARRANT_INV_FIXTURE_H
#define WARRANT_INV_FIXTURE_H
#include "check.h"
#include "warrant/inventory.h"

#include <stdio.h>
#include <string.h>

static const char inv_fixture_json[] =
    "{\"identities\":["
    " {\"id\":\"alice\",\"kind\":\"human\",\"name\":\"Alice\",\"department\":\"finance\",\"status\":\"active\"},"
    " {\"id\":\"bob\",\"kind\":\"human\",\"department\":\"finance\",\"status\":\"terminated\"},"
    " {\"id\":\"carol\",\"kind\":\"human\",\"department\":\"hr\",\"status\":\"active\"},"
    " {\"id\":\"svc-sync\",\"kind\":\"service_account\",\"owner\":\"alice\"},"
    " {\"id\":\"bot-x\",\"kind\":\"bot\"}],"
    "\"systems\":["
    " {\"id\":\"payroll\",\"name\":\"Payroll\",\"domain\":\"finance\",\"owner\":\"alice\","
    "  \"connector\":\"builtin\",\"connector_config\":{\"url\":\"https://p\"},\"criticality\":\"critical\"},"
    " {\"id\":\"hr-portal\",\"domain\":\"hr\",\"owner\":\"carol\"}],"
    "\"entitlements\":["
    " {\"id\":\"payroll:viewer\",\"privilege\":\"low\"},"
    " {\"id\":\"payroll:admin\",\"privilege\":\"admin\"},"
    " {\"system\":\"hr-portal\",\"name\":\"employee\"}],"
    "\"accounts\":["
    " {\"id\":\"payroll:alice\",\"identity\":\"alice\",\"last_used_at\":\"2025-05-20T00:00:00Z\",\"created_at\":\"2020-01-01\"},"
    " {\"id\":\"payroll:bob\",\"identity\":\"bob\",\"last_used_at\":\"2025-05-20T00:00:00Z\",\"created_at\":\"2020-01-01\"},"
    " {\"id\":\"payroll:svc-sync\",\"identity\":\"svc-sync\",\"last_used_at\":\"2024-01-01T00:00:00Z\",\"created_at\":\"2020-01-01\"},"
    " {\"id\":\"payroll:tmp\",\"created_at\":\"2020-01-01\"},"
    " {\"id\":\"hr-portal:carol\",\"identity\":\"carol\",\"status\":\"disabled\",\"created_at\":\"2020-01-01\"}],"
    "\"grants\":["
    " {\"account\":\"payroll:alice\",\"entitlement\":\"payroll:viewer\",\"granted_at\":\"2024-01-01T00:00:00Z\","
    "  \"granted_by\":\"carol\",\"last_used_at\":\"2025-05-30T00:00:00Z\",\"expires_at\":\"2025-05-15T00:00:00Z\"},"
    " {\"account\":\"payroll:svc-sync\",\"entitlement\":\"payroll:admin\",\"granted_at\":\"2024-01-01T00:00:00Z\","
    "  \"last_used_at\":\"2025-05-30T00:00:00Z\",\"certified_at\":\"2025-01-01T00:00:00Z\"},"
    " {\"account\":\"payroll:bob\",\"entitlement\":\"payroll:viewer\",\"granted_at\":\"2020-01-01T00:00:00Z\"}],"
    "\"credentials\":["
    " {\"id\":\"cred-sync\",\"identity\":\"svc-sync\",\"system\":\"payroll\",\"kind\":\"password\","
    "  \"location\":\"vault\",\"created_at\":\"2024-01-01\",\"rotated_at\":\"2025-05-01T00:00:00Z\"},"
    " {\"id\":\"cred-bot\",\"identity\":\"bot-x\",\"location\":\"code\",\"location_ref\":\"repo/x.py\","
    "  \"created_at\":\"2023-01-01\"}],"
    "\"roles\":[{\"department\":\"finance\",\"entitlement\":\"payroll:viewer\"}]}";

/* Opens a fresh store holding the fixture (now = 2025-06-01). */
static inline wr_store *inv_fixture_open(const char *tag)
{
    setenv("WARRANT_NOW", "2025-06-01T00:00:00Z", 1);
    wr_store *s = NULL;
    wr_err err = {0};
    if (wr_store_open(test_tmpdir(tag), WR_STORE_CREATE, &s, &err)) {
        fprintf(stderr, "open: %s\n", err.msg);
        exit(2);
    }
    wr_import_stats st;
    if (wr_inventory_import_buffer(s, "fixture.json", inv_fixture_json, strlen(inv_fixture_json),
                                   NULL, &st, NULL, &err) || st.rejected) {
        fprintf(stderr, "fixture: %s (%llu rejected)\n", err.msg, (unsigned long long)st.rejected);
        exit(2);
    }
    return s;
}

/* Every row of every inventory table, as text (caller frees). */
static inline char *inv_dump(wr_store *s)
{
    static const char *const sql[] = {
        "SELECT id||'|'||kind||'|'||ifnull(status,'')||'|'||ifnull(owner,'')||'|'||ifnull(terminated_at,'') FROM identities ORDER BY id",
        "SELECT id||'|'||ifnull(owner,'')||'|'||ifnull(domain,'') FROM systems ORDER BY id",
        "SELECT id||'|'||status||'|'||ifnull(identity_rid,'')||'|'||ifnull(last_used_at,'') FROM accounts ORDER BY id",
        "SELECT id||'|'||privilege||'|'||ifnull(owner,'') FROM entitlements ORDER BY id",
        "SELECT account_rid||'|'||entitlement_rid||'|'||ifnull(granted_at,'')||'|'||ifnull(granted_by,'')||'|'||"
        "ifnull(last_used_at,'')||'|'||ifnull(expires_at,'')||'|'||ifnull(certified_at,'')||'|'||ifnull(source,'') "
        "FROM grants ORDER BY 1",
        "SELECT id||'|'||location||'|'||ifnull(rotated_at,'') FROM credentials ORDER BY id",
        "SELECT department||'|'||entitlement_rid FROM role_entitlements ORDER BY 1"};
    wr_buf b = WR_BUF_INIT;
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        wr_stmt *st;
        wr_err err;
        if (wr_stmt_prepare(s, sql[i], &st, &err))
            continue;
        while (wr_stmt_step(st, &err) == 1)
            if (wr_buf_printf(&b, "%s\n", wr_stmt_text(st, 0)))
                break;
        wr_stmt_done(st);
        if (wr_buf_puts(&b, "--\n"))
            break;
    }
    return wr_buf_steal(&b);
}

static inline json_t *inv_json(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, 0, &je);
    if (!v) {
        fprintf(stderr, "bad test JSON: %s: %s\n", text, je.text);
        exit(2);
    }
    return v;
}

/* The first column of the first row of sql, as an integer (-1: none). */
static inline long long inv_count(wr_store *s, const char *sql)
{
    wr_stmt *st;
    wr_err err;
    long long n = -1;
    if (wr_stmt_prepare(s, sql, &st, &err) == 0) {
        if (wr_stmt_step(st, &err) == 1)
            n = (long long)wr_stmt_int(st, 0);
        wr_stmt_done(st);
    }
    return n;
}

/* Problems SQLite's integrity_check reports (0: the database is whole). */
static inline long long inv_integrity_errors(wr_store *s)
{
    return inv_count(s, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'");
}

/* Indexes of table (named ones and SQLite's own, for inline unique keys). */
static inline long long inv_index_count(wr_store *s, const char *table)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_schema WHERE tbl_name='%s' "
             "AND type='index'", table);
    return inv_count(s, sql);
}

/* Count of inventory_events rows. */
static inline long long inv_events(wr_store *s)
{
    return inv_count(s, "SELECT count(*) FROM inventory_events");
}
#endif
