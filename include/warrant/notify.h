/*
 * warrant/notify.h — webhooks: the lineage log pushed to the people and
 * systems that act on it.
 *
 * A governed change that waits for an approver is only governance if the
 * approver hears about it.  A webhook subscribes an HTTPS (or HTTP)
 * endpoint — a chat integration, a ticketing system, a SIEM — to the
 * entries of the lineage log.  The log itself is the outbox: every state
 * change is already an entry committed with the change it records, so a
 * notification can never announce something that did not happen, nor be
 * lost because the process died between the change and the send.  Each
 * webhook keeps a cursor (the last log index it has dealt with) and
 * delivers the entries after it in log order, at least once:
 *
 *   POST <url>
 *   content-type: application/json
 *   webhook-id: <webhook id>.<log index>      (the same on every retry)
 *   webhook-timestamp: <unix seconds>
 *   webhook-signature: v1,<base64 HMAC-SHA256(key, id "." timestamp "." body)>
 *
 *   {"type": "<entry kind>", "timestamp": "<RFC 3339>",
 *    "data": {"log_index": N, "entry": {...the log entry...},
 *             "change": {"id","state","system","pending_stage"?}?}}
 *
 * (the headers and signature follow the Standard Webhooks convention, so
 * receivers can verify with existing libraries).  "change" is the change's
 * state when delivered, with the eligible approvers of its pending stage;
 * the entry carries digests of inputs, never secrets.
 *
 * Secrets: the signing key lives in a file named by the webhook
 * ("whsec_" + base64 key, as wr_webhook_secret_new makes); the store holds
 * only the file's path, and the key is wiped after each use.
 *
 * Failures: a non-2xx answer, a timeout (5 s connect, 10 s in all) or a
 * connection error stops that webhook at that entry; the next attempt waits
 * 2^failures seconds (at most an hour).  After WR_WEBHOOK_MAX_FAILURES
 * consecutive failures the webhook is disabled (its last error kept) until
 * wr_webhook_enable.  Redirects are not followed.  Entries are never
 * skipped silently: a disabled webhook resumes where it stopped.
 */
#ifndef WARRANT_NOTIFY_H
#define WARRANT_NOTIFY_H

#include "warrant/core.h"
#include "warrant/workflow.h"

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WR_WEBHOOK_MAX_URL 2048
#define WR_WEBHOOK_MAX_EVENTS 1024       /* length of the event filter */
#define WR_WEBHOOK_MAX_FAILURES 20
#define WR_WEBHOOK_BATCH 100             /* entries per webhook per delivery run */
#define WR_WEBHOOK_MAX_PAYLOAD (1u << 20)

/* Subscribes url (http:// or https://) to the log entries whose kind
 * matches events: a comma-separated list of kinds ("change.proposed") or
 * prefixes ("change.*"); NULL or "*" is every entry.  secret_file (may be
 * NULL: unsigned deliveries) must hold a "whsec_" secret and is read now to
 * check it.  Delivery starts after the current end of the log.  created_by
 * (may be NULL) is recorded.  *out (caller decrefs) describes the webhook
 * as wr_webhook_list does. */
int wr_webhook_add(wr_ctx *ctx, const char *created_by, const char *url, const char *events,
                   const char *secret_file, json_t **out, wr_err *err) WR_MUST_CHECK;
/* Every webhook: {"id","url","events","signed","created_by","created_at",
 * "state": active | disabled, "cursor", "pending", "delivered",
 * "failures", "last_error"?, "last_delivered_at"?, "next_attempt_at"?}. */
int wr_webhook_list(wr_ctx *ctx, json_t **out, wr_err *err) WR_MUST_CHECK;
int wr_webhook_remove(wr_ctx *ctx, const char *id, wr_err *err) WR_MUST_CHECK;
/* Re-enables a disabled webhook (failures reset; it resumes at its cursor). */
int wr_webhook_enable(wr_ctx *ctx, const char *id, wr_err *err) WR_MUST_CHECK;

/* Delivers what is due to every active webhook (at most WR_WEBHOOK_BATCH
 * entries each).  *report (caller decrefs; may be NULL) is
 * {"delivered": n, "failed": n, "webhooks": [{"id","delivered","error"?}]}.
 * Two deliverers on one data directory do not send the same webhook's
 * entries concurrently (a lock file per webhook under <data>/run). */
int wr_webhook_deliver(wr_ctx *ctx, json_t **report, wr_err *err) WR_MUST_CHECK;

/* A fresh signing secret, "whsec_" + base64 of 32 random bytes (caller
 * frees and should wipe). */
int wr_webhook_secret_new(char **secret, wr_err *err) WR_MUST_CHECK;
/* The webhook-signature header value "v1,<base64>" for a delivery, from a
 * "whsec_" secret; receivers' verification can be tested against it. */
int wr_webhook_sign(const char *secret, const char *msg_id, int64_t timestamp, const char *body, size_t len,
                    char **signature, wr_err *err) WR_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
