/*
 * x64_num.c - the x86-64 emitter's numeric ops (src/compile/emit_x64_num.c)
 * against the interpreter, bit for bit: every op as an exported function of
 * its operands (and, for division, of a constant divisor), called on the
 * values where the two could differ (NaN payloads, signed zeros, the edges
 * of each integer range, ties for rounding), once compiled (WASMBOX_JIT=2)
 * and once interpreted (WASMBOX_JIT=0).  Results are compared as bits,
 * traps by their message.
 */
#include "test.h"

#include <stdint.h>

/* (name, params, result, body): body uses $a, $b. */
typedef struct {
    const char *op;
    char in, out; /* i, I (i64), f, F (f64) */
    int arity;
    const char *cst; /* a constant divisor instead of $b, or NULL */
} opdesc;

static const opdesc ops[] = {
    {"i32.div_s", 'i', 'i', 2, NULL},
    {"i32.div_u", 'i', 'i', 2, NULL},
    {"i32.rem_s", 'i', 'i', 2, NULL},
    {"i32.rem_u", 'i', 'i', 2, NULL},
    {"i64.div_s", 'I', 'I', 2, NULL},
    {"i64.div_u", 'I', 'I', 2, NULL},
    {"i64.rem_s", 'I', 'I', 2, NULL},
    {"i64.rem_u", 'I', 'I', 2, NULL},
    {"i32.div_s", 'i', 'i', 2, "-1"},
    {"i32.rem_s", 'i', 'i', 2, "-1"},
    {"i32.div_s", 'i', 'i', 2, "0"},
    {"i32.div_u", 'i', 'i', 2, "16"},
    {"i32.rem_u", 'i', 'i', 2, "16"},
    {"i32.div_u", 'i', 'i', 2, "1"},
    {"i32.rem_u", 'i', 'i', 2, "1"},
    {"i32.rem_s", 'i', 'i', 2, "17"},
    {"i32.div_u", 'i', 'i', 2, "-2"},
    {"i64.div_s", 'I', 'I', 2, "-1"},
    {"i64.rem_s", 'I', 'I', 2, "-1"},
    {"i64.div_u", 'I', 'I', 2, "0x8000000000000000"},
    {"i64.rem_u", 'I', 'I', 2, "0x8000000000000000"},
    {"i64.rem_s", 'I', 'I', 2, "-3"},
    {"i32.clz", 'i', 'i', 1, NULL},
    {"i32.ctz", 'i', 'i', 1, NULL},
    {"i32.popcnt", 'i', 'i', 1, NULL},
    {"i64.clz", 'I', 'I', 1, NULL},
    {"i64.ctz", 'I', 'I', 1, NULL},
    {"i64.popcnt", 'I', 'I', 1, NULL},
    {"i32.extend8_s", 'i', 'i', 1, NULL},
    {"i32.extend16_s", 'i', 'i', 1, NULL},
    {"i64.extend8_s", 'I', 'I', 1, NULL},
    {"i64.extend16_s", 'I', 'I', 1, NULL},
    {"i64.extend32_s", 'I', 'I', 1, NULL},
    {"i64.extend_i32_s", 'i', 'I', 1, NULL},
    {"i64.extend_i32_u", 'i', 'I', 1, NULL},
    {"i32.wrap_i64", 'I', 'i', 1, NULL},
    {"f32.add", 'f', 'f', 2, NULL},
    {"f32.sub", 'f', 'f', 2, NULL},
    {"f32.mul", 'f', 'f', 2, NULL},
    {"f32.div", 'f', 'f', 2, NULL},
    {"f32.min", 'f', 'f', 2, NULL},
    {"f32.max", 'f', 'f', 2, NULL},
    {"f32.copysign", 'f', 'f', 2, NULL},
    {"f32.eq", 'f', 'i', 2, NULL},
    {"f32.ne", 'f', 'i', 2, NULL},
    {"f32.lt", 'f', 'i', 2, NULL},
    {"f32.gt", 'f', 'i', 2, NULL},
    {"f32.le", 'f', 'i', 2, NULL},
    {"f32.ge", 'f', 'i', 2, NULL},
    {"f64.add", 'F', 'F', 2, NULL},
    {"f64.sub", 'F', 'F', 2, NULL},
    {"f64.mul", 'F', 'F', 2, NULL},
    {"f64.div", 'F', 'F', 2, NULL},
    {"f64.min", 'F', 'F', 2, NULL},
    {"f64.max", 'F', 'F', 2, NULL},
    {"f64.copysign", 'F', 'F', 2, NULL},
    {"f64.eq", 'F', 'i', 2, NULL},
    {"f64.ne", 'F', 'i', 2, NULL},
    {"f64.lt", 'F', 'i', 2, NULL},
    {"f64.gt", 'F', 'i', 2, NULL},
    {"f64.le", 'F', 'i', 2, NULL},
    {"f64.ge", 'F', 'i', 2, NULL},
    {"f32.abs", 'f', 'f', 1, NULL},
    {"f32.neg", 'f', 'f', 1, NULL},
    {"f32.ceil", 'f', 'f', 1, NULL},
    {"f32.floor", 'f', 'f', 1, NULL},
    {"f32.trunc", 'f', 'f', 1, NULL},
    {"f32.nearest", 'f', 'f', 1, NULL},
    {"f32.sqrt", 'f', 'f', 1, NULL},
    {"f64.abs", 'F', 'F', 1, NULL},
    {"f64.neg", 'F', 'F', 1, NULL},
    {"f64.ceil", 'F', 'F', 1, NULL},
    {"f64.floor", 'F', 'F', 1, NULL},
    {"f64.trunc", 'F', 'F', 1, NULL},
    {"f64.nearest", 'F', 'F', 1, NULL},
    {"f64.sqrt", 'F', 'F', 1, NULL},
    {"f32.demote_f64", 'F', 'f', 1, NULL},
    {"f64.promote_f32", 'f', 'F', 1, NULL},
    {"f32.convert_i32_s", 'i', 'f', 1, NULL},
    {"f32.convert_i32_u", 'i', 'f', 1, NULL},
    {"f32.convert_i64_s", 'I', 'f', 1, NULL},
    {"f32.convert_i64_u", 'I', 'f', 1, NULL},
    {"f64.convert_i32_s", 'i', 'F', 1, NULL},
    {"f64.convert_i32_u", 'i', 'F', 1, NULL},
    {"f64.convert_i64_s", 'I', 'F', 1, NULL},
    {"f64.convert_i64_u", 'I', 'F', 1, NULL},
    {"i32.trunc_f32_s", 'f', 'i', 1, NULL},
    {"i32.trunc_f32_u", 'f', 'i', 1, NULL},
    {"i32.trunc_f64_s", 'F', 'i', 1, NULL},
    {"i32.trunc_f64_u", 'F', 'i', 1, NULL},
    {"i64.trunc_f32_s", 'f', 'I', 1, NULL},
    {"i64.trunc_f32_u", 'f', 'I', 1, NULL},
    {"i64.trunc_f64_s", 'F', 'I', 1, NULL},
    {"i64.trunc_f64_u", 'F', 'I', 1, NULL},
    {"i32.trunc_sat_f32_s", 'f', 'i', 1, NULL},
    {"i32.trunc_sat_f32_u", 'f', 'i', 1, NULL},
    {"i32.trunc_sat_f64_s", 'F', 'i', 1, NULL},
    {"i32.trunc_sat_f64_u", 'F', 'i', 1, NULL},
    {"i64.trunc_sat_f32_s", 'f', 'I', 1, NULL},
    {"i64.trunc_sat_f32_u", 'f', 'I', 1, NULL},
    {"i64.trunc_sat_f64_s", 'F', 'I', 1, NULL},
    {"i64.trunc_sat_f64_u", 'F', 'I', 1, NULL},
    {"f32.reinterpret_i32", 'i', 'f', 1, NULL},
    {"i64.reinterpret_f64", 'F', 'I', 1, NULL},
};
#define NOPS (sizeof ops / sizeof ops[0])

static const uint32_t i32s[] = {0,          1,          2,          3,          7,
                                16,         17,         0x80,       0xff,       0x8000,
                                0xffff,     0x12345678, 0x7fffffff, 0x80000000, 0x80000001,
                                0xfffffffe, 0xffffffff, 0xfffffff9, 0x00010000};
static const uint64_t i64s[] = {0,
                                1,
                                2,
                                3,
                                7,
                                0x80,
                                0xff,
                                0xffff,
                                0x80000000,
                                0xffffffff,
                                0x100000000,
                                0x123456789abcdef0,
                                0x7fffffffffffffff,
                                0x8000000000000000,
                                0x8000000000000001,
                                0xfffffffffffffffe,
                                0xffffffffffffffff,
                                0xfffffffffffffff9,
                                0x0020000000000001,
                                0xffe0000000000001,
                                0x8000000000000400,
                                0x8000000000000401};
static const uint32_t f32s[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3f000000, 0xbf000000, 0x3fc00000, 0x40200000,
    0xc0200000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fa00000, 0xffa00001, 0x7fc12345,
    0x4f000000, 0xcf000000, 0xcf000001, 0x4f800000, 0x4f7fffff, 0x5f000000, 0x5effffff, 0x5f800000,
    0xdf000000, 0xdf000001, 0x7f7fffff, 0x00000001, 0x80000001, 0x406ccccd, 0xbf666666, 0x4b800001};
static const uint64_t f64s[] = {
    0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000,
    0x3fe0000000000000, 0xbfe0000000000000, 0x3ff8000000000000, 0x4004000000000000,
    0xc004000000000000, 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
    0xfff8000000000000, 0x7ff4000000000000, 0xfff4000000000001, 0x7ff8000012345678,
    0x41e0000000000000, 0xc1e0000000000000, 0xc1e0000000200000, 0xc1e00000001fffff,
    0x41efffffffe00000, 0x41f0000000000000, 0x41effffffffff000, 0x43e0000000000000,
    0x43dfffffffffffff, 0x43f0000000000000, 0xc3e0000000000000, 0xc3e0000000000001,
    0x7fefffffffffffff, 0x0000000000000001, 0x400d99999999999a, 0xbfecccccccccccc0,
    0x4330000000000001, 0x3ff0000000000001};

static const char *type_name(char t)
{
    return t == 'i' ? "i32" : t == 'I' ? "i64" : t == 'f' ? "f32" : "f64";
}

static char *module_text(void)
{
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    n += (size_t)snprintf(s + n, cap - n, "(module\n");
    for (size_t i = 0; i < NOPS; i++) {
        const opdesc *d = &ops[i];
        const char *in = type_name(d->in), *out = type_name(d->out);
        if (cap - n < 512)
            s = realloc(s, cap *= 2);
        if (d->arity == 1)
            n += (size_t)snprintf(
                s + n, cap - n,
                "(func (export \"%zu\") (param %s) (result %s) (%s (local.get 0)))\n", i, in, out,
                d->op);
        else if (d->cst)
            n += (size_t)snprintf(s + n, cap - n,
                                  "(func (export \"%zu\") (param %s %s) (result %s) (%s (local.get "
                                  "0) (%s.const %s)))\n",
                                  i, in, in, out, d->op, in, d->cst);
        else
            n += (size_t)snprintf(s + n, cap - n,
                                  "(func (export \"%zu\") (param %s %s) (result %s) (%s (local.get "
                                  "0) (local.get 1)))\n",
                                  i, in, in, out, d->op);
    }
    snprintf(s + n, cap - n, ")\n");
    return s;
}

static wb_val value(char t, size_t k)
{
    wb_val v = {0};
    switch (t) {
    case 'i':
        v.type = WB_I32, v.of.i32 = (int32_t)i32s[k];
        break;
    case 'I':
        v.type = WB_I64, v.of.i64 = (int64_t)i64s[k];
        break;
    case 'f':
        v.type = WB_F32, v.of.f32_bits = f32s[k];
        break;
    default:
        v.type = WB_F64, v.of.f64_bits = f64s[k];
        break;
    }
    return v;
}

static size_t count_of(char t)
{
    return t == 'i'   ? sizeof i32s / sizeof *i32s
           : t == 'I' ? sizeof i64s / sizeof *i64s
           : t == 'f' ? sizeof f32s / sizeof *f32s
                      : sizeof f64s / sizeof *f64s;
}

/* The outcome of one call, as text: the result's bits or the trap. */
static void outcome(char *buf, size_t cap, wb_instance *inst, size_t op, const wb_val *args)
{
    char name[16];
    snprintf(name, sizeof name, "%zu", op);
    wb_func *f = wb_instance_func(inst, name);
    wb_val r = {0};
    wb_error err;
    wb_result rc = wb_invoke(f, args, (uint32_t)ops[op].arity, &r, 1, NULL, &err);
    if (rc != WB_OK)
        snprintf(buf, cap, "trap %d: %s", rc, err.message);
    else if (r.type == WB_I64 || r.type == WB_F64)
        snprintf(buf, cap, "%016llx", (unsigned long long)r.of.i64);
    else
        snprintf(buf, cap, "%08x", (unsigned)r.of.i32);
}

TEST(numeric_ops_compiled_match_interpreter)
{
    char *text = module_text();
    wb_module *mref = NULL, *mgot = NULL;
    wb_instance *ref = wat_instance(text, "0", &mref), *got = wat_instance(text, "2", &mgot);
    free(text);
    CHECK(ref && got);
    unsigned calls = 0, wrong = 0;
    for (size_t op = 0; ref && got && op < NOPS; op++) {
        char t = ops[op].in;
        size_t n = count_of(t), m = ops[op].arity == 2 ? n : 1;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < m; j++) {
                wb_val args[2] = {value(t, i), value(t, j)};
                char a[600], b[600];
                outcome(a, sizeof a, ref, op, args);
                outcome(b, sizeof b, got, op, args);
                calls++;
                if (strcmp(a, b) != 0 && wrong++ < 20)
                    fprintf(stderr, "%s%s%s (%016llx, %016llx): interpreted %s, compiled %s\n",
                            ops[op].op, ops[op].cst ? " by " : "", ops[op].cst ? ops[op].cst : "",
                            (unsigned long long)args[0].of.i64, (unsigned long long)args[1].of.i64,
                            a, b);
            }
    }
    CHECK(calls > 10000);
    CHECK_EQ_INT(wrong, 0);
    if (ref)
        wb_instance_free(ref);
    if (got)
        wb_instance_free(got);
    if (mref)
        wb_module_free(mref);
    if (mgot)
        wb_module_free(mgot);
}
