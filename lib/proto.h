/* SPDX-License-Identifier: MIT */
/*
 * The protocols of Mica's user-level servers (docs/servers.md). One convention for all: a
 * request's label is the method, the server knows the client by the badge of the
 * capability it called, and the reply's label is the status (a mica_error, 0 for success)
 * with results in its message registers. Names travel in message registers, packed eight
 * characters to a word, at most MICA_NAME_MAX - 1 characters.
 */
#ifndef MICA_PROTO_H
#define MICA_PROTO_H

#include <stdint.h>
#include <string.h>

#define MICA_NAME_MAX       32
#define MICA_NAME_WORDS     (MICA_NAME_MAX / 8)

/* names: a registry of endpoints (MICA_TASK_SLOT_NAMES). */
enum mica_names_method {
    NAMES_REGISTER = 1,     /* MR0-3 name, caps[0] the endpoint -> status (SLOT_FULL: taken;
                             * init's registration replaces another task's) */
    NAMES_LOOKUP,           /* MR0-3 name -> caps[0] the endpoint (call with a capability
                             * that has the grant right); NO_CAP: no such name */
    NAMES_UNREGISTER,       /* MR0-3 name: only its registrant (or init) */
    NAMES_WATCH,            /* MR0-3 name, caps[0] a notification, signalled when it goes */
    NAMES_LIST,             /* MR0 index -> MR0-3 name, MR4 registrant's badge; RANGE past
                             * the end */
    NAMES_FORGET,           /* init only: MR0 a task's badge: drop what it registered */
    NAMES_RESTARTED,        /* init only: MR0-3 name: its server was restarted; the name
                             * stays, its watchers are told (and forgotten) */
};

/* init's control endpoint (MICA_TASK_SLOT_CONTROL): tasks by their index in the manifest. */
enum mica_init_method {
    INIT_TASK_INFO = 1,     /* MR0 index -> MR0 state, MR1 pages, MR2 memory bytes, MR3
                             * restarts, MR4-7 name, MR8 1 if it is to be restarted; RANGE
                             * past the last task */
    INIT_RESTART,           /* the supervisor only, for tasks marked restart: MR0 index: end
                             * the task, start it again */
    INIT_STOP,              /* MR0 index: end the task for good */
    INIT_CRASH,             /* MR0 index: make it fault (fault injection) */
    INIT_GIVE_UP,           /* the supervisor only: MR0 index: it is not restarted again */
};

enum mica_task_state {
    TASK_NONE,              /* not started */
    TASK_RUNNING,
    TASK_STOPPED,           /* ended by INIT_STOP */
    TASK_FAILED,            /* faulted; the supervisor decides */
    TASK_GIVEN_UP,          /* failed too often: not restarted */
};

/* console: the serial console (service "console"). Bytes travel packed in MR1.., at most
 * CONSOLE_MAX bytes a message. Any number of clients write; one reads. */
#define CONSOLE_MAX         512
enum mica_console_method {
    CONSOLE_WRITE = 1,      /* MR0 n, MR1.. bytes -> MR0 bytes taken */
    CONSOLE_READ,           /* (MR0 the most to take, optional) -> MR0 n, MR1.. bytes (n = 0:
                             * nothing yet; never blocks) */
    CONSOLE_SET_READER,     /* caps[0] a notification, signalled when there is input; the
                             * reader is whoever set it last */
    CONSOLE_MODE,           /* MR0 CONSOLE_LINE (echo, backspace, whole lines) or CONSOLE_RAW */
};
enum { CONSOLE_LINE, CONSOLE_RAW };
/* Writes through a channel (docs/channels.md): set up on the console's endpoint with the
 * channel library's labels (mica_chan_connect: the console's pages as map items; OPEN's
 * reply carries the channel's endpoint and the console's doorbell). At most 4 pages.
 * One opcode: WRITE, the request's buffer (off, len), len at most CONSOLE_MAX -> res[0]
 * bytes written. A console restart loses its channels: the client reconnects. */
#define CONSOLE_CHAN_WRITE  16      /* MICA_CHAN_OP_USER */
#define CONSOLE_CHAN_PAGES  4

/* timer: time and alarms (service "timer"). */
enum mica_timer_method {
    TIMER_NOW = 1,          /* -> MR0 nanoseconds since the clock started (monotonic) */
    TIMER_ALARM,            /* MR0 a deadline (TIMER_NOW's clock), caps[0] a notification:
                             * signalled at the deadline (10 ms resolution) */
};

/* Badges init gives: task i's capabilities carry badge i + 1; init's own, MICA_BADGE_INIT. */
#define MICA_BADGE_INIT     0x7fff

static inline void
mica_name_pack(const char *name, uint64_t words[MICA_NAME_WORDS])
{
    memset(words, 0, MICA_NAME_WORDS * 8);
    const char *end = memchr(name, '\0', MICA_NAME_MAX - 1);
    memcpy(words, name, end ? (size_t)(end - name) : MICA_NAME_MAX - 1);
}

/* The name in words, terminated; false if it is empty or holds a zero byte inside. */
static inline int
mica_name_unpack(const uint64_t words[MICA_NAME_WORDS], char name[MICA_NAME_MAX])
{
    memcpy(name, words, MICA_NAME_MAX);
    const char *end = memchr(name, '\0', MICA_NAME_MAX);
    size_t n = end ? (size_t)(end - name) : MICA_NAME_MAX;
    for (size_t i = n; i < MICA_NAME_MAX; i++)
        if (name[i])
            return 0;               /* characters after the end: not a packed name */
    return n > 0 && n < MICA_NAME_MAX;
}

#endif
