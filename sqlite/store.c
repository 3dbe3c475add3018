/*
 * store.c - modules kept in the database, so that they travel with it.
 *
 *   main.wasm_modules          the extension's own table: one row a module
 *                              (id, namespace, path, code, sha256, size, created)
 *   main.libsql_wasm_func_table  libSQL's (name text primary key, body text):
 *                              WAT text or a binary blob a row, one function
 *
 * wsq_refresh brings the connection in line with both: rows that are new or
 * changed (by sha256 of the binary) are compiled and registered, modules
 * whose row is gone are dropped.  It runs when the extension loads and on
 * wasm_refresh().  A row that does not compile is kept as a module with an
 * error (wasm_instances shows it) and does not stop the others.
 *
 * A hostile database file can put anything in these tables: every module is
 * compiled under the size cap, sandboxed, imports nothing, and its functions
 * cannot replace one the connection already has (load.c).  A table of
 * those names that is not an ordinary table (a view, a virtual table) is
 * not read.
 */
#include "wasm_sqlite.h"

#include <string.h>

#include <openssl/sha.h>

void wsq_sha256_hex(const uint8_t *bytes, size_t len, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(bytes, len, md);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        sqlite3_snprintf(3, out + 2 * i, "%02x", md[i]);
    out[64] = '\0';
}

static int exec_error(wsq_conn *c, int rc, const char *what, char **err)
{
    *err = wsq_printf("wasm_sqlite: %s: %s", what, sqlite3_errmsg(c->db));
    return rc;
}

int wsq_store_insert(wsq_conn *c, wsq_module *m, const uint8_t *bytes, size_t len, char **err)
{
    int rc = sqlite3_exec(c->db,
                          "CREATE TABLE IF NOT EXISTS main.wasm_modules ("
                          "id INTEGER PRIMARY KEY, namespace TEXT NOT NULL UNIQUE COLLATE NOCASE, path TEXT, "
                          "code BLOB NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, "
                          "created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)",
                          NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return exec_error(c, rc, "creating table wasm_modules", err);
    sqlite3_stmt *st;
    rc = sqlite3_prepare_v2(c->db,
                            "INSERT INTO main.wasm_modules (namespace, path, code, sha256, size) "
                            "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id, created",
                            -1, &st, NULL);
    if (rc != SQLITE_OK)
        return exec_error(c, rc, "storing the module", err);
    sqlite3_bind_text(st, 1, m->ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, m->path, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 3, bytes, len, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, m->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)len);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        m->id = sqlite3_column_int64(st, 0);
        m->created = wsq_printf("%s", (const char *)sqlite3_column_text(st, 1));
        rc = sqlite3_step(st);
    }
    if (rc != SQLITE_DONE) {
        rc = exec_error(c, sqlite3_finalize(st), "storing the module", err);
        return rc == SQLITE_OK ? SQLITE_ERROR : rc;
    }
    sqlite3_finalize(st);
    return SQLITE_OK;
}

int wsq_store_delete(wsq_conn *c, wsq_module *m, char **err)
{
    const char *sql = m->source == WSQ_SRC_LIBSQL ? "DELETE FROM main.libsql_wasm_func_table WHERE name = ?1"
                                                  : "DELETE FROM main.wasm_modules WHERE namespace = ?1";
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return exec_error(c, rc, "deleting the module", err);
    sqlite3_bind_text(st, 1, m->ns, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    int frc = sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return exec_error(c, frc ? frc : SQLITE_ERROR, "deleting the module", err);
    return SQLITE_OK;
}

/* ---- refresh ---------------------------------------------------------------------------------- */

/* Whether main.<name> is an ordinary table. */
static bool is_table(wsq_conn *c, const char *name)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?1 COLLATE NOCASE "
                           "AND sql NOT LIKE 'CREATE VIRTUAL%'",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    bool yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

static wsq_module *find_source(wsq_conn *c, int source, const char *ns)
{
    for (wsq_module *m = c->modules; m; m = m->next)
        if (m->source == source && sqlite3_stricmp(m->ns, ns) == 0)
            return m;
    return NULL;
}

/* libSQL stores text bodies as written, and its own loader retries a text
 * that does not parse without its surrounding quotes ('...'), doubled
 * quotes undone: so do we. */
static int libsql_body_binary(const char *src, size_t len, uint8_t **out, size_t *out_len, char **err)
{
    int rc = wsq_to_binary(src, len, true, out, out_len, err);
    size_t i = 0, j = len;
    while (i < j && (src[i] == ' ' || src[i] == '\n' || src[i] == '\t' || src[i] == '\r'))
        i++;
    while (j > i && (src[j - 1] == ' ' || src[j - 1] == '\n' || src[j - 1] == '\t' || src[j - 1] == '\r' ||
                     src[j - 1] == ';'))
        j--;
    if (rc == SQLITE_OK || j - i < 2 || src[i] != '\'' || src[j - 1] != '\'')
        return rc;
    char *unq = sqlite3_malloc64(j - i);
    if (!unq)
        return rc;
    size_t n = 0;
    for (size_t k = i + 1; k < j - 1; k++) {
        unq[n++] = src[k];
        if (src[k] == '\'' && k + 1 < j - 1 && src[k + 1] == '\'')
            k++;
    }
    char *err2 = NULL;
    if (wsq_to_binary(unq, n, true, out, out_len, &err2) == SQLITE_OK) {
        sqlite3_free(*err);
        *err = NULL;
        rc = SQLITE_OK;
    }
    sqlite3_free(err2);
    sqlite3_free(unq);
    return rc;
}

/* A module that could not be compiled: listed, with no functions. */
static void add_broken(wsq_conn *c, const char *ns, int source, const uint8_t *bytes, size_t len, char *err)
{
    wsq_module *old = find_source(c, source, ns);
    if (old)
        wsq_module_drop(c, old);
    wsq_module *m = sqlite3_malloc(sizeof *m);
    if (!m) {
        sqlite3_free(err);
        return;
    }
    memset(m, 0, sizeof *m);
    m->conn = c;
    m->ns = wsq_printf("%s", ns);
    m->source = source;
    m->size = (sqlite3_int64)len;
    wsq_sha256_hex(bytes, len, m->sha256);
    m->error = err;
    m->seen = true;
    m->next = c->modules;
    c->modules = m;
}

/* One row: compiled and registered unless the same bytes are there. */
static void sync_row(wsq_conn *c, int source, const char *ns, const uint8_t *bytes, size_t len, sqlite3_int64 id,
                     const char *path, const char *created)
{
    char sha[65];
    wsq_sha256_hex(bytes, len, sha);
    wsq_module *old = find_source(c, source, ns);
    if (old && strcmp(old->sha256, sha) == 0) {
        old->id = id;
        old->seen = true;
        return;
    }
    if (old)
        wsq_module_drop(c, old);
    int code;
    char *err = NULL;
    wsq_module *m = wsq_module_compile(c, ns, bytes, len, source, &code, &err);
    if (!m) {
        add_broken(c, ns, source, bytes, len, err);
        return;
    }
    m->id = id;
    m->path = path ? wsq_printf("%s", path) : NULL;
    m->created = created ? wsq_printf("%s", created) : NULL;
    m->seen = true;
    wsq_module_register(c, m);
}

/* One table's rows. */
static int sync_table(wsq_conn *c, const char *sql, int source, char **err)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return exec_error(c, rc, "reading the stored modules", err);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *ns = (const char *)sqlite3_column_text(st, 0);
        int btype = sqlite3_column_type(st, 1);
        const void *body = btype == SQLITE_BLOB ? sqlite3_column_blob(st, 1) : sqlite3_column_text(st, 1);
        size_t blen = (size_t)sqlite3_column_bytes(st, 1);
        if (!ns || !body)
            continue;
        uint8_t *bin = NULL;
        size_t n = blen;
        char *cerr = NULL;
        bool text = source == WSQ_SRC_LIBSQL && btype == SQLITE_TEXT && !(blen >= 4 && memcmp(body, "\0asm", 4) == 0);
        if (text && blen > WSQ_MAX_MODULE_BYTES)
            cerr = wsq_printf("%zu bytes of text, more than the %u allowed", blen, WSQ_MAX_MODULE_BYTES);
        else if (text)
            libsql_body_binary(body, blen, &bin, &n, &cerr);
        if (cerr) {
            add_broken(c, ns, source, body, blen, wsq_printf("invalid wasm module \"%s\": %s", ns, cerr));
            sqlite3_free(cerr);
        } else
            sync_row(c, source, ns, bin ? bin : body, n, sqlite3_column_int64(st, 2),
                     (const char *)sqlite3_column_text(st, 3), (const char *)sqlite3_column_text(st, 4));
        wb_free(bin);
    }
    if (rc != SQLITE_DONE) {
        exec_error(c, rc, "reading the stored modules", err);
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    return SQLITE_OK;
}

int wsq_refresh(wsq_conn *c, char **err)
{
    for (wsq_module *m = c->modules; m; m = m->next)
        m->seen = false;
    int rc = SQLITE_OK;
    if (is_table(c, "wasm_modules"))
        rc = sync_table(c, "SELECT namespace, code, id, path, created FROM main.wasm_modules ORDER BY id",
                        WSQ_SRC_MODULES, err);
    if (rc == SQLITE_OK && is_table(c, "libsql_wasm_func_table"))
        rc = sync_table(c, "SELECT name, body, NULL, NULL, NULL FROM main.libsql_wasm_func_table", WSQ_SRC_LIBSQL,
                        err);
    if (rc != SQLITE_OK)
        return rc;
    /* Modules no row backs any more. */
    for (wsq_module *m = c->modules, *next; m; m = next) {
        next = m->next;
        if (!m->seen)
            wsq_module_drop(c, m);
    }
    return SQLITE_OK;
}
