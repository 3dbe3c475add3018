/*
 * abi.c - values through guest memory, under the two ABIs.
 *
 * Canonical ABI (a module exporting cabi_realloc; the PostgreSQL
 * extension's, so the same .wasm serves both):
 *   argument text or blob  cabi_realloc(0, 0, 1, len) -> ptr, the bytes
 *                          copied there, passed as (ptr, len)
 *   result text or blob    an i32 address of (ptr u32, len u32), little-endian
 *   then                   cabi_post_<export>, if exported (call.c)
 *   text                   UTF-8 both ways, checked both ways
 *
 * libSQL's ABI (a module exporting libsql_malloc, or any module of
 * libsql_wasm_func_table): INTEGER is i64, REAL f64, and an i32 is a
 * pointer, from libsql_malloc(size), to a tagged value:
 *   TEXT   [0x03][bytes][0x00]
 *   BLOB   [0x04][length, u32 big-endian][bytes]
 *   NULL   [0x05]
 * Results the same way; an i64 result is kept whole (libSQL cuts it to 32
 * bits).
 *
 * Every pointer a guest hands back is checked against its memory before
 * a byte is read or written.
 */
#include "wasm_sqlite.h"

#include <string.h>

enum { TAG_TEXT = 3, TAG_BLOB = 4, TAG_NULL = 5 };

/* [ptr, ptr + len) of the module's memory, or NULL when out of bounds. */
static uint8_t *span(wsq_module *m, uint64_t ptr, uint64_t len)
{
    uint64_t size = m->mem ? wb_memory_size(m->mem) : 0;
    if (ptr > size || len > size - ptr)
        return NULL;
    return wb_memory_data(m->mem) + ptr;
}

void wsq_val_from(sqlite3_value *v, wsq_val *out)
{
    out->type = sqlite3_value_type(v);
    out->p = NULL;
    out->n = 0;
    if (out->type == SQLITE_NULL)
        return;
    if (out->type == SQLITE_TEXT) {
        out->p = sqlite3_value_text(v);
        out->n = (size_t)sqlite3_value_bytes(v);
    } else if (out->type == SQLITE_BLOB) {
        out->p = sqlite3_value_blob(v);
        out->n = (size_t)sqlite3_value_bytes(v);
        if (!out->p)
            out->p = "";
    }
    /* SQLite's own conversions, for a number parameter given text. */
    out->i = sqlite3_value_int64(v);
    out->d = sqlite3_value_double(v);
}

/* Room for n bytes from the guest's allocator; the address, or -1 with the
 * error set on ctx. */
static int64_t guest_alloc(sqlite3_context *ctx, wsq_func *f, uint64_t n)
{
    wsq_module *m = f->mod;
    const char *aname = m->abi == WSQ_ABI_LIBSQL ? "libsql_malloc" : "cabi_realloc";
    if (n > UINT32_MAX) {
        wsq_fail(ctx, NULL, SQLITE_TOOBIG, "wasm function \"%s\": %llu bytes do not fit in a 32-bit memory", f->name,
                 (unsigned long long)n);
        return -1;
    }
    uint64_t io[4] = {0, 0, 1, n};
    if (m->abi == WSQ_ABI_LIBSQL)
        io[0] = n;
    char what[WSQ_MAX_FUNC_NAME + 32];
    sqlite3_snprintf(sizeof what, what, "%s (in %s)", f->name, aname);
    if (!wsq_run(ctx, f, m->alloc, io, what))
        return -1;
    uint32_t ptr = (uint32_t)io[0];
    if (!span(m, ptr, n)) {
        wsq_fail(ctx, f, SQLITE_ERROR, "wasm function \"%s\": %s returned %u, out of bounds for %llu bytes", f->name,
                 aname, ptr, (unsigned long long)n);
        return -1;
    }
    return ptr;
}

bool wsq_lower(sqlite3_context *ctx, wsq_func *f, int argno, wsq_kind k, const wsq_val *v, uint64_t *io)
{
    switch (k) {
    case WSQ_TEXT:
    case WSQ_BLOB: {
        /* SQLite keeps whatever bytes a TEXT was given (CAST(x'ff' AS TEXT));
         * a guest is promised UTF-8, as PostgreSQL's encoding checks
         * promise it there: a Rust &str would trap, C or AssemblyScript
         * code would read past a character's end. */
        if (k == WSQ_TEXT && wb_utf8_prefix(v->p, v->n) != v->n) {
            wsq_fail(ctx, NULL, SQLITE_MISMATCH, "wasm function \"%s\": argument %d is text that is not valid UTF-8",
                     f->name, argno + 1);
            return false;
        }
        int64_t ptr = guest_alloc(ctx, f, v->n);
        if (ptr < 0)
            return false;
        if (v->n)
            memcpy(span(f->mod, (uint64_t)ptr, v->n), v->p, v->n);
        io[0] = (uint64_t)ptr;
        io[1] = v->n;
        return true;
    }
    case WSQ_TAGGED: {
        if (v->type == SQLITE_INTEGER || v->type == SQLITE_FLOAT) {
            wsq_fail(ctx, NULL, SQLITE_MISMATCH,
                     "wasm function \"%s\": argument %d is a number, the module takes TEXT, BLOB or NULL there",
                     f->name, argno + 1);
            return false;
        }
        uint64_t n = v->type == SQLITE_NULL ? 1 : v->type == SQLITE_TEXT ? v->n + 2 : v->n + 5;
        int64_t ptr = guest_alloc(ctx, f, n);
        if (ptr < 0)
            return false;
        uint8_t *d = span(f->mod, (uint64_t)ptr, n);
        if (v->type == SQLITE_NULL)
            d[0] = TAG_NULL;
        else if (v->type == SQLITE_TEXT) {
            d[0] = TAG_TEXT;
            memcpy(d + 1, v->p, v->n);
            d[1 + v->n] = 0;
        } else {
            d[0] = TAG_BLOB;
            d[1] = (uint8_t)(v->n >> 24), d[2] = (uint8_t)(v->n >> 16), d[3] = (uint8_t)(v->n >> 8),
            d[4] = (uint8_t)v->n;
            memcpy(d + 5, v->p, v->n);
        }
        io[0] = (uint64_t)ptr;
        return true;
    }
    default:
        break;
    }
    if (f->mod->abi == WSQ_ABI_LIBSQL && v->type != SQLITE_INTEGER && v->type != SQLITE_FLOAT) {
        wsq_fail(ctx, NULL, SQLITE_MISMATCH, "wasm function \"%s\": argument %d is %s, the module takes a number there",
                 f->name, argno + 1, v->type == SQLITE_TEXT ? "TEXT" : "a BLOB");
        return false;
    }
    switch (k) {
    case WSQ_INT64:
        io[0] = (uint64_t)v->i;
        break;
    case WSQ_FLOAT64:
        memcpy(io, &v->d, 8);
        break;
    case WSQ_FLOAT32: {
        float x = (float)v->d;
        uint32_t b;
        memcpy(&b, &x, 4);
        io[0] = b;
        break;
    }
    case WSQ_BOOL:
        io[0] = v->i != 0;
        break;
    default:
        io[0] = (uint32_t)(int32_t)v->i;
        break;
    }
    return true;
}

static bool lift_text(sqlite3_context *ctx, wsq_func *f, wsq_val *out)
{
    if (wb_utf8_prefix(out->p, out->n) != out->n) {
        wsq_fail(ctx, f, SQLITE_ERROR, "wasm function \"%s\" returned text that is not valid UTF-8", f->name);
        return false;
    }
    return true;
}

static bool lift_tagged(sqlite3_context *ctx, wsq_func *f, uint32_t ptr, wsq_val *out)
{
    wsq_module *m = f->mod;
    const uint8_t *d = span(m, ptr, 1);
    if (!d) {
        wsq_fail(ctx, f, SQLITE_ERROR, "wasm function \"%s\" returned the address %u, out of its memory", f->name, ptr);
        return false;
    }
    uint64_t rest = wb_memory_size(m->mem) - ptr - 1;
    switch (d[0]) {
    case TAG_NULL:
        out->type = SQLITE_NULL;
        return true;
    case TAG_TEXT: {
        const uint8_t *end = memchr(d + 1, 0, rest);
        if (!end)
            break;
        out->type = SQLITE_TEXT;
        out->p = d + 1;
        out->n = (size_t)(end - (d + 1));
        return lift_text(ctx, f, out);
    }
    case TAG_BLOB: {
        const uint8_t *b = span(m, (uint64_t)ptr + 1, 4);
        if (!b)
            break;
        uint32_t n = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        if (!span(m, (uint64_t)ptr + 5, n))
            break;
        out->type = SQLITE_BLOB;
        out->p = b + 4;
        out->n = n;
        return true;
    }
    default:
        wsq_fail(ctx, f, SQLITE_ERROR, "wasm function \"%s\" returned a value of unknown type tag %u", f->name, d[0]);
        return false;
    }
    wsq_fail(ctx, f, SQLITE_ERROR, "wasm function \"%s\" returned a %s running out of its memory", f->name,
             d[0] == TAG_TEXT ? "TEXT" : "BLOB");
    return false;
}

bool wsq_lift(sqlite3_context *ctx, wsq_func *f, wsq_kind k, uint64_t cell, wsq_val *out)
{
    out->p = NULL;
    out->n = 0;
    switch (k) {
    case WSQ_VOID:
        out->type = SQLITE_NULL;
        return true;
    case WSQ_BOOL:
        out->type = SQLITE_INTEGER;
        out->i = (uint32_t)cell != 0;
        return true;
    case WSQ_INT16:
        if ((int32_t)cell < -32768 || (int32_t)cell > 32767) {
            wsq_fail(ctx, NULL, SQLITE_ERROR, "wasm function \"%s\" returned %d, out of range for type smallint",
                     f->name, (int32_t)cell);
            return false;
        }
        /* fall through */
    case WSQ_INT32:
        out->type = SQLITE_INTEGER;
        out->i = (int32_t)cell;
        return true;
    case WSQ_INT64:
        out->type = SQLITE_INTEGER;
        out->i = (sqlite3_int64)cell;
        return true;
    case WSQ_FLOAT32: {
        float x;
        uint32_t b = (uint32_t)cell;
        memcpy(&x, &b, 4);
        out->type = SQLITE_FLOAT;
        out->d = x;
        return true;
    }
    case WSQ_FLOAT64:
        out->type = SQLITE_FLOAT;
        memcpy(&out->d, &cell, 8);
        return true;
    case WSQ_TAGGED:
        return lift_tagged(ctx, f, (uint32_t)cell, out);
    case WSQ_TEXT:
    case WSQ_BLOB:
        break;
    }
    const uint8_t *pl = span(f->mod, (uint32_t)cell, 8);
    uint32_t ptr = 0, len = 0;
    if (pl) {
        ptr = (uint32_t)pl[0] | (uint32_t)pl[1] << 8 | (uint32_t)pl[2] << 16 | (uint32_t)pl[3] << 24;
        len = (uint32_t)pl[4] | (uint32_t)pl[5] << 8 | (uint32_t)pl[6] << 16 | (uint32_t)pl[7] << 24;
    }
    out->p = pl ? span(f->mod, ptr, len) : NULL;
    if (!out->p) {
        wsq_fail(ctx, f, SQLITE_ERROR, "wasm function \"%s\" returned a %s out of the bounds of its memory", f->name,
                 k == WSQ_TEXT ? "string" : "byte list");
        return false;
    }
    out->n = len;
    out->type = k == WSQ_TEXT ? SQLITE_TEXT : SQLITE_BLOB;
    return k == WSQ_BLOB || lift_text(ctx, f, out);
}

void wsq_result(sqlite3_context *ctx, wsq_func *f, const wsq_val *v)
{
    switch (v->type) {
    case SQLITE_INTEGER:
        sqlite3_result_int64(ctx, v->i);
        return;
    case SQLITE_FLOAT:
        sqlite3_result_double(ctx, v->d);
        return;
    case SQLITE_NULL:
        sqlite3_result_null(ctx);
        return;
    default:
        break;
    }
    int limit = sqlite3_limit(sqlite3_context_db_handle(ctx), SQLITE_LIMIT_LENGTH, -1);
    if (v->n > (size_t)limit) {
        wsq_fail(ctx, NULL, SQLITE_TOOBIG, "wasm function \"%s\" returned %zu bytes, more than a value may hold (%d)",
                 f->name, v->n, limit);
        return;
    }
    if (v->type == SQLITE_TEXT)
        sqlite3_result_text64(ctx, v->p, v->n, SQLITE_TRANSIENT, SQLITE_UTF8);
    else
        sqlite3_result_blob64(ctx, v->p, v->n, SQLITE_TRANSIENT);
}
