// SPDX-License-Identifier: MIT
/*
 * console: the 16550 UART driver, in user space. Input is interrupt driven: the line's
 * handler signals a notification bound to this thread, so interrupts and requests arrive
 * through the same receive. Output goes to the transmitter 16 bytes (the FIFO) per
 * transmitter-empty state; a write is answered once its bytes are in the FIFO. The line
 * discipline: in line mode, input is echoed, backspace edits, and the reader sees whole
 * lines; in raw mode, every byte as it comes. The kernel writes its own messages to the
 * same transmitter (polled), and nothing else of the UART. Besides its synchronous
 * protocol it takes writes through channels (lib/chan.h, docs/channels.md): the thread's
 * one notification is the interrupt's (bit IRQ_BIT) and the channels' doorbell (BELL_BIT),
 * and the channel library runs the loop.
 */
#include <string.h>

#include "chan.h"
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
#define TABLE_SLOT  (MICA_TASK_SLOT_FIRST_FREE + 1)     /* 3: the arena's page tables */
#define BELL_SLOT   (MICA_TASK_SLOT_FIRST_FREE + 4)     /* our doorbell, for clients */
#define CHAN_SLOT   (MICA_TASK_SLOT_FIRST_FREE + 8)     /* the channel library's from here */
#define CHANNELS    4
#define CHAN_PAGES  CONSOLE_CHAN_PAGES  /* a channel's region: at most 16 KiB */
#define ARENA       0x540000000000UL    /* where channels are mapped: a PML4 slot of its own */
#define RECV_SLOT   (CHAN_SLOT + CHANNELS) /* what a message brings: the library's window */
#define IRQ_BIT     1                   /* the interrupt handler signals the badge-less 1 */
#define BELL_BIT    2

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
        return;                                 /* nothing taken: the reader is behind */
    input[in_len++] = c;
    transmit(&c, 1);
    if (c == '\n' || in_len == INPUT_MAX)
        in_ready = in_len;                      /* a line, or as much of one as fits */
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
    case CONSOLE_READ: {                        /* MR0, if given: the most to take */
        unsigned most = words >= 1 && m->mr[0] < CONSOLE_MAX ? (unsigned)m->mr[0]
                                                              : CONSOLE_MAX;
        unsigned n = in_ready < most ? in_ready : most;
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

/* ---- channels ------------------------------------------------------------------------ */

/* CONSOLE_CHAN_WRITE: the request's buffer, copied out (the client may change it), then
 * transmitted; res[0] the bytes written. */
static long
chan_write(struct mica_chan_server *srv, struct mica_chan_conn *c,
           const struct mica_chan_req *req, uint64_t res[MICA_CHAN_RESULTS])
{
    (void)srv, (void)c;
    uint8_t bytes[CONSOLE_MAX];
    if (req->len > CONSOLE_MAX)
        return MICA_E_RANGE;
    memcpy(bytes, req->data, req->len);
    transmit(bytes, req->len);
    res[0] = req->len;
    return MICA_E_OK;
}

static mica_chan_handler *const ops[] = { chan_write };

/* The synchronous protocol: every message that is not channel set-up. */
static bool
on_msg(struct mica_chan_server *srv, struct mica_msg *m)
{
    (void)srv;
    unsigned len;
    long status = handle(m, &len);
    m->info = mica_msginfo((uint64_t)status, len);
    return true;
}

static void
on_notify(struct mica_chan_server *srv, uint64_t bits)
{
    (void)srv;
    if (bits & IRQ_BIT)
        interrupt();                            /* BELL_BIT: the round that follows */
}

int
main(void)
{
    static struct mica_chan_server srv;
    const struct mica_chan_server_config cfg = {
        .ops = ops, .nops = 1, .ep = MICA_TASK_SLOT_SERVICE, .ntfn = MICA_TASK_SLOT_IRQ_NTFN,
        .nconn = CHANNELS, .arena = ARENA, .max_pages = CHAN_PAGES, .first_slot = CHAN_SLOT,
        .on_msg = on_msg, .on_notify = on_notify, .bell_for_clients = BELL_SLOT,
        .untyped = MICA_TASK_SLOT_UNTYPED,      /* for the guard: clients' pages may go */
    };
    long err = MICA_E_OK;
    for (unsigned level = 0; level < 3 && !err; level++) {
        err = mica_untyped_retype(MICA_TASK_SLOT_UNTYPED, MICA_OBJ_PAGE_TABLE, 0, CNODE,
                                  TABLE_SLOT + level, 1);
        if (!err)
            err = mica_page_table_map(TABLE_SLOT + level, MICA_TASK_SLOT_VSPACE, ARENA);
    }
    if (!err)
        err = mica_cnode_mint(CNODE, BELL_SLOT, CNODE, MICA_TASK_SLOT_IRQ_NTFN, MICA_RIGHT_WRITE,
                              BELL_BIT);
    if (err)
        mica_printf("console: no channels: %s\n", mica_errname(err));
    /* Binds the notification to this thread: interrupts, doorbells and messages, one wait. */
    if (mica_chan_server_init(&srv, &cfg))
        mica_printf("console: the channel server cannot start\n");
    reg_out(FCR, 0x07);                         /* FIFOs on and cleared */
    reg_out(MCR, (uint8_t)(reg_in(MCR) | MCR_OUT2));
    reg_out(IER, IER_RX);
    mica_irq_handler_ack(MICA_TASK_SLOT_IRQ);
    interrupt();                                /* whatever came before we listened */
    mica_chan_server_run(&srv);
    for (;;)
        mica_tcb_suspend(MICA_TASK_SLOT_TCB);
}
