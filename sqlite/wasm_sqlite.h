/*
 * wasm_sqlite.h - internal interface of the SQLite extension `wasm_sqlite`
 * (docs/sqlite.md is the user's guide).
 *
 * The extension is split by job:
 *   ext.c     the entry point, the per-connection state, wasm_config
 *   load.c    wasm_load & co.: compile, pick the ABI, register SQL functions
 *   sig.c     signatures: the "wasmbox.sql" custom section, SQL type names
 *   store.c   the wasm_modules table, libSQL's libsql_wasm_func_table, refresh
 *   call.c    the call path: instances, interrupts, errors
 *   abi.c     strings and blobs across both memory ABIs (canonical, libSQL)
 *   agg.c     aggregates from <name>_step / <name>_final
 *   vtab.c    the eponymous tables wasm_instances, wasm_exported_functions
 *
 * Everything belongs to one connection (wsq_conn): modules are compiled,
 * instantiated and called per connection, so connections share nothing and
 * need no locks.  SQLite calls a connection's functions from one thread at
 * a time.
 */
#ifndef WASM_SQLITE_H
#define WASM_SQLITE_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3ext.h>

#include "wasmbox.h"

/* The extension's code uses the API through this pointer (sqlite3ext.h). */
SQLITE_EXTENSION_INIT3

/* ---- limits, each with its reason ---------------------------------------------------- */

/* As PostgreSQL's wasm.fuel_per_call: about a second of guest code, so a
 * runaway ends by itself in a shell that has no timeout. */
#define WSQ_DEFAULT_FUEL 1000000000ull
/* As PostgreSQL's wasm.max_memory: linear memory, tables and globals of one
 * instance. */
#define WSQ_DEFAULT_MAX_MEMORY (64ull << 20)
/* Smallest cap one may set: one wasm page. */
#define WSQ_MIN_MAX_MEMORY 65536ull
/* Largest: the wasm32 address space. */
#define WSQ_MAX_MAX_MEMORY (4ull << 30)
/* While calls run, a ticker thread asks the running call to pause this
 * often, and the call then looks for sqlite3_interrupt() and the progress
 * handler (call.c): the interrupt latency, against a probe of ~20 us. */
#define WSQ_TICK_MS 10
/* With no call running the ticker looks this often: the latency of the first
 * pause of a long call, and 4 idle wake-ups a second. */
#define WSQ_IDLE_TICK_MS 250
/* Modules are compiled when the extension loads, also those a database file
 * brings along, and a compile cannot be interrupted: this bounds the time a
 * hostile file can cost per module (about a second). */
#define WSQ_MAX_MODULE_BYTES (64u << 20)
/* SQLite's own cap on function arguments (SQLITE_MAX_FUNCTION_ARG). */
#define WSQ_MAX_ARGS 127
/* As PostgreSQL's namespaces (NAMEDATALEN - 2): a namespace is part of
 * every function name. */
#define WSQ_MAX_NAMESPACE 62
/* SQLite refuses longer function names (sqlite3CreateFunc). */
#define WSQ_MAX_FUNC_NAME 255

/* ---- types ---------------------------------------------------------------------------- */

typedef enum wsq_abi {
    WSQ_ABI_CORE,      /* numbers only: exports neither allocator */
    WSQ_ABI_CANONICAL, /* exports cabi_realloc: the PostgreSQL extension's ABI */
    WSQ_ABI_LIBSQL,    /* exports libsql_malloc, or came from libsql_wasm_func_table */
} wsq_abi;

/* How one SQL value crosses into or out of wasm. */
typedef enum wsq_kind {
    WSQ_VOID,    /* result only: no wasm result, SQL NULL */
    WSQ_BOOL,    /* i32, 0 or 1 */
    WSQ_INT16,   /* i32, range-checked on return (PostgreSQL's smallint) */
    WSQ_INT32,   /* i32 */
    WSQ_INT64,   /* i64 */
    WSQ_FLOAT32, /* f32 */
    WSQ_FLOAT64, /* f64 */
    WSQ_TEXT,    /* canonical: (ptr, len) argument, return-area result */
    WSQ_BLOB,    /* canonical: the same, bytes */
    WSQ_TAGGED,  /* libSQL: i32 pointer to [3]text\0, [4][len BE]bytes or [5] */
} wsq_kind;

#define WSQ_IS_BYREF(k) ((k) >= WSQ_TEXT)

typedef struct wsq_sig {
    int nargs;
    wsq_kind args[WSQ_MAX_ARGS];
    wsq_kind ret;
    int ncells; /* wasm parameters: a canonical text or blob takes two */
    bool byref; /* an argument or the result is passed through memory */
} wsq_sig;

typedef struct wsq_conn wsq_conn;
typedef struct wsq_module wsq_module;
typedef struct wsq_func wsq_func;

enum { WSQ_SRC_MODULES, WSQ_SRC_LIBSQL };

struct wsq_module {
    wsq_conn *conn;
    char *ns;           /* namespace; for libSQL rows the function's name */
    char *path;         /* the file it was read from, or NULL */
    char *created;
    char sha256[65];
    sqlite3_int64 id;   /* rowid in its table */
    sqlite3_int64 size; /* bytes of the binary */
    int source;         /* WSQ_SRC_* */
    wsq_abi abi;
    wb_module *mod;
    wb_instance *inst;  /* made at the first call; dropped after a trap */
    wb_memory *mem;
    wb_func *alloc;     /* cabi_realloc or libsql_malloc */
    uint64_t cap;       /* the memory cap inst was made with */
    unsigned gen;       /* bumped whenever inst changes */
    struct wsq_export *exports; /* what each exported function became */
    int nexports;
    char *error;        /* why a stored module has no functions */
    bool seen;          /* met again by the refresh under way */
    wsq_module *next;
};

/* An exported function of a module and the SQL function it became (or why
 * none): what wasm_exported_functions shows. */
typedef struct wsq_export {
    char *export_name;  /* aggregates: the base name */
    char *name;         /* the SQL function */
    char *wasm_sig, *sql_sig;
    char *note;         /* why there is no SQL function, or NULL */
    bool aggregate;
    wsq_sig sig;
} wsq_export;

/* One registered SQL function.  SQLite's user data points at it and it
 * lives as long as the registration: SQLite refuses to delete a function
 * while a statement runs (wasm_drop_instance is one), so a drop unbinds it
 * (mod = NULL) and a reload binds it again. */
struct wsq_func {
    wsq_conn *conn;
    wsq_module *mod;    /* NULL once dropped */
    char *name;         /* the SQL name */
    char *export_name;  /* scalar: the export; aggregate: the base name */
    char *wasm_sig, *sql_sig;
    wsq_sig sig;
    bool aggregate;
    wsq_func *step, *final; /* aggregates: the scalar slots they call */
    unsigned gen;       /* == mod->gen while fn and post are valid */
    wb_func *fn, *post; /* the export and cabi_post_<export> */
    wsq_func *next;
};

struct wsq_conn {
    sqlite3 *db;
    int refs;           /* registrations pointing here; freed at 0 */
    uint64_t fuel;      /* per call; 0 = unlimited */
    uint64_t max_memory;
    bool allow_paths;
    bool locked;        /* wasm_config('lock', 1): limits only go down */
    wb_call *call;      /* reused by every call; re-made when fuel changes */
    wsq_module *modules;
    wsq_func *funcs;
};

/* ---- ext.c ------------------------------------------------------------------------------ */

void wsq_conn_ref(wsq_conn *c);
void wsq_conn_unref(void *c); /* an xDestroy */
/* printf into a new sqlite3_malloc'd string (never NULL: "out of memory"). */
char *wsq_printf(const char *fmt, ...);

/* ---- sig.c ------------------------------------------------------------------------------ */

/* The SQL signature an export declares in the "wasmbox.sql" custom section
 * of bytes ("(text) -> text"), as a new string, or NULL. */
char *wsq_declared_signature(const uint8_t *bytes, size_t len, const char *export_name);
/* Parse a declared signature into sig; false on a syntax error. */
bool wsq_parse_signature(const char *text, wsq_sig *sig);
/* The signature from the wasm type alone, under the ABI; false when SQL
 * cannot express it. */
bool wsq_default_signature(const wb_functype *ft, wsq_abi abi, wsq_sig *sig);
/* Whether ft is what sig needs; fills ncells and byref. */
bool wsq_sig_matches(const wb_functype *ft, wsq_sig *sig);
char *wsq_wasm_sig_string(const wb_functype *ft);
char *wsq_sql_sig_string(const wsq_sig *sig);
const char *wsq_abi_name(wsq_abi abi);

/* ---- load.c ------------------------------------------------------------------------------ */

/* Compile and check a module, and plan its SQL functions.  On failure
 * returns NULL with an error in *err (sqlite3_malloc'd) and its SQLite code
 * in *code.  Takes no ownership of bytes. */
wsq_module *wsq_module_compile(wsq_conn *c, const char *ns, const uint8_t *bytes, size_t len, int source,
                               int *code, char **err);
/* Link a compiled module into the connection and register its functions
 * (a name already taken is noted on the export, not an error). */
void wsq_module_register(wsq_conn *c, wsq_module *m);
void wsq_module_free(wsq_module *m);
/* Unbind a module's functions and free it. */
void wsq_module_drop(wsq_conn *c, wsq_module *m);
wsq_module *wsq_module_find(wsq_conn *c, const char *ns);
/* Compile a text or binary into bytes: WAT is turned into a binary. */
int wsq_to_binary(const char *src, size_t len, bool wat, uint8_t **out, size_t *out_len, char **err);
int wsq_register_sql(wsq_conn *c, sqlite3 *db); /* wasm_load & co. */

/* ---- store.c ------------------------------------------------------------------------------ */

/* Read both tables of the main database and bring the connection's modules
 * in line with them.  Returns an SQLite code, with a message in *err. */
int wsq_refresh(wsq_conn *c, char **err);
/* Store a new module's row; its rowid in *id. */
int wsq_store_insert(wsq_conn *c, wsq_module *m, const uint8_t *bytes, size_t len, char **err);
int wsq_store_delete(wsq_conn *c, wsq_module *m, char **err);
void wsq_sha256_hex(const uint8_t *bytes, size_t len, char out[65]);

/* ---- call.c ------------------------------------------------------------------------------ */

/* The SQLite callbacks of a scalar function. */
void wsq_scalar(sqlite3_context *ctx, int argc, sqlite3_value **argv);
/* Bind f to its module's current instance (made if needed).  False with
 * the error set on ctx. */
bool wsq_resolve(sqlite3_context *ctx, wsq_func *f);
/* Run fn of f's instance on io (arguments in, first results out).  False
 * with the error set on ctx and the instance discarded. */
bool wsq_run(sqlite3_context *ctx, wsq_func *f, wb_func *fn, uint64_t *io, const char *what);
/* Report an error of f on ctx and discard its instance. */
void wsq_fail(sqlite3_context *ctx, wsq_func *f, int code, const char *fmt, ...);
void wsq_drop_instance(wsq_module *m);
/* Called when the fuel limit changes. */
void wsq_drop_call(wsq_conn *c);
/* Start the ticker thread, once per process. */
void wsq_ticker_start(void);

/* ---- abi.c ------------------------------------------------------------------------------- */

/* A value on its way in or out: an argument, a result, an aggregate state. */
typedef struct wsq_val {
    int type; /* SQLITE_INTEGER, _FLOAT, _TEXT, _BLOB, _NULL */
    sqlite3_int64 i;
    double d;
    const void *p;
    size_t n;
} wsq_val;

void wsq_val_from(sqlite3_value *v, wsq_val *out);
/* Cells of one argument of kind k (1 or 2), written at io.  False with
 * the error set on ctx.  A NULL never reaches here for canonical kinds. */
bool wsq_lower(sqlite3_context *ctx, wsq_func *f, int argno, wsq_kind k, const wsq_val *v, uint64_t *io);
/* The result cell as a value; bytes point into guest memory (valid until
 * the next guest call). */
bool wsq_lift(sqlite3_context *ctx, wsq_func *f, wsq_kind k, uint64_t cell, wsq_val *out);
/* Set the SQL result. */
void wsq_result(sqlite3_context *ctx, wsq_func *f, const wsq_val *v);

/* ---- agg.c ------------------------------------------------------------------------------- */

void wsq_agg_step(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void wsq_agg_final(sqlite3_context *ctx);

/* ---- vtab.c ------------------------------------------------------------------------------ */

int wsq_register_vtabs(wsq_conn *c, sqlite3 *db);

#endif
