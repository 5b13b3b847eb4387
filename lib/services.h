/* SPDX-License-Identifier: MIT */
/* Clients of the user-level servers (lib/proto.h): names, console and timer. Each returns
 * a mica_error: the IPC's, or the server's status. */
#ifndef MICA_SERVICES_H
#define MICA_SERVICES_H

#include "mica.h"
#include "proto.h"

/* How long the calls below wait for a server (default MICA_TIMEOUT_FOREVER). A task that
 * must not wait for a server that failed (the supervisor) sets a bound, or MICA_TIMEOUT_POLL:
 * only a server that is waiting for requests is asked. */
extern uint64_t mica_services_patience;

/* Messages of a task: to the console (once mica_log_to() named our capability for it),
 * or, if there is none or it does not answer, to the kernel's debug console. With post,
 * messages are one-way sends that go only if the console is waiting for requests: a task
 * that must never wait for the console (the supervisor, init) posts. */
void mica_log_to(mica_cptr_t console, bool post);
int mica_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write n bytes (at most CONSOLE_MAX) to the console as a one-way message, only if it is
 * waiting for requests now (TIMEOUT otherwise). Never waits. */
long mica_console_post(mica_cptr_t console, const void *bytes, size_t n);

/* Look name up with names (a capability with the grant right); the endpoint into our
 * empty slot dest. */
long mica_names_lookup(mica_cptr_t names, const char *name, uint64_t dest);
/* Register our endpoint ep under name. */
long mica_names_register(mica_cptr_t names, const char *name, mica_cptr_t ep);

/* Write n bytes (any number: in pieces of CONSOLE_MAX). */
long mica_console_write(mica_cptr_t console, const void *bytes, size_t n);
/* Take up to max bytes of input into bytes; how many in *n (0: none yet). */
long mica_console_read(mica_cptr_t console, void *bytes, size_t max, size_t *n);
long mica_console_set_reader(mica_cptr_t console, mica_cptr_t ntfn);

long mica_timer_now(mica_cptr_t timer, uint64_t *ns);
/* Have ntfn signalled at deadline (the timer's clock, in nanoseconds). */
long mica_timer_alarm(mica_cptr_t timer, uint64_t deadline, mica_cptr_t ntfn);

#endif
