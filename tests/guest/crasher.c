// SPDX-License-Identifier: MIT
/* A server that fails at once, every time it starts: the restart loop the supervisor must
 * back off from (tests/manifests/restart-loop.manifest). */
#include "mica.h"

int
main(void)
{
    volatile uintptr_t address = 8;
    *(volatile int *)address = 1;               /* the page at 0 is never mapped */
    return 0;
}
