/*
 * schema.c — the JSON Schema subset that checks MCP tool arguments.
 *
 * Every tool publishes an inputSchema (JSON Schema 2020-12) and every
 * tools/call is checked against it before the library is called, so an
 * agent gets one precise message naming the JSON path of what is wrong
 * ("$.operations[0].op: expected one of grant, revoke, ...") instead of
 * a failure from deep inside the workflow.
 *
 * Supported keywords: type (a name or an array of names), enum, required,
 * properties, additionalProperties (false or a schema), items (one schema
 * for every element), minItems/maxItems, minLength/maxLength (counted in
 * Unicode code points, as the specification says), minimum/maximum.
 * Annotation keywords (title, description, default, examples, $comment)
 * carry no assertion and are ignored, as are keywords outside the subset —
 * the schemas are ours, so an unsupported keyword is a bug caught by the
 * unit tests, not something a client can exploit.
 *
 * The walk follows the schema, never the data alone, so the recursion
 * depth is bounded by the schema's nesting (at most MCP_SCHEMA_MAX_DEPTH),
 * whatever the client sends.  Paths are built in fixed buffers and cut
 * when too long.
 */
#include "mcp_internal.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define PATH_MAX_LEN 256

static int type_is(const char *t, const json_t *v)
{
    if (strcmp(t, "object") == 0)
        return json_is_object(v);
    if (strcmp(t, "array") == 0)
        return json_is_array(v);
    if (strcmp(t, "string") == 0)
        return json_is_string(v);
    if (strcmp(t, "boolean") == 0)
        return json_is_boolean(v);
    if (strcmp(t, "null") == 0)
        return json_is_null(v);
    if (strcmp(t, "number") == 0)
        return json_is_number(v);
    if (strcmp(t, "integer") == 0) {
        /* 2020-12: an integer is any number with a zero fractional part */
        if (json_is_integer(v))
            return 1;
        if (!json_is_real(v))
            return 0;
        double d = json_real_value(v);
        return isfinite(d) && d == floor(d);
    }
    return 0;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

static int check_type(const json_t *type, const json_t *v, const char *path, wr_err *err)
{
    if (!type)
        return WR_OK;
    if (json_is_string(type)) {
        if (type_is(json_string_value(type), v))
            return WR_OK;
        return wr_fail(err, WR_EINVAL, "%s: expected %s, got %s", path, json_string_value(type), type_name(v));
    }
    char names[128] = "";
    size_t i;
    json_t *t;
    json_array_foreach(type, i, t) {
        if (!json_is_string(t))
            continue;
        if (type_is(json_string_value(t), v))
            return WR_OK;
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? " or " : "", json_string_value(t));
    }
    return wr_fail(err, WR_EINVAL, "%s: expected %s, got %s", path, names, type_name(v));
}

static int check_enum(const json_t *values, const json_t *v, const char *path, wr_err *err)
{
    if (!json_is_array(values))
        return WR_OK;
    size_t i;
    json_t *e;
    char list[256] = "";
    json_array_foreach(values, i, e) {
        if (json_equal(e, v))
            return WR_OK;
        char *text = json_dumps(e, JSON_ENCODE_ANY | JSON_COMPACT);
        const char *shown = json_is_string(e) ? json_string_value(e) : text ? text : "?";
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", shown);
        free(text);
    }
    return wr_fail(err, WR_EINVAL, "%s: expected one of %s", path, list);
}

/* Code points of a valid UTF-8 string (jansson only holds valid UTF-8). */
static size_t utf8_length(const char *s, size_t bytes)
{
    size_t n = 0;
    for (size_t i = 0; i < bytes; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static int check_string(const json_t *schema, const json_t *v, const char *path, wr_err *err)
{
    size_t n = utf8_length(json_string_value(v), json_string_length(v));
    json_t *min = json_object_get(schema, "minLength"), *max = json_object_get(schema, "maxLength");
    if (json_is_integer(min) && (json_int_t)n < json_integer_value(min))
        return wr_fail(err, WR_EINVAL, "%s: must be at least %lld character(s) long", path,
                       (long long)json_integer_value(min));
    if (json_is_integer(max) && (json_int_t)n > json_integer_value(max))
        return wr_fail(err, WR_EINVAL, "%s: must be at most %lld character(s) long, got %zu", path,
                       (long long)json_integer_value(max), n);
    return WR_OK;
}

/* -1, 0, 1 as a < b, a == b, a > b; exact for two integers. */
static int num_cmp(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return (x > y) - (x < y);
    }
    double x = json_number_value(a), y = json_number_value(b);
    return (x > y) - (x < y);
}

static int check_number(const json_t *schema, const json_t *v, const char *path, wr_err *err)
{
    json_t *min = json_object_get(schema, "minimum"), *max = json_object_get(schema, "maximum");
    if (json_is_real(v) && !isfinite(json_real_value(v)))
        return wr_fail(err, WR_EINVAL, "%s: expected a finite number", path);
    if (json_is_number(min) && num_cmp(v, min) < 0)
        return wr_fail(err, WR_EINVAL, "%s: must be >= %g", path, json_number_value(min));
    if (json_is_number(max) && num_cmp(v, max) > 0)
        return wr_fail(err, WR_EINVAL, "%s: must be <= %g", path, json_number_value(max));
    return WR_OK;
}

static int validate(const json_t *schema, const json_t *v, const char *path, int depth, wr_err *err);

/* "path.key", or path["key"] when key is not a plain identifier. */
static void child_key(char *out, const char *path, const char *key)
{
    int plain = *key != '\0' && strlen(key) <= 64;
    for (const char *k = key; *k && plain; k++)
        plain = (*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') || *k == '_';
    if (plain)
        snprintf(out, PATH_MAX_LEN, "%s.%s", path, key);
    else
        snprintf(out, PATH_MAX_LEN, "%s[\"%.64s%s\"]", path, key, strlen(key) > 64 ? "..." : "");
}

static int check_object(const json_t *schema, const json_t *v, const char *path, int depth, wr_err *err)
{
    json_t *props = json_object_get(schema, "properties"), *required = json_object_get(schema, "required");
    json_t *extra = json_object_get(schema, "additionalProperties");
    char sub[PATH_MAX_LEN];
    size_t i;
    json_t *r;
    json_array_foreach(required, i, r) {
        if (json_is_string(r) && !json_object_get(v, json_string_value(r))) {
            child_key(sub, path, json_string_value(r));
            return wr_fail(err, WR_EINVAL, "%s: required property is missing", sub);
        }
    }
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)v, key, value) {
        json_t *ps = json_object_get(props, key);
        child_key(sub, path, key);
        int rc = WR_OK;
        if (ps)
            rc = validate(ps, value, sub, depth + 1, err);
        else if (json_is_false(extra)) {
            char allowed[256] = "";
            const char *k;
            json_t *unused;
            json_object_foreach(props, k, unused)
                snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%s",
                         allowed[0] ? ", " : "", k);
            rc = wr_fail(err, WR_EINVAL, "%s: unknown property (allowed: %s)", sub, allowed[0] ? allowed : "none");
        } else if (json_is_object(extra))
            rc = validate(extra, value, sub, depth + 1, err);
        if (rc)
            return rc;
    }
    return WR_OK;
}

static int check_array(const json_t *schema, const json_t *v, const char *path, int depth, wr_err *err)
{
    json_t *min = json_object_get(schema, "minItems"), *max = json_object_get(schema, "maxItems");
    json_t *items = json_object_get(schema, "items");
    size_t n = json_array_size(v);
    if (json_is_integer(min) && (json_int_t)n < json_integer_value(min))
        return wr_fail(err, WR_EINVAL, "%s: needs at least %lld item(s)", path, (long long)json_integer_value(min));
    if (json_is_integer(max) && (json_int_t)n > json_integer_value(max))
        return wr_fail(err, WR_EINVAL, "%s: at most %lld item(s), got %zu", path, (long long)json_integer_value(max),
                       n);
    if (!json_is_object(items))
        return WR_OK;
    char sub[PATH_MAX_LEN];
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        int rc = validate(items, e, sub, depth + 1, err);
        if (rc)
            return rc;
    }
    return WR_OK;
}

static int validate(const json_t *schema, const json_t *v, const char *path, int depth, wr_err *err)
{
    if (depth > MCP_SCHEMA_MAX_DEPTH)
        return wr_fail(err, WR_ELIMIT, "%s: schema nesting exceeds %d levels", path, MCP_SCHEMA_MAX_DEPTH);
    if (json_is_true(schema))
        return WR_OK;
    if (json_is_false(schema))
        return wr_fail(err, WR_EINVAL, "%s: no value is allowed here", path);
    if (!json_is_object(schema))
        return wr_fail(err, WR_EINTERNAL, "%s: schema is not an object", path);
    int rc;
    if ((rc = check_type(json_object_get(schema, "type"), v, path, err)) ||
        (rc = check_enum(json_object_get(schema, "enum"), v, path, err)))
        return rc;
    if (json_is_string(v))
        return check_string(schema, v, path, err);
    if (json_is_number(v))
        return check_number(schema, v, path, err);
    if (json_is_object(v))
        return check_object(schema, v, path, depth, err);
    if (json_is_array(v))
        return check_array(schema, v, path, depth, err);
    return WR_OK;
}

int mcp_schema_validate(const json_t *schema, const json_t *value, const char *path, wr_err *err)
{
    if (!value)
        return wr_fail(err, WR_EINVAL, "%s: missing value", path ? path : "$");
    return validate(schema, value, path ? path : "$", 0, err);
}
