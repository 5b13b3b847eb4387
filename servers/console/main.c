// SPDX-License-Identifier: MIT
/*
 * console: the 16550 UART driver, in user space. Input is interrupt driven: the line's
 * handler signals a notification bound to this thread, so interrupts and requests arrive
 * through the same receive. Output goes to the transmitter 16 bytes (the FIFO) per
 * transmitter-empty state; a write is answered once its bytes are in the FIFO. The line
 * discipline: in line mode, input is echoed, backspace edits, and the reader sees whole
 * lines; in raw mode, every byte as it comes. The kernel writes its own messages to the
 * same transmitter (polled), and nothing else of the UART.
 */
#include <string.h>

#include "mica.h"
#include "proto.h"

#include <mica/task.h>

#define CNODE       MICA_TASK_SLOT_CNODE
#define PORTS       MICA_TASK_SLOT_PORTS
#define COM1        0x3f8
#define RBR         0           /* receive buffer / transmit holding */
#define IER         1
#define FCR         2
#define MCR         4
#define LSR         5
#define LSR_DR      0x01
#define LSR_THRE    0x20
#define IER_RX      0x01
#define MCR_OUT2    0x08        /* routes the UART's interrupt to the PIC/IOAPIC line */
#define FIFO_SIZE   16
#define INPUT_MAX   1024
#define READER_SLOT (MICA_TASK_SLOT_FIRST_FREE)
#define RECV_SLOT   (MICA_TASK_SLOT_FIRST_FREE + 1)

static uint8_t input[INPUT_MAX];
static unsigned in_len, in_ready;       /* bytes held; of them, ready for the reader */
static int mode = CONSOLE_LINE;
static bool have_reader;

static uint8_t
reg_in(unsigned reg)
{
    uint8_t v = 0;
    mica_io_in8(PORTS, COM1 + reg, &v);
    return v;
}

static void
reg_out(unsigned reg, uint8_t v)
{
    mica_io_out8(PORTS, COM1 + reg, v);
}

static void
transmit(const uint8_t *bytes, size_t n)
{
    while (n) {
        while (!(reg_in(LSR) & LSR_THRE))
            mica_yield();                       /* the FIFO drains at the line's rate */
        size_t k = n < FIFO_SIZE ? n : FIFO_SIZE;
        mica_io_out_string(PORTS, COM1 + RBR, bytes, k);   /* one invocation for the FIFO */
        bytes += k;
        n -= k;
    }
}

static void
ready(void)
{
    if (have_reader && in_ready)
        mica_signal(READER_SLOT);
}

/* One received byte, through the line discipline. */
static void
receive(uint8_t c)
{
    if (mode == CONSOLE_RAW) {
        if (in_len < INPUT_MAX)
            input[in_len++] = c;
        in_ready = in_len;
        return;
    }
    if (c == '\r')
        c = '\n';
    if (c == 0x7f || c == '\b') {
        if (in_len > in_ready) {
            in_len--;
            transmit((const uint8_t *)"\b \b", 3);
        }
        return;
    }
    if (in_len == INPUT_MAX)
        return;                                 /* the line is full: dropped */
    input[in_len++] = c;
    transmit(&c, 1);
    if (c == '\n')
        in_ready = in_len;
}

static void
interrupt(void)
{
    while (reg_in(LSR) & LSR_DR)
        receive(reg_in(RBR));
    mica_irq_handler_ack(MICA_TASK_SLOT_IRQ);
    ready();
}

static void
unpack(const struct mica_msg *m, uint8_t *out, size_t n)
{
    const uint64_t *buf = mica_ipc_buffer()->mr;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = 1 + i / 8 < MICA_MSG_REG_WORDS ? m->mr[1 + i / 8] : buf[1 + i / 8];
        memcpy(out + i, &w, n - i < 8 ? n - i : 8);
    }
}

static unsigned
pack(struct mica_msg *m, const uint8_t *in, size_t n)
{
    uint64_t *buf = mica_ipc_buffer()->mr;
    m->mr[0] = n;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = 0;
        memcpy(&w, in + i, n - i < 8 ? n - i : 8);
        *(1 + i / 8 < MICA_MSG_REG_WORDS ? &m->mr[1 + i / 8] : &buf[1 + i / 8]) = w;
    }
    return 1 + (unsigned)((n + 7) / 8);
}

static long
handle(struct mica_msg *m, unsigned *len)
{
    uint8_t bytes[CONSOLE_MAX];
    unsigned words = mica_msg_length(m->info);
    *len = 0;
    switch (mica_msg_label(m->info)) {
    case CONSOLE_WRITE: {
        uint64_t n = m->mr[0];
        if (words < 1 || n > CONSOLE_MAX || words < 1 + (n + 7) / 8)
            return MICA_E_INVALID_ARG;
        unpack(m, bytes, n);
        transmit(bytes, n);
        m->mr[0] = n;
        *len = 1;
        return MICA_E_OK;
    }
    case CONSOLE_READ: {
        unsigned n = in_ready < CONSOLE_MAX ? in_ready : CONSOLE_MAX;
        *len = pack(m, input, n);
        memmove(input, input + n, in_len - n);
        in_len -= n;
        in_ready -= n;
        return MICA_E_OK;
    }
    case CONSOLE_SET_READER: {
        struct mica_cap_info info = { 0 };
        if (!mica_msg_caps(m->info) || mica_cnode_identify(CNODE, RECV_SLOT, &info) ||
            info.type != MICA_OBJ_NOTIFICATION)
            return MICA_E_NO_CAP;
        mica_cnode_delete(CNODE, READER_SLOT);
        mica_cnode_move(CNODE, READER_SLOT, CNODE, RECV_SLOT);
        have_reader = true;
        ready();
        return MICA_E_OK;
    }
    case CONSOLE_MODE:
        if (words < 1 || (m->mr[0] != CONSOLE_LINE && m->mr[0] != CONSOLE_RAW))
            return MICA_E_INVALID_ARG;
        mode = (int)m->mr[0];
        in_ready = in_len;
        return MICA_E_OK;
    default:
        return MICA_E_BAD_METHOD;
    }
}

int
main(void)
{
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    mica_tcb_bind_notification(MICA_TASK_SLOT_TCB, MICA_TASK_SLOT_IRQ_NTFN);
    reg_out(FCR, 0x07);                         /* FIFOs on and cleared */
    reg_out(MCR, (uint8_t)(reg_in(MCR) | MCR_OUT2));
    reg_out(IER, IER_RX);
    mica_irq_handler_ack(MICA_TASK_SLOT_IRQ);
    interrupt();                                /* whatever came before we listened */

    struct mica_msg m = { 0 };
    buf->recv_cnode = CNODE;
    buf->recv_slot = RECV_SLOT;
    long err = mica_recv(MICA_TASK_SLOT_SERVICE, &m, MICA_TIMEOUT_FOREVER);
    for (;;) {
        if (err || mica_msg_label(m.info) == MICA_LABEL_NOTIFICATION) {
            if (!err)
                interrupt();
            err = mica_recv(MICA_TASK_SLOT_SERVICE, &m, MICA_TIMEOUT_FOREVER);
            continue;
        }
        unsigned len;
        long status = handle(&m, &len);
        mica_cnode_delete(CNODE, RECV_SLOT);     /* a capability we did not keep */
        m.info = mica_msginfo((uint64_t)status, len);
        err = mica_reply_recv(MICA_TASK_SLOT_SERVICE, &m, MICA_TIMEOUT_FOREVER);
    }
}
