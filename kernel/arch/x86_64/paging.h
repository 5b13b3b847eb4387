/* SPDX-License-Identifier: MIT */
/* x86_64 paging internals shared inside the port. */
#ifndef X86_PAGING_H
#define X86_PAGING_H

#include "kernel.h"

/* Map one page of device registers uncached into the kernel's MMIO window. */
volatile void *paging_map_mmio(paddr_t pa);

/* Unmap one page of the kernel image (a stack's guard page). */
void paging_unmap_kernel_page(vaddr_t va);

/* Whether PCIDs are to be used where the CPU has them (not `nopcid`). */
bool paging_pcid_wanted(void);
extern bool pcid_enabled;
extern uint64_t pcid_mask;              /* PCID_COUNT - 1 with PCIDs on, else 0 */

#endif
