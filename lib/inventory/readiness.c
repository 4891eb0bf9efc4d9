/*
 * readiness.c — identity data readiness metrics (definitions in
 * README-inventory.md), per system, per domain and overall.
 *
 * The metrics split in two by cost:
 *
 *   Account and grant counters (accounts, active, owned, orphaned, dormant;
 *   grants, accurate, excessive) touch every account and every grant —
 *   millions of rows.  They are computed per system in one pass in C: the
 *   identities are loaded into an array indexed by rid (status, kind and a
 *   department number packed in 32 bits), the role model into a hash set of
 *   (department, entitlement) pairs, accounts and entitlements into arrays
 *   indexed by rid; then the grants are streamed once and each is resolved
 *   through those arrays instead of joins.  The counters of each system are
 *   kept in readiness_cache; imports and operations delete the row of every
 *   system they touch (inv_touch_*), and a read recomputes only the systems
 *   whose row is missing or older than CACHE_TTL (time alone moves accounts
 *   across the dormancy threshold).  A domain or the whole estate is the
 *   sum of its systems.
 *
 *   Non-human identities and credentials are few; they are counted live in
 *   SQL for the scope asked (an NHI belongs to a system when it has an
 *   account there; a domain counts each NHI once).
 */
#include "inventory_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_TTL 600
#define PARAMS_TEXT "dormant=90,unused=90,certified=365"

/* Per-system counters, in the order they are cached. */
typedef struct counts {
    int64_t accounts, active, owned, orphaned, dormant;
    int64_t grants, accurate, excessive;
} counts;
#define NCOUNTS 8

/* Live counters of one scope. */
typedef struct live {
    int64_t nhi, nhi_owned, credentials, outside_vault, stale;
} live;

/* ---- small hash tables ------------------------------------------------- */

/* Department name -> small number (1-based; 0 = none). */
typedef struct strmap {
    char **keys;
    uint32_t *vals;
    size_t cap, n;
} strmap;

static void strmap_free(strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
}

static int strmap_id(strmap *m, const char *k, uint32_t *id)
{
    if (!k || !*k) {
        *id = 0;
        return WR_OK;
    }
    if ((m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 64;
        char **nk = calloc(ncap, sizeof *nk);
        uint32_t *nv = calloc(ncap, sizeof *nv);
        if (!nk || !nv) {
            free(nk);
            free(nv);
            return WR_ENOMEM;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i])
                continue;
            size_t j = inv_hash64(m->keys[i], strlen(m->keys[i]), 0) & (ncap - 1);
            while (nk[j])
                j = (j + 1) & (ncap - 1);
            nk[j] = m->keys[i];
            nv[j] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = nk;
        m->vals = nv;
        m->cap = ncap;
    }
    size_t j = inv_hash64(k, strlen(k), 0) & (m->cap - 1);
    while (m->keys[j]) {
        if (strcmp(m->keys[j], k) == 0) {
            *id = m->vals[j];
            return WR_OK;
        }
        j = (j + 1) & (m->cap - 1);
    }
    if (!(m->keys[j] = strdup(k)))
        return WR_ENOMEM;
    m->vals[j] = (uint32_t)++m->n;
    *id = m->vals[j];
    return WR_OK;
}

/* ---- the pass over accounts and grants ------------------------------------ */

/* Identity word: bits 0-1 status (0 active, 1 leave, 2 terminated, 3 no
 * such identity), bit 2 non-human, bits 3.. department number. */
#define ID_ABSENT 3u
#define ID_NHI 4u

typedef struct pass {
    int64_t now;
    uint32_t *ident;        /* by identity rid */
    int64_t nident;
    uint32_t *acc_ident;    /* by account rid: identity rid, 0 = none */
    int64_t nacc;
    uint32_t *ent_sys;      /* by entitlement rid: system rid (0 = not loaded) */
    uint8_t *ent_high;      /* privileged or admin */
    int64_t nent;
    counts *by_sys;         /* by system rid */
    int64_t nsys;
    strmap depts;
    inv_set roles;
} pass;

static void pass_free(pass *p)
{
    free(p->ident);
    free(p->acc_ident);
    free(p->ent_sys);
    free(p->ent_high);
    free(p->by_sys);
    strmap_free(&p->depts);
    inv_set_free(&p->roles);
}

static int max_rid(wr_store *s, const char *sql, int64_t *out, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    rc = wr_stmt_step(st, err);
    *out = rc == 1 ? wr_stmt_int(st, 0) : 0;
    wr_stmt_done(st);
    if (rc < 0)
        return rc;
    if (*out < 0 || *out > (int64_t)UINT32_MAX - 1)
        return wr_fail(err, WR_ELIMIT, "readiness: rid %" PRId64 " beyond 2^32", *out);
    return WR_OK;
}

static void *alloc_array(int64_t n, size_t size)
{
    return calloc((size_t)n + 1, size);
}

static int load_identities(wr_store *s, pass *p, wr_err *err)
{
    int rc = max_rid(s, "SELECT coalesce(max(rid),0) FROM identities", &p->nident, err);
    if (rc)
        return rc;
    if (!(p->ident = alloc_array(p->nident, sizeof *p->ident)))
        return wr_fail(err, WR_ENOMEM, "out of memory");
    for (int64_t i = 0; i <= p->nident; i++)
        p->ident[i] = ID_ABSENT;
    wr_stmt *st;
    if ((rc = wr_stmt_prepare(s, "SELECT rid, kind='human', status, department FROM identities",
                              &st, err)))
        return rc;
    while ((rc = wr_stmt_step(st, err)) == 1) {
        int64_t rid = wr_stmt_int(st, 0);
        const char *status = wr_stmt_text(st, 2);
        uint32_t dept, w = status[0] == 'a' ? 0 : status[0] == 'l' ? 1 : 2;
        if (strmap_id(&p->depts, wr_stmt_text(st, 3), &dept)) {
            rc = wr_fail(err, WR_ENOMEM, "out of memory");
            break;
        }
        if (!wr_stmt_int(st, 1))
            w |= ID_NHI;
        p->ident[rid] = w | dept << 3;
    }
    wr_stmt_done(st);
    if (rc < 0)
        return rc;
    if ((rc = wr_stmt_prepare(s, "SELECT department, entitlement_rid FROM role_entitlements",
                              &st, err)))
        return rc;
    while ((rc = wr_stmt_step(st, err)) == 1) {
        uint32_t dept;
        if (strmap_id(&p->depts, wr_stmt_text(st, 0), &dept) ||
            inv_set_add(&p->roles, (uint64_t)dept << 32 | (uint64_t)wr_stmt_int(st, 1)) < 0) {
            rc = wr_fail(err, WR_ENOMEM, "out of memory");
            break;
        }
    }
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

static void count_account(pass *p, wr_stmt *st)
{
    /* columns: rid, system_rid, identity_rid, status='active', last_used_at, created_at */
    int64_t rid = wr_stmt_int(st, 0), sys = wr_stmt_int(st, 1), id = wr_stmt_int(st, 2);
    if (sys < 0 || sys > p->nsys || rid < 0 || rid > p->nacc)
        return;
    counts *c = &p->by_sys[sys];
    uint32_t w = (id > 0 && id <= p->nident) ? p->ident[id] : ID_ABSENT;
    p->acc_ident[rid] = (uint32_t)(id > 0 ? id : 0);
    c->accounts++;
    if (!wr_stmt_int(st, 3))
        return;
    c->active++;
    uint32_t status = w & 3u;
    c->owned += status == 0;
    c->orphaned += status == 2 || status == ID_ABSENT;
    int64_t cut = p->now - (int64_t)INV_DORMANT_DAYS * INV_DAY;
    if (!wr_stmt_is_null(st, 4))
        c->dormant += wr_stmt_int(st, 4) < cut;
    else
        c->dormant += wr_stmt_is_null(st, 5) || wr_stmt_int(st, 5) < cut;
}

static void count_grant(pass *p, wr_stmt *st)
{
    /* columns: account_rid, entitlement_rid, granted_at, last_used_at, certified_at */
    int64_t acc = wr_stmt_int(st, 0), ent = wr_stmt_int(st, 1);
    if (acc < 0 || acc > p->nacc || ent < 0 || ent > p->nent || !p->ent_sys[ent])
        return;
    counts *c = &p->by_sys[p->ent_sys[ent]];
    uint32_t holder = p->acc_ident[acc];
    uint32_t w = holder && holder <= p->nident ? p->ident[holder] : ID_ABSENT;
    uint32_t dept = (w & 3u) == ID_ABSENT ? 0 : w >> 3;
    c->grants++;
    int certified = !wr_stmt_is_null(st, 4) &&
                    wr_stmt_int(st, 4) >= p->now - (int64_t)INV_CERTIFICATION_DAYS * INV_DAY;
    int role = dept && inv_set_has(&p->roles, (uint64_t)dept << 32 | (uint64_t)ent);
    c->accurate += certified || role;
    int64_t cut = p->now - (int64_t)INV_UNUSED_GRANT_DAYS * INV_DAY;
    int unused = !wr_stmt_is_null(st, 3) ? wr_stmt_int(st, 3) < cut
                                         : (wr_stmt_is_null(st, 2) || wr_stmt_int(st, 2) < cut);
    int nhi_priv = p->ent_high[ent] && (w & 3u) != ID_ABSENT && (w & ID_NHI);
    c->excessive += unused || nhi_priv;
}

static int scan(wr_store *s, const char *sql, int64_t arg, int use_arg, pass *p,
                void (*fn)(pass *, wr_stmt *), wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    if (use_arg)
        wr_stmt_bind_int(st, 1, arg);
    while ((rc = wr_stmt_step(st, err)) == 1)
        fn(p, st);
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

static void load_entitlement(pass *p, wr_stmt *st)
{
    int64_t rid = wr_stmt_int(st, 0), sys = wr_stmt_int(st, 1);
    if (rid < 0 || rid > p->nent || sys <= 0 || sys > p->nsys)
        return;
    p->ent_sys[rid] = (uint32_t)sys;
    p->ent_high[rid] = (uint8_t)wr_stmt_int(st, 2);
}

#define SQL_ACCOUNTS "SELECT rid, system_rid, identity_rid, status='active', last_used_at, created_at FROM accounts"
#define SQL_GRANTS "SELECT account_rid, entitlement_rid, granted_at, last_used_at, certified_at FROM grants"
#define SQL_ENTS "SELECT rid, system_rid, privilege IN ('privileged','admin') FROM entitlements"

/* Computes the counters of the systems in want (rids; all systems when
 * all is set) into p->by_sys. */
static int compute_counts(wr_store *s, pass *p, const int64_t *want, size_t nwant, int all,
                          wr_err *err)
{
    int rc;
    if ((rc = max_rid(s, "SELECT coalesce(max(rid),0) FROM systems", &p->nsys, err)) ||
        (rc = max_rid(s, "SELECT coalesce(max(rid),0) FROM accounts", &p->nacc, err)) ||
        (rc = max_rid(s, "SELECT coalesce(max(rid),0) FROM entitlements", &p->nent, err)))
        return rc;
    p->by_sys = alloc_array(p->nsys, sizeof *p->by_sys);
    p->acc_ident = alloc_array(p->nacc, sizeof *p->acc_ident);
    p->ent_sys = alloc_array(p->nent, sizeof *p->ent_sys);
    p->ent_high = alloc_array(p->nent, sizeof *p->ent_high);
    if (!p->by_sys || !p->acc_ident || !p->ent_sys || !p->ent_high)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    if ((rc = load_identities(s, p, err)))
        return rc;
    if (all) {
        if ((rc = scan(s, SQL_ENTS, 0, 0, p, load_entitlement, err)) ||
            (rc = scan(s, SQL_ACCOUNTS, 0, 0, p, count_account, err)) ||
            (rc = scan(s, SQL_GRANTS, 0, 0, p, count_grant, err)))
            return rc;
        return WR_OK;
    }
    for (size_t i = 0; i < nwant; i++) {
        if ((rc = scan(s, SQL_ENTS " WHERE system_rid=?", want[i], 1, p, load_entitlement, err)) ||
            (rc = scan(s, SQL_ACCOUNTS " WHERE system_rid=?", want[i], 1, p, count_account, err)))
            return rc;
    }
    /* The grants of the wanted systems, entitlement by entitlement. */
    for (int64_t e = 1; e <= p->nent; e++) {
        if (p->ent_sys[e] &&
            (rc = scan(s, SQL_GRANTS " WHERE entitlement_rid=?", e, 1, p, count_grant, err)))
            return rc;
    }
    return WR_OK;
}

/* ---- the cache ------------------------------------------------------------ */

typedef struct sysinfo {
    int64_t rid;
    char *id, *domain;
    counts c;
    int have;
} sysinfo;

typedef struct estate {
    sysinfo *sys;
    size_t n;
} estate;

static void estate_free(estate *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->sys[i].id);
        free(e->sys[i].domain);
    }
    free(e->sys);
}

static int parse_counts(const char *text, counts *c)
{
    int64_t *v = &c->accounts;
    const char *p = text;
    for (int i = 0; i < NCOUNTS; i++) {
        char *end;
        long long x = strtoll(p, &end, 10);
        if (end == p)
            return -1;
        v[i] = x;
        p = end;
    }
    return 0;
}

static int store_counts(wr_store *s, int64_t rid, int64_t now, const counts *c, wr_err *err)
{
    char text[NCOUNTS * 24];
    const int64_t *v = &c->accounts;
    size_t off = 0;
    for (int i = 0; i < NCOUNTS; i++)
        off += (size_t)snprintf(text + off, sizeof text - off, "%s%" PRId64, i ? " " : "", v[i]);
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "INSERT OR REPLACE INTO readiness_cache(system_rid, computed_at, "
                             "params, counts) VALUES(?,?,?,?)", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_int(st, 1, rid);
    wr_stmt_bind_int(st, 2, now);
    wr_stmt_bind_text(st, 3, PARAMS_TEXT);
    wr_stmt_bind_text(st, 4, text);
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

/* Loads every system with its counters, recomputing the stale ones. */
static int estate_load(wr_store *s, int64_t now, estate *e, wr_err *err)
{
    wr_stmt *st;
    memset(e, 0, sizeof *e);
    int rc = wr_stmt_prepare(s, "SELECT s.rid, s.id, s.domain, c.computed_at, c.params, c.counts "
                             "FROM systems s LEFT JOIN readiness_cache c ON c.system_rid=s.rid "
                             "ORDER BY s.id", &st, err);
    if (rc)
        return rc;
    size_t cap = 0, stale = 0;
    while ((rc = wr_stmt_step(st, err)) == 1) {
        if (e->n == cap) {
            cap = cap ? cap * 2 : 32;
            sysinfo *ns = realloc(e->sys, cap * sizeof *ns);
            if (!ns) {
                rc = wr_fail(err, WR_ENOMEM, "out of memory");
                break;
            }
            e->sys = ns;
        }
        sysinfo *si = &e->sys[e->n++];
        memset(si, 0, sizeof *si);
        si->rid = wr_stmt_int(st, 0);
        si->id = strdup(wr_stmt_text(st, 1));
        si->domain = wr_stmt_text(st, 2) ? strdup(wr_stmt_text(st, 2)) : NULL;
        int64_t age = now - wr_stmt_int(st, 3);
        const char *params = wr_stmt_text(st, 4), *text = wr_stmt_text(st, 5);
        if (params && strcmp(params, PARAMS_TEXT) == 0 && age >= 0 && age < CACHE_TTL && text &&
            parse_counts(text, &si->c) == 0)
            si->have = 1;
        else
            stale++;
    }
    wr_stmt_done(st);
    if (rc < 0) {
        estate_free(e);
        return rc;
    }
    if (!stale)
        return WR_OK;
    /* Recompute the stale systems: all in one pass when most are stale. */
    int64_t *want = calloc(stale, sizeof *want);
    pass p;
    memset(&p, 0, sizeof p);
    p.now = now;
    size_t nw = 0;
    for (size_t i = 0; i < e->n; i++)
        if (!e->sys[i].have && want)
            want[nw++] = e->sys[i].rid;
    rc = want ? compute_counts(s, &p, want, nw, stale * 2 > e->n, err)
              : wr_fail(err, WR_ENOMEM, "out of memory");
    free(want);
    if (rc) {
        pass_free(&p);
        estate_free(e);
        return rc;
    }
    /* Store the fresh counters; a store we cannot write to just recomputes
     * next time. */
    int own = !wr_store_in_transaction(s);
    wr_err ignored;
    int can_write = !own || wr_store_begin(s, &ignored) == WR_OK;
    for (size_t i = 0; i < e->n; i++) {
        sysinfo *si = &e->sys[i];
        if (si->have)
            continue;
        si->c = p.by_sys[si->rid];
        si->have = 1;
        if (can_write && store_counts(s, si->rid, now, &si->c, &ignored))
            can_write = 0;
    }
    if (own && wr_store_in_transaction(s) && wr_store_commit(s, &ignored))
        wr_store_rollback(s);
    pass_free(&p);
    return WR_OK;
}

int inv_touch_system(wr_store *s, int64_t system_rid, wr_err *err)
{
    return inv_exec_int(s, "DELETE FROM readiness_cache WHERE system_rid=?", system_rid, err);
}

int inv_touch_identity(wr_store *s, int64_t identity_rid, wr_err *err)
{
    return inv_exec_int(s, "DELETE FROM readiness_cache WHERE system_rid IN "
                        "(SELECT system_rid FROM accounts WHERE identity_rid=?)", identity_rid, err);
}

int inv_touch_all(wr_store *s, wr_err *err)
{
    return wr_store_exec(s, "DELETE FROM readiness_cache", err);
}

/* ---- live counters (NHIs, credentials) ------------------------------------- */

/* One SQL text per scope kind, so each can use its index. */
static const char *const nhi_sql[3] = {
    "SELECT count(*), coalesce(sum(o.status='active'),0) FROM identities i "
    "LEFT JOIN identities o ON o.id=i.owner WHERE i.kind!='human' AND i.status!='terminated' "
    "AND ?1 IS NULL",
    "SELECT count(*), coalesce(sum(o.status='active'),0) FROM identities i "
    "LEFT JOIN identities o ON o.id=i.owner WHERE i.rid IN (SELECT a.identity_rid FROM accounts a "
    "JOIN systems s ON s.rid=a.system_rid WHERE s.id=?1) AND i.kind!='human' AND i.status!='terminated'",
    "SELECT count(*), coalesce(sum(o.status='active'),0) FROM identities i "
    "LEFT JOIN identities o ON o.id=i.owner WHERE i.rid IN (SELECT a.identity_rid FROM systems s "
    "JOIN accounts a ON a.system_rid=s.rid WHERE s.domain=?1) AND i.kind!='human' AND i.status!='terminated'",
};
static const char *const cred_sql[3] = {
    "SELECT count(*), coalesce(sum(location!='vault'),0), "
    "coalesce(sum(coalesce(rotated_at, created_at) IS NULL OR coalesce(rotated_at, created_at)<?2),0) "
    "FROM credentials WHERE ?1 IS NULL",
    "SELECT count(*), coalesce(sum(c.location!='vault'),0), "
    "coalesce(sum(coalesce(c.rotated_at, c.created_at) IS NULL OR coalesce(c.rotated_at, c.created_at)<?2),0) "
    "FROM credentials c JOIN systems s ON s.rid=c.system_rid WHERE s.id=?1",
    "SELECT count(*), coalesce(sum(c.location!='vault'),0), "
    "coalesce(sum(coalesce(c.rotated_at, c.created_at) IS NULL OR coalesce(c.rotated_at, c.created_at)<?2),0) "
    "FROM credentials c JOIN systems s ON s.rid=c.system_rid WHERE s.domain=?1",
};

static int scope_index(const char *scope_kind)
{
    if (!scope_kind || strcmp(scope_kind, "overall") == 0)
        return 0;
    if (strcmp(scope_kind, "system") == 0)
        return 1;
    if (strcmp(scope_kind, "domain") == 0)
        return 2;
    return -1;
}

static int live_counts(wr_store *s, int k, const char *scope, int64_t now, live *l, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, nhi_sql[k], &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, k ? scope : NULL);
    if ((rc = wr_stmt_step(st, err)) == 1) {
        l->nhi = wr_stmt_int(st, 0);
        l->nhi_owned = wr_stmt_int(st, 1);
    }
    wr_stmt_done(st);
    if (rc < 0 || (rc = wr_stmt_prepare(s, cred_sql[k], &st, err)))
        return rc;
    wr_stmt_bind_text(st, 1, k ? scope : NULL);
    wr_stmt_bind_int(st, 2, now - (int64_t)INV_ROTATION_DAYS * INV_DAY);
    if ((rc = wr_stmt_step(st, err)) == 1) {
        l->credentials = wr_stmt_int(st, 0);
        l->outside_vault = wr_stmt_int(st, 1);
        l->stale = wr_stmt_int(st, 2);
    }
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

/* ---- output --------------------------------------------------------------------- */

static double frac(int64_t num, int64_t den, double empty)
{
    return den ? (double)num / (double)den : empty;
}

/* Whole percentages: good metrics floor, bad ones ceil, so rounding never
 * loosens a gate ("completeness >= 95" never passes at 94.9 %). */
static int64_t pct_good(int64_t num, int64_t den)
{
    return den ? (100 * num) / den : 100;
}

static int64_t pct_bad(int64_t num, int64_t den)
{
    return den ? (100 * num + den - 1) / den : 0;
}

static json_t *metrics_json(const char *scope_kind, const char *scope, int64_t now,
                            const counts *c, const live *l)
{
    char ts[21];
    wr_time_format(now, ts);
    int64_t own_num = c->owned + l->nhi_owned, own_den = c->active + l->nhi;
    int64_t nhi_wo = l->nhi - l->nhi_owned;
    json_t *o = json_object();
    json_object_set_new(o, "scope_kind", json_string(scope_kind));
    json_object_set_new(o, "scope", scope ? json_string(scope) : json_null());
    json_object_set_new(o, "computed_at", json_string(ts));
    json_object_set_new(o, "params", json_pack("{s:i,s:i,s:i,s:i}", "dormant_days", INV_DORMANT_DAYS,
                                               "unused_grant_days", INV_UNUSED_GRANT_DAYS,
                                               "certification_days", INV_CERTIFICATION_DAYS,
                                               "rotation_days", INV_ROTATION_DAYS));
    json_object_set_new(o, "ownership_completeness", json_real(frac(own_num, own_den, 1)));
    json_object_set_new(o, "owned", json_integer(own_num));
    json_object_set_new(o, "ownable", json_integer(own_den));
    json_object_set_new(o, "orphan_rate", json_real(frac(c->orphaned, c->active, 0)));
    json_object_set_new(o, "orphaned_accounts", json_integer(c->orphaned));
    json_object_set_new(o, "accounts", json_integer(c->accounts));
    json_object_set_new(o, "active_accounts", json_integer(c->active));
    json_object_set_new(o, "dormant_rate", json_real(frac(c->dormant, c->active, 0)));
    json_object_set_new(o, "dormant_accounts", json_integer(c->dormant));
    json_object_set_new(o, "entitlement_accuracy", json_real(frac(c->accurate, c->grants, 1)));
    json_object_set_new(o, "accurate_grants", json_integer(c->accurate));
    json_object_set_new(o, "grants", json_integer(c->grants));
    json_object_set_new(o, "excessive_privilege_rate", json_real(frac(c->excessive, c->grants, 0)));
    json_object_set_new(o, "excessive_grants", json_integer(c->excessive));
    json_object_set_new(o, "credentials", json_integer(l->credentials));
    json_object_set_new(o, "secrets_outside_vault", json_integer(l->outside_vault));
    json_object_set_new(o, "secrets_outside_vault_rate",
                        json_real(frac(l->outside_vault, l->credentials, 0)));
    json_object_set_new(o, "stale_secrets", json_integer(l->stale));
    json_object_set_new(o, "stale_secrets_rate", json_real(frac(l->stale, l->credentials, 0)));
    json_object_set_new(o, "nhi", json_integer(l->nhi));
    json_object_set_new(o, "nhi_without_owner", json_integer(nhi_wo));
    json_t *cedar = json_object();
    json_object_set_new(cedar, "ownership_completeness", json_integer(pct_good(own_num, own_den)));
    json_object_set_new(cedar, "orphan_rate", json_integer(pct_bad(c->orphaned, c->active)));
    json_object_set_new(cedar, "orphaned_accounts", json_integer(c->orphaned));
    json_object_set_new(cedar, "dormant_rate", json_integer(pct_bad(c->dormant, c->active)));
    json_object_set_new(cedar, "entitlement_accuracy", json_integer(pct_good(c->accurate, c->grants)));
    json_object_set_new(cedar, "excessive_privilege_rate",
                        json_integer(pct_bad(c->excessive, c->grants)));
    json_object_set_new(cedar, "secrets_outside_vault", json_integer(l->outside_vault));
    json_object_set_new(cedar, "secrets_outside_vault_rate",
                        json_integer(pct_bad(l->outside_vault, l->credentials)));
    json_object_set_new(cedar, "stale_secrets", json_integer(l->stale));
    json_object_set_new(cedar, "stale_secrets_rate", json_integer(pct_bad(l->stale, l->credentials)));
    json_object_set_new(cedar, "nhi_without_owner", json_integer(nhi_wo));
    json_object_set_new(o, "cedar", cedar);
    return o;
}

static void add_counts(counts *to, const counts *c)
{
    int64_t *t = &to->accounts;
    const int64_t *v = &c->accounts;
    for (int i = 0; i < NCOUNTS; i++)
        t[i] += v[i];
}

/* Sums the systems of a scope (k: 0 overall, 1 system, 2 domain). */
static int sum_scope(const estate *e, int k, const char *scope, counts *c)
{
    int found = k == 0;
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < e->n; i++) {
        const sysinfo *si = &e->sys[i];
        if (k == 1 && strcmp(si->id, scope) != 0)
            continue;
        if (k == 2 && (!si->domain || strcmp(si->domain, scope) != 0))
            continue;
        found = 1;
        add_counts(c, &si->c);
    }
    return found;
}

static int scope_json(wr_store *s, const estate *e, int k, const char *scope, int64_t now,
                      json_t **out, wr_err *err)
{
    static const char *const kinds[] = {"overall", "system", "domain"};
    counts c;
    live l = {0, 0, 0, 0, 0};
    if (!sum_scope(e, k, scope, &c))
        return wr_fail(err, WR_ENOTFOUND, "readiness: no %s '%s'", kinds[k], scope);
    int rc = live_counts(s, k, scope, now, &l, err);
    if (rc)
        return rc;
    if (!(*out = metrics_json(kinds[k], k ? scope : NULL, now, &c, &l)))
        return wr_fail(err, WR_ENOMEM, "out of memory");
    return WR_OK;
}

int wr_readiness_compute(wr_store *s, const char *scope_kind, const char *scope, json_t **out,
                         wr_err *err)
{
    int k = scope_index(scope_kind);
    if (k < 0)
        return wr_fail(err, WR_EINVAL, "readiness: scope kind '%s' is not overall, system or "
                       "domain", scope_kind);
    if (k && (!scope || !*scope))
        return wr_fail(err, WR_EINVAL, "readiness: a %s scope needs a name", scope_kind);
    int64_t now = wr_now();
    estate e;
    int rc = estate_load(s, now, &e, err);
    if (rc)
        return rc;
    rc = scope_json(s, &e, k, scope, now, out, err);
    estate_free(&e);
    return rc;
}

int wr_readiness_compute_all(wr_store *s, json_t **out, wr_err *err)
{
    int64_t now = wr_now();
    estate e;
    int rc = estate_load(s, now, &e, err);
    if (rc)
        return rc;
    json_t *all = json_object(), *domains = json_object(), *systems = json_object(), *m;
    json_object_set_new(all, "domains", domains);
    json_object_set_new(all, "systems", systems);
    if ((rc = scope_json(s, &e, 0, NULL, now, &m, err)))
        goto out;
    json_object_set_new(all, "overall", m);
    for (size_t i = 0; i < e.n; i++) {
        if ((rc = scope_json(s, &e, 1, e.sys[i].id, now, &m, err)))
            goto out;
        json_object_set_new(systems, e.sys[i].id, m);
        const char *d = e.sys[i].domain;
        if (d && !json_object_get(domains, d)) {
            if ((rc = scope_json(s, &e, 2, d, now, &m, err)))
                goto out;
            json_object_set_new(domains, d, m);
        }
    }
out:
    estate_free(&e);
    if (rc) {
        json_decref(all);
        return rc;
    }
    *out = all;
    return WR_OK;
}

static int snapshot_insert(wr_store *s, int64_t now, const char *kind, const char *scope,
                           const json_t *m, wr_err *err)
{
    char *text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "INSERT INTO readiness_snapshots(taken_at, scope_kind, scope, "
                             "metrics) VALUES(?,?,?,?)", &st, err);
    if (rc == WR_OK) {
        wr_stmt_bind_int(st, 1, now);
        wr_stmt_bind_text(st, 2, kind);
        wr_stmt_bind_text(st, 3, scope);
        wr_stmt_bind_text(st, 4, text);
        rc = wr_stmt_step(st, err);
        wr_stmt_done(st);
    }
    free(text);
    return rc < 0 ? rc : WR_OK;
}

int wr_readiness_snapshot(wr_store *s, wr_err *err)
{
    json_t *all;
    int rc = wr_readiness_compute_all(s, &all, err);
    if (rc)
        return rc;
    int64_t now = wr_now();
    int own = !wr_store_in_transaction(s);
    if (own && (rc = wr_store_begin(s, err))) {
        json_decref(all);
        return rc;
    }
    rc = snapshot_insert(s, now, "overall", NULL, json_object_get(all, "overall"), err);
    const char *key;
    json_t *m;
    json_object_foreach(json_object_get(all, "domains"), key, m) {
        if (rc == WR_OK)
            rc = snapshot_insert(s, now, "domain", key, m, err);
    }
    json_object_foreach(json_object_get(all, "systems"), key, m) {
        if (rc == WR_OK)
            rc = snapshot_insert(s, now, "system", key, m, err);
    }
    json_decref(all);
    if (rc) {
        if (own)
            wr_store_rollback(s);
        return rc;
    }
    return own ? wr_store_commit(s, err) : WR_OK;
}

int wr_readiness_history(wr_store *s, const char *scope_kind, const char *scope, size_t limit,
                         json_t **out, wr_err *err)
{
    int k = scope_index(scope_kind);
    if (k < 0)
        return wr_fail(err, WR_EINVAL, "readiness: scope kind '%s' is not overall, system or "
                       "domain", scope_kind);
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "SELECT taken_at, metrics FROM (SELECT seq, taken_at, metrics "
                             "FROM readiness_snapshots WHERE scope_kind=?1 AND scope IS ?2 "
                             "ORDER BY taken_at DESC, seq DESC LIMIT ?3) ORDER BY taken_at, seq",
                             &st, err);
    if (rc)
        return rc;
    static const char *const kinds[] = {"overall", "system", "domain"};
    wr_stmt_bind_text(st, 1, kinds[k]);
    wr_stmt_bind_text(st, 2, k ? scope : NULL);
    wr_stmt_bind_int(st, 3, (int64_t)(limit ? limit : 100));
    json_t *arr = json_array();
    while ((rc = wr_stmt_step(st, err)) == 1) {
        json_t *o = json_object();
        inv_json_time(o, "taken_at", st, 0);
        json_t *m = json_loads(wr_stmt_text(st, 1), 0, NULL);
        json_object_set_new(o, "metrics", m ? m : json_null());
        json_array_append_new(arr, o);
    }
    wr_stmt_done(st);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return WR_OK;
}
