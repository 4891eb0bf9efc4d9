/*
 * cedar_cli.c — helpers for the Cedar subcommands: reading policy, schema
 * and entity files with messages that name the file, and the JSON shapes
 * of requests and responses used on the command line.
 */
#include "cedar_cli.h"

#include <stdlib.h>
#include <string.h>

int cedar_load_schema(const char *path, wr_schema **out, wr_err *err)
{
    char *text;
    size_t len;
    int rc = wr_file_read(path, WR_CEDAR_MAX_POLICY_BYTES, &text, &len, err);
    if (rc)
        return rc;
    rc = wr_schema_parse(text, len, path, out, err);
    free(text);
    return rc;
}

int cedar_load_policies(const char *const *paths, size_t n, wr_policy_set **out, wr_err *err)
{
    wr_policy_set *ps = NULL;
    int rc = WR_OK;
    for (size_t i = 0; i < n && rc == WR_OK; i++) {
        char *text;
        size_t len;
        if ((rc = wr_file_read(paths[i], WR_CEDAR_MAX_POLICY_BYTES, &text, &len, err)))
            break;
        rc = ps ? wr_policy_set_add(ps, text, len, paths[i], err)
                : wr_policy_set_parse(text, len, paths[i], &ps, err);
        free(text);
    }
    if (rc == WR_OK && !ps)
        rc = wr_policy_set_parse("", 0, "<none>", &ps, err);
    if (rc) {
        wr_policy_set_free(ps);
        return rc;
    }
    *out = ps;
    return WR_OK;
}

int cedar_load_entities(const char *path, const wr_schema *s, wr_entities **out, wr_err *err)
{
    char *text;
    size_t len;
    int rc = wr_file_read(path, (size_t)256 << 20, &text, &len, err);
    if (rc)
        return rc;
    rc = wr_entities_parse(text, len, s, out, err);
    free(text);
    if (rc)
        wr_fail_wrap(err, "%s", path);
    return rc;
}

static int uid_field(const json_t *j, const char *name, const char **ty, const char **id,
                     wr_err *err)
{
    const json_t *o = json_object_get(j, name);
    if (o && json_object_get(o, "__entity"))
        o = json_object_get(o, "__entity");
    const json_t *t = json_object_get(o, "type"), *i = json_object_get(o, "id");
    if (!json_is_object(o) || !json_is_string(t) || !json_is_string(i) || !json_string_length(t))
        return wr_fail(err, WR_EINVAL, "%s: expected {\"type\": string, \"id\": string}", name);
    if (strlen(json_string_value(i)) != json_string_length(i))
        return wr_fail(err, WR_EINVAL, "%s.id: NUL characters are not supported", name);
    *ty = json_string_value(t);
    *id = json_string_value(i);
    return WR_OK;
}

int cedar_request_from_json(const json_t *j, wr_request *req, wr_err *err)
{
    if (!json_is_object(j))
        return wr_fail(err, WR_EINVAL, "request: expected a JSON object");
    memset(req, 0, sizeof *req);
    int rc;
    if ((rc = uid_field(j, "principal", &req->principal_type, &req->principal_id, err)) ||
        (rc = uid_field(j, "action", &req->action_type, &req->action_id, err)) ||
        (rc = uid_field(j, "resource", &req->resource_type, &req->resource_id, err)))
        return rc;
    const json_t *c = json_object_get(j, "context");
    if (c && !json_is_object(c) && !json_is_null(c))
        return wr_fail(err, WR_EINVAL, "context: expected a JSON object");
    req->context = c;
    return WR_OK;
}

json_t *cedar_response_json(const wr_response *r)
{
    json_t *reason = json_array(), *errors = json_array();
    for (size_t i = 0; i < r->nreason; i++)
        json_array_append_new(reason, json_string(r->reason[i]));
    for (size_t i = 0; i < r->nerror; i++)
        json_array_append_new(errors, json_string(r->error[i]));
    return json_pack("{s:s,s:o,s:o}", "decision", r->allow ? "allow" : "deny", "reason", reason,
                     "errors", errors);
}
