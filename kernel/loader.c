// SPDX-License-Identifier: MIT
/* Boot tasks: each boot module is an ELF64 executable that gets an address space, a stack
 * and a thread. The image is untrusted: elf_check() has vetted every field used here, and a
 * module that fails is refused with a message while the others start. */
#include "arch.h"
#include "elf.h"
#include "loader.h"
#include "pmm.h"
#include "root.h"

static const struct elf_limits user_limits = {
    .user_base = MICA_USER_BASE,
    .user_top = MICA_BOOT_MODULES_VADDR,        /* below the modules and the stack */
    .page_size = PAGE_SIZE,
    .machine = MICA_ELF_MACHINE,
};

void
module_name(const struct boot_module *m, char *name, size_t size)
{
    const char *s = m->cmdline, *end = s;
    while (*end && *end != ' ')
        end++;
    for (const char *p = s; p < end; p++)
        if (*p == '/')
            s = p + 1;
    size_t len = (size_t)(end - s);
    if (len > 4 && !strncmp(end - 4, ".elf", 4))
        len -= 4;
    len = MIN(len, size - 1);
    memcpy(name, s, len);
    name[len] = '\0';
    if (!len)
        strlcpy(name, "module", size);
}

/* The page at va in root, allocated and zeroed on first use, mapped with the rights prot. */
static int
segment_page(paddr_t root, vaddr_t va, unsigned prot, uint8_t **page)
{
    paddr_t pa = arch_vspace_lookup(root, va);
    if (!pa && !(pa = pmm_alloc_zeroed(&kernel_pmm)))
        return MICA_E_NO_MEMORY;
    int err = arch_vspace_map(root, va, pa, prot);
    if (err) {
        if (!arch_vspace_lookup(root, va))
            pmm_free(&kernel_pmm, pa);
        return err;
    }
    *page = phys_to_virt(pa);
    return MICA_E_OK;
}

/* The rights of the page at va: those of every segment on it (linkers may share a page
 * between segments). */
static unsigned
page_prot(const uint8_t *image, vaddr_t va)
{
    const struct elf64_ehdr *eh = (const void *)image;
    unsigned prot = VM_READ;
    for (unsigned i = 0; i < eh->phnum; i++) {
        const struct elf64_phdr *ph = elf_phdr(image, i);
        if (ph->type != ELF_PT_LOAD || !ph->memsz || ph->vaddr >= va + PAGE_SIZE ||
            ph->vaddr + ph->memsz <= va)
            continue;
        prot |= (ph->flags & ELF_PF_W ? VM_WRITE : 0) | (ph->flags & ELF_PF_X ? VM_EXEC : 0);
    }
    return prot;
}

static int
load_segment(paddr_t root, const uint8_t *image, const struct elf64_phdr *ph)
{
    vaddr_t file_end = ph->vaddr + ph->filesz;
    for (vaddr_t va = ALIGN_DOWN(ph->vaddr, PAGE_SIZE); va < ph->vaddr + ph->memsz; va += PAGE_SIZE) {
        uint8_t *page;
        int err = segment_page(root, va, page_prot(image, va), &page);
        if (err)
            return err;
        vaddr_t from = MAX(va, ph->vaddr), to = MIN(va + PAGE_SIZE, file_end);
        if (from < to)
            memcpy(page + (from - va), image + ph->offset + (from - ph->vaddr), to - from);
    }
    return MICA_E_OK;
}

int
loader_load(const struct boot_module *m, paddr_t *root, vaddr_t *entry, const char **why)
{
    const uint8_t *image = phys_to_virt(m->start);
    size_t size = m->end - m->start;
    int err;

    if ((err = elf_check(image, size, &user_limits, why)))
        return err;
    if ((err = arch_vspace_create(root)))
        goto fail_nomem;
    const struct elf64_ehdr *eh = (const void *)image;
    for (unsigned i = 0; i < eh->phnum; i++) {
        const struct elf64_phdr *ph = elf_phdr(image, i);
        if (ph->type == ELF_PT_LOAD && ph->memsz && (err = load_segment(*root, image, ph)))
            goto fail;
    }
    for (vaddr_t va = MICA_BOOT_STACK_TOP - MICA_BOOT_STACK_SIZE; va < MICA_BOOT_STACK_TOP;
         va += PAGE_SIZE) {
        uint8_t *page;
        if ((err = segment_page(*root, va, VM_READ | VM_WRITE, &page)))
            goto fail;
    }
    *entry = eh->entry;
    return MICA_E_OK;
fail:
    arch_vspace_destroy(*root);
fail_nomem:
    *why = mica_strerror(err);
    return err;
}

void
loader_start_boot_tasks(const struct bootinfo *bi)
{
    for (unsigned i = 0; i < bi->nmod; i++) {
        char name[32];
        const char *why = NULL;
        paddr_t root;
        vaddr_t entry;
        module_name(&bi->mod[i], name, sizeof(name));
        if (i && !elf_is_elf(phys_to_virt(bi->mod[i].start), bi->mod[i].end - bi->mod[i].start)) {
            kprintf("mica: boot module %u '%s': data, not a program\n", i, name);
            continue;                   /* for the root task to read (a manifest) */
        }
        int err = loader_load(&bi->mod[i], &root, &entry, &why);
        if (!err && (err = boot_task_create(i, name, root, entry, bi))) {
            arch_vspace_destroy(root);
            why = mica_strerror(err);
        }
        if (err)
            kprintf("mica: boot module %u '%s' refused: %s\n", i, name, why);
        else
            kprintf("mica: boot module %u '%s' %s\n", i, name,
                    i ? "loaded, suspended" : "started as the root task");
    }
}
