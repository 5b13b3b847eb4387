/* SPDX-License-Identifier: MIT */
/* What every libFuzzer target here shares: its entry point, and the check that turns a
 * broken promise into a crash libFuzzer reports. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void
require(int cond)
{
    if (!cond)
        abort();
}

#endif
