// SPDX-License-Identifier: MIT
/* ELF64 validation. Every field of an untrusted image that the loader will later use is
 * checked here, with overflow-safe arithmetic, so the loader can trust what it reads. */
#include "elf.h"

#define ET_EXEC         2

static bool
add_overflows(uint64_t a, uint64_t b, uint64_t *sum)
{
    return __builtin_add_overflow(a, b, sum);
}

static int
reject(const char **why, const char *reason)
{
    *why = reason;
    return MICA_E_BAD_ELF;
}

static int
check_segment(const struct elf64_phdr *ph, size_t size, const struct elf_limits *lim,
              const char **why)
{
    uint64_t fend, vend;
    if (ph->filesz > ph->memsz)
        return reject(why, "segment file size exceeds its memory size");
    if (add_overflows(ph->offset, ph->filesz, &fend) || fend > size)
        return reject(why, "segment extends past the end of the file");
    if (add_overflows(ph->vaddr, ph->memsz, &vend))
        return reject(why, "segment address range wraps around");
    if (ph->memsz == 0)
        return MICA_E_OK;
    if (ph->vaddr < lim->user_base || vend > lim->user_top)
        return reject(why, "segment outside user space");
    if (ph->align > 1 && (ph->vaddr - ph->offset) % lim->page_size)
        return reject(why, "segment address and file offset not congruent modulo the page size");
    return MICA_E_OK;
}

int
elf_check(const void *image, size_t size, const struct elf_limits *lim, const char **why)
{
    const struct elf64_ehdr *eh = image;
    uint64_t phend;

    if (size < sizeof(*eh))
        return reject(why, "shorter than an ELF header");
    if (__builtin_memcmp(eh->ident, "\177ELF", 4))
        return reject(why, "no ELF magic");
    if (eh->ident[4] != 2 || eh->ident[5] != 1 || eh->ident[6] != 1)
        return reject(why, "not a little-endian ELF64 version 1 image");
    if (eh->type != ET_EXEC)
        return reject(why, "not an executable (ET_EXEC)");
    if (eh->machine != lim->machine)
        return reject(why, "built for another machine");
    if (eh->phentsize != sizeof(struct elf64_phdr))
        return reject(why, "unexpected program header size");
    if (eh->phnum == 0 || eh->phnum > ELF_MAX_PHDRS)
        return reject(why, "no program headers, or too many");
    if (eh->phoff % 8 || add_overflows(eh->phoff, (uint64_t)eh->phnum * eh->phentsize, &phend) ||
        phend > size)
        return reject(why, "program headers outside the file");

    bool entry_ok = false;
    unsigned loads = 0;
    uint64_t prev_start = 0, prev_end = 0;      /* the last loadable segment's range */
    for (unsigned i = 0; i < eh->phnum; i++) {
        const struct elf64_phdr *ph = elf_phdr(image, i);
        if (ph->type != ELF_PT_LOAD)
            continue;
        int err = check_segment(ph, size, lim, why);
        if (err)
            return err;
        if (ph->memsz == 0)
            continue;
        /* Loadable segments come in address order (the ELF specification says so), which
         * loaders rely on: then each only needs to be checked against the one before. */
        if (loads && ph->vaddr < prev_start)
            return reject(why, "segments not in address order");
        if (loads && ph->vaddr < prev_end)
            return reject(why, "two segments overlap");
        prev_start = ph->vaddr;
        prev_end = ph->vaddr + ph->memsz;       /* check_segment: no wrap */
        loads++;
        if ((ph->flags & ELF_PF_X) && eh->entry >= ph->vaddr && eh->entry < ph->vaddr + ph->memsz)
            entry_ok = true;
    }
    if (!loads)
        return reject(why, "nothing to load");
    if (!entry_ok)
        return reject(why, "entry point not in an executable segment");
    *why = NULL;
    return MICA_E_OK;
}
