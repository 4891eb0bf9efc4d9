/*
 * test_inventory_readiness.c — the readiness metrics against the ground
 * truth planted by the synthetic enterprise generator, overall and per
 * system; the offenders lists against the counts; the per-system cache
 * after changes; snapshots; the cedar percentages' rounding.
 */
#include "inv_fixture.h"

static const char *const files[] = {"identities.csv", "systems.csv", "entitlements.csv",
                                    "accounts.csv", "grants.csv", "credentials.csv", "roles.csv"};

static wr_store *generated(const char *tag, uint64_t n, uint64_t seed, json_t **truth)
{
    setenv("WARRANT_NOW", "2025-06-01T00:00:00Z", 1);
    char dir[4200], path[4400];
    snprintf(dir, sizeof dir, "%s", test_tmpdir(tag));
    wr_err err = {0};
    snprintf(path, sizeof path, "%s/gen", dir);
    CHECK_OK(wr_inventory_generate(path, n, seed, truth, &err));
    wr_store *s = NULL;
    snprintf(path, sizeof path, "%s/data", dir);
    CHECK_OK(wr_store_open(path, WR_STORE_CREATE, &s, &err));
    for (size_t i = 0; i < 7; i++) {
        wr_import_stats st;
        snprintf(path, sizeof path, "%s/gen/%s", dir, files[i]);
        CHECK_OK(wr_inventory_import_file(s, path, NULL, &st, NULL, &err));
        CHECK_EQ_INT(st.rejected, 0);
    }
    return s;
}

static long long get(const json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

static void check_counts(const json_t *m, const json_t *t)
{
    CHECK_EQ_INT(get(m, "accounts"), get(t, "accounts"));
    CHECK_EQ_INT(get(m, "active_accounts"), get(t, "active_accounts"));
    CHECK_EQ_INT(get(m, "orphaned_accounts"), get(t, "orphaned_accounts"));
    CHECK_EQ_INT(get(m, "dormant_accounts"), get(t, "dormant_accounts"));
    CHECK_EQ_INT(get(m, "grants"), get(t, "grants"));
    CHECK_EQ_INT(get(m, "accurate_grants"), get(t, "accurate_grants"));
    CHECK_EQ_INT(get(m, "excessive_grants"), get(t, "excessive_grants"));
}

static size_t offenders(wr_store *s, const char *metric, const char *kind, const char *scope)
{
    json_t *o = NULL;
    wr_err err = {0};
    CHECK_OK(wr_readiness_offenders(s, metric, kind, scope, 1000000, &o, &err));
    size_t n = json_array_size(o);
    json_decref(o);
    return n;
}

TEST(test_metrics_match_ground_truth)
{
    json_t *truth = NULL, *m = NULL;
    wr_store *s = generated("rd-truth", 600, 42, &truth);
    wr_err err = {0};
    CHECK_OK(wr_readiness_compute(s, "overall", NULL, &m, &err));
    check_counts(m, truth);
    CHECK_EQ_INT(get(m, "owned"), get(truth, "owned_accounts") + get(truth, "nhi_owned"));
    CHECK_EQ_INT(get(m, "ownable"), get(truth, "active_accounts") + get(truth, "nhi"));
    CHECK_EQ_INT(get(m, "nhi"), get(truth, "nhi"));
    CHECK_EQ_INT(get(m, "nhi_without_owner"), get(truth, "nhi_without_owner"));
    CHECK_EQ_INT(get(m, "credentials"), get(truth, "credentials"));
    CHECK_EQ_INT(get(m, "secrets_outside_vault"), get(truth, "secrets_outside_vault"));
    CHECK_EQ_INT(get(m, "stale_secrets"), get(truth, "stale_secrets"));
    /* something was planted of every kind */
    CHECK(get(truth, "orphaned_accounts") > 0 && get(truth, "dormant_accounts") > 0);
    CHECK(get(truth, "excessive_grants") > 0 && get(truth, "nhi_without_owner") > 0);
    CHECK(get(truth, "stale_secrets") > 0 && get(truth, "secrets_outside_vault") > 0);
    /* the cedar view rounds against the gate */
    json_t *c = json_object_get(m, "cedar");
    long long owned = get(m, "owned"), ownable = get(m, "ownable");
    CHECK_EQ_INT(get(c, "ownership_completeness"), 100 * owned / ownable);
    long long orph = get(m, "orphaned_accounts"), act = get(m, "active_accounts");
    CHECK_EQ_INT(get(c, "orphan_rate"), (100 * orph + act - 1) / act);
    CHECK(100.0 * json_real_value(json_object_get(m, "orphan_rate")) <= (double)get(c, "orphan_rate"));
    CHECK(100.0 * json_real_value(json_object_get(m, "entitlement_accuracy")) >=
          (double)get(c, "entitlement_accuracy"));
    /* offenders list exactly the counted records */
    CHECK_EQ_INT(offenders(s, "orphan_rate", "overall", NULL), get(m, "orphaned_accounts"));
    CHECK_EQ_INT(offenders(s, "dormant_rate", "overall", NULL), get(m, "dormant_accounts"));
    CHECK_EQ_INT(offenders(s, "entitlement_accuracy", "overall", NULL), get(m, "grants") - get(m, "accurate_grants"));
    CHECK_EQ_INT(offenders(s, "excessive_privilege_rate", "overall", NULL), get(m, "excessive_grants"));
    CHECK_EQ_INT(offenders(s, "nhi_without_owner", "overall", NULL), get(m, "nhi_without_owner"));
    CHECK_EQ_INT(offenders(s, "secrets_outside_vault", "overall", NULL), get(m, "secrets_outside_vault"));
    CHECK_EQ_INT(offenders(s, "stale_secrets", "overall", NULL), get(m, "stale_secrets"));
    CHECK_EQ_INT(offenders(s, "ownership_completeness", "overall", NULL), ownable - owned);
    json_decref(m);
    /* per system */
    const char *key;
    json_t *t;
    int systems = 0;
    json_object_foreach(json_object_get(truth, "systems"), key, t) {
        CHECK_OK(wr_readiness_compute(s, "system", key, &m, &err));
        check_counts(m, t);
        CHECK_EQ_INT(offenders(s, "excessive_privilege_rate", "system", key), get(m, "excessive_grants"));
        CHECK_EQ_INT(offenders(s, "nhi_without_owner", "system", key), get(m, "nhi_without_owner"));
        json_decref(m);
        systems++;
    }
    CHECK_EQ_INT(systems, 12);
    /* a domain is the sum of its systems */
    json_t *fin = NULL, *pay = NULL, *net = NULL;
    CHECK_OK(wr_readiness_compute(s, "domain", "finance", &fin, &err));
    CHECK_OK(wr_readiness_compute(s, "system", "payroll", &pay, &err));
    CHECK_OK(wr_readiness_compute(s, "system", "netsuite", &net, &err));
    CHECK_EQ_INT(get(fin, "grants"), get(pay, "grants") + get(net, "grants"));
    CHECK_EQ_INT(get(fin, "orphaned_accounts"), get(pay, "orphaned_accounts") + get(net, "orphaned_accounts"));
    CHECK_EQ_INT(offenders(s, "dormant_rate", "domain", "finance"), get(fin, "dormant_accounts"));
    json_decref(fin);
    json_decref(pay);
    json_decref(net);
    CHECK_EQ_INT(wr_readiness_compute(s, "system", "nope", &m, &err), WR_ENOTFOUND);
    CHECK_EQ_INT(wr_readiness_compute(s, "galaxy", "x", &m, &err), WR_EINVAL);
    CHECK_EQ_INT(wr_readiness_offenders(s, "happiness", "overall", NULL, 0, &m, &err), WR_EINVAL);
    json_decref(truth);
    wr_store_close(s);
}

TEST(test_generator_is_deterministic_and_has_demo_ids)
{
    setenv("WARRANT_NOW", "2025-06-01T00:00:00Z", 1);
    char a[4200], b[4200];
    snprintf(a, sizeof a, "%s", test_tmpdir("rd-gen-a"));
    snprintf(b, sizeof b, "%s", test_tmpdir("rd-gen-b"));
    wr_err err = {0};
    CHECK_OK(wr_inventory_generate(a, 300, 9, NULL, &err));
    CHECK_OK(wr_inventory_generate(b, 300, 9, NULL, &err));
    for (size_t i = 0; i < 7; i++) {
        char pa[4400], pb[4400], *da = NULL, *db = NULL;
        size_t la = 0, lb = 0;
        snprintf(pa, sizeof pa, "%s/%s", a, files[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, files[i]);
        CHECK_OK(wr_file_read(pa, 1 << 26, &da, &la, &err));
        CHECK_OK(wr_file_read(pb, 1 << 26, &db, &lb, &err));
        CHECK(la == lb && da && db && memcmp(da, db, la) == 0);
        if (i == 0) {
            CHECK(strstr(da, "\nalice.nguyen,human,Alice Nguyen,") != NULL);
            CHECK(strstr(da, "\nmallory.reed,human,") != NULL);
            CHECK(strstr(da, "\nsvc-payroll-sync,service_account,") != NULL);
        }
        if (i == 1)
            CHECK(strstr(da, "\npayroll,Payroll,finance,alice.nguyen,") != NULL);
        free(da);
        free(db);
    }
    CHECK_EQ_INT(wr_inventory_generate(a, 3, 9, NULL, &err), WR_EINVAL);
}

TEST(test_cache_follows_changes_and_snapshots)
{
    wr_store *s = inv_fixture_open("rd-cache");
    wr_err err = {0};
    json_t *m = NULL, *res = NULL;
    CHECK_OK(wr_readiness_compute(s, "system", "payroll", &m, &err));
    /* fixture: 4 active payroll accounts; bob is terminated, tmp has no identity */
    CHECK_EQ_INT(get(m, "active_accounts"), 4);
    CHECK_EQ_INT(get(m, "orphaned_accounts"), 2);
    /* svc-sync last used 2024-01-01, tmp never used since 2020: dormant */
    CHECK_EQ_INT(get(m, "dormant_accounts"), 2);
    CHECK_EQ_INT(get(m, "grants"), 3);
    /* alice viewer: role model; svc admin: certified; bob viewer: role (finance) */
    CHECK_EQ_INT(get(m, "accurate_grants"), 3);
    /* bob's grant unused since 2020; svc-sync holds admin */
    CHECK_EQ_INT(get(m, "excessive_grants"), 2);
    CHECK_EQ_INT(get(m, "nhi"), 1);
    CHECK_EQ_INT(get(m, "nhi_without_owner"), 0);
    json_decref(m);
    CHECK_OK(wr_readiness_compute(s, "overall", NULL, &m, &err));
    CHECK_EQ_INT(get(m, "nhi"), 2);
    CHECK_EQ_INT(get(m, "nhi_without_owner"), 1);
    CHECK_EQ_INT(get(m, "secrets_outside_vault"), 1);
    CHECK_EQ_INT(get(m, "stale_secrets"), 1);
    json_decref(m);
    CHECK_OK(wr_readiness_snapshot(s, &err));
    /* an operation invalidates the cached counters of its system */
    json_t *op = inv_json("{\"op\":\"disable\",\"account\":\"payroll:bob\"}");
    CHECK_OK(wr_inventory_op_apply(s, op, "t", &res, &err));
    json_decref(res);
    json_decref(op);
    CHECK_OK(wr_readiness_compute(s, "system", "payroll", &m, &err));
    CHECK_EQ_INT(get(m, "orphaned_accounts"), 1);
    json_decref(m);
    /* so does an import that terminates alice */
    wr_import_stats st;
    const char *t = "id,status\nalice,terminated\n";
    CHECK_OK(wr_inventory_import_buffer(s, "identities.csv", t, strlen(t), NULL, &st, NULL, &err));
    CHECK_OK(wr_readiness_compute(s, "system", "payroll", &m, &err));
    CHECK_EQ_INT(get(m, "orphaned_accounts"), 2);
    /* svc-sync's owner is no longer active */
    CHECK_EQ_INT(get(m, "nhi_without_owner"), 1);
    json_decref(m);
    /* and time: in a year everything is dormant */
    setenv("WARRANT_NOW", "2026-06-01T00:00:00Z", 1);
    CHECK_OK(wr_readiness_compute(s, "system", "payroll", &m, &err));
    CHECK_EQ_INT(get(m, "dormant_accounts"), 3);
    json_decref(m);
    CHECK_OK(wr_readiness_snapshot(s, &err));
    json_t *h = NULL;
    CHECK_OK(wr_readiness_history(s, "system", "payroll", 0, &h, &err));
    CHECK_EQ_INT(json_array_size(h), 2);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(h, 0), "taken_at")), "2025-06-01T00:00:00Z");
    CHECK_EQ_INT(get(json_object_get(json_array_get(h, 0), "metrics"), "orphaned_accounts"), 2);
    CHECK_EQ_INT(get(json_object_get(json_array_get(h, 1), "metrics"), "orphaned_accounts"), 2);
    json_decref(h);
    CHECK_OK(wr_readiness_history(s, "domain", "hr", 0, &h, &err));
    CHECK_EQ_INT(json_array_size(h), 2);
    json_decref(h);
    CHECK_OK(wr_readiness_compute_all(s, &m, &err));
    CHECK(json_object_get(json_object_get(m, "systems"), "hr-portal") != NULL);
    CHECK(json_object_get(json_object_get(m, "domains"), "finance") != NULL);
    json_decref(m);
    wr_store_close(s);
}

/* Every scope's metrics as text, without the computation time. */
static char *all_text(wr_store *s)
{
    json_t *m = NULL;
    wr_err err = {0};
    CHECK_OK(wr_readiness_compute_all(s, &m, &err));
    char *t = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(m);
    return t;
}

static void op(wr_store *s, const char *text)
{
    json_t *o = inv_json(text), *res = NULL;
    wr_err err = {0};
    CHECK_OK(wr_inventory_op_apply(s, o, "t", &res, &err));
    json_decref(res);
    json_decref(o);
}

static void imp(wr_store *s, const char *name, const char *text, const wr_import_opts *o)
{
    wr_import_stats st;
    wr_err err = {0};
    CHECK_OK(wr_inventory_import_buffer(s, name, text, strlen(text), o, &st, NULL, &err));
    CHECK_EQ_INT(st.rejected, 0);
}

/* Cached counters adjusted by small imports and operations (delta
 * updates) equal a recount from scratch, in every scope. */
TEST(test_delta_updates_equal_a_recount)
{
    json_t *truth = NULL;
    wr_store *s = generated("rd-delta", 600, 7, &truth);
    json_decref(truth);
    wr_err err = {0};
    free(all_text(s));  /* every system cached */
    /* accounts: disable, re-enable, change holder and use; grants:
     * certify, use, add; operations of every counted kind */
    imp(s, "accounts.csv", "id,status,last_used_at\npayroll:alice.nguyen,disabled,\n"
                           "payroll:mallory.reed,active,2025-05-30T00:00:00Z\n", NULL);
    imp(s, "accounts.csv", "id,identity\npayroll:svc-payroll-sync,alice.nguyen\n", NULL);
    imp(s, "accounts.csv", "id,system,login,identity,created_at\n"
                           "payroll:newbie,payroll,newbie,,2025-05-01\n", NULL);
    imp(s, "grants.csv", "account,entitlement,certified_at,last_used_at\n"
                         "payroll:svc-payroll-sync,payroll:admin,2025-05-30T00:00:00Z,2024-01-01\n"
                         "payroll:newbie,payroll:viewer,,\n", NULL);
    op(s, "{\"op\":\"revoke\",\"account\":\"payroll:mallory.reed\",\"entitlement\":\"payroll:viewer\"}");
    op(s, "{\"op\":\"grant\",\"account\":\"payroll:newbie\",\"entitlement\":\"payroll:admin\"}");
    op(s, "{\"op\":\"disable\",\"account\":\"payroll:newbie\"}");
    op(s, "{\"op\":\"enable\",\"account\":\"payroll:alice.nguyen\"}");
    op(s, "{\"op\":\"transfer_ownership\",\"object\":\"identity:svc-payroll-sync\",\"to\":null}");
    /* a full snapshot of a source removes (disables, deletes) */
    wr_import_opts full = {.source = "hr", .full = 1};
    imp(s, "accounts.csv", "id,system,login,identity\npayroll:hr1,payroll,hr1,alice.nguyen\n"
                           "payroll:hr2,payroll,hr2,\n", &full);
    imp(s, "grants.csv", "account,entitlement\npayroll:hr1,payroll:viewer\npayroll:hr2,payroll:viewer\n",
        &full);
    imp(s, "grants.csv", "account,entitlement\npayroll:hr1,payroll:viewer\n", &full);
    imp(s, "accounts.csv", "id,system,login\npayroll:hr1,payroll,hr1\n", &full);
    char *warm = all_text(s);
    CHECK_OK(wr_store_exec(s, "DELETE FROM readiness_cache; DELETE FROM readiness_nhi_cache", &err));
    char *cold = all_text(s);
    CHECK(warm && cold && strcmp(warm, cold) == 0);
    if (warm && cold && strcmp(warm, cold) != 0)
        fprintf(stderr, "warm: %s\ncold: %s\n", warm, cold);
    free(warm);
    free(cold);
    wr_store_close(s);
}

/* A first load into an empty table journals one event per kind and file
 * (row count and the file's SHA-256), and still turns repeated keys away. */
TEST(test_bulk_first_load)
{
    setenv("WARRANT_NOW", "2025-06-01T00:00:00Z", 1);
    wr_store *s = NULL;
    wr_err err = {0};
    CHECK_OK(wr_store_open(test_tmpdir("rd-bulk"), WR_STORE_CREATE, &s, &err));
    const char *t = "id,kind,status\nann,human,active\nbo,bot,active\nann,human,leave\n";
    wr_import_stats st;
    json_t *p = NULL;
    CHECK_OK(wr_inventory_import_buffer(s, "identities.csv", t, strlen(t), NULL, &st, &p, &err));
    CHECK_EQ_INT(st.added, 2);
    CHECK_EQ_INT(st.rejected, 1);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(p, 0), "where")), "identities.csv:4");
    json_decref(p);
    CHECK_EQ_INT(inv_events(s), 1);
    char digest[72];
    wr_digest_string(t, strlen(t), digest);
    wr_stmt *q;
    CHECK_OK(wr_stmt_prepare(s, "SELECT object_kind, object_id, change, after FROM inventory_events",
                             &q, &err));
    CHECK_EQ_INT(wr_stmt_step(q, &err), 1);
    CHECK_EQ_STR(wr_stmt_text(q, 0), "identity");
    CHECK_EQ_STR(wr_stmt_text(q, 1), "*");
    CHECK_EQ_STR(wr_stmt_text(q, 2), "added");
    CHECK(strstr(wr_stmt_text(q, 3), digest + 7) != NULL);
    CHECK(strstr(wr_stmt_text(q, 3), "\"rows\":2") != NULL);
    wr_stmt_done(q);
    json_t *o = NULL;
    CHECK_OK(wr_inventory_identity_get(s, "ann", &o, &err));
    CHECK_EQ_STR(json_string_value(json_object_get(o, "status")), "active");
    json_decref(o);
    /* the table is no longer empty: a second file is journalled per row */
    t = "id,kind\ncy,human\n";
    CHECK_OK(wr_inventory_import_buffer(s, "identities.csv", t, strlen(t), NULL, &st, NULL, &err));
    CHECK_EQ_INT(inv_events(s), 2);
    json_t *m = NULL;
    CHECK_OK(wr_readiness_compute(s, "overall", NULL, &m, &err));
    CHECK_EQ_INT(get(m, "nhi"), 1);
    json_decref(m);
    wr_store_close(s);
}

RUN_TESTS(T(test_metrics_match_ground_truth), T(test_generator_is_deterministic_and_has_demo_ids),
          T(test_cache_follows_changes_and_snapshots), T(test_delta_updates_equal_a_recount),
          T(test_bulk_first_load))
