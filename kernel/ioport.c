// SPDX-License-Identifier: MIT
/*
 * I/O ports capabilities: a range of ports, first to last (the badge: first | last << 16).
 * ISSUE makes a narrower capability, a child of the invoked one (so revoking a range takes
 * back everything issued from it); IN and OUT access 1, 2 or 4 bytes at a port, every byte
 * of which must lie in the range and none of which the kernel keeps (arch_port_reserved).
 * One invocation per access: simple, and revocation takes effect at once. OUT_STRING
 * writes up to MICA_IO_PORTS_STRING_MAX bytes to one port in one invocation (a UART's
 * FIFO), so a driver pays one kernel entry per burst rather than one per byte.
 */
#include "invoke.h"

static uint64_t port_first(const struct cap *c) { return c->badge & MICA_IO_PORT_MAX; }
static uint64_t port_last(const struct cap *c) { return c->badge >> 16 & MICA_IO_PORT_MAX; }

/* ISSUE (first, last, dest_cnode, dest) */
static int
issue(struct invocation *inv)
{
    struct cte *dest;
    uint64_t first = inv->mr[0], last = inv->mr[1];
    if (inv->len < 4 || first > last)
        return MICA_E_INVALID_ARG;
    if (first < port_first(&inv->slot->cap) || last > port_last(&inv->slot->cap))
        return MICA_E_RANGE;                    /* never wider than the capability */
    int err = lookup_empty_slot(inv->caller, inv->mr[2], inv->mr[3], &dest);
    if (err)
        return err;
    err = cte_derive(dest, inv->slot, MICA_RIGHTS_ALL, 0);
    assert(!err);
    dest->cap.badge = MICA_IO_PORTS_BADGE(first, last);
    return MICA_E_OK;
}

/* IN (port, width) -> MR0, OUT (port, width, value) */
static int
access(struct invocation *inv, bool out)
{
    const struct cap *c = &inv->slot->cap;
    uint64_t port = inv->mr[0], width = inv->mr[1], value = inv->mr[2];
    if (inv->len < (out ? 3u : 2u) || (width != 1 && width != 2 && width != 4))
        return MICA_E_INVALID_ARG;
    if (out && value >> (width * 8))
        return MICA_E_INVALID_ARG;              /* more bits than the port takes */
    if (!(c->rights & (out ? MICA_RIGHT_WRITE : MICA_RIGHT_READ)))
        return MICA_E_NO_RIGHTS;
    if (port < port_first(c) || port > port_last(c) || port_last(c) - port < width - 1)
        return MICA_E_RANGE;
    for (unsigned i = 0; i < width; i++)
        if (arch_port_reserved((unsigned)port + i))
            return MICA_E_NO_RIGHTS;            /* the kernel's: no capability reaches it */
    if (out) {
        arch_port_out((unsigned)port, (unsigned)width, (uint32_t)value);
    } else {
        inv->mr[0] = arch_port_in((unsigned)port, (unsigned)width);
        inv->reply_len = 1;
    }
    return MICA_E_OK;
}

/* OUT_STRING (port, count, bytes): count bytes from MR2.., in order, to one port. */
static int
out_string(struct invocation *inv)
{
    const struct cap *c = &inv->slot->cap;
    uint64_t port = inv->mr[0], count = inv->mr[1];
    if (inv->len < 2)
        return MICA_E_INVALID_ARG;
    if (count == 0 || count > MICA_IO_PORTS_STRING_MAX)
        return MICA_E_RANGE;
    if (inv->len < 2 + (count + 7) / 8)
        return MICA_E_INVALID_ARG;              /* fewer bytes than it says */
    if (!(c->rights & MICA_RIGHT_WRITE))
        return MICA_E_NO_RIGHTS;
    if (port < port_first(c) || port > port_last(c))
        return MICA_E_RANGE;
    if (arch_port_reserved((unsigned)port))
        return MICA_E_NO_RIGHTS;
    arch_port_out_string((unsigned)port, (const uint8_t *)&inv->mr[2], (unsigned)count);
    return MICA_E_OK;
}

int
io_ports_invoke(struct invocation *inv)
{
    switch (inv->label) {
    case MICA_IO_PORTS_ISSUE:
        return issue(inv);
    case MICA_IO_PORTS_IN:
        return access(inv, false);
    case MICA_IO_PORTS_OUT:
        return access(inv, true);
    case MICA_IO_PORTS_OUT_STRING:
        return out_string(inv);
    default:
        return MICA_E_BAD_METHOD;
    }
}
