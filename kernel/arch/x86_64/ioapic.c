// SPDX-License-Identifier: MIT
/*
 * Interrupt lines through the I/O APIC (Intel 82093AA datasheet; the 8259s stay masked, see
 * cpu.c). Lines 0-15 are the ISA IRQs, edge-triggered, active high: each on the input of its
 * number, except IRQ 0 (the PIT), which is on input 2, as on QEMU's machines and PCs (the
 * ACPI MADT's override; the kernel reads no ACPI tables yet, nor the MADT's address). Line 2
 * (the 8259 cascade) has no device. Lines 16 and up are the inputs of those numbers (PCI),
 * level-triggered, active low. Input n interrupts at vector VEC_IOAPIC_BASE + n, on this CPU.
 */
#include "apic.h"
#include "arch.h"
#include "paging.h"

#define IOAPIC_PHYS         0xfec00000UL    /* the usual address (the MADT would say) */
#define IOREGSEL            0x00            /* register select, then data in IOWIN */
#define IOWIN               0x10
#define IOAPIC_VER          0x01            /* bits 16-23: the last redirection entry */
#define IOAPIC_REDTBL(n)    (0x10 + 2 * (n))    /* low word; the high word follows */
#define RTE_ACTIVE_LOW      (1u << 13)
#define RTE_LEVEL           (1u << 15)
#define RTE_MASKED          (1u << 16)
#define RTE_DEST_SHIFT      24              /* in the high word: physical APIC ID */
#define ISA_LINES           16
#define PIT_INPUT           2               /* IRQ 0's input */
#define CASCADE_LINE        2               /* ISA IRQ 2: the 8259s' cascade, no device */

static volatile uint32_t *ioapic;
static unsigned inputs;                     /* redirection entries */

static uint32_t
ioapic_read(unsigned reg)
{
    ioapic[IOREGSEL / 4] = reg;
    return ioapic[IOWIN / 4];
}

static void
ioapic_write(unsigned reg, uint32_t v)
{
    ioapic[IOREGSEL / 4] = reg;
    ioapic[IOWIN / 4] = v;
}

static unsigned
line_input(unsigned line)
{
    return line == 0 ? PIT_INPUT : line;
}

static unsigned
input_line(unsigned input)
{
    return input == PIT_INPUT ? 0 : input;
}

/* The low word of a line's redirection entry: vector, trigger mode, polarity, mask. */
static uint32_t
entry(unsigned line, bool masked)
{
    uint32_t e = VEC_IOAPIC_BASE + line_input(line);
    if (line >= ISA_LINES)
        e |= RTE_LEVEL | RTE_ACTIVE_LOW;
    return masked ? e | RTE_MASKED : e;
}

void
arch_irq_init(void)
{
    ioapic = paging_map_mmio(IOAPIC_PHYS);
    uint32_t ver = ioapic_read(IOAPIC_VER);
    inputs = ver == ~0u ? 0 : (ver >> 16 & 0xff) + 1;
    inputs = MIN(inputs, (unsigned)(VEC_IOAPIC_END - VEC_IOAPIC_BASE));
    for (unsigned i = 0; i < inputs; i++) {
        unsigned line = input_line(i);
        ioapic_write(IOAPIC_REDTBL(i) + 1, apic_id() << RTE_DEST_SHIFT);
        ioapic_write(IOAPIC_REDTBL(i), i == 0 ? RTE_MASKED : entry(line, true));
    }
    kprintf("mica: I/O APIC: %u interrupt lines for drivers, all masked\n", inputs);
}

unsigned
arch_irq_count(void)
{
    return inputs;
}

bool
arch_irq_reserved(unsigned line)
{
    return line == CASCADE_LINE;
}

void
arch_irq_mask(unsigned line, bool masked)
{
    ioapic_write(IOAPIC_REDTBL(line_input(line)), entry(line, masked));
}

/* Mask the line first, so that a level-triggered device still asserting it cannot
 * interrupt again before its driver has served it; then the EOI. */
void
ioapic_interrupt(unsigned vector)
{
    unsigned input = vector - VEC_IOAPIC_BASE;
    if (input >= inputs || input == 0) {
        apic_eoi();
        return;
    }
    unsigned line = input_line(input);
    arch_irq_mask(line, true);
    apic_eoi();
    irq_deliver(line);
}
