// SPDX-License-Identifier: MIT
/* Console channels outlive their clients (tests/manifests/console-chan-end.manifest): with
 * a channel of its own open, this client waits until conend (a client that wrote through a
 * channel and crashed with it open) has been ended by init, then checks that the console was
 * never restarted, that its own channel still answers every write, and that every one of
 * the console's channels can be opened again: the dead client's was freed. */
#include <stdio.h>

#include "console_chan.h"
#include "proto.h"
#include "test.h"

#include <mica/task.h>

#define CNODE       MICA_TASK_SLOT_CNODE
#define CHANNELS    4                   /* the console's */
#define CHAN_VA     0x560000000000UL    /* ours: 512 GiB apart */
#define CONSOLE     2                   /* indices in the manifest */
#define CONEND      3

static struct console_chan cc[CHANNELS];

static long
task_info(unsigned index, struct mica_msg *m)
{
    *m = (struct mica_msg){ .info = mica_msginfo(INIT_TASK_INFO, 1), .mr = { index } };
    long err = mica_call(MICA_TASK_SLOT_CONTROL, m, MICA_TIMEOUT_FOREVER);
    return err ? err : (long)mica_msg_label(m->info);
}

/* Write a line through channel i and check its completion. */
static bool
write_line(unsigned i, unsigned n)
{
    char text[48];
    int len = snprintf(text, sizeof(text), "concheck channel %u line %u\n", i, n);
    uint32_t tag;
    struct mica_chan_cqe c = { .status = -1 };
    long err = console_chan_write(&cc[i], text, (size_t)len, &tag);
    mica_chan_submit(&cc[i].ch);
    while (!err && !console_chan_reap(&cc[i], &c, 1))
        err = console_chan_wait(&cc[i]);
    return !err && c.status == MICA_E_OK && c.res[0] == (uint64_t)len;
}

static long
open_channel(unsigned i)
{
    uint64_t first = MICA_TASK_SLOT_FIRST_FREE + i * CONSOLE_CHAN_SLOTS;
    return console_chan_open(&cc[i], MICA_TASK_SLOT_UNTYPED, first, CHAN_VA + i * (1UL << 39));
}

int
main(void)
{
    long err = MICA_E_NO_CAP;
    for (unsigned tries = 0; tries < 100 && err == MICA_E_NO_CAP; tries++)
        if ((err = open_channel(0)) == MICA_E_NO_CAP)
            mica_yield();
    EXPECT_ERR("concheck_opens_a_channel", err, MICA_E_OK);
    bool ok = !err && write_line(0, 0);

    /* Wait (writing all the while) until init has ended conend. */
    struct mica_msg m;
    unsigned n = 1;
    for (; n < 2000 && !task_info(CONEND, &m) && m.mr[0] == TASK_RUNNING; n++)
        ok = ok && write_line(0, n);
    EXPECT("concheck_conend_was_ended", m.mr[0] != TASK_RUNNING, "state %lu",
           (unsigned long)m.mr[0]);
    for (unsigned k = 0; k < 20; k++, n++)
        ok = ok && write_line(0, n);
    EXPECT("concheck_own_channel_unharmed", ok, "a write failed by line %u", n);
    err = task_info(CONSOLE, &m);
    EXPECT("concheck_console_never_restarted", !err && m.mr[0] == TASK_RUNNING && m.mr[3] == 0,
           "%s, state %lu, restarts %lu", mica_errname(err), (unsigned long)m.mr[0],
           (unsigned long)m.mr[3]);

    /* Every other channel of the console: the last of them was conend's. */
    unsigned opened = 1;
    for (unsigned i = 1; i < CHANNELS; i++) {
        err = open_channel(i);
        if (!err && write_line(i, 0))
            opened++;
        else
            mica_printf("concheck: channel %u: %s\n", i, mica_errname(err));
    }
    EXPECT("concheck_every_channel_opens_again", opened == CHANNELS, "%u of %u", opened,
           CHANNELS);
    mica_printf("concheck: done\n");
    mica_halt(test_failures ? 1 : 0);
}
