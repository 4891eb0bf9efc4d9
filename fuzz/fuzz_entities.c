/*
 * fuzz_entities.c — libFuzzer target for Cedar entity JSON, parsed both
 * without and with a schema; loaded stores answer a hierarchy query.
 * Whenever jansson also accepts the text, the jansson value must give the
 * same outcome (same error message, or the same decision): text and DOM
 * go through one interpreter, so any difference is a bug.  Except for a
 * text holding a raw NUL byte, which no JSON text can (in a string it must
 * be escaped, and it is no whitespace): the text parser rejects it where
 * it stands, while jansson sometimes reads past it (`[1<NUL>]` loads as
 * [1]), so the DOM path then fails, if at all, somewhere else.
 */
#include "warrant/policy.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
    wr_err err, derr;
    json_t *dom = memchr(data, 0, size) ? NULL
                  : json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    for (int with = 0; with < 2; with++) {
        wr_entities *e = NULL, *d = NULL;
        int rc = wr_entities_parse((const char *)data, size, with ? schema : NULL, &e, &err);
        if (dom && json_is_array(dom)) {
            int drc = wr_entities_from_json(dom, with ? schema : NULL, &d, &derr);
            if (drc != rc || (rc && strcmp(err.msg, derr.msg) != 0))
                abort();
        }
        if (rc != WR_OK)
            continue;
        wr_request req = {"User", "a", "Action", "view", "Group", "g", NULL, NULL};
        wr_response r;
        if (wr_authorize(az, ps, e, &req, &r, &err) != WR_OK)
            abort();
        int allow = r.allow;
        if (d && (wr_authorize(az, ps, d, &req, &r, &err) != WR_OK || r.allow != allow))
            abort();
        wr_entities_free(e);
        wr_entities_free(d);
    }
    json_decref(dom);
    return 0;
}
