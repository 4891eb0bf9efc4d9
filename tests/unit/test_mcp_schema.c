/*
 * test_mcp_schema.c — the JSON Schema subset that checks MCP tool
 * arguments: every keyword, the JSON paths in messages, bounded depth,
 * and that every tool's published inputSchema is one the validator reads.
 */
#include "check.h"
#include "mcp/mcp_internal.h"

static json_t *J(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    if (!v) {
        fprintf(stderr, "bad test JSON: %s\n", text);
        exit(2);
    }
    return v;
}

/* Validates value against schema; returns the status, message in msg. */
static int run(const char *schema, const char *value, char *msg)
{
    json_t *s = J(schema), *v = J(value);
    wr_err err = {0};
    int rc = mcp_schema_validate(s, v, "$", &err);
    strcpy(msg, err.msg);
    json_decref(s);
    json_decref(v);
    return rc;
}

#define OK(schema, value) do { char m_[1024]; CHECK_EQ_INT(run(schema, value, m_), WR_OK); } while (0)
#define BAD(schema, value, want) do { \
    char m_[1024] = ""; \
    CHECK_EQ_INT(run(schema, value, m_), WR_EINVAL); \
    CHECK_EQ_STR(m_, want); } while (0)

TEST(types)
{
    OK("{\"type\":\"string\"}", "\"x\"");
    BAD("{\"type\":\"string\"}", "1", "$: expected string, got integer");
    OK("{\"type\":\"integer\"}", "3");
    OK("{\"type\":\"integer\"}", "3.0");   /* 2020-12: zero fraction is an integer */
    BAD("{\"type\":\"integer\"}", "3.5", "$: expected integer, got number");
    OK("{\"type\":\"number\"}", "3.5");
    OK("{\"type\":\"boolean\"}", "false");
    OK("{\"type\":\"null\"}", "null");
    BAD("{\"type\":\"object\"}", "[]", "$: expected object, got array");
    OK("{\"type\":[\"string\",\"null\"]}", "null");
    BAD("{\"type\":[\"string\",\"null\"]}", "{}", "$: expected string or null, got object");
    OK("{}", "{\"anything\":[1,2]}");
    OK("true", "1");
    BAD("false", "1", "$: no value is allowed here");
}

TEST(enums_and_strings)
{
    OK("{\"enum\":[\"a\",\"b\"]}", "\"b\"");
    BAD("{\"enum\":[\"a\",\"b\"]}", "\"c\"", "$: expected one of a, b");
    BAD("{\"enum\":[1,\"a\"]}", "2", "$: expected one of 1, a");
    OK("{\"type\":\"string\",\"minLength\":2,\"maxLength\":3}", "\"ab\"");
    BAD("{\"type\":\"string\",\"minLength\":2}", "\"a\"", "$: must be at least 2 character(s) long");
    BAD("{\"type\":\"string\",\"maxLength\":3}", "\"abcd\"", "$: must be at most 3 character(s) long, got 4");
    /* lengths count code points, not bytes: "é" is 2 bytes, 1 character */
    OK("{\"type\":\"string\",\"maxLength\":3}", "\"\\u00e9\\u00e9\\u00e9\"");
    OK("{\"type\":\"string\",\"maxLength\":1}", "\"\\ud83d\\ude00\"");
}

TEST(numbers)
{
    OK("{\"type\":\"integer\",\"minimum\":1,\"maximum\":100}", "100");
    BAD("{\"type\":\"integer\",\"minimum\":1}", "0", "$: must be >= 1");
    BAD("{\"type\":\"integer\",\"maximum\":100}", "101", "$: must be <= 100");
    BAD("{\"type\":\"number\",\"maximum\":1.5}", "1.75", "$: must be <= 1.5");
    OK("{\"type\":\"integer\",\"maximum\":9223372036854775807}", "9223372036854775807");
    BAD("{\"type\":\"integer\",\"maximum\":9223372036854775806}", "9223372036854775807", "$: must be <= 9.22337e+18");
}

TEST(objects_and_arrays)
{
    const char *op = "{\"type\":\"object\",\"properties\":{\"op\":{\"enum\":[\"grant\",\"revoke\"]},"
                     "\"account\":{\"type\":\"string\"}},\"required\":[\"op\"],\"additionalProperties\":false}";
    char schema[1024];
    snprintf(schema, sizeof schema, "{\"type\":\"object\",\"properties\":{\"operations\":{\"type\":\"array\","
             "\"minItems\":1,\"maxItems\":2,\"items\":%s}},\"required\":[\"operations\"],"
             "\"additionalProperties\":false}", op);
    OK(schema, "{\"operations\":[{\"op\":\"grant\",\"account\":\"a\"}]}");
    BAD(schema, "{}", "$.operations: required property is missing");
    BAD(schema, "{\"operations\":[]}", "$.operations: needs at least 1 item(s)");
    BAD(schema, "{\"operations\":[{\"op\":\"grant\"},{\"op\":\"grant\"},{\"op\":\"grant\"}]}",
        "$.operations: at most 2 item(s), got 3");
    BAD(schema, "{\"operations\":[{\"op\":\"grant\"},{\"op\":\"x\"}]}",
        "$.operations[1].op: expected one of grant, revoke");
    BAD(schema, "{\"operations\":[{\"account\":\"a\"}]}", "$.operations[0].op: required property is missing");
    BAD(schema, "{\"operations\":[{\"op\":\"grant\",\"extra\":1}]}",
        "$.operations[0].extra: unknown property (allowed: op, account)");
    BAD(schema, "{\"operations\":[{\"op\":\"grant\"}],\"a b\":1}",
        "$[\"a b\"]: unknown property (allowed: operations)");
    /* additionalProperties as a schema */
    OK("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}}", "{\"a\":1,\"b\":2}");
    BAD("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}}", "{\"a\":\"x\"}",
        "$.a: expected integer, got string");
}

TEST(depth_is_bounded_by_the_schema)
{
    /* deep data under a shallow schema is not walked */
    char deep[4200];
    size_t n = 0;
    for (int i = 0; i < 2000; i++)
        deep[n++] = '[';
    for (int i = 0; i < 2000; i++)
        deep[n++] = ']';
    deep[n] = '\0';
    json_t *v = json_loads(deep, 0, NULL);
    if (v) {
        json_t *s = J("{\"type\":\"array\"}");
        CHECK_EQ_INT(mcp_schema_validate(s, v, "$", NULL), WR_OK);
        json_decref(s);
        json_decref(v);
    }
    /* a schema nested beyond the limit fails instead of recursing on */
    json_t *s = J("{}"), *val = J("1");
    for (int i = 0; i < MCP_SCHEMA_MAX_DEPTH + 2; i++) {
        s = json_pack("{s:s,s:o}", "type", "array", "items", s);
        val = json_pack("[o]", val);
    }
    wr_err err = {0};
    CHECK_EQ_INT(mcp_schema_validate(s, val, "$", &err), WR_ELIMIT);
    json_decref(s);
    json_decref(val);
    CHECK_EQ_INT(mcp_schema_validate(NULL, NULL, "$", NULL), WR_EINVAL);
}

TEST(every_published_schema_is_readable)
{
    json_t *tools = mcp_tools_build();
    CHECK(tools != NULL);
    CHECK_EQ_INT(json_array_size(tools), 9);
    size_t i;
    json_t *t;
    json_array_foreach(tools, i, t) {
        json_t *in = json_object_get(t, "inputSchema"), *out = json_object_get(t, "outputSchema");
        CHECK_EQ_STR(json_string_value(json_object_get(in, "type")), "object");
        CHECK_EQ_STR(json_string_value(json_object_get(out, "type")), "object");
        CHECK(json_is_false(json_object_get(in, "additionalProperties")));
        CHECK(!json_object_get(in, "$schema"));   /* 2020-12 is MCP's default */
        /* an empty call is accepted exactly by the tools without required input */
        json_t *empty = json_object();
        int rc = mcp_schema_validate(in, empty, "$", NULL);
        CHECK_EQ_INT(rc == WR_OK, json_array_size(json_object_get(in, "required")) == 0);
        json_decref(empty);
        /* a minimal successful result satisfies the output schema's required */
        json_t *req = json_object_get(out, "required");
        CHECK(json_array_size(req) == 2);
        const char *name = json_string_value(json_object_get(t, "name"));
        CHECK(strstr(name, "approv") == NULL && strstr(name, "reject") == NULL);
    }
    json_decref(tools);
}

RUN_TESTS(T(types), T(enums_and_strings), T(numbers), T(objects_and_arrays), T(depth_is_bounded_by_the_schema),
          T(every_published_schema_is_readable))
