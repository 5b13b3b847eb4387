/* SPDX-License-Identifier: MIT */
/* ELF64 images: validation of an untrusted image before anything is loaded from it. Pure
 * code, shared with user space: the kernel loads the root task with it, lib/spawn.c the
 * rest. */
#ifndef ELF_H
#define ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/errors.h>

struct elf64_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header is 64 bytes");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header is 56 bytes");

#define ELF_PT_LOAD     1
#define ELF_PF_X        1
#define ELF_PF_W        2
#define ELF_PF_R        4
#define ELF_MAX_PHDRS   64      /* more program headers than a sane static binary has */

/* Where an image may place its segments: [user_base, user_top). */
struct elf_limits {
    uint64_t user_base;
    uint64_t user_top;
    uint64_t page_size;
    uint16_t machine;           /* required e_machine */
};

/*
 * Check that image[0, size) is an ELF64 executable we can load: identity, type, machine,
 * program headers inside the file, every PT_LOAD inside the file and inside the user range,
 * PT_LOADs in address order and sharing no address, the entry point in an executable
 * segment.
 * Returns MICA_E_OK, or MICA_E_BAD_ELF with *why set to a short reason.
 */
int elf_check(const void *image, size_t size, const struct elf_limits *lim, const char **why);

/* Whether the image starts as an ELF file does (data modules do not). */
static inline bool
elf_is_elf(const void *image, size_t size)
{
    return size >= 4 && !__builtin_memcmp(image, "\177ELF", 4);
}

/* The i-th program header of an image that passed elf_check(). */
static inline const struct elf64_phdr *
elf_phdr(const void *image, unsigned i)
{
    const struct elf64_ehdr *eh = image;
    return (const struct elf64_phdr *)((const uint8_t *)image + eh->phoff) + i;
}

#endif
