/*
 * file.c — whole-file reads with a size cap, crash-safe writes
 * (temporary file + fsync + rename + fsync of the directory), mkdir -p,
 * try-locks on lock files, and identifiers.
 */
#define _GNU_SOURCE
#include "warrant/core.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int wr_file_read(const char *path, size_t max, char **out, size_t *len, wr_err *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return wr_fail(err, errno == ENOENT ? WR_ENOTFOUND : WR_EIO, "%s: %s", path, strerror(errno));
    wr_buf b = WR_BUF_INIT;
    b.max = max;
    char chunk[65536];
    size_t n;
    int rc = WR_OK;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if ((rc = wr_buf_append(&b, chunk, n)) != WR_OK)
            break;
    }
    if (rc == WR_OK && ferror(f))
        rc = wr_fail(err, WR_EIO, "%s: read error", path);
    else if (rc == WR_ELIMIT)
        wr_fail(err, rc, "%s: file larger than the limit of %zu bytes", path, max);
    else if (rc)
        wr_fail(err, rc, "%s: out of memory", path);
    if (f != stdin)
        fclose(f);
    if (rc) {
        wr_buf_free(&b);
        return rc;
    }
    if (len)
        *len = b.len;
    *out = wr_buf_steal(&b);
    return WR_OK;
}

int wr_file_write_atomic(const char *path, const void *data, size_t len,
                         unsigned mode, wr_err *err)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    snprintf(tmp, plen + 16, "%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
    if (fd < 0) {
        int rc = wr_fail(err, WR_EIO, "%s: %s", tmp, strerror(errno));
        free(tmp);
        return rc;
    }
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto fail;
        p += w;
        left -= (size_t)w;
    }
    if (fchmod(fd, (mode_t)mode) != 0 || fsync(fd) != 0)
        goto fail;
    close(fd);
    if (rename(tmp, path) != 0) {
        int rc = wr_fail(err, WR_EIO, "%s: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return rc;
    }
    /* make the rename itself durable */
    char *dcopy = strdup(path);
    if (dcopy) {
        int dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
        free(dcopy);
    }
    free(tmp);
    return WR_OK;
fail:;
    int rc = wr_fail(err, WR_EIO, "%s: %s", tmp, strerror(errno));
    close(fd);
    unlink(tmp);
    free(tmp);
    return rc;
}

int wr_mkdirs(const char *path, unsigned mode, wr_err *err)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return wr_fail(err, WR_EINVAL, "bad directory path '%s'", path);
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
            return wr_fail(err, WR_EIO, "%s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
        return wr_fail(err, WR_EIO, "%s: %s", buf, strerror(errno));
    return WR_OK;
}

int wr_lock_try(const char *dir, const char *name, int *fd, wr_err *err)
{
    int rc = wr_mkdirs(dir, 0700, err);
    if (rc)
        return rc;
    char path[4608];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return wr_fail(err, WR_ELIMIT, "%s/%s: path too long", dir, name);
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f < 0)
        return wr_fail(err, WR_EIO, "%s: %s", path, strerror(errno));
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        close(f);
        return wr_fail(err, WR_ESTATE, "%s: held by another process", path);
    }
    *fd = f;
    return WR_OK;
}

void wr_id_new(const char *prefix, char *out, size_t outlen)
{
    /* 48 bits of milliseconds then 80 random bits, Crockford base32:
     * identifiers sort by creation time and never collide in practice. */
    static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
    uint8_t raw[16];
    int64_t ms = wr_now() * 1000;
    if (!getenv("WARRANT_NOW")) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    for (int i = 0; i < 6; i++)
        raw[i] = (uint8_t)(ms >> (40 - 8 * i));
    randombytes_buf(raw + 6, 10);
    char enc[27];
    unsigned acc = 0;
    int bits = 0, j = 0;
    for (int i = 0; i < 16 && j < 26; i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;
        while (bits >= 5 && j < 26) {
            enc[j++] = alphabet[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    while (j < 26)
        enc[j++] = alphabet[(acc << (5 - bits)) & 31], bits = 0;
    enc[26] = '\0';
    snprintf(out, outlen, "%s_%s", prefix, enc);
}
