/*
 * budget.c - what all sandboxes together may take: how many there are
 * (--max-sandboxes) and the memory they make resident (--memory-budget).
 *
 * Memory is measured, not reserved: a sandbox's linear memory costs the pages
 * it touches (docs/sandboxd.md), so the sum of the caps says nothing, and a
 * million sleepers of a 64 KiB memory fit in a few GiB.  The budget is the
 * daemon's resident memory above its idle baseline.  Creating is refused
 * (429) while it is spent, and every SBD_BUDGET_CHECK_NS the daemon compares
 * it again: over it, the live sandbox with the most linear memory ends with
 * "memory budget" (exit code 134), one at a time until the daemon is back
 * under, as the kernel's OOM killer would pick, but before the kernel does.
 * Memory grows only while a sandbox runs, and a running sandbox's size is
 * its worker's to read: so the first check over budget interrupts the
 * running ones, which then report their size at the end of their slice, and
 * the next check picks.
 */
#include "core.h"

#include <event2/event.h>
#include <stdio.h>

static struct event *tick;
static uint64_t used_bytes; /* resident above the baseline, at the last look */
static uint64_t unseen;     /* linear memory instantiated since that look */
static bool asked;          /* the running sandboxes were asked for their sizes */

static uint64_t resident_above_baseline(void)
{
    uint64_t rss = sbd_rss_bytes();
    return rss > sbd_g.baseline_rss ? rss - sbd_g.baseline_rss : 0;
}

int sbd_budget_admit(uint64_t n, bool fresh, char *why, size_t whylen)
{
    if (n > sbd_g.opt.max_sandboxes || sbd_g.count > sbd_g.opt.max_sandboxes - n) {
        snprintf(why, whylen,
                 "the daemon holds %u sandboxes, and %llu more would pass its --max-sandboxes of %u: delete some "
                 "first (exited ones count until deleted)",
                 sbd_g.count, (unsigned long long)n, sbd_g.opt.max_sandboxes);
        return -1;
    }
    if (fresh || unseen >= SBD_BUDGET_RECHECK_BYTES) {
        used_bytes = resident_above_baseline();
        unseen = 0;
    }
    if (used_bytes >= sbd_g.opt.memory_budget) {
        snprintf(why, whylen, "the sandboxes use %llu MiB, the daemon's --memory-budget is %llu MiB",
                 (unsigned long long)(used_bytes >> 20), (unsigned long long)(sbd_g.opt.memory_budget >> 20));
        return -1;
    }
    return 0;
}

void sbd_budget_created(uint64_t memory_bytes)
{
    unseen += memory_bytes;
}

/* The live sandbox with the most linear memory, not already being ended. */
static sandbox *largest(void)
{
    sandbox *big = NULL;
    for (uint32_t i = 0; i < sbd_g.tcap; i++)
        for (sandbox *s = sbd_g.table[i]; s; s = s->hnext) {
            if (s->state == SBD_EXITED)
                continue;
            if (s->kill_req)
                return NULL; /* one on its way out already: see what that frees */
            if (!big || s->mem_now > big->mem_now)
                big = s;
        }
    return big;
}

static void ask_running(void)
{
    for (uint32_t i = 0; i < sbd_g.tcap; i++)
        for (sandbox *s = sbd_g.table[i]; s; s = s->hnext)
            if (s->state == SBD_RUNNING)
                wb_call_interrupt(s->call); /* suspends it: settle() reads its size */
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    uint64_t used = resident_above_baseline();
    pthread_mutex_lock(&sbd_g.lock);
    used_bytes = used;
    unseen = 0;
    bool over = used > sbd_g.opt.memory_budget, decide = over && asked;
    asked = over && !asked;
    if (asked)
        ask_running();
    sandbox *s = decide ? largest() : NULL;
    if (s) {
        sbd_log("memory budget: %llu MiB resident above the idle daemon, budget %llu MiB: ending %s (%llu MiB of "
                "linear memory)",
                (unsigned long long)(used >> 20), (unsigned long long)(sbd_g.opt.memory_budget >> 20), s->id,
                (unsigned long long)(s->mem_now >> 20));
        sbd_g.budget_kills++;
        sbd_kill_as(s, 134, "memory budget");
    }
    pthread_mutex_unlock(&sbd_g.lock);
}

int sbd_budget_start(void)
{
    tick = event_new(sbd_g.base, -1, EV_PERSIST, on_tick, NULL);
    struct timeval tv = {.tv_sec = 0, .tv_usec = (suseconds_t)(SBD_BUDGET_CHECK_NS / 1000)};
    return tick && event_add(tick, &tv) == 0 ? 0 : -1;
}

void sbd_budget_stop(void)
{
    if (tick)
        event_free(tick);
    tick = NULL;
}
