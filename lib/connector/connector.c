/*
 * connector.c — the table of connector kinds and the generic layer every
 * governed change goes through to reach its target.
 *
 * The table (kinds[]) is the only place that knows which kinds exist; a
 * connector is an opened row: the kind, its private state, the inventory
 * store and the system it serves.  The generic layer adds what every kind
 * shares, so implementations stay small:
 *   - the inventory connector is a thin adapter over wr_inventory_op_*;
 *   - ownership transfer is inventory metadata: whatever the system's kind,
 *     it goes to the inventory connector;
 *   - capabilities are checked before anything is planned or applied;
 *   - an external inverse is reconciled with the inventory's: the target
 *     decides *which* operation undoes (it is the truth), the inventory
 *     supplies the metadata (granted_at, granted_by, expires_at) when it
 *     agrees, so a rollback restores the exact prior record.
 */
#include "connector_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the inventory connector ---------------------------------------------- */

static int inv_plan(void *state, const json_t *op, json_t **plan, wr_err *err)
{
    (void)state;
    (void)err;
    *plan = json_pack("{s:s,s:O}", "connector", "inventory", "operation", op);
    return WR_OK;
}

static int inv_inverse(void *state, const json_t *op, json_t **inverse, wr_err *err)
{
    return wr_inventory_op_inverse(state, op, inverse, err);
}

static int inv_apply(void *state, const json_t *op, const char *actor, json_t **result, wr_err *err)
{
    return wr_inventory_op_apply(state, op, actor, result, err);
}

static int inv_readback(void *state, const json_t *op, int *matches, wr_err *err)
{
    return wr_inventory_op_readback(state, op, matches, err);
}

static const conn_kind conn_kind_inventory = {
    "inventory",
    WR_CONN_CAP_GRANT | WR_CONN_CAP_REVOKE | WR_CONN_CAP_DISABLE | WR_CONN_CAP_ENABLE |
        WR_CONN_CAP_ROTATE | WR_CONN_CAP_READ | WR_CONN_CAP_TRANSFER,
    NULL, NULL, NULL, inv_plan, inv_inverse, inv_apply, inv_readback, NULL, NULL};

/* ---- the table -------------------------------------------------------------- */

static const conn_kind *const kinds[] = {&conn_kind_inventory, &conn_kind_ldap, &conn_kind_exec, &conn_kind_scim};

static const conn_kind *kind_find(const char *name)
{
    if (!name)
        return &conn_kind_inventory;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i]->name, name) == 0)
            return kinds[i];
    return NULL;
}

struct wr_connector {
    const conn_kind *kind;
    unsigned caps;     /* the kind's, narrowed by the configuration */
    void *state;       /* the kind's; the store itself for "inventory" */
    wr_store *inv;
    char system[256];
};

int wr_connector_kind_known(const char *kind)
{
    return kind_find(kind) != NULL;
}

int wr_connector_config_check(const char *kind, const json_t *config, wr_err *err)
{
    const conn_kind *k = kind_find(kind);
    if (!k)
        return wr_fail(err, WR_EINVAL, "connector: unknown kind '%s' (inventory, ldap, exec)", kind);
    if (!k->check)
        return WR_OK;
    if (!json_is_object(config))
        return wr_fail(err, WR_EINVAL, "connector_config: expected a JSON object for connector %s", kind);
    return k->check(config, err);
}

/* The system's row and the kind of its connector; *sys (caller decrefs)
 * is NULL for the inventory connector of force_inventory. */
static int system_kind(wr_store *inv, const char *system, int force_inventory, json_t **sys,
                       const conn_kind **kind, wr_err *err)
{
    const char *kname = NULL;
    int rc;
    *sys = NULL;
    if (system && !force_inventory) {
        if ((rc = wr_inventory_system_get(inv, system, sys, err)))
            return rc;
        kname = json_string_value(json_object_get(*sys, "connector"));
        if (kname && (!*kname || strcmp(kname, "inventory") == 0))
            kname = NULL;
    }
    if (!(*kind = kind_find(kname))) {
        rc = wr_fail(err, WR_EINVAL, "system %s: unknown connector '%s' (inventory, ldap, exec)", system, kname);
        json_decref(*sys);
        *sys = NULL;
        return rc;
    }
    return WR_OK;
}

static unsigned caps_of(const conn_kind *k, const json_t *sys)
{
    const json_t *cfg = json_object_get(sys, "connector_config");
    return k->caps_of && json_is_object(cfg) ? k->caps & k->caps_of(cfg) : k->caps;
}

int wr_connector_open(wr_store *inv, const char *system, int force_inventory, wr_connector **out,
                      wr_err *err)
{
    json_t *sys = NULL;
    const conn_kind *k = NULL;
    int rc = system_kind(inv, system, force_inventory, &sys, &k, err);
    if (rc)
        return rc;
    wr_connector *c = calloc(1, sizeof *c);
    if (!c) {
        json_decref(sys);
        return wr_fail(err, WR_ENOMEM, "out of memory");
    }
    c->kind = k;
    c->caps = caps_of(k, sys);
    c->inv = inv;
    snprintf(c->system, sizeof c->system, "%s", system ? system : "");
    if (k == &conn_kind_inventory) {
        c->state = inv;
    } else {
        const json_t *cfg = json_object_get(sys, "connector_config");
        if (!json_is_object(cfg))
            rc = wr_fail(err, WR_EINVAL, "system %s: connector %s needs a connector_config object", system,
                         k->name);
        else if ((rc = k->check(cfg, err)) == WR_OK)
            rc = k->open(cfg, system, &c->state, err);
        if (rc) {
            wr_fail_wrap(err, "system %s (connector %s)", system, k->name);
            free(c);
            json_decref(sys);
            return rc;
        }
    }
    json_decref(sys);
    *out = c;
    return WR_OK;
}

void wr_connector_close(wr_connector *c)
{
    if (!c)
        return;
    if (c->kind->close)
        c->kind->close(c->state);
    free(c);
}

const char *wr_connector_kind_name(const wr_connector *c)
{
    return c->kind->name;
}

unsigned wr_connector_caps(const wr_connector *c)
{
    return c->caps;
}

/* ---- dispatch ------------------------------------------------------------------- */

static const struct {
    const char *op;
    unsigned cap;
} cap_names[] = {{"grant", WR_CONN_CAP_GRANT},     {"revoke", WR_CONN_CAP_REVOKE},
                 {"disable", WR_CONN_CAP_DISABLE}, {"enable", WR_CONN_CAP_ENABLE},
                 {"rotate_credential", WR_CONN_CAP_ROTATE},
                 {"transfer_ownership", WR_CONN_CAP_TRANSFER}, {"list", WR_CONN_CAP_LIST}};

unsigned conn_cap_of(const char *name)
{
    for (size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++)
        if (strcmp(cap_names[i].op, name) == 0)
            return cap_names[i].cap;
    return 0;
}

/* Ownership is Warrant's metadata, not the target's. */
static int inventory_only(const json_t *op)
{
    return strcmp(conn_op_name(op), "transfer_ownership") == 0;
}

/* The kind and state that serve op. */
static const conn_kind *route(const wr_connector *c, const json_t *op, void **state)
{
    if (c->kind == &conn_kind_inventory || inventory_only(op)) {
        *state = c->inv;
        return &conn_kind_inventory;
    }
    *state = c->state;
    return c->kind;
}

int wr_connector_supports(const wr_connector *c, const json_t *op, wr_err *err)
{
    const char *name = conn_op_name(op);
    unsigned cap = conn_cap_of(name);
    if (!cap || cap == WR_CONN_CAP_LIST)
        return wr_fail(err, WR_EINVAL, "op.op: unknown operation '%s'", name);
    void *st;
    const conn_kind *k = route(c, op, &st);
    if (!((k == c->kind ? c->caps : k->caps) & cap)) {
        /* say what it can do, so the proposer knows the way forward */
        char can[160] = "";
        for (size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++)
            if ((c->caps & cap_names[i].cap) && cap_names[i].cap != WR_CONN_CAP_LIST &&
                cap_names[i].cap != WR_CONN_CAP_TRANSFER)
                snprintf(can + strlen(can), sizeof can - strlen(can), "%s%s", can[0] ? ", " : "", cap_names[i].op);
        return wr_fail(err, WR_EINVAL, "system %s: connector %s cannot %s (it can: %s)", c->system, c->kind->name,
                       name, can[0] ? can : "nothing");
    }
    return WR_OK;
}

int wr_connector_check_op(wr_store *inv, const char *system, int force_inventory, const json_t *op, wr_err *err)
{
    json_t *sys = NULL;
    const conn_kind *k = NULL;
    int rc = system_kind(inv, system, force_inventory, &sys, &k, err);
    if (rc)
        return rc;
    /* an unopened connector: the kind and its capabilities are all that
     * wr_connector_supports reads */
    wr_connector c;
    memset(&c, 0, sizeof c);
    c.kind = k;
    c.caps = caps_of(k, sys);
    c.inv = inv;
    snprintf(c.system, sizeof c.system, "%s", system ? system : "");
    json_decref(sys);
    return wr_connector_supports(&c, op, err);
}

int wr_connector_plan(wr_connector *c, const json_t *op, json_t **plan, wr_err *err)
{
    void *st;
    int rc = wr_connector_supports(c, op, err);
    return rc ? rc : route(c, op, &st)->plan(st, op, plan, err);
}

int wr_connector_inverse(wr_connector *c, const json_t *op, json_t **inverse, wr_err *err)
{
    void *st;
    const conn_kind *k = route(c, op, &st);
    json_t *tinv = NULL, *iinv = NULL;
    int rc = wr_connector_supports(c, op, err);
    if (rc || (rc = k->inverse(st, op, &tinv, err)))
        return rc;
    if (k == &conn_kind_inventory) {
        *inverse = tinv;
        return WR_OK;
    }
    /* the target decides which operation undoes; the inventory, when it
     * agrees, supplies the metadata of the record to restore */
    if (wr_inventory_op_inverse(c->inv, op, &iinv, NULL) == WR_OK &&
        strcmp(conn_op_name(iinv), conn_op_name(tinv)) == 0) {
        json_decref(tinv);
        *inverse = iinv;
        return WR_OK;
    }
    json_decref(iinv);
    *inverse = tinv;
    return WR_OK;
}

int wr_connector_apply(wr_connector *c, const json_t *op, const char *actor, json_t **result, wr_err *err)
{
    void *st;
    int rc = wr_connector_supports(c, op, err);
    return rc ? rc : route(c, op, &st)->apply(st, op, actor, result, err);
}

int wr_connector_readback(wr_connector *c, const json_t *op, int *matches, wr_err *err)
{
    void *st;
    int rc = wr_connector_supports(c, op, err);
    return rc ? rc : route(c, op, &st)->readback(st, op, matches, err);
}

int wr_connector_record(wr_connector *c, const json_t *op, const char *actor, wr_err *err)
{
    void *st;
    if (route(c, op, &st) == &conn_kind_inventory)
        return WR_OK;   /* apply already changed the inventory */
    json_t *res = NULL;
    int rc = wr_inventory_op_apply(c->inv, op, actor, &res, err);
    json_decref(res);
    return rc;
}

int wr_connector_list(wr_connector *c, const wr_connector_visitor *v, wr_err *err)
{
    if (!(c->caps & WR_CONN_CAP_LIST) || !c->kind->list)
        return wr_fail(err, WR_EINVAL, "system %s: connector %s cannot list accounts and groups", c->system,
                       c->kind->name);
    return c->kind->list(c->state, v, err);
}

/* ---- shared helpers ----------------------------------------------------------------- */

const char *conn_op_name(const json_t *op)
{
    const char *s = json_string_value(json_object_get(op, "op"));
    return s ? s : "";
}

int conn_str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *conn_inverse_of(const json_t *op, int cur)
{
    const char *name = conn_op_name(op);
    if (strcmp(name, "grant") == 0 || strcmp(name, "revoke") == 0)
        return json_pack("{s:s,s:O,s:O}", "op", cur ? "grant" : "revoke", "account", json_object_get(op, "account"),
                         "entitlement", json_object_get(op, "entitlement"));
    return json_pack("{s:s,s:O}", "op", cur ? "disable" : "enable", "account", json_object_get(op, "account"));
}

json_t *conn_result(int changed, const char *detail)
{
    return json_pack("{s:b,s:s}", "changed", changed, "detail", detail);
}

const char *conn_local_name(const char *id, const char *system, const char *what, wr_err *err)
{
    size_t n = strlen(system);
    if (!id || strncmp(id, system, n) != 0 || id[n] != ':' || !id[n + 1]) {
        wr_fail(err, WR_EINVAL, "op.%s: '%s' is not of the form %s:<name>", what, id ? id : "", system);
        return NULL;
    }
    return id + n + 1;
}

int conn_opt_ms(const json_t *config, const char *key, int dflt, int *out, wr_err *err)
{
    json_t *v = json_object_get(config, key);
    if (!v) {
        *out = dflt;
        return WR_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) > 3600000)
        return wr_fail(err, WR_EINVAL, "connector_config.%s: expected milliseconds (1..3600000)", key);
    *out = (int)json_integer_value(v);
    return WR_OK;
}

int conn_secret_read(const json_t *config, const char *prefix, char **out, wr_err *err)
{
    char key[64];
    snprintf(key, sizeof key, "%s_file", prefix);
    const char *file = json_string_value(json_object_get(config, key));
    snprintf(key, sizeof key, "%s_env", prefix);
    const char *env = json_string_value(json_object_get(config, key));
    *out = NULL;
    if (file) {
        char *text = NULL;
        size_t len = 0;
        int rc = wr_file_read(file, WR_CONN_SECRET_MAX, &text, &len, err);
        if (rc)
            return wr_fail_wrap(err, "connector_config.%s_file", prefix);
        while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
            text[--len] = 0;
        *out = text;
        return WR_OK;
    }
    if (env) {
        const char *v = getenv(env);
        if (!v)
            return wr_fail(err, WR_EINVAL, "connector_config.%s_env: environment variable %s is not set", prefix,
                           env);
        if (strlen(v) > WR_CONN_SECRET_MAX)
            return wr_fail(err, WR_ELIMIT, "connector_config.%s_env: secret over %d bytes", prefix,
                           WR_CONN_SECRET_MAX);
        if (!(*out = strdup(v)))
            return wr_fail(err, WR_ENOMEM, "out of memory");
    }
    return WR_OK;
}

void conn_secret_free(char *s)
{
    if (!s)
        return;
    wr_wipe(s, strlen(s));
    free(s);
}

/* ---- the system's connector in the inventory ------------------------------------------ */

int wr_inventory_system_set_connector(wr_store *s, const char *system, const char *kind, const json_t *config,
                                      wr_err *err)
{
    if (kind && strcmp(kind, "inventory") == 0)
        kind = NULL;
    int rc = wr_connector_config_check(kind, config, err);
    if (rc)
        return rc;
    json_t *sys = NULL;
    if ((rc = wr_inventory_system_get(s, system, &sys, err)))
        return rc;
    json_decref(sys);
    if (config && json_object_get(config, "bind_password"))
        return wr_fail(err, WR_EINVAL, "connector_config.bind_password: secrets are never stored; name a "
                       "bind_password_file or bind_password_env instead");
    /* through the importer, so the change is journalled like any other */
    json_t *row = json_pack("{s:s,s:o,s:o}", "id", system, "connector", kind ? json_string(kind) : json_null(),
                            "connector_config", kind && config ? json_deep_copy(config) : json_null());
    json_t *doc = json_pack("{s:[o]}", "systems", row);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    wr_import_opts o = {0};
    o.format = "json";
    wr_import_stats st;
    json_t *problems = NULL;
    rc = wr_inventory_import_buffer(s, "set-connector", text, strlen(text), &o, &st, &problems, err);
    free(text);
    if (rc == WR_OK && st.rejected)
        rc = wr_fail(err, WR_EINVAL, "system %s: %s", system,
                     json_string_value(json_object_get(json_array_get(problems, 0), "message")));
    json_decref(problems);
    return rc;
}
