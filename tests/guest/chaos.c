// SPDX-License-Identifier: MIT
/*
 * Fault injection (tests/manifests/chaos.manifest): one thread crashes the console, the
 * timer and names, in turn, at random moments (init's INIT_CRASH makes a task fault, the
 * supervisor has it restarted), while two client threads use all three with checked
 * results: names lookups, a monotonic clock, and numbered console lines, which the boot
 * test finds in the serial log, every one. A call in flight at a crash gets an error and is
 * retried; a client error is unrecovered only if the service never comes back.
 */
#include <stdio.h>
#include <string.h>

#include "services.h"

#include <mica/task.h>

#define CNODE       MICA_TASK_SLOT_CNODE
#define UNTYPED     MICA_TASK_SLOT_UNTYPED
#define WAKE        (MICA_TASK_SLOT_FIRST_FREE + 0)
#define FIRST_SLOT  (MICA_TASK_SLOT_FIRST_FREE + 1)     /* per client: 4 slots */
#define CLIENTS     2
#define LINES       150                 /* console lines per client */
#define RETRIES     2000
#define MS          1000000UL

static const unsigned victims[] = { 0, 2, 3 };          /* names, console, timer */
static const char *const victim_names[] = { "names", "console", "timer" };

static unsigned kills_wanted = 120;
static volatile unsigned kills, clients_done, lines_written;
static volatile unsigned unrecovered, retried;
static struct mica_thread threads[CLIENTS];

static uint64_t rng = 0x9e3779b97f4a7c15;

static uint64_t
next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void
sleep_ms(unsigned ms)
{
    uint64_t bits;
    if (ms)
        mica_wait(WAKE, &bits, ms * MS);        /* nobody signals it: a plain wait */
}

/* Do op until it succeeds or the service stays gone; counts what had to be retried. */
#define RETRY(op)                                                               \
    ({                                                                          \
        long err_;                                                              \
        unsigned tries_ = 0;                                                    \
        while ((err_ = (op)) && ++tries_ < RETRIES)                             \
            mica_yield();                                                       \
        if (tries_)                                                             \
            retried++;                                                          \
        if (err_)                                                               \
            unrecovered++;                                                      \
        err_;                                                                   \
    })

static long
lookup(const char *name, uint64_t slot)
{
    mica_cnode_delete(CNODE, slot);
    return mica_names_lookup(MICA_TASK_SLOT_NAMES, name, slot);
}

static long
checked_now(uint64_t timer, uint64_t *last)
{
    uint64_t ns;
    long err = mica_timer_now(timer, &ns);
    if (err)
        return err;
    if (ns < *last) {
        mica_printf("TEST FAIL chaos_clock_went_back: %lu after %lu\n", (unsigned long)ns,
                    (unsigned long)*last);
        unrecovered++;
    }
    *last = ns;
    return MICA_E_OK;
}

static void
client(uint64_t id)
{
    uint64_t console = FIRST_SLOT + 4 * id, timer = console + 1, last = 0;
    char line[64];
    RETRY(lookup("console", console));
    RETRY(lookup("timer", timer));
    for (unsigned i = 0; i < LINES; i++) {
        /* A lookup each time, as a client that reconnects does; the endpoint stays. */
        if (RETRY(lookup(i % 2 ? "timer" : "console", i % 2 ? timer : console)))
            continue;
        RETRY(checked_now(timer, &last));
        int n = snprintf(line, sizeof(line), "chaos client %lu line %u\n", (unsigned long)id, i);
        RETRY(mica_console_write(console, line, (size_t)n));
        lines_written++;
        sleep_ms(i % 4 ? 0 : 100);              /* a burst, a pause: over the whole run */
    }
    clients_done++;
    for (;;)
        sleep_ms(1000);
}

int
main(void)
{
    long err = mica_untyped_retype(UNTYPED, MICA_OBJ_NOTIFICATION, 0, CNODE, WAKE, 1);
    for (uint64_t c = 0; !err && c < CLIENTS; c++) {
        err = mica_thread_create(&threads[c], UNTYPED, FIRST_SLOT + 4 * c + 2, client, c,
                                 MICA_BOOT_PRIO);
        if (!err)
            err = mica_tcb_resume(threads[c].tcb);
    }
    if (err) {
        mica_printf("TEST FAIL chaos_started: %s\n", mica_errname(err));
        mica_halt(1);
    }
    /* Crash a service every 20-50 ms, round robin, until the clients are done (and at
     * least kills_wanted times); but only after the clients got something done since the
     * last crash, so that the run ends however slow the machine (the kernel checking its
     * invariants after every exit is twelve times slower). */
    struct mica_msg m;
    unsigned seen = lines_written;
    while (kills < kills_wanted || clients_done < CLIENTS) {
        sleep_ms(20 + (unsigned)(next_random() % 30));
        while (lines_written == seen && clients_done < CLIENTS)
            sleep_ms(10);
        seen = lines_written;
        unsigned v = kills % 3;
        m = (struct mica_msg){ .info = mica_msginfo(INIT_CRASH, 1), .mr = { victims[v] } };
        if (!mica_call(MICA_TASK_SLOT_CONTROL, &m, MICA_TIMEOUT_FOREVER) &&
            !mica_msg_label(m.info))
            kills++;
        else
            sleep_ms(20);                       /* still restarting: try it again later */
        (void)victim_names;
    }
    sleep_ms(200);                              /* the last restart */
    uint64_t restarts = 0;
    bool all_running = true;
    for (unsigned v = 0; v < 3; v++) {
        m = (struct mica_msg){ .info = mica_msginfo(INIT_TASK_INFO, 1), .mr = { victims[v] } };
        if (mica_call(MICA_TASK_SLOT_CONTROL, &m, MICA_TIMEOUT_FOREVER) || mica_msg_label(m.info))
            all_running = false;
        restarts += m.mr[3];
        all_running = all_running && m.mr[0] == TASK_RUNNING;
    }
    mica_printf("chaos: kills=%u restarts=%lu client_errors_unrecovered=%u "
                "lost_output_lines=%u retried_calls=%u\n", kills, (unsigned long)restarts,
                unrecovered, unrecovered, retried);
    mica_printf("TEST %s chaos_every_kill_restarted\n",
                restarts == kills && all_running ? "PASS" : "FAIL");
    mica_printf("TEST %s chaos_clients_recovered\n", unrecovered ? "FAIL" : "PASS");
    mica_halt(unrecovered || restarts != kills || !all_running);
}
