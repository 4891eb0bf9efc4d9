/*
 * test_policy_entities_json.c — the entity JSON decoder (lib/policy/jtree.c
 * feeding entities.c): text decoded by yajl and jansson values walked into
 * the same tree must give identical stores; every decoding error names its
 * JSON path; limits hold.
 */
#include "check.h"
#include "policy/cedar.h"
#include "warrant/policy.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static int parse_text(const char *json, const wr_schema *s, wr_entities **e, wr_err *err)
{
    return wr_entities_parse(json, strlen(json), s, e, err);
}

/* Every node of a, looked up in b, has the same attributes, tags, parents. */
static bool stores_equal(const wr_entities *a, const wr_entities *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const cnode *x = &a->nodes[i];
        const cnode *y = centities_get(b, x->ty, x->id, x->idn);
        if (!y || x->present != y->present || x->nparents != y->nparents ||
            !cv_equal(&x->attrs, &y->attrs) || !x->tags != !y->tags ||
            (x->tags && !cv_equal(x->tags, y->tags)))
            return false;
        for (uint32_t k = 0; k < x->nparents; k++) {
            const cnode *px = &a->nodes[x->parents[k]], *py = &b->nodes[y->parents[k]];
            if (px->idn != py->idn || strcmp(px->ty, py->ty) || memcmp(px->id, py->id, px->idn))
                return false;
        }
    }
    return true;
}

/* Text and the jansson value of the same text give equal stores. */
static bool text_and_dom_agree(const char *json, const wr_schema *s)
{
    wr_err err = {0};
    wr_entities *a = NULL, *b = NULL;
    json_t *j = json_loads(json, JSON_ALLOW_NUL, NULL);
    bool ok = j && parse_text(json, s, &a, &err) == WR_OK &&
              wr_entities_from_json(j, s, &b, &err) == WR_OK && stores_equal(a, b) && stores_equal(b, a);
    if (!ok)
        fprintf(stderr, "text/DOM disagree on %s: %s\n", json, err.msg);
    json_decref(j);
    wr_entities_free(a);
    wr_entities_free(b);
    return ok;
}

static const cnode *node(const wr_entities *e, const char *ty, const char *id)
{
    return centities_get(e, ty, id, strlen(id));
}

TEST(escapes_and_key_order)
{
    /* keys in any order (attrs and parents before uid), escapes in ids,
     * keys and values, \u0000 inside a value */
    const char *j =
        "[{\"attrs\":{\"na\\u006de\":\"caf\\u00e9 \\ud83d\\ude00\",\"q\":\"a\\\"b\\\\c\\n\",\"z\":\"x\\u0000y\"},"
        "\"parents\":[{\"__entity\":{\"id\":\"g\\/1\",\"type\":\"G\"}}],\"uid\":{\"id\":\"u\\t1\",\"type\":\"U\"}},"
        "{\"uid\":{\"type\":\"G\",\"id\":\"g/1\"},\"tags\":{\"t\\u0031\":[1,-2,{\"__extn\":{\"arg\":\"10.0.0.1\",\"fn\":\"ip\"}}]}}]";
    wr_entities *e = NULL;
    wr_err err = {0};
    CHECK_OK(parse_text(j, NULL, &e, &err));
    const cnode *u = node(e, "U", "u\t1");
    CHECK(u != NULL);
    if (u) {
        const cv *name = cv_rec_get(&u->attrs, "name");
        CHECK(name && name->k == CV_STR && name->u.s.n == 10 && memcmp(name->u.s.p, "caf\xc3\xa9 \xf0\x9f\x98\x80", 10) == 0);
        const cv *q = cv_rec_get(&u->attrs, "q");
        CHECK(q && q->u.s.n == 6 && memcmp(q->u.s.p, "a\"b\\c\n", 6) == 0);
        const cv *z = cv_rec_get(&u->attrs, "z");
        CHECK(z && z->u.s.n == 3 && memcmp(z->u.s.p, "x\0y", 3) == 0);
        CHECK_EQ_INT(u->nparents, 1);
        CHECK_EQ_STR(e->nodes[u->parents[0]].id, "g/1");
    }
    const cnode *g = node(e, "G", "g/1");
    CHECK(g && g->present && g->tags);
    if (g && g->tags) {
        const cv *t1 = cv_rec_get(g->tags, "t1");
        CHECK(t1 && t1->k == CV_SET && t1->u.set.n == 3 && t1->u.set.v[1].u.i == -2 &&
              t1->u.set.v[2].k == CV_IP);
    }
    wr_entities_free(e);
    CHECK(text_and_dom_agree(j, NULL));
}

TEST(integers)
{
    wr_entities *e = NULL;
    wr_err err = {0};
    CHECK_OK(parse_text("[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"max\":9223372036854775807,"
                        "\"min\":-9223372036854775808,\"z\":-0}}]", NULL, &e, &err));
    const cnode *a = e ? node(e, "T", "a") : NULL;
    CHECK(a && cv_rec_get(&a->attrs, "max")->u.i == INT64_MAX);
    CHECK(a && cv_rec_get(&a->attrs, "min")->u.i == INT64_MIN);
    CHECK(a && cv_rec_get(&a->attrs, "z")->u.i == 0);
    wr_entities_free(e);
    static const struct { const char *json, *msg; } bad[] = {
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"x\":9223372036854775808}}]",
         "entities[0].attrs.x: integer 9223372036854775808 is out of Cedar's 64-bit range"},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"x\":[-9223372036854775809]}}]",
         "entities[0].attrs.x[0]: integer -9223372036854775809 is out of"},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"x\":99999999999999999999999999}}]", "out of Cedar's"},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"x\":1e3}}]", "entities[0].attrs.x: floating-point"},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"x\":1.0}}]", "entities[0].attrs.x: floating-point"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(&err, 0, sizeof err);
        CHECK_EQ_INT(parse_text(bad[i].json, NULL, &e, &err), WR_EINVAL);
        if (!strstr(err.msg, bad[i].msg))
            fprintf(stderr, "integers case %zu: got '%s'\n", i, err.msg);
        CHECK(strstr(err.msg, bad[i].msg) != NULL);
    }
}

TEST(decoding_errors_name_the_path)
{
    static const struct { const char *json, *msg; int code; } bad[] = {
        /* duplicate keys: entity level, uid object, attrs, nested, a large object */
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"uid\":{\"type\":\"T\",\"id\":\"b\"}}]",
         "entities[0]: duplicate key \"uid\"", WR_EINVAL},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\",\"id\":\"b\"}}]", "entities[0].uid: duplicate key \"id\"", WR_EINVAL},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"x\":1,\"y\":2,\"x\":3}}]",
         "entities[0].attrs: duplicate key \"x\"", WR_EINVAL},
        {"[{},{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"r\":{\"k\\u0031\":1,\"k1\":2}}}]",
         "entities[0]: missing \"uid\"", WR_EINVAL},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"r\":[{\"k\\u0031\":1,\"k1\":2}]}}]",
         "entities[0].attrs.r[0]: duplicate key \"k1\"", WR_EINVAL},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"tags\":{\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1,\"f\":1,\"g\":1,"
         "\"h\":1,\"i\":1,\"j\":1,\"k\":1,\"l\":1,\"m\":1,\"n\":1,\"e\":2}}]",
         "entities[0].tags: duplicate key \"e\"", WR_EINVAL},
        /* invalid UTF-8, grammar, trailing garbage, truncation, empty */
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"\xff\"}}]", "entities JSON:1:", WR_EINVAL},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"\xc3\"}}]", "UTF8", WR_EINVAL},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"}}] x", "entities JSON:1:", WR_EINVAL},
        {"[] []", "entities JSON:1:", WR_EINVAL},
        {"[{\"uid\":{\"type\":\"T\",\n\"id\":\"a\"}", "entities JSON:2:", WR_EINVAL},
        {"", "entities JSON", WR_EINVAL},
        {"[{'uid':1}]", "entities JSON:1:", WR_EINVAL},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"}} /* c */]", "entities JSON:1:", WR_EINVAL},
        /* UTF-16 surrogate escapes must pair up (yajl alone would decode them to '?') */
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\\ud800\"}}]", "entities[0].uid: invalid UTF-16 surrogate", WR_EINVAL},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\\ud800\\u0041\"}}]", "invalid UTF-16 surrogate", WR_EINVAL},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"\\\"\\udc00\":1}}]",
         "entities[0].attrs: invalid UTF-16 surrogate", WR_EINVAL},
        /* keys with NUL, types */
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"a\\u0000b\":1}}]",
         "entities[0].attrs: object key contains NUL", WR_EINVAL},
        {"[{\"uid\":{\"type\":\"T\\u0000U\",\"id\":\"a\"}}]", "entities[0].uid: invalid entity type name", WR_EINVAL},
        {"[{\"uid\":{\"type\":\"\",\"id\":\"a\"}}]", "entities[0].uid: invalid entity type name", WR_EINVAL},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"parents\":{}}]", "entities[0].parents: expected an array", WR_EINVAL},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":[]}]", "entities[0].attrs: expected an object", WR_EINVAL},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"tags\":1}]", "entities[0].tags: expected an object", WR_EINVAL},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"parents\":[{\"type\":\"T\",\"id\":\"b\"},{\"type\":1,\"id\":\"c\"}]}]",
         "entities[0].parents[1]: entity reference needs", WR_EINVAL},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"x y\":{\"__extn\":{\"fn\":\"decimal\"}}}}]",
         "entities[0].attrs.x y: __extn needs", WR_EINVAL},
        {"[{\"uid\":{\"type\":\"T\",\"id\":\"a\"}},{\"uid\":{\"type\":\"T\",\"id\":\"b\"},\"attrs\":{\"s\":[true,null]}}]",
         "entities[1].attrs.s[1]: null is not a Cedar value", WR_EINVAL},
        {"{\"uid\":{\"type\":\"T\",\"id\":\"a\"}}", "entities: expected a JSON array", WR_EINVAL},
        {"\"x\"", "entities: expected a JSON array", WR_EINVAL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        wr_err err = {0};
        wr_entities *e = NULL;
        int rc = parse_text(bad[i].json, NULL, &e, &err);
        CHECK_EQ_INT(rc, bad[i].code);
        if (!strstr(err.msg, bad[i].msg))
            fprintf(stderr, "decoding case %zu: got '%s'\n", i, err.msg);
        CHECK(strstr(err.msg, bad[i].msg) != NULL);
        CHECK(e == NULL);
    }
}

TEST(nesting_limits)
{
    /* within the limit: 120 nested records in an attribute (records:
     * nested singleton sets would make the store comparison exponential) */
    wr_buf ok = WR_BUF_INIT, deep = WR_BUF_INIT, huge = WR_BUF_INIT;
    CHECK_OK(wr_buf_puts(&ok, "[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"x\":"));
    for (int i = 0; i < 120; i++)
        CHECK_OK(wr_buf_puts(&ok, "{\"r\":"));
    CHECK_OK(wr_buf_puts(&ok, "1"));
    for (int i = 0; i < 120; i++)
        CHECK_OK(wr_buf_puts(&ok, "}"));
    CHECK_OK(wr_buf_puts(&ok, "}}]"));
    wr_entities *e = NULL;
    wr_err err = {0};
    CHECK_OK(wr_entities_parse(ok.data, ok.len, NULL, &e, &err));
    wr_entities_free(e);
    CHECK(text_and_dom_agree(ok.data, NULL));
    /* just past the value limit: reported by the interpreter with the path */
    CHECK_OK(wr_buf_puts(&deep, "[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"x\":"));
    for (int i = 0; i < 130; i++)
        CHECK_OK(wr_buf_puts(&deep, "["));
    for (int i = 0; i < 130; i++)
        CHECK_OK(wr_buf_puts(&deep, "]"));
    CHECK_OK(wr_buf_puts(&deep, "}}]"));
    CHECK_EQ_INT(wr_entities_parse(deep.data, deep.len, NULL, &e, &err), WR_ELIMIT);
    CHECK(strstr(err.msg, "entities[0].attrs.x[0][0]") != NULL && strstr(err.msg, "nested deeper than 128"));
    json_t *dj = json_loads(deep.data, 0, NULL);
    CHECK(dj != NULL);
    CHECK_EQ_INT(wr_entities_from_json(dj, NULL, &e, &err), WR_ELIMIT);
    json_decref(dj);
    /* far past it (deeper than jansson itself would go): stopped while
     * decoding, without recursion */
    CHECK_OK(wr_buf_puts(&huge, "[{\"uid\":{\"type\":\"T\",\"id\":\"a\"},\"attrs\":{\"x\":"));
    for (int i = 0; i < 100000; i++)
        CHECK_OK(wr_buf_puts(&huge, "["));
    memset(&err, 0, sizeof err);
    CHECK_EQ_INT(wr_entities_parse(huge.data, huge.len, NULL, &e, &err), WR_ELIMIT);
    CHECK(strstr(err.msg, "entities[0].attrs.x[0]") != NULL);
    wr_buf_free(&ok);
    wr_buf_free(&deep);
    wr_buf_free(&huge);
}

static const char schema_text[] =
    "entity G;\n"
    "entity U in [G] { name: String, age?: Long, ip?: ipaddr, when?: datetime, boss?: U,\n"
    "                  prefs?: { theme: String, sizes?: Set<Long> } } tags String;\n"
    "action read appliesTo { principal: U, resource: G, context: { n?: Long } };\n";

TEST(text_and_dom_give_identical_stores)
{
    wr_schema *s = NULL;
    wr_err err = {0};
    CHECK_OK(wr_schema_parse(schema_text, strlen(schema_text), "s", &s, &err));
    static const char *docs[] = {
        "[]",
        "[{\"uid\":{\"type\":\"U\",\"id\":\"a\"},\"attrs\":{\"name\":\"A\",\"age\":3,\"ip\":\"10.0.0.0/8\","
        "\"when\":\"2024-01-02\",\"boss\":{\"type\":\"U\",\"id\":\"b\"},\"prefs\":{\"sizes\":[3,1],\"theme\":\"x\"}},"
        "\"parents\":[{\"type\":\"G\",\"id\":\"g\"}],\"tags\":{\"k\":\"v\"}},"
        "{\"parents\":[],\"uid\":{\"__entity\":{\"type\":\"U\",\"id\":\"b\"}},\"attrs\":{\"name\":\"B\"},\"tags\":null},"
        "{\"uid\":{\"type\":\"G\",\"id\":\"g\"},\"attrs\":null,\"parents\":null}]",
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        CHECK(text_and_dom_agree(docs[i], s));
        CHECK(text_and_dom_agree(docs[i], NULL));
    }
    /* the same errors, with the same paths, from both inputs */
    static const char *bad[] = {
        "[{\"uid\":{\"type\":\"U\",\"id\":\"a\"},\"attrs\":{\"name\":\"A\",\"prefs\":{\"sizes\":[1]}}}]",
        "[{\"uid\":{\"type\":\"U\",\"id\":\"a\"},\"attrs\":{\"name\":\"A\",\"age\":\"3\"}}]",
        "[{\"uid\":{\"type\":\"U\",\"id\":\"a\"},\"attrs\":{\"name\":\"A\",\"boss\":{\"type\":\"G\",\"id\":\"g\"}}}]",
        "[{\"uid\":{\"type\":\"U\",\"id\":\"a\"},\"attrs\":{\"name\":\"A\"},\"tags\":{\"k\":1}}]",
        "[{\"uid\":{\"type\":\"G\",\"id\":\"g\"}},{\"uid\":{\"type\":\"X\",\"id\":\"g\"}}]",
    };
    static const char *want[] = {
        "entities[0].attrs.prefs: required attribute 'theme' is missing",
        "entities[0].attrs.age: expected an integer, found string",
        "entities[0].attrs.boss: entity of type G where the schema expects U",
        "entities[0].tags.k: expected a string, found integer",
        "entities[1].uid: entity type X is not declared in the schema",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        wr_err e1 = {0}, e2 = {0};
        wr_entities *e = NULL;
        json_t *j = json_loads(bad[i], 0, NULL);
        CHECK_EQ_INT(parse_text(bad[i], s, &e, &e1), WR_EINVAL);
        CHECK_EQ_INT(wr_entities_from_json(j, s, &e, &e2), WR_EINVAL);
        CHECK_EQ_STR(e1.msg, want[i]);
        CHECK_EQ_STR(e2.msg, want[i]);
        json_decref(j);
    }
    /* decisions agree too: the same request against both stores */
    const char *doc = docs[1];
    json_t *j = json_loads(doc, 0, NULL);
    wr_entities *et = NULL, *ed = NULL;
    wr_policy_set *ps = NULL;
    wr_authz *az = NULL;
    const char *pol = "permit(principal in G::\"g\", action, resource) when { principal.prefs.sizes.contains(3) "
                      "&& principal.ip.isInRange(ip(\"10.0.0.0/8\")) && principal.boss.name == \"B\" "
                      "&& principal.getTag(\"k\") == \"v\" && context.n == 7 };";
    CHECK_OK(parse_text(doc, s, &et, &err));
    CHECK_OK(wr_entities_from_json(j, s, &ed, &err));
    CHECK_OK(wr_policy_set_parse(pol, strlen(pol), "p", &ps, &err));
    CHECK_OK(wr_authz_new(&az));
    json_t *ctx = json_pack("{s:i}", "n", 7);
    wr_request req = {"U", "a", "Action", "read", "G", "g", ctx, s};
    wr_response r1, r2;
    CHECK_OK(wr_authorize(az, ps, et, &req, &r1, &err));
    int a1 = r1.allow;
    CHECK_OK(wr_authorize(az, ps, ed, &req, &r2, &err));
    CHECK_EQ_INT(a1, 1);
    CHECK_EQ_INT(r2.allow, 1);
    /* the context goes through the same interpreter: its errors name context.* */
    json_t *bctx = json_pack("{s:s}", "n", "7");
    wr_request breq = {"U", "a", "Action", "read", "G", "g", bctx, s};
    CHECK_EQ_INT(wr_authorize(az, ps, et, &breq, &r1, &err), WR_EINVAL);
    CHECK_EQ_STR(err.msg, "context.n: expected an integer, found string");
    json_decref(bctx);
    json_decref(ctx);
    json_decref(j);
    wr_authz_free(az);
    wr_policy_set_free(ps);
    wr_entities_free(et);
    wr_entities_free(ed);
    wr_schema_free(s);
}

TEST(many_entities_stream)
{
    /* more entities than the first size guess, with escaped strings that
     * must survive the per-entity reset of the string arena */
    wr_buf b = WR_BUF_INIT;
    CHECK_OK(wr_buf_puts(&b, "["));
    for (int i = 0; i < 5000; i++)
        CHECK_OK(wr_buf_printf(&b, "%s{\"uid\":{\"type\":\"T\\u0031\",\"id\":\"e\\u00e9%d\"},\"attrs\":{\"k\\u00e9\":\"v\\n%d\"},"
                                   "\"parents\":[{\"type\":\"T1\",\"id\":\"e\xc3\xa9%d\"}]}",
                               i ? "," : "", i, i, i / 2));
    CHECK_OK(wr_buf_puts(&b, "]"));
    wr_entities *e = NULL;
    wr_err err = {0};
    CHECK_OK(wr_entities_parse(b.data, b.len, NULL, &e, &err));
    CHECK(e && e->n == 5000);
    const cnode *x = e ? node(e, "T1", "e\xc3\xa9" "4321") : NULL;
    CHECK(x && x->nparents == 1);
    const cv *v = x ? cv_rec_get(&x->attrs, "k\xc3\xa9") : NULL;
    CHECK(v && v->u.s.n == 6 && memcmp(v->u.s.p, "v\n4321", 6) == 0);
    CHECK(x && strcmp(e->nodes[x->parents[0]].id, "e\xc3\xa9" "2160") == 0);
    wr_entities_free(e);
    CHECK(text_and_dom_agree(b.data, NULL));
    wr_buf_free(&b);
}

RUN_TESTS(T(escapes_and_key_order), T(integers), T(decoding_errors_name_the_path), T(nesting_limits),
          T(text_and_dom_give_identical_stores), T(many_entities_stream))
