/*
 * sqlite_bench.c - the SQLite extension against C functions registered
 * with sqlite3_create_function, in the same queries (issue 16):
 *
 *   call overhead   SELECT sum(f(value, 1)) FROM generate_series(1, 1000000)
 *                   f = ns_add (examples/pg/math.wasm, canonical ABI) vs a C add
 *   text reverse    SELECT sum(length(f(t))) over 100,000 texts of 100 bytes
 *                   f = str_reverse (examples/pg/strings.wasm, canonical ABI),
 *                   reverse (tests/sqlite/libsql_reverse.wat, libSQL's ABI)
 *                   vs the same algorithm in C (examples/pg/utf8_reverse.h)
 *
 * generate_series is the series extension's table-valued function, written
 * down here in its smallest form (libsqlite3 does not include it; the sqlite3
 * shell does).  Each query runs 9 times, wasm and C in turn; the best time counts.
 * Run by `make bench` from the repository's root.
 */
#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../examples/pg/utf8_reverse.h"

/* Runs of each query, wasm and C taking turns so that both see the same
 * load on a shared machine; the best of each counts. */
#define RUNS 9
#define TEXTS 100000
#define TEXT_BYTES 100

static void die(sqlite3 *db, const char *what)
{
    fprintf(stderr, "sqlite_bench: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
    exit(1);
}

/* ---- generate_series(start, stop) ---------------------------------------------------- */

typedef struct {
    sqlite3_vtab_cursor base;
    sqlite3_int64 v, stop;
} series_cur;

static int s_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **err)
{
    int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(value, start HIDDEN, stop HIDDEN)");
    if (rc == SQLITE_OK && !(*out = sqlite3_malloc(sizeof **out)))
        rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK)
        memset(*out, 0, sizeof **out);
    return rc;
}

static int s_disconnect(sqlite3_vtab *v)
{
    sqlite3_free(v);
    return SQLITE_OK;
}

/* Both hidden columns must be given, by equality. */
static int s_best(sqlite3_vtab *v, sqlite3_index_info *info)
{
    int have = 0;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->iColumn < 1 || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
            continue;
        if (!c->usable)
            return SQLITE_CONSTRAINT;
        info->aConstraintUsage[i].argvIndex = c->iColumn;
        info->aConstraintUsage[i].omit = 1;
        have |= c->iColumn;
    }
    if (have != 3)
        return SQLITE_CONSTRAINT;
    info->estimatedCost = 1000;
    return SQLITE_OK;
}

static int s_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
    series_cur *c = sqlite3_malloc(sizeof *c);
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    *out = &c->base;
    return SQLITE_OK;
}

static int s_close(sqlite3_vtab_cursor *c)
{
    sqlite3_free(c);
    return SQLITE_OK;
}

static int s_filter(sqlite3_vtab_cursor *cur, int idx, const char *s, int argc, sqlite3_value **argv)
{
    series_cur *c = (series_cur *)cur;
    c->v = sqlite3_value_int64(argv[0]);
    c->stop = sqlite3_value_int64(argv[1]);
    return SQLITE_OK;
}

static int s_next(sqlite3_vtab_cursor *cur)
{
    ((series_cur *)cur)->v++;
    return SQLITE_OK;
}

static int s_eof(sqlite3_vtab_cursor *cur) { return ((series_cur *)cur)->v > ((series_cur *)cur)->stop; }

static int s_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i)
{
    sqlite3_result_int64(ctx, ((series_cur *)cur)->v);
    return SQLITE_OK;
}

static int s_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *r)
{
    *r = ((series_cur *)cur)->v;
    return SQLITE_OK;
}

static const sqlite3_module series = {
    .xConnect = s_connect, .xBestIndex = s_best, .xDisconnect = s_disconnect, .xOpen = s_open,
    .xClose = s_close,     .xFilter = s_filter,  .xNext = s_next,             .xEof = s_eof,
    .xColumn = s_column,   .xRowid = s_rowid,
};

/* ---- the C anchors ------------------------------------------------------------------------- */

static void c_add(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return;
    sqlite3_result_int(ctx, sqlite3_value_int(argv[0]) + sqlite3_value_int(argv[1]));
}

static void c_reverse(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const unsigned char *s = sqlite3_value_text(argv[0]);
    int n = sqlite3_value_bytes(argv[0]);
    if (!s)
        return;
    unsigned char *out = sqlite3_malloc(n ? n : 1);
    if (!out) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    utf8_reverse(s, (uint32_t)n, out);
    sqlite3_result_text(ctx, (const char *)out, n, sqlite3_free);
}

/* ---- timing ------------------------------------------------------------------------------- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One run of a prepared query; its one result in *out. */
static double run_once(sqlite3 *db, sqlite3_stmt *st, sqlite3_int64 *out)
{
    double t0 = now_ms();
    if (sqlite3_step(st) != SQLITE_ROW)
        die(db, sqlite3_sql(st));
    double t = now_ms() - t0;
    *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return t;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        die(db, sql);
    return st;
}

static int failed;

static void compare(sqlite3 *db, const char *label, const char *fmt, const char *wasm, const char *c, double target)
{
    char q1[512], q2[512];
    snprintf(q1, sizeof q1, fmt, wasm);
    snprintf(q2, sizeof q2, fmt, c);
    sqlite3_int64 r1 = 0, r2 = 0;
    sqlite3_stmt *s1 = prepare(db, q1), *s2 = prepare(db, q2);
    double t1 = 1e30, t2 = 1e30;
    for (int r = 0; r < RUNS; r++) {
        double a = run_once(db, s1, &r1), b = run_once(db, s2, &r2);
        t1 = a < t1 ? a : t1;
        t2 = b < t2 ? b : t2;
    }
    sqlite3_finalize(s1);
    sqlite3_finalize(s2);
    printf("  %-34s wasm %8.1f ms   C %8.1f ms   ratio %.2fx", label, t1, t2, t1 / t2);
    if (target > 0)
        printf(" (target <= %.1fx: %s)", target, t1 / t2 <= target ? "met" : "NOT met");
    printf("\n");
    if (r1 != r2) {
        printf("    results differ: %lld vs %lld\n", (long long)r1, (long long)r2);
        failed = 1;
    }
}

int main(void)
{
    sqlite3 *db;
    char *err = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        die(db, "open");
    sqlite3_enable_load_extension(db, 1);
    if (sqlite3_load_extension(db, "build/wasm_sqlite", NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sqlite_bench: loading build/wasm_sqlite: %s\n", err);
        return 1;
    }
    if (sqlite3_create_module(db, "generate_series", &series, NULL) != SQLITE_OK ||
        sqlite3_create_function(db, "c_add", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, c_add, NULL, NULL) ||
        sqlite3_create_function(db, "c_reverse", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, c_reverse, NULL,
                                NULL))
        die(db, "registering the C functions");
    if (sqlite3_exec(db,
                     "SELECT wasm_new_instance('build/examples/pg/math.wasm', 'ns');"
                     "SELECT wasm_new_instance('build/examples/pg/strings.wasm', 'str');"
                     "CREATE TABLE libsql_wasm_func_table (name text PRIMARY KEY, body text) WITHOUT ROWID;",
                     NULL, NULL, &err) != SQLITE_OK)
        die(db, err);
    FILE *f = fopen("tests/sqlite/libsql_reverse.wat", "rb");
    static char wat[65536];
    size_t n = f ? fread(wat, 1, sizeof wat - 1, f) : 0;
    if (f)
        fclose(f);
    sqlite3_stmt *st;
    if (!n || sqlite3_prepare_v2(db, "INSERT INTO libsql_wasm_func_table VALUES ('reverse', ?1)", -1, &st, NULL))
        die(db, "tests/sqlite/libsql_reverse.wat");
    sqlite3_bind_text(st, 1, wat, (int)n, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        die(db, "storing reverse");
    sqlite3_finalize(st);
    /* Texts of 100 bytes, ASCII with a few 2- and 3-byte characters. */
    if (sqlite3_exec(db,
                     "SELECT wasm_refresh();"
                     "CREATE TABLE texts AS SELECT substr(printf('%.*c', 60, 'a') || 'ñé€ü' || value || "
                     "printf('%.*c', 40, 'z'), 1, 90) AS t FROM generate_series(1, 100000);",
                     NULL, NULL, &err) != SQLITE_OK)
        die(db, err);

    printf("SQLite extension vs C functions (sqlite3_create_function), best of %d:\n", RUNS);
    compare(db, "ns_add (wasm) vs C add", "SELECT sum(%s(value, 1)) FROM generate_series(1, 1000000)", "ns_add",
            "c_add", 1.3);
    compare(db, "str_reverse (canonical ABI) vs C", "SELECT sum(length(%s(t))) FROM texts", "str_reverse",
            "c_reverse", 0);
    compare(db, "reverse (libSQL ABI) vs C", "SELECT sum(length(%s(t))) FROM texts", "reverse", "c_reverse", 0);
    sqlite3_int64 differ;
    sqlite3_stmt *chk = prepare(db, "SELECT count(*) FROM texts WHERE str_reverse(t) <> c_reverse(t) OR "
                                    "reverse(t) <> c_reverse(t)");
    run_once(db, chk, &differ);
    sqlite3_finalize(chk);
    printf("  texts reversed differently by wasm and C: %lld\n", (long long)differ);
    failed |= differ != 0;
    sqlite3_close(db);
    return failed;
}
