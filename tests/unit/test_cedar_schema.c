/*
 * test_cedar_schema.c — schema parser, schema-driven interpretation of
 * entity and context JSON, entity JSON escapes and errors, cyclic and
 * deep hierarchies.
 */
#include "cedar_helpers.h"

static const char *schema_text =
    "// photo app\n"
    "namespace App {\n"
    "  type Addr = { city: String, zip?: String };\n"
    "  @doc(\"a user\")\n"
    "  entity User in [Group] = { name: String, age?: Long, addr: Addr, ip: ipaddr,\n"
    "                             score: decimal, roles: Set<String>, boss?: User };\n"
    "  entity Group;\n"
    "  entity Doc in Folder { owner: User, \"created at\": datetime } tags String;\n"
    "  entity Folder;\n"
    "  entity Color enum [\"red\", \"green\"];\n"
    "  action \"all\";\n"
    "  action read, write in [\"all\"] appliesTo {\n"
    "    principal: [User], resource: [Doc, Folder],\n"
    "    context: { src: ipaddr, level: decimal, ttl?: duration, when: datetime }\n"
    "  };\n"
    "}\n";

static wr_schema *load_schema(void)
{
    wr_schema *s = NULL;
    wr_err err = {0};
    if (wr_schema_parse(schema_text, strlen(schema_text), "s.cedarschema", &s, &err))
        fprintf(stderr, "schema: %s\n", err.msg);
    return s;
}

static const char *ents_text =
    "[{\"uid\":{\"type\":\"App::User\",\"id\":\"alice\"},"
    "  \"attrs\":{\"name\":\"Alice\",\"addr\":{\"city\":\"Oslo\"},\"ip\":\"10.1.1.1\","
    "            \"score\":\"0.75\",\"roles\":[\"admin\"],\"boss\":{\"type\":\"App::User\",\"id\":\"bob\"}},"
    "  \"parents\":[{\"type\":\"App::Group\",\"id\":\"g\"}]},"
    " {\"uid\":{\"type\":\"App::User\",\"id\":\"bob\"},\"attrs\":{\"name\":\"Bob\",\"addr\":{\"city\":\"X\"},"
    "   \"ip\":{\"__extn\":{\"fn\":\"ip\",\"arg\":\"::1\"}},\"score\":\"1.0\",\"roles\":[]},\"parents\":[]},"
    " {\"uid\":{\"type\":\"App::Doc\",\"id\":\"d\"},\"attrs\":{\"owner\":{\"__entity\":{\"type\":\"App::User\",\"id\":\"alice\"}},"
    "   \"created at\":\"2024-05-01T12:00:00Z\"},\"parents\":[{\"type\":\"App::Folder\",\"id\":\"f\"}],"
    "   \"tags\":{\"color\":\"red\"}}]";

static int decide_schema(const char *pol, const char *action, const char *ctx, wr_response *r,
                         wr_err *err)
{
    static wr_authz *az;
    wr_schema *s = load_schema();
    wr_entities *e = NULL;
    wr_policy_set *ps = NULL;
    if (!az && wr_authz_new(&az))
        return -9;
    if (!s || wr_entities_parse(ents_text, strlen(ents_text), s, &e, err) ||
        wr_policy_set_parse(pol, strlen(pol), "p.cedar", &ps, err)) {
        wr_schema_free(s);
        wr_entities_free(e);
        return -8;
    }
    json_t *c = ctx ? json_loads(ctx, 0, NULL) : NULL;
    wr_request req = {"App::User", "alice", "App::Action", action, "App::Doc", "d", c, s};
    int rc = wr_authorize(az, ps, e, &req, r, err);
    json_decref(c);
    wr_policy_set_free(ps);
    wr_entities_free(e);
    wr_schema_free(s);
    return rc ? -7 : r->nerror ? -1 : r->allow;
}

static const char *good_ctx =
    "{\"src\":\"192.168.0.1\",\"level\":\"2.5\",\"when\":\"2024-05-02\",\"ttl\":\"1h\"}";

TEST(schema_parses)
{
    wr_schema *s = load_schema();
    CHECK(s != NULL);
    wr_schema_free(s);
    static const struct { const char *text, *msg; } bad[] = {
        {"entity A = { x: Nope };", "s:1:17: unknown type 'Nope'"},
        {"entity A;\nentity A;", "s:2:8: entity type A declared twice"},
        {"entity A in [B];", "unknown entity type 'B'"},
        {"entity A {\n  x: Long,\n  x: String };", "s:3:3: duplicate attribute 'x'"},
        {"type T = T;\nentity A { t: T };", "refers to itself"},
        {"action a in [\"nope\"];", "undeclared action group"},
        {"action a appliesTo { principal: [X] };", "unknown entity type 'X'"},
        {"action a appliesTo { context: Long };", "must be a record type"},
        {"entity A", "s:1:9: expected ';', found end of input"},
        {"entiti A;", "s:1:1: expected 'entity', 'action', 'type' or 'namespace', found 'entiti'"},
        {"namespace N { namespace M {} }", "s:1:15:"},
        {"entity C enum [];", "expected an enum value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wr_err err = {0};
        wr_schema *x = NULL;
        CHECK(wr_schema_parse(bad[i].text, strlen(bad[i].text), "s", &x, &err) != WR_OK);
        if (!strstr(err.msg, bad[i].msg))
            fprintf(stderr, "schema case %zu: got '%s', want '%s'\n", i, err.msg, bad[i].msg);
        CHECK(strstr(err.msg, bad[i].msg) != NULL);
        CHECK(x == NULL);
    }
    /* common types, Set nesting, __cedar:: names, quoted names and annotations */
    const char *ok = "type L = Long; entity E = { a: Set<Set<L>>, b: __cedar::String, \"q q\"?: Bool };"
                     " action \"do it\" appliesTo { principal: E, resource: E, context: {} };";
    wr_err err = {0};
    CHECK_OK(wr_schema_parse(ok, strlen(ok), "s", &s, &err));
    wr_schema_free(s);
}

TEST(schema_driven_json)
{
    wr_response r;
    wr_err err = {0};
    /* strings become ipaddr / decimal / datetime / duration per the schema */
    CHECK_EQ_INT(decide_schema("permit(principal, action, resource) when {"
                               " principal.ip.isInRange(ip(\"10.0.0.0/8\")) &&"
                               " principal.score.lessThan(decimal(\"0.8\")) &&"
                               " resource[\"created at\"] < context.when &&"
                               " context.src.isIpv4() && context.level.greaterThan(decimal(\"2.0\")) &&"
                               " context.ttl == duration(\"60m\") &&"
                               " resource.owner == principal && principal.boss.ip.isLoopback() &&"
                               " resource.getTag(\"color\") == \"red\" && principal has addr.city &&"
                               " !(principal has addr.zip) && !(principal has age) };",
                               "read", good_ctx, &r, &err), 1);
    /* action groups from the schema */
    CHECK_EQ_INT(decide_schema("permit(principal, action in App::Action::\"all\", resource);", "write",
                               good_ctx, &r, &err), 1);
    CHECK_EQ_INT(decide_schema("permit(principal in App::Group::\"g\", action == App::Action::\"read\","
                               " resource in App::Folder::\"f\");", "read", good_ctx, &r, &err), 1);
    /* context that does not match the schema is a request error */
    CHECK_EQ_INT(decide_schema("permit(principal, action, resource);", "read",
                               "{\"src\":\"nope\",\"level\":\"2.5\",\"when\":\"2024-05-02\"}", &r, &err), -7);
    CHECK(strstr(err.msg, "context.src") != NULL);
    CHECK_EQ_INT(decide_schema("permit(principal, action, resource);", "read",
                               "{\"src\":\"1.2.3.4\",\"when\":\"2024-05-02\"}", &r, &err), -7);
    CHECK(strstr(err.msg, "required attribute 'level'") != NULL);
    CHECK_EQ_INT(decide_schema("permit(principal, action, resource);", "read",
                               "{\"src\":\"1.2.3.4\",\"level\":2,\"when\":\"2024-05-02\"}", &r, &err), -7);
    CHECK_EQ_INT(decide_schema("permit(principal, action, resource);", "nope", good_ctx, &r, &err), -7);
    CHECK(strstr(err.msg, "not declared") != NULL);
}

static int load_ents(const char *json, const wr_schema *s, wr_err *err)
{
    wr_entities *e = NULL;
    int rc = wr_entities_parse(json, strlen(json), s, &e, err);
    wr_entities_free(e);
    return rc;
}

TEST(entity_json_errors)
{
    wr_schema *s = load_schema();
    wr_err err = {0};
    static const struct { const char *json, *msg; } bad[] = {
        {"{}", "expected a JSON array"},
        {"[1]", "entities[0]: expected an object"},
        {"[{\"attrs\":{}}]", "entities[0]: missing \"uid\""},
        {"[{\"uid\":{\"type\":\"T\"}}]", "entities[0].uid: entity reference needs"},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"x\":1.5}}]", "entities[0].attrs.x: floating-point"},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"x\":null}}]", "entities[0].attrs.x: null"},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"x\":{\"__extn\":{\"fn\":\"nope\",\"arg\":\"1\"}}}}]",
         "unknown extension function"},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"x\":{\"__extn\":{\"fn\":\"ip\",\"arg\":\"1.2.3\"}}}}]",
         "entities[0].attrs.x: invalid ip literal"},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"}},{\"uid\":{\"type\":\"T\",\"id\":\"a\"}}]", "duplicate entity"},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"parents\":[1]}]", "entities[0].parents[0]"},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"extra\":1}]", "unexpected field \"extra\""},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"x\":{\"__expr\":\"1\"}}}]", "__expr"},
        {"[", "entities JSON:1:"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        CHECK(load_ents(bad[i].json, NULL, &err) != WR_OK);
        if (!strstr(err.msg, bad[i].msg))
            fprintf(stderr, "entities case %zu: got '%s'\n", i, err.msg);
        CHECK(strstr(err.msg, bad[i].msg) != NULL);
    }
    /* schema checks */
    static const struct { const char *json, *msg; } sbad[] = {
        {"[{\"uid\":{\"type\":\"Nope\",\"id\":\"a\"}}]", "not declared in the schema"},
        {"[{\"uid\":{\"type\":\"App::Color\",\"id\":\"blue\"}}]", "enumerated"},
        {"[{\"uid\":{\"type\":\"App::Folder\",\"id\":\"f\"},\"tags\":{\"a\":\"b\"}}]", "does not allow tags"},
        {"[{\"uid\":{\"type\":\"App::User\",\"id\":\"u\"},\"attrs\":{\"name\":1}}]", "attrs.name: expected a string"},
        {"[{\"uid\":{\"type\":\"App::User\",\"id\":\"u\"},\"attrs\":{\"name\":\"n\"}}]", "required attribute 'addr'"},
        {"[{\"uid\":{\"type\":\"App::Doc\",\"id\":\"d\"},\"attrs\":{\"owner\":{\"type\":\"App::Doc\",\"id\":\"x\"},"
         "\"created at\":\"2024-01-01\"}}]", "entity of type App::Doc where the schema expects App::User"},
    };
    for (size_t i = 0; i < sizeof sbad / sizeof sbad[0]; i++) {
        memset(&err, 0, sizeof err);
        CHECK(load_ents(sbad[i].json, s, &err) != WR_OK);
        if (!strstr(err.msg, sbad[i].msg))
            fprintf(stderr, "schema entities case %zu: got '%s'\n", i, err.msg);
        CHECK(strstr(err.msg, sbad[i].msg) != NULL);
    }
    CHECK_OK(load_ents("[{\"uid\":{\"type\":\"App::Color\",\"id\":\"red\"}}]", s, &err));
    wr_schema_free(s);
}

TEST(cyclic_and_deep_hierarchies)
{
    const char *cyc =
        "[{\"uid\":{\"type\":\"G\",\"id\":\"a\"},\"parents\":[{\"type\":\"G\",\"id\":\"b\"}]},"
        " {\"uid\":{\"type\":\"G\",\"id\":\"b\"},\"parents\":[{\"type\":\"G\",\"id\":\"c\"}]},"
        " {\"uid\":{\"type\":\"G\",\"id\":\"c\"},\"parents\":[{\"type\":\"G\",\"id\":\"a\"}]},"
        " {\"uid\":{\"type\":\"G\",\"id\":\"self\"},\"parents\":[{\"type\":\"G\",\"id\":\"self\"}]}]";
    wr_entities *e;
    wr_err err = {0};
    CHECK_OK(wr_entities_parse(cyc, strlen(cyc), NULL, &e, &err));
    wr_policy_set *ps;
    const char *p = "permit(principal in G::\"c\", action, resource in G::\"a\");";
    CHECK_OK(wr_policy_set_parse(p, strlen(p), "p", &ps, &err));
    wr_authz *az;
    CHECK_OK(wr_authz_new(&az));
    wr_request req = {"G", "a", "Action", "x", "G", "b", NULL, NULL};
    wr_response r;
    CHECK_OK(wr_authorize(az, ps, e, &req, &r, &err));
    CHECK_EQ_INT(r.allow, 1);
    wr_request req2 = {"G", "self", "Action", "x", "G", "b", NULL, NULL};
    CHECK_OK(wr_authorize(az, ps, e, &req2, &r, &err));
    CHECK_EQ_INT(r.allow, 0);
    wr_entities_free(e);
    /* a 3000-level chain: the closure is computed without recursion */
    wr_buf b = WR_BUF_INIT;
    CHECK_OK(wr_buf_puts(&b, "["));
    for (int i = 0; i < 3000; i++)
        CHECK_OK(wr_buf_printf(&b, "%s{\"uid\":{\"type\":\"G\",\"id\":\"n%d\"},\"parents\":[{\"type\":\"G\",\"id\":\"n%d\"}]}",
                               i ? "," : "", i, i + 1));
    CHECK_OK(wr_buf_puts(&b, "]"));
    CHECK_OK(wr_entities_parse(b.data, b.len, NULL, &e, &err));
    wr_request req3 = {"G", "n0", "Action", "x", "G", "a", NULL, NULL};
    const char *p2 = "permit(principal in G::\"n3000\", action, resource);";
    wr_policy_set *ps2;
    CHECK_OK(wr_policy_set_parse(p2, strlen(p2), "p", &ps2, &err));
    CHECK_OK(wr_authorize(az, ps2, e, &req3, &r, &err));
    CHECK_EQ_INT(r.allow, 1);
    wr_buf_free(&b);
    wr_entities_free(e);
    wr_policy_set_free(ps2);
    /* JSON nesting beyond the limit */
    wr_buf d = WR_BUF_INIT;
    CHECK_OK(wr_buf_puts(&d, "[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"x\":"));
    for (int i = 0; i < 200; i++)
        CHECK_OK(wr_buf_puts(&d, "["));
    for (int i = 0; i < 200; i++)
        CHECK_OK(wr_buf_puts(&d, "]"));
    CHECK_OK(wr_buf_puts(&d, "}}]"));
    CHECK_EQ_INT(wr_entities_parse(d.data, d.len, NULL, &e, &err), WR_ELIMIT);
    wr_buf_free(&d);
    wr_authz_free(az);
    wr_policy_set_free(ps);
}

RUN_TESTS(T(schema_parses), T(schema_driven_json), T(entity_json_errors),
          T(cyclic_and_deep_hierarchies))
