/*
 * fuzz_ext.c — fuzzes the parsers of Cedar's extension types.
 *
 * The input is tried as text for each of ip(), decimal(), datetime() and
 * duration().  Whatever parses must format to text that parses back to the
 * same value (the formatters promise re-parseable output for every parsed
 * value), and the parsers must only ever return WR_OK, WR_EINVAL or
 * WR_ELIMIT.  The derived operations (isInRange, loopback, toDate, toTime,
 * offset, durationSince) run on the parsed values to catch arithmetic traps
 * under UBSan.
 */
#include "policy/ext.h"

#include <stdlib.h>
#include <string.h>

static void must(int cond)
{
    if (!cond)
        abort();
}

static void check_status(int rc)
{
    must(rc == WR_OK || rc == WR_EINVAL || rc == WR_ELIMIT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char buf[128];

    wr_ipaddr a, b;
    int rc = wr_ext_ip_parse(s, size, &a);
    must(rc == WR_OK || rc == WR_EINVAL);
    if (rc == WR_OK) {
        must(a.prefix <= (a.v6 ? 128 : 32));
        wr_ext_ip_format(&a, buf, sizeof buf);
        must(wr_ext_ip_parse(buf, strlen(buf), &b) == WR_OK);
        must(wr_ext_ip_equal(&a, &b));
        must(wr_ext_ip_in_range(&a, &a));
        must(wr_ext_ip_is_ipv4(&a) != wr_ext_ip_is_ipv6(&a));
        (void)wr_ext_ip_is_loopback(&a);
        (void)wr_ext_ip_is_multicast(&a);
    }

    int64_t v, back;
    rc = wr_ext_decimal_parse(s, size, &v);
    check_status(rc);
    if (rc == WR_OK) {
        wr_ext_decimal_format(v, buf, sizeof buf);
        must(wr_ext_decimal_parse(buf, strlen(buf), &back) == WR_OK && back == v);
    }

    int64_t when = 0, span = 0, out;
    rc = wr_ext_datetime_parse(s, size, &when);
    check_status(rc);
    if (rc == WR_OK) {
        wr_ext_datetime_format(when, buf, sizeof buf);
        must(wr_ext_datetime_parse(buf, strlen(buf), &back) == WR_OK && back == when);
        if (wr_ext_datetime_to_date(when, &out) == WR_OK)
            must(out <= when && when - out < 86400000);
        int64_t t = wr_ext_datetime_to_time(when);
        must(t >= 0 && t < 86400000);
    }

    rc = wr_ext_duration_parse(s, size, &span);
    check_status(rc);
    if (rc == WR_OK) {
        wr_ext_duration_format(span, buf, sizeof buf);
        must(wr_ext_duration_parse(buf, strlen(buf), &back) == WR_OK && back == span);
        check_status(wr_ext_datetime_offset(when, span, &out));
        check_status(wr_ext_datetime_duration_since(span, when, &out));
        (void)wr_ext_duration_to(span, 60000);
    }
    return 0;
}
