/*
 * server_schema.c — versioned schema of the HTTP server: its bearer tokens.
 * Append steps; never edit a step that has shipped.
 *
 * A token row holds only the hash of the token's secret (BLAKE2b-256 via
 * libsodium's crypto_generichash), never the secret, so a copy of the
 * database cannot be replayed against the server.  principal is who the
 * token acts as; on_behalf_of is the human behind a copilot's token (the
 * token carries both identities); created_by is the human who minted it.
 * Revocation is a timestamp, not a deletion, so `token list` still shows
 * who had which token and when it stopped working.
 *
 * Step 2: console sessions (session.c).  A session row holds the hash of
 * the cookie's secret, the token it was opened with (a revoked or expired
 * token ends its sessions) and its own expiry; logging out stamps ended_at.
 */
#include "../store/store_internal.h"

static const wr_migration steps[] = {
    {1,
     "CREATE TABLE server_tokens("
     " id TEXT PRIMARY KEY,"
     " name TEXT NOT NULL DEFAULT '',"
     " principal TEXT NOT NULL REFERENCES principals(id),"
     " on_behalf_of TEXT REFERENCES principals(id),"
     " created_by TEXT NOT NULL REFERENCES principals(id),"
     " hash BLOB NOT NULL CHECK(length(hash) = 32),"
     " created_at INTEGER NOT NULL,"
     " expires_at INTEGER NOT NULL,"
     " revoked_at INTEGER);"
     "CREATE INDEX server_tokens_principal ON server_tokens(principal);", 0},
    {2,
     "CREATE TABLE server_sessions("
     " id TEXT PRIMARY KEY,"
     " token_id TEXT NOT NULL REFERENCES server_tokens(id),"
     " principal TEXT NOT NULL REFERENCES principals(id),"
     " hash BLOB NOT NULL CHECK(length(hash) = 32),"
     " created_at INTEGER NOT NULL,"
     " expires_at INTEGER NOT NULL,"
     " ended_at INTEGER);"
     "CREATE INDEX server_sessions_expiry ON server_sessions(expires_at);", 0},
    {3, "ALTER TABLE server_tokens ADD COLUMN last_used_at INTEGER;", 0},
};

const wr_schema_module wr_schema_server = {"server", steps, sizeof steps / sizeof steps[0]};
