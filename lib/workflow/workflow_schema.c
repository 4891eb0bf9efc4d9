/*
 * workflow_schema.c — versioned schema of the governance workflow:
 * principals, mandates, changes, approvals and the index from changes to
 * their lineage entries.  Append steps; never edit a step that has shipped.
 *
 * Approval history is append-only: triggers refuse UPDATE and DELETE, so
 * even expiry or a bug cannot erase who approved what (auditors ask for
 * exactly that).  UNIQUE(change, approver) makes "one person fills one
 * slot" hold in the database itself, not only in code.
 */
#include "../store/store_internal.h"

static const wr_migration steps[] = {
    {1,
     "CREATE TABLE principals("
     " id TEXT PRIMARY KEY,"
     " kind TEXT NOT NULL CHECK(kind IN ('human','copilot','agent','service')),"
     " name TEXT, email TEXT,"
     " roles TEXT NOT NULL DEFAULT '[]',"
     " on_behalf_of TEXT REFERENCES principals(id),"
     " owner TEXT REFERENCES principals(id),"
     " status TEXT NOT NULL DEFAULT 'active',"
     " created_at INTEGER NOT NULL,"
     " CHECK((kind = 'copilot') = (on_behalf_of IS NOT NULL)),"
     " CHECK(kind IN ('human','copilot') OR owner IS NOT NULL));"
     "CREATE TABLE mandates("
     " id TEXT PRIMARY KEY,"
     " agent TEXT NOT NULL REFERENCES principals(id),"
     " owner TEXT NOT NULL REFERENCES principals(id),"
     " purpose TEXT NOT NULL,"
     " systems TEXT NOT NULL, actions TEXT NOT NULL,"
     " max_changes INTEGER NOT NULL CHECK(max_changes > 0),"
     " used INTEGER NOT NULL DEFAULT 0,"
     " deadline INTEGER NOT NULL,"
     " readiness_floor TEXT,"
     " evidence TEXT NOT NULL DEFAULT '[]',"
     " state TEXT NOT NULL DEFAULT 'active' CHECK(state IN ('active','closed','expired')),"
     " created_at INTEGER NOT NULL, closed_at INTEGER, summary TEXT);"
     "CREATE INDEX mandates_agent ON mandates(agent, state);"
     "CREATE TABLE changes("
     " id TEXT PRIMARY KEY,"
     " initiator TEXT NOT NULL REFERENCES principals(id),"
     " on_behalf_of TEXT,"
     " mode TEXT NOT NULL, environment TEXT NOT NULL,"
     " state TEXT NOT NULL,"
     " system TEXT,"
     " mandate TEXT REFERENCES mandates(id),"
     " rollback_of TEXT REFERENCES changes(id),"
     " request TEXT NOT NULL,"
     " decision TEXT NOT NULL,"
     " stage INTEGER NOT NULL DEFAULT 0,"
     " stage_deadline INTEGER,"
     " inverse TEXT, result TEXT,"
     " evidence TEXT NOT NULL DEFAULT '[]',"
     " risk INTEGER NOT NULL DEFAULT 0,"
     " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
     "CREATE INDEX changes_state ON changes(state, created_at);"
     "CREATE INDEX changes_initiator ON changes(initiator);"
     "CREATE TABLE approvals("
     " id INTEGER PRIMARY KEY,"
     " change TEXT NOT NULL REFERENCES changes(id),"
     " stage INTEGER NOT NULL, role TEXT NOT NULL,"
     " approver TEXT NOT NULL REFERENCES principals(id),"
     " verdict TEXT NOT NULL CHECK(verdict IN ('approve','reject')),"
     " reason TEXT NOT NULL CHECK(length(reason) > 0),"
     " at INTEGER NOT NULL,"
     " UNIQUE(change, approver));"
     "CREATE TRIGGER approvals_append_only_u BEFORE UPDATE ON approvals"
     " BEGIN SELECT RAISE(ABORT, 'approval history is append-only'); END;"
     "CREATE TRIGGER approvals_append_only_d BEFORE DELETE ON approvals"
     " BEGIN SELECT RAISE(ABORT, 'approval history is append-only'); END;"
     "CREATE TABLE change_entries("
     " change TEXT NOT NULL, ledger_index INTEGER NOT NULL, kind TEXT NOT NULL,"
     " PRIMARY KEY(change, ledger_index));", 0},
};

const wr_schema_module wr_schema_workflow = {"workflow", steps, sizeof steps / sizeof steps[0]};
