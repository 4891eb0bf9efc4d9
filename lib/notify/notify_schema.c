/*
 * notify_schema.c — versioned schema of webhooks.  Append steps; never edit
 * a step that has shipped.
 *
 * webhooks  one row per subscription.  cursor is the last log index the
 *           webhook has dealt with (delivered, or not matching its filter);
 *           delivery resumes after it, so the log is the outbox and nothing
 *           needs copying at change time.  secret_file is the path of the
 *           signing key, never the key.  failures counts consecutive failed
 *           attempts at entry cursor+1; next_attempt_at is when to retry;
 *           disabled_at is set after WR_WEBHOOK_MAX_FAILURES (or stays
 *           NULL while active).
 */
#include "../store/store_internal.h"

static const wr_migration steps[] = {
    {1, "CREATE TABLE webhooks("
        " id TEXT PRIMARY KEY,"
        " url TEXT NOT NULL,"
        " events TEXT NOT NULL,"
        " secret_file TEXT,"
        " created_by TEXT,"
        " created_at INTEGER NOT NULL,"
        " cursor INTEGER NOT NULL,"
        " delivered INTEGER NOT NULL DEFAULT 0,"
        " failures INTEGER NOT NULL DEFAULT 0,"
        " next_attempt_at INTEGER NOT NULL DEFAULT 0,"
        " last_error TEXT,"
        " last_delivered_at INTEGER,"
        " disabled_at INTEGER);", 0},
};

const wr_schema_module wr_schema_notify = {"notify", steps, sizeof steps / sizeof steps[0]};
