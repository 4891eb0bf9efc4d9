/*
 * body.c — request bodies: JSON text to a JSON object, with the checks
 * every route shares.  A body must be one JSON object (no trailing data,
 * no duplicate members) within the size cap, and must not name an actor:
 * the actor of a request is always the principal its bearer token is bound
 * to, so a member "actor" or "as" is refused rather than silently ignored
 * (a caller who sends one believes it matters).
 */
#include "server_internal.h"

#include <string.h>

int wr_server_body_parse(const char *data, size_t len, size_t max, json_t **out, wr_err *err)
{
    if (len > max)
        return wr_fail(err, WR_ELIMIT, "request body is %zu bytes; at most %zu accepted", len, max);
    if (memchr(data, '\0', len))
        return wr_fail(err, WR_EINVAL, "request body: NUL byte in JSON text");
    json_error_t je;
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return wr_fail(err, WR_EINVAL, "request body: invalid JSON at line %d column %d: %s", je.line, je.column,
                       je.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return wr_fail(err, WR_EINVAL, "request body: expected a JSON object");
    }
    static const char *const forbidden[] = {"actor", "as"};
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++) {
        if (json_object_get(j, forbidden[i])) {
            json_decref(j);
            return wr_fail(err, WR_EINVAL, "request body: member '%s' is not accepted: the actor is the "
                           "principal of the bearer token", forbidden[i]);
        }
    }
    *out = j;
    return WR_OK;
}
