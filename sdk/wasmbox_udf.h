/*
 * wasmbox_udf.h - write PostgreSQL functions for the `wasm` extension in C.
 *
 * Build a module with
 *     clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -I sdk udfs.c -o udfs.wasm
 * (add -msimd128 to use wasm SIMD through <wasm_simd128.h>)
 * and load it with wasm.load('ns', pg_read_binary_file(...)) or
 * wasm_new_instance('/abs/path/udfs.wasm', 'ns'): every function declared
 * with WB_UDF becomes the SQL function ns_<name> with the SQL types given.
 *
 *     #include "wasmbox_udf.h"
 *
 *     WB_UDF(add, "(integer, integer) -> integer")
 *     int32_t add(int32_t a, int32_t b) { return a + b; }
 *
 *     WB_UDF(reverse, "(text) -> text")
 *     const wb_ret *reverse(const char *s, uint32_t len)
 *     {
 *         char *out = wb_alloc(len, 1);
 *         for (uint32_t i = 0; i < len; i++)
 *             out[i] = s[len - 1 - i];
 *         return wb_return(out, len);
 *     }
 *
 * The ABI is the Component Model's canonical ABI, flattened:
 *   - boolean, smallint, integer are int32_t; bigint int64_t; real float;
 *     double precision double.
 *   - a text (UTF-8) or bytea argument arrives as two parameters, a pointer
 *     and a length in bytes; the host copies it into memory it obtained from
 *     the module's exported cabi_realloc (defined here).
 *   - a text or bytea result is returned as a pointer to a pair (pointer,
 *     length) -- what wb_return builds; the host copies the bytes out.
 *   - after the host has copied a result it calls cabi_post_<name>, which
 *     WB_UDF defines to free everything the call allocated.
 *
 * Memory: wb_alloc takes from an arena that is emptied after every call of
 * a WB_UDF function, so a call's allocations (its arguments included) never
 * outlive it.  Keep data that must persist between calls in static variables.
 * The instance is private to one database role and lives as long as the
 * session, unless a call traps (then it is discarded and the next call starts
 * fresh).  The host caps linear memory (wasm.max_memory); an allocation that
 * cannot be satisfied traps.
 *
 * Include this header in one source file per module (it defines the
 * allocator exports).
 */
#ifndef WASMBOX_UDF_H
#define WASMBOX_UDF_H

#include <stddef.h>
#include <stdint.h>

/* A string or byte-list result: what the host reads. */
typedef struct wb_ret {
    const void *ptr;
    uint32_t len;
} wb_ret;

#define WB__STR(x) #x

/* Declare the SQL signature of an export in the module's "wasmbox.sql"
 * custom section ("name(types) -> type" lines; the host reads them when
 * the module is loaded).  The signature is a plain C string literal. */
#define WB_SIGNATURE(name, sig)                                                                       \
    __asm__(".section .custom_section.wasmbox.sql,\"\",@\n.ascii \"" WB__STR(name) sig "\\n\"\n.text\n");

/* Export a function under `name` with no SQL signature: the host maps wasm
 * types to SQL ones (i32 integer, i64 bigint, f32 real, f64 double). */
#define WB_EXPORT(name) __attribute__((export_name(#name)))

/* Export `name` as a UDF of SQL signature `sig` ("(text, integer) -> text"),
 * with its post-return function that empties the arena.  Put it right
 * before the function's definition. */
#define WB_UDF(name, sig)                                                                             \
    WB_SIGNATURE(name, sig)                                                                           \
    __attribute__((export_name("cabi_post_" #name))) void wb__post_##name(void) { wb_arena_reset(); } \
    WB_EXPORT(name)

/* ---- what the compiler may call -------------------------------------------------------- */

/* Without a libc, clang still turns some loops and struct copies into calls
 * to these; weak, so a module may bring its own.  (LLVM does not turn the
 * loops of functions so named into calls to themselves.) */
__attribute__((weak)) void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

__attribute__((weak)) void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s)
        while (n--)
            *d++ = *s++;
    else
        while (n--)
            d[n] = s[n];
    return dst;
}

__attribute__((weak)) void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

/* ---- the arena ------------------------------------------------------------------------- */

extern unsigned char __heap_base;               /* first free byte after static data (wasm-ld) */
static unsigned char *wb__top = &__heap_base; /* next free byte */

static inline void wb_arena_reset(void) { wb__top = &__heap_base; }

/* Grow memory so that it ends at or after `end`; traps when it cannot. */
__attribute__((noinline)) static void wb__grow_to(uint64_t end)
{
    uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) * 65536u;
    if (end > have && __builtin_wasm_memory_grow(0, (size_t)((end - have + 65535u) / 65536u)) == (size_t)-1)
        __builtin_trap();
}

/* `size` bytes aligned to `align` (a power of two); traps when memory is
 * exhausted.  Never returns NULL.  Short on purpose: the host calls it for
 * every text or bytea argument. */
static inline void *wb_alloc(size_t size, size_t align)
{
    uintptr_t p = ((uintptr_t)wb__top + (align - 1)) & ~(uintptr_t)(align - 1); /* align 0 acts as 1 */
    uint64_t end = (uint64_t)p + size;
    if (end > (uint64_t)__builtin_wasm_memory_size(0) * 65536u)
        wb__grow_to(end);
    wb__top = (unsigned char *)(uintptr_t)end;
    return (void *)p;
}

/* The canonical ABI's allocator: the host calls it to place arguments.  A
 * bump allocator: growing the latest block in place when possible, else
 * copying; freeing is the arena reset. */
__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, size_t old_size, size_t align,
                                                                 size_t new_size)
{
    if (!old)
        return wb_alloc(new_size, align);
    if ((unsigned char *)old + old_size == wb__top && new_size >= old_size) {
        wb__top = old; /* extend the last block */
        return wb_alloc(new_size, 1);
    }
    void *p = wb_alloc(new_size, align);
    memcpy(p, old, old_size < new_size ? old_size : new_size);
    return p;
}

/* Build a string/bytes result.  The pair lives in a static return area,
 * which the host reads before the next call. */
static wb_ret wb__ret_area;
static inline const wb_ret *wb_return(const void *ptr, uint32_t len)
{
    wb__ret_area.ptr = ptr;
    wb__ret_area.len = len;
    return &wb__ret_area;
}

/* Convenience for NUL-terminated results. */
static inline const wb_ret *wb_return_str(const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    return wb_return(s, n);
}

#endif
