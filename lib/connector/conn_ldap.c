/*
 * conn_ldap.c — the LDAP connector (OpenLDAP's libldap, LDAPv3).
 *
 * Mapping (inventory <-> directory):
 *   entitlement "<system>:<cn>"  <->  group  <group_attr>=<cn>,<groups_base>
 *   account     "<system>:<uid>" <->  entry  <user_attr>=<uid>,<people_base>
 * A group's class decides the member value: groupOfNames (and
 * groupOfUniqueNames is not supported) holds the account's DN in "member";
 * posixGroup holds the bare uid in "memberUid".  The class is read from the
 * group entry, so both kinds can live under one base.
 *
 * Disable/enable ("disable" in the configuration):
 *   {"method":"group","group":"disabled"}  (default) — the account's DN is
 *       added to / removed from the groupOfNames cn=disabled,<groups_base>.
 *       Works with Debian's stock slapd and schemas (core, cosine, nis,
 *       inetorgperson); enforcement is an ACL on that group, e.g.
 *       `access to * by group.exact="cn=disabled,ou=groups,..." none`.
 *   {"method":"attribute","attribute":"pwdAccountLockedTime",
 *    "value":"000001010000Z"} — disable replaces the attribute with value,
 *       enable deletes it.  pwdAccountLockedTime=000001010000Z is the
 *       ppolicy overlay's permanent lock (load the overlay for it); any
 *       attribute the schema allows works the same way.
 *
 * Every modification is idempotent: adding a value that exists
 * (typeOrValueExists) or deleting one that is gone (noSuchAttribute) is
 * reported as changed:false.  Membership is read with a compare
 * operation, so reading back a group of a million members costs one
 * round trip.
 *
 * Values are escaped as DN values per RFC 4514 (`,+"\<>;=`, leading `#`
 * or space, trailing space, control characters), and user values never go
 * into search filters (membership is a compare), so an account id with
 * metacharacters names exactly that account.
 *
 * Connection: "url" (ldap://, ldaps://), "starttls" (bool), "tls_ca_file",
 * "tls_require_cert" (never|allow|try|demand), "network_timeout_ms" (TCP
 * connect), "timeout_ms" (each operation); "bind_dn" with the password
 * from "bind_password_file" or "bind_password_env" (never in the config).
 * Listing uses the simple paged results control (RFC 2696), "page_size"
 * entries per page (default 500), and streams entries to the visitor.
 *
 * Reading the socket: libldap reads each message with two read() calls
 * (its header, then its body) after a poll(), so listing a directory of
 * 100k accounts took 300k system calls.  A read-ahead layer under the
 * protocol (and under TLS) reads up to 16 KiB at a time instead, and
 * libldap skips the poll while whole messages wait in it (10k calls).
 * That also means a message whose first bytes are buffered is read to its
 * end without a poll, so the socket gets a receive timeout of "timeout_ms"
 * too (SO_RCVTIMEO): a server that stops in the middle of a message fails
 * the operation with the timeout instead of blocking it for ever
 * (tests/e2e/ldap_connector.sh, the stalled-network case).
 */
#define _DEFAULT_SOURCE
#include "connector_internal.h"

#include <errno.h>
#include <ldap.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DN_MAX 2048

typedef struct ldap_state {
    LDAP *ld;
    char url[512];
    char people_base[DN_MAX], groups_base[DN_MAX];
    char user_attr[64], group_attr[64];
    int disable_by_group;
    char disable_group[256];      /* cn of the disabled group */
    char lock_attr[64], lock_value[256];
    int timeout_ms, page_size;
    char system[256];
    int tls;                      /* ldaps:// or StartTLS: connection errors may be TLS's */
    char tls_ca[512];
    /* listing: the current entry's logins, NUL-terminated one after
     * another in text, pointers to them in ptrs (entry_logins) */
    wr_buf text, ptrs;
} ldap_state;

/* ---- escaping -------------------------------------------------------------------- */

/* RFC 4514 section 2.4: escape a value for use in a DN. */
static int dn_escape(const char *v, char *out, size_t n)
{
    size_t j = 0, len = strlen(v);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)v[i];
        int esc = strchr(",+\"\\<>;=", ch) != NULL || (i == 0 && (ch == '#' || ch == ' ')) ||
                  (i == len - 1 && ch == ' ');
        if (ch == 0 || ch < 0x20) {
            if (j + 3 >= n)
                return -1;
            j += (size_t)snprintf(out + j, n - j, "\\%02x", ch);
            continue;
        }
        if (j + 2 >= n)
            return -1;
        if (esc)
            out[j++] = '\\';
        out[j++] = (char)ch;
    }
    out[j] = 0;
    return 0;
}

static int make_dn(const char *attr, const char *value, const char *base, char *out, size_t n, wr_err *err)
{
    char esc[DN_MAX];
    if (dn_escape(value, esc, sizeof esc) || (size_t)snprintf(out, n, "%s=%s,%s", attr, esc, base) >= n)
        return wr_fail(err, WR_ELIMIT, "ldap: DN for '%s' too long", value);
    return WR_OK;
}

/* ---- configuration ---------------------------------------------------------------- */

static int str_opt(const json_t *cfg, const char *key, int required, const char **out, wr_err *err)
{
    json_t *v = json_object_get(cfg, key);
    *out = NULL;
    if (!v) {
        if (required)
            return wr_fail(err, WR_EINVAL, "connector_config.%s: missing", key);
        return WR_OK;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= DN_MAX - 64)
        return wr_fail(err, WR_EINVAL, "connector_config.%s: expected a non-empty string", key);
    *out = json_string_value(v);
    return WR_OK;
}

static int ldap_check(const json_t *cfg, wr_err *err)
{
    const char *s;
    int rc, ms;
    if ((rc = str_opt(cfg, "url", 1, &s, err)))
        return rc;
    if (strncmp(s, "ldap://", 7) != 0 && strncmp(s, "ldaps://", 8) != 0 && strncmp(s, "ldapi://", 8) != 0)
        return wr_fail(err, WR_EINVAL, "connector_config.url: expected ldap://, ldaps:// or ldapi://");
    static const char *const strs[] = {"base_dn", "bind_dn", "people_base", "groups_base", "user_attr",
                                       "group_attr", "tls_ca_file", "tls_require_cert", "bind_password_file",
                                       "bind_password_env"};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        if ((rc = str_opt(cfg, strs[i], i == 0, &s, err)))
            return rc;
    if (str_opt(cfg, "tls_require_cert", 0, &s, NULL) == WR_OK && s && strcmp(s, "never") && strcmp(s, "allow") &&
        strcmp(s, "try") && strcmp(s, "demand"))
        return wr_fail(err, WR_EINVAL, "connector_config.tls_require_cert: never, allow, try or demand");
    if (json_object_get(cfg, "starttls") && !json_is_boolean(json_object_get(cfg, "starttls")))
        return wr_fail(err, WR_EINVAL, "connector_config.starttls: expected true or false");
    if ((rc = conn_opt_ms(cfg, "timeout_ms", WR_CONN_TIMEOUT_DEFAULT_MS, &ms, err)) ||
        (rc = conn_opt_ms(cfg, "network_timeout_ms", WR_CONN_TIMEOUT_DEFAULT_MS, &ms, err)))
        return rc;
    json_t *ps = json_object_get(cfg, "page_size");
    if (ps && (!json_is_integer(ps) || json_integer_value(ps) < 1 || json_integer_value(ps) > 100000))
        return wr_fail(err, WR_EINVAL, "connector_config.page_size: expected 1..100000");
    json_t *d = json_object_get(cfg, "disable");
    if (d) {
        const char *m = json_string_value(json_object_get(d, "method"));
        if (!json_is_object(d) || !m || (strcmp(m, "group") && strcmp(m, "attribute")))
            return wr_fail(err, WR_EINVAL, "connector_config.disable.method: expected \"group\" or \"attribute\"");
        if (strcmp(m, "attribute") == 0 && (!json_is_string(json_object_get(d, "attribute")) ||
                                            !json_is_string(json_object_get(d, "value"))))
            return wr_fail(err, WR_EINVAL, "connector_config.disable: the attribute method needs \"attribute\" "
                           "and \"value\"");
    }
    if (json_object_get(cfg, "bind_password"))
        return wr_fail(err, WR_EINVAL, "connector_config.bind_password: secrets are never stored in the "
                       "configuration; use bind_password_file or bind_password_env");
    return WR_OK;
}

static void ldap_close(void *state)
{
    ldap_state *x = state;
    if (!x)
        return;
    if (x->ld)
        ldap_unbind_ext_s(x->ld, NULL, NULL);
    wr_buf_free(&x->text);
    wr_buf_free(&x->ptrs);
    free(x);
}

static int lfail(ldap_state *x, int lrc, wr_err *err, const char *what)
{
    char *diag = NULL;
    if (x->ld)
        ldap_get_option(x->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
    if (diag && strcmp(diag, "(unknown error code)") == 0)
        *diag = 0;   /* says nothing */
    /* libldap reports a failed TLS handshake (an untrusted certificate,
     * a name mismatch) only as a connection error: say what to check */
    char hint[640] = "";
    if (x->tls && (lrc == LDAP_SERVER_DOWN || lrc == LDAP_CONNECT_ERROR))
        snprintf(hint, sizeof hint, " (TLS: is the server's certificate signed by %s%s and issued for this host?)",
                 x->tls_ca[0] ? "the CA in tls_ca_file " : "a CA the system trusts", x->tls_ca);
    int rc = wr_fail(err, WR_EIO, "ldap %s: %s: %s%s%s%s", x->url, what, ldap_err2string(lrc),
                     diag && *diag ? " — " : "", diag && *diag ? diag : "", hint);
    ldap_memfree(diag);
    return rc;
}

static void copy_opt(const json_t *cfg, const char *key, const char *dflt, char *out, size_t n)
{
    const char *v = json_string_value(json_object_get(cfg, key));
    snprintf(out, n, "%s", v ? v : dflt);
}

/* The read-ahead layer and the receive timeout (see the top of the file),
 * once the connection is up (after StartTLS and the bind). */
static int read_ahead(ldap_state *x, wr_err *err)
{
    Sockbuf *sb = NULL;
    int fd = -1;
    struct timeval rt = {x->timeout_ms / 1000, (x->timeout_ms % 1000) * 1000};
    if (ldap_get_option(x->ld, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS || !sb ||
        ldap_get_option(x->ld, LDAP_OPT_DESC, &fd) != LDAP_OPT_SUCCESS || fd < 0)
        return wr_fail(err, WR_EIO, "ldap %s: no connection after the bind", x->url);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rt, sizeof rt) != 0)
        return wr_fail(err, WR_EIO, "ldap %s: cannot set the receive timeout: %s", x->url, strerror(errno));
    if (ber_sockbuf_add_io(sb, &ber_sockbuf_io_readahead, LBER_SBIOD_LEVEL_PROVIDER, NULL) != 0)
        return wr_fail(err, WR_ENOMEM, "ldap %s: cannot add the read-ahead layer", x->url);
    return WR_OK;
}

static int ldap_open_(const json_t *cfg, const char *system, void **state, wr_err *err)
{
    ldap_state *x = calloc(1, sizeof *x);
    if (!x)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    snprintf(x->system, sizeof x->system, "%s", system);
    copy_opt(cfg, "url", "", x->url, sizeof x->url);
    const char *base = json_string_value(json_object_get(cfg, "base_dn"));
    char dflt[DN_MAX];
    snprintf(dflt, sizeof dflt, "ou=people,%s", base);
    copy_opt(cfg, "people_base", dflt, x->people_base, sizeof x->people_base);
    snprintf(dflt, sizeof dflt, "ou=groups,%s", base);
    copy_opt(cfg, "groups_base", dflt, x->groups_base, sizeof x->groups_base);
    copy_opt(cfg, "user_attr", "uid", x->user_attr, sizeof x->user_attr);
    copy_opt(cfg, "group_attr", "cn", x->group_attr, sizeof x->group_attr);
    json_t *d = json_object_get(cfg, "disable");
    const char *m = json_string_value(json_object_get(d, "method"));
    x->disable_by_group = !m || strcmp(m, "group") == 0;
    copy_opt(d, "group", "disabled", x->disable_group, sizeof x->disable_group);
    copy_opt(d, "attribute", "", x->lock_attr, sizeof x->lock_attr);
    copy_opt(d, "value", "", x->lock_value, sizeof x->lock_value);
    int net_ms;
    (void)conn_opt_ms(cfg, "timeout_ms", WR_CONN_TIMEOUT_DEFAULT_MS, &x->timeout_ms, NULL);
    (void)conn_opt_ms(cfg, "network_timeout_ms", WR_CONN_TIMEOUT_DEFAULT_MS, &net_ms, NULL);
    json_t *ps = json_object_get(cfg, "page_size");
    x->page_size = ps ? (int)json_integer_value(ps) : 500;

    int lrc = ldap_initialize(&x->ld, x->url), rc = WR_OK;
    if (lrc != LDAP_SUCCESS) {
        rc = lfail(x, lrc, err, "initialize");
        goto fail;
    }
    int v3 = LDAP_VERSION3;
    struct timeval net = {net_ms / 1000, (net_ms % 1000) * 1000}, op = {x->timeout_ms / 1000,
                                                                          (x->timeout_ms % 1000) * 1000};
    ldap_set_option(x->ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
    ldap_set_option(x->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    ldap_set_option(x->ld, LDAP_OPT_NETWORK_TIMEOUT, &net);
    ldap_set_option(x->ld, LDAP_OPT_TIMEOUT, &op);
    const char *ca = json_string_value(json_object_get(cfg, "tls_ca_file"));
    x->tls = strncmp(x->url, "ldaps://", 8) == 0 || json_is_true(json_object_get(cfg, "starttls"));
    snprintf(x->tls_ca, sizeof x->tls_ca, "%s", ca ? ca : "");
    const char *req = json_string_value(json_object_get(cfg, "tls_require_cert"));
    if (ca || req) {
        int level = !req || strcmp(req, "demand") == 0 ? LDAP_OPT_X_TLS_DEMAND
                    : strcmp(req, "never") == 0        ? LDAP_OPT_X_TLS_NEVER
                    : strcmp(req, "allow") == 0        ? LDAP_OPT_X_TLS_ALLOW
                                                       : LDAP_OPT_X_TLS_TRY;
        if (ca)
            ldap_set_option(x->ld, LDAP_OPT_X_TLS_CACERTFILE, ca);
        ldap_set_option(x->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &level);
        int zero = 0;
        ldap_set_option(x->ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
    }
    if (json_is_true(json_object_get(cfg, "starttls")) &&
        (lrc = ldap_start_tls_s(x->ld, NULL, NULL)) != LDAP_SUCCESS) {
        rc = lfail(x, lrc, err, "StartTLS");
        goto fail;
    }
    char *pw = NULL;
    if ((rc = conn_secret_read(cfg, "bind_password", &pw, err)))
        goto fail;
    const char *bind_dn = json_string_value(json_object_get(cfg, "bind_dn"));
    struct berval cred = {pw ? strlen(pw) : 0, pw};
    lrc = ldap_sasl_bind_s(x->ld, bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
    conn_secret_free(pw);
    if (lrc != LDAP_SUCCESS) {
        rc = lfail(x, lrc, err, bind_dn ? "bind" : "anonymous bind");
        goto fail;
    }
    if ((rc = read_ahead(x, err)))
        goto fail;
    *state = x;
    return WR_OK;
fail:
    ldap_close(x);
    return rc;
}

/* ---- reading ---------------------------------------------------------------------- */

static int base_search(ldap_state *x, const char *dn, char **attrs, LDAPMessage **res, wr_err *err)
{
    struct timeval tv = {x->timeout_ms / 1000, (x->timeout_ms % 1000) * 1000};
    int lrc = ldap_search_ext_s(x->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL, NULL, &tv, 1, res);
    if (lrc == LDAP_NO_SUCH_OBJECT) {
        ldap_msgfree(*res);
        *res = NULL;
        return wr_fail(err, WR_ENOTFOUND, "ldap %s: %s not found in the directory", x->url, dn);
    }
    if (lrc != LDAP_SUCCESS) {
        ldap_msgfree(*res);
        *res = NULL;
        return lfail(x, lrc, err, dn);
    }
    return WR_OK;
}

/* What one operation touches: the entry to modify, the attribute and the
 * value, and whether the operation adds (or replaces) or removes it. */
typedef struct target {
    char dn[DN_MAX];
    char attr[64];
    char value[DN_MAX];
    int add;          /* grant/disable: 1; revoke/enable: 0 */
    int replace;      /* attribute-method disable: replace, enable: delete all */
} target;

/* The group's member attribute and the account's value in it. */
static int membership(ldap_state *x, const char *group, const char *uid, target *t, wr_err *err)
{
    int rc = make_dn(x->group_attr, group, x->groups_base, t->dn, sizeof t->dn, err);
    if (rc)
        return rc;
    char *attrs[] = {"objectClass", NULL};
    LDAPMessage *res = NULL;
    if ((rc = base_search(x, t->dn, attrs, &res, err)))
        return rc;
    int posix = 0;
    LDAPMessage *e = ldap_first_entry(x->ld, res);
    struct berval **oc = e ? ldap_get_values_len(x->ld, e, "objectClass") : NULL;
    for (int i = 0; oc && oc[i]; i++)
        posix |= oc[i]->bv_len == 10 && strncasecmp(oc[i]->bv_val, "posixGroup", 10) == 0;
    ldap_value_free_len(oc);
    ldap_msgfree(res);
    snprintf(t->attr, sizeof t->attr, "%s", posix ? "memberUid" : "member");
    if (posix) {
        snprintf(t->value, sizeof t->value, "%s", uid);
        return WR_OK;
    }
    return make_dn(x->user_attr, uid, x->people_base, t->value, sizeof t->value, err);
}

/* Resolves op into the modification it means.  need_account: check that
 * the account's entry exists (before adding it anywhere). */
static int resolve(ldap_state *x, const json_t *op, int need_account, target *t, wr_err *err)
{
    memset(t, 0, sizeof *t);
    const char *name = conn_op_name(op);
    const char *uid = conn_local_name(json_string_value(json_object_get(op, "account")), x->system, "account", err);
    if (!uid)
        return err ? err->code : WR_EINVAL;
    int grantish = strcmp(name, "grant") == 0 || strcmp(name, "revoke") == 0;
    int rc;
    t->add = strcmp(name, "grant") == 0 || strcmp(name, "disable") == 0;
    if (need_account && t->add) {
        char udn[DN_MAX];
        char *attrs[] = {"1.1", NULL};
        LDAPMessage *res = NULL;
        if ((rc = make_dn(x->user_attr, uid, x->people_base, udn, sizeof udn, err)) ||
            (rc = base_search(x, udn, attrs, &res, err)))
            return rc;
        ldap_msgfree(res);
    }
    if (grantish) {
        const char *group = conn_local_name(json_string_value(json_object_get(op, "entitlement")), x->system,
                                            "entitlement", err);
        if (!group)
            return err ? err->code : WR_EINVAL;
        return membership(x, group, uid, t, err);
    }
    if (strcmp(name, "disable") && strcmp(name, "enable"))
        return wr_fail(err, WR_EINVAL, "connector ldap cannot %s", name);
    if (x->disable_by_group)
        return membership(x, x->disable_group, uid, t, err);
    if ((rc = make_dn(x->user_attr, uid, x->people_base, t->dn, sizeof t->dn, err)))
        return rc;
    snprintf(t->attr, sizeof t->attr, "%s", x->lock_attr);
    snprintf(t->value, sizeof t->value, "%s", x->lock_value);
    t->replace = 1;
    return WR_OK;
}

/* Does the entry hold the value now? */
static int holds(ldap_state *x, const target *t, int *yes, wr_err *err)
{
    struct berval bv = {strlen(t->value), (char *)t->value};
    int lrc = ldap_compare_ext_s(x->ld, t->dn, t->attr, &bv, NULL, NULL);
    if (lrc == LDAP_COMPARE_TRUE || lrc == LDAP_COMPARE_FALSE) {
        *yes = lrc == LDAP_COMPARE_TRUE;
        return WR_OK;
    }
    if (lrc == LDAP_NO_SUCH_ATTRIBUTE) {
        *yes = 0;
        return WR_OK;
    }
    if (lrc == LDAP_NO_SUCH_OBJECT)
        return wr_fail(err, WR_ENOTFOUND, "ldap %s: %s not found in the directory", x->url, t->dn);
    return lfail(x, lrc, err, t->dn);
}

/* ---- the verbs ------------------------------------------------------------------------ */

static int ldap_plan(void *state, const json_t *op, json_t **plan, wr_err *err)
{
    target t;
    int cur = 0, rc = resolve(state, op, 1, &t, err);
    if (rc || (rc = holds(state, &t, &cur, err)))
        return rc;
    const char *how = t.replace ? (t.add ? "replace" : "delete") : t.add ? "add" : "delete";
    *plan = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "connector", "ldap", "modify", t.dn, "change", how,
                      "attribute", t.attr, "value", t.value, "already_so", cur == t.add);
    return WR_OK;
}

static int ldap_inverse(void *state, const json_t *op, json_t **inverse, wr_err *err)
{
    target t;
    int cur = 0, rc = resolve(state, op, 0, &t, err);
    if (rc || (rc = holds(state, &t, &cur, err)))
        return rc;
    *inverse = conn_inverse_of(op, cur);
    return WR_OK;
}

static int ldap_apply(void *state, const json_t *op, const char *actor, json_t **result, wr_err *err)
{
    (void)actor;
    ldap_state *x = state;
    target t;
    int rc = resolve(x, op, 1, &t, err);
    if (rc)
        return rc;
    char *vals[] = {t.value, NULL};
    LDAPMod mod = {0};
    mod.mod_type = t.attr;
    mod.mod_values = vals;
    mod.mod_op = t.replace ? (t.add ? LDAP_MOD_REPLACE : LDAP_MOD_DELETE) : t.add ? LDAP_MOD_ADD : LDAP_MOD_DELETE;
    if (t.replace && !t.add)
        mod.mod_values = NULL;   /* enable: delete the attribute whatever its value */
    if (t.replace && t.add) {
        int cur = 0;
        if ((rc = holds(x, &t, &cur, err)))
            return rc;
        if (cur) {
            *result = conn_result(0, "already so: nothing to do");
            return WR_OK;
        }
    }
    LDAPMod *mods[] = {&mod, NULL};
    int lrc = ldap_modify_ext_s(x->ld, t.dn, mods, NULL, NULL);
    if (lrc == LDAP_TYPE_OR_VALUE_EXISTS || lrc == LDAP_NO_SUCH_ATTRIBUTE) {
        *result = conn_result(0, "already so: nothing to do");
        return WR_OK;
    }
    if (lrc == LDAP_OBJECT_CLASS_VIOLATION && !t.add)
        return wr_fail(err, WR_EINVAL, "ldap %s: cannot remove %s from %s: the schema forbids it (the last "
                       "member of a groupOfNames cannot be removed)", x->url, t.value, t.dn);
    if (lrc != LDAP_SUCCESS)
        return lfail(x, lrc, err, t.dn);
    char detail[DN_MAX + 128];
    snprintf(detail, sizeof detail, "%s %s %s %s", t.add ? "added" : "removed", t.attr, t.add ? "to" : "from",
             t.dn);
    *result = conn_result(1, detail);
    return WR_OK;
}

static int ldap_readback(void *state, const json_t *op, int *matches, wr_err *err)
{
    target t;
    int cur = 0, rc = resolve(state, op, 0, &t, err);
    if (rc || (rc = holds(state, &t, &cur, err)))
        return rc;
    *matches = cur == t.add;
    return WR_OK;
}

/* ---- listing (paged, RFC 2696) ------------------------------------------------------------ */

/* Appends the value v (len bytes) and a NUL to out: 1 when it did, 0
 * when v holds a NUL (no login does, and the NULs separate them in out),
 * < 0 when out is full. */
static int login_put(wr_buf *out, const char *v, size_t len)
{
    if (memchr(v, 0, len))
        return 0;
    return wr_buf_append(out, v, len) || wr_buf_append(out, "", 1) ? -1 : 1;
}

/* Appends the login in a member DN "<user_attr>=<login>,..." (unescaped)
 * and a NUL to out: as login_put, and 0 when dn names no account. */
static int login_of_dn(ldap_state *x, const struct berval *dn, wr_buf *out)
{
    /* fast path for the common "uid=plain,..." (no escapes, no
     * multi-valued RDN): a million members are parsed per sync */
    size_t ua = strlen(x->user_attr);
    if (dn->bv_len > ua + 1 && strncasecmp(dn->bv_val, x->user_attr, ua) == 0 && dn->bv_val[ua] == '=') {
        const char *v = dn->bv_val + ua + 1, *end = dn->bv_val + dn->bv_len, *p = v;
        while (p < end && *p != ',' && *p != '\\' && *p != '+' && *p != '"' && *p != ' ' && *p != ';' && *p != '<' && *p != '>')
            p++;
        if (p > v && (p == end || *p == ','))
            return login_put(out, v, (size_t)(p - v));
    }
    LDAPDN ldn = NULL;
    int rc = 0;
    if (ldap_bv2dn((struct berval *)dn, &ldn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || !ldn || !ldn[0] ||
        !ldn[0][0]) {
        ldap_dnfree(ldn);
        return 0;
    }
    LDAPAVA *ava = ldn[0][0];
    if (ava->la_attr.bv_len == ua && strncasecmp(ava->la_attr.bv_val, x->user_attr, ua) == 0 &&
        !(ava->la_flags & LDAP_AVA_BINARY))
        rc = login_put(out, ava->la_value.bv_val, ava->la_value.bv_len);
    ldap_dnfree(ldn);
    return rc;
}

typedef int (*entry_fn)(ldap_state *x, LDAPMessage *e, void *arg, wr_err *err);

static int paged_search(ldap_state *x, const char *base, const char *filter, char **attrs, entry_fn fn, void *arg,
                        wr_err *err)
{
    struct berval cookie = {0, NULL};
    struct timeval tv = {x->timeout_ms / 1000, (x->timeout_ms % 1000) * 1000};
    int rc = WR_OK;
    do {
        LDAPControl *page = NULL, *ctrls[2] = {NULL, NULL};
        int lrc = ldap_create_page_control(x->ld, x->page_size, cookie.bv_val ? &cookie : NULL, 1, &page);
        ber_memfree(cookie.bv_val);
        cookie.bv_val = NULL;
        cookie.bv_len = 0;
        if (lrc != LDAP_SUCCESS)
            return lfail(x, lrc, err, "paged results control");
        ctrls[0] = page;
        int msgid = 0;
        lrc = ldap_search_ext(x->ld, base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, ctrls, NULL, &tv, LDAP_NO_LIMIT,
                              &msgid);
        ldap_control_free(page);
        if (lrc != LDAP_SUCCESS)
            return lfail(x, lrc, err, base);
        int done = 0;
        while (!done && rc == WR_OK) {
            LDAPMessage *res = NULL;
            int t = ldap_result(x->ld, msgid, LDAP_MSG_ONE, &tv, &res);
            if (t <= 0) {
                ldap_msgfree(res);
                ldap_abandon_ext(x->ld, msgid, NULL, NULL);
                return t == 0 ? wr_fail(err, WR_EIO, "ldap %s: search of %s timed out after %d ms", x->url, base,
                                        x->timeout_ms)
                              : lfail(x, LDAP_SERVER_DOWN, err, base);
            }
            if (t == LDAP_RES_SEARCH_ENTRY) {
                rc = fn(x, ldap_first_entry(x->ld, res), arg, err);
            } else if (t == LDAP_RES_SEARCH_RESULT) {
                int code = 0;
                LDAPControl **sctrls = NULL;
                lrc = ldap_parse_result(x->ld, res, &code, NULL, NULL, NULL, &sctrls, 0);
                if (lrc != LDAP_SUCCESS || code != LDAP_SUCCESS) {
                    rc = lfail(x, lrc != LDAP_SUCCESS ? lrc : code, err, base);
                } else {
                    LDAPControl *pr = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, sctrls, NULL);
                    ber_int_t count;
                    if (pr && ldap_parse_pageresponse_control(x->ld, pr, &count, &cookie) != LDAP_SUCCESS)
                        rc = wr_fail(err, WR_EIO, "ldap %s: bad paged results response", x->url);
                }
                ldap_controls_free(sctrls);
                done = 1;
            }
            ldap_msgfree(res);
        }
        if (rc) {
            if (!done)
                ldap_abandon_ext(x->ld, msgid, NULL, NULL);
            ber_memfree(cookie.bv_val);
            return rc;
        }
    } while (cookie.bv_val && cookie.bv_len > 0);
    ber_memfree(cookie.bv_val);
    return rc;
}

/* Logins in the disabled group (group method), for account listing. */
typedef struct list_ctx {
    const wr_connector_visitor *v;
    char **disabled;   /* sorted logins */
    size_t ndisabled;
} list_ctx;

/* A listing holds one entry's logins at a time; a group of more than a
 * million members of 1 KiB each is refused rather than grown without end. */
#define LDAP_ENTRY_TEXT_MAX ((size_t)1 << 30)

/* The values of the attributes named in want[0..nwant) (matched without
 * regard to case; at most 4) of entry e into vals[]: libldap's arrays of
 * values that point into the message, one allocation per attribute rather
 * than one per value as ldap_get_values_len makes (a million member
 * values per sync).  Values are not NUL-terminated.  The caller frees
 * each vals[k] with ber_memfree. */
static int entry_values(ldap_state *x, LDAPMessage *e, const char *const *want, int nwant, struct berval **vals,
                        wr_err *err)
{
    BerElement *ber = NULL;
    struct berval dn, attr, *v = NULL;
    for (int k = 0; k < nwant; k++)
        vals[k] = NULL;
    if (ldap_get_dn_ber(x->ld, e, &ber, &dn) != LDAP_SUCCESS)
        return wr_fail(err, WR_EIO, "ldap %s: a listed entry cannot be parsed", x->url);
    while (ldap_get_attribute_ber(x->ld, e, ber, &attr, &v) == LDAP_SUCCESS && attr.bv_val) {
        int k = 0;
        while (k < nwant && !(attr.bv_len == strlen(want[k]) && strncasecmp(attr.bv_val, want[k], attr.bv_len) == 0))
            k++;
        if (k < nwant && !vals[k]) {
            vals[k] = v;
        } else {
            ber_memfree(v);
        }
        v = NULL;
    }
    ber_free(ber, 0);
    return WR_OK;
}

/* The logins an entry names: from member DNs (m) and memberUid values
 * (u), in x->text and x->ptrs; *n of them, valid until the next call. */
static int entry_logins(ldap_state *x, const struct berval *m, const struct berval *u, const char ***out, size_t *n,
                        wr_err *err)
{
    wr_buf_reset(&x->text);
    wr_buf_reset(&x->ptrs);
    x->text.max = x->ptrs.max = LDAP_ENTRY_TEXT_MAX;
    size_t k = 0;
    int rc = 0;
    for (size_t i = 0; m && m[i].bv_val && rc >= 0; i++)
        if ((rc = login_of_dn(x, &m[i], &x->text)) == 1)
            k++;
    for (size_t i = 0; u && u[i].bv_val && rc >= 0; i++)
        if ((rc = login_put(&x->text, u[i].bv_val, u[i].bv_len)) == 1)
            k++;
    if (rc >= 0 && wr_buf_reserve(&x->ptrs, k * sizeof(char *)))
        rc = -1;
    if (rc < 0)
        return wr_fail(err, WR_ELIMIT, "ldap %s: a listed entry over %zu bytes of members", x->url,
                       LDAP_ENTRY_TEXT_MAX);
    /* pointers only now: text may have moved while it grew */
    const char **p = (const char **)(void *)x->ptrs.data;
    for (size_t i = 0, off = 0; i < k; i++) {
        p[i] = x->text.data + off;
        off += strlen(p[i]) + 1;
    }
    x->ptrs.len = k * sizeof(char *);
    *out = p;
    *n = k;
    return WR_OK;
}

/* The first value of v as a NUL-terminated string in x->text, or NULL. */
static const char *first_value(ldap_state *x, const struct berval *v)
{
    wr_buf_reset(&x->text);
    x->text.max = LDAP_ENTRY_TEXT_MAX;
    return v && v[0].bv_val && login_put(&x->text, v[0].bv_val, v[0].bv_len) == 1 ? x->text.data : NULL;
}

static int on_group(ldap_state *x, LDAPMessage *e, void *arg, wr_err *err)
{
    list_ctx *lc = arg;
    const char *want[3] = {x->group_attr, "member", "memberUid"};
    struct berval *v[3];
    int rc = entry_values(x, e, want, 3, v, err);
    /* the name on its own: entry_logins reuses x->text */
    char *name = NULL;
    if (rc == WR_OK && v[0] && v[0][0].bv_val && !(name = strndup(v[0][0].bv_val, v[0][0].bv_len)))
        rc = wr_fail(err, WR_ENOMEM, "out of memory");
    if (name) {
        const char **mem = NULL;
        size_t n = 0;
        rc = entry_logins(x, v[1], v[2], &mem, &n, err);
        if (rc == WR_OK && !(x->disable_by_group && strcmp(name, x->disable_group) == 0))
            rc = lc->v->group(lc->v->arg, name, mem, n, err);
    }
    free(name);
    for (int k = 0; k < 3; k++)
        ber_memfree(v[k]);
    return rc;
}

static int on_account(ldap_state *x, LDAPMessage *e, void *arg, wr_err *err)
{
    list_ctx *lc = arg;
    const char *want[2] = {x->user_attr, x->lock_attr};
    struct berval *v[2];
    int rc = entry_values(x, e, want, x->disable_by_group ? 1 : 2, v, err);
    const char *login = rc == WR_OK ? first_value(x, v[0]) : NULL;
    if (login) {
        int disabled = 0;
        if (x->disable_by_group) {
            disabled = lc->ndisabled && bsearch(&login, lc->disabled, lc->ndisabled, sizeof *lc->disabled, conn_str_cmp);
        } else {
            size_t lvl = strlen(x->lock_value);
            for (size_t i = 0; v[1] && v[1][i].bv_val; i++)
                disabled |= v[1][i].bv_len == lvl && memcmp(v[1][i].bv_val, x->lock_value, lvl) == 0;
        }
        rc = lc->v->account(lc->v->arg, login, disabled, err);
    }
    for (int k = 0; k < (x->disable_by_group ? 1 : 2); k++)
        ber_memfree(v[k]);
    return rc;
}

static void free_strs(char **s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        free(s[i]);
    free(s);
}

/* The members of the disabled group, e, as a sorted array of logins of
 * their own (the listing's buffers are reused by every entry). */
static int disabled_logins(ldap_state *x, LDAPMessage *e, list_ctx *lc, wr_err *err)
{
    const char *want[2] = {"member", "memberUid"};
    struct berval *v[2];
    const char **mem = NULL;
    size_t n = 0;
    int rc = entry_values(x, e, want, 2, v, err);
    if (rc == WR_OK)
        rc = entry_logins(x, v[0], v[1], &mem, &n, err);
    ber_memfree(v[0]);
    ber_memfree(v[1]);
    if (rc)
        return rc;
    if (!(lc->disabled = calloc(n + 1, sizeof *lc->disabled)))
        return wr_fail(err, WR_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!(lc->disabled[i] = strdup(mem[i])))
            return wr_fail(err, WR_ENOMEM, "out of memory");
        lc->ndisabled++;
    }
    qsort(lc->disabled, lc->ndisabled, sizeof *lc->disabled, conn_str_cmp);
    return WR_OK;
}

static int ldap_list(void *state, const wr_connector_visitor *v, wr_err *err)
{
    ldap_state *x = state;
    list_ctx lc = {v, NULL, 0};
    int rc;
    if (x->disable_by_group) {
        char dn[DN_MAX];
        char *attrs[] = {"member", "memberUid", NULL};
        LDAPMessage *res = NULL;
        if ((rc = make_dn(x->group_attr, x->disable_group, x->groups_base, dn, sizeof dn, err)))
            return rc;
        rc = base_search(x, dn, attrs, &res, err);
        if (rc == WR_OK && ldap_first_entry(x->ld, res))
            rc = disabled_logins(x, ldap_first_entry(x->ld, res), &lc, err);
        ldap_msgfree(res);
        if (rc && rc != WR_ENOTFOUND) {
            free_strs(lc.disabled, lc.ndisabled);
            return rc;
        }
    }
    char filter[256];
    snprintf(filter, sizeof filter, "(%s=*)", x->user_attr);
    char *uattrs[] = {x->user_attr, x->disable_by_group ? NULL : x->lock_attr, NULL};
    char *gattrs[] = {x->group_attr, "member", "memberUid", NULL};
    const char *gfilter = "(|(objectClass=groupOfNames)(objectClass=posixGroup))";
    rc = WR_OK;   /* a missing disabled group disables nobody */
    if (v->groups_first)
        rc = paged_search(x, x->groups_base, gfilter, gattrs, on_group, &lc, err);
    if (rc == WR_OK)
        rc = paged_search(x, x->people_base, filter, uattrs, on_account, &lc, err);
    if (rc == WR_OK && !v->groups_first)
        rc = paged_search(x, x->groups_base, gfilter, gattrs, on_group, &lc, err);
    free_strs(lc.disabled, lc.ndisabled);
    return rc;
}

const conn_kind conn_kind_ldap = {
    "ldap",
    WR_CONN_CAP_GRANT | WR_CONN_CAP_REVOKE | WR_CONN_CAP_DISABLE | WR_CONN_CAP_ENABLE | WR_CONN_CAP_READ |
        WR_CONN_CAP_LIST,
    ldap_check, ldap_open_, ldap_close, ldap_plan, ldap_inverse, ldap_apply, ldap_readback, ldap_list, NULL};
