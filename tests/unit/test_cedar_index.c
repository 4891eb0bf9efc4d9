/*
 * test_cedar_index.c — the scope index and policy groups of the decision
 * procedure (lib/policy/policyset.c, authorize.c) give exactly the answers
 * of evaluating every policy: shared guards, per-policy error messages,
 * pair lists (principal and resource uids), action lists, `is` type lists,
 * the reason order, and the id map after a rolled-back parse.
 *
 * Request (cedar_helpers.h): User::"alice" (in Group::"staff" in
 * Group::"all"), Action::"read" (in Action::"readers"), Doc::"d1" (in
 * Folder::"f", owner alice).
 */
#include "cedar_helpers.h"

static int nreason(const char *policies, const char *want_first)
{
    wr_response r;
    int rc = decide_ctx(policies, NULL, &r);
    if (rc < 0)
        return -100 + rc;
    if (want_first && (!r.nreason || strcmp(r.reason[0], want_first) != 0))
        return -50;
    return (int)r.nreason;
}

TEST(shared_guard_groups)
{
    /* one group: same scope, same leading conjunct; only p2's tail holds */
    const char *t =
        "@id(\"p0\") permit (principal, action == Action::\"read\", resource is Doc)\n"
        "  when { resource.owner == principal && principal.name == \"x\" };\n"
        "@id(\"p1\") permit (principal, action == Action::\"read\", resource is Doc)\n"
        "  when { resource.owner == principal && principal.name == \"y\" };\n"
        "@id(\"p2\") permit (principal, action == Action::\"read\", resource is Doc)\n"
        "  when { resource.owner == principal && principal.name == \"Alice\" };\n";
    CHECK_EQ_INT(nreason(t, "p2"), 1);
    /* guard false for every member: nothing satisfied */
    const char *f =
        "@id(\"q0\") permit (principal, action, resource) when { principal.age > 40 && true };\n"
        "@id(\"q1\") permit (principal, action, resource) when { principal.age > 40 && false };\n";
    CHECK_EQ_INT(decide_ctx(f, NULL, NULL), 0);
}

TEST(guard_errors_reported_per_policy)
{
    const char *t =
        "@id(\"e0\") permit (principal, action, resource) when { principal.nope == 1 && true };\n"
        "@id(\"e1\") permit (principal, action, resource) when { principal.nope == 1 && false };\n"
        "@id(\"ok\") permit (principal, action, resource);\n";
    wr_response r;
    CHECK_EQ_INT(decide_ctx(t, NULL, &r), -1);
    CHECK_EQ_INT((int)r.nerror, 2);
    CHECK_EQ_INT(r.allow, 1);
    if (r.nerror == 2) {
        CHECK_EQ_STR(r.error[0], "e0");
        CHECK_EQ_STR(r.error[1], "e1");
        CHECK(strstr(r.error_msg[0], "1:65:") != NULL);
        CHECK(strstr(r.error_msg[1], "2:65:") != NULL);
    }
}

TEST(pair_lists_and_hierarchy)
{
    const char *t =
        "@id(\"a\") permit (principal in Group::\"all\", action, resource in Folder::\"f\");\n"
        "@id(\"b\") permit (principal in Group::\"other\", action, resource in Folder::\"f\");\n"
        "@id(\"c\") permit (principal in Group::\"staff\", action, resource in Folder::\"g\");\n"
        "@id(\"d\") permit (principal == User::\"alice\", action, resource == Doc::\"d1\");\n";
    wr_response r;
    CHECK_EQ_INT(decide_ctx(t, NULL, &r), 1);
    CHECK_EQ_INT((int)r.nreason, 2);
    if (r.nreason == 2) {
        CHECK_EQ_STR(r.reason[0], "a");
        CHECK_EQ_STR(r.reason[1], "d");
    }
    /* forbid in a pair list wins and is the only reason */
    const char *f =
        "@id(\"p\") permit (principal, action, resource);\n"
        "@id(\"f\") forbid (principal in Group::\"staff\", action, resource in Folder::\"f\");\n";
    CHECK_EQ_INT(nreason(f, "f"), 1);
    CHECK_EQ_INT(decide_ctx(f, NULL, NULL), 0);
}

TEST(action_lists_types_and_empty_lists)
{
    CHECK_EQ_INT(decide_ctx("permit (principal, action in [Action::\"write\", Action::\"readers\"], resource);",
                            NULL, NULL), 1);
    CHECK_EQ_INT(decide_ctx("permit (principal, action in [Action::\"write\"], resource);", NULL, NULL), 0);
    CHECK_EQ_INT(decide_ctx("permit (principal, action in [], resource);", NULL, NULL), 0);
    CHECK_EQ_INT(decide_ctx("permit (principal is User, action, resource);", NULL, NULL), 1);
    CHECK_EQ_INT(decide_ctx("permit (principal is Group, action, resource);", NULL, NULL), 0);
    CHECK_EQ_INT(decide_ctx("permit (principal, action, resource is Doc in Folder::\"f\");", NULL, NULL), 1);
    CHECK_EQ_INT(decide_ctx("permit (principal, action, resource is Doc in Folder::\"g\");", NULL, NULL), 0);
    CHECK_EQ_INT(decide_ctx("permit (principal is User in User::\"alice\", action == Action::\"read\", resource);",
                            NULL, NULL), 1);
    /* the same uid as key in several dimensions */
    CHECK_EQ_INT(decide_ctx("permit (principal == User::\"alice\", action, resource in User::\"alice\");",
                            NULL, NULL), 0);
}

TEST(many_policies_same_scope)
{
    /* 300 grouped policies, one satisfied: the index must find exactly it */
    static char buf[200000];
    size_t at = 0;
    for (int i = 0; i < 300; i++)
        at += (size_t)snprintf(buf + at, sizeof buf - at,
                               "@id(\"g%d\") permit (principal, action == Action::\"read\", resource)"
                               " when { principal.age == 30 && principal.age + %d == 130 };\n", i, i);
    CHECK_EQ_INT(nreason(buf, "g100"), 1);
}

TEST(ids_after_rolled_back_parse)
{
    wr_policy_set *ps = NULL;
    wr_err err = {0};
    const char *a = "@id(\"x\") permit (principal, action, resource);";
    CHECK_OK(wr_policy_set_parse(a, strlen(a), "a.cedar", &ps, &err));
    const char *bad = "@id(\"y\") permit (principal, action, resource); @id(\"z\") permit (";
    CHECK(wr_policy_set_add(ps, bad, strlen(bad), "b.cedar", &err) != WR_OK);
    /* y was rolled back: it can be added again; x is still taken */
    const char *y = "@id(\"y\") permit (principal, action, resource);";
    CHECK_OK(wr_policy_set_add(ps, y, strlen(y), "c.cedar", &err));
    CHECK(wr_policy_set_add(ps, a, strlen(a), "d.cedar", &err) != WR_OK);
    CHECK_EQ_INT((int)wr_policy_set_count(ps), 2);
    CHECK_EQ_INT(wr_policy_effect(ps, "y"), 1);
    wr_policy_set_free(ps);
}

RUN_TESTS(T(shared_guard_groups), T(guard_errors_reported_per_policy), T(pair_lists_and_hierarchy),
          T(action_lists_types_and_empty_lists), T(many_policies_same_scope),
          T(ids_after_rolled_back_parse))
