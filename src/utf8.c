/*
 * utf8.c - the one UTF-8 check of the engine and its hosts: names in a
 * module (decode.c, wat_lex.c), a guest's trap message (guest_abi.c), and
 * the text a guest returns to a database (pg/call.c, sqlite/abi.c), which
 * every text-returning call pays for.
 *
 * On x86-64 (SSSE3), text of 16 bytes or more is first checked 16 bytes at
 * a time without a branch per character, after Keiser and Lemire's
 * "Validating UTF-8 In Less Than One Instruction Per Byte" (2021): each
 * byte and the one before it are classified by three table lookups, whose
 * AND is the set of errors that pair makes; the third and fourth bytes of
 * a character are checked by where a lead byte was two or three bytes
 * before.  Valid text, the common case, ends there.  Otherwise, and for
 * short text, the scalar loop finds where the valid prefix ends: runs of
 * ASCII 8 bytes at a time, one character at a time past them (whose
 * branches a text with a few non-ASCII characters mispredicts, which is
 * why the vector check comes first).
 */
#include "internal.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#include <stdatomic.h>
#define UTF8_SSSE3 1
#endif

#define HIGH 0x8080808080808080u

/* The top bits of the 8 bytes at s. */
static inline uint64_t high_bits(const uint8_t *s)
{
    uint64_t w;
    memcpy(&w, s, 8);
    return w & HIGH;
}

/* Bytes before the first that has its top bit set, in a word of high_bits()
 * that is not zero: the word was read in memory order. */
static inline unsigned ascii_before(uint64_t m)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return (unsigned)__builtin_clzll(m) / 8;
#else
    return (unsigned)__builtin_ctzll(m) / 8;
#endif
}

/* The length of the character at s[0] >= 0x80 if it is whole and valid
 * UTF-8 within n bytes (Unicode's table 3-7: no overlong forms, no
 * surrogates, nothing past U+10FFFF), else 0. */
static size_t sequence(const uint8_t *s, size_t n)
{
    uint8_t c = s[0], lo = 0x80, hi = 0xbf;
    size_t k;
    if (c >= 0xc2 && c <= 0xdf) {
        k = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        k = 3;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        else if (c == 0xed)
            hi = 0x9f; /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        k = 4;
        if (c == 0xf0)
            lo = 0x90; /* overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* past U+10FFFF */
    } else {
        return 0; /* a continuation byte, C0/C1 (always overlong), or F5-FF */
    }
    if (n < k || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t j = 2; j < k; j++)
        if ((s[j] & 0xc0) != 0x80)
            return 0;
    return k;
}

#ifdef UTF8_SSSE3
/* The errors a pair of bytes (the one before, this one) can show, each a
 * bit that the three lookups of block_errors() all set for a pair that has
 * it.  OVERLONG_4 and TOO_LARGE_1000 share a bit: both need a second byte
 * of 8x after an F lead, and the low nibbles of the lead tell them apart
 * (F0 one, F5-FF the other). */
enum {
    TOO_SHORT = 1 << 0,      /* a lead, then no continuation */
    TOO_LONG = 1 << 1,       /* ASCII, then a continuation */
    OVERLONG_3 = 1 << 2,     /* E0 then 80-9F */
    TOO_LARGE = 1 << 3,      /* F4 then 90-BF, or F5-FF then 90-BF */
    SURROGATE = 1 << 4,      /* ED then A0-BF */
    OVERLONG_2 = 1 << 5,     /* C0 or C1, then a continuation */
    TOO_LARGE_1000 = 1 << 6, /* F5-FF then 80-8F */
    OVERLONG_4 = 1 << 6,     /* F0 then 80-8F */
    TWO_CONTS = 1 << 7,      /* a continuation after a continuation: an error unless a
                              * 3- or 4-byte lead came 2 or 3 bytes before */
};
/* The errors that the lead's low nibble does not decide. */
#define CARRY (TOO_SHORT | TOO_LONG | TWO_CONTS)

/* The three tables, by the high nibble of the byte before, by its low
 * nibble, and by the high nibble of this byte. */
/* clang-format off */
static const uint8_t by_prev_high[16] = {
    TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, /* 0-7: ASCII */
    TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS,                                     /* 8-B: continuations */
    TOO_SHORT | OVERLONG_2,                                                         /* C */
    TOO_SHORT,                                                                      /* D */
    TOO_SHORT | OVERLONG_3 | SURROGATE,                                             /* E */
    TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4,                            /* F */
};
static const uint8_t by_prev_low[16] = {
    CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4,                                   /* 0 */
    CARRY | OVERLONG_2,                                                             /* 1 */
    CARRY, CARRY,                                                                   /* 2, 3 */
    CARRY | TOO_LARGE,                                                              /* 4 */
    CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,         /* 5, 6 */
    CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,         /* 7, 8 */
    CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,         /* 9, A */
    CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,         /* B, C */
    CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE,                                 /* D */
    CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,         /* E, F */
};
static const uint8_t by_high[16] = {
    TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, /* 0-7: ASCII */
    TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,           /* 8 */
    TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE,                             /* 9 */
    TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,                              /* A */
    TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,                              /* B */
    TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,                                             /* C-F: leads */
};
/* clang-format on */
#define TABLE(t) _mm_loadu_si128((const __m128i *)(t))

/* The errors of the 16 bytes at in, prev the 16 before them (zeros at the
 * start: ASCII, which expects nothing): not zero when there is one. */
__attribute__((target("ssse3"))) static inline __m128i block_errors(__m128i in, __m128i prev)
{
    const __m128i nib = _mm_set1_epi8(0x0f);
    __m128i prev1 = _mm_alignr_epi8(in, prev, 15); /* the byte before each, ... */
    __m128i prev2 = _mm_alignr_epi8(in, prev, 14); /* ... two before, three before */
    __m128i prev3 = _mm_alignr_epi8(in, prev, 13);
    __m128i e = _mm_shuffle_epi8(TABLE(by_prev_high), _mm_and_si128(_mm_srli_epi16(prev1, 4), nib));
    e = _mm_and_si128(e, _mm_shuffle_epi8(TABLE(by_prev_low), _mm_and_si128(prev1, nib)));
    e = _mm_and_si128(e,
                      _mm_shuffle_epi8(TABLE(by_high), _mm_and_si128(_mm_srli_epi16(in, 4), nib)));
    /* Top bit set where a byte must be a continuation after a continuation:
     * E0-FF two bytes before (less 0x60, saturated: 0x80 and up), F0-FF three
     * bytes before (less 0x70).  There TWO_CONTS is no error but its
     * absence is. */
    __m128i must = _mm_or_si128(_mm_subs_epu8(prev2, _mm_set1_epi8(0x60)),
                                _mm_subs_epu8(prev3, _mm_set1_epi8(0x70)));
    return _mm_xor_si128(e, _mm_and_si128(must, _mm_set1_epi8((char)0x80)));
}

/* Whether s[0..n), n >= 16, is all valid UTF-8.  The bytes after the end are taken
 * as zeros, at least one of them checked: a character the end cuts short
 * then shows as TOO_SHORT or as a missing TWO_CONTS. */
__attribute__((target("ssse3"))) static bool valid_ssse3(const uint8_t *s, size_t n)
{
    __m128i err = _mm_setzero_si128(), prev = _mm_setzero_si128();
    size_t i = 0;
    for (; n - i >= 16; i += 16) {
        __m128i in = _mm_loadu_si128((const __m128i *)(s + i));
        err = _mm_or_si128(err, block_errors(in, prev));
        prev = in;
    }
    /* The last r bytes, moved to the front of a block of zeros: from the
     * 16 that end the text (n >= 16), by a shuffle whose indexes past them
     * have the top bit set (a zero byte). */
    static const uint8_t pick[32] = {0,    1,    2,    3,    4,    5,    6,    7,
                                     8,    9,    10,   11,   12,   13,   14,   15,
                                     0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                     0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
    size_t r = n - i;
    __m128i last = _mm_loadu_si128((const __m128i *)(s + n - 16));
    __m128i tail = _mm_shuffle_epi8(last, _mm_loadu_si128((const __m128i *)(pick + 16 - r)));
    err = _mm_or_si128(err, block_errors(tail, prev));
    return _mm_movemask_epi8(_mm_cmpeq_epi8(err, _mm_setzero_si128())) == 0xffff;
}

static bool have_ssse3(void)
{
    static _Atomic int has = -1; /* asked once; threads that race ask the same */
    int h = atomic_load_explicit(&has, memory_order_relaxed);
    if (h < 0) {
        __builtin_cpu_init(); /* (when first called from a constructor) */
        h = __builtin_cpu_supports("ssse3") ? 1 : 0;
        atomic_store_explicit(&has, h, memory_order_relaxed);
    }
    return h == 1;
}
#endif

size_t wb_utf8_prefix(const void *text, size_t n)
{
    const uint8_t *s = text;
    size_t i = 0;
#ifdef UTF8_SSSE3
    if (n >= 16 && have_ssse3() && valid_ssse3(s, n))
        return n;
#endif
    while (i < n) {
        if (n - i >= 8) {
            uint64_t m = high_bits(s + i);
            if (!m) {
                i += 8;
                continue;
            }
            i += ascii_before(m);
        } else if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = sequence(s + i, n - i);
        if (!k)
            break;
        i += k;
    }
    return i;
}
