/* test_governance.c — obligations from annotations and their combination. */
#include "check.h"
#include "warrant/governance.h"

static wr_policy_set *parse(const char *text)
{
    wr_policy_set *ps = NULL;
    wr_err e = {0};
    if (wr_policy_set_parse(text, strlen(text), "test.cedar", &ps, &e) != WR_OK)
        fprintf(stderr, "parse: %s\n", e.msg);
    return ps;
}

TEST(test_modes)
{
    CHECK_EQ_INT(wr_mode_parse("advise"), WR_MODE_ADVISE);
    CHECK_EQ_INT(wr_mode_parse("execute"), WR_MODE_EXECUTE);
    CHECK_EQ_INT(wr_mode_parse("EXECUTE"), 0);
    CHECK_EQ_INT(wr_mode_parse(NULL), 0);
    CHECK_EQ_STR(wr_mode_name(WR_MODE_RECOMMEND), "recommend");
}

TEST(test_annotations_read)
{
    wr_policy_set *ps = parse(
        "@id(\"p\") @modes(\"advise, recommend\") @approvals(\"security:2; owner\")\n"
        "@approval_timeout(\"48h\") @grant_ttl(\"30d\") @evidence(\"ticket, attestation\")\n"
        "@readiness_floor(\"ownership_completeness>=95, orphan_rate<=2\") @risk(\"high\")\n"
        "permit(principal, action, resource);");
    CHECK(ps != NULL);
    if (!ps)
        return;
    wr_obligations o;
    wr_obligations_init(&o);
    CHECK_OK(wr_obligations_from_policy(ps, "p", &o, NULL));
    CHECK_EQ_INT(o.modes, WR_MODE_ADVISE | WR_MODE_RECOMMEND);
    CHECK_EQ_INT(o.nstages, 2);
    CHECK_EQ_STR(o.stages[0].role, "security");   /* as written; combine orders them */
    CHECK_EQ_INT(o.stages[0].count, 2);
    CHECK_EQ_INT(o.approval_timeout, 48 * 3600);
    CHECK_EQ_INT(o.grant_ttl, 30 * 86400);
    CHECK_EQ_INT(o.nevidence, 2);
    CHECK_EQ_INT(o.nfloors, 2);
    CHECK_EQ_INT(o.floors[1].at_least, 0);
    CHECK_EQ_INT(o.floors[1].bound, 2);
    CHECK_EQ_INT(o.risk, 2);
    CHECK_OK(wr_obligations_check_set(ps, NULL));
    CHECK_EQ_STR(wr_policy_set_id_at(ps, 0), "p");
    CHECK(wr_policy_set_id_at(ps, 1) == NULL);
    wr_policy_set_free(ps);
}

TEST(test_bad_annotations_are_errors)
{
    const char *bad[] = {
        "@id(\"p\") @modes(\"run\") permit(principal, action, resource);",
        "@id(\"p\") @approvals(\"ceo\") permit(principal, action, resource);",
        "@id(\"p\") @approvals(\"owner:0\") permit(principal, action, resource);",
        "@id(\"p\") @approvals(\"owner; owner\") permit(principal, action, resource);",
        "@id(\"p\") @grant_ttl(\"forever\") permit(principal, action, resource);",
        "@id(\"p\") @readiness_floor(\"orphan_rate < 2\") permit(principal, action, resource);",
        "@id(\"p\") @risk(\"extreme\") permit(principal, action, resource);",
        "@id(\"p\") @evidence(\"a b\") permit(principal, action, resource);",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wr_policy_set *ps = parse(bad[i]);
        CHECK(ps != NULL);
        if (!ps)
            continue;
        wr_obligations o;
        wr_obligations_init(&o);
        wr_err e = {0};
        CHECK_EQ_INT(wr_obligations_from_policy(ps, "p", &o, &e), WR_EINVAL);
        CHECK(strstr(e.msg, "policy p") != NULL);
        CHECK_EQ_INT(wr_obligations_check_set(ps, NULL), WR_EINVAL);
        wr_policy_set_free(ps);
    }
}

TEST(test_combine_strictest_wins)
{
    wr_obligations a, b;
    wr_obligations_init(&a);
    wr_obligations_init(&b);
    a.modes = WR_MODE_ALL;
    b.modes = WR_MODE_ADVISE | WR_MODE_DRAFT;
    strcpy(a.stages[0].role, "security");
    a.stages[0].count = 1;
    a.nstages = 1;
    strcpy(b.stages[0].role, "security");
    b.stages[0].count = 2;
    strcpy(b.stages[1].role, "owner");
    b.stages[1].count = 1;
    b.nstages = 2;
    a.grant_ttl = 30 * 86400;
    b.grant_ttl = 7 * 86400;
    a.approval_timeout = 0;
    b.approval_timeout = 3600;
    CHECK_OK(wr_obligations_add_floors(&a, "orphan_rate<=5, ownership_completeness>=90"));
    CHECK_OK(wr_obligations_add_floors(&b, "orphan_rate<=2"));
    json_t *ev = json_pack("[s,s]", "ticket", "attestation");
    CHECK_OK(wr_obligations_add_evidence(&a, ev));
    json_decref(ev);
    ev = json_pack("[s]", "ticket");
    CHECK_OK(wr_obligations_add_evidence(&b, ev));
    json_decref(ev);
    b.risk = 3;
    wr_obligations_combine(&a, &b);
    CHECK_EQ_INT(a.modes, WR_MODE_ADVISE | WR_MODE_DRAFT);
    CHECK_EQ_INT(a.nstages, 2);
    CHECK_EQ_STR(a.stages[0].role, "owner");      /* canonical order */
    CHECK_EQ_STR(a.stages[1].role, "security");
    CHECK_EQ_INT(a.stages[1].count, 2);           /* larger count wins */
    CHECK_EQ_INT(a.grant_ttl, 7 * 86400);
    CHECK_EQ_INT(a.approval_timeout, 3600);
    CHECK_EQ_INT(a.nevidence, 2);                 /* union without duplicates */
    CHECK_EQ_INT(a.nfloors, 2);
    CHECK_EQ_INT(a.floors[0].bound, 2);           /* strictest bound */
    CHECK_EQ_INT(a.risk, 3);
    /* "all" beats any count */
    wr_obligations c;
    wr_obligations_init(&c);
    strcpy(c.stages[0].role, "security");
    c.stages[0].count = -1;
    c.nstages = 1;
    wr_obligations_combine(&a, &c);
    CHECK_EQ_INT(a.stages[1].count, -1);
}

TEST(test_floors_fail_closed)
{
    wr_obligations o;
    wr_obligations_init(&o);
    CHECK_OK(wr_obligations_add_floors(&o, "ownership_completeness>=95, orphan_rate<=2"));
    json_t *good = json_pack("{s:i,s:i}", "ownership_completeness", 97, "orphan_rate", 1);
    json_t *bad = json_pack("{s:i,s:i}", "ownership_completeness", 97, "orphan_rate", 3);
    json_t *missing = json_pack("{s:i}", "ownership_completeness", 99);
    const wr_gov_floor *f = NULL;
    CHECK_EQ_INT(wr_obligations_floors_met(&o, good, &f), 1);
    CHECK_EQ_INT(wr_obligations_floors_met(&o, bad, &f), 0);
    CHECK_EQ_STR(f->metric, "orphan_rate");
    CHECK_EQ_INT(wr_obligations_floors_met(&o, missing, &f), 0);   /* unknown metric never passes */
    CHECK_EQ_INT(wr_obligations_floors_met(&o, NULL, &f), 0);
    json_decref(good);
    json_decref(bad);
    json_decref(missing);
}

TEST(test_to_json)
{
    wr_obligations o;
    wr_obligations_init(&o);
    o.modes = WR_MODE_RECOMMEND;
    strcpy(o.stages[0].role, "owner");
    o.stages[0].count = -1;
    o.nstages = 1;
    json_t *j = wr_obligations_to_json(&o);
    CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(j, "modes"), 0)), "recommend");
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(json_object_get(j, "approvals"), 0), "count")), "all");
    CHECK_EQ_INT(json_integer_value(json_object_get(j, "approval_timeout_s")), 72 * 3600);
    json_decref(j);
}

RUN_TESTS(T(test_modes), T(test_annotations_read), T(test_bad_annotations_are_errors), T(test_combine_strictest_wins),
          T(test_floors_fail_closed), T(test_to_json))
