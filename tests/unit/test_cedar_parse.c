/*
 * test_cedar_parse.c — policy parser: errors with exact file:line:col,
 * annotations and ids, templates and links, comments, precedence, and the
 * documented limits (nesting depth, huge literals).
 */
#include "cedar_helpers.h"

#include <stdlib.h>

TEST(parse_errors_have_positions)
{
    CHECK_EQ_STR(parse_err("permit(principal, action, resource)"),
                 "p.cedar:1:36: expected ';', found end of input");
    CHECK_EQ_STR(parse_err("permit(\n  principal,\n  action,\n  resourze\n);"),
                 "p.cedar:4:3: expected resource, found 'resourze'");
    CHECK_EQ_STR(parse_err("allow(principal, action, resource);"),
                 "p.cedar:1:1: expected 'permit' or 'forbid', found 'allow'");
    CHECK_EQ_STR(parse_err("permit(principal, action, resource) when { 1 + };"),
                 "p.cedar:1:48: expected an expression, found '}'");
    CHECK_EQ_STR(parse_err("permit(principal, action, resource) when { \"abc };"),
                 "p.cedar:1:44: unterminated string literal");
    CHECK_EQ_STR(parse_err("permit(principal, action, resource) when { x };"),
                 "p.cedar:1:44: unknown variable 'x'");
    CHECK_EQ_STR(parse_err("permit(principal, action, resource) when { foo(1) };"),
                 "p.cedar:1:44: unknown function 'foo'");
    CHECK_EQ_STR(parse_err("permit(principal, action, resource) when { [].frob() };"),
                 "p.cedar:1:47: unknown method 'frob'");
    CHECK_EQ_STR(parse_err("permit(principal, action, resource) when { [].contains() };"),
                 "p.cedar:1:47: contains expects 1 argument, got 0");
    CHECK_EQ_STR(parse_err("permit(principal, action, resource) when { ip(\"a\", \"b\") };"),
                 "p.cedar:1:44: ip expects 1 argument, got 2");
    CHECK_EQ_STR(parse_err("permit(principal, action, resource) when { \"\\q\" };"),
                 "p.cedar:1:45: invalid escape sequence in string literal");
    CHECK_EQ_STR(parse_err("permit(principal, action, resource) when { {a: 1, a: 2} };"),
                 "p.cedar:1:51: duplicate key 'a' in record literal");
    CHECK_EQ_STR(parse_err("permit(principal, action == User::\"x\", resource);"),
                 "p.cedar:1:29: expected an action entity (type Action), found type 'User'");
    CHECK_EQ_STR(parse_err("permit(principal, action, resource) when { };"),
                 "p.cedar:1:44: empty when condition");
    CHECK_EQ_STR(parse_err("permit(principal == ?resource, action, resource);"),
                 "p.cedar:1:21: slot '?resource' is not allowed in the principal constraint");
    CHECK_EQ_STR(parse_err("permit(principal, action, resource) when { ?principal };"),
                 "p.cedar:1:44: template slot '?principal' may only appear in the policy scope");
    CHECK_EQ_STR(parse_err("@id(\"a\") @id(\"b\") permit(principal, action, resource);"),
                 "p.cedar:1:11: duplicate annotation '@id'");
    CHECK_EQ_STR(parse_err("permit(principal, action, resource) when { 1 = 1 };"),
                 "p.cedar:1:46: '=' is not an operator; use '=='");
    CHECK_EQ_STR(parse_err("permit(principal, action, resource) when { true } # ;"),
                 "p.cedar:1:51: unexpected character");
    /* a duplicate id names the second policy */
    CHECK_EQ_STR(parse_err("@id(\"x\") permit(principal, action, resource);\n"
                           "@id(\"x\") forbid(principal, action, resource);"),
                 "p.cedar:2:1: duplicate policy id \"x\"");
}

TEST(ids_annotations_comments)
{
    const char *t =
        "// leading comment\n"
        "permit(principal, action, resource); // trailing\n"
        "@id(\"named\") @advice(\"read the \\\"docs\\\"\") @flag\n"
        "forbid(principal, action, resource) when { false };\n"
        "permit(principal, action, resource);\n";
    wr_policy_set *ps;
    wr_err err = {0};
    CHECK_OK(wr_policy_set_parse(t, strlen(t), "a.cedar", &ps, &err));
    if (!ps)
        return;
    CHECK_EQ_INT(wr_policy_set_count(ps), 3);
    CHECK_EQ_INT(wr_policy_effect(ps, "policy0"), 1);
    CHECK_EQ_INT(wr_policy_effect(ps, "named"), 0);
    CHECK_EQ_INT(wr_policy_effect(ps, "policy2"), 1);   /* numbering by position */
    CHECK_EQ_INT(wr_policy_effect(ps, "policy1"), -1);
    CHECK_EQ_STR(wr_policy_annotation(ps, "named", "advice"), "read the \"docs\"");
    CHECK_EQ_STR(wr_policy_annotation(ps, "named", "flag"), "");
    CHECK(wr_policy_annotation(ps, "named", "none") == NULL);
    CHECK(wr_policy_annotation(ps, "nope", "id") == NULL);
    /* a second file continues to number per file; duplicate ids fail */
    const char *t2 = "permit(principal, action, resource);";
    CHECK(wr_policy_set_add(ps, t2, strlen(t2), "b.cedar", &err) != WR_OK);
    CHECK(strstr(err.msg, "duplicate policy id \"policy0\"") != NULL);
    CHECK_EQ_INT(wr_policy_set_count(ps), 3);   /* rolled back */
    const char *t3 = "@id(\"b0\") permit(principal, action, resource);";
    CHECK_OK(wr_policy_set_add(ps, t3, strlen(t3), "b.cedar", &err));
    CHECK_EQ_INT(wr_policy_set_count(ps), 4);
    wr_policy_set_free(ps);
}

TEST(templates_and_links)
{
    const char *t =
        "@id(\"t1\") @note(\"tmpl\")\n"
        "permit(principal == ?principal, action == Action::\"read\", resource in ?resource);\n";
    wr_policy_set *ps;
    wr_err err = {0};
    CHECK_OK(wr_policy_set_parse(t, strlen(t), "t.cedar", &ps, &err));
    if (!ps)
        return;
    wr_entities *ents;
    CHECK_OK(wr_entities_parse(test_entities_json, strlen(test_entities_json), NULL, &ents, &err));
    wr_authz *az;
    CHECK_OK(wr_authz_new(&az));
    wr_request req = {"User", "alice", "Action", "read", "Doc", "d1", NULL, NULL};
    wr_response r;
    CHECK_OK(wr_authorize(az, ps, ents, &req, &r, &err));
    CHECK_EQ_INT(r.allow, 0); /* an unlinked template is never evaluated */
    CHECK_OK(wr_policy_set_link(ps, "t1", "l1", "User", "alice", "Folder", "f", &err));
    CHECK_OK(wr_authorize(az, ps, ents, &req, &r, &err));
    CHECK_EQ_INT(r.allow, 1);
    CHECK_EQ_INT(r.nreason, 1);
    CHECK_EQ_STR(r.reason[0], "l1");
    CHECK_EQ_STR(wr_policy_annotation(ps, "l1", "note"), "tmpl");
    CHECK_OK(wr_policy_set_link(ps, "t1", "l2", "User", "bob", "Folder", "f", &err));
    CHECK_OK(wr_authorize(az, ps, ents, &req, &r, &err));
    CHECK_EQ_INT(r.nreason, 1);
    CHECK(wr_policy_set_link(ps, "t1", "l1", "User", "x", "Folder", "f", &err) != WR_OK);
    CHECK(wr_policy_set_link(ps, "nope", "l3", "User", "x", "Folder", "f", &err) == WR_ENOTFOUND);
    CHECK(wr_policy_set_link(ps, "l1", "l3", "User", "x", "Folder", "f", &err) != WR_OK);
    CHECK(wr_policy_set_link(ps, "t1", "l4", NULL, NULL, "Folder", "f", &err) != WR_OK);
    CHECK_EQ_INT(wr_policy_set_count(ps), 3);
    wr_authz_free(az);
    wr_entities_free(ents);
    wr_policy_set_free(ps);
}

TEST(precedence)
{
    CHECK_EQ_INT(ev("1 + 2 * 3 == 7 && !false || false"), 1);
    CHECK_EQ_INT(ev("!true || true"), 1);           /* (!true) || true */
    CHECK_EQ_INT(ev("-2 * 3 == -6"), 1);
    CHECK_EQ_INT(ev("2 - 3 - 4 == -5"), 1);           /* left associative */
    CHECK_EQ_INT(ev("if true then false else true || true"), 0);
    CHECK_EQ_INT(ev("principal has age && principal.age + 1 == 31"), 1);
    CHECK_EQ_INT(ev("[1,2,].contains(2)"), 1);        /* trailing comma in a set */
}

static char *repeat(const char *pre, const char *mid, const char *post, int n)
{
    size_t a = strlen(pre), b = strlen(mid), c = strlen(post);
    char *s = malloc(a + b * (size_t)n + c + 1), *p = s;
    memcpy(p, pre, a), p += a;
    for (int i = 0; i < n; i++)
        memcpy(p, mid, b), p += b;
    memcpy(p, post, c + 1);
    return s;
}

TEST(limits)
{
    /* nesting at the limit parses; beyond fails with ELIMIT and a position */
    char *ok = repeat("permit(principal, action, resource) when { ", "(", "", 100);
    char *ok2 = repeat(ok, "", "", 0);
    size_t l = strlen(ok2);
    ok2 = realloc(ok2, l + 100 * 1 + 20);
    strcpy(ok2 + l, "true");
    for (int i = 0; i < 100; i++)
        strcat(ok2, ")");
    strcat(ok2, " };");
    CHECK_EQ_STR(parse_err(ok2), "");
    free(ok);
    free(ok2);
    char *deep = repeat("permit(principal, action, resource) when { ", "(", "true };", 10000);
    wr_policy_set *ps;
    wr_err err = {0};
    CHECK_EQ_INT(wr_policy_set_parse(deep, strlen(deep), "d.cedar", &ps, &err), WR_ELIMIT);
    CHECK(strstr(err.msg, "d.cedar:1:") == err.msg);
    CHECK(strstr(err.msg, "nesting deeper than 128") != NULL);
    free(deep);
    char *nots = repeat("permit(principal, action, resource) when { ", "!", "true };", 5000);
    CHECK_EQ_INT(wr_policy_set_parse(nots, strlen(nots), "d.cedar", &ps, &err), WR_ELIMIT);
    free(nots);
    /* long flat chains are bounded by the AST height limit, not the stack */
    char *chain = repeat("permit(principal, action, resource) when { 0", " + 1", " == 0 };", 200000);
    CHECK_EQ_INT(wr_policy_set_parse(chain, strlen(chain), "c.cedar", &ps, &err), WR_ELIMIT);
    CHECK(strstr(err.msg, "too deep") != NULL);
    free(chain);
    char *ch2 = repeat("permit(principal, action, resource) when { 0", " + 1", " == 500 };", 500);
    CHECK_EQ_STR(parse_err(ch2), "");
    CHECK_EQ_INT(ev(ch2 + strlen("permit(principal, action, resource) when { ")) , -2); /* sanity: not an expr */
    free(ch2);
    char *sum = repeat("", "1 + ", "0 == 500", 500);
    CHECK_EQ_INT(ev(sum), 1);
    free(sum);
    /* huge literals */
    CHECK(strstr(parse_err("permit(principal, action, resource) when { 9223372036854775808 == 0 };"),
                 "out of range") != NULL);
    CHECK(strstr(parse_err("permit(principal, action, resource) when { -9223372036854775809 == 0 };"),
                 "out of range") != NULL);
    CHECK(strstr(parse_err("permit(principal, action, resource) when { 99999999999999999999999999 == 0 };"),
                 "p.cedar:1:44:") != NULL);
    char *bigs = repeat("permit(principal, action, resource) when { \"", "x", "\" like \"x*\" };", 1 << 20);
    CHECK_EQ_STR(parse_err(bigs), "");
    free(bigs);
    char *bigset = repeat("permit(principal, action, resource) when { [", "1,", "1].contains(1) };", 100000);
    CHECK_EQ_STR(parse_err(bigset), "");
    free(bigset);
}

TEST(bad_input_never_crashes)
{
    static const char *const bad[] = {
        "", "permit", "permit(", "permit(principal", "permit(principal ==", "permit(principal == User",
        "permit(principal == User::", "permit(principal in ?principal, action in [", "@", "@id(",
        "@id(\"x\"", "permit(principal, action, resource) when", "permit(principal, action, resource) when {",
        "forbid(principal is, action, resource);", "permit(principal, action in [Action::\"a\",], resource);",
        "permit(principal, action, resource) when { principal. };",
        "permit(principal, action, resource) when { principal[1] };",
        "permit(principal, action, resource) when { has };", "\xff\xfe", "permit(principal, action, resource) when { \"\\u{110000}\" };",
        "permit(principal, action, resource) when { \"\\u{d800}\" };",
        "permit(principal, action, resource) when { if true then 1 };",
        "permit(principal, action, resource) when { principal like 1 };",
        "permit(principal, action, resource) when { principal is 1 };",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *m = parse_err(bad[i]);
        if (bad[i][0] == '\0') {
            CHECK_EQ_STR(m, ""); /* an empty file is an empty set */
            continue;
        }
        if (strncmp(m, "p.cedar:", 8) != 0)
            fprintf(stderr, "input %zu parsed: %s\n", i, bad[i]);
        CHECK(strncmp(m, "p.cedar:", 8) == 0);
    }
}

RUN_TESTS(T(parse_errors_have_positions), T(ids_annotations_comments), T(templates_and_links),
          T(precedence), T(limits), T(bad_input_never_crashes))
