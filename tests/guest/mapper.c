// SPDX-License-Identifier: MIT
/* A task for the map-item tests (tests/guest/mapping.c): it takes pages into its receive
 * window, reads and writes them, and passes them on to the next mapper. */
#include "mapper_proto.h"
#include "mica.h"

/* A write the fault handler can skip: it moves rip past the 3-byte store and sets rax. */
static uint64_t
store(uint64_t va, uint64_t value)
{
    uint64_t faulted = 0;
    __asm__ volatile("movq %%rsi, (%%rdi)" : "+a"(faulted) : "D"(va), "S"(value) : "memory");
    return faulted;
}

int
main(void)
{
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    struct mica_msg m = { 0 };
    buf->recv_cnode = MICA_SLOT_CNODE;
    buf->recv_slot = MAPPER_RECV;
    long err = mica_recv(MAPPER_EP, &m, MICA_TIMEOUT_FOREVER);
    for (;;) {
        if (err) {
            err = mica_recv(MAPPER_EP, &m, MICA_TIMEOUT_FOREVER);
            continue;
        }
        unsigned taken = mica_msg_caps(m.info), out = 0;
        struct mica_cap_info info = { 0 };
        switch (mica_msg_label(m.info)) {
        case M_WINDOW:
            buf->recv_window = m.mr[0];
            buf->recv_window_size = m.mr[1];
            buf->recv_slot = m.mr[2];
            break;
        case M_TAKE:
            mica_cnode_identify(MICA_SLOT_CNODE, buf->recv_slot, &info);
            m.mr[0] = taken;
            m.mr[1] = taken ? info.rights : 0;
            out = 2;
            break;
        case M_READ:
            m.mr[0] = *(volatile uint64_t *)m.mr[0];
            out = 1;
            break;
        case M_WRITE:
            m.mr[0] = store(m.mr[0], m.mr[1]);
            out = 1;
            break;
        case M_FORWARD: {
            struct mica_msg f = { .info = mica_msginfo_caps(M_TAKE, 1, 0) | MICA_MSG_MAP |
                                          (m.mr[2] ? MICA_MSG_MOVE_CAPS : 0) };
            buf->caps[0] = m.mr[0];
            buf->map_attrs = m.mr[1];
            m.mr[0] = (uint64_t)mica_call(MAPPER_NEXT, &f, MICA_TIMEOUT_FOREVER);
            m.mr[1] = f.mr[0];
            out = 2;
            break;
        }
        default:
            break;
        }
        m.info = mica_msginfo(0, out);
        err = mica_reply_recv(MAPPER_EP, &m, MICA_TIMEOUT_FOREVER);
    }
}
