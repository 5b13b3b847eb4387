// SPDX-License-Identifier: MIT
/*
 * The server side of channels: take batches of requests, check each one, hand it to the
 * operation's handler and publish the completions; sleep on the doorbell with the flag
 * protocol; open channels in clients' pages (map items) through the control endpoint, mend
 * an access to a page that went (the guard), and free channels whose clients died.
 *
 * Everything in the shared region is written by a client that may be hostile and may
 * change it while we work. So: the geometry is copied and checked once, at attach; an
 * index is believed only if it lies within one ring's size of our own private count (else
 * it is ignored or clamped, and counted as a violation); a request is copied out of the
 * ring once, word by word, and only the copy is checked and used; the buffer area is
 * touched only through (off, len) pairs checked against our copy of its size; and no loop
 * runs on a count the client chose beyond one ring's size. Our own indices live in this
 * private structure, never read back from the region.
 */
#include <string.h>

#include "chan.h"

#include <mica/task.h>

#define RELAXED memory_order_relaxed
#define ACQUIRE memory_order_acquire
#define RELEASE memory_order_release
#define PAGE    4096u
#define SCRATCH_SLOTS MICA_MSG_MAX_CAPS   /* what a message brings */

/* Our slots from first_slot: nconn client doorbells, the receive slots, nconn * max_pages
 * pages, nconn channel endpoints, then the guard's endpoint, thread and hole. */
static uint64_t
page_slot(const struct mica_chan_server *srv, unsigned id, unsigned page)
{
    return srv->cfg.first_slot + srv->cfg.nconn + SCRATCH_SLOTS + id * srv->cfg.max_pages + page;
}

static uint64_t
ep_slot(const struct mica_chan_server *srv, unsigned id)
{
    return page_slot(srv, srv->cfg.nconn, 0) + id;
}

enum { GUARD_EP, GUARD_TCB, GUARD_HOLE };

static uint64_t
guard_slot(const struct mica_chan_server *srv, unsigned which)
{
    return ep_slot(srv, srv->cfg.nconn) + which;
}

static uintptr_t
page_va(const struct mica_chan_server *srv, unsigned id, unsigned page)
{
    return srv->cfg.arena + ((uintptr_t)id * srv->cfg.max_pages + page) * PAGE;
}

/* ---- the guard: the client's pages may go at any moment ---------------------------------- */

/*
 * A channel's pages are the client's memory, mapped here through map items: the client can
 * revoke them, and every task's memory goes when it ends. An access to a page that went
 * faults; our thread's faults come to the guard, a second thread, which maps the hole (a
 * page of its own) there, marks the channel gone and lets the thread go on: it reads what
 * the hole holds, checks it like anything a client writes, and the channel is freed at the
 * next sweep. A fault anywhere else is ours: the guard hands the thread back to the fault
 * handler it had (MICA_TASK_SLOT_FAULT_HANDLER), which sees the same fault again; the
 * thread takes the guard back at its next round (guard_again()).
 */
static void
guard_main(uint64_t arg)
{
    struct mica_chan_server *srv = (struct mica_chan_server *)arg;
    const struct mica_chan_server_config *cfg = &srv->cfg;
    uintptr_t end = page_va(srv, cfg->nconn, 0);
    struct mica_msg m = { 0 };
    long err = mica_recv(guard_slot(srv, GUARD_EP), &m, MICA_TIMEOUT_FOREVER);
    for (;;) {
        uint64_t addr = m.mr[1];
        bool ours = !err && mica_msg_label(m.info) == MICA_FAULT_PAGE && addr >= cfg->arena &&
                    addr < end;
        if (ours) {
            unsigned page = (unsigned)((addr - cfg->arena) / PAGE);
            unsigned id = page / cfg->max_pages;
            uint64_t slot = page_slot(srv, id, page % cfg->max_pages);
            mica_cnode_delete(MICA_SLOT_CNODE, slot);
            ours = !mica_cnode_copy(MICA_SLOT_CNODE, slot, MICA_SLOT_CNODE,
                                    guard_slot(srv, GUARD_HOLE), MICA_RIGHTS_ALL) &&
                   !mica_frame_map(slot, MICA_SLOT_VSPACE, addr & ~(uintptr_t)(PAGE - 1),
                                   MICA_MAP_WRITE);
            srv->conn[id].gone = true;
            srv->holes++;
        }
        if (!ours && !err) {
            /* Not a page of a channel: the fault handler the thread had sees it again.
             * With none to give it to, the thread stops (as the kernel stops one). */
            if (mica_tcb_configure(MICA_SLOT_TCB, MICA_SLOT_CNODE, MICA_SLOT_VSPACE,
                                   (uint64_t)srv->ipc, MICA_TASK_SLOT_FAULT_HANDLER)) {
                mica_printf("chan: fault %#lx at %#lx, address %#lx, and no handler to give "
                            "it to: the server stops\n", (unsigned long)mica_msg_label(m.info),
                            (unsigned long)m.mr[0], (unsigned long)addr);
                mica_tcb_suspend(MICA_SLOT_TCB);
            }
            srv->guard_off = true;
        }
        if (err)                                /* our endpoint went: nothing more to do */
            mica_tcb_suspend(srv->guard.tcb);
        m = (struct mica_msg){ .info = mica_msginfo(0, 0) };   /* resume: the access again */
        err = mica_reply_recv(guard_slot(srv, GUARD_EP), &m, MICA_TIMEOUT_FOREVER);
    }
}

/* Our thread's faults to the guard (again, after the guard handed one on). */
static long
guard_on(struct mica_chan_server *srv)
{
    srv->guard_off = false;
    return mica_tcb_configure(MICA_SLOT_TCB, MICA_SLOT_CNODE, MICA_SLOT_VSPACE,
                              (uint64_t)srv->ipc, guard_slot(srv, GUARD_EP));
}

static inline void
guard_again(struct mica_chan_server *srv)
{
    if (srv->guard_off)
        guard_on(srv);
}

static long
guard_start(struct mica_chan_server *srv)
{
    const struct mica_chan_server_config *cfg = &srv->cfg;
    long err = mica_untyped_retype(cfg->untyped, MICA_OBJ_ENDPOINT, 0, MICA_SLOT_CNODE,
                                   guard_slot(srv, GUARD_EP), 1);
    if (!err)
        err = mica_untyped_retype(cfg->untyped, MICA_OBJ_FRAME, 12, MICA_SLOT_CNODE,
                                  guard_slot(srv, GUARD_HOLE), 1);
    if (!err)
        err = mica_thread_create(&srv->guard, cfg->untyped, guard_slot(srv, GUARD_TCB),
                                 guard_main, (uint64_t)srv, 0);
    /* The highest priority we may give (our task's, for a task made by init): the guard
     * runs only while our thread waits for it. Allowed priorities are 0 .. MCP: search. */
    for (unsigned lo = 0, hi = MICA_MAX_PRIO; !err && lo < hi;) {
        unsigned mid = (lo + hi + 1) / 2;
        if (mica_tcb_set_priority(srv->guard.tcb, mid))
            hi = mid - 1;
        else
            lo = mid;
        if (lo == hi)
            err = mica_tcb_set_priority(srv->guard.tcb, lo);
    }
    if (!err)   /* its own faults go where ours did (a task made by init has the slot) */
        mica_tcb_configure(srv->guard.tcb, MICA_SLOT_CNODE, MICA_SLOT_VSPACE,
                           (uint64_t)&srv->guard.ipc, MICA_TASK_SLOT_FAULT_HANDLER);
    if (!err)
        err = mica_tcb_resume(srv->guard.tcb);
    if (!err)
        err = guard_on(srv);
    return err;
}

/* Where this instance's channel generations start: the public endpoint (init keeps a
 * server's across its restarts) may still carry channel endpoints minted by an earlier
 * instance, and those must not name our channels. A clock value makes a match a chance of
 * one in 2^32. */
static uint32_t
first_generation(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint32_t)(((uint64_t)hi << 32 | lo) * 0x9e3779b97f4a7c15u >> 32);
}

long
mica_chan_server_init(struct mica_chan_server *srv, const struct mica_chan_server_config *cfg)
{
    if (cfg->nconn > MICA_CHAN_SERVER_MAX || !cfg->ntfn)
        return MICA_E_INVALID_ARG;
    memset(srv, 0, sizeof(*srv));
    srv->cfg = *cfg;
    uint32_t gen = first_generation();
    for (unsigned i = 0; i < cfg->nconn; i++)
        srv->conn[i].gen = gen + i * 0x10000u;
    if (cfg->ep) {
        struct mica_ipc_buffer *buf = mica_ipc_buffer();
        srv->ipc = buf;
        long err = mica_tcb_bind_notification(MICA_SLOT_TCB, cfg->ntfn);
        if (!err && cfg->untyped && cfg->max_pages)
            err = guard_start(srv);
        if (err)
            return err;
        buf->recv_cnode = MICA_SLOT_CNODE;
        buf->recv_slot = cfg->first_slot + cfg->nconn;
        buf->recv_window = page_va(srv, cfg->nconn, 0);
        buf->recv_window_size = SCRATCH_SLOTS * PAGE;
    }
    return MICA_E_OK;
}

/* ---- attach and detach ------------------------------------------------------------------ */

long
mica_chan_attach(struct mica_chan_server *srv, unsigned id, void *region, size_t size,
                 mica_cptr_t client_bell)
{
    if (id >= srv->cfg.nconn || srv->conn[id].state == MICA_CHAN_CONN_ATTACHED)
        return MICA_E_BAD_STATE;
    /* One copy of the geometry, checked as a whole; the region is never read for it again. */
    struct mica_chan_header g;
    memcpy(&g, region, 64);
    __asm__ volatile("" ::: "memory");
    uint64_t sq_end = (uint64_t)g.sq_off + (uint64_t)g.sq_entries * MICA_CHAN_SQE_SIZE;
    uint64_t cq_end = (uint64_t)g.cq_off + (uint64_t)g.cq_entries * MICA_CHAN_CQE_SIZE;
    uint64_t buf_end = (uint64_t)g.buf_off + g.buf_size;
    if (g.magic != MICA_CHAN_MAGIC || g.version != MICA_CHAN_VERSION ||
        !mica_chan_ring_ok(g.sq_entries) || !mica_chan_ring_ok(g.cq_entries) || g.ntags == 0 ||
        g.ntags > MICA_CHAN_MAX_TAGS || g.sq_off < MICA_CHAN_HEADER_SIZE ||
        g.cq_off < MICA_CHAN_HEADER_SIZE || (g.buf_size && g.buf_off < MICA_CHAN_HEADER_SIZE) ||
        g.sq_off % MICA_CHAN_SQE_SIZE || g.cq_off % MICA_CHAN_CQE_SIZE ||
        sq_end > size || cq_end > size || buf_end > size ||
        (g.cq_off < sq_end && g.sq_off < cq_end) ||          /* the rings overlap */
        (g.buf_size && ((g.buf_off < sq_end && g.sq_off < buf_end) ||
                        (g.buf_off < cq_end && g.cq_off < buf_end))))
        return MICA_E_INVALID_ARG;

    struct mica_chan_conn *c = &srv->conn[id];
    memset(c, 0, offsetof(struct mica_chan_conn, owner));      /* the set-up state stays */
    c->hdr = region;
    c->sq = (struct mica_chan_sq_entry *)((uint8_t *)region + g.sq_off);
    c->cq = (struct mica_chan_cq_entry *)((uint8_t *)region + g.cq_off);
    c->buf = (uint8_t *)region + g.buf_off;
    c->buf_size = g.buf_size;
    c->sq_entries = g.sq_entries;
    c->cq_entries = g.cq_entries;
    c->ntags = g.ntags;
    c->epoch = g.epoch;
    c->bell = client_bell;
    /* Start from the client's indices as they are (a fresh channel: zero). */
    c->sq_head = atomic_load_explicit(&c->hdr->sq_head, RELAXED);
    c->cq_tail = c->cq_published = c->cq_head = atomic_load_explicit(&c->hdr->cq_tail, RELAXED);
    atomic_store_explicit(&c->hdr->server_flags, 0, RELAXED);
    atomic_store_explicit(&c->hdr->server_epoch, c->epoch, RELAXED);
    atomic_store_explicit(&c->hdr->server_state, MICA_CHAN_STATE_ATTACHED, RELEASE);
    c->state = MICA_CHAN_CONN_ATTACHED;
    return MICA_E_OK;
}

void
mica_chan_detach(struct mica_chan_server *srv, unsigned id)
{
    if (id >= srv->cfg.nconn)
        return;
    struct mica_chan_conn *c = &srv->conn[id];
    if (c->state == MICA_CHAN_CONN_ATTACHED)
        atomic_store_explicit(&c->hdr->server_state, MICA_CHAN_STATE_CLOSED, RELEASE);
    if (c->own_caps) {
        /* Deleting our copies of its pages unmaps them (holes too); its endpoint goes
         * (revoked: the client's copy too, so a stale one cannot even be called), and so
         * does its doorbell. */
        for (unsigned p = 0; p < srv->cfg.max_pages; p++)
            mica_cnode_delete(MICA_SLOT_CNODE, page_slot(srv, id, p));
        mica_cnode_revoke(MICA_SLOT_CNODE, ep_slot(srv, id));
        mica_cnode_delete(MICA_SLOT_CNODE, ep_slot(srv, id));
        mica_cnode_delete(MICA_SLOT_CNODE, srv->cfg.first_slot + id);
    }
    uint32_t gen = c->gen;
    memset(c, 0, sizeof(*c));
    c->gen = gen;
}

/* Whether channel id's client is gone: its doorbell failed to ring or a page of it went (the
 * guard saw it), or our copy of its doorbell went with its task (the copy is a child of
 * the client's capability). */
static bool
client_gone(struct mica_chan_server *srv, unsigned id)
{
    struct mica_cap_info info = { 0 };
    return srv->conn[id].gone ||
           mica_cnode_identify(MICA_SLOT_CNODE, srv->cfg.first_slot + id, &info) ||
           info.type != MICA_OBJ_NOTIFICATION;
}

unsigned
mica_chan_server_sweep(struct mica_chan_server *srv)
{
    unsigned freed = 0;
    for (unsigned i = 0; i < srv->cfg.nconn; i++) {
        struct mica_chan_conn *c = &srv->conn[i];
        if (c->state != MICA_CHAN_CONN_FREE && c->own_caps && client_gone(srv, i)) {
            mica_chan_detach(srv, i);
            freed++;
        }
    }
    srv->swept += freed;
    return freed;
}

/* ---- serving ------------------------------------------------------------------------------ */

/* Room for completions not yet promised: a request is taken only when its completion has
 * a slot, so the completion ring can never overflow, whatever the client does. */
static uint32_t
cq_credit(struct mica_chan_conn *c)
{
    uint32_t head = atomic_load_explicit(&c->hdr->cq_head, ACQUIRE);
    if (c->cq_tail - head <= c->cq_entries)
        c->cq_head = head;
    else
        c->violations++;
    uint32_t used = c->cq_tail - c->cq_head + c->deferred;
    return used < c->cq_entries ? c->cq_entries - used : 0;
}

/* Requests published and not taken, at most a ring's worth. */
static uint32_t
sq_avail(struct mica_chan_conn *c)
{
    uint32_t n = atomic_load_explicit(&c->hdr->sq_tail, ACQUIRE) - c->sq_head;
    if (n > c->sq_entries) {
        c->violations++;
        n = c->sq_entries;
    }
    return n;
}

static inline __attribute__((always_inline)) void
put_completion(struct mica_chan_conn *c, uint32_t tag, long status, uint64_t res)
{
    struct mica_chan_cq_entry *e = &c->cq[c->cq_tail++ & (c->cq_entries - 1)];
    atomic_store_explicit(&e->w[0], mica_chan_cw0(tag, status), RELAXED);
    atomic_store_explicit(&e->w[1], res, RELAXED);
}

void
mica_chan_flush(struct mica_chan_conn *c)
{
    if (c->cq_tail == c->cq_published || c->state != MICA_CHAN_CONN_ATTACHED)
        return;
    c->cq_published = c->cq_tail;
    atomic_store_explicit(&c->hdr->cq_tail, c->cq_tail, RELEASE);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&c->hdr->client_flags, RELAXED) & MICA_CHAN_SLEEP_CQ) {
        c->bells++;
        if (mica_signal(c->bell))
            c->gone = true;                     /* its client died: the next sweep frees it */
    }
}

long
mica_chan_complete(struct mica_chan_conn *c, uint32_t tag, long status,
                   const uint64_t res[MICA_CHAN_RESULTS])
{
    if (tag >= c->ntags || !(c->busy[tag / 64] & 1UL << (tag % 64)))
        return MICA_E_BAD_STATE;
    c->busy[tag / 64] &= ~(1UL << (tag % 64));
    c->deferred--;
    put_completion(c, tag, status, res ? res[0] : 0);
    return MICA_E_OK;
}

/* A request other than a plain NOP (our copy): check it and run it; its status, or
 * MICA_CHAN_DEFERRED. */
static long
handle(struct mica_chan_server *srv, struct mica_chan_conn *c, struct mica_chan_req *req,
       uint64_t res[MICA_CHAN_RESULTS])
{
    unsigned op = req->opcode;
    mica_chan_handler *fn = NULL;
    if (op >= MICA_CHAN_OP_USER && op - MICA_CHAN_OP_USER < srv->cfg.nops)
        fn = srv->cfg.ops[op - MICA_CHAN_OP_USER];
    if (!fn && op != MICA_CHAN_OP_NOP)
        return MICA_E_BAD_METHOD;
    if (req->tag >= c->ntags)
        return MICA_E_INVALID_ARG;
    if (c->deferred && c->busy[req->tag / 64] & 1UL << (req->tag % 64))
        return MICA_E_BAD_STATE;                /* that tag is still in flight */
    if (req->len) {
        if (req->off > c->buf_size || req->len > c->buf_size - req->off)
            return MICA_E_RANGE;
        req->data = c->buf + req->off;
    }
    if (!fn) {
        res[0] = req->arg[0];
        return MICA_E_OK;
    }
    long status = fn(srv, c, req, res);
    if (status == MICA_CHAN_DEFERRED) {
        c->busy[req->tag / 64] |= 1UL << (req->tag % 64);
        c->deferred++;
    }
    return status;
}

/* Any request but a plain NOP, taken from ring slot e (already counted in c->sq_head):
 * check it, run it and complete it, unless its handler defers it. */
static __attribute__((noinline)) void
take_one(struct mica_chan_server *srv, struct mica_chan_conn *c, uint64_t w0, uint64_t w1,
         uint64_t a0, uint64_t a1)
{
    struct mica_chan_req req = {
        .opcode = mica_chan_w0_opcode(w0), .flags = mica_chan_w0_flags(w0),
        .tag = mica_chan_w0_tag(w0), .off = mica_chan_w1_off(w1), .len = mica_chan_w1_len(w1),
        .arg = { a0, a1 },
    };
    uint64_t res[MICA_CHAN_RESULTS] = { 0 };
    long status = handle(srv, c, &req, res);
    if (status == MICA_CHAN_DEFERRED)
        return;
    if (status)
        c->errors++;
    put_completion(c, req.tag, status, res[0]);
}

/*
 * Take n requests (the rings allow them) and complete each. Each entry is copied out once
 * and only the copy is used. The common case, a NOP with no buffer whose tag cannot be a
 * held one's, is answered in this loop; anything else goes through take_one().
 */
static unsigned
take(struct mica_chan_server *srv, struct mica_chan_conn *c, uint32_t n)
{
    struct mica_chan_sq_entry *sq = c->sq;
    struct mica_chan_cq_entry *cq = c->cq;
    uint32_t sq_mask = c->sq_entries - 1, cq_mask = c->cq_entries - 1, ntags = c->ntags;
    uint32_t head = c->sq_head, end = head + n, tail = c->cq_tail;
    while (head != end) {
        struct mica_chan_sq_entry *e = &sq[head++ & sq_mask];
        uint64_t w0 = atomic_load_explicit(&e->w[0], RELAXED);
        uint64_t w1 = atomic_load_explicit(&e->w[1], RELAXED);
        uint64_t a0 = atomic_load_explicit(&e->w[2], RELAXED);
        uint32_t tag = mica_chan_w0_tag(w0);
        if (!(w0 & 0xffff) && !(w1 >> 32) && tag < ntags && !c->deferred) {
            struct mica_chan_cq_entry *q = &cq[tail++ & cq_mask];
            atomic_store_explicit(&q->w[0], tag, RELAXED);     /* status 0 */
            atomic_store_explicit(&q->w[1], a0, RELAXED);
            continue;
        }
        c->sq_head = head;
        c->cq_tail = tail;
        take_one(srv, c, w0, w1, a0, atomic_load_explicit(&e->w[3], RELAXED));
        if (c->state != MICA_CHAN_CONN_ATTACHED)
            return n - (end - head);            /* a handler detached it */
        tail = c->cq_tail;                      /* it may have completed held ones too */
    }
    c->sq_head = head;
    c->cq_tail = tail;
    return n;
}

static unsigned
serve_conn(struct mica_chan_server *srv, struct mica_chan_conn *c)
{
    uint32_t n = sq_avail(c);
    if (!n)
        return 0;
    uint32_t credit = cq_credit(c);
    if (n > credit)
        n = credit;
    if (srv->cfg.batch && n > srv->cfg.batch)
        n = srv->cfg.batch;
    if (!n)
        return 0;
    n = take(srv, c, n);
    if (c->state != MICA_CHAN_CONN_ATTACHED)
        return n;
    c->taken += n;
    /* The slots we copied out are the client's again only after our reads (release). */
    atomic_store_explicit(&c->hdr->sq_head, c->sq_head, RELEASE);
    return n;
}

unsigned
mica_chan_serve_round(struct mica_chan_server *srv)
{
    unsigned total = 0;
    srv->rounds++;
    guard_again(srv);
    for (unsigned i = 0; i < srv->cfg.nconn; i++) {
        struct mica_chan_conn *c = &srv->conn[i];
        if (c->state != MICA_CHAN_CONN_ATTACHED)
            continue;
        total += serve_conn(srv, c);
        mica_chan_flush(c);
    }
    return total;
}

/*
 * Before sleeping: say so in every channel (SQ: wake me when you submit; CQ as well where
 * the completion ring stopped us), then, after a full fence, look again. A client
 * publishes its index, fences and then reads our flag: so either it sees the flag and
 * rings, or we see its index here (docs/channels.md). Returns false if there is work now.
 */
static bool
sleep_prepare(struct mica_chan_server *srv)
{
    unsigned want[MICA_CHAN_SERVER_MAX];
    for (unsigned i = 0; i < srv->cfg.nconn; i++) {
        struct mica_chan_conn *c = &srv->conn[i];
        if (c->state != MICA_CHAN_CONN_ATTACHED)
            continue;
        want[i] = MICA_CHAN_SLEEP_SQ | (sq_avail(c) && !cq_credit(c) ? MICA_CHAN_SLEEP_CQ : 0);
        atomic_store_explicit(&c->hdr->server_flags, want[i], RELAXED);
    }
    atomic_thread_fence(memory_order_seq_cst);
    for (unsigned i = 0; i < srv->cfg.nconn; i++) {
        struct mica_chan_conn *c = &srv->conn[i];
        if (c->state != MICA_CHAN_CONN_ATTACHED || !sq_avail(c))
            continue;
        if (cq_credit(c) || !(want[i] & MICA_CHAN_SLEEP_CQ))
            return false;
    }
    return true;
}

static void
sleep_end(struct mica_chan_server *srv)
{
    for (unsigned i = 0; i < srv->cfg.nconn; i++)
        if (srv->conn[i].state == MICA_CHAN_CONN_ATTACHED)
            atomic_store_explicit(&srv->conn[i].hdr->server_flags, 0, RELAXED);
}

/* ---- the control endpoint: channels opened by badge, pages by map items ------------------- */

/* The channel a message on a channel endpoint names, if its badge is current and it is in
 * one of the states in mask (1 << state). */
static struct mica_chan_conn *
owned(struct mica_chan_server *srv, const struct mica_msg *m, unsigned mask, unsigned *id)
{
    *id = (unsigned)(m->badge & 0xffff);
    if (!(m->badge & MICA_CHAN_BADGE_TAG) || *id >= srv->cfg.nconn)
        return NULL;
    struct mica_chan_conn *c = &srv->conn[*id];
    return mask & 1u << c->state && c->own_caps && c->owner == m->badge ? c : NULL;
}

/* OPEN(pages): reserve a free channel (sweeping if there is none), keep the client's
 * doorbell, mint the channel's endpoint. The reply carries the endpoint (and our doorbell). */
static long
open_channel(struct mica_chan_server *srv, struct mica_msg *m, unsigned *ncaps)
{
    uint64_t scratch = srv->cfg.first_slot + srv->cfg.nconn;
    struct mica_cap_info info = { 0 };
    if (mica_msg_length(m->info) < 1 || !m->mr[0] || m->mr[0] > srv->cfg.max_pages)
        return MICA_E_INVALID_ARG;
    if (m->badge & MICA_CHAN_BADGE_TAG)
        return MICA_E_INVALID_ARG;              /* a channel's endpoint opens nothing */
    if (!srv->cfg.max_pages)
        return MICA_E_NO_MEMORY;
    if (mica_msg_caps(m->info) != 1 || mica_cnode_identify(MICA_SLOT_CNODE, scratch, &info) ||
        info.type != MICA_OBJ_NOTIFICATION || !(info.rights & MICA_RIGHT_WRITE))
        return MICA_E_NO_CAP;
    unsigned id = 0;
    while (id < srv->cfg.nconn && srv->conn[id].state != MICA_CHAN_CONN_FREE)
        id++;
    if (id == srv->cfg.nconn && mica_chan_server_sweep(srv))
        return open_channel(srv, m, ncaps);
    if (id == srv->cfg.nconn)
        return MICA_E_NO_MEMORY;
    struct mica_chan_conn *c = &srv->conn[id];
    uint32_t gen = c->gen + 1;
    uint64_t badge = mica_chan_badge(id, gen);
    mica_cnode_delete(MICA_SLOT_CNODE, srv->cfg.first_slot + id);
    mica_cnode_delete(MICA_SLOT_CNODE, ep_slot(srv, id));
    long err = mica_cnode_mint(MICA_SLOT_CNODE, ep_slot(srv, id), MICA_SLOT_CNODE, srv->cfg.ep,
                               MICA_RIGHT_WRITE | MICA_RIGHT_GRANT, badge);
    if (!err)
        err = mica_cnode_move(MICA_SLOT_CNODE, srv->cfg.first_slot + id, MICA_SLOT_CNODE,
                              scratch);
    if (err) {
        mica_cnode_delete(MICA_SLOT_CNODE, ep_slot(srv, id));
        return err;
    }
    memset(c, 0, sizeof(*c));
    c->state = MICA_CHAN_CONN_OPEN;
    c->gen = gen;
    c->owner = badge;
    c->own_caps = true;
    c->want = (unsigned)m->mr[0];
    c->bell = srv->cfg.first_slot + id;
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    buf->caps[0] = ep_slot(srv, id);
    buf->caps[1] = srv->cfg.bell_for_clients;
    *ncaps = srv->cfg.bell_for_clients ? 2 : 1;
    m->mr[1] = id;
    return MICA_E_OK;
}

/* PAGES(first): the client's pages from first on, as map items in our receive window: each
 * moves to its place in the arena (unmap, move, map; the window must be set before a
 * receive, and whose pages come next is known only after it). The received info word does
 * not say whether they came as map items: a frame that did not is simply mapped. */
static long
take_pages(struct mica_chan_server *srv, struct mica_chan_conn *c, unsigned id,
           const struct mica_msg *m)
{
    unsigned got = mica_msg_caps(m->info);
    uint64_t first = m->mr[0];
    if (mica_msg_length(m->info) < 1 || !got || first != c->npages || first + got > c->want)
        return MICA_E_INVALID_ARG;
    uint64_t scratch = srv->cfg.first_slot + srv->cfg.nconn;
    for (unsigned i = 0; i < got; i++) {
        uint64_t slot = page_slot(srv, id, (unsigned)first + i);
        mica_frame_unmap(scratch + i);
        long err = mica_cnode_move(MICA_SLOT_CNODE, slot, MICA_SLOT_CNODE, scratch + i);
        if (!err && (err = mica_frame_map(slot, MICA_SLOT_VSPACE,
                                          page_va(srv, id, (unsigned)first + i), MICA_MAP_WRITE)))
            mica_cnode_delete(MICA_SLOT_CNODE, slot);
        if (err)
            return err;
        c->npages++;
    }
    return MICA_E_OK;
}

static long
control(struct mica_chan_server *srv, struct mica_msg *m, unsigned *ncaps)
{
    uint64_t label = mica_msg_label(m->info);
    const unsigned open = 1u << MICA_CHAN_CONN_OPEN, attached = 1u << MICA_CHAN_CONN_ATTACHED;
    struct mica_chan_conn *c;
    unsigned id;
    switch (label) {
    case MICA_CHAN_OPEN:
        return open_channel(srv, m, ncaps);
    case MICA_CHAN_PAGES:
        if (!(c = owned(srv, m, open, &id)))
            return MICA_E_NO_RIGHTS;
        return take_pages(srv, c, id, m);
    case MICA_CHAN_ATTACH:
        if (!(c = owned(srv, m, open, &id)))
            return MICA_E_NO_RIGHTS;
        if (c->npages != c->want)
            return MICA_E_INVALID_ARG;
        return mica_chan_attach(srv, id, (void *)page_va(srv, id, 0), (size_t)c->npages * PAGE,
                                c->bell);
    case MICA_CHAN_CLOSE:
        if (!(c = owned(srv, m, open | attached, &id)))
            return MICA_E_NO_RIGHTS;
        mica_chan_detach(srv, id);
        return MICA_E_OK;
    default:
        return MICA_E_BAD_METHOD;
    }
}

/* One endpoint message: set-up or the app's; fills in the reply. Returns whether to reply. */
static bool
message(struct mica_chan_server *srv, struct mica_msg *m)
{
    uint64_t label = mica_msg_label(m->info);
    bool reply = true;
    if (label >= MICA_CHAN_OPEN && label <= MICA_CHAN_CLOSE) {
        unsigned ncaps = 0;
        long err = control(srv, m, &ncaps);
        if (err)
            ncaps = 0;
        m->mr[0] = (uint64_t)err;
        m->info = mica_msginfo_caps(0, ncaps, 2);
    } else if (srv->cfg.on_msg) {
        reply = srv->cfg.on_msg(srv, m);
    } else {
        m->info = mica_msginfo(0, 1);
        m->mr[0] = MICA_E_BAD_METHOD;
    }
    return reply;
}

static void
clean_scratch(struct mica_chan_server *srv)
{
    uint64_t scratch = srv->cfg.first_slot + srv->cfg.nconn;
    for (unsigned i = 0; i < SCRATCH_SLOTS; i++)
        mica_cnode_delete(MICA_SLOT_CNODE, scratch + i);
}

/* The reply, and the next message: if no channel has work, we sleep in the reply-receive
 * itself (one kernel entry for the answer and the wait, as a synchronous server does);
 * otherwise it only polls. What handlers completed is published first. */
static long
reply_and_next(struct mica_chan_server *srv, struct mica_msg *m)
{
    for (unsigned i = 0; i < srv->cfg.nconn; i++)
        mica_chan_flush(&srv->conn[i]);
    if (!sleep_prepare(srv)) {
        sleep_end(srv);
        return mica_reply_recv(srv->cfg.ep, m, MICA_TIMEOUT_POLL);
    }
    srv->sleeps++;
    long err = mica_reply_recv(srv->cfg.ep, m, MICA_TIMEOUT_FOREVER);
    sleep_end(srv);
    return err;
}

/* Endpoint messages until none is waiting (or a doorbell or other notification comes);
 * a round of the channels every 64, so a busy endpoint never keeps us from them for long. */
static void
messages(struct mica_chan_server *srv, struct mica_msg *m, long err)
{
    for (unsigned n = 1; !err; n++) {
        guard_again(srv);
        bool had_caps = mica_msg_caps(m->info) != 0;
        if (mica_msg_label(m->info) == MICA_LABEL_NOTIFICATION) {
            if (had_caps)   /* a client's message with the label, not the kernel's */
                clean_scratch(srv);
            if (srv->cfg.on_notify)
                srv->cfg.on_notify(srv, m->badge);
            return;
        }
        bool reply = message(srv, m);
        if (had_caps)       /* whatever arrived and was not taken leaves the window: the
                             * kernel puts capabilities only into empty slots */
            clean_scratch(srv);
        if (n % 64 == 0)
            mica_chan_serve_round(srv);
        if (!reply)
            err = mica_recv(srv->cfg.ep, m, MICA_TIMEOUT_POLL);
        else
            err = reply_and_next(srv, m);
    }
}

void
mica_chan_server_run(struct mica_chan_server *srv)
{
    unsigned busy_rounds = 0;
    while (!srv->stop) {
        guard_again(srv);
        if (mica_chan_serve_round(srv)) {
            if (srv->cfg.ep && ++busy_rounds % 64 == 0) {      /* never starve set-up */
                struct mica_msg m = { 0 };
                messages(srv, &m, mica_recv(srv->cfg.ep, &m, MICA_TIMEOUT_POLL));
            }
            continue;
        }
        if (!sleep_prepare(srv)) {
            sleep_end(srv);
            continue;
        }
        srv->sleeps++;
        struct mica_msg m = { 0 };
        long err;
        if (srv->cfg.ep) {
            err = mica_recv(srv->cfg.ep, &m, MICA_TIMEOUT_FOREVER);
            sleep_end(srv);
            messages(srv, &m, err);
        } else {
            uint64_t bits;
            err = mica_wait(srv->cfg.ntfn, &bits, MICA_TIMEOUT_FOREVER);
            sleep_end(srv);
            if (!err && srv->cfg.on_notify)
                srv->cfg.on_notify(srv, bits);
        }
    }
}
