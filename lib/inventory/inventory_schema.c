/*
 * inventory_schema.c — versioned schema of the inventory module.  Append steps; never
 * edit a step that has shipped.
 */
#include "../store/store_internal.h"

static const wr_migration steps[] = {
    {1, "CREATE TABLE IF NOT EXISTS inventory_placeholder(id INTEGER PRIMARY KEY);"},
};

const wr_schema_module wr_schema_inventory = {"inventory", steps, sizeof steps / sizeof steps[0]};
