/*
 * conn_scim.c — the SCIM connector: applications that provision users and
 * groups through SCIM 2.0 (RFC 7643 resources, RFC 7644 protocol), which
 * is how most SaaS applications expose their access.
 *
 * connector_config:
 *   {"base_url": "https://app.example.org/scim/v2",  (required; http or https)
 *    "token_file": "/etc/warrant/app.token",         (the bearer token, or
 *    "token_env": "APP_SCIM_TOKEN",                   "token_env"; never the
 *                                                     token itself)
 *    "tls_ca_file": "/etc/ssl/certs/corp-ca.pem",    (optional)
 *    "timeout_ms": 10000, "network_timeout_ms": 10000,
 *    "page_size": 100}                               (listing, 1..1000)
 *
 * Mapping: the account "<system>:<login>" is the User whose userName is
 * login; the entitlement "<system>:<name>" is the Group whose displayName
 * is name; a grant is the user's id among the group's members[].value; a
 * disabled account is a User with active = false.
 *
 * How each verb talks to the application:
 *   lookups  GET /Users?filter=userName eq "<login>" (and /Groups by
 *            displayName).  The value goes into the filter as a JSON string
 *            literal, so a quote or a backslash in a name cannot change the
 *            filter; the whole filter is then URL-encoded.
 *   state    GET /Groups/<id>?attributes=members, or the user's "active".
 *   changes  PATCH (RFC 7644 §3.5.2) with a PatchOp: "add" members,
 *            "remove" members[value eq "<id>"], "replace" active.  apply
 *            reads the state first, so applying what is already so answers
 *            {"changed": false} without writing.
 *   list     /Users then /Groups, paged with startIndex/count until
 *            totalResults; members are mapped from user ids to userNames
 *            with the map built from the users listing.
 * Errors name the application's URL and quote a SCIM error's "detail"; an
 * HTTP 401/403 says the token was refused (never what it was).
 *
 * Data structure: the state holds the base URL, the ready-made
 * "authorization: Bearer ..." header line (wiped at close), the options and
 * an HTTP session (lib/core/http_client.c), so the lookups, reads and PATCH
 * of one operation share a connection.
 */
#include "connector_internal.h"
#include "../core/http_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define URL_MAX 1024
#define ANSWER_MAX ((size_t)16 << 20)   /* one SCIM answer kept in memory */
#define MAX_PAGES 100000                /* a listing that never ends is an error */
#define PATCH_OP "urn:ietf:params:scim:api:messages:2.0:PatchOp"

typedef struct scim_state {
    char base[URL_MAX];
    char system[256];
    char ca_file[URL_MAX];
    char *auth;   /* "authorization: Bearer <token>" */
    wr_http_session *http;
    int timeout_ms, connect_ms, page_size;
} scim_state;

/* ---- configuration ------------------------------------------------------------ */

static int scim_check(const json_t *cfg, wr_err *err)
{
    const char *url = json_string_value(json_object_get(cfg, "base_url"));
    if (!url)
        return wr_fail(err, WR_EINVAL, "connector_config.base_url: missing (a string like "
                                       "https://app.example.org/scim/v2)");
    if ((strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) || strlen(url) >= URL_MAX - 256 ||
        strpbrk(url, " \t\r\n?#"))
        return wr_fail(err, WR_EINVAL, "connector_config.base_url: expected an http:// or https:// URL without "
                                       "spaces, query or fragment");
    if (json_object_get(cfg, "token"))
        return wr_fail(err, WR_EINVAL, "connector_config.token: secrets are never stored in the configuration; "
                                       "use token_file or token_env");
    int has_file = json_is_string(json_object_get(cfg, "token_file")),
        has_env = json_is_string(json_object_get(cfg, "token_env"));
    if (has_file == has_env)
        return wr_fail(err, WR_EINVAL, "connector_config: name the bearer token with exactly one of token_file "
                                       "or token_env");
    json_t *ca = json_object_get(cfg, "tls_ca_file");
    if (ca && (!json_is_string(ca) || json_string_length(ca) >= URL_MAX))
        return wr_fail(err, WR_EINVAL, "connector_config.tls_ca_file: expected a file name");
    int ms, rc;
    if ((rc = conn_opt_ms(cfg, "timeout_ms", WR_CONN_TIMEOUT_DEFAULT_MS, &ms, err)) ||
        (rc = conn_opt_ms(cfg, "network_timeout_ms", WR_CONN_TIMEOUT_DEFAULT_MS, &ms, err)))
        return rc;
    json_t *ps = json_object_get(cfg, "page_size");
    if (ps && (!json_is_integer(ps) || json_integer_value(ps) < 1 || json_integer_value(ps) > 1000))
        return wr_fail(err, WR_EINVAL, "connector_config.page_size: expected 1..1000");
    return WR_OK;
}

static void scim_close(void *state)
{
    scim_state *x = state;
    if (!x)
        return;
    conn_secret_free(x->auth);
    wr_http_session_free(x->http);
    free(x);
}

static int scim_open(const json_t *cfg, const char *system, void **state, wr_err *err)
{
    scim_state *x = calloc(1, sizeof *x);
    if (!x)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    const char *url = json_string_value(json_object_get(cfg, "base_url"));
    size_t n = strlen(url);
    while (n && url[n - 1] == '/')
        n--;
    snprintf(x->base, sizeof x->base, "%.*s", (int)n, url);
    snprintf(x->system, sizeof x->system, "%s", system);
    const char *ca = json_string_value(json_object_get(cfg, "tls_ca_file"));
    snprintf(x->ca_file, sizeof x->ca_file, "%s", ca ? ca : "");
    (void)conn_opt_ms(cfg, "timeout_ms", WR_CONN_TIMEOUT_DEFAULT_MS, &x->timeout_ms, NULL);
    (void)conn_opt_ms(cfg, "network_timeout_ms", WR_CONN_TIMEOUT_DEFAULT_MS, &x->connect_ms, NULL);
    json_t *ps = json_object_get(cfg, "page_size");
    x->page_size = ps ? (int)json_integer_value(ps) : 100;
    char *token = NULL;
    int rc = conn_secret_read(cfg, "token", &token, err);
    if (rc == WR_OK && (!token || !*token || strpbrk(token, "\r\n")))
        rc = wr_fail(err, WR_EINVAL, "scim %s: the bearer token is empty or spans lines", x->base);
    if (rc == WR_OK) {
        size_t len = strlen("authorization: Bearer ") + strlen(token) + 1;
        if (!(x->auth = malloc(len)))
            rc = wr_fail(err, WR_ENOMEM, "out of memory");
        else
            snprintf(x->auth, len, "authorization: Bearer %s", token);
    }
    conn_secret_free(token);
    if (rc == WR_OK)
        rc = wr_http_session_new(&x->http, err);
    if (rc) {
        scim_close(x);
        return rc;
    }
    *state = x;
    return WR_OK;
}

/* ---- one request ------------------------------------------------------------------ */

/* method path (appended to base_url) with an optional JSON body.  2xx:
 * *reply is the parsed answer (NULL for an empty body).  404 is
 * WR_ENOTFOUND; any other status WR_EIO, quoting the SCIM error detail. */
static int scim_call(scim_state *x, const char *method, const char *path, const json_t *body, json_t **reply,
                     wr_err *err)
{
    char url[URL_MAX * 3];
    snprintf(url, sizeof url, "%s%s", x->base, path);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    const char *headers[] = {"accept: application/scim+json", x->auth,
                             body ? "content-type: application/scim+json" : NULL, NULL};
    wr_http_req req = {.method = method, .url = url, .headers = headers, .body = text,
                       .body_len = text ? strlen(text) : 0, .connect_timeout_ms = x->connect_ms,
                       .timeout_ms = x->timeout_ms, .ca_file = x->ca_file[0] ? x->ca_file : NULL};
    wr_buf answer = WR_BUF_INIT;
    answer.max = ANSWER_MAX;
    long status = 0;
    int rc = wr_http_call(x->http, &req, &status, &answer, err);
    free(text);
    if (rc) {
        wr_buf_free(&answer);
        return wr_fail_wrap(err, "scim");
    }
    json_error_t je;
    json_t *v = answer.len ? json_loadb(answer.data, answer.len, 0, &je) : NULL;
    wr_buf_free(&answer);
    if (status >= 200 && status <= 299) {
        if (answer.len && !v)
            return wr_fail(err, WR_EIO, "scim %s %s: the answer is not JSON (%s)", method, url, je.text);
        *reply = v;
        return WR_OK;
    }
    const char *detail = json_string_value(json_object_get(v, "detail"));
    if (status == 401 || status == 403)
        rc = wr_fail(err, WR_EIO, "scim %s: the bearer token was refused (HTTP %ld)%s%s", x->base, status,
                     detail ? ": " : "", detail ? detail : "");
    else
        rc = wr_fail(err, status == 404 ? WR_ENOTFOUND : WR_EIO, "scim %s %s: HTTP %ld%s%s", method, url, status,
                     detail ? ": " : "", detail ? detail : "");
    json_decref(v);
    return rc;
}

/* The one resource of type ("Users", "Groups") whose attr equals value. */
static int find_one(scim_state *x, const char *type, const char *attr, const char *value, json_t **out,
                    wr_err *err)
{
    json_t *lit = json_string(value);
    char *quoted = lit ? json_dumps(lit, JSON_ENCODE_ANY) : NULL;
    json_decref(lit);
    if (!quoted)
        return wr_fail(err, WR_EINVAL, "scim: '%s' is not valid UTF-8", value);
    char filter[URL_MAX];
    snprintf(filter, sizeof filter, "%s eq %s", attr, quoted);
    free(quoted);
    wr_buf path = WR_BUF_INIT;
    path.max = URL_MAX * 2;
    int rc = wr_buf_printf(&path, "/%s?filter=", type);
    if (rc == WR_OK)
        rc = wr_http_escape(&path, filter);
    if (rc) {
        wr_buf_free(&path);
        return wr_fail(err, WR_ELIMIT, "scim: the name '%s' is too long", value);
    }
    json_t *r = NULL;
    rc = scim_call(x, "GET", path.data, NULL, &r, err);
    wr_buf_free(&path);
    if (rc)
        return rc;
    json_t *res = json_object_get(r, "Resources");
    size_t n = json_array_size(res);
    if (n == 1 && json_is_string(json_object_get(json_array_get(res, 0), "id")))
        *out = json_incref(json_array_get(res, 0));
    else
        rc = wr_fail(err, n ? WR_EIO : WR_ENOTFOUND, "scim %s: %s %s with %s %s%s", x->base,
                     n ? "more than one" : "no", type[0] == 'U' ? "User" : "Group", attr, filter + strlen(attr) + 4,
                     n ? "" : " in the application");
    json_decref(r);
    return rc;
}

/* ---- the operation's target ------------------------------------------------------------ */

typedef struct target {
    int membership;    /* 1: grant/revoke; 0: disable/enable */
    int want;          /* membership: 1 member; otherwise: 1 disabled */
    char user[256], group[256];   /* SCIM ids */
    char login[256], name[256];
} target;

static int resolve(scim_state *x, const json_t *op, target *t, wr_err *err)
{
    memset(t, 0, sizeof *t);
    const char *name = conn_op_name(op);
    t->membership = strcmp(name, "grant") == 0 || strcmp(name, "revoke") == 0;
    t->want = strcmp(name, "grant") == 0 || strcmp(name, "disable") == 0;
    const char *login = conn_local_name(json_string_value(json_object_get(op, "account")), x->system, "account", err);
    if (!login)
        return err ? err->code : WR_EINVAL;
    snprintf(t->login, sizeof t->login, "%s", login);
    json_t *u = NULL;
    int rc = find_one(x, "Users", "userName", login, &u, err);
    if (rc)
        return rc;
    snprintf(t->user, sizeof t->user, "%s", json_string_value(json_object_get(u, "id")));
    json_decref(u);
    if (!t->membership)
        return WR_OK;
    const char *ent = conn_local_name(json_string_value(json_object_get(op, "entitlement")), x->system,
                                      "entitlement", err);
    if (!ent)
        return err ? err->code : WR_EINVAL;
    snprintf(t->name, sizeof t->name, "%s", ent);
    json_t *g = NULL;
    if ((rc = find_one(x, "Groups", "displayName", ent, &g, err)))
        return rc;
    snprintf(t->group, sizeof t->group, "%s", json_string_value(json_object_get(g, "id")));
    json_decref(g);
    return WR_OK;
}

/* "/Users/<id>" or "/Groups/<id>" with the id URL-encoded. */
static int resource_path(const char *type, const char *id, const char *query, wr_buf *b)
{
    b->max = URL_MAX * 2;
    int rc = wr_buf_printf(b, "/%s/", type);
    if (rc == WR_OK)
        rc = wr_http_escape(b, id);
    if (rc == WR_OK && query)
        rc = wr_buf_puts(b, query);
    return rc;
}

/* Is the target as the operation wants it?  *cur: member / disabled now. */
static int holds(scim_state *x, const target *t, int *cur, wr_err *err)
{
    wr_buf path = WR_BUF_INIT;
    int rc = t->membership ? resource_path("Groups", t->group, "?attributes=members", &path)
                           : resource_path("Users", t->user, NULL, &path);
    json_t *r = NULL;
    if (rc == WR_OK)
        rc = scim_call(x, "GET", path.data, NULL, &r, err);
    wr_buf_free(&path);
    if (rc)
        return rc;
    *cur = 0;
    if (t->membership) {
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(r, "members"), i, m)
            *cur |= json_is_string(json_object_get(m, "value")) &&
                    strcmp(json_string_value(json_object_get(m, "value")), t->user) == 0;
    } else {
        json_t *active = json_object_get(r, "active");
        *cur = json_is_false(active);   /* absent "active" means active (RFC 7643 §4.1.1) */
    }
    json_decref(r);
    return WR_OK;
}

/* resolve, then holds: the operation's target and its state now. */
static int current(scim_state *x, const json_t *op, target *t, int *cur, wr_err *err)
{
    int rc = resolve(x, op, t, err);
    return rc ? rc : holds(x, t, cur, err);
}

/* The PatchOp that makes the target as wanted. */
static json_t *patch_of(const target *t)
{
    json_t *op;
    if (!t->membership)
        op = json_pack("{s:s,s:s,s:b}", "op", "replace", "path", "active", "value", !t->want);
    else if (t->want)
        op = json_pack("{s:s,s:s,s:[{s:s}]}", "op", "add", "path", "members", "value", "value", t->user);
    else {
        json_t *lit = json_string(t->user);
        char *q = json_dumps(lit, JSON_ENCODE_ANY), path[400];
        snprintf(path, sizeof path, "members[value eq %s]", q ? q : "\"\"");
        free(q);
        json_decref(lit);
        op = json_pack("{s:s,s:s}", "op", "remove", "path", path);
    }
    return json_pack("{s:[s],s:[o]}", "schemas", PATCH_OP, "Operations", op);
}

static const char *change_words(const target *t)
{
    return t->membership ? (t->want ? "add member" : "remove member") : (t->want ? "set active false"
                                                                                 : "set active true");
}

/* ---- the verbs -------------------------------------------------------------------------------- */

static int scim_plan(void *state, const json_t *op, json_t **plan, wr_err *err)
{
    scim_state *x = state;
    target t;
    int cur = 0, rc = current(x, op, &t, &cur, err);
    if (rc)
        return rc;
    char req[700];
    snprintf(req, sizeof req, "PATCH %s/%s/%s", x->base, t.membership ? "Groups" : "Users",
             t.membership ? t.group : t.user);
    *plan = json_pack("{s:s,s:s,s:s,s:s,s:o,s:b}", "connector", "scim", "request", req, "change", change_words(&t),
                      "user", t.user, "patch", patch_of(&t), "already_so", cur == t.want);
    return WR_OK;
}

static int scim_inverse(void *state, const json_t *op, json_t **inverse, wr_err *err)
{
    target t;
    int cur = 0, rc = current(state, op, &t, &cur, err);
    if (rc == WR_OK)
        *inverse = conn_inverse_of(op, cur);
    return rc;
}

static int scim_apply(void *state, const json_t *op, const char *actor, json_t **result, wr_err *err)
{
    (void)actor;
    scim_state *x = state;
    target t;
    int cur = 0, rc = current(x, op, &t, &cur, err);
    if (rc)
        return rc;
    if (cur == t.want) {
        *result = conn_result(0, "already so: nothing to do");
        return WR_OK;
    }
    wr_buf path = WR_BUF_INIT;
    json_t *patch = patch_of(&t), *r = NULL;
    rc = resource_path(t.membership ? "Groups" : "Users", t.membership ? t.group : t.user, NULL, &path);
    if (rc == WR_OK)
        rc = scim_call(x, "PATCH", path.data, patch, &r, err);
    wr_buf_free(&path);
    json_decref(patch);
    json_decref(r);
    if (rc)
        return rc;
    char detail[700];
    if (t.membership)
        snprintf(detail, sizeof detail, "%s %s %s group %s", t.want ? "added" : "removed", t.login,
                 t.want ? "to" : "from", t.name);
    else
        snprintf(detail, sizeof detail, "set %s active %s", t.login, t.want ? "false" : "true");
    *result = conn_result(1, detail);
    return WR_OK;
}

static int scim_readback(void *state, const json_t *op, int *matches, wr_err *err)
{
    target t;
    int cur = 0, rc = current(state, op, &t, &cur, err);
    if (rc == WR_OK)
        *matches = cur == t.want;
    return rc;
}

/* ---- listing ------------------------------------------------------------------------------------ */

typedef int (*page_fn)(scim_state *x, json_t *resource, void *arg, wr_err *err);

/* Every resource of type, page by page (startIndex is 1-based). */
static int list_all(scim_state *x, const char *type, const char *attrs, page_fn fn, void *arg, wr_err *err)
{
    long long start = 1;
    for (int page = 0; page < MAX_PAGES; page++) {
        char path[256];
        snprintf(path, sizeof path, "/%s?startIndex=%lld&count=%d&attributes=%s", type, start, x->page_size, attrs);
        json_t *r = NULL;
        int rc = scim_call(x, "GET", path, NULL, &r, err);
        if (rc)
            return rc;
        json_t *res = json_object_get(r, "Resources");
        size_t i, n = json_array_size(res);
        json_t *v;
        json_array_foreach(res, i, v) {
            if ((rc = fn(x, v, arg, err)))
                break;
        }
        json_int_t total = json_integer_value(json_object_get(r, "totalResults"));
        json_decref(r);
        if (rc)
            return rc;
        start += (long long)n;
        if (n == 0 || start > total)
            return WR_OK;
    }
    return wr_fail(err, WR_ELIMIT, "scim %s: /%s: more than %d pages", x->base, type, MAX_PAGES);
}

typedef struct list_run {
    const wr_connector_visitor *v;
    json_t *logins;   /* user id -> userName */
} list_run;

static int on_user(scim_state *x, json_t *u, void *arg, wr_err *err)
{
    list_run *l = arg;
    const char *id = json_string_value(json_object_get(u, "id")),
               *login = json_string_value(json_object_get(u, "userName"));
    if (!id || !login)
        return wr_fail(err, WR_EIO, "scim %s: a User without id or userName", x->base);
    json_object_set_new(l->logins, id, json_string(login));
    return l->v->account(l->v->arg, login, json_is_false(json_object_get(u, "active")), err);
}

static int on_group(scim_state *x, json_t *g, void *arg, wr_err *err)
{
    list_run *l = arg;
    const char *name = json_string_value(json_object_get(g, "displayName"));
    if (!name)
        return wr_fail(err, WR_EIO, "scim %s: a Group without displayName", x->base);
    json_t *members = json_object_get(g, "members");
    size_t i, n = 0;
    json_t *m;
    const char **logins = calloc(json_array_size(members) + 1, sizeof *logins);
    if (!logins)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    json_array_foreach(members, i, m) {
        /* a member that is not one of the listed users (a nested group) is
         * not an account membership: skipped */
        const char *id = json_string_value(json_object_get(m, "value"));
        const char *login = id ? json_string_value(json_object_get(l->logins, id)) : NULL;
        if (login)
            logins[n++] = login;
    }
    qsort(logins, n, sizeof *logins, conn_str_cmp);
    int rc = l->v->group(l->v->arg, name, logins, n, err);
    free(logins);
    return rc;
}

static int scim_list(void *state, const wr_connector_visitor *v, wr_err *err)
{
    list_run l = {v, json_object()};
    int rc = list_all(state, "Users", "userName,active", on_user, &l, err);
    if (rc == WR_OK)
        rc = list_all(state, "Groups", "displayName,members", on_group, &l, err);
    json_decref(l.logins);
    return rc;
}

const conn_kind conn_kind_scim = {
    "scim",
    WR_CONN_CAP_GRANT | WR_CONN_CAP_REVOKE | WR_CONN_CAP_DISABLE | WR_CONN_CAP_ENABLE | WR_CONN_CAP_READ |
        WR_CONN_CAP_LIST,
    scim_check, scim_open, scim_close, scim_plan, scim_inverse, scim_apply, scim_readback, scim_list, NULL};
