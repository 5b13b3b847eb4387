/* SPDX-License-Identifier: MIT */
/* Device memory: blocks of physical addresses that are not RAM, and device frames. */
#ifndef DEVICE_H
#define DEVICE_H

#include "cspace.h"

struct bootinfo;
struct invocation;

/* Learn where RAM is (never issued as device memory) from the boot memory map. */
void device_init(const struct bootinfo *bi);

/* The capability to all device memory, for the root task. */
struct cap device_memory_all(void);

int device_memory_invoke(struct invocation *inv);

#endif
