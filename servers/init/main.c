// SPDX-License-Identifier: MIT
/*
 * init: the root task of a Mica system. It reads the boot manifest (a boot module named
 * "manifest", docs/manifest.md), starts every task the manifest names from its boot
 * module, each made from an untyped block of its own and given exactly the capabilities its
 * line names, and then serves its control endpoint: task information for the shell,
 * restarts for the supervisor, and the supervisor's own faults, which make init restart
 * it. Policy (when to restart) is the supervisor's; init holds the authority.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "manifest.h"
#include "mem.h"
#include "proto.h"
#include "services.h"
#include "spawn.h"

#define CNODE           MICA_SLOT_CNODE
#define SCRATCH         0x600000000000UL    /* init's page for filling new tasks' pages */
#define TASK_CNODE_BITS 10
#define SUPERVISOR_FAULT (MICA_BADGE_INIT - 1)  /* the badge of the supervisor's faults */
#define SUPERVISOR_RESTARTS 8
#define NAMES_PATIENCE  (100 * 1000000UL)  /* names may be down, restarting: never wait long */

struct task {
    const struct manifest_task *m;
    const struct mica_boot_module *module;
    struct mica_task t;
    enum mica_task_state state;
    unsigned restarts;
    /* What it is given, held by init so that it survives restarts. */
    mica_cptr_t service, irq, irq_ntfn, ports, device;
    uint64_t spare;                 /* a slot for the untyped memory it gets to use itself */
    uint64_t mem_client;            /* heap=: its number at the memory server (0: none) */
    uint64_t mem_fault;             /* heap=: a slot for its fault endpoint (the server's) */
};

static const struct mica_bootinfo *bi;
static struct manifest manifest;
static struct task tasks[MANIFEST_MAX_TASKS];
static struct mica_spawner spawner;
static uint64_t next_slot;
static mica_cptr_t untyped, control, faults, names = MICA_CPTR_NULL;
static int names_task = -1, supervisor_task = -1, pager_task = -1;
static mica_cptr_t mem_ep, failures;        /* the memory server; its reports of failures */

static uint64_t
slot(void)
{
    return next_slot++;
}

static _Noreturn void stop(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A mistake in what init was given (the manifest, the modules): say so and stop. */
static _Noreturn void
stop(const char *fmt, ...)
{
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    mica_printf("init: %s\ninit: the system cannot start\n", text);
    mica_halt(1);
}

static mica_cptr_t
make(unsigned type, unsigned bits)
{
    mica_cptr_t s = slot();
    long err = mica_untyped_retype(untyped, type, bits, CNODE, s, 1);
    if (err)
        stop("out of memory (%s)", mica_errname(err));
    return s;
}

static const struct mica_boot_module *
find_module(const char *name)
{
    for (uint64_t i = 0; i < bi->module_count; i++)
        if (!strcmp(bi->module[i].name, name))
            return &bi->module[i];
    return NULL;
}

/* ---- the names server ---------------------------------------------------------------- */

static long
names_call(uint64_t method, const char *name, mica_cptr_t cap, uint64_t arg)
{
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    struct mica_msg m = { .info = mica_msginfo_caps(method, cap ? 1 : 0, MICA_NAME_WORDS) };
    if (name)
        mica_name_pack(name, m.mr);
    else
        m.mr[0] = arg;
    buf->caps[0] = cap;
    long err = mica_call(names, &m, NAMES_PATIENCE);
    return err ? err : (long)mica_msg_label(m.info);
}

/* Register every server's endpoint (once names has started, or restarted, before any other
 * task runs: the manifest's names are init's), but those stopped for good. */
static void
register_services(void)
{
    for (unsigned i = 0; i < manifest.count; i++) {
        struct task *t = &tasks[i];
        if (!t->m->serve || (int)i == names_task || t->state == TASK_STOPPED ||
            t->state == TASK_GIVEN_UP)
            continue;
        long err = names_call(NAMES_REGISTER, t->m->name, t->service, 0);
        if (err && err != MICA_E_SLOT_FULL)
            mica_log("init: cannot register '%s' with names: %s\n", t->m->name,
                     mica_errname(err));
    }
}

/* ---- starting tasks ----------------------------------------------------------------- */

/* The capabilities a manifest line names, made once, kept by init across restarts. */
static void
provide(struct task *t)
{
    const struct manifest_task *m = t->m;
    unsigned line = m->line;
    if (m->pager)
        return;                                 /* lib/mem.c gives it what it needs */
    if (m->heap)
        t->mem_fault = slot();
    if (m->serve)
        t->service = make(MICA_OBJ_ENDPOINT, 0);
    if (m->irq >= 0) {
        t->irq = slot();
        t->irq_ntfn = make(MICA_OBJ_NOTIFICATION, 0);
        if (mica_irq_control_get(MICA_SLOT_IRQ_CONTROL, (uint64_t)m->irq, CNODE, t->irq) ||
            mica_irq_handler_set_notification(t->irq, t->irq_ntfn, 0))
            stop("manifest line %u: that interrupt line cannot be had", line);
    }
    if (m->ports) {
        t->ports = slot();
        if (mica_io_ports_issue(MICA_SLOT_IO_PORTS, m->port_first, m->port_last, CNODE, t->ports))
            stop("manifest line %u: those I/O ports cannot be had", line);
    }
    if (m->device) {
        t->device = slot();
        if (mica_device_memory_issue(MICA_SLOT_DEVICE_MEMORY, MICA_OBJ_DEVICE_MEMORY,
                                     m->device_base, m->device_bits, CNODE, t->device))
            stop("manifest line %u: that device memory cannot be had", line);
    }
    t->t.untyped = slot();
    unsigned bits = (unsigned)__builtin_ctzl(m->memory);
    if (mica_untyped_retype(untyped, MICA_OBJ_UNTYPED, bits, CNODE, t->t.untyped, 1))
        stop("manifest line %u: not enough memory for it", line);
    t->spare = slot();
    t->t.tcb = slot();
    t->t.cnode = slot();
    t->t.vspace = slot();
    t->t.cnode_bits = TASK_CNODE_BITS;
    t->t.prio = m->prio;
    t->t.name = m->name;
    /* Its faults go to the supervisor (the supervisor's own to us); with no supervisor,
     * the kernel reports them. */
    uint64_t index = (uint64_t)(t - tasks);
    if (m->supervisor || faults) {
        t->t.fault_ep = slot();
        mica_cnode_mint(CNODE, t->t.fault_ep, CNODE, m->supervisor ? control : faults,
                        MICA_RIGHT_WRITE, m->supervisor ? SUPERVISOR_FAULT : index + 1);
    }
}

static long
give(struct task *t, uint64_t dest, mica_cptr_t src, unsigned rights, uint64_t badge)
{
    if (!src)
        return MICA_E_OK;
    return mica_cnode_mint(t->t.cnode, dest, CNODE, src, rights, badge);
}

/* The memory server: the boot task the kernel made of its module, given its memory= and
 * started by lib/mem.c (its CNode is big: a slot or two for every page it hands out). */
static long
start_pager(struct task *t)
{
    /* Its memory from the largest untyped block besides the one init makes tasks from. */
    unsigned bits = (unsigned)__builtin_ctzl(t->m->memory);
    mica_cptr_t from = untyped;
    for (uint64_t i = 0, best = 0; i < bi->untyped_count; i++) {
        mica_cptr_t s = bi->first_untyped + i;
        if (s != untyped && bi->untyped[i].size_bits >= bits && bi->untyped[i].size_bits > best) {
            best = bi->untyped[i].size_bits;
            from = s;
        }
    }
    struct mem_server_cfg cfg = {
        .module = (unsigned)(t->module - bi->module), .cnode_bits = 14, .give = from,
        .give_bits = bits, .prio = t->m->prio, .slot = slot,
    };
    long err = mem_server_start(&cfg, untyped, &mem_ep);
    if (!err)
        err = mica_tcb_set_name(t->module->tcb, t->m->name);
    t->state = err ? TASK_FAILED : TASK_RUNNING;
    return err;
}

/* heap=: the task is a client of the memory server: its page faults go there, its requests
 * (MICA_TASK_SLOT_MEMORY) map regions of demand-zero memory up to its quota, and a fault
 * the server will not resolve is reported to the supervisor (a bit of its failures
 * notification). */
static long
heap_client(struct task *t, unsigned i)
{
    mica_cptr_t report = slot();
    long err = mem_client_create(mem_ep, t->t.vspace, t->m->heap / 4096, &t->mem_client);
    if (!err)
        err = mem_client_attach(mem_ep, t->mem_client, t->t.tcb, t->t.cnode, t->t.vspace, 0,
                                t->mem_fault);
    if (!err)
        err = mem_client_give(mem_ep, t->mem_client, t->t.cnode, MICA_TASK_SLOT_MEMORY);
    if (!err && failures && !(err = mica_cnode_mint(CNODE, report, CNODE, failures,
                                                     MICA_RIGHT_WRITE, 1UL << i)))
        err = mem_client_supervisor(mem_ep, t->mem_client, report);
    mica_cnode_delete(CNODE, report);           /* the server holds its copy */
    return err;
}

/* Make the task from its module and start it; its capabilities per its manifest line. */
static long
start(unsigned i)
{
    struct task *t = &tasks[i];
    const struct manifest_task *m = t->m;
    uint64_t badge = i + 1;
    const char *why = NULL;
    if ((int)i == pager_task)
        return start_pager(t);
    /* A quarter of its memory is its own to use (MICA_TASK_SLOT_UNTYPED); the rest it is
     * made of. Both come from its block, so its quota holds. */
    unsigned bits = (unsigned)__builtin_ctzl(m->memory) - 2;
    long err = mica_untyped_retype(t->t.untyped, MICA_OBJ_UNTYPED, bits, CNODE, t->spare, 1);
    if (!err)
        err = mica_spawn(&spawner, &t->t, (const void *)t->module->vaddr, t->module->size, &why);
    if (!err)
        err = mica_cnode_move(t->t.cnode, MICA_TASK_SLOT_UNTYPED, CNODE, t->spare);
    if (!err && names && (int)i != names_task)
        err = give(t, MICA_TASK_SLOT_NAMES, tasks[names_task].service, MICA_RIGHTS_ALL, badge);
    if (!err)
        err = give(t, MICA_TASK_SLOT_SERVICE, t->service, MICA_RIGHTS_ALL, 0);
    if (!err && t->irq)
        err = mica_cnode_copy(t->t.cnode, MICA_TASK_SLOT_IRQ, CNODE, t->irq, MICA_RIGHTS_ALL);
    if (!err)
        err = give(t, MICA_TASK_SLOT_IRQ_NTFN, t->irq_ntfn, MICA_RIGHTS_ALL, 0);
    if (!err && t->ports)
        err = mica_cnode_copy(t->t.cnode, MICA_TASK_SLOT_PORTS, CNODE, t->ports, MICA_RIGHTS_ALL);
    if (!err && t->device)
        err = mica_cnode_copy(t->t.cnode, MICA_TASK_SLOT_DEVICE, CNODE, t->device,
                              MICA_RIGHTS_ALL);
    if (!err && m->control)
        err = give(t, MICA_TASK_SLOT_CONTROL, control, MICA_RIGHT_WRITE | MICA_RIGHT_GRANT, badge);
    if (!err && m->supervisor && faults)
        err = give(t, MICA_TASK_SLOT_FAULTS, faults, MICA_RIGHTS_ALL, 0);
    if (!err && m->supervisor && failures)
        err = give(t, MICA_TASK_SLOT_FAILURES, failures, MICA_RIGHTS_ALL, 0);
    if (!err && m->heap)
        err = heap_client(t, i);
    if (!err)       /* so that threads it makes can fault where its first one does */
        err = give(t, MICA_TASK_SLOT_FAULT_HANDLER, m->heap ? t->mem_fault : t->t.fault_ep,
                   MICA_RIGHT_WRITE, 0);
    if (!err && m->halt)
        err = mica_tcb_set_flags(t->t.tcb, MICA_TCB_FLAG_HALT);
    if (!err)
        err = mica_tcb_resume(t->t.tcb);
    if (err) {
        mica_log("init: cannot start '%s': %s%s%s\n", m->name, mica_errname(err),
                 why ? ": " : "", why ? why : "");
        mica_cnode_revoke(CNODE, t->t.untyped);
        t->state = TASK_FAILED;
        return err;
    }
    t->state = TASK_RUNNING;
    return MICA_E_OK;
}

/* End the task: every object it was made of goes with its untyped memory, and its names
 * go (their watchers hear of it: a client learns that the server it uses went). */
static void
end(struct task *t)
{
    if (t->mem_client) {                        /* its pages and the server's hold on it */
        mem_client_destroy(mem_ep, t->mem_client);
        t->mem_client = 0;
        mica_cnode_delete(CNODE, t->mem_fault);
    }
    mica_cnode_revoke(CNODE, t->t.untyped);
    if (!names || t == &tasks[names_task])
        return;
    names_call(NAMES_FORGET, NULL, 0, (uint64_t)(t - tasks) + 1);
    if (t->m->serve)                            /* the name stays init's; its watchers */
        names_call(NAMES_RESTARTED, t->m->name, 0, 0);      /* hear the server went */
}

static long
restart(unsigned i)
{
    struct task *t = &tasks[i];
    end(t);
    t->restarts++;
    long err = start(i);
    if (!err && (int)i == names_task)
        register_services();                    /* the registry starts empty */
    return err;
}

/* Make the task fault where it runs: its instruction pointer goes to address 0. */
static long
crash(struct task *t)
{
    uint64_t regs[MICA_REG_COUNT];
    long err = mica_tcb_suspend(t->t.tcb);
    if (!err)
        err = mica_tcb_read_regs(t->t.tcb, regs);
    regs[MICA_REG_RIP] = 0;
    if (!err)
        err = mica_tcb_write_regs(t->t.tcb, regs);
    if (!err)
        err = mica_tcb_resume(t->t.tcb);
    return err;
}

/* ---- the control endpoint ----------------------------------------------------------- */

static long
handle(struct mica_msg *m, unsigned *len)
{
    uint64_t label = mica_msg_label(m->info), index = m->mr[0];
    bool from_supervisor = supervisor_task >= 0 && m->badge == (uint64_t)supervisor_task + 1;
    *len = 0;
    if (m->badge == SUPERVISOR_FAULT && label >= MICA_FAULT_PAGE) {
        struct task *s = &tasks[supervisor_task];
        mica_log("init: the supervisor failed (fault %#lx at ip %#lx)\n",
                 (unsigned long)label, (unsigned long)m->mr[0]);
        if (s->restarts >= SUPERVISOR_RESTARTS) {
            mica_log("init: the supervisor failed %u times: not restarted\n", s->restarts);
            end(s);
            s->state = TASK_GIVEN_UP;
            return -1;                          /* no reply: its thread is gone */
        }
        restart((unsigned)supervisor_task);
        return -1;
    }
    if (mica_msg_length(m->info) < 1 || index >= manifest.count)
        return MICA_E_RANGE;
    struct task *t = &tasks[index];
    if ((int)index == pager_task && label != INIT_TASK_INFO)
        return MICA_E_BAD_STATE;                /* the memory server is not init's to end */
    switch (label) {
    case INIT_TASK_INFO: {
        struct mica_ipc_buffer *buf = mica_ipc_buffer();
        uint64_t name[MICA_NAME_WORDS];
        mica_name_pack(t->m->name, name);
        m->mr[0] = t->state;
        m->mr[1] = t->state == TASK_RUNNING ? t->t.pages : 0;
        m->mr[2] = t->m->memory;
        m->mr[3] = t->restarts;
        memcpy(&buf->mr[4], name, sizeof(name));
        buf->mr[8] = t->m->restart;
        *len = 9;
        return MICA_E_OK;
    }
    case INIT_RESTART:
        if (!from_supervisor || !t->m->restart)
            return MICA_E_NO_RIGHTS;
        if (t->state == TASK_STOPPED || t->state == TASK_GIVEN_UP)
            return MICA_E_BAD_STATE;
        return restart((unsigned)index);
    case INIT_GIVE_UP:
        if (!from_supervisor)
            return MICA_E_NO_RIGHTS;
        if ((int)index == names_task)           /* the system cannot do without it */
            return restart((unsigned)index);
        end(t);
        t->state = TASK_GIVEN_UP;
        return MICA_E_OK;
    case INIT_STOP:
        if (t->state != TASK_RUNNING && t->state != TASK_FAILED)
            return MICA_E_BAD_STATE;
        if ((int)index == supervisor_task || (int)index == names_task)
            return MICA_E_NO_RIGHTS;            /* the system's own: never for good */
        end(t);
        t->state = TASK_STOPPED;
        return MICA_E_OK;
    case INIT_CRASH:
        return t->state == TASK_RUNNING ? crash(t) : MICA_E_BAD_STATE;
    default:
        return MICA_E_BAD_METHOD;
    }
}

static _Noreturn void
serve(void)
{
    struct mica_msg m = { 0 };
    long err = mica_recv(control, &m, MICA_TIMEOUT_FOREVER);
    for (;;) {
        unsigned len;
        long status = err ? -1 : handle(&m, &len);
        if (status < 0) {                       /* nothing to answer */
            err = mica_recv(control, &m, MICA_TIMEOUT_FOREVER);
            continue;
        }
        m.info = mica_msginfo((uint64_t)status, len);
        err = mica_reply_recv(control, &m, MICA_TIMEOUT_FOREVER);
    }
}

/* ---- boot ------------------------------------------------------------------------------ */

static void
check_manifest(void)
{
    for (unsigned i = 0; i < manifest.count; i++) {
        const struct manifest_task *m = &manifest.task[i];
        tasks[i].m = m;
        tasks[i].module = find_module(m->name);
        if (!tasks[i].module || !strcmp(m->name, "manifest"))
            stop("manifest line %u: no boot module '%s'", m->line, m->name);
        if (m->names)
            names_task = (int)i;
        if (m->supervisor)
            supervisor_task = (int)i;
        if (m->pager)
            pager_task = (int)i;
        if (m->heap && pager_task < 0)
            stop("manifest line %u: heap= needs the memory server (pager) on an earlier line",
                 m->line);
        if (m->pager && (m->restart || m->serve || m->irq >= 0 || m->ports || m->device))
            stop("manifest line %u: the memory server takes no other options", m->line);
        if (m->prio > MICA_BOOT_PRIO + 50)
            stop("manifest line %u: a priority above 150 is init's and the kernel's", m->line);
    }
    if (names_task > 0)
        stop("manifest line %u: the names server must be the first task",
             manifest.task[names_task].line);
}

int
main(void)
{
    bi = mica_bootinfo;
    next_slot = bi->first_free_slot;
    untyped = mica_boot_largest_untyped();
    spawner.temp_slot = slot();
    slot();
    spawner.scratch = SCRATCH;
    for (int level = 0; level < 3; level++)
        mica_page_table_map(make(MICA_OBJ_PAGE_TABLE, 0), MICA_SLOT_VSPACE, SCRATCH);

    const struct mica_boot_module *text = find_module("manifest");
    if (!text)
        stop("no boot module named 'manifest'");
    static char err[160];
    if (manifest_parse((const char *)text->vaddr, text->size, &manifest, err, sizeof(err)))
        stop("%s", err);
    check_manifest();

    /* The kernel made a suspended task of every executable module; we make our own (but
     * the memory server's, which lib/mem.c starts). */
    for (uint64_t i = 1; i < bi->module_count; i++)
        if (bi->module[i].tcb && (pager_task < 0 || tasks[pager_task].module != &bi->module[i]))
            mica_cnode_delete(CNODE, bi->module[i].tcb);

    control = make(MICA_OBJ_ENDPOINT, 0);
    if (supervisor_task >= 0)
        faults = make(MICA_OBJ_ENDPOINT, 0);
    if (supervisor_task >= 0 && pager_task >= 0)
        failures = make(MICA_OBJ_NOTIFICATION, 0);
    for (unsigned i = 0; i < manifest.count; i++)
        provide(&tasks[i]);
    for (unsigned i = 0; i < manifest.count; i++) {
        long err = start(i);
        if (err)
            stop("'%s' did not start: %s", tasks[i].m->name, mica_errname(err));
        if ((int)i == names_task) {
            names = slot();
            mica_cnode_mint(CNODE, names, CNODE, tasks[i].service, MICA_RIGHTS_ALL,
                            MICA_BADGE_INIT);
            register_services();                /* before any task that could take them */
        }
    }
    mica_printf("init: %u tasks started from the manifest\n", manifest.count);
    /* From now on the console carries init's messages (posted: init never waits for it). */
    mica_services_patience = NAMES_PATIENCE;
    uint64_t console = slot();
    if (names && !mica_names_lookup(names, "console", console))
        mica_log_to(console, true);
    serve();
}
