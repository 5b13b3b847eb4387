// SPDX-License-Identifier: MIT
/* The memory server's stores: the slots of its CNode (a bitmap), untyped memory (retyped a
 * batch of 4 KiB frames, or one page table, at a time), frames with reference counts and a
 * pool of zeroed ones, page tables in clients' spaces and its own, and the hash table of
 * pages. Memory is never given back to untyped: freed frames and page tables are kept and
 * used again (a frame is zeroed through the server's window first). */
#include <string.h>

#include "server.h"

#define CN          MEM_SLOT_CNODE
#define BATCH       32                  /* frames retyped at once */
#define MAX_SLOTS   (1u << MICA_CNODE_MAX_BITS)

struct frame frames[MAX_FRAMES];
struct entry table[TABLE_SIZE];

static uint64_t nslots, slot_hint = MEM_SLOT_FIRST_FREE;
static uint64_t slot_map[MAX_SLOTS / 64];
static uint32_t table_next[MAX_SLOTS];  /* lists of page tables, linked by slot */

static struct {
    uint64_t slot, pages, used;
} untyped[MICA_BOOT_MAX_UNTYPED];
static unsigned nuntyped, ut_cur;

static uint32_t pool[BATCH], npool;     /* fresh frames (zeroed by retype), anchors unmapped */
static uint32_t dirty, ndirty;          /* freed frames, linked through frames[].refs */
static uint32_t free_idx[MAX_FRAMES], nfree_idx;
static uint32_t spare_tables;           /* empty, unmapped page tables: a list */
static unsigned table_count;

/* ---- slots ------------------------------------------------------------------------------ */

static bool slot_used(uint64_t s) { return slot_map[s / 64] >> (s % 64) & 1; }

/* n consecutive free slots (the first), or 0. */
static uint64_t
slot_run(unsigned n)
{
    for (uint64_t s = slot_hint, run = 0; s < nslots; s++) {
        run = slot_used(s) ? 0 : run + 1;
        if (run == n) {
            for (uint64_t i = s + 1 - n; i <= s; i++)
                slot_map[i / 64] |= 1UL << (i % 64);
            if (s + 1 - n == slot_hint)
                slot_hint = s + 1;
            return s + 1 - n;
        }
    }
    return 0;
}

uint64_t
slot_alloc(void)
{
    return slot_run(1);
}

void
slot_free(uint64_t s)
{
    slot_map[s / 64] &= ~(1UL << (s % 64));
    if (s < slot_hint)
        slot_hint = s;
}

void
slot_delete(uint64_t s)
{
    mica_cnode_delete(CN, s);
    slot_free(s);
}

void
store_init(void)
{
    struct mica_cap_info info;
    mica_cnode_identify(CN, MEM_SLOT_CNODE, &info);
    nslots = 1UL << info.size_bits;
    for (uint64_t s = 0; s < MEM_SLOT_FIRST_FREE; s++)
        slot_map[s / 64] |= 1UL << (s % 64);
    for (uint64_t s = MEM_SLOT_UNTYPED; s < MEM_SLOT_FIRST_FREE; s++) {
        if (mica_cnode_identify(CN, s, &info) || info.type != MICA_OBJ_UNTYPED)
            continue;
        untyped[nuntyped].slot = s;
        untyped[nuntyped++].pages = 1UL << (info.size_bits - 12);
    }
    for (uint32_t i = MAX_FRAMES; i-- > 1;)         /* frame 0 is never used */
        free_idx[nfree_idx++] = i;
}

/* ---- untyped memory --------------------------------------------------------------------- */

/* Retype up to *count 4 KiB objects of type into slots from dest; *count says how many. */
static long
retype(unsigned type, unsigned bits, uint64_t dest, unsigned *count)
{
    for (; ut_cur < nuntyped; ut_cur++) {
        uint64_t left = untyped[ut_cur].pages - untyped[ut_cur].used;
        if (!left)
            continue;
        unsigned n = *count < left ? *count : (unsigned)left;
        if (mica_untyped_retype(untyped[ut_cur].slot, type, bits, CN, dest, n))
            continue;
        untyped[ut_cur].used += n;
        *count = n;
        return MICA_E_OK;
    }
    return MICA_E_NO_MEMORY;
}

uint64_t
pages_free(void)
{
    uint64_t n = npool + ndirty;
    for (unsigned i = ut_cur; i < nuntyped; i++)
        n += untyped[i].pages - untyped[i].used;
    return n;
}

/* ---- frames -------------------------------------------------------------------------- */

static long
pool_refill(void)
{
    unsigned n = nfree_idx < BATCH ? nfree_idx : BATCH;
    uint64_t first = n ? slot_run(n) : 0;
    if (!first && (n = 1, first = slot_run(1)) == 0)
        return MICA_E_NO_MEMORY;
    unsigned want = n;
    long err = retype(MICA_OBJ_FRAME, 12, first, &n);
    for (unsigned i = err ? 0 : n; i < want; i++)
        slot_free(first + i);
    for (unsigned i = 0; !err && i < n; i++) {
        uint32_t f = free_idx[--nfree_idx];
        frames[f] = (struct frame){ .anchor = (uint32_t)(first + i) };
        pool[npool++] = f;
    }
    return err;
}

/* A zeroed frame, its anchor unmapped, no references yet: fresh from untyped memory while
 * there is some, else a freed one, zeroed here. */
long
frame_new(uint32_t *out)
{
    if (!npool)
        pool_refill();                          /* failing, freed frames are the rest */
    if (npool) {
        *out = pool[--npool];
        return MICA_E_OK;
    }
    if (!ndirty)
        return MICA_E_NO_MEMORY;
    uint32_t f = dirty;
    void *at;
    long err = frame_view(f, &at);
    if (err)
        return err;
    dirty = frames[f].refs;
    ndirty--;
    frames[f].refs = 0;
    memset(at, 0, PAGE);
    *out = f;
    return MICA_E_OK;
}

/* One reference fewer; the last one puts the frame on the dirty list for reuse. */
void
frame_unref(uint32_t f)
{
    if (--frames[f].refs)
        return;
    frames[f].lent = false;
    frames[f].refs = dirty;
    dirty = f;
    ndirty++;
}

/* A capability for a new mapping of frame f: the anchor itself if neither a mapping nor the
 * server's window has it, else a copy. */
long
frame_mapping_cap(uint32_t f, uint64_t *slot)
{
    struct frame *fr = &frames[f];
    if (!fr->lent && fr->view != fr->anchor) {
        fr->lent = true;
        *slot = fr->anchor;
        return MICA_E_OK;
    }
    uint64_t s = slot_alloc();
    if (!s)
        return MICA_E_NO_MEMORY;
    long err = mica_cnode_copy(CN, s, CN, fr->anchor, MICA_RIGHTS_ALL);
    if (err)
        slot_free(s);
    *slot = s;
    return err;
}

/* The mapping made with slot (frame_mapping_cap) goes: unmap the anchor, delete a copy.
 * Slot 0: none. */
void
frame_drop_cap(uint32_t f, uint64_t slot)
{
    if (!slot)
        return;
    if (slot == frames[f].anchor) {
        mica_frame_unmap(slot);
        frames[f].lent = false;
    } else {
        slot_delete(slot);
    }
}

/* Frame f in the server's window, mapped there on first use: the anchor itself if no
 * mapping has it (one invocation), else a copy of it. */
long
frame_view(uint32_t f, void **at)
{
    uint64_t va = WINDOW + (uint64_t)f * PAGE;
    struct frame *fr = &frames[f];
    *at = (void *)va;
    if (fr->view)
        return MICA_E_OK;
    uint64_t s = fr->lent ? slot_alloc() : fr->anchor;
    long err = !s ? MICA_E_NO_MEMORY
               : fr->lent ? mica_cnode_copy(CN, s, CN, fr->anchor, MICA_RIGHTS_ALL) : MICA_E_OK;
    if (!err)
        err = tables_ready(0, va);
    if (!err)
        err = mica_frame_map(s, MEM_SLOT_VSPACE, va, MICA_MAP_WRITE);
    if (err) {
        if (s && s != fr->anchor)
            slot_delete(s);
        return err;
    }
    fr->view = (uint32_t)s;
    return MICA_E_OK;
}

/* ---- page tables ------------------------------------------------------------------------ */

/* Every page table on the way to va in the client's space (client 0: the server's own), made
 * and charged to the client as needed. E_QUOTA if its quota does not allow one. */
long
tables_ready(unsigned client, uint64_t va)
{
    uint64_t key = key_of(KEY_AREA, client, va >> AREA_SHIFT);
    if (table_find(key))
        return MICA_E_OK;
    struct client *c = client ? &clients[client] : NULL;
    mica_cptr_t vspace = c ? c->vspace : MEM_SLOT_VSPACE;
    for (;;) {
        uint64_t t = spare_tables;
        if (t) {
            spare_tables = table_next[t];
        } else {
            unsigned one = 1;
            long err = (t = slot_alloc()) ? retype(MICA_OBJ_PAGE_TABLE, 0, t, &one)
                                          : MICA_E_NO_MEMORY;
            if (err) {
                if (t)
                    slot_free(t);
                return err;
            }
        }
        long err = mica_page_table_map(t, vspace, va);
        if (!err && c && c->pages + 1 > c->quota) {
            mica_page_table_unmap(t);
            err = E_QUOTA;
        }
        if (err) {                              /* SLOT_FULL: every level is there */
            table_next[t] = spare_tables;
            spare_tables = (uint32_t)t;
            if (err != MICA_E_SLOT_FULL)
                return err;
            break;
        }
        if (c) {
            c->pages++;
            table_next[t] = c->tables;
            c->tables = (uint32_t)t;
        }
    }
    struct entry *e = table_insert(key);
    return e ? MICA_E_OK : MICA_E_NO_MEMORY;
}

/* The client's page tables go back to the spares, the lowest levels first (the list has the
 * newest first); its mappings must be gone. */
void
tables_free(struct client *c, unsigned client)
{
    for (uint32_t t = c->tables, next; t; t = next) {
        next = table_next[t];
        mica_page_table_unmap(t);
        table_next[t] = spare_tables;
        spare_tables = t;
    }
    c->tables = 0;
    for (uint32_t i = 0; i < TABLE_SIZE; i++) {
        uint64_t k = table[i].key;
        if (k >> 60 == KEY_AREA && (k >> 40 & 0xfffff) == client) {
            table_remove(&table[i]);
            i--;                                /* something may have moved into i */
        }
    }
}

/* ---- the hash table of pages (linear probing, deletion by backward shift) --------------- */

static uint32_t
hash(uint64_t key)
{
    return (uint32_t)((key * 0x9e3779b97f4a7c15UL) >> (64 - TABLE_BITS));
}

struct entry *
table_find(uint64_t key)
{
    for (uint32_t i = hash(key);; i = (i + 1) % TABLE_SIZE) {
        if (table[i].key == key)
            return &table[i];
        if (!table[i].key)
            return NULL;
    }
}

/* A new entry for key (which has none), zeroed; NULL when the table is 7/8 full. */
struct entry *
table_insert(uint64_t key)
{
    if (table_count >= TABLE_SIZE / 8 * 7)
        return NULL;
    uint32_t i = hash(key);
    while (table[i].key)
        i = (i + 1) % TABLE_SIZE;
    table[i] = (struct entry){ .key = key };
    table_count++;
    return &table[i];
}

void
table_remove(struct entry *e)
{
    uint32_t hole = (uint32_t)(e - table);
    table_count--;
    for (uint32_t i = (hole + 1) % TABLE_SIZE; table[i].key; i = (i + 1) % TABLE_SIZE) {
        uint32_t home = hash(table[i].key);
        /* i's entry may fill the hole if its home is not in (hole, i] (cyclically) */
        bool stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!stays) {
            table[hole] = table[i];
            hole = i;
        }
    }
    table[hole].key = 0;
}
