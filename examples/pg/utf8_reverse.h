/*
 * utf8_reverse.h - reverse UTF-8 text by characters (each character's bytes
 * stay in order), plainly and 16 bytes at a time.  One source for the guest
 * (examples/pg/strings.c, wasm SIMD) and for the benchmark's C anchor
 * (pg/bench/wasm_bench.c, SSE2), so that both run the same algorithm.
 *
 * Invalid UTF-8 is reversed as the plain loop treats it: a stray
 * continuation byte is a character of its own, and a sequence cut short by
 * the end of the text is kept whole.
 *
 * For the 16-byte version the includer defines, before including:
 *   RV_VEC                     a 16-byte vector type
 *   rv_load(p)                 RV_VEC from 16 bytes at p (unaligned)
 *   rv_store_reversed(p, v)    the 16 bytes of v, last first, at p
 *   rv_bitmask(v)              bit k set when byte k of v has its top bit set
 * and gets utf8_reverse16(); utf8_reverse() needs nothing.
 */
#ifndef UTF8_REVERSE_H
#define UTF8_REVERSE_H

#include <stdint.h>

/* Bytes in the UTF-8 sequence that `b` starts: 1 for ASCII and for a stray
 * continuation byte. */
static inline uint32_t rv_seq_len(unsigned char b) { return 1u + (b >= 0xc0) + (b >= 0xe0) + (b >= 0xf0); }

/* Copy the character at s[p] (n bytes, n <= 4) to where it goes in out.
 * Returns n.  Few branches: an interpreter pays for each. */
static inline uint32_t rv_put_char(const unsigned char *s, uint32_t len, uint32_t p, unsigned char *out)
{
    uint32_t n = rv_seq_len(s[p]);
    if (n > len - p) /* a truncated sequence at the end */
        n = len - p;
    unsigned char *o = out + len - p - n;
    const unsigned char *c = s + p;
    o[0] = c[0]; /* first and last, then the middle two: any n from 1 to 4 */
    o[n - 1] = c[n - 1];
    if (n > 2) {
        o[1] = c[1];
        o[n - 2] = c[n - 2];
    }
    return n;
}

/* The plain loop. */
static void utf8_reverse(const unsigned char *s, uint32_t len, unsigned char *out)
{
    for (uint32_t i = 0; i < len;) {
        if (s[i] < 0x80) { /* ASCII: the common case, one byte */
            out[len - 1 - i] = s[i];
            i++;
        } else
            i += rv_put_char(s, len, i, out);
    }
}

#ifdef RV_VEC
/* Put back in order the characters that start at the set bits of m (bit k:
 * byte base + k is not ASCII), skipping bytes before `done` (the rest of a
 * character already put).  Returns the new `done`. */
static inline uint32_t rv_fix(const unsigned char *s, uint32_t len, unsigned char *out, uint32_t base, uint32_t m,
                              uint32_t done)
{
    if (done > base)
        m &= ~0u << (done - base); /* done - base <= 3 */
    while (m) {
        uint32_t p = base + (uint32_t)__builtin_ctz(m);
        done = p + rv_put_char(s, len, p, out);
        m &= ~0u << (done - base); /* done - base <= 19 */
    }
    return done;
}

/* One pass over 16-byte blocks: reverse each block's bytes, and put the
 * multi-byte characters of the block before it back in order (a character
 * may run into the next block, so its fix waits until that block is
 * stored).  The bytes after the last whole block are done first, as the
 * final 16 bytes (overlapping), so that no block store lands on a fixed
 * character.  Text shorter than a block takes the plain loop. */
static void utf8_reverse16(const unsigned char *s, uint32_t len, unsigned char *out)
{
    if (len < 16) {
        utf8_reverse(s, len, out);
        return;
    }
    RV_VEC tail = rv_load(s + len - 16);
    rv_store_reversed(out, tail);
    uint32_t i = 0, done = 0, pending = 0; /* pending: the previous block's non-ASCII bits */
    for (; i + 16 <= len; i += 16) {
        RV_VEC v = rv_load(s + i);
        rv_store_reversed(out + len - i - 16, v);
        if (pending)
            done = rv_fix(s, len, out, i - 16, pending, done);
        pending = rv_bitmask(v);
    }
    if (pending)
        done = rv_fix(s, len, out, i - 16, pending, done);
    if (i < len) /* the bytes after the last whole block */
        rv_fix(s, len, out, i, rv_bitmask(tail) >> (i - (len - 16)), done);
}
#endif

#endif
