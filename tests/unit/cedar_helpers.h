/*
 * cedar_helpers.h — shared helpers for the Cedar unit tests: evaluate an
 * expression as the condition of a permit policy against a small entity
 * store, or decide a request against given policy text.
 */
#ifndef WARRANT_TEST_CEDAR_HELPERS_H
#define WARRANT_TEST_CEDAR_HELPERS_H
#include "check.h"
#include "warrant/policy.h"

static const char *test_entities_json =
    "[{\"uid\":{\"type\":\"User\",\"id\":\"alice\"},"
    "  \"attrs\":{\"age\":30,\"name\":\"Alice\",\"tags\":[\"a\",\"b\"],"
    "           \"addr\":{\"city\":\"Paris\",\"zip\":{\"code\":\"75001\"}},"
    "           \"ip\":{\"__extn\":{\"fn\":\"ip\",\"arg\":\"10.0.0.1\"}},"
    "           \"boss\":{\"__entity\":{\"type\":\"User\",\"id\":\"bob\"}}},"
    "  \"parents\":[{\"type\":\"Group\",\"id\":\"staff\"}],"
    "  \"tags\":{\"level\":\"high\"}},"
    " {\"uid\":{\"type\":\"User\",\"id\":\"bob\"},\"attrs\":{},\"parents\":[]},"
    " {\"uid\":{\"type\":\"Group\",\"id\":\"staff\"},\"attrs\":{},"
    "  \"parents\":[{\"type\":\"Group\",\"id\":\"all\"}]},"
    " {\"uid\":{\"type\":\"Group\",\"id\":\"all\"},\"attrs\":{},\"parents\":[]},"
    " {\"uid\":{\"type\":\"Action\",\"id\":\"read\"},\"attrs\":{},"
    "  \"parents\":[{\"type\":\"Action\",\"id\":\"readers\"}]},"
    " {\"uid\":{\"type\":\"Doc\",\"id\":\"d1\"},\"attrs\":{\"owner\":{\"__entity\":"
    "  {\"type\":\"User\",\"id\":\"alice\"}}},\"parents\":[{\"type\":\"Folder\",\"id\":\"f\"}]}]";

/* Decides principal User::alice, action Action::read, resource Doc::d1
 * with the given context JSON (may be NULL).  Returns 1 allow, 0 deny,
 * -1 if a policy errored, -2 if the policy text did not parse. */
static inline int decide_ctx(const char *policies, const char *context, wr_response *resp_out)
{
    static wr_entities *ents;
    static wr_authz *az;
    wr_err err = {0};
    if (!ents && wr_entities_parse(test_entities_json, strlen(test_entities_json), NULL, &ents, &err)) {
        fprintf(stderr, "entities: %s\n", err.msg);
        exit(2);
    }
    if (!az && wr_authz_new(&az))
        exit(2);
    /* the response borrows policy ids: keep the last set until the next call */
    static wr_policy_set *ps;
    wr_policy_set_free(ps);
    ps = NULL;
    if (wr_policy_set_parse(policies, strlen(policies), "t.cedar", &ps, &err))
        return -2;
    json_t *ctx = context ? json_loads(context, 0, NULL) : NULL;
    wr_request req = {"User", "alice", "Action", "read", "Doc", "d1", ctx, NULL};
    wr_response r;
    int rc = wr_authorize(az, ps, ents, &req, &r, &err);
    json_decref(ctx);
    int out = rc ? -3 : r.nerror ? -1 : r.allow;
    if (resp_out)
        *resp_out = r;
    return out;
}

/* 1 if EXPR is true, 0 if false, -1 on an evaluation error, -2 parse error */
static inline int ev(const char *expr)
{
    char buf[8192];
    snprintf(buf, sizeof buf, "permit(principal, action, resource) when { %s };", expr);
    return decide_ctx(buf, "{\"n\": 5, \"s\": \"str\", \"flag\": true}", NULL);
}

/* Parse error message for policy text ("" when it parses). */
static inline const char *parse_err(const char *text)
{
    static wr_err err;
    memset(&err, 0, sizeof err);
    wr_policy_set *ps;
    if (wr_policy_set_parse(text, strlen(text), "p.cedar", &ps, &err) == WR_OK) {
        wr_policy_set_free(ps);
        return "";
    }
    return err.msg;
}
#endif
