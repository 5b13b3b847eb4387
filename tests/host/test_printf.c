// SPDX-License-Identifier: MIT
/* Tests of the kernel's printf subset (kernel/printf.c): fmt_vformat() and ksnprintf(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kernel.h"

/* Format into a roomy buffer; check both the text and the returned length. */
#define assert_fmt(expect, ...)                                         \
    do {                                                                \
        char buf_[256];                                                 \
        memset(buf_, 'X', sizeof(buf_));                                \
        int n_ = ksnprintf(buf_, sizeof(buf_), __VA_ARGS__);            \
        assert_string_equal(buf_, (expect));                            \
        assert_int_equal(n_, strlen(expect));                           \
    } while (0)

static void
printf_d_formats_signed_int(void **state)
{
    (void)state;
    assert_fmt("0", "%d", 0);
    assert_fmt("42", "%d", 42);
    assert_fmt("-42", "%d", -42);
    assert_fmt("2147483647", "%d", INT_MAX);
    assert_fmt("-2147483648", "%d", INT_MIN);
}

static void
printf_i_formats_like_d(void **state)
{
    (void)state;
    assert_fmt("7 -7", "%i %i", 7, -7);
}

static void
printf_u_formats_unsigned_int(void **state)
{
    (void)state;
    assert_fmt("0", "%u", 0u);
    assert_fmt("4294967295", "%u", UINT_MAX);
}

/* Without a length modifier the argument is an int: only its 32 bits are shown. */
static void
printf_int_conversions_read_only_an_int(void **state)
{
    (void)state;
    assert_fmt("4294967295 ffffffff -1", "%u %x %d", (unsigned)-1, (unsigned)-1, -1);
}

static void
printf_x_formats_lowercase_hex(void **state)
{
    (void)state;
    assert_fmt("0", "%x", 0u);
    assert_fmt("deadbeef", "%x", 0xdeadbeefu);
}

static void
printf_X_formats_uppercase_hex(void **state)
{
    (void)state;
    assert_fmt("DEADBEEF", "%X", 0xdeadbeefu);
}

static void
printf_p_formats_pointer_as_0x_hex(void **state)
{
    (void)state;
    assert_fmt("0x1000", "%p", (void *)0x1000);
    assert_fmt("0xffffffff80000000", "%p", (void *)0xffffffff80000000ul);
    assert_fmt("0x0", "%p", (void *)0);
}

static void
printf_s_formats_string(void **state)
{
    (void)state;
    assert_fmt("abc", "%s", "abc");
    assert_fmt("<>", "<%s>", "");
}

static void
printf_c_formats_char(void **state)
{
    (void)state;
    assert_fmt("a-Z", "%c-%c", 'a', 'Z');
}

static void
printf_percent_percent_prints_percent(void **state)
{
    (void)state;
    assert_fmt("100%", "100%%");
    assert_fmt("%d", "%%d");
}

static void
printf_ld_formats_int64_extremes(void **state)
{
    (void)state;
    assert_fmt("-9223372036854775808", "%ld", (long)INT64_MIN);
    assert_fmt("9223372036854775807", "%ld", (long)INT64_MAX);
    assert_fmt("-1", "%ld", -1L);
}

static void
printf_lu_and_lx_format_uint64(void **state)
{
    (void)state;
    assert_fmt("18446744073709551615", "%lu", (unsigned long)UINT64_MAX);
    assert_fmt("ffffffffffffffff", "%lx", (unsigned long)UINT64_MAX);
    assert_fmt("123456789ABCDEF0", "%lX", 0x123456789abcdef0ul);
}

static void
printf_ll_modifier_reads_long_long(void **state)
{
    (void)state;
    assert_fmt("-9223372036854775808", "%lld", LLONG_MIN);
    assert_fmt("18446744073709551615", "%llu", ULLONG_MAX);
    assert_fmt("100000000", "%llx", 0x100000000ull);
}

static void
printf_z_modifier_reads_size_t(void **state)
{
    (void)state;
    assert_fmt("18446744073709551615", "%zu", SIZE_MAX);
    assert_fmt("10000000000", "%zx", (size_t)1 << 40);
}

static void
printf_width_pads_on_the_left_with_spaces(void **state)
{
    (void)state;
    assert_fmt("   42", "%5d", 42);
    assert_fmt("  -42", "%5d", -42);
    assert_fmt("   ff", "%5x", 0xffu);
    assert_fmt("    x", "%5c", 'x');
}

static void
printf_width_smaller_than_value_does_not_truncate(void **state)
{
    (void)state;
    assert_fmt("123456", "%3d", 123456);
    assert_fmt("abcdef", "%2s", "abcdef");
}

static void
printf_minus_flag_pads_on_the_right(void **state)
{
    (void)state;
    assert_fmt("42   |", "%-5d|", 42);
    assert_fmt("-42  |", "%-5d|", -42);
    assert_fmt("ab    |", "%-6s|", "ab");
    assert_fmt("x  |", "%-3c|", 'x');
}

static void
printf_zero_flag_pads_numbers_with_zeros(void **state)
{
    (void)state;
    assert_fmt("00042", "%05d", 42);
    assert_fmt("000000ff", "%08x", 0xffu);
    assert_fmt("00000000000000004096", "%020lu", 0x1000ul);
}

/* The sign comes before the zeros, as in C. */
static void
printf_zero_flag_puts_sign_before_zeros(void **state)
{
    (void)state;
    assert_fmt("-0042", "%05d", -42);
}

static void
printf_hash_flag_prefixes_hex_with_0x(void **state)
{
    (void)state;
    assert_fmt("0xff", "%#x", 0xffu);
    assert_fmt("0XFF", "%#X", 0xffu);
    assert_fmt("0xffffffffffffffff", "%#lx", (unsigned long)UINT64_MAX);
}

/* As in C, zero gets no prefix. */
static void
printf_hash_flag_leaves_zero_unprefixed(void **state)
{
    (void)state;
    assert_fmt("0", "%#x", 0u);
}

static void
printf_hash_flag_with_width_counts_the_prefix(void **state)
{
    (void)state;
    assert_fmt("    0xff", "%#8x", 0xffu);
    assert_fmt("0x0000ff", "%#08x", 0xffu);
    assert_fmt("0xff    |", "%-#8x|", 0xffu);
}

/* As in C, a negative '*' width left-justifies. */
static void
printf_negative_star_width_pads_on_the_right(void **state)
{
    (void)state;
    assert_fmt("42    |", "%*d|", -6, 42);
}

static void
printf_star_width_reads_an_int_argument(void **state)
{
    (void)state;
    assert_fmt("    42", "%*d", 6, 42);
    assert_fmt("ab   |", "%-*s|", 5, "ab");
    assert_fmt("42", "%*d", 0, 42);
}

static void
printf_s_precision_truncates(void **state)
{
    (void)state;
    assert_fmt("abc", "%.3s", "abcdef");
    assert_fmt("abc", "%.10s", "abc");
    assert_fmt("<>", "<%.0s>", "abc");
}

static void
printf_s_star_precision_reads_an_int_argument(void **state)
{
    (void)state;
    assert_fmt("ab", "%.*s", 2, "abcdef");
    assert_fmt("", "%.*s", 0, "abcdef");
}

/* A negative precision from '*' counts as none, as in C. */
static void
printf_s_negative_star_precision_prints_whole_string(void **state)
{
    (void)state;
    assert_fmt("abcdef", "%.*s", -1, "abcdef");
}

/* With a precision the string need not be terminated: nothing past it is read (ASan). */
static void
printf_s_precision_reads_no_further_than_precision(void **state)
{
    (void)state;
    char *s = malloc(3);
    assert_non_null(s);
    memcpy(s, "xyz", 3);
    assert_fmt("xyz", "%.3s", s);
    assert_fmt("xy", "%.*s", 2, s);
    free(s);
}

static void
printf_s_width_and_precision_combine(void **state)
{
    (void)state;
    assert_fmt("   ab", "%5.2s", "abcdef");
    assert_fmt("ab   |", "%-5.2s|", "abcdef");
    assert_fmt("  abc", "%*.*s", 5, 3, "abcdef");
}

static void
printf_mixed_conversions_consume_arguments_in_order(void **state)
{
    (void)state;
    assert_fmt("pid 7: tcb=0xffff800000001000 name=init state=R 99%",
               "pid %u: tcb=%p name=%s state=%c %d%%", 7u, (void *)0xffff800000001000ul,
               "init", 'R', 99);
}

/* Formats that gcc's format checking (rightly) objects to, but the kernel must handle. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
#pragma GCC diagnostic ignored "-Wformat-overflow"

/* Text without conversions is copied as it is. */
static void
printf_plain_text_is_copied(void **state)
{
    (void)state;
    assert_fmt("", "");
    assert_fmt("hello, world\n", "hello, world\n");
}

static void
printf_s_null_prints_null_marker(void **state)
{
    (void)state;
    const char *null = NULL;
    assert_fmt("(null)", "%s", null);
}

static void
printf_minus_flag_overrides_zero_flag(void **state)
{
    (void)state;
    assert_fmt("42   |", "%-05d|", 42);
    assert_fmt("42   |", "%0-5d|", 42);
}

static void
printf_p_with_zero_flag_pads_after_0x(void **state)
{
    (void)state;
    assert_fmt("0x00001000", "%010p", (void *)0x1000);
    assert_fmt("    0x1000", "%10p", (void *)0x1000);
}

static void
printf_s_precision_applies_to_null_marker(void **state)
{
    (void)state;
    assert_fmt("(nu", "%.3s", (const char *)NULL);
}

/* '0' pads numbers only: strings and characters still get spaces. */
static void
printf_zero_flag_pads_s_and_c_with_spaces(void **state)
{
    (void)state;
    assert_fmt("   ab", "%05s", "ab");
    assert_fmt("    x", "%05c", 'x');
}

static void
printf_unknown_conversion_is_printed_as_written(void **state)
{
    (void)state;
    assert_fmt("a%yb", "a%yb");
    assert_fmt("%q 5", "%q %d", 5);
}

static void
printf_lone_trailing_percent_ends_the_output(void **state)
{
    (void)state;
    assert_fmt("abc", "abc%");
    assert_fmt("abc", "abc%-08");
    assert_fmt("", "%");
}

/* A width too large for an int is clamped (4096), never overflowed. */
static void
printf_absurd_width_is_clamped(void **state)
{
    (void)state;
    char buf[8192];
    int n = ksnprintf(buf, sizeof(buf), "%99999999999d", 7);
    assert_int_equal(n, 4096);
    assert_int_equal(buf[4095], '7');
    assert_int_equal(buf[0], ' ');
}

#pragma GCC diagnostic pop

static void
ksnprintf_truncates_and_returns_full_length(void **state)
{
    (void)state;
    char buf[8];
    assert_int_equal(ksnprintf(buf, sizeof(buf), "hello, %s", "world"), 12);
    assert_string_equal(buf, "hello, ");
}

static void
ksnprintf_exact_fit_is_not_truncated(void **state)
{
    (void)state;
    char buf[6];
    assert_int_equal(ksnprintf(buf, sizeof(buf), "%d", 12345), 5);
    assert_string_equal(buf, "12345");
    assert_int_equal(ksnprintf(buf, 5, "%d", 12345), 5);
    assert_string_equal(buf, "1234");
}

/* Bytes past size are never written, not even the terminator. */
static void
ksnprintf_writes_nothing_past_size(void **state)
{
    (void)state;
    char buf[16];
    memset(buf, 'X', sizeof(buf));
    assert_int_equal(ksnprintf(buf, 4, "%s", "abcdefgh"), 8);
    assert_memory_equal(buf, "abc\0XXXXXXXXXXXX", sizeof(buf));
}

static void
ksnprintf_size_one_writes_only_terminator(void **state)
{
    (void)state;
    char buf[4] = "XXX";
    assert_int_equal(ksnprintf(buf, 1, "%d", 42), 2);
    assert_memory_equal(buf, "\0XX", 4);
}

static void
ksnprintf_size_zero_leaves_buffer_untouched(void **state)
{
    (void)state;
    char buf[4] = "XXX";
    assert_int_equal(ksnprintf(buf, 0, "%s", "abc"), 3);
    assert_memory_equal(buf, "XXX", 4);
    assert_int_equal(ksnprintf(NULL, 0, "%d", -1000), 5);
}

struct collect {
    char text[64];
    int n;
};

static void
collect_out(void *ctx, char c)
{
    struct collect *col = ctx;
    if (col->n < (int)sizeof(col->text))
        col->text[col->n] = c;
    col->n++;
}

static int
collect_format(struct collect *col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vformat(collect_out, col, fmt, ap);
    va_end(ap);
    return n;
}

/* fmt_vformat hands every character to the sink, a NUL from %c included, and counts it. */
static void
fmt_vformat_emits_and_counts_every_character(void **state)
{
    (void)state;
    struct collect col = { .n = 0 };
    assert_int_equal(collect_format(&col, "a%cb%5d", 0, 7), 8);
    assert_int_equal(col.n, 8);
    assert_memory_equal(col.text, "a\0b    7", 8);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(printf_plain_text_is_copied),
        cmocka_unit_test(printf_d_formats_signed_int),
        cmocka_unit_test(printf_i_formats_like_d),
        cmocka_unit_test(printf_u_formats_unsigned_int),
        cmocka_unit_test(printf_int_conversions_read_only_an_int),
        cmocka_unit_test(printf_x_formats_lowercase_hex),
        cmocka_unit_test(printf_X_formats_uppercase_hex),
        cmocka_unit_test(printf_p_formats_pointer_as_0x_hex),
        cmocka_unit_test(printf_s_formats_string),
        cmocka_unit_test(printf_s_null_prints_null_marker),
        cmocka_unit_test(printf_c_formats_char),
        cmocka_unit_test(printf_percent_percent_prints_percent),
        cmocka_unit_test(printf_ld_formats_int64_extremes),
        cmocka_unit_test(printf_lu_and_lx_format_uint64),
        cmocka_unit_test(printf_ll_modifier_reads_long_long),
        cmocka_unit_test(printf_z_modifier_reads_size_t),
        cmocka_unit_test(printf_width_pads_on_the_left_with_spaces),
        cmocka_unit_test(printf_width_smaller_than_value_does_not_truncate),
        cmocka_unit_test(printf_minus_flag_pads_on_the_right),
        cmocka_unit_test(printf_zero_flag_pads_numbers_with_zeros),
        cmocka_unit_test(printf_zero_flag_puts_sign_before_zeros),
        cmocka_unit_test(printf_minus_flag_overrides_zero_flag),
        cmocka_unit_test(printf_zero_flag_pads_s_and_c_with_spaces),
        cmocka_unit_test(printf_hash_flag_prefixes_hex_with_0x),
        cmocka_unit_test(printf_hash_flag_leaves_zero_unprefixed),
        cmocka_unit_test(printf_hash_flag_with_width_counts_the_prefix),
        cmocka_unit_test(printf_p_with_zero_flag_pads_after_0x),
        cmocka_unit_test(printf_star_width_reads_an_int_argument),
        cmocka_unit_test(printf_negative_star_width_pads_on_the_right),
        cmocka_unit_test(printf_absurd_width_is_clamped),
        cmocka_unit_test(printf_s_precision_truncates),
        cmocka_unit_test(printf_s_precision_applies_to_null_marker),
        cmocka_unit_test(printf_s_star_precision_reads_an_int_argument),
        cmocka_unit_test(printf_s_negative_star_precision_prints_whole_string),
        cmocka_unit_test(printf_s_precision_reads_no_further_than_precision),
        cmocka_unit_test(printf_s_width_and_precision_combine),
        cmocka_unit_test(printf_mixed_conversions_consume_arguments_in_order),
        cmocka_unit_test(printf_unknown_conversion_is_printed_as_written),
        cmocka_unit_test(printf_lone_trailing_percent_ends_the_output),
        cmocka_unit_test(ksnprintf_truncates_and_returns_full_length),
        cmocka_unit_test(ksnprintf_exact_fit_is_not_truncated),
        cmocka_unit_test(ksnprintf_writes_nothing_past_size),
        cmocka_unit_test(ksnprintf_size_one_writes_only_terminator),
        cmocka_unit_test(ksnprintf_size_zero_leaves_buffer_untouched),
        cmocka_unit_test(fmt_vformat_emits_and_counts_every_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
