/*
 * emit_x64.h - the x86-64 emitter's own state and helpers, shared by its
 * files: emit_x64.c (the emit.h interface, control flow, memory, calls,
 * the function's frame), emit_x64_num.c (numeric ops: integer division,
 * floats, conversions), emit_x64_rt.c (runtime ops and host calls) and
 * emit_x64_simd.c (v128).
 *
 * A translated op reads its operands through load()/fload() (a pinned
 * local's register, a constant as an immediate, the value the op before
 * left in rax or xmm0, or the frame slot) and writes its result through
 * store()/fstore(); an op that cannot go on (a trap, a failed check) leaves
 * to the interpreter at its own cell (wb__x64e_leave), which runs it again
 * and so traps or stops exactly as it would have.  Code that reads slots
 * itself (the C helpers of emit_x64_rt.c) runs inside unpinned(), which
 * writes the pinned locals it reads to their slots first.
 *
 * Registers: rbx = frame, rbp = where the next engine frame goes, r12 =
 * memory base, r13 = memory size, r14 = the wb__jit_ctx, r15 = fuel left;
 * rsi, rdi, r8-r11 the pinned integer locals and, those that no local
 * took, the integer values of the operand stack (the integer cache, ic_*);
 * xmm10-xmm15 the pinned float locals, xmm3-xmm9 the float and v128 values
 * of the operand stack (the float cache, fc_*); rax, rcx, rdx, xmm0-xmm2
 * scratch.
 * Every file keeps the pinned registers and the integer cache's
 * (wb__x64e_save_pinned around a call to C).
 */
#ifndef WB_COMPILE_EMIT_X64_H
#define WB_COMPILE_EMIT_X64_H

#include "emit.h"
#include "x64.h"

#define MAXV 12 /* operands of the widest format (SIMD_MEM has 9) */

typedef struct {
    uint32_t at; /* the op's position (its cell in the slot code) */
    uint16_t id;
    bool fc;     /* the caches live across it (emit_x64.c: fc_op) */
    uint64_t v[MAXV]; /* its operands, as op() took them */
    uint64_t target;  /* a branch's target position, or WB__NO_TARGET */
    uint32_t *table;  /* BR_TABLE: its n + 1 targets' positions */
} xop;

typedef struct {
    uint32_t at;   /* a rel32 */
    uint32_t cell; /* the op it goes to (a branch) or leaves at (an exit) */
} xfix;

/* The float cache's registers: xmm3 .. xmm3 + FC_N - 1 (xmm0-xmm2 are
 * scratch, xmm10-xmm15 the pinned float locals). */
#define FC_N 7
#define FC_XMM0 3

/* The integer cache's registers: at most the six pin registers. */
#define IC_N 6

/* The caches' entries as they were where code leaves: stored on the way out. */
typedef struct {
    uint8_t n, ni;
    uint8_t xmm[FC_N];
    uint8_t bytes[FC_N]; /* 4, 8 or 16 (a v128) */
    int32_t disp[FC_N];
    uint8_t ireg[IC_N + 1]; /* + a store's value in rdx (x64_emit.vloc) */
    int32_t idisp[IC_N + 1];
} fsnap;

typedef struct {
    wb__emit e;
    wb__emit *in; /* the slot-code emitter */
    xop *ops;
    uint32_t nops, cops;
    /* While translating. */
    wb__x64 a;
    xfix *br, *ex, *tab; /* tab: jump-table entries, relative to the table (at - 4 * entry) */
    uint32_t nbr, cbr, nex, cex, ntab, ctab;
    uint32_t cbase, sbase;
    const wb__slot *consts;
    const wb__func *f;
    wb__x64_call *calls;
    uint32_t ncalls, ccalls;
    uint32_t ret; /* where callers pass a callee's leaving on */
    /* Back-edges and calls whose charge made r15 negative: out of line
     * (after the body), the next chunk of fuel (the function's refill) and
     * back, or give the fuel back and leave. */
    struct refund {
        uint32_t at; /* the jl's rel32 */
        uint32_t back; /* where to go on after a refill */
        uint32_t cell;
        int32_t cost;
    } *refund;
    uint32_t nrefund, crefund;
    uint32_t refill; /* where the function's refill is (emit_x64.c) */
    /* Memory ops whose address (an operand stack slot, in rax) is written to
     * its slot only on the way out of their bounds check: rax less the
     * offset, then leave at cell.  leave_store: the op being translated's. */
    struct late {
        uint32_t at, cell; /* the ja's rel32; the op */
        int32_t disp;      /* the slot */
        int32_t offset;
        fsnap fs; /* the float cache there */
    } *late;
    uint32_t nlate, clate;
    uint64_t leave_store;
    /* Calls to compiled functions: their records (code.h's wb__site), put
     * after the code, which a lea at the call points to. */
    struct site {
        uint32_t lea;  /* the lea's rel32 */
        uint32_t cell; /* the return cell */
    } *site;
    uint32_t nsite, csite;
    /* Hot integer locals live in registers for the whole function (their
     * slots are written back wherever the interpreter or a caller may read
     * them: leaving, returning, around calls). */
    uint32_t pin_off[6]; /* their frame offsets */
    uint8_t npin;
    /* Hot float locals likewise, in xmm10-xmm15 (an f32 in the low 32 bits;
     * its slot holds it zero-extended).  The C ABI keeps no xmm register,
     * so these go to their slots around every call. */
    uint32_t fpin_off[6];
    bool fpin_dbl[6];
    uint8_t nfpin;
    uint16_t dead; /* pins a call need not keep (dead_after): bit p, 8 + p for float pin p */
    uint32_t cur;  /* the op being translated, by index */
    /* An integer store's value, a stack slot's that the op before left in
     * rax, is taken from there into rdx: its slot is never written, but on
     * the way out of the store's bounds check (fc_snap). */
    uint64_t vloc;
    const bool *target; /* the ops that branches go to, by index (function()) */
    bool nopin; /* load/store see plain slots (an op that the pinned locals are synced around) */
    /* Pinned locals (bits by pin index) whose registers the last op wrote
     * with a 32-bit instruction, so that their upper halves are zero: the
     * next op (unless a branch lands on it) may take one as an address as
     * it is (zx); zx_new collects the bits of the op being translated. */
    uint8_t zx, zx_new;
    /* The value the last op stored from rax, still there when the next op
     * starts right after that store (and is no branch target). */
    uint64_t held;
    uint32_t held_at;  /* the code position just after that store */
    bool held_ok;      /* for the op being translated */
    bool pend;         /* that store is not written yet (store_last) */
    bool held32;       /* rax's upper half is zero (a 32-bit op wrote it) */
    int8_t held_cc;    /* held is a compare's result whose flags are still
                        * set: its condition code (a select after it needs
                        * no test), else -1 */
    /* Likewise the float the last op stored from xmm0; xheld_ok until the
     * op being translated writes xmm0. */
    bool const_mem; /* an op read a constant's slot: the direct entry puts them */
    uint64_t xheld;
    uint32_t xheld_at;
    bool xheld_ok;
    /* Float and v128 operand stack values kept in xmm3-xmm9 (entry c in
     * xmm 3 + c) instead of their slots, from the op that makes one to the
     * op that pops it, within straight-line code of ops that read slots
     * only through load(), alu_to(), fload(), fsrc() and the SIMD file's
     * vsrc() (function(): fc_op).
     * Before any other op, and before a branch target, they go to their
     * slots (fc_flush); a leave from among them stores them on its way out
     * (struct fsnap). */
    uint64_t fc_loc[FC_N]; /* 0: free */
    bool fc_dbl[FC_N];
    bool fc_vec[FC_N]; /* a v128 (its two slots from fc_loc on) */
    uint8_t fc_read, fc_set; /* entries the op being translated read, wrote */
    uint8_t fc_next;         /* where eviction looks first */
    bool fc_on;              /* the op being translated may keep its float results there */
    struct fleave {          /* leaves that store the cache first */
        uint32_t at, cell;
        fsnap fs;
    } *fleave;
    uint32_t nfleave, cfleave;
    /* Integer operand stack values kept in general registers instead of
     * their slots, under the float cache's rules (fc_on, flushed with it,
     * stored on the way out of a leave), in the pin registers that no local
     * took (ic_reg, ic_n of them): from the op that makes one (store(), or
     * a result left in rax and not read by the next op alone) to the op
     * that pops it (function(): ic_pop).  pinned() finds them, so an op
     * reads one and writes it in place as it does a pinned local. */
    uint64_t ic_loc[IC_N]; /* 0: free */
    int8_t ic_reg[IC_N];
    uint8_t ic_n, ic_next;
} x64_emit;

/* The registers of pinned locals, in order. */
static const int wb__pin_reg[6] = {X64_RSI, X64_RDI, X64_R8, X64_R9, X64_R10, X64_R11};

/* The integer cache's entry holding loc, or -1. */
static inline int ic_find(const x64_emit *x, uint64_t loc)
{
    if (x->nopin || ((uint32_t)loc & WB__LOC_MASK) != WB__LOC_STACK)
        return -1;
    for (int c = 0; c < x->ic_n; c++)
        if (x->ic_loc[c] == loc)
            return c;
    return -1;
}

/* The register holding the value at loc, or -1 (it is in its slot). */
static inline int pin_index(const x64_emit *x, uint64_t loc) /* in pin_off, or -1 */
{
    if (x->nopin || ((uint32_t)loc & WB__LOC_MASK))
        return -1;
    for (unsigned i = 0; i < x->npin; i++)
        if (x->pin_off[i] == (uint32_t)loc)
            return (int)i;
    return -1;
}
static inline int pinned(const x64_emit *x, uint64_t loc) /* a pinned local's, or the integer cache's */
{
    int i = pin_index(x, loc);
    if (i >= 0)
        return wb__pin_reg[i];
    i = ic_find(x, loc);
    return i < 0 ? -1 : x->ic_reg[i];
}

/* Pinned local loc's register was just written by a 32-bit instruction
 * (x64_emit.zx). */
static inline void zero_extended(x64_emit *x, uint64_t loc)
{
    int i = pin_index(x, loc);
    if (i >= 0)
        x->zx_new |= (uint8_t)(1u << i);
}

static const int wb__fpin_reg[6] = {10, 11, 12, 13, 14, 15};

/* The xmm register of a pinned float local at loc, or -1; *dbl its width. */
static inline int fpinned(const x64_emit *x, uint64_t loc, bool *dbl)
{
    if ((uint32_t)loc & WB__LOC_MASK)
        return -1;
    for (unsigned i = 0; i < x->nfpin; i++)
        if (x->fpin_off[i] == (uint32_t)loc) {
            if (dbl)
                *dbl = x->fpin_dbl[i];
            return wb__fpin_reg[i];
        }
    return -1;
}

/* Jumps (cc < 0: always) to the op at cell; leaves to the interpreter at cell. */
void wb__x64e_jump(x64_emit *x, int cc, uint32_t cell);
void wb__x64e_leave(x64_emit *x, int cc, uint32_t cell);

/* Around code that does not keep the pinned locals (a call to C or to
 * another function): the integer ones to the C stack, the float ones to
 * their slots (no general register used), and back. */
void wb__x64e_save_pinned(x64_emit *x);
void wb__x64e_restore_pinned(x64_emit *x);

/* call_indirect of the host function at rax (emit_x64_rt.c): the
 * interpreter's call, its type checked against want, its arguments at rbx +
 * base; leaves at k or next as a host call does. */
void wb__x64e_host_indirect(x64_emit *x, const wb_functype *want, int32_t base, uint32_t k, uint32_t next);
/* A call of another instance's wasm function, its wb_func in rax (an
 * import's, or a table's): emit_x64.c's call(), crossing. */
void wb__x64e_call_other(x64_emit *x, int32_t base, uint32_t k, uint32_t next);

/* rax = the u32 address at loc + offset (its load the op's first
 * instruction); leave at cell unless rax + size <= the memory's size (the
 * interpreter then traps there). */
void wb__x64e_address(x64_emit *x, uint64_t loc, uint32_t offset, uint32_t size, uint32_t cell);

/* Calls the C function at rax, the stack aligned (after the pinned locals'
 * save: it takes r11). */
void wb__x64e_c_call(x64_emit *x);

/* Calls the C function fn from an op (rax_arg: rax is its first integer
 * argument; a float one is in xmm0 already), the stack aligned as C wants
 * and the pinned locals kept. */
void wb__x64e_call_c(x64_emit *x, const void *fn, bool rax_arg);

/* Translates a numeric op (emit_x64_num.c); false for one it does not.
 * wb__x64e_numeric_op: whether op id is one of them. */
bool wb__x64e_numeric_op(unsigned id);
bool wb__x64e_numeric(x64_emit *x, const xop *o);

/* Translates a runtime op (emit_x64_rt.c: memory.size/grow, tables,
 * segments, references, v128 moves, host calls); false for one it does
 * not.  wb__x64e_runtime_op: whether op id is one of them. */
bool wb__x64e_runtime_op(unsigned id);
bool wb__x64e_runtime(x64_emit *x, const xop *o);
/* Translates a SIMD op (emit_x64_simd.c: the SIMD and SIMD_MEM ops, and
 * those with handlers of their own); wb__x64e_simd_op: whether op id is one
 * of them.  It handles the pinned locals itself (its scalar operands are
 * roles 'x', which unpinned() does not see). */
bool wb__x64e_simd_op(unsigned id);
bool wb__x64e_simd(x64_emit *x, const xop *o);
/* Whether wb__x64e_simd translates o inline (no call to C), reading and
 * writing its v128 operands through the float cache. */
bool wb__x64e_simd_inline(const xop *o);
/* r12 / r13 = the context's instance's memory base and size again (after
 * anything that may have moved it, or a call into or back from another
 * instance). */
void wb__x64e_reload_mem(x64_emit *x);
/* A load's or store's memory operand, its address checked (emit_x64.c). */
wb__x64_mem wb__x64e_access(x64_emit *x, uint64_t loc, uint32_t offset, uint32_t size, uint32_t cell);

static inline bool is_const(uint64_t loc) { return ((uint32_t)loc & WB__LOC_MASK) == WB__LOC_CONST; }
static inline uint64_t const_of(x64_emit *x, uint64_t loc) { return x->consts[((uint32_t)loc & ~WB__LOC_MASK) / 8]; }

static inline wb__x64_mem slot(x64_emit *x, uint64_t loc)
{
    uint32_t l = (uint32_t)loc, off = l & ~WB__LOC_MASK;
    if ((l & WB__LOC_MASK) == WB__LOC_CONST) {
        off += x->cbase;
        x->const_mem = true;
    }
    else if ((l & WB__LOC_MASK) == WB__LOC_STACK)
        off += x->sbase;
    return x64_mem(X64_RBX, (int32_t)off);
}

/* The float cache's entry holding loc, or -1. */
static inline int fc_find(const x64_emit *x, uint64_t loc)
{
    if (((uint32_t)loc & WB__LOC_MASK) != WB__LOC_STACK)
        return -1;
    for (int c = 0; c < FC_N; c++)
        if (x->fc_loc[c] == loc)
            return c;
    return -1;
}
/* bytes from loc on are written otherwise (its slot, rax, another
 * entry): the caches' entries of those slots are stale and go, but the
 * float cache's entry at loc itself when keep_f, the integer cache's when
 * keep_i (the caller writes those).  A v128 entry covers two slots. */
static inline void fc_claim(x64_emit *x, uint64_t loc, unsigned bytes, bool keep_f, bool keep_i)
{
    uint32_t l = (uint32_t)loc, off = l & ~WB__LOC_MASK;
    if ((l & WB__LOC_MASK) != WB__LOC_STACK)
        return;
    for (int c = 0; c < FC_N; c++) {
        uint32_t e = (uint32_t)x->fc_loc[c], eo = e & ~WB__LOC_MASK;
        if (x->fc_loc[c] && !(keep_f && x->fc_loc[c] == loc) && eo < off + bytes && off < eo + (x->fc_vec[c] ? 16 : 8))
            x->fc_loc[c] = 0;
    }
    for (int c = 0; c < x->ic_n; c++) {
        uint32_t eo = (uint32_t)x->ic_loc[c] & ~WB__LOC_MASK;
        if (x->ic_loc[c] && !(keep_i && x->ic_loc[c] == loc) && eo < off + bytes && off < eo + 8)
            x->ic_loc[c] = 0;
    }
}
/* The xmm register of the cached float at loc (marked read), or -1. */
static inline int fc_use(x64_emit *x, uint64_t loc, bool *dbl)
{
    int c = fc_find(x, loc);
    if (c < 0)
        return -1;
    x->fc_read |= (uint8_t)(1u << c);
    if (dbl)
        *dbl = x->fc_dbl[c];
    return FC_XMM0 + c;
}
/* The cache's entries to their slots; it is empty after (emit_x64.c). */
void wb__x64e_fc_flush(x64_emit *x);
/* The cache's entry for loc, a float of that width that the op being
 * translated writes: its xmm register (emit_x64.c), or -1 when loc is not
 * kept there. */
int wb__x64e_fc_take(x64_emit *x, uint64_t loc, bool dbl);
/* Likewise for a v128 (emit_x64_simd.c): its register, or -1 when it goes
 * to its slots (the caller writes them). */
int wb__x64e_vc_take(x64_emit *x, uint64_t loc);
/* The integer cache's register for loc, an integer that the op being
 * translated writes (emit_x64.c), or -1 when loc is not kept there. */
int wb__x64e_ic_take(x64_emit *x, uint64_t loc);

/* reg = the value at loc (w: all 64 bits; else the low 32, zero-extended). */
static inline void load(x64_emit *x, bool w, int reg, uint64_t loc)
{
    bool dbl;
    int p = pinned(x, loc), f = fpinned(x, loc, &dbl);
    if (f < 0)
        f = fc_use(x, loc, &dbl); /* a float, reinterpreted, or copied */
    if (f >= 0) {
        x64_movd_rx(&x->a, w && dbl, reg, f);
    } else if (p >= 0) {
        if (p != reg || !w)
            x64_mov_rr(&x->a, w, reg, p);
    } else if (is_const(loc)) {
        uint64_t v = const_of(x, loc);
        x64_mov_ri(&x->a, reg, w ? v : (uint32_t)v);
    } else {
        x64_mov_rm(&x->a, w, reg, slot(x, loc));
    }
}

/* rax holds loc's value from here on (x64_emit.held). */
static inline void hold(x64_emit *x, uint64_t loc)
{
    x->held = loc;
    x->held_at = x64_pos(&x->a);
    x->held32 = false;
    x->held_cc = -1;
}

/* No register holds loc (a pinned local's or the integer cache's): only
 * its slot, or rax where the op before left it (store_last). */
static inline bool slot_only(const x64_emit *x, uint64_t loc) { return pinned(x, loc) < 0 && fpinned(x, loc, NULL) < 0; }

/* Slot writes store all 8 bytes, as the interpreter's do. */
static inline void store(x64_emit *x, uint64_t loc, int reg)
{
    bool dbl;
    int p = pinned(x, loc), f = fpinned(x, loc, &dbl);
    if (p < 0 && f < 0)
        p = wb__x64e_ic_take(x, loc);
    if (f >= 0)
        x64_movd_xr(&x->a, dbl, f, reg);
    else if (p >= 0)
        x64_mov_rr(&x->a, true, p, reg);
    else
        x64_mov_mr(&x->a, true, slot(x, loc), reg);
    fc_claim(x, loc, 8, false, true);
    if (reg == X64_RAX)
        hold(x, loc);
}

/* The last instruction of an op that cannot leave: rax to loc, a slot,
 * written before the next op unless that op reads it from rax and then
 * overwrites it (function() decides: x->pend). */
static inline void store_last(x64_emit *x, uint64_t loc)
{
    if (!slot_only(x, loc)) {
        store(x, loc, X64_RAX);
        return;
    }
    fc_claim(x, loc, 8, false, false);
    hold(x, loc);
    x->pend = true;
}

/* An op's first instruction, load(): when the value is what the op just
 * before left in rax, no load (its store goes on to memory meanwhile, off
 * the critical path). */
static inline void load_first(x64_emit *x, bool w, int reg, uint64_t loc)
{
    bool hit = x->held_ok && x->held == loc && pin_index(x, loc) < 0 && fpinned(x, loc, NULL) < 0;
    x->held_ok = false;
    if (!hit) {
        load(x, w, reg, loc);
    } else if (reg != X64_RAX || (!w && !x->held32)) {
        x64_mov_rr(&x->a, w, reg, X64_RAX);
    }
}

/* ---- floats: xmm0-xmm2 are scratch ---- */

enum { XMM0, XMM1, XMM2 };

static inline bool xheld(const x64_emit *x, uint64_t loc) { return x->xheld_ok && x->xheld == loc; }

/* xmm = the float at loc: from its pinned register, from xmm0 when the op
 * before left it there, or from its slot (constants have slots too). */
static inline void fload(x64_emit *x, bool dbl, int xmm, uint64_t loc)
{
    int p = fpinned(x, loc, NULL), i = ic_find(x, loc);
    bool held = xheld(x, loc);
    if (p < 0)
        p = fc_use(x, loc, NULL);
    if (i >= 0) { /* an integer, reinterpreted */
        x64_movd_xr(&x->a, dbl, xmm, x->ic_reg[i]);
        held = false;
    } else if (is_const(loc)) { /* through rdx, which no float op keeps anything in */
        uint64_t v = const_of(x, loc);
        if (!dbl)
            v = (uint32_t)v;
        if (v) {
            x64_mov_ri(&x->a, X64_RDX, v);
            x64_movd_xr(&x->a, dbl, xmm, X64_RDX);
        } else {
            x64_ps_rr(&x->a, X64_XORPS, xmm, xmm);
        }
        held = false;
    } else if (held && xmm == XMM0) {
        /* there already */
    } else if (p >= 0 || held) {
        x64_movaps_rr(&x->a, xmm, p >= 0 ? p : XMM0);
        held = false;
    } else {
        x64_movs_rm(&x->a, dbl, xmm, slot(x, loc));
    }
    if (xmm == XMM0 && !held)
        x->xheld_ok = false;
}

/* The register holding the float at loc, for a source operand: its pin, or
 * scratch, loaded. */
static inline int fsrc(x64_emit *x, bool dbl, uint64_t loc, int scratch)
{
    int p = fpinned(x, loc, NULL);
    if (p < 0)
        p = fc_use(x, loc, NULL);
    if (p >= 0)
        return p;
    fload(x, dbl, scratch, loc);
    return scratch;
}

/* The float in xmm to loc: its pinned register, or its slot (an f64 as its
 * 8 bytes, an f32 zero-extended as sw_f32 does, through rax). */
static inline void fstore(x64_emit *x, bool dbl, uint64_t loc, int xmm)
{
    int p = fpinned(x, loc, NULL);
    if (p < 0)
        p = wb__x64e_fc_take(x, loc, dbl);
    if (p >= 0) {
        if (p != xmm)
            x64_movaps_rr(&x->a, p, xmm);
        if (xmm == XMM0 && p >= FC_XMM0 && p < FC_XMM0 + FC_N) {
            x->xheld = loc;
            x->xheld_at = x64_pos(&x->a);
        }
        return;
    }
    if (dbl) {
        x64_movs_mr(&x->a, true, slot(x, loc), xmm);
    } else {
        x64_movd_rx(&x->a, false, X64_RAX, xmm);
        store(x, loc, X64_RAX);
    }
    if (xmm == XMM0) {
        x->xheld = loc;
        x->xheld_at = x64_pos(&x->a);
    }
}

#endif
