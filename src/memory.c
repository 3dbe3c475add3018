/*
 * memory.c - storage for linear memories, laid out for density.
 *
 * The interpreter checks every access against wb_memory.size explicitly, so a
 * memory needs no guard region and no 4 GiB reservation: only the bytes it
 * may address right now, and the pages it touches are all it costs.  A
 * process can then hold a million one-page memories (the density target is
 * about 6 KB of RSS per instance that wrote to its page).
 *
 *   Small memories (up to SLAB_MAX_BYTES, in power-of-two size classes from
 *   one 64 KiB page) are blocks carved from big shared MAP_NORESERVE
 *   mappings ("chunks"), so a million memories take a few hundred kernel
 *   mappings, not a million (vm.max_map_count is 65530 by default).
 *   Handing out a block is a mutex-protected pop or pointer bump: no system
 *   call on the instantiation path.
 *
 *   Bigger memories get their own MAP_NORESERVE mapping, sized to the
 *   current size rounded up to a power of two (capped by the memory's
 *   effective maximum), and grow with mremap(MREMAP_MAYMOVE), which moves
 *   page tables rather than bytes.  A memory that outgrows its slab block
 *   is copied once into a block of the next class or its own mapping (at
 *   most 1 MiB is ever copied).
 *
 *   Release: the used part of a slab block is MADV_DONTNEED'ed (the kernel
 *   drops the pages, returning their RSS, and the block reads as zero
 *   again) before it goes on its class's free stack; own mappings are
 *   unmapped.  So a block is always all zero when it is handed out, and
 *   fresh or grown bytes read as zero as wasm requires.  The free stacks are
 *   arrays outside the blocks: a link stored inside a freed block would
 *   touch (and so cost) one of its pages.
 *
 * Slab chunks are madvise(MADV_NOHUGEPAGE): with transparent huge pages set
 * to "always", one 4-byte store could otherwise fault in 2 MiB.
 *
 * Memory growth may move the data; the interpreter reloads the base and size
 * after memory.grow and after every call (interp.c RELOAD_MEM).
 */
#define _GNU_SOURCE
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SLAB_MIN_SHIFT 16u                  /* 64 KiB: one wasm page */
#define SLAB_CLASSES 5u                     /* 64 KiB, 128 KiB, ..., 1 MiB */
#define SLAB_MAX_BYTES ((size_t)1 << (SLAB_MIN_SHIFT + SLAB_CLASSES - 1))
#define CHUNK_BYTES ((size_t)64 << 20)      /* one slab mapping; a multiple of every class */

typedef struct slab_class {
    pthread_mutex_t lock;
    uint8_t *cur, *end;  /* unused tail of the newest chunk */
    uint8_t **free;      /* stack of released (already zeroed) blocks */
    size_t nfree, cap;
} slab_class;

static slab_class classes[SLAB_CLASSES] = {
    {.lock = PTHREAD_MUTEX_INITIALIZER}, {.lock = PTHREAD_MUTEX_INITIALIZER},
    {.lock = PTHREAD_MUTEX_INITIALIZER}, {.lock = PTHREAD_MUTEX_INITIALIZER},
    {.lock = PTHREAD_MUTEX_INITIALIZER},
};

/* Storage of a memory with no pages: never dereferenced (every access is out
 * of bounds), but not NULL, so zero-length memcpy/memset on it stay defined. */
static uint8_t empty_storage[16];

static unsigned class_of(size_t bytes)
{
    unsigned c = 0;
    while (((size_t)1 << (SLAB_MIN_SHIFT + c)) < bytes)
        c++;
    return c;
}

static size_t class_bytes(unsigned c) { return (size_t)1 << (SLAB_MIN_SHIFT + c); }

static uint8_t *slab_alloc(unsigned c)
{
    slab_class *sc = &classes[c];
    uint8_t *p = NULL;
    pthread_mutex_lock(&sc->lock);
    if (sc->nfree) {
        p = sc->free[--sc->nfree];
    } else {
        if (sc->cur == sc->end) {
            void *chunk = mmap(NULL, CHUNK_BYTES, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (chunk != MAP_FAILED) {
#ifdef MADV_NOHUGEPAGE
                madvise(chunk, CHUNK_BYTES, MADV_NOHUGEPAGE);
#endif
                sc->cur = chunk;
                sc->end = sc->cur + CHUNK_BYTES;
            }
        }
        if (sc->cur != sc->end) {
            p = sc->cur;
            sc->cur += class_bytes(c);
        }
    }
    pthread_mutex_unlock(&sc->lock);
    return p;
}

/* `used` bytes at p may have been written; the rest of the block never was. */
static void slab_free(unsigned c, uint8_t *p, size_t used)
{
    slab_class *sc = &classes[c];
    if (used)
        madvise(p, used, MADV_DONTNEED); /* zero-fill on next touch, RSS returned */
    pthread_mutex_lock(&sc->lock);
    if (sc->nfree == sc->cap) {
        size_t ncap = sc->cap ? sc->cap * 2 : 1024;
        uint8_t **n = realloc(sc->free, ncap * sizeof *n);
        if (!n) {
            /* The block is lost to reuse, but it holds no RSS any more. */
            pthread_mutex_unlock(&sc->lock);
            return;
        }
        sc->free = n;
        sc->cap = ncap;
    }
    sc->free[sc->nfree++] = p;
    pthread_mutex_unlock(&sc->lock);
}

/* Own mapping for a big memory: `bytes` now, room to grow in place up to
 * the next power of two (never beyond cap). */
static size_t big_reservation(size_t bytes, size_t cap)
{
    size_t r = SLAB_MAX_BYTES;
    while (r < bytes)
        r *= 2;
    if (r > cap)
        r = cap;
    return r < bytes ? bytes : r;
}

static uint8_t *big_alloc(size_t bytes, size_t cap, size_t *reserved)
{
    size_t r = big_reservation(bytes, cap);
    void *p = mmap(NULL, r, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED && r > bytes) {
        r = bytes;
        p = mmap(NULL, r, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    }
    if (p == MAP_FAILED)
        return NULL;
    *reserved = r;
    return p;
}

/* Fresh zeroed storage for `bytes` (> 0); cap is the most it may ever grow to. */
static uint8_t *storage_alloc(size_t bytes, size_t cap, size_t *reserved)
{
    if (bytes <= SLAB_MAX_BYTES) {
        unsigned c = class_of(bytes);
        uint8_t *p = slab_alloc(c);
        if (p)
            *reserved = class_bytes(c);
        return p;
    }
    return big_alloc(bytes, cap, reserved);
}

static void storage_free(uint8_t *data, size_t reserved, size_t used)
{
    if (!reserved)
        return; /* empty_storage or nothing */
    if (reserved <= SLAB_MAX_BYTES)
        slab_free(class_of(reserved), data, used);
    else
        munmap(data, reserved);
}

static size_t cap_bytes(const wb_memory *mem)
{
    uint64_t c = (uint64_t)mem->max_pages * WB_PAGE_SIZE;
    return c > SIZE_MAX ? SIZE_MAX : (size_t)c;
}

wb_result wb__memory_init(wb_memory *mem, uint32_t pages, uint32_t max_pages)
{
    mem->pages = 0;
    mem->size = 0;
    mem->max_pages = max_pages;
    mem->data = empty_storage;
    mem->reserved = 0;
    if (pages == 0)
        return WB_OK;
    uint64_t bytes = (uint64_t)pages * WB_PAGE_SIZE;
    if (pages > max_pages || bytes > SIZE_MAX)
        return WB_ERR_MEMORY_LIMIT;
    size_t reserved = 0;
    uint8_t *p = storage_alloc((size_t)bytes, cap_bytes(mem), &reserved);
    if (!p)
        return WB_ERR_NOMEM;
    mem->data = p;
    mem->reserved = reserved;
    mem->pages = pages;
    mem->size = bytes;
    return WB_OK;
}

/* Make the storage hold `bytes` (more than reserved now), keeping the
 * contents.  False when the host has no memory for it. */
static bool regrow(wb_memory *mem, size_t bytes)
{
    size_t cap = cap_bytes(mem);
    if (mem->reserved > SLAB_MAX_BYTES) {
        /* Own mapping: let the kernel extend or move it. */
        size_t r = big_reservation(bytes, cap);
        void *p = mremap(mem->data, mem->reserved, r, MREMAP_MAYMOVE);
        if (p == MAP_FAILED && r > bytes) {
            r = bytes;
            p = mremap(mem->data, mem->reserved, r, MREMAP_MAYMOVE);
        }
        if (p == MAP_FAILED)
            return false;
        mem->data = p;
        mem->reserved = r;
        return true;
    }
    /* No storage yet, or a slab block: new storage, copy, release the old. */
    size_t reserved = 0;
    uint8_t *p = storage_alloc(bytes, cap, &reserved);
    if (!p)
        return false;
    if (mem->size)
        memcpy(p, mem->data, (size_t)mem->size);
    storage_free(mem->data, mem->reserved, (size_t)mem->size);
    mem->data = p;
    mem->reserved = reserved;
    return true;
}

int64_t wb__memory_grow(wb_memory *mem, uint32_t delta)
{
    uint32_t old = mem->pages;
    if (delta == 0)
        return old;
    uint64_t np = (uint64_t)old + delta;
    if (np > mem->max_pages) {
        /* Refused by the instance cap while the type would allow it: a
         * memory bomb the host may want to report as such. */
        uint64_t decl = mem->has_max ? mem->decl_max : WB_MAX_PAGES;
        if (np <= decl)
            mem->limit_hit = true;
        return -1;
    }
    uint64_t bytes = np * WB_PAGE_SIZE;
    if (bytes > SIZE_MAX)
        return -1;
    if (!wb__budget_take(mem->budget, (uint64_t)delta * WB_PAGE_SIZE)) {
        mem->limit_hit = true;
        return -1;
    }
    if (bytes > mem->reserved && !regrow(mem, (size_t)bytes)) {
        wb__budget_give(mem->budget, (uint64_t)delta * WB_PAGE_SIZE);
        return -1;
    }
    mem->pages = (uint32_t)np;
    mem->size = bytes;
    return old;
}

void wb__memory_release(wb_memory *mem)
{
    storage_free(mem->data, mem->reserved, (size_t)mem->size);
    mem->data = empty_storage;
    mem->reserved = 0;
    mem->pages = 0;
    mem->size = 0;
}
