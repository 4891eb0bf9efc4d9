/*
 * import.c — merges imported rows into the inventory, idempotently.
 *
 * Each kind of object is described by a table of columns (name, type,
 * required, allowed values).  From that table the importer builds, once
 * per file, the statements it needs (select by key, insert, update), so
 * all seven kinds share one merge path:
 *
 *   validate every field (UTF-8, WR_INV_FIELD_MAX, type, allowed values)
 *   -> resolve references (system, identity, account, entitlement) to
 *      rids; an unknown one rejects the row
 *   -> reject a key already seen in this file (a set of 64-bit key hashes,
 *      which also tells a full-snapshot import what the file contained)
 *   -> read the stored object; a column the input does not have keeps its
 *      stored value; insert, update or leave it; journal the difference in
 *      inventory_events with before/after JSON.
 *
 * A file is one transaction.  Rows that cannot be imported are counted and
 * described; with strict, any of them rolls the whole file back.  Only
 * the systems whose objects changed lose their cached readiness counters.
 */
#include "import.h"
#include "warrant/connector.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct colspec {
    const char *name, *dbcol;
    char type;          /* t text, e enum, T time, j JSON, I/S/A/E reference */
    char required;
    const char *enums;  /* "a|b|c" for e */
    const char *deflt;  /* value on insert when absent or empty */
} colspec;

/* The enum lists are the schema's CHECK lists (inventory_schema.c): a
 * first load turns SQLite's CHECKs off and relies on these. */
typedef struct kindspec {
    const char *name, *table, *event_kind;
    int nkey, ncols;
    colspec cols[INV_MAXCOL];
} kindspec;

static const kindspec kinds[K_COUNT] = {
    {"identities", "identities", "identity", 1, 12,
     {{"id", "id", 't', 1, NULL, NULL},
      {"kind", "kind", 'e', 0, "human|service_account|api_key|bot|ai_agent", "human"},
      {"name", "name", 't', 0, NULL, NULL}, {"email", "email", 't', 0, NULL, NULL},
      {"department", "department", 't', 0, NULL, NULL}, {"title", "title", 't', 0, NULL, NULL},
      {"manager", "manager", 't', 0, NULL, NULL},
      {"status", "status", 'e', 0, "active|leave|terminated", "active"},
      {"owner", "owner", 't', 0, NULL, NULL}, {"source", "source", 't', 0, NULL, NULL},
      {"created_at", "created_at", 'T', 0, NULL, NULL},
      {"terminated_at", "terminated_at", 'T', 0, NULL, NULL}}},
    {"systems", "systems", "system", 1, 8,
     {{"id", "id", 't', 1, NULL, NULL}, {"name", "name", 't', 0, NULL, NULL},
      {"domain", "domain", 't', 0, NULL, NULL}, {"owner", "owner", 't', 0, NULL, NULL},
      {"connector", "connector", 't', 0, NULL, NULL},
      {"connector_config", "connector_config", 'j', 0, NULL, NULL},
      {"criticality", "criticality", 'e', 0, "low|medium|high|critical", NULL},
      {"source", "source", 't', 0, NULL, NULL}}},
    {"entitlements", "entitlements", "entitlement", 1, 7,
     {{"id", "id", 't', 1, NULL, NULL}, {"system", "system_rid", 'S', 1, NULL, NULL},
      {"name", "name", 't', 1, NULL, NULL},
      {"privilege", "privilege", 'e', 0, "low|standard|privileged|admin", "standard"},
      {"description", "description", 't', 0, NULL, NULL}, {"owner", "owner", 't', 0, NULL, NULL},
      {"source", "source", 't', 0, NULL, NULL}}},
    {"accounts", "accounts", "account", 1, 8,
     {{"id", "id", 't', 1, NULL, NULL}, {"system", "system_rid", 'S', 1, NULL, NULL},
      {"login", "login", 't', 1, NULL, NULL}, {"identity", "identity_rid", 'I', 0, NULL, NULL},
      {"status", "status", 'e', 0, "active|disabled", "active"},
      {"last_used_at", "last_used_at", 'T', 0, NULL, NULL},
      {"created_at", "created_at", 'T', 0, NULL, NULL}, {"source", "source", 't', 0, NULL, NULL}}},
    {"grants", "grants", "grant", 2, 8,
     {{"account", "account_rid", 'A', 1, NULL, NULL},
      {"entitlement", "entitlement_rid", 'E', 1, NULL, NULL},
      {"granted_at", "granted_at", 'T', 0, NULL, NULL},
      {"granted_by", "granted_by", 't', 0, NULL, NULL},
      {"last_used_at", "last_used_at", 'T', 0, NULL, NULL},
      {"expires_at", "expires_at", 'T', 0, NULL, NULL},
      {"certified_at", "certified_at", 'T', 0, NULL, NULL}, {"source", "source", 't', 0, NULL, NULL}}},
    {"credentials", "credentials", "credential", 1, 9,
     {{"id", "id", 't', 1, NULL, NULL}, {"identity", "identity_rid", 'I', 0, NULL, NULL},
      {"system", "system_rid", 'S', 0, NULL, NULL}, {"kind", "kind", 't', 0, NULL, NULL},
      {"location", "location", 'e', 1, "vault|code|config|ci", NULL},
      {"location_ref", "location_ref", 't', 0, NULL, NULL},
      {"created_at", "created_at", 'T', 0, NULL, NULL},
      {"rotated_at", "rotated_at", 'T', 0, NULL, NULL}, {"source", "source", 't', 0, NULL, NULL}}},
    {"roles", "role_entitlements", "role", 2, 3,
     {{"department", "department", 't', 1, NULL, NULL},
      {"entitlement", "entitlement_rid", 'E', 1, NULL, NULL},
      {"source", "source", 't', 0, NULL, NULL}}},
};

static const char *ref_table(char type)
{
    return type == 'I' ? "identities" : type == 'S' ? "systems" : type == 'A' ? "accounts"
                                                                               : "entitlements";
}

int inv_kind_parse(const char *name)
{
    for (int k = 0; k < K_COUNT; k++)
        if (name && strcmp(kinds[k].name, name) == 0)
            return k;
    return -1;
}

const char *inv_kind_name(int kind)
{
    return kinds[kind].name;
}

int inv_kind_ncols(int kind)
{
    return kinds[kind].ncols;
}

const char *inv_col_name(int kind, int col)
{
    return kinds[kind].cols[col].name;
}

int inv_col_index(int kind, const char *name)
{
    for (int c = 0; c < kinds[kind].ncols; c++)
        if (strcmp(kinds[kind].cols[c].name, name) == 0)
            return c;
    return -1;
}

int inv_kind_guess(const char *const *names, int n)
{
    int has[16] = {0};
    static const char *const marks[] = {"account", "entitlement", "department", "location",
                                        "login", "privilege", "kind", "email", "domain",
                                        "connector", "criticality", "manager", "status",
                                        "system", "name"};
    for (int i = 0; i < n; i++)
        for (int m = 0; m < 15; m++)
            if (strcmp(names[i], marks[m]) == 0)
                has[m] = 1;
    if (has[0] && has[1])
        return K_GRANTS;
    if (has[2] && has[1])
        return K_ROLES;
    if (has[3])
        return K_CREDENTIALS;
    if (has[4])
        return K_ACCOUNTS;
    if (has[5] || (has[13] && has[14]))
        return K_ENTITLEMENTS;
    if (has[8] || has[9] || has[10])
        return K_SYSTEMS;
    if (has[6] || has[7] || has[11] || has[12] || has[2])
        return K_IDENTITIES;
    return -1;
}

/* ---- the importer ----------------------------------------------------------- */

typedef struct kindsql {
    char *select, *insert, *update, *insert_new;
    int used;           /* this file has rows of the kind */
} kindsql;

struct inv_import {
    wr_store *s;                 /* NULL: check only */
    const wr_import_opts *opts;
    wr_import_stats *stats;
    json_t *problems;
    uint64_t nproblems;
    int64_t now;
    kindsql sql[K_COUNT];
    inv_set seen[K_COUNT];
    inv_set touched_sys;         /* system rids whose readiness changed */
    uint64_t touched_idents;
    inv_delta delta;             /* readiness counters adjusted, not dropped */
    int nhi_dirty;               /* the NHI counts may have moved */
    inv_set touched_ident_set;
    wr_buf ev;                   /* event JSON scratch */
    uint64_t rows;
    /* References resolved in memory once a table is asked often enough
     * (index: ref_slot()); ref_sql counts the SQL lookups until then. */
    inv_refmap *refs[4];
    uint64_t ref_sql[4];
    /* Bulk mode per kind: 1 when its table was empty when the file's first
     * row of that kind arrived (-1 not yet known).  Rows then go straight
     * in, without the read of a stored object (there is none) and without
     * a journal entry each: one summary event per kind and file records
     * the row count and the file's SHA-256 (README-inventory.md). */
    signed char bulk[K_COUNT];
    uint64_t bulk_rows[K_COUNT];
    int64_t last_rid[K_COUNT];   /* bulk: the highest rid given out */
    /* File imports set the secondary indexes of a bulk-loaded table aside
     * and build them again before commit (bulkidx.c); the streaming
     * importer does not. */
    int bulk_indexes;
    char *idx_saved[K_COUNT];
    /* First loads: rows known to be new are written INV_BATCH_ROWS to a
     * statement (batchload.c); one kind at a time has rows queued. */
    inv_batch *batch[K_COUNT];
    /* Bulk loads whose table has no unique index left once bulkidx set the
     * secondary ones aside (accounts: its id index is a named one, schema
     * step 3): the table's own reference map, filled as rows go in, is
     * the exact set of ids this file has inserted, and turns a repeated id
     * away instead. */
    unsigned char keycheck[K_COUNT];
    uint64_t rows_hint;          /* rows the file probably holds (0: unknown) */
    /* Statements prepared once per file: the store's cache hashes the SQL
     * text on every prepare, which shows at a million rows. */
    wr_stmt *stmts[8 + 4 * K_COUNT];
};

enum { ST_REF_A, ST_REF_E, ST_REF_S, ST_REF_I, ST_EVENT, ST_KIND = 8 };

static int prep(inv_import *im, int slot, const char *sql, wr_stmt **st, wr_err *err)
{
    if (!im->stmts[slot]) {
        int rc = wr_stmt_prepare(im->s, sql, &im->stmts[slot], err);
        if (rc)
            return rc;
    }
    *st = im->stmts[slot];
    return WR_OK;
}

void inv_import_rows_hint(inv_import *im, uint64_t rows)
{
    im->rows_hint = rows;
}

const wr_import_opts *inv_import_opts(const inv_import *im)
{
    return im->opts;
}

void inv_import_progress(inv_import *im, uint64_t done, uint64_t total)
{
    if (im->opts->progress)
        im->opts->progress(im->opts->progress_ctx, done, total);
}

void inv_import_reject(inv_import *im, const char *where, const char *fmt, ...)
{
    im->stats->rejected++;
    if (!im->problems || json_array_size(im->problems) >= WR_INV_MAX_PROBLEMS)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Messages quote input; keep them valid UTF-8 for JSON. */
    if (!inv_utf8_valid(msg, strlen(msg)))
        snprintf(msg, sizeof msg, "invalid row (message not printable)");
    json_array_append_new(im->problems, json_pack("{s:s,s:s}", "where", where, "message", msg));
}

static int build_sql(inv_import *im, int k)
{
    const kindspec *ks = &kinds[k];
    kindsql *q = &im->sql[k];
    if (q->select)
        return WR_OK;
    wr_buf sel = WR_BUF_INIT, ins = WR_BUF_INIT, upd = WR_BUF_INIT, vals = WR_BUF_INIT;
    int rc = wr_buf_puts(&sel, "SELECT ");
    for (int c = 0; c < ks->ncols && !rc; c++) {
        const colspec *col = &ks->cols[c];
        if (strchr("ISAE", col->type))
            rc = wr_buf_printf(&sel, "%s(SELECT id FROM %s WHERE rid=t.%s)", c ? ", " : "",
                               ref_table(col->type), col->dbcol);
        else
            rc = wr_buf_printf(&sel, "%st.%s", c ? ", " : "", col->dbcol);
        rc = rc ? rc : wr_buf_printf(&ins, "%s%s", c ? ", " : "", col->dbcol);
        rc = rc ? rc : wr_buf_printf(&vals, "%s?%d", c ? "," : "", c + 1);
        if (!rc && c >= ks->nkey)
            rc = wr_buf_printf(&upd, "%s%s=?%d", c > ks->nkey ? ", " : "", col->dbcol, c + 1);
    }
    rc = rc ? rc : wr_buf_printf(&sel, " FROM %s t WHERE t.%s=?1", ks->table, ks->cols[0].dbcol);
    if (!rc && ks->nkey == 2)
        rc = wr_buf_printf(&sel, " AND t.%s=?2", ks->cols[1].dbcol);
    char where[128];
    snprintf(where, sizeof where, " WHERE %s=?1%s%s%s", ks->cols[0].dbcol,
             ks->nkey == 2 ? " AND " : "", ks->nkey == 2 ? ks->cols[1].dbcol : "",
             ks->nkey == 2 ? "=?2" : "");
    q->select = wr_buf_steal(&sel);
    if (!rc) {
        wr_buf b = WR_BUF_INIT;
        /* objects with a rid say it, for the reference maps */
        rc = wr_buf_printf(&b, "INSERT INTO %s(%s) VALUES(%s)%s", ks->table, ins.data, vals.data,
                           ks->nkey == 1 ? " RETURNING rid" : "");
        q->insert = wr_buf_steal(&b);
        /* bulk mode: the key's uniqueness is the database's to check, and
         * the importer numbers the rids itself — RETURNING would make
         * SQLite build a result table and a statement journal per row */
        if (ks->nkey == 1)
            rc = rc ? rc : wr_buf_printf(&b, "INSERT OR IGNORE INTO %s(%s, rid) VALUES(%s,?%d)",
                                         ks->table, ins.data, vals.data, ks->ncols + 1);
        else
            rc = rc ? rc : wr_buf_printf(&b, "INSERT OR IGNORE INTO %s(%s) VALUES(%s)", ks->table,
                                         ins.data, vals.data);
        q->insert_new = wr_buf_steal(&b);
        rc = rc ? rc : wr_buf_printf(&b, "UPDATE %s SET %s%s", ks->table, upd.data, where);
        q->update = wr_buf_steal(&b);
    }
    wr_buf_free(&ins);
    wr_buf_free(&upd);
    wr_buf_free(&vals);
    return rc;
}

typedef inv_val val;

static int enum_ok(const char *enums, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = enums; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0)
            return 1;
        if (!bar)
            break;
        p = bar + 1;
    }
    return 0;
}

/* Looks up a reference; rid 0 when unknown.  For accounts and
 * entitlements also their system. */
static int ref_slot(char type)
{
    return type == 'A' ? 0 : type == 'E' ? 1 : type == 'S' ? 2 : 3;
}

/* SQL lookups of one table in one import before its ids are loaded into
 * a map: a small import never pays for loading a large table. */
#define REF_SQL_LOOKUPS 4096
#define REF_NO_MAP UINT64_MAX

static int lookup_ref(inv_import *im, char type, const char *id, int64_t *rid, int64_t *sys,
                      wr_err *err)
{
    int m = ref_slot(type);
    if (im->refs[m]) {
        inv_refmap_get(im->refs[m], id, rid, sys);
        return WR_OK;
    }
    if (im->ref_sql[m] != REF_NO_MAP && ++im->ref_sql[m] > REF_SQL_LOOKUPS) {
        int rc = inv_refmap_load(im->s, type, &im->refs[m], err);
        if (rc)
            return rc;
        if (im->refs[m]) {
            inv_refmap_get(im->refs[m], id, rid, sys);
            return WR_OK;
        }
        im->ref_sql[m] = REF_NO_MAP;  /* too big for memory: stay with SQL */
    }
    const char *sql = type == 'A' ? "SELECT rid, system_rid FROM accounts WHERE id=?"
                    : type == 'E' ? "SELECT rid, system_rid FROM entitlements WHERE id=?"
                    : type == 'S' ? "SELECT rid, rid FROM systems WHERE id=?"
                                  : "SELECT rid, 0 FROM identities WHERE id=?";
    int slot = type == 'A' ? ST_REF_A : type == 'E' ? ST_REF_E : type == 'S' ? ST_REF_S : ST_REF_I;
    wr_stmt *st;
    int rc = prep(im, slot, sql, &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, id);
    rc = wr_stmt_step(st, err);
    *rid = rc == 1 ? wr_stmt_int(st, 0) : 0;
    *sys = rc == 1 ? wr_stmt_int(st, 1) : 0;
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

int inv_import_pipe_ok(inv_import *im, int kind, wr_err *err)
{
    if (!im->s || (im->opts->source && strlen(im->opts->source) > WR_INV_FIELD_MAX))
        return 0;
    for (int c = 0; c < kinds[kind].ncols; c++) {
        char t = kinds[kind].cols[c].type;
        if (!strchr("ISAE", t))
            continue;
        int m = ref_slot(t);
        if (im->refs[m])
            continue;
        if (im->ref_sql[m] == REF_NO_MAP)
            return 0;
        int rc = inv_refmap_load(im->s, t, &im->refs[m], err);
        if (rc)
            return rc;
        if (!im->refs[m]) {
            im->ref_sql[m] = REF_NO_MAP;
            return 0;
        }
    }
    return 1;
}

/* The reference type of kind's own table ('I', 'S', 'E', 'A'), or 0. */
static char own_type(int kind)
{
    static const char types[K_COUNT] = {[K_IDENTITIES] = 'I', [K_SYSTEMS] = 'S',
                                        [K_ENTITLEMENTS] = 'E', [K_ACCOUNTS] = 'A'};
    return types[kind];
}

/* Keeps the reference map of kind's table in step with an insert. */
static void ref_added(inv_import *im, int kind, const char *id, int64_t rid, int64_t sys)
{
    if (!own_type(kind))
        return;
    int m = ref_slot(own_type(kind));
    if (im->refs[m] && inv_refmap_add(im->refs[m], id, rid, sys) != WR_OK) {
        inv_refmap_free(im->refs[m]);
        im->refs[m] = NULL;
        im->ref_sql[m] = REF_NO_MAP;
    }
}

static void refs_free(inv_import *im)
{
    for (int m = 0; m < 4; m++) {
        inv_refmap_free(im->refs[m]);
        im->refs[m] = NULL;
    }
}

static int ev_append(wr_buf *b, const kindspec *ks, const val *v)
{
    int rc = wr_buf_puts(b, "{"), first = 1;
    for (int c = 0; c < ks->ncols && !rc; c++) {
        if (v[c].null)
            continue;
        rc = wr_buf_printf(b, "%s\"%s\":", first ? "" : ",", ks->cols[c].name);
        first = 0;
        if (rc)
            break;
        if (ks->cols[c].type == 'T') {
            char t[21];
            wr_time_format(v[c].i, t);
            rc = wr_buf_printf(b, "\"%s\"", t);
        } else {
            rc = inv_buf_json_str(b, v[c].s);
        }
    }
    return rc ? rc : wr_buf_puts(b, "}");
}

static void bind_vals(wr_stmt *st, const kindspec *ks, const val *v)
{
    for (int c = 0; c < ks->ncols; c++) {
        char t = ks->cols[c].type;
        if (v[c].null)
            wr_stmt_bind_null(st, c + 1);
        else if (t == 'T' || strchr("ISAE", t))
            wr_stmt_bind_int(st, c + 1, v[c].i);
        else
            wr_stmt_bind_text(st, c + 1, v[c].s);
    }
}

static uint64_t key_hash(const kindspec *ks, const val *v)
{
    uint64_t h = inv_hash64(ks->name, strlen(ks->name), 0);
    for (int c = 0; c < ks->nkey; c++)
        h = inv_hash64(v[c].s, strlen(v[c].s) + 1, h);
    return h ? h : 1;
}

/* Remembers that the readiness counters of system sys are stale. */
static int touch_sys(inv_import *im, int64_t sys, wr_err *err)
{
    if (sys > 0 && inv_set_add(&im->touched_sys, (uint64_t)sys) < 0)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    return WR_OK;
}

/* The readiness contribution of account a or grant (a, e), with sign
 * (readiness.c); 1: not taken, the caller touches the system instead. */
static int delta(inv_import *im, int kind, int64_t a, int64_t e, int sign, wr_err *err)
{
    if (kind == K_ACCOUNTS)
        return inv_delta_account(im->s, &im->delta, a, sign, err);
    if (kind == K_GRANTS)
        return inv_delta_grant(im->s, &im->delta, a, e, sign, err);
    return 1;
}

/* After an object of kind in system sys changed: what readiness must
 * recount.  Accounts and grants went through delta() (untaken: touch);
 * credentials are counted live; nhi: the change can move the NHI counts. */
static int settle(inv_import *im, int kind, int64_t sys, int untaken, int nhi, wr_err *err)
{
    im->nhi_dirty |= nhi;
    if (kind == K_CREDENTIALS || ((kind == K_ACCOUNTS || kind == K_GRANTS) && !untaken))
        return WR_OK;
    return touch_sys(im, sys, err);
}

static void reject_duplicate(inv_import *im, const kindspec *ks, const val *v, const char *where)
{
    if (ks->nkey == 2)
        inv_import_reject(im, where, "duplicate %s '%s' / '%s' in this file", ks->event_kind,
                          v[0].s, v[1].s);
    else
        inv_import_reject(im, where, "duplicate id '%s' in this file", v[0].s);
}

static int table_empty(inv_import *im, int kind, int64_t *empty, wr_err *err)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT NOT EXISTS(SELECT 1 FROM %s)", kinds[kind].table);
    return inv_query_ints(im->s, sql, NULL, empty, NULL, err);
}

void inv_import_prefetch(inv_import *im, int kind, const inv_checked *ck)
{
    if (im->keycheck[kind] && !ck->v[0].null) {
        const inv_refmap *m = im->refs[ref_slot(own_type(kind))];
        if (m)
            inv_refmap_prefetch(m, ck->v[0].s);
    }
}

/* After the indexes of an empty table were set aside: if no unique index
 * is left, ids are checked in the table's reference map (keycheck). */
static int bulk_keycheck(inv_import *im, int kind, wr_err *err)
{
    int64_t unique = 0;
    int rc = inv_query_ints(im->s, "SELECT count(*) FROM pragma_index_list(?1) WHERE \"unique\"",
                            kinds[kind].table, &unique, NULL, err);
    if (rc || unique || kinds[kind].nkey != 1)
        return rc;
    int m = own_type(kind) ? ref_slot(own_type(kind)) : -1;
    if (m >= 0 && !im->refs[m] && (rc = inv_refmap_load(im->s, own_type(kind), &im->refs[m], err)))
        return rc;
    if (m >= 0 && im->refs[m]) {
        im->keycheck[kind] = 1;
        inv_refmap_reserve(im->refs[m], im->rows_hint);
        return WR_OK;
    }
    /* no map (cannot happen for an empty table): the index comes back */
    return inv_bulkidx_restore(im->s, &im->idx_saved[kind], err);
}

/* Is kind's table empty?  Then this file's rows of that kind are all new. */
static int decide_bulk(inv_import *im, int kind, wr_err *err)
{
    int64_t empty = 0;
    int rc = table_empty(im, kind, &empty, err);
    if (rc)
        return rc;
    im->bulk[kind] = empty ? 1 : 0;
    im->last_rid[kind] = 0;  /* empty: rids start at 1, as SQLite's would */
    /* grants keep theirs: their file comes in account order, so the
     * entitlement index grows at its end per entitlement, and sorting ten
     * million entries afterwards costs more than it saves (measured) */
    if (empty && im->bulk_indexes && kind != K_GRANTS) {
        if ((rc = inv_bulkidx_drop(im->s, kinds[kind].table, &im->idx_saved[kind], err)))
            return rc;
        if ((rc = bulk_keycheck(im, kind, err)))
            return rc;
    }
    /* Batches hold rows known to be new: grants told apart by their runs,
     * and rows whose ids the importer checks itself (keycheck).  They copy
     * texts of at most INV_CHECK_SCRATCH bytes. */
    if (empty && im->bulk_indexes && !im->opts->full && (kind == K_GRANTS || im->keycheck[kind]) &&
        (!im->opts->source || strlen(im->opts->source) <= WR_INV_FIELD_MAX)) {
        const kindspec *ks = &kinds[kind];
        char types[INV_MAXCOL + 1];
        for (int c = 0; c < ks->ncols; c++)
            types[c] = strchr("TISAE", ks->cols[c].type) ? 'i' : 't';
        types[ks->ncols] = 'i';  /* the rid, for kinds that have one */
        if ((rc = build_sql(im, kind)))
            return wr_fail(err, rc, "out of memory");
        return inv_batch_new(im->s, im->sql[kind].insert_new, ks->ncols + (ks->nkey == 1), types,
                             kind == K_GRANTS, &im->batch[kind], err);
    }
    return WR_OK;
}

/* The journal of a bulk load: per kind, one event naming the file, the
 * rows added and the file's SHA-256 (instead of one event per row). */
static int bulk_done(inv_import *im, const char *name, const char *data, size_t len, wr_err *err)
{
    char digest[72] = "";
    int rc = WR_OK;
    for (int k = 0; k < K_COUNT && rc == WR_OK; k++)
        rc = inv_batch_flush(im->batch[k], err);
    for (int k = 0; k < K_COUNT && rc == WR_OK; k++)
        rc = inv_bulkidx_restore(im->s, &im->idx_saved[k], err);
    for (int k = 0; k < K_COUNT && rc == WR_OK; k++) {
        if (!im->bulk_rows[k])
            continue;
        if (!digest[0])
            wr_digest_string(data, len, digest);
        wr_buf b = WR_BUF_INIT;
        rc = wr_buf_puts(&b, "{\"bulk\":true,\"file\":");
        rc = rc ? rc : inv_buf_json_str(&b, name);
        rc = rc ? rc : wr_buf_printf(&b, ",\"sha256\":\"%s\",\"rows\":%llu}", digest + 7,
                                     (unsigned long long)im->bulk_rows[k]);
        if (rc)
            rc = wr_fail(err, WR_ENOMEM, "out of memory");
        else
            rc = inv_event(im->s, im->stats->import_id, im->now, kinds[k].event_kind, "*",
                           "added", NULL, b.data, err);
        wr_buf_free(&b);
    }
    return rc;
}

/* Derives "<system>:<name>" ids of accounts and entitlements (or the
 * system and name from the id) so either form of input works. */
static int derive_ids(const inv_row *row, val *v, char *buf, size_t bufsize, const char **why)
{
    if (row->kind != K_ACCOUNTS && row->kind != K_ENTITLEMENTS)
        return 0;
    if (v[0].null && !v[1].null && !v[2].null) {
        snprintf(buf, bufsize, "%s:%s", v[1].s, v[2].s);
        v[0].null = 0;
        v[0].s = buf;
        return 0;
    }
    if (v[0].null)
        return 0;
    const char *colon = strchr(v[0].s, ':');
    if (!colon || colon == v[0].s || !colon[1]) {
        *why = "id must be <system>:<name>";
        return -1;
    }
    size_t sl = (size_t)(colon - v[0].s);
    if (!v[1].null && (strlen(v[1].s) != sl || strncmp(v[1].s, v[0].s, sl) != 0)) {
        *why = "id does not start with its system";
        return -1;
    }
    if (!v[2].null && strcmp(v[2].s, colon + 1) != 0) {
        *why = row->kind == K_ACCOUNTS ? "id does not end with its login" : "id does not end with its name";
        return -1;
    }
    if (v[1].null || v[2].null) {
        snprintf(buf, bufsize, "%.*s", (int)sl, v[0].s);
        v[1].null = 0;
        v[1].s = buf;
        v[2].null = 0;
        v[2].s = colon + 1;
    }
    return 0;
}

/* Rejects a row in phase 1: the message goes to why (the caller reports
 * it, on its own thread's turn, at the row's place in the file). */
static int bad(char *why, size_t whysize, const char *fmt, ...) WR_PRINTF(3, 4);
static int bad(char *why, size_t whysize, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whysize, fmt, ap);
    va_end(ap);
    return 1;
}

int inv_import_check_row(inv_import *im, const inv_row *row, inv_checked *out,
                         char scratch[INV_CHECK_SCRATCH], char *why, size_t whysize, wr_err *err)
{
    const kindspec *ks = &kinds[row->kind];
    val *v = out->v;
    unsigned char *present = out->present;
    int rc;
    out->sys = 0;
    /* 1. fields */
    for (int c = 0; c < ks->ncols; c++) {
        const colspec *col = &ks->cols[c];
        v[c].null = 1;
        v[c].i = 0;
        v[c].s = NULL;
        present[c] = row->present[c];
        if (!row->present[c] || !row->v[c])
            continue;
        const char *s = row->v[c];
        size_t len = row->len[c];
        if (len > WR_INV_FIELD_MAX)
            return bad(why, whysize, "%s: longer than %d bytes", col->name, WR_INV_FIELD_MAX);
        if (strlen(s) != len || !inv_utf8_valid(s, len))
            return bad(why, whysize, "%s: not valid UTF-8 text", col->name);
        if (len == 0)
            continue;
        v[c].null = 0;
        v[c].s = s;
        if (col->type == 'e' && !enum_ok(col->enums, s))
            return bad(why, whysize, "%s: '%s' is not one of %s", col->name, s, col->enums);
        if (col->type == 'T' && wr_time_parse(s, &v[c].i) != WR_OK)
            return bad(why, whysize, "%s: '%s' is not a date or RFC 3339 timestamp", col->name,
                       s);
        if (col->type == 'j') {
            json_error_t je;
            json_t *j = json_loadb(s, len, JSON_DECODE_ANY, &je);
            int ok = j && json_is_object(j);
            json_decref(j);
            if (!ok)
                return bad(why, whysize, "%s: not a JSON object", col->name);
        }
    }
    const char *reason = NULL;
    if (derive_ids(row, v, scratch, INV_CHECK_SCRATCH, &reason))
        return bad(why, whysize, "%s", reason);
    if (row->kind == K_ACCOUNTS || row->kind == K_ENTITLEMENTS)
        present[0] = present[1] = present[2] = !v[0].null;
    if (im->opts->source) {
        int sc = ks->ncols - 1;  /* source is always the last column */
        if (row->kind == K_IDENTITIES)
            sc = 9;
        v[sc].null = 0;
        v[sc].s = im->opts->source;
        present[sc] = 1;
    }
    for (int c = 0; c < ks->ncols; c++)
        if (ks->cols[c].required && v[c].null)
            return bad(why, whysize, "%s: missing", ks->cols[c].name);
    /* 2. references */
    if (!im->s)
        return 0;
    int64_t acc_sys = 0;
    for (int c = 0; c < ks->ncols; c++) {
        char t = ks->cols[c].type;
        if (!strchr("ISAE", t) || v[c].null)
            continue;
        int64_t rs;
        if ((rc = lookup_ref(im, t, v[c].s, &v[c].i, &rs, err)))
            return rc;
        if (!v[c].i)
            return bad(why, whysize, "%s: unknown %s '%s'", ks->cols[c].name, ref_table(t),
                       v[c].s);
        if (t == 'A')
            acc_sys = rs;
        if (t == 'E' || t == 'S' || t == 'A')
            out->sys = rs;
    }
    if (row->kind == K_GRANTS && acc_sys != out->sys)
        return bad(why, whysize, "entitlement '%s' is not of the system of account '%s'", v[1].s,
                   v[0].s);
    return 0;
}

int inv_import_row(inv_import *im, const inv_row *row, const char *where, wr_err *err)
{
    inv_checked ck;
    char why[1024], scratch[INV_CHECK_SCRATCH];
    int rc = inv_import_check_row(im, row, &ck, scratch, why, sizeof why, err);
    if (rc < 0)
        return rc;
    if (rc) {
        im->rows++;
        inv_import_reject(im, where, "%s", why);
        return WR_OK;
    }
    return inv_import_merge_row(im, row->kind, &ck, where, err);
}

int inv_import_merge_row(inv_import *im, int kind, inv_checked *ck, const char *where,
                         wr_err *err)
{
    const kindspec *ks = &kinds[kind];
    val *v = ck->v;
    const unsigned char *present = ck->present;
    int64_t sys = ck->sys;
    int rc;
    im->rows++;
    /* rows of another kind may refer to queued ones (a JSON file) */
    for (int k = 0; k < K_COUNT; k++)
        if (k != kind && im->batch[k] && (rc = inv_batch_flush(im->batch[k], err)))
            return rc;
    /* 3. duplicates within the file */
    if (im->s && im->bulk[kind] < 0 && (rc = decide_bulk(im, kind, err)))
        return rc;
    /* A bulk load that is not a full snapshot keeps no set of the keys it
     * saw: the table's unique key turns a repeated one away (INSERT OR
     * IGNORE), exactly, and without hashing every key. */
    int fast = im->s && im->bulk[kind] == 1 && !im->opts->full;
    if (fast && kind == K_GRANTS && im->batch[kind]) {
        int known = inv_batch_classify(im->batch[kind], v[0].i, v[1].i);
        if (known == 0) {
            reject_duplicate(im, ks, v, where);
            return WR_OK;
        }
        if (known == 1) {
            im->sql[kind].used = 1;
            if ((rc = inv_batch_add(im->batch[kind], v, where, err)))
                return rc;
            im->bulk_rows[kind]++;
            im->stats->added++;
            return WR_OK;
        }
        /* the one-row insert below decides; what is queued goes first */
        if ((rc = inv_batch_flush(im->batch[kind], err)))
            return rc;
    }
    if (!fast) {
        int added = inv_set_add(&im->seen[kind], key_hash(ks, v));
        if (added < 0)
            return wr_fail(err, WR_ENOMEM, "out of memory");
        if (!added) {
            reject_duplicate(im, ks, v, where);
            return WR_OK;
        }
    }
    im->sql[kind].used = 1;
    if (!im->s) {
        im->stats->added++;
        return WR_OK;
    }
    /* 4. merge */
    if ((rc = build_sql(im, kind)))
        return wr_fail(err, rc, "out of memory");
    wr_stmt *st = NULL;
    if (im->bulk[kind]) {
        rc = 0;  /* the table was empty and the key is new in this file */
    } else {
        if ((rc = prep(im, ST_KIND + 4 * kind, im->sql[kind].select, &st, err)))
            return rc;
        for (int c = 0; c < ks->nkey; c++) {
            if (strchr("ISAE", ks->cols[c].type))
                wr_stmt_bind_int(st, c + 1, v[c].i);
            else
                wr_stmt_bind_text(st, c + 1, v[c].s);
        }
        rc = wr_stmt_step(st, err);
        if (rc < 0) {
            wr_stmt_done(st);
            return rc;
        }
    }
    /* the journal's id of a two-part key, written only when journalled */
    char idbuf[2 * WR_INV_FIELD_MAX + 4];
    const char *object_id = v[0].s;
    if (ks->nkey == 2 && !im->bulk[kind]) {
        snprintf(idbuf, sizeof idbuf, "%s|%s", v[0].s, v[1].s);
        object_id = idbuf;
    }
    wr_buf_reset(&im->ev);
    if (rc == 0) {
        if (st)
            wr_stmt_done(st);
        for (int c = 0; c < ks->ncols; c++) {
            if (v[c].null && ks->cols[c].deflt) {
                v[c].null = 0;
                v[c].s = ks->cols[c].deflt;
            }
        }
        int bulk = im->bulk[kind] == 1, claimed = 0;
        if (bulk && im->keycheck[kind]) {
            /* one probe: a repeated id, or this row's entry in the map
             * (its rid is the next one, below) */
            int m = ref_slot(own_type(kind));
            claimed = inv_refmap_claim(im->refs[m], v[0].s, im->last_rid[kind] + 1,
                                       kind == K_SYSTEMS ? im->last_rid[kind] + 1 : v[1].i);
            if (claimed == 0) {
                reject_duplicate(im, ks, v, where);
                return WR_OK;
            }
            if (claimed < 0) {
                /* the map is over its cap: the unique index takes over,
                 * once the queued rows are in */
                if ((rc = inv_batch_flush(im->batch[kind], err)))
                    return rc;
                inv_batch_free(im->batch[kind]);
                im->batch[kind] = NULL;
                inv_refmap_free(im->refs[m]);
                im->refs[m] = NULL;
                im->ref_sql[m] = REF_NO_MAP;
                im->keycheck[kind] = 0;
                claimed = 0;
                if ((rc = inv_bulkidx_restore(im->s, &im->idx_saved[kind], err)))
                    return rc;
            }
            if (claimed && im->batch[kind]) {
                inv_val row[INV_MAXCOL + 1];
                memcpy(row, v, sizeof(inv_val) * (size_t)ks->ncols);
                row[ks->ncols] = (inv_val){0, ++im->last_rid[kind], NULL};
                if ((rc = inv_batch_add(im->batch[kind], row, where, err)))
                    return rc;
                im->bulk_rows[kind]++;
                im->stats->added++;
                return WR_OK;  /* journalled and invalidated per file (bulk_done) */
            }
        }
        if ((rc = prep(im, ST_KIND + 4 * kind + (bulk ? 3 : 1),
                        bulk ? im->sql[kind].insert_new : im->sql[kind].insert, &st, err)))
            return rc;
        bind_vals(st, ks, v);
        if (bulk && ks->nkey == 1)
            wr_stmt_bind_int(st, ks->ncols + 1, im->last_rid[kind] + 1);
        rc = wr_stmt_step(st, err);
        int64_t new_rid = !bulk && rc == 1 ? wr_stmt_int(st, 0) : 0;
        wr_stmt_done(st);
        if (rc < 0)
            return wr_fail_wrap(err, "%s", where);
        if (bulk && wr_store_changes(im->s) == 0) {
            if (claimed)  /* the map says new: nothing else may turn it away */
                return wr_fail(err, WR_EINTERNAL, "%s: a new row was not inserted", where);
            reject_duplicate(im, ks, v, where);
            return WR_OK;
        }
        if (bulk && ks->nkey == 1)
            new_rid = ++im->last_rid[kind];
        if (new_rid && !claimed)
            ref_added(im, kind, v[0].s, new_rid,
                      kind == K_SYSTEMS ? new_rid : v[1].i);
        if (im->bulk[kind]) {
            im->bulk_rows[kind]++;
            im->stats->added++;
            return WR_OK;  /* journalled and invalidated per file (bulk_done) */
        }
        if (ev_append(&im->ev, ks, v))
            return wr_fail(err, WR_ENOMEM, "out of memory");
        if ((rc = inv_event(im->s, im->stats->import_id, im->now, ks->event_kind, object_id,
                            "added", NULL, im->ev.data, err)))
            return rc;
        im->stats->added++;
        int untaken = delta(im, kind, kind == K_ACCOUNTS ? new_rid : v[0].i, v[1].i, 1,
                            err);
        if (untaken < 0)
            return untaken;
        /* a new identity has no accounts yet, but a non-human one counts */
        int nhi = kind == K_SYSTEMS || (kind == K_ACCOUNTS && !v[3].null) ||
                  (kind == K_IDENTITIES && strcmp(v[1].s, "human") != 0);
        return settle(im, kind, sys, untaken, nhi, err);
    }
    /* Existing object: keep stored values of absent columns, compare. */
    val old[INV_MAXCOL];
    wr_buf oldtext = WR_BUF_INIT;
    size_t offs[INV_MAXCOL];
    for (int c = 0; c < ks->ncols; c++) {
        old[c].null = wr_stmt_is_null(st, c);
        old[c].i = old[c].null ? 0 : wr_stmt_int(st, c);
        offs[c] = oldtext.len;
        if (!old[c].null && ks->cols[c].type != 'T' &&
            wr_buf_append(&oldtext, wr_stmt_text(st, c), strlen(wr_stmt_text(st, c)) + 1)) {
            wr_stmt_done(st);
            wr_buf_free(&oldtext);
            return wr_fail(err, WR_ENOMEM, "out of memory");
        }
    }
    wr_stmt_done(st);
    int same = 1;
    for (int c = 0; c < ks->ncols; c++) {
        if (!old[c].null && ks->cols[c].type != 'T')
            old[c].s = oldtext.data + offs[c];
        if (ks->cols[c].type == 'T' && !old[c].null)
            old[c].s = "";
        if (!present[c]) {
            v[c] = old[c];
            if (strchr("ISAE", ks->cols[c].type) && !v[c].null) {
                int64_t rs;
                if ((rc = lookup_ref(im, ks->cols[c].type, v[c].s, &v[c].i, &rs, err))) {
                    wr_buf_free(&oldtext);
                    return rc;
                }
            }
            continue;
        }
        if (v[c].null && ks->cols[c].deflt) {
            v[c].null = 0;
            v[c].s = ks->cols[c].deflt;
        }
        if (v[c].null != old[c].null)
            same = 0;
        else if (v[c].null)
            continue;
        else if (ks->cols[c].type == 'T' ? v[c].i != old[c].i : strcmp(v[c].s, old[c].s) != 0)
            same = 0;
    }
    if (same) {
        wr_buf_free(&oldtext);
        im->stats->unchanged++;
        return WR_OK;
    }
    wr_buf before = WR_BUF_INIT;
    /* who holds an account moves NHI counts; the rest of an account or a
     * grant moves its system's counters by its contribution */
    int nhi = kind == K_SYSTEMS ||
              (kind == K_ACCOUNTS && (old[3].null != v[3].null ||
                                           (!v[3].null && strcmp(old[3].s, v[3].s) != 0)));
    int64_t a = v[0].i, rs;
    int untaken = 0;
    if (kind == K_ACCOUNTS)
        rc = lookup_ref(im, 'A', v[0].s, &a, &rs, err);
    if (rc >= 0 && (kind == K_ACCOUNTS || kind == K_GRANTS))
        rc = untaken = delta(im, kind, a, v[1].i, -1, err);
    if (rc < 0 || (rc = prep(im, ST_KIND + 4 * kind + 2, im->sql[kind].update, &st, err))) {
        wr_buf_free(&oldtext);
        return rc;
    }
    bind_vals(st, ks, v);
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    if (rc >= 0 && (kind == K_ACCOUNTS || kind == K_GRANTS)) {
        int u = delta(im, kind, a, v[1].i, 1, err);
        rc = u < 0 ? u : rc;
        untaken |= u > 0;
    }
    if (rc >= 0 && (ev_append(&before, ks, old) || ev_append(&im->ev, ks, v)))
        rc = wr_fail(err, WR_ENOMEM, "out of memory");
    if (rc >= 0)
        rc = inv_event(im->s, im->stats->import_id, im->now, ks->event_kind, object_id, "changed",
                       before.data, im->ev.data, err);
    wr_buf_free(&before);
    wr_buf_free(&oldtext);
    if (rc < 0)
        return rc;
    im->stats->changed++;
    if (kind == K_IDENTITIES) {
        int64_t rid;
        if ((rc = lookup_ref(im, 'I', v[0].s, &rid, &rs, err)))
            return rc;
        im->touched_idents++;
        return inv_set_add(&im->touched_ident_set, (uint64_t)rid) < 0
                   ? wr_fail(err, WR_ENOMEM, "out of memory") : WR_OK;
    }
    /* a new holder also changes what the account's grants count */
    return settle(im, kind, sys, untaken || (kind == K_ACCOUNTS && nhi), nhi, err);
}

/* ---- full snapshots ----------------------------------------------------------- */

/* What a full-snapshot import does to an object its source no longer has. */
static const struct removal {
    const char *scan;    /* key texts..., then the rids the action binds */
    const char *action;  /* ?1.. = rids from scan, ?9 = now */
    int nkeys;
} removals[K_COUNT] = {
    [K_IDENTITIES] = {"SELECT id, rid FROM identities WHERE source=?1 AND status!='terminated'",
                      "UPDATE identities SET status='terminated', terminated_at=?9 WHERE rid=?1", 1},
    [K_SYSTEMS] = {NULL, NULL, 0},  /* systems are never removed by an import */
    [K_ENTITLEMENTS] = {"SELECT id, rid FROM entitlements WHERE source=?1",
                        "DELETE FROM entitlements WHERE rid=?1 AND ?9 IS NOT NULL", 1},
    [K_ACCOUNTS] = {"SELECT id, rid FROM accounts WHERE source=?1 AND status!='disabled'",
                    "UPDATE accounts SET status='disabled' WHERE rid=?1 AND ?9 IS NOT NULL", 1},
    [K_GRANTS] = {"SELECT (SELECT id FROM accounts WHERE rid=t.account_rid), "
                  "(SELECT id FROM entitlements WHERE rid=t.entitlement_rid), t.account_rid, "
                  "t.entitlement_rid FROM grants t WHERE t.source=?1",
                  "DELETE FROM grants WHERE account_rid=?1 AND entitlement_rid=?2 AND ?9 IS NOT NULL", 2},
    [K_CREDENTIALS] = {"SELECT id, rid FROM credentials WHERE source=?1",
                       "DELETE FROM credentials WHERE rid=?1 AND ?9 IS NOT NULL", 1},
    [K_ROLES] = {"SELECT department, (SELECT id FROM entitlements WHERE rid=t.entitlement_rid), "
                 "department, entitlement_rid FROM role_entitlements t WHERE t.source=?1",
                 "DELETE FROM role_entitlements WHERE department=?1 AND entitlement_rid=?2 "
                 "AND ?9 IS NOT NULL", 2},
};

typedef struct gone {
    char *key;          /* event id */
    char *k1;           /* first key text, for the before image */
    int64_t r1, r2;
    char *t1;           /* roles: department text */
} gone;

static int remove_absent(inv_import *im, int k, wr_err *err)
{
    const struct removal *rm = &removals[k];
    const kindspec *ks = &kinds[k];
    if (!rm->scan)
        return WR_OK;
    refs_free(im);  /* deletions would leave them stale */
    wr_stmt *st;
    int rc = wr_stmt_prepare(im->s, rm->scan, &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, im->opts->source);
    gone *list = NULL;
    size_t n = 0, cap = 0;
    while ((rc = wr_stmt_step(st, err)) == 1) {
        val key[2];
        for (int c = 0; c < rm->nkeys; c++) {
            key[c].null = 0;
            key[c].s = wr_stmt_text(st, c);
        }
        if (inv_set_has(&im->seen[k], key_hash(ks, key)))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            gone *nl = realloc(list, cap * sizeof *nl);
            if (!nl) {
                rc = wr_fail(err, WR_ENOMEM, "out of memory");
                break;
            }
            list = nl;
        }
        gone *g = &list[n++];
        memset(g, 0, sizeof *g);
        wr_buf b = WR_BUF_INIT;
        if (rm->nkeys == 2)
            rc = wr_buf_printf(&b, "%s|%s", key[0].s, key[1].s);
        else
            rc = wr_buf_puts(&b, key[0].s);
        g->key = wr_buf_steal(&b);
        g->r1 = wr_stmt_int(st, rm->nkeys);
        g->r2 = rm->nkeys == 2 ? wr_stmt_int(st, rm->nkeys + 1) : 0;
        g->t1 = k == K_ROLES ? strdup(key[0].s) : NULL;
        if (rc || !g->key || (k == K_ROLES && !g->t1)) {
            rc = wr_fail(err, WR_ENOMEM, "out of memory");
            break;
        }
    }
    wr_stmt_done(st);
    for (size_t i = 0; i < n && rc >= 0; i++) {
        gone *g = &list[i];
        int64_t sys = 0;
        if (k != K_IDENTITIES) {
            int64_t rid;
            const char *sql = k == K_ACCOUNTS ? "SELECT system_rid FROM accounts WHERE rid=?"
                            : k == K_CREDENTIALS ? "SELECT system_rid FROM credentials WHERE rid=?"
                            : k == K_GRANTS ? "SELECT system_rid FROM accounts WHERE rid=?"
                                            : "SELECT system_rid FROM entitlements WHERE rid=?";
            rid = k == K_ROLES ? g->r2 : g->r1;
            if ((rc = wr_stmt_prepare(im->s, sql, &st, err)))
                break;
            wr_stmt_bind_int(st, 1, rid);
            rc = wr_stmt_step(st, err);
            sys = rc == 1 ? wr_stmt_int(st, 0) : 0;
            wr_stmt_done(st);
            if (rc < 0)
                break;
        }
        int untaken = 0;
        if ((k == K_ACCOUNTS || k == K_GRANTS) &&
            (rc = untaken = delta(im, k, g->r1, g->r2, -1, err)) < 0)
            break;
        if ((rc = wr_stmt_prepare(im->s, rm->action, &st, err)))
            break;
        if (k == K_ROLES)
            wr_stmt_bind_text(st, 1, g->t1);
        else
            wr_stmt_bind_int(st, 1, g->r1);
        if (rm->nkeys == 2)
            wr_stmt_bind_int(st, 2, g->r2);
        wr_stmt_bind_int(st, 9, im->now);
        rc = wr_stmt_step(st, err);
        wr_stmt_done(st);
        if (rc >= 0 && k == K_ACCOUNTS) {
            int u = delta(im, k, g->r1, 0, 1, err);
            rc = u < 0 ? u : rc;
            untaken |= u > 0;
        }
        if (rc < 0)
            break;
        if ((rc = inv_event(im->s, im->stats->import_id, im->now, ks->event_kind, g->key,
                            "removed", NULL, NULL, err)))
            break;
        im->stats->removed++;
        if (k == K_IDENTITIES) {
            im->touched_idents++;
            if (inv_set_add(&im->touched_ident_set, (uint64_t)g->r1) < 0)
                rc = wr_fail(err, WR_ENOMEM, "out of memory");
        } else {
            rc = settle(im, k, sys, untaken, 0, err);
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(list[i].key);
        free(list[i].t1);
    }
    free(list);
    return rc < 0 ? rc : WR_OK;
}

/* ---- files ------------------------------------------------------------------- */

static const char *guess_format(const char *name, const char *data, size_t len)
{
    const char *dot = strrchr(name, '.');
    if (dot && strcmp(dot, ".csv") == 0)
        return "csv";
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", data[i]))
        i++;
    if (i < len && (data[i] == '{' || data[i] == '[')) {
        /* SCIM resources name their schemas. */
        size_t look = len - i < 4096 ? len - i : 4096;
        for (size_t j = i; j + 24 < i + look; j++)
            if (memcmp(data + j, "urn:ietf:params:scim:", 21) == 0)
                return "scim";
        return "json";
    }
    return "csv";
}

/* Applies the collected readiness invalidations. */
static int flush_touches(inv_import *im, wr_err *err)
{
    int rc = WR_OK;
    int bulk = 0;
    for (int k = 0; k < K_COUNT; k++)
        bulk |= im->bulk_rows[k] != 0;
    if (im->touched_idents > 1000 || bulk) {
        inv_delta_free(&im->delta);
        return inv_touch_all(im->s, err);
    }
    rc = inv_delta_flush(im->s, &im->delta, err);
    if (rc == WR_OK && im->nhi_dirty)
        rc = inv_touch_nhi(im->s, err);
    for (size_t i = 0; i < im->touched_ident_set.cap && !rc; i++)
        if (im->touched_ident_set.slots[i])
            rc = inv_touch_identity(im->s, (int64_t)im->touched_ident_set.slots[i], err);
    for (size_t i = 0; i < im->touched_sys.cap && !rc; i++)
        if (im->touched_sys.slots[i])
            rc = inv_touch_system(im->s, (int64_t)im->touched_sys.slots[i], err);
    return rc;
}

static void importer_free(inv_import *im)
{
    for (int k = 0; k < K_COUNT; k++) {
        free(im->sql[k].select);
        free(im->sql[k].insert);
        free(im->sql[k].update);
        free(im->sql[k].insert_new);
        free(im->idx_saved[k]);
        inv_set_free(&im->seen[k]);
    }
    for (int k = 0; k < K_COUNT; k++) {
        inv_batch_free(im->batch[k]);
        im->batch[k] = NULL;
    }
    inv_set_free(&im->touched_sys);
    inv_set_free(&im->touched_ident_set);
    refs_free(im);
    inv_delta_free(&im->delta);
    wr_buf_free(&im->ev);
}

/* A first load into an empty table needs no foreign-key checks from
 * SQLite: every reference is resolved by the importer, inside the same
 * write transaction, to a row that exists (a row whose reference does not
 * resolve is rejected before any insert), and a load that is not a full
 * snapshot deletes nothing, so no ON DELETE action is due.  The checks
 * (two parent lookups and a statement journal per grant) are a fifth of
 * the insert's cost.  Likewise the CHECK constraints, which repeat the
 * importer's own validation (kindspec: the same enum lists, a JSON object
 * for connector_config): SQLite evaluates `x IN ('a','b','c')` by building
 * a temporary B-tree per statement run — a third of an identity insert.
 * PRAGMA foreign_keys is per connection and a no-op inside a
 * transaction, so both are decided before BEGIN: only a file whose
 * kind is known from --kind or its name, going into an empty table, and
 * not --full.  Should another writer fill the table in between, the rows
 * take the ordinary path, which resolves its references the same way. */
static int checks_off_for_bulk(inv_import *im, const char *name, int *off, wr_err *err)
{
    *off = 0;
    int k = im->opts->full ? -1 : inv_import_kind_of(im, name);
    if (k < 0)
        return WR_OK;
    int64_t empty = 0;
    int rc = table_empty(im, k, &empty, err);
    if (rc || !empty)
        return rc;
    rc = wr_store_exec(im->s, "PRAGMA foreign_keys=OFF; PRAGMA ignore_check_constraints=ON", err);
    *off = rc == WR_OK;
    return rc;
}

/* A first load of a big file also writes through a rollback journal
 * when it can have the database to itself (wr_store_bulk_enter): in WAL
 * mode each of the load's pages is written twice, to the log and then by
 * the checkpoint at commit — for the 4.3M accounts of the benchmark, 550
 * MB more and 1.5 s of the file's 14 (bench/RESULTS-inventory.md, round 7).
 * Files under this size are not worth the switch (a checkpoint and the
 * log file's removal and re-creation, a few ms); tests lower it. */
size_t inv_bulk_journal_min_bytes = (size_t)16 << 20;

static void checks_restore(wr_store *s)
{
    wr_err ignored = {0};
    /* cannot fail outside a transaction (no lock, no I/O) */
    if (wr_store_exec(s, "PRAGMA foreign_keys=ON; PRAGMA ignore_check_constraints=OFF",
                      &ignored) != WR_OK)
        return;
}

static int run_import(wr_store *s, const char *name, const char *data, size_t len,
                      const wr_import_opts *opts_in, wr_import_stats *stats, json_t **problems,
                      wr_err *err)
{
    static const wr_import_opts none = {0};
    const wr_import_opts *opts = opts_in ? opts_in : &none;
    wr_import_stats local;
    memset(&local, 0, sizeof local);
    if (opts->full && !opts->source)
        return wr_fail(err, WR_EINVAL, "%s: a full-snapshot import needs a source name", name);
    if (opts->kind && inv_kind_parse(opts->kind) < 0)
        return wr_fail(err, WR_EINVAL, "%s: unknown kind '%s' (identities, systems, accounts, "
                       "entitlements, grants, credentials, roles)", name, opts->kind);
    const char *format = opts->format ? opts->format : guess_format(name, data, len);
    int (*front)(inv_import *, const char *, const char *, size_t, wr_err *) =
        strcmp(format, "csv") == 0 ? inv_import_csv : strcmp(format, "json") == 0 ? inv_import_json
        : strcmp(format, "scim") == 0 ? inv_import_scim : NULL;
    if (!front)
        return wr_fail(err, WR_EINVAL, "%s: unknown format '%s' (csv, json, scim)", name, format);
    inv_import im;
    memset(&im, 0, sizeof im);
    im.s = s;
    im.opts = opts;
    im.stats = &local;
    im.problems = json_array();
    im.now = wr_now();
    memset(im.bulk, -1, sizeof im.bulk);
    im.bulk_indexes = 1;
    wr_id_new("imp", local.import_id, sizeof local.import_id);
    /* A bigger page cache keeps the id indexes in memory during a bulk
     * merge (SQLite's default is 2 MiB; this is at most 256 MiB). */
    int rc = s ? wr_store_cache_size(s, -262144, NULL, err) : WR_OK;
    int fk_off = 0, journal = 0;
    if (rc == WR_OK && s && (rc = checks_off_for_bulk(&im, name, &fk_off, err)) == WR_OK) {
        if (fk_off && len >= inv_bulk_journal_min_bytes)
            journal = wr_store_bulk_enter(s);
        rc = wr_store_begin(s, err);
    }
    if (rc) {
        if (journal)
            wr_store_bulk_leave(s);
        if (fk_off)
            checks_restore(s);
        json_decref(im.problems);
        return rc;
    }
    rc = front(&im, name, data, len, err);
    if (rc == WR_OK && s)
        rc = bulk_done(&im, name, data, len, err);
    if (rc == WR_OK && s && opts->full)
        for (int k = 0; k < K_COUNT && rc == WR_OK; k++)
            if (im.sql[k].used || (opts->kind && inv_kind_parse(opts->kind) == k))
                rc = remove_absent(&im, k, err);
    if (rc == WR_OK && opts->strict && local.rejected)
        rc = wr_fail(err, WR_EINVAL, "%s: %llu row(s) rejected; --strict: nothing imported",
                     name, (unsigned long long)local.rejected);
    if (rc == WR_OK && s)
        rc = flush_touches(&im, err);
    if (rc == WR_OK && s)
        rc = wr_store_commit(s, err);
    else if (s)
        wr_store_rollback(s);
    if (journal)
        wr_store_bulk_leave(s);
    if (fk_off)
        checks_restore(s);
    importer_free(&im);
    if (rc && opts->strict && local.rejected) {
        /* nothing was imported: say so in the counts */
        local.added = local.changed = local.removed = local.unchanged = 0;
    }
    if (stats)
        *stats = local;
    if (problems)
        *problems = im.problems;
    else
        json_decref(im.problems);
    return rc;
}

int wr_inventory_import_buffer(wr_store *s, const char *name, const char *data, size_t len,
                               const wr_import_opts *opts, wr_import_stats *stats,
                               json_t **problems, wr_err *err)
{
    if (!s)
        return wr_fail(err, WR_EINVAL, "import: no store");
    return run_import(s, name, data, len, opts, stats, problems, err);
}

int wr_inventory_import_check(const char *name, const char *data, size_t len,
                              const wr_import_opts *opts, wr_import_stats *stats,
                              json_t **problems, wr_err *err)
{
    return run_import(NULL, name, data, len, opts, stats, problems, err);
}

int wr_inventory_import_file(wr_store *s, const char *path, const wr_import_opts *opts,
                             wr_import_stats *stats, json_t **problems, wr_err *err)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return wr_fail(err, errno == ENOENT ? WR_ENOTFOUND : WR_EIO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return wr_fail(err, WR_EINVAL, "%s: not a regular file", path);
    }
    size_t len = (size_t)sb.st_size;
    const char *dot = strrchr(path, '.');
    int is_csv = (opts && opts->format && strcmp(opts->format, "csv") == 0) ||
                 (!(opts && opts->format) && dot && strcmp(dot, ".csv") == 0);
    size_t max = is_csv ? WR_INV_CSV_FILE_MAX : WR_INV_JSON_FILE_MAX;
    if (len > max) {
        close(fd);
        return wr_fail(err, WR_ELIMIT, "%s: %zu bytes is over the %zu-byte limit", path, len, max);
    }
    /* Mapped, not read: a multi-gigabyte CSV costs no heap. */
    const char *data = "";
    void *map = NULL;
    if (len) {
        map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            close(fd);
            return wr_fail(err, WR_EIO, "%s: cannot map: %s", path, strerror(errno));
        }
        posix_madvise(map, len, POSIX_MADV_SEQUENTIAL);
        data = map;
    }
    close(fd);
    int rc = wr_inventory_import_buffer(s, path, data, len, opts, stats, problems, err);
    if (map)
        munmap(map, len);
    return rc;
}

/* ---- streaming import (connectors' reconciliation) ------------------------------
 * The same merge path as a file import, fed one JSON object at a time, so a
 * caller that reads a directory of millions of entries never builds the
 * whole document.  new begins the transaction; the caller may run other
 * statements (operations, log entries) in it before commit. */
struct wr_inventory_importer {
    inv_import im;
    wr_import_opts opts;
    wr_import_stats stats;
    int open;
};

int wr_inventory_importer_new(wr_store *s, const wr_import_opts *opts, wr_inventory_importer **out, wr_err *err)
{
    wr_inventory_importer *x = calloc(1, sizeof *x);
    if (!x)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    if (opts)
        x->opts = *opts;
    x->opts.full = 0;
    x->im.s = s;
    x->im.opts = &x->opts;
    x->im.stats = &x->stats;
    x->im.problems = json_array();
    x->im.now = wr_now();
    wr_id_new("imp", x->stats.import_id, sizeof x->stats.import_id);
    int rc = wr_store_begin(s, err);
    if (rc) {
        json_decref(x->im.problems);
        free(x);
        return rc;
    }
    x->open = 1;
    *out = x;
    return WR_OK;
}

int wr_inventory_importer_add(wr_inventory_importer *x, const char *kind, const json_t *obj, const char *where,
                              wr_err *err)
{
    int k = inv_kind_parse(kind);
    if (k < 0)
        return wr_fail(err, WR_EINVAL, "import: unknown kind '%s'", kind);
    return inv_import_json_object(&x->im, k, obj, where, err);
}

int wr_inventory_importer_commit(wr_inventory_importer *x, wr_import_stats *stats, json_t **problems, wr_err *err)
{
    int rc = flush_touches(&x->im, err);
    if (rc == WR_OK)
        rc = wr_store_commit(x->im.s, err);
    if (rc)
        wr_store_rollback(x->im.s);
    x->open = 0;
    if (stats)
        *stats = x->stats;
    if (problems)
        *problems = json_incref(x->im.problems);
    return rc;
}

void wr_inventory_importer_free(wr_inventory_importer *x)
{
    if (!x)
        return;
    if (x->open)
        wr_store_rollback(x->im.s);
    json_t *p = x->im.problems;
    importer_free(&x->im);
    json_decref(p);
    free(x);
}
