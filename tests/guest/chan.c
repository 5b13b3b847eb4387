// SPDX-License-Identifier: MIT
/* Channels (lib/chan.h), tested from the root task, whose threads are the clients, with
 * tests/guest/chan_server.c as boot modules 1 (the server) and 2 (its replacement): set-up
 * of our pages by map items, channel endpoints that only their owner holds, batches, the
 * buffer area, tags under a shuffled completion order, every malformed entry, both rings
 * full, a client that never reaps, a fuzzing client scribbling over its whole region beside
 * a well-behaved one, then taking its pages away under the server (whose guard maps a hole
 * there), its channel freed for the next client, and a server killed with requests in
 * flight, then a reconnection to its replacement. */
#include <string.h>

#include "chan_proto.h"
#include "test.h"

#define CNODE       MICA_SLOT_CNODE
#define VSPACE      MICA_SLOT_VSPACE
#define FOREVER     MICA_TIMEOUT_FOREVER
#define MS          1000000UL
#define REGIONS     0x600000000000UL    /* our channels' regions, 64 KiB apart */
#define PAGES       3                   /* rings of 16 + 8 (one page), 8 KiB of buffer */
#define SQ          16
#define CQ          8
#define HELD        (CQ - 1)

static const struct mica_bootinfo *bi;

/* A server task: its control endpoint and doorbell, as we hold them. */
struct server {
    mica_cptr_t ep, ntfn, admin;
};
static struct server srv[3];

/* A client's channel: where it is, its frames, its public endpoint, its number. */
struct client {
    struct mica_chan ch;
    struct mica_chan_place at;
    mica_cptr_t frames[PAGES];
    mica_cptr_t public;
    uint64_t id;
};
static struct client A, B, F, M, N, X;

/* Server i's capabilities, and it runs unless it is the replacement (2), which serves the
 * first one's endpoint, as init restarts a server on the endpoint it keeps for it. */
static bool
start_server(unsigned i)
{
    const struct mica_boot_module *mod = &bi->module[i];
    srv[i].ep = i == 2 ? srv[1].ep : test_make(MICA_OBJ_ENDPOINT, 0);
    srv[i].ntfn = test_make(MICA_OBJ_NOTIFICATION, 0);
    srv[i].admin = test_mint(srv[i].ep, MICA_RIGHT_WRITE, SRV_ADMIN);
    long err = mica_cnode_copy(mod->cnode, SRV_EP, CNODE, srv[i].ep, MICA_RIGHTS_ALL);
    if (!err)
        err = mica_cnode_copy(mod->cnode, SRV_NTFN, CNODE, srv[i].ntfn, MICA_RIGHT_READ);
    if (!err)       /* for its guard */
        err = mica_cnode_move(mod->cnode, SRV_UNTYPED, CNODE, test_make(MICA_OBJ_UNTYPED, 16));
    if (!err)
        err = test_map_tables(mod->vspace, SRV_ARENA);
    if (!err && i != 2)
        err = mica_tcb_resume(mod->tcb);
    return !err;
}

/* Open a channel at server s through its endpoint (a badge of its own), in our pages at
 * slot n's place (made and mapped the first time), formatted by the library. */
static long
open_channel(struct client *cl, unsigned n, unsigned s, uint64_t badge)
{
    if (!cl->at.bell) {
        cl->at = (struct mica_chan_place){
            .region = (void *)(REGIONS + n * 0x10000UL), .frames = cl->frames, .pages = PAGES,
            .sq_entries = SQ, .cq_entries = CQ, .bell = test_make(MICA_OBJ_NOTIFICATION, 0),
            .first_slot = test_next_slot,
        };
        test_next_slot += 2;
        for (unsigned p = 0; p < PAGES; p++) {
            cl->frames[p] = test_make(MICA_OBJ_FRAME, 12);
            mica_frame_map(test_copy(cl->frames[p], MICA_RIGHTS_ALL), VSPACE,
                           (uint64_t)cl->at.region + p * 4096UL, MICA_MAP_WRITE);
        }
    }
    cl->at.bell_for_server = test_copy(cl->at.bell, MICA_RIGHT_WRITE);
    cl->at.server_bell = test_mint(srv[s].ntfn, MICA_RIGHT_WRITE, badge);
    cl->public = test_mint(srv[s].ep, MICA_RIGHT_WRITE | MICA_RIGHT_GRANT, badge);
    return mica_chan_connect(&cl->ch, cl->public, &cl->at, &cl->id);
}

/* A call on ep with label and one argument: the IPC's error, or the server's. */
static long
control(mica_cptr_t ep, uint64_t label, uint64_t arg)
{
    struct mica_msg m = { .info = mica_msginfo(label, 1), .mr = { arg } };
    long err = mica_call(ep, &m, 1000 * MS);
    return err ? err : (long)m.mr[0];
}

static long
submit1(struct client *cl, unsigned op, uint64_t arg, uint32_t off, uint32_t len,
        uint32_t *tag)
{
    struct mica_chan_sqe req = { .opcode = op, .off = off, .len = len, .arg = { arg } };
    long err = mica_chan_prep(&cl->ch, &req, tag);
    mica_chan_submit(&cl->ch);
    return err;
}

/* Reap exactly n completions (waiting at most a second for each). */
static unsigned
reap_n(struct client *cl, struct mica_chan_cqe *out, unsigned n)
{
    unsigned got = 0;
    while (got < n) {
        unsigned k = mica_chan_reap(&cl->ch, out + got, n - got);
        got += k;
        if (!k && mica_chan_wait(&cl->ch, 1000 * MS))
            break;
    }
    return got;
}

static uint64_t
stats(unsigned s, uint64_t id, unsigned word)
{
    struct mica_msg m = { .info = mica_msginfo(CTL_STATS, 1), .mr = { id } };
    mica_call(srv[s].admin, &m, 1000 * MS);
    return word < MICA_MSG_REG_WORDS ? m.mr[word] : mica_ipc_buffer()->mr[word];
}

/* ---- the well-behaved path ---------------------------------------------------------------- */

static void
basics(void)
{
    long err = open_channel(&A, 0, 1, 1);
    EXPECT_ERR("chan_connect_through_map_items", err, MICA_E_OK);
    EXPECT("chan_server_attached_the_channel",
           atomic_load(&A.ch.hdr->server_state) == MICA_CHAN_STATE_ATTACHED &&
           stats(1, A.id, 0) == MICA_CHAN_CONN_ATTACHED,
           "state %u", atomic_load(&A.ch.hdr->server_state));

    uint32_t tag;
    struct mica_chan_cqe c[SQ + CQ];
    err = submit1(&A, T_ECHO, 41, 0, 0, &tag);
    unsigned got = reap_n(&A, c, 1);
    EXPECT("chan_echo_roundtrip",
           !err && got == 1 && c[0].tag == tag && !c[0].status && c[0].res[0] == 124,
           "err %s, got %u, status %s, res %lu", mica_errname(err), got,
           mica_errname(c[0].status), (unsigned long)c[0].res[0]);

    err = submit1(&A, MICA_CHAN_OP_NOP, 7, 0, 0, &tag);
    got = reap_n(&A, c, 1);
    EXPECT("chan_nop_returns_its_arguments", got == 1 && !c[0].status && c[0].res[0] == 7,
           "got %u", got);

    /* A batch of SQ echoes, one doorbell. */
    uint32_t tags[SQ];
    bool ok = true;
    for (unsigned i = 0; i < SQ; i++) {
        struct mica_chan_sqe req = { .opcode = T_ECHO, .arg = { 100 + i } };
        ok = ok && !mica_chan_prep(&A.ch, &req, &tags[i]);
    }
    mica_chan_submit(&A.ch);
    got = reap_n(&A, c, SQ);
    for (unsigned i = 0; ok && i < got; i++) {
        unsigned k = 0;
        while (k < SQ && tags[k] != c[i].tag)
            k++;
        ok = k < SQ && !c[i].status && c[i].res[0] == (100 + k) * 3 + 1;
    }
    EXPECT("chan_batch_completes_every_request", ok && got == SQ, "got %u", got);

    /* As many as the completion ring holds: one doorbell each way at most. (More would
     * stop the server at a full completion ring, and our reaping would ring again.) */
    uint64_t bells = A.ch.bells, server_bells = stats(1, A.id, 4);
    for (unsigned i = 0; i < CQ; i++) {
        struct mica_chan_sqe req = { .opcode = T_ECHO, .arg = { i } };
        mica_chan_prep(&A.ch, &req, &tags[i]);
    }
    mica_chan_submit(&A.ch);
    got = reap_n(&A, c, CQ);
    EXPECT("chan_batch_rings_each_doorbell_once",
           got == CQ && A.ch.bells - bells <= 1 && stats(1, A.id, 4) - server_bells <= 1,
           "got %u, %lu doorbells to the server, %lu back", got,
           (unsigned long)(A.ch.bells - bells), (unsigned long)(stats(1, A.id, 4) - server_bells));

    /* The buffer area: fill a range at the server, sum it back. */
    uint8_t *buf = mica_chan_buf(&A.ch, 0);
    memset(buf, 0, 512);
    submit1(&A, T_FILL, 3, 100, 200, &tag);
    got = reap_n(&A, c, 1);
    bool filled = got == 1 && !c[0].status && c[0].res[0] == 200 && buf[99] == 0 &&
                  buf[100] == 3 && buf[299] == 3 && buf[300] == 0;
    submit1(&A, T_SUM, 0, 0, 512, &tag);
    got = reap_n(&A, c, 1);
    EXPECT("chan_buffer_area_by_offset_and_length",
           filled && got == 1 && !c[0].status && c[0].res[0] == 600, "sum %lu",
           (unsigned long)c[0].res[0]);
}

/* Deferred requests completed in a shuffled order: each completion finds its request.
 * (The server holds at most a completion ring's worth: it takes a request only when its
 * completion has a slot, so 7 held and the release fill our 8.) */
static void
random_order(void)
{
    bool ok = true, shuffled = false;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        uint32_t tags[HELD], rtag = 0;
        for (unsigned i = 0; i < HELD; i++) {
            struct mica_chan_sqe req = { .opcode = T_DEFER, .arg = { seed * 1000 + i } };
            ok = ok && !mica_chan_prep(&A.ch, &req, &tags[i]);
        }
        ok = ok && !submit1(&A, T_RELEASE, seed, 0, 0, &rtag);
        struct mica_chan_cqe c[HELD + 1];
        unsigned got = reap_n(&A, c, HELD + 1);
        ok = ok && got == HELD + 1;
        for (unsigned i = 0; ok && i < got; i++) {
            if (c[i].tag == rtag) {
                ok = !c[i].status && c[i].res[0] == HELD;
                continue;
            }
            unsigned k = 0;
            while (k < HELD && tags[k] != c[i].tag)
                k++;
            ok = k < HELD && !c[i].status && c[i].res[0] == (seed * 1000 + k) * 3 + 1;
            if (i < HELD && c[i].tag != tags[i])
                shuffled = true;
        }
    }
    EXPECT("chan_tags_match_under_random_completion_order", ok && shuffled,
           "ok %d, shuffled %d", ok, shuffled);
    EXPECT("chan_nothing_left_in_flight", mica_chan_in_flight(&A.ch) == 0, "%u in flight",
           mica_chan_in_flight(&A.ch));
}

/* ---- malformed entries, written straight into the ring ----------------------------------- */

static uint32_t raw_tail, raw_head;

static void
raw_put(struct client *cl, uint64_t w0, uint64_t w1, uint64_t arg0)
{
    struct mica_chan_sq_entry *e = &cl->ch.sq[raw_tail++ & (SQ - 1)];
    atomic_store_explicit(&e->w[0], w0, memory_order_relaxed);
    atomic_store_explicit(&e->w[1], w1, memory_order_relaxed);
    atomic_store_explicit(&e->w[2], arg0, memory_order_relaxed);
}

static void
raw_publish(struct client *cl)
{
    atomic_store_explicit(&cl->ch.hdr->sq_tail, raw_tail, memory_order_release);
    mica_signal(cl->ch.server_bell);
}

/* The next raw completion (waiting for it): its w0 and status. */
static bool
raw_next(struct client *cl, uint64_t *w0, long *status)
{
    for (int tries = 0; tries < 100; tries++) {
        uint32_t tail = atomic_load_explicit(&cl->ch.hdr->cq_tail, memory_order_acquire);
        if (tail != raw_head) {
            struct mica_chan_cq_entry *e = &cl->ch.cq[raw_head++ & (CQ - 1)];
            *w0 = atomic_load_explicit(&e->w[0], memory_order_relaxed);
            *status = mica_chan_cw0_status(*w0);
            atomic_store_explicit(&cl->ch.hdr->cq_head, raw_head, memory_order_release);
            return true;
        }
        uint64_t bits;
        mica_wait(cl->at.bell, &bits, 10 * MS);
    }
    return false;
}

static void
expect_raw(struct client *cl, const char *name, unsigned op, uint32_t tag, uint32_t off,
           uint32_t len, long want)
{
    raw_put(cl, mica_chan_w0(op, 0, tag), mica_chan_w1(off, len), 5);
    raw_publish(cl);
    uint64_t w0 = 0;
    long status = -1;
    bool got = raw_next(cl, &w0, &status);
    EXPECT(name, got && status == want && mica_chan_cw0_tag(w0) == tag,
           "got %d, status %s (want %s), tag %u (want %u)", got, mica_errname(status),
           mica_errname(want), mica_chan_cw0_tag(w0), tag);
}

static void
malformed(void)
{
    long err = open_channel(&M, 1, 1, 4);
    uint32_t bsz = M.ch.buf_size, nt = M.ch.ntags;
    EXPECT_ERR("chan_raw_client_connects", err, MICA_E_OK);
    expect_raw(&M, "chan_unknown_opcode_gets_an_error", 999, 1, 0, 0, MICA_E_BAD_METHOD);
    expect_raw(&M, "chan_reserved_opcode_gets_an_error", 5, 1, 0, 0, MICA_E_BAD_METHOD);
    expect_raw(&M, "chan_tag_out_of_range_gets_an_error", T_ECHO, nt, 0, 0, MICA_E_INVALID_ARG);
    expect_raw(&M, "chan_offset_outside_buffer_gets_an_error", T_SUM, 2, bsz + 1, 1,
               MICA_E_RANGE);
    expect_raw(&M, "chan_length_outside_buffer_gets_an_error", T_SUM, 2, 0, bsz + 1,
               MICA_E_RANGE);
    expect_raw(&M, "chan_range_past_the_end_gets_an_error", T_SUM, 2, bsz - 4, 8,
               MICA_E_RANGE);
    expect_raw(&M, "chan_wrapping_range_gets_an_error", T_FILL, 2, 0xffffffffu, 2,
               MICA_E_RANGE);
    expect_raw(&M, "chan_range_at_the_very_end_is_fine", T_SUM, 2, bsz - 8, 8, MICA_E_OK);
    /* A tag the server still holds, used again: refused; the first one still completes. */
    raw_put(&M, mica_chan_w0(T_DEFER, 0, 3), 0, 9);
    raw_publish(&M);
    expect_raw(&M, "chan_tag_reused_while_in_flight_gets_an_error", T_ECHO, 3, 0, 0,
               MICA_E_BAD_STATE);
    raw_put(&M, mica_chan_w0(T_RELEASE, 0, 4), 0, 1);
    raw_publish(&M);
    uint64_t w0a = 0, w0b = 0;
    long sa = -1, sb = -1;
    bool got = raw_next(&M, &w0a, &sa) && raw_next(&M, &w0b, &sb);
    EXPECT("chan_held_tag_still_completes",
           got && !sa && !sb && mica_chan_cw0_tag(w0a) == 3 && mica_chan_cw0_tag(w0b) == 4,
           "tags %u %u", mica_chan_cw0_tag(w0a), mica_chan_cw0_tag(w0b));

    /* Indices out of all reason: the server takes at most a ring, counts a violation. */
    uint64_t before = stats(1, M.id, 2);
    atomic_store_explicit(&M.ch.hdr->sq_tail, raw_tail + 100000, memory_order_release);
    atomic_store_explicit(&M.ch.hdr->cq_head, raw_head + 77777, memory_order_release);
    mica_signal(M.ch.server_bell);
    mica_yield();
    uint32_t tag;
    struct mica_chan_cqe c;
    submit1(&A, T_ECHO, 1, 0, 0, &tag);
    EXPECT("chan_insane_indices_are_survived",
           reap_n(&A, &c, 1) == 1 && c.res[0] == 4 && stats(1, M.id, 2) > before,
           "violations %lu -> %lu", (unsigned long)before, (unsigned long)stats(1, M.id, 2));
    EXPECT("chan_errors_are_counted", stats(1, M.id, 1) >= 8, "errors %lu",
           (unsigned long)stats(1, M.id, 1));
}

/* ---- full rings ---------------------------------------------------------------------------- */

static void
full_rings(void)
{
    long err = open_channel(&B, 2, 1, 2);
    struct mica_chan_sqe req = { .opcode = T_ECHO };
    uint32_t tag;
    unsigned n = 0;
    while (n < SQ + 1 && !(err = mica_chan_prep(&B.ch, &req, &tag)))
        n++;
    EXPECT("chan_submission_ring_full_refuses_more", n == SQ && err == MICA_E_RANGE,
           "prepared %u, then %s", n, mica_errname(err));
    mica_chan_submit(&B.ch);

    /* Never reaped: the server fills the completion ring and stops taking B's requests. */
    for (unsigned i = 0; i < 10; i++)
        mica_yield();
    while (n < SQ + CQ && !mica_chan_prep(&B.ch, &req, &tag))
        n++;
    mica_chan_submit(&B.ch);
    for (unsigned i = 0; i < 10; i++)
        mica_yield();
    uint32_t taken = atomic_load(&B.ch.hdr->sq_head), done = atomic_load(&B.ch.hdr->cq_tail);
    EXPECT("chan_full_completion_ring_stops_taking", taken == CQ && done == CQ,
           "took %u, completed %u of %u", taken, done, n);
    EXPECT("chan_no_tag_free_refuses_more", n == SQ + CQ && mica_chan_prep(&B.ch, &req, &tag),
           "prepared %u", n);

    /* Meanwhile channel A is served as ever. */
    bool ok = true;
    for (unsigned i = 0; ok && i < 50; i++) {
        struct mica_chan_cqe c;
        ok = !submit1(&A, T_ECHO, i, 0, 0, &tag) && reap_n(&A, &c, 1) == 1 &&
             c.res[0] == i * 3 + 1;
    }
    EXPECT("chan_client_that_never_reaps_blocks_only_itself", ok, "A failed");

    /* Reaping frees the ring: the server (asleep on B's full ring) is woken and finishes. */
    struct mica_chan_cqe c[SQ + CQ];
    unsigned got = reap_n(&B, c, SQ + CQ);
    EXPECT("chan_reaping_resumes_a_full_channel", got == SQ + CQ, "got %u of %u", got, SQ + CQ);
}

/* ---- a fuzzing client beside a well-behaved one ------------------------------------------- */

static volatile bool fuzz_stop;
static volatile uint64_t fuzz_writes;
static struct mica_thread fuzzer;

static void
fuzz(uint64_t unused)
{
    (void)unused;
    uint64_t x = 0x9e3779b97f4a7c15UL;
    uint8_t *r = F.at.region;
    while (!fuzz_stop) {
        for (unsigned i = 0; i < 4000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            unsigned where = (unsigned)(x >> 40) % (PAGES * 4096 / 8);
            if ((x & 7) == 0)       /* often the header: indices, flags, geometry */
                where %= MICA_CHAN_HEADER_SIZE / 8;
            else if ((x & 7) < 4)   /* the rings */
                where %= 4096 / 8;
            ((volatile uint64_t *)r)[where] = (x & 0x30) ? x : (x >> 48) & 0x3f;
        }
        fuzz_writes += 4000;
        mica_signal(F.ch.server_bell);
        if (x & 1)
            mica_yield();
    }
    for (;;)
        mica_yield();
}

static void
fuzzing(void)
{
    long err = open_channel(&F, 3, 1, 3);
    if (!err)
        err = mica_thread_create(&fuzzer, test_untyped, test_slot(), fuzz, 0, MICA_BOOT_PRIO);
    if (!err)
        err = mica_tcb_resume(fuzzer.tcb);
    EXPECT_ERR("chan_fuzzing_client_started", err, MICA_E_OK);

    /* Ours: echoes and sums over the buffer, every result checked. */
    uint8_t *buf = mica_chan_buf(&A.ch, 0);
    for (unsigned i = 0; i < 4096; i++)
        buf[i] = (uint8_t)(i * 7);
    unsigned bad = 0, done = 0;
    for (unsigned round = 0; round < 150; round++) {
        uint32_t tags[SQ];
        uint64_t want[SQ];
        for (unsigned i = 0; i < SQ; i++) {
            struct mica_chan_sqe req = { .opcode = T_ECHO, .arg = { round * 100 + i } };
            want[i] = (round * 100 + i) * 3 + 1;
            if (i % 4 == 3) {
                uint32_t off = (round * 37 + i * 101) % 3000, len = 1 + (i * 53) % 1000;
                req = (struct mica_chan_sqe){ .opcode = T_SUM, .off = off, .len = len };
                want[i] = 0;
                for (uint32_t k = off; k < off + len; k++)
                    want[i] += (uint8_t)(k * 7);
            }
            mica_chan_prep(&A.ch, &req, &tags[i]);
        }
        mica_chan_submit(&A.ch);
        struct mica_chan_cqe c[SQ];
        unsigned got = reap_n(&A, c, SQ);
        for (unsigned i = 0; i < got; i++) {
            unsigned k = 0;
            while (k < SQ && tags[k] != c[i].tag)
                k++;
            if (k == SQ || c[i].status || c[i].res[0] != want[k])
                bad++;
        }
        bad += SQ - got;
        done += got;
    }
    fuzz_stop = true;
    mica_tcb_suspend(fuzzer.tcb);
    EXPECT("chan_well_behaved_client_unharmed_by_fuzzer", bad == 0 && done == 150 * SQ,
           "%u bad of %u, %lu fuzz writes", bad, done, (unsigned long)fuzz_writes);
    EXPECT("chan_fuzzer_scribbled", fuzz_writes > 10000, "only %lu writes",
           (unsigned long)fuzz_writes);
    mica_printf("chan: fuzzer wrote %lu words; server counted %lu errors, %lu violations\n",
                (unsigned long)fuzz_writes, (unsigned long)stats(1, F.id, 1),
                (unsigned long)stats(1, F.id, 2));

    /* The fuzzer's pages go, as when its task ends (the server's copies are children of
     * ours): its doorbell makes the server look at the channel, the guard maps a hole where
     * the pages were, and the server goes on serving A. Every channel is in use, so the next
     * OPEN sweeps and gets the fuzzer's. */
    uint64_t holes = stats(1, A.id, 5);
    for (unsigned p = 0; p < PAGES; p++)
        mica_cnode_revoke(CNODE, F.frames[p]);
    mica_signal(F.ch.server_bell);
    uint32_t tag;
    struct mica_chan_cqe c;
    bool served = !submit1(&A, T_ECHO, 4, 0, 0, &tag) && reap_n(&A, &c, 1) == 1 && c.res[0] == 13;
    EXPECT("chan_server_survives_a_clients_pages_going",
           served && stats(1, A.id, 5) > holes && stats(1, F.id, 0) == MICA_CHAN_CONN_ATTACHED,
           "served %d, holes %lu (were %lu)", served, (unsigned long)stats(1, A.id, 5),
           (unsigned long)holes);
    uint64_t old = F.id;
    err = open_channel(&N, 4, 1, 5);
    EXPECT("chan_dead_clients_channel_is_freed", !err && N.id == old,
           "err %s, id %lu (was %lu)", mica_errname(err), (unsigned long)N.id,
           (unsigned long)old);
    EXPECT("chan_freed_channel_is_reused",
           !err && !submit1(&N, T_ECHO, 2, 0, 0, &tag) && reap_n(&N, &c, 1) == 1 && c.res[0] == 7,
           "err %s", mica_errname(err));
}

/* ---- who may set up and close a channel ----------------------------------------------------- */

static void
ownership(void)
{
    /* Every channel is in use (A, M, B, N), and their clients live: OPEN has none. */
    long err = open_channel(&X, 5, 1, 6);
    EXPECT_ERR("chan_open_with_every_channel_in_use_fails", err, MICA_E_NO_MEMORY);

    /* Set-up and CLOSE come only on a channel's own endpoint: the public one (the old
     * protocol, naming another's channel) is refused, and the channel still serves. */
    EXPECT_ERR("chan_close_of_anothers_channel_is_refused",
               control(B.public, MICA_CHAN_CLOSE, A.id), MICA_E_NO_RIGHTS);
    EXPECT_ERR("chan_attach_of_anothers_channel_is_refused",
               control(B.public, MICA_CHAN_ATTACH, A.id), MICA_E_NO_RIGHTS);
    EXPECT_ERR("chan_pages_for_anothers_channel_are_refused",
               control(B.public, MICA_CHAN_PAGES, 0), MICA_E_NO_RIGHTS);
    EXPECT_ERR("chan_attach_twice_is_refused",
               control(mica_chan_endpoint(&B.at), MICA_CHAN_ATTACH, 0), MICA_E_NO_RIGHTS);
    EXPECT_ERR("chan_open_on_a_channel_endpoint_is_refused",
               control(mica_chan_endpoint(&B.at), MICA_CHAN_OPEN, 1), MICA_E_INVALID_ARG);
    uint32_t tag;
    struct mica_chan_cqe c;
    EXPECT("chan_channel_unharmed_by_anothers_attempts",
           stats(1, A.id, 0) == MICA_CHAN_CONN_ATTACHED && !submit1(&A, T_ECHO, 3, 0, 0, &tag) &&
           reap_n(&A, &c, 1) == 1 && c.res[0] == 10, "A state %lu",
           (unsigned long)stats(1, A.id, 0));

    /* N closes its channel: the server lets go of its pages (they stay N's) and revokes its
     * endpoint, so a copy kept of it is stale and refused; X gets the channel. */
    mica_cptr_t kept = test_copy(mica_chan_endpoint(&N.at), MICA_RIGHTS_ALL);
    err = mica_chan_close(mica_chan_endpoint(&N.at));
    uint64_t pa = 1;
    unsigned attrs;
    mica_vspace_query(VSPACE, (uint64_t)N.at.region, &pa, &attrs);
    EXPECT("chan_close_frees_the_channel",
           !err && pa != 0 && stats(1, N.id, 0) == MICA_CHAN_CONN_FREE,
           "err %s, page %#lx", mica_errname(err), (unsigned long)pa);
    long again = control(kept, MICA_CHAN_CLOSE, 0);
    err = open_channel(&X, 5, 1, 6);
    long stale = control(kept, MICA_CHAN_ATTACH, 0);
    EXPECT("chan_stale_channel_endpoint_is_refused",
           again != MICA_E_OK && stale != MICA_E_OK && !err && X.id == N.id &&
           stats(1, X.id, 0) == MICA_CHAN_CONN_ATTACHED,
           "close again %s, attach with it %s, reopen %s", mica_errname(again),
           mica_errname(stale), mica_errname(err));

    /* A message that looks like a notification and brings a capability: the server empties
     * its receive slots all the same (the kernel fills only empty ones), and set-up goes
     * on working. */
    mica_ipc_buffer()->caps[0] = X.at.bell;
    struct mica_msg spoof = { .info = mica_msginfo_caps(MICA_LABEL_NOTIFICATION, 1, 0) };
    long sent = mica_send(B.public, &spoof, 1000 * MS);
    long closed = mica_chan_close(mica_chan_endpoint(&X.at));
    err = open_channel(&X, 5, 1, 6);
    EXPECT("chan_setup_survives_a_fake_notification_with_a_capability",
           !sent && !closed && !err, "send %s, close %s, reopen %s", mica_errname(sent),
           mica_errname(closed), mica_errname(err));
}

/* ---- the server dies with requests in flight ----------------------------------------------- */

static void
server_death(void)
{
    uint32_t tag;
    unsigned n = 0;
    for (unsigned i = 0; i < HELD; i++)
        n += !submit1(&A, T_DEFER, i, 0, 0, &tag);
    for (int i = 0; i < 4; i++)
        mica_yield();                   /* it takes them and holds them */
    mica_cptr_t kept = test_copy(mica_chan_endpoint(&A.at), MICA_RIGHTS_ALL);
    mica_tcb_suspend(bi->module[1].tcb);
    mica_tcb_resume(bi->module[2].tcb);     /* on the same endpoint */
    for (unsigned i = 0; i < 3; i++)    /* and these it never sees */
        n += !submit1(&A, T_ECHO, i, 0, 0, &tag);
    long err = mica_chan_wait(&A.ch, 30 * MS);
    EXPECT_ERR("chan_dead_server_answers_nothing", err, MICA_E_TIMEOUT);

    mica_chan_fail_pending(&A.ch, MICA_E_DELETED);   /* the supervisor's news, in future */
    struct mica_chan_cqe c[SQ + CQ];
    unsigned got = reap_n(&A, c, n), dead = 0;
    for (unsigned i = 0; i < got; i++)
        dead += c[i].status == MICA_E_DELETED;
    EXPECT("chan_pending_requests_fail_when_server_dies",
           n == HELD + 3 && got == n && dead == n && mica_chan_in_flight(&A.ch) == 0,
           "submitted %u, reaped %u, %u failed", n, got, dead);
    EXPECT_ERR("chan_dead_channel_refuses_requests", submit1(&A, T_ECHO, 1, 0, 0, &tag),
               MICA_E_DELETED);

    err = open_channel(&A, 0, 2, 1);
    got = 0;
    if (!err && !submit1(&A, T_ECHO, 8, 0, 0, &tag))
        got = reap_n(&A, c, 1);
    EXPECT("chan_client_reconnects_to_a_new_server",
           !err && got == 1 && !c[0].status && c[0].res[0] == 25 && A.ch.epoch == 2 &&
           atomic_load(&A.ch.hdr->server_epoch) == 2,
           "err %s, got %u, epoch %u", mica_errname(err), got, A.ch.epoch);
    /* The endpoint of A's first channel, kept from the first server, names channel 0 and
     * a generation of that server's: the new one, on the same endpoint, refuses it. */
    long stale = control(kept, MICA_CHAN_CLOSE, 0);
    EXPECT("chan_earlier_servers_channel_endpoint_is_refused",
           stale == MICA_E_NO_RIGHTS && stats(2, A.id, 0) == MICA_CHAN_CONN_ATTACHED,
           "close with it: %s, A's state %lu", mica_errname(stale),
           (unsigned long)stats(2, A.id, 0));
}

int
main(void)
{
    bi = mica_bootinfo;
    if (!bi || bi->module_count < 3 || !bi->module[2].tcb) {
        mica_printf("TEST FAIL chan_needs_two_servers: boot chan.elf chan_server.elf "
                    "chan_server.elf\n");
        return 1;
    }
    test_root_setup();
    bool ok = start_server(1) && start_server(2) && !test_map_tables(VSPACE, REGIONS);
    EXPECT("chan_servers_started", ok, "set-up failed");
    if (!ok)
        return 1;
    basics();
    random_order();
    malformed();
    full_rings();
    fuzzing();
    ownership();
    server_death();
    return test_failures;
}
