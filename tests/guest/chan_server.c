// SPDX-License-Identifier: MIT
/* A channel server for the channel tests (tests/guest/chan.c): echo, sums and fills of the
 * buffer area, deferred requests completed in a shuffled order; channels are opened
 * through the control endpoint (our pages, as map items), which also serves the root
 * task's statistics. */
#include "chan_proto.h"

struct deferred {
    struct mica_chan_conn *c;
    uint32_t tag;
    uint64_t arg;
};
static struct deferred held[MICA_CHAN_MAX_TAGS];
static unsigned nheld;

static long
echo(struct mica_chan_server *srv, struct mica_chan_conn *c, const struct mica_chan_req *req,
     uint64_t res[MICA_CHAN_RESULTS])
{
    (void)srv, (void)c;
    res[0] = req->arg[0] * 3 + 1;
    return MICA_E_OK;
}

static long
sum(struct mica_chan_server *srv, struct mica_chan_conn *c, const struct mica_chan_req *req,
    uint64_t res[MICA_CHAN_RESULTS])
{
    (void)srv, (void)c;
    const volatile uint8_t *p = req->data;     /* the client may change it as we read */
    uint64_t s = 0;
    for (uint32_t i = 0; i < req->len; i++)
        s += p[i];
    res[0] = s;
    return MICA_E_OK;
}

static long
fill(struct mica_chan_server *srv, struct mica_chan_conn *c, const struct mica_chan_req *req,
     uint64_t res[MICA_CHAN_RESULTS])
{
    (void)srv, (void)c;
    volatile uint8_t *p = req->data;
    for (uint32_t i = 0; i < req->len; i++)
        p[i] = (uint8_t)req->arg[0];
    res[0] = req->len;
    return MICA_E_OK;
}

static long
defer(struct mica_chan_server *srv, struct mica_chan_conn *c, const struct mica_chan_req *req,
      uint64_t res[MICA_CHAN_RESULTS])
{
    (void)srv, (void)res;
    if (nheld == MICA_CHAN_MAX_TAGS)
        return MICA_E_NO_MEMORY;
    held[nheld++] = (struct deferred){ c, req->tag, req->arg[0] };
    return MICA_CHAN_DEFERRED;
}

static long
release(struct mica_chan_server *srv, struct mica_chan_conn *c, const struct mica_chan_req *req,
        uint64_t res[MICA_CHAN_RESULTS])
{
    (void)srv;
    uint64_t seed = req->arg[0] | 1, done = 0;
    for (;;) {
        unsigned mine[MICA_CHAN_MAX_TAGS], n = 0;
        for (unsigned i = 0; i < nheld; i++)
            if (held[i].c == c)
                mine[n++] = i;
        if (!n)
            break;
        seed = seed * 6364136223846793005UL + 1442695040888963407UL;
        unsigned k = mine[(seed >> 33) % n];
        uint64_t out[MICA_CHAN_RESULTS] = { held[k].arg * 3 + 1 };
        mica_chan_complete(c, held[k].tag, MICA_E_OK, out);
        held[k] = held[--nheld];
        done++;
    }
    res[0] = done;
    return MICA_E_OK;
}

static mica_chan_handler *const ops[T_OPS_END - MICA_CHAN_OP_USER] = {
    [T_ECHO - MICA_CHAN_OP_USER] = echo,
    [T_SUM - MICA_CHAN_OP_USER] = sum,
    [T_FILL - MICA_CHAN_OP_USER] = fill,
    [T_DEFER - MICA_CHAN_OP_USER] = defer,
    [T_RELEASE - MICA_CHAN_OP_USER] = release,
};

static bool
admin(struct mica_chan_server *srv, struct mica_msg *m)
{
    uint64_t id = m->mr[0];
    if (m->badge != SRV_ADMIN || id >= SRV_NCONN) {
        m->info = mica_msginfo(0, 1);
        m->mr[0] = MICA_E_NO_RIGHTS;
        return true;
    }
    struct mica_chan_conn *c = &srv->conn[id];
    switch (mica_msg_label(m->info)) {
    case CTL_STATS:
        m->mr[0] = c->state;
        m->mr[1] = c->errors;
        m->mr[2] = c->violations;
        m->mr[3] = c->taken;
        mica_ipc_buffer()->mr[4] = c->bells;
        mica_ipc_buffer()->mr[5] = srv->holes;
        m->info = mica_msginfo(0, 6);
        break;
    default:
        m->mr[0] = MICA_E_BAD_METHOD;
        m->info = mica_msginfo(0, 1);
    }
    return true;
}

int
main(void)
{
    static struct mica_chan_server srv;
    struct mica_chan_server_config cfg = {
        .ops = ops, .nops = T_OPS_END - MICA_CHAN_OP_USER, .ep = SRV_EP, .ntfn = SRV_NTFN,
        .nconn = SRV_NCONN, .arena = SRV_ARENA, .max_pages = SRV_MAX_PAGES,
        .first_slot = SRV_FIRST_SLOT, .on_msg = admin, .untyped = SRV_UNTYPED,
    };
    long err = mica_chan_server_init(&srv, &cfg);
    if (err) {
        mica_printf("chan_server: cannot start: %s\n", mica_errname(err));
        return 1;
    }
    mica_chan_server_run(&srv);
    return 0;
}
