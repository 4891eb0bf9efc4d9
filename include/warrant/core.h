/*
 * warrant/core.h — error reporting, bounded buffers, hashing and encoding,
 * time, and file helpers shared by every libwarrant module.
 *
 * Error convention (used everywhere in libwarrant):
 *   Every fallible function returns int: WR_OK (0) on success or a negative
 *   WR_E* status on failure.  It takes a last argument `wr_err *err` (may be
 *   NULL) which, on failure, receives the status and a one-line message that
 *   names what was wrong and where (file:line:col, JSON path, object id).
 *   Failing code does `return wr_fail(err, WR_EINVAL, "...", ...)`, in the
 *   manner of git's `return error(...)`.  A function that fails leaves its
 *   outputs untouched and its side effects undone (transactions roll back).
 *
 * Ownership convention (the single rule):
 *   A pointer returned through an out-parameter of a function whose name ends
 *   in _new, _open, _load, _parse, _dup, or that is documented "caller frees",
 *   is owned by the caller and released with the matching _free/_close
 *   (json_t values with json_decref, plain strings/bytes with free()).
 *   Every other pointer is borrowed: it lives as long as the object it came
 *   from and must not be freed.  Functions never take ownership of their
 *   arguments (json_t arguments are borrowed; the callee increfs if it keeps
 *   one).
 */
#ifndef WARRANT_CORE_H
#define WARRANT_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define WR_MUST_CHECK __attribute__((warn_unused_result))
#define WR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define WR_MUST_CHECK
#define WR_PRINTF(a, b)
#endif

/* Status codes.  The CLI maps each to a distinct exit code (wr_status_exit). */
enum wr_status {
    WR_OK = 0,
    WR_EINVAL = -1,     /* malformed or invalid input */
    WR_ENOTFOUND = -2,  /* referenced object does not exist */
    WR_ESTATE = -3,     /* illegal state transition */
    WR_EDENIED = -4,    /* refused by policy, mandate or separation of duties */
    WR_EIO = -5,        /* file system or database failure */
    WR_ENOMEM = -6,     /* allocation failed */
    WR_ECONFLICT = -7,  /* concurrent modification lost the race */
    WR_ECORRUPT = -8,   /* integrity check failed (tampering, torn write) */
    WR_ELIMIT = -9,     /* a documented size or depth limit was exceeded */
    WR_EINTERNAL = -10  /* a bug: an invariant did not hold */
};

typedef struct wr_err {
    int code;
    char msg[1024];
} wr_err;

/* Record a failure in err (if non-NULL) and return code. */
int wr_fail(wr_err *err, int code, const char *fmt, ...) WR_PRINTF(3, 4);
int wr_vfail(wr_err *err, int code, const char *fmt, va_list ap);
/* Prefix an existing message with context: "context: old message". */
int wr_fail_wrap(wr_err *err, const char *fmt, ...) WR_PRINTF(2, 3);
/* "EINVAL", "ENOTFOUND", ... */
const char *wr_status_name(int code);
/* Process exit code for a status: 0 ok, 2 invalid, 3 not found, 4 state,
 * 5 denied, 6 corrupt, 1 anything else. */
int wr_status_exit(int code);

/* ---- bounded growable buffer --------------------------------------------
 * Every growable buffer in Warrant has a hard cap (max); growing past it
 * fails with WR_ELIMIT instead of exhausting memory on hostile input. */
typedef struct wr_buf {
    char *data;   /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max;   /* 0 means WR_BUF_DEFAULT_MAX */
} wr_buf;
#define WR_BUF_DEFAULT_MAX ((size_t)256 << 20) /* 256 MiB */
#define WR_BUF_INIT {NULL, 0, 0, 0}

int wr_buf_reserve(wr_buf *b, size_t extra) WR_MUST_CHECK;
int wr_buf_append(wr_buf *b, const void *data, size_t len) WR_MUST_CHECK;
int wr_buf_puts(wr_buf *b, const char *s) WR_MUST_CHECK;
int wr_buf_printf(wr_buf *b, const char *fmt, ...) WR_PRINTF(2, 3) WR_MUST_CHECK;
void wr_buf_reset(wr_buf *b);            /* len = 0, keeps memory */
void wr_buf_free(wr_buf *b);             /* releases memory */
char *wr_buf_steal(wr_buf *b);           /* caller frees; buffer emptied */

/* ---- hashing and encoding ---------------------------------------------- */
#define WR_SHA256_LEN 32
void wr_sha256(const void *data, size_t len, uint8_t out[WR_SHA256_LEN]);
/* Hash of the concatenation of n (ptr,len) pieces. */
void wr_sha256_v(const void *const *parts, const size_t *lens, size_t n,
                 uint8_t out[WR_SHA256_LEN]);
/* Lower-case hex; out must hold 2*len+1 bytes. */
void wr_hex_encode(const uint8_t *in, size_t len, char *out);
int wr_hex_decode(const char *hex, uint8_t *out, size_t outlen) WR_MUST_CHECK;
/* Value of one hex digit (either case), or -1. */
int wr_hex_digit(int c);
/* Standard base64 with padding (RFC 4648 §4); caller frees *out. */
int wr_base64_encode(const uint8_t *in, size_t len, char **out) WR_MUST_CHECK;
/* Decodes standard base64; returns bytes written or a negative status. */
int wr_base64_decode(const char *b64, uint8_t *out, size_t outmax, size_t *outlen) WR_MUST_CHECK;
/* "sha256:<hex>" digest of data; out must hold 72 bytes. */
void wr_digest_string(const void *data, size_t len, char out[72]);

/* ---- time ----------------------------------------------------------------
 * Warrant reads the clock only through wr_now(), so tests can move time:
 * if the environment variable WARRANT_NOW holds an RFC 3339 UTC timestamp
 * (or unix seconds), that is "now". */
int64_t wr_now(void);
/* Format unix seconds as "YYYY-MM-DDTHH:MM:SSZ"; out must hold 21 bytes. */
void wr_time_format(int64_t t, char out[21]);
/* Parse "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SSZ" or with an offset. */
int wr_time_parse(const char *s, int64_t *out) WR_MUST_CHECK;
/* Parse a span like "90s", "15m", "72h", "30d", "2w" into seconds. */
int wr_span_parse(const char *s, int64_t *out) WR_MUST_CHECK;

/* ---- files ---------------------------------------------------------------- */
/* Read a whole file (at most max bytes, else WR_ELIMIT); caller frees *out,
 * which is NUL-terminated. */
int wr_file_read(const char *path, size_t max, char **out, size_t *len, wr_err *err) WR_MUST_CHECK;
/* Write via a temporary file, fsync and rename, with the given mode. */
int wr_file_write_atomic(const char *path, const void *data, size_t len,
                         unsigned mode, wr_err *err) WR_MUST_CHECK;
/* mkdir -p with mode. */
int wr_mkdirs(const char *path, unsigned mode, wr_err *err) WR_MUST_CHECK;
/* Takes an exclusive flock on dir/name (dir created 0700, file 0600)
 * without waiting: *fd holds it until closed, and the kernel drops it if
 * the process dies.  WR_ESTATE when another holder has it. */
int wr_lock_try(const char *dir, const char *name, int *fd, wr_err *err) WR_MUST_CHECK;

/* Securely zero memory that held a secret. */
void wr_wipe(void *p, size_t len);

/* Random identifier "<prefix>_<26 base32 chars>" (time-ordered, like ULID);
 * out must hold strlen(prefix)+28 bytes. */
void wr_id_new(const char *prefix, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif
#endif
