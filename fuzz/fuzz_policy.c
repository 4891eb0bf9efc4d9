/*
 * fuzz_policy.c — libFuzzer target for the Cedar policy parser.  Inputs
 * that parse are also evaluated against a fixed request, so the evaluator
 * is exercised on whatever expressions the fuzzer finds.
 */
#include "warrant/policy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static wr_entities *ents;
    static wr_authz *az;
    static const char ej[] =
        "[{\"uid\":{\"type\":\"User\",\"id\":\"a\"},\"attrs\":{\"n\":1,\"s\":\"x\"},"
        "\"parents\":[{\"type\":\"Group\",\"id\":\"g\"}],\"tags\":{\"t\":\"v\"}}]";
    if (!ents && wr_entities_parse(ej, sizeof ej - 1, NULL, &ents, NULL))
        abort();
    if (!az && wr_authz_new(&az))
        abort();
    wr_policy_set *ps;
    wr_err err;
    if (wr_policy_set_parse((const char *)data, size, "fuzz.cedar", &ps, &err) != WR_OK)
        return 0;
    size_t n = wr_policy_set_count(ps);
    (void)n;
    if (wr_policy_set_link(ps, "policy0", "link0", "User", "a", "Group", "g", &err) != WR_OK)
        err.msg[0] = 0;
    json_t *ctx = json_pack("{s:i,s:s}", "n", 5, "s", "str");
    wr_request req = {"User", "a", "Action", "view", "Group", "g", ctx, NULL};
    wr_response r;
    if (wr_authorize(az, ps, ents, &req, &r, &err) == WR_OK) {
        for (size_t i = 0; i < r.nerror; i++)
            if (!r.error[i] || !r.error_msg[i])
                abort();
    }
    json_decref(ctx);
    wr_policy_set_free(ps);
    return 0;
}
