// SPDX-License-Identifier: MIT
/* A client of the memory server for tests/guest/memsrv.c: a task of its own that touches
 * its memory as the root task tells it, so every touch may be a page fault the memory
 * server resolves (or, a bad one, suspends it for). */
#include "mem.h"
#include "memsrv_proto.h"

static uint64_t
count(volatile uint64_t *p, uint64_t pages, uint64_t value)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < pages * 512; i++)
        n += p[i] != value;
    return n;
}

int
main(void)
{
    struct mica_msg m = { 0 };
    long err = mica_recv(CLIENT_CTRL, &m, MICA_TIMEOUT_FOREVER);
    for (;;) {
        if (err) {
            err = mica_recv(CLIENT_CTRL, &m, MICA_TIMEOUT_FOREVER);
            continue;
        }
        volatile uint64_t *p = (volatile uint64_t *)m.mr[0];
        uint64_t label = mica_msg_label(m.info), out[MEM_MAX_WORDS] = { 0 };
        unsigned n = 1;
        switch (label) {
        case CMD_READ:
            out[0] = *p;
            break;
        case CMD_WRITE:
            *p = m.mr[1];
            break;
        case CMD_FILL:
            for (uint64_t i = 0; i < m.mr[1] * 512; i++)
                p[i] = m.mr[2];
            break;
        case CMD_COUNT:
            out[0] = count(p, m.mr[1], m.mr[2]);
            break;
        case CMD_MEM: {
            uint64_t args[MEM_MAX_WORDS] = { m.mr[1], m.mr[2], m.mr[3] };
            bool none = m.mr[0] >> 32;
            out[0] = (uint64_t)mem_rpc(CLIENT_MEM, m.mr[0] & 0xffffffff, none ? 0 : 3, args,
                                       0, NULL);
            for (unsigned i = 1; i < 4; i++)
                out[i] = args[i - 1];
            n = 4;
            break;
        }
        default:
            n = 0;
        }
        m.info = mica_msginfo(label, n);
        for (unsigned i = 0; i < 4; i++)
            m.mr[i] = out[i];
        err = mica_reply_recv(CLIENT_CTRL, &m, MICA_TIMEOUT_FOREVER);
    }
}
