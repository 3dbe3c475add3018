/*
 * wasmbox_wasi.h - WASI preview1 (`wasi_snapshot_preview1`) for wasmbox guests.
 *
 * Capability-based: a guest gets only what its context grants.  By default
 * that is its arguments and environment as given, the clocks, random bytes,
 * an empty stdin and a stdout/stderr that go nowhere.  Host stdio is granted
 * with inherit_stdio, output callbacks with out_write, and directories one by
 * one with wb_wasi_preopen(); paths never leave a preopened directory (no
 * `..`, absolute path or symlink escapes it: every lookup walks the path one
 * component at a time under the preopen, without following the host's links).
 *
 *     wb_wasi_config cfg = {.argc = 1, .argv = (const char *[]){"prog"}, .inherit_stdio = true};
 *     wb_wasi *w;  wb_extern *imp;  uint32_t n;  wb_instance *inst;
 *     wb_wasi_new(&cfg, &w, &err);
 *     wb_wasi_link(w, module, &imp, &n, &err);     // one host function per WASI import
 *     wb_instantiate(module, imp, n, NULL, NULL, &inst, &err);
 *     free(imp);
 *     ... wb_call_start(call, wb_instance_func(inst, "_start"), NULL, 0) ...
 *     // WB_EXITED: wb_call_exit_code(call) is the guest's proc_exit code
 *     wb_instance_free(inst); wb_wasi_free(w);
 *
 * A context serves one instance at a time and is not thread-safe; different
 * contexts are independent.
 */
#ifndef WASMBOX_WASI_H
#define WASMBOX_WASI_H

#include "wasmbox.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wb_wasi wb_wasi;

/* Host file descriptors shared by many contexts (a host of many sandboxes):
 * the guests' open files and directories together stay under `limit`, so
 * that they cannot take all of the process's descriptors.  When it is spent
 * a guest's open fails with ENFILE.  Thread-safe; it must outlive the
 * contexts that use it. */
typedef struct wb_wasi_fd_pool wb_wasi_fd_pool;
wb_wasi_fd_pool *wb_wasi_fd_pool_new(uint32_t limit);
void wb_wasi_fd_pool_free(wb_wasi_fd_pool *p);
uint32_t wb_wasi_fd_pool_used(const wb_wasi_fd_pool *p);

/* Receives a guest's stdout (out_write[0]) or stderr (out_write[1]) bytes. */
typedef void (*wb_wasi_write_fn)(void *user, const void *bytes, size_t len);

typedef struct wb_wasi_config {
    uint32_t argc;
    const char *const *argv; /* argv[0] is the program name */
    uint32_t nenv;
    const char *const *env; /* "KEY=VALUE" */
    /* fd 0, 1, 2 are the host's 0, 1, 2 (a command-line runner).  Otherwise
     * stdin is empty and stdout/stderr go to out_write (NULL: discarded). */
    bool inherit_stdio;
    wb_wasi_write_fn out_write[2];
    void *out_user;
    /* Never block the host thread: a sleep in poll_oneoff or a sched_yield
     * suspends the call (WB_SUSPENDED) and wb_wasi_wake_time() says when to
     * resume it; the resumed call finishes the WASI call.  Otherwise sleeps
     * block the calling thread. */
    bool cooperative;
    /* Descriptors the guest may have open at once, stdio and preopens
     * included: 0 is the built-in cap (WB_WASI_MAX_FDS, 1024), which a value
     * may lower, never raise; past it an open fails with EMFILE. */
    uint32_t max_fds;
    /* The host descriptors behind them count in this pool too (NULL: none). */
    wb_wasi_fd_pool *fd_pool;
} wb_wasi_config;

/* Copies what cfg points to; cfg may be freed on return. */
wb_result wb_wasi_new(const wb_wasi_config *cfg, wb_wasi **out, wb_error *err);
void wb_wasi_free(wb_wasi *w);

/* Grants the host directory host_dir to the guest as guest_path (e.g.
 * "/sandbox"), the next file descriptor from 3 up.  WB_ERR_NOT_FOUND when
 * host_dir cannot be opened as a directory. */
wb_result wb_wasi_preopen(wb_wasi *w, const char *host_dir, const char *guest_path, wb_error *err);

/* Imports for wb_instantiate(): *imports (malloc'd, the caller frees the
 * array) holds one host function per import of the module, all of which
 * must be wasi_snapshot_preview1 functions with their standard types
 * (WB_ERR_LINK names the first that is not).  The functions belong to w. */
wb_result wb_wasi_link(wb_wasi *w, const wb_module *m, wb_extern **imports, uint32_t *nimports,
                       wb_error *err);

/* After a call returned WB_SUSPENDED: the CLOCK_MONOTONIC time (ns) at which
 * the guest wants to run again, or 0 to run as soon as possible (a yield, or
 * a suspension that was not WASI's, such as a fuel slice). */
uint64_t wb_wasi_wake_time(const wb_wasi *w);

#ifdef __cplusplus
}
#endif
#endif /* WASMBOX_WASI_H */
