/*
 * guest.c - a sandbox's WASI context and its slices of execution.
 *
 * The daemon's guests share threads, so nothing a guest does may block one:
 * the WASI context is cooperative (a sleep in poll_oneoff, or a read of the
 * empty stdin, suspends the call and names a wake-up time instead of
 * blocking), and stdout/stderr go to the sandbox's output buffers rather
 * than to file descriptors.  Stdin is empty.
 */
#include "core.h"

#include <stdio.h>
#include <string.h>

static void to_stdout(void *user, const void *p, size_t n)
{
    sandbox *s = user;
    sbd_output_append(&s->out[0], p, n);
}

static void to_stderr(void *user, const void *p, size_t n)
{
    sandbox *s = user;
    sbd_output_append(&s->out[1], p, n);
}

int sbd_guest_init(sandbox *s, const sbd_spec *spec, char *why, size_t whylen)
{
    wb_wasi_config cfg = {
        .argc = spec->argc,
        .argv = spec->argv,
        .nenv = spec->nenv,
        .env = spec->env,
        .cooperative = true,
        .out_write = {to_stdout, to_stderr},
        .out_user = s,
        .max_fds = sbd_g.opt.max_fds,
        .fd_pool = sbd_g.fds,
    };
    wb_error err;
    if (wb_wasi_new(&cfg, &s->wasi, &err) != WB_OK) {
        snprintf(why, whylen, "%s", err.message);
        return -1;
    }
    for (uint32_t i = 0; i < spec->ndirs; i++)
        if (wb_wasi_preopen(s->wasi, spec->dir_host[i], spec->dir_guest[i], &err) != WB_OK) {
            snprintf(why, whylen, "%s", err.message);
            return -1;
        }
    return 0;
}

wb_result sbd_guest_run(sandbox *s, uint64_t fuel, uint64_t *wake_ns)
{
    wb_call_set_slice(s->call, fuel);
    wb_result r;
    if (!s->started) {
        s->started = true;
        wb_func *f = wb_instance_func(s->inst, "_start");
        if (!f) {
            s->started = false;
            return WB_ERR_NOT_FOUND;
        }
        r = wb_call_start(s->call, f, NULL, 0);
    } else {
        r = wb_call_resume(s->call);
    }
    *wake_ns = r == WB_SUSPENDED ? wb_wasi_wake_time(s->wasi) : 0;
    for (int i = 0; i < 2; i++)
        sbd_output_flush(&s->out[i], r != WB_SUSPENDED);
    return r;
}
