// SPDX-License-Identifier: MIT
/* libFuzzer target: bootinfo_parse() (kernel/multiboot.c) on any Multiboot2 or Multiboot1
 * information. The first byte picks the protocol; the rest is the physical memory the
 * parser may read, at ARENA_PHYS, with the information at its start (Multiboot1 pointers
 * into the arena are 32-bit physical addresses, so small ones hit it). Parsed results must
 * stay inside their bounds, strings terminated; command-line options are looked up too. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "bootinfo.h"

#define ARENA_PHYS  0x1000ul

static const uint8_t *arena;
static size_t arena_size;

static const void *
arena_read(paddr_t addr, size_t len)
{
    if (addr < ARENA_PHYS || addr - ARENA_PHYS > arena_size ||
        len > arena_size - (addr - ARENA_PHYS))
        return NULL;
    return arena + (addr - ARENA_PHYS);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint32_t magic = data[0] & 1 ? MB2_BOOT_MAGIC : MB1_BOOT_MAGIC;
    uint8_t *copy = malloc(size - 1 ? size - 1 : 1);    /* exact size: ASan sees overreads */
    memcpy(copy, data + 1, size - 1);
    arena = copy;
    arena_size = size - 1;
    static struct bootinfo bi;
    if (bootinfo_parse(&bi, magic, ARENA_PHYS, arena_read) == MICA_E_OK) {
        require(bi.nmem <= BOOT_MAX_REGIONS && bi.nmod <= BOOT_MAX_MODULES);
        require(strnlen(bi.cmdline, sizeof(bi.cmdline)) < sizeof(bi.cmdline));
        for (unsigned i = 0; i < bi.nmod; i++) {
            require(bi.mod[i].start <= bi.mod[i].end);
            require(strnlen(bi.mod[i].cmdline, BOOT_MODNAME_MAX) < BOOT_MODNAME_MAX);
        }
        char value[16];
        bootinfo_option(&bi, "debugexit", NULL, 0);
        if (bootinfo_option(&bi, "selftest", value, sizeof(value)))
            require(strnlen(value, sizeof(value)) < sizeof(value));
        bootinfo_option(&bi, "", value, 1);
    }
    free(copy);
    return 0;
}
