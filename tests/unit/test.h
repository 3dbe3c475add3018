/*
 * test.h - the unit tests' tiny framework: TEST() registers a function,
 * CHECK() records a failure with its line and goes on, and main() runs every
 * test and ends with the line "N passed, M failed".
 */
#ifndef WB_TEST_H
#define WB_TEST_H

#include "wasmbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
static struct {
    const char *name;
    test_fn fn;
} tests_[256];
static int ntests_, failed_now_;

#define TEST(fn_)                                                                                \
    static void fn_(void);                                                                       \
    __attribute__((constructor)) static void reg_##fn_(void)                                     \
    {                                                                                            \
        tests_[ntests_].name = #fn_;                                                             \
        tests_[ntests_++].fn = fn_;                                                              \
    }                                                                                            \
    static void fn_(void)

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);             \
            failed_now_++;                                                                       \
        }                                                                                        \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                       \
    do {                                                                                         \
        long long a_ = (long long)(a), b_ = (long long)(b);                                      \
        if (a_ != b_) {                                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n", __FILE__, __LINE__, \
                    #a, #b, a_, b_);                                                             \
            failed_now_++;                                                                       \
        }                                                                                        \
    } while (0)

/* An instance of the module in wat text, compiled as WASMBOX_JIT=mode
 * says (*mp: the module, to free). */
static inline wb_instance *wat_instance(const char *text, const char *mode, wb_module **mp)
{
    const char *was = getenv("WASMBOX_JIT");
    char *saved = was ? strdup(was) : NULL;
    setenv("WASMBOX_JIT", mode, 1);
    wb_module *m = NULL;
    wb_error err;
    if (wb_module_from_wat(text, strlen(text), &m, &err) != WB_OK)
        fprintf(stderr, "module: %s\n", err.message);
    if (saved)
        setenv("WASMBOX_JIT", saved, 1);
    else
        unsetenv("WASMBOX_JIT");
    free(saved);
    *mp = m;
    wb_instance *inst = NULL;
    if (m && wb_instantiate(m, NULL, 0, NULL, NULL, &inst, &err) != WB_OK)
        fprintf(stderr, "instantiate: %s\n", err.message);
    return inst;
}

/* Reads build/modules/NAME.wasm (made from tests/modules/NAME.wat). */
static inline wb_module *load_module(const char *name)
{
    char path[512];
    const char *dir = getenv("WB_MODULE_DIR");
    snprintf(path, sizeof path, "%s/%s.wasm", dir ? dir : "build/modules", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    static unsigned char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    wb_module *m = NULL;
    wb_error err;
    if (wb_module_load(buf, n, &m, &err) != WB_OK)
        fprintf(stderr, "%s: %s\n", path, err.message);
    return m;
}

int main(void)
{
    int passed = 0, failed = 0;
    for (int i = 0; i < ntests_; i++) {
        failed_now_ = 0;
        tests_[i].fn();
        if (failed_now_) {
            fprintf(stderr, "FAIL %s\n", tests_[i].name);
            failed++;
        } else {
            passed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

#endif
