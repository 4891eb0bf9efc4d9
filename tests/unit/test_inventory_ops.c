/*
 * test_inventory_ops.c — governed operations on the built-in inventory:
 * check, inverse, apply, readback, and that applying an operation and then
 * its inverse leaves every table exactly as it was.  Also the lookups and
 * the copy into a sandbox store.
 */
#include "inv_fixture.h"

/* Applies op, then its inverse (computed before), and checks the state is
 * back to the start; returns the first result's "changed". */
static int roundtrip(wr_store *s, const char *optext, int want_changed)
{
    json_t *op = inv_json(optext), *inv = NULL, *res = NULL, *res2 = NULL;
    char *before = inv_dump(s), *sysid = NULL;
    int matches = -1, changed = -1;
    wr_err err = {0};
    CHECK_OK(wr_inventory_op_check(s, op, &sysid, &err));
    CHECK_OK(wr_inventory_op_inverse(s, op, &inv, &err));
    CHECK_OK(wr_inventory_op_apply(s, op, "tester", &res, &err));
    changed = json_is_true(json_object_get(res, "changed"));
    CHECK_EQ_INT(changed, want_changed);
    CHECK_OK(wr_inventory_op_readback(s, op, &matches, &err));
    CHECK_EQ_INT(matches, 1);
    char *mid = inv_dump(s);
    CHECK(want_changed ? strcmp(mid, before) != 0 : strcmp(mid, before) == 0);
    CHECK_OK(wr_inventory_op_apply(s, inv, "tester", &res2, &err));
    CHECK_OK(wr_inventory_op_readback(s, inv, &matches, &err));
    CHECK_EQ_INT(matches, 1);
    char *after = inv_dump(s);
    CHECK_EQ_STR(after, before);
    free(before);
    free(mid);
    free(after);
    free(sysid);
    json_decref(op);
    json_decref(inv);
    json_decref(res);
    json_decref(res2);
    return changed;
}

TEST(test_check_shapes_and_system)
{
    wr_store *s = inv_fixture_open("ops-check");
    wr_err err = {0};
    char *sys = NULL;
    json_t *op = inv_json("{\"op\":\"grant\",\"account\":\"payroll:alice\",\"entitlement\":\"payroll:admin\"}");
    CHECK_OK(wr_inventory_op_check(s, op, &sys, &err));
    CHECK_EQ_STR(sys, "payroll");
    free(sys);
    json_decref(op);
    static const struct { const char *op; int code; const char *msg; } bad[] = {
        {"{\"op\":\"grant\",\"account\":\"payroll:nobody\",\"entitlement\":\"payroll:admin\"}", WR_ENOTFOUND, "payroll:nobody"},
        {"{\"op\":\"grant\",\"account\":\"payroll:alice\",\"entitlement\":\"hr-portal:employee\"}", WR_EINVAL, "does not belong"},
        {"{\"op\":\"grant\",\"account\":\"payroll:alice\"}", WR_EINVAL, "op.entitlement: missing"},
        {"{\"op\":\"explode\"}", WR_EINVAL, "unknown operation"},
        {"{\"op\":\"disable\",\"account\":42}", WR_EINVAL, "op.account"},
        {"{\"op\":\"transfer_ownership\",\"object\":\"planet:x\",\"to\":\"alice\"}", WR_EINVAL, "op.object"},
        {"{\"op\":\"transfer_ownership\",\"object\":\"system:payroll\",\"to\":\"zed\"}", WR_ENOTFOUND, "zed"},
        {"{\"op\":\"rotate_credential\",\"credential\":\"nope\"}", WR_ENOTFOUND, "nope"},
        {"{\"op\":\"grant\",\"account\":\"payroll:alice\",\"entitlement\":\"payroll:admin\",\"expires_at\":\"soon\"}", WR_EINVAL, "expires_at"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        op = inv_json(bad[i].op);
        memset(&err, 0, sizeof err);
        sys = NULL;
        CHECK_EQ_INT(wr_inventory_op_check(s, op, &sys, &err), bad[i].code);
        CHECK(strstr(err.msg, bad[i].msg) != NULL);
        CHECK(sys == NULL);
        json_decref(op);
    }
    json_t *arr = json_array();
    CHECK_EQ_INT(wr_inventory_op_check(s, arr, NULL, &err), WR_EINVAL);
    json_decref(arr);
    /* an identity belongs to no system */
    op = inv_json("{\"op\":\"transfer_ownership\",\"object\":\"identity:svc-sync\",\"to\":\"carol\"}");
    sys = (char *)"x";
    CHECK_OK(wr_inventory_op_check(s, op, &sys, &err));
    CHECK(sys == NULL);
    json_decref(op);
    wr_store_close(s);
}

TEST(test_roundtrips)
{
    wr_store *s = inv_fixture_open("ops-roundtrip");
    long long ev0 = inv_events(s);
    roundtrip(s, "{\"op\":\"grant\",\"account\":\"payroll:alice\",\"entitlement\":\"payroll:admin\","
                 "\"expires_at\":\"2025-07-01T00:00:00Z\"}", 1);
    roundtrip(s, "{\"op\":\"revoke\",\"account\":\"payroll:alice\",\"entitlement\":\"payroll:viewer\"}", 1);
    roundtrip(s, "{\"op\":\"grant\",\"account\":\"payroll:alice\",\"entitlement\":\"payroll:viewer\"}", 1);
    roundtrip(s, "{\"op\":\"grant\",\"account\":\"payroll:alice\",\"entitlement\":\"payroll:viewer\","
                 "\"expires_at\":\"2025-05-15T00:00:00Z\"}", 0);
    roundtrip(s, "{\"op\":\"revoke\",\"account\":\"payroll:alice\",\"entitlement\":\"payroll:admin\"}", 0);
    roundtrip(s, "{\"op\":\"disable\",\"account\":\"payroll:bob\"}", 1);
    roundtrip(s, "{\"op\":\"disable\",\"account\":\"hr-portal:carol\"}", 0);
    roundtrip(s, "{\"op\":\"enable\",\"account\":\"hr-portal:carol\"}", 1);
    roundtrip(s, "{\"op\":\"transfer_ownership\",\"object\":\"system:payroll\",\"to\":\"carol\"}", 1);
    roundtrip(s, "{\"op\":\"transfer_ownership\",\"object\":\"identity:bot-x\",\"to\":\"alice\"}", 1);
    roundtrip(s, "{\"op\":\"transfer_ownership\",\"object\":\"entitlement:payroll:admin\",\"to\":\"alice\"}", 1);
    roundtrip(s, "{\"op\":\"transfer_ownership\",\"object\":\"system:payroll\",\"to\":\"alice\"}", 0);
    /* every change was journalled (two per changing roundtrip) */
    CHECK_EQ_INT(inv_events(s) - ev0, 2 * 8);
    wr_store_close(s);
}

TEST(test_revoke_inverse_restores_metadata)
{
    wr_store *s = inv_fixture_open("ops-revoke");
    wr_err err = {0};
    json_t *op = inv_json("{\"op\":\"revoke\",\"account\":\"payroll:alice\",\"entitlement\":\"payroll:viewer\"}");
    json_t *inv = NULL;
    CHECK_OK(wr_inventory_op_inverse(s, op, &inv, &err));
    CHECK_EQ_STR(json_string_value(json_object_get(inv, "op")), "grant");
    CHECK_EQ_STR(json_string_value(json_object_get(inv, "granted_by")), "carol");
    CHECK_EQ_STR(json_string_value(json_object_get(inv, "granted_at")), "2024-01-01T00:00:00Z");
    CHECK_EQ_STR(json_string_value(json_object_get(inv, "expires_at")), "2025-05-15T00:00:00Z");
    json_t *res = NULL;
    CHECK_OK(wr_inventory_op_apply(s, op, "tester", &res, &err));
    json_decref(res);
    /* revoking what is gone: changed:false, not an error */
    CHECK_OK(wr_inventory_op_apply(s, op, "tester", &res, &err));
    CHECK(json_is_false(json_object_get(res, "changed")));
    json_decref(res);
    json_decref(op);
    json_decref(inv);
    wr_store_close(s);
}

TEST(test_rotate_is_irreversible)
{
    wr_store *s = inv_fixture_open("ops-rotate");
    wr_err err = {0};
    json_t *op = inv_json("{\"op\":\"rotate_credential\",\"credential\":\"cred-sync\"}"), *inv = NULL, *res = NULL;
    CHECK_OK(wr_inventory_op_inverse(s, op, &inv, &err));
    CHECK(json_is_true(json_object_get(inv, "irreversible")));
    CHECK_EQ_STR(json_string_value(json_object_get(inv, "rotated_at")), "2025-05-01T00:00:00Z");
    CHECK_OK(wr_inventory_op_apply(s, op, "tester", &res, &err));
    CHECK(json_is_true(json_object_get(res, "changed")));
    json_decref(res);
    int m = 0;
    CHECK_OK(wr_inventory_op_readback(s, op, &m, &err));
    CHECK_EQ_INT(m, 1);
    char *before = inv_dump(s);
    CHECK_OK(wr_inventory_op_apply(s, inv, "tester", &res, &err));
    CHECK(json_is_false(json_object_get(res, "changed")));
    CHECK(strstr(json_string_value(json_object_get(res, "detail")), "irreversible") != NULL);
    char *after = inv_dump(s);
    CHECK_EQ_STR(after, before);
    /* an hour and a half later the rotation no longer reads back as done */
    setenv("WARRANT_NOW", "2025-06-01T01:30:00Z", 1);
    CHECK_OK(wr_inventory_op_readback(s, op, &m, &err));
    CHECK_EQ_INT(m, 0);
    free(before);
    free(after);
    json_decref(res);
    json_decref(op);
    json_decref(inv);
    wr_store_close(s);
}

TEST(test_lookups)
{
    wr_store *s = inv_fixture_open("ops-lookup");
    wr_err err = {0};
    json_t *o = NULL;
    CHECK_OK(wr_inventory_system_get(s, "payroll", &o, &err));
    CHECK_EQ_STR(json_string_value(json_object_get(o, "domain")), "finance");
    CHECK_EQ_STR(json_string_value(json_object_get(o, "owner")), "alice");
    CHECK_EQ_STR(json_string_value(json_object_get(o, "owner_status")), "active");
    CHECK_EQ_STR(json_string_value(json_object_get(o, "connector")), "builtin");
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(o, "connector_config"), "url")), "https://p");
    json_decref(o);
    CHECK_EQ_INT(wr_inventory_system_get(s, "nope", &o, &err), WR_ENOTFOUND);
    CHECK_OK(wr_inventory_identity_get(s, "svc-sync", &o, &err));
    CHECK_EQ_STR(json_string_value(json_object_get(o, "kind")), "service_account");
    CHECK_EQ_STR(json_string_value(json_object_get(o, "owner_status")), "active");
    json_decref(o);
    CHECK_OK(wr_inventory_identity_get(s, "bot-x", &o, &err));
    CHECK(json_is_null(json_object_get(o, "owner_status")));
    json_decref(o);
    CHECK_EQ_INT(wr_inventory_identity_get(s, "ghost", &o, &err), WR_ENOTFOUND);
    CHECK_OK(wr_inventory_expired_grants(s, wr_now(), &o, &err));
    CHECK_EQ_INT(json_array_size(o), 1);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(o, 0), "account")), "payroll:alice");
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(o, 0), "expires_at")), "2025-05-15T00:00:00Z");
    json_decref(o);
    CHECK_OK(wr_inventory_expired_grants(s, wr_now() - 30 * 86400, &o, &err));
    CHECK_EQ_INT(json_array_size(o), 0);
    json_decref(o);
    wr_store_close(s);
}

TEST(test_copy_to_sandbox)
{
    wr_store *s = inv_fixture_open("ops-copy"), *sb = NULL;
    wr_err err = {0};
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/sandbox", wr_store_dir(s));
    CHECK_OK(wr_store_open(dir, WR_STORE_CREATE, &sb, &err));
    CHECK_OK(wr_inventory_copy(s, sb, &err));
    char *a = inv_dump(s), *b = inv_dump(sb);
    CHECK_EQ_STR(b, a);
    free(b);
    /* the sandbox changes alone, and a second copy replaces it */
    json_t *op = inv_json("{\"op\":\"disable\",\"account\":\"payroll:alice\"}"), *res = NULL;
    CHECK_OK(wr_inventory_op_apply(sb, op, "agent", &res, &err));
    json_decref(res);
    b = inv_dump(sb);
    CHECK(strcmp(a, b) != 0);
    free(b);
    char *a2 = inv_dump(s);
    CHECK_EQ_STR(a2, a);
    CHECK_OK(wr_inventory_copy(s, sb, &err));
    b = inv_dump(sb);
    CHECK_EQ_STR(b, a);
    free(a);
    free(a2);
    free(b);
    json_decref(op);
    wr_store_close(sb);
    wr_store_close(s);
}

RUN_TESTS(T(test_check_shapes_and_system), T(test_roundtrips), T(test_revoke_inverse_restores_metadata),
          T(test_rotate_is_irreversible), T(test_lookups), T(test_copy_to_sandbox))
