/*
 * search.c — paginated listing of identities, accounts, entitlements and
 * grants, for `warrant inventory search` and the MCP server.
 *
 * Each kind has one FROM ... WHERE text with every filter optional
 * ("?1 IS NULL OR ..."), used twice: for the page (ORDER BY id LIMIT
 * OFFSET) and for the total.  Parameters: ?1 system, ?2 identity, ?3
 * filter (case-insensitive substring of id or name), ?4 limit, ?5 offset.
 */
#include "inventory_internal.h"

#include <string.h>

#define MAX_LIMIT 10000
#define LIKE(col) "instr(lower(" col "), lower(?3))>0"

#define ID_FROM "FROM identities i WHERE (?1 IS NULL OR EXISTS(SELECT 1 FROM accounts a JOIN systems s " \
    "ON s.rid=a.system_rid WHERE a.identity_rid=i.rid AND s.id=?1)) AND (?2 IS NULL OR i.id=?2 OR " \
    "i.owner=?2 OR i.manager=?2) AND (?3 IS NULL OR " LIKE("i.id") " OR " LIKE("coalesce(i.name,'')") ")"
#define ACC_FROM "FROM accounts a JOIN systems s ON s.rid=a.system_rid LEFT JOIN identities i ON " \
    "i.rid=a.identity_rid WHERE (?1 IS NULL OR s.id=?1) AND (?2 IS NULL OR i.id=?2) AND " \
    "(?3 IS NULL OR " LIKE("a.id") ")"
#define ENT_FROM "FROM entitlements e JOIN systems s ON s.rid=e.system_rid WHERE (?1 IS NULL OR s.id=?1) " \
    "AND (?2 IS NULL OR EXISTS(SELECT 1 FROM grants g JOIN accounts a ON a.rid=g.account_rid JOIN " \
    "identities i ON i.rid=a.identity_rid WHERE g.entitlement_rid=e.rid AND i.id=?2)) AND " \
    "(?3 IS NULL OR " LIKE("e.id") " OR " LIKE("coalesce(e.description,'')") ")"
#define GRANT_FROM "FROM grants g JOIN accounts a ON a.rid=g.account_rid JOIN entitlements e ON " \
    "e.rid=g.entitlement_rid JOIN systems s ON s.rid=e.system_rid LEFT JOIN identities i ON " \
    "i.rid=a.identity_rid WHERE (?1 IS NULL OR s.id=?1) AND (?2 IS NULL OR i.id=?2) AND " \
    "(?3 IS NULL OR " LIKE("a.id") " OR " LIKE("e.id") ")"

/* Column list: name and kind ('t' text, '@' timestamp). */
static const struct kind {
    const char *name, *page, *count, *cols;
} kinds[] = {
    {"identities",
     "SELECT i.id, i.kind, i.name, i.email, i.department, i.title, i.manager, i.status, i.owner, "
     "i.source, i.created_at, i.terminated_at " ID_FROM " ORDER BY i.id LIMIT ?4 OFFSET ?5",
     "SELECT count(*) " ID_FROM,
     "id kind name email department title manager status owner source @created_at @terminated_at"},
    {"accounts",
     "SELECT a.id, s.id, a.login, i.id, a.status, a.last_used_at, a.created_at, a.source " ACC_FROM
     " ORDER BY a.id LIMIT ?4 OFFSET ?5",
     "SELECT count(*) " ACC_FROM,
     "id system login identity status @last_used_at @created_at source"},
    {"entitlements",
     "SELECT e.id, s.id, e.name, e.privilege, e.description, e.owner, e.source " ENT_FROM
     " ORDER BY e.id LIMIT ?4 OFFSET ?5",
     "SELECT count(*) " ENT_FROM, "id system name privilege description owner source"},
    {"grants",
     "SELECT a.id, e.id, i.id, e.privilege, g.granted_at, g.granted_by, g.last_used_at, "
     "g.expires_at, g.certified_at, g.source " GRANT_FROM " ORDER BY a.id, e.id LIMIT ?4 OFFSET ?5",
     "SELECT count(*) " GRANT_FROM,
     "account entitlement identity privilege @granted_at granted_by @last_used_at @expires_at "
     "@certified_at source"},
};

static void bind_filters(wr_stmt *st, const wr_inventory_query *q)
{
    wr_stmt_bind_text(st, 1, q->system && *q->system ? q->system : NULL);
    wr_stmt_bind_text(st, 2, q->identity && *q->identity ? q->identity : NULL);
    wr_stmt_bind_text(st, 3, q->filter && *q->filter ? q->filter : NULL);
}

static json_t *row_json(wr_stmt *st, const char *cols)
{
    json_t *o = json_object();
    char name[64];
    int c = 0;
    for (const char *p = cols; *p; c++) {
        size_t n = strcspn(p, " ");
        snprintf(name, sizeof name, "%.*s", (int)n, p);
        if (name[0] == '@')
            inv_json_time(o, name + 1, st, c);
        else
            inv_json_text(o, name, st, c);
        p += n;
        while (*p == ' ')
            p++;
    }
    return o;
}

int wr_inventory_search(wr_store *s, const wr_inventory_query *q, json_t **out, wr_err *err)
{
    const char *kname = q->kind && *q->kind ? q->kind : "identities";
    const struct kind *k = NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].name, kname) == 0)
            k = &kinds[i];
    if (!k)
        return wr_fail(err, WR_EINVAL, "search: kind '%s' is not identities, accounts, "
                       "entitlements or grants", kname);
    int64_t limit = q->limit <= 0 ? 50 : q->limit > MAX_LIMIT ? MAX_LIMIT : q->limit;
    int64_t offset = q->offset < 0 ? 0 : q->offset;
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, k->count, &st, err);
    if (rc)
        return rc;
    bind_filters(st, q);
    rc = wr_stmt_step(st, err);
    int64_t total = rc == 1 ? wr_stmt_int(st, 0) : 0;
    wr_stmt_done(st);
    if (rc < 0 || (rc = wr_stmt_prepare(s, k->page, &st, err)))
        return rc;
    bind_filters(st, q);
    wr_stmt_bind_int(st, 4, limit);
    wr_stmt_bind_int(st, 5, offset);
    json_t *items = json_array();
    while ((rc = wr_stmt_step(st, err)) == 1)
        json_array_append_new(items, row_json(st, k->cols));
    wr_stmt_done(st);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:s,s:I,s:I,s:I,s:o}", "kind", k->name, "total", (json_int_t)total,
                     "offset", (json_int_t)offset, "limit", (json_int_t)limit, "items", items);
    return *out ? WR_OK : wr_fail(err, WR_ENOMEM, "out of memory");
}
