// SPDX-License-Identifier: MIT
/* The IPC test server: a boot task in its own address space, started by the root task
 * (tests/guest/ipc.c) once its endpoint capability is in place. One reply-receive loop. */
#include "ipc_proto.h"
#include "mica.h"

int
main(void)
{
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    struct mica_msg m = { 0 };
    uint64_t oneway = 0, words[MICA_MSG_MAX_WORDS];

    buf->recv_cnode = MICA_SLOT_CNODE;
    buf->recv_slot = SERVER_RECV;
    long err = mica_recv(SERVER_EP, &m, MICA_TIMEOUT_FOREVER);
    for (;;) {
        if (err) {
            err = mica_recv(SERVER_EP, &m, MICA_TIMEOUT_FOREVER);
            continue;
        }
        uint64_t label = mica_msg_label(m.info);
        unsigned len = mica_msg_length(m.info), out = 0;
        switch (label) {
        case OP_ECHO:
            for (unsigned i = 0; i < MICA_MSG_REG_WORDS; i++)
                m.mr[i]++;
            out = len;
            break;
        case OP_BADGE:
            m.mr[0] = m.badge;
            out = 1;
            break;
        case OP_REVERSE:
            for (unsigned i = 0; i < len; i++)
                words[i] = i < MICA_MSG_REG_WORDS ? m.mr[i] : buf->mr[i];
            for (unsigned i = 0; i < len; i++) {
                if (i < MICA_MSG_REG_WORDS)
                    m.mr[i] = words[len - 1 - i];
                else
                    buf->mr[i] = words[len - 1 - i];
            }
            out = len;
            break;
        case OP_CAPS: {
            struct mica_cap_info info = { 0 };
            mica_cnode_identify(MICA_SLOT_CNODE, SERVER_RECV, &info);
            mica_cnode_delete(MICA_SLOT_CNODE, SERVER_RECV);
            m.mr[0] = mica_msg_caps(m.info);
            m.mr[1] = info.type;
            out = 2;
            break;
        }
        case OP_ONEWAY:
            oneway++;
            break;
        case OP_COUNT:
            m.mr[0] = oneway;
            out = 1;
            break;
        case OP_GIVE:
            buf->caps[0] = SERVER_EP;
            m.info = mica_msginfo_caps(0, 1, 0);
            err = mica_reply_recv(SERVER_EP, &m, MICA_TIMEOUT_FOREVER);
            continue;
        }
        m.info = mica_msginfo(label, out);
        err = mica_reply_recv(SERVER_EP, &m, MICA_TIMEOUT_FOREVER);
    }
}
