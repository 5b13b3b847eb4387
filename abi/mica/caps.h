/* SPDX-License-Identifier: MIT */
/* Capabilities: object types, rights, and how user space names a capability. */
#ifndef MICA_CAPS_H
#define MICA_CAPS_H

#include <stdint.h>

/* A capability pointer: an index into the caller's capability space. Slot 0 is never
 * usable, so 0 means "no capability" wherever an argument takes one. */
typedef uint64_t mica_cptr_t;
#define MICA_CPTR_NULL      0

/* Object types (the type of a capability; retype arguments). */
enum mica_obj_type {
    MICA_OBJ_NULL = 0,          /* an empty slot */
    MICA_OBJ_UNTYPED = 1,       /* physical memory to retype into objects */
    MICA_OBJ_CNODE = 2,         /* a capability space: 2^size_bits slots */
    MICA_OBJ_TCB = 3,           /* a thread */
    MICA_OBJ_VSPACE = 4,        /* an address space (its root page table) */
    MICA_OBJ_FRAME = 5,         /* a page of memory, 4 KiB or 2 MiB */
    MICA_OBJ_ENDPOINT = 6,      /* synchronous IPC (operations come with IPC) */
    MICA_OBJ_NOTIFICATION = 7,  /* a word of signal bits (operations come with IPC) */
    MICA_OBJ_IRQ_CONTROL = 8,   /* the right to take interrupt lines (boot only) */
    MICA_OBJ_IO_PORTS = 9,      /* a range of x86 I/O ports (boot only; narrowed by issue) */
    MICA_OBJ_PAGE_TABLE = 10,   /* a paging structure below an address space's root */
    MICA_OBJ_IRQ_HANDLER = 11,  /* one interrupt line (made by IRQ control; badge: the line) */
    MICA_OBJ_DEVICE_MEMORY = 12,/* a block of physical addresses that are not RAM (boot
                                 * only): device frames and smaller blocks are issued from it */
    MICA_OBJ_TYPE_COUNT
};

/* Rights: a copy or mint can keep or drop them, never add them. */
#define MICA_RIGHT_READ     (1u << 0)   /* read state, receive */
#define MICA_RIGHT_WRITE    (1u << 1)   /* change state, send */
#define MICA_RIGHT_GRANT    (1u << 2)   /* pass capabilities on through IPC */
#define MICA_RIGHTS_ALL     (MICA_RIGHT_READ | MICA_RIGHT_WRITE | MICA_RIGHT_GRANT)

/* Object sizes: retype's size_bits is log2 of the size in bytes, except for CNodes, where it
 * is log2 of the number of slots (each MICA_CNODE_SLOT_BITS bytes). Other objects ignore it. */
#define MICA_CNODE_SLOT_BITS    6
#define MICA_CNODE_MIN_BITS     2
#define MICA_CNODE_MAX_BITS     16
#define MICA_UNTYPED_MIN_BITS   12
#define MICA_UNTYPED_MAX_BITS   47
#define MICA_FRAME_BITS         12
#define MICA_LARGE_FRAME_BITS   21
#define MICA_TCB_BITS           12
#define MICA_VSPACE_BITS        12
#define MICA_PAGE_TABLE_BITS    12
#define MICA_ENDPOINT_BITS      6
#define MICA_NOTIFICATION_BITS  6

/* An I/O ports capability's badge: its range of ports, first to last, both included. */
#define MICA_IO_PORTS_BADGE(first, last)    ((uint64_t)(first) | (uint64_t)(last) << 16)
#define MICA_IO_PORT_MAX        0xffff
/* The most bytes of one OUT_STRING: a UART's FIFO several times over, and short enough
 * that the kernel's time with interrupts off stays small however slow the device. */
#define MICA_IO_PORTS_STRING_MAX 64

/* Mapping a frame: what user code may do with it (reading is implied) and how it is cached.
 * Writing needs the write right on the frame capability too. */
#define MICA_MAP_WRITE      (1u << 0)
#define MICA_MAP_EXEC       (1u << 1)
#define MICA_MAP_UNCACHED   (1u << 2)   /* device memory: required for device frames,
                                         * refused for RAM */

/* Priorities: 0 (lowest) to 255. Boot threads start at MICA_BOOT_PRIO; the root task's
 * maximum controlled priority is MICA_MAX_PRIO, other boot tasks' is their priority. */
#define MICA_MAX_PRIO       255
#define MICA_BOOT_PRIO      100

#endif
