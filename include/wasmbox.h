/*
 * wasmbox.h - the one public header of libwasmbox, a WebAssembly 2.0 sandbox.
 *
 * Life cycle:
 *
 *   wb_module_load()      bytes -> decode -> validate -> compile, once.  A module
 *   (wb_module_from_wat() the same from the text format)
 *                         is immutable afterwards and may be shared by any number
 *                         of instances and threads.
 *   wb_instantiate()      module + imports + limits -> instance.  An instance
 *                         owns only mutable state (memory, globals, tables).
 *   wb_instance_func()    look up an exported function.
 *   wb_invoke()           call it to completion, with fuel and an interrupt flag,
 *   or wb_call_*()        call it in slices: a call can be suspended (fuel slice
 *                         used up, interrupt, host function asked to yield) and
 *                         resumed later exactly where it stopped.
 *
 * Every fallible function returns a wb_result.  Where a wb_error pointer is
 * taken it may be NULL; when given, it receives the code, a message with the
 * location (byte offset in the module, or function and code offset of a trap)
 * and, for traps, a wasm backtrace.  Nothing in this library aborts the
 * process on bad input: malformed modules, traps, runaway loops, huge memory
 * requests and deep recursion all come back as results.
 *
 * Objects passed to wb_instantiate() as imports (host functions, memories,
 * tables, globals, other instances' exports) must outlive the instance that
 * imports them.  A module must outlive its instances.
 */
#ifndef WASMBOX_H
#define WASMBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WB_VERSION "0.1.0"

/* X(name, message).  Trap messages are the spec suite's own strings, so a
 * spec runner compares text directly. */
#define WB_RESULT_MAP(X)                                                      \
    X(OK, "ok")                                                               \
    X(SUSPENDED, "call suspended")                                            \
    X(EXITED, "process exited")                                               \
    X(ERR_MALFORMED, "malformed module")                                      \
    X(ERR_INVALID, "invalid module")                                          \
    X(ERR_LIMIT, "module exceeds an implementation limit")                    \
    X(ERR_LINK, "incompatible import")                                        \
    X(ERR_NOMEM, "out of host memory")                                        \
    X(ERR_ARG, "invalid argument")                                            \
    X(ERR_NOT_FOUND, "not found")                                             \
    X(ERR_MEMORY_LIMIT, "memory limit exceeded")                              \
    X(ERR_TABLE_LIMIT, "table limit exceeded")                                \
    X(TRAP_UNREACHABLE, "unreachable")                                        \
    X(TRAP_MEMORY_OOB, "out of bounds memory access")                         \
    X(TRAP_TABLE_OOB, "out of bounds table access")                           \
    X(TRAP_DIV_ZERO, "integer divide by zero")                                \
    X(TRAP_INT_OVERFLOW, "integer overflow")                                  \
    X(TRAP_INVALID_CONVERSION, "invalid conversion to integer")               \
    X(TRAP_UNDEFINED_ELEMENT, "undefined element")                            \
    X(TRAP_UNINITIALIZED_ELEMENT, "uninitialized element")                    \
    X(TRAP_INDIRECT_TYPE, "indirect call type mismatch")                      \
    X(TRAP_STACK_EXHAUSTED, "call stack exhausted")                           \
    X(TRAP_OUT_OF_FUEL, "fuel exhausted")                                     \
    X(TRAP_INTERRUPTED, "interrupted")                                        \
    X(TRAP_HOST, "host function failed")

typedef enum wb_result {
#define WB__ENUM(name, msg) WB_##name,
    WB_RESULT_MAP(WB__ENUM)
#undef WB__ENUM
    WB_RESULT_COUNT_
} wb_result;

/* "TRAP_DIV_ZERO" etc., and the message above.  Never NULL. */
const char *wb_result_name(wb_result r);
const char *wb_result_message(wb_result r);
/* True for the WB_TRAP_* codes. */
bool wb_result_is_trap(wb_result r);

/* ---- values ------------------------------------------------------------ */

typedef enum wb_valtype {
    WB_I32 = 0x7f,
    WB_I64 = 0x7e,
    WB_F32 = 0x7d,
    WB_F64 = 0x7c,
    WB_V128 = 0x7b,
    WB_FUNCREF = 0x70,
    WB_EXTERNREF = 0x6f,
} wb_valtype;

typedef struct wb_func wb_func;

/* Floats are carried as bits so NaN payloads survive every copy. */
typedef struct wb_val {
    uint8_t type; /* a wb_valtype */
    union {
        int32_t i32;
        int64_t i64;
        uint32_t f32_bits;
        uint64_t f64_bits;
        uint8_t v128[16];
        wb_func *func;   /* funcref; NULL is ref.null func */
        void *extern_;   /* externref; NULL is ref.null extern */
    } of;
} wb_val;

wb_val wb_i32(int32_t v);
wb_val wb_i64(int64_t v);
wb_val wb_f32(float v);
wb_val wb_f64(double v);

/* A function type.  types[0..nparams) are the parameters, then the results. */
typedef struct wb_functype {
    uint32_t nparams;
    uint32_t nresults;
    const uint8_t *types;
} wb_functype;

/* ---- errors ------------------------------------------------------------ */

#define WB_BACKTRACE_MAX 16

typedef struct wb_frame_info {
    uint32_t func;        /* function index in its module */
    uint32_t code_offset; /* byte offset of the instruction in the module */
    /* From the name section, or NULL.  Not NUL-terminated (it points into the
     * module, which must outlive its use): print it with "%.*s", name_len. */
    const char *name;
    uint32_t name_len;
} wb_frame_info;

typedef struct wb_error {
    wb_result code;
    uint64_t offset;     /* byte offset in the module (load errors) */
    char message[512];   /* full sentence with location */
    uint32_t nframes;    /* traps: innermost first */
    wb_frame_info frames[WB_BACKTRACE_MAX];
} wb_error;

/* ---- modules ----------------------------------------------------------- */

typedef struct wb_module wb_module;

/* Decode, validate and compile `len` bytes.  The bytes are copied; the caller
 * may free them on return.  On failure *out is NULL and err says where
 * ("section 10, offset 0x1f3: type mismatch in i32.add, expected i32 got f64"). */
wb_result wb_module_load(const uint8_t *bytes, size_t len, wb_module **out, wb_error *err);
void wb_module_free(wb_module *m);

/* Options of a load.  Compiling is linear in the module's size, but a large
 * module still takes a while: a host that must answer a cancel meanwhile
 * (a database's statement_timeout) gives its interrupt flag, which the
 * compiler reads every few thousand instructions.  When it is non-zero
 * the load ends with WB_TRAP_INTERRUPTED and nothing is kept. */
typedef struct wb_load_opts {
    const volatile int *interrupt;
} wb_load_opts;
wb_result wb_module_load_ex(const uint8_t *bytes, size_t len, const wb_load_opts *opts, wb_module **out,
                            wb_error *err);

/* The text format.  A .wat text is either one (module ...) or the fields of
 * a module alone.  Syntax errors read "LINE:COL: reason" ("3:17: unknown
 * operator i32.addd"), and so do validation errors of a text module: the
 * byte offset is mapped back to the text.  wb_wat_to_wasm hands back the
 * binary encoding in *out (release it with wb_free). */
wb_result wb_wat_to_wasm(const char *text, size_t len, uint8_t **out, size_t *out_len, wb_error *err);
wb_result wb_module_from_wat(const char *text, size_t len, wb_module **out, wb_error *err);
struct wb_load_opts;
wb_result wb_module_from_wat_ex(const char *text, size_t len, const struct wb_load_opts *opts, wb_module **out,
                                wb_error *err);
void wb_free(void *p);

typedef enum wb_extern_kind {
    WB_EXTERN_FUNC = 0,
    WB_EXTERN_TABLE = 1,
    WB_EXTERN_MEMORY = 2,
    WB_EXTERN_GLOBAL = 3,
} wb_extern_kind;

typedef struct wb_limits_desc {
    uint32_t min;
    uint32_t max;
    bool has_max;
} wb_limits_desc;

/* An import or export of a module.  Names are UTF-8, not NUL-terminated
 * inside the wasm (they may contain NUL); lengths are given. */
typedef struct wb_extern_desc {
    const char *module; /* imports only */
    size_t module_len;
    const char *name;
    size_t name_len;
    wb_extern_kind kind;
    uint32_t index; /* index in its index space */
    union {
        wb_functype func;
        struct { uint8_t elem; wb_limits_desc limits; } table;
        wb_limits_desc memory; /* in 64 KiB pages */
        struct { uint8_t type; bool mutable_; } global;
    } type;
} wb_extern_desc;

/* The declared limits of memory 0 (own or imported), in pages; false when
 * the module has no memory. */
bool wb_module_memory_limits(const wb_module *m, wb_limits_desc *out);

uint32_t wb_module_import_count(const wb_module *m);
uint32_t wb_module_export_count(const wb_module *m);
/* Describe import / export i; WB_ERR_NOT_FOUND when i >= the count. */
wb_result wb_module_import(const wb_module *m, uint32_t i, wb_extern_desc *out);
wb_result wb_module_export(const wb_module *m, uint32_t i, wb_extern_desc *out);

/* ---- host objects and externs ------------------------------------------ */

typedef struct wb_instance wb_instance;
typedef struct wb_memory wb_memory;
typedef struct wb_table wb_table;
typedef struct wb_global wb_global;
typedef struct wb_host_ctx wb_host_ctx;

/* A host function.  It reads args (already type-checked) and writes results.
 * Returning WB_OK continues the guest; a WB_TRAP_* code (or WB_EXITED) ends
 * the call with that result; WB_SUSPENDED suspends the call, and on
 * wb_call_resume() the same host function is called again with the same
 * arguments (so a host that waits, such as a sleep, keeps its own progress). */
typedef wb_result (*wb_host_fn)(wb_host_ctx *ctx, const wb_val *args, wb_val *results);

/* The instance whose code made the call (to reach its memory), and the
 * user pointer given to wb_func_new_host(). */
wb_instance *wb_host_instance(wb_host_ctx *ctx);
void *wb_host_user(wb_host_ctx *ctx);
/* Message for a WB_TRAP_HOST result, copied into the trap. */
void wb_host_set_message(wb_host_ctx *ctx, const char *msg);
/* Fuel for the host function's own work, on top of the fixed charge of a
 * call from wasm (100 units): a host that copies or produces n bytes should
 * charge about n / 16, as memory.copy does, so that a guest cannot outrun
 * its budget through host calls.  Charged when the function returns WB_OK;
 * calls the host makes directly (wb_call_start on a host function) are not
 * charged. */
void wb_host_charge(wb_host_ctx *ctx, uint64_t units);
/* WASI-style exit: set the code, then return WB_EXITED. */
void wb_host_set_exit_code(wb_host_ctx *ctx, int code);

wb_func *wb_func_new_host(const wb_functype *type, wb_host_fn fn, void *user);
void wb_func_free(wb_func *f); /* host functions only */
const wb_functype *wb_func_type(const wb_func *f);

wb_memory *wb_memory_new(uint32_t min_pages, uint32_t max_pages, bool has_max);
wb_table *wb_table_new(uint8_t elem, uint32_t min, uint32_t max, bool has_max);
wb_global *wb_global_new(wb_val value, bool mutable_);
void wb_memory_free(wb_memory *m);
void wb_table_free(wb_table *t);
void wb_global_free(wb_global *g);

typedef struct wb_extern {
    wb_extern_kind kind;
    union {
        wb_func *func;
        wb_table *table;
        wb_memory *memory;
        wb_global *global;
    } of;
} wb_extern;

/* Linear memory.  Pointers from wb_memory_data() are invalidated by growth. */
uint8_t *wb_memory_data(wb_memory *m);
uint64_t wb_memory_size(const wb_memory *m); /* bytes */
/* Bounds-checked copies: WB_TRAP_MEMORY_OOB when [offset, offset+len) is out. */
wb_result wb_memory_read(wb_memory *m, uint64_t offset, void *buf, size_t len);
wb_result wb_memory_write(wb_memory *m, uint64_t offset, const void *buf, size_t len);
/* Grows by delta pages; returns the old size in pages or -1. */
int64_t wb_memory_grow(wb_memory *m, uint32_t delta);

wb_val wb_global_get(const wb_global *g);
wb_result wb_global_set(wb_global *g, wb_val v); /* type must match */

uint32_t wb_table_size(const wb_table *t);
wb_result wb_table_get(const wb_table *t, uint32_t i, wb_val *out);

/* ---- instances --------------------------------------------------------- */

/* Per-instance limits.  Zero in any field means the built-in default
 * (see src/limits.h).  A field may lower a default, never raise a hard cap. */
typedef struct wb_instance_limits {
    uint64_t max_memory_bytes; /* linear memory cap; growth beyond it fails */
    uint32_t max_table_elems;  /* per table */
} wb_instance_limits;

/* imports[i] satisfies wb_module_import(m, i).  Kinds and types are checked
 * (WB_ERR_LINK, "incompatible import type" / "unknown import").  Active data
 * and element segments are applied and the start function runs, with the
 * given call options (NULL for defaults).  On failure *out is NULL, except
 * after a trap (WB_TRAP_*) in a segment or the start function: the writes
 * made so far to imported tables and memories persist, as the spec says, and
 * may refer to this instance's functions, so *out is then the partly
 * initialised instance, which the caller must free once nothing uses it. */
typedef struct wb_call_opts wb_call_opts;
wb_result wb_instantiate(const wb_module *m, const wb_extern *imports, uint32_t nimports,
                         const wb_instance_limits *limits, const wb_call_opts *start_opts,
                         wb_instance **out, wb_error *err);
void wb_instance_free(wb_instance *inst);

const wb_module *wb_instance_module(const wb_instance *inst);
/* Exports by name (len bytes).  WB_ERR_NOT_FOUND when absent. */
wb_result wb_instance_export(wb_instance *inst, const char *name, size_t len, wb_extern *out);
/* Shorthands: NULL when absent or of another kind.  name is NUL-terminated. */
wb_func *wb_instance_func(wb_instance *inst, const char *name);
wb_memory *wb_instance_memory(wb_instance *inst); /* memory 0, or NULL */
/* True once a memory.grow was refused because of max_memory_bytes, so a host
 * can report a memory bomb as such. */
bool wb_instance_memory_limit_hit(const wb_instance *inst);
/* What the instance's state takes against its memory cap now, in bytes:
 * its own linear memory, table elements, globals and function references
 * (what max_memory_bytes bounds, as counted there; imported memories and
 * tables count for their owner). */
uint64_t wb_instance_footprint(const wb_instance *inst);
void *wb_instance_user(const wb_instance *inst);
/* The message a guest left before it trapped (a Rust panic, an
 * AssemblyScript abort, through wasmbox's SDKs): the module exports an i32
 * global "wasmbox_trap_message" holding the address of a (u32 pointer, u32
 * length) pair, little-endian, which the guest points at UTF-8 text just
 * before `unreachable`.  Copies at most cap - 1 bytes, cut at the first that
 * is not valid UTF-8, NUL-terminated; returns the length, 0 when there is
 * none.  Reads memory only: no guest code runs. */
size_t wb_guest_trap_message(wb_instance *inst, char *buf, size_t cap);
/* The length of the longest prefix of text[0..n) that is whole, valid UTF-8
 * (no overlong forms, surrogates or code points past U+10FFFF), n when all
 * of it is: how the database hosts check the text a guest returns. */
size_t wb_utf8_prefix(const void *text, size_t n);
/* The SQL signature a guest declares for an export (the SDKs' "wasmbox.sql"
 * custom section, one "export(type, ...) -> type" a line), read from the
 * bytes of a binary module: a pointer to the text after the name, "(...)
 * -> type", and its length in *len; NULL when there is none.  The database
 * hosts parse it into their own types. */
const char *wb_guest_sql_signature(const uint8_t *bytes, size_t len, const char *export_name, size_t *out_len);
void wb_instance_set_user(wb_instance *inst, void *user);

/* ---- calls ------------------------------------------------------------- */

struct wb_call_opts {
    uint64_t fuel;        /* instruction budget for the call; 0 = unlimited */
    uint32_t max_depth;   /* nested wasm calls; 0 = default */
    uint32_t max_stack;   /* value stack bytes; 0 = default */
    /* Checked at every loop back-edge and call: when *interrupt != 0 the call
     * ends with WB_TRAP_INTERRUPTED (wb_invoke) or is suspended (wb_call_*,
     * where resuming continues).  Safe to set from a signal handler or
     * another thread. */
    const volatile int *interrupt;
};

/* Run f to completion.  nargs/nresults must match its type. */
wb_result wb_invoke(wb_func *f, const wb_val *args, uint32_t nargs, wb_val *results,
                    uint32_t nresults, const wb_call_opts *opts, wb_error *err);

/* Resumable calls.  A wb_call holds the engine stack of one call in progress;
 * it can be reused for a new call once the previous one finished. */
typedef struct wb_call wb_call;
wb_call *wb_call_new(const wb_call_opts *opts);
void wb_call_free(wb_call *c);
/* Suspend after `slice` units of fuel (0: no slicing).  The total budget in
 * opts.fuel still traps with WB_TRAP_OUT_OF_FUEL when spent. */
void wb_call_set_slice(wb_call *c, uint64_t slice);
/* Start a call.  Returns WB_OK (finished), WB_SUSPENDED, a trap, or WB_EXITED. */
wb_result wb_call_start(wb_call *c, wb_func *f, const wb_val *args, uint32_t nargs);
wb_result wb_call_resume(wb_call *c);
/* Results of a finished call; returns how many were written. */
uint32_t wb_call_results(const wb_call *c, wb_val *out, uint32_t max);
/* The lane for a host that calls one function many times (a database's
 * per-row call): values cross as raw 64-bit cells, the engine's own
 * layout, with no type tags and no checks.  An i32 or f32 is the low 32
 * bits of its cell (the high bits zero), an i64 or f64 the whole cell, a
 * reference a pointer, a v128 two cells.  io holds the arguments and, after
 * WB_OK, the results: room for the larger of the two.  The caller checks
 * f's type once (wb_func_type).  After WB_SUSPENDED and a wb_call_resume
 * that returns WB_OK, wb_call_result_cells reads the results. */
wb_result wb_call_start_cells(wb_call *c, wb_func *f, uint64_t *io);
uint32_t wb_call_result_cells(const wb_call *c, uint64_t *out, uint32_t max_cells);
/* Trap details of the last call, or NULL when it did not trap. */
const wb_error *wb_call_error(const wb_call *c);
uint64_t wb_call_fuel_used(const wb_call *c);
int wb_call_exit_code(const wb_call *c); /* after WB_EXITED */
/* Ask a running call (from another thread or a signal handler) to stop at
 * its next check point, as the interrupt flag does. */
void wb_call_interrupt(wb_call *c);

#ifdef __cplusplus
}
#endif
#endif /* WASMBOX_H */
