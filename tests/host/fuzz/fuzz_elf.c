// SPDX-License-Identifier: MIT
/* libFuzzer target: elf_check() (kernel/elf.c) on any bytes. An image it accepts must keep
 * every promise the loader relies on (kernel/loader.c); else the target aborts. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "elf.h"

#define USER_BASE   0x1000ul
#define USER_TOP    0x700000000000ul
#define PAGE_SIZE   4096ul

static const struct elf_limits limits = {
    .user_base = USER_BASE, .user_top = USER_TOP, .page_size = PAGE_SIZE, .machine = 62,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A buffer of exactly the image's size (ASan catches any read past it), aligned as a
     * boot module is. */
    size_t room = ((size ? size : 1) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    uint8_t *image = aligned_alloc(PAGE_SIZE, room);
    memcpy(image, data, size);
    const char *why = "unset";
    int err = elf_check(image, size, &limits, &why);
    require(err == MICA_E_OK || (err == MICA_E_BAD_ELF && why && *why));
    if (!err) {
        const struct elf64_ehdr *eh = (const void *)image;
        int entry_ok = 0;
        for (unsigned i = 0; i < eh->phnum; i++) {
            const struct elf64_phdr *ph = elf_phdr(image, i);
            if (ph->type != ELF_PT_LOAD || !ph->memsz)
                continue;
            require(ph->offset + ph->filesz <= size && ph->filesz <= ph->memsz);
            require(ph->vaddr >= USER_BASE && ph->vaddr + ph->memsz <= USER_TOP);
            volatile uint8_t sum = 0;               /* the loader copies these bytes */
            for (uint64_t b = 0; b < ph->filesz; b += 512)
                sum += image[ph->offset + b];
            (void)sum;
            entry_ok |= (ph->flags & ELF_PF_X) && eh->entry - ph->vaddr < ph->memsz;
        }
        require(entry_ok);
    }
    free(image);
    return 0;
}
