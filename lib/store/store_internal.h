/*
 * store_internal.h — the list of per-module schemas the store migrates.
 * Each module defines its wr_schema_module in its own *_schema.c file.
 */
#ifndef WARRANT_STORE_INTERNAL_H
#define WARRANT_STORE_INTERNAL_H
#include "warrant/store.h"

extern const wr_schema_module *const wr_schema_modules[];
extern const size_t wr_schema_module_count;

extern const wr_schema_module wr_schema_ledger;
extern const wr_schema_module wr_schema_inventory;
extern const wr_schema_module wr_schema_workflow;
extern const wr_schema_module wr_schema_server;
extern const wr_schema_module wr_schema_notify;
#endif
