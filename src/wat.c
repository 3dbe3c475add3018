/*
 * wat.c - the text format's module parser and encoder.  A .wat text becomes
 * the binary format, which wb_module_load then decodes, validates and
 * compiles like any other module; validation is never repeated here.
 *
 * Two passes over the tokens of a module's fields:
 *   1. every field's index and $name is collected (types are parsed in full,
 *      since any type use may name any of them), function bodies are
 *      skipped; "import after ... definition" and duplicate names fail here;
 *   2. each field is encoded into its section's buffer, names resolved.
 * Implicit types (a type use with inline params and results only) are
 * appended after the explicit ones in the order the encoding meets them,
 * which is the spec's rule and wabt's order, so the output is byte for byte
 * what `wat2wasm` writes.  Then the sections are concatenated.
 *
 * Every encoded instruction and module field records where it came from
 * (wb__wmap); wb__watmod_locate uses that to turn a decoder error's byte
 * offset into "LINE:COL" of the text.  See docs/text-format.md.
 */
#include "wat_enc.h"

#include <stdio.h>

static const char *const space_name[WB__SP_COUNT] = {
    "type", "function", "table", "memory", "global", "elem segment", "data segment", "local", "label",
};

#define CUR (&P->lx->cur)
#define NEXT() wb__wat_next(P)

/* ---- errors and buffers ------------------------------------------------------------ */

_Noreturn void wb__wat_oom(wb__wat *P)
{
    wb__error(P->err, WB_ERR_NOMEM, 0, "%u:%u: out of memory encoding the text module", CUR->line,
              CUR->col);
    longjmp(P->jb, 1);
}

void wb__wbuf_grow(wb__wat *P, wb__wbuf *b, size_t n)
{
    if (n > WB_MAX_MODULE_BYTES || b->len > WB_MAX_MODULE_BYTES - n) {
        wb__error(P->err, WB_ERR_LIMIT, 0, "%u:%u: the module would be larger than %u bytes", CUR->line,
                  CUR->col, WB_MAX_MODULE_BYTES);
        longjmp(P->jb, 1);
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n || cap == b->len)
        cap *= 2;
    uint8_t *q = realloc(b->p, cap);
    if (!q)
        wb__wat_oom(P);
    b->p = q;
    b->cap = cap;
}

void *wb__wat_grow(wb__wat *P, void *a, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return a;
    uint64_t n = *cap ? (uint64_t)*cap * 2 : 64;
    while (n < need)
        n *= 2;
    if (n > UINT32_MAX / 2)
        wb__wat_oom(P);
    void *q = realloc(a, (size_t)n * elem);
    if (!q)
        wb__wat_oom(P);
    *cap = (uint32_t)n;
    return q;
}

_Noreturn void wb__wat_unexpected(wb__wat *P, const wb__tok *t)
{
    int n = (int)(t->len > 40 ? 40 : t->len);
    if (t->kind == WB__TOK_RESERVED || (t->kind == WB__TOK_KEYWORD && !wb__wat_known_kw(t)))
        wb__lex_fail(P->lx, t, "unknown operator %.*s", n, t->p);
    if (t->kind == WB__TOK_EOF)
        wb__lex_fail(P->lx, t, "unexpected token (end of text)");
    wb__lex_fail(P->lx, t, "unexpected token %.*s", n, t->p);
}

void wb__wat_next(wb__wat *P)
{
    wb__lex_next(P->lx);
    /* The reference interpreter's lexer rejects these as soon as it reads
     * them, before the parser can object to anything around them. */
    if (P->lx->cur.kind == WB__TOK_RESERVED)
        wb__wat_unexpected(P, &P->lx->cur);
}

void wb__wat_rpar(wb__wat *P)
{
    if (CUR->kind != WB__TOK_RPAREN)
        wb__wat_unexpected(P, CUR);
    NEXT();
}

bool wb__wat_lpar_kw(wb__wat *P, const char *kw)
{
    if (CUR->kind != WB__TOK_LPAREN)
        return false;
    wb__tok t = wb__lex_peek(P->lx);
    return wb__tok_is(&t, kw);
}

/* ---- numbers ----------------------------------------------------------------------- */

bool wb__wat_nat(const char *s, size_t n, uint64_t *v, bool *ovf)
{
    uint64_t x = 0;
    unsigned base = 10;
    size_t i = 0;
    bool o = false, digit = false;
    if (n > 2 && s[0] == '0' && s[1] == 'x') {
        base = 16;
        i = 2;
    }
    if (i >= n)
        return false;
    for (; i < n; i++) {
        char c = s[i];
        unsigned d;
        if (c == '_') {
            if (!digit || i + 1 == n)
                return false;
            digit = false;
            continue;
        }
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return false;
        if (x > (UINT64_MAX - d) / base)
            o = true;
        x = o ? UINT64_MAX : x * base + d;
        digit = true;
    }
    *v = x;
    *ovf = o;
    return true;
}

uint32_t wb__wat_nat32(wb__wat *P, const wb__tok *t)
{
    uint64_t v;
    bool ovf;
    if (t->kind != WB__TOK_NUMBER || !wb__wat_nat(t->p, t->len, &v, &ovf)) {
        /* A malformed number is the lexer's "unknown operator"; a good one
         * of the wrong kind (signed, fractional) is just out of place. */
        if (t->kind == WB__TOK_NUMBER)
            (void)wb__lit_f64(P->lx, t);
        wb__wat_unexpected(P, t);
    }
    if (ovf || v > UINT32_MAX)
        wb__lex_fail(P->lx, t, "i32 constant out of range");
    return (uint32_t)v;
}

/* ---- names ------------------------------------------------------------------------- */

static uint32_t hash_bytes(const void *p, size_t n, uint32_t h)
{
    const uint8_t *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 16777619u;
    return h;
}

static void names_grow(wb__wat *P, wb__wnames *m)
{
    uint32_t cap = m->cap ? m->cap * 2 : 64;
    if (cap > (1u << 30))
        wb__wat_oom(P);
    wb__wname *e = calloc(cap, sizeof *e);
    if (!e)
        wb__wat_oom(P);
    for (uint32_t i = 0; i < m->cap; i++) {
        wb__wname *o = &m->e[i];
        if (o->gen != m->gen)
            continue;
        uint32_t j = hash_bytes(o->p, o->len, 2166136261u) & (cap - 1);
        while (e[j].gen)
            j = (j + 1) & (cap - 1);
        e[j] = *o;
        e[j].gen = 1;
    }
    free(m->e);
    m->e = e;
    m->cap = cap;
    m->gen = 1;
}

wb__wname *wb__wat_name(wb__wat *P, int sp, const char *p, uint32_t len, bool insert)
{
    wb__wnames *m = &P->names[sp];
    if (insert && (m->n + 1) * 2 > m->cap)
        names_grow(P, m);
    if (!m->cap)
        return NULL;
    uint32_t mask = m->cap - 1;
    for (uint32_t i = hash_bytes(p, len, 2166136261u) & mask;; i = (i + 1) & mask) {
        wb__wname *e = &m->e[i];
        if (e->gen != m->gen) {
            if (!insert)
                return NULL;
            *e = (wb__wname){.p = p, .len = len, .val = UINT32_MAX, .gen = m->gen};
            m->n++;
            return e;
        }
        if (e->len == len && !memcmp(e->p, p, len))
            return e;
    }
}

static void names_clear(wb__wnames *m)
{
    m->n = 0;
    if (++m->gen == 0) { /* wrapped: stale entries could match again */
        if (m->e)
            memset(m->e, 0, m->cap * sizeof *m->e);
        m->gen = 1;
    }
}

static void bind(wb__wat *P, int sp, const wb__tok *id, uint32_t idx)
{
    wb__wname *e = wb__wat_name(P, sp, id->p, id->len, true);
    if (e->val != UINT32_MAX)
        wb__lex_fail(P->lx, id, "duplicate %s %.*s", space_name[sp], (int)(id->len > 64 ? 64 : id->len),
                     id->p);
    e->val = idx;
}

uint32_t wb__wat_var(wb__wat *P, int sp)
{
    const wb__tok *t = CUR;
    uint32_t v;
    if (t->kind == WB__TOK_ID) {
        wb__wname *e = wb__wat_name(P, sp, t->p, t->len, false);
        if (!e || e->val == UINT32_MAX)
            wb__lex_fail(P->lx, t, "unknown %s %.*s", space_name[sp], (int)(t->len > 64 ? 64 : t->len),
                         t->p);
        v = e->val;
    } else {
        v = wb__wat_nat32(P, t);
    }
    NEXT();
    return v;
}

/* ---- types ------------------------------------------------------------------------- */

uint8_t wb__wat_valtype(wb__wat *P)
{
    static const struct {
        const char *kw;
        uint8_t t;
    } vt[] = {{"i32", WB_I32},   {"i64", WB_I64},         {"f32", WB_F32},          {"f64", WB_F64},
              {"v128", WB_V128}, {"funcref", WB_FUNCREF}, {"externref", WB_EXTERNREF}};
    for (size_t i = 0; i < sizeof vt / sizeof vt[0]; i++)
        if (wb__tok_is(CUR, vt[i].kw)) {
            NEXT();
            return vt[i].t;
        }
    wb__wat_unexpected(P, CUR);
}

static uint8_t reftype(wb__wat *P)
{
    if (wb__tok_is(CUR, "funcref") || wb__tok_is(CUR, "externref"))
        return wb__wat_valtype(P);
    wb__wat_unexpected(P, CUR);
}

/* b->p + off, also before anything was written (NULL + 0 is undefined). */
static const uint8_t *bytes_at(const wb__wbuf *b, size_t off)
{
    return b->p ? b->p + off : (const uint8_t *)"";
}

static uint32_t sig_hash(const uint8_t *s, uint32_t np, uint32_t nr)
{
    uint32_t h = hash_bytes(&np, sizeof np, 2166136261u);
    h = hash_bytes(&nr, sizeof nr, h);
    return hash_bytes(s, (size_t)np + nr, h);
}

static bool sig_equal(const wb__wat *P, uint32_t ti, const uint8_t *s, uint32_t np, uint32_t nr)
{
    const wb__wtype *t = &P->types[ti];
    return t->np == np && t->nr == nr && !memcmp(bytes_at(&P->tbytes, t->off), s, (size_t)np + nr);
}

/* The first type with this signature, or UINT32_MAX. */
static uint32_t sig_find(const wb__wat *P, const uint8_t *s, uint32_t np, uint32_t nr)
{
    if (!P->sigcap)
        return UINT32_MAX;
    uint32_t mask = P->sigcap - 1;
    for (uint32_t i = sig_hash(s, np, nr) & mask; P->sigtab[i]; i = (i + 1) & mask)
        if (sig_equal(P, P->sigtab[i] - 1, s, np, nr))
            return P->sigtab[i] - 1;
    return UINT32_MAX;
}

static void sig_insert(wb__wat *P, uint32_t ti)
{
    const wb__wtype *t = &P->types[ti];
    uint32_t mask = P->sigcap - 1;
    uint32_t i = sig_hash(bytes_at(&P->tbytes, t->off), t->np, t->nr) & mask;
    while (P->sigtab[i])
        i = (i + 1) & mask;
    P->sigtab[i] = ti + 1;
}

static uint32_t add_type(wb__wat *P, uint32_t sig_off, uint32_t np, uint32_t nr, uint32_t line, uint32_t col)
{
    if (P->ntypes >= UINT32_MAX / 4)
        wb__wat_oom(P);
    P->types = wb__wat_grow(P, P->types, &P->ctypes, P->ntypes + 1, sizeof *P->types);
    if ((P->ntypes + 1) * 2 > P->sigcap) {
        uint32_t cap = P->sigcap ? P->sigcap * 2 : 64;
        uint32_t *tab = calloc(cap, sizeof *tab);
        if (!tab)
            wb__wat_oom(P);
        free(P->sigtab);
        P->sigtab = tab;
        P->sigcap = cap;
        for (uint32_t i = 0; i < P->ntypes; i++) {
            const wb__wtype *t = &P->types[i];
            if (sig_find(P, bytes_at(&P->tbytes, t->off), t->np, t->nr) == UINT32_MAX)
                sig_insert(P, i);
        }
    }
    uint32_t ti = P->ntypes++;
    wb__wtype *t = &P->types[ti];
    *t = (wb__wtype){.off = (uint32_t)P->tbytes.len, .np = np, .nr = nr, .line = line, .col = col};
    wb__wbuf_room(P, &P->tbytes, (size_t)np + nr);
    wb__wbytes(P, &P->tbytes, bytes_at(&P->sig, sig_off), (size_t)np + nr);
    if (sig_find(P, bytes_at(&P->tbytes, t->off), np, nr) == UINT32_MAX)
        sig_insert(P, ti);
    return ti;
}

/* (param ...)* (result ...)* onto P->sig. */
static void signature(wb__wat *P, wb__wtypeuse *tu, bool names, bool bind_locals)
{
    while (wb__wat_lpar_kw(P, "param")) {
        NEXT();
        NEXT();
        if (CUR->kind == WB__TOK_ID) {
            if (!names)
                wb__wat_unexpected(P, CUR);
            wb__tok id = *CUR;
            NEXT();
            wb__wbyte(P, &P->sig, wb__wat_valtype(P));
            tu->np++;
            if (bind_locals)
                bind(P, WB__SP_LOCAL, &id, P->nlocals++);
        } else {
            while (CUR->kind != WB__TOK_RPAREN) {
                wb__wbyte(P, &P->sig, wb__wat_valtype(P));
                tu->np++;
                if (bind_locals)
                    P->nlocals++;
            }
        }
        wb__wat_rpar(P);
    }
    while (wb__wat_lpar_kw(P, "result")) {
        NEXT();
        NEXT();
        while (CUR->kind != WB__TOK_RPAREN) {
            wb__wbyte(P, &P->sig, wb__wat_valtype(P));
            tu->nr++;
        }
        NEXT();
    }
    if (wb__wat_lpar_kw(P, "param")) { /* a syntax error before any type mismatch */
        wb__tok t = wb__lex_peek(P->lx);
        wb__wat_unexpected(P, &t);
    }
}

void wb__wat_typeuse(wb__wat *P, wb__wtypeuse *tu, bool names, bool bind_locals)
{
    *tu = (wb__wtypeuse){.idx = -1, .p = CUR->p, .line = CUR->line, .col = CUR->col,
                         .sig_off = (uint32_t)P->sig.len};
    if (wb__wat_lpar_kw(P, "type")) {
        NEXT();
        NEXT();
        tu->p = CUR->p;
        tu->line = CUR->line;
        tu->col = CUR->col;
        tu->idx = wb__wat_var(P, WB__SP_TYPE);
        wb__wat_rpar(P);
    }
    signature(P, tu, names, bind_locals);
}

static _Noreturn void fail_at_use(wb__wat *P, const wb__wtypeuse *tu, const char *why)
{
    wb__tok t = {.kind = WB__TOK_NUMBER, .p = tu->p, .len = 0, .line = tu->line, .col = tu->col};
    wb__lex_fail(P->lx, &t, "%s", why);
}

/* An explicit type with inline params/results too: they must agree. */
static void check_explicit(wb__wat *P, const wb__wtypeuse *tu)
{
    if (tu->np + tu->nr == 0)
        return;
    if ((uint64_t)tu->idx >= P->ntypes) {
        char why[64];
        snprintf(why, sizeof why, "unknown type %u", (unsigned)tu->idx);
        fail_at_use(P, tu, why);
    }
    if (!sig_equal(P, (uint32_t)tu->idx, bytes_at(&P->sig, tu->sig_off), tu->np, tu->nr))
        fail_at_use(P, tu, "inline function type does not match explicit type");
}

static uint32_t find_or_add(wb__wat *P, const wb__wtypeuse *tu)
{
    uint32_t ti = sig_find(P, bytes_at(&P->sig, tu->sig_off), tu->np, tu->nr);
    return ti != UINT32_MAX ? ti : add_type(P, tu->sig_off, tu->np, tu->nr, tu->line, tu->col);
}

uint32_t wb__wat_resolve(wb__wat *P, wb__wtypeuse *tu)
{
    uint32_t ti;
    if (tu->idx >= 0) {
        check_explicit(P, tu);
        ti = (uint32_t)tu->idx;
    } else {
        ti = find_or_add(P, tu);
    }
    P->sig.len = tu->sig_off;
    return ti;
}

int64_t wb__wat_blocktype(wb__wat *P, wb__wtypeuse *tu)
{
    int64_t bt;
    /* A value type is the s33 of its byte: 0x7f is -1, 0x40 (empty) is -64. */
    if (tu->idx >= 0) {
        check_explicit(P, tu);
        bt = tu->idx;
        if ((uint64_t)tu->idx < P->ntypes) { /* wabt inlines [] -> [t?] even when named */
            const wb__wtype *t = &P->types[tu->idx];
            if (t->np == 0 && t->nr <= 1)
                bt = t->nr ? (int64_t)P->tbytes.p[t->off] - 128 : -64;
        }
    } else if (tu->np == 0 && tu->nr <= 1) {
        bt = tu->nr ? (int64_t)P->sig.p[tu->sig_off] - 128 : -64;
    } else {
        bt = find_or_add(P, tu);
    }
    P->sig.len = tu->sig_off;
    return bt;
}

/* ---- source map -------------------------------------------------------------------- */

static void mark(wb__wat *P, uint32_t sec, uint32_t off, uint32_t line, uint32_t col)
{
    P->map = wb__wat_grow(P, P->map, &P->cmap, P->nmap + 1, sizeof *P->map);
    P->map[P->nmap++] = (wb__wmap){.sec = sec, .off = off, .line = line, .col = col};
}

void wb__wat_mark(wb__wat *P, uint32_t line, uint32_t col)
{
    mark(P, P->outsec, (uint32_t)P->out->len, line, col);
}

static void mark_field(wb__wat *P, uint32_t sec, const wb__tok *at)
{
    mark(P, sec, (uint32_t)P->sec[sec].len, at->line, at->col);
}

/* A field whose parts are encoded before it is written (a function body,
 * an element segment) takes its map entry here, ahead of its parts', so that
 * each section's entries stay in offset order (assemble relies on it). */
static uint32_t reserve_mark(wb__wat *P)
{
    mark(P, WB__SEC_NONE, 0, 0, 0);
    return P->nmap - 1;
}

static void fill_mark(wb__wat *P, uint32_t slot, uint32_t sec, const wb__tok *at)
{
    P->map[slot] = (wb__wmap){.sec = sec, .off = (uint32_t)P->sec[sec].len, .line = at->line, .col = at->col};
}

/* Bytes of scratch section `from` were copied to section `to` at `base`. */
static void relocate(wb__wat *P, uint32_t first, uint32_t from, uint32_t to, size_t base)
{
    for (uint32_t i = first; i < P->nmap; i++)
        if (P->map[i].sec == from) {
            P->map[i].sec = to;
            P->map[i].off += (uint32_t)base;
        }
}

/* ---- pass 1: indices and names ----------------------------------------------------- */

static void skip_rest(wb__wat *P, uint32_t depth)
{
    while (depth) {
        if (CUR->kind == WB__TOK_LPAREN)
            depth++;
        else if (CUR->kind == WB__TOK_RPAREN)
            depth--;
        else if (CUR->kind == WB__TOK_EOF)
            wb__wat_unexpected(P, CUR);
        NEXT();
    }
}

static void skip_group(wb__wat *P)
{
    NEXT(); /* the '(' */
    skip_rest(P, 1);
}

static int desc_space(const wb__tok *t)
{
    if (wb__tok_is(t, "func"))
        return WB__SP_FUNC;
    if (wb__tok_is(t, "table"))
        return WB__SP_TABLE;
    if (wb__tok_is(t, "memory"))
        return WB__SP_MEM;
    if (wb__tok_is(t, "global"))
        return WB__SP_GLOBAL;
    return -1;
}

static void import_order(wb__wat *P, const wb__tok *at)
{
    if (P->last_def)
        wb__lex_fail(P->lx, at, "import after %s definition", space_name[P->last_def]);
}

static void bind_next(wb__wat *P, int sp, const wb__tok *id)
{
    if (id->kind == WB__TOK_ID)
        bind(P, sp, id, P->count[sp]);
    if (++P->count[sp] == 0)
        wb__lex_fail(P->lx, id, "too many %s bindings", space_name[sp]);
}

static void scan_type(wb__wat *P)
{
    wb__tok id = *CUR;
    if (id.kind == WB__TOK_ID)
        NEXT();
    if (CUR->kind != WB__TOK_LPAREN)
        wb__wat_unexpected(P, CUR);
    wb__tok f = wb__lex_peek(P->lx);
    if (!wb__tok_is(&f, "func"))
        wb__wat_unexpected(P, &f);
    NEXT();
    NEXT();
    wb__wtypeuse tu = {.idx = -1, .sig_off = (uint32_t)P->sig.len};
    signature(P, &tu, true, false);
    wb__wat_rpar(P);
    wb__wat_rpar(P);
    uint32_t ti = add_type(P, tu.sig_off, tu.np, tu.nr, f.line, f.col);
    P->sig.len = tu.sig_off;
    if (id.kind == WB__TOK_ID)
        bind(P, WB__SP_TYPE, &id, ti);
    P->count[WB__SP_TYPE]++;
}

static void scan_field(wb__wat *P)
{
    if (CUR->kind != WB__TOK_LPAREN)
        wb__wat_unexpected(P, CUR);
    wb__tok open = *CUR;
    NEXT();
    wb__tok kw = *CUR;
    if (kw.kind != WB__TOK_KEYWORD)
        wb__wat_unexpected(P, &kw);
    NEXT();
    int sp;
    if (wb__tok_is(&kw, "type")) {
        scan_type(P);
    } else if (wb__tok_is(&kw, "import")) {
        for (int i = 0; i < 2; i++) {
            if (CUR->kind != WB__TOK_STRING)
                wb__wat_unexpected(P, CUR);
            NEXT();
        }
        if (CUR->kind != WB__TOK_LPAREN)
            wb__wat_unexpected(P, CUR);
        NEXT();
        if ((sp = desc_space(CUR)) < 0)
            wb__wat_unexpected(P, CUR);
        NEXT();
        import_order(P, &open);
        bind_next(P, sp, CUR);
        skip_rest(P, 2);
    } else if ((sp = desc_space(&kw)) >= 0) {
        wb__tok id = *CUR;
        if (id.kind == WB__TOK_ID)
            NEXT();
        while (wb__wat_lpar_kw(P, "export"))
            skip_group(P);
        if (wb__wat_lpar_kw(P, "import")) {
            import_order(P, &open);
        } else {
            P->last_def = (uint32_t)sp;
            /* (table funcref (elem ...)) and (memory (data ...)) define a segment too */
            if (sp == WB__SP_TABLE && (wb__tok_is(CUR, "funcref") || wb__tok_is(CUR, "externref")))
                bind_next(P, WB__SP_ELEM, CUR);
            if (sp == WB__SP_MEM && wb__wat_lpar_kw(P, "data"))
                bind_next(P, WB__SP_DATA, CUR);
        }
        bind_next(P, sp, &id);
        skip_rest(P, 1);
    } else if (wb__tok_is(&kw, "elem") || wb__tok_is(&kw, "data")) {
        bind_next(P, wb__tok_is(&kw, "elem") ? WB__SP_ELEM : WB__SP_DATA, CUR);
        skip_rest(P, 1);
    } else if (wb__tok_is(&kw, "export") || wb__tok_is(&kw, "start")) {
        skip_rest(P, 1);
    } else {
        wb__wat_unexpected(P, &kw);
    }
}

/* ---- pass 2: encoding -------------------------------------------------------------- */

static void skip_id(wb__wat *P)
{
    if (CUR->kind == WB__TOK_ID)
        NEXT();
}

/* A STRING token as a name (UTF-8 checked): its length and bytes. */
static void put_name(wb__wat *P, wb__wbuf *b)
{
    const wb__tok *t = CUR;
    if (t->kind != WB__TOK_STRING)
        wb__wat_unexpected(P, t);
    P->tmp.len = 0;
    uint8_t *q = wb__wbuf_room(P, &P->tmp, t->len);
    size_t n = wb__lit_name(P->lx, t, q);
    wb__wu32(P, b, (uint32_t)n);
    wb__wbytes(P, b, q, n);
    NEXT();
}

/* string* up to ')' into P->tmp. */
static void strings(wb__wat *P)
{
    P->tmp.len = 0;
    while (CUR->kind == WB__TOK_STRING) {
        uint8_t *q = wb__wbuf_room(P, &P->tmp, CUR->len);
        P->tmp.len += wb__lit_string(P->lx, CUR, q);
        NEXT();
    }
}

static void limits(wb__wat *P, wb__wbuf *b)
{
    uint32_t min = wb__wat_nat32(P, CUR);
    NEXT();
    if (CUR->kind == WB__TOK_NUMBER) {
        uint32_t max = wb__wat_nat32(P, CUR);
        NEXT();
        wb__wbyte(P, b, 1);
        wb__wu32(P, b, min);
        wb__wu32(P, b, max);
    } else {
        wb__wbyte(P, b, 0);
        wb__wu32(P, b, min);
    }
}

/* Text "limits reftype" is binary "reftype limits". */
static void tabletype(wb__wat *P, wb__wbuf *b)
{
    P->tmp2.len = 0;
    limits(P, &P->tmp2);
    wb__wbyte(P, b, reftype(P));
    wb__wbytes(P, b, P->tmp2.p, P->tmp2.len);
}

static void globaltype(wb__wat *P, wb__wbuf *b)
{
    if (wb__wat_lpar_kw(P, "mut")) {
        NEXT();
        NEXT();
        wb__wbyte(P, b, wb__wat_valtype(P));
        wb__wbyte(P, b, 1);
        wb__wat_rpar(P);
    } else {
        wb__wbyte(P, b, wb__wat_valtype(P));
        wb__wbyte(P, b, 0);
    }
}

/* Instructions up to ')' and the closing end, into b (map section sec). */
static void expr_into(wb__wat *P, wb__wbuf *b, uint32_t sec)
{
    P->out = b;
    P->outsec = sec;
    wb__wat_instrs(P);
    wb__wat_mark(P, CUR->line, CUR->col);
    wb__wbyte(P, b, 0x0b);
}

static void inline_exports(wb__wat *P, uint8_t kind, uint32_t idx)
{
    while (wb__wat_lpar_kw(P, "export")) {
        mark_field(P, 7, CUR);
        NEXT();
        NEXT();
        put_name(P, &P->sec[7]);
        wb__wbyte(P, &P->sec[7], kind);
        wb__wu32(P, &P->sec[7], idx);
        P->nitems[7]++;
        wb__wat_rpar(P);
    }
}

/* (import "m" "n") of a func/table/memory/global field: starts the import entry. */
static bool inline_import(wb__wat *P, const wb__tok *field)
{
    if (!wb__wat_lpar_kw(P, "import"))
        return false;
    NEXT();
    NEXT();
    mark_field(P, 2, field);
    put_name(P, &P->sec[2]);
    put_name(P, &P->sec[2]);
    wb__wat_rpar(P);
    P->nitems[2]++;
    return true;
}

static void encode_import(wb__wat *P, const wb__tok *open)
{
    wb__wbuf *b = &P->sec[2];
    mark_field(P, 2, open);
    put_name(P, b);
    put_name(P, b);
    if (CUR->kind != WB__TOK_LPAREN)
        wb__wat_unexpected(P, CUR);
    NEXT();
    int sp = desc_space(CUR);
    NEXT();
    skip_id(P);
    P->count[sp]++;
    wb__wtypeuse tu;
    switch (sp) {
    case WB__SP_FUNC:
        wb__wat_typeuse(P, &tu, true, false);
        wb__wbyte(P, b, 0);
        wb__wu32(P, b, wb__wat_resolve(P, &tu));
        break;
    case WB__SP_TABLE:
        wb__wbyte(P, b, 1);
        tabletype(P, b);
        break;
    case WB__SP_MEM:
        wb__wbyte(P, b, 2);
        limits(P, b);
        break;
    default:
        wb__wbyte(P, b, 3);
        globaltype(P, b);
        break;
    }
    wb__wat_rpar(P);
    wb__wat_rpar(P);
    P->nitems[2]++;
}

/* Declared locals as the binary's runs of equal types. */
static void local_runs(wb__wat *P, wb__wbuf *b)
{
    const uint8_t *t = P->ltypes.p;
    size_t n = P->ltypes.len;
    uint32_t runs = 0;
    for (size_t i = 0; i < n; i++)
        runs += i == 0 || t[i] != t[i - 1];
    wb__wu32(P, b, runs);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && t[j] == t[i])
            j++;
        wb__wu32(P, b, (uint32_t)(j - i));
        wb__wbyte(P, b, t[i]);
        i = j;
    }
}

static void encode_func(wb__wat *P, const wb__tok *open)
{
    skip_id(P);
    uint32_t fidx = P->count[WB__SP_FUNC]++;
    inline_exports(P, 0, fidx);
    wb__wtypeuse tu;
    if (inline_import(P, open)) {
        wb__wat_typeuse(P, &tu, true, false);
        wb__wbyte(P, &P->sec[2], 0);
        wb__wu32(P, &P->sec[2], wb__wat_resolve(P, &tu));
        wb__wat_rpar(P);
        return;
    }
    names_clear(&P->names[WB__SP_LOCAL]);
    P->nlocals = 0;
    P->ltypes.len = 0;
    wb__wat_typeuse(P, &tu, true, true);
    if (tu.idx >= 0 && tu.np + tu.nr == 0 && (uint64_t)tu.idx < P->ntypes)
        P->nlocals = P->types[tu.idx].np; /* the params of (type $t) are the first locals */
    if (tu.idx < 0) {
        tu.line = open->line;
        tu.col = open->col;
    }
    uint32_t ti = wb__wat_resolve(P, &tu);
    mark_field(P, 3, open);
    wb__wu32(P, &P->sec[3], ti);
    P->nitems[3]++;

    while (wb__wat_lpar_kw(P, "local")) {
        NEXT();
        NEXT();
        if (CUR->kind == WB__TOK_ID) {
            wb__tok id = *CUR;
            NEXT();
            bind(P, WB__SP_LOCAL, &id, P->nlocals++);
            wb__wbyte(P, &P->ltypes, wb__wat_valtype(P));
        } else {
            while (CUR->kind != WB__TOK_RPAREN) {
                wb__wbyte(P, &P->ltypes, wb__wat_valtype(P));
                P->nlocals++;
            }
        }
        wb__wat_rpar(P);
    }

    uint32_t slot = reserve_mark(P), m0 = P->nmap;
    P->body.len = 0;
    local_runs(P, &P->body);
    expr_into(P, &P->body, WB__SEC_BODY);
    wb__wbuf *code = &P->sec[10];
    fill_mark(P, slot, 10, open);
    wb__wu32(P, code, (uint32_t)P->body.len);
    relocate(P, m0, WB__SEC_BODY, 10, code->len);
    wb__wbytes(P, code, P->body.p, P->body.len);
    P->nitems[10]++;
    names_clear(&P->names[WB__SP_LOCAL]); /* constant expressions have none */
    wb__wat_rpar(P);
}

/* ---- element and data segments ----------------------------------------------------- */

typedef struct {
    uint8_t mode; /* WB__SEG_* */
    uint8_t type;
    bool vars;     /* items are function indices (func $f $g, or the abbreviation) */
    bool allfuncs; /* every item expression is one ref.func */
    uint32_t table;
    uint32_t n;
} elemseg;

/* Is [p, p+n) exactly "ref.func x"? */
static bool one_ref_func(const uint8_t *p, size_t n)
{
    if (n < 2 || n > 6 || p[0] != 0xd2)
        return false;
    size_t i = 1;
    while (i < n && (p[i] & 0x80))
        i++;
    return i == n - 1;
}

static void elem_vars(wb__wat *P, elemseg *s)
{
    s->vars = true;
    s->type = WB_FUNCREF;
    P->out = &P->eitems;
    P->outsec = WB__SEC_TMP2;
    while (CUR->kind == WB__TOK_NUMBER || CUR->kind == WB__TOK_ID) {
        wb__wat_mark(P, CUR->line, CUR->col);
        wb__wu32(P, &P->eitems, wb__wat_var(P, WB__SP_FUNC));
        s->n++;
    }
}

static void elem_exprs(wb__wat *P, elemseg *s)
{
    while (CUR->kind == WB__TOK_LPAREN) {
        size_t start = P->eitems.len;
        P->out = &P->eitems;
        P->outsec = WB__SEC_TMP2;
        if (wb__wat_lpar_kw(P, "item")) {
            NEXT();
            NEXT();
            wb__wat_instrs(P);
            wb__wat_rpar(P);
        } else {
            wb__wat_expr1(P);
        }
        if (!one_ref_func(bytes_at(&P->eitems, start), P->eitems.len - start))
            s->allfuncs = false;
        wb__wbyte(P, &P->eitems, 0x0b);
        s->n++;
    }
}

/* func $f* | reftype elemexpr* */
static void elem_list(wb__wat *P, elemseg *s)
{
    if (wb__tok_is(CUR, "func")) {
        NEXT();
        elem_vars(P, s);
    } else {
        s->type = reftype(P);
        elem_exprs(P, s);
    }
}

/* (offset instr*) or one folded instruction, with its end, into b. */
static void offset_expr(wb__wat *P, wb__wbuf *b, uint32_t sec)
{
    if (wb__wat_lpar_kw(P, "offset")) {
        NEXT();
        NEXT();
        expr_into(P, b, sec);
        NEXT();
    } else if (CUR->kind == WB__TOK_LPAREN) {
        P->out = b;
        P->outsec = sec;
        wb__wat_expr1(P);
        wb__wbyte(P, b, 0x0b);
    } else {
        wb__wat_unexpected(P, CUR);
    }
}

/* Writes a segment whose offset is in P->eoff and items in P->eitems, with
 * the flags wabt chooses: function indices when every item is a ref.func of
 * a funcref segment, an explicit table only when needed. */
static void elem_finish(wb__wat *P, const elemseg *s, uint32_t slot, const wb__tok *at)
{
    uint32_t m0 = slot + 1;
    wb__wbuf *b = &P->sec[9];
    bool exprs = !s->vars && !(s->type == WB_FUNCREF && s->allfuncs);
    bool expl = s->mode == WB__SEG_ACTIVE && (s->table != 0 || (exprs && s->type != WB_FUNCREF));
    uint8_t flags = s->mode == WB__SEG_PASSIVE ? 1 : s->mode == WB__SEG_DECLARATIVE ? 3 : 0;
    flags |= (expl ? 2 : 0) | (exprs ? 4 : 0);
    fill_mark(P, slot, 9, at);
    wb__wbyte(P, b, flags);
    if (expl)
        wb__wu32(P, b, s->table);
    if (s->mode == WB__SEG_ACTIVE) {
        relocate(P, m0, WB__SEC_TMP1, 9, b->len);
        wb__wbytes(P, b, P->eoff.p, P->eoff.len);
    }
    if (flags & 3)
        wb__wbyte(P, b, exprs ? s->type : 0x00);
    wb__wu32(P, b, s->n);
    if (exprs || s->vars) {
        relocate(P, m0, WB__SEC_TMP2, 9, b->len);
        wb__wbytes(P, b, P->eitems.p, P->eitems.len);
    } else { /* (ref.func x) items become plain indices: copy each x */
        relocate(P, m0, WB__SEC_TMP2, WB__SEC_NONE, 0);
        const uint8_t *p = bytes_at(&P->eitems, 0), *end = p + P->eitems.len;
        while (p < end) {
            const uint8_t *q = ++p;
            while (*q & 0x80)
                q++;
            wb__wbytes(P, b, p, (size_t)(q - p + 1));
            p = q + 2; /* the last LEB byte and the end */
        }
    }
    P->nitems[9]++;
}

static void encode_elem(wb__wat *P, const wb__tok *open)
{
    skip_id(P);
    elemseg s = {.mode = WB__SEG_ACTIVE, .type = WB_FUNCREF, .allfuncs = true};
    P->eoff.len = P->eitems.len = 0;
    uint32_t slot = reserve_mark(P);
    if (wb__tok_is(CUR, "declare")) {
        NEXT();
        s.mode = WB__SEG_DECLARATIVE;
        elem_list(P, &s);
    } else if (wb__wat_lpar_kw(P, "table")) {
        NEXT();
        NEXT();
        s.table = wb__wat_var(P, WB__SP_TABLE);
        wb__wat_rpar(P);
        offset_expr(P, &P->eoff, WB__SEC_TMP1);
        elem_list(P, &s);
    } else if (CUR->kind == WB__TOK_LPAREN) {
        offset_expr(P, &P->eoff, WB__SEC_TMP1);
        if (CUR->kind == WB__TOK_KEYWORD)
            elem_list(P, &s);
        else
            elem_vars(P, &s);
    } else {
        s.mode = WB__SEG_PASSIVE;
        elem_list(P, &s);
    }
    if (CUR->kind != WB__TOK_RPAREN)
        wb__wat_unexpected(P, CUR);
    elem_finish(P, &s, slot, open);
    NEXT();
}

static void encode_data(wb__wat *P, const wb__tok *open)
{
    wb__wbuf *b = &P->sec[11];
    skip_id(P);
    mark_field(P, 11, open);
    bool bare = CUR->kind == WB__TOK_NUMBER; /* (data 1 ...): wabt's older form, wasm2wat writes it */
    if (bare || wb__wat_lpar_kw(P, "memory")) {
        if (!bare) {
            NEXT();
            NEXT();
        }
        uint32_t mem = wb__wat_var(P, WB__SP_MEM);
        if (!bare)
            wb__wat_rpar(P);
        wb__wbyte(P, b, mem ? 2 : 0);
        if (mem)
            wb__wu32(P, b, mem);
        offset_expr(P, b, 11);
    } else if (CUR->kind == WB__TOK_LPAREN) {
        wb__wbyte(P, b, 0);
        offset_expr(P, b, 11);
    } else {
        wb__wbyte(P, b, 1);
    }
    strings(P);
    wb__wu32(P, b, (uint32_t)P->tmp.len);
    wb__wbytes(P, b, P->tmp.p, P->tmp.len);
    P->nitems[11]++;
    wb__wat_rpar(P);
}

/* ---- tables, memories, globals, exports, start ------------------------------------- */

static void encode_table(wb__wat *P, const wb__tok *open)
{
    skip_id(P);
    uint32_t tidx = P->count[WB__SP_TABLE]++;
    inline_exports(P, 1, tidx);
    if (inline_import(P, open)) {
        wb__wbyte(P, &P->sec[2], 1);
        tabletype(P, &P->sec[2]);
        wb__wat_rpar(P);
        return;
    }
    if (CUR->kind != WB__TOK_KEYWORD) {
        mark_field(P, 4, open);
        tabletype(P, &P->sec[4]);
        P->nitems[4]++;
        wb__wat_rpar(P);
        return;
    }
    /* reftype (elem ...): a table exactly as large as its segment */
    elemseg s = {.mode = WB__SEG_ACTIVE, .table = tidx, .allfuncs = true};
    uint8_t rt = reftype(P);
    if (!wb__wat_lpar_kw(P, "elem")) {
        if (CUR->kind == WB__TOK_LPAREN) {
            wb__tok t = wb__lex_peek(P->lx);
            wb__wat_unexpected(P, &t);
        }
        wb__wat_unexpected(P, CUR);
    }
    NEXT();
    NEXT();
    P->eoff.len = P->eitems.len = 0;
    uint32_t slot = reserve_mark(P);
    wb__wbyte(P, &P->eoff, 0x41); /* i32.const 0 */
    wb__wbyte(P, &P->eoff, 0);
    wb__wbyte(P, &P->eoff, 0x0b);
    if (CUR->kind == WB__TOK_LPAREN) {
        s.type = rt;
        elem_exprs(P, &s);
    } else {
        elem_vars(P, &s);
    }
    wb__wat_rpar(P);
    mark_field(P, 4, open);
    wb__wbyte(P, &P->sec[4], rt);
    wb__wbyte(P, &P->sec[4], 1);
    wb__wu32(P, &P->sec[4], s.n);
    wb__wu32(P, &P->sec[4], s.n);
    P->nitems[4]++;
    P->count[WB__SP_ELEM]++;
    elem_finish(P, &s, slot, open);
    wb__wat_rpar(P);
}

static void encode_memory(wb__wat *P, const wb__tok *open)
{
    skip_id(P);
    uint32_t midx = P->count[WB__SP_MEM]++;
    inline_exports(P, 2, midx);
    if (inline_import(P, open)) {
        wb__wbyte(P, &P->sec[2], 2);
        limits(P, &P->sec[2]);
        wb__wat_rpar(P);
        return;
    }
    mark_field(P, 5, open);
    if (!wb__wat_lpar_kw(P, "data")) {
        limits(P, &P->sec[5]);
        P->nitems[5]++;
        wb__wat_rpar(P);
        return;
    }
    /* (data ...): the memory is exactly as large as its data */
    wb__tok at = *CUR;
    NEXT();
    NEXT();
    strings(P);
    wb__wat_rpar(P);
    uint32_t pages = (uint32_t)(((uint64_t)P->tmp.len + WB_PAGE_SIZE - 1) / WB_PAGE_SIZE);
    wb__wbyte(P, &P->sec[5], 1);
    wb__wu32(P, &P->sec[5], pages);
    wb__wu32(P, &P->sec[5], pages);
    P->nitems[5]++;
    wb__wbuf *b = &P->sec[11];
    mark_field(P, 11, &at);
    wb__wbyte(P, b, midx ? 2 : 0);
    if (midx)
        wb__wu32(P, b, midx);
    wb__wbytes(P, b, "\x41\x00\x0b", 3); /* i32.const 0 */
    wb__wu32(P, b, (uint32_t)P->tmp.len);
    wb__wbytes(P, b, P->tmp.p, P->tmp.len);
    P->nitems[11]++;
    P->count[WB__SP_DATA]++;
    wb__wat_rpar(P);
}

static void encode_global(wb__wat *P, const wb__tok *open)
{
    skip_id(P);
    uint32_t gidx = P->count[WB__SP_GLOBAL]++;
    inline_exports(P, 3, gidx);
    if (inline_import(P, open)) {
        wb__wbyte(P, &P->sec[2], 3);
        globaltype(P, &P->sec[2]);
        wb__wat_rpar(P);
        return;
    }
    mark_field(P, 6, open);
    globaltype(P, &P->sec[6]);
    expr_into(P, &P->sec[6], 6);
    P->nitems[6]++;
    wb__wat_rpar(P);
}

static void encode_export(wb__wat *P, const wb__tok *open)
{
    wb__wbuf *b = &P->sec[7];
    mark_field(P, 7, open);
    put_name(P, b);
    if (CUR->kind != WB__TOK_LPAREN)
        wb__wat_unexpected(P, CUR);
    NEXT();
    int sp = desc_space(CUR);
    if (sp < 0)
        wb__wat_unexpected(P, CUR);
    NEXT();
    uint32_t idx = wb__wat_var(P, sp);
    wb__wat_rpar(P);
    wb__wbyte(P, b, (uint8_t)(sp - WB__SP_FUNC));
    wb__wu32(P, b, idx);
    P->nitems[7]++;
    wb__wat_rpar(P);
}

static void encode_start(wb__wat *P, const wb__tok *open)
{
    if (P->has_start)
        wb__lex_fail(P->lx, open, "multiple start sections");
    P->has_start = true;
    mark_field(P, 8, open);
    wb__wu32(P, &P->sec[8], wb__wat_var(P, WB__SP_FUNC));
    wb__wat_rpar(P);
}

static void encode_field(wb__wat *P)
{
    wb__tok open = *CUR;
    NEXT();
    wb__tok kw = *CUR;
    NEXT();
    switch (kw.p[0]) { /* pass 1 has checked the keyword */
    case 't':
        if (kw.len == 4) /* type: parsed in pass 1 */
            skip_rest(P, 1);
        else
            encode_table(P, &open);
        break;
    case 'i': encode_import(P, &open); break;
    case 'f': encode_func(P, &open); break;
    case 'm': encode_memory(P, &open); break;
    case 'g': encode_global(P, &open); break;
    case 'e': (kw.p[1] == 'x' ? encode_export : encode_elem)(P, &open); break;
    case 's': encode_start(P, &open); break;
    default: encode_data(P, &open); break;
    }
}

/* ---- assembly ---------------------------------------------------------------------- */

static int cmp_srcpos(const void *a, const void *b)
{
    const wb__srcpos *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static size_t leb_size(uint32_t v)
{
    size_t n = 1;
    while (v >>= 7)
        n++;
    return n;
}

static void assemble(wb__wat *P, wb__watmod *out)
{
    wb__wbuf *ts = &P->sec[1];
    for (uint32_t i = 0; i < P->ntypes; i++) {
        const wb__wtype *t = &P->types[i];
        mark(P, 1, (uint32_t)ts->len, t->line, t->col);
        wb__wbyte(P, ts, 0x60);
        wb__wu32(P, ts, t->np);
        wb__wbytes(P, ts, bytes_at(&P->tbytes, t->off), t->np);
        wb__wu32(P, ts, t->nr);
        wb__wbytes(P, ts, bytes_at(&P->tbytes, t->off + t->np), t->nr);
    }
    P->nitems[1] = P->ntypes;
    /* wabt writes a data count only when code needs it (and there is data) */
    bool datacount = P->uses_datacount && P->nitems[11];
    if (datacount)
        wb__wu32(P, &P->sec[12], P->nitems[11]);

    static const uint8_t order[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11};
    uint32_t base[13] = {0}, hdr[13] = {0};
    bool present[13] = {false};
    wb__wbuf *o = &P->tmp2;
    o->len = 0;
    wb__wbytes(P, o, "\0asm\1\0\0\0", 8);
    for (size_t k = 0; k < sizeof order; k++) {
        uint8_t id = order[k];
        bool counted = id != 8 && id != 12;
        present[id] = id == 8 ? P->has_start : id == 12 ? datacount : P->nitems[id] > 0;
        if (!present[id])
            continue;
        size_t size = P->sec[id].len + (counted ? leb_size(P->nitems[id]) : 0);
        if (size > WB_MAX_MODULE_BYTES)
            wb__wbuf_grow(P, o, size); /* fails with the size limit */
        hdr[id] = (uint32_t)o->len;
        wb__wbyte(P, o, id);
        wb__wu32(P, o, (uint32_t)size);
        if (counted)
            wb__wu32(P, o, P->nitems[id]);
        base[id] = (uint32_t)o->len;
        wb__wbytes(P, o, P->sec[id].p, P->sec[id].len);
    }

    /* Each section's entries are in offset order already: a counting sort
     * by section gives the sorted map.  A header gets an entry of its own
     * (line 0: no text), so no error there is blamed on a field. */
    uint32_t cnt[13] = {0}, pos[13], n = 1;
    for (uint32_t i = 0; i < P->nmap; i++)
        if (P->map[i].sec < 13 && present[P->map[i].sec])
            cnt[P->map[i].sec]++;
    for (size_t k = 0; k < sizeof order; k++)
        if (present[order[k]]) {
            pos[order[k]] = n + 1;
            n += 1 + cnt[order[k]];
        }
    n++; /* the end */
    wb__srcpos *map = malloc((size_t)n * sizeof *map);
    if (!map)
        wb__wat_oom(P);
    map[0] = (wb__srcpos){0, 0, 0};
    map[n - 1] = (wb__srcpos){(uint32_t)o->len, 0, 0};
    for (size_t k = 0; k < sizeof order; k++)
        if (present[order[k]])
            map[pos[order[k]] - 1] = (wb__srcpos){hdr[order[k]], 0, 0};
    for (uint32_t i = 0; i < P->nmap; i++) {
        const wb__wmap *e = &P->map[i];
        if (e->sec < 13 && present[e->sec])
            map[pos[e->sec]++] = (wb__srcpos){base[e->sec] + e->off, e->line, e->col};
    }
    for (uint32_t i = 1; i < n; i++)
        if (map[i].offset < map[i - 1].offset) { /* not expected: then sort (ties in any order) */
            qsort(map, n, sizeof *map, cmp_srcpos);
            break;
        }
    out->bytes = o->p;
    out->len = o->len;
    o->p = NULL;
    o->len = o->cap = 0;
    out->map = map;
    out->nmap = n;
}

/* Both passes over the fields at cur, up to ')' (closed) or the end of the
 * text; then the binary. */
static void encode_fields(wb__wat *P, bool closed, wb__watmod *out)
{
    wb__tokkind stop = closed ? WB__TOK_RPAREN : WB__TOK_EOF;
    wb__lex start = *P->lx; /* the lexer is a cursor: a copy rewinds it */
    uint32_t nfields = 0;
    /* Junk where a field should begin (a stray ')') is reported after the
     * fields before it are encoded, so an error inside those comes first,
     * as in the reference interpreter. */
    while (CUR->kind != stop && CUR->kind == WB__TOK_LPAREN) {
        scan_field(P);
        nfields++;
    }
    wb__tok junk = *CUR;
    *P->lx = start;
    memset(P->count, 0, sizeof P->count);
    for (uint32_t i = 0; i < nfields; i++)
        encode_field(P);
    if (junk.kind != stop)
        wb__wat_unexpected(P, &junk);
    assemble(P, out);
}

static void module_form(wb__wat *P, wb__watmod *out);

/* A whole text: one (module ...) or a module's fields alone. */
static void whole_text(wb__wat *P, wb__watmod *out)
{
    if (wb__wat_lpar_kw(P, "module"))
        module_form(P, out);
    else
        encode_fields(P, false, out);
    if (CUR->kind != WB__TOK_EOF)
        wb__wat_unexpected(P, CUR);
}

static void module_form(wb__wat *P, wb__watmod *out)
{
    NEXT();
    NEXT();
    out->id.kind = WB__TOK_EOF;
    if (CUR->kind == WB__TOK_ID) {
        out->id = *CUR;
        NEXT();
    }
    bool bin = !P->qtext && wb__tok_is(CUR, "binary");
    if (bin || (!P->qtext && wb__tok_is(CUR, "quote"))) {
        NEXT();
        strings(P);
        if (CUR->kind != WB__TOK_RPAREN)
            wb__wat_unexpected(P, CUR);
        if (bin) {
            out->form = WB__WATMOD_BINARY;
            out->len = P->tmp.len;
            out->bytes = P->tmp.p; /* the caller frees it, also if the next token fails */
            P->tmp = (wb__wbuf){0};
        } else {
            /* The quoted text is a module of its own, located in itself. */
            P->qtext = (char *)P->tmp.p;
            size_t n = P->tmp.len;
            P->tmp = (wb__wbuf){0};
            wb__lex *outer = P->lx, inner;
            wb__tok id = out->id;
            P->lx = &inner;
            wb__lex_init(&inner, P->qtext, n, P->err, &P->jb);
            if (inner.cur.kind == WB__TOK_RESERVED)
                wb__wat_unexpected(P, &inner.cur);
            whole_text(P, out);
            P->lx = outer;
            out->id = id;
            out->form = WB__WATMOD_QUOTE;
        }
    } else {
        encode_fields(P, true, out);
        out->form = WB__WATMOD_TEXT;
    }
    NEXT(); /* the ')' */
}

static wb__wat *state_new(wb__lex *lx, wb_error *err)
{
    wb__wat *P = calloc(1, sizeof *P);
    if (!P)
        return NULL;
    P->lx = lx;
    P->err = err;
    for (int i = 0; i < WB__SP_COUNT; i++)
        P->names[i].gen = 1;
    return P;
}

static void state_free(wb__wat *P)
{
    if (!P)
        return;
    for (int i = 0; i < WB__SP_COUNT; i++)
        free(P->names[i].e);
    for (int i = 0; i < 13; i++)
        free(P->sec[i].p);
    wb__wbuf *bufs[] = {&P->tbytes, &P->body, &P->pend, &P->sig, &P->tmp, &P->tmp2,
                        &P->ltypes, &P->eoff, &P->eitems};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]->p);
    free(P->types);
    free(P->sigtab);
    free(P->map);
    free(P->frames);
    free(P->labels);
    free(P->qtext);
    free(P);
}

void wb__wat_module(wb__lex *lx, wb__watmod *out)
{
    memset(out, 0, sizeof *out);
    jmp_buf *outer = lx->jb;
    wb__wat *P = state_new(lx, lx->err);
    if (!P) {
        wb__error(lx->err, WB_ERR_NOMEM, 0, "%u:%u: out of memory", lx->cur.line, lx->cur.col);
        longjmp(*outer, 1);
    }
    lx->jb = &P->jb;
    if (setjmp(P->jb)) {
        lx->jb = outer;
        state_free(P);
        wb__watmod_free(out);
        longjmp(*outer, 1);
    }
    module_form(P, out);
    lx->jb = outer;
    state_free(P);
}

void wb__watmod_free(wb__watmod *m)
{
    free(m->bytes);
    free(m->map);
    m->bytes = NULL;
    m->map = NULL;
    m->len = 0;
    m->nmap = 0;
}

void wb__watmod_locate(const wb__watmod *m, wb_error *err)
{
    if (!err || !m->map || !m->nmap)
        return;
    const char *msg = err->message;
    if (strncmp(msg, "section ", 8) && strncmp(msg, "offset 0x", 9))
        return;
    const char *r = strstr(msg, "offset 0x");
    if (!r || !(r = strstr(r, ": ")))
        return;
    r += 2;
    /* The compiler names the function ("function 3: "); the line says more */
    if (!strncmp(r, "function ", 9)) {
        const char *q = r + 9;
        while (*q >= '0' && *q <= '9')
            q++;
        if (q > r + 9 && q[0] == ':' && q[1] == ' ')
            r = q + 2;
    }
    uint32_t lo = 0, hi = m->nmap; /* the last entry at or before the offset */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->map[mid].offset <= err->offset)
            lo = mid;
        else
            hi = mid;
    }
    const wb__srcpos *e = &m->map[lo];
    if (e->offset > err->offset || e->line == 0)
        return;
    char buf[sizeof err->message];
    snprintf(buf, sizeof buf, "%u:%u: %s", e->line, e->col, r);
    memcpy(err->message, buf, sizeof buf);
}

/* ---- public entry points ----------------------------------------------------------- */

/* Text -> binary (and map) in wm; wm is the caller's to free either way. */
static wb_result encode_text(const char *text, size_t len, wb__watmod *wm, wb_error *err)
{
    if (!text && len)
        return wb__error(err, WB_ERR_ARG, 0, "text is NULL");
    if (len > WB_MAX_TEXT_BYTES)
        return wb__error(err, WB_ERR_LIMIT, 0, "text of %zu bytes is larger than the limit of %u", len,
                         WB_MAX_TEXT_BYTES);
    wb__lex lx;
    wb__wat *P = state_new(&lx, err);
    if (!P)
        return wb__error(err, WB_ERR_NOMEM, 0, "out of memory");
    if (setjmp(P->jb)) {
        state_free(P);
        return err->code;
    }
    wb__lex_init(&lx, text ? text : "", len, err, &P->jb);
    if (lx.cur.kind == WB__TOK_RESERVED)
        wb__wat_unexpected(P, &lx.cur);
    whole_text(P, wm);
    state_free(P);
    return WB_OK;
}

wb_result wb_wat_to_wasm(const char *text, size_t len, uint8_t **out, size_t *out_len, wb_error *err)
{
    wb_error local;
    if (!err)
        err = &local;
    if (!out || !out_len)
        return wb__error(err, WB_ERR_ARG, 0, "out and out_len are required");
    *out = NULL;
    *out_len = 0;
    wb__watmod *wm = calloc(1, sizeof *wm);
    if (!wm)
        return wb__error(err, WB_ERR_NOMEM, 0, "out of memory");
    wb_result rc = encode_text(text, len, wm, err);
    if (rc == WB_OK) {
        *out = wm->bytes;
        *out_len = wm->len;
        wm->bytes = NULL;
    }
    wb__watmod_free(wm);
    free(wm);
    return rc;
}

wb_result wb_module_from_wat(const char *text, size_t len, wb_module **out, wb_error *err)
{
    return wb_module_from_wat_ex(text, len, NULL, out, err);
}

wb_result wb_module_from_wat_ex(const char *text, size_t len, const wb_load_opts *opts, wb_module **out,
                                wb_error *err)
{
    wb_error local;
    if (!err)
        err = &local;
    if (!out)
        return wb__error(err, WB_ERR_ARG, 0, "out is required");
    *out = NULL;
    wb__watmod *wm = calloc(1, sizeof *wm);
    if (!wm)
        return wb__error(err, WB_ERR_NOMEM, 0, "out of memory");
    wb_result rc = encode_text(text, len, wm, err);
    if (rc == WB_OK) {
        rc = wb_module_load_ex(wm->bytes, wm->len, opts, out, err);
        if (rc != WB_OK)
            wb__watmod_locate(wm, err);
    }
    wb__watmod_free(wm);
    free(wm);
    return rc;
}

void wb_free(void *p)
{
    free(p);
}
