/*
 * wasm_bench.c - native C UDFs doing what the benchmark's wasm UDFs do, the
 * baseline the acceptance ratios are measured against:
 *   c_add(int, int)   call overhead (SELECT sum(c_add(i, 1)) over 2M rows)
 *   c_fib(int)        recursive fib, compute-bound
 *   c_reverse(text)   reverse UTF-8 text by characters (the guest's algorithm)
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(c_add);
PG_FUNCTION_INFO_V1(c_fib);
PG_FUNCTION_INFO_V1(c_reverse);

Datum c_add(PG_FUNCTION_ARGS) { PG_RETURN_INT32(PG_GETARG_INT32(0) + PG_GETARG_INT32(1)); }

static int32 fib(int32 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

Datum c_fib(PG_FUNCTION_ARGS) { PG_RETURN_INT32(fib(PG_GETARG_INT32(0))); }

Datum c_reverse(PG_FUNCTION_ARGS)
{
    text *t = PG_GETARG_TEXT_PP(0);
    const unsigned char *s = (const unsigned char *)VARDATA_ANY(t);
    uint32 len = VARSIZE_ANY_EXHDR(t);
    text *r = palloc(len + VARHDRSZ);
    unsigned char *out = (unsigned char *)VARDATA(r);
    SET_VARSIZE(r, len + VARHDRSZ);
    for (uint32 i = 0; i < len;) {
        if (s[i] < 0x80) {
            out[len - 1 - i] = s[i];
            i++;
            continue;
        }
        uint32 n = s[i] >= 0xf0 ? 4 : s[i] >= 0xe0 ? 3 : s[i] >= 0xc0 ? 2 : 1;
        if (i + n > len)
            n = len - i;
        for (uint32 k = 0; k < n; k++)
            out[len - i - n + k] = s[i + k];
        i += n;
    }
    PG_RETURN_TEXT_P(r);
}
