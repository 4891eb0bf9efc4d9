/*
 * ledger_schema.c — versioned schema of the ledger module.  Append steps; never
 * edit a step that has shipped.
 */
#include "../store/store_internal.h"

static const wr_migration steps[] = {
    {1, "CREATE TABLE IF NOT EXISTS ledger_placeholder(id INTEGER PRIMARY KEY);"},
};

const wr_schema_module wr_schema_ledger = {"ledger", steps, sizeof steps / sizeof steps[0]};
