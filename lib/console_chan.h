/* SPDX-License-Identifier: MIT */
/* Writing to the console through a channel (lib/proto.h, docs/channels.md): a client's
 * region (its own pages, handed to the console), doorbells and reconnection after a
 * console restart, on the channel library. */
#ifndef MICA_CONSOLE_CHAN_H
#define MICA_CONSOLE_CHAN_H

#include "chan.h"

#define CONSOLE_CHAN_SQ         32
#define CONSOLE_CHAN_CQ         32
#define CONSOLE_CHAN_REGION     3           /* pages: rings of 32 + 32, 4 KiB of buffers */
#define CONSOLE_CHAN_SLOT_BYTES 128         /* the most bytes of one write */
#define CONSOLE_CHAN_BUFFERS    32          /* writes in flight at most */
#define CONSOLE_CHAN_SLOTS      16          /* capability slots it takes from first_slot */

struct console_chan {
    struct mica_chan ch;
    uint64_t first_slot;
    void *region;
    uint64_t id;                            /* our channel at the console */
    unsigned connects;                      /* 1 after the first connect, +1 each reconnect */
    unsigned nfree;
    uint8_t free_buf[CONSOLE_CHAN_BUFFERS];
    uint8_t buf_of_tag[MICA_CHAN_MAX_TAGS];
};

/* Make the channel's objects from untyped into our slots first_slot.. (CONSOLE_CHAN_SLOTS
 * of them, empty): notifications, the region's frames mapped at va with page tables there
 * (va page-aligned, in a 512 GiB slot of the address space nothing else uses), and
 * connect (console_chan_connect). */
long console_chan_open(struct console_chan *cc, mica_cptr_t untyped, uint64_t first_slot,
                       uintptr_t va);

/* (Re)connect to whichever console names has now, and watch its name: NO_CAP while it has
 * none (restarting), the console's or the IPC's error otherwise; try again later. Nothing
 * may be in flight (reap the failures first: BAD_STATE). */
long console_chan_connect(struct console_chan *cc);

/* Give the channel back to the console (it lets go of our pages); prep fails with DELETED
 * until console_chan_connect. */
long console_chan_close(struct console_chan *cc);

/* Queue a write of n bytes (1..CONSOLE_CHAN_SLOT_BYTES), copied into a buffer of the
 * region; mica_chan_submit(&cc->ch) publishes it. RANGE: every buffer or tag is in flight
 * (reap first); DELETED: the console went (reap, then reconnect). */
long console_chan_write(struct console_chan *cc, const void *bytes, size_t n, uint32_t *tag);

/* Reap completions (mica_chan_reap), freeing their buffers. */
unsigned console_chan_reap(struct console_chan *cc, struct mica_chan_cqe *out, unsigned max);

/* Wait until a completion can be reaped: OK; DELETED when the console went (names told
 * us): everything in flight then completes with DELETED; BAD_STATE: nothing in flight. */
long console_chan_wait(struct console_chan *cc);

#endif
