/*
 * internal.h - structures shared by the engine's files.
 *
 *   decode.c    bytes -> wb_module (everything but function bodies checked)
 *   compile/    validates each function body and compiles it: frontend.c
 *               (one pass over the bytecode) driving an emitter (emit.h):
 *               emit_slot.c writes the interpreter's slot code, emit_x64*.c
 *               x86-64 machine code beside it (x64.c is their assembler)
 *   code.c      the op table of slot code (code.h)
 *   jit.c       maps the module's machine code and links its calls
 *   module.c    wb_module_load() and module inspection
 *   instance.c  instantiation, linking, memories, tables, globals, host funcs
 *   memory.c    linear-memory allocation (lazy, pooled, explicit bounds)
 *   interp.c    the interpreter and the wb_call / wb_invoke API
 *   simd.c      v128 semantics and the SIMD opcode table
 *   opnames.c   instruction names (compile.c messages, wat*.c mnemonics)
 *   wat*.c      the text format: lexer, module parser and encoder (wat.h)
 *   errors.c    result names and the error funnel
 *
 * Public names are wb_*, internal non-static ones wb__*.
 */
#ifndef WB_INTERNAL_H
#define WB_INTERNAL_H

#include "wasmbox.h"
#include "limits.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define WB_LIKELY(x) __builtin_expect(!!(x), 1)
#define WB_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define WB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define WB_LIKELY(x) (x)
#define WB_UNLIKELY(x) (x)
#define WB_PRINTF(a, b)
#endif

/* One value-stack slot.  i32/i64/f32/f64/refs take one slot (low bytes,
 * little endian), v128 takes two consecutive slots. */
typedef uint64_t wb__slot;

static inline uint32_t wb__type_slots(uint8_t t) { return t == WB_V128 ? 2u : 1u; }
static inline bool wb__is_ref(uint8_t t) { return t == WB_FUNCREF || t == WB_EXTERNREF; }
static inline bool wb__is_valtype(uint8_t t)
{
    return t == WB_I32 || t == WB_I64 || t == WB_F32 || t == WB_F64 || t == WB_V128 ||
           t == WB_FUNCREF || t == WB_EXTERNREF;
}
const char *wb__type_name(uint8_t t); /* "i32", ..., "funcref" */

/* ---- errors (errors.c) ---------------------------------------------------- */

/* The one funnel for load and link errors: sets err (if non-NULL) and returns
 * code.  message is formatted as printf. */
wb_result wb__error(wb_error *err, wb_result code, uint64_t offset, const char *fmt, ...)
    WB_PRINTF(4, 5);
wb_result wb__verror(wb_error *err, wb_result code, uint64_t offset, const char *fmt, va_list ap);

/* ---- module --------------------------------------------------------------- */

typedef struct wb__type {
    wb_functype ft;       /* types points into the module's arena; first: a
                           * wb_func's type (always some wb__type's ft) is one */
    uint16_t param_slots; /* sum of wb__type_slots over params (at most 2 * WB_MAX_PARAMS) */
    uint16_t result_slots;
    uint32_t sig;         /* wb__type_sig(&ft) */
} wb__type;
/* Every host function carries one (wasmboxd makes a few per sandbox). */
_Static_assert(sizeof(wb__type) == 24, "a wb__type is 24 bytes");

/* Structural equality of function types (call_indirect across modules, linking). */
bool wb__type_equal(const wb_functype *a, const wb_functype *b);
/* A type as one number, for machine code's call_indirect into another
 * module: equal numbers are equal types; 0 for a type of more than 7
 * values, which it leaves to the interpreter to compare. */
uint32_t wb__type_sig(const wb_functype *t);

/* A constant expression.  WebAssembly 2.0 allows exactly one instruction. */
enum {
    WB__CE_I32 = 0x41,
    WB__CE_I64 = 0x42,
    WB__CE_F32 = 0x43,
    WB__CE_F64 = 0x44,
    WB__CE_GLOBAL_GET = 0x23,
    WB__CE_REF_NULL = 0xd0,
    WB__CE_REF_FUNC = 0xd2,
    WB__CE_V128 = 0xfd, /* v128.const */
};
typedef struct wb__constexpr {
    uint8_t op;      /* WB__CE_* */
    uint8_t type;    /* the value type it produces */
    uint32_t index;  /* global.get / ref.func index */
    uint8_t bytes[16]; /* const value, little endian (i32/f32: 4 bytes, ...) */
} wb__constexpr;

typedef struct wb__import {
    const char *module;
    uint32_t module_len;
    const char *name;
    uint32_t name_len;
    uint8_t kind;   /* wb_extern_kind */
    uint32_t index; /* index in that kind's index space */
} wb__import;

typedef struct wb__export {
    const char *name;
    uint32_t name_len;
    uint8_t kind;
    uint32_t index;
} wb__export;

typedef struct wb__tabletype {
    uint8_t elem; /* WB_FUNCREF or WB_EXTERNREF */
    uint32_t min, max;
    bool has_max;
} wb__tabletype;

typedef struct wb__memtype {
    uint32_t min, max; /* pages */
    bool has_max;
} wb__memtype;

typedef struct wb__globaltype {
    uint8_t type;
    bool mut;
    wb__constexpr init; /* defined globals only */
} wb__globaltype;

enum { WB__SEG_ACTIVE = 0, WB__SEG_PASSIVE = 1, WB__SEG_DECLARATIVE = 2 };

typedef struct wb__elem {
    uint8_t mode;  /* WB__SEG_* */
    uint8_t type;  /* WB_FUNCREF or WB_EXTERNREF */
    uint32_t table;
    wb__constexpr offset; /* active only, i32 */
    uint32_t count;
    wb__constexpr *items; /* each WB__CE_REF_FUNC, WB__CE_REF_NULL or WB__CE_GLOBAL_GET */
} wb__elem;

typedef struct wb__data {
    uint8_t mode; /* WB__SEG_ACTIVE or WB__SEG_PASSIVE */
    uint32_t memory;
    wb__constexpr offset;
    const uint8_t *bytes; /* points into wb_module.bytes */
    uint32_t len;
} wb__data;

/* One cell of compiled code; see code.h for the format. */
typedef union wb__cell {
    const void *op;
    uint64_t u64;
    int64_t i64;
    struct {
        uint32_t a, b;
    } p;
} wb__cell;

/* pc -> wasm byte offset, for trap locations and backtraces. */
typedef struct wb__pcmap {
    uint32_t cell;   /* index of the instruction's first cell */
    uint32_t offset; /* byte offset in the module */
} wb__pcmap;

/* A function's machine code (jit.c, code.h). */
struct wb__jit_ctx;
typedef uint32_t (*wb__jit_fn)(char *fpb, uint8_t *mem, uint64_t memsize, struct wb__jit_ctx *ctx);

/* A call from a function's machine code to another defined function's
 * (compile/emit_x64.c): jit.c points the call at the callee's code, or,
 * when the callee has none, leaves the guard jump to the interpreter. */
typedef struct wb__x64_call {
    uint32_t call;   /* the call's rel32 */
    uint32_t guard;  /* a jmp's rel32: to the interpreter, or 0 to go on */
    const struct wb__func *callee;
} wb__x64_call;

/* A function defined in the module (not imported). */
typedef struct wb__func {
    uint32_t index;       /* in the function index space */
    uint32_t type_idx;
    const wb__type *type;
    uint32_t body_offset; /* module offset of the body's first byte (after its size) */
    uint32_t body_len;
    uint32_t expr_offset; /* module offset of the first instruction (after locals) */
    uint32_t nlocals;     /* declared locals, params excluded */
    uint8_t *local_types;

    /* Filled by the compiler (compile/). */
    wb__cell *code;
    uint32_t ncode;
    uint32_t frame_slots; /* params + locals + constants + max operand height */
    uint32_t local_slots; /* slots of params + locals */
    uint32_t nconsts;     /* constants, copied into the frame after the locals */
    wb__slot *consts;
    uint64_t entry_fuel;  /* fuel charged on entry */
    wb__pcmap *pcmap;
    uint32_t npcmap;

    /* Filled by jit.c when the function has machine code: the interpreter
     * enters it through JIT_ENTER in cell 0, a host call directly (interp.c). */
    wb__jit_fn jit;
    bool jit_enter;      /* interp.c puts JIT_ENTER in cell 0 */
    /* Machine code from the x86-64 emitter (compile/emit_x64.c) until jit.c
     * maps it (then NULL): position-independent, code.h's contract. */
    uint8_t *x64;
    uint32_t nx64;
    uint32_t x64_direct;   /* offset of the entry compiled callers call */
    uint32_t x64_resume;   /* offset of the entry at a loop's head (ctx->resume says which) */
    uint32_t x64_start;    /* offset of the entry that makes the frame itself (a host's call) */
    /* The loops' heads that machine code can be entered at, by the
     * interpreter at a back-edge (after a slice ran out, or after a leave):
     * pairs of (cell, offset in the function's code), by cell. */
    uint32_t *loop_entry;
    uint32_t nloop_entry;
    wb__jit_fn jit_resume; /* jit.c: that entry, mapped */
    /* And this one, a host's call: the arguments in place, nothing else of
     * the frame; one engine frame in use (ctx->nframes is not read), the
     * memory the instance's (the arguments for it are not read), all the
     * call's fuel in the context (it charges the entry's). */
    wb__jit_fn jit_start;
    struct wb__x64_call *x64_calls; /* its calls to other functions, for jit.c to link */
    uint32_t nx64_calls;
    const void *jit_op0; /* cell 0's own handler when JIT_ENTER replaced it, else NULL */
} wb__func;

typedef struct wb__name {
    uint32_t index;
    const char *name;
    uint32_t len;
} wb__name;

struct wb_module {
    uint8_t *bytes; /* owned copy of the binary */
    size_t len;

    uint32_t ntypes;
    wb__type *types;

    uint32_t nimports;
    wb__import *imports;

    uint32_t nfuncs; /* imported + defined */
    uint32_t nimported_funcs;
    uint32_t *func_type_idx; /* per function index */
    wb__func *funcs;         /* defined: funcs[i - nimported_funcs] */
    void *jit_mem;           /* machine code of the functions (jit.c), or NULL */
    size_t jit_len;

    uint32_t ntables, nimported_tables;
    wb__tabletype *tables;
    uint32_t nmems, nimported_mems;
    wb__memtype *mems;
    uint32_t nglobals, nimported_globals;
    wb__globaltype *globals;

    uint32_t nexports;
    wb__export *exports;

    bool has_start;
    uint32_t start;

    uint32_t nelems;
    wb__elem *elems;

    bool has_datacount;
    uint32_t datacount;
    uint32_t ndatas;
    wb__data *datas;

    /* Functions that ref.func may name in code: those in element segments,
     * exports and global initialisers (spec "C.refs").  Bitmap, nfuncs bits. */
    uint8_t *declared_funcs;

    /* Function names from the "name" custom section, sorted by index. */
    uint32_t nnames;
    wb__name *names;

    /* Every allocation of the module, freed together. */
    struct wb__arena *arena;
};

/* Module arena: allocations live until wb_module_free. */
void *wb__alloc(wb_module *m, size_t size);  /* zeroed; NULL on OOM */

/* decode.c: parses m->bytes (m->len) into m.  Function bodies are located
 * and their locals decoded, but not validated (compile/ does that).  All
 * other validation rules of the spec are checked here. */
wb_result wb__decode(wb_module *m, wb_error *err);

/* compile/frontend.c: validate and compile one defined function. */
/* interrupt: the load's flag (wb_load_opts), or NULL. */
wb_result wb__compile(wb_module *m, wb__func *f, const volatile int *interrupt, wb_error *err);

/* opnames.c: instruction names by opcode (NULL for holes; 0x1b and 0x1c are
 * both "select"), and of the 0xFC-prefixed sub-opcodes 0..17. */
extern const char *const wb__opnames[256];
extern const char *const wb__fcnames[18];

/* Well-formed UTF-8 (utf8.c: wb_utf8_prefix). */
static inline bool wb__utf8_valid(const uint8_t *s, size_t n) { return wb_utf8_prefix(s, n) == n; }

const char *wb__func_name(const wb_module *m, uint32_t index, uint32_t *len);

/* ---- runtime objects -------------------------------------------------------- */

struct wb_func {
    const wb_functype *type;
    wb_instance *inst;   /* NULL for host functions */
    const wb__func *code; /* NULL for host functions */
    wb_host_fn host;
    void *user;
    wb__type host_type;  /* host functions: owned copy of the type */
};

/* What an instance's state takes against its cap (wb_instance_limits.
 * max_memory_bytes): linear memory, table elements, globals and function
 * references, in bytes.  An instance's own memory and tables point to its
 * budget, so growth is charged to the owner whoever grows them (an importer
 * included); host-made memories and tables have none and only their max. */
typedef struct wb__budget {
    uint64_t used, max;
    bool hit; /* something was refused for want of budget */
} wb__budget;

static inline bool wb__budget_take(wb__budget *b, uint64_t bytes)
{
    if (!b)
        return true;
    if (bytes > b->max - b->used) {
        b->hit = true;
        return false;
    }
    b->used += bytes;
    return true;
}

static inline bool wb__budget_fits(const wb__budget *b, uint64_t bytes)
{
    return !b || bytes <= b->max - b->used;
}

static inline void wb__budget_give(wb__budget *b, uint64_t bytes)
{
    if (b)
        b->used -= bytes;
}

struct wb_memory {
    uint8_t *data;
    uint64_t size;      /* bytes = pages * WB_PAGE_SIZE */
    uint32_t pages;
    uint32_t max_pages; /* effective: min(declared max, instance cap) */
    bool has_max;       /* declared max (for import type checks) */
    uint32_t decl_max;
    bool limit_hit;     /* a grow was refused by the instance cap */
    bool owned_struct;  /* freed by wb_memory_free / wb_instance_free */
    size_t reserved;    /* bytes reserved at data (memory.c) */
    wb__budget *budget; /* of the owning instance, or NULL */
};

struct wb_table {
    void **elems; /* wb_func* or externref */
    uint32_t size;
    uint32_t cap;      /* elements allocated (wb__table_grow doubles it) */
    uint32_t max;      /* effective cap */
    bool has_max;
    uint32_t decl_max;
    uint8_t elem;
    wb__budget *budget; /* of the owning instance, or NULL */
};

struct wb_global {
    uint8_t type;
    bool mut;
    wb__slot value[2];
};

struct wb_instance {
    const wb_module *module;
    wb_memory *mem; /* memory 0, own or imported; NULL if none */
    wb_table **tables;
    wb_global **globals;
    wb_func **imported_funcs; /* nimported_funcs entries */
    wb_func *funcrefs;        /* lazily: one per defined function (ref.func, elems, exports) */
    uint8_t *dropped_elems;   /* bitmap */
    uint8_t *dropped_datas;   /* bitmap */
    wb_instance_limits limits;
    wb__budget budget;
    void *user;
};

/* jit.c: translate the module's compiled functions to machine code where
 * the platform allows (x86-64 Linux) and WASMBOX_JIT is not 0; otherwise,
 * and on any failure, they stay interpreted. */
void wb__jit_module(wb_module *m);
void wb__jit_free(wb_module *m);

/* interp.c: the compiled code's op ids become handler addresses (code.h);
 * last step of a load, after wb__jit_module. */
void wb__interp_link(wb_module *m);
/* How often machine code handed call c's activation to the interpreter to
 * go on there (not counting stops: traps, suspensions, fuel, exits); for
 * tests, which check that an op runs as machine code. */
uint32_t wb__call_jit_leaves(const wb_call *c);

/* instance.c */
/* The wb_func for function index `idx` of inst (imported or defined).
 * Defined functions' wb_func objects are created on first use; NULL on OOM. */
wb_func *wb__instance_funcref(wb_instance *inst, uint32_t idx);
/* table.grow: n elements set to init; the old size, or -1 when refused
 * (the table's max, its budget, or host memory). */
int64_t wb__table_grow(wb_table *t, uint32_t n, void *init);
/* Evaluate a constant expression in inst: writes 1 or 2 slots. */
void wb__eval_const(wb_instance *inst, const wb__constexpr *ce, wb__slot out[2]);

/* memory.c: linear memory storage.  Fresh and grown bytes read as zero; pages
 * not written cost no RSS; freed memory is never handed out unzeroed. */
wb_result wb__memory_init(wb_memory *mem, uint32_t pages, uint32_t max_pages);
int64_t wb__memory_grow(wb_memory *mem, uint32_t delta); /* old pages or -1 */
void wb__memory_release(wb_memory *mem);

/* ---- SIMD (simd.c) ------------------------------------------------------------ */

/* How a 0xFD-prefixed opcode is validated and compiled. */
enum {
    WB__SIMD_NONE = 0,   /* not an opcode */
    WB__SIMD_PURE,       /* pops params, pushes result; no immediate */
    WB__SIMD_LANE,       /* pure, with a lane-index immediate byte (< lanes) */
    WB__SIMD_SHUFFLE,    /* i8x16.shuffle: 16 lane bytes, each < 32 */
    WB__SIMD_CONST,      /* v128.const: 16 bytes */
    WB__SIMD_LOAD,       /* memarg; pops i32 address, pushes v128 */
    WB__SIMD_STORE,      /* memarg; pops i32 address and v128 */
    WB__SIMD_LOAD_LANE,  /* memarg + lane; pops address, v128; pushes v128 */
    WB__SIMD_STORE_LANE, /* memarg + lane; pops address, v128 */
};

/* Semantics of one SIMD opcode, as one signature for all kinds.
 *   d   : where the result goes (v128: 16 bytes; scalar: its 8-byte slot)
 *   a,b,c: operands in push order (v128: 16 bytes; scalar: 8-byte slot)
 *   imm : the lane index byte, or the 16 shuffle bytes, or NULL
 * For LOAD kinds, `a` points at the bytes in linear memory (bounds already
 * checked, mem_bytes long) and, for LOAD_LANE, `b` is the v128 operand.  For
 * STORE kinds, `d` points at linear memory and `a` at the v128 operand.
 * Slots and memory may be unaligned: use memcpy. */
typedef void (*wb__simd_fn)(void *d, const void *a, const void *b, const void *c, const uint8_t *imm);

typedef struct wb__simd_op {
    const char *name;     /* "i32x4.add" */
    uint8_t kind;         /* WB__SIMD_* */
    uint8_t nparams;
    uint8_t params[3];    /* value types popped, in push order */
    uint8_t result;       /* value type pushed, 0 for none */
    uint8_t lanes;        /* LANE, LOAD_LANE, STORE_LANE: number of lanes */
    uint8_t mem_bytes;    /* LOAD/STORE kinds: bytes accessed */
    uint8_t max_align;    /* LOAD/STORE kinds: log2 of natural alignment */
    wb__simd_fn fn;       /* NULL when `own` is set */
    uint16_t own;         /* a wb__opid with a handler of its own in interp.c, or 0 */
} wb__simd_op;

#define WB__SIMD_OPCODES 0x114 /* sub-opcodes 0 .. 0x113 */
/* Indexed by the LEB128 sub-opcode after 0xFD; kind WB__SIMD_NONE for holes. */
extern const wb__simd_op wb__simd_ops[WB__SIMD_OPCODES];
/* The function to run sub-opcode `sub` with: its table entry's, or a faster
 * one this CPU has instructions for. */
wb__simd_fn wb__simd_impl(uint32_t sub);

#endif
