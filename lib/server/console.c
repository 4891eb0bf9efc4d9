/*
 * console.c — the approver console's HTTP side: its static files (embedded
 * at build time from console/, see cmake/console_assets.cmake) with the
 * browser security headers, and sign-in / session / sign-out
 * (/console/session).  The console itself is a plain ES-module page that
 * uses only the public REST API; the server authenticates those calls by
 * the session cookie exactly as it does bearer tokens (http.c admit ->
 * srv_console_auth), so no route has a console-only variant.
 *
 * Headers of console files: a Content-Security-Policy that allows only
 * this origin's scripts, styles and fetches (no inline script or style, no
 * framing, no plugins), Referrer-Policy no-referrer, nosniff (every
 * response), and Cache-Control no-cache with an ETag (the SHA-256 of the
 * file, computed at build time): a browser revalidates and gets 304, so an
 * upgraded binary is never shadowed by a stale cached script.
 */
#include "console.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                          "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
                          "form-action 'self'; frame-ancestors 'none'";

const srv_asset *srv_asset_find(const char *path)
{
    for (size_t i = 0; i < srv_nassets; i++)
        if (strcmp(srv_assets[i].path, path) == 0)
            return &srv_assets[i];
    return NULL;
}

const char *srv_asset_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
        {".svg", "image/svg+xml"}, {".png", "image/png"}, {".ico", "image/x-icon"},
        {".json", "application/json"}, {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

void srv_console_headers(srv_req *r, struct MHD_Response *resp)
{
    if (r->set_cookie[0])
        MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
    if (r->etag)
        MHD_add_response_header(resp, "ETag", r->etag);
    if (!r->page)
        return;
    MHD_add_response_header(resp, "Content-Security-Policy", csp);
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
}

static void serve_asset(srv_req *r, const char *path)
{
    const srv_asset *a = srv_asset_find(path);
    if (!a) {
        srv_error(r, 404, NULL, "no such console file: %s", path);
        return;
    }
    r->page = 1;
    r->etag = a->etag;
    r->cache = "no-cache";
    const char *inm = srv_header(r, "If-None-Match");
    if (inm && strcmp(inm, a->etag) == 0) {
        srv_raw(r, 304, srv_asset_type(path), strdup(""), 0);
        return;
    }
    char *copy = malloc(a->len + 1);
    if (!copy) {
        srv_error(r, 500, NULL, "out of memory");
        return;
    }
    memcpy(copy, a->data, a->len);
    srv_raw(r, 200, srv_asset_type(path), copy, a->len);
}

void h_console_index(srv_req *r) { serve_asset(r, "index.html"); }
void h_console_asset(srv_req *r) { serve_asset(r, r->params[0]); }

/* ---- sessions ---------------------------------------------------------------- */
/* {principal, name, kind, roles, expires_at, csrf?} */
static json_t *session_info(srv_req *r, int64_t expires, const char *csrf, wr_err *err)
{
    json_t *p = NULL;
    if (wr_principal_get(r->w->ctx, r->who.principal, &p, err) != WR_OK)
        return NULL;
    char t[21];
    wr_time_format(expires, t);
    json_t *roles = json_object_get(p, "roles");
    json_t *o = json_pack("{s:s,s:O,s:O,s:O,s:s,s:s?}", "principal", r->who.principal, "name",
                          json_object_get(p, "name") ? json_object_get(p, "name") : json_null(), "kind",
                          json_object_get(p, "kind"), "roles", roles ? roles : json_null(), "expires_at", t, "csrf",
                          csrf);
    json_decref(p);
    return o;
}

static void cookie_header(srv_req *r, const char *value, int64_t max_age)
{
    snprintf(r->set_cookie, sizeof r->set_cookie, "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s",
             SRV_SESSION_COOKIE, value, (long long)max_age, r->srv->cfg.tls_cert[0] ? "; Secure" : "");
}

void h_session_create(srv_req *r)
{
    if (r->via_session) {
        srv_error(r, 400, NULL, "sign in with a bearer token (Authorization: Bearer TOKEN), not a session");
        return;
    }
    if (r->json && json_object_size(r->json)) {
        srv_error(r, 400, NULL, "request body: no members accepted (the token goes in Authorization)");
        return;
    }
    if (srv_console_cross_site(r))
        return;
    unsigned ttl = r->srv->cfg.session_ttl ? r->srv->cfg.session_ttl : SRV_SESSION_DEFAULT_TTL;
    char cookie[SRV_SESSION_VALUE_MAX];
    srv_session ses;
    wr_err err = {0};
    if (srv_session_create(r->w->ctx, &r->who, ttl, cookie, &ses, &err) != WR_OK) {
        srv_fail(r, &err, NULL);
        return;
    }
    json_t *info = session_info(r, ses.expires_at, ses.csrf, &err);
    if (!info) {
        wr_wipe(cookie, sizeof cookie);
        srv_fail(r, &err, NULL);
        return;
    }
    cookie_header(r, cookie, ses.expires_at - wr_now());
    wr_wipe(cookie, sizeof cookie);
    srv_json(r, 201, info);
}

void h_session_get(srv_req *r)
{
    wr_err err = {0};
    json_t *info = session_info(r, r->via_session ? r->session_expires : 0, r->via_session ? r->csrf : NULL, &err);
    if (!info) {
        srv_fail(r, &err, NULL);
        return;
    }
    if (!r->via_session)
        json_object_del(info, "expires_at");
    srv_json(r, 200, info);
}

void h_session_delete(srv_req *r)
{
    if (!r->via_session) {
        srv_error(r, 400, NULL, "no console session in this request (nothing to sign out of)");
        return;
    }
    char value[SRV_SESSION_VALUE_MAX];
    const char *cookie = srv_cookie_find(srv_header(r, "Cookie"), SRV_SESSION_COOKIE, value, sizeof value);
    wr_err err = {0};
    int rc = cookie ? srv_session_end(wr_ctx_store(r->w->ctx), cookie, &err)
                    : wr_fail(&err, WR_EDENIED, "no session cookie");
    wr_wipe(value, sizeof value);
    if (rc) {
        srv_fail(r, &err, NULL);
        return;
    }
    cookie_header(r, "", 0);
    srv_json(r, 200, json_pack("{s:s}", "state", "signed_out"));
}
