// SPDX-License-Identifier: MIT
/* 4-level paging (Intel SDM Vol. 3A, 4.5). The kernel half of every address space is the
 * same: PML4 entries 256..511 are made once here and copied into each new root, so later
 * kernel mappings must go under them (physmap: 256.., image and MMIO: 511).
 * User pages are mapped 4 KiB at a time; no-execute is honoured when the CPU has NX. */
#include "arch.h"
#include "bootinfo.h"
#include "paging.h"
#include "pmm.h"

#include <arch/cpu.h>
#include <arch/percpu.h>
#include <mica/caps.h>

#define ENTRIES         512
#define PML4_KERNEL     256         /* first kernel-half PML4 slot */
#define LARGE_PAGE      (2UL << 20)
#define LARGE_PAGE_BITS 21
#define EARLY_MAP_END   (4UL << 30) /* boot.S maps the low 4 GiB at the physmap */

typedef uint64_t pte_t;

static paddr_t kernel_pml4;
static uint64_t pte_nx;             /* PTE_NX when the CPU has it, else 0 (the bit is reserved) */
static vaddr_t mmio_next = KERNEL_MMIO_BASE;

extern char __kernel_start[], __text_end[], __rodata_end[], __kernel_end[];

const void *
arch_boot_read(paddr_t addr, size_t len)
{
    if (addr >= EARLY_MAP_END || len > EARLY_MAP_END - addr)
        return NULL;
    return phys_to_virt(addr);
}

static pte_t *
table(paddr_t pa)
{
    return phys_to_virt(pa & PTE_ADDR);
}

static paddr_t
alloc_table(void)
{
    return pmm_alloc_zeroed(&kernel_pmm);
}

static unsigned
index_at(vaddr_t va, unsigned level)    /* level 3 = PML4 ... 0 = PT */
{
    return (va >> (PAGE_SHIFT + 9 * level)) & (ENTRIES - 1);
}

/*
 * The entry for va at the given level (0 = PT, 1 = PD), creating missing tables with
 * table_flags on the way down. NULL if a table cannot be allocated, or with create false,
 * if one is missing.
 */
static pte_t *
walk(paddr_t root, vaddr_t va, unsigned level, bool create, uint64_t table_flags)
{
    pte_t *t = table(root);
    for (unsigned l = 3; l > level; l--) {
        pte_t *e = &t[index_at(va, l)];
        if (!(*e & PTE_P)) {
            paddr_t pa;
            if (!create || !(pa = alloc_table()))
                return NULL;
            *e = pa | table_flags;
        }
        assert(!(*e & PTE_PS));     /* user walks never meet a large page */
        t = table(*e);
    }
    return &t[index_at(va, level)];
}

static void
map_kernel_range(vaddr_t start, vaddr_t end, uint64_t flags)
{
    for (vaddr_t va = start; va < end; va += PAGE_SIZE) {
        pte_t *e = walk(kernel_pml4, va, 0, true, PTE_P | PTE_W);
        if (!e)
            panic("paging: out of memory mapping the kernel image");
        *e = virt_to_phys((void *)va) | flags;
    }
}

static void
map_physmap(paddr_t end)
{
    for (paddr_t pa = 0; pa < end; pa += LARGE_PAGE) {
        pte_t *e = walk(kernel_pml4, PHYSMAP_BASE + pa, 1, true, PTE_P | PTE_W);
        if (!e)
            panic("paging: out of memory mapping physical memory");
        *e = pa | PTE_P | PTE_W | PTE_PS | PTE_G | pte_nx;
    }
}

void
arch_paging_init(const struct bootinfo *bi)
{
    if (cpuid(0x80000001, 0).d & (1u << 20))
        pte_nx = PTE_NX;
    if (!(kernel_pml4 = alloc_table()))
        panic("paging: no memory for the kernel page table");

    paddr_t top = EARLY_MAP_END;    /* at least the low 4 GiB: firmware tables, devices */
    for (unsigned i = 0; i < bi->nmem; i++)
        if (bi->mem[i].type == MEM_AVAILABLE && bi->mem[i].base < PHYSMAP_MAX)
            top = MAX(top, ALIGN_UP(MIN(bi->mem[i].base + bi->mem[i].len, PHYSMAP_MAX),
                                    LARGE_PAGE));
    map_physmap(top);

    vaddr_t start = (vaddr_t)__kernel_start, text_end = (vaddr_t)__text_end;
    vaddr_t ro_end = (vaddr_t)__rodata_end, end = (vaddr_t)__kernel_end;
    map_kernel_range(start, text_end, PTE_P | PTE_G);
    map_kernel_range(text_end, ro_end, PTE_P | PTE_G | pte_nx);
    map_kernel_range(ro_end, end, PTE_P | PTE_W | PTE_G | pte_nx);
    if (!walk(kernel_pml4, KERNEL_MMIO_BASE, 0, true, PTE_P | PTE_W))
        panic("paging: no memory for the MMIO window");

    /* Every kernel-half PML4 slot in use now has its table; user roots copy these. */
    write_cr3(kernel_pml4);

    extern char boot_stack_guard[];     /* kmain's stack overflows into a fault too */
    paging_unmap_kernel_page((vaddr_t)boot_stack_guard);
}

void
paging_unmap_kernel_page(vaddr_t va)
{
    pte_t *e = walk(kernel_pml4, va, 0, false, 0);
    assert(e && (*e & PTE_P));
    *e = 0;
    invlpg(va);
}

volatile void *
paging_map_mmio(paddr_t pa)
{
    vaddr_t va = mmio_next;
    pte_t *e = walk(kernel_pml4, va, 0, false, 0);
    if (!e)
        panic("paging: MMIO window full");
    *e = ALIGN_DOWN(pa, PAGE_SIZE) | PTE_P | PTE_W | PTE_PCD | PTE_PWT | PTE_G | pte_nx;
    invlpg(va);
    mmio_next += PAGE_SIZE;
    return (volatile void *)(va + pa % PAGE_SIZE);
}

#define MSI_WINDOW      0xfee00000UL    /* the local APIC's page and the interrupt-message */
#define MSI_WINDOW_SIZE 0x100000UL      /* window around it: writes there are interrupts */

bool
arch_phys_kernel_mmio(paddr_t base, uint64_t size)
{
    if (base < MSI_WINDOW + MSI_WINDOW_SIZE && MSI_WINDOW < base + size)
        return true;
    for (vaddr_t va = KERNEL_MMIO_BASE; va < mmio_next; va += PAGE_SIZE) {
        paddr_t pa = *walk(kernel_pml4, va, 0, false, 0) & PTE_ADDR;
        if (pa - base < size)
            return true;
    }
    return false;
}

void
arch_vspace_init(paddr_t root)
{
    memcpy(table(root) + PML4_KERNEL, table(kernel_pml4) + PML4_KERNEL,
           (ENTRIES - PML4_KERNEL) * sizeof(pte_t));
}

int
arch_vspace_create(paddr_t *root)
{
    paddr_t pa = alloc_table();
    if (!pa)
        return MICA_E_NO_MEMORY;
    arch_vspace_init(pa);
    *root = pa;
    return MICA_E_OK;
}

void
arch_vspace_release(paddr_t root)
{
    struct arch_percpu *a = arch_percpu_self();
    if ((a->cr3 & PTE_ADDR) == root) {  /* one CPU for now; SMP will ask the others too */
        a->cr3 = kernel_pml4;
        write_cr3(kernel_pml4);
    }
}

int
arch_vspace_map(paddr_t root, vaddr_t va, paddr_t pa, unsigned prot)
{
    if (va % PAGE_SIZE || va < MICA_USER_BASE || va >= MICA_USER_TOP)
        return MICA_E_INVALID_ARG;
    pte_t *e = walk(root, va, 0, true, PTE_P | PTE_W | PTE_U);
    if (!e)
        return MICA_E_NO_MEMORY;
    if ((*e & PTE_P) && (*e & PTE_ADDR) != pa)
        return MICA_E_INVALID_ARG;
    bool remap = *e & PTE_P;
    *e = pa | PTE_P | PTE_U | (prot & VM_WRITE ? PTE_W : 0) | (prot & VM_EXEC ? 0 : pte_nx);
    if (remap && root == read_cr3())
        invlpg(va);
    return MICA_E_OK;
}

paddr_t
arch_vspace_lookup(paddr_t root, vaddr_t va)
{
    return va < MICA_USER_TOP ? arch_user_page(root, va, PTE_P) : 0;
}

static void
free_level(paddr_t pa, unsigned level)
{
    pte_t *t = table(pa);
    unsigned n = level == 3 ? PML4_KERNEL : ENTRIES;
    for (unsigned i = 0; i < n; i++) {
        if (!(t[i] & PTE_P))
            continue;
        if (level > 0)
            free_level(t[i] & PTE_ADDR, level - 1);
        else
            pmm_free(&kernel_pmm, t[i] & PTE_ADDR);
    }
    pmm_free(&kernel_pmm, pa);
}

void
arch_vspace_destroy(paddr_t root)
{
    free_level(root, 3);
}

/* ---- user-managed paging structures ------------------------------------------------- */

/* PCIDs: with CR4.PCIDE each address space's TLB entries carry its ASID, and a CR3 load
 * with the no-flush bit keeps them. An address space changed while another ran is marked
 * stale here, and flushed when it is next loaded (switch.h). */
bool pcid_enabled;
uint64_t pcid_mask;
static bool pcid_wanted = true;
uint64_t pcid_stale[PCID_COUNT / 64];

uint64_t
arch_space_of(paddr_t root, unsigned asid)
{
    return root | (asid & pcid_mask);
}

void
arch_tlb_tags(bool on)
{
    pcid_wanted = on;
}

bool
paging_pcid_wanted(void)
{
    return pcid_wanted;
}

void
arch_asid_new(unsigned asid)
{
    pcid_stale[asid % PCID_COUNT / 64] |= 1UL << (asid % 64);
}

/* Forget translations of root (ASID asid) after its tables changed: one page, or every
 * entry (a table went). Only this CPU can have them for now. */
static void
flush(paddr_t root, unsigned asid, vaddr_t va, bool all)
{
    uint64_t cr3 = ((struct arch_percpu *)arch_percpu_self())->cr3;
    if ((cr3 & PTE_ADDR) != root) {
        if (pcid_enabled)
            arch_asid_new(asid);    /* its entries may live on under its PCID */
        return;
    }
    if (all)
        write_cr3(cr3);             /* no no-flush bit: drops this PCID's user entries */
    else
        invlpg(va);
}

int
arch_table_map(paddr_t root, vaddr_t va, paddr_t table_pa)
{
    pte_t *t = table(root);
    for (unsigned l = 3; l > 0; l--) {
        pte_t *e = &t[index_at(va, l)];
        if (!(*e & PTE_P)) {
            *e = table_pa | PTE_P | PTE_W | PTE_U;      /* rights are the leaves' */
            return MICA_E_OK;
        }
        if (*e & PTE_PS)
            return MICA_E_SLOT_FULL;                    /* a large page covers va */
        t = table(*e);
    }
    return MICA_E_SLOT_FULL;
}

/* The entry that holds table_pa on the walk to va, or NULL. */
static pte_t *
table_entry(paddr_t root, vaddr_t va, paddr_t table_pa)
{
    pte_t *t = table(root);
    for (unsigned l = 3; l > 0; l--) {
        pte_t *e = &t[index_at(va, l)];
        if (!(*e & PTE_P) || (*e & PTE_PS))
            return NULL;
        if ((*e & PTE_ADDR) == table_pa)
            return e;
        t = table(*e);
    }
    return NULL;
}

bool
arch_table_reachable(paddr_t root, vaddr_t va, paddr_t table_pa)
{
    return table_entry(root, va, table_pa) != NULL;
}

void
arch_table_unmap(paddr_t root, unsigned asid, vaddr_t va, paddr_t table_pa)
{
    pte_t *e = table_entry(root, va, table_pa);
    if (e) {
        *e = 0;
        flush(root, asid, va, true);
    }
}

bool
arch_table_empty(paddr_t table_pa)
{
    const pte_t *t = table(table_pa);
    for (unsigned i = 0; i < ENTRIES; i++)
        if (t[i] & PTE_P)
            return false;
    return true;
}

/* The entry that maps va at level (0: 4 KiB, 1: 2 MiB), or NULL if a table is missing. */
static pte_t *
leaf_entry(paddr_t root, vaddr_t va, unsigned level, int *err)
{
    pte_t *t = table(root);
    for (unsigned l = 3; l > level; l--) {
        pte_t *e = &t[index_at(va, l)];
        if (!(*e & PTE_P) || (*e & PTE_PS)) {
            *err = *e & PTE_P ? MICA_E_SLOT_FULL : MICA_E_NO_TABLE;
            return NULL;
        }
        t = table(*e);
    }
    return &t[index_at(va, level)];
}

int
arch_frame_map(paddr_t root, vaddr_t va, paddr_t pa, unsigned bits, unsigned attrs)
{
    int err = MICA_E_OK;
    bool large = bits == LARGE_PAGE_BITS;
    pte_t *e = leaf_entry(root, va, large, &err);
    if (!e)
        return err;
    if (*e & PTE_P)
        return MICA_E_SLOT_FULL;
    *e = pa | PTE_P | PTE_U | (large ? PTE_PS : 0) | (attrs & MICA_MAP_WRITE ? PTE_W : 0) |
         (attrs & MICA_MAP_EXEC ? 0 : pte_nx) | (attrs & MICA_MAP_UNCACHED ? PTE_PCD | PTE_PWT : 0);
    return MICA_E_OK;
}

void
arch_frame_unmap(paddr_t root, unsigned asid, vaddr_t va, paddr_t pa, unsigned bits)
{
    int err;
    bool large = bits == LARGE_PAGE_BITS;
    pte_t *e = leaf_entry(root, va, large, &err);
    if (e && (*e & PTE_P) && !(*e & PTE_PS) == !large && (*e & PTE_ADDR) == pa) {
        *e = 0;
        flush(root, asid, va, false);
    }
}

paddr_t
arch_vspace_query(paddr_t root, vaddr_t va, unsigned *attrs)
{
    pte_t *t = table(root);
    for (unsigned l = 3;; l--) {
        pte_t e = t[index_at(va, l)];
        if (!(e & PTE_P))
            return 0;
        if (l == 0 || (l == 1 && (e & PTE_PS))) {
            *attrs = (e & PTE_W ? MICA_MAP_WRITE : 0) | (e & pte_nx ? 0 : MICA_MAP_EXEC) |
                     (e & PTE_PCD ? MICA_MAP_UNCACHED : 0);
            uint64_t span = l ? LARGE_PAGE : PAGE_SIZE;
            return (e & PTE_ADDR & ~(span - 1)) + va % span;
        }
        if (e & PTE_PS)
            return 0;                   /* 1 GiB pages are never made here */
        t = table(e);
    }
}
