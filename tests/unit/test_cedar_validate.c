/*
 * test_cedar_validate.c — the schema validator's type inference
 * (lib/policy/validate.c): each kind of type error Cedar's strict
 * typechecker reports is rejected with file:line:col and a clear message,
 * and well-typed policies (including guarded optional attributes) pass.
 */
#include "check.h"
#include "warrant/policy.h"

#include <string.h>

static const char *schema_text =
    "type Address = { city: String, zip?: String };\n"
    "entity Group;\n"
    "entity User in [Group] = { age: Long, name: String, nick?: String,\n"
    "                           addr: Address, friends: Set<User>, tags: Set<String> };\n"
    "entity Doc = { owner: User, level: Long, src: ipaddr, price: decimal } tags String;\n"
    "action read appliesTo { principal: [User], resource: [Doc],\n"
    "                        context: { ip: ipaddr, depth?: Long } };\n";

static wr_schema *schema(void)
{
    static wr_schema *s;
    wr_err err = {0};
    if (!s && wr_schema_parse(schema_text, strlen(schema_text), "s.cedarschema", &s, &err)) {
        fprintf(stderr, "schema: %s\n", err.msg);
        exit(2);
    }
    return s;
}

/* Validates `permit (principal, action == Action::"read", resource) when { COND };`
 * (the condition starts at line 2, column 8).  Returns the error message,
 * or "" when the policy validates. */
static const char *check_cond(const char *cond)
{
    static char msg[1024];
    char text[2048];
    snprintf(text, sizeof text, "permit (principal, action == Action::\"read\", resource)\nwhen { %s };\n",
             cond);
    wr_policy_set *ps = NULL;
    wr_err err = {0};
    if (wr_policy_set_parse(text, strlen(text), "p.cedar", &ps, &err)) {
        snprintf(msg, sizeof msg, "PARSE: %s", err.msg);
        return msg;
    }
    int rc = wr_policy_set_validate(ps, schema(), &err);
    snprintf(msg, sizeof msg, "%s", rc ? err.msg : "");
    wr_policy_set_free(ps);
    return msg;
}

#define REJECTS(cond, where, what) do { \
    const char *m_ = check_cond(cond); \
    CHECK(strncmp(m_, where, strlen(where)) == 0); \
    CHECK(strstr(m_, what) != NULL); \
    if (strncmp(m_, where, strlen(where)) || !strstr(m_, what)) \
        fprintf(stderr, "  for %s: got \"%s\"\n", cond, m_); \
} while (0)

TEST(well_typed_policies_pass)
{
    CHECK_EQ_STR(check_cond("principal.age + 1 > 3"), "");
    CHECK_EQ_STR(check_cond("resource.owner == principal && principal in Group::\"g\""), "");
    CHECK_EQ_STR(check_cond("principal has nick && principal.nick like \"a*\""), "");
    CHECK_EQ_STR(check_cond("if principal has nick then principal.nick == \"x\" else false"), "");
    CHECK_EQ_STR(check_cond("principal.addr has zip && principal.addr.zip == \"75001\""), "");
    CHECK_EQ_STR(check_cond("context has depth && context.depth < 3"), "");
    CHECK_EQ_STR(check_cond("context.ip.isInRange(ip(\"10.0.0.0/8\"))"), "");
    CHECK_EQ_STR(check_cond("resource.price.lessThan(decimal(\"1.5\"))"), "");
    CHECK_EQ_STR(check_cond("principal.friends.contains(resource.owner)"), "");
    CHECK_EQ_STR(check_cond("principal in principal.friends"), "");
    CHECK_EQ_STR(check_cond("resource.hasTag(\"k\") && resource.getTag(\"k\") == \"v\""), "");
    CHECK_EQ_STR(check_cond("{a: 1}.a == 1"), "");
}

TEST(arithmetic_operand_types)
{
    REJECTS("principal.age + \"x\" > 1", "p.cedar:2:24:", "'+' expects Long, found String");
    REJECTS("-principal.name == 1", "p.cedar:2:19:", "unary '-' expects Long, found String");
    REJECTS("principal.name < 3", "p.cedar:2:23:", "comparison needs two Longs");
}

TEST(equality_across_types)
{
    REJECTS("resource.owner == 3", "p.cedar:2:23:", "'==' compares Entity with Long");
    REJECTS("principal.name != true", "p.cedar:2:23:", "'!=' compares String with Bool");
}

TEST(unknown_attributes_nested_records)
{
    REJECTS("principal.addr.country == \"FR\"", "p.cedar:2:23:",
            "attribute 'country' is not declared for record");
    REJECTS("resource.owner.salary > 1", "p.cedar:2:23:", "attribute 'salary' is not declared for User");
}

TEST(optional_attributes_need_has)
{
    REJECTS("principal.nick == \"x\"", "p.cedar:2:18:", "attribute 'nick' of User is optional");
    REJECTS("principal.addr.zip == \"1\"", "p.cedar:2:23:", "attribute 'zip' of record is optional");
    REJECTS("context.depth > 1", "p.cedar:2:16:", "attribute 'depth' of record is optional");
    /* the guard only covers the right side of && and the then branch */
    REJECTS("principal has nick || principal.nick == \"x\"", "p.cedar:2:40:", "optional");
    REJECTS("if principal has nick then true else principal.nick == \"x\"", "p.cedar:2:55:",
            "optional");
}

TEST(in_needs_entities)
{
    REJECTS("principal.age in Group::\"g\"", "p.cedar:2:18:", "'in' expects Entity, found Long");
    REJECTS("principal in principal.tags", "p.cedar:2:31:", "a set of entities, found a set of String");
    REJECTS("principal in 3", "p.cedar:2:21:", "'in' expects an entity or a set of entities, found Long");
}

TEST(methods_on_wrong_types)
{
    REJECTS("principal.age.contains(1)", "p.cedar:2:18:", "method contains expects Set, found Long");
    REJECTS("principal.name.isIpv4()", "p.cedar:2:18:", "method isIpv4 expects ipaddr, found String");
    REJECTS("resource.price.lessThan(3)", "p.cedar:2:32:", "method lessThan expects decimal, found Long");
    REJECTS("principal.getTag(\"k\") == \"v\"", "p.cedar:2:18:", "entity type User has no tags");
    REJECTS("ip(principal.age).isIpv4()", "p.cedar:2:21:", "ip expects String, found Long");
}

TEST(boolean_operators_and_conditions)
{
    REJECTS("principal.age && true", "p.cedar:2:18:", "'&&' expects Bool, found Long");
    REJECTS("!principal.name", "p.cedar:2:19:", "'!' expects Bool, found String");
    REJECTS("principal.age", "p.cedar:2:18:", "a when condition expects Bool, found Long");
    REJECTS("(if true then 1 else \"a\") == 1", "p.cedar:2:9:", "branches have types Long and String");
    REJECTS("principal.age like \"a*\"", "p.cedar:2:18:", "'like' expects String, found Long");
}

TEST(message_names_file_and_policy)
{
    const char *m = check_cond("principal.age + \"x\" > 1");
    CHECK(strstr(m, "policy policy0:") != NULL);
}

RUN_TESTS(T(well_typed_policies_pass), T(arithmetic_operand_types), T(equality_across_types), T(unknown_attributes_nested_records), T(optional_attributes_need_has), T(in_needs_entities), T(methods_on_wrong_types), T(boolean_operators_and_conditions), T(message_names_file_and_policy))
