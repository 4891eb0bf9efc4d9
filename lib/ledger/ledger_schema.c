/*
 * ledger_schema.c — versioned schema of the ledger module.  Append steps; never
 * edit a step that has shipped.
 *
 * ledger_entry       one row per entry: its index and exact canonical bytes.
 * ledger_subtile     (since step 2) one row per stored tile of height 4,
 *                    keyed by lg_tile_rowid (ledger_internal.h; the key
 *                    layout changed in step 3): width W
 *                    (1..16) and the hashes of sublevels 0..3 (W, W/2,
 *                    W/4, W/8 hashes; see lib/ledger/ledger.c).  A full
 *                    row is 960 bytes, one b-tree page: a proof reads one
 *                    row per 4 tree levels.
 * ledger_tile        (step 1 only) one row per tlog tile of height 8, keyed
 *                    id = level * 2^56 + index: width W (1..256) and the
 *                    hashes of sublevels 0..7 (W, W/2, ... W/128) — a 16 KiB
 *                    row, a 4-page overflow chain per proof.
 * ledger_checkpoint  the single latest signed checkpoint (size, root, note).
 *
 * Step 2 converts ledger_tile into ledger_subtile in SQL: tlog tile (L, N)
 * of width W becomes its lower subtiles k = 0 ... (level 2L, index 16N+k:
 * old sublevels 0..3 from hash k*16>>r on, width min(16, W-16k)) and its
 * upper subtile (k = 16: level 2L+1, index N: old sublevels 4..7, width
 * W/16, stored if W >= 16).  o_r is the byte offset of old sublevel r.
 * Rows are produced in key order (old tiles in rowid order, k innermost:
 * CROSS JOIN fixes the loop order), so the new b-tree is filled by appends.
 * `||` of blobs yields text with the same bytes; CAST makes it a blob
 * again.  The old rows are dropped (the file keeps its size; SQLite reuses
 * the free pages for later appends).
 *
 * Step 3 changes the row ids of ledger_subtile from step 2's
 * L << 60 | N << 5 | k (tile level 2L or 2L+1, see above) to a range per
 * tile level, level 0 last (S << 56 | n, level 0 as 16 << 56 | n), so that
 * the tiles above level 0 can be read with one range scan.  Updating the
 * keys in place would collide (old ids of L = 1 are new ids of level 0)
 * and insert in random order, so the rows are copied into a new table one
 * level at a time: the rows of level S are those of old range L = S/2 with
 * k = 16 (odd S) or k < 16 (even S), in old-id order, which is index order
 * and so new-id order; levels 1 ... 15, then 0, so every insert appends to
 * the end of the b-tree.  Then the old table is dropped and the new one
 * takes its name.
 */
#include "../store/store_internal.h"

#define LG_O(r) "32 * (" r ")"
#define LG_SUB(off, start, count) "substr(h, 1 + " off " + 32 * (" start "), 32 * (" count "))"

/* Step 3: the rows of tile level S, at old range L = S/2. */
#define LG_N55 "((id >> 5) & 36028797018963967)"   /* N: 55 bits below L */
#define LG_FROM_OLD(L, kcond) " FROM ledger_subtile WHERE id >= (" L " << 60) AND id < ((" L " + 1) << 60)" \
    " AND (id & 31) " kcond " ORDER BY id;"
#define LG_MOVE_ODD(S, L) "INSERT INTO ledger_subtile3(id, width, hashes) SELECT" \
    " ((" S " << 56) | " LG_N55 "), width, hashes" LG_FROM_OLD(L, "= 16")
#define LG_MOVE_EVEN(S, L) "INSERT INTO ledger_subtile3(id, width, hashes) SELECT" \
    " ((" S " << 56) | (" LG_N55 " << 4) | (id & 15)), width, hashes" LG_FROM_OLD(L, "< 16")

static const wr_migration steps[] = {
    {1, "CREATE TABLE ledger_entry(idx INTEGER PRIMARY KEY, data BLOB NOT NULL);"
        "CREATE TABLE ledger_tile(id INTEGER PRIMARY KEY, width INTEGER NOT NULL,"
        " hashes BLOB NOT NULL);"
        "CREATE TABLE ledger_checkpoint(id INTEGER PRIMARY KEY CHECK (id = 1),"
        " size INTEGER NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL);", 0},
    {2, "CREATE TABLE ledger_subtile(id INTEGER PRIMARY KEY, width INTEGER NOT NULL,"
        " hashes BLOB NOT NULL);"
        "INSERT INTO ledger_subtile(id, width, hashes)"
        " WITH RECURSIVE part(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM part WHERE k < 16),"
        " t AS (SELECT id >> 56 AS lv, id & 72057594037927935 AS n, width AS w, hashes AS h FROM ledger_tile),"
        " o AS (SELECT *, " LG_O("w") " AS o1, " LG_O("w + (w >> 1)") " AS o2,"
        "  " LG_O("w + (w >> 1) + (w >> 2)") " AS o3,"
        "  " LG_O("w + (w >> 1) + (w >> 2) + (w >> 3)") " AS o4,"
        "  " LG_O("w + (w >> 1) + (w >> 2) + (w >> 3) + (w >> 4)") " AS o5,"
        "  " LG_O("w + (w >> 1) + (w >> 2) + (w >> 3) + (w >> 4) + (w >> 5)") " AS o6,"
        "  " LG_O("w + (w >> 1) + (w >> 2) + (w >> 3) + (w >> 4) + (w >> 5) + (w >> 6)") " AS o7"
        "  FROM t),"
        " p AS (SELECT o.*, k, min(16, w - 16 * k) AS wk FROM o CROSS JOIN part"
        "  WHERE (k = 16 AND w >= 16) OR (k < 16 AND w > 16 * k))"
        " SELECT (lv << 60) | (n << 5) | k, CASE WHEN k = 16 THEN w >> 4 ELSE wk END,"
        "  CAST(CASE WHEN k = 16 THEN " LG_SUB("o4", "0", "w >> 4") " || "
        LG_SUB("o5", "0", "w >> 5") " || " LG_SUB("o6", "0", "w >> 6") " || "
        LG_SUB("o7", "0", "w >> 7") ""
        "  ELSE " LG_SUB("0", "16 * k", "wk") " || " LG_SUB("o1", "8 * k", "wk >> 1") " || "
        LG_SUB("o2", "4 * k", "wk >> 2") " || " LG_SUB("o3", "2 * k", "wk >> 3") " END AS BLOB)"
        " FROM p;"
        "DROP TABLE ledger_tile;", 0},
    {3, "CREATE TABLE ledger_subtile3(id INTEGER PRIMARY KEY, width INTEGER NOT NULL,"
        " hashes BLOB NOT NULL);"
        LG_MOVE_ODD("1", "0") LG_MOVE_EVEN("2", "1") LG_MOVE_ODD("3", "1")
        LG_MOVE_EVEN("4", "2") LG_MOVE_ODD("5", "2") LG_MOVE_EVEN("6", "3")
        LG_MOVE_ODD("7", "3") LG_MOVE_EVEN("8", "4") LG_MOVE_ODD("9", "4")
        LG_MOVE_EVEN("10", "5") LG_MOVE_ODD("11", "5") LG_MOVE_EVEN("12", "6")
        LG_MOVE_ODD("13", "6") LG_MOVE_EVEN("14", "7") LG_MOVE_ODD("15", "7")
        LG_MOVE_EVEN("16", "0")   /* level 0, last */
        "DROP TABLE ledger_subtile;"
        "ALTER TABLE ledger_subtile3 RENAME TO ledger_subtile;", 0},
};

const wr_schema_module wr_schema_ledger = {"ledger", steps, sizeof steps / sizeof steps[0]};
