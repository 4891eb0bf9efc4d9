/*
 * fuzz_entities.c — libFuzzer target for Cedar entity JSON, parsed both
 * without and with a schema; loaded stores answer a hierarchy query.
 */
#include "warrant/policy.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static wr_schema *schema;
    static wr_policy_set *ps;
    static wr_authz *az;
    static const char st[] =
        "entity Group; entity User in [Group] = { n?: Long, ip?: ipaddr, d?: decimal, "
        "r?: { a: Set<String> }, b?: User } tags String;"
        "action view appliesTo { principal: User, resource: Group, context: {} };";
    static const char pt[] =
        "permit(principal in Group::\"g\", action, resource) when { principal has n && principal.n > 1 };";
    if (!schema && wr_schema_parse(st, sizeof st - 1, "s", &schema, NULL))
        abort();
    if (!ps && wr_policy_set_parse(pt, sizeof pt - 1, "p", &ps, NULL))
        abort();
    if (!az && wr_authz_new(&az))
        abort();
    wr_err err;
    for (int with = 0; with < 2; with++) {
        wr_entities *e;
        if (wr_entities_parse((const char *)data, size, with ? schema : NULL, &e, &err) != WR_OK)
            continue;
        wr_request req = {"User", "a", "Action", "view", "Group", "g", NULL, NULL};
        wr_response r;
        if (wr_authorize(az, ps, e, &req, &r, &err) != WR_OK)
            abort();
        wr_entities_free(e);
    }
    return 0;
}
