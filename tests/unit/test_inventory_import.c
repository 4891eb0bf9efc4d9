/*
 * test_inventory_import.c — CSV, JSON and SCIM import: idempotence, exact
 * differences (and their journal), per-row errors with file:line or JSON
 * path, --strict, full snapshots, limits and malformed input.
 */
#include "inv_fixture.h"
#include "inventory/import.h"

static int import(wr_store *s, const char *name, const char *text, const wr_import_opts *o,
                  wr_import_stats *st, json_t **problems)
{
    wr_err err = {0};
    int rc = wr_inventory_import_buffer(s, name, text, strlen(text), o, st, problems, &err);
    if (rc)
        fprintf(stderr, "(import %s: %s)\n", name, err.msg);
    return rc;
}

static const char *problem(json_t *problems, size_t i, const char *field)
{
    return json_string_value(json_object_get(json_array_get(problems, i), field));
}

TEST(test_csv_idempotent_and_exact_differences)
{
    wr_store *s = inv_fixture_open("imp-csv");
    wr_import_stats st;
    const char *v1 = "id,kind,name,department,status\n"
                     "dan,human,Dan,sales,active\n"
                     "\"erin\",human,\"Lopez, Erin\",sales,active\n"
                     "frank,human,\"Frank \"\"F\"\" O\",it,leave\r\n";
    CHECK_OK(import(s, "people.csv", v1, &(wr_import_opts){.kind = "identities"}, &st, NULL));
    CHECK_EQ_INT(st.added, 3);
    long long ev = inv_events(s);
    CHECK_OK(import(s, "people.csv", v1, &(wr_import_opts){.kind = "identities"}, &st, NULL));
    CHECK_EQ_INT(st.added, 0);
    CHECK_EQ_INT(st.changed, 0);
    CHECK_EQ_INT(st.unchanged, 3);
    CHECK_EQ_INT(inv_events(s), ev);
    const char *v2 = "id,kind,name,department,status\n"
                     "dan,human,Dan,sales,terminated\n"
                     "erin,human,\"Lopez, Erin\",sales,active\n"
                     "frank,human,\"Frank \"\"F\"\" O\",it,leave\n"
                     "gina,human,Gina,legal,active\n";
    CHECK_OK(import(s, "people.csv", v2, &(wr_import_opts){.kind = "identities"}, &st, NULL));
    CHECK_EQ_INT(st.added, 1);
    CHECK_EQ_INT(st.changed, 1);
    CHECK_EQ_INT(st.unchanged, 2);
    CHECK_EQ_INT(inv_events(s), ev + 2);
    json_t *o = NULL;
    wr_err err = {0};
    CHECK_OK(wr_inventory_identity_get(s, "erin", &o, &err));
    CHECK_EQ_STR(json_string_value(json_object_get(o, "name")), "Lopez, Erin");
    json_decref(o);
    CHECK_OK(wr_inventory_identity_get(s, "frank", &o, &err));
    CHECK_EQ_STR(json_string_value(json_object_get(o, "name")), "Frank \"F\" O");
    json_decref(o);
    /* the journal holds the before and after of the change */
    wr_stmt *q;
    CHECK_OK(wr_stmt_prepare(s, "SELECT before, after FROM inventory_events WHERE object_id='dan' "
                             "AND change='changed'", &q, &err));
    CHECK_EQ_INT(wr_stmt_step(q, &err), 1);
    CHECK(strstr(wr_stmt_text(q, 0), "\"status\":\"active\"") != NULL);
    CHECK(strstr(wr_stmt_text(q, 1), "\"status\":\"terminated\"") != NULL);
    wr_stmt_done(q);
    /* a column the file lacks keeps its value; an empty cell clears it */
    CHECK_OK(import(s, "identities.csv", "id,department\ndan,\n", NULL, &st, NULL));
    CHECK_EQ_INT(st.changed, 1);
    CHECK_OK(wr_inventory_identity_get(s, "dan", &o, &err));
    CHECK(json_is_null(json_object_get(o, "department")));
    CHECK_EQ_STR(json_string_value(json_object_get(o, "status")), "terminated");
    CHECK_EQ_STR(json_string_value(json_object_get(o, "name")), "Dan");
    json_decref(o);
    wr_store_close(s);
}

TEST(test_csv_row_errors)
{
    wr_store *s = inv_fixture_open("imp-err");
    wr_import_stats st;
    json_t *p = NULL;
    char big[6000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char text[9000];
    snprintf(text, sizeof text,
             "id,system,login,identity,status,last_used_at\n"   /* 1 */
             "payroll:zed,payroll,zed,ghost,active,\n"          /* 2 unknown identity */
             "payroll:x1,payroll,x1,alice,sleeping,\n"          /* 3 bad enum */
             "payroll:x2,payroll,x2,alice,active,yesterday\n"   /* 4 bad time */
             "nosys:x3,nosys,x3,,active,\n"                     /* 5 unknown system */
             "payroll:ok,payroll,ok,alice,active,2025-01-01\n"  /* 6 fine */
             "payroll:ok,payroll,ok,alice,active,2025-01-01\n"  /* 7 duplicate */
             "payroll:x4,payroll,x4\n"                          /* 8 short row */
             "payroll:x5,payroll,x5,\xff\xfe,active,\n"         /* 9 not UTF-8 */
             "payroll:x6,payroll,x6,%s,active,\n"               /* 10 too long */
             "\"payroll:x7\",payroll,x7,\"multi\nline\",active,\n" /* 11-12 unknown identity */
             "payroll:x8,hr-portal,x8,,active,\n"               /* 13 id/system clash */
             ",payroll,,alice,active,\n",                       /* 14 no login */
             big);
    CHECK_OK(import(s, "acc.csv", text, &(wr_import_opts){.kind = "accounts"}, &st, &p));
    CHECK_EQ_INT(st.added, 1);
    CHECK_EQ_INT(st.rejected, 11);
    CHECK_EQ_INT(json_array_size(p), 11);
    static const char *const want[][2] = {
        {"acc.csv:2", "unknown identities 'ghost'"}, {"acc.csv:3", "sleeping"},
        {"acc.csv:4", "yesterday"}, {"acc.csv:5", "unknown systems 'nosys'"},
        {"acc.csv:7", "duplicate"}, {"acc.csv:8", "3 fields"}, {"acc.csv:9", "UTF-8"},
        {"acc.csv:10", "longer than 4096"}, {"acc.csv:11", "unknown identities"},
        {"acc.csv:13", "system"}, {"acc.csv:14", "missing"}};
    for (size_t i = 0; i < 11; i++) {
        CHECK_EQ_STR(problem(p, i, "where"), want[i][0]);
        const char *m = problem(p, i, "message");
        CHECK(m && strstr(m, want[i][1]) != NULL);
        if (!m || !strstr(m, want[i][1]))
            fprintf(stderr, "  problem %zu: %s\n", i, m ? m : "(none)");
    }
    json_decref(p);
    wr_store_close(s);
}

TEST(test_strict_is_all_or_nothing)
{
    wr_store *s = inv_fixture_open("imp-strict");
    char *before = inv_dump(s);
    long long ev = inv_events(s);
    wr_import_stats st;
    json_t *p = NULL;
    wr_err err = {0};
    const char *text = "id,kind\nnew1,human\nnew2,robot\nnew3,bot\n";
    int rc = wr_inventory_import_buffer(s, "identities.csv", text, strlen(text),
                                        &(wr_import_opts){.strict = 1}, &st, &p, &err);
    CHECK_EQ_INT(rc, WR_EINVAL);
    CHECK(strstr(err.msg, "strict") != NULL);
    CHECK_EQ_INT(st.rejected, 1);
    CHECK_EQ_INT(st.added, 0);
    CHECK_EQ_STR(problem(p, 0, "where"), "identities.csv:3");
    json_decref(p);
    char *after = inv_dump(s);
    CHECK_EQ_STR(after, before);
    CHECK_EQ_INT(inv_events(s), ev);
    free(after);
    /* without --strict the good rows go in */
    CHECK_OK(import(s, "identities.csv", text, NULL, &st, NULL));
    CHECK_EQ_INT(st.added, 2);
    free(before);
    wr_store_close(s);
}

TEST(test_full_snapshot_removes_absent)
{
    wr_store *s = inv_fixture_open("imp-full");
    wr_import_stats st;
    wr_import_opts o = {.source = "hr", .full = 1};
    CHECK_OK(import(s, "identities.csv", "id,department\nh1,it\nh2,it\nh3,it\n", &o, &st, NULL));
    CHECK_EQ_INT(st.added, 3);
    CHECK_EQ_INT(st.removed, 0);
    CHECK_OK(import(s, "identities.csv", "id,department\nh1,it\nh3,it\n", &o, &st, NULL));
    CHECK_EQ_INT(st.removed, 1);
    CHECK_EQ_INT(st.unchanged, 2);
    json_t *id = NULL;
    wr_err err = {0};
    CHECK_OK(wr_inventory_identity_get(s, "h2", &id, &err));
    CHECK_EQ_STR(json_string_value(json_object_get(id, "status")), "terminated");
    CHECK_EQ_STR(json_string_value(json_object_get(id, "terminated_at")), "2025-06-01T00:00:00Z");
    json_decref(id);
    /* objects of other sources are untouched */
    CHECK_OK(wr_inventory_identity_get(s, "alice", &id, &err));
    CHECK_EQ_STR(json_string_value(json_object_get(id, "status")), "active");
    json_decref(id);
    /* again: nothing more to remove */
    CHECK_OK(import(s, "identities.csv", "id,department\nh1,it\nh3,it\n", &o, &st, NULL));
    CHECK_EQ_INT(st.removed, 0);
    /* grants of a source */
    wr_import_opts g = {.source = "idp", .full = 1};
    CHECK_OK(import(s, "grants.csv", "account,entitlement\npayroll:alice,payroll:admin\n"
                                     "payroll:tmp,payroll:viewer\n", &g, &st, NULL));
    CHECK_EQ_INT(st.added, 2);
    CHECK_OK(import(s, "grants.csv", "account,entitlement\npayroll:tmp,payroll:viewer\n", &g, &st, NULL));
    CHECK_EQ_INT(st.removed, 1);
    json_t *op = inv_json("{\"op\":\"revoke\",\"account\":\"payroll:alice\",\"entitlement\":\"payroll:admin\"}");
    int m = 0;
    CHECK_OK(wr_inventory_op_readback(s, op, &m, &err));
    CHECK_EQ_INT(m, 1);
    json_decref(op);
    CHECK_EQ_INT(wr_inventory_import_buffer(s, "x.csv", "id\n", 3, &(wr_import_opts){.full = 1}, &st,
                                            NULL, &err), WR_EINVAL);
    wr_store_close(s);
}

TEST(test_json_paths_and_types)
{
    wr_store *s = inv_fixture_open("imp-json");
    wr_import_stats st;
    json_t *p = NULL;
    const char *text = "{\"identities\":[{\"id\":\"j1\",\"kind\":\"bot\",\"owner\":\"alice\"},"
                       "{\"id\":\"j2\",\"status\":5},\"nope\",{\"id\":\"j3\",\"created_at\":1700000000}],"
                       "\"accounts\":[{\"id\":\"payroll:j1\",\"identity\":\"j1\"},{\"id\":\"payroll:j9\",\"identity\":\"j9\"}]}";
    CHECK_OK(import(s, "in.json", text, NULL, &st, &p));
    CHECK_EQ_INT(st.added, 3);
    CHECK_EQ_INT(st.rejected, 3);
    CHECK_EQ_STR(problem(p, 0, "where"), "in.json: $.identities[1]");
    CHECK(strstr(problem(p, 0, "message"), "status") != NULL);
    CHECK_EQ_STR(problem(p, 1, "where"), "in.json: $.identities[2]");
    CHECK_EQ_STR(problem(p, 2, "where"), "in.json: $.accounts[1]");
    json_decref(p);
    json_t *o = NULL;
    wr_err err = {0};
    CHECK_OK(wr_inventory_identity_get(s, "j3", &o, &err));
    CHECK_EQ_STR(json_string_value(json_object_get(o, "created_at")), "2023-11-14T22:13:20Z");
    json_decref(o);
    /* an array of one kind, guessed from the keys */
    CHECK_OK(import(s, "more.json", "[{\"id\":\"payroll:ops\",\"privilege\":\"privileged\"}]", NULL, &st, NULL));
    CHECK_EQ_INT(st.added, 1);
    /* whole-file failures change nothing */
    CHECK_EQ_INT(wr_inventory_import_buffer(s, "bad.json", "{\"identities\":[", 15, NULL, &st, NULL, &err), WR_EINVAL);
    CHECK(strstr(err.msg, "bad.json:1:") != NULL);
    CHECK_EQ_INT(wr_inventory_import_buffer(s, "bad.json", "{\"planets\":[]}", 14, NULL, &st, NULL, &err), WR_EINVAL);
    CHECK_EQ_INT(wr_inventory_import_buffer(s, "x.csv", "", 0, NULL, &st, NULL, &err), WR_EINVAL);
    CHECK_EQ_INT(wr_inventory_import_buffer(s, "x.csv", "a,b\n1,2\n", 8, NULL, &st, NULL, &err), WR_EINVAL);
    CHECK(strstr(err.msg, "--kind") != NULL);
    wr_store_close(s);
}

TEST(test_scim_mapping)
{
    wr_store *s = inv_fixture_open("imp-scim");
    const char *text =
        "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"],\"totalResults\":4,"
        "\"Resources\":["
        "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"],\"id\":\"g1\",\"displayName\":\"Payroll Admins\","
        " \"members\":[{\"value\":\"u1\"},{\"value\":\"u2\"},{\"value\":\"u404\"}]},"
        "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\",\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"],"
        " \"id\":\"u1\",\"userName\":\"pat.lee\",\"name\":{\"givenName\":\"Pat\",\"familyName\":\"Lee\"},"
        " \"emails\":[{\"value\":\"old@x\"},{\"value\":\"pat@x\",\"primary\":true}],\"title\":\"Clerk\",\"active\":true,"
        " \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":{\"department\":\"finance\",\"manager\":{\"value\":\"u2\"}}},"
        "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"id\":\"u2\",\"userName\":\"sam.ray\","
        " \"displayName\":\"Sam Ray\",\"active\":false},"
        "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"id\":\"u3\"}]}";
    wr_import_stats st;
    json_t *p = NULL;
    CHECK_OK(import(s, "okta.json", text, &(wr_import_opts){.format = "scim", .system = "payroll"}, &st, &p));
    /* 2 identities + 2 accounts + 1 entitlement + 2 grants */
    CHECK_EQ_INT(st.added, 7);
    CHECK_EQ_INT(st.rejected, 2);
    CHECK_EQ_STR(problem(p, 0, "where"), "okta.json: $.Resources[3]");
    CHECK(strstr(problem(p, 0, "message"), "userName") != NULL);
    CHECK_EQ_STR(problem(p, 1, "where"), "okta.json: $.Resources[0].members[2]");
    json_decref(p);
    json_t *o = NULL;
    wr_err err = {0};
    CHECK_OK(wr_inventory_identity_get(s, "pat.lee", &o, &err));
    CHECK_EQ_STR(json_string_value(json_object_get(o, "name")), "Pat Lee");
    CHECK_EQ_STR(json_string_value(json_object_get(o, "email")), "pat@x");
    CHECK_EQ_STR(json_string_value(json_object_get(o, "department")), "finance");
    CHECK_EQ_STR(json_string_value(json_object_get(o, "manager")), "sam.ray");
    CHECK_EQ_STR(json_string_value(json_object_get(o, "status")), "active");
    json_decref(o);
    CHECK_OK(wr_inventory_identity_get(s, "sam.ray", &o, &err));
    CHECK_EQ_STR(json_string_value(json_object_get(o, "status")), "terminated");
    json_decref(o);
    json_t *op = inv_json("{\"op\":\"grant\",\"account\":\"payroll:pat.lee\",\"entitlement\":\"payroll:Payroll Admins\"}");
    int m = 0;
    CHECK_OK(wr_inventory_op_readback(s, op, &m, &err));
    CHECK_EQ_INT(m, 1);
    json_decref(op);
    /* same file again: nothing changes; groups without --system are refused */
    CHECK_OK(import(s, "okta.json", text, &(wr_import_opts){.format = "scim", .system = "payroll"}, &st, NULL));
    CHECK_EQ_INT(st.added + st.changed, 0);
    CHECK_OK(import(s, "okta.json", text, &(wr_import_opts){.format = "scim"}, &st, &p));
    CHECK(strstr(problem(p, 1, "message"), "--system") != NULL);
    json_decref(p);
    wr_store_close(s);
}

TEST(test_check_without_store)
{
    wr_import_stats st;
    wr_err err = {0};
    const char *text = "id,kind\na,human\nb,alien\n\"c\n";
    CHECK_OK(wr_inventory_import_check("identities.csv", text, strlen(text), NULL, &st, NULL, &err));
    CHECK_EQ_INT(st.added, 1);
    CHECK_EQ_INT(st.rejected, 2);
}

/* Every index of the inventory's tables with its definition, and whether
 * foreign keys are enforced: what a bulk load sets aside and must give
 * back (caller frees). */
static char *schema_state(wr_store *s)
{
    wr_buf b = WR_BUF_INIT;
    wr_stmt *st;
    wr_err err = {0};
    if (wr_stmt_prepare(s, "SELECT name||' '||tbl_name||' '||ifnull(sql,'(auto)') FROM sqlite_schema "
                        "WHERE type='index' ORDER BY name", &st, &err) == 0) {
        while (wr_stmt_step(st, &err) == 1)
            if (wr_buf_printf(&b, "%s\n", wr_stmt_text(st, 0)))
                break;
        wr_stmt_done(st);
    }
    if (wr_stmt_prepare(s, "SELECT foreign_keys, ignore_check_constraints FROM "
                        "pragma_foreign_keys, pragma_ignore_check_constraints", &st, &err) == 0) {
        if (wr_stmt_step(st, &err) == 1 &&
            wr_buf_printf(&b, "fk=%lld checks=%lld\n", (long long)wr_stmt_int(st, 0),
                          (long long)!wr_stmt_int(st, 1)))
            wr_buf_free(&b);
        wr_stmt_done(st);
    }
    return wr_buf_steal(&b);
}

/* The bulk path (first load into empty tables): repeated keys are still
 * reported at their line, the secondary indexes and foreign-key
 * enforcement are back afterwards, a strict bulk load that fails leaves
 * the tables and their indexes exactly as before, and the next import is
 * incremental. */
TEST(test_bulk_load_reports_restores_and_rolls_back)
{
    setenv("WARRANT_NOW", "2025-06-01T00:00:00Z", 1);
    wr_store *s = NULL;
    wr_err err = {0};
    CHECK_OK(wr_store_open(test_tmpdir("imp-bulk"), WR_STORE_CREATE, &s, &err));
    char *schema0 = schema_state(s);
    CHECK(strstr(schema0, "accounts_identity accounts CREATE INDEX") != NULL);
    CHECK(strstr(schema0, "fk=1 checks=1") != NULL);
    wr_import_stats st;
    json_t *p = NULL;
    /* SQLite's CHECKs are off during a first load: the importer's own
     * validation turns a bad value away */
    CHECK_OK(import(s, "identities.csv", "id,kind,owner\nann,human,\nbo,bot,ann\ncy,human,\n"
                    "dee,robot,\nann,bot,\n", NULL, &st, &p));
    CHECK_EQ_INT(st.added, 3);
    CHECK_EQ_STR(problem(p, 0, "where"), "identities.csv:5");
    /* identities' id index is set aside too (schema step 4): the map
     * turns the repeat away at its line, and the first row stays */
    CHECK_EQ_STR(problem(p, 1, "where"), "identities.csv:6");
    CHECK(strstr(problem(p, 1, "message"), "duplicate id 'ann'") != NULL);
    json_decref(p);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM identities WHERE id='ann' AND kind='human'"), 1);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM identities WHERE kind NOT IN "
                               "('human','bot')"), 0);
    CHECK_OK(import(s, "systems.csv", "id,domain\npay,fin\nhr,people\n", NULL, &st, NULL));
    CHECK_OK(import(s, "entitlements.csv", "id,privilege\npay:view,low\npay:admin,admin\nhr:emp,\n",
                    NULL, &st, NULL));
    CHECK_EQ_INT(st.added, 3);
    /* accounts: a repeated id (line 4), an unknown identity (line 5) */
    CHECK_OK(import(s, "accounts.csv", "id,identity\npay:ann,ann\npay:bo,bo\npay:ann,bo\n"
                    "pay:zz,ghost\nhr:ann,ann\n", NULL, &st, &p));
    CHECK_EQ_INT(st.added, 3);
    CHECK_EQ_INT(st.rejected, 2);
    CHECK_EQ_STR(problem(p, 0, "where"), "accounts.csv:4");
    CHECK(strstr(problem(p, 0, "message"), "duplicate id 'pay:ann'") != NULL);
    CHECK_EQ_STR(problem(p, 1, "where"), "accounts.csv:5");
    json_decref(p);
    /* the first of the repeated rows is the one kept; rids follow the file */
    CHECK_EQ_INT(inv_count(s, "SELECT identity_rid FROM accounts WHERE id='pay:ann'"),
                 inv_count(s, "SELECT rid FROM identities WHERE id='ann'"));
    CHECK_EQ_INT(inv_count(s, "SELECT group_concat(rid) = '1,2,3' FROM "
                               "(SELECT rid FROM accounts ORDER BY rid)"), 1);
    char *schema1 = schema_state(s);
    CHECK_EQ_STR(schema1, schema0);
    free(schema1);
    /* the rebuilt indexes answer queries */
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM accounts INDEXED BY accounts_identity "
                               "WHERE identity_rid=(SELECT rid FROM identities WHERE id='ann')"), 2);
    CHECK_EQ_INT(inv_integrity_errors(s), 0);

    /* grants, strict, with one bad row: nothing of it stays */
    char *before = inv_dump(s);
    long long ev = inv_events(s);
    const char *g = "account,entitlement,granted_at\npay:ann,pay:view,2025-01-01\n"
                    "pay:bo,pay:admin,2025-01-02\nhr:ann,pay:view,\n";
    int rc = wr_inventory_import_buffer(s, "grants.csv", g, strlen(g),
                                        &(wr_import_opts){.strict = 1}, &st, &p, &err);
    CHECK_EQ_INT(rc, WR_EINVAL);
    CHECK_EQ_INT(st.added, 0);
    CHECK_EQ_STR(problem(p, 0, "where"), "grants.csv:4");
    json_decref(p);
    char *after = inv_dump(s);
    CHECK_EQ_STR(after, before);
    free(after);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM grants"), 0);
    CHECK_EQ_INT(inv_events(s), ev);
    schema1 = schema_state(s);
    CHECK_EQ_STR(schema1, schema0);
    free(schema1);

    /* grants, not strict, with a repeated pair (line 4) */
    g = "account,entitlement,granted_at\npay:ann,pay:view,2025-01-01\n"
        "pay:bo,pay:admin,2025-01-02\npay:ann,pay:view,2025-03-03\nhr:ann,hr:emp,\n";
    CHECK_OK(import(s, "grants.csv", g, NULL, &st, &p));
    CHECK_EQ_INT(st.added, 3);
    CHECK_EQ_INT(st.rejected, 1);
    CHECK_EQ_STR(problem(p, 0, "where"), "grants.csv:4");
    CHECK(strstr(problem(p, 0, "message"), "duplicate grant 'pay:ann' / 'pay:view'") != NULL);
    json_decref(p);
    CHECK_EQ_INT(inv_count(s, "SELECT granted_at FROM grants WHERE account_rid=1 AND entitlement_rid=1"),
                 1735689600);  /* 2025-01-01: the first row won */
    schema1 = schema_state(s);
    CHECK_EQ_STR(schema1, schema0);
    free(schema1);
    /* foreign keys are enforced again: deleting an entitlement cascades */
    CHECK_OK(wr_store_exec(s, "DELETE FROM entitlements WHERE id='hr:emp'", &err));
    /* and CHECKs too */
    CHECK(wr_store_exec(s, "UPDATE identities SET kind='robot' WHERE id='ann'", &err) != WR_OK);
    CHECK(strstr(err.msg, "CHECK constraint failed") != NULL);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM grants"), 2);

    /* the next import is incremental: per-row differences, journalled */
    ev = inv_events(s);
    g = "account,entitlement,granted_at\npay:ann,pay:view,2025-01-01\n"
        "pay:bo,pay:admin,2025-02-02\npay:bo,pay:view,\n";
    CHECK_OK(import(s, "grants.csv", g, NULL, &st, NULL));
    CHECK_EQ_INT(st.unchanged, 1);
    CHECK_EQ_INT(st.changed, 1);
    CHECK_EQ_INT(st.added, 1);
    CHECK_EQ_INT(inv_events(s), ev + 2);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM inventory_events WHERE object_id='pay:bo|pay:admin' "
                               "AND change='changed'"), 1);
    /* and a repeated key in a non-empty table is reported the same way */
    CHECK_OK(import(s, "accounts.csv", "id\npay:new\npay:new\n", NULL, &st, &p));
    CHECK_EQ_INT(st.added, 1);
    CHECK_EQ_STR(problem(p, 0, "where"), "accounts.csv:3");
    json_decref(p);
    schema1 = schema_state(s);
    CHECK_EQ_STR(schema1, schema0);
    free(schema1);
    free(before);
    free(schema0);
    wr_store_close(s);
}

/* bulkidx: the indexes set aside come back from their stored definitions
 * (a rebuild sorts in small runs on temporary files), and the connection's
 * page cache size is what it was before. */
TEST(test_bulkidx_rebuild_restores_indexes_and_settings)
{
    wr_store *s = NULL;
    wr_err err = {0};
    CHECK_OK(wr_store_open(test_tmpdir("bulkidx"), WR_STORE_CREATE, &s, &err));
    CHECK_OK(import(s, "identities.csv", "id,kind,owner,department\nann,human,,fin\n"
                    "bo,bot,ann,it\ncy,human,,fin\n", NULL, NULL, NULL));
    CHECK_OK(wr_store_exec(s, "PRAGMA cache_size=-12345", &err));
    CHECK_EQ_INT(inv_count(s, "PRAGMA temp_store"), 0);   /* the default: files */
    CHECK_OK(wr_store_begin(s, &err));
    char *saved = NULL;
    CHECK_OK(inv_bulkidx_drop(s, "identities", &saved, &err));
    CHECK(saved != NULL);
    CHECK(strstr(saved, "CREATE UNIQUE INDEX identities_id") != NULL);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM sqlite_schema WHERE tbl_name='identities' "
                              "AND type='index' AND sql IS NOT NULL"), 0);
    CHECK_OK(inv_bulkidx_restore(s, &saved, &err));
    CHECK(saved == NULL);
    CHECK_OK(wr_store_commit(s, &err));
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM sqlite_schema WHERE tbl_name='identities' "
                              "AND type='index' AND sql IS NOT NULL"), 3);
    CHECK_EQ_INT(inv_count(s, "PRAGMA cache_size"), -12345);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM identities INDEXED BY identities_owner "
                              "WHERE owner='ann'"), 1);
    CHECK_EQ_INT(inv_integrity_errors(s), 0);
    /* nothing saved: nothing to do */
    CHECK_OK(inv_bulkidx_restore(s, &saved, &err));
    wr_store_close(s);
}

RUN_TESTS(T(test_csv_idempotent_and_exact_differences), T(test_csv_row_errors),
          T(test_strict_is_all_or_nothing), T(test_full_snapshot_removes_absent),
          T(test_json_paths_and_types), T(test_scim_mapping), T(test_check_without_store),
          T(test_bulk_load_reports_restores_and_rolls_back),
          T(test_bulkidx_rebuild_restores_indexes_and_settings))
