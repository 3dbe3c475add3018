/*
 * wasm_pg.h - internal interface of the PostgreSQL extension `wasm`.
 *
 * The extension is split by job:
 *   handler.c   the entry points PostgreSQL calls: _PG_init, the call
 *               handler, the inline handler, the validator (thin)
 *   limits.c    the GUCs, effective limits, the engine's call options
 *   cache.c     per-backend caches: compiled modules, instances per role,
 *               the catalog look-ups that fill them, their invalidation
 *   call.c      running guests: the call path (hot), the canonical ABI, DO
 *   plang.c     function bodies, compiling, types and signatures, pg_proc rows
 *   errors.c    engine results and load failures as SQL errors
 *   loader.c    wasm.load / wasm_new_instance / wasm.drop_instance
 *   stats.c     per-backend call statistics (the wasm.stats view)
 *
 * Engine objects (wb_module, wb_instance) are malloc'ed by libwasmbox; each
 * is owned by a PostgreSQL memory context whose reset callback frees it, so
 * deleting the context is the one way to release a cached object.
 */
#ifndef WASM_PG_H
#define WASM_PG_H

#include "postgres.h"

#include "access/htup.h"
#include "fmgr.h"
#include "storage/itemptr.h"

#include "wasmbox.h"

/* SQL types a wasm function can take or return, and how they cross. */
typedef enum wpg_kind {
    WK_VOID,   /* result only: no wasm result */
    WK_BOOL,   /* i32, 0 or 1 (any non-zero result is true) */
    WK_INT2,   /* i32, range-checked on return */
    WK_INT4,   /* i32 */
    WK_INT8,   /* i64 */
    WK_FLOAT4, /* f32 */
    WK_FLOAT8, /* f64 */
    WK_TEXT,   /* canonical ABI string: (ptr, len) of UTF-8 */
    WK_BYTEA,  /* canonical ABI list<u8>: (ptr, len) */
} wpg_kind;

#define WK_IS_BYREF(k) ((k) == WK_TEXT || (k) == WK_BYTEA)

/* ---- limits (limits.c) ------------------------------------------------------ */

extern void wpg_define_gucs(void);
/* Effective limits: the administrator's value lowered by the user's. */
extern uint64 wpg_effective_fuel(void);
extern uint64 wpg_effective_max_memory(void);
/* wasm.max_backend_memory in bytes. */
extern uint64 wpg_max_backend_memory(void);
extern int wpg_max_call_depth;
extern bool wpg_track_time;
/* The fuel of a call made while PostgreSQL holds interrupts: the smaller of
 * wasm.held_fuel_per_call and the effective fuel. */
extern uint64 wpg_held_fuel(void);
extern int wpg_held_time_per_call; /* ms */
/* Where interrupts are held, instantiating and compiling run against a
 * deadline wasm.held_time_per_call from now: start it (the flag to pass to
 * the engine, set when the deadline passes) and end it. */
extern const volatile int *wpg_held_deadline_start(void);
extern void wpg_held_deadline_end(void);
/* The engine options of a call (or a start function) made now: fuel, depth,
 * and InterruptPending as the interrupt flag when interrupts can be served;
 * the held budget's fuel and no flag when they cannot. */
extern wb_call_opts wpg_call_opts(void);
/* Bumped when the fuel or depth limits change: the wb_call objects that
 * carry them are rebuilt. */
extern uint64 wpg_call_generation;

/* ---- caches (cache.c) ------------------------------------------------------ */

/* Registers the invalidation callbacks (from _PG_init). */
extern void wpg_cache_init(void);

/* Bumped whenever something cached may be stale: catalog changes, pg_proc
 * changes, a discarded instance, a changed memory limit.  A call compares
 * its FmgrInfo cache's copy with it, one load and compare per call. */
extern uint64 wpg_generation;

typedef struct wpg_module wpg_module;

typedef struct wpg_instance {
    struct wpg_instance *next;
    wpg_module *module;
    Oid role;
    uint64 setting;    /* wpg_effective_max_memory() when it was made */
    uint64 cap;        /* its memory cap: the setting, or less if the backend's total left less */
    uint64 size;       /* memory 0's size as last counted in the backend's total */
    uint64 last_use;   /* when it last became wpg_mem_current: eviction takes the oldest */
    MemoryContext cxt; /* owns this struct; its reset callback frees inst */
    wb_instance *inst;
    wb_memory *mem;     /* memory 0, or NULL */
    wb_func *realloc;   /* cabi_realloc, or NULL */
    bool dirty;         /* an error left a call half done: discard */
} wpg_instance;

struct wpg_module {
    /* Identity: a catalog module (id > 0) or a function's inline body
     * (fn_oid valid, id 0). */
    int64 id;
    Oid fn_oid;
    TransactionId xmin; /* of the catalog row or pg_proc tuple */
    ItemPointerData tid;
    Oid owner;          /* catalog modules: the owner role */
    char name[NAMEDATALEN]; /* namespace, or the function's name */
    MemoryContext cxt;  /* owns this struct, the instances, the engine module */
    wb_module *mod;
    uint64 memory_max;  /* wpg_module_memory_max of its module */
    wpg_instance *instances;
    bool evicted;       /* found stale; deleted at the next sweep */
    struct wpg_module *next;
};

/* Drop cached modules that the catalog or pg_proc no longer backs (called at
 * the start of every resolve; cheap when nothing is stale). */
extern void wpg_sweep(void);
/* The cached module of namespace `ns`, compiled from the catalog if needed.
 * Errors if there is no such module. */
extern wpg_module *wpg_module_by_namespace(const char *ns);
/* The cached inline module of a function, compiled from `body` (read from
 * pg_proc when NULL) if the pg_proc tuple (xmin, tid) is new. */
extern wpg_module *wpg_module_inline(Oid fn_oid, const char *proname, TransactionId xmin,
                                     ItemPointer tid, const char *body);
/* This role's instance of m (created, or re-created after an error or a
 * changed memory limit). */
extern wpg_instance *wpg_instance_get(wpg_module *m);
/* Instantiate a module with the current limits, its start function run
 * with fuel and interrupts; raises the SQL error on failure. */
extern wb_instance *wpg_instantiate(const wb_module *mod, uint64 cap, const char *what);
/* Throw an instance away (after a trap); bumps wpg_generation. */
extern void wpg_instance_discard(wpg_instance *wi);

/* The backend's total of linear memory (wasm.max_backend_memory).  Before
 * every call of an instance X: X's cap + the sizes of all others <= the
 * total, so that X may grow to its cap during the call.  Only the instance
 * last called can have grown since it was counted: that is
 * wpg_mem_current, and a call of it needs no check (one pointer comparison
 * on the hot path); a call of another instance goes through
 * wpg_memory_switch. */
extern wpg_instance *wpg_mem_current;
/* Make wi current: count what the current one grew, evict the least
 * recently used others until wi's room to grow fits.  False (wi discarded)
 * when it cannot fit even alone: the total was lowered below its cap. */
extern bool wpg_memory_switch(wpg_instance *wi);
/* The cap for a new instance (a DO block's too) of a module whose memory
 * can grow to module_max (wpg_module_memory_max): evicts the least recently
 * used instances until that, the effective wasm.max_memory and the total
 * allow, or all are gone. */
extern uint64 wpg_memory_reserve(uint64 module_max);
/* Look up the catalog row of a namespace as the catalog owner.  Returns
 * false when absent. */
extern bool wpg_catalog_lookup(const char *ns, int64 *id, Oid *owner);
/* The owner of the wasm catalog tables, who runs the extension's SPI work on them. */
extern Oid wpg_catalog_owner(void);
/* Switch to the catalog owner for SPI work on the catalog tables, and back. */
extern void wpg_become_owner(Oid *saved_user, int *saved_sec);
extern void wpg_restore_user(Oid saved_user, int saved_sec);

/* ---- modules, bodies and signatures (plang.c) ---------------------------------- */

/* What the call handler and validator need from a pg_proc row. */
typedef struct wpg_proc {
    Oid fn_oid;
    char *proname;
    Oid owner;
    int nargs;
    wpg_kind args[FUNC_MAX_ARGS];
    wpg_kind ret;
    char *body; /* NULL when long: an inline module, see wpg_proc_body */
    TransactionId xmin;
    ItemPointerData tid;
} wpg_proc;

/* Read a LANGUAGE wasm function's row; errors on types wasm cannot take. */
extern void wpg_proc_read(Oid fn_oid, wpg_proc *out);
/* A function's whole body. */
extern char *wpg_proc_body(Oid fn_oid);
/* The module and export a function calls, compiled or found in the cache,
 * its type checked against the SQL signature and, for a reference, the
 * function owner's right to use the module. */
extern wpg_module *wpg_proc_target(const wpg_proc *p, char **export_name);
/* Compile a function body (text format, \x hex or base64 of a binary); the
 * binary is handed back in *bytes (palloc'd) for the name section. */
extern wb_module *wpg_compile_body(const char *body, const char *what, uint8 **bytes, size_t *len);

/* Compile bytes into an engine module, raising the engine's error (22P03
 * malformed, 42P13 invalid) otherwise.  Refuses host imports.  Cancels and
 * timeouts stop it (see load in plang.c). */
extern wb_module *wpg_compile(const uint8 *bytes, size_t len, const char *what);
/* The same from the text format (errors at LINE:COL, 42P13); imports are
 * the caller's to refuse. */
extern wb_module *wpg_compile_text(const char *text, size_t len, const char *what);
/* True when `body` is a 'namespace.export' reference; fills both. */
extern bool wpg_body_reference(const char *body, char *ns, char **export_name);
/* The kind of an SQL type, or -1 when unsupported. */
extern int wpg_kind_of(Oid type);
extern const char *wpg_kind_sqlname(wpg_kind k);
/* Check that a wasm function type matches SQL argument/result kinds under
 * the ABI; on mismatch returns false with a reason in why. */
extern bool wpg_sig_matches(const wb_functype *ft, const wpg_kind *args, int nargs, wpg_kind ret,
                            char *why, size_t whylen);
/* "(i32, i32) -> i32" */
extern char *wpg_wasm_sig_string(const wb_functype *ft);
/* Find an exported function by name in a module; NULL type when absent. */
extern bool wpg_module_func_type(const wb_module *m, const char *name, wb_functype *out);
/* The export a function body calls: for references the named export, for
 * inline modules the export named like the function (or the only one). */
extern char *wpg_inline_export(const wb_module *m, const char *proname);
/* The most linear memory a module can have: 0 when it has none, the
 * declared maximum, or PG_UINT64_MAX when it declares none. */
extern uint64 wpg_module_memory_max(const wb_module *m);
/* Signatures declared by the SDK in the "wasmbox.sql" custom section:
 * returns the SQL signature text for `export` ("(text) -> text") or NULL. */
extern char *wpg_custom_signature(const uint8 *bytes, size_t len, const char *export_name);
/* Parse "(text, int4) -> text" into kinds; false on a syntax error. */
extern bool wpg_parse_sql_signature(const char *sig, wpg_kind *args, int *nargs, int maxargs,
                                    wpg_kind *ret);

/* ---- errors (errors.c) ----------------------------------------------------------- */

/* Raise the SQL error for a failed call or instantiation (never returns).
 * `what` names the function for the message; wi, if any, is discarded. */
extern void wpg_raise_call_error(wb_result r, const wb_error *err, wpg_instance *wi,
                                 const char *what) pg_attribute_noreturn();
/* Raise the error of a module that did not load: 22P03 for a malformed
 * binary, 42P13 for an invalid module or text, 54000, 53200. */
extern void wpg_raise_load_error(const wb_error *err, const char *what, bool from_text) pg_attribute_noreturn();
/* A call made where PostgreSQL holds interrupts, ended by a pending cancel
 * (57014) or termination (57P01) or by its wall-time budget (54000). */
extern void wpg_raise_held_stop(const char *what, bool cancel, int64 ms) pg_attribute_noreturn();
/* A module whose compile, where interrupts are held, outlasted
 * wasm.held_time_per_call (54000). */
extern void wpg_raise_held_compile(const char *what) pg_attribute_noreturn();
/* Refuse to run a guest in a critical section (see errors.c). */
extern void wpg_check_not_critical(const char *what);
/* A function called by a running statement whose pg_proc row another
 * session has since dropped: 40001, so that clients retry. */
extern void wpg_raise_dropped_function(Oid fn_oid) pg_attribute_noreturn();

/* ---- running guests (call.c) ------------------------------------------------------ */

/* The call handler's work (wasm_call_handler). */
extern Datum wpg_call_function(FunctionCallInfo fcinfo);
/* A DO block: instantiate, call "main" or "_start". */
extern void wpg_run_inline(const char *source);

/* ---- stats (stats.c) --------------------------------------------------------------- */

typedef struct wpg_stat {
    Oid fn_oid; /* hash key */
    int64 calls;
    int64 traps;
    uint64 fuel;
    int64 time_ns;
} wpg_stat;

extern wpg_stat *wpg_stat_entry(Oid fn_oid);

#endif
