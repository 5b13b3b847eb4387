/* SPDX-License-Identifier: MIT */
/* Mica error codes, shared by the kernel and user space: one enum from errors.def. */
#ifndef MICA_ERRORS_H
#define MICA_ERRORS_H

enum mica_error {
#define MICA_ERROR(name, value, text) MICA_E_##name = (value),
#include <mica/errors.def>
#undef MICA_ERROR
    MICA_E_COUNT
};

/* The text of an error code; "unknown error" for values outside the enum. */
static inline const char *
mica_strerror(long err)
{
    switch (err) {
#define MICA_ERROR(name, value, text) case (value): return (text);
#include <mica/errors.def>
#undef MICA_ERROR
    default: return "unknown error";
    }
}

/* The name of an error code ("NO_CAP"), for test output and logs. */
static inline const char *
mica_errname(long err)
{
    switch (err) {
#define MICA_ERROR(name, value, text) case (value): return #name;
#include <mica/errors.def>
#undef MICA_ERROR
    default: return "?";
    }
}

#endif
