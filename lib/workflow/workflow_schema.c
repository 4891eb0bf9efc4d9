/*
 * workflow_schema.c — versioned schema of the workflow module.  Append steps; never
 * edit a step that has shipped.
 */
#include "../store/store_internal.h"

static const wr_migration steps[] = {
    {1, "CREATE TABLE IF NOT EXISTS workflow_placeholder(id INTEGER PRIMARY KEY);"},
};

const wr_schema_module wr_schema_workflow = {"workflow", steps, sizeof steps / sizeof steps[0]};
