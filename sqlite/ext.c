/*
 * ext.c - the entry point of the loadable extension, the state of one
 * connection, and wasm_config.
 *
 * `.load build/wasm_sqlite` (or sqlite3_load_extension) calls
 * sqlite3_wasmsqlite_init, which
 *   - registers wasm_load, wasm_load_wat, wasm_new_instance(_wat),
 *     wasm_drop_instance, wasm_refresh and wasm_config (load.c, here),
 *     all SQLITE_DIRECTONLY: a view or trigger of a database file can call none;
 *   - registers the eponymous tables wasm_instances, wasm_exported_functions;
 *   - reads the modules stored in the main database (wasm_modules and
 *     libSQL's libsql_wasm_func_table) and registers their functions.
 * Loading it again into the same connection does nothing.
 *
 * wasm_config(name [, value]) reads or sets a limit of this connection:
 *   fuel         instructions per call (0: unlimited)        1e9
 *   max_memory   bytes of one instance (memory, tables...)   64 MiB
 *   allow_paths  whether wasm_new_instance may read files    1
 *   lock         1: from now on limits may only go down, and allow_paths
 *                cannot come back: for an application that then runs SQL
 *                it does not trust
 */
#include "wasm_sqlite.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

SQLITE_EXTENSION_INIT1

char *wsq_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    return s ? s : sqlite3_mprintf("out of memory");
}

void wsq_conn_ref(wsq_conn *c) { c->refs++; }

/* The last registration is gone: the connection is closing (or the load
 * failed half-way).  Slots were freed by their own destructors. */
void wsq_conn_unref(void *arg)
{
    wsq_conn *c = arg;
    if (--c->refs > 0)
        return;
    while (c->modules)
        wsq_module_drop(c, c->modules);
    wb_call_free(c->call);
    sqlite3_free(c);
}

/* ---- wasm_config ------------------------------------------------------------------------ */

static void config_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    wsq_conn *c = sqlite3_user_data(ctx);
    const char *name = (const char *)sqlite3_value_text(argv[0]);
    if (!name) {
        sqlite3_result_error(ctx, "wasm_config: the name must not be NULL", -1);
        return;
    }
    bool set = argc == 2;
    if (set && sqlite3_value_type(argv[1]) != SQLITE_INTEGER) {
        sqlite3_result_error(ctx, "wasm_config: the value must be an integer", -1);
        return;
    }
    sqlite3_int64 v = set ? sqlite3_value_int64(argv[1]) : 0;
    char *err = NULL;
    if (strcmp(name, "fuel") == 0) {
        if (set) {
            /* 0 is unlimited, the most of all. */
            bool raises = v < 0 ? false : (v == 0 ? c->fuel != 0 : (c->fuel != 0 && (uint64_t)v > c->fuel));
            if (v < 0)
                err = wsq_printf("wasm_config: fuel must be 0 (unlimited) or more");
            else if (c->locked && raises)
                err = wsq_printf("wasm_config: the limits are locked; fuel can only go down");
            else if ((uint64_t)v != c->fuel) {
                c->fuel = (uint64_t)v;
                wsq_drop_call(c);
            }
        }
        if (!err)
            sqlite3_result_int64(ctx, (sqlite3_int64)c->fuel);
    } else if (strcmp(name, "max_memory") == 0) {
        if (set) {
            if (v < (sqlite3_int64)WSQ_MIN_MAX_MEMORY || (uint64_t)v > WSQ_MAX_MAX_MEMORY)
                err = wsq_printf("wasm_config: max_memory must be from %llu to %llu bytes",
                                 WSQ_MIN_MAX_MEMORY, WSQ_MAX_MAX_MEMORY);
            else if (c->locked && (uint64_t)v > c->max_memory)
                err = wsq_printf("wasm_config: the limits are locked; max_memory can only go down");
            else
                c->max_memory = (uint64_t)v; /* instances are re-made at their next call */
        }
        if (!err)
            sqlite3_result_int64(ctx, (sqlite3_int64)c->max_memory);
    } else if (strcmp(name, "allow_paths") == 0) {
        if (set) {
            if (c->locked && v && !c->allow_paths)
                err = wsq_printf("wasm_config: the limits are locked; allow_paths cannot be turned on");
            else
                c->allow_paths = v != 0;
        }
        if (!err)
            sqlite3_result_int(ctx, c->allow_paths);
    } else if (strcmp(name, "lock") == 0) {
        if (set) {
            if (!v && c->locked)
                err = wsq_printf("wasm_config: the limits are locked for the life of the connection");
            else
                c->locked = v != 0;
        }
        if (!err)
            sqlite3_result_int(ctx, c->locked);
    } else
        err = wsq_printf("wasm_config: unknown setting \"%s\" (fuel, max_memory, allow_paths, lock)", name);
    if (err) {
        sqlite3_result_error(ctx, err, -1);
        sqlite3_free(err);
    }
}

/* ---- the entry point ------------------------------------------------------------------------ */

/* A function named wasm_load already there: this connection has the extension. */
static bool already_loaded(sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_function_list WHERE name = 'wasm_load'", -1, &st, NULL) !=
        SQLITE_OK)
        return false;
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

static int add_config(wsq_conn *c, sqlite3 *db)
{
    int flags = SQLITE_UTF8 | SQLITE_DIRECTONLY;
    for (int n = 1; n <= 2; n++) {
        wsq_conn_ref(c);
        int rc = sqlite3_create_function_v2(db, "wasm_config", n, flags, c, config_fn, NULL, NULL, wsq_conn_unref);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

/* The one symbol the shared object exports (built -fvisibility=hidden). */
__attribute__((visibility("default"))) int sqlite3_wasmsqlite_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi)
{
    SQLITE_EXTENSION_INIT2(pApi);
    if (sqlite3_libversion_number() < 3035000) { /* INSERT ... RETURNING (store.c) */
        *pzErrMsg = sqlite3_mprintf("wasm_sqlite needs SQLite 3.35 or later, this is %s", sqlite3_libversion());
        return SQLITE_ERROR;
    }
    if (already_loaded(db))
        return SQLITE_OK;
    wsq_ticker_start();
    wsq_conn *c = sqlite3_malloc(sizeof *c);
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    c->db = db;
    c->fuel = WSQ_DEFAULT_FUEL;
    c->max_memory = WSQ_DEFAULT_MAX_MEMORY;
    c->allow_paths = true;
    c->refs = 1; /* ours until the registrations hold it */

    int rc = add_config(c, db);
    if (rc == SQLITE_OK)
        rc = wsq_register_sql(c, db);
    if (rc == SQLITE_OK)
        rc = wsq_register_vtabs(c, db);
    char *err = NULL;
    if (rc == SQLITE_OK)
        rc = wsq_refresh(c, &err);
    else
        err = sqlite3_mprintf("wasm_sqlite: registering its functions failed: %s", sqlite3_errmsg(db));
    if (rc != SQLITE_OK) {
        *pzErrMsg = err;
        err = NULL;
    }
    sqlite3_free(err);
    wsq_conn_unref(c);
    return rc;
}
