/*
 * bigmem.h — large zeroed tables probed at random, on huge pages.
 *
 * Hash tables and caches of tens to hundreds of MiB (the inventory's
 * reference maps, the ledger's tile cache) are read at random places: with
 * 4 KiB pages nearly every probe also misses the TLB and pays a page walk
 * besides its cache miss.  These blocks are their own anonymous mappings,
 * marked for transparent huge pages (2 MiB: a few hundred TLB entries
 * cover the table).  The kernel hands the pages out zeroed and only as
 * they are first touched, so an unused part costs address space, not
 * memory.  The mark is advice: where huge pages are off, the block works
 * the same, slower.  Internal to libwarrant.
 */
#ifndef WARRANT_CORE_BIGMEM_H
#define WARRANT_CORE_BIGMEM_H

#include <stddef.h>

/* Zeroed memory for n bytes (n > 0), or NULL; free with wr_bigmem_free
 * and the same n. */
void *wr_bigmem_alloc(size_t n);
void wr_bigmem_free(void *p, size_t n);
/* Advises huge pages for the whole pages inside [p, p + n) of any block
 * (e.g. a large malloc'd one, which glibc maps on its own). */
void wr_bigmem_advise(void *p, size_t n);

#endif
