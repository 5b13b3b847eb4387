// SPDX-License-Identifier: MIT
/*
 * Tasks from ELF images, made in user space: the image is checked by the same validator the
 * kernel uses for the root task (kernel/elf.c), then every object of the task (CNode,
 * VSpace, TCB, page tables, frames) is retyped from the task's own untyped capability.
 * Each page is filled through the spawner's scratch page, then mapped into the task; the
 * frame and page-table capabilities move into the task's CNode, from the top down, so the
 * spawner keeps nothing but its capabilities to the TCB, CNode and VSpace, and revoking the
 * untyped capability ends the task and frees all of its memory.
 */
#include <string.h>

#include "../kernel/elf.h"     /* the kernel's validator, shared */
#include "spawn.h"

static const struct elf_limits limits = {
    .user_base = MICA_USER_BASE,
    .user_top = MICA_BOOT_MODULES_VADDR,    /* as for boot tasks: below modules and stack */
    .page_size = 4096,
    .machine = MICA_ELF_MACHINE,
};

/* Move our capability in slot into the task's CNode, the next slot from the top. */
static long
give_memory(struct mica_task *t, uint64_t slot)
{
    if (t->next_memory_slot < MICA_TASK_SLOT_FIRST_FREE)
        return MICA_E_NO_MEMORY;                /* its CNode is too small for its image */
    return mica_cnode_move(t->cnode, t->next_memory_slot--, MICA_SLOT_CNODE, slot);
}

/* Map the frame in slot at va of the task, with the page tables that are missing. */
static long
map_into(const struct mica_spawner *sp, struct mica_task *t, uint64_t slot, uint64_t va,
         unsigned attrs)
{
    long err;
    uint64_t table = sp->temp_slot + 1;
    for (int level = 0; (err = mica_frame_map(slot, t->vspace, va, attrs)) == MICA_E_NO_TABLE &&
                        level < 3; level++) {
        if ((err = mica_untyped_retype(t->untyped, MICA_OBJ_PAGE_TABLE, 0, MICA_SLOT_CNODE,
                                       table, 1)) ||
            (err = mica_page_table_map(table, t->vspace, va)) || (err = give_memory(t, table)))
            return err;
    }
    return err;
}

/* A new page at va of the task: zeroed, with what the image's segments put there. */
static long
make_page(const struct mica_spawner *sp, struct mica_task *t, const uint8_t *image,
          uint64_t va, unsigned attrs)
{
    const struct elf64_ehdr *eh = (const void *)image;
    uint64_t frame = sp->temp_slot;
    long err;
    if ((err = mica_untyped_retype(t->untyped, MICA_OBJ_FRAME, 12, MICA_SLOT_CNODE, frame, 1)))
        return err;
    if (image) {                                /* retype zeroed it: copy the file's part */
        if ((err = mica_frame_map(frame, MICA_SLOT_VSPACE, sp->scratch, MICA_MAP_WRITE)))
            return err;
        for (unsigned i = 0; i < eh->phnum; i++) {
            const struct elf64_phdr *ph = elf_phdr(image, i);
            uint64_t from = ph->vaddr > va ? ph->vaddr : va;
            uint64_t to = ph->vaddr + ph->filesz < va + 4096 ? ph->vaddr + ph->filesz : va + 4096;
            if (ph->type == ELF_PT_LOAD && from < to)
                memcpy((uint8_t *)sp->scratch + (from - va), image + ph->offset + (from - ph->vaddr),
                       to - from);
        }
        mica_frame_unmap(frame);
    }
    if ((err = map_into(sp, t, frame, va, attrs)) || (err = give_memory(t, frame)))
        return err;
    t->pages++;
    return MICA_E_OK;
}

/* The attributes of the page at va: those of every segment on it (linkers may share a
 * page between segments). */
static unsigned
page_attrs(const uint8_t *image, uint64_t va)
{
    const struct elf64_ehdr *eh = (const void *)image;
    unsigned attrs = 0;
    for (unsigned i = 0; i < eh->phnum; i++) {
        const struct elf64_phdr *ph = elf_phdr(image, i);
        if (ph->type != ELF_PT_LOAD || !ph->memsz || ph->vaddr >= va + 4096 ||
            ph->vaddr + ph->memsz <= va)
            continue;
        attrs |= (ph->flags & ELF_PF_W ? MICA_MAP_WRITE : 0) |
                 (ph->flags & ELF_PF_X ? MICA_MAP_EXEC : 0);
    }
    return attrs;
}

static long
load(const struct mica_spawner *sp, struct mica_task *t, const uint8_t *image)
{
    const struct elf64_ehdr *eh = (const void *)image;
    uint64_t done = 0;                          /* pages below this exist already */
    long err;
    for (unsigned i = 0; i < eh->phnum; i++) {  /* PT_LOADs come in address order */
        const struct elf64_phdr *ph = elf_phdr(image, i);
        if (ph->type != ELF_PT_LOAD || !ph->memsz)
            continue;
        for (uint64_t va = ph->vaddr & ~4095UL; va < ph->vaddr + ph->memsz; va += 4096) {
            if (va < done)
                continue;                       /* shared with the segment before */
            if ((err = make_page(sp, t, image, va, page_attrs(image, va))))
                return err;
            done = va + 4096;
        }
    }
    for (uint64_t va = MICA_BOOT_STACK_TOP - MICA_BOOT_STACK_SIZE; va < MICA_BOOT_STACK_TOP;
         va += 4096)
        if ((err = make_page(sp, t, NULL, va, MICA_MAP_WRITE)))
            return err;
    return MICA_E_OK;
}

long
mica_spawn(const struct mica_spawner *sp, struct mica_task *t, const void *image, size_t size,
           const char **why)
{
    long err;
    *why = NULL;
    if ((err = elf_check(image, size, &limits, why)))
        return err;
    t->pages = 0;
    t->next_memory_slot = (1UL << t->cnode_bits) - 1;
    t->entry = ((const struct elf64_ehdr *)image)->entry;
    if ((err = mica_untyped_retype(t->untyped, MICA_OBJ_CNODE, t->cnode_bits, MICA_SLOT_CNODE,
                                   t->cnode, 1)) ||
        (err = mica_untyped_retype(t->untyped, MICA_OBJ_VSPACE, 0, MICA_SLOT_CNODE, t->vspace, 1)) ||
        (err = mica_untyped_retype(t->untyped, MICA_OBJ_TCB, 0, MICA_SLOT_CNODE, t->tcb, 1)) ||
        (err = mica_cnode_copy(t->cnode, MICA_TASK_SLOT_TCB, MICA_SLOT_CNODE, t->tcb,
                               MICA_RIGHTS_ALL)) ||
        (err = mica_cnode_copy(t->cnode, MICA_TASK_SLOT_CNODE, MICA_SLOT_CNODE, t->cnode,
                               MICA_RIGHTS_ALL)) ||
        (err = mica_cnode_copy(t->cnode, MICA_TASK_SLOT_VSPACE, MICA_SLOT_CNODE, t->vspace,
                               MICA_RIGHTS_ALL)) ||
        (err = load(sp, t, image)) ||
        (err = mica_tcb_configure(t->tcb, t->cnode, t->vspace, 0, t->fault_ep)) ||
        (err = mica_tcb_set_priority(t->tcb, t->prio)) ||
        (err = mica_tcb_set_mcp(t->tcb, t->prio)) ||   /* its threads: up to its priority */
        (t->name && (err = mica_tcb_set_name(t->tcb, t->name))))
        return err;
    uint64_t regs[MICA_REG_COUNT] = { 0 };
    regs[MICA_REG_RIP] = t->entry;
    regs[MICA_REG_RSP] = MICA_BOOT_STACK_TOP;
    return mica_tcb_write_regs(t->tcb, regs);
}
