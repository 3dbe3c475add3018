/*
 * sched.c - time-slicing sandboxes on a few worker threads.
 *
 * A sandbox is runnable (FIFO run queue), sleeping (min-heap on its wake-up
 * time), running (on exactly one worker) or exited.  A worker takes the head
 * of the queue, runs one fuel slice of it outside the lock, and puts it back:
 * at the tail when the slice ran out (so a guest that spins forever gets one
 * slice per round and every other runnable guest runs in between), in the
 * heap when it asked to sleep, nowhere when it finished.  Sleeping costs no
 * thread and no CPU: a sandbox's whole state is its instance and its engine
 * stack (wb_call), which resume where they stopped.
 */
#include "core.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t late_max_ns, late_over_10ms, late_over_100ms, wakeups;

/* Start latency (start request to first slice), in microseconds, as a
 * log-linear histogram: 8 buckets per power of two, so percentiles read
 * back within 12%. */
#define HBUCKETS (64 * 8)
static uint64_t start_hist[HBUCKETS], start_count;

static void hist_add(uint64_t us)
{
    unsigned e = 0;
    while ((us >> e) > 15)
        e++;
    /* now 8 <= us >> e <= 15 (or e = 0 and us < 16): the three bits below
     * the leading one pick the bucket within the power of two */
    unsigned idx = e ? 16 + (e - 1) * 8 + (unsigned)((us >> e) & 7) : (unsigned)us;
    if (idx >= HBUCKETS)
        idx = HBUCKETS - 1;
    start_hist[idx]++;
    start_count++;
}

static uint64_t hist_value(unsigned idx)
{
    if (idx < 16)
        return idx;
    unsigned e = (idx - 16) / 8 + 1, sub = (idx - 16) % 8;
    return (uint64_t)(8 + sub) << e;
}

/* Under the lock: the start latency at quantile q (0..1), microseconds. */
uint64_t sbd_start_quantile(double q, uint64_t *count)
{
    *count = start_count;
    if (!start_count)
        return 0;
    uint64_t want = (uint64_t)(q * (double)start_count), seen = 0;
    for (unsigned i = 0; i < HBUCKETS; i++) {
        seen += start_hist[i];
        if (seen > want)
            return hist_value(i);
    }
    return hist_value(HBUCKETS - 1);
}

/* ---- the run queue and the timer heap (under the lock) ------------------------------------ */

void sbd_runq_push(sandbox *s)
{
    s->state = SBD_RUNNABLE;
    sbd_g.by_state[SBD_RUNNABLE]++;
    s->runq_next = NULL;
    if (sbd_g.runq_tail)
        sbd_g.runq_tail->runq_next = s;
    else
        sbd_g.runq_head = s;
    sbd_g.runq_tail = s;
    if (sbd_g.idle_workers)
        pthread_cond_signal(&sbd_g.work);
}

static sandbox *runq_pop(void)
{
    sandbox *s = sbd_g.runq_head;
    if (s) {
        sbd_g.runq_head = s->runq_next;
        if (!sbd_g.runq_head)
            sbd_g.runq_tail = NULL;
        sbd_g.by_state[SBD_RUNNABLE]--;
    }
    return s;
}

static void heap_set(uint32_t i, sandbox *s)
{
    sbd_g.heap[i] = s;
    s->heap_at = i;
}

static void heap_up(uint32_t i)
{
    sandbox *s = sbd_g.heap[i];
    while (i) {
        uint32_t p = (i - 1) / 2;
        if (sbd_g.heap[p]->wake_ns <= s->wake_ns)
            break;
        heap_set(i, sbd_g.heap[p]);
        i = p;
    }
    heap_set(i, s);
}

static void heap_down(uint32_t i)
{
    sandbox *s = sbd_g.heap[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= sbd_g.hlen)
            break;
        if (c + 1 < sbd_g.hlen && sbd_g.heap[c + 1]->wake_ns < sbd_g.heap[c]->wake_ns)
            c++;
        if (sbd_g.heap[c]->wake_ns >= s->wake_ns)
            break;
        heap_set(i, sbd_g.heap[c]);
        i = c;
    }
    heap_set(i, s);
}

static int heap_push(sandbox *s)
{
    if (sbd_g.hlen == sbd_g.hcap) {
        uint32_t cap = sbd_g.hcap ? sbd_g.hcap * 2 : 1024;
        sandbox **h = realloc(sbd_g.heap, (size_t)cap * sizeof *h);
        if (!h)
            return -1;
        sbd_g.heap = h;
        sbd_g.hcap = cap;
    }
    s->state = SBD_SLEEPING;
    sbd_g.by_state[SBD_SLEEPING]++;
    heap_set(sbd_g.hlen++, s);
    heap_up(s->heap_at);
    if (sbd_g.idle_workers) /* it may be earlier than what they wait for */
        pthread_cond_signal(&sbd_g.work);
    return 0;
}

void sbd_heap_remove(sandbox *s)
{
    uint32_t i = s->heap_at;
    sandbox *last = sbd_g.heap[--sbd_g.hlen];
    if (i < sbd_g.hlen) {
        heap_set(i, last);
        heap_down(i);
        heap_up(last->heap_at);
    }
}

/* Moves every sandbox whose time has come to the run queue. */
static void wake_due(uint64_t now)
{
    while (sbd_g.hlen && sbd_g.heap[0]->wake_ns <= now) {
        sandbox *s = sbd_g.heap[0];
        sbd_heap_remove(s);
        sbd_g.by_state[SBD_SLEEPING]--;
        sbd_runq_push(s);
    }
}

/* ---- exits -------------------------------------------------------------------------------- */

void sbd_finish(sandbox *s, int code, const char *reason, const char *message)
{
    sbd_g.by_state[s->state]--;
    s->state = SBD_EXITED;
    sbd_g.by_state[SBD_EXITED]++;
    sbd_g.total_exited++;
    s->exit_code = code;
    s->reason = reason;
    s->exited_ns = sbd_now_ns();
    if (message)
        s->message = strdup(message);
    if (s->call) {
        s->fuel_used = wb_call_fuel_used(s->call);
        wb_call_free(s->call);
        s->call = NULL;
    }
    for (int i = 0; i < 2; i++) {
        sbd_output_flush(&s->out[i], true);
        sbd_output_end(&s->out[i]);
    }
    /* The instance and its memory go now, not at delete: an exited
     * sandbox keeps only its record. */
    wb_memory *mem = s->inst ? wb_instance_memory(s->inst) : NULL;
    s->memory_bytes = mem ? wb_memory_size(mem) : 0;
    wb_instance_free(s->inst);
    s->inst = NULL;
    wb_wasi_free(s->wasi);
    s->wasi = NULL;
    if (sbd_g.nexited == sbd_g.cexited) {
        uint32_t cap = sbd_g.cexited ? sbd_g.cexited * 2 : 256;
        sandbox **e = realloc(sbd_g.exited, (size_t)cap * sizeof *e);
        if (!e)
            return; /* its waiters are answered at the next exit or delete */
        sbd_g.exited = e;
        sbd_g.cexited = cap;
    }
    sbd_g.exited[sbd_g.nexited++] = s;
    s->exited_at = sbd_g.nexited;
    if (sbd_g.exit_ev)
        event_active(sbd_g.exit_ev, 0, 0);
}

void sbd_exited_remove(sandbox *s)
{
    if (!s->exited_at)
        return;
    sandbox *last = sbd_g.exited[--sbd_g.nexited];
    sbd_g.exited[s->exited_at - 1] = last;
    last->exited_at = s->exited_at;
    s->exited_at = 0;
}

/* Ends s, asked to stop by a kill (its code and reason) or by shutdown. */
static void end_killed(sandbox *s)
{
    sbd_finish(s, s->kill_req ? s->kill_code : 137, s->kill_req ? s->kill_reason : "killed", NULL);
}

/* After a slice: the result r of running s, under the lock. */
static void settle(sandbox *s, wb_result r, uint64_t wake)
{
    if (r == WB_SUSPENDED) {
        if (s->kill_req || sbd_g.stopping) {
            end_killed(s);
            return;
        }
        sbd_g.by_state[SBD_RUNNING]--;
        if (wake > sbd_now_ns()) {
            s->wake_ns = wake;
            if (heap_push(s) == 0)
                return;
        }
        sbd_runq_push(s);
        return;
    }
    if (r == WB_OK) {
        sbd_finish(s, 0, "exit", NULL);
        return;
    }
    if (r == WB_EXITED) {
        sbd_finish(s, wb_call_exit_code(s->call), "exit", NULL);
        return;
    }
    const wb_error *e = wb_call_error(s->call);
    char msg[2048];
    size_t n = (size_t)snprintf(msg, sizeof msg, "%s", e ? e->message : wb_result_message(r));
    for (uint32_t i = 0; e && i < e->nframes && n < sizeof msg - 100; i++) {
        const wb_frame_info *f = &e->frames[i];
        n += (size_t)snprintf(msg + n, sizeof msg - n, "\n  #%u %.*s (func %u, offset 0x%x)", i,
                              f->name ? (int)(f->name_len > 64 ? 64 : f->name_len) : 1, f->name ? f->name : "?",
                              f->func, f->code_offset);
    }
    const char *reason = r == WB_TRAP_OUT_OF_FUEL                              ? "out of fuel"
                         : s->inst && wb_instance_memory_limit_hit(s->inst) ? "memory limit"
                                                                              : "trap";
    if (s->trap_to_stderr) { /* where a container's user looks: its stderr */
        char line[2200];
        int k = snprintf(line, sizeof line, "wasmbox: %s: %s\n", reason, msg);
        sbd_output_append(&s->out[1], line, k < (int)sizeof line ? (size_t)k : sizeof line - 1);
    }
    sbd_finish(s, 134, reason, msg);
}

/* Fuel s may use now under its rate; 0 with *wake set when it must wait. */
static uint64_t allowance(sandbox *s, uint64_t now, uint64_t *wake)
{
    if (!s->fuel_rate)
        return SBD_SLICE_FUEL;
    double rate = (double)s->fuel_rate;
    if (s->tokens_ns)
        s->tokens += (double)(now - s->tokens_ns) * rate / 1e9;
    else
        s->tokens = rate / 10; /* a tenth of a second's worth to start with */
    s->tokens_ns = now;
    if (s->tokens > rate)
        s->tokens = rate; /* at most a second of burst */
    double want = rate / 100 < SBD_SLICE_FUEL ? rate / 100 : SBD_SLICE_FUEL;
    if (want < 1)
        want = 1;
    if (s->tokens < want) {
        *wake = now + (uint64_t)((want - s->tokens) * 1e9 / rate) + 1;
        return 0;
    }
    return s->tokens < SBD_SLICE_FUEL ? (uint64_t)s->tokens : SBD_SLICE_FUEL;
}

static void timed_wait(uint64_t until)
{
    struct timespec ts = {.tv_sec = (time_t)(until / 1000000000u), .tv_nsec = (long)(until % 1000000000u)};
    pthread_cond_timedwait(&sbd_g.work, &sbd_g.lock, &ts);
}

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&sbd_g.lock);
    for (;;) {
        uint64_t now = sbd_now_ns();
        wake_due(now);
        sandbox *s = runq_pop();
        if (!s) {
            if (sbd_g.stopping && !sbd_g.hlen)
                break;
            sbd_g.idle_workers++;
            if (sbd_g.hlen)
                timed_wait(sbd_g.heap[0]->wake_ns);
            else
                pthread_cond_wait(&sbd_g.work, &sbd_g.lock);
            sbd_g.idle_workers--;
            continue;
        }
        s->state = SBD_RUNNING;
        sbd_g.by_state[SBD_RUNNING]++;
        if (s->kill_req || sbd_g.stopping) {
            end_killed(s);
            continue;
        }
        if (!s->slices && !s->first_run_ns) {
            s->first_run_ns = now;
            hist_add((now - s->started_ns) / 1000);
        }
        if (s->wake_ns) { /* how late is this wake-up? */
            uint64_t late = now > s->wake_ns ? now - s->wake_ns : 0;
            s->wake_ns = 0;
            wakeups++;
            if (late > s->max_late_ns)
                s->max_late_ns = late;
            if (late > late_max_ns)
                late_max_ns = late;
            late_over_10ms += late > 10000000u;
            late_over_100ms += late > 100000000u;
        }
        uint64_t wake = 0, fuel = allowance(s, now, &wake);
        if (!fuel) {
            sbd_g.by_state[SBD_RUNNING]--;
            s->wake_ns = wake;
            if (heap_push(s))
                sbd_runq_push(s);
            continue;
        }
        pthread_mutex_unlock(&sbd_g.lock);

        uint64_t before = wb_call_fuel_used(s->call);
        wb_result r = sbd_guest_run(s, fuel, &wake);
        uint64_t used = wb_call_fuel_used(s->call) - before;

        wb_memory *mem = wb_instance_memory(s->inst);
        uint64_t mem_now = mem ? wb_memory_size(mem) : 0;

        pthread_mutex_lock(&sbd_g.lock);
        s->slices++;
        s->mem_now = mem_now;
        s->fuel_used = wb_call_fuel_used(s->call);
        if (s->fuel_rate)
            s->tokens -= (double)used;
        settle(s, r, wake);
    }
    sbd_g.nworkers_running--;
    pthread_cond_broadcast(&sbd_g.work);
    pthread_mutex_unlock(&sbd_g.lock);
    return NULL;
}

void sbd_sched_stats(uint64_t *late_max, uint64_t *over10, uint64_t *over100, uint64_t *nwake)
{
    *late_max = late_max_ns;
    *over10 = late_over_10ms;
    *over100 = late_over_100ms;
    *nwake = wakeups;
}

int sbd_sched_start(uint32_t nworkers)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&sbd_g.work, &ca);
    pthread_condattr_destroy(&ca);
    sbd_g.workers = calloc(nworkers, sizeof *sbd_g.workers);
    if (!sbd_g.workers)
        return -1;
    for (uint32_t i = 0; i < nworkers; i++) {
        if (pthread_create(&sbd_g.workers[i], NULL, worker, NULL))
            return -1;
        sbd_g.nworkers++;
        sbd_g.nworkers_running++;
    }
    return 0;
}

/* Kills every sandbox and waits for the workers to finish them. */
void sbd_sched_stop(void)
{
    pthread_mutex_lock(&sbd_g.lock);
    sbd_g.stopping = true;
    while (sbd_g.hlen) {
        sandbox *s = sbd_g.heap[0];
        sbd_heap_remove(s);
        sbd_g.by_state[SBD_SLEEPING]--;
        sbd_g.by_state[SBD_RUNNING]++;
        s->state = SBD_RUNNING;
        sbd_finish(s, 137, "killed", NULL);
    }
    for (uint32_t i = 0; i < sbd_g.tcap; i++)
        for (sandbox *s = sbd_g.table[i]; s; s = s->hnext)
            if (s->state == SBD_RUNNING)
                wb_call_interrupt(s->call);
            else if (s->state == SBD_CREATED)
                sbd_kill(s);
    pthread_cond_broadcast(&sbd_g.work);
    pthread_mutex_unlock(&sbd_g.lock);
    for (uint32_t i = 0; i < sbd_g.nworkers; i++)
        pthread_join(sbd_g.workers[i], NULL);
    free(sbd_g.workers);
    sbd_g.workers = NULL;
    sbd_g.nworkers = 0;
}
