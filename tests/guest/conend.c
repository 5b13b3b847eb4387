// SPDX-License-Identifier: MIT
/* A console channel client that ends (tests/manifests/console-chan-end.manifest): it opens
 * a channel to the console, writes a line through it, and crashes; the supervisor does not
 * restart it and init ends it, revoking all its memory. tests/guest/concheck.c watches. */
#include "console_chan.h"
#include "test.h"

#include <mica/task.h>

#define CHAN_SLOTS  (MICA_TASK_SLOT_FIRST_FREE + 4)
#define CHAN_VA     0x550000000000UL

static struct console_chan cc;

int
main(void)
{
    long err = MICA_E_NO_CAP;
    for (unsigned tries = 0; tries < 100 && err == MICA_E_NO_CAP; tries++) {
        err = console_chan_open(&cc, MICA_TASK_SLOT_UNTYPED, CHAN_SLOTS, CHAN_VA);
        if (err == MICA_E_NO_CAP)
            mica_yield();                       /* the console's name is not there yet */
    }
    uint32_t tag;
    struct mica_chan_cqe c;
    if (!err)
        err = console_chan_write(&cc, "conend: written\n", 16, &tag);
    mica_chan_submit(&cc.ch);
    while (!err && !console_chan_reap(&cc, &c, 1))
        err = console_chan_wait(&cc);
    EXPECT("conend_wrote_through_its_channel", !err && !c.status, "%s, status %s",
           mica_errname(err), mica_errname(c.status));
    volatile uintptr_t address = 8;
    *(volatile int *)address = 1;               /* and dies, its channel still open */
    return 0;
}
