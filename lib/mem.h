/* SPDX-License-Identifier: MIT */
/* The memory server's protocol (servers/mem/, docs/memory.md) and the library its clients
 * and its starter use (lib/mem.c). One request is one call: the label is the method, the
 * badge names the client, MR0.. the arguments; the reply's label is a mica_error and its
 * MR0.. the results. */
#ifndef MICA_MEM_H
#define MICA_MEM_H

#include <stdbool.h>

#include "mica.h"

/*
 * Badges: bits 8.. the client (1..MEM_MAX_CLIENTS-1), bits 0-7 the thread (1..255) whose
 * fault endpoint carries it, 0 for the task's request capability. Badge 0 (the unbadged
 * capability, which only the starter holds) is the administrator: it creates clients and
 * does what spans two of them (share, copy).
 */
#define MEM_THREAD_BITS     8
#define MEM_MAX_CLIENTS     64
#define MEM_MAX_THREADS     255
static inline uint64_t mem_badge(uint64_t client, uint64_t thread)
{
    return client << MEM_THREAD_BITS | thread;
}

enum mem_method {
    /* administrator only */
    MEM_CLIENT_CREATE = 1,  /* (quota pages) + caps[0] its VSpace -> (client) */
    MEM_CLIENT_THREAD,      /* (client) + caps[0] a TCB -> (badge for its fault endpoint) */
    MEM_CLIENT_SUPERVISOR,  /* (client) + caps[0] a notification, signalled on a bad fault */
    MEM_CLIENT_QUOTA,       /* (client, quota pages) */
    MEM_CLIENT_DESTROY,     /* (client): unmap and free all it has */
    MEM_FAULT_INFO,         /* (client) -> (thread, address, ip, flags, why, count) of its
                             * last bad fault (why: enum mem_fault_why) */
    MEM_SHARE,              /* (src client, src vaddr, dst client, dst vaddr, rights): the
                             * shared region at src vaddr appears in dst too */
    MEM_COPY,               /* (src client, src vaddr, dst client, dst vaddr): a copy-on-write
                             * copy of the region at src vaddr; src vaddr MEM_ALL: every
                             * region, at the same addresses (dst vaddr ignored) */
    MEM_DEVICE,             /* (client, vaddr, size, MEM_W, paddr) + caps[0] a device-memory
                             * block holding [paddr, paddr + size): a device region, its
                             * pages mapped uncached at once */

    /* any client, on its own address space */
    MEM_MAP = 32,           /* (vaddr, size, MEM_R/W/X | MEM_SHARED): a demand-zero region */
    MEM_UNMAP,              /* (vaddr): the region that starts there */
    MEM_USAGE,              /* () -> (pages charged, quota, regions, frames free in the
                             * server's pool and untyped memory) */
};

#define MEM_ALL             (~0UL)

/* Region rights (reading is implied) and kind. */
#define MEM_W               (1u << 0)
#define MEM_X               (1u << 1)
#define MEM_SHARED          (1u << 2)   /* backed by a memory object others may share */

/* Why a fault was not resolved (MEM_FAULT_INFO). */
enum mem_fault_why {
    MEM_WHY_NONE = 0,
    MEM_WHY_NO_REGION,      /* outside every region */
    MEM_WHY_RIGHTS,         /* a write or fetch the region does not allow */
    MEM_WHY_QUOTA,          /* the client's quota is used up */
    MEM_WHY_NO_MEMORY,      /* the server has no memory left */
    MEM_WHY_MAP_FAILED,     /* the kernel refused the mapping (something else is there) */
    MEM_WHY_OTHER,          /* not a page fault: flags is the fault's label */
};

/* The memory server's CNode, as its starter fills it. */
enum mem_server_slot {
    MEM_SLOT_TCB = 1,
    MEM_SLOT_CNODE = 2,
    MEM_SLOT_VSPACE = 3,
    MEM_SLOT_EP = 4,        /* its endpoint, to receive on */
    MEM_SLOT_RECV = 5,      /* 5..7: where capabilities sent to it arrive */
    MEM_SLOT_UNTYPED = 8,   /* 8..: untyped memory (MICA_BOOT_MAX_UNTYPED slots) */
    MEM_SLOT_FIRST_FREE = MEM_SLOT_UNTYPED + MICA_BOOT_MAX_UNTYPED,
};

/* ---- the library ------------------------------------------------------------------------ */

/* A request: label, n arguments in mr[] (results come back there), capabilities caps[0..ncaps)
 * of the caller's CSpace (the endpoint capability needs the grant right for them); at most
 * MEM_MAX_WORDS words either way. Returns the IPC error, or else the server's answer (the
 * reply's label). */
#define MEM_MAX_WORDS       8
long mem_rpc(mica_cptr_t ep, uint64_t label, unsigned n, uint64_t mr[MEM_MAX_WORDS],
             unsigned ncaps, const mica_cptr_t *caps);

/* Starting the server, from the root task (bench/bench.c, tests/guest/memsrv.c). */
struct mem_server_cfg {
    unsigned module;            /* its boot module (bootinfo module[]), suspended */
    unsigned cnode_bits;        /* its CNode: 2^cnode_bits slots (14..16) */
    mica_cptr_t give;           /* untyped memory to carve its memory from, */
    unsigned give_bits;         /* 2^give_bits bytes of it (all of it, if that is its size) */
    bool give_others;           /* and every other untyped capability but these two moved */
    unsigned prio;              /* its priority: above its clients' */
    uint64_t (*slot)(void);     /* a free slot of the caller's CNode */
};
/* Its CNode and endpoint are made from untyped. On success *ep is the caller's (unbadged,
 * administrator's) endpoint capability. */
long mem_server_start(const struct mem_server_cfg *cfg, mica_cptr_t untyped, mica_cptr_t *ep);

/* Administrator calls. */
long mem_client_create(mica_cptr_t ep, mica_cptr_t vspace, uint64_t quota, uint64_t *client);
long mem_client_thread(mica_cptr_t ep, uint64_t client, mica_cptr_t tcb, uint64_t *badge);
long mem_client_supervisor(mica_cptr_t ep, uint64_t client, mica_cptr_t ntfn);
long mem_client_quota(mica_cptr_t ep, uint64_t client, uint64_t quota);
long mem_client_destroy(mica_cptr_t ep, uint64_t client);
long mem_share(mica_cptr_t ep, uint64_t src, uint64_t src_va, uint64_t dst, uint64_t dst_va,
               unsigned rights);
long mem_copy(mica_cptr_t ep, uint64_t src, uint64_t src_va, uint64_t dst, uint64_t dst_va);
long mem_device(mica_cptr_t ep, uint64_t client, uint64_t vaddr, uint64_t size, unsigned rights,
                uint64_t paddr, mica_cptr_t block);

struct mem_fault_info {
    uint64_t thread, addr, ip, flags, why, count;
};
long mem_fault_info(mica_cptr_t ep, uint64_t client, struct mem_fault_info *out);

/* Make a thread the server's client: mint the fault endpoint capability (in slot of the
 * caller's CNode) with the badge the server gives and configure the thread with it and
 * (cspace, vspace, ipc_buffer) as TCB configure takes them. */
long mem_client_attach(mica_cptr_t ep, uint64_t client, mica_cptr_t tcb, mica_cptr_t cspace,
                       mica_cptr_t vspace, uint64_t ipc_buffer, uint64_t slot);

/* Give a task its request capability (badge: the client, thread 0), minted into slot of the
 * CNode cnode (a capability of the caller's). */
long mem_client_give(mica_cptr_t ep, uint64_t client, mica_cptr_t cnode, uint64_t slot);

/* Client calls, on the caller's own address space (ep: its badged request capability). */
long mem_map(mica_cptr_t ep, uint64_t vaddr, uint64_t size, unsigned rights);
long mem_unmap(mica_cptr_t ep, uint64_t vaddr);

/* Memory for a program, from the memory server: a demand-zero, writable region of at least
 * size bytes (whole pages) at the next free place of the heap area, or NULL; and giving it
 * back. Pages are charged to the quota when first touched. */
#define MEM_HEAP_BASE       0x100000000000UL
void *mem_alloc(mica_cptr_t ep, size_t size);
long mem_free(mica_cptr_t ep, void *p);

struct mem_usage {
    uint64_t pages, quota, regions, free;
};
long mem_usage(mica_cptr_t ep, struct mem_usage *out);

#endif
