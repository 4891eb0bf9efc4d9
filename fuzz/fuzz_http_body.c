/*
 * fuzz_http_body.c — request-body parsing of `warrant serve`: the JSON ->
 * request layer (wr_server_body_parse: size cap, object only, no actor)
 * and the AuthZEN request parser (wr_authzen_parse), both as a single
 * evaluation and as an item over top-level defaults, the way
 * /access/v1/evaluations uses it.
 */
#include "warrant.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = NULL;
    wr_err err = {0};
    if (wr_server_body_parse((const char *)data, size, 1u << 20, &body, &err) != WR_OK)
        return 0;
    wr_authzen_req q;
    if (wr_authzen_parse(body, NULL, &q, &err) == WR_OK)
        wr_authzen_req_clear(&q);
    json_t *evs = json_object_get(body, "evaluations"), *item;
    size_t i;
    json_array_foreach(evs, i, item) {
        if (wr_authzen_parse(item, body, &q, &err) == WR_OK)
            wr_authzen_req_clear(&q);
    }
    json_decref(body);
    return 0;
}
