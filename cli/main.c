/*
 * main.c - the `wasmbox` command: validate, invoke and run spec scripts.
 *
 *   wasmbox validate FILE.wasm|FILE.wat
 *   wasmbox invoke [--fuel N] [--max-memory BYTES] FILE.wasm|FILE.wat FUNC [ARGS...]
 *   wasmbox wast [--stats] FILE.wast
 *   wasmbox wat2wasm [--no-check] IN.wat [-o OUT.wasm]
 *   wasmbox run ...                (run.c: a WASI program)
 *   wasmbox sandbox ...            (sandbox.c: the client of wasmboxd)
 *   wasmbox image build ...        (image.c: an OCI image of a WASI program)
 *
 * Exit status: 0 success, 1 usage or load error, 2 the call trapped (or ran
 * out of fuel), 3 a resource limit was hit while instantiating.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint8_t *cli_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "wasmbox: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *nb = realloc(buf, cap *= 2);
        if (!nb)
            free(buf);
        buf = nb;
    }
    bool bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        fprintf(stderr, "wasmbox: cannot read %s\n", path);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int cli_parse_value(uint8_t type, const char *s, wb_val *out)
{
    char *end;
    errno = 0;
    memset(out, 0, sizeof *out);
    out->type = type;
    switch (type) {
    case WB_I32:
    case WB_I64: {
        /* Accept both signed and unsigned spellings of the same bits. */
        long long v;
        if (*s == '-')
            v = strtoll(s, &end, 0);
        else
            v = (long long)strtoull(s, &end, 0);
        if (*s == 0 || *end || errno)
            return -1;
        if (type == WB_I32) {
            if (v < INT32_MIN || v > (long long)UINT32_MAX)
                return -1;
            out->of.i32 = (int32_t)(uint32_t)v;
        } else {
            out->of.i64 = v;
        }
        return 0;
    }
    case WB_F32: {
        float f = strtof(s, &end);
        if (*s == 0 || *end)
            return -1;
        memcpy(&out->of.f32_bits, &f, 4);
        return 0;
    }
    case WB_F64: {
        double d = strtod(s, &end);
        if (*s == 0 || *end)
            return -1;
        memcpy(&out->of.f64_bits, &d, 8);
        return 0;
    }
    default:
        return -1; /* v128 and references cannot be given on a command line */
    }
}

void cli_print_value(const wb_val *v)
{
    switch (v->type) {
    case WB_I32:
        printf("%" PRId32 "\n", v->of.i32);
        break;
    case WB_I64:
        printf("%" PRId64 "\n", v->of.i64);
        break;
    case WB_F32: {
        float f;
        memcpy(&f, &v->of.f32_bits, 4);
        if (isnan(f))
            printf("%snan:0x%" PRIx32 "\n", v->of.f32_bits >> 31 ? "-" : "", v->of.f32_bits & 0x7fffff);
        else
            printf("%.9g\n", f);
        break;
    }
    case WB_F64: {
        double d;
        memcpy(&d, &v->of.f64_bits, 8);
        if (isnan(d))
            printf("%snan:0x%" PRIx64 "\n", v->of.f64_bits >> 63 ? "-" : "",
                   (uint64_t)(v->of.f64_bits & 0xfffffffffffffull));
        else
            printf("%.17g\n", d);
        break;
    }
    case WB_V128:
        printf("v128");
        for (int i = 0; i < 4; i++) {
            uint32_t lane;
            memcpy(&lane, v->of.v128 + 4 * i, 4);
            printf(" 0x%08" PRIx32, lane);
        }
        printf("\n");
        break;
    case WB_FUNCREF:
        printf(v->of.func ? "funcref\n" : "null funcref\n");
        break;
    default:
        printf(v->of.extern_ ? "externref\n" : "null externref\n");
        break;
    }
}

void cli_print_error(const char *path, const wb_error *err)
{
    fprintf(stderr, "wasmbox: %s%s%s\n", path ? path : "", path ? ": " : "", err->message);
    for (uint32_t i = 0; i < err->nframes; i++) {
        const wb_frame_info *fr = &err->frames[i];
        if (fr->name)
            fprintf(stderr, "  #%u func %u (%.*s) at offset 0x%x\n", i, fr->func, (int)fr->name_len, fr->name,
                    fr->code_offset);
        else
            fprintf(stderr, "  #%u func %u at offset 0x%x\n", i, fr->func, fr->code_offset);
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: wasmbox validate FILE.wasm|FILE.wat\n"
                    "       wasmbox invoke [--fuel N] [--max-memory BYTES] FILE.wasm|FILE.wat FUNC [ARGS...]\n"
                    "       wasmbox wast [--stats] FILE.wast\n"
                    "       wasmbox wat2wasm [--no-check] IN.wat [-o OUT.wasm]\n"
                    "       wasmbox run [--env K=V]... [--dir HOST[::GUEST]]... [--fuel N] [--max-memory BYTES]\n"
                    "                   FILE.wasm|FILE.wat [ARGS...]   (a WASI program)\n"
                    "       wasmbox sandbox create|start|ps|inspect|logs|kill|wait|rm|metrics ... (wasmboxd's client)\n"
                    "       wasmbox image build -o IMAGE.tar [--tag NAME] FILE.wasm [FILES...] (an OCI image)\n");
    return 1;
}

/* A binary starts with "\0asm"; anything else not named .wasm is text. */
static bool is_text(const char *path, const uint8_t *bytes, size_t len)
{
    if (len >= 4 && memcmp(bytes, "\0asm", 4) == 0)
        return false;
    size_t n = strlen(path);
    return !(n >= 5 && strcmp(path + n - 5, ".wasm") == 0);
}

/* Text errors read "FILE:LINE:COL: reason", as a compiler's do. */
static void text_error(const char *path, const wb_error *err)
{
    if (err->message[0] >= '1' && err->message[0] <= '9')
        fprintf(stderr, "%s:%s\n", path, err->message);
    else
        cli_print_error(path, err);
}

wb_module *cli_load(const char *path)
{
    size_t len;
    uint8_t *bytes = cli_read_file(path, &len);
    if (!bytes)
        return NULL;
    wb_module *m = NULL;
    wb_error err;
    if (is_text(path, bytes, len)) {
        if (wb_module_from_wat((const char *)bytes, len, &m, &err) != WB_OK)
            text_error(path, &err);
    } else if (wb_module_load(bytes, len, &m, &err) != WB_OK) {
        cli_print_error(path, &err);
    }
    free(bytes);
    return m;
}

/* wat2wasm [--no-check] IN.wat [-o OUT.wasm]: the encoding is wabt's, byte
 * for byte; like wabt the module is validated unless --no-check.  Without
 * -o, OUT is IN with its .wat extension replaced by .wasm. */
static int cmd_wat2wasm(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    bool check = true;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc && !out)
            out = argv[++i];
        else if (strcmp(argv[i], "--no-check") == 0)
            check = false;
        else if (!in && (argv[i][0] != '-' || !argv[i][1]))
            in = argv[i];
        else
            return usage();
    }
    if (!in)
        return usage();
    char *outbuf = NULL;
    if (!out) {
        size_t n = strlen(in);
        if (n > 4 && strcmp(in + n - 4, ".wat") == 0)
            n -= 4;
        outbuf = malloc(n + 6);
        if (!outbuf)
            return 1;
        memcpy(outbuf, in, n);
        memcpy(outbuf + n, ".wasm", 6);
        out = outbuf;
    }
    int rc = 1;
    size_t len, blen = 0;
    uint8_t *text = cli_read_file(in, &len), *bin = NULL;
    wb_error err;
    wb_module *m = NULL;
    if (!text)
        goto done;
    if (wb_wat_to_wasm((const char *)text, len, &bin, &blen, &err) != WB_OK) {
        text_error(in, &err);
        goto done;
    }
    /* A load error is located in the text only by the path that keeps the
     * source map; it runs only when the module is invalid. */
    if (check && wb_module_load(bin, blen, &m, &err) != WB_OK) {
        wb_module_from_wat((const char *)text, len, &m, &err);
        text_error(in, &err);
        goto done;
    }
    FILE *f = fopen(out, "wb");
    if (!f) {
        fprintf(stderr, "wasmbox: cannot create %s: %s\n", out, strerror(errno));
        goto done;
    }
    bool ok = fwrite(bin, 1, blen, f) == blen;
    if (fclose(f) != 0 || !ok) {
        fprintf(stderr, "wasmbox: cannot write %s\n", out);
        remove(out);
        goto done;
    }
    rc = 0;
done:
    wb_module_free(m);
    wb_free(bin);
    free(text);
    free(outbuf);
    return rc;
}

static int cmd_validate(int argc, char **argv)
{
    if (argc != 1)
        return usage();
    wb_module *m = cli_load(argv[0]);
    if (!m)
        return 1;
    wb_module_free(m);
    return 0;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == 0)
        return false;
    *out = strtoull(s, &end, 0);
    return *end == 0 && errno == 0;
}

static int cmd_invoke(int argc, char **argv)
{
    wb_call_opts opts = {0};
    wb_instance_limits limits = {0};
    int i = 0;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--fuel") == 0 && i + 1 < argc) {
            if (!parse_u64(argv[++i], &opts.fuel))
                return usage();
        } else if (strcmp(argv[i], "--max-memory") == 0 && i + 1 < argc) {
            if (!parse_u64(argv[++i], &limits.max_memory_bytes))
                return usage();
        } else {
            return usage();
        }
    }
    if (argc - i < 2)
        return usage();
    const char *path = argv[i], *fname = argv[i + 1];
    char **args = argv + i + 2;
    uint32_t nargs = (uint32_t)(argc - i - 2);

    wb_module *m = cli_load(path);
    if (!m)
        return 1;
    int rc = 1;
    wb_instance *inst = NULL;
    wb_val *vals = NULL, *results = NULL;
    wb_error err;
    if (wb_module_import_count(m) != 0) {
        fprintf(stderr, "wasmbox: %s: the module has imports; invoke runs self-contained modules\n",
                path);
        goto out;
    }
    wb_result r = wb_instantiate(m, NULL, 0, &limits, &opts, &inst, &err);
    if (r != WB_OK) {
        cli_print_error(NULL, &err);
        rc = wb_result_is_trap(r) ? 2 : 3;
        goto out;
    }
    wb_func *f = wb_instance_func(inst, fname);
    if (!f) {
        fprintf(stderr, "wasmbox: no exported function named '%s'\n", fname);
        goto out;
    }
    const wb_functype *ft = wb_func_type(f);
    if (nargs != ft->nparams) {
        fprintf(stderr, "wasmbox: %s takes %u argument(s), %u given\n", fname, ft->nparams, nargs);
        goto out;
    }
    vals = calloc(ft->nparams + 1, sizeof *vals);
    results = calloc(ft->nresults + 1, sizeof *results);
    if (!vals || !results)
        goto out;
    for (uint32_t k = 0; k < nargs; k++) {
        if (cli_parse_value(ft->types[k], args[k], &vals[k]) != 0) {
            fprintf(stderr, "wasmbox: argument %u: '%s' is not a valid %s\n", k + 1, args[k],
                    ft->types[k] == WB_I32   ? "i32"
                    : ft->types[k] == WB_I64 ? "i64"
                    : ft->types[k] == WB_F32 ? "f32"
                    : ft->types[k] == WB_F64 ? "f64"
                                             : "command-line value");
            goto out;
        }
    }
    r = wb_invoke(f, vals, nargs, results, ft->nresults, &opts, &err);
    if (r != WB_OK) {
        cli_print_error(NULL, &err);
        rc = 2;
        goto out;
    }
    for (uint32_t k = 0; k < ft->nresults; k++)
        cli_print_value(&results[k]);
    rc = 0;
out:
    free(vals);
    free(results);
    wb_instance_free(inst);
    wb_module_free(m);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "validate") == 0)
        return cmd_validate(argc - 2, argv + 2);
    if (strcmp(argv[1], "invoke") == 0)
        return cmd_invoke(argc - 2, argv + 2);
    if (strcmp(argv[1], "wast") == 0)
        return cli_wast(argc - 2, argv + 2);
    if (strcmp(argv[1], "wat2wasm") == 0)
        return cmd_wat2wasm(argc - 2, argv + 2);
    if (strcmp(argv[1], "run") == 0)
        return cli_run(argc - 2, argv + 2);
    if (strcmp(argv[1], "sandbox") == 0)
        return cli_sandbox(argc - 2, argv + 2);
    if (strcmp(argv[1], "image") == 0)
        return cli_image(argc - 2, argv + 2);
    if (strcmp(argv[1], "--version") == 0) {
        printf("wasmbox %s\n", WB_VERSION);
        return 0;
    }
    return usage();
}
