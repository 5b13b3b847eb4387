// SPDX-License-Identifier: MIT
/* Clients of the user-level servers: the message layouts of lib/proto.h in one place. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "services.h"

uint64_t mica_services_patience = MICA_TIMEOUT_FOREVER;
static mica_cptr_t log_console;
static bool log_post;

/* Call ep with m; the server's status (the reply's label) or the IPC's error. */
static long
request(mica_cptr_t ep, struct mica_msg *m)
{
    long err = mica_call(ep, m, mica_services_patience);
    return err ? err : (long)mica_msg_label(m->info);
}

void
mica_log_to(mica_cptr_t console, bool post)
{
    log_console = console;
    log_post = post;
}

int
mica_log(const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(text) - 1)
        n = sizeof(text) - 1;
    if (n > 0 && (!log_console || (log_post ? mica_console_post(log_console, text, (size_t)n)
                                            : mica_console_write(log_console, text, (size_t)n))))
        mica_puts(text);
    return n;
}

long
mica_names_lookup(mica_cptr_t names, const char *name, uint64_t dest)
{
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    struct mica_msg m = { .info = mica_msginfo(NAMES_LOOKUP, MICA_NAME_WORDS) };
    uint64_t cnode = buf->recv_cnode, slot = buf->recv_slot;    /* a server's own, kept */
    mica_name_pack(name, m.mr);
    buf->recv_cnode = MICA_SLOT_CNODE;
    buf->recv_slot = dest;
    long err = request(names, &m);
    buf->recv_cnode = cnode;
    buf->recv_slot = slot;
    return err ? err : mica_msg_caps(m.info) == 1 ? MICA_E_OK : MICA_E_NO_CAP;
}

long
mica_names_register(mica_cptr_t names, const char *name, mica_cptr_t ep)
{
    struct mica_msg m = { .info = mica_msginfo_caps(NAMES_REGISTER, 1, MICA_NAME_WORDS) };
    mica_name_pack(name, m.mr);
    mica_ipc_buffer()->caps[0] = ep;
    return request(names, &m);
}

/* A CONSOLE_WRITE message of k bytes (at most CONSOLE_MAX) at p. */
static struct mica_msg
write_message(const uint8_t *p, size_t k)
{
    uint64_t *buf = mica_ipc_buffer()->mr;
    struct mica_msg m = { .info = mica_msginfo(CONSOLE_WRITE, 1 + (unsigned)((k + 7) / 8)),
                          .mr = { k } };
    for (size_t i = 0; i < k; i += 8) {
        uint64_t w = 0;
        memcpy(&w, p + i, k - i < 8 ? k - i : 8);
        *(1 + i / 8 < MICA_MSG_REG_WORDS ? &m.mr[1 + i / 8] : &buf[1 + i / 8]) = w;
    }
    return m;
}

long
mica_console_write(mica_cptr_t console, const void *bytes, size_t n)
{
    const uint8_t *p = bytes;
    while (n) {
        size_t k = n < CONSOLE_MAX ? n : CONSOLE_MAX;
        struct mica_msg m = write_message(p, k);
        long err = request(console, &m);
        if (err)
            return err;
        p += k;
        n -= k;
    }
    return MICA_E_OK;
}

long
mica_console_post(mica_cptr_t console, const void *bytes, size_t n)
{
    if (n > CONSOLE_MAX)
        return MICA_E_RANGE;
    struct mica_msg m = write_message(bytes, n);
    return mica_send(console, &m, MICA_TIMEOUT_POLL);
}

long
mica_console_read(mica_cptr_t console, void *bytes, size_t max, size_t *n)
{
    const uint64_t *buf = mica_ipc_buffer()->mr;
    struct mica_msg m = { .info = mica_msginfo(CONSOLE_READ, 1), .mr = { max } };
    long err = request(console, &m);
    *n = 0;
    if (err)
        return err;
    size_t got = m.mr[0] < max ? m.mr[0] : max;
    if (got > CONSOLE_MAX)
        got = CONSOLE_MAX;
    for (size_t i = 0; i < got; i += 8) {
        uint64_t w = 1 + i / 8 < MICA_MSG_REG_WORDS ? m.mr[1 + i / 8] : buf[1 + i / 8];
        memcpy((uint8_t *)bytes + i, &w, got - i < 8 ? got - i : 8);
    }
    *n = got;
    return MICA_E_OK;
}

long
mica_console_set_reader(mica_cptr_t console, mica_cptr_t ntfn)
{
    struct mica_msg m = { .info = mica_msginfo_caps(CONSOLE_SET_READER, 1, 0) };
    mica_ipc_buffer()->caps[0] = ntfn;
    return request(console, &m);
}

long
mica_timer_now(mica_cptr_t timer, uint64_t *ns)
{
    struct mica_msg m = { .info = mica_msginfo(TIMER_NOW, 0) };
    long err = request(timer, &m);
    *ns = err ? 0 : m.mr[0];
    return err;
}

long
mica_timer_alarm(mica_cptr_t timer, uint64_t deadline, mica_cptr_t ntfn)
{
    struct mica_msg m = { .info = mica_msginfo_caps(TIMER_ALARM, 1, 1), .mr = { deadline } };
    mica_ipc_buffer()->caps[0] = ntfn;
    return request(timer, &m);
}
