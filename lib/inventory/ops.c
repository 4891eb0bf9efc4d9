/*
 * ops.c — governed changes executed against the built-in inventory.
 *
 * An operation is a small JSON object (see warrant/inventory.h).  All four
 * entry points first resolve it into an `op_ref`: the operation type plus
 * the rids and current state of everything it names.  check validates that
 * resolution; inverse, apply and readback are then plain functions of the
 * resolved current state, which is why an inverse computed before apply
 * restores exactly the prior state (revoke -> grant carrying the old
 * granted_at/granted_by/expires_at/...; disable -> enable; transfer -> back
 * to the previous owner, possibly none).  Credential rotation is the one
 * irreversible operation: a secret cannot be un-rotated.
 *
 * Every change also lands in inventory_events (import_id "op:<actor>") and
 * invalidates the readiness counters of the system it touched.
 */
#include "inventory_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum op_type { OP_GRANT, OP_REVOKE, OP_DISABLE, OP_ENABLE, OP_TRANSFER, OP_ROTATE };

/* The current value of a nullable integer column. */
typedef struct opt_time {
    int set;
    int64_t v;
} opt_time;

typedef struct op_ref {
    int type;
    /* account + entitlement (grant, revoke, disable, enable) */
    const char *account, *entitlement;
    int64_t acc_rid, ent_rid, sys_rid;
    char acc_status[16];
    char system[256];       /* text id of the touched system, "" if none */
    /* the grant as it is now (grant, revoke) */
    int grant_exists;
    opt_time g_granted_at, g_last_used_at, g_expires_at, g_certified_at;
    char *g_granted_by, *g_source;
    /* what the operation asks for (grant) */
    opt_time want_expires, want_granted_at, want_last_used_at, want_certified_at;
    const char *want_granted_by, *want_source;
    /* transfer_ownership */
    const char *object;     /* "system:x", "identity:x", "entitlement:x" */
    const char *table;      /* systems, identities, entitlements */
    int64_t obj_rid;
    const char *to;         /* NULL with to_null: no owner */
    char *cur_owner;        /* current owner, NULL if none */
    /* rotate_credential */
    const char *credential;
    int64_t cred_rid;
    opt_time cur_rotated_at;
    int irreversible;
} op_ref;

static void op_ref_free(op_ref *r)
{
    free(r->g_granted_by);
    free(r->g_source);
    free(r->cur_owner);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int field_str(const json_t *op, const char *key, int required, const char **out, wr_err *err)
{
    json_t *v = json_object_get(op, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return wr_fail(err, WR_EINVAL, "op.%s: missing", key);
        return WR_OK;
    }
    if (!json_is_string(v) || json_string_length(v) == 0)
        return wr_fail(err, WR_EINVAL, "op.%s: expected a non-empty string", key);
    *out = json_string_value(v);
    return WR_OK;
}

static int field_time(const json_t *op, const char *key, opt_time *out, wr_err *err)
{
    const char *s;
    int rc = field_str(op, key, 0, &s, err);
    out->set = 0;
    if (rc || !s)
        return rc;
    if (wr_time_parse(s, &out->v) != WR_OK)
        return wr_fail(err, WR_EINVAL, "op.%s: '%s' is not an RFC 3339 timestamp", key, s);
    out->set = 1;
    return WR_OK;
}

static opt_time col_time(wr_stmt *st, int col)
{
    opt_time t = {0, 0};
    if (!wr_stmt_is_null(st, col)) {
        t.set = 1;
        t.v = wr_stmt_int(st, col);
    }
    return t;
}

static void bind_time(wr_stmt *st, int idx, opt_time t)
{
    if (t.set)
        wr_stmt_bind_int(st, idx, t.v);
    else
        wr_stmt_bind_null(st, idx);
}

static void set_time(json_t *o, const char *key, opt_time t)
{
    char buf[21];
    if (!t.set) {
        json_object_set_new(o, key, json_null());
        return;
    }
    wr_time_format(t.v, buf);
    json_object_set_new(o, key, json_string(buf));
}

static int same_time(opt_time a, opt_time b)
{
    return a.set == b.set && (!a.set || a.v == b.v);
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int resolve_account(wr_store *s, op_ref *r, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "SELECT a.rid, a.system_rid, s.id, a.status FROM accounts a "
                             "JOIN systems s ON s.rid=a.system_rid WHERE a.id=?", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, r->account);
    rc = wr_stmt_step(st, err);
    if (rc == 1) {
        r->acc_rid = wr_stmt_int(st, 0);
        r->sys_rid = wr_stmt_int(st, 1);
        snprintf(r->system, sizeof r->system, "%s", wr_stmt_text(st, 2));
        snprintf(r->acc_status, sizeof r->acc_status, "%s", wr_stmt_text(st, 3));
    }
    wr_stmt_done(st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return wr_fail(err, WR_ENOTFOUND, "op.account: account '%s' not found", r->account);
    return WR_OK;
}

static int resolve_grant(wr_store *s, op_ref *r, wr_err *err)
{
    wr_stmt *st;
    int64_t ent_sys = 0;
    int rc = wr_stmt_prepare(s, "SELECT rid, system_rid FROM entitlements WHERE id=?", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, r->entitlement);
    rc = wr_stmt_step(st, err);
    if (rc == 1) {
        r->ent_rid = wr_stmt_int(st, 0);
        ent_sys = wr_stmt_int(st, 1);
    }
    wr_stmt_done(st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return wr_fail(err, WR_ENOTFOUND, "op.entitlement: entitlement '%s' not found",
                       r->entitlement);
    if (ent_sys != r->sys_rid)
        return wr_fail(err, WR_EINVAL, "op: entitlement '%s' does not belong to the system "
                       "of account '%s' (%s)", r->entitlement, r->account, r->system);
    if ((rc = wr_stmt_prepare(s, "SELECT granted_at, granted_by, last_used_at, expires_at, "
                              "certified_at, source FROM grants WHERE account_rid=? AND "
                              "entitlement_rid=?", &st, err)))
        return rc;
    wr_stmt_bind_int(st, 1, r->acc_rid);
    wr_stmt_bind_int(st, 2, r->ent_rid);
    rc = wr_stmt_step(st, err);
    if (rc == 1) {
        r->grant_exists = 1;
        r->g_granted_at = col_time(st, 0);
        r->g_granted_by = dup_or_null(wr_stmt_text(st, 1));
        r->g_last_used_at = col_time(st, 2);
        r->g_expires_at = col_time(st, 3);
        r->g_certified_at = col_time(st, 4);
        r->g_source = dup_or_null(wr_stmt_text(st, 5));
    }
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

static int resolve_transfer(wr_store *s, const json_t *op, op_ref *r, wr_err *err)
{
    int rc = field_str(op, "object", 1, &r->object, err);
    if (rc)
        return rc;
    const char *colon = strchr(r->object, ':');
    const char *id = colon ? colon + 1 : "";
    size_t n = colon ? (size_t)(colon - r->object) : 0;
    const char *sql;
    if (n == 6 && strncmp(r->object, "system", n) == 0) {
        r->table = "systems";
        sql = "SELECT rid, owner, id FROM systems WHERE id=?";
    } else if (n == 8 && strncmp(r->object, "identity", n) == 0) {
        r->table = "identities";
        sql = "SELECT rid, owner, NULL FROM identities WHERE id=?";
    } else if (n == 11 && strncmp(r->object, "entitlement", n) == 0) {
        r->table = "entitlements";
        sql = "SELECT e.rid, e.owner, s.id, e.system_rid FROM entitlements e "
              "JOIN systems s ON s.rid=e.system_rid WHERE e.id=?";
    } else {
        return wr_fail(err, WR_EINVAL, "op.object: '%s' is not system:<id>, identity:<id> "
                       "or entitlement:<id>", r->object);
    }
    if (!*id)
        return wr_fail(err, WR_EINVAL, "op.object: '%s' names no id", r->object);
    wr_stmt *st;
    if ((rc = wr_stmt_prepare(s, sql, &st, err)))
        return rc;
    wr_stmt_bind_text(st, 1, id);
    rc = wr_stmt_step(st, err);
    if (rc == 1) {
        r->obj_rid = wr_stmt_int(st, 0);
        r->cur_owner = dup_or_null(wr_stmt_text(st, 1));
        if (wr_stmt_text(st, 2))
            snprintf(r->system, sizeof r->system, "%s", wr_stmt_text(st, 2));
        r->sys_rid = r->table[0] == 's' ? r->obj_rid : r->table[0] == 'e' ? wr_stmt_int(st, 3) : 0;
    }
    wr_stmt_done(st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return wr_fail(err, WR_ENOTFOUND, "op.object: '%s' not found", r->object);
    json_t *to = json_object_get(op, "to");
    if (!to)
        return wr_fail(err, WR_EINVAL, "op.to: missing");
    if (json_is_null(to))
        return WR_OK;  /* an inverse restoring "no owner" */
    if ((rc = field_str(op, "to", 1, &r->to, err)))
        return rc;
    int64_t rid;
    if ((rc = inv_rid(s, "identities", r->to, &rid, err)))
        return rc;
    if (!rid)
        return wr_fail(err, WR_ENOTFOUND, "op.to: identity '%s' not found", r->to);
    return WR_OK;
}

static int resolve_rotate(wr_store *s, const json_t *op, op_ref *r, wr_err *err)
{
    int rc = field_str(op, "credential", 1, &r->credential, err);
    if (rc)
        return rc;
    json_t *irr = json_object_get(op, "irreversible");
    if (irr && !json_is_boolean(irr))
        return wr_fail(err, WR_EINVAL, "op.irreversible: expected true or false");
    r->irreversible = json_is_true(irr);
    wr_stmt *st;
    if ((rc = wr_stmt_prepare(s, "SELECT c.rid, c.rotated_at, c.system_rid, s.id FROM credentials c "
                              "LEFT JOIN systems s ON s.rid=c.system_rid WHERE c.id=?", &st, err)))
        return rc;
    wr_stmt_bind_text(st, 1, r->credential);
    rc = wr_stmt_step(st, err);
    if (rc == 1) {
        r->cred_rid = wr_stmt_int(st, 0);
        r->cur_rotated_at = col_time(st, 1);
        r->sys_rid = wr_stmt_int(st, 2);
        if (wr_stmt_text(st, 3))
            snprintf(r->system, sizeof r->system, "%s", wr_stmt_text(st, 3));
    }
    wr_stmt_done(st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return wr_fail(err, WR_ENOTFOUND, "op.credential: credential '%s' not found",
                       r->credential);
    return WR_OK;
}

/* Parses op and reads the current state of what it names. */
static int resolve(wr_store *s, const json_t *op, op_ref *r, wr_err *err)
{
    memset(r, 0, sizeof *r);
    if (!json_is_object(op))
        return wr_fail(err, WR_EINVAL, "op: expected a JSON object");
    const char *name;
    int rc = field_str(op, "op", 1, &name, err);
    if (rc)
        return rc;
    static const char *const names[] = {"grant", "revoke", "disable", "enable",
                                         "transfer_ownership", "rotate_credential"};
    r->type = -1;
    for (int i = 0; i < 6; i++)
        if (strcmp(name, names[i]) == 0)
            r->type = i;
    switch (r->type) {
    case OP_GRANT:
        if ((rc = field_time(op, "expires_at", &r->want_expires, err)) ||
            (rc = field_time(op, "granted_at", &r->want_granted_at, err)) ||
            (rc = field_time(op, "last_used_at", &r->want_last_used_at, err)) ||
            (rc = field_time(op, "certified_at", &r->want_certified_at, err)) ||
            (rc = field_str(op, "granted_by", 0, &r->want_granted_by, err)) ||
            (rc = field_str(op, "source", 0, &r->want_source, err)))
            return rc;
        /* fall through */
    case OP_REVOKE:
        if ((rc = field_str(op, "account", 1, &r->account, err)) ||
            (rc = field_str(op, "entitlement", 1, &r->entitlement, err)) ||
            (rc = resolve_account(s, r, err)))
            return rc;
        return resolve_grant(s, r, err);
    case OP_DISABLE:
    case OP_ENABLE:
        if ((rc = field_str(op, "account", 1, &r->account, err)))
            return rc;
        return resolve_account(s, r, err);
    case OP_TRANSFER:
        return resolve_transfer(s, op, r, err);
    case OP_ROTATE:
        return resolve_rotate(s, op, r, err);
    default:
        return wr_fail(err, WR_EINVAL, "op.op: unknown operation '%s'", name);
    }
}

int wr_inventory_op_check(wr_store *s, const json_t *op, char **system_id, wr_err *err)
{
    op_ref r;
    int rc = resolve(s, op, &r, err);
    if (rc == WR_OK && system_id) {
        *system_id = r.system[0] ? strdup(r.system) : NULL;
        if (r.system[0] && !*system_id)
            rc = wr_fail(err, WR_ENOMEM, "out of memory");
    }
    op_ref_free(&r);
    return rc;
}

/* The grant as it is now, as a grant operation that would recreate it. */
static json_t *grant_op_of_current(const op_ref *r)
{
    json_t *o = json_pack("{s:s,s:s,s:s}", "op", "grant", "account", r->account,
                          "entitlement", r->entitlement);
    if (r->g_expires_at.set)
        set_time(o, "expires_at", r->g_expires_at);
    if (r->g_granted_at.set)
        set_time(o, "granted_at", r->g_granted_at);
    if (r->g_last_used_at.set)
        set_time(o, "last_used_at", r->g_last_used_at);
    if (r->g_certified_at.set)
        set_time(o, "certified_at", r->g_certified_at);
    if (r->g_granted_by)
        json_object_set_new(o, "granted_by", json_string(r->g_granted_by));
    if (r->g_source)
        json_object_set_new(o, "source", json_string(r->g_source));
    return o;
}

int wr_inventory_op_inverse(wr_store *s, const json_t *op, json_t **inverse, wr_err *err)
{
    op_ref r;
    int rc = resolve(s, op, &r, err);
    if (rc) {
        op_ref_free(&r);
        return rc;
    }
    json_t *inv = NULL;
    switch (r.type) {
    case OP_GRANT:
    case OP_REVOKE:
        inv = r.grant_exists ? grant_op_of_current(&r)
                             : json_pack("{s:s,s:s,s:s}", "op", "revoke", "account", r.account,
                                         "entitlement", r.entitlement);
        break;
    case OP_DISABLE:
    case OP_ENABLE:
        inv = json_pack("{s:s,s:s}", "op", strcmp(r.acc_status, "active") == 0 ? "enable" : "disable",
                        "account", r.account);
        break;
    case OP_TRANSFER:
        inv = json_pack("{s:s,s:s,s:o}", "op", "transfer_ownership", "object", r.object, "to",
                        r.cur_owner ? json_string(r.cur_owner) : json_null());
        break;
    case OP_ROTATE:
        inv = json_pack("{s:s,s:s,s:b}", "op", "rotate_credential", "credential", r.credential,
                        "irreversible", 1);
        if (inv)
            set_time(inv, "rotated_at", r.cur_rotated_at);
        break;
    }
    op_ref_free(&r);
    if (!inv)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    *inverse = inv;
    return WR_OK;
}

/* Journals one applied change; before/after may be NULL. */
static int journal(wr_store *s, const char *actor, const char *kind, const char *id,
                   const char *change, json_t *before, json_t *after, wr_err *err)
{
    char import_id[300];
    snprintf(import_id, sizeof import_id, "op:%s", actor ? actor : "");
    char *b = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc = inv_event(s, import_id, wr_now(), kind, id, change, b, a, err);
    free(b);
    free(a);
    return rc;
}

static int run(wr_stmt *st, wr_err *err)
{
    int rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

static int apply_grant(wr_store *s, op_ref *r, const char *actor, int *changed, wr_err *err)
{
    wr_stmt *st;
    int rc = WR_OK;
    char id[600];
    snprintf(id, sizeof id, "%s|%s", r->account, r->entitlement);
    json_t *before = r->grant_exists ? grant_op_of_current(r) : NULL;
    if (r->type == OP_REVOKE) {
        if (!r->grant_exists)
            return WR_OK;
        if ((rc = wr_stmt_prepare(s, "DELETE FROM grants WHERE account_rid=? AND entitlement_rid=?",
                                  &st, err)))
            goto out;
        wr_stmt_bind_int(st, 1, r->acc_rid);
        wr_stmt_bind_int(st, 2, r->ent_rid);
        if ((rc = run(st, err)) || (rc = journal(s, actor, "grant", id, "removed", before, NULL, err)))
            goto out;
        *changed = 1;
        goto out;
    }
    if (r->grant_exists) {
        if (same_time(r->g_expires_at, r->want_expires))
            goto out;
        if ((rc = wr_stmt_prepare(s, "UPDATE grants SET expires_at=? WHERE account_rid=? AND "
                                  "entitlement_rid=?", &st, err)))
            goto out;
        bind_time(st, 1, r->want_expires);
        wr_stmt_bind_int(st, 2, r->acc_rid);
        wr_stmt_bind_int(st, 3, r->ent_rid);
        if ((rc = run(st, err)))
            goto out;
        r->g_expires_at = r->want_expires;
        json_t *after = grant_op_of_current(r);
        rc = journal(s, actor, "grant", id, "changed", before, after, err);
        json_decref(after);
        *changed = rc == WR_OK;
        goto out;
    }
    if ((rc = wr_stmt_prepare(s, "INSERT INTO grants(account_rid, entitlement_rid, granted_at, "
                              "granted_by, last_used_at, expires_at, certified_at, source) "
                              "VALUES(?,?,?,?,?,?,?,?)", &st, err)))
        goto out;
    r->g_granted_at = r->want_granted_at.set ? r->want_granted_at : (opt_time){1, wr_now()};
    r->g_granted_by = dup_or_null(r->want_granted_by ? r->want_granted_by : actor);
    r->g_last_used_at = r->want_last_used_at;
    r->g_expires_at = r->want_expires;
    r->g_certified_at = r->want_certified_at;
    r->g_source = dup_or_null(r->want_source);
    wr_stmt_bind_int(st, 1, r->acc_rid);
    wr_stmt_bind_int(st, 2, r->ent_rid);
    bind_time(st, 3, r->g_granted_at);
    wr_stmt_bind_text(st, 4, r->g_granted_by);
    bind_time(st, 5, r->g_last_used_at);
    bind_time(st, 6, r->g_expires_at);
    bind_time(st, 7, r->g_certified_at);
    wr_stmt_bind_text(st, 8, r->g_source);
    if ((rc = run(st, err)))
        goto out;
    r->grant_exists = 1;
    json_t *after = grant_op_of_current(r);
    rc = journal(s, actor, "grant", id, "added", NULL, after, err);
    json_decref(after);
    *changed = rc == WR_OK;
out:
    json_decref(before);
    return rc;
}

static int apply_status(wr_store *s, op_ref *r, const char *actor, int *changed, wr_err *err)
{
    const char *want = r->type == OP_ENABLE ? "active" : "disabled";
    if (strcmp(r->acc_status, want) == 0)
        return WR_OK;
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "UPDATE accounts SET status=? WHERE rid=?", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, want);
    wr_stmt_bind_int(st, 2, r->acc_rid);
    if ((rc = run(st, err)))
        return rc;
    json_t *b = json_pack("{s:s}", "status", r->acc_status), *a = json_pack("{s:s}", "status", want);
    rc = journal(s, actor, "account", r->account, "changed", b, a, err);
    json_decref(b);
    json_decref(a);
    *changed = rc == WR_OK;
    return rc;
}

static int apply_transfer(wr_store *s, op_ref *r, const char *actor, int *changed, wr_err *err)
{
    if (same_str(r->cur_owner, r->to))
        return WR_OK;
    const char *sql = r->table[0] == 's' ? "UPDATE systems SET owner=? WHERE rid=?"
                    : r->table[0] == 'i' ? "UPDATE identities SET owner=? WHERE rid=?"
                                         : "UPDATE entitlements SET owner=? WHERE rid=?";
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, r->to);
    wr_stmt_bind_int(st, 2, r->obj_rid);
    if ((rc = run(st, err)))
        return rc;
    json_t *b = json_pack("{s:o}", "owner", r->cur_owner ? json_string(r->cur_owner) : json_null());
    json_t *a = json_pack("{s:o}", "owner", r->to ? json_string(r->to) : json_null());
    const char *colon = strchr(r->object, ':');
    char kind[16];
    snprintf(kind, sizeof kind, "%.*s", (int)(colon - r->object), r->object);
    rc = journal(s, actor, kind, colon + 1, "changed", b, a, err);
    json_decref(b);
    json_decref(a);
    *changed = rc == WR_OK;
    return rc;
}

static int apply_rotate(wr_store *s, op_ref *r, const char *actor, int *changed, wr_err *err)
{
    int64_t now = wr_now();
    if (r->irreversible || (r->cur_rotated_at.set && r->cur_rotated_at.v == now))
        return WR_OK;
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "UPDATE credentials SET rotated_at=? WHERE rid=?", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_int(st, 1, now);
    wr_stmt_bind_int(st, 2, r->cred_rid);
    if ((rc = run(st, err)))
        return rc;
    json_t *b = json_object(), *a = json_object();
    set_time(b, "rotated_at", r->cur_rotated_at);
    set_time(a, "rotated_at", (opt_time){1, now});
    rc = journal(s, actor, "credential", r->credential, "changed", b, a, err);
    json_decref(b);
    json_decref(a);
    *changed = rc == WR_OK;
    return rc;
}

int wr_inventory_op_apply(wr_store *s, const json_t *op, const char *actor, json_t **result,
                          wr_err *err)
{
    op_ref r;
    int rc = resolve(s, op, &r, err), changed = 0, untaken = 0;
    /* Grants and account status move their system's readiness counters by
     * the object's contribution before and after (readiness.c). */
    inv_delta d;
    memset(&d, 0, sizeof d);
    int counted = rc == WR_OK && (r.type == OP_GRANT || r.type == OP_REVOKE || r.type == OP_DISABLE ||
                                  r.type == OP_ENABLE);
    if (rc == WR_OK && counted)
        rc = untaken = r.type <= OP_REVOKE ? inv_delta_grant(s, &d, r.acc_rid, r.ent_rid, -1, err)
                                           : inv_delta_account(s, &d, r.acc_rid, -1, err);
    if (rc > 0)
        rc = WR_OK;
    if (rc == WR_OK) {
        switch (r.type) {
        case OP_GRANT:
        case OP_REVOKE:
            rc = apply_grant(s, &r, actor, &changed, err);
            break;
        case OP_DISABLE:
        case OP_ENABLE:
            rc = apply_status(s, &r, actor, &changed, err);
            break;
        case OP_TRANSFER:
            rc = apply_transfer(s, &r, actor, &changed, err);
            break;
        default:
            rc = apply_rotate(s, &r, actor, &changed, err);
            break;
        }
    }
    if (rc == WR_OK && counted && changed) {
        int u = r.type <= OP_REVOKE ? inv_delta_grant(s, &d, r.acc_rid, r.ent_rid, 1, err)
                                    : inv_delta_account(s, &d, r.acc_rid, 1, err);
        rc = u < 0 ? u : WR_OK;
        untaken |= u > 0;
    }
    if (rc == WR_OK && counted && changed)
        rc = inv_delta_flush(s, &d, err);
    inv_delta_free(&d);
    /* credentials are counted live: a rotation needs no recount */
    if (rc == WR_OK && changed && r.sys_rid && r.type != OP_ROTATE && (!counted || untaken))
        rc = inv_touch_system(s, r.sys_rid, err);
    if (rc == WR_OK && changed && r.type == OP_TRANSFER && r.table[0] == 'i')
        rc = inv_touch_identity(s, r.obj_rid, err);
    if (rc) {
        op_ref_free(&r);
        return rc;
    }
    char detail[1200];
    static const char *const verbs[] = {"granted", "revoked", "disabled", "enabled",
                                        "ownership transferred", "credential rotated"};
    if (changed)
        snprintf(detail, sizeof detail, "%s", verbs[r.type]);
    else if (r.type == OP_ROTATE && r.irreversible)
        snprintf(detail, sizeof detail, "credential rotation cannot be undone; the new "
                 "secret stays in place (irreversible)");
    else
        snprintf(detail, sizeof detail, "already so: nothing to do");
    op_ref_free(&r);
    json_t *res = json_pack("{s:b,s:s}", "changed", changed, "detail", detail);
    if (!res)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    *result = res;
    return WR_OK;
}

int wr_inventory_op_readback(wr_store *s, const json_t *op, int *matches, wr_err *err)
{
    op_ref r;
    int rc = resolve(s, op, &r, err);
    if (rc == WR_OK) {
        switch (r.type) {
        case OP_GRANT:
            *matches = r.grant_exists && same_time(r.g_expires_at, r.want_expires);
            break;
        case OP_REVOKE:
            *matches = !r.grant_exists;
            break;
        case OP_DISABLE:
            *matches = strcmp(r.acc_status, "disabled") == 0;
            break;
        case OP_ENABLE:
            *matches = strcmp(r.acc_status, "active") == 0;
            break;
        case OP_TRANSFER:
            *matches = same_str(r.cur_owner, r.to);
            break;
        default: {
            int64_t age = wr_now() - r.cur_rotated_at.v;
            *matches = r.irreversible || (r.cur_rotated_at.set && age >= 0 && age <= 3600);
            break;
        }
        }
    }
    op_ref_free(&r);
    return rc;
}
