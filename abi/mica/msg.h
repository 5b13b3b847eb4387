/* SPDX-License-Identifier: MIT */
/* The message-info word and the IPC buffer. */
#ifndef MICA_MSG_H
#define MICA_MSG_H

#include <stdint.h>

/*
 * Message info: bits 0-6 the length in message registers, bits 12-63 the label (for an
 * invocation, the method). Masks and shifts, never C bit-fields (the layout is ABI).
 */
#define MICA_MSG_LENGTH_BITS    7
#define MICA_MSG_LENGTH_MASK    ((1u << MICA_MSG_LENGTH_BITS) - 1)
#define MICA_MSG_LABEL_SHIFT    12

static inline uint64_t
mica_msginfo(uint64_t label, unsigned length)
{
    return label << MICA_MSG_LABEL_SHIFT | (length & MICA_MSG_LENGTH_MASK);
}
static inline uint64_t mica_msg_label(uint64_t info) { return info >> MICA_MSG_LABEL_SHIFT; }
static inline unsigned mica_msg_length(uint64_t info) { return info & MICA_MSG_LENGTH_MASK; }

/* The first MICA_MSG_REG_WORDS message registers travel in CPU registers; the others in the
 * thread's IPC buffer, at the same index of mr[]. */
#define MICA_MSG_REG_WORDS      4
#define MICA_MSG_MAX_WORDS      120

/* The IPC buffer: one page of a thread's own memory, named by TCB configure. */
struct mica_ipc_buffer {
    uint64_t mr[MICA_MSG_MAX_WORDS];
    uint64_t reserved[512 - MICA_MSG_MAX_WORDS];
};
_Static_assert(sizeof(struct mica_ipc_buffer) == 4096, "the IPC buffer is one page");

#endif
