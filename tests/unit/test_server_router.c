/*
 * test_server_router.c — the server's pure pieces: route matching (404,
 * 405 with Allow, parameters, percent-decoding, the rest-of-path
 * parameter), the OpenAPI document against the route table in both
 * directions, request-body checks, the AuthZEN request parser, the token
 * bucket and the config parser.
 */
#include "check.h"
#include "server/server_internal.h"

#include <stdio.h>
#include <strings.h>

static int match(const char *method, const char *path, size_t *idx, char params[SRV_MAX_PARAMS][SRV_MAX_PARAM],
                 int *np, char *allow)
{
    return srv_route_match(srv_routes, srv_nroutes, 0, method, path, idx, params, np, allow, 64);
}

TEST(router_matches)
{
    size_t idx;
    char p[SRV_MAX_PARAMS][SRV_MAX_PARAM], allow[64];
    int np = -1;
    CHECK_EQ_INT(match("GET", "/healthz", &idx, p, &np, allow), SRV_MATCH);
    CHECK_EQ_STR(srv_routes[idx].pattern, "/healthz");
    CHECK_EQ_INT(np, 0);
    CHECK_EQ_INT(match("POST", "/v1/changes/chg_1/approve", &idx, p, &np, allow), SRV_MATCH);
    CHECK_EQ_STR(srv_routes[idx].pattern, "/v1/changes/{id}/approve");
    CHECK_EQ_INT(np, 1);
    CHECK_EQ_STR(p[0], "chg_1");
    CHECK_EQ_INT(match("GET", "/v1/principals/a%20b", &idx, p, &np, allow), SRV_MATCH);
    CHECK_EQ_STR(p[0], "a b");
    CHECK_EQ_INT(match("GET", "/log/tile/0/x001/234.p/7", &idx, p, &np, allow), SRV_MATCH);
    CHECK_EQ_STR(p[0], "0/x001/234.p/7");
    CHECK_EQ_INT(srv_routes[idx].auth, 0);
}

TEST(router_refuses)
{
    size_t idx;
    char p[SRV_MAX_PARAMS][SRV_MAX_PARAM], allow[64];
    int np;
    CHECK_EQ_INT(match("GET", "/nothing", &idx, p, &np, allow), SRV_NO_PATH);
    CHECK_EQ_INT(match("GET", "/v1/changes/", &idx, p, &np, allow), SRV_NO_PATH);    /* empty param */
    CHECK_EQ_INT(match("GET", "/v1/changes//lineage", &idx, p, &np, allow), SRV_NO_PATH);
    CHECK_EQ_INT(match("GET", "/v1/principals/a%zz", &idx, p, &np, allow), SRV_NO_PATH);
    CHECK_EQ_INT(match("GET", "/v1/principals/a%00b", &idx, p, &np, allow), SRV_NO_PATH);
    CHECK_EQ_INT(match("GET", "/v1/principals/a%2", &idx, p, &np, allow), SRV_NO_PATH);
    CHECK_EQ_INT(match("GET", "/healthz/", &idx, p, &np, allow), SRV_NO_PATH);
    CHECK_EQ_INT(match("GET", "healthz", &idx, p, &np, allow), SRV_NO_PATH);
    CHECK_EQ_INT(match("GET", "", &idx, p, &np, allow), SRV_NO_PATH);
    CHECK_EQ_INT(match("PUT", "/v1/principals", &idx, p, &np, allow), SRV_NO_METHOD);
    CHECK_EQ_STR(allow, "GET, POST");
    CHECK_EQ_INT(match("GET", "/access/v1/evaluation", &idx, p, &np, allow), SRV_NO_METHOD);
    CHECK_EQ_STR(allow, "POST");
    /* the PDP serves only its routes */
    CHECK_EQ_INT(srv_route_match(srv_routes, srv_nroutes, 1, "GET", "/v1/changes", &idx, p, &np, allow, 64),
                 SRV_NO_PATH);
    CHECK_EQ_INT(srv_route_match(srv_routes, srv_nroutes, 1, "POST", "/access/v1/evaluation", &idx, p, &np, allow, 64),
                 SRV_MATCH);
    char longp[1200] = "/v1/principals/";
    memset(longp + 15, 'a', 1100);
    longp[1115] = '\0';
    CHECK_EQ_INT(match("GET", longp, &idx, p, &np, allow), SRV_NO_PATH);
}

/* "{path*}" in the table is "{path}" in OpenAPI (which has no multi-segment parameters). */
static void doc_path(const char *pattern, char *out, size_t n)
{
    snprintf(out, n, "%s", pattern);
    char *star = strstr(out, "*}");
    if (star)
        memmove(star, star + 1, strlen(star + 1) + 1);
}

TEST(openapi_matches_routes)
{
    json_error_t je;
    json_t *doc = json_loads(wr_server_openapi(), 0, &je);
    CHECK(doc != NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    json_t *paths = json_object_get(doc, "paths");
    const wr_route_info *routes;
    size_t n = wr_server_routes(&routes);
    CHECK(n > 20);
    for (size_t i = 0; i < n; i++) {
        char p[256], m[16];
        doc_path(routes[i].pattern, p, sizeof p);
        size_t k = 0;
        for (; routes[i].method[k] && k + 1 < sizeof m; k++)
            m[k] = (char)(routes[i].method[k] - 'A' + 'a');
        m[k] = '\0';
        json_t *op = json_object_get(json_object_get(paths, p), m);
        if (!op)
            fprintf(stderr, "route %s %s is not in docs/openapi.json\n", routes[i].method, routes[i].pattern);
        CHECK(op != NULL);
        /* public routes say so (security: []) and only they */
        json_t *sec = json_object_get(op, "security");
        CHECK_EQ_INT(sec && json_array_size(sec) == 0, !routes[i].auth);
    }
    const char *p;
    json_t *item;
    size_t ops = 0;
    json_object_foreach(paths, p, item) {
        const char *m;
        json_t *op;
        json_object_foreach(item, m, op) {
            int found = 0;
            for (size_t i = 0; i < n; i++) {
                char dp[256];
                doc_path(routes[i].pattern, dp, sizeof dp);
                found |= strcmp(dp, p) == 0 && strcasecmp(routes[i].method, m) == 0;
            }
            if (!found)
                fprintf(stderr, "docs/openapi.json has %s %s, which no route serves\n", m, p);
            CHECK(found);
            ops++;
        }
    }
    CHECK_EQ_INT(ops, n);
    json_decref(doc);
}

TEST(body_checks)
{
    json_t *j = NULL;
    wr_err err = {0};
    CHECK_OK(wr_server_body_parse("{\"a\":1}", 7, 100, &j, &err));
    json_decref(j);
    CHECK_EQ_INT(wr_server_body_parse("{\"a\":", 5, 100, &j, &err), WR_EINVAL);
    CHECK(strstr(err.msg, "column") != NULL);
    CHECK_EQ_INT(wr_server_body_parse("[1]", 3, 100, &j, &err), WR_EINVAL);
    CHECK_EQ_INT(wr_server_body_parse("{\"a\":1,\"a\":2}", 13, 100, &j, &err), WR_EINVAL);
    CHECK_EQ_INT(wr_server_body_parse("{\"actor\":\"x\"}", 13, 100, &j, &err), WR_EINVAL);
    CHECK(strstr(err.msg, "actor") != NULL);
    CHECK_EQ_INT(wr_server_body_parse("{\"as\":\"x\"}", 10, 100, &j, &err), WR_EINVAL);
    CHECK_EQ_INT(wr_server_body_parse("{\"a\":1}", 7, 5, &j, &err), WR_ELIMIT);
    CHECK_EQ_INT(wr_server_body_parse("{\"a\":\"\0\"}", 9, 100, &j, &err), WR_EINVAL);
    CHECK_EQ_INT(wr_server_body_parse("{} x", 4, 100, &j, &err), WR_EINVAL);
}

TEST(authzen_parse)
{
    json_t *item = json_loads("{\"resource\":{\"type\":\"doc\",\"id\":\"2\",\"properties\":{\"k\":1}}}", 0, NULL);
    json_t *def = json_loads("{\"subject\":{\"type\":\"user\",\"id\":\"a\"},\"action\":{\"name\":\"read\","
                             "\"properties\":{\"m\":true}},\"resource\":{\"type\":\"doc\",\"id\":\"1\"},"
                             "\"context\":{\"ip\":\"10.0.0.1\"}}", 0, NULL);
    wr_authzen_req q;
    wr_err err = {0};
    CHECK_OK(wr_authzen_parse(item, def, &q, &err));
    CHECK_EQ_STR(q.subject_type, "user");
    CHECK_EQ_STR(q.resource_id, "2");     /* the item overrides the default */
    CHECK(q.resource_props != NULL);
    CHECK_EQ_STR(q.action, "read");
    CHECK(json_is_true(json_object_get(json_object_get(q.context, "action"), "m")));
    CHECK_EQ_STR(json_string_value(json_object_get(q.context, "ip")), "10.0.0.1");
    wr_authzen_req_clear(&q);
    CHECK(json_object_get(def, "action") && !json_object_get(json_object_get(def, "context"), "action"));
    const char *bad[] = {
        "{\"action\":{\"name\":\"r\"},\"resource\":{\"type\":\"t\",\"id\":\"1\"}}",
        "{\"subject\":{\"type\":\"u\"},\"action\":{\"name\":\"r\"},\"resource\":{\"type\":\"t\",\"id\":\"1\"}}",
        "{\"subject\":{\"type\":\"\",\"id\":\"a\"},\"action\":{\"name\":\"r\"},\"resource\":{\"type\":\"t\",\"id\":\"1\"}}",
        "{\"subject\":{\"type\":\"u\",\"id\":\"a\"},\"action\":\"read\",\"resource\":{\"type\":\"t\",\"id\":\"1\"}}",
        "{\"subject\":{\"type\":\"u\",\"id\":\"a\"},\"action\":{\"name\":\"r\"},\"resource\":{\"type\":\"t\",\"id\":\"1\"},\"context\":[]}",
        "{\"subject\":{\"type\":\"u\",\"id\":\"a\",\"properties\":5},\"action\":{\"name\":\"r\"},\"resource\":{\"type\":\"t\",\"id\":\"1\"}}",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *b = json_loads(bad[i], 0, NULL);
        CHECK_EQ_INT(wr_authzen_parse(b, NULL, &q, &err), WR_EINVAL);
        CHECK(q.context == NULL);
        json_decref(b);
    }
    json_decref(item);
    json_decref(def);
}

TEST(token_bucket)
{
    srv_ratelimit rl;
    CHECK_OK(srv_ratelimit_init(&rl, 2, 3));
    int64_t t = 1000000;
    CHECK(srv_ratelimit_take(&rl, "a", t));
    CHECK(srv_ratelimit_take(&rl, "a", t));
    CHECK(srv_ratelimit_take(&rl, "a", t));
    CHECK(!srv_ratelimit_take(&rl, "a", t));          /* burst spent */
    CHECK(srv_ratelimit_take(&rl, "b", t));           /* another principal */
    CHECK(srv_ratelimit_take(&rl, "a", t + 500000));  /* 2/s: one token after 0.5 s */
    CHECK(!srv_ratelimit_take(&rl, "a", t + 500000));
    CHECK(srv_ratelimit_take(&rl, "a", t + 60000000)); /* refilled, capped at burst */
    CHECK(srv_ratelimit_take(&rl, "a", t + 60000000));
    CHECK(srv_ratelimit_take(&rl, "a", t + 60000000));
    CHECK(!srv_ratelimit_take(&rl, "a", t + 60000000));
    /* more principals than slots: bounded, and still limited */
    char k[32];
    int refused = 0;
    for (int i = 0; i < SRV_RL_SLOTS * 2; i++) {
        snprintf(k, sizeof k, "p%d", i);
        for (int j = 0; j < 5; j++)
            refused += !srv_ratelimit_take(&rl, k, t);
    }
    CHECK(refused > 0);
    srv_ratelimit_free(&rl);
}

TEST(config)
{
    wr_server_config c;
    wr_server_config_init(&c);
    wr_err err = {0};
    CHECK_EQ_INT(c.threads, 2);
    CHECK_OK(wr_server_config_set(&c, "max_body", "4k", &err));
    CHECK_EQ_INT(c.max_body, 4096);
    CHECK_OK(wr_server_config_set(&c, "rate", "2.5", &err));
    CHECK(c.rate == 2.5);
    CHECK_OK(wr_server_config_set(&c, "access_log", "off", &err));
    CHECK_EQ_INT(c.access_log, 0);
    CHECK_EQ_INT(wr_server_config_set(&c, "threads", "0", &err), WR_EINVAL);
    CHECK_EQ_INT(wr_server_config_set(&c, "threads", "2x", &err), WR_EINVAL);
    CHECK_EQ_INT(wr_server_config_set(&c, "nope", "1", &err), WR_EINVAL);
    CHECK_EQ_INT(wr_server_config_set(&c, "max_body", "1", &err), WR_EINVAL);
    const char *dir = test_tmpdir("srvconf");
    char path[4200];
    snprintf(path, sizeof path, "%s/a.conf", dir);
    FILE *f = fopen(path, "w");
    fputs("# comment\n\nlisten = 127.0.0.1:9\n  threads=4  \nbogus\n", f);
    fclose(f);
    CHECK_EQ_INT(wr_server_config_load(&c, path, &err), WR_EINVAL);
    CHECK(strstr(err.msg, "a.conf:5") != NULL);
    CHECK_EQ_STR(c.listen, "127.0.0.1:9");
    CHECK_EQ_INT(c.threads, 4);
    snprintf(path, sizeof path, "%s/b.json", dir);
    f = fopen(path, "w");
    fputs("{\"burst\": 7, \"access_log\": true, \"tls_cert\": \"c.pem\"}", f);
    fclose(f);
    CHECK_OK(wr_server_config_load(&c, path, &err));
    CHECK(c.burst == 7);
    CHECK_EQ_STR(c.tls_cert, "c.pem");
}

RUN_TESTS(T(router_matches), T(router_refuses), T(openapi_matches_routes), T(body_checks), T(authzen_parse),
          T(token_bucket), T(config))
