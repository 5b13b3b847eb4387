// SPDX-License-Identifier: MIT
/* The Linux side of make bench: the same measurements as bench/bench.c where Linux has
 * the same operation, run as /init of an initramfs under Debian's kernel in the same QEMU.
 * Built static against musl; prints "BENCH <name> median=<n> min=<n>", then stops QEMU
 * through the isa-debug-exit port. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define BENCH_PRINTF(...) (printf(__VA_ARGS__), fflush(stdout))
#include "measure.h"

/* A byte there and back through two pipes between two processes. */
static void
pipe_roundtrip(void)
{
    int there[2], back[2];
    char c = 0;
    if (pipe(there) || pipe(back))
        return;
    pid_t child = fork();
    if (child == 0) {
        close(there[1]);                /* so that the parent's close ends the loop */
        close(back[0]);
        while (read(there[0], &c, 1) == 1 && write(back[1], &c, 1) == 1)
            ;
        _exit(0);
    }
    close(there[0]);
    close(back[1]);
    MEASURE("linux_pipe_rt", (void)!write(there[1], &c, 1); (void)!read(back[0], &c, 1));
    close(there[1]);
    waitpid(child, NULL, 0);
}

/* First touch of an anonymous page: the page fault and the zeroed page behind it. */
static void
anon_page_faults(void)
{
    size_t pages = WARMUP + SAMPLES;
    volatile char *mem = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return;
    MEASURE("pagefault_anon_4k", mem[(size_t)(i_ + WARMUP) * 4096] = 1);
}

int
main(void)
{
    MEASURE("tsc_overhead", (void)0);
    MEASURE("linux_getpid", syscall(SYS_getpid));
    MEASURE("linux_null_syscall", sched_yield());
    pipe_roundtrip();
    anon_page_faults();
    if (ioperm(0xf4, 4, 1) == 0)
        outl(0x10, 0xf4);               /* QEMU exits with status 33 */
    for (;;)
        pause();
}
