// SPDX-License-Identifier: MIT
/* A small printf formatter for the kernel: %d %i %u %x %X %p %s %c %%, with the flags '-',
 * '0' and '#', a width, a precision for %s, and the l, ll and z length modifiers. Pure code,
 * unit-tested on the host; the console (console.c) and ksnprintf() feed it. */
#include "kernel.h"

#define FMT_WIDTH_MAX   4096    /* wider fields are clamped, never overflow */

struct spec {
    bool alt;           /* '#': 0x before hexadecimal */
    bool left;          /* '-': pad on the right */
    bool zero;          /* '0': pad numbers with zeros */
    int width;
    int precision;      /* -1: none */
};

struct sink {
    fmt_out_fn out;
    void *ctx;
    int count;
};

static void
emit(struct sink *s, char c)
{
    s->out(s->ctx, c);
    s->count++;
}

static void
emit_padded(struct sink *s, const struct spec *sp, const char *body, int len, const char *prefix)
{
    int plen = (int)strlen(prefix);
    int pad = sp->width > len + plen ? sp->width - len - plen : 0;

    if (!sp->left && !sp->zero)
        while (pad-- > 0)
            emit(s, ' ');
    while (*prefix)
        emit(s, *prefix++);
    if (!sp->left && sp->zero)
        while (pad-- > 0)
            emit(s, '0');
    for (int i = 0; i < len; i++)
        emit(s, body[i]);
    while (pad-- > 0)
        emit(s, ' ');
}

static void
emit_number(struct sink *s, struct spec *sp, uint64_t v, unsigned base, bool upper,
            const char *prefix)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[24];
    int i = sizeof(buf);

    do {
        buf[--i] = digits[v % base];
        v /= base;
    } while (v);
    emit_padded(s, sp, buf + i, (int)sizeof(buf) - i, prefix);
}

/* Accumulate the digits after fmt into *n, clamped to FMT_WIDTH_MAX; returns the last digit. */
static const char *
read_number(const char *fmt, int *n)
{
    while (fmt[1] >= '0' && fmt[1] <= '9') {
        int digit = *++fmt - '0';
        *n = MIN(*n * 10 + digit, FMT_WIDTH_MAX);
    }
    return fmt;
}

int
fmt_vformat(fmt_out_fn out, void *ctx, const char *fmt, va_list ap)
{
    struct sink s = { out, ctx, 0 };

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(&s, *fmt);
            continue;
        }
        struct spec sp = { .precision = -1 };
        for (;; fmt++) {
            if (fmt[1] == '-')
                sp.left = true;
            else if (fmt[1] == '#')
                sp.alt = true;
            else if (fmt[1] == '0')
                sp.zero = true;
            else
                break;
        }
        if (fmt[1] == '*') {
            sp.width = va_arg(ap, int);
            if (sp.width < 0) {         /* as in C: a negative width means '-' */
                sp.left = true;
                sp.width = sp.width == INT32_MIN ? 0 : -sp.width;
            }
            fmt++;
        }
        sp.width = MIN(sp.width, FMT_WIDTH_MAX);
        fmt = read_number(fmt, &sp.width);
        if (fmt[1] == '.') {
            fmt++;
            sp.precision = 0;
            if (fmt[1] == '*') {
                sp.precision = va_arg(ap, int);
                fmt++;
            }
            fmt = read_number(fmt, &sp.precision);
        }
        int longs = 0;
        while (fmt[1] == 'l' || fmt[1] == 'z') {
            longs += fmt[1] == 'z' ? 2 : 1;
            fmt++;
        }
        char conv = *++fmt;
        uint64_t u;
        switch (conv) {
        case 'd':
        case 'i': {
            int64_t v = longs ? va_arg(ap, long) : va_arg(ap, int);
            u = v < 0 ? -(uint64_t)v : (uint64_t)v;
            emit_number(&s, &sp, u, 10, false, v < 0 ? "-" : "");
            break;
        }
        case 'u':
        case 'x':
        case 'X':
            u = longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
            emit_number(&s, &sp, u, conv == 'u' ? 10 : 16, conv == 'X',
                        sp.alt && conv != 'u' && u ? (conv == 'X' ? "0X" : "0x") : "");
            break;
        case 'p':
            u = (uintptr_t)va_arg(ap, void *);
            emit_number(&s, &sp, u, 16, false, "0x");
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            sp.zero = false;
            emit_padded(&s, &sp, &c, 1, "");
            break;
        }
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            size_t len = sp.precision >= 0 ? strnlen(str, (size_t)sp.precision) : strlen(str);
            sp.zero = false;
            emit_padded(&s, &sp, str, (int)len, "");
            break;
        }
        case '%':
            emit(&s, '%');
            break;
        case '\0':      /* a lone '%' ends the string */
            return s.count;
        default:        /* unknown conversion: show it as written */
            emit(&s, '%');
            emit(&s, conv);
            break;
        }
    }
    return s.count;
}

struct bufctx {
    char *buf;
    size_t size;
    size_t pos;
};

static void
buf_out(void *ctx, char c)
{
    struct bufctx *b = ctx;
    if (b->pos + 1 < b->size)
        b->buf[b->pos] = c;
    b->pos++;
}

/* Like snprintf: always terminates (size > 0), returns the length it wanted to write. */
int
ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    struct bufctx b = { buf, size, 0 };
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vformat(buf_out, &b, fmt, ap);
    va_end(ap);
    if (size)
        buf[MIN(b.pos, size - 1)] = '\0';
    return n;
}
