/*
 * inventory_schema.c — versioned schema of the inventory module.  Append
 * steps; never edit a step that has shipped.
 *
 * Every object has a text id (what users, policies and imports name it by)
 * and an integer rid (SQLite rowid).  References between objects use rids:
 * the readiness computation walks millions of grants and resolves each
 * grant's account, entitlement and holder through dense integer keys
 * (arrays indexed by rid in C, or rowid lookups in SQL) instead of text
 * B-tree searches.  Timestamps are unix seconds (INTEGER) so that the
 * "unused for more than N days" comparisons are integer comparisons.
 *
 * Every object row carries the `source` it was imported from, so a full
 * snapshot import from one source can tell what that source no longer has.
 *
 * readiness_cache holds per-system counters of the readiness metrics; a
 * small import or an operation adjusts the row of the system it touches,
 * a larger change deletes it (see readiness.c), so only the touched
 * systems are recomputed.  readiness_nhi_cache (step 2) holds the
 * non-human identity counts of every scope.
 */
#include "../store/store_internal.h"

/* The grants table of steps 1 and 3 (step 3 rebuilds it unchanged). */
#define GRANTS_TABLE \
    "CREATE TABLE grants(" \
    " account_rid INTEGER NOT NULL REFERENCES accounts(rid) ON DELETE CASCADE," \
    " entitlement_rid INTEGER NOT NULL REFERENCES entitlements(rid) ON DELETE CASCADE," \
    " granted_at INTEGER, granted_by TEXT, last_used_at INTEGER, expires_at INTEGER," \
    " certified_at INTEGER, source TEXT," \
    " PRIMARY KEY(account_rid, entitlement_rid)) WITHOUT ROWID;"

/* The identities of steps 1 and 4 (step 4 makes the id unique through a
 * named index): the columns after rid and id, and the secondary indexes. */
#define IDENTITY_COLUMNS \
    " kind TEXT NOT NULL CHECK(kind IN ('human','service_account','api_key','bot','ai_agent'))," \
    " name TEXT, email TEXT, department TEXT, title TEXT, manager TEXT," \
    " status TEXT NOT NULL DEFAULT 'active' CHECK(status IN ('active','leave','terminated'))," \
    " owner TEXT," \
    " source TEXT, created_at INTEGER, terminated_at INTEGER"
#define IDENTITY_INDEXES \
    "CREATE INDEX identities_owner ON identities(owner) WHERE owner IS NOT NULL;" \
    "CREATE INDEX identities_source ON identities(source);"

static const wr_migration steps[] = {
    {1,
     "CREATE TABLE identities(rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE," IDENTITY_COLUMNS ");"
     IDENTITY_INDEXES

     "CREATE TABLE systems("
     " rid INTEGER PRIMARY KEY,"
     " id TEXT NOT NULL UNIQUE,"
     " name TEXT, domain TEXT, owner TEXT, connector TEXT,"
     " connector_config TEXT CHECK(connector_config IS NULL OR json_valid(connector_config)),"
     " criticality TEXT CHECK(criticality IS NULL OR criticality IN ('low','medium','high','critical')),"
     " source TEXT);"
     "CREATE INDEX systems_domain ON systems(domain);"

     "CREATE TABLE accounts("
     " rid INTEGER PRIMARY KEY,"
     " id TEXT NOT NULL UNIQUE,"
     " system_rid INTEGER NOT NULL REFERENCES systems(rid) ON DELETE CASCADE,"
     " login TEXT NOT NULL,"
     " identity_rid INTEGER REFERENCES identities(rid) ON DELETE SET NULL,"
     " status TEXT NOT NULL DEFAULT 'active' CHECK(status IN ('active','disabled')),"
     " last_used_at INTEGER, created_at INTEGER, source TEXT);"
     "CREATE INDEX accounts_system ON accounts(system_rid);"
     "CREATE INDEX accounts_identity ON accounts(identity_rid);"
     "CREATE INDEX accounts_source ON accounts(source);"

     "CREATE TABLE entitlements("
     " rid INTEGER PRIMARY KEY,"
     " id TEXT NOT NULL UNIQUE,"
     " system_rid INTEGER NOT NULL REFERENCES systems(rid) ON DELETE CASCADE,"
     " name TEXT NOT NULL,"
     " privilege TEXT NOT NULL DEFAULT 'standard'"
     "   CHECK(privilege IN ('low','standard','privileged','admin')),"
     " description TEXT, owner TEXT, source TEXT);"
     "CREATE INDEX entitlements_system ON entitlements(system_rid);"

     GRANTS_TABLE
     "CREATE INDEX grants_entitlement ON grants(entitlement_rid);"
     "CREATE INDEX grants_expires ON grants(expires_at) WHERE expires_at IS NOT NULL;"

     "CREATE TABLE credentials("
     " rid INTEGER PRIMARY KEY,"
     " id TEXT NOT NULL UNIQUE,"
     " identity_rid INTEGER REFERENCES identities(rid) ON DELETE SET NULL,"
     " system_rid INTEGER REFERENCES systems(rid) ON DELETE SET NULL,"
     " kind TEXT,"
     " location TEXT NOT NULL CHECK(location IN ('vault','code','config','ci')),"
     " location_ref TEXT, created_at INTEGER, rotated_at INTEGER, source TEXT);"
     "CREATE INDEX credentials_system ON credentials(system_rid);"
     "CREATE INDEX credentials_identity ON credentials(identity_rid);"

     /* The role model: people of `department` are expected to hold
      * `entitlement`. */
     "CREATE TABLE role_entitlements("
     " department TEXT NOT NULL,"
     " entitlement_rid INTEGER NOT NULL REFERENCES entitlements(rid) ON DELETE CASCADE,"
     " source TEXT,"
     " PRIMARY KEY(department, entitlement_rid)) WITHOUT ROWID;"
     "CREATE INDEX role_entitlements_entitlement ON role_entitlements(entitlement_rid);"

     "CREATE TABLE inventory_events("
     " seq INTEGER PRIMARY KEY,"
     " import_id TEXT NOT NULL,"
     " at INTEGER NOT NULL,"
     " object_kind TEXT NOT NULL,"
     " object_id TEXT NOT NULL,"
     " change TEXT NOT NULL CHECK(change IN ('added','changed','removed')),"
     " before TEXT, after TEXT);"
     "CREATE INDEX inventory_events_import ON inventory_events(import_id);"
     "CREATE INDEX inventory_events_object ON inventory_events(object_kind, object_id);"

     "CREATE TABLE readiness_snapshots("
     " seq INTEGER PRIMARY KEY,"
     " taken_at INTEGER NOT NULL,"
     " scope_kind TEXT NOT NULL CHECK(scope_kind IN ('overall','domain','system')),"
     " scope TEXT,"
     " metrics TEXT NOT NULL CHECK(json_valid(metrics)));"
     "CREATE INDEX readiness_snapshots_scope ON readiness_snapshots(scope_kind, scope, taken_at);"

     "CREATE TABLE readiness_cache("
     " system_rid INTEGER PRIMARY KEY REFERENCES systems(rid) ON DELETE CASCADE,"
     " computed_at INTEGER NOT NULL,"
     " params TEXT NOT NULL,"
     " counts TEXT NOT NULL);", 0},
    /* Non-human identity counts of every scope (overall, each domain, each
     * system), kept together: they are not sums of systems.  The overall
     * row marks the set complete; any change that can move them deletes
     * them all (readiness.c). */
    {2,
     "CREATE TABLE readiness_nhi_cache("
     " scope_kind TEXT NOT NULL CHECK(scope_kind IN ('overall','domain','system')),"
     " scope TEXT NOT NULL,"
     " nhi INTEGER NOT NULL, nhi_owned INTEGER NOT NULL,"
     " PRIMARY KEY(scope_kind, scope)) WITHOUT ROWID;", 0},
    /* An account's text id is unique through a named index instead of an
     * inline UNIQUE: a first load into the empty table can then set it
     * aside with the other secondary indexes (bulkidx.c; the importer
     * checks the file's ids in memory meanwhile) and build it once by a
     * sort, instead of inserting ids at random places of a B-tree — the
     * largest cost of loading accounts.  SQLite cannot drop an inline
     * UNIQUE, so the table is rebuilt; grants, which reference it, are
     * rebuilt with it (renaming a parent rewrites its children's
     * REFERENCES to the old name, so the old child is dropped before the
     * old parent and no cascade fires; foreign keys stay on). */
    {3,
     "ALTER TABLE accounts RENAME TO accounts_v2;"
     "ALTER TABLE grants RENAME TO grants_v2;"
     "CREATE TABLE accounts("
     " rid INTEGER PRIMARY KEY,"
     " id TEXT NOT NULL,"
     " system_rid INTEGER NOT NULL REFERENCES systems(rid) ON DELETE CASCADE,"
     " login TEXT NOT NULL,"
     " identity_rid INTEGER REFERENCES identities(rid) ON DELETE SET NULL,"
     " status TEXT NOT NULL DEFAULT 'active' CHECK(status IN ('active','disabled')),"
     " last_used_at INTEGER, created_at INTEGER, source TEXT);"
     GRANTS_TABLE
     "INSERT INTO accounts SELECT * FROM accounts_v2 ORDER BY rid;"
     "INSERT INTO grants SELECT * FROM grants_v2 ORDER BY account_rid, entitlement_rid;"
     "DROP TABLE grants_v2;"
     "DROP TABLE accounts_v2;"
     "CREATE UNIQUE INDEX accounts_id ON accounts(id);"
     "CREATE INDEX accounts_system ON accounts(system_rid);"
     "CREATE INDEX accounts_identity ON accounts(identity_rid);"
     "CREATE INDEX accounts_source ON accounts(source);"
     "CREATE INDEX grants_entitlement ON grants(entitlement_rid);"
     "CREATE INDEX grants_expires ON grants(expires_at) WHERE expires_at IS NOT NULL;", 0},
    /* Identities get the same named unique id index as accounts (step 3),
     * for the same reason: a first load of a million identities inserted
     * their ids at random places of the inline index's B-tree.  Accounts
     * and credentials reference identities, so the table is rebuilt the
     * way SQLite prescribes for a referenced table — new table, copy,
     * drop, rename — with foreign keys off (rebuilds_parent), which keeps
     * their REFERENCES and fires no ON DELETE SET NULL. */
    {4,
     "CREATE TABLE identities_v4(rid INTEGER PRIMARY KEY, id TEXT NOT NULL," IDENTITY_COLUMNS ");"
     "INSERT INTO identities_v4 SELECT * FROM identities ORDER BY rid;"
     "DROP TABLE identities;"
     "ALTER TABLE identities_v4 RENAME TO identities;"
     "CREATE UNIQUE INDEX identities_id ON identities(id);"
     IDENTITY_INDEXES,
     1},
    /* The source indexes hold only rows that have a source.  They answer
     * source=?1 (a full snapshot's "what does this source no longer
     * have", import.c), which never matches NULL; imports without
     * --source leave it NULL, and a first load of millions of such rows
     * then rebuilt an index of NULL keys by a sort (~1 s per 4.3M
     * accounts) that no query can use. */
    {5,
     "DROP INDEX identities_source;"
     "CREATE INDEX identities_source ON identities(source) WHERE source IS NOT NULL;"
     "DROP INDEX accounts_source;"
     "CREATE INDEX accounts_source ON accounts(source) WHERE source IS NOT NULL;",
     0},
};

const wr_schema_module wr_schema_inventory = {"inventory", steps, sizeof steps / sizeof steps[0]};
