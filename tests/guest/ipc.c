// SPDX-License-Identifier: MIT
/* IPC, tested from the root task (module 0), with tests/guest/ipc_server.c as module 1 in
 * an address space of its own: calls, badges, long messages, one-way sends, rights and
 * capability transfer, timeouts, notifications (also bound to a receiving thread), deaths
 * of endpoints and partners, fault messages and their replies, and redirected system calls. */
#include <string.h>

#include "ipc_proto.h"
#include "test.h"

#define CNODE       MICA_SLOT_CNODE
#define FOREVER     MICA_TIMEOUT_FOREVER
#define POLL        MICA_TIMEOUT_POLL
#define MS          1000000UL

static const struct mica_bootinfo *bi;
static mica_cptr_t server_ep;           /* our capability to the server's endpoint */


static long
start(struct mica_thread *th, void (*fn)(uint64_t), uint64_t arg)
{
    long err = mica_thread_create(th, test_untyped, test_slot(), fn, arg, MICA_BOOT_PRIO);
    return err ? err : mica_tcb_resume(th->tcb);
}

/* Start fn in a thread whose system calls are redirected to sys_ep as fault messages. */
static long
start_redirected(struct mica_thread *th, void (*fn)(uint64_t), mica_cptr_t sys_ep)
{
    long err = mica_thread_create(th, test_untyped, test_slot(), fn, 0, MICA_BOOT_PRIO);
    if (!err)
        err = mica_tcb_configure(th->tcb, CNODE, MICA_SLOT_VSPACE, (uint64_t)&th->ipc, sys_ep);
    if (!err)
        err = mica_tcb_set_flags(th->tcb, MICA_TCB_FLAG_REDIRECT_SYSCALLS);
    return err ? err : mica_tcb_resume(th->tcb);
}

static void
let_others_run(void)
{
    for (int i = 0; i < 4; i++)
        mica_yield();
}

/* ---- with the server in the other address space ------------------------------------- */

static void
server_calls(void)
{
    struct mica_msg m = { .info = mica_msginfo(OP_ECHO, 4), .mr = { 10, 20, 30, 40 } };
    long err = mica_call(server_ep, &m, FOREVER);
    EXPECT("call_roundtrip_between_address_spaces",
           !err && m.mr[0] == 11 && m.mr[1] == 21 && m.mr[2] == 31 && m.mr[3] == 41,
           "err %s, MRs %lu %lu %lu %lu", mica_errname(err), (unsigned long)m.mr[0],
           (unsigned long)m.mr[1], (unsigned long)m.mr[2], (unsigned long)m.mr[3]);
    EXPECT("reply_carries_label_and_length",
           mica_msg_label(m.info) == OP_ECHO && mica_msg_length(m.info) == 4,
           "info %#lx", (unsigned long)m.info);

    mica_cptr_t badged = test_mint(server_ep, MICA_RIGHTS_ALL, 0x42);
    m = (struct mica_msg){ .info = mica_msginfo(OP_BADGE, 0) };
    err = mica_call(badged, &m, FOREVER);
    EXPECT("receiver_learns_the_badge", !err && m.mr[0] == 0x42, "badge %#lx",
           (unsigned long)m.mr[0]);
    m = (struct mica_msg){ .info = mica_msginfo(OP_BADGE, 0) };
    mica_call(server_ep, &m, FOREVER);
    EXPECT("unbadged_capability_gives_badge_0", m.mr[0] == 0, "badge %#lx",
           (unsigned long)m.mr[0]);

    /* 64 words: 4 in registers, 60 through the two IPC buffers. */
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    m = (struct mica_msg){ .info = mica_msginfo(OP_REVERSE, 64), .mr = { 0, 1, 2, 3 } };
    for (unsigned i = 4; i < 64; i++)
        buf->mr[i] = i;
    err = mica_call(server_ep, &m, FOREVER);
    bool ok = !err && mica_msg_length(m.info) == 64;
    for (unsigned i = 0; ok && i < 64; i++)
        ok = (i < 4 ? m.mr[i] : buf->mr[i]) == 63 - i;
    EXPECT("long_message_through_ipc_buffers", ok, "err %s, length %u", mica_errname(err),
           mica_msg_length(m.info));

    m = (struct mica_msg){ .info = mica_msginfo(OP_ECHO, MICA_MSG_MAX_WORDS + 1) };
    EXPECT_ERR("message_too_long_refused", mica_call(server_ep, &m, FOREVER), MICA_E_RANGE);

    for (int i = 0; i < 3; i++) {
        m = (struct mica_msg){ .info = mica_msginfo(OP_ONEWAY, 0) };
        mica_send(server_ep, &m, FOREVER);
    }
    m = (struct mica_msg){ .info = mica_msginfo(OP_COUNT, 0) };
    err = mica_call(server_ep, &m, FOREVER);
    EXPECT("oneway_sends_delivered", !err && m.mr[0] == 3, "server counted %lu",
           (unsigned long)m.mr[0]);
}

static void
rights_and_transfer(void)
{
    struct mica_msg m = { .info = mica_msginfo(OP_ECHO, 0) };
    EXPECT_ERR("send_needs_write", mica_send(test_copy(server_ep, MICA_RIGHT_READ), &m, FOREVER),
               MICA_E_NO_RIGHTS);
    EXPECT_ERR("call_needs_write", mica_call(test_copy(server_ep, MICA_RIGHT_READ), &m, FOREVER),
               MICA_E_NO_RIGHTS);
    EXPECT_ERR("recv_needs_read", mica_recv(test_copy(server_ep, MICA_RIGHT_WRITE), &m, POLL),
               MICA_E_NO_RIGHTS);
    EXPECT_ERR("bad_cptr_is_no_cap", mica_send(4000, &m, FOREVER), MICA_E_NO_CAP);
    EXPECT_ERR("send_on_a_thread_is_refused", mica_send(MICA_SLOT_TCB, &m, FOREVER),
               MICA_E_BAD_METHOD);

    mica_cptr_t gift = test_make(MICA_OBJ_NOTIFICATION, 0);
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    buf->caps[0] = gift;
    m = (struct mica_msg){ .info = mica_msginfo_caps(OP_CAPS, 1, 0) };
    EXPECT_ERR("transfer_without_grant_refused",
               mica_call(test_copy(server_ep, MICA_RIGHT_READ | MICA_RIGHT_WRITE), &m, FOREVER),
               MICA_E_NO_RIGHTS);
    m = (struct mica_msg){ .info = mica_msginfo_caps(OP_CAPS, 1, 0) };
    long err = mica_call(server_ep, &m, FOREVER);
    EXPECT("capability_transferred_with_grant",
           !err && m.mr[0] == 1 && m.mr[1] == MICA_OBJ_NOTIFICATION,
           "err %s, %lu caps, type %lu", mica_errname(err), (unsigned long)m.mr[0],
           (unsigned long)m.mr[1]);
    struct mica_cap_info info;
    mica_cnode_identify(CNODE, gift, &info);
    EXPECT("sender_keeps_a_transferred_capability", info.type == MICA_OBJ_NOTIFICATION,
           "type %lu", (unsigned long)info.type);

    /* Moved instead: the server gets it, the sender's slot is empty afterwards. */
    m = (struct mica_msg){ .info = mica_msginfo_caps(OP_CAPS, 1, 0) | MICA_MSG_MOVE_CAPS };
    err = mica_call(server_ep, &m, FOREVER);
    mica_cnode_identify(CNODE, gift, &info);
    EXPECT("capability_moved_with_grant",
           !err && m.mr[0] == 1 && m.mr[1] == MICA_OBJ_NOTIFICATION &&
           info.type == MICA_OBJ_NULL, "err %s, %lu caps, type %lu, left %lu",
           mica_errname(err), (unsigned long)m.mr[0], (unsigned long)m.mr[1],
           (unsigned long)info.type);

    /* Replies carry capabilities if the caller's capability has the grant right. */
    buf->recv_cnode = CNODE;
    buf->recv_slot = test_slot();
    m = (struct mica_msg){ .info = mica_msginfo(OP_GIVE, 0) };
    err = mica_call(test_copy(server_ep, MICA_RIGHT_READ | MICA_RIGHT_WRITE), &m, FOREVER);
    mica_cnode_identify(CNODE, buf->recv_slot, &info);
    EXPECT("reply_to_a_call_without_grant_carries_none",
           !err && mica_msg_caps(m.info) == 0 && info.type == MICA_OBJ_NULL,
           "err %s, %u caps", mica_errname(err), mica_msg_caps(m.info));
    m = (struct mica_msg){ .info = mica_msginfo(OP_GIVE, 0) };
    err = mica_call(server_ep, &m, FOREVER);
    mica_cnode_identify(CNODE, buf->recv_slot, &info);
    EXPECT("reply_to_a_call_with_grant_carries_capabilities",
           !err && mica_msg_caps(m.info) == 1 && info.type == MICA_OBJ_ENDPOINT,
           "err %s, %u caps, type %lu", mica_errname(err), mica_msg_caps(m.info),
           (unsigned long)info.type);
    buf->recv_cnode = 0;
}

/* ---- timeouts ------------------------------------------------------------------------ */

static volatile uint64_t counter;

static void
count_forever(uint64_t unused)
{
    (void)unused;
    for (;;)
        counter++;
}

static void
timeouts(void)
{
    static struct mica_thread counter_thread;
    mica_cptr_t ep = test_make(MICA_OBJ_ENDPOINT, 0);
    struct mica_msg m = { 0 };
    EXPECT_ERR("poll_recv_on_empty_endpoint", mica_recv(ep, &m, POLL), MICA_E_TIMEOUT);
    m.info = mica_msginfo(7, 1);
    EXPECT_ERR("poll_send_without_receiver", mica_send(ep, &m, POLL), MICA_E_TIMEOUT);

    start(&counter_thread, count_forever, 0);
    uint64_t before = counter;
    long err = mica_recv(ep, &m, 30 * MS);
    EXPECT_ERR("bounded_recv_times_out", err, MICA_E_TIMEOUT);
    EXPECT("timed_out_wait_let_others_run", counter > before, "counter did not move");

    m.info = mica_msginfo(7, 1);
    EXPECT_ERR("bounded_send_times_out", mica_send(ep, &m, 20 * MS), MICA_E_TIMEOUT);
    EXPECT_ERR("timed_out_send_leaves_no_trace", mica_recv(ep, &m, POLL), MICA_E_TIMEOUT);
    m = (struct mica_msg){ .info = mica_msginfo(OP_COUNT, 0) };
    EXPECT_ERR("bounded_call_answered_in_time", mica_call(server_ep, &m, 1000 * MS), MICA_E_OK);
    mica_tcb_suspend(counter_thread.tcb);
}

/* ---- notifications -------------------------------------------------------------------- */

static volatile uint64_t waiter_bits, bound_badge, bound_label;
static volatile long waiter_err = -1, bound_err = -1;
static mica_cptr_t ntfn, bound_ntfn, bound_ep;

static void
waiter(uint64_t unused)
{
    (void)unused;
    uint64_t bits;
    waiter_err = mica_wait(ntfn, (uint64_t *)&bits, FOREVER);
    waiter_bits = bits;
    for (;;)
        mica_yield();
}

/* Above the root task: each signal runs it at once (the fast path switches straight to it),
 * and its next wait hands the processor back (the fast path picks the first ready). */
static volatile uint64_t high_seen[4];
static volatile unsigned high_count;
static mica_cptr_t high_ntfn;

static void
high_waiter(uint64_t unused)
{
    (void)unused;
    for (;;) {
        uint64_t bits = 0;
        if (mica_wait(high_ntfn, &bits, FOREVER))
            break;
        high_seen[high_count++ % 4] = bits;
    }
    for (;;)
        mica_yield();
}

static void
bound_receiver(uint64_t unused)
{
    (void)unused;
    struct mica_msg m = { 0 };
    bound_err = mica_recv(bound_ep, &m, FOREVER);
    bound_badge = m.badge;
    bound_label = mica_msg_label(m.info);
    for (;;)
        mica_yield();
}

static void
notifications(void)
{
    static struct mica_thread w, b;
    ntfn = test_make(MICA_OBJ_NOTIFICATION, 0);
    mica_cptr_t five = test_mint(ntfn, MICA_RIGHT_WRITE, 0x5), eight = test_mint(ntfn, MICA_RIGHT_WRITE, 0x8);
    uint64_t bits = 0;
    EXPECT_ERR("poll_empty_notification", mica_wait(ntfn, &bits, POLL), MICA_E_TIMEOUT);
    mica_signal(five);
    mica_signal(eight);
    long err = mica_wait(ntfn, &bits, POLL);
    EXPECT("signals_or_their_badges", !err && bits == 0xd, "err %s, bits %#lx",
           mica_errname(err), (unsigned long)bits);
    EXPECT_ERR("wait_clears_the_word", mica_wait(ntfn, &bits, POLL), MICA_E_TIMEOUT);
    EXPECT_ERR("signal_needs_write", mica_signal(test_copy(ntfn, MICA_RIGHT_READ)), MICA_E_NO_RIGHTS);

    start(&w, waiter, 0);
    let_others_run();
    mica_signal(five);
    let_others_run();
    EXPECT("signal_wakes_a_waiter", waiter_err == MICA_E_OK && waiter_bits == 0x5,
           "err %ld, bits %#lx", waiter_err, (unsigned long)waiter_bits);

    static struct mica_thread h;
    high_ntfn = test_make(MICA_OBJ_NOTIFICATION, 0);
    err = mica_thread_create(&h, test_untyped, test_slot(), high_waiter, 0, MICA_BOOT_PRIO + 1);
    if (!err)
        err = mica_tcb_resume(h.tcb);       /* it runs and waits at once */
    bool at_once = !err && high_count == 0;
    for (unsigned i = 0; at_once && i < 3; i++) {
        mica_signal(test_mint(high_ntfn, MICA_RIGHT_WRITE, 0x10 << i));
        at_once = high_count == i + 1 && high_seen[i] == 0x10UL << i;
    }
    EXPECT("signal_runs_a_higher_waiter_at_once", at_once, "err %s, count %u",
           mica_errname(err), high_count);
    mica_tcb_suspend(h.tcb);

    /* A thread bound to a notification, waiting on an endpoint: a signal wakes it. */
    bound_ntfn = test_make(MICA_OBJ_NOTIFICATION, 0);
    bound_ep = test_make(MICA_OBJ_ENDPOINT, 0);
    err = mica_thread_create(&b, test_untyped, test_slot(), bound_receiver, 0, MICA_BOOT_PRIO);
    if (!err)
        err = mica_tcb_bind_notification(b.tcb, bound_ntfn);
    if (!err)
        err = mica_tcb_resume(b.tcb);
    EXPECT_ERR("bind_notification", err, MICA_E_OK);
    EXPECT_ERR("second_binding_refused", mica_tcb_bind_notification(MICA_SLOT_TCB, bound_ntfn),
               MICA_E_BAD_STATE);
    let_others_run();
    mica_signal(test_mint(bound_ntfn, MICA_RIGHT_WRITE, 0x30));
    let_others_run();
    EXPECT("bound_notification_wakes_receive",
           bound_err == MICA_E_OK && bound_label == MICA_LABEL_NOTIFICATION &&
           bound_badge == 0x30, "err %ld, label %#lx, badge %#lx", bound_err,
           (unsigned long)bound_label, (unsigned long)bound_badge);
}

/* ---- one-way messages to a waiting receiver: who runs next --------------------------- */

static volatile unsigned oneway_count;
static volatile uint64_t oneway_badge, oneway_word;
static mica_cptr_t oneway_ep;

static void
oneway_receiver(uint64_t self)
{
    for (;;) {
        struct mica_msg m = { 0 };
        if (mica_recv(oneway_ep, &m, FOREVER))
            break;
        oneway_badge = m.badge;
        oneway_word = m.mr[0];
        oneway_count++;
    }
    for (;;)
        mica_tcb_suspend(self);
}

/* A receiver above us runs at once; one at our priority waits until we yield (the fast
 * path and the slow path alike: the IPC suite runs with both). */
static void
oneway_order(void)
{
    static struct mica_thread hi, eq;
    oneway_ep = test_make(MICA_OBJ_ENDPOINT, 0);
    mica_cptr_t badged = test_mint(oneway_ep, MICA_RIGHT_WRITE, 0x77);
    uint64_t s1 = test_slot(), s2 = test_slot();
    long err = mica_thread_create(&hi, test_untyped, s1, oneway_receiver, s1, MICA_BOOT_PRIO + 1);
    if (!err)
        err = mica_tcb_resume(hi.tcb);          /* it waits in its receive at once */
    bool ok = !err;
    for (unsigned i = 0; ok && i < 3; i++) {
        struct mica_msg m = { .info = mica_msginfo(5, 1), .mr = { 100 + i } };
        ok = !mica_send(badged, &m, POLL) && oneway_count == i + 1 && oneway_word == 100 + i &&
             oneway_badge == 0x77;
    }
    EXPECT("oneway_send_runs_a_higher_receiver_at_once", ok, "err %s, count %u",
           mica_errname(err), oneway_count);
    mica_tcb_suspend(hi.tcb);

    err = mica_thread_create(&eq, test_untyped, s2, oneway_receiver, s2, MICA_BOOT_PRIO);
    if (!err)
        err = mica_tcb_resume(eq.tcb);
    let_others_run();                           /* it waits in its receive now */
    unsigned before = oneway_count;
    struct mica_msg m = { .info = mica_msginfo(5, 1), .mr = { 200 } };
    ok = !err && !mica_send(badged, &m, POLL) && oneway_count == before;
    let_others_run();
    EXPECT("oneway_send_to_an_equal_receiver_runs_it_after_us",
           ok && oneway_count == before + 1 && oneway_word == 200, "err %s, count %u (was %u)",
           mica_errname(err), oneway_count, before);
    mica_tcb_suspend(eq.tcb);
}

/* ---- deaths --------------------------------------------------------------------------- */

static volatile long blocked_err = -1, caller_err = -1;
static mica_cptr_t doomed_ep, call_ep;

static void
blocked_sender(uint64_t unused)
{
    (void)unused;
    struct mica_msg m = { .info = mica_msginfo(1, 0) };
    blocked_err = mica_send(doomed_ep, &m, FOREVER);
    for (;;)
        mica_yield();
}

static void
caller(uint64_t unused)
{
    (void)unused;
    struct mica_msg m = { .info = mica_msginfo(1, 0) };
    caller_err = mica_call(call_ep, &m, FOREVER);
    for (;;)
        mica_yield();
}

static void
silent_server(uint64_t unused)
{
    (void)unused;
    struct mica_msg m = { 0 };
    mica_recv(call_ep, &m, FOREVER);        /* takes the call, never replies */
    for (;;)
        mica_yield();
}

static volatile bool may_reply;
static volatile long late_err = -1;

static void
late_server(uint64_t unused)
{
    (void)unused;
    struct mica_msg m = { 0 };
    mica_recv(call_ep, &m, FOREVER);
    while (!may_reply)
        mica_yield();
    m.info = mica_msginfo(1, 0);
    late_err = mica_reply_recv(call_ep, &m, FOREVER);     /* the reply goes nowhere */
    for (;;)
        mica_yield();
}

static void
deaths(void)
{
    static struct mica_thread s, c, srv, c2;
    doomed_ep = test_make(MICA_OBJ_ENDPOINT, 0);
    start(&s, blocked_sender, 0);
    let_others_run();
    mica_cnode_delete(CNODE, doomed_ep);    /* the last capability: the endpoint goes */
    let_others_run();
    EXPECT_ERR("deleted_endpoint_wakes_blocked_sender", blocked_err, MICA_E_DELETED);

    call_ep = test_make(MICA_OBJ_ENDPOINT, 0);
    start(&srv, silent_server, 0);
    let_others_run();
    start(&c, caller, 0);
    let_others_run();
    EXPECT("caller_waits_for_reply", caller_err == -1, "call returned %ld", caller_err);
    mica_cnode_delete(CNODE, srv.tcb);      /* the server dies owing the reply */
    let_others_run();
    EXPECT_ERR("call_whose_server_dies_fails", caller_err, MICA_E_DELETED);

    /* The caller dies instead: the server's reply goes nowhere, and it serves on. */
    caller_err = -1;
    static struct mica_thread srv2;
    start(&srv2, late_server, 0);
    let_others_run();
    start(&c2, caller, 0);
    let_others_run();
    mica_cnode_delete(CNODE, c2.tcb);
    may_reply = true;
    let_others_run();
    struct mica_msg m = { .info = mica_msginfo(9, 0) };
    EXPECT_ERR("reply_to_a_dead_caller_is_harmless", mica_send(call_ep, &m, POLL), MICA_E_OK);
    let_others_run();
    EXPECT_ERR("server_serves_on_after_caller_dies", late_err, MICA_E_OK);
}

/* ---- faults and redirected system calls ---------------------------------------------- */

extern char ud2_here[];
static volatile uint64_t after_fault, syscall_result;

static void
faulting_thread(uint64_t unused)
{
    (void)unused;
    __asm__ volatile("ud2_here: ud2");
    after_fault = 1;
    (void)*(volatile uint64_t *)0x1238;     /* a page fault, which nobody will fix */
    for (;;)
        mica_yield();
}

static void
redirected_thread(uint64_t unused)
{
    (void)unused;
    register uint64_t rdi __asm__("rdi") = 1, rsi __asm__("rsi") = 2, rdx __asm__("rdx") = 3;
    register uint64_t r10 __asm__("r10") = 4, r8 __asm__("r8") = 5, r9 __asm__("r9") = 6;
    uint64_t rax = 39;                      /* Linux's getpid */
    __asm__ volatile("syscall"
                     : "+a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
                     : : "rcx", "r11", "memory");
    syscall_result = rax;
    for (;;)
        __asm__ volatile("pause");
}

static void
faults(void)
{
    static struct mica_thread f, r;
    mica_cptr_t fault_ep = test_make(MICA_OBJ_ENDPOINT, 0), f_badge = test_mint(fault_ep, MICA_RIGHTS_ALL, 7);
    long err = mica_thread_create(&f, test_untyped, test_slot(), faulting_thread, 0, MICA_BOOT_PRIO);
    if (!err)
        err = mica_tcb_configure(f.tcb, CNODE, MICA_SLOT_VSPACE, (uint64_t)&f.ipc, f_badge);
    if (!err)
        err = mica_tcb_resume(f.tcb);
    struct mica_msg m = { 0 };
    if (!err)
        err = mica_recv(fault_ep, &m, 1000 * MS);
    EXPECT("fault_becomes_a_message",
           !err && mica_msg_label(m.info) == MICA_FAULT_UNDEFINED_INSN && m.badge == 7 &&
           m.mr[0] == (uint64_t)ud2_here, "err %s, label %#lx, badge %lu, ip %#lx",
           mica_errname(err), (unsigned long)mica_msg_label(m.info), (unsigned long)m.badge,
           (unsigned long)m.mr[0]);

    /* Reply with the registers, the instruction pointer moved past the ud2. */
    uint64_t regs[MICA_REG_COUNT];
    mica_tcb_read_regs(f.tcb, regs);
    regs[MICA_REG_RIP] += 2;
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    m = (struct mica_msg){ .info = mica_msginfo(MICA_FAULT_REPLY_REGS, MICA_REG_COUNT) };
    for (unsigned i = 0; i < MICA_REG_COUNT; i++)
        *(i < MICA_MSG_REG_WORDS ? &m.mr[i] : &buf->mr[i]) = regs[i];
    err = mica_reply_recv(fault_ep, &m, 1000 * MS);
    EXPECT("reply_resumes_with_new_registers", after_fault == 1, "the thread did not go on");
    EXPECT("page_fault_message_names_the_address",
           !err && mica_msg_label(m.info) == MICA_FAULT_PAGE && m.mr[1] == 0x1238 &&
           !(m.mr[3] & MICA_FAULT_FLAG_WRITE), "err %s, label %#lx, addr %#lx",
           mica_errname(err), (unsigned long)mica_msg_label(m.info), (unsigned long)m.mr[1]);
    mica_tcb_suspend(f.tcb);

    /* A redirected system call: number and six arguments out, the result back. */
    mica_cptr_t sys_ep = test_make(MICA_OBJ_ENDPOINT, 0);
    err = start_redirected(&r, redirected_thread, sys_ep);
    m = (struct mica_msg){ 0 };
    if (!err)
        err = mica_recv(sys_ep, &m, 1000 * MS);
    bool args = m.mr[0] == 39 && m.mr[1] == 1 && m.mr[2] == 2 && m.mr[3] == 3 &&
                buf->mr[4] == 4 && buf->mr[5] == 5 && buf->mr[6] == 6 && buf->mr[7] != 0;
    EXPECT("redirected_syscall_carries_number_and_arguments",
           !err && mica_msg_label(m.info) == MICA_FAULT_SYSCALL && mica_msg_length(m.info) == 8 &&
           args, "err %s, label %#lx, nr %lu", mica_errname(err),
           (unsigned long)mica_msg_label(m.info), (unsigned long)m.mr[0]);
    m = (struct mica_msg){ .info = mica_msginfo(MICA_FAULT_REPLY_RESUME, 1), .mr = { 4242 } };
    mica_send(sys_ep, &m, POLL);            /* not the reply: a plain send goes nowhere */
    m = (struct mica_msg){ .info = mica_msginfo(MICA_FAULT_REPLY_RESUME, 1), .mr = { 4242 } };
    mica_reply_recv(sys_ep, &m, POLL);
    let_others_run();
    EXPECT("reply_sets_the_syscall_result", syscall_result == 4242, "result %lu",
           (unsigned long)syscall_result);
    mica_tcb_suspend(r.tcb);
}

/* Two redirected calls answered with reply-receive and no timeouts (the fast path, where
 * it is on): the first's result must reach the thread before it makes the second. */
static volatile uint64_t first_result;

static void
twice_redirected(uint64_t unused)
{
    (void)unused;
    uint64_t rax = 39;
    __asm__ volatile("syscall" : "+a"(rax) : : "rcx", "r11", "rdi", "rsi", "rdx", "r10", "r8",
                     "r9", "memory");
    first_result = rax;
    rax = 60;                                   /* Linux's exit */
    __asm__ volatile("syscall" : "+a"(rax) : : "rcx", "r11", "rdi", "rsi", "rdx", "r10", "r8",
                     "r9", "memory");
    for (;;)
        __asm__ volatile("pause");
}

static void
redirect_roundtrips(void)
{
    static struct mica_thread r;
    mica_cptr_t sys_ep = test_make(MICA_OBJ_ENDPOINT, 0);
    long err = start_redirected(&r, twice_redirected, sys_ep);
    struct mica_msg m = { 0 };
    if (!err)
        err = mica_recv(sys_ep, &m, FOREVER);
    uint64_t first = m.mr[0];
    m = (struct mica_msg){ .info = mica_msginfo(MICA_FAULT_REPLY_RESUME, 1), .mr = { 777 } };
    if (!err)
        err = mica_reply_recv(sys_ep, &m, FOREVER);
    EXPECT("redirected_calls_round_trip",
           !err && first == 39 && m.mr[0] == 60 && first_result == 777,
           "err %s, first %lu, second %lu, result %lu", mica_errname(err), (unsigned long)first,
           (unsigned long)m.mr[0], (unsigned long)first_result);
    mica_tcb_suspend(r.tcb);
}

/* A redirected thread's system call numbered as a signal (Linux's fstat is 5) goes to its
 * handler even where the notification fast path would take a real signal. */
static volatile bool redirect_waiter_woke;
static mica_cptr_t redirect_ntfn;

static void
redirect_waiter(uint64_t self)
{
    uint64_t bits;
    if (!mica_wait(redirect_ntfn, &bits, FOREVER))
        redirect_waiter_woke = true;
    for (;;)
        mica_tcb_suspend(self);     /* above the root task: never spin */
}

static void
signal_number_redirected(uint64_t unused)
{
    (void)unused;
    register uint64_t rdi __asm__("rdi") = redirect_ntfn;
    uint64_t rax = MICA_SYS_SEND;
    __asm__ volatile("syscall" : "+a"(rax), "+r"(rdi) : : "rcx", "r11", "rsi", "rdx", "r10", "r8",
                     "r9", "memory");
    for (;;)
        __asm__ volatile("pause");
}

static void
redirect_not_a_signal(void)
{
    static struct mica_thread w, r;
    redirect_ntfn = test_make(MICA_OBJ_NOTIFICATION, 0);
    mica_cptr_t sys_ep = test_make(MICA_OBJ_ENDPOINT, 0);
    uint64_t w_slot = test_slot();
    long err = mica_thread_create(&w, test_untyped, w_slot, redirect_waiter, w_slot,
                                  MICA_BOOT_PRIO + 1);
    if (!err)
        err = mica_tcb_resume(w.tcb);
    if (!err)
        err = start_redirected(&r, signal_number_redirected, sys_ep);
    struct mica_msg m = { 0 };
    if (!err)
        err = mica_recv(sys_ep, &m, 1000 * MS);
    EXPECT("redirected_signal_number_is_not_a_signal",
           !err && mica_msg_label(m.info) == MICA_FAULT_SYSCALL && m.mr[0] == MICA_SYS_SEND &&
           !redirect_waiter_woke, "err %s, label %#lx, nr %lu, woke %d", mica_errname(err),
           (unsigned long)mica_msg_label(m.info), (unsigned long)m.mr[0], redirect_waiter_woke);
    mica_tcb_suspend(r.tcb);
    mica_tcb_suspend(w.tcb);
}

/* Each kind of fault, as a message with its label; the handler resumes none of them. */
static void
fault_kind(uint64_t kind)
{
    switch (kind) {
    case 0: __asm__ volatile("hlt"); break;                                 /* #GP */
    case 1: __asm__ volatile("xor %%ecx, %%ecx; div %%ecx" : : : "rax", "rcx", "rdx"); break;
    case 2: __asm__ volatile("int3"); break;
    default: __asm__ volatile("movl $1, 0x10" : : : "memory"); break;       /* a write */
    }
    for (;;)
        ;
}

static void
fault_kinds(void)
{
    static const struct { uint64_t label; const char *name; } kinds[] = {
        { MICA_FAULT_GENERAL_PROTECTION, "general_protection_fault_message" },
        { MICA_FAULT_DIVIDE, "divide_error_message" },
        { MICA_FAULT_BREAKPOINT, "breakpoint_message" },
        { MICA_FAULT_PAGE, "write_fault_message_says_write" },
    };
    static struct mica_thread th[4];
    mica_cptr_t ep = test_make(MICA_OBJ_ENDPOINT, 0);
    for (unsigned i = 0; i < 4; i++) {
        long err = mica_thread_create(&th[i], test_untyped, test_slot(), fault_kind, i, MICA_BOOT_PRIO);
        if (!err)
            err = mica_tcb_configure(th[i].tcb, CNODE, MICA_SLOT_VSPACE, 0, ep);
        if (!err)
            err = mica_tcb_resume(th[i].tcb);
        struct mica_msg m = { 0 };
        if (!err)
            err = mica_recv(ep, &m, 1000 * MS);
        bool ok = !err && mica_msg_label(m.info) == kinds[i].label;
        if (kinds[i].label == MICA_FAULT_PAGE)
            ok = ok && m.mr[1] == 0x10 && (m.mr[3] & MICA_FAULT_FLAG_WRITE);
        EXPECT(kinds[i].name, ok, "err %s, label %#lx", mica_errname(err),
               (unsigned long)mica_msg_label(m.info));
        mica_tcb_suspend(th[i].tcb);
    }
}

/* ---- regressions from review --------------------------------------------------------- */

static void
registers_then_fault(uint64_t unused)
{
    (void)unused;
    __asm__ volatile("mov $0x1111, %%rax\n\t"
                     "mov $0x2222, %%rdi\n\t"
                     "mov $0x3333, %%rsi\n\t"
                     "1: ud2\n\t"
                     "jmp 1b" : : : "rax", "rdi", "rsi");
}

static volatile char order[8];
static volatile unsigned norder;
static mica_cptr_t order_ep;

static void
note(char c)
{
    if (norder < sizeof(order) - 1)
        order[norder++] = c;
}

static void
order_server(uint64_t unused)
{
    (void)unused;
    struct mica_msg m = { 0 };
    mica_recv(order_ep, &m, FOREVER);
    for (;;) {
        note('S');
        m.info = mica_msginfo(0, 0);
        mica_reply_recv(order_ep, &m, FOREVER);
    }
}

static void
order_other(uint64_t unused)
{
    (void)unused;
    note('X');
    for (;;)
        mica_yield();
}

static mica_cptr_t badge_ep, badge_cap;
static volatile long badged_err = -1;

static void
badged_sender(uint64_t unused)
{
    (void)unused;
    struct mica_msg m = { .info = mica_msginfo(1, 0) };
    badged_err = mica_send(badge_cap, &m, FOREVER);
    for (;;)
        mica_yield();
}

static void
review_regressions(void)
{
    static struct mica_thread f, s, x, b, silent;

    /* An abandoned fault IPC (suspend, resume) leaves the thread's registers alone. */
    mica_cptr_t fault_ep = test_make(MICA_OBJ_ENDPOINT, 0);
    long err = mica_thread_create(&f, test_untyped, test_slot(), registers_then_fault, 0, MICA_BOOT_PRIO);
    if (!err)
        err = mica_tcb_configure(f.tcb, CNODE, MICA_SLOT_VSPACE, 0, fault_ep);
    if (!err)
        err = mica_tcb_resume(f.tcb);
    struct mica_msg m = { 0 };
    if (!err)
        err = mica_recv(fault_ep, &m, 1000 * MS);
    mica_tcb_suspend(f.tcb);
    mica_tcb_resume(f.tcb);
    if (!err)
        err = mica_recv(fault_ep, &m, 1000 * MS);     /* the ud2 again */
    uint64_t regs[MICA_REG_COUNT] = { 0 };
    mica_tcb_read_regs(f.tcb, regs);
    EXPECT("abandoned_fault_keeps_registers",
           !err && regs[MICA_REG_RAX] == 0x1111 && regs[MICA_REG_RDI] == 0x2222 &&
           regs[MICA_REG_RSI] == 0x3333, "err %s, rax %#lx rdi %#lx rsi %#lx",
           mica_errname(err), (unsigned long)regs[MICA_REG_RAX],
           (unsigned long)regs[MICA_REG_RDI], (unsigned long)regs[MICA_REG_RSI]);
    EXPECT_ERR("write_regs_of_a_blocked_thread_refused", mica_tcb_write_regs(f.tcb, regs),
               MICA_E_BAD_STATE);
    mica_tcb_read_regs(MICA_SLOT_TCB, regs);
    EXPECT_ERR("write_regs_of_oneself_refused", mica_tcb_write_regs(MICA_SLOT_TCB, regs),
               MICA_E_BAD_STATE);
    mica_tcb_suspend(f.tcb);

    EXPECT_ERR("fault_endpoint_needs_write",
               mica_tcb_configure(f.tcb, CNODE, MICA_SLOT_VSPACE, 0,
                                  test_copy(fault_ep, MICA_RIGHT_READ)), MICA_E_NO_RIGHTS);
    EXPECT_ERR("ipc_buffer_must_be_writable",
               mica_tcb_set_ipc_buffer(f.tcb, MICA_BOOT_INFO_VADDR), MICA_E_INVALID_ARG);

    /* A call with a timeout to a server already waiting, which never replies. */
    call_ep = test_make(MICA_OBJ_ENDPOINT, 0);
    start(&silent, silent_server, 0);
    let_others_run();
    m = (struct mica_msg){ .info = mica_msginfo(1, 0) };
    EXPECT_ERR("call_to_waiting_server_times_out", mica_call(call_ep, &m, 30 * MS),
               MICA_E_TIMEOUT);
    mica_tcb_suspend(silent.tcb);

    /* The partner of a call runs before the other ready threads of its priority, on the
     * fast path and the slow path alike. */
    order_ep = test_make(MICA_OBJ_ENDPOINT, 0);
    start(&s, order_server, 0);
    let_others_run();                           /* it waits in its receive */
    start(&x, order_other, 0);                  /* ready, behind us */
    m = (struct mica_msg){ .info = mica_msginfo(0, 0) };
    mica_call(order_ep, &m, FOREVER);
    note('R');
    let_others_run();
    EXPECT("call_partner_runs_first", !strcmp((const char *)order, "SRX"), "order %s",
           (const char *)order);
    mica_tcb_suspend(s.tcb);
    mica_tcb_suspend(x.tcb);

    /* Deleting the last capability with a badge cancels that badge's queued sends. */
    badge_ep = test_make(MICA_OBJ_ENDPOINT, 0);
    badge_cap = test_mint(badge_ep, MICA_RIGHTS_ALL, 5);
    start(&b, badged_sender, 0);
    let_others_run();
    mica_cnode_delete(CNODE, badge_cap);
    let_others_run();
    EXPECT_ERR("revoked_badge_cancels_queued_send", badged_err, MICA_E_DELETED);
    EXPECT_ERR("revoked_badge_message_never_arrives", mica_recv(badge_ep, &m, POLL),
               MICA_E_TIMEOUT);
}

static volatile long suspended_err = -1;
static mica_cptr_t idle_ep;

static void
idle_receiver(uint64_t unused)
{
    (void)unused;
    struct mica_msg m = { 0 };
    suspended_err = mica_recv(idle_ep, &m, FOREVER);
    for (;;)
        mica_yield();
}

static void
suspend_blocked(void)
{
    static struct mica_thread t;
    idle_ep = test_make(MICA_OBJ_ENDPOINT, 0);
    start(&t, idle_receiver, 0);
    let_others_run();
    mica_tcb_suspend(t.tcb);
    mica_tcb_resume(t.tcb);
    let_others_run();
    EXPECT_ERR("suspend_fails_a_blocked_receive", suspended_err, MICA_E_BAD_STATE);
}

int
main(void)
{
    bi = mica_bootinfo;
    if (!bi || bi->module_count < 2 || !bi->module[1].cnode) {
        mica_printf("TEST FAIL ipc_needs_the_server_module: boot ipc.elf ipc_server.elf\n");
        return 1;
    }
    test_root_setup();

    server_ep = test_make(MICA_OBJ_ENDPOINT, 0);
    long err = mica_cnode_copy(bi->module[1].cnode, SERVER_EP, CNODE, server_ep,
                               MICA_RIGHTS_ALL);
    if (!err)
        err = mica_tcb_resume(bi->module[1].tcb);
    EXPECT_ERR("server_started", err, MICA_E_OK);

    server_calls();
    rights_and_transfer();
    timeouts();
    notifications();
    oneway_order();
    deaths();
    faults();
    fault_kinds();
    redirect_roundtrips();
    redirect_not_a_signal();
    review_regressions();
    suspend_blocked();
    return test_failures;
}
