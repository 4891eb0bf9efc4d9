/*
 * session.c — the console's browser sessions and their CSRF defence (the
 * design is in console.h).
 *
 * A session row (server_sessions, schema step 2) is keyed by a public id
 * and holds BLAKE2b-256 of a 32-byte random secret; the cookie carries
 * "<id>.<hex secret>".  Checking looks the row up by id, compares hashes
 * with sodium_memcmp and, in the same query, re-checks the token the
 * session was opened with and its principal, so revoking a token (or
 * deactivating a person) ends their console sessions at once.
 *
 * The CSRF token is BLAKE2b keyed with the session secret over a fixed
 * label: the server recomputes it from the cookie on every request (no
 * second secret to store), and a page on another origin can neither read
 * it (same-origin policy, no CORS) nor derive it (HttpOnly cookie).
 */
#include "console.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char csrf_label[] = "warrant console csrf v1";

static void csrf_of(const uint8_t secret[SRV_SESSION_SECRET], char out[SRV_CSRF_HEX])
{
    uint8_t mac[32];
    crypto_generichash(mac, sizeof mac, (const uint8_t *)csrf_label, sizeof csrf_label - 1, secret,
                       SRV_SESSION_SECRET);
    wr_hex_encode(mac, sizeof mac, out);
}

/* Splits "<id>.<hex secret>"; 0 on success. */
static int split_cookie(const char *cookie, char id[64], uint8_t secret[SRV_SESSION_SECRET])
{
    const char *dot = cookie ? strchr(cookie, '.') : NULL;
    size_t idlen = dot ? (size_t)(dot - cookie) : 0;
    if (!dot || idlen == 0 || idlen >= 64 || strlen(dot + 1) != 2 * SRV_SESSION_SECRET ||
        wr_hex_decode(dot + 1, secret, SRV_SESSION_SECRET) != WR_OK)
        return -1;
    memcpy(id, cookie, idlen);
    id[idlen] = '\0';
    return 0;
}

int srv_session_create(wr_ctx *ctx, const wr_token_info *tok, int64_t ttl, char cookie[SRV_SESSION_VALUE_MAX],
                       srv_session *out, wr_err *err)
{
    if (sodium_init() < 0)
        return wr_fail(err, WR_EINTERNAL, "libsodium failed to initialise");
    if (ttl < 1)
        return wr_fail(err, WR_EINVAL, "session: ttl must be positive");
    json_t *p = NULL;
    int rc = wr_principal_get(ctx, tok->principal, &p, err);
    if (rc)
        return rc;
    const char *kind = json_string_value(json_object_get(p, "kind"));
    const char *status = json_string_value(json_object_get(p, "status"));
    if (!kind || strcmp(kind, "human") != 0 || tok->on_behalf_of[0]) {
        /* the message is shown on the sign-in page as it is */
        rc = wr_fail(err, WR_EDENIED,
                     "'%s' is a %s, an AI principal: only people sign in to the console (its actions go "
                     "through the API and are approved here by humans)",
                     tok->principal, kind ? kind : "principal");
    } else if (!status || strcmp(status, "active") != 0) {
        rc = wr_fail(err, WR_EDENIED, "'%s' is not active", tok->principal);
    }
    json_decref(p);
    if (rc)
        return rc;

    wr_store *s = wr_ctx_store(ctx);
    wr_stmt *st;
    int64_t now = wr_now(), token_expires = 0;
    if ((rc = wr_stmt_prepare(s, "SELECT expires_at FROM server_tokens WHERE id=?", &st, err)))
        return rc;
    wr_stmt_bind_text(st, 1, tok->id);
    rc = wr_stmt_step(st, err);
    if (rc == 1)
        token_expires = wr_stmt_int(st, 0);
    wr_stmt_done(st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return wr_fail(err, WR_EDENIED, "unknown bearer token");
    int64_t expires = now + ttl < token_expires ? now + ttl : token_expires;

    srv_session ses;
    memset(&ses, 0, sizeof ses);
    wr_id_new("ses", ses.id, sizeof ses.id);
    uint8_t secret[SRV_SESSION_SECRET], hash[32];
    randombytes_buf(secret, sizeof secret);
    crypto_generichash(hash, sizeof hash, secret, sizeof secret, NULL, 0);
    if ((rc = wr_store_begin(s, err)))
        goto out;
    /* expired rows go when new ones come, so the table stays small */
    if ((rc = wr_stmt_prepare(s, "DELETE FROM server_sessions WHERE expires_at < ?", &st, err)))
        goto rollback;
    wr_stmt_bind_int(st, 1, now - 86400);
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    if (rc < 0)
        goto rollback;
    if ((rc = wr_stmt_prepare(s, "INSERT INTO server_sessions(id,token_id,principal,hash,created_at,expires_at) "
                                 "VALUES(?,?,?,?,?,?)", &st, err)))
        goto rollback;
    wr_stmt_bind_text(st, 1, ses.id);
    wr_stmt_bind_text(st, 2, tok->id);
    wr_stmt_bind_text(st, 3, tok->principal);
    wr_stmt_bind_blob(st, 4, hash, sizeof hash);
    wr_stmt_bind_int(st, 5, now);
    wr_stmt_bind_int(st, 6, expires);
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    if (rc < 0)
        goto rollback;
    if ((rc = wr_store_commit(s, err)))
        goto out;
    ses.who = *tok;
    ses.expires_at = expires;
    csrf_of(secret, ses.csrf);
    size_t il = strlen(ses.id);
    memcpy(cookie, ses.id, il);
    cookie[il] = '.';
    wr_hex_encode(secret, sizeof secret, cookie + il + 1);
    cookie[il + 1 + 2 * SRV_SESSION_SECRET] = '\0';
    *out = ses;
    rc = WR_OK;
    goto out;
rollback:
    wr_store_rollback(s);
out:
    wr_wipe(secret, sizeof secret);
    return rc;
}

/* 1 when the row's stored hash (column 0) is hash: constant time. */
static int stored_hash_is(wr_stmt *st, const uint8_t hash[32])
{
    size_t hl = 0;
    const void *stored = wr_stmt_blob(st, 0, &hl);
    return hl == 32 && sodium_memcmp(stored, hash, 32) == 0;
}

/* Looks the session up and checks it; fills out (and the secret). */
static int lookup(wr_store *s, const char *cookie, srv_session *out, uint8_t secret[SRV_SESSION_SECRET],
                  wr_err *err)
{
    char id[64];
    if (split_cookie(cookie, id, secret))
        return wr_fail(err, WR_EDENIED, "malformed session cookie");
    uint8_t hash[32];
    crypto_generichash(hash, sizeof hash, secret, SRV_SESSION_SECRET, NULL, 0);
    wr_stmt *st;
    int rc = wr_stmt_prepare(s,
                             "SELECT s.hash, s.expires_at, s.ended_at, t.id, t.principal, t.expires_at, "
                             "t.revoked_at, p.status FROM server_sessions s JOIN server_tokens t ON t.id = "
                             "s.token_id JOIN principals p ON p.id = t.principal WHERE s.id=?",
                             &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, id);
    int64_t now = wr_now();
    if ((rc = wr_stmt_step(st, err)) == 0 || (rc == 1 && !stored_hash_is(st, hash)))
        rc = wr_fail(err, WR_EDENIED, "unknown session; sign in again");
    else if (rc == 1 && !wr_stmt_is_null(st, 2))
        rc = wr_fail(err, WR_EDENIED, "the session has ended; sign in again");
    else if (rc == 1 && wr_stmt_int(st, 1) <= now)
        rc = wr_fail(err, WR_EDENIED, "the session has expired; sign in again");
    else if (rc == 1 && (!wr_stmt_is_null(st, 6) || wr_stmt_int(st, 5) <= now))
        rc = wr_fail(err, WR_EDENIED, "the session's token has been revoked or has expired; sign in again");
    else if (rc == 1 && strcmp(wr_stmt_text(st, 7), "active") != 0)
        rc = wr_fail(err, WR_EDENIED, "principal '%s' is not active", wr_stmt_text(st, 4));
    else if (rc == 1) {
        memset(out, 0, sizeof *out);
        snprintf(out->id, sizeof out->id, "%s", id);
        snprintf(out->who.id, sizeof out->who.id, "%s", wr_stmt_text(st, 3));
        snprintf(out->who.principal, sizeof out->who.principal, "%s", wr_stmt_text(st, 4));
        out->expires_at = wr_stmt_int(st, 1);
        rc = WR_OK;
    }
    wr_stmt_done(st);
    return rc;
}

int srv_session_check(wr_store *s, const char *cookie, srv_session *out, wr_err *err)
{
    uint8_t secret[SRV_SESSION_SECRET];
    int rc = lookup(s, cookie, out, secret, err);
    if (rc == WR_OK)
        csrf_of(secret, out->csrf);
    wr_wipe(secret, sizeof secret);
    return rc;
}

int srv_session_end(wr_store *s, const char *cookie, wr_err *err)
{
    srv_session ses;
    int rc = srv_session_check(s, cookie, &ses, err);
    if (rc)
        return rc;
    wr_stmt *st;
    if ((rc = wr_stmt_prepare(s, "UPDATE server_sessions SET ended_at=? WHERE id=? AND ended_at IS NULL", &st, err)))
        return rc;
    wr_stmt_bind_int(st, 1, wr_now());
    wr_stmt_bind_text(st, 2, ses.id);
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

const char *srv_cookie_find(const char *header, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    const char *p = header;
    while (p && *p) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t vl = len - nl - 1;
            while (vl && p[nl + 1 + vl - 1] == ' ')
                vl--;
            if (vl + 1 > outlen)
                return NULL;
            memcpy(out, p + nl + 1, vl);
            out[vl] = '\0';
            return out;
        }
        p = end;
    }
    return NULL;
}

int srv_csrf_ok(const srv_session *s, const char *presented)
{
    if (!presented || strlen(presented) != SRV_CSRF_HEX - 1 || !s->csrf[0])
        return 0;
    return sodium_memcmp(presented, s->csrf, SRV_CSRF_HEX - 1) == 0;
}

int srv_origin_ok(const char *origin, const char *host, int tls, const char *allowed)
{
    if (!origin)
        return 1;   /* not sent: the CSRF token is the defence */
    const char *scheme = tls ? "https://" : "http://";
    size_t sl = strlen(scheme);
    if (host && *host && strncmp(origin, scheme, sl) == 0 && strcasecmp(origin + sl, host) == 0)
        return 1;
    size_t ol = strlen(origin);
    const char *p = allowed;
    while (p && *p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && p[len - 1] == ' ')
            len--;
        if (len && len == ol && strncasecmp(p, origin, len) == 0)
            return 1;
        p = end;
    }
    return 0;
}

/* ---- the request path ------------------------------------------------------ */
static int is_safe_method(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

int srv_console_cross_site(srv_req *r)
{
    const char *origin = srv_header(r, "Origin"), *site = srv_header(r, "Sec-Fetch-Site");
    int tls = r->srv->cfg.tls_cert[0] != '\0';
    if (!srv_origin_ok(origin, srv_header(r, "Host"), tls, r->srv->cfg.allowed_origins)) {
        srv_error(r, 403, "csrf", "cross-site request refused: Origin '%s' is not this server", origin);
        return 1;
    }
    if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0) {
        srv_error(r, 403, "csrf", "cross-site request refused (Sec-Fetch-Site: %s)", site);
        return 1;
    }
    return 0;
}

int srv_console_auth(srv_req *r)
{
    char value[SRV_SESSION_VALUE_MAX];
    const char *cookie = srv_cookie_find(srv_header(r, "Cookie"), SRV_SESSION_COOKIE, value, sizeof value);
    if (!cookie)
        return -1;
    srv_session ses;
    wr_err err = {0};
    int rc = srv_session_check(wr_ctx_store(r->w->ctx), cookie, &ses, &err);
    wr_wipe(value, sizeof value);
    if (rc == WR_EDENIED) {
        /* the browser forgets the dead cookie; the console shows sign-in */
        snprintf(r->set_cookie, sizeof r->set_cookie, "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict",
                 SRV_SESSION_COOKIE);
        r->www_auth = "Cookie realm=\"warrant\"";
        srv_error(r, 401, "session", "%s", err.msg);
        return 1;
    }
    if (rc) {
        srv_fail(r, &err, NULL);
        return 1;
    }
    if (!is_safe_method(r->method)) {
        if (srv_console_cross_site(r))
            return 1;
        if (!srv_csrf_ok(&ses, srv_header(r, "X-CSRF-Token"))) {
            srv_error(r, 403, "csrf", "missing or wrong X-CSRF-Token: a change through the console needs the "
                                      "session's CSRF token");
            return 1;
        }
    }
    r->who = ses.who;
    r->via_session = 1;
    memcpy(r->csrf, ses.csrf, sizeof r->csrf);
    r->session_expires = ses.expires_at;
    return 0;
}
