/* SPDX-License-Identifier: MIT */
/* Invocation labels: the method named in the label of a MICA_SYS_CALL on an object's
 * capability. Arguments are message registers MR0.. (docs/api.md gives each method). */
#ifndef MICA_INVOCATION_H
#define MICA_INVOCATION_H

enum mica_invocation {
    /* CNode: slots of the invoked CNode, sources named by (CNode cptr, index) */
    MICA_CNODE_COPY = 1,        /* (dest, src_cnode, src, rights) */
    MICA_CNODE_MINT,            /* (dest, src_cnode, src, rights, badge) */
    MICA_CNODE_MOVE,            /* (dest, src_cnode, src) */
    MICA_CNODE_DELETE,          /* (slot) */
    MICA_CNODE_REVOKE,          /* (slot): delete everything derived from the slot's cap */
    MICA_CNODE_IDENTIFY,        /* (slot) -> (type, rights, badge, size_bits) */

    /* Untyped memory */
    MICA_UNTYPED_RETYPE = 16,   /* (type, size_bits, dest_cnode, dest, count) */

    /* Thread control block */
    MICA_TCB_CONFIGURE = 32,    /* (cspace, vspace, ipc_buffer, fault_ep) */
    MICA_TCB_READ_REGS,         /* () -> registers in MR0.. (struct mica_regs order) */
    MICA_TCB_WRITE_REGS,        /* (registers in MR0.., struct mica_regs order) */
    MICA_TCB_SUSPEND,           /* () */
    MICA_TCB_RESUME,            /* () */
    MICA_TCB_SET_PRIORITY,      /* (priority): at most the caller's MCP */
    MICA_TCB_SET_MCP,           /* (mcp): at most the caller's MCP */
    MICA_TCB_SET_TLS_BASE,      /* (base) */
    MICA_TCB_SET_IPC_BUFFER,    /* (address): a mapped, page-aligned page of its space */
    MICA_TCB_BIND_NOTIFICATION, /* (notification cptr, or 0 to unbind) */
    MICA_TCB_SET_FLAGS,         /* (MICA_TCB_FLAG_*) */
    MICA_TCB_SET_NAME,          /* (name, 8 bytes a word, up to 4 words): in kernel messages */

    /* Frames and page tables: each capability maps its object once (copy it to map more) */
    MICA_FRAME_MAP = 64,        /* (vspace, vaddr, MICA_MAP_*) */
    MICA_FRAME_UNMAP,           /* () */
    MICA_FRAME_ADDRESS,         /* () -> MR0 the physical address (for DMA) */
    MICA_PAGE_TABLE_MAP,        /* (vspace, vaddr): at the first level missing there */
    MICA_PAGE_TABLE_UNMAP,      /* (): only when nothing is mapped through it */
    MICA_VSPACE_QUERY,          /* (vaddr) -> MR0 physical address or 0, MR1 MICA_MAP_* */

    /* Interrupts: IRQ control makes one handler capability per line (docs/api.md) */
    MICA_IRQ_CONTROL_GET = 80,  /* (line, dest_cnode, dest) */
    MICA_IRQ_HANDLER_SET_NOTIFICATION, /* (notification, badge): signalled per interrupt */
    MICA_IRQ_HANDLER_ACK,       /* (): unmask the line; the next interrupt may come */
    MICA_IRQ_HANDLER_CLEAR,     /* (): unbind the notification, mask the line */

    /* I/O ports: a port and its width must lie in the capability's range */
    MICA_IO_PORTS_ISSUE = 96,   /* (first, last, dest_cnode, dest): a narrower capability */
    MICA_IO_PORTS_IN,           /* (port, width 1|2|4) -> MR0 the value */
    MICA_IO_PORTS_OUT,          /* (port, width 1|2|4, value) */
    MICA_IO_PORTS_OUT_STRING,   /* (port, count, bytes packed in MR2..): count bytes to one
                                 * port, 1 <= count <= MICA_IO_PORTS_STRING_MAX */

    /* Device memory: a device frame (MICA_OBJ_FRAME) or a smaller block (MICA_OBJ_DEVICE_
     * MEMORY) of 2^size_bits bytes at paddr, aligned, inside the invoked block, not RAM */
    MICA_DEVICE_MEMORY_ISSUE = 112, /* (type, paddr, size_bits, dest_cnode, dest) */
};

/* TCB flags. REDIRECT_SYSCALLS: the thread's syscall instructions are not Mica calls but
 * faults (MICA_FAULT_SYSCALL) to its fault endpoint: the basis of OS personalities. */
#define MICA_TCB_FLAG_REDIRECT_SYSCALLS  (1u << 0)
/* TCB flag HALT: the thread may stop the machine (MICA_SYS_DEBUG_HALT). The root thread has
 * it; only a thread that has it can give it (SET_FLAGS), so no task can stop the system
 * unless it was trusted to. */
#define MICA_TCB_FLAG_HALT               (1u << 1)

#endif
