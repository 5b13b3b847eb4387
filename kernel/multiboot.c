// SPDX-License-Identifier: MIT
/* Multiboot2 (GRUB) and Multiboot1 (QEMU's -kernel) boot information, read into struct
 * bootinfo. The loader's structures are untrusted input: every length is checked against
 * its container before use, and strings are never read past their tag. */
#include "bootinfo.h"

#include <mica/bootinfo.h>

/* Multiboot2 tag types used here (Multiboot2 spec, section 3.6). */
enum {
    MB2_TAG_END = 0,
    MB2_TAG_CMDLINE = 1,
    MB2_TAG_MODULE = 3,
    MB2_TAG_MMAP = 6,
};

#define MB2_INFO_MAX    (1u << 20)      /* no sane loader writes more boot information */

/* Multiboot1 info flags and layouts (Multiboot 0.6.96, section 3.3). */
#define MB1_FLAG_CMDLINE    (1u << 2)
#define MB1_FLAG_MODS       (1u << 3)
#define MB1_FLAG_MMAP       (1u << 6)

struct mb1_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
} __attribute__((packed));

struct mb1_module {
    uint32_t start, end;
    uint32_t cmdline;
    uint32_t reserved;
} __attribute__((packed));

struct mb1_mmap_entry {
    uint32_t size;          /* of the rest of the entry, not counting this field */
    uint64_t base, len;
    uint32_t type;
} __attribute__((packed));

static void
copy_str(char *dst, size_t size, const char *src, size_t srclen)
{
    size_t n = strnlen(src, MIN(srclen, size - 1));
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void
add_region(struct bootinfo *bi, uint64_t base, uint64_t len, uint32_t type)
{
    if (bi->nmem == BOOT_MAX_REGIONS) {
        bi->dropped++;
        return;
    }
    bi->mem[bi->nmem++] = (struct mem_region){ base, len, type };
}

static int
add_module(struct bootinfo *bi, uint64_t start, uint64_t end, const char *cmd, size_t cmdlen)
{
    if (end < start)
        return MICA_E_INVALID_ARG;
    if (bi->nmod == BOOT_MAX_MODULES) {
        bi->dropped++;
        return MICA_E_OK;
    }
    struct boot_module *m = &bi->mod[bi->nmod++];
    m->start = start;
    m->end = end;
    copy_str(m->cmdline, sizeof(m->cmdline), cmd, cmdlen);
    return MICA_E_OK;
}

static uint32_t
rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t
rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static int
parse_mb2_mmap(struct bootinfo *bi, const uint8_t *tag, uint32_t size)
{
    if (size < 16)
        return MICA_E_INVALID_ARG;
    uint32_t esize = rd32(tag + 8);
    if (esize < 24 || esize % 8)
        return MICA_E_INVALID_ARG;
    for (uint64_t off = 16; off + esize <= size; off += esize)     /* 64-bit: no wrap */
        add_region(bi, rd64(tag + off), rd64(tag + off + 8), rd32(tag + off + 16));
    return MICA_E_OK;
}

static int
parse_mb2(struct bootinfo *bi, paddr_t addr, phys_reader_fn read)
{
    const uint8_t *hdr = read(addr, 8);
    if (!hdr || addr % 8)
        return MICA_E_INVALID_ARG;
    uint32_t total = rd32(hdr);
    if (total < 16 || total > MB2_INFO_MAX)
        return MICA_E_INVALID_ARG;
    const uint8_t *info = read(addr, total);
    if (!info)
        return MICA_E_INVALID_ARG;

    for (uint32_t off = 8, size; off + 8 <= total; off = ALIGN_UP(off + size, 8u)) {
        const uint8_t *tag = info + off;
        uint32_t type = rd32(tag);
        size = rd32(tag + 4);
        if (size < 8 || size > total - off)
            return MICA_E_INVALID_ARG;
        int err = MICA_E_OK;
        switch (type) {
        case MB2_TAG_END:
            return MICA_E_OK;
        case MB2_TAG_CMDLINE:
            copy_str(bi->cmdline, sizeof(bi->cmdline), (const char *)tag + 8, size - 8);
            break;
        case MB2_TAG_MODULE:
            if (size < 16)
                return MICA_E_INVALID_ARG;
            err = add_module(bi, rd32(tag + 8), rd32(tag + 12), (const char *)tag + 16, size - 16);
            break;
        case MB2_TAG_MMAP:
            err = parse_mb2_mmap(bi, tag, size);
            break;
        default:        /* framebuffer, ACPI, ...: not ours to read yet */
            break;
        }
        if (err)
            return err;
    }
    return MICA_E_INVALID_ARG;      /* ran off the end without an end tag */
}

/* A NUL-terminated string at a physical address, read at most max bytes far. */
static void
read_str(char *dst, size_t size, paddr_t addr, phys_reader_fn read)
{
    dst[0] = '\0';
    for (size_t n = size - 1; n > 0; n /= 2) {      /* the string may end near the map's end */
        const char *s = read(addr, n);
        if (s) {
            copy_str(dst, size, s, n);
            return;
        }
    }
}

static int
parse_mb1(struct bootinfo *bi, paddr_t addr, phys_reader_fn read)
{
    const struct mb1_info *info = read(addr, sizeof(*info));
    if (!info)
        return MICA_E_INVALID_ARG;
    if (info->flags & MB1_FLAG_CMDLINE)
        read_str(bi->cmdline, sizeof(bi->cmdline), info->cmdline, read);
    if (info->flags & MB1_FLAG_MMAP) {
        const uint8_t *map = read(info->mmap_addr, info->mmap_length);
        if (!map)
            return MICA_E_INVALID_ARG;
        for (uint64_t off = 0; off + sizeof(struct mb1_mmap_entry) <= info->mmap_length;) {
            uint32_t esize = rd32(map + off);
            if (esize < sizeof(struct mb1_mmap_entry) - 4)
                return MICA_E_INVALID_ARG;
            add_region(bi, rd64(map + off + 4), rd64(map + off + 12), rd32(map + off + 20));
            off += (uint64_t)esize + 4;     /* 64-bit: a huge size cannot wrap to 0 */
        }
    }
    if (info->flags & MB1_FLAG_MODS) {
        if (info->mods_count > 1024)
            return MICA_E_INVALID_ARG;
        const struct mb1_module *mods =
            read(info->mods_addr, info->mods_count * sizeof(struct mb1_module));
        if (!mods && info->mods_count)
            return MICA_E_INVALID_ARG;
        for (uint32_t i = 0; i < info->mods_count; i++) {
            char cmd[BOOT_MODNAME_MAX];
            read_str(cmd, sizeof(cmd), mods[i].cmdline, read);
            int err = add_module(bi, mods[i].start, mods[i].end, cmd, sizeof(cmd));
            if (err)
                return err;
        }
    }
    return MICA_E_OK;
}

int
bootinfo_parse(struct bootinfo *bi, uint32_t magic, paddr_t info_addr, phys_reader_fn read)
{
    memset(bi, 0, sizeof(*bi));
    if (magic == MB2_BOOT_MAGIC)
        return parse_mb2(bi, info_addr, read);
    if (magic == MB1_BOOT_MAGIC)
        return parse_mb1(bi, info_addr, read);
    return MICA_E_INVALID_ARG;
}

bool
bootinfo_option(const struct bootinfo *bi, const char *key, char *buf, size_t size)
{
    return mica_cmdline_option(bi->cmdline, key, buf, size);
}
