/* SPDX-License-Identifier: MIT */
/* The commands tests/guest/memsrv.c (root task) gives memclient.c (a task of its own, a
 * client of the memory server): the label is the command, MR0.. its arguments. */
#ifndef MEMSRV_PROTO_H
#define MEMSRV_PROTO_H

#define CLIENT_MEM      10      /* its request capability to the memory server */
#define CLIENT_CTRL     11      /* the endpoint it takes commands from */

enum client_cmd {
    CMD_READ = 1,       /* (addr) -> the word there */
    CMD_WRITE,          /* (addr, value) */
    CMD_FILL,           /* (addr, pages, value): every word of the pages */
    CMD_COUNT,          /* (addr, pages, value) -> how many words differ from value */
    CMD_MEM,            /* (label, a0, a1, a2): a request of 3 arguments to the server ->
                         * its answer; (label | 1 << 32, ...): of none -> answer, MR0-MR3 */
};

#endif
