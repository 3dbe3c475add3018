/*
 * sandboxd.h - wasmboxd, one process hosting many WASI sandboxes.
 *
 *   main.c     arguments, the Unix socket, signals, the event loop, shutdown
 *   api.c      the HTTP/1.1 + JSON control API (libevent's evhttp, jansson)
 *   sandbox.c  sandboxes and the module cache (one compiled module per hash)
 *   sched.c    worker threads time-slicing sandboxes with fuel slices
 *   guest.c    a sandbox's WASI context: stdio into output buffers, sleeps
 *              that suspend the call instead of blocking a thread
 *   output.c   per-sandbox output files without an fd or thread each
 *
 * Threads: the event loop thread runs the API; N workers run guests.  One
 * mutex (sbd.lock) guards the sandbox table, every sandbox's state and the
 * scheduler's queues.  A sandbox in state RUNNING belongs to the worker
 * running it: only that worker touches its instance, call and output buffer
 * until it hands the sandbox back under the lock.
 */
#ifndef WB_SANDBOXD_H
#define WB_SANDBOXD_H

#include "wasmbox.h"
#include "wasmbox_wasi.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evhttp_request;
struct event_base;

/* ---- limits, named once (see docs/sandboxd.md) ---------------------------------------- */

/* Fuel per time slice: about a millisecond of guest work on this machine,
 * short enough that a spinning guest delays the others' wake-ups by little
 * more than one slice per worker, long enough that switching costs are noise. */
#define SBD_SLICE_FUEL 1000000u
/* Default linear-memory cap per sandbox. */
#define SBD_DEFAULT_MAX_MEMORY ((uint64_t)64 << 20)
/* A create request's JSON, and the ids a batch may create at once. */
#define SBD_MAX_BODY (4u << 20)
#define SBD_MAX_BATCH 1000000u
#define SBD_MAX_ARGS 256u
#define SBD_MAX_ID 64u
/* Output is buffered per sandbox and appended to its file when this much is
 * buffered, when the oldest byte is this old, and at exit: a write per line
 * for 100,000 sandboxes would cost more CPU than the guests. */
#define SBD_OUT_FLUSH_BYTES 4096u
#define SBD_OUT_FLUSH_NS ((uint64_t)2000000000)
/* Output a sandbox may buffer before it is handed to the writer at once. */
#define SBD_OUT_MAX_BUFFER (1u << 20)

/* ---- modules ------------------------------------------------------------------------------ */

typedef struct sbd_module {
    char hash[65]; /* sha256 of the file's bytes, hex */
    wb_module *mod;
    uint32_t refs; /* sandboxes using it; freed at 0 */
    struct sbd_module *next;
} sbd_module;

/* ---- sandboxes ---------------------------------------------------------------------------- */

typedef enum sbd_state {
    SBD_CREATED,  /* instantiated, not started */
    SBD_RUNNABLE, /* in the run queue */
    SBD_RUNNING,  /* on a worker */
    SBD_SLEEPING, /* in the timer heap (poll_oneoff, sched_yield, rate limit) */
    SBD_EXITED,   /* finished: exit, trap, killed */
} sbd_state;

typedef struct sbd_output {
    char *path;
    char *buf; /* pending bytes, not yet in the file */
    uint32_t len, cap;
    uint64_t since_ns; /* when the oldest pending byte arrived */
    uint64_t written;  /* bytes handed to the writer thread */
} sbd_output;

typedef struct sbd_waiter {
    struct evhttp_request *req;
    struct sbd_waiter *next;
} sbd_waiter;

typedef struct sandbox {
    char id[SBD_MAX_ID + 1];
    sbd_module *mod;
    wb_instance *inst;
    wb_call *call;
    wb_wasi *wasi;
    sbd_output out[2]; /* stdout, stderr */

    sbd_state state;
    bool started, kill_req, delete_req;
    uint64_t max_memory, fuel_limit, fuel_rate; /* 0 = none */
    double tokens;                              /* fuel_rate bucket */
    uint64_t tokens_ns;

    uint64_t wake_ns;   /* SLEEPING: when to run again */
    uint32_t heap_at;   /* SLEEPING: index in the timer heap */
    struct sandbox *runq_next;
    struct sandbox *hnext; /* hash chain */

    /* results, once EXITED */
    int exit_code;
    const char *reason; /* "exit", "trap", "killed", "out of fuel", "memory limit" */
    char *message;      /* trap message and backtrace, malloc'd */

    uint64_t memory_bytes; /* linear memory at exit */
    uint64_t created_ns, started_ns, first_run_ns, exited_ns, fuel_used, slices;
    uint64_t max_late_ns; /* worst delay between a wake-up time and running */
    sbd_waiter *waiters;  /* POST /wait requests, answered on exit */
    uint32_t exited_at;   /* 1 + index in sbd.exited while its exit is unreported */
} sandbox;

/* ---- the daemon ---------------------------------------------------------------------------- */

typedef struct sbd {
    pthread_mutex_t lock;
    pthread_cond_t work; /* runnable sandboxes or an earlier wake-up */
    char *statedir;
    uint32_t nworkers, nworkers_running;
    pthread_t *workers;
    bool stopping;

    /* sandboxes by id */
    sandbox **table;
    uint32_t tcap, count;
    uint64_t next_id;
    uint32_t by_state[SBD_EXITED + 1];

    sbd_module *modules;

    /* scheduler */
    sandbox *runq_head, *runq_tail;
    sandbox **heap;
    uint32_t hlen, hcap;
    uint32_t idle_workers;

    /* exits waiting to be reported on the event loop thread */
    sandbox **exited;
    uint32_t nexited, cexited;
    struct event *exit_ev;
    struct event_base *base;

    uint64_t baseline_rss;
    uint64_t total_created, total_exited;
} sbd;

extern sbd sbd_g;

uint64_t sbd_now_ns(void);
uint64_t sbd_rss_bytes(void);

/* sandbox.c (all under sbd_g.lock unless said otherwise) */
typedef struct sbd_spec {
    const char *module_path;
    const char **argv; /* argv[0] is the program name */
    uint32_t argc;
    const char **env; /* "K=V" */
    uint32_t nenv;
    const char **dir_host, **dir_guest;
    uint32_t ndirs;
    const char *stdout_path, *stderr_path; /* NULL: STATEDIR/logs/ID.stdout */
    uint64_t max_memory, fuel, fuel_rate;
} sbd_spec;

/* Loads (or finds) the module by content hash.  Not under the lock. */
sbd_module *sbd_module_get(const char *path, char *why, size_t whylen);
void sbd_module_put(sbd_module *m);
/* Creates a sandbox (state CREATED).  Returns NULL with the reason in why,
 * *status set to the HTTP status to answer (400, 404, 409, 500). */
sandbox *sbd_create(sbd_module *m, const sbd_spec *spec, const char *id, char *why, size_t whylen,
                    int *status);
sandbox *sbd_find(const char *id);
int sbd_start(sandbox *s);
void sbd_kill(sandbox *s);
/* Frees an EXITED sandbox and removes it from the table. */
void sbd_delete(sandbox *s);
const char *sbd_state_name(sbd_state st);

/* sched.c */
int sbd_sched_start(uint32_t nworkers);
void sbd_sched_stop(void);
void sbd_runq_push(sandbox *s);
void sbd_heap_remove(sandbox *s);
/* Worker side of an exit: record it, wake the event loop for waiters. */
void sbd_finish(sandbox *s, int code, const char *reason, const char *message);
void sbd_sched_stats(uint64_t *late_max, uint64_t *over10, uint64_t *over100, uint64_t *nwake);
uint64_t sbd_start_quantile(double q, uint64_t *count);
/* Takes s off the list of unreported exits. */
void sbd_exited_remove(sandbox *s);

/* guest.c: a sandbox's WASI context and how its calls start and resume */
int sbd_guest_init(sandbox *s, const sbd_spec *spec, char *why, size_t whylen);
/* Runs one slice: returns WB_OK (finished), WB_SUSPENDED (wants more time,
 * or to sleep until *wake_ns), WB_EXITED, or a trap. */
wb_result sbd_guest_run(sandbox *s, uint64_t fuel, uint64_t *wake_ns);

/* output.c */
int sbd_output_open(sbd_output *o, const char *path, char *why, size_t whylen);
void sbd_output_append(sbd_output *o, const void *p, size_t n);
/* Hands pending bytes to the writer thread if forced, big or old enough. */
void sbd_output_flush(sbd_output *o, bool force);
/* The writer thread; sync waits until what was handed over is in the files. */
int sbd_output_start(void);
void sbd_output_stop(void);
void sbd_output_sync(void);
void sbd_output_free(sbd_output *o);

/* api.c */
void sbd_api_handle(struct evhttp_request *req, void *arg);
/* Answers waiters of sandboxes that exited (event loop thread). */
void sbd_api_report_exits(void);

#endif
