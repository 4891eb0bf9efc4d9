/* test_core.c — unit tests of lib/core: errors, buffers, encodings, time. */
#include "check.h"
#include "warrant/core.h"

TEST(test_fail_formats_and_returns_code)
{
    wr_err e = {0};
    CHECK_EQ_INT(wr_fail(&e, WR_EINVAL, "bad %s at %d", "thing", 7), WR_EINVAL);
    CHECK_EQ_INT(e.code, WR_EINVAL);
    CHECK_EQ_STR(e.msg, "bad thing at 7");
    wr_fail_wrap(&e, "file.json");
    CHECK_EQ_STR(e.msg, "file.json: bad thing at 7");
    CHECK_EQ_INT(wr_fail(NULL, WR_ENOTFOUND, "x"), WR_ENOTFOUND);
    CHECK_EQ_INT(wr_status_exit(WR_EDENIED), 5);
    CHECK_EQ_STR(wr_status_name(WR_ECORRUPT), "ECORRUPT");
}

TEST(test_buf_grows_and_caps)
{
    wr_buf b = WR_BUF_INIT;
    b.max = 10;
    CHECK_OK(wr_buf_puts(&b, "hello"));
    CHECK_OK(wr_buf_printf(&b, "%d", 1234));
    CHECK_EQ_STR(b.data, "hello1234");
    CHECK_EQ_INT(wr_buf_puts(&b, "xy"), WR_ELIMIT);
    CHECK_EQ_STR(b.data, "hello1234");   /* unchanged after refusal */
    char *s = wr_buf_steal(&b);
    CHECK_EQ_STR(s, "hello1234");
    CHECK(b.data == NULL);
    free(s);
}

TEST(test_sha256_and_hex)
{
    uint8_t h[32];
    char hex[65];
    wr_sha256("abc", 3, h);
    wr_hex_encode(h, 32, hex);
    CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    uint8_t back[32];
    CHECK_OK(wr_hex_decode(hex, back, 32));
    CHECK(memcmp(back, h, 32) == 0);
    CHECK_EQ_INT(wr_hex_decode("zz", back, 1), WR_EINVAL);
    const void *parts[] = {"a", "bc"};
    size_t lens[] = {1, 2};
    uint8_t h2[32];
    wr_sha256_v(parts, lens, 2, h2);
    CHECK(memcmp(h, h2, 32) == 0);
    char d[72];
    wr_digest_string("abc", 3, d);
    CHECK(strncmp(d, "sha256:ba7816bf", 15) == 0);
}

TEST(test_base64)
{
    char *s = NULL;
    CHECK_OK(wr_base64_encode((const uint8_t *)"foobar", 6, &s));
    CHECK_EQ_STR(s, "Zm9vYmFy");
    uint8_t out[16];
    size_t n = 0;
    CHECK_OK(wr_base64_decode(s, out, sizeof out, &n));
    CHECK_EQ_INT(n, 6);
    CHECK(memcmp(out, "foobar", 6) == 0);
    CHECK(wr_base64_decode("Zm9v!", out, sizeof out, &n) != WR_OK);
    free(s);
}

TEST(test_time)
{
    int64_t t;
    CHECK_OK(wr_time_parse("1970-01-01T00:00:00Z", &t));
    CHECK_EQ_INT(t, 0);
    CHECK_OK(wr_time_parse("2026-11-25T07:12:00Z", &t));
    char s[21];
    wr_time_format(t, s);
    CHECK_EQ_STR(s, "2026-11-25T07:12:00Z");
    CHECK_OK(wr_time_parse("2026-11-25T08:12:00+01:00", &t));
    wr_time_format(t, s);
    CHECK_EQ_STR(s, "2026-11-25T07:12:00Z");
    CHECK_OK(wr_time_parse("2000-02-29", &t));
    CHECK_EQ_INT(t, 951782400);
    CHECK(wr_time_parse("2026-13-01", &t) != WR_OK);
    CHECK(wr_time_parse("2026-11-25T07:12Z", &t) != WR_OK);
    CHECK(wr_time_parse("garbage", &t) != WR_OK);
    int64_t span;
    CHECK_OK(wr_span_parse("72h", &span));
    CHECK_EQ_INT(span, 72 * 3600);
    CHECK_OK(wr_span_parse("30d", &span));
    CHECK_EQ_INT(span, 30 * 86400);
    CHECK(wr_span_parse("3x", &span) != WR_OK);
    CHECK(wr_span_parse("h", &span) != WR_OK);
    CHECK(wr_span_parse("1h2", &span) != WR_OK);
    setenv("WARRANT_NOW", "2030-01-01T00:00:00Z", 1);
    CHECK_EQ_INT(wr_now(), 1893456000);
    unsetenv("WARRANT_NOW");
}

TEST(test_files_and_ids)
{
    const char *dir = test_tmpdir("core");
    char path[4200];
    snprintf(path, sizeof path, "%s/a/b/c", dir);
    CHECK_OK(wr_mkdirs(path, 0700, NULL));
    snprintf(path, sizeof path, "%s/a/file.txt", dir);
    CHECK_OK(wr_file_write_atomic(path, "data", 4, 0600, NULL));
    char *buf = NULL;
    size_t len = 0;
    CHECK_OK(wr_file_read(path, 100, &buf, &len, NULL));
    CHECK_EQ_INT(len, 4);
    CHECK_EQ_STR(buf, "data");
    free(buf);
    wr_err e = {0};
    CHECK_EQ_INT(wr_file_read(path, 2, &buf, &len, &e), WR_ELIMIT);
    snprintf(path, sizeof path, "%s/missing", dir);
    CHECK_EQ_INT(wr_file_read(path, 100, &buf, &len, &e), WR_ENOTFOUND);
    char a[64], b[64];
    wr_id_new("chg", a, sizeof a);
    wr_id_new("chg", b, sizeof b);
    CHECK_EQ_INT(strlen(a), 30);
    CHECK(strcmp(a, b) != 0);
    CHECK(strncmp(a, "chg_", 4) == 0);
}

RUN_TESTS(T(test_fail_formats_and_returns_code), T(test_buf_grows_and_caps), T(test_sha256_and_hex),
          T(test_base64), T(test_time), T(test_files_and_ids))
