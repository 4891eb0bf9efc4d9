/*
 * copy.c — copies the inventory of one store into another (production into
 * the sandbox store), replacing what the target held.
 *
 * The rows are copied with their rids, so every reference between objects
 * stays valid without translation.  Each table is described by its column
 * list and a type string ('i' integer, 't' text) because a statement's
 * values are read through the typed accessors of store.h.  The change
 * journal and the readiness snapshots are history of the source store and
 * are not copied; the readiness cache of the target is cleared.
 */
#include "inventory_internal.h"

#include <stdio.h>
#include <string.h>

static const struct table {
    const char *select, *insert, *del, *types;
} tables[] = {
    /* In dependency order: referenced tables first. */
    {"SELECT rid, id, kind, name, email, department, title, manager, status, owner, source, "
     "created_at, terminated_at FROM identities",
     "INSERT INTO identities(rid, id, kind, name, email, department, title, manager, status, "
     "owner, source, created_at, terminated_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
     "DELETE FROM identities", "i" "tttttttttt" "ii"},
    {"SELECT rid, id, name, domain, owner, connector, connector_config, criticality, source "
     "FROM systems",
     "INSERT INTO systems(rid, id, name, domain, owner, connector, connector_config, "
     "criticality, source) VALUES(?,?,?,?,?,?,?,?,?)",
     "DELETE FROM systems", "itttttttt"},
    {"SELECT rid, id, system_rid, login, identity_rid, status, last_used_at, created_at, source "
     "FROM accounts",
     "INSERT INTO accounts(rid, id, system_rid, login, identity_rid, status, last_used_at, "
     "created_at, source) VALUES(?,?,?,?,?,?,?,?,?)",
     "DELETE FROM accounts", "itititiit"},
    {"SELECT rid, id, system_rid, name, privilege, description, owner, source FROM entitlements",
     "INSERT INTO entitlements(rid, id, system_rid, name, privilege, description, owner, "
     "source) VALUES(?,?,?,?,?,?,?,?)",
     "DELETE FROM entitlements", "itittttt"},
    {"SELECT account_rid, entitlement_rid, granted_at, granted_by, last_used_at, expires_at, "
     "certified_at, source FROM grants",
     "INSERT INTO grants(account_rid, entitlement_rid, granted_at, granted_by, last_used_at, "
     "expires_at, certified_at, source) VALUES(?,?,?,?,?,?,?,?)",
     "DELETE FROM grants", "iiitiiit"},
    {"SELECT rid, id, identity_rid, system_rid, kind, location, location_ref, created_at, "
     "rotated_at, source FROM credentials",
     "INSERT INTO credentials(rid, id, identity_rid, system_rid, kind, location, location_ref, "
     "created_at, rotated_at, source) VALUES(?,?,?,?,?,?,?,?,?,?)",
     "DELETE FROM credentials", "itiitttiit"},
    {"SELECT department, entitlement_rid, source FROM role_entitlements",
     "INSERT INTO role_entitlements(department, entitlement_rid, source) VALUES(?,?,?)",
     "DELETE FROM role_entitlements", "tit"},
};
#define NTABLES (sizeof tables / sizeof tables[0])

static int copy_table(wr_store *from, wr_store *to, const struct table *t, wr_err *err)
{
    wr_stmt *in, *out;
    int rc = wr_stmt_prepare(from, t->select, &in, err);
    if (rc)
        return rc;
    if ((rc = wr_stmt_prepare(to, t->insert, &out, err))) {
        wr_stmt_done(in);
        return rc;
    }
    int ncols = (int)strlen(t->types);
    while ((rc = wr_stmt_step(in, err)) == 1) {
        for (int c = 0; c < ncols; c++) {
            if (wr_stmt_is_null(in, c))
                wr_stmt_bind_null(out, c + 1);
            else if (t->types[c] == 'i')
                wr_stmt_bind_int(out, c + 1, wr_stmt_int(in, c));
            else
                wr_stmt_bind_text(out, c + 1, wr_stmt_text(in, c));
        }
        rc = wr_stmt_step(out, err);
        wr_stmt_done(out);
        if (rc < 0)
            break;
    }
    wr_stmt_done(in);
    return rc < 0 ? rc : WR_OK;
}

int wr_inventory_copy(wr_store *from, wr_store *to, wr_err *err)
{
    int own = !wr_store_in_transaction(to), rc = WR_OK;
    if (own && (rc = wr_store_begin(to, err)))
        return rc;
    for (size_t i = NTABLES; i-- > 0 && rc == WR_OK;)
        rc = wr_store_exec(to, tables[i].del, err);
    if (rc == WR_OK)
        rc = inv_touch_all(to, err);
    for (size_t i = 0; i < NTABLES && rc == WR_OK; i++)
        rc = copy_table(from, to, &tables[i], err);
    if (rc) {
        if (own)
            wr_store_rollback(to);
        return wr_fail_wrap(err, "inventory copy to %s", wr_store_dir(to));
    }
    return own ? wr_store_commit(to, err) : WR_OK;
}
