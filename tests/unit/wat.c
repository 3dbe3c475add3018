/*
 * wat.c - the text format: literals (through the lexer of src/wat.h, as the
 * module parser and the .wast runner use it), string escapes, comments and
 * annotations, names in every index space, inline imports and exports,
 * errors located as "LINE:COL: reason", pathological nesting, and the
 * encoding of the modules in tests/modules against wabt's (build/modules).
 */
#include "test.h"
#include "wat.h"

#include <inttypes.h>

/* ---- literals ----------------------------------------------------------------- */

enum { F32, F64, I32, I64 };

/* Parses `text` as one literal of `kind`; true and *bits on success, false
 * and the error message in why (when given) on failure. */
static bool lit(int kind, const char *text, uint64_t *bits, char *why)
{
    wb_error err;
    jmp_buf jb;
    wb__lex lx;
    if (setjmp(jb)) {
        if (why)
            snprintf(why, 200, "%.199s", err.message);
        return false;
    }
    wb__lex_init(&lx, text, strlen(text), &err, &jb);
    switch (kind) {
    case F32:
        *bits = wb__lit_f32(&lx, &lx.cur);
        break;
    case F64:
        *bits = wb__lit_f64(&lx, &lx.cur);
        break;
    case I32:
        *bits = wb__lit_int(&lx, &lx.cur, 32);
        break;
    default:
        *bits = wb__lit_int(&lx, &lx.cur, 64);
        break;
    }
    return true;
}

/* The literal parses to exactly these bits. */
static bool lit_is(int kind, const char *text, uint64_t want)
{
    uint64_t got = 0;
    char why[200] = "";
    if (!lit(kind, text, &got, why) || got != want) {
        fprintf(stderr, "  literal %s: got 0x%" PRIx64 " %s, expected 0x%" PRIx64 "\n", text, got,
                why, want);
        return false;
    }
    return true;
}

/* The literal is rejected with this message. */
static bool lit_err(int kind, const char *text, const char *want)
{
    uint64_t got;
    char why[200] = "";
    if (lit(kind, text, &got, why) || strcmp(why, want) != 0) {
        fprintf(stderr, "  literal %s: said \"%s\", expected \"%s\"\n", text, why, want);
        return false;
    }
    return true;
}

TEST(float_literals)
{
    /* hex floats */
    CHECK(lit_is(F32, "0x1p0", 0x3f800000));
    CHECK(lit_is(F32, "0x1.8p1", 0x40400000));
    CHECK(lit_is(F32, "-0x1p-149", 0x80000001));
    CHECK(lit_is(F32, "0x1.fffffep127", 0x7f7fffff));
    CHECK(lit_err(F32, "0X1P0", "1:1: unknown operator 0X1P0")); /* the prefix is 0x */
    CHECK(lit_err(F32, "0x.8p1", "1:1: unknown operator 0x.8p1"));
    CHECK(lit_is(F64, "0x1p-1074", 1));
    CHECK(lit_is(F64, "0x1.fffffffffffffp1023", 0x7fefffffffffffffull));
    CHECK(lit_is(F64, "-0x1.8p3", 0xc028000000000000ull));
    CHECK(lit_is(F64, "0x1.", 0x3ff0000000000000ull));
    CHECK(lit_is(F64, "0x1_0p-4", 0x3ff0000000000000ull));
    /* decimal, signs, zeros */
    CHECK(lit_is(F32, "1.5", 0x3fc00000));
    CHECK(lit_is(F32, "-0", 0x80000000));
    CHECK(lit_is(F32, "+0.0", 0));
    CHECK(lit_is(F64, "1e308", 0x7fe1ccf385ebc8a0ull));
    CHECK(lit_is(F64, "1.", 0x3ff0000000000000ull));
    CHECK(lit_is(F64, "1_000.000_5", 0x408f40010624dd2full));
    CHECK(lit_is(F64, "1E+2", 0x4059000000000000ull));
    /* inf and nan, with payloads */
    CHECK(lit_is(F32, "inf", 0x7f800000));
    CHECK(lit_is(F32, "-inf", 0xff800000));
    CHECK(lit_is(F32, "+inf", 0x7f800000));
    CHECK(lit_is(F32, "nan", 0x7fc00000));
    CHECK(lit_is(F32, "-nan", 0xffc00000));
    CHECK(lit_is(F32, "nan:0x1", 0x7f800001));
    CHECK(lit_is(F32, "-nan:0x7f_ffff", 0xffffffff));
    CHECK(lit_is(F32, "nan:0x200000", 0x7fa00000));
    CHECK(lit_is(F64, "nan:0x8000000000000", 0x7ff8000000000000ull));
    CHECK(lit_is(F64, "-nan:0xfffffffffffff", 0xffffffffffffffffull));
    CHECK(lit_err(F32, "nan:0x0", "1:1: constant out of range"));
    CHECK(lit_err(F32, "nan:0x800000", "1:1: constant out of range"));
    CHECK(lit_err(F64, "nan:0x10000000000000", "1:1: constant out of range"));
    CHECK(lit_err(F32, "nan:1", "1:1: unknown operator nan:1"));
    CHECK(lit_err(F32, "infinity", "1:1: unknown operator infinity"));
    /* underscores: only between digits */
    CHECK(lit_err(F64, "1__0", "1:1: unknown operator 1__0"));
    CHECK(lit_err(F64, "1_", "1:1: unknown operator 1_"));
    CHECK(lit_err(F64, "1_.0", "1:1: unknown operator 1_.0"));
    CHECK(lit_err(F64, "0x_1p0", "1:1: unknown operator 0x_1p0"));
    CHECK(lit_err(F64, "1e_1", "1:1: unknown operator 1e_1"));
    CHECK(lit_err(F64, "1e", "1:1: unknown operator 1e"));
    CHECK(lit_is(F64, "0x1e", 0x403e000000000000ull)); /* hex 30, no exponent */
    CHECK(lit_err(F64, "1p1", "1:1: unknown operator 1p1"));
}

TEST(float_rounding)
{
    /* f32: ties to even at the last mantissa bit */
    CHECK(lit_is(F32, "0x1.000001p0", 0x3f800000));           /* tie, even is down */
    CHECK(lit_is(F32, "0x1.000003p0", 0x3f800002));           /* tie, even is up */
    CHECK(lit_is(F32, "0x1.0000010000000001p0", 0x3f800001)); /* above the tie */
    CHECK(lit_is(F32, "0x1.00000100000000000000000000000000000001p0", 0x3f800001));
    CHECK(lit_is(F32, "1.00000005960464477539062499", 0x3f800000));
    CHECK(lit_is(F32, "1.00000005960464477539062501", 0x3f800001));
    /* subnormals and underflow */
    CHECK(lit_is(F32, "0x1p-150", 0));        /* half the least subnormal: even is 0 */
    CHECK(lit_is(F32, "0x1.000002p-150", 1)); /* just above it */
    CHECK(lit_is(F32, "0x1.8p-149", 2));      /* 1.5 subnormals: tie to even 2 */
    CHECK(lit_is(F32, "1e-46", 0));
    CHECK(lit_is(F32, "-1e-46", 0x80000000));
    CHECK(lit_is(F32, "1.4e-45", 1));
    /* the top: below the halfway point to 2^128 rounds to the largest float */
    CHECK(lit_is(F32, "0x1.fffffefffffffp127", 0x7f7fffff));
    CHECK(lit_is(F32, "3.4028235e38", 0x7f7fffff));
    CHECK(lit_is(F32, "3.4028235677973365e38", 0x7f7fffff));
    CHECK(lit_err(F32, "0x1.ffffffp127", "1:1: constant out of range"));
    CHECK(lit_err(F32, "3.4028235677973367e38", "1:1: constant out of range"));
    CHECK(lit_err(F32, "1e39", "1:1: constant out of range"));
    CHECK(lit_err(F32, "0x1p128", "1:1: constant out of range"));
    CHECK(lit_is(F64, "0x1.fffffffffffff7ffp1023", 0x7fefffffffffffffull));
    CHECK(lit_err(F64, "0x1.fffffffffffff8p1023", "1:1: constant out of range"));
    CHECK(lit_err(F64, "1.7976931348623159e308", "1:1: constant out of range"));
    CHECK(lit_is(F64, "0x1.00000000000008p0", 0x3ff0000000000000ull));
    CHECK(lit_is(F64, "0x1.00000000000018p0", 0x3ff0000000000002ull));
    CHECK(lit_is(F64, "4.9406564584124654e-324", 1));
    CHECK(lit_is(F64, "2.4703282292062327e-324", 0));
    CHECK(lit_is(F64, "2.4703282292062328e-324", 1));
    /* a thousand-digit mantissa is legal */
    char longnum[1100] = "0.";
    memset(longnum + 2, '0', 1000);
    strcpy(longnum + 1002, "1e1001");
    CHECK(lit_is(F64, longnum, 0x3ff0000000000000ull));
}

TEST(int_literals)
{
    CHECK(lit_is(I32, "0", 0));
    CHECK(lit_is(I32, "4294967295", 0xffffffff));
    CHECK(lit_is(I32, "0xffff_ffff", 0xffffffff));
    CHECK(lit_is(I32, "-1", 0xffffffff));
    CHECK(lit_is(I32, "-2147483648", 0x80000000));
    CHECK(lit_is(I32, "-0x8000_0000", 0x80000000));
    CHECK(lit_is(I32, "+2147483647", 0x7fffffff));
    CHECK(lit_is(I32, "1_000_000", 1000000));
    CHECK(lit_err(I32, "4294967296", "1:1: constant out of range"));
    CHECK(lit_err(I32, "0x1_0000_0000", "1:1: constant out of range"));
    CHECK(lit_err(I32, "-2147483649", "1:1: constant out of range"));
    CHECK(lit_err(I32, "+2147483648", "1:1: constant out of range"));
    CHECK(lit_err(I32, "+0x80000000", "1:1: constant out of range"));
    CHECK(lit_err(I32, "1_", "1:1: unknown operator 1_"));
    CHECK(lit_err(I32, "_1", "1:1: unknown operator _1"));
    CHECK(lit_err(I32, "0x", "1:1: unknown operator 0x"));
    CHECK(lit_err(I32, "1.0", "1:1: unknown operator 1.0"));
    CHECK(lit_err(I32, "--1", "1:1: unknown operator --1"));
    CHECK(lit_is(I64, "18446744073709551615", UINT64_MAX));
    CHECK(lit_is(I64, "-9223372036854775808", 0x8000000000000000ull));
    CHECK(lit_is(I64, "0x7fff_ffff_ffff_ffff", 0x7fffffffffffffffull));
    CHECK(lit_err(I64, "18446744073709551616", "1:1: constant out of range"));
    CHECK(lit_err(I64, "-9223372036854775809", "1:1: constant out of range"));
    CHECK(lit_err(I64, "99999999999999999999999999", "1:1: constant out of range"));
}

/* ---- strings, comments, annotations ---------------------------------------------- */

/* Decodes the string token `text`; returns its length or -1 with why. */
static long string_lit(const char *text, uint8_t *out, char *why)
{
    wb_error err;
    jmp_buf jb;
    wb__lex lx;
    if (setjmp(jb)) {
        snprintf(why, 200, "%.199s", err.message);
        return -1;
    }
    wb__lex_init(&lx, text, strlen(text), &err, &jb);
    return (long)wb__lit_name(&lx, &lx.cur, out);
}

TEST(string_escapes)
{
    uint8_t out[64];
    char why[200] = "";
    long n = string_lit("\"a\\t\\n\\r\\\"\\'\\\\\\41\\u{41}\\u{e9}\\u{1F6_00}\\ff\"", out, why);
    /* \ff alone is no UTF-8: names reject it, strings keep it */
    CHECK_EQ_INT(n, -1);
    CHECK(strcmp(why, "1:1: malformed UTF-8 encoding") == 0);
    const char *t = "\"a\\t\\n\\r\\\"\\'\\\\\\41\\u{41}\\u{e9}\\u{1F6_00}\\ff\"";
    wb_error err;
    jmp_buf jb;
    wb__lex lx;
    if (!setjmp(jb)) {
        wb__lex_init(&lx, t, strlen(t), &err, &jb);
        n = (long)wb__lit_string(&lx, &lx.cur, out);
        static const uint8_t want[] = {'a', '\t', '\n', '\r', '"',  '\'', '\\', 'A',
                                       'A', 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80, 0xff};
        CHECK_EQ_INT(n, sizeof want);
        CHECK(memcmp(out, want, sizeof want) == 0);
    } else {
        CHECK(!"string did not lex");
    }
    CHECK_EQ_INT(string_lit("\"\\q\"", out, why), -1);
    CHECK(strcmp(why, "1:2: illegal escape") == 0);
    CHECK_EQ_INT(string_lit("\"\\u{110000}\"", out, why), -1);
    CHECK(strcmp(why, "1:2: illegal escape") == 0);
    CHECK_EQ_INT(string_lit("\"\\u{d800}\"", out, why), -1);
    CHECK(strcmp(why, "1:2: illegal escape") == 0);
    CHECK_EQ_INT(string_lit("  \"tab\there\"", out, why), -1);
    CHECK(strcmp(why, "1:7: illegal control character in string") == 0);
}

/* wb_wat_to_wasm on text: the bytes (release with wb_free), or NULL and the
 * message in why. */
static uint8_t *wat(const char *text, size_t *len, char *why)
{
    uint8_t *out = NULL;
    wb_error err;
    if (wb_wat_to_wasm(text, strlen(text), &out, len, &err) != WB_OK) {
        if (why)
            snprintf(why, 512, "%s", err.message);
        return NULL;
    }
    return out;
}

/* Both texts parse and encode to the same bytes. */
static bool same_binary(const char *a, const char *b)
{
    size_t la = 0, lb = 0;
    char why[512] = "";
    uint8_t *x = wat(a, &la, why), *y = x ? wat(b, &lb, why) : NULL;
    bool ok = x && y && la == lb && memcmp(x, y, la) == 0;
    if (!ok)
        fprintf(stderr, "  not the same module (%s):\n    %s\n    %s\n", why, a, b);
    wb_free(x);
    wb_free(y);
    return ok;
}

/* The text is rejected with exactly this message (parse or load). */
static bool wat_err(const char *text, const char *want)
{
    wb_module *m = NULL;
    wb_error err;
    wb_result r = wb_module_from_wat(text, strlen(text), &m, &err);
    wb_module_free(m);
    if (r == WB_OK || strcmp(err.message, want) != 0) {
        fprintf(stderr, "  said \"%s\", expected \"%s\"\n", r == WB_OK ? "(ok)" : err.message,
                want);
        return false;
    }
    return true;
}

TEST(comments_and_annotations)
{
    CHECK(same_binary("(module (func (nop)))",
                      "(module ;; line\n (; block (; nested (; twice ;) ;) still ;)\n"
                      " (func (; in ;) (nop))) ;; end"));
    CHECK(same_binary(
        "(module (func (nop)))",
        "(@custom \"x\" (a (b \")\") c)) (module (@name \"m\") (func (@x) (nop) (@y 1 2)))"));
    CHECK(same_binary("(module (func (nop)))", "(module(func(nop)))"));
    CHECK(same_binary("(module)", "\xef\xbb\xbf(module)")); /* byte-order mark */
    CHECK(same_binary("(module)", ""));                     /* no fields at all */
    CHECK(wat_err("(module (; never closed", "1:9: unclosed comment"));
    CHECK(wat_err("(module\n  (; a (; b ;)\n", "2:3: unclosed comment"));
    CHECK(wat_err("(module (@a (b)", "1:9: unclosed annotation"));
}

/* ---- names and abbreviations -------------------------------------------------------- */

TEST(names_in_every_space)
{
    CHECK(
        same_binary("(module"
                    " (type $t (func (param i32) (result i32)))"
                    " (import \"m\" \"f\" (func $imp (type $t)))"
                    " (table $tab 2 funcref) (memory $mem 1) (global $g (mut i32) (i32.const 0))"
                    " (func $f (type $t) (param $p i32) (result i32) (local $l i32)"
                    "  (block $out (result i32)"
                    "   (loop $top"
                    "    (local.set $l (call $imp (local.get $p)))"
                    "    (global.set $g (local.get $l))"
                    "    (br_if $top (i32.eqz (local.get $l))))"
                    "   (i32.store (i32.const 0) (global.get $g))"
                    "   (table.init $tab $e (i32.const 0) (i32.const 0) (i32.const 0))"
                    "   (memory.init $d (i32.const 0) (i32.const 0) (i32.const 0))"
                    "   (call_indirect $tab (type $t) (local.get $p) (i32.const 0))))"
                    " (elem $e func $f $imp) (data $d \"x\")"
                    " (export \"f\" (func $f)) (export \"m\" (memory $mem)) (start $s) (func $s))",
                    "(module"
                    " (type (func (param i32) (result i32)))"
                    " (import \"m\" \"f\" (func (type 0)))"
                    " (table 2 funcref) (memory 1) (global (mut i32) (i32.const 0))"
                    " (func (type 0) (param i32) (result i32) (local i32)"
                    "  (block (result i32)"
                    "   (loop"
                    "    (local.set 1 (call 0 (local.get 0)))"
                    "    (global.set 0 (local.get 1))"
                    "    (br_if 0 (i32.eqz (local.get 1))))"
                    "   (i32.store (i32.const 0) (global.get 0))"
                    "   (table.init 0 0 (i32.const 0) (i32.const 0) (i32.const 0))"
                    "   (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 0))"
                    "   (call_indirect 0 (type 0) (local.get 0) (i32.const 0))))"
                    " (elem func 1 0) (data \"x\")"
                    " (export \"f\" (func 1)) (export \"m\" (memory 0)) (start 2) (func))"));
    /* a label name shadows an outer one until its block ends */
    CHECK(same_binary("(module (func (block $a (block $a (br $a)) (br $a))))",
                      "(module (func (block (block (br 0)) (br 0))))"));
    /* names may be used before their definition */
    CHECK(same_binary("(module (func (call $later)) (func $later))",
                      "(module (func (call 1)) (func))"));
}

TEST(inline_imports_and_exports)
{
    CHECK(same_binary("(module (func $f (import \"m\" \"f\") (param i32))"
                      " (global (import \"m\" \"g\") i64)"
                      " (memory (export \"mem\") 1)"
                      " (table $t (export \"t1\") (export \"t2\") 1 funcref)"
                      " (func (export \"run\") (call $f (i32.const 1))))",
                      "(module (import \"m\" \"f\" (func (param i32)))"
                      " (import \"m\" \"g\" (global i64))"
                      " (memory 1) (table 1 funcref)"
                      " (func (call 0 (i32.const 1)))"
                      " (export \"mem\" (memory 0)) (export \"t1\" (table 0))"
                      " (export \"t2\" (table 0)) (export \"run\" (func 1)))"));
    /* inline data and elements */
    CHECK(same_binary("(module (memory (data \"ab\" \"c\")) (table funcref (elem $f)) (func $f))",
                      "(module (memory 1 1) (table 1 1 funcref) (func)"
                      " (elem (i32.const 0) func 0) (data (i32.const 0) \"abc\"))"));
}

/* ---- errors ----------------------------------------------------------------- */

TEST(syntax_errors_located)
{
    CHECK(wat_err("(module\n  (func\n    i32.frob))", "3:5: unknown operator i32.frob"));
    CHECK(wat_err("(module (func (call $nope)))", "1:21: unknown function $nope"));
    CHECK(wat_err("(module (func (local.get $x)))", "1:26: unknown local $x"));
    CHECK(wat_err("(module (func (br $l)))", "1:19: unknown label $l"));
    CHECK(wat_err("(module (func (global.get $g)))", "1:27: unknown global $g"));
    CHECK(wat_err("(module (func (type $t)))", "1:21: unknown type $t"));
    CHECK(wat_err("(module (func $f) (func $f))", "1:25: duplicate function $f"));
    CHECK(wat_err("(module\n (data \"abc", "2:8: unclosed string"));
    CHECK(wat_err("(module (data \"a\nb\"))", "1:15: unclosed string"));
    CHECK(wat_err("(module (func (i32.const 4294967296)))", "1:26: constant out of range"));
    CHECK(wat_err("(module (func)) (module)", "1:17: unexpected token ("));
    CHECK(wat_err("(module", "1:8: unexpected token (end of text)"));
    /* an import after a definition of its kind */
    CHECK(wat_err("(module (memory 1) (import \"m\" \"t\" (table 1 funcref)))",
                  "1:20: import after memory definition"));
}

TEST(garbage_input)
{
    /* a binary module handed to the text parser */
    static const char bin[] = "\0asm\1\0\0\0";
    wb_module *m = NULL;
    wb_error err;
    CHECK(wb_module_from_wat(bin, 8, &m, &err) == WB_ERR_MALFORMED);
    CHECK(strcmp(err.message, "1:1: malformed character 0x00") == 0);
    uint8_t *out = NULL;
    size_t len;
    CHECK(wb_wat_to_wasm(bin, 8, &out, &len, &err) == WB_ERR_MALFORMED && !out);
    CHECK(wat_err("(module) \x80\xff", "1:10: malformed character 0x80"));
    CHECK(wat_err("(module (func \"x\"y))", "1:15: unknown operator \"x\"y"));
    /* every byte value at every place of a small module: never a crash */
    const char *base = "(module (func (result i32) (i32.add (i32.const 1) (i32.const 2))))";
    char buf[128];
    size_t n = strlen(base);
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 256; c += 7) {
            memcpy(buf, base, n);
            buf[i] = (char)c;
            if (wb_module_from_wat(buf, n, &m, &err) == WB_OK)
                wb_module_free(m);
            else
                CHECK(err.message[0] >= '1' && err.message[0] <= '9');
        }
}

/* `depth` copies of `open`, then the middle, then `depth` copies of close. */
static char *nest(size_t depth, const char *pre, const char *open, const char *mid,
                  const char *close, const char *post)
{
    size_t lo = strlen(open), lc = strlen(close);
    char *s = malloc(strlen(pre) + depth * (lo + lc) + strlen(mid) + strlen(post) + 1);
    char *p = s;
    p += sprintf(p, "%s", pre);
    for (size_t i = 0; i < depth; i++, p += lo)
        memcpy(p, open, lo);
    p += sprintf(p, "%s", mid);
    for (size_t i = 0; i < depth; i++, p += lc)
        memcpy(p, close, lc);
    sprintf(p, "%s", post);
    return s;
}

/* Parses without crashing: success, or an error located in the text. */
static bool survives(char *text)
{
    wb_module *m = NULL;
    wb_error err;
    wb_result r = wb_module_from_wat(text, strlen(text), &m, &err);
    wb_module_free(m);
    free(text);
    return r == WB_OK || (err.message[0] >= '1' && err.message[0] <= '9') || r == WB_ERR_LIMIT;
}

TEST(deep_nesting)
{
    const size_t D = 100000;
    CHECK(survives(nest(D, "(module (func ", "(block ", "", ")", "))")));
    CHECK(
        survives(nest(D, "(module (func (result i32) ", "(i32.eqz ", "(i32.const 0)", ")", "))")));
    CHECK(survives(nest(D, "(module (func ", "block\n", "", "end\n", "))")));
    CHECK(survives(nest(D, "(module (func ", "(if (i32.const 1) (then ", "", "))", "))")));
    CHECK(survives(nest(D, "", "(", "", ")", "")));
    CHECK(survives(nest(D, "(module ", "(", "", ")", ")")));
    CHECK(survives(nest(D, "(module (func (", "(", "", ")", ")))")));
    CHECK(survives(nest(D, "(module ", "(;", "", ";)", ")")));
    CHECK(survives(nest(D, "(module ", "(@a ", "", ")", ")")));
    CHECK(survives(nest(D, "(module (type (func ", "(param ", "", ")", ")))")));
    /* deeper than WB_MAX_TEXT_NESTING: refused, not crashed */
    char *t = nest(300000, "(module (func ", "(block ", "", ")", "))");
    CHECK(wat_err(t, "1:1750015: instructions nested more than 250000 deep"));
    free(t);
    t = nest(D, "(module (func ", "(block ", "", ")", "))");
    CHECK(wat_err(t, "1:350009: blocks nested deeper than 50000")); /* the compiler's limit */
    free(t);
}

TEST(type_error_located)
{
    const char *text = "(module\n"
                       "  (func (result i32)\n"
                       "    (i32.add\n"
                       "      (i32.const 1)\n"
                       "      (f32.const 2))))\n";
    CHECK(wat_err(text, "3:6: type mismatch in i32.add: expected i32, got f32"));
    /* a numeric index is the validator's to reject, and still located */
    CHECK(wat_err("(module\n (func\n  local.get 3))", "3:3: unknown local 3"));
    /* a validator error in a field other than code */
    CHECK(wat_err("(module\n (global i32 (i64.const 0)))",
                  "2:15: type mismatch: constant expression must produce i32"));
}

/* ---- the encoding: wabt's bytes -------------------------------------------------- */

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

TEST(same_bytes_as_wat2wasm)
{
    static const char *const names[] = {"api", "bigmem", "cli", "limits", "text_forms"};
    const char *dir = getenv("WB_MODULE_DIR");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char src[512], ref[512];
        snprintf(src, sizeof src, "tests/modules/%s.wat", names[i]);
        snprintf(ref, sizeof ref, "%s/%s.wasm", dir ? dir : "build/modules", names[i]);
        size_t ls = 0, lr = 0, lo = 0;
        uint8_t *s = read_all(src, &ls), *r = read_all(ref, &lr), *o = NULL;
        CHECK(s && r);
        if (s && r) {
            wb_error err;
            wb_result rc = wb_wat_to_wasm((const char *)s, ls, &o, &lo, &err);
            CHECK(rc == WB_OK);
            if (rc != WB_OK)
                fprintf(stderr, "  %s: %s\n", src, err.message);
            else if (lo != lr || memcmp(o, r, lr) != 0)
                fprintf(stderr, "  %s: encodes differently from %s\n", src, ref);
            CHECK(rc == WB_OK && lo == lr && memcmp(o, r, lr) == 0);
        }
        wb_free(o);
        free(s);
        free(r);
    }
}
