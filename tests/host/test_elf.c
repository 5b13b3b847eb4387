// SPDX-License-Identifier: MIT
/* Tests of ELF64 image validation (kernel/elf.c): elf_check() on images built in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "elf.h"

#define ET_EXEC         2
#define ET_DYN          3
#define PT_NOTE         4
#define EM_X86_64       62
#define PAGE_SIZE       4096ul

#define USER_BASE       0x1000ul
#define USER_TOP        (0x00007fffffff0000ul - 0x10000ul)

#define TEXT_VADDR      0x400000ul
#define DATA_VADDR      0x401000ul
#define IMAGE_SIZE      0x2000ul            /* text page, then data page */

static const struct elf_limits limits = {
    .user_base = USER_BASE,
    .user_top = USER_TOP,
    .page_size = PAGE_SIZE,
    .machine = EM_X86_64,
};

/* An image under test: IMAGE_SIZE bytes, of which the first size are passed to elf_check. */
struct image {
    uint8_t *buf;
    size_t size;
};

static struct elf64_ehdr *
ehdr(struct image *im)
{
    return (struct elf64_ehdr *)im->buf;
}

static struct elf64_phdr *
phdr(struct image *im, unsigned i)
{
    return (struct elf64_phdr *)(im->buf + ehdr(im)->phoff) + i;
}

/*
 * A valid static executable: program headers right after the ELF header; an R+X text
 * segment of file page 0 at TEXT_VADDR holding the entry point, and an R+W data segment
 * of file page 1 at DATA_VADDR with 0x100 bytes from the file and a page more of bss.
 */
static int
setup(void **state)
{
    struct image *im = malloc(sizeof(*im));
    if (!im || !(im->buf = aligned_alloc(PAGE_SIZE, IMAGE_SIZE)))
        return -1;
    im->size = IMAGE_SIZE;
    memset(im->buf, 0xcc, IMAGE_SIZE);
    struct elf64_ehdr *eh = ehdr(im);
    *eh = (struct elf64_ehdr){
        .ident = { 0x7f, 'E', 'L', 'F', 2, 1, 1 },
        .type = ET_EXEC,
        .machine = EM_X86_64,
        .version = 1,
        .entry = TEXT_VADDR + 0x100,
        .phoff = sizeof(struct elf64_ehdr),
        .ehsize = sizeof(struct elf64_ehdr),
        .phentsize = sizeof(struct elf64_phdr),
        .phnum = 2,
    };
    *phdr(im, 0) = (struct elf64_phdr){
        .type = ELF_PT_LOAD, .flags = ELF_PF_R | ELF_PF_X,
        .offset = 0, .vaddr = TEXT_VADDR, .paddr = TEXT_VADDR,
        .filesz = 0x1000, .memsz = 0x1000, .align = 0x1000,
    };
    *phdr(im, 1) = (struct elf64_phdr){
        .type = ELF_PT_LOAD, .flags = ELF_PF_R | ELF_PF_W,
        .offset = 0x1000, .vaddr = DATA_VADDR, .paddr = DATA_VADDR,
        .filesz = 0x100, .memsz = 0x2000, .align = 0x1000,
    };
    *state = im;
    return 0;
}

static int
teardown(void **state)
{
    struct image *im = *state;
    free(im->buf);
    free(im);
    return 0;
}

static int
check(struct image *im, const char **why)
{
    return elf_check(im->buf, im->size, &limits, why);
}

static void
assert_accepted(struct image *im)
{
    const char *why = "not set";
    assert_int_equal(check(im, &why), MICA_E_OK);
    assert_null(why);
}

/* Rejected as a bad ELF, with a reason that contains the given text. */
static void
assert_rejected(struct image *im, const char *reason)
{
    const char *why = NULL;
    assert_int_equal(check(im, &why), MICA_E_BAD_ELF);
    assert_non_null(why);
    if (!strstr(why, reason))
        fail_msg("reason \"%s\" lacks \"%s\"", why, reason);
}

/* Append a program header (the table has room up to the text segment's end). */
static struct elf64_phdr *
add_phdr(struct image *im, struct elf64_phdr ph)
{
    struct elf64_phdr *p = phdr(im, ehdr(im)->phnum++);
    *p = ph;
    return p;
}

/* ---- acceptance ------------------------------------------------------------------------ */

static void
elf_valid_image_is_accepted(void **state)
{
    assert_accepted(*state);
}

static void
elf_success_sets_why_to_null(void **state)
{
    struct image *im = *state;
    const char *why = "stale reason";
    assert_int_equal(elf_check(im->buf, im->size, &limits, &why), MICA_E_OK);
    assert_null(why);
}

static void
elf_single_segment_image_is_accepted(void **state)
{
    struct image *im = *state;
    ehdr(im)->phnum = 1;
    assert_accepted(im);
}

static void
elf_non_load_headers_are_ignored(void **state)
{
    struct image *im = *state;
    add_phdr(im, (struct elf64_phdr){
        .type = PT_NOTE, .offset = UINT64_MAX, .vaddr = 0, .filesz = UINT64_MAX, .memsz = 1,
    });
    add_phdr(im, (struct elf64_phdr){ .type = 0x6474e551 });     /* PT_GNU_STACK */
    assert_accepted(im);
}

/* An empty PT_LOAD maps nothing, so its address need not be in user space. */
static void
elf_zero_memsz_load_is_ignored(void **state)
{
    struct image *im = *state;
    add_phdr(im, (struct elf64_phdr){
        .type = ELF_PT_LOAD, .flags = ELF_PF_R | ELF_PF_X, .offset = 0x10, .vaddr = 0,
        .filesz = 0, .memsz = 0, .align = 0x1000,
    });
    add_phdr(im, (struct elf64_phdr){
        .type = ELF_PT_LOAD, .flags = ELF_PF_R, .offset = 0, .vaddr = TEXT_VADDR + 0x10,
        .filesz = 0, .memsz = 0, .align = 0x1000,
    });
    assert_accepted(im);
}

/* Without alignment demands the address and offset need not agree modulo the page size. */
static void
elf_align_0_or_1_allows_any_offset(void **state)
{
    struct image *im = *state;
    phdr(im, 1)->vaddr = DATA_VADDR + 0x800;
    phdr(im, 1)->align = 0;
    assert_accepted(im);
    phdr(im, 1)->align = 1;
    assert_accepted(im);
}

static void
elf_segments_at_the_user_space_bounds_are_accepted(void **state)
{
    struct image *im = *state;
    phdr(im, 0)->vaddr = USER_BASE;
    ehdr(im)->entry = USER_BASE;
    phdr(im, 1)->vaddr = USER_TOP - phdr(im, 1)->memsz;
    assert_accepted(im);
}

/* Segments that share a boundary do not overlap (the valid image has two such). */
static void
elf_adjacent_segments_are_accepted(void **state)
{
    struct image *im = *state;
    assert_int_equal(phdr(im, 0)->vaddr + phdr(im, 0)->memsz, phdr(im, 1)->vaddr);
    assert_accepted(im);
}

static void
elf_entry_at_last_byte_of_executable_segment_is_accepted(void **state)
{
    struct image *im = *state;
    ehdr(im)->entry = TEXT_VADDR + 0xfff;
    assert_accepted(im);
}

/* The executable segment need not be the first PT_LOAD. */
static void
elf_entry_in_a_later_executable_segment_is_accepted(void **state)
{
    struct image *im = *state;
    phdr(im, 0)->flags = ELF_PF_R;
    phdr(im, 1)->flags = ELF_PF_R | ELF_PF_X;
    ehdr(im)->entry = DATA_VADDR + 0x1800;      /* in its bss part */
    assert_accepted(im);
}

static void
elf_most_program_headers_allowed_is_accepted(void **state)
{
    struct image *im = *state;
    while (ehdr(im)->phnum < ELF_MAX_PHDRS)
        add_phdr(im, (struct elf64_phdr){ .type = PT_NOTE });
    assert_true(ehdr(im)->phoff + ELF_MAX_PHDRS * sizeof(struct elf64_phdr) <= im->size);
    assert_accepted(im);
}

/* ---- the ELF header -------------------------------------------------------------------- */

static void
elf_shorter_than_header_is_rejected(void **state)
{
    struct image *im = *state;
    uint8_t *copy = malloc(sizeof(struct elf64_ehdr) - 1);   /* ASan: nothing past it read */
    assert_non_null(copy);
    memcpy(copy, im->buf, sizeof(struct elf64_ehdr) - 1);
    const char *why = NULL;
    assert_int_equal(elf_check(copy, sizeof(struct elf64_ehdr) - 1, &limits, &why),
                     MICA_E_BAD_ELF);
    assert_non_null(why);
    assert_non_null(strstr(why, "shorter than an ELF header"));
    assert_int_equal(elf_check(copy, 0, &limits, &why), MICA_E_BAD_ELF);
    free(copy);
}

static void
elf_bad_magic_is_rejected(void **state)
{
    struct image *im = *state;
    ehdr(im)->ident[3] = 'f';
    assert_rejected(im, "no ELF magic");
}

static void
elf_class32_is_rejected(void **state)
{
    struct image *im = *state;
    ehdr(im)->ident[4] = 1;
    assert_rejected(im, "little-endian ELF64 version 1");
}

static void
elf_big_endian_is_rejected(void **state)
{
    struct image *im = *state;
    ehdr(im)->ident[5] = 2;
    assert_rejected(im, "little-endian ELF64 version 1");
}

static void
elf_wrong_ident_version_is_rejected(void **state)
{
    struct image *im = *state;
    ehdr(im)->ident[6] = 2;
    assert_rejected(im, "little-endian ELF64 version 1");
    ehdr(im)->ident[6] = 0;
    assert_rejected(im, "little-endian ELF64 version 1");
}

static void
elf_shared_object_is_rejected(void **state)
{
    struct image *im = *state;
    ehdr(im)->type = ET_DYN;
    assert_rejected(im, "ET_EXEC");
    ehdr(im)->type = 0;
    assert_rejected(im, "ET_EXEC");
}

static void
elf_wrong_machine_is_rejected(void **state)
{
    struct image *im = *state;
    ehdr(im)->machine = 3;      /* EM_386 */
    assert_rejected(im, "another machine");
    ehdr(im)->machine = 243;    /* EM_RISCV */
    assert_rejected(im, "another machine");
}

static void
elf_wrong_phentsize_is_rejected(void **state)
{
    struct image *im = *state;
    ehdr(im)->phentsize = 32;   /* an ELF32 program header */
    assert_rejected(im, "program header size");
    ehdr(im)->phentsize = 64;
    assert_rejected(im, "program header size");
}

static void
elf_no_program_headers_is_rejected(void **state)
{
    struct image *im = *state;
    ehdr(im)->phnum = 0;
    assert_rejected(im, "no program headers");
}

static void
elf_too_many_program_headers_is_rejected(void **state)
{
    struct image *im = *state;
    ehdr(im)->phnum = ELF_MAX_PHDRS + 1;
    assert_rejected(im, "too many");
    ehdr(im)->phnum = UINT16_MAX;
    assert_rejected(im, "too many");
}

static void
elf_program_headers_past_end_of_file_are_rejected(void **state)
{
    struct image *im = *state;
    ehdr(im)->phoff = im->size - sizeof(struct elf64_phdr);   /* the second one is past */
    assert_rejected(im, "program headers outside the file");
    ehdr(im)->phoff = im->size;
    ehdr(im)->phnum = 1;
    assert_rejected(im, "program headers outside the file");
}

/* A table just below 2^64 must not wrap round to "inside the file". */
static void
elf_program_header_offset_overflowing_is_rejected(void **state)
{
    struct image *im = *state;
    ehdr(im)->phoff = UINT64_MAX - 7;           /* 8-aligned; + 112 wraps to 104 */
    assert_rejected(im, "program headers outside the file");
    ehdr(im)->phoff = UINT64_MAX - 63;
    assert_rejected(im, "program headers outside the file");
}

static void
elf_misaligned_program_headers_are_rejected(void **state)
{
    struct image *im = *state;
    memmove(im->buf + 68, im->buf + 64, 2 * sizeof(struct elf64_phdr));
    ehdr(im)->phoff = 68;
    assert_rejected(im, "program headers outside the file");
}

/* ---- the segments ---------------------------------------------------------------------- */

static void
elf_filesz_above_memsz_is_rejected(void **state)
{
    struct image *im = *state;
    phdr(im, 1)->filesz = 0x800;
    phdr(im, 1)->memsz = 0x7ff;
    assert_rejected(im, "file size exceeds its memory size");
}

static void
elf_segment_past_end_of_file_is_rejected(void **state)
{
    struct image *im = *state;
    phdr(im, 1)->filesz = im->size - phdr(im, 1)->offset + 1;
    assert_rejected(im, "past the end of the file");
}

static void
elf_segment_offset_past_end_of_file_is_rejected(void **state)
{
    struct image *im = *state;
    phdr(im, 1)->offset = 0x3000;
    phdr(im, 1)->vaddr = 0x403000;
    phdr(im, 1)->filesz = 0;
    assert_rejected(im, "past the end of the file");
}

static void
elf_segment_file_range_overflowing_is_rejected(void **state)
{
    struct image *im = *state;
    phdr(im, 1)->offset = UINT64_MAX - 0xfff;   /* congruent with DATA_VADDR */
    phdr(im, 1)->filesz = 0x1001;               /* offset + filesz wraps to 1 */
    phdr(im, 1)->memsz = 0x2000;
    assert_rejected(im, "past the end of the file");
}

static void
elf_segment_address_range_wrapping_is_rejected(void **state)
{
    struct image *im = *state;
    phdr(im, 1)->vaddr = 0xfffffffffffff000ul;
    phdr(im, 1)->memsz = 0x2000;
    assert_rejected(im, "wraps around");
}

static void
elf_segment_below_user_base_is_rejected(void **state)
{
    struct image *im = *state;
    phdr(im, 0)->vaddr = 0;
    ehdr(im)->entry = 0x100;
    assert_rejected(im, "outside user space");
}

static void
elf_segment_ending_above_user_top_is_rejected(void **state)
{
    struct image *im = *state;
    phdr(im, 1)->vaddr = USER_TOP - phdr(im, 1)->memsz + 0x1000;
    assert_rejected(im, "outside user space");
}

static void
elf_segment_in_kernel_half_is_rejected(void **state)
{
    struct image *im = *state;
    phdr(im, 1)->vaddr = 0xffffffff80000000ul;
    assert_rejected(im, "outside user space");
}

static void
elf_segment_address_not_congruent_to_offset_is_rejected(void **state)
{
    struct image *im = *state;
    phdr(im, 1)->vaddr = DATA_VADDR + 0x800;
    assert_rejected(im, "not congruent");
    phdr(im, 1)->vaddr = DATA_VADDR;
    phdr(im, 1)->offset = 0x1008;
    phdr(im, 1)->align = 2;
    assert_rejected(im, "not congruent");
}

static void
elf_overlapping_segments_are_rejected(void **state)
{
    struct image *im = *state;
    phdr(im, 0)->memsz = 0x1001;                /* one byte into the data segment */
    assert_rejected(im, "overlap");
}

/* Loadable segments must come in address order: one below the one before is refused,
 * whether it overlaps it or not (a loader walks them in order, once). */
static void
elf_segment_overlapping_an_earlier_one_from_below_is_rejected(void **state)
{
    struct image *im = *state;
    phdr(im, 1)->vaddr = TEXT_VADDR - 0x1000;   /* [0x3ff000, 0x401000) covers the text */
    assert_rejected(im, "address order");
}

static void
elf_segments_out_of_address_order_are_rejected(void **state)
{
    struct image *im = *state;
    phdr(im, 1)->vaddr = 0x100000;              /* far below the text, no overlap */
    phdr(im, 1)->offset = 0x1000;
    assert_rejected(im, "address order");
}

static void
elf_segment_inside_another_is_rejected(void **state)
{
    struct image *im = *state;
    add_phdr(im, (struct elf64_phdr){
        .type = ELF_PT_LOAD, .flags = ELF_PF_R, .offset = 0x1000, .vaddr = DATA_VADDR + 0x1000,
        .filesz = 0, .memsz = 0x10, .align = 0x1000,
    });
    assert_rejected(im, "overlap");
}

static void
elf_without_pt_load_is_rejected(void **state)
{
    struct image *im = *state;
    phdr(im, 0)->type = PT_NOTE;
    phdr(im, 1)->type = PT_NOTE;
    assert_rejected(im, "nothing to load");
}

static void
elf_with_only_empty_pt_loads_is_rejected(void **state)
{
    struct image *im = *state;
    phdr(im, 0)->filesz = phdr(im, 0)->memsz = 0;
    phdr(im, 1)->filesz = phdr(im, 1)->memsz = 0;
    assert_rejected(im, "nothing to load");
}

static void
elf_entry_outside_every_segment_is_rejected(void **state)
{
    struct image *im = *state;
    ehdr(im)->entry = 0x500000;
    assert_rejected(im, "entry point not in an executable segment");
    ehdr(im)->entry = TEXT_VADDR - 1;
    assert_rejected(im, "entry point not in an executable segment");
    ehdr(im)->entry = 0;
    assert_rejected(im, "entry point not in an executable segment");
}

static void
elf_entry_in_non_executable_segment_is_rejected(void **state)
{
    struct image *im = *state;
    ehdr(im)->entry = DATA_VADDR + 0x10;
    assert_rejected(im, "entry point not in an executable segment");
}

/* The end of the text segment is the first byte of the data segment: not executable. */
static void
elf_entry_just_past_executable_segment_is_rejected(void **state)
{
    struct image *im = *state;
    ehdr(im)->entry = TEXT_VADDR + 0x1000;
    assert_rejected(im, "entry point not in an executable segment");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(elf_valid_image_is_accepted),
        T(elf_success_sets_why_to_null),
        T(elf_single_segment_image_is_accepted),
        T(elf_non_load_headers_are_ignored),
        T(elf_zero_memsz_load_is_ignored),
        T(elf_align_0_or_1_allows_any_offset),
        T(elf_segments_at_the_user_space_bounds_are_accepted),
        T(elf_adjacent_segments_are_accepted),
        T(elf_entry_at_last_byte_of_executable_segment_is_accepted),
        T(elf_entry_in_a_later_executable_segment_is_accepted),
        T(elf_most_program_headers_allowed_is_accepted),
        T(elf_shorter_than_header_is_rejected),
        T(elf_bad_magic_is_rejected),
        T(elf_class32_is_rejected),
        T(elf_big_endian_is_rejected),
        T(elf_wrong_ident_version_is_rejected),
        T(elf_shared_object_is_rejected),
        T(elf_wrong_machine_is_rejected),
        T(elf_wrong_phentsize_is_rejected),
        T(elf_no_program_headers_is_rejected),
        T(elf_too_many_program_headers_is_rejected),
        T(elf_program_headers_past_end_of_file_are_rejected),
        T(elf_program_header_offset_overflowing_is_rejected),
        T(elf_misaligned_program_headers_are_rejected),
        T(elf_filesz_above_memsz_is_rejected),
        T(elf_segment_past_end_of_file_is_rejected),
        T(elf_segment_offset_past_end_of_file_is_rejected),
        T(elf_segment_file_range_overflowing_is_rejected),
        T(elf_segment_address_range_wrapping_is_rejected),
        T(elf_segment_below_user_base_is_rejected),
        T(elf_segment_ending_above_user_top_is_rejected),
        T(elf_segment_in_kernel_half_is_rejected),
        T(elf_segment_address_not_congruent_to_offset_is_rejected),
        T(elf_overlapping_segments_are_rejected),
        T(elf_segment_overlapping_an_earlier_one_from_below_is_rejected),
        T(elf_segments_out_of_address_order_are_rejected),
        T(elf_segment_inside_another_is_rejected),
        T(elf_without_pt_load_is_rejected),
        T(elf_with_only_empty_pt_loads_is_rejected),
        T(elf_entry_outside_every_segment_is_rejected),
        T(elf_entry_in_non_executable_segment_is_rejected),
        T(elf_entry_just_past_executable_segment_is_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
