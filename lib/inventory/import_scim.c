/*
 * import_scim.c — SCIM 2.0 front-end of the importer (RFC 7643 resources
 * as an identity provider exports them).
 *
 * Input: a ListResponse ({"Resources":[...]}), an array of resources, or
 * one resource.  A resource is a User or a Group by its "schemas".
 *
 *   User  -> identity: id = userName; name = name.formatted, else
 *            givenName familyName, else displayName; email = the primary
 *            (else first) emails[].value; title; status = active ? active :
 *            terminated; from the Enterprise User extension
 *            (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User)
 *            department and manager.value (a SCIM id, mapped to that
 *            user's userName when the file has it).  With --system S each
 *            user also gets an account S:<userName> (disabled when not
 *            active), so group memberships have an account to land on.
 *   Group -> entitlement S:<displayName> of the system named by --system;
 *            members[].value (SCIM ids of users) -> grants of that
 *            entitlement to S:<userName>.
 *
 * Users are merged before groups, whatever the order in the file, and
 * problems carry the JSON path of the resource ("file: $.Resources[4]").
 */
#include "import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCIM_USER "urn:ietf:params:scim:schemas:core:2.0:User"
#define SCIM_GROUP "urn:ietf:params:scim:schemas:core:2.0:Group"
#define SCIM_ENTERPRISE "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

static int has_schema(const json_t *r, const char *urn)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r, "schemas"), i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), urn) == 0)
            return 1;
    }
    return 0;
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* userName of the user with SCIM id `id` in the file, else id itself. */
static const char *user_name_of(const json_t *users_by_id, const char *id)
{
    const char *u = json_string_value(json_object_get(users_by_id, id));
    return u ? u : id;
}

static int import_user(inv_import *im, const json_t *r, const json_t *by_id, const char *where,
                       wr_err *err)
{
    const char *user = str(r, "userName");
    if (!user) {
        inv_import_reject(im, where, "userName: missing (a SCIM User needs a userName)");
        return WR_OK;
    }
    json_t *active = json_object_get(r, "active");
    if (active && !json_is_boolean(active)) {
        inv_import_reject(im, where, "active: expected true or false");
        return WR_OK;
    }
    json_t *o = json_pack("{s:s,s:s,s:s}", "id", user, "kind", "human", "status",
                          !active || json_is_true(active) ? "active" : "terminated");
    const json_t *name = json_object_get(r, "name");
    char full[2 * WR_INV_FIELD_MAX + 2];
    if (str(name, "formatted")) {
        json_object_set_new(o, "name", json_string(str(name, "formatted")));
    } else if (str(name, "givenName") || str(name, "familyName")) {
        snprintf(full, sizeof full, "%s%s%s", str(name, "givenName") ? str(name, "givenName") : "",
                 str(name, "givenName") && str(name, "familyName") ? " " : "",
                 str(name, "familyName") ? str(name, "familyName") : "");
        json_object_set_new(o, "name", json_string(full));
    } else if (str(r, "displayName")) {
        json_object_set_new(o, "name", json_string(str(r, "displayName")));
    }
    size_t i;
    json_t *e;
    const char *email = NULL;
    json_array_foreach(json_object_get(r, "emails"), i, e) {
        if (!email || json_is_true(json_object_get(e, "primary")))
            email = str(e, "value") ? str(e, "value") : email;
    }
    if (email)
        json_object_set_new(o, "email", json_string(email));
    if (str(r, "title"))
        json_object_set_new(o, "title", json_string(str(r, "title")));
    const json_t *ent = json_object_get(r, SCIM_ENTERPRISE);
    if (str(ent, "department"))
        json_object_set_new(o, "department", json_string(str(ent, "department")));
    const char *mgr = str(json_object_get(ent, "manager"), "value");
    if (mgr)
        json_object_set_new(o, "manager", json_string(user_name_of(by_id, mgr)));
    int rc = inv_import_json_object(im, K_IDENTITIES, o, where, err);
    json_decref(o);
    return rc;
}

static int import_account(inv_import *im, const json_t *r, const char *sys, const char *where,
                          wr_err *err)
{
    const char *user = str(r, "userName");
    if (!user)
        return WR_OK;  /* already reported with the identity */
    json_t *active = json_object_get(r, "active");
    json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "system", sys, "login", user, "identity", user,
                          "status", !active || json_is_true(active) ? "active" : "disabled");
    int rc = inv_import_json_object(im, K_ACCOUNTS, o, where, err);
    json_decref(o);
    return rc;
}

static int import_group(inv_import *im, const json_t *r, const json_t *by_id, const char *sys,
                        const char *where, wr_err *err)
{
    const char *name = str(r, "displayName");
    if (!name) {
        inv_import_reject(im, where, "displayName: missing (a SCIM Group needs a displayName)");
        return WR_OK;
    }
    json_t *o = json_pack("{s:s,s:s,s:s}", "system", sys, "name", name, "description",
                          "SCIM group");
    int rc = inv_import_json_object(im, K_ENTITLEMENTS, o, where, err);
    json_decref(o);
    if (rc)
        return rc;
    size_t i;
    json_t *m;
    char mwhere[700], acc[2 * WR_INV_FIELD_MAX + 2], entl[2 * WR_INV_FIELD_MAX + 2];
    snprintf(entl, sizeof entl, "%s:%s", sys, name);
    json_array_foreach(json_object_get(r, "members"), i, m) {
        snprintf(mwhere, sizeof mwhere, "%s.members[%zu]", where, i);
        const char *value = str(m, "value");
        if (!value) {
            inv_import_reject(im, mwhere, "value: missing");
            continue;
        }
        snprintf(acc, sizeof acc, "%s:%s", sys, user_name_of(by_id, value));
        json_t *g = json_pack("{s:s,s:s}", "account", acc, "entitlement", entl);
        rc = inv_import_json_object(im, K_GRANTS, g, mwhere, err);
        json_decref(g);
        if (rc)
            return rc;
    }
    return WR_OK;
}

int inv_import_scim(inv_import *im, const char *name, const char *data, size_t len, wr_err *err)
{
    json_error_t je;
    json_t *root = json_loadb(data, len, 0, &je);
    if (!root)
        return wr_fail(err, WR_EINVAL, "%s:%d:%d: %s", name, je.line, je.column, je.text);
    json_t *list = root;
    const char *base = "$";
    if (json_is_object(root) && json_is_array(json_object_get(root, "Resources"))) {
        list = json_object_get(root, "Resources");
        base = "$.Resources";
    } else if (json_is_object(root)) {
        list = json_pack("[O]", root);
        json_decref(root);
        root = list;
    } else if (!json_is_array(root)) {
        json_decref(root);
        return wr_fail(err, WR_EINVAL, "%s: expected a SCIM ListResponse, an array of resources "
                       "or a resource", name);
    }
    const char *sys = inv_import_opts(im)->system;
    json_t *by_id = json_object(), *r;
    size_t i;
    json_array_foreach(list, i, r) {
        if (has_schema(r, SCIM_USER) && str(r, "id") && str(r, "userName"))
            json_object_set_new(by_id, str(r, "id"), json_string(str(r, "userName")));
    }
    int rc = WR_OK;
    char where[600];
    /* pass 0: users, 1: their accounts, 2: groups and memberships */
    for (int pass = 0; pass < 3 && rc == WR_OK; pass++) {
        json_array_foreach(list, i, r) {
            snprintf(where, sizeof where, "%s: %s[%zu]", name, base, i);
            int user = has_schema(r, SCIM_USER), group = has_schema(r, SCIM_GROUP);
            if (pass == 0 && !user && !group)
                inv_import_reject(im, where, "not a SCIM User or Group (schemas)");
            else if (pass == 0 && user)
                rc = import_user(im, r, by_id, where, err);
            else if (pass == 1 && user && sys)
                rc = import_account(im, r, sys, where, err);
            else if (pass == 2 && group && !sys)
                inv_import_reject(im, where, "a SCIM Group becomes an entitlement of a system: "
                                  "name it with --system");
            else if (pass == 2 && group)
                rc = import_group(im, r, by_id, sys, where, err);
            if (rc)
                break;
        }
    }
    json_decref(by_id);
    json_decref(root);
    return rc;
}
