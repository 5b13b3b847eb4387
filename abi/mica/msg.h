/* SPDX-License-Identifier: MIT */
/* The message-info word and the IPC buffer. */
#ifndef MICA_MSG_H
#define MICA_MSG_H

#include <stdint.h>

/*
 * Message info: bits 0-6 the length in message registers, bits 7-8 the number of
 * capabilities sent (their cptrs in the IPC buffer's caps[]), bit 9 set to move them rather
 * than copy them, bit 10 set if they are map items (below), bits 12-63 the label (for an
 * invocation, the method). Masks and shifts, never C bit-fields (the layout is ABI).
 *
 * Map items: with MICA_MSG_MAP the capabilities sent are frame capabilities, and each one
 * the receiver takes is also mapped into its address space, in the receive window its IPC
 * buffer names (recv_window, recv_window_size), one after the other from the window's start
 * (each aligned to its frame's size), with the attributes of the sender's map_attrs as far
 * as the capability's rights allow. A copied item (map) is a child of the sender's
 * capability, with the write right only if map_attrs gives MICA_MAP_WRITE: revoking the
 * sender's capability unmaps the page from every space that received it from there,
 * recursively. A moved item (grant, MICA_MSG_MOVE_CAPS) leaves the sender's space.
 * Items that do not fit the window are not taken; the count in the received info word says
 * how many were. In the reply to a page fault one map item, caps[0], maps that capability of
 * the pager (which keeps it) at the faulting page.
 */
#define MICA_MSG_LENGTH_BITS    7
#define MICA_MSG_LENGTH_MASK    ((1u << MICA_MSG_LENGTH_BITS) - 1)
#define MICA_MSG_CAPS_SHIFT     7
#define MICA_MSG_CAPS_MASK      3u
#define MICA_MSG_MOVE_CAPS      (1u << 9)
#define MICA_MSG_MAP            (1u << 10)
#define MICA_MSG_LABEL_SHIFT    12
#define MICA_MSG_MAX_CAPS       3

static inline uint64_t
mica_msginfo_caps(uint64_t label, unsigned caps, unsigned length)
{
    return label << MICA_MSG_LABEL_SHIFT | (caps & MICA_MSG_CAPS_MASK) << MICA_MSG_CAPS_SHIFT |
           (length & MICA_MSG_LENGTH_MASK);
}
static inline uint64_t mica_msginfo(uint64_t label, unsigned length)
{
    return mica_msginfo_caps(label, 0, length);
}
static inline uint64_t mica_msg_label(uint64_t info) { return info >> MICA_MSG_LABEL_SHIFT; }
static inline unsigned mica_msg_length(uint64_t info) { return info & MICA_MSG_LENGTH_MASK; }
static inline unsigned mica_msg_caps(uint64_t info)
{
    return (info >> MICA_MSG_CAPS_SHIFT) & MICA_MSG_CAPS_MASK;
}

/* Labels of messages the kernel makes. A receive woken by the thread's bound notification
 * returns MICA_LABEL_NOTIFICATION, with the notification's word as the badge. Faults are
 * calls to the thread's fault endpoint labelled MICA_FAULT_*: MR0 the instruction pointer,
 * MR1 the faulting address, MR2 the architecture's error code, MR3 MICA_FAULT_FLAG_*,
 * MR4 the vector. A redirected system call (MICA_FAULT_SYSCALL) carries MR0 the number
 * (rax), MR1-MR6 the arguments (rdi, rsi, rdx, r10, r8, r9), MR7 the return address. */
enum mica_kernel_label {
    MICA_LABEL_NOTIFICATION = 0xfff0,
    MICA_FAULT_PAGE = 0xfff1,
    MICA_FAULT_GENERAL_PROTECTION,
    MICA_FAULT_UNDEFINED_INSN,
    MICA_FAULT_DIVIDE,
    MICA_FAULT_BREAKPOINT,
    MICA_FAULT_OTHER,
    MICA_FAULT_SYSCALL,
};
#define MICA_FAULT_FLAG_WRITE    (1u << 0)  /* the access was a write */
#define MICA_FAULT_FLAG_PRESENT  (1u << 1)  /* to a present page: a protection fault */
#define MICA_FAULT_FLAG_EXEC     (1u << 2)  /* an instruction fetch */

/* Labels of the reply to a fault: resume as it stands (for a redirected system call, with
 * MR0 as its result in rax, if the reply has one), or resume with MR0.. as all registers
 * (enum mica_reg order). A fault nobody replies to leaves the thread blocked. */
enum mica_fault_reply {
    MICA_FAULT_REPLY_RESUME = 0,
    MICA_FAULT_REPLY_REGS = 1,
};

/* The first MICA_MSG_REG_WORDS message registers travel in CPU registers; the others in the
 * thread's IPC buffer, at the same index of mr[]. */
#define MICA_MSG_REG_WORDS      4
#define MICA_MSG_MAX_WORDS      120

/* The IPC buffer: one page of a thread's own memory, named by TCB configure. Capabilities
 * to send are named in caps[]; received ones go to (recv_cnode, recv_slot), a CNode in the
 * receiver's CSpace and its slots from recv_slot on, which must be empty (recv_cnode 0:
 * accept none). Map items also need a receive window: a page-aligned range of the
 * receiver's address space (size 0: accept none); the sender's map_attrs (MICA_MAP_WRITE,
 * MICA_MAP_EXEC) say how its map items are to be mapped. */
struct mica_ipc_buffer {
    uint64_t mr[MICA_MSG_MAX_WORDS];
    uint64_t caps[MICA_MSG_MAX_CAPS];
    uint64_t recv_cnode;
    uint64_t recv_slot;
    uint64_t recv_window;
    uint64_t recv_window_size;
    uint64_t map_attrs;
    uint64_t reserved[512 - MICA_MSG_MAX_WORDS - MICA_MSG_MAX_CAPS - 5];
};
_Static_assert(sizeof(struct mica_ipc_buffer) == 4096, "the IPC buffer is one page");

#endif
