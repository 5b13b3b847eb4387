// SPDX-License-Identifier: MIT
/* The local APIC timer: calibrated against PIT channel 2, then periodic at the scheduler's
 * rate. The APIC registers are mapped uncached in the kernel's MMIO window. */
#include "apic.h"
#include "arch.h"
#include "paging.h"

#include <arch/cpu.h>

#define APIC_BASE_ADDR      0x000ffffffffff000UL    /* IA32_APIC_BASE bits 12-51 */
#define APIC_BASE_ENABLE    (1UL << 11)

/* Register offsets (Intel SDM Vol. 3A, table 11-1). */
#define APIC_ID             0x020
#define APIC_TPR            0x080
#define APIC_EOI            0x0b0
#define APIC_SVR            0x0f0
#define APIC_LVT_TIMER      0x320
#define APIC_TIMER_INIT     0x380
#define APIC_TIMER_CURRENT  0x390
#define APIC_TIMER_DIVIDE   0x3e0
#define SVR_ENABLE          (1u << 8)
#define LVT_MASKED          (1u << 16)
#define LVT_PERIODIC        (1u << 17)
#define DIVIDE_BY_16        0x3

/* The 8254 PIT (channel 2, gated through port 0x61) as the reference clock. */
#define PIT_HZ              1193182
#define PIT_CH2             0x42
#define PIT_CMD             0x43
#define PORT_B              0x61
#define PORTB_GATE2         0x01
#define PORTB_SPEAKER       0x02
#define PORTB_OUT2          0x20
#define CALIBRATE_MS        10
#define CALIBRATE_SPIN_MAX  100000000UL     /* port reads: seconds, even on real hardware */
#define CALIBRATE_GUESS     (62500 * CALIBRATE_MS)  /* a 1 GHz bus, divided by 16 */

static volatile uint32_t *apic;

static uint32_t
apic_read(unsigned reg)
{
    return apic[reg / 4];
}

static void
apic_write(unsigned reg, uint32_t v)
{
    apic[reg / 4] = v;
}

void
apic_eoi(void)
{
    apic_write(APIC_EOI, 0);
}

unsigned
apic_id(void)
{
    return apic_read(APIC_ID) >> 24;        /* xAPIC: bits 24-31 */
}

/* APIC timer ticks (divided by 16) in CALIBRATE_MS milliseconds of PIT time. */
static uint32_t
calibrate(void)
{
    uint16_t count = PIT_HZ * CALIBRATE_MS / 1000;

    outb(PORT_B, inb(PORT_B) & ~(PORTB_GATE2 | PORTB_SPEAKER));
    outb(PIT_CMD, 0xb0);                    /* channel 2, lobyte/hibyte, mode 0 */
    outb(PIT_CH2, count & 0xff);
    outb(PIT_CH2, count >> 8);

    apic_write(APIC_TIMER_DIVIDE, DIVIDE_BY_16);
    apic_write(APIC_LVT_TIMER, LVT_MASKED);
    apic_write(APIC_TIMER_INIT, 0xffffffff);
    outb(PORT_B, inb(PORT_B) | PORTB_GATE2);        /* start counting down */
    for (unsigned long spin = 0; !(inb(PORT_B) & PORTB_OUT2); spin++) {
        if (spin > CALIBRATE_SPIN_MAX) {                /* no PIT: guess, and say so */
            kprintf("mica: no PIT to calibrate the APIC timer against; guessing\n");
            apic_write(APIC_TIMER_INIT, 0);
            return CALIBRATE_GUESS;
        }
        cpu_relax();
    }
    uint32_t elapsed = 0xffffffff - apic_read(APIC_TIMER_CURRENT);
    apic_write(APIC_TIMER_INIT, 0);
    return elapsed;
}

void
arch_timer_init(unsigned hz)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
    apic = paging_map_mmio(base & APIC_BASE_ADDR);

    apic_write(APIC_TPR, 0);
    apic_write(APIC_SVR, SVR_ENABLE | VEC_APIC_SPURIOUS);

    uint32_t per_ms = calibrate() / CALIBRATE_MS;
    uint32_t period = per_ms * (1000 / hz);
    if (period == 0)
        period = 1;
    apic_write(APIC_TIMER_DIVIDE, DIVIDE_BY_16);
    apic_write(APIC_LVT_TIMER, LVT_PERIODIC | VEC_APIC_TIMER);
    apic_write(APIC_TIMER_INIT, period);
    kprintf("mica: local APIC timer: %u ticks/ms (divided by 16), %u Hz\n", per_ms, hz);
}
