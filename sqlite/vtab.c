/*
 * vtab.c - the eponymous tables that show what this connection loaded,
 * with the columns of the PostgreSQL extension's views where they apply:
 *
 *   wasm_instances            id, namespace, path, sha256, size, created,
 *                             abi ('canonical', 'libsql', 'core'),
 *                             source ('wasm_modules', 'libsql_wasm_func_table'),
 *                             functions, memory (bytes of its live instance,
 *                             or NULL), error (why a stored module has no
 *                             functions)
 *   wasm_exported_functions   namespace, export_name, function,
 *                             wasm_signature, sql_signature,
 *                             kind ('scalar', 'aggregate'), note (why an
 *                             export has no function)
 *
 * Read-only.  A scan copies the rows first, so that a query may drop
 * modules while it reads the table.
 */
#include "wasm_sqlite.h"

#include <string.h>

enum { T_INSTANCES, T_EXPORTS };

static const char *const schemas[] = {
    "CREATE TABLE x(id INTEGER, namespace TEXT, path TEXT, sha256 TEXT, size INTEGER, created TEXT, abi TEXT, "
    "source TEXT, functions INTEGER, memory INTEGER, error TEXT)",
    "CREATE TABLE x(namespace TEXT, export_name TEXT, function TEXT, wasm_signature TEXT, sql_signature TEXT, "
    "kind TEXT, note TEXT)",
};
static const int ncols[] = {11, 7};

typedef struct aux {
    wsq_conn *conn;
    int which;
} aux;

typedef struct vtab {
    sqlite3_vtab base;
    aux *a;
} vtab;

typedef struct cell {
    int type; /* SQLITE_INTEGER, SQLITE_TEXT or SQLITE_NULL */
    sqlite3_int64 i;
    char *s;
} cell;

typedef struct cursor {
    sqlite3_vtab_cursor base;
    int ncols, nrows, row;
    cell *cells;
} cursor;

static int x_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **out, char **err)
{
    aux *a = pAux;
    int rc = sqlite3_declare_vtab(db, schemas[a->which]);
    if (rc != SQLITE_OK)
        return rc;
    vtab *v = sqlite3_malloc(sizeof *v);
    if (!v)
        return SQLITE_NOMEM;
    memset(v, 0, sizeof *v);
    v->a = a;
    sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
    *out = &v->base;
    return SQLITE_OK;
}

static int x_disconnect(sqlite3_vtab *v)
{
    sqlite3_free(v);
    return SQLITE_OK;
}

static int x_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
    info->estimatedCost = 100;
    return SQLITE_OK;
}

static int x_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
    cursor *c = sqlite3_malloc(sizeof *c);
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    c->ncols = ncols[((vtab *)v)->a->which];
    *out = &c->base;
    return SQLITE_OK;
}

static void free_rows(cursor *c)
{
    for (int i = 0; i < c->nrows * c->ncols; i++)
        sqlite3_free(c->cells[i].s);
    sqlite3_free(c->cells);
    c->cells = NULL;
    c->nrows = 0;
}

static int x_close(sqlite3_vtab_cursor *cur)
{
    free_rows((cursor *)cur);
    sqlite3_free(cur);
    return SQLITE_OK;
}

static void put_text(cell *x, const char *s)
{
    x->type = s ? SQLITE_TEXT : SQLITE_NULL;
    x->s = s ? sqlite3_mprintf("%s", s) : NULL;
}

static void put_int(cell *x, sqlite3_int64 i)
{
    x->type = SQLITE_INTEGER;
    x->i = i;
}

static int count_rows(wsq_conn *conn, int which)
{
    int n = 0;
    for (wsq_module *m = conn->modules; m; m = m->next)
        n += which == T_INSTANCES ? 1 : m->nexports;
    return n;
}

static void fill_instance(cell *r, wsq_module *m)
{
    int nf = 0;
    for (int i = 0; i < m->nexports; i++)
        nf += m->exports[i].name && !m->exports[i].note;
    put_int(&r[0], m->id);
    put_text(&r[1], m->ns);
    put_text(&r[2], m->path);
    put_text(&r[3], m->sha256);
    put_int(&r[4], m->size);
    put_text(&r[5], m->created);
    put_text(&r[6], m->mod ? wsq_abi_name(m->abi) : NULL);
    put_text(&r[7], m->source == WSQ_SRC_LIBSQL ? "libsql_wasm_func_table" : "wasm_modules");
    put_int(&r[8], nf);
    if (m->mem)
        put_int(&r[9], (sqlite3_int64)wb_memory_size(m->mem));
    put_text(&r[10], m->error);
}

static void fill_export(cell *r, wsq_module *m, wsq_export *e)
{
    put_text(&r[0], m->ns);
    put_text(&r[1], e->export_name);
    put_text(&r[2], e->note ? NULL : e->name);
    put_text(&r[3], e->wasm_sig);
    put_text(&r[4], e->sql_sig);
    put_text(&r[5], e->aggregate ? "aggregate" : "scalar");
    put_text(&r[6], e->note);
}

static int x_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxStr, int argc, sqlite3_value **argv)
{
    cursor *c = (cursor *)cur;
    aux *a = ((vtab *)cur->pVtab)->a;
    free_rows(c);
    c->row = 0;
    int n = count_rows(a->conn, a->which);
    c->cells = sqlite3_malloc64(sizeof(cell) * (size_t)(n * c->ncols + 1));
    if (!c->cells)
        return SQLITE_NOMEM;
    memset(c->cells, 0, sizeof(cell) * (size_t)(n * c->ncols + 1));
    /* The list is newest first: show oldest first. */
    int nm = 0;
    for (wsq_module *m = a->conn->modules; m; m = m->next)
        nm++;
    wsq_module **mods = sqlite3_malloc64(sizeof *mods * (size_t)(nm + 1));
    if (!mods)
        return SQLITE_NOMEM;
    nm = 0;
    for (wsq_module *m = a->conn->modules; m; m = m->next)
        mods[nm++] = m;
    for (int k = nm - 1; k >= 0; k--) {
        wsq_module *m = mods[k];
        if (a->which == T_INSTANCES)
            fill_instance(&c->cells[c->nrows++ * c->ncols], m);
        else
            for (int i = 0; i < m->nexports; i++)
                fill_export(&c->cells[c->nrows++ * c->ncols], m, &m->exports[i]);
    }
    sqlite3_free(mods);
    return SQLITE_OK;
}

static int x_next(sqlite3_vtab_cursor *cur)
{
    ((cursor *)cur)->row++;
    return SQLITE_OK;
}

static int x_eof(sqlite3_vtab_cursor *cur)
{
    cursor *c = (cursor *)cur;
    return c->row >= c->nrows;
}

static int x_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
    cursor *c = (cursor *)cur;
    cell *x = &c->cells[c->row * c->ncols + col];
    if (x->type == SQLITE_INTEGER)
        sqlite3_result_int64(ctx, x->i);
    else if (x->type == SQLITE_TEXT)
        sqlite3_result_text(ctx, x->s, -1, SQLITE_TRANSIENT);
    return SQLITE_OK;
}

static int x_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = ((cursor *)cur)->row + 1;
    return SQLITE_OK;
}

static const sqlite3_module vt_module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only */
    .xConnect = x_connect,
    .xBestIndex = x_best_index,
    .xDisconnect = x_disconnect,
    .xDestroy = x_disconnect,
    .xOpen = x_open,
    .xClose = x_close,
    .xFilter = x_filter,
    .xNext = x_next,
    .xEof = x_eof,
    .xColumn = x_column,
    .xRowid = x_rowid,
};

static void aux_destroy(void *p)
{
    aux *a = p;
    wsq_conn_unref(a->conn);
    sqlite3_free(a);
}

int wsq_register_vtabs(wsq_conn *c, sqlite3 *db)
{
    static const char *const names[] = {"wasm_instances", "wasm_exported_functions"};
    for (int i = 0; i < 2; i++) {
        aux *a = sqlite3_malloc(sizeof *a);
        if (!a)
            return SQLITE_NOMEM;
        a->conn = c;
        a->which = i;
        wsq_conn_ref(c);
        int rc = sqlite3_create_module_v2(db, names[i], &vt_module, a, aux_destroy);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}
