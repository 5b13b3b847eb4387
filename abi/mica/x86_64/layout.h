/* SPDX-License-Identifier: MIT */
/* The x86_64 user address-space layout that the kernel and user space agree on. */
#ifndef MICA_X86_64_LAYOUT_H
#define MICA_X86_64_LAYOUT_H

/*
 * User space is [MICA_USER_BASE, MICA_USER_TOP). The top page below the canonical hole is
 * never user memory: a `syscall` ending at 0x7fffffffffff would leave a non-canonical return
 * address, which SYSRET would fault on in kernel mode (the Intel SYSRET erratum).
 */
#define MICA_USER_BASE          0x0000000000001000UL
#define MICA_USER_TOP           0x00007ffffffff000UL

/* The initial stack the kernel gives a boot task: MICA_BOOT_STACK_SIZE bytes ending here. */
#define MICA_BOOT_STACK_TOP     0x00007fffffff0000UL
#define MICA_BOOT_STACK_SIZE    0x10000UL

/* The root task's boot information page (read-only) and IPC buffer; boot modules are
 * mapped read-only from MICA_BOOT_MODULES_VADDR, so boot programs end below it. */
#define MICA_BOOT_INFO_VADDR    0x00007fffffff1000UL
#define MICA_BOOT_IPC_VADDR     0x00007fffffff2000UL
#define MICA_BOOT_MODULES_VADDR 0x0000700000000000UL

/* e_machine of the executables this architecture runs (EM_X86_64). */
#define MICA_ELF_MACHINE        62

#endif
