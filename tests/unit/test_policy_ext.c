/* test_policy_ext.c — unit tests of Cedar's extension types (lib/policy/ext_*.c):
 * ipaddr, decimal, datetime and duration parsing, predicates, arithmetic,
 * overflow and formatting round-trips.  Expected values follow the Cedar
 * language reference; the accept/reject lists were also cross-checked
 * against the official implementation (cedar-wasm 4.13). */
#include "check.h"
#include "policy/ext.h"

#include <stdint.h>

#define LEN(s) (s), strlen(s)

/* ---- helpers ------------------------------------------------------------- */
static wr_ipaddr ip(const char *s)
{
    wr_ipaddr a;
    memset(&a, 0xAA, sizeof a);
    int rc = wr_ext_ip_parse(LEN(s), &a);
    if (rc != WR_OK)
        fprintf(stderr, "ip(\"%s\") unexpectedly failed: %d\n", s, rc);
    CHECK_EQ_INT(rc, WR_OK);
    return a;
}

/* ip() in the shape of the int64 parsers, for ALL_FAIL lists */
static int ip_parse_any(const char *s, size_t len, int64_t *unused)
{
    wr_ipaddr a;
    (void)unused;
    return wr_ext_ip_parse(s, len, &a);
}

static const char *ip_fmt(const char *s)
{
    static char buf[64];
    wr_ipaddr a = ip(s);
    wr_ext_ip_format(&a, buf, sizeof buf);
    return buf;
}

/* decimal, datetime and duration all parse text to an int64 and format
 * an int64 back, so one set of helpers serves the three of them. */
typedef int (*parse64_fn)(const char *, size_t, int64_t *);
typedef void (*format64_fn)(int64_t, char *, size_t);

static int64_t parse_ok(parse64_fn fn, const char *what, const char *s)
{
    int64_t v = 0;
    int rc = fn(LEN(s), &v);
    if (rc != WR_OK)
        fprintf(stderr, "%s(\"%s\") unexpectedly failed: %d\n", what, s, rc);
    CHECK_EQ_INT(rc, WR_OK);
    return v;
}

static int parse_rc(parse64_fn fn, const char *s)
{
    int64_t v;
    return fn(LEN(s), &v);
}

static const char *format(format64_fn fn, int64_t v)
{
    static char buf[64];
    fn(v, buf, sizeof buf);
    return buf;
}

/* Every string of a list must fail with status rc. */
static void all_fail(parse64_fn fn, const char *what, const char *const *list, size_t n, int rc)
{
    for (size_t i = 0; i < n; i++) {
        int got = parse_rc(fn, list[i]);
        if (got != rc)
            fprintf(stderr, "%s(\"%s\") gave %d, expected %d\n", what, list[i], got, rc);
        CHECK_EQ_INT(got, rc);
    }
}
#define ALL_FAIL(fn, what, list, rc) all_fail(fn, what, list, sizeof list / sizeof list[0], rc)

#define dec(s) parse_ok(wr_ext_decimal_parse, "decimal", s)
#define dec_rc(s) parse_rc(wr_ext_decimal_parse, s)
#define dec_fmt(v) format(wr_ext_decimal_format, v)
#define dt(s) parse_ok(wr_ext_datetime_parse, "datetime", s)
#define dt_rc(s) parse_rc(wr_ext_datetime_parse, s)
#define dt_fmt(v) format(wr_ext_datetime_format, v)
#define dur(s) parse_ok(wr_ext_duration_parse, "duration", s)
#define dur_rc(s) parse_rc(wr_ext_duration_parse, s)
#define dur_fmt(v) format(wr_ext_duration_format, v)

#define DAY 86400000LL

/* ---- ipaddr -------------------------------------------------------------- */
TEST(test_ip_valid_v4)
{
    wr_ipaddr a = ip("192.168.1.20");
    CHECK(wr_ext_ip_is_ipv4(&a));
    CHECK(!wr_ext_ip_is_ipv6(&a));
    CHECK_EQ_INT(a.prefix, 32);
    CHECK_EQ_INT(a.addr[0], 192);
    CHECK_EQ_INT(a.addr[3], 20);
    a = ip("10.0.0.0/8");
    CHECK_EQ_INT(a.prefix, 8);
    CHECK_EQ_INT(ip("0.0.0.0/0").prefix, 0);
    CHECK_EQ_INT(ip("255.255.255.255/32").prefix, 32);
    CHECK_EQ_INT(ip("1.2.3.4/9").prefix, 9);
    CHECK_EQ_INT(ip("0.0.0.0").addr[0], 0);
    /* bytes past the IPv4 address are zeroed so equality and hashing are stable */
    a = ip("1.2.3.4");
    CHECK_EQ_INT(a.addr[4] | a.addr[15], 0);
}

TEST(test_ip_invalid_v4)
{
    const char *bad[] = {
        "", "1.2.3", "1.2.3.4.5", "1.2.3.256", "256.0.0.0", "01.2.3.4", "1.2.3.04",
        "1.2.3.00", "1..2.3", "1.2.3.", ".1.2.3", "1.2.3.4/", "1.2.3.4/33", "1.2.3.4/08",
        "1.2.3.4/032", "1.2.3.4/+8", "1.2.3.4/-1", "1.2.3.4/8/8", "1.2.3.4 ", " 1.2.3.4",
        "1.2.3.4/ 8", "a.b.c.d", "1.2.3.-4", "1234.1.1.1", "/8", "1.2.3.4/100",
    };
    ALL_FAIL(ip_parse_any, "ip", bad, WR_EINVAL);
    /* embedded NUL is just an invalid character */
    wr_ipaddr a;
    CHECK_EQ_INT(wr_ext_ip_parse("1.2.3.4\0", 8, &a), WR_EINVAL);
    CHECK_EQ_INT(wr_ext_ip_parse("1.2.3.4\0", 7, &a), WR_OK);
}

TEST(test_ip_valid_v6)
{
    wr_ipaddr a = ip("::1");
    CHECK(wr_ext_ip_is_ipv6(&a));
    CHECK(!wr_ext_ip_is_ipv4(&a));
    CHECK_EQ_INT(a.prefix, 128);
    CHECK_EQ_INT(a.addr[15], 1);
    a = ip("::");
    CHECK_EQ_INT(a.addr[0] | a.addr[15], 0);
    a = ip("2001:DB8::ff00:42:8329");
    CHECK_EQ_INT(a.addr[0], 0x20);
    CHECK_EQ_INT(a.addr[1], 0x01);
    CHECK_EQ_INT(a.addr[2], 0x0d);
    CHECK_EQ_INT(a.addr[3], 0xb8);
    CHECK_EQ_INT(a.addr[14], 0x83);
    CHECK_EQ_INT(a.addr[15], 0x29);
    CHECK(wr_ext_ip_equal(&a, &(wr_ipaddr){0}) == false);
    wr_ipaddr b = ip("2001:0db8:0000:0000:0000:ff00:0042:8329");
    CHECK(wr_ext_ip_equal(&a, &b));
    CHECK_EQ_INT(ip("1:2:3:4:5:6:7:8").addr[15], 8);
    CHECK_EQ_INT(ip("1:2:3:4:5:6:7::").addr[15], 0);
    CHECK_EQ_INT(ip("::2:3:4:5:6:7:8").addr[1], 0);
    CHECK_EQ_INT(ip("::/0").prefix, 0);
    CHECK_EQ_INT(ip("::/128").prefix, 128);
    CHECK_EQ_INT(ip("ff00::/8").prefix, 8);
    /* IPv4-mapped written in hex is fine, and it is an IPv6 value */
    a = ip("::ffff:ff00:1");
    CHECK(wr_ext_ip_is_ipv6(&a));
}

TEST(test_ip_invalid_v6)
{
    const char *bad[] = {
        "::ffff:1.2.3.4", "::127.0.0.1", "1::2::3", ":::", ":", "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7", "1:2:3:4:5:6:7::8", "1::2:3:4:5:6:7:8", "12345::", "g::",
        "::/129", "::/0128", "::/012", "::1/", "fe80::1%eth0", "[::1]", "::1 ", "1:2:3:4:5:6:7:8/",
        ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:", "1::2:", ":1::2",
    };
    ALL_FAIL(ip_parse_any, "ip", bad, WR_EINVAL);
}

TEST(test_ip_loopback_multicast)
{
    wr_ipaddr a;
    a = ip("127.0.0.1");      CHECK(wr_ext_ip_is_loopback(&a));
    a = ip("127.255.255.255"); CHECK(wr_ext_ip_is_loopback(&a));
    a = ip("127.0.0.1/8");    CHECK(wr_ext_ip_is_loopback(&a));
    a = ip("127.0.0.1/7");    CHECK(!wr_ext_ip_is_loopback(&a)); /* range too wide */
    a = ip("128.0.0.1");      CHECK(!wr_ext_ip_is_loopback(&a));
    a = ip("::1");            CHECK(wr_ext_ip_is_loopback(&a));
    a = ip("::1/128");        CHECK(wr_ext_ip_is_loopback(&a));
    a = ip("::1/127");        CHECK(!wr_ext_ip_is_loopback(&a));
    a = ip("::2");            CHECK(!wr_ext_ip_is_loopback(&a));
    a = ip("::ffff:7f00:1");  CHECK(!wr_ext_ip_is_loopback(&a)); /* families never mix */
    a = ip("224.0.0.0/4");    CHECK(wr_ext_ip_is_multicast(&a));
    a = ip("224.0.0.0/3");    CHECK(!wr_ext_ip_is_multicast(&a));
    a = ip("239.255.255.255"); CHECK(wr_ext_ip_is_multicast(&a));
    a = ip("240.0.0.1");      CHECK(!wr_ext_ip_is_multicast(&a));
    a = ip("223.255.255.255"); CHECK(!wr_ext_ip_is_multicast(&a));
    a = ip("ff00::/8");       CHECK(wr_ext_ip_is_multicast(&a));
    a = ip("ff02::1");        CHECK(wr_ext_ip_is_multicast(&a));
    a = ip("ff00::/7");       CHECK(!wr_ext_ip_is_multicast(&a));
    a = ip("fe00::");         CHECK(!wr_ext_ip_is_multicast(&a));
    a = ip("127.0.0.1");      CHECK(!wr_ext_ip_is_multicast(&a));
}

TEST(test_ip_in_range)
{
    wr_ipaddr a, b;
    a = ip("10.1.2.3");    b = ip("10.0.0.0/8");  CHECK(wr_ext_ip_in_range(&a, &b));
    CHECK(!wr_ext_ip_in_range(&b, &a));
    a = ip("10.1.0.0/16"); CHECK(wr_ext_ip_in_range(&a, &b));
    a = ip("10.0.0.0/7");  CHECK(!wr_ext_ip_in_range(&a, &b));
    a = ip("11.0.0.0");    CHECK(!wr_ext_ip_in_range(&a, &b));
    a = ip("1.2.3.4");     b = ip("0.0.0.0/0");   CHECK(wr_ext_ip_in_range(&a, &b));
    b = ip("200.1.1.1/0"); CHECK(wr_ext_ip_in_range(&a, &b));          /* host bits ignored */
    b = ip("1.2.3.4/32");  CHECK(wr_ext_ip_in_range(&a, &b));
    b = ip("1.2.3.5/32");  CHECK(!wr_ext_ip_in_range(&a, &b));
    CHECK(wr_ext_ip_in_range(&a, &a));
    a = ip("2001:db8::1"); b = ip("2001:db8::/32"); CHECK(wr_ext_ip_in_range(&a, &b));
    b = ip("::/0");        CHECK(wr_ext_ip_in_range(&a, &b));
    b = ip("2001:db8::1/128"); CHECK(wr_ext_ip_in_range(&a, &b));
    b = ip("2001:db8::2/128"); CHECK(!wr_ext_ip_in_range(&a, &b));
    b = ip("2001:db9::/32"); CHECK(!wr_ext_ip_in_range(&a, &b));
    a = ip("2001:db8::/31"); b = ip("2001:db8::/32"); CHECK(!wr_ext_ip_in_range(&a, &b));
    /* odd prefixes cut inside a byte */
    a = ip("10.0.0.128"); b = ip("10.0.0.128/25"); CHECK(wr_ext_ip_in_range(&a, &b));
    a = ip("10.0.0.127"); CHECK(!wr_ext_ip_in_range(&a, &b));
    /* across families: always false, even for the catch-all ranges */
    a = ip("1.2.3.4"); b = ip("::/0");      CHECK(!wr_ext_ip_in_range(&a, &b));
    a = ip("::1");     b = ip("0.0.0.0/0"); CHECK(!wr_ext_ip_in_range(&a, &b));
}

TEST(test_ip_equal)
{
    wr_ipaddr a = ip("10.0.0.1/8"), b = ip("10.0.0.0/8"), c = ip("10.0.0.1/8");
    CHECK(!wr_ext_ip_equal(&a, &b));  /* host bits are kept, as in Cedar */
    CHECK(wr_ext_ip_equal(&a, &c));
    a = ip("10.0.0.1"); b = ip("10.0.0.1/32");
    CHECK(wr_ext_ip_equal(&a, &b));
    a = ip("::"); b = ip("0.0.0.0");
    CHECK(!wr_ext_ip_equal(&a, &b));
    a = ip("::1"); b = ip("0:0:0:0:0:0:0:1");
    CHECK(wr_ext_ip_equal(&a, &b));
}

TEST(test_ip_format)
{
    CHECK_EQ_STR(ip_fmt("192.168.0.1"), "192.168.0.1");
    CHECK_EQ_STR(ip_fmt("10.0.0.0/8"), "10.0.0.0/8");
    CHECK_EQ_STR(ip_fmt("10.0.0.0/32"), "10.0.0.0");
    CHECK_EQ_STR(ip_fmt("::"), "::");
    CHECK_EQ_STR(ip_fmt("::1"), "::1");
    CHECK_EQ_STR(ip_fmt("1::"), "1::");
    CHECK_EQ_STR(ip_fmt("::/0"), "::/0");
    CHECK_EQ_STR(ip_fmt("2001:0DB8:0000:0000:0000:FF00:0042:8329"), "2001:db8::ff00:42:8329");
    CHECK_EQ_STR(ip_fmt("1:0:0:2:0:0:0:3"), "1:0:0:2::3");       /* longest run */
    CHECK_EQ_STR(ip_fmt("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4");     /* first of equal runs */
    CHECK_EQ_STR(ip_fmt("1:0:2:3:4:5:6:7"), "1:0:2:3:4:5:6:7");  /* a single 0 stays */
    CHECK_EQ_STR(ip_fmt("::ffff:ff00:1"), "::ffff:ff00:1");        /* never dotted */
    CHECK_EQ_STR(ip_fmt("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"),
                 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    char tiny[5];
    wr_ipaddr a = ip("192.168.0.1");
    wr_ext_ip_format(&a, tiny, sizeof tiny);
    CHECK_EQ_STR(tiny, "192.");   /* truncated, still terminated */
}

TEST(test_ip_format_roundtrip)
{
    const char *in[] = {"0.0.0.0/0", "1.2.3.4/31", "255.255.255.255", "::/0", "::1/127",
                        "1:2:3:4:5:6:7:8/64", "fe80::1:2/10", "0:0:1::/48", "a:b::c:d"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        wr_ipaddr a = ip(in[i]), b;
        char buf[64];
        wr_ext_ip_format(&a, buf, sizeof buf);
        CHECK_EQ_INT(wr_ext_ip_parse(LEN(buf), &b), WR_OK);
        CHECK(wr_ext_ip_equal(&a, &b));
    }
}

/* ---- decimal ------------------------------------------------------------- */
TEST(test_decimal_valid)
{
    CHECK_EQ_INT(dec("1.0"), 10000);
    CHECK_EQ_INT(dec("-1.0"), -10000);
    CHECK_EQ_INT(dec("123.456"), 1234560);
    CHECK_EQ_INT(dec("0.1234"), 1234);
    CHECK_EQ_INT(dec("-0.0123"), -123);
    CHECK_EQ_INT(dec("-0.5"), -5000);       /* the sign covers the fraction */
    CHECK_EQ_INT(dec("-0.0"), 0);
    CHECK_EQ_INT(dec("55.1"), 551000);
    CHECK_EQ_INT(dec("007.50"), 75000);     /* leading zeros are fine */
    CHECK_EQ_INT(dec("922337203685477.5807"), INT64_MAX);
    CHECK_EQ_INT(dec("-922337203685477.5808"), INT64_MIN);
    CHECK_EQ_INT(dec("0000000000000000000000001.0"), 10000);
}

TEST(test_decimal_invalid_and_overflow)
{
    const char *bad[] = {"", "1", "1.", ".5", "-.5", "-", "-1", "+1.0", "1.12345", "1..0",
                         "1.0.0", "1e3", "1.0 ", " 1.0", "1,0", "0x1.0", "1.-1", "--1.0",
                         "1.0a", "\xd9\xa1.0" /* Arabic-Indic digit one */};
    ALL_FAIL(wr_ext_decimal_parse, "decimal", bad, WR_EINVAL);
    const char *over[] = {"922337203685477.5808", "-922337203685477.5809", "922337203685478.0",
                          "99999999999999999999999.0", "-99999999999999999999999.0"};
    ALL_FAIL(wr_ext_decimal_parse, "decimal", over, WR_ELIMIT);
    /* syntax is checked before range: too many digits is malformed */
    CHECK_EQ_INT(dec_rc("99999999999999999999999.12345"), WR_EINVAL);
}

TEST(test_decimal_format)
{
    CHECK_EQ_STR(dec_fmt(dec("12.34")), "12.34");
    CHECK_EQ_STR(dec_fmt(dec("12.3400")), "12.34");
    CHECK_EQ_STR(dec_fmt(dec("1.05")), "1.05");
    CHECK_EQ_STR(dec_fmt(dec("1.0001")), "1.0001");
    CHECK_EQ_STR(dec_fmt(0), "0.0");
    CHECK_EQ_STR(dec_fmt(-5000), "-0.5");
    CHECK_EQ_STR(dec_fmt(-1), "-0.0001");
    CHECK_EQ_STR(dec_fmt(INT64_MAX), "922337203685477.5807");
    CHECK_EQ_STR(dec_fmt(INT64_MIN), "-922337203685477.5808");
    int64_t vals[] = {0, 1, -1, 9999, -9999, 10000, 123456789, INT64_MAX, INT64_MIN,
                      INT64_MIN + 1, 50, -50};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        int64_t back = 0;
        const char *s = dec_fmt(vals[i]);
        CHECK_EQ_INT(wr_ext_decimal_parse(LEN(s), &back), WR_OK);
        CHECK_EQ_INT(back, vals[i]);
    }
}

/* ---- datetime ------------------------------------------------------------ */
TEST(test_datetime_valid)
{
    CHECK_EQ_INT(dt("1970-01-01"), 0);
    CHECK_EQ_INT(dt("2024-10-15"), 1728950400000LL);
    CHECK_EQ_INT(dt("2024-10-15T11:38:02Z"), 1728992282000LL);
    CHECK_EQ_INT(dt("2024-10-15T11:38:02.101Z"), 1728992282101LL);
    /* offsets: local time minus offset (Cedar's own examples) */
    CHECK_EQ_INT(dt("2024-10-15T11:38:02.101+1134"), dt("2024-10-15T00:04:02.101Z"));
    CHECK_EQ_INT(dt("2024-10-15T11:38:02.101-1134"), dt("2024-10-15T23:12:02.101Z"));
    CHECK_EQ_INT(dt("2024-10-15T11:38:02+1134"), dt("2024-10-15T00:04:02Z"));
    CHECK_EQ_INT(dt("2024-10-15T11:38:02-1134"), dt("2024-10-15T23:12:02Z"));
    CHECK_EQ_INT(dt("2024-10-15T23:59:00+2359"), dt("2024-10-15"));
    CHECK_EQ_INT(dt("2024-10-15T00:00:00-2359"), dt("2024-10-15T23:59:00Z"));
    CHECK_EQ_INT(dt("1969-12-31T23:59:59.999Z"), -1);
    CHECK_EQ_INT(dt("0000-01-01"), -62167219200000LL);
    CHECK_EQ_INT(dt("9999-12-31T23:59:59.999Z"), 253402300799999LL);
    CHECK_EQ_INT(dt("0000-01-01T00:00:00+0100"), -62167219200000LL - 3600000);
    /* leap years */
    CHECK_EQ_INT(dt("2024-03-01") - dt("2024-02-29"), DAY);
    CHECK_EQ_INT(dt("2000-03-01") - dt("2000-02-28"), 2 * DAY);
    CHECK_EQ_INT(dt("0000-02-29") + DAY, dt("0000-03-01"));
}

TEST(test_datetime_invalid)
{
    const char *bad[] = {
        "", "a", "-", "-1", "11-12-13", "1111-1x-20", "2024-10-15Z", "2024-10-15T11:38:02ZZ",
        "10000-01-01", "+2024-01-01", "2024-1-01", "2024-01-1", "2024-00-01", "2024-13-01",
        "2024-01-00", "2024-01-32", "2024-02-30", "2023-02-29", "1900-02-29", "2024-04-31",
        "2024-01-01T", "2024-01-01Ta", "2024-01-01T01:", "2024-01-01T01:02", "2024-01-01T01:02:0b",
        "2024-01-01T01::02:03", "2024-01-01T31:02:03Z", "2024-01-01T24:00:00Z",
        "2024-01-01T01:60:03Z", "2016-12-31T23:59:60Z", "2016-12-31T23:59:61Z",
        "2024-01-01T00:00:00", "2024-01-01T00:00:00T", "2024-01-01T00:00:00.Z",
        "2024-01-01T00:00:00.1Z", "2024-01-01T00:00:00.12Z", "2024-01-01T00:00:00.1234Z",
        "2024-01-01T00:00:00+01", "2024-01-01T00:00:00+01:00", "2024-01-01T00:00:00+2400",
        "2024-01-01T00:00:00-0060", "2024-01-01T00:00:00+0100 ", "2024-01-01t00:00:00Z",
        "2024-01-01T00:00:00z", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00.000",
        "2024-01-01T00:00:00Z+0000", " 2024-01-01",
    };
    ALL_FAIL(wr_ext_datetime_parse, "datetime", bad, WR_EINVAL);
}

TEST(test_datetime_offset_and_since)
{
    int64_t r = 0;
    CHECK_OK(wr_ext_datetime_offset(dt("2024-10-15"), dur("1d"), &r));
    CHECK_EQ_INT(r, dt("2024-10-16"));
    CHECK_OK(wr_ext_datetime_offset(dt("2024-10-15"), dur("-1h"), &r));
    CHECK_EQ_INT(r, dt("2024-10-14T23:00:00Z"));
    CHECK_OK(wr_ext_datetime_offset(INT64_MAX - 1, 1, &r));
    CHECK_EQ_INT(r, INT64_MAX);
    r = 42;
    CHECK_EQ_INT(wr_ext_datetime_offset(INT64_MAX, 1, &r), WR_ELIMIT);
    CHECK_EQ_INT(r, 42);   /* output untouched on failure */
    CHECK_EQ_INT(wr_ext_datetime_offset(INT64_MIN, -1, &r), WR_ELIMIT);
    CHECK_OK(wr_ext_datetime_offset(INT64_MIN, INT64_MAX, &r));
    CHECK_EQ_INT(r, -1);

    CHECK_OK(wr_ext_datetime_duration_since(dt("2024-10-16"), dt("2024-10-15"), &r));
    CHECK_EQ_INT(r, DAY);
    CHECK_OK(wr_ext_datetime_duration_since(dt("2024-10-15"), dt("2024-10-16"), &r));
    CHECK_EQ_INT(r, -DAY);
    CHECK_EQ_INT(wr_ext_datetime_duration_since(INT64_MAX, -1, &r), WR_ELIMIT);
    CHECK_EQ_INT(wr_ext_datetime_duration_since(INT64_MIN, 1, &r), WR_ELIMIT);
    CHECK_EQ_INT(wr_ext_datetime_duration_since(0, INT64_MIN, &r), WR_ELIMIT);
    CHECK_OK(wr_ext_datetime_duration_since(-1, INT64_MIN, &r));
    CHECK_EQ_INT(r, INT64_MAX);
}

TEST(test_datetime_to_date_to_time)
{
    int64_t r = 0;
    CHECK_OK(wr_ext_datetime_to_date(dt("2024-10-15T11:38:02.101Z"), &r));
    CHECK_EQ_INT(r, dt("2024-10-15"));
    CHECK_EQ_INT(wr_ext_datetime_to_time(dt("2024-10-15T11:38:02.101Z")),
                 dur("11h38m2s101ms"));
    /* negative instants floor to the previous midnight */
    CHECK_OK(wr_ext_datetime_to_date(-1, &r));
    CHECK_EQ_INT(r, -DAY);
    CHECK_EQ_INT(wr_ext_datetime_to_time(-1), DAY - 1);
    CHECK_OK(wr_ext_datetime_to_date(dt("1969-12-31T12:00:00Z"), &r));
    CHECK_EQ_INT(r, dt("1969-12-31"));
    CHECK_EQ_INT(wr_ext_datetime_to_time(dt("1969-12-31T12:00:00Z")), 12 * 3600000LL);
    /* exact midnights are their own date, with time zero */
    CHECK_OK(wr_ext_datetime_to_date(-DAY, &r));
    CHECK_EQ_INT(r, -DAY);
    CHECK_EQ_INT(wr_ext_datetime_to_time(-DAY), 0);
    CHECK_OK(wr_ext_datetime_to_date(0, &r));
    CHECK_EQ_INT(r, 0);
    CHECK_EQ_INT(wr_ext_datetime_to_time(0), 0);
    CHECK_OK(wr_ext_datetime_to_date(INT64_MAX, &r));
    CHECK_EQ_INT(r, INT64_MAX - INT64_MAX % DAY);
    /* the earliest representable day has no midnight within int64 */
    CHECK_EQ_INT(wr_ext_datetime_to_date(INT64_MIN, &r), WR_ELIMIT);
    CHECK(wr_ext_datetime_to_time(INT64_MIN) >= 0 && wr_ext_datetime_to_time(INT64_MIN) < DAY);
    int64_t first_midnight = INT64_MIN - INT64_MIN % DAY + DAY; /* -(2^63) rounded up */
    CHECK_OK(wr_ext_datetime_to_date(first_midnight + 5, &r));
    CHECK_EQ_INT(r, first_midnight);
}

TEST(test_datetime_format)
{
    CHECK_EQ_STR(dt_fmt(0), "1970-01-01T00:00:00Z");
    CHECK_EQ_STR(dt_fmt(dt("2024-10-15T11:38:02.123Z")), "2024-10-15T11:38:02.123Z");
    CHECK_EQ_STR(dt_fmt(dt("2024-10-15T11:38:02.100-0100")), "2024-10-15T12:38:02.100Z");
    CHECK_EQ_STR(dt_fmt(-1), "1969-12-31T23:59:59.999Z");
    CHECK_EQ_STR(dt_fmt(dt("0000-01-01")), "0000-01-01T00:00:00Z");
    /* just before year 0: written with an offset so that it re-parses */
    CHECK_EQ_STR(dt_fmt(dt("0000-01-01T00:00:00+0100")), "0000-01-01T00:00:00+0100");
    CHECK_EQ_STR(dt_fmt(dt("0000-01-01T00:00:30.005+0001")),
                 "0000-01-01T00:00:30.005+0001");
    CHECK_EQ_STR(dt_fmt(dt("9999-12-31T23:59:59.999-2359")), "9999-12-31T23:59:59.999-2359");
    /* further out (only reachable through offset()): display only */
    CHECK_EQ_STR(dt_fmt(dt("0000-01-01") - 2 * DAY), "-1-12-30T00:00:00Z");
    CHECK_EQ_STR(dt_fmt(dt("9999-12-31") + 2 * DAY), "+10000-01-02T00:00:00Z");
    char buf[64];
    wr_ext_datetime_format(INT64_MIN, buf, sizeof buf);
    CHECK(buf[0] == '-');
    wr_ext_datetime_format(INT64_MAX, buf, sizeof buf);
    CHECK(buf[0] == '+');
}

TEST(test_datetime_format_roundtrip)
{
    const char *in[] = {"1970-01-01", "2024-02-29T12:00:00Z", "1969-07-20T20:17:40.000Z",
                        "0000-01-01T00:00:00+2359", "0000-01-01T23:58:59.999+2359",
                        "9999-12-31T00:01:00.001-2359", "9999-12-31T23:59:59-0001",
                        "1600-02-29T00:00:00.001Z", "2100-12-31T23:59:59.999+0530"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        int64_t v = dt(in[i]), back = 0;
        const char *s = dt_fmt(v);
        int rc = wr_ext_datetime_parse(LEN(s), &back);
        if (rc != WR_OK || back != v)
            fprintf(stderr, "%s -> %s did not round-trip\n", in[i], s);
        CHECK_EQ_INT(rc, WR_OK);
        CHECK_EQ_INT(back, v);
    }
    /* every millisecond of the first and last minute of the grammar's range */
    for (int64_t base = dt("0000-01-01") - 86340000LL, k = 0; k < 60000; k += 7) {
        int64_t back = 0;
        const char *s = dt_fmt(base + k);
        CHECK(wr_ext_datetime_parse(LEN(s), &back) == WR_OK && back == base + k);
    }
}

/* ---- duration ------------------------------------------------------------ */
TEST(test_duration_valid)
{
    CHECK_EQ_INT(dur("1d2h3m4s5ms"), DAY + 2 * 3600000LL + 3 * 60000 + 4 * 1000 + 5);
    CHECK_EQ_INT(dur("-10h"), -36000000LL);
    CHECK_EQ_INT(dur("0ms"), 0);
    CHECK_EQ_INT(dur("-0ms"), 0);
    CHECK_EQ_INT(dur("0d"), 0);
    CHECK_EQ_INT(dur("2m"), 120000);
    CHECK_EQ_INT(dur("2ms"), 2);
    CHECK_EQ_INT(dur("1m2ms"), 60002);
    CHECK_EQ_INT(dur("1h1ms"), 3600001);
    CHECK_EQ_INT(dur("1d1s"), DAY + 1000);
    CHECK_EQ_INT(dur("3600000ms"), 3600000);
    CHECK_EQ_INT(dur("0001s"), 1000);
    CHECK_EQ_INT(dur("9223372036854775807ms"), INT64_MAX);
    CHECK_EQ_INT(dur("-9223372036854775808ms"), INT64_MIN);
    CHECK_EQ_INT(dur("106751991167d7h12m55s807ms"), INT64_MAX);
    CHECK_EQ_INT(dur("-106751991167d7h12m55s808ms"), INT64_MIN);
    CHECK_EQ_INT(dur("106751991167d"), 106751991167LL * DAY);
}

TEST(test_duration_invalid_and_overflow)
{
    const char *bad[] = {"", "-", "--1d", "+1d", "1", "d", "ms", "1h1d", "1d1d", "1ms1s",
                         "1m1m", "1s1m", "1.5h", "1 h", "1H", "1D", "1y", "1w", "1d-1h",
                         "1d2h3m4s5ms6", " 1d", "1d ", "1mss", "1sm", "-1", "1d2"};
    ALL_FAIL(wr_ext_duration_parse, "duration", bad, WR_EINVAL);
    const char *over[] = {"9223372036854775808ms", "-9223372036854775809ms", "106751991168d",
                          "106751991167d7h12m55s808ms", "-106751991167d7h12m55s809ms",
                          "99999999999999999999ms", "99999999999999999999999999999999999d"};
    ALL_FAIL(wr_ext_duration_parse, "duration", over, WR_ELIMIT);
    /* malformed wins over overflow */
    CHECK_EQ_INT(dur_rc("99999999999999999999d1x"), WR_EINVAL);
}

TEST(test_duration_to)
{
    int64_t d = dur("1d2h3m4s5ms");
    CHECK_EQ_INT(wr_ext_duration_to(d, 1), d);
    CHECK_EQ_INT(wr_ext_duration_to(d, 1000), 93784);
    CHECK_EQ_INT(wr_ext_duration_to(d, 60000), 1563);
    CHECK_EQ_INT(wr_ext_duration_to(d, 3600000), 26);
    CHECK_EQ_INT(wr_ext_duration_to(d, DAY), 1);
    /* truncation toward zero for negative spans */
    CHECK_EQ_INT(wr_ext_duration_to(dur("-1s999ms"), 1000), -1);
    CHECK_EQ_INT(wr_ext_duration_to(dur("-23h"), DAY), 0);
    CHECK_EQ_INT(wr_ext_duration_to(INT64_MIN, 1000), INT64_MIN / 1000);
    CHECK_EQ_INT(wr_ext_duration_to(INT64_MAX, DAY), 106751991167LL);
    CHECK_EQ_INT(wr_ext_duration_to(5, 0), 0);    /* nonsensical unit: 0, no trap */
}

TEST(test_duration_format)
{
    CHECK_EQ_STR(dur_fmt(0), "0ms");
    CHECK_EQ_STR(dur_fmt(dur("1d2h")), "1d2h");
    CHECK_EQ_STR(dur_fmt(dur("-10h")), "-10h");
    CHECK_EQ_STR(dur_fmt(dur("90m")), "1h30m");
    CHECK_EQ_STR(dur_fmt(dur("1001ms")), "1s1ms");
    CHECK_EQ_STR(dur_fmt(INT64_MAX), "106751991167d7h12m55s807ms");
    CHECK_EQ_STR(dur_fmt(INT64_MIN), "-106751991167d7h12m55s808ms");
    int64_t vals[] = {0, 1, -1, 999, 1000, -60000, DAY, -DAY - 1, INT64_MAX, INT64_MIN,
                      INT64_MIN + 1, 123456789012345LL};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        int64_t back = 0;
        const char *s = dur_fmt(vals[i]);
        CHECK_EQ_INT(wr_ext_duration_parse(LEN(s), &back), WR_OK);
        CHECK_EQ_INT(back, vals[i]);
    }
}

RUN_TESTS(T(test_ip_valid_v4), T(test_ip_invalid_v4), T(test_ip_valid_v6), T(test_ip_invalid_v6),
          T(test_ip_loopback_multicast), T(test_ip_in_range), T(test_ip_equal), T(test_ip_format),
          T(test_ip_format_roundtrip), T(test_decimal_valid), T(test_decimal_invalid_and_overflow),
          T(test_decimal_format), T(test_datetime_valid), T(test_datetime_invalid),
          T(test_datetime_offset_and_since), T(test_datetime_to_date_to_time),
          T(test_datetime_format), T(test_datetime_format_roundtrip), T(test_duration_valid),
          T(test_duration_invalid_and_overflow), T(test_duration_to), T(test_duration_format))
