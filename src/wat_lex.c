/*
 * wat_lex.c - the text format's tokens and literals (see wat.h).
 *
 * A token is a maximal run of idchars and strings, as in the current spec:
 * "$l\"a\"" or "0$x" is one RESERVED token, not two, so text such as
 * (data $l"a") is rejected rather than silently split.  Parentheses,
 * whitespace and comments end a token.  The lexer is a cursor over the text
 * and allocates nothing, so copying a wb__lex rewinds it (wat.c's two passes
 * and wb__lex_peek rely on that).
 */
#include "wat.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- character classes ----------------------------------------------------------- */

enum { C_ID = 1, C_SPACE = 2, C_RES = 4 };

/* idchar: 0-9 A-Z a-z and ! # $ % & ' * + - . / : < = > ? @ \ ^ _ ` | ~.
 * C_RES are the other printable characters a reserved token may hold. */
static uint8_t cclass[256];

static void classes_init(void)
{
    if (cclass['a'])
        return; /* benign race: every thread writes the same bytes */
    for (int c = '0'; c <= '9'; c++)
        cclass[c] = C_ID;
    for (int c = 'a'; c <= 'z'; c++)
        cclass[c] = C_ID;
    for (int c = 'A'; c <= 'Z'; c++)
        cclass[c] = C_ID;
    for (const char *s = "!#$%&'*+-./:<=>?@\\^_`|~"; *s; s++)
        cclass[(uint8_t)*s] = C_ID;
    for (const char *s = ",;[]{}"; *s; s++)
        cclass[(uint8_t)*s] = C_RES;
    cclass[' '] = cclass['\t'] = cclass['\n'] = cclass['\r'] = C_SPACE;
}

/* ---- errors ------------------------------------------------------------------------ */

static _Noreturn void fail_at(wb__lex *lx, uint32_t line, uint32_t col, const char *pos, const char *fmt,
                              va_list ap)
{
    char why[400];
    vsnprintf(why, sizeof why, fmt, ap);
    wb__error(lx->err, WB_ERR_MALFORMED, (uint64_t)(pos - lx->src), "%u:%u: %s", line, col, why);
    longjmp(*lx->jb, 1);
}

_Noreturn void wb__lex_fail(wb__lex *lx, const wb__tok *at, const char *fmt, ...)
{
    if (!at)
        at = &lx->cur;
    va_list ap;
    va_start(ap, fmt);
    fail_at(lx, at->line, at->col, at->p, fmt, ap);
}

/* Fails at p, which is on the current line (lx->line, lx->bol). */
static _Noreturn void fail_here(wb__lex *lx, const char *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_at(lx, lx->line, (uint32_t)(p - lx->bol) + 1, p, fmt, ap);
}

/* ---- scanning ---------------------------------------------------------------------- */

/* Skips a block comment whose "(;" is at p; returns the byte after its ";)". */
static const char *block_comment(wb__lex *lx, const char *p)
{
    const char *start = p;
    uint32_t line0 = lx->line;
    const char *bol0 = lx->bol;
    unsigned depth = 0;
    const char *e = lx->end;
    while (p < e) {
        if (p + 1 < e && p[0] == '(' && p[1] == ';') {
            depth++;
            p += 2;
        } else if (p + 1 < e && p[0] == ';' && p[1] == ')') {
            p += 2;
            if (--depth == 0)
                return p;
        } else {
            if (*p == '\n') {
                lx->line++;
                lx->bol = p + 1;
            }
            p++;
        }
    }
    lx->line = line0;
    lx->bol = bol0;
    fail_here(lx, start, "unclosed comment");
}

/* Checks a string whose '"' is at p; returns the byte after the closing '"'.
 * Escapes are checked here so that every STRING token decodes. */
static const char *string_end(wb__lex *lx, const char *p)
{
    const char *start = p++;
    const char *e = lx->end;
    while (p < e && *p != '"') {
        uint8_t c = (uint8_t)*p;
        if (c < 0x20 || c == 0x7f) {
            if (c == '\n')
                fail_here(lx, start, "unclosed string");
            fail_here(lx, p, "illegal control character in string");
        }
        if (c != '\\') {
            p++;
            continue;
        }
        if (p + 1 >= e)
            break;
        char x = p[1];
        if (strchr("tnr\"'\\", x)) {
            p += 2;
        } else if (x == 'u') {
            if (p + 2 >= e || p[2] != '{')
                fail_here(lx, p, "illegal escape");
            const char *q = p + 3;
            uint32_t v = 0;
            bool digit = false, sep_ok = false;
            for (; q < e && *q != '}'; q++) {
                int d = (*q >= '0' && *q <= '9')   ? *q - '0'
                        : (*q >= 'a' && *q <= 'f') ? *q - 'a' + 10
                        : (*q >= 'A' && *q <= 'F') ? *q - 'A' + 10
                                                   : -1;
                if (*q == '_' && sep_ok) {
                    sep_ok = false;
                    continue;
                }
                if (d < 0)
                    fail_here(lx, p, "illegal escape");
                v = v > 0x10ffff ? v : v * 16 + (uint32_t)d;
                digit = sep_ok = true;
            }
            if (q >= e || !digit || !sep_ok || v > 0x10ffff || (v >= 0xd800 && v < 0xe000))
                fail_here(lx, p, "illegal escape");
            p = q + 1;
        } else {
            int hi = (x >= '0' && x <= '9') || (x >= 'a' && x <= 'f') || (x >= 'A' && x <= 'F');
            char y = p + 2 < e ? p[2] : 0;
            int lo = (y >= '0' && y <= '9') || (y >= 'a' && y <= 'f') || (y >= 'A' && y <= 'F');
            if (!hi || !lo)
                fail_here(lx, p, "illegal escape");
            p += 3;
        }
    }
    if (p >= e)
        fail_here(lx, start, "unclosed string");
    return p + 1;
}

/* Skips an annotation "(@id ...)" at p, balanced, strings and comments
 * included; returns the byte after its ')'. */
static const char *annotation(wb__lex *lx, const char *p)
{
    const char *start = p;
    uint32_t line0 = lx->line;
    const char *bol0 = lx->bol;
    size_t depth = 0;
    const char *e = lx->end;
    while (p < e) {
        char c = *p;
        if (c == '"') {
            p = string_end(lx, p);
        } else if (c == '(' && p + 1 < e && p[1] == ';') {
            p = block_comment(lx, p);
        } else if (c == ';' && p + 1 < e && p[1] == ';') {
            while (p < e && *p != '\n')
                p++;
        } else if (c == '(') {
            depth++;
            p++;
        } else if (c == ')') {
            p++;
            if (--depth == 0)
                return p;
        } else {
            if (c == '\n') {
                lx->line++;
                lx->bol = p + 1;
            }
            p++;
        }
    }
    lx->line = line0;
    lx->bol = bol0;
    fail_here(lx, start, "unclosed annotation");
}

static void scan(wb__lex *lx)
{
    const char *p = lx->p, *e = lx->end;
    for (;;) {
        while (p < e && (cclass[(uint8_t)*p] & C_SPACE)) {
            if (*p == '\n') {
                lx->line++;
                lx->bol = p + 1;
            }
            p++;
        }
        if (p + 1 < e && p[0] == ';' && p[1] == ';') {
            while (p < e && *p != '\n')
                p++;
            continue;
        }
        if (p + 1 < e && p[0] == '(' && p[1] == ';') {
            p = block_comment(lx, p);
            continue;
        }
        if (p + 2 < e && p[0] == '(' && p[1] == '@' && (cclass[(uint8_t)p[2]] & C_ID)) {
            p = annotation(lx, p);
            continue;
        }
        break;
    }
    wb__tok *t = &lx->cur;
    t->p = p;
    t->line = lx->line;
    t->col = (uint32_t)(p - lx->bol) + 1;
    if (p >= e) {
        t->kind = WB__TOK_EOF;
        t->len = 0;
        lx->p = p;
        return;
    }
    if (*p == '(' || *p == ')') {
        t->kind = *p == '(' ? WB__TOK_LPAREN : WB__TOK_RPAREN;
        t->len = 1;
        lx->p = p + 1;
        return;
    }
    /* A run of idchars, strings and reserved characters. */
    const char *s = p;
    unsigned strings = 0;
    bool other = false;
    while (p < e) {
        uint8_t c = (uint8_t)*p;
        if (c == '"') {
            p = string_end(lx, p);
            strings++;
        } else if (cclass[c] & C_ID) {
            p++;
        } else if (cclass[c] & C_RES) {
            if (c == ';' && p + 1 < e && p[1] == ';')
                break;
            other = true;
            p++;
        } else if (cclass[c] & C_SPACE || c == '(' || c == ')') {
            break;
        } else {
            fail_here(lx, p, "malformed character 0x%02x", c);
        }
    }
    t->len = (uint32_t)(p - s);
    lx->p = p;
    if (strings) {
        t->kind = strings == 1 && s[0] == '"' && p[-1] == '"' && !other &&
                          string_end(lx, s) == p
                      ? WB__TOK_STRING
                      : WB__TOK_RESERVED;
        return;
    }
    char c0 = s[0];
    if (other)
        t->kind = WB__TOK_RESERVED;
    else if (c0 == '$')
        t->kind = t->len > 1 ? WB__TOK_ID : WB__TOK_RESERVED;
    else if (c0 >= 'a' && c0 <= 'z')
        t->kind = WB__TOK_KEYWORD;
    else if ((c0 >= '0' && c0 <= '9') || c0 == '+' || c0 == '-')
        t->kind = WB__TOK_NUMBER;
    else
        t->kind = WB__TOK_RESERVED;
}

void wb__lex_init(wb__lex *lx, const char *text, size_t len, wb_error *err, jmp_buf *jb)
{
    classes_init();
    if (!text) /* an empty (module quote) has no buffer: no arithmetic on NULL */
        text = "";
    lx->src = lx->p = lx->bol = text;
    lx->end = text + len;
    lx->line = 1;
    lx->err = err;
    lx->jb = jb;
    /* A byte-order mark is not part of the text. */
    if (len >= 3 && (uint8_t)text[0] == 0xef && (uint8_t)text[1] == 0xbb && (uint8_t)text[2] == 0xbf)
        lx->p = lx->bol = text + 3;
    scan(lx);
}

void wb__lex_next(wb__lex *lx)
{
    scan(lx);
}

wb__tok wb__lex_peek(wb__lex *lx)
{
    wb__lex copy = *lx;
    scan(&copy);
    return copy.cur;
}

bool wb__tok_is(const wb__tok *t, const char *kw)
{
    if (t->kind != WB__TOK_KEYWORD)
        return false;
    size_t n = strlen(kw);
    return t->len == n && !memcmp(t->p, kw, n);
}

void wb__lex_expect(wb__lex *lx, wb__tokkind kind, const char *kw)
{
    static const char *const what[] = {"end of text", "(", ")", "keyword", "number", "$name", "string", "token"};
    const wb__tok *t = &lx->cur;
    if (t->kind != kind || (kw && !wb__tok_is(t, kw))) {
        if (t->kind == WB__TOK_RESERVED)
            wb__lex_fail(lx, t, "unknown operator %.*s", (int)(t->len > 40 ? 40 : t->len), t->p);
        wb__lex_fail(lx, t, "unexpected token, expected %s", kw ? kw : what[kind]);
    }
    scan(lx);
}

void wb__lex_skip(wb__lex *lx)
{
    if (lx->cur.kind == WB__TOK_EOF)
        wb__lex_fail(lx, NULL, "unexpected end of text");
    if (lx->cur.kind == WB__TOK_RPAREN)
        wb__lex_fail(lx, NULL, "unexpected token )");
    size_t depth = 0;
    do {
        if (lx->cur.kind == WB__TOK_LPAREN)
            depth++;
        else if (lx->cur.kind == WB__TOK_RPAREN)
            depth--;
        else if (lx->cur.kind == WB__TOK_EOF)
            wb__lex_fail(lx, NULL, "unexpected end of text, expected )");
        scan(lx);
    } while (depth);
}

/* ---- numbers ----------------------------------------------------------------------- */

static _Noreturn void bad_number(wb__lex *lx, const wb__tok *t)
{
    wb__lex_fail(lx, t, "unknown operator %.*s", (int)(t->len > 40 ? 40 : t->len), t->p);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Digits of `base` with single underscores between them, at least one:
 * returns how many bytes of s[0..n) they take (0 if none). */
static size_t digits(const char *s, size_t n, unsigned base)
{
    size_t i = 0;
    while (i < n) {
        int d = hexval(s[i]);
        if (d < 0 || (unsigned)d >= base)
            break;
        i++;
        if (i + 1 < n && s[i] == '_') {
            int d2 = hexval(s[i + 1]);
            if (d2 >= 0 && (unsigned)d2 < base)
                i++;
        }
    }
    return i;
}

/* Value of a whole unsigned natural (dec or 0x hex); false if the text is
 * not one.  *ovf is set (value saturated) when it exceeds 64 bits. */
static bool nat(const char *s, size_t n, uint64_t *v, bool *ovf)
{
    unsigned base = 10;
    if (n > 2 && s[0] == '0' && s[1] == 'x') {
        base = 16;
        s += 2;
        n -= 2;
    }
    if (!n || digits(s, n, base) != n)
        return false;
    uint64_t x = 0;
    bool o = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '_')
            continue;
        unsigned d = (unsigned)hexval(s[i]);
        if (x > (UINT64_MAX - d) / base)
            o = true;
        x = o ? UINT64_MAX : x * base + d;
    }
    *v = x;
    *ovf = o;
    return true;
}

uint64_t wb__lit_nat(wb__lex *lx, const wb__tok *t, uint64_t max)
{
    uint64_t v;
    bool ovf;
    if (t->kind != WB__TOK_NUMBER || !nat(t->p, t->len, &v, &ovf))
        bad_number(lx, t);
    if (ovf || v > max)
        wb__lex_fail(lx, t, "constant out of range");
    return v;
}

uint64_t wb__lit_int(wb__lex *lx, const wb__tok *t, unsigned bits)
{
    if (t->kind != WB__TOK_NUMBER)
        bad_number(lx, t);
    const char *s = t->p;
    size_t n = t->len;
    bool neg = false, sign = false;
    if (*s == '+' || *s == '-') {
        neg = *s == '-';
        sign = true;
        s++;
        n--;
    }
    uint64_t v;
    bool ovf;
    if (!nat(s, n, &v, &ovf))
        bad_number(lx, t);
    uint64_t umax = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    uint64_t smax = UINT64_C(1) << (bits - 1); /* magnitude of the most negative */
    /* Unsigned without a sign, signed with one: "+0x80000000" is no i32. */
    if (ovf || (neg && v > smax) || (sign && !neg && v >= smax) || v > umax)
        wb__lex_fail(lx, t, "constant out of range");
    uint64_t r = neg ? (uint64_t)0 - v : v;
    return bits == 64 ? r : r & umax;
}

/* Checks the float syntax of s[0..n) (no sign) and copies it without
 * underscores into buf (NUL-terminated, at most cap bytes); returns false
 * when it is not a float literal. */
static bool float_text(const char *s, size_t n, char *buf, size_t cap)
{
    unsigned base = 10;
    size_t i = 0;
    if (n > 2 && s[0] == '0' && s[1] == 'x') {
        base = 16;
        i = 2;
    }
    size_t d = digits(s + i, n - i, base);
    if (!d)
        return false;
    i += d;
    if (i < n && s[i] == '.') {
        i++;
        i += digits(s + i, n - i, base);
    }
    if (i < n && (base == 10 ? (s[i] == 'e' || s[i] == 'E') : (s[i] == 'p' || s[i] == 'P'))) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t ed = digits(s + i, n - i, 10);
        if (!ed)
            return false;
        i += ed;
    }
    if (i != n)
        return false;
    /* Long texts (a thousand-digit mantissa) are legal: copy what fits,
     * then fail over to the heap in the caller. */
    if (n + 1 > cap)
        return true;
    size_t k = 0;
    for (size_t j = 0; j < n; j++)
        if (s[j] != '_')
            buf[k++] = s[j];
    buf[k] = 0;
    return true;
}

/* Parses a float token into its bit pattern for a format with `mbits`
 * mantissa bits (23 or 52). */
static uint64_t lit_float(wb__lex *lx, const wb__tok *t, unsigned mbits)
{
    if (t->kind != WB__TOK_NUMBER && t->kind != WB__TOK_KEYWORD)
        bad_number(lx, t);
    const char *s = t->p;
    size_t n = t->len;
    bool neg = false;
    if (t->kind == WB__TOK_NUMBER && (*s == '+' || *s == '-')) {
        neg = *s == '-';
        s++;
        n--;
    }
    unsigned ebits = mbits == 23 ? 8 : 11;
    uint64_t sign = neg ? UINT64_C(1) << (mbits + ebits) : 0;
    uint64_t expmask = ((UINT64_C(1) << ebits) - 1) << mbits;
    if (n == 3 && !memcmp(s, "inf", 3))
        return sign | expmask;
    if (n == 3 && !memcmp(s, "nan", 3))
        return sign | expmask | (UINT64_C(1) << (mbits - 1));
    if (n > 4 && !memcmp(s, "nan:", 4)) {
        uint64_t pl;
        bool ovf;
        if (n < 7 || s[4] != '0' || s[5] != 'x' || !nat(s + 4, n - 4, &pl, &ovf))
            bad_number(lx, t);
        if (ovf || pl == 0 || pl >= (UINT64_C(1) << mbits))
            wb__lex_fail(lx, t, "constant out of range");
        return sign | expmask | pl;
    }
    if (t->kind != WB__TOK_NUMBER)
        bad_number(lx, t);
    char small[128];
    if (!float_text(s, n, small, sizeof small))
        bad_number(lx, t);
    char *buf = small;
    if (n + 1 > sizeof small) {
        buf = malloc(n + 1);
        if (!buf)
            wb__lex_fail(lx, t, "out of memory");
        float_text(s, n, buf, n + 1);
    }
    errno = 0;
    uint64_t bits;
    bool inf;
    if (mbits == 23) {
        float f = strtof(buf, NULL);
        inf = isinf(f);
        uint32_t b;
        memcpy(&b, &f, 4);
        bits = b;
    } else {
        double f = strtod(buf, NULL);
        inf = isinf(f);
        memcpy(&bits, &f, 8);
    }
    if (buf != small)
        free(buf);
    /* strtod rounds to nearest, ties to even, which is what the spec asks;
     * a value that rounds to infinity is out of range. */
    if (inf)
        wb__lex_fail(lx, t, "constant out of range");
    return sign | bits;
}

uint32_t wb__lit_f32(wb__lex *lx, const wb__tok *t)
{
    return (uint32_t)lit_float(lx, t, 23);
}

uint64_t wb__lit_f64(wb__lex *lx, const wb__tok *t)
{
    return lit_float(lx, t, 52);
}

/* ---- strings ----------------------------------------------------------------------- */

static size_t put_utf8(uint8_t *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (uint8_t)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (uint8_t)(0xc0 | c >> 6);
        o[1] = (uint8_t)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (uint8_t)(0xe0 | c >> 12);
        o[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
        o[2] = (uint8_t)(0x80 | (c & 0x3f));
        return 3;
    }
    o[0] = (uint8_t)(0xf0 | c >> 18);
    o[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
    o[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
    o[3] = (uint8_t)(0x80 | (c & 0x3f));
    return 4;
}

size_t wb__lit_string(wb__lex *lx, const wb__tok *t, uint8_t *out)
{
    if (t->kind != WB__TOK_STRING)
        wb__lex_fail(lx, t, "unexpected token, expected a string");
    /* The lexer checked the escapes; every escape's output is no longer
     * than its text, so out (t->len bytes) always has room. */
    const char *p = t->p + 1, *e = t->p + t->len - 1;
    size_t k = 0;
    while (p < e) {
        if (*p != '\\') {
            out[k++] = (uint8_t)*p++;
            continue;
        }
        char x = p[1];
        switch (x) {
        case 't': out[k++] = '\t'; p += 2; break;
        case 'n': out[k++] = '\n'; p += 2; break;
        case 'r': out[k++] = '\r'; p += 2; break;
        case '"': out[k++] = '"'; p += 2; break;
        case '\'': out[k++] = '\''; p += 2; break;
        case '\\': out[k++] = '\\'; p += 2; break;
        case 'u': {
            uint32_t v = 0;
            for (p += 3; *p != '}'; p++)
                if (*p != '_')
                    v = v * 16 + (uint32_t)hexval(*p);
            p++;
            k += put_utf8(out + k, v);
            break;
        }
        default:
            out[k++] = (uint8_t)(hexval(x) * 16 + hexval(p[2]));
            p += 3;
        }
    }
    return k;
}

size_t wb__lit_name(wb__lex *lx, const wb__tok *t, uint8_t *out)
{
    size_t n = wb__lit_string(lx, t, out);
    if (!wb__utf8_valid(out, n))
        wb__lex_fail(lx, t, "malformed UTF-8 encoding");
    return n;
}
