/*
 * offenders.c — the records behind a readiness metric: which accounts are
 * orphaned, which grants are excessive, which secrets are outside a vault.
 *
 * These are the metric definitions of README-inventory.md written as SQL
 * filters (readiness.c counts the same definitions in one pass in C; the
 * unit tests check that both agree).  The scope is one filter,
 * `?1='overall' OR (?1='system' AND s.id=?2) OR (?1='domain' AND
 * s.domain=?2)`, so every metric has one statement text; ?3 is the limit
 * and ?4 the cut-off time of the metric.
 */
#include "inventory_internal.h"

#include <string.h>

#define SCOPE "(?1='overall' OR (?1='system' AND s.id=?2) OR (?1='domain' AND s.domain=?2))"
#define ACC_FROM "FROM accounts a JOIN systems s ON s.rid=a.system_rid " \
                 "LEFT JOIN identities i ON i.rid=a.identity_rid "
#define GRANT_FROM "FROM grants g JOIN accounts a ON a.rid=g.account_rid " \
                   "JOIN entitlements e ON e.rid=g.entitlement_rid " \
                   "JOIN systems s ON s.rid=e.system_rid LEFT JOIN identities i ON i.rid=a.identity_rid "
#define NHI_WHERE "i.kind!='human' AND i.status!='terminated' AND (o.rid IS NULL OR o.status!='active') " \
                  "AND (?1='overall' OR EXISTS(SELECT 1 FROM accounts a JOIN systems s ON " \
                  "s.rid=a.system_rid WHERE a.identity_rid=i.rid AND " SCOPE "))"

/* Every statement yields: kind, id, reason, detail1, detail2; `detail`
 * names the two details ("@" before a name: a timestamp). */
typedef struct listing {
    const char *sql, *detail[2];
} listing;
#define NHI_LIST(cond) \
    {"SELECT 'identity', i.id, CASE WHEN i.owner IS NULL THEN 'no owner' WHEN o.rid IS NULL THEN " \
     "'owner unknown' ELSE 'owner ' || o.status END, i.owner, i.kind FROM identities i " \
     "LEFT JOIN identities o ON o.id=i.owner WHERE " NHI_WHERE " AND " cond " ORDER BY i.id LIMIT ?3", \
     {"owner", "identity_kind"}}
static const struct metric {
    const char *name;
    int64_t cut_days;
    listing first, second;  /* second: a further list (ownership: NHIs after accounts) */
} metrics[] = {
    {"orphan_rate", 0,
     {"SELECT 'account', a.id, CASE WHEN i.rid IS NULL THEN 'no identity' ELSE 'identity terminated' "
     "END, i.id, NULL " ACC_FROM "WHERE a.status='active' AND (i.rid IS NULL OR "
     "i.status='terminated') AND " SCOPE " AND ?4 IS NOT NULL ORDER BY a.id LIMIT ?3",
      {"identity", NULL}}, {NULL, {NULL, NULL}}},
    {"dormant_rate", INV_DORMANT_DAYS,
     {"SELECT 'account', a.id, CASE WHEN a.last_used_at IS NULL THEN 'never used' ELSE 'unused' END, "
     "i.id, a.last_used_at " ACC_FROM "WHERE a.status='active' AND CASE WHEN a.last_used_at IS NULL "
     "THEN a.created_at IS NULL OR a.created_at<?4 ELSE a.last_used_at<?4 END AND " SCOPE
     " ORDER BY a.id LIMIT ?3",
      {"identity", "@last_used_at"}}, {NULL, {NULL, NULL}}},
    {"ownership_completeness", 0,
     {"SELECT 'account', a.id, CASE WHEN i.rid IS NULL THEN 'no identity' ELSE 'identity ' || "
      "i.status END, i.id, NULL " ACC_FROM "WHERE a.status='active' AND (i.rid IS NULL OR "
      "i.status!='active') AND " SCOPE " AND ?4 IS NOT NULL ORDER BY a.id LIMIT ?3",
      {"identity", NULL}},
     NHI_LIST("?4 IS NOT NULL")},
    {"nhi_without_owner", 0, NHI_LIST("?4 IS NOT NULL"), {NULL, {NULL, NULL}}},
    {"entitlement_accuracy", INV_CERTIFICATION_DAYS,
     {"SELECT 'grant', a.id || '|' || e.id, 'outside the role model and not certified', i.id, "
     "i.department " GRANT_FROM "WHERE (g.certified_at IS NULL OR g.certified_at<?4) AND NOT EXISTS("
     "SELECT 1 FROM role_entitlements r WHERE r.department=i.department AND "
     "r.entitlement_rid=g.entitlement_rid) AND " SCOPE " ORDER BY a.id, e.id LIMIT ?3",
      {"holder", "department"}}, {NULL, {NULL, NULL}}},
    {"excessive_privilege_rate", INV_UNUSED_GRANT_DAYS,
     {"SELECT 'grant', a.id || '|' || e.id, CASE WHEN (CASE WHEN g.last_used_at IS NULL THEN "
     "g.granted_at IS NULL OR g.granted_at<?4 ELSE g.last_used_at<?4 END) THEN 'unused' "
     "ELSE e.privilege || ' held by a non-human identity' END, i.id, e.privilege " GRANT_FROM
     "WHERE ((CASE WHEN g.last_used_at IS NULL THEN g.granted_at IS NULL OR g.granted_at<?4 "
     "ELSE g.last_used_at<?4 END) OR (e.privilege IN ('privileged','admin') AND i.kind!='human')) "
     "AND " SCOPE " ORDER BY a.id, e.id LIMIT ?3",
      {"holder", "privilege"}}, {NULL, {NULL, NULL}}},
    {"secrets_outside_vault", 0,
     {"SELECT 'credential', c.id, 'stored in ' || c.location, c.location_ref, i.id FROM credentials c "
     "LEFT JOIN systems s ON s.rid=c.system_rid LEFT JOIN identities i ON i.rid=c.identity_rid "
     "WHERE c.location!='vault' AND (?1='overall' OR s.rid IS NOT NULL) AND " SCOPE
     " AND ?4 IS NOT NULL ORDER BY c.id LIMIT ?3",
      {"location_ref", "identity"}}, {NULL, {NULL, NULL}}},
    {"stale_secrets", INV_ROTATION_DAYS,
     {"SELECT 'credential', c.id, CASE WHEN coalesce(c.rotated_at, c.created_at) IS NULL THEN "
     "'never rotated' ELSE 'not rotated within 90 days' END, c.location, i.id FROM credentials c "
     "LEFT JOIN systems s ON s.rid=c.system_rid LEFT JOIN identities i ON i.rid=c.identity_rid "
     "WHERE (coalesce(c.rotated_at, c.created_at) IS NULL OR coalesce(c.rotated_at, c.created_at)<?4) "
     "AND (?1='overall' OR s.rid IS NOT NULL) AND " SCOPE " ORDER BY c.id LIMIT ?3",
      {"location", "identity"}}, {NULL, {NULL, NULL}}},
};

static int list(wr_store *s, const listing *l, const char *kind, const char *scope,
                int64_t limit, int64_t cut, json_t *arr, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, l->sql, &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, kind);
    wr_stmt_bind_text(st, 2, scope);
    wr_stmt_bind_int(st, 3, limit);
    wr_stmt_bind_int(st, 4, cut);
    while ((rc = wr_stmt_step(st, err)) == 1) {
        json_t *o = json_object();
        inv_json_text(o, "kind", st, 0);
        inv_json_text(o, "id", st, 1);
        inv_json_text(o, "reason", st, 2);
        for (int d = 0; d < 2; d++) {
            const char *name = l->detail[d];
            if (name && name[0] == '@')
                inv_json_time(o, name + 1, st, 3 + d);
            else if (name)
                inv_json_text(o, name, st, 3 + d);
        }
        json_array_append_new(arr, o);
    }
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

int wr_readiness_offenders(wr_store *s, const char *metric, const char *scope_kind,
                           const char *scope, size_t limit, json_t **out, wr_err *err)
{
    const char *kind = scope_kind ? scope_kind : "overall";
    if (strcmp(kind, "overall") != 0 && strcmp(kind, "system") != 0 && strcmp(kind, "domain") != 0)
        return wr_fail(err, WR_EINVAL, "readiness: scope kind '%s' is not overall, system or "
                       "domain", kind);
    if (strcmp(kind, "overall") != 0 && (!scope || !*scope))
        return wr_fail(err, WR_EINVAL, "readiness: a %s scope needs a name", kind);
    const struct metric *m = NULL;
    for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++)
        if (metric && strcmp(metrics[i].name, metric) == 0)
            m = &metrics[i];
    if (!m)
        return wr_fail(err, WR_EINVAL, "readiness: unknown metric '%s' (ownership_completeness, "
                       "orphan_rate, dormant_rate, entitlement_accuracy, excessive_privilege_rate, "
                       "secrets_outside_vault, stale_secrets, nhi_without_owner)",
                       metric ? metric : "");
    int64_t lim = (int64_t)(limit ? limit : 100), cut = wr_now() - m->cut_days * INV_DAY;
    json_t *arr = json_array();
    int rc = list(s, &m->first, kind, scope, lim, cut, arr, err);
    if (rc == WR_OK && m->second.sql && (int64_t)json_array_size(arr) < lim)
        rc = list(s, &m->second, kind, scope, lim - (int64_t)json_array_size(arr), cut, arr, err);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return WR_OK;
}
