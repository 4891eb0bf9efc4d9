/*
 * test_mcp_jsonrpc.c — the JSON-RPC layer of the MCP server on a real
 * data directory: who may open a session, framing and classification of
 * messages, the lifecycle and version negotiation, batches (2025-03-26
 * only), the size limit, tools/list cursors, tools/call shapes and the
 * version-dependent report of argument violations.
 */
#include "check.h"
#include "mcp/mcp_internal.h"

static wr_ctx *ctx;

static void setup(void)
{
    const char *dir = test_tmpdir("mcp");
    char data[4200];
    snprintf(data, sizeof data, "%s/data", dir);
    wr_err err = {0};
    if (wr_ctx_init(data, NULL, &err) != WR_OK || wr_ctx_open(data, 0, &ctx, &err) != WR_OK) {
        fprintf(stderr, "setup: %s\n", err.msg);
        exit(2);
    }
    const char *specs[] = {"{\"id\":\"hal\",\"kind\":\"human\",\"roles\":[]}",
                           "{\"id\":\"bot\",\"kind\":\"agent\",\"owner\":\"hal\",\"roles\":[]}",
                           "{\"id\":\"cop\",\"kind\":\"copilot\",\"on_behalf_of\":\"hal\",\"roles\":[]}"};
    for (size_t i = 0; i < 3; i++) {
        json_t *spec = json_loads(specs[i], 0, NULL), *out = NULL;
        wr_actor boot = {"hal", "cli"};
        if (wr_principal_add(ctx, i ? &boot : NULL, spec, &out, &err) != WR_OK) {
            fprintf(stderr, "setup: %s\n", err.msg);
            exit(2);
        }
        json_decref(out);
        json_decref(spec);
    }
}

/* Sends text; returns the parsed response (NULL when there is none). */
static json_t *send(wr_mcp_session *s, const char *text)
{
    char *resp = NULL;
    wr_err err = {0};
    CHECK_OK(wr_mcp_handle(s, text, strlen(text), &resp, &err));
    json_t *v = resp ? json_loads(resp, JSON_DECODE_ANY, NULL) : NULL;
    CHECK(!resp || v);   /* every response is JSON */
    if (resp)
        CHECK(strchr(resp, '\n') == NULL);   /* one line for stdio */
    free(resp);
    return v;
}

static int error_code(const json_t *r)
{
    return (int)json_integer_value(json_object_get(json_object_get(r, "error"), "code"));
}

static void expect_code(wr_mcp_session *s, const char *text, int code)
{
    json_t *r = send(s, text);
    CHECK(r != NULL);
    if (error_code(r) != code)
        fprintf(stderr, "for %s: got %d, want %d\n", text, error_code(r), code);
    CHECK_EQ_INT(error_code(r), code);
    json_decref(r);
}

static wr_mcp_session *session(const char *who, const char *version)
{
    wr_mcp_session *s = NULL;
    wr_err err = {0};
    CHECK_OK(wr_mcp_session_new(ctx, who, &s, &err));
    if (version) {
        char init[512];
        snprintf(init, sizeof init, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
                 "{\"protocolVersion\":\"%s\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}",
                 version);
        json_decref(send(s, init));
    }
    return s;
}

TEST(who_may_connect)
{
    wr_mcp_session *s = NULL;
    wr_err err = {0};
    CHECK_EQ_INT(wr_mcp_session_new(ctx, "hal", &s, &err), WR_EDENIED);
    CHECK(strstr(err.msg, "copilots, agents and services") != NULL);
    CHECK_EQ_INT(wr_mcp_session_new(ctx, "nobody", &s, &err), WR_ENOTFOUND);
    CHECK_EQ_INT(wr_mcp_session_new(ctx, "", &s, &err), WR_EINVAL);
    CHECK(s == NULL);
    CHECK_OK(wr_mcp_session_new(ctx, "cop", &s, &err));
    CHECK(strncmp(wr_mcp_session_id(s), "mcps_", 5) == 0);
    CHECK_EQ_STR(wr_mcp_session_principal(s), "cop");
    CHECK(wr_mcp_session_version(s) == NULL);
    wr_mcp_session *t = NULL;
    CHECK_OK(wr_mcp_session_new(ctx, "cop", &t, &err));
    CHECK(strcmp(wr_mcp_session_id(s), wr_mcp_session_id(t)) != 0);
    wr_mcp_session_free(t);
    wr_mcp_session_free(s);
    wr_mcp_session_free(NULL);
}

TEST(lifecycle)
{
    wr_mcp_session *s = session("bot", NULL);
    json_t *r = send(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
    CHECK(json_is_object(json_object_get(r, "result")) && json_object_size(json_object_get(r, "result")) == 0);
    CHECK_EQ_INT(json_integer_value(json_object_get(r, "id")), 1);
    json_decref(r);
    expect_code(s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}", -32600);
    expect_code(s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"prompts/list\"}", -32601);
    expect_code(s, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"initialize\",\"params\":{\"protocolVersion\":1,"
                   "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}", -32602);
    CHECK(wr_mcp_session_version(s) == NULL);
    r = send(s, "{\"jsonrpc\":\"2.0\",\"id\":\"i\",\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
    json_t *res = json_object_get(r, "result");
    CHECK_EQ_STR(json_string_value(json_object_get(res, "protocolVersion")), "2025-06-18");
    CHECK(json_is_false(json_object_get(json_object_get(json_object_get(res, "capabilities"), "tools"),
                                        "listChanged")));
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(res, "serverInfo"), "name")), "warrant");
    CHECK(json_string_length(json_object_get(res, "instructions")) > 100);
    json_decref(r);
    CHECK_EQ_STR(wr_mcp_session_version(s), "2025-06-18");
    CHECK(send(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}") == NULL);
    CHECK(s->client_ready);
    expect_code(s, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"initialize\",\"params\":{}}", -32600);
    wr_mcp_session_free(s);

    s = session("bot", "2030-01-01");
    CHECK_EQ_STR(wr_mcp_session_version(s), MCP_LATEST_VERSION);
    wr_mcp_session_free(s);
}

TEST(framing)
{
    wr_mcp_session *s = session("bot", "2025-11-25");
    expect_code(s, "{", -32700);
    expect_code(s, "", -32700);
    expect_code(s, "nul", -32700);
    expect_code(s, "{\"a\":1,\"a\":2}", -32700);
    expect_code(s, "true", -32600);
    expect_code(s, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", -32600);
    expect_code(s, "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}", -32600);
    expect_code(s, "{\"jsonrpc\":2,\"id\":1,\"method\":\"ping\"}", -32600);
    expect_code(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":\"x\"}", -32602);
    expect_code(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":7}}", -32602);
    expect_code(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"nope\"}}", -32602);
    /* notifications and client responses are never answered */
    CHECK(send(s, "{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}") == NULL);
    CHECK(send(s, "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":{\"name\":\"whoami\"}}") == NULL);
    CHECK(send(s, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}") == NULL);
    CHECK(send(s, "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":1,\"message\":\"x\"}}") == NULL);
    /* the size limit is checked before anything is parsed */
    size_t big = (size_t)WR_MCP_MAX_MESSAGE + 1;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    char *resp = NULL;
    CHECK_OK(wr_mcp_handle(s, huge, big, &resp, NULL));
    CHECK(resp && strstr(resp, "-32600") && strstr(resp, "exceeds the limit"));
    free(resp);
    free(huge);
    wr_mcp_session_free(s);
}

TEST(batches_only_in_2025_03_26)
{
    wr_mcp_session *s = session("bot", "2025-03-26");
    json_t *r = send(s, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},{\"jsonrpc\":\"2.0\",\"method\":\"x\"},"
                        "7,{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"}]");
    CHECK(json_is_array(r));
    CHECK_EQ_INT(json_array_size(r), 3);
    CHECK_EQ_INT(error_code(json_array_get(r, 1)), -32600);
    CHECK_EQ_INT(error_code(json_array_get(r, 2)), -32601);
    json_decref(r);
    CHECK(send(s, "[{\"jsonrpc\":\"2.0\",\"method\":\"x\"}]") == NULL);
    expect_code(s, "[]", -32600);
    char many[8192] = "[";
    for (int i = 0; i < MCP_MAX_BATCH + 1; i++)
        strcat(many, i ? ",{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}" : "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
    strcat(many, "]");
    expect_code(s, many, -32600);
    wr_mcp_session_free(s);
}

TEST(tools_list_pages)
{
    wr_mcp_session *s = session("bot", "2025-11-25");
    wr_mcp_session_set_page_size(s, 2);
    size_t seen = 0;
    char cursor[64] = "";
    for (int round = 0; round < 10; round++) {
        char msg[256];
        if (cursor[0])
            snprintf(msg, sizeof msg, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":\"%s\"}}",
                     cursor);
        else
            snprintf(msg, sizeof msg, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
        json_t *r = send(s, msg);
        json_t *res = json_object_get(r, "result");
        seen += json_array_size(json_object_get(res, "tools"));
        const char *next = json_string_value(json_object_get(res, "nextCursor"));
        snprintf(cursor, sizeof cursor, "%s", next ? next : "");
        json_decref(r);
        if (!next)
            break;
    }
    CHECK_EQ_INT(seen, 9);
    expect_code(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":\"tools:0\"}}", -32602);
    expect_code(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":\"tools:2x\"}}", -32602);
    expect_code(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":3}}", -32602);
    wr_mcp_session_set_page_size(s, 0);
    json_t *r = send(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":null}}");
    CHECK_EQ_INT(json_array_size(json_object_get(json_object_get(r, "result"), "tools")), 9);
    json_decref(r);
    wr_mcp_session_free(s);
}

TEST(tool_results_and_argument_errors)
{
    wr_mcp_session *s = session("cop", "2025-11-25");
    json_t *r = send(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"whoami\"}}");
    json_t *res = json_object_get(r, "result"), *sc = json_object_get(res, "structuredContent");
    CHECK(json_is_false(json_object_get(res, "isError")));
    CHECK_EQ_STR(json_string_value(json_object_get(sc, "principal")), "cop");
    CHECK_EQ_STR(json_string_value(json_object_get(sc, "accountable_human")), "hal");
    CHECK_EQ_STR(json_string_value(json_object_get(sc, "session")), wr_mcp_session_id(s));
    /* the text item is the same JSON */
    json_t *text = json_loads(json_string_value(json_object_get(json_array_get(json_object_get(res, "content"), 0),
                                                                "text")), 0, NULL);
    CHECK(json_equal(text, sc));
    json_decref(text);
    json_decref(r);

    const char *bad = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"readiness\","
                      "\"arguments\":{\"scope\":\"planet\"}}}";
    r = send(s, bad);
    res = json_object_get(r, "result");
    CHECK(json_is_true(json_object_get(res, "isError")));
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(json_object_get(res, "structuredContent"), "error"),
                                                   "message")),
                 "$.arguments.scope: expected one of overall, system, domain");
    json_decref(r);
    wr_mcp_session_free(s);

    s = session("cop", "2025-06-18");
    r = send(s, bad);
    CHECK_EQ_INT(error_code(r), -32602);
    CHECK(strstr(json_string_value(json_object_get(json_object_get(r, "error"), "message")), "$.arguments.scope"));
    json_decref(r);
    /* a library error is a tool result, not a protocol error */
    r = send(s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"change_status\","
                "\"arguments\":{\"change_id\":\"chg_none\"}}}");
    res = json_object_get(r, "result");
    CHECK(json_is_true(json_object_get(res, "isError")));
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(json_object_get(res, "structuredContent"), "error"),
                                                   "status")), "ENOTFOUND");
    json_decref(r);
    wr_mcp_session_free(s);
}

static void cleanup(void)
{
    wr_ctx_close(ctx);
}

/* First test: one data directory with hal (human), bot (agent) and cop
 * (copilot) for all the others. */
TEST(start)
{
    setup();
    atexit(cleanup);
    CHECK(ctx != NULL);
}

RUN_TESTS(T(start), T(who_may_connect), T(lifecycle), T(framing), T(batches_only_in_2025_03_26), T(tools_list_pages),
          T(tool_results_and_argument_errors))
