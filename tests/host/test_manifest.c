// SPDX-License-Identifier: MIT
/* Tests of the boot manifest parser (servers/init/manifest.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../servers/init/manifest.h"

static struct manifest m;
static char err[160];

static int
parse(const char *text)
{
    memset(err, 0, sizeof(err));
    return manifest_parse(text, strlen(text), &m, err, sizeof(err));
}

/* Parsing must fail with a message that names the line and contains what. */
static void
assert_refused(const char *text, unsigned line, const char *what)
{
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "manifest line %u: ", line);
    assert_int_equal(parse(text), -1);
    assert_non_null(strstr(err, prefix));
    assert_non_null(strstr(err, what));
}

static void
manifest_full_example_parses(void **state)
{
    (void)state;
    assert_int_equal(parse("# the system\n"
                           "names registry restart   # the name service\n"
                           "\n"
                           "supervisor supervises control memory=512K\n"
                           "console serve restart irq=4 ports=0x3f8-0x3ff prio=150\n"
                           "timer serve device=0xfed00000/12 memory=2M\r\n"
                           "shell control heap=64K halt"), 0);
    assert_int_equal(m.count, 5);
    assert_int_equal(m.task[4].heap, 64 << 10);
    assert_true(m.task[4].halt && !m.task[3].halt);
    assert_string_equal(m.task[0].name, "names");
    assert_true(m.task[0].names && m.task[0].serve && m.task[0].restart);
    assert_int_equal(m.task[0].memory, 1 << 20);
    assert_int_equal(m.task[0].irq, -1);
    assert_true(m.task[1].supervisor && m.task[1].control);
    assert_int_equal(m.task[1].memory, 512 << 10);
    assert_int_equal(m.task[1].line, 4);
    assert_int_equal(m.task[2].irq, 4);
    assert_true(m.task[2].ports);
    assert_int_equal(m.task[2].port_first, 0x3f8);
    assert_int_equal(m.task[2].port_last, 0x3ff);
    assert_int_equal(m.task[2].prio, 150);
    assert_true(m.task[3].device);
    assert_int_equal(m.task[3].device_base, 0xfed00000);
    assert_int_equal(m.task[3].device_bits, 12);
    assert_int_equal(m.task[3].memory, 2 << 20);
    assert_string_equal(m.task[4].name, "shell");
    assert_int_equal(m.task[4].prio, 100);
}

static void
manifest_errors_name_their_line(void **state)
{
    (void)state;
    assert_refused("names\nconsole frobnicate\n", 2, "unknown option 'frobnicate'");
    assert_refused("a memory=3M\n", 1, "power of two");
    assert_refused("a memory=128K\n", 1, "power of two");
    assert_refused("a memory=2G\n", 1, "too large");
    assert_refused("a memory=\n", 1, "no value");
    assert_refused("a prio=256\n", 1, "too large");
    assert_refused("a prio=-1\n", 1, "not a number");
    assert_refused("a prio=12x\n", 1, "not a number");
    assert_refused("a irq\n", 1, "unknown option 'irq'");
    assert_refused("a ports=0x3ff-0x3f8\n", 1, "comes after");
    assert_refused("a ports=0x3f8\n", 1, "FIRST-LAST");
    assert_refused("a ports=1-0x10000\n", 1, "too large");
    assert_refused("a device=0xfed00800/12\n", 1, "not aligned");
    assert_refused("a device=0xfed00000\n", 1, "ADDRESS/BITS");
    assert_refused("a restart=yes\n", 1, "takes no value");
    assert_refused("a\n\n\na\n", 4, "started twice (line 1)");
    assert_refused("a registry\nb registry\n", 2, "second names server");
    assert_refused("a supervises control\nb supervises control\n", 2, "second supervisor");
    assert_refused("a supervises\n", 1, "needs control");
    assert_refused("a registry supervises control\n", 1, "nothing else");
    assert_refused("a pager\nb pager\n", 2, "second memory server");
    assert_refused("a heap=100\n", 1, "whole pages");
    assert_refused("# nothing\n\n", 1, "no task");
    assert_refused("", 1, "no task");
    assert_refused("abcdefghijklmnopqrstuvwxyz0123456789\n", 1, "longer than 31");
}

static void
manifest_rejects_odd_bytes_and_long_words(void **state)
{
    (void)state;
    assert_refused("a\nb \x01\n", 2, "printable");
    char text[200];
    memset(text, 'x', sizeof(text));
    assert_int_equal(manifest_parse(text, sizeof(text), &m, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "longer than"));
    /* Not terminated: the parser stops at the length it was given. */
    char exact[] = { 'a', ' ', 'r', 'e', 's', 't', 'a', 'r', 't' };
    assert_int_equal(manifest_parse(exact, sizeof(exact), &m, err, sizeof(err)), 0);
    assert_true(m.task[0].restart);
}

static void
manifest_too_many_tasks_refused(void **state)
{
    (void)state;
    char text[MANIFEST_MAX_TASKS * 8 + 16] = "";
    for (unsigned i = 0; i <= MANIFEST_MAX_TASKS; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "t%u\n", i);
    assert_refused(text, MANIFEST_MAX_TASKS + 1, "more than");
}

static void
manifest_random_text_never_breaks_the_parser(void **state)
{
    (void)state;
    static const char alphabet[] = "ab =-/#\n\r\t0x1fK9Mmemoryprestartirqportsdevice\x7f\x01";
    char text[96];
    srand(1);
    for (int round = 0; round < 20000; round++) {
        size_t len = (size_t)rand() % sizeof(text);
        for (size_t i = 0; i < len; i++)
            text[i] = alphabet[rand() % (sizeof(alphabet) - 1)];
        int r = manifest_parse(text, len, &m, err, sizeof(err));
        assert_true(r == 0 || (r == -1 && strstr(err, "manifest line ")));
        assert_true(r != 0 || (m.count > 0 && m.count <= MANIFEST_MAX_TASKS));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(manifest_full_example_parses),
        cmocka_unit_test(manifest_errors_name_their_line),
        cmocka_unit_test(manifest_rejects_odd_bytes_and_long_words),
        cmocka_unit_test(manifest_too_many_tasks_refused),
        cmocka_unit_test(manifest_random_text_never_breaks_the_parser),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
