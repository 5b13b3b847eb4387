// SPDX-License-Identifier: MIT
/*
 * names: the registry of endpoints, the one well-known service every task is given
 * (MICA_TASK_SLOT_NAMES). A task registers an endpoint under a name, any task looks a name
 * up and gets the endpoint, and a watcher is told (its notification signalled) when a name
 * goes: unregistered, or forgotten because init ended the task that registered it. The
 * registrant is the badge of the capability it called with; init's is MICA_BADGE_INIT.
 */
#include <string.h>

#include "mica.h"
#include "proto.h"

#include <mica/task.h>

#define CNODE           MICA_TASK_SLOT_CNODE
#define MAX_NAMES       64
#define MAX_WATCHERS    4
#define SLOTS           (MAX_NAMES * (1 + MAX_WATCHERS) + 1)

struct entry {
    char name[MICA_NAME_MAX];           /* "" : free */
    uint64_t owner;                     /* the registrant's badge */
    uint64_t cap;                       /* our slot holding the endpoint */
    uint64_t watchers[MAX_WATCHERS];    /* our slots holding notifications (0: none) */
};

static struct entry entries[MAX_NAMES];
static uint64_t free_slots[SLOTS];
static unsigned nfree;

static uint64_t
take_slot(void)
{
    return nfree ? free_slots[--nfree] : 0;
}

static void
drop_slot(uint64_t slot)
{
    mica_cnode_delete(CNODE, slot);
    free_slots[nfree++] = slot;
}

static struct entry *
find(const char *name)
{
    for (unsigned i = 0; i < MAX_NAMES; i++)
        if (entries[i].name[0] && !strcmp(entries[i].name, name))
            return &entries[i];
    return NULL;
}

/* The name goes: its watchers hear of it. */
static void
remove_entry(struct entry *e)
{
    for (unsigned w = 0; w < MAX_WATCHERS; w++) {
        if (!e->watchers[w])
            continue;
        mica_signal(e->watchers[w]);
        drop_slot(e->watchers[w]);
        e->watchers[w] = 0;
    }
    drop_slot(e->cap);
    e->name[0] = '\0';
}

/* One request; the received capability (if any) is in slot recv, which we keep (set to 0)
 * if we use it. Returns the status, with results in m and *len words. */
static long
handle(struct mica_msg *m, uint64_t *recv, unsigned *len)
{
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    char name[MICA_NAME_MAX];
    uint64_t label = mica_msg_label(m->info), badge = m->badge;
    unsigned got = mica_msg_caps(m->info);
    *len = 0;
    if (label == NAMES_LIST) {
        if (mica_msg_length(m->info) < 1)
            return MICA_E_INVALID_ARG;
        for (uint64_t i = 0, seen = 0; i < MAX_NAMES; i++) {
            if (!entries[i].name[0] || seen++ != m->mr[0])
                continue;
            mica_name_pack(entries[i].name, m->mr);
            buf->mr[4] = entries[i].owner;
            *len = 5;
            return MICA_E_OK;
        }
        return MICA_E_RANGE;
    }
    if (label == NAMES_FORGET) {
        if (badge != MICA_BADGE_INIT || mica_msg_length(m->info) < 1)
            return MICA_E_NO_RIGHTS;
        for (unsigned i = 0; i < MAX_NAMES; i++)
            if (entries[i].name[0] && entries[i].owner == m->mr[0])
                remove_entry(&entries[i]);
        return MICA_E_OK;
    }
    if (label < NAMES_REGISTER || label > NAMES_WATCH)
        return MICA_E_BAD_METHOD;
    if (mica_msg_length(m->info) < MICA_NAME_WORDS || !mica_name_unpack(m->mr, name))
        return MICA_E_INVALID_ARG;
    struct entry *e = find(name);
    switch (label) {
    case NAMES_REGISTER: {
        struct mica_cap_info info = { 0 };
        if (!got || mica_cnode_identify(CNODE, *recv, &info) || info.type != MICA_OBJ_ENDPOINT)
            return MICA_E_NO_CAP;
        if (e)
            return MICA_E_SLOT_FULL;
        for (unsigned i = 0; i < MAX_NAMES; i++) {
            if (entries[i].name[0])
                continue;
            memset(&entries[i], 0, sizeof(entries[i]));
            strcpy(entries[i].name, name);
            entries[i].owner = badge;
            entries[i].cap = *recv;
            *recv = 0;
            return MICA_E_OK;
        }
        return MICA_E_NO_MEMORY;
    }
    case NAMES_LOOKUP:
        if (!e)
            return MICA_E_NO_CAP;
        buf->caps[0] = e->cap;
        return MICA_E_OK;
    case NAMES_UNREGISTER:
        if (!e)
            return MICA_E_NO_CAP;
        if (e->owner != badge && badge != MICA_BADGE_INIT)
            return MICA_E_NO_RIGHTS;
        remove_entry(e);
        return MICA_E_OK;
    case NAMES_WATCH: {
        struct mica_cap_info info = { 0 };
        if (!got || mica_cnode_identify(CNODE, *recv, &info) ||
            info.type != MICA_OBJ_NOTIFICATION)
            return MICA_E_NO_CAP;
        if (!e)
            return MICA_E_NO_CAP;
        for (unsigned w = 0; w < MAX_WATCHERS; w++) {
            if (e->watchers[w])
                continue;
            e->watchers[w] = *recv;
            *recv = 0;
            return MICA_E_OK;
        }
        return MICA_E_NO_MEMORY;
    }
    }
    return MICA_E_BAD_METHOD;
}

int
main(void)
{
    for (uint64_t s = MICA_TASK_SLOT_FIRST_FREE + SLOTS; s > MICA_TASK_SLOT_FIRST_FREE; s--)
        free_slots[nfree++] = s - 1;
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    struct mica_msg m = { 0 };
    uint64_t recv = take_slot();
    buf->recv_cnode = CNODE;
    buf->recv_slot = recv;
    long err = mica_recv(MICA_TASK_SLOT_SERVICE, &m, MICA_TIMEOUT_FOREVER);
    for (;;) {
        unsigned len = 0;
        long status = err ? err : handle(&m, &recv, &len);
        if (recv && mica_msg_caps(m.info) && !err)
            mica_cnode_delete(CNODE, recv);     /* a capability we did not keep */
        if (!recv)
            recv = take_slot();                 /* none left: the next one takes none */
        buf->recv_slot = recv;
        buf->recv_cnode = recv ? CNODE : 0;
        if (err) {
            err = mica_recv(MICA_TASK_SLOT_SERVICE, &m, MICA_TIMEOUT_FOREVER);
            continue;
        }
        bool give = status == MICA_E_OK && mica_msg_label(m.info) == NAMES_LOOKUP;
        m.info = mica_msginfo_caps((uint64_t)status, give ? 1 : 0, len);
        err = mica_reply_recv(MICA_TASK_SLOT_SERVICE, &m, MICA_TIMEOUT_FOREVER);
    }
}
