/*
 * webhook.c — webhooks: log entries delivered to HTTP endpoints, signed,
 * in log order, at least once (the contract is in warrant/notify.h).
 *
 * Data structure: one row per webhook (notify_schema.c) whose `cursor` is
 * the last log index it has dealt with.  There is no outbox table: the
 * lineage log is already the durable, ordered record of every state change,
 * committed in the same transaction as the change, so "what to send" is
 * simply "the entries after the cursor".  A delivery run walks them with
 * wr_ledger_entry (which reads the stored checkpoint, so entries appended
 * by other processes are seen), skips those the filter does not match,
 * POSTs the others with libcurl, and moves the cursor only after a 2xx.
 *
 * Why a lock file per webhook: the server's timer and a `warrant webhook
 * deliver` may run at once; without it both would send the same entry
 * (harmless for at-least-once receivers, but noisy).  flock is dropped by
 * the kernel if the process dies, so a crash never wedges a webhook.
 */
#define _DEFAULT_SOURCE   /* realpath */
#include "warrant/notify.h"
#include "warrant/ledger.h"
#include "warrant/store.h"
#include "../core/http_client.h"

#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECRET_PREFIX "whsec_"
#define MIN_KEY 16
#define MAX_KEY 64
#define MAX_BACKOFF 3600
#define CONNECT_TIMEOUT_MS 5000L
#define TOTAL_TIMEOUT_MS 10000L

/* ---- secrets and signatures ------------------------------------------------ */

/* Decodes a "whsec_" secret into key; *klen its length. */
static int secret_key(const char *secret, uint8_t key[MAX_KEY], size_t *klen, wr_err *err)
{
    size_t plen = strlen(SECRET_PREFIX);
    if (strncmp(secret, SECRET_PREFIX, plen) != 0)
        return wr_fail(err, WR_EINVAL, "webhook secret must start with '" SECRET_PREFIX "'");
    if (wr_base64_decode(secret + plen, key, MAX_KEY, klen) < 0 || *klen < MIN_KEY)
        return wr_fail(err, WR_EINVAL, "webhook secret: '" SECRET_PREFIX "' must be followed by the base64 of "
                                       "%d to %d bytes", MIN_KEY, MAX_KEY);
    return WR_OK;
}

/* Reads the secret file: one line, trailing white space dropped. */
static int secret_read(const char *path, char **out, wr_err *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = wr_file_read(path, 4096, &text, &len, err);
    if (rc)
        return wr_fail_wrap(err, "webhook secret file");
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ' || text[len - 1] == '\t'))
        text[--len] = '\0';
    uint8_t key[MAX_KEY];
    size_t klen = 0;
    if ((rc = secret_key(text, key, &klen, err))) {
        wr_wipe(text, len);
        free(text);
        return wr_fail_wrap(err, "%s", path);
    }
    wr_wipe(key, sizeof key);
    *out = text;
    return WR_OK;
}

static void secret_free(char *s)
{
    if (s) {
        wr_wipe(s, strlen(s));
        free(s);
    }
}

int wr_webhook_secret_new(char **secret, wr_err *err)
{
    uint8_t key[32];
    randombytes_buf(key, sizeof key);
    char *b64 = NULL;
    int rc = wr_base64_encode(key, sizeof key, &b64);
    wr_wipe(key, sizeof key);
    if (rc)
        return wr_fail(err, WR_ENOMEM, "webhook secret: out of memory");
    size_t n = strlen(SECRET_PREFIX) + strlen(b64) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s", SECRET_PREFIX, b64);
    wr_wipe(b64, strlen(b64));
    free(b64);
    if (!s)
        return wr_fail(err, WR_ENOMEM, "webhook secret: out of memory");
    *secret = s;
    return WR_OK;
}

int wr_webhook_sign(const char *secret, const char *msg_id, int64_t timestamp, const char *body, size_t len,
                    char **signature, wr_err *err)
{
    uint8_t key[MAX_KEY], mac[crypto_auth_hmacsha256_BYTES];
    size_t klen = 0;
    int rc = secret_key(secret, key, &klen, err);
    if (rc)
        return rc;
    char ts[24];
    snprintf(ts, sizeof ts, "%lld", (long long)timestamp);
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, klen);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)msg_id, strlen(msg_id));
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)ts, strlen(ts));
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    wr_wipe(key, sizeof key);
    wr_wipe(&st, sizeof st);
    char *b64 = NULL;
    if (wr_base64_encode(mac, sizeof mac, &b64) != WR_OK)
        return wr_fail(err, WR_ENOMEM, "webhook signature: out of memory");
    size_t n = strlen(b64) + 4;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "v1,%s", b64);
    free(b64);
    if (!s)
        return wr_fail(err, WR_ENOMEM, "webhook signature: out of memory");
    *signature = s;
    return WR_OK;
}

/* ---- subscriptions ----------------------------------------------------------- */

/* Size of the log as durably recorded (the checkpoint's second line), so
 * appends by other processes count. */
static int log_size(wr_ctx *ctx, int64_t *size, wr_err *err)
{
    char *note = NULL;
    int rc = wr_ledger_checkpoint(wr_ctx_ledger(ctx), &note, err);
    if (rc)
        return rc;
    const char *nl = strchr(note, '\n');
    *size = nl ? strtoll(nl + 1, NULL, 10) : 0;
    free(note);
    return WR_OK;
}

/* The event filter: "*", or comma-separated kinds or "prefix.*". */
static int events_valid(const char *ev)
{
    if (strcmp(ev, "*") == 0)
        return 1;
    const char *p = ev;
    for (;;) {
        size_t n = strcspn(p, ",");
        if (n == 0)
            return 0;
        for (size_t i = 0; i < n; i++) {
            char c = p[i];
            int star = c == '*' && i == n - 1 && i > 0 && p[i - 1] == '.';
            if (!star && !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
                return 0;
        }
        if (!p[n])
            return 1;
        p += n + 1;
    }
}

static int events_match(const char *ev, const char *kind)
{
    if (strcmp(ev, "*") == 0)
        return 1;
    size_t klen = strlen(kind);
    for (const char *p = ev; *p;) {
        size_t n = strcspn(p, ",");
        if (n >= 2 && p[n - 1] == '*' ? klen >= n - 1 && strncmp(p, kind, n - 1) == 0
                                      : n == klen && strncmp(p, kind, n) == 0)
            return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

static int url_valid(const char *url)
{
    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
        return 0;
    if (strlen(url) > WR_WEBHOOK_MAX_URL)
        return 0;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return 0;
    return url[strlen(url) - 1] != '/' || strlen(url) > 8;   /* not a bare "http://" or "https://" */
}

static json_t *ts_or_null(wr_stmt *st, int col)
{
    if (wr_stmt_is_null(st, col))
        return json_null();
    char t[21];
    wr_time_format(wr_stmt_int(st, col), t);
    return json_string(t);
}

static const char list_sql[] =
    "SELECT id, url, events, secret_file, created_by, created_at, cursor, delivered, failures, last_error, "
    "last_delivered_at, next_attempt_at, disabled_at FROM webhooks";

static json_t *webhook_row(wr_stmt *st, void *arg)
{
    int64_t size = *(const int64_t *)arg, cursor = wr_stmt_int(st, 6);
    int disabled = !wr_stmt_is_null(st, 12);
    json_t *o = json_pack("{s:s,s:s,s:s,s:b,s:s?,s:o,s:s,s:I,s:I,s:I,s:I}", "id", wr_stmt_text(st, 0), "url",
                          wr_stmt_text(st, 1), "events", wr_stmt_text(st, 2), "signed", !wr_stmt_is_null(st, 3),
                          "created_by", wr_stmt_text(st, 4), "created_at", ts_or_null(st, 5), "state",
                          disabled ? "disabled" : "active", "cursor", (json_int_t)cursor, "pending",
                          (json_int_t)(size - 1 - cursor > 0 ? size - 1 - cursor : 0), "delivered",
                          (json_int_t)wr_stmt_int(st, 7), "failures", (json_int_t)wr_stmt_int(st, 8));
    if (!wr_stmt_is_null(st, 9))
        json_object_set_new(o, "last_error", json_string(wr_stmt_text(st, 9)));
    if (!wr_stmt_is_null(st, 10))
        json_object_set_new(o, "last_delivered_at", ts_or_null(st, 10));
    if (wr_stmt_int(st, 8) > 0 && !disabled)
        json_object_set_new(o, "next_attempt_at", ts_or_null(st, 11));
    if (disabled)
        json_object_set_new(o, "disabled_at", ts_or_null(st, 12));
    return o;
}

static int list_where(wr_ctx *ctx, const char *id, json_t **out, wr_err *err)
{
    int64_t size = 0;
    int rc = log_size(ctx, &size, err);
    if (rc)
        return rc;
    char sql[512];
    snprintf(sql, sizeof sql, "%s%s", list_sql, id ? " WHERE id=?" : " ORDER BY created_at, id");
    wr_stmt *st;
    if ((rc = wr_stmt_prepare(wr_ctx_store(ctx), sql, &st, err)))
        return rc;
    if (id)
        wr_stmt_bind_text(st, 1, id);
    return wr_stmt_collect(st, webhook_row, &size, 0, out, err);
}

int wr_webhook_list(wr_ctx *ctx, json_t **out, wr_err *err)
{
    return list_where(ctx, NULL, out, err);
}

int wr_webhook_add(wr_ctx *ctx, const char *created_by, const char *url, const char *events,
                   const char *secret_file, json_t **out, wr_err *err)
{
    if (!url || !url_valid(url))
        return wr_fail(err, WR_EINVAL, "webhook url '%s': expected http:// or https:// followed by a host, without "
                                       "spaces, at most %d characters", url ? url : "", WR_WEBHOOK_MAX_URL);
    if (!events)
        events = "*";
    if (strlen(events) > WR_WEBHOOK_MAX_EVENTS || !events_valid(events))
        return wr_fail(err, WR_EINVAL, "webhook events '%s': expected '*' or a comma-separated list of entry "
                                       "kinds (change.proposed) or prefixes (change.*)", events);
    char abs[PATH_MAX];
    if (secret_file) {
        char *secret = NULL;
        int rc = secret_read(secret_file, &secret, err);
        if (rc)
            return rc;
        secret_free(secret);
        if (!realpath(secret_file, abs))
            return wr_fail(err, WR_EIO, "%s: %s", secret_file, strerror(errno));
    }
    int64_t size = 0;
    int rc = log_size(ctx, &size, err);
    if (rc)
        return rc;
    char id[64];
    wr_id_new("whk", id, sizeof id);
    wr_stmt *st;
    if ((rc = wr_stmt_prepare(wr_ctx_store(ctx),
                              "INSERT INTO webhooks(id, url, events, secret_file, created_by, created_at, cursor) "
                              "VALUES(?,?,?,?,?,?,?)", &st, err)))
        return rc;
    wr_stmt_bind_text(st, 1, id);
    wr_stmt_bind_text(st, 2, url);
    wr_stmt_bind_text(st, 3, events);
    wr_stmt_bind_text(st, 4, secret_file ? abs : NULL);
    wr_stmt_bind_text(st, 5, created_by);
    wr_stmt_bind_int(st, 6, wr_now());
    wr_stmt_bind_int(st, 7, size - 1);   /* deliveries start after today's end of the log */
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    if (rc < 0)
        return rc;
    json_t *one = NULL;
    if ((rc = list_where(ctx, id, &one, err)))
        return rc;
    *out = json_incref(json_array_get(one, 0));
    json_decref(one);
    return WR_OK;
}

/* Runs an UPDATE/DELETE on one webhook; WR_ENOTFOUND when no row changed. */
static int update_one(wr_ctx *ctx, const char *sql, const char *id, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(wr_ctx_store(ctx), sql, &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, id);
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    if (rc < 0)
        return rc;
    return wr_store_changes(wr_ctx_store(ctx)) ? WR_OK : wr_fail(err, WR_ENOTFOUND, "webhook '%s' not found", id);
}

int wr_webhook_remove(wr_ctx *ctx, const char *id, wr_err *err)
{
    return update_one(ctx, "DELETE FROM webhooks WHERE id=?", id, err);
}

int wr_webhook_enable(wr_ctx *ctx, const char *id, wr_err *err)
{
    return update_one(ctx, "UPDATE webhooks SET disabled_at=NULL, failures=0, next_attempt_at=0 WHERE id=?", id,
                      err);
}

/* ---- delivery ------------------------------------------------------------------ */

typedef struct hook {
    char id[64];
    const char *url, *events, *secret_file;   /* borrowed from the due list */
    int64_t cursor;
    int failures;
} hook;

/* One POST; WR_OK on a 2xx answer, WR_EIO with the reason otherwise. */
static int post(wr_http_session *http, const char *url, const char *msg_id, const char *secret, const char *body,
                size_t len, wr_err *err)
{
    int64_t now = wr_now();
    char *sig = NULL;
    if (secret && wr_webhook_sign(secret, msg_id, now, body, len, &sig, err) != WR_OK)
        return err ? err->code : WR_EINVAL;
    char h_id[128], h_ts[64], h_sig[160];
    snprintf(h_id, sizeof h_id, "webhook-id: %s", msg_id);
    snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %lld", (long long)now);
    snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig ? sig : "");
    free(sig);
    const char *headers[] = {"content-type: application/json", h_id, h_ts, secret ? h_sig : NULL, NULL};
    wr_http_req req = {.method = "POST", .url = url, .headers = headers, .body = body, .body_len = len,
                       .connect_timeout_ms = CONNECT_TIMEOUT_MS, .timeout_ms = TOTAL_TIMEOUT_MS};
    long status = 0;
    int rc = wr_http_call(http, &req, &status, NULL, err);
    if (rc)
        return rc;
    if (status < 200 || status > 299)
        return wr_fail(err, WR_EIO, "HTTP %ld", status);
    return WR_OK;
}

/* The payload of one entry (caller decrefs the result's text). */
static char *payload(wr_ctx *ctx, int64_t idx, json_t *entry)
{
    char now[21];
    wr_time_format(wr_now(), now);
    json_t *data = json_pack("{s:I,s:O}", "log_index", (json_int_t)idx, "entry", entry);
    const char *change = json_string_value(json_object_get(entry, "change"));
    json_t *c = NULL;
    wr_err ignored = {0};
    if (change && wr_change_get(ctx, change, &c, &ignored) == WR_OK) {
        json_t *sum = json_object();
        static const char *const keep[] = {"id", "state", "system", "mode", "initiator", "pending_stage"};
        for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
            if (json_object_get(c, keep[i]))
                json_object_set(sum, keep[i], json_object_get(c, keep[i]));
        json_object_set_new(data, "change", sum);
        json_decref(c);
    }
    json_t *p = json_pack("{s:s,s:s,s:o}", "type", json_string_value(json_object_get(entry, "kind")), "timestamp",
                          now, "data", data);
    char *text = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    return text;
}

/* Persists a webhook's progress after a run or an attempt. */
static void save(wr_ctx *ctx, const hook *h, int delivered, const char *error)
{
    wr_err ignored = {0};
    wr_stmt *st;
    int64_t now = wr_now();
    int64_t backoff = h->failures >= 12 ? MAX_BACKOFF : (int64_t)1 << h->failures;   /* 2^11 < MAX_BACKOFF */
    if (wr_stmt_prepare(wr_ctx_store(ctx),
                        "UPDATE webhooks SET cursor=?2, delivered=delivered+?3, failures=?4, last_error=?5,"
                        " next_attempt_at=?6, last_delivered_at=CASE WHEN ?3>0 THEN ?7 ELSE last_delivered_at END,"
                        " disabled_at=CASE WHEN ?4>=?8 THEN ?7 ELSE disabled_at END WHERE id=?1",
                        &st, &ignored) != WR_OK)
        return;
    wr_stmt_bind_text(st, 1, h->id);
    wr_stmt_bind_int(st, 2, h->cursor);
    wr_stmt_bind_int(st, 3, delivered);
    wr_stmt_bind_int(st, 4, h->failures);
    wr_stmt_bind_text(st, 5, error);
    wr_stmt_bind_int(st, 6, h->failures ? now + backoff : 0);
    wr_stmt_bind_int(st, 7, now);
    wr_stmt_bind_int(st, 8, WR_WEBHOOK_MAX_FAILURES);
    int rc = wr_stmt_step(st, &ignored);
    wr_stmt_done(st);
    (void)rc;
}

/* Delivers up to WR_WEBHOOK_BATCH entries to one webhook. */
static void deliver_one(wr_ctx *ctx, wr_http_session *http, hook *h, json_t *rep, size_t *ok, size_t *failed)
{
    char *secret = NULL;
    wr_err err = {0};
    int delivered = 0, rc = WR_OK;
    if (h->secret_file && (rc = secret_read(h->secret_file, &secret, &err)) != WR_OK)
        goto done;
    for (int n = 0; n < WR_WEBHOOK_BATCH; n++) {
        int64_t idx = h->cursor + 1;
        char *bytes = NULL;
        size_t len = 0;
        rc = wr_ledger_entry(wr_ctx_ledger(ctx), (uint64_t)idx, &bytes, &len, &err);
        if (rc == WR_ENOTFOUND) {
            rc = WR_OK;
            break;
        }
        if (rc)
            goto done;
        json_t *entry = json_loadb(bytes, len, 0, NULL);
        free(bytes);
        const char *kind = json_string_value(json_object_get(entry, "kind"));
        if (!kind || !events_match(h->events, kind)) {
            json_decref(entry);
            h->cursor = idx;
            continue;
        }
        char *body = payload(ctx, idx, entry);
        json_decref(entry);
        char msg_id[96];
        snprintf(msg_id, sizeof msg_id, "%s.%lld", h->id, (long long)idx);
        rc = !body ? wr_fail(&err, WR_ENOMEM, "out of memory")
             : strlen(body) > WR_WEBHOOK_MAX_PAYLOAD
                 ? wr_fail(&err, WR_ELIMIT, "entry %lld: payload over %u bytes", (long long)idx,
                           WR_WEBHOOK_MAX_PAYLOAD)
                 : post(http, h->url, msg_id, secret, body, strlen(body), &err);
        free(body);
        if (rc)
            goto done;
        h->cursor = idx;
        h->failures = 0;
        delivered++;
    }
done:
    secret_free(secret);
    if (rc)
        h->failures++;
    save(ctx, h, delivered, rc ? err.msg : NULL);
    *ok += (size_t)delivered;
    *failed += rc != WR_OK;
    json_t *r = json_pack("{s:s,s:i}", "id", h->id, "delivered", delivered);
    if (rc)
        json_object_set_new(r, "error", json_string(err.msg));
    json_array_append_new(rep, r);
}

static json_t *hook_row(wr_stmt *st, void *arg)
{
    (void)arg;
    return json_pack("{s:s,s:s,s:s,s:s?,s:I,s:I}", "id", wr_stmt_text(st, 0), "url", wr_stmt_text(st, 1), "events",
                     wr_stmt_text(st, 2), "secret_file", wr_stmt_text(st, 3), "cursor",
                     (json_int_t)wr_stmt_int(st, 4), "failures", (json_int_t)wr_stmt_int(st, 5));
}

/* Takes <data>/run/webhook-<id>.lock without waiting; -1 if busy. */
static int hook_lock(wr_ctx *ctx, const char *id)
{
    char dir[4300], name[96];
    snprintf(dir, sizeof dir, "%s/run", wr_ctx_dir(ctx));
    snprintf(name, sizeof name, "webhook-%s.lock", id);
    int fd = -1;
    wr_err ignored = {0};
    return wr_lock_try(dir, name, &fd, &ignored) == WR_OK ? fd : -1;
}

int wr_webhook_deliver(wr_ctx *ctx, json_t **report, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(wr_ctx_store(ctx),
                             "SELECT id, url, events, secret_file, cursor, failures FROM webhooks "
                             "WHERE disabled_at IS NULL AND next_attempt_at <= ? ORDER BY created_at, id",
                             &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_int(st, 1, wr_now());
    json_t *due = NULL;
    if ((rc = wr_stmt_collect(st, hook_row, NULL, 0, &due, err)))
        return rc;
    /* one session for the run: a batch of entries to one endpoint reuses
     * its connection */
    wr_http_session *http = NULL;
    if (json_array_size(due) && (rc = wr_http_session_new(&http, err))) {
        json_decref(due);
        return rc;
    }
    json_t *list = json_array();
    size_t ok = 0, failed = 0, i;
    json_t *v;
    json_array_foreach(due, i, v) {
        hook h = {.url = json_string_value(json_object_get(v, "url")),
                  .events = json_string_value(json_object_get(v, "events")),
                  .secret_file = json_string_value(json_object_get(v, "secret_file")),
                  .cursor = json_integer_value(json_object_get(v, "cursor")),
                  .failures = (int)json_integer_value(json_object_get(v, "failures"))};
        snprintf(h.id, sizeof h.id, "%s", json_string_value(json_object_get(v, "id")));
        int fd = hook_lock(ctx, h.id);
        if (fd < 0) {
            json_array_append_new(list, json_pack("{s:s,s:i,s:s}", "id", h.id, "delivered", 0, "skipped",
                                                  "another deliverer holds it"));
            continue;
        }
        deliver_one(ctx, http, &h, list, &ok, &failed);
        close(fd);
    }
    wr_http_session_free(http);
    json_decref(due);
    if (report)
        *report = json_pack("{s:I,s:I,s:o}", "delivered", (json_int_t)ok, "failed", (json_int_t)failed, "webhooks",
                            list);
    else
        json_decref(list);
    return WR_OK;
}
