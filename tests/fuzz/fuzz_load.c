/*
 * fuzz_load.c - libFuzzer target: any bytes go through load, instantiate
 * (imports satisfied by type-correct stand-ins) and a call of every
 * exported function with zero arguments and a small fuel budget.  The
 * engine must answer with a result code for every input; a crash, leak or
 * sanitizer report is a finding.  Run with `make fuzz` (FUZZ_SECONDS=600).
 */
#include "wasmbox.h"

#include <stdlib.h>
#include <string.h>

#include "exercise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wb_module *m;
    wb_error err;
    if (wb_module_load(data, size, &m, &err) != WB_OK)
        return 0;
    exercise(m);
    wb_module_free(m);
    return 0;
}
