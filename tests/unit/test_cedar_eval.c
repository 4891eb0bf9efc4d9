/*
 * test_cedar_eval.c — evaluator: every operator, precedence, extension
 * functions, and the runtime error cases (overflow, missing attributes,
 * type errors), plus decision semantics (forbid overrides, reasons).
 */
#include "cedar_helpers.h"

TEST(literals_and_equality)
{
    CHECK_EQ_INT(ev("true"), 1);
    CHECK_EQ_INT(ev("false"), 0);
    CHECK_EQ_INT(ev("1 == 1"), 1);
    CHECK_EQ_INT(ev("1 != 2"), 1);
    CHECK_EQ_INT(ev("\"a\" == \"a\""), 1);
    CHECK_EQ_INT(ev("1 == \"1\""), 0);             /* different types: false, no error */
    CHECK_EQ_INT(ev("[1, 2] == [2, 1, 1]"), 1);    /* set semantics */
    CHECK_EQ_INT(ev("{a: 1, b: \"x\"} == {b: \"x\", a: 1}"), 1);
    CHECK_EQ_INT(ev("{a: 1} == {a: 1, b: 2}"), 0);
    CHECK_EQ_INT(ev("User::\"alice\" == principal"), 1);
    CHECK_EQ_INT(ev("User::\"bob\" == principal"), 0);
    CHECK_EQ_INT(ev("\"\\n\\t\\\\\\\"\\u{48}\" == \"\\u{a}\\u{9}\\\\\\\"H\""), 1);
    CHECK_EQ_INT(ev("-9223372036854775808 < 0"), 1);
    CHECK_EQ_INT(ev("9223372036854775807 > 0"), 1);
}

TEST(arithmetic_and_overflow)
{
    CHECK_EQ_INT(ev("1 + 2 * 3 == 7"), 1);
    CHECK_EQ_INT(ev("(1 + 2) * 3 == 9"), 1);
    CHECK_EQ_INT(ev("10 - 3 - 2 == 5"), 1);
    CHECK_EQ_INT(ev("-5 + 2 == -3"), 1);
    CHECK_EQ_INT(ev("- -5 == 5"), 1);
    CHECK_EQ_INT(ev("context.n * -2 == -10"), 1);
    CHECK_EQ_INT(ev("9223372036854775807 + 1 == 0"), -1);
    CHECK_EQ_INT(ev("-9223372036854775808 - 1 == 0"), -1);
    CHECK_EQ_INT(ev("4611686018427387904 * 2 == 0"), -1);
    CHECK_EQ_INT(ev("-(-9223372036854775808) == 0"), -1);
    CHECK_EQ_INT(ev("1 + \"a\" == 2"), -1);
    CHECK_EQ_INT(ev("1 + true == 2"), -1);
}

TEST(comparison)
{
    CHECK_EQ_INT(ev("1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3"), 1);
    CHECK_EQ_INT(ev("2 < 1"), 0);
    CHECK_EQ_INT(ev("\"a\" < \"b\""), -1);           /* only longs */
    CHECK_EQ_INT(ev("decimal(\"1.0\") < decimal(\"2.0\")"), -1);
    CHECK_EQ_INT(ev("datetime(\"2024-01-01\") < datetime(\"2024-01-02\")"), 1);
    CHECK_EQ_INT(ev("duration(\"1h\") >= duration(\"60m\")"), 1);
    CHECK_EQ_INT(ev("duration(\"1h\") > datetime(\"2024-01-01\")"), -1);
}

TEST(logic_short_circuit)
{
    CHECK_EQ_INT(ev("false && (1 + \"a\" == 1)"), 0);   /* rhs not evaluated */
    CHECK_EQ_INT(ev("true || (1 + \"a\" == 1)"), 1);
    CHECK_EQ_INT(ev("true && (1 + \"a\" == 1)"), -1);
    CHECK_EQ_INT(ev("!false"), 1);
    CHECK_EQ_INT(ev("!1"), -1);
    CHECK_EQ_INT(ev("1 && true"), -1);
    CHECK_EQ_INT(ev("true && 1"), -1);
    CHECK_EQ_INT(ev("false || 1"), -1);
    CHECK_EQ_INT(ev("true || false && false"), 1);      /* && binds tighter */
    CHECK_EQ_INT(ev("if context.flag then 1 == 1 else 1 + \"x\" == 0"), 1);
    CHECK_EQ_INT(ev("if 1 then true else false"), -1);
    CHECK_EQ_INT(ev("(if false then 1 else 2) == 2"), 1);
}

TEST(has_and_attributes)
{
    CHECK_EQ_INT(ev("principal has age && principal.age == 30"), 1);
    CHECK_EQ_INT(ev("principal has nope"), 0);
    CHECK_EQ_INT(ev("principal.nope == 1"), -1);
    CHECK_EQ_INT(ev("principal has addr.city"), 1);
    CHECK_EQ_INT(ev("principal has addr.zip.code"), 1);
    CHECK_EQ_INT(ev("principal has addr.zip.nope"), 0);
    CHECK_EQ_INT(ev("principal has nope.city"), 0);   /* guarded: no error */
    CHECK_EQ_INT(ev("principal[\"addr\"][\"city\"] == \"Paris\""), 1);
    CHECK_EQ_INT(ev("principal has \"name\""), 1);
    CHECK_EQ_INT(ev("{a: 1} has a && !({a: 1} has b)"), 1);
    CHECK_EQ_INT(ev("{a: 1}.b == 1"), -1);
    CHECK_EQ_INT(ev("User::\"ghost\" has name"), 0);   /* missing entity */
    CHECK_EQ_INT(ev("User::\"ghost\".name == 1"), -1);
    CHECK_EQ_INT(ev("principal.boss == User::\"bob\""), 1);
    CHECK_EQ_INT(ev("resource.owner.name == \"Alice\""), 1);
    CHECK_EQ_INT(ev("1 has a"), -1);
    CHECK_EQ_INT(ev("action has x"), 0);               /* action absent from store */
    CHECK_EQ_INT(ev("context.s == \"str\""), 1);
}

TEST(in_and_hierarchy)
{
    CHECK_EQ_INT(ev("principal in Group::\"staff\""), 1);
    CHECK_EQ_INT(ev("principal in Group::\"all\""), 1);     /* transitive */
    CHECK_EQ_INT(ev("principal in principal"), 1);
    CHECK_EQ_INT(ev("principal in Group::\"other\""), 0);
    CHECK_EQ_INT(ev("principal in [Group::\"x\", Group::\"all\"]"), 1);
    CHECK_EQ_INT(ev("principal in []"), 0);
    CHECK_EQ_INT(ev("User::\"ghost\" in Group::\"all\""), 0);
    CHECK_EQ_INT(ev("User::\"ghost\" in User::\"ghost\""), 1);
    CHECK_EQ_INT(ev("resource in Folder::\"f\""), 1);          /* parent not in store */
    CHECK_EQ_INT(ev("action in Action::\"readers\""), 1);
    CHECK_EQ_INT(ev("principal in [1]"), -1);
    CHECK_EQ_INT(ev("1 in [1]"), -1);
    CHECK_EQ_INT(ev("principal in 1"), -1);
}

TEST(is_operator)
{
    CHECK_EQ_INT(ev("principal is User"), 1);
    CHECK_EQ_INT(ev("principal is Group"), 0);
    CHECK_EQ_INT(ev("principal is User in Group::\"all\""), 1);
    CHECK_EQ_INT(ev("principal is Group in Group::\"all\""), 0);
    CHECK_EQ_INT(ev("principal is User in [Group::\"staff\"]"), 1);
    CHECK_EQ_INT(ev("1 is User"), -1);
    CHECK_EQ_INT(ev("Ns::Sub::T::\"x\" is Ns::Sub::T"), 1);
}

TEST(like_patterns)
{
    CHECK_EQ_INT(ev("\"hello\" like \"h*o\""), 1);
    CHECK_EQ_INT(ev("\"hello\" like \"*\""), 1);
    CHECK_EQ_INT(ev("\"\" like \"*\""), 1);
    CHECK_EQ_INT(ev("\"hello\" like \"h*x\""), 0);
    CHECK_EQ_INT(ev("\"a*b\" like \"a\\*b\""), 1);
    CHECK_EQ_INT(ev("\"axb\" like \"a\\*b\""), 0);
    CHECK_EQ_INT(ev("\"abcabc\" like \"*abc\""), 1);
    CHECK_EQ_INT(ev("\"aaa\" like \"a*a*a\""), 1);
    CHECK_EQ_INT(ev("\"aa\" like \"a*a*a\""), 0);
    CHECK_EQ_INT(ev("\"h\\u{e9}llo\" like \"h?llo\""), 0);
    CHECK_EQ_INT(ev("\"h\\u{e9}llo\" like \"h*llo\""), 1);
    CHECK_EQ_INT(ev("1 like \"*\""), -1);
}

TEST(set_methods)
{
    CHECK_EQ_INT(ev("[1, 2, 3].contains(2)"), 1);
    CHECK_EQ_INT(ev("[1, 2, 3].contains(4)"), 0);
    CHECK_EQ_INT(ev("principal.tags.contains(\"a\")"), 1);
    CHECK_EQ_INT(ev("[1, 2, 3].containsAll([1, 3])"), 1);
    CHECK_EQ_INT(ev("[1, 2, 3].containsAll([1, 4])"), 0);
    CHECK_EQ_INT(ev("[1, 2, 3].containsAll([])"), 1);
    CHECK_EQ_INT(ev("[1, 2, 3].containsAny([4, 3])"), 1);
    CHECK_EQ_INT(ev("[1, 2, 3].containsAny([])"), 0);
    CHECK_EQ_INT(ev("[].isEmpty() && ![1].isEmpty()"), 1);
    CHECK_EQ_INT(ev("[[1], {a: 2}].contains({a: 2})"), 1);
    CHECK_EQ_INT(ev("1.contains(1)"), -1);
    CHECK_EQ_INT(ev("[1].containsAll(1)"), -1);
    CHECK_EQ_INT(ev("\"x\".isEmpty()"), -1);
}

TEST(tags)
{
    CHECK_EQ_INT(ev("principal.hasTag(\"level\") && principal.getTag(\"level\") == \"high\""), 1);
    CHECK_EQ_INT(ev("principal.hasTag(\"nope\")"), 0);
    CHECK_EQ_INT(ev("principal.getTag(\"nope\") == 1"), -1);
    CHECK_EQ_INT(ev("User::\"ghost\".hasTag(\"x\")"), 0);
    CHECK_EQ_INT(ev("User::\"ghost\".getTag(\"x\") == 1"), -1);
    CHECK_EQ_INT(ev("principal.hasTag(1)"), -1);
    CHECK_EQ_INT(ev("{}.hasTag(\"x\")"), -1);
}

TEST(ipaddr_functions)
{
    CHECK_EQ_INT(ev("ip(\"10.0.0.1\") == principal.ip"), 1);
    CHECK_EQ_INT(ev("ip(\"127.0.0.1\").isLoopback()"), 1);
    CHECK_EQ_INT(ev("ip(\"::1\").isLoopback() && ip(\"::1\").isIpv6()"), 1);
    CHECK_EQ_INT(ev("ip(\"10.0.0.1\").isIpv4() && !ip(\"10.0.0.1\").isIpv6()"), 1);
    CHECK_EQ_INT(ev("ip(\"224.1.2.3\").isMulticast()"), 1);
    CHECK_EQ_INT(ev("ip(\"10.1.2.3\").isInRange(ip(\"10.0.0.0/8\"))"), 1);
    CHECK_EQ_INT(ev("ip(\"11.1.2.3\").isInRange(ip(\"10.0.0.0/8\"))"), 0);
    CHECK_EQ_INT(ev("ip(\"not an ip\").isIpv4()"), -1);
    CHECK_EQ_INT(ev("ip(context.s).isIpv4()"), -1);       /* runtime argument */
    CHECK_EQ_INT(ev("ip(1).isIpv4()"), -1);
    CHECK_EQ_INT(ev("ip(\"1.2.3.4\").isInRange(1)"), -1);
    CHECK_EQ_INT(ev("decimal(\"1.0\").isIpv4()"), -1);
}

TEST(decimal_functions)
{
    CHECK_EQ_INT(ev("decimal(\"1.5\").lessThan(decimal(\"2.25\"))"), 1);
    CHECK_EQ_INT(ev("decimal(\"1.5\").lessThanOrEqual(decimal(\"1.5\"))"), 1);
    CHECK_EQ_INT(ev("decimal(\"-1.5\").greaterThan(decimal(\"-2.0\"))"), 1);
    CHECK_EQ_INT(ev("decimal(\"1.5\").greaterThanOrEqual(decimal(\"1.50\"))"), 1);
    CHECK_EQ_INT(ev("decimal(\"1.5\") == decimal(\"1.5000\")"), 1);
    CHECK_EQ_INT(ev("decimal(\"1.23456\") == decimal(\"1.0\")"), -1);
    CHECK_EQ_INT(ev("decimal(\"1.5\").lessThan(1)"), -1);
}

TEST(datetime_duration_functions)
{
    CHECK_EQ_INT(ev("datetime(\"2024-01-01\").offset(duration(\"1d\")) == datetime(\"2024-01-02\")"), 1);
    CHECK_EQ_INT(ev("datetime(\"2024-01-02\").durationSince(datetime(\"2024-01-01\")) == duration(\"24h\")"), 1);
    CHECK_EQ_INT(ev("datetime(\"2024-01-01T10:30:00Z\").toDate() == datetime(\"2024-01-01\")"), 1);
    CHECK_EQ_INT(ev("datetime(\"2024-01-01T10:30:00Z\").toTime() == duration(\"10h30m\")"), 1);
    CHECK_EQ_INT(ev("duration(\"1d2h\").toHours() == 26"), 1);
    CHECK_EQ_INT(ev("duration(\"90s\").toMinutes() == 1"), 1);
    CHECK_EQ_INT(ev("duration(\"1500ms\").toSeconds() == 1"), 1);
    CHECK_EQ_INT(ev("duration(\"2d\").toDays() == 2"), 1);
    CHECK_EQ_INT(ev("duration(\"7ms\").toMilliseconds() == 7"), 1);
    CHECK_EQ_INT(ev("duration(\"x\").toDays() == 0"), -1);
    CHECK_EQ_INT(ev("datetime(\"2024-13-01\") == datetime(\"2024-01-01\")"), -1);
    CHECK_EQ_INT(ev("duration(\"1h\").offset(duration(\"1h\")) == 1"), -1);
}

TEST(records_sets_nesting)
{
    CHECK_EQ_INT(ev("{a: {b: [1, {c: 2}]}}.a.b.contains({c: 2})"), 1);
    CHECK_EQ_INT(ev("{\"key with space\": 1}[\"key with space\"] == 1"), 1);
    CHECK_EQ_INT(ev("[principal, resource].contains(User::\"alice\")"), 1);
}

TEST(decision_semantics)
{
    wr_response r;
    const char *p =
        "permit(principal, action, resource);\n"
        "@id(\"deny-alice\") forbid(principal == User::\"alice\", action, resource) when { true };\n"
        "permit(principal, action, resource) when { 1 + \"x\" == 2 };\n";
    CHECK_EQ_INT(decide_ctx(p, NULL, &r), -1);
    CHECK_EQ_INT(r.allow, 0);
    CHECK_EQ_INT(r.nreason, 1);
    CHECK_EQ_STR(r.reason[0], "deny-alice");
    CHECK_EQ_INT(r.nerror, 1);
    CHECK_EQ_STR(r.error[0], "policy2");
    CHECK(strstr(r.error_msg[0], "type error") != NULL);
    /* permits give the reason when no forbid holds */
    CHECK_EQ_INT(decide_ctx("permit(principal, action, resource);\n"
                            "permit(principal in Group::\"all\", action, resource);", NULL, &r), 1);
    CHECK_EQ_INT(r.nreason, 2);
    /* default deny */
    CHECK_EQ_INT(decide_ctx("permit(principal == User::\"bob\", action, resource);", NULL, &r), 0);
    CHECK_EQ_INT(r.nreason, 0);
    /* an erroring forbid does not deny */
    CHECK_EQ_INT(decide_ctx("permit(principal, action, resource);\n"
                            "forbid(principal, action, resource) when { principal.nope };", NULL, &r), -1);
    CHECK_EQ_INT(r.allow, 1);
    /* unless */
    CHECK_EQ_INT(decide_ctx("permit(principal, action, resource) unless { false };", NULL, &r), 1);
    CHECK_EQ_INT(decide_ctx("permit(principal, action, resource) when { true } unless { true };", NULL, &r), 0);
    /* non-boolean condition */
    CHECK_EQ_INT(decide_ctx("permit(principal, action, resource) when { 1 };", NULL, &r), -1);
}

TEST(scope_constraints)
{
    CHECK_EQ_INT(decide_ctx("permit(principal == User::\"alice\", action == Action::\"read\", resource == Doc::\"d1\");", NULL, NULL), 1);
    CHECK_EQ_INT(decide_ctx("permit(principal in Group::\"all\", action in Action::\"readers\", resource in Folder::\"f\");", NULL, NULL), 1);
    CHECK_EQ_INT(decide_ctx("permit(principal is User, action in [Action::\"x\", Action::\"read\"], resource is Doc);", NULL, NULL), 1);
    CHECK_EQ_INT(decide_ctx("permit(principal is User in Group::\"staff\", action, resource is Doc in Folder::\"f\");", NULL, NULL), 1);
    CHECK_EQ_INT(decide_ctx("permit(principal is Group, action, resource);", NULL, NULL), 0);
    CHECK_EQ_INT(decide_ctx("permit(principal, action == Action::\"write\", resource);", NULL, NULL), 0);
    CHECK_EQ_INT(decide_ctx("permit(principal, action in [Action::\"write\"], resource);", NULL, NULL), 0);
    CHECK_EQ_INT(decide_ctx("permit(principal == User::\"bob\", action, resource);", NULL, NULL), 0);
    CHECK_EQ_INT(decide_ctx("permit(principal, action, resource == Doc::\"d2\");", NULL, NULL), 0);
}

RUN_TESTS(T(literals_and_equality), T(arithmetic_and_overflow), T(comparison),
          T(logic_short_circuit), T(has_and_attributes), T(in_and_hierarchy), T(is_operator),
          T(like_patterns), T(set_methods), T(tags), T(ipaddr_functions), T(decimal_functions),
          T(datetime_duration_functions), T(records_sets_nesting), T(decision_semantics),
          T(scope_constraints))
