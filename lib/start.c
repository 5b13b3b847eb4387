// SPDX-License-Identifier: MIT
/* Program start and the console helpers of the native runtime. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mica.h"

int main(void);

_Noreturn void mica_start(uintptr_t arg);

/*
 * A thread area is what musl's code reaches through FS: a pointer to itself first, the
 * stack protector's canary at 0x28, errno and the rest of musl's thread descriptor after
 * it, zero; and from MICA_AREA_IPC_WORD the runtime's own per-thread data.
 * (Full TLS for __thread variables comes with threads in the runtime.)
 */
#define CANARY_WORD         5
static struct mica_thread_area main_area;

static uintptr_t
canary(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    uintptr_t v = ((uintptr_t)hi << 32 | lo) * 0x9e3779b97f4a7c15u;
    return v & ~(uintptr_t)0xff;        /* a zero low byte stops string overflows */
}

const struct mica_bootinfo *mica_bootinfo;

void *
mica_thread_area(void)
{
    return &main_area;
}

mica_cptr_t
mica_boot_largest_untyped(void)
{
    const struct mica_bootinfo *bi = mica_bootinfo;
    if (!bi || !bi->untyped_count)
        return 0;
    uint64_t best = 0;
    for (uint64_t i = 1; i < bi->untyped_count; i++)
        if (bi->untyped[i].size_bits > bi->untyped[best].size_bits)
            best = i;
    return bi->first_untyped + best;
}

int
mica_boot_option(const char *key, char *buf, size_t size)
{
    return mica_cmdline_option(mica_bootinfo ? mica_bootinfo->cmdline : "", key, buf, size);
}

void
mica_thread_area_init(struct mica_thread_area *area, struct mica_ipc_buffer *ipc)
{
    memset(area, 0, sizeof(*area));
    area->word[0] = (uintptr_t)area;
    area->word[CANARY_WORD] = canary();
    area->word[MICA_AREA_IPC_WORD] = (uintptr_t)ipc;
}

/* arg: the root task's boot information page, or 0 in other boot tasks. */
_Noreturn void
mica_start(uintptr_t arg)
{
    static struct mica_ipc_buffer main_ipc __attribute__((aligned(4096)));
    mica_thread_area_init(&main_area, NULL);
    main_area.word[MICA_AREA_TCB_WORD] = MICA_SLOT_TCB;
    if (mica_set_tls_base(&main_area))
        mica_halt(127);
    if (arg) {
        mica_bootinfo = (const struct mica_bootinfo *)arg;
        main_area.word[MICA_AREA_IPC_WORD] = mica_bootinfo->ipc_buffer;
    } else if (!mica_tcb_set_ipc_buffer(MICA_SLOT_TCB, (uint64_t)&main_ipc)) {
        main_area.word[MICA_AREA_IPC_WORD] = (uintptr_t)&main_ipc;  /* a boot task */
    }
    mica_halt(main());
}

_Noreturn void
mica_halt(long status)
{
    mica_cptr_t self;
    __asm__("mov %%fs:%c1, %0" : "=r"(self) : "i"(MICA_AREA_TCB_WORD * 8));
    for (;;) {
        mica_syscall2(MICA_SYS_DEBUG_HALT, status, 0);
        if (self)
            mica_tcb_suspend(self);             /* not ours to stop: the thread stops */
        mica_yield();
    }
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
