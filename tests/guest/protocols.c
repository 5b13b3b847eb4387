// SPDX-License-Identifier: MIT
/*
 * The servers' protocols, from a task init starts (tests/manifests/protocols.manifest):
 * names, console and timer, each method and the bad requests (unknown label, wrong
 * lengths, missing or wrong capabilities), which must get errors and leave the server
 * serving.
 */
#include <string.h>

#include "services.h"
#include "test.h"

#include <mica/task.h>

#define CNODE       MICA_TASK_SLOT_CNODE
#define NAMES       MICA_TASK_SLOT_NAMES
#define CONSOLE     (MICA_TASK_SLOT_FIRST_FREE + 0)
#define TIMER       (MICA_TASK_SLOT_FIRST_FREE + 1)
#define NTFN        (MICA_TASK_SLOT_FIRST_FREE + 2)
#define EP          (MICA_TASK_SLOT_FIRST_FREE + 3)
#define SPARE       (MICA_TASK_SLOT_FIRST_FREE + 4)
#define WEAK_NAMES  (MICA_TASK_SLOT_FIRST_FREE + 5)
#define MS          1000000UL

/* A request of label with words (n of them) and maybe a capability; the reply's status. */
static long
ask(mica_cptr_t ep, uint64_t label, unsigned n, const uint64_t *words, mica_cptr_t cap,
    struct mica_msg *m)
{
    uint64_t *buf = mica_ipc_buffer()->mr;
    *m = (struct mica_msg){ .info = mica_msginfo_caps(label, cap ? 1 : 0, n) };
    for (unsigned i = 0; i < n; i++)
        *(i < MICA_MSG_REG_WORDS ? &m->mr[i] : &buf[i]) = words[i];
    mica_ipc_buffer()->caps[0] = cap;
    long err = mica_call(ep, m, 1000 * MS);
    return err ? err : (long)mica_msg_label(m->info);
}

static long
ask_name(uint64_t label, const char *name, mica_cptr_t cap)
{
    uint64_t words[MICA_NAME_WORDS];
    struct mica_msg m;
    mica_name_pack(name, words);
    return ask(NAMES, label, MICA_NAME_WORDS, words, cap, &m);
}

static void
names(void)
{
    struct mica_msg m;
    uint64_t garbage[MICA_NAME_WORDS] = { 0x41, 0x42, 0, 0 };   /* "A", then a stray "B" */
    EXPECT_ERR("names_lookup", mica_names_lookup(NAMES, "console", CONSOLE), MICA_E_OK);
    EXPECT_ERR("names_lookup_unknown", mica_names_lookup(NAMES, "nosuch", SPARE), MICA_E_NO_CAP);
    EXPECT_ERR("names_lookup_bad_name", ask(NAMES, NAMES_LOOKUP, MICA_NAME_WORDS, garbage, 0, &m),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("names_lookup_empty_name", ask_name(NAMES_LOOKUP, "", 0), MICA_E_INVALID_ARG);
    EXPECT_ERR("names_short_message", ask(NAMES, NAMES_LOOKUP, 1, garbage, 0, &m),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("names_unknown_label", ask(NAMES, 99, 0, NULL, 0, &m), MICA_E_BAD_METHOD);

    /* A lookup through a capability without the grant right gets no endpoint back. */
    mica_cnode_copy(CNODE, WEAK_NAMES, CNODE, NAMES, MICA_RIGHT_READ | MICA_RIGHT_WRITE);
    EXPECT_ERR("names_lookup_without_grant_gets_none",
               mica_names_lookup(WEAK_NAMES, "console", SPARE), MICA_E_NO_CAP);

    EXPECT_ERR("names_register", mica_names_register(NAMES, "proto", EP), MICA_E_OK);
    EXPECT_ERR("names_register_taken", mica_names_register(NAMES, "proto", EP),
               MICA_E_SLOT_FULL);
    EXPECT_ERR("names_manifest_names_are_inits", mica_names_register(NAMES, "console", EP),
               MICA_E_SLOT_FULL);
    EXPECT_ERR("names_must_be_printable", mica_names_register(NAMES, "bad\x1b[2J", EP),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("names_restarted_is_inits", ask_name(NAMES_RESTARTED, "console", 0),
               MICA_E_NO_RIGHTS);
    EXPECT_ERR("names_register_without_capability", ask_name(NAMES_REGISTER, "proto2", 0),
               MICA_E_NO_CAP);
    EXPECT_ERR("names_register_not_an_endpoint", ask_name(NAMES_REGISTER, "proto2", NTFN),
               MICA_E_NO_CAP);
    EXPECT_ERR("names_watch", ask_name(NAMES_WATCH, "proto", NTFN), MICA_E_OK);
    EXPECT_ERR("names_watch_needs_a_notification", ask_name(NAMES_WATCH, "proto", EP),
               MICA_E_NO_CAP);
    EXPECT_ERR("names_unregister_of_another", ask_name(NAMES_UNREGISTER, "console", 0),
               MICA_E_NO_RIGHTS);
    uint64_t task = 1;
    EXPECT_ERR("names_forget_is_inits", ask(NAMES, NAMES_FORGET, 1, &task, 0, &m),
               MICA_E_NO_RIGHTS);
    uint64_t bits = 0;
    long err = ask_name(NAMES_UNREGISTER, "proto", 0);
    EXPECT("names_unregister_tells_watchers",
           !err && !mica_wait(NTFN, &bits, MICA_TIMEOUT_POLL) && bits,
           "err %s, bits %#lx", mica_errname(err), (unsigned long)bits);
    EXPECT_ERR("names_gone_after_unregister", mica_names_lookup(NAMES, "proto", SPARE),
               MICA_E_NO_CAP);
    uint64_t index = 0, far = 1000;
    char name[MICA_NAME_MAX] = "";
    err = ask(NAMES, NAMES_LIST, 1, &index, 0, &m);
    mica_name_unpack(m.mr, name);
    EXPECT("names_list", !err && name[0], "err %s", mica_errname(err));
    EXPECT_ERR("names_list_past_the_end", ask(NAMES, NAMES_LIST, 1, &far, 0, &m), MICA_E_RANGE);
}

static void
console(void)
{
    struct mica_msg m;
    uint64_t words[3] = { 5 };
    memcpy(&words[1], "hi!!\n", 5);
    EXPECT_ERR("console_write", ask(CONSOLE, CONSOLE_WRITE, 2, words, 0, &m), MICA_E_OK);
    EXPECT("console_write_counts", m.mr[0] == 5, "wrote %lu", (unsigned long)m.mr[0]);
    words[0] = CONSOLE_MAX + 1;
    EXPECT_ERR("console_write_too_long", ask(CONSOLE, CONSOLE_WRITE, 2, words, 0, &m),
               MICA_E_INVALID_ARG);
    words[0] = 16;
    EXPECT_ERR("console_write_short_message", ask(CONSOLE, CONSOLE_WRITE, 2, words, 0, &m),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("console_write_no_length", ask(CONSOLE, CONSOLE_WRITE, 0, words, 0, &m),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("console_read_nothing_yet", ask(CONSOLE, CONSOLE_READ, 0, NULL, 0, &m),
               MICA_E_OK);
    EXPECT("console_read_returns_no_bytes", m.mr[0] == 0, "read %lu", (unsigned long)m.mr[0]);
    uint64_t mode = 7;
    EXPECT_ERR("console_unknown_mode", ask(CONSOLE, CONSOLE_MODE, 1, &mode, 0, &m),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("console_reader_needs_a_notification",
               ask(CONSOLE, CONSOLE_SET_READER, 0, NULL, EP, &m), MICA_E_NO_CAP);
    EXPECT_ERR("console_unknown_label", ask(CONSOLE, 77, 0, NULL, 0, &m), MICA_E_BAD_METHOD);
    EXPECT_ERR("console_serves_on", mica_console_write(CONSOLE, "protocols: ok\n", 14),
               MICA_E_OK);
}

static void
timer(void)
{
    struct mica_msg m;
    uint64_t t0 = 0, t1 = 0, t2 = 0, bits = 0;
    EXPECT_ERR("timer_lookup", mica_names_lookup(NAMES, "timer", TIMER), MICA_E_OK);
    long err = mica_timer_now(TIMER, &t0);
    mica_timer_now(TIMER, &t1);
    EXPECT("timer_now_runs", !err && t0 && t1 >= t0, "%lu then %lu", (unsigned long)t0,
           (unsigned long)t1);
    err = mica_timer_alarm(TIMER, t1 + 30 * MS, NTFN);
    if (!err)
        err = mica_wait(NTFN, &bits, 1000 * MS);
    mica_timer_now(TIMER, &t2);
    EXPECT("timer_alarm_signals_at_the_deadline", !err && bits && t2 >= t1 + 30 * MS,
           "err %s, after %lu ns", mica_errname(err), (unsigned long)(t2 - t1));
    EXPECT_ERR("timer_alarm_needs_a_notification", mica_timer_alarm(TIMER, t2, EP),
               MICA_E_NO_CAP);
    EXPECT_ERR("timer_alarm_needs_a_deadline", ask(TIMER, TIMER_ALARM, 0, NULL, NTFN, &m),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("timer_unknown_label", ask(TIMER, 55, 0, NULL, 0, &m), MICA_E_BAD_METHOD);
}

int
main(void)
{
    long err = mica_untyped_retype(MICA_TASK_SLOT_UNTYPED, MICA_OBJ_NOTIFICATION, 0, CNODE,
                                   NTFN, 1);
    if (!err)
        err = mica_untyped_retype(MICA_TASK_SLOT_UNTYPED, MICA_OBJ_ENDPOINT, 0, CNODE, EP, 1);
    EXPECT_ERR("protocols_setup", err, MICA_E_OK);
    names();
    console();
    timer();
    mica_halt(test_failures);
}
