/* SPDX-License-Identifier: MIT */
/* The local APIC (Intel SDM Vol. 3A, chapter 11) and the interrupt vectors the kernel uses. */
#ifndef X86_APIC_H
#define X86_APIC_H

#define VEC_PIC_BASE        0x20    /* the masked 8259s: only spurious IRQs arrive at 0x20-0x2f */
#define VEC_PIC_END         0x30
#define VEC_APIC_TIMER      0x30
#define VEC_IOAPIC_BASE     0x40    /* IOAPIC input n at 0x40 + n (ioapic.c) */
#define VEC_IOAPIC_END      0x80
#define VEC_APIC_SPURIOUS   0xff

void apic_eoi(void);
unsigned apic_id(void);             /* this CPU's local APIC ID */

/* An interrupt at a vector from VEC_IOAPIC_BASE to VEC_IOAPIC_END (ioapic.c). */
void ioapic_interrupt(unsigned vector);

#endif
