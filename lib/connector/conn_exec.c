/*
 * conn_exec.c — the exec connector: any target a program can change.
 *
 * connector_config:
 *   {"argv": ["/abs/path/program", "arg", ...],   (required; no shell)
 *    "timeout_ms": 10000,                         (per call; the program's
 *                                                  process group is killed
 *                                                  with SIGKILL on expiry)
 *    "max_output": 1048576,                       (bytes of stdout; over it
 *                                                  the call fails)
 *    "capabilities": ["grant","revoke","list"]}   (optional: what the
 *                                                  program implements, of
 *                                                  grant, revoke, disable,
 *                                                  enable, rotate_credential,
 *                                                  list; default all.  An
 *                                                  operation outside it is
 *                                                  refused when proposed)
 *
 * Each verb is one run of the program.  It is started with posix_spawn —
 * never through a shell, argv[0] an absolute path, argv exactly as
 * configured — so nothing in an operation (an account id with `;`, `$()`
 * or quotes) can become a command: operations travel as JSON on stdin:
 *   {"action":"plan"|"inverse"|"apply"|"readback"|"list",
 *    "system":S, "operation":{...}, "actor":A}
 * and the program answers one JSON object on stdout:
 *   apply    {"changed":bool, "detail":...}
 *   readback {"matches":bool}
 *   inverse  {"inverse":{operation}}
 *   plan     {"plan":...}               (any JSON)
 *   list     {"accounts":[{"login","disabled"?}],
 *             "groups":[{"name","members":[login,...]}]}
 * A non-zero exit status, a signal, malformed or oversized output, or the
 * timeout fail the call (WR_EIO) with the program's first line of stderr.
 *
 * Data structure: stdin is one end of a socketpair (so a program that
 * exits without reading cannot raise SIGPIPE in Warrant: send() uses
 * MSG_NOSIGNAL), stdout and stderr are pipes; one poll() loop moves all
 * three against a monotonic deadline.
 */
#define _GNU_SOURCE
#include "connector_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define STDERR_KEEP 4096

typedef struct exec_state {
    char *argv[WR_CONN_EXEC_MAX_ARGS + 1];
    int timeout_ms;
    size_t max_output;
    char system[256];
} exec_state;

static int exec_check(const json_t *config, wr_err *err)
{
    json_t *argv = json_object_get(config, "argv");
    if (!json_is_array(argv) || json_array_size(argv) == 0)
        return wr_fail(err, WR_EINVAL, "connector_config.argv: expected a non-empty array of strings");
    if (json_array_size(argv) > WR_CONN_EXEC_MAX_ARGS)
        return wr_fail(err, WR_ELIMIT, "connector_config.argv: at most %d arguments", WR_CONN_EXEC_MAX_ARGS);
    size_t i;
    json_t *a;
    json_array_foreach(argv, i, a) {
        if (!json_is_string(a) || strlen(json_string_value(a)) != json_string_length(a))
            return wr_fail(err, WR_EINVAL, "connector_config.argv[%zu]: expected a string without NUL", i);
    }
    if (json_string_value(json_array_get(argv, 0))[0] != '/')
        return wr_fail(err, WR_EINVAL, "connector_config.argv[0]: must be an absolute path (no PATH search)");
    int ms;
    int rc = conn_opt_ms(config, "timeout_ms", WR_CONN_EXEC_TIMEOUT_DEFAULT_MS, &ms, err);
    if (rc)
        return rc;
    json_t *mo = json_object_get(config, "max_output");
    if (mo && (!json_is_integer(mo) || json_integer_value(mo) < 64 ||
               (size_t)json_integer_value(mo) > WR_CONN_EXEC_OUTPUT_MAX))
        return wr_fail(err, WR_EINVAL, "connector_config.max_output: expected 64..%zu bytes", WR_CONN_EXEC_OUTPUT_MAX);
    json_t *caps = json_object_get(config, "capabilities");
    if (caps && !json_is_array(caps))
        return wr_fail(err, WR_EINVAL, "connector_config.capabilities: expected an array of operation names");
    json_array_foreach(caps, i, a) {
        unsigned c = json_is_string(a) ? conn_cap_of(json_string_value(a)) : 0;
        if (!c || c == WR_CONN_CAP_TRANSFER)
            return wr_fail(err, WR_EINVAL, "connector_config.capabilities[%zu]: expected grant, revoke, disable, "
                           "enable, rotate_credential or list", i);
    }
    return WR_OK;
}

/* The capabilities the configuration declares (all when it names none);
 * reading back and computing inverses come with any of them. */
static unsigned exec_caps_of(const json_t *config)
{
    json_t *caps = json_object_get(config, "capabilities"), *a;
    size_t i;
    if (!caps)
        return ~0u;
    unsigned out = WR_CONN_CAP_READ;
    json_array_foreach(caps, i, a)
        out |= conn_cap_of(json_string_value(a));
    return out;
}

static void exec_close(void *state)
{
    exec_state *x = state;
    if (!x)
        return;
    for (size_t i = 0; x->argv[i]; i++)
        free(x->argv[i]);
    free(x);
}

static int exec_open(const json_t *config, const char *system, void **state, wr_err *err)
{
    exec_state *x = calloc(1, sizeof *x);
    if (!x)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(config, "argv"), i, a) {
        if (!(x->argv[i] = strdup(json_string_value(a)))) {
            exec_close(x);
            return wr_fail(err, WR_ENOMEM, "out of memory");
        }
    }
    (void)conn_opt_ms(config, "timeout_ms", WR_CONN_EXEC_TIMEOUT_DEFAULT_MS, &x->timeout_ms, NULL);
    json_t *mo = json_object_get(config, "max_output");
    x->max_output = mo ? (size_t)json_integer_value(mo) : WR_CONN_EXEC_OUTPUT_DEFAULT;
    snprintf(x->system, sizeof x->system, "%s", system);
    *state = x;
    return WR_OK;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what is available on fd into b (up to max; beyond it sets
 * *over and discards).  Returns 0 at EOF, 1 if still open. */
static int drain(int fd, wr_buf *b, size_t max, int *over)
{
    char chunk[16384];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n == 0)
            return 0;
        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? 1 : 0;
        size_t room = b->len < max ? max - b->len : 0;
        size_t take = (size_t)n < room ? (size_t)n : room;
        if ((size_t)n > take)
            *over = 1;
        if (take && wr_buf_append(b, chunk, take) != WR_OK)
            *over = 1;
    }
}

/* Runs the program with input on stdin; *out is its stdout (caller frees
 * with wr_buf_free). */
static int run_program(exec_state *x, const char *input, wr_buf *out, wr_err *err)
{
    int in[2] = {-1, -1}, po[2] = {-1, -1}, pe[2] = {-1, -1};
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0 || pipe2(po, O_CLOEXEC) != 0 ||
        pipe2(pe, O_CLOEXEC) != 0) {
        int e = errno;
        for (int i = 0; i < 2; i++) {
            if (in[i] >= 0) close(in[i]);
            if (po[i] >= 0) close(po[i]);
            if (pe[i] >= 0) close(pe[i]);
        }
        return wr_fail(err, WR_EIO, "exec connector: cannot create pipes: %s", strerror(e));
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[1], 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    posix_spawnattr_init(&at);
    /* its own process group, so a timeout kills its children too */
    posix_spawnattr_setpgroup(&at, 0);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
    pid_t pid;
    int src = posix_spawn(&pid, x->argv[0], &fa, &at, x->argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(in[1]);
    close(po[1]);
    close(pe[1]);
    if (src != 0) {
        close(in[0]);
        close(po[0]);
        close(pe[0]);
        return wr_fail(err, WR_EIO, "exec connector %s: cannot start: %s", x->argv[0], strerror(src));
    }
    fcntl(in[0], F_SETFL, O_NONBLOCK);
    fcntl(po[0], F_SETFL, O_NONBLOCK);
    fcntl(pe[0], F_SETFL, O_NONBLOCK);
    wr_buf ebuf = WR_BUF_INIT;
    size_t inlen = strlen(input), sent = 0;
    int open_in = 1, open_out = 1, open_err = 1, over = 0, eover = 0, timed_out = 0;
    int64_t deadline = now_ms() + x->timeout_ms;
    while (open_out || open_err) {
        struct pollfd p[3];
        int np = 0, iin = -1, iout = -1, ierr = -1;
        if (open_in) { iin = np; p[np++] = (struct pollfd){in[0], POLLOUT, 0}; }
        if (open_out) { iout = np; p[np++] = (struct pollfd){po[0], POLLIN, 0}; }
        if (open_err) { ierr = np; p[np++] = (struct pollfd){pe[0], POLLIN, 0}; }
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        int n = poll(p, (nfds_t)np, (int)left);
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0)
            continue;
        if (iin >= 0 && p[iin].revents) {
            ssize_t w = send(in[0], input + sent, inlen - sent, MSG_NOSIGNAL);
            if (w > 0)
                sent += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || sent == inlen) {
                shutdown(in[0], SHUT_WR);   /* EOF for the program */
                open_in = 0;
            }
        }
        if (iout >= 0 && p[iout].revents)
            open_out = drain(po[0], out, x->max_output, &over);
        if (ierr >= 0 && p[ierr].revents)
            open_err = drain(pe[0], &ebuf, STDERR_KEEP, &eover);
    }
    close(in[0]);
    close(po[0]);
    close(pe[0]);
    if (timed_out || open_out || open_err)
        kill(-pid, SIGKILL);   /* never wait for a program we stopped listening to */
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    char first[512] = "";
    if (ebuf.data) {
        size_t n = strcspn(ebuf.data, "\n");
        snprintf(first, sizeof first, "%.*s", (int)(n < 400 ? n : 400), ebuf.data);
    }
    wr_buf_free(&ebuf);
    if (timed_out)
        return wr_fail(err, WR_EIO, "exec connector %s: timed out after %d ms; killed", x->argv[0], x->timeout_ms);
    if (WIFSIGNALED(status))
        return wr_fail(err, WR_EIO, "exec connector %s: killed by signal %d%s%s", x->argv[0], WTERMSIG(status),
                       first[0] ? ": " : "", first);
    if (WEXITSTATUS(status) != 0)
        return wr_fail(err, WR_EIO, "exec connector %s: exited with status %d%s%s", x->argv[0],
                       WEXITSTATUS(status), first[0] ? ": " : "", first);
    if (over)
        return wr_fail(err, WR_ELIMIT, "exec connector %s: output over %zu bytes", x->argv[0], x->max_output);
    return WR_OK;
}

/* One call: action on op; *reply is the program's JSON object. */
static int call(exec_state *x, const char *action, const json_t *op, const char *actor, json_t **reply,
                wr_err *err)
{
    json_t *req = json_pack("{s:s,s:s,s:O?,s:s?}", "action", action, "system", x->system, "operation", op,
                            "actor", actor);
    char *input = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!input)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    wr_buf out = WR_BUF_INIT;
    int rc = run_program(x, input, &out, err);
    free(input);
    if (rc) {
        wr_buf_free(&out);
        return rc;
    }
    json_error_t je;
    json_t *v = json_loadb(out.data ? out.data : "", out.len, 0, &je);
    wr_buf_free(&out);
    if (!json_is_object(v)) {
        json_decref(v);
        return wr_fail(err, WR_EIO, "exec connector %s: %s: output is not a JSON object (line %d: %s)", x->argv[0],
                       action, je.line, je.text);
    }
    *reply = v;
    return WR_OK;
}

static int exec_plan(void *state, const json_t *op, json_t **plan, wr_err *err)
{
    json_t *r = NULL;
    int rc = call(state, "plan", op, NULL, &r, err);
    if (rc)
        return rc;
    json_t *p = json_object_get(r, "plan");
    *plan = json_pack("{s:s,s:O,s:O}", "connector", "exec", "operation", op, "plan", p ? p : r);
    json_decref(r);
    return WR_OK;
}

static int exec_inverse(void *state, const json_t *op, json_t **inverse, wr_err *err)
{
    json_t *r = NULL;
    int rc = call(state, "inverse", op, NULL, &r, err);
    if (rc)
        return rc;
    json_t *inv = json_object_get(r, "inverse");
    if (!json_is_object(inv) || !json_is_string(json_object_get(inv, "op"))) {
        json_decref(r);
        return wr_fail(err, WR_EIO, "exec connector: inverse: $.inverse: expected an operation object");
    }
    *inverse = json_incref(inv);
    json_decref(r);
    return WR_OK;
}

static int exec_apply(void *state, const json_t *op, const char *actor, json_t **result, wr_err *err)
{
    json_t *r = NULL;
    int rc = call(state, "apply", op, actor, &r, err);
    if (rc)
        return rc;
    json_t *ch = json_object_get(r, "changed");
    if (!json_is_boolean(ch)) {
        json_decref(r);
        return wr_fail(err, WR_EIO, "exec connector: apply: $.changed: expected true or false");
    }
    json_t *d = json_object_get(r, "detail");
    *result = json_pack("{s:O,s:O}", "changed", ch, "detail", d ? d : json_null());
    json_decref(r);
    return WR_OK;
}

static int exec_readback(void *state, const json_t *op, int *matches, wr_err *err)
{
    json_t *r = NULL;
    int rc = call(state, "readback", op, NULL, &r, err);
    if (rc)
        return rc;
    json_t *m = json_object_get(r, "matches");
    if (!json_is_boolean(m))
        rc = wr_fail(err, WR_EIO, "exec connector: readback: $.matches: expected true or false");
    else
        *matches = json_is_true(m);
    json_decref(r);
    return rc;
}

static int exec_list(void *state, const wr_connector_visitor *v, wr_err *err)
{
    json_t *r = NULL;
    int rc = call(state, "list", NULL, NULL, &r, err);
    if (rc)
        return rc;
    size_t i, j;
    json_t *a, *g, *m;
    json_array_foreach(json_object_get(r, "accounts"), i, a) {
        const char *login = json_string_value(json_object_get(a, "login"));
        if (!login) {
            rc = wr_fail(err, WR_EIO, "exec connector: list: $.accounts[%zu].login: expected a string", i);
            break;
        }
        if ((rc = v->account(v->arg, login, json_is_true(json_object_get(a, "disabled")), err)))
            break;
    }
    json_array_foreach(json_object_get(r, "groups"), i, g) {
        if (rc)
            break;
        const char *name = json_string_value(json_object_get(g, "name"));
        json_t *mem = json_object_get(g, "members");
        size_t n = json_array_size(mem);
        const char **names = calloc(n + 1, sizeof *names);
        if (!name || !names) {
            free(names);
            rc = wr_fail(err, WR_EIO, "exec connector: list: $.groups[%zu].name: expected a string", i);
            break;
        }
        json_array_foreach(mem, j, m) names[j] = json_string_value(m) ? json_string_value(m) : "";
        rc = v->group(v->arg, name, names, n, err);
        free(names);
    }
    json_decref(r);
    return rc;
}

const conn_kind conn_kind_exec = {
    "exec",
    WR_CONN_CAP_GRANT | WR_CONN_CAP_REVOKE | WR_CONN_CAP_DISABLE | WR_CONN_CAP_ENABLE | WR_CONN_CAP_ROTATE |
        WR_CONN_CAP_READ | WR_CONN_CAP_LIST,
    exec_check, exec_open, exec_close, exec_plan, exec_inverse, exec_apply, exec_readback, exec_list,
    exec_caps_of};
