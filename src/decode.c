/*
 * decode.c - the binary module decoder and module-level validator.
 *
 * wb__decode() turns m->bytes into the tables of struct wb_module and checks
 * every validation rule of WebAssembly 2.0 that is not about instructions
 * inside function bodies (those are the compiler's, src/compile/frontend.c).  Function bodies are only
 * located and their locals decoded.
 *
 * Why it is written this way:
 *   - Untrusted input.  Every read is bounded by the end of the module, every
 *     count is checked against the caps of limits.h and against the bytes
 *     that remain before anything is allocated for it, and sizes are summed
 *     in 64 bits, so an absurd count or length costs nothing.
 *   - Items are read the way the spec's reference decoder reads them (a
 *     section's contents against the end of the module, then "section size
 *     mismatch" when the section did not end where it said), so the error
 *     texts are the ones the official test suite expects.  Messages are
 *     "section N, offset 0xOFF: <spec text>[: detail]"; err->offset is the
 *     byte offset.  Decoding errors are WB_ERR_MALFORMED, rule violations
 *     WB_ERR_INVALID, cap violations WB_ERR_LIMIT.
 *   - Errors unwind with longjmp from deep inside the readers, as in the compiler;
 *     everything is allocated in the module arena, so nothing leaks.
 *   - The "name" custom section is best effort: a broken one is ignored, since
 *     custom sections must never make a module fail to load.
 */
#include "internal.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decoded import, with its type, before the per-kind arrays exist. */
typedef struct {
    wb__import im;
    uint32_t type_idx;
    wb__tabletype table;
    wb__memtype mem;
    wb__globaltype global;
} imp;

typedef struct {
    wb_module *m;
    wb_error *err;
    jmp_buf jb;
    wb_result rc;

    const uint8_t *b;
    size_t len; /* reads never go past this: the module end, or a body's end */
    size_t pos;
    int sec;        /* current section id, -1 outside sections */
    size_t sec_end; /* end of the current section */

    imp *imps;
    uint32_t nimps;
    uint32_t ndef_funcs; /* from the function section */
    bool have_code;
    bool have_data;
    uint8_t done; /* ranks whose index spaces are final */
} rd;

WB_PRINTF(4, 5)
static _Noreturn void fail(rd *r, wb_result code, size_t off, const char *fmt, ...)
{
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (r->sec >= 0)
        wb__error(r->err, code, off, "section %d, offset 0x%zx: %s", r->sec, off, why);
    else
        wb__error(r->err, code, off, "offset 0x%zx: %s", off, why);
    r->rc = code;
    longjmp(r->jb, 1);
}

#define MALFORMED(off, ...) fail(r, WB_ERR_MALFORMED, (off), __VA_ARGS__)
#define INVALID(off, ...) fail(r, WB_ERR_INVALID, (off), __VA_ARGS__)
#define LIMIT(off, ...) fail(r, WB_ERR_LIMIT, (off), __VA_ARGS__)

static void *alloc(rd *r, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        fail(r, WB_ERR_NOMEM, r->pos, "out of memory decoding module");
    void *p = wb__alloc(r->m, n * size);
    if (!p)
        fail(r, WB_ERR_NOMEM, r->pos, "out of memory decoding module");
    return p;
}

/* ---- primitive readers ---------------------------------------------------------- */

static uint8_t u8(rd *r)
{
    if (r->pos >= r->len)
        MALFORMED(r->pos, "unexpected end of section or function");
    return r->b[r->pos++];
}

/* Unsigned LEB128 of at most `bits` bits, as the spec's vuN. */
static uint64_t leb_u(rd *r, int bits)
{
    uint64_t v = 0;
    for (int shift = 0, n = bits;; shift += 7, n -= 7) {
        if (n <= 0)
            MALFORMED(r->pos, "integer representation too long");
        uint8_t c = u8(r);
        if (n < 7 && (c & 0x7f) >= (1u << n))
            MALFORMED(r->pos - 1, "integer too large");
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
}

/* Signed LEB128 of at most `bits` bits, as the spec's vsN. */
static int64_t leb_s(rd *r, int bits)
{
    uint64_t v = 0;
    for (int shift = 0, n = bits;; shift += 7, n -= 7) {
        if (n <= 0)
            MALFORMED(r->pos, "integer representation too long");
        uint8_t c = u8(r);
        if (n < 7) {
            uint8_t mask = (uint8_t)((0xffu << (n - 1)) & 0x7f);
            if ((c & mask) != 0 && (c & mask) != mask)
                MALFORMED(r->pos - 1, "integer too large");
        }
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            if ((c & 0x40) && shift + 7 < 64)
                v |= ~(uint64_t)0 << (shift + 7);
            return (int64_t)v;
        }
    }
}

static uint32_t u32(rd *r) { return (uint32_t)leb_u(r, 32); }

/* A length or count that must not exceed the bytes left in the module
 * (counted, as the reference decoder does, from the length's own first byte). */
static uint32_t len32(rd *r)
{
    size_t at = r->pos;
    uint32_t n = u32(r);
    if (n > r->len - at)
        MALFORMED(at, "length out of bounds");
    return n;
}

/* A vector count of items of at least one byte each, within a cap. */
static uint32_t count(rd *r, uint32_t cap, const char *what)
{
    size_t at = r->pos;
    uint32_t n = len32(r);
    if (n > cap)
        LIMIT(at, "too many %s: %u exceeds the limit of %u", what, n, cap);
    if (at > r->sec_end || n > r->sec_end - at)
        MALFORMED(at, "section size mismatch: %u %s cannot fit in the section", n, what);
    return n;
}

/* n raw bytes: returns where they start. */
static const uint8_t *bytes(rd *r, uint32_t n)
{
    if (n > r->len - r->pos)
        MALFORMED(r->len, "unexpected end of section or function");
    const uint8_t *p = r->b + r->pos;
    r->pos += n;
    return p;
}

static const char *name(rd *r, uint32_t *len)
{
    size_t at = r->pos;
    uint32_t n = len32(r);
    if (n > WB_MAX_NAME_BYTES)
        LIMIT(at, "name of %u bytes exceeds the limit of %u", n, WB_MAX_NAME_BYTES);
    const uint8_t *s = bytes(r, n);
    if (!wb__utf8_valid(s, n))
        MALFORMED(at, "malformed UTF-8 encoding");
    *len = n;
    return (const char *)s;
}

/* Type bytes are 7-bit signed LEB128s in the spec's decoder. */
static uint8_t type_byte(rd *r)
{
    uint8_t t = u8(r);
    if (t & 0x80)
        MALFORMED(r->pos, "integer representation too long");
    return t;
}

static uint8_t valtype(rd *r)
{
    uint8_t t = type_byte(r);
    if (!wb__is_valtype(t))
        MALFORMED(r->pos - 1, "malformed value type 0x%02x", t);
    return t;
}

static uint8_t reftype(rd *r)
{
    uint8_t t = type_byte(r);
    if (!wb__is_ref(t))
        MALFORMED(r->pos - 1, "malformed reference type 0x%02x", t);
    return t;
}

/* Limits: the flag is a 1-bit LEB128 in the spec's decoder. */
static void limits(rd *r, uint32_t *min, uint32_t *max, bool *has_max)
{
    uint8_t f = u8(r);
    if ((f & 0x7f) > 1)
        MALFORMED(r->pos - 1, "integer too large: malformed limits flags 0x%02x", f);
    if (f & 0x80)
        MALFORMED(r->pos, "integer representation too long");
    *has_max = f & 1;
    *min = u32(r);
    *max = *has_max ? u32(r) : 0;
}

static void tabletype(rd *r, wb__tabletype *t)
{
    t->elem = reftype(r);
    size_t at = r->pos;
    limits(r, &t->min, &t->max, &t->has_max);
    if (t->has_max && t->min > t->max)
        INVALID(at, "size minimum must not be greater than maximum");
}

static void memtype(rd *r, wb__memtype *t)
{
    size_t at = r->pos;
    limits(r, &t->min, &t->max, &t->has_max);
    if (t->min > WB_MAX_PAGES || (t->has_max && t->max > WB_MAX_PAGES))
        INVALID(at, "memory size must be at most 65536 pages (4GiB)");
    if (t->has_max && t->min > t->max)
        INVALID(at, "size minimum must not be greater than maximum");
}

static bool mutability(rd *r)
{
    uint8_t b = u8(r);
    if (b > 1)
        MALFORMED(r->pos - 1, "malformed mutability");
    return b;
}

static void declare(wb_module *m, uint32_t f) { m->declared_funcs[f / 8] |= (uint8_t)(1u << (f % 8)); }

/* ---- constant expressions ---------------------------------------------------------- */

/* Single-byte opcodes of WebAssembly 2.0 (0xfc and 0xfd are prefixes). */
static bool legal_opcode(uint8_t op)
{
    return op <= 0x05 || (op >= 0x0b && op <= 0x11) || (op >= 0x1a && op <= 0x1c) ||
           (op >= 0x20 && op <= 0x26) || (op >= 0x28 && op <= 0xc4) || (op >= 0xd0 && op <= 0xd2) ||
           op == 0xfc || op == 0xfd;
}

/* A constant expression producing `want`.  Reads instructions up to the
 * `end`: all must be constant instructions (else "constant expression
 * required"), and together they must produce exactly one `want`. */
static void constexpr(rd *r, uint8_t want, wb__constexpr *ce)
{
    wb_module *m = r->m;
    size_t start = r->pos;
    uint32_t n = 0;
    uint8_t type = 0;
    for (;;) {
        size_t at = r->pos;
        uint8_t op = u8(r);
        wb__constexpr c;
        memset(&c, 0, sizeof c);
        c.op = op;
        if (op == 0x0b)
            break;
        switch (op) {
        case WB__CE_I32: {
            uint32_t v = (uint32_t)leb_s(r, 32);
            c.type = WB_I32;
            for (int i = 0; i < 4; i++)
                c.bytes[i] = (uint8_t)(v >> (8 * i));
            break;
        }
        case WB__CE_I64: {
            uint64_t v = (uint64_t)leb_s(r, 64);
            c.type = WB_I64;
            for (int i = 0; i < 8; i++)
                c.bytes[i] = (uint8_t)(v >> (8 * i));
            break;
        }
        case WB__CE_F32:
        case WB__CE_F64: {
            int k = op == WB__CE_F32 ? 4 : 8;
            c.type = op == WB__CE_F32 ? WB_F32 : WB_F64;
            for (int i = 0; i < k; i++)
                c.bytes[i] = u8(r);
            break;
        }
        case WB__CE_V128: {
            uint32_t sub = u32(r);
            if (sub != 0x0c) {
                if (sub >= WB__SIMD_OPCODES)
                    MALFORMED(at, "illegal opcode fd %02x", sub);
                INVALID(at, "constant expression required");
            }
            c.type = WB_V128;
            for (int i = 0; i < 16; i++)
                c.bytes[i] = u8(r);
            break;
        }
        case WB__CE_REF_NULL:
            c.type = reftype(r);
            break;
        case WB__CE_REF_FUNC:
            c.index = u32(r);
            if (c.index >= m->nfuncs)
                INVALID(at, "unknown function %u", c.index);
            declare(m, c.index);
            c.type = WB_FUNCREF;
            break;
        case WB__CE_GLOBAL_GET:
            /* Only imported globals are in scope (2.0 rule). */
            c.index = u32(r);
            if (c.index >= m->nimported_globals)
                INVALID(at, "unknown global %u", c.index);
            if (m->globals[c.index].mut)
                INVALID(at, "constant expression required: global %u is mutable", c.index);
            c.type = m->globals[c.index].type;
            break;
        case 0x05:
            MALFORMED(at, "END opcode expected");
        default:
            if (!legal_opcode(op))
                MALFORMED(at, "illegal opcode %02x", op);
            INVALID(at, "constant expression required");
        }
        if (n++ == 0) {
            *ce = c;
            type = c.type;
        }
    }
    if (n != 1 || type != want)
        INVALID(start, "type mismatch: constant expression must produce %s", wb__type_name(want));
}

/* ---- index spaces ---------------------------------------------------------------- */

/* Section ranks in the required order: type import func table memory global
 * export start elem datacount code data. */
static int rank_of(uint8_t id)
{
    static const int8_t ranks[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
    return ranks[id];
}

/* Make the function/table/memory/global index spaces final once the section
 * defining them is (or would have been) passed.  ndef: defined count. */
static void final_funcs(rd *r, uint32_t ndef)
{
    wb_module *m = r->m;
    uint32_t nimp = 0;
    for (uint32_t i = 0; i < r->nimps; i++)
        nimp += r->imps[i].im.kind == WB_EXTERN_FUNC;
    if ((uint64_t)nimp + ndef > WB_MAX_FUNCS)
        LIMIT(r->pos, "too many functions: %llu exceeds the limit of %u", (unsigned long long)nimp + ndef,
              WB_MAX_FUNCS);
    m->nimported_funcs = nimp;
    m->nfuncs = nimp + ndef;
    r->ndef_funcs = ndef;
    m->func_type_idx = alloc(r, m->nfuncs, sizeof *m->func_type_idx);
    m->funcs = alloc(r, ndef, sizeof *m->funcs);
    m->declared_funcs = alloc(r, m->nfuncs / 8 + 1, 1);
    for (uint32_t i = 0, k = 0; i < r->nimps; i++)
        if (r->imps[i].im.kind == WB_EXTERN_FUNC)
            m->func_type_idx[k++] = r->imps[i].type_idx;
}

static void final_tables(rd *r, uint32_t ndef)
{
    wb_module *m = r->m;
    uint32_t nimp = 0;
    for (uint32_t i = 0; i < r->nimps; i++)
        nimp += r->imps[i].im.kind == WB_EXTERN_TABLE;
    if ((uint64_t)nimp + ndef > WB_MAX_TABLES)
        LIMIT(r->pos, "too many tables: %llu exceeds the limit of %u", (unsigned long long)nimp + ndef,
              WB_MAX_TABLES);
    m->nimported_tables = nimp;
    m->ntables = nimp + ndef;
    m->tables = alloc(r, m->ntables, sizeof *m->tables);
    for (uint32_t i = 0, k = 0; i < r->nimps; i++)
        if (r->imps[i].im.kind == WB_EXTERN_TABLE)
            m->tables[k++] = r->imps[i].table;
}

static void final_mems(rd *r, uint32_t ndef, size_t at)
{
    wb_module *m = r->m;
    uint32_t nimp = 0;
    for (uint32_t i = 0; i < r->nimps; i++)
        nimp += r->imps[i].im.kind == WB_EXTERN_MEMORY;
    if ((uint64_t)nimp + ndef > 1)
        INVALID(at, "multiple memories");
    m->nimported_mems = nimp;
    m->nmems = nimp + ndef;
    m->mems = alloc(r, m->nmems, sizeof *m->mems);
    for (uint32_t i = 0, k = 0; i < r->nimps; i++)
        if (r->imps[i].im.kind == WB_EXTERN_MEMORY)
            m->mems[k++] = r->imps[i].mem;
}

static void final_globals(rd *r, uint32_t ndef)
{
    wb_module *m = r->m;
    uint32_t nimp = 0;
    for (uint32_t i = 0; i < r->nimps; i++)
        nimp += r->imps[i].im.kind == WB_EXTERN_GLOBAL;
    if ((uint64_t)nimp + ndef > WB_MAX_GLOBALS)
        LIMIT(r->pos, "too many globals: %llu exceeds the limit of %u", (unsigned long long)nimp + ndef,
              WB_MAX_GLOBALS);
    m->nimported_globals = nimp;
    m->nglobals = nimp + ndef;
    m->globals = alloc(r, m->nglobals, sizeof *m->globals);
    for (uint32_t i = 0, k = 0; i < r->nimps; i++)
        if (r->imps[i].im.kind == WB_EXTERN_GLOBAL)
            m->globals[k++] = r->imps[i].global;
}

/* Finalise, with nothing defined, the index spaces of absent sections that
 * rank below `rank`. */
static void finish_below(rd *r, int rank)
{
    for (int k = 3; k <= 6 && k < rank; k++) {
        if (r->done & (1u << k))
            continue;
        r->done |= (uint8_t)(1u << k);
        switch (k) {
        case 3: final_funcs(r, 0); break;
        case 4: final_tables(r, 0); break;
        case 5: final_mems(r, 0, r->pos); break;
        case 6: final_globals(r, 0); break;
        }
    }
}

/* ---- sections ---------------------------------------------------------------------- */

static void sec_type(rd *r)
{
    wb_module *m = r->m;
    uint32_t n = count(r, WB_MAX_TYPES, "types");
    m->types = alloc(r, n, sizeof *m->types);
    for (uint32_t i = 0; i < n; i++) {
        size_t at = r->pos;
        uint8_t form = type_byte(r);
        if (form != 0x60)
            MALFORMED(at, "malformed function type 0x%02x", form);
        size_t pat = r->pos;
        uint32_t np = len32(r);
        if (np > WB_MAX_PARAMS)
            LIMIT(pat, "too many parameters: %u exceeds the limit of %u", np, WB_MAX_PARAMS);
        size_t p0 = r->pos;
        for (uint32_t k = 0; k < np; k++)
            valtype(r);
        size_t rat = r->pos;
        uint32_t nr = len32(r);
        if (nr > WB_MAX_RESULTS)
            LIMIT(rat, "too many results: %u exceeds the limit of %u", nr, WB_MAX_RESULTS);
        size_t r0 = r->pos;
        for (uint32_t k = 0; k < nr; k++)
            valtype(r);
        /* Value types are one byte each: copy them. */
        uint8_t *ts = alloc(r, (size_t)np + nr, 1);
        memcpy(ts, r->b + p0, np);
        memcpy(ts + np, r->b + r0, nr);
        wb__type *t = &m->types[i];
        t->ft.nparams = np;
        t->ft.nresults = nr;
        t->ft.types = ts;
        for (uint32_t k = 0; k < np; k++)
            t->param_slots += wb__type_slots(ts[k]);
        for (uint32_t k = 0; k < nr; k++)
            t->result_slots += wb__type_slots(ts[np + k]);
        t->sig = wb__type_sig(&t->ft);
        m->ntypes = i + 1;
    }
}

static void sec_import(rd *r)
{
    wb_module *m = r->m;
    uint32_t n = count(r, WB_MAX_IMPORTS, "imports");
    r->imps = alloc(r, n, sizeof *r->imps);
    m->imports = alloc(r, n, sizeof *m->imports);
    uint32_t counts[4] = {0, 0, 0, 0};
    for (uint32_t i = 0; i < n; i++) {
        imp *p = &r->imps[i];
        p->im.module = name(r, &p->im.module_len);
        p->im.name = name(r, &p->im.name_len);
        size_t at = r->pos;
        uint8_t kind = u8(r);
        switch (kind) {
        case WB_EXTERN_FUNC:
            p->type_idx = u32(r);
            if (p->type_idx >= m->ntypes)
                INVALID(at + 1, "unknown type %u", p->type_idx);
            break;
        case WB_EXTERN_TABLE: tabletype(r, &p->table); break;
        case WB_EXTERN_MEMORY: memtype(r, &p->mem); break;
        case WB_EXTERN_GLOBAL:
            p->global.type = valtype(r);
            p->global.mut = mutability(r);
            break;
        default: MALFORMED(at, "malformed import kind 0x%02x", kind);
        }
        p->im.kind = kind;
        p->im.index = counts[kind]++;
        m->imports[i] = p->im;
        r->nimps = i + 1;
    }
    m->nimports = n;
}

static void sec_func(rd *r)
{
    uint32_t n = count(r, WB_MAX_FUNCS, "functions");
    final_funcs(r, n);
    wb_module *m = r->m;
    for (uint32_t i = 0; i < n; i++) {
        size_t at = r->pos;
        uint32_t t = u32(r);
        if (t >= m->ntypes)
            INVALID(at, "unknown type %u", t);
        wb__func *f = &m->funcs[i];
        f->index = m->nimported_funcs + i;
        f->type_idx = t;
        f->type = &m->types[t];
        m->func_type_idx[f->index] = t;
    }
}

static void sec_table(rd *r)
{
    uint32_t n = count(r, WB_MAX_TABLES, "tables");
    final_tables(r, n);
    for (uint32_t i = 0; i < n; i++)
        tabletype(r, &r->m->tables[r->m->nimported_tables + i]);
}

static void sec_memory(rd *r)
{
    size_t at = r->pos;
    uint32_t n = count(r, 1000, "memories");
    final_mems(r, n, at);
    for (uint32_t i = 0; i < n; i++)
        memtype(r, &r->m->mems[r->m->nimported_mems + i]);
}

static void sec_global(rd *r)
{
    uint32_t n = count(r, WB_MAX_GLOBALS, "globals");
    final_globals(r, n);
    wb_module *m = r->m;
    for (uint32_t i = 0; i < n; i++) {
        wb__globaltype *g = &m->globals[m->nimported_globals + i];
        g->type = valtype(r);
        g->mut = mutability(r);
        constexpr(r, g->type, &g->init);
    }
}

static int export_cmp(const void *a, const void *b)
{
    const wb__export *x = *(const wb__export *const *)a, *y = *(const wb__export *const *)b;
    if (x->name_len != y->name_len)
        return x->name_len < y->name_len ? -1 : 1;
    int c = memcmp(x->name, y->name, x->name_len);
    if (c)
        return c;
    return x < y ? -1 : x > y; /* stable: report the second occurrence */
}

static void sec_export(rd *r)
{
    wb_module *m = r->m;
    uint32_t n = count(r, WB_MAX_EXPORTS, "exports");
    m->exports = alloc(r, n, sizeof *m->exports);
    for (uint32_t i = 0; i < n; i++) {
        wb__export *e = &m->exports[i];
        e->name = name(r, &e->name_len);
        size_t at = r->pos;
        e->kind = u8(r);
        if (e->kind > WB_EXTERN_GLOBAL)
            MALFORMED(at, "malformed export kind 0x%02x", e->kind);
        e->index = u32(r);
        switch (e->kind) {
        case WB_EXTERN_FUNC:
            if (e->index >= m->nfuncs)
                INVALID(at, "unknown function %u", e->index);
            declare(m, e->index);
            break;
        case WB_EXTERN_TABLE:
            if (e->index >= m->ntables)
                INVALID(at, "unknown table %u", e->index);
            break;
        case WB_EXTERN_MEMORY:
            if (e->index >= m->nmems)
                INVALID(at, "unknown memory %u", e->index);
            break;
        case WB_EXTERN_GLOBAL:
            if (e->index >= m->nglobals)
                INVALID(at, "unknown global %u", e->index);
            break;
        }
        m->nexports = i + 1;
    }
    if (n < 2)
        return;
    /* Duplicate names: sort pointers by name, O(n log n). */
    const wb__export **s = malloc((size_t)n * sizeof *s);
    if (!s)
        fail(r, WB_ERR_NOMEM, r->pos, "out of memory decoding module");
    for (uint32_t i = 0; i < n; i++)
        s[i] = &m->exports[i];
    qsort(s, n, sizeof *s, export_cmp);
    const wb__export *dup = NULL;
    for (uint32_t i = 1; i < n && !dup; i++)
        if (s[i]->name_len == s[i - 1]->name_len && memcmp(s[i]->name, s[i - 1]->name, s[i]->name_len) == 0)
            dup = s[i];
    free(s);
    if (dup) {
        size_t at = (size_t)((const uint8_t *)dup->name - r->b);
        INVALID(at, "duplicate export name \"%.*s\"", (int)(dup->name_len > 64 ? 64 : dup->name_len),
                dup->name);
    }
}

static void sec_start(rd *r)
{
    wb_module *m = r->m;
    size_t at = r->pos;
    uint32_t f = u32(r);
    if (f >= m->nfuncs)
        INVALID(at, "unknown function %u", f);
    const wb_functype *ft = &m->types[m->func_type_idx[f]].ft;
    if (ft->nparams || ft->nresults)
        INVALID(at, "start function %u must have type [] -> []", f);
    m->has_start = true;
    m->start = f;
}

static void sec_elem(rd *r)
{
    wb_module *m = r->m;
    uint32_t n = count(r, WB_MAX_ELEM_SEGMENTS, "element segments");
    m->elems = alloc(r, n, sizeof *m->elems);
    for (uint32_t i = 0; i < n; i++) {
        wb__elem *e = &m->elems[i];
        size_t at = r->pos;
        uint32_t flags = u32(r);
        if (flags > 7)
            MALFORMED(at, "malformed elements segment kind %u", flags);
        bool exprs = flags & 4;
        size_t tat = r->pos;
        if (flags & 1) {
            e->mode = flags & 2 ? WB__SEG_DECLARATIVE : WB__SEG_PASSIVE;
        } else {
            e->mode = WB__SEG_ACTIVE;
            e->table = flags & 2 ? u32(r) : 0;
            if (e->table >= m->ntables)
                INVALID(tat, "unknown table %u", e->table);
            constexpr(r, WB_I32, &e->offset);
        }
        if ((flags & 3) == 0) {
            e->type = WB_FUNCREF;
        } else if (exprs) {
            e->type = reftype(r);
        } else {
            uint8_t k = u8(r);
            if (k != 0x00)
                MALFORMED(r->pos - 1, "malformed element kind 0x%02x", k);
            e->type = WB_FUNCREF;
        }
        if (e->mode == WB__SEG_ACTIVE && m->tables[e->table].elem != e->type)
            INVALID(tat, "type mismatch: %s segment for a table of %s", wb__type_name(e->type),
                    wb__type_name(m->tables[e->table].elem));
        size_t cat = r->pos;
        uint32_t c = len32(r);
        if (c > WB_MAX_TABLE_ELEMS)
            LIMIT(cat, "element segment of %u items exceeds the limit of %u", c, WB_MAX_TABLE_ELEMS);
        if (cat > r->sec_end || c > r->sec_end - cat)
            MALFORMED(cat, "section size mismatch: %u items cannot fit in the section", c);
        e->items = alloc(r, c, sizeof *e->items);
        for (uint32_t k = 0; k < c; k++) {
            wb__constexpr *ce = &e->items[k];
            if (exprs) {
                constexpr(r, e->type, ce);
            } else {
                size_t fat = r->pos;
                uint32_t f = u32(r);
                if (f >= m->nfuncs)
                    INVALID(fat, "unknown function %u", f);
                declare(m, f);
                ce->op = WB__CE_REF_FUNC;
                ce->type = WB_FUNCREF;
                ce->index = f;
            }
        }
        e->count = c;
        m->nelems = i + 1;
    }
}

static void sec_datacount(rd *r)
{
    r->m->datacount = u32(r);
    r->m->has_datacount = true;
}

static void sec_code(rd *r)
{
    wb_module *m = r->m;
    size_t at = r->pos;
    uint32_t n = len32(r);
    if (n != r->ndef_funcs)
        MALFORMED(at, "function and code section have inconsistent lengths (%u functions, %u bodies)",
                  r->ndef_funcs, n);
    if (at > r->sec_end || n > r->sec_end - at)
        MALFORMED(at, "section size mismatch: %u bodies cannot fit in the section", n);
    r->have_code = true;
    for (uint32_t i = 0; i < n; i++) {
        wb__func *f = &m->funcs[i];
        size_t sat = r->pos;
        uint32_t size = len32(r);
        if (size > WB_MAX_FUNC_BODY_BYTES)
            LIMIT(sat, "function %u: body of %u bytes exceeds the limit of %u", f->index, size,
                  WB_MAX_FUNC_BODY_BYTES);
        if (size > r->len - r->pos)
            MALFORMED(r->len, "unexpected end of section or function");
        size_t start = r->pos, end = start + size;
        f->body_offset = (uint32_t)start;
        f->body_len = size;
        /* Locals are read within the body. */
        size_t saved_len = r->len;
        r->len = end;
        size_t lat = r->pos;
        uint32_t ngroups = len32(r);
        size_t g0 = r->pos;
        uint64_t total = 0;
        for (uint32_t g = 0; g < ngroups; g++) {
            total += u32(r);
            valtype(r);
        }
        if (total >= 0x100000000ull)
            MALFORMED(lat, "too many locals");
        if (total + f->type->ft.nparams > WB_MAX_LOCALS)
            LIMIT(lat, "function %u: too many locals: %llu exceeds the limit of %u", f->index,
                  (unsigned long long)(total + f->type->ft.nparams), WB_MAX_LOCALS);
        f->nlocals = (uint32_t)total;
        f->local_types = alloc(r, total, 1);
        size_t expr = r->pos;
        r->pos = g0;
        for (uint32_t g = 0, k = 0; g < ngroups; g++) {
            uint32_t c = u32(r);
            uint8_t t = valtype(r);
            memset(f->local_types + k, t, c);
            k += c;
        }
        r->len = saved_len;
        f->expr_offset = (uint32_t)expr;
        /* A body ends with `end`.  When it does not and more bytes follow,
         * the reference decoder reads on past the body and reports the size
         * as wrong; at the end of the module the compiler reports it. */
        if ((expr >= end || r->b[end - 1] != 0x0b) && end < r->len)
            MALFORMED(end, "section size mismatch: END opcode expected at the end of function %u",
                      f->index);
        r->pos = end;
    }
}

static void sec_data(rd *r)
{
    wb_module *m = r->m;
    size_t at = r->pos;
    uint32_t n = count(r, WB_MAX_DATA_SEGMENTS, "data segments");
    if (m->has_datacount && n != m->datacount)
        MALFORMED(at, "data count and data section have inconsistent lengths (%u and %u)", m->datacount, n);
    r->have_data = true;
    m->datas = alloc(r, n, sizeof *m->datas);
    for (uint32_t i = 0; i < n; i++) {
        wb__data *d = &m->datas[i];
        size_t fat = r->pos;
        uint32_t flags = u32(r);
        if (flags > 2)
            MALFORMED(fat, "malformed data segment kind %u", flags);
        if (flags == 1) {
            d->mode = WB__SEG_PASSIVE;
        } else {
            d->mode = WB__SEG_ACTIVE;
            size_t mat = r->pos;
            d->memory = flags == 2 ? u32(r) : 0;
            if (d->memory >= m->nmems)
                INVALID(mat, "unknown memory %u", d->memory);
            constexpr(r, WB_I32, &d->offset);
        }
        d->len = len32(r);
        d->bytes = bytes(r, d->len);
        m->ndatas = i + 1;
    }
}

/* ---- the "name" custom section (best effort) ----------------------------------------- */

typedef struct {
    const uint8_t *p, *end;
} nrd;

static bool n_u32(nrd *s, uint32_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (s->p >= s->end)
            return false;
        uint8_t c = *s->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            if (v > UINT32_MAX)
                return false;
            *out = (uint32_t)v;
            return true;
        }
    }
    return false;
}

static int name_cmp(const void *a, const void *b)
{
    const wb__name *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void name_section(wb_module *m, const uint8_t *p, const uint8_t *end)
{
    nrd s = {p, end};
    while (s.p < s.end) {
        uint8_t id = *s.p++;
        uint32_t size;
        if (!n_u32(&s, &size) || size > (size_t)(s.end - s.p))
            return;
        nrd sub = {s.p, s.p + size};
        s.p += size;
        if (id != 1)
            continue;
        uint32_t n;
        if (!n_u32(&sub, &n) || n > (size_t)(sub.end - sub.p) / 2)
            return;
        wb__name *names = wb__alloc(m, (size_t)n * sizeof *names);
        if (!names)
            return;
        uint32_t k = 0;
        bool sorted = true;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t idx, len;
            if (!n_u32(&sub, &idx) || !n_u32(&sub, &len) || len > (size_t)(sub.end - sub.p))
                break;
            const uint8_t *str = sub.p;
            sub.p += len;
            if (!wb__utf8_valid(str, len))
                continue;
            if (k && names[k - 1].index >= idx)
                sorted = false;
            names[k++] = (wb__name){idx, (const char *)str, len};
        }
        if (!sorted)
            qsort(names, k, sizeof *names, name_cmp);
        m->names = names;
        m->nnames = k;
        return;
    }
}

static void sec_custom(rd *r)
{
    size_t at = r->pos;
    uint32_t len;
    const char *nm = name(r, &len);
    if (r->pos > r->sec_end)
        MALFORMED(at, "unexpected end: custom section name exceeds the section");
    if (r->sec_end > r->len)
        MALFORMED(r->len, "unexpected end of section or function");
    if (len == 4 && memcmp(nm, "name", 4) == 0 && !r->m->names)
        name_section(r->m, r->b + r->pos, r->b + r->sec_end);
    r->pos = r->sec_end;
}

/* ---- the module ------------------------------------------------------------------------ */

static void decode(rd *r)
{
    wb_module *m = r->m;
    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d}, version[4] = {1, 0, 0, 0};
    if (r->len < 4)
        MALFORMED(r->len, "unexpected end");
    if (memcmp(r->b, magic, 4) != 0)
        MALFORMED(0, "magic header not detected");
    if (r->len < 8)
        MALFORMED(r->len, "unexpected end");
    if (memcmp(r->b + 4, version, 4) != 0)
        MALFORMED(4, "unknown binary version");
    r->pos = 8;
    int last = 0;
    while (r->pos < r->len) {
        r->sec = -1;
        size_t idat = r->pos;
        uint8_t id = u8(r);
        if (id > 12)
            MALFORMED(idat, "malformed section id %u", id);
        int rank = rank_of(id);
        if (id != 0 && rank <= last)
            MALFORMED(idat, "unexpected content after last section: section %u %s", id,
                      rank == last ? "repeated" : "out of order");
        r->sec = id;
        uint32_t size = len32(r);
        size_t start = r->pos;
        r->sec_end = start + size;
        if (id != 0) {
            last = rank;
            finish_below(r, rank);
        }
        switch (id) {
        case 0: sec_custom(r); break;
        case 1: sec_type(r); break;
        case 2: sec_import(r); break;
        case 3: sec_func(r); break;
        case 4: sec_table(r); break;
        case 5: sec_memory(r); break;
        case 6: sec_global(r); break;
        case 7: sec_export(r); break;
        case 8: sec_start(r); break;
        case 9: sec_elem(r); break;
        case 10: sec_code(r); break;
        case 11: sec_data(r); break;
        case 12: sec_datacount(r); break;
        }
        if (id >= 3 && id <= 6)
            r->done |= (uint8_t)(1u << id);
        if (r->pos != r->sec_end)
            MALFORMED(start, "section size mismatch: section %u declares %u bytes, its contents take %zu", id,
                      size, r->pos - start);
    }
    r->sec = -1;
    finish_below(r, 99);
    if (r->ndef_funcs && !r->have_code)
        MALFORMED(r->len, "function and code section have inconsistent lengths (%u functions, no bodies)",
                  r->ndef_funcs);
    if (m->has_datacount && !r->have_data && m->datacount)
        MALFORMED(r->len, "data count and data section have inconsistent lengths (%u and none)", m->datacount);
}

wb_result wb__decode(wb_module *m, wb_error *err)
{
    rd *r = calloc(1, sizeof *r);
    if (!r)
        return wb__error(err, WB_ERR_NOMEM, 0, "out of memory decoding module");
    r->m = m;
    r->err = err;
    r->b = m->bytes;
    r->len = m->len;
    r->sec = -1;
    r->sec_end = m->len;
    wb_result rc = WB_OK;
    if (setjmp(r->jb))
        rc = r->rc;
    else
        decode(r);
    free(r);
    return rc;
}
