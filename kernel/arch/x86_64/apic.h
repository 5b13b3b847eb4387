/* SPDX-License-Identifier: MIT */
/* The local APIC (Intel SDM Vol. 3A, chapter 11) and the interrupt vectors the kernel uses. */
#ifndef X86_APIC_H
#define X86_APIC_H

#define VEC_PIC_BASE        0x20    /* the masked 8259s: only spurious IRQs arrive at 0x20-0x2f */
#define VEC_PIC_END         0x30
#define VEC_APIC_TIMER      0x30
#define VEC_APIC_SPURIOUS   0xff

void apic_eoi(void);

#endif
