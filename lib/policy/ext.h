/*
 * ext.h — Cedar's extension types as plain C values: ipaddr, decimal,
 * datetime and duration.  Pure functions with no allocation; the evaluator
 * wraps them into Cedar values and maps their status to Cedar errors.
 *
 * Semantics follow the Cedar language reference (cedar-policy/cedar-spec):
 *   decimal   fixed point with exactly 4 fractional digits, stored as
 *             int64 units of 1/10000; at most 4 digits after the '.',
 *             at least one before and after; range of int64.
 *   ipaddr    IPv4 or IPv6 address with an optional /prefix (a range);
 *             IPv4-embedded IPv6 forms and leading zeros in IPv4 octets
 *             are rejected as Cedar does.
 *   datetime  milliseconds since the Unix epoch (int64), parsed from
 *             "YYYY-MM-DD", "YYYY-MM-DDThh:mm:ssZ", "...ss.SSSZ",
 *             "...ss(+|-)hhmm", "...ss.SSS(+|-)hhmm".
 *   duration  milliseconds (int64) parsed from e.g. "1d2h3m4s5ms",
 *             "-10h"; units d h m s ms in that order, each at most once.
 * Every function that can overflow returns WR_ELIMIT; malformed text
 * returns WR_EINVAL.
 */
#ifndef WARRANT_POLICY_EXT_H
#define WARRANT_POLICY_EXT_H

#include "warrant/core.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- ipaddr ---------------------------------------------------------- */
typedef struct wr_ipaddr {
    uint8_t v6;          /* 0: IPv4 (addr[0..3] used), 1: IPv6 */
    uint8_t prefix;      /* prefix length: 0..32 or 0..128 (32/128 when absent) */
    uint8_t addr[16];
} wr_ipaddr;

int wr_ext_ip_parse(const char *s, size_t len, wr_ipaddr *out) WR_MUST_CHECK;
bool wr_ext_ip_is_ipv4(const wr_ipaddr *a);
bool wr_ext_ip_is_ipv6(const wr_ipaddr *a);
bool wr_ext_ip_is_loopback(const wr_ipaddr *a);   /* 127.0.0.0/8, ::1 */
bool wr_ext_ip_is_multicast(const wr_ipaddr *a);  /* 224.0.0.0/4, ff00::/8 */
/* a.isInRange(b): every address of range a lies in range b (same family). */
bool wr_ext_ip_in_range(const wr_ipaddr *a, const wr_ipaddr *b);
bool wr_ext_ip_equal(const wr_ipaddr *a, const wr_ipaddr *b);
/* Canonical text (for display and hashing); out holds >= 64 bytes. */
void wr_ext_ip_format(const wr_ipaddr *a, char *out, size_t outlen);

/* ---- decimal ----------------------------------------------------------- */
int wr_ext_decimal_parse(const char *s, size_t len, int64_t *out) WR_MUST_CHECK;
/* "12.3400" style with trailing zeros trimmed to at least one digit. */
void wr_ext_decimal_format(int64_t v, char *out, size_t outlen);

/* ---- datetime and duration ------------------------------------------------ */
int wr_ext_datetime_parse(const char *s, size_t len, int64_t *ms) WR_MUST_CHECK;
int wr_ext_duration_parse(const char *s, size_t len, int64_t *ms) WR_MUST_CHECK;
/* datetime.offset(duration) */
int wr_ext_datetime_offset(int64_t dt, int64_t dur, int64_t *out) WR_MUST_CHECK;
/* datetime.durationSince(other) = dt - other */
int wr_ext_datetime_duration_since(int64_t dt, int64_t other, int64_t *out) WR_MUST_CHECK;
/* datetime.toDate(): midnight of that day (UTC), flooring for negatives */
int wr_ext_datetime_to_date(int64_t dt, int64_t *out) WR_MUST_CHECK;
/* datetime.toTime(): duration since that day's midnight */
int64_t wr_ext_datetime_to_time(int64_t dt);
/* duration.toMilliseconds/Seconds/Minutes/Hours/Days: truncating division */
int64_t wr_ext_duration_to(int64_t dur, int64_t unit_ms);
/* Formatting for display ("2024-10-15T11:38:02.123Z", "1d2h"). */
void wr_ext_datetime_format(int64_t ms, char *out, size_t outlen);
void wr_ext_duration_format(int64_t ms, char *out, size_t outlen);

#endif
