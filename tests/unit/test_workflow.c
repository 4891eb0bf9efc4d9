/*
 * test_workflow.c — the governance spine through the library API: data
 * directory lifecycle, principal validation, the decision record, the
 * append-only approval history, racing threads, and lineage that refuses
 * a tampered log.
 */
#include "check.h"
#include "warrant.h"

#include <pthread.h>

static char datadir[4200];

static void add(wr_ctx *ctx, const char *json)
{
    json_error_t je;
    json_t *spec = json_loads(json, 0, &je);
    wr_err e = {0};
    int rc = wr_principal_add(ctx, NULL, spec, NULL, &e);
    if (rc)
        fprintf(stderr, "add %s: %s\n", json, e.msg);
    CHECK_OK(rc);
    json_decref(spec);
}

/* A data directory with the fixture organisation and principals. */
static wr_ctx *setup(const char *tag)
{
    snprintf(datadir, sizeof datadir, "%s/data", test_tmpdir(tag));
    wr_err e = {0};
    CHECK_OK(wr_ctx_init(datadir, NULL, &e));
    wr_ctx *ctx = NULL;
    CHECK_OK(wr_ctx_open(datadir, 0, &ctx, &e));
    const char *src = getenv("WARRANT_SRC");
    static const char *const kinds[] = {"identities", "systems", "entitlements", "accounts", "grants"};
    for (size_t i = 0; i < 5; i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/tests/fixtures/org/%s.csv", src ? src : ".", kinds[i]);
        wr_import_opts o = {0};
        o.kind = kinds[i];
        wr_import_stats st = {0};
        int rc = wr_inventory_import_file(wr_ctx_store(ctx), path, &o, &st, NULL, &e);
        if (rc)
            fprintf(stderr, "import %s: %s\n", path, e.msg);
        CHECK_OK(rc);
    }
    add(ctx, "{\"id\":\"olivia\",\"kind\":\"human\"}");
    add(ctx, "{\"id\":\"sam\",\"kind\":\"human\",\"roles\":[\"security\"]}");
    add(ctx, "{\"id\":\"hank\",\"kind\":\"human\",\"roles\":[\"it\"]}");
    add(ctx, "{\"id\":\"cop\",\"kind\":\"copilot\",\"on_behalf_of\":\"hank\"}");
    add(ctx, "{\"id\":\"ethan\",\"kind\":\"human\"}");
    add(ctx, "{\"id\":\"bot\",\"kind\":\"agent\",\"owner\":\"ethan\"}");
    return ctx;
}

static json_t *propose(wr_ctx *ctx, const char *who, const char *ops_json, int *rc)
{
    char req[1024];
    snprintf(req, sizeof req, "{\"mode\":\"recommend\",\"operations\":%s}", ops_json);
    json_t *r = json_loads(req, 0, NULL), *out = NULL;
    wr_actor a = {who, "test"};
    wr_err e = {0};
    *rc = wr_change_propose(ctx, &a, r, &out, &e);
    if (*rc)
        fprintf(stderr, "propose: %s\n", e.msg);
    json_decref(r);
    return out;
}

TEST(test_data_directory_lifecycle)
{
    wr_ctx *ctx = setup("wf-dir");
    wr_err e = {0};
    CHECK_EQ_INT(wr_ctx_init(datadir, NULL, &e), WR_ESTATE);
    CHECK(strstr(e.msg, "already") != NULL);
    wr_ctx *other = NULL;
    CHECK_EQ_INT(wr_ctx_open("/nonexistent/warrant", 0, &other, &e), WR_ENOTFOUND);
    CHECK(other == NULL);
    CHECK(wr_policy_set_count(wr_ctx_policies(ctx)) >= 10);
    wr_ctx_close(ctx);
}

TEST(test_principal_rules)
{
    wr_ctx *ctx = setup("wf-principal");
    const char *bad[] = {
        "{\"id\":\"x\",\"kind\":\"copilot\"}",                                   /* no human */
        "{\"id\":\"x\",\"kind\":\"copilot\",\"on_behalf_of\":\"bot\"}",           /* not a human */
        "{\"id\":\"x\",\"kind\":\"agent\"}",                                      /* no owner */
        "{\"id\":\"x\",\"kind\":\"human\",\"owner\":\"hank\"}",                    /* humans have no owner */
        "{\"id\":\"x\",\"kind\":\"human\",\"roles\":[\"ceo\"]}",                   /* unknown role */
        "{\"id\":\"x\",\"kind\":\"agent\",\"owner\":\"ethan\",\"roles\":[\"it\"]}", /* AI holds no role */
        "{\"id\":\"\",\"kind\":\"human\"}",
        "{\"id\":\"x\"}",
        "[1]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *spec = json_loads(bad[i], JSON_DECODE_ANY, NULL);
        wr_err e = {0};
        CHECK(wr_principal_add(ctx, NULL, spec, NULL, &e) != WR_OK);
        CHECK(e.msg[0] != '\0');
        json_decref(spec);
    }
    json_t *list = NULL;
    CHECK_OK(wr_principal_list(ctx, &list, NULL));
    CHECK_EQ_INT(json_array_size(list), 6);   /* nothing half-added */
    json_decref(list);
    /* only a human may add principals when an actor is named */
    wr_actor bot = {"bot", "test"};
    json_t *spec = json_pack("{s:s,s:s}", "id", "newbie", "kind", "human");
    wr_err e = {0};
    CHECK_EQ_INT(wr_principal_add(ctx, &bot, spec, NULL, &e), WR_EDENIED);
    json_decref(spec);
    wr_ctx_close(ctx);
}

TEST(test_decision_record)
{
    wr_ctx *ctx = setup("wf-decision");
    int rc;
    json_t *c = propose(ctx, "cop", "[{\"op\":\"revoke\",\"account\":\"payroll:ghost\","
                                    "\"entitlement\":\"payroll:approver\"}]", &rc);
    CHECK_OK(rc);
    json_t *d = json_object_get(c, "decision");
    CHECK_EQ_STR(json_string_value(json_object_get(c, "state")), "awaiting_approval");
    CHECK_EQ_STR(json_string_value(json_object_get(d, "outcome")), "approval_required");
    CHECK(strncmp(json_string_value(json_object_get(d, "policy_set")), "sha256:", 7) == 0);
    CHECK(json_is_integer(json_object_get(json_object_get(d, "readiness"), "ownership_completeness")));
    /* both the copilot's and its human's policies determined it */
    int saw_copilot = 0, saw_human = 0;
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(d, "policies"), i, p) {
        saw_copilot |= strcmp(json_string_value(p), "copilot-assists") == 0;
        saw_human |= strcmp(json_string_value(p), "human-production-changes") == 0;
    }
    CHECK(saw_copilot && saw_human);
    /* the copilot's modes are the intersection: no execute */
    json_t *modes = json_object_get(json_object_get(d, "obligations"), "modes");
    CHECK_EQ_INT(json_array_size(modes), 3);
    json_decref(c);
    wr_ctx_close(ctx);
}

TEST(test_approval_history_is_append_only)
{
    wr_ctx *ctx = setup("wf-append");
    int rc;
    json_t *c = propose(ctx, "hank", "[{\"op\":\"revoke\",\"account\":\"payroll:ghost\","
                                     "\"entitlement\":\"payroll:approver\"}]", &rc);
    CHECK_OK(rc);
    const char *id = json_string_value(json_object_get(c, "id"));
    wr_actor olivia = {"olivia", "test"};
    json_t *out = NULL;
    CHECK_OK(wr_change_approve(ctx, &olivia, id, "ok", &out, NULL));
    json_decref(out);
    wr_err e = {0};
    CHECK(wr_store_exec(wr_ctx_store(ctx), "DELETE FROM approvals", &e) != WR_OK);
    CHECK(strstr(e.msg, "append-only") != NULL);
    CHECK(wr_store_exec(wr_ctx_store(ctx), "UPDATE approvals SET reason='x'", &e) != WR_OK);
    json_decref(c);
    wr_ctx_close(ctx);
}

struct racer {
    const char *id;
    int rc;
};

static void *execute_thread(void *arg)
{
    struct racer *r = arg;
    wr_ctx *ctx = NULL;
    wr_err e = {0};
    if (wr_ctx_open(datadir, 0, &ctx, &e) != WR_OK) {
        r->rc = -100;
        return NULL;
    }
    wr_actor hank = {"hank", "test"};
    json_t *out = NULL;
    r->rc = wr_change_execute(ctx, &hank, r->id, &out, &e);
    json_decref(out);
    wr_ctx_close(ctx);
    return NULL;
}

TEST(test_racing_executors)
{
    wr_ctx *ctx = setup("wf-race");
    int rc;
    json_t *c = propose(ctx, "hank", "[{\"op\":\"revoke\",\"account\":\"payroll:p1\","
                                     "\"entitlement\":\"payroll:viewer\"}]", &rc);
    const char *id = json_string_value(json_object_get(c, "id"));
    wr_actor olivia = {"olivia", "test"};
    json_t *out = NULL;
    CHECK_OK(wr_change_approve(ctx, &olivia, id, "ok", &out, NULL));
    json_decref(out);
    pthread_t t[6];
    struct racer r[6];
    for (int i = 0; i < 6; i++) {
        r[i].id = id;
        r[i].rc = 1;
        pthread_create(&t[i], NULL, execute_thread, &r[i]);
    }
    int ok = 0, state = 0;
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        ok += r[i].rc == WR_OK;
        state += r[i].rc == WR_ESTATE;
    }
    CHECK_EQ_INT(ok, 1);
    CHECK_EQ_INT(state, 5);
    json_t *lin = NULL;
    CHECK_OK(wr_change_lineage(ctx, id, &lin, NULL));
    int executed = 0;
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(lin, "entries"), i, item)
        executed += strcmp(json_string_value(json_object_get(json_object_get(item, "entry"), "kind")),
                           "change.executed") == 0;
    CHECK_EQ_INT(executed, 1);
    json_decref(lin);
    json_decref(c);
    wr_ctx_close(ctx);
}

TEST(test_lineage_refuses_a_tampered_log)
{
    wr_ctx *ctx = setup("wf-tamper");
    int rc;
    json_t *c = propose(ctx, "hank", "[{\"op\":\"disable\",\"account\":\"payroll:orphan1\"}]", &rc);
    const char *id = json_string_value(json_object_get(c, "id"));
    json_t *lin = NULL;
    CHECK_OK(wr_change_lineage(ctx, id, &lin, NULL));
    CHECK(json_is_true(json_object_get(lin, "verified")));
    json_decref(lin);
    lin = NULL;
    wr_ctx_close(ctx);
    /* rewrite the proposal's entry behind the log's back */
    wr_store *s = NULL;
    CHECK_OK(wr_store_open(datadir, 0, &s, NULL));
    CHECK_OK(wr_store_exec(s, "UPDATE ledger_entry SET data = replace(data, 'recommend', 'r3commend') "
                              "WHERE idx = (SELECT max(ledger_index) FROM change_entries)", NULL));
    wr_store_close(s);
    CHECK_OK(wr_ctx_open(datadir, 0, &ctx, NULL));
    wr_err e = {0};
    CHECK_EQ_INT(wr_change_lineage(ctx, id, &lin, &e), WR_ECORRUPT);
    CHECK(lin == NULL);
    CHECK(strstr(e.msg, "does not verify") != NULL);
    json_decref(c);
    wr_ctx_close(ctx);
}

RUN_TESTS(T(test_data_directory_lifecycle), T(test_principal_rules), T(test_decision_record),
          T(test_approval_history_is_append_only), T(test_racing_executors), T(test_lineage_refuses_a_tampered_log))
