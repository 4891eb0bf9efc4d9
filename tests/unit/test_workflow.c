/*
 * test_workflow.c — the governance spine through the library API: data
 * directory lifecycle, principal validation, the decision record, the
 * append-only approval history, racing threads, lineage that refuses a
 * tampered log, and governed reads.
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

/* wr_read_check as actor; the message of a failure lands in msg. */
static int can_read(wr_ctx *ctx, const char *who, const char *what, const char *scope, const char *id,
                    char *msg, size_t len)
{
    wr_actor a = {who, "test"};
    wr_err e = {0};
    json_t *d = NULL;
    int rc = wr_read_check(ctx, &a, what, scope, id, &d, &e);
    snprintf(msg, len, "%s", rc ? e.msg : "");
    if (rc == WR_OK) {
        CHECK_EQ_STR(json_string_value(json_object_get(d, "outcome")), "allow");
        CHECK_EQ_STR(json_string_value(json_object_get(d, "read")), what);
    }
    json_decref(d);
    return rc;
}

TEST(test_governed_reads)
{
    wr_ctx *ctx = setup("wf-reads");
    add(ctx, "{\"id\":\"ivy\",\"kind\":\"human\"}");
    add(ctx, "{\"id\":\"cop-ivy\",\"kind\":\"copilot\",\"on_behalf_of\":\"ivy\"}");
    int rc;
    json_t *pay = propose(ctx, "hank", "[{\"op\":\"revoke\",\"account\":\"payroll:ghost\","
                                        "\"entitlement\":\"payroll:approver\"}]", &rc);
    CHECK_OK(rc);
    json_t *gh = propose(ctx, "hank", "[{\"op\":\"disable\",\"account\":\"github:ivy\"}]", &rc);
    CHECK_OK(rc);
    const char *pay_id = json_string_value(json_object_get(pay, "id"));
    const char *gh_id = json_string_value(json_object_get(gh, "id"));
    uint64_t log0 = wr_ledger_size(wr_ctx_ledger(ctx));
    char msg[1024];

    /* people read everything under the default policy */
    CHECK_OK(can_read(ctx, "hank", "inventory", NULL, NULL, msg, sizeof msg));
    CHECK_OK(can_read(ctx, "hank", "readiness", "domain", "finance", msg, sizeof msg));
    CHECK_OK(can_read(ctx, "hank", "change", NULL, gh_id, msg, sizeof msg));
    wr_actor hank = {"hank", "test"};
    wr_err e = {0};
    json_t *d = NULL;
    CHECK_OK(wr_read_check(ctx, &hank, "inventory", "system", "payroll", &d, &e));
    CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(d, "policies"), 0)), "humans-read");
    CHECK_EQ_STR(json_string_value(json_object_get(d, "system")), "payroll");
    json_decref(d);

    /* an agent without a mandate reads nothing */
    CHECK_EQ_INT(can_read(ctx, "bot", "inventory", "system", "payroll", msg, sizeof msg), WR_EDENIED);
    CHECK(strstr(msg, "has no active mandate") != NULL);
    CHECK_EQ_INT(can_read(ctx, "bot", "change", NULL, pay_id, msg, sizeof msg), WR_EDENIED);

    /* with a mandate for payroll: payroll and its changes, nothing else */
    json_t *spec = json_pack("{s:s,s:s,s:[s],s:[s],s:i,s:s}", "agent", "bot", "purpose", "orphans", "systems",
                             "payroll", "actions", "revoke", "max_changes", 2, "duration", "1d"), *m = NULL;
    wr_actor ethan = {"ethan", "test"};
    CHECK_OK(wr_mandate_create(ctx, &ethan, spec, &m, &e));
    json_decref(spec);
    uint64_t log1 = wr_ledger_size(wr_ctx_ledger(ctx));
    CHECK_OK(can_read(ctx, "bot", "inventory", "system", "payroll", msg, sizeof msg));
    CHECK_OK(can_read(ctx, "bot", "readiness", NULL, "payroll", msg, sizeof msg));
    CHECK_OK(can_read(ctx, "bot", "change", NULL, pay_id, msg, sizeof msg));
    CHECK_EQ_INT(can_read(ctx, "bot", "inventory", "system", "github", msg, sizeof msg), WR_EDENIED);
    CHECK(strstr(msg, "system github is not among the systems they cover") != NULL);
    CHECK(strstr(msg, json_string_value(json_object_get(m, "id"))) != NULL);
    CHECK_EQ_INT(can_read(ctx, "bot", "inventory", "overall", NULL, msg, sizeof msg), WR_EDENIED);
    CHECK(strstr(msg, "name a system") != NULL);
    CHECK_EQ_INT(can_read(ctx, "bot", "readiness", "domain", "finance", msg, sizeof msg), WR_EDENIED);
    CHECK_EQ_INT(can_read(ctx, "bot", "change", NULL, gh_id, msg, sizeof msg), WR_EDENIED);
    CHECK(strstr(msg, "initiated by hank on system github") != NULL);
    /* listing filters instead of failing */
    wr_actor bot = {"bot", "test"};
    json_t *list = NULL, *filter = json_object();
    CHECK_OK(wr_change_list_readable(ctx, &bot, filter, &list, &e));
    CHECK_EQ_INT(json_array_size(list), 1);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(list, 0), "id")), pay_id);
    json_decref(list);
    CHECK_OK(wr_change_list_readable(ctx, &hank, filter, &list, &e));
    CHECK_EQ_INT(json_array_size(list), 2);
    json_decref(list);
    json_decref(filter);

    /* bad input and unknown objects */
    CHECK_EQ_INT(can_read(ctx, "hank", "secrets", NULL, NULL, msg, sizeof msg), WR_EINVAL);
    CHECK_EQ_INT(can_read(ctx, "hank", "readiness", "system", NULL, msg, sizeof msg), WR_EINVAL);
    CHECK_EQ_INT(can_read(ctx, "hank", "readiness", "galaxy", "x", msg, sizeof msg), WR_EINVAL);
    CHECK_EQ_INT(can_read(ctx, "hank", "change", NULL, "chg_nope", msg, sizeof msg), WR_ENOTFOUND);
    CHECK_EQ_INT(can_read(ctx, "cop", "inventory", "system", "nosuch", msg, sizeof msg), WR_ENOTFOUND);
    CHECK_EQ_INT(can_read(ctx, "nobody", "inventory", NULL, NULL, msg, sizeof msg), WR_ENOTFOUND);

    /* a site rule: ivy may not read payroll, so neither may her copilot,
     * nor anything that includes payroll */
    wr_ctx_close(ctx);
    char site[4400];
    snprintf(site, sizeof site, "%s/policies/zz-site.cedar", datadir);
    static const char rule[] = "@id(\"ivy-never-reads-payroll\")\n"
                               "forbid (principal == Human::\"ivy\", action == Action::\"read\", "
                               "resource in System::\"payroll\");\n";
    CHECK_OK(wr_file_write_atomic(site, rule, strlen(rule), 0600, &e));
    CHECK_OK(wr_ctx_open(datadir, 0, &ctx, &e));
    CHECK_EQ_INT(can_read(ctx, "cop-ivy", "inventory", "system", "payroll", msg, sizeof msg), WR_EDENIED);
    CHECK(strstr(msg, "ivy-never-reads-payroll") != NULL);
    CHECK(strstr(msg, "never exceeds its human") != NULL);
    CHECK_EQ_INT(can_read(ctx, "cop-ivy", "change", NULL, pay_id, msg, sizeof msg), WR_EDENIED);
    CHECK_EQ_INT(can_read(ctx, "cop-ivy", "readiness", "overall", NULL, msg, sizeof msg), WR_EDENIED);
    CHECK(strstr(msg, "reads system payroll too") != NULL);
    CHECK_OK(can_read(ctx, "cop-ivy", "inventory", "system", "github", msg, sizeof msg));
    CHECK_OK(can_read(ctx, "cop-ivy", "change", NULL, gh_id, msg, sizeof msg));
    CHECK_OK(can_read(ctx, "cop", "inventory", "system", "payroll", msg, sizeof msg));
    CHECK_EQ_INT(can_read(ctx, "ivy", "inventory", "system", "payroll", msg, sizeof msg), WR_EDENIED);
    /* reads log nothing, allowed or denied */
    CHECK(wr_ledger_size(wr_ctx_ledger(ctx)) == log1);
    CHECK(log1 == log0 + 1);   /* the mandate */
    json_decref(m);
    json_decref(pay);
    json_decref(gh);
    wr_ctx_close(ctx);
}

RUN_TESTS(T(test_data_directory_lifecycle), T(test_principal_rules), T(test_decision_record),
          T(test_approval_history_is_append_only), T(test_racing_executors), T(test_lineage_refuses_a_tampered_log),
          T(test_governed_reads))
