/* SPDX-License-Identifier: MIT */
/* Whole-kernel invariant checks, run after every kernel entry when enabled (the checking
 * kernel, CONFIG_INVARIANTS, booted with `checkinvariants`: the fuzzer's boots). Only the
 * checking kernel has invariants.c and vspace_walk.c: the others' calls are compiled out. */
#ifndef INVARIANTS_H
#define INVARIANTS_H

#include "kernel.h"

extern bool invariants_enabled;

/* Check every invariant the kernel keeps; a violated one stops the machine with a panic
 * that names it. Call with the scheduler's choice made (this_cpu()->current set). */
void invariants_check(void);

/* At a kernel exit: check if enabled. */
static inline void
invariants_exit_check(void)
{
    if (CONFIG_INVARIANTS && unlikely(invariants_enabled))
        invariants_check();
}

/* selftest=invariant: break one link of the derivation tree and check, to show the report. */
void invariants_selftest(void);

#endif
