// SPDX-License-Identifier: MIT
/* The kernel console: a 16550 UART on COM1, polled, output only. The user-level console
 * driver (a later server) takes the UART for input; the kernel keeps writing its messages. */
#include "arch.h"

#include <arch/cpu.h>

#define COM1        0x3f8
#define UART_THR    0       /* transmit holding (write) */
#define UART_IER    1       /* interrupt enable */
#define UART_DLL    0       /* divisor latch, with LCR.DLAB */
#define UART_DLH    1
#define UART_FCR    2       /* FIFO control */
#define UART_LCR    3       /* line control */
#define UART_MCR    4       /* modem control */
#define UART_LSR    5       /* line status */
#define LCR_8N1     0x03
#define LCR_DLAB    0x80
#define LSR_THRE    0x20    /* transmitter holding register empty */

void
arch_console_init(void)
{
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, LCR_DLAB);
    outb(COM1 + UART_DLL, 1);               /* 115200 baud */
    outb(COM1 + UART_DLH, 0);
    outb(COM1 + UART_LCR, LCR_8N1);
    outb(COM1 + UART_FCR, 0x07);            /* enable and clear the FIFOs */
    outb(COM1 + UART_MCR, 0x03);            /* DTR, RTS */
}

void
arch_console_putc(char c)
{
    for (unsigned spin = 0; !(inb(COM1 + UART_LSR) & LSR_THRE) && spin < 100000; spin++)
        cpu_relax();
    outb(COM1 + UART_THR, (uint8_t)c);
}
