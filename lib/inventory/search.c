/*
 * search.c — paginated listing of inventory objects for people and tools
 * (the `warrant inventory search` command, the MCP search_inventory tool).
 *
 * One SQL statement per kind, each with the same optional filters bound as
 * parameters (system, holder identity, case-insensitive substring of id or
 * name), and a count query with the same WHERE clause so callers can page.
 */
#include "inventory_internal.h"

#include <stdio.h>
#include <string.h>

typedef struct search_kind {
    const char *name;
    const char *from_where;        /* FROM ... WHERE with ?1 system, ?2 identity, ?3 filter */
    const char *select;            /* columns */
    const char *order;
    const char *const cols[10];    /* JSON names; a leading '@' marks a timestamp */
} search_kind;

static const search_kind kinds[] = {
    {"identities",
     "FROM identities i WHERE (?1 IS NULL OR EXISTS(SELECT 1 FROM accounts a JOIN systems y ON y.rid=a.system_rid "
     "WHERE a.identity_rid=i.rid AND y.id=?1)) AND (?2 IS NULL OR i.id=?2) AND (?3 IS NULL OR "
     "instr(lower(i.id), lower(?3)) > 0 OR instr(lower(coalesce(i.name,'')), lower(?3)) > 0)",
     "i.id, i.kind, i.name, i.email, i.department, i.status, i.owner, i.manager", "i.id",
     {"id", "kind", "name", "email", "department", "status", "owner", "manager", NULL}},
    {"accounts",
     "FROM accounts a JOIN systems y ON y.rid=a.system_rid LEFT JOIN identities i ON i.rid=a.identity_rid "
     "WHERE (?1 IS NULL OR y.id=?1) AND (?2 IS NULL OR i.id=?2) AND (?3 IS NULL OR "
     "instr(lower(a.id), lower(?3)) > 0)",
     "a.id, y.id, a.login, i.id, a.status, a.last_used_at", "a.id",
     {"id", "system", "login", "identity", "status", "@last_used_at", NULL}},
    {"entitlements",
     "FROM entitlements e JOIN systems y ON y.rid=e.system_rid WHERE (?1 IS NULL OR y.id=?1) AND "
     "(?2 IS NULL OR EXISTS(SELECT 1 FROM grants g JOIN accounts a ON a.rid=g.account_rid JOIN identities i "
     "ON i.rid=a.identity_rid WHERE g.entitlement_rid=e.rid AND i.id=?2)) AND (?3 IS NULL OR "
     "instr(lower(e.id), lower(?3)) > 0 OR instr(lower(coalesce(e.description,'')), lower(?3)) > 0)",
     "e.id, y.id, e.name, e.privilege, e.description", "e.id",
     {"id", "system", "name", "privilege", "description", NULL}},
    {"grants",
     "FROM grants g JOIN accounts a ON a.rid=g.account_rid JOIN entitlements e ON e.rid=g.entitlement_rid "
     "JOIN systems y ON y.rid=a.system_rid LEFT JOIN identities i ON i.rid=a.identity_rid "
     "WHERE (?1 IS NULL OR y.id=?1) AND (?2 IS NULL OR i.id=?2) AND (?3 IS NULL OR "
     "instr(lower(a.id), lower(?3)) > 0 OR instr(lower(e.id), lower(?3)) > 0)",
     "a.id, e.id, i.id, y.id, g.granted_at, g.granted_by, g.last_used_at, g.expires_at, g.certified_at",
     "a.id, e.id",
     {"account", "entitlement", "identity", "system", "@granted_at", "granted_by", "@last_used_at", "@expires_at",
      "@certified_at", NULL}},
};

static void bind_filters(wr_stmt *st, const wr_inventory_query *q)
{
    wr_stmt_bind_text(st, 1, q->system);
    wr_stmt_bind_text(st, 2, q->identity);
    wr_stmt_bind_text(st, 3, q->filter && *q->filter ? q->filter : NULL);
}

int wr_inventory_search(wr_store *s, const wr_inventory_query *q, json_t **out, wr_err *err)
{
    const char *kind = q->kind ? q->kind : "identities";
    const search_kind *k = NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].name, kind) == 0)
            k = &kinds[i];
    if (!k)
        return wr_fail(err, WR_EINVAL, "search: kind must be identities, accounts, entitlements or grants, not '%s'",
                       kind);
    int64_t limit = q->limit <= 0 ? 100 : q->limit > 10000 ? 10000 : q->limit;
    if (q->offset < 0)
        return wr_fail(err, WR_EINVAL, "search: offset must not be negative");
    char sql[2048];
    wr_stmt *st;
    int64_t total = 0;
    snprintf(sql, sizeof sql, "SELECT count(*) %s", k->from_where);
    int rc = wr_stmt_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    bind_filters(st, q);
    if ((rc = wr_stmt_step(st, err)) == 1)
        total = wr_stmt_int(st, 0);
    wr_stmt_done(st);
    if (rc < 0)
        return rc;
    snprintf(sql, sizeof sql, "SELECT %s %s ORDER BY %s LIMIT ?4 OFFSET ?5", k->select, k->from_where, k->order);
    if ((rc = wr_stmt_prepare(s, sql, &st, err)))
        return rc;
    bind_filters(st, q);
    wr_stmt_bind_int(st, 4, limit);
    wr_stmt_bind_int(st, 5, q->offset);
    json_t *items = json_array();
    while ((rc = wr_stmt_step(st, err)) == 1) {
        json_t *o = json_object();
        for (int c = 0; k->cols[c]; c++) {
            if (k->cols[c][0] == '@')
                inv_json_time(o, k->cols[c] + 1, st, c);
            else
                inv_json_text(o, k->cols[c], st, c);
        }
        json_array_append_new(items, o);
    }
    wr_stmt_done(st);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:s,s:I,s:I,s:I,s:o}", "kind", kind, "total", (json_int_t)total, "offset",
                     (json_int_t)q->offset, "limit", (json_int_t)limit, "items", items);
    return WR_OK;
}
