/* SPDX-License-Identifier: MIT */
/* x86_64 paging internals shared inside the port. */
#ifndef X86_PAGING_H
#define X86_PAGING_H

#include "kernel.h"

/* Map one page of device registers uncached into the kernel's MMIO window. */
volatile void *paging_map_mmio(paddr_t pa);

/* Unmap one page of the kernel image (a stack's guard page). */
void paging_unmap_kernel_page(vaddr_t va);

#endif
