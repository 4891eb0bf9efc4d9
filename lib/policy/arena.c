/*
 * arena.c — bump allocator used for everything the Cedar engine builds.
 *
 * A policy set, entity store or schema owns one arena and frees it whole;
 * no structure inside needs individual frees.  The per-thread wr_authz
 * scratch also uses one: ca_reset() rewinds every chunk without returning
 * memory, so after the first few decisions evaluation never calls malloc.
 * The total is capped so hostile input fails instead of exhausting memory.
 */
#include "policy/cedar.h"

#include <stdlib.h>
#include <string.h>

struct carena_chunk {
    carena_chunk *next;
    size_t cap, used;
    max_align_t data[];
};

#define CA_MIN_CHUNK ((size_t)64 << 10)
#define CA_DEFAULT_MAX ((size_t)1 << 30)

/* Allocations are aligned at their start (al: a power of two), not
 * rounded up in size, so strings (al 1) pack tightly. */
static void *alloc(carena *a, size_t n, size_t al, bool zero)
{
    if (n == 0)
        n = 1;
    for (carena_chunk *c = a->cur; c; c = c->next) {
        size_t off = (c->used + al - 1) & ~(al - 1);
        if (off <= c->cap && c->cap - off >= n) {
            void *p = (char *)c->data + off;
            c->used = off + n;
            a->cur = c;
            if (zero)
                memset(p, 0, n);
            return p;
        }
        if (!c->next)
            break;
    }
    size_t max = a->max ? a->max : CA_DEFAULT_MAX;
    size_t cap = n > CA_MIN_CHUNK ? n : CA_MIN_CHUNK;
    if (cap > max || a->total > max - cap)
        return NULL;
    carena_chunk *c = malloc(sizeof *c + cap);
    if (!c)
        return NULL;
    c->next = NULL;
    c->cap = cap;
    c->used = n;
    a->total += cap;
    /* append after the last chunk so reset keeps reuse order */
    if (!a->head) {
        a->head = c;
    } else {
        carena_chunk *t = a->cur ? a->cur : a->head;
        while (t->next)
            t = t->next;
        t->next = c;
    }
    a->cur = c;
    if (zero)
        memset(c->data, 0, n);
    return c->data;
}

void *ca_alloc(carena *a, size_t n)
{
    return alloc(a, n, sizeof(max_align_t), true);
}

void *ca_alloc_nz(carena *a, size_t n)
{
    return alloc(a, n, sizeof(max_align_t), false);
}

char *ca_strndup(carena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = alloc(a, n + 1, 1, false);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void ca_reset(carena *a)
{
    for (carena_chunk *c = a->head; c; c = c->next)
        c->used = 0;
    a->cur = a->head;
}

void ca_free(carena *a)
{
    carena_chunk *c = a->head;
    while (c) {
        carena_chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = a->cur = NULL;
    a->total = 0;
}
