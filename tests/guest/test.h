/* SPDX-License-Identifier: MIT */
/* In-guest test reporting: one line per test, "TEST PASS <name>" or "TEST FAIL <name>: why",
 * which the boot-test harness (tests/check.py) counts. */
#ifndef GUEST_TEST_H
#define GUEST_TEST_H

#include <stdbool.h>

#include "mica.h"

static int test_failures;

#define EXPECT(name, cond, ...)                                                 \
    do {                                                                        \
        if (cond) {                                                             \
            mica_printf("TEST PASS %s\n", name);                                \
        } else {                                                                \
            test_failures++;                                                    \
            mica_printf("TEST FAIL %s: ", name);                                \
            mica_printf(__VA_ARGS__);                                           \
            mica_printf(" (%s:%d)\n", __FILE__, __LINE__);                      \
        }                                                                       \
    } while (0)

/* A call's error code against the expected one, both named in the failure message. */
#define EXPECT_ERR(name, got, want)                                             \
    do {                                                                        \
        long got_ = (got), want_ = (want);                                      \
        EXPECT(name, got_ == want_, "returned %s, expected %s",                 \
               mica_errname(got_), mica_errname(want_));                        \
    } while (0)

#endif
