// SPDX-License-Identifier: MIT
/*
 * A console client's channel: its region and doorbells, writes in the region's buffers,
 * and the console's death. The console's channels die with it; init unregisters its name
 * when it ends it, and names then signals our watch notification, which every wait polls
 * (a wait sleeps at most WAIT_SLICE at a time, so it notices even while the console, gone,
 * will never ring): what was in flight fails with DELETED and the client reconnects to the
 * restarted console with the region formatted again.
 */
#include <string.h>

#include "console_chan.h"
#include "services.h"

#include <mica/task.h>

#define CNODE       MICA_SLOT_CNODE
#define WAIT_SLICE  (10 * 1000000UL)    /* ns */

/* Our slots, from first_slot on. */
enum {
    S_PUBLIC,       /* the console's endpoint, from names */
    S_BELL,         /* our doorbell: we wait on it */
    S_BELL_COPY,    /* a copy the console may signal (write right) */
    S_WATCH,        /* names signals it when the console's name goes */
    S_WATCH_COPY,   /* the copy names holds (each watch takes one) */
    S_CHAN,         /* mica_chan_connect's: the channel's endpoint, the console's doorbell */
    S_FRAME = S_CHAN + 2,                       /* the region's frames, handed over */
    S_MAPPED = S_FRAME + CONSOLE_CHAN_REGION,   /* copies of them, mapped here */
    S_TABLE = S_MAPPED + CONSOLE_CHAN_REGION,   /* 3 page tables */
    S_END = S_TABLE + 3,
};
_Static_assert(S_END <= CONSOLE_CHAN_SLOTS, "console channel slots");
_Static_assert(CONSOLE_CHAN_BUFFERS * CONSOLE_CHAN_SLOT_BYTES <= 4096, "one page of buffers");

static uint64_t
slot(const struct console_chan *cc, unsigned s)
{
    return cc->first_slot + s;
}

static long
make(mica_cptr_t untyped, uint64_t dest, unsigned type, unsigned bits)
{
    return mica_untyped_retype(untyped, type, bits, CNODE, dest, 1);
}

long
console_chan_open(struct console_chan *cc, mica_cptr_t untyped, uint64_t first_slot,
                  uintptr_t va)
{
    memset(cc, 0, sizeof(*cc));
    cc->first_slot = first_slot;
    cc->region = (void *)va;
    long err = make(untyped, slot(cc, S_BELL), MICA_OBJ_NOTIFICATION, 0);
    if (!err)
        err = make(untyped, slot(cc, S_WATCH), MICA_OBJ_NOTIFICATION, 0);
    if (!err)
        err = mica_cnode_copy(CNODE, slot(cc, S_BELL_COPY), CNODE, slot(cc, S_BELL),
                              MICA_RIGHT_WRITE);
    for (unsigned level = 0; level < 3 && !err; level++)
        if (!(err = make(untyped, slot(cc, S_TABLE + level), MICA_OBJ_PAGE_TABLE, 0)))
            err = mica_page_table_map(slot(cc, S_TABLE + level), MICA_SLOT_VSPACE, va);
    for (unsigned p = 0; p < CONSOLE_CHAN_REGION && !err; p++) {
        err = make(untyped, slot(cc, S_FRAME + p), MICA_OBJ_FRAME, 12);
        if (!err)
            err = mica_cnode_copy(CNODE, slot(cc, S_MAPPED + p), CNODE, slot(cc, S_FRAME + p),
                                  MICA_RIGHTS_ALL);
        if (!err)
            err = mica_frame_map(slot(cc, S_MAPPED + p), MICA_SLOT_VSPACE, va + p * 4096UL,
                                 MICA_MAP_WRITE);
    }
    if (err)
        return err;
    return console_chan_connect(cc);
}

long
console_chan_connect(struct console_chan *cc)
{
    if (mica_chan_in_flight(&cc->ch))
        return MICA_E_BAD_STATE;
    uint64_t bits;
    mica_wait(slot(cc, S_WATCH), &bits, MICA_TIMEOUT_POLL);     /* old news */
    mica_cnode_delete(CNODE, slot(cc, S_PUBLIC));
    long err = mica_names_lookup(MICA_TASK_SLOT_NAMES, "console", slot(cc, S_PUBLIC));
    if (!err) {
        /* Watch first: a console that goes after this is noticed. */
        mica_cnode_delete(CNODE, slot(cc, S_WATCH_COPY));
        err = mica_cnode_copy(CNODE, slot(cc, S_WATCH_COPY), CNODE, slot(cc, S_WATCH),
                              MICA_RIGHT_WRITE);
        struct mica_msg m = { .info = mica_msginfo_caps(NAMES_WATCH, 1, MICA_NAME_WORDS) };
        mica_name_pack("console", m.mr);
        mica_ipc_buffer()->caps[0] = slot(cc, S_WATCH_COPY);
        if (!err)
            err = mica_call(MICA_TASK_SLOT_NAMES, &m, MICA_TIMEOUT_FOREVER);
        if (!err)
            err = (long)mica_msg_label(m.info);
    }
    if (!err) {
        /* Our pages, handed to the console; its doorbell from OPEN's reply. */
        mica_cptr_t frames[CONSOLE_CHAN_REGION];
        for (unsigned p = 0; p < CONSOLE_CHAN_REGION; p++)
            frames[p] = slot(cc, S_FRAME + p);
        const struct mica_chan_place at = {
            .region = cc->region, .frames = frames, .pages = CONSOLE_CHAN_REGION,
            .sq_entries = CONSOLE_CHAN_SQ, .cq_entries = CONSOLE_CHAN_CQ,
            .bell = slot(cc, S_BELL), .bell_for_server = slot(cc, S_BELL_COPY),
            .first_slot = slot(cc, S_CHAN),
        };
        err = mica_chan_connect(&cc->ch, slot(cc, S_PUBLIC), &at, &cc->id);
    }
    if (err) {
        /* Whatever console we reached is gone or refused: prep fails until we connect. */
        if (cc->ch.hdr)
            mica_chan_fail_pending(&cc->ch, MICA_E_DELETED);
        cc->connects++;
        return err;
    }
    cc->connects++;
    cc->nfree = CONSOLE_CHAN_BUFFERS;
    for (unsigned i = 0; i < CONSOLE_CHAN_BUFFERS; i++)
        cc->free_buf[i] = (uint8_t)(CONSOLE_CHAN_BUFFERS - 1 - i);
    return MICA_E_OK;
}

long
console_chan_close(struct console_chan *cc)
{
    long err = mica_chan_close(slot(cc, S_CHAN));
    mica_chan_fail_pending(&cc->ch, MICA_E_DELETED);
    return err;
}

long
console_chan_write(struct console_chan *cc, const void *bytes, size_t n, uint32_t *tag)
{
    if (!n || n > CONSOLE_CHAN_SLOT_BYTES)
        return MICA_E_INVALID_ARG;
    if (cc->ch.dead || !cc->ch.hdr)
        return MICA_E_DELETED;
    if (!cc->nfree)
        return cc->ch.dead ? cc->ch.dead : MICA_E_RANGE;
    unsigned b = cc->free_buf[cc->nfree - 1];
    uint32_t off = b * CONSOLE_CHAN_SLOT_BYTES;
    memcpy(mica_chan_buf(&cc->ch, off), bytes, n);
    struct mica_chan_sqe req = { .opcode = CONSOLE_CHAN_WRITE, .off = off, .len = (uint32_t)n };
    long err = mica_chan_prep(&cc->ch, &req, tag);
    if (err)
        return err;
    cc->nfree--;
    cc->buf_of_tag[*tag] = (uint8_t)b;
    return MICA_E_OK;
}

unsigned
console_chan_reap(struct console_chan *cc, struct mica_chan_cqe *out, unsigned max)
{
    unsigned n = mica_chan_reap(&cc->ch, out, max);
    for (unsigned i = 0; i < n; i++)
        cc->free_buf[cc->nfree++] = cc->buf_of_tag[out[i].tag];
    return n;
}

static bool
console_gone(struct console_chan *cc)
{
    uint64_t bits;
    return !mica_wait(slot(cc, S_WATCH), &bits, MICA_TIMEOUT_POLL);
}

long
console_chan_wait(struct console_chan *cc)
{
    for (;;) {
        if (!cc->ch.hdr)
            return MICA_E_DELETED;              /* never connected */
        if (cc->ch.dead)
            return mica_chan_in_flight(&cc->ch) ? MICA_E_OK : MICA_E_DELETED;
        long err = mica_chan_wait(&cc->ch, WAIT_SLICE);
        if (err != MICA_E_TIMEOUT)
            return err;                         /* OK, or BAD_STATE: nothing in flight */
        if (console_gone(cc)) {
            mica_chan_fail_pending(&cc->ch, MICA_E_DELETED);
            return MICA_E_DELETED;
        }
    }
}
