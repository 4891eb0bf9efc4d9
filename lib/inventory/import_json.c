/*
 * import_json.c — JSON front-end of the importer.
 *
 * A file is an array of objects of one kind (the kind from --kind, the
 * file name, or guessed from the first object's keys), or an object whose
 * members are kinds: {"identities":[...],"systems":[...],...}, imported in
 * dependency order (identities, systems, entitlements, accounts, grants,
 * credentials, roles) whatever their order in the file.  Values are
 * strings or null; timestamps may also be integers (unix seconds) and
 * connector_config an object.  Problems are reported with the file name
 * and the JSON path of the object ("file: $.grants[12]").
 */
#include "import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int inv_import_json_object(inv_import *im, int kind, const json_t *obj, const char *where,
                           wr_err *err)
{
    if (!json_is_object(obj)) {
        inv_import_reject(im, where, "expected an object");
        return WR_OK;
    }
    inv_row row;
    memset(&row, 0, sizeof row);
    row.kind = kind;
    char times[INV_MAXCOL][21];
    char *dumped[INV_MAXCOL] = {0};
    const char *key;
    json_t *v;
    int rc = WR_OK;
    json_object_foreach((json_t *)obj, key, v) {
        int c = inv_col_index(kind, key);
        if (c < 0)
            continue;
        row.present[c] = 1;
        if (json_is_null(v))
            continue;
        if (json_is_string(v)) {
            row.v[c] = json_string_value(v);
            row.len[c] = json_string_length(v);
        } else if (json_is_integer(v) && strstr(key, "_at")) {
            if (json_integer_value(v) < 0 || json_integer_value(v) > 253402300799LL) {
                inv_import_reject(im, where, "%s: timestamp out of range", key);
                goto out;
            }
            wr_time_format((int64_t)json_integer_value(v), times[c]);
            row.v[c] = times[c];
            row.len[c] = strlen(times[c]);
        } else if (json_is_object(v) && strcmp(key, "connector_config") == 0) {
            dumped[c] = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
            row.v[c] = dumped[c] ? dumped[c] : "";
            row.len[c] = strlen(row.v[c]);
        } else {
            inv_import_reject(im, where, "%s: expected a string", key);
            goto out;
        }
    }
    rc = inv_import_row(im, &row, where, err);
out:
    for (int c = 0; c < INV_MAXCOL; c++)
        free(dumped[c]);
    return rc;
}

static int import_array(inv_import *im, int kind, const json_t *arr, const char *name,
                        const char *path, wr_err *err)
{
    size_t i, n = json_array_size(arr);
    json_t *o;
    char where[600];
    json_array_foreach(arr, i, o) {
        snprintf(where, sizeof where, "%s: %s[%zu]", name, path, i);
        int rc = inv_import_json_object(im, kind, o, where, err);
        if (rc)
            return rc;
        if ((i + 1) % 65536 == 0)
            inv_import_progress(im, i + 1, n);
    }
    return WR_OK;
}

int inv_import_json(inv_import *im, const char *name, const char *data, size_t len, wr_err *err)
{
    json_error_t je;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return wr_fail(err, WR_EINVAL, "%s:%d:%d: %s", name, je.line, je.column, je.text);
    int rc = WR_OK;
    if (json_is_array(root)) {
        int kind = inv_import_kind_of(im, name);
        json_t *first = json_array_get(root, 0);
        if (kind < 0 && json_is_object(first)) {
            const char *keys[64], *key;
            int n = 0;
            json_t *v;
            json_object_foreach(first, key, v) {
                if (n < 64)
                    keys[n++] = key;
            }
            kind = inv_kind_guess(keys, n);
        }
        if (kind < 0 && json_array_size(root))
            rc = wr_fail(err, WR_EINVAL, "%s: cannot tell what the array holds: use --kind", name);
        else if (kind >= 0)
            rc = import_array(im, kind, root, name, "$", err);
    } else if (json_is_object(root)) {
        const char *key;
        json_t *v;
        json_object_foreach(root, key, v) {
            if (inv_kind_parse(key) < 0) {
                rc = wr_fail(err, WR_EINVAL, "%s: $.%s: not a kind (identities, systems, "
                             "accounts, entitlements, grants, credentials, roles)", name, key);
                break;
            }
            if (!json_is_array(v)) {
                rc = wr_fail(err, WR_EINVAL, "%s: $.%s: expected an array", name, key);
                break;
            }
        }
        for (int k = 0; k < K_COUNT && rc == WR_OK; k++) {
            json_t *arr = json_object_get(root, inv_kind_name(k));
            char path[64];
            snprintf(path, sizeof path, "$.%s", inv_kind_name(k));
            if (arr)
                rc = import_array(im, k, arr, name, path, err);
        }
    } else {
        rc = wr_fail(err, WR_EINVAL, "%s: expected an array or an object of arrays", name);
    }
    json_decref(root);
    return rc;
}
