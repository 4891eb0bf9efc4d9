/*
 * fuzz_scim.c — the SCIM 2.0 importer (ListResponse / resources, User,
 * Group, Enterprise User extension) and JSON row mapping, without a
 * database (wr_inventory_import_check).
 */
#include "warrant/inventory.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wr_import_opts o = {0};
    o.format = "scim";
    o.system = size && (data[0] & 1) ? "okta" : NULL;
    wr_import_stats st;
    json_t *problems = NULL;
    wr_err err;
    (void)wr_inventory_import_check("fuzz.json", (const char *)data, size, &o, &st, &problems, &err);
    json_decref(problems);
    o.format = "json";
    (void)wr_inventory_import_check("fuzz.json", (const char *)data, size, &o, &st, NULL, &err);
    return 0;
}
