/*
 * math.c - example numeric UDFs for the PostgreSQL extension: the plain
 * core types, no memory traffic.  Build:
 *     clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -I sdk math.c -o math.wasm
 */
#include "wasmbox_udf.h"

/* The call-overhead benchmark's function: SELECT sum(ns_add(i, 1)). */
WB_EXPORT(add) int32_t add(int32_t a, int32_t b) { return a + b; }

WB_EXPORT(fib) int32_t fib(int32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

WB_EXPORT(gcd) int64_t gcd(int64_t a, int64_t b)
{
    while (b != 0) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a < 0 ? -a : a;
}

WB_EXPORT(hypot2) double hypot2(double x, double y) { return x * x + y * y; }

WB_EXPORT(half) float half(float x) { return x / 2; }

/* smallint and boolean through declared signatures. */
WB_UDF(mul_small, "(smallint, smallint) -> smallint")
int32_t mul_small(int32_t a, int32_t b) { return a * b; }

WB_UDF(is_even, "(bigint) -> boolean")
int32_t is_even(int64_t n) { return (n & 1) == 0; }

/* A counter in the instance's memory: shows that each role has its own
 * instance, and that an instance lives across calls. */
static int64_t counter;
WB_EXPORT(bump) int64_t bump(void) { return ++counter; }
