// SPDX-License-Identifier: MIT
/*
 * Kernel invariants, checked as a whole after every kernel entry when `checkinvariants` is
 * on the command line of a debug kernel (the fuzzer's boots; STYLE.md, "Asserts and
 * invariants"). A violated invariant is a kernel bug: it panics with the invariant's name.
 *
 * The kernel keeps no list of its objects, so the check finds them the way user space
 * reaches them: from the current thread, the ready queues, the timeout list and the root
 * task's CNode, through every capability in every CNode found, breadth first. A CNode is
 * marked visited in its header (slot 0, which never holds a capability: cap.extra is the
 * check's epoch), a thread in its check_epoch. Objects that nothing reaches (a CNode that
 * holds the only capability to itself) are not checked; they cannot be used either.
 *
 * What is checked:
 * - the derivation tree around every slot (cte_check), page tables have one capability,
 *   and the capabilities to one object form one subtree (else deleting one of two roots
 *   would destroy an object the other still names: Mica's "reference count");
 * - objects under an untyped capability lie inside the memory it has handed out;
 * - threads: ready iff runnable (and not running), queued at their own priority, each
 *   blocked state matching the queue or partner it waits for, deadlines on the timeout
 *   list, bindings both ways, cached IPC buffer translations current;
 * - endpoint and notification queues well formed, the ready queues (rq_check), the timeout
 *   list sorted;
 * - page tables: every page table and page in untyped memory that a live address space
 *   uses is recorded by the capability that mapped it (so it is live: a deleted or revoked
 *   capability unmaps first), a page table sits in one place only, and all address spaces
 *   share the kernel half.
 */
#include "invariants.h"
#include "ipc.h"
#include "object.h"
#include "percpu.h"
#include "root.h"
#include "vspace.h"

#include <mica/bootinfo.h>

#define MAX_CNODES      4096
#define MAX_SPACES      1024
#define MAX_QUEUE       100000      /* longer queues are taken for cycles */
#define ASID_MASK       (PAGE_SIZE - 1)     /* vspace.c: a mapping record is vaddr | ASID */

bool invariants_enabled;

static uint64_t epoch;
static struct cte *cnodes[MAX_CNODES];      /* found, in the order they are scanned */
static unsigned ncnodes;
static struct space {
    paddr_t root;
    unsigned asid;
} spaces[MAX_SPACES];
static unsigned nspaces;
static bool incomplete;                     /* a table overflowed: skip whole-set checks */

/*
 * Facts gathered while walking, in an open-addressing hash table whose entries count only
 * if they carry this check's epoch (so it is never cleared): the root capability of each
 * object, and the mapping each frame and page-table capability records.
 */
#define HASH_BITS       14
#define HASH_SIZE       (1u << HASH_BITS)
#define KEY_ROOT        (3UL << 62)         /* | type << 56 | size_bits << 48 | object */
#define KEY_FRAME       (1UL << 62)         /* | vaddr | ASID: the frame it maps there */
#define KEY_TABLE       (2UL << 62)         /* | ASID << 48 | table: the vaddr it serves */
static struct fact {
    uint64_t key, epoch, value;
    bool used;
} facts[HASH_SIZE];
static unsigned nfacts;

static unsigned
fact_hash(uint64_t key)
{
    return (unsigned)((key * 0x9e3779b97f4a7c15u) >> (64 - HASH_BITS));
}

static struct fact *
fact_add(uint64_t key, uint64_t value)
{
    if (nfacts >= HASH_SIZE / 2) {          /* keep probes short */
        incomplete = true;
        return NULL;
    }
    unsigned i = fact_hash(key);
    while (facts[i].epoch == epoch)
        i = (i + 1) % HASH_SIZE;
    nfacts++;
    facts[i] = (struct fact){ key, epoch, value, false };
    return &facts[i];
}

/* The next fact with key after *i (start with *i = fact_hash(key)), or NULL. */
static struct fact *
fact_next(uint64_t key, unsigned *i)
{
    for (; facts[*i].epoch == epoch; *i = (*i + 1) % HASH_SIZE)
        if (facts[*i].key == key)
            return &facts[(*i)++ % HASH_SIZE];
    return NULL;
}

static noreturn void
violated(const char *what, const void *where)
{
    panic("invariant violated: %s (at %p, after %lu checks)", what, where, epoch);
}

#define CHECK(cond, what, where)                \
    do {                                        \
        if (unlikely(!(cond)))                  \
            violated(what, where);              \
    } while (0)

/* ---- reaching objects -------------------------------------------------------------- */

static bool
same_object(const struct cap *a, const struct cap *b)
{
    return a->type == b->type && a->obj == b->obj && a->size_bits == b->size_bits;
}

static void visit_slot(const struct cte *slot);

static void
visit_cnode(const struct cap *cap)
{
    struct cte *cnode = phys_to_virt(cap->obj);
    if (cnode[0].cap.extra == epoch)
        return;
    cnode[0].cap.extra = epoch;
    CHECK(cnode[0].cap.size_bits == cap->size_bits && cnode[0].cap.type == MICA_OBJ_NULL,
          "CNode header disagrees with its capability", cnode);
    if (ncnodes == MAX_CNODES)
        incomplete = true;
    else
        cnodes[ncnodes++] = cnode;
}

static bool
tq_holds(const struct tcb_queue *q, const struct tcb *t)
{
    unsigned n = 0;
    for (const struct tcb *w = q->head; w && n < MAX_QUEUE; w = w->ipc_next, n++)
        if (w == t)
            return true;
    return false;
}

static void
check_thread(struct tcb *t)
{
    struct percpu *cpu = this_cpu();
    bool blocked = t->state >= THREAD_BLOCKED_SEND;

    CHECK(t->state <= THREAD_BLOCKED_NTFN, "thread in an unknown state", t);
    CHECK(!t->rq.queued || (t->state == THREAD_RUNNABLE && t != cpu->current),
          "thread on a ready queue is blocked, stopped or running", t);
    CHECK(t->state != THREAD_RUNNABLE || t == cpu->current || t->rq.queued,
          "runnable thread on no ready queue", t);
    CHECK(blocked || (!t->blocked_on && !t->ipc_next && !t->ipc_prev && !t->deadline &&
                      !t->replier),
          "thread that waits for nothing is still linked to a wait", t);
    switch (t->state) {
    case THREAD_BLOCKED_SEND:
    case THREAD_BLOCKED_RECV: {
        const struct endpoint *ep = t->blocked_on;
        CHECK(ep, "thread blocked on an endpoint names none", t);
        CHECK(ep->state == (t->state == THREAD_BLOCKED_SEND ? EP_SEND : EP_RECV),
              "endpoint state disagrees with a thread queued on it", t);
        CHECK(tq_holds(&ep->queue, t), "blocked thread missing from its endpoint's queue", t);
        break;
    }
    case THREAD_BLOCKED_NTFN:
        CHECK(t->blocked_on && tq_holds(&((struct notification *)t->blocked_on)->waiters, t),
              "waiting thread missing from its notification's queue", t);
        break;
    case THREAD_BLOCKED_REPLY:
        CHECK(!t->blocked_on && t->replier && t->replier->reply_to == t,
              "caller waits for a reply nobody owes it", t);
        break;
    default:
        break;
    }
    CHECK(!t->reply_to || (t->reply_to->state == THREAD_BLOCKED_REPLY &&
                           t->reply_to->replier == t),
          "reply owed to a thread that does not wait for it", t);
    if (t->deadline)
        CHECK(blocked && (t->timeout_prev ? t->timeout_prev->timeout_next == t
                                          : cpu->timeouts == t),
              "thread with a deadline missing from the timeout list", t);
    else
        CHECK(!t->timeout_next && !t->timeout_prev && cpu->timeouts != t,
              "thread without a deadline on the timeout list", t);
    CHECK(!t->bound || t->bound->bound == t, "thread and notification disagree on binding", t);
    CHECK(!t->fault_pending || t->state == THREAD_BLOCKED_SEND ||
              t->state == THREAD_BLOCKED_REPLY,
          "fault message pending outside a fault IPC", t);
    CHECK((t->ctable.cap.type == MICA_OBJ_NULL || t->ctable.cap.type == MICA_OBJ_CNODE) &&
              (t->vtable.cap.type == MICA_OBJ_NULL || thread_has_vspace(t)) &&
              (t->fault_ep.cap.type == MICA_OBJ_NULL ||
               t->fault_ep.cap.type == MICA_OBJ_ENDPOINT),
          "thread's CSpace, VSpace or fault endpoint slot holds the wrong type", t);
    if (thread_has_vspace(t)) {
        CHECK(t->space == arch_space_of(t->vtable.cap.obj, (unsigned)t->vtable.cap.badge),
              "thread's loaded address space is not its VSpace", t);
        if (t->ipc_gen == vspace_generation) {
            paddr_t pa = arch_user_page(t->vtable.cap.obj, t->ipc_buffer, PTE_P | PTE_U | PTE_W);
            CHECK(pa && phys_to_virt(pa) == t->ipc_kva,
                  "cached IPC buffer translation is stale", t);
        }
    }
}

static void
visit_thread(struct tcb *t)
{
    if (t->check_epoch == epoch)
        return;
    t->check_epoch = epoch;
    check_thread(t);
    visit_slot(&t->ctable);
    visit_slot(&t->vtable);
    visit_slot(&t->fault_ep);
}

/* A queue of waiters: linked both ways, all waiting in state on obj; visits them. */
static void
check_queue(const struct tcb_queue *q, const void *obj, enum thread_state state)
{
    const struct tcb *prev = NULL;
    unsigned n = 0;
    for (struct tcb *t = q->head; t; prev = t, t = t->ipc_next) {
        CHECK(++n < MAX_QUEUE, "wait queue loops", obj);
        CHECK(t->ipc_prev == prev, "wait queue links disagree", t);
        CHECK(t->blocked_on == obj && t->state == state,
              "thread in a wait queue does not wait there", t);
        visit_thread(t);
    }
    CHECK(q->tail == prev, "wait queue tail is not its last thread", obj);
}

static void
check_endpoint(const struct endpoint *ep)
{
    CHECK(ep->state <= EP_RECV && (ep->state == EP_IDLE) == !ep->queue.head,
          "endpoint state disagrees with its queue", ep);
    check_queue(&ep->queue, ep, ep->state == EP_SEND ? THREAD_BLOCKED_SEND : THREAD_BLOCKED_RECV);
}

static void
check_notification(const struct notification *n)
{
    CHECK(!n->word || !n->waiters.head, "signalled notification has waiters", n);
    CHECK(!n->bound || n->bound->bound == n, "notification and thread disagree on binding", n);
    check_queue(&n->waiters, n, THREAD_BLOCKED_NTFN);
}

/* Objects made from an untyped capability lie in the part of it retype has handed out. */
static void
check_untyped(const struct cte *ut)
{
    paddr_t base = ut->cap.obj;
    unsigned n = 0;
    for (const struct cte *c = ut->first_child; c; c = c->next) {
        CHECK(++n < MAX_QUEUE, "untyped capability's children loop", ut);
        int bits = object_size_bits(c->cap.type, c->cap.size_bits);
        CHECK(bits >= 0, "untyped capability's child is no object retype makes", c);
        CHECK(c->cap.obj >= base && c->cap.obj - base <= ut->cap.extra &&
                  ut->cap.extra - (c->cap.obj - base) >= 1UL << bits,
              "object outside the memory its untyped capability handed out", c);
    }
    CHECK(ut->cap.extra <= 1UL << ut->cap.size_bits, "untyped watermark past its end", ut);
}

static void
visit_slot(const struct cte *slot)
{
    const char *broken = cte_check(slot);
    if (broken)
        violated(broken, slot);
    const struct cap *cap = &slot->cap;
    if (cap->type == MICA_OBJ_NULL)
        return;
    CHECK(cap->type < MICA_OBJ_TYPE_COUNT && !(cap->rights & ~MICA_RIGHTS_ALL),
          "capability of an unknown type or with unknown rights", slot);
    /* The capabilities to one object form one subtree: one of them has no parent naming
     * the same object. (Two roots: deleting one would destroy what the other names.)
     * Device frames name no kernel memory: a device page may be issued more than once. */
    if ((!slot->parent || !same_object(&slot->parent->cap, cap)) && !(cap->flags & CAP_DEVICE)) {
        uint64_t key = KEY_ROOT | (uint64_t)cap->type << 56 | (uint64_t)cap->size_bits << 48 |
                       cap->obj;
        unsigned i = fact_hash(key);
        CHECK(!fact_next(key, &i), "two capability trees for one object", slot);
        fact_add(key, 0);
    }
    switch (cap->type) {
    case MICA_OBJ_UNTYPED:
        check_untyped(slot);
        break;
    case MICA_OBJ_CNODE:
        visit_cnode(cap);
        break;
    case MICA_OBJ_TCB:
        visit_thread(phys_to_virt(cap->obj));
        break;
    case MICA_OBJ_ENDPOINT:
        check_endpoint(phys_to_virt(cap->obj));
        break;
    case MICA_OBJ_NOTIFICATION:
        check_notification(phys_to_virt(cap->obj));
        break;
    case MICA_OBJ_VSPACE:
        CHECK(cap->badge && cap->badge < ASID_COUNT, "address space without an ASID", slot);
        if (nspaces == MAX_SPACES)
            incomplete = true;
        else if (!nspaces || spaces[nspaces - 1].root != cap->obj)     /* most repeats are */
            spaces[nspaces++] = (struct space){ cap->obj, (unsigned)cap->badge };  /* adjacent */
        break;
    case MICA_OBJ_PAGE_TABLE:
        CHECK(!slot->first_child, "page table with more than one capability", slot);
        if (cap->extra)
            fact_add(KEY_TABLE | (cap->extra & ASID_MASK) << 48 | cap->obj,
                     cap->extra & ~(uint64_t)ASID_MASK);
        break;
    case MICA_OBJ_FRAME:
        if (cap->extra)
            fact_add(KEY_FRAME | cap->extra, cap->obj);
        break;
    default:
        break;
    }
}

/* ---- the scheduler's structures ------------------------------------------------------ */

#define rq_tcb(link)    ((struct tcb *)((char *)(link) - offsetof(struct tcb, rq)))

static void
check_scheduler(struct percpu *cpu)
{
    const char *broken = rq_check(&cpu->rq);
    if (broken)
        violated(broken, &cpu->rq);
    for (unsigned p = 0; p < RQ_PRIOS; p++) {
        for (struct rq_link *l = cpu->rq.head[p]; l; l = l->next) {
            struct tcb *t = rq_tcb(l);
            CHECK(t->prio == p, "thread queued at a priority not its own", t);
            visit_thread(t);
        }
    }
    if (cpu->current) {
        CHECK(cpu->current->state == THREAD_RUNNABLE && thread_has_vspace(cpu->current),
              "running thread is not runnable", cpu->current);
        visit_thread(cpu->current);
    }
    const struct tcb *prev = NULL;
    unsigned n = 0;
    for (struct tcb *t = cpu->timeouts; t; prev = t, t = t->timeout_next) {
        CHECK(++n < MAX_QUEUE, "timeout list loops", t);
        CHECK(t->timeout_prev == prev && t->deadline &&
                  (!prev || prev->deadline <= t->deadline),
              "timeout list unsorted or its links disagree", t);
        visit_thread(t);
    }
}

/* ---- whole-set checks ------------------------------------------------------------------ */

struct walk {
    const struct space *space;
};

/* A present entry of a live address space: if it names untyped memory, the capability
 * that made it must record it (its memory cannot be reused while that capability lives). */
static void
check_entry(void *ctx, unsigned span_bits, vaddr_t va, paddr_t pa, bool leaf)
{
    const struct space *s = ((struct walk *)ctx)->space;
    if (!root_untyped_memory(pa))
        return;                                 /* the kernel's: boot tasks' pages, tables */
    struct fact *f;
    if (leaf) {
        uint64_t key = KEY_FRAME | va | s->asid;
        for (unsigned i = fact_hash(key); (f = fact_next(key, &i));)
            if (f->value == pa)
                return;
        violated("page mapped without the frame capability that maps it", (void *)va);
    }
    uint64_t key = KEY_TABLE | (uint64_t)s->asid << 48 | pa;
    for (unsigned i = fact_hash(key); (f = fact_next(key, &i));) {
        if (f->value >> span_bits == va >> span_bits) {
            CHECK(!f->used, "page table mapped in two places", phys_to_virt(pa));
            f->used = true;
            return;
        }
    }
    violated("page table in use without its capability", (void *)va);
}

static void
check_address_spaces(void)
{
    for (unsigned i = 0; i < nspaces; i++) {
        struct space *s = &spaces[i];
        bool seen = false;
        for (unsigned j = 0; j < i && !seen; j++)
            seen = spaces[j].root == s->root;
        if (seen)
            continue;
        CHECK(arch_vspace_same_kernel(s->root, spaces[0].root),
              "address space with another kernel half", phys_to_virt(s->root));
        struct walk w = { s };
        arch_vspace_walk(s->root, check_entry, &w);
    }
}

void
invariants_check(void)
{
    struct percpu *cpu = this_cpu();
    epoch++;
    ncnodes = nspaces = nfacts = 0;
    incomplete = false;

    check_scheduler(cpu);
    struct cte *root = root_cnode();
    if (root)       /* even if the root task deleted its capabilities to it */
        visit_cnode(&(struct cap){ .type = MICA_OBJ_CNODE, .obj = virt_to_phys(root),
                                   .size_bits = root[0].cap.size_bits });
    for (unsigned i = 0; i < ncnodes; i++) {        /* visiting may append more */
        uint64_t n = 1UL << cnodes[i][0].cap.size_bits;
        for (uint64_t s = 1; s < n; s++) {
            const struct cte *slot = &cnodes[i][s];
            if (slot->cap.type || slot->parent || slot->first_child || slot->next || slot->prev)
                visit_slot(slot);               /* (an empty one with links fails there) */
        }
    }
    if (!incomplete)
        check_address_spaces();
    else if (epoch % 1024 == 1)
        kprintf("mica: invariants: too many objects, some checks are skipped\n");
}

void
invariants_selftest(void)
{
    struct cte *root = root_cnode();
    kprintf("mica: selftest invariant: unlinking a capability from its parent\n");
    if (root && root[MICA_SLOT_CNODE].first_child)
        root[MICA_SLOT_CNODE].first_child = NULL;   /* the root thread's copy is orphaned */
    invariants_check();
    kprintf("mica: selftest invariant: nothing found\n");
}
