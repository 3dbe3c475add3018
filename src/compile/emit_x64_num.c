/*
 * emit_x64_num.c - numeric ops as x86-64 (emit_x64.h): integer division
 * and remainder, floats, conversions.  Not translated yet: every such op
 * leaves to the interpreter at its cell.
 */
#include "emit_x64.h"

bool wb__x64e_numeric(x64_emit *x, const xop *o)
{
    (void)x;
    (void)o;
    return false;
}
