// SPDX-License-Identifier: MIT
/*
 * Console writes through a channel (tests/manifests/console-chan.manifest): numbered lines
 * in batches of up to 32 in flight, each completion checked, while the console is crashed
 * twice (init's INIT_CRASH; the supervisor has it restarted): once with a batch submitted
 * to the dying console, once between batches. What was in flight ends with DELETED (names'
 * watch tells the client), the client reconnects to the new console and writes those
 * lines again; the boot test finds every line in the serial log.
 */
#include <stdio.h>
#include <string.h>

#include "console_chan.h"
#include "proto.h"
#include "test.h"

#include <mica/task.h>

#define CNODE       MICA_TASK_SLOT_CNODE
#define WAKE        (MICA_TASK_SLOT_FIRST_FREE + 0)
#define CHAN_SLOTS  (MICA_TASK_SLOT_FIRST_FREE + 4)
#define CHAN_VA     0x550000000000UL
#define CONSOLE     2                   /* its index in the manifest */
#define LINES       400
#define BATCH       32
#define MS          1000000UL

static struct console_chan cc;
static unsigned resend[LINES], nresend;
static unsigned line_of_tag[MICA_CHAN_MAX_TAGS];
static unsigned written, failed, reconnects, bad;

static void
sleep_ms(unsigned ms)
{
    uint64_t bits;
    mica_wait(WAKE, &bits, ms * MS);
}

static long
crash_console(void)
{
    struct mica_msg m = { .info = mica_msginfo(INIT_CRASH, 1), .mr = { CONSOLE } };
    long err = mica_call(MICA_TASK_SLOT_CONTROL, &m, MICA_TIMEOUT_FOREVER);
    return err ? err : (long)mica_msg_label(m.info);
}

/* Connect again until it works (the console restarts in a few milliseconds). */
static long
reconnect(void)
{
    long err = MICA_E_DELETED;
    for (unsigned tries = 0; tries < 500 && err; tries++) {
        err = console_chan_connect(&cc);
        if (err)
            sleep_ms(10);
    }
    if (!err)
        reconnects++;
    return err;
}

static long
queue(unsigned line)
{
    char text[64];
    uint32_t tag;
    int n = snprintf(text, sizeof(text), "conchan line %u\n", line);
    long err = console_chan_write(&cc, text, (size_t)n, &tag);
    if (!err)
        line_of_tag[tag] = line;
    return err;
}

/* Reap until nothing is in flight: lines that failed go to resend[]. */
static void
drain(void)
{
    struct mica_chan_cqe cqe[BATCH];
    while (mica_chan_in_flight(&cc.ch)) {
        unsigned k = console_chan_reap(&cc, cqe, BATCH);
        for (unsigned i = 0; i < k; i++) {
            unsigned line = line_of_tag[cqe[i].tag];
            if (cqe[i].status == MICA_E_OK && cqe[i].res[0] >= 14) {
                written++;
            } else if (cqe[i].status == MICA_E_DELETED) {
                failed++;
                resend[nresend++] = line;
            } else {
                bad++;
                mica_printf("conchan: line %u: status %s, %lu bytes\n", line,
                            mica_errname(cqe[i].status), (unsigned long)cqe[i].res[0]);
            }
        }
        if (!k)
            console_chan_wait(&cc);
    }
}

/* Lines first..last-1 and whatever is to be written again, in batches. */
static void
write_lines(unsigned first, unsigned last)
{
    unsigned next = first;
    while (next < last || nresend) {
        unsigned n = 0;
        while (n < BATCH && nresend && !queue(resend[nresend - 1])) {
            nresend--;
            n++;
        }
        while (n < BATCH && next < last && !queue(next)) {
            next++;
            n++;
        }
        mica_chan_submit(&cc.ch);
        drain();
        if (cc.ch.dead && reconnect())
            return;
    }
}

int
main(void)
{
    long err = mica_untyped_retype(MICA_TASK_SLOT_UNTYPED, MICA_OBJ_NOTIFICATION, 0, CNODE,
                                   WAKE, 1);
    if (!err) {
        err = console_chan_open(&cc, MICA_TASK_SLOT_UNTYPED, CHAN_SLOTS, CHAN_VA);
        if (err == MICA_E_NO_CAP)
            err = reconnect();                  /* the console's name is not there yet */
    }
    EXPECT_ERR("conchan_opens_a_channel_to_the_console", err, MICA_E_OK);
    if (err)
        mica_halt(1);
    EXPECT("conchan_console_doorbell_from_the_reply", cc.ch.server_bell != 0, "no doorbell");

    write_lines(0, 150);
    EXPECT("conchan_lines_written", written == 150 && !failed && !bad,
           "%u written, %u failed, %u bad", written, failed, bad);

    /* A batch submitted to a console that is dying. */
    for (unsigned line = 150; line < 150 + BATCH; line++)
        queue(line);
    EXPECT_ERR("conchan_crash_the_console", crash_console(), MICA_E_OK);
    mica_chan_submit(&cc.ch);
    drain();
    EXPECT("conchan_pending_writes_fail_with_deleted", failed == BATCH && nresend == BATCH,
           "%u failed, %u to resend, %u written", failed, nresend, written - 150);
    EXPECT_ERR("conchan_refuses_writes_until_reconnected", queue(0), MICA_E_DELETED);
    EXPECT_ERR("conchan_reconnects_to_the_new_console", reconnect(), MICA_E_OK);
    EXPECT("conchan_new_console_serves_the_next_epoch",
           atomic_load(&cc.ch.hdr->server_epoch) == cc.ch.epoch && cc.ch.epoch == 2,
           "server epoch %u, ours %u", (unsigned)atomic_load(&cc.ch.hdr->server_epoch),
           cc.ch.epoch);
    write_lines(150 + BATCH, 250);

    /* A crash between batches: the next batch goes to no console at all. */
    EXPECT_ERR("conchan_crash_the_console_again", crash_console(), MICA_E_OK);
    write_lines(250, LINES);

    mica_printf("conchan: lines=%u written=%u failed=%u reconnects=%u bad=%u\n", LINES,
                written, failed, reconnects, bad);
    EXPECT("conchan_every_line_written", written == LINES && !bad && reconnects >= 2,
           "%u of %u written, %u bad, %u reconnects", written, LINES, bad, reconnects);
    mica_halt(test_failures ? 1 : 0);
}
