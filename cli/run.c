/*
 * run.c - `wasmbox run`: a WASI program from the command line.
 *
 *   wasmbox run [--env K=V]... [--dir HOST[::GUEST]]... [--fuel N] [--max-memory BYTES]
 *               FILE.wasm|FILE.wat [ARGS...]
 *
 * The guest gets the host's stdin/stdout/stderr, the arguments (argv[0] is
 * FILE as given), only the environment variables given with --env and only
 * the directories given with --dir (GUEST defaults to HOST).  Exit status:
 * the guest's exit code; 134 after a trap (the trap and a wasm backtrace go
 * to stderr), as a shell reports a program that aborted; 1 when the program
 * cannot be loaded or linked.
 */
#include "cli.h"
#include "wasmbox_wasi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_TRAP_EXIT 134

static int usage(void)
{
    fprintf(stderr, "usage: wasmbox run [--env K=V]... [--dir HOST[::GUEST]]... [--fuel N] [--max-memory BYTES]\n"
                    "                   FILE.wasm|FILE.wat [ARGS...]\n");
    return 1;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '-' || !*s)
        return -1;
    *out = strtoull(s, &end, 0);
    return *end || errno ? -1 : 0;
}

int cli_run(int argc, char **argv)
{
    const char **env = calloc((size_t)argc + 1, sizeof *env);
    char **dirs = calloc((size_t)argc + 1, sizeof *dirs);
    uint32_t nenv = 0, ndirs = 0;
    wb_call_opts opts = {0};
    wb_instance_limits limits = {0};
    int i = 0, rc = 1;
    wb_module *m = NULL;
    wb_wasi *w = NULL;
    wb_instance *inst = NULL;
    wb_call *call = NULL;
    if (!env || !dirs)
        goto out;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(opt, "--") == 0) {
            i++;
            break;
        }
        if (!val) {
            rc = usage();
            goto out;
        }
        i++;
        if (strcmp(opt, "--env") == 0 && strchr(val, '=') && val[0] != '=') {
            env[nenv++] = val;
        } else if (strcmp(opt, "--dir") == 0 && val[0]) {
            dirs[ndirs++] = argv[i];
        } else if (strcmp(opt, "--fuel") == 0 && parse_u64(val, &opts.fuel) == 0) {
        } else if (strcmp(opt, "--max-memory") == 0 && parse_u64(val, &limits.max_memory_bytes) == 0) {
        } else {
            rc = usage();
            goto out;
        }
    }
    if (i >= argc) {
        rc = usage();
        goto out;
    }
    const char *path = argv[i];
    if (!(m = cli_load(path)))
        goto out;

    wb_error err;
    wb_wasi_config cfg = {.argc = (uint32_t)(argc - i), .argv = (const char *const *)(argv + i),
                          .nenv = nenv, .env = env, .inherit_stdio = true};
    if (wb_wasi_new(&cfg, &w, &err) != WB_OK) {
        cli_print_error(NULL, &err);
        goto out;
    }
    for (uint32_t k = 0; k < ndirs; k++) {
        char *host = dirs[k], *sep = strstr(host, "::");
        const char *guest = host;
        if (sep) {
            *sep = 0;
            guest = sep + 2;
        }
        if (wb_wasi_preopen(w, host, guest, &err) != WB_OK) {
            cli_print_error(NULL, &err);
            goto out;
        }
    }
    wb_extern *imports;
    uint32_t nimports;
    if (wb_wasi_link(w, m, &imports, &nimports, &err) != WB_OK) {
        cli_print_error(path, &err);
        goto out;
    }
    wb_result r = wb_instantiate(m, imports, nimports, &limits, &opts, &inst, &err);
    free(imports);
    if (r != WB_OK) {
        cli_print_error(path, &err);
        rc = wb_result_is_trap(r) ? RUN_TRAP_EXIT : 1;
        goto out;
    }
    wb_func *start = wb_instance_func(inst, "_start");
    if (!start) {
        fprintf(stderr, "wasmbox: %s: the module exports no _start function (not a WASI command)\n", path);
        goto out;
    }
    if (!(call = wb_call_new(&opts)))
        goto out;
    r = wb_call_start(call, start, NULL, 0);
    if (r == WB_OK) {
        rc = 0;
    } else if (r == WB_EXITED) {
        rc = wb_call_exit_code(call);
    } else {
        const wb_error *e = wb_call_error(call);
        if (e)
            cli_print_error(path, e);
        else
            fprintf(stderr, "wasmbox: %s: %s\n", path, wb_result_name(r));
        rc = RUN_TRAP_EXIT;
    }
out:
    wb_call_free(call);
    wb_instance_free(inst);
    wb_wasi_free(w);
    wb_module_free(m);
    free(env);
    free(dirs);
    return rc;
}
