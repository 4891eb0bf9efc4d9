/*
 * sync.c — reconciliation of a system's inventory with its target
 * (`warrant sync SYSTEM`).
 *
 * Memory follows the largest group, not the number of memberships.  The
 * inventory's accounts of the system are read first into a sorted array
 * of (hash of the local id, rid, flag bits) with a table of where each
 * hash prefix starts (17 bytes an account); its entitlements into a small
 * hash map of hash -> rid.  The target is then streamed through the
 * connector's lister, accounts first: each is looked up and marked, and
 * one the inventory lacks goes into a map of fresh accounts (with a
 * negative key of this run) and is imported at once through the
 * streaming importer (source "sync:<system>").  Then each group, with its
 * members, is merged against the inventory's grants of that entitlement
 * only: the members become sorted account keys, the grants come sorted
 * from the grants_entitlement index, and one pass finds what only the
 * target has (unmanaged: imported) and what only the inventory has (a
 * candidate for "missing").  No map of all grants is ever built.
 *
 * A target may list a group twice (two entries with one name), so the
 * missing candidates are settled only after the listing, and a later
 * listing of a group drops the candidates it names and does not count
 * again the unmanaged memberships an earlier one found.  The candidates
 * are (entitlement, account) key pairs, 16 bytes each (they are few: the
 * inventory's grants a first listing did not name); the unmanaged
 * memberships, a million on a first sync's dry run, are kept per group
 * listing as its entitlement and its sorted account keys in LEB128 deltas
 * (added_put), 1-2 bytes each instead of 16.  Groups
 * the target no longer lists have all their grants missing; accounts it
 * did not list are gone.  All of it — imports, removals of missing grants
 * and the "sync.drift" log entry — is one store transaction.
 *
 * A system's first sync (the inventory holds nothing of it) takes the
 * bulk-load path instead of the importer (sync_load.c): every listed
 * object is an addition, so compact rows go straight in, the map of
 * fresh accounts holds each account's rid, and the journal gets one event
 * per kind.  It asks the connector for the groups first (LDAP obliges):
 * each member then gets the rid its account will have (member_rid), all
 * memberships go in when the first account arrives, while the reader
 * thread still receives the accounts (for a directory, most of the
 * listing's time), and members whose account never comes are settled as
 * unknown afterwards (settle_unknown).
 *
 * Difference lists are summarised as a count, an order-independent digest
 * (the XOR of the SHA-256 of each item, so two reads of the same directory
 * in a different order agree) and the first list_cap items.
 */
#include "workflow_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a uint64 -> (flags, rid) map ---------------------------------------------------- */

/* Open addressing, linear probing, at most half full.  A slot's key and
 * rid share one cache line; the flags are a byte array of their own (an
 * eighth of the size: at 100k accounts 256 KiB, which stays in the CPU's
 * cache), so a lookup of a million listed members costs one miss each,
 * not one per array (keys and rids apart cost two). */
typedef struct fslot {
    uint64_t key;     /* 0: empty */
    int64_t rid;      /* the inventory rid, or a negative key of this run */
} fslot;

typedef struct fmap {
    fslot *slots;
    uint8_t *vals;
    size_t cap, n;
} fmap;

static uint64_t hash2(const char *a, const char *b)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *p = a; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
    h = (h ^ 0xff) * 0x100000001b3ULL;   /* separator no name holds */
    for (const char *p = b ? b : ""; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h ? h : 1;
}

static uint8_t *fmap_slot(fmap *m, uint64_t k, int create)
{
    if (create && (m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 1024;
        fslot *ns = calloc(ncap, sizeof *ns);
        uint8_t *nv = calloc(ncap, 1);
        if (!ns || !nv) {
            free(ns);
            free(nv);
            return NULL;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->slots[i].key)
                continue;
            size_t j = m->slots[i].key & (ncap - 1);
            while (ns[j].key)
                j = (j + 1) & (ncap - 1);
            ns[j] = m->slots[i];
            nv[j] = m->vals[i];
        }
        free(m->slots);
        free(m->vals);
        m->slots = ns;
        m->vals = nv;
        m->cap = ncap;
    }
    if (!m->cap)
        return NULL;
    size_t j = k & (m->cap - 1);
    while (m->slots[j].key && m->slots[j].key != k)
        j = (j + 1) & (m->cap - 1);
    if (!m->slots[j].key) {
        if (!create)
            return NULL;
        m->slots[j].key = k;
        m->n++;
    }
    return &m->vals[j];
}

/* The rid of the value v returned by fmap_slot. */
static int64_t *fmap_rid(fmap *m, const uint8_t *v)
{
    return &m->slots[v - m->vals].rid;
}

static void fmap_free(fmap *m)
{
    free(m->slots);
    free(m->vals);
}

/* ---- difference lists ------------------------------------------------------------------ */

typedef struct diff {
    const char *name;
    uint64_t count;
    uint8_t x[WR_SHA256_LEN];
    json_t *items;
} diff;

static void diff_xor(uint8_t x[WR_SHA256_LEN], const uint8_t h[WR_SHA256_LEN])
{
    for (int i = 0; i < WR_SHA256_LEN; i++)
        x[i] ^= h[i];
}

static void item_sha(const char *item, uint8_t h[WR_SHA256_LEN])
{
    /* the SHA256_* context, not a one-shot EVP call per item: a first
     * sync hashes a million items, and each EVP call fetches the
     * algorithm (a lock and an allocation) */
    const void *part = item;
    size_t len = strlen(item);
    wr_sha256_v(&part, &len, 1, h);
}

/* Whether the list still shows its items (the first cap). */
static int diff_shows(const diff *d, size_t cap)
{
    return json_array_size(d->items) < cap;
}

/* Counts an item whose hash is already in the digest. */
static void diff_note(diff *d, size_t cap, const char *item)
{
    if (diff_shows(d, cap))
        json_array_append_new(d->items, json_string(item));
    d->count++;
}

/* Adds an item; h: its SHA-256 when known (the reader thread's), or NULL. */
static void diff_add_h(diff *d, size_t cap, const char *item, const uint8_t *h)
{
    uint8_t own[WR_SHA256_LEN];
    if (!h) {
        item_sha(item, own);
        h = own;
    }
    diff_xor(d->x, h);
    diff_note(d, cap, item);
}

static void diff_add(diff *d, size_t cap, const char *item)
{
    diff_add_h(d, cap, item, NULL);
}

/* Takes back an item diff_add_h or diff_note counted (h: its SHA-256). */
static void diff_drop(diff *d, const char *item, const uint8_t h[WR_SHA256_LEN])
{
    diff_xor(d->x, h);
    d->count--;
    for (size_t i = 0; i < json_array_size(d->items); i++)
        if (strcmp(json_string_value(json_array_get(d->items, i)), item) == 0) {
            json_array_remove(d->items, i);
            break;
        }
}

static void diff_digest(const diff *d, char hex[2 * WR_SHA256_LEN + 8])
{
    memcpy(hex, "sha256:", 8);
    wr_hex_encode(d->x, WR_SHA256_LEN, hex + 7);
}

static json_t *diff_json(const diff *d)
{
    char hex[2 * WR_SHA256_LEN + 8];
    diff_digest(d, hex);
    return json_pack("{s:I,s:s,s:O}", "count", (json_int_t)d->count, "digest", hex, "items", d->items);
}

/* A_MEMBER: a first sync gave a member a rid before its account was listed (member_rid) */
enum { A_INV = 1, A_ORPHAN = 2, A_DISABLED = 4, A_TARGET = 8, A_MEMBER = 16 };
enum { G_INV = 1, G_SEEN = 2 };
enum { D_UNMANAGED, D_MISSING, D_ORPHANS, D_NEW_ACCOUNTS, D_NEW_GROUPS, D_STATUS, D_ACCOUNTS_GONE,
       D_UNKNOWN_MEMBERS, D_COUNT };

/* ---- the inventory's accounts: a sorted array ------------------------------------------------ */

/* Accounts held at most by one sync run (a hard cap on the index). */
#define SYNC_MAX_ACCOUNTS ((size_t)1 << 28)

/* The system's inventory accounts sorted by the hash of their local id,
 * in parallel arrays (17 bytes an account), with a table of where each
 * prefix of top bits starts, so a lookup is one table read and a binary
 * search of a handful of keys. */
typedef struct acct_ix {
    uint64_t *h;
    int64_t *rid;
    uint8_t *f;
    size_t n;
    uint32_t *first;   /* (1 << bits) + 1 entries */
    unsigned bits;
} acct_ix;

typedef struct acct_row {
    uint64_t h;
    int64_t rid;
    uint8_t f;
} acct_row;

static int acct_row_cmp(const void *x, const void *y)
{
    const acct_row *a = x, *b = y;
    return (a->h > b->h) - (a->h < b->h);
}

/* Builds the index from rows (sorted here); rows stay the caller's. */
static int ix_build(acct_ix *x, acct_row *rows, size_t n)
{
    qsort(rows, n, sizeof *rows, acct_row_cmp);
    x->bits = 0;
    while (x->bits < 24 && ((size_t)4 << x->bits) <= n)
        x->bits++;
    size_t nb = (size_t)1 << x->bits;
    x->h = malloc((n ? n : 1) * sizeof *x->h);
    x->rid = malloc((n ? n : 1) * sizeof *x->rid);
    x->f = malloc(n ? n : 1);
    x->first = malloc((nb + 1) * sizeof *x->first);
    if (!x->h || !x->rid || !x->f || !x->first)
        return WR_ENOMEM;
    size_t b = 0;
    for (size_t i = 0; i < n; i++) {
        x->h[i] = rows[i].h;
        x->rid[i] = rows[i].rid;
        x->f[i] = rows[i].f;
        size_t top = x->bits ? (size_t)(rows[i].h >> (64 - x->bits)) : 0;
        while (b <= top)
            x->first[b++] = (uint32_t)i;
    }
    while (b <= nb)
        x->first[b++] = (uint32_t)n;
    x->n = n;
    return WR_OK;
}

/* The index of key k, or -1.  Equal keys (two ids with one local part)
 * sit side by side; the first is found. */
static ptrdiff_t ix_find(const acct_ix *x, uint64_t k)
{
    if (!x->n)
        return -1;
    size_t top = x->bits ? (size_t)(k >> (64 - x->bits)) : 0;
    size_t lo = x->first[top], hi = x->first[top + 1], end = hi;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->h[mid] < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < end && x->h[lo] == k ? (ptrdiff_t)lo : -1;
}

static void ix_free(acct_ix *x)
{
    free(x->h);
    free(x->rid);
    free(x->f);
    free(x->first);
}

/* ---- the run ------------------------------------------------------------------------------------ */

/* A membership by keys: e is the entitlement's rid (a new group: a
 * negative number of this run), a the account's rid (an account new in
 * this run: a negative number from the map of fresh accounts). */
typedef struct pair {
    int64_t e, a;
} pair;

/* A listed member: its account key and its place in the group's list. */
typedef struct mkey {
    int64_t key;
    size_t i;
} mkey;

/* Pairs kept across groups (missing candidates, unmanaged memberships:
 * both are drift) and per-group buffers (memory of the largest group). */
#define SYNC_MAX_PAIRS ((size_t)1 << 30)
/* The page cache of a first sync's bulk load (see wr_sync). */
#define SYNC_BULK_CACHE_KIB 1024

typedef struct sync_run {
    wr_ctx *ctx;
    const char *system;
    int64_t sys_rid;
    int dry_run;
    size_t cap;
    acct_ix ix;          /* the inventory's accounts (steady state) */
    fmap fresh;          /* accounts the inventory lacks; rid: the key (bulk: the rid stored) */
    fmap ents;           /* entitlements; rid: inventory rid or a negative key */
    int64_t new_groups;
    diff d[D_COUNT];
    wr_inventory_importer *imp;
    wf_bulk *bulk;       /* first sync: the bulk-load path instead of imp */
    uint64_t rejected;
    json_t *problems;    /* rows the bulk path could not store */
    wr_buf cand;         /* pairs: inventory grants no listing of their group has named (yet) */
    wr_buf added;        /* memberships found unmanaged, so a group listed twice counts them once:
                          * per group listing, {e, n} then n sorted account keys (added_put) */
    wr_buf keys;         /* mkey: the current group's members */
    wr_buf held;         /* int64: account rids the inventory grants the current group */
    wr_buf missing;      /* "account\0entitlement\0" pairs to revoke */
    char src[300];
    uint64_t target_accounts, target_memberships;
    wf_sync_digests dg;  /* first sync: item hashes from the reader thread */
    wr_buf pre;          /* first sync: login\0 of each member given a rid before the accounts
                          * were listed (member_rid), the k-th with rid pre_rid + k */
    int64_t pre_rid;
} sync_run;

static int oom(wr_err *err)
{
    return wr_fail(err, WR_ENOMEM, "out of memory");
}

static const char *local(const sync_run *r, const char *id)
{
    size_t n = strlen(r->system);
    return strncmp(id, r->system, n) == 0 && id[n] == ':' ? id + n + 1 : id;
}

/* "<system>:<member> <entitlement id>", truncated to cap like snprintf
 * (the reader thread hashes the same text, sync_pipe.c). */
static void member_item(const sync_run *r, const char *member, const char *ent, char *item, size_t cap)
{
    wf_sync_join(item, cap, (const char *const[]){r->system, ":", member, " ", ent}, 5);
}

/* ---- the inventory side ------------------------------------------------------------------ */

/* The first column of the first row of sql bound with text, or with the
 * system's rid when text is NULL (0 when no row). */
static int scalar(sync_run *r, const char *sql, const char *text, int64_t *v, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(r->ctx->store, sql, &st, err);
    if (rc)
        return rc;
    if (text)
        wr_stmt_bind_text(st, 1, text);
    else
        wr_stmt_bind_int(st, 1, r->sys_rid);
    rc = wr_stmt_step(st, err);
    *v = rc == 1 ? wr_stmt_int(st, 0) : 0;
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

/* The system's accounts into the sorted index. */
static int inv_accounts(sync_run *r, wr_err *err)
{
    int64_t n = 0;
    int rc = scalar(r, "SELECT count(*) FROM accounts WHERE system_rid=?", NULL, &n, err);
    if (rc)
        return rc;
    if ((size_t)n > SYNC_MAX_ACCOUNTS)
        return wr_fail(err, WR_ELIMIT, "sync %s: %lld accounts, more than %zu", r->system, (long long)n,
                       SYNC_MAX_ACCOUNTS);
    size_t cap = (size_t)n + 16, k = 0;
    acct_row *rows = malloc(cap * sizeof *rows);
    if (!rows)
        return oom(err);
    wr_stmt *st;
    if ((rc = wr_stmt_prepare(r->ctx->store, "SELECT a.rid, a.id, a.status, i.rid FROM accounts a LEFT JOIN "
                              "identities i ON i.rid=a.identity_rid WHERE a.system_rid=?", &st, err))) {
        free(rows);
        return rc;
    }
    wr_stmt_bind_int(st, 1, r->sys_rid);
    while ((rc = wr_stmt_step(st, err)) == 1) {
        if (k == cap) {   /* accounts added since the count */
            acct_row *nr = cap < SYNC_MAX_ACCOUNTS ? realloc(rows, cap * 2 * sizeof *rows) : NULL;
            if (!nr) {
                rc = oom(err);
                break;
            }
            rows = nr;
            cap *= 2;
        }
        rows[k].h = hash2(local(r, wr_stmt_text(st, 1)), NULL);
        rows[k].rid = wr_stmt_int(st, 0);
        rows[k].f = A_INV | (wr_stmt_is_null(st, 3) ? A_ORPHAN : 0) |
                    (strcmp(wr_stmt_text(st, 2), "disabled") == 0 ? A_DISABLED : 0);
        k++;
    }
    wr_stmt_done(st);
    if (rc == 0 && ix_build(&r->ix, rows, k))
        rc = oom(err);
    free(rows);
    return rc < 0 ? rc : WR_OK;
}

static int inv_entitlements(sync_run *r, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(r->ctx->store, "SELECT rid, id FROM entitlements WHERE system_rid=?", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_int(st, 1, r->sys_rid);
    while ((rc = wr_stmt_step(st, err)) == 1) {
        uint8_t *g = fmap_slot(&r->ents, hash2(local(r, wr_stmt_text(st, 1)), NULL), 1);
        if (!g) {
            rc = oom(err);
            break;
        }
        *g |= G_INV;
        *fmap_rid(&r->ents, g) = wr_stmt_int(st, 0);
    }
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

static int inv_load(sync_run *r, wr_err *err)
{
    int rc = scalar(r, "SELECT rid FROM systems WHERE id=?", r->system, &r->sys_rid, err);
    if (rc)
        return rc;
    if (!r->sys_rid)
        return wr_fail(err, WR_ENOTFOUND, "system '%s' not found", r->system);
    if ((rc = inv_accounts(r, err)))
        return rc;
    return inv_entitlements(r, err);
}

/* A grant the target lacks: reported and, unless a dry run, revoked. */
static int add_missing(sync_run *r, const char *account, const char *entitlement, wr_err *err)
{
    char item[1200];
    snprintf(item, sizeof item, "%s %s", account, entitlement);
    diff_add(&r->d[D_MISSING], r->cap, item);
    if (r->dry_run)
        return WR_OK;
    if (wr_buf_append(&r->missing, account, strlen(account) + 1) ||
        wr_buf_append(&r->missing, entitlement, strlen(entitlement) + 1))
        return wr_fail(err, WR_ELIMIT, "sync %s: too many missing grants to remove in one run", r->system);
    return WR_OK;
}

/* Steps a statement bound with (?1, ?2, ?3 = the system) and reports each
 * (account id, entitlement id) row as missing. */
static int missing_rows(sync_run *r, wr_stmt *st, int64_t a, int64_t b, wr_err *err)
{
    int rc;
    wr_stmt_bind_int(st, 1, a);
    wr_stmt_bind_int(st, 2, b);
    wr_stmt_bind_int(st, 3, r->sys_rid);
    while ((rc = wr_stmt_step(st, err)) == 1 &&
           (rc = add_missing(r, wr_stmt_text(st, 0), wr_stmt_text(st, 1), err)) == WR_OK) {
    }
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

/* After the listing: what the target lacks.  Candidates are inventory
 * grants of listed groups that no listing named; a group the target no
 * longer lists has all its grants missing; an account it did not list is
 * gone.  Only grants between the system's own accounts and entitlements
 * are compared (a grant across systems belongs to neither directory). */
static int settle_missing(sync_run *r, wr_err *err)
{
    wr_stmt *st;
    const pair *c = (const pair *)r->cand.data;
    size_t nc = r->cand.len / sizeof *c;
    int rc = WR_OK;
    if (nc && (rc = wr_stmt_prepare(r->ctx->store, "SELECT a.id, e.id FROM accounts a, entitlements e "
                                    "WHERE a.rid=?1 AND e.rid=?2 AND a.system_rid=?3", &st, err)))
        return rc;
    for (size_t i = 0; i < nc && rc == WR_OK; i++)
        if (c[i].a)
            rc = missing_rows(r, st, c[i].a, c[i].e, err);
    for (size_t i = 0; i < r->ents.cap && rc == WR_OK; i++) {
        if (!r->ents.slots[i].key || (r->ents.vals[i] & (G_INV | G_SEEN)) != G_INV)
            continue;
        if ((rc = wr_stmt_prepare(r->ctx->store, "SELECT a.id, e.id FROM grants g JOIN accounts a ON "
                                  "a.rid=g.account_rid JOIN entitlements e ON e.rid=g.entitlement_rid WHERE "
                                  "g.entitlement_rid=?1 AND ?2=?2 AND a.system_rid=?3", &st, err)) == WR_OK)
            rc = missing_rows(r, st, r->ents.slots[i].rid, 0, err);
    }
    for (size_t i = 0; i < r->ix.n && rc == WR_OK; i++) {
        if (r->ix.f[i] & A_TARGET)
            continue;
        if ((rc = wr_stmt_prepare(r->ctx->store, "SELECT id FROM accounts WHERE rid=?", &st, err)))
            break;
        wr_stmt_bind_int(st, 1, r->ix.rid[i]);
        if ((rc = wr_stmt_step(st, err)) == 1)
            diff_add(&r->d[D_ACCOUNTS_GONE], r->cap, wr_stmt_text(st, 0));
        wr_stmt_done(st);
        rc = rc < 0 ? rc : WR_OK;
    }
    return rc;
}

/* ---- the target side ------------------------------------------------------------------------ */

static int import(sync_run *r, const char *kind, json_t *obj, wr_err *err)
{
    int rc = r->dry_run ? WR_OK : wr_inventory_importer_add(r->imp, kind, obj, r->src, err);
    json_decref(obj);
    return rc;
}

static int identity_exists(sync_run *r, const char *id)
{
    wr_stmt *st;
    if (wr_stmt_prepare(r->ctx->store, "SELECT 1 FROM identities WHERE id=?", &st, NULL))
        return 0;
    wr_stmt_bind_text(st, 1, id);
    int rc = wr_stmt_step(st, NULL);
    wr_stmt_done(st);
    return rc == 1;
}

/* Bulk path: a name the inventory cannot store is reported, not loaded
 * (the importer's rule for a bad row). */
static int bulk_rejects(sync_run *r, const char *what, const char *name)
{
    const char *why = wf_bulk_invalid(name);
    if (!why)
        return 0;
    r->rejected++;
    char msg[128];
    snprintf(msg, sizeof msg, "%s: %s", what, why);
    if (json_array_size(r->problems) < WR_INV_MAX_PROBLEMS)
        json_array_append_new(r->problems, json_pack("{s:s,s:s}", "where", r->src, "message", msg));
    return 1;
}

/* First sync: every account is new (the inventory holds none of the
 * system's); it goes in without a JSON row or a per-row journal entry. */
static int bulk_account(sync_run *r, uint8_t *f, const char *id, const char *login, int disabled, wr_err *err)
{
    if (bulk_rejects(r, "account", id))
        return WR_OK;
    int64_t rid = (*f & A_MEMBER) ? *fmap_rid(&r->fresh, f) : 0;   /* reserved by member_rid */
    int rc = wf_bulk_account(r->bulk, id, login, disabled, &rid, err);
    if (rc)
        return rc;
    *fmap_rid(&r->fresh, f) = rid;
    diff_add_h(&r->d[D_NEW_ACCOUNTS], r->cap, id, r->dg.set ? r->dg.item : NULL);
    return WR_OK;   /* orphans: after the listing (bulk_orphan) */
}

/* First sync: an account added without an identity. */
static void bulk_orphan(void *arg, const char *id)
{
    sync_run *r = arg;
    diff_add(&r->d[D_ORPHANS], r->cap, id);
}

static int tgt_account(void *arg, const char *login, int disabled, wr_err *err)
{
    sync_run *r = arg;
    if (r->bulk && r->ents.n && !r->target_accounts) {
        /* the first account of a first sync whose target listed its groups
         * first: every membership is known (member_rid reserves no more),
         * so they go in now, while the reader thread still receives the
         * accounts */
        int rc = wf_bulk_pass(r->bulk, err);
        if (rc)
            return rc;
    }
    r->target_accounts++;
    uint64_t k = hash2(login, NULL);
    char id[WF_SYNC_ID_CAP];
    snprintf(id, sizeof id, "%s:%s", r->system, login);
    const char *status = disabled ? "disabled" : "active";
    ptrdiff_t i = ix_find(&r->ix, k);
    if (i < 0) {
        uint8_t *f = fmap_slot(&r->fresh, k, 1);
        if (!f)
            return oom(err);
        if (*f & A_TARGET)
            return WR_OK;   /* listed twice */
        *f |= A_TARGET;
        if (r->bulk)
            return bulk_account(r, f, id, login, disabled, err);
        *fmap_rid(&r->fresh, f) = -(int64_t)r->fresh.n;
        int known = identity_exists(r, login);
        diff_add(&r->d[D_NEW_ACCOUNTS], r->cap, id);
        if (!known)
            diff_add(&r->d[D_ORPHANS], r->cap, id);
        return import(r, "accounts", json_pack("{s:s,s:s,s:s,s:s?,s:s,s:s}", "id", id, "system", r->system, "login",
                                                login, "identity", known ? login : NULL, "status", status,
                                                "source", r->src), err);
    }
    uint8_t *f = &r->ix.f[i];
    if (*f & A_TARGET)
        return WR_OK;
    *f |= A_TARGET;
    if (*f & A_ORPHAN)
        diff_add(&r->d[D_ORPHANS], r->cap, id);
    if (!(*f & A_DISABLED) != !disabled) {
        char item[1300];
        snprintf(item, sizeof item, "%s %s", id, status);
        diff_add(&r->d[D_STATUS], r->cap, item);
        return import(r, "accounts", json_pack("{s:s,s:s,s:s,s:s}", "id", id, "system", r->system, "login", login,
                                                "status", status), err);
    }
    return WR_OK;
}

static int mkey_cmp(const void *x, const void *y)
{
    const mkey *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

static int mkey_key_cmp(const void *x, const void *y)
{
    const mkey *a = x, *b = y;
    return (a->key > b->key) - (a->key < b->key);
}

static int over_cap(const wr_buf *b, const sync_run *r, wr_err *err)
{
    return wr_fail(err, WR_ELIMIT, "sync %s: more than %zu bytes of pending drift or group members", r->system,
                   b->max);
}

static int push(wr_buf *b, const void *v, size_t n, const sync_run *r, wr_err *err)
{
    return wr_buf_append(b, v, n) ? over_cap(b, r, err) : WR_OK;
}

/* *rid: the rid of a listed member on the bulk path (0: no account of the
 * target).  Until the first account is listed (a target that lists its
 * groups first, as the LDAP connector does when asked), a member seen for
 * the first time gets the rid its account will have (wf_bulk_reserve), so
 * that its memberships can go in while the accounts are still being read;
 * an account that never comes is settled after the listing
 * (settle_unknown). */
static int member_rid(sync_run *r, const char *login, int64_t *rid, wr_err *err)
{
    int reserve = r->target_accounts == 0;
    uint8_t *a = fmap_slot(&r->fresh, hash2(login, NULL), reserve);
    *rid = 0;
    if (!a)
        return reserve ? oom(err) : WR_OK;
    if (!(*a & (A_TARGET | A_MEMBER))) {
        int rc = push(&r->pre, login, strlen(login) + 1, r, err);
        if (rc)
            return rc;
        /* consecutive: nothing else takes a rid until the first account */
        int64_t id = wf_bulk_reserve(r->bulk);
        if (!r->pre_rid)
            r->pre_rid = id;
        *a |= A_MEMBER;
        *fmap_rid(&r->fresh, a) = id;
    }
    *rid = *fmap_rid(&r->fresh, a);
    return WR_OK;
}

/* First sync: the group and its memberships go straight in.  No map of
 * grants is kept: the system had none, so a membership of a group seen
 * for the first time in this run is new unless the group names the member
 * twice (its members' rids, sorted, say).  Those are queued, sorted, and
 * inserted in the grants key order; a group listed again is rare and
 * inserted row by row, the table's key turning repeats away.  Items are
 * reported in listing order. */
static int bulk_group(sync_run *r, uint8_t *g, const char *ent, const char *name, const char *const *members,
                      size_t n, wr_err *err)
{
    char item[WF_SYNC_ITEM_CAP];
    uint8_t h[WR_SHA256_LEN], off[WR_SHA256_LEN] = {0};
    int64_t erid = 0;
    int added = 0, rc, again = (*g & G_INV) != 0;
    /* the reader hashed every member item: its sum goes in at once, less
     * the items not counted (unknown members, repeats) */
    int sums = r->dg.set && !again;
    if (bulk_rejects(r, "entitlement", ent))
        return WR_OK;
    if ((rc = wf_bulk_entitlement(r->bulk, ent, name, &erid, &added, err)))
        return rc;
    *g |= G_INV;
    if (added)
        diff_add_h(&r->d[D_NEW_GROUPS], r->cap, ent, r->dg.set ? r->dg.item : NULL);
    wr_buf_reset(&r->keys);
    wr_buf_reset(&r->held);
    if (wr_buf_reserve(&r->held, n))
        return push(&r->held, NULL, SIZE_MAX, r, err);   /* the limit's message */
    /* each member: 0 a repeat, 1 the first place of its account, 2 unknown */
    uint8_t *first = (uint8_t *)r->held.data;
    memset(first, 0, n);
    for (size_t i = 0; i < n; i++) {
        r->target_memberships++;
        mkey k = {0, i};
        if ((rc = member_rid(r, members[i], &k.key, err)))
            return rc;
        if (k.key) {
            if ((rc = push(&r->keys, &k, sizeof k, r, err)))
                return rc;
            continue;
        }
        first[i] = 2;
        member_item(r, members[i], ent, item, sizeof item);
        item_sha(item, h);
        diff_add_h(&r->d[D_UNKNOWN_MEMBERS], r->cap, item, h);
        diff_xor(off, h);
    }
    mkey *keys = (mkey *)r->keys.data;
    size_t nk = r->keys.len / sizeof *keys, w = 0;
    if (nk)
        qsort(keys, nk, sizeof *keys, mkey_cmp);
    for (size_t i = 0; i < nk; i++) {
        if (w && keys[w - 1].key == keys[i].key)
            continue;
        first[keys[i].i] = 1;
        keys[w++] = keys[i];
    }
    diff *u = &r->d[D_UNMANAGED];
    for (size_t i = 0; i < n && rc == WR_OK; i++) {
        if (first[i] != 1) {
            if (!first[i] && sums) {   /* a repeat: in the sum, not counted */
                member_item(r, members[i], ent, item, sizeof item);
                item_sha(item, h);
                diff_xor(off, h);
            }
            continue;
        }
        int64_t rid;
        if (again && ((rc = member_rid(r, members[i], &rid, err)) ||
                      (rc = wf_bulk_grant(r->bulk, rid, erid, &added, err)) || !added))
            continue;
        if (sums && !diff_shows(u, r->cap)) {
            u->count++;
            continue;
        }
        member_item(r, members[i], ent, item, sizeof item);
        if (sums)
            diff_note(u, r->cap, item);
        else
            diff_add(u, r->cap, item);
    }
    if (sums) {
        diff_xor(u->x, r->dg.members);
        diff_xor(u->x, off);
    }
    if (rc || again)
        return rc;
    /* the sorted rids, packed in place (each is read before its slot is written) */
    int64_t *rids = (int64_t *)(void *)keys;
    for (size_t i = 0; i < w; i++) {
        int64_t a = keys[i].key;
        memcpy(&rids[i], &a, sizeof a);
    }
    return wf_bulk_group_add(r->bulk, erid, rids, w, err);
}

static int i64_cmp(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* The key of a listed member: its inventory rid, its fresh key, or 0 when
 * it is no account of the target or the inventory. */
static int64_t member_key(sync_run *r, const char *login)
{
    uint64_t k = hash2(login, NULL);
    ptrdiff_t i = ix_find(&r->ix, k);
    if (i >= 0)
        return r->ix.rid[i];
    uint8_t *f = fmap_slot(&r->fresh, k, 0);
    return f && (*f & A_TARGET) ? *fmap_rid(&r->fresh, f) : 0;
}


/* The account rids the inventory grants entitlement erid, ascending (the
 * grants_entitlement index holds them in that order). */
static int load_held(sync_run *r, int64_t erid, wr_err *err)
{
    wr_stmt *st;
    wr_buf_reset(&r->held);
    int rc = wr_stmt_prepare(r->ctx->store, "SELECT account_rid FROM grants WHERE entitlement_rid=? "
                             "ORDER BY account_rid", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_int(st, 1, erid);
    while ((rc = wr_stmt_step(st, err)) == 1) {
        int64_t a = wr_stmt_int(st, 0);
        if ((rc = push(&r->held, &a, sizeof a, r, err)))
            break;
    }
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

/* The unmanaged memberships of one group listing, in r->added: a record
 * {int64 e, uint32 n} (copied bytes, unaligned) and then n account keys,
 * ascending, the first zigzag-coded (keys of fresh accounts are negative),
 * each next one as its LEB128 difference from the one before. */
typedef struct added_rec {
    size_t at;       /* the record's offset in r->added; SIZE_MAX: none yet */
    uint32_t n;
    int64_t last;
} added_rec;

#define ADDED_HEAD (sizeof(int64_t) + sizeof(uint32_t))

static int added_put(sync_run *r, added_rec *rec, int64_t e, int64_t a, wr_err *err)
{
    if (rec->at == SIZE_MAX) {
        uint8_t head[ADDED_HEAD] = {0};
        memcpy(head, &e, sizeof e);
        rec->at = r->added.len;
        int rc = push(&r->added, head, sizeof head, r, err);
        if (rc)
            return rc;
    }
    if (wr_buf_reserve(&r->added, 10))
        return over_cap(&r->added, r, err);
    uint64_t v = rec->n ? (uint64_t)(a - rec->last) : ((uint64_t)a << 1) ^ (uint64_t)(a >> 63);
    uint8_t *p = (uint8_t *)r->added.data + r->added.len;
    r->added.len = (size_t)(wf_leb_put(p, v) - (uint8_t *)r->added.data);
    rec->n++;
    rec->last = a;
    return WR_OK;
}

static void added_close(sync_run *r, const added_rec *rec)
{
    if (rec->at != SIZE_MAX)
        memcpy(r->added.data + rec->at + sizeof(int64_t), &rec->n, sizeof rec->n);
}

/* A group listed again: the unmanaged memberships earlier listings of it
 * found, as sorted account keys in r->held after its own rids (from). */
static int earlier_added(sync_run *r, int64_t e, size_t *from, wr_err *err)
{
    const uint8_t *p = (const uint8_t *)r->added.data;
    const uint8_t *end = p ? p + r->added.len : p;   /* no data yet: NULL, nothing to walk */
    *from = r->held.len / sizeof(int64_t);
    while (p < end) {
        int64_t re;
        uint32_t n;
        memcpy(&re, p, sizeof re);
        memcpy(&n, p + sizeof re, sizeof n);
        p += ADDED_HEAD;
        int64_t a = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint64_t v;
            p = wf_leb_get(p, &v);
            a = i ? a + (int64_t)v : (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
            int rc = re == e ? push(&r->held, &a, sizeof a, r, err) : WR_OK;
            if (rc)
                return rc;
        }
    }
    int64_t *a = (int64_t *)r->held.data;
    qsort(a + *from, r->held.len / sizeof *a - *from, sizeof *a, i64_cmp);
    return WR_OK;
}

static int sorted_has(const int64_t *a, size_t n, int64_t k)
{
    return bsearch(&k, a, n, sizeof *a, i64_cmp) != NULL;
}

/* A later listing of a group: inventory grants it names are no longer
 * missing candidates. */
static void cand_seen(sync_run *r, int64_t e, const mkey *keys, size_t n)
{
    pair *c = (pair *)r->cand.data;
    size_t nc = r->cand.len / sizeof *c;
    for (size_t i = 0; i < nc; i++) {
        mkey k = {c[i].a, 0};
        if (c[i].e == e && c[i].a && bsearch(&k, keys, n, sizeof *keys, mkey_key_cmp))
            c[i].a = 0;
    }
}

/* Steady state: one group merged against the inventory's grants of it.
 * The group's members become sorted account keys; the entitlement's
 * grants come sorted from the grants_entitlement index; one pass over
 * both finds what only the target has (unmanaged) and what only the
 * inventory has (a missing candidate, settled after the listing, since
 * the target may list the group again).  Memory: the largest group. */
static int tgt_group(void *arg, const char *name, const char *const *members, size_t n, wr_err *err)
{
    sync_run *r = arg;
    char ent[WF_SYNC_ID_CAP], item[WF_SYNC_ITEM_CAP];
    snprintf(ent, sizeof ent, "%s:%s", r->system, name);
    uint8_t *g = fmap_slot(&r->ents, hash2(name, NULL), 1);
    if (!g)
        return oom(err);
    if (r->bulk)
        return bulk_group(r, g, ent, name, members, n, err);
    int rc, again = (*g & G_SEEN) != 0, inv = (*g & G_INV) != 0;
    *g |= G_SEEN;
    if (!inv && !again) {
        *fmap_rid(&r->ents, g) = -++r->new_groups;
        diff_add(&r->d[D_NEW_GROUPS], r->cap, ent);
        if ((rc = import(r, "entitlements", json_pack("{s:s,s:s,s:s,s:s}", "id", ent, "system", r->system, "name",
                                                      name, "source", r->src), err)))
            return rc;
    }
    int64_t e = *fmap_rid(&r->ents, g);
    wr_buf_reset(&r->keys);
    for (size_t i = 0; i < n; i++) {
        r->target_memberships++;
        mkey k = {member_key(r, members[i]), i};
        if (k.key) {
            if ((rc = push(&r->keys, &k, sizeof k, r, err)))
                return rc;
            continue;
        }
        member_item(r, members[i], ent, item, sizeof item);
        diff_add(&r->d[D_UNKNOWN_MEMBERS], r->cap, item);
    }
    mkey *keys = (mkey *)r->keys.data;
    size_t nk = r->keys.len / sizeof *keys, w = 0;
    if (nk)
        qsort(keys, nk, sizeof *keys, mkey_cmp);
    for (size_t i = 0; i < nk; i++)   /* a member named twice counts once */
        if (!w || keys[w - 1].key != keys[i].key)
            keys[w++] = keys[i];
    nk = w;
    size_t nheld = 0, from = 0;
    if (inv && (rc = load_held(r, e, err)))
        return rc;
    nheld = r->held.len / sizeof(int64_t);
    if (again) {
        cand_seen(r, e, keys, nk);
        if ((rc = earlier_added(r, e, &from, err)))
            return rc;
    }
    const int64_t *held = (const int64_t *)r->held.data;
    size_t nprev = r->held.len / sizeof *held - from;
    size_t j = 0;
    added_rec rec = {SIZE_MAX, 0, 0};
    for (size_t i = 0; i < nk || (!again && j < nheld);) {
        if (i < nk && (j == nheld || keys[i].key < held[j])) {
            const char *m = members[keys[i].i];
            int64_t a = keys[i++].key;
            if (again && sorted_has(held + from, nprev, a))
                continue;
            rc = added_put(r, &rec, e, a, err);
            added_close(r, &rec);   /* the count stays right on every way out */
            if (rc)
                return rc;
            member_item(r, m, ent, item, sizeof item);
            diff_add(&r->d[D_UNMANAGED], r->cap, item);
            if (r->dry_run)   /* no row to build (a first sync's dry run: a million) */
                continue;
            char acc[WF_SYNC_ID_CAP];
            snprintf(acc, sizeof acc, "%s:%s", r->system, m);
            if ((rc = import(r, "grants", json_pack("{s:s,s:s,s:s,s:s}", "account", acc, "entitlement", ent,
                                                    "granted_by", r->src, "source", r->src), err)))
                return rc;
        } else if (i < nk && keys[i].key == held[j]) {
            i++, j++;
        } else {   /* only the inventory has it (first listing: a candidate) */
            pair p = {e, held[j++]};
            if (!again && (rc = push(&r->cand, &p, sizeof p, r, err)))
                return rc;
        }
    }
    return WR_OK;
}

/* ---- the run ------------------------------------------------------------------------------- */

/* First sync: the members member_rid gave a rid whose account the target
 * never listed (or listed under an id the store turned away) are unknown
 * members after all.  Their memberships, counted as unmanaged when their
 * groups were listed, move to unknown_members (count, digest and shown
 * items), and their grants, already written, go. */
static int settle_unknown(sync_run *r, wr_err *err)
{
    int rc = WR_OK;
    int64_t rid = r->pre_rid;
    for (size_t off = 0; off < r->pre.len && rc == WR_OK; rid++) {
        const char *login = r->pre.data + off;
        off += strlen(login) + 1;
        uint8_t *a = fmap_slot(&r->fresh, hash2(login, NULL), 0);
        if (a && (*a & A_TARGET) && *fmap_rid(&r->fresh, a) == rid)
            continue;   /* listed, and added with this rid */
        wr_stmt *st;
        if ((rc = wr_stmt_prepare(r->ctx->store, "SELECT e.id FROM grants g JOIN entitlements e ON "
                                  "e.rid=g.entitlement_rid WHERE g.account_rid=?1", &st, err)))
            break;
        wr_stmt_bind_int(st, 1, rid);
        while ((rc = wr_stmt_step(st, err)) == 1) {
            char item[WF_SYNC_ITEM_CAP];
            uint8_t h[WR_SHA256_LEN];
            member_item(r, login, wr_stmt_text(st, 0), item, sizeof item);
            item_sha(item, h);
            diff_drop(&r->d[D_UNMANAGED], item, h);
            diff_add_h(&r->d[D_UNKNOWN_MEMBERS], r->cap, item, h);
        }
        wr_stmt_done(st);
        if (rc == 0)
            rc = wf_bulk_drop_grants(r->bulk, rid, err);
    }
    return rc;
}

int wr_sync(wr_ctx *ctx, const wr_actor *actor, const char *system, const wr_sync_opts *opts, json_t **out,
            wr_err *err)
{
    static const char *const names[D_COUNT] = {"unmanaged", "missing", "orphans", "new_accounts", "new_groups",
                                               "status_changed", "accounts_missing", "unknown_members"};
    sync_run r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.system = system;
    r.dry_run = opts && opts->dry_run;
    r.cap = opts && opts->list_cap ? opts->list_cap : WR_SYNC_LIST_CAP;
    r.missing.max = (size_t)1 << 30;
    r.pre.max = SYNC_MAX_PAIRS;
    r.cand.max = r.added.max = r.keys.max = r.held.max = SYNC_MAX_PAIRS;
    snprintf(r.src, sizeof r.src, "sync:%s", system);
    for (int i = 0; i < D_COUNT; i++) {
        r.d[i].name = names[i];
        r.d[i].items = json_array();
    }
    json_t *p = NULL, *problems = NULL;
    wr_connector *conn = NULL;
    wr_import_stats stats;
    memset(&stats, 0, sizeof stats);
    int rc, in_txn = 0, fk_off = 0, journal = 0, cache_set = 0;
    int64_t cache0 = 0;
    if (actor && actor->principal && (rc = wf_actor_load(ctx, actor, &p, err)))
        goto out;
    if ((rc = wr_connector_open(ctx->store, system, 0, &conn, err)))
        goto out;
    if ((rc = inv_load(&r, err)))
        goto out;
    if (!r.dry_run && r.ix.n == 0 && r.ents.n == 0) {
        /* first sync: nothing of the system in the inventory (no account,
         * so no grant either), so everything the target lists is an
         * addition: the bulk-load path */
        /* Foreign keys are not checked for this transaction (a quarter
         * of its time at a million rows): every rid it writes was read or
         * created in it, under BEGIN IMMEDIATE (a grant may precede its
         * account's row, whose rid member_rid reserved: settle_unknown
         * deletes those whose account never came), and it deletes nothing
         * else but readiness cache rows, which nothing references. */
        if ((rc = wr_store_exec(ctx->store, "PRAGMA foreign_keys=OFF", err)))
            goto out;
        fk_off = 1;
        /* and each page written once, when no other connection is open
         * (wr_store_bulk_enter: a rollback journal instead of the WAL) */
        journal = wr_store_bulk_enter(ctx->store);
        /* a 1 MiB page cache for the load (put back at the end): it writes
         * each page once, in key order, so SQLite's default 2 MB buys no
         * time, and a first sync of a million memberships keeps its heap
         * at 12.7 MiB instead of 13.5 (bench/RESULTS-ldap.md) */
        if ((rc = wr_store_cache_size(ctx->store, -SYNC_BULK_CACHE_KIB, &cache0, err)))
            goto out;
        cache_set = 1;
        if ((rc = wr_store_begin(ctx->store, err)))
            goto out;
        in_txn = 1;
        r.problems = json_array();
        if ((rc = wf_bulk_new(ctx->store, system, r.src, &r.bulk, err)))
            goto out;
    } else {
        wr_import_opts io = {0};
        io.source = r.src;
        if ((rc = wr_inventory_importer_new(ctx->store, &io, &r.imp, err)))
            goto out;
    }
    /* a first sync asks for the groups first (member_rid) */
    wr_connector_visitor v = {tgt_account, tgt_group, &r, r.bulk != NULL};
    r.dg.system = r.bulk ? system : NULL;
    if ((rc = wf_sync_list(conn, &v, &r.dg, err)))
        goto out;
    wr_buf_free(&r.keys);
    wr_buf_free(&r.held);
    wr_buf_free(&r.added);
    if (!r.bulk && (rc = settle_missing(&r, err)))
        goto out;
    /* the inventory follows the target: grants it no longer has go */
    char who[320];
    snprintf(who, sizeof who, "sync:%s", system);
    for (size_t off = 0; off < r.missing.len;) {
        const char *a = r.missing.data + off, *e = a + strlen(a) + 1;
        off = (size_t)(e + strlen(e) + 1 - r.missing.data);
        json_t *op = json_pack("{s:s,s:s,s:s}", "op", "revoke", "account", a, "entitlement", e), *res = NULL;
        rc = wr_inventory_op_apply(ctx->store, op, who, &res, err);
        json_decref(op);
        json_decref(res);
        if (rc)
            goto out;
    }
    if (r.bulk) {
        if ((rc = wf_bulk_pass(r.bulk, err)) || (rc = settle_unknown(&r, err)) ||
            (rc = wf_bulk_orphans(r.bulk, bulk_orphan, &r, err)))
            goto out;
        char dg[3][2 * WR_SHA256_LEN + 8];
        diff_digest(&r.d[D_NEW_ACCOUNTS], dg[0]);
        diff_digest(&r.d[D_NEW_GROUPS], dg[1]);
        diff_digest(&r.d[D_UNMANAGED], dg[2]);
        const char *const digests[3] = {dg[0], dg[1], dg[2]};
        wf_bulk_stats bs;
        if ((rc = wf_bulk_finish(r.bulk, digests, &bs, err)))
            goto out;
        stats.added = bs.accounts + bs.entitlements + bs.grants;
        stats.rejected = r.rejected;
    }
    json_t *lists = json_object();
    uint64_t drift = 0;
    for (int i = 0; i < D_COUNT; i++) {
        json_object_set_new(lists, names[i], diff_json(&r.d[i]));
        drift += r.d[i].count;
    }
    json_t *report = json_pack("{s:s,s:b,s:I,s:I,s:o}", "system", system, "dry_run", r.dry_run, "target_accounts",
                               (json_int_t)r.target_accounts, "target_memberships",
                               (json_int_t)r.target_memberships, "drift", lists);
    if (drift) {
        json_t *entry = wf_entry_new("sync.drift", p, actor);
        json_object_update(entry, report);
        rc = wf_log(ctx, entry, NULL, NULL, err);
        json_decref(entry);
        if (rc) {
            json_decref(report);
            goto out;
        }
    }
    if (r.bulk) {
        rc = wr_store_commit(ctx->store, err);
        in_txn = rc != WR_OK;
        if (rc == WR_OK && (rc = wr_store_exec(ctx->store, "PRAGMA foreign_keys=ON", err)) == WR_OK)
            fk_off = 0;
        problems = json_incref(r.problems);
    } else {
        rc = wr_inventory_importer_commit(r.imp, &stats, &problems, err);
    }
    if (rc) {
        json_decref(report);
        goto out;
    }
    json_object_set_new(report, "imported", json_pack("{s:I,s:I,s:I,s:I,s:O}", "added", (json_int_t)stats.added,
                                                      "changed", (json_int_t)stats.changed, "removed",
                                                      (json_int_t)(r.dry_run ? 0 : r.d[D_MISSING].count),
                                                      "rejected", (json_int_t)stats.rejected, "problems",
                                                      problems));
    *out = report;
out:
    if (in_txn)
        wr_store_rollback(ctx->store);
    if (journal)
        wr_store_bulk_leave(ctx->store);
    if (cache_set && wr_store_cache_size(ctx->store, cache0, NULL, NULL) == WR_OK)
        cache_set = 0;   /* touches no file; on failure the connection keeps the smaller cache */
    if (fk_off && wr_store_exec(ctx->store, "PRAGMA foreign_keys=ON", NULL) == WR_OK)
        fk_off = 0;   /* a failure's path: the connection back as it was (best effort) */
    wf_bulk_free(r.bulk);
    json_decref(r.problems);
    wr_inventory_importer_free(r.imp);
    wr_connector_close(conn);
    json_decref(p);
    json_decref(problems);
    for (int i = 0; i < D_COUNT; i++)
        json_decref(r.d[i].items);
    ix_free(&r.ix);
    fmap_free(&r.fresh);
    fmap_free(&r.ents);
    wr_buf_free(&r.cand);
    wr_buf_free(&r.added);
    wr_buf_free(&r.keys);
    wr_buf_free(&r.held);
    wr_buf_free(&r.missing);
    wr_buf_free(&r.pre);
    return rc;
}
