/*
 * udfs.c - the example UDFs in C, with sdk/wasmbox_udf.h.  The same
 * functions, with the same results, are in examples/rust/udfs.rs and
 * examples/assemblyscript/udfs.ts.  Build (docs/guests.md):
 *     clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -I sdk examples/c/udfs.c -o udfs.wasm
 */
#include "wasmbox_udf.h"

/* The call-overhead example: two integers in, one out.  Unsigned
 * arithmetic wraps, as the Rust and AssemblyScript versions do. */
WB_EXPORT(add) int32_t add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }

/* Recursive Fibonacci: a compute-heavy call. */
WB_EXPORT(fib) int32_t fib(int32_t n) { return n < 2 ? n : (int32_t)((uint32_t)fib(n - 1) + (uint32_t)fib(n - 2)); }

/* Text reversed by characters (each character's UTF-8 bytes stay in order).
 * The host passes valid UTF-8. */
WB_UDF(reverse, "(text) -> text")
const wb_ret *reverse(const unsigned char *s, uint32_t len)
{
    unsigned char *out = wb_alloc(len, 1);
    for (uint32_t i = 0; i < len;) {
        uint32_t n = s[i] < 0x80 ? 1 : s[i] < 0xe0 ? 2 : s[i] < 0xf0 ? 3 : 4;
        for (uint32_t k = 0; k < n && i + k < len; k++)
            out[len - i - n + k] = s[i + k];
        i += n;
    }
    return wb_return(out, len);
}

/* FNV-1a (64 bits) of a byte string. */
WB_UDF(hash, "(bytea) -> bigint")
int64_t hash(const unsigned char *p, uint32_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint32_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return (int64_t)h;
}

/* An average as an aggregate: the state is a bytea of (sum, count), two
 * little-endian doubles (wasm is little-endian); '' is the initial state. */
typedef struct avg_state {
    double sum, count;
} avg_state;

WB_UDF(avg_step, "(bytea, double precision) -> bytea")
const wb_ret *avg_step(const unsigned char *state, uint32_t len, double x)
{
    avg_state *s = wb_alloc(sizeof *s, 8);
    *s = (avg_state){0, 0};
    if (len == sizeof *s)
        memcpy(s, state, sizeof *s);
    s->sum += x;
    s->count += 1;
    return wb_return(s, sizeof *s);
}

WB_UDF(avg_final, "(bytea) -> double precision")
double avg_final(const unsigned char *state, uint32_t len)
{
    avg_state s = {0, 0};
    if (len == sizeof s)
        memcpy(&s, state, sizeof s);
    return s.count > 0 ? s.sum / s.count : 0.0;
}

/* A bug: a trap.  C has no panic message to leave (docs/guests.md). */
WB_UDF(fail, "(text) -> text")
const wb_ret *fail(const char *s, uint32_t len)
{
    (void)s;
    (void)len;
    __builtin_trap();
}
