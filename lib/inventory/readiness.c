/*
 * readiness.c — identity data readiness metrics (definitions in
 * README-inventory.md), per system, per domain and overall.
 *
 * The metrics split in three by how they are kept:
 *
 *   Account and grant counters (accounts, active, owned, orphaned, dormant;
 *   grants, accurate, excessive) touch every account and every grant —
 *   millions of rows.  They are computed per system in one pass in C: the
 *   identities are loaded into an array indexed by rid (status, kind,
 *   "owner active" and a department number packed in 32 bits), the role
 *   model into a hash set of (department, entitlement) pairs, accounts and
 *   entitlements into arrays indexed by rid; then the grants are streamed
 *   once and each is resolved through those arrays instead of joins.  The
 *   accounts and the grants are each split in two rid ranges, the second
 *   read by a worker thread on its own connection (two cores).  The
 *   counters of each system are kept in readiness_cache.  A change to a
 *   few accounts or grants adjusts the cached row of its system (delta
 *   updates: the object's contribution before and after, evaluated at the
 *   row's computed_at); other changes delete the rows of the systems they
 *   touch (inv_touch_*), and a read recomputes only the systems whose row
 *   is missing or older than CACHE_TTL (time alone moves accounts across
 *   the dormancy threshold).  A domain or the whole estate is the sum of
 *   its systems.
 *
 *   Non-human identity counts (an NHI belongs to every system where it has
 *   an account; a domain counts each once; overall counts all) are not
 *   sums, so all scopes are kept together in readiness_nhi_cache, filled
 *   by the full pass or by a pass over the NHIs and their accounts alone,
 *   and emptied by any change to identities, systems or who holds an
 *   account.  They do not depend on time.
 *
 *   Credential counts are one grouped query over the credentials table
 *   (small), per system; a domain is the sum of its systems, overall is
 *   every credential.
 */
#include "inventory_internal.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_TTL 600
#define PARAMS_TEXT "dormant=90,unused=90,certified=365"

typedef inv_counts counts;
#define NCOUNTS INV_NCOUNTS

/* Counters of one scope that are not sums of cached system rows. */
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

/* ---- one account's and one grant's contribution ------------------------------ */

/* Identity status as counted: 0 active, 1 leave, 2 terminated, 3 no such
 * identity. */
#define ID_ABSENT 3u

static uint32_t status_code(const char *status)
{
    return !status ? ID_ABSENT : status[0] == 'a' ? 0 : status[0] == 'l' ? 1 : 2;
}

/* What an account adds to its system's counters at time `at`: the one
 * definition both the pass and the delta updates use. */
static void account_adds(counts *c, int active, uint32_t holder_status, int has_used,
                         int64_t used, int has_created, int64_t created, int64_t at)
{
    c->accounts++;
    if (!active)
        return;
    c->active++;
    c->owned += holder_status == 0;
    c->orphaned += holder_status == 2 || holder_status == ID_ABSENT;
    int64_t cut = at - (int64_t)INV_DORMANT_DAYS * INV_DAY;
    c->dormant += has_used ? used < cut : (!has_created || created < cut);
}

/* The same for a grant; role: the holder's department expects the
 * entitlement; nhi_priv: a privileged entitlement held by a non-human. */
static void grant_adds(counts *c, int role, int nhi_priv, int has_granted, int64_t granted,
                       int has_used, int64_t used, int has_cert, int64_t cert, int64_t at)
{
    c->grants++;
    int certified = has_cert && cert >= at - (int64_t)INV_CERTIFICATION_DAYS * INV_DAY;
    c->accurate += certified || role;
    int64_t cut = at - (int64_t)INV_UNUSED_GRANT_DAYS * INV_DAY;
    int unused = has_used ? used < cut : (!has_granted || granted < cut);
    c->excessive += unused || nhi_priv;
}

/* ---- the pass over accounts and grants ------------------------------------ */

/* Identity word: bits 0-1 status (status_code), bit 2 non-human, bit 3 its
 * owner is an active identity, bits 4.. department number. */
#define ID_NHI 4u
#define ID_OWNED 8u
#define ID_DEPT_SHIFT 4

/* (identity, system) of an account held by a live non-human identity. */
typedef struct nhi_pair {
    uint32_t ident, sys;
    uint32_t owned;
} nhi_pair;

typedef struct pairs {
    nhi_pair *v;
    size_t n, cap;
} pairs;

static int pairs_add(pairs *p, uint32_t ident, uint32_t sys, uint32_t owned)
{
    if (p->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 4096;
        nhi_pair *nv = realloc(p->v, ncap * sizeof *nv);
        if (!nv)
            return WR_ENOMEM;
        p->v = nv;
        p->cap = ncap;
    }
    p->v[p->n++] = (nhi_pair){ident, sys, owned};
    return WR_OK;
}

/* What one thread accumulates. */
typedef struct tally {
    counts *by_sys;         /* by system rid */
    pairs nhi;
    int oom;
} tally;

typedef struct pass {
    int64_t now;
    uint32_t *ident;        /* by identity rid */
    int64_t nident;
    uint32_t *acc_ident;    /* by account rid: identity rid, 0 = none */
    int64_t nacc;
    uint32_t *ent_sys;      /* by entitlement rid: system rid (0 = not loaded) */
    uint8_t *ent_high;      /* privileged or admin */
    int64_t nent;
    int64_t nsys;
    strmap depts;
    inv_set roles;
    tally t[2];
    int64_t nhi, nhi_owned; /* overall, from the identities */
} pass;

static void pass_free(pass *p)
{
    free(p->ident);
    free(p->acc_ident);
    free(p->ent_sys);
    free(p->ent_high);
    for (int i = 0; i < 2; i++) {
        free(p->t[i].by_sys);
        free(p->t[i].nhi.v);
    }
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

/* "Is the owner of this non-human identity an active identity?" */
#define OWNER_ACTIVE "(SELECT o.status='active' FROM identities o WHERE o.id=i.owner)"

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
    if ((rc = wr_stmt_prepare(s, "SELECT i.rid, i.kind='human', i.status, i.department, "
                              "CASE WHEN i.kind!='human' THEN " OWNER_ACTIVE " END "
                              "FROM identities i", &st, err)))
        return rc;
    while ((rc = wr_stmt_step(st, err)) == 1) {
        int64_t rid = wr_stmt_int(st, 0);
        uint32_t dept, w = status_code(wr_stmt_text(st, 2));
        if (strmap_id(&p->depts, wr_stmt_text(st, 3), &dept)) {
            rc = wr_fail(err, WR_ENOMEM, "out of memory");
            break;
        }
        if (!wr_stmt_int(st, 1)) {
            w |= ID_NHI;
            if (wr_stmt_int(st, 4))
                w |= ID_OWNED;
            if ((w & 3u) != 2) {
                p->nhi++;
                p->nhi_owned += (w & ID_OWNED) != 0;
            }
        }
        if (rid > 0 && rid <= p->nident)
            p->ident[rid] = w | dept << ID_DEPT_SHIFT;
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

static uint32_t holder_word(const pass *p, int64_t id)
{
    return (id > 0 && id <= p->nident) ? p->ident[id] : ID_ABSENT;
}

static void count_account(pass *p, tally *t, wr_stmt *st)
{
    /* columns: rid, system_rid, identity_rid, status='active', last_used_at, created_at */
    int64_t rid = wr_stmt_int(st, 0), sys = wr_stmt_int(st, 1), id = wr_stmt_int(st, 2);
    if (sys < 0 || sys > p->nsys || rid < 0 || rid > p->nacc)
        return;
    uint32_t w = holder_word(p, id);
    p->acc_ident[rid] = (uint32_t)(id > 0 ? id : 0);
    account_adds(&t->by_sys[sys], (int)wr_stmt_int(st, 3), w & 3u, !wr_stmt_is_null(st, 4),
                 wr_stmt_int(st, 4), !wr_stmt_is_null(st, 5), wr_stmt_int(st, 5), p->now);
    if ((w & 3u) != ID_ABSENT && (w & 3u) != 2 && (w & ID_NHI) &&
        pairs_add(&t->nhi, (uint32_t)id, (uint32_t)sys, (w & ID_OWNED) != 0))
        t->oom = 1;
}

static void count_grant(pass *p, tally *t, wr_stmt *st)
{
    /* columns: account_rid, entitlement_rid, granted_at, last_used_at, certified_at */
    int64_t acc = wr_stmt_int(st, 0), ent = wr_stmt_int(st, 1);
    if (acc < 0 || acc > p->nacc || ent < 0 || ent > p->nent || !p->ent_sys[ent])
        return;
    uint32_t w = holder_word(p, p->acc_ident[acc]);
    uint32_t dept = (w & 3u) == ID_ABSENT ? 0 : w >> ID_DEPT_SHIFT;
    int role = dept && inv_set_has(&p->roles, (uint64_t)dept << 32 | (uint64_t)ent);
    int nhi_priv = p->ent_high[ent] && (w & 3u) != ID_ABSENT && (w & ID_NHI);
    grant_adds(&t->by_sys[p->ent_sys[ent]], role, nhi_priv, !wr_stmt_is_null(st, 2),
               wr_stmt_int(st, 2), !wr_stmt_is_null(st, 3), wr_stmt_int(st, 3),
               !wr_stmt_is_null(st, 4), wr_stmt_int(st, 4), p->now);
}

static void load_entitlement(pass *p, tally *t, wr_stmt *st)
{
    (void)t;
    int64_t rid = wr_stmt_int(st, 0), sys = wr_stmt_int(st, 1);
    if (rid < 0 || rid > p->nent || sys <= 0 || sys > p->nsys)
        return;
    p->ent_sys[rid] = (uint32_t)sys;
    p->ent_high[rid] = (uint8_t)wr_stmt_int(st, 2);
}

typedef void (*row_fn)(pass *, tally *, wr_stmt *);

/* Runs sql with up to two integer parameters, fn on each row. */
static int scan(wr_store *s, const char *sql, int nargs, int64_t a1, int64_t a2, pass *p,
                tally *t, row_fn fn, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    if (nargs > 0)
        wr_stmt_bind_int(st, 1, a1);
    if (nargs > 1)
        wr_stmt_bind_int(st, 2, a2);
    while ((rc = wr_stmt_step(st, err)) == 1)
        fn(p, t, st);
    wr_stmt_done(st);
    if (rc >= 0 && t->oom)
        rc = wr_fail(err, WR_ENOMEM, "out of memory");
    return rc < 0 ? rc : WR_OK;
}

#define SQL_ACCOUNTS "SELECT rid, system_rid, identity_rid, status='active', last_used_at, created_at FROM accounts"
#define SQL_GRANTS "SELECT account_rid, entitlement_rid, granted_at, last_used_at, certified_at FROM grants"
#define SQL_ENTS "SELECT rid, system_rid, privilege IN ('privileged','admin') FROM entitlements"

/* The second half of a range scan, on the worker's own connection. */
typedef struct half {
    wr_store *s;
    const char *sql;
    int64_t lo, hi;
    pass *p;
    row_fn fn;
    int rc;
    wr_err err;
} half;

static void *half_run(void *arg)
{
    half *h = arg;
    h->rc = scan(h->s, h->sql, 2, h->lo, h->hi, h->p, &h->p->t[1], h->fn, &h->err);
    return NULL;
}

/* Scans sql (two parameters: a rid range) over [1, n]: the upper half on
 * the worker connection s2 in a thread when there is one. */
static int scan_split(wr_store *s, wr_store *s2, const char *sql, int64_t n, pass *p,
                      row_fn fn, wr_err *err)
{
    if (!s2 || n < 65536)
        return scan(s, sql, 2, 0, INT64_MAX, p, &p->t[0], fn, err);
    int64_t mid = n / 2;
    half h = {s2, sql, mid + 1, INT64_MAX, p, fn, 0, {0}};
    pthread_t th;
    if (pthread_create(&th, NULL, half_run, &h) != 0)
        return scan(s, sql, 2, 0, INT64_MAX, p, &p->t[0], fn, err);
    int rc = scan(s, sql, 2, 0, mid, p, &p->t[0], fn, err);
    pthread_join(th, NULL);
    if (rc == WR_OK && h.rc) {
        *err = h.err;
        rc = h.rc;
    }
    return rc;
}

/* A second connection for the worker half of a full pass, or NULL: only
 * outside a transaction (a worker could not see uncommitted changes). */
static wr_store *worker_open(wr_store *s)
{
    if (wr_store_in_transaction(s))
        return NULL;
    wr_store *s2 = NULL;
    wr_err ignored;
    if (wr_store_open(wr_store_dir(s), WR_STORE_READONLY, &s2, &ignored) != WR_OK)
        return NULL;
    return s2;
}

/* Computes the counters of the systems in want (rids; all systems when
 * all is set) into p->t[0].by_sys; with all also the NHI pairs. */
static int compute_counts(wr_store *s, pass *p, const int64_t *want, size_t nwant, int all,
                          wr_err *err)
{
    int rc;
    if ((rc = max_rid(s, "SELECT coalesce(max(rid),0) FROM systems", &p->nsys, err)) ||
        (rc = max_rid(s, "SELECT coalesce(max(rid),0) FROM accounts", &p->nacc, err)) ||
        (rc = max_rid(s, "SELECT coalesce(max(rid),0) FROM entitlements", &p->nent, err)))
        return rc;
    p->t[0].by_sys = alloc_array(p->nsys, sizeof(counts));
    p->t[1].by_sys = alloc_array(p->nsys, sizeof(counts));
    p->acc_ident = alloc_array(p->nacc, sizeof *p->acc_ident);
    p->ent_sys = alloc_array(p->nent, sizeof *p->ent_sys);
    p->ent_high = alloc_array(p->nent, sizeof *p->ent_high);
    if (!p->t[0].by_sys || !p->t[1].by_sys || !p->acc_ident || !p->ent_sys || !p->ent_high)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    if ((rc = load_identities(s, p, err)))
        return rc;
    if (all) {
        wr_store *s2 = worker_open(s);
        if ((rc = scan(s, SQL_ENTS, 0, 0, 0, p, &p->t[0], load_entitlement, err)) == WR_OK &&
            (rc = scan_split(s, s2, SQL_ACCOUNTS " WHERE rid BETWEEN ?1 AND ?2", p->nacc, p,
                             count_account, err)) == WR_OK)
            rc = scan_split(s, s2, SQL_GRANTS " WHERE account_rid BETWEEN ?1 AND ?2", p->nacc, p,
                            count_grant, err);
        wr_store_close(s2);
        for (int64_t i = 0; i <= p->nsys && rc == WR_OK; i++) {
            int64_t *to = &p->t[0].by_sys[i].accounts;
            const int64_t *from = &p->t[1].by_sys[i].accounts;
            for (int k = 0; k < NCOUNTS; k++)
                to[k] += from[k];
        }
        return rc;
    }
    for (size_t i = 0; i < nwant; i++) {
        if ((rc = scan(s, SQL_ENTS " WHERE system_rid=?", 1, want[i], 0, p, &p->t[0],
                       load_entitlement, err)) ||
            (rc = scan(s, SQL_ACCOUNTS " WHERE system_rid=?", 1, want[i], 0, p, &p->t[0],
                       count_account, err)))
            return rc;
    }
    /* The grants of the wanted systems, entitlement by entitlement. */
    for (int64_t e = 1; e <= p->nent; e++) {
        if (p->ent_sys[e] && (rc = scan(s, SQL_GRANTS " WHERE entitlement_rid=?", 1, e, 0, p,
                                        &p->t[0], count_grant, err)))
            return rc;
    }
    return WR_OK;
}

/* ---- delta updates ---------------------------------------------------------- */

static int cache_row(wr_store *s, int64_t sys, int64_t now, int64_t *at, counts *c, int *valid,
                     wr_err *err);

/* The entry of system sys in d, reading its cached row the first time. */
static int delta_entry(wr_store *s, inv_delta *d, int64_t sys, inv_delta_sys **out, wr_err *err)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->e[i].sys == sys) {
            *out = &d->e[i];
            return WR_OK;
        }
    if (d->n == d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 16;
        inv_delta_sys *ne = realloc(d->e, ncap * sizeof *ne);
        if (!ne)
            return wr_fail(err, WR_ENOMEM, "out of memory");
        d->e = ne;
        d->cap = ncap;
    }
    inv_delta_sys *e = &d->e[d->n];
    memset(e, 0, sizeof *e);
    e->sys = sys;
    counts ignored;
    int rc = cache_row(s, sys, wr_now(), &e->at, &ignored, &e->valid, err);
    if (rc)
        return rc;
    d->n++;
    *out = e;
    return WR_OK;
}

static void counts_add(counts *to, const counts *c, int sign)
{
    int64_t *t = &to->accounts;
    const int64_t *v = &c->accounts;
    for (int i = 0; i < NCOUNTS; i++)
        t[i] += sign * v[i];
}

/* Runs a contribution query: row columns 0 = system rid, then per kind. */
static int delta_take(wr_store *s, inv_delta *d, wr_stmt *st, int sign, int grant, wr_err *err)
{
    int rc = wr_stmt_step(st, err);
    if (rc <= 0) {
        wr_stmt_done(st);
        return rc;  /* no such object: it adds nothing */
    }
    inv_delta_sys *e = NULL;
    if ((rc = delta_entry(s, d, wr_stmt_int(st, 0), &e, err))) {
        wr_stmt_done(st);
        return rc;
    }
    if (e->valid) {
        counts c;
        memset(&c, 0, sizeof c);
        if (grant)
            grant_adds(&c, (int)wr_stmt_int(st, 1), (int)wr_stmt_int(st, 2),
                       !wr_stmt_is_null(st, 3), wr_stmt_int(st, 3), !wr_stmt_is_null(st, 4),
                       wr_stmt_int(st, 4), !wr_stmt_is_null(st, 5), wr_stmt_int(st, 5), e->at);
        else
            account_adds(&c, (int)wr_stmt_int(st, 1), status_code(wr_stmt_text(st, 2)),
                         !wr_stmt_is_null(st, 3), wr_stmt_int(st, 3), !wr_stmt_is_null(st, 4),
                         wr_stmt_int(st, 4), e->at);
        counts_add(&e->c, &c, sign);
    }
    wr_stmt_done(st);
    return WR_OK;
}

static int delta_start(inv_delta *d)
{
    if (d->off)
        return 1;
    if (++d->taken > INV_DELTA_MAX) {
        d->off = 1;
        return 1;
    }
    return 0;
}

int inv_delta_account(wr_store *s, inv_delta *d, int64_t rid, int sign, wr_err *err)
{
    if (delta_start(d))
        return 1;
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "SELECT a.system_rid, a.status='active', i.status, a.last_used_at, "
                             "a.created_at FROM accounts a LEFT JOIN identities i ON "
                             "i.rid=a.identity_rid WHERE a.rid=?", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_int(st, 1, rid);
    rc = delta_take(s, d, st, sign, 0, err);
    return rc < 0 ? rc : WR_OK;
}

int inv_delta_grant(wr_store *s, inv_delta *d, int64_t account_rid, int64_t entitlement_rid,
                    int sign, wr_err *err)
{
    if (delta_start(d))
        return 1;
    wr_stmt *st;
    /* role: the holder's department expects it (as the pass: a holder with
     * no department has no role); nhi_priv: privileged and held by a
     * non-human identity */
    int rc = wr_stmt_prepare(s, "SELECT e.system_rid, i.department IS NOT NULL AND "
                             "i.department!='' AND EXISTS(SELECT 1 FROM role_entitlements r WHERE "
                             "r.department=i.department AND r.entitlement_rid=g.entitlement_rid), "
                             "coalesce(e.privilege IN ('privileged','admin') AND i.kind!='human', 0), "
                             "g.granted_at, g.last_used_at, g.certified_at FROM grants g "
                             "JOIN accounts a ON a.rid=g.account_rid JOIN entitlements e ON "
                             "e.rid=g.entitlement_rid LEFT JOIN identities i ON i.rid=a.identity_rid "
                             "WHERE g.account_rid=? AND g.entitlement_rid=?", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_int(st, 1, account_rid);
    wr_stmt_bind_int(st, 2, entitlement_rid);
    rc = delta_take(s, d, st, sign, 1, err);
    return rc < 0 ? rc : WR_OK;
}

static int store_counts(wr_store *s, int64_t rid, int64_t at, const counts *c, wr_err *err);

int inv_delta_flush(wr_store *s, inv_delta *d, wr_err *err)
{
    int rc = WR_OK;
    for (size_t i = 0; i < d->n && rc == WR_OK; i++) {
        inv_delta_sys *e = &d->e[i];
        if (d->off) {
            rc = inv_touch_system(s, e->sys, err);
            continue;
        }
        if (!e->valid)
            continue;  /* no fresh row: the next read recounts the system */
        counts c;
        int64_t at;
        int valid;
        if ((rc = cache_row(s, e->sys, wr_now(), &at, &c, &valid, err)) || !valid || at != e->at)
            continue;
        counts_add(&c, &e->c, 1);
        rc = store_counts(s, e->sys, at, &c, err);
    }
    inv_delta_free(d);
    return rc;
}

void inv_delta_free(inv_delta *d)
{
    free(d->e);
    memset(d, 0, sizeof *d);
}

/* ---- the cache ------------------------------------------------------------ */

typedef struct sysinfo {
    int64_t rid;
    char *id, *domain;
    size_t dom;             /* index in estate.dom, or SIZE_MAX */
    counts c;
    live l;
    int have;
} sysinfo;

typedef struct dominfo {
    const char *name;       /* borrowed from a sysinfo */
    live l;
} dominfo;

typedef struct estate {
    sysinfo *sys;
    size_t n;
    dominfo *dom;
    size_t ndom;
    live all;
} estate;

static void estate_free(estate *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->sys[i].id);
        free(e->sys[i].domain);
    }
    free(e->sys);
    free(e->dom);
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

/* A cached row is fresh: same parameters, computed less than CACHE_TTL
 * ago, readable. */
static int row_fresh(const char *params, int64_t at, const char *text, int64_t now, counts *c)
{
    int64_t age = now - at;
    return params && strcmp(params, PARAMS_TEXT) == 0 && age >= 0 && age < CACHE_TTL && text &&
           parse_counts(text, c) == 0;
}

static int cache_row(wr_store *s, int64_t sys, int64_t now, int64_t *at, counts *c, int *valid,
                     wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "SELECT computed_at, params, counts FROM readiness_cache "
                             "WHERE system_rid=?", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_int(st, 1, sys);
    rc = wr_stmt_step(st, err);
    *valid = 0;
    if (rc == 1) {
        *at = wr_stmt_int(st, 0);
        *valid = row_fresh(wr_stmt_text(st, 1), *at, wr_stmt_text(st, 2), now, c);
    }
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

static int store_counts(wr_store *s, int64_t rid, int64_t at, const counts *c, wr_err *err)
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
    wr_stmt_bind_int(st, 2, at);
    wr_stmt_bind_text(st, 3, PARAMS_TEXT);
    wr_stmt_bind_text(st, 4, text);
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

int inv_touch_system(wr_store *s, int64_t system_rid, wr_err *err)
{
    return inv_exec_int(s, "DELETE FROM readiness_cache WHERE system_rid=?", system_rid, err);
}

int inv_touch_nhi(wr_store *s, wr_err *err)
{
    return wr_store_exec(s, "DELETE FROM readiness_nhi_cache", err);
}

int inv_touch_identity(wr_store *s, int64_t identity_rid, wr_err *err)
{
    int rc = inv_exec_int(s, "DELETE FROM readiness_cache WHERE system_rid IN "
                          "(SELECT system_rid FROM accounts WHERE identity_rid=?)", identity_rid, err);
    return rc ? rc : inv_touch_nhi(s, err);
}

int inv_touch_all(wr_store *s, wr_err *err)
{
    int rc = wr_store_exec(s, "DELETE FROM readiness_cache", err);
    return rc ? rc : inv_touch_nhi(s, err);
}

/* Writes happen in a transaction of their own unless the caller has one.
 * Another connection's commit since `version` (PRAGMA data_version) means
 * what was read may mix two states: then nothing is stored. */
static int data_version(wr_store *s, int64_t *v, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "PRAGMA data_version", &st, err);
    if (rc)
        return rc;
    rc = wr_stmt_step(st, err);
    *v = rc == 1 ? wr_stmt_int(st, 0) : -1;
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

typedef struct writer {
    int own, ok;
} writer;

static void writer_begin(wr_store *s, int64_t version, writer *w)
{
    wr_err ignored;
    int64_t now_version = -2;
    w->own = !wr_store_in_transaction(s);
    w->ok = data_version(s, &now_version, &ignored) == WR_OK && now_version == version &&
            (!w->own || wr_store_begin(s, &ignored) == WR_OK);
}

static void writer_end(wr_store *s, writer *w)
{
    wr_err ignored;
    if (w->own && wr_store_in_transaction(s) && wr_store_commit(s, &ignored))
        wr_store_rollback(s);
}

/* ---- non-human identities ------------------------------------------------------ */

static int pair_cmp(const void *a, const void *b)
{
    const nhi_pair *x = a, *y = b;
    if (x->ident != y->ident)
        return x->ident < y->ident ? -1 : 1;
    return x->sys < y->sys ? -1 : x->sys > y->sys;
}

/* Distinct NHIs per system and per domain from (identity, system) pairs;
 * pair.sys is a system rid. */
static void nhi_from_pairs(estate *e, nhi_pair *v, size_t n)
{
    /* system rid -> index */
    int64_t maxrid = 0;
    for (size_t i = 0; i < e->n; i++)
        if (e->sys[i].rid > maxrid)
            maxrid = e->sys[i].rid;
    size_t *idx = alloc_array(maxrid, sizeof *idx);
    size_t *dom_last = calloc(e->ndom + 1, sizeof *dom_last);
    if (!idx || !dom_last) {
        free(idx);
        free(dom_last);
        return;
    }
    for (int64_t r = 0; r <= maxrid; r++)
        idx[r] = SIZE_MAX;
    for (size_t i = 0; i < e->n; i++)
        idx[e->sys[i].rid] = i;
    if (n)
        qsort(v, n, sizeof *v, pair_cmp);
    for (size_t i = 0; i < n; i++) {
        if (v[i].sys > maxrid || idx[v[i].sys] == SIZE_MAX)
            continue;
        sysinfo *si = &e->sys[idx[v[i].sys]];
        if (i == 0 || v[i - 1].ident != v[i].ident || v[i - 1].sys != v[i].sys) {
            si->l.nhi++;
            si->l.nhi_owned += v[i].owned != 0;
        }
        /* a domain counts an identity once: remember the last one seen
         * (pairs are sorted by identity; +1 so 0 means none) */
        if (si->dom != SIZE_MAX && dom_last[si->dom] != (size_t)v[i].ident + 1) {
            dom_last[si->dom] = (size_t)v[i].ident + 1;
            e->dom[si->dom].l.nhi++;
            e->dom[si->dom].l.nhi_owned += v[i].owned != 0;
        }
    }
    free(idx);
    free(dom_last);
}

/* The NHI pairs without the full pass: the live non-human identities and
 * their accounts only. */
static int nhi_scan(wr_store *s, estate *e, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "SELECT count(*), coalesce(sum(" OWNER_ACTIVE "),0) FROM "
                             "identities i WHERE i.kind!='human' AND i.status!='terminated'", &st, err);
    if (rc)
        return rc;
    if ((rc = wr_stmt_step(st, err)) == 1) {
        e->all.nhi = wr_stmt_int(st, 0);
        e->all.nhi_owned = wr_stmt_int(st, 1);
    }
    wr_stmt_done(st);
    if (rc < 0 || (rc = wr_stmt_prepare(s, "SELECT a.identity_rid, a.system_rid, coalesce("
                                        OWNER_ACTIVE ",0) FROM identities i JOIN accounts a ON "
                                        "a.identity_rid=i.rid WHERE i.kind!='human' AND "
                                        "i.status!='terminated'", &st, err)))
        return rc;
    pairs pr = {NULL, 0, 0};
    while ((rc = wr_stmt_step(st, err)) == 1) {
        if (pairs_add(&pr, (uint32_t)wr_stmt_int(st, 0), (uint32_t)wr_stmt_int(st, 1),
                      (uint32_t)wr_stmt_int(st, 2))) {
            rc = wr_fail(err, WR_ENOMEM, "out of memory");
            break;
        }
    }
    wr_stmt_done(st);
    if (rc >= 0)
        nhi_from_pairs(e, pr.v, pr.n);
    free(pr.v);
    return rc < 0 ? rc : WR_OK;
}

/* Loads the NHI counts of every scope from readiness_nhi_cache: 1 when
 * the cache is complete (it has the overall row). */
static int nhi_cached(wr_store *s, estate *e, int *have, wr_err *err)
{
    wr_stmt *st;
    *have = 0;
    int rc = wr_stmt_prepare(s, "SELECT scope_kind, scope, nhi, nhi_owned FROM "
                             "readiness_nhi_cache", &st, err);
    if (rc)
        return rc;
    while ((rc = wr_stmt_step(st, err)) == 1) {
        const char *kind = wr_stmt_text(st, 0), *scope = wr_stmt_text(st, 1);
        live *l = NULL;
        if (strcmp(kind, "overall") == 0) {
            l = &e->all;
            *have = 1;
        } else if (strcmp(kind, "system") == 0) {
            for (size_t i = 0; i < e->n && !l; i++)
                if (strcmp(e->sys[i].id, scope) == 0)
                    l = &e->sys[i].l;
        } else {
            for (size_t i = 0; i < e->ndom && !l; i++)
                if (strcmp(e->dom[i].name, scope) == 0)
                    l = &e->dom[i].l;
        }
        if (l) {
            l->nhi = wr_stmt_int(st, 2);
            l->nhi_owned = wr_stmt_int(st, 3);
        }
    }
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

static int nhi_row(wr_store *s, const char *kind, const char *scope, const live *l, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "INSERT OR REPLACE INTO readiness_nhi_cache(scope_kind, scope, "
                             "nhi, nhi_owned) VALUES(?,?,?,?)", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, kind);
    wr_stmt_bind_text(st, 2, scope);
    wr_stmt_bind_int(st, 3, l->nhi);
    wr_stmt_bind_int(st, 4, l->nhi_owned);
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

static int nhi_store(wr_store *s, const estate *e, wr_err *err)
{
    int rc = inv_touch_nhi(s, err);
    for (size_t i = 0; i < e->n && rc == WR_OK; i++)
        rc = nhi_row(s, "system", e->sys[i].id, &e->sys[i].l, err);
    for (size_t i = 0; i < e->ndom && rc == WR_OK; i++)
        rc = nhi_row(s, "domain", e->dom[i].name, &e->dom[i].l, err);
    return rc ? rc : nhi_row(s, "overall", "", &e->all, err);
}

/* ---- credentials -------------------------------------------------------------- */

static int credentials(wr_store *s, estate *e, int64_t now, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "SELECT system_rid, count(*), coalesce(sum(location!='vault'),0), "
                             "coalesce(sum(coalesce(rotated_at, created_at) IS NULL OR "
                             "coalesce(rotated_at, created_at)<?1),0) FROM credentials "
                             "GROUP BY system_rid", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_int(st, 1, now - (int64_t)INV_ROTATION_DAYS * INV_DAY);
    while ((rc = wr_stmt_step(st, err)) == 1) {
        live c = {0, 0, wr_stmt_int(st, 1), wr_stmt_int(st, 2), wr_stmt_int(st, 3)};
        live *to[3] = {&e->all, NULL, NULL};
        int64_t sys = wr_stmt_is_null(st, 0) ? 0 : wr_stmt_int(st, 0);
        for (size_t i = 0; i < e->n && sys; i++) {
            if (e->sys[i].rid == sys) {
                to[1] = &e->sys[i].l;
                if (e->sys[i].dom != SIZE_MAX)
                    to[2] = &e->dom[e->sys[i].dom].l;
            }
        }
        for (int k = 0; k < 3; k++) {
            if (!to[k])
                continue;
            to[k]->credentials += c.credentials;
            to[k]->outside_vault += c.outside_vault;
            to[k]->stale += c.stale;
        }
    }
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

/* ---- the estate --------------------------------------------------------------- */

static int estate_systems(wr_store *s, int64_t now, estate *e, size_t *stale, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "SELECT s.rid, s.id, s.domain, c.computed_at, c.params, c.counts "
                             "FROM systems s LEFT JOIN readiness_cache c ON c.system_rid=s.rid "
                             "ORDER BY s.id", &st, err);
    if (rc)
        return rc;
    size_t cap = 0;
    *stale = 0;
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
        si->dom = SIZE_MAX;
        if (!si->id || (wr_stmt_text(st, 2) && !si->domain)) {
            rc = wr_fail(err, WR_ENOMEM, "out of memory");
            break;
        }
        if (!wr_stmt_is_null(st, 3) && row_fresh(wr_stmt_text(st, 4), wr_stmt_int(st, 3),
                                                 wr_stmt_text(st, 5), now, &si->c))
            si->have = 1;
        else
            ++*stale;
    }
    wr_stmt_done(st);
    if (rc < 0)
        return rc;
    /* the domains, in order of first appearance */
    if (e->n && !(e->dom = calloc(e->n, sizeof *e->dom)))
        return wr_fail(err, WR_ENOMEM, "out of memory");
    for (size_t i = 0; i < e->n; i++) {
        sysinfo *si = &e->sys[i];
        if (!si->domain)
            continue;
        for (size_t d = 0; d < e->ndom && si->dom == SIZE_MAX; d++)
            if (strcmp(e->dom[d].name, si->domain) == 0)
                si->dom = d;
        if (si->dom == SIZE_MAX) {
            si->dom = e->ndom;
            e->dom[e->ndom++].name = si->domain;
        }
    }
    return WR_OK;
}

/* Loads every system with its counters, recomputing the stale ones, and
 * the NHI and credential counts of every scope. */
static int estate_load(wr_store *s, int64_t now, estate *e, wr_err *err)
{
    memset(e, 0, sizeof *e);
    size_t stale;
    int64_t version;
    int rc = data_version(s, &version, err);
    if (rc == WR_OK)
        rc = estate_systems(s, now, e, &stale, err);
    int have_nhi = 0;
    if (rc == WR_OK)
        rc = nhi_cached(s, e, &have_nhi, err);
    if (rc) {
        estate_free(e);
        return rc;
    }
    if (have_nhi && !stale)
        goto creds;
    /* Recompute the stale systems: all in one pass when most are stale
     * (that pass also yields the NHI counts). */
    pass p;
    memset(&p, 0, sizeof p);
    p.now = now;
    int all = stale * 2 > e->n;
    if (stale) {
        int64_t *want = calloc(stale, sizeof *want);
        size_t nw = 0;
        for (size_t i = 0; i < e->n && want; i++)
            if (!e->sys[i].have)
                want[nw++] = e->sys[i].rid;
        rc = want ? compute_counts(s, &p, want, nw, all, err)
                  : wr_fail(err, WR_ENOMEM, "out of memory");
        free(want);
    }
    if (rc == WR_OK && !have_nhi) {
        if (stale && all) {
            pairs *a = &p.t[0].nhi, *b = &p.t[1].nhi;
            for (size_t i = 0; i < b->n && rc == WR_OK; i++)
                if (pairs_add(a, b->v[i].ident, b->v[i].sys, b->v[i].owned))
                    rc = wr_fail(err, WR_ENOMEM, "out of memory");
            e->all.nhi = p.nhi;
            e->all.nhi_owned = p.nhi_owned;
            if (rc == WR_OK)
                nhi_from_pairs(e, a->v, a->n);
        } else {
            rc = nhi_scan(s, e, err);
        }
    }
    if (rc) {
        pass_free(&p);
        estate_free(e);
        return rc;
    }
    /* Store what was computed; a store we cannot write to (or that another
     * connection changed meanwhile) just recomputes next time. */
    writer w;
    writer_begin(s, version, &w);
    wr_err ignored;
    for (size_t i = 0; i < e->n && stale; i++) {
        sysinfo *si = &e->sys[i];
        if (si->have)
            continue;
        si->c = p.t[0].by_sys[si->rid];
        si->have = 1;
        if (w.ok && store_counts(s, si->rid, now, &si->c, &ignored))
            w.ok = 0;
    }
    if (w.ok && !have_nhi && nhi_store(s, e, &ignored))
        w.ok = 0;
    writer_end(s, &w);
    pass_free(&p);
creds:
    if ((rc = credentials(s, e, now, err)))
        estate_free(e);
    return rc;
}

/* ---- output --------------------------------------------------------------------- */

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
        counts_add(c, &si->c, 1);
    }
    return found;
}

/* The NHI and credential counts of a scope. */
static live scope_live(const estate *e, int k, const char *scope)
{
    live none = {0, 0, 0, 0, 0};
    for (size_t i = 0; k == 1 && i < e->n; i++)
        if (strcmp(e->sys[i].id, scope) == 0)
            return e->sys[i].l;
    for (size_t i = 0; k == 2 && i < e->ndom; i++)
        if (strcmp(e->dom[i].name, scope) == 0)
            return e->dom[i].l;
    return k == 0 ? e->all : none;
}

static int scope_json(const estate *e, int k, const char *scope, int64_t now, json_t **out,
                      wr_err *err)
{
    static const char *const kinds[] = {"overall", "system", "domain"};
    counts c;
    if (!sum_scope(e, k, scope, &c))
        return wr_fail(err, WR_ENOTFOUND, "readiness: no %s '%s'", kinds[k], scope);
    live l = scope_live(e, k, scope);
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
    rc = scope_json(&e, k, scope, now, out, err);
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
    if ((rc = scope_json(&e, 0, NULL, now, &m, err)))
        goto out;
    json_object_set_new(all, "overall", m);
    for (size_t i = 0; i < e.n; i++) {
        if ((rc = scope_json(&e, 1, e.sys[i].id, now, &m, err)))
            goto out;
        json_object_set_new(systems, e.sys[i].id, m);
        const char *d = e.sys[i].domain;
        if (d && !json_object_get(domains, d)) {
            if ((rc = scope_json(&e, 2, d, now, &m, err)))
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

static json_t *snapshot_row(wr_stmt *st, void *arg)
{
    (void)arg;
    json_t *o = json_object();
    inv_json_time(o, "taken_at", st, 0);
    json_t *m = json_loads(wr_stmt_text(st, 1), 0, NULL);
    json_object_set_new(o, "metrics", m ? m : json_null());
    return o;
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
    return wr_stmt_collect(st, snapshot_row, NULL, 0, out, err);
}
