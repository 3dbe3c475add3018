/*
 * utf8.c - wb_utf8_prefix, the UTF-8 check every host runs on the text a
 * guest returns: against a reference written the other way round (decode
 * the code point, then judge it), over every string of up to three bytes,
 * every four-byte string that starts past 0xDF (with a choice of last
 * bytes), every interesting sequence at every offset of the 8-byte fast
 * path, and random text.
 */
#include "test.h"

#include <stdint.h>

/* The reference: the longest valid prefix, one character at a time. */
static size_t ref_prefix(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t len = c < 0x80 ? 1 : c < 0xc0 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf8 ? 4 : 0;
        if (len == 0 || len > n - i)
            return i;
        uint32_t cp = len == 1 ? c : c & (0xffu >> (len + 1));
        for (size_t k = 1; k < len; k++) {
            if (s[i + k] >> 6 != 2)
                return i;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += len;
    }
    return n;
}

static int mismatches;

static void same(const uint8_t *s, size_t n);

/* s (at most 4 bytes) alone, and inside ASCII where the 16-byte blocks of
 * the vector check see it: across two blocks, ending the only block, and
 * in the bytes after the last whole block. */
static void in_context(const uint8_t *s, size_t n)
{
    uint8_t buf[32];
    same(s, n);
    memset(buf, 'x', sizeof buf);
    memcpy(buf + 14, s, n);
    same(buf, sizeof buf);
    memset(buf, 'y', sizeof buf);
    memcpy(buf + 16 - n, s, n);
    same(buf, 16);
    memcpy(buf + 16, s, n);
    same(buf, 16 + n);
}

static void same(const uint8_t *s, size_t n)
{
    size_t got = wb_utf8_prefix(s, n), want = ref_prefix(s, n);
    if (got != want && mismatches++ < 5) {
        fprintf(stderr, "  wb_utf8_prefix gives %zu, the reference %zu, for", got, want);
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, " %02x", s[i]);
        fprintf(stderr, "\n");
    }
}

TEST(known_answers)
{
    CHECK(wb_utf8_prefix("", 0) == 0);
    CHECK(wb_utf8_prefix(NULL, 0) == 0);
    CHECK(wb_utf8_prefix("a\xc3\xa9"
                         "b\xe2\x82\xac\xf0\x9f\x98\x80",
                         11) == 11);
    CHECK(wb_utf8_prefix("\xed\x9f\xbf", 3) == 3);     /* U+D7FF */
    CHECK(wb_utf8_prefix("\xed\xa0\x80", 3) == 0);     /* U+D800, a surrogate */
    CHECK(wb_utf8_prefix("\xf4\x8f\xbf\xbf", 4) == 4); /* U+10FFFF */
    CHECK(wb_utf8_prefix("\xf4\x90\x80\x80", 4) == 0); /* past it */
    CHECK(wb_utf8_prefix("\xc0\x80", 2) == 0);         /* overlong NUL */
    CHECK(wb_utf8_prefix("\xe0\x9f\xbf", 3) == 0);     /* overlong U+07FF */
    CHECK(wb_utf8_prefix("\xf0\x8f\xbf\xbf", 4) == 0); /* overlong U+FFFF */
    CHECK(wb_utf8_prefix("abc\xe2\x82", 5) == 3);      /* cut short */
    CHECK(wb_utf8_prefix("0123456789abcdef\x80", 17) ==
          16); /* a stray continuation after two words */
    CHECK(wb_utf8_prefix("0123456789abcde\xc3\xa9x", 18) == 18); /* a character across words */
    CHECK(wb_utf8_prefix("0123456\xc3", 8) == 7); /* its lead the word's last byte, at the end */
    CHECK(wb_utf8_prefix("\x00\x7f", 2) ==
          2); /* NUL is valid UTF-8 (PostgreSQL refuses it apart) */
}

TEST(every_string_of_up_to_three_bytes)
{
    uint8_t s[3];
    mismatches = 0;
    for (unsigned a = 0; a < 256; a++) {
        s[0] = (uint8_t)a;
        in_context(s, 1);
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (uint8_t)b;
            in_context(s, 2);
            for (unsigned c = 0; c < 256; c++) {
                s[2] = (uint8_t)c;
                in_context(s, 3);
            }
        }
    }
    CHECK_EQ_INT(mismatches, 0);
}

TEST(four_byte_strings)
{
    static const uint8_t last[] = {0x00, 0x7f, 0x80, 0x8f, 0x90, 0xbf, 0xc0, 0xff};
    uint8_t s[4];
    mismatches = 0;
    for (unsigned a = 0xe0; a < 256; a++)
        for (unsigned b = 0; b < 256; b++)
            for (unsigned c = 0; c < 256; c++)
                for (size_t d = 0; d < sizeof last; d++) {
                    s[0] = (uint8_t)a, s[1] = (uint8_t)b, s[2] = (uint8_t)c, s[3] = last[d];
                    in_context(s, 4);
                }
    CHECK_EQ_INT(mismatches, 0);
}

/* Valid and broken sequences, each put at every offset of ASCII text of
 * every length around it, whole and cut: the 8-byte words see it first,
 * last, across two of them, and in the bytes after the last word. */
TEST(sequences_at_every_offset)
{
    static const char *seq[] = {
        "\xc3\xa9",     "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
        "\x80",         "\xbf",         "\xc1\xbf",         "\xc2",
        "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
        "\xff",         "\xe2\x28\xa1", "\xc3\xa9\xc3\xa9", "\0"};
    uint8_t buf[64];
    mismatches = 0;
    for (size_t q = 0; q < sizeof seq / sizeof *seq; q++) {
        size_t len = q == sizeof seq / sizeof *seq - 1 ? 1 : strlen(seq[q]);
        for (size_t at = 0; at < 24; at++)
            for (size_t after = 0; after < 20; after++)
                for (size_t cut = 0; cut <= len; cut++) {
                    size_t n = 0;
                    for (size_t i = 0; i < at; i++)
                        buf[n++] = (uint8_t)('a' + i % 26);
                    memcpy(buf + n, seq[q], cut);
                    n += cut;
                    for (size_t i = 0; i < after; i++)
                        buf[n++] = (uint8_t)('A' + i % 26);
                    same(buf, n);
                }
    }
    CHECK_EQ_INT(mismatches, 0);
}

TEST(random_text)
{
    static const char *piece[] = {"a",
                                  "Z",
                                  " ",
                                  "\xc3\xbc",
                                  "\xe2\x82\xac",
                                  "\xf0\x9f\x98\x80",
                                  "\x80",
                                  "\xc0",
                                  "\xed\xa0\x80",
                                  "\xf4\x90\x80\x80",
                                  "\xe2\x82",
                                  "0123456789abcdef"};
    uint8_t buf[256];
    uint64_t x = 88172645463325252u;
    mismatches = 0;
    for (int r = 0; r < 300000; r++) {
        size_t n = 0;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int bad = x % 4 == 0; /* one in four may hold broken pieces */
        while (n < 200) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            if (x % 23 == 0)
                break;
            size_t p = (x >> 8) % (sizeof piece / sizeof *piece);
            if (!bad && p >= 6 && p <= 10)
                p = 0;
            size_t len = strlen(piece[p]);
            memcpy(buf + n, piece[p], len);
            n += len;
        }
        same(buf, n);
    }
    CHECK_EQ_INT(mismatches, 0);
}
