/* SPDX-License-Identifier: MIT */
/* Mica system-call numbers and the register convention, shared by the kernel entry,
 * the user-space stubs and assembly (so: plain #defines, nothing C-only outside the guard). */
#ifndef MICA_SYSCALL_H
#define MICA_SYSCALL_H

/*
 * x86_64 convention: `syscall` with the number in rax and arguments in rdi, rsi, rdx,
 * r10, r8, r9 (the Linux order, so that a redirected Linux call carries the same registers).
 * The kernel returns a mica_error in rax; rcx and r11 are clobbered, as the instruction does.
 * MICA_SYS_CALL takes the capability in rdi, the message info in rsi and message registers
 * MR0-MR3 in rdx, r10, r8, r9 (more in the IPC buffer), and returns the reply the same way.
 */
#define MICA_SYS_YIELD          0   /* give up the rest of the time slice */
#define MICA_SYS_DEBUG_WRITE    1   /* (const char *buf, size_t len): bytes to the kernel console */
#define MICA_SYS_DEBUG_HALT     2   /* (long status): stop the machine, status to the test harness */
#define MICA_SYS_SET_TLS_BASE   3   /* (void *base): the calling thread's thread pointer (FS base) */
#define MICA_SYS_CALL           4   /* (cptr, msginfo, MR0-MR3): invoke an object (docs/api.md) */
#define MICA_SYS_COUNT          5

/* Longest buffer one MICA_SYS_DEBUG_WRITE takes; longer writes fail with MICA_E_RANGE. */
#define MICA_DEBUG_WRITE_MAX    1024

#endif
