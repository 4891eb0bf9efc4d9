/*
 * fuzz_schema.c — libFuzzer target for the .cedarschema parser.  A schema
 * that parses is also used to load a small entity store.
 */
#include "warrant/policy.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wr_schema *s;
    wr_err err;
    if (wr_schema_parse((const char *)data, size, "fuzz.cedarschema", &s, &err) != WR_OK)
        return 0;
    static const char ej[] = "[{\"uid\":{\"type\":\"User\",\"id\":\"a\"},\"attrs\":{}}]";
    wr_entities *e;
    if (wr_entities_parse(ej, sizeof ej - 1, s, &e, &err) == WR_OK)
        wr_entities_free(e);
    wr_schema_free(s);
    return 0;
}
