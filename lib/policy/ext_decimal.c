/*
 * ext_decimal.c — Cedar's `decimal` extension type: decimal("12.34").
 *
 * A decimal is a fixed-point number with four fractional digits, stored as
 * an int64 count of 1/10000 units, so comparisons are integer comparisons.
 *
 * Grammar (Cedar language reference):  "-"? [0-9]+ "." [0-9]{1,4}
 * At least one digit on each side of the point, at most four after it,
 * ASCII digits only, no '+', no exponent, no surrounding spaces.  The sign
 * applies to the whole number ("-0.5" is minus one half).  A value outside
 * int64 units (beyond about ±922337203685477.5807) is an overflow error
 * (WR_ELIMIT), distinct from malformed text (WR_EINVAL).
 */
#include "policy/ext.h"

#include <stdio.h>
#include <string.h>

int wr_ext_decimal_parse(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < len && s[i] == '-') {
        neg = 1;
        i++;
    }
    size_t int_start = i;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    size_t int_len = i - int_start;
    if (int_len == 0 || i == len || s[i] != '.')
        return WR_EINVAL;
    i++;
    size_t frac_start = i;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    size_t frac_len = i - frac_start;
    if (frac_len == 0 || frac_len > 4 || i != len)
        return WR_EINVAL;

    /* Accumulate the magnitude in units of 1/10000 as uint64, refusing to
     * pass 2^63 (the magnitude of INT64_MIN), so nothing wraps. */
    const uint64_t limit = (uint64_t)INT64_MAX + 1;
    uint64_t mag = 0;
    for (size_t k = int_start; k < int_start + int_len; k++) {
        uint64_t d = (uint64_t)(s[k] - '0');
        if (mag > (limit - d) / 10)
            return WR_ELIMIT;
        mag = mag * 10 + d;
    }
    if (mag > limit / 10000)
        return WR_ELIMIT;
    mag *= 10000;
    uint64_t frac = 0;
    for (size_t k = 0; k < 4; k++)
        frac = frac * 10 + (k < frac_len ? (uint64_t)(s[frac_start + k] - '0') : 0);
    if (mag > limit - frac)
        return WR_ELIMIT;
    mag += frac;
    if (!neg && mag == limit)
        return WR_ELIMIT;
    /* -(2^63) is computed without ever forming +2^63 as a signed value */
    *out = neg ? (mag == limit ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
    return WR_OK;
}

void wr_ext_decimal_format(int64_t v, char *out, size_t outlen)
{
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    unsigned frac = (unsigned)(mag % 10000);
    char digits[5];
    snprintf(digits, sizeof digits, "%04u", frac);
    /* keep at least one fractional digit so the text re-parses */
    for (int k = 3; k > 0 && digits[k] == '0'; k--)
        digits[k] = '\0';
    snprintf(out, outlen, "%s%llu.%s", v < 0 ? "-" : "", (unsigned long long)(mag / 10000),
             digits);
}
