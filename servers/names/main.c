// SPDX-License-Identifier: MIT
/*
 * names: the registry of endpoints, the one well-known service every task is given
 * (MICA_TASK_SLOT_NAMES). A task registers an endpoint under a name, any task looks a name
 * up and gets the endpoint, and a watcher is told (its notification signalled) when a name
 * goes: unregistered, or forgotten because init ended the task that registered it. The
 * registrant is the badge of the capability it called with; init's is MICA_BADGE_INIT.
 */
#include <string.h>

#include "proto.h"
#include "server.h"

#include <mica/task.h>

#define CNODE           MICA_TASK_SLOT_CNODE
#define MAX_NAMES       64
#define MAX_WATCHERS    4
#define RECV            MICA_TASK_SLOT_FIRST_FREE  /* a request's capability arrives here */
#define SLOTS           (MAX_NAMES * (1 + MAX_WATCHERS))

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

/* Whether our capability in slot is gone (a copy dies with the object its task made). */
static bool
gone(uint64_t slot)
{
    struct mica_cap_info info = { 0 };
    return !mica_cnode_identify(CNODE, slot, &info) && info.type == MICA_OBJ_NULL;
}

/* Tell the name's watchers (each is told once). */
static void
tell_watchers(struct entry *e)
{
    for (unsigned w = 0; w < MAX_WATCHERS; w++) {
        if (!e->watchers[w])
            continue;
        mica_signal(e->watchers[w]);
        drop_slot(e->watchers[w]);
        e->watchers[w] = 0;
    }
}

/* The name goes: its watchers hear of it. */
static void
remove_entry(struct entry *e)
{
    tell_watchers(e);
    drop_slot(e->cap);
    e->name[0] = '\0';
}

/* The capability the request brought, of type, moved to a slot of ours; 0 if none. */
static uint64_t
keep(const struct mica_msg *m, unsigned type)
{
    struct mica_cap_info info = { 0 };
    if (!mica_msg_caps(m->info) || mica_cnode_identify(CNODE, RECV, &info) || info.type != type)
        return 0;
    uint64_t slot = take_slot();
    if (slot && mica_cnode_move(CNODE, slot, CNODE, RECV)) {
        free_slots[nfree++] = slot;
        slot = 0;
    }
    return slot;
}

static long
handle(void *ctx, struct mica_msg *m, unsigned *len, unsigned *ncaps)
{
    (void)ctx;
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    char name[MICA_NAME_MAX];
    uint64_t label = mica_msg_label(m->info), badge = m->badge;
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
    if (label == NAMES_RESTARTED && badge != MICA_BADGE_INIT)
        return MICA_E_NO_RIGHTS;
    if ((label < NAMES_REGISTER || label > NAMES_WATCH) && label != NAMES_RESTARTED)
        return MICA_E_BAD_METHOD;
    if (mica_msg_length(m->info) < MICA_NAME_WORDS || !mica_name_unpack(m->mr, name))
        return MICA_E_INVALID_ARG;
    for (const char *c = name; *c; c++)
        if (*c < 0x20 || *c > 0x7e)
            return MICA_E_INVALID_ARG;          /* names are printable: shells show them */
    struct entry *e = find(name);
    switch (label) {
    case NAMES_RESTARTED:
        if (!e)
            return MICA_E_NO_CAP;
        tell_watchers(e);
        return MICA_E_OK;
    case NAMES_REGISTER: {
        if (e && badge == MICA_BADGE_INIT && e->owner != MICA_BADGE_INIT)
            remove_entry(e);                    /* a manifest server's name is init's */
        else if (e)
            return MICA_E_SLOT_FULL;
        for (unsigned i = 0; i < MAX_NAMES; i++) {
            if (entries[i].name[0])
                continue;
            uint64_t cap = keep(m, MICA_OBJ_ENDPOINT);
            if (!cap)
                return MICA_E_NO_CAP;
            memset(&entries[i], 0, sizeof(entries[i]));
            strcpy(entries[i].name, name);
            entries[i].owner = badge;
            entries[i].cap = cap;
            return MICA_E_OK;
        }
        return MICA_E_NO_MEMORY;
    }
    case NAMES_LOOKUP:
        if (!e)
            return MICA_E_NO_CAP;
        buf->caps[0] = e->cap;
        *ncaps = 1;
        return MICA_E_OK;
    case NAMES_UNREGISTER:
        if (!e)
            return MICA_E_NO_CAP;
        if (e->owner != badge && badge != MICA_BADGE_INIT)
            return MICA_E_NO_RIGHTS;
        remove_entry(e);
        return MICA_E_OK;
    case NAMES_WATCH: {
        if (!e)
            return MICA_E_NO_CAP;
        for (unsigned w = 0; w < MAX_WATCHERS; w++) {
            if (e->watchers[w] && !gone(e->watchers[w]))
                continue;
            if (e->watchers[w])                 /* its watcher's notification went: reuse */
                drop_slot(e->watchers[w]);
            return (e->watchers[w] = keep(m, MICA_OBJ_NOTIFICATION)) ? MICA_E_OK
                                                                     : MICA_E_NO_CAP;
        }
        return MICA_E_NO_MEMORY;
    }
    }
    return MICA_E_BAD_METHOD;
}

int
main(void)
{
    for (uint64_t s = RECV + 1 + SLOTS; s > RECV + 1; s--)
        free_slots[nfree++] = s - 1;
    mica_server_run(&(struct mica_server){
        .ep = MICA_TASK_SLOT_SERVICE, .recv_slot = RECV, .request = handle });
}
