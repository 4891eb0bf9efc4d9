/*
 * tokens.c — bearer tokens for the HTTP server.
 *
 * A token is "<id>.<secret>": id is a public, time-ordered row key
 * ("tok_..."), secret is 32 random bytes in hex.  The row (server_tokens)
 * stores BLAKE2b-256(secret) only; verification looks the row up by id and
 * compares hashes with sodium_memcmp (constant time), so neither a database
 * copy nor timing reveals a usable token.  The secret leaves this module
 * once, to the minting human, and is wiped here.
 *
 * Who may mint for whom mirrors accountability: a human for themself, for a
 * copilot acting on their behalf (the row records on_behalf_of, so the
 * token carries both identities), and for the agents and services they own.
 */
#include "server_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define SECRET_LEN 32

static void hash_secret(const uint8_t *secret, size_t len, uint8_t out[32])
{
    crypto_generichash(out, 32, secret, len, NULL, 0);
}

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Checks that creator may mint a token for target; fills on_behalf_of. */
static int may_mint(wr_ctx *ctx, const char *creator, const char *target, char *obo, size_t obolen,
                    wr_err *err)
{
    json_t *c = NULL, *t = NULL;
    int rc = wr_principal_get(ctx, creator, &c, err);
    if (rc)
        return rc;
    if (strcmp(jstr(c, "kind"), "human") != 0 || strcmp(jstr(c, "status"), "active") != 0) {
        rc = wr_fail(err, WR_EDENIED, "token: '%s' is a %s%s: only an active human mints tokens", creator,
                     jstr(c, "kind"), strcmp(jstr(c, "status"), "active") ? " that is not active" : "");
        goto out;
    }
    if (strcmp(creator, target) == 0)
        goto out;
    if ((rc = wr_principal_get(ctx, target, &t, err)))
        goto out;
    const char *kind = jstr(t, "kind");
    if (strcmp(kind, "copilot") == 0) {
        if (!jstr(t, "on_behalf_of") || strcmp(jstr(t, "on_behalf_of"), creator) != 0)
            rc = wr_fail(err, WR_EDENIED, "token: copilot '%s' acts for '%s'; only that human mints its tokens",
                         target, jstr(t, "on_behalf_of") ? jstr(t, "on_behalf_of") : "?");
        else
            snprintf(obo, obolen, "%s", creator);
    } else if (strcmp(kind, "agent") == 0 || strcmp(kind, "service") == 0) {
        if (!jstr(t, "owner") || strcmp(jstr(t, "owner"), creator) != 0)
            rc = wr_fail(err, WR_EDENIED, "token: %s '%s' is owned by '%s'; only its owner mints its tokens",
                         kind, target, jstr(t, "owner") ? jstr(t, "owner") : "?");
    } else {
        rc = wr_fail(err, WR_EDENIED, "token: '%s' may not mint a token for human '%s'", creator, target);
    }
    if (rc == WR_OK && strcmp(jstr(t, "status"), "active") != 0)
        rc = wr_fail(err, WR_EDENIED, "token: principal '%s' is not active", target);
out:
    json_decref(c);
    json_decref(t);
    return rc;
}

static json_t *ts(int64_t t)
{
    char b[21];
    wr_time_format(t, b);
    return json_string(b);
}

int wr_token_create(wr_ctx *ctx, const char *creator, const char *principal, int64_t ttl,
                    const char *name, char **token, json_t **info, wr_err *err)
{
    if (!creator || !*creator)
        return wr_fail(err, WR_EINVAL, "token: say which human mints it (--as HUMAN)");
    if (!principal)
        principal = creator;
    if (ttl == 0)
        ttl = WR_TOKEN_DEFAULT_TTL;
    if (ttl < 60 || ttl > WR_TOKEN_MAX_TTL)
        return wr_fail(err, WR_EINVAL, "token: ttl must be between 60 s and %lld s",
                       (long long)WR_TOKEN_MAX_TTL);
    if (!name)
        name = "";
    if (strlen(name) > WR_TOKEN_MAX_NAME)
        return wr_fail(err, WR_EINVAL, "token: name longer than %d bytes", WR_TOKEN_MAX_NAME);
    if (sodium_init() < 0)
        return wr_fail(err, WR_EINTERNAL, "libsodium failed to initialise");
    char obo[128] = "";
    int rc = may_mint(ctx, creator, principal, obo, sizeof obo, err);
    if (rc)
        return rc;

    char id[64];
    wr_id_new("tok", id, sizeof id);
    uint8_t secret[SECRET_LEN], hash[32];
    randombytes_buf(secret, sizeof secret);
    hash_secret(secret, sizeof secret, hash);
    int64_t now = wr_now();
    wr_store *s = wr_ctx_store(ctx);
    wr_stmt *st;
    if ((rc = wr_stmt_prepare(s, "INSERT INTO server_tokens(id,name,principal,on_behalf_of,created_by,hash,"
                                 "created_at,expires_at) VALUES(?,?,?,?,?,?,?,?)", &st, err)))
        goto out;
    wr_stmt_bind_text(st, 1, id);
    wr_stmt_bind_text(st, 2, name);
    wr_stmt_bind_text(st, 3, principal);
    wr_stmt_bind_text(st, 4, obo[0] ? obo : NULL);
    wr_stmt_bind_text(st, 5, creator);
    wr_stmt_bind_blob(st, 6, hash, 32);
    wr_stmt_bind_int(st, 7, now);
    wr_stmt_bind_int(st, 8, now + ttl);
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    if (rc < 0)
        goto out;
    rc = WR_OK;
    size_t tlen = strlen(id) + 1 + 2 * SECRET_LEN + 1;
    char *t = malloc(tlen);
    if (!t) {
        rc = wr_fail(err, WR_ENOMEM, "out of memory");
        goto out;
    }
    memcpy(t, id, strlen(id));
    t[strlen(id)] = '.';
    wr_hex_encode(secret, SECRET_LEN, t + strlen(id) + 1);
    *token = t;
    *info = json_pack("{s:s,s:s,s:s,s:s?,s:s,s:o,s:o}", "id", id, "name", name, "principal", principal,
                      "on_behalf_of", obo[0] ? obo : NULL, "created_by", creator, "created_at", ts(now),
                      "expires_at", ts(now + ttl));
out:
    wr_wipe(secret, sizeof secret);
    return rc;
}

static json_t *token_row(wr_stmt *st, void *arg)
{
    int64_t now = *(const int64_t *)arg;
    int revoked = !wr_stmt_is_null(st, 7);
    int64_t exp = wr_stmt_int(st, 6);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s?,s:s,s:o,s:o,s:s}", "id", wr_stmt_text(st, 0), "name",
                          wr_stmt_text(st, 1), "principal", wr_stmt_text(st, 2), "on_behalf_of",
                          wr_stmt_text(st, 3), "created_by", wr_stmt_text(st, 4), "created_at",
                          ts(wr_stmt_int(st, 5)), "expires_at", ts(exp), "state",
                          revoked ? "revoked" : exp <= now ? "expired" : "active");
    if (revoked)
        json_object_set_new(o, "revoked_at", ts(wr_stmt_int(st, 7)));
    json_object_set_new(o, "last_used_at", wr_stmt_is_null(st, 8) ? json_null() : ts(wr_stmt_int(st, 8)));
    return o;
}

int wr_token_list(wr_ctx *ctx, const char *who, json_t **out, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(wr_ctx_store(ctx),
                             "SELECT id,name,principal,on_behalf_of,created_by,created_at,expires_at,revoked_at,"
                             "last_used_at "
                             "FROM server_tokens WHERE ?1 IS NULL OR principal=?1 OR created_by=?1 "
                             "ORDER BY created_at DESC, id DESC", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, who);
    int64_t now = wr_now();
    return wr_stmt_collect(st, token_row, &now, 0, out, err);
}

int wr_token_revoke(wr_ctx *ctx, const char *who, const char *id, wr_err *err)
{
    wr_store *s = wr_ctx_store(ctx);
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "SELECT principal, created_by, revoked_at FROM server_tokens WHERE id=?", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, id);
    rc = wr_stmt_step(st, err);
    if (rc == 0)
        rc = wr_fail(err, WR_ENOTFOUND, "token '%s' not found", id);
    else if (rc == 1 && who && strcmp(who, wr_stmt_text(st, 0)) != 0 && strcmp(who, wr_stmt_text(st, 1)) != 0)
        rc = wr_fail(err, WR_EDENIED, "token '%s': only its creator or its principal may revoke it", id);
    else if (rc == 1 && !wr_stmt_is_null(st, 2))
        rc = wr_fail(err, WR_ESTATE, "token '%s' is already revoked", id);
    wr_stmt_done(st);
    if (rc != 1)
        return rc;
    if ((rc = wr_stmt_prepare(s, "UPDATE server_tokens SET revoked_at=? WHERE id=? AND revoked_at IS NULL", &st,
                              err)))
        return rc;
    wr_stmt_bind_int(st, 1, wr_now());
    wr_stmt_bind_text(st, 2, id);
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

/* Records that token id was just used.  Best effort by design: the stamp
 * is advisory (which tokens are alive), so a store busy with a writer, or
 * read-only, must not turn a valid request away; the error is dropped. */
static void stamp_use(wr_store *s, const char *id)
{
    wr_err ignored = {0};
    wr_stmt *st;
    if (wr_stmt_prepare(s, "UPDATE server_tokens SET last_used_at=?1 WHERE id=?2", &st, &ignored) != WR_OK)
        return;
    wr_stmt_bind_int(st, 1, wr_now());
    wr_stmt_bind_text(st, 2, id);
    int rc = wr_stmt_step(st, &ignored);
    wr_stmt_done(st);
    (void)rc;
}

int wr_token_verify(wr_store *s, const char *token, wr_token_info *out, wr_err *err)
{
    const char *dot = token ? strchr(token, '.') : NULL;
    size_t idlen = dot ? (size_t)(dot - token) : 0;
    uint8_t secret[SECRET_LEN], hash[32];
    if (!dot || idlen == 0 || idlen >= sizeof out->id || strlen(dot + 1) != 2 * SECRET_LEN ||
        wr_hex_decode(dot + 1, secret, SECRET_LEN) != WR_OK)
        return wr_fail(err, WR_EDENIED, "malformed bearer token");
    hash_secret(secret, SECRET_LEN, hash);
    wr_wipe(secret, sizeof secret);
    char id[64];
    memcpy(id, token, idlen);
    id[idlen] = '\0';
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "SELECT t.hash, t.principal, t.on_behalf_of, t.expires_at, t.revoked_at, p.status, "
                                "t.last_used_at "
                                "FROM server_tokens t JOIN principals p ON p.id = t.principal WHERE t.id=?",
                             &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, id);
    rc = wr_stmt_step(st, err);
    size_t hl = 0;
    int stale = 0;
    const void *stored = rc == 1 ? wr_stmt_blob(st, 0, &hl) : NULL;
    if (rc == 0 || (rc == 1 && (hl != 32 || sodium_memcmp(stored, hash, 32) != 0)))
        rc = wr_fail(err, WR_EDENIED, "unknown bearer token");
    else if (rc == 1 && !wr_stmt_is_null(st, 4))
        rc = wr_fail(err, WR_EDENIED, "bearer token '%s' has been revoked", id);
    else if (rc == 1 && wr_stmt_int(st, 3) <= wr_now())
        rc = wr_fail(err, WR_EDENIED, "bearer token '%s' has expired", id);
    else if (rc == 1 && strcmp(wr_stmt_text(st, 5), "active") != 0)
        rc = wr_fail(err, WR_EDENIED, "principal of bearer token '%s' is not active", id);
    else if (rc == 1) {
        stale = wr_stmt_is_null(st, 6) || wr_now() - wr_stmt_int(st, 6) >= WR_TOKEN_USE_STAMP;
        snprintf(out->id, sizeof out->id, "%s", id);
        snprintf(out->principal, sizeof out->principal, "%s", wr_stmt_text(st, 1));
        snprintf(out->on_behalf_of, sizeof out->on_behalf_of, "%s",
                 wr_stmt_text(st, 2) ? wr_stmt_text(st, 2) : "");
        rc = WR_OK;
    }
    wr_stmt_done(st);
    if (rc == WR_OK && stale)
        stamp_use(s, id);
    return rc;
}
