// SPDX-License-Identifier: MIT
/* The first system calls: debug output, and every bad argument the kernel must refuse
 * with an error (never a crash): bad pointers, lengths, numbers and thread pointers. */
#include <string.h>

#include "test.h"

#define KERNEL_TEXT     0xffffffff80100000UL
#define NON_CANONICAL   0x0000800000000000UL
#define UNMAPPED        0x0000000010000000UL

static char probe[] = "basics: a line through the kernel console\n";

static long
raw_syscall(long n, long a0, long a1)
{
    return mica_syscall2(n, a0, a1);
}

static void
debug_write_checks(void)
{
    EXPECT_ERR("debug_write_valid_buffer", mica_debug_write(probe, strlen(probe)), MICA_E_OK);
    EXPECT_ERR("debug_write_empty_null", mica_debug_write(NULL, 0), MICA_E_OK);
    EXPECT_ERR("debug_write_null", mica_debug_write(NULL, 8), MICA_E_FAULT);
    EXPECT_ERR("debug_write_kernel_address", mica_debug_write((void *)KERNEL_TEXT, 16),
               MICA_E_FAULT);
    EXPECT_ERR("debug_write_non_canonical", mica_debug_write((void *)NON_CANONICAL, 8),
               MICA_E_FAULT);
    EXPECT_ERR("debug_write_unmapped", mica_debug_write((void *)UNMAPPED, 8), MICA_E_FAULT);
    EXPECT_ERR("debug_write_wraps_address_space", mica_debug_write((void *)-4L, 8),
               MICA_E_FAULT);
    EXPECT_ERR("debug_write_crosses_user_top",
               mica_debug_write((void *)(MICA_USER_TOP - 4), 8), MICA_E_FAULT);
    /* The last bytes of the stack are mapped, the page above is not: nothing is printed. */
    EXPECT_ERR("debug_write_runs_off_mapping",
               mica_debug_write((void *)(MICA_BOOT_STACK_TOP - 4), 8), MICA_E_FAULT);
    EXPECT_ERR("debug_write_too_long", mica_debug_write(probe, MICA_DEBUG_WRITE_MAX + 1),
               MICA_E_RANGE);
    EXPECT_ERR("debug_write_huge_length", mica_debug_write(probe, (size_t)-1), MICA_E_RANGE);
    EXPECT_ERR("debug_write_misaligned_buffer", mica_debug_write(probe + 1, strlen(probe) - 1),
               MICA_E_OK);
}

static void
syscall_number_checks(void)
{
    EXPECT_ERR("unknown_syscall_number", raw_syscall(MICA_SYS_COUNT, 0, 0), MICA_E_NO_SYSCALL);
    EXPECT_ERR("huge_syscall_number", raw_syscall(0x7fffffffffffffffL, 0, 0), MICA_E_NO_SYSCALL);
    EXPECT_ERR("negative_syscall_number", raw_syscall(-1, 0, 0), MICA_E_NO_SYSCALL);
    EXPECT_ERR("yield_succeeds", mica_yield(), MICA_E_OK);
}

static void
tls_base_checks(void)
{
    uintptr_t mine;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(mine));
    EXPECT("tls_base_reaches_thread_area", mine != 0, "%%fs:0 is 0");
    EXPECT_ERR("tls_base_kernel_address", mica_set_tls_base((void *)KERNEL_TEXT),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("tls_base_non_canonical", mica_set_tls_base((void *)NON_CANONICAL),
               MICA_E_INVALID_ARG);
    uintptr_t after;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(after));
    EXPECT("tls_base_unchanged_after_refusal", after == mine, "%#lx became %#lx",
           (unsigned long)mine, (unsigned long)after);

    /* Loading a selector into FS zeroes its base behind the kernel's back; setting the
     * same thread pointer again must still restore it. */
    __asm__ volatile("mov %0, %%fs" : : "r"(0x23));
    long err = mica_set_tls_base((void *)mine);
    __asm__ volatile("mov %%fs:0, %0" : "=r"(after));
    EXPECT("tls_base_restored_after_fs_reload", !err && after == mine, "%%fs:0 is %#lx",
           (unsigned long)after);
}

/* Every register but rax (the result) and rcx/r11 (used by the instruction) survives. */
static void
register_checks(void)
{
    register uint64_t rbx __asm__("rbx") = 0x1111111111111111;
    register uint64_t rdx __asm__("rdx") = 0x2222222222222222;
    register uint64_t rsi __asm__("rsi") = 0x3333333333333333;
    register uint64_t rdi __asm__("rdi") = 0x4444444444444444;
    register uint64_t r8 __asm__("r8") = 0x8888888888888888;
    register uint64_t r9 __asm__("r9") = 0x9999999999999999;
    register uint64_t r10 __asm__("r10") = 0xaaaaaaaaaaaaaaaa;
    register uint64_t r12 __asm__("r12") = 0xcccccccccccccccc;
    register uint64_t r13 __asm__("r13") = 0xdddddddddddddddd;
    register uint64_t r14 __asm__("r14") = 0xeeeeeeeeeeeeeeee;
    register uint64_t r15 __asm__("r15") = 0xffffffffffffffff;
    uint64_t rax = MICA_SYS_YIELD;
    __asm__ volatile("syscall"
                     : "+a"(rax), "+r"(rbx), "+r"(rdx), "+r"(rsi), "+r"(rdi), "+r"(r8),
                       "+r"(r9), "+r"(r10), "+r"(r12), "+r"(r13), "+r"(r14), "+r"(r15)
                     : : "rcx", "r11", "memory");
    bool same = rbx == 0x1111111111111111 && rdx == 0x2222222222222222 &&
                rsi == 0x3333333333333333 && rdi == 0x4444444444444444 &&
                r8 == 0x8888888888888888 && r9 == 0x9999999999999999 &&
                r10 == 0xaaaaaaaaaaaaaaaa && r12 == 0xcccccccccccccccc &&
                r13 == 0xdddddddddddddddd && r14 == 0xeeeeeeeeeeeeeeee &&
                r15 == 0xffffffffffffffff;
    EXPECT_ERR("syscall_returns_error_in_rax", (long)rax, MICA_E_OK);
    EXPECT("syscall_preserves_registers", same, "a register changed across syscall");
}

int
main(void)
{
    debug_write_checks();
    syscall_number_checks();
    tls_base_checks();
    register_checks();
    return test_failures;
}
