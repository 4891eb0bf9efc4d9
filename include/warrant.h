/*
 * warrant.h — the public API of libwarrant.
 *
 * Warrant is a governance control plane for AI in identity and access
 * management.  The library is split by area; each header documents its
 * objects, and all follow the conventions in warrant/core.h (int status
 * returns, wr_err for messages, one ownership rule).
 *
 *   warrant/core.h       errors, bounded buffers, hashing, time, files
 *   warrant/store.h      the data directory and its SQLite database
 *   warrant/policy.h     the Cedar policy engine
 *   warrant/ledger.h     the lineage log (RFC 9162 Merkle tree, C2SP notes)
 *   warrant/inventory.h  identities, systems, accounts, grants; readiness
 *   warrant/governance.h obligations from governance annotations
 *   warrant/workflow.h   principals, mandates, governed changes
 *   warrant/mcp.h        the Model Context Protocol server for AI principals
 *   warrant/server.h     `warrant serve`: HTTP API, AuthZEN, tokens, log tiles
 *   warrant/notify.h     webhooks: log entries pushed to HTTP endpoints
 */
#ifndef WARRANT_H
#define WARRANT_H

#include "warrant/core.h"
#include "warrant/store.h"
#include "warrant/policy.h"
#include "warrant/ledger.h"
#include "warrant/inventory.h"
#include "warrant/governance.h"
#include "warrant/workflow.h"
#include "warrant/mcp.h"
#include "warrant/server.h"
#include "warrant/notify.h"

#endif
