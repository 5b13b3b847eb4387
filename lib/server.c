// SPDX-License-Identifier: MIT
/* The server loop: reply-receive while there is an answer to give, receive otherwise. */
#include "server.h"

_Noreturn void
mica_server_run(const struct mica_server *s)
{
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    struct mica_msg m = { 0 };
    buf->recv_cnode = s->recv_slot ? MICA_SLOT_CNODE : 0;
    buf->recv_slot = s->recv_slot;
    long err = mica_recv(s->ep, &m, s->patience ? s->patience(s->ctx) : MICA_TIMEOUT_FOREVER);
    for (;;) {
        if (s->woken)
            s->woken(s->ctx);
        long status = MICA_SERVER_NO_REPLY;
        unsigned len = 0, ncaps = 0;
        if (!err && mica_msg_label(m.info) == MICA_LABEL_NOTIFICATION) {
            if (s->notified)
                s->notified(s->ctx, m.badge);
        } else if (!err) {
            bool sent_caps = mica_msg_caps(m.info);
            status = s->request(s->ctx, &m, &len, &ncaps);
            if (sent_caps && s->recv_slot)
                mica_cnode_delete(MICA_SLOT_CNODE, s->recv_slot);  /* what was not taken */
        }
        uint64_t patience = s->patience ? s->patience(s->ctx) : MICA_TIMEOUT_FOREVER;
        if (status == MICA_SERVER_NO_REPLY) {
            err = mica_recv(s->ep, &m, patience);
            continue;
        }
        m.info = mica_msginfo_caps((uint64_t)status, ncaps, len);
        err = mica_reply_recv(s->ep, &m, patience);
    }
}
