// SPDX-License-Identifier: MIT
/* The client side of channels: format the region, prepare and submit requests, reap and
 * wait for completions, fail what is in flight when the server dies, connect through map
 * items. The server's words in the region (sq_head, cq_tail, completions) are untrusted:
 * an insane index is ignored, a completion for a tag not in flight is dropped. */
#include <string.h>

#include "chan.h"

#define RELAXED memory_order_relaxed
#define ACQUIRE memory_order_acquire
#define RELEASE memory_order_release

size_t
mica_chan_region_size(unsigned sq_entries, unsigned cq_entries, size_t buf)
{
    size_t rings = MICA_CHAN_HEADER_SIZE + (size_t)sq_entries * MICA_CHAN_SQE_SIZE +
                   (size_t)cq_entries * MICA_CHAN_CQE_SIZE;
    return ((rings + 4095) & ~(size_t)4095) + buf;
}

static void
format(struct mica_chan *ch)
{
    struct mica_chan_header *h = ch->hdr;
    atomic_store_explicit(&h->sq_tail, 0, RELAXED);
    atomic_store_explicit(&h->sq_head, 0, RELAXED);
    atomic_store_explicit(&h->server_flags, 0, RELAXED);
    atomic_store_explicit(&h->cq_tail, 0, RELAXED);
    atomic_store_explicit(&h->server_state, MICA_CHAN_STATE_NEW, RELAXED);
    atomic_store_explicit(&h->cq_head, 0, RELAXED);
    atomic_store_explicit(&h->client_flags, 0, RELAXED);
    h->epoch = ch->epoch;
    ch->sq_tail = ch->sq_published = ch->sq_head = ch->cq_head = 0;
    ch->nfree = ch->ntags;
    ch->sq_limit = 0;               /* the first prep looks */
    for (uint32_t i = 0; i < ch->ntags; i++)
        ch->free_tags[i] = (uint16_t)(ch->ntags - 1 - i);     /* tag 0 comes out first */
    memset(ch->in_flight, 0, sizeof(ch->in_flight));
    ch->dead = 0;
    ch->fail_next = 0;
    atomic_thread_fence(memory_order_release);
}

long
mica_chan_client_init(struct mica_chan *ch, void *region, size_t size, unsigned sq_entries,
                      unsigned cq_entries, mica_cptr_t server_bell, mica_cptr_t bell)
{
    if (!mica_chan_ring_ok(sq_entries) || !mica_chan_ring_ok(cq_entries) ||
        (uintptr_t)region & 4095)
        return MICA_E_INVALID_ARG;
    size_t rings = mica_chan_region_size(sq_entries, cq_entries, 0);
    if (size <= rings || size > UINT32_MAX)
        return MICA_E_RANGE;
    memset(ch, 0, sizeof(*ch));
    struct mica_chan_header *h = region;
    memset(h, 0, sizeof(*h));
    h->magic = MICA_CHAN_MAGIC;
    h->version = MICA_CHAN_VERSION;
    h->sq_entries = sq_entries;
    h->cq_entries = cq_entries;
    h->sq_off = MICA_CHAN_HEADER_SIZE;
    h->cq_off = MICA_CHAN_HEADER_SIZE + sq_entries * MICA_CHAN_SQE_SIZE;
    h->buf_off = (uint32_t)rings;
    h->buf_size = (uint32_t)(size - rings);
    h->ntags = sq_entries + cq_entries;
    ch->hdr = h;
    ch->sq = (struct mica_chan_sq_entry *)((uint8_t *)region + h->sq_off);
    ch->cq = (struct mica_chan_cq_entry *)((uint8_t *)region + h->cq_off);
    ch->buf = (uint8_t *)region + h->buf_off;
    ch->buf_size = h->buf_size;
    ch->sq_mask = sq_entries - 1;
    ch->cq_mask = cq_entries - 1;
    ch->ntags = h->ntags;
    ch->epoch = 1;
    ch->server_bell = server_bell;
    ch->bell = bell;
    format(ch);
    return MICA_E_OK;
}

long
mica_chan_client_reset(struct mica_chan *ch, mica_cptr_t server_bell)
{
    if (mica_chan_in_flight(ch))
        return MICA_E_BAD_STATE;
    struct mica_chan_header *h = ch->hdr;
    /* Our private copy of the geometry is the truth: a dead server may have scribbled. */
    h->magic = MICA_CHAN_MAGIC;
    h->version = MICA_CHAN_VERSION;
    h->sq_entries = ch->sq_mask + 1;
    h->cq_entries = ch->cq_mask + 1;
    h->sq_off = (uint32_t)((uint8_t *)ch->sq - (uint8_t *)h);
    h->cq_off = (uint32_t)((uint8_t *)ch->cq - (uint8_t *)h);
    h->buf_off = (uint32_t)(ch->buf - (uint8_t *)h);
    h->buf_size = ch->buf_size;
    h->ntags = ch->ntags;
    ch->epoch++;
    ch->server_bell = server_bell;
    format(ch);
    return MICA_E_OK;
}

unsigned
mica_chan_in_flight(const struct mica_chan *ch)
{
    return ch->ntags - ch->nfree;
}

/* How far prep may go: to the end of the ring's room or of the free tags. */
static void
set_limit(struct mica_chan *ch)
{
    uint32_t room = ch->sq_mask + 1 - (ch->sq_tail - ch->sq_head);
    ch->sq_limit = ch->sq_tail + (room < ch->nfree ? room : ch->nfree);
}

long
mica_chan_make_room(struct mica_chan *ch)
{
    if (ch->dead)
        return ch->dead;
    /* See how far the server got: an sq_head behind the last one, or beyond what we
     * published, is insane and ignored. */
    uint32_t head = atomic_load_explicit(&ch->hdr->sq_head, ACQUIRE);
    uint32_t behind = ch->sq_published - head;
    if (behind <= ch->sq_mask + 1 && behind <= ch->sq_published - ch->sq_head)
        ch->sq_head = head;
    set_limit(ch);
    return ch->sq_tail == ch->sq_limit ? MICA_E_RANGE : MICA_E_OK;
}

unsigned
mica_chan_submit(struct mica_chan *ch)
{
    unsigned n = ch->sq_tail - ch->sq_published;
    if (!n)
        return 0;
    ch->sq_published = ch->sq_tail;
    /* The entries before the index (release); then the index before we read the server's
     * flag (a full fence: the other half of the server's flag-then-recheck). */
    atomic_store_explicit(&ch->hdr->sq_tail, ch->sq_tail, RELEASE);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&ch->hdr->server_flags, RELAXED) & MICA_CHAN_SLEEP_SQ) {
        ch->bells++;
        mica_signal(ch->server_bell);
    }
    return n;
}

/* The end of a dead channel: the next request still in flight, failed. */
static bool
reap_dead(struct mica_chan *ch, struct mica_chan_cqe *out)
{
    while (ch->fail_next < ch->ntags && !ch->in_flight[ch->fail_next])
        ch->fail_next++;
    if (ch->fail_next == ch->ntags)
        return false;
    uint32_t t = ch->fail_next++;
    memset(out, 0, sizeof(*out));
    out->tag = t;
    out->status = ch->dead;
    ch->in_flight[t] = 0;
    ch->free_tags[ch->nfree++] = (uint16_t)t;
    return true;
}

unsigned
mica_chan_reap(struct mica_chan *ch, struct mica_chan_cqe *out, unsigned max)
{
    struct mica_chan_header *h = ch->hdr;
    uint32_t head = ch->cq_head, avail = atomic_load_explicit(&h->cq_tail, ACQUIRE) - head;
    if (avail > ch->cq_mask + 1) {
        ch->bogus++;            /* an insane index: take nothing */
        avail = 0;
    }
    if (avail > max)
        avail = max;
    /* Locals, so that the stores below need not make the compiler read ch again. */
    struct mica_chan_cq_entry *cq = ch->cq;
    uint32_t mask = ch->cq_mask, ntags = ch->ntags, nfree = ch->nfree, end = head + avail;
    unsigned n = 0;
    for (; head != end; head++) {
        struct mica_chan_cq_entry *e = &cq[head & mask];
        uint64_t w0 = atomic_load_explicit(&e->w[0], RELAXED);
        uint32_t t = mica_chan_cw0_tag(w0);
        if (t >= ntags || !ch->in_flight[t]) {
            ch->bogus++;
            continue;
        }
        ch->in_flight[t] = 0;
        ch->free_tags[nfree++] = (uint16_t)t;
        out[n].tag = t;
        out[n].status = mica_chan_cw0_status(w0);
        out[n].res[0] = atomic_load_explicit(&e->w[1], RELAXED);
        n++;
    }
    ch->nfree = nfree;
    if (avail) {
        ch->cq_head = head;
        atomic_store_explicit(&h->cq_head, head, RELEASE);
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load_explicit(&h->server_flags, RELAXED) & MICA_CHAN_SLEEP_CQ) {
            ch->bells++;
            mica_signal(ch->server_bell);
        }
        if (!ch->dead)
            set_limit(ch);      /* tags came back */
    }
    while (ch->dead && n < max && reap_dead(ch, &out[n]))
        n++;
    return n;
}

static bool
reapable(struct mica_chan *ch)
{
    uint32_t avail = atomic_load_explicit(&ch->hdr->cq_tail, ACQUIRE) - ch->cq_head;
    return (avail && avail <= ch->cq_mask + 1) || (ch->dead && mica_chan_in_flight(ch));
}

long
mica_chan_wait(struct mica_chan *ch, uint64_t timeout)
{
    struct mica_chan_header *h = ch->hdr;
    for (;;) {
        if (reapable(ch))
            return MICA_E_OK;
        if (!mica_chan_in_flight(ch))
            return MICA_E_BAD_STATE;
        mica_chan_submit(ch);       /* never sleep on requests the server has not seen */
        atomic_store_explicit(&h->client_flags, MICA_CHAN_SLEEP_CQ, RELAXED);
        atomic_thread_fence(memory_order_seq_cst);
        if (reapable(ch)) {
            atomic_store_explicit(&h->client_flags, 0, RELAXED);
            return MICA_E_OK;
        }
        uint64_t bits;
        long err = mica_wait(ch->bell, &bits, timeout);
        atomic_store_explicit(&h->client_flags, 0, RELAXED);
        if (err)
            return err;
    }
}

void
mica_chan_fail_pending(struct mica_chan *ch, long err)
{
    ch->dead = err ? err : MICA_E_DELETED;
    ch->fail_next = 0;
    ch->sq_tail = ch->sq_published;     /* prepared, never published: fail them too */
    ch->sq_limit = ch->sq_tail;         /* so prep asks, and fails with dead */
}

/* ---- connecting through the server's endpoint ------------------------------------------- */

/* A call whose reply's MR0 is a mica_error; MR1 in *out. */
static long
control(mica_cptr_t ep, struct mica_msg *m, uint64_t *out)
{
    long err = mica_call(ep, m, MICA_TIMEOUT_FOREVER);
    if (!err && mica_msg_length(m->info) >= 1)
        err = (long)m->mr[0];
    else if (!err)
        err = MICA_E_INVALID_ARG;
    if (out)
        *out = m->mr[1];
    return err;
}

/* OPEN: our doorbell goes, the channel's endpoint (and the server's doorbell) come back. */
static long
open_channel(mica_cptr_t server_ep, const struct mica_chan_place *at, uint64_t *id)
{
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    struct mica_msg m = { .info = mica_msginfo_caps(MICA_CHAN_OPEN, 1, 1), .mr = { at->pages } };
    uint64_t cnode = buf->recv_cnode, slot = buf->recv_slot;
    buf->caps[0] = at->bell_for_server;
    buf->recv_cnode = MICA_SLOT_CNODE;
    buf->recv_slot = at->first_slot;
    long err = control(server_ep, &m, id);
    buf->recv_cnode = cnode;                    /* the caller's receive settings again */
    buf->recv_slot = slot;
    unsigned want = at->server_bell ? 1 : 2;
    if (!err && mica_msg_caps(m.info) < want)
        err = MICA_E_NO_CAP;
    return err;
}

/* PAGES: the region's frames, as map items, three to a message. */
static long
give_pages(mica_cptr_t chan_ep, const struct mica_chan_place *at)
{
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    long err = MICA_E_OK;
    for (unsigned p = 0; !err && p < at->pages; p += MICA_MSG_MAX_CAPS) {
        unsigned n = at->pages - p < MICA_MSG_MAX_CAPS ? at->pages - p : MICA_MSG_MAX_CAPS;
        for (unsigned i = 0; i < n; i++)
            buf->caps[i] = at->frames[p + i];
        buf->map_attrs = MICA_MAP_WRITE;
        struct mica_msg m = { .info = mica_msginfo_caps(MICA_CHAN_PAGES, n, 1) | MICA_MSG_MAP,
                              .mr = { p } };
        err = control(chan_ep, &m, NULL);
    }
    return err;
}

long
mica_chan_connect(struct mica_chan *ch, mica_cptr_t server_ep,
                  const struct mica_chan_place *at, uint64_t *id)
{
    if (!at->pages || (uintptr_t)at->region & 4095)
        return MICA_E_INVALID_ARG;
    if (ch->hdr && mica_chan_in_flight(ch))
        return MICA_E_BAD_STATE;
    for (unsigned i = 0; i < 2; i++)                  /* an earlier connection's */
        mica_cnode_delete(MICA_SLOT_CNODE, at->first_slot + i);
    mica_cptr_t chan_ep = mica_chan_endpoint(at);
    mica_cptr_t server_bell = at->server_bell ? at->server_bell : at->first_slot + 1;
    long err = open_channel(server_ep, at, id);
    if (err) {
        mica_cnode_delete(MICA_SLOT_CNODE, chan_ep);
        return err;
    }
    err = give_pages(chan_ep, at);
    if (!err && ch->hdr)
        err = mica_chan_client_reset(ch, server_bell);
    else if (!err)
        err = mica_chan_client_init(ch, at->region, at->pages * 4096UL, at->sq_entries,
                                    at->cq_entries, server_bell, at->bell);
    if (!err) {
        struct mica_msg m = { .info = mica_msginfo(MICA_CHAN_ATTACH, 0) };
        err = control(chan_ep, &m, NULL);
    }
    if (err)
        mica_chan_close(chan_ep);
    return err;
}

long
mica_chan_close(mica_cptr_t chan_ep)
{
    struct mica_msg m = { .info = mica_msginfo(MICA_CHAN_CLOSE, 0) };
    return control(chan_ep, &m, NULL);
}
