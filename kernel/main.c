// SPDX-License-Identifier: MIT
/* kmain: the boot sequence, from the loader's hand-off to the first user thread. */
#include "arch.h"
#include "bootinfo.h"
#include "device.h"
#include "fastpath.h"
#include "invariants.h"
#include "loader.h"
#include "percpu.h"
#include "pmm.h"
#include "root.h"
#include "sched.h"
#include "thread.h"

#define LOW_MEMORY_END  0x100000    /* firmware, and later the SMP trampoline */

static struct bootinfo bootinfo;

void selftest_run(const char *name);

static void
memory_init(const struct bootinfo *bi)
{
    extern char __kernel_start[], __kernel_end[];
    struct pmm *pmm = &kernel_pmm;

    pmm_init(pmm);
    for (unsigned i = 0; i < bi->nmem; i++)
        if (bi->mem[i].type == MEM_AVAILABLE && pmm_add(pmm, bi->mem[i].base, bi->mem[i].len))
            kprintf("mica: memory map too fragmented, ignoring %#lx+%#lx\n",
                    bi->mem[i].base, bi->mem[i].len);
    if (pmm_reserve(pmm, PHYSMAP_MAX, ~0UL - PHYSMAP_MAX))
        panic("memory map too fragmented");     /* beyond the physmap: not used */
    /* Nothing is allocated yet, so a reservation can only fail on a full range table.
     * Firmware maps may overlap: whatever any entry calls reserved stays reserved. */
    int err = pmm_reserve(pmm, 0, LOW_MEMORY_END);
    for (unsigned i = 0; i < bi->nmem; i++)
        if (bi->mem[i].type != MEM_AVAILABLE)
            err |= pmm_reserve(pmm, bi->mem[i].base, bi->mem[i].len);
    err |= pmm_reserve(pmm, virt_to_phys(__kernel_start), __kernel_end - __kernel_start);
    for (unsigned i = 0; i < bi->nmod; i++)
        err |= pmm_reserve(pmm, bi->mod[i].start, bi->mod[i].end - bi->mod[i].start);
    if (err)
        panic("memory map too fragmented to reserve the kernel and modules");
    kprintf("mica: %lu KiB free in %u ranges, %u boot modules\n",
            pmm->free_pages * (PAGE_SIZE / 1024), pmm->nrange, bi->nmod);
    if (bi->dropped)
        kprintf("mica: %u memory regions or boot modules beyond the limits were ignored\n",
                bi->dropped);
}

static void
options_init(const struct bootinfo *bi)
{
    if (bootinfo_option(bi, "debugexit", NULL, 0))
        arch_set_exit_port(0xf4);       /* QEMU's isa-debug-exit, as the test harness sets it */
    if (bootinfo_option(bi, "nofastpath", NULL, 0))
        fastpath_enabled = false;       /* every IPC on the slow path, for the tests */
    if (bootinfo_option(bi, "nopcid", NULL, 0))
        arch_tlb_tags(false);           /* untagged TLB: every switch flushes */
    if (bootinfo_option(bi, "checkinvariants", NULL, 0)) {
        if (CONFIG_INVARIANTS)
            invariants_enabled = true;  /* every kernel exit checks them all: slow */
        else
            kprintf("mica: checkinvariants needs the checking kernel, kernel-check.elf\n");
    }
}

noreturn void
kmain(uint32_t magic, uint32_t info)
{
    struct bootinfo *bi = &bootinfo;

    arch_console_init();
    kprintf("\nMica microkernel (x86_64)\n");
    if (bootinfo_parse(bi, magic, info, arch_boot_read)) {
        kprintf("mica: unusable boot information (magic %#x at %#x); halting\n", magic, info);
        arch_halt(HALT_PANIC);
    }
    options_init(bi);
    kprintf("mica: command line '%s'\n", bi->cmdline);
    memory_init(bi);
    device_init(bi);
    arch_paging_init(bi);
    rq_init(&cpus[0].rq);
    arch_cpu_init(&cpus[0]);
    arch_timer_init(SCHED_HZ);
    arch_irq_init();

    char test[32] = "";
    if (bootinfo_option(bi, "selftest", test, sizeof(test)))
        selftest_run(test);

    loader_start_boot_tasks(bi);
    root_give_untyped();
    if (CONFIG_INVARIANTS && !strncmp(test, "invariant", sizeof(test)))
        invariants_selftest();
    kernel_exit();
}
