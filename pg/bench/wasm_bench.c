/*
 * wasm_bench.c - native C UDFs doing what the benchmark's wasm UDFs do, the
 * baseline the acceptance ratios are measured against:
 *   c_add(int, int)   call overhead (SELECT sum(c_add(i, 1)) over 2M rows)
 *   c_fib(int)        recursive fib, compute-bound
 *   c_reverse(text)   reverse UTF-8 text by characters (the guest's algorithm)
 *   c_reverse16(text) the same, 16 bytes at a time (str.reverse16's algorithm)
 * The reversals are examples/pg/utf8_reverse.h, the guest's own source.
 * Built with the flags PGXS gives any extension (no -march): SSE2 is what
 * every x86-64 has, as SIMD128 is what every wasm engine of today has.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(c_add);
PG_FUNCTION_INFO_V1(c_fib);
PG_FUNCTION_INFO_V1(c_reverse);
PG_FUNCTION_INFO_V1(c_reverse16);

Datum c_add(PG_FUNCTION_ARGS) { PG_RETURN_INT32(PG_GETARG_INT32(0) + PG_GETARG_INT32(1)); }

static int32 fib(int32 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

Datum c_fib(PG_FUNCTION_ARGS) { PG_RETURN_INT32(fib(PG_GETARG_INT32(0))); }

#ifdef __SSE2__
/* The 16 bytes of x, last first, at out: dwords reversed, then the words and
 * the bytes within each (SSE2 has no byte shuffle; this is five instructions). */
static inline void store_reversed(unsigned char *out, __m128i x)
{
    x = _mm_shuffle_epi32(x, _MM_SHUFFLE(0, 1, 2, 3));
    x = _mm_shufflehi_epi16(_mm_shufflelo_epi16(x, _MM_SHUFFLE(2, 3, 0, 1)), _MM_SHUFFLE(2, 3, 0, 1));
    x = _mm_or_si128(_mm_slli_epi16(x, 8), _mm_srli_epi16(x, 8));
    _mm_storeu_si128((__m128i *)out, x);
}
#define RV_VEC __m128i
#define rv_load(p) _mm_loadu_si128((const __m128i *)(p))
#define rv_store_reversed(p, v) store_reversed((p), (v))
#define rv_bitmask(v) ((uint32_t)_mm_movemask_epi8(v))
#endif
#include "utf8_reverse.h"
#ifndef RV_VEC
#define utf8_reverse16 utf8_reverse /* no vectors: the plain loop */
#endif

static Datum reverse_text(FunctionCallInfo fcinfo, void (*rev)(const unsigned char *, uint32, unsigned char *))
{
    text *t = PG_GETARG_TEXT_PP(0);
    uint32 len = VARSIZE_ANY_EXHDR(t);
    text *r = palloc(len + VARHDRSZ);
    SET_VARSIZE(r, len + VARHDRSZ);
    rev((const unsigned char *)VARDATA_ANY(t), len, (unsigned char *)VARDATA(r));
    PG_RETURN_TEXT_P(r);
}

Datum c_reverse(PG_FUNCTION_ARGS) { return reverse_text(fcinfo, utf8_reverse); }

Datum c_reverse16(PG_FUNCTION_ARGS) { return reverse_text(fcinfo, utf8_reverse16); }
