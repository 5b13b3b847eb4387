// SPDX-License-Identifier: MIT
/*
 * Device memory: physical addresses that are not RAM, for user-level drivers. The root task
 * gets one capability for all of them, a block of 2^size_bits bytes at obj; from a block,
 * ISSUE makes device frames (mapped only uncached) and smaller blocks to hand on. No RAM
 * (the boot memory map's usable, ACPI and NVS regions) and none of the kernel's own device
 * registers are ever issued as frames, so device memory leads to no kernel object. The
 * kernel never touches device memory: issuing a frame does not zero it, and an uncached
 * page is never an IPC buffer (arch_user_page).
 */
#include "arch.h"
#include "bootinfo.h"
#include "device.h"
#include "invoke.h"

struct range {
    paddr_t base, end;
};
static struct range ram[BOOT_MAX_REGIONS + BOOT_MAX_MODULES + 1];
static unsigned nram;

static bool truncated;                   /* the memory map had more than we kept */

void
device_init(const struct bootinfo *bi)
{
    extern char __kernel_start[], __kernel_end[];
    for (unsigned i = 0; i < bi->nmem; i++) {
        const struct mem_region *m = &bi->mem[i];
        if (m->type != MEM_AVAILABLE && m->type != MEM_ACPI_RECLAIMABLE && m->type != MEM_NVS)
            continue;
        ram[nram].base = m->base;
        ram[nram++].end = m->len > ~0UL - m->base ? ~0UL : m->base + m->len;
    }
    /* The kernel and the boot modules are RAM whatever the map says. */
    for (unsigned i = 0; i < bi->nmod; i++)
        ram[nram++] = (struct range){ bi->mod[i].start, bi->mod[i].end };
    ram[nram++] = (struct range){ virt_to_phys(__kernel_start), virt_to_phys(__kernel_end) };
    truncated = bi->dropped;
}

static bool
is_ram(paddr_t base, uint64_t size)
{
    for (unsigned i = 0; i < nram; i++)
        if (base < ram[i].end && ram[i].base < base + size)
            return true;
    return false;
}

struct cap
device_memory_all(void)
{
    return (struct cap){ .type = MICA_OBJ_DEVICE_MEMORY, .rights = MICA_RIGHTS_ALL,
                         .size_bits = PHYS_ADDR_BITS, .obj = 0 };
}

/* ISSUE (type, paddr, size_bits, dest_cnode, dest) */
int
device_memory_invoke(struct invocation *inv)
{
    const struct cap *block = &inv->slot->cap;
    if (inv->label != MICA_DEVICE_MEMORY_ISSUE)
        return MICA_E_BAD_METHOD;
    if (inv->len < 5)
        return MICA_E_INVALID_ARG;
    if (!(block->rights & MICA_RIGHT_WRITE))
        return MICA_E_NO_RIGHTS;
    uint64_t type = inv->mr[0], pa = inv->mr[1], bits = inv->mr[2];
    bool frame = type == MICA_OBJ_FRAME;
    if (frame ? bits != MICA_FRAME_BITS && bits != MICA_LARGE_FRAME_BITS
              : type != MICA_OBJ_DEVICE_MEMORY || bits < MICA_FRAME_BITS || bits > 63)
        return MICA_E_INVALID_ARG;
    uint64_t size = 1UL << bits, block_size = 1UL << block->size_bits;
    if (pa % size || pa < block->obj || bits > block->size_bits ||
        pa - block->obj > block_size - size)
        return MICA_E_RANGE;                    /* not inside the block */
    if (frame && (truncated || is_ram(pa, size) || arch_phys_kernel_mmio(pa, size)))
        return MICA_E_INVALID_ARG;              /* RAM, or the kernel's own registers (or
                                                 * a memory map too long to know) */

    struct cte *cnode, *dest;
    int err = lookup_cap(inv->caller, inv->mr[3], MICA_OBJ_CNODE, MICA_RIGHT_WRITE, &cnode);
    if (err)
        return err;
    if (!(dest = cnode_slot(&cnode->cap, inv->mr[4])))
        return MICA_E_RANGE;
    if (dest->cap.type != MICA_OBJ_NULL)
        return MICA_E_SLOT_FULL;
    struct cap cap = { .type = (uint8_t)type, .rights = block->rights, .size_bits = (uint8_t)bits,
                       .flags = frame ? CAP_DEVICE : 0, .obj = pa };
    cte_insert(dest, &cap, inv->slot);
    return MICA_E_OK;
}
