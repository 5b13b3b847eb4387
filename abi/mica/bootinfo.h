/* SPDX-License-Identifier: MIT */
/* What the kernel gives the root task: its capabilities and where they are. The page is
 * mapped read-only in the root task; its address arrives in rdi at the first instruction. */
#ifndef MICA_BOOTINFO_H
#define MICA_BOOTINFO_H

#include <stdint.h>

/* Fixed slots of the root task's CNode. */
enum mica_root_slot {
    MICA_SLOT_NULL = 0,
    MICA_SLOT_TCB = 1,          /* the root thread */
    MICA_SLOT_CNODE = 2,        /* this capability space */
    MICA_SLOT_VSPACE = 3,       /* the root address space */
    MICA_SLOT_IRQ_CONTROL = 4,
    MICA_SLOT_IO_PORTS = 5,     /* every I/O port */
    MICA_SLOT_DEVICE_MEMORY = 6,/* every physical address that is not RAM nor the kernel's */
    MICA_SLOT_FIRST_FREE = 7,   /* then untyped memory (MICA_BOOT_MAX_UNTYPED slots, some
                                 * maybe empty), module frames, boot tasks, free slots */
};

#define MICA_BOOT_MAX_UNTYPED   48
#define MICA_BOOT_MAX_MODULES   32
#define MICA_BOOT_CMDLINE_MAX   256

struct mica_boot_untyped {
    uint64_t paddr;
    uint8_t size_bits;
    uint8_t pad[7];
};

struct mica_boot_module {
    char name[32];
    uint64_t vaddr;             /* mapped read-only in the root task here */
    uint64_t size;              /* bytes */
    uint64_t first_frame;       /* slot of the frame capability of its first page */
    uint64_t frames;            /* one capability per 4 KiB page, in consecutive slots */
    uint64_t tcb;               /* modules 1..: slots of the task the kernel made of it, */
    uint64_t cnode;             /* suspended, for the root task to set up and resume */
    uint64_t vspace;            /* (0: not started, e.g. not a valid executable) */
};

struct mica_bootinfo {
    uint64_t cnode_size_bits;   /* the root CNode has 2^cnode_size_bits slots */
    uint64_t first_free_slot;   /* slots from here to the end are empty */
    uint64_t ipc_buffer;        /* the root thread's IPC buffer */
    uint64_t first_untyped;     /* slot of untyped[0]; the others follow */
    uint64_t untyped_count;
    uint64_t module_count;
    struct mica_boot_untyped untyped[MICA_BOOT_MAX_UNTYPED];
    struct mica_boot_module module[MICA_BOOT_MAX_MODULES];
    char cmdline[MICA_BOOT_CMDLINE_MAX];    /* the kernel command line (test options such as
                                             * a fuzzer's seed), truncated, terminated */
};
_Static_assert(sizeof(struct mica_bootinfo) <= 4096, "boot info fits in a page");

/* The kernel command line's words are "key" or "key=value": whether key is one, and its
 * value (cut to size - 1 bytes, terminated) in buf. The kernel and the runtime read it so. */
static inline int
mica_cmdline_option(const char *cmdline, const char *key, char *buf, unsigned long size)
{
    unsigned long klen = __builtin_strlen(key);
    for (const char *p = cmdline; *p;) {
        while (*p == ' ')
            p++;
        const char *word = p;
        while (*p && *p != ' ')
            p++;
        unsigned long wlen = (unsigned long)(p - word);
        if (wlen >= klen && !__builtin_strncmp(word, key, klen) &&
            (wlen == klen || word[klen] == '=')) {
            const char *val = wlen == klen ? p : word + klen + 1;
            unsigned long n = (unsigned long)(p - val);
            if (size) {
                n = n < size - 1 ? n : size - 1;
                __builtin_memcpy(buf, val, n);
                buf[n] = '\0';
            }
            return 1;
        }
    }
    return 0;
}

#endif
