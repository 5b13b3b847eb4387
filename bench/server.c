// SPDX-License-Identifier: MIT
/* The benchmark server: echoes every call (same label and length), answers redirected
 * system calls, and on request turns into a notification waiter that reports when it woke. */
#include "bench.h"
#include "mica.h"

static inline uint64_t
rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static _Noreturn void
notify_loop(void)
{
    for (;;) {
        uint64_t bits;
        mica_wait(BENCH_NTFN, &bits, MICA_TIMEOUT_FOREVER);
        struct mica_msg m = { .info = mica_msginfo(0, 1), .mr = { rdtsc() } };
        mica_send(BENCH_REPORT_EP, &m, MICA_TIMEOUT_FOREVER);
    }
}

int
main(void)
{
    struct mica_msg m = { 0 };
    mica_recv(BENCH_EP, &m, MICA_TIMEOUT_FOREVER);
    for (;;) {
        uint64_t label = mica_msg_label(m.info);
        if (label == MICA_FAULT_SYSCALL) {
            m.info = mica_msginfo(MICA_FAULT_REPLY_RESUME, 1);
            m.mr[0] = SYSCALL_RESULT;
        } else if (label == OP_NOTIFY_PHASE) {
            m.info = mica_msginfo(label, 0);
            mica_reply_recv(BENCH_NTFN, &m, MICA_TIMEOUT_POLL);    /* reply; nothing to wait for */
            notify_loop();
        } else {
            m.info = mica_msginfo(label, mica_msg_length(m.info));
        }
        mica_reply_recv(BENCH_EP, &m, MICA_TIMEOUT_FOREVER);
    }
}
