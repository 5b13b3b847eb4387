/* SPDX-License-Identifier: MIT */
/* Basic types, helpers and the console/panic interface used by every kernel file. */
#ifndef KERNEL_H
#define KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/errors.h>

typedef uint64_t paddr_t;       /* a physical address */
typedef uint64_t vaddr_t;       /* a virtual address */

#define PAGE_SIZE       4096UL
#define PAGE_SHIFT      12
#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN_UP(x, a)  ALIGN_DOWN((x) + ((__typeof__(x))(a) - 1), (a))
#define MIN(a, b)       ((a) < (b) ? (a) : (b))
#define MAX(a, b)       ((a) > (b) ? (a) : (b))

#define noreturn        _Noreturn
#define likely(x)       __builtin_expect(!!(x), 1)
#define unlikely(x)     __builtin_expect(!!(x), 0)

/* Compile-time options: tested with a plain if (CONFIG_...), never #ifdef. */
#ifndef CONFIG_DEBUG
#define CONFIG_DEBUG    1
#endif
/* The checking kernel (build/kernel-check.elf): whole-kernel invariants after every kernel
 * exit when booted with `checkinvariants` (kernel/invariants.c). Not in the kernel that
 * runs: the check would cost the fast path a load and a branch each way. */
#ifndef CONFIG_INVARIANTS
#define CONFIG_INVARIANTS 0
#endif

/* Formatting (printf.c): a freestanding subset of printf. Returns the characters produced. */
typedef void (*fmt_out_fn)(void *ctx, char c);
int fmt_vformat(fmt_out_fn out, void *ctx, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The kernel console: serialised output of kernel messages. */
void kputs(const char *s, size_t len);
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Why the machine stops; a test harness under QEMU sees it as the exit status. */
enum halt_reason {
    HALT_SUCCESS,       /* a test run finished and passed */
    HALT_FAILURE,       /* a test run finished with failures */
    HALT_PANIC,         /* the kernel stopped on an internal error */
};

/* Stop the machine with a message; for kernel bugs only, never for bad user input. */
noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define assert(cond)                                                            \
    do {                                                                        \
        if (CONFIG_DEBUG && unlikely(!(cond)))                                  \
            panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__);   \
    } while (0)

/* Freestanding string helpers (string.c); the compiler may also emit calls to these. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strncmp(const char *a, const char *b, size_t n);
size_t strlcpy(char *dst, const char *src, size_t size);

#endif
