// SPDX-License-Identifier: MIT
/* Interrupts and I/O ports, tested from the root task. The device is the COM2 UART (QEMU's
 * second -serial, ports 0x2f8-0x2ff, ISA IRQ 3): enabling its transmitter-empty interrupt
 * while the transmitter is empty raises IRQ 3 at once, and reading its interrupt
 * identification register lowers it again, so user code makes interrupts at will. */
#include "test.h"

#define CNODE       MICA_SLOT_CNODE
#define PORTS       MICA_SLOT_IO_PORTS
#define POLL        MICA_TIMEOUT_POLL
#define MS          1000000UL

#define COM2        0x2f8
#define COM2_IRQ    3
#define UART_IER    1
#define UART_IIR    2           /* read: which interrupt is pending (bit 0 clear: one is) */
#define UART_LCR    3
#define UART_MCR    4
#define UART_SCR    7           /* scratch register: any value, no effect */
#define IER_THRI    0x02        /* interrupt when the transmit register is empty */
#define MCR_OUT2    0x08        /* on PCs, gates the UART's interrupt line */

static mica_cptr_t uart;        /* an I/O ports capability for COM2 only */

/* Lower the UART's interrupt line, then raise it: one edge, one interrupt. */
static void
uart_interrupt(void)
{
    mica_io_out8(uart, COM2 + UART_IER, 0);
    mica_io_out8(uart, COM2 + UART_IER, IER_THRI);
}

/* What a driver does: serve the device (reading IIR takes the transmitter interrupt). */
static uint8_t
uart_serve(void)
{
    uint8_t iir = 0xff;
    mica_io_in8(uart, COM2 + UART_IIR, &iir);
    return iir;
}

/* The word of the notification after up to ms milliseconds, 0 if none was signalled. */
static uint64_t
waited(mica_cptr_t ntfn, unsigned ms)
{
    uint64_t bits = 0;
    return mica_wait(ntfn, &bits, ms ? ms * MS : POLL) ? 0 : bits;
}

/* ---- I/O ports ------------------------------------------------------------------------ */

static bool
io_ports(void)
{
    uint8_t v = 0;
    EXPECT_ERR("io_out_in_range", mica_io_out8(PORTS, COM2 + UART_SCR, 0x5a), MICA_E_OK);
    long err = mica_io_in8(PORTS, COM2 + UART_SCR, &v);
    EXPECT("io_in_reads_what_was_written", !err && v == 0x5a, "err %s, value %#x",
           mica_errname(err), v);
    if (v != 0x5a) {
        mica_printf("irq: no COM2 UART (boot QEMU with a second -serial): stopping here\n");
        return false;
    }

    uart = test_slot();
    EXPECT_ERR("io_issue_subrange", mica_io_ports_issue(PORTS, COM2, COM2 + 7, CNODE, uart),
               MICA_E_OK);
    struct mica_cap_info info;
    mica_cnode_identify(CNODE, uart, &info);
    EXPECT("issued_capability_names_its_range",
           info.type == MICA_OBJ_IO_PORTS && info.badge == MICA_IO_PORTS_BADGE(COM2, COM2 + 7),
           "type %lu, badge %#lx", (unsigned long)info.type, (unsigned long)info.badge);
    v = 0;
    err = mica_io_in8(uart, COM2 + UART_SCR, &v);
    EXPECT("io_in_through_issued_capability", !err && v == 0x5a, "err %s, value %#x",
           mica_errname(err), v);

    uint32_t w;
    EXPECT_ERR("io_in_below_range_refused", mica_io_in(uart, COM2 - 1, 1, &w), MICA_E_RANGE);
    EXPECT_ERR("io_in_above_range_refused", mica_io_in(uart, COM2 + 8, 1, &w), MICA_E_RANGE);
    EXPECT_ERR("io_out_outside_range_refused", mica_io_out8(uart, 0x3f8, 'x'), MICA_E_RANGE);
    EXPECT_ERR("io_access_straddling_the_end_refused", mica_io_in(uart, COM2 + 6, 4, &w),
               MICA_E_RANGE);
    EXPECT_ERR("io_in_huge_port_refused", mica_io_in(uart, ~0UL, 1, &w), MICA_E_RANGE);
    EXPECT_ERR("io_in_width_16_bits", mica_io_in(uart, COM2 + 6, 2, &w), MICA_E_OK);
    EXPECT_ERR("io_in_width_32_bits", mica_io_in(uart, COM2 + 4, 4, &w), MICA_E_OK);
    EXPECT_ERR("io_width_0_refused", mica_io_in(uart, COM2, 0, &w), MICA_E_INVALID_ARG);
    EXPECT_ERR("io_width_3_refused", mica_io_in(uart, COM2, 3, &w), MICA_E_INVALID_ARG);
    EXPECT_ERR("io_width_8_refused", mica_io_out(uart, COM2, 8, 0), MICA_E_INVALID_ARG);
    EXPECT_ERR("io_value_wider_than_width_refused", mica_io_out(uart, COM2 + UART_SCR, 1, 0x100),
               MICA_E_INVALID_ARG);
    struct mica_msg m = { .info = mica_msginfo(MICA_IO_PORTS_OUT, 2), .mr = { COM2, 1 } };
    EXPECT_ERR("io_out_without_value_refused", mica_call(uart, &m, POLL), MICA_E_INVALID_ARG);

    mica_cptr_t wider = test_slot();
    EXPECT_ERR("io_issue_cannot_widen", mica_io_ports_issue(uart, COM2, COM2 + 8, CNODE, wider),
               MICA_E_RANGE);
    EXPECT_ERR("io_issue_cannot_move_below", mica_io_ports_issue(uart, COM2 - 1, COM2, CNODE,
                                                                 wider), MICA_E_RANGE);
    EXPECT_ERR("io_issue_first_after_last_refused",
               mica_io_ports_issue(PORTS, 0x300, 0x2ff, CNODE, wider), MICA_E_INVALID_ARG);
    EXPECT_ERR("io_issue_beyond_port_space_refused",
               mica_io_ports_issue(PORTS, 0xfff0, 0x10000, CNODE, wider), MICA_E_RANGE);
    EXPECT_ERR("io_issue_into_full_slot_refused",
               mica_io_ports_issue(PORTS, COM2, COM2, CNODE, uart), MICA_E_SLOT_FULL);
    EXPECT_ERR("io_issue_to_bad_cnode_refused",
               mica_io_ports_issue(PORTS, COM2, COM2, MICA_SLOT_TCB, wider), MICA_E_NO_CAP);
    mica_cptr_t one = test_slot();
    EXPECT_ERR("io_issue_narrower_again", mica_io_ports_issue(uart, COM2 + UART_SCR,
                                                              COM2 + UART_SCR, CNODE, one),
               MICA_E_OK);
    EXPECT_ERR("io_one_port_capability_refuses_its_neighbour",
               mica_io_in(one, COM2 + UART_SCR - 1, 1, &w), MICA_E_RANGE);

    /* Ports the kernel keeps: the 8259s and the debug-exit device, even with every port. */
    EXPECT_ERR("io_pic_refused", mica_io_out8(PORTS, 0x21, 0), MICA_E_NO_RIGHTS);
    EXPECT_ERR("io_pic_refused_in_a_wide_access", mica_io_in(PORTS, 0x1e, 4, &w),
               MICA_E_NO_RIGHTS);
    EXPECT_ERR("io_debug_exit_refused", mica_io_out(PORTS, 0xf4, 4, 0), MICA_E_NO_RIGHTS);

    mica_cptr_t ro = test_copy(uart, MICA_RIGHT_READ), wo = test_copy(uart, MICA_RIGHT_WRITE);
    EXPECT_ERR("io_out_needs_write", mica_io_out8(ro, COM2 + UART_SCR, 1), MICA_E_NO_RIGHTS);
    EXPECT_ERR("io_in_needs_read", mica_io_in(wo, COM2 + UART_SCR, 1, &w), MICA_E_NO_RIGHTS);
    EXPECT_ERR("io_in_with_read_right", mica_io_in(ro, COM2 + UART_SCR, 1, &w), MICA_E_OK);
    EXPECT_ERR("io_out_string_needs_write", mica_io_out_string(ro, COM2 + UART_SCR, "r", 1),
               MICA_E_NO_RIGHTS);
    EXPECT_ERR("io_ports_cannot_be_badged", mica_cnode_mint(CNODE, test_slot(), CNODE, uart,
                                                            MICA_RIGHTS_ALL, 7),
               MICA_E_INVALID_ARG);
    m = (struct mica_msg){ .info = mica_msginfo(MICA_IO_PORTS_ISSUE + 40, 0) };
    EXPECT_ERR("io_unknown_method_refused", mica_call(uart, &m, POLL), MICA_E_BAD_METHOD);

    /* OUT_STRING: bytes in order to one port (the scratch register keeps the last). */
    static const char text[MICA_IO_PORTS_STRING_MAX + 8] =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+-#@!?";
    err = mica_io_out_string(uart, COM2 + UART_SCR, "xyz", 3);
    mica_io_in8(uart, COM2 + UART_SCR, &v);
    EXPECT("io_out_string_writes_in_order", !err && v == 'z', "err %s, value %#x",
           mica_errname(err), v);
    err = mica_io_out_string(uart, COM2 + UART_SCR, text, MICA_IO_PORTS_STRING_MAX);
    mica_io_in8(uart, COM2 + UART_SCR, &v);
    EXPECT("io_out_string_of_the_most_bytes", !err && v == (uint8_t)text[63],
           "err %s, value %#x", mica_errname(err), v);
    err = mica_io_out_string(uart, COM2 + UART_SCR, "q", 1);
    mica_io_in8(uart, COM2 + UART_SCR, &v);
    EXPECT("io_out_string_of_one_byte", !err && v == 'q', "err %s, value %#x",
           mica_errname(err), v);
    EXPECT_ERR("io_out_string_too_long_refused",
               mica_io_out_string(uart, COM2 + UART_SCR, text, MICA_IO_PORTS_STRING_MAX + 1),
               MICA_E_RANGE);
    EXPECT_ERR("io_out_string_of_nothing_refused",
               mica_io_out_string(uart, COM2 + UART_SCR, text, 0), MICA_E_RANGE);
    mica_io_in8(uart, COM2 + UART_SCR, &v);
    EXPECT("io_out_string_refused_writes_nothing", v == 'q', "value %#x", v);
    EXPECT_ERR("io_out_string_outside_range_refused",
               mica_io_out_string(uart, COM2 + 8, text, 4), MICA_E_RANGE);
    EXPECT_ERR("io_out_string_huge_port_refused",
               mica_io_out_string(uart, ~0UL, text, 4), MICA_E_RANGE);
    EXPECT_ERR("io_out_string_debug_exit_refused",
               mica_io_out_string(PORTS, 0xf4, text, 1), MICA_E_NO_RIGHTS);
    EXPECT_ERR("io_out_string_pic_refused", mica_io_out_string(PORTS, 0x21, text, 1),
               MICA_E_NO_RIGHTS);
    m = (struct mica_msg){ .info = mica_msginfo(MICA_IO_PORTS_OUT_STRING, 2),
                           .mr = { COM2 + UART_SCR, 9 } };
    EXPECT_ERR("io_out_string_fewer_bytes_than_count_refused", mica_call(uart, &m, POLL),
               MICA_E_INVALID_ARG);
    m = (struct mica_msg){ .info = mica_msginfo(MICA_IO_PORTS_OUT_STRING, 1),
                           .mr = { COM2 + UART_SCR } };
    EXPECT_ERR("io_out_string_without_count_refused", mica_call(uart, &m, POLL),
               MICA_E_INVALID_ARG);
    mica_io_in8(uart, COM2 + UART_SCR, &v);
    EXPECT("io_out_string_malformed_writes_nothing", v == 'q', "value %#x", v);

    /* Revoking a range takes back what was issued from it. */
    mica_cptr_t parent = test_slot(), child = test_slot();
    mica_io_ports_issue(PORTS, 0x2f8, 0x2ff, CNODE, parent);
    mica_io_ports_issue(parent, 0x2ff, 0x2ff, CNODE, child);
    mica_cnode_revoke(CNODE, parent);
    EXPECT_ERR("io_revoke_takes_back_issued_ranges", mica_io_in(child, COM2 + UART_SCR, 1, &w),
               MICA_E_NO_CAP);
    return true;
}

/* ---- IRQ handlers --------------------------------------------------------------------- */

static void
irq_control(void)
{
    mica_cptr_t h = test_slot(), h2 = test_slot();
    EXPECT_ERR("irq_get_handler", mica_irq_control_get(MICA_SLOT_IRQ_CONTROL, COM2_IRQ, CNODE, h),
               MICA_E_OK);
    struct mica_cap_info info;
    mica_cnode_identify(CNODE, h, &info);
    EXPECT("irq_handler_names_its_line",
           info.type == MICA_OBJ_IRQ_HANDLER && info.badge == COM2_IRQ, "type %lu, badge %lu",
           (unsigned long)info.type, (unsigned long)info.badge);
    EXPECT_ERR("irq_same_line_twice_refused",
               mica_irq_control_get(MICA_SLOT_IRQ_CONTROL, COM2_IRQ, CNODE, h2), MICA_E_BAD_STATE);
    mica_cptr_t copy = test_copy(h, MICA_RIGHTS_ALL);
    mica_cnode_delete(CNODE, h);
    EXPECT_ERR("irq_line_stays_taken_while_a_copy_lives",
               mica_irq_control_get(MICA_SLOT_IRQ_CONTROL, COM2_IRQ, CNODE, h2), MICA_E_BAD_STATE);
    mica_cnode_delete(CNODE, copy);
    EXPECT_ERR("irq_line_free_after_last_handler_deleted",
               mica_irq_control_get(MICA_SLOT_IRQ_CONTROL, COM2_IRQ, CNODE, h2), MICA_E_OK);
    mica_cnode_delete(CNODE, h2);

    mica_cptr_t s = test_slot();
    EXPECT_ERR("irq_line_beyond_the_controller_refused",
               mica_irq_control_get(MICA_SLOT_IRQ_CONTROL, 64, CNODE, s), MICA_E_RANGE);
    EXPECT_ERR("irq_huge_line_refused",
               mica_irq_control_get(MICA_SLOT_IRQ_CONTROL, ~0UL, CNODE, s), MICA_E_RANGE);
    EXPECT_ERR("irq_kernel_line_refused", mica_irq_control_get(MICA_SLOT_IRQ_CONTROL, 2, CNODE, s),
               MICA_E_NO_RIGHTS);
    EXPECT_ERR("irq_get_into_full_slot_refused",
               mica_irq_control_get(MICA_SLOT_IRQ_CONTROL, COM2_IRQ, CNODE, MICA_SLOT_TCB),
               MICA_E_SLOT_FULL);
    EXPECT_ERR("irq_get_into_no_cnode_refused",
               mica_irq_control_get(MICA_SLOT_IRQ_CONTROL, COM2_IRQ, MICA_SLOT_TCB, s),
               MICA_E_NO_CAP);
    EXPECT_ERR("irq_get_beyond_the_cnode_refused",
               mica_irq_control_get(MICA_SLOT_IRQ_CONTROL, COM2_IRQ, CNODE, 1UL << 20),
               MICA_E_RANGE);
    mica_cptr_t ro = test_copy(MICA_SLOT_IRQ_CONTROL, MICA_RIGHT_READ);
    EXPECT_ERR("irq_get_needs_write", mica_irq_control_get(ro, COM2_IRQ, CNODE, s),
               MICA_E_NO_RIGHTS);
    struct mica_msg m = { .info = mica_msginfo(MICA_IRQ_CONTROL_GET, 2),
                          .mr = { COM2_IRQ, CNODE } };
    EXPECT_ERR("irq_get_with_too_few_arguments_refused",
               mica_call(MICA_SLOT_IRQ_CONTROL, &m, POLL), MICA_E_INVALID_ARG);
    m = (struct mica_msg){ .info = mica_msginfo(MICA_IRQ_HANDLER_ACK, 0) };
    EXPECT_ERR("irq_control_has_no_handler_methods", mica_call(MICA_SLOT_IRQ_CONTROL, &m, POLL),
               MICA_E_BAD_METHOD);
    EXPECT_ERR("irq_handler_cannot_be_retyped",
               mica_untyped_retype(test_untyped, MICA_OBJ_IRQ_HANDLER, 0, CNODE, s, 1),
               MICA_E_INVALID_ARG);
}

static mica_cptr_t driver_ntfn;
static volatile unsigned driver_woke;
static volatile uint64_t driver_bits;

/* A driver thread above the root task: waits, serves the UART, counts, ACKs. */
static void
driver(uint64_t handler)
{
    for (;;) {
        uint64_t bits = 0;
        if (mica_wait(driver_ntfn, &bits, MICA_TIMEOUT_FOREVER))
            break;
        driver_bits = bits;
        uart_serve();
        driver_woke++;
        mica_irq_handler_ack(handler);
    }
    for (;;)
        mica_wait(driver_ntfn, &(uint64_t){ 0 }, MICA_TIMEOUT_FOREVER);
}

static void
irq_delivery(void)
{
    mica_cptr_t h = test_slot(), ntfn = test_make(MICA_OBJ_NOTIFICATION, 0);
    mica_irq_control_get(MICA_SLOT_IRQ_CONTROL, COM2_IRQ, CNODE, h);
    mica_io_out8(uart, COM2 + UART_LCR, 0x03);              /* 8N1 */
    mica_io_out8(uart, COM2 + UART_MCR, MCR_OUT2 | 0x03);
    uart_serve();

    EXPECT_ERR("irq_ack_without_notification_refused", mica_irq_handler_ack(h), MICA_E_BAD_STATE);
    EXPECT_ERR("irq_bind_a_thread_refused",
               mica_irq_handler_set_notification(h, MICA_SLOT_TCB, 0), MICA_E_NO_CAP);
    EXPECT_ERR("irq_bind_needs_write_on_the_notification",
               mica_irq_handler_set_notification(h, test_copy(ntfn, MICA_RIGHT_READ), 0),
               MICA_E_NO_RIGHTS);
    EXPECT_ERR("irq_bind_badged_capability_with_badge_refused",
               mica_irq_handler_set_notification(h, test_mint(ntfn, MICA_RIGHTS_ALL, 4), 8),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("irq_bind_notification", mica_irq_handler_set_notification(h, ntfn, 0x10),
               MICA_E_OK);

    uart_interrupt();
    EXPECT("irq_line_masked_until_first_ack", waited(ntfn, 20) == 0, "signalled before an ACK");
    EXPECT_ERR("irq_ack", mica_irq_handler_ack(h), MICA_E_OK);
    uart_interrupt();
    uint64_t bits = waited(ntfn, 100);
    EXPECT("irq_delivered_to_user_space", bits == 0x10, "notification word %#lx",
           (unsigned long)bits);
    EXPECT("irq_uart_reports_transmitter_interrupt", (uart_serve() & 0x0f) == 0x02,
           "IIR not 'transmitter empty'");

    uart_interrupt();           /* the line is masked until the ACK: this one is lost */
    EXPECT("irq_no_second_interrupt_before_ack", waited(ntfn, 20) == 0, "signalled again");
    uart_serve();
    mica_irq_handler_ack(h);
    uart_interrupt();
    EXPECT("irq_next_interrupt_after_ack", waited(ntfn, 100) == 0x10, "not signalled");

    /* A badged notification capability: its badge is the word, as a signal's would be. */
    uart_serve();
    mica_cptr_t badged = test_mint(ntfn, MICA_RIGHTS_ALL, 0x300);
    EXPECT_ERR("irq_rebind", mica_irq_handler_set_notification(h, badged, 0), MICA_E_OK);
    mica_irq_handler_ack(h);
    uart_interrupt();
    EXPECT("irq_signals_with_the_capabilitys_badge", waited(ntfn, 100) == 0x300, "wrong word");

    /* CLEAR unbinds and masks: no delivery, and ACK has nothing to unmask for. */
    uart_serve();
    mica_irq_handler_ack(h);
    EXPECT_ERR("irq_clear", mica_irq_handler_clear(h), MICA_E_OK);
    uart_interrupt();
    EXPECT("irq_clear_stops_delivery", waited(ntfn, 20) == 0, "signalled after CLEAR");
    EXPECT_ERR("irq_ack_after_clear_refused", mica_irq_handler_ack(h), MICA_E_BAD_STATE);

    /* Revoking the driver's notification capability unbinds it (the kernel's copy goes). */
    mica_cptr_t n2 = test_make(MICA_OBJ_NOTIFICATION, 0), n2copy = test_copy(n2, MICA_RIGHTS_ALL);
    mica_irq_handler_set_notification(h, n2copy, 1);
    mica_cnode_revoke(CNODE, n2copy);
    EXPECT_ERR("irq_revoking_the_notification_unbinds_it", mica_irq_handler_ack(h),
               MICA_E_BAD_STATE);

    /* A driver thread above us runs as soon as the interrupt arrives. */
    static struct mica_thread drv;
    driver_ntfn = ntfn;
    mica_irq_handler_set_notification(h, ntfn, 0x20);
    uart_serve();
    mica_irq_handler_ack(h);
    long err = mica_thread_create(&drv, test_untyped, test_slot(), driver, h, MICA_BOOT_PRIO + 1);
    if (!err)
        err = mica_tcb_resume(drv.tcb);
    mica_io_out8(uart, COM2 + UART_IER, 0);
    mica_io_out8(uart, COM2 + UART_IER, IER_THRI);
    unsigned seen = driver_woke;                    /* read right after the raising write */
    EXPECT("irq_wakes_a_higher_priority_driver_at_once", !err && seen == 1 && driver_bits == 0x20,
           "err %s, driver woke %u times, word %#lx", mica_errname(err), seen,
           (unsigned long)driver_bits);
    for (int i = 0; i < 5; i++)
        uart_interrupt();
    EXPECT("irq_driver_serves_each_interrupt", driver_woke == 6, "driver woke %u times",
           driver_woke);

    /* Deleting the handler masks and frees the line: no more interrupts. */
    EXPECT_ERR("irq_delete_handler", mica_cnode_delete(CNODE, h), MICA_E_OK);
    uart_interrupt();
    EXPECT("irq_deleted_handler_delivers_nothing", driver_woke == 6 && waited(ntfn, 20) == 0,
           "driver woke %u times", driver_woke);
    mica_tcb_suspend(drv.tcb);
    mica_io_out8(uart, COM2 + UART_IER, 0);
    uart_serve();
}

/* Line 0 is the PIT's (ISA IRQ 0, on I/O APIC input 2): a user-level timer can have it.
 * Channel 0 in mode 0 interrupts once when its count runs out. */
static void
pit_timer(void)
{
    mica_cptr_t h = test_slot(), ntfn = test_make(MICA_OBJ_NOTIFICATION, 0);
    long err = mica_irq_control_get(MICA_SLOT_IRQ_CONTROL, 0, CNODE, h);
    if (!err)
        err = mica_irq_handler_set_notification(h, ntfn, 0);
    if (!err)
        err = mica_irq_handler_ack(h);
    mica_io_out8(PORTS, 0x43, 0x30);                /* channel 0, low then high byte, mode 0 */
    mica_io_out8(PORTS, 0x40, 0x00);
    mica_io_out8(PORTS, 0x40, 0x10);                /* 4096 ticks of 1.19 MHz: 3.4 ms */
    uint64_t bits = err ? 0 : waited(ntfn, 200);
    EXPECT("irq_pit_timer_on_line_0", bits == 1, "err %s, word %#lx", mica_errname(err),
           (unsigned long)bits);
    mica_cnode_delete(CNODE, h);
}

int
main(void)
{
    if (!test_root_setup()) {
        mica_printf("irq: must run as the root task\n");
        return 1;
    }
    if (io_ports()) {
        irq_control();
        irq_delivery();
        pit_timer();
    }
    mica_printf("irq: %d failures\n", test_failures);
    return test_failures != 0;
}
