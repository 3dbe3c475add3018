/*
 * bad_modules.c - malformed and hostile modules each get a clear error, with
 * the byte offset, and nothing crashes: every truncation of a real module,
 * over-long and over-large LEB128s, absurd counts, 100k locals, deep nesting,
 * huge memory and table requests, type errors.
 */
#include "test.h"

#include <stdint.h>

/* A growing byte buffer for building modules. */
typedef struct {
    unsigned char b[1 << 20];
    size_t n;
} buf;

static void put(buf *w, const void *p, size_t n)
{
    memcpy(w->b + w->n, p, n);
    w->n += n;
}
static void byte(buf *w, unsigned v) { w->b[w->n++] = (unsigned char)v; }
static void uleb(buf *w, uint64_t v)
{
    do {
        unsigned char c = v & 0x7f;
        v >>= 7;
        byte(w, c | (v ? 0x80 : 0));
    } while (v);
}
static void header(buf *w)
{
    w->n = 0;
    put(w, "\0asm\1\0\0\0", 8);
}
static void section(buf *w, unsigned id, const buf *body)
{
    byte(w, id);
    uleb(w, body->n);
    put(w, body->b, body->n);
}

static wb_result load(const buf *w, wb_error *err)
{
    wb_module *m = NULL;
    wb_result r = wb_module_load(w->b, w->n, &m, err);
    if (r == WB_OK)
        wb_module_free(m);
    else
        CHECK(m == NULL);
    return r;
}

/* A module with one function () -> i32 whose body (without the size) is given. */
static void one_func(buf *w, const buf *code_body)
{
    static buf s;
    header(w);
    s.n = 0;
    byte(&s, 1), byte(&s, 0x60), byte(&s, 0), byte(&s, 1), byte(&s, 0x7f);
    section(w, 1, &s);
    s.n = 0;
    byte(&s, 1), byte(&s, 0);
    section(w, 3, &s);
    s.n = 0;
    byte(&s, 1);
    uleb(&s, code_body->n);
    put(&s, code_body->b, code_body->n);
    section(w, 10, &s);
}

static buf w, body;

/* Offsets where a section ends: cutting there may leave a valid module. */
static bool section_end(const unsigned char *b, size_t n, size_t len)
{
    size_t p = 8;
    while (p < n) {
        p++; /* id */
        uint64_t size = 0;
        for (int shift = 0; p < n; shift += 7) {
            size |= (uint64_t)(b[p] & 0x7f) << shift;
            if (!(b[p++] & 0x80))
                break;
        }
        p += size;
        if (p == len)
            return true;
    }
    return len == 8;
}

TEST(every_truncation_of_a_real_module_fails_cleanly)
{
    char path[512];
    const char *dir = getenv("WB_MODULE_DIR");
    snprintf(path, sizeof path, "%s/limits.wasm", dir ? dir : "build/modules");
    FILE *f = fopen(path, "rb");
    static unsigned char full[65536];
    size_t n = 0;
    if (f) {
        n = fread(full, 1, sizeof full, f);
        fclose(f);
    }
    CHECK(n > 100);
    int clean = 0, valid = 0;
    for (size_t len = 0; len < n; len++) {
        wb_module *m = NULL;
        wb_error err = {0};
        wb_result r = wb_module_load(full, len, &m, &err);
        if (r == WB_ERR_MALFORMED && m == NULL && err.message[0] && strstr(err.message, "0x"))
            clean++;
        else if (r == WB_OK && section_end(full, n, len))
            valid++; /* e.g. the header alone, or header + type section */
        else
            fprintf(stderr, "truncated at %zu: result %s, message '%s'\n", len, wb_result_name(r), err.message);
        if (m)
            wb_module_free(m);
    }
    CHECK(valid >= 1);
    CHECK_EQ_INT(clean + valid, (long long)n);
}

TEST(bad_magic_and_version)
{
    wb_error err;
    header(&w);
    w.b[0] = 'x';
    CHECK_EQ_INT(load(&w, &err), WB_ERR_MALFORMED);
    CHECK(strstr(err.message, "magic header not detected") != NULL);
    header(&w);
    w.b[4] = 2;
    CHECK_EQ_INT(load(&w, &err), WB_ERR_MALFORMED);
    CHECK(strstr(err.message, "unknown binary version") != NULL);
}

TEST(overlong_and_overlarge_leb128)
{
    wb_error err;
    /* Type section count 0 written in six bytes: too long for a u32. */
    header(&w);
    byte(&w, 1), byte(&w, 6);
    put(&w, "\x80\x80\x80\x80\x80\x00", 6);
    CHECK_EQ_INT(load(&w, &err), WB_ERR_MALFORMED);
    CHECK(strstr(err.message, "integer representation too long") != NULL);
    /* Five bytes whose last has bits above 2^32. */
    header(&w);
    byte(&w, 1), byte(&w, 5);
    put(&w, "\x80\x80\x80\x80\x70", 5);
    CHECK_EQ_INT(load(&w, &err), WB_ERR_MALFORMED);
    CHECK(strstr(err.message, "integer too large") != NULL);
}

/* A bad LEB128 inside a function body (here a br_table target) fails
 * without leaking what the compiler had allocated (found by make fuzz;
 * the leak shows under make check SANITIZE=1). */
TEST(bad_leb128_in_code)
{
    wb_error err;
    body.n = 0;
    byte(&body, 0);                /* no locals */
    byte(&body, 0x02), byte(&body, 0x40); /* block */
    byte(&body, 0x41), byte(&body, 0);    /* i32.const 0 */
    byte(&body, 0x0e), byte(&body, 2);    /* br_table, 2 targets + default */
    byte(&body, 0);
    put(&body, "\x80\x80\x80\x80\x80\x00", 6); /* overlong */
    byte(&body, 0);
    byte(&body, 0x0b), byte(&body, 0x41), byte(&body, 0), byte(&body, 0x0b);
    one_func(&w, &body);
    CHECK_EQ_INT(load(&w, &err), WB_ERR_MALFORMED);
    CHECK(strstr(err.message, "integer representation too long") != NULL);
    CHECK(strstr(err.message, "section 10, offset 0x") != NULL);
}

TEST(absurd_counts_cost_nothing)
{
    wb_error err;
    /* 4 billion types declared in a 6-byte section. */
    header(&w);
    byte(&w, 1), byte(&w, 5);
    put(&w, "\xff\xff\xff\xff\x0f", 5);
    wb_result r = load(&w, &err);
    CHECK(r == WB_ERR_MALFORMED || r == WB_ERR_LIMIT);
    CHECK(err.message[0] != 0);
    /* 4 billion functions. */
    header(&w);
    byte(&w, 3), byte(&w, 5);
    put(&w, "\xff\xff\xff\xff\x0f", 5);
    r = load(&w, &err);
    CHECK(r == WB_ERR_MALFORMED || r == WB_ERR_LIMIT);
}

TEST(hundred_thousand_locals_rejected)
{
    wb_error err;
    body.n = 0;
    byte(&body, 1);
    uleb(&body, 100000);
    byte(&body, 0x7f);
    byte(&body, 0x41), byte(&body, 0), byte(&body, 0x0b);
    one_func(&w, &body);
    wb_result r = load(&w, &err);
    CHECK(r == WB_ERR_LIMIT || r == WB_ERR_MALFORMED);
    CHECK(strstr(err.message, "too many locals") != NULL);
    /* Locals whose count overflows 32 bits across two groups. */
    body.n = 0;
    byte(&body, 2);
    uleb(&body, 0xffffffffu), byte(&body, 0x7f);
    uleb(&body, 0xffffffffu), byte(&body, 0x7f);
    byte(&body, 0x41), byte(&body, 0), byte(&body, 0x0b);
    one_func(&w, &body);
    r = load(&w, &err);
    CHECK(r == WB_ERR_LIMIT || r == WB_ERR_MALFORMED);
}

static void nested_blocks(unsigned depth)
{
    body.n = 0;
    byte(&body, 0);
    for (unsigned i = 0; i < depth; i++)
        byte(&body, 0x02), byte(&body, 0x40);
    for (unsigned i = 0; i < depth; i++)
        byte(&body, 0x0b);
    byte(&body, 0x41), byte(&body, 7), byte(&body, 0x0b);
    one_func(&w, &body);
}

TEST(ten_thousand_nested_blocks_load_and_run)
{
    nested_blocks(10000);
    wb_module *m = NULL;
    wb_error err;
    CHECK_EQ_INT(wb_module_load(w.b, w.n, &m, &err), WB_OK);
    wb_module_free(m);
}

TEST(nesting_beyond_the_limit_is_rejected)
{
    wb_error err;
    nested_blocks(60000);
    CHECK_EQ_INT(load(&w, &err), WB_ERR_LIMIT);
    CHECK(strstr(err.message, "nested deeper than") != NULL);
    /* Unclosed blocks: the body ends first. */
    body.n = 0;
    byte(&body, 0);
    for (int i = 0; i < 1000; i++)
        byte(&body, 0x02), byte(&body, 0x40);
    one_func(&w, &body);
    CHECK_EQ_INT(load(&w, &err), WB_ERR_MALFORMED);
}

TEST(huge_memory_and_table_requests)
{
    static buf s;
    wb_error err;
    /* memory min 65537 pages: over 4 GiB. */
    header(&w);
    s.n = 0;
    byte(&s, 1), byte(&s, 0);
    uleb(&s, 65537);
    section(&w, 5, &s);
    CHECK_EQ_INT(load(&w, &err), WB_ERR_INVALID);
    CHECK(strstr(err.message, "memory size must be at most 65536 pages") != NULL);
    /* A table of 4 billion entries loads, but instantiation refuses it. */
    header(&w);
    s.n = 0;
    byte(&s, 1), byte(&s, 0x70), byte(&s, 0);
    uleb(&s, 0xffffffffu);
    section(&w, 4, &s);
    wb_module *m = NULL;
    CHECK_EQ_INT(wb_module_load(w.b, w.n, &m, &err), WB_OK);
    if (m) {
        wb_instance *i = NULL;
        CHECK_EQ_INT(wb_instantiate(m, NULL, 0, NULL, NULL, &i, &err), WB_ERR_TABLE_LIMIT);
        CHECK(i == NULL);
        wb_module_free(m);
    }
}

TEST(type_errors_name_the_instruction_and_offset)
{
    wb_error err;
    /* i32.const 1; f64.const 0; i32.add */
    body.n = 0;
    byte(&body, 0);
    byte(&body, 0x41), byte(&body, 1);
    byte(&body, 0x44);
    put(&body, "\0\0\0\0\0\0\0\0", 8);
    byte(&body, 0x6a), byte(&body, 0x0b);
    one_func(&w, &body);
    CHECK_EQ_INT(load(&w, &err), WB_ERR_INVALID);
    CHECK(strstr(err.message, "type mismatch") != NULL);
    CHECK(strstr(err.message, "section 10") != NULL);
    CHECK(strstr(err.message, "i32.add") != NULL);
    /* Unknown opcode. */
    body.n = 0;
    byte(&body, 0), byte(&body, 0xff), byte(&body, 0x0b);
    one_func(&w, &body);
    CHECK_EQ_INT(load(&w, &err), WB_ERR_MALFORMED);
    CHECK(strstr(err.message, "illegal opcode") != NULL);
}
