/*
 * check.h — the unit-test harness: CHECK(cond) records a failure with its
 * location and goes on; TEST(name) declares a test function; main() is
 * written by RUN_TESTS(...), which prints "N passed, N failed" and exits
 * non-zero on any failure.  Tests that need files get a fresh directory
 * from test_tmpdir().
 */
#ifndef WARRANT_CHECK_H
#define WARRANT_CHECK_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int check_failures, check_assertions;

#define CHECK(cond) do { \
    check_assertions++; \
    if (!(cond)) { \
        check_failures++; \
        fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    } } while (0)

#define CHECK_EQ_INT(a, b) do { \
    long long _a = (long long)(a), _b = (long long)(b); \
    check_assertions++; \
    if (_a != _b) { \
        check_failures++; \
        fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n", \
                __FILE__, __LINE__, #a, #b, _a, _b); \
    } } while (0)

#define CHECK_EQ_STR(a, b) do { \
    const char *_a = (a), *_b = (b); \
    check_assertions++; \
    if (!_a || !_b || strcmp(_a, _b) != 0) { \
        check_failures++; \
        fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" != \"%s\")\n", \
                __FILE__, __LINE__, #a, #b, _a ? _a : "(null)", _b ? _b : "(null)"); \
    } } while (0)

#define CHECK_OK(expr) do { \
    wr_err _e = {0}; (void)_e; \
    int _rc = (expr); \
    check_assertions++; \
    if (_rc != 0) { \
        check_failures++; \
        fprintf(stderr, "%s:%d: CHECK_OK failed: %s returned %d\n", __FILE__, __LINE__, #expr, _rc); \
    } } while (0)

typedef void (*test_fn)(void);
struct test_case { const char *name; test_fn fn; };
#define TEST(name) static void name(void)
#define T(name) {#name, name}

/* A fresh, empty directory for this test process. */
static inline const char *test_tmpdir(const char *tag)
{
    static char path[4096];
    const char *base = getenv("WARRANT_TEST_TMP");
    if (!base) base = "/tmp";
    snprintf(path, sizeof path, "%s/%s-%ld-%d", base, tag, (long)getpid(), rand());
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", path, path);
    if (system(cmd) != 0) { perror("mkdir"); exit(2); }
    return path;
}

/* Sets Warrant's clock (WARRANT_NOW, read by wr_now) to t; unsetenv
 * ("WARRANT_NOW") gives the real clock back. */
static inline void test_set_clock(time_t t)
{
    char iso[32];
    strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    setenv("WARRANT_NOW", iso, 1);
}

#define RUN_TESTS(...) int main(void) { \
    struct test_case cases[] = {__VA_ARGS__}; \
    size_t n = sizeof cases / sizeof cases[0]; \
    int failed_tests = 0; \
    for (size_t i = 0; i < n; i++) { \
        int before = check_failures; \
        cases[i].fn(); \
        int bad = check_failures != before; \
        failed_tests += bad; \
        printf("%s %s\n", bad ? "FAIL" : "ok  ", cases[i].name); \
    } \
    printf("%zu passed, %d failed (%d assertions)\n", n - (size_t)failed_tests, failed_tests, check_assertions); \
    return failed_tests ? 1 : 0; }
#endif
