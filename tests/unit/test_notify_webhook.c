/*
 * test_notify_webhook.c — webhooks against a real HTTP receiver on a
 * loopback socket (libmicrohttpd in this process): log order, the event
 * filter, Standard Webhooks headers and an HMAC checked independently with
 * libsodium, retries with backoff keeping the same webhook-id, disabling
 * after WR_WEBHOOK_MAX_FAILURES and resuming, an unreachable endpoint, the
 * per-webhook lock, bad input at add, and that no secret reaches the store.
 */
#define _DEFAULT_SOURCE
#include "check.h"
#include "warrant.h"
#include "warrant/notify.h"

#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* ---- the receiver ---------------------------------------------------------- */
#define MAX_SEEN 64
typedef struct seen {
    char id[128], ts[32], sig[128];
    char *body;
} seen;
static seen got[MAX_SEEN];
static int ngot, answer = 200;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct upload {
    char buf[1 << 16];
    size_t len;
} upload;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *data, size_t *size, void **state)
{
    (void)cls, (void)url, (void)method, (void)version;
    upload *u = *state;
    if (!u) {
        *state = calloc(1, sizeof *u);
        return MHD_YES;
    }
    if (*size) {
        size_t n = *size < sizeof u->buf - 1 - u->len ? *size : sizeof u->buf - 1 - u->len;
        memcpy(u->buf + u->len, data, n);
        u->len += n;
        *size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&lock);
    int status = answer;
    if (ngot < MAX_SEEN && status == 200) {
        seen *s = &got[ngot++];
        const char *h;
        snprintf(s->id, sizeof s->id, "%s", (h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "webhook-id")) ? h : "");
        snprintf(s->ts, sizeof s->ts, "%s",
                 (h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "webhook-timestamp")) ? h : "");
        snprintf(s->sig, sizeof s->sig, "%s",
                 (h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "webhook-signature")) ? h : "");
        s->body = strndup(u->buf, u->len);
    }
    pthread_mutex_unlock(&lock);
    struct MHD_Response *r = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode t)
{
    (void)cls, (void)c, (void)t;
    free(*state);
    *state = NULL;
}

static struct MHD_Daemon *receiver(int *port)
{
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                                            on_request, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
                                            MHD_OPTION_END);
    CHECK(d != NULL);
    *port = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port : 0;
    return d;
}

static void forget(void)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < ngot; i++)
        free(got[i].body);
    ngot = 0;
    pthread_mutex_unlock(&lock);
}

/* ---- fixtures ---------------------------------------------------------------- */
static void append(wr_ctx *ctx, const char *json)
{
    wr_err err = {0};
    json_t *e = json_loads(json, 0, NULL);
    uint64_t idx;
    CHECK_OK(wr_store_begin(wr_ctx_store(ctx), &err));
    CHECK_OK(wr_ledger_append(wr_ctx_ledger(ctx), e, &idx, &err));
    CHECK_OK(wr_store_commit(wr_ctx_store(ctx), &err));
    json_decref(e);
}

static json_t *the_hook(wr_ctx *ctx)
{
    json_t *list = NULL;
    wr_err err = {0};
    CHECK_OK(wr_webhook_list(ctx, &list, &err));
    CHECK_EQ_INT(json_array_size(list), 1);
    json_t *h = json_incref(json_array_get(list, 0));
    json_decref(list);
    return h;
}

static json_int_t field(wr_ctx *ctx, const char *k)
{
    json_t *h = the_hook(ctx);
    json_int_t v = json_integer_value(json_object_get(h, k));
    json_decref(h);
    return v;
}

static json_int_t deliver(wr_ctx *ctx, json_int_t *failed)
{
    json_t *rep = NULL;
    wr_err err = {0};
    CHECK_OK(wr_webhook_deliver(ctx, &rep, &err));
    json_int_t n = json_integer_value(json_object_get(rep, "delivered"));
    if (failed)
        *failed = json_integer_value(json_object_get(rep, "failed"));
    json_decref(rep);
    return n;
}

static wr_ctx *open_dir(const char *tag)
{
    const char *dir = test_tmpdir(tag);
    wr_err err = {0};
    wr_ctx *ctx = NULL;
    CHECK_OK(wr_ctx_init(dir, NULL, &err));
    CHECK_OK(wr_ctx_open(dir, 0, &ctx, &err));
    return ctx;
}

/* The Standard Webhooks signature, recomputed here without Warrant's code. */
static int signature_ok(const char *secret, const seen *s)
{
    uint8_t key[64], mac[crypto_auth_hmacsha256_BYTES];
    size_t klen = 0;
    if (sodium_base642bin(key, sizeof key, secret + 6, strlen(secret + 6), NULL, &klen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return 0;
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, klen);
    char head[200];
    int n = snprintf(head, sizeof head, "%s.%s.", s->id, s->ts);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)head, (size_t)n);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)s->body, strlen(s->body));
    crypto_auth_hmacsha256_final(&st, mac);
    char b64[64];
    sodium_bin2base64(b64, sizeof b64, mac, sizeof mac, sodium_base64_VARIANT_ORIGINAL);
    return strncmp(s->sig, "v1,", 3) == 0 && strcmp(s->sig + 3, b64) == 0;
}

/* ---- tests ------------------------------------------------------------------------ */
TEST(bad_input)
{
    wr_ctx *ctx = open_dir("whbad");
    wr_err err = {0};
    json_t *out = NULL;
    const char *urls[] = {"ftp://x", "http://", "http://a b", "example.org/hook", ""};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        CHECK_EQ_INT(wr_webhook_add(ctx, NULL, urls[i], NULL, NULL, &out, &err), WR_EINVAL);
        CHECK(strstr(err.msg, "webhook url") != NULL);
    }
    const char *evs[] = {"", ",", "change.*,", "Change", "*.x", "change.**", "a b"};
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        CHECK_EQ_INT(wr_webhook_add(ctx, NULL, "http://127.0.0.1:1/h", evs[i], NULL, &out, &err), WR_EINVAL);
    char path[512];
    snprintf(path, sizeof path, "%s/none", test_tmpdir("whbad2"));
    CHECK(wr_webhook_add(ctx, NULL, "http://127.0.0.1:1/h", NULL, path, &out, &err) != WR_OK);
    CHECK(strstr(err.msg, "webhook secret file") != NULL);
    snprintf(path, sizeof path, "%s/plain", test_tmpdir("whbad3"));
    FILE *f = fopen(path, "w");
    fputs("hunter2\n", f);
    fclose(f);
    CHECK_EQ_INT(wr_webhook_add(ctx, NULL, "http://127.0.0.1:1/h", NULL, path, &out, &err), WR_EINVAL);
    CHECK(strstr(err.msg, "whsec_") != NULL);
    f = fopen(path, "w");
    fputs("whsec_c2hvcnQ=\n", f);   /* "short": under 16 bytes */
    fclose(f);
    CHECK_EQ_INT(wr_webhook_add(ctx, NULL, "http://127.0.0.1:1/h", NULL, path, &out, &err), WR_EINVAL);
    CHECK_EQ_INT(wr_webhook_remove(ctx, "whk_nope", &err), WR_ENOTFOUND);
    CHECK_EQ_INT(wr_webhook_enable(ctx, "whk_nope", &err), WR_ENOTFOUND);
    json_t *list = NULL;
    CHECK_OK(wr_webhook_list(ctx, &list, &err));
    CHECK_EQ_INT(json_array_size(list), 0);   /* nothing half-added */
    json_decref(list);
    wr_ctx_close(ctx);
}

TEST(delivery)
{
    int port = 0;
    struct MHD_Daemon *d = receiver(&port);
    wr_ctx *ctx = open_dir("whdel");
    wr_err err = {0};
    append(ctx, "{\"kind\":\"change.proposed\",\"n\":0}");   /* before the webhook: never sent */
    char secret_path[512], url[128];
    snprintf(secret_path, sizeof secret_path, "%s/hook.secret", test_tmpdir("whdel2"));
    char *secret = NULL;
    CHECK_OK(wr_webhook_secret_new(&secret, &err));
    FILE *f = fopen(secret_path, "w");
    fprintf(f, "%s\n", secret);
    fclose(f);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", port);
    json_t *h = NULL;
    CHECK_OK(wr_webhook_add(ctx, "alice", url, "change.*,mandate.created", secret_path, &h, &err));
    CHECK_EQ_STR(json_string_value(json_object_get(h, "state")), "active");
    CHECK(json_is_true(json_object_get(h, "signed")));
    char id[64];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(h, "id")));
    json_decref(h);
    CHECK_EQ_INT(deliver(ctx, NULL), 0);
    append(ctx, "{\"kind\":\"change.proposed\",\"n\":1}");
    append(ctx, "{\"kind\":\"sync.drift\",\"n\":2}");     /* filtered out */
    append(ctx, "{\"kind\":\"mandate.created\",\"n\":3}");
    append(ctx, "{\"kind\":\"change.approved\",\"n\":4}");
    CHECK_EQ_INT(field(ctx, "pending"), 4);
    CHECK_EQ_INT(deliver(ctx, NULL), 3);
    CHECK_EQ_INT(ngot, 3);
    static const char *const kinds[] = {"change.proposed", "mandate.created", "change.approved"};
    static const int idx[] = {1, 3, 4};
    for (int i = 0; i < 3 && i < ngot; i++) {
        char want[96];
        snprintf(want, sizeof want, "%s.%d", id, idx[i]);
        CHECK_EQ_STR(got[i].id, want);
        json_t *p = json_loads(got[i].body, 0, NULL);
        CHECK_EQ_STR(json_string_value(json_object_get(p, "type")), kinds[i]);
        CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(p, "data"), "log_index")), idx[i]);
        CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(json_object_get(p, "data"), "entry"), "n")),
                     idx[i]);
        json_decref(p);
        CHECK(signature_ok(secret, &got[i]));
        char *again = NULL;
        CHECK_OK(wr_webhook_sign(secret, got[i].id, atoll(got[i].ts), got[i].body, strlen(got[i].body), &again,
                                 &err));
        CHECK_EQ_STR(again, got[i].sig);
        free(again);
    }
    CHECK_EQ_INT(field(ctx, "pending"), 0);
    CHECK_EQ_INT(field(ctx, "delivered"), 3);
    CHECK_EQ_INT(deliver(ctx, NULL), 0);   /* nothing twice */
    /* the secret itself is nowhere in the store */
    wr_stmt *st;
    CHECK_OK(wr_stmt_prepare(wr_ctx_store(ctx), "SELECT count(*) FROM webhooks WHERE secret_file LIKE '%' || ? || '%'",
                             &st, &err));
    wr_stmt_bind_text(st, 1, secret + 6);
    CHECK_EQ_INT(wr_stmt_step(st, &err), 1);
    CHECK_EQ_INT(wr_stmt_int(st, 0), 0);
    wr_stmt_done(st);

    /* failure: 500 -> not advanced, retried later with the same webhook-id */
    forget();
    time_t t0 = time(NULL);
    test_set_clock(t0);
    append(ctx, "{\"kind\":\"change.executed\",\"n\":5}");
    answer = 500;
    json_int_t failed = 0;
    CHECK_EQ_INT(deliver(ctx, &failed), 0);
    CHECK_EQ_INT(failed, 1);
    h = the_hook(ctx);
    CHECK_EQ_INT(json_integer_value(json_object_get(h, "failures")), 1);
    CHECK_EQ_INT(json_integer_value(json_object_get(h, "pending")), 1);
    CHECK_EQ_STR(json_string_value(json_object_get(h, "last_error")), "HTTP 500");
    CHECK(json_is_string(json_object_get(h, "next_attempt_at")));
    json_decref(h);
    answer = 200;
    CHECK_EQ_INT(deliver(ctx, &failed), 0);   /* not due yet: backoff */
    CHECK_EQ_INT(failed, 0);
    test_set_clock(t0 + 3);
    CHECK_EQ_INT(deliver(ctx, NULL), 1);
    char want[96];
    snprintf(want, sizeof want, "%s.5", id);
    CHECK(ngot == 1 && strcmp(got[0].id, want) == 0);
    CHECK_EQ_INT(field(ctx, "failures"), 0);

    /* disabled after WR_WEBHOOK_MAX_FAILURES in a row, resumes when enabled */
    forget();
    append(ctx, "{\"kind\":\"change.closed\",\"n\":6}");
    CHECK_OK(wr_stmt_prepare(wr_ctx_store(ctx), "UPDATE webhooks SET failures=?", &st, &err));
    wr_stmt_bind_int(st, 1, WR_WEBHOOK_MAX_FAILURES - 1);
    CHECK_EQ_INT(wr_stmt_step(st, &err), 0);
    wr_stmt_done(st);
    answer = 503;
    CHECK_EQ_INT(deliver(ctx, &failed), 0);
    CHECK_EQ_INT(failed, 1);
    h = the_hook(ctx);
    CHECK_EQ_STR(json_string_value(json_object_get(h, "state")), "disabled");
    json_decref(h);
    answer = 200;
    test_set_clock(t0 + 100000);
    CHECK_EQ_INT(deliver(ctx, NULL), 0);   /* disabled: nothing */
    CHECK_OK(wr_webhook_enable(ctx, id, &err));
    CHECK_EQ_INT(deliver(ctx, NULL), 1);
    snprintf(want, sizeof want, "%s.6", id);
    CHECK(ngot == 1 && strcmp(got[0].id, want) == 0);

    /* another deliverer holds the webhook: skipped, not sent twice */
    forget();
    append(ctx, "{\"kind\":\"change.closed\",\"n\":7}");
    char lockpath[4400];
    snprintf(lockpath, sizeof lockpath, "%s/run/webhook-%s.lock", wr_ctx_dir(ctx), id);
    int fd = open(lockpath, O_RDWR | O_CREAT, 0600);
    CHECK(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0);
    CHECK_EQ_INT(deliver(ctx, NULL), 0);
    CHECK_EQ_INT(ngot, 0);
    close(fd);
    CHECK_EQ_INT(deliver(ctx, NULL), 1);

    CHECK_OK(wr_webhook_remove(ctx, id, &err));
    json_t *list = NULL;
    CHECK_OK(wr_webhook_list(ctx, &list, &err));
    CHECK_EQ_INT(json_array_size(list), 0);
    json_decref(list);
    unsetenv("WARRANT_NOW");
    forget();
    wr_wipe(secret, strlen(secret));
    free(secret);
    wr_ctx_close(ctx);
    MHD_stop_daemon(d);
}

TEST(unreachable)
{
    int port = 0;
    struct MHD_Daemon *d = receiver(&port);
    MHD_stop_daemon(d);   /* the port is now closed */
    wr_ctx *ctx = open_dir("whdead");
    wr_err err = {0};
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", port);
    json_t *h = NULL;
    CHECK_OK(wr_webhook_add(ctx, NULL, url, NULL, NULL, &h, &err));
    CHECK(!json_is_true(json_object_get(h, "signed")));
    json_decref(h);
    append(ctx, "{\"kind\":\"change.proposed\"}");
    json_int_t failed = 0;
    CHECK_EQ_INT(deliver(ctx, &failed), 0);
    CHECK_EQ_INT(failed, 1);
    h = the_hook(ctx);
    CHECK(strstr(json_string_value(json_object_get(h, "last_error")), "onnect") != NULL);
    CHECK_EQ_INT(json_integer_value(json_object_get(h, "pending")), 1);
    json_decref(h);
    wr_ctx_close(ctx);
}

RUN_TESTS(T(bad_input), T(delivery), T(unreachable))
