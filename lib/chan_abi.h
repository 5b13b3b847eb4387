/* SPDX-License-Identifier: MIT */
/* The shared-memory layout of a channel (docs/channels.md): a header, a submission ring and
 * a completion ring of small fixed-size entries, and a buffer area, in one region mapped by
 * a client and a server. Words are masks, shifts and accessors, never C bit-fields. */
#ifndef MICA_CHAN_ABI_H
#define MICA_CHAN_ABI_H

#include <stdatomic.h>
#include <stdint.h>

#define MICA_CHAN_MAGIC         0x4e414843u         /* "CHAN" */
#define MICA_CHAN_VERSION       2u
#define MICA_CHAN_LINE          64u                 /* bytes: a cache line */
#define MICA_CHAN_HEADER_SIZE   512u                /* the header: 8 cache lines */
#define MICA_CHAN_SQE_SIZE      32u                 /* a request entry */
#define MICA_CHAN_CQE_SIZE      16u                 /* a completion entry */
#define MICA_CHAN_MIN_ENTRIES   2u                  /* ring sizes: powers of two */
#define MICA_CHAN_MAX_ENTRIES   512u
#define MICA_CHAN_MAX_TAGS      (2 * MICA_CHAN_MAX_ENTRIES)
#define MICA_CHAN_ARGS          2u                  /* argument words of a request */
#define MICA_CHAN_RESULTS       1u                  /* result words of a completion */

/* A ring size both sides accept: a power of two from MICA_CHAN_MIN_ENTRIES to _MAX_. */
static inline int
mica_chan_ring_ok(uint32_t n)
{
    return n >= MICA_CHAN_MIN_ENTRIES && n <= MICA_CHAN_MAX_ENTRIES && !(n & (n - 1));
}

/*
 * The header. Each index has a cache line of its own, and each line has one writer, so the
 * two sides never write the same line. Who writes what:
 *   geometry (line 0): the client, before it hands the region over; the server copies and
 *     checks it once, at attach, and never reads it again;
 *   sq_tail, cq_head, client_flags: the client; sq_head, cq_tail, server_flags,
 *     server_state: the server.
 * Indices are free-running 32-bit counters; an entry's slot is the index masked by the
 * ring's size. Each side treats the other's words as untrusted input (docs/channels.md).
 */
struct mica_chan_header {
    /* line 0: geometry */
    uint32_t magic, version;
    uint32_t sq_entries, cq_entries;        /* powers of two */
    uint32_t sq_off, cq_off;                /* ring offsets from the region's start */
    uint32_t buf_off, buf_size;             /* the buffer area */
    uint32_t ntags;                         /* tags are 0 .. ntags-1 */
    uint32_t epoch;                         /* the client's connection count */
    uint8_t pad0[MICA_CHAN_LINE - 40];
    /* line 1 */
    _Atomic uint32_t sq_tail;               /* client: requests published */
    uint8_t pad1[MICA_CHAN_LINE - 4];
    /* line 2 */
    _Atomic uint32_t sq_head;               /* server: requests taken (their slots free) */
    _Atomic uint32_t server_flags;          /* server: MICA_CHAN_SLEEP_* */
    uint8_t pad2[MICA_CHAN_LINE - 8];
    /* line 3 */
    _Atomic uint32_t cq_tail;               /* server: completions published */
    _Atomic uint32_t server_state;          /* server: MICA_CHAN_STATE_* */
    _Atomic uint32_t server_epoch;          /* server: the epoch it attached */
    uint8_t pad3[MICA_CHAN_LINE - 12];
    /* line 4 */
    _Atomic uint32_t cq_head;               /* client: completions reaped (their slots free) */
    _Atomic uint32_t client_flags;          /* client: MICA_CHAN_SLEEP_CQ while it waits */
    uint8_t pad4[MICA_CHAN_LINE - 8];
    uint8_t reserved[3 * MICA_CHAN_LINE];
};
_Static_assert(sizeof(struct mica_chan_header) == MICA_CHAN_HEADER_SIZE, "channel header");
_Static_assert(__builtin_offsetof(struct mica_chan_header, sq_tail) == 1 * MICA_CHAN_LINE, "");
_Static_assert(__builtin_offsetof(struct mica_chan_header, sq_head) == 2 * MICA_CHAN_LINE, "");
_Static_assert(__builtin_offsetof(struct mica_chan_header, cq_tail) == 3 * MICA_CHAN_LINE, "");
_Static_assert(__builtin_offsetof(struct mica_chan_header, cq_head) == 4 * MICA_CHAN_LINE, "");

/* server_flags: the server is going to sleep and wants its doorbell rung when the client
 * publishes requests (SQ), or when it frees completion slots (CQ: the server stopped
 * taking this channel's requests because its completion ring was full). client_flags: the
 * client is going to sleep until a completion arrives. */
#define MICA_CHAN_SLEEP_SQ      (1u << 0)
#define MICA_CHAN_SLEEP_CQ      (1u << 1)

/* server_state: written by the server at attach and when it closes the channel. A server
 * that dies writes nothing: the client learns that from outside (its supervisor). */
#define MICA_CHAN_STATE_NEW     0u
#define MICA_CHAN_STATE_ATTACHED 1u
#define MICA_CHAN_STATE_CLOSED  2u

/*
 * Ring entries, read and written with relaxed atomic accesses (the ring indices, with
 * acquire and release, order them). A request is 32 bytes, a completion 16: two requests
 * or four completions to a cache line.
 * Request:    w0 = opcode (bits 0-15) | flags (16-31) | tag (32-63)
 *             w1 = buffer offset (bits 0-31) | buffer length (32-63), in the buffer area
 *             w2, w3 = arguments
 * Completion: w0 = tag (bits 0-31) | status (32-63): a mica_error (0: success), signed
 *             w1 = the result
 */
struct mica_chan_sq_entry {
    _Atomic uint64_t w[4];
};
struct mica_chan_cq_entry {
    _Atomic uint64_t w[2];
};
_Static_assert(sizeof(struct mica_chan_sq_entry) == MICA_CHAN_SQE_SIZE, "request entry");
_Static_assert(sizeof(struct mica_chan_cq_entry) == MICA_CHAN_CQE_SIZE, "completion entry");

static inline uint64_t
mica_chan_w0(unsigned opcode, unsigned flags, uint32_t tag)
{
    return (uint64_t)(opcode & 0xffff) | (uint64_t)(flags & 0xffff) << 16 | (uint64_t)tag << 32;
}
static inline unsigned mica_chan_w0_opcode(uint64_t w0) { return (unsigned)(w0 & 0xffff); }
static inline unsigned mica_chan_w0_flags(uint64_t w0) { return (unsigned)(w0 >> 16 & 0xffff); }
static inline uint32_t mica_chan_w0_tag(uint64_t w0) { return (uint32_t)(w0 >> 32); }
static inline uint64_t
mica_chan_w1(uint32_t off, uint32_t len)
{
    return (uint64_t)off | (uint64_t)len << 32;
}
static inline uint32_t mica_chan_w1_off(uint64_t w1) { return (uint32_t)w1; }
static inline uint32_t mica_chan_w1_len(uint64_t w1) { return (uint32_t)(w1 >> 32); }

/* A completion's first word: the request's tag and its status. */
static inline uint64_t
mica_chan_cw0(uint32_t tag, long status)
{
    return (uint64_t)tag | (uint64_t)(uint32_t)(int32_t)status << 32;
}
static inline uint32_t mica_chan_cw0_tag(uint64_t w0) { return (uint32_t)w0; }
static inline long mica_chan_cw0_status(uint64_t w0) { return (long)(int32_t)(w0 >> 32); }

/* Opcodes below MICA_CHAN_OP_USER are the library's; every server understands them. */
enum mica_chan_opcode {
    MICA_CHAN_OP_NOP = 0,       /* completes with status 0, its result its first argument */
    MICA_CHAN_OP_USER = 16,     /* the server's own operations start here */
};

/*
 * Setting up a channel through an endpoint of the server (mica_chan_connect), each a call
 * whose reply's MR0 is a mica_error. The region is the client's memory. On the server's
 * public endpoint:
 *   OPEN   (pages) with one capability, the client's doorbell notification (write right)
 *          -> MR1 the channel's number; capabilities: the channel's endpoint (a badged copy
 *          of the server's: write and grant rights) and, if the server hands it out, the
 *          server's doorbell
 * then on the channel's endpoint (the badge names the channel and its generation):
 *   PAGES  (first page) with 1-3 map items (MICA_MSG_MAP, writable): those pages
 *   ATTACH ()                the region holds a formatted header: serve it
 *   CLOSE  ()                stop serving it and free it; the server deletes its copies
 *                            of the pages and revokes the channel's endpoint
 */
enum mica_chan_label {
    MICA_CHAN_OPEN = 0xc400,
    MICA_CHAN_PAGES,
    MICA_CHAN_ATTACH,
    MICA_CHAN_CLOSE,
};

/* A channel endpoint's badge: MICA_CHAN_BADGE_TAG, the generation (bits 16-47) and the
 * channel (0-15); no client's public badge has bit 62. */
#define MICA_CHAN_BADGE_TAG     (1UL << 62)

static inline uint64_t
mica_chan_badge(unsigned chan, uint32_t gen)
{
    return MICA_CHAN_BADGE_TAG | (uint64_t)gen << 16 | (chan & 0xffff);
}

#endif
