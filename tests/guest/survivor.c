// SPDX-License-Identifier: MIT
/* The root task of a boot beside faulting and spinning tasks: it starts them, and must keep
 * running after they fault, get the CPU back from a task that never yields, and find its
 * registers and FPU state as it left them. */
#include "test.h"

#define ROUNDS  20

int
main(void)
{
    bool fpu_ok = true, regs_ok = true, started = mica_bootinfo != NULL;
    for (unsigned i = 1; started && i < mica_bootinfo->module_count; i++)
        started = mica_bootinfo->module[i].tcb && !mica_tcb_resume(mica_bootinfo->module[i].tcb);
    EXPECT("root_task_starts_the_other_modules", started, "a module could not be resumed");
    for (unsigned i = 0; i < ROUNDS; i++) {
        uint64_t want = 0x1000 + i, xmm, r12;
        /* Hold a value in xmm0 and r12 across a yield, so a spinning neighbour runs between. */
        __asm__ volatile("movq %2, %%xmm0\n\t"
                         "mov %2, %%r12\n\t"
                         "mov %3, %%eax\n\t"
                         "syscall\n\t"
                         "movq %%xmm0, %0\n\t"
                         "mov %%r12, %1"
                         : "=r"(xmm), "=r"(r12)
                         : "r"(want), "i"(MICA_SYS_YIELD)
                         : "rax", "rcx", "r11", "r12", "xmm0", "memory");
        fpu_ok &= xmm == want;
        regs_ok &= r12 == want;
    }
    EXPECT("fpu_state_survives_switches", fpu_ok, "xmm0 changed while another task ran");
    EXPECT("registers_survive_switches", regs_ok, "r12 changed while another task ran");
    mica_printf("TEST PASS survivor_runs_after_other_tasks_fault\n");
    return test_failures;
}
