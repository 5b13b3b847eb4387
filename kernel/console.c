// SPDX-License-Identifier: MIT
/* Kernel messages and panic, on the architecture's console. */
#include "arch.h"

void
kputs(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            arch_console_putc('\r');
        arch_console_putc(s[i]);
    }
}

static void
console_out(void *ctx, char c)
{
    (void)ctx;
    kputs(&c, 1);
}

int
kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vformat(console_out, NULL, fmt, ap);
    va_end(ap);
    return n;
}

noreturn void
panic(const char *fmt, ...)
{
    static bool panicking;
    va_list ap;
    if (panicking) {                /* panic() from within panic(): stop without recursion */
        kprintf("\nmica: PANIC: nested panic: %s\n", fmt);
        arch_halt(HALT_PANIC);
    }
    panicking = true;
    kprintf("\nmica: PANIC: ");
    va_start(ap, fmt);
    fmt_vformat(console_out, NULL, fmt, ap);
    va_end(ap);
    kprintf("\n");
    arch_backtrace((uint64_t)__builtin_frame_address(0));
    kprintf("mica: system halted\n");
    arch_halt(HALT_PANIC);
}
