/*
 * utf8_reverse.c - examples/pg/utf8_reverse.h, the algorithm the text UDF
 * example (strings.c, wasm SIMD) and the benchmark's C anchor share: the
 * 16-bytes-at-a-time version must give exactly what the plain loop gives,
 * for valid UTF-8 and for anything else (stray continuation bytes, sequences
 * cut off at the end or by ASCII), at every length and block offset.  The
 * vector operations are emulated here byte by byte, so what is tested is
 * the block logic itself (the wasm build is compared with PostgreSQL's
 * reverse() by the extension's regression tests).
 */
#include "test.h"

typedef struct {
    unsigned char b[16];
} vec16;

static vec16 rv_load(const unsigned char *p)
{
    vec16 v;
    memcpy(v.b, p, 16);
    return v;
}

static void rv_store_reversed(unsigned char *p, vec16 v)
{
    for (int i = 0; i < 16; i++)
        p[i] = v.b[15 - i];
}

static uint32_t rv_bitmask(vec16 v)
{
    uint32_t m = 0;
    for (int i = 0; i < 16; i++)
        m |= (uint32_t)(v.b[i] >> 7) << i;
    return m;
}

#define RV_VEC vec16
#include "../../examples/pg/utf8_reverse.h"

/* Compare both versions on s[0..len); returns 1 when they agree. */
static int agree(const unsigned char *s, uint32_t len)
{
    unsigned char a[512], b[512];
    utf8_reverse(s, len, a);
    utf8_reverse16(s, len, b);
    return memcmp(a, b, len) == 0;
}

TEST(plain_loop_reverses_by_characters)
{
    const char *s = "a\xc3\xa9"
                    "b\xe2\x82\xac"
                    "c\xf0\x9f\x98\x80"; /* aébۿc😀 */
    unsigned char out[16];
    utf8_reverse((const unsigned char *)s, 12, out);
    CHECK(memcmp(out,
                 "\xf0\x9f\x98\x80"
                 "c\xe2\x82\xac"
                 "b\xc3\xa9"
                 "a",
                 12) == 0);
    /* a truncated sequence at the end stays whole; a stray continuation byte
     * is a character of its own */
    utf8_reverse((const unsigned char *)"x\x80y\xe2\x82", 5, out);
    CHECK(memcmp(out, "\xe2\x82y\x80x", 5) == 0);
}

TEST(blocks_agree_with_the_plain_loop_on_valid_text)
{
    /* Characters of 1 to 4 bytes, in a pattern that shifts with the length,
     * so every character length meets every block offset. */
    static const char *chars[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "z"};
    int bad = 0, runs = 0;
    for (uint32_t seed = 0; seed < 40; seed++)
        for (uint32_t len = 0; len < 300; len++) {
            unsigned char s[512];
            uint32_t n = 0;
            for (uint32_t k = 0; n < len; k++) {
                const char *c = chars[(k * 7 + seed * (k / 3 + 1)) % 5];
                size_t cl = strlen(c);
                if (n + cl > len)
                    c = "a", cl = 1;
                memcpy(s + n, c, cl);
                n += (uint32_t)cl;
            }
            runs++;
            bad += !agree(s, len);
        }
    CHECK_EQ_INT(bad, 0);
    CHECK(runs > 10000);
}

TEST(blocks_agree_with_the_plain_loop_on_any_bytes)
{
    /* Random bytes, mostly ASCII with runs of high bytes: invalid UTF-8 of
     * every kind, including sequences cut at the end of the text. */
    uint64_t x = 0x9e3779b97f4a7c15u;
    int bad = 0;
    for (int run = 0; run < 20000; run++) {
        unsigned char s[256];
        uint32_t len = (uint32_t)(run % 216);
        for (uint32_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            s[i] = (x % 4 == 0) ? (unsigned char)(0x80 + (x >> 8) % 128)
                                : (unsigned char)('a' + (x >> 8) % 26);
        }
        bad += !agree(s, len);
    }
    CHECK_EQ_INT(bad, 0);
}
