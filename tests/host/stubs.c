// SPDX-License-Identifier: MIT
/* Kernel symbols the host tests need: panic() and the arena base that plays physical memory. */
#include <stdio.h>
#include <stdlib.h>

#include "kernel.h"

#include <arch/mmu.h>

/* Physical address 0 as phys_to_virt() sees it; set by tests of code that uses it. */
uint8_t *host_phys_base;

/* A kernel assert fired: report it and stop the test binary. */
noreturn void
panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("panic: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}
