// SPDX-License-Identifier: MIT
/* Deliberate kernel faults, chosen with selftest=<name> on the kernel command line
 * (pagefault, ud, divide, assert, stack; invariant, in invariants.c), so the boot tests can check that each one stops
 * the machine with a readable panic. */
#include "kernel.h"

static volatile uint64_t zero;

/* Recurse until the kernel stack runs into its guard page. */
static __attribute__((noinline)) uint64_t
overflow(uint64_t depth)
{
    volatile uint8_t frame[512];
    frame[0] = (uint8_t)depth;
    return zero == 7 ? depth : overflow(depth + 1) + frame[0];     /* zero is never 7 */
}

void
selftest_run(const char *name)
{
    if (!strncmp(name, "invariant", 10))
        return;                 /* needs the boot tasks: kmain runs it after them */
    kprintf("mica: selftest %s\n", name);
    if (!strncmp(name, "pagefault", 10))
        *(volatile uint64_t *)0xffff8fffdead0000 = 1;       /* unmapped kernel address */
    else if (!strncmp(name, "ud", 3))
        __builtin_trap();
    else if (!strncmp(name, "divide", 7))
        __asm__ volatile("divq %1" : : "a"(1UL), "r"(zero), "d"(0UL));
    else if (!strncmp(name, "assert", 7))
        assert(zero == 1);
    else if (!strncmp(name, "stack", 6))
        zero = overflow(0);
    kprintf("mica: selftest %s: nothing happened\n", name);
}
