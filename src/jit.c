/*
 * jit.c - a baseline compiler from the compiled form (code.h) to x86-64.
 *
 * The interpreter spends about as long dispatching an instruction as running
 * it.  Here each op of a function becomes the few machine instructions its
 * handler runs, without the dispatch.  Operands stay in their frame slots, so
 * machine code and interpreter share one frame layout and can hand over at
 * any op boundary; the machine code only runs the common path:
 *
 *   - it is entered at cell 0 only: by the interpreter for a function that
 *     loops (the JIT_ENTER op replaces that cell's handler; the original is
 *     kept in wb__func.jit_op0), directly by a host call for an exported
 *     function (interp.c);
 *   - at a return it has stored the results (slots 0..) and returns
 *     WB__JIT_RETURNED;
 *   - at anything else it returns the index of the op's first cell and the
 *     interpreter executes that op itself: an op it does not translate, a
 *     call, a memory access out of bounds, a division that traps,
 *     a back-edge whose fuel or interrupt check fails.  An op changes nothing
 *     before its check, so running it again in the interpreter is exact, and
 *     traps, fuel, suspension and backtraces stay the interpreter's alone.
 *
 * The interpreter then finishes the activation (it does not re-enter machine
 * code until the function is entered again), so a function whose loop holds
 * an untranslated op runs as before.  Fuel is charged at exactly the points
 * and amounts the interpreter charges, so fuel counts do not depend on
 * whether machine code ran.
 *
 * Registers while machine code runs: rbx = frame (fpb), r12 = memory base,
 * r13 = memory size in bytes, r14 = the wb__jit_ctx, r15 = fuel left.
 * Code is written into a private buffer and mapped executable once, read-only
 * (never writable and executable at once).  WASMBOX_JIT=0 in the environment
 * turns the compiler off (everything is interpreted).
 */
#include "code.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__)

#include <sys/mman.h>

_Static_assert(offsetof(wb__jit_ctx, fuel) == 0 && offsetof(wb__jit_ctx, ext) == 8 &&
                   offsetof(wb__jit_ctx, ireq) == 16 && offsetof(wb__jit_ctx, inst) == 24,
               "the machine code addresses wb__jit_ctx fields by these offsets");

enum { RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSI = 6, RDI = 7 };
enum { CC_B = 2, CC_AE = 3, CC_E = 4, CC_NE = 5, CC_BE = 6, CC_A = 7, CC_L = 0xc, CC_GE = 0xd, CC_LE = 0xe, CC_G = 0xf };

typedef struct fixup {
    uint32_t at;   /* position of a rel32 */
    uint32_t cell; /* target op (a branch) or the op to exit at (an exit) */
} fixup;

typedef struct jit {
    uint8_t *b;
    size_t n, cap;
    bool bad; /* out of memory */
    fixup *br, *ex;
    uint32_t nbr, cbr, nex, cex;
    uint32_t *at; /* machine offset of each cell that starts an op */
} jit;

static void *grow(jit *j, void *p, uint32_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? (size_t)*cap * 2 : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(p, n * size);
    if (!q) {
        j->bad = true;
        return p;
    }
    *cap = (uint32_t)n;
    return q;
}

static void put(jit *j, const void *p, size_t k)
{
    if (j->n + k > j->cap) {
        size_t n = j->cap ? j->cap * 2 : 4096;
        while (n < j->n + k)
            n *= 2;
        uint8_t *q = realloc(j->b, n);
        if (!q) {
            j->bad = true;
            return;
        }
        j->b = q;
        j->cap = n;
    }
    memcpy(j->b + j->n, p, k);
    j->n += k;
}
static void b1(jit *j, uint8_t v) { put(j, &v, 1); }
static void b4(jit *j, uint32_t v) { put(j, &v, 4); } /* x86 is little-endian */
static void b8(jit *j, uint64_t v) { put(j, &v, 8); }

static void bytes(jit *j, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        b1(j, (uint8_t)va_arg(ap, int));
    va_end(ap);
}

/* Opcode of 1 or 2 bytes (0x0fxx) after an optional mandatory prefix and
 * the REX byte (emitted when any of its bits is needed). */
static void opc(jit *j, uint8_t pfx, bool w, int reg, int base, uint32_t op)
{
    if (pfx)
        b1(j, pfx);
    uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | (reg & 8 ? 4 : 0) | (base & 8 ? 1 : 0));
    if (rex != 0x40)
        b1(j, rex);
    if (op > 0xff)
        b1(j, (uint8_t)(op >> 8));
    b1(j, (uint8_t)op);
}

/* op reg, [base + disp32]; base is not rsp/r12 (they need a SIB byte). */
static void rm(jit *j, uint8_t pfx, bool w, uint32_t op, int reg, int base, uint32_t disp)
{
    opc(j, pfx, w, reg, base, op);
    b1(j, (uint8_t)(0x80 | (reg & 7) << 3 | (base & 7)));
    b4(j, disp);
}
/* op reg, [rbx + slot offset] */
static void sl(jit *j, uint8_t pfx, bool w, uint32_t op, int reg, uint32_t off) { rm(j, pfx, w, op, reg, RBX, off); }
/* op reg, [r12 + rax]: linear memory at the effective address in rax. */
static void mm(jit *j, uint8_t pfx, bool w, uint32_t op, int reg)
{
    opc(j, pfx, w, reg, 12, op);
    b1(j, (uint8_t)((reg & 7) << 3 | 4));
    b1(j, 0x04); /* SIB: base r12, index rax, scale 1 */
}
/* op reg, rm (register to register) */
static void rr(jit *j, bool w, uint32_t op, int reg, int rmr)
{
    opc(j, 0, w, reg, rmr, op);
    b1(j, (uint8_t)(0xc0 | (reg & 7) << 3 | (rmr & 7)));
}

static void ld32(jit *j, int r, uint32_t off) { sl(j, 0, false, 0x8b, r, off); }
static void ld64(jit *j, int r, uint32_t off) { sl(j, 0, true, 0x8b, r, off); }
/* Slot writes store all 8 bytes (a 32-bit result is already zero-extended in
 * its register), as the interpreter's do. */
static void st64(jit *j, uint32_t off, int r) { sl(j, 0, true, 0x89, r, off); }

static void rel32(jit *j, fixup **list, uint32_t *n, uint32_t *cap, uint32_t cell)
{
    *list = grow(j, *list, cap, (size_t)*n + 1, sizeof **list);
    if (!j->bad)
        (*list)[(*n)++] = (fixup){(uint32_t)j->n, cell};
    b4(j, 0);
}
/* A jump (cc < 0) or conditional jump (cc) to op `cell`: within the
 * machine code, or (out) leaving to the interpreter at that op. */
static void jump(jit *j, int cc, bool out, uint32_t cell)
{
    if (cc < 0)
        b1(j, 0xe9);
    else
        bytes(j, 2, 0x0f, 0x80 | cc);
    if (out)
        rel32(j, &j->ex, &j->nex, &j->cex, cell);
    else
        rel32(j, &j->br, &j->nbr, &j->cbr, cell);
}
static void jcc_cell(jit *j, int cc, uint32_t cell) { jump(j, cc, false, cell); }
static void jmp_cell(jit *j, uint32_t cell) { jump(j, -1, false, cell); }
static void exit_if(jit *j, int cc, uint32_t cell) { jump(j, cc, true, cell); }
static void exit_now(jit *j, uint32_t cell) { jump(j, -1, true, cell); }

/* setcc al; movzx eax, al; store. */
static void set_result(jit *j, int cc, uint32_t d)
{
    bytes(j, 6, 0x0f, 0x90 | cc, 0xc0, 0x0f, 0xb6, 0xc0);
    st64(j, d, RAX);
}

/* rax = fuel left after a charge (the flags from computing it): leave at
 * `cell` if it is negative or an interrupt is asked for, else keep it. */
static void commit(jit *j, uint32_t cell)
{
    exit_if(j, CC_L, cell);
    bytes(j, 4, 0x49, 0x8b, 0x4e, 0x08); /* mov rcx, [r14 + ext] */
    bytes(j, 3, 0x83, 0x39, 0x00);       /* cmp dword [rcx], 0 */
    exit_if(j, CC_NE, cell);
    bytes(j, 4, 0x49, 0x8b, 0x4e, 0x10); /* mov rcx, [r14 + ireq] */
    bytes(j, 3, 0x83, 0x39, 0x00);
    exit_if(j, CC_NE, cell);
    bytes(j, 3, 0x49, 0x89, 0xc7); /* mov r15, rax */
}

/* A taken back-edge: the interpreter's CHECK.  On failure nothing has been
 * charged and the interpreter runs the branch op again, which charges the
 * fuel and stops at its check point. */
static void charge(jit *j, uint64_t cost, uint32_t cell)
{
    bytes(j, 3, 0x4c, 0x89, 0xf8); /* mov rax, r15 */
    if (cost <= 0x7fffffff) {
        bytes(j, 2, 0x48, 0x2d); /* sub rax, imm32 */
        b4(j, (uint32_t)cost);
    } else {
        bytes(j, 2, 0x48, 0xb9); /* mov rcx, imm64; sub rax, rcx */
        b8(j, cost);
        bytes(j, 3, 0x48, 0x29, 0xc8);
    }
    commit(j, cell);
}

/* The fuel of memory.fill/copy on n bytes (in rdx, kept): the interpreter
 * charges it after the op, as a CHECK; when that would fail, nothing is
 * done here and the interpreter runs the op and stops after it. */
static void charge_bulk(jit *j, uint32_t cell)
{
    _Static_assert(WB_FUEL_BULK_SHIFT == 4, "the shift below");
    bytes(j, 3, 0x48, 0x89, 0xd1);       /* mov rcx, rdx */
    bytes(j, 4, 0x48, 0x83, 0xc1, 0x0f); /* add rcx, 15 */
    bytes(j, 4, 0x48, 0xc1, 0xe9, 0x04); /* shr rcx, 4 */
    bytes(j, 3, 0x4c, 0x89, 0xf8);       /* mov rax, r15 */
    bytes(j, 3, 0x48, 0x29, 0xc8);       /* sub rax, rcx */
    commit(j, cell);
}

/* A conditional branch to `target` (condition cc already in the flags). */
static void branch(jit *j, int cc, uint32_t target, uint64_t cost, uint32_t cell)
{
    if (!cost) {
        jcc_cell(j, cc, target);
        return;
    }
    bytes(j, 2, 0x0f, 0x80 | (cc ^ 1)); /* not taken: over the charge */
    uint32_t skip = (uint32_t)j->n;
    b4(j, 0);
    charge(j, cost, cell);
    jmp_cell(j, target);
    uint32_t rel = (uint32_t)(j->n - (skip + 4));
    memcpy(j->b + skip, &rel, 4);
}

/* rax = u32 address slot + offset, and leave at `cell` unless
 * rax + size <= memory size. */
static void addr(jit *j, uint32_t a, uint32_t offset, uint32_t size, uint32_t cell)
{
    ld32(j, RAX, a);
    if (offset) {
        if (offset <= 0x7fffffff) {
            bytes(j, 2, 0x48, 0x05); /* add rax, imm32 */
            b4(j, offset);
        } else {
            b1(j, 0xb9); /* mov ecx, imm32; add rax, rcx */
            b4(j, offset);
            bytes(j, 3, 0x48, 0x01, 0xc8);
        }
    }
    bytes(j, 4, 0x48, 0x8d, 0x48, (int)size); /* lea rcx, [rax + size] */
    bytes(j, 3, 0x4c, 0x39, 0xe9);            /* cmp rcx, r13 */
    exit_if(j, CC_A, cell);
}

/* rax = u32 address slot, and leave at `cell` unless rax + rdx (a length)
 * <= memory size. */
static void span(jit *j, uint32_t a, uint32_t cell)
{
    ld32(j, RAX, a);
    bytes(j, 4, 0x48, 0x8d, 0x0c, 0x10); /* lea rcx, [rax + rdx] */
    bytes(j, 3, 0x4c, 0x39, 0xe9);       /* cmp rcx, r13 */
    exit_if(j, CC_A, cell);
}

/* mov rax, [r14 + inst]; mov rax, [rax + off] */
static void inst_field(jit *j, uint32_t off)
{
    bytes(j, 4, 0x49, 0x8b, 0x46, 0x18);
    rm(j, 0, true, 0x8b, RAX, RAX, off);
}

/* ---- ops ---------------------------------------------------------------------------- */

/* i32/i64 binary ops that are one x86 instruction with a memory operand. */
static uint32_t alu_op(unsigned id, bool *w)
{
    *w = false;
    switch (id) {
    case WB__OP_I64_ADD:
        *w = true; /* fall through */
    case WB__OP_I32_ADD:
        return 0x03;
    case WB__OP_I64_SUB:
        *w = true; /* fall through */
    case WB__OP_I32_SUB:
        return 0x2b;
    case WB__OP_I64_AND:
        *w = true; /* fall through */
    case WB__OP_I32_AND:
        return 0x23;
    case WB__OP_I64_OR:
        *w = true; /* fall through */
    case WB__OP_I32_OR:
        return 0x0b;
    case WB__OP_I64_XOR:
        *w = true; /* fall through */
    case WB__OP_I32_XOR:
        return 0x33;
    case WB__OP_I64_MUL:
        *w = true; /* fall through */
    case WB__OP_I32_MUL:
        return 0x0faf;
    default:
        return 0;
    }
}

/* Compares: the condition code, and whether the operands are 64-bit. */
static int cmp_cc(unsigned id, bool *w)
{
    static const int cc[10] = {CC_E, CC_NE, CC_L, CC_B, CC_G, CC_A, CC_LE, CC_BE, CC_GE, CC_AE};
    if (id >= WB__OP_I32_EQ && id <= WB__OP_I32_GE_U) {
        *w = false;
        return cc[id - WB__OP_I32_EQ];
    }
    if (id >= WB__OP_I64_EQ && id <= WB__OP_I64_GE_U) {
        *w = true;
        return cc[id - WB__OP_I64_EQ];
    }
    if (id >= WB__OP_BR_I32_EQ && id <= WB__OP_BR_I64_GE_U) {
        *w = id >= WB__OP_BR_I64_EQ;
        return cc[(id - WB__OP_BR_I32_EQ) % 10];
    }
    return -1;
}

/* Shifts and rotates: the /digit of the D3 group. */
static int shift_ext(unsigned id, bool *w)
{
    *w = id >= WB__OP_I64_SHL && id <= WB__OP_I64_ROTR;
    switch (id) {
    case WB__OP_I32_SHL:
    case WB__OP_I64_SHL:
        return 4;
    case WB__OP_I32_SHR_S:
    case WB__OP_I64_SHR_S:
        return 7;
    case WB__OP_I32_SHR_U:
    case WB__OP_I64_SHR_U:
        return 5;
    case WB__OP_I32_ROTL:
    case WB__OP_I64_ROTL:
        return 0;
    case WB__OP_I32_ROTR:
    case WB__OP_I64_ROTR:
        return 1;
    default:
        return -1;
    }
}

/* Loads: opcode and REX.W of `mov/movzx/movsx reg, [r12 + rax]` (the size
 * is the op table's). */
static bool load_form(unsigned id, uint32_t *op, bool *w)
{
    switch (id) {
    case WB__OP_I32_LOAD:
    case WB__OP_F32_LOAD:
    case WB__OP_I64_LOAD32_U:
        *op = 0x8b, *w = false;
        return true;
    case WB__OP_I64_LOAD:
    case WB__OP_F64_LOAD:
        *op = 0x8b, *w = true;
        return true;
    case WB__OP_I32_LOAD8_U:
    case WB__OP_I64_LOAD8_U:
        *op = 0x0fb6, *w = false;
        return true;
    case WB__OP_I32_LOAD8_S:
    case WB__OP_I64_LOAD8_S:
        *op = 0x0fbe, *w = id == WB__OP_I64_LOAD8_S;
        return true;
    case WB__OP_I32_LOAD16_U:
    case WB__OP_I64_LOAD16_U:
        *op = 0x0fb7, *w = false;
        return true;
    case WB__OP_I32_LOAD16_S:
    case WB__OP_I64_LOAD16_S:
        *op = 0x0fbf, *w = id == WB__OP_I64_LOAD16_S;
        return true;
    case WB__OP_I64_LOAD32_S:
        *op = 0x63, *w = true;
        return true;
    default:
        return false;
    }
}

static uint32_t store_size(unsigned id)
{
    return wb__ops[id].format == WB__FMT_STORE ? wb__ops[id].bytes : 0;
}

/* Integer division and remainder; the cases that trap, and rem_s by -1
 * (whose idiv would fault), are left to the interpreter. */
static bool divide(jit *j, unsigned id, const wb__cell *pc, uint32_t k)
{
    bool w, sign, rem;
    switch (id) {
    case WB__OP_I32_DIV_S: w = false, sign = true, rem = false; break;
    case WB__OP_I32_DIV_U: w = false, sign = false, rem = false; break;
    case WB__OP_I32_REM_S: w = false, sign = true, rem = true; break;
    case WB__OP_I32_REM_U: w = false, sign = false, rem = true; break;
    case WB__OP_I64_DIV_S: w = true, sign = true, rem = false; break;
    case WB__OP_I64_DIV_U: w = true, sign = false, rem = false; break;
    case WB__OP_I64_REM_S: w = true, sign = true, rem = true; break;
    case WB__OP_I64_REM_U: w = true, sign = false, rem = true; break;
    default: return false;
    }
    sl(j, 0, w, 0x8b, RCX, pc[1].p.b); /* rcx = divisor */
    rr(j, w, 0x85, RCX, RCX);          /* test rcx, rcx */
    exit_if(j, CC_E, k);
    if (sign) {
        opc(j, 0, w, 7, RCX, 0x83); /* cmp rcx, -1 */
        b1(j, 0xc0 | 7 << 3 | RCX);
        b1(j, 0xff);
        exit_if(j, CC_E, k); /* INT_MIN / -1 traps; x % -1 is 0: both interpreted */
    }
    sl(j, 0, w, 0x8b, RAX, pc[1].p.a);
    if (sign)
        bytes(j, w ? 2 : 1, w ? 0x48 : 0x99, 0x99); /* cdq / cqo */
    else
        bytes(j, 2, 0x31, 0xd2); /* xor edx, edx */
    rr(j, w, 0xf7, sign ? 7 : 6, RCX); /* idiv / div rcx */
    st64(j, pc[2].p.a, rem ? RDX : RAX);
    return true;
}

/* Translate the op at pc (cell k), n cells long.  Returns false to leave
 * at it.  (Operand cells are read only as far as the op has them: a
 * one-cell return may be the function's last cell.) */
static bool op(jit *j, unsigned id, const wb__cell *pc, uint32_t n, uint32_t k)
{
    const uint32_t a1 = n > 1 ? pc[1].p.a : 0, b1_ = n > 1 ? pc[1].p.b : 0, a2 = n > 2 ? pc[2].p.a : 0;
    bool w;
    int cc, ext;
    uint32_t alu, lop, size;

    if ((cc = cmp_cc(id, &w)) >= 0) {
        sl(j, 0, w, 0x8b, RAX, a1);
        sl(j, 0, w, 0x3b, RAX, b1_);
        if (id >= WB__OP_BR_I32_EQ)
            branch(j, cc, k + (uint32_t)pc[2].i64, pc[3].u64, k);
        else
            set_result(j, cc, a2);
        return true;
    }
    if ((alu = alu_op(id, &w)) != 0) {
        sl(j, 0, w, 0x8b, RAX, a1);
        sl(j, 0, w, alu, RAX, b1_);
        st64(j, a2, RAX);
        return true;
    }
    if ((ext = shift_ext(id, &w)) >= 0) {
        ld32(j, RCX, b1_); /* the count: x86 masks it to 31 / 63, as wasm does */
        sl(j, 0, w, 0x8b, RAX, a1);
        rr(j, w, 0xd3, ext, RAX);
        st64(j, a2, RAX);
        return true;
    }
    if (load_form(id, &lop, &w)) {
        addr(j, a1, a2, wb__ops[id].bytes, k);
        mm(j, 0, w, lop, RCX);
        st64(j, b1_, RCX);
        return true;
    }
    if ((size = store_size(id)) != 0) {
        addr(j, a1, a2, size, k);
        sl(j, 0, size == 8, 0x8b, RDX, b1_);
        mm(j, size == 2 ? 0x66 : 0, size == 8, size == 1 ? 0x88 : 0x89, RDX);
        return true;
    }
    if (divide(j, id, pc, k))
        return true;

    switch (id) {
    case WB__OP_RETURN1:
        ld64(j, RAX, a1);
        st64(j, 0, RAX);
        /* fall through */
    case WB__OP_RETURN:
        exit_now(j, WB__JIT_RETURNED);
        return true;
    case WB__OP_MEMORY_FILL:
    case WB__OP_MEMORY_COPY: {
        /* The interpreter's bounds checks, then memset / memmove (a call:
         * rbx and r12-r15 survive it, the stack is 16-byte aligned). */
        bool fill = id == WB__OP_MEMORY_FILL;
        ld32(j, RDX, a2); /* n */
        if (!fill) {
            span(j, b1_, k);
            mm(j, 0, true, 0x8d, RSI); /* lea rsi, [r12 + rax] */
        }
        span(j, a1, k);
        mm(j, 0, true, 0x8d, RDI); /* lea rdi, [r12 + rax] */
        charge_bulk(j, k);         /* after the bounds checks, as the interpreter */
        if (fill)
            sl(j, 0, false, 0x0fb6, RSI, b1_); /* movzx esi, byte [value] */
        bytes(j, 2, 0x48, 0xb8);             /* mov rax, imm64; call rax */
        b8(j, fill ? (uint64_t)(uintptr_t)memset : (uint64_t)(uintptr_t)memmove);
        bytes(j, 2, 0xff, 0xd0);
        return true;
    }
    case WB__OP_BR:
        jmp_cell(j, k + (uint32_t)pc[1].i64);
        return true;
    case WB__OP_BR_LOOP:
        charge(j, pc[2].u64, k);
        jmp_cell(j, k + (uint32_t)pc[1].i64);
        return true;
    case WB__OP_BR_IF:
    case WB__OP_BR_UNLESS:
        sl(j, 0, false, 0x83, 7, a1); /* cmp dword [slot], 0 */
        b1(j, 0);
        branch(j, id == WB__OP_BR_IF ? CC_NE : CC_E, k + (uint32_t)pc[2].i64, pc[3].u64, k);
        return true;
    case WB__OP_COPY:
        ld64(j, RAX, a1);
        st64(j, b1_, RAX);
        return true;
    case WB__OP_COPY2:
        sl(j, 0xf3, false, 0x0f6f, 0, a1); /* movdqu xmm0, [a] */
        sl(j, 0xf3, false, 0x0f7f, 0, b1_);
        return true;
    case WB__OP_SELECT:
        /* [a|b][c|d] */
        sl(j, 0, false, 0x83, 7, a2);
        b1(j, 0);
        ld64(j, RAX, a1);
        sl(j, 0, true, 0x0f44, RAX, b1_); /* cmovz rax, [b] */
        st64(j, pc[2].p.b, RAX);
        return true;
    case WB__OP_GLOBAL_GET:
    case WB__OP_GLOBAL_SET:
        inst_field(j, (uint32_t)offsetof(wb_instance, globals));
        rm(j, 0, true, 0x8b, RAX, RAX, a1 * 8); /* the wb_global* */
        if (id == WB__OP_GLOBAL_GET) {
            rm(j, 0, true, 0x8b, RCX, RAX, (uint32_t)offsetof(wb_global, value));
            st64(j, b1_, RCX);
        } else {
            ld64(j, RCX, b1_);
            rm(j, 0, true, 0x89, RCX, RAX, (uint32_t)offsetof(wb_global, value));
        }
        return true;
    case WB__OP_MEMORY_SIZE:
        inst_field(j, (uint32_t)offsetof(wb_instance, mem));
        rm(j, 0, false, 0x8b, RAX, RAX, (uint32_t)offsetof(wb_memory, pages));
        st64(j, a1, RAX);
        return true;
    case WB__OP_I32_EQZ:
    case WB__OP_I64_EQZ:
        sl(j, 0, id == WB__OP_I64_EQZ, 0x83, 7, a1);
        b1(j, 0);
        set_result(j, CC_E, b1_);
        return true;
    case WB__OP_I32_CTZ:
    case WB__OP_I64_CTZ:
    case WB__OP_I32_CLZ:
    case WB__OP_I64_CLZ: {
        /* bsf/bsr leave ZF set for 0; clz = 31 - bsr (63 - bsr), and a zero
         * input gives 32 (64) through 63 ^ 31 (127 ^ 63). */
        bool wide = id == WB__OP_I64_CTZ || id == WB__OP_I64_CLZ;
        bool clz = id == WB__OP_I32_CLZ || id == WB__OP_I64_CLZ;
        uint32_t bits = wide ? 64 : 32;
        b1(j, 0xb9);
        b4(j, clz ? 2 * bits - 1 : bits); /* mov ecx, imm32 */
        sl(j, 0, wide, clz ? 0x0fbd : 0x0fbc, RAX, a1);
        rr(j, false, 0x0f44, RAX, RCX); /* cmovz eax, ecx */
        if (clz)
            bytes(j, 3, 0x83, 0xf0, (int)(bits - 1)); /* xor eax, bits - 1 */
        st64(j, b1_, RAX);
        return true;
    }
    case WB__OP_I64_EXTEND_I32_U:
        ld32(j, RAX, a1);
        st64(j, b1_, RAX);
        return true;
    case WB__OP_I64_EXTEND_I32_S:
    case WB__OP_I64_EXTEND32_S:
        sl(j, 0, true, 0x63, RAX, a1); /* movsxd rax, dword [a] */
        st64(j, b1_, RAX);
        return true;
    case WB__OP_I32_EXTEND8_S:
    case WB__OP_I64_EXTEND8_S:
        sl(j, 0, id == WB__OP_I64_EXTEND8_S, 0x0fbe, RAX, a1);
        st64(j, b1_, RAX);
        return true;
    case WB__OP_I32_EXTEND16_S:
    case WB__OP_I64_EXTEND16_S:
        sl(j, 0, id == WB__OP_I64_EXTEND16_S, 0x0fbf, RAX, a1);
        st64(j, b1_, RAX);
        return true;
    case WB__OP_V128_LOAD:
        addr(j, a1, a2, 16, k);
        mm(j, 0xf3, false, 0x0f6f, 0); /* movdqu xmm0, [r12 + rax] */
        sl(j, 0xf3, false, 0x0f7f, 0, b1_);
        return true;
    case WB__OP_V128_STORE:
        addr(j, a1, a2, 16, k);
        sl(j, 0xf3, false, 0x0f6f, 0, b1_);
        mm(j, 0xf3, false, 0x0f7f, 0);
        return true;
    case WB__OP_V128_AND:
    case WB__OP_V128_OR:
    case WB__OP_V128_XOR:
    case WB__OP_V128_ANDNOT: {
        /* pandn computes ~xmm0 & xmm1: load b first for andnot (a & ~b). */
        bool an = id == WB__OP_V128_ANDNOT;
        uint32_t p = id == WB__OP_V128_AND ? 0x0fdb : id == WB__OP_V128_OR ? 0x0feb : id == WB__OP_V128_XOR ? 0x0fef : 0x0fdf;
        sl(j, 0xf3, false, 0x0f6f, 0, an ? b1_ : a1);
        sl(j, 0xf3, false, 0x0f6f, 1, an ? a1 : b1_);
        bytes(j, 4, 0x66, 0x0f, (int)(p & 0xff), 0xc1); /* pxxx xmm0, xmm1 */
        sl(j, 0xf3, false, 0x0f7f, 0, a2);
        return true;
    }
    case WB__OP_V128_ANY_TRUE:
        ld64(j, RAX, a1);
        sl(j, 0, true, 0x0b, RAX, a1 + 8); /* or rax, [a + 8] */
        set_result(j, CC_NE, a2);
        return true;
    case WB__OP_I8X16_BITMASK:
        sl(j, 0xf3, false, 0x0f6f, 0, a1);
        bytes(j, 4, 0x66, 0x0f, 0xd7, 0xc0); /* pmovmskb eax, xmm0 */
        st64(j, a2, RAX);
        return true;
    case WB__OP_SIMD: {
        /* f(fpb + B3, fpb + A2, fpb + B2, fpb + A3, imm), as the interpreter
         * calls it; rbx and r12-r15 survive the call (callee-saved). */
        sl(j, 0, true, 0x8d, RDI, pc[3].p.b);
        sl(j, 0, true, 0x8d, RSI, pc[2].p.a);
        sl(j, 0, true, 0x8d, RDX, pc[2].p.b);
        sl(j, 0, true, 0x8d, RCX, pc[3].p.a);
        bytes(j, 2, 0x49, 0xb8); /* mov r8, imm64 */
        b8(j, (uint64_t)(uintptr_t)&pc[4]);
        bytes(j, 2, 0x48, 0xb8); /* mov rax, imm64 */
        b8(j, (uint64_t)(uintptr_t)pc[1].op);
        bytes(j, 2, 0xff, 0xd0); /* call rax */
        return true;
    }
    default:
        return false;
    }
}

/* ---- functions and modules ------------------------------------------------------------- */

/* Whether every op of f decodes, and (loops) whether f has a back-edge: a
 * branch whose fuel cell is non-zero (code.h's op table says where). */
static bool decodes(const wb__func *f, bool *loops)
{
    *loops = false;
    for (uint32_t k = 0; k < f->ncode;) {
        const wb__cell *pc = &f->code[k];
        if (pc->u64 >= WB__OP_COUNT)
            return false;
        unsigned id = (unsigned)pc->u64;
        uint32_t n = wb__op_cells(id, pc);
        if (k + n > f->ncode)
            return false;
        uint32_t fuel = wb__op_format(id)->fuel;
        *loops |= fuel && pc[fuel].u64 != 0;
        k += n;
    }
    return true;
}

/* Translate f into j; false when cell 0 is an op the machine
 * code would only leave at, or on failure. */
static bool function(jit *j, const wb__func *f)
{
    j->nbr = j->nex = 0;
    free(j->at);
    j->at = malloc((size_t)f->ncode * sizeof *j->at);
    if (!j->at)
        return j->bad = true, false;
    /* Prologue: push rbx, r12-r15 (the stack stays 16-byte aligned for calls);
     * rbx = fpb, r12 = mem, r13 = memsize, r14 = ctx, r15 = ctx->fuel. */
    bytes(j, 9, 0x53, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57);
    bytes(j, 12, 0x48, 0x89, 0xfb, 0x49, 0x89, 0xf4, 0x49, 0x89, 0xd5, 0x49, 0x89, 0xce);
    bytes(j, 3, 0x4c, 0x8b, 0x39);
    for (uint32_t k = 0; k < f->ncode;) {
        const wb__cell *pc = &f->code[k];
        unsigned id = (unsigned)pc->u64; /* op ids until interp.c links the code */
        uint32_t n = wb__op_cells(id, pc);
        j->at[k] = (uint32_t)j->n;
        for (uint32_t i = 1; i < n; i++)
            j->at[k + i] = UINT32_MAX;
        if (!op(j, id, pc, n, k)) {
            if (k == 0)
                return false;
            exit_now(j, k);
        }
        k += n;
    }
    /* The epilogue (fuel back to ctx, pops), then one exit stub per op
     * left at: mov eax, cell; jmp epilogue. */
    uint32_t epi = (uint32_t)j->n;
    bytes(j, 3, 0x4d, 0x89, 0x3e);                                            /* mov [r14], r15 */
    bytes(j, 10, 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5b, 0xc3); /* pops; ret */
    /* stub[i]: 0 while none (0 is the prologue); stub[ncode] is the return's. */
    uint32_t *stub = calloc((size_t)f->ncode + 1, sizeof *stub);
    if (!stub)
        return j->bad = true, false;
    for (uint32_t i = 0; !j->bad && i < j->nex; i++) {
        fixup x = j->ex[i];
        uint32_t s = x.cell == WB__JIT_RETURNED ? f->ncode : x.cell;
        if (!stub[s]) {
            stub[s] = (uint32_t)j->n;
            b1(j, 0xb8);
            b4(j, x.cell);
            b1(j, 0xe9);
            b4(j, (uint32_t)(epi - (j->n + 4)));
        }
        if (!j->bad) {
            int32_t rel = (int32_t)(stub[s] - (x.at + 4));
            memcpy(j->b + x.at, &rel, 4);
        }
    }
    free(stub);
    for (uint32_t i = 0; !j->bad && i < j->nbr; i++) {
        fixup x = j->br[i];
        if (x.cell >= f->ncode || j->at[x.cell] == UINT32_MAX)
            return false; /* a branch into the middle of an op: not ours to guess */
        int32_t rel = (int32_t)(j->at[x.cell] - (x.at + 4));
        memcpy(j->b + x.at, &rel, 4);
    }
    return !j->bad;
}

/* Frees what the x86-64 emitter left in the functions. */
static void free_x64(wb_module *m)
{
    for (uint32_t i = 0; m->funcs && i < m->nfuncs - m->nimported_funcs; i++) {
        free(m->funcs[i].x64);
        m->funcs[i].x64 = NULL;
        free(m->funcs[i].x64_calls);
        m->funcs[i].x64_calls = NULL;
        m->funcs[i].nx64_calls = 0;
        if (!m->funcs[i].jit) { /* no machine code to enter at its loops */
            free(m->funcs[i].loop_entry);
            m->funcs[i].loop_entry = NULL;
            m->funcs[i].nloop_entry = 0;
        }
    }
}

static void set_rel(jit *j, size_t at, size_t target)
{
    int32_t rel = (int32_t)((int64_t)target - (int64_t)(at + 4));
    memcpy(j->b + at, &rel, 4);
}

/* The emitter's calls between functions (compile/emit_x64.c): each to its
 * callee's direct entry, its guard opened; a call to a function without
 * code keeps its guard, which leaves to the interpreter. */
static void link_calls(jit *j, const wb_module *m, const size_t *start)
{
    for (uint32_t i = 0; i < m->nfuncs - m->nimported_funcs; i++) {
        const wb__func *f = &m->funcs[i];
        if (start[i] == SIZE_MAX)
            continue;
        for (uint32_t c = 0; c < f->nx64_calls; c++) {
            const wb__x64_call *r = &f->x64_calls[c];
            size_t callee = (size_t)(r->callee - m->funcs);
            if (start[callee] == SIZE_MAX)
                continue;
            set_rel(j, start[i] + r->call, start[callee] + r->callee->x64_direct);
            /* The guard's jmp becomes a 5-byte nop: the call goes on. */
            static const uint8_t nop5[5] = {0x0f, 0x1f, 0x44, 0x00, 0x00};
            memcpy(j->b + start[i] + r->guard - 1, nop5, 5);
        }
    }
}

void wb__jit_module(wb_module *m)
{
    const char *off = getenv("WASMBOX_JIT");
    uint32_t ndef = m->nfuncs - m->nimported_funcs;
    /* WASMBOX_JIT=2: the machine code is the x86-64 emitter's (compile/
     * emit_x64.c), mapped here with the same choice of functions. */
    bool emitted = off && strcmp(off, "2") == 0;
    if ((off && strcmp(off, "0") == 0) || ndef == 0) {
        free_x64(m);
        return;
    }
    size_t *start = calloc(ndef, sizeof *start);
    if (!start) {
        free_x64(m);
        return;
    }
    /* Which functions get machine code: those that loop, entered from the
     * interpreter through JIT_ENTER; and exported ones, which a host call
     * enters directly (interp.c), so that a small UDF runs without the
     * interpreter at all.  A straight-line function called from wasm stays
     * interpreted: entering and leaving machine code there costs about
     * what interpreting a handful of ops does. */
    enum { EXPORTED = 1, LOOPS = 2 };
    uint8_t *why = calloc(ndef, 1);
    if (!why) {
        free(start);
        free_x64(m);
        return;
    }
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].kind == WB_EXTERN_FUNC && m->exports[i].index >= m->nimported_funcs)
            why[m->exports[i].index - m->nimported_funcs] = EXPORTED;
    jit j = {0};
    for (uint32_t i = 0; i < ndef; i++) {
        const wb__func *f = &m->funcs[i];
        bool loops = false;
        start[i] = SIZE_MAX;
        if (emitted) {
            /* Every function with code: compiled functions call each other. */
            if (!f->x64)
                continue;
            why[i] |= LOOPS;
            start[i] = j.n;
            put(&j, f->x64, f->nx64);
            if (j.bad)
                break;
            continue;
        }
        if (!f->code || f->ncode == 0 || !decodes(f, &loops))
            continue;
        if (loops)
            why[i] |= LOOPS;
        if (!why[i])
            continue;
        size_t at = j.n;
        if (function(&j, f))
            start[i] = at;
        else if (j.bad)
            break;
        else
            j.n = at;
    }
    if (emitted && !j.bad)
        link_calls(&j, m, start);
    void *x = MAP_FAILED;
    if (!j.bad && j.n) {
        x = mmap(NULL, j.n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (x != MAP_FAILED) {
            memcpy(x, j.b, j.n);
            if (mprotect(x, j.n, PROT_READ | PROT_EXEC) != 0) {
                munmap(x, j.n);
                x = MAP_FAILED;
            }
        }
    }
    if (x != MAP_FAILED) {
        m->jit_mem = x;
        m->jit_len = j.n;
        for (uint32_t i = 0; i < ndef; i++) {
            wb__func *f = &m->funcs[i];
            if (start[i] == SIZE_MAX)
                continue;
            f->jit = (wb__jit_fn)((uintptr_t)x + start[i]);
            if (emitted)
                f->jit_resume = (wb__jit_fn)((uintptr_t)x + start[i] + f->x64_resume);
            f->jit_enter = (why[i] & LOOPS) != 0; /* interp.c puts JIT_ENTER in cell 0 */
        }
    }
    free(why);
    free_x64(m);
    free(j.b);
    free(j.br);
    free(j.ex);
    free(j.at);
    free(start);
}

void wb__jit_free(wb_module *m)
{
    free_x64(m);
    if (m->jit_mem)
        munmap(m->jit_mem, m->jit_len);
    m->jit_mem = NULL;
}

#else /* no machine code for this platform: everything is interpreted */

void wb__jit_module(wb_module *m) { (void)m; }
void wb__jit_free(wb_module *m) { (void)m; }

#endif
