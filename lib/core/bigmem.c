/*
 * bigmem.c — large zeroed tables on transparent huge pages (see bigmem.h
 * for why).  mmap rather than malloc so that the block is a mapping of its
 * own, whole pages the advice can apply to, unmapped at free.
 */
#define _DEFAULT_SOURCE   /* MAP_ANONYMOUS, MADV_HUGEPAGE */
#include "bigmem.h"

#include <stdint.h>
#include <sys/mman.h>

#define PAGE 4096u

void wr_bigmem_advise(void *p, size_t n)
{
    uintptr_t lo = ((uintptr_t)p + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
    uintptr_t hi = ((uintptr_t)p + n) & ~(uintptr_t)(PAGE - 1);
#ifdef MADV_HUGEPAGE
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);   /* advice only */
#else
    (void)lo;
    (void)hi;
#endif
}

/* Lengths are rounded up to whole huge pages: Linux aligns an anonymous
 * mapping on a huge-page boundary only when its length is a multiple of
 * one, and a misaligned table loses huge pages at both ends and shifts
 * every other one across two. */
#define HUGE ((size_t)2 << 20)

static size_t huge_round(size_t n)
{
    return (n + HUGE - 1) & ~(HUGE - 1);
}

void *wr_bigmem_alloc(size_t n)
{
    void *p = mmap(NULL, huge_round(n), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    wr_bigmem_advise(p, n);
    return p;
}

void wr_bigmem_free(void *p, size_t n)
{
    if (p)
        munmap(p, huge_round(n));
}
