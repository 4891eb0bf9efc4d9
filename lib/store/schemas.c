/*
 * schemas.c — the order in which module schemas are migrated.  Inventory
 * comes before workflow because governed changes reference its objects;
 * the ledger has no foreign keys and goes last.
 */
#include "store_internal.h"

const wr_schema_module *const wr_schema_modules[] = {
    &wr_schema_inventory,
    &wr_schema_workflow,
    &wr_schema_ledger,
    &wr_schema_server,   /* bearer tokens of `warrant serve` */
    &wr_schema_notify,   /* webhooks (cursors into the log) */
};
const size_t wr_schema_module_count = sizeof wr_schema_modules / sizeof wr_schema_modules[0];
