/* SPDX-License-Identifier: MIT */
/* The boot manifest (docs/manifest.md): which tasks init starts, in what order, with which
 * capabilities. The parser is pure C, tested on the host (tests/host/test_manifest.c). */
#ifndef MANIFEST_H
#define MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MANIFEST_MAX_TASKS      24
#define MANIFEST_NAME_MAX       32
#define MANIFEST_MEMORY_MIN     (256UL << 10)
#define MANIFEST_MEMORY_MAX     (1UL << 30)
#define MANIFEST_MEMORY_DEFAULT (1UL << 20)

struct manifest_task {
    char name[MANIFEST_NAME_MAX];   /* its boot module */
    unsigned line;                  /* in the manifest, for messages */
    bool restart;                   /* the supervisor restarts it when it fails */
    bool serve;                     /* it gets an endpoint of its own, registered in names */
    bool names;                     /* registry: it is the names server */
    bool supervisor;                /* supervises: it is the supervisor */
    bool control;                   /* it may call init's control endpoint */
    bool pager;                     /* pager: it is the memory server */
    bool halt;                      /* halt: it may stop the machine (MICA_TCB_FLAG_HALT) */
    uint64_t heap;                  /* heap=SIZE: bytes it may take from the memory server */
    uint64_t memory;                /* bytes of memory it is made from (a power of two) */
    unsigned prio;
    int irq;                        /* -1: none */
    bool ports;
    uint16_t port_first, port_last;
    bool device;
    uint64_t device_base;
    unsigned device_bits;
};

struct manifest {
    struct manifest_task task[MANIFEST_MAX_TASKS];
    unsigned count;
};

/* Parse text[0, len). Returns 0, or -1 with a message naming the line in err. */
int manifest_parse(const char *text, size_t len, struct manifest *m, char *err, size_t errlen);

#endif
