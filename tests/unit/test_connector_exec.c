/*
 * test_connector_exec.c — the connector interface and the exec connector:
 * the kind table and defaults, configuration checks, capabilities,
 * secrets from files and the environment, and the exec protocol against
 * real programs (/bin/sh scripts): answers, idempotent results, non-zero
 * exits, malformed and oversized output, timeouts that kill the program,
 * and operations that reach the program only as data.
 */
#include "check.h"
#include "connector/connector_internal.h"
#include "warrant.h"
#include "warrant/connector.h"

#include <sys/stat.h>
#include <time.h>

static wr_store *store;
static const char *dir;

static void write_file(const char *path, const char *text, int mode)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    chmod(path, (mode_t)mode);
}

/* A store holding system "app" with account app:a and entitlement app:g,
 * whose exec connector runs script (a /bin/sh text). */
static void setup(const char *script, const char *extra_cfg)
{
    dir = test_tmpdir("conn");
    wr_err err = {0};
    if (store)
        wr_store_close(store);
    store = NULL;
    CHECK_OK(wr_store_open(dir, WR_STORE_CREATE, &store, &err));
    char path[4200], doc[9000];
    snprintf(path, sizeof path, "%s/prog.sh", dir);
    write_file(path, script, 0700);
    snprintf(doc, sizeof doc,
             "{\"systems\":[{\"id\":\"app\",\"connector\":\"exec\",\"connector_config\":"
             "{\"argv\":[\"/bin/sh\",\"%s\"]%s}}],"
             "\"accounts\":[{\"id\":\"app:a\",\"system\":\"app\",\"login\":\"a\"},"
             "{\"id\":\"app:x;rm -rf /\",\"system\":\"app\",\"login\":\"x;rm -rf /\"}],"
             "\"entitlements\":[{\"id\":\"app:g\",\"system\":\"app\",\"name\":\"g\"}]}",
             path, extra_cfg ? extra_cfg : "");
    wr_import_opts o = {0};
    o.format = "json";
    wr_import_stats st;
    json_t *problems = NULL;
    CHECK_OK(wr_inventory_import_buffer(store, "t.json", doc, strlen(doc), &o, &st, &problems, &err));
    json_decref(problems);
    CHECK_EQ_INT(st.rejected, 0);
}

static json_t *grant_op(const char *account)
{
    return json_pack("{s:s,s:s,s:s}", "op", "grant", "account", account, "entitlement", "app:g");
}

TEST(kind_table_and_defaults)
{
    setup("echo '{}'\n", NULL);
    wr_err err = {0};
    CHECK(wr_connector_kind_known(NULL));
    CHECK(wr_connector_kind_known("ldap"));
    CHECK(wr_connector_kind_known("exec"));
    CHECK(!wr_connector_kind_known("ftp"));
    wr_connector *c = NULL;
    CHECK_OK(wr_connector_open(store, NULL, 0, &c, &err));
    CHECK_EQ_STR(wr_connector_kind_name(c), "inventory");
    wr_connector_close(c);
    /* a sandbox target is always the inventory */
    CHECK_OK(wr_connector_open(store, "app", 1, &c, &err));
    CHECK_EQ_STR(wr_connector_kind_name(c), "inventory");
    wr_connector_close(c);
    CHECK_OK(wr_connector_open(store, "app", 0, &c, &err));
    CHECK_EQ_STR(wr_connector_kind_name(c), "exec");
    CHECK(wr_connector_caps(c) & WR_CONN_CAP_LIST);
    /* ownership is inventory metadata: routed there whatever the kind */
    json_t *t = json_pack("{s:s,s:s,s:n}", "op", "transfer_ownership", "object", "system:app", "to");
    CHECK_OK(wr_connector_supports(c, t, &err));
    json_t *bad = json_pack("{s:s}", "op", "explode");
    CHECK_EQ_INT(wr_connector_supports(c, bad, &err), WR_EINVAL);
    json_decref(t);
    json_decref(bad);
    wr_connector_close(c);
    CHECK_EQ_INT(wr_connector_open(store, "nope", 0, &c, &err), WR_ENOTFOUND);
}

TEST(config_checks)
{
    wr_err err = {0};
    json_t *cfg = json_loads("{\"argv\":[\"sh\"]}", 0, NULL);
    CHECK_EQ_INT(wr_connector_config_check("exec", cfg, &err), WR_EINVAL);
    CHECK(strstr(err.msg, "absolute path") != NULL);
    json_decref(cfg);
    cfg = json_loads("{\"argv\":[]}", 0, NULL);
    CHECK_EQ_INT(wr_connector_config_check("exec", cfg, &err), WR_EINVAL);
    json_decref(cfg);
    cfg = json_loads("{\"argv\":[\"/bin/true\"],\"timeout_ms\":0}", 0, NULL);
    CHECK_EQ_INT(wr_connector_config_check("exec", cfg, &err), WR_EINVAL);
    CHECK(strstr(err.msg, "timeout_ms") != NULL);
    json_decref(cfg);
    cfg = json_loads("{\"argv\":[\"/bin/true\"],\"max_output\":99999999999}", 0, NULL);
    CHECK_EQ_INT(wr_connector_config_check("exec", cfg, &err), WR_EINVAL);
    json_decref(cfg);
    cfg = json_loads("{\"argv\":[\"/bin/true\"]}", 0, NULL);
    CHECK_OK(wr_connector_config_check("exec", cfg, &err));
    CHECK_EQ_INT(wr_connector_config_check("gopher", cfg, &err), WR_EINVAL);
    json_decref(cfg);
    cfg = json_loads("{\"base_dn\":\"dc=x\"}", 0, NULL);
    CHECK_EQ_INT(wr_connector_config_check("ldap", cfg, &err), WR_EINVAL);
    CHECK(strstr(err.msg, "url") != NULL);
    json_decref(cfg);
}

TEST(secrets)
{
    const char *d = test_tmpdir("secret");
    char path[4200], cfgtext[4400];
    snprintf(path, sizeof path, "%s/pw", d);
    write_file(path, "s3cret\n", 0600);
    snprintf(cfgtext, sizeof cfgtext, "{\"bind_password_file\":\"%s\"}", path);
    json_t *cfg = json_loads(cfgtext, 0, NULL);
    char *s = NULL;
    wr_err err = {0};
    CHECK_OK(conn_secret_read(cfg, "bind_password", &s, &err));
    CHECK_EQ_STR(s, "s3cret");
    conn_secret_free(s);
    json_decref(cfg);
    setenv("WR_TEST_PW", "from-env", 1);
    cfg = json_loads("{\"bind_password_env\":\"WR_TEST_PW\"}", 0, NULL);
    CHECK_OK(conn_secret_read(cfg, "bind_password", &s, &err));
    CHECK_EQ_STR(s, "from-env");
    conn_secret_free(s);
    json_decref(cfg);
    cfg = json_loads("{\"bind_password_env\":\"WR_TEST_UNSET_PW\"}", 0, NULL);
    CHECK_EQ_INT(conn_secret_read(cfg, "bind_password", &s, &err), WR_EINVAL);
    CHECK(strstr(err.msg, "WR_TEST_UNSET_PW") != NULL);
    json_decref(cfg);
    cfg = json_loads("{}", 0, NULL);
    CHECK_OK(conn_secret_read(cfg, "bind_password", &s, &err));
    CHECK(s == NULL);
    json_decref(cfg);
}

/* The program echoes its request's operation back, so the test sees what
 * it received; answers depend on the action. */
static const char *echo_prog =
    "read -r line\n"
    "printf '%s' \"$line\" > \"$(dirname \"$0\")/last.json\"\n"
    "case \"$line\" in\n"
    "  *'\"action\":\"apply\"'*) echo '{\"changed\":false,\"detail\":\"already so\"}' ;;\n"
    "  *'\"action\":\"readback\"'*) echo '{\"matches\":true}' ;;\n"
    "  *'\"action\":\"inverse\"'*) echo '{\"inverse\":{\"op\":\"revoke\",\"account\":\"app:a\",\"entitlement\":\"app:g\"}}' ;;\n"
    "  *'\"action\":\"plan\"'*) echo '{\"plan\":{\"add\":\"a\"}}' ;;\n"
    "  *'\"action\":\"list\"'*) echo '{\"accounts\":[{\"login\":\"a\"},{\"login\":\"b\",\"disabled\":true}],\"groups\":[{\"name\":\"g\",\"members\":[\"a\",\"b\"]}]}' ;;\n"
    "esac\n";

static int n_acc, n_dis, n_mem;
static int on_account(void *arg, const char *login, int disabled, wr_err *err)
{
    (void)arg; (void)login; (void)err;
    n_acc++;
    n_dis += disabled;
    return 0;
}
static int on_group(void *arg, const char *name, const char *const *m, size_t n, wr_err *err)
{
    (void)arg; (void)m; (void)err;
    CHECK_EQ_STR(name, "g");
    n_mem += (int)n;
    return 0;
}

TEST(exec_protocol)
{
    setup(echo_prog, NULL);
    wr_err err = {0};
    wr_connector *c = NULL;
    CHECK_OK(wr_connector_open(store, "app", 0, &c, &err));
    json_t *op = grant_op("app:a"), *res = NULL, *inv = NULL, *plan = NULL;
    CHECK_OK(wr_connector_plan(c, op, &plan, &err));
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(plan, "plan"), "add")), "a");
    CHECK_OK(wr_connector_inverse(c, op, &inv, &err));
    CHECK_EQ_STR(json_string_value(json_object_get(inv, "op")), "revoke");
    CHECK_OK(wr_connector_apply(c, op, "tester", &res, &err));
    CHECK(json_is_false(json_object_get(res, "changed")));
    int m = 0;
    CHECK_OK(wr_connector_readback(c, op, &m, &err));
    CHECK_EQ_INT(m, 1);
    /* the program got the operation as JSON data */
    char path[4200], *text = NULL;
    size_t len;
    snprintf(path, sizeof path, "%s/last.json", dir);
    CHECK_OK(wr_file_read(path, 1 << 20, &text, &len, &err));
    json_t *req = json_loads(text ? text : "", 0, NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(req, "action")), "readback");
    CHECK_EQ_STR(json_string_value(json_object_get(req, "system")), "app");
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(req, "operation"), "account")), "app:a");
    json_decref(req);
    free(text);
    n_acc = n_dis = n_mem = 0;
    wr_connector_visitor v = {on_account, on_group, NULL, 0};
    CHECK_OK(wr_connector_list(c, &v, &err));
    CHECK_EQ_INT(n_acc, 2);
    CHECK_EQ_INT(n_dis, 1);
    CHECK_EQ_INT(n_mem, 2);
    /* recording an applied grant updates the inventory */
    CHECK_OK(wr_store_begin(store, &err));
    CHECK_OK(wr_connector_record(c, op, "tester", &err));
    CHECK_OK(wr_store_commit(store, &err));
    CHECK_OK(wr_inventory_op_readback(store, op, &m, &err));
    CHECK_EQ_INT(m, 1);
    json_decref(op);
    json_decref(res);
    json_decref(inv);
    json_decref(plan);
    wr_connector_close(c);
}

TEST(exec_hostile_ids_are_data)
{
    setup(echo_prog, NULL);
    wr_err err = {0};
    wr_connector *c = NULL;
    CHECK_OK(wr_connector_open(store, "app", 0, &c, &err));
    json_t *op = grant_op("app:x;rm -rf /"), *res = NULL;
    CHECK_OK(wr_connector_apply(c, op, "tester; reboot", &res, &err));
    char path[4200], *text = NULL;
    size_t len;
    snprintf(path, sizeof path, "%s/last.json", dir);
    CHECK_OK(wr_file_read(path, 1 << 20, &text, &len, &err));
    json_t *req = json_loads(text ? text : "", 0, NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(req, "operation"), "account")), "app:x;rm -rf /");
    CHECK_EQ_STR(json_string_value(json_object_get(req, "actor")), "tester; reboot");
    json_decref(req);
    free(text);
    json_decref(op);
    json_decref(res);
    wr_connector_close(c);
}

static int run_expect(const char *prog, const char *cfg, int code, const char *needle)
{
    setup(prog, cfg);
    wr_err err = {0};
    wr_connector *c = NULL;
    CHECK_OK(wr_connector_open(store, "app", 0, &c, &err));
    json_t *op = grant_op("app:a"), *res = NULL;
    int rc = wr_connector_apply(c, op, "t", &res, &err);
    CHECK_EQ_INT(rc, code);
    if (needle && !strstr(err.msg, needle)) {
        fprintf(stderr, "message '%s' lacks '%s'\n", err.msg, needle);
        CHECK(0);
    }
    json_decref(op);
    json_decref(res);
    wr_connector_close(c);
    return rc;
}

TEST(exec_failures)
{
    run_expect("echo 'no such group' >&2; exit 4\n", NULL, WR_EIO, "exited with status 4: no such group");
    run_expect("echo 'not json'\n", NULL, WR_EIO, "not a JSON object");
    run_expect("echo '{\"detail\":1}'\n", NULL, WR_EIO, "$.changed");
    run_expect("head -c 5000 /dev/zero | tr '\\0' x\n", ",\"max_output\":1000", WR_ELIMIT, "output over 1000 bytes");
    run_expect("kill -9 $$\n", NULL, WR_EIO, "signal 9");
    /* the program never reads stdin and exits: no SIGPIPE in Warrant */
    run_expect("exec 0<&-; echo '{\"changed\":true}'\n", NULL, WR_OK, NULL);
}

TEST(exec_timeout_kills)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    /* a child of the program would keep the pipe open: the whole process
     * group is killed */
    run_expect("sleep 30 & sleep 30\n", ",\"timeout_ms\":300", WR_EIO, "timed out after 300 ms");
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    CHECK(s < 5.0);
}

TEST(set_connector)
{
    setup("echo '{}'\n", NULL);
    wr_err err = {0};
    json_t *cfg = json_loads("{\"argv\":[\"/bin/true\"],\"bind_password\":\"x\"}", 0, NULL);
    CHECK_EQ_INT(wr_inventory_system_set_connector(store, "app", "exec", cfg, &err), WR_EINVAL);
    CHECK(strstr(err.msg, "never stored") != NULL);
    json_decref(cfg);
    CHECK_OK(wr_inventory_system_set_connector(store, "app", NULL, NULL, &err));
    json_t *sys = NULL;
    CHECK_OK(wr_inventory_system_get(store, "app", &sys, &err));
    CHECK(json_is_null(json_object_get(sys, "connector")));
    json_decref(sys);
    CHECK_EQ_INT(wr_inventory_system_set_connector(store, "nope", NULL, NULL, &err), WR_ENOTFOUND);
    wr_store_close(store);
    store = NULL;
}

RUN_TESTS(T(kind_table_and_defaults), T(config_checks), T(secrets), T(exec_protocol), T(exec_hostile_ids_are_data),
          T(exec_failures), T(exec_timeout_kills), T(set_connector))
