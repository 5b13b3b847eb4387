// SPDX-License-Identifier: MIT
/* What the kernel files under host test need from the rest of the kernel: panic() and the
 * base of the arena that stands in for physical memory. libc provides the string helpers. */
#include <stdio.h>
#include <stdlib.h>

#include "kernel.h"

#include <arch/mmu.h>

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
