// SPDX-License-Identifier: MIT
/*
 * The boot manifest: one task per line, `name option...`, `#` to the end of a line is a
 * comment. Every mistake stops the parse with a message that names the line; nothing in
 * the text can make the parser read or write out of bounds (it never needs the text to be
 * terminated, and copies nothing longer than its buffers).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

#define WORD_MAX    64

struct parser {
    const char *p, *end;
    unsigned line;
    char *err;
    size_t errlen;
};

static int
fail(struct parser *ps, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(ps->err, ps->errlen, "manifest line %u: ", ps->line);
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < ps->errlen)
        vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* The next word of this line into word (terminated); 0 at the end of the line. */
static int
next_word(struct parser *ps, char word[WORD_MAX])
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r'))
        ps->p++;
    if (ps->p < ps->end && *ps->p == '#')
        while (ps->p < ps->end && *ps->p != '\n')
            ps->p++;
    size_t n = 0;
    while (ps->p < ps->end && *ps->p != ' ' && *ps->p != '\t' && *ps->p != '\r' &&
           *ps->p != '\n' && *ps->p != '#') {
        if (n == WORD_MAX - 1)
            return fail(ps, "a word longer than %d characters", WORD_MAX - 1);
        if ((unsigned char)*ps->p < 0x20 || (unsigned char)*ps->p > 0x7e)
            return fail(ps, "a character that is not printable ASCII");
        word[n++] = *ps->p++;
    }
    word[n] = '\0';
    return (int)n;
}

/* An unsigned number (decimal, or hex with 0x) with an optional K or M suffix if scaled. */
static int
number(struct parser *ps, const char *s, bool scaled, uint64_t max, uint64_t *out)
{
    char *end;
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return fail(ps, "'%s' is not a number", s);
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    uint64_t scale = 1;
    if (scaled && (*end == 'K' || *end == 'M' || *end == 'G')) {
        scale = *end == 'K' ? 1UL << 10 : *end == 'M' ? 1UL << 20 : 1UL << 30;
        end++;
    }
    if (errno || *end || end == s)
        return fail(ps, "'%s' is not a number", s);
    if (v > max / scale)
        return fail(ps, "%s is too large (at most %llu)", s, (unsigned long long)max);
    *out = v * scale;
    return 0;
}

static int
option(struct parser *ps, struct manifest_task *t, char *word)
{
    char *value = strchr(word, '=');
    if (value)
        *value++ = '\0';
    static const struct { const char *name; size_t flag; } flags[] = {
        { "restart", offsetof(struct manifest_task, restart) },
        { "serve", offsetof(struct manifest_task, serve) },
        { "registry", offsetof(struct manifest_task, names) },
        { "supervises", offsetof(struct manifest_task, supervisor) },
        { "control", offsetof(struct manifest_task, control) },
        { "pager", offsetof(struct manifest_task, pager) },
        { "halt", offsetof(struct manifest_task, halt) },
    };
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        if (strcmp(word, flags[i].name))
            continue;
        if (value)
            return fail(ps, "option '%s' takes no value", word);
        *(bool *)((char *)t + flags[i].flag) = true;
        return 0;
    }
    if (!value || !*value)
        return fail(ps, "unknown option '%s'%s", word, value ? " (no value)" : "");
    uint64_t v, w;
    if (!strcmp(word, "memory")) {
        if (number(ps, value, true, MANIFEST_MEMORY_MAX, &v))
            return -1;
        if (v < MANIFEST_MEMORY_MIN || (v & (v - 1)))
            return fail(ps, "memory=%s: a power of two from 256K to 1G", value);
        t->memory = v;
    } else if (!strcmp(word, "heap")) {
        if (number(ps, value, true, MANIFEST_MEMORY_MAX, &v))
            return -1;
        if (v < 4096 || v % 4096)
            return fail(ps, "heap=%s: whole pages, at least one", value);
        t->heap = v;
    } else if (!strcmp(word, "prio")) {
        if (number(ps, value, false, 255, &v))
            return -1;
        t->prio = (unsigned)v;
    } else if (!strcmp(word, "irq")) {
        if (number(ps, value, false, 255, &v))
            return -1;
        t->irq = (int)v;
    } else if (!strcmp(word, "ports")) {
        char *dash = strchr(value, '-');
        if (!dash)
            return fail(ps, "ports=%s: write ports=FIRST-LAST", value);
        *dash = '\0';
        if (number(ps, value, false, 0xffff, &v) || number(ps, dash + 1, false, 0xffff, &w))
            return -1;
        if (v > w)
            return fail(ps, "ports: %#llx comes after %#llx", (unsigned long long)v,
                        (unsigned long long)w);
        t->ports = true;
        t->port_first = (uint16_t)v;
        t->port_last = (uint16_t)w;
    } else if (!strcmp(word, "device")) {
        char *slash = strchr(value, '/');
        if (!slash)
            return fail(ps, "device=%s: write device=ADDRESS/BITS", value);
        *slash = '\0';
        if (number(ps, value, false, ~0UL, &v) || number(ps, slash + 1, false, 52, &w))
            return -1;
        if (w < 12 || v & ((1UL << w) - 1))
            return fail(ps, "device: %#llx is not aligned to 2^%llu bytes (12 at least)",
                        (unsigned long long)v, (unsigned long long)w);
        t->device = true;
        t->device_base = v;
        t->device_bits = (unsigned)w;
    } else {
        return fail(ps, "unknown option '%s'", word);
    }
    return 0;
}

static int
task_line(struct parser *ps, struct manifest *m, const char *name)
{
    if (m->count == MANIFEST_MAX_TASKS)
        return fail(ps, "more than %d tasks", MANIFEST_MAX_TASKS);
    if (strlen(name) >= MANIFEST_NAME_MAX)
        return fail(ps, "name '%s' is longer than %d characters", name, MANIFEST_NAME_MAX - 1);
    for (unsigned i = 0; i < m->count; i++)
        if (!strcmp(m->task[i].name, name))
            return fail(ps, "'%s' is started twice (line %u)", name, m->task[i].line);
    struct manifest_task *t = &m->task[m->count];
    memset(t, 0, sizeof(*t));
    strcpy(t->name, name);
    t->line = ps->line;
    t->memory = MANIFEST_MEMORY_DEFAULT;
    t->prio = 100;
    t->irq = -1;
    char word[WORD_MAX];
    int n;
    while ((n = next_word(ps, word)) > 0)
        if (option(ps, t, word))
            return -1;
    if (n < 0)
        return -1;
    for (unsigned i = 0; i < m->count; i++) {
        if (t->names && m->task[i].names)
            return fail(ps, "a second names server (line %u)", m->task[i].line);
        if (t->supervisor && m->task[i].supervisor)
            return fail(ps, "a second supervisor (line %u)", m->task[i].line);
        if (t->pager && m->task[i].pager)
            return fail(ps, "a second memory server (line %u)", m->task[i].line);
    }
    if (t->supervisor && !t->control)
        return fail(ps, "the supervisor needs control (it asks init to restart tasks)");
    if (t->names && (t->supervisor || t->pager))
        return fail(ps, "the names server is nothing else");
    if (t->names)
        t->serve = true;                        /* what it serves is the registry */
    m->count++;
    return 0;
}

int
manifest_parse(const char *text, size_t len, struct manifest *m, char *err, size_t errlen)
{
    struct parser ps = { .p = text, .end = text + len, .line = 1, .err = err, .errlen = errlen };
    char word[WORD_MAX];
    m->count = 0;
    while (ps.p < ps.end) {
        int n = next_word(&ps, word);
        if (n < 0 || (n > 0 && task_line(&ps, m, word)))
            return -1;
        if (ps.p < ps.end && *ps.p == '\n') {
            ps.p++;
            ps.line++;
        }
    }
    if (!m->count) {
        ps.line = 1;
        return fail(&ps, "no task to start");
    }
    return 0;
}
