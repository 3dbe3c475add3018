/*
 * core.h - the sandbox core: many WASI sandboxes in one process, time-sliced
 * on a few worker threads.  A library (libsbdcore.a) that two front ends
 * link: wasmboxd (HTTP+JSON, sandboxd/) and containerd-shim-wasmbox-v1
 * (ttrpc, shim/), so that a fix or a speed-up to scheduling, the module
 * cache, output or limits lands in both.
 *
 *   daemon.c   the process's state (sbd_g), clocks, RSS, rate-limited logging
 *   sandbox.c  sandboxes, the module cache (by content hash), state.json
 *   budget.c   process-wide caps: sandbox count, memory budget
 *   sched.c    worker threads time-slicing sandboxes with fuel slices
 *   guest.c    a sandbox's WASI context: stdio into output buffers, sleeps
 *              that suspend the call instead of blocking a thread
 *   output.c   per-sandbox output: files without an fd or thread each,
 *              written and read back by one writer thread, never through a
 *              link; or a descriptor the front end opened (a FIFO)
 *
 * A front end owns the event loop (libevent: sbd_g.base), creates
 * sbd_g.exit_ev (activated when sandboxes exit, and when an exited one's
 * stream is closed (sbd_output_done); its callback reports them and empties
 * sbd_g.exited) and defines struct sbd_waiter, its own record of
 * whoever waits for a sandbox (the core only keeps the list head).
 *
 * Threads: the event loop thread runs the front end; N workers run guests;
 * one writer thread does the output's I/O.  One mutex (sbd.lock) guards the
 * sandbox table, every sandbox's state and the scheduler's queues.  A
 * sandbox in state RUNNING belongs to the worker running it: only that
 * worker touches its instance, call and output buffer until it hands the
 * sandbox back under the lock.
 */
#ifndef WB_SBD_CORE_H
#define WB_SBD_CORE_H

#include "wasmbox.h"
#include "wasmbox_wasi.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

/* ---- limits, named once (see docs/sandboxd.md) ---------------------------------------- */

/* Fuel per time slice: about a millisecond of guest work on this machine,
 * short enough that a spinning guest delays the others' wake-ups by little
 * more than one slice per worker, long enough that switching costs are noise. */
#define SBD_SLICE_FUEL 1000000u
/* A module's start function runs when the sandbox is created, on the event
 * loop thread and under the daemon lock: ten slices' worth (~10 ms), and a
 * start function that wants more is refused rather than let it stall the API. */
#define SBD_START_FUEL (10u * SBD_SLICE_FUEL)
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
/* Output handed to the writer and not yet on disk, all sandboxes together:
 * past this a slow disk drops output (counted per sandbox) instead of
 * letting floods from many guests take the daemon's memory. */
#define SBD_OUT_MAX_QUEUED ((uint64_t)256 << 20)
/* Output to a descriptor (a FIFO a container engine reads) that the pipe
 * cannot take yet waits in the writer, up to this much per stream, and is
 * tried again this often: a slow reader loses nothing, one that is gone
 * for good costs a bounded amount of memory (the rest is dropped and
 * counted), and no stream ever blocks the writer or a worker. */
#define SBD_PIPE_BACKLOG (4u << 20)
#define SBD_PIPE_RETRY_NS ((uint64_t)5000000)
/* How long an ended sandbox's pipe waits for a reader that takes nothing.
 * Its exit is told (containerd's /tasks/exit, Wait) only once its output
 * was read: the client stops reading then (ctr run --rm closes its end at
 * Delete; told at once, a 200 KB run whose reader was slow lost all but the
 * first ~60 KB), and a FIFO's bytes die with its last descriptor (closed
 * before a slow client opened its end, 200 runs at once, a fast guest's
 * whole output was lost).  A reader that keeps taking bytes is waited for
 * as long as it takes; one that takes nothing for this long is taken to be
 * gone (a detached run): the rest is dropped, and the exit is told that
 * much later. */
#define SBD_PIPE_LINGER_NS ((uint64_t)3000000000)

/* Daemon-wide defaults of the command-line caps (struct sbd_opts). */
/* Sandboxes, exited ones included (their records take memory until deleted):
 * the density benchmark holds 1,000,000 sleepers at once. */
#define SBD_DEFAULT_MAX_SANDBOXES 1048576u
/* Bytes of output per stream a sandbox may leave in its file: a log a client
 * can still read back; more is dropped and counted. */
#define SBD_DEFAULT_MAX_OUTPUT ((uint64_t)64 << 20)
/* The memory budget, when not given: this share of the machine's memory, the
 * rest left to the system and the daemon's own tables. */
#define SBD_DEFAULT_BUDGET_SHARE 0.75
/* A sandbox's open descriptors, stdio and preopens included: a WASI program
 * rarely holds more than a few; the engine allows 1024 a context, which
 * twenty guests once used to take all of a daemon's descriptors. */
#define SBD_DEFAULT_MAX_FDS 64u
/* The guests' host descriptors together leave this many of the process's
 * (RLIMIT_NOFILE) to the daemon: its socket, connections, logs, modules. */
#define SBD_FD_RESERVE 512u
/* How often the daemon's resident memory is compared with its budget: the
 * budget can be passed by what the workers touch in this time, at most
 * workers x max_memory. */
#define SBD_BUDGET_CHECK_NS ((uint64_t)50000000)
/* Creating looks at the resident memory again once this much linear memory
 * was instantiated since the last look (data segments and start functions
 * may have touched all of it): a batch then stops within this much, plus
 * one sandbox, of the budget.  For one-page sleepers, a look (~4 us) per 16. */
#define SBD_BUDGET_RECHECK_BYTES ((uint64_t)1 << 20)

/* Accepting when descriptors run out: wait this long before trying again,
 * doubling up to the most, rather than spin on a socket that stays readable. */
#define SBD_ACCEPT_BACKOFF_MIN_MS 10u
#define SBD_ACCEPT_BACKOFF_MAX_MS 1000u
/* Lines the daemon logs per second at most; the rest are counted and said
 * in the next line, so no guest or client can fill the disk with its log. */
#define SBD_LOG_PER_SEC 20u

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

/* An output file, shared by its sandbox and the writer's jobs for it (a
 * deleted sandbox's last output may still be on its way). */
typedef struct sbd_sink {
    char *path;   /* absolute, its directories resolved when the sandbox was created */
    int fd;       /* or a descriptor of the front end's (a FIFO), -1 if a path; the sink's to close */
    char *backlog; /* fd: bytes the pipe could not take yet (the writer's) */
    size_t blen, bcap;
    bool stalled; /* fd: on the writer's list of sinks to try again */
    bool ending;  /* fd: closed once the backlog is out and read (the writer's) */
    bool ended;   /* fd: closed (atomic: the writer sets it, sbd_output_done reads it) */
    uint64_t progress_ns; /* fd, stalled: when the pipe or its reader last took bytes */
    int unread;           /* fd, stalled: bytes in the pipe at the last look */
    struct sbd_sink *stalled_next;
    char id[SBD_MAX_ID + 1];
    const char *stream; /* "stdout" or "stderr" */
    uint32_t refs;      /* atomic */
    uint64_t dropped;   /* atomic: bytes over the cap, refused or lost */
    bool handed;        /* atomic: output was handed to the writer */
    bool fresh;         /* the writer's: the file is still an earlier sandbox's */
} sbd_sink;

typedef struct sbd_output {
    sbd_sink *sink;
    char *buf; /* pending bytes, not yet in the file */
    uint32_t len, cap;
    uint64_t since_ns; /* when the oldest pending byte arrived */
    uint64_t written;  /* bytes handed to the writer thread */
    uint64_t limit;    /* bytes the file may get (--max-output) */
    bool eager;        /* handed over at the end of every slice (a stream someone watches) */
    bool ending;       /* sbd_output_end handed the sink's end to the writer */
} sbd_output;

/* Defined by the front end: who waits for a sandbox's exit. */
typedef struct sbd_waiter sbd_waiter;

typedef struct sandbox {
    char id[SBD_MAX_ID + 1];
    sbd_module *mod;
    wb_instance *inst;
    wb_call *call;
    wb_wasi *wasi;
    sbd_output out[2]; /* stdout, stderr */

    sbd_state state;
    bool started, kill_req, delete_req;
    bool trap_to_stderr; /* a trap's message and backtrace are also written to its stderr */
    void *user;          /* the front end's record of it */
    int kill_code;           /* with kill_req: how it ends (137 killed, 134 memory budget) */
    const char *kill_reason;
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
    uint64_t mem_now;      /* linear memory after its last slice (the budget's choice) */
    uint64_t created_ns, started_ns, first_run_ns, exited_ns, fuel_used, slices;
    uint64_t max_late_ns; /* worst delay between a wake-up time and running */
    sbd_waiter *waiters;  /* POST /wait requests, answered on exit */
    uint32_t exited_at;   /* 1 + index in sbd.exited while its exit is unreported */
} sandbox;

/* ---- the daemon ---------------------------------------------------------------------------- */

/* The daemon's caps, from the command line. */
typedef struct sbd_opts {
    uint32_t max_sandboxes;
    uint64_t max_output;    /* per stream of a sandbox */
    uint64_t memory_budget; /* resident bytes above the idle daemon's */
    uint32_t max_fds;       /* open descriptors of one sandbox */
    uint32_t fd_pool;       /* the host descriptors of all sandboxes together */
} sbd_opts;

typedef struct sbd {
    const char *name; /* the front end's, in log lines ("wasmboxd" if NULL) */
    pthread_mutex_t lock;
    pthread_cond_t work; /* runnable sandboxes or an earlier wake-up */
    char *statedir;
    sbd_opts opt;
    wb_wasi_fd_pool *fds; /* of opt.fd_pool */
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
    uint64_t total_created, total_exited, budget_kills;
} sbd;

/* daemon.c */
extern sbd sbd_g;
uint64_t sbd_now_ns(void);
uint64_t sbd_rss_bytes(void);
/* A line on stderr, at most SBD_LOG_PER_SEC a second (any thread). */
void sbd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

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
    int out_fd[2];      /* with out_fds: descriptors for stdout and stderr instead, given to the sandbox */
    bool out_fds;
    bool trap_to_stderr;
    uint64_t max_memory, fuel, fuel_rate;
} sbd_spec;

/* Loads (or finds) the module by content hash.  Not under the lock.  NULL
 * with why and the status to answer: 404 no such file, 400 not a module,
 * 503 the daemon is out of descriptors or memory. */
sbd_module *sbd_module_get(const char *path, char *why, size_t whylen, int *status);
/* The same for a module file the caller opened (it keeps fd); name is what
 * messages call it. */
sbd_module *sbd_module_get_fd(int fd, const char *name, char *why, size_t whylen, int *status);
void sbd_module_put(sbd_module *m);
/* Creates a sandbox (state CREATED).  Returns NULL with the reason in why,
 * *status set to the HTTP status to answer (400, 404, 409, 429, 500). */
sandbox *sbd_create(sbd_module *m, const sbd_spec *spec, const char *id, char *why, size_t whylen,
                    int *status);
sandbox *sbd_find(const char *id);
int sbd_start(sandbox *s);
void sbd_kill(sandbox *s);
/* Ends s as a kill does, with this exit code and reason. */
void sbd_kill_as(sandbox *s, int code, const char *reason);
/* Frees an EXITED sandbox and removes it from the table. */
void sbd_delete(sandbox *s);
const char *sbd_state_name(sbd_state st);
/* STATEDIR/state.json: every sandbox's final state, written atomically. */
int sbd_write_state(void);

/* budget.c (under the lock) */
/* 0 when n more sandboxes fit the caps; else 429's reason in why. */
int sbd_budget_admit(uint64_t n, bool fresh, char *why, size_t whylen);
/* A sandbox with this much linear memory was instantiated. */
void sbd_budget_created(uint64_t memory_bytes);
/* Starts the memory budget's check on the event loop. */
int sbd_budget_start(void);
void sbd_budget_stop(void);

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
/* Checks path (its directory must exist and be writable, the file must be
 * absent or a regular file) and remembers it; nothing is created yet.
 * stream names it in logs ("stdout"). */
int sbd_output_open(sbd_output *o, const char *path, const char *id, const char *stream, char *why,
                    size_t whylen);
/* Output to fd (non-blocking, a FIFO): the sink owns it from now on, also
 * on failure.  Handed to the writer at the end of every slice. */
int sbd_output_open_fd(sbd_output *o, int fd, const char *id, const char *stream, char *why, size_t whylen);
void sbd_output_append(sbd_output *o, const void *p, size_t n);
/* A descriptor sink's last word: the writer closes it after the bytes
 * handed over before, so its reader (ctr) sees end of file with all of
 * them.  Nothing for a file. */
void sbd_output_end(sbd_output *o);
/* After sbd_output_end: whether the writer closed the descriptor (its
 * reader read every byte, or read nothing for SBD_PIPE_LINGER_NS); true for
 * a file, or when there was no end to hand over.  Under the lock; the
 * writer activates sbd_g.exit_ev when it closes one. */
bool sbd_output_done(const sbd_output *o);
/* Hands pending bytes to the writer thread if forced, big or old enough. */
void sbd_output_flush(sbd_output *o, bool force);
uint64_t sbd_output_dropped(const sbd_output *o);
/* Whether any output went to the writer: if not, the file (if any) is an
 * earlier sandbox's, and this one's logs are empty. */
bool sbd_output_printed(const sbd_output *o);
/* Reads the file back on the writer thread, after the output handed over
 * before it: done(arg, fd, offset, length, why) is then called on the event
 * loop thread, with fd -1 and a reason when the file cannot be read (it then
 * does not exist, is not a regular file or lies behind a link).  The fd is
 * done's to close. */
typedef void (*sbd_read_done)(void *arg, int fd, uint64_t off, uint64_t len, const char *why);
void sbd_output_read(const sbd_output *o, uint64_t tail, sbd_read_done done, void *arg);
/* The writer thread. */
int sbd_output_start(void);
void sbd_output_stop(void);
void sbd_output_free(sbd_output *o);

#endif
