/*
 * test_server_tokens.c — bearer tokens: who may mint for whom (self,
 * copilot by its human only, agent/service by its owner only), the token
 * format, verification (unknown, wrong secret, malformed, expired,
 * revoked, inactive principal), revocation rights, listing without
 * secrets, and that only a hash is stored.
 */
#include "check.h"
#include "warrant.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static wr_ctx *org(void)
{
    const char *dir = test_tmpdir("srvtok");
    wr_err err = {0};
    wr_ctx *ctx = NULL;
    CHECK_OK(wr_ctx_init(dir, NULL, &err));
    CHECK_OK(wr_ctx_open(dir, 0, &ctx, &err));
    const char *specs[] = {
        "{\"id\":\"hank\",\"kind\":\"human\"}", "{\"id\":\"olivia\",\"kind\":\"human\"}",
        "{\"id\":\"cop\",\"kind\":\"copilot\",\"on_behalf_of\":\"hank\"}",
        "{\"id\":\"bot\",\"kind\":\"agent\",\"owner\":\"olivia\"}",
        "{\"id\":\"svc\",\"kind\":\"service\",\"owner\":\"hank\"}"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        json_t *spec = json_loads(specs[i], 0, NULL), *out = NULL;
        wr_actor a = {"hank", "cli"};
        CHECK_OK(wr_principal_add(ctx, i ? &a : NULL, spec, &out, &err));
        json_decref(spec);
        json_decref(out);
    }
    return ctx;
}

static char *mint(wr_ctx *ctx, const char *creator, const char *principal, int expect)
{
    char *tok = NULL;
    json_t *info = NULL;
    wr_err err = {0};
    int rc = wr_token_create(ctx, creator, principal, 0, "t", &tok, &info, &err);
    CHECK_EQ_INT(rc, expect);
    json_decref(info);
    return tok;
}

TEST(delegation)
{
    wr_ctx *ctx = org();
    free(mint(ctx, "hank", NULL, WR_OK));
    free(mint(ctx, "hank", "cop", WR_OK));
    free(mint(ctx, "olivia", "bot", WR_OK));
    free(mint(ctx, "hank", "svc", WR_OK));
    CHECK(mint(ctx, "olivia", "cop", WR_EDENIED) == NULL);   /* not the copilot's human */
    CHECK(mint(ctx, "hank", "bot", WR_EDENIED) == NULL);     /* not the agent's owner */
    CHECK(mint(ctx, "hank", "olivia", WR_EDENIED) == NULL);  /* another human */
    CHECK(mint(ctx, "cop", NULL, WR_EDENIED) == NULL);       /* AI never mints */
    CHECK(mint(ctx, "bot", "bot", WR_EDENIED) == NULL);
    CHECK(mint(ctx, "nobody", NULL, WR_ENOTFOUND) == NULL);
    CHECK(mint(ctx, "hank", "nobody", WR_ENOTFOUND) == NULL);
    char *tok = NULL;
    json_t *info = NULL;
    wr_err err = {0};
    CHECK_EQ_INT(wr_token_create(ctx, "hank", NULL, 10, NULL, &tok, &info, &err), WR_EINVAL);   /* ttl too short */
    CHECK_EQ_INT(wr_token_create(ctx, "hank", NULL, WR_TOKEN_MAX_TTL + 1, NULL, &tok, &info, &err), WR_EINVAL);
    wr_ctx_close(ctx);
}

TEST(verify)
{
    wr_ctx *ctx = org();
    wr_store *s = wr_ctx_store(ctx);
    char *tok = mint(ctx, "hank", "cop", WR_OK);
    CHECK(tok && strlen(strchr(tok, '.') + 1) == 64);
    wr_token_info who;
    wr_err err = {0};
    CHECK_OK(wr_token_verify(s, tok, &who, &err));
    CHECK_EQ_STR(who.principal, "cop");
    CHECK_EQ_STR(who.on_behalf_of, "hank");
    /* a different secret under the same id */
    char *bad = strdup(tok);
    char *last = bad + strlen(bad) - 1;
    *last = *last == '0' ? '1' : '0';
    CHECK_EQ_INT(wr_token_verify(s, bad, &who, &err), WR_EDENIED);
    CHECK(strstr(err.msg, "unknown") != NULL);
    const char *malformed[] = {"", "abc", ".", "tok_x.", "tok_x.zz", "tok_x.0123"};
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        CHECK_EQ_INT(wr_token_verify(s, malformed[i], &who, &err), WR_EDENIED);
    bad[0] = 'x';   /* unknown id */
    CHECK_EQ_INT(wr_token_verify(s, bad, &who, &err), WR_EDENIED);
    free(bad);
    /* only the hash is stored */
    wr_stmt *st;
    CHECK_OK(wr_stmt_prepare(s, "SELECT count(*) FROM server_tokens WHERE instr(hash, ?) > 0 OR instr(hex(hash), upper(?)) > 0",
                             &st, &err));
    wr_stmt_bind_text(st, 1, strchr(tok, '.') + 1);
    wr_stmt_bind_text(st, 2, strchr(tok, '.') + 1);
    CHECK_EQ_INT(wr_stmt_step(st, &err), 1);
    CHECK_EQ_INT(wr_stmt_int(st, 0), 0);
    wr_stmt_done(st);
    /* expiry: move the clock */
    setenv("WARRANT_NOW", "2100-01-01T00:00:00Z", 1);
    CHECK_EQ_INT(wr_token_verify(s, tok, &who, &err), WR_EDENIED);
    CHECK(strstr(err.msg, "expired") != NULL);
    unsetenv("WARRANT_NOW");
    /* revocation: by a stranger no, by its creator yes, twice no */
    char id[64];
    snprintf(id, sizeof id, "%.*s", (int)(strchr(tok, '.') - tok), tok);
    CHECK_EQ_INT(wr_token_revoke(ctx, "olivia", id, &err), WR_EDENIED);
    CHECK_OK(wr_token_revoke(ctx, "hank", id, &err));
    CHECK_EQ_INT(wr_token_revoke(ctx, "hank", id, &err), WR_ESTATE);
    CHECK_EQ_INT(wr_token_revoke(ctx, NULL, "tok_nope", &err), WR_ENOTFOUND);
    CHECK_EQ_INT(wr_token_verify(s, tok, &who, &err), WR_EDENIED);
    CHECK(strstr(err.msg, "revoked") != NULL);
    /* listing: no secrets, states */
    json_t *list = NULL;
    CHECK_OK(wr_token_list(ctx, "hank", &list, &err));
    CHECK_EQ_INT(json_array_size(list), 1);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(list, 0), "state")), "revoked");
    CHECK(!json_object_get(json_array_get(list, 0), "hash") && !json_object_get(json_array_get(list, 0), "token"));
    json_decref(list);
    CHECK_OK(wr_token_list(ctx, "olivia", &list, &err));
    CHECK_EQ_INT(json_array_size(list), 0);
    json_decref(list);
    free(tok);
    wr_ctx_close(ctx);
}

static json_t *listed(wr_ctx *ctx, const char *field)
{
    json_t *list = NULL;
    wr_err err = {0};
    CHECK_OK(wr_token_list(ctx, "hank", &list, &err));
    CHECK_EQ_INT(json_array_size(list), 1);
    json_t *v = json_incref(json_object_get(json_array_get(list, 0), field));
    json_decref(list);
    return v;
}

/* last_used_at: null until first use, stamped by verify, refreshed only
 * after WR_TOKEN_USE_STAMP seconds, never by a failed verification. */
TEST(last_used)
{
    wr_ctx *ctx = org();
    wr_store *s = wr_ctx_store(ctx);
    time_t t0 = time(NULL);
    test_set_clock(t0);
    char *tok = mint(ctx, "hank", NULL, WR_OK);
    json_t *v = listed(ctx, "last_used_at");
    CHECK(json_is_null(v));
    json_decref(v);
    char *bad = strdup(tok);
    bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
    wr_token_info who;
    wr_err err = {0};
    CHECK_EQ_INT(wr_token_verify(s, bad, &who, &err), WR_EDENIED);
    v = listed(ctx, "last_used_at");
    CHECK(json_is_null(v));   /* a wrong secret is not a use */
    json_decref(v);
    test_set_clock(t0 + 5);
    CHECK_OK(wr_token_verify(s, tok, &who, &err));
    json_t *first = listed(ctx, "last_used_at");
    CHECK(json_is_string(first));
    test_set_clock(t0 + 5 + WR_TOKEN_USE_STAMP - 1);   /* within the granularity: unchanged */
    CHECK_OK(wr_token_verify(s, tok, &who, &err));
    v = listed(ctx, "last_used_at");
    CHECK(json_equal(v, first));
    json_decref(v);
    test_set_clock(t0 + 5 + WR_TOKEN_USE_STAMP);   /* due: refreshed */
    CHECK_OK(wr_token_verify(s, tok, &who, &err));
    v = listed(ctx, "last_used_at");
    CHECK(json_is_string(v) && !json_equal(v, first));
    json_decref(v);
    json_decref(first);
    unsetenv("WARRANT_NOW");
    free(bad);
    free(tok);
    wr_ctx_close(ctx);
}

RUN_TESTS(T(delegation), T(verify), T(last_used))
