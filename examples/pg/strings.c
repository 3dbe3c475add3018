/*
 * strings.c - example UDFs on text and bytea for the PostgreSQL extension,
 * written with sdk/wasmbox_udf.h.  Build:
 *     clang --target=wasm32 -O2 -msimd128 -nostdlib -Wl,--no-entry -I sdk strings.c -o strings.wasm
 * Loaded as namespace `str`, each becomes str_<name> with the SQL signature
 * given to WB_UDF.
 */
#include "wasmbox_udf.h"

#include <wasm_simd128.h>

/* Reverse of UTF-8 text by characters: each character's bytes stay in order.
 * The algorithms are in utf8_reverse.h, shared with the C UDFs the
 * benchmark compares these with (pg/bench/wasm_bench.c). */
#define RV_VEC v128_t
#define rv_load(p) wasm_v128_load(p)
#define rv_store_reversed(p, v) \
    wasm_v128_store((p), wasm_i8x16_shuffle((v), (v), 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0))
#define rv_bitmask(v) ((uint32_t)wasm_i8x16_bitmask(v))
#include "utf8_reverse.h"

/* The plain loop. */
WB_UDF(reverse, "(text) -> text")
const wb_ret *reverse(const unsigned char *s, uint32_t len)
{
    unsigned char *out = wb_alloc(len, 1);
    utf8_reverse(s, len, out);
    return wb_return(out, len);
}

/* The same, 16 bytes at a time with wasm SIMD (clang -msimd128). */
WB_UDF(reverse16, "(text) -> text")
const wb_ret *reverse16(const unsigned char *s, uint32_t len)
{
    unsigned char *out = wb_alloc(len, 1);
    utf8_reverse16(s, len, out);
    return wb_return(out, len);
}

WB_UDF(upper_ascii, "(text) -> text")
const wb_ret *upper_ascii(const char *s, uint32_t len)
{
    char *out = wb_alloc(len, 1);
    for (uint32_t i = 0; i < len; i++)
        out[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
    return wb_return(out, len);
}

/* Three string arguments: a + sep + b. */
WB_UDF(join, "(text, text, text) -> text")
const wb_ret *join(const char *a, uint32_t alen, const char *sep, uint32_t slen, const char *b, uint32_t blen)
{
    uint32_t n = alen + slen + blen;
    char *out = wb_alloc(n, 1), *p = out;
    for (uint32_t i = 0; i < alen; i++)
        *p++ = a[i];
    for (uint32_t i = 0; i < slen; i++)
        *p++ = sep[i];
    for (uint32_t i = 0; i < blen; i++)
        *p++ = b[i];
    return wb_return(out, n);
}

/* Characters (code points) of UTF-8 text. */
WB_UDF(char_count, "(text) -> integer")
int32_t char_count(const unsigned char *s, uint32_t len)
{
    int32_t n = 0;
    for (uint32_t i = 0; i < len; i++)
        n += (s[i] & 0xc0) != 0x80;
    return n;
}

WB_UDF(is_palindrome, "(text) -> boolean")
int32_t is_palindrome(const char *s, uint32_t len)
{
    for (uint32_t i = 0; i < len / 2; i++)
        if (s[i] != s[len - 1 - i])
            return 0;
    return 1;
}

/* `s` repeated n times: a way to ask for much memory. */
WB_UDF(repeat, "(text, integer) -> text")
const wb_ret *repeat(const char *s, uint32_t len, int32_t n)
{
    if (n < 0)
        n = 0;
    char *out = wb_alloc((size_t)len * (uint32_t)n, 1);
    for (int32_t k = 0; k < n; k++)
        for (uint32_t i = 0; i < len; i++)
            out[(size_t)k * len + i] = s[i];
    return wb_return(out, len * (uint32_t)n);
}

/* Not valid UTF-8: the host must refuse it as text. */
WB_UDF(bad_utf8, "() -> text")
const wb_ret *bad_utf8(void)
{
    static const char bad[] = {'a', (char)0xff, 'b'};
    return wb_return(bad, 3);
}

/* FNV-1a of a byte list. */
WB_UDF(fnv1a, "(bytea) -> bigint")
int64_t fnv1a(const unsigned char *p, uint32_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint32_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return (int64_t)h;
}

WB_UDF(xor_bytes, "(bytea, integer) -> bytea")
const wb_ret *xor_bytes(const unsigned char *p, uint32_t len, int32_t key)
{
    unsigned char *out = wb_alloc(len, 1);
    for (uint32_t i = 0; i < len; i++)
        out[i] = p[i] ^ (unsigned char)key;
    return wb_return(out, len);
}

/* An average as an aggregate: the state is a bytea of (sum, count). */
typedef struct avg_state {
    double sum;
    double count;
} avg_state;

WB_UDF(avg_step, "(bytea, double precision) -> bytea")
const wb_ret *avg_step(const unsigned char *state, uint32_t len, double x)
{
    avg_state *s = wb_alloc(sizeof *s, 8);
    s->sum = 0;
    s->count = 0;
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
