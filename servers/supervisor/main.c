// SPDX-License-Identifier: MIT
/*
 * The supervisor: the fault handler of every task init starts. A failed task (any fault:
 * a crash is a fault message here) is reported and, if its manifest line says restart,
 * restarted by init from its boot module with the same capabilities; its endpoint lives
 * on, so clients reconnect by calling it again (a call in flight at the failure got an
 * error). A task that fails more than RESTART_LIMIT times within WINDOW_MS is backed off:
 * reported and not restarted again. If the supervisor itself fails, init restarts it.
 * It never waits for a task it supervises (one that failed, or fails while it waits, would
 * hang it): it finds the console with a bounded call and posts its reports one way, to the
 * kernel's console when the console is not waiting for requests.
 */
#include <stdio.h>

#include "services.h"

#include <mica/task.h>

#define CONSOLE         MICA_TASK_SLOT_FIRST_FREE
#define PATIENCE        (20 * 1000000UL)    /* a bound on a call, its reply included */

#define RESTART_LIMIT   10
#define WINDOW_MS       1000
#define MAX_TASKS       32

static uint64_t ticks_per_ms = 1000000;     /* of the time-stamp counter, until measured */
static uint64_t failures[MAX_TASKS][RESTART_LIMIT + 1];     /* TSC of the last failures */
static unsigned nfail[MAX_TASKS];

static uint64_t
rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* Record a failure of task i now; whether it failed too often within the window. */
static bool
too_often(unsigned i)
{
    uint64_t now = rdtsc(), window = WINDOW_MS * ticks_per_ms;
    unsigned n = 0;
    for (unsigned k = 0; k < nfail[i]; k++)
        if (now - failures[i][k] < window)
            failures[i][n++] = failures[i][k];
    if (n == RESTART_LIMIT + 1)
        n--;                                    /* already over: keep the newest */
    failures[i][n++] = now;
    nfail[i] = n;
    return n > RESTART_LIMIT;
}

static long
init_call(uint64_t method, uint64_t index, struct mica_msg *m)
{
    *m = (struct mica_msg){ .info = mica_msginfo(method, 1), .mr = { index } };
    long err = mica_call(MICA_TASK_SLOT_CONTROL, m, MICA_TIMEOUT_FOREVER);
    return err ? err : (long)mica_msg_label(m->info);
}

static const char *
fault_name(uint64_t label)
{
    switch (label) {
    case MICA_FAULT_PAGE: return "page fault";
    case MICA_FAULT_GENERAL_PROTECTION: return "general protection fault";
    case MICA_FAULT_UNDEFINED_INSN: return "undefined instruction";
    case MICA_FAULT_DIVIDE: return "divide error";
    case MICA_FAULT_BREAKPOINT: return "breakpoint";
    case MICA_FAULT_SYSCALL: return "redirected system call";
    default: return "fault";
    }
}

/* The console, once it is registered (a lookup bounded in time: names may be the one that
 * failed). */
static void
find_console(void)
{
    static bool found;
    if (!found && !mica_names_lookup(MICA_TASK_SLOT_NAMES, "console", CONSOLE)) {
        found = true;
        mica_log_to(CONSOLE, true);
    }
}

/* Task index failed (what: how, for the report): report it, and have init restart it if
 * its manifest line says so and it has not failed too often. */
static void
failed(uint64_t index, const char *what)
{
    struct mica_msg m;
    char name[MICA_NAME_MAX] = "?";
    bool restart = false;
    if (!init_call(INIT_TASK_INFO, index, &m)) {
        const uint64_t *words = &mica_ipc_buffer()->mr[4];
        mica_name_unpack(words, name);
        restart = mica_ipc_buffer()->mr[8];
    }
    find_console();
    mica_log("supervisor: '%s' failed: %s\n", name, what);
    if (!restart) {
        mica_log("supervisor: '%s' is not to be restarted\n", name);
        init_call(INIT_GIVE_UP, index, &m);
        return;
    }
    if (index < MAX_TASKS && too_often((unsigned)index)) {
        mica_log("supervisor: '%s' failed %u times within %u ms: backed off, not restarted\n",
                 name, RESTART_LIMIT + 1, WINDOW_MS);
        init_call(INIT_GIVE_UP, index, &m);
        return;
    }
    long err = init_call(INIT_RESTART, index, &m);
    if (err)
        mica_log("supervisor: restarting '%s' failed: %s\n", name, mica_errname(err));
    else
        mica_log("supervisor: '%s' restarted\n", name);
}

int
main(void)
{
    struct mica_msg m = { 0 };
    bool calibrated = false;
    mica_services_patience = PATIENCE;
    struct mica_cap_info info = { 0 };
    if (!mica_cnode_identify(MICA_TASK_SLOT_CNODE, MICA_TASK_SLOT_FAILURES, &info) &&
        info.type == MICA_OBJ_NOTIFICATION)     /* with a memory server: its reports too */
        mica_tcb_bind_notification(MICA_TASK_SLOT_TCB, MICA_TASK_SLOT_FAILURES);
    for (;;) {
        /* The first wait, if nothing comes, measures the time-stamp counter's rate against
         * the kernel's timeouts. */
        uint64_t t0 = rdtsc();
        long err = mica_recv(MICA_TASK_SLOT_FAULTS, &m, calibrated ? MICA_TIMEOUT_FOREVER
                                                                   : 100 * 1000000UL);
        if (err == MICA_E_TIMEOUT && !calibrated) {
            ticks_per_ms = (rdtsc() - t0) / 100 ? (rdtsc() - t0) / 100 : 1;
            calibrated = true;
        }
        if (err)
            continue;
        if (mica_msg_label(m.info) == MICA_LABEL_NOTIFICATION) {
            /* The memory server's report: bit i, task i had a fault it would not resolve
             * (the thread waits, suspended). */
            for (uint64_t bits = m.badge; bits; bits &= bits - 1)
                failed((uint64_t)__builtin_ctzl(bits), "a fault its pager would not resolve");
        } else if (mica_msg_label(m.info) >= MICA_FAULT_PAGE && m.badge) {
            char what[96];                      /* no reply: init ends the thread */
            snprintf(what, sizeof(what), "%s at %#lx, ip %#lx",
                     fault_name(mica_msg_label(m.info)), (unsigned long)m.mr[1],
                     (unsigned long)m.mr[0]);
            failed(m.badge - 1, what);
        }
    }
}
