// SPDX-License-Identifier: MIT
/* The memory server: a boot module started by the root task (lib/mem.c), which gives it most
 * untyped memory and a big CNode. One reply-receive loop: decode a request or a page fault,
 * check every argument, act (space.c, store.c), answer. Protocol: lib/mem.h; design:
 * docs/memory.md. */
#include "server.h"

#define EP      MEM_SLOT_EP
#define CN      MEM_SLOT_CNODE

/* Arguments each method takes, and which capability it needs with them. */
static const struct {
    unsigned args, cap;
} methods[] = {
    [MEM_CLIENT_CREATE] = { 1, MICA_OBJ_VSPACE },
    [MEM_CLIENT_THREAD] = { 1, MICA_OBJ_TCB },
    [MEM_CLIENT_SUPERVISOR] = { 1, MICA_OBJ_NOTIFICATION },
    [MEM_CLIENT_QUOTA] = { 2, 0 },
    [MEM_CLIENT_DESTROY] = { 1, 0 },
    [MEM_FAULT_INFO] = { 1, 0 },
    [MEM_SHARE] = { 5, 0 },
    [MEM_COPY] = { 4, 0 },
    [MEM_DEVICE] = { 5, MICA_OBJ_DEVICE_MEMORY },
    [MEM_MAP] = { 3, 0 },
    [MEM_UNMAP] = { 1, 0 },
    [MEM_USAGE] = { 0, 0 },
};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

static struct client *
client_get(uint64_t id)
{
    return id && id < MEM_MAX_CLIENTS && clients[id].used ? &clients[id] : NULL;
}

/* The capability that came with the request, moved to a slot of its own (or 0). */
static uint64_t
take_cap(void)
{
    uint64_t s = slot_alloc();
    if (s && mica_cnode_move(CN, s, CN, MEM_SLOT_RECV)) {
        slot_free(s);
        s = 0;
    }
    return s;
}

/* Methods that only the administrator (badge 0) may call. */
static long
admin(uint64_t label, const uint64_t *a, uint64_t *out, unsigned *nout)
{
    struct client *c = label == MEM_CLIENT_CREATE ? NULL : client_get(a[0]);
    struct client *dst = label == MEM_SHARE || label == MEM_COPY ? client_get(a[2]) : NULL;
    uint64_t s;
    long err;
    if (label != MEM_CLIENT_CREATE && !c)
        return MICA_E_INVALID_ARG;
    if ((label == MEM_SHARE || label == MEM_COPY) && !dst)
        return MICA_E_INVALID_ARG;
    switch (label) {
    case MEM_CLIENT_CREATE:
        if (!(s = take_cap()))
            return MICA_E_NO_MEMORY;
        if ((err = client_create(s, a[0], &out[0])))
            slot_delete(s);
        *nout = 1;
        return err;
    case MEM_CLIENT_THREAD:
        if (c->threads == MEM_MAX_THREADS || !(s = take_cap()))
            return MICA_E_NO_MEMORY;
        c->tcb[++c->threads] = (uint16_t)s;
        out[0] = mem_badge(a[0], c->threads);
        *nout = 1;
        return MICA_E_OK;
    case MEM_CLIENT_SUPERVISOR:
        if (!(s = take_cap()))
            return MICA_E_NO_MEMORY;
        if (c->supervisor)
            slot_delete(c->supervisor);
        c->supervisor = s;
        return MICA_E_OK;
    case MEM_CLIENT_QUOTA:
        c->quota = a[1];
        return MICA_E_OK;
    case MEM_CLIENT_DESTROY:
        client_destroy(c);
        return MICA_E_OK;
    case MEM_FAULT_INFO:
        out[0] = c->last.thread;
        out[1] = c->last.addr;
        out[2] = c->last.ip;
        out[3] = c->last.flags;
        out[4] = c->last.why;
        out[5] = c->last.count;
        *nout = 6;
        return MICA_E_OK;
    case MEM_SHARE:
        return region_share(c, a[1], dst, a[3], (unsigned)a[4]);
    case MEM_COPY:
        return region_copy(c, a[1], dst, a[3]);
    case MEM_DEVICE:
        if (!(s = take_cap()))
            return MICA_E_NO_MEMORY;
        return region_device(c, a[1], a[2], (unsigned)a[3], a[4], s);
    default:
        return MICA_E_BAD_METHOD;
    }
}

/* Methods on the caller's own address space. */
static long
own(struct client *c, uint64_t label, const uint64_t *a, uint64_t *out, unsigned *nout)
{
    switch (label) {
    case MEM_MAP:
        return region_map(c, a[0], a[1], (unsigned)a[2]);
    case MEM_UNMAP:
        return region_unmap(c, a[0]);
    case MEM_USAGE:
        out[0] = c->pages;
        out[1] = c->quota;
        out[2] = c->nregions;
        out[3] = pages_free();
        *nout = 4;
        return MICA_E_OK;
    default:
        return MICA_E_BAD_METHOD;
    }
}

/* One request or fault in m; true if m is now the reply to send. */
static bool
serve(struct mica_msg *m, struct mica_ipc_buffer *buf)
{
    uint64_t label = mica_msg_label(m->info), badge = m->badge, a[MEM_MAX_WORDS] = { 0 };
    uint64_t out[MEM_MAX_WORDS] = { 0 };
    unsigned len = mica_msg_length(m->info), ncaps = mica_msg_caps(m->info), nout = 0;
    struct client *c = client_get(badge >> MEM_THREAD_BITS);
    long err;

    if (label >= MICA_FAULT_PAGE && label <= MICA_FAULT_SYSCALL) {
        if (!c || !(badge & ((1u << MEM_THREAD_BITS) - 1))) {
            mica_printf("mem: a fault with badge %#lx, which names no thread; dropped\n",
                        (unsigned long)badge);
            return false;
        }
        if (label == MICA_FAULT_PAGE && len >= 4)
            return fault_page(badge, m);
        fault_bad(c, badge & ((1u << MEM_THREAD_BITS) - 1), m, MEM_WHY_OTHER);
        return false;
    }
    for (unsigned i = 0; i < len && i < MEM_MAX_WORDS; i++)
        a[i] = i < MICA_MSG_REG_WORDS ? m->mr[i] : buf->mr[i];
    if (label >= NMETHODS || (!methods[label].args && label != MEM_USAGE)) {
        err = MICA_E_BAD_METHOD;
    } else if (len != methods[label].args || ncaps != !!methods[label].cap) {
        err = MICA_E_INVALID_ARG;
    } else if (label < MEM_MAP) {
        struct mica_cap_info info = { 0 };
        if (badge)
            err = MICA_E_NO_RIGHTS;
        else if (methods[label].cap && (mica_cnode_identify(CN, MEM_SLOT_RECV, &info) ||
                                        info.type != methods[label].cap))
            err = MICA_E_NO_CAP;
        else
            err = admin(label, a, out, &nout);
    } else {
        err = c ? own(c, label, a, out, &nout) : MICA_E_NO_RIGHTS;
    }
    if (err == E_QUOTA)
        err = MICA_E_NO_MEMORY;
    if (err)
        nout = 0;
    for (unsigned i = 0; i < nout; i++) {
        if (i < MICA_MSG_REG_WORDS)
            m->mr[i] = out[i];
        else
            buf->mr[i] = out[i];
    }
    m->info = mica_msginfo((uint64_t)err, nout);
    return true;
}

int
main(void)
{
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    struct mica_msg m = { 0 };
    bool reply = false;

    store_init();
    mica_printf("mem: the memory server is up: %lu pages of memory\n",
                (unsigned long)pages_free());
    buf->recv_cnode = CN;
    buf->recv_slot = MEM_SLOT_RECV;
    for (;;) {
        long err = reply ? mica_reply_recv(EP, &m, MICA_TIMEOUT_FOREVER)
                         : mica_recv(EP, &m, MICA_TIMEOUT_FOREVER);
        if (err) {
            reply = false;
            continue;
        }
        unsigned caps = mica_msg_caps(m.info);
        reply = serve(&m, buf);
        for (unsigned i = 0; i < caps; i++)     /* what no method took */
            mica_cnode_delete(CN, MEM_SLOT_RECV + i);
    }
}
