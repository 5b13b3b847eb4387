// SPDX-License-Identifier: MIT
/* The fuzzer's partner (module 1, started by tests/guest/fuzz.c): a known workload that
 * must stay correct while the fuzzer attacks the kernel. Two threads of this task play
 * ping-pong through WL_EP with payloads of 1..64 words, every word checked; messages from
 * anyone else (the fuzzer holds badged, send-only copies of WL_EP) get an empty reply. When
 * WL_STOP is signalled, the client sends its count of rounds and errors to WL_REPORT. */
#include "fuzz_proto.h"
#include <stdbool.h>

#include "mica.h"

static void
server(uint64_t unused)
{
    (void)unused;
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    struct mica_msg m = { 0 };
    long err = mica_recv(WL_EP, &m, MICA_TIMEOUT_FOREVER);
    for (;;) {
        if (err) {
            err = mica_recv(WL_EP, &m, MICA_TIMEOUT_FOREVER);
            continue;
        }
        unsigned len = mica_msg_length(m.info);
        if (m.badge || mica_msg_label(m.info) != WL_PING || len > WL_MAX_WORDS) {
            m.info = mica_msginfo(0, 0);            /* not our client: an empty answer */
        } else {
            for (unsigned i = 0; i < len; i++) {
                if (i < MICA_MSG_REG_WORDS)
                    m.mr[i] = wl_answer(m.mr[i], i);
                else
                    buf->mr[i] = wl_answer(buf->mr[i], i);
            }
            m.info = mica_msginfo(WL_PING, len);
        }
        err = mica_reply_recv(WL_EP, &m, MICA_TIMEOUT_FOREVER);
    }
}

int
main(void)
{
    static struct mica_thread srv;
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    uint64_t rounds = 0, errors = 0, bits;
    long err = mica_thread_create(&srv, WL_UNTYPED, WL_THREAD, server, 0, MICA_BOOT_PRIO);
    if (err || (err = mica_tcb_resume(srv.tcb))) {
        mica_printf("fuzz_workload: cannot start its server: %s\n", mica_errname(err));
        errors++;
    }
    while (!errors && mica_wait(WL_STOP, &bits, MICA_TIMEOUT_POLL) == MICA_E_TIMEOUT) {
        unsigned len = 1 + rounds % WL_MAX_WORDS;
        struct mica_msg m = { .info = mica_msginfo(WL_PING, len) };
        for (unsigned i = 0; i < len; i++) {
            if (i < MICA_MSG_REG_WORDS)
                m.mr[i] = wl_payload(rounds, i);
            else
                buf->mr[i] = wl_payload(rounds, i);
        }
        err = mica_call(WL_EP, &m, MICA_TIMEOUT_FOREVER);
        bool ok = !err && m.info == mica_msginfo(WL_PING, len);
        for (unsigned i = 0; ok && i < len; i++)
            ok = (i < MICA_MSG_REG_WORDS ? m.mr[i] : buf->mr[i]) ==
                 wl_answer(wl_payload(rounds, i), i);
        if (!ok && errors++ < 5)
            mica_printf("fuzz_workload: round %lu wrong: %s, info %#lx\n",
                        (unsigned long)rounds, mica_errname(err), (unsigned long)m.info);
        rounds++;
    }
    struct mica_msg m = { .info = mica_msginfo(0, 2), .mr = { rounds, errors } };
    mica_send(WL_REPORT, &m, MICA_TIMEOUT_FOREVER);
    mica_tcb_suspend(MICA_SLOT_TCB);
    return 0;
}
