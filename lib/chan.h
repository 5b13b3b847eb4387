/* SPDX-License-Identifier: MIT */
/* Channels: asynchronous, batched requests between one client and one server through a
 * shared region (lib/chan_abi.h) with notifications as doorbells. The client submits
 * requests and reaps completions in completion order, matched by tag; the server takes
 * batches, checks every entry and answers them. docs/channels.md has the protocol, the
 * memory ordering and an example. */
#ifndef MICA_CHAN_H
#define MICA_CHAN_H

#include <stdbool.h>

#include "chan_abi.h"
#include "mica.h"

/* ---- both sides ----------------------------------------------------------------------- */

/* Bytes of a region for rings of sq and cq entries and a buffer area of buf bytes (the
 * buffer area starts page-aligned). */
size_t mica_chan_region_size(unsigned sq_entries, unsigned cq_entries, size_t buf);

/* ---- the client ----------------------------------------------------------------------- */

/* A request to prepare: its buffer is (off, len) in the buffer area (len 0: none). */
struct mica_chan_sqe {
    unsigned opcode, flags;
    uint32_t off, len;
    uint64_t arg[MICA_CHAN_ARGS];
};

/* A completion as the client reaps it: the tag of its request, a mica_error, the result. */
struct mica_chan_cqe {
    uint32_t tag;
    long status;
    uint64_t res[MICA_CHAN_RESULTS];
};

/* The client's private view of a channel. Only the client library writes it. */
struct mica_chan {
    struct mica_chan_header *hdr;
    struct mica_chan_sq_entry *sq;
    struct mica_chan_cq_entry *cq;
    uint8_t *buf;
    uint32_t buf_size, sq_mask, cq_mask, ntags, epoch;
    uint32_t sq_tail;           /* requests prepared; published up to sq_published */
    uint32_t sq_published;
    uint32_t sq_head;           /* the server's last believable sq_head */
    uint32_t sq_limit;          /* prep may run sq_tail up to here without a look: the
                                 * ring's room or the free tags, whichever ends first */
    uint32_t cq_head;           /* completions reaped */
    uint32_t nfree;             /* tags on free_tags[] */
    uint32_t fail_next;         /* fail_pending: the next tag to end with dead */
    long dead;                  /* 0, or what requests in flight end with (DELETED) */
    mica_cptr_t server_bell;    /* signal: wakes the server */
    mica_cptr_t bell;           /* the notification the server signals; we wait on it */
    uint64_t bogus;             /* completions dropped: unknown tag or insane index */
    uint64_t bells;             /* doorbells rung */
    uint16_t free_tags[MICA_CHAN_MAX_TAGS];
    uint8_t in_flight[MICA_CHAN_MAX_TAGS];
};

/* Format the region (size bytes, mapped writable, not yet shared with a server) as a
 * channel of sq_entries requests and cq_entries completions (powers of two, at most
 * MICA_CHAN_MAX_ENTRIES), the rest the buffer area; tags 0 .. sq+cq-1. server_bell: a
 * capability to signal the server's notification; bell: our notification to wait on.
 * INVALID_ARG for bad sizes, RANGE if the region is too small. */
long mica_chan_client_init(struct mica_chan *ch, void *region, size_t size, unsigned sq_entries,
                           unsigned cq_entries, mica_cptr_t server_bell, mica_cptr_t bell);

long mica_chan_make_room(struct mica_chan *ch);    /* for mica_chan_prep */

/* Queue a request (not visible to the server until mica_chan_submit); its tag in *tag.
 * RANGE: the submission ring is full or every tag is in flight (reap first);
 * the channel's dead error (DELETED) once mica_chan_fail_pending has been called.
 * Inline, with one compare before the work: the caller's request is often constant in
 * part, and a call would cost as much as the rest. */
static inline long
mica_chan_prep(struct mica_chan *ch, const struct mica_chan_sqe *req, uint32_t *tag)
{
    long err;
    if (ch->sq_tail == ch->sq_limit && (err = mica_chan_make_room(ch)))
        return err;
    uint32_t t = ch->free_tags[--ch->nfree];
    ch->in_flight[t] = 1;
    struct mica_chan_sq_entry *e = &ch->sq[ch->sq_tail++ & ch->sq_mask];
    atomic_store_explicit(&e->w[0], mica_chan_w0(req->opcode, req->flags, t),
                          memory_order_relaxed);
    atomic_store_explicit(&e->w[1], mica_chan_w1(req->off, req->len), memory_order_relaxed);
    atomic_store_explicit(&e->w[2], req->arg[0], memory_order_relaxed);
    atomic_store_explicit(&e->w[3], req->arg[1], memory_order_relaxed);
    *tag = t;
    return MICA_E_OK;
}

/* Publish the prepared requests, and ring the server's doorbell if it said it sleeps.
 * Returns how many were published. */
unsigned mica_chan_submit(struct mica_chan *ch);

/* Take up to max completions, in the order the server completed them, into out[]; never
 * blocks. Completions whose tag is not in flight are dropped (counted in ch->bogus).
 * After mica_chan_fail_pending, the requests still in flight come out with its error. */
unsigned mica_chan_reap(struct mica_chan *ch, struct mica_chan_cqe *out, unsigned max);

/* Wait until a completion can be reaped: OK; TIMEOUT (timeout as for mica_wait);
 * BAD_STATE if nothing is in flight (it would wait for ever). */
long mica_chan_wait(struct mica_chan *ch, uint64_t timeout);

/* Requests submitted (or prepared) and not yet reaped. */
unsigned mica_chan_in_flight(const struct mica_chan *ch);

/* The server is known to be dead (its supervisor said so, or a call to it failed with
 * DELETED): every request in flight ends with err when reaped, and prep fails with err. */
void mica_chan_fail_pending(struct mica_chan *ch, long err);

/* Reconnecting: format the region again, epoch one more, nothing in flight (reap the
 * failures first: BAD_STATE otherwise), for a new server (server_bell its doorbell). */
long mica_chan_client_reset(struct mica_chan *ch, mica_cptr_t server_bell);

/* The buffer area: off bytes in. The client owns its contents; the server reads and
 * writes only what requests name. */
static inline void *
mica_chan_buf(const struct mica_chan *ch, uint32_t off)
{
    return ch->buf + off;
}

/* Where a channel comes to a client that opens it at a server (mica_chan_connect). */
struct mica_chan_place {
    void *region;               /* page-aligned, our frames mapped there, writable */
    const mica_cptr_t *frames;  /* pages frames (with the grant right), handed over as map
                                 * items: the server maps copies of them */
    unsigned pages;             /* the region's size (at most the server's max_pages) */
    unsigned sq_entries, cq_entries;
    mica_cptr_t bell;           /* our notification: we wait on it */
    mica_cptr_t bell_for_server;    /* a capability to it the server may signal */
    mica_cptr_t server_bell;    /* to signal the server; 0: it comes in OPEN's reply */
    uint64_t first_slot;        /* 2 slots of ours: the channel's endpoint, the server's
                                 * doorbell */
};

/* Open a channel at the server whose public endpoint is server_ep (with the grant right),
 * in our region at->region: the server gets its pages as map items; we format it
 * (mica_chan_client_init for a zeroed ch, otherwise mica_chan_client_reset: reconnecting,
 * nothing may be in flight) and the server attaches. Whatever at->first_slot's slots held
 * (an earlier connection) is deleted first. Our channel's number in *id; the channel's
 * endpoint, for mica_chan_close, in mica_chan_endpoint(at). Returns a mica_error (the
 * server's, or the IPC's; NO_CAP if the server's doorbell or endpoint did not come); a
 * channel opened on the way is closed. */
long mica_chan_connect(struct mica_chan *ch, mica_cptr_t server_ep,
                       const struct mica_chan_place *at, uint64_t *id);

static inline mica_cptr_t
mica_chan_endpoint(const struct mica_chan_place *at)
{
    return at->first_slot;
}

/* Tell the server to stop serving the channel and free it (chan_ep: its endpoint): it
 * unmaps its copies of our pages; the region stays ours. */
long mica_chan_close(mica_cptr_t chan_ep);

/* ---- the server ----------------------------------------------------------------------- */

/* A request as a handler sees it: a private copy, checked. data is the buffer (off, len),
 * inside the buffer area, or NULL when len is 0. The client may change the buffer under
 * the handler: copy out whatever you check before you use it. */
struct mica_chan_req {
    unsigned opcode, flags;
    uint32_t tag, off, len;
    void *data;
    uint64_t arg[MICA_CHAN_ARGS];
};

struct mica_chan_server;
struct mica_chan_conn;

/* A handler returns a mica_error, the status of the completion, with its results in res[]
 * (zeroed before the call); or MICA_CHAN_DEFERRED to complete the request later with
 * mica_chan_complete (the tag stays in flight until then). */
#define MICA_CHAN_DEFERRED  (-1L)
typedef long mica_chan_handler(struct mica_chan_server *srv, struct mica_chan_conn *c,
                               const struct mica_chan_req *req, uint64_t res[MICA_CHAN_RESULTS]);

/* The server's view of one channel. Only the server library writes it (user: the app). */
struct mica_chan_conn {
    struct mica_chan_header *hdr;   /* shared: never trusted */
    struct mica_chan_sq_entry *sq;
    struct mica_chan_cq_entry *cq;
    uint8_t *buf;
    uint32_t buf_size, sq_entries, cq_entries, ntags, epoch;
    uint32_t sq_head;           /* requests taken */
    uint32_t cq_tail;           /* completions written; published up to cq_published */
    uint32_t cq_published;
    uint32_t cq_head;           /* the client's last believable cq_head */
    uint32_t deferred;          /* requests taken, not yet completed */
    unsigned state;             /* MICA_CHAN_CONN_* */
    mica_cptr_t bell;           /* signal: wakes the client */
    uint64_t taken, errors, violations, bells;
    uint64_t busy[MICA_CHAN_MAX_TAGS / 64];     /* tags deferred */
    void *user;
    /* Set-up, from owner on: what attach keeps (it starts the serving state above afresh). */
    uint64_t owner;             /* its endpoint's badge (set up through the endpoint) */
    uint32_t gen;               /* OPENs of this channel so far: kept when it is freed */
    unsigned npages, want;      /* the region's pages received, and promised at OPEN */
    bool own_caps;              /* set up through the endpoint: its bell, endpoint and the
                                 * client's copies of its pages are ours to delete */
    bool gone;                  /* its client's doorbell failed, or its pages went (a hole
                                 * was mapped): free it (sweep) */
};
#define MICA_CHAN_CONN_FREE     0
#define MICA_CHAN_CONN_OPEN     1   /* connect under way */
#define MICA_CHAN_CONN_ATTACHED 2

#define MICA_CHAN_SERVER_MAX    8

/*
 * A server's setup. Channels opened through the endpoint (mica_chan_connect) are the
 * client's memory, received as map items and mapped in the arena, a range of the server's
 * address space whose page tables exist: channel i at arena + i * max_pages pages, then 3
 * pages of receive window. Capabilities go to slots from first_slot on: nconn client
 * doorbells, 3 receive slots, nconn * max_pages pages, nconn channel endpoints and 3 for
 * the guard (MICA_CHAN_SERVER_SLOTS in all). The guard, a second thread made from
 * untyped, takes our thread's faults: a client's pages may go at any moment, and an access
 * to one that went then finds a page of zeros instead of stopping the server (chan_server.c).
 * Channels set up by someone else (mica_chan_attach) need none of that.
 */
struct mica_chan_server_config {
    mica_chan_handler *const *ops;  /* ops[opcode - MICA_CHAN_OP_USER] */
    unsigned nops;
    mica_cptr_t ep;                 /* control endpoint, or 0: doorbells only */
    mica_cptr_t ntfn;               /* our doorbell; bound to this thread if ep */
    unsigned nconn;                 /* at most MICA_CHAN_SERVER_MAX */
    uintptr_t arena;
    unsigned max_pages;
    uint64_t first_slot;
    unsigned batch;                 /* most requests per channel per round (0: a ring) */
    /* endpoint messages that are not channel set-up: fill in the reply, return true to
     * send it (false: no reply, e.g. for a send) */
    bool (*on_msg)(struct mica_chan_server *srv, struct mica_msg *m);
    /* the bits of ntfn that woke us (an interrupt's, say, when a driver's one notification
     * is also its doorbell); a doorbell's need nothing: a round follows. May be NULL. */
    void (*on_notify)(struct mica_chan_server *srv, uint64_t bits);
    /* a capability to our doorbell (write right, badged as it should ring) that the reply
     * to ATTACH carries to the client (which called with the grant right); 0: none, the
     * client got it from whoever introduced the two */
    mica_cptr_t bell_for_clients;
    /* untyped memory for the guard (a thread, an endpoint, a page), which takes the faults
     * of the task's first thread (MICA_SLOT_TCB: the server must run on it); 0: no guard,
     * and a client whose pages go takes the server down with it */
    mica_cptr_t untyped;
};
#define MICA_CHAN_SERVER_SLOTS(nconn, max_pages) \
    ((nconn) * 2 + MICA_MSG_MAX_CAPS + (nconn) * (max_pages) + 3)

struct mica_chan_server {
    struct mica_chan_server_config cfg;
    struct mica_chan_conn conn[MICA_CHAN_SERVER_MAX];
    bool stop;                      /* a handler sets it: mica_chan_server_run returns */
    uint64_t rounds, sleeps;
    uint64_t swept;                 /* channels of dead clients freed */
    uint64_t holes;                 /* faults on a client's page that went, mended */
    volatile bool guard_off;        /* the guard handed a fault on: take it back */
    struct mica_ipc_buffer *ipc;    /* our thread's */
    struct mica_thread guard;
};

long mica_chan_server_init(struct mica_chan_server *srv,
                           const struct mica_chan_server_config *cfg);

/* Serve the channel in region (size bytes, mapped, formatted by its client) as channel id,
 * signalling client_bell. Copies and checks the header's geometry: INVALID_ARG if it is not
 * a sane channel of at most size bytes, BAD_STATE if id is in use. */
long mica_chan_attach(struct mica_chan_server *srv, unsigned id, void *region, size_t size,
                      mica_cptr_t client_bell);

/* Stop serving channel id (its client closed it or died) and free it: for a channel opened
 * through the endpoint, the client's copies of its pages, its endpoint and the client's
 * doorbell are revoked (the frames stay ours, for the next client); deferred requests are
 * forgotten. */
void mica_chan_detach(struct mica_chan_server *srv, unsigned id);

/* Free the channels whose clients died: those opened through the endpoint whose client
 * doorbell is gone from our CNode (a task's objects go when it ends) or failed to ring.
 * OPEN sweeps when no channel is free; a server may call it whenever it likes. Returns
 * how many it freed. */
unsigned mica_chan_server_sweep(struct mica_chan_server *srv);

/* Complete a deferred request of c: BAD_STATE if tag is not deferred. Published at the end
 * of the round (or by mica_chan_flush). */
long mica_chan_complete(struct mica_chan_conn *c, uint32_t tag, long status,
                        const uint64_t res[MICA_CHAN_RESULTS]);

/* Publish c's completions and ring its client's doorbell if it sleeps. */
void mica_chan_flush(struct mica_chan_conn *c);

/* One round: from each attached channel take what its rings allow (at most cfg.batch),
 * check, handle and complete each request, publish. Returns the requests taken. */
unsigned mica_chan_serve_round(struct mica_chan_server *srv);

/* Serve for ever (until a handler sets srv->stop): rounds while there is work, then sleep
 * on the doorbell (and the control endpoint) with the flag protocol. */
void mica_chan_server_run(struct mica_chan_server *srv);

#endif
