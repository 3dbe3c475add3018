/*
 * load.c - modules in, SQL functions out: wasm_load, wasm_load_wat,
 * wasm_new_instance(_wat), wasm_drop_instance, wasm_refresh.
 *
 * A module of namespace ns gets one SQL function ns_<export> per exported
 * function, with the argument count and types of its signature (sig.c);
 * exports starting with "_" or "cabi_" and libsql_malloc are ABI plumbing.
 * A pair <name>_step / <name>_final also becomes the aggregate ns_<name>.
 * A row of libSQL's libsql_wasm_func_table gets one function, named as the
 * row, calling the export of that name, under libSQL's ABI.
 *
 * Which ABI a module speaks is decided by its exports: libsql_malloc is
 * libSQL's, cabi_realloc the canonical ABI's (PostgreSQL's), neither means
 * numbers only.
 *
 * A function never replaces one it did not make: a module (or a database
 * file) naming a function abs or json_extract gets none, and the export
 * says why in wasm_exported_functions.  Modules import nothing, so their
 * functions are SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS.
 */
#include "wasm_sqlite.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- compiling ------------------------------------------------------------------------------ */

static int load_code(wb_result r)
{
    return r == WB_ERR_NOMEM ? SQLITE_NOMEM : r == WB_ERR_LIMIT ? SQLITE_TOOBIG : SQLITE_ERROR;
}

int wsq_to_binary(const char *src, size_t len, bool wat, uint8_t **out, size_t *out_len, char **err)
{
    if (!wat) {
        *out = NULL;
        *out_len = len;
        return SQLITE_OK;
    }
    wb_error e;
    wb_result r = wb_wat_to_wasm(src, len, out, out_len, &e);
    if (r != WB_OK) {
        *err = wsq_printf("invalid wasm text: %s", e.message);
        return load_code(r);
    }
    return SQLITE_OK;
}

static bool valid_namespace(const char *ns)
{
    size_t n = strlen(ns);
    bool ok = n > 0 && n <= WSQ_MAX_NAMESPACE && (isalpha((unsigned char)ns[0]) || ns[0] == '_');
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)ns[i]) || ns[i] == '_';
    return ok;
}

/* Names SQL can call without quoting, and that SQLite takes. */
static bool valid_func_name(const char *name, size_t len)
{
    bool ok = len > 0 && len <= WSQ_MAX_FUNC_NAME && (isalpha((unsigned char)name[0]) || name[0] == '_');
    for (size_t i = 0; ok && i < len; i++)
        ok = isalnum((unsigned char)name[i]) || name[i] == '_';
    return ok;
}

static bool has_export(const wb_module *mod, const char *name, wb_functype *ft)
{
    size_t len = strlen(name);
    uint32_t n = wb_module_export_count(mod);
    for (uint32_t i = 0; i < n; i++) {
        wb_extern_desc d;
        if (wb_module_export(mod, i, &d) == WB_OK && d.kind == WB_EXTERN_FUNC && d.name_len == len &&
            memcmp(d.name, name, len) == 0) {
            if (ft)
                *ft = d.type.func;
            return true;
        }
    }
    return false;
}

static bool is_plumbing(const char *name, size_t len)
{
    return (len >= 5 && memcmp(name, "cabi_", 5) == 0) || (len >= 1 && name[0] == '_') ||
           (len == 13 && memcmp(name, "libsql_malloc", 13) == 0);
}

static wsq_abi pick_abi(const wb_module *mod, int source)
{
    if (source == WSQ_SRC_LIBSQL || has_export(mod, "libsql_malloc", NULL))
        return WSQ_ABI_LIBSQL;
    return has_export(mod, "cabi_realloc", NULL) ? WSQ_ABI_CANONICAL : WSQ_ABI_CORE;
}

/* Can the module's allocator place what sig passes through memory?  NULL
 * when it can, else why not. */
static const char *abi_problem(const wb_module *mod, wsq_abi abi, const wsq_sig *sig)
{
    bool byref_arg = false;
    for (int i = 0; i < sig->nargs; i++)
        byref_arg |= WSQ_IS_BYREF(sig->args[i]);
    if (!byref_arg)
        return NULL;
    wb_functype ft;
    if (abi == WSQ_ABI_LIBSQL) {
        static const uint8_t want[] = {WB_I32, WB_I32};
        if (!has_export(mod, "libsql_malloc", &ft) || ft.nparams != 1 || ft.nresults != 1 ||
            memcmp(ft.types, want, 2) != 0)
            return "takes TEXT, BLOB or NULL, but the module does not export libsql_malloc(i32) -> i32";
        return NULL;
    }
    static const uint8_t want[] = {WB_I32, WB_I32, WB_I32, WB_I32, WB_I32};
    if (!has_export(mod, "cabi_realloc", &ft) || ft.nparams != 4 || ft.nresults != 1 || memcmp(ft.types, want, 5) != 0)
        return "takes text or bytea, but the module does not export cabi_realloc(i32, i32, i32, i32) -> i32";
    return NULL;
}

static wsq_export *new_export(wsq_module *m)
{
    wsq_export *e = sqlite3_realloc64(m->exports, sizeof *e * (size_t)(m->nexports + 1));
    if (!e)
        return NULL;
    m->exports = e;
    e = &m->exports[m->nexports++];
    memset(e, 0, sizeof *e);
    return e;
}

/* The signature of one export, or a note on e saying why it gets no
 * function.  A declared signature that is wrong fails the load. */
static int plan_export(wsq_module *m, wsq_export *e, const uint8_t *bytes, size_t len, const wb_functype *ft,
                       char **err)
{
    e->wasm_sig = wsq_wasm_sig_string(ft);
    char *decl = m->abi == WSQ_ABI_LIBSQL ? NULL : wsq_declared_signature(bytes, len, e->export_name);
    if (decl) {
        int rc = SQLITE_OK;
        if (!wsq_parse_signature(decl, &e->sig)) {
            *err = wsq_printf("wasm module \"%s\" declares an unreadable signature for \"%s\": %s", m->ns,
                              e->export_name, decl);
            rc = SQLITE_ERROR;
        } else if (!wsq_sig_matches(ft, &e->sig)) {
            *err = wsq_printf("wasm module \"%s\" declares signature %s for \"%s\", whose type is %s", m->ns,
                              decl, e->export_name, e->wasm_sig);
            rc = SQLITE_ERROR;
        }
        sqlite3_free(decl);
        if (rc != SQLITE_OK)
            return rc;
    } else if (!wsq_default_signature(ft, m->abi, &e->sig)) {
        e->note = wsq_printf("type %s has no SQL equivalent under the %s ABI", e->wasm_sig, wsq_abi_name(m->abi));
        return SQLITE_OK;
    }
    e->sql_sig = wsq_sql_sig_string(&e->sig);
    const char *why = abi_problem(m->mod, m->abi, &e->sig);
    if (why)
        e->note = wsq_printf("%s", why);
    return SQLITE_OK;
}

/* An aggregate from base_step(state, args...) -> state and
 * base_final(state) -> result. */
static void plan_aggregate(wsq_module *m, int step_i)
{
    wsq_export *st = &m->exports[step_i];
    size_t blen = strlen(st->export_name) - 5;
    int fin_i = -1;
    for (int i = 0; i < m->nexports; i++)
        if (strlen(m->exports[i].export_name) == blen + 6 && memcmp(m->exports[i].export_name, st->export_name, blen) == 0 &&
            strcmp(m->exports[i].export_name + blen, "_final") == 0)
            fin_i = i;
    if (fin_i < 0 || st->note || !st->name || m->exports[fin_i].note || !m->exports[fin_i].name)
        return;
    wsq_sig ss = st->sig, fs = m->exports[fin_i].sig;
    wsq_export *e = new_export(m);
    if (!e)
        return;
    st = &m->exports[step_i];
    e->aggregate = true;
    e->export_name = wsq_printf("%.*s", (int)blen, st->export_name);
    e->wasm_sig = wsq_printf("step %s, final %s", st->wasm_sig, m->exports[fin_i].wasm_sig);
    if (ss.nargs < 1 || ss.ret != ss.args[0] || fs.nargs != 1 || fs.args[0] != ss.args[0]) {
        e->note = wsq_printf("%s_step must take and return the state that %s_final takes", e->export_name,
                             e->export_name);
        return;
    }
    e->sig.nargs = ss.nargs - 1;
    memcpy(e->sig.args, ss.args + 1, sizeof ss.args[0] * (size_t)e->sig.nargs);
    e->sig.ret = fs.ret;
    e->sql_sig = wsq_sql_sig_string(&e->sig);
    e->name = m->source == WSQ_SRC_LIBSQL ? NULL : wsq_printf("%s_%s", m->ns, e->export_name);
}

void wsq_module_free(wsq_module *m)
{
    if (!m)
        return;
    wb_instance_free(m->inst);
    wb_module_free(m->mod);
    for (int i = 0; i < m->nexports; i++) {
        wsq_export *e = &m->exports[i];
        sqlite3_free(e->export_name);
        sqlite3_free(e->name);
        sqlite3_free(e->wasm_sig);
        sqlite3_free(e->sql_sig);
        sqlite3_free(e->note);
    }
    sqlite3_free(m->exports);
    sqlite3_free(m->ns);
    sqlite3_free(m->path);
    sqlite3_free(m->created);
    sqlite3_free(m->error);
    sqlite3_free(m);
}

static int plan_exports(wsq_module *m, const uint8_t *bytes, size_t len, char **err)
{
    uint32_t n = wb_module_export_count(m->mod);
    for (uint32_t i = 0; i < n; i++) {
        wb_extern_desc d;
        if (wb_module_export(m->mod, i, &d) != WB_OK || d.kind != WB_EXTERN_FUNC ||
            is_plumbing(d.name, d.name_len))
            continue;
        /* A libSQL row calls the export named as the row (lower case, as
         * libSQL looks it up). */
        if (m->source == WSQ_SRC_LIBSQL &&
            (d.name_len != strlen(m->ns) || sqlite3_strnicmp(d.name, m->ns, (int)d.name_len) != 0))
            continue;
        wsq_export *e = new_export(m);
        if (!e)
            return SQLITE_NOMEM;
        e->export_name = wsq_printf("%.*s", (int)d.name_len, d.name);
        int rc = plan_export(m, e, bytes, len, &d.type.func, err);
        if (rc != SQLITE_OK)
            return rc;
        if (e->note)
            continue;
        if (!valid_func_name(d.name, d.name_len) || strlen(m->ns) + 1 + d.name_len > WSQ_MAX_FUNC_NAME)
            e->note = wsq_printf("the export's name cannot name an SQL function");
        else
            e->name = m->source == WSQ_SRC_LIBSQL ? wsq_printf("%s", m->ns) : wsq_printf("%s_%s", m->ns, e->export_name);
    }
    if (m->source == WSQ_SRC_LIBSQL && m->nexports == 0)
        m->error = wsq_printf("the module exports no function named \"%s\"", m->ns);
    int plain = m->nexports;
    for (int i = 0; i < plain; i++) {
        const char *en = m->exports[i].export_name;
        size_t el = strlen(en);
        if (el > 5 && strcmp(en + el - 5, "_step") == 0)
            plan_aggregate(m, i);
    }
    return SQLITE_OK;
}

wsq_module *wsq_module_compile(wsq_conn *c, const char *ns, const uint8_t *bytes, size_t len, int source,
                               int *code, char **err)
{
    if (len > WSQ_MAX_MODULE_BYTES) {
        *code = SQLITE_TOOBIG;
        *err = wsq_printf("wasm module \"%s\" has %zu bytes, more than the %u allowed", ns, len,
                          WSQ_MAX_MODULE_BYTES);
        return NULL;
    }
    wsq_module *m = sqlite3_malloc(sizeof *m);
    if (!m) {
        *code = SQLITE_NOMEM;
        *err = wsq_printf("out of memory");
        return NULL;
    }
    memset(m, 0, sizeof *m);
    m->conn = c;
    m->ns = wsq_printf("%s", ns);
    m->source = source;
    m->size = (sqlite3_int64)len;
    m->gen = 1; /* slots start at 0: their first call binds them */
    wsq_sha256_hex(bytes, len, m->sha256);
    wb_error e;
    wb_load_opts opts = {.interrupt = NULL};
    wb_result r = wb_module_load_ex(bytes, len, &opts, &m->mod, &e);
    if (r != WB_OK) {
        *code = load_code(r);
        *err = wsq_printf("invalid wasm module \"%s\": %s", ns, e.message);
        wsq_module_free(m);
        return NULL;
    }
    if (wb_module_import_count(m->mod) > 0) {
        wb_extern_desc d;
        wb_module_import(m->mod, 0, &d);
        *code = SQLITE_ERROR;
        *err = wsq_printf("wasm module \"%s\" imports \"%.*s\".\"%.*s\", but modules cannot import host functions",
                          ns, (int)d.module_len, d.module, (int)d.name_len, d.name);
        wsq_module_free(m);
        return NULL;
    }
    m->abi = pick_abi(m->mod, source);
    *code = plan_exports(m, bytes, len, err);
    if (*code != SQLITE_OK) {
        wsq_module_free(m);
        return NULL;
    }
    return m;
}

/* ---- registering ------------------------------------------------------------------------------- */

wsq_module *wsq_module_find(wsq_conn *c, const char *ns)
{
    for (wsq_module *m = c->modules; m; m = m->next)
        if (sqlite3_stricmp(m->ns, ns) == 0)
            return m;
    return NULL;
}

static void slot_destroy(void *arg)
{
    wsq_func *f = arg;
    wsq_conn *c = f->conn;
    for (wsq_func **p = &c->funcs; *p; p = &(*p)->next)
        if (*p == f) {
            *p = f->next;
            break;
        }
    sqlite3_free(f->name);
    sqlite3_free(f->export_name);
    sqlite3_free(f->wasm_sig);
    sqlite3_free(f->sql_sig);
    sqlite3_free(f);
    wsq_conn_unref(c);
}

/* Whether SQL already knows `name` as a function that is not ours. */
static bool foreign_function(wsq_conn *c, const char *name)
{
    for (wsq_func *f = c->funcs; f; f = f->next)
        if (sqlite3_stricmp(f->name, name) == 0)
            return false;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, "SELECT 1 FROM pragma_function_list WHERE name = lower(?1)", -1, &st, NULL) !=
        SQLITE_OK)
        return true; /* cannot tell: do not risk replacing one */
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

static wsq_func *find_slot(wsq_conn *c, const char *name, int nargs, bool aggregate)
{
    for (wsq_func *f = c->funcs; f; f = f->next)
        if (f->sig.nargs == nargs && f->aggregate == aggregate && sqlite3_stricmp(f->name, name) == 0)
            return f;
    return NULL;
}

static void bind_slot(wsq_func *f, wsq_module *m, const wsq_export *e)
{
    sqlite3_free(f->export_name);
    sqlite3_free(f->wasm_sig);
    sqlite3_free(f->sql_sig);
    f->mod = m;
    f->export_name = wsq_printf("%s", e->export_name);
    f->wasm_sig = wsq_printf("%s", e->wasm_sig);
    f->sql_sig = wsq_printf("%s", e->sql_sig);
    f->sig = e->sig;
    f->gen = 0;
    f->fn = f->post = NULL;
}

/* The slot of export e: an unbound one of the same name and arity, or a
 * new registration.  NULL with a note on e when the name is taken. */
static wsq_func *bind(wsq_conn *c, wsq_module *m, wsq_export *e)
{
    wsq_func *f = find_slot(c, e->name, e->sig.nargs, e->aggregate);
    if (f && f->mod && f->mod != m) {
        e->note = wsq_printf("%s is already a function of wasm module \"%s\"", e->name, f->mod->ns);
        return NULL;
    }
    if (f) {
        bind_slot(f, m, e);
        return f;
    }
    if (foreign_function(c, e->name)) {
        e->note = wsq_printf("%s is already a function of this connection; not replaced", e->name);
        return NULL;
    }
    f = sqlite3_malloc(sizeof *f);
    if (!f) {
        e->note = wsq_printf("out of memory");
        return NULL;
    }
    memset(f, 0, sizeof *f);
    f->conn = c;
    f->name = wsq_printf("%s", e->name);
    f->aggregate = e->aggregate;
    bind_slot(f, m, e);
    f->next = c->funcs;
    c->funcs = f;
    wsq_conn_ref(c);
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    int rc = e->aggregate ? sqlite3_create_function_v2(c->db, f->name, f->sig.nargs, flags, f, NULL, wsq_agg_step,
                                                       wsq_agg_final, slot_destroy)
                          : sqlite3_create_function_v2(c->db, f->name, f->sig.nargs, flags, f, wsq_scalar, NULL,
                                                       NULL, slot_destroy);
    if (rc != SQLITE_OK) { /* slot_destroy ran */
        e->note = wsq_printf("registering %s failed: %s", e->name, sqlite3_errmsg(c->db));
        return NULL;
    }
    return f;
}

void wsq_module_register(wsq_conn *c, wsq_module *m)
{
    m->next = c->modules;
    c->modules = m;
    wsq_func *by_export[2]; /* an aggregate's step and final slots */
    for (int i = 0; i < m->nexports; i++) {
        wsq_export *e = &m->exports[i];
        if (!e->name || e->note)
            continue;
        if (!e->aggregate) {
            bind(c, m, e);
            continue;
        }
        /* The aggregate calls the scalar slots of its step and final. */
        int found = 0;
        for (int k = 0; k < 2; k++) {
            char *sname = wsq_printf("%s_%s_%s", m->ns, e->export_name, k ? "final" : "step");
            by_export[k] = NULL;
            for (wsq_func *f = c->funcs; f; f = f->next)
                if (f->mod == m && !f->aggregate && sqlite3_stricmp(f->name, sname) == 0)
                    by_export[k] = f;
            found += by_export[k] != NULL;
            sqlite3_free(sname);
        }
        if (found != 2) {
            e->note = wsq_printf("its step or final function has no SQL function");
            continue;
        }
        wsq_func *f = bind(c, m, e);
        if (f) {
            f->step = by_export[0];
            f->final = by_export[1];
        }
    }
}

void wsq_module_drop(wsq_conn *c, wsq_module *m)
{
    for (wsq_func *f = c->funcs; f; f = f->next)
        if (f->mod == m) {
            f->mod = NULL;
            f->fn = f->post = NULL;
            f->step = f->final = NULL;
        }
    for (wsq_module **p = &c->modules; *p; p = &(*p)->next)
        if (*p == m) {
            *p = m->next;
            break;
        }
    wsq_module_free(m);
}

/* ---- the SQL functions ------------------------------------------------------------------------ */

static void fail(sqlite3_context *ctx, int code, char *msg)
{
    sqlite3_result_error(ctx, msg, -1);
    if (code != SQLITE_ERROR)
        sqlite3_result_error_code(ctx, code);
    sqlite3_free(msg);
}

/* Compile, store, register; the result is the module's id. */
static void install(sqlite3_context *ctx, const char *ns, const uint8_t *bytes, size_t len, const char *path)
{
    wsq_conn *c = sqlite3_user_data(ctx);
    if (!ns || !valid_namespace(ns))
        return fail(ctx, SQLITE_ERROR,
                    wsq_printf("invalid wasm namespace \"%s\": a letter or underscore, then letters, digits and "
                               "underscores, at most %d in all",
                               ns ? ns : "(null)", WSQ_MAX_NAMESPACE));
    if (wsq_module_find(c, ns))
        return fail(ctx, SQLITE_ERROR,
                    wsq_printf("wasm module \"%s\" already exists; drop it first with wasm_drop_instance('%s')", ns, ns));
    int code;
    char *err = NULL;
    wsq_module *m = wsq_module_compile(c, ns, bytes, len, WSQ_SRC_MODULES, &code, &err);
    if (!m)
        return fail(ctx, code, err);
    if (path)
        m->path = wsq_printf("%s", path);
    code = wsq_store_insert(c, m, bytes, len, &err);
    if (code != SQLITE_OK) {
        wsq_module_free(m);
        return fail(ctx, code, err);
    }
    wsq_module_register(c, m);
    sqlite3_result_int64(ctx, m->id);
}

static void install_wat(sqlite3_context *ctx, const char *ns, const char *src, size_t len, const char *path)
{
    uint8_t *bin;
    size_t n;
    char *err = NULL;
    if (len > WSQ_MAX_MODULE_BYTES)
        return fail(ctx, SQLITE_TOOBIG, wsq_printf("wasm text of \"%s\" has %zu bytes, more than the %u allowed",
                                                   ns ? ns : "", len, WSQ_MAX_MODULE_BYTES));
    int rc = wsq_to_binary(src, len, true, &bin, &n, &err);
    if (rc != SQLITE_OK) {
        char *msg = wsq_printf("invalid wasm module \"%s\": %s", ns ? ns : "", err);
        sqlite3_free(err);
        return fail(ctx, rc, msg);
    }
    install(ctx, ns, bin, n, path);
    wb_free(bin);
}

static void load_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const uint8_t *b = sqlite3_value_blob(argv[1]);
    size_t n = (size_t)sqlite3_value_bytes(argv[1]);
    install(ctx, (const char *)sqlite3_value_text(argv[0]), b ? b : (const uint8_t *)"", n, NULL);
}

static void load_wat_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *src = (const char *)sqlite3_value_text(argv[1]);
    size_t n = (size_t)sqlite3_value_bytes(argv[1]);
    install_wat(ctx, (const char *)sqlite3_value_text(argv[0]), src ? src : "", n, NULL);
}

/* A whole file, bounded; NULL with a message. */
static char *read_file(const char *path, size_t *len, int *code, char **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *code = SQLITE_CANTOPEN;
        *err = wsq_printf("could not open file \"%s\": %s", path, strerror(errno));
        return NULL;
    }
    char *buf = sqlite3_malloc(WSQ_MAX_MODULE_BYTES + 1);
    size_t n = buf ? fread(buf, 1, WSQ_MAX_MODULE_BYTES + 1, f) : 0;
    bool bad = ferror(f);
    fclose(f);
    if (!buf || bad || n > WSQ_MAX_MODULE_BYTES) {
        *code = !buf ? SQLITE_NOMEM : bad ? SQLITE_IOERR : SQLITE_TOOBIG;
        *err = !buf ? wsq_printf("out of memory")
               : bad ? wsq_printf("could not read file \"%s\"", path)
                     : wsq_printf("file \"%s\" is larger than the %u bytes a module may have", path,
                                  WSQ_MAX_MODULE_BYTES);
        sqlite3_free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static void new_instance(sqlite3_context *ctx, sqlite3_value **argv, bool wat)
{
    wsq_conn *c = sqlite3_user_data(ctx);
    const char *path = (const char *)sqlite3_value_text(argv[0]);
    const char *ns = (const char *)sqlite3_value_text(argv[1]);
    if (!c->allow_paths)
        return fail(ctx, SQLITE_AUTH,
                    wsq_printf("loading wasm modules from files is turned off in this connection "
                               "(wasm_config('allow_paths', 0)); use wasm_load(namespace, blob)"));
    if (!path)
        return fail(ctx, SQLITE_ERROR, wsq_printf("wasm_new_instance: the path must not be NULL"));
    size_t len;
    int code;
    char *err = NULL;
    char *buf = read_file(path, &len, &code, &err);
    if (!buf)
        return fail(ctx, code, err);
    if (wat)
        install_wat(ctx, ns, buf, len, path);
    else
        install(ctx, ns, (const uint8_t *)buf, len, path);
    sqlite3_free(buf);
}

static void new_instance_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) { new_instance(ctx, argv, false); }
static void new_instance_wat_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) { new_instance(ctx, argv, true); }

static void drop_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    wsq_conn *c = sqlite3_user_data(ctx);
    const char *ns = (const char *)sqlite3_value_text(argv[0]);
    wsq_module *m = ns ? wsq_module_find(c, ns) : NULL;
    if (!m)
        return fail(ctx, SQLITE_ERROR, wsq_printf("wasm module \"%s\" does not exist", ns ? ns : "(null)"));
    char *err = NULL;
    int rc = wsq_store_delete(c, m, &err);
    if (rc != SQLITE_OK)
        return fail(ctx, rc, err);
    wsq_module_drop(c, m);
    sqlite3_result_int(ctx, 1);
}

static void refresh_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    wsq_conn *c = sqlite3_user_data(ctx);
    char *err = NULL;
    int rc = wsq_refresh(c, &err);
    if (rc != SQLITE_OK)
        return fail(ctx, rc, err);
    int n = 0;
    for (wsq_module *m = c->modules; m; m = m->next)
        n++;
    sqlite3_result_int(ctx, n);
}

int wsq_register_sql(wsq_conn *c, sqlite3 *db)
{
    static const struct {
        const char *name;
        int nargs;
        void (*fn)(sqlite3_context *, int, sqlite3_value **);
    } fns[] = {
        {"wasm_load", 2, load_fn},
        {"wasm_load_wat", 2, load_wat_fn},
        {"wasm_new_instance", 2, new_instance_fn},
        {"wasm_new_instance_wat", 2, new_instance_wat_fn},
        {"wasm_drop_instance", 1, drop_fn},
        {"wasm_refresh", 0, refresh_fn},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        wsq_conn_ref(c);
        int rc = sqlite3_create_function_v2(db, fns[i].name, fns[i].nargs, SQLITE_UTF8 | SQLITE_DIRECTONLY, c,
                                            fns[i].fn, NULL, NULL, wsq_conn_unref);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}
