/*
 * test_inventory_refmap.c — the import's in-memory id maps (refmap.c):
 * every id added is found with its rids, a claim of a present id changes
 * nothing, absent ids are not found — through growth from an empty map,
 * in a table sized once by reserve (any slot count, not a power of two,
 * probes wrapping past the last slot), and when loaded from a table.
 */
#include "inv_fixture.h"
#include "inventory/import.h"

static void fill_and_check(inv_refmap *m, int n, const char *tag)
{
    char id[64];
    int added = 0, found = 0, wrong = 0;
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "%s:user%06d", tag, i);
        added += inv_refmap_claim(m, id, i + 1, i % 7) == 1;
    }
    CHECK_EQ_INT(added, n);
    int64_t rid, sys;
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "%s:user%06d", tag, i);
        if (inv_refmap_get(m, id, &rid, &sys) == 1)
            found++, wrong += rid != i + 1 || sys != i % 7;
        if (inv_refmap_claim(m, id, 99, 99) != 0)   /* present: unchanged */
            wrong++;
    }
    CHECK_EQ_INT(found, n);
    CHECK_EQ_INT(wrong, 0);
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "%s:absent%06d", tag, i);
        if (inv_refmap_get(m, id, &rid, &sys) != 0 || rid || sys)
            wrong++;
    }
    CHECK_EQ_INT(wrong, 0);
}

TEST(test_map_grows_reserves_and_loads)
{
    wr_store *s = NULL;
    wr_err err = {0};
    CHECK_OK(wr_store_open(test_tmpdir("refmap"), WR_STORE_CREATE, &s, &err));
    /* an empty table: an empty map that grows as ids come */
    inv_refmap *m = NULL;
    CHECK_OK(inv_refmap_load(s, 'A', &m, &err));
    CHECK(m != NULL);
    if (m) {
        fill_and_check(m, 20000, "grow");
        inv_refmap_free(m);
    }
    /* sized once for several counts: each an odd number of slots */
    for (int n = 1; n <= 5000; n = n * 3 + 1) {
        CHECK_OK(inv_refmap_load(s, 'A', &m, &err));
        if (!m)
            continue;
        inv_refmap_reserve(m, (uint64_t)n);
        fill_and_check(m, n, "reserved");
        inv_refmap_free(m);
    }
    /* loaded from a table: every stored id with its rid and system */
    CHECK_OK(wr_inventory_import_buffer(s, "systems.csv", "id\nsa\nsb\n", 9, NULL, NULL, NULL, &err));
    wr_buf csv = WR_BUF_INIT;
    int rc = wr_buf_puts(&csv, "id,system,login\n");
    for (int i = 0; i < 3000 && rc == WR_OK; i++)
        rc = wr_buf_printf(&csv, "%s:u%04d,%s,u%04d\n", i % 2 ? "sb" : "sa", i, i % 2 ? "sb" : "sa", i);
    CHECK_OK(rc);
    CHECK_OK(wr_inventory_import_buffer(s, "accounts.csv", csv.data, csv.len, NULL, NULL, NULL, &err));
    CHECK_OK(inv_refmap_load(s, 'A', &m, &err));
    if (m) {
        int64_t rid, sys;
        CHECK_EQ_INT(inv_refmap_get(m, "sb:u2999", &rid, &sys), 1);
        CHECK_EQ_INT(rid, inv_count(s, "SELECT rid FROM accounts WHERE id='sb:u2999'"));
        CHECK_EQ_INT(sys, inv_count(s, "SELECT rid FROM systems WHERE id='sb'"));
        CHECK_EQ_INT(inv_refmap_get(m, "sa:u0000", &rid, &sys), 1);
        CHECK_EQ_INT(sys, inv_count(s, "SELECT rid FROM systems WHERE id='sa'"));
        CHECK_EQ_INT(inv_refmap_get(m, "sa:u3000", &rid, &sys), 0);
        fill_and_check(m, 3000, "more");   /* and it grows past its loaded size */
        inv_refmap_free(m);
    }
    wr_buf_free(&csv);
    wr_store_close(s);
}

RUN_TESTS(T(test_map_grows_reserves_and_loads))
