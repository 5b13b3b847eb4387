// SPDX-License-Identifier: MIT
/* The root task: the first user program. For now it greets; it will become init, the
 * memory manager and the starter of every other server. */
#include "mica.h"

int
main(void)
{
    mica_printf("Hello from the root task: Mica is up.\n");
    return 0;
}
