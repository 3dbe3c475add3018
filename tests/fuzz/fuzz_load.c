/*
 * fuzz_load.c - libFuzzer target: any bytes go through load, instantiate
 * (imports satisfied by type-correct stand-ins) and a call of every
 * exported function with zero arguments and a small fuel budget.  The
 * engine must answer with a result code for every input; a crash, leak or
 * sanitizer report is a finding.  The module is loaded twice, with machine
 * code (the compiler of src/compile/) and interpreted only (WASMBOX_JIT=0),
 * and the calls'
 * outcomes (results, traps and their places, fuel) must be the same: a
 * difference aborts, as a finding.  Run with `make fuzz` (FUZZ_SECONDS=600).
 */
#include "wasmbox.h"

#include <stdlib.h>
#include <string.h>

#include "exercise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The first load as the environment says (by default, with machine code). */
    static bool once;
    static char *mode;
    if (!once) {
        const char *e = getenv("WASMBOX_JIT");
        mode = e ? strdup(e) : NULL;
        once = true;
    }
    wb_module *m, *mi;
    wb_error err;
    /* The hosts read a guest's declared signatures from the bytes (any
     * bytes: the reader must stay inside them, valid module or not). */
    size_t siglen;
    const char *sig = wb_guest_sql_signature(data, size, "f", &siglen);
    if (sig && (sig < (const char *)data || sig + siglen > (const char *)data + size))
        abort();
    if (wb_module_load(data, size, &m, &err) != WB_OK)
        return 0;
    setenv("WASMBOX_JIT", "0", 1);
    wb_result r = wb_module_load(data, size, &mi, &err);
    if (mode)
        setenv("WASMBOX_JIT", mode, 1);
    else
        unsetenv("WASMBOX_JIT");
    if (r != WB_OK)
        abort(); /* the same bytes must load both ways */
    char *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    FILE *fa = open_memstream(&a, &na), *fb = open_memstream(&b, &nb);
    exercise(m, fa);
    exercise(mi, fb);
    fclose(fa);
    fclose(fb);
    if (na != nb || memcmp(a, b, na) != 0) {
        fprintf(stderr, "machine code:\n%s\ninterpreted:\n%s\n", a, b);
        abort();
    }
    free(a);
    free(b);
    wb_module_free(mi);
    wb_module_free(m);
    return 0;
}
