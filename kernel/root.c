// SPDX-License-Identifier: MIT
/* Boot tasks and the root task's authority. At boot the kernel makes each boot task's
 * thread and CNode from the boot allocator; the root task (module 0) also gets every boot
 * module, the I/O ports and the IRQ lines, and finally all remaining memory as untyped
 * capabilities (DESIGN.md, "User level"). Its boot information page says which slot holds
 * what (abi/mica/bootinfo.h). The kernel also loads the other modules into tasks of their
 * own, with nothing but their own thread, CNode and address space, suspended: the root
 * task, holding their capabilities, gives them what they need and resumes them. (Once it
 * can map frames, the root task will build them from the modules itself.) */
#include "device.h"
#include "loader.h"
#include "object.h"
#include "pmm.h"
#include "root.h"
#include "thread.h"
#include "vspace.h"

#include <mica/bootinfo.h>
#include <mica/invocation.h>

#define ROOT_CNODE_BITS     12      /* 4096 slots */
#define TASK_CNODE_BITS     6       /* 64 slots: one page */

static struct {
    struct cte *cnode;              /* the root task's slots; NULL until it exists */
    uint64_t next_slot;
    struct mica_bootinfo *info;
} root;

static void
give(struct cte *cnode, uint64_t slot, const struct cap *cap)
{
    cte_insert(&cnode[slot], cap, NULL);
}

/* The boot modules: mapped read-only in the root task, one frame capability per page. */
static void
give_modules(const struct bootinfo *bi, paddr_t vspace)
{
    struct mica_bootinfo *info = root.info;
    vaddr_t va = MICA_BOOT_MODULES_VADDR;
    for (unsigned i = 0; i < bi->nmod && i < MICA_BOOT_MAX_MODULES; i++) {
        const struct boot_module *m = &bi->mod[i];
        struct mica_boot_module *out = &info->module[info->module_count++];
        paddr_t first = ALIGN_DOWN(m->start, PAGE_SIZE), end = ALIGN_UP(m->end, PAGE_SIZE);
        module_name(m, out->name, sizeof(out->name));
        out->vaddr = va + (m->start - first);
        out->size = m->end - m->start;
        out->first_frame = root.next_slot;
        for (paddr_t pa = first; pa < end; pa += PAGE_SIZE, va += PAGE_SIZE) {
            if (root.next_slot >> ROOT_CNODE_BITS || arch_vspace_map(vspace, va, pa, VM_READ)) {
                kprintf("mica: boot module '%s' only partly given to the root task\n", out->name);
                return;
            }
            struct cap frame = { .type = MICA_OBJ_FRAME, .rights = MICA_RIGHTS_ALL,
                                 .size_bits = MICA_FRAME_BITS, .obj = pa };
            give(root.cnode, root.next_slot++, &frame);
            out->frames++;
        }
        va += PAGE_SIZE;                /* a guard page between modules */
    }
}

static int
root_setup(struct tcb *t, struct cte *cnode, paddr_t vspace, const struct bootinfo *bi)
{
    paddr_t info = pmm_alloc_zeroed(&kernel_pmm), ipc = pmm_alloc_zeroed(&kernel_pmm);
    if (!info || !ipc || arch_vspace_map(vspace, MICA_BOOT_INFO_VADDR, info, VM_READ) ||
        arch_vspace_map(vspace, MICA_BOOT_IPC_VADDR, ipc, VM_READ | VM_WRITE))
        return MICA_E_NO_MEMORY;        /* at boot: the pages stay with the kernel */
    t->ipc_buffer = MICA_BOOT_IPC_VADDR;
    root.cnode = cnode;
    root.info = phys_to_virt(info);
    root.info->cnode_size_bits = ROOT_CNODE_BITS;
    root.info->ipc_buffer = MICA_BOOT_IPC_VADDR;
    strlcpy(root.info->cmdline, bi->cmdline, sizeof(root.info->cmdline));
    /* Untyped memory is handed out last but gets the first slots, so that no number of
     * module pages can crowd it out of the CNode. */
    root.info->first_untyped = MICA_SLOT_FIRST_FREE;
    root.next_slot = MICA_SLOT_FIRST_FREE + MICA_BOOT_MAX_UNTYPED;

    struct cap devices = device_memory_all();
    give(cnode, MICA_SLOT_DEVICE_MEMORY, &devices);
    give(cnode, MICA_SLOT_IRQ_CONTROL,
         &(struct cap){ .type = MICA_OBJ_IRQ_CONTROL, .rights = MICA_RIGHTS_ALL });
    give(cnode, MICA_SLOT_IO_PORTS, &(struct cap){ .type = MICA_OBJ_IO_PORTS,
                                                   .rights = MICA_RIGHTS_ALL,
                                                   .badge = 0xffffUL << 16 });
    give_modules(bi, vspace);
    root.info->first_free_slot = root.next_slot;
    return MICA_E_OK;
}

/* The root task gets copies of a boot task's capabilities, to set it up and resume it. */
static void
give_task(unsigned i, struct cte *cnode)
{
    struct mica_boot_module *m = &root.info->module[i];
    if (i >= MICA_BOOT_MAX_MODULES || (root.next_slot + 3) >> ROOT_CNODE_BITS)
        return;
    m->tcb = root.next_slot++;
    m->cnode = root.next_slot++;
    m->vspace = root.next_slot++;
    cte_derive(&root.cnode[m->tcb], &cnode[MICA_SLOT_TCB], MICA_RIGHTS_ALL, 0);
    cte_derive(&root.cnode[m->cnode], &cnode[MICA_SLOT_CNODE], MICA_RIGHTS_ALL, 0);
    cte_derive(&root.cnode[m->vspace], &cnode[MICA_SLOT_VSPACE], MICA_RIGHTS_ALL, 0);
    root.info->first_free_slot = root.next_slot;
}

int
boot_task_create(unsigned i, const char *name, paddr_t vspace, vaddr_t entry,
                 const struct bootinfo *boot)
{
    const struct bootinfo *bi = i == 0 ? boot : NULL;
    unsigned cbits = bi ? ROOT_CNODE_BITS : TASK_CNODE_BITS;
    paddr_t cn = pmm_alloc_block(&kernel_pmm, cbits + MICA_CNODE_SLOT_BITS);
    paddr_t tp = pmm_alloc_block(&kernel_pmm, MICA_TCB_BITS);
    if (!cn || !tp)
        return MICA_E_NO_MEMORY;        /* at boot: a partial block stays with the kernel */

    struct cap cap;
    object_create(MICA_OBJ_CNODE, cbits, cn, &cap);
    struct cte *cnode = phys_to_virt(cn);
    give(cnode, MICA_SLOT_CNODE, &cap);
    object_create(MICA_OBJ_TCB, 0, tp, &cap);
    give(cnode, MICA_SLOT_TCB, &cap);
    unsigned asid = asid_alloc(vspace);
    if (!asid)
        return MICA_E_NO_MEMORY;
    give(cnode, MICA_SLOT_VSPACE, &(struct cap){ .type = MICA_OBJ_VSPACE,
                                                 .rights = MICA_RIGHTS_ALL, .obj = vspace,
                                                 .badge = asid });

    struct tcb *t = phys_to_virt(tp);
    thread_init(t, name);
    cte_derive(&t->ctable, &cnode[MICA_SLOT_CNODE], MICA_RIGHTS_ALL, 0);
    cte_derive(&t->vtable, &cnode[MICA_SLOT_VSPACE], MICA_RIGHTS_ALL, 0);
    t->space = arch_space_of(vspace, asid);
    t->prio = MICA_BOOT_PRIO;
    t->mcp = bi ? MICA_MAX_PRIO : MICA_BOOT_PRIO;
    arch_thread_init(t, entry, MICA_BOOT_STACK_TOP, bi ? MICA_BOOT_INFO_VADDR : 0);
    if (bi) {
        int err = root_setup(t, cnode, vspace, bi);
        if (err)
            return err;
    }
    if (root.cnode && !bi) {
        give_task(i, cnode);            /* the root task starts it */
    } else {
        t->flags |= MICA_TCB_FLAG_HALT; /* the root task, or a task nobody else can start: */
        thread_resume(t);               /* with no root task, the boot tasks are the system */
    }
    return MICA_E_OK;
}

void
root_give_untyped(void)
{
    struct mica_bootinfo *info = root.info;
    struct pmm *pmm = &kernel_pmm;
    if (!info)
        return;
    while (pmm->nrange && info->untyped_count < MICA_BOOT_MAX_UNTYPED) {
        /* The largest block at the start of the first range that is aligned to its size. */
        paddr_t base = pmm->range[0].base;
        uint64_t len = pmm->range[0].end - base;
        unsigned bits = MIN((unsigned)__builtin_ctzll(base), 63u - (unsigned)__builtin_clzll(len));
        bits = MIN(bits, (unsigned)MICA_UNTYPED_MAX_BITS);
        pmm_reserve(pmm, base, 1UL << bits);            /* shrinks the range: never fails */
        struct cap ut = { .type = MICA_OBJ_UNTYPED, .rights = MICA_RIGHTS_ALL,
                          .size_bits = (uint8_t)bits, .obj = base };
        give(root.cnode, info->first_untyped + info->untyped_count, &ut);
        info->untyped[info->untyped_count++] = (struct mica_boot_untyped){
            .paddr = base, .size_bits = (uint8_t)bits };
    }
    uint64_t total = 0;
    for (unsigned i = 0; i < info->untyped_count; i++)
        total += 1UL << info->untyped[i].size_bits;
    kprintf("mica: root task holds %lu KiB of untyped memory in %lu capabilities\n",
            total / 1024, info->untyped_count);
    if (pmm->nrange)
        kprintf("mica: %lu KiB of memory left unused (out of untyped slots)\n",
                pmm->free_pages * (PAGE_SIZE / 1024));
}

struct cte *
root_cnode(void)
{
    return root.cnode;
}

bool
root_untyped_memory(paddr_t pa)
{
    const struct mica_bootinfo *info = root.info;
    for (unsigned i = 0; info && i < info->untyped_count; i++)
        if (pa - info->untyped[i].paddr < 1UL << info->untyped[i].size_bits)
            return true;
    return false;
}
