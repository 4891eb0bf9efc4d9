/*
 * lookup.c — single-object reads of the inventory used by policy and the
 * workflow layer (a system with its owner's status, an identity), the
 * ids of the systems (governed reads of every system check each), and the
 * list of grants that have run past their expiry.
 */
#include "inventory_internal.h"

#include <string.h>

/* Adds "owner_status" to o — the status of its owner, "unknown" when no
 * such identity exists, null when there is no owner — and hands o out. */
static int with_owner_status(wr_store *s, json_t *o, json_t **out, wr_err *err)
{
    const char *owner = json_string_value(json_object_get(o, "owner"));
    json_t *status = json_null();
    int rc = WR_OK;
    if (owner) {
        wr_stmt *st;
        if ((rc = wr_stmt_prepare(s, "SELECT status FROM identities WHERE id=?", &st, err)) == 0) {
            wr_stmt_bind_text(st, 1, owner);
            rc = wr_stmt_step(st, err);
            status = json_string(rc == 1 ? wr_stmt_text(st, 0) : "unknown");
            wr_stmt_done(st);
        }
    }
    json_object_set_new(o, "owner_status", status);
    if (rc < 0) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return WR_OK;
}

/* Steps st once; ENOTFOUND (what, id) when there is no row. */
static int one_row(wr_stmt *st, const char *what, const char *id, wr_err *err)
{
    int rc = wr_stmt_step(st, err);
    if (rc <= 0) {
        wr_stmt_done(st);
        return rc < 0 ? rc : wr_fail(err, WR_ENOTFOUND, "%s '%s' not found", what, id);
    }
    return WR_OK;
}

int wr_inventory_system_get(wr_store *s, const char *id, json_t **out, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "SELECT id, name, domain, owner, connector, criticality, "
                             "connector_config FROM systems WHERE id=?", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, id);
    if ((rc = one_row(st, "system", id, err)))
        return rc;
    json_t *o = json_object();
    inv_json_text(o, "id", st, 0);
    inv_json_text(o, "name", st, 1);
    inv_json_text(o, "domain", st, 2);
    inv_json_text(o, "owner", st, 3);
    inv_json_text(o, "connector", st, 4);
    inv_json_text(o, "criticality", st, 5);
    const char *cfg = wr_stmt_text(st, 6);
    json_object_set_new(o, "connector_config", cfg ? json_loads(cfg, 0, NULL) : json_null());
    wr_stmt_done(st);
    return with_owner_status(s, o, out, err);
}

static json_t *first_text(wr_stmt *st, void *arg)
{
    (void)arg;
    return json_string(wr_stmt_text(st, 0));
}

int wr_inventory_system_list(wr_store *s, const char *domain, json_t **out, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "SELECT id FROM systems WHERE ?1 IS NULL OR domain=?1 ORDER BY id", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, domain);
    if ((rc = wr_stmt_collect(st, first_text, NULL, WR_INVENTORY_MAX_SYSTEMS, out, err)) == WR_ELIMIT)
        return wr_fail(err, WR_ELIMIT, "more than %d systems", WR_INVENTORY_MAX_SYSTEMS);
    return rc;
}

int wr_inventory_identity_get(wr_store *s, const char *id, json_t **out, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "SELECT id, kind, name, email, department, title, manager, status, "
                             "owner, source, created_at, terminated_at FROM identities WHERE id=?",
                             &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, id);
    if ((rc = one_row(st, "identity", id, err)))
        return rc;
    static const char *const cols[] = {"id", "kind", "name", "email", "department", "title",
                                       "manager", "status", "owner", "source"};
    json_t *o = json_object();
    for (int i = 0; i < 10; i++)
        inv_json_text(o, cols[i], st, i);
    inv_json_time(o, "created_at", st, 10);
    inv_json_time(o, "terminated_at", st, 11);
    wr_stmt_done(st);
    return with_owner_status(s, o, out, err);
}

static json_t *expired_row(wr_stmt *st, void *arg)
{
    (void)arg;
    json_t *o = json_object();
    inv_json_text(o, "account", st, 0);
    inv_json_text(o, "entitlement", st, 1);
    inv_json_time(o, "expires_at", st, 2);
    return o;
}

int wr_inventory_expired_grants(wr_store *s, int64_t now, json_t **out, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "SELECT a.id, e.id, g.expires_at FROM grants g "
                             "JOIN accounts a ON a.rid=g.account_rid "
                             "JOIN entitlements e ON e.rid=g.entitlement_rid "
                             "WHERE g.expires_at IS NOT NULL AND g.expires_at<=? "
                             "ORDER BY g.expires_at, a.id, e.id", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_int(st, 1, now);
    return wr_stmt_collect(st, expired_row, NULL, 0, out, err);
}

int wr_inventory_entitlement_get(wr_store *s, const char *id, json_t **out, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "SELECT e.id, y.id, e.name, e.privilege, e.description FROM entitlements e "
                             "JOIN systems y ON y.rid=e.system_rid WHERE e.id=?", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, id);
    if ((rc = one_row(st, "entitlement", id, err)))
        return rc;
    static const char *const cols[] = {"id", "system", "name", "privilege", "description"};
    json_t *o = json_object();
    for (int i = 0; i < 5; i++)
        inv_json_text(o, cols[i], st, i);
    wr_stmt_done(st);
    *out = o;
    return WR_OK;
}

int wr_inventory_account_get(wr_store *s, const char *id, json_t **out, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "SELECT a.id, y.id, a.login, i.id, a.status, a.last_used_at FROM accounts a "
                             "JOIN systems y ON y.rid=a.system_rid LEFT JOIN identities i ON i.rid=a.identity_rid "
                             "WHERE a.id=?", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, id);
    if ((rc = one_row(st, "account", id, err)))
        return rc;
    static const char *const cols[] = {"id", "system", "login", "identity", "status"};
    json_t *o = json_object();
    for (int i = 0; i < 5; i++)
        inv_json_text(o, cols[i], st, i);
    inv_json_time(o, "last_used_at", st, 5);
    wr_stmt_done(st);
    *out = o;
    return WR_OK;
}
