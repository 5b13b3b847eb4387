// SPDX-License-Identifier: MIT
/* Tests of bootinfo_parse() for Multiboot2 and Multiboot1, and bootinfo_option(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bootinfo.h"

#define ARENA_PHYS      0x200000ul      /* the physical address of arena.mem[0] */
#define MB2_INFO_MAX    (1u << 20)      /* the parser's limit on total_size (multiboot.c) */

#define MB2_TAG_END     0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MODULE  3
#define MB2_TAG_MMAP    6

#define MB1_FLAG_CMDLINE    (1u << 2)
#define MB1_FLAG_MODS       (1u << 3)
#define MB1_FLAG_MMAP       (1u << 6)

/* The readable "physical memory", from ARENA_PHYS; global because phys_reader_fn takes no
 * context. Multiboot2 info gets an arena of exactly its size, so ASan catches any read past
 * it. */
static struct {
    uint8_t *mem;
    size_t size;
} arena;

static const void *
arena_read(paddr_t addr, size_t len)
{
    if (addr < ARENA_PHYS || addr - ARENA_PHYS > arena.size ||
        len > arena.size - (addr - ARENA_PHYS))
        return NULL;
    return arena.mem + (addr - ARENA_PHYS);
}

/* A zeroed arena of exactly size bytes, replacing any earlier one. */
static uint8_t *
arena_new(size_t size)
{
    free(arena.mem);
    arena.mem = calloc(1, size ? size : 1);
    assert_non_null(arena.mem);
    arena.size = size;
    return arena.mem;
}

static void
wr32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof(v));
}

static void
wr64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, sizeof(v));
}

static int
setup(void **state)
{
    *state = calloc(1, sizeof(struct bootinfo));
    return *state ? 0 : -1;
}

static int
teardown(void **state)
{
    free(*state);
    free(arena.mem);
    arena.mem = NULL;
    arena.size = 0;
    return 0;
}

/* ---- Multiboot2 ------------------------------------------------------------------------ */

/* Multiboot2 information under construction: header, then 8-aligned tags. */
struct mb2 {
    uint8_t *buf;
    size_t cap;
    uint32_t len;
};

static void
mb2_begin(struct mb2 *b, size_t cap)
{
    b->buf = calloc(1, cap);
    assert_non_null(b->buf);
    b->cap = cap;
    b->len = 8;
}

/* Append a tag of the given size (padding to 8 follows); returns it for its payload. */
static uint8_t *
mb2_tag(struct mb2 *b, uint32_t type, uint32_t size)
{
    uint8_t *tag = b->buf + b->len;
    assert_true(b->len + ALIGN_UP(size, 8u) <= b->cap);
    wr32(tag, type);
    wr32(tag + 4, size);
    b->len += ALIGN_UP(size, 8u);
    return tag;
}

static uint8_t *
mb2_cmdline(struct mb2 *b, const char *s)
{
    uint8_t *tag = mb2_tag(b, MB2_TAG_CMDLINE, 8 + (uint32_t)strlen(s) + 1);
    memcpy(tag + 8, s, strlen(s) + 1);
    return tag;
}

static uint8_t *
mb2_module(struct mb2 *b, uint32_t start, uint32_t end, const char *name)
{
    uint8_t *tag = mb2_tag(b, MB2_TAG_MODULE, 16 + (uint32_t)strlen(name) + 1);
    wr32(tag + 8, start);
    wr32(tag + 12, end);
    memcpy(tag + 16, name, strlen(name) + 1);
    return tag;
}

/* A memory map of n entries of esize bytes: entry i is {base[i], len[i], type[i]}. */
static uint8_t *
mb2_mmap(struct mb2 *b, uint32_t esize, unsigned n, const struct mem_region *e)
{
    uint8_t *tag = mb2_tag(b, MB2_TAG_MMAP, 16 + n * esize);
    wr32(tag + 8, esize);
    wr32(tag + 12, 0);
    for (unsigned i = 0; i < n; i++) {
        wr64(tag + 16 + i * esize, e[i].base);
        wr64(tag + 16 + i * esize + 8, e[i].len);
        wr32(tag + 16 + i * esize + 16, e[i].type);
    }
    return tag;
}

static void
mb2_end(struct mb2 *b)
{
    mb2_tag(b, MB2_TAG_END, 8);
}

/* Set total_size to what was built and copy it into an arena at byte skew, followed by
 * slack bytes of 0xee (none: any read past the information trips ASan). */
static paddr_t
mb2_load_at(struct mb2 *b, size_t skew, size_t slack)
{
    wr32(b->buf, b->len);
    wr32(b->buf + 4, 0);
    uint8_t *p = arena_new(skew + b->len + slack);
    memcpy(p + skew, b->buf, b->len);
    memset(p + skew + b->len, 0xee, slack);
    free(b->buf);
    b->buf = NULL;
    return ARENA_PHYS + skew;
}

static paddr_t
mb2_load(struct mb2 *b)
{
    return mb2_load_at(b, 0, 0);
}

static int
parse_mb2(struct bootinfo *bi, paddr_t info)
{
    return bootinfo_parse(bi, MB2_BOOT_MAGIC, info, arena_read);
}

/* The smallest valid information: the header and an end tag. */
static void
mb2_header_and_end_tag_parse_to_empty_bootinfo(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, 64);
    mb2_end(&b);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_OK);
    assert_string_equal(bi->cmdline, "");
    assert_int_equal(bi->nmem, 0);
    assert_int_equal(bi->nmod, 0);
    assert_int_equal(bi->dropped, 0);
}

static void
mb2_cmdline_is_copied(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, 256);
    mb2_cmdline(&b, "debugexit selftest=ipc");
    mb2_end(&b);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_OK);
    assert_string_equal(bi->cmdline, "debugexit selftest=ipc");
}

static void
mb2_long_cmdline_is_truncated_and_terminated(void **state)
{
    struct bootinfo *bi = *state;
    char line[BOOT_CMDLINE_MAX + 50];
    memset(line, 'a', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    struct mb2 b;
    mb2_begin(&b, 1024);
    mb2_cmdline(&b, line);
    mb2_end(&b);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_OK);
    assert_int_equal(strlen(bi->cmdline), BOOT_CMDLINE_MAX - 1);
    assert_memory_equal(bi->cmdline, line, BOOT_CMDLINE_MAX - 1);
}

/* A command line without its NUL ends at its tag: the padding after it is not read. */
static void
mb2_unterminated_cmdline_stops_at_tag_end(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, 64);
    uint8_t *tag = mb2_tag(&b, MB2_TAG_CMDLINE, 8 + 3);
    memcpy(tag + 8, "abcZZZZZ", 8);             /* 3 bytes of string, 5 of padding */
    mb2_end(&b);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_OK);
    assert_string_equal(bi->cmdline, "abc");
}

static void
mb2_memory_map_entries_are_copied(void **state)
{
    struct bootinfo *bi = *state;
    const struct mem_region map[] = {
        { 0x0, 0x9fc00, MEM_AVAILABLE },
        { 0xf0000, 0x10000, MEM_RESERVED },
        { 0x100000, 0x7ee0000, MEM_AVAILABLE },
        { 0x7fe0000, 0x20000, MEM_ACPI_RECLAIMABLE },
    };
    struct mb2 b;
    mb2_begin(&b, 256);
    mb2_mmap(&b, 24, ARRAY_SIZE(map), map);
    mb2_end(&b);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_OK);
    assert_int_equal(bi->nmem, ARRAY_SIZE(map));
    for (unsigned i = 0; i < ARRAY_SIZE(map); i++) {
        assert_int_equal(bi->mem[i].base, map[i].base);
        assert_int_equal(bi->mem[i].len, map[i].len);
        assert_int_equal(bi->mem[i].type, map[i].type);
    }
}

/* Entries may be larger than the 24 bytes we read: entry_size is the stride. */
static void
mb2_memory_map_entry_size_sets_the_stride(void **state)
{
    struct bootinfo *bi = *state;
    const struct mem_region map[] = {
        { 0x1000, 0x2000, MEM_AVAILABLE },
        { 0x100000, 0x300000, MEM_BAD },
    };
    struct mb2 b;
    mb2_begin(&b, 256);
    mb2_mmap(&b, 32, ARRAY_SIZE(map), map);
    mb2_end(&b);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_OK);
    assert_int_equal(bi->nmem, 2);
    assert_int_equal(bi->mem[1].base, 0x100000);
    assert_int_equal(bi->mem[1].len, 0x300000);
    assert_int_equal(bi->mem[1].type, MEM_BAD);
}

static void
mb2_modules_are_copied_with_names(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, 256);
    mb2_module(&b, 0x200000, 0x213000, "root.elf");
    mb2_module(&b, 0x213000, 0x213000, "");
    mb2_module(&b, 0x300000, 0x301234, "/boot/fs.img ro");
    mb2_end(&b);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_OK);
    assert_int_equal(bi->nmod, 3);
    assert_int_equal(bi->mod[0].start, 0x200000);
    assert_int_equal(bi->mod[0].end, 0x213000);
    assert_string_equal(bi->mod[0].cmdline, "root.elf");
    assert_int_equal(bi->mod[1].start, 0x213000);
    assert_int_equal(bi->mod[1].end, 0x213000);
    assert_string_equal(bi->mod[1].cmdline, "");
    assert_int_equal(bi->mod[2].end, 0x301234);
    assert_string_equal(bi->mod[2].cmdline, "/boot/fs.img ro");
}

static void
mb2_long_module_name_is_truncated_and_terminated(void **state)
{
    struct bootinfo *bi = *state;
    char name[BOOT_MODNAME_MAX + 20];
    memset(name, 'm', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    struct mb2 b;
    mb2_begin(&b, 256);
    mb2_module(&b, 0x1000, 0x2000, name);
    mb2_end(&b);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_OK);
    assert_int_equal(bi->nmod, 1);
    assert_int_equal(strlen(bi->mod[0].cmdline), BOOT_MODNAME_MAX - 1);
    assert_memory_equal(bi->mod[0].cmdline, name, BOOT_MODNAME_MAX - 1);
}

/* Tags we do not read (here one with an unaligned size) are skipped to the next 8 bytes. */
static void
mb2_unknown_tags_are_skipped(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, 256);
    memset(mb2_tag(&b, 21, 13) + 8, 0xff, 5);
    mb2_cmdline(&b, "after");
    mb2_tag(&b, 8, 40);
    mb2_module(&b, 0x1000, 0x2000, "mod");
    mb2_end(&b);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_OK);
    assert_string_equal(bi->cmdline, "after");
    assert_int_equal(bi->nmod, 1);
}

static void
mb2_more_regions_than_the_table_are_dropped_and_counted(void **state)
{
    struct bootinfo *bi = *state;
    struct mem_region map[BOOT_MAX_REGIONS + 6];
    for (unsigned i = 0; i < ARRAY_SIZE(map); i++)
        map[i] = (struct mem_region){ (i + 1) * 0x10000ul, 0x1000, MEM_AVAILABLE };
    struct mb2 b;
    mb2_begin(&b, 4096);
    mb2_mmap(&b, 24, ARRAY_SIZE(map), map);
    mb2_end(&b);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_OK);
    assert_int_equal(bi->nmem, BOOT_MAX_REGIONS);
    assert_int_equal(bi->dropped, 6);
    assert_int_equal(bi->mem[0].base, 0x10000);
    assert_int_equal(bi->mem[BOOT_MAX_REGIONS - 1].base, BOOT_MAX_REGIONS * 0x10000ul);
}

static void
mb2_more_modules_than_the_table_are_dropped_and_counted(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, 4096);
    for (unsigned i = 0; i < BOOT_MAX_MODULES + 2; i++) {
        char name[16];
        snprintf(name, sizeof(name), "mod%u", i);
        mb2_module(&b, (i + 1) * 0x1000, (i + 2) * 0x1000, name);
    }
    mb2_end(&b);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_OK);
    assert_int_equal(bi->nmod, BOOT_MAX_MODULES);
    assert_int_equal(bi->dropped, 2);
    char last[16];
    snprintf(last, sizeof(last), "mod%u", BOOT_MAX_MODULES - 1);
    assert_string_equal(bi->mod[0].cmdline, "mod0");
    assert_string_equal(bi->mod[BOOT_MAX_MODULES - 1].cmdline, last);
    assert_int_equal(bi->mod[BOOT_MAX_MODULES - 1].start, BOOT_MAX_MODULES * 0x1000);
}

/* total_size exactly at the parser's limit is accepted (the boundary of the next test). */
static void
mb2_total_size_at_limit_is_accepted(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, MB2_INFO_MAX);
    mb2_tag(&b, 99, MB2_INFO_MAX - 16);
    mb2_end(&b);
    assert_int_equal(b.len, MB2_INFO_MAX);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_OK);
}

static void
mb2_total_size_above_limit_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, MB2_INFO_MAX + 8);
    mb2_tag(&b, 99, MB2_INFO_MAX - 8);
    mb2_end(&b);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_INVALID_ARG);
}

/* total_size must cover at least the header and an end tag. */
static void
mb2_total_size_too_small_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    uint8_t *p = arena_new(16);
    wr32(p, 8);
    assert_int_equal(parse_mb2(bi, ARENA_PHYS), MICA_E_INVALID_ARG);
    wr32(p, 15);
    assert_int_equal(parse_mb2(bi, ARENA_PHYS), MICA_E_INVALID_ARG);
    wr32(p, 0);
    assert_int_equal(parse_mb2(bi, ARENA_PHYS), MICA_E_INVALID_ARG);
}

/* total_size claims more than the memory the reader can give. */
static void
mb2_total_size_beyond_readable_memory_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, 64);
    mb2_end(&b);
    paddr_t info = mb2_load(&b);
    wr32(arena.mem, 24);
    assert_int_equal(parse_mb2(bi, info), MICA_E_INVALID_ARG);
}

static void
mb2_info_outside_readable_memory_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    arena_new(64);
    assert_int_equal(parse_mb2(bi, ARENA_PHYS + 64), MICA_E_INVALID_ARG);
    assert_int_equal(parse_mb2(bi, 0x1000), MICA_E_INVALID_ARG);
}

static void
mb2_tag_running_past_total_size_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, 64);
    uint8_t *tag = mb2_cmdline(&b, "abc");     /* at offset 8, 16 bytes with padding */
    mb2_end(&b);                                /* total 32 */
    wr32(tag + 4, 32 - 8 + 1);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_INVALID_ARG);
}

/* Even the end tag must fit: one that claims more than is left is not trusted. */
static void
mb2_end_tag_running_past_total_size_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, 64);
    mb2_cmdline(&b, "abc");
    uint8_t *end = mb2_tag(&b, MB2_TAG_END, 8);
    wr32(end + 4, 16);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_INVALID_ARG);
}

static void
mb2_tag_smaller_than_its_header_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, 64);
    uint8_t *tag = mb2_tag(&b, 99, 8);
    mb2_end(&b);
    wr32(tag + 4, 4);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_INVALID_ARG);
}

/* A zero tag size must not make the parser loop on the same tag forever. */
static void
mb2_tag_of_size_zero_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, 64);
    uint8_t *tag = mb2_tag(&b, 99, 8);
    mb2_end(&b);
    wr32(tag + 4, 0);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_INVALID_ARG);
}

static void
mb2_missing_end_tag_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, 64);
    mb2_cmdline(&b, "no end");
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_INVALID_ARG);
}

static void
mb2_memory_map_entry_size_below_24_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    const struct mem_region map[] = {
        { 0x1000, 0x1000, MEM_AVAILABLE },
        { 0x3000, 0x1000, MEM_AVAILABLE },
    };
    struct mb2 b;
    mb2_begin(&b, 128);
    uint8_t *tag = mb2_mmap(&b, 24, ARRAY_SIZE(map), map);
    wr32(tag + 8, 16);
    mb2_end(&b);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_INVALID_ARG);
}

static void
mb2_memory_map_entry_size_not_multiple_of_8_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    const struct mem_region map[] = { { 0x1000, 0x1000, MEM_AVAILABLE } };
    struct mb2 b;
    mb2_begin(&b, 128);
    mb2_mmap(&b, 28, ARRAY_SIZE(map), map);
    mb2_end(&b);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_INVALID_ARG);
}

static void
mb2_memory_map_tag_shorter_than_its_header_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, 64);
    uint8_t *tag = mb2_tag(&b, MB2_TAG_MMAP, 12);
    wr32(tag + 8, 24);
    mb2_end(&b);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_INVALID_ARG);
}

/*
 * An entry_size near 2^32 must not wrap the entry offset: the parser must not make regions
 * from the bytes after the tag. (Slack after the information turns a read past it into a
 * plain failure here rather than an ASan abort of the whole binary.)
 */
static void
mb2_memory_map_huge_entry_size_reads_nothing_past_tag(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, 64);
    uint8_t *tag = mb2_tag(&b, MB2_TAG_MMAP, 16);
    wr32(tag + 8, 0xfffffff8u);
    mb2_end(&b);
    int err = parse_mb2(bi, mb2_load_at(&b, 0, 64));
    assert_true(err == MICA_E_INVALID_ARG || (err == MICA_E_OK && bi->nmem == 0));
}

static void
mb2_module_ending_before_start_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, 64);
    mb2_module(&b, 0x2000, 0x1fff, "bad");
    mb2_end(&b);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_INVALID_ARG);
}

static void
mb2_module_tag_shorter_than_its_header_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, 64);
    mb2_tag(&b, MB2_TAG_MODULE, 12);            /* start 0; no room for the end */
    mb2_end(&b);
    assert_int_equal(parse_mb2(bi, mb2_load(&b)), MICA_E_INVALID_ARG);
}

/* The information is 8-byte aligned by the spec; anything else is not from a loader. */
static void
mb2_unaligned_info_address_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, 64);
    mb2_cmdline(&b, "x");
    mb2_end(&b);
    assert_int_equal(parse_mb2(bi, mb2_load_at(&b, 4, 0)), MICA_E_INVALID_ARG);
}

static void
unknown_boot_magic_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    struct mb2 b;
    mb2_begin(&b, 64);
    mb2_end(&b);
    paddr_t info = mb2_load(&b);
    assert_int_equal(bootinfo_parse(bi, 0x12345678u, info, arena_read), MICA_E_INVALID_ARG);
    assert_int_equal(bootinfo_parse(bi, 0, info, arena_read), MICA_E_INVALID_ARG);
}

/* ---- Multiboot1 ------------------------------------------------------------------------ */

/* The Multiboot1 information structure, up to the fields the kernel reads. */
struct mb1_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
};
_Static_assert(offsetof(struct mb1_info, mmap_addr) == 48, "Multiboot 0.6.96, 3.3");

struct mb1_module {
    uint32_t start, end, cmdline, reserved;
};

/* Where the tests place things in the Multiboot1 arena. */
#define MB1_ARENA_SIZE  0x4000u
#define MB1_CMDLINE     0x100u
#define MB1_MMAP        0x200u
#define MB1_MODS        0x800u
#define MB1_NAMES       0x1000u
#define MB1_MODS_MAX    (BOOT_MAX_MODULES + 3)      /* the most any test writes */
_Static_assert(MB1_MODS + MB1_MODS_MAX * sizeof(struct mb1_module) <= MB1_NAMES, "layout");
_Static_assert(MB1_NAMES + MB1_MODS_MAX * 0x80 <= MB1_ARENA_SIZE - 0x100, "layout");

static struct mb1_info *
mb1_new(void)
{
    return (struct mb1_info *)arena_new(MB1_ARENA_SIZE);
}

static uint32_t
phys(uint32_t off)
{
    return (uint32_t)ARENA_PHYS + off;
}

static void
mb1_set_cmdline(struct mb1_info *info, uint32_t off, const char *s)
{
    info->flags |= MB1_FLAG_CMDLINE;
    info->cmdline = phys(off);
    memcpy(arena.mem + off, s, strlen(s) + 1);
}

/* Entry i at MB1_MMAP + i * (size + 4): {size, base, len, type}. */
static void
mb1_set_mmap(struct mb1_info *info, uint32_t size, unsigned n, const struct mem_region *e)
{
    info->flags |= MB1_FLAG_MMAP;
    info->mmap_addr = phys(MB1_MMAP);
    info->mmap_length = n * (size + 4);
    for (unsigned i = 0; i < n; i++) {
        uint8_t *p = arena.mem + MB1_MMAP + i * (size + 4);
        wr32(p, size);
        wr64(p + 4, e[i].base);
        wr64(p + 12, e[i].len);
        wr32(p + 20, e[i].type);
    }
}

/* Module i at MB1_MODS, its name at MB1_NAMES + i * 0x80. */
static void
mb1_add_module(struct mb1_info *info, uint32_t start, uint32_t end, const char *name)
{
    struct mb1_module *m = (struct mb1_module *)(arena.mem + MB1_MODS) + info->mods_count;
    uint32_t name_off = MB1_NAMES + info->mods_count * 0x80;
    assert_true(strlen(name) < 0x80 && info->mods_count < MB1_MODS_MAX);
    info->flags |= MB1_FLAG_MODS;
    info->mods_addr = phys(MB1_MODS);
    info->mods_count++;
    *m = (struct mb1_module){ start, end, phys(name_off), 0 };
    memcpy(arena.mem + name_off, name, strlen(name) + 1);
}

static int
parse_mb1(struct bootinfo *bi)
{
    return bootinfo_parse(bi, MB1_BOOT_MAGIC, ARENA_PHYS, arena_read);
}

static void
mb1_without_flags_parses_to_empty_bootinfo(void **state)
{
    struct bootinfo *bi = *state;
    struct mb1_info *info = mb1_new();
    info->cmdline = 0xdeadbeef;            /* ignored without its flag */
    info->mmap_addr = 0xdeadbeef;
    info->mmap_length = 24;
    info->mods_addr = 0xdeadbeef;
    info->mods_count = 3;
    assert_int_equal(parse_mb1(bi), MICA_E_OK);
    assert_string_equal(bi->cmdline, "");
    assert_int_equal(bi->nmem, 0);
    assert_int_equal(bi->nmod, 0);
}

static void
mb1_cmdline_is_read(void **state)
{
    struct bootinfo *bi = *state;
    mb1_set_cmdline(mb1_new(), MB1_CMDLINE, "kernel.elf debugexit");
    assert_int_equal(parse_mb1(bi), MICA_E_OK);
    assert_string_equal(bi->cmdline, "kernel.elf debugexit");
}

/* A command line in the last bytes of readable memory is still found. */
static void
mb1_cmdline_at_end_of_readable_memory_is_read(void **state)
{
    struct bootinfo *bi = *state;
    mb1_set_cmdline(mb1_new(), MB1_ARENA_SIZE - 4, "abc");
    assert_int_equal(parse_mb1(bi), MICA_E_OK);
    assert_string_equal(bi->cmdline, "abc");
}

static void
mb1_long_cmdline_is_truncated_and_terminated(void **state)
{
    struct bootinfo *bi = *state;
    char line[BOOT_CMDLINE_MAX + 50];
    memset(line, 'c', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    mb1_set_cmdline(mb1_new(), MB1_CMDLINE, line);
    assert_int_equal(parse_mb1(bi), MICA_E_OK);
    assert_int_equal(strlen(bi->cmdline), BOOT_CMDLINE_MAX - 1);
}

/* An unreadable command line is treated as empty, not as a broken structure. */
static void
mb1_unreadable_cmdline_reads_as_empty(void **state)
{
    struct bootinfo *bi = *state;
    struct mb1_info *info = mb1_new();
    info->flags = MB1_FLAG_CMDLINE;
    info->cmdline = 0x1000;
    assert_int_equal(parse_mb1(bi), MICA_E_OK);
    assert_string_equal(bi->cmdline, "");
}

static void
mb1_memory_map_entries_are_copied(void **state)
{
    struct bootinfo *bi = *state;
    const struct mem_region map[] = {
        { 0x0, 0x9fc00, MEM_AVAILABLE },
        { 0x9fc00, 0x400, MEM_RESERVED },
        { 0x100000, 0x7ee0000, MEM_AVAILABLE },
    };
    mb1_set_mmap(mb1_new(), 20, ARRAY_SIZE(map), map);
    assert_int_equal(parse_mb1(bi), MICA_E_OK);
    assert_int_equal(bi->nmem, ARRAY_SIZE(map));
    for (unsigned i = 0; i < ARRAY_SIZE(map); i++) {
        assert_int_equal(bi->mem[i].base, map[i].base);
        assert_int_equal(bi->mem[i].len, map[i].len);
        assert_int_equal(bi->mem[i].type, map[i].type);
    }
}

/* Each entry's size field (which does not count itself) gives the stride. */
static void
mb1_memory_map_size_field_sets_the_stride(void **state)
{
    struct bootinfo *bi = *state;
    const struct mem_region map[] = {
        { 0x1000, 0x2000, MEM_AVAILABLE },
        { 0x100000, 0x300000, MEM_NVS },
    };
    mb1_set_mmap(mb1_new(), 28, ARRAY_SIZE(map), map);
    assert_int_equal(parse_mb1(bi), MICA_E_OK);
    assert_int_equal(bi->nmem, 2);
    assert_int_equal(bi->mem[1].base, 0x100000);
    assert_int_equal(bi->mem[1].len, 0x300000);
    assert_int_equal(bi->mem[1].type, MEM_NVS);
}

/* Bytes at the end of mmap_length too short for an entry are not an entry. */
static void
mb1_memory_map_trailing_partial_entry_is_ignored(void **state)
{
    struct bootinfo *bi = *state;
    struct mb1_info *info = mb1_new();
    const struct mem_region map[] = {
        { 0x1000, 0x2000, MEM_AVAILABLE },
        { 0x5000, 0x1000, MEM_AVAILABLE },
    };
    mb1_set_mmap(info, 20, ARRAY_SIZE(map), map);
    info->mmap_length -= 1;
    assert_int_equal(parse_mb1(bi), MICA_E_OK);
    assert_int_equal(bi->nmem, 1);
}

static void
mb1_memory_map_outside_readable_memory_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    struct mb1_info *info = mb1_new();
    info->flags = MB1_FLAG_MMAP;
    info->mmap_addr = 0x1000;
    info->mmap_length = 48;
    assert_int_equal(parse_mb1(bi), MICA_E_INVALID_ARG);
}

static void
mb1_memory_map_running_past_readable_memory_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    struct mb1_info *info = mb1_new();
    info->flags = MB1_FLAG_MMAP;
    info->mmap_addr = phys(MB1_ARENA_SIZE - 24);
    info->mmap_length = 48;
    assert_int_equal(parse_mb1(bi), MICA_E_INVALID_ARG);
}

static void
mb1_memory_map_entry_size_too_small_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    const struct mem_region map[] = { { 0x1000, 0x2000, MEM_AVAILABLE } };
    struct mb1_info *info = mb1_new();
    mb1_set_mmap(info, 20, ARRAY_SIZE(map), map);
    wr32(arena.mem + MB1_MMAP, 16);
    assert_int_equal(parse_mb1(bi), MICA_E_INVALID_ARG);
    wr32(arena.mem + MB1_MMAP, 0);
    assert_int_equal(parse_mb1(bi), MICA_E_INVALID_ARG);
}

static void
mb1_modules_are_copied_with_names(void **state)
{
    struct bootinfo *bi = *state;
    struct mb1_info *info = mb1_new();
    mb1_add_module(info, 0x200000, 0x213000, "root.elf");
    mb1_add_module(info, 0x213000, 0x220000, "initrd arg=1");
    assert_int_equal(parse_mb1(bi), MICA_E_OK);
    assert_int_equal(bi->nmod, 2);
    assert_int_equal(bi->mod[0].start, 0x200000);
    assert_int_equal(bi->mod[0].end, 0x213000);
    assert_string_equal(bi->mod[0].cmdline, "root.elf");
    assert_int_equal(bi->mod[1].start, 0x213000);
    assert_int_equal(bi->mod[1].end, 0x220000);
    assert_string_equal(bi->mod[1].cmdline, "initrd arg=1");
}

static void
mb1_long_module_name_is_truncated_and_terminated(void **state)
{
    struct bootinfo *bi = *state;
    char name[BOOT_MODNAME_MAX + 20];
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    mb1_add_module(mb1_new(), 0x1000, 0x2000, name);
    assert_int_equal(parse_mb1(bi), MICA_E_OK);
    assert_int_equal(bi->nmod, 1);
    assert_int_equal(strlen(bi->mod[0].cmdline), BOOT_MODNAME_MAX - 1);
    assert_memory_equal(bi->mod[0].cmdline, name, BOOT_MODNAME_MAX - 1);
}

static void
mb1_more_modules_than_the_table_are_dropped_and_counted(void **state)
{
    struct bootinfo *bi = *state;
    struct mb1_info *info = mb1_new();
    for (unsigned i = 0; i < MB1_MODS_MAX; i++) {
        char name[16];
        snprintf(name, sizeof(name), "m%u", i);
        mb1_add_module(info, (i + 1) * 0x1000, (i + 2) * 0x1000, name);
    }
    assert_int_equal(parse_mb1(bi), MICA_E_OK);
    assert_int_equal(bi->nmod, BOOT_MAX_MODULES);
    assert_int_equal(bi->dropped, 3);
    char last[16];
    snprintf(last, sizeof(last), "m%u", BOOT_MAX_MODULES - 1);
    assert_string_equal(bi->mod[0].cmdline, "m0");
    assert_string_equal(bi->mod[BOOT_MAX_MODULES - 1].cmdline, last);
}

static void
mb1_module_list_outside_readable_memory_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    struct mb1_info *info = mb1_new();
    mb1_add_module(info, 0x1000, 0x2000, "a");
    info->mods_addr = 0x1000;
    assert_int_equal(parse_mb1(bi), MICA_E_INVALID_ARG);
}

static void
mb1_module_list_running_past_readable_memory_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    struct mb1_info *info = mb1_new();
    mb1_add_module(info, 0x1000, 0x2000, "a");
    info->mods_addr = phys(MB1_ARENA_SIZE - 16);
    info->mods_count = 2;
    assert_int_equal(parse_mb1(bi), MICA_E_INVALID_ARG);
}

/* More than 1024 modules is not a real loader, even when the list is readable. */
static void
mb1_absurd_module_count_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    struct mb1_info *info = (struct mb1_info *)arena_new(0x10000);
    info->flags = MB1_FLAG_MODS;
    info->mods_addr = phys(0x100);
    info->mods_count = 1025;        /* all {0, 0, 0, 0}: empty modules without names */
    assert_true(0x100 + 1025 * sizeof(struct mb1_module) <= arena.size);
    assert_int_equal(parse_mb1(bi), MICA_E_INVALID_ARG);
}

static void
mb1_module_ending_before_start_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    mb1_add_module(mb1_new(), 0x2000, 0x1000, "bad");
    assert_int_equal(parse_mb1(bi), MICA_E_INVALID_ARG);
}

static void
mb1_info_outside_readable_memory_is_rejected(void **state)
{
    struct bootinfo *bi = *state;
    arena_new(MB1_ARENA_SIZE);
    assert_int_equal(bootinfo_parse(bi, MB1_BOOT_MAGIC, 0x1000, arena_read), MICA_E_INVALID_ARG);
    assert_int_equal(bootinfo_parse(bi, MB1_BOOT_MAGIC, phys(MB1_ARENA_SIZE - 8), arena_read),
                     MICA_E_INVALID_ARG);
}

/* ---- bootinfo_option ------------------------------------------------------------------- */

static struct bootinfo *
with_cmdline(void **state, const char *cmdline)
{
    struct bootinfo *bi = *state;
    assert_true(strlen(cmdline) < sizeof(bi->cmdline));
    strcpy(bi->cmdline, cmdline);
    return bi;
}

static void
option_key_value_gives_the_value(void **state)
{
    struct bootinfo *bi = with_cmdline(state, "console=ttyS0 selftest=ipc quiet");
    char buf[32];
    assert_true(bootinfo_option(bi, "selftest", buf, sizeof(buf)));
    assert_string_equal(buf, "ipc");
    assert_true(bootinfo_option(bi, "console", buf, sizeof(buf)));
    assert_string_equal(buf, "ttyS0");
}

static void
option_bare_key_is_present_with_empty_value(void **state)
{
    struct bootinfo *bi = with_cmdline(state, "quiet debugexit");
    char buf[8] = "XXXXXXX";
    assert_true(bootinfo_option(bi, "debugexit", buf, sizeof(buf)));
    assert_string_equal(buf, "");
}

static void
option_key_with_empty_value_gives_empty_string(void **state)
{
    struct bootinfo *bi = with_cmdline(state, "root= quiet");
    char buf[8] = "XXXXXXX";
    assert_true(bootinfo_option(bi, "root", buf, sizeof(buf)));
    assert_string_equal(buf, "");
}

static void
option_absent_key_is_not_found(void **state)
{
    struct bootinfo *bi = with_cmdline(state, "console=ttyS0 quiet");
    char buf[8];
    assert_false(bootinfo_option(bi, "selftest", buf, sizeof(buf)));
}

static void
option_on_empty_cmdline_is_not_found(void **state)
{
    struct bootinfo *bi = with_cmdline(state, "");
    assert_false(bootinfo_option(bi, "quiet", NULL, 0));
}

/* "debugexit2" is another option, not debugexit with a suffix. */
static void
option_key_that_is_only_a_prefix_does_not_match(void **state)
{
    struct bootinfo *bi = with_cmdline(state, "debugexit2 debugexitx=1");
    assert_false(bootinfo_option(bi, "debugexit", NULL, 0));
}

static void
option_key_found_after_a_longer_word_with_its_prefix(void **state)
{
    struct bootinfo *bi = with_cmdline(state, "debugexit2 debugexit=yes");
    char buf[8];
    assert_true(bootinfo_option(bi, "debugexit", buf, sizeof(buf)));
    assert_string_equal(buf, "yes");
}

/* The key must start a word: text inside another option's value does not count. */
static void
option_key_inside_a_value_does_not_match(void **state)
{
    struct bootinfo *bi = with_cmdline(state, "init=debugexit x=selftest=1");
    assert_false(bootinfo_option(bi, "debugexit", NULL, 0));
    assert_false(bootinfo_option(bi, "selftest", NULL, 0));
}

static void
option_value_is_truncated_to_the_buffer(void **state)
{
    struct bootinfo *bi = with_cmdline(state, "root=abcdefgh quiet");
    char buf[5] = "XXXX";
    assert_true(bootinfo_option(bi, "root", buf, sizeof(buf)));
    assert_string_equal(buf, "abcd");
    char one[1] = { 'X' };
    assert_true(bootinfo_option(bi, "root", one, sizeof(one)));
    assert_int_equal(one[0], '\0');
}

static void
option_null_buffer_of_size_zero_only_reports_presence(void **state)
{
    struct bootinfo *bi = with_cmdline(state, "debugexit selftest=all");
    assert_true(bootinfo_option(bi, "debugexit", NULL, 0));
    assert_true(bootinfo_option(bi, "selftest", NULL, 0));
    assert_false(bootinfo_option(bi, "quiet", NULL, 0));
}

static void
option_value_ends_at_space_and_may_hold_equals(void **state)
{
    struct bootinfo *bi = with_cmdline(state, "  a=1   k=x=y   b=2  ");
    char buf[16];
    assert_true(bootinfo_option(bi, "k", buf, sizeof(buf)));
    assert_string_equal(buf, "x=y");
    assert_true(bootinfo_option(bi, "b", buf, sizeof(buf)));
    assert_string_equal(buf, "2");
}

static void
option_first_occurrence_wins(void **state)
{
    struct bootinfo *bi = with_cmdline(state, "mode=1 mode=2");
    char buf[4];
    assert_true(bootinfo_option(bi, "mode", buf, sizeof(buf)));
    assert_string_equal(buf, "1");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(mb2_header_and_end_tag_parse_to_empty_bootinfo),
        T(mb2_cmdline_is_copied),
        T(mb2_long_cmdline_is_truncated_and_terminated),
        T(mb2_unterminated_cmdline_stops_at_tag_end),
        T(mb2_memory_map_entries_are_copied),
        T(mb2_memory_map_entry_size_sets_the_stride),
        T(mb2_modules_are_copied_with_names),
        T(mb2_long_module_name_is_truncated_and_terminated),
        T(mb2_unknown_tags_are_skipped),
        T(mb2_more_regions_than_the_table_are_dropped_and_counted),
        T(mb2_more_modules_than_the_table_are_dropped_and_counted),
        T(mb2_total_size_at_limit_is_accepted),
        T(mb2_total_size_above_limit_is_rejected),
        T(mb2_total_size_too_small_is_rejected),
        T(mb2_total_size_beyond_readable_memory_is_rejected),
        T(mb2_info_outside_readable_memory_is_rejected),
        T(mb2_tag_running_past_total_size_is_rejected),
        T(mb2_end_tag_running_past_total_size_is_rejected),
        T(mb2_tag_smaller_than_its_header_is_rejected),
        T(mb2_tag_of_size_zero_is_rejected),
        T(mb2_missing_end_tag_is_rejected),
        T(mb2_memory_map_entry_size_below_24_is_rejected),
        T(mb2_memory_map_entry_size_not_multiple_of_8_is_rejected),
        T(mb2_memory_map_tag_shorter_than_its_header_is_rejected),
        T(mb2_memory_map_huge_entry_size_reads_nothing_past_tag),
        T(mb2_module_ending_before_start_is_rejected),
        T(mb2_module_tag_shorter_than_its_header_is_rejected),
        T(mb2_unaligned_info_address_is_rejected),
        T(unknown_boot_magic_is_rejected),
        T(mb1_without_flags_parses_to_empty_bootinfo),
        T(mb1_cmdline_is_read),
        T(mb1_cmdline_at_end_of_readable_memory_is_read),
        T(mb1_long_cmdline_is_truncated_and_terminated),
        T(mb1_unreadable_cmdline_reads_as_empty),
        T(mb1_memory_map_entries_are_copied),
        T(mb1_memory_map_size_field_sets_the_stride),
        T(mb1_memory_map_trailing_partial_entry_is_ignored),
        T(mb1_memory_map_outside_readable_memory_is_rejected),
        T(mb1_memory_map_running_past_readable_memory_is_rejected),
        T(mb1_memory_map_entry_size_too_small_is_rejected),
        T(mb1_modules_are_copied_with_names),
        T(mb1_long_module_name_is_truncated_and_terminated),
        T(mb1_more_modules_than_the_table_are_dropped_and_counted),
        T(mb1_module_list_outside_readable_memory_is_rejected),
        T(mb1_module_list_running_past_readable_memory_is_rejected),
        T(mb1_absurd_module_count_is_rejected),
        T(mb1_module_ending_before_start_is_rejected),
        T(mb1_info_outside_readable_memory_is_rejected),
        T(option_key_value_gives_the_value),
        T(option_bare_key_is_present_with_empty_value),
        T(option_key_with_empty_value_gives_empty_string),
        T(option_absent_key_is_not_found),
        T(option_on_empty_cmdline_is_not_found),
        T(option_key_that_is_only_a_prefix_does_not_match),
        T(option_key_found_after_a_longer_word_with_its_prefix),
        T(option_key_inside_a_value_does_not_match),
        T(option_value_is_truncated_to_the_buffer),
        T(option_null_buffer_of_size_zero_only_reports_presence),
        T(option_value_ends_at_space_and_may_hold_equals),
        T(option_first_occurrence_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
