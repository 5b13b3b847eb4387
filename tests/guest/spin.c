// SPDX-License-Identifier: MIT
/* A task that never yields and keeps its own value in xmm0 and the general registers: only
 * the timer can take the CPU from it, and a neighbour must never see its registers. */
#include "mica.h"

int
main(void)
{
    for (;;)
        __asm__ volatile("movq %0, %%xmm0\n\t"
                         "mov %0, %%rbx\n\t"
                         "mov %0, %%r12\n\t"
                         "mov %0, %%r15"
                         : : "r"(0x5151515151515151UL) : "xmm0", "rbx", "r12", "r15");
}
