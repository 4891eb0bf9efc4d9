/*
 * fuzz_csv.c — the CSV importer's parser and row validation, without a
 * database (wr_inventory_import_check).  The first input byte picks the
 * kind (or lets the header decide), so every column table is exercised.
 */
#include "warrant/inventory.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const kinds[] = {NULL, "identities", "systems", "accounts", "entitlements",
                                        "grants", "credentials", "roles"};
    if (size < 1)
        return 0;
    wr_import_opts o = {0};
    o.format = "csv";
    o.kind = kinds[data[0] % 8];
    o.strict = data[0] & 0x80;
    wr_import_stats st;
    json_t *problems = NULL;
    wr_err err;
    if (wr_inventory_import_check("fuzz.csv", (const char *)data + 1, size - 1, &o, &st, &problems,
                                  &err) == WR_OK && problems && !json_is_array(problems))
        __builtin_trap();
    json_decref(problems);
    return 0;
}
