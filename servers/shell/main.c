// SPDX-License-Identifier: MIT
/*
 * The native shell: a few commands on the console for people and tests. It holds what its
 * manifest line gives it (names, init's control endpoint) and finds the console by name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "services.h"

#include <mica/task.h>

#define CNODE       MICA_TASK_SLOT_CNODE
#define CONSOLE     (MICA_TASK_SLOT_FIRST_FREE + 0)
#define WAKE        (MICA_TASK_SLOT_FIRST_FREE + 1)     /* our notification: */
#define INPUT       (MICA_TASK_SLOT_FIRST_FREE + 2)     /* its badge 1, the console's */
#define GONE        (MICA_TASK_SLOT_FIRST_FREE + 3)     /* its badge 2, for names */
#define LINE_MAX    CONSOLE_MAX  /* longer lines run cut */

static const char *const states[] = {
    [TASK_NONE] = "not started", [TASK_RUNNING] = "running", [TASK_STOPPED] = "stopped",
    [TASK_FAILED] = "failed", [TASK_GIVEN_UP] = "given up",
};

static long
control(uint64_t method, uint64_t index, struct mica_msg *m)
{
    *m = (struct mica_msg){ .info = mica_msginfo(method, 1), .mr = { index } };
    long err = mica_call(MICA_TASK_SLOT_CONTROL, m, MICA_TIMEOUT_FOREVER);
    return err ? err : (long)mica_msg_label(m->info);
}

static void
ps(void)
{
    struct mica_msg m;
    mica_log("  #  task          state        memory    pages  restarts\n");
    for (uint64_t i = 0; !control(INIT_TASK_INFO, i, &m); i++) {
        char name[MICA_NAME_MAX] = "?";
        mica_name_unpack(&mica_ipc_buffer()->mr[4], name);
        mica_log("%3lu  %-12s  %-11s  %5luK  %5lu  %8lu\n", (unsigned long)i, name,
            m.mr[0] < 5 ? states[m.mr[0]] : "?", (unsigned long)(m.mr[2] >> 10),
            (unsigned long)m.mr[1], (unsigned long)m.mr[3]);
    }
}

static void
names(void)
{
    for (uint64_t i = 0;; i++) {
        struct mica_msg m = { .info = mica_msginfo(NAMES_LIST, 1), .mr = { i } };
        if (mica_call(MICA_TASK_SLOT_NAMES, &m, MICA_TIMEOUT_FOREVER) || mica_msg_label(m.info))
            break;
        char name[MICA_NAME_MAX] = "?";
        mica_name_unpack(m.mr, name);
        uint64_t owner = mica_ipc_buffer()->mr[4];
        if (owner == MICA_BADGE_INIT)
            mica_log("  %-16s registered by init\n", name);
        else
            mica_log("  %-16s registered by task %lu\n", name, (unsigned long)owner - 1);
    }
}

/* Memory from the memory server (heap= in the manifest): taken, touched, counted, freed. */
static void
heap(unsigned long kib)
{
    struct mica_cap_info info = { 0 };
    if (mica_cnode_identify(CNODE, MICA_TASK_SLOT_MEMORY, &info) || !info.type) {
        mica_log("heap: no memory server (heap= in the manifest)\n");
        return;
    }
    uint8_t *p = kib && kib <= 1024 ? mem_alloc(MICA_TASK_SLOT_MEMORY, kib << 10) : NULL;
    if (!p) {
        mica_log("heap: %lu KiB: refused\n", kib);
        return;
    }
    bool zero = true;
    for (unsigned long i = 0; i < kib << 10; i += 4096)
        zero = zero && !p[i];
    struct mem_usage use = { 0 };
    mem_usage(MICA_TASK_SLOT_MEMORY, &use);
    mica_log("heap: %lu KiB from the memory server, %s; %lu pages of %lu charged\n", kib,
             zero ? "zero" : "NOT ZERO", (unsigned long)use.pages, (unsigned long)use.quota);
    mem_free(MICA_TASK_SLOT_MEMORY, p);
}

/* A number argument: the whole word, or -1. */
static long
number(const char *word)
{
    char *end;
    unsigned long v = word ? strtoul(word, &end, 0) : 0;
    return word && *word && !*end && v < 1UL << 31 ? (long)v : -1;
}

static void
run(char *line)
{
    char *cmd = strtok(line, " \t"), *rest = strtok(NULL, ""), *arg = NULL;
    if (!cmd)
        return;
    if (rest) {
        while (*rest == ' ' || *rest == '\t')
            rest++;
        arg = *rest ? rest : NULL;              /* echo takes all of it, others a number */
    }
    struct mica_msg m;
    if (!strcmp(cmd, "help")) {
        mica_log("ps: the tasks, their memory and restarts; names: the registry;\n"
            "kill N: stop task N; crash N: make task N fault; heap K: take K KiB from the\n"
            "memory server and give them back; echo TEXT; halt\n");
    } else if (!strcmp(cmd, "ps")) {
        ps();
    } else if (!strcmp(cmd, "names")) {
        names();
    } else if ((!strcmp(cmd, "kill") || !strcmp(cmd, "crash")) && number(arg) >= 0) {
        long err = control(cmd[0] == 'k' ? INIT_STOP : INIT_CRASH, (uint64_t)number(arg), &m);
        mica_log("%s %s: %s\n", cmd, arg, err ? mica_errname(err) : "done");
    } else if (!strcmp(cmd, "heap") && number(arg) >= 0) {
        heap((unsigned long)number(arg));
    } else if (!strcmp(cmd, "echo")) {
        mica_log("%s\n", arg ? arg + 0 : "");
    } else if (!strcmp(cmd, "halt")) {
        mica_log("shell: halting the machine\n");
        mica_halt(0);
    } else {
        mica_log("%s: unknown command (try help)\n", cmd);
    }
}

/* Find the console, be its reader, and be told if it goes (a restart: it comes back). */
static long
connect(void)
{
    struct mica_msg m = { .info = mica_msginfo_caps(NAMES_WATCH, 1, MICA_NAME_WORDS) };
    mica_cnode_delete(CNODE, CONSOLE);
    long err;
    while ((err = mica_names_lookup(MICA_TASK_SLOT_NAMES, "console", CONSOLE)) == MICA_E_NO_CAP)
        mica_yield();                           /* not registered (again) yet */
    if (!err)
        err = mica_console_set_reader(CONSOLE, INPUT);
    mica_name_pack("console", m.mr);
    mica_ipc_buffer()->caps[0] = GONE;
    if (!err)
        err = mica_call(MICA_TASK_SLOT_NAMES, &m, MICA_TIMEOUT_FOREVER);
    return err ? err : (long)mica_msg_label(m.info);
}

int
main(void)
{
    long err = mica_untyped_retype(MICA_TASK_SLOT_UNTYPED, MICA_OBJ_NOTIFICATION, 0, CNODE,
                                   WAKE, 1);
    if (!err)
        err = mica_cnode_mint(CNODE, INPUT, CNODE, WAKE, MICA_RIGHT_WRITE, 1);
    if (!err)
        err = mica_cnode_mint(CNODE, GONE, CNODE, WAKE, MICA_RIGHT_WRITE, 2);
    if (!err)
        err = connect();
    mica_log_to(CONSOLE, false);
    if (err) {
        mica_printf("shell: no console: %s\n", mica_errname(err));
        return 1;
    }
    mica_log("Mica shell: type help\nmica> ");
    char line[LINE_MAX];
    size_t len = 0;
    for (;;) {
        uint64_t bits = 0;
        /* Once a second with nothing to do, be the console's reader again: a console
         * restarted while names was restarting too could not tell us it went. */
        if (mica_wait(WAKE, &bits, 1000 * 1000000UL) == MICA_E_TIMEOUT)
            mica_console_set_reader(CONSOLE, INPUT);
        if (bits & 2 && (err = connect()))
            mica_printf("shell: the console went and did not come back: %s\n",
                        mica_errname(err));
        char in[128];
        size_t n;
        while (!mica_console_read(CONSOLE, in, sizeof(in), &n) && n) {
            for (size_t i = 0; i < n; i++) {
                if (in[i] != '\n') {
                    if (len < LINE_MAX - 1)
                        line[len++] = in[i];
                    continue;
                }
                line[len] = '\0';
                run(line);
                len = 0;
                mica_log("mica> ");
            }
        }
    }
}
