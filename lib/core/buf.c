/*
 * buf.c — bounded growable byte buffer.
 *
 * Capacity doubles as data is appended, but never beyond b->max (default
 * WR_BUF_DEFAULT_MAX): hostile input gets WR_ELIMIT rather than all of
 * memory.  data is kept NUL-terminated so text can be used directly.
 */
#include "warrant/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int wr_buf_reserve(wr_buf *b, size_t extra)
{
    size_t max = b->max ? b->max : WR_BUF_DEFAULT_MAX;
    if (extra > max || b->len > max - extra)
        return WR_ELIMIT;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return WR_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > max + 1)
        cap = max + 1;
    char *p = realloc(b->data, cap);
    if (!p)
        return WR_ENOMEM;
    b->data = p;
    b->cap = cap;
    return WR_OK;
}

int wr_buf_append(wr_buf *b, const void *data, size_t len)
{
    int rc = wr_buf_reserve(b, len);
    if (rc)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return WR_OK;
}

int wr_buf_puts(wr_buf *b, const char *s)
{
    return wr_buf_append(b, s, strlen(s));
}

int wr_buf_printf(wr_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return WR_EINVAL;
    int rc = wr_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return WR_OK;
}

void wr_buf_reset(wr_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void wr_buf_free(wr_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *wr_buf_steal(wr_buf *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
