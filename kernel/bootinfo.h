/* SPDX-License-Identifier: MIT */
/* What the boot loader told us, copied into kernel memory in one loader-independent form. */
#ifndef BOOTINFO_H
#define BOOTINFO_H

#include "kernel.h"

#define BOOT_MAX_REGIONS    64
#define BOOT_MAX_MODULES    32
#define BOOT_CMDLINE_MAX    256
#define BOOT_MODNAME_MAX    64

enum mem_type {
    MEM_AVAILABLE = 1,      /* the Multiboot numbering */
    MEM_RESERVED = 2,
    MEM_ACPI_RECLAIMABLE = 3,
    MEM_NVS = 4,
    MEM_BAD = 5,
};

struct mem_region {
    paddr_t base;
    uint64_t len;
    uint32_t type;          /* enum mem_type; other values count as reserved */
};

struct boot_module {
    paddr_t start;          /* [start, end) in physical memory */
    paddr_t end;
    char cmdline[BOOT_MODNAME_MAX];     /* truncated, always terminated */
};

struct bootinfo {
    char cmdline[BOOT_CMDLINE_MAX];     /* the kernel command line, truncated */
    struct mem_region mem[BOOT_MAX_REGIONS];
    unsigned nmem;
    struct boot_module mod[BOOT_MAX_MODULES];
    unsigned nmod;
    unsigned dropped;       /* regions or modules beyond the limits above, ignored */
};

/*
 * Reads physical memory for a parser: returns a pointer to len readable bytes at addr,
 * or NULL when the range cannot be read (the kernel's early map covers the low 4 GiB).
 */
typedef const void *(*phys_reader_fn)(paddr_t addr, size_t len);

#define MB2_BOOT_MAGIC  0x36d76289u     /* in eax from a Multiboot2 loader (GRUB) */
#define MB1_BOOT_MAGIC  0x2badb002u     /* in eax from a Multiboot1 loader (QEMU -kernel) */

/*
 * Fill *bi from the boot information at info_addr that a loader left with the given magic.
 * Validates every size and offset; returns MICA_E_OK, or MICA_E_INVALID_ARG for a
 * structure it cannot trust (bi is then unusable).
 */
int bootinfo_parse(struct bootinfo *bi, uint32_t magic, paddr_t info_addr, phys_reader_fn read);

/* The value of "key=value" on the kernel command line, copied into buf; false if absent. */
bool bootinfo_option(const struct bootinfo *bi, const char *key, char *buf, size_t size);

#endif
