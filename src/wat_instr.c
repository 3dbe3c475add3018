/*
 * wat_instr.c - instructions of the text format: the mnemonic table and the
 * parser that encodes plain, block and folded instructions.
 *
 * The mnemonic table is built once (pthread_once) from the names the engine
 * already has (wb__opnames, wb__fcnames, wb__simd_ops), so text and binary
 * can never disagree on a spelling; it also holds the module syntax's
 * keywords, which tells "unexpected token" from "unknown operator".
 *
 * Folded expressions and blocks nest without bound in a text, so the parser
 * keeps its open constructs on a heap stack (wb__wframe) instead of
 * recursing: a 100k-deep (i32.eqz (i32.eqz ...)) costs memory, capped by
 * WB_MAX_TEXT_NESTING, never the C stack.
 *
 * A folded instruction's operands come first in the binary, so its bytes are
 * encoded when its '(' is read, parked on P->pend and copied out at its ')'.
 * call_indirect and the folded if resolve their inline type only there, after
 * their operands, because that is the order in which implicit types are
 * appended by the spec's interpreter and by wabt (the block/loop type, read
 * before the body, is resolved at once, as both do).
 */
#include "wat_enc.h"

#include <pthread.h>

#define CUR (&P->lx->cur)
#define NEXT() wb__wat_next(P)

/* ---- the mnemonic table ------------------------------------------------------------ */

enum {
    IM_KW, /* not an instruction: a keyword of the module syntax */
    IM_NONE, IM_BLOCK, IM_ELSE, IM_END, IM_LABEL, IM_BRTABLE, IM_FUNC, IM_CALLIND, IM_SELECT,
    IM_LOCAL, IM_GLOBAL, IM_TABLE, IM_MEM, IM_MEMIDX, IM_I32, IM_I64, IM_F32, IM_F64, IM_REFNULL,
    IM_MEMINIT, IM_DATADROP, IM_MEMCOPY, IM_MEMFILL, IM_TABLEINIT, IM_ELEMDROP, IM_TABLECOPY,
    IM_VLANE, IM_VSHUFFLE, IM_VCONST, IM_VMEM, IM_VMEMLANE,
};

typedef struct {
    const char *name;
    uint16_t len;
    uint8_t imm;
    uint8_t prefix; /* 0, 0xfc or 0xfd */
    uint8_t arg;    /* memory instructions: log2 of the natural alignment */
    uint16_t code;
} opinfo;

#define OPTAB_SIZE 2048u /* about 500 names: a quarter full */
static opinfo optab[OPTAB_SIZE];
static pthread_once_t optab_once = PTHREAD_ONCE_INIT;

static uint32_t hash_name(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    return h;
}

static void add(const char *name, uint8_t imm, uint8_t prefix, uint16_t code, uint8_t arg)
{
    size_t n = strlen(name);
    uint32_t i = hash_name(name, n) & (OPTAB_SIZE - 1);
    for (; optab[i].name; i = (i + 1) & (OPTAB_SIZE - 1))
        if (optab[i].len == n && !memcmp(optab[i].name, name, n))
            return; /* the first opcode of a name wins (select 0x1b, not 0x1c) */
    optab[i] = (opinfo){name, (uint16_t)n, imm, prefix, arg, code};
}

/* Keywords of the module and script syntax that are no instruction. */
static const char *const keywords[] = {
    "module", "binary", "quote", "type", "func", "param", "result", "local", "import", "export",
    "table", "memory", "global", "elem", "data", "start", "offset", "item", "declare", "mut",
    "funcref", "externref", "extern", "then", "i32", "i64", "f32", "f64", "v128", "i8x16",
    "i16x8", "i32x4", "i64x2", "f32x4", "f64x2", "register", "invoke", "get", "assert_malformed",
    "assert_invalid", "assert_unlinkable", "assert_return", "assert_trap", "assert_exhaustion",
    "script", "input", "output", "ref.extern", "nan:canonical", "nan:arithmetic", "inf", "nan",
};

/* log2 of the natural alignment of loads and stores 0x28 .. 0x3e. */
static const uint8_t natural[0x3f - 0x28] = {2, 3, 2, 3, 0, 0, 1, 1, 0, 0, 1, 1,
                                             2, 2, 2, 3, 2, 3, 0, 1, 0, 1, 2};

static uint8_t imm_of(unsigned op)
{
    if (op >= 0x28 && op <= 0x3e)
        return IM_MEM;
    if (op >= 0x45 && op <= 0xc4)
        return IM_NONE;
    switch (op) {
    case 0x02: case 0x03: case 0x04: return IM_BLOCK;
    case 0x05: return IM_ELSE;
    case 0x0b: return IM_END;
    case 0x0c: case 0x0d: return IM_LABEL;
    case 0x0e: return IM_BRTABLE;
    case 0x10: case 0xd2: return IM_FUNC;
    case 0x11: return IM_CALLIND;
    case 0x1b: case 0x1c: return IM_SELECT;
    case 0x20: case 0x21: case 0x22: return IM_LOCAL;
    case 0x23: case 0x24: return IM_GLOBAL;
    case 0x25: case 0x26: return IM_TABLE;
    case 0x3f: case 0x40: return IM_MEMIDX;
    case 0x41: return IM_I32;
    case 0x42: return IM_I64;
    case 0x43: return IM_F32;
    case 0x44: return IM_F64;
    case 0xd0: return IM_REFNULL;
    default: return IM_NONE;
    }
}

static void build_optab(void)
{
    for (unsigned op = 0; op < 256; op++)
        if (wb__opnames[op])
            add(wb__opnames[op], imm_of(op), 0, (uint16_t)op,
                op >= 0x28 && op <= 0x3e ? natural[op - 0x28] : 0);
    static const uint8_t fc_imm[18] = {
        IM_NONE, IM_NONE, IM_NONE, IM_NONE, IM_NONE, IM_NONE, IM_NONE, IM_NONE, IM_MEMINIT,
        IM_DATADROP, IM_MEMCOPY, IM_MEMFILL, IM_TABLEINIT, IM_ELEMDROP, IM_TABLECOPY, IM_TABLE,
        IM_TABLE, IM_TABLE};
    for (unsigned i = 0; i < 18; i++)
        add(wb__fcnames[i], fc_imm[i], 0xfc, (uint16_t)i, 0);
    for (unsigned i = 0; i < WB__SIMD_OPCODES; i++) {
        const wb__simd_op *s = &wb__simd_ops[i];
        uint8_t imm;
        switch (s->kind) {
        case WB__SIMD_PURE: imm = IM_NONE; break;
        case WB__SIMD_LANE: imm = IM_VLANE; break;
        case WB__SIMD_SHUFFLE: imm = IM_VSHUFFLE; break;
        case WB__SIMD_CONST: imm = IM_VCONST; break;
        case WB__SIMD_LOAD: case WB__SIMD_STORE: imm = IM_VMEM; break;
        case WB__SIMD_LOAD_LANE: case WB__SIMD_STORE_LANE: imm = IM_VMEMLANE; break;
        default: continue;
        }
        add(s->name, imm, 0xfd, (uint16_t)i, s->max_align);
    }
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        add(keywords[i], IM_KW, 0, 0, 0);
}

static const opinfo *lookup(const wb__tok *t)
{
    pthread_once(&optab_once, build_optab);
    if (t->kind != WB__TOK_KEYWORD)
        return NULL;
    for (uint32_t i = hash_name(t->p, t->len) & (OPTAB_SIZE - 1); optab[i].name;
         i = (i + 1) & (OPTAB_SIZE - 1))
        if (optab[i].len == t->len && !memcmp(optab[i].name, t->p, t->len))
            return &optab[i];
    return NULL;
}

static bool prefixed_nat(const wb__tok *t, const char *prefix, uint64_t *v, bool *ovf)
{
    size_t n = strlen(prefix);
    return t->kind == WB__TOK_KEYWORD && t->len > n && !memcmp(t->p, prefix, n) &&
           wb__wat_nat(t->p + n, t->len - n, v, ovf);
}

bool wb__wat_known_kw(const wb__tok *t)
{
    uint64_t v;
    bool ovf;
    return lookup(t) || prefixed_nat(t, "offset=", &v, &ovf) || prefixed_nat(t, "align=", &v, &ovf) ||
           (t->len > 6 && !memcmp(t->p, "nan:0x", 6));
}

/* ---- frames and labels ------------------------------------------------------------- */

enum {
    F_ROOT,      /* an instruction list, ended by the ')' of its field */
    F_ONE,       /* one folded instruction, then return */
    F_FLAT,      /* block/loop/if ... end */
    F_BLOCK,     /* (block ...) / (loop ...) */
    F_PLAIN,     /* (op immediates operand*) */
    F_IFCOND,    /* (if label? type operand* -- waiting for (then */
    F_THEN,      /* inside (then ...) */
    F_AFTERTHEN, /* (else ...) or ')' */
    F_ELSE,      /* inside (else ...) */
    F_AFTERELSE, /* ')' */
};

static wb__wframe *push_frame(wb__wat *P, uint8_t kind)
{
    if (P->nframes >= WB_MAX_TEXT_NESTING)
        wb__lex_fail(P->lx, NULL, "instructions nested more than %u deep", WB_MAX_TEXT_NESTING);
    P->frames = wb__wat_grow(P, P->frames, &P->cframes, P->nframes + 1, sizeof *P->frames);
    wb__wframe *f = &P->frames[P->nframes++];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    return f;
}

static void push_label(wb__wat *P, const char *p, uint32_t len)
{
    P->labels = wb__wat_grow(P, P->labels, &P->clabels, P->nlabels + 1, sizeof *P->labels);
    wb__wlabel *l = &P->labels[P->nlabels++];
    *l = (wb__wlabel){.p = p, .len = len};
    if (p) { /* a name shadows the same name further out until this label ends */
        wb__wname *e = wb__wat_name(P, WB__SP_LABEL, p, len, true);
        l->prev = e->val == UINT32_MAX ? 0 : e->val;
        e->val = P->nlabels;
    }
}

static void pop_label(wb__wat *P)
{
    wb__wlabel *l = &P->labels[--P->nlabels];
    if (l->p)
        wb__wat_name(P, WB__SP_LABEL, l->p, l->len, false)->val = l->prev;
}

static uint32_t label_var(wb__wat *P)
{
    const wb__tok *t = CUR;
    uint32_t depth;
    if (t->kind == WB__TOK_ID) {
        wb__wname *e = wb__wat_name(P, WB__SP_LABEL, t->p, t->len, false);
        if (!e || e->val == 0 || e->val == UINT32_MAX)
            wb__lex_fail(P->lx, t, "unknown label %.*s", (int)(t->len > 64 ? 64 : t->len), t->p);
        depth = P->nlabels - e->val;
    } else {
        depth = wb__wat_nat32(P, t);
    }
    NEXT();
    return depth;
}

/* `end $l` / `else $l` must repeat the block's label. */
static void end_label(wb__wat *P, const wb__wframe *f)
{
    if (CUR->kind != WB__TOK_ID)
        return;
    if (!f->lab || f->lablen != CUR->len || memcmp(f->lab, CUR->p, CUR->len))
        wb__lex_fail(P->lx, NULL, "mismatching label");
    NEXT();
}

/* ---- immediates -------------------------------------------------------------------- */

static bool is_var(const wb__tok *t)
{
    return t->kind == WB__TOK_NUMBER || t->kind == WB__TOK_ID;
}

static bool is_num(const wb__tok *t)
{
    return t->kind == WB__TOK_NUMBER ||
           (t->kind == WB__TOK_KEYWORD &&
            ((t->len == 3 && (!memcmp(t->p, "inf", 3) || !memcmp(t->p, "nan", 3))) ||
             (t->len > 6 && !memcmp(t->p, "nan:0x", 6))));
}

static void op_bytes(wb__wat *P, wb__wbuf *b, const opinfo *op)
{
    if (op->prefix) {
        wb__wbyte(P, b, op->prefix);
        wb__wu32(P, b, op->code);
    } else {
        wb__wbyte(P, b, (uint8_t)op->code);
    }
}

/* offset=N? align=N? (alignment > natural is the validator's to reject) */
static void memarg(wb__wat *P, wb__wbuf *b, unsigned natural_log2)
{
    uint64_t off = 0, align = natural_log2, v;
    bool ovf;
    const wb__tok *t = CUR;
    if (t->kind == WB__TOK_KEYWORD && t->len >= 7 && !memcmp(t->p, "offset=", 7)) {
        if (!prefixed_nat(t, "offset=", &v, &ovf))
            wb__wat_unexpected(P, t);
        if (ovf || v > UINT32_MAX)
            wb__lex_fail(P->lx, t, "i32 constant out of range");
        off = v;
        NEXT();
    }
    if (t->kind == WB__TOK_KEYWORD && t->len >= 6 && !memcmp(t->p, "align=", 6)) {
        if (!prefixed_nat(t, "align=", &v, &ovf))
            wb__wat_unexpected(P, t);
        if (ovf || v == 0 || (v & (v - 1)))
            wb__lex_fail(P->lx, t, "alignment must be a power of two");
        for (align = 0; v > 1; v >>= 1)
            align++;
        NEXT();
    }
    wb__wu32(P, b, (uint32_t)align);
    wb__wu32(P, b, (uint32_t)off);
}

static uint8_t lane_of(wb__wat *P, const wb__tok *t)
{
    uint64_t v;
    bool ovf;
    if (!wb__wat_nat(t->p, t->len, &v, &ovf) || ovf || v > 255)
        wb__lex_fail(P->lx, t, "malformed lane index");
    return (uint8_t)v;
}

static uint8_t lane(wb__wat *P)
{
    const wb__tok *t = CUR;
    uint64_t v;
    bool ovf;
    if (t->kind != WB__TOK_NUMBER || !wb__wat_nat(t->p, t->len, &v, &ovf))
        wb__wat_unexpected(P, t);
    uint8_t l = lane_of(P, t);
    NEXT();
    return l;
}

/* Numbers up to the next other token; the first 16 are kept.  Shuffle
 * lanes are checked as they come (wabt and the spec tests agree on that). */
static uint32_t numbers(wb__wat *P, wb__tok *lanes, bool lane_indices)
{
    uint32_t n = 0;
    while (is_num(CUR)) {
        if (lane_indices)
            lane_of(P, CUR);
        if (n < 16)
            lanes[n] = *CUR;
        n++;
        NEXT();
    }
    if (CUR->kind == WB__TOK_KEYWORD && !wb__wat_known_kw(CUR)) /* nan:1: a bad number, not the end */
        wb__wat_unexpected(P, CUR);
    return n;
}

static void v128_const(wb__wat *P, wb__wbuf *b, const wb__tok *kw)
{
    static const struct {
        const char *shape;
        uint8_t lanes, bits, isfloat;
    } shapes[] = {{"i8x16", 16, 8, 0},  {"i16x8", 8, 16, 0}, {"i32x4", 4, 32, 0},
                  {"i64x2", 2, 64, 0}, {"f32x4", 4, 32, 1}, {"f64x2", 2, 64, 1}};
    size_t s = 0;
    while (s < 6 && !wb__tok_is(CUR, shapes[s].shape))
        s++;
    if (s == 6)
        wb__wat_unexpected(P, CUR);
    NEXT();
    wb__tok lanes[16];
    if (numbers(P, lanes, false) != shapes[s].lanes)
        wb__lex_fail(P->lx, kw, "wrong number of lane literals");
    uint8_t *q = wb__wbuf_room(P, b, 16);
    unsigned bytes = shapes[s].bits / 8;
    for (unsigned i = 0; i < shapes[s].lanes; i++) {
        uint64_t v;
        if (!shapes[s].isfloat)
            v = wb__lit_int(P->lx, &lanes[i], shapes[s].bits);
        else if (bytes == 4)
            v = wb__lit_f32(P->lx, &lanes[i]);
        else
            v = wb__lit_f64(P->lx, &lanes[i]);
        for (unsigned k = 0; k < bytes; k++)
            q[i * bytes + k] = (uint8_t)(v >> (8 * k));
    }
    b->len += 16;
}

static void shuffle(wb__wat *P, wb__wbuf *b, const wb__tok *kw)
{
    wb__tok lanes[16];
    if (numbers(P, lanes, true) != 16)
        wb__lex_fail(P->lx, kw, "invalid lane length");
    for (int i = 0; i < 16; i++)
        wb__wbyte(P, b, lane_of(P, &lanes[i]));
}

static void literal(wb__wat *P, wb__wbuf *b, uint8_t imm)
{
    const wb__tok *t = CUR;
    if (!is_num(t))
        wb__wat_unexpected(P, t);
    uint64_t v;
    switch (imm) {
    case IM_I32:
        wb__ws64(P, b, (int32_t)(uint32_t)wb__lit_int(P->lx, t, 32));
        break;
    case IM_I64:
        wb__ws64(P, b, (int64_t)wb__lit_int(P->lx, t, 64));
        break;
    case IM_F32:
        v = wb__lit_f32(P->lx, t);
        for (int k = 0; k < 4; k++)
            wb__wbyte(P, b, (uint8_t)(v >> (8 * k)));
        break;
    default:
        v = wb__lit_f64(P->lx, t);
        for (int k = 0; k < 8; k++)
            wb__wbyte(P, b, (uint8_t)(v >> (8 * k)));
        break;
    }
    NEXT();
}

/* A plain instruction's opcode and immediates (cur is after its keyword)
 * into b.  In a folded call_indirect (fold != NULL) the type is resolved
 * when the instruction closes. */
static void plain(wb__wat *P, const opinfo *op, const wb__tok *kw, wb__wbuf *b, wb__wframe *fold)
{
    uint32_t x, y;
    switch (op->imm) {
    case IM_NONE:
        op_bytes(P, b, op);
        break;
    case IM_LABEL:
        x = label_var(P);
        op_bytes(P, b, op);
        wb__wu32(P, b, x);
        break;
    case IM_BRTABLE: {
        P->tmp2.len = 0;
        uint32_t n = 0;
        while (is_var(CUR)) {
            wb__wu32(P, &P->tmp2, label_var(P));
            n++;
        }
        if (!n)
            wb__wat_unexpected(P, CUR);
        op_bytes(P, b, op);
        wb__wu32(P, b, n - 1);
        wb__wbytes(P, b, P->tmp2.p, P->tmp2.len);
        break;
    }
    case IM_FUNC: /* one index, in the space the immediate names */
    case IM_LOCAL:
    case IM_GLOBAL:
    case IM_ELEMDROP:
        x = wb__wat_var(P, op->imm == IM_FUNC    ? WB__SP_FUNC
                           : op->imm == IM_LOCAL ? WB__SP_LOCAL
                           : op->imm == IM_GLOBAL ? WB__SP_GLOBAL
                                                  : WB__SP_ELEM);
        op_bytes(P, b, op);
        wb__wu32(P, b, x);
        break;
    case IM_CALLIND: {
        uint32_t table = is_var(CUR) ? wb__wat_var(P, WB__SP_TABLE) : 0;
        wb__wtypeuse tu;
        wb__wat_typeuse(P, &tu, false, false);
        if (tu.idx < 0) {
            tu.p = kw->p;
            tu.line = kw->line;
            tu.col = kw->col;
        }
        if (fold) {
            fold->callind = 1;
            fold->table = table;
            fold->tu = tu;
        } else {
            x = wb__wat_resolve(P, &tu);
            op_bytes(P, b, op);
            wb__wu32(P, b, x);
            wb__wu32(P, b, table);
        }
        break;
    }
    case IM_SELECT:
        if (wb__wat_lpar_kw(P, "result")) {
            P->tmp2.len = 0;
            while (wb__wat_lpar_kw(P, "result")) {
                NEXT();
                NEXT();
                while (CUR->kind != WB__TOK_RPAREN)
                    wb__wbyte(P, &P->tmp2, wb__wat_valtype(P));
                NEXT();
            }
            wb__wbyte(P, b, P->tmp2.len ? 0x1c : 0x1b); /* wabt: (result) is plain select */
            if (P->tmp2.len) {
                wb__wu32(P, b, (uint32_t)P->tmp2.len);
                wb__wbytes(P, b, P->tmp2.p, P->tmp2.len);
            }
        } else {
            wb__wbyte(P, b, 0x1b);
        }
        break;
    case IM_TABLE:
        x = is_var(CUR) ? wb__wat_var(P, WB__SP_TABLE) : 0;
        op_bytes(P, b, op);
        wb__wu32(P, b, x);
        break;
    case IM_MEM:
    case IM_VMEM:
    case IM_VMEMLANE:
        op_bytes(P, b, op);
        memarg(P, b, op->arg);
        if (op->imm == IM_VMEMLANE)
            wb__wbyte(P, b, lane(P));
        break;
    case IM_MEMIDX:
    case IM_MEMFILL:
        op_bytes(P, b, op);
        wb__wbyte(P, b, 0);
        break;
    case IM_MEMCOPY:
        op_bytes(P, b, op);
        wb__wbyte(P, b, 0);
        wb__wbyte(P, b, 0);
        break;
    case IM_I32:
    case IM_I64:
    case IM_F32:
    case IM_F64:
        op_bytes(P, b, op);
        literal(P, b, op->imm);
        break;
    case IM_REFNULL:
        if (wb__tok_is(CUR, "func"))
            x = WB_FUNCREF;
        else if (wb__tok_is(CUR, "extern"))
            x = WB_EXTERNREF;
        else
            wb__wat_unexpected(P, CUR);
        NEXT();
        op_bytes(P, b, op);
        wb__wbyte(P, b, (uint8_t)x);
        break;
    case IM_MEMINIT:
    case IM_DATADROP:
        P->uses_datacount = true;
        x = wb__wat_var(P, WB__SP_DATA);
        op_bytes(P, b, op);
        wb__wu32(P, b, x);
        if (op->imm == IM_MEMINIT)
            wb__wbyte(P, b, 0);
        break;
    case IM_TABLEINIT: { /* table.init $t? $e */
        if (!is_var(CUR))
            wb__wat_unexpected(P, CUR);
        wb__tok next = wb__lex_peek(P->lx);
        x = is_var(&next) ? wb__wat_var(P, WB__SP_TABLE) : 0;
        y = wb__wat_var(P, WB__SP_ELEM);
        op_bytes(P, b, op);
        wb__wu32(P, b, y);
        wb__wu32(P, b, x);
        break;
    }
    case IM_TABLECOPY: /* none or both */
        x = y = 0;
        if (is_var(CUR)) {
            x = wb__wat_var(P, WB__SP_TABLE);
            y = wb__wat_var(P, WB__SP_TABLE);
        }
        op_bytes(P, b, op);
        wb__wu32(P, b, x);
        wb__wu32(P, b, y);
        break;
    case IM_VLANE:
        x = lane(P);
        op_bytes(P, b, op);
        wb__wbyte(P, b, (uint8_t)x);
        break;
    case IM_VSHUFFLE:
        op_bytes(P, b, op);
        shuffle(P, b, kw);
        break;
    case IM_VCONST:
        op_bytes(P, b, op);
        v128_const(P, b, kw);
        break;
    default:
        wb__wat_unexpected(P, kw);
    }
}

/* ---- blocks and folded instructions ------------------------------------------------ */

static void opt_label(wb__wat *P, const char **p, uint32_t *len)
{
    *p = NULL;
    *len = 0;
    if (CUR->kind == WB__TOK_ID) {
        *p = CUR->p;
        *len = CUR->len;
        NEXT();
    }
}

/* block/loop/if with its type, resolved now; opens its label. */
static void open_block(wb__wat *P, const opinfo *op, const wb__tok *kw, uint8_t kind)
{
    const char *lab;
    uint32_t lablen;
    opt_label(P, &lab, &lablen);
    wb__wtypeuse tu;
    wb__wat_typeuse(P, &tu, false, false);
    if (tu.idx < 0) {
        tu.p = kw->p;
        tu.line = kw->line;
        tu.col = kw->col;
    }
    int64_t bt = wb__wat_blocktype(P, &tu);
    wb__wat_mark(P, kw->line, kw->col);
    wb__wbyte(P, P->out, (uint8_t)op->code);
    wb__ws64(P, P->out, bt);
    push_label(P, lab, lablen);
    wb__wframe *f = push_frame(P, kind);
    f->op = (uint8_t)op->code;
    f->lab = lab;
    f->lablen = lablen;
}

/* cur is '(' of a folded instruction. */
static void folded(wb__wat *P)
{
    wb__tok kw = wb__lex_peek(P->lx);
    const opinfo *op = lookup(&kw);
    if (!op || op->imm == IM_KW || op->imm == IM_ELSE || op->imm == IM_END)
        wb__wat_unexpected(P, &kw);
    NEXT();
    NEXT();
    if (op->imm == IM_BLOCK && op->code != 0x04) {
        open_block(P, op, &kw, F_BLOCK);
        return;
    }
    if (op->imm == IM_BLOCK) { /* (if label? type cond* (then ...) (else ...)?) */
        const char *lab;
        uint32_t lablen;
        opt_label(P, &lab, &lablen);
        wb__wtypeuse tu;
        wb__wat_typeuse(P, &tu, false, false);
        if (tu.idx < 0) {
            tu.p = kw.p;
            tu.line = kw.line;
            tu.col = kw.col;
        }
        wb__wframe *f = push_frame(P, F_IFCOND);
        f->lab = lab;
        f->lablen = lablen;
        f->line = kw.line;
        f->col = kw.col;
        f->tu = tu;
        return;
    }
    wb__wframe *f = push_frame(P, F_PLAIN);
    f->pend = (uint32_t)P->pend.len;
    f->line = kw.line;
    f->col = kw.col;
    plain(P, op, &kw, &P->pend, f);
}

static void close_plain(wb__wat *P, wb__wframe *f)
{
    wb__wat_mark(P, f->line, f->col);
    if (f->callind) {
        uint32_t x = wb__wat_resolve(P, &f->tu);
        wb__wbyte(P, P->out, 0x11);
        wb__wu32(P, P->out, x);
        wb__wu32(P, P->out, f->table);
    } else {
        if (P->pend.len > f->pend)
            wb__wbytes(P, P->out, P->pend.p + f->pend, P->pend.len - f->pend);
    }
    P->pend.len = f->pend;
    P->nframes--;
}

/* An else, mapped to its token; the frame remembers it (see close_block). */
static void open_else(wb__wat *P, wb__wframe *f, const wb__tok *at)
{
    f->else_map = P->nmap;
    f->else_at = (uint32_t)P->out->len;
    wb__wat_mark(P, at->line, at->col);
    wb__wbyte(P, P->out, 0x05);
}

/* An end of a block: its byte, mapped to the token that ends it.  An else
 * with nothing after it is dropped, as wabt does. */
static void close_block(wb__wat *P, wb__wframe *f, const wb__tok *at)
{
    if (f->else_at && P->out->len == (size_t)f->else_at + 1) {
        P->out->len--;
        P->nmap = f->else_map;
    }
    wb__wat_mark(P, at->line, at->col);
    wb__wbyte(P, P->out, 0x0b);
    pop_label(P);
    P->nframes--;
}

/* A keyword in an instruction list. */
static void flat(wb__wat *P, wb__wframe *f)
{
    wb__tok kw = *CUR;
    const opinfo *op = lookup(&kw);
    if (!op)
        wb__wat_unexpected(P, &kw);
    switch (op->imm) {
    case IM_KW:
        wb__wat_unexpected(P, &kw);
    case IM_END:
        if (f->kind != F_FLAT)
            wb__wat_unexpected(P, &kw);
        NEXT();
        end_label(P, f);
        close_block(P, f, &kw);
        return;
    case IM_ELSE:
        if (f->kind != F_FLAT || f->op != 0x04 || f->has_else)
            wb__wat_unexpected(P, &kw);
        NEXT();
        end_label(P, f);
        open_else(P, f, &kw);
        f->has_else = 1;
        return;
    case IM_BLOCK:
        NEXT();
        open_block(P, op, &kw, F_FLAT);
        return;
    default:
        NEXT();
        wb__wat_mark(P, kw.line, kw.col);
        plain(P, op, &kw, P->out, NULL);
        return;
    }
}

static void run(wb__wat *P, bool one)
{
    push_frame(P, one ? F_ONE : F_ROOT);
    if (one) {
        if (CUR->kind != WB__TOK_LPAREN)
            wb__wat_unexpected(P, CUR);
        folded(P);
    }
    for (;;) {
        wb__wframe *f = &P->frames[P->nframes - 1];
        wb__tok t = *CUR;
        switch (f->kind) {
        case F_ONE:
            P->nframes--;
            return;
        case F_PLAIN:
            if (t.kind == WB__TOK_LPAREN) {
                folded(P);
            } else if (t.kind == WB__TOK_RPAREN) {
                close_plain(P, f);
                NEXT();
            } else {
                wb__wat_unexpected(P, &t);
            }
            continue;
        case F_IFCOND:
            if (t.kind != WB__TOK_LPAREN)
                wb__wat_unexpected(P, &t);
            if (wb__wat_lpar_kw(P, "then")) {
                NEXT();
                NEXT();
                int64_t bt = wb__wat_blocktype(P, &f->tu);
                wb__wat_mark(P, f->line, f->col);
                wb__wbyte(P, P->out, 0x04);
                wb__ws64(P, P->out, bt);
                push_label(P, f->lab, f->lablen);
                f->kind = F_THEN;
            } else {
                folded(P);
            }
            continue;
        case F_AFTERTHEN:
            if (t.kind == WB__TOK_RPAREN) {
                close_block(P, f, &t);
                NEXT();
            } else if (wb__wat_lpar_kw(P, "else")) {
                NEXT();
                open_else(P, f, CUR);
                NEXT();
                f->kind = F_ELSE;
            } else {
                wb__wat_unexpected(P, &t);
            }
            continue;
        case F_AFTERELSE:
            if (t.kind != WB__TOK_RPAREN)
                wb__wat_unexpected(P, &t);
            close_block(P, f, &t);
            NEXT();
            continue;
        default:
            break;
        }
        /* an instruction list: F_ROOT, F_FLAT, F_BLOCK, F_THEN, F_ELSE */
        if (t.kind == WB__TOK_LPAREN) {
            folded(P);
        } else if (t.kind == WB__TOK_RPAREN) {
            switch (f->kind) {
            case F_ROOT:
                P->nframes--;
                return;
            case F_BLOCK:
                close_block(P, f, &t);
                NEXT();
                break;
            case F_THEN:
                NEXT();
                f->kind = F_AFTERTHEN;
                break;
            case F_ELSE:
                NEXT();
                f->kind = F_AFTERELSE;
                break;
            default: /* F_FLAT: no end */
                wb__wat_unexpected(P, &t);
            }
        } else if (t.kind == WB__TOK_KEYWORD) {
            flat(P, f);
        } else {
            wb__wat_unexpected(P, &t);
        }
    }
}

void wb__wat_instrs(wb__wat *P)
{
    run(P, false);
}

void wb__wat_expr1(wb__wat *P)
{
    run(P, true);
}
