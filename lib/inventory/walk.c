/*
 * walk.c — streaming one system's accounts, entitlements and grants, for
 * reconciliation with its target (lib/workflow/sync.c).
 *
 * Three indexed scans (accounts_system, entitlements_system, then grants
 * joined through the system's accounts) hand each row to a visitor, so a
 * system with a million grants is compared without materialising them.
 */
#include "inventory_internal.h"
#include "warrant/connector.h"

static int scan(wr_store *s, const char *sql, int64_t sys, int ncols,
                int (*emit)(const wr_inventory_walker *, const char *const *, wr_err *),
                const wr_inventory_walker *w, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_int(st, 1, sys);
    while ((rc = wr_stmt_step(st, err)) == 1) {
        const char *v[4];
        for (int i = 0; i < ncols; i++)
            v[i] = wr_stmt_text(st, i);
        if ((rc = emit(w, v, err)))
            break;
    }
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

static int emit_account(const wr_inventory_walker *w, const char *const *v, wr_err *err)
{
    return w->account ? w->account(w->arg, v[0], v[1], v[2], v[3], err) : WR_OK;
}

static int emit_entitlement(const wr_inventory_walker *w, const char *const *v, wr_err *err)
{
    return w->entitlement ? w->entitlement(w->arg, v[0], err) : WR_OK;
}

static int emit_grant(const wr_inventory_walker *w, const char *const *v, wr_err *err)
{
    return w->grant ? w->grant(w->arg, v[0], v[1], err) : WR_OK;
}

int wr_inventory_system_walk(wr_store *s, const char *system, const wr_inventory_walker *w, wr_err *err)
{
    int64_t sys = 0;
    int rc = inv_rid(s, "systems", system, &sys, err);
    if (rc)
        return rc;
    if (!sys)
        return wr_fail(err, WR_ENOTFOUND, "system '%s' not found", system);
    if ((rc = scan(s, "SELECT a.id, a.login, i.id, a.status FROM accounts a LEFT JOIN identities i "
                   "ON i.rid=a.identity_rid WHERE a.system_rid=?", sys, 4, emit_account, w, err)) ||
        (rc = scan(s, "SELECT id FROM entitlements WHERE system_rid=?", sys, 1, emit_entitlement, w, err)))
        return rc;
    if (!w->grant)
        return WR_OK;
    return scan(s, "SELECT a.id, e.id FROM accounts a JOIN grants g ON g.account_rid=a.rid "
                "JOIN entitlements e ON e.rid=g.entitlement_rid WHERE a.system_rid=?", sys, 2, emit_grant, w, err);
}
