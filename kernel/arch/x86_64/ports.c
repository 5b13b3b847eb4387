// SPDX-License-Identifier: MIT
/*
 * x86 I/O ports for kernel/ioport.c. The kernel keeps the ports whose state it relies on:
 * the 8259 interrupt controllers (masked for good; the I/O APIC takes interrupts) with
 * their mode registers, and QEMU's isa-debug-exit device (the exit status tests read).
 * Everything else may be given to drivers: the PIT (the kernel uses it only to calibrate
 * its timer at boot), the CMOS clock, PCI configuration space (for a PCI server), and the
 * COM1 UART, which the kernel shares: it only writes its own messages to the transmit
 * register, polling the line status, and leaves input, interrupts and line settings to
 * the driver.
 */
#include "arch.h"

#include <arch/cpu.h>

static const struct {
    uint16_t first, last;
} reserved[] = {
    { 0x20, 0x21 },         /* master 8259 */
    { 0x22, 0x23 },         /* IMCR: 8259 or APIC mode (MP specification) */
    { 0xa0, 0xa1 },         /* slave 8259 */
    { 0xf4, 0xf7 },         /* isa-debug-exit under QEMU (`debugexit`) */
    { 0x4d0, 0x4d1 },       /* 8259 edge/level control */
};

bool
arch_port_reserved(unsigned port)
{
    for (unsigned i = 0; i < ARRAY_SIZE(reserved); i++)
        if (port >= reserved[i].first && port <= reserved[i].last)
            return true;
    return false;
}

uint32_t
arch_port_in(unsigned port, unsigned width)
{
    switch (width) {
    case 1: return inb((uint16_t)port);
    case 2: return inw((uint16_t)port);
    default: return inl((uint16_t)port);
    }
}

void
arch_port_out_string(unsigned port, const uint8_t *bytes, unsigned count)
{
    __asm__ volatile("rep outsb" : "+S"(bytes), "+c"(count) : "d"((uint16_t)port) : "memory");
}

void
arch_port_out(unsigned port, unsigned width, uint32_t value)
{
    switch (width) {
    case 1: outb((uint16_t)port, (uint8_t)value); break;
    case 2: outw((uint16_t)port, (uint16_t)value); break;
    default: outl((uint16_t)port, value); break;
    }
}
