// SPDX-License-Identifier: MIT
/* Program start and the console helpers of the native runtime. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mica.h"

int main(void);

_Noreturn void mica_start(uintptr_t arg);

/*
 * The thread area musl's code reaches through FS: a pointer to itself first, the stack
 * protector's canary at 0x28, errno and the rest of musl's thread descriptor after it,
 * zero. (Full TLS for __thread variables comes with threads in the runtime.)
 */
#define THREAD_AREA_WORDS   64
#define CANARY_WORD         5
static uintptr_t thread_area[THREAD_AREA_WORDS] __attribute__((aligned(64)));

static uintptr_t
canary(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    uintptr_t v = ((uintptr_t)hi << 32 | lo) * 0x9e3779b97f4a7c15u;
    return v & ~(uintptr_t)0xff;        /* a zero low byte stops string overflows */
}

_Noreturn void
mica_start(uintptr_t arg)
{
    (void)arg;
    thread_area[0] = (uintptr_t)thread_area;
    thread_area[CANARY_WORD] = canary();
    if (mica_set_tls_base(thread_area))
        mica_halt(127);
    mica_halt(main());
}

_Noreturn void
mica_halt(long status)
{
    for (;;)
        mica_syscall2(MICA_SYS_DEBUG_HALT, status, 0);
}

long
mica_puts(const char *s)
{
    size_t len = strlen(s);
    while (len) {
        size_t n = len < MICA_DEBUG_WRITE_MAX ? len : MICA_DEBUG_WRITE_MAX;
        long err = mica_debug_write(s, n);
        if (err)
            return err;
        s += n;
        len -= n;
    }
    return MICA_E_OK;
}

int
mica_printf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    mica_puts(buf);
    return n;
}
