// SPDX-License-Identifier: MIT
/* A task that commits one user-mode fault, chosen at build time (-DFAULT_PF, ...): the kernel
 * must stop it with a message and go on with everything else. */
#include "mica.h"

int
main(void)
{
    mica_printf("fault task: about to fault\n");
#if defined(FAULT_PF)           /* read of an unmapped address */
    (void)*(volatile int *)0;
#elif defined(FAULT_GP)         /* a privileged instruction */
    __asm__ volatile("hlt");
#elif defined(FAULT_UD)         /* an undefined instruction */
    __asm__ volatile("ud2");
#elif defined(FAULT_DE)         /* division by zero */
    __asm__ volatile("xor %%ecx, %%ecx\n\tdiv %%ecx" : : : "rax", "rcx", "rdx");
#elif defined(FAULT_BP)         /* a breakpoint */
    __asm__ volatile("int3");
#elif defined(FAULT_NX)         /* executing a no-execute page (the stack) */
    volatile unsigned char code[4];     /* on the stack, whatever the compiler would fold */
    code[0] = 0xc3;
    ((void (*)(void))code)();
#elif defined(FAULT_KMEM)       /* reading kernel memory */
    (void)*(volatile int *)0xffffffff80100000UL;
#elif defined(FAULT_WTEXT)      /* writing read-only data */
    static const unsigned char ro_data[16] = { 1 };
    *(volatile unsigned char *)ro_data = 2;
#else
#error "choose a fault with -DFAULT_<kind>"
#endif
    mica_printf("TEST FAIL fault_task_was_not_stopped\n");
    return 1;
}
