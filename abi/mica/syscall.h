/* SPDX-License-Identifier: MIT */
/* Mica system-call numbers and the register convention, shared by the kernel entry,
 * the user-space stubs and assembly (so: plain #defines, nothing C-only outside the guard). */
#ifndef MICA_SYSCALL_H
#define MICA_SYSCALL_H

/*
 * x86_64 convention: `syscall` with the number in rax and arguments in rdi, rsi, rdx,
 * r10, r8, r9 (the Linux order, so that a redirected Linux call carries the same registers).
 * The kernel returns a mica_error in rax; rcx and r11 are clobbered, as the instruction does.
 *
 * IPC and invocations: the capability in rdi, the message info in rsi, message registers
 * MR0-MR3 in rdx, r10, r8, r9 (more in the IPC buffer), the timeout of a blocking operation
 * in r12. A received message comes back the same way, with the sender's badge in rdi.
 */
#define MICA_SYS_YIELD          0   /* give up the rest of the time slice */
#define MICA_SYS_DEBUG_WRITE    1   /* (const char *buf, size_t len): bytes to the kernel console */
#define MICA_SYS_DEBUG_HALT     2   /* (long status): stop the machine, status to the test harness */
#define MICA_SYS_SET_TLS_BASE   3   /* (void *base): the calling thread's thread pointer (FS base) */
#define MICA_SYS_CALL           4   /* call an endpoint (send, wait for the reply) or invoke an object */
#define MICA_SYS_SEND           5   /* send on an endpoint, or signal a notification */
#define MICA_SYS_RECV           6   /* receive on an endpoint, or wait on a notification */
#define MICA_SYS_REPLY_RECV     7   /* reply to the caller, then receive on an endpoint */
#define MICA_SYS_COUNT          8

/* Timeouts (r12) of blocking operations, in nanoseconds; the tick of the kernel's clock
 * (10 ms now) is their resolution. Poll: fail with MICA_E_TIMEOUT rather than block. */
#define MICA_TIMEOUT_POLL       0UL
#define MICA_TIMEOUT_FOREVER    (~0UL)

/* Longest buffer one MICA_SYS_DEBUG_WRITE takes; longer writes fail with MICA_E_RANGE. */
#define MICA_DEBUG_WRITE_MAX    1024

#endif
