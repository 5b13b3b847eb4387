// SPDX-License-Identifier: MIT
/* Invocation stubs: the message registers past the first four go through the IPC buffer. */
#include <string.h>

#include "mica.h"

long
mica_invoke(mica_cptr_t cap, uint64_t label, unsigned len, uint64_t mr[], unsigned *reply_len)
{
    struct mica_ipc_buffer *ipc_buffer = mica_ipc_buffer();
    uint64_t regs[MICA_MSG_REG_WORDS] = { 0 };
    if (len > MICA_MSG_REG_WORDS && ipc_buffer)
        memcpy(&ipc_buffer->mr[MICA_MSG_REG_WORDS], &mr[MICA_MSG_REG_WORDS],
               (len - MICA_MSG_REG_WORDS) * sizeof(uint64_t));
    memcpy(regs, mr, (len < MICA_MSG_REG_WORDS ? len : MICA_MSG_REG_WORDS) * sizeof(uint64_t));
    struct mica_msg m = { .info = mica_msginfo(label, len) };
    memcpy(m.mr, regs, sizeof(regs));
    long err = mica_call(cap, &m, MICA_TIMEOUT_FOREVER);
    unsigned n = err ? 0 : mica_msg_length(m.info);
    memcpy(mr, m.mr, sizeof(regs));
    if (n > MICA_MSG_REG_WORDS && ipc_buffer)
        memcpy(&mr[MICA_MSG_REG_WORDS], &ipc_buffer->mr[MICA_MSG_REG_WORDS],
               (n - MICA_MSG_REG_WORDS) * sizeof(uint64_t));
    if (reply_len)
        *reply_len = n;
    return err;
}

#define INVOKE(cap, label, ...)                                                     \
    ({                                                                              \
        uint64_t mr_[MICA_MSG_MAX_WORDS] = { __VA_ARGS__ };                         \
        mica_invoke(cap, label, sizeof((uint64_t[]){ __VA_ARGS__ }) / 8, mr_, NULL); \
    })

long
mica_cnode_copy(mica_cptr_t cnode, uint64_t dest, mica_cptr_t src_cnode, uint64_t src,
                unsigned rights)
{
    return INVOKE(cnode, MICA_CNODE_COPY, dest, src_cnode, src, rights);
}

long
mica_cnode_mint(mica_cptr_t cnode, uint64_t dest, mica_cptr_t src_cnode, uint64_t src,
                unsigned rights, uint64_t badge)
{
    return INVOKE(cnode, MICA_CNODE_MINT, dest, src_cnode, src, rights, badge);
}

long
mica_cnode_move(mica_cptr_t cnode, uint64_t dest, mica_cptr_t src_cnode, uint64_t src)
{
    return INVOKE(cnode, MICA_CNODE_MOVE, dest, src_cnode, src);
}

long
mica_cnode_delete(mica_cptr_t cnode, uint64_t slot)
{
    return INVOKE(cnode, MICA_CNODE_DELETE, slot);
}

long
mica_cnode_revoke(mica_cptr_t cnode, uint64_t slot)
{
    return INVOKE(cnode, MICA_CNODE_REVOKE, slot);
}

long
mica_cnode_identify(mica_cptr_t cnode, uint64_t slot, struct mica_cap_info *out)
{
    uint64_t mr[MICA_MSG_MAX_WORDS] = { slot };
    long err = mica_invoke(cnode, MICA_CNODE_IDENTIFY, 1, mr, NULL);
    *out = (struct mica_cap_info){ mr[0], mr[1], mr[2], mr[3] };
    return err;
}

long
mica_untyped_retype(mica_cptr_t untyped, unsigned type, unsigned size_bits,
                    mica_cptr_t dest_cnode, uint64_t dest, uint64_t count)
{
    return INVOKE(untyped, MICA_UNTYPED_RETYPE, type, size_bits, dest_cnode, dest, count);
}

long
mica_tcb_configure(mica_cptr_t tcb, mica_cptr_t cspace, mica_cptr_t vspace,
                   uint64_t ipc_buffer_addr, mica_cptr_t fault_ep)
{
    return INVOKE(tcb, MICA_TCB_CONFIGURE, cspace, vspace, ipc_buffer_addr, fault_ep);
}

long
mica_tcb_read_regs(mica_cptr_t tcb, uint64_t regs[MICA_REG_COUNT])
{
    uint64_t mr[MICA_MSG_MAX_WORDS];
    long err = mica_invoke(tcb, MICA_TCB_READ_REGS, 0, mr, NULL);
    memcpy(regs, mr, MICA_REG_COUNT * sizeof(uint64_t));
    return err;
}

long
mica_tcb_write_regs(mica_cptr_t tcb, const uint64_t regs[MICA_REG_COUNT])
{
    uint64_t mr[MICA_MSG_MAX_WORDS];
    memcpy(mr, regs, MICA_REG_COUNT * sizeof(uint64_t));
    return mica_invoke(tcb, MICA_TCB_WRITE_REGS, MICA_REG_COUNT, mr, NULL);
}

long mica_tcb_suspend(mica_cptr_t tcb) { return INVOKE(tcb, MICA_TCB_SUSPEND); }
long mica_tcb_resume(mica_cptr_t tcb) { return INVOKE(tcb, MICA_TCB_RESUME); }

long
mica_tcb_set_priority(mica_cptr_t tcb, uint64_t prio)
{
    return INVOKE(tcb, MICA_TCB_SET_PRIORITY, prio);
}

long
mica_tcb_set_mcp(mica_cptr_t tcb, uint64_t mcp)
{
    return INVOKE(tcb, MICA_TCB_SET_MCP, mcp);
}

long
mica_tcb_set_tls_base(mica_cptr_t tcb, uint64_t base)
{
    return INVOKE(tcb, MICA_TCB_SET_TLS_BASE, base);
}

long
mica_tcb_set_ipc_buffer(mica_cptr_t tcb, uint64_t addr)
{
    return INVOKE(tcb, MICA_TCB_SET_IPC_BUFFER, addr);
}

long
mica_tcb_bind_notification(mica_cptr_t tcb, mica_cptr_t ntfn)
{
    return INVOKE(tcb, MICA_TCB_BIND_NOTIFICATION, ntfn);
}

long
mica_tcb_set_name(mica_cptr_t tcb, const char *name)
{
    uint64_t mr[MICA_MSG_MAX_WORDS] = { 0 };
    size_t n = strlen(name);
    memcpy(mr, name, n < 31 ? n : 31);
    return mica_invoke(tcb, MICA_TCB_SET_NAME, 4, mr, NULL);
}

long
mica_tcb_set_flags(mica_cptr_t tcb, uint64_t flags)
{
    return INVOKE(tcb, MICA_TCB_SET_FLAGS, flags);
}

long
mica_frame_map(mica_cptr_t frame, mica_cptr_t vspace, uint64_t vaddr, unsigned attrs)
{
    return INVOKE(frame, MICA_FRAME_MAP, vspace, vaddr, attrs);
}

long mica_frame_unmap(mica_cptr_t frame) { return INVOKE(frame, MICA_FRAME_UNMAP); }

long
mica_frame_address(mica_cptr_t frame, uint64_t *paddr)
{
    uint64_t mr[MICA_MSG_MAX_WORDS] = { 0 };
    long err = mica_invoke(frame, MICA_FRAME_ADDRESS, 0, mr, NULL);
    *paddr = mr[0];
    return err;
}

long
mica_page_table_map(mica_cptr_t table, mica_cptr_t vspace, uint64_t vaddr)
{
    return INVOKE(table, MICA_PAGE_TABLE_MAP, vspace, vaddr);
}

long mica_page_table_unmap(mica_cptr_t table) { return INVOKE(table, MICA_PAGE_TABLE_UNMAP); }

long
mica_vspace_query(mica_cptr_t vspace, uint64_t vaddr, uint64_t *paddr, unsigned *attrs)
{
    uint64_t mr[MICA_MSG_MAX_WORDS] = { vaddr };
    long err = mica_invoke(vspace, MICA_VSPACE_QUERY, 1, mr, NULL);
    *paddr = mr[0];
    *attrs = (unsigned)mr[1];
    return err;
}

long
mica_device_memory_issue(mica_cptr_t block, unsigned type, uint64_t paddr, unsigned size_bits,
                         mica_cptr_t dest_cnode, uint64_t dest)
{
    return INVOKE(block, MICA_DEVICE_MEMORY_ISSUE, type, paddr, size_bits, dest_cnode, dest);
}

long
mica_irq_control_get(mica_cptr_t control, uint64_t line, mica_cptr_t dest_cnode, uint64_t dest)
{
    return INVOKE(control, MICA_IRQ_CONTROL_GET, line, dest_cnode, dest);
}

long
mica_irq_handler_set_notification(mica_cptr_t handler, mica_cptr_t ntfn, uint64_t badge)
{
    return INVOKE(handler, MICA_IRQ_HANDLER_SET_NOTIFICATION, ntfn, badge);
}

/* ACK, IN and OUT, which drivers make often, go straight to the system call (registers only). */
long
mica_irq_handler_ack(mica_cptr_t handler)
{
    struct mica_msg m = { .info = mica_msginfo(MICA_IRQ_HANDLER_ACK, 0) };
    return mica_call(handler, &m, MICA_TIMEOUT_FOREVER);
}

long mica_irq_handler_clear(mica_cptr_t handler) { return INVOKE(handler, MICA_IRQ_HANDLER_CLEAR); }

long
mica_io_ports_issue(mica_cptr_t ports, uint64_t first, uint64_t last, mica_cptr_t dest_cnode,
                    uint64_t dest)
{
    return INVOKE(ports, MICA_IO_PORTS_ISSUE, first, last, dest_cnode, dest);
}

long
mica_io_in(mica_cptr_t ports, uint64_t port, unsigned width, uint32_t *value)
{
    struct mica_msg m = { .info = mica_msginfo(MICA_IO_PORTS_IN, 2), .mr = { port, width } };
    long err = mica_call(ports, &m, MICA_TIMEOUT_FOREVER);
    *value = err ? 0 : (uint32_t)m.mr[0];
    return err;
}

long
mica_io_out(mica_cptr_t ports, uint64_t port, unsigned width, uint32_t value)
{
    struct mica_msg m = { .info = mica_msginfo(MICA_IO_PORTS_OUT, 3),
                          .mr = { port, width, value } };
    return mica_call(ports, &m, MICA_TIMEOUT_FOREVER);
}

long
mica_io_out_string(mica_cptr_t ports, uint64_t port, const void *bytes, size_t n)
{
    uint64_t *buf = mica_ipc_buffer()->mr;
    size_t k = n < MICA_IO_PORTS_STRING_MAX ? n : MICA_IO_PORTS_STRING_MAX;
    struct mica_msg m = { .info = mica_msginfo(MICA_IO_PORTS_OUT_STRING,
                                               2 + (unsigned)((k + 7) / 8)),
                          .mr = { port, n } };
    for (size_t i = 0; i < k; i += 8) {
        uint64_t w = 0;
        memcpy(&w, (const uint8_t *)bytes + i, k - i < 8 ? k - i : 8);
        *(2 + i / 8 < MICA_MSG_REG_WORDS ? &m.mr[2 + i / 8] : &buf[2 + i / 8]) = w;
    }
    return mica_call(ports, &m, MICA_TIMEOUT_FOREVER);
}
