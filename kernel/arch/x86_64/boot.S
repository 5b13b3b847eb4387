/* SPDX-License-Identifier: MIT */
/* The first instructions: Multiboot1 and Multiboot2 headers, the 32-bit entry that either
 * loader jumps to, a temporary page table, the switch to long mode and the jump to the
 * higher half. Builds: PML4[0] and PML4[256] -> the low 4 GiB (identity and physmap, 2 MiB
 * pages), PML4[511] -> the kernel's 2 GiB at KERNEL_VMA. arch_paging_init() replaces it. */
#include <arch/mmu.h>
#include <arch/cpu.h>

#define PHYS(x)     ((x) - KERNEL_VMA)

#define MB2_MAGIC           0xe85250d6
#define MB2_ARCH_I386       0
#define MB1_MAGIC           0x1badb002
#define MB1_FLAGS           ((1 << 1) | (1 << 16))  /* memory map; load addresses below */

    .section .multiboot, "a"
    .balign 8
mb2_header:
    .long MB2_MAGIC, MB2_ARCH_I386, mb2_header_end - mb2_header
    .long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    .balign 8                       /* entry address tag: where to start, in physical memory */
    .short 3, 0
    .long 12
    .long PHYS(_start32)
    .balign 8                       /* end tag */
    .short 0, 0
    .long 8
mb2_header_end:

    .balign 4
mb1_header:                         /* QEMU's -kernel speaks only Multiboot1 */
    .long MB1_MAGIC, MB1_FLAGS, -(MB1_MAGIC + MB1_FLAGS)
    .long PHYS(mb1_header)          /* header_addr */
    .long PHYS(__kernel_start)      /* load_addr */
    .long PHYS(__data_end)          /* load_end_addr */
    .long PHYS(__bss_end)           /* bss_end_addr */
    .long PHYS(_start32)            /* entry_addr */

    .section .boot.text, "ax"
    .code32
    .globl _start32
_start32:
    cli
    cld
    mov     %eax, %edi              /* loader magic -> first argument of kmain */
    mov     %ebx, %esi              /* loader information -> second argument */
    mov     $PHYS(boot_stack_top), %esp

    /* Long mode present? (CPUID 0x80000001 EDX bit 29) */
    mov     $0x80000000, %eax
    cpuid
    cmp     $0x80000001, %eax
    jb      no_long_mode
    mov     $0x80000001, %eax
    cpuid
    bt      $29, %edx
    jnc     no_long_mode
    mov     %edx, %ebp              /* keep: bit 20 says whether NX exists */

    /* Four page directories mapping the low 4 GiB with 2 MiB pages. */
    mov     $PHYS(boot_pd), %ebx
    xor     %ecx, %ecx
1:  mov     %ecx, %eax
    shl     $21, %eax
    or      $(PTE_P | PTE_W | PTE_PS), %eax
    mov     %eax, (%ebx, %ecx, 8)
    mov     %ecx, %eax
    shr     $11, %eax               /* high half of the 2 MiB frame number << 21 */
    mov     %eax, 4(%ebx, %ecx, 8)
    inc     %ecx
    cmp     $2048, %ecx
    jne     1b

    mov     $PHYS(boot_pdpt_low), %ebx
    mov     $PHYS(boot_pd), %eax
    or      $(PTE_P | PTE_W), %eax
    mov     $4, %ecx
2:  mov     %eax, (%ebx)
    add     $4096, %eax
    add     $8, %ebx
    loop    2b

    /* The kernel's 2 GiB: PDPT entries 510 and 511 -> the first 2 GiB of physical memory. */
    mov     $PHYS(boot_pd), %eax
    or      $(PTE_P | PTE_W), %eax
    mov     %eax, PHYS(boot_pdpt_high) + 510 * 8
    add     $4096, %eax
    mov     %eax, PHYS(boot_pdpt_high) + 511 * 8

    mov     $PHYS(boot_pdpt_low), %eax
    or      $(PTE_P | PTE_W), %eax
    mov     %eax, PHYS(boot_pml4)
    mov     %eax, PHYS(boot_pml4) + 256 * 8
    mov     $PHYS(boot_pdpt_high), %eax
    or      $(PTE_P | PTE_W), %eax
    mov     %eax, PHYS(boot_pml4) + 511 * 8

    mov     %cr4, %eax
    or      $(1 << 5), %eax         /* PAE */
    mov     %eax, %cr4
    mov     $PHYS(boot_pml4), %eax
    mov     %eax, %cr3
    mov     $MSR_EFER, %ecx
    rdmsr
    or      $(1 << 8), %eax         /* LME */
    bt      $20, %ebp
    jnc     3f
    or      $EFER_NXE, %eax
3:  wrmsr
    mov     %cr0, %eax
    or      $((1 << 31) | (1 << 0) | CR0_WP), %eax     /* PG, PE, WP */
    mov     %eax, %cr0

    lgdt    PHYS(boot_gdt_ptr)
    ljmp    $0x08, $PHYS(start64_low)

no_long_mode:                       /* nothing to print with yet: say it on COM1 */
    mov     $PHYS(no_lm_msg), %esi
    mov     $0x3f8, %dx
4:  lodsb
    test    %al, %al
    jz      5f
    out     %al, %dx
    jmp     4b
5:  hlt
    jmp     5b

    .code64
start64_low:
    movabs  $start64_high, %rax
    jmp     *%rax

    .text
start64_high:
    mov     $0x10, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    xor     %ax, %ax
    mov     %ax, %fs
    mov     %ax, %gs
    movabs  $boot_stack_top, %rsp
    xor     %ebp, %ebp              /* the end of every stack trace */
    call    kmain                   /* (magic in edi, info address in esi) */
6:  cli
    hlt
    jmp     6b

    .section .rodata
no_lm_msg:
    .asciz  "mica: this CPU has no long mode (x86_64); cannot boot\r\n"
    .balign 8
boot_gdt:
    .quad   0
    .quad   0x00af9a000000ffff      /* 64-bit code, ring 0 */
    .quad   0x00cf92000000ffff      /* data, ring 0 */
boot_gdt_ptr:
    .short  boot_gdt_ptr - boot_gdt - 1
    .long   PHYS(boot_gdt)

    .section .bss
    .balign 4096
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4 * 4096
    .globl boot_stack_guard, boot_stack_top
boot_stack_guard: .skip 4096        /* unmapped by arch_paging_init() */
boot_stack:     .skip 16384
boot_stack_top:
