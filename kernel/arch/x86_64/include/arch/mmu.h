/* SPDX-License-Identifier: MIT */
/* x86_64 kernel address-space layout and page-table entry bits (Intel SDM Vol. 3A, 4.5). */
#ifndef ARCH_MMU_H
#define ARCH_MMU_H

#ifdef __ASSEMBLER__
#define U64(x)  x
#else
#define U64(x)  x##UL
#endif

/* The kernel image runs in the top 2 GiB (-mcmodel=kernel), loaded at 1 MiB physical. */
#define KERNEL_VMA          U64(0xffffffff80000000)
#define KERNEL_LOAD_PHYS    0x100000
/* All physical memory is mapped here (the "physmap"), kernel only, never executable. */
#define PHYSMAP_BASE        U64(0xffff800000000000)
/* The physmap's reach: memory above it is not used (main.c leaves it out). 1 TiB: two
 * PML4 slots, whose tables are made at boot. */
#define PHYSMAP_MAX         (U64(1) << 40)
/* Device registers the kernel uses (the local APIC) are mapped uncached from here. */
#define KERNEL_MMIO_BASE    U64(0xffffffffc0000000)

#define PTE_P       (U64(1) << 0)      /* present */
#define PTE_W       (U64(1) << 1)      /* writable */
#define PTE_U       (U64(1) << 2)      /* user accessible */
#define PTE_PWT     (U64(1) << 3)      /* write-through */
#define PTE_PCD     (U64(1) << 4)      /* cache disable */
#define PHYS_ADDR_BITS  52              /* the architecture's limit (MAXPHYADDR <= 52) */
#define PTE_A       (U64(1) << 5)
#define PTE_D       (U64(1) << 6)
#define PTE_PS      (U64(1) << 7)      /* 2 MiB / 1 GiB page in a PD / PDPT entry */
#define PTE_G       (U64(1) << 8)      /* global: survives CR3 loads */
#define PTE_NX      (U64(1) << 63)     /* no execute, with EFER.NXE */
#define PTE_ADDR    U64(0x000ffffffffff000)

#define PCID_COUNT      4096                /* CR3 bits 0-11 with CR4.PCIDE */
#define CR3_NOFLUSH     (U64(1) << 63)      /* keep the PCID's TLB entries on a load */

#include <mica/x86_64/layout.h>

#ifndef __ASSEMBLER__
#include <stdint.h>

static inline void *
phys_to_virt(uint64_t pa)
{
    return (void *)(pa + PHYSMAP_BASE);
}

static inline uint64_t
virt_to_phys(const void *va)
{
    uint64_t v = (uint64_t)va;
    return v >= KERNEL_VMA ? v - KERNEL_VMA : v - PHYSMAP_BASE;
}

/*
 * The physical address of the 4 KiB page containing user address va in the address space
 * rooted at root, if it is mapped with at least the PTE bits need (PTE_P, plus PTE_U and
 * PTE_W for a page user code may write) and not uncached (device memory, which the kernel
 * never touches); 0 otherwise. Large pages count. Short and inline:
 * IPC looks its buffers up with it on every long message.
 */
static inline uint64_t
arch_user_page(uint64_t root, uint64_t va, uint64_t need)
{
    uint64_t e = ((const uint64_t *)phys_to_virt(root))[(va >> 39) & 511];
    if (!(e & PTE_P))
        return 0;
    e = ((const uint64_t *)phys_to_virt(e & PTE_ADDR))[(va >> 30) & 511];
    if ((e & (PTE_P | PTE_PS)) != PTE_P)
        return 0;                                   /* 1 GiB pages are never made */
    e = ((const uint64_t *)phys_to_virt(e & PTE_ADDR))[(va >> 21) & 511];
    if (!(e & PTE_P))
        return 0;
    uint64_t check = need | PTE_PCD;                /* device memory (uncached) is never */
    if (e & PTE_PS)                                 /* reached through the physmap */
        return (e & check) == need ? (e & PTE_ADDR & ~U64(0x1fffff)) + (va & 0x1ff000) : 0;
    e = ((const uint64_t *)phys_to_virt(e & PTE_ADDR))[(va >> 12) & 511];
    return (e & check) == need ? e & PTE_ADDR : 0;
}
#endif

#endif
