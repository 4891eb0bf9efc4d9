/*
 * err.c — the one error-reporting mechanism of libwarrant.
 *
 * A failing function fills a caller-supplied wr_err with a status and a
 * message and returns the status, so call sites read
 *     return wr_fail(err, WR_EINVAL, "%s:%d:%d: unexpected '%c'", ...);
 * Messages are truncated to fit wr_err.msg; they never allocate, so an
 * out-of-memory path can still report itself.
 */
#include "warrant/core.h"

#include <stdio.h>
#include <string.h>

int wr_vfail(wr_err *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return code;
}

int wr_fail(wr_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wr_vfail(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int wr_fail_wrap(wr_err *err, const char *fmt, ...)
{
    if (!err)
        return WR_EINTERNAL;
    char prefix[512], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
    return err->code ? err->code : WR_EINTERNAL;
}

static const struct {
    int code;
    const char *name;
    int exit_code;
} status_table[] = {
    {WR_OK, "OK", 0},
    {WR_EINVAL, "EINVAL", 2},
    {WR_ENOTFOUND, "ENOTFOUND", 3},
    {WR_ESTATE, "ESTATE", 4},
    {WR_EDENIED, "EDENIED", 5},
    {WR_EIO, "EIO", 1},
    {WR_ENOMEM, "ENOMEM", 1},
    {WR_ECONFLICT, "ECONFLICT", 4},
    {WR_ECORRUPT, "ECORRUPT", 6},
    {WR_ELIMIT, "ELIMIT", 2},
    {WR_EINTERNAL, "EINTERNAL", 1},
};

const char *wr_status_name(int code)
{
    for (size_t i = 0; i < sizeof status_table / sizeof status_table[0]; i++)
        if (status_table[i].code == code)
            return status_table[i].name;
    return "EUNKNOWN";
}

int wr_status_exit(int code)
{
    for (size_t i = 0; i < sizeof status_table / sizeof status_table[0]; i++)
        if (status_table[i].code == code)
            return status_table[i].exit_code;
    return 1;
}
