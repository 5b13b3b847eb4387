/* SPDX-License-Identifier: MIT */
/* Between the fuzzer (tests/guest/fuzz.c, the root task) and its workload partner
 * (fuzz_workload.c, module 1, an address space of its own): the slots the root task fills in
 * the workload's CNode, and the workload's messages. */
#ifndef FUZZ_PROTO_H
#define FUZZ_PROTO_H

#include <stdint.h>

#define WL_UNTYPED      10      /* memory for its second thread */
#define WL_EP           11      /* its ping-pong endpoint; the fuzzer holds badged copies */
#define WL_REPORT       12      /* where it sends its result: MR0 rounds, MR1 errors */
#define WL_STOP         13      /* signalled when the fuzzing is over */
#define WL_THREAD       20      /* the slot of its server thread */

#define WL_PING         0x77    /* the client's label; other senders (the fuzzer) get 0 */
#define WL_MAX_WORDS    64      /* payload lengths 1..64: through the IPC buffers too */

/* The server's answer to word i of round r's payload: every word checked end to end. */
static inline uint64_t
wl_payload(uint64_t round, unsigned i)
{
    return (round * 0x9e3779b97f4a7c15u) ^ ((uint64_t)i << 48) ^ i;
}
static inline uint64_t
wl_answer(uint64_t word, unsigned i)
{
    return ~word + i;
}

#endif
