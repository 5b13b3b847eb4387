// SPDX-License-Identifier: MIT
/* Deliberate kernel faults, chosen with selftest=<name> on the kernel command line, so the
 * boot tests can check that each one stops the machine with a readable panic. */
#include "kernel.h"

static volatile uint64_t zero;

void
selftest_run(const char *name)
{
    kprintf("mica: selftest %s\n", name);
    if (!strncmp(name, "pagefault", 10))
        *(volatile uint64_t *)0xffff8fffdead0000 = 1;       /* unmapped kernel address */
    else if (!strncmp(name, "ud", 3))
        __builtin_trap();
    else if (!strncmp(name, "divide", 7))
        __asm__ volatile("divq %1" : : "a"(1UL), "r"(zero), "d"(0UL));
    else if (!strncmp(name, "assert", 7))
        assert(zero == 1);
    kprintf("mica: selftest %s: nothing happened\n", name);
}
