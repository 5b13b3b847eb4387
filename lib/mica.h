/* SPDX-License-Identifier: MIT */
/* The native Mica runtime: system-call stubs written against abi/mica/syscall.h, and the
 * few helpers every program needs. Formatting and strings come from musl's libc.a. */
#ifndef MICA_H
#define MICA_H

#include <stddef.h>
#include <stdint.h>

#include <mica/errors.h>
#include <mica/syscall.h>
#include <mica/x86_64/layout.h>

static inline long
mica_syscall2(long n, long a0, long a1)
{
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a0), "S"(a1)
                     : "rcx", "r11", "memory");
    return ret;
}

/* Give up the rest of this time slice. */
static inline long mica_yield(void) { return mica_syscall2(MICA_SYS_YIELD, 0, 0); }

/* Write len bytes (at most MICA_DEBUG_WRITE_MAX) to the kernel console; a mica_error. */
static inline long
mica_debug_write(const void *buf, size_t len)
{
    return mica_syscall2(MICA_SYS_DEBUG_WRITE, (long)buf, (long)len);
}

/* Set the calling thread's thread pointer (FS base), which musl's code reads. */
static inline long
mica_set_tls_base(void *base)
{
    return mica_syscall2(MICA_SYS_SET_TLS_BASE, (long)base, 0);
}

/* Stop the machine (tests and the root task when it is done): 0 for success. */
_Noreturn void mica_halt(long status);

/* Any length of text to the kernel console, in MICA_DEBUG_WRITE_MAX pieces. */
long mica_puts(const char *s);
int mica_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
