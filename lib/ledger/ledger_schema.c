/*
 * ledger_schema.c — versioned schema of the ledger module.  Append steps; never
 * edit a step that has shipped.
 *
 * ledger_entry       one row per entry: its index and exact canonical bytes.
 * ledger_tile        one row per tlog tile, keyed id = level * 2^56 + index:
 *                    width W (1..256) and the hashes of sublevels 0..7
 *                    (W, W/2, ... W/128 hashes; see lib/ledger/ledger.c).
 *                    A rowid key keeps the 16 KiB rows out of a
 *                    WITHOUT ROWID b-tree, which suits small rows only.
 * ledger_checkpoint  the single latest signed checkpoint (size, root, note).
 */
#include "../store/store_internal.h"

static const wr_migration steps[] = {
    {1, "CREATE TABLE ledger_entry(idx INTEGER PRIMARY KEY, data BLOB NOT NULL);"
        "CREATE TABLE ledger_tile(id INTEGER PRIMARY KEY, width INTEGER NOT NULL,"
        " hashes BLOB NOT NULL);"
        "CREATE TABLE ledger_checkpoint(id INTEGER PRIMARY KEY CHECK (id = 1),"
        " size INTEGER NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL);"},
};

const wr_schema_module wr_schema_ledger = {"ledger", steps, sizeof steps / sizeof steps[0]};
