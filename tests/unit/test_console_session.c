/*
 * test_console_session.c — the approver console's session and CSRF logic
 * (lib/server/session.c) without HTTP: only humans sign in (copilot, agent
 * and service tokens are refused); the cookie is "<id>.<hex secret>" and
 * only its hash is stored; a wrong secret, a malformed cookie, an ended
 * (logged out) or expired session, and a revoked token are refused; the
 * session never outlives its token; CSRF tokens are per session and
 * compared exactly; Origin checks; cookie header parsing; the embedded
 * console files and their content types.
 */
#include "check.h"
#include "server/console.h"
#include "warrant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static wr_ctx *org(void)
{
    const char *dir = test_tmpdir("consess");
    wr_err err = {0};
    wr_ctx *ctx = NULL;
    CHECK_OK(wr_ctx_init(dir, NULL, &err));
    CHECK_OK(wr_ctx_open(dir, 0, &ctx, &err));
    const char *specs[] = {"{\"id\":\"olivia\",\"kind\":\"human\"}", "{\"id\":\"hank\",\"kind\":\"human\"}",
                           "{\"id\":\"cop\",\"kind\":\"copilot\",\"on_behalf_of\":\"hank\"}",
                           "{\"id\":\"bot\",\"kind\":\"agent\",\"owner\":\"hank\"}",
                           "{\"id\":\"svc\",\"kind\":\"service\",\"owner\":\"hank\"}"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        json_t *spec = json_loads(specs[i], 0, NULL), *out = NULL;
        wr_actor a = {"olivia", "cli"};
        CHECK_OK(wr_principal_add(ctx, i ? &a : NULL, spec, &out, &err));
        json_decref(spec);
        json_decref(out);
    }
    return ctx;
}

/* A verified token of principal, minted by creator with ttl seconds. */
static wr_token_info token(wr_ctx *ctx, const char *creator, const char *principal, int64_t ttl)
{
    char *tok = NULL;
    json_t *info = NULL;
    wr_err err = {0};
    wr_token_info ti;
    memset(&ti, 0, sizeof ti);
    CHECK_OK(wr_token_create(ctx, creator, principal, ttl, "console", &tok, &info, &err));
    CHECK_OK(wr_token_verify(wr_ctx_store(ctx), tok, &ti, &err));
    free(tok);
    json_decref(info);
    return ti;
}

TEST(only_humans_sign_in)
{
    wr_ctx *ctx = org();
    char cookie[SRV_SESSION_VALUE_MAX];
    srv_session s;
    wr_err err = {0};
    wr_token_info olivia = token(ctx, "olivia", NULL, 0);
    CHECK_OK(srv_session_create(ctx, &olivia, 3600, cookie, &s, &err));
    CHECK_EQ_STR(s.who.principal, "olivia");
    CHECK(strncmp(cookie, "ses_", 4) == 0);
    CHECK_EQ_INT((int)strlen(strchr(cookie, '.') + 1), 64);
    CHECK_EQ_INT((int)strlen(s.csrf), 64);
    const char *ai[][2] = {{"hank", "cop"}, {"hank", "bot"}, {"hank", "svc"}};
    for (size_t i = 0; i < 3; i++) {
        wr_token_info t = token(ctx, ai[i][0], ai[i][1], 0);
        memset(&err, 0, sizeof err);
        CHECK_EQ_INT(srv_session_create(ctx, &t, 3600, cookie, &s, &err), WR_EDENIED);
        CHECK(strstr(err.msg, "AI principal") != NULL);
        CHECK(strstr(err.msg, ai[i][1]) != NULL);
    }
    /* the copilot's token carries hank too, but it is still the copilot */
    wr_token_info cop = token(ctx, "hank", "cop", 0);
    CHECK_EQ_STR(cop.on_behalf_of, "hank");
    CHECK_EQ_INT(srv_session_create(ctx, &cop, 3600, cookie, &s, &err), WR_EDENIED);
    wr_ctx_close(ctx);
}

TEST(check_and_logout)
{
    wr_ctx *ctx = org();
    wr_store *st = wr_ctx_store(ctx);
    char cookie[SRV_SESSION_VALUE_MAX], other[SRV_SESSION_VALUE_MAX];
    srv_session s, s2, got;
    wr_err err = {0};
    wr_token_info olivia = token(ctx, "olivia", NULL, 0);
    CHECK_OK(srv_session_create(ctx, &olivia, 3600, cookie, &s, &err));
    CHECK_OK(srv_session_create(ctx, &olivia, 3600, other, &s2, &err));
    CHECK(strcmp(s.csrf, s2.csrf) != 0);            /* per-session CSRF tokens */
    CHECK_OK(srv_session_check(st, cookie, &got, &err));
    CHECK_EQ_STR(got.who.principal, "olivia");
    CHECK_EQ_STR(got.csrf, s.csrf);                 /* recomputed from the cookie */
    CHECK_EQ_STR(got.who.id, olivia.id);

    /* only the hash is stored: the secret is nowhere in the table */
    wr_stmt *q;
    CHECK_OK(wr_stmt_prepare(st, "SELECT count(*) FROM server_sessions WHERE instr(hex(hash), upper(?)) > 0", &q, &err));
    wr_stmt_bind_text(q, 1, strchr(cookie, '.') + 1);
    CHECK_EQ_INT(wr_stmt_step(q, &err), 1);
    CHECK_EQ_INT((int)wr_stmt_int(q, 0), 0);
    wr_stmt_done(q);

    /* a wrong secret, a malformed value, an unknown id */
    char bad[SRV_SESSION_VALUE_MAX];
    snprintf(bad, sizeof bad, "%s", cookie);
    char *last = bad + strlen(bad) - 1;
    *last = *last == '0' ? '1' : '0';
    CHECK_EQ_INT(srv_session_check(st, bad, &got, &err), WR_EDENIED);
    CHECK_EQ_INT(srv_session_check(st, "nonsense", &got, &err), WR_EDENIED);
    CHECK(strstr(err.msg, "malformed") != NULL);
    snprintf(bad, sizeof bad, "ses_nope%s", strchr(cookie, '.'));
    CHECK_EQ_INT(srv_session_check(st, bad, &got, &err), WR_EDENIED);

    /* logout ends that session only */
    CHECK_OK(srv_session_end(st, cookie, &err));
    CHECK_EQ_INT(srv_session_check(st, cookie, &got, &err), WR_EDENIED);
    CHECK(strstr(err.msg, "ended") != NULL);
    CHECK_EQ_INT(srv_session_end(st, cookie, &err), WR_EDENIED);
    CHECK_OK(srv_session_check(st, other, &got, &err));

    /* revoking the token ends its sessions */
    CHECK_OK(wr_token_revoke(ctx, "olivia", olivia.id, &err));
    CHECK_EQ_INT(srv_session_check(st, other, &got, &err), WR_EDENIED);
    CHECK(strstr(err.msg, "revoked") != NULL);
    wr_ctx_close(ctx);
}

TEST(expiry)
{
    wr_ctx *ctx = org();
    wr_store *st = wr_ctx_store(ctx);
    char cookie[SRV_SESSION_VALUE_MAX], capped[SRV_SESSION_VALUE_MAX];
    srv_session s, got;
    wr_err err = {0};
    setenv("WARRANT_NOW", "2030-01-01T00:00:00Z", 1);
    wr_token_info olivia = token(ctx, "olivia", NULL, 0);
    wr_token_info brief = token(ctx, "olivia", NULL, 600);   /* a 10-minute token */
    CHECK_OK(srv_session_create(ctx, &olivia, 60, cookie, &s, &err));
    CHECK_OK(srv_session_create(ctx, &brief, 3600, capped, &got, &err));
    int64_t now = wr_now();
    CHECK(s.expires_at == now + 60);
    CHECK(got.expires_at == now + 600);              /* never beyond its token */
    setenv("WARRANT_NOW", "2030-01-01T00:00:59Z", 1);
    CHECK_OK(srv_session_check(st, cookie, &got, &err));
    setenv("WARRANT_NOW", "2030-01-01T00:01:00Z", 1);
    CHECK_EQ_INT(srv_session_check(st, cookie, &got, &err), WR_EDENIED);
    CHECK(strstr(err.msg, "expired") != NULL);
    CHECK_OK(srv_session_check(st, capped, &got, &err));
    setenv("WARRANT_NOW", "2030-01-01T00:10:00Z", 1);
    CHECK_EQ_INT(srv_session_check(st, capped, &got, &err), WR_EDENIED);
    CHECK_EQ_INT(srv_session_create(ctx, &olivia, 0, cookie, &s, &err), WR_EINVAL);
    unsetenv("WARRANT_NOW");
    wr_ctx_close(ctx);
}

TEST(csrf_and_origin)
{
    srv_session s;
    memset(&s, 0, sizeof s);
    CHECK(!srv_csrf_ok(&s, ""));                     /* no session token: nothing matches */
    memset(s.csrf, 'a', 64);
    s.csrf[64] = '\0';
    char tok[65];
    memcpy(tok, s.csrf, sizeof tok);
    CHECK(srv_csrf_ok(&s, tok));
    tok[63] = 'b';
    CHECK(!srv_csrf_ok(&s, tok));
    CHECK(!srv_csrf_ok(&s, NULL));
    CHECK(!srv_csrf_ok(&s, "aaaa"));
    tok[63] = 'a';
    char longer[80];
    snprintf(longer, sizeof longer, "%sa", tok);
    CHECK(!srv_csrf_ok(&s, longer));

    CHECK(srv_origin_ok(NULL, "127.0.0.1:8080", 0, ""));
    CHECK(srv_origin_ok("http://127.0.0.1:8080", "127.0.0.1:8080", 0, ""));
    CHECK(!srv_origin_ok("https://127.0.0.1:8080", "127.0.0.1:8080", 0, ""));   /* scheme counts */
    CHECK(srv_origin_ok("https://warrant.example", "warrant.example", 1, ""));
    CHECK(!srv_origin_ok("http://evil.example", "127.0.0.1:8080", 0, ""));
    CHECK(!srv_origin_ok("http://127.0.0.1:8080.evil.example", "127.0.0.1:8080", 0, ""));
    CHECK(!srv_origin_ok("null", "127.0.0.1:8080", 0, ""));
    CHECK(!srv_origin_ok("http://127.0.0.1:8080", NULL, 0, ""));
    CHECK(srv_origin_ok("https://console.example", "127.0.0.1:8080", 0, "https://a.example, https://console.example"));
    CHECK(!srv_origin_ok("https://console.example.evil", "x", 0, "https://console.example"));
}

TEST(cookie_header)
{
    char v[SRV_SESSION_VALUE_MAX];
    CHECK_EQ_STR(srv_cookie_find("warrant_session=abc.def", "warrant_session", v, sizeof v), "abc.def");
    CHECK_EQ_STR(srv_cookie_find("a=1; warrant_session=x.y; b=2", "warrant_session", v, sizeof v), "x.y");
    CHECK(srv_cookie_find("xwarrant_session=1", "warrant_session", v, sizeof v) == NULL);
    CHECK(srv_cookie_find("warrant_sessionx=1", "warrant_session", v, sizeof v) == NULL);
    CHECK(srv_cookie_find(NULL, "warrant_session", v, sizeof v) == NULL);
    CHECK(srv_cookie_find("a=1", "warrant_session", v, sizeof v) == NULL);
    char small[4];
    CHECK(srv_cookie_find("warrant_session=abcdef", "warrant_session", small, sizeof small) == NULL);
}

TEST(embedded_files)
{
    const srv_asset *index = srv_asset_find("index.html");
    CHECK(index != NULL);
    CHECK(index && index->len > 100 && strstr((const char *)index->data, "<!doctype html>") != NULL);
    CHECK(index && strlen(index->etag) == 34 && index->etag[0] == '"');
    CHECK(srv_asset_find("app.js") != NULL);
    CHECK(srv_asset_find("style.css") != NULL);
    CHECK(srv_asset_find("../CMakeLists.txt") == NULL);
    CHECK(srv_asset_find("") == NULL);
    CHECK_EQ_STR(srv_asset_type("x/app.js"), "text/javascript; charset=utf-8");
    CHECK_EQ_STR(srv_asset_type("style.css"), "text/css; charset=utf-8");
    CHECK_EQ_STR(srv_asset_type("index.html"), "text/html; charset=utf-8");
    CHECK_EQ_STR(srv_asset_type("logo.svg"), "image/svg+xml");
    CHECK_EQ_STR(srv_asset_type("noext"), "application/octet-stream");
    /* no inline script anywhere in the page (the CSP forbids it) */
    CHECK(index && strstr((const char *)index->data, "<script>") == NULL);
}

RUN_TESTS(T(only_humans_sign_in), T(check_and_logout), T(expiry), T(csrf_and_origin), T(cookie_header),
          T(embedded_files))
