/* SPDX-License-Identifier: MIT */
/* The protocol between tests/guest/ipc.c (root task) and ipc_server.c (another address
 * space): the label is the operation. */
#ifndef IPC_PROTO_H
#define IPC_PROTO_H

#define SERVER_EP       10      /* the endpoint, in the server's CNode */
#define SERVER_RECV     20      /* where the server receives capabilities */

enum server_op {
    OP_ECHO = 1,        /* reply: the same label and length, each MR0-MR3 plus one */
    OP_BADGE,           /* reply: MR0 = the badge the server saw */
    OP_REVERSE,         /* reply: the message's words in reverse order (any length) */
    OP_CAPS,            /* reply: MR0 = capabilities received, MR1 = type of the first */
    OP_ONEWAY,          /* a send, no reply: counted */
    OP_COUNT,           /* reply: MR0 = OP_ONEWAY messages so far */
    OP_GIVE,            /* reply: a copy of the server's endpoint capability */
};

#endif
