/*
 * errors.c - result names and messages, and the error funnel every load,
 * link and trap path goes through.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static const char *const names[] = {
#define X(name, msg) #name,
    WB_RESULT_MAP(X)
#undef X
};

static const char *const messages[] = {
#define X(name, msg) msg,
    WB_RESULT_MAP(X)
#undef X
};

const char *wb_result_name(wb_result r)
{
    return (unsigned)r < WB_RESULT_COUNT_ ? names[r] : "UNKNOWN";
}

const char *wb_result_message(wb_result r)
{
    return (unsigned)r < WB_RESULT_COUNT_ ? messages[r] : "unknown result";
}

bool wb_result_is_trap(wb_result r)
{
    return r >= WB_TRAP_UNREACHABLE && r <= WB_TRAP_HOST;
}

const char *wb__type_name(uint8_t t)
{
    switch (t) {
    case WB_I32: return "i32";
    case WB_I64: return "i64";
    case WB_F32: return "f32";
    case WB_F64: return "f64";
    case WB_V128: return "v128";
    case WB_FUNCREF: return "funcref";
    case WB_EXTERNREF: return "externref";
    default: return "unknown type";
    }
}

wb_result wb__verror(wb_error *err, wb_result code, uint64_t offset, const char *fmt, va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    err->offset = offset;
    err->nframes = 0;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    return code;
}

wb_result wb__error(wb_error *err, wb_result code, uint64_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wb__verror(err, code, offset, fmt, ap);
    va_end(ap);
    return code;
}

/* Compound literals: gcc builds them in place, where a local filled field by
 * field is copied out with a wide load that stalls on the narrow stores. */
wb_val wb_i32(int32_t v) { return (wb_val){.type = WB_I32, .of.i32 = v}; }
wb_val wb_i64(int64_t v) { return (wb_val){.type = WB_I64, .of.i64 = v}; }
wb_val wb_f32(float v)
{
    uint32_t b;
    memcpy(&b, &v, 4);
    return (wb_val){.type = WB_F32, .of.f32_bits = b};
}
wb_val wb_f64(double v)
{
    uint64_t b;
    memcpy(&b, &v, 8);
    return (wb_val){.type = WB_F64, .of.f64_bits = b};
}
