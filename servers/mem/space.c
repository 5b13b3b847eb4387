// SPDX-License-Identifier: MIT
/* Clients, their regions and their page faults: demand-zero and shared pages, copy-on-write
 * copies, quotas. A client's page is in the table of pages exactly while it is mapped in
 * its space; a frame counts the entries that name it, so a write fault on a copy-on-write
 * page copies it only while someone else still has the frame. */
#include <string.h>

#include "server.h"

struct client clients[MEM_MAX_CLIENTS];

static struct {
    unsigned regions;           /* regions backed by it; 0: free */
    uint64_t pages;
} objects[MAX_OBJECTS];

static uint64_t vpn(uint64_t va) { return va / PAGE; }
static unsigned id_of(const struct client *c) { return (unsigned)(c - clients); }

/* ---- clients and regions ------------------------------------------------------------------ */

long
client_create(mica_cptr_t vspace, uint64_t quota, uint64_t *id)
{
    for (unsigned i = 1; i < MEM_MAX_CLIENTS; i++) {
        if (clients[i].used)
            continue;
        memset(&clients[i], 0, sizeof(clients[i]));
        clients[i] = (struct client){ .used = true, .vspace = vspace, .quota = quota };
        *id = i;
        return MICA_E_OK;
    }
    return MICA_E_NO_MEMORY;
}

void
client_destroy(struct client *c)
{
    while (c->nregions)
        region_unmap(c, c->region[0].start);
    tables_free(c, id_of(c));
    slot_delete(c->vspace);
    if (c->supervisor)
        slot_delete(c->supervisor);
    for (unsigned i = 1; i <= c->threads; i++)
        if (c->tcb[i])
            slot_delete(c->tcb[i]);
    memset(c, 0, sizeof(*c));
}

static struct region *
region_find(struct client *c, uint64_t va)
{
    for (unsigned i = 0; i < c->nregions; i++)
        if (va >= c->region[i].start && va < c->region[i].end)
            return &c->region[i];
    return NULL;
}

static struct region *
region_at(struct client *c, uint64_t start)
{
    struct region *r = region_find(c, start);
    return r && r->start == start ? r : NULL;
}

/* A range a new region may take: page aligned, in user space, overlapping none. */
static long
range_check(struct client *c, uint64_t va, uint64_t size)
{
    if (!size || va % PAGE || size % PAGE)
        return MICA_E_INVALID_ARG;
    if (va < MICA_USER_BASE || va > MICA_USER_TOP || size > MICA_USER_TOP - va)
        return MICA_E_RANGE;
    for (unsigned i = 0; i < c->nregions; i++)
        if (va < c->region[i].end && c->region[i].start < va + size)
            return MICA_E_SLOT_FULL;
    return c->nregions == MAX_REGIONS ? MICA_E_NO_MEMORY : MICA_E_OK;
}

static struct region *
region_add(struct client *c, uint64_t va, uint64_t size, unsigned rights, unsigned object)
{
    unsigned i = c->nregions++;
    for (; i && c->region[i - 1].start > va; i--)
        c->region[i] = c->region[i - 1];
    c->region[i] = (struct region){ va, va + size, rights, object, 0 };
    return &c->region[i];
}

long
region_map(struct client *c, uint64_t va, uint64_t size, unsigned rights)
{
    if (rights & ~(MEM_W | MEM_X | MEM_SHARED))
        return MICA_E_INVALID_ARG;
    long err = range_check(c, va, size);
    if (err)
        return err;
    unsigned object = 0;
    if (rights & MEM_SHARED) {
        for (object = 1; object < MAX_OBJECTS && objects[object].regions; object++)
            ;
        if (object == MAX_OBJECTS)
            return MICA_E_NO_MEMORY;
        objects[object].regions = 1;
        objects[object].pages = size / PAGE;
    }
    region_add(c, va, size, rights, object);
    return MICA_E_OK;
}

/* Call fn(c, e, arg) for each mapped page of c in [start, end); fn may remove e. */
static long
pages_each(struct client *c, uint64_t start, uint64_t end,
           long (*fn)(struct client *, struct entry *, void *), void *arg)
{
    unsigned id = id_of(c);
    long err = MICA_E_OK;
    if ((end - start) / PAGE <= TABLE_SIZE) {
        for (uint64_t v = vpn(start); !err && v < vpn(end); v++) {
            struct entry *e = table_find(key_of(KEY_PAGE, id, v));
            if (e)
                err = fn(c, e, arg);
        }
        return err;
    }
    uint64_t lo = key_of(KEY_PAGE, id, vpn(start)), hi = key_of(KEY_PAGE, id, vpn(end));
    for (uint32_t i = 0; !err && i < TABLE_SIZE; i++) {
        uint64_t k = table[i].key;
        if (k < lo || k >= hi)
            continue;
        err = fn(c, &table[i], arg);
        if (table[i].key != k)
            i--;                                /* removed: something may have moved in */
    }
    return err;
}

/* The page goes from c's space, and its reference to the frame. */
static long
page_drop(struct client *c, struct entry *e, void *unused)
{
    (void)unused;
    uint32_t f = e->frame;
    uint64_t slot = e->slot;
    table_remove(e);
    if (f == DEVICE_PAGE) {                     /* no memory of ours: nothing charged */
        slot_delete(slot);
        return MICA_E_OK;
    }
    frame_drop_cap(f, slot);
    frame_unref(f);
    c->pages--;
    return MICA_E_OK;
}

static void
object_release(unsigned o)
{
    if (--objects[o].regions)
        return;
    for (uint64_t i = 0; i < objects[o].pages; i++) {
        struct entry *e = table_find(key_of(KEY_OBJECT, o, i));
        if (e) {
            uint32_t f = e->frame;
            table_remove(e);
            frame_unref(f);
        }
    }
}

long
region_unmap(struct client *c, uint64_t va)
{
    struct region *r = region_at(c, va);
    if (!r)
        return MICA_E_INVALID_ARG;
    pages_each(c, r->start, r->end, page_drop, NULL);
    if (r->object)
        object_release(r->object);
    if (r->device)
        slot_delete(r->device);
    unsigned i = (unsigned)(r - c->region);
    memmove(&c->region[i], &c->region[i + 1], (--c->nregions - i) * sizeof(*r));
    return MICA_E_OK;
}

long
region_share(struct client *src, uint64_t src_va, struct client *dst, uint64_t dst_va,
             unsigned rights)
{
    struct region *r = region_at(src, src_va);
    if (!r || rights & ~(MEM_W | MEM_X | MEM_SHARED))
        return MICA_E_INVALID_ARG;
    if (!(r->rights & MEM_SHARED))
        return MICA_E_BAD_STATE;
    if (rights & ~r->rights)
        return MICA_E_NO_RIGHTS;
    long err = range_check(dst, dst_va, r->end - r->start);
    if (err)
        return err;
    objects[r->object].regions++;
    region_add(dst, dst_va, r->end - r->start, rights | MEM_SHARED, r->object);
    return MICA_E_OK;
}

/* ---- device memory ------------------------------------------------------------------------- */

/* Map slot at va of c with attrs, page tables first. */
static long
map_page(struct client *c, uint64_t va, uint64_t slot, unsigned attrs)
{
    long err = tables_ready(id_of(c), va);
    return err ? err : mica_frame_map(slot, c->vspace, va, attrs);
}


/* A region of device memory: frames issued from the block at paddr.., mapped uncached at
 * once (a driver's registers are no demand paging), charged to no quota. */
long
region_device(struct client *c, uint64_t va, uint64_t size, unsigned rights, uint64_t paddr,
              uint64_t block)
{
    long err = rights & ~MEM_W ? MICA_E_INVALID_ARG : range_check(c, va, size);
    if (!err && paddr % PAGE)
        err = MICA_E_INVALID_ARG;
    if (err) {
        slot_delete(block);
        return err;
    }
    region_add(c, va, size, rights, 0)->device = block;
    unsigned attrs = MICA_MAP_UNCACHED | (rights & MEM_W ? MICA_MAP_WRITE : 0);
    for (uint64_t off = 0; !err && off < size; off += PAGE) {
        struct entry *e = table_insert(key_of(KEY_PAGE, id_of(c), vpn(va + off)));
        uint64_t slot = e ? slot_alloc() : 0;
        if (!slot) {
            if (e)
                table_remove(e);
            err = MICA_E_NO_MEMORY;
            break;
        }
        *e = (struct entry){ e->key, (uint32_t)slot, DEVICE_PAGE, attrs };
        if ((err = mica_device_memory_issue(block, MICA_OBJ_FRAME, paddr + off, 12, MEM_SLOT_CNODE,
                                            slot)) == MICA_E_OK)
            err = map_page(c, va + off, slot, attrs);
    }
    if (err)
        region_unmap(c, va);                    /* all or nothing */
    return err;
}

/* ---- copy-on-write copies ------------------------------------------------------------------ */

static long
count_page(struct client *c, struct entry *e, void *n)
{
    (void)c, (void)e;
    ++*(uint64_t *)n;
    return MICA_E_OK;
}

struct copy {
    struct client *dst;
    uint64_t delta;             /* dst address - src address */
};

/* One page of a copy: read-only in both spaces from now on, the frame shared. */
static long
copy_page(struct client *src, struct entry *e, void *arg)
{
    struct copy *cp = arg;
    uint64_t va = (e->key & ((1UL << 40) - 1)) * PAGE, slot;
    unsigned ro = e->attrs & ~MICA_MAP_WRITE;
    long err;
    if (e->attrs & MICA_MAP_WRITE) {
        mica_frame_unmap(e->slot);
        if ((err = map_page(src, va, e->slot, ro))) {
            page_drop(src, e, NULL);            /* not mapped: it must not stay recorded */
            return err;
        }
        e->attrs = ro;
    }
    struct entry *d = table_insert(key_of(KEY_PAGE, id_of(cp->dst), vpn(va + cp->delta)));
    if (!d)
        return MICA_E_NO_MEMORY;
    if ((err = frame_mapping_cap(e->frame, &slot))) {
        table_remove(d);
        return err;
    }
    if ((err = map_page(cp->dst, va + cp->delta, slot, ro))) {
        table_remove(d);
        frame_drop_cap(e->frame, slot);
        return err;
    }
    *d = (struct entry){ d->key, (uint32_t)slot, e->frame, ro };
    frames[e->frame].refs++;
    cp->dst->pages++;
    return MICA_E_OK;
}

static long
copy_region(struct client *src, struct region *r, struct client *dst, uint64_t dst_va)
{
    if (r->device)
        return MICA_E_BAD_STATE;                /* a device has one owner: not copied */
    if (r->rights & MEM_SHARED)                 /* shared memory stays shared, as fork does */
        return region_share(src, r->start, dst, dst_va, r->rights);
    uint64_t n = 0;
    long err = range_check(dst, dst_va, r->end - r->start);
    if (err)
        return err;
    pages_each(src, r->start, r->end, count_page, &n);
    if (dst->pages + n > dst->quota)
        return E_QUOTA;
    region_add(dst, dst_va, r->end - r->start, r->rights, 0);
    struct copy cp = { dst, dst_va - r->start };
    if ((err = pages_each(src, r->start, r->end, copy_page, &cp)))
        region_unmap(dst, dst_va);              /* all or nothing */
    return err;
}

long
region_copy(struct client *src, uint64_t src_va, struct client *dst, uint64_t dst_va)
{
    if (src_va != MEM_ALL) {
        struct region *r = region_at(src, src_va);
        return r ? copy_region(src, r, dst, dst_va) : MICA_E_INVALID_ARG;
    }
    if (src == dst)
        return MICA_E_INVALID_ARG;
    for (unsigned i = 0; i < src->nregions; i++) {
        struct region *r = &src->region[i];
        if (region_find(dst, r->start) || range_check(dst, r->start, r->end - r->start) ==
                                              MICA_E_SLOT_FULL)
            return MICA_E_SLOT_FULL;
    }
    if (dst->nregions + src->nregions > MAX_REGIONS)
        return MICA_E_NO_MEMORY;
    for (unsigned i = 0; i < src->nregions; i++) {
        long err = copy_region(src, &src->region[i], dst, src->region[i].start);
        if (err)
            return err;                         /* the regions copied so far stay */
    }
    return MICA_E_OK;
}

/* ---- page faults --------------------------------------------------------------------------- */

/*
 * Resolve a page fault: make *m the reply that maps the unmapped frame capability slot at
 * page va of client c with attrs and resumes the faulting thread. This is the one place
 * where a fault is resolved.
 */
static long
fault_resolve(struct client *c, uint64_t va, uint64_t slot, unsigned attrs, struct mica_msg *m)
{
    long err = tables_ready(id_of(c), va);
    if (err)
        return err;
    /* The reply maps it (a map item, docs/ipc.md): two kernel entries per fault. The frame
     * capability is unmapped and the tables are there, so the kernel's map cannot fail. */
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    buf->caps[0] = slot;
    buf->map_attrs = attrs;
    m->info = mica_msginfo_caps(MICA_FAULT_REPLY_RESUME, 1, 0) | MICA_MSG_MAP;
    return MICA_E_OK;
}

static unsigned
attrs_for(const struct region *r, uint32_t f)
{
    unsigned a = r->rights & MEM_X ? MICA_MAP_EXEC : 0;
    if ((r->rights & MEM_W) && ((r->rights & MEM_SHARED) || frames[f].refs == 1))
        a |= MICA_MAP_WRITE;
    return a;
}

/* The frame for a shared region's page: the object's, made on first use. */
static long
object_frame(const struct region *r, uint64_t va, uint32_t *f)
{
    uint64_t key = key_of(KEY_OBJECT, r->object, (va - r->start) / PAGE);
    struct entry *e = table_find(key);
    if (e) {
        *f = e->frame;
        return MICA_E_OK;
    }
    long err = frame_new(f);
    if (err)
        return err;
    if (!(e = table_insert(key))) {
        frames[*f].refs = 1;
        frame_unref(*f);
        return MICA_E_NO_MEMORY;
    }
    e->frame = *f;
    frames[*f].refs = 1;
    return MICA_E_OK;
}

/* A page not mapped yet: demand-zero, or the shared object's page. */
static long
fault_absent(struct client *c, struct region *r, uint64_t va, struct mica_msg *m)
{
    uint32_t f;
    uint64_t slot;
    if (r->device)
        return MICA_E_BAD_STATE;                /* its pages were all mapped: one went */
    if (c->pages + 1 > c->quota)
        return E_QUOTA;
    struct entry *e = table_insert(key_of(KEY_PAGE, id_of(c), vpn(va)));
    if (!e)
        return MICA_E_NO_MEMORY;
    long err = r->object ? object_frame(r, va, &f) : frame_new(&f);
    if (!err && (err = frame_mapping_cap(f, &slot)))
        frame_unref(f);
    if (err) {
        table_remove(e);
        return err;
    }
    frames[f].refs++;
    unsigned attrs = attrs_for(r, f);
    if ((err = fault_resolve(c, va, slot, attrs, m))) {
        table_remove(e);
        frame_drop_cap(f, slot);
        frame_unref(f);
        return err;
    }
    *e = (struct entry){ e->key, (uint32_t)slot, f, attrs };
    c->pages++;
    return MICA_E_OK;
}

/* A write to a mapped, read-only page of a writable region: copy-on-write. */
static long
fault_cow(struct client *c, struct region *r, struct entry *e, uint64_t va, struct mica_msg *m)
{
    uint32_t old = e->frame, f = old;
    uint64_t slot = e->slot;
    long err;
    if (frames[old].refs > 1) {                 /* others have it: copy it */
        void *from, *to;
        if ((err = frame_new(&f)))
            return err;
        /* Unmapped first: then the old frame's anchor, if this page had it, is free to be
         * its view (one invocation, not a copy and a map). */
        frame_drop_cap(old, slot);
        if ((err = frame_view(old, &from)) || (err = frame_view(f, &to))) {
            frames[f].refs = 1;
            frame_unref(f);
            e->slot = 0;
            e->frame = old;
            page_drop(c, e, NULL);
            return err;
        }
        memcpy(to, from, PAGE);
        frame_unref(old);
        frames[f].refs = 1;
        if ((err = frame_mapping_cap(f, &slot))) {
            e->slot = 0;
            e->frame = f;
            page_drop(c, e, NULL);
            return err;
        }
        e->frame = f;
        e->slot = (uint32_t)slot;
    } else {                                    /* the last one: it may write now */
        mica_frame_unmap(slot);
    }
    unsigned attrs = attrs_for(r, f);
    if ((err = fault_resolve(c, va, slot, attrs, m))) {
        page_drop(c, e, NULL);
        return err;
    }
    e->attrs = attrs;
    return MICA_E_OK;
}

static const char *const why_text[] = {
    [MEM_WHY_NONE] = "?",
    [MEM_WHY_NO_REGION] = "outside every region",
    [MEM_WHY_RIGHTS] = "not allowed by the region",
    [MEM_WHY_QUOTA] = "quota used up",
    [MEM_WHY_NO_MEMORY] = "no memory left",
    [MEM_WHY_MAP_FAILED] = "mapping refused",
    [MEM_WHY_OTHER] = "not a page fault",
};

/* A fault the server does not resolve: the thread is suspended (resumed, it faults again),
 * the fault recorded for MEM_FAULT_INFO and the client's supervisor signalled. */
void
fault_bad(struct client *c, unsigned thread, const struct mica_msg *m, unsigned why)
{
    uint64_t label = mica_msg_label(m->info), flags = m->mr[3];
    bool again = c->last.count && c->last.thread == thread && c->last.addr == m->mr[1] &&
                 c->last.ip == m->mr[0];
    c->last = (struct mem_fault_info){ thread, m->mr[1], m->mr[0],
                                       why == MEM_WHY_OTHER ? label : flags, why,
                                       c->last.count + 1 };
    bool held = thread && c->tcb[thread] && !mica_tcb_suspend(c->tcb[thread]);
    if (!again || held)
        mica_printf("mem: client %u thread %u: %s at %#lx, ip %#lx: %s; %s\n", id_of(c), thread,
                    why == MEM_WHY_OTHER ? "fault"
                    : flags & MICA_FAULT_FLAG_EXEC  ? "fetch"
                    : flags & MICA_FAULT_FLAG_WRITE ? "write" : "read",
                    (unsigned long)m->mr[1], (unsigned long)m->mr[0], why_text[why],
                    held ? "thread suspended" : "thread not attached: it faults again");
    if (c->supervisor)
        mica_signal(c->supervisor);
}

static unsigned
why_of(long err)
{
    return err == E_QUOTA ? MEM_WHY_QUOTA : err == MICA_E_NO_MEMORY ? MEM_WHY_NO_MEMORY
                                                                    : MEM_WHY_MAP_FAILED;
}

bool
fault_page(uint64_t badge, struct mica_msg *m)
{
    struct client *c = &clients[badge >> MEM_THREAD_BITS];
    unsigned thread = badge & ((1u << MEM_THREAD_BITS) - 1);
    uint64_t va = m->mr[1] & ~PAGE_MASK, flags = m->mr[3];
    struct region *r = region_find(c, va);
    unsigned why = !r ? MEM_WHY_NO_REGION
                 : ((flags & MICA_FAULT_FLAG_WRITE) && !(r->rights & MEM_W)) ||
                   ((flags & MICA_FAULT_FLAG_EXEC) && !(r->rights & MEM_X)) ? MEM_WHY_RIGHTS
                 : MEM_WHY_NONE;
    long err = MICA_E_OK;
    if (!why) {
        struct entry *e = table_find(key_of(KEY_PAGE, id_of(c), vpn(va)));
        if (!e)
            err = fault_absent(c, r, va, m);
        else if ((flags & MICA_FAULT_FLAG_WRITE) && !(e->attrs & MICA_MAP_WRITE))
            err = fault_cow(c, r, e, va, m);
        else                    /* mapped while the fault was queued (another thread's) */
            m->info = mica_msginfo(MICA_FAULT_REPLY_RESUME, 0);
        why = err ? why_of(err) : MEM_WHY_NONE;
    }
    if (why)
        fault_bad(c, thread, m, why);
    return !why;
}
