// SPDX-License-Identifier: MIT
/* The memory server's library: starting the server from its boot module (the root task),
 * the administrator's calls, and the clients' calls (protocol: lib/mem.h). */
#include <string.h>

#include "mem.h"

#define CNODE   MICA_SLOT_CNODE

long
mem_rpc(mica_cptr_t ep, uint64_t label, unsigned n, uint64_t mr[MEM_MAX_WORDS], unsigned ncaps,
        const mica_cptr_t *caps)
{
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    struct mica_msg m = { .info = mica_msginfo_caps(label, ncaps, n) };
    if (n > MEM_MAX_WORDS || ncaps > MICA_MSG_MAX_CAPS || ((n > MICA_MSG_REG_WORDS || ncaps) && !buf))
        return MICA_E_INVALID_ARG;
    for (unsigned i = 0; i < n; i++) {
        if (i < MICA_MSG_REG_WORDS)
            m.mr[i] = mr[i];
        else
            buf->mr[i] = mr[i];
    }
    for (unsigned i = 0; i < ncaps; i++)
        buf->caps[i] = caps[i];
    long err = mica_call(ep, &m, MICA_TIMEOUT_FOREVER);
    if (err)
        return err;
    unsigned len = mica_msg_length(m.info);
    for (unsigned i = 0; i < len && i < MEM_MAX_WORDS; i++)
        mr[i] = i < MICA_MSG_REG_WORDS ? m.mr[i] : buf->mr[i];
    return (long)mica_msg_label(m.info);
}

/* ---- starting the server ---------------------------------------------------------------- */

long
mem_server_start(const struct mem_server_cfg *cfg, mica_cptr_t untyped, mica_cptr_t *ep)
{
    const struct mica_bootinfo *bi = mica_bootinfo;
    if (!bi || cfg->module >= bi->module_count || !bi->module[cfg->module].tcb ||
        cfg->cnode_bits < 8 || cfg->cnode_bits > MICA_CNODE_MAX_BITS)
        return MICA_E_INVALID_ARG;
    const struct mica_boot_module *m = &bi->module[cfg->module];
    mica_cptr_t given = cfg->slot(), cn = cfg->slot(), e = cfg->slot();
    uint64_t next = MEM_SLOT_UNTYPED;
    long err;

    /* Its memory first, while the untyped region is fresh: a large object is aligned to
     * its size, so anything retyped before it would waste up to that much. */
    if ((err = mica_untyped_retype(cfg->give, MICA_OBJ_UNTYPED, cfg->give_bits, CNODE, given, 1)) ||
        (err = mica_untyped_retype(untyped, MICA_OBJ_CNODE, cfg->cnode_bits, CNODE, cn, 1)) ||
        (err = mica_untyped_retype(untyped, MICA_OBJ_ENDPOINT, 0, CNODE, e, 1)) ||
        (err = mica_cnode_copy(cn, MEM_SLOT_TCB, CNODE, m->tcb, MICA_RIGHTS_ALL)) ||
        (err = mica_cnode_copy(cn, MEM_SLOT_CNODE, CNODE, cn, MICA_RIGHTS_ALL)) ||
        (err = mica_cnode_copy(cn, MEM_SLOT_VSPACE, CNODE, m->vspace, MICA_RIGHTS_ALL)) ||
        (err = mica_cnode_copy(cn, MEM_SLOT_EP, CNODE, e, MICA_RIGHT_READ)) ||
        (err = mica_cnode_move(cn, next++, CNODE, given)))
        return err;
    for (uint64_t i = 0; cfg->give_others && i < bi->untyped_count; i++) {
        struct mica_cap_info info;
        mica_cptr_t s = bi->first_untyped + i;
        if (s == untyped || s == cfg->give || mica_cnode_identify(CNODE, s, &info) || info.type != MICA_OBJ_UNTYPED)
            continue;
        if (next == MEM_SLOT_FIRST_FREE || mica_cnode_move(cn, next, CNODE, s))
            break;
        next++;
    }
    if ((err = mica_tcb_configure(m->tcb, cn, m->vspace, 0, 0)) ||
        (err = mica_tcb_set_priority(m->tcb, cfg->prio)) || (err = mica_tcb_resume(m->tcb)))
        return err;
    *ep = e;
    return MICA_E_OK;
}

/* ---- the administrator ------------------------------------------------------------------ */

long
mem_client_create(mica_cptr_t ep, mica_cptr_t vspace, uint64_t quota, uint64_t *client)
{
    uint64_t mr[MEM_MAX_WORDS] = { quota };
    long err = mem_rpc(ep, MEM_CLIENT_CREATE, 1, mr, 1, &vspace);
    *client = err ? 0 : mr[0];
    return err;
}

long
mem_client_thread(mica_cptr_t ep, uint64_t client, mica_cptr_t tcb, uint64_t *badge)
{
    uint64_t mr[MEM_MAX_WORDS] = { client };
    long err = mem_rpc(ep, MEM_CLIENT_THREAD, 1, mr, 1, &tcb);
    *badge = err ? 0 : mr[0];
    return err;
}

long
mem_client_supervisor(mica_cptr_t ep, uint64_t client, mica_cptr_t ntfn)
{
    uint64_t mr[MEM_MAX_WORDS] = { client };
    return mem_rpc(ep, MEM_CLIENT_SUPERVISOR, 1, mr, 1, &ntfn);
}

long
mem_client_quota(mica_cptr_t ep, uint64_t client, uint64_t quota)
{
    uint64_t mr[MEM_MAX_WORDS] = { client, quota };
    return mem_rpc(ep, MEM_CLIENT_QUOTA, 2, mr, 0, NULL);
}

long
mem_client_destroy(mica_cptr_t ep, uint64_t client)
{
    uint64_t mr[MEM_MAX_WORDS] = { client };
    return mem_rpc(ep, MEM_CLIENT_DESTROY, 1, mr, 0, NULL);
}

long
mem_share(mica_cptr_t ep, uint64_t src, uint64_t src_va, uint64_t dst, uint64_t dst_va,
          unsigned rights)
{
    uint64_t mr[MEM_MAX_WORDS] = { src, src_va, dst, dst_va, rights };
    return mem_rpc(ep, MEM_SHARE, 5, mr, 0, NULL);
}

long
mem_copy(mica_cptr_t ep, uint64_t src, uint64_t src_va, uint64_t dst, uint64_t dst_va)
{
    uint64_t mr[MEM_MAX_WORDS] = { src, src_va, dst, dst_va };
    return mem_rpc(ep, MEM_COPY, 4, mr, 0, NULL);
}

void *
mem_alloc(mica_cptr_t ep, size_t size)
{
    static uint64_t next = MEM_HEAP_BASE;      /* regions go up, a guard page apart */
    uint64_t bytes = (size + 4095) & ~4095UL;
    if (!bytes || bytes > (1UL << 40) || mem_map(ep, next, bytes, MEM_W))
        return NULL;
    void *p = (void *)next;
    next += bytes + 4096;
    return p;
}

long
mem_free(mica_cptr_t ep, void *p)
{
    return mem_unmap(ep, (uint64_t)p);
}

long
mem_device(mica_cptr_t ep, uint64_t client, uint64_t vaddr, uint64_t size, unsigned rights,
           uint64_t paddr, mica_cptr_t block)
{
    uint64_t mr[MEM_MAX_WORDS] = { client, vaddr, size, rights, paddr };
    return mem_rpc(ep, MEM_DEVICE, 5, mr, 1, &block);
}

long
mem_fault_info(mica_cptr_t ep, uint64_t client, struct mem_fault_info *out)
{
    uint64_t mr[MEM_MAX_WORDS] = { client };
    long err = mem_rpc(ep, MEM_FAULT_INFO, 1, mr, 0, NULL);
    *out = err ? (struct mem_fault_info){ 0 }
               : (struct mem_fault_info){ mr[0], mr[1], mr[2], mr[3], mr[4], mr[5] };
    return err;
}

long
mem_client_attach(mica_cptr_t ep, uint64_t client, mica_cptr_t tcb, mica_cptr_t cspace,
                  mica_cptr_t vspace, uint64_t ipc_buffer, uint64_t slot)
{
    uint64_t badge;
    long err = mem_client_thread(ep, client, tcb, &badge);
    if (!err)
        err = mica_cnode_mint(CNODE, slot, CNODE, ep, MICA_RIGHT_WRITE, badge);
    if (!err)
        err = mica_tcb_configure(tcb, cspace, vspace, ipc_buffer, slot);
    return err;
}

long
mem_client_give(mica_cptr_t ep, uint64_t client, mica_cptr_t cnode, uint64_t slot)
{
    return mica_cnode_mint(cnode, slot, CNODE, ep, MICA_RIGHT_WRITE, mem_badge(client, 0));
}

/* ---- clients ------------------------------------------------------------------------------ */

long
mem_map(mica_cptr_t ep, uint64_t vaddr, uint64_t size, unsigned rights)
{
    uint64_t mr[MEM_MAX_WORDS] = { vaddr, size, rights };
    return mem_rpc(ep, MEM_MAP, 3, mr, 0, NULL);
}

long
mem_unmap(mica_cptr_t ep, uint64_t vaddr)
{
    uint64_t mr[MEM_MAX_WORDS] = { vaddr };
    return mem_rpc(ep, MEM_UNMAP, 1, mr, 0, NULL);
}

long
mem_usage(mica_cptr_t ep, struct mem_usage *out)
{
    uint64_t mr[MEM_MAX_WORDS] = { 0 };
    long err = mem_rpc(ep, MEM_USAGE, 0, mr, 0, NULL);
    *out = err ? (struct mem_usage){ 0 } : (struct mem_usage){ mr[0], mr[1], mr[2], mr[3] };
    return err;
}
