/* SPDX-License-Identifier: MIT */
/* The memory server's state: what store.c (capability slots, untyped memory, frames, page
 * tables, the page table of pages) and space.c (clients, regions, faults) share with the
 * request loop in main.c. One thread: nothing here is locked. docs/memory.md is the essay. */
#ifndef MEM_SERVER_H
#define MEM_SERVER_H

#include <stdbool.h>

#include "mem.h"

#define PAGE            4096UL
#define E_QUOTA         1000                /* internal: the client's quota is used up */
#define PAGE_MASK       (PAGE - 1)
#define AREA_SHIFT      21                  /* what one page table covers: 2 MiB */

#define MAX_REGIONS     32                  /* per client */
#define MAX_OBJECTS     256                 /* shared memory objects */
#define MAX_FRAMES      (1u << 14)          /* 64 MiB */
#define TABLE_BITS      15                  /* the page table of pages: 32768 entries */
#define TABLE_SIZE      (1u << TABLE_BITS)

/* Where the server maps frames it must read or write itself (copy-on-write copies): frame
 * i at WINDOW + i * PAGE, in a PML4 slot of its own. */
#define WINDOW          0x100000000000UL

/* A frame: the capability retyped from untyped (the anchor, which the first mapping of the
 * frame borrows, so a demand-zero page needs no copy), further mappings' copies of it, and a
 * mapping in the server's window once the server has had to read or write the frame (the
 * anchor itself if it was free then, else a copy). The anchor is lent or the view or
 * neither, never both. */
struct frame {
    uint32_t anchor;            /* slot; 0: the record is free */
    uint32_t view;              /* slot of the capability mapped at WINDOW; 0: none */
    uint32_t refs;              /* entries (client pages, object pages) naming the frame */
    bool lent;                  /* the anchor is a client page's mapping */
};

/* The table of pages: one hash table, keyed by kind, owner and page number, of
 *  - client pages (KEY_PAGE, client, vpn): the frame mapped there and the capability (slot)
 *    that maps it with attrs; an entry exists exactly while the page is mapped;
 *  - object pages (KEY_OBJECT, object, index): the frame of a shared object's page;
 *  - areas (KEY_AREA, client, va >> 21): every page table on the way to this 2 MiB of the
 *    client's space (client 0: the server's own) is in place. */
enum key_kind { KEY_PAGE = 1, KEY_OBJECT, KEY_AREA };
struct entry {
    uint64_t key;               /* 0: empty */
    uint32_t slot;
    uint32_t frame;
    uint32_t attrs;             /* MICA_MAP_* of the mapping */
};
static inline uint64_t
key_of(enum key_kind kind, uint64_t owner, uint64_t index)
{
    return (uint64_t)kind << 60 | owner << 40 | index;
}

struct region {
    uint64_t start, end;        /* page aligned, end exclusive */
    unsigned rights;            /* MEM_W, MEM_X, MEM_SHARED */
    unsigned object;            /* shared regions: their object (1..) */
    uint64_t device;            /* device regions: our slot of the device-memory block */
};

#define DEVICE_PAGE     UINT32_MAX          /* an entry's frame: a device page, not a frame */

struct client {
    bool used;
    mica_cptr_t vspace;         /* its address space: ours to map into */
    mica_cptr_t supervisor;     /* a notification signalled on a bad fault, or 0 */
    uint64_t quota, pages;      /* pages: mapped pages and page tables made for it */
    unsigned nregions;
    struct region region[MAX_REGIONS];     /* sorted by start, never overlapping */
    uint16_t tcb[MEM_MAX_THREADS + 1];      /* thread i's TCB capability, or 0 */
    unsigned threads;
    uint32_t tables;            /* the page tables made for it: a list through table_next */
    struct mem_fault_info last; /* its last bad fault */
};

extern struct client clients[MEM_MAX_CLIENTS];
extern struct frame frames[MAX_FRAMES];

/* store.c */
void store_init(void);
uint64_t slot_alloc(void);
void slot_free(uint64_t slot);
void slot_delete(uint64_t slot);
long frame_new(uint32_t *f);
void frame_unref(uint32_t f);
long frame_mapping_cap(uint32_t f, uint64_t *slot);
void frame_drop_cap(uint32_t f, uint64_t slot);
long frame_view(uint32_t f, void **at);
long tables_ready(unsigned client, uint64_t va);
void tables_free(struct client *c, unsigned client);
uint64_t pages_free(void);

struct entry *table_find(uint64_t key);
struct entry *table_insert(uint64_t key);
void table_remove(struct entry *e);
extern struct entry table[TABLE_SIZE];

/* space.c */
long client_create(mica_cptr_t vspace, uint64_t quota, uint64_t *id);
void client_destroy(struct client *c);
long region_map(struct client *c, uint64_t va, uint64_t size, unsigned rights);
long region_unmap(struct client *c, uint64_t va);
long region_share(struct client *src, uint64_t src_va, struct client *dst, uint64_t dst_va,
                  unsigned rights);
long region_copy(struct client *src, uint64_t src_va, struct client *dst, uint64_t dst_va);
long region_device(struct client *c, uint64_t va, uint64_t size, unsigned rights, uint64_t paddr,
                   uint64_t block);
bool fault_page(uint64_t badge, struct mica_msg *m);
void fault_bad(struct client *c, unsigned thread, const struct mica_msg *m, unsigned why);

#endif
